"""Tables out as spreadsheets: ``export_response`` writes any rows as CSV or XLSX with
translated headers; every app's exports use it. Below it, the catalog's own listing exports.

Formula injection: a cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return
is read as a formula (or the start of one) by Excel, LibreOffice and Sheets, so user text such
as ``=HYPERLINK(…)`` could run when the bureau opens an export. ``neutralise`` prefixes such
text with an apostrophe (OWASP's advice); numbers and dates are written as numbers and dates.

Memory: rows are consumed one at a time from any iterable (pass ``queryset.iterator()``);
XLSX goes through openpyxl's write-only workbook, which spools rows to a temporary file, and
CSV is encoded row by row. The finished file is the response body (an ``HttpResponse``, so
callers and tests can read ``.content``), so memory is bounded by the file, not by the rows.
"""

import csv
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import ApplicationError, PermissionDenied

FORMATS = ("csv", "xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_MAX = 32_767  # Excel's limit for one cell
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Control characters XML 1.0 cannot hold; openpyxl refuses a cell containing one.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Column:
    key: str  # key into each row dict
    label: Promise | str  # gettext_lazy label; rendered under the chosen language


def neutralise(value) -> object:
    """A string that a spreadsheet would read as a formula gets a leading apostrophe; other
    values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _plain(value) -> object:
    """Row values as a spreadsheet holds them: text, numbers, dates or nothing."""
    if value is None or isinstance(value, (bool, int, float, Decimal)):
        return value
    if isinstance(value, datetime):
        # Spreadsheets have no time zones: local time of the active zone, without tzinfo.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return "、".join(str(_plain(item)) for item in value if item not in (None, ""))
    return str(value)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_response(*, columns: Sequence[Column], rows: Iterable[dict], fmt: str, filename: str,
                    language: str | None = None) -> HttpResponse:
    """The rows as a downloadable ``filename.csv`` (UTF-8 with a BOM, so that Excel shows
    Chinese) or ``filename.xlsx``, headers in ``language`` (default: the active language).
    Raises ``ApplicationError(code="bad_format")`` for another format."""
    if fmt not in FORMATS:
        raise ApplicationError(_("Unknown export format “%(format)s”; use csv or xlsx.") % {"format": fmt},
                               code="bad_format")
    with translation.override(language or translation.get_language()):
        labels = [str(column.label) for column in columns]
        keys = [column.key for column in columns]
        values = (tuple(_plain(row.get(key)) for key in keys) for row in rows)
        if fmt == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            _write_csv(response, labels, values)
        else:
            response = HttpResponse(content_type=XLSX_CONTENT_TYPE)
            _write_xlsx(response, labels, values, title=filename)
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    response["Cache-Control"] = "no-store"
    return response


def _write_csv(response: HttpResponse, labels: list[str], values: Iterable[tuple]) -> None:
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([neutralise(label) for label in labels])
    for row in values:
        writer.writerow([neutralise(_text(value)) for value in row])


def _write_xlsx(response: HttpResponse, labels: list[str], values: Iterable[tuple], *, title: str) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_cell(label) for label in labels])
    for row in values:
        sheet.append([_xlsx_cell(value) for value in row])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            response.write(chunk)


def _xlsx_cell(value) -> object:
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("", value)
        if len(value) > XLSX_CELL_MAX - 1:
            value = value[:XLSX_CELL_MAX - 2] + "…"
        # openpyxl would store "=…" as a formula; the apostrophe keeps it text.
        return neutralise(value)
    return value


def _sheet_title(name: str) -> str:
    title = re.sub(r"[\[\]:*?/\\]", "", name or "")[:31].strip("'")
    return title or "Sheet1"


# --- listing exports ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ListingColumn:
    column: Column
    value: Callable  # listing -> cell value
    visibility: str = ""  # the field name in catalog.rules.*_FIELDS that must be visible, "" = always


def _fields(listing) -> list[str]:
    return [f.name for f in listing.fields.all()]


def _labels(choices) -> Callable:
    labels = dict(choices)
    return lambda values: [str(labels.get(v, v)) for v in values or []]


def listing_columns(kind: str) -> list[ListingColumn]:
    """Export columns of a listing kind. The English labels are the import template's headers,
    so an export can be edited and imported again (``catalog.intake`` recognises them)."""
    from catalog.enums import CooperationMode, ListingKind

    modes = _labels(CooperationMode.choices)
    is_requirement = kind == ListingKind.REQUIREMENT
    columns = [
        ListingColumn(Column("id", gettext_lazy("Platform ID")), lambda x: x.pk),
        ListingColumn(Column("external_ref", gettext_lazy("External ref")), lambda x: x.external_ref,
                      "external_ref"),
        ListingColumn(Column("title", gettext_lazy("Title")), lambda x: x.title, "title"),
        ListingColumn(Column("organisation", gettext_lazy("Organisation")), lambda x: x.organisation.name_zh,
                      "organisation"),
        ListingColumn(Column("organisation_en", gettext_lazy("Organisation (English)")),
                      lambda x: x.organisation.name_en, "organisation"),
        ListingColumn(Column("credit_code", gettext_lazy("Credit code")), lambda x: x.organisation.credit_code,
                      "organisation"),
        ListingColumn(Column("status", gettext_lazy("Status")), lambda x: x.get_status_display(), "status"),
        ListingColumn(Column("summary", gettext_lazy("Summary")), lambda x: x.summary, "summary"),
        ListingColumn(Column("description", gettext_lazy("Description")), lambda x: x.description, "description"),
        ListingColumn(Column("keywords", gettext_lazy("Keywords")), lambda x: x.keywords, "keywords"),
        ListingColumn(Column("fields", gettext_lazy("Fields")), _fields, "fields"),
        ListingColumn(Column("cooperation_modes", gettext_lazy("Cooperation modes")),
                      lambda x: modes(x.cooperation_modes), "cooperation_modes"),
        ListingColumn(Column("trl", gettext_lazy("TRL")), lambda x: x.trl_display,
                      "trl_min" if is_requirement else "trl"),
        ListingColumn(Column("budget_min", gettext_lazy("Budget min (10k CNY)")), lambda x: x.budget_min,
                      "budget_min"),
        ListingColumn(Column("budget_max", gettext_lazy("Budget max (10k CNY)")), lambda x: x.budget_max,
                      "budget_max"),
        ListingColumn(Column("region", gettext_lazy("Region")), lambda x: x.get_region_display(), "region"),
        ListingColumn(Column("ip_status", gettext_lazy("IP status")), lambda x: x.get_ip_status_display(),
                      "ip_status"),
        ListingColumn(Column("patent_numbers", gettext_lazy("Patent numbers")), lambda x: x.patent_numbers,
                      "patent_numbers"),
        ListingColumn(Column("confidentiality", gettext_lazy("Confidentiality")),
                      lambda x: x.get_confidentiality_display(), "confidentiality"),
        ListingColumn(Column("contact_name", gettext_lazy("Contact person")), lambda x: x.contact_name,
                      "contact_name"),
        ListingColumn(Column("contact_phone", gettext_lazy("Phone")), lambda x: x.contact_phone, "contact_phone"),
        ListingColumn(Column("contact_email", gettext_lazy("Email")), lambda x: x.contact_email, "contact_email"),
    ]
    if is_requirement:
        columns += [
            ListingColumn(Column("problem_statement", gettext_lazy("Problem statement")),
                          lambda x: x.problem_statement, "problem_statement"),
            ListingColumn(Column("technical_indicators", gettext_lazy("Technical indicators")),
                          lambda x: x.technical_indicators, "technical_indicators"),
            ListingColumn(Column("deadline", gettext_lazy("Deadline")), lambda x: x.deadline, "deadline"),
        ]
    else:
        columns += [
            ListingColumn(Column("advantages", gettext_lazy("Advantages")), lambda x: x.advantages, "advantages"),
            ListingColumn(Column("application_scenarios", gettext_lazy("Application scenarios")),
                          lambda x: x.application_scenarios, "application_scenarios"),
            ListingColumn(Column("team", gettext_lazy("Team")), lambda x: x.team, "team"),
            ListingColumn(Column("evaluation_result", gettext_lazy("Expert evaluation")),
                          lambda x: x.get_evaluation_result_display(), "evaluation_result"),
        ]
    columns += [
        ListingColumn(Column("valid_until", gettext_lazy("Valid until")), lambda x: x.valid_until, "valid_until"),
        ListingColumn(Column("provenance", gettext_lazy("Collected by")), lambda x: x.get_provenance_display(),
                      "provenance"),
        ListingColumn(Column("source_batch", gettext_lazy("Survey batch")), lambda x: x.source_batch,
                      "source_batch"),
        ListingColumn(Column("internal_note", gettext_lazy("Note")), lambda x: x.internal_note, "internal_note"),
        ListingColumn(Column("published_at", gettext_lazy("Published")), lambda x: x.published_at, "published_at"),
        ListingColumn(Column("created_at", gettext_lazy("Created")), lambda x: x.created_at, "created_at"),
    ]
    return columns


def listing_export(*, user, kind: str, listings: Iterable, fmt: str, language: str | None = None) -> HttpResponse:
    """Listings the caller has already selected (``catalog.selectors``) as a spreadsheet.
    Columns are those the user's access level shows on every listing (``catalog.rules``);
    the exporter is bureau staff, who see all of them."""
    from accounts.rules import roles_for
    from catalog import rules

    if not rules.can_screen_listings(user):
        raise PermissionDenied(_("Only bureau staff can export listings."))
    roles = roles_for(user)
    visible = rules.fields_for(rules.Access.FULL, roles)
    specs = [spec for spec in listing_columns(kind) if not spec.visibility or spec.visibility in visible]

    # Consumed inside export_response, under the export's language (choice labels, field names).
    rows = ({spec.column.key: spec.value(listing) for spec in specs} for listing in listings)

    stamp = timezone.localdate().isoformat()
    return export_response(columns=[spec.column for spec in specs], rows=rows, fmt=fmt,
                           filename=f"{kind}s-{stamp}", language=language)
