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


@shared_task(name="matchmaking.send_suggestion", acks_late=True, autoretry_for=(ConnectionError, OSError),
             retry_backoff=True, max_retries=5)
def send_suggestion_task(*, suggestion_id: int) -> bool:
    """Release an approved pair to both parties; a no-op for a pair already sent or gone."""
    from matchmaking.lifecycle import suggestion_send

    suggestion = suggestion_send(suggestion_id=suggestion_id)
    return suggestion is not None and suggestion.status == "sent"


@shared_task(name="matchmaking.route_suggestions", acks_late=True, expires=600)
def route_suggestions_task(*, run_id: int | None = None) -> dict:
    """Route unassigned suggestions to brokers; safe to run any number of times."""
    from matchmaking.routing import suggestions_route

    return suggestions_route(run_id=run_id)


@shared_task(name="matchmaking.broker_digest", acks_late=True, expires=3600)
def broker_digest_task() -> int:
    """The brokers' daily digest (beat, every morning)."""
    from matchmaking.notices import broker_digests_send

    return broker_digests_send()


@shared_task(name="matchmaking.train_ranking_model", expires=6 * 3600, soft_time_limit=30 * 60, time_limit=35 * 60)
def train_ranking_model_task(*, min_decisions: int = 50) -> int | None:
    """Nightly (Celery beat): learn ranking from brokers' decisions; returns the model's id, or
    None when there are too few decisions. Safe to run twice: unchanged decisions give back the
    model already trained on them (``learning_services.ranking_model_train``)."""
    from matchmaking import learning_services

    model = learning_services.ranking_model_train(actor=None, min_decisions=min_decisions)
    return model.pk if model is not None else None
