"""The negotiation plan's pages, for bureau staff: the plan of one exhibition area at a time
(a grid of its slots by day × its tables, paged by 30 tables), the clashes and the pairs left
out with their reasons, the last run's report; running the planner, publishing the plan, moving,
placing and cancelling negotiations by hand; and the setup of slots and tables.

Thin: each POST parses one form and calls one service of ``events.planning``. An event the user
may not see is a 404, a visible one they may not plan a 403 (``events.views.event_access``); a
refused edit shows the page again with the service's words and every clash listed (409)."""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from common.errors import ApplicationError
from events import planning, rules
from events.enums import ACTIVE_PLAN_STATUSES, SessionKind
from events.models import Event, ExhibitionArea, ScheduledMeeting, Session, Slot, Table
from events.plan_selectors import natural_key, plan_board, reason_text, session_times
from events.views.event_access import event_for, refused, require
from matchmaking.models import Suggestion

TEMPLATES = "events/planning"
REFUSALS_SHOWN = 20


# --- forms -------------------------------------------------------------------------------------

class TableChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Table) -> str:
        return obj.label


def _area_slots(area: ExhibitionArea):
    return Slot.objects.filter(session__area=area, session__kind=SessionKind.NEGOTIATION).order_by("starts_at")


def _area_tables(area: ExhibitionArea):
    return Table.objects.filter(area=area, is_active=True).order_by("label")


class CellForm(forms.Form):
    slot = forms.ModelChoiceField(queryset=Slot.objects.none(), label=gettext_lazy("Time slot"))
    table = TableChoiceField(queryset=Table.objects.none(), label=gettext_lazy("Table"))

    def __init__(self, *args, area: ExhibitionArea, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = _area_slots(area)
        self.fields["table"].queryset = _area_tables(area)


class MoveForm(CellForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("Required for a confirmed negotiation: the parties are told."))


class PlaceForm(CellForm):
    suggestion = forms.TypedChoiceField(label=gettext_lazy("Pair"), coerce=int, choices=())

    field_order = ["suggestion", "slot", "table"]

    def __init__(self, *args, pairs: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["suggestion"].choices = pairs


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("Required for a confirmed negotiation: the parties are told."))


class SlotsForm(forms.Form):
    session = forms.ModelChoiceField(queryset=Session.objects.none(), label=gettext_lazy("Negotiation session"))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(event=event, kind=SessionKind.NEGOTIATION)


class TablesForm(forms.Form):
    area = forms.ModelChoiceField(queryset=ExhibitionArea.objects.none(), label=gettext_lazy("Exhibition area"))
    count = forms.IntegerField(label=gettext_lazy("Tables in use"), min_value=0,
                               max_value=planning.MAX_TABLES_PER_AREA)

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = ExhibitionArea.objects.filter(event=event)


# --- helpers -----------------------------------------------------------------------------------

def _event(request: HttpRequest, slug: str) -> Event:
    event = event_for(request, slug)
    require(rules.can_plan(request.user, event), _("Only bureau staff plan the negotiations."))
    return event


def _plan_url(event: Event, area_code: str | None = None) -> str:
    url = reverse("events:plan", kwargs={"slug": event.slug})
    return f"{url}?area={area_code}" if area_code else url


def _row(event: Event, pk: int) -> ScheduledMeeting:
    row = (ScheduledMeeting.objects.filter(event=event, pk=pk, status__in=ACTIVE_PLAN_STATUSES)
           .select_related("slot", "table__area", "meeting", "suggestion__requirement__organisation",
                           "suggestion__achievement__organisation", "suggestion__broker").first())
    if row is None:
        raise Http404("No such negotiation in this plan.")
    return row


def _report(event: Event) -> dict | None:
    """The last run's report with its reasons and clashes in the reader's language."""
    report = planning.plan_report_get(event=event)
    if report is None:
        return None
    report = dict(report)
    report["at"] = datetime.fromisoformat(report["at"])
    report["unscheduled"] = [{**u, "reason": reason_text(u["code"], u["params"])} for u in report["unscheduled"]]
    report["conflicts"] = [{**c, "message": reason_text(c["code"], c["params"])} for c in report["conflicts"]]
    return report


def _status_context(event: Event) -> dict:
    job = planning.plan_job_get(event=event)
    publication = planning.plan_publication_get(event=event)
    if publication is not None:
        publication = {**publication, "at": datetime.fromisoformat(publication["at"])}
    return {"event": event, "planning": job is not None, "job_kind": (job or {}).get("kind", "plan"),
            "plan_error": planning.plan_error_get(event=event), "report": _report(event),
            "publication": publication}


def _placeable(board: dict) -> list[tuple[int, str]]:
    """Pairs of the shown area that may be placed by hand (with an area: not those without)."""
    held = board["context"]["held_back"]
    return [(u["suggestion"].pk, f"{u['suggestion'].requirement.organisation} ↔ "
                                 f"{u['suggestion'].achievement.organisation}")
            for u in board["unscheduled"]
            if u["area"] is not None and (u["suggestion"].pk in board["context"]["pairs"]
                                          or u["suggestion"].pk in held)]


def _table_page(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("tables", 1))
    except (TypeError, ValueError):
        return 1


def _render_plan(request: HttpRequest, event: Event, *, place_form: PlaceForm | None = None,
                 status: int = 200) -> HttpResponse:
    board = plan_board(event=event, area_code=request.GET.get("area"), table_page=_table_page(request))
    area = board["area"]
    if area is not None and place_form is None:
        place_form = PlaceForm(area=area, pairs=_placeable(board), auto_id="id_place_%s")
    return render(request, f"{TEMPLATES}/plan.html", {
        **_status_context(event), "board": board, "area": area, "place_form": place_form,
        "inline_max": planning.INLINE_MAX_PAIRS,
    }, status=status)


# --- the plan ----------------------------------------------------------------------------------

@login_required
def plan(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    if request.GET.get("part") == "status":  # polled while a background run is planning
        return render(request, f"{TEMPLATES}/_status.html", {**_status_context(event), "polled": True})
    return _render_plan(request, event)


@login_required
@require_POST
def plan_run(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    try:
        report = planning.plan_start(actor=request.user, event=event)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if report is None:
            messages.info(request, _("The planner is working on the event in the background; the plan appears here "
                                     "when it is done."))
        else:
            messages.success(request, _("Plan ready: %(scheduled)s of %(pairs)s pairs scheduled, %(moved)s earlier "
                                        "negotiations moved, %(left)s not placed.")
                             % {"scheduled": report.scheduled, "pairs": report.pairs, "moved": report.moved,
                                "left": len(report.unscheduled)})
            if report.conflicts:
                messages.warning(request, ngettext(
                    "%(n)s confirmed negotiation needs your attention: see the report.",
                    "%(n)s confirmed negotiations need your attention: see the report.",
                    len(report.conflicts)) % {"n": len(report.conflicts)})
    return redirect(_plan_url(event, request.GET.get("area")))


@login_required
@require_POST
def plan_publish(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    try:
        result = planning.plan_publish_start(actor=request.user, event=event)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if result is None:
            messages.info(request, _("The plan is being published in the background; the participants are told as "
                                     "each negotiation is confirmed."))
            return redirect(_plan_url(event, request.GET.get("area")))
        messages.success(request, ngettext("%(n)s negotiation published: the participants were told.",
                                           "%(n)s negotiations published: the participants were told.",
                                           result.published) % {"n": result.published})
        for refusal in result.refused[:REFUSALS_SHOWN]:
            messages.warning(request, _("Not published: %(pair)s — %(detail)s")
                             % {"pair": refusal["label"], "detail": refusal["detail"]})
        if len(result.refused) > REFUSALS_SHOWN:
            messages.warning(request, _("…and %(n)s more not published.") % {"n": len(result.refused) - REFUSALS_SHOWN})
    return redirect(_plan_url(event, request.GET.get("area")))


@login_required
@require_POST
def scheduled_create(request: HttpRequest, slug: str) -> HttpResponse:
    event = _event(request, slug)
    board = plan_board(event=event, area_code=request.GET.get("area"), table_page=_table_page(request))
    if board["area"] is None:
        raise Http404("No exhibition area.")
    form = PlaceForm(request.POST, area=board["area"], pairs=_placeable(board), auto_id="id_place_%s")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        suggestion = Suggestion.objects.get(pk=data["suggestion"])
        try:
            planning.scheduled_create(actor=request.user, event=event, suggestion=suggestion, slot=data["slot"],
                                      table=data["table"])
        except (ApplicationError, ValidationError) as error:
            status = _refused(form, error)
        else:
            messages.success(request, _("The pair was placed: it is planned until the plan is published."))
            return redirect(_plan_url(event, board["area"].code))
    return _render_plan(request, event, place_form=form, status=status)


def _refused(form: forms.Form, error: Exception) -> int:
    """A clash is listed one by one on the form (each message an error of the form)."""
    conflicts = getattr(error, "extra", {}).get("conflicts") if isinstance(error, ApplicationError) else None
    if conflicts:
        for conflict in conflicts:
            form.add_error(None, conflict["message"])
        return error.status
    return refused(form, error)


# --- one negotiation ---------------------------------------------------------------------------

def _render_row(request: HttpRequest, event: Event, row: ScheduledMeeting, *, move_form=None, cancel_form=None,
                status: int = 200) -> HttpResponse:
    area = row.table.area
    return render(request, f"{TEMPLATES}/move.html", {
        "event": event, "row": row, "area": area,
        "move_form": move_form or MoveForm(area=area, initial={"slot": row.slot_id, "table": row.table_id},
                                           auto_id="id_move_%s"),
        "cancel_form": cancel_form or CancelForm(auto_id="id_cancel_%s"),
        "plan_url": _plan_url(event, area.code),
    }, status=status)


@login_required
def scheduled_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET: the negotiation with its move and cancel forms; POST: move it."""
    event = _event(request, slug)
    row = _row(event, pk)
    if request.method != "POST":
        return _render_row(request, event, row)
    form = MoveForm(request.POST, area=row.table.area, auto_id="id_move_%s")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            planning.scheduled_move(actor=request.user, scheduled=row, slot=data["slot"], table=data["table"],
                                    reason=data["reason"])
        except (ApplicationError, ValidationError) as error:
            status = _refused(form, error)
        else:
            messages.success(request, _("The negotiation was moved."))
            return redirect(_plan_url(event, row.table.area.code))
    return _render_row(request, event, row, move_form=form, status=status)


@login_required
@require_POST
def scheduled_cancel(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = _event(request, slug)
    row = _row(event, pk)
    form = CancelForm(request.POST, auto_id="id_cancel_%s")
    status = 400
    if form.is_valid():
        try:
            planning.scheduled_cancel(actor=request.user, scheduled=row, reason=form.cleaned_data["reason"])
        except (ApplicationError, ValidationError) as error:
            status = refused(form, error)
        else:
            messages.success(request, _("The negotiation was cancelled."))
            return redirect(_plan_url(event, row.table.area.code))
    return _render_row(request, event, row, cancel_form=form, status=status)


# --- setup -------------------------------------------------------------------------------------

@login_required
def setup(request: HttpRequest, slug: str) -> HttpResponse:
    """Each area's negotiation sessions with their slots, and its tables: cut a session into
    slots, set how many tables are in use."""
    event = _event(request, slug)
    slots_form = SlotsForm(event=event, auto_id="id_slots_%s")
    tables_form = TablesForm(event=event, auto_id="id_tables_%s")
    status = 200
    if request.method == "POST":
        status = 400
        action = request.POST.get("action")
        form = (SlotsForm if action == "slots" else TablesForm)(request.POST, event=event,
                                                                 auto_id=f"id_{action}_%s")
        if action == "slots":
            slots_form = form
        else:
            tables_form = form
        if form.is_valid():
            try:
                if action == "slots":
                    slots = planning.session_generate_slots(actor=request.user, session=form.cleaned_data["session"])
                    messages.success(request, ngettext("The session has %(n)s slot.", "The session has %(n)s slots.",
                                                       len(slots)) % {"n": len(slots)})
                else:
                    change = planning.tables_set(actor=request.user, area=form.cleaned_data["area"],
                                                 count=form.cleaned_data["count"])
                    messages.success(request, ngettext("The area has %(n)s table in use.",
                                                       "The area has %(n)s tables in use.",
                                                       len(change.tables)) % {"n": len(change.tables)})
                    if change.unplanned:
                        messages.warning(request, ngettext(
                            "%(n)s planned negotiation was at a table put away: run the planner again.",
                            "%(n)s planned negotiations were at tables put away: run the planner again.",
                            change.unplanned) % {"n": change.unplanned})
            except (ApplicationError, ValidationError) as error:
                status = refused(form, error)
            else:
                return redirect(reverse("events:setup", kwargs={"slug": event.slug}))
    areas = list(ExhibitionArea.objects.filter(event=event).prefetch_related("tables").order_by("order", "code"))
    sessions = list(Session.objects.filter(event=event, kind=SessionKind.NEGOTIATION)
                    .prefetch_related("slots").order_by("area_id", "starts_at"))
    for area in areas:
        tables = sorted(area.tables.all(), key=lambda t: natural_key(t.label))
        area.active_tables = [t for t in tables if t.is_active]
        area.inactive_count = len(tables) - len(area.active_tables)
        area.negotiation_sessions = [s for s in sessions if s.area_id == area.pk]
        for session in area.negotiation_sessions:
            session.times = session_times(session)
            session.slot_list = sorted(session.slots.all(), key=lambda s: s.starts_at)
    return render(request, f"{TEMPLATES}/setup.html", {
        "event": event, "areas": areas, "slots_form": slots_form, "tables_form": tables_form,
    }, status=status)


urlpatterns = [
    path("<slug:slug>/plan/", plan, name="plan"),
    path("<slug:slug>/plan/run/", plan_run, name="plan-run"),
    path("<slug:slug>/plan/publish/", plan_publish, name="plan-publish"),
    path("<slug:slug>/plan/setup/", setup, name="setup"),
    path("<slug:slug>/plan/place/", scheduled_create, name="scheduled-create"),
    path("<slug:slug>/plan/meetings/<int:pk>/", scheduled_move, name="scheduled-move"),
    path("<slug:slug>/plan/meetings/<int:pk>/cancel/", scheduled_cancel, name="scheduled-cancel"),
]
