"""The participation API (``events.api.participation``): every endpoint × every role, with the
data each role must not see present and asserted absent; no confidential listing field in any
answer; query counts of the lists."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from events.enums import EventStatus, RegistrationStatus
from events.models import EventListing, Registration
from matchmaking.models import PreDockingRun
from tests.events.builders import conference, make_event
from tests.events.test_participation_services import board_world

ROLES = ["anonymous", "ent_a", "ent_b", "university", "bureau", "broker", "investor"]
# Never in an answer of these endpoints (the world's confidential values).
SECRETS = ("024-12345678", "局内备注", "budget_max", "contact_email", "internal_note")


def client_for(world, role: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    user = world.users()[role]
    if user is not None:
        client.force_login(user)
    return client


def api(name: str, event=None) -> str:
    return reverse(f"events-api:{name}", kwargs={"slug": event.slug} if event is not None else {})


def assert_no_secret(response) -> None:
    body = response.content.decode()
    assert not [secret for secret in SECRETS if secret in body]


@pytest.mark.parametrize("role", ROLES)
def test_event_list_and_detail_follow_the_portals_visibility(world, role):
    conf = conference(world)
    draft = make_event(world, slug="draft-2026", status=EventStatus.DRAFT)
    client = client_for(world, role)

    listed = client.get(api("event-list"))
    detail = client.get(api("event-detail", conf.event))
    hidden = client.get(api("event-detail", draft))

    assert listed.status_code == 200
    slugs = {row["slug"] for row in listed.json()["results"]}
    assert slugs == ({conf.event.slug, draft.slug} if role == "bureau" else {conf.event.slug})
    assert detail.status_code == 200
    body = detail.json()
    assert [area["fields"] for area in body["areas"]] == [["energy-storage"]]
    assert {session["kind"] for session in body["sessions"]} == {"negotiation", "roadshow"}
    assert body["registration_open"] is True
    assert hidden.status_code == (200 if role == "bureau" else 404)


@pytest.mark.parametrize("n", [1, 3])
def test_event_list_queries_do_not_grow(world, django_assert_max_num_queries, n):
    for i in range(n):
        make_event(world, slug=f"event-{i}")
    client = client_for(world, "ent_a")

    with django_assert_max_num_queries(6):
        response = client.get(api("event-list"))

    assert response.json()["count"] == n


@pytest.mark.parametrize("role", ROLES)
def test_registrations_list_shows_bureau_staff_all_and_others_their_own(world, role):
    conf = conference(world)
    client = client_for(world, role)

    response = client.get(api("event-registrations", conf.event))

    if role == "anonymous":
        assert response.status_code == 403
        return
    assert response.status_code == 200
    orgs = {row["organisation"]["id"] for row in response.json()["results"]}
    expected = {"bureau": {world.ent_a.pk, world.uni.pk}, "ent_a": {world.ent_a.pk},
                "university": {world.uni.pk}}.get(role, set())
    assert orgs == expected
    assert ("张经理" in response.content.decode()) == (role in ("bureau", "ent_a"))


@pytest.mark.parametrize("role, status", [
    ("anonymous", 403), ("ent_a", 403), ("ent_b", 201), ("university", 403), ("bureau", 201), ("broker", 403),
    ("investor", 403),
])
def test_registering_enterprise_b(world, role, status):
    conf = conference(world)
    client = client_for(world, role)

    response = client.post(api("event-registrations", conf.event),
                           {"organisation": world.ent_b.pk, "delegates": 2, "contact_name": "李工"}, format="json")

    assert response.status_code == status
    registered = Registration.objects.filter(event=conf.event, organisation=world.ent_b)
    if status == 201:
        assert response.json()["organisation"]["id"] == world.ent_b.pk
        assert (registered.get().delegates, registered.get().status) == (2, RegistrationStatus.REGISTERED)
    else:
        assert not registered.exists()


def test_registration_input_is_strict_and_duplicates_are_409(world):
    conf = conference(world)
    client = client_for(world, "ent_a")

    forged = client.post(api("event-registrations", conf.event), {"organisation": world.ent_a.pk,
                                                                  "status": "withdrawn"}, format="json")
    twice = client.post(api("event-registrations", conf.event), {"organisation": world.ent_a.pk}, format="json")
    nobody = client.post(api("event-registrations", conf.event), {"organisation": 999999}, format="json")

    assert forged.status_code == 400 and "status" in forged.json()
    assert (twice.status_code, twice.json()["code"]) == (409, "already_registered")
    assert nobody.status_code == 400 and nobody.json() == {"organisation": ["No such organisation."]}
    assert Registration.objects.filter(event=conf.event).count() == 2


@pytest.mark.parametrize("role, listing, status", [
    ("anonymous", "req_members", 403),
    ("ent_a", "req_members", 201),
    ("ent_a", "req_draft", 400),  # its own, but not published
    ("ent_b", "req_members", 403),  # visible to a member, not theirs
    ("ent_b", "req_restricted", 404),  # invisible to them
    ("university", "ach_restricted", 201),
    ("broker", "req_members", 403),
    ("bureau", "req_restricted", 201),
])
def test_entering_a_listing(world, role, listing, status):
    conf = conference(world)
    target = getattr(world, listing)
    client = client_for(world, role)

    response = client.post(api("event-listings", conf.event), {"kind": target.KIND, "id": target.pk}, format="json")

    assert response.status_code == status
    entered = EventListing.objects.filter(event=conf.event, **{target.KIND: target})
    assert entered.exists() == (status == 201)
    if status == 201:
        assert set(response.json()) == {"id", "kind", "listing_id", "title", "organisation", "area", "entered_at"}
        assert response.json()["area"] == conf.area.pk
    assert_no_secret(response)


@pytest.mark.parametrize("role", ROLES)
def test_status_board_is_for_bureau_staff(world, role):
    conf = conference(world)
    built = board_world(world, conf)
    client = client_for(world, role)

    response = client.get(api("event-status-board", conf.event))
    viewed = client.get(api("event-status-board", conf.event), {"state": "viewed"})

    if role != "bureau":
        assert response.status_code == 403 and viewed.status_code == 403
        assert world.req_public.title not in response.content.decode()
        return
    body = response.json()
    assert body["totals"] == {"no_candidates": 1, "suggested": 1, "viewed": 1, "both_interested": 1,
                              "meeting_booked": 2}
    assert {row["requirement_id"]: row["state"] for row in body["rows"]}[world.req_public.pk] == "both_interested"
    assert [row["requirement_id"] for row in viewed.json()["rows"]] == [built["reqs"]["viewed"].pk]
    assert_no_secret(response)


def test_status_board_refuses_an_unknown_state(world):
    conf = conference(world)

    response = client_for(world, "bureau").get(api("event-status-board", conf.event), {"state": "nonsense"})

    assert response.status_code == 400 and "state" in response.json()


@pytest.mark.parametrize("role", ROLES)
def test_predocking_is_started_by_bureau_staff_only(world, role, django_capture_on_commit_callbacks):
    conf = conference(world)
    client = client_for(world, role)

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(api("event-predocking", conf.event))

    runs = PreDockingRun.objects.filter(scope_key=conf.event.scope_key)
    if role == "bureau":
        assert response.status_code == 201
        assert (response.json()["trigger"], response.json()["scope_key"]) == ("event", conf.event.scope_key)
        assert runs.count() == 2
    else:
        assert response.status_code == 403 and runs.count() == 1  # the builder's


def test_a_second_predocking_while_one_runs_is_409(world, django_capture_on_commit_callbacks):
    conf = conference(world)
    client = client_for(world, "bureau")

    with django_capture_on_commit_callbacks(execute=False):
        client.post(api("event-predocking", conf.event))
        again = client.post(api("event-predocking", conf.event))

    assert (again.status_code, again.json()["code"]) == (409, "run_in_progress")
    assert PreDockingRun.objects.filter(scope_key=conf.event.scope_key).count() == 2
