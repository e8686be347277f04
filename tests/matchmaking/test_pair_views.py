"""The portal pages of a pair's life: a pair walked from suggestion to signed agreement through
the pages, every step × every role, double submits, the review queue (rows, order, filters,
bulk decisions, query count), the inbox, the routing and report pages with their exports, the
thread's attachments and the notifications."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.services import notify
from catalog.enums import CooperationMode, ListingStatus
from matchmaking import lifecycle
from matchmaking.models import (
    Agreement,
    Meeting,
    MeetingMode,
    MeetingStatus,
    Message,
    PairEvent,
    PartyAnswer,
    Side,
    Suggestion,
    SuggestionStatus,
)
from matchmaking.reports import STAGES
from matchmaking.routing import suggestion_assign
from tests.factories import AchievementFactory, RequirementFactory, field
from tests.matchmaking.builders import make_run, make_suggestion
from tests.pages import html, login

S = SuggestionStatus
ROLES = ["anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "other_broker", "investor", "expert",
         "pending"]
PARTICIPANTS = {"ent_a", "university", "broker", "bureau"}
PDF = b"%PDF-1.4\n% techdock test offer\n"


@pytest.fixture
def client(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pair_url(pair, name: str = "pair-detail", **kwargs) -> str:
    return reverse(f"matchmaking:{name}", kwargs={"pk": pair.pk, **kwargs})


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def future(days: int = 3) -> str:
    return timezone.localtime(timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def new_pair(world, *, status=S.SUGGESTED, requirement=None, achievement=None, broker="broker", run=None,
             **fields) -> Suggestion:
    now = timezone.now()
    user = getattr(world, broker) if broker else None
    defaults = {"broker": user, "assigned_at": now if user else None,
                "due_at": now + timedelta(hours=72) if user else None, "score": 0.71}
    return make_suggestion(run or make_run(world), requirement or world.req_public, achievement or world.ach_public,
                           status=status, **(defaults | fields))


# --- building a pair's states through the services ------------------------------------------

def advance(world, pair: Suggestion, state: str) -> Meeting | Message | None:
    """Take a suggested pair to ``state`` through the services (so its audit trail is real)."""
    order = ["suggested", "sent", "mutual", "message", "requested", "meeting", "met"]
    target = order.index(state)
    result = None
    if target >= 1:
        lifecycle.suggestion_approve(actor=world.broker, suggestion=pair)
        lifecycle.suggestion_send(suggestion_id=pair.pk)
    if target >= 2:
        lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT, interested=True)
        lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.ACHIEVEMENT, interested=True)
    if state == "message":
        return lifecycle.message_post(actor=world.ent_a_member, suggestion=pair, body="报价见附件",
                                      upload=SimpleUploadedFile("offer.pdf", PDF, content_type="application/pdf"))
    if target >= 4:
        result = lifecycle.meeting_request(actor=world.ent_a_member, suggestion=pair,
                                           starts_at=timezone.now() + timedelta(days=2), duration_minutes=60,
                                           mode=MeetingMode.ONLINE, location="https://meet.example.cn/1")
    if target >= 5:
        lifecycle.meeting_accept(actor=world.uni_member, meeting=result)
    if target >= 6:
        lifecycle.meeting_record_outcome(actor=world.broker, meeting=result, held=True, outcome="双方同意签约")
    pair.refresh_from_db()
    return result


def snapshot(pair: Suggestion) -> tuple:
    """Everything a step may change."""
    pair.refresh_from_db()
    pair.requirement.refresh_from_db()
    return (
        pair.status, pair.event_seq, pair.broker_id, pair.party_note, pair.reject_reason,
        pair.requirement_disclosed_at, pair.achievement_disclosed_at, pair.requirement.status,
        PairEvent.objects.filter(suggestion=pair).count(), PartyAnswer.objects.filter(suggestion=pair).count(),
        Message.objects.filter(suggestion=pair).count(), Agreement.objects.filter(suggestion=pair).count(),
        sorted(Meeting.objects.filter(suggestion=pair).values_list(
            "pk", "status", "requirement_accepted_at", "achievement_accepted_at")),
    )


def events(pair: Suggestion) -> list[str]:
    return list(PairEvent.objects.filter(suggestion=pair).order_by("seq").values_list("action", flat=True))


# --- (a) one pair from suggestion to signed agreement, through the pages ---------------------

def test_a_pair_walks_from_suggestion_to_signed_agreement_through_the_portal(
        client, world, django_capture_on_commit_callbacks, mailoutbox):
    pair = new_pair(world)
    requirement = world.req_public

    # the broker finds it in the queue and opens it
    login(client, world, "broker")
    queue = client.get(reverse("matchmaking:review-queue"))
    assert re.findall(r'data-row data-suggestion="(\d+)"', html(queue)) == [str(pair.pk)]
    page = client.get(pair_url(pair))
    assert page.status_code == 200
    assert 'data-action="approve"' in html(page)

    # the broker approves with a note; after commit the pair is sent to both parties
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(pair_url(pair, "pair-approve"), {"note": "请双方尽快联系。"})
    assert response.status_code == 302 and response["Location"] == pair_url(pair)
    pair.refresh_from_db()
    assert pair.status == S.SENT
    assert pair.party_note == "请双方尽快联系。"
    assert pair.reviewed_by == world.broker and pair.sent_at is not None
    assert events(pair) == ["approved", "sent"]
    assert set(Notification.objects.filter(kind="suggestion_sent").values_list("user__email", flat=True)) == {
        world.ent_a_member.email, world.ent_a_admin.email, world.uni_member.email}

    # the enterprise finds it in its inbox, awaiting its answer, and answers interested
    client.force_login(world.ent_a_member)
    inbox = html(client.get(reverse("matchmaking:inbox")))
    assert f'data-suggestion="{pair.pk}" class="is-awaiting" data-awaiting' in inbox
    assert "请双方尽快联系。" in html(client.get(pair_url(pair)))
    response = client.post(pair_url(pair, "pair-answer"), {"side": Side.REQUIREMENT, "interested": "yes"})
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == S.SENT
    assert list(pair.answers.values_list("side", "interested", "answered_by")) == [
        (Side.REQUIREMENT, True, world.ent_a_member.pk)]

    # the university answers interested: mutual interest, the requirement is in negotiation
    client.force_login(world.uni_member)
    response = client.post(pair_url(pair, "pair-answer"), {"side": Side.ACHIEVEMENT, "interested": "yes"})
    assert response.status_code == 302
    pair.refresh_from_db()
    requirement.refresh_from_db()
    assert pair.status == S.MUTUAL
    assert requirement.status == ListingStatus.IN_NEGOTIATION
    assert events(pair)[-2:] == ["interested", "mutual"]

    # the enterprise posts a message with an attachment; the university downloads it
    client.force_login(world.ent_a_member)
    upload = SimpleUploadedFile("offer.pdf", PDF, content_type="application/pdf")
    response = client.post(pair_url(pair, "pair-message"), {"body": "报价见附件", "attachment": upload})
    assert response.status_code == 302 and response["Location"] == pair_url(pair) + "#thread"
    message = Message.objects.get(suggestion=pair)
    assert (message.author, message.body, message.attachment_name, message.attachment_size) == (
        world.ent_a_member, "报价见附件", "offer.pdf", len(PDF))
    client.force_login(world.uni_member)
    page = html(client.get(pair_url(pair)))
    download = reverse("matchmaking:message-attachment", kwargs={"pk": message.pk})
    assert download in page
    assert message.attachment.name not in page  # no public media path on the page
    file_response = client.get(download)
    assert file_response.status_code == 200
    assert b"".join(file_response.streaming_content) == PDF
    assert "offer.pdf" in file_response["Content-Disposition"]

    # the enterprise proposes a meeting; the university accepts it: the meeting is confirmed
    client.force_login(world.ent_a_member)
    response = client.post(pair_url(pair, "meeting-request"), {
        "mode": MeetingMode.ONLINE, "starts_at": future(), "duration_minutes": 60,
        "location": "https://meet.example.cn/42", "note": "请带上样品数据"})
    assert response.status_code == 302
    meeting = Meeting.objects.get(suggestion=pair)
    assert meeting.status == MeetingStatus.REQUESTED and meeting.requested_by == world.ent_a_member
    assert meeting.requirement_accepted_at is not None and meeting.achievement_accepted_at is None
    pair.refresh_from_db()
    assert pair.status == S.MUTUAL
    client.force_login(world.uni_member)
    response = client.post(pair_url(pair, "meeting-accept", meeting_pk=meeting.pk))
    assert response.status_code == 302
    meeting.refresh_from_db()
    pair.refresh_from_db()
    assert meeting.status == MeetingStatus.CONFIRMED
    assert pair.status == S.MEETING

    # the broker records that the meeting was held
    client.force_login(world.broker)
    response = client.post(pair_url(pair, "meeting-outcome", meeting_pk=meeting.pk),
                           {"held": "yes", "outcome": "双方同意签约"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    pair.refresh_from_db()
    assert (meeting.status, meeting.outcome, meeting.closed_by) == (MeetingStatus.HELD, "双方同意签约", world.broker)
    assert pair.status == S.MET

    # the broker records the agreement: the requirement is contracted
    today = timezone.localdate()
    response = client.post(pair_url(pair, "pair-agreement"), {
        "contract_type": CooperationMode.DEVELOPMENT, "amount": "120.50", "signed_on": today.isoformat(),
        "meeting": meeting.pk, "note": "首期款 30 万元"})
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    assert (agreement.suggestion, agreement.meeting, agreement.contract_type, agreement.amount, agreement.signed_on,
            agreement.broker, agreement.recorded_by) == (
        pair, meeting, CooperationMode.DEVELOPMENT, Decimal("120.50"), today, world.broker, world.broker)
    assert (agreement.requirement_organisation, agreement.achievement_organisation) == (world.ent_a, world.uni)
    pair.refresh_from_db()
    requirement.refresh_from_db()
    assert pair.status == S.SIGNED
    assert requirement.status == ListingStatus.CONTRACTED == "contracted"

    # the audit trail holds every step, in order, each attributed
    trail = list(PairEvent.objects.filter(suggestion=pair).order_by("seq").values_list(
        "seq", "action", "to_status", "actor"))
    assert trail == [
        (1, "approved", S.APPROVED, world.broker.pk),
        (2, "sent", S.SENT, None),
        (3, "interested", S.SENT, world.ent_a_member.pk),
        (4, "mutual", S.MUTUAL, world.uni_member.pk),
        (5, "meeting_requested", S.MUTUAL, world.ent_a_member.pk),
        (6, "meeting_accepted", S.MUTUAL, world.uni_member.pk),
        (7, "meeting_confirmed", S.MEETING, world.uni_member.pk),
        (8, "met", S.MET, world.broker.pk),
        (9, "signed", S.SIGNED, world.broker.pk),
    ]
    # and the pair page shows the agreement and the timeline to a party
    client.force_login(world.ent_a_member)
    page = html(client.get(pair_url(pair)))
    assert f'data-agreement="{agreement.pk}"' in page and "120.50" in page
    assert re.findall(r'data-event="\d+" data-action="(\w+)"', page) == [row[1] for row in trail]


# --- (b) every step × every role -------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    name: str
    state: str  # what advance() builds first
    url: str  # URL name; meeting steps take the pair's meeting
    data: dict
    allowed: frozenset
    # Roles that see the pair but are refused otherwise than by a 403 (a state conflict).
    other: tuple = ()
    method: str = "post"


SUGGESTED_VIEWERS = {"broker", "bureau"}
STEPS = [
    Step("view-suggested", "suggested", "pair-detail", {}, frozenset({"broker", "bureau"}), method="get"),
    Step("view-sent", "sent", "pair-detail", {}, frozenset(PARTICIPANTS), method="get"),
    Step("approve", "suggested", "pair-approve", {"note": "好"}, frozenset({"broker", "bureau"})),
    Step("reject", "suggested", "pair-reject", {"reason": "领域不符"}, frozenset({"broker", "bureau"})),
    Step("note", "suggested", "pair-note", {"note": "新备注"}, frozenset({"broker", "bureau"})),
    Step("assign", "suggested", "pair-assign", {"broker": "other_broker"}, frozenset({"bureau"})),
    Step("answer", "sent", "pair-answer", {"side": Side.REQUIREMENT, "interested": "yes"}, frozenset({"ent_a"})),
    Step("disclose", "mutual", "pair-disclose", {"side": Side.REQUIREMENT}, frozenset({"ent_a"})),
    Step("message", "mutual", "pair-message", {"body": "你好"}, frozenset(PARTICIPANTS)),
    Step("meeting-request", "mutual", "meeting-request", {"mode": "online", "duration_minutes": 45,
                                                          "starts_at": "future"}, frozenset(PARTICIPANTS)),
    Step("meeting-accept", "requested", "meeting-accept", {}, frozenset({"university"}),
         other=(("ent_a", 409),)),
    Step("meeting-cancel", "requested", "meeting-cancel", {"reason": "时间冲突"}, frozenset(PARTICIPANTS)),
    Step("meeting-outcome", "meeting", "meeting-outcome", {"held": "yes", "outcome": "顺利"},
         frozenset({"broker", "bureau"})),
    Step("agreement", "met", "pair-agreement", {"contract_type": "transfer", "amount": "88", "signed_on": "today"},
         frozenset({"broker", "bureau"})),
    Step("close", "mutual", "pair-close", {"reason": "价格谈不拢"}, frozenset(PARTICIPANTS)),
    Step("attachment", "message", "message-attachment", {}, frozenset(PARTICIPANTS), method="get"),
]


def step_request(client, world, step: Step, pair: Suggestion, made):
    if step.url == "message-attachment":
        return client.get(reverse("matchmaking:message-attachment", kwargs={"pk": made.pk}))
    kwargs = {"meeting_pk": made.pk} if step.url.startswith("meeting-") and step.url != "meeting-request" else {}
    url = pair_url(pair, step.url, **kwargs)
    if step.method == "get":
        return client.get(url)
    data = dict(step.data)
    if data.get("broker") == "other_broker":
        data["broker"] = world.other_broker.pk
    if data.get("starts_at") == "future":
        data["starts_at"] = future()
    if data.get("signed_on") == "today":
        data["signed_on"] = timezone.localdate().isoformat()
    return client.post(url, data)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", STEPS, ids=[step.name for step in STEPS])
def test_each_step_is_open_to_exactly_the_roles_allowed(client, world, django_capture_on_commit_callbacks, step,
                                                        role):
    # given the pair in the state the step needs
    pair = new_pair(world)
    with django_capture_on_commit_callbacks(execute=False):
        made = advance(world, pair, step.state)
    before = snapshot(pair)
    login(client, world, role)

    # when the role takes the step
    with django_capture_on_commit_callbacks(execute=False):
        response = step_request(client, world, step, pair, made)

    # then only the allowed roles get through; the others see a 404 (pair hidden), a 403 (seen,
    # not theirs to do) or a 409 (a state conflict), and nothing changed for them
    viewers = SUGGESTED_VIEWERS if step.state == "suggested" else PARTICIPANTS
    other = dict(step.other)
    if role == "anonymous":
        expected = 302
    elif role in step.allowed:
        expected = 200 if step.method == "get" else 302
    elif role in other:
        expected = other[role]
    elif role in viewers:
        expected = 403
    else:
        expected = 404
    assert response.status_code == expected, html(response)[:500] if hasattr(response, "content") else ""
    if role == "anonymous":
        assert response["Location"].startswith(reverse("accounts:login"))
    if role in step.allowed and step.method == "post":
        assert response["Location"].startswith(pair_url(pair))
        assert snapshot(pair) != before
    else:
        assert snapshot(pair) == before


def test_step_effects_for_the_allowed_roles(client, world, django_capture_on_commit_callbacks):
    """The steps the walk-through does not take: reject, note, assign, disclose, cancel, close."""
    login(client, world, "bureau")
    rejected, noted, assigned = new_pair(world), new_pair(world), new_pair(world)

    client.post(pair_url(rejected, "pair-reject"), {"reason": "领域不符"})
    client.post(pair_url(noted, "pair-note"), {"note": "新备注"})
    client.post(pair_url(assigned, "pair-assign"), {"broker": world.other_broker.pk})

    rejected.refresh_from_db()
    noted.refresh_from_db()
    assigned.refresh_from_db()
    assert (rejected.status, rejected.reject_reason, rejected.reviewed_by) == (S.REJECTED, "领域不符", world.bureau)
    assert (noted.status, noted.party_note) == (S.SUGGESTED, "新备注")
    assert assigned.broker == world.other_broker and assigned.due_at is not None
    assert events(assigned) == ["assigned"]
    client.post(pair_url(assigned, "pair-assign"), {"broker": ""})
    assigned.refresh_from_db()
    assert assigned.broker is None and assigned.due_at is None

    pair = new_pair(world)
    with django_capture_on_commit_callbacks(execute=False):
        meeting = advance(world, pair, "requested")
    client.force_login(world.ent_a_member)
    client.post(pair_url(pair, "pair-disclose"), {"side": Side.REQUIREMENT})
    client.post(pair_url(pair, "meeting-cancel", meeting_pk=meeting.pk), {"reason": "时间冲突"})
    client.post(pair_url(pair, "pair-close"), {"reason": "价格谈不拢"})
    pair.refresh_from_db()
    meeting.refresh_from_db()
    world.req_public.refresh_from_db()
    assert pair.requirement_disclosed_at is not None and pair.achievement_disclosed_at is None
    assert (meeting.status, meeting.outcome) == (MeetingStatus.CANCELLED, "时间冲突")
    assert pair.status == S.NO_DEAL
    assert world.req_public.status == ListingStatus.PUBLISHED
    assert events(pair)[-3:] == ["disclosed", "meeting_cancelled", "no_deal"]


def test_a_meeting_of_another_pair_is_404(client, world, django_capture_on_commit_callbacks):
    pair, other = new_pair(world), new_pair(world, requirement=world.req_members)
    with django_capture_on_commit_callbacks(execute=False):
        meeting = advance(world, other, "requested")
        advance(world, pair, "mutual")
    login(client, world, "university")

    response = client.post(pair_url(pair, "meeting-accept", meeting_pk=meeting.pk))

    assert response.status_code == 404
    meeting.refresh_from_db()
    assert meeting.achievement_accepted_at is None


@pytest.mark.parametrize("name", ["pair-approve", "pair-reject", "pair-answer", "pair-message", "pair-close"])
def test_post_endpoints_refuse_get(client, world, name):
    pair = new_pair(world)
    login(client, world, "bureau")

    assert client.get(pair_url(pair, name)).status_code == 405


def test_posts_need_the_csrf_token(world):
    from django.test import Client

    pair = new_pair(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.broker)

    response = client.post(pair_url(pair, "pair-approve"), {"note": ""})

    assert response.status_code == 403
    pair.refresh_from_db()
    assert pair.status == S.SUGGESTED and pair.event_seq == 0


# --- refusals on the form, and (c) double submits ------------------------------------------

def test_double_approve_says_already_decided_and_records_one_transition(client, world,
                                                                       django_capture_on_commit_callbacks):
    pair = new_pair(world)
    login(client, world, "broker")

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(pair_url(pair, "pair-approve"), {"note": "好"})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = client.post(pair_url(pair, "pair-approve"), {"note": "好"})

    assert first.status_code == 302
    assert second.status_code == 409
    assert "This suggestion has already been decided (Sent to both parties)." in html(second)
    assert "data-error" in html(second)  # the error summary at the top links to the form
    assert events(pair) == ["approved", "sent"]
    assert callbacks == []


def test_double_answer_says_already_answered_and_records_one_answer(client, world,
                                                                   django_capture_on_commit_callbacks):
    pair = new_pair(world)
    with django_capture_on_commit_callbacks(execute=False):
        advance(world, pair, "sent")
    login(client, world, "ent_a")
    data = {"side": Side.REQUIREMENT, "interested": "yes"}

    first = client.post(pair_url(pair, "pair-answer"), data)
    second = client.post(pair_url(pair, "pair-answer"), data)

    assert first.status_code == 302
    assert second.status_code == 409
    assert "Your organisation has already answered this suggestion." in html(second)
    assert PartyAnswer.objects.filter(suggestion=pair).count() == 1
    assert events(pair).count("interested") == 1


def test_not_interested_without_a_reason_is_shown_on_the_form(client, world, django_capture_on_commit_callbacks):
    pair = new_pair(world)
    with django_capture_on_commit_callbacks(execute=False):
        advance(world, pair, "sent")
    login(client, world, "university")

    response = client.post(pair_url(pair, "pair-answer"), {"side": Side.ACHIEVEMENT, "interested": "no",
                                                            "reason": "  "})

    assert response.status_code == 400
    assert "Say why you are not interested; the broker will read it." in html(response)
    assert PartyAnswer.objects.filter(suggestion=pair).count() == 0
    pair.refresh_from_db()
    assert pair.status == S.SENT


def test_reject_without_reason_and_past_meeting_are_form_errors(client, world, django_capture_on_commit_callbacks):
    pair, mutual = new_pair(world), new_pair(world, requirement=world.req_members)
    with django_capture_on_commit_callbacks(execute=False):
        advance(world, mutual, "mutual")
    login(client, world, "broker")

    reject = client.post(pair_url(pair, "pair-reject"), {"reason": ""})
    past = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    meeting = client.post(pair_url(mutual, "meeting-request"), {"mode": "online", "starts_at": past,
                                                                "duration_minutes": 30})

    assert reject.status_code == 400 and "This field is required." in html(reject)
    assert meeting.status_code == 400 and "The meeting must start in the future." in html(meeting)
    assert Meeting.objects.count() == 0
    pair.refresh_from_db()
    assert pair.status == S.SUGGESTED


def test_party_never_sees_budget_component_or_internal_routing(client, world, django_capture_on_commit_callbacks):
    pair = new_pair(world, broker=None, components={"fields": 1.0, "trl": 1.0, "modes": 1.0, "ip": 1.0,
                                                    "budget": 0.376, "region": 0.5})
    suggestion_assign(actor=world.bureau, suggestion=pair, broker=world.broker)
    with django_capture_on_commit_callbacks(execute=False):
        advance(world, pair, "sent")

    login(client, world, "ent_a")
    party = html(client.get(pair_url(pair)))
    client.force_login(world.broker)
    broker = html(client.get(pair_url(pair)))

    assert 'data-component="budget"' not in party and 'data-component="budget"' in broker
    assert 'data-action="assigned"' not in party and 'data-action="assigned"' in broker
    # the enterprise reads its own budget, not the university's asking price
    assert re.search(r'data-side="requirement".*?data-field="budget"', party, flags=re.S)
    assert 'data-side="achievement"' in party
    achievement_side = party.split('data-side="achievement"', 1)[1].split("</article>", 1)[0]
    assert 'data-field="budget"' not in achievement_side


# --- (d) the review queue --------------------------------------------------------------------

@pytest.fixture
def queue(world):
    """Pairs awaiting review: two of the broker's (one overdue, another field), one of the other
    broker's, one not yet routed, and a decided one of the broker's that must not be listed."""
    now = timezone.now()
    run, other_run = make_run(world), make_run(world, scope_key="event:1")
    ai = field("ai")
    req_ai = RequirementFactory(organisation=world.ent_b, title="人工智能质检需求", fields=[ai])
    ach_2 = AchievementFactory(organisation=world.uni, title="第二项成果")
    return {
        "best": new_pair(world, run=run, score=0.9, assigned_at=now - timedelta(hours=1),
                         due_at=now + timedelta(hours=71)),
        "overdue": new_pair(world, run=other_run, requirement=req_ai, score=0.5, assigned_at=now - timedelta(hours=80),
                            due_at=now - timedelta(hours=8), flags=[{"code": "trl_gap", "blocking": True,
                                                                     "params": {"required": 7, "offered": 3}}]),
        "other": new_pair(world, run=run, achievement=ach_2, broker="other_broker", score=0.7),
        "unrouted": new_pair(world, run=run, requirement=world.req_members, broker=None, score=0.6),
        "decided": new_pair(world, run=run, requirement=world.req_members, achievement=ach_2,
                            status=S.APPROVED, score=0.95),
    }


def queue_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-row data-suggestion="(\d+)"', html(response))]


QUEUE_ROWS = {
    "broker": ["best", "overdue"],
    "other_broker": ["other"],
    "bureau": ["best", "other", "unrouted", "overdue"],
}


@pytest.mark.parametrize("role", ROLES)
def test_review_queue_shows_exactly_each_roles_pairs(client, world, queue, role):
    login(client, world, role)

    response = client.get(reverse("matchmaking:review-queue"))

    if role == "anonymous":
        assert response.status_code == 302
    elif role in QUEUE_ROWS:
        assert response.status_code == 200
        assert queue_ids(response) == [queue[name].pk for name in QUEUE_ROWS[role]]
    else:
        assert response.status_code == 403


def test_review_queue_sorts_by_score_age_and_due(client, world, queue):
    login(client, world, "broker")

    by = {sort: queue_ids(client.get(reverse("matchmaking:review-queue"), {"sort": sort}))
          for sort in ("score", "age", "due")}

    assert by["score"] == [queue["best"].pk, queue["overdue"].pk]
    assert by["age"] == [queue["overdue"].pk, queue["best"].pk]
    assert by["due"] == [queue["overdue"].pk, queue["best"].pk]


def test_review_queue_filters(client, world, queue):
    login(client, world, "bureau")
    url = reverse("matchmaking:review-queue")
    other_run = queue["overdue"].run_id

    assert queue_ids(client.get(url, {"field": field("ai").pk})) == [queue["overdue"].pk]
    assert queue_ids(client.get(url, {"run": other_run})) == [queue["overdue"].pk]
    assert queue_ids(client.get(url, {"overdue": "on"})) == [queue["overdue"].pk]
    assert queue_ids(client.get(url, {"unassigned": "on"})) == [queue["unrouted"].pk]
    assert queue_ids(client.get(url, {"broker": world.other_broker.pk})) == [queue["other"].pk]


def test_review_queue_rows_show_badges_due_date_and_both_sides(client, world, queue):
    login(client, world, "broker")

    page = html(client.get(reverse("matchmaking:review-queue")))

    rows = dict(re.findall(r'<tr data-row data-suggestion="(\d+)"[^>]*>(.*?)</tr>', page, flags=re.S))
    overdue, best = rows[str(queue["overdue"].pk)], rows[str(queue["best"].pk)]
    assert 'data-badge="overdue"' in overdue and 'data-badge="blocking"' in overdue
    assert 'data-badge="overdue"' not in best and 'data-badge="blocking"' not in best
    assert "人工智能质检需求" in overdue and world.ach_public.title in overdue
    assert world.ent_b.name_en in overdue and world.uni.name_en in overdue
    assert timezone.localtime(queue["overdue"].due_at).strftime("%Y-%m-%d %H:%M") in overdue
    assert "0.50" in overdue
    # keyboard support comes from a static file; the page has no inline script, style or handler
    assert "js/review-queue.js" in page


def test_bulk_approve_with_a_partial_failure(client, world, queue, django_capture_on_commit_callbacks):
    login(client, world, "broker")
    url = reverse("matchmaking:review-queue") + "?sort=score"
    # the broker's own pair, another broker's (which this broker may not even see), and one decided
    ids = [queue["best"].pk, queue["other"].pk, queue["decided"].pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"ids": ids, "decision": "approve"}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    notes = page_messages(response)
    assert notes == [
        "1 pair approved.",
        f"Pair {queue['other'].pk} was not decided: This suggestion no longer exists.",
        f"Pair {queue['decided'].pk} was not decided: This suggestion has already been decided "
        "(Approved by broker).",
    ]
    for name, status in (("best", S.SENT), ("other", S.SUGGESTED), ("overdue", S.SUGGESTED)):
        queue[name].refresh_from_db()
        assert queue[name].status == status
    assert events(queue["other"]) == []
    assert queue_ids(response) == [queue["overdue"].pk]


def test_bulk_reject_needs_a_reason_and_changes_nothing_without_one(client, world, queue):
    login(client, world, "broker")

    response = client.post(reverse("matchmaking:review-queue"),
                           {"ids": [queue["best"].pk, queue["overdue"].pk], "decision": "reject", "reason": " "})

    assert response.status_code == 400
    assert "Give a reason for rejecting" in html(response)
    assert 'checked aria-label' in html(response)  # the selection survives
    assert Suggestion.objects.filter(status=S.REJECTED).count() == 0


def test_bulk_reject_with_a_reason(client, world, queue, django_capture_on_commit_callbacks):
    login(client, world, "bureau")

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("matchmaking:review-queue"), {
            "ids": [queue["best"].pk, queue["unrouted"].pk, queue["decided"].pk], "decision": "reject",
            "reason": "预算差距过大"}, follow=True)

    notes = page_messages(response)
    assert "2 pairs rejected." in notes
    assert any(f"Pair {queue['decided'].pk} was not decided: This suggestion has already been decided" in note
               for note in notes)
    assert set(Suggestion.objects.filter(status=S.REJECTED, reject_reason="预算差距过大")
               .values_list("pk", flat=True)) == {queue["best"].pk, queue["unrouted"].pk}


@pytest.mark.parametrize("role", ["broker", "bureau"])
def test_review_queue_query_count_does_not_grow_with_rows(client, world, role):
    login(client, world, role)
    run = make_run(world)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("matchmaking:review-queue"), {"field": field("energy-storage").pk})
            assert response.status_code == 200
        return len(ctx.captured_queries), len(queue_ids(response))

    new_pair(world, run=run)
    count()  # warm-up: per-process caches (content types, translations) fill on the first request
    one, rows_one = count()
    for _ in range(2):
        new_pair(world, run=run, achievement=AchievementFactory(organisation=world.uni))
    three, rows_three = count()

    assert (rows_one, rows_three) == (1, 3)
    assert three == one


# --- the inbox -------------------------------------------------------------------------------

def test_inbox_lists_the_organisations_pairs_awaiting_answer_first(client, world,
                                                                    django_capture_on_commit_callbacks):
    answered, waiting = new_pair(world), new_pair(world, requirement=world.req_members)
    b_pair = new_pair(world, requirement=RequirementFactory(organisation=world.ent_b, title="乙企业需求"),
                      broker="other_broker")
    unreviewed = new_pair(world, achievement=AchievementFactory(organisation=world.uni))
    with django_capture_on_commit_callbacks(execute=False):
        for pair in (answered, waiting, b_pair):
            lifecycle.suggestion_approve(actor=pair.broker, suggestion=pair)
            lifecycle.suggestion_send(suggestion_id=pair.pk)
        lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=answered, side=Side.REQUIREMENT,
                                    interested=True)
    login(client, world, "ent_a")

    page = html(client.get(reverse("matchmaking:inbox")))

    rows = re.findall(r'<tr data-suggestion="(\d+)"( class="is-awaiting" data-awaiting)?', page)
    assert rows == [(str(waiting.pk), ' class="is-awaiting" data-awaiting'), (str(answered.pk), "")]
    assert str(unreviewed.pk) not in rows and str(b_pair.pk) not in [pk for pk, _ in rows]
    client.force_login(world.ent_b_member)
    assert re.findall(r'<tr data-suggestion="(\d+)"', html(client.get(reverse("matchmaking:inbox")))) == [
        str(b_pair.pk)]


def test_inbox_query_count_does_not_grow_with_rows(client, world, django_capture_on_commit_callbacks):
    run = make_run(world)
    login(client, world, "university")

    def add_sent() -> None:
        pair = new_pair(world, run=run, requirement=RequirementFactory(organisation=world.ent_a))
        with django_capture_on_commit_callbacks(execute=False):
            lifecycle.suggestion_approve(actor=world.broker, suggestion=pair)
            lifecycle.suggestion_send(suggestion_id=pair.pk)
            lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.ACHIEVEMENT,
                                        interested=True)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("matchmaking:inbox"))
        return len(ctx.captured_queries), len(re.findall(r"<tr data-suggestion=", html(response)))

    add_sent()
    count()  # warm-up
    one, rows_one = count()
    add_sent()
    add_sent()
    three, rows_three = count()

    assert (rows_one, rows_three) == (1, 3)
    assert three == one


@pytest.mark.parametrize("role", ["bureau", "broker", "investor", "expert", "pending"])
def test_inbox_is_for_parties(client, world, role):
    login(client, world, role)

    assert client.get(reverse("matchmaking:inbox")).status_code == 403


# --- (e) routing and reports -----------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_routing_and_reports_are_for_bureau_staff(client, world, role, django_capture_on_commit_callbacks):
    pair = new_pair(world, broker=None)
    login(client, world, role)

    with django_capture_on_commit_callbacks(execute=False):
        pages = [client.get(reverse("matchmaking:routing")), client.get(reverse("matchmaking:reports")),
                 client.get(reverse("matchmaking:reports"), {"format": "csv"})]
        route = client.post(reverse("matchmaking:routing-run"))

    expected = 302 if role == "anonymous" else 200 if role == "bureau" else 403
    assert [page.status_code for page in pages] == [expected] * 3
    assert route.status_code == (403 if role not in ("anonymous", "bureau") else 302)
    pair.refresh_from_db()
    assert pair.broker_id is None  # no broker has the field: routing by bureau staff leaves it waiting too


def test_routing_page_numbers_equal_database_counts(client, world, queue, django_capture_on_commit_callbacks):
    world.broker.broker_profile.capacity = 3
    world.broker.broker_profile.save()
    login(client, world, "bureau")

    page = html(client.get(reverse("matchmaking:routing")))

    pending = Suggestion.objects.filter(status=S.SUGGESTED)
    assert re.search(r'data-stat="unassigned">(\d+)<', page).group(1) == str(pending.filter(broker=None).count())
    overdue = pending.filter(due_at__lt=timezone.now())
    assert re.search(r'data-stat="overdue">(\d+)<', page).group(1) == str(overdue.count()) == "1"
    loads = dict(pending.values_list("broker").annotate(n=Count("pk")).values_list("broker", "n"))
    for broker in (world.broker, world.other_broker):
        row = re.search(rf'<tr data-broker="{broker.pk}"[^>]*>(.*?)</tr>', page, flags=re.S).group(1)
        assert re.search(r"data-load>(\d+)<", row).group(1) == str(loads[broker.pk])
        assert re.search(r"data-capacity>(\d+)<", row).group(1) == str(broker.broker_profile.capacity)
    assert f'data-suggestion="{queue["overdue"].pk}"' in page.split('id="overdue-title"', 1)[1]

    # route now: the unrouted pair goes to a broker with the field and capacity
    energy = field("energy-storage")
    energy.brokers.add(world.other_broker.broker_profile)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("matchmaking:routing-run"), follow=True)
    queue["unrouted"].refresh_from_db()
    assert queue["unrouted"].broker == world.other_broker
    assert "1 suggestions were routed to brokers; 0 wait" in " ".join(page_messages(response))
    assert re.search(r'data-stat="unassigned">(\d+)<', html(response)).group(1) == "0"


@pytest.fixture
def outcomes(world, django_capture_on_commit_callbacks):
    """Pairs at different stages, walked through the services: signed, met, mutual, sent,
    rejected, suggested, and a superseded one that no report counts."""
    run = make_run(world)
    reqs = [world.req_public, world.req_members] + [RequirementFactory(organisation=world.ent_a) for _ in range(4)]
    pairs = [new_pair(world, run=run, requirement=req) for req in reqs[:5]]
    with django_capture_on_commit_callbacks(execute=False):
        met_meeting = advance(world, pairs[0], "met")
        lifecycle.agreement_record(actor=world.broker, suggestion=pairs[0], contract_type="licence",
                                   amount="250.00", signed_on=timezone.localdate(), meeting=met_meeting)
        advance(world, pairs[1], "met")
        advance(world, pairs[2], "mutual")
        advance(world, pairs[3], "sent")
        lifecycle.suggestion_reject(actor=world.broker, suggestion=pairs[4], reason="不合适")
    other = new_pair(world, run=run, requirement=reqs[5], broker="other_broker")
    new_pair(world, run=make_run(world), status=S.SUPERSEDED)
    return {"run": run, "pairs": pairs, "other": other}


def db_reached(stage: str, **filters) -> int:
    qs = Suggestion.objects.exclude(status=S.SUPERSEDED).filter(**filters)
    if stage == "suggested":
        return qs.count()
    return qs.filter(events__to_status=stage).distinct().count()


def test_report_funnel_and_league_equal_database_counts(client, world, outcomes):
    login(client, world, "bureau")

    page = html(client.get(reverse("matchmaking:reports")))
    grouped = html(client.get(reverse("matchmaking:reports"), {"group_by": "broker"}))

    overall = {stage: int(re.search(rf'data-overall-stage="{stage}">.*?data-n>(\d+)<', page, flags=re.S).group(1))
               for stage in STAGES}
    assert overall == {stage: db_reached(stage) for stage in STAGES}
    assert overall == {"suggested": 6, "approved": 4, "sent": 4, "mutual": 3, "met": 2, "signed": 1}
    for broker in (world.broker, world.other_broker):
        row = re.search(rf'<tr data-group="{broker.pk}">(.*?)</tr>', grouped, flags=re.S).group(1)
        cells = dict(re.findall(r'data-stage="(\w+)"><span data-n>(\d+)<', row))
        assert cells == {stage: str(db_reached(stage, broker=broker)) for stage in STAGES}
    league = re.search(rf'<tr data-league-broker="{world.broker.pk}">(.*?)</tr>', page, flags=re.S).group(1)
    columns = dict(re.findall(r'data-col="(\w+)">([^<]+)<', league))
    assert columns["signed"] == str(Agreement.objects.filter(broker=world.broker).count()) == "1"
    assert columns["rejected"] == str(Suggestion.objects.filter(broker=world.broker, status=S.REJECTED).count())
    assert columns["amount"] == "250.00"
    assert columns["suggested"] == str(db_reached("suggested", broker=world.broker)) == "5"


def test_report_exports_parse_back_with_the_same_numbers(client, world, outcomes):
    import openpyxl

    login(client, world, "bureau")
    url = reverse("matchmaking:reports")

    funnel_csv = client.get(url, {"group_by": "broker", "format": "csv", "table": "funnel"})
    league_xlsx = client.get(url, {"format": "xlsx", "table": "league"})
    funnel_xlsx = client.get(url, {"format": "xlsx"})

    assert funnel_csv.status_code == 200 and funnel_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(funnel_csv.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    by_label = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    mine = by_label[str(world.broker)]
    for stage, label in zip(STAGES, header[1:7], strict=True):
        assert int(mine[label]) == db_reached(stage, broker=world.broker)
    assert Decimal(mine[header[-1]]) == Decimal("250.00")

    sheet = openpyxl.load_workbook(io.BytesIO(league_xlsx.content), read_only=True).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ["Rank", "Broker"]
    first = dict(zip(values[0], values[1], strict=True))
    assert (first["Broker"], first["Agreements signed"], first["Amount signed (10k CNY)"]) == (
        str(world.broker), 1, 250)
    assert first["Rejected"] == Suggestion.objects.filter(broker=world.broker, status=S.REJECTED).count()

    sheet = openpyxl.load_workbook(io.BytesIO(funnel_xlsx.content), read_only=True).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(values) == 2
    assert values[1][1:7] == [db_reached(stage) for stage in STAGES]


def test_report_filters_by_run_and_rejects_unknown_formats(client, world, outcomes):
    login(client, world, "bureau")
    empty_run = make_run(world, scope_key="event:9")

    filtered = html(client.get(reverse("matchmaking:reports"), {"run": empty_run.pk}))
    bad = client.get(reverse("matchmaking:reports"), {"format": "pdf"})

    assert "data-overall-stage" not in filtered and "data-empty" in filtered
    assert bad.status_code == 400


# --- (f) attachments -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_attachment_download_only_for_the_pairs_participants(client, world, role,
                                                             django_capture_on_commit_callbacks):
    pair = new_pair(world)
    with django_capture_on_commit_callbacks(execute=False):
        message = advance(world, pair, "message")
    login(client, world, role)

    response = client.get(reverse("matchmaking:message-attachment", kwargs={"pk": message.pk}))

    if role == "anonymous":
        assert response.status_code == 302
    elif role in PARTICIPANTS:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Cache-Control"] == "private, no-store"
    else:
        assert response.status_code == 404
    assert not hasattr(response, "content") or PDF not in response.content


def test_attachment_of_a_message_without_file_is_404(client, world, django_capture_on_commit_callbacks):
    pair = new_pair(world)
    with django_capture_on_commit_callbacks(execute=False):
        advance(world, pair, "mutual")
        message = lifecycle.message_post(actor=world.uni_member, suggestion=pair, body="无附件")
    login(client, world, "university")

    assert client.get(reverse("matchmaking:message-attachment", kwargs={"pk": message.pk})).status_code == 404


# --- listing pages, notifications, nav, CSP --------------------------------------------------

def test_listing_page_links_each_suggestion_to_its_pair(client, world):
    pair = new_pair(world)
    login(client, world, "broker")

    page = html(client.get(reverse("catalog:requirement-detail", kwargs={"pk": world.req_public.pk})))

    assert f'href="{pair_url(pair)}" data-pair-link' in page


def test_notifications_page_lists_own_marks_read_and_counts_in_the_nav(client, world):
    notify(users=[world.ent_a_member], kind="test", message=lambda: ("给你的通知", "正文"),
           url=reverse("matchmaking:inbox"), email=False)
    notify(users=[world.ent_a_member], kind="test", message=lambda: ("第二条", ""), email=False)
    notify(users=[world.uni_member], kind="test", message=lambda: ("别人的通知", ""), email=False)
    login(client, world, "ent_a")

    page = html(client.get(reverse("accounts:notifications")))

    assert "给你的通知" in page and "第二条" in page and "别人的通知" not in page
    assert re.search(r"data-unread-count>(\d+)<", page).group(1) == "2"
    mine = Notification.objects.get(title="给你的通知")
    opened = client.post(reverse("accounts:notification-open", kwargs={"pk": mine.pk}))
    assert opened.status_code == 302 and opened["Location"] == reverse("matchmaking:inbox")
    mine.refresh_from_db()
    assert mine.read_at is not None
    others = Notification.objects.get(title="别人的通知")
    assert client.post(reverse("accounts:notification-open", kwargs={"pk": others.pk})).status_code == 404

    response = client.post(reverse("accounts:notifications-read"), follow=True)

    assert not Notification.objects.filter(user=world.ent_a_member, read_at__isnull=True).exists()
    assert Notification.objects.get(title="别人的通知").read_at is None
    assert "data-unread-count" not in html(response)


def test_notifications_need_sign_in(client, world):
    assert client.get(reverse("accounts:notifications")).status_code == 302
    assert client.post(reverse("accounts:notifications-read")).status_code == 302


NAV = {
    "review-queue": {"broker", "other_broker", "bureau"},
    "inbox": {"ent_a", "ent_b", "university"},
    "routing": {"bureau"},
    "reports": {"bureau"},
}


@pytest.mark.parametrize("role", ROLES)
def test_nav_links_by_role(client, world, role):
    login(client, world, role)

    page = html(client.get(reverse("portal:home")))

    for name, roles in NAV.items():
        assert (f'href="{reverse(f"matchmaking:{name}")}"' in page) == (role in roles), name
    assert (reverse("accounts:notifications") in page) == (role != "anonymous")


def test_pages_have_no_inline_script_style_or_handlers(client, world, queue, django_capture_on_commit_callbacks):
    pair = new_pair(world)
    with django_capture_on_commit_callbacks(execute=False):
        meeting = advance(world, pair, "requested")
    login(client, world, "bureau")
    urls = [reverse("matchmaking:review-queue"), pair_url(pair), pair_url(queue["best"]),
            reverse("matchmaking:routing"), reverse("matchmaking:reports"), reverse("accounts:notifications")]
    client_party = client.__class__()
    client_party.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client_party.force_login(world.uni_member)

    pages = [html(client.get(url)) for url in urls] + [html(client_party.get(pair_url(pair))),
                                                        html(client_party.get(reverse("matchmaking:inbox")))]

    assert f'data-meeting="{meeting.pk}"' in pages[1]
    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
        assert " style=" not in page
        assert not re.search(r"\son[a-z]+=", page)
