"""The outcome reports: the funnel from suggestion to signed agreement per run, field and
broker, with conversion rates and the time pairs spend in each stage, and the brokers' league
table for commendations.

A pair *reached* a stage when its audit trail (``PairEvent``) holds a transition into it, so a
pair that met and then ended without a deal still counts as met. Every suggestion that was not
superseded counts as suggested. Times are medians in hours from entering a stage to entering
the next one, over the pairs that made that step.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from statistics import median

from django.db.models import Count, F, Min, Sum
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from catalog.models import Field, Requirement
from matchmaking.models import Agreement, PairEvent, PreDockingRun, Suggestion, SuggestionStatus

STAGES = ("suggested", "approved", "sent", "mutual", "met", "signed")
STAGE_LABELS = {
    "suggested": _("Suggested"),
    "approved": _("Approved by a broker"),
    "sent": _("Sent to the parties"),
    "mutual": _("Mutual interest"),
    "met": _("Met"),
    "signed": _("Agreement signed"),
}
GROUPS = ("run", "field", "broker")


@dataclass
class FunnelRow:
    key: int | None
    label: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    durations: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    amount: Decimal = Decimal("0")

    @property
    def rates(self) -> dict[str, float | None]:
        """Each stage as a percentage of the previous one (None when the previous is empty)."""
        out: dict[str, float | None] = {}
        for previous, stage in zip(STAGES, STAGES[1:], strict=False):
            out[stage] = round(100 * self.counts[stage] / self.counts[previous], 1) if self.counts[previous] else None
        return out

    @property
    def overall(self) -> float | None:
        first = self.counts[STAGES[0]]
        return round(100 * self.counts["signed"] / first, 2) if first else None

    @property
    def hours(self) -> dict[str, float | None]:
        """Median hours spent in each stage before the next (keyed by the stage left)."""
        return {stage: round(median(self.durations[stage]), 1) if self.durations.get(stage) else None
                for stage in STAGES[:-1]}

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "counts": dict(self.counts), "rates": self.rates,
                "overall_pct": self.overall, "median_hours": self.hours, "amount": str(self.amount)}


def _suggestions(*, run_id: int | None, field_id: int | None, broker_id: int | None,
                 since: datetime | None, until: datetime | None):
    qs = Suggestion.objects.exclude(status=SuggestionStatus.SUPERSEDED)
    if run_id:
        qs = qs.filter(run_id=run_id)
    if broker_id:
        qs = qs.filter(broker_id=broker_id)
    if field_id:
        qs = qs.filter(requirement__fields=field_id)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs


def funnel(*, group_by: str | None = None, run_id: int | None = None, field_id: int | None = None,
           broker_id: int | None = None, since: datetime | None = None,
           until: datetime | None = None) -> list[FunnelRow]:
    """The funnel, one row per group (or one "all" row). A pair counts in each field of its
    requirement when grouped by field; pairs without a broker form their own broker row."""
    if group_by not in (None, *GROUPS):
        raise ValueError(group_by)
    rows = list(_suggestions(run_id=run_id, field_id=field_id, broker_id=broker_id, since=since, until=until)
                .values_list("pk", "run_id", "broker_id", "requirement_id", "created_at"))
    ids = [r[0] for r in rows]
    entered: dict[int, dict[str, datetime]] = defaultdict(dict)
    # Transitions only: an assignment or a note (status unchanged) does not enter a stage.
    transitions = PairEvent.objects.filter(suggestion_id__in=ids).exclude(from_status=F("to_status"))
    for sid, to_status, at in (transitions.values("suggestion_id", "to_status")
                               .annotate(at=Min("created_at")).values_list("suggestion_id", "to_status", "at")):
        entered[sid][to_status] = at
    amounts = dict(Agreement.objects.filter(suggestion_id__in=ids).values_list("suggestion_id", "amount"))
    fields_of: dict[int, list[int]] = defaultdict(list)
    if group_by == "field":
        through = Requirement.fields.through
        req_ids = {r[3] for r in rows}
        for req_id, field_id_ in through.objects.filter(requirement_id__in=req_ids).values_list("requirement_id",
                                                                                                "field_id"):
            fields_of[req_id].append(field_id_)
    groups: dict[int | None, FunnelRow] = {}

    def row_for(key: int | None) -> FunnelRow:
        if key not in groups:
            groups[key] = FunnelRow(key=key, label="")
        return groups[key]

    for sid, run, broker, req_id, created in rows:
        keys: list[int | None]
        if group_by == "run":
            keys = [run]
        elif group_by == "broker":
            keys = [broker]
        elif group_by == "field":
            keys = fields_of.get(req_id) or [None]
        else:
            keys = [None]
        times = {"suggested": created, **entered.get(sid, {})}
        reached = [stage for stage in STAGES if stage in times]
        for key in keys:
            row = row_for(key)
            for stage in reached:
                row.counts[stage] += 1
            for previous, stage in zip(STAGES, STAGES[1:], strict=False):
                if previous in times and stage in times:
                    row.durations[previous].append(max(0.0, (times[stage] - times[previous]).total_seconds() / 3600))
            row.amount += amounts.get(sid, Decimal("0"))
    _label(groups, group_by)
    return sorted(groups.values(), key=lambda r: (-r.counts["signed"], -r.counts["suggested"], str(r.label)))


def _label(groups: dict, group_by: str | None) -> None:
    keys = [k for k in groups if k is not None]
    if group_by == "run":
        names = {r.pk: r.label or f"#{r.pk}" for r in PreDockingRun.objects.filter(pk__in=keys)}
    elif group_by == "field":
        names = {f.pk: str(f) for f in Field.objects.filter(pk__in=keys)}
    elif group_by == "broker":
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=keys)}
    else:
        names = {}
    none_label = {"broker": _("Not yet routed"), "field": _("No field")}.get(group_by or "", _("All pairs"))
    for key, row in groups.items():
        row.label = str(names.get(key, none_label if key is None else f"#{key}"))


def broker_league(*, since: datetime | None = None, until: datetime | None = None) -> list[dict]:
    """Brokers ranked by agreements signed, then their amount, then mutual-interest pairs: the
    figures a bureau reads out when it commends its brokers."""
    rows = {row.key: row for row in funnel(group_by="broker", since=since, until=until) if row.key is not None}
    signed = Agreement.objects.filter(broker_id__in=rows)
    if since:
        signed = signed.filter(signed_on__gte=since.date())
    if until:
        signed = signed.filter(signed_on__lt=until.date())
    totals = {r["broker_id"]: r for r in signed.values("broker_id").annotate(total=Sum("amount"))}
    rejected = dict(_suggestions(run_id=None, field_id=None, broker_id=None, since=since, until=until)
                    .filter(broker_id__in=rows, status=SuggestionStatus.REJECTED)
                    .values("broker_id").annotate(n=Count("pk")).values_list("broker_id", "n"))
    league = []
    for key, row in rows.items():
        league.append({
            "broker_id": key, "broker": row.label, "suggested": row.counts["suggested"],
            "approved": row.counts["approved"], "rejected": rejected.get(key, 0), "mutual": row.counts["mutual"],
            "met": row.counts["met"], "signed": row.counts["signed"],
            "amount": str((totals.get(key, {}).get("total") or Decimal("0")).quantize(Decimal("0.01"))),
            "review_hours": row.hours["suggested"],
        })
    league.sort(key=lambda r: (-r["signed"], -Decimal(r["amount"]), -r["mutual"], r["broker"]))
    for rank, entry in enumerate(league, 1):
        entry["rank"] = rank
    return league
