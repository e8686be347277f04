"""Who meets whom, when and at which table at a docking conference: the pure meeting scheduler.

Pure on purpose (no models, no database): the events services turn a conference into a
``Problem`` and store the ``Result``, the benchmark and the property tests call it directly.

``solve`` decides pair → slot with CP-SAT and then gives out tables per (area, slot) greedily:
tables of one area are interchangeable, so once the number of meetings in a slot fits the free
tables, any matching of meetings to tables is valid and the greedy pass can favour stability.
The objective is lexicographic through weights: the most meetings, then the most meetings kept
in their previous slot, then priority. Confirmed (``fixed``) meetings are kept exactly or dropped
with a ``Conflict`` saying why: a confirmed meeting is never moved silently.

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


def _refuse_overlapping_slots(problem: Problem) -> None:
    """Tables are counted per slot, which is right only if one area's slots never overlap."""
    by_area = defaultdict(list)
    for s in problem.slots:
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
    _refuse_overlapping_slots(problem)
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


def _greedy(ix: _Index, cands: dict, previous: dict, free_tables: dict, room: dict, left: dict) -> dict:
    """A quick feasible plan used as CP-SAT's starting hint (and as the answer if CP-SAT finds
    none in time): pairs with the fewest options first, each in its previous slot when it fits."""
    tables = {sid: len(ts) for sid, ts in free_tables.items()}
    room, left, chosen = dict(room), dict(left), {}
    for pid in sorted(cands, key=lambda pid: (len(cands[pid]), -ix.pairs[pid].priority, _order(pid))):
        parties = _parties(ix.pairs[pid])
        prev = previous.get(pid)
        order = sorted(cands[pid], key=lambda sid: prev is None or sid != prev.slot)
        for sid in order:
            if tables[sid] > 0 and all(left[q] > 0 and all(room[q, t] > 0 for t in ix.points[sid]) for q in parties):
                chosen[pid] = sid
                tables[sid] -= 1
                for q in parties:
                    left[q] -= 1
                    for t in ix.points[sid]:
                        room[q, t] -= 1
                break
    return chosen


def _choose(ix: _Index, cands: dict, previous: dict, free_tables: dict, room: dict, left: dict, *,
            time_limit_s: float, workers: int, seed: int) -> tuple[dict, str, int]:
    """pair → slot for the pairs still to place: (choice, status, bound on how many of them)."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = {(pid, sid): model.new_bool_var(f"x{i}_{j}") for i, (pid, sids) in enumerate(cands.items())
         for j, sid in enumerate(sids)}
    per_slot, per_point, per_party = defaultdict(list), defaultdict(list), defaultdict(list)
    for pid, sids in cands.items():
        model.add_at_most_one(x[pid, sid] for sid in sids)
        for sid in sids:
            per_slot[sid].append(x[pid, sid])
            for q in _parties(ix.pairs[pid]):
                per_party[q].append(x[pid, sid])
                for t in ix.points[sid]:
                    per_point[q, t].append(x[pid, sid])
    for sid, xs in per_slot.items():
        if len(xs) > len(free_tables[sid]):
            model.add(cp_model.LinearExpr.sum(xs) <= len(free_tables[sid]))
    for key, xs in per_point.items():
        if len(xs) > room[key]:
            model.add(cp_model.LinearExpr.sum(xs) <= room[key])
    for q, xs in per_party.items():
        if len(xs) > left[q]:  # counts candidate slots, so it also skips parties with few pairs
            model.add(cp_model.LinearExpr.sum(xs) <= left[q])

    # Lexicographic through weights: every tier is worth more than all the tiers below it
    # together. Shifting priorities to >= 0 adds the same amount per meeting, so ties among
    # maximum plans are broken the same way and meetings = objective // w_count stays exact.
    shift = min(0, min(ix.pairs[pid].priority for pid in cands))
    prio = {pid: ix.pairs[pid].priority - shift for pid in cands}
    kept_prev = [(pid, previous[pid].slot) for pid in cands if pid in previous and previous[pid].slot in cands[pid]]
    w_prev = sum(prio.values()) + 1
    w_count = w_prev * len(kept_prev) + w_prev
    model.maximize(cp_model.LinearExpr.weighted_sum(
        [*x.values(), *(x[key] for key in kept_prev)],
        [*(w_count + prio[pid] for pid, _sid in x), *[w_prev] * len(kept_prev)]))

    hint = _greedy(ix, cands, previous, free_tables, room, left)
    for (pid, sid), var in x.items():
        model.add_hint(var, hint.get(pid) == sid)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return hint, "feasible", len(cands)
    chosen = {pid: sid for (pid, sid), var in x.items() if solver.boolean_value(var)}
    bound = min(len(cands), int(math.floor(solver.best_objective_bound + 1e-6)) // w_count)
    return chosen, "optimal" if code == cp_model.OPTIMAL else "feasible", max(bound, len(chosen))
