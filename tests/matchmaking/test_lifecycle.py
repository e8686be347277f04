"""The services of a pair's life, from routing to a signed agreement, called directly: the
portal and API tests walk the same path through HTTP."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from accounts.enums import Role
from accounts.models import BrokerProfile, Notification
from catalog.enums import Confidentiality, CooperationMode, ListingStatus
from catalog.models import ListingStatusChange
from common.errors import ApplicationError, PermissionDenied
from matchmaking import lifecycle, reports, routing
from matchmaking.models import (
    Agreement,
    Meeting,
    MeetingStatus,
    PairEvent,
    Side,
    Suggestion,
    SuggestionStatus,
)
from matchmaking.notices import broker_digests_send
from tests.factories import AchievementFactory, RequirementFactory, field, member
from tests.matchmaking.builders import make_run, make_suggestion

S = SuggestionStatus


def fresh(obj):
    obj.refresh_from_db()
    return obj


def set_expertise(user, *codes: str, capacity: int | None = None) -> BrokerProfile:
    profile = BrokerProfile.objects.get(user=user)
    profile.fields.set([field(code) for code in codes])
    if capacity is not None:
        profile.capacity = capacity
        profile.save(update_fields=["capacity"])
    return profile


@pytest.fixture
def pair(world):
    """req_public ↔ ach_public awaiting review by world.broker."""
    run = make_run(world)
    return make_suggestion(run, world.req_public, world.ach_public, status=S.SUGGESTED, broker=world.broker,
                           assigned_at=timezone.now(), due_at=timezone.now() + timedelta(days=3))


def walk_to(pair, world, target: str, capture) -> Suggestion:
    """Drive a pair through the services up to ``target``."""
    steps = [S.SUGGESTED, S.APPROVED, S.SENT, S.MUTUAL, S.MEETING, S.MET, S.SIGNED]
    for step in steps[steps.index(fresh(pair).status) + 1:steps.index(target) + 1]:
        if step == S.APPROVED:
            with capture(execute=False):
                lifecycle.suggestion_approve(actor=world.broker, suggestion=pair, note="请双方尽快联系。")
        elif step == S.SENT:
            lifecycle.suggestion_send(suggestion_id=pair.pk)
        elif step == S.MUTUAL:
            lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT,
                                        interested=True)
            lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.ACHIEVEMENT,
                                        interested=True)
        elif step == S.MEETING:
            meeting = lifecycle.meeting_request(actor=world.ent_a_member, suggestion=pair,
                                                starts_at=timezone.now() + timedelta(days=2), location="腾讯会议")
            lifecycle.meeting_accept(actor=world.uni_member, meeting=meeting)
        elif step == S.MET:
            meeting = Meeting.objects.get(suggestion=pair, status=MeetingStatus.CONFIRMED)
            lifecycle.meeting_record_outcome(actor=world.broker, meeting=meeting, held=True, outcome="达成初步意向")
        elif step == S.SIGNED:
            lifecycle.agreement_record(actor=world.broker, suggestion=pair, contract_type=CooperationMode.TRANSFER,
                                       amount="120.5", signed_on=timezone.localdate())
    return fresh(pair)


# --- the whole path --------------------------------------------------------------------------

def test_pair_walks_from_suggestion_to_signed_agreement(world, pair, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.suggestion_approve(actor=world.broker, suggestion=pair, note="请双方尽快联系。")
    # the send task ran after commit (tasks are eager here): both parties were told
    assert fresh(pair).status == S.SENT
    told = set(Notification.objects.filter(kind="suggestion_sent").values_list("user__email", flat=True))
    assert told == {world.ent_a_admin.email, world.ent_a_member.email, world.uni_member.email}
    assert {m.to[0] for m in mail.outbox} == told

    lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT, interested=True)
    assert fresh(pair).status == S.SENT
    lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.ACHIEVEMENT, interested=True)
    assert fresh(pair).status == S.MUTUAL
    assert fresh(world.req_public).status == ListingStatus.IN_NEGOTIATION

    message = lifecycle.message_post(actor=world.uni_member, suggestion=pair, body="附上技术说明。",
                                     upload=SimpleUploadedFile("说明.pdf", b"%PDF-1.4 test", "application/pdf"))
    assert message.attachment_name == "说明.pdf" and message.attachment_size == 13

    starts = timezone.now() + timedelta(days=2)
    meeting = lifecycle.meeting_request(actor=world.ent_a_member, suggestion=pair, starts_at=starts,
                                        location="腾讯会议 123")
    assert meeting.status == MeetingStatus.REQUESTED and meeting.requirement_accepted_at is not None
    lifecycle.meeting_accept(actor=world.uni_member, meeting=meeting)
    assert fresh(meeting).status == MeetingStatus.CONFIRMED and fresh(pair).status == S.MEETING

    lifecycle.meeting_record_outcome(actor=world.broker, meeting=meeting, held=True, outcome="双方同意签约")
    assert fresh(pair).status == S.MET

    agreement = lifecycle.agreement_record(actor=world.broker, suggestion=pair, contract_type=CooperationMode.LICENCE,
                                           amount="88.80", signed_on=timezone.localdate(), note="独占许可三年")
    assert fresh(pair).status == S.SIGNED
    assert (agreement.amount, agreement.meeting_id, agreement.broker_id) == (Decimal("88.80"), meeting.pk,
                                                                             world.broker.pk)
    assert (agreement.requirement_organisation_id, agreement.achievement_organisation_id) == (world.ent_a.pk,
                                                                                              world.uni.pk)
    assert fresh(world.req_public).status == ListingStatus.CONTRACTED
    assert list(ListingStatusChange.objects.filter(listing_id=world.req_public.pk, kind="requirement")
                .values_list("to_status", flat=True)) == [ListingStatus.IN_NEGOTIATION, ListingStatus.CONTRACTED]
    # every step is in the audit trail, numbered, attributed and timestamped
    events = list(PairEvent.objects.filter(suggestion=pair).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [(e.action, e.to_status) for e in events] == [
        ("approved", S.APPROVED), ("sent", S.SENT), ("interested", S.SENT), ("mutual", S.MUTUAL),
        ("meeting_requested", S.MUTUAL), ("meeting_accepted", S.MUTUAL), ("meeting_confirmed", S.MEETING),
        ("met", S.MET), ("signed", S.SIGNED),
    ]
    assert [e.actor_id for e in events] == [world.broker.pk, None, world.ent_a_member.pk, world.uni_member.pk,
                                            world.ent_a_member.pk, world.uni_member.pk, world.uni_member.pk,
                                            world.broker.pk, world.broker.pk]


def test_mail_is_written_in_each_recipients_language(world, pair, django_capture_on_commit_callbacks):
    world.uni_member.preferred_language = "en"
    world.uni_member.save()
    world.ent_a_member.preferred_language = "zh-hans"
    world.ent_a_member.save()

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.suggestion_approve(actor=world.broker, suggestion=pair)

    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address[world.uni_member.email].subject.startswith("TechDock: A vetted partner for")
    assert "经纪人" in by_address[world.ent_a_member.email].body


# --- refusals --------------------------------------------------------------------------------

def test_illegal_transitions_are_refused_with_a_message_and_change_nothing(world, pair):
    with pytest.raises(ApplicationError) as exc, translation.override("en"):
        lifecycle.agreement_record(actor=world.broker, suggestion=pair, contract_type="licence", amount=1,
                                   signed_on=timezone.localdate())
    assert exc.value.code == "illegal_transition"
    assert str(exc.value.message) == "An agreement is recorded after the parties met (now: Awaiting broker review)."
    with pytest.raises(PermissionDenied):  # a pair not yet sent is not the party's to answer
        lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT, interested=True)
    assert fresh(pair).status == S.SUGGESTED and not PairEvent.objects.exists()


def test_second_approval_is_refused_and_records_one_transition(world, pair, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        lifecycle.suggestion_approve(actor=world.broker, suggestion=pair)
        with pytest.raises(ApplicationError) as exc:
            lifecycle.suggestion_approve(actor=world.broker, suggestion=pair)
    assert exc.value.code == "already_decided" and exc.value.status == 409
    assert PairEvent.objects.filter(suggestion=pair, action="approved").count() == 1


def test_rejection_needs_a_reason(world, pair):
    with pytest.raises(ValidationError):
        lifecycle.suggestion_reject(actor=world.broker, suggestion=pair, reason="  ")
    assert fresh(pair).status == S.SUGGESTED


@pytest.mark.parametrize("role", ["other_broker", "ent_a", "university", "investor", "expert"])
def test_only_the_pairs_broker_or_bureau_review(world, pair, role):
    with pytest.raises(PermissionDenied):
        lifecycle.suggestion_approve(actor=world.users()[role], suggestion=pair)
    assert fresh(pair).status == S.SUGGESTED


def test_bureau_staff_may_review_any_pair(world, pair, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        lifecycle.suggestion_reject(actor=world.bureau, suggestion=pair, reason="领域不符")
    assert (fresh(pair).status, pair.reviewed_by_id, pair.reject_reason) == (S.REJECTED, world.bureau.pk, "领域不符")


def test_only_each_sides_members_answer_for_it(world, pair, django_capture_on_commit_callbacks):
    walk_to(pair, world, S.SENT, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.REQUIREMENT, interested=True)
    with pytest.raises(PermissionDenied):
        lifecycle.suggestion_answer(actor=world.ent_b_member, suggestion=pair, side=Side.REQUIREMENT, interested=True)
    lifecycle.suggestion_answer(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT, interested=True)
    with pytest.raises(ApplicationError) as exc:
        lifecycle.suggestion_answer(actor=world.ent_a_admin, suggestion=pair, side=Side.REQUIREMENT, interested=False,
                                    reason="改主意")
    assert exc.value.code == "already_answered"
    assert fresh(pair).status == S.SENT and pair.answers.count() == 1


def test_not_interested_declines_the_pair_and_tells_the_broker(world, pair, django_capture_on_commit_callbacks):
    walk_to(pair, world, S.SENT, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.ACHIEVEMENT, interested=False)

    lifecycle.suggestion_answer(actor=world.uni_member, suggestion=pair, side=Side.ACHIEVEMENT, interested=False,
                                reason="已与他方合作")

    assert fresh(pair).status == S.DECLINED
    assert Notification.objects.filter(user=world.broker, kind="suggestion_declined", body="已与他方合作").exists()
    assert fresh(world.req_public).status == ListingStatus.PUBLISHED


def test_thread_opens_only_at_mutual_interest_and_only_for_participants(world, pair,
                                                                        django_capture_on_commit_callbacks):
    walk_to(pair, world, S.SENT, django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as exc:
        lifecycle.message_post(actor=world.ent_a_member, suggestion=pair, body="你好")
    assert (exc.value.code, exc.value.status) == ("illegal_transition", 409)
    walk_to(pair, world, S.MUTUAL, django_capture_on_commit_callbacks)
    for outsider in (world.ent_b_member, world.other_broker, world.investor):
        with pytest.raises(PermissionDenied):
            lifecycle.message_post(actor=outsider, suggestion=pair, body="我也想参与")
    with pytest.raises(ValidationError):
        lifecycle.message_post(actor=world.ent_a_member, suggestion=pair, body="x",
                               upload=SimpleUploadedFile("run.exe", b"MZ", "application/octet-stream"))
    lifecycle.message_post(actor=world.broker, suggestion=pair, body="我来协调会谈时间。")
    assert list(pair.messages.values_list("body", flat=True)) == ["我来协调会谈时间。"]


def test_cancelled_meeting_returns_the_pair_to_mutual_and_no_deal_releases_the_requirement(
        world, pair, django_capture_on_commit_callbacks):
    walk_to(pair, world, S.MEETING, django_capture_on_commit_callbacks)
    meeting = Meeting.objects.get(suggestion=pair)
    with pytest.raises(ApplicationError):
        lifecycle.meeting_request(actor=world.uni_member, suggestion=pair, starts_at=timezone.now() + timedelta(days=5))

    lifecycle.meeting_cancel(actor=world.uni_member, meeting=meeting, reason="出差")
    assert (fresh(meeting).status, fresh(pair).status) == (MeetingStatus.CANCELLED, S.MUTUAL)

    lifecycle.suggestion_close(actor=world.ent_a_member, suggestion=pair, reason="预算不足")
    assert fresh(pair).status == S.NO_DEAL
    assert fresh(world.req_public).status == ListingStatus.PUBLISHED
    with pytest.raises(ApplicationError):
        lifecycle.meeting_request(actor=world.uni_member, suggestion=pair, starts_at=timezone.now() + timedelta(days=5))


def test_meeting_must_be_in_the_future_and_reasonably_long(world, pair, django_capture_on_commit_callbacks):
    walk_to(pair, world, S.MUTUAL, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        lifecycle.meeting_request(actor=world.ent_a_member, suggestion=pair,
                                  starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError):
        lifecycle.meeting_request(actor=world.ent_a_member, suggestion=pair,
                                  starts_at=timezone.now() + timedelta(days=1), duration_minutes=5)
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(("amount", "signed_in_days"), [("-5", 0), ("abc", 0), ("10", 3)])
def test_agreement_input_is_checked(world, pair, django_capture_on_commit_callbacks, amount, signed_in_days):
    walk_to(pair, world, S.MET, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError):
        lifecycle.agreement_record(actor=world.broker, suggestion=pair, contract_type=CooperationMode.TRANSFER,
                                   amount=amount, signed_on=timezone.localdate() + timedelta(days=signed_in_days))
    assert fresh(pair).status == S.MET and not Agreement.objects.exists()


def test_parties_cannot_record_the_agreement(world, pair, django_capture_on_commit_callbacks):
    walk_to(pair, world, S.MET, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        lifecycle.agreement_record(actor=world.ent_a_member, suggestion=pair, contract_type="transfer", amount=1,
                                   signed_on=timezone.localdate())


def test_disclosure_lets_the_other_party_read_the_budget(world, pair, django_capture_on_commit_callbacks):
    from matchmaking import rules, selectors

    walk_to(pair, world, S.APPROVED, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):  # the party does not see the pair before it is sent...
        lifecycle.suggestion_disclose(actor=world.uni_member, suggestion=pair, side=Side.REQUIREMENT)
    with pytest.raises(ApplicationError):  # ...and the owner cannot disclose it yet either
        lifecycle.suggestion_disclose(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT)
    walk_to(pair, world, S.SENT, django_capture_on_commit_callbacks)
    assert not rules.sees_confidential(world.uni_member, pair, Side.REQUIREMENT)
    with pytest.raises(PermissionDenied):  # only the owner discloses its own listing
        lifecycle.suggestion_disclose(actor=world.uni_member, suggestion=pair, side=Side.REQUIREMENT)

    lifecycle.suggestion_disclose(actor=world.ent_a_member, suggestion=pair, side=Side.REQUIREMENT)

    pair = fresh(pair)
    assert rules.sees_confidential(world.uni_member, pair, Side.REQUIREMENT)
    assert "budget_max" in selectors.listing_view_for_pair(world.uni_member, pair, Side.REQUIREMENT)["fields"]
    # not the other way round, and nobody outside the pair
    assert "budget_max" not in selectors.listing_view_for_pair(world.ent_a_member, pair, Side.ACHIEVEMENT)["fields"]
    assert not rules.sees_confidential(world.ent_b_member, pair, Side.REQUIREMENT)


# --- routing ---------------------------------------------------------------------------------

def _pairs(world, n: int, *, code="energy-storage", status=S.SUGGESTED):
    run = make_run(world)
    out = []
    for i in range(n):
        req = RequirementFactory(organisation=world.ent_b, title=f"需求{i}", fields=[field(code)])
        out.append(make_suggestion(run, req, world.ach_public, status=status, score=0.9 - i / 100))
    return run, out


def test_routing_balances_by_capacity_and_never_exceeds_it(world):
    set_expertise(world.broker, "energy-storage", capacity=4)
    set_expertise(world.other_broker, "energy-storage", capacity=2)
    run, pairs = _pairs(world, 8)

    result = routing.suggestions_route(run_id=run.pk)

    loads = {b: Suggestion.objects.filter(broker=b, status=S.SUGGESTED).count()
             for b in (world.broker, world.other_broker)}
    assert loads == {world.broker: 4, world.other_broker: 2}
    assert result == {"routed": 6, "waiting": 2, "by_broker": {world.broker.pk: 4, world.other_broker.pk: 2}}
    # the two best-scored pairs went first; the two weakest wait
    assert {p.pk for p in pairs[6:]} == set(Suggestion.objects.filter(broker__isnull=True).values_list("pk", flat=True))
    assert all(s.due_at > timezone.now() for s in Suggestion.objects.filter(broker__isnull=False))


def test_routing_is_proportional_to_capacity(world):
    set_expertise(world.broker, "energy-storage", capacity=30)
    set_expertise(world.other_broker, "energy-storage", capacity=10)
    run, _pairs_ = _pairs(world, 8)

    routing.suggestions_route(run_id=run.pk)

    assert Suggestion.objects.filter(broker=world.broker).count() == 6
    assert Suggestion.objects.filter(broker=world.other_broker).count() == 2


def test_routing_needs_a_shared_field(world):
    set_expertise(world.broker, "ai")
    set_expertise(world.other_broker, "energy-storage")
    run, _p = _pairs(world, 3)

    routing.suggestions_route(run_id=run.pk)

    assert set(Suggestion.objects.values_list("broker_id", flat=True)) == {world.other_broker.pk}


def test_routing_never_gives_a_broker_a_pair_of_their_own_organisation(world):
    set_expertise(world.broker, "energy-storage")
    set_expertise(world.other_broker, "energy-storage")
    # a broker of the enterprise's own organisation
    insider = member(world.ent_b, Role.BROKER, email="broker@ent-b.cn")
    set_expertise(insider, "energy-storage", capacity=100)
    run, _p = _pairs(world, 4)

    routing.suggestions_route(run_id=run.pk)

    assert not Suggestion.objects.filter(broker=insider).exists()
    with pytest.raises(ApplicationError) as exc:
        routing.suggestion_assign(actor=world.bureau, suggestion=Suggestion.objects.first(), broker=insider)
    assert exc.value.code == "broker_conflict"


def test_confidential_listing_goes_only_to_its_assigned_brokers(world):
    set_expertise(world.broker, "energy-storage", capacity=1)
    set_expertise(world.other_broker, "energy-storage", capacity=100)
    run = make_run(world)
    secret = make_suggestion(run, world.req_restricted, world.ach_public, status=S.SUGGESTED, score=0.99)
    assert world.req_restricted.confidentiality == Confidentiality.RESTRICTED

    routing.suggestions_route(run_id=run.pk)

    assert fresh(secret).broker_id == world.broker.pk


def test_bureau_reassigns_within_capacity_and_it_is_logged(world):
    set_expertise(world.broker, "energy-storage", capacity=1)
    set_expertise(world.other_broker, "energy-storage", capacity=1)
    run, (first, second) = _pairs(world, 2)
    routing.suggestions_route(run_id=run.pk)
    target = fresh(first).broker_id
    other = world.broker if target != world.broker.pk else world.other_broker
    assert fresh(second).broker_id == other.pk

    with pytest.raises(ApplicationError) as exc:
        routing.suggestion_assign(actor=world.bureau, suggestion=first, broker=other)
    assert exc.value.code == "broker_full"
    with pytest.raises(PermissionDenied):
        routing.suggestion_assign(actor=world.broker, suggestion=first, broker=None)

    routing.suggestion_assign(actor=world.bureau, suggestion=second, broker=None)
    routing.suggestion_assign(actor=world.bureau, suggestion=first, broker=other)

    assert fresh(first).broker_id == other.pk and fresh(second).broker_id is None
    assert PairEvent.objects.filter(suggestion=first, action="assigned", data__to=other.pk).exists()


def test_overdue_reviews_and_the_brokers_digest(world):
    set_expertise(world.broker, "energy-storage")
    run, (late, fine) = _pairs(world, 2)
    Suggestion.objects.filter(pk=late.pk).update(broker=world.broker, due_at=timezone.now() - timedelta(hours=1))
    Suggestion.objects.filter(pk=fine.pk).update(broker=world.broker, due_at=timezone.now() + timedelta(hours=5))

    assert list(routing.overdue_reviews()) == [late]
    assert fresh(late).is_overdue and not fresh(fine).is_overdue
    assert broker_digests_send() == 1
    digest = Notification.objects.get(user=world.broker, kind="broker_digest")
    assert world.broker.preferred_language == "zh-hans"
    assert digest.title == "今日概要：2 条推荐待审核，1 条已超期"


# --- reports ---------------------------------------------------------------------------------

def test_funnel_counts_equal_the_database(world, django_capture_on_commit_callbacks):
    set_expertise(world.broker, "energy-storage", capacity=50)
    run, pairs = _pairs(world, 6)
    Suggestion.objects.update(broker=world.broker)
    ach_two = AchievementFactory(organisation=world.uni, title="第二成果")
    extra = make_suggestion(run, pairs[0].requirement, ach_two, status=S.SUGGESTED, broker=world.broker)
    lifecycle.suggestion_reject(actor=world.broker, suggestion=extra, reason="重复")
    targets = [S.SIGNED, S.MET, S.MUTUAL, S.SENT, S.APPROVED]
    for suggestion, target in zip(pairs, targets, strict=False):
        suggestion.requirement.organisation = world.ent_a
        suggestion.requirement.save()
        walk_to(suggestion, world, target, django_capture_on_commit_callbacks)

    (row,) = reports.funnel(run_id=run.pk)

    reached = {stage: PairEvent.objects.filter(suggestion__run=run, to_status=stage).values("suggestion").distinct()
               .count() for stage in ("approved", "sent", "mutual", "met", "signed")}
    assert row.counts == {"suggested": Suggestion.objects.filter(run=run).count(), **reached}
    assert row.counts == {"suggested": 7, "approved": 5, "sent": 4, "mutual": 3, "met": 2, "signed": 1}
    assert row.rates["approved"] == round(100 * 5 / 7, 1)
    assert row.amount == Agreement.objects.get().amount
    (league_row,) = reports.broker_league()
    assert (league_row["broker_id"], league_row["signed"], league_row["rejected"], league_row["rank"]) == (
        world.broker.pk, 1, 1, 1)


def test_a_confidential_requirement_reaches_the_university_only_once_its_owner_discloses_it(
        world, django_capture_on_commit_callbacks):
    from matchmaking import selectors

    run = make_run(world)
    secret = make_suggestion(run, world.req_restricted, world.ach_public, status=S.SUGGESTED, broker=world.broker)
    walk_to(secret, world, S.SENT, django_capture_on_commit_callbacks)
    assert secret in selectors.inbox_for_user(world.ent_a_member)
    assert secret not in selectors.suggestion_queryset_for_user(world.uni_member)
    with pytest.raises(PermissionDenied):
        lifecycle.suggestion_answer(actor=world.uni_member, suggestion=secret, side=Side.ACHIEVEMENT,
                                    interested=True)

    lifecycle.suggestion_disclose(actor=world.ent_a_member, suggestion=secret, side=Side.REQUIREMENT)

    assert secret in selectors.suggestion_queryset_for_user(world.uni_member)
    view = selectors.listing_view_for_pair(world.uni_member, fresh(secret), Side.REQUIREMENT)
    assert {"description", "budget_max"} <= view["fields"]
    lifecycle.suggestion_answer(actor=world.uni_member, suggestion=secret, side=Side.ACHIEVEMENT, interested=True)
    assert fresh(secret).answers.count() == 1
