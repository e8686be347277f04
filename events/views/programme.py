"""The bureau's pages for an event's programme: create and edit the event, publish, close or
cancel it, and edit its exhibition areas and its roadshow, forum and negotiation sessions
(a negotiation session's slots and tables are the plan's: ``events.planning``).
Bureau staff only (403 for anyone else who can see the event; drafts are 404 to them)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from catalog.models import Field
from common.errors import ApplicationError
from events import rules, services
from events.forms import AreaForm, EventForm, EventStatusForm, SessionForm
from events.models import ExhibitionArea, Session
from events.views.event_access import event_for, event_url, refused, require

TEMPLATES = "events/participation"
STATUS_MESSAGES = {
    "publish": gettext_lazy("The event was published: its programme is public and registration opens in its window."),
    "close": gettext_lazy("The event was closed."),
    "cancel": gettext_lazy("The event was cancelled and the registered organisations were told."),
}


def _require_manage(request: HttpRequest) -> None:
    require(rules.can_manage_events(request.user), _("Only bureau staff can manage conferences."))


def _form_page(request, *, event, form, title: str, status: int, cancel_url: str) -> HttpResponse:
    return render(request, f"{TEMPLATES}/form.html", {
        "event": event, "form": form, "title": title, "submit": _("Save"), "cancel_url": cancel_url}, status=status)


@login_required
def event_create(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    form = EventForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                event = services.event_create(actor=request.user, data=form.service_data())
            except (ApplicationError, ValidationError) as error:
                status = refused(form, error)
            else:
                messages.success(request, _("The event was created as a draft: only bureau staff see it until "
                                            "it is published."))
                return redirect(event_url(event))
    return _form_page(request, event=None, form=form, title=_("New event"), status=status,
                      cancel_url=reverse("events:event-list"))


@login_required
def event_edit(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    _require_manage(request)
    form = EventForm(request.POST or None, instance=event)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                event = services.event_update(actor=request.user, event=event, data=form.service_data())
            except (ApplicationError, ValidationError) as error:
                status = refused(form, error)
            else:
                messages.success(request, _("The event was saved."))
                return redirect(event_url(event))
    return _form_page(request, event=event, form=form, title=_("Edit %(event)s") % {"event": event.name},
                      status=status, cancel_url=event_url(event))


@login_required
@require_POST
def event_status(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    _require_manage(request)
    form = EventStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the event."))
        return redirect(event_url(event))
    action = form.cleaned_data["action"]
    try:
        if action == "publish":
            services.event_publish(actor=request.user, event=event)
        elif action == "close":
            services.event_close(actor=request.user, event=event)
        else:
            services.event_cancel(actor=request.user, event=event, reason=form.cleaned_data["reason"])
    except (ApplicationError, ValidationError) as error:
        messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else error.message)
    else:
        messages.success(request, STATUS_MESSAGES[action])
    return redirect(event_url(event))


@login_required
def area_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    event = event_for(request, slug)
    _require_manage(request)
    area = None if pk is None else get_object_or_404(ExhibitionArea, event=event, pk=pk)
    form = AreaForm(request.POST or None, instance=area)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            fields = Field.objects.filter(pk__in=form.cleaned_data["field_ids"])
            try:
                if area is None:
                    services.area_create(actor=request.user, event=event, data=form.service_data(), fields=fields)
                else:
                    services.area_update(actor=request.user, area=area, data=form.service_data(), fields=fields)
            except (ApplicationError, ValidationError) as error:
                status = refused(form, error)
            else:
                messages.success(request, _("The exhibition area was saved."))
                return redirect(event_url(event))
    title = _("New exhibition area") if area is None else _("Edit %(area)s") % {"area": area.name}
    return _form_page(request, event=event, form=form, title=title, status=status, cancel_url=event_url(event))


@login_required
def session_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    event = event_for(request, slug)
    _require_manage(request)
    session = None if pk is None else get_object_or_404(Session, event=event, pk=pk)
    form = SessionForm(request.POST or None, instance=session, event=event)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.service_data()
            try:
                if session is None:
                    services.session_create(actor=request.user, event=event, data=data)
                else:
                    data.pop("kind", None)
                    services.session_update(actor=request.user, session=session, data=data)
            except (ApplicationError, ValidationError) as error:
                status = refused(form, error)
            else:
                messages.success(request, _("The session was saved."))
                return redirect(event_url(event))
    title = _("New session") if session is None else _("Edit %(session)s") % {"session": session.title}
    return _form_page(request, event=event, form=form, title=title, status=status, cancel_url=event_url(event))


# "new/" comes before the events' own "<slug>/" paths (services.RESERVED_SLUGS keeps it free).
urlpatterns = [
    path("new/", event_create, name="event-create"),
    path("<slug:slug>/edit/", event_edit, name="event-edit"),
    path("<slug:slug>/status/", event_status, name="event-status"),
    path("<slug:slug>/areas/new/", area_edit, name="area-create"),
    path("<slug:slug>/areas/<int:pk>/", area_edit, name="area-edit"),
    path("<slug:slug>/sessions/new/", session_edit, name="session-create"),
    path("<slug:slug>/sessions/<int:pk>/", session_edit, name="session-edit"),
]
