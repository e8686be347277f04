"""events.scheduler on its own: the validator, the re-plan, and properties on random small
conferences against an exhaustive search written here, independently of the solver."""

from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.scheduler import Assignment, Pair, Participant, Problem, Slot, Table, find_conflicts, solve

T0 = datetime(2026, 9, 16, 9, 0)


@pytest.fixture(autouse=True)
def _english():
    """The conflict messages are read in English here (the catalogue translates them)."""
    with translation.override("en"):
        yield


def slot(sid, area, minute: int, length: int = 30) -> Slot:
    return Slot(sid, area, T0 + timedelta(minutes=minute), T0 + timedelta(minutes=minute + length))


def conference(**overrides) -> Problem:
    """Two areas running in parallel, 09:00–10:00, with slots of area B 15 minutes later than A's."""
    base = {
        "slots": (slot("A0900", "A", 0), slot("A0930", "A", 30), slot("B0915", "B", 15), slot("B0945", "B", 45)),
        "tables": (Table("A-1", "A"), Table("A-2", "A"), Table("B-1", "B")),
        "participants": (Participant("Acme Robotics"), Participant("NEU", capacity=2),
                         Participant("Broker Li", max_meetings=2), Participant("Dalian Valve")),
        "pairs": (Pair(1, "A", ("Acme Robotics", "NEU", "Broker Li")), Pair(2, "A", ("Dalian Valve", "NEU")),
                  Pair(3, "B", ("Acme Robotics", "NEU"))),
    }
    return Problem(**{**base, **overrides})


def codes(conflicts) -> list[str]:
    return [c.code for c in conflicts]


# --- find_conflicts: one test per code -----------------------------------------------------------

def test_find_conflicts_accepts_a_clean_plan():
    plan = [Assignment(1, "A0900", "A-1"), Assignment(2, "A0900", "A-2"), Assignment(3, "B0945", "B-1")]

    assert find_conflicts(conference(), plan) == []


def test_find_conflicts_table_double_booked():
    found = find_conflicts(conference(), [Assignment(1, "A0900", "A-1"), Assignment(2, "A0900", "A-1")])

    assert codes(found) == ["table_double_booked"]
    assert (found[0].pair, found[0].slot, found[0].table) == (2, "A0900", "A-1")
    assert all(name in found[0].message for name in ("A-1", "A0900", "1", "2"))


def test_find_conflicts_participant_overbooked_across_overlapping_slots_of_two_areas():
    # Acme (capacity 1) at A 09:00–09:30 and at B 09:15–09:45: different slots, same time.
    found = find_conflicts(conference(), [Assignment(1, "A0900", "A-1"), Assignment(3, "B0915", "B-1")])

    assert codes(found) == ["participant_overbooked"]
    assert found[0].participant == "Acme Robotics" and found[0].pair == 3
    assert "Acme Robotics" in found[0].message and "09:15" in found[0].message and "1, 3" in found[0].message


def test_find_conflicts_capacity_allows_parallel_tables():
    # NEU staffs two tables at once: pairs 1 and 2 at 09:00 are fine, a third at 09:15 is not.
    plan = [Assignment(1, "A0900", "A-1"), Assignment(2, "A0900", "A-2"), Assignment(3, "B0915", "B-1")]

    found = find_conflicts(conference(), plan)

    assert [(c.code, c.participant) for c in found] == [("participant_overbooked", "Acme Robotics"),
                                                       ("participant_overbooked", "NEU")]


def test_find_conflicts_participant_over_limit():
    problem = conference(participants=(Participant("Acme Robotics", max_meetings=1), Participant("NEU", capacity=2),
                                       Participant("Broker Li"), Participant("Dalian Valve")))

    found = find_conflicts(problem, [Assignment(1, "A0900", "A-1"), Assignment(3, "B0945", "B-1")])

    assert codes(found) == ["participant_over_limit"]
    assert found[0].participant == "Acme Robotics" and found[0].pair == 3
    assert "Acme Robotics" in found[0].message and "at most 1 meetings" in found[0].message


def test_find_conflicts_participant_unavailable():
    problem = conference(participants=(Participant("Acme Robotics"), Participant("NEU", capacity=2),
                                       Participant("Broker Li", unavailable=frozenset({"A0930"})),
                                       Participant("Dalian Valve")))

    found = find_conflicts(problem, [Assignment(1, "A0930", "A-1")])

    assert codes(found) == ["participant_unavailable"]
    assert found[0].participant == "Broker Li" and "Broker Li" in found[0].message and "A0930" in found[0].message


def test_find_conflicts_table_unavailable():
    problem = conference(tables=(Table("A-1", "A"), Table("B-1", "B", unavailable=frozenset({"B0945"}))))

    found = find_conflicts(problem, [Assignment(3, "B0945", "B-1")])

    assert codes(found) == ["table_unavailable"]
    assert "B-1" in found[0].message and "B0945" in found[0].message


def test_find_conflicts_wrong_area():
    found = find_conflicts(conference(), [Assignment(3, "A0900", "B-1")])

    assert codes(found) == ["wrong_area"]
    assert all(name in found[0].message for name in ("3", "A0900", "B"))


def test_find_conflicts_pair_twice():
    found = find_conflicts(conference(), [Assignment(2, "A0900", "A-1"), Assignment(2, "A0930", "A-2")])

    assert codes(found) == ["pair_twice"]
    assert all(name in found[0].message for name in ("A0900", "A-1", "A0930", "A-2"))


def test_find_conflicts_unknown_references():
    problem = conference(pairs=(*conference().pairs, Pair(4, "A", ("Acme Robotics", "Ghost Institute"))))

    found = find_conflicts(problem, [Assignment(9, "A0900", "A-1"), Assignment(1, "Z", "A-1"),
                                     Assignment(2, "A0900", "A-9"), Assignment(4, "A0930", "A-2")])

    assert codes(found) == ["unknown_reference"] * 4
    assert [c.pair for c in found] == [9, 1, 2, 4]
    assert "9" in found[0].message and "Z" in found[1].message and "A-9" in found[2].message
    assert found[3].participant == "Ghost Institute" and "Ghost Institute" in found[3].message


# --- solve: confirmed meetings, re-plans, bad input ---------------------------------------------

def test_solve_schedules_everything_and_reports_optimal():
    result = solve(conference(), workers=1)

    assert sorted(a.pair for a in result.assignments) == [1, 2, 3]
    assert result.unscheduled == [] and result.status == "optimal" and result.upper_bound == 3
    assert find_conflicts(conference(), result.assignments) == []


def test_solve_with_no_pairs_is_trivial():
    result = solve(conference(pairs=()))

    assert (result.assignments, result.status, result.upper_bound) == ([], "trivial", 0)


def test_solve_keeps_a_feasible_confirmed_meeting_exactly():
    problem = conference(fixed=(Assignment(2, "A0930", "A-2"),))

    result = solve(problem, workers=1)

    assert Assignment(2, "A0930", "A-2", fixed=True) in result.assignments
    assert result.dropped_fixed == [] and result.conflicts == []


def test_solve_drops_a_confirmed_meeting_that_became_infeasible_and_says_why():
    # Dalian Valve can no longer come at 09:30: the confirmed meeting is dropped with a conflict,
    # and the pair is planned again in a slot that suits everyone.
    people = (Participant("Acme Robotics"), Participant("NEU", capacity=2), Participant("Broker Li"),
              Participant("Dalian Valve", unavailable=frozenset({"A0930"})))
    problem = conference(participants=people, fixed=(Assignment(2, "A0930", "A-2"),))

    result = solve(problem, workers=1)

    assert result.dropped_fixed == [Assignment(2, "A0930", "A-2")]
    assert [(c.code, c.pair, c.participant) for c in result.conflicts] == [("participant_unavailable", 2,
                                                                            "Dalian Valve")]
    assert next(a for a in result.assignments if a.pair == 2).slot == "A0900"


def test_solve_keeps_the_earliest_of_clashing_confirmed_meetings():
    problem = conference(fixed=(Assignment(1, "A0900", "A-1"), Assignment(2, "A0900", "A-1")))

    result = solve(problem, workers=1)

    assert Assignment(1, "A0900", "A-1", fixed=True) in result.assignments
    assert result.dropped_fixed == [Assignment(2, "A0900", "A-1")]
    assert codes(result.conflicts) == ["table_double_booked"]


def test_solve_replan_after_a_withdrawal_moves_nobody():
    problem = conference()
    first = solve(problem, workers=1)
    withdrawn = first.assignments[0].pair

    again = solve(conference(pairs=tuple(p for p in problem.pairs if p.id != withdrawn),
                             previous=tuple(first.assignments)), workers=1)

    assert again.moved == []
    assert again.assignments == [a for a in first.assignments if a.pair != withdrawn]


def test_solve_keeps_previous_slots_when_that_costs_no_meeting():
    # Pair 2 alone could go anywhere; its previous place (09:30, table A-2) is kept.
    problem = conference(pairs=(Pair(2, "A", ("Dalian Valve", "NEU")),), previous=(Assignment(2, "A0930", "A-2"),))

    result = solve(problem, workers=1)

    assert result.assignments == [Assignment(2, "A0930", "A-2")] and result.moved == []


def test_solve_moves_a_previous_meeting_when_that_schedules_one_more():
    # Only 09:00 suits Acme for pair 1 (the broker is away at 09:30); pair 3's previous 09:15 slot
    # in area B overlaps it, so pair 3 moves to 09:45.
    people = (Participant("Acme Robotics"), Participant("NEU", capacity=2),
              Participant("Broker Li", unavailable=frozenset({"A0930"})), Participant("Dalian Valve"))
    problem = conference(participants=people, previous=(Assignment(3, "B0915", "B-1"),))

    result = solve(problem, workers=1)

    slots = {a.pair: a.slot for a in result.assignments}
    assert (len(slots), slots[1], slots[3]) == (3, "A0900", "B0945")
    assert result.moved == [3]


def test_solve_is_optimal_where_the_quick_bound_is_loose():
    # Three pairs over three delegations of one table each, pairwise sharing one, in two slots:
    # each delegation alone could meet twice (the relaxation's bound: 3), together only two fit.
    problem = Problem(slots=(slot("A0900", "A", 0), slot("A0930", "A", 30)),
                      tables=(Table("A-1", "A"), Table("A-2", "A")),
                      participants=(Participant("X"), Participant("Y"), Participant("Z")),
                      pairs=(Pair(1, "A", ("X", "Y")), Pair(2, "A", ("X", "Z")), Pair(3, "A", ("Y", "Z"), priority=5)))

    result = solve(problem, workers=1)

    assert (len(result.assignments), result.upper_bound, result.status) == (2, 2, "optimal")
    assert 3 in {a.pair for a in result.assignments}  # the higher priority breaks the tie
    assert find_conflicts(problem, result.assignments) == []


def test_solve_refuses_overlapping_slots_in_one_area():
    problem = conference(slots=(slot("A0900", "A", 0), slot("A0915", "A", 15)))

    with pytest.raises(ValueError, match="overlap"):
        solve(problem)


# --- properties on random small conferences -----------------------------------------------------

@st.composite
def problems(draw, max_pairs: int) -> Problem:
    """1–3 areas with 1–2 slots each, starting on a 15-minute grid, so that slots of different
    areas overlap in part; tight tables, capacities and limits; some parties unavailable or gone;
    confirmed and previous meetings mostly plausible, some of them no longer feasible."""
    areas = ["A", "B", "C"][: draw(st.integers(1, 3))]
    slots = []
    for area in areas:
        minutes = draw(st.lists(st.sampled_from([0, 15, 30, 45, 60]), min_size=1, max_size=2, unique=True))
        if len(minutes) == 2 and abs(minutes[0] - minutes[1]) < 30:
            minutes = minutes[:1]
        slots += [slot(f"{area}{m}", area, m) for m in minutes]
    slot_ids = [s.id for s in slots]

    def some_slots() -> frozenset:
        return frozenset(draw(st.lists(st.sampled_from(slot_ids), max_size=1)))

    tables = tuple(Table(f"{area}-{i}", area, some_slots())
                   for area in areas for i in range(draw(st.sampled_from([1, 1, 2, 2, 0]))))
    def rarely_zero(value: st.SearchStrategy) -> int | None:
        return 0 if draw(st.integers(0, 14)) == 7 else draw(value)  # a delegation that sent nobody

    people = tuple(Participant(f"p{i}", capacity=rarely_zero(st.integers(1, 2)),
                               max_meetings=rarely_zero(st.sampled_from([None, None, 1, 2, 3])),
                               unavailable=some_slots())
                   for i in range(draw(st.integers(2, 5))))
    names = [q.id for q in people]

    def parties() -> tuple:
        chosen = draw(st.lists(st.sampled_from(names), min_size=2, max_size=3, unique=True))
        withdrawn = draw(st.integers(0, 14)) == 7  # a party no longer among the participants
        return (*chosen[:-1], "ghost") if withdrawn else tuple(chosen)

    pairs = tuple(Pair(i, draw(st.sampled_from(areas)), parties(), priority=draw(st.integers(-2, 5)))
                  for i in range(draw(st.integers(0, max_pairs))))

    def assignments(max_size: int) -> tuple:
        out = []
        for _ in range(draw(st.integers(0, max_size if pairs else 0))):
            pair = draw(st.sampled_from(pairs))
            sloppy = draw(st.integers(0, 4)) == 0  # another area's slot or table, or one that is gone
            out.append(Assignment(
                "gone" if sloppy and draw(st.booleans()) else pair.id,
                draw(st.sampled_from([s.id for s in slots if sloppy or s.area == pair.area] or ["gone"])),
                draw(st.sampled_from([t.id for t in tables if sloppy or t.area == pair.area] or ["gone"]))))
        return tuple(out)

    return Problem(slots=tuple(slots), tables=tables, participants=people, pairs=pairs,
                   fixed=assignments(3), previous=assignments(4))


def brute_force(problem: Problem, confirmed: list[Assignment]) -> tuple[int, int, int]:
    """The best (meetings, previous slots kept, priority) over every choice of a slot or none for
    each pair not confirmed — checked here with counters, not with the scheduler's code."""
    people = {q.id: q for q in problem.participants}
    points = sorted({s.starts_at for s in problem.slots})
    covers = {s.id: [t for t in points if s.starts_at <= t < s.ends_at] for s in problem.slots}
    taken = {(a.slot, a.table) for a in confirmed}
    free = {s.id: sum(t.area == s.area and s.id not in t.unavailable and (s.id, t.id) not in taken
                      for t in problem.tables) for s in problem.slots}
    pairs = {p.id: p for p in problem.pairs}
    used, load, total = Counter(), Counter(), Counter()

    def fits(pair: Pair, sid) -> bool:
        parties = set(pair.parties)
        return (used[sid] < free[sid] and all(q in people for q in parties)
                and all(sid not in people[q].unavailable and all(load[q, t] < people[q].capacity for t in covers[sid])
                        and (people[q].max_meetings is None or total[q] < people[q].max_meetings) for q in parties))

    def book(pair: Pair, sid, step: int) -> None:
        used[sid] += step
        for q in set(pair.parties):
            total[q] += step
            for t in covers[sid]:
                load[q, t] += step

    for a in confirmed:
        book(pairs[a.pair], a.slot, 1)
        used[a.slot] -= 1  # its table is already out of ``free``
    previous = {}
    for a in problem.previous:
        previous.setdefault(a.pair, a.slot)
    done = {a.pair for a in confirmed}
    rest = [p for p in problem.pairs if p.id not in done]
    best = (0, 0, 0)

    def search(i: int, score: tuple) -> None:
        nonlocal best
        if i == len(rest):
            best = max(best, score)
            return
        pair = rest[i]
        for s in problem.slots:
            if s.area == pair.area and fits(pair, s.id):
                book(pair, s.id, 1)
                search(i + 1, (score[0] + 1, score[1] + (previous.get(pair.id) == s.id), score[2] + pair.priority))
                book(pair, s.id, -1)
        search(i + 1, score)

    search(0, (0, 0, 0))
    return best[0] + len(confirmed), best[1], best[2]


def check_invariants(problem: Problem, result) -> None:
    assert find_conflicts(problem, result.assignments) == []
    placed = [a.pair for a in result.assignments]
    assert len(placed) == len({*placed})
    assert {*placed} | {*result.unscheduled} == {p.id for p in problem.pairs}
    assert not {*placed} & {*result.unscheduled}
    # Confirmed meetings: kept exactly, or dropped with a conflict; the earliest wins a clash.
    kept = [a for a in result.assignments if a.fixed]
    so_far = []
    for f in problem.fixed:
        feasible = not find_conflicts(problem, [*so_far, f])
        if feasible:
            so_far.append(f)
            assert Assignment(f.pair, f.slot, f.table, fixed=True) in kept
        else:
            assert f in result.dropped_fixed
            assert any((c.pair, c.slot, c.table) == (f.pair, f.slot, f.table) for c in result.conflicts)
    assert len(kept) == len(so_far) == len(problem.fixed) - len(result.dropped_fixed)
    previous = {}
    for a in problem.previous:
        previous.setdefault(a.pair, a)
    now = {a.pair: (a.slot, a.table) for a in result.assignments}
    assert result.moved == [p.id for p in problem.pairs
                            if p.id in previous and now.get(p.id) != (previous[p.id].slot, previous[p.id].table)]
    assert result.upper_bound >= len(result.assignments)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_pairs=12))
def test_solve_property_plans_are_valid_and_keep_confirmed_meetings(problem):
    result = solve(problem, workers=1, time_limit_s=10)

    check_invariants(problem, result)
    assert result.status in ("optimal", "trivial")
    assert result.upper_bound == len(result.assignments)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_pairs=6))
def test_solve_property_matches_exhaustive_search(problem):
    result = solve(problem, workers=1, time_limit_s=10)

    check_invariants(problem, result)
    previous = {}
    for a in problem.previous:
        previous.setdefault(a.pair, a.slot)
    priority = {p.id: p.priority for p in problem.pairs}
    free = [a for a in result.assignments if not a.fixed]
    got = (len(result.assignments), sum(previous.get(a.pair) == a.slot for a in free),
           sum(priority[a.pair] for a in free))
    assert got == brute_force(problem, [a for a in result.assignments if a.fixed])
