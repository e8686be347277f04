"""Celery tasks of the matching engine. Each is a thin wrapper over ``matchmaking.services``,
where the exactly-once logic lives; heavy work goes to the ``embeddings`` and ``matching``
queues so that it never starves mail and other small tasks on ``default``."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from matchmaking import services
from matchmaking.encoder import EncoderUnavailable

logger = logging.getLogger(__name__)


def _fail_on_error(run_id: int, exc: Exception) -> None:
    logger.exception("pre-docking run %s failed", run_id)
    services.run_fail(run_id, f"{exc.__class__.__name__}: {exc}")


@shared_task(name="matchmaking.run_prepare", acks_late=True)
def run_prepare_task(run_id: int) -> None:
    try:
        services.run_prepare(run_id)
    except EncoderUnavailable as exc:
        _fail_on_error(run_id, exc)


@shared_task(name="matchmaking.process_chunk", bind=True, acks_late=True, max_retries=3)
def process_chunk_task(self, chunk_id: int) -> bool:
    from matchmaking.models import RunChunk

    try:
        return services.chunk_process(chunk_id, worker=self.request.hostname or "")
    except (EncoderUnavailable, SoftTimeLimitExceeded) as exc:
        run_id = RunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
        if run_id:
            _fail_on_error(run_id, exc)
        return False
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            run_id = RunChunk.objects.filter(pk=chunk_id).values_list("run_id", flat=True).first()
            if run_id:
                _fail_on_error(run_id, exc)
            raise
        raise self.retry(exc=exc, countdown=2 ** self.request.retries) from exc


@shared_task(name="matchmaking.run_coverage", acks_late=True)
def run_coverage_task(run_id: int) -> None:
    try:
        services.run_coverage(run_id)
    except Exception as exc:
        _fail_on_error(run_id, exc)
        raise


@shared_task(name="matchmaking.embed_listings", acks_late=True)
def embed_listings_task(kind: str, ids: list[int]) -> int:
    return services.embed_listings(kind, ids)


@shared_task(name="matchmaking.match_listing", acks_late=True)
def match_listing_task(kind: str, listing_id: int) -> int:
    """Embed a changed listing and, if it is published, suggest its partners at once."""
    services.embed_listings(kind, [listing_id])
    return services.match_listing(kind, listing_id)


@shared_task(name="matchmaking.resume_stalled_runs")
def resume_stalled_runs_task() -> list[int]:
    return services.resume_stalled_runs()


@shared_task(name="matchmaking.embed_missing")
def embed_missing_task() -> dict:
    return services.embed_missing()
