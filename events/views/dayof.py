"""Pages of the day of the event: a participant's agenda (printable, and as an ICS file), the
check-in desk, and the broker's phone page of the day's negotiations with check-in at the table
and the outcome of each.

Thin, like the other pages: parse → one service or selector of ``events.dayof`` → render or
redirect with a message. An event the user may not see is a 404 (``events.selectors``); so is a
registration or negotiation they may not address (``events.dayof.*_get_*``); a refused action on
one they may address re-renders the page with the service's words (409) or, for a permission
refusal, is a 403."""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.rules import roles_for
from common.errors import ApplicationError
from common.forms import add_service_errors
from events import dayof, rules
from events.models import Event
from events.views.event_access import event_for
from matchmaking.forms import MeetingOutcomeForm
from matchmaking.models import MeetingStatus

DESK_PAGE_SIZE = 50
SIDE_LABELS = {"requirement": gettext_lazy("Enterprise"), "achievement": gettext_lazy("University")}


class OutcomeForm(MeetingOutcomeForm):
    """The pair page's outcome form with yes / no as large radio buttons, for a phone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held"].widget = forms.RadioSelect(choices=self.fields["held"].choices)


def _tz_context() -> dict:
    return {"event_tz": dayof.EVENT_TZ_NAME}


# --- the agenda --------------------------------------------------------------------------------

@login_required
@require_GET
def agenda(request: HttpRequest, slug: str) -> HttpResponse:
    """The user's agenda of the event by day; ``?print=1`` gives the print-ready layout."""
    event = event_for(request, slug)
    items = dayof.agenda_for_user(user=request.user, event=event)
    roles = roles_for(request.user)
    template = "events/dayof/agenda_print.html" if request.GET.get("print") == "1" else "events/dayof/agenda.html"
    return render(request, template, {
        **_tz_context(),
        "event": event,
        "days": dayof.agenda_by_day(items),
        "count": len(items),
        "follows_negotiations": roles.is_bureau or roles.is_broker,
        "runs_desk": rules.can_check_in(request.user, event),
    })


@login_required
@require_GET
def agenda_ics(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    items = dayof.agenda_for_user(user=request.user, event=event)
    body = dayof.agenda_ics(user=request.user, event=event, items=items,
                            base_url=f"{request.scheme}://{request.get_host()}")
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-agenda.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the check-in desk -------------------------------------------------------------------------

def _desk_url(event: Event, query: str = "") -> str:
    url = reverse("events:checkin", kwargs={"slug": event.slug})
    return f"{url}?{urlencode({'q': query})}" if query else url


def _render_desk(request: HttpRequest, event: Event, query: str, *, status: int = 200) -> HttpResponse:
    registrations = dayof.checkin_desk_for_user(user=request.user, event=event, query=query)
    page = Paginator(registrations, DESK_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "events/dayof/checkin.html", {
        **_tz_context(),
        "event": event,
        "query": query,
        "page_obj": page,
        "counts": dayof.checkin_counts(event=event),
    }, status=status)


@login_required
@require_GET
def checkin_desk(request: HttpRequest, slug: str) -> HttpResponse:
    """Bureau staff at the desk: find a registration by organisation name and check it in."""
    event = event_for(request, slug)
    return _render_desk(request, event, request.GET.get("q", "")[:100])


@login_required
@require_POST
def checkin_registration(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    registration = dayof.registration_get_for_checkin(user=request.user, event=event, pk=pk)
    query = request.POST.get("q", "")[:100]
    already = registration.checked_in_at is not None
    try:
        registration = dayof.registration_check_in(actor=request.user, registration=registration)
    except ApplicationError as error:
        messages.error(request, str(error.message))
        return _render_desk(request, event, query, status=error.status)
    local = dayof.event_local(registration.checked_in_at)
    values = {"organisation": registration.organisation.display_name, "time": f"{local:%H:%M}"}
    if already:
        messages.info(request, _("%(organisation)s was already checked in at %(time)s.") % values)
    else:
        messages.success(request, _("%(organisation)s checked in at %(time)s.") % values)
    return redirect(_desk_url(event, query))


# --- the broker's phone page -------------------------------------------------------------------

def _day(request: HttpRequest, event: Event) -> date:
    raw = request.GET.get("day", "")
    try:
        chosen = date.fromisoformat(raw) if raw else None
    except ValueError:
        chosen = None
    return chosen if chosen is not None and event.starts_on <= chosen <= event.ends_on else dayof.default_day(event)


def _meetings_url(event: Event, day: date, scheduled_pk: int | None = None) -> str:
    url = reverse("events:my-meetings", kwargs={"slug": event.slug})
    return f"{url}?{urlencode({'day': day.isoformat()})}" + (f"#meeting-{scheduled_pk}" if scheduled_pk else "")


def _render_meetings(request: HttpRequest, event: Event, day: date, *, bound: dict | None = None,
                     errors: dict | None = None, status: int = 200) -> HttpResponse:
    """``bound`` holds a failed outcome form by negotiation id, ``errors`` a refused check-in's
    message by negotiation id."""
    bound, errors = bound or {}, errors or {}
    meetings = dayof.negotiations_for_day(user=request.user, event=event, day=day)
    cards = []
    for scheduled in meetings:
        meeting = scheduled.meeting
        open_ = meeting is not None and meeting.status == MeetingStatus.CONFIRMED
        cards.append({
            "scheduled": scheduled,
            "pair": scheduled.suggestion,
            "where": dayof.negotiation_where(scheduled),
            "meeting": meeting,
            "open": open_,
            "held": meeting is not None and meeting.status == MeetingStatus.HELD,
            "sides": [{"side": side, "label": SIDE_LABELS[side],
                       "organisation": getattr(scheduled.suggestion, side).organisation.display_name,
                       "checked_in_at": getattr(scheduled, f"{side}_checked_in_at")} for side in dayof.SIDES],
            "form": bound.get(scheduled.pk) or (OutcomeForm(auto_id=f"id_outcome{scheduled.pk}_%s")
                                                if open_ else None),
            "error": errors.get(scheduled.pk, ""),
        })
    # A refusal about a negotiation that is not among the cards (a draft, another day) is shown on top.
    shown = {card["scheduled"].pk for card in cards}
    page_errors = [message for pk, message in errors.items() if pk not in shown]
    for pk, form in bound.items():
        if pk not in shown:
            page_errors += [error for errors_ in form.errors.values() for error in errors_]
    return render(request, "events/dayof/my_meetings.html", {
        "page_errors": page_errors,
        **_tz_context(),
        "event": event,
        "day": day,
        "days": dayof.event_days(event),
        "cards": cards,
        "is_bureau": roles_for(request.user).is_bureau,
    }, status=status)


@login_required
@require_GET
def my_meetings(request: HttpRequest, slug: str) -> HttpResponse:
    """A broker's (bureau staff: every) confirmed negotiation of one day, as cards for a phone."""
    event = event_for(request, slug)
    return _render_meetings(request, event, _day(request, event))


@login_required
@require_POST
def checkin_meeting(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    scheduled = dayof.scheduled_get_for_user(user=request.user, event=event, pk=pk)
    day = dayof.event_local(scheduled.slot.starts_at).date()
    side = request.POST.get("side", "")
    try:
        dayof.meeting_check_in(actor=request.user, scheduled=scheduled, side=side)
    except (ApplicationError, ValidationError) as error:
        message = str(error.message) if isinstance(error, ApplicationError) else " ".join(error.messages)
        return _render_meetings(request, event, day, errors={scheduled.pk: message},
                                status=getattr(error, "status", 400))
    organisation = getattr(scheduled.suggestion, side).organisation.display_name
    messages.success(request, _("%(organisation)s checked in at table %(table)s.")
                     % {"organisation": organisation, "table": scheduled.table.label})
    return redirect(_meetings_url(event, day, scheduled.pk))


@login_required
@require_POST
def meeting_outcome(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    scheduled = dayof.scheduled_get_for_user(user=request.user, event=event, pk=pk)
    day = dayof.event_local(scheduled.slot.starts_at).date()
    form = OutcomeForm(request.POST, auto_id=f"id_outcome{scheduled.pk}_%s")
    status = 400
    if form.is_valid():
        try:
            meeting = dayof.scheduled_record_outcome(actor=request.user, scheduled=scheduled,
                                                     held=form.cleaned_data["held"],
                                                     outcome=form.cleaned_data["outcome"])
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error)
            status = getattr(error, "status", 400)
        else:
            messages.success(request, _("The negotiation took place: record the agreement on the pair's page when "
                                        "it is signed.") if meeting.status == MeetingStatus.HELD
                             else _("The negotiation was recorded as not taking place."))
            return redirect(_meetings_url(event, day, scheduled.pk))
    return _render_meetings(request, event, day, bound={scheduled.pk: form}, status=status)


urlpatterns = [
    path("<slug:slug>/agenda/", agenda, name="agenda"),
    path("<slug:slug>/agenda.ics", agenda_ics, name="agenda-ics"),
    path("<slug:slug>/checkin/", checkin_desk, name="checkin"),
    path("<slug:slug>/checkin/registrations/<int:pk>/", checkin_registration, name="checkin-registration"),
    path("<slug:slug>/checkin/meetings/<int:pk>/", checkin_meeting, name="checkin-meeting"),
    path("<slug:slug>/my-meetings/", my_meetings, name="my-meetings"),
    path("<slug:slug>/meetings/<int:pk>/outcome/", meeting_outcome, name="meeting-outcome"),
]
