"""The data the matrix runs on, built once for the module: the ``world`` fixture's users and
listings (each role has listings it must not see), the matchmaking ``suggestion_world`` (a
pair per visibility case), pairs further down their life (a negotiation thread with an
attached file and a proposed meeting, a confirmed meeting, a pair that met), an expert
evaluation, listing attachments, an import job and a possible duplicate, an invitation, a
notification and a docking conference (``tests.events.builders.conference``)."""

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.enums import Role
from accounts.models import Invitation, Membership, Notification
from catalog.enums import EvaluationStatus
from catalog.models import (
    Attachment,
    DuplicateCandidate,
    DuplicateMethod,
    ExpertEvaluation,
    ImportJob,
    ImportKind,
    ImportStatus,
)
from matchmaking.models import Meeting, MeetingMode, MeetingStatus, Message, SuggestionStatus
from tests import conftest
from tests.matchmaking.builders import SuggestionWorld, make_run, make_suggestion, suggestion_world

PDF = b"%PDF-1.4\n% techdock permission matrix\n"


@dataclass
class MatrixData:
    w: conftest.World
    sw: SuggestionWorld
    users: dict  # role -> user (None for anonymous)
    thread: object  # req_public <-> ach_public, mutual, broker: thread with `message`, `meeting_requested`
    message: Message  # by enterprise A in `thread`, with an attached PDF
    meeting_requested: Meeting  # proposed by enterprise A in `thread`, the university has not accepted
    meeting_pair: object  # req_members <-> ach_public, meeting scheduled, broker
    meeting_confirmed: Meeting  # of `meeting_pair`, both sides accepted
    met: object  # req_public <-> ach_public (another run), met, broker
    evaluation: ExpertEvaluation  # the expert's, of the screened achievement
    attachment_members: Attachment  # of the members-tier requirement
    attachment_restricted: Attachment  # of the confidential requirement (broker assigned)
    import_job: ImportJob  # the bureau's, checked
    duplicate: DuplicateCandidate  # req_members may duplicate req_public
    invitation: Invitation  # the investor's email invited into the university
    notification: Notification  # enterprise A member's
    membership: Membership  # enterprise A member's, in enterprise A
    # Events (tests.events.builders.conference): a published conference with enterprise A and the
    # university registered, their public listings entered and a mutual pair of them (world.broker).
    conf: object = None
    draft_event: object = None  # a draft: bureau staff only
    reg_investor: object = None  # the investor's organisation, registered
    entry: object = None  # the roadshow's presentation of the public achievement
    scheduled: object = None  # the conference pair's confirmed negotiation (slot 1, table A01)


def _attachment(listing, user, name: str) -> Attachment:
    attachment = Attachment(requirement=listing, original_name=name, size=len(PDF), uploaded_by=user)
    attachment.file.save(name, ContentFile(PDF), save=True)
    return attachment


def build() -> MatrixData:
    # The ``world`` fixture's body, called once for the module (pytest forbids calling a fixture).
    w = conftest.world.__wrapped__(None)
    sw = suggestion_world(w)
    now = timezone.now()

    thread_run = make_run(w, scope_key="matrix-thread")
    thread = make_suggestion(thread_run, w.req_public, w.ach_public, status=SuggestionStatus.MUTUAL,
                             broker=w.broker, sent_at=now - timedelta(days=2))
    message = Message(suggestion=thread, author=w.ent_a_member, body="报价见附件", attachment_name="offer.pdf",
                      attachment_size=len(PDF))
    message.attachment.save("offer.pdf", ContentFile(PDF), save=True)
    meeting_requested = Meeting.objects.create(
        suggestion=thread, mode=MeetingMode.ONLINE, starts_at=now + timedelta(days=3), duration_minutes=60,
        requested_by=w.ent_a_member, requirement_accepted_at=now)
    meeting_pair = make_suggestion(thread_run, w.req_members, w.ach_public, status=SuggestionStatus.MEETING,
                                   broker=w.broker, sent_at=now - timedelta(days=3))
    meeting_confirmed = Meeting.objects.create(
        suggestion=meeting_pair, mode=MeetingMode.ONLINE, starts_at=now - timedelta(hours=2), duration_minutes=60,
        status=MeetingStatus.CONFIRMED, requested_by=w.ent_a_member, requirement_accepted_at=now - timedelta(days=1),
        achievement_accepted_at=now - timedelta(days=1))
    met_run = make_run(w, scope_key="matrix-met")
    met = make_suggestion(met_run, w.req_public, w.ach_public, status=SuggestionStatus.MET, broker=w.broker,
                          sent_at=now - timedelta(days=9))
    Meeting.objects.create(suggestion=met, mode=MeetingMode.ONLINE, starts_at=now - timedelta(days=1),
                           status=MeetingStatus.HELD, requested_by=w.ent_a_member, closed_by=w.broker,
                           closed_at=now, requirement_accepted_at=now - timedelta(days=2),
                           achievement_accepted_at=now - timedelta(days=2))

    evaluation = ExpertEvaluation.objects.create(achievement=w.ach_screened, expert=w.expert, assigned_by=w.bureau,
                                                 status=EvaluationStatus.ASSIGNED)
    import_job = ImportJob.objects.create(
        kind=ImportKind.REQUIREMENT, file_name="matrix/missing.csv", original_name="survey.csv", size=10,
        sha256="0" * 64, file_format="csv", status=ImportStatus.PREVIEWED, created_by=w.bureau,
        preview={"counts": {"created": 1}}, rows=1, errors=[{"row": 2, "column": "title", "message": "required"}],
        error_count=1)
    duplicate = DuplicateCandidate.objects.create(kind="requirement", listing_id=w.req_members.pk,
                                                  other_id=w.req_public.pk, method=DuplicateMethod.TEXT,
                                                  similarity=0.93)
    invitation = Invitation.objects.create(organisation=w.uni, email=w.investor.email, role=Role.UNIVERSITY_MEMBER,
                                           invited_by=w.uni_member)
    notification = Notification.objects.create(user=w.ent_a_member, kind="test", title="给甲企业的通知",
                                               url="/accounts/notifications/")
    users = {role: user for role, user in w.users().items() if role != "pending"}
    data = MatrixData(
        w=w, sw=sw, users=users, thread=thread, message=message, meeting_requested=meeting_requested,
        meeting_pair=meeting_pair, meeting_confirmed=meeting_confirmed, met=met, evaluation=evaluation,
        attachment_members=_attachment(w.req_members, w.ent_a_member, "spec.pdf"),
        attachment_restricted=_attachment(w.req_restricted, w.ent_a_member, "secret.pdf"),
        import_job=import_job, duplicate=duplicate, invitation=invitation, notification=notification,
        membership=Membership.objects.get(user=w.ent_a_member, organisation=w.ent_a),
    )
    _build_events(data)
    return data


def _build_events(data: MatrixData) -> None:
    from events.enums import EventStatus, PlanStatus
    from events.models import Registration, RoadshowEntry, ScheduledMeeting
    from tests.events.builders import conference, make_event

    w, now = data.w, timezone.now()
    conf = data.conf = conference(w)
    data.draft_event = make_event(w, slug="matrix-draft", status=EventStatus.DRAFT)
    data.reg_investor = Registration.objects.create(event=conf.event, organisation=w.investor_org,
                                                    registered_by=w.investor)
    data.entry = RoadshowEntry.objects.create(session=conf.roadshow, achievement=w.ach_public, order=1, minutes=15)
    slot, table = conf.slots[0], conf.tables[0]
    meeting = Meeting.objects.create(
        suggestion=conf.pair, mode=MeetingMode.CONFERENCE, status=MeetingStatus.CONFIRMED, starts_at=slot.starts_at,
        duration_minutes=30, location=str(table), requested_by=w.bureau, requirement_accepted_at=now,
        achievement_accepted_at=now)
    type(conf.pair).objects.filter(pk=conf.pair.pk).update(status=SuggestionStatus.MEETING)
    data.scheduled = ScheduledMeeting.objects.create(
        event=conf.event, suggestion=conf.pair, slot=slot, table=table, status=PlanStatus.CONFIRMED, meeting=meeting,
        confirmed_at=now, changed_by=w.bureau)
