"""Portal pages of taking part in a docking conference: the list of events, an event's public
programme (with what the reader can do there), registering an organisation, editing and
withdrawing a registration, and entering one's own listings. The bureau's programme editing is
in ``programme``, its pre-docking tools (bulk entry, the run, the status board, nudges) and
the parties' candidates in ``board``; this module's ``urlpatterns`` carries all three.

Thin: parse → one service or selector → render. Visibility and permissions: ``event_access``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.enums import OrganisationStatus
from accounts.models import Organisation
from accounts.rules import roles_for
from catalog.enums import LIVE_STATUSES
from catalog.models import Achievement, Field, Requirement
from common.errors import ApplicationError, PermissionDenied
from events import predocking, rules, selectors, services
from events.enums import RegistrationStatus
from events.forms import ListingEnterForm, ReasonForm, RegistrationCreateForm, RegistrationEditForm
from events.models import Event, EventListing, Registration
from events.views import board, programme
from events.views.event_access import event_for, event_url, refused, registration_for, require

PAGE_SIZE = 20
TEMPLATES = "events/participation"


def event_list(request: HttpRequest) -> HttpResponse:
    events = selectors.event_list_for_user(user=request.user).order_by("-starts_on", "pk")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, f"{TEMPLATES}/event_list.html", {
        "page_obj": page, "events": list(page.object_list), "can_manage": rules.can_manage_events(request.user)})


def _acting_organisations(user, event: Event) -> list[Organisation]:
    """The approved organisations the user speaks for that take part in conferences."""
    roles = roles_for(user)
    orgs = Organisation.objects.filter(pk__in=roles.org_ids, status=OrganisationStatus.APPROVED,
                                       kind__in=list(rules.PARTICIPANT_ROLE_BY_KIND)).order_by("name_zh")
    return [org for org in orgs if rules.acts_for(user, org)]


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    user, manage = request.user, rules.can_manage_events(request.user)
    areas = event.areas.prefetch_related(Prefetch("fields", queryset=Field.objects.order_by("order", "code")))
    context = {
        "event": event, "manage": manage, "areas": list(areas),
        "sessions": list(event.sessions.select_related("area")),
        "registration_open": event.registration_open(), "predocking_open": event.predocking_open(),
    }
    if user.is_authenticated:
        orgs = _acting_organisations(user, event)
        registrations = {reg.organisation_id: reg for reg in Registration.objects.filter(
            event=event, organisation__in=orgs)}
        context["my_organisations"] = [{"organisation": org, "registration": registrations.get(org.pk)}
                                       for org in orgs]
        context["can_register"] = any(rules.can_register(user, event, org) and not (
            org.pk in registrations and registrations[org.pk].is_active) for org in orgs)
        context["my_entries"] = list(EventListing.objects.filter(
            event=event, registration__in=[reg for reg in registrations.values() if reg.is_active]).select_related(
            "requirement", "achievement", "area").order_by("pk"))
        context["is_party"] = bool(context["my_entries"])
    if manage:
        context["registrations"] = list(event.registrations.select_related("organisation").annotate(
            n_requirements=Count("listings", filter=Q(listings__requirement__isnull=False)),
            n_achievements=Count("listings", filter=Q(listings__achievement__isnull=False))).order_by(
            "status", "organisation__name_zh"))
        context["requirement_ids"], context["achievement_ids"] = selectors.event_listing_ids(event=event)
    return render(request, f"{TEMPLATES}/event_detail.html", context)


# --- registration --------------------------------------------------------------------------------

def _registrable(user, event: Event) -> list[Organisation]:
    """Organisations the user may register now: their own, or (bureau staff) any approved one
    that takes part; those already registered (and not withdrawn) are left out."""
    if rules.can_manage_events(user):
        orgs = list(Organisation.objects.filter(status=OrganisationStatus.APPROVED,
                                                kind__in=list(rules.PARTICIPANT_ROLE_BY_KIND)).order_by("name_zh"))
    else:
        orgs = _acting_organisations(user, event)
    taken = set(Registration.objects.filter(event=event, status=RegistrationStatus.REGISTERED).values_list(
        "organisation_id", flat=True))
    return [org for org in orgs if org.pk not in taken]


@login_required
def registration_create(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    orgs = _registrable(request.user, event)
    require(bool(orgs) or rules.can_manage_events(request.user),
            _("You act for no organisation that can still register for this event."))
    form = RegistrationCreateForm(request.POST or None, organisations=orgs)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            organisation = next(org for org in orgs if org.pk == form.cleaned_data["organisation"])
            data = form.service_data()
            try:
                services.registration_create(actor=request.user, event=event, organisation=organisation, **data)
            except (ApplicationError, ValidationError) as error:
                status = refused(form, error)
            else:
                messages.success(request, _("%(organisation)s is registered for %(event)s.")
                                 % {"organisation": organisation.display_name, "event": event.name})
                return redirect(event_url(event))
    return render(request, f"{TEMPLATES}/form.html", {
        "event": event, "form": form, "title": _("Register for %(event)s") % {"event": event.name},
        "submit": _("Register"), "cancel_url": event_url(event)}, status=status)


@login_required
def registration_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    registration = registration_for(request, event, pk)
    form = RegistrationEditForm(request.POST or None, instance=registration)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.registration_update(actor=request.user, registration=registration,
                                             data=form.service_data(),
                                             unavailable_slot_ids=form.cleaned_data["unavailable_slots"])
            except (ApplicationError, ValidationError) as error:
                status = refused(form, error)
            else:
                messages.success(request, _("The registration was saved."))
                return redirect(event_url(event))
    return render(request, f"{TEMPLATES}/form.html", {
        "event": event, "form": form, "registration": registration,
        "withdraw_form": ReasonForm(auto_id="id_withdraw_%s") if registration.is_active else None,
        "title": _("Registration of %(organisation)s") % {"organisation": registration.organisation.display_name},
        "submit": _("Save"), "cancel_url": event_url(event)}, status=status)


@login_required
@require_POST
def registration_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    registration = registration_for(request, event, pk)
    form = ReasonForm(request.POST, auto_id="id_withdraw_%s")
    status = 400
    if form.is_valid():
        try:
            withdrawn = services.registration_withdraw(actor=request.user, registration=registration,
                                                       reason=form.cleaned_data["reason"])
        except (ApplicationError, ValidationError) as error:
            status = refused(form, error)
        else:
            message = _("%(organisation)s withdrew from the event.") % {
                "organisation": registration.organisation.display_name}
            if withdrawn.cancelled_meetings:
                message += " " + ngettext("%(count)d scheduled negotiation was cancelled.",
                                          "%(count)d scheduled negotiations were cancelled.",
                                          withdrawn.cancelled_meetings) % {"count": withdrawn.cancelled_meetings}
            messages.success(request, message)
            return redirect(event_url(event))
    registration.refresh_from_db()
    return render(request, f"{TEMPLATES}/form.html", {
        "event": event, "form": RegistrationEditForm(instance=registration), "registration": registration,
        "withdraw_form": form, "title": _("Registration of %(organisation)s") % {
            "organisation": registration.organisation.display_name},
        "submit": _("Save"), "cancel_url": event_url(event)}, status=status)


# --- the parties' listings -----------------------------------------------------------------------

def _enterable(user, event: Event) -> list:
    """The user's organisations' live listings not yet in the event, for the organisations
    registered (and not withdrawn) that the user speaks for, by side."""
    roles = roles_for(user)
    registered = set(Registration.objects.filter(
        event=event, status=RegistrationStatus.REGISTERED).values_list("organisation_id", flat=True))
    entered = EventListing.objects.filter(event=event, registration__status=RegistrationStatus.REGISTERED)
    listings = []
    for model, org_ids, column in ((Requirement, roles.requirement_org_ids, "requirement_id"),
                                   (Achievement, roles.achievement_org_ids, "achievement_id")):
        wanted = [pk for pk in org_ids if pk in registered]
        listings += list(model.objects.filter(organisation_id__in=wanted, status__in=LIVE_STATUSES).exclude(
            pk__in=entered.exclude(**{f"{column}__isnull": True}).values(column)).order_by("title", "pk"))
    return listings


@login_required
def listing_enter(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    listings = _enterable(request.user, event)
    form = ListingEnterForm(request.POST or None, listings=listings)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            entered, failures = 0, []
            for listing in form.chosen():
                try:
                    predocking.listing_enter(actor=request.user, event=event, listing=listing)
                except (ApplicationError, PermissionDenied) as error:
                    failures.append(f"{listing.title}: {error.message}")
                else:
                    entered += 1
            if entered:
                messages.success(request, ngettext("%(count)d listing was entered into the event.",
                                                   "%(count)d listings were entered into the event.", entered)
                                 % {"count": entered})
            for failure in failures:
                messages.error(request, failure)
            return redirect(event_url(event))
    return render(request, f"{TEMPLATES}/listing_enter.html", {
        "event": event, "form": form, "has_listings": bool(listings),
        "manage": rules.can_manage_events(request.user)}, status=status)


@login_required
@require_POST
def listing_withdraw(request: HttpRequest, slug: str, kind: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    entry = EventListing.objects.filter(event=event, **{f"{kind}_id": pk}).select_related(
        "registration", kind).first() if kind in ("requirement", "achievement") else None
    if entry is None or not rules.can_manage_registration(request.user, entry.registration):
        raise Http404("No such entry.")
    try:
        predocking.listing_withdraw_from_event(actor=request.user, event=event, listing=entry.listing)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("“%(title)s” was withdrawn from the event.") % {"title": entry.listing.title})
    return redirect(event_url(event))


urlpatterns = [
    path("", event_list, name="event-list"),
    *programme.urlpatterns,
    path("<slug:slug>/", event_detail, name="event-detail"),
    path("<slug:slug>/register/", registration_create, name="registration-create"),
    path("<slug:slug>/registrations/<int:pk>/", registration_edit, name="registration-edit"),
    path("<slug:slug>/registrations/<int:pk>/withdraw/", registration_withdraw, name="registration-withdraw"),
    path("<slug:slug>/listings/enter/", listing_enter, name="listing-enter"),
    path("<slug:slug>/listings/<str:kind>/<int:pk>/withdraw/", listing_withdraw, name="listing-withdraw"),
    *board.urlpatterns,
]
