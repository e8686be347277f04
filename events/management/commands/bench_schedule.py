"""How fast and how well does ``events.scheduler`` plan a docking conference? Generates a seeded
random conference, solves it, checks the plan with ``find_conflicts`` (an independent check),
then re-plans after 1% of the meetings are cancelled and half of the rest confirmed. Nothing
touches the database; the last stdout line is one JSON object (BENCHMARKS.md §6).

The instance imitates a municipal docking conference: ``--areas`` themed exhibition areas whose
sessions run in parallel, ``--days`` × ``--slots`` 30-minute slots, a few hot fields, ~0.4
enterprises per pair (mostly 1–3 pairs each, one table, at most 8 meetings), ~1 university or
institute per 25 pairs (staffing 3–10 tables at once), ~1 broker per 20 pairs (at most 16
meetings) on 80% of the pairs, every party away for ~10% of the slots, tables split between
areas in proportion to demand.
"""

import json
import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand

from events.scheduler import Assignment, Pair, Participant, Problem, Slot, Table, find_conflicts, solve

SLOT = timedelta(minutes=30)
LUNCH_AFTER, LUNCH = 6, timedelta(minutes=90)  # 09:00–12:00, then sessions resume at 13:30
AWAY = 0.10
WITH_BROKER = 0.80


def generate(*, pairs: int, days: int, slots: int, tables: int, areas: int, seed: int) -> Problem:
    """The seeded conference described in the module docstring (the same seed, the same problem)."""
    rng = random.Random(seed)
    area_ids = [f"area-{i:02d}" for i in range(1, areas + 1)]
    hot = [1 / (i + 1) ** 0.9 for i in range(areas)]  # a few fields draw most of the demand
    pair_areas = rng.choices(area_ids, weights=hot, k=pairs)

    times = []  # slot starts, the same in every area
    for day in range(days):
        start = datetime(2026, 9, 16, 9, 0) + timedelta(days=day)
        for k in range(slots):
            times.append(start + k * SLOT + (LUNCH if k >= LUNCH_AFTER else timedelta()))
    slot_list = [Slot(id=i * len(times) + j, area=area, starts_at=t, ends_at=t + SLOT)
                 for i, area in enumerate(area_ids) for j, t in enumerate(times)]
    at_time = defaultdict(list)
    for s in slot_list:
        at_time[s.starts_at].append(s.id)

    demand = Counter(pair_areas)
    share = {a: tables * demand[a] / max(pairs, 1) for a in area_ids}
    count = {a: max(1, math.floor(share[a])) for a in area_ids}
    for a in sorted(area_ids, key=lambda a: count[a] - share[a])[:max(0, tables - sum(count.values()))]:
        count[a] += 1
    table_list, n = [], 0
    for a in area_ids:
        area_slots = [s.id for s in slot_list if s.area == a]
        for _ in range(count[a]):
            n += 1
            broken = frozenset(rng.sample(area_slots, min(2, len(area_slots)))) if rng.random() < 0.05 else frozenset()
            table_list.append(Table(id=n, area=a, unavailable=broken))

    def away() -> frozenset:
        return frozenset(sid for t in times if rng.random() < AWAY for sid in at_time[t])

    enterprises = [f"ent-{i:04d}" for i in range(max(1, round(pairs * 0.4)))]
    universities = [f"uni-{i:03d}" for i in range(max(1, round(pairs / 25)))]
    brokers = [f"brk-{i:03d}" for i in range(max(1, round(pairs / 20)))]
    ent_w = [rng.lognormvariate(0, 0.6) for _ in enterprises]
    uni_w = [1 / (i + 1) ** 0.7 for i in range(len(universities))]
    brk_w = [rng.lognormvariate(0, 0.4) for _ in brokers]
    pair_list = []
    for i, area in enumerate(pair_areas):
        parties = (rng.choices(enterprises, ent_w)[0], rng.choices(universities, uni_w)[0])
        if rng.random() < WITH_BROKER:
            parties += (rng.choices(brokers, brk_w)[0],)
        pair_list.append(Pair(id=i + 1, area=area, parties=parties, priority=rng.randint(1, 100)))
    used = {q for p in pair_list for q in p.parties}
    people = ([Participant(id=e, capacity=1, max_meetings=8, unavailable=away()) for e in enterprises]
              + [Participant(id=u, capacity=rng.randint(3, 10), unavailable=away()) for u in universities]
              + [Participant(id=b, capacity=1, max_meetings=16, unavailable=away()) for b in brokers])
    return Problem(slots=tuple(slot_list), tables=tuple(table_list),
                   participants=tuple(q for q in people if q.id in used), pairs=tuple(pair_list))


def independent_bound(problem: Problem) -> int:
    """A cheap bound that shares no code with the solver: pairs are partitioned by enterprise, by
    university, by broker and by area; no plan holds more meetings than any partition's groups
    can each take (a participant: its limit and capacity × the times it could meet; an area: its
    usable table-slots)."""
    people = {q.id: q for q in problem.participants}
    seats = Counter()  # slot -> usable tables
    by_area = defaultdict(list)
    for s in problem.slots:
        by_area[s.area].append(s)
        seats[s.id] = sum(t.area == s.area and s.id not in t.unavailable for t in problem.tables)
    usable = {p.id: [s for s in by_area[p.area] if seats[s.id] and not any(s.id in people[q].unavailable
                                                                          for q in p.parties)]
              for p in problem.pairs}  # pair -> the slots it could use on its own
    bounds = []
    for position in (0, 1, 2):
        groups = defaultdict(list)
        for p in problem.pairs:
            if usable[p.id]:
                groups[p.parties[position] if len(p.parties) > position else ("none", p.id)].append(p.id)
        total = 0
        for key, pids in groups.items():
            q = people.get(key)
            if q is None:
                total += len(pids)
                continue
            times = {s.starts_at for pid in pids for s in usable[pid]}
            total += min(len(pids), q.max_meetings if q.max_meetings is not None else len(pids),
                         q.capacity * len(times))
        bounds.append(total)
    per_area = Counter(p.area for p in problem.pairs if usable[p.id])
    bounds.append(sum(min(n, sum(seats[s.id] for s in by_area[a])) for a, n in per_area.items()))
    return min(bounds)


class Command(BaseCommand):
    help = "Benchmark the conference meeting scheduler on a generated conference (last line: JSON)."

    def add_arguments(self, parser):
        parser.add_argument("--pairs", type=int, default=2000)
        parser.add_argument("--days", type=int, default=2)
        parser.add_argument("--slots", type=int, default=16, help="slots per day (30 minutes each)")
        parser.add_argument("--tables", type=int, default=150)
        parser.add_argument("--areas", type=int, default=11)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--time-limit", type=float, default=60.0)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--no-replan", dest="replan", action="store_false",
                            help="skip the re-plan after cancellations and confirmations")

    def handle(self, *args, pairs, days, slots, tables, areas, seed, time_limit, workers, replan, **options):
        started = time.perf_counter()
        problem = generate(pairs=pairs, days=days, slots=slots, tables=tables, areas=areas, seed=seed)
        generate_s = time.perf_counter() - started
        self.stdout.write(f"{len(problem.pairs)} pairs, {len(problem.participants)} participants, "
                          f"{areas} areas × {days * slots} slots, {len(problem.tables)} tables "
                          f"(generated in {generate_s:.1f} s)")
        bound = independent_bound(problem)
        result = solve(problem, time_limit_s=time_limit, workers=workers, seed=seed)
        conflicts = find_conflicts(problem, result.assignments)
        self.stdout.write(f"solve: {len(result.assignments)} scheduled, {len(result.unscheduled)} unscheduled, "
                          f"bound {result.upper_bound} ({result.status}), independent bound {bound}, "
                          f"{len(conflicts)} conflicts, {result.solve_s:.1f} s")
        for c in conflicts[:10]:
            self.stdout.write(f"  conflict: {c.message}")
        report = {"pairs": len(problem.pairs), "scheduled": len(result.assignments), "conflicts": len(conflicts),
                  "solve_s": round(result.solve_s, 2), "upper_bound": result.upper_bound, "status": result.status,
                  "independent_bound": bound, "unscheduled": len(result.unscheduled), "slots": days * slots,
                  "tables": len(problem.tables), "areas": areas, "participants": len(problem.participants),
                  "workers": workers, "time_limit_s": time_limit, "seed": seed}
        if replan:
            report.update(self.replan(problem, result.assignments, time_limit=time_limit, workers=workers, seed=seed))
        self.stdout.write(json.dumps(report))

    def replan(self, problem: Problem, plan: list[Assignment], *, time_limit: float, workers: int, seed: int) -> dict:
        """1% of the meetings are cancelled (their pairs withdraw), half of the rest confirmed."""
        rng = random.Random(seed + 1)
        cancelled = {a.pair for a in rng.sample(plan, min(len(plan), max(1, round(len(plan) * 0.01))))}
        rest = [a for a in plan if a.pair not in cancelled]
        confirmed = set(rng.sample(range(len(rest)), len(rest) // 2))
        fixed = tuple(replace(a, fixed=True) for i, a in enumerate(rest) if i in confirmed)
        previous = tuple(a for i, a in enumerate(rest) if i not in confirmed)
        again = replace(problem, pairs=tuple(p for p in problem.pairs if p.id not in cancelled),
                        fixed=fixed, previous=previous)
        result = solve(again, time_limit_s=time_limit, workers=workers, seed=seed)
        placed = {(a.pair, a.slot, a.table) for a in result.assignments if a.fixed}
        kept = sum((a.pair, a.slot, a.table) in placed for a in fixed)
        conflicts = find_conflicts(again, result.assignments)
        self.stdout.write(f"re-plan: {len(cancelled)} cancelled, {len(fixed)} confirmed ({kept} kept), "
                          f"{len(result.moved)} of {len(previous)} previous moved, {len(result.assignments)} "
                          f"scheduled, bound {result.upper_bound} ({result.status}), {len(conflicts)} conflicts, "
                          f"{result.solve_s:.1f} s")
        return {"replan_s": round(result.solve_s, 2), "replan_cancelled": len(cancelled),
                "replan_fixed": len(fixed), "replan_fixed_kept": kept, "replan_previous": len(previous),
                "replan_moved": len(result.moved), "replan_scheduled": len(result.assignments),
                "replan_upper_bound": result.upper_bound, "replan_status": result.status,
                "replan_conflicts": len(conflicts)}
