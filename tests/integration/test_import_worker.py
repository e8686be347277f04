"""Spreadsheet imports run by a real Celery worker on PostgreSQL and Redis: the background
path, and a worker killed in the middle of an import (nothing half-written, then resumed)."""

import os
import signal
import time
from pathlib import Path

import pytest

from catalog import imports
from catalog.enums import Provenance
from catalog.models import ImportJob, ImportStatus, Requirement
from tests.catalog.intake_helpers import HEAD, req, upload, xlsx_bytes

pytestmark = pytest.mark.services

ROWS = 200
SUMMARY = "号需求：寻求数控机床加工精度提升与热变形补偿方案，精度达到微米级。"


def _wait_for(predicate, timeout: float = 120.0, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(every)
    return predicate()


@pytest.fixture
def shared_uploads(settings):
    """The worker finds uploads under its MEDIA_ROOT, which follows TECHDOCK_VAR_DIR (set by the
    suite for the worker's environment); point this process at the same place."""
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or Path(os.environ["TECHDOCK_VAR_DIR"]) / "media")


def _job(world):
    bureau = world.bureau
    bureau.preferred_language = "en"
    bureau.save(update_fields=["preferred_language"])
    rows = [HEAD, *[req(f"后台导入需求第{i:03d}号", summary=f"第{i:03d}{SUMMARY}") for i in range(ROWS)]]
    job = imports.import_job_create(actor=bureau, kind="requirement", upload=upload(xlsx_bytes(rows)),
                                    language="en")
    return bureau, job


def _imported() -> int:
    return Requirement.objects.filter(provenance=Provenance.IMPORT).count()


def test_the_worker_checks_and_imports_a_large_file(shared_uploads, celery_worker_process, world):
    bureau, job = _job(world)

    job = imports.import_start(actor=bureau, job=job, commit=True, background=True)
    assert job.status == ImportStatus.VALIDATING

    done = _wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status=ImportStatus.DONE).first())
    assert done is not None, ImportJob.objects.get(pk=job.pk).error_message
    assert (done.rows, done.created_count, done.error_count, done.progress) == (ROWS, ROWS, 0, 100)
    assert done.preview["create"] == ROWS
    assert _imported() == ROWS


def test_a_worker_killed_mid_import_leaves_whole_batches_and_another_resumes(shared_uploads, celery_worker_process,
                                                                             world, settings):
    bureau, job = _job(world)
    job = imports.import_start(actor=bureau, job=job, commit=True, background=True)
    importing = _wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING).first(),
                          every=0.02)
    assert importing is not None

    os.killpg(celery_worker_process.proc.pid, signal.SIGKILL)  # no goodbye: the message stays unacknowledged
    celery_worker_process.proc.wait(timeout=30)

    killed = ImportJob.objects.get(pk=job.pk)
    # Rows are committed with the job's counts and cursor in one transaction per batch, so what
    # is in the catalogue is exactly what the job says it committed.
    assert _imported() == killed.created_count
    assert killed.status in (ImportStatus.IMPORTING, ImportStatus.DONE)

    second = celery_worker_process.second()
    second.start()
    try:
        settings.TECHDOCK_IMPORT_STALL_SECONDS = 0  # the dead worker's heartbeat counts as stale at once
        if killed.status == ImportStatus.IMPORTING:
            assert imports.import_resume_stalled() == [job.pk]
        done = _wait_for(lambda: ImportJob.objects.filter(pk=job.pk, status=ImportStatus.DONE).first())
    finally:
        second.stop()
    assert done is not None, ImportJob.objects.get(pk=job.pk).error_message
    assert (done.created_count, done.error_count) == (ROWS, 0)
    assert _imported() == ROWS
