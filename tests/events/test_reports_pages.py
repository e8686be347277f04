"""The event report's pages, export and API, the public summary and its publication: who may
open what (per role), what each shows (and never shows), filters, spreadsheets in both
languages, and constant query counts."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from catalog.models import Field
from events.enums import EventStatus
from events.models import Event, ExhibitionArea
from events.views.reports import EXPORT_COLUMNS
from matchmaking.models import Agreement
from tests.events.builders import conference, make_event
from tests.events.test_reports import (
    AMOUNT_OUTSIDE,
    AMOUNT_SIGNED,
    AMOUNT_SIGNED_2,
    ORG_NAMES,
    ReportEvent,
    add_signed_pair,
    db_entered,
    db_pairs,
    report_event,
)
from tests.factories import OrganisationFactory, field

ROLES = ("anonymous", "ent_a", "university", "broker", "investor", "bureau")


def client_for(world, role: str, *, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    user = world.users()[role]
    if user is not None:
        client.force_login(user)
    return client


def publish(event, *, note_zh: str = "本届对接会圆满结束。",
            note_en: str = "The conference closed successfully.") -> None:
    Event.objects.filter(pk=event.pk).update(summary_published=True, summary_note_zh=note_zh, summary_note_en=note_en)
    event.refresh_from_db()


def secrets_of(world) -> list[str]:
    """What the public summary must never show: names, each agreement's own amount, listing titles."""
    return [*ORG_NAMES, "120.50", "35.25", str(AMOUNT_OUTSIDE), world.req_restricted.title, world.ach_restricted.title,
            world.req_public.title, world.ach_public.title, "乙企业需求"]


# --- who may open what ----------------------------------------------------------------------------

REPORT_STATUS = {"anonymous": 302, "ent_a": 403, "university": 403, "broker": 403, "investor": 403, "bureau": 200}


@pytest.mark.parametrize("role", ROLES)
def test_report_page_and_export_are_for_bureau_staff_only(world, role):
    data = report_event(world)
    client = client_for(world, role)
    page = client.get(reverse("events:report", args=[data.event.slug]))
    export = client.get(reverse("events:report-export", args=[data.event.slug]),
                        {"format": "csv", "table": "agreements"})
    assert page.status_code == REPORT_STATUS[role]
    assert export.status_code == REPORT_STATUS[role]
    body = page.content.decode() + export.content.decode("utf-8", "replace")
    if role == "anonymous":
        assert page["Location"].startswith(reverse("accounts:login"))
    if role == "bureau":
        # The agreements list names both parties for the bureau.
        assert "甲企业" in body and "东北测试大学" in body
    else:
        for name in ORG_NAMES:
            assert name not in body


@pytest.mark.parametrize("role", ROLES)
def test_report_api_is_for_bureau_staff_only(world, role):
    data = report_event(world)
    response = client_for(world, role).get(reverse("events-api:event-report", args=[data.event.slug]))
    assert response.status_code == (200 if role == "bureau" else 403)
    if role == "bureau":
        assert response.json()["agreements"]["count"] == 2
    else:
        assert "agreements" not in response.json()


@pytest.mark.parametrize("role", ROLES)
def test_unpublished_summary_is_a_404_except_a_preview_for_bureau_staff(world, role):
    data = report_event(world)
    client = client_for(world, role)
    page = client.get(reverse("events:summary", args=[data.event.slug]))
    api = client.get(reverse("events-api:event-summary", args=[data.event.slug]))
    if role == "bureau":
        assert page.status_code == 200 and api.status_code == 200
        assert b"data-preview" in page.content
        assert api.json()["published"] is False
    else:
        assert page.status_code == 404 and api.status_code == 404
        assert b"data-figure" not in page.content


@pytest.mark.parametrize("role", ROLES)
def test_published_summary_is_public_and_shows_no_names_amounts_or_titles(world, role):
    data = report_event(world)
    publish(data.event)
    client = client_for(world, role)
    page = client.get(reverse("events:summary", args=[data.event.slug]))
    api = client.get(reverse("events-api:event-summary", args=[data.event.slug]))
    assert page.status_code == 200 and api.status_code == 200
    html, payload = page.content.decode(), api.content.decode()
    assert "data-preview" not in html
    assert api.json()["published"] is True
    for secret in secrets_of(world):
        assert secret not in html, secret
        assert secret not in payload, secret
    # The total amount is there (both agreements together), as are the figures.
    assert "155.75" in html and api.json()["amount"] == "155.75"
    assert f'data-figure="agreements">{Agreement.objects.filter(suggestion__in=db_pairs(data.event)).count()}<' \
        in html
    # The news-release paragraph is the bureau's.
    assert ("data-news-release" in html) == (role == "bureau")


@pytest.mark.parametrize("role", ROLES)
def test_summary_publish_is_for_bureau_staff_only(world, role):
    data = report_event(world)
    response = client_for(world, role).post(reverse("events:summary-publish", args=[data.event.slug]),
                                            {"published": "on", "note_zh": "中文说明", "note_en": "A note"})
    data.event.refresh_from_db()
    if role == "bureau":
        assert response.status_code == 302
        assert response["Location"] == reverse("events:report", args=[data.event.slug])
        assert (data.event.summary_published, data.event.summary_note_zh, data.event.summary_note_en) == (
            True, "中文说明", "A note")
    else:
        assert response.status_code == (302 if role == "anonymous" else 403)
        assert (data.event.summary_published, data.event.summary_note_zh) == (False, "")


@pytest.mark.parametrize("role", ["anonymous", "ent_a", "university", "broker", "investor"])
def test_a_draft_event_is_a_404_everywhere_for_others(world, role):
    # Given a draft event whose summary flag is (wrongly) set
    event = make_event(world, slug="draft-2026", status=EventStatus.DRAFT, summary_published=True)
    client = client_for(world, role)
    urls = [reverse("events:summary", args=[event.slug]), reverse("events-api:event-summary", args=[event.slug])]
    if role != "anonymous":
        urls += [reverse("events:report", args=[event.slug]), reverse("events-api:event-report", args=[event.slug])]
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_publish_form_needs_the_csrf_token(world):
    data = report_event(world)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.bureau)
    response = client.post(reverse("events:summary-publish", args=[data.event.slug]), {"published": "on"})
    data.event.refresh_from_db()
    assert response.status_code == 403
    assert data.event.summary_published is False


# --- publication -----------------------------------------------------------------------------------

def test_bureau_withdraws_the_summary(world):
    data = report_event(world)
    publish(data.event)
    client = client_for(world, "bureau")
    client.post(reverse("events:summary-publish", args=[data.event.slug]), {"note_zh": "", "note_en": ""})
    data.event.refresh_from_db()
    assert data.event.summary_published is False
    assert client_for(world, "anonymous").get(reverse("events:summary", args=[data.event.slug])).status_code == 404


def test_a_draft_events_summary_cannot_be_published(world):
    event = make_event(world, slug="draft-2026", status=EventStatus.DRAFT)
    response = client_for(world, "bureau", language="en").post(
        reverse("events:summary-publish", args=[event.slug]), {"published": "on", "note_zh": "说明"})
    event.refresh_from_db()
    assert response.status_code == 400
    assert "Publish the event before its summary." in response.content.decode()
    assert (event.summary_published, event.summary_note_zh) == (False, "")


def test_summary_note_is_in_the_readers_language(world):
    data = report_event(world)
    publish(data.event, note_zh="中文说明文字", note_en="English note text")
    url = reverse("events:summary", args=[data.event.slug])
    zh = client_for(world, "anonymous").get(url).content.decode()
    en = client_for(world, "anonymous", language="en").get(url).content.decode()
    assert "中文说明文字" in zh and "English note text" not in zh
    assert "English note text" in en and "中文说明文字" not in en
    assert client_for(world, "anonymous", language="en").get(
        reverse("events-api:event-summary", args=[data.event.slug])).json()["note"] == "English note text"


def test_news_release_paragraph_has_the_figures_with_plurals(world):
    data = report_event(world)
    html = client_for(world, "bureau", language="en").get(reverse("events:summary", args=[data.event.slug])) \
        .content.decode()
    start = html.index("data-news-release")
    paragraph = html[start:html.index("</blockquote>", start)]
    assert "brought together 6 registered organisations." in paragraph
    assert "4 technical requirements were entered" in paragraph
    assert "2 agreements were signed, worth 155.75 ten thousand yuan in total." in paragraph
    assert "The event had 2 themed exhibition areas." in paragraph


# --- the report page ---------------------------------------------------------------------------------

def figure(html: str, name: str) -> str:
    marker = f'data-figure="{name}">'
    start = html.index(marker) + len(marker)
    return html[start:html.index("<", start)].strip()


def test_report_page_shows_the_figures_and_charts_without_listing_titles(world):
    data = report_event(world)
    html = client_for(world, "bureau").get(reverse("events:report", args=[data.event.slug])).content.decode()
    assert figure(html, "requirements") == str(len(db_entered(data.event, "requirement")))
    assert figure(html, "achievements") == str(len(db_entered(data.event, "achievement")))
    assert figure(html, "pairs") == str(db_pairs(data.event).count())
    assert figure(html, "agreements-amount") == str(AMOUNT_SIGNED + AMOUNT_SIGNED_2)
    # Charts are SVG bars with a width attribute, never a style attribute (CSP).
    assert '<rect width="100" height="1"/>' in html
    assert 'style="' not in html
    for title in (world.req_restricted.title, world.ach_restricted.title, world.req_public.title):
        assert title not in html
    # Export links carry the table.
    assert "table=agreements" in html and "format=xlsx" in html


def test_report_page_filters_by_area_and_field(world):
    data = report_event(world)
    client = client_for(world, "bureau")
    url = reverse("events:report", args=[data.event.slug])
    html = client.get(url, {"area": data.smart.pk}).content.decode()
    assert figure(html, "requirements") == str(len(db_entered(data.event, "requirement", area=data.smart)))
    assert figure(html, "pairs") == str(db_pairs(data.event, area=data.smart).count())
    robotics = field("robotics")
    html = client.get(url, {"field": robotics.pk}).content.decode()
    assert figure(html, "achievements") == str(len(db_entered(data.event, "achievement", field_id=robotics.pk)))
    # The field list holds the event's fields only; another field, or another event's area, is refused.
    assert client.get(url, {"field": field("tcm").pk}).status_code == 400
    other = conference(world, slug="other-2026")
    response = client.get(url, {"area": other.area.pk})
    assert response.status_code == 400


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_report_page_and_api_query_counts_are_the_same_with_1_and_3_agreements(world):
    conf = conference(world)
    data = ReportEvent(conf=conf, event=conf.event, energy=conf.area, smart=None, regs={"uni": conf.reg_uni},
                       listings={}, pairs={}, agreements=[], entries=[])
    add_signed_pair(world, data, Decimal("10.00"))
    client = client_for(world, "bureau")
    urls = [reverse("events:report", args=[conf.event.slug]),
            reverse("events-api:event-report", args=[conf.event.slug]),
            reverse("events:report-export", args=[conf.event.slug]) + "?format=csv&table=agreements"]
    for url in urls:  # warm the session and the taxonomy caches
        client.get(url)
    one = [_page_queries(client, url) for url in urls]
    add_signed_pair(world, data, Decimal("20.00"))
    add_signed_pair(world, data, Decimal("30.00"))
    three = [_page_queries(client, url) for url in urls]
    assert one == three


# --- exports --------------------------------------------------------------------------------------

def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_export_tables_have_translated_headers_and_the_reports_rows(world, language):
    data = report_event(world)
    client = client_for(world, "bureau", language=language)
    url = reverse("events:report-export", args=[data.event.slug])
    with translation.override(language):
        headers = {table: [str(column.label) for column in columns] for table, columns in EXPORT_COLUMNS.items()}
    agreements = _csv(client.get(url, {"format": "csv", "table": "agreements"}))
    assert agreements[0] == headers["agreements"]
    signed = Agreement.objects.filter(suggestion__in=db_pairs(data.event)).order_by("-signed_on", "-pk")
    assert [(row[0], row[4]) for row in agreements[1:]] == [(str(a.signed_on), str(a.amount)) for a in signed]
    with translation.override(language):
        assert [row[1] for row in agreements[1:]] == [str(a.requirement_organisation) for a in signed]
    areas = _csv(client.get(url, {"format": "csv", "table": "areas"}))
    assert areas[0] == headers["areas"]
    names = {row[0]: row for row in areas[1:]}
    with translation.override(language):
        smart_row = names[data.smart.name]
    assert smart_row[3] == str(db_pairs(data.event, area=data.smart).count())
    funnel = _csv(client.get(url, {"format": "csv", "table": "funnel"}))
    assert funnel[0] == headers["funnel"]
    assert funnel[1][1] == str(db_pairs(data.event).count())
    import openpyxl

    fields = client.get(url, {"format": "xlsx", "table": "fields"})
    sheet = openpyxl.load_workbook(io.BytesIO(fields.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headers["fields"]
    robotics = Field.objects.get(code="robotics")
    with translation.override(language):
        robotics_row = next(row for row in rows[1:] if row[0] == robotics.name)
    assert robotics_row[1] == len(db_entered(data.event, "requirement", field_id=robotics.pk))
    if language == "zh-hans":
        assert headers["agreements"][0] != "Signed on"  # translated


def test_export_neutralises_formulas_and_refuses_unknown_tables(world):
    data = report_event(world)
    Agreement.objects.filter(pk=data.agreements[0].pk).update(
        requirement_organisation=OrganisationFactory(name_zh="=HYPERLINK(\"http://x\")", name_en=""))
    client = client_for(world, "bureau")
    url = reverse("events:report-export", args=[data.event.slug])
    rows = _csv(client.get(url, {"format": "csv", "table": "agreements"}))
    assert "'=HYPERLINK(\"http://x\")" in [row[1] for row in rows]
    assert client.get(url, {"format": "csv", "table": "secrets"}).status_code == 400
    assert client.get(url, {"format": "pdf", "table": "areas"}).status_code == 400


def test_export_follows_the_filters(world):
    data = report_event(world)
    url = reverse("events:report-export", args=[data.event.slug])
    rows = _csv(client_for(world, "bureau").get(url, {"format": "csv", "table": "agreements",
                                                      "field": field("robotics").pk}))
    assert [row[4] for row in rows[1:]] == [str(AMOUNT_SIGNED)]


# --- the API --------------------------------------------------------------------------------------

def test_report_api_filters_by_area_code_and_field_code(world):
    data = report_event(world)
    client = client_for(world, "bureau")
    url = reverse("events-api:event-report", args=[data.event.slug])
    whole = client.get(url).json()
    assert whole["suggestions"]["total"] == db_pairs(data.event).count()
    assert whole["agreements"]["amount"] == "155.75"
    smart = client.get(url, {"area": "smart"}).json()
    assert smart["filters"]["area_id"] == data.smart.pk
    assert smart["listings"]["requirements"] == len(db_entered(data.event, "requirement", area=data.smart))
    robotics = client.get(url, {"field": "robotics"}).json()
    assert robotics["agreements"]["count"] == 1
    assert client.get(url, {"area": "nowhere"}).status_code == 400
    assert client.get(url, {"field": "no-such-field"}).status_code == 400
    other = ExhibitionArea.objects.create(event=conference(world, slug="other-2026").event, code="elsewhere",
                                          name_zh="别处", name_en="Elsewhere")
    assert client.get(url, {"area": other.code}).status_code == 400


def test_summary_api_figures_equal_the_database(world):
    data = report_event(world)
    publish(data.event)
    payload = client_for(world, "anonymous").get(reverse("events-api:event-summary", args=[data.event.slug])).json()
    assert payload["requirements"] == len(db_entered(data.event, "requirement"))
    assert payload["achievements"] == len(db_entered(data.event, "achievement"))
    assert payload["pairs"] == db_pairs(data.event).count()
    assert payload["agreements"] == 2
    assert payload["note"] == "本届对接会圆满结束。"
    assert {area["label"] for area in payload["areas"]} == {data.energy.name_zh, data.smart.name_zh}
    assert set(payload) >= {"organisations", "organisations_by_kind", "negotiations_held", "amount"}


def test_report_and_summary_pages_of_an_empty_event(world):
    # Given an event with nothing entered
    conf = conference(world)
    conf.event.listings.all().delete()
    client = client_for(world, "bureau", language="en")
    # When bureau staff open the report and the summary preview
    report = client.get(reverse("events:report", args=[conf.event.slug]))
    summary = client.get(reverse("events:summary", args=[conf.event.slug]))
    # Then both show zeros and say there is nothing yet
    assert report.status_code == 200 and summary.status_code == 200
    html = report.content.decode()
    assert 'data-empty="funnel"' in html and 'data-empty="agreements"' in html
    assert figure(html, "pairs") == "0"
    assert "0 agreements were signed, worth 0.00 ten thousand yuan in total." in summary.content.decode()
