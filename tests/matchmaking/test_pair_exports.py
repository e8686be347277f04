"""Spreadsheets of suggestions, meetings and agreements: each reader's rows only, the same
through the API and the portal, formulas neutralised, bad requests refused with a message."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from matchmaking.models import Agreement, Meeting, MeetingStatus, SuggestionStatus
from tests.factories import RequirementFactory
from tests.matchmaking.builders import make_suggestion, suggestion_world


def rows_of(response) -> list[dict]:
    if response["Content-Type"].startswith("text/csv"):
        return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def pairs(world):
    data = suggestion_world(world)
    # a signed pair of enterprise B (with a formula-like title) and a meeting on the approved pair
    tricky = RequirementFactory(organisation=world.ent_b, title="=HYPERLINK(\"http://evil\")")
    signed = make_suggestion(data.run, tricky, world.ach_public, status=SuggestionStatus.SIGNED,
                             broker=world.other_broker)
    Agreement.objects.create(suggestion=signed, contract_type="transfer", amount="12.50",
                             signed_on=timezone.localdate(), requirement_organisation=world.ent_b,
                             achievement_organisation=world.uni, broker=world.other_broker)
    Meeting.objects.create(suggestion=data.approved, starts_at=timezone.now() + timedelta(days=1),
                           status=MeetingStatus.CONFIRMED, location="腾讯会议")
    return data, signed


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_suggestions_export_holds_exactly_what_the_reader_sees(world, pairs, fmt):
    data, signed = pairs
    url = "/api/v1/exports/suggestions/"

    def ids(role: str) -> set[int]:
        response = api(world.users()[role]).get(url, {"format": fmt}, HTTP_ACCEPT_LANGUAGE="en")
        return {int(row["ID"]) for row in rows_of(response)}

    by_role = {role: ids(role) for role in ("bureau", "broker", "other_broker", "ent_b")}

    assert by_role["bureau"] == {data.approved.pk, data.unreviewed.pk, data.restricted.pk, data.other_org.pk, signed.pk}
    assert by_role["broker"] == {data.approved.pk, data.unreviewed.pk, data.restricted.pk}
    assert by_role["other_broker"] == {data.other_org.pk, signed.pk}
    assert by_role["ent_b"] == {data.other_org.pk, signed.pk}


def test_exported_cells_that_look_like_formulas_are_neutralised(world, pairs):
    data, signed = pairs
    response = api(world.bureau).get("/api/v1/exports/agreements/", {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")

    (row,) = rows_of(response)
    assert row["Requirement"] == "'=HYPERLINK(\"http://evil\")"
    assert (row["Pair"], row["Amount (10k CNY)"]) == (signed.pk, 12.5)


def test_meetings_and_agreements_follow_the_pairs_visibility(world, pairs):
    data, signed = pairs
    meetings = {role: rows_of(api(world.users()[role]).get("/api/v1/exports/meetings/", {"format": "csv"}))
                for role in ("broker", "other_broker", "ent_a")}
    agreements = {role: rows_of(api(world.users()[role]).get("/api/v1/exports/agreements/", {"format": "csv"}))
                  for role in ("broker", "other_broker", "university")}

    assert [len(meetings[r]) for r in ("broker", "other_broker", "ent_a")] == [1, 0, 1]
    assert [len(agreements[r]) for r in ("broker", "other_broker", "university")] == [0, 1, 1]


def test_the_portal_serves_the_same_rows_and_needs_a_login(world, pairs):
    url = reverse("matchmaking:pair-export", args=["suggestions"])
    assert Client().get(url).status_code == 302
    client = Client()
    client.force_login(world.broker)

    portal = rows_of(client.get(url, {"format": "csv"}))
    through_api = rows_of(api(world.broker).get("/api/v1/exports/suggestions/", {"format": "csv"}))

    assert portal == through_api and len(portal) == 3


def test_bad_export_requests_are_refused_with_a_message(world, pairs):
    client = api(world.bureau)
    assert client.get("/api/v1/exports/invoices/", {"format": "csv"}).status_code == 400
    response = client.get("/api/v1/exports/suggestions/", {"format": "pdf"})
    assert response.status_code == 400 and "format" in response.json().get("errors", response.json())
    assert api(None).get("/api/v1/exports/suggestions/", {"format": "csv"}).status_code in (401, 403)
