"""A real Celery worker for integration tests.

The worker is a separate process started here (not by .ci/run) so that it points at pytest's
test database and so that fault tests can kill and restart it. It needs PostgreSQL (SQLite
cannot be shared across processes safely) and a Redis broker; in CI a missing service is a
failure, on a laptop it is a skip.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import services_required

ROOT = Path(__file__).resolve().parents[2]


def _missing_services() -> str | None:
    if connection.vendor != "postgresql":
        return "the worker tests need DATABASE_URL pointing at PostgreSQL"
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        return "the worker tests need CELERY_BROKER_URL pointing at Redis"
    import redis

    try:
        redis.Redis.from_url(broker, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        return f"Redis is not reachable at {broker}: {exc}"
    return None


def _require_services() -> None:
    reason = _missing_services()
    if reason:
        if services_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


class WorkerProcess:
    def __init__(self, env: dict, log_path: Path, name: str = "pytest"):
        self.env = env
        self.log_path = log_path
        self.name = f"{name}-{os.getpid()}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        from config.celery import app

        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,embeddings,matching",
             "--concurrency", "1", "--pool", "prefork", "--without-gossip", "--without-mingle",
             "--loglevel", "INFO", "-n", f"{self.name}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited early; log: {self.log_path.read_text()[-3000:]}")
            replies = app.control.ping(timeout=0.5) or []
            if any(name.startswith(f"{self.name}@") for reply in replies for name in reply):
                return
        raise RuntimeError(f"worker did not answer within {timeout}s; log: {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real worker on the test database; tasks are sent through Redis while it runs."""
    _require_services()
    from config.celery import app

    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env["EMAIL_BACKEND"] = "django.core.mail.backends.filebased.EmailBackend"
    env["EMAIL_FILE_PATH"] = str(tmp_path / "mail")
    env["CELERY_TASK_ALWAYS_EAGER"] = "0"
    app.control.purge()
    worker = WorkerProcess(env, tmp_path / "worker.log")
    worker.second = lambda: WorkerProcess(env, tmp_path / "worker2.log", name="pytest-second")
    app.conf.task_always_eager = False
    try:
        worker.start()
        worker.mail_dir = tmp_path / "mail"
        yield worker
    finally:
        app.conf.task_always_eager = True
        worker.stop()
