"""Login throttling: after ``TECHDOCK_LOGIN_MAX_FAILURES`` (5) failed sign-ins, the next
attempt is refused — even with the right password — for the same account (from any IP) and,
counted separately, from the same client IP (for any account), until no failure has been
recorded for ``TECHDOCK_LOGIN_FAILURE_WINDOW`` (300) seconds.

Policy, and why:
- Every sign-in path counts and is refused alike: the portal's login form, /admin/ and the
  API token endpoint all call ``authenticate()``, whose backend (``accounts.backends``) checks
  and records here; the forms check first only to show the translated message.
- The window restarts at each failure (the counter's expiry is renewed), so six failures
  within any five minutes can never all be attempted; a refused attempt is not a failure and
  does not prolong the lock.
- A successful sign-in resets no counter. Failures of an account come from any IP: a
  legitimate sign-in clearing them would hand an attacker elsewhere five more guesses, and an
  attacker signing in to an account of their own would clear their IP's count.
- Counts live in the default cache (Redis in production, shared by every web process; see
  settings) under hashed keys; when the cache is down, authentication fails loudly rather
  than unthrottled.
- Refusals are security audit events (``auth.login_throttled``)."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from common.audit import audit_event
from common.middleware import client_ip

THROTTLED_MESSAGE = _("Too many failed sign-in attempts. Please try again in a few minutes.")


class LoginThrottled(PermissionDenied):
    """The attempt is refused without checking the password. A ``PermissionDenied``, so that
    ``authenticate()`` stops at the backend that raises it instead of trying the next one."""

    def __init__(self, scope: str):
        super().__init__(str(THROTTLED_MESSAGE))
        self.scope = scope
        self.message = THROTTLED_MESSAGE
        self.retry_after = settings.TECHDOCK_LOGIN_FAILURE_WINDOW


def login_throttle_keys(*, email: str | None, ip: str | None) -> dict[str, str]:
    """The cache keys of the counters an attempt falls under, by scope ("account", "ip")."""
    keys = {}
    if email:
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        keys["account"] = f"login-failures:account:{digest}"
    if ip:
        keys["ip"] = f"login-failures:ip:{ip}"
    return keys


def login_throttle_check(*, request, email: str | None) -> None:
    """Raise ``LoginThrottled`` (and write the audit line) when this attempt must be refused."""
    keys = login_throttle_keys(email=email, ip=client_ip(request) if request is not None else None)
    counts = cache.get_many(list(keys.values()))
    for scope, key in keys.items():
        if counts.get(key, 0) >= settings.TECHDOCK_LOGIN_MAX_FAILURES:
            audit_event("auth.login_throttled", email=email or "", scope=scope)
            raise LoginThrottled(scope)


def login_failure_record(*, request, email: str | None) -> None:
    """Count one failed attempt against the account and the client IP."""
    window = settings.TECHDOCK_LOGIN_FAILURE_WINDOW
    keys = login_throttle_keys(email=email, ip=client_ip(request) if request is not None else None)
    for key in keys.values():
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)  # atomic: parallel guesses are all counted
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=window)
        cache.touch(key, timeout=window)
