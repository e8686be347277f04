"""The security audit log: one JSON line per security-relevant event on the ``techdock.audit``
logger (sign-ins, permission denials, views of confidential listings, broker decisions, role
changes). Never pass a secret: values are written as given.

Services call ``audit_event`` without a request; the request's id, IP and user come from the
context the audit middleware sets for the duration of a request (none outside a request)."""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

logger = logging.getLogger("techdock.audit")

# Set by common.middleware.AuditContextMiddleware for the duration of a request:
# {"request_id", "ip", "request"}; "user_id" may be given instead of "request" (tasks, tests).
request_context: ContextVar[dict | None] = ContextVar("techdock_audit_request", default=None)


def _context_user_id(context: dict) -> int | None:
    if context.get("user_id") is not None:
        return context["user_id"]
    # Read when the event is written, not when the request came in: by then DRF has replaced
    # the session's (anonymous) user with the one its token authentication found.
    user = getattr(context.get("request"), "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def audit_event(event: str, *, user=None, organisation_id: int | None = None, **fields: Any) -> None:
    """Write one audit line. ``user`` may be a user object or None (the request's user, if any)."""
    context = request_context.get() or {}
    record = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event": event,
        "user_id": getattr(user, "pk", None) if user is not None else _context_user_id(context),
        "organisation_id": organisation_id,
        "ip": context.get("ip"),
        "request_id": context.get("request_id"),
        **fields,
    }
    logger.info(json.dumps(record, ensure_ascii=False, default=str, sort_keys=True))


def audit_event_on_commit(event: str, *, user=None, organisation_id: int | None = None, **fields: Any) -> None:
    """``audit_event`` once the current transaction commits (at once outside a transaction), so
    that a change that is rolled back is never logged; with the request context of the call."""
    context = request_context.get()

    def write() -> None:
        token = request_context.set(context)
        try:
            audit_event(event, user=user, organisation_id=organisation_id, **fields)
        finally:
            request_context.reset(token)

    transaction.on_commit(write)
