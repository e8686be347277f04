"""Server-rendered account pages: sign-in, organisation sign-up, profile, organisation page,
invitations and the bureau's approval queue. Each view parses, calls one service or selector
and renders; refusals from services arrive as ``ApplicationError``."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import (
    ACCEPT_FIELD_MAP,
    SIGNUP_CODE_MAP,
    SIGNUP_FIELD_MAP,
    BrokerProfileForm,
    DecisionForm,
    EmailAuthenticationForm,
    InvitationAcceptForm,
    InvitationForm,
    OrganisationForm,
    SignupForm,
)
from accounts.models import BrokerProfile, Invitation, Organisation, User
from accounts.rules import can_decide_organisations, can_manage_organisation, roles_for
from common.errors import ApplicationError
from common.forms import add_service_errors

# The session remembers the backend that signed the user in; it must be one of settings'.
SESSION_BACKEND = "accounts.backends.ThrottledModelBackend"

login_view = LoginView.as_view(
    template_name="accounts/login.html", authentication_form=EmailAuthenticationForm,
    redirect_authenticated_user=True,
)
logout_view = LogoutView.as_view()


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _organisation_for_manager(request: HttpRequest, pk: int) -> Organisation:
    """The one access check for managing an organisation: 404 when the user may not see it,
    403 when they may see but not manage it."""
    organisation = selectors.organisation_get_for_user(user=request.user, pk=pk)
    if not can_manage_organisation(request.user, organisation):
        raise PermissionDenied
    return organisation


# --- sign-up ----------------------------------------------------------------------------

def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, _("You are signed in; sign out first to register another organisation."))
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.organisation_signup(
                **form.service_kwargs(), preferred_language=request.LANGUAGE_CODE or "zh-hans"
            )
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error, field_map=SIGNUP_FIELD_MAP, code_map=SIGNUP_CODE_MAP,
                               default_field="password1")
        else:
            user = User.objects.get(email=form.cleaned_data["admin_email"].strip().lower())
            login(request, user, backend=SESSION_BACKEND)
            request.session["signup_organisation_id"] = organisation.pk
            return redirect("accounts:signup-done")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def signup_done(request: HttpRequest) -> HttpResponse:
    organisation = None
    pk = request.session.get("signup_organisation_id")
    if pk is not None:
        organisation = selectors.user_organisations(user=request.user).filter(pk=pk).first()
    return render(request, "accounts/signup_done.html", {"organisation": organisation})


# --- profile ----------------------------------------------------------------------------

@login_required
def profile(request: HttpRequest) -> HttpResponse:
    broker_profile = BrokerProfile.objects.filter(user=request.user).first()
    broker_form = None
    if broker_profile is not None:
        broker_form = BrokerProfileForm(request.POST or None, instance=broker_profile)
        if request.method == "POST" and broker_form.is_valid():
            try:
                services.broker_profile_update(
                    actor=request.user, profile=BrokerProfile.objects.get(pk=broker_profile.pk),
                    **broker_form.cleaned_data,
                )
            except (ApplicationError, ValidationError) as error:
                add_service_errors(broker_form, error)
            else:
                messages.success(request, _("Your broker profile was saved."))
                return redirect("accounts:profile")
    elif request.method == "POST":
        return HttpResponse(status=405)
    memberships = selectors.membership_list_for_user(user=request.user)
    return render(request, "accounts/profile.html", {
        "memberships": memberships, "broker_form": broker_form,
    }, status=400 if broker_form is not None and broker_form.errors else 200)


# --- organisation page ------------------------------------------------------------------

def _organisation_page(request: HttpRequest, organisation: Organisation, *,
                       invite_form: InvitationForm | None = None, status: int = 200) -> HttpResponse:
    may_manage = can_manage_organisation(request.user, organisation)
    if may_manage and invite_form is None and organisation.is_approved:
        invite_form = InvitationForm(organisation=organisation,
                                     may_grant_bureau_staff=roles_for(request.user).is_bureau)
    return render(request, "accounts/organisation_detail.html", {
        "organisation": organisation,
        "members": selectors.membership_list_for_organisation(user=request.user, organisation=organisation),
        "invitations": selectors.invitation_list_for_organisation(user=request.user, organisation=organisation),
        "may_manage": may_manage,
        "invite_form": invite_form,
    }, status=status)


def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = selectors.organisation_get_for_user(user=request.user, pk=pk)
    return _organisation_page(request, organisation)


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation_for_manager(request, pk)
    # The form works on a copy: a refused save must not leave the page showing unsaved values.
    form = OrganisationForm(request.POST or None, instance=Organisation.objects.get(pk=organisation.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(actor=request.user, organisation=organisation, data=form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The organisation profile was saved."))
            return redirect("accounts:organisation-detail", pk=organisation.pk)
    return render(request, "accounts/organisation_form.html", {"organisation": organisation, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def invitation_create(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation_for_manager(request, pk)
    form = InvitationForm(request.POST, organisation=organisation,
                          may_grant_bureau_staff=roles_for(request.user).is_bureau)
    if form.is_valid():
        try:
            invitation = services.invitation_create(actor=request.user, organisation=organisation,
                                                    **form.cleaned_data)
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error, code_map={"already_member": "email", "bad_role": "role"})
        else:
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
            return redirect("accounts:organisation-detail", pk=organisation.pk)
    return _organisation_page(request, organisation, invite_form=form, status=400)


@login_required
@require_POST
def membership_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    organisation = _organisation_for_manager(request, pk)
    membership = get_object_or_404(
        selectors.membership_list_for_organisation(user=request.user, organisation=organisation), pk=membership_pk
    )
    try:
        services.membership_remove(actor=request.user, membership=membership)
    except ApplicationError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("%(user)s was removed from the organisation.") % {"user": membership.user})
    return redirect("accounts:organisation-detail", pk=organisation.pk)


# --- invitations ------------------------------------------------------------------------

def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    # The token is the secret that grants access, so it is looked up directly, not per user.
    invitation = selectors.invitation_get_by_token(token=token)
    if invitation is None:
        return render(request, "accounts/invitation_closed.html", {"invitation": None}, status=404)
    if not invitation.is_open:
        return render(request, "accounts/invitation_closed.html", {"invitation": invitation}, status=410)

    context: dict = {"invitation": invitation}
    if request.user.is_authenticated:
        if request.user.email.lower() != invitation.email.lower():
            return render(request, "accounts/invitation_accept.html", {**context, "wrong_user": True},
                          status=403)
        if request.method == "POST":
            try:
                services.invitation_accept(invitation=invitation, user=request.user)
            except ApplicationError as error:
                messages.error(request, str(error.message))
                return redirect("accounts:invitation-accept", token=token)
            return _joined(request, invitation)
        return render(request, "accounts/invitation_accept.html", context)

    if User.objects.filter(email__iexact=invitation.email).exists():
        login_url = reverse("accounts:login") + "?next=" + request.path
        return render(request, "accounts/invitation_accept.html", {**context, "sign_in_first": True,
                                                                  "login_url": login_url})
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(invitation=invitation, password=form.cleaned_data["password1"],
                                              full_name=form.cleaned_data["full_name"])
        except (ApplicationError, ValidationError) as error:
            add_service_errors(form, error, field_map=ACCEPT_FIELD_MAP, default_field="password1")
        else:
            login(request, user, backend=SESSION_BACKEND)
            return _joined(request, invitation)
    return render(request, "accounts/invitation_accept.html", {**context, "form": form},
                  status=400 if form.errors else 200)


def _joined(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    messages.success(request, _("You joined %(organisation)s.") % {"organisation": invitation.organisation})
    return redirect("accounts:organisation-detail", pk=invitation.organisation_id)


# --- bureau approvals -------------------------------------------------------------------

@login_required
def organisation_pending(request: HttpRequest) -> HttpResponse:
    if not can_decide_organisations(request.user):
        raise PermissionDenied
    organisations = selectors.organisations_pending(user=request.user).prefetch_related("memberships__user")
    return render(request, "accounts/organisation_pending.html", {"organisations": organisations})


@login_required
@require_POST
def organisation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_decide_organisations(request.user):
        raise PermissionDenied
    organisation = selectors.organisation_get_for_user(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    error_message = ""
    if not form.is_valid():
        error_message = _("Choose to approve or reject.")
    else:
        try:
            organisation = services.organisation_decide(
                actor=request.user, organisation=organisation,
                approve=form.cleaned_data["decision"] == "approve", reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            error_message = str(error.message)
    if _is_htmx(request):
        # htmx swaps the organisation's card in place; a refusal comes back in the card itself.
        if not error_message:
            organisation = Organisation.objects.prefetch_related("memberships__user").get(pk=organisation.pk)
        return render(request, "accounts/_pending_organisation.html",
                      {"org": organisation, "error_message": error_message})
    if error_message:
        messages.error(request, error_message)
    elif organisation.is_approved:
        messages.success(request, _("%(organisation)s was approved.") % {"organisation": organisation})
    else:
        messages.success(request, _("%(organisation)s was rejected.") % {"organisation": organisation})
    return redirect("accounts:organisation-pending")


# --- notifications ------------------------------------------------------------------------

NOTIFICATIONS_PAGE_SIZE = 30


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's in-portal notifications, newest first, unread ones marked."""
    page = Paginator(selectors.notification_list_for_user(user=request.user), NOTIFICATIONS_PAGE_SIZE) \
        .get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page_obj": page, "items": list(page.object_list)})


@login_required
@require_POST
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_read(user=request.user)
    if count:
        messages.success(request, ngettext("%(n)d notification marked as read.",
                                           "%(n)d notifications marked as read.", count) % {"n": count})
    return redirect("accounts:notifications")


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and follow its link (a path on this site only)."""
    note = selectors.notification_list_for_user(user=request.user).filter(pk=pk).first()
    if note is None:
        raise Http404("No such notification.")
    services.notification_mark_read(user=request.user, ids=[note.pk])
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()},
                                                    require_https=request.is_secure()):
        return redirect(note.url)
    return redirect("accounts:notifications")
