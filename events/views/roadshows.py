"""Portal pages of an event's roadshows (路演): the programme (public for a published event), a
session's page with the investors' interest buttons, bureau staff's management of a session
(add, remove, move up and down), the investor's profile and recommendations, the interest an
achievement's organisation received and bureau staff's board of interest per presentation.

Thin, like the other pages: parse one form → one service of ``events.roadshows`` or one
selector of ``events.roadshow_selectors`` → render or redirect with a message. An event,
session or presentation the reader may not see is a 404 before any form is read; a page the
reader sees but may not use is a 403. A refused action shows its form again with the service's
message (400)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.rules import roles_for
from catalog.models import Achievement, Field
from common.errors import ApplicationError, PermissionDenied
from common.forms import add_service_errors
from events import roadshow_selectors as selectors
from events import roadshows
from events.enums import InterestLevel, InvestmentStage
from events.models import Event, RoadshowEntry
from events.views.event_access import event_for

# --- forms (they only parse; the services check everything again) ------------------------------


class InvestorProfileForm(forms.Form):
    stages = forms.MultipleChoiceField(label=gettext_lazy("Stages you invest at"), choices=InvestmentStage.choices,
                                       required=False, widget=forms.CheckboxSelectMultiple)
    ticket_min = forms.IntegerField(label=gettext_lazy("Smallest ticket (10k CNY)"), min_value=0, required=False)
    ticket_max = forms.IntegerField(label=gettext_lazy("Largest ticket (10k CNY)"), min_value=0, required=False)
    fields = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Fields"), queryset=Field.objects.all(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=gettext_lazy("None chosen: any field."))
    focus = forms.CharField(label=gettext_lazy("Investment focus"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=gettext_lazy("Technologies and markets you look for; words that match an "
                                                   "achievement's keywords raise it in your recommendations."))


class EntryAddForm(forms.Form):
    achievement = forms.ModelChoiceField(
        label=gettext_lazy("Achievement ID"), queryset=Achievement.objects.all(), widget=forms.NumberInput,
        help_text=gettext_lazy("The number in the achievement's address (/achievements/<ID>/)."))
    minutes = forms.IntegerField(label=gettext_lazy("Minutes"), min_value=1, max_value=600, initial=10)
    presenter = forms.CharField(label=gettext_lazy("Presenter"), max_length=100, required=False)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])


class InterestForm(forms.Form):
    level = forms.ChoiceField(label=gettext_lazy("Interest"), choices=InterestLevel.choices)
    note = forms.CharField(label=gettext_lazy("Note for the achievement's organisation"), max_length=1000,
                           required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- lookups ---------------------------------------------------------------------------------


def _entry(request: HttpRequest, event: Event, pk: int) -> RoadshowEntry:
    entry = selectors.roadshow_entry_get_for_user(user=request.user, event=event, pk=pk)
    if entry is None:
        raise Http404
    return entry


def _investor_registration(request: HttpRequest, event: Event):
    registration = selectors.investor_registration_for(user=request.user, event=event)
    if registration is None:
        raise PermissionDenied(_("This page is for investors registered for this event."))
    return registration


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def _list_url(event: Event) -> str:
    return reverse("events:roadshow-list", kwargs={"slug": event.slug})


def _manage_url(event: Event, session_id: int) -> str:
    return reverse("events:roadshow-manage", kwargs={"slug": event.slug, "pk": session_id})


def _entry_cards(request: HttpRequest, event: Event, sessions) -> dict:
    """What a programme page shows beside each presentation: the reader's own interest (an
    investor) and whether the reader sees the interest it received."""
    registration = selectors.investor_registration_for(user=request.user, event=event)
    entry_ids = [entry.pk for session in sessions for entry in session.entries]
    own = selectors.own_interest_by_entry(registration=registration, entry_ids=entry_ids)
    for session in sessions:
        for entry in session.entries:
            entry.own_interest = own.get(entry.pk)
            entry.sees_interest = selectors.can_view_interest(request.user, entry.achievement)
    return {"registration": registration, "levels": InterestLevel.choices,
            "is_bureau": roles_for(request.user).is_bureau}


# --- the programme -------------------------------------------------------------------------------


@require_GET
def roadshow_list(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    sessions = selectors.roadshow_sessions(user=request.user, event=event)
    context = {"event": event, "sessions": sessions, **_entry_cards(request, event, sessions)}
    return render(request, "events/roadshows/list.html", context)


@require_GET
def roadshow_session(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    session = selectors.roadshow_session_get(user=request.user, event=event, pk=pk)
    if session is None:
        raise Http404
    context = {"event": event, "session": session, **_entry_cards(request, event, [session])}
    return render(request, "events/roadshows/session.html", context)


@login_required
@require_POST
def roadshow_interest(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An investor's interest in one presentation (one button per level, with a note)."""
    event = event_for(request, slug)
    entry = _entry(request, event, pk)
    form = InterestForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            roadshows.investor_interest_record(actor=request.user, entry=entry, level=form.cleaned_data["level"],
                                               note=form.cleaned_data["note"])
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error)
            status = getattr(error, "status", 400)
        else:
            messages.success(request, _("Your interest in “%(title)s” was recorded.") % {
                "title": entry.achievement.title})
            default = reverse("events:roadshow-session", kwargs={"slug": event.slug, "pk": entry.session_id})
            return redirect(_next(request, default))
    return render(request, "events/roadshows/interest_form.html",
                  {"event": event, "entry": entry, "form": form, "levels": InterestLevel.choices}, status=status)


# --- bureau staff's management -------------------------------------------------------------------


def _render_manage(request: HttpRequest, event: Event, pk: int, form: EntryAddForm, status: int = 200):
    session = selectors.roadshow_session_get(user=request.user, event=event, pk=pk, include_hidden=True)
    if session is None:
        raise Http404
    if not selectors.can_manage_roadshows(request.user, event):
        raise PermissionDenied(_("Only bureau staff can arrange roadshows."))
    return render(request, "events/roadshows/manage.html", {
        "event": event, "session": session, "form": form,
        "candidates": selectors.roadshow_achievement_candidates(event=event),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def roadshow_manage(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A roadshow session's presentations for bureau staff; POST adds one."""
    event = event_for(request, slug)
    if request.method == "GET":
        return _render_manage(request, event, pk, EntryAddForm(initial={"minutes": 10}))
    session = selectors.roadshow_session_get(user=request.user, event=event, pk=pk)
    if session is None:
        raise Http404
    if not selectors.can_manage_roadshows(request.user, event):
        raise PermissionDenied(_("Only bureau staff can arrange roadshows."))
    form = EntryAddForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            roadshows.roadshow_entry_add(actor=request.user, session=session, achievement=data["achievement"],
                                         minutes=data["minutes"], presenter=data["presenter"])
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error, code_map={"session_full": "minutes"})
            status = getattr(error, "status", 400)
        else:
            messages.success(request, _("“%(title)s” was added to the roadshow.") % {
                "title": data["achievement"].title})
            return redirect(_manage_url(event, session.pk))
    return _render_manage(request, event, pk, form, status=status)


@login_required
@require_POST
def roadshow_entry_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    entry = _entry(request, event, pk)
    try:
        deleted = roadshows.roadshow_entry_remove(actor=request.user, entry=entry)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        text = _("“%(title)s” was removed from the roadshow.") % {"title": entry.achievement.title}
        if deleted:
            text += " " + ngettext("%(n)d investor's recorded interest was deleted with it.",
                                   "%(n)d investors' recorded interest was deleted with it.", deleted) % {"n": deleted}
        messages.success(request, text)
    return redirect(_manage_url(event, entry.session_id))


@login_required
@require_POST
def roadshow_entry_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    event = event_for(request, slug)
    entry = _entry(request, event, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        if not selectors.can_manage_roadshows(request.user, event):
            raise PermissionDenied(_("Only bureau staff can arrange roadshows."))
        messages.error(request, _("Choose up or down."))
        return redirect(_manage_url(event, entry.session_id))
    try:
        roadshows.roadshow_entry_move(actor=request.user, entry=entry, up=form.cleaned_data["direction"] == "up")
    except ApplicationError as error:
        messages.error(request, str(error.message))
    return redirect(_manage_url(event, entry.session_id) + f"#entry-{entry.pk}")


# --- investors -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def investor_profile(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    registration = _investor_registration(request, event)
    profile = selectors.investor_profile_for(registration=registration)
    status = 200
    if request.method == "POST":
        form = InvestorProfileForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                roadshows.investor_profile_set(
                    actor=request.user, registration=registration, stages=data["stages"],
                    ticket_min=data["ticket_min"], ticket_max=data["ticket_max"],
                    field_ids=[f.pk for f in data["fields"]], focus=data["focus"])
            except (ApplicationError, ValidationError) as error:
                add_service_errors(form, error)
                status = getattr(error, "status", 400)
            else:
                messages.success(request, _("Your investor profile was saved."))
                return redirect("events:roadshow-recommended", slug=event.slug)
    else:
        initial = {}
        if profile is not None:
            initial = {"stages": profile.stages, "ticket_min": profile.ticket_min, "ticket_max": profile.ticket_max,
                       "fields": list(profile.fields.all()), "focus": profile.focus}
        form = InvestorProfileForm(initial=initial)
    return render(request, "events/roadshows/profile.html",
                  {"event": event, "registration": registration, "form": form}, status=status)


@login_required
@require_GET
def roadshow_recommended(request: HttpRequest, slug: str) -> HttpResponse:
    """The investor's ranked matches, with the reasons and the interest buttons."""
    event = event_for(request, slug)
    registration = _investor_registration(request, event)
    matches = selectors.investor_matches(registration=registration)
    return render(request, "events/roadshows/recommended.html", {
        "event": event, "registration": registration, "levels": InterestLevel.choices,
        "presented": [m for m in matches if m.entry is not None],
        "exhibited": [m for m in matches if m.entry is None],
        "has_profile": selectors.investor_profile_for(registration=registration) is not None,
    })


# --- interest received ---------------------------------------------------------------------------


@login_required
@require_GET
def roadshow_entry_investors(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One presentation's interest received and matched investors (bureau staff and the
    achievement's organisation)."""
    event = event_for(request, slug)
    entry = _entry(request, event, pk)
    matches = selectors.entry_investors_for_user(user=request.user, entry=entry)
    return render(request, "events/roadshows/entry_investors.html", {
        "event": event, "entry": entry, "matches": matches, "interest": selectors.entry_interest(entry=entry),
    })


@login_required
@require_GET
def roadshow_interest_received(request: HttpRequest, slug: str) -> HttpResponse:
    """The interest the reader's organisations' presentations received (bureau staff: all)."""
    event = event_for(request, slug)
    return render(request, "events/roadshows/interest_received.html", {
        "event": event, "entries": selectors.interest_received(user=request.user, event=event),
    })


@login_required
@require_GET
def roadshow_board(request: HttpRequest, slug: str) -> HttpResponse:
    event = event_for(request, slug)
    if not selectors.can_manage_roadshows(request.user, event):
        raise PermissionDenied(_("The interest board is for bureau staff."))
    return render(request, "events/roadshows/board.html", {
        "event": event, "entries": selectors.interest_counts(event=event),
        "levels": [{"level": level, "label": InterestLevel(level).label} for level in selectors.LEVEL_ORDER],
    })


urlpatterns = [
    path("<slug:slug>/roadshows/", roadshow_list, name="roadshow-list"),
    path("<slug:slug>/roadshows/for-you/", roadshow_recommended, name="roadshow-recommended"),
    path("<slug:slug>/roadshows/interest/", roadshow_interest_received, name="roadshow-interest-received"),
    path("<slug:slug>/roadshows/board/", roadshow_board, name="roadshow-board"),
    path("<slug:slug>/roadshows/<int:pk>/", roadshow_session, name="roadshow-session"),
    path("<slug:slug>/roadshows/<int:pk>/manage/", roadshow_manage, name="roadshow-manage"),
    path("<slug:slug>/roadshows/entries/<int:pk>/remove/", roadshow_entry_remove, name="roadshow-entry-remove"),
    path("<slug:slug>/roadshows/entries/<int:pk>/move/", roadshow_entry_move, name="roadshow-entry-move"),
    path("<slug:slug>/roadshows/entries/<int:pk>/interest/", roadshow_interest, name="roadshow-interest"),
    path("<slug:slug>/roadshows/entries/<int:pk>/investors/", roadshow_entry_investors,
         name="roadshow-entry-investors"),
    path("<slug:slug>/investor-profile/", investor_profile, name="investor-profile"),
]
