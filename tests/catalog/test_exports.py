"""Spreadsheet exports: the generic ``export_response`` (formula injection neutralised in CSV
and XLSX, Chinese or English headers, Excel-friendly CSV) and the bureau's listing exports."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework.test import APIClient

from catalog.exports import Column, export_response, neutralise
from catalog.models import Requirement
from common.errors import ApplicationError
from tests.catalog.intake_helpers import read_xlsx
from tests.factories import RequirementFactory

COLUMNS = [Column("title", gettext_lazy("Title")), Column("amount", gettext_lazy("Budget min (10k CNY)")),
           Column("when", gettext_lazy("Deadline"))]
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR",
           "plain", "中文 = 没问题"]


def _rows():
    for index, text in enumerate(HOSTILE):
        yield {"title": text, "amount": index - 1, "when": date(2026, 6, 30)}


def _csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=1", "a=1"), ("", ""), (-1, -1), (None, None), (3.5, 3.5),
])
def test_neutralise_prefixes_formula_text_only(value, expected):
    assert neutralise(value) == expected


def test_csv_export_is_utf8_with_bom_and_neutralises_formulas():
    response = export_response(columns=COLUMNS, rows=_rows(), fmt="csv", filename="需求导出", language="en")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and ".csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["Title", "Budget min (10k CNY)", "Deadline"]
    assert [row[0] for row in rows[1:]] == ["'" + text if text[0] in "=+-@\t\r" else text for text in HOSTILE]
    assert rows[1][1:] == ["'-1", "2026-06-30"]  # a negative number is text in CSV, so it is neutralised too
    assert rows[2][1] == "0"


def test_xlsx_export_stores_formulas_as_text_and_keeps_numbers_and_dates():
    response = export_response(columns=COLUMNS, rows=_rows(), fmt="xlsx", filename="listings", language="en")

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = read_xlsx(response.content)
    assert rows[0] == ("Title", "Budget min (10k CNY)", "Deadline")
    # XML reads a carriage return back as a line feed; what matters is the apostrophe in front.
    expected = ["'" + text if text[0] in "=+-@\t\r" else text for text in HOSTILE]
    assert [row[0] for row in rows[1:]] == [text.replace("\r", "\n") for text in expected]
    assert rows[1][1:] == (-1, datetime(2026, 6, 30))
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert {cell.data_type for row in sheet.iter_rows(min_row=2, max_col=1) for cell in row} == {"s"}


def test_headers_follow_the_chosen_language_not_only_the_active_one():
    from django.utils import translation

    with translation.override("en"):
        zh = read_xlsx(export_response(columns=COLUMNS, rows=[], fmt="xlsx", filename="x", language="zh-hans")
                       .content)[0]
        en = _csv(export_response(columns=COLUMNS, rows=[], fmt="csv", filename="x"))[0]

    assert en == ["Title", "Budget min (10k CNY)", "Deadline"]
    with translation.override("zh-hans"):
        assert list(zh) == [str(column.label) for column in COLUMNS]


def test_export_handles_lists_aware_datetimes_control_characters_and_long_text():
    rows = [{"title": ["锂电池", "回收"], "amount": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
             "when": "bad\x00\x07text" + "长" * 40_000}]

    values = read_xlsx(export_response(columns=COLUMNS, rows=rows, fmt="xlsx", filename="x", language="en").content)

    assert values[1][0] == "锂电池、回收"
    assert values[1][1] == datetime(2026, 1, 2, 3, 4)  # TIME_ZONE is UTC
    assert values[1][2].startswith("badtext长") and len(values[1][2]) == 32_766


def test_an_unknown_format_is_an_application_error():
    with pytest.raises(ApplicationError) as refused:
        export_response(columns=COLUMNS, rows=[], fmt="pdf", filename="x", language="en")

    assert refused.value.code == "bad_format"


# --- listing exports -------------------------------------------------------------------------

def test_bureau_exports_the_filtered_list_with_every_column_and_neutralised_text(client, world):
    RequirementFactory(organisation=world.ent_b, title="=cmd|' /C calc'!A0", budget_min=10, budget_max=20)
    client.force_login(world.bureau)

    response = client.get(reverse("catalog:requirement-export"), {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en")

    rows = _csv(response)
    header = rows[0]
    assert header[:4] == ["Platform ID", "External ref", "Title", "Organisation"]
    assert "Note" in header and "Budget max (10k CNY)" in header
    titles = sorted(row[header.index("Title")] for row in rows[1:])
    live = Requirement.objects.filter(status__in=["published", "in_negotiation", "contracted"])
    assert titles == sorted("'" + t if t.startswith("=") else t for t in live.values_list("title", flat=True))
    assert "保密需求：军工涂层" in titles  # the bureau sees restricted listings too
    restricted = next(row for row in rows[1:] if row[header.index("Title")] == "保密需求：军工涂层")
    assert restricted[header.index("Note")] == "局内备注：重点企业"


def test_listing_export_follows_the_list_filters_and_can_be_xlsx(client, world):
    client.force_login(world.bureau)

    response = client.get(reverse("catalog:requirement-export"), {"format": "xlsx", "status": "draft"},
                          HTTP_ACCEPT_LANGUAGE="en")

    rows = read_xlsx(response.content)
    assert [row[rows[0].index("Title")] for row in rows[1:]] == ["草稿需求：未提交"]


@pytest.mark.parametrize("role", ["anonymous", "ent_a", "broker", "expert", "pending"])
def test_only_bureau_staff_export_listings(client, world, role):
    user = world.users()[role]
    if user:
        client.force_login(user)

    response = client.get(reverse("catalog:requirement-export"), {"format": "csv"})

    assert response.status_code == (302 if user is None else 403)
    assert not response.get("Content-Disposition")


@pytest.mark.parametrize("role", ["anonymous", "ent_a", "broker"])
def test_api_listing_export_refuses_non_bureau_users_with_a_message(world, role):
    api = APIClient()
    if world.users()[role]:
        api.force_authenticate(world.users()[role])

    response = api.get("/api/v1/requirements/export/", {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response.json()["detail"] in ("Only bureau staff can export listings.",
                                         "Authentication credentials were not provided.")


def test_api_listing_export_for_bureau_staff(world):
    api = APIClient()
    api.force_authenticate(world.bureau)

    response = api.get("/api/v1/achievements/export/", {"format": "xlsx", "status": "screened"})
    bad = api.get("/api/v1/achievements/export/", {"format": "pdf"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    rows = read_xlsx(response.content)
    assert [row[2] for row in rows[1:]] == ["待评价成果：新型催化剂"]
    assert (bad.status_code, bad.json()["code"]) == (400, "bad_format")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_export_imports_again_unchanged_in_either_language(client, bureau, language):
    from tests.catalog.intake_helpers import HEAD, req, run_import, xlsx_bytes

    run_import(bureau, xlsx_bytes([HEAD, req("数控机床主轴热变形补偿", modes="合作开发、技术咨询"),
                                   req("工业机器人视觉定位", fields="工业机器人、人工智能", budget="100以上")]))
    client.force_login(bureau)
    exported = client.get(reverse("catalog:requirement-export"), {"format": "xlsx", "status": "screened"},
                          HTTP_ACCEPT_LANGUAGE=language)

    again = run_import(bureau, exported.content, name="export.xlsx")

    assert (again.rows, again.created_count, again.updated_count, again.unchanged_count, again.errors) == (
        2, 0, 0, 2, [])
    assert Requirement.objects.count() == 7  # the world's five and the two imported
