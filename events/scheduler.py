"""Who meets whom, when and at which table at a docking conference: the pure meeting scheduler.

Pure on purpose (no models, no database): the events services turn a conference into a
``Problem`` and store the ``Result``, the benchmark and the property tests call it directly.

``solve`` decides pair → slot with CP-SAT and then gives out tables per (area, slot) greedily:
tables of one area are interchangeable, so once the number of meetings in a slot fits the free
tables, any matching of meetings to tables is valid and the greedy pass can favour stability.
The objective is lexicographic: the most meetings, then the most meetings kept in their previous
slot, then priority. Confirmed (``fixed``) meetings are kept exactly or dropped with a
``Conflict`` saying why: a confirmed meeting is never moved silently.

Why three steps and not one model (``_choose``): on two cores CP-SAT finds good plans for the
full pair × slot model of a 2,000-pair conference but cannot prove them (its bound was still
2,000 for 1,706 meetings after 60 s), so a small relaxation without the slots picks the pairs
and bounds the count first, and slots are then found for exactly that pick (BENCHMARKS.md §6).

A participant's load is counted per *time*, not per slot id: the areas' sessions run in
parallel, so one delegation can be at two areas' tables at 09:00 only if its capacity allows.
Loads are counted at every slot start, which is enough: the most intervals overlapping at once
is always reached at some interval's start.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _


@dataclass(frozen=True, slots=True)
class Slot:
    """A time slot of one area's negotiation session. Slots of different areas may overlap (the
    areas run in parallel); slots of one area must not (``solve`` refuses them)."""

    id: Hashable
    area: Hashable
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class Table:
    """A negotiation table of an area; ``unavailable`` holds the ids of slots it cannot be used in."""

    id: Hashable
    area: Hashable
    unavailable: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Participant:
    """A party (an organisation's delegation staffing ``capacity`` tables at once) or a broker
    (capacity 1). ``unavailable`` lists slot ids, literally: list every area's slot of a period."""

    id: Hashable
    capacity: int = 1
    max_meetings: int | None = None
    unavailable: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Pair:
    """A mutually interested pair; ``parties`` are participant ids (enterprise, university and,
    when there is one, the broker). ``priority`` only breaks ties among maximum schedules."""

    id: Hashable
    area: Hashable
    parties: tuple
    priority: int = 1


@dataclass(frozen=True, slots=True)
class Assignment:
    pair: Hashable
    slot: Hashable
    table: Hashable
    fixed: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """``fixed``: confirmed meetings, kept exactly while feasible. ``previous``: the last plan
    (not confirmed), kept as far as possible without scheduling fewer meetings."""

    slots: tuple[Slot, ...]
    tables: tuple[Table, ...]
    participants: tuple[Participant, ...]
    pairs: tuple[Pair, ...]
    fixed: tuple[Assignment, ...] = ()
    previous: tuple[Assignment, ...] = ()


@dataclass(frozen=True, slots=True)
class Conflict:
    """``pair``/``slot``/``table`` are those of the assignment that clashes with earlier ones."""

    code: str
    message: str
    pair: Hashable | None = None
    slot: Hashable | None = None
    table: Hashable | None = None
    participant: Hashable | None = None


@dataclass(slots=True)
class Result:
    """``conflicts`` explain ``dropped_fixed``. ``moved``: pairs of ``previous`` whose slot or
    table changed, or which are no longer scheduled. ``upper_bound``: the most meetings any plan
    keeping the kept confirmed meetings can have (proven by the solver). ``solve_s`` is the whole
    call, model building included."""

    assignments: list[Assignment]
    unscheduled: list
    conflicts: list[Conflict]
    dropped_fixed: list[Assignment]
    moved: list
    status: str  # "optimal" | "feasible" | "trivial" (nothing left to decide)
    solve_s: float
    upper_bound: int


def _names(ids: Iterable) -> str:
    return ", ".join(str(i) for i in ids)


def _order(value: Hashable) -> tuple:
    """Sort key for opaque ids: numbers numerically, strings alphabetically, never a TypeError."""
    return (type(value).__name__, value)


def _parties(pair: Pair) -> tuple:
    return tuple(dict.fromkeys(pair.parties))


class _Index:
    """Lookups by id and the slot starts each slot covers, built once per problem."""

    def __init__(self, problem: Problem):
        self.slots = {s.id: s for s in problem.slots}
        self.tables = {t.id: t for t in problem.tables}
        self.participants = {q.id: q for q in problem.participants}
        self.pairs = {p.id: p for p in problem.pairs}
        starts = sorted({s.starts_at for s in problem.slots})
        self.points = {s.id: tuple(t for t in starts if s.starts_at <= t < s.ends_at) for s in problem.slots}


class _Ledger:
    """What accepted assignments already use, so that the next one is checked against them. The
    earliest assignment in input order wins a clash, in ``find_conflicts`` and among confirmed
    meetings in ``solve`` alike."""

    def __init__(self, index: _Index):
        self.ix = index
        self.table_use: dict[tuple, Hashable] = {}
        self.load: defaultdict[tuple, list] = defaultdict(list)
        self.total: Counter = Counter()
        self.placed: dict[Hashable, Assignment] = {}

    def known(self, a: Assignment) -> bool:
        pair = self.ix.pairs.get(a.pair)
        return (pair is not None and a.slot in self.ix.slots and a.table in self.ix.tables
                and all(q in self.ix.participants for q in pair.parties))

    def check(self, a: Assignment) -> list[Conflict]:
        ix, found = self.ix, []

        def clash(code: str, message: str, participant: Hashable | None = None) -> None:
            found.append(Conflict(code, message, a.pair, a.slot, a.table, participant))

        names = {"pair": a.pair, "slot": a.slot, "table": a.table}
        pair, slot, table = ix.pairs.get(a.pair), ix.slots.get(a.slot), ix.tables.get(a.table)
        if pair is None:
            clash("unknown_reference", _("Unknown pair %(pair)s: it is not among the pairs to schedule.") % names)
        if slot is None:
            clash("unknown_reference", _("Pair %(pair)s is given unknown slot %(slot)s.") % names)
        if table is None:
            clash("unknown_reference", _("Pair %(pair)s is given unknown table %(table)s.") % names)
        for q in _parties(pair) if pair else ():
            if q not in ix.participants:
                clash("unknown_reference", _("Pair %(pair)s names unknown participant %(participant)s.")
                      % {**names, "participant": q}, q)
        if found:
            return found
        if slot.area != pair.area:
            clash("wrong_area", _("Pair %(pair)s belongs to area %(area)s but slot %(slot)s is in area %(other)s.")
                  % {**names, "area": pair.area, "other": slot.area})
        if table.area != pair.area:
            clash("wrong_area", _("Pair %(pair)s belongs to area %(area)s but table %(table)s is in area %(other)s.")
                  % {**names, "area": pair.area, "other": table.area})
        if a.slot in table.unavailable:
            clash("table_unavailable", _("Table %(table)s cannot be used in slot %(slot)s (pair %(pair)s).") % names)
        if (a.slot, a.table) in self.table_use:
            clash("table_double_booked", _("Table %(table)s is booked twice in slot %(slot)s: pairs %(pairs)s.")
                  % {**names, "pairs": _names((self.table_use[a.slot, a.table], a.pair))})
        if (first := self.placed.get(a.pair)) is not None:
            clash("pair_twice", _("Pair %(pair)s is scheduled twice: slot %(other_slot)s at table %(other_table)s, "
                                  "and slot %(slot)s at table %(table)s.")
                  % {**names, "other_slot": first.slot, "other_table": first.table})
        for q in _parties(pair):
            who = ix.participants[q]
            if a.slot in who.unavailable:
                clash("participant_unavailable",
                      _("Participant %(participant)s is not available in slot %(slot)s (pair %(pair)s).")
                      % {**names, "participant": q}, q)
            for point in ix.points[a.slot]:
                if len(others := self.load[q, point]) >= who.capacity:
                    clash("participant_overbooked",
                          _("Participant %(participant)s can attend at most %(capacity)s meeting(s) at once, but "
                            "at %(time)s would have %(count)s: pairs %(pairs)s.")
                          % {**names, "participant": q, "capacity": who.capacity, "time": f"{point:%Y-%m-%d %H:%M}",
                             "count": len(others) + 1, "pairs": _names([*others, a.pair])}, q)
                    break
            if who.max_meetings is not None and self.total[q] >= who.max_meetings:
                clash("participant_over_limit",
                      _("Participant %(participant)s accepts at most %(limit)s meetings in all; pair %(pair)s would "
                        "make %(count)s.") % {**names, "participant": q, "limit": who.max_meetings,
                                              "count": self.total[q] + 1}, q)
        return found

    def add(self, a: Assignment) -> None:
        self.table_use.setdefault((a.slot, a.table), a.pair)
        self.placed.setdefault(a.pair, a)
        for q in _parties(self.ix.pairs[a.pair]):
            self.total[q] += 1
            for point in self.ix.points[a.slot]:
                self.load[q, point].append(a.pair)


def find_conflicts(problem: Problem, assignments: Iterable[Assignment]) -> list[Conflict]:
    """Every clash in ``assignments`` (a plan, or a manual edit of one), each reported on the
    later of the assignments involved. Assignments that clash still count for the later ones, so
    one pass reports all of them."""
    ledger, found = _Ledger(_Index(problem)), []
    for a in assignments:
        found.extend(ledger.check(a))
        if ledger.known(a):
            ledger.add(a)
    return found


def _refuse_bad_slots(problem: Problem) -> None:
    """Tables are counted per slot and loads at slot starts, which is right only if every slot
    has a length and one area's slots never overlap."""
    by_area = defaultdict(list)
    for s in problem.slots:
        if s.ends_at <= s.starts_at:
            raise ValueError(f"slot {s.id} does not end after it starts")
        by_area[s.area].append(s)
    for area, slots in by_area.items():
        slots.sort(key=lambda s: s.starts_at)
        for a, b in zip(slots, slots[1:], strict=False):
            if b.starts_at < a.ends_at:
                raise ValueError(f"slots {a.id} and {b.id} of area {area} overlap")


def solve(problem: Problem, *, time_limit_s: float = 60.0, workers: int = 2, seed: int = 0) -> Result:
    """The plan with the most meetings that keeps every feasible confirmed meeting exactly, then
    moves the fewest previous meetings to another slot, then favours higher priorities."""
    started = time.perf_counter()
    _refuse_bad_slots(problem)
    ix = _Index(problem)
    ledger = _Ledger(ix)
    kept, dropped, conflicts = [], [], []
    for a in problem.fixed:
        if found := ledger.check(a):
            dropped.append(a)
            conflicts.extend(found)
        else:
            ledger.add(a)
            kept.append(Assignment(a.pair, a.slot, a.table, fixed=True))
    previous: dict = {}
    for a in problem.previous:
        previous.setdefault(a.pair, a)

    free_tables = {s.id: sorted((t.id for t in problem.tables if t.area == s.area and s.id not in t.unavailable
                                 and (s.id, t.id) not in ledger.table_use), key=_order) for s in problem.slots}
    room = {(q.id, t): q.capacity - len(ledger.load[q.id, t]) for q in problem.participants
            for t in {t for pts in ix.points.values() for t in pts}}
    left = {q.id: math.inf if q.max_meetings is None else q.max_meetings - ledger.total[q.id]
            for q in problem.participants}
    area_slots = defaultdict(list)
    for s in sorted(problem.slots, key=lambda s: s.starts_at):
        area_slots[s.area].append(s.id)
    cands: dict = {}  # pair id -> candidate slot ids, in time order
    for p in problem.pairs:
        parties = _parties(p)
        if p.id in ledger.placed or any(q not in ix.participants or left[q] <= 0 for q in parties):
            continue
        slots = [sid for sid in area_slots[p.area] if free_tables[sid]
                 and not any(sid in ix.participants[q].unavailable for q in parties)
                 and all(room[q, t] > 0 for q in parties for t in ix.points[sid])]
        if slots:
            cands[p.id] = slots

    chosen, status, upper = {}, "trivial", 0
    if cands:
        chosen, status, upper = _choose(ix, cands, previous, free_tables, room, left,
                                        time_limit_s=time_limit_s, workers=workers, seed=seed)

    plan = {a.pair: a for a in kept}
    by_slot = defaultdict(list)
    for pid, sid in chosen.items():
        by_slot[sid].append(pid)
    for sid, pids in by_slot.items():
        free, table_of = free_tables[sid], {}
        for pid in pids:  # a previous meeting that stays in its slot keeps its table when it can
            prev = previous.get(pid)
            if prev and prev.slot == sid and prev.table in free and prev.table not in table_of.values():
                table_of[pid] = prev.table
        rest = iter(t for t in free if t not in table_of.values())
        for pid in sorted((pid for pid in pids if pid not in table_of), key=_order):
            table_of[pid] = next(rest)
        plan.update({pid: Assignment(pid, sid, table) for pid, table in table_of.items()})

    assignments = [plan[p.id] for p in problem.pairs if p.id in plan]
    moved = [p.id for p in problem.pairs if p.id in previous
             and (p.id not in plan or (plan[p.id].slot, plan[p.id].table) != (previous[p.id].slot,
                                                                              previous[p.id].table))]
    return Result(assignments=assignments, unscheduled=[p.id for p in problem.pairs if p.id not in plan],
                  conflicts=conflicts, dropped_fixed=dropped, moved=moved, status=status,
                  solve_s=time.perf_counter() - started, upper_bound=len(kept) + upper)


def _greedy(ix: _Index, cands: dict, previous: dict, free_tables: dict, room: dict, left: dict, order: list) -> dict:
    """A quick feasible plan, CP-SAT's starting hint: pairs in ``order``, each in its previous
    slot when that fits, else in the earliest slot that fits."""
    tables = {sid: len(ts) for sid, ts in free_tables.items()}
    room, left, chosen = dict(room), dict(left), {}
    for pid in order:
        parties, prev = _parties(ix.pairs[pid]), previous.get(pid)
        for sid in sorted(cands[pid], key=lambda sid: prev is None or sid != prev.slot):
            if tables[sid] > 0 and all(left[q] > 0 and all(room[q, t] > 0 for t in ix.points[sid]) for q in parties):
                chosen[pid] = sid
                tables[sid] -= 1
                for q in parties:
                    left[q] -= 1
                    for t in ix.points[sid]:
                        room[q, t] -= 1
                break
    return chosen


def _relaxation(cp_model, ix: _Index, cands: dict, previous: dict, free_tables: dict, room: dict, left: dict):
    """Which pairs to schedule and which to keep in their previous slot, with the slots of the
    rest forgotten: per participant only its limit and its capacity summed over the times it
    could meet, per area its table-slots. Small (a variable or two per pair), so CP-SAT proves it
    in seconds where the full model's bound stalls; its optimum bounds the full model's."""
    model = cp_model.CpModel()
    y = {pid: model.new_bool_var(f"y{i}") for i, pid in enumerate(cands)}
    k = {pid: model.new_bool_var(f"k{i}") for i, pid in enumerate(cands)
         if pid in previous and previous[pid].slot in cands[pid]}
    for pid, var in k.items():
        model.add_implication(var, y[pid])
    mine, kept_load, kept_slot, area = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    for pid in cands:
        area[ix.pairs[pid].area].append(pid)
        for q in _parties(ix.pairs[pid]):
            mine[q].append(pid)
            for t in ix.points[previous[pid].slot] if pid in k else ():
                kept_load[q, t].append(k[pid])
        if pid in k:
            kept_slot[previous[pid].slot].append(k[pid])
    for q, pids in mine.items():
        points = {t for pid in pids for sid in cands[pid] for t in ix.points[sid]}
        limit = min(left[q], sum(room[q, t] for t in points))
        if len(pids) > limit:
            model.add(cp_model.LinearExpr.sum([y[pid] for pid in pids]) <= limit)
    for pids in area.values():
        seats = sum(len(free_tables[sid]) for sid in {sid for pid in pids for sid in cands[pid]})
        if len(pids) > seats:
            model.add(cp_model.LinearExpr.sum([y[pid] for pid in pids]) <= seats)
    for key, ks in kept_load.items():
        if len(ks) > room[key]:
            model.add(cp_model.LinearExpr.sum(ks) <= room[key])
    for sid, ks in kept_slot.items():
        if len(ks) > len(free_tables[sid]):
            model.add(cp_model.LinearExpr.sum(ks) <= len(free_tables[sid]))
    return model, y, k


def _timing(cp_model, ix: _Index, cands: dict, free_tables: dict, room: dict, left: dict, *, every: bool):
    """The full model: x[pair, slot] for each candidate slot, at most one slot per pair (exactly
    one if ``every``), tables per slot, capacity per participant and time, limits in all."""
    model = cp_model.CpModel()
    x = {(pid, sid): model.new_bool_var(f"x{i}_{j}") for i, (pid, sids) in enumerate(cands.items())
         for j, sid in enumerate(sids)}
    per_slot, per_point, per_party = defaultdict(list), defaultdict(list), defaultdict(list)
    for pid, sids in cands.items():
        (model.add_exactly_one if every else model.add_at_most_one)([x[pid, sid] for sid in sids])
        for sid in sids:
            per_slot[sid].append(x[pid, sid])
            for q in _parties(ix.pairs[pid]):
                per_party[q].append(x[pid, sid])
                for t in ix.points[sid]:
                    per_point[q, t].append(x[pid, sid])
    for limits, groups in ((lambda sid: len(free_tables[sid]), per_slot), (room.__getitem__, per_point),
                           (left.__getitem__, per_party)):
        for key, xs in groups.items():
            if len(xs) > limits(key):  # the party total counts candidate slots: skips parties with few pairs
                model.add(cp_model.LinearExpr.sum(xs) <= limits(key))
    return model, x


def _run(cp_model, model, hint: dict, *, limit: float, workers: int, seed: int):
    """Solve from ``hint`` (var → value) within ``limit`` seconds: (solver, status code)."""
    model.clear_hints()
    for var, value in hint.items():
        model.add_hint(var, value)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(limit, 0.05)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    return solver, solver.solve(model)


def _choose(ix: _Index, cands: dict, previous: dict, free_tables: dict, room: dict, left: dict, *,
            time_limit_s: float, workers: int, seed: int) -> tuple[dict, str, int]:
    """pair → slot for the pairs still to place: (choice, status, bound on how many of them).

    1. The relaxation picks the pairs (the most it can), then, holding that number, the kept
       previous slots and priorities. Its optimum bounds the full model's.
    2. If slots are found for exactly that pick, the plan is optimal: usually in seconds.
    3. Otherwise the full model runs for the time left, from the best plan found so far. Its
       objective is lexicographic through weights (each tier is worth more than all those below it
       together); priorities shifted to >= 0 add the same amount per meeting, so the tie-break is
       unchanged and ``objective // w_count`` is the number of meetings."""
    from ortools.sat.python import cp_model

    ok = (cp_model.OPTIMAL, cp_model.FEASIBLE)
    deadline = time.perf_counter() + time_limit_s
    shift = min(0, min(ix.pairs[pid].priority for pid in cands))
    prio = {pid: ix.pairs[pid].priority - shift for pid in cands}
    w_prev = sum(prio.values()) + 1
    w_count = w_prev * (sum(pid in previous for pid in cands) + 1)
    # A re-plan starts from the previous plan: previous meetings first, each in its slot.
    first = sorted(cands, key=lambda pid: (pid not in previous, len(cands[pid]), -prio[pid], _order(pid)))
    best = _greedy(ix, cands, previous, free_tables, room, left, first)
    bound, counted, proven = len(cands), False, False

    model, y, k = _relaxation(cp_model, ix, cands, previous, free_tables, room, left)
    count = cp_model.LinearExpr.sum(list(y.values()))
    model.maximize(count)
    hint = {**{y[pid]: pid in best for pid in y}, **{k[pid]: best.get(pid) == previous[pid].slot for pid in k}}
    solver, code = _run(cp_model, model, hint, limit=0.2 * time_limit_s, workers=workers, seed=seed)
    if code in ok:
        bound, counted = min(bound, math.floor(solver.best_objective_bound + 1e-6)), code == cp_model.OPTIMAL
        values = {var: solver.boolean_value(var) for var in [*y.values(), *k.values()]}
        model.add(count >= round(solver.objective_value))
        model.maximize(cp_model.LinearExpr.weighted_sum([*k.values(), *y.values()],
                                                        [*[w_prev] * len(k), *(prio[pid] for pid in y)]))
        # The tie-breaks take what is left but a share kept for steps 2 and 3.
        solver, code = _run(cp_model, model, values, limit=deadline - time.perf_counter() - 0.4 * time_limit_s,
                            workers=workers, seed=seed)
        if code in ok:
            values = {var: solver.boolean_value(var) for var in values}
        proven = counted and code == cp_model.OPTIMAL
        keep = {pid for pid in k if values[k[pid]]}
        pick = {pid: [previous[pid].slot] if pid in keep else cands[pid] for pid in y if values[y[pid]]}
        order = sorted(pick, key=lambda pid: (pid not in keep, len(pick[pid]), -prio[pid], _order(pid)))
        start = _greedy(ix, pick, previous, free_tables, room, left, order)
        if len(start) < len(pick):
            model, x = _timing(cp_model, ix, pick, free_tables, room, left, every=True)
            solver, code = _run(cp_model, model, {var: start.get(pid) == sid for (pid, sid), var in x.items()},
                                limit=min(0.2 * time_limit_s, deadline - time.perf_counter()), workers=workers,
                                seed=seed)
            if code in ok:
                start = {pid: sid for (pid, sid), var in x.items() if solver.boolean_value(var)}
        if len(start) == len(pick) and counted:
            return start, "optimal" if proven else "feasible", bound
        # The pick cannot be realised, or may not be the largest: the full model starts from it.
        extended = _greedy(ix, {**cands, **pick}, previous, free_tables, room, left,
                           [*order, *(pid for pid in first if pid not in pick)])
        best = max(best, extended, key=len)

    model, x = _timing(cp_model, ix, cands, free_tables, room, left, every=False)
    kept = [(pid, previous[pid].slot) for pid in cands if pid in previous and previous[pid].slot in cands[pid]]
    model.maximize(cp_model.LinearExpr.weighted_sum([*x.values(), *(x[key] for key in kept)],
                                                    [*(w_count + prio[pid] for pid, _sid in x), *[w_prev] * len(kept)]))
    solver, code = _run(cp_model, model, {var: best.get(pid) == sid for (pid, sid), var in x.items()},
                        limit=deadline - time.perf_counter(), workers=workers, seed=seed)
    if code not in ok:
        return best, "feasible", bound
    chosen = {pid: sid for (pid, sid), var in x.items() if solver.boolean_value(var)}
    bound = min(bound, math.floor(solver.best_objective_bound + 1e-6) // w_count)
    return chosen, "optimal" if code == cp_model.OPTIMAL else "feasible", max(bound, len(chosen))
