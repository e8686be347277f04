"""The roadshow API: every endpoint × every role with the data each must not see, the investor's
matches without asking prices, interest recorded and read, the investor's profile with its
refusals (400, nothing written), and the programme's query count with 1 and 3 presentations."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from events.enums import InterestLevel, RegistrationStatus
from events.models import InvestorInterest, InvestorProfile, Registration
from tests.events.builders import conference
from tests.events.test_roadshows import ASK_MAX, ASK_MIN, OTHER_NOTE, add_entry, make_roadshow, set_profile
from tests.events.test_roadshows_pages import MEMBERS_TITLE, PUBLIC_TITLE, RESTRICTED_TITLE
from tests.factories import AchievementFactory, field

ROLES = ["anonymous", "ent_a", "university", "investor", "bureau", "broker"]


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def api(name: str, rs, **kwargs) -> str:
    return reverse(f"events-api:{name}", kwargs={"slug": rs.event.slug, **kwargs})


def text(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


def assert_no_secrets(response) -> None:
    body = response.content.decode()
    assert str(ASK_MIN) not in body and str(ASK_MAX) not in body
    assert RESTRICTED_TITLE not in text(response)


# --- the programme -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_programme_as_every_role(world, role):
    rs = make_roadshow(world)

    response = client_for(world.users()[role]).get(api("roadshow-list", rs))

    assert response.status_code == 200
    sessions = response.json()
    assert [s["id"] for s in sessions] == [rs.conf.roadshow.pk]
    titles = [e["achievement"]["title"] for e in sessions[0]["entries"]]
    assert titles == ([PUBLIC_TITLE] if role == "anonymous" else [PUBLIC_TITLE, MEMBERS_TITLE])
    first = sessions[0]["entries"][0]
    assert set(first["achievement"]) == {"id", "title", "summary", "organisation", "trl", "keywords", "fields"}
    assert (first["presenter"], first["minutes"], first["my_interest"]) == ("李教授", 15, None)
    assert OTHER_NOTE not in text(response)
    assert_no_secrets(response)


def test_the_programme_shows_the_investor_its_own_interest_only(world):
    rs = make_roadshow(world)
    InvestorInterest.objects.create(entry=rs.members_entry, registration=rs.reg_investor, level="follow", note="看看")

    entries = client_for(world.investor).get(api("roadshow-list", rs)).json()[0]["entries"]

    assert [e["my_interest"] and e["my_interest"]["level"] for e in entries] == [None, "follow"]


def test_the_programme_of_an_unknown_event_is_not_found(world):
    response = APIClient().get(reverse("events-api:roadshow-list", kwargs={"slug": "nowhere"}))

    assert response.status_code == 404


def _programme_queries(world, n: int, user) -> int:
    conf = conference(world, slug=f"api-{n}")
    Registration.objects.create(event=conf.event, organisation=world.investor_org)
    for i in range(n):
        add_entry(conf.roadshow, AchievementFactory(organisation=world.uni, title=f"成果{i}",
                                                    fields=[field("ai"), field("energy-storage")]))
    client = client_for(user)
    url = reverse("events-api:roadshow-list", kwargs={"slug": conf.event.slug})
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(response.json()[0]["entries"]) == n
    return len(queries)


@pytest.mark.parametrize("role", ["anonymous", "investor"])
def test_the_programme_costs_the_same_queries_for_1_and_3_presentations(world, role):
    user = world.users()[role]

    assert _programme_queries(world, 1, user) == _programme_queries(world, 3, user)


# --- matches -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_matches_are_the_registered_investors_only(world, role):
    rs = make_roadshow(world)
    set_profile(rs.reg_investor, stages=["seed"], ticket=(7000, 9000), fields=["energy-storage"], focus="锂电池")

    response = client_for(world.users()[role]).get(api("roadshow-matches", rs))

    if role != "investor":
        assert response.status_code == 403
        assert PUBLIC_TITLE not in text(response)
        return
    assert response.status_code == 200
    matches = response.json()
    assert [(m["entry"], m["in_roadshow"]) for m in matches] == [(rs.entry.pk, True), (rs.members_entry.pk, True)]
    best = matches[0]
    assert best["score"] == 0.95 and best["components"] == {"fields": 1.0, "stage": 1.0, "ticket": 1.0, "focus": 0.5}
    assert [r["code"] for r in best["reasons"]] == ["shared_field", "stage_fit", "ticket_fit", "focus"]
    assert "Asking price within your ticket range" in text(response)
    assert OTHER_NOTE not in text(response)
    assert_no_secrets(response)


def test_matches_limit_is_bounded(world):
    rs = make_roadshow(world)
    client = client_for(world.investor)

    assert len(client.get(api("roadshow-matches", rs), {"limit": 1}).json()) == 1
    assert client.get(api("roadshow-matches", rs), {"limit": 0}).status_code == 400


def test_a_withdrawn_investor_has_no_matches(world):
    rs = make_roadshow(world)
    Registration.objects.filter(pk=rs.reg_investor.pk).update(status=RegistrationStatus.WITHDRAWN)

    response = client_for(world.investor).get(api("roadshow-matches", rs))

    assert response.status_code == 403
    assert response.json()["code"] == "not_investor"


# --- interest ------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_recording_interest_by_role(world, role):
    rs = make_roadshow(world)

    response = client_for(world.users()[role]).post(api("roadshow-entry-interest", rs, id=rs.entry.pk),
                                                    {"level": "due_diligence", "note": "尽调"}, format="json")

    mine = InvestorInterest.objects.filter(registration=rs.reg_investor)
    if role == "investor":
        assert response.status_code == 200
        assert response.json() | {"updated_at": None} == {
            "entry": rs.entry.pk, "level": "due_diligence", "level_label": "Due diligence", "note": "尽调",
            "updated_at": None}
        assert list(mine.values_list("entry_id", "level", "note")) == [(rs.entry.pk, "due_diligence", "尽调")]
    else:
        assert response.status_code == 403
        assert not mine.exists() and InvestorInterest.objects.count() == 1


@pytest.mark.parametrize("payload, error_field", [
    ({"level": "adore"}, "level"),
    ({"level": "meeting", "note": "x" * 1001}, "note"),
    ({}, "level"),
])
def test_bad_interest_is_refused(world, payload, error_field):
    rs = make_roadshow(world)

    response = client_for(world.investor).post(api("roadshow-entry-interest", rs, id=rs.entry.pk), payload,
                                               format="json")

    assert response.status_code == 400
    assert error_field in response.json()
    assert not InvestorInterest.objects.filter(registration=rs.reg_investor).exists()


def test_interest_of_a_withdrawn_investor_is_refused_with_the_reason(world):
    rs = make_roadshow(world)
    Registration.objects.filter(pk=rs.reg_investor.pk).update(status=RegistrationStatus.WITHDRAWN)

    response = client_for(world.investor).post(api("roadshow-entry-interest", rs, id=rs.entry.pk),
                                               {"level": "meeting"}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "registration_withdrawn"
    assert not InvestorInterest.objects.filter(registration=rs.reg_investor).exists()


def test_interest_in_a_restricted_presentation_is_not_found(world):
    rs = make_roadshow(world)

    response = client_for(world.investor).post(api("roadshow-entry-interest", rs, id=rs.restricted_entry.pk),
                                               {"level": "meeting"}, format="json")

    assert response.status_code == 404
    assert not InvestorInterest.objects.filter(registration=rs.reg_investor).exists()


READS_INTEREST = {"university", "bureau"}


@pytest.mark.parametrize("role", ROLES)
def test_reading_interest_by_role(world, role):
    rs = make_roadshow(world)
    InvestorInterest.objects.create(entry=rs.entry, registration=rs.reg_investor, level=InterestLevel.FOLLOW)

    response = client_for(world.users()[role]).get(api("roadshow-entry-interest", rs, id=rs.entry.pk))

    if role in READS_INTEREST:
        assert response.status_code == 200
        assert [(row["investor"], row["level"], row["note"]) for row in response.json()] == [
            ("Fund B", "meeting", OTHER_NOTE), ("VC Fund", "follow", "")]
    else:
        assert response.status_code == 403
        assert OTHER_NOTE not in text(response)


@pytest.mark.parametrize("role, status", [("university", 200), ("bureau", 200), ("ent_a", 404), ("investor", 404),
                                          ("broker", 404), ("anonymous", 403)])
def test_interest_in_a_restricted_presentation_is_only_its_owners_and_the_bureaus(world, role, status):
    rs = make_roadshow(world)

    response = client_for(world.users()[role]).get(api("roadshow-entry-interest", rs, id=rs.restricted_entry.pk))

    assert response.status_code == status


# --- the investor's profile ----------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_profile_by_role(world, role):
    rs = make_roadshow(world)
    energy = field("energy-storage")
    client = client_for(world.users()[role])
    payload = {"stages": ["series_a", "seed"], "ticket_min": 100, "ticket_max": 500, "fields": [energy.pk],
               "focus": "储能"}

    put = client.put(api("investor-profile", rs), payload, format="json")
    get = client.get(api("investor-profile", rs))

    if role != "investor":
        assert (put.status_code, get.status_code) == (403, 403)
        assert not InvestorProfile.objects.exists()
        return
    assert put.status_code == 200 and get.status_code == 200
    assert get.json() == {
        "registration": rs.reg_investor.pk, "investor": "VC Fund", "stages": ["seed", "series_a"],
        "ticket_min": 100, "ticket_max": 500, "focus": "储能",
        "fields": [{"id": energy.pk, "code": "energy-storage", "name": "Energy storage & batteries"}]}


@pytest.mark.parametrize("payload, error_field", [
    ({"ticket_min": 500, "ticket_max": 100}, "ticket_max"),
    ({"stages": ["series_z"]}, "stages"),
    ({"fields": [987654]}, "fields"),
    ({"ticket_min": -5}, "ticket_min"),
])
def test_a_bad_profile_is_refused_field_by_field(world, payload, error_field):
    rs = make_roadshow(world)

    response = client_for(world.investor).put(api("investor-profile", rs), payload, format="json")

    assert response.status_code == 400
    assert error_field in response.json()
    assert not InvestorProfile.objects.exists()
