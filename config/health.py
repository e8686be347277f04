"""``/health/``: the database, the broker and whether a worker answers a ping.

200 when the database and the broker are reachable (the web can serve); the worker's state is
reported but does not fail the check, so a load balancer keeps the web up while workers restart.
"""

import time

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": round((time.monotonic() - started) * 1000, 1)}


def check_broker() -> dict:
    from config.celery import app

    if app.conf.task_always_eager:
        return {"ok": True, "mode": "in-process"}
    try:
        with app.connection_for_write(url=app.conf.broker_url) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "mode": "broker"}


def check_workers(timeout: float = 1.0) -> dict:
    from config.celery import app

    if app.conf.task_always_eager:
        return {"ok": True, "mode": "in-process", "count": 0}
    try:
        replies = app.control.ping(timeout=timeout) or []
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__, "count": 0}
    names = sorted(name for reply in replies for name in reply)
    return {"ok": bool(names), "count": len(names), "workers": names}


def check_encoder() -> dict:
    """Whether the configured encoder's package or files are installed (weights are not loaded
    here: the web answers health checks in milliseconds)."""
    from matchmaking.encoder import check_encoder as check

    ok, message = check()
    return {"ok": ok, "message": message}


@never_cache
@require_GET
def health(request):
    database = check_database()
    broker = check_broker()
    workers = check_workers() if broker.get("ok") else {"ok": False, "count": 0, "error": "no broker"}
    healthy = database["ok"] and broker["ok"]
    status = "ok" if healthy and workers["ok"] else ("degraded" if healthy else "down")
    encoder = check_encoder()
    if not encoder["ok"] and status == "ok":
        status = "degraded"  # pages and the API work; matching and semantic search do not
    payload = {"status": status, "database": database, "broker": broker, "workers": workers, "encoder": encoder}
    return JsonResponse(payload, status=200 if healthy else 503)
