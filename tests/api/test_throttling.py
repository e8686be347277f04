"""Rate limits of the expensive API endpoints: search (per user, per IP for anonymous callers)
and starting pre-docking runs (per user, writes only). Over the limit: 429 with a message.
The requests here are malformed on purpose (400): throttling is decided before the view runs,
so each one counts without loading the encoder."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from common.throttling import ScopedRateThrottle, ScopedWriteRateThrottle
from matchmaking.api.views import RunViewSet, SearchView
from matchmaking.models import PreDockingRun

SEARCH = "/api/v1/search/"


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "search": "2/min", "runs": "2/hour"}}


def client_for(user, ip: str = "127.0.0.1") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def test_expensive_endpoints_declare_their_scopes():
    assert (SearchView.throttle_classes, SearchView.throttle_scope) == ([ScopedRateThrottle], "search")
    assert (RunViewSet.throttle_classes, RunViewSet.throttle_scope) == ([ScopedWriteRateThrottle], "runs")


def test_default_rates_include_the_imports_scope(settings):
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) >= {"search", "runs", "imports"}


def test_anonymous_search_is_limited_per_ip(db, low_rates):
    client = client_for(None, ip="10.0.0.1")
    assert [client.get(SEARCH).status_code for _ in range(2)] == [400, 400]

    response = client.get(SEARCH)

    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled.")
    assert int(response["Retry-After"]) > 0
    # another IP has its own budget
    assert client_for(None, ip="10.0.0.2").get(SEARCH).status_code == 400


def test_spoofed_forwarded_for_does_not_reset_the_anonymous_budget(db, low_rates):
    client = client_for(None, ip="10.0.0.3")
    codes = [client.get(SEARCH, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(3)]

    assert codes == [400, 400, 429]


def test_search_is_limited_per_user_not_per_ip(world, low_rates):
    for ip in ("10.0.1.1", "10.0.1.2"):
        assert client_for(world.ent_a_member, ip=ip).get(SEARCH).status_code == 400

    # the same user from a third address is over the limit
    assert client_for(world.ent_a_member, ip="10.0.1.3").get(SEARCH).status_code == 429
    # another user from the same address is not
    assert client_for(world.ent_b_member, ip="10.0.1.3").get(SEARCH).status_code == 400


def test_starting_runs_is_limited_but_reading_them_is_not(world, low_rates):
    client = client_for(world.bureau)
    url = reverse("matchmaking-api:run-list")
    bad_request = {"unknown": 1}  # refused by the input serializer, after the throttle counted it
    assert [client.post(url, bad_request, format="json").status_code for _ in range(2)] == [400, 400]

    response = client.post(url, {}, format="json")

    assert response.status_code == 429
    assert "throttled" in response.json()["detail"]
    assert not PreDockingRun.objects.exists()
    # watching runs is never throttled
    assert {client.get(url).status_code for _ in range(5)} == {200}
