"""Celery tasks of docking conferences: thin wrappers over ``events`` services.

``events.plan_event`` plans a large event's negotiations (``events.planning.plan_run``) and
``events.publish_plan`` publishes its plan (``events.planning.plan_publish``); both are sent to
the ``matching`` queue (``PLAN_QUEUE``), where long work runs without starving the web's small
tasks. Both are safe to run twice: a run keeps the previous plan wherever it can, and a
publication only publishes what is still planned."""

import logging

from celery import shared_task
from django.core.cache import cache

from common.errors import ApplicationError, PermissionDenied
from events import planning

logger = logging.getLogger(__name__)

PLAN_QUEUE = "matching"
# CP-SAT stops at its own limit; the soft limit leaves room to read the event and write the plan.
PLAN_SOLVE_LIMIT_S = 120.0


def _lookup(event_id: int, actor_id: int):
    from accounts.models import User
    from events.models import Event

    event = Event.objects.filter(pk=event_id).first()
    actor = User.objects.filter(pk=actor_id, is_active=True).first()
    if event is None or actor is None:
        logger.info("event %s or user %s is gone; nothing to do", event_id, actor_id)
        return None, None
    return event, actor


@shared_task(name="events.plan_event", acks_late=True, soft_time_limit=15 * 60, time_limit=20 * 60)
def plan_event_task(*, event_id: int, actor_id: int) -> dict | None:
    """Plan the event as the bureau user who asked; the plan page shows "planning…" until the
    flag set when it was queued is cleared here. A failure is kept for the page to show."""
    try:
        event, actor = _lookup(event_id, actor_id)
        if event is None:
            return None
        try:
            report = planning.plan_run(actor=actor, event=event, time_limit_s=PLAN_SOLVE_LIMIT_S)
        except (ApplicationError, PermissionDenied) as error:
            logger.warning("plan_event: event %s refused: %s", event_id, error)
            cache.set(planning.error_key(event_id), str(error.message), planning.REPORT_TTL_S)
            return None
        return {"planned": report.planned, "confirmed": report.confirmed, "unscheduled": len(report.unscheduled),
                "moved": report.moved, "status": report.status}
    finally:
        cache.delete(planning.planning_key(event_id))


@shared_task(name="events.publish_plan", acks_late=True, soft_time_limit=15 * 60, time_limit=20 * 60)
def publish_plan_task(*, event_id: int, actor_id: int) -> dict | None:
    """Publish the event's plan as the bureau user who asked; the outcome is kept for the plan
    page (``planning.plan_publication_get``)."""
    try:
        event, actor = _lookup(event_id, actor_id)
        if event is None:
            return None
        try:
            result = planning.plan_publish(actor=actor, event=event)
        except (ApplicationError, PermissionDenied) as error:
            logger.warning("publish_plan: event %s refused: %s", event_id, error)
            cache.set(planning.error_key(event_id), str(error.message), planning.REPORT_TTL_S)
            return None
        return {"published": result.published, "refused": len(result.refused)}
    finally:
        cache.delete(planning.planning_key(event_id))
