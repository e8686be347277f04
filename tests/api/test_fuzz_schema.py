"""API fuzzing (issue 7, item 2): Schemathesis generates requests for every operation of the
OpenAPI schema served at /api/schema/, sends them in-process to the WSGI application,
authenticated (DRF token) as each role of the ``world`` fixture, on data that includes
suggestions, and checks every response: no 5xx, a documented status code and content type, and
a body that matches the documented schema.

Bounded: EXAMPLES generated examples per operation and role, derandomized (the same examples on
every run), no shrinking, no deadline. Path ``id`` parameters are drawn from the ids of real
objects as well as generated ones, so that the views get past their 404s. All failures of a role
are collected and reported together."""

import functools

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.matchmaking.builders import suggestion_world

pytestmark = pytest.mark.fuzz

EXAMPLES = 5


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ["anonymous", "ent_a", "ent_b", "university", "broker", "other_broker", "bureau", "investor", "expert",
         "pending"]

# Operations not fuzzed, each for a reason:
EXCLUDED = {
    # Starts a real pre-docking run (tasks run in-process in tests: the encoder and the whole
    # matching pipeline, minutes of CPU per example). Its permissions, validation and throttle are
    # tested in tests/matchmaking and tests/api/test_throttling.py.
    ("POST", "/api/v1/runs/"),
}

# Which model answers a path's {id}: real ids are drawn alongside generated ones.
ID_MODELS = {
    "/api/v1/achievements/": "catalog.Achievement",
    "/api/v1/requirements/": "catalog.Requirement",
    "/api/v1/organisations/": "accounts.Organisation",
    "/api/v1/runs/": "matchmaking.PreDockingRun",
    "/api/v1/suggestions/": "matchmaking.Suggestion",
}


@functools.cache
def api_schema():
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/", application)


def operations():
    ops = [result.ok() for result in api_schema().get_all_operations()]
    return [op for op in ops if (op.method.upper(), op.path) not in EXCLUDED]


@pytest.fixture
def wsgi_in_test_transaction():
    """Requests go through the WSGI handler, whose request signals would close the database
    connection, and with it the test's transaction; Django's test client disconnects them too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_settings(settings):
    # Many requests in one test: the throttles of the expensive endpoints would answer 429
    # (their rates are tested in tests/api/test_throttling.py).
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        scope: "100000/min" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}}
    # Search ranked by keywords, without loading the encoder (as tests/matchmaking's keyword_search).
    settings.TECHDOCK_ENCODER = "st:/nonexistent/techdock-test-encoder"


def real_ids(path: str) -> list[int]:
    from django.apps import apps

    for prefix, label in ID_MODELS.items():
        if path.startswith(prefix + "{id}"):
            return list(apps.get_model(label).objects.order_by("pk").values_list("pk", flat=True))
    return []


def fuzz_operation(op, headers: dict, counter: list) -> None:
    ids = real_ids(op.path)

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(), data=st.data())
    def run(case, data):
        if ids and "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = data.draw(st.sampled_from([*ids, case.path_parameters["id"]]))
        response = case.call(headers=headers)
        counter[0] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_fuzz_api_as_role(role, world, fuzz_settings, wsgi_in_test_transaction):
    suggestion_world(world)
    user = world.users()[role]
    headers = {"Accept-Language": "en"}
    if user is not None:
        headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    failures, counter = [], [0]
    for op in operations():
        try:
            fuzz_operation(op, headers, counter)
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, reported together
            failures.append(f"{op.method.upper()} {op.path} as {role}:\n{exc}")
    print(f"fuzz {role}: {len(operations())} operations, {counter[0]} requests")
    assert not failures, "\n\n".join(failures)
