"""The Celery app. Queues: ``default`` (mail, small jobs), ``embeddings`` and ``matching``
(heavy work kept off the default queue so it never starves the web's small tasks)."""

import os

from celery import Celery
from celery.signals import worker_process_init
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("techdock")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("embeddings"), Queue("matching"))
app.conf.task_default_queue = "default"
app.autodiscover_tasks()


@worker_process_init.connect
def _lower_priority(**_kwargs):
    """Each pool process runs at settings.TECHDOCK_WORKER_NICE (see there); the parent, which only
    hands out tasks, keeps its priority."""
    from django.conf import settings

    if settings.TECHDOCK_WORKER_NICE > 0:
        os.nice(settings.TECHDOCK_WORKER_NICE)
