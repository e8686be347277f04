"""gunicorn settings for the web process (``gunicorn -c config/gunicorn.conf.py config.wsgi``).

Defaults measured on 2 cores with scripts/load/run_load.sh (BENCHMARKS.md §5); every one can be
overridden on the command line or with GUNICORN_* variables below.
- gthread, 3 workers x 4 threads: requests wait on PostgreSQL and Redis part of the time, and
  3 processes beat 2 at 30 users; each worker holds its own query encoder (~0.9 GB).
- keep-alive 5 s: above a browser's (and the load test's) pause between requests, so idle
  connections are not closed just as a client reuses them.
- each worker loads jieba, the encoder and the indexes before serving (matchmaking.warmup), so
  no user waits for a cold start; the 60 s timeout covers that load.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
keepalive = int(os.environ.get("GUNICORN_KEEP_ALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")


def post_worker_init(worker):
    if os.environ.get("TECHDOCK_WARM_UP", "1") != "0":
        from matchmaking.warmup import warm_up

        warm_up()
