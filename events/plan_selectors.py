"""Reads of a conference's negotiation plan: the database mapped onto an ``events.scheduler``
``Problem`` (``plan_problem``), the plan's clashes and its unscheduled pairs in words a bureau
user reads, and the plan page's grid.

Ids in the problem: slots, tables and pairs are database primary keys (``Slot``, ``Table``,
``Suggestion``), areas are ``ExhibitionArea`` keys, participants are "org:<organisation id>"
(a registration's delegation) and "broker:<user id>". The scheduler's own messages name these
ids; ``describe`` turns a ``Conflict`` into (code, params) with names and times, and
``reason_text`` renders it in the reader's language when shown, so that a report stored in the
cache reads in the language of whoever opens it.

Every read here is bureau-only: the callers (``events.planning``, the plan views) check
``events.rules.can_plan`` first."""

from collections import defaultdict
from dataclasses import replace
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Requirement
from events import scheduler
from events.enums import PlanStatus, RegistrationStatus, SessionKind
from events.models import (
    BrokerAttendance,
    Event,
    EventListing,
    ExhibitionArea,
    Registration,
    ScheduledMeeting,
    Slot,
    Table,
)
from events.selectors import best_area, event_suggestions


def org_key(organisation_id: int) -> str:
    return f"org:{organisation_id}"


def broker_key(user_id: int) -> str:
    return f"broker:{user_id}"


def pair_label(suggestion) -> str:
    """Enterprise ↔ university: how the bureau names a pair on the plan."""
    return f"{suggestion.requirement.organisation} ↔ {suggestion.achievement.organisation}"


def slot_label(slot: Slot) -> str:
    return str(slot)


# --- the problem ---------------------------------------------------------------------------------

def _overlap_index(slots: list[Slot]):
    """slot id -> ids of every slot overlapping it in time (itself included), computed on demand:
    a party away at 09:00 in one area's session is away from every area's 09:00 slot."""
    memo: dict[int, frozenset] = {}

    def overlapping(slot_id: int) -> frozenset:
        if slot_id not in memo:
            away = next((s for s in slots if s.pk == slot_id), None)
            memo[slot_id] = frozenset() if away is None else frozenset(
                s.pk for s in slots if s.starts_at < away.ends_at and away.starts_at < s.ends_at)
        return memo[slot_id]

    return overlapping


def _unavailable(slot_ids, overlapping) -> frozenset:
    out: set = set()
    for slot_id in slot_ids:
        out |= overlapping(slot_id)
    return frozenset(out)


def _unplaceable(suggestion, code: str, area_id: int | None = None, **params) -> dict:
    return {"suggestion": suggestion, "area": area_id, "code": code, "params": params,
            "reason": reason_text(code, params)}


# What the plan reads of a pair, its listings, their organisations and its broker: the
# suggestions' scores, explanations and the listings' texts stay in the database (at a few
# thousand pairs, building those instances was most of the plan page's time).
_PAIR_FIELDS = ("id", "run_id", "requirement_id", "achievement_id", "broker_id", "status", "score",
                "requirement__id", "requirement__title", "requirement__organisation_id",
                "requirement__organisation__id", "requirement__organisation__name_zh",
                "requirement__organisation__name_en", "achievement__id", "achievement__title",
                "achievement__organisation_id", "achievement__organisation__id",
                "achievement__organisation__name_zh", "achievement__organisation__name_en",
                "broker__id", "broker__full_name", "broker__email")


def pair_fields(prefix: str = "") -> list[str]:
    return [prefix + name for name in _PAIR_FIELDS]


def plan_problem(*, event: Event) -> tuple[scheduler.Problem, dict]:
    """The event's plan as a scheduling problem, in a constant number of queries, and the
    context to read it with. Pairs: the event's mutually interested pairs, and every pair with a
    confirmed negotiation whatever its status, between two active registrations.

    ``context``: ``event``; ``areas``, ``slots``, ``tables`` (active ones), ``suggestions``,
    ``pairs`` (scheduler pairs) by id; ``rows`` (active ``ScheduledMeeting`` rows, confirmed
    first, each with its pair, slot and table); ``stale`` (confirmed rows whose conference
    meeting was cancelled on the pair's page: no longer part of the plan); ``unplaceable``
    (``{"suggestion", "area", "code", "params", "reason"}`` for pairs left out of the problem: no area,
    an area without slots or tables, a party not registered, an open meeting outside the plan,
    a negotiation cancelled earlier); ``held_back`` (scheduler pairs of those cancelled earlier,
    which may be placed by hand);
    ``names`` (participant id -> name); ``registrations`` (organisation id -> registration)."""
    from matchmaking.models import OPEN_MEETING_STATUSES, Meeting, MeetingStatus, SuggestionStatus

    areas = {a.pk: a for a in ExhibitionArea.objects.filter(event=event).prefetch_related("fields")}
    slot_rows = list(Slot.objects.filter(session__event=event, session__kind=SessionKind.NEGOTIATION)
                     .select_related("session").order_by("starts_at", "session__area_id", "pk"))
    slots = {s.pk: s for s in slot_rows}
    tables = {t.pk: t for t in Table.objects.filter(area__event=event, is_active=True).order_by("area_id", "label")}
    rows = list(ScheduledMeeting.objects.filter(event=event, status__in=(PlanStatus.PLANNED, PlanStatus.CONFIRMED))
                .select_related("slot", "table", "meeting", "suggestion__requirement__organisation",
                                "suggestion__achievement__organisation", "suggestion__broker")
                .only(*(f.name for f in ScheduledMeeting._meta.concrete_fields), "slot", "table", "meeting",
                      *pair_fields("suggestion__"))
                .order_by("slot__starts_at", "table__label", "pk"))
    registrations = {r.organisation_id: r for r in Registration.objects.filter(event=event)
                     .select_related("organisation")}
    reg_away = defaultdict(set)
    for reg_id, slot_id in Registration.unavailable_slots.through.objects.filter(
            registration__event=event).values_list("registration_id", "slot_id"):
        reg_away[reg_id].add(slot_id)
    attendances = {b.broker_id: b for b in BrokerAttendance.objects.filter(event=event).select_related("broker")}
    broker_away = defaultdict(set)
    for att_id, slot_id in BrokerAttendance.unavailable_slots.through.objects.filter(
            brokerattendance__event=event).values_list("brokerattendance_id", "slot_id"):
        broker_away[att_id].add(slot_id)
    entered = EventListing.objects.filter(event=event, registration__status=RegistrationStatus.REGISTERED)
    req_area: dict[int, int | None] = {}
    ach_area: dict[int, int | None] = {}
    for req_id, ach_id, listing_area in entered.values_list("requirement_id", "achievement_id", "area_id"):
        if req_id is not None:
            req_area[req_id] = listing_area
        else:
            ach_area[ach_id] = listing_area
    req_fields = defaultdict(set)
    for req_id, field_id in Requirement.fields.through.objects.filter(
            requirement_id__in=entered.filter(area__isnull=True, requirement__isnull=False)
            .values("requirement_id")).values_list("requirement_id", "field_id"):
        req_fields[req_id].add(field_id)

    # Planned rows are proposals: a pair that is no longer mutually interested drops out of the
    # plan. A confirmed one stays a pair of the plan whatever its status (meeting, met...).
    scheduled_ids = {row.suggestion_id for row in rows if row.status == PlanStatus.CONFIRMED}
    # A pair whose negotiation was cancelled (by hand, by a withdrawal, or its meeting on the
    # pair's page) is not planned again by the planner: bureau staff place it by hand if it should.
    stale = [r for r in rows if r.status == PlanStatus.CONFIRMED and r.meeting is not None
             and r.meeting.status == MeetingStatus.CANCELLED]
    live = [r for r in rows if r not in stale]
    live_ids = {r.suggestion_id for r in live}
    cancelled_ids = (set(ScheduledMeeting.objects.filter(event=event, status=PlanStatus.CANCELLED)
                         .values_list("suggestion_id", flat=True)) | {r.suggestion_id for r in stale}) - live_ids
    candidates = (event_suggestions(event=event)
                  .filter(Q(status=SuggestionStatus.MUTUAL) | Q(pk__in=scheduled_ids))
                  .select_related("requirement__organisation", "achievement__organisation", "broker")
                  .only(*pair_fields()))
    # A pair with an open meeting of its own (booked on the pair's page) is not planned twice.
    open_outside = set(Meeting.objects.filter(
        suggestion__in=candidates.values("pk"), status__in=OPEN_MEETING_STATUSES, scheduled__isnull=True)
        .values_list("suggestion_id", flat=True))
    # One row per pair: a pair found by two runs (the catalogue's and the event's) is planned once,
    # as the row this event's plan already knows, else the event's own run's, else the newest.
    known = live_ids | cancelled_ids

    def preference(s) -> tuple:
        return (s.pk not in known, s.run_id != event.run_id, -(s.run_id or 0), s.pk)

    suggestions: dict = {}
    seen: set = set()
    for s in sorted(candidates, key=preference):
        if (s.requirement_id, s.achievement_id) not in seen:
            seen.add((s.requirement_id, s.achievement_id))
            suggestions[s.pk] = s

    overlapping = _overlap_index(slot_rows)
    participants: dict = {}
    names: dict = {}
    for reg in registrations.values():
        names[org_key(reg.organisation_id)] = str(reg.organisation)
        if reg.status != RegistrationStatus.REGISTERED:
            continue
        participants[org_key(reg.organisation_id)] = scheduler.Participant(
            org_key(reg.organisation_id), capacity=reg.delegates,
            max_meetings=reg.max_meetings if reg.max_meetings is not None else event.max_meetings_per_party,
            unavailable=_unavailable(reg_away.get(reg.pk, ()), overlapping))

    def broker(user) -> str:
        key = broker_key(user.pk)
        if key not in participants:
            att = attendances.get(user.pk)
            names[key] = str(user)
            participants[key] = scheduler.Participant(
                key, capacity=1,
                max_meetings=att.max_meetings if att and att.max_meetings is not None
                else event.max_meetings_per_broker,
                unavailable=_unavailable(broker_away.get(att.pk, ()) if att else (), overlapping))
        return key

    area_fields = [(area.pk, {f.pk for f in area.fields.all()}) for area in areas.values()]
    slot_areas = {s.session.area_id for s in slot_rows}
    table_areas = {t.area_id for t in tables.values()}
    pairs, unplaceable, held_back = {}, [], {}
    for s in suggestions.values():
        orgs = (s.requirement.organisation, s.achievement.organisation)
        missing = [org for org in orgs if org_key(org.pk) not in participants]
        if missing:
            unplaceable.append(_unplaceable(s, "not_registered", who=str(missing[0])))
            continue
        area_id: int | None = req_area.get(s.requirement_id) or ach_area.get(s.achievement_id)
        if area_id is None:
            area_id = best_area(req_fields.get(s.requirement_id, set()), area_fields)
        if area_id is None:
            unplaceable.append(_unplaceable(s, "no_area"))
        elif area_id not in slot_areas:
            unplaceable.append(_unplaceable(s, "no_slots", area_id, area=str(areas[area_id])))
        elif area_id not in table_areas:
            unplaceable.append(_unplaceable(s, "no_tables", area_id, area=str(areas[area_id])))
        elif s.pk in open_outside:
            unplaceable.append(_unplaceable(s, "open_meeting", area_id))
        else:
            parties = (org_key(orgs[0].pk), org_key(orgs[1].pk), *((broker(s.broker),) if s.broker_id else ()))
            pair = scheduler.Pair(s.pk, area_id, parties, priority=round(s.score * 100))
            if s.pk in cancelled_ids:
                held_back[s.pk] = pair
                unplaceable.append(_unplaceable(s, "cancelled", area_id))
            else:
                pairs[s.pk] = pair

    live.sort(key=lambda r: r.status != PlanStatus.CONFIRMED)  # stable: confirmed first, then by time
    for row in rows:
        suggestions.setdefault(row.suggestion_id, row.suggestion)
    problem = scheduler.Problem(
        slots=tuple(scheduler.Slot(s.pk, s.session.area_id, s.starts_at, s.ends_at) for s in slot_rows),
        tables=tuple(scheduler.Table(t.pk, t.area_id) for t in tables.values()),
        participants=tuple(participants.values()),
        pairs=tuple(pairs.values()),
        fixed=tuple(assignment(r) for r in live if r.status == PlanStatus.CONFIRMED),
        previous=tuple(assignment(r) for r in live if r.status == PlanStatus.PLANNED),
    )
    context = {"event": event, "areas": areas, "slots": slots, "tables": tables, "rows": live, "stale": stale,
               "suggestions": suggestions, "pairs": pairs, "unplaceable": unplaceable, "held_back": held_back,
               "names": names, "registrations": registrations}
    return problem, context


def assignment(row: ScheduledMeeting) -> scheduler.Assignment:
    return scheduler.Assignment(row.suggestion_id, row.slot_id, row.table_id,
                                fixed=row.status == PlanStatus.CONFIRMED)


def overlapping_sessions(context: dict) -> list[tuple]:
    """Pairs of negotiation sessions of one area whose slots overlap (the scheduler refuses them)."""
    by_area = defaultdict(list)
    for slot in context["slots"].values():
        by_area[slot.session.area_id].append(slot)
    found: dict[tuple, tuple] = {}
    for slots in by_area.values():
        slots.sort(key=lambda s: s.starts_at)
        for a, b in zip(slots, slots[1:], strict=False):
            if b.starts_at < a.ends_at:
                found.setdefault(tuple(sorted((a.session_id, b.session_id))), (a.session, b.session))
    return list(found.values())


def session_times(session) -> str:
    from django.utils import timezone

    return (f"{timezone.localtime(session.starts_at):%Y-%m-%d %H:%M}–"
            f"{timezone.localtime(session.ends_at):%H:%M}")


# --- clashes and reasons in words ---------------------------------------------------------------

def reason_text(code: str, params: dict) -> str:
    """One clash or one reason a pair is not scheduled, in the current language."""
    p = params
    if code == "confirmed_dropped":
        why, why_params = p["reason_code"], p["reason_params"]
        if why == "unknown_reference":  # say why the pair left the plan, not that it did
            why, why_params = why_params["reason_code"], why_params.get("reason_params", {})
        return _("Confirmed negotiation %(pair)s (%(slot)s, table %(table)s) can no longer take place: %(reason)s "
                 "Move or cancel it by hand.") % {**p, "reason": reason_text(why, why_params)}
    if code == "confirmed_cancelled":
        return _("Confirmed negotiation %(pair)s (%(slot)s, table %(table)s) was cancelled on the pair's page; "
                 "it is taken out of the plan.") % p
    if code == "table_double_booked":
        return _("Table %(table)s is already taken at %(slot)s by %(other)s.") % p
    if code == "pair_twice":
        return _("%(pair)s is already scheduled at %(other_slot)s, table %(other_table)s.") % p
    if code == "participant_overbooked":
        return ngettext("%(who)s can hold one negotiation at a time; at %(slot)s it already has %(others)s.",
                        "%(who)s can hold %(capacity)s negotiations at a time; at %(slot)s it already has "
                        "%(others)s.", p["capacity"]) % p
    if code == "participant_over_limit":
        return _("%(who)s accepts at most %(limit)s negotiations in all; %(pair)s would be one more.") % p
    if code == "participant_unavailable":
        return _("%(who)s is not available at %(slot)s.") % p
    if code == "table_unavailable":
        return _("Table %(table)s cannot be used at %(slot)s.") % p
    if code == "wrong_area":
        return _("%(pair)s negotiates in the area “%(area)s”: choose a slot and a table of that area.") % p
    if code == "unknown_reference":
        return _("%(pair)s can no longer be scheduled: %(reason)s") % {
            **p, "reason": reason_text(p["reason_code"], p.get("reason_params", {}))}
    if code == "not_planned":
        return _("the pair is no longer mutually interested, or one of its organisations withdrew.")
    if code == "not_planned_slot":
        return _("its slot or table is no longer in use.")
    if code == "not_registered":
        return _("%(who)s is not registered for the event (or withdrew).") % p
    if code == "no_area":
        return _("No exhibition area fits the pair's fields: enter its listings into an area.")
    if code == "no_slots":
        return _("The area “%(area)s” has no negotiation slots yet.") % p
    if code == "no_tables":
        return _("The area “%(area)s” has no tables in use.") % p
    if code == "open_meeting":
        return _("The pair already has an open meeting booked outside the plan.")
    if code == "limit":
        return _("%(who)s has reached its limit of %(limit)s negotiations.") % p
    if code == "no_common_slot":
        return _("There is no slot in “%(area)s” when all of its participants are available.") % p
    if code == "full":
        return _("Every slot in “%(area)s” that suits all of its participants is taken (tables or their parallel "
                 "negotiations): add tables or slots, or raise limits.") % p
    if code == "cancelled":
        return _("Its negotiation was cancelled: the planner leaves it out; place it by hand to plan it again.")
    if code == "not_run":
        return _("Not placed yet: run the planner or place it by hand.")
    return code


class _Lookup:
    """What the plan's assignments use, to name the other side of a clash."""

    def __init__(self, problem: scheduler.Problem, assignments: list[scheduler.Assignment]):
        self.pairs = {p.id: p for p in problem.pairs}
        self.participants = {q.id: q for q in problem.participants}
        self.by_cell: dict = defaultdict(list)
        self.by_pair: dict = defaultdict(list)
        for a in assignments:
            self.by_cell[a.slot, a.table].append(a.pair)
            self.by_pair[a.pair].append(a)


def describe(conflict: scheduler.Conflict, *, problem: scheduler.Problem, context: dict,
             assignments: list[scheduler.Assignment], lookup: _Lookup | None = None) -> tuple[str, dict]:
    """(code, params) of a clash, with names and times instead of ids (see ``reason_text``)."""
    lookup = lookup or _Lookup(problem, assignments)
    slots, tables, names, suggestions = context["slots"], context["tables"], context["names"], context["suggestions"]

    def pair_name(pid) -> str:
        s = suggestions.get(pid)
        return pair_label(s) if s is not None else str(pid)

    def table_name(tid) -> str:
        table = tables.get(tid)
        return table.label if table is not None else str(tid)

    def slot_name(sid) -> str:
        slot = slots.get(sid)
        return slot_label(slot) if slot is not None else str(sid)

    c = conflict
    params: dict[str, Any] = {"pair": pair_name(c.pair), "slot": slot_name(c.slot), "table": table_name(c.table)}
    if c.participant is not None:
        params["who"] = names.get(c.participant, str(c.participant))
    if c.code == "table_double_booked":
        others = [p for p in lookup.by_cell.get((c.slot, c.table), []) if p != c.pair]
        params["other"] = ", ".join(pair_name(p) for p in others) or params["pair"]
    elif c.code == "pair_twice":
        first = next(iter(lookup.by_pair.get(c.pair, [])), None)
        params["other_slot"] = slot_name(first.slot) if first else "?"
        params["other_table"] = table_name(first.table) if first else "?"
    elif c.code == "participant_overbooked":
        who = lookup.participants.get(c.participant)
        params["capacity"] = who.capacity if who else 1
        slot = slots.get(c.slot)
        others = []
        for a in assignments:
            other = slots.get(a.slot)
            pair = lookup.pairs.get(a.pair)
            if (a.pair != c.pair and pair is not None and c.participant in pair.parties and other is not None
                    and slot is not None and other.starts_at < slot.ends_at and slot.starts_at < other.ends_at):
                others.append(pair_name(a.pair))
        params["others"] = ", ".join(others) or "—"
    elif c.code == "participant_over_limit":
        who = lookup.participants.get(c.participant)
        params["limit"] = who.max_meetings if who else 0
    elif c.code == "wrong_area":
        pair = lookup.pairs.get(c.pair)
        area = context["areas"].get(pair.area) if pair else None
        params["area"] = str(area) if area else "?"
    elif c.code == "unknown_reference":
        missing = next((u for u in context["unplaceable"] if u["suggestion"].pk == c.pair), None)
        if missing is not None:
            params.update(reason_code=missing["code"], reason_params=missing["params"])
        elif c.pair in lookup.pairs:
            params.update(reason_code="not_planned_slot", reason_params={})
        else:
            params.update(reason_code="not_planned", reason_params={})
    return c.code, params


def humanise(conflicts, *, problem: scheduler.Problem, context: dict,
             assignments: list[scheduler.Assignment]) -> list[scheduler.Conflict]:
    """The scheduler's conflicts with the messages rewritten for people (names, times)."""
    lookup = _Lookup(problem, assignments)
    out = []
    for c in conflicts:
        code, params = describe(c, problem=problem, context=context, assignments=assignments, lookup=lookup)
        out.append(replace(c, message=reason_text(code, params)))
    return out


def conflict_dict(conflict: scheduler.Conflict) -> dict:
    return {"code": conflict.code, "message": conflict.message, "pair": conflict.pair, "slot": conflict.slot,
            "table": conflict.table, "participant": conflict.participant}


def why_unscheduled(*, problem: scheduler.Problem, context: dict, assignments: list[scheduler.Assignment],
                    pair_ids) -> dict:
    """pair id -> (code, params): why each of these placeable pairs has no slot in this plan: a
    party at its limit, no slot that suits everyone, or no room left in the slots that do."""
    participants = {q.id: q for q in problem.participants}
    by_pair = {p.id: p for p in problem.pairs}
    totals: dict = defaultdict(int)
    for a in assignments:
        for q in set(by_pair[a.pair].parties) if a.pair in by_pair else ():
            totals[q] += 1
    area_slots = defaultdict(list)
    for slot in problem.slots:
        area_slots[slot.area].append(slot.id)
    out = {}
    for pid in pair_ids:
        pair = by_pair[pid]
        parties = [participants[q] for q in dict.fromkeys(pair.parties) if q in participants]
        full = next((q for q in parties if q.max_meetings is not None and totals[q.id] >= q.max_meetings), None)
        if full is not None:
            out[pid] = ("limit", {"who": context["names"].get(full.id, full.id), "limit": full.max_meetings})
            continue
        common = any(not any(sid in q.unavailable for q in parties) for sid in area_slots[pair.area])
        out[pid] = ("full" if common else "no_common_slot"), {"area": str(context["areas"].get(pair.area, pair.area))}
    return out


def unscheduled(*, problem: scheduler.Problem, context: dict,
                assignments: list[scheduler.Assignment]) -> list[dict]:
    """Every pair of the event without an active negotiation, with the reason:
    ``{"suggestion", "area", "code", "params", "reason"}`` (area None when it has none)."""
    placed = {a.pair for a in assignments}
    out = [dict(u) for u in context["unplaceable"]]
    left = [p for p in problem.pairs if p.id not in placed]
    reasons = why_unscheduled(problem=problem, context=context, assignments=assignments,
                              pair_ids=[p.id for p in left])
    for pair in left:
        code, params = reasons[pair.id]
        out.append({"suggestion": context["suggestions"][pair.id], "area": pair.area, "code": code,
                    "params": params, "reason": reason_text(code, params)})
    return out


def plan_conflicts(*, event: Event) -> list[scheduler.Conflict]:
    """The clashes of the event's current plan (its active rows, confirmed first), in words."""
    problem, context = plan_problem(event=event)
    return current_conflicts(problem, context)


def current_conflicts(problem: scheduler.Problem, context: dict) -> list[scheduler.Conflict]:
    assignments = [assignment(row) for row in context["rows"]]
    found = scheduler.find_conflicts(problem, assignments)
    return humanise(found, problem=problem, context=context, assignments=assignments)


def slots_by_day(slots: list[Slot]) -> list[tuple]:
    """[(date, [slots])] in time order, in the current time zone."""
    from django.utils import timezone

    days: dict = {}
    for slot in sorted(slots, key=lambda s: s.starts_at):
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    return list(days.items())


def natural_key(label: str) -> tuple:
    """A01 < A02 < A10 < A100: labels sorted by their letters, then their number."""
    head = label.rstrip("0123456789")
    tail = label[len(head):]
    return (head, int(tail) if tail else -1, label)



# --- the plan page -------------------------------------------------------------------------------

TABLES_PER_PAGE = 30


def plan_board(*, event: Event, area_code: str | None = None, table_page: int = 1) -> dict:
    """What the plan page shows for one area (the grid of its slots by day × a page of its
    tables), with the event's clashes, its unscheduled pairs and per-area counts, read in the
    same constant number of queries whatever the plan's size."""
    problem, context = plan_problem(event=event)
    assignments = [assignment(r) for r in context["rows"]]
    conflicts = humanise(scheduler.find_conflicts(problem, assignments), problem=problem, context=context,
                         assignments=assignments)
    waiting = unscheduled(problem=problem, context=context, assignments=assignments)
    rows = context["rows"] + context["stale"]
    areas = sorted(context["areas"].values(), key=lambda a: (a.order, a.code))
    area = next((a for a in areas if a.code == area_code), areas[0] if areas else None)
    tabs = []
    for a in areas:
        mine = [r for r in rows if r.table.area_id == a.pk]
        tabs.append({"area": a, "current": a == area, "confirmed": sum(r.status == PlanStatus.CONFIRMED for r in mine),
                     "planned": sum(r.status == PlanStatus.PLANNED for r in mine),
                     "unscheduled": sum(u["area"] == a.pk for u in waiting)})
    board = {"problem": problem, "context": context, "areas": tabs, "area": area, "conflicts": conflicts,
             "unscheduled": [u for u in waiting if u["area"] is None or (area and u["area"] == area.pk)],
             "unscheduled_total": len(waiting), "planned": sum(r.status == PlanStatus.PLANNED for r in rows),
             "confirmed": sum(r.status == PlanStatus.CONFIRMED for r in rows), "pairs": len(problem.pairs)
             + len(context["unplaceable"]), "days": [], "tables": [], "table_pages": [], "slots": [],
             "area_tables": []}
    if area is None:
        return board
    area_tables = sorted((t for t in context["tables"].values() if t.area_id == area.pk),
                         key=lambda t: natural_key(t.label))
    pages = max(1, -(-len(area_tables) // TABLES_PER_PAGE))
    table_page = min(max(1, table_page), pages)
    shown = area_tables[(table_page - 1) * TABLES_PER_PAGE:table_page * TABLES_PER_PAGE]
    area_slots = [s for s in context["slots"].values() if s.session.area_id == area.pk]
    by_cell = {(r.slot_id, r.table_id): r for r in rows}
    clashing = {c.pair for c in conflicts}
    for r in rows:
        r.clashes = r.suggestion_id in clashing
        r.meeting_cancelled = r in context["stale"]
        r.broker_name = str(r.suggestion.broker) if r.suggestion.broker_id else ""
    board.update(
        area_tables=area_tables, tables=shown, slots=area_slots,
        table_pages=[{"number": n, "current": n == table_page,
                      "first": area_tables[(n - 1) * TABLES_PER_PAGE].label,
                      "last": area_tables[min(n * TABLES_PER_PAGE, len(area_tables)) - 1].label}
                     for n in range(1, pages + 1)] if len(area_tables) > TABLES_PER_PAGE else [],
        days=[{"date": day, "rows": [{"slot": slot, "cells": [by_cell.get((slot.pk, t.pk)) for t in shown]}
                                     for slot in day_slots]}
              for day, day_slots in slots_by_day(area_slots)])
    return board
