import json

from django.test import Client


def test_health_in_process_mode_reports_database(db, settings):
    response = Client().get("/health/")

    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["database"]["ok"] is True
    assert body["broker"]["mode"] == "in-process"
    assert body["status"] == "ok"


def test_health_reports_unreachable_broker_as_down(db, monkeypatch):
    from config.celery import app

    # Celery gives the CELERY_BROKER_URL environment variable precedence over its config.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")

    app.conf.task_always_eager = False
    old = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = Client().get("/health/")
    finally:
        app.conf.broker_url = old
        app.conf.task_always_eager = True

    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["status"] == "down"
    assert body["broker"]["ok"] is False
