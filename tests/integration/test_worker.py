"""Against real PostgreSQL, Redis and a Celery worker process."""

import json
import time

import pytest
from django.test import Client

from accounts.enums import Role
from accounts.services import invitation_create

pytestmark = pytest.mark.services


def _wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    return predicate()


def test_health_reports_database_broker_and_worker(celery_worker_process):
    response = Client().get("/health/")

    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["vendor"] == "postgresql"
    assert body["broker"] == {"ok": True, "mode": "broker"}
    assert body["workers"]["ok"] is True and body["workers"]["count"] >= 1


def test_invitation_mail_is_sent_by_the_worker(celery_worker_process, world):
    # given an approved enterprise and its admin
    # when the admin invites a colleague (the mail task is queued after commit)
    invitation_create(actor=world.ent_a_admin, organisation=world.ent_a, email="Colleague@Ent-A.cn",
                      role=Role.ENTERPRISE_MEMBER)

    # then the worker process renders and writes the message
    files = _wait_for(lambda: list(celery_worker_process.mail_dir.glob("*.log")))
    assert len(files) == 1
    content = files[0].read_text()
    assert "To: colleague@ent-a.cn" in content
    assert "/accounts/invitations/" in content


def test_health_reports_a_missing_worker_as_degraded(celery_worker_process):
    celery_worker_process.stop()

    response = Client().get("/health/")

    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["workers"] == {"ok": False, "count": 0, "workers": []}
