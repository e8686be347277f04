"""Security audit lines for Django's sign-in signals (the one place signals are used here:
they are the only hook that sees every session sign-in and every failed ``authenticate()``)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from common.audit import audit_event


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    audit_event("auth.login", user=user, method="session")


@receiver(user_login_failed, dispatch_uid="accounts.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the attempted email: never the password, nor the rest of the credentials.
    email = credentials.get("username") or credentials.get("email") or ""
    audit_event("auth.login_failed", email=str(email)[:254])
