"""Signal handlers: catalog changes queue embedding and incremental matching; a worker process
loads its encoder after the fork (a model that ran before ``fork`` hangs the child)."""

import logging

from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from django.dispatch import receiver

from catalog.enums import ListingStatus
from catalog.signals import listing_changed

logger = logging.getLogger(__name__)


@receiver(listing_changed)
def queue_matching(sender, kind: str, listing_id: int, status: str, content_changed: bool, **kwargs):
    if not getattr(settings, "TECHDOCK_INCREMENTAL_MATCHING", True):
        return
    from matchmaking.tasks import embed_listings_task, match_listing_task

    if status == ListingStatus.PUBLISHED:
        match_listing_task.apply_async(args=[kind, listing_id], queue="matching")
    elif content_changed and status not in (ListingStatus.DRAFT,):
        embed_listings_task.apply_async(args=[kind, [listing_id]], queue="embeddings")


@worker_process_init.connect
def load_encoder(**kwargs):
    from matchmaking.encoder import EncoderUnavailable, warm_up

    try:
        warm_up()
    except EncoderUnavailable as exc:
        logger.error("the encoder is unavailable in this worker: %s", exc)


@worker_ready.connect
def catch_up_embeddings(sender=None, **kwargs):
    """A new encoder (or listings seeded in bulk) is caught up in the background."""
    from matchmaking.tasks import embed_missing_task

    embed_missing_task.apply_async(queue="default")
