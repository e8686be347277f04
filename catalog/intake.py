"""Reading bureau spreadsheets (XLSX and CSV) into clean rows. Pure: reads the taxonomy, never
writes. ``catalog.imports`` turns the rows into organisations and listings.

Pipeline:
1. ``sniff(path)``: size limit, magic bytes (never the extension: a renamed PNG, a Word file, a
   plain zip or an old .xls are refused by name), zip-bomb limits on the XLSX's members (total
   unpacked size and compression ratio, read from the zip directory before openpyxl opens
   anything; Python's zipfile never inflates a member past its declared size), and for CSV the
   encoding: UTF-8, UTF-8 with BOM, UTF-16 with BOM (Excel's "Unicode text"), else GB18030
   (a superset of GBK and GB2312). Each line is classified on its own, so a file that mixes
   encodings gets a per-row message for the rows in the minority encoding instead of mojibake.
2. ``open_sheet(path, kind=…)``: the worksheet whose first rows hold the most recognised
   headers, streamed (openpyxl read-only, or csv over a decoded line stream) so memory does
   not grow with the number of rows. The header row is found among the first 10 rows (survey
   sheets often start with a merged title row); headers are matched in Chinese and English,
   with the template's own "中文 / English" headers.
3. ``Sheet.rows()``: blank rows skipped (a row is blank when every recognised column is empty),
   merged cells resolved, oversized cells and wrongly encoded rows reported.
4. ``clean_row(row, kind=…, vocabulary=…)``: cell text to model values (taxonomy by code or
   name, cooperation modes, TRL, budget ranges in 万元, dates including Excel serial numbers).

Errors are ``RowError(row, column, message)``: ``row`` is the row number the user sees in Excel
(the header is usually row 1), ``column`` the header as written in the file, ``message`` in the
active language. A problem with the file as a whole raises ``IntakeError``.

Merged cells: openpyxl's read-only mode does not expose them, so ``_merged_ranges`` scans the
worksheet XML for ``<mergeCell ref=…>`` in one streaming pass (one chunk in memory whatever the
file's size). A range merged down several rows means "the same value on each row" (surveys merge
an enterprise's name over its requirements), so the first cell's value is used on every row it
spans, and the preview says so. A range merged across several recognised columns has no such
reading: it is an error on each row it covers.
"""

import codecs
import csv
import hashlib
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.enums import OrganisationKind, Region
from accounts.models import validate_credit_code
from catalog.enums import Confidentiality, CooperationMode, IPStatus, Language

logger = logging.getLogger(__name__)

REQUIREMENT, ACHIEVEMENT, ORGANISATION = "requirement", "achievement", "organisation"
LISTING_KINDS = (REQUIREMENT, ACHIEVEMENT)
HEADER_SEARCH_ROWS = 10
MAX_SHEETS_SCANNED = 10
MAX_ZIP_MEMBERS = 10_000
RATIO_CHECK_FLOOR = 1024 * 1024  # members smaller than this unpacked are never a bomb
ERROR_FILE_CELL_CHARS = 1000  # what the error file keeps of a cell that was too large
EXCEL_ERRORS = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA"})
SPLIT_RE = re.compile(r"[,，;；、|\n\r]+")


# --- limits ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_uncompressed: int
    max_ratio: int
    max_rows: int
    max_cell_chars: int


def limits() -> Limits:
    return Limits(
        max_bytes=getattr(settings, "TECHDOCK_IMPORT_MAX_BYTES", 20 * 1024 * 1024),
        max_uncompressed=getattr(settings, "TECHDOCK_IMPORT_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024),
        max_ratio=getattr(settings, "TECHDOCK_IMPORT_MAX_COMPRESSION_RATIO", 100),
        max_rows=getattr(settings, "TECHDOCK_IMPORT_MAX_ROWS", 50_000),
        # Excel's own limit for one cell.
        max_cell_chars=getattr(settings, "TECHDOCK_IMPORT_MAX_CELL_CHARS", 32_767),
    )


# --- errors ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class IntakeError(Exception):
    """The file as a whole cannot be read; nothing in it is imported."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code

    def as_dict(self) -> dict:
        return {"row": None, "column": None, "message": self.message}


class CellError(Exception):
    pass


def file_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(n / 1024))} KB"


def too_large(size: int, limit: Limits) -> IntakeError:
    return IntakeError(_("The file is %(size)s; the limit is %(max)s. Split it into several files.")
                       % {"size": file_size(size), "max": file_size(limit.max_bytes)}, code="too_large")


# --- sniffing ----------------------------------------------------------------------------------

@dataclass
class FileInfo:
    format: str  # "xlsx" | "csv"
    size: int = 0
    encoding: str = ""  # csv: utf-8 | utf-8-sig | utf-16 | gb18030
    delimiter: str = ","
    lines: int = 0  # csv: physical lines, for progress
    # csv: physical line index (0-based) -> the encoding that line is in, where it is not the file's
    odd_lines: dict[int, str] = field(default_factory=dict)


ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "gb18030": "GB18030/GBK"}

_BINARY_MAGIC = [
    (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"%PDF", "PDF"),
    (b"Rar!", "RAR"), (b"7z\xbc\xaf", "7-Zip"), (b"\x1f\x8b", "gzip"), (b"BM", "BMP"),
    (b"\x7fELF", "ELF"), (b"MZ", "Windows executable"), (b"{\\rtf", "RTF"),
]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sniff(path: Path, *, limit: Limits | None = None) -> FileInfo:
    """What the file really is, from its bytes. Raises ``IntakeError`` for anything but a
    readable XLSX or CSV within the limits."""
    limit = limit or limits()
    size = Path(path).stat().st_size
    if size > limit.max_bytes:
        raise too_large(size, limit)
    if size == 0:
        raise IntakeError(_("The file is empty."), code="empty")
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        _check_zip(path, limit)
        return FileInfo(format="xlsx", size=size)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IntakeError(_("This is an old Excel 97–2003 workbook (.xls) or a password-protected file. "
                            "Save it as an Excel workbook (.xlsx) without a password and upload it again."),
                          code="legacy_xls")
    for magic, name in _BINARY_MAGIC:
        if head.startswith(magic):
            raise IntakeError(_("This is a %(type)s file, not a spreadsheet. Upload an Excel workbook (.xlsx) "
                                "or a CSV file.") % {"type": name}, code="not_spreadsheet")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _csv_info_utf16(path, size)
    if b"\x00" in head:
        raise IntakeError(_("This is a binary file, not a spreadsheet. Upload an Excel workbook (.xlsx) "
                            "or a CSV file."), code="not_spreadsheet")
    return _csv_info(path, size)


def _check_zip(path: Path, limit: Limits) -> None:
    bomb = _("The workbook unpacks to far more data than its size suggests (a “zip bomb”) and was refused. "
             "Save it again from Excel, or split it.")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise IntakeError(_("The file is damaged or not a complete Excel workbook."), code="bad_zip") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise IntakeError(bomb, code="zip_bomb")
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        if "word/document.xml" in names:
            what = _("This is a Word document, not a spreadsheet.")
        elif "ppt/presentation.xml" in names:
            what = _("This is a PowerPoint presentation, not a spreadsheet.")
        else:
            what = _("This is a zip archive, not an Excel workbook.")
        raise IntakeError(what + " " + _("Upload an Excel workbook (.xlsx) or a CSV file."), code="not_spreadsheet")
    if any(m.flag_bits & 0x1 for m in members):
        raise IntakeError(_("The workbook is password-protected; remove the password and upload it again."),
                          code="encrypted")
    total = sum(m.file_size for m in members)
    if total > limit.max_uncompressed:
        raise IntakeError(bomb, code="zip_bomb")
    for member in members:
        if member.file_size > RATIO_CHECK_FLOOR and member.file_size > limit.max_ratio * max(member.compress_size, 1):
            raise IntakeError(bomb, code="zip_bomb")


def _csv_info_utf16(path: Path, size: int) -> FileInfo:
    lines = 0
    first = ""
    try:
        with open(path, encoding="utf-16", newline="") as handle:
            for line in handle:
                if not first and line.strip():
                    first = line
                lines += 1
    except UnicodeError:
        raise IntakeError(_("The file starts like UTF-16 text but is not valid UTF-16."), code="bad_encoding") from None
    return FileInfo(format="csv", size=size, encoding="utf-16", delimiter=_delimiter(first), lines=lines)


def _classify(line: bytes) -> str:
    if line.isascii():
        return "ascii"
    try:
        line.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        line.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        return "invalid"


def _csv_info(path: Path, size: int) -> FileInfo:
    """One pass over the lines: each is classified as ASCII, UTF-8, GB18030 or neither. The
    file's encoding is the one most non-ASCII lines are in; lines in the other are remembered
    so that their rows can be reported (and shown decoded correctly in the error file)."""
    kinds: dict[int, str] = {}
    counts = {"utf-8": 0, "gb18030": 0, "invalid": 0}
    lines = 0
    first = b""
    bom = False
    with open(path, "rb") as handle:
        for index, raw in enumerate(handle):
            if index == 0 and raw.startswith(codecs.BOM_UTF8):
                bom = True
                raw = raw[len(codecs.BOM_UTF8):]
            if not first and raw.strip():
                first = raw
            kind = _classify(raw)
            if kind != "ascii":
                counts[kind] += 1
                kinds[index] = kind
            lines = index + 1
    if bom or counts["gb18030"] == 0:
        encoding = "utf-8-sig" if bom else "utf-8"
        main = "utf-8"
    elif counts["utf-8"] > counts["gb18030"]:
        encoding = main = "utf-8"
    else:
        encoding = main = "gb18030"
    odd = {index: kind for index, kind in kinds.items() if kind != main}
    header_text = first.decode("utf-8" if main == "utf-8" else "gb18030", errors="replace")
    return FileInfo(format="csv", size=size, encoding=encoding, delimiter=_delimiter(header_text), lines=lines,
                    odd_lines=odd)


def _delimiter(line: str) -> str:
    counts = {sep: line.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


# --- columns -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnSpec:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    kinds: tuple[str, ...] = LISTING_KINDS
    required: tuple[str, ...] = ()
    zh_achievement: str = ""  # the template's Chinese header for achievements, where it differs

    def header(self, kind: str) -> str:
        zh = self.zh_achievement if kind == ACHIEVEMENT and self.zh_achievement else self.zh
        return f"{'*' if kind in self.required else ''}{zh} / {self.en}"


R, A, ORG = (REQUIREMENT,), (ACHIEVEMENT,), (ORGANISATION,)
RA = LISTING_KINDS
ALL = (REQUIREMENT, ACHIEVEMENT, ORGANISATION)

# Template headers (中文 / English) and the variants seen in bureau surveys. Headers are matched
# after NFKC, case folding and removing spaces, "*" and "_"; a header with units in brackets
# ("预算（万元）") also matches without them; "中文 / English" headers match by either half.
COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("external_ref", "外部编号", "External ref", (
        "编号", "需求编号", "成果编号", "原编号", "问卷编号", "外部编码", "ref", "reference", "external reference",
        "external id", "externalref")),
    ColumnSpec("title", "需求名称", "Title", (
        "名称", "标题", "项目名称", "需求标题", "技术需求名称", "技术需求", "成果名称", "成果标题", "项目标题",
        "title", "name", "requirement", "requirement title", "achievement", "achievement title", "project",
        "project name"), required=RA, zh_achievement="成果名称"),
    ColumnSpec("organisation", "单位名称", "Organisation", (
        "企业名称", "机构名称", "组织名称", "单位", "企业", "公司名称", "需求单位", "需求企业", "成果单位", "完成单位",
        "持有单位", "所属单位", "申报单位", "依托单位", "成果持有单位", "单位中文名称", "中文名称", "organisation",
        "organization", "organisation name", "organization name", "company", "company name", "institution",
        "owner", "enterprise", "name (chinese)", "organisation (chinese)",
        # "名称" / "name" mean the title in a listing sheet (the title column comes first)
        "名称", "name"), kinds=ALL, required=ORG),
    ColumnSpec("organisation_en", "单位英文名称", "Organisation (English)", (
        "英文名称", "英文名", "单位英文名", "企业英文名称", "english name", "name (english)",
        "organisation name (english)", "organization (english)", "name_en"), kinds=ALL),
    ColumnSpec("credit_code", "统一社会信用代码", "Credit code", (
        "信用代码", "社会信用代码", "统一代码", "组织机构代码", "uscc", "credit code", "unified social credit code",
        "social credit code"), kinds=ALL),
    ColumnSpec("organisation_kind", "单位类型", "Organisation type", (
        "机构类型", "单位性质", "企业类型", "单位类别", "organisation type", "organization type", "org type", "type",
        "kind"), kinds=ALL),
    ColumnSpec("summary", "需求简介", "Summary", (
        "简介", "摘要", "内容简介", "概述", "需求概述", "成果简介", "成果概述", "项目简介", "summary", "abstract",
        "brief", "short description"), required=RA, zh_achievement="成果简介"),
    ColumnSpec("description", "详细描述", "Description", (
        "描述", "详细内容", "详细介绍", "需求描述", "需求内容", "需求详情", "成果描述", "成果内容", "成果介绍",
        "技术内容", "技术说明", "description", "details", "detailed description", "full description")),
    ColumnSpec("keywords", "关键词", "Keywords", ("关键字", "keyword", "keywords", "key words", "tags")),
    ColumnSpec("fields", "技术领域", "Fields", (
        "行业领域", "所属领域", "领域", "技术类别", "产业领域", "所属行业", "行业", "技术领域分类", "field", "fields",
        "technology field", "technology fields", "industry", "industry field", "sector"), required=RA),
    ColumnSpec("cooperation_modes", "合作方式", "Cooperation modes", (
        "合作模式", "合作形式", "转化方式", "拟合作方式", "期望合作方式", "cooperation", "cooperation mode",
        "cooperation modes", "modes of cooperation", "collaboration", "collaboration mode"), required=RA),
    ColumnSpec("trl", "技术成熟度", "TRL", (
        "成熟度", "技术成熟度等级", "成熟度等级", "最低技术成熟度", "技术就绪度", "trl", "technology readiness level",
        "readiness level", "readiness", "minimum trl"), required=A),
    ColumnSpec("budget", "预算（万元）", "Budget (10k CNY)", (
        "预算", "预算金额", "投入预算", "拟投入资金", "资金预算", "投资额度", "拟投入金额", "意向价格", "转让价格",
        "价格", "报价", "交易价格", "budget", "budget range", "price", "asking price", "price (10k cny)",
        "asking price (10k cny)"), zh_achievement="意向价格（万元）"),
    ColumnSpec("budget_min", "预算下限（万元）", "Budget min (10k CNY)", (
        "最低预算", "预算下限", "价格下限", "budget min", "minimum budget", "min budget", "price min")),
    ColumnSpec("budget_max", "预算上限（万元）", "Budget max (10k CNY)", (
        "最高预算", "预算上限", "价格上限", "budget max", "maximum budget", "max budget", "price max")),
    ColumnSpec("region", "所在区县", "Region", (
        "区县", "所在地区", "地区", "区域", "所在区域", "所属区县", "所在区", "所属区域", "region", "district"),
        kinds=ALL),
    ColumnSpec("contact_name", "联系人", "Contact person", (
        "联系人姓名", "负责人", "项目负责人", "contact", "contact person", "contact name")),
    ColumnSpec("contact_phone", "联系电话", "Phone", (
        "电话", "手机", "手机号", "手机号码", "联系方式", "联系手机", "phone", "telephone", "mobile", "tel",
        "contact phone")),
    ColumnSpec("contact_email", "电子邮箱", "Email", (
        "邮箱", "电子邮件", "联系邮箱", "email", "e-mail", "mail", "contact email")),
    ColumnSpec("ip_status", "知识产权状态", "IP status", (
        "知识产权", "知识产权情况", "专利情况", "ip", "ip status", "intellectual property")),
    ColumnSpec("patent_numbers", "专利号", "Patent numbers", (
        "专利申请号", "专利编号", "授权专利号", "patent number", "patent numbers", "patent no", "patents")),
    ColumnSpec("confidentiality", "公开方式", "Confidentiality", (
        "保密级别", "密级", "保密要求", "是否公开", "公开范围", "confidentiality", "visibility")),
    ColumnSpec("deadline", "截止日期", "Deadline", (
        "需求截止日期", "期限", "完成期限", "deadline", "due date"), kinds=R),
    ColumnSpec("valid_until", "有效期至", "Valid until", (
        "有效期", "有效截止日期", "valid until", "expiry", "expires")),
    ColumnSpec("problem_statement", "存在问题", "Problem statement", (
        "技术难题", "主要问题", "问题描述", "面临问题", "技术瓶颈", "存在的问题", "problem", "problems",
        "problem statement"), kinds=R),
    ColumnSpec("technical_indicators", "技术指标", "Technical indicators", (
        "指标要求", "技术要求", "主要技术指标", "技术参数", "technical indicators", "indicators",
        "technical requirements"), kinds=R),
    ColumnSpec("advantages", "技术优势", "Advantages", (
        "创新点", "优势", "技术创新点", "先进性", "技术优势与创新点", "技术特点", "advantages", "innovation",
        "innovations", "advantages and innovation"), kinds=A),
    ColumnSpec("application_scenarios", "应用场景", "Application scenarios", (
        "应用领域", "应用前景", "适用范围", "应用范围", "application", "applications", "application scenarios"),
        kinds=A),
    ColumnSpec("team", "研发团队", "Team", ("团队", "团队介绍", "团队情况", "团队简介", "team"), kinds=A),
    ColumnSpec("source_batch", "征集批次", "Survey batch", (
        "批次", "调查批次", "采集批次", "征集批次", "batch", "survey batch")),
    ColumnSpec("internal_note", "备注", "Note", ("局内备注", "备注说明", "note", "notes", "remark", "remarks",
                                               "internal note")),
    ColumnSpec("address", "地址", "Address", ("通讯地址", "详细地址", "单位地址", "address"), kinds=ORG),
    ColumnSpec("website", "网址", "Website", ("网站", "主页", "单位网址", "website", "homepage", "url"), kinds=ORG),
    ColumnSpec("org_description", "单位简介", "Description", (
        "简介", "单位介绍", "描述", "企业简介", "机构简介", "description", "profile", "about"), kinds=ORG),
)
COLUMN_BY_KEY = {spec.key: spec for spec in COLUMNS}


def norm_header(text: object) -> str:
    value = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[\s*_]+", "", value)


def _strip_units(value: str) -> str:
    return re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", value)


def columns_for(kind: str) -> list[ColumnSpec]:
    return [spec for spec in COLUMNS if kind in spec.kinds]


def _alias_table(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    keys = set()
    for spec in columns_for(kind):
        keys.add(spec.key)
        names = [spec.key, spec.zh, spec.en, spec.zh_achievement, spec.header(kind), *spec.aliases]
        for name in names:
            if name:
                table.setdefault(norm_header(name), spec.key)
    if kind in LISTING_KINDS:
        # The headers of catalog.exports in both languages, so that an edited export imports.
        from catalog.exports import listing_columns

        for column in listing_columns(kind):
            if column.column.key in keys:
                for label in _in_both_languages(column.column.label):
                    table.setdefault(norm_header(label), column.column.key)
    return table


_ALIASES: dict[str, dict[str, str]] = {}


def header_key(kind: str, header: object) -> str | None:
    """The column a header means for this kind of import, or None."""
    table = _ALIASES.get(kind)
    if table is None:
        table = _ALIASES[kind] = _alias_table(kind)
    text = norm_header(header)
    if not text:
        return None
    candidates = [text, _strip_units(text)]
    for part in re.split(r"[/|]", text):
        candidates += [part, _strip_units(part)]
    for candidate in candidates:
        key = table.get(candidate)
        if key:
            return key
    return None


def required_keys(kind: str) -> list[str]:
    return [spec.key for spec in COLUMNS if kind in spec.required]


# --- reading rows ------------------------------------------------------------------------------

@dataclass
class RawRow:
    row: int
    cells: list
    errors: list[str] = field(default_factory=list)  # row-level problems found while reading


@dataclass
class SheetRow:
    row: int
    values: dict  # column key -> cell value (blank cells left out)
    cells: list  # every cell as read, for the error file (huge cells cut short)
    errors: list[RowError] = field(default_factory=list)
    # headers whose emptiness is already explained (cells merged into their neighbour)
    silenced: frozenset[str] = frozenset()


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Sheet:
    """One worksheet of an opened file. ``rows()`` may be iterated once."""

    def __init__(self, *, kind: str, info: FileInfo, raw_rows: Iterator[RawRow], limit: Limits,
                 sheet_name: str = "", merged: list[tuple[int, int, int, int]] | None = None,
                 estimated_rows: int | None = None, notices: list[str] | None = None):
        self.kind = kind
        self.info = info
        self.limit = limit
        self.sheet_name = sheet_name
        self.estimated_rows = estimated_rows
        self.notices: list[str] = list(notices or [])
        self._raw = raw_rows
        self._buffer: list[RawRow] = []
        self._merged = merged or []
        self._find_header()

    # header ------------------------------------------------------------------------------

    def _find_header(self) -> None:
        best: tuple[int, RawRow | None, dict[str, int]] = (0, None, {})
        for raw in self._raw:
            self._buffer.append(raw)
            mapping = self._map(raw.cells)
            if len(mapping) > best[0]:
                best = (len(mapping), raw, mapping)
            if len(self._buffer) >= HEADER_SEARCH_ROWS:
                break
        count, header_raw, mapping = best
        if header_raw is None:
            header_raw = next((r for r in self._buffer if any(not _is_blank(c) for c in r.cells)), None)
            if header_raw is None:
                raise IntakeError(_("The sheet is empty."), code="empty")
        self.header_row = header_raw.row
        self.headers = ["" if _is_blank(c) else str(c).strip() for c in header_raw.cells]
        while self.headers and not self.headers[-1]:
            self.headers.pop()
        self.mapping = mapping
        self._buffer = [r for r in self._buffer if r.row > header_raw.row]
        missing = []
        for spec in COLUMNS:
            if spec.key == "organisation" and self.kind in LISTING_KINDS:
                # a listing's owner is named by its name or its credit code
                if "organisation" not in mapping and "credit_code" not in mapping:
                    missing.append(spec.key)
            elif self.kind in spec.required and spec.key not in mapping:
                missing.append(spec.key)
        if missing:
            names = ", ".join(COLUMN_BY_KEY[key].header(self.kind).lstrip("*") for key in missing)
            raise IntakeError(
                _("Required columns are missing: %(columns)s. The header row must name them, as in the template.")
                % {"columns": names}, code="missing_columns")
        self.ignored = [h for i, h in enumerate(self.headers) if h and i not in mapping.values()]
        self.columns = {key: self.headers[index] for key, index in mapping.items()}
        self._merge_plan()

    def _map(self, cells: list) -> dict[str, int]:
        mapping: dict[str, int] = {}
        for index, cell in enumerate(cells):
            if _is_blank(cell):
                continue
            key = header_key(self.kind, cell)
            if key and key not in mapping:
                mapping[key] = index
        return mapping

    # merged cells ------------------------------------------------------------------------

    def _merge_plan(self) -> None:
        """Vertical merges below the header are filled down; merges across two or more
        recognised columns make every row they cover an error."""
        mapped = set(self.mapping.values())
        self._fill: dict[int, list[tuple[int, tuple[int, int]]]] = {}  # row -> [(col, anchor (row, col))]
        self._anchors: dict[int, dict[int, object]] = {}  # anchor row -> {col: value}
        self._across: dict[int, tuple[str, list[str]]] = {}  # row -> (range, headers of the columns covered)
        filled = []
        for min_col, min_row, max_col, max_row in self._merged:
            if max_row <= self.header_row:
                continue
            min_row = max(min_row, self.header_row + 1)
            covered = [c for c in range(min_col - 1, max_col) if c in mapped]
            ref = _range_ref(min_col, min_row, max_col, max_row)
            if len(covered) > 1:
                for row in range(min_row, max_row + 1):
                    self._across.setdefault(row, (ref, [self.headers[c] for c in covered]))
                continue
            if max_row > min_row and covered:
                self._anchors.setdefault(min_row, {})[min_col - 1] = None
                for row in range(min_row + 1, max_row + 1):
                    self._fill.setdefault(row, []).append((min_col - 1, (min_row, min_col - 1)))
                filled.append(ref)
        if filled:
            shown = ", ".join(filled[:10]) + ("…" if len(filled) > 10 else "")
            self.notices.append(_("Merged cells %(ranges)s: the value of each merged range was used on every row "
                                  "it spans.") % {"ranges": shown})

    # rows --------------------------------------------------------------------------------

    def _all_raw(self) -> Iterator[RawRow]:
        yield from self._buffer
        self._buffer = []
        yield from self._raw

    def rows(self) -> Iterator[SheetRow]:
        limit = self.limit
        mapping = self.mapping
        count = 0
        for raw in self._all_raw():
            cells = list(raw.cells)
            anchors = self._anchors.get(raw.row)
            if anchors is not None:
                for col in anchors:
                    anchors[col] = cells[col] if col < len(cells) else None
            for col, (anchor_row, anchor_col) in self._fill.get(raw.row, ()):
                if _is_blank(cells[col] if col < len(cells) else None):
                    cells.extend([None] * (col + 1 - len(cells)))
                    cells[col] = self._anchors[anchor_row][anchor_col]
            values = {}
            errors: list[RowError] = []
            for key, index in mapping.items():
                value = cells[index] if index < len(cells) else None
                if _is_blank(value):
                    continue
                if isinstance(value, str):
                    value = value.strip()
                    if len(value) > limit.max_cell_chars:
                        errors.append(RowError(raw.row, self.headers[index], _(
                            "This cell holds %(n)s characters; a cell may hold at most %(max)s.")
                            % {"n": f"{len(value):,}", "max": f"{limit.max_cell_chars:,}"}))
                        continue
                    if value in EXCEL_ERRORS:
                        errors.append(RowError(raw.row, self.headers[index],
                                               _("The cell holds the Excel error %(value)s.") % {"value": value}))
                        continue
                values[key] = value
            if not values and not errors:
                continue  # a blank row (recognised columns empty) is skipped, not an error
            count += 1
            if count > limit.max_rows:
                raise IntakeError(_("The sheet has more than %(max)s rows; split it into several files.")
                                  % {"max": f"{limit.max_rows:,}"}, code="too_many_rows")
            errors = [RowError(raw.row, "", message) for message in raw.errors] + errors
            silenced: frozenset[str] = frozenset()
            if raw.row in self._across:
                ref, headers = self._across[raw.row]
                errors.append(RowError(raw.row, headers[0], _(
                    "Cells %(range)s are merged across several columns; unmerge them so that each column has its "
                    "own value.") % {"range": ref}))
                silenced = frozenset(headers[1:])
            yield SheetRow(row=raw.row, values=values, cells=_cut(cells, len(self.headers)), errors=errors,
                           silenced=silenced)


def _cut(cells: list, width: int) -> list:
    out = list(cells[:width]) + [None] * max(0, width - len(cells))
    for index, value in enumerate(out):
        if isinstance(value, str) and len(value) > ERROR_FILE_CELL_CHARS:
            out[index] = value[:ERROR_FILE_CELL_CHARS] + "…"
    return out


def _col_index(letters: str) -> int:
    n = 0
    for char in letters:
        n = n * 26 + (ord(char) - 64)
    return n


def _col_letters(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _range_ref(min_col: int, min_row: int, max_col: int, max_row: int) -> str:
    return f"{_col_letters(min_col)}{min_row}:{_col_letters(max_col)}{max_row}"


_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


def _merged_ranges(archive: zipfile.ZipFile, member: str) -> list[tuple[int, int, int, int]]:
    """``(min_col, min_row, max_col, max_row)`` of each merged range, from one streaming scan."""
    found = []
    tail = b""
    with archive.open(member) as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            data = tail + chunk
            last_end = 0
            for match in _MERGE_RE.finditer(data):
                c1, r1, c2, r2 = match.groups()
                c2, r2 = c2 or c1, r2 or r1
                found.append((_col_index(c1.decode()), int(r1), _col_index(c2.decode()), int(r2)))
                last_end = match.end()
            # Keep enough of the end of the chunk for a tag cut in two, but never a match twice.
            tail = data[max(last_end, len(data) - 200):]
    return found


# --- opening files -----------------------------------------------------------------------------

@contextmanager
def open_sheet(path: Path, *, kind: str, info: FileInfo | None = None, limit: Limits | None = None):
    """Open the file and yield a ``Sheet``; ``IntakeError`` for a file that cannot be read."""
    limit = limit or limits()
    info = info or sniff(path, limit=limit)
    if info.format == "xlsx":
        with _open_xlsx(path, kind=kind, info=info, limit=limit) as sheet:
            yield sheet
    else:
        with _open_csv(path, kind=kind, info=info, limit=limit) as sheet:
            yield sheet


@contextmanager
def _open_xlsx(path: Path, *, kind: str, info: FileInfo, limit: Limits):
    import openpyxl

    # A file object, not the path: openpyxl judges a path by its extension, and stored uploads
    # have none (the bytes were sniffed instead).
    handle = open(path, "rb")  # noqa: SIM115 - closed below
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl raises many types for a malformed package; none is worth a 500
        handle.close()
        logger.warning("unreadable workbook %s", path, exc_info=True)
        raise IntakeError(_("The workbook could not be read; open it in Excel, save it as .xlsx and upload it "
                            "again."), code="bad_xlsx") from None
    try:
        worksheets = workbook.worksheets[:MAX_SHEETS_SCANNED]
        if not worksheets:
            raise IntakeError(_("The workbook has no worksheet."), code="empty")
        chosen = _choose_worksheet(worksheets, kind)
        notices = []
        if len(workbook.worksheets) > 1:
            notices.append(_("Only the worksheet “%(name)s” was read; the workbook has %(n)s worksheets.")
                           % {"name": chosen.title, "n": len(workbook.worksheets)})
        estimated = chosen.max_row
        path_in_zip = getattr(chosen, "_worksheet_path", "")
        merged = _merged_ranges(workbook._archive, path_in_zip) if path_in_zip else []
        # The <dimension> a writer records may be wrong; read to the real end.
        chosen.reset_dimensions()
        raw = _xlsx_rows(chosen)
        try:
            sheet = Sheet(kind=kind, info=info, raw_rows=raw, limit=limit, sheet_name=chosen.title, merged=merged,
                          estimated_rows=estimated, notices=notices)
        except IntakeError:
            raise
        except Exception:
            logger.warning("unreadable workbook %s", path, exc_info=True)
            raise IntakeError(_("The workbook could not be read; open it in Excel, save it as .xlsx and upload it "
                                "again."), code="bad_xlsx") from None
        yield sheet
    finally:
        workbook.close()
        handle.close()


def _xlsx_rows(worksheet) -> Iterator[RawRow]:
    try:
        for index, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1):
            yield RawRow(row=index, cells=list(values))
    except IntakeError:
        raise
    except Exception:
        logger.warning("unreadable worksheet row", exc_info=True)
        raise IntakeError(_("The workbook could not be read; open it in Excel, save it as .xlsx and upload it "
                            "again."), code="bad_xlsx") from None


def _choose_worksheet(worksheets, kind: str):
    """The worksheet whose first rows hold the most recognised headers (the first on a tie)."""
    if len(worksheets) == 1:
        return worksheets[0]
    best, best_score = worksheets[0], -1
    for worksheet in worksheets:
        score = 0
        try:
            for values in worksheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, values_only=True):
                score = max(score, len({header_key(kind, v) for v in values if not _is_blank(v)} - {None}))
        except Exception:  # noqa: S112 - an unreadable extra sheet is simply not chosen
            continue
        if score > best_score:
            best, best_score = worksheet, score
    return best


@contextmanager
def _open_csv(path: Path, *, kind: str, info: FileInfo, limit: Limits):
    # The csv module refuses fields over 128 KB by default; our own cell limit reports them.
    if csv.field_size_limit() < limit.max_bytes:
        csv.field_size_limit(limit.max_bytes)
    handle = open(path, "rb")  # noqa: SIM115 - closed below
    try:
        lines = _CsvLines(handle, info)
        reader = csv.reader(lines.text(), delimiter=info.delimiter)

        def raw_rows() -> Iterator[RawRow]:
            number = 0
            try:
                for record in reader:
                    number += 1
                    yield RawRow(row=number, cells=record, errors=lines.take_errors())
            except csv.Error as exc:
                raise IntakeError(_("The CSV file is malformed near line %(line)s: %(error)s")
                                  % {"line": reader.line_num, "error": exc}, code="bad_csv") from None

        yield Sheet(kind=kind, info=info, raw_rows=raw_rows(), limit=limit, estimated_rows=info.lines)
    finally:
        handle.close()


class _CsvLines:
    """Decoded physical lines for the csv reader; lines in another encoding than the file's are
    decoded in their own and reported on the row they belong to."""

    def __init__(self, handle, info: FileInfo):
        self.handle = handle
        self.info = info
        self.pending: list[str] = []

    def take_errors(self) -> list[str]:
        errors, self.pending = self.pending, []
        return errors

    def text(self) -> Iterator[str]:
        info = self.info
        if info.encoding == "utf-16":
            wrapper = io.TextIOWrapper(self.handle, encoding="utf-16", newline="")
            for line in wrapper:
                yield line.replace("\x00", "")
            return
        main = "utf-8" if info.encoding in ("utf-8", "utf-8-sig") else "gb18030"
        for index, raw in enumerate(self.handle):
            if index == 0 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            odd = info.odd_lines.get(index)
            if odd is None:
                text = raw.decode(main, errors="replace")
            elif odd == "invalid":
                text = raw.decode(main, errors="replace")
                self.pending.append(_("This row holds bytes that are not text in UTF-8 or GB18030/GBK; save the file "
                                      "as CSV UTF-8 and upload it again."))
            else:
                text = raw.decode(odd)
                self.pending.append(_(
                    "This row is encoded as %(found)s but the rest of the file as %(expected)s, so it was not "
                    "imported; save the whole file in one encoding (CSV UTF-8 is best) and upload it again.")
                    % {"found": ENCODING_NAMES[odd], "expected": ENCODING_NAMES[main]})
            yield text.replace("\x00", "")


# --- cleaning values ---------------------------------------------------------------------------

def norm_text(value: object) -> str:
    """For matching names: NFKC, case folded, no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or "")).casefold())


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def split_list(value) -> list[str]:
    out: list[str] = []
    for part in SPLIT_RE.split(as_text(value)):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_TRL_RE = re.compile(r"^(?:trl|第)?([1-9一二三四五六七八九])(?:级|级别)?$")


def parse_trl(value) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 9:
            return int(value)
        raise CellError(_("The TRL must be a whole number from 1 to 9."))
    text = norm_text(value)
    match = _TRL_RE.match(text)
    if not match:
        raise CellError(_("The TRL must be a whole number from 1 to 9."))
    digit = match.group(1)
    return _CN_DIGITS.get(digit) or int(digit)


_NEGOTIABLE = {"面议", "待定", "协商", "议价", "negotiable", "tbd", "n/a", "na", "-", "/", "无"}
_NUMBER = r"(\d+(?:\.\d+)?)"


def parse_budget(value) -> tuple[int | None, int | None]:
    """An amount or a range in 万元 (10k CNY): "50-100", "50~100", "50至100", "100以上", ">100",
    "100以下", "<=100", "100"; amounts in 元 ("500000元") are converted. A single amount is a
    range of one value."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise CellError(_("An amount cannot be negative."))
        amount = round(value)
        return amount, amount
    text = unicodedata.normalize("NFKC", as_text(value)).casefold().replace(",", "").replace(" ", "")
    if not text or text in _NEGOTIABLE:
        return None, None
    scale = 1.0
    if text.endswith("万元") or text.endswith("万"):
        text = text.removesuffix("元").removesuffix("万")
    elif text.endswith("元") or text.endswith("yuan") or text.endswith("cny"):
        text = text.removesuffix("元").removesuffix("yuan").removesuffix("cny")
        scale = 1 / 10000
    text = text.replace("万", "")
    if text.startswith("-"):
        raise CellError(_("An amount cannot be negative."))

    def amount(number: str) -> int:
        return round(float(number) * scale)

    match = re.fullmatch(_NUMBER + r"(?:-|~|～|—|–|至|到|to)" + _NUMBER, text)
    if match:
        low, high = amount(match.group(1)), amount(match.group(2))
        if low > high:
            raise CellError(_("The range's first amount must not be above its second."))
        return low, high
    match = re.fullmatch(r"(?:>=?|≥|不少于|不低于)" + _NUMBER + r"|" + _NUMBER + r"(?:以上|及以上|\+)", text)
    if match:
        return amount(match.group(1) or match.group(2)), None
    match = re.fullmatch(r"(?:<=?|≤|不超过|不高于)" + _NUMBER + r"|" + _NUMBER + r"(?:以下|及以下|以内)", text)
    if match:
        return None, amount(match.group(1) or match.group(2))
    match = re.fullmatch(_NUMBER, text)
    if match:
        return amount(match.group(1)), amount(match.group(1))
    raise CellError(_("Write an amount in 10k CNY (万元) or a range such as 50-100."))


EXCEL_EPOCH = date(1899, 12, 30)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value)
    text = unicodedata.normalize("NFKC", as_text(value)).replace(" 00:00:00", "")
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
        return _serial(float(text))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    raise CellError(_("Not a date; write it as 2026-06-30."))


def _serial(number: float) -> date:
    """An Excel serial day number (1900 date system), as left by a cell not formatted as a date."""
    if not 1 <= number < 2958466:
        raise CellError(_("Not a date; write it as 2026-06-30."))
    return EXCEL_EPOCH + timedelta(days=int(number))


def _in_both_languages(label) -> list[str]:
    """A choice's label in Chinese and in English, so that a sheet in either reads the same
    (an export made in one language is imported by someone using the other)."""
    from django.utils import translation

    out = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out.append(str(label))
    return out


class _ChoiceTable:
    """Codes, labels (both languages) and the usual wordings of an enum's values, normalised.
    Built on first use: labels are translated, so not at import time."""

    def __init__(self, enum, pairs: dict[str, tuple[str, ...]]):
        self.enum = enum
        self.pairs = pairs
        self._table: dict[str, str] | None = None

    @property
    def table(self) -> dict[str, str]:
        if self._table is None:
            table = {}
            for value, aliases in self.pairs.items():
                for alias in aliases:
                    table[norm_text(alias)] = value
            for value, label in self.enum.choices:
                for text in (value, *_in_both_languages(label)):
                    table[norm_text(text)] = value
            self._table = table
        return self._table

    def get(self, key: str, default=None):
        return self.table.get(key, default)

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def __getitem__(self, key: str) -> str:
        return self.table[key]


def _choice_table(pairs: dict[str, tuple[str, ...]], enum) -> _ChoiceTable:
    return _ChoiceTable(enum, pairs)


MODE_ALIASES = _choice_table({
    CooperationMode.DEVELOPMENT: ("合作开发", "委托开发", "联合开发", "技术开发", "共同开发", "联合攻关", "委托研发",
                                  "合作研发", "development", "joint development", "commissioned development",
                                  "co-development", "r&d"),
    CooperationMode.TRANSFER: ("技术转让", "转让", "成果转让", "专利转让", "transfer", "technology transfer"),
    CooperationMode.LICENCE: ("技术许可", "许可", "专利许可", "许可使用", "授权", "授权使用", "licence", "license",
                              "licensing"),
    CooperationMode.CONSULTING: ("技术咨询", "咨询", "consulting", "consultancy"),
    CooperationMode.SERVICE: ("技术服务", "服务", "service", "technical service"),
    CooperationMode.EQUITY: ("作价入股", "入股", "技术入股", "股权合作", "equity", "equity investment"),
}, CooperationMode)
IP_ALIASES = _choice_table({
    IPStatus.NONE: ("无", "没有", "暂无", "none", "no", "no ip"),
    IPStatus.KNOW_HOW: ("技术秘密", "专有技术", "非专利技术", "know-how", "knowhow", "secret"),
    IPStatus.APPLIED: ("已申请", "申请中", "专利申请", "受理", "已受理", "applied", "pending", "patent pending"),
    IPStatus.GRANTED: ("已授权", "授权专利", "发明专利", "实用新型", "已获授权", "granted", "patented"),
}, IPStatus)
CONFIDENTIALITY_ALIASES = _choice_table({
    Confidentiality.PUBLIC: ("公开", "是", "可公开", "public", "yes", "open"),
    Confidentiality.MEMBERS: ("会员", "会员可见", "仅会员", "内部公开", "members", "members only"),
    Confidentiality.RESTRICTED: ("保密", "不公开", "否", "涉密", "restricted", "confidential", "secret", "no"),
}, Confidentiality)
ORG_KIND_ALIASES = _choice_table({
    OrganisationKind.ENTERPRISE: ("企业", "公司", "民营企业", "国有企业", "国企", "民企", "外资企业", "高新技术企业",
                                  "enterprise", "company", "firm"),
    OrganisationKind.UNIVERSITY: ("高校", "大学", "学院", "高等院校", "university", "college"),
    OrganisationKind.INSTITUTE: ("科研院所", "研究院", "研究所", "科研机构", "院所", "新型研发机构", "institute",
                                 "research institute", "academy"),
    OrganisationKind.INVESTOR: ("投资机构", "投资", "基金", "创投", "investor", "fund", "vc"),
    OrganisationKind.AGENCY: ("服务机构", "中介机构", "技术转移机构", "中介", "agency", "service agency"),
}, OrganisationKind)


REGION_TABLE = _ChoiceTable(Region, {})


_REGION_ZH = {
    Region.HEPING: "和平", Region.SHENHE: "沈河", Region.DADONG: "大东", Region.HUANGGU: "皇姑",
    Region.TIEXI: "铁西", Region.SUJIATUN: "苏家屯", Region.HUNNAN: "浑南", Region.SHENBEI: "沈北",
    Region.YUHONG: "于洪", Region.LIAOZHONG: "辽中", Region.XINMIN: "新民", Region.KANGPING: "康平",
    Region.FAKU: "法库",
}


def parse_region(value) -> str:
    """A Shenyang district by code, Chinese or English name ("浑南区", "沈阳市浑南区", "Hunnan");
    anything else is "outside Shenyang"."""
    text = norm_text(value)
    table = REGION_TABLE
    if text in table:
        return table[text]
    for code, name in _REGION_ZH.items():
        if name in text:
            return code
    for code, _label in Region.choices:
        if code != Region.OTHER and code in text:
            return code
    return Region.OTHER


def _choice(value, table: _ChoiceTable, message: str) -> str:
    key = norm_text(value)
    if key in table:
        return table[key]
    raise CellError(message)


def guess_language(text: str) -> str:
    return Language.ZH if re.search(r"[\u3400-\u9fff]", text or "") else Language.EN


def guess_organisation_kind(name: str, listing_kind: str) -> str:
    text = norm_text(name)
    if re.search(r"大学|学院|学校|university|college", text):
        return OrganisationKind.UNIVERSITY
    if re.search(r"研究院|研究所|研究中心|科学院|实验室|institute|academy|laboratory", text):
        return OrganisationKind.INSTITUTE
    if re.search(r"公司|集团|厂|company|co\.|ltd|inc|corp", text):
        return OrganisationKind.ENTERPRISE
    return OrganisationKind.ENTERPRISE if listing_kind != ACHIEVEMENT else OrganisationKind.INSTITUTE


@dataclass
class Vocabulary:
    """The taxonomy as import text may name it: code, Chinese or English name."""

    fields: dict[str, str]  # normalised code / name -> field code

    @classmethod
    def load(cls) -> "Vocabulary":
        from catalog.models import Field

        table = {}
        for code, name_zh, name_en in Field.objects.values_list("code", "name_zh", "name_en"):
            for name in (code, name_zh, name_en):
                table[norm_text(name)] = code
        return cls(fields=table)


@dataclass
class OrgRef:
    name_zh: str = ""
    name_en: str = ""
    credit_code: str = ""
    kind: str = ""  # explicit in the row, or ""
    region: str = ""

    @property
    def key(self) -> str:
        return self.credit_code or norm_text(self.name_zh)


@dataclass
class CleanRow:
    row: int
    data: dict  # model field -> value
    field_codes: list[str] | None  # None: no fields column
    org: OrgRef
    external_ref: str
    ref_from_column: bool
    sources: dict[str, str]  # model field -> header as written
    cells: list
    errors: list[RowError]
    silenced: frozenset[str] = frozenset()


# model field <- column key (listing kinds)
_TEXT_FIELDS = {
    "title": "title", "summary": "summary", "description": "description", "contact_name": "contact_name",
    "contact_phone": "contact_phone", "contact_email": "contact_email", "patent_numbers": "patent_numbers",
    "problem_statement": "problem_statement", "technical_indicators": "technical_indicators",
    "advantages": "advantages", "application_scenarios": "application_scenarios", "team": "team",
    "source_batch": "source_batch", "internal_note": "internal_note",
}


def title_ref(title: str) -> str:
    """The external reference of a row without one: a stable hash of its normalised title
    (unique per organisation by the model's constraint, so in effect title + organisation)."""
    return "t:" + hashlib.sha256(norm_text(title).encode()).hexdigest()[:24]


def clean_row(sheet_row: SheetRow, *, kind: str, columns: dict[str, str], vocabulary: Vocabulary) -> CleanRow:
    """Turn one row's cells into model values. ``columns`` maps column keys to the headers as
    written (``Sheet.columns``): every key of a present column is set, a blank cell to the
    field's empty value, so that a re-import clears what the bureau cleared in the sheet."""
    values = sheet_row.values
    errors = list(sheet_row.errors)
    data: dict = {}
    sources: dict[str, str] = {}
    row = sheet_row.row

    def fail(key: str, message: str) -> None:
        errors.append(RowError(row, columns.get(key, ""), message))

    def present(key: str) -> bool:
        return key in columns

    def convert(key: str, func, *targets: str) -> None:
        if not present(key):
            return
        for target in targets:
            sources[target] = columns[key]
        if key not in values:
            return
        try:
            result = func(values[key])
        except CellError as error:
            fail(key, str(error))
            for target in targets:
                data.pop(target, None)
            return
        if len(targets) == 1:
            data[targets[0]] = result
        else:
            for target, item in zip(targets, result, strict=True):
                data[target] = item

    org = OrgRef(name_zh=as_text(values.get("organisation")), name_en=as_text(values.get("organisation_en")),
                 credit_code=re.sub(r"\s+", "", as_text(values.get("credit_code"))).upper())
    if org.credit_code:
        try:
            validate_credit_code(org.credit_code)
        except ValidationError as error:
            fail("credit_code", " ".join(error.messages))
            org.credit_code = ""
    if "organisation_kind" in values:
        try:
            org.kind = _choice(values["organisation_kind"], ORG_KIND_ALIASES, _(
                "Unknown organisation type; use enterprise, university, institute, investor or agency "
                "(企业、高校、科研院所、投资机构、服务机构)."))
        except CellError as error:
            fail("organisation_kind", str(error))
        if org.kind == OrganisationKind.BUREAU:
            fail("organisation_kind", _("Bureaus cannot be imported."))
            org.kind = ""
    if "region" in values:
        org.region = parse_region(values["region"])

    if kind == ORGANISATION:
        return _clean_organisation(sheet_row, columns, org, errors)

    for key, target in _TEXT_FIELDS.items():
        if present(key):
            sources[target] = columns[key]
            data[target] = as_text(values.get(key))
    if present("keywords"):
        sources["keywords"] = columns["keywords"]
        data["keywords"] = split_list(values.get("keywords"))
    for key, target in (("deadline", "deadline"), ("valid_until", "valid_until")):
        if present(key) and kind in COLUMN_BY_KEY[key].kinds:
            data[target] = None
            convert(key, parse_date, target)
    if present("region"):
        sources["region"] = columns["region"]
        data["region"] = org.region or Region.OTHER
    if present("cooperation_modes"):
        sources["cooperation_modes"] = columns["cooperation_modes"]
        modes, unknown = [], []
        for part in split_list(values.get("cooperation_modes")):
            code = MODE_ALIASES.get(norm_text(part))
            if code is None:
                unknown.append(part)
            elif code not in modes:
                modes.append(code)
        data["cooperation_modes"] = modes
        if unknown:
            fail("cooperation_modes", _("Unknown cooperation mode “%(value)s”; use %(allowed)s.") % {
                "value": "、".join(unknown), "allowed": " / ".join(str(label) for label in CooperationMode.labels)})
    trl_field = "trl" if kind == ACHIEVEMENT else "trl_min"
    if present("trl"):
        data[trl_field] = None
        convert("trl", parse_trl, trl_field)
    if present("budget"):
        data["budget_min"] = data["budget_max"] = None
        convert("budget", parse_budget, "budget_min", "budget_max")
    for key in ("budget_min", "budget_max"):
        if present(key):
            data[key] = None
            position = 0 if key == "budget_min" else 1
            convert(key, lambda v, position=position: parse_budget(v)[position], key)
    if present("ip_status"):
        sources["ip_status"] = columns["ip_status"]
        data["ip_status"] = IPStatus.NONE
        if "ip_status" in values:
            try:
                data["ip_status"] = _choice(values["ip_status"], IP_ALIASES, _(
                    "Unknown IP status; use none, know-how, applied or granted (无、技术秘密、已申请、已授权)."))
            except CellError as error:
                fail("ip_status", str(error))
    if present("confidentiality"):
        sources["confidentiality"] = columns["confidentiality"]
        data["confidentiality"] = Confidentiality.PUBLIC
        if "confidentiality" in values:
            try:
                data["confidentiality"] = _choice(values["confidentiality"], CONFIDENTIALITY_ALIASES, _(
                    "Unknown confidentiality; use public, members or restricted (公开、会员、保密)."))
            except CellError as error:
                fail("confidentiality", str(error))
    field_codes = None
    if present("fields"):
        sources["fields"] = columns["fields"]
        field_codes, unknown = [], []
        for part in split_list(values.get("fields")):
            code = vocabulary.fields.get(norm_text(part))
            if code is None:
                unknown.append(part)
            elif code not in field_codes:
                field_codes.append(code)
        if unknown:
            fail("fields", _("Unknown field “%(value)s”; use a field's name or code from the template's “Fields” "
                             "sheet.") % {"value": "、".join(unknown)})
    data["language"] = guess_language(data.get("title", ""))
    sources["language"] = columns.get("title", "")
    sources["organisation"] = columns.get("organisation") or columns.get("credit_code", "")
    if not org.name_zh and not org.credit_code and not any(e.column == columns.get("credit_code") for e in errors):
        fail("organisation" if present("organisation") else "credit_code",
             _("Give the organisation's name or its unified social credit code."))
    ref = as_text(values.get("external_ref")) if present("external_ref") else ""
    if present("external_ref"):
        sources["external_ref"] = columns["external_ref"]
    if len(ref) > 100:
        fail("external_ref", _("A reference may have at most 100 characters."))
        ref = ""
    from_column = bool(ref)
    if not ref and data.get("title"):
        ref = title_ref(data["title"])
    return CleanRow(row=row, data=data, field_codes=field_codes, org=org, external_ref=ref,
                    ref_from_column=from_column, sources=sources, cells=sheet_row.cells, errors=errors,
                    silenced=sheet_row.silenced)


def _clean_organisation(sheet_row: SheetRow, columns: dict[str, str], org: OrgRef,
                        errors: list[RowError]) -> CleanRow:
    values = sheet_row.values
    data: dict = {}
    sources = {}
    for key, target in (("organisation", "name_zh"), ("organisation_en", "name_en"), ("credit_code", "credit_code"),
                        ("address", "address"), ("website", "website"), ("org_description", "description"),
                        ("region", "region"), ("organisation_kind", "kind")):
        if key in columns:
            sources[target] = columns[key]
    for key, target in (("address", "address"), ("website", "website"), ("org_description", "description")):
        if key in columns:
            data[target] = as_text(values.get(key))
    if "region" in columns:
        data["region"] = org.region or Region.OTHER
    if "organisation_en" in columns:
        data["name_en"] = org.name_en
    if not org.name_zh:
        errors.append(RowError(sheet_row.row, columns.get("organisation", ""),
                               _("Give the organisation's name.")))
    return CleanRow(row=sheet_row.row, data=data, field_codes=None, org=org, external_ref="", ref_from_column=False,
                    sources=sources, cells=sheet_row.cells, errors=errors, silenced=sheet_row.silenced)


# --- similarity ----------------------------------------------------------------------------------

def title_key(title: str) -> str:
    """Titles that differ only in case, width, spaces or punctuation compare equal."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", title or "").casefold())


def normalise_for_similarity(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "").casefold()).strip()


def trigrams(text: str) -> frozenset[str]:
    text = normalise_for_similarity(text)
    if len(text) < 3:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i:i + 3] for i in range(len(text) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


# --- the bilingual template --------------------------------------------------------------------

TEMPLATE_COLUMNS = {
    REQUIREMENT: ["external_ref", "title", "organisation", "credit_code", "organisation_en", "summary", "description",
                  "problem_statement", "technical_indicators", "keywords", "fields", "cooperation_modes", "trl",
                  "budget", "region", "contact_name", "contact_phone", "contact_email", "ip_status",
                  "patent_numbers", "confidentiality", "deadline", "valid_until", "source_batch", "internal_note"],
    ACHIEVEMENT: ["external_ref", "title", "organisation", "organisation_kind", "credit_code", "organisation_en",
                  "summary", "description", "advantages", "application_scenarios", "team", "keywords", "fields",
                  "cooperation_modes", "trl", "budget", "ip_status", "patent_numbers", "region", "contact_name",
                  "contact_phone", "contact_email", "confidentiality", "valid_until", "source_batch",
                  "internal_note"],
    ORGANISATION: ["organisation", "organisation_en", "credit_code", "organisation_kind", "region", "address",
                   "website", "org_description"],
}


def _descriptions() -> dict[str, str]:
    optional = _("Optional.")
    free_text = _("Free text (optional).")
    a_date = _("A date such as 2026-06-30 (optional).")
    return {
        "external_ref": _("Your own id for the row (optional). A second import of the file matches rows on it; "
                          "without it, on the title and the organisation."),
        "title": _("The title, at most 200 characters."),
        "organisation": _("The organisation's full registered name in Chinese."),
        "organisation_en": _("The organisation's English name (optional)."),
        "credit_code": _("The 18-character unified social credit code; needed to create a new enterprise."),
        "organisation_kind": _("Enterprise, university, institute, investor or agency; guessed from the name when "
                               "empty."),
        "summary": _("10 to 500 characters; public once the listing is published."),
        "description": free_text, "problem_statement": free_text, "technical_indicators": free_text,
        "advantages": free_text, "application_scenarios": free_text, "team": free_text,
        "keywords": _("Up to 5, separated by commas or 、."),
        "fields": _("1 to 5 fields by name or code from the “Fields” sheet, separated by commas or 、."),
        "cooperation_modes": _("1 to 3 modes from the “Options” sheet, separated by commas or 、."),
        "trl": _("Technology readiness level, a whole number from 1 to 9 (requirements: the lowest acceptable)."),
        "budget": _("In 10k CNY (万元): an amount, a range such as 50-100, or 面议 (negotiable)."),
        "region": _("The district, such as 浑南区; any other place counts as outside Shenyang."),
        "contact_name": optional, "contact_phone": optional, "contact_email": optional,
        "ip_status": _("None, know-how, applied or granted (see “Options”); give the patent numbers when applied "
                       "or granted."),
        "patent_numbers": optional,
        "confidentiality": _("Public, members or restricted (see “Options”); public when empty."),
        "deadline": a_date, "valid_until": a_date,
        "source_batch": _("The survey batch; the file's name when empty."),
        "internal_note": _("A note only the bureau sees (optional)."),
        "address": optional, "website": optional, "org_description": optional,
    }


def template_xlsx(kind: str) -> bytes:
    """An empty import sheet with "中文 / English" headers (required ones starred and bold), and
    sheets explaining each column and listing the taxonomy and the allowed values."""
    import openpyxl
    from django.utils import translation
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    from catalog.models import Field

    workbook = openpyxl.Workbook()
    data = workbook.active
    data.title = "数据 Data"
    keys = TEMPLATE_COLUMNS[kind]
    bold = Font(bold=True)
    for index, key in enumerate(keys, start=1):
        cell = data.cell(row=1, column=index, value=COLUMN_BY_KEY[key].header(kind))
        if kind in COLUMN_BY_KEY[key].required or (key == "organisation" and kind in LISTING_KINDS):
            cell.font = bold
        data.column_dimensions[_col_letters(index)].width = 18 if key not in ("summary", "description") else 40
    data.freeze_panes = "A2"
    if "trl" in keys:
        letter = _col_letters(keys.index("trl") + 1)
        check = DataValidation(type="whole", operator="between", formula1="1", formula2="9", allow_blank=True)
        check.error = _("The TRL must be a whole number from 1 to 9.")
        data.add_data_validation(check)
        check.add(f"{letter}2:{letter}50000")

    notes = workbook.create_sheet("填写说明 Instructions")
    notes.append([_("Column"), _("Required"), _("What to write")])
    descriptions = _descriptions()
    for key in keys:
        spec = COLUMN_BY_KEY[key]
        required = kind in spec.required or (key == "organisation" and kind in LISTING_KINDS)
        notes.append([spec.header(kind).lstrip("*"), _("Yes") if required else "", descriptions.get(key, "")])
    notes.append([])
    notes.append([_("The first row must hold the column names; Chinese or English names and common variants "
                    "are recognised, and columns may be in any order. Blank rows are skipped.")])
    for column, width in (("A", 36), ("B", 10), ("C", 90)):
        notes.column_dimensions[column].width = width

    if kind in LISTING_KINDS:
        fields = workbook.create_sheet("领域 Fields")
        fields.append(["代码 Code", "中文", "English"])
        for code, name_zh, name_en in Field.objects.order_by("cluster__order", "order", "code").values_list(
                "code", "name_zh", "name_en"):
            fields.append([code, name_zh, name_en])
        for column, width in (("A", 26), ("B", 24), ("C", 36)):
            fields.column_dimensions[column].width = width

    options = workbook.create_sheet("选项 Options")
    options.append(["", "代码 Code", "中文", "English"])
    groups = [(_("Organisation type"), OrganisationKind.choices), (_("Region"), Region.choices)]
    if kind in LISTING_KINDS:
        groups = [(_("Cooperation modes"), CooperationMode.choices), (_("IP status"), IPStatus.choices),
                  (_("Confidentiality"), Confidentiality.choices), *groups]
    for title, choices in groups:
        for value, label in choices:
            if value == OrganisationKind.BUREAU:
                continue
            with translation.override("zh-hans"):
                zh = str(label)
            with translation.override("en"):
                en = str(label)
            options.append([str(title), value, zh, en])
    for column, width in (("A", 20), ("B", 16), ("C", 28), ("D", 40)):
        options.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
