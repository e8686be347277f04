"""The permission matrix's vocabulary: the roles, the outcomes a request may have, the rows of
the table and the named policies the per-app tables (``tests/permission_matrix/<app>.py``) are
written with. ``tests/test_permission_matrix.py`` runs the table; a row says, for one route and
one method on one object, what each of the nine roles gets back."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "other_broker", "investor", "expert")
SIGNED_IN = tuple(role for role in ROLES if role != "anonymous")


class Outcome(str):
    """What a role gets back, by name (an exact status code is given as an ``int`` instead)."""


# 2xx, or a 3xx that does not send the user to the login page.
OK = Outcome("OK")
# Anything but a refusal (401/403/404/405), a login redirect or a server error: what an
# authorised user gets for a POST with empty or invalid data (400, 409, or a redirect with a
# message) as well as for one that succeeds.
ALLOWED = Outcome("ALLOWED")
# ALLOWED, and the database is left unchanged: a request the route accepts but that may not act
# on this object (a bulk decision naming a pair that is not the user's, reported per pair).
NO_EFFECT = Outcome("NO_EFFECT")
# 400, and the database is left unchanged: input naming an object the user may not see is
# refused like an id that does not exist.
INVALID = Outcome("INVALID")
# Portal: 302 to settings.LOGIN_URL with ?next=. API: 401, or 403 with DRF's "not_authenticated"
# code (session authentication comes first, so DRF answers 403 rather than 401).
LOGIN = Outcome("LOGIN")
# 403 (for the API: a 403 that is not the anonymous "not_authenticated" one).
FORBIDDEN = Outcome("FORBIDDEN")
# 404: the object does not exist for this user.
HIDDEN = Outcome("HIDDEN")
# 405: the route does not take this method.
NOT_ALLOWED = 405

Expect = Mapping[str, Outcome | int]
DENIED = frozenset({LOGIN, FORBIDDEN, HIDDEN, NOT_ALLOWED})
# Outcomes after which a write must have left the database as it was.
UNCHANGED = DENIED | {NO_EFFECT, INVALID}


def policy(default: Outcome | int, /, **roles: Outcome | int) -> dict[str, Outcome | int]:
    """Every role ``default``, except the ones named."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return {role: roles.get(role, default) for role in ROLES}


def only(*allowed: str, outcome: Outcome | int = ALLOWED, others: Outcome | int = FORBIDDEN,
         anonymous: Outcome | int = LOGIN) -> dict[str, Outcome | int]:
    """The named roles get ``outcome``, other signed-in roles ``others``, anonymous visitors
    ``anonymous``."""
    expect = policy(others, anonymous=anonymous)
    expect.update({role: outcome for role in allowed})
    return expect


# Named policies used by many rows.
PUBLIC = policy(OK)
SIGNED_IN_OK = policy(OK, anonymous=LOGIN)
SIGNED_IN_ALLOWED = policy(ALLOWED, anonymous=LOGIN)
BUREAU_PAGE = only("bureau", outcome=OK)
BUREAU_ONLY = only("bureau")
NOBODY = policy(HIDDEN)


@dataclass(frozen=True)
class Row:
    """One route, one method, one object: what each role gets.

    ``kwargs`` and ``data`` are built from the matrix's data (``tests.permission_matrix.data``)
    when the row runs. ``data`` is the request body: a form for portal routes, JSON for API
    routes. Where a view validates its input before it checks permissions, a row sends input
    that passes validation, so that the permission check is what decides (every request runs
    in a savepoint that is rolled back, so an allowed write changes nothing for the next one).
    ``bugs`` holds roles whose expectation is right but whose observed outcome is not: they run
    as a separate strict xfail with the reason."""

    route: str
    method: str
    expect: Expect
    kwargs: Callable[[Any], dict] | None = None
    obj: str = ""
    data: Callable[[Any], dict] | None = None
    query: str = ""
    bugs: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        missing = set(ROLES) - set(self.expect)
        if missing:
            raise ValueError(f"{self.route} {self.method}: no expectation for {sorted(missing)}")
        if set(self.bugs) - set(ROLES):
            raise ValueError(f"{self.route} {self.method}: bugs for unknown roles")

    @property
    def id(self) -> str:
        return f"{self.route}[{self.method}{'|' + self.obj if self.obj else ''}]"

    @property
    def is_api(self) -> bool:
        namespace = self.route.split(":", 1)[0]
        return namespace.endswith("-api") or self.route in ("api-schema",)
