"""Spreadsheets of pairs for bureau staff and brokers: suggestions, meetings and agreements, as
CSV or XLSX (``catalog.exports`` writes them, neutralising formula injection), each reading
only what ``matchmaking.selectors`` lets the reader see. The portal and the API share this."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalog.exports import Column, export_response
from common.errors import ApplicationError
from matchmaking import selectors
from matchmaking.models import Meeting

KINDS = ("suggestions", "meetings", "agreements")
MAX_ROWS = 100_000

SUGGESTION_COLUMNS = [
    Column("id", _("ID")),
    Column("run", _("Run")),
    Column("status", _("Status")),
    Column("score", _("Score")),
    Column("requirement", _("Requirement")),
    Column("enterprise", _("Enterprise")),
    Column("achievement", _("Achievement")),
    Column("university", _("University or institute")),
    Column("broker", _("Broker")),
    Column("due_at", _("Review due")),
    Column("sent_at", _("Sent")),
    Column("low_confidence", _("Low confidence")),
]
MEETING_COLUMNS = [
    Column("id", _("ID")),
    Column("pair", _("Pair")),
    Column("requirement", _("Requirement")),
    Column("achievement", _("Achievement")),
    Column("starts_at", _("Starts")),
    Column("duration_minutes", _("Duration (minutes)")),
    Column("mode", _("Mode")),
    Column("location", _("Place or link")),
    Column("status", _("Status")),
    Column("outcome", _("Outcome")),
]
AGREEMENT_COLUMNS = [
    Column("id", _("ID")),
    Column("pair", _("Pair")),
    Column("signed_on", _("Signed on")),
    Column("contract_type", _("Contract type")),
    Column("amount", _("Amount (10k CNY)")),
    Column("enterprise", _("Enterprise")),
    Column("university", _("University or institute")),
    Column("requirement", _("Requirement")),
    Column("achievement", _("Achievement")),
    Column("broker", _("Broker")),
]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _suggestion_rows(qs: QuerySet) -> Iterator[dict]:
    for s in qs.iterator(chunk_size=2000):
        yield {
            "id": s.pk, "run": s.run_id, "status": s.get_status_display(), "score": round(s.score, 4),
            "requirement": s.requirement.title, "enterprise": s.requirement.organisation.display_name,
            "achievement": s.achievement.title, "university": s.achievement.organisation.display_name,
            "broker": str(s.broker) if s.broker_id else "", "due_at": _when(s.due_at), "sent_at": _when(s.sent_at),
            "low_confidence": s.low_confidence,
        }


def _meeting_rows(qs: QuerySet) -> Iterator[dict]:
    for m in qs.iterator(chunk_size=2000):
        yield {
            "id": m.pk, "pair": m.suggestion_id, "requirement": m.suggestion.requirement.title,
            "achievement": m.suggestion.achievement.title, "starts_at": _when(m.starts_at),
            "duration_minutes": m.duration_minutes, "mode": m.get_mode_display(), "location": m.location,
            "status": m.get_status_display(), "outcome": m.outcome,
        }


def _agreement_rows(qs: QuerySet) -> Iterator[dict]:
    for a in qs.iterator(chunk_size=2000):
        yield {
            "id": a.pk, "pair": a.suggestion_id, "signed_on": a.signed_on,
            "contract_type": a.get_contract_type_display(),
            "amount": a.amount, "enterprise": a.requirement_organisation.display_name,
            "university": a.achievement_organisation.display_name, "requirement": a.suggestion.requirement.title,
            "achievement": a.suggestion.achievement.title, "broker": str(a.broker) if a.broker_id else "",
        }


def pairs_export(user, *, kind: str, fmt: str, run_id: int | None = None) -> HttpResponse:
    """One spreadsheet of what the user may see. ``run_id`` narrows to one pre-docking run
    (an event's, for instance). Unknown kinds and formats are refused with a message."""
    if kind not in KINDS:
        raise ApplicationError(_("Unknown export: choose suggestions, meetings or agreements."), code="bad_export")
    stamp = timezone.localdate().isoformat()
    if kind == "suggestions":
        qs = selectors.suggestion_queryset_for_user(user).order_by("run_id", "-score", "pk")
        if run_id:
            qs = qs.filter(run_id=run_id)
        columns, rows = SUGGESTION_COLUMNS, _suggestion_rows(qs[:MAX_ROWS])
    elif kind == "meetings":
        visible = selectors.suggestion_queryset_for_user(user)
        if run_id:
            visible = visible.filter(run_id=run_id)
        qs = (Meeting.objects.filter(suggestion__in=visible.values("pk"))
              .select_related("suggestion__requirement", "suggestion__achievement").order_by("starts_at", "pk"))
        columns, rows = MEETING_COLUMNS, _meeting_rows(qs[:MAX_ROWS])
    else:
        qs = selectors.agreement_list_for_user(user).order_by("signed_on", "pk")
        if run_id:
            qs = qs.filter(suggestion__run_id=run_id)
        columns, rows = AGREEMENT_COLUMNS, _agreement_rows(qs[:MAX_ROWS])
    return export_response(columns=columns, rows=rows, fmt=fmt, filename=f"{kind}-{stamp}")
