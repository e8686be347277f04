"""A pair's life through the REST API: broker review, the parties' answers, the negotiation
thread and meetings, the agreement, the outcome reports and notifications.

The walk from suggestion to signed agreement uses the API only; the permission tests put the
pair at the stage before each step (through the services) and try the step as every role of
the ``world`` fixture, each attempt in a savepoint that is rolled back, so every role meets the
same state and a refusal is shown to change nothing."""

import csv
import dataclasses
import io
import itertools
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection, transaction
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification
from catalog.enums import CooperationMode, ListingStatus
from catalog.models import Requirement
from matchmaking import lifecycle
from matchmaking.models import (
    Agreement,
    Meeting,
    MeetingStatus,
    Message,
    PairEvent,
    PartyAnswer,
    Side,
    Suggestion,
    SuggestionStatus,
)
from tests.conftest import services_required
from tests.factories import AchievementFactory, RequirementFactory, ensure_taxonomy, field
from tests.matchmaking.builders import make_run, make_suggestion, suggestion_world

S = SuggestionStatus
ROLES = ["anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "other_broker", "investor", "expert",
         "pending"]
# Who sees the pair (req_public ↔ ach_public, routed to world.broker) while it awaits review, and
# once it was sent to the parties.
SEES_REVIEW = {"bureau", "broker"}
SEES_SENT = {"bureau", "broker", "ent_a", "university"}


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"matchmaking-api:{name}", args=args)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def actions(pair) -> list[str]:
    return list(PairEvent.objects.filter(suggestion=pair).order_by("seq").values_list("action", flat=True))


def upload(name: str = "报价.pdf", content: bytes = b"%PDF-1.4 offer") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def pair(world):
    """req_public (enterprise A) ↔ ach_public (the university) awaiting review by world.broker."""
    return make_suggestion(make_run(world), world.req_public, world.ach_public, status=S.SUGGESTED,
                           broker=world.broker, assigned_at=timezone.now(), due_at=timezone.now() + timedelta(days=3))


STAGES = ["suggested", "sent", "mutual", "meeting_requested", "meeting_confirmed", "met", "signed"]


def advance(pair, world, stage: str) -> Suggestion:
    """Drive a pair through the services (not the API under test) to ``stage``. Outside a
    transactional test the approval's after-commit send never runs, so it is called here."""
    done = {
        S.SUGGESTED: "suggested", S.SENT: "sent", S.MUTUAL: "mutual", S.MEETING: "meeting_confirmed",
        S.MET: "met", S.SIGNED: "signed",
    }[fresh(pair).status]
    if done == "mutual" and pair.meetings.filter(status=MeetingStatus.REQUESTED).exists():
        done = "meeting_requested"
    for step in STAGES[STAGES.index(done) + 1:STAGES.index(stage) + 1]:
        if step == "sent":
            lifecycle.suggestion_approve(actor=world.broker, suggestion=pair, note="请双方尽快联系。")
            lifecycle.suggestion_send(suggestion_id=pair.pk)
        elif step == "mutual":
            lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT,
                                        interested=True)
            lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.ACHIEVEMENT,
                                        interested=True)
        elif step == "meeting_requested":
            lifecycle.meeting_request(actor=world.ent_a_member, suggestion=pair,
                                      starts_at=timezone.now() + timedelta(days=2), location="腾讯会议")
        elif step == "meeting_confirmed":
            lifecycle.meeting_accept(actor=world.uni_member, meeting=pair.meetings.get(status=MeetingStatus.REQUESTED))
        elif step == "met":
            lifecycle.meeting_record_outcome(actor=world.broker, meeting=pair.meetings.get(
                status=MeetingStatus.CONFIRMED), held=True, outcome="达成初步意向")
        elif step == "signed":
            lifecycle.agreement_record(actor=world.broker, suggestion=pair, contract_type=CooperationMode.TRANSFER,
                                       amount="120.50", signed_on=timezone.localdate())
    return fresh(pair)


def snapshot(pair) -> dict:
    """Everything an action on the pair could change."""
    s = Suggestion.objects.get(pk=pair.pk)
    return {
        "pair": (s.status, s.broker_id, s.event_seq, s.party_note, s.reject_reason, s.reviewed_at, s.sent_at,
                 s.requirement_disclosed_at, s.achievement_disclosed_at),
        "events": list(PairEvent.objects.filter(suggestion=pair).values_list("seq", "action")),
        "answers": list(PartyAnswer.objects.filter(suggestion=pair).values_list("side", "interested")),
        "messages": Message.objects.filter(suggestion=pair).count(),
        "meetings": list(Meeting.objects.filter(suggestion=pair).order_by("pk").values_list(
            "status", "requirement_accepted_at", "achievement_accepted_at", "outcome")),
        "agreements": Agreement.objects.count(),
        "requirement": Requirement.objects.get(pk=pair.requirement_id).status,
    }


# --- (a) the whole path through the API --------------------------------------------------------

def test_pair_walks_from_suggestion_to_signed_agreement_through_the_api(world, media,
                                                                        django_capture_on_commit_callbacks):
    # given a pair no broker has yet
    pair = make_suggestion(make_run(world), world.req_public, world.ach_public, status=S.SUGGESTED)
    bureau, broker = client_for(world.bureau), client_for(world.broker)
    ent, uni = client_for(world.ent_a_member), client_for(world.uni_member)

    # bureau staff give it to a broker
    response = bureau.post(url("pair-assign", pair.pk), {"broker": world.broker.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["broker"] == {"id": world.broker.pk, "name": world.broker.get_full_name()}
    assert fresh(pair).broker_id == world.broker.pk and pair.due_at is not None
    assert actions(pair) == ["assigned"]

    # the broker finds it in the queue and approves it with a note; it is sent after commit
    queue = broker.get(url("review-queue")).json()
    assert [item["id"] for item in queue["results"]] == [pair.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = broker.post(url("pair-approve", pair.pk), {"note": "双方技术路线吻合，请尽快联系。"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert (fresh(pair).status, pair.party_note, pair.reviewed_by_id) == (S.SENT, "双方技术路线吻合，请尽快联系。",
                                                                          world.broker.pk)
    assert pair.sent_at is not None
    assert actions(pair) == ["assigned", "approved", "sent"]
    told = set(Notification.objects.filter(kind="suggestion_sent").values_list("user_id", flat=True))
    assert told == {world.ent_a_admin.pk, world.ent_a_member.pk, world.uni_member.pk}

    # both parties find it in their inbox and answer "interested"
    inbox = ent.get(url("inbox")).json()["results"]
    assert [(item["id"], item["my_sides"], item["party_note"]) for item in inbox] == [
        (pair.pk, ["requirement"], "双方技术路线吻合，请尽快联系。")]
    response = ent.post(url("pair-answer", pair.pk), {"side": "requirement", "interested": True}, format="json")
    assert response.status_code == 200
    assert response.json()["answers"][0]["side"] == "requirement"
    assert fresh(pair).status == S.SENT and actions(pair)[-1] == "interested"
    response = uni.post(url("pair-answer", pair.pk), {"side": "achievement", "interested": True}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "mutual"
    assert fresh(pair).status == S.MUTUAL and actions(pair)[-1] == "mutual"
    assert fresh(world.req_public).status == ListingStatus.IN_NEGOTIATION
    assert set(PartyAnswer.objects.filter(suggestion=pair).values_list("side", "interested")) == {
        ("requirement", True), ("achievement", True)}

    # the enterprise discloses its budget to the university
    assert uni.get(reverse("matchmaking-api:suggestion-detail", args=[pair.pk])).json()["budgets"][
        "requirement"] is None
    response = ent.post(url("pair-disclose", pair.pk), {"side": "requirement"}, format="json")
    assert response.status_code == 200
    assert fresh(pair).requirement_disclosed_at is not None and actions(pair)[-1] == "disclosed"
    budgets = uni.get(reverse("matchmaking-api:suggestion-detail", args=[pair.pk])).json()["budgets"]
    assert budgets["requirement"] == {"budget_min": world.req_public.budget_min,
                                      "budget_max": world.req_public.budget_max}

    # the university posts a message with an attachment; the enterprise downloads it
    response = uni.post(url("pair-messages", pair.pk), {"body": "附上报价单。", "attachment": upload()},
                        format="multipart")
    assert response.status_code == 201
    message = Message.objects.get(suggestion=pair)
    assert (message.author_id, message.body, message.attachment_name, message.attachment_size) == (
        world.uni_member.pk, "附上报价单。", "报价.pdf", len(b"%PDF-1.4 offer"))
    thread = ent.get(url("pair-messages", pair.pk)).json()
    assert thread["count"] == 1
    attachment = thread["results"][0]["attachment"]
    assert attachment["name"] == "报价.pdf" and attachment["size"] == 14
    assert attachment["url"].endswith(url("message-attachment", message.pk))
    download = ent.get(url("message-attachment", message.pk))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert "%E6%8A%A5%E4%BB%B7.pdf" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"%PDF-1.4 offer"
    assert actions(pair)[-1] == "disclosed"  # messages are not transitions

    # the enterprise proposes a meeting, the university accepts it
    starts = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = ent.post(url("pair-meetings", pair.pk), {"starts_at": starts.isoformat(), "duration_minutes": 60,
                                                        "mode": "online", "location": "腾讯会议 123"}, format="json")
    assert response.status_code == 201
    meeting = Meeting.objects.get(suggestion=pair)
    assert (meeting.status, meeting.starts_at, meeting.duration_minutes) == (MeetingStatus.REQUESTED, starts, 60)
    assert meeting.requirement_accepted_at is not None and meeting.achievement_accepted_at is None
    assert actions(pair)[-1] == "meeting_requested"
    response = uni.post(url("meeting-accept", meeting.pk))
    assert response.status_code == 200 and response.json()["status"] == "confirmed"
    assert fresh(pair).status == S.MEETING
    assert actions(pair)[-2:] == ["meeting_accepted", "meeting_confirmed"]

    # the broker records that the meeting was held, then the agreement
    response = broker.post(url("meeting-outcome", meeting.pk), {"held": True, "outcome": "同意技术转让"},
                           format="json")
    assert response.status_code == 200 and response.json()["status"] == "held"
    assert fresh(pair).status == S.MET and actions(pair)[-1] == "met"
    response = broker.post(url("pair-agreement", pair.pk), {
        "contract_type": "transfer", "amount": "120.50", "signed_on": timezone.localdate().isoformat(),
        "meeting": meeting.pk, "note": "首付30%"}, format="json")
    assert response.status_code == 201
    agreement = Agreement.objects.get()
    assert response.json()["id"] == agreement.pk and response.json()["amount"] == "120.50"
    assert (agreement.suggestion_id, agreement.contract_type, agreement.amount, agreement.meeting_id,
            agreement.broker_id, agreement.requirement_organisation_id, agreement.achievement_organisation_id) == (
        pair.pk, CooperationMode.TRANSFER, Decimal("120.50"), meeting.pk, world.broker.pk, world.ent_a.pk,
        world.uni.pk)
    assert fresh(pair).status == S.SIGNED
    assert fresh(world.req_public).status == ListingStatus.CONTRACTED

    # the audit trail, read by a party: every step numbered, attributed, in order — except the
    # routing, which is the bureau's and the brokers' business (the broker reads it)
    assert [e["action"] for e in broker.get(url("pair-events", pair.pk)).json()["results"]][:2] == [
        "assigned", "approved"]
    events = ent.get(url("pair-events", pair.pk)).json()["results"]
    assert [(e["seq"], e["action"], e["to_status"], (e["actor"] or {}).get("id")) for e in events] == [
        (2, "approved", "approved", world.broker.pk),
        (3, "sent", "sent", None),
        (4, "interested", "sent", world.ent_a_member.pk),
        (5, "mutual", "mutual", world.uni_member.pk),
        (6, "disclosed", "mutual", world.ent_a_member.pk),
        (7, "meeting_requested", "mutual", world.ent_a_member.pk),
        (8, "meeting_accepted", "mutual", world.uni_member.pk),
        (9, "meeting_confirmed", "meeting", world.uni_member.pk),
        (10, "met", "met", world.broker.pk),
        (11, "signed", "signed", world.broker.pk),
    ]
    # and the agreement is in both parties' lists
    for client in (ent, uni, broker, bureau):
        assert [a["id"] for a in client.get(url("agreement-list")).json()["results"]] == [agreement.pk]


# --- (b) each step × each role -----------------------------------------------------------------

class Rollback(Exception):
    pass


def expected_codes(allowed: dict[str, int], visible: set[str]) -> dict[str, int]:
    """``allowed`` roles get their code; anyone else who sees the pair a 403 with the reason,
    anyone who does not a 404; anonymous callers 403 (session authentication)."""
    codes = {}
    for role in ROLES:
        if role in allowed:
            codes[role] = allowed[role]
        elif role == "anonymous" or role in visible:
            codes[role] = 403
        else:
            codes[role] = 404
    return codes


@dataclasses.dataclass
class Step:
    stage: str
    call: object  # (client, pair, world, extra) -> response
    allowed: dict[str, int]
    visible: set[str] = dataclasses.field(default_factory=lambda: SEES_SENT)
    codes: dict[str, int] | None = None  # exact codes, when not derived from allowed/visible
    no_op: frozenset[str] = frozenset()  # roles answered 200 without any change
    setup: object = None  # (pair, world) -> dict, after reaching the stage

    def expected(self) -> dict[str, int]:
        return self.codes or expected_codes(self.allowed, self.visible)


def _post(name, body=None, *, target="pair", fmt="json"):
    def call(client, pair, world, extra):
        pk = extra["meeting"].pk if target == "meeting" else pair.pk
        payload = body(world) if callable(body) else body
        return client.post(url(name, pk), payload, format=fmt)
    return call


def _get(name, *, target="pair"):
    def call(client, pair, world, extra):
        pk = extra["message"].pk if target == "message" else pair.pk
        return client.get(url(name, pk))
    return call


def _open_meeting(pair, world) -> dict:
    return {"meeting": pair.meetings.get(status__in=[MeetingStatus.REQUESTED, MeetingStatus.CONFIRMED])}


def _message_with_file(pair, world) -> dict:
    return {"message": lifecycle.message_post(actor=world.uni_member, suggestion=pair, body="附件", upload=upload())}


PARTICIPANTS = {"ent_a", "university", "broker", "bureau"}
NOT_REVIEWERS = {role: 403 for role in ROLES if role not in ("bureau", "broker", "other_broker")}

STEPS = {
    "assign": Step("suggested", _post("pair-assign", lambda w: {"broker": w.other_broker.pk}), {"bureau": 200},
                   SEES_REVIEW),
    "approve": Step("suggested", _post("pair-approve", {"note": "请联系"}), {"bureau": 200, "broker": 200},
                    SEES_REVIEW),
    "reject": Step("suggested", _post("pair-reject", {"reason": "领域不符"}), {"bureau": 200, "broker": 200},
                   SEES_REVIEW),
    "note": Step("suggested", _post("pair-note", {"note": "新备注"}), {"bureau": 200, "broker": 200}, SEES_REVIEW),
    # a broker who may not see the pair is told it does not exist, in the 200 of the bulk action
    "decide": Step("suggested", lambda c, p, w, x: c.post(url("pair-decide"), {"ids": [p.pk], "approve": True},
                                                          format="json"), {},
                   codes={**NOT_REVIEWERS, "bureau": 200, "broker": 200, "other_broker": 200},
                   no_op=frozenset({"other_broker"})),
    "answer_requirement": Step("sent", _post("pair-answer", {"side": "requirement", "interested": True}),
                               {"ent_a": 200}),
    "answer_achievement": Step("sent", _post("pair-answer", {"side": "achievement", "interested": False,
                                                             "reason": "不感兴趣"}), {"university": 200}),
    "disclose": Step("mutual", _post("pair-disclose", {"side": "requirement"}), {"ent_a": 200}),
    "read_events": Step("sent", _get("pair-events"), dict.fromkeys(PARTICIPANTS, 200), no_op=frozenset(ROLES)),
    "post_message": Step("mutual", _post("pair-messages", {"body": "你好"}), dict.fromkeys(PARTICIPANTS, 201)),
    "read_messages": Step("mutual", _get("pair-messages"), dict.fromkeys(PARTICIPANTS, 200),
                          no_op=frozenset(ROLES), setup=_message_with_file),
    "download_attachment": Step("mutual", _get("message-attachment", target="message"),
                                dict.fromkeys(PARTICIPANTS, 200), no_op=frozenset(ROLES), setup=_message_with_file),
    "request_meeting": Step("mutual", _post("pair-meetings", lambda w: {
        "starts_at": (timezone.now() + timedelta(days=5)).isoformat(), "mode": "onsite", "location": "浑南区"}),
        dict.fromkeys(PARTICIPANTS, 201)),
    "read_meetings": Step("meeting_requested", _get("pair-meetings"), dict.fromkeys(PARTICIPANTS, 200),
                          no_op=frozenset(ROLES)),
    # the enterprise proposed it, so its side has accepted already
    "accept_meeting": Step("meeting_requested", _post("meeting-accept", target="meeting"),
                           {"university": 200, "ent_a": 409}, setup=_open_meeting),
    "cancel_meeting": Step("meeting_requested", _post("meeting-cancel", {"reason": "时间冲突"}, target="meeting"),
                           dict.fromkeys(PARTICIPANTS, 200), setup=_open_meeting),
    "record_outcome": Step("meeting_confirmed", _post("meeting-outcome", {"held": True}, target="meeting"),
                           {"broker": 200, "bureau": 200}, setup=_open_meeting),
    "record_agreement": Step("met", _post("pair-agreement", lambda w: {
        "contract_type": "licence", "amount": 50, "signed_on": timezone.localdate().isoformat()}),
        {"broker": 201, "bureau": 201}),
    "close": Step("mutual", _post("pair-close", {"reason": "价格谈不拢"}), dict.fromkeys(PARTICIPANTS, 200)),
}


@pytest.mark.parametrize("name", list(STEPS))
def test_each_step_answers_each_role_with_the_exact_code_and_refusals_change_nothing(world, pair, media, name):
    step = STEPS[name]
    advance(pair, world, step.stage)
    extra = step.setup(pair, world) if step.setup else {}
    users = world.users()

    codes, messages = {}, {}
    for role in ROLES:
        try:
            with transaction.atomic():
                before = snapshot(pair)
                response = step.call(client_for(users[role]), pair, world, extra)
                codes[role] = response.status_code
                after = snapshot(pair)
                if response.streaming:  # read to the end: the client then closes the file
                    b"".join(response.streaming_content)
                if response.status_code >= 400:
                    assert after == before, f"{role} was refused but changed {name}"
                    messages[role] = response.json().get("detail", "")
                elif role not in step.no_op:
                    assert after != before, f"{role} succeeded but nothing changed"
                else:
                    assert after == before, f"{role} read but changed something"
                raise Rollback
        except Rollback:
            pass

    assert codes == step.expected()
    # a refusal says why; a pair the reader may not see is the same 404 as one that does not exist
    for role, code in codes.items():
        if code == 403 and role != "anonymous":
            assert messages[role] and messages[role] != "You do not have permission to perform this action."
        if code == 404:
            assert messages[role] == "Not found."


def test_decide_reports_a_hidden_pair_like_a_missing_one(world, pair):
    other = make_suggestion(pair.run, world.req_members, world.ach_public, status=S.SUGGESTED,
                            broker=world.other_broker)

    response = client_for(world.broker).post(url("pair-decide"), {"ids": [pair.pk, other.pk, 999999],
                                                                   "approve": False, "reason": "不合适"},
                                             format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["done"] == [pair.pk]
    assert body["failed"] == [{"id": other.pk, "message": "This suggestion no longer exists."},
                              {"id": 999999, "message": "This suggestion no longer exists."}]
    assert (fresh(pair).status, fresh(other).status) == (S.REJECTED, S.SUGGESTED)


def test_bulk_decision_refuses_pairs_already_decided_and_decides_the_rest(world, pair):
    second = make_suggestion(pair.run, world.req_members, world.ach_public, status=S.SUGGESTED, broker=world.broker)
    lifecycle.suggestion_reject(actor=world.broker, suggestion=second, reason="重复")

    response = client_for(world.broker).post(url("pair-decide"), {"ids": [second.pk, pair.pk], "approve": True},
                                             format="json")

    assert response.status_code == 200
    assert response.json()["done"] == [pair.pk]
    (failure,) = response.json()["failed"]
    assert failure["id"] == second.pk and "already been decided" in failure["message"]
    assert (fresh(pair).status, fresh(second).status) == (S.APPROVED, S.REJECTED)


# --- list endpoints: exactly what each role may see -------------------------------------------

def _review_world(world):
    data = suggestion_world(world)
    theirs = make_suggestion(data.run, world.req_public, AchievementFactory(organisation=world.uni),
                             status=S.SUGGESTED, broker=world.other_broker)
    unassigned = make_suggestion(data.run, world.req_public, AchievementFactory(organisation=world.uni),
                                 status=S.SUGGESTED)
    return data, theirs, unassigned


@pytest.mark.parametrize("role", ROLES)
def test_review_queue_holds_exactly_the_readers_pairs(world, role):
    data, theirs, unassigned = _review_world(world)

    response = client_for(world.users()[role]).get(url("review-queue"))

    expected = {"bureau": {data.unreviewed.pk, theirs.pk, unassigned.pk}, "broker": {data.unreviewed.pk},
                "other_broker": {theirs.pk}}
    if role not in expected:
        assert response.status_code == 403
        if role != "anonymous":
            assert response.json()["detail"] == "The review queue is for brokers and bureau staff."
        return
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == expected[role]


def test_review_queue_filters_and_sorts(world):
    data, theirs, unassigned = _review_world(world)
    late = make_suggestion(make_run(world, scope_key="event:9"), world.req_members,
                           AchievementFactory(organisation=world.uni, fields=[field("ai")]), status=S.SUGGESTED,
                           broker=world.broker, score=0.2, due_at=timezone.now() - timedelta(hours=2))
    client = client_for(world.bureau)

    def ids(**params) -> list[int]:
        response = client.get(url("review-queue"), params)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["results"]]

    assert set(ids(broker=world.broker.pk)) == {data.unreviewed.pk, late.pk}
    assert ids(unassigned="true") == [unassigned.pk]
    assert ids(overdue="true") == [late.pk]
    assert ids(run=late.run_id) == [late.pk]
    assert ids(field="ai") == [late.pk]
    assert ids(sort="due")[0] == late.pk
    scores = [Suggestion.objects.get(pk=pk).score for pk in ids()]
    assert scores == sorted(scores, reverse=True)
    item = client.get(url("review-queue"), {"overdue": "true"}).json()["results"][0]
    assert item["overdue"] is True and item["broker"]["id"] == world.broker.pk
    assert item["requirement"]["id"] == world.req_members.pk and "explanation" in item


@pytest.mark.parametrize("role", ROLES)
def test_inbox_holds_exactly_the_pairs_sent_to_the_readers_organisations(world, role):
    data = suggestion_world(world)

    response = client_for(world.users()[role]).get(url("inbox"))

    expected = {"ent_a": {"approved", "restricted"}, "university": {"approved", "other_org"},
                "ent_b": {"other_org"}}
    if role == "anonymous":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {
        getattr(data, name).pk for name in expected.get(role, set())}


def test_inbox_puts_pairs_awaiting_the_readers_answer_first(world):
    data = suggestion_world(world)
    lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=data.approved, side=Side.REQUIREMENT,
                                interested=True)

    items = client_for(world.ent_a_member).get(url("inbox"), {"awaiting_first": "true"}).json()["results"]

    assert [item["id"] for item in items][0] == data.restricted.pk
    answered = next(item for item in items if item["id"] == data.approved.pk)
    assert answered["answers"] == [{"side": "requirement", "interested": True, "reason": "",
                                    "answered_at": answered["answers"][0]["answered_at"]}]


def _signed(world, requirement, achievement, broker, amount: str, signed_on=None) -> Agreement:
    suggestion = make_suggestion(make_run(world, scope_key=f"s{requirement.pk}-{achievement.pk}"), requirement,
                                 achievement, status=S.SIGNED, broker=broker)
    return Agreement.objects.create(
        suggestion=suggestion, contract_type=CooperationMode.DEVELOPMENT, amount=Decimal(amount),
        signed_on=signed_on or timezone.localdate(), requirement_organisation=requirement.organisation,
        achievement_organisation=achievement.organisation, broker=broker, recorded_by=world.bureau)


@pytest.mark.parametrize("role", ROLES)
def test_agreement_list_holds_exactly_the_readers_agreements(world, role):
    ours = _signed(world, world.req_public, world.ach_public, world.broker, "10")
    req_b = RequirementFactory(organisation=world.ent_b)
    theirs = _signed(world, req_b, world.ach_public, world.other_broker, "20")

    response = client_for(world.users()[role]).get(url("agreement-list"))

    expected = {"bureau": {ours, theirs}, "broker": {ours}, "other_broker": {theirs}, "ent_a": {ours},
                "ent_b": {theirs}, "university": {ours, theirs}}
    if role == "anonymous":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {a.pk for a in expected.get(role, set())}


def test_agreement_list_filters(world):
    old = _signed(world, world.req_public, world.ach_public, world.broker, "10",
                  signed_on=timezone.localdate() - timedelta(days=40))
    new = _signed(world, world.req_members, world.ach_public, world.other_broker, "20")
    client = client_for(world.bureau)

    def ids(**params) -> set[int]:
        return {item["id"] for item in client.get(url("agreement-list"), params).json()["results"]}

    assert ids(broker=world.broker.pk) == {old.pk}
    assert ids(run=new.suggestion.run_id) == {new.pk}
    assert ids(since=(timezone.localdate() - timedelta(days=7)).isoformat()) == {new.pk}
    assert ids(until=(timezone.localdate() - timedelta(days=40)).isoformat()) == {old.pk}
    item = client.get(url("agreement-list"), {"broker": world.broker.pk}).json()["results"][0]
    assert item["amount"] == "10.00" and item["contract_type"] == "development"
    assert item["requirement"] == {"id": world.req_public.pk, "title": world.req_public.title}
    assert item["requirement_organisation"]["id"] == world.ent_a.pk


@pytest.mark.parametrize("role", ROLES)
def test_notifications_are_the_readers_own(world, role):
    users = {name: user for name, user in world.users().items() if user is not None}
    notes = {name: Notification.objects.create(user=user, kind="test", title=f"for {name}") for name, user in
             users.items()}
    client = client_for(world.users()[role])

    listed = client.get(url("notification-list"))
    marked = client.post(url("notification-read"), {"ids": [note.pk for note in notes.values()]}, format="json")

    if role == "anonymous":
        assert (listed.status_code, marked.status_code) == (403, 403)
        assert not Notification.objects.filter(read_at__isnull=False).exists()
        return
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [notes[role].pk]
    assert marked.json() == {"marked": 1}
    assert set(Notification.objects.filter(read_at__isnull=False).values_list("pk", flat=True)) == {notes[role].pk}


def test_notifications_unread_filter_and_mark_all(world):
    read = Notification.objects.create(user=world.broker, kind="test", title="read", read_at=timezone.now())
    unread = [Notification.objects.create(user=world.broker, kind="test", title=f"new {i}") for i in range(2)]
    other = Notification.objects.create(user=world.bureau, kind="test", title="not yours")
    client = client_for(world.broker)

    assert {n["id"] for n in client.get(url("notification-list"), {"unread": "true"}).json()["results"]} == {
        n.pk for n in unread}
    assert [n["id"] for n in client.get(url("notification-list"), {"unread": "false"}).json()["results"]] == [
        read.pk]
    assert client.post(url("notification-read"), {}, format="json").json() == {"marked": 2}
    assert fresh(other).read_at is None


@pytest.mark.parametrize("role", ROLES)
def test_reports_are_for_bureau_staff(world, role):
    client = client_for(world.users()[role])

    codes = {name: client.get(url(name), params).status_code for name in ("report-funnel", "report-brokers")
             for params in ({}, {"format": "csv"})}

    assert set(codes.values()) == ({200} if role == "bureau" else {403})


# --- the pair's new fields -----------------------------------------------------------------------

def test_reject_reason_is_shown_only_to_bureau_staff_and_the_pairs_broker(world, pair):
    lifecycle.suggestion_reject(actor=world.broker, suggestion=pair, reason="已有合作方")
    sent = advance(make_suggestion(pair.run, world.req_members, world.ach_public, status=S.SUGGESTED,
                                   broker=world.broker), world, "sent")

    def read(user, suggestion) -> dict:
        return client_for(user).get(reverse("matchmaking-api:suggestion-detail", args=[suggestion.pk])).json()

    assert read(world.bureau, pair)["reject_reason"] == "已有合作方"
    assert read(world.broker, pair)["reject_reason"] == "已有合作方"
    assert read(world.broker, sent)["reject_reason"] == ""
    party = read(world.ent_a_member, sent)
    assert party["reject_reason"] is None
    assert party["my_sides"] == ["requirement"]
    assert party["broker"] == {"id": world.broker.pk, "name": world.broker.get_full_name()}
    assert party["sent_at"] is not None and party["overdue"] is False


# --- (c) double submits and concurrent decisions ---------------------------------------------------

def test_approving_twice_is_409_and_records_one_transition(world, pair):
    client = client_for(world.broker)

    first = client.post(url("pair-approve", pair.pk), {}, format="json")
    second = client.post(url("pair-approve", pair.pk), {}, format="json")

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["code"] == "already_decided"
    assert second.json()["detail"] == "This suggestion has already been decided (Approved by broker)."
    assert actions(pair) == ["approved"]


def test_answering_twice_is_409_and_records_one_answer(world, pair):
    advance(pair, world, "sent")
    client = client_for(world.ent_a_member)
    events = len(actions(pair))

    first = client.post(url("pair-answer", pair.pk), {"side": "requirement", "interested": True}, format="json")
    second = client.post(url("pair-answer", pair.pk), {"side": "requirement", "interested": False,
                                                       "reason": "改主意了"}, format="json")

    assert first.status_code == 200
    assert (second.status_code, second.json()["code"]) == (409, "already_answered")
    assert second.json()["detail"] == "Your organisation has already answered this suggestion."
    assert list(PartyAnswer.objects.filter(suggestion=pair).values_list("side", "interested")) == [
        ("requirement", True)]
    assert len(actions(pair)) == events + 1


def test_agreement_twice_is_409(world, pair):
    advance(pair, world, "signed")

    response = client_for(world.bureau).post(url("pair-agreement", pair.pk), {
        "contract_type": "licence", "amount": 1, "signed_on": timezone.localdate().isoformat()}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "already_signed")
    assert Agreement.objects.count() == 1


def test_illegal_transition_is_409_with_the_message(world, pair):
    advance(pair, world, "sent")

    response = client_for(world.broker).post(url("pair-agreement", pair.pk), {
        "contract_type": "licence", "amount": 1, "signed_on": timezone.localdate().isoformat()}, format="json")

    assert (response.status_code, response.json()["code"]) == (409, "illegal_transition")
    assert response.json()["detail"] == "An agreement is recorded after the parties met (now: Sent to both parties)."
    assert not Agreement.objects.exists()


def _race(n: int, action) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = action(i)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_through_the_api_record_one(world):
    if connection.vendor != "postgresql":
        if services_required():
            pytest.fail("the concurrency tests need PostgreSQL (DATABASE_URL)")
        pytest.skip("row locks are only meaningful on PostgreSQL")
    ensure_taxonomy()
    pair = make_suggestion(make_run(world), world.req_public, world.ach_public, status=S.SUGGESTED,
                           broker=world.broker)
    clients = [client_for(world.broker), client_for(world.bureau), client_for(world.broker)]

    responses = _race(3, lambda i: clients[i].post(url("pair-approve", pair.pk), {}, format="json"))

    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_decided"}
    assert PairEvent.objects.filter(suggestion=pair, action="approved").count() == 1


# --- (d) the funnel equals the database -------------------------------------------------------------

@pytest.fixture
def funnel_world(world):
    """Pairs of two runs and two brokers (and none) at every stage, requirements in one or two
    fields, each driven there through the services; a superseded pair that no report counts."""
    energy, ai = field("energy-storage"), field("ai")
    run_1, run_2 = make_run(world, scope_key="event:1"), make_run(world, scope_key="event:2")

    def new_pair(run, broker, fields):
        return make_suggestion(run, RequirementFactory(organisation=world.ent_a, fields=fields),
                               AchievementFactory(organisation=world.uni), status=S.SUGGESTED, broker=broker)

    plan = [
        (run_1, world.broker, [energy], "signed"),
        (run_1, world.broker, [energy, ai], "signed"),
        (run_1, world.broker, [ai], "met"),
        (run_1, world.other_broker, [energy], "mutual"),
        (run_2, world.other_broker, [energy], "sent"),
        (run_2, world.other_broker, [ai], "sent"),
        (run_2, world.broker, [energy], "suggested"),
        (run_2, None, [ai], "suggested"),
    ]
    pairs = []
    for run, broker, fields, stage in plan:
        suggestion = new_pair(run, broker, fields)
        if broker is None:
            pairs.append(suggestion)
            continue
        # the broker's walk, with the bureau standing in for the other broker's pairs
        if broker == world.other_broker:
            Suggestion.objects.filter(pk=suggestion.pk).update(broker=world.broker)
        advance(suggestion, world, stage)
        Suggestion.objects.filter(pk=suggestion.pk).update(broker=broker)
        pairs.append(fresh(suggestion))
    declined = new_pair(run_2, world.other_broker, [energy])
    Suggestion.objects.filter(pk=declined.pk).update(broker=world.broker)
    advance(declined, world, "sent")
    lifecycle.suggestion_answer(actor=world.uni_member, suggestion=declined, side=Side.ACHIEVEMENT,
                                interested=False, reason="方向不同")
    Suggestion.objects.filter(pk=declined.pk).update(broker=world.other_broker)
    rejected = new_pair(run_1, world.broker, [ai])
    lifecycle.suggestion_reject(actor=world.broker, suggestion=rejected, reason="不匹配")
    make_suggestion(make_run(world, scope_key="old"), world.req_public, world.ach_public, status=S.SUPERSEDED)
    return {"runs": (run_1, run_2), "fields": (energy, ai)}


def expected_funnel(group_by: str | None) -> dict:
    """The funnel counted straight from the rows of each stage (not from the audit trail the
    report reads): {group key: (counts per stage, agreements' amount)}."""
    current = Suggestion.objects.exclude(status=S.SUPERSEDED)
    interested = PartyAnswer.objects.filter(interested=True).values("suggestion").annotate(n=Count("pk"))
    reached = {
        "suggested": set(current.values_list("pk", flat=True)),
        "approved": set(current.filter(reviewed_at__isnull=False).exclude(status=S.REJECTED)
                        .values_list("pk", flat=True)),
        "sent": set(current.filter(sent_at__isnull=False).values_list("pk", flat=True)),
        "mutual": {row["suggestion"] for row in interested if row["n"] == 2},
        "met": set(Meeting.objects.filter(status=MeetingStatus.HELD).values_list("suggestion_id", flat=True)),
        "signed": set(Agreement.objects.values_list("suggestion_id", flat=True)),
    }
    amounts = dict(Agreement.objects.values_list("suggestion_id", "amount"))
    keys_of: dict[int, list] = {}
    for pk, run_id, broker_id, requirement_id in current.values_list("pk", "run_id", "broker_id", "requirement_id"):
        if group_by == "run":
            keys_of[pk] = [run_id]
        elif group_by == "broker":
            keys_of[pk] = [broker_id]
        elif group_by == "field":
            keys_of[pk] = list(Requirement.objects.get(pk=requirement_id).fields.values_list("pk", flat=True))
        else:
            keys_of[pk] = [None]
    out: dict = {}
    for pk, keys in keys_of.items():
        for key in keys:
            counts, amount = out.setdefault(key, (dict.fromkeys(reached, 0), [Decimal(0)]))
            for stage, ids in reached.items():
                counts[stage] += pk in ids
            amount[0] += amounts.get(pk, Decimal(0))
    return {key: (counts, amount[0]) for key, (counts, amount) in out.items()}


@pytest.mark.parametrize("group_by", [None, "run", "broker", "field"])
def test_funnel_numbers_equal_counts_taken_from_the_database(world, funnel_world, group_by):
    params = {"group_by": group_by} if group_by else {}

    response = client_for(world.bureau).get(url("report-funnel"), params)

    assert response.status_code == 200
    rows = response.json()["rows"]
    got = {row["key"]: (row["counts"], Decimal(row["amount"])) for row in rows}
    expected = expected_funnel(group_by)
    assert got == expected
    # and the numbers are the ones this world was built with
    totals = {stage: sum(counts[stage] for counts, _amount in expected.values()) for stage in
              ("suggested", "approved", "sent", "mutual", "met", "signed")}
    if group_by in (None, "run", "broker"):
        assert totals == {"suggested": 10, "approved": 7, "sent": 7, "mutual": 4, "met": 3, "signed": 2}
    for row in rows:
        counts = row["counts"]
        assert row["rates"]["approved"] == (round(100 * counts["approved"] / counts["suggested"], 1)
                                            if counts["suggested"] else None)
        assert row["overall_pct"] == (round(100 * counts["signed"] / counts["suggested"], 2)
                                      if counts["suggested"] else None)


def _csv_rows(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _xlsx_rows(response) -> list[dict]:
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    # a read-only sheet leaves out the empty cells at the end of a row
    return [dict(itertools.zip_longest(header, row)) for row in rows]


COUNT_HEADERS = {"suggested": "Suggested", "approved": "Approved by a broker", "sent": "Sent to the parties",
                 "mutual": "Mutual interest", "met": "Met", "signed": "Agreement signed"}


@pytest.mark.parametrize("group_by", ["run", "broker", "field"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_funnel_exports_parse_back_to_the_same_numbers(world, funnel_world, group_by, fmt):
    client = client_for(world.bureau)

    response = client.get(url("report-funnel"), {"group_by": group_by, "format": fmt})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f'attachment; filename="funnel-{group_by}-')
    rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
    json_rows = client.get(url("report-funnel"), {"group_by": group_by}).json()["rows"]
    assert len(rows) == len(json_rows)

    def key(value):
        return None if value in ("", None) else int(value)

    got = {key(row["ID"]): ({stage: int(row[header]) for stage, header in COUNT_HEADERS.items()},
                            Decimal(str(row["Agreements (10k CNY)"])), row["Group"]) for row in rows}
    expected = expected_funnel(group_by)
    assert {k: v[:2] for k, v in got.items()} == expected
    assert {k: v[2] for k, v in got.items()} == {row["key"]: row["label"] for row in json_rows}


def test_funnel_filters(world, funnel_world):
    run_1, run_2 = funnel_world["runs"]
    energy, _ai = funnel_world["fields"]
    client = client_for(world.bureau)

    def counts(**params) -> dict:
        (row,) = client.get(url("report-funnel"), params).json()["rows"]
        return row["counts"]

    assert counts(run=run_1.pk)["suggested"] == Suggestion.objects.filter(run=run_1).count()
    assert counts(broker=world.other_broker.pk)["suggested"] == Suggestion.objects.filter(
        broker=world.other_broker).count()
    assert counts(field="energy-storage")["suggested"] == Suggestion.objects.exclude(status=S.SUPERSEDED).filter(
        requirement__fields=energy).count()
    today = timezone.localdate()
    assert counts(since=today.isoformat(), until=today.isoformat())["suggested"] == 10
    assert client.get(url("report-funnel"), {"since": (today + timedelta(days=1)).isoformat()}).json()["rows"] == []


def test_broker_league_equals_the_database_and_exports(world, funnel_world):
    client = client_for(world.bureau)

    league = client.get(url("report-brokers")).json()
    exported = _csv_rows(client.get(url("report-brokers"), {"format": "csv"}))
    workbook = _xlsx_rows(client.get(url("report-brokers"), {"format": "xlsx"}))

    assert [row["broker_id"] for row in league] == [world.broker.pk, world.other_broker.pk]
    for row in league:
        broker_id = row["broker_id"]
        signed = Agreement.objects.filter(broker_id=broker_id)
        assert row["signed"] == signed.count()
        assert Decimal(row["amount"]) == (signed.aggregate(total=Sum("amount"))["total"] or Decimal(0))
        assert row["rejected"] == Suggestion.objects.filter(broker_id=broker_id, status=S.REJECTED).count()
        assert row["suggested"] == Suggestion.objects.filter(broker_id=broker_id).exclude(
            status=S.SUPERSEDED).count()
    assert [row["rank"] for row in league] == [1, 2]
    for parsed in (exported, workbook):
        assert [(int(r["ID"]), int(r["Agreement signed"]), Decimal(str(r["Agreements (10k CNY)"])))
                for r in parsed] == [(row["broker_id"], row["signed"], Decimal(row["amount"])) for row in league]


# --- (e) query counts of the list endpoints ---------------------------------------------------------

def _count_queries(client, path, params=None) -> tuple[int, dict]:
    client.get(path, params)  # warm the session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize("n", [1, 3])
def test_review_queue_query_count_is_constant(world, n):
    run = make_run(world)
    for _ in range(n):
        make_suggestion(run, world.req_public, AchievementFactory(organisation=world.uni), status=S.SUGGESTED,
                        broker=world.broker)

    queries, body = _count_queries(client_for(world.broker), url("review-queue"))

    assert body["count"] == n
    # session, user, roles, count, page, 7 prefetches, assigned brokers of each kind of listing
    assert queries == 14


@pytest.mark.parametrize("n", [1, 3])
def test_inbox_query_count_is_constant(world, n):
    run = make_run(world)
    for _ in range(n):
        make_suggestion(run, world.req_public, AchievementFactory(organisation=world.uni), broker=world.broker)

    queries, body = _count_queries(client_for(world.ent_a_member), url("inbox"))

    assert body["count"] == n
    # session, user, roles, count, page, 7 prefetches
    assert queries == 12


@pytest.mark.parametrize("n", [1, 3])
def test_thread_lists_query_count_is_constant(world, pair, media, n):
    advance(pair, world, "mutual")
    for i in range(n):
        lifecycle.message_post(actor=world.uni_member, suggestion=pair, body=f"消息 {i}",
                               upload=upload() if i == 0 else None)
        meeting = lifecycle.meeting_request(actor=world.ent_a_member, suggestion=pair,
                                            starts_at=timezone.now() + timedelta(days=i + 1))
        if i < n - 1:
            lifecycle.meeting_cancel(actor=world.ent_a_member, meeting=meeting, reason="改期")
    client = client_for(world.ent_a_member)

    counted = {name: _count_queries(client, url(name, pair.pk)) for name in ("pair-messages", "pair-meetings",
                                                                              "pair-events")}

    assert counted["pair-messages"][1]["count"] == n
    assert counted["pair-meetings"][1]["count"] == n
    assert counted["pair-events"][1]["count"] == len(actions(pair))
    # session, user, roles, the pair, count, page (with the author, requester or actor)
    assert {name: queries for name, (queries, _body) in counted.items()} == {
        "pair-messages": 6, "pair-meetings": 6, "pair-events": 6}


@pytest.mark.parametrize("n", [1, 3])
def test_agreement_and_notification_lists_query_count_is_constant(world, n):
    for _ in range(n):
        _signed(world, RequirementFactory(organisation=world.ent_a), world.ach_public, world.broker, "5")
        Notification.objects.create(user=world.ent_a_member, kind="test", title="t")
    client = client_for(world.ent_a_member)

    agreements, body = _count_queries(client, url("agreement-list"))
    notifications, notes = _count_queries(client, url("notification-list"))

    assert body["count"] == n and notes["count"] == n
    # session, user, roles, count, page (with listings, organisations and broker joined)
    assert agreements == 5
    # session, user, count, page
    assert notifications == 4


# --- (f) malformed input ------------------------------------------------------------------------

def _future(days: int = 2) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


PAST = (timezone.localdate() - timedelta(days=10)).isoformat()
MALFORMED = [
    # (stage, who, endpoint, body, the key that carries the message)
    ("suggested", "broker", "pair-approve", {"status": "sent"}, "status"),
    ("suggested", "broker", "pair-approve", [1, 2], "non_field_errors"),
    ("suggested", "broker", "pair-approve", {"note": "x" * 2001}, "note"),
    ("suggested", "broker", "pair-reject", {}, "reason"),
    ("suggested", "broker", "pair-reject", {"reason": ""}, "reason"),
    ("suggested", "broker", "pair-reject", {"reason": "   "}, "reason"),
    ("suggested", "broker", "pair-reject", {"reason": ["a"]}, "reason"),
    ("suggested", "broker", "pair-note", {}, "note"),
    ("suggested", "bureau", "pair-assign", {"broker": "someone"}, "broker"),
    ("suggested", "bureau", "pair-assign", {"broker": 999999}, "broker"),
    ("suggested", "bureau", "pair-assign", {}, "broker"),
    ("suggested", "broker", "pair-decide", {"ids": [], "approve": True}, "ids"),
    ("suggested", "broker", "pair-decide", {"ids": ["a"], "approve": True}, "ids"),
    ("suggested", "broker", "pair-decide", {"ids": list(range(1, 202)), "approve": True}, "ids"),
    ("suggested", "broker", "pair-decide", {"ids": [1], "approve": False}, "reason"),
    ("suggested", "broker", "pair-decide", {"ids": [1]}, "approve"),
    ("sent", "ent_a", "pair-answer", {"side": "investor", "interested": True}, "side"),
    ("sent", "ent_a", "pair-answer", {"interested": True}, "side"),
    ("sent", "ent_a", "pair-answer", {"side": "requirement", "interested": "maybe"}, "interested"),
    ("sent", "ent_a", "pair-answer", {"side": "requirement"}, "interested"),
    ("sent", "ent_a", "pair-answer", {"side": "requirement", "interested": False}, "reason"),
    ("sent", "ent_a", "pair-answer", {"side": "requirement", "interested": True, "answered_by": 1}, "answered_by"),
    ("mutual", "ent_a", "pair-disclose", {"side": "both"}, "side"),
    ("mutual", "ent_a", "pair-messages", {"body": ""}, "body"),
    ("mutual", "ent_a", "pair-messages", {"body": "x" * 5001}, "body"),
    ("mutual", "ent_a", "pair-messages", {"body": "hi", "author": 1}, "author"),
    ("mutual", "ent_a", "pair-meetings", {"starts_at": "tomorrow"}, "starts_at"),
    ("mutual", "ent_a", "pair-meetings", {}, "starts_at"),
    ("mutual", "ent_a", "pair-meetings", {"starts_at": "2020-01-01T10:00:00+08:00"}, "starts_at"),
    ("mutual", "ent_a", "pair-meetings", {"starts_at": _future(), "mode": "telepathy"}, "mode"),
    ("mutual", "ent_a", "pair-meetings", {"starts_at": _future(), "duration_minutes": 5}, "duration_minutes"),
    ("mutual", "ent_a", "pair-meetings", {"starts_at": _future(), "duration_minutes": "long"}, "duration_minutes"),
    ("mutual", "ent_a", "pair-meetings", {"starts_at": _future(), "status": "confirmed"}, "status"),
    ("mutual", "ent_a", "pair-close", {"reason": ""}, "reason"),
    ("met", "broker", "pair-agreement", {"contract_type": "barter", "amount": 1, "signed_on": PAST},
     "contract_type"),
    ("met", "broker", "pair-agreement", {"contract_type": "licence", "amount": "abc", "signed_on": PAST},
     "amount"),
    ("met", "broker", "pair-agreement", {"contract_type": "licence", "amount": -1, "signed_on": PAST},
     "amount"),
    ("met", "broker", "pair-agreement", {"contract_type": "licence", "amount": "1e20", "signed_on": PAST},
     "amount"),
    ("met", "broker", "pair-agreement", {"contract_type": "licence", "amount": 1, "signed_on": "2026-13-05"},
     "signed_on"),
    ("met", "broker", "pair-agreement", {"contract_type": "licence", "amount": 1,
                                         "signed_on": (timezone.localdate() + timedelta(days=3)).isoformat()},
     "signed_on"),
    ("met", "broker", "pair-agreement", {"contract_type": "licence", "amount": 1, "signed_on": PAST,
                                         "meeting": 999999}, "meeting"),
    ("met", "broker", "pair-agreement", {"contract_type": "licence", "amount": 1, "signed_on": PAST,
                                         "broker": 1}, "broker"),
]


@pytest.mark.parametrize(("stage", "who", "name", "body", "key"), MALFORMED,
                         ids=[f"{name}-{key}-{i}" for i, (_s, _w, name, _b, key) in enumerate(MALFORMED)])
def test_malformed_payloads_are_400_with_a_message_and_change_nothing(world, pair, stage, who, name, body, key):
    advance(pair, world, stage)
    before = snapshot(pair)
    path = url(name) if name == "pair-decide" else url(name, pair.pk)
    if name == "pair-decide" and body.get("ids") == [1]:
        body = {**body, "ids": [pair.pk]}

    response = client_for(world.users()[who]).post(path, body, format="json")

    assert response.status_code == 400, response.content
    messages = response.json()[key]
    assert messages and all(isinstance(m, str) and m for m in messages)
    assert snapshot(pair) == before


@pytest.mark.parametrize(("name", "who", "params", "key"), [
    ("review-queue", "bureau", {"sort": "random"}, "sort"),
    ("review-queue", "bureau", {"field": "no-such-field"}, "field"),
    ("review-queue", "bureau", {"run": "x"}, "run"),
    ("review-queue", "bureau", {"overdue": "perhaps"}, "overdue"),
    ("inbox", "ent_a", {"awaiting_first": "perhaps"}, "awaiting_first"),
    ("agreement-list", "bureau", {"since": "2026-02-30"}, "since"),
    ("agreement-list", "bureau", {"since": "2026-03-02", "until": "2026-03-01"}, "until"),
    ("notification-list", "ent_a", {"unread": "perhaps"}, "unread"),
    ("report-funnel", "bureau", {"group_by": "planet"}, "group_by"),
    ("report-funnel", "bureau", {"format": "pdf"}, "format"),
    ("report-funnel", "bureau", {"field": "nope"}, "field"),
    ("report-funnel", "bureau", {"broker": "-3"}, "broker"),
    ("report-brokers", "bureau", {"since": "yesterday"}, "since"),
    ("report-brokers", "bureau", {"format": "pdf"}, "format"),
])
def test_malformed_query_parameters_are_400_with_a_message(world, name, who, params, key):
    response = client_for(world.users()[who]).get(url(name), params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()[key] and all(isinstance(m, str) for m in response.json()[key])


def test_malformed_json_is_400_not_500(world, pair):
    response = client_for(world.broker).post(url("pair-reject", pair.pk), data='{"reason": ',
                                             content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert fresh(pair).status == S.SUGGESTED


def test_forbidden_attachment_type_is_400(world, pair, media):
    advance(pair, world, "mutual")

    response = client_for(world.ent_a_member).post(
        url("pair-messages", pair.pk), {"body": "看看", "attachment": SimpleUploadedFile("tool.exe", b"MZ\x90")},
        format="multipart")

    assert response.status_code == 400
    assert response.json()["attachment"] == ["This file type is not accepted."]
    assert not Message.objects.exists()


def test_meeting_of_another_pair_cannot_back_an_agreement(world, pair):
    other = make_suggestion(pair.run, world.req_members, world.ach_public, status=S.SUGGESTED, broker=world.broker)
    advance(other, world, "met")
    advance(pair, world, "met")

    response = client_for(world.broker).post(url("pair-agreement", pair.pk), {
        "contract_type": "licence", "amount": 1, "signed_on": timezone.localdate().isoformat(),
        "meeting": other.meetings.get().pk}, format="json")

    assert response.status_code == 400
    assert response.json()["meeting"] == ["Choose a meeting of this pair that took place."]
    assert not Agreement.objects.exists()


def test_schema_lists_every_pair_endpoint(db):
    schema = APIClient().get(reverse("api-schema"), {"format": "json"}).json()

    paths = set(schema["paths"])
    assert {
        "/api/v1/reviews/", "/api/v1/inbox/", "/api/v1/suggestions/decide/", "/api/v1/suggestions/{id}/approve/",
        "/api/v1/suggestions/{id}/reject/", "/api/v1/suggestions/{id}/note/", "/api/v1/suggestions/{id}/assign/",
        "/api/v1/suggestions/{id}/answer/", "/api/v1/suggestions/{id}/disclose/",
        "/api/v1/suggestions/{id}/messages/", "/api/v1/suggestions/{id}/events/",
        "/api/v1/suggestions/{id}/meetings/", "/api/v1/suggestions/{id}/agreement/",
        "/api/v1/suggestions/{id}/close/", "/api/v1/meetings/{id}/accept/", "/api/v1/meetings/{id}/cancel/",
        "/api/v1/meetings/{id}/outcome/", "/api/v1/messages/{id}/attachment/", "/api/v1/agreements/",
        "/api/v1/reports/funnel/", "/api/v1/reports/brokers/", "/api/v1/notifications/",
        "/api/v1/notifications/read/",
    } <= paths
    approve = schema["paths"]["/api/v1/suggestions/{id}/approve/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(approve["responses"])
    assert "requestBody" in approve
    funnel = schema["paths"]["/api/v1/reports/funnel/"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "text/csv"} <= set(funnel)
