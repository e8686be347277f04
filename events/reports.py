"""The event report (issue 5, item 6): registrations, entered listings, pre-docking coverage,
the pairs' funnel, negotiations held, agreements signed and roadshow interest, in total and per
exhibition area and field; and the public summary drawn from it. Pure reads.

Counting rules (the report page's legend says the same):

- The event's pairs are ``events.selectors.event_suggestions``: non-superseded suggestions
  between two listings entered by active registrations, whichever run produced them.
- A pair *reached* a stage of the funnel when its current status implies it (a declined pair was
  sent, a signed one met) or its audit trail (``matchmaking.PairEvent``) holds a transition into
  it, so a pair that met and then ended without a deal still counts as met — as in
  ``matchmaking.reports``.
- A listing counts in each of its fields; a pair, its negotiations and its agreement count in
  each field of its requirement (as in the outcome reports) and in one area: the area of the
  requirement's entered listing, else the achievement's, else the area whose fields match the
  requirement's best (``events.selectors.best_area``, on areas read once).
- Registrations are the whole event's: the area and field filters narrow the rest.

Every figure comes from a fixed number of queries whatever the size of the event (rows are
read as tuples and grouped here; nothing is read per pair or per listing).
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.enums import OrganisationKind
from catalog.enums import CooperationMode
from catalog.models import Achievement, Field, Requirement
from events.enums import ACTIVE_PLAN_STATUSES, InterestLevel, PlanStatus, RegistrationStatus
from events.models import (
    Event,
    EventListing,
    ExhibitionArea,
    InvestorInterest,
    Registration,
    RoadshowEntry,
    ScheduledMeeting,
)
from events.selectors import best_area, event_suggestions
from matchmaking.models import PARTY_STATUSES, Agreement, MeetingStatus, PairEvent, SuggestionStatus

S = SuggestionStatus
FUNNEL = ("suggested", "approved", "sent", "mutual", "meeting", "met", "signed")
# Where a pair stopped without going on: shown beside the funnel.
ENDED = ("rejected", "declined", "no_deal")
# The funnel stages each current status implies (lifecycle.TRANSITIONS: a pair only moves forward,
# except meeting → mutual when a meeting is cancelled, which the audit trail then still shows).
IMPLIED: dict[str, tuple[str, ...]] = {
    S.SUGGESTED: FUNNEL[:1],
    S.REJECTED: FUNNEL[:1],
    S.APPROVED: FUNNEL[:2],
    S.SENT: FUNNEL[:3],
    S.DECLINED: FUNNEL[:3],
    S.MUTUAL: FUNNEL[:4],
    S.NO_DEAL: FUNNEL[:4],
    S.MEETING: FUNNEL[:5],
    S.MET: FUNNEL[:6],
    S.SIGNED: FUNNEL,
}
# Statuses in which both parties have been sent the pair.
SENT_STATUSES = frozenset(str(s) for s in PARTY_STATUSES)
ORG_KINDS = (OrganisationKind.ENTERPRISE, OrganisationKind.UNIVERSITY, OrganisationKind.INSTITUTE,
             OrganisationKind.INVESTOR, OrganisationKind.AGENCY)
TABLE_KEYS = ("requirements", "achievements", "pairs", "mutual", "meetings_held", "agreements", "amount")
ZERO = Decimal("0.00")


def pct(part: int, whole: int, digits: int = 1) -> float | None:
    """``part`` as a percentage of ``whole``; None when there is nothing to divide by."""
    return round(100 * part / whole, digits) if whole else None


def stage_label(stage: str) -> str:
    return {
        "suggested": _("Suggested"),
        "approved": _("Approved by a broker"),
        "sent": _("Sent to the parties"),
        "mutual": _("Mutual interest"),
        "meeting": _("Negotiation scheduled"),
        "met": _("Negotiation held"),
        "signed": _("Agreement signed"),
        "rejected": _("Rejected by a broker"),
        "declined": _("Declined by a party"),
        "no_deal": _("Ended without a deal"),
    }[stage]


def _name(zh: str, en: str) -> str:
    return (en or zh) if (get_language() or "").startswith("en") else (zh or en)


def _pairs_by(ids: Iterable[int], through_rows: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    wanted = set(ids)
    out: dict[int, list[int]] = defaultdict(list)
    for owner, field_id in through_rows:
        if owner in wanted:
            out[owner].append(field_id)
    return out


class _Context:
    """The event's rows, read once; the report's sections group them."""

    def __init__(self, event: Event):
        self.event = event
        # Entered listings of active registrations: (requirement id | None, achievement id | None, area id).
        entries = list(EventListing.objects.filter(event=event, registration__status=RegistrationStatus.REGISTERED)
                       .order_by().values_list("requirement_id", "achievement_id", "area_id"))
        self.req_area = {r: area for r, a, area in entries if r is not None}
        self.ach_area = {a: area for r, a, area in entries if a is not None}
        self.areas = list(ExhibitionArea.objects.filter(event=event).order_by("order", "code")
                          .values_list("pk", "name_zh", "name_en", "code"))
        area_fields: dict[int, set[int]] = defaultdict(set)
        for area_id, field_id in (ExhibitionArea.fields.through.objects.filter(exhibitionarea__event=event)
                                  .values_list("exhibitionarea_id", "field_id")):
            area_fields[area_id].add(field_id)
        self.area_fields = area_fields
        self.area_order = {pk: i for i, (pk, *_rest) in enumerate(self.areas)}
        entered_reqs = EventListing.objects.filter(event=event, requirement__isnull=False).values("requirement_id")
        entered_achs = EventListing.objects.filter(event=event, achievement__isnull=False).values("achievement_id")
        self.req_fields = _pairs_by(self.req_area, Requirement.fields.through.objects
                                    .filter(requirement_id__in=entered_reqs).order_by()
                                    .values_list("requirement_id", "field_id"))
        roadshow_achs = RoadshowEntry.objects.filter(session__event=event).values("achievement_id")
        self.roadshow = list(RoadshowEntry.objects.filter(session__event=event).order_by()
                             .values_list("pk", "achievement_id", "session__area_id"))
        ach_ids = set(self.ach_area) | {a for _pk, a, _area in self.roadshow}
        self.ach_fields = _pairs_by(ach_ids, Achievement.fields.through.objects
                                    .filter(Q(achievement_id__in=entered_achs) | Q(achievement_id__in=roadshow_achs))
                                    .order_by()
                                    .values_list("achievement_id", "field_id"))
        pairs = event_suggestions(event=event)
        self.pairs = list(pairs.order_by().values_list("pk", "requirement_id", "achievement_id", "status"))
        pair_ids = pairs.values("pk")
        reached: dict[int, set[str]] = defaultdict(set)
        for sid, to_status in (PairEvent.objects.filter(suggestion__in=pair_ids)
                               .exclude(from_status=F("to_status")).order_by()
                               .values_list("suggestion_id", "to_status").distinct()):
            reached[sid].add(to_status)
        self.reached_events = reached
        self.meetings = list(ScheduledMeeting.objects.filter(event=event).order_by().values_list(
            "suggestion_id", "suggestion__requirement_id", "suggestion__achievement_id", "status",
            "meeting__status", "requirement_checked_in_at", "achievement_checked_in_at"))
        agreements = Agreement.objects.filter(suggestion__in=pair_ids).order_by("-signed_on", "-pk")
        self.agreements = list(agreements.values_list(
            "pk", "suggestion_id", "suggestion__requirement_id", "suggestion__achievement_id", "contract_type",
            "amount", "signed_on", "requirement_organisation__name_zh", "requirement_organisation__name_en",
            "achievement_organisation__name_zh", "achievement_organisation__name_en"))
        self.interests = list(InvestorInterest.objects.filter(entry__session__event=event).order_by()
                              .values_list("entry_id", "level"))

    # --- where a listing or a pair belongs ---------------------------------------------------

    def pair_area(self, req_id: int, ach_id: int) -> int | None:
        area = self.req_area.get(req_id) or self.ach_area.get(ach_id)
        if area:
            return area
        return best_area(self.req_fields.get(req_id, ()),
                         ((area_id, self.area_fields.get(area_id, set())) for area_id, *_rest in self.areas))

    def pair_fields(self, req_id: int) -> list[int | None]:
        return list(self.req_fields.get(req_id, ())) or [None]


def _keep(area: int | None, fields: Iterable[int | None], *, area_id: int | None, field_id: int | None) -> bool:
    return (area_id is None or area == area_id) and (field_id is None or field_id in fields)


def _group_rows(keys: list, labels: dict) -> dict:
    return {key: {"key": key, "label": labels.get(key, ""), **dict.fromkeys(TABLE_KEYS, 0), "amount": ZERO}
            for key in keys}


def event_report(*, event: Event, area_id: int | None = None, field_id: int | None = None) -> dict:
    """The report's figures as plain data (see the module's counting rules). ``area_id`` narrows
    to one of the event's exhibition areas, ``field_id`` to one field; registrations stay the
    whole event's. Labels are in the active language. Who may read it: ``events.rules.can_view_report``
    (the callers check)."""
    ctx = _Context(event)
    filters = {"area_id": area_id, "field_id": field_id}

    # --- registrations (the whole event) ---
    by_kind: Counter = Counter()
    active = withdrawn = checked_in = 0
    for status, kind, n, checked in (Registration.objects.filter(event=event).order_by()
                                     .values_list("status", "organisation__kind")
                                     .annotate(n=Count("pk"), checked=Count("checked_in_at"))):
        if status == RegistrationStatus.REGISTERED:
            active += n
            checked_in += checked
            by_kind[kind] += n
        else:
            withdrawn += n
    kind_labels = dict(OrganisationKind.choices)
    registrations = {
        "active": active, "withdrawn": withdrawn, "checked_in": checked_in, "checked_in_pct": pct(checked_in, active),
        "by_kind": [{"kind": str(kind), "label": str(kind_labels[kind]), "n": by_kind.get(kind, 0)}
                    for kind in (*ORG_KINDS, *sorted(set(by_kind) - set(ORG_KINDS)))
                    if kind in ORG_KINDS or by_kind.get(kind)],
    }

    # --- the labels of the areas and fields the report mentions ---
    area_labels: dict[int | None, str] = {pk: _name(zh, en) for pk, zh, en, _code in ctx.areas}
    area_labels[None] = _("No area")
    field_ids = {f for fs in ctx.req_fields.values() for f in fs} | {f for fs in ctx.ach_fields.values() for f in fs}
    field_labels: dict[int | None, str] = {pk: _name(zh, en) for pk, zh, en in
                                           Field.objects.filter(pk__in=field_ids).values_list("pk", "name_zh",
                                                                                              "name_en")}
    field_labels[None] = _("No field")
    per_area = _group_rows([pk for pk, *_rest in ctx.areas], area_labels)
    per_field: dict = {}

    def field_row(key):
        if key not in per_field:
            per_field[key] = _group_rows([key], field_labels)[key]
        return per_field[key]

    def area_row(key):
        if key not in per_area:
            per_area[key] = _group_rows([key], area_labels)[key]
        return per_area[key]

    # --- entered listings ---
    listings = {"requirements": 0, "achievements": 0}
    kept_reqs = [r for r, area in ctx.req_area.items()
                 if _keep(area, ctx.req_fields.get(r) or [None], **filters)]
    kept_achs = [a for a, area in ctx.ach_area.items()
                 if _keep(area, ctx.ach_fields.get(a) or [None], **filters)]
    for kind, kept, areas, fields in (("requirements", kept_reqs, ctx.req_area, ctx.req_fields),
                                      ("achievements", kept_achs, ctx.ach_area, ctx.ach_fields)):
        listings[kind] = len(kept)
        for listing_id in kept:
            area_row(areas[listing_id])[kind] += 1
            for f in fields.get(listing_id) or [None]:
                if field_id is None or f == field_id:
                    field_row(f)[kind] += 1

    # --- pairs: coverage, statuses and the funnel ---
    with_pair_req: set[int] = set()
    with_pair_ach: set[int] = set()
    sent_req: set[int] = set()
    sent_ach: set[int] = set()
    by_status: Counter = Counter()
    funnel: Counter = Counter()
    signed_pairs = {row[1] for row in ctx.agreements}
    pair_place: dict[int, tuple[int | None, list[int | None]]] = {}
    for sid, req_id, ach_id, status in ctx.pairs:
        with_pair_req.add(req_id)
        with_pair_ach.add(ach_id)
        if status in SENT_STATUSES:
            sent_req.add(req_id)
            sent_ach.add(ach_id)
        area, fields = ctx.pair_area(req_id, ach_id), ctx.pair_fields(req_id)
        pair_place[sid] = (area, fields)
        if not _keep(area, fields, **filters):
            continue
        by_status[status] += 1
        stages = set(IMPLIED.get(status, FUNNEL[:1])) | (ctx.reached_events.get(sid, set()) & set(FUNNEL))
        if sid in signed_pairs:
            stages |= set(FUNNEL)
        for stage in stages:
            funnel[stage] += 1
        area_row(area)["pairs"] += 1
        for f in fields:
            if field_id is None or f == field_id:
                field_row(f)["pairs"] += 1
        if "mutual" in stages:
            area_row(area)["mutual"] += 1
            for f in fields:
                if field_id is None or f == field_id:
                    field_row(f)["mutual"] += 1

    def coverage(kept: list[int], with_pair: set[int], sent: set[int]) -> dict:
        n_pair = sum(1 for i in kept if i in with_pair)
        n_sent = sum(1 for i in kept if i in sent)
        return {"entered": len(kept), "with_candidates": n_pair, "with_candidates_pct": pct(n_pair, len(kept)),
                "sent": n_sent, "sent_pct": pct(n_sent, len(kept))}

    total_pairs = funnel["suggested"]
    funnel_rows = []
    previous = None
    for stage in FUNNEL:
        n = funnel.get(stage, 0)
        funnel_rows.append({"stage": stage, "label": stage_label(stage), "n": n,
                            "rate": pct(n, funnel.get(previous, 0)) if previous else None,
                            "of_suggested": pct(n, total_pairs)})
        previous = stage
    status_labels = dict(SuggestionStatus.choices)
    suggestions = {
        "total": total_pairs,
        "funnel": funnel_rows,
        "ended": [{"stage": stage, "label": stage_label(stage), "n": by_status.get(stage, 0),
                   "of_suggested": pct(by_status.get(stage, 0), total_pairs)} for stage in ENDED],
        "by_status": [{"status": str(status), "label": str(status_labels[status]), "n": by_status.get(status, 0)}
                      for status in SuggestionStatus.values if status != S.SUPERSEDED],
        "overall_pct": pct(funnel.get("signed", 0), total_pairs, 2),
    }

    # --- negotiations ---
    scheduled = confirmed = held = missed = req_in = ach_in = both_in = 0
    for sid, req_id, ach_id, plan_status, meeting_status, req_at, ach_at in ctx.meetings:
        area, fields = pair_place.get(sid) or (ctx.pair_area(req_id, ach_id), ctx.pair_fields(req_id))
        if not _keep(area, fields, **filters):
            continue
        if plan_status in ACTIVE_PLAN_STATUSES:
            scheduled += 1
        if plan_status == PlanStatus.CONFIRMED:
            confirmed += 1
            req_in += req_at is not None
            ach_in += ach_at is not None
            both_in += req_at is not None and ach_at is not None
        if meeting_status == MeetingStatus.MISSED:
            missed += 1
        elif meeting_status == MeetingStatus.HELD:
            held += 1
            area_row(area)["meetings_held"] += 1
            for f in fields:
                if field_id is None or f == field_id:
                    field_row(f)["meetings_held"] += 1
    meetings = {
        "scheduled": scheduled, "confirmed": confirmed, "held": held, "missed": missed,
        "held_pct": pct(held, held + missed),
        "requirement_checked_in": req_in, "achievement_checked_in": ach_in, "both_checked_in": both_in,
        "requirement_checked_in_pct": pct(req_in, confirmed), "achievement_checked_in_pct": pct(ach_in, confirmed),
        "both_checked_in_pct": pct(both_in, confirmed),
    }

    # --- agreements ---
    type_labels = dict(CooperationMode.choices)
    by_type: dict[str, dict] = {}
    agreement_rows = []
    total_amount = ZERO
    for (pk, sid, req_id, ach_id, contract_type, amount, signed_on, ent_zh, ent_en, uni_zh,
         uni_en) in ctx.agreements:
        area, fields = pair_place.get(sid) or (ctx.pair_area(req_id, ach_id), ctx.pair_fields(req_id))
        if not _keep(area, fields, **filters):
            continue
        total_amount += amount
        row = by_type.setdefault(contract_type, {"type": contract_type,
                                                 "label": str(type_labels.get(contract_type, contract_type)),
                                                 "n": 0, "amount": ZERO})
        row["n"] += 1
        row["amount"] += amount
        area_row(area)["agreements"] += 1
        area_row(area)["amount"] += amount
        for f in fields:
            if field_id is None or f == field_id:
                field_row(f)["agreements"] += 1
                field_row(f)["amount"] += amount
        agreement_rows.append({
            "id": pk, "suggestion_id": sid, "signed_on": signed_on, "contract_type": contract_type,
            "contract_type_label": row["label"], "amount": amount,
            "enterprise": _name(ent_zh, ent_en), "university": _name(uni_zh, uni_en),
            "area": area_labels.get(area, ""), "fields": [field_labels.get(f, "") for f in fields if f is not None],
        })
    agreements = {
        "count": len(agreement_rows), "amount": total_amount,
        "by_type": sorted(by_type.values(), key=lambda r: (-r["amount"], -r["n"], r["label"])),
        "rows": agreement_rows,
    }

    # --- roadshows ---
    kept_entries = set()
    for entry_id, ach_id, session_area in ctx.roadshow:
        area = ctx.ach_area.get(ach_id) or session_area
        if _keep(area, ctx.ach_fields.get(ach_id) or [None], **filters):
            kept_entries.add(entry_id)
    levels: Counter = Counter(level for entry_id, level in ctx.interests if entry_id in kept_entries)
    interested = {entry_id for entry_id, level in ctx.interests
                  if entry_id in kept_entries and level != InterestLevel.DECLINED}
    level_labels = dict(InterestLevel.choices)
    roadshows = {
        "presentations": len(kept_entries),
        "investors": by_kind.get(OrganisationKind.INVESTOR, 0),
        "interests": sum(levels.values()),
        "presentations_with_interest": len(interested),
        "by_level": [{"level": str(level), "label": str(level_labels[level]), "n": levels.get(level, 0)}
                     for level in InterestLevel.values],
    }

    # --- the per-area and per-field tables ---
    if area_id is not None:
        per_area = {k: v for k, v in per_area.items() if k == area_id}
    area_table = sorted(per_area.values(), key=lambda r: (r["key"] is None, ctx.area_order.get(r["key"], 0)))
    field_table = sorted(per_field.values(), key=lambda r: (r["key"] is None, -r["agreements"], -r["pairs"],
                                                            -(r["requirements"] + r["achievements"]), r["label"]))
    return {
        "filters": filters,
        "registrations": registrations,
        "listings": {**listings, "by_area": [{k: r[k] for k in ("key", "label", "requirements", "achievements")}
                                            for r in area_table],
                     "by_field": [{k: r[k] for k in ("key", "label", "requirements", "achievements")}
                                  for r in field_table]},
        "coverage": {"requirements": coverage(kept_reqs, with_pair_req, sent_req),
                     "achievements": coverage(kept_achs, with_pair_ach, sent_ach)},
        "suggestions": suggestions,
        "meetings": meetings,
        "agreements": agreements,
        "roadshows": roadshows,
        "areas": area_table,
        "fields": field_table,
    }


def event_summary(*, event: Event) -> dict:
    """The figures of the public summary: what a bureau puts in its news release. Totals only —
    no organisation names, no agreement's own amount, nothing of any listing."""
    report = event_report(event=event)
    regs = report["registrations"]
    return {
        "organisations": regs["active"],
        "organisations_by_kind": [row for row in regs["by_kind"] if row["n"]],
        "requirements": report["listings"]["requirements"],
        "achievements": report["listings"]["achievements"],
        "pairs": report["suggestions"]["total"],
        "pairs_mutual": next(r["n"] for r in report["suggestions"]["funnel"] if r["stage"] == "mutual"),
        "negotiations_held": report["meetings"]["held"],
        "agreements": report["agreements"]["count"],
        "amount": report["agreements"]["amount"],
        "presentations": report["roadshows"]["presentations"],
        "areas": [{"label": row["label"], "requirements": row["requirements"], "achievements": row["achievements"]}
                  for row in report["listings"]["by_area"] if row["key"] is not None],
        "note": event_summary_note(event=event),
    }


def event_summary_note(*, event: Event) -> str:
    english = (get_language() or "").startswith("en")
    first, second = ((event.summary_note_en, event.summary_note_zh) if english
                     else (event.summary_note_zh, event.summary_note_en))
    return first or second
