"""The event report and its public summary (issue 5, item 6).

- ``events:report`` — bureau staff: the figures of ``events.reports.event_report`` with charts
  (server-drawn SVG bars whose ``width`` attribute is the percentage: the CSP forbids inline
  styles), narrowed by exhibition area and field, with export links.
- ``events:report-export`` — one of its tables as CSV or XLSX (``catalog.exports``).
- ``events:summary`` — public once the bureau publishes it: totals for a news release, no names.
  Bureau staff see it before publication, under a preview banner; anyone else gets a 404.
- ``events:summary-publish`` — bureau staff publish or withdraw it, with a note in both languages.

An event the user may not see is a 404 (``events.selectors.event_get_for_user``); a report the
user may not read is a 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from catalog.exports import Column, export_response
from catalog.models import Achievement, Field, Requirement
from common.errors import ApplicationError, PermissionDenied
from common.forms import add_service_errors
from events import reports, rules, selectors
from events.models import Event, EventListing, ExhibitionArea
from events.summary import event_summary_publish

EXPORT_TABLES = ("areas", "fields", "agreements", "funnel")


class ReportFilterForm(forms.Form):
    area = forms.ModelChoiceField(label=gettext_lazy("Exhibition area"), queryset=ExhibitionArea.objects.none(),
                                  required=False, empty_label=gettext_lazy("All areas"))
    field = forms.ModelChoiceField(label=gettext_lazy("Field"), queryset=Field.objects.none(), required=False,
                                   empty_label=gettext_lazy("All fields"))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = ExhibitionArea.objects.filter(event=event)
        # The fields the event's listings or areas are in, not the whole taxonomy.
        listings = EventListing.objects.filter(event=event)
        self.fields["field"].queryset = Field.objects.filter(
            Q(pk__in=Requirement.fields.through.objects.filter(
                requirement_id__in=listings.values("requirement_id")).values("field_id"))
            | Q(pk__in=Achievement.fields.through.objects.filter(
                achievement_id__in=listings.values("achievement_id")).values("field_id"))
            | Q(pk__in=ExhibitionArea.fields.through.objects.filter(exhibitionarea__event=event).values("field_id")))


class SummaryPublishForm(forms.Form):
    published = forms.BooleanField(label=gettext_lazy("Publish the summary"), required=False)
    note_zh = forms.CharField(label=gettext_lazy("Note (Chinese)"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    note_en = forms.CharField(label=gettext_lazy("Note (English)"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 4}))


def _event(user, slug: str) -> Event:
    event = selectors.event_get_for_user(user=user, slug=slug)
    if event is None:
        raise Http404(_("No such event."))
    return event


def _report_event(user, slug: str) -> Event:
    event = _event(user, slug)
    if not rules.can_view_report(user, event):
        raise PermissionDenied(_("Only bureau staff can read an event's report."))
    return event


def _filters(request: HttpRequest, event: Event) -> tuple[ReportFilterForm, dict]:
    form = ReportFilterForm(request.GET or None, event=event)
    data = form.cleaned_data if form.is_valid() else {}
    return form, {"area_id": getattr(data.get("area"), "pk", None), "field_id": getattr(data.get("field"), "pk", None)}


def _widths(rows: list[dict], key: str) -> list[dict]:
    """Each row with ``width``: its ``key`` as a whole percentage of the largest (the bar's length)."""
    top = max((row[key] for row in rows), default=0)
    return [{**row, "width": round(100 * row[key] / top) if top else 0} for row in rows]


# --- exports -----------------------------------------------------------------------------------

TABLE_COLUMNS = [
    Column("requirements", gettext_lazy("Requirements entered")),
    Column("achievements", gettext_lazy("Achievements entered")),
    Column("pairs", gettext_lazy("Pairs suggested")),
    Column("mutual", gettext_lazy("Pairs with mutual interest")),
    Column("meetings_held", gettext_lazy("Negotiations held")),
    Column("agreements", gettext_lazy("Agreements signed")),
    Column("amount", gettext_lazy("Amount signed (10k CNY)")),
]
EXPORT_COLUMNS = {
    "areas": [Column("label", gettext_lazy("Exhibition area")), *TABLE_COLUMNS],
    "fields": [Column("label", gettext_lazy("Field")), *TABLE_COLUMNS],
    "agreements": [
        Column("signed_on", gettext_lazy("Signed on")),
        Column("enterprise", gettext_lazy("Enterprise")),
        Column("university", gettext_lazy("University or institute")),
        Column("contract_type_label", gettext_lazy("Contract type")),
        Column("amount", gettext_lazy("Amount (10k CNY)")),
        Column("area", gettext_lazy("Exhibition area")),
        Column("fields", gettext_lazy("Fields")),
    ],
    "funnel": [
        Column("label", gettext_lazy("Stage")),
        Column("n", gettext_lazy("Pairs")),
        Column("rate", gettext_lazy("Of the previous stage (%)")),
        Column("of_suggested", gettext_lazy("Of suggested (%)")),
    ],
}


def report_table_rows(report: dict, table: str) -> list[dict]:
    """The rows of one exportable table of the report."""
    if table == "areas":
        return report["areas"]
    if table == "fields":
        return report["fields"]
    if table == "agreements":
        return report["agreements"]["rows"]
    return [*report["suggestions"]["funnel"], *report["suggestions"]["ended"]]


@login_required
@require_GET
def report_export(request: HttpRequest, slug: str) -> HttpResponse:
    """``?format=csv|xlsx&table=areas|fields|agreements|funnel`` (and the page's filters)."""
    event = _report_event(request.user, slug)
    table = request.GET.get("table", "areas")
    if table not in EXPORT_TABLES:
        return HttpResponseBadRequest(_("Unknown table “%(table)s”; use areas, fields, agreements or funnel.")
                                      % {"table": table})
    form, filters = _filters(request, event)
    if form.errors:
        return HttpResponseBadRequest(_("Unknown area or field."))
    report = reports.event_report(event=event, **filters)
    try:
        return export_response(columns=EXPORT_COLUMNS[table], rows=report_table_rows(report, table),
                               fmt=request.GET.get("format", "xlsx"),
                               filename=f"{event.slug}-{table}-{timezone.localdate().isoformat()}")
    except ApplicationError as error:
        return HttpResponseBadRequest(str(error.message))


# --- pages -------------------------------------------------------------------------------------

def _publish_form(event: Event) -> SummaryPublishForm:
    return SummaryPublishForm(initial={"published": event.summary_published, "note_zh": event.summary_note_zh,
                                       "note_en": event.summary_note_en})


def _render_report(request: HttpRequest, event: Event, *, publish_form: SummaryPublishForm,
                   status: int = 200) -> HttpResponse:
    form, filters = _filters(request, event)
    data = reports.event_report(event=event, **filters)
    query = request.GET.copy()
    for key in ("format", "table"):
        query.pop(key, None)
    return render(request, "events/reports/report.html", {
        "event": event,
        "form": form,
        "filtered": any(value is not None for value in filters.values()),
        "report": data,
        "funnel": [{**row, "width": round(row["of_suggested"] or 0)} for row in data["suggestions"]["funnel"]],
        "kinds": _widths(data["registrations"]["by_kind"], "n"),
        "area_bars": _widths(data["areas"], "pairs"),
        "type_bars": _widths(data["agreements"]["by_type"], "amount"),
        "interest_bars": _widths(data["roadshows"]["by_level"], "n"),
        "export_query": query.urlencode(),
        "export_tables": [("funnel", _("Funnel")), ("areas", _("Per area")), ("fields", _("Per field")),
                          ("agreements", _("Agreements"))],
        "publish_form": publish_form,
    }, status=400 if form.errors else status)


@login_required
@require_GET
def report(request: HttpRequest, slug: str) -> HttpResponse:
    event = _report_event(request.user, slug)
    return _render_report(request, event, publish_form=_publish_form(event))


@require_GET
def summary(request: HttpRequest, slug: str) -> HttpResponse:
    """The public summary; bureau staff preview it before it is published."""
    event = _event(request.user, slug)
    if not rules.can_view_summary(request.user, event):
        raise Http404(_("No such event."))
    public = rules.can_view_summary(None, event)
    bureau = rules.can_manage_events(request.user)
    return render(request, "events/reports/summary.html", {
        "event": event,
        "summary": reports.event_summary(event=event),
        "preview": not public,
        "bureau": bureau,
        "publish_form": _publish_form(event) if bureau else None,
    })


@login_required
@require_POST
def summary_publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish or withdraw the summary; a refusal shows the report again with the form's errors."""
    event = _event(request.user, slug)
    if not rules.can_manage_events(request.user):
        raise PermissionDenied(_("Only bureau staff can publish an event's summary."))
    form = SummaryPublishForm(request.POST)
    if form.is_valid():
        try:
            event = event_summary_publish(actor=request.user, event=event, **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error, field_map={"summary_note_zh": "note_zh", "summary_note_en": "note_en"})
        else:
            messages.success(request, _("The public summary is published.") if event.summary_published
                             else _("The public summary is no longer published."))
            return redirect("events:report", slug=event.slug)
    return _render_report(request, event, publish_form=form, status=400)


urlpatterns = [
    path("<slug:slug>/report/", report, name="report"),
    path("<slug:slug>/report/export/", report_export, name="report-export"),
    path("<slug:slug>/summary/", summary, name="summary"),
    path("<slug:slug>/summary/publish/", summary_publish, name="summary-publish"),
]
