"""Pre-docking through real worker processes on PostgreSQL and Redis: a worker killed with
SIGKILL mid-run, and two workers sharing one run."""

import io
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command

from catalog.enums import ListingKind
from matchmaking import services
from matchmaking.engine import MatchParams
from matchmaking.models import ChunkStatus, PreDockingRun, RunChunk, RunStatus, Suggestion
from tests.factories import ensure_taxonomy

pytestmark = pytest.mark.services
SCALE = 0.1


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _seed():
    ensure_taxonomy()
    call_command("seed_demo", scale=SCALE, stdout=io.StringIO())


def _assert_complete_once(run: PreDockingRun) -> None:
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    chunks = RunChunk.objects.filter(run=run)
    assert chunks.exists() and not chunks.exclude(status=ChunkStatus.DONE).exists()
    suggestions = Suggestion.objects.filter(run=run)
    pairs = list(suggestions.values_list("requirement_id", "achievement_id"))
    assert len(pairs) == len(set(pairs)) == run.counts["suggestions"]
    k = MatchParams.from_dict(run.params).k_requirement
    per_req = Counter(r for r, _a in pairs)
    live = set(services.matchable(ListingKind.REQUIREMENT).values_list("pk", flat=True))
    assert {pk for pk, n in per_req.items() if n >= k} == live


def test_a_run_survives_its_worker_killed_mid_run(celery_worker_process):
    _seed()
    run = services.run_start(actor=None)  # queued through Redis after commit
    _wait_for(lambda: RunChunk.objects.filter(run=run, status=ChunkStatus.DONE).exists(), 120, "a first chunk")

    celery_worker_process.stop(signal.SIGKILL)  # the worker and its pool vanish without acknowledging
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING
    celery_worker_process.start()
    # What beat's resume_stalled_runs does every minute once the run stalls:
    services.resume_stalled_runs(stalled_for=timedelta(0))

    _wait_for(lambda: PreDockingRun.objects.get(pk=run.pk).status != RunStatus.RUNNING, 240, "the run to finish")
    _assert_complete_once(run)


def test_two_workers_share_the_work_of_a_run(celery_worker_process):
    second = celery_worker_process.second()
    second.start()
    try:
        _seed()
        run = services.run_start(actor=None)
        _wait_for(lambda: PreDockingRun.objects.get(pk=run.pk).status != RunStatus.RUNNING
                  and PreDockingRun.objects.get(pk=run.pk).status != RunStatus.PENDING, 240, "the run to finish")
        _assert_complete_once(run)
        workers = {w.split("@")[0] for w in RunChunk.objects.filter(run=run).values_list("worker", flat=True)}
        assert workers == {celery_worker_process.name, second.name}
    finally:
        second.stop()
