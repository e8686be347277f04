"""Forms of the accounts portal pages. They parse and check input; the writes are services'."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.enums import ROLES_BY_KIND, OrganisationKind, Role
from accounts.models import BrokerProfile, Organisation, User
from accounts.throttling import THROTTLED_MESSAGE, LoginThrottled, login_throttle_check

ORGANISATION_PROFILE_FIELDS = ["name_zh", "name_en", "credit_code", "region", "address", "website", "description"]


class ThrottledLoginMixin:
    """Refuses a throttled sign-in with its own message instead of "wrong password". The
    authentication backend enforces the throttle whatever the form; this only explains it."""

    def clean(self):
        email = self.cleaned_data.get("username")
        if email and self.cleaned_data.get("password"):
            try:
                login_throttle_check(request=self.request, email=email)
            except LoginThrottled:
                raise ValidationError(THROTTLED_MESSAGE, code="throttled")
        return super().clean()


class EmailAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The /admin/ sign-in, throttled like the portal's."""


class PasswordPairMixin(forms.Form):
    """Two password fields checked against each other and against the password policy. The
    form's ``password_user()`` supplies the would-be user for the similarity check."""

    password1 = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def password_user(self) -> User:
        return User()

    def clean_password2(self) -> str:
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            raise ValidationError(_("The two passwords do not match."), code="password_mismatch")
        return password2

    def _post_clean(self) -> None:
        super()._post_clean()
        password = self.cleaned_data.get("password2")
        if password:
            try:
                validate_password(password, self.password_user())
            except ValidationError as error:
                self.add_error("password1", error)


def _website_field() -> forms.Field:
    # Django 6 assumes https for scheme-less URLs; opt in now (and silence the deprecation).
    return Organisation._meta.get_field("website").formfield(assume_scheme="https")


class SignupForm(PasswordPairMixin, forms.ModelForm):
    """The organisation's profile (validated against the model, so an enterprise without a
    credit code is caught here) and its first, admin user."""

    website = _website_field()

    admin_email = forms.EmailField(label=_("Your email"), help_text=_("You will sign in with this address."))
    admin_full_name = forms.CharField(label=_("Your full name"), max_length=100)
    admin_phone = forms.CharField(label=_("Your phone"), max_length=30, required=False)

    class Meta:
        model = Organisation
        fields = ["kind", *ORGANISATION_PROFILE_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------")] + [
            (value, label) for value, label in OrganisationKind.choices if value != OrganisationKind.BUREAU
        ]

    def organisation_fields(self) -> list:
        return [self[name] for name in self.Meta.fields]

    def account_fields(self) -> list:
        return [self[name] for name in ("admin_email", "admin_full_name", "admin_phone", "password1", "password2")]

    def password_user(self) -> User:
        return User(email=self.cleaned_data.get("admin_email", ""),
                    full_name=self.cleaned_data.get("admin_full_name", ""))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {name: data[name] for name in ["kind", *ORGANISATION_PROFILE_FIELDS]}
        kwargs.update(admin_email=data["admin_email"], admin_password=data["password1"],
                      admin_full_name=data["admin_full_name"], admin_phone=data["admin_phone"])
        return kwargs


class OrganisationForm(forms.ModelForm):
    website = _website_field()

    class Meta:
        model = Organisation
        fields = ORGANISATION_PROFILE_FIELDS


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"))
    is_admin = forms.BooleanField(label=_("Organisation admin"), required=False,
                                  help_text=_("May invite and remove members."))

    def __init__(self, *args, organisation: Organisation, may_grant_bureau_staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ROLES_BY_KIND.get(OrganisationKind(organisation.kind), set())
        self.fields["role"].choices = [
            (value, label) for value, label in Role.choices
            if value in allowed and (value != Role.BUREAU_STAFF or may_grant_bureau_staff)
        ]


class InvitationAcceptForm(PasswordPairMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=100)

    field_order = ["full_name", "password1", "password2"]

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def password_user(self) -> User:
        return User(email=self.email, full_name=self.cleaned_data.get("full_name", ""))


class BrokerProfileForm(forms.ModelForm):
    class Meta:
        model = BrokerProfile
        fields = ["capacity", "is_active", "bio"]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


# Where a service's model errors land: user fields carry an ``admin_`` prefix on the sign-up form.
SIGNUP_FIELD_MAP = {"email": "admin_email", "full_name": "admin_full_name", "phone": "admin_phone",
                    "password": "password1"}
SIGNUP_CODE_MAP = {"email_taken": "admin_email"}
ACCEPT_FIELD_MAP = {"password": "password1"}
