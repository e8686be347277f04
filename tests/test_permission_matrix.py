"""The permission matrix (issue 7, item 1): every URL pattern of the site and every operation of
the OpenAPI schema × every role (anonymous, a member of enterprise A, a member of enterprise B,
a university member, bureau staff, the assigned broker, an unassigned broker, an investor, an
expert) × method, with the exact expected outcome, on data that holds what each role must not
see (``tests.permission_matrix.data``).

The table lives in ``tests/permission_matrix/<app>.py``; its vocabulary (outcomes, policies,
rows) in ``tests/permission_matrix/__init__.py``. ``test_every_route_has_a_row`` and
``test_every_api_operation_has_a_row`` fail, naming them, for a route of the URL resolver or an
operation of the schema that has no row, and for a row whose route or operation no longer
exists: a new endpoint cannot escape the matrix. The admin site is one rule (every pattern, every
role, none of whom is staff: the admin's login page). ``test_matrix_size`` prints what was
covered (routes, API operations, roles, requests).

How it runs: the data is built once, in a transaction rolled back after the module; each role
signs in once and its session cookie is set on one shared client before each of its requests;
each request runs in a savepoint rolled back after it, so an allowed write (which a row may make
on purpose, sending valid input where a view validates before it checks permissions) never
changes what the next request sees. For every write that must be refused or have no effect (any
method but GET), the test also asserts that the request wrote no row at all (SQLite's
``total_changes()``, PostgreSQL's ``pg_stat_xact_user_tables`` but the sessions table) and names
the statements that did. One pytest test per row (route × method × object) names the route when
it fails and lists each role's expected and observed outcome.

Size (printed and checked by ``test_matrix_size``): 209 routes (+167 admin patterns), 98 API
operations, 9 roles; 301 rows; 2,709 requests + 1,503 admin requests = 4,212 requests. About
85 s on SQLite and 80-130 s on PostgreSQL (depending on the load) on a shared two-core machine.

The matrix checks who gets what answer, not which fields an answer holds: field-level redaction
has its own tests (tests/catalog, tests/matchmaking, tests/events…).
``test_pair_events_api_hides_routing_from_the_parties`` is one such finding (fixed).

Format-suffix patterns (``(?P<format>…)``, DRF's ``.json`` variants) are not in the matrix: our
routers are ``SimpleRouter``s, which add none; if one appears, it is the same view as the route
it suffixes and is left out of the enumeration on purpose.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from http.cookies import SimpleCookie

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.permission_matrix import (
    ALLOWED,
    FORBIDDEN,
    HIDDEN,
    INVALID,
    LOGIN,
    NO_EFFECT,
    OK,
    ROLES,
    UNCHANGED,
    Row,
)
from tests.permission_matrix import accounts as accounts_table
from tests.permission_matrix import catalog as catalog_table
from tests.permission_matrix import events as events_table
from tests.permission_matrix import matchmaking as matchmaking_table
from tests.permission_matrix import site as site_table

TABLES = (site_table, accounts_table, catalog_table, matchmaking_table, events_table)
ROWS: list[Row] = [row for table in TABLES for row in table.ROWS]
ADMIN_NAMESPACE = "admin"
# Marked so that pytest-django sets up the test database; each test then runs in a savepoint of
# the module's transaction (``matrix``).
pytestmark = pytest.mark.django_db

# What test_matrix_size found last time it was checked; it fails if the matrix shrinks below.
MIN_ROUTES = 209
MIN_API_OPERATIONS = 98
MIN_REQUESTS = 4212


# --- enumerating the site ----------------------------------------------------------------------

@dataclass(frozen=True)
class Pattern:
    key: str  # the namespaced URL name, or "<namespace>:<unnamed> <route>" for a pattern without one
    route: str  # the full route, as the resolver holds it
    pattern: URLPattern


def iter_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = "") -> Iterator[Pattern]:
    resolver = resolver or get_resolver()
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            inner = namespace
            if item.namespace:
                inner = f"{namespace}:{item.namespace}" if namespace else item.namespace
            yield from iter_patterns(item, prefix + str(item.pattern), inner)
            continue
        route = prefix + str(item.pattern)
        if "(?P<format>" in route:
            continue  # a format suffix of another route: see the module docstring
        if item.name:
            key = f"{namespace}:{item.name}" if namespace else item.name
        else:
            key = f"{namespace}:<unnamed> {route}"
        yield Pattern(key=key, route=route, pattern=item)


def site_patterns() -> list[Pattern]:
    return [p for p in iter_patterns() if not p.key.startswith(f"{ADMIN_NAMESPACE}:")]


def admin_patterns() -> list[Pattern]:
    return [p for p in iter_patterns() if p.key.startswith(f"{ADMIN_NAMESPACE}:")]


# Sample values for path parameters of the schema, to find the route each operation belongs to.
SCHEMA_SAMPLES = {"id": "1", "pk": "1", "slug": "sample", "kind": "suggestions"}


@cache
def api_operations() -> dict[tuple[str, str], str]:
    """Every operation of the OpenAPI schema: (URL name, METHOD) -> "METHOD /path"."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {}
    for path, item in schema["paths"].items():
        sample = re.sub(r"\{(\w+)\}", lambda m: SCHEMA_SAMPLES.get(m.group(1), "1"), path)
        view_name = resolve(sample).view_name
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                operations[(view_name, method.upper())] = f"{method.upper()} {path}"
    return operations


# --- running a request -------------------------------------------------------------------------

@dataclass
class Session:
    data: object  # tests.permission_matrix.data.MatrixData
    cookies: dict[str, str]  # role -> session cookie ("" for anonymous visitors)
    client: Client  # one for all requests: a new one would load the middleware (and WhiteNoise's files) again


def rows_written() -> int:
    """How many rows the connection has inserted, updated or deleted so far (in this transaction,
    for PostgreSQL; the sessions table left out there)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
                           " WHERE relname <> 'django_session'")
        else:
            cursor.execute("SELECT total_changes()")
        return int(cursor.fetchone()[0])


def login_path() -> str:
    return resolve_url(settings.LOGIN_URL)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response.get("Location", "").startswith(login_path() + "?next=")


def is_api_login(response) -> bool:
    if response.status_code == 401:
        return True
    detail = (getattr(response, "data", None) or {}).get("detail") if response.status_code == 403 else None
    return getattr(detail, "code", None) == "not_authenticated"


def matches(expected, response, *, api: bool) -> bool:
    status = response.status_code
    login = is_api_login(response) if api else is_login_redirect(response)
    if isinstance(expected, int):
        return status == expected and not login
    if expected == OK:
        return (200 <= status < 300 or 300 <= status < 400) and not login
    if expected in (ALLOWED, NO_EFFECT):
        return status < 500 and status not in (401, 403, 404, 405) and not login
    if expected == INVALID:
        return status == 400
    if expected == LOGIN:
        return login
    if expected == FORBIDDEN:
        return status == 403 and not login
    if expected == HIDDEN:
        return status == 404
    raise AssertionError(f"unknown outcome {expected!r}")


def describe(response) -> str:
    where = response.get("Location", "")
    code = ""
    data = getattr(response, "data", None)
    if isinstance(data, dict) and "detail" in data:
        code = f" {getattr(data['detail'], 'code', '') or data.get('code', '')}"
    return f"{response.status_code}{' → ' + where if where else ''}{code}"


def send(client: Client, method: str, url: str, body: dict | None, *, api: bool):
    if method == "GET":
        return client.get(url, body or {})
    if api:
        return client.generic(method, url, json.dumps(body or {}), content_type="application/json")
    if method == "POST":
        return client.post(url, body or {})
    return client.generic(method, url)


def request_as(session: Session, role: str, method: str, url: str, body: dict | None, *, api: bool,
               check_unchanged: bool) -> tuple[object, str]:
    """One request as one role, in a savepoint rolled back after it. Returns the response and,
    for a refused write that changed the database, the statements that did."""
    client = session.client
    client.cookies = SimpleCookie()
    if session.cookies[role]:
        client.cookies[settings.SESSION_COOKIE_NAME] = session.cookies[role]
    changed = ""
    with transaction.atomic():
        before = rows_written() if check_unchanged else 0
        if check_unchanged:
            # The log keeps the last 9000 queries; once full, a capture would see none.
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                response = send(client, method, url, body, api=api)
        else:
            response = send(client, method, url, body, api=api)
        written = rows_written() - before if check_unchanged and response.status_code < 500 else 0
        if written:
            changed = f"{written} rows: " + "; ".join(
                q["sql"][:90] for q in queries.captured_queries
                if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")))
        transaction.set_rollback(True)
    return response, changed


def run_row(row: Row, session: Session, roles) -> list[str]:
    data = session.data
    url = reverse(row.route, kwargs=row.kwargs(data) if row.kwargs else None)
    if row.query:
        url = f"{url}?{row.query}"
    failures = []
    for role in roles:
        expected = row.expect[role]
        body = row.data(data) if row.data else None  # afresh for each request: it may hold a file
        check_unchanged = row.method != "GET" and expected in UNCHANGED
        response, changed = request_as(session, role, row.method, url, body, api=row.is_api,
                                       check_unchanged=check_unchanged)
        if not matches(expected, response, api=row.is_api):
            failures.append(f"  {role}: expected {expected}, got {describe(response)}")
        elif changed:
            failures.append(f"  {role}: refused ({describe(response)}) but the database changed: {changed}")
    return failures


# --- fixtures --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Session]:
    """The data and each role's session, built once and rolled back after the module. Search
    runs without an encoder (one that is not on this server), ranked by keywords."""
    from tests.permission_matrix.data import build

    overrides = override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("matrix-media")),
                                  TECHDOCK_ENCODER="st:/nonexistent/techdock-test-encoder")
    with overrides, django_db_blocker.unblock(), transaction.atomic():
        data = build()
        cookies = {}
        for role, user in data.users.items():
            client = Client()
            if user is not None:
                client.force_login(user)
            cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value if user is not None else ""
        yield Session(data=data, cookies=cookies, client=Client(raise_request_exception=False))
        transaction.set_rollback(True)


# --- the tests ---------------------------------------------------------------------------------

def test_every_route_has_a_row():
    """Every pattern of the URL resolver (but the admin's, one rule below) has a row, and every
    row's route exists."""
    routes = {p.key for p in site_patterns()}
    covered = {row.route for row in ROWS}
    missing = sorted(routes - covered)
    stale = sorted(covered - routes)
    assert not missing and not stale, (
        f"Routes without a row in tests/permission_matrix ({len(missing)}):\n  " + "\n  ".join(missing)
        + f"\nRows whose route no longer exists ({len(stale)}):\n  " + "\n  ".join(stale))


def test_every_api_operation_has_a_row():
    """Every operation (path × method) of the OpenAPI schema has a row, and every API row is an
    operation of the schema."""
    operations = api_operations()
    covered = {(row.route, row.method) for row in ROWS if row.is_api and row.route != "api-schema"}
    missing = sorted(f"{operations[key]} ({key[0]})" for key in operations.keys() - covered)
    stale = sorted(f"{method} {name}" for name, method in covered - operations.keys())
    assert not missing and not stale, (
        f"API operations without a row in tests/permission_matrix ({len(missing)}):\n  " + "\n  ".join(missing)
        + f"\nAPI rows that are not an operation of the schema ({len(stale)}):\n  " + "\n  ".join(stale))


def _params():
    for row in ROWS:
        others = [role for role in ROLES if role not in row.bugs]
        yield pytest.param(row, tuple(others), id=row.id)
        for role, reason in row.bugs.items():
            yield pytest.param(row, (role,), id=f"{row.id}-{role}",
                               marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize(("row", "roles"), list(_params()))
def test_permission(matrix: Session, row: Row, roles: tuple[str, ...]):
    failures = run_row(row, matrix, roles)
    assert not failures, f"{row.method} {row.route} ({row.obj or 'no object'}):\n" + "\n".join(failures)


def admin_url(pattern: Pattern) -> str:
    """A concrete path for an admin pattern: its path converters and regex groups filled in with
    sample values (the first of an alternation such as the app list's ``(?P<app_label>a|b)``)."""
    path = re.sub(r"\(\?P<\w+>([^)|]*)[^)]*\)", lambda m: m.group(1) or "x", pattern.route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", "1", path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    path = "/" + path.replace(".*", "x")
    match = resolve(path)
    assert match.func == pattern.pattern.callback or match.route == pattern.route, (pattern.key, path)
    return path


def test_admin_site_is_for_staff_only(matrix: Session):
    """None of the nine roles is staff: every admin pattern sends them to the admin's login page,
    but admin:login itself (its form) and admin:logout (which sends them to the admin index,
    and from there to the login page)."""
    assert not any(user.is_staff or user.is_superuser for user in matrix.data.users.values() if user)
    admin_login = reverse("admin:login")
    failures = []
    patterns = admin_patterns()
    for pattern in patterns:
        url = admin_url(pattern)
        for role in ROLES:
            response, _changed = request_as(matrix, role, "GET", url, None, api=False, check_unchanged=False)
            if pattern.key == "admin:login":
                ok = response.status_code == 200
            elif pattern.key == "admin:logout":
                ok = response.status_code == 302 and response["Location"] == reverse("admin:index")
            else:
                ok = response.status_code == 302 and response["Location"].startswith(admin_login + "?next=")
            if not ok:
                failures.append(f"  {pattern.key} {url} {role}: got {describe(response)}")
    assert len(patterns) > 100
    assert not failures, "Admin pages not refused to non-staff roles:\n" + "\n".join(failures)


def test_pair_events_api_hides_routing_from_the_parties(matrix: Session):
    """Found while building the matrix (a field its status codes cannot see): the API gave the
    parties the pair's routing events, which the portal's timeline leaves out for them
    (``matchmaking.selectors.pair_events_for_user`` now serves both)."""
    from matchmaking import lifecycle
    from matchmaking.routing import suggestion_assign

    data = matrix.data
    with transaction.atomic():
        # given a pair reassigned to another broker, then approved and sent to the parties
        pair = data.sw.unreviewed
        suggestion_assign(actor=data.w.bureau, suggestion=pair, broker=data.w.other_broker)
        pair.refresh_from_db()
        lifecycle.suggestion_approve(actor=data.w.bureau, suggestion=pair)
        lifecycle.suggestion_send(suggestion_id=pair.pk)
        url = reverse("matchmaking-api:pair-events", kwargs={"pk": pair.pk})
        # when enterprise A reads its audit trail, and its page
        api, _ = request_as(matrix, "ent_a", "GET", url, None, api=True, check_unchanged=False)
        page, _ = request_as(matrix, "ent_a", "GET", reverse("matchmaking:pair-detail", kwargs={"pk": pair.pk}),
                             None, api=False, check_unchanged=False)
        transaction.set_rollback(True)
    # then both leave the routing out
    assert [event.action for event in page.context["events"]] == ["approved", "sent"]
    assert [event["action"] for event in api.json()["results"]] == ["approved", "sent"]


def test_matrix_size():
    """How much the matrix covers; fails if it shrinks."""
    routes = site_patterns()
    operations = api_operations()
    admin = admin_patterns()
    requests = len(ROWS) * len(ROLES) + len(admin) * len(ROLES)
    summary = (f"permission matrix: {len(routes)} routes (+{len(admin)} admin patterns), {len(operations)} API "
               f"operations, {len(ROLES)} roles, {len(ROWS)} rows (route × method × object), {requests} requests "
               f"({len(ROWS) * len(ROLES)} + {len(admin) * len(ROLES)} admin) on {connection.vendor}")
    print(summary)
    assert len(routes) >= MIN_ROUTES and len(operations) >= MIN_API_OPERATIONS and requests >= MIN_REQUESTS, summary
