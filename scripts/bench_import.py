"""Spreadsheet intake at survey scale: time and peak memory of a 20,000-row requirements import.

    .venv/bin/python scripts/bench_import.py [--rows 20000] [--database-url URL] [--out FILE]

Builds a requirements workbook from the demo generator (``catalog.demo``: realistic Chinese
titles, summaries, descriptions, fields, budgets, Shenyang enterprises with valid credit
codes; about 15 rows per enterprise), then measures, each phase in a fresh process so that
its peak resident memory is its own:

- ``naive load``: the baseline, ``openpyxl.load_workbook(path)`` (not read-only) and every row
  read into a list — what a straightforward importer does;
- ``streaming read``: ``catalog.intake.open_sheet`` and every row (openpyxl read-only, header
  mapping, blank rows, merged cells);
- the import through the background path (``imports.import_start`` / ``import_commit_start``
  with ``background=True``: the ``catalog.import_preview`` and ``catalog.import_commit`` tasks,
  run in-process by Celery's eager mode): the dry-run preview (every row validated), the commit
  (organisations created, every row through ``listing_create`` → ``listing_screen``, duplicate
  detection, batches of ``TECHDOCK_IMPORT_BATCH_ROWS``), and a re-import of the same file.

Memory: ``tracemalloc`` peak (Python allocations) for the reads; ``peak RSS`` (the process's
peak resident set, which includes Django and the interpreter) for everything, and its growth
during each import phase. The database is a throwaway one: a SQLite file in a temporary
directory by default, or a test database created next to ``--database-url`` (PostgreSQL) and
dropped afterwards. Embedding is not part of an import (matchmaking embeds in the background),
so incremental matching is off here.
"""

import argparse
import multiprocessing
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAD = ["编号", "需求名称", "企业名称", "统一社会信用代码", "所在区县", "需求简介", "详细描述", "存在问题", "技术指标",
        "关键词", "技术领域", "合作方式", "技术成熟度", "预算（万元）", "联系人", "联系电话", "截止日期"]


def _setup(env: dict) -> None:
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _maxrss_mb() -> float:
    """Peak resident memory of this process. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    from the parent across fork + exec, so a spawned child would report the parent's size."""
    status = Path("/proc/self/status")
    lines = status.read_text().splitlines() if status.exists() else []
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def build_workbook(path: Path, rows: int) -> None:
    import importlib

    import openpyxl

    from catalog import demo

    # Field names from the taxonomy's data migration: no database is needed to build the file.
    taxonomy = importlib.import_module("catalog.migrations.0002_load_field_taxonomy").TAXONOMY
    names = {code: name_zh for _c, _zh, _en, fields in taxonomy for code, name_zh, _name_en in fields}
    data = demo.generate(scale=rows / 1302 + 0.01)
    orgs = {org.key: org for org in data.orgs}
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("需求")
    sheet.append(HEAD)
    modes = {"development": "合作开发", "transfer": "技术转让", "licence": "技术许可", "consulting": "技术咨询",
             "service": "技术服务", "equity": "作价入股"}
    for spec in data.requirements[:rows]:
        v = spec.values
        org = orgs[spec.org_key]
        budget = (f"{v.get('budget_min')}-{v.get('budget_max')}" if v.get("budget_min") is not None
                  else "面议")
        sheet.append([
            spec.ref, v["title"], org.name_zh, org.key, org.region, v["summary"], v.get("description", ""),
            v.get("problem_statement", ""), v.get("technical_indicators", ""), "、".join(v.get("keywords", [])),
            "、".join(names[c] for c in spec.field_codes), "、".join(modes[m] for m in v["cooperation_modes"]),
            v.get("trl_min"), budget, v.get("contact_name", ""), v.get("contact_phone", ""), v.get("deadline"),
        ])
    workbook.save(path)


# --- phases (each in its own process) ----------------------------------------------------------

def _read_naive(path: str) -> int:
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    return len(list(workbook.active.values)) - 1


def _read_streaming(path: str) -> int:
    from catalog import intake

    count = 0
    with intake.open_sheet(Path(path), kind="requirement") as sheet:
        for _row in sheet.rows():
            count += 1
    return count


def phase_read(env: dict, path: str, how: str) -> dict:
    """Timed without tracemalloc (it slows Python down several times), then traced for the peak."""
    _setup(env)
    import openpyxl  # noqa: F401 - imported before tracing: the library's own size is not the reader's

    from catalog import intake  # noqa: F401

    read = _read_naive if how == "naive" else _read_streaming
    started = time.perf_counter()
    rows = read(path)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    read(path)
    peak = tracemalloc.get_traced_memory()[1]
    return {"seconds": seconds, "rows": rows, "traced_mb": peak / 2**20, "maxrss_mb": _maxrss_mb()}


def phase_import(env: dict, path: str, database_test_name: str) -> dict:
    _setup(env)
    from django.conf import settings
    from django.core.files import File
    from django.db import connection

    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = database_test_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return _import_phases(Path(path), File)
    finally:
        connection.creation.destroy_test_db(database_test_name, verbosity=0)


def _import_phases(path: Path, File) -> dict:  # noqa: N803 - the class, passed in after setup
    from accounts.enums import OrganisationKind, Role
    from accounts.models import Membership, Organisation, User
    from catalog import imports
    from catalog.models import ImportJob, Requirement

    bureau_org = Organisation.objects.create(kind=OrganisationKind.BUREAU, name_zh="沈阳市科学技术局",
                                             status="approved")
    user = User.objects.create_user("bench@bureau.example", "x", preferred_language="zh-hans")
    Membership.objects.create(user=user, organisation=bureau_org, role=Role.BUREAU_STAFF)
    results: dict = {"baseline_maxrss_mb": _maxrss_mb()}

    def run(label: str) -> None:
        with open(path, "rb") as handle:
            job = imports.import_job_create(actor=user, kind="requirement", upload=File(handle, name=path.name))
        before = _maxrss_mb()
        started = time.perf_counter()
        imports.import_start(actor=user, job=job, background=True)  # catalog.import_preview, eager
        preview_s = time.perf_counter() - started
        after_preview = _maxrss_mb()
        job = ImportJob.objects.get(pk=job.pk)
        started = time.perf_counter()
        imports.import_commit_start(actor=user, job=job, background=True)  # catalog.import_commit, eager
        commit_s = time.perf_counter() - started
        job = ImportJob.objects.get(pk=job.pk)
        results[label] = {
            "status": job.status, "rows": job.rows, "created": job.created_count, "updated": job.updated_count,
            "unchanged": job.unchanged_count, "errors": job.error_count, "duplicates": job.duplicates_count,
            "organisations": job.organisations_created, "preview_s": preview_s, "commit_s": commit_s,
            "maxrss_before_mb": before, "maxrss_after_preview_mb": after_preview, "maxrss_after_mb": _maxrss_mb(),
        }

    run("first")
    results["listings"] = Requirement.objects.count()
    run("again")
    results["listings_after_again"] = Requirement.objects.count()
    return results


def in_child(func, *args) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(func, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=2_000, help="a smaller file for the memory comparison")
    parser.add_argument("--database-url", default="", help="PostgreSQL to run the import against (a test "
                                                           "database is created beside it and dropped)")
    parser.add_argument("--out", default="", help="also write the report (Markdown) to this file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="techdock-bench-import-"))
    env = {"TECHDOCK_VAR_DIR": str(workdir), "TECHDOCK_INCREMENTAL_MATCHING": "0", "CELERY_TASK_ALWAYS_EAGER": "1",
           "MEDIA_ROOT": str(workdir / "media")}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        env["DATABASE_URL"] = None
        env["CELERY_BROKER_URL"] = None
    _setup(env)
    files = {}
    for rows in (args.small, args.rows):
        path = workdir / f"requirements-{rows}.xlsx"
        started = time.perf_counter()
        build_workbook(path, rows)
        files[rows] = path
        print(f"built {path.name}: {path.stat().st_size / 2**20:.1f} MB in {time.perf_counter() - started:.0f} s",
              flush=True)

    child_env = {k: v for k, v in env.items()}
    reads = {}
    for rows, path in files.items():
        reads[rows] = {how: in_child(phase_read, child_env, str(path), how) for how in ("naive", "stream")}
        print(rows, reads[rows], flush=True)
    test_name = str(workdir / "bench.sqlite3") if not args.database_url else "test_techdock_bench_import"
    result = in_child(phase_import, child_env, str(files[args.rows]), test_name)
    print(result, flush=True)
    report = render(args, files, reads, result)
    print(report)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(report, encoding="utf-8")


def render(args, files: dict, reads: dict, result: dict) -> str:
    first, again = result["first"], result["again"]
    rows = args.rows
    engine = "PostgreSQL" if args.database_url else "SQLite (file)"
    lines = [
        "## Spreadsheet intake (issue 6)",
        "",
        f"`.venv/bin/python scripts/bench_import.py --rows {rows}"
        + (f" --database-url {args.database_url}" if args.database_url else "") + "`",
        "",
        f"A {rows:,}-row requirements workbook ({files[rows].stat().st_size / 2**20:.1f} MB, 17 columns, built from "
        f"the demo generator: {first['organisations']:,} enterprises) on {engine}, {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), Python {platform.python_version()}. Each phase in a fresh "
        "process; peak memory is that process's (peak RSS includes Django, ~100 MB). Read times are without "
        "tracemalloc; its peak comes from a second, traced pass.",
        "",
        "| reading the sheet | rows | time | tracemalloc peak | peak RSS |",
        "|---|---:|---:|---:|---:|",
    ]
    for n in sorted(reads):
        for label, key in (("naive `load_workbook` (baseline)", "naive"), ("streaming `intake.open_sheet`", "stream")):
            r = reads[n][key]
            lines.append(f"| {label} | {r['rows']:,} | {r['seconds']:.1f} s | {r['traced_mb']:.0f} MB | "
                         f"{r['maxrss_mb']:.0f} MB |")
    lines += [
        "",
        "| import through the background tasks | time | rows/s | peak RSS growth | result |",
        "|---|---:|---:|---:|---|",
        f"| dry-run preview (every row validated) | {first['preview_s']:.0f} s | {rows / first['preview_s']:.0f} | "
        f"{first['maxrss_after_preview_mb'] - first['maxrss_before_mb']:.0f} MB | {first['rows']:,} rows checked |",
        f"| commit (organisations, services, duplicates, batches) | {first['commit_s']:.0f} s | "
        f"{rows / first['commit_s']:.0f} | {first['maxrss_after_mb'] - first['maxrss_after_preview_mb']:.0f} MB | "
        f"{first['created']:,} created, {first['errors']} errors, {first['duplicates']} flagged |",
        f"| re-import of the same file (preview + commit) | {again['preview_s'] + again['commit_s']:.0f} s | "
        f"{rows / (again['preview_s'] + again['commit_s']):.0f} | "
        f"{again['maxrss_after_mb'] - again['maxrss_before_mb']:.0f} MB | {again['created']} created, "
        f"{again['updated']} updated, {again['unchanged']:,} unchanged |",
        "",
        f"Peak resident memory of the import process: {first['maxrss_after_mb']:.0f} MB after the first import "
        f"(from {result['baseline_maxrss_mb']:.0f} MB after start-up), {again['maxrss_after_mb']:.0f} MB after the "
        f"re-import; listings in the database: {result['listings']:,}, then {result['listings_after_again']:,}.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
