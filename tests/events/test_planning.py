"""The negotiation plan's services (events.planning): setting up slots and tables, planning with
the CP-SAT scheduler, re-planning with minimal change, publishing, manual edits with clashes
refused, and a withdrawing organisation's negotiations cancelled."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.enums import OrganisationKind, Role
from accounts.models import Notification
from common.errors import ApplicationError, PermissionDenied
from events import planning, scheduler
from events.enums import PlanStatus, RegistrationStatus, SessionKind
from events.models import EventListing, Registration, ScheduledMeeting, Session, Slot, Table
from events.plan_selectors import assignment, plan_problem
from matchmaking.models import Meeting, MeetingMode, MeetingStatus, PairEvent, SuggestionStatus
from tests.events.builders import conference
from tests.factories import AchievementFactory, OrganisationFactory, RequirementFactory, member
from tests.matchmaking.builders import make_suggestion

ACTIVE = (PlanStatus.PLANNED, PlanStatus.CONFIRMED)


# --- helpers -----------------------------------------------------------------------------------

def registration(conf, organisation, **fields) -> Registration:
    reg, _created = Registration.objects.get_or_create(event=conf.event, organisation=organisation,
                                                       defaults=fields)
    return reg


def add_pair(conf, *, enterprise=None, university=None, broker=None, score=0.6, status=SuggestionStatus.MUTUAL,
             area="default"):
    """A new pair between a new requirement of ``enterprise`` and a new achievement of
    ``university`` (new organisations when not given), both registered and entered."""
    enterprise = enterprise or OrganisationFactory()
    university = university or OrganisationFactory(kind=OrganisationKind.UNIVERSITY, credit_code="")
    area = conf.area if area == "default" else area
    req = RequirementFactory(organisation=enterprise)
    ach = AchievementFactory(organisation=university)
    EventListing.objects.create(event=conf.event, registration=registration(conf, enterprise), requirement=req,
                                area=area)
    EventListing.objects.create(event=conf.event, registration=registration(conf, university), achievement=ach,
                                area=area)
    return make_suggestion(conf.event.run, req, ach, status=status, broker=broker, score=score)


def active_rows(event):
    return list(ScheduledMeeting.objects.filter(event=event, status__in=ACTIVE)
                .select_related("slot", "table", "suggestion__requirement", "suggestion__achievement"))


def cells(event) -> dict:
    return {r.suggestion_id: (r.slot_id, r.table_id) for r in active_rows(event)}


def snapshot(rows) -> dict:
    return {r.pk: (r.suggestion_id, r.slot_id, r.table_id, r.status, r.meeting_id, r.updated_at) for r in rows}


def assert_plan_sound(event) -> None:
    """Independent of the scheduler: no table twice in a slot, no organisation in more
    overlapping negotiations than its delegates, no broker in two at once, and the scheduler's
    own check finds nothing either."""
    rows = active_rows(event)
    assert len({(r.slot_id, r.table_id) for r in rows}) == len(rows)
    assert len({r.suggestion_id for r in rows}) == len(rows)
    delegates = {reg.organisation_id: reg.delegates for reg in Registration.objects.filter(event=event)}
    load = Counter()
    broker_load = Counter()
    for r in rows:
        for other in rows:
            if other.slot.starts_at < r.slot.ends_at and r.slot.starts_at < other.slot.ends_at:
                if r.suggestion.requirement.organisation_id in (other.suggestion.requirement.organisation_id,
                                                               other.suggestion.achievement.organisation_id):
                    load[r.pk, r.suggestion.requirement.organisation_id] += 1
                if r.suggestion.achievement.organisation_id in (other.suggestion.requirement.organisation_id,
                                                               other.suggestion.achievement.organisation_id):
                    load[r.pk, r.suggestion.achievement.organisation_id] += 1
                if r.suggestion.broker_id and r.suggestion.broker_id == other.suggestion.broker_id:
                    broker_load[r.pk, r.suggestion.broker_id] += 1
    for (_row, org_id), n in load.items():
        assert n <= delegates[org_id]
    assert all(n == 1 for n in broker_load.values())
    problem, context = plan_problem(event=event)
    assert scheduler.find_conflicts(problem, [assignment(r) for r in context["rows"]]) == []


@pytest.fixture
def conf(world):
    return conference(world, slots=4, tables=3)


@pytest.fixture
def busy(world, conf):
    """Six mutual pairs: the conference's own, three more of the university (2 delegates) with
    new enterprises, enterprise B with two new universities; one pair without a broker."""
    uni_pairs = [add_pair(conf, university=world.uni, broker=world.broker if i else None) for i in range(3)]
    b_pairs = [add_pair(conf, enterprise=world.ent_b, broker=world.other_broker) for _ in range(2)]
    return [conf.pair, *uni_pairs, *b_pairs]


# --- planning ----------------------------------------------------------------------------------

def test_plan_run_schedules_every_mutual_pair_without_conflicts(world, conf, busy):
    declined = add_pair(conf, status=SuggestionStatus.DECLINED)

    report = planning.plan_run(actor=world.bureau, event=conf.event)

    assert report.planned == len(busy) and report.confirmed == 0 and report.unscheduled == []
    assert report.pairs == len(busy) and report.conflicts == []
    assert set(cells(conf.event)) == {p.pk for p in busy}
    assert declined.pk not in cells(conf.event)
    assert_plan_sound(conf.event)
    assert all(r.status == PlanStatus.PLANNED and r.table.area_id == conf.area.pk for r in active_rows(conf.event))
    assert planning.plan_report_get(event=conf.event)["scheduled"] == len(busy)


def test_plan_run_reports_pairs_that_do_not_fit_with_a_reason(world, conf):
    # Enterprise A (one delegate) has 5 pairs but only 4 slots.
    pairs = [conf.pair, *(add_pair(conf, enterprise=world.ent_a) for _ in range(4))]

    report = planning.plan_run(actor=world.bureau, event=conf.event)

    assert report.planned == 4 and len(report.unscheduled) == 1
    left = report.unscheduled[0]
    assert left["pair"] in {p.pk for p in pairs} and left["code"] == "full"
    assert_plan_sound(conf.event)


def test_replan_after_a_cancellation_keeps_every_other_row_in_place(world, conf, busy):
    planning.plan_run(actor=world.bureau, event=conf.event)
    before = cells(conf.event)
    cancelled = ScheduledMeeting.objects.get(event=conf.event, suggestion=busy[2])

    planning.scheduled_cancel(actor=world.bureau, scheduled=cancelled, reason="")
    report = planning.plan_run(actor=world.bureau, event=conf.event)

    after = cells(conf.event)
    assert busy[2].pk not in after
    assert after == {pid: cell for pid, cell in before.items() if pid != busy[2].pk}
    assert report.moved == 0
    assert [u["code"] for u in report.unscheduled] == ["cancelled"]


def test_replan_after_a_withdrawal_keeps_the_other_rows(world, conf, busy):
    planning.plan_run(actor=world.bureau, event=conf.event)
    before = cells(conf.event)
    reg_b = Registration.objects.get(event=conf.event, organisation=world.ent_b)

    n = planning.scheduled_cancel_for_registration(actor=world.bureau, registration=reg_b, reason="公司临时有事")
    Registration.objects.filter(pk=reg_b.pk).update(status=RegistrationStatus.WITHDRAWN)
    planning.plan_run(actor=world.bureau, event=conf.event)

    assert n == 2
    b_ids = {busy[4].pk, busy[5].pk}
    assert cells(conf.event) == {pid: cell for pid, cell in before.items() if pid not in b_ids}


def test_plan_run_never_changes_confirmed_rows(world, conf, busy):
    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    confirmed = snapshot(active_rows(conf.event))
    newcomers = [add_pair(conf, university=world.uni) for _ in range(2)]

    report = planning.plan_run(actor=world.bureau, event=conf.event)

    rows = active_rows(conf.event)
    assert snapshot([r for r in rows if r.pk in confirmed]) == confirmed
    assert report.confirmed == len(busy) and report.conflicts == []
    planned = {r.suggestion_id for r in rows if r.status == PlanStatus.PLANNED}
    assert planned <= {p.pk for p in newcomers}
    assert_plan_sound(conf.event)


def test_a_confirmed_negotiation_made_infeasible_is_reported_not_moved(world, conf, busy):
    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.select_related("slot", "table").get(event=conf.event, suggestion=conf.pair)
    before = snapshot(active_rows(conf.event))
    conf.reg_ent_a.unavailable_slots.add(row.slot)

    report = planning.plan_run(actor=world.bureau, event=conf.event)

    assert snapshot(active_rows(conf.event)) == before
    [dropped] = report.conflicts
    assert dropped["pair"] == conf.pair.pk and dropped["code"] == "confirmed_dropped"
    assert dropped["params"]["reason_code"] == "participant_unavailable"
    with translation.override("en"):
        text = planning.reason_text(dropped["code"], dropped["params"])
    assert "can no longer take place" in text and str(world.ent_a) in text and row.table.label in text
    assert conf.pair.pk not in {u["pair"] for u in report.unscheduled}


def test_a_confirmed_negotiation_of_an_organisation_gone_from_the_event_is_reported(world, conf):
    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    before = snapshot(active_rows(conf.event))
    Registration.objects.filter(pk=conf.reg_uni.pk).update(status=RegistrationStatus.WITHDRAWN)

    report = planning.plan_run(actor=world.bureau, event=conf.event)

    assert snapshot(active_rows(conf.event)) == before
    [dropped] = report.conflicts
    with translation.override("en"):
        text = planning.reason_text(dropped["code"], dropped["params"])
    assert dropped["code"] == "confirmed_dropped" and "withdrew" in text and "can no longer be scheduled" not in text


def test_a_party_cancelling_the_published_meeting_frees_its_row_on_the_next_run(world, conf, busy):
    from matchmaking import lifecycle

    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    lifecycle.meeting_cancel(actor=world.ent_a_member, meeting=row.meeting, reason="时间冲突")

    report = planning.plan_run(actor=world.bureau, event=conf.event)

    row.refresh_from_db()
    assert row.status == PlanStatus.CANCELLED and row.change_reason == "时间冲突"
    assert [c["code"] for c in report.conflicts] == ["confirmed_cancelled"]
    assert [u["code"] for u in report.unscheduled] == ["cancelled"]


def test_pairs_without_area_slots_or_tables_are_unplaceable_with_a_reason(world, conf):
    from events.models import ExhibitionArea

    bare = ExhibitionArea.objects.create(event=conf.event, code="ai", name_zh="人工智能", name_en="AI")
    no_slots = add_pair(conf, area=bare)
    Session.objects.create(event=conf.event, area=bare, kind=SessionKind.NEGOTIATION, title_zh="AI", title_en="AI",
                           starts_at=conf.session.starts_at, ends_at=conf.session.ends_at)

    report = planning.plan_run(actor=world.bureau, event=conf.event)

    assert {u["pair"]: u["code"] for u in report.unscheduled} == {no_slots.pk: "no_slots"}
    assert cells(conf.event) == {conf.pair.pk: cells(conf.event)[conf.pair.pk]}


def test_plan_run_is_bureau_only(world, conf):
    with pytest.raises(PermissionDenied):
        planning.plan_run(actor=world.broker, event=conf.event)
    assert not ScheduledMeeting.objects.exists()


# --- publishing --------------------------------------------------------------------------------

def test_publish_books_conference_meetings_and_the_pairs_become_meeting(world, conf, busy):
    planning.plan_run(actor=world.bureau, event=conf.event)

    result = planning.plan_publish(actor=world.bureau, event=conf.event)

    assert result.published == len(busy) and result.refused == []
    rows = active_rows(conf.event)
    assert {r.status for r in rows} == {PlanStatus.CONFIRMED}
    for row in rows:
        meeting = Meeting.objects.get(pk=row.meeting_id)
        assert meeting.mode == MeetingMode.CONFERENCE and meeting.status == MeetingStatus.CONFIRMED
        assert meeting.starts_at == row.slot.starts_at and meeting.duration_minutes == 30
        assert row.table.label in meeting.location and "新能源展区" in meeting.location
        row.suggestion.refresh_from_db()
        assert row.suggestion.status == SuggestionStatus.MEETING
    assert Notification.objects.filter(user=world.ent_a_member, kind="meeting_confirmed").count() == 1


def test_publish_goes_on_when_one_pair_is_refused(world, conf, busy):
    planning.plan_run(actor=world.bureau, event=conf.event)
    # Meanwhile the university closes one negotiation without a deal.
    from matchmaking import lifecycle

    lifecycle.suggestion_close(actor=world.uni_member, suggestion=busy[1], reason="方向不符")

    result = planning.plan_publish(actor=world.bureau, event=conf.event)

    assert result.published == len(busy) - 1
    assert [r["pair"] for r in result.refused] == [busy[1].pk]
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=busy[1])
    assert row.status == PlanStatus.PLANNED and row.meeting_id is None
    assert not Meeting.objects.filter(suggestion=busy[1]).exists()


# --- manual edits ------------------------------------------------------------------------------

def test_a_move_into_a_taken_table_is_refused_with_the_conflict(world, conf, busy):
    planning.plan_run(actor=world.bureau, event=conf.event)
    rows = active_rows(conf.event)
    mover, taken = rows[0], rows[1]
    before = snapshot(rows)

    with pytest.raises(ApplicationError) as refused:
        planning.scheduled_move(actor=world.bureau, scheduled=mover, slot=taken.slot, table=taken.table)

    error = refused.value
    assert error.status == 409 and error.code == "conflict"
    codes = {c["code"] for c in error.extra["conflicts"]}
    assert "table_double_booked" in codes
    assert taken.table.label in str(error.message)
    assert snapshot(active_rows(conf.event)) == before


def test_a_move_into_a_slot_the_enterprise_cannot_attend_is_refused(world, conf):
    planning.plan_run(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    away = next(s for s in conf.slots if s.pk != row.slot_id)
    conf.reg_ent_a.unavailable_slots.add(away)

    with pytest.raises(ApplicationError) as refused:
        planning.scheduled_move(actor=world.bureau, scheduled=row, slot=away, table=row.table)

    assert [c["code"] for c in refused.value.extra["conflicts"]] == ["participant_unavailable"]
    assert str(world.ent_a) in refused.value.extra["conflicts"][0]["message"]
    assert ScheduledMeeting.objects.get(pk=row.pk).slot_id == row.slot_id


def test_a_planned_move_to_a_free_cell_just_moves(world, conf):
    planning.plan_run(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    target = next(s for s in conf.slots if s.pk != row.slot_id)

    planning.scheduled_move(actor=world.bureau, scheduled=row, slot=target, table=conf.tables[2])

    row.refresh_from_db()
    assert (row.slot_id, row.table_id, row.status) == (target.pk, conf.tables[2].pk, PlanStatus.PLANNED)
    assert not PairEvent.objects.filter(suggestion=conf.pair, action="meeting_moved").exists()


def test_a_confirmed_move_needs_a_reason_and_notifies_the_parties(world, conf):
    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    target = next(s for s in conf.slots if s.pk != row.slot_id)

    with pytest.raises(ValidationError):
        planning.scheduled_move(actor=world.bureau, scheduled=row, slot=target, table=row.table)
    planning.scheduled_move(actor=world.bureau, scheduled=row, slot=target, table=row.table, reason="场地调整")

    row.refresh_from_db()
    assert row.slot_id == target.pk and row.status == PlanStatus.CONFIRMED and row.change_reason == "场地调整"
    meeting = Meeting.objects.get(pk=row.meeting_id)
    assert meeting.starts_at == target.starts_at and meeting.status == MeetingStatus.CONFIRMED
    event = PairEvent.objects.get(suggestion=conf.pair, action="meeting_moved")
    assert event.note == "场地调整" and event.actor == world.bureau
    for user in (world.ent_a_member, world.uni_member, world.broker):
        assert Notification.objects.filter(user=user, kind="meeting_moved").count() == 1


def test_a_pair_is_placed_by_hand_only_where_it_does_not_clash(world, conf):
    extra = add_pair(conf, enterprise=world.ent_a)
    conf.reg_ent_a.unavailable_slots.add(*conf.slots[1:])
    planning.plan_run(actor=world.bureau, event=conf.event)
    assert set(cells(conf.event)) == {conf.pair.pk}  # only one slot left for enterprise A
    taken = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)

    with pytest.raises(ApplicationError) as refused:
        planning.scheduled_create(actor=world.bureau, event=conf.event, suggestion=extra, slot=taken.slot,
                                  table=conf.tables[2])
    assert {c["code"] for c in refused.value.extra["conflicts"]} == {"participant_overbooked"}
    conf.reg_ent_a.unavailable_slots.remove(conf.slots[3])
    row = planning.scheduled_create(actor=world.bureau, event=conf.event, suggestion=extra, slot=conf.slots[3],
                                    table=conf.tables[0])

    assert row.status == PlanStatus.PLANNED and cells(conf.event)[extra.pk] == (conf.slots[3].pk, conf.tables[0].pk)
    assert_plan_sound(conf.event)


def test_cancelling_a_confirmed_negotiation_cancels_its_meeting(world, conf):
    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)

    with pytest.raises(ValidationError):
        planning.scheduled_cancel(actor=world.bureau, scheduled=row, reason=" ")
    planning.scheduled_cancel(actor=world.bureau, scheduled=row, reason="企业代表无法到场")

    row.refresh_from_db()
    assert row.status == PlanStatus.CANCELLED
    assert Meeting.objects.get(pk=row.meeting_id).status == MeetingStatus.CANCELLED
    conf.pair.refresh_from_db()
    assert conf.pair.status == SuggestionStatus.MUTUAL
    assert Notification.objects.filter(user=world.uni_member, kind="meeting_cancelled").count() == 1


def test_withdrawal_cancels_every_negotiation_of_the_organisation(world, conf, busy):
    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    add_pair(conf, enterprise=world.ent_a)
    planning.plan_run(actor=world.bureau, event=conf.event)  # one planned, one confirmed for enterprise A
    ent_a_rows = [r for r in active_rows(conf.event) if r.suggestion.requirement.organisation_id == world.ent_a.pk]
    assert {r.status for r in ent_a_rows} == {PlanStatus.PLANNED, PlanStatus.CONFIRMED}

    n = planning.scheduled_cancel_for_registration(actor=world.ent_a_admin, registration=conf.reg_ent_a, reason="")

    assert n == 2
    assert all(r.suggestion.requirement.organisation_id != world.ent_a.pk for r in active_rows(conf.event))
    confirmed = next(r for r in ent_a_rows if r.status == PlanStatus.CONFIRMED)
    meeting = Meeting.objects.get(pk=confirmed.meeting_id)
    assert meeting.status == MeetingStatus.CANCELLED and str(world.ent_a) in meeting.outcome
    assert len(active_rows(conf.event)) == len(busy) - 1


def test_withdrawal_by_someone_else_is_refused(world, conf):
    planning.plan_run(actor=world.bureau, event=conf.event)

    with pytest.raises(PermissionDenied):
        planning.scheduled_cancel_for_registration(actor=world.ent_b_member, registration=conf.reg_ent_a)
    assert len(active_rows(conf.event)) == 1


# --- setup -------------------------------------------------------------------------------------

def test_generating_slots_is_idempotent_and_adds_missing_ones(world, conf):
    conf.session.ends_at += timedelta(minutes=60)
    conf.session.save()

    slots = planning.session_generate_slots(actor=world.bureau, session=conf.session)
    again = planning.session_generate_slots(actor=world.bureau, session=conf.session)

    assert [s.pk for s in slots[:4]] == [s.pk for s in conf.slots]
    assert len(slots) == 6 and [s.pk for s in again] == [s.pk for s in slots]
    assert all(b.starts_at == a.ends_at for a, b in zip(slots, slots[1:], strict=False))


def test_overlapping_negotiation_sessions_of_one_area_are_refused(world, conf):
    other = Session.objects.create(event=conf.event, area=conf.area, kind=SessionKind.NEGOTIATION,
                                   title_zh="新能源洽谈（二）", title_en="New energy II",
                                   starts_at=conf.session.ends_at - timedelta(minutes=30),
                                   ends_at=conf.session.ends_at + timedelta(hours=1))

    with pytest.raises(ApplicationError) as refused:
        planning.session_generate_slots(actor=world.bureau, session=other)

    message = str(refused.value.message)
    assert "新能源洽谈（二）" in message and "新能源洽谈" in message.replace("新能源洽谈（二）", "")
    assert refused.value.code == "sessions_overlap"
    assert not Slot.objects.filter(session=other).exists()


def test_shortening_a_session_under_a_scheduled_negotiation_is_refused(world, conf):
    planning.plan_run(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.get(event=conf.event, suggestion=conf.pair)
    planning.scheduled_move(actor=world.bureau, scheduled=row, slot=conf.slots[-1], table=row.table)
    conf.session.ends_at = conf.slots[-1].starts_at
    conf.session.save()

    with pytest.raises(ApplicationError) as refused:
        planning.session_generate_slots(actor=world.bureau, session=conf.session)

    assert refused.value.code == "slots_in_use" and str(world.ent_a) in str(refused.value.message)
    assert Slot.objects.filter(session=conf.session).count() == 4


def test_tables_are_added_and_put_away_but_not_under_confirmed_negotiations(world, conf):
    change = planning.tables_set(actor=world.bureau, area=conf.area, count=5)
    assert [t.label for t in change.tables] == ["A01", "A02", "A03", "ENERGY01", "ENERGY02"]

    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    row = ScheduledMeeting.objects.select_related("table").get(event=conf.event, suggestion=conf.pair)
    keep = sorted(change.tables, key=lambda t: t.pk != row.table_id)[:1]  # the table in use first
    Table.objects.filter(pk=row.table_id).update(label="A00")

    with pytest.raises(ApplicationError) as refused:
        planning.tables_set(actor=world.bureau, area=conf.area, count=0)
    assert refused.value.code == "tables_in_use"
    smaller = planning.tables_set(actor=world.bureau, area=conf.area, count=1)

    assert [t.pk for t in smaller.tables] == [keep[0].pk] and smaller.deactivated == 4
    assert Table.objects.filter(area=conf.area).count() == 5


def test_setup_is_bureau_only(world, conf):
    with pytest.raises(PermissionDenied):
        planning.tables_set(actor=world.uni_member, area=conf.area, count=9)
    with pytest.raises(PermissionDenied):
        planning.session_generate_slots(actor=world.broker, session=conf.session)
    assert Table.objects.filter(area=conf.area).count() == 3


def test_plan_problem_reads_the_database_in_a_constant_number_of_queries(world, conf):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> tuple[int, scheduler.Problem]:
        with CaptureQueriesContext(connection) as ctx:
            problem, _context = plan_problem(event=conf.event)
        return len(ctx.captured_queries), problem

    planning.plan_run(actor=world.bureau, event=conf.event)
    one, problem_one = count()
    broker2 = member(world.agency, Role.BROKER)
    for _ in range(3):  # broker2 attends at most one negotiation per slot: 4 slots
        add_pair(conf, broker=broker2)
    conf.reg_uni.unavailable_slots.add(conf.slots[0])
    planning.plan_run(actor=world.bureau, event=conf.event)
    planning.plan_publish(actor=world.bureau, event=conf.event)
    six, problem_six = count()

    assert (len(problem_one.pairs), len(problem_six.pairs), len(problem_six.fixed)) == (1, 4, 4)
    assert six == one
    assert all(len(p.parties) == 3 for p in problem_six.pairs)
    uni = next(q for q in problem_six.participants if q.id == f"org:{world.uni.pk}")
    assert (uni.capacity, uni.max_meetings, uni.unavailable) == (2, 8, frozenset({conf.slots[0].pk}))
