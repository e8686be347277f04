"""Redis restarted in the middle of a pre-docking run: nothing is lost.

The broker here is a private ``redis-server`` on a free port (no persistence, like production's
cache-only Redis and CI's), so that the test can kill it with SIGKILL and start it again without
disturbing the Redis other tests use. Everything queued in it is gone after the restart: the run
survives because its state lives in PostgreSQL (``RunChunk`` rows), the worker reconnects by
itself (``broker_connection_retry``) and beat's ``resume_stalled_runs`` sends the unfinished
chunks again; a chunk that was done before the restart is never redone (its row says so)."""

import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.conf import settings

from matchmaking import services
from matchmaking.models import ChunkStatus, PreDockingRun, RunChunk, RunStatus
from tests.conftest import services_required
from tests.integration.conftest import WorkerProcess, _require_services
from tests.integration.test_predocking_worker import _assert_complete_once, _seed, _wait_for

pytestmark = pytest.mark.services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    def __init__(self, port: int, log_dir):
        self.port, self.log_dir, self.proc = port, log_dir, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.log_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_for(lambda: self._ping(redis), 20, f"redis-server on port {self.port}")

    def _ping(self, redis) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.exceptions.RedisError:
            return False

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)


def _point_app_at(app, url: str) -> None:
    """Send this process's tasks to ``url``: the broker URL and the cached connection pools."""
    # Celery resolved the read and write URLs from broker_url when it was configured.
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url
    from kombu import pools

    pools.reset()  # closes every pooled connection and forgets the pools, keyed by URL
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker_on_private_redis(transactional_db, tmp_path):
    _require_services()
    if shutil.which("redis-server") is None:
        if services_required():
            pytest.fail("redis-server is not installed", pytrace=False)
        pytest.skip("redis-server is not installed")
    from config.celery import app

    broker = PrivateRedis(_free_port(), tmp_path)
    broker.start()
    original_url = app.conf.broker_url
    _point_app_at(app, broker.url)
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env["CELERY_BROKER_URL"] = broker.url
    env["CELERY_TASK_ALWAYS_EAGER"] = "0"
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    worker = WorkerProcess(env, tmp_path / "worker.log", name="pytest-redis")
    app.conf.task_always_eager = False
    try:
        worker.start(timeout=180)  # a cold worker loads torch; slow when the machine is busy
        yield worker, broker
    finally:
        app.conf.task_always_eager = True
        worker.stop()
        broker.kill()
        _point_app_at(app, original_url)


def _answers(app, worker) -> bool:
    import kombu.exceptions
    import redis

    try:
        replies = app.control.ping(timeout=0.5) or []
    except (redis.exceptions.ConnectionError, kombu.exceptions.OperationalError):
        return False
    return any(name.startswith(f"{worker.name}@") for reply in replies for name in reply)


def test_a_run_survives_redis_restarted_mid_run(worker_on_private_redis):
    from config.celery import app

    worker, broker = worker_on_private_redis
    _seed()
    run = services.run_start(actor=None)
    _wait_for(lambda: RunChunk.objects.filter(run=run, status=ChunkStatus.DONE).exists(), 120, "a first chunk")
    done_before = set(RunChunk.objects.filter(run=run, status=ChunkStatus.DONE).values_list("pk", "finished_at"))

    broker.kill()  # the queues, the unacknowledged messages and the worker's connection are gone
    time.sleep(1)
    broker.start()
    # This process's pooled connections died with the server (a web process's next publish
    # reconnects through kombu's publish retry; a control broadcast does not retry).
    _point_app_at(app, broker.url)
    # The worker reconnects by itself and answers again.
    _wait_for(lambda: _answers(app, worker), 90, "the worker to reconnect")
    assert worker.proc.poll() is None
    assert PreDockingRun.objects.get(pk=run.pk).status == RunStatus.RUNNING

    # What beat's resume_stalled_runs does once the run stops making progress:
    services.resume_stalled_runs(stalled_for=timedelta(0))
    _wait_for(lambda: PreDockingRun.objects.get(pk=run.pk).status != RunStatus.RUNNING, 240, "the run to finish")
    _assert_complete_once(run)
    # Chunks finished before the restart were not done a second time.
    after = dict(RunChunk.objects.filter(pk__in=[pk for pk, _ in done_before]).values_list("pk", "finished_at"))
    assert {pk: finished for pk, finished in done_before} == after
