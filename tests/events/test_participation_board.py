"""The status board (``events.selectors.status_board``): one requirement in each state, the
totals, the filters and a constant number of queries; and each party's candidates
(``my_event_candidates``): only pairs released to it, never another organisation's."""

import pytest
from django.utils import timezone

from events.enums import RegistrationStatus
from events.models import ExhibitionArea
from events.selectors import BOARD_STATES, my_event_candidates, status_board
from matchmaking.models import PartyAnswer, Side, SuggestionStatus
from tests.events.builders import conference
from tests.events.test_participation_services import board_world, enter
from tests.factories import AchievementFactory, RequirementFactory
from tests.matchmaking.builders import make_suggestion

S = SuggestionStatus


def test_each_requirement_gets_exactly_its_state(world):
    conf = conference(world)
    built = board_world(world, conf)
    reqs = built["reqs"]

    board = status_board(event=conf.event)

    states = {row.requirement.pk: row.state for row in board["rows"]}
    assert states == {
        reqs["no_candidates"].pk: "no_candidates",
        reqs["suggested"].pk: "suggested",
        reqs["viewed"].pk: "viewed",
        world.req_public.pk: "both_interested",
        reqs["meeting_booked"].pk: "meeting_booked",
        reqs["meeting_confirmed"].pk: "meeting_booked",
    }
    assert board["totals"] == {"no_candidates": 1, "suggested": 1, "viewed": 1, "both_interested": 1,
                               "meeting_booked": 2}
    assert board["count"] == 6
    by_req = {row.requirement.pk: row for row in board["rows"]}
    # the rejected pair is counted but is no candidate; the pair to an achievement outside the event is not counted
    assert (by_req[reqs["no_candidates"].pk].counts, by_req[reqs["no_candidates"].pk].candidates) == (
        {S.REJECTED: 1}, 0)
    # the superseded pair (viewed in an older run) is never counted
    assert by_req[reqs["suggested"].pk].counts == {S.SUGGESTED: 1, S.SENT: 1}
    assert (by_req[reqs["suggested"].pk].sent, by_req[reqs["suggested"].pk].viewed) == (1, 0)
    assert (by_req[reqs["viewed"].pk].sent, by_req[reqs["viewed"].pk].viewed) == (1, 1)
    assert by_req[world.req_public.pk].organisation == world.ent_a
    assert by_req[world.req_public.pk].area == conf.area


def test_withdrawn_registrations_leave_the_board_and_filters_narrow_it(world):
    conf = conference(world)
    built = board_world(world, conf)
    hall_b = ExhibitionArea.objects.create(event=conf.event, code="ai", name_zh="智能", name_en="AI")
    ent_b_reg = conf.event.registrations.create(organisation=world.ent_b, status=RegistrationStatus.WITHDRAWN)
    req_b = RequirementFactory(organisation=world.ent_b)
    enter(conf, ent_b_reg, req_b)
    moved = built["reqs"]["viewed"]
    conf.event.listings.filter(requirement=moved).update(area=hall_b)

    everything = status_board(event=conf.event)
    in_b = status_board(event=conf.event, area_id=hall_b.pk)
    booked = status_board(event=conf.event, state="meeting_booked")

    assert req_b.pk not in {row.requirement.pk for row in everything["rows"]}
    assert [row.requirement.pk for row in in_b["rows"]] == [moved.pk]
    assert in_b["totals"] == {state: int(state == "viewed") for state in BOARD_STATES}
    assert {row.requirement.pk for row in booked["rows"]} == {built["reqs"]["meeting_booked"].pk,
                                                               built["reqs"]["meeting_confirmed"].pk}
    assert booked["totals"] == everything["totals"]  # totals are counted before the state filter


def _requirements(world, conf, n: int) -> None:
    for i in range(n):
        req = RequirementFactory(organisation=world.ent_a, title=f"查询需求 {i}")
        enter(conf, conf.reg_ent_a, req)
        make_suggestion(conf.event.run, req, world.ach_public, status=S.SENT, requirement_viewed_at=timezone.now())


@pytest.mark.parametrize("extra", [0, 2])
def test_status_board_queries_do_not_grow_with_rows(world, django_assert_num_queries, extra):
    conf = conference(world)  # world.req_public: 1 requirement
    _requirements(world, conf, extra)

    with django_assert_num_queries(2):  # the entered requirements, the pairs grouped by requirement and status
        board = status_board(event=conf.event)

    assert len(board["rows"]) == 1 + extra


# --- the parties' candidates ---------------------------------------------------------------------

def test_each_party_sees_only_its_released_pairs_of_the_event(world):
    conf = conference(world)
    ach2 = AchievementFactory(organisation=world.uni, title="第二个参会成果")
    enter(conf, conf.reg_uni, ach2)
    outside = AchievementFactory(organisation=world.uni, title="未参会成果")
    req_members = world.req_members
    enter(conf, conf.reg_ent_a, req_members)
    unsent = make_suggestion(conf.event.run, req_members, ach2, status=S.SUGGESTED)
    sent = make_suggestion(conf.event.run, req_members, world.ach_public, status=S.SENT, sent_at=timezone.now())
    make_suggestion(conf.event.run, world.req_public, outside, status=S.SENT)  # counterpart not in the event
    PartyAnswer.objects.create(suggestion=sent, side=Side.ACHIEVEMENT, interested=True)

    seen = {}
    for role in ("ent_a", "university", "ent_b", "bureau", "broker", "investor", "anonymous"):
        groups = my_event_candidates(user=world.users()[role], event=conf.event)
        seen[role] = {(g.kind, g.listing.pk): [(p.pk, p.awaiting) for p in g.pairs] for g in groups}

    assert seen["ent_a"] == {("requirement", world.req_public.pk): [(conf.pair.pk, False)],
                             ("requirement", req_members.pk): [(sent.pk, True)]}
    assert seen["university"] == {("achievement", world.ach_public.pk): [(conf.pair.pk, False), (sent.pk, False)],
                                  ("achievement", ach2.pk): []}
    assert seen["ent_b"] == seen["bureau"] == seen["broker"] == seen["investor"] == seen["anonymous"] == {}
    assert unsent.pk not in {pk for pairs in seen["ent_a"].values() for pk, _a in pairs}
    first = my_event_candidates(user=world.ent_a_member, event=conf.event)[0].pairs[0]
    assert first.counterpart == world.ach_public


def test_a_withdrawn_registration_shows_no_candidates(world):
    conf = conference(world)
    conf.reg_ent_a.status = RegistrationStatus.WITHDRAWN
    conf.reg_ent_a.save(update_fields=["status"])

    assert my_event_candidates(user=world.ent_a_member, event=conf.event) == []
    groups = my_event_candidates(user=world.uni_member, event=conf.event)
    assert [(g.listing.pk, g.pairs) for g in groups] == [(world.ach_public.pk, [])]


@pytest.mark.parametrize("extra", [0, 2])
def test_candidates_queries_do_not_grow_with_listings(world, django_assert_max_num_queries, extra):
    conf = conference(world)
    _requirements(world, conf, extra)
    world.ent_a_member.refresh_from_db()  # roles read afresh inside the block

    with django_assert_max_num_queries(5):  # roles, entries, pairs, their answers (+1 spare)
        groups = my_event_candidates(user=world.ent_a_member, event=conf.event)

    assert len(groups) == 1 + extra
    assert sum(len(g.pairs) for g in groups) == 1 + extra
