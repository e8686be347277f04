"""Builders for the intake tests: every file is made in the test itself."""

import csv
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import imports
from catalog.models import ImportStatus

HEAD = ["需求名称", "企业名称", "统一社会信用代码", "需求简介", "技术领域", "合作方式", "技术成熟度", "预算（万元）",
        "关键词", "截止日期"]
SUMMARY = "高速主轴运行两小时后热伸长超过20微米，寻求实时补偿算法与传感方案。"


def req(title: str, org: str = "甲企业", code: str = "", *, summary: str = SUMMARY, fields: str = "数控机床",
        modes: str = "合作开发", trl=5, budget="50-100", keywords="数控机床、热变形", deadline=None) -> list:
    return [title, org, code, summary, fields, modes, trl, budget, keywords, deadline]


def xlsx_bytes(rows: list[list], *, merges: tuple[str, ...] = (), title: str = "Sheet1") -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for ref in merges:
        sheet.merge_cells(ref)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_in_xlsx(content: bytes, placeholder: str, value: str) -> bytes:
    """openpyxl cuts a cell at Excel's 32,767 characters when writing; other tools do not. Put
    a longer text in by editing the package, as such a tool would have written it."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if placeholder.encode() in data:
                data = data.replace(placeholder.encode(), value.encode())
            target.writestr(info.filename, data)
    return buffer.getvalue()


def csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def read_xlsx(content: bytes) -> list[tuple]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(content: bytes, name: str = "survey.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def run_import(actor, content: bytes, *, name: str = "survey.xlsx", kind: str = "requirement", commit: bool = True):
    """Upload, preview and (unless ``commit`` is false) import, as the portal does for a small file."""
    job = imports.import_job_create(actor=actor, kind=kind, upload=upload(content, name), language="en")
    job = imports.import_preview(actor=actor, job=job)
    if commit and job.status == ImportStatus.PREVIEWED:
        job = imports.import_commit(actor=actor, job=job)
    return job


def report(job) -> dict:
    counts = imports.report_of(job)
    return {"status": job.status, "rows": counts["rows"], "created": counts["created"],
            "updated": counts["updated"], "unchanged": counts["unchanged"], "duplicates": counts["duplicates"],
            "errors": job.errors}
