"""The Celery app. Queues: ``default`` (mail, small jobs), ``embeddings`` and ``matching``
(heavy work kept off the default queue so it never starves the web's small tasks)."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("techdock")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("embeddings"), Queue("matching"))
app.conf.task_default_queue = "default"
app.autodiscover_tasks()
