"""The event's pre-docking pages: bureau staff bulk-enter listings, start the run over the
entered ones, follow every requirement on the status board (with its export) and nudge the
silent parties; each party reads its own candidates. Bureau tools answer 403 to anyone else
who can see the event; the candidates page shows a user only their own organisations' pairs."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from catalog.exports import Column, export_response
from common.errors import ApplicationError
from events import predocking, rules, selectors
from events.forms import STATE_LABELS, BoardFilterForm, BulkEnterForm, NudgeForm
from events.views.event_access import event_for, event_url, refused, require
from matchmaking.models import SuggestionStatus

TEMPLATES = "events/participation"
# The pair statuses a board row counts (superseded pairs are never on the board).
BOARD_STATUSES = [status for status in SuggestionStatus.values if status != SuggestionStatus.SUPERSEDED]
BOARD_COLUMNS = [
    Column("id", gettext_lazy("ID")),
    Column("requirement", gettext_lazy("Requirement")),
    Column("organisation", gettext_lazy("Enterprise")),
    Column("area", gettext_lazy("Exhibition area")),
    Column("state", gettext_lazy("State")),
    Column("candidates", gettext_lazy("Candidates")),
    Column("sent", gettext_lazy("Sent to the parties")),
    Column("viewed", gettext_lazy("Viewed by the enterprise")),
    *(Column(status, SuggestionStatus(status).label) for status in BOARD_STATUSES),
]


def _require_board(request: HttpRequest, event) -> None:
    require(rules.can_view_board(request.user, event), _("Only bureau staff can follow the event's pre-docking."))


@login_required
def listing_bulk_enter(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    _require_board(request, event)
    form = BulkEnterForm(request.POST or None)
    status, report = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = predocking.listings_bulk_enter(
                    actor=request.user, event=event, requirement_ids=data["requirement_ids"],
                    achievement_ids=data["achievement_ids"], field_ids=data["field_ids"])
            except (ApplicationError, ValidationError) as error:
                status = refused(form, error)
            else:
                status = 200
                form = BulkEnterForm()
    return render(request, f"{TEMPLATES}/bulk_enter.html", {"event": event, "form": form, "report": report},
                  status=status)


@login_required
@require_POST
def event_predocking(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    _require_board(request, event)
    try:
        run = predocking.event_predocking_start(actor=request.user, event=event)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Pre-docking run %(id)s was queued for the event's listings.") % {"id": run.pk})
    return redirect(event_url(event))


@login_required
def candidates(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    groups = selectors.my_event_candidates(user=request.user, event=event)
    return render(request, f"{TEMPLATES}/candidates.html", {
        "event": event, "groups": groups, "predocking_open": event.predocking_open(),
        "awaiting": sum(1 for group in groups for pair in group.pairs if pair.awaiting)})


def _export_rows(rows) -> list[dict]:
    return [{"id": row.requirement.pk, "requirement": row.requirement.title,
             "organisation": row.organisation.display_name, "area": row.area.name if row.area else "",
             "state": str(STATE_LABELS[row.state]), "candidates": row.candidates, "sent": row.sent,
             "viewed": row.viewed, **{status: row.counts.get(status, 0) for status in BOARD_STATUSES}}
            for row in rows]


@login_required
def status_board(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    _require_board(request, event)
    filters = BoardFilterForm(request.GET or None, event=event)
    area_id = state = None
    if filters.is_valid():
        area_id, state = filters.cleaned_data["area"], filters.cleaned_data["state"] or None
    board = selectors.status_board(event=event, area_id=area_id, state=state)
    fmt = request.GET.get("format")
    if fmt:
        try:
            return export_response(columns=BOARD_COLUMNS, rows=_export_rows(board["rows"]), fmt=fmt,
                                   filename=f"{event.slug}-status-board")
        except ApplicationError as error:
            messages.error(request, error.message)
    totals = [{"state": name, "label": STATE_LABELS[name], "count": board["totals"][name]}
              for name in selectors.BOARD_STATES]
    for row in board["rows"]:
        row.label = STATE_LABELS[row.state]
        row.status_counts = [(status, SuggestionStatus(status).label, row.counts[status])
                             for status in BOARD_STATUSES if row.counts.get(status)]
    return render(request, f"{TEMPLATES}/status_board.html", {
        "event": event, "filters": filters, "rows": board["rows"], "totals": totals, "count": board["count"],
        "nudge_states": predocking.NUDGE_STATES, "query": request.GET.urlencode()})


@login_required
@require_POST
def event_nudge(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    _require_board(request, event)
    form = NudgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the rows to nudge: suggested or viewed."))
        return redirect(event_url(event, "status-board"))
    try:
        counts = predocking.event_nudge(actor=request.user, event=event, state=form.cleaned_data["state"])
    except (ApplicationError, ValidationError) as error:
        messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else error.message)
    else:
        message = ngettext("%(count)d organisation was reminded.", "%(count)d organisations were reminded.",
                           counts["organisations"]) % {"count": counts["organisations"]}
        if counts["skipped"]:
            message += " " + ngettext(
                "%(count)d was left out: it was reminded less than a day ago.",
                "%(count)d were left out: they were reminded less than a day ago.",
                counts["skipped"]) % {"count": counts["skipped"]}
        messages.success(request, message)
    return redirect(reverse("events:status-board", kwargs={"slug": event.slug})
                    + (f"?state={form.cleaned_data['state']}"))


urlpatterns = [
    path("<slug:slug>/listings/bulk/", listing_bulk_enter, name="listing-bulk-enter"),
    path("<slug:slug>/predocking/", event_predocking, name="event-predocking"),
    path("<slug:slug>/candidates/", candidates, name="candidates"),
    path("<slug:slug>/board/", status_board, name="status-board"),
    path("<slug:slug>/nudge/", event_nudge, name="event-nudge"),
]
