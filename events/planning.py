"""The negotiation plan of a docking conference (issue item 3): bureau staff cut negotiation
sessions into slots and set each area's tables, the planner (``events.scheduler``, CP-SAT)
assigns the mutually interested pairs to slots and tables, bureau staff adjust it by hand and
publish it, and a withdrawing organisation's negotiations are cancelled.

Plan rows (``ScheduledMeeting``) are *planned* (a proposal, rewritten by each run) or
*confirmed* (published: a conference ``matchmaking.Meeting`` exists and the parties were told).
A run never changes a confirmed row: one that can no longer take place is reported, and bureau
staff move or cancel it by hand, which goes through ``matchmaking.lifecycle`` so the parties
are told. Every write of the plan locks the event's row first, so two bureau users never
interleave a run, a publication or an edit; the partial unique constraints on the plan rows
are the last line of defence and read as a 409.

Reads of the plan (the problem, its clashes in words, the page's grid) live in
``events.plan_selectors``.
"""

import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from common.errors import ApplicationError, PermissionDenied
from events import rules, scheduler
from events.enums import ACTIVE_PLAN_STATUSES, PlanStatus, SessionKind
from events.models import Event, ExhibitionArea, Registration, ScheduledMeeting, Session, Slot, Table
from events.plan_selectors import (
    assignment,
    conflict_dict,
    current_conflicts,
    describe,
    humanise,
    natural_key,
    overlapping_sessions,
    pair_label,
    plan_conflicts,
    plan_problem,
    reason_text,
    session_times,
    slot_label,
    why_unscheduled,
)

__all__ = [
    "plan_conflicts", "plan_problem", "plan_publish", "plan_publish_start", "plan_run", "plan_start",
    "scheduled_cancel", "scheduled_cancel_for_registration", "scheduled_create", "scheduled_move",
    "session_generate_slots", "tables_set",
]

logger = logging.getLogger(__name__)

# An event with more pairs than this is planned by a worker (``events.plan_event``); smaller
# ones in the request, within INLINE_TIME_LIMIT_S (CP-SAT proves such plans optimal in seconds).
INLINE_MAX_PAIRS = 300
INLINE_TIME_LIMIT_S = 20.0
MAX_TABLES_PER_AREA = 500
# The last report is kept in the cache (there is no model field for it): long enough to outlive
# the conference's preparation; a lost report only hides figures, never the plan itself.
REPORT_TTL_S = 60 * 24 * 3600
PLANNING_TTL_S = 30 * 60
NAMES_SHOWN = 10


def report_key(event_id: int) -> str:
    return f"events:plan-report:{event_id}"


def planning_key(event_id: int) -> str:
    return f"events:planning:{event_id}"


def error_key(event_id: int) -> str:
    return f"events:plan-error:{event_id}"


def plan_error_get(*, event: Event) -> str | None:
    """Why the last background run failed, if it did (cleared by the next successful run)."""
    return cache.get(error_key(event.pk))


def plan_report_get(*, event: Event) -> dict | None:
    """The last plan report of the event (``PlanReport.as_dict()``), if still cached."""
    return cache.get(report_key(event.pk))


def plan_is_running(*, event: Event) -> bool:
    return cache.get(planning_key(event.pk)) is not None


def plan_job_get(*, event: Event) -> dict | None:
    """The background job working on the event's plan, if any: {"since", "by", "kind"} where
    kind is "plan" or "publish"."""
    return cache.get(planning_key(event.pk))


def _require_plan(actor: User | None, event: Event) -> None:
    if actor is None or not rules.can_plan(actor, event):
        raise PermissionDenied(_("Only bureau staff plan the negotiations."))


def _lock_event(event: Event) -> Event:
    # Every write of the plan takes this lock first (then rows, then pairs in lifecycle):
    # one order everywhere, so two writers wait for each other instead of deadlocking.
    return Event.objects.select_for_update().get(pk=event.pk)


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:NAMES_SHOWN])
    return shown + (_(" and %(n)s more") % {"n": len(items) - NAMES_SHOWN} if len(items) > NAMES_SHOWN else "")


def _row_names(rows) -> str:
    return _names([f"{pair_label(r.suggestion)} ({slot_label(r.slot)}, {r.table.label})" for r in rows])


def _location(area: ExhibitionArea, table: Table) -> str:
    """Where the parties go, written in the site's language whoever publishes (both parties read
    the same meeting)."""
    with translation.override(settings.LANGUAGE_CODE):
        place = f"{area.name} · {table.label}"
    return f"{place} · {area.hall}" if area.hall else place


def _conflict_error(message: str) -> ApplicationError:
    return ApplicationError(message, code="conflict", status=409, extra={"conflicts": []})


# --- setup: slots and tables -------------------------------------------------------------------

@transaction.atomic
def session_generate_slots(*, actor: User, session: Session) -> list[Slot]:
    """Cut a negotiation session into slots of the event's negotiation length. Idempotent: the
    slots that fit are kept, the missing ones added. Refused when the session overlaps another
    negotiation session of its area, or when a slot that no longer fits (the session was
    shortened, or the length changed) holds an active negotiation. Side effect: cancelled plan
    rows of the slots that go are deleted with them (the pairs' own history keeps them)."""
    event = Event.objects.get(pk=session.event_id)
    _require_plan(actor, event)
    _lock_event(event)
    session = Session.objects.select_related("area").get(pk=session.pk)
    if session.kind != SessionKind.NEGOTIATION or session.area_id is None:
        raise ApplicationError(_("Only a negotiation session of an exhibition area is cut into slots."),
                               code="not_negotiation")
    other = (Session.objects.filter(event=event, area_id=session.area_id, kind=SessionKind.NEGOTIATION,
                                    starts_at__lt=session.ends_at, ends_at__gt=session.starts_at)
             .exclude(pk=session.pk).order_by("starts_at").first())
    if other is not None:
        raise ApplicationError(
            _("The negotiation session “%(session)s” (%(times)s) overlaps “%(other)s” (%(other_times)s) in the area "
              "“%(area)s”: a table cannot host two negotiations at once. Change the times of one of them.")
            % {"session": session.title, "times": session_times(session), "other": other.title,
               "other_times": session_times(other), "area": session.area},
            code="sessions_overlap", status=409)
    length = timedelta(minutes=event.meeting_minutes)
    wanted, start = [], session.starts_at
    while start + length <= session.ends_at:
        wanted.append((start, start + length))
        start += length
    if not wanted:
        raise ApplicationError(_("The session (%(times)s) is shorter than one negotiation (%(minutes)s minutes).")
                               % {"times": session_times(session), "minutes": event.meeting_minutes},
                               code="session_too_short")
    existing = list(Slot.objects.filter(session=session))
    drop = [s for s in existing if (s.starts_at, s.ends_at) not in set(wanted)]
    if drop:
        busy = list(ScheduledMeeting.objects.filter(slot__in=drop, status__in=ACTIVE_PLAN_STATUSES)
                    .select_related("slot", "table", "suggestion__requirement__organisation",
                                    "suggestion__achievement__organisation")
                    .order_by("slot__starts_at", "table__label"))
        if busy:
            raise ApplicationError(
                _("The session no longer covers slots that hold scheduled negotiations: %(meetings)s. Move or cancel "
                  "them first.") % {"meetings": _row_names(busy)}, code="slots_in_use", status=409)
        ScheduledMeeting.objects.filter(slot__in=drop).delete()
        Slot.objects.filter(pk__in=[s.pk for s in drop]).delete()
    have = {(s.starts_at, s.ends_at) for s in existing if s not in drop}
    Slot.objects.bulk_create([Slot(session=session, starts_at=a, ends_at=b) for a, b in wanted if (a, b) not in have])
    return list(Slot.objects.filter(session=session).order_by("starts_at"))


@dataclass
class TablesChange:
    tables: list[Table]
    added: int = 0
    deactivated: int = 0
    unplanned: int = 0  # planned negotiations taken off deactivated tables (the next run re-plans them)


@transaction.atomic
def tables_set(*, actor: User, area: ExhibitionArea, count: int) -> TablesChange:
    """Give the area ``count`` tables in use: tables put away earlier come back first, then new
    ones are labelled with the area's code (ENERGY01, ENERGY02...); extra ones (the highest
    labels) are put away. Refused when a table to put away holds a confirmed negotiation;
    planned ones on it leave the plan."""
    area = ExhibitionArea.objects.select_related("event").get(pk=area.pk)
    _require_plan(actor, area.event)
    _lock_event(area.event)
    if not 0 <= count <= MAX_TABLES_PER_AREA:
        raise ValidationError({"count": _("Enter a number of tables from 0 to %(max)s.")
                                        % {"max": MAX_TABLES_PER_AREA}})
    tables = sorted(Table.objects.filter(area=area), key=lambda t: natural_key(t.label))
    active = [t for t in tables if t.is_active]
    change = TablesChange(tables=[])
    if count < len(active):
        extra = active[count:]
        confirmed = list(ScheduledMeeting.objects.filter(table__in=extra, status=PlanStatus.CONFIRMED)
                         .select_related("slot", "table", "suggestion__requirement__organisation",
                                         "suggestion__achievement__organisation")
                         .order_by("table__label", "slot__starts_at"))
        if confirmed:
            raise ApplicationError(
                _("These tables hold confirmed negotiations: %(meetings)s. Move or cancel them before putting the "
                  "tables away.") % {"meetings": _row_names(confirmed)}, code="tables_in_use", status=409)
        change.unplanned, _by_model = ScheduledMeeting.objects.filter(table__in=extra,
                                                                      status=PlanStatus.PLANNED).delete()
        change.deactivated = Table.objects.filter(pk__in=[t.pk for t in extra]).update(is_active=False)
    elif count > len(active):
        revive = [t for t in tables if not t.is_active][:count - len(active)]
        Table.objects.filter(pk__in=[t.pk for t in revive]).update(is_active=True)
        labels, number = {t.label for t in tables}, 0
        new: list[Table] = []
        prefix = area.code.upper()[:36]
        while len(active) + len(revive) + len(new) < count:
            number += 1
            label = f"{prefix}{number:02d}"
            if label not in labels:
                new.append(Table(area=area, label=label))
        Table.objects.bulk_create(new)
        change.added = len(revive) + len(new)
    change.tables = sorted(Table.objects.filter(area=area, is_active=True), key=lambda t: natural_key(t.label))
    return change


# --- planning ----------------------------------------------------------------------------------

@dataclass
class PlanReport:
    """What a run did. ``unscheduled`` and ``conflicts`` hold (code, params) pairs, rendered with
    ``plan_selectors.reason_text`` when shown, in the reader's language."""

    event_id: int
    at: str
    by: str
    pairs: int
    planned: int
    confirmed: int
    moved: int
    solve_s: float
    status: str
    upper_bound: int
    unscheduled: list[dict] = field(default_factory=list)  # {"pair", "label", "area", "code", "params"}
    conflicts: list[dict] = field(default_factory=list)  # {"pair", "code", "params"}
    cancelled_outside: int = 0

    @property
    def scheduled(self) -> int:
        return self.planned + self.confirmed

    def as_dict(self) -> dict:
        return {**asdict(self), "scheduled": self.scheduled}


def _refuse_if_running(event: Event) -> None:
    if plan_is_running(event=event):
        raise ApplicationError(_("The planner is already working on this event; wait for it to finish."),
                               code="planning", status=409)


def _queue(actor: User, event: Event, kind: str) -> None:
    """After commit: mark the event busy (the plan page shows it) and send the task."""

    def send() -> None:
        from events.tasks import PLAN_QUEUE, plan_event_task, publish_plan_task

        cache.set(planning_key(event.pk), {"since": timezone.now().isoformat(), "by": actor.pk, "kind": kind},
                  PLANNING_TTL_S)
        task = plan_event_task if kind == "plan" else publish_plan_task
        task.apply_async(kwargs={"event_id": event.pk, "actor_id": actor.pk}, queue=PLAN_QUEUE)

    transaction.on_commit(send)


def plan_start(*, actor: User, event: Event) -> PlanReport | None:
    """Plan now (small events), or queue ``events.plan_event`` after commit and return None
    (more than ``INLINE_MAX_PAIRS`` pairs): the plan page shows "planning…" until it is done."""
    from events.selectors import event_suggestions
    from matchmaking.models import SuggestionStatus

    _require_plan(actor, event)
    _refuse_if_running(event)
    pairs = event_suggestions(event=event, statuses=(SuggestionStatus.MUTUAL, SuggestionStatus.MEETING)).count()
    if pairs <= INLINE_MAX_PAIRS:
        return plan_run(actor=actor, event=event, time_limit_s=INLINE_TIME_LIMIT_S)
    _queue(actor, event, "plan")
    return None


def plan_publish_start(*, actor: User, event: Event) -> "PublishReport | None":
    """Publish now, or (more than ``INLINE_MAX_PAIRS`` planned negotiations: each is a booked
    meeting, a pair event and notifications) queue ``events.publish_plan`` and return None."""
    _require_plan(actor, event)
    _refuse_if_running(event)
    if ScheduledMeeting.objects.filter(event=event, status=PlanStatus.PLANNED).count() <= INLINE_MAX_PAIRS:
        return plan_publish(actor=actor, event=event)
    _queue(actor, event, "publish")
    return None


def publication_key(event_id: int) -> str:
    return f"events:plan-published:{event_id}"


def plan_publication_get(*, event: Event) -> dict | None:
    """The last publication's outcome (``PublishReport.as_dict()``), if still cached."""
    return cache.get(publication_key(event.pk))


def plan_run(*, actor: User, event: Event, time_limit_s: float = 60.0) -> PlanReport:
    """Plan the event's negotiations: the most pairs scheduled, confirmed ones kept exactly,
    planned ones kept in their slot and at their table where possible. Writes: planned rows
    are updated in place when they move, created for newly scheduled pairs and deleted for
    pairs no longer scheduled; confirmed rows are never changed — one that can no longer take
    place (a party now away, a limit lowered...) is reported in ``conflicts`` — except that a
    confirmed row whose meeting was cancelled on the pair's page is marked cancelled. The
    report is kept in the cache (``plan_report_get``)."""
    _require_plan(actor, event)
    with transaction.atomic():
        event = _lock_event(event)
        problem, context = plan_problem(event=event)
        if clashes := overlapping_sessions(context):
            a, b = clashes[0]
            raise ApplicationError(
                _("The negotiation sessions “%(session)s” (%(times)s) and “%(other)s” (%(other_times)s) of one area "
                  "overlap: fix their times before planning.")
                % {"session": a.title, "times": session_times(a), "other": b.title, "other_times": session_times(b)},
                code="sessions_overlap", status=409)
        report_conflicts = _close_stale(actor, context)
        solvable, dropped = _without_dropped(problem, context)
        report_conflicts += dropped
        result = scheduler.solve(solvable, time_limit_s=time_limit_s)
        planned, moved = _write(actor, event, context, result)
        unscheduled_rows = [{"pair": u["suggestion"].pk, "label": pair_label(u["suggestion"]),
                             "area": str(context["areas"][u["area"]]) if u["area"] else "",
                             "code": u["code"], "params": u["params"]} for u in context["unplaceable"]]
        by_id = {p.id: p for p in solvable.pairs}
        reasons = why_unscheduled(problem=solvable, context=context, assignments=result.assignments,
                                  pair_ids=result.unscheduled)
        for pid in result.unscheduled:
            code, params = reasons[pid]
            unscheduled_rows.append({"pair": pid, "label": pair_label(context["suggestions"][pid]),
                                     "area": str(context["areas"][by_id[pid].area]), "code": code, "params": params})
    report = PlanReport(
        event_id=event.pk, at=timezone.now().isoformat(), by=str(actor), pairs=len(problem.pairs)
        + len(context["unplaceable"]), planned=planned, confirmed=len(problem.fixed), moved=moved,
        solve_s=round(result.solve_s, 3), status=result.status, upper_bound=result.upper_bound,
        unscheduled=unscheduled_rows, conflicts=report_conflicts, cancelled_outside=len(context["stale"]))
    cache.set(report_key(event.pk), report.as_dict(), REPORT_TTL_S)
    cache.delete(error_key(event.pk))
    logger.info("event %s planned: %s planned, %s confirmed, %s unscheduled, %s moved, %.2fs (%s)", event.pk,
                planned, report.confirmed, len(unscheduled_rows), moved, result.solve_s, result.status)
    return report


def _close_stale(actor: User, context: dict) -> list[dict]:
    """Confirmed rows whose conference meeting a participant cancelled on the pair's page: the
    negotiation is off, so the row is too (its slot and table become free)."""
    conflicts = []
    for row in context["stale"]:
        row.status, row.changed_by = PlanStatus.CANCELLED, actor
        row.change_reason = (row.meeting.outcome or "")[:1000]
        row.save(update_fields=["status", "changed_by", "change_reason", "updated_at"])
        conflicts.append({"pair": row.suggestion_id, "code": "confirmed_cancelled", "params": {
            "pair": pair_label(row.suggestion), "slot": slot_label(row.slot), "table": row.table.label}})
    return conflicts


def _without_dropped(problem: scheduler.Problem, context: dict) -> tuple[scheduler.Problem, list[dict]]:
    """The problem the solver gets: confirmed meetings that can no longer take place stay in the
    database as they are, so their pairs are not planned again and their tables stay taken in
    their slots; each is reported with the first reason it clashes."""
    fixed = list(problem.fixed)
    found = scheduler.find_conflicts(problem, fixed)
    if not found:
        return problem, []
    dropped, reports = set(), []
    rows = {r.suggestion_id: r for r in context["rows"]}
    for conflict in found:
        if conflict.pair in dropped:
            continue
        dropped.add(conflict.pair)
        code, params = describe(conflict, problem=problem, context=context, assignments=fixed)
        row = rows[conflict.pair]
        reports.append({"pair": conflict.pair, "code": "confirmed_dropped", "params": {
            "pair": pair_label(row.suggestion), "slot": slot_label(row.slot), "table": row.table.label,
            "reason_code": code, "reason_params": params}})
    blocked: dict = {}
    for a in fixed:
        if a.pair in dropped:
            blocked.setdefault(a.table, set()).add(a.slot)
    tables = tuple(replace(t, unavailable=t.unavailable | frozenset(blocked.get(t.id, ()))) for t in problem.tables)
    return replace(problem, pairs=tuple(p for p in problem.pairs if p.id not in dropped), tables=tables,
                   fixed=tuple(a for a in fixed if a.pair not in dropped),
                   previous=tuple(a for a in problem.previous if a.pair not in dropped)), reports


def _write(actor: User, event: Event, context: dict, result: scheduler.Result) -> tuple[int, int]:
    """Store the new plan's planned rows; (planned rows now, previous rows moved or removed)."""
    current = {r.suggestion_id: r for r in context["rows"] if r.status == PlanStatus.PLANNED}
    plan = {a.pair: a for a in result.assignments if not a.fixed}
    gone = [r.pk for pid, r in current.items() if pid not in plan]
    moving = [r for pid, r in current.items() if pid in plan and (r.slot_id, r.table_id) != (plan[pid].slot,
                                                                                             plan[pid].table)]
    now = timezone.now()
    try:
        with transaction.atomic():
            ScheduledMeeting.objects.filter(pk__in=gone).delete()
            # Out of the partial unique indexes while they move, so that two planned rows can
            # swap tables within one statement.
            ScheduledMeeting.objects.filter(pk__in=[r.pk for r in moving]).update(status=PlanStatus.CANCELLED)
            for row in moving:
                row.slot_id, row.table_id = plan[row.suggestion_id].slot, plan[row.suggestion_id].table
                row.status, row.changed_by, row.change_reason, row.updated_at = PlanStatus.PLANNED, actor, "", now
            ScheduledMeeting.objects.bulk_update(moving, ["slot", "table", "status", "changed_by", "change_reason",
                                                          "updated_at"])
            ScheduledMeeting.objects.bulk_create([
                # The problem's ids are primary keys (plan_selectors.plan_problem).
                ScheduledMeeting(event=event, suggestion_id=cast(int, a.pair), slot_id=cast(int, a.slot),
                                 table_id=cast(int, a.table), status=PlanStatus.PLANNED, changed_by=actor)
                for pid, a in plan.items() if pid not in current])
    except IntegrityError:
        raise _conflict_error(_("The plan changed while it was being written; run the planner again.")) from None
    return len(plan), len(gone) + len(moving)


# --- publishing --------------------------------------------------------------------------------

@dataclass
class PublishReport:
    published: int
    refused: list[dict]  # {"pair", "label", "detail"}

    def as_dict(self) -> dict:
        return {"at": timezone.now().isoformat(), **asdict(self)}


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(getattr(error, "message", error))


def plan_publish(*, actor: User, event: Event) -> PublishReport:
    """Confirm every planned negotiation: each becomes a confirmed conference meeting of its pair
    (``matchmaking.lifecycle.meeting_arrange``: the pair becomes "meeting scheduled" and the
    participants are notified). Each pair is published on its own: one that is refused (it got
    an open meeting meanwhile, it clashes with the plan...) is listed and stays planned."""
    from matchmaking import lifecycle
    from matchmaking.models import MeetingMode

    _require_plan(actor, event)
    published, refused = 0, []
    with transaction.atomic():
        event = _lock_event(event)
        problem, context = plan_problem(event=event)
        clashing: dict = {}
        for conflict in current_conflicts(problem, context):
            clashing.setdefault(conflict.pair, conflict.message)
        rows = (ScheduledMeeting.objects.filter(event=event, status=PlanStatus.PLANNED)
                .select_related("slot", "table__area", "suggestion__requirement__organisation",
                                "suggestion__achievement__organisation")
                .order_by("slot__starts_at", "table__label"))
        for row in rows:
            label = pair_label(row.suggestion)
            if row.suggestion_id in clashing:
                refused.append({"pair": row.suggestion_id, "label": label, "detail": clashing[row.suggestion_id]})
                continue
            minutes = int((row.slot.ends_at - row.slot.starts_at).total_seconds() // 60)
            try:
                with transaction.atomic():
                    meeting = lifecycle.meeting_arrange(
                        actor=actor, suggestion=row.suggestion, starts_at=row.slot.starts_at,
                        duration_minutes=minutes, location=_location(row.table.area, row.table),
                        mode=MeetingMode.CONFERENCE)
                    row.status, row.meeting, row.confirmed_at = PlanStatus.CONFIRMED, meeting, timezone.now()
                    row.changed_by = actor
                    row.save(update_fields=["status", "meeting", "confirmed_at", "changed_by", "updated_at"])
            except (ApplicationError, PermissionDenied, ValidationError, IntegrityError) as error:
                refused.append({"pair": row.suggestion_id, "label": label, "detail": _error_text(error)})
            else:
                published += 1
    logger.info("event %s: %s negotiations published, %s refused", event.pk, published, len(refused))
    result = PublishReport(published=published, refused=refused)
    cache.set(publication_key(event.pk), result.as_dict(), REPORT_TTL_S)
    cache.delete(error_key(event.pk))
    return result


# --- manual edits ------------------------------------------------------------------------------

def _cell(event: Event, slot: Slot, table: Table) -> tuple[Slot, Table]:
    slot = Slot.objects.select_related("session").get(pk=slot.pk)
    table = Table.objects.select_related("area").get(pk=table.pk)
    errors = {}
    if slot.session.event_id != event.pk or slot.session.kind != SessionKind.NEGOTIATION:
        errors["slot"] = _("Choose a negotiation slot of this event.")
    if table.area.event_id != event.pk or not table.is_active:
        errors["table"] = _("Choose a table in use at this event.")
    if errors:
        raise ValidationError(errors)
    return slot, table


def _refuse_clashes(problem: scheduler.Problem, context: dict, assignments: list[scheduler.Assignment]) -> None:
    """Refuse an edit (the last assignment) that clashes with the rest of the plan, listing
    every clash; clashes elsewhere in the plan do not block it."""
    edited = assignments[-1]
    found = [c for c in scheduler.find_conflicts(problem, assignments) if c.pair == edited.pair]
    if found:
        readable = humanise(found, problem=problem, context=context, assignments=assignments)
        raise ApplicationError(
            _("This change clashes with the plan: %(conflicts)s")
            % {"conflicts": " ".join(c.message for c in readable)},
            code="conflict", status=409, extra={"conflicts": [conflict_dict(c) for c in readable]})


def _lock_row(event: Event, scheduled: ScheduledMeeting) -> ScheduledMeeting:
    row = (ScheduledMeeting.objects.select_for_update(of=("self",))
           .select_related("meeting", "slot", "table", "suggestion__requirement__organisation",
                           "suggestion__achievement__organisation")
           .filter(pk=scheduled.pk, event=event).first())
    if row is None:
        raise ApplicationError(_("This negotiation no longer exists."), code="gone", status=404)
    if row.status not in ACTIVE_PLAN_STATUSES:
        raise ApplicationError(_("This negotiation was cancelled."), code="illegal_transition", status=409)
    return row


def _save(row: ScheduledMeeting, fields: list[str]) -> None:
    try:
        with transaction.atomic():
            row.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise _conflict_error(_("Someone else has just used this table in this slot, or planned this pair; reload "
                                "the plan.")) from None


@transaction.atomic
def scheduled_move(*, actor: User, scheduled: ScheduledMeeting, slot: Slot, table: Table,
                   reason: str = "") -> ScheduledMeeting:
    """Move a negotiation to another slot and table, if the whole plan stays free of clashes
    (409 listing each clash otherwise). A planned one just moves; a confirmed one needs a reason
    and its meeting moves through ``matchmaking.lifecycle.meeting_move`` (the participants are
    notified, the pair records "meeting moved")."""
    from matchmaking import lifecycle
    from matchmaking.models import MeetingStatus

    event = Event.objects.get(pk=scheduled.event_id)
    _require_plan(actor, event)
    event = _lock_event(event)
    row = _lock_row(event, scheduled)
    slot, table = _cell(event, slot, table)
    if (row.slot_id, row.table_id) == (slot.pk, table.pk):
        return row
    reason = (reason or "").strip()
    confirmed = row.status == PlanStatus.CONFIRMED
    if confirmed and not reason:
        raise ValidationError({"reason": _("Say why the confirmed negotiation moves: the parties are told.")})
    if confirmed and row.meeting is not None and row.meeting.status != MeetingStatus.CONFIRMED:
        raise ApplicationError(_("Its meeting is “%(status)s”: it can no longer be moved.")
                               % {"status": row.meeting.get_status_display()}, code="illegal_transition", status=409)
    problem, context = plan_problem(event=event)
    others = [assignment(r) for r in context["rows"] if r.pk != row.pk]
    _refuse_clashes(problem, context, [*others, scheduler.Assignment(row.suggestion_id, slot.pk, table.pk)])
    if confirmed and row.meeting is not None:
        lifecycle.meeting_move(actor=actor, meeting=row.meeting, starts_at=slot.starts_at,
                               location=_location(table.area, table), reason=reason)
    row.slot, row.table, row.changed_by, row.change_reason = slot, table, actor, reason[:1000]
    _save(row, ["slot", "table", "changed_by", "change_reason"])
    return row


@transaction.atomic
def scheduled_create(*, actor: User, event: Event, suggestion, slot: Slot, table: Table) -> ScheduledMeeting:
    """Place an unscheduled pair by hand (planned), if the plan stays free of clashes."""
    _require_plan(actor, event)
    event = _lock_event(event)
    slot, table = _cell(event, slot, table)
    problem, context = plan_problem(event=event)
    if (pair := context["held_back"].get(suggestion.pk)) is not None:
        problem = replace(problem, pairs=(*problem.pairs, pair))
        context["pairs"][pair.id] = pair
    if suggestion.pk not in context["pairs"]:
        missing = next((u for u in context["unplaceable"] if u["suggestion"].pk == suggestion.pk), None)
        raise ApplicationError(_("This pair cannot be placed: %(reason)s")
                               % {"reason": missing["reason"] if missing else reason_text("not_planned", {})},
                               code="not_placeable", status=409)
    assignments = [assignment(r) for r in context["rows"]]
    _refuse_clashes(problem, context, [*assignments, scheduler.Assignment(suggestion.pk, slot.pk, table.pk)])
    row = ScheduledMeeting(event=event, suggestion_id=suggestion.pk, slot=slot, table=table,
                           status=PlanStatus.PLANNED, changed_by=actor)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise _conflict_error(_("Someone else has just used this table in this slot, or planned this pair; reload "
                                "the plan.")) from None
    return row


def _took_place(row: ScheduledMeeting) -> bool:
    from matchmaking.models import MeetingStatus

    return row.meeting is not None and row.meeting.status in (MeetingStatus.HELD, MeetingStatus.MISSED)


def _cancel(actor: User, row: ScheduledMeeting, reason: str) -> None:
    from matchmaking import lifecycle

    if row.status == PlanStatus.CONFIRMED and row.meeting is not None and row.meeting.is_open:
        lifecycle.meeting_cancel(actor=actor, meeting=row.meeting, reason=reason)
    row.status, row.changed_by, row.change_reason = PlanStatus.CANCELLED, actor, reason[:1000]
    row.save(update_fields=["status", "changed_by", "change_reason", "updated_at"])


@transaction.atomic
def scheduled_cancel(*, actor: User, scheduled: ScheduledMeeting, reason: str = "") -> ScheduledMeeting:
    """Cancel a negotiation of the plan. A confirmed one needs a reason and its meeting is
    cancelled through ``matchmaking.lifecycle.meeting_cancel`` (the participants are told, the
    pair goes back to "mutual interest" and can be planned again)."""
    event = Event.objects.get(pk=scheduled.event_id)
    _require_plan(actor, event)
    event = _lock_event(event)
    row = _lock_row(event, scheduled)
    if _took_place(row):
        raise ApplicationError(_("This negotiation has already taken place (its outcome is recorded)."),
                               code="illegal_transition", status=409)
    reason = (reason or "").strip()
    if row.status == PlanStatus.CONFIRMED and not reason:
        raise ValidationError({"reason": _("Say why the confirmed negotiation is cancelled: the parties are told.")})
    _cancel(actor, row, reason)
    return row


@transaction.atomic
def scheduled_cancel_for_registration(*, actor: User, registration: Registration, reason: str = "") -> int:
    """An organisation withdraws: cancel every active negotiation of the event it takes part in
    (either side), confirmed ones through ``meeting_cancel`` with the reason. Bureau staff or
    whoever manages the registration; returns how many were cancelled."""
    event = Event.objects.get(pk=registration.event_id)
    registration = Registration.objects.select_related("organisation").get(pk=registration.pk)
    if not (rules.can_plan(actor, event) or rules.can_manage_registration(actor, registration)):
        raise PermissionDenied(_("Only bureau staff or the organisation itself withdraw its negotiations."))
    event = _lock_event(event)
    org_id = registration.organisation_id
    rows = list(ScheduledMeeting.objects.select_for_update(of=("self",)).select_related("meeting", "suggestion")
                .filter(event=event, status__in=ACTIVE_PLAN_STATUSES)
                .filter(Q(suggestion__requirement__organisation_id=org_id)
                        | Q(suggestion__achievement__organisation_id=org_id))
                .order_by("slot__starts_at", "pk"))
    reason = (reason or "").strip() or _("%(organisation)s withdrew from the event.") % {
        "organisation": registration.organisation}
    rows = [row for row in rows if not _took_place(row)]  # what happened stays on the record
    for row in rows:
        _cancel(actor, row, reason)
    return len(rows)

