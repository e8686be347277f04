#!/usr/bin/env bash
# Load test on loopback against the real stack (issue 7, item 8): a dedicated PostgreSQL
# database, gunicorn, one Celery worker on Redis, Locust headless, a pre-docking run started in
# the background during each measured run. Everything it starts is stopped by PID and the
# database is dropped on exit.
#
#   scripts/load/run_load.sh                        # 30 users, 120 s, gunicorn -w 3 --threads 4
#   CONFIGS="3x4 2x8 4x2" scripts/load/run_load.sh  # one measured run per workers x threads
#
# Env: USERS (30) SPAWN_RATE (10) RUN_TIME (120s) SCALE (0.3) CONFIGS ("3x4") OUT_DIR
# (var/load/<UTC stamp>) PGHOST/PGPORT/PGUSER (127.0.0.1/5432/postgres) LOAD_DB (techdock_load)
# REDIS_DB_URL (redis://127.0.0.1:6379/7) BACKGROUND_RUN (1: start a pre-docking run mid-test)
# TECHDOCK_WORKER_NICE (10, the default in settings; 0 runs the worker at the web's priority)
# KEEP_ALIVE (5 s: above Locust's longest wait of 3 s; at gunicorn's default of 2 s the server
# closes idle keep-alive connections just as a client reuses them: "connection reset by peer").
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
BIN=$(dirname "$PY")
USERS=${USERS:-30}; SPAWN_RATE=${SPAWN_RATE:-10}; RUN_TIME=${RUN_TIME:-120s}; SCALE=${SCALE:-0.3}
CONFIGS=${CONFIGS:-3x4}; BACKGROUND_RUN=${BACKGROUND_RUN:-1}
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}; PGUSER=${PGUSER:-postgres}; LOAD_DB=${LOAD_DB:-techdock_load}
OUT_DIR=${OUT_DIR:-$ROOT/var/load/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT_DIR"
WORK=$(mktemp -d /tmp/techdock-load.XXXXXX)

export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$LOAD_DB"
export CELERY_BROKER_URL=${REDIS_DB_URL:-redis://127.0.0.1:6379/7}
export TECHDOCK_ENV=development DEBUG=0 TECHDOCK_VAR_DIR="$WORK/var" STATIC_ROOT="$WORK/static"
export ALLOWED_HOSTS=127.0.0.1,localhost
# All simulated users come from 127.0.0.1: the per-user/per-IP API rates would refuse them.
export TECHDOCK_THROTTLE_SEARCH=100000/min TECHDOCK_THROTTLE_RUNS=1000/hour TECHDOCK_THROTTLE_IMPORTS=1000/hour
export TECHDOCK_LOGIN_MAX_FAILURES=1000
# One thread per encoder in each process: 2 cores are shared by gunicorn and the worker.
export TECHDOCK_ENCODER_THREADS=${TECHDOCK_ENCODER_THREADS:-1}
export PYTHONUNBUFFERED=1

GUNICORN_PID=""; WORKER_PID=""
psql_() { psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -v ON_ERROR_STOP=1 -qc "$1"; }
stop_pid() { # stop one process we started, by its PID
  local pid=$1; [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  set +e
  stop_pid "$GUNICORN_PID"; stop_pid "$WORKER_PID"
  psql_ "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)" >/dev/null 2>&1
  "$BIN/celery" -A config purge -f -Q default,embeddings,matching >/dev/null 2>&1
  rm -rf "$WORK"
  echo "cleaned up (database $LOAD_DB dropped); results in $OUT_DIR"
}
trap cleanup EXIT INT TERM
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 150); do curl -fsS -o /dev/null "$1" && return 0; sleep 0.2; done; return 1; }

echo "== machine: nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT_DIR/machine.txt"
echo "== database $LOAD_DB (drop/create), migrate, collectstatic"
psql_ "DROP DATABASE IF EXISTS $LOAD_DB WITH (FORCE)"; psql_ "CREATE DATABASE $LOAD_DB"
"$PY" manage.py migrate -v0
"$PY" manage.py collectstatic --noinput -v0
"$BIN/celery" -A config purge -f -Q default,embeddings,matching >/dev/null 2>&1 || true

echo "== celery worker (-c 1, pool process at nice ${TECHDOCK_WORKER_NICE:-10}: TECHDOCK_WORKER_NICE)" | tee -a "$OUT_DIR/machine.txt"
"$BIN/celery" -A config worker -Q default,embeddings,matching -c 1 -l WARNING \
  >"$OUT_DIR/worker.log" 2>&1 &
WORKER_PID=$!

echo "== seed_demo --scale $SCALE, run_predocking, demo_pairs"
t0=$(date +%s)
"$PY" manage.py seed_demo --scale "$SCALE" >"$OUT_DIR/seed.log" 2>&1
"$PY" manage.py run_predocking >"$OUT_DIR/predocking.log" 2>&1
"$PY" manage.py demo_pairs >"$OUT_DIR/demo_pairs.log" 2>&1
echo "   setup took $(( $(date +%s) - t0 )) s"
"$PY" manage.py shell -c "
from catalog.models import Requirement, Achievement
from matchmaking.models import Suggestion
print('   data:', Requirement.objects.count(), 'requirements,', Achievement.objects.count(), 'achievements,',
      Suggestion.objects.count(), 'suggestions')" | tee -a "$OUT_DIR/machine.txt"

echo "== waiting (up to 300 s) for the worker to finish what the set-up queued"
"$PY" manage.py shell -c "
import time, redis
from config.celery import app
client = redis.Redis.from_url('$CELERY_BROKER_URL')
for _ in range(150):
    queued = sum(client.llen(q) for q in ('default', 'embeddings', 'matching'))
    active = sum(len(v) for v in (app.control.inspect(timeout=1).active() or {}).values())
    if not queued and not active:
        break
    time.sleep(2)
print('   worker idle' if not queued and not active else f'   worker still busy: {queued} queued, {active} active')"

for config in $CONFIGS; do
  workers=${config%x*}; threads=${config#*x}
  port=$(free_port); host="http://127.0.0.1:$port"; tag="w${workers}t${threads}"
  echo "== gunicorn -w $workers --threads $threads on $host"
  # The deployed configuration (config/gunicorn.conf.py: gthread, each worker warmed up before it
  # serves), with the workers x threads of this run.
  "$BIN/gunicorn" -c config/gunicorn.conf.py config.wsgi -b "127.0.0.1:$port" -w "$workers" --threads "$threads" \
    --keep-alive "${KEEP_ALIVE:-5}" >"$OUT_DIR/gunicorn-$tag.log" 2>&1 &
  GUNICORN_PID=$!
  wait_http "$host/health/"
  [ "${TECHDOCK_WARM_UP:-1}" = 0 ] || for _ in $(seq 1 600); do  # every worker has warmed up (up to 120 s)
    [ "$(grep -c 'search warm-up' "$OUT_DIR/gunicorn-$tag.log" || true)" -ge "$workers" ] && break; sleep 0.2
  done
  grep 'search warm-up' "$OUT_DIR/gunicorn-$tag.log" | head -1 | sed 's/^/   /' || true
  # gunicorn's post_worker_init loaded jieba, the encoder and the indexes in each worker; a few
  # requests also compile the templates, as a deployed server's first visitors would.
  for _ in $(seq 1 $((workers * 3))); do curl -s -o /dev/null "$host/"; curl -s -o /dev/null "$host/requirements/"; done
  for _ in $(seq 1 $((workers * 3))); do curl -s -o /dev/null "$host/matchmaking/search/?q=warmup"; done
  BG_PID=""
  if [ "$BACKGROUND_RUN" = 1 ]; then
    # Started the way bureau staff start one, through the API (POST /api/v1/runs/, which only
    # enqueues), not by a management command: a second Django process starting up on these two
    # cores would be load that no deployment has. The token is fetched before the measurement.
    token=$(curl -fsS -H 'Content-Type: application/json' \
      -d '{"email": "bureau@demo.techdock.cn", "password": "techdock-demo"}' "$host/api/v1/auth/token/" \
      | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["token"])')
    ( sleep 10; echo "   background: POST /api/v1/runs/ at $(date -u +%T)";
      curl -sS -o "$OUT_DIR/background-run-$tag.json" -w '   background run: HTTP %{http_code}\n' \
        -H "Authorization: Token $token" -H 'Content-Type: application/json' -d '{"label": "load test"}' \
        "$host/api/v1/runs/" ) &
    BG_PID=$!
  fi
  "$PY" scripts/load/cpu.py snap "$WORK/cpu-$tag.json"
  echo "== locust: $USERS users, spawn $SPAWN_RATE/s, $RUN_TIME (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  LOAD_SUMMARY="$OUT_DIR/summary-$tag.json" "$BIN/locust" -f scripts/load/locustfile.py --headless \
    --host "$host" --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$RUN_TIME" --only-summary \
    --csv "$OUT_DIR/locust-$tag" --exit-code-on-error 0 >"$OUT_DIR/locust-$tag.log" 2>&1
  echo "   load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT_DIR/machine.txt"
  "$PY" scripts/load/cpu.py diff "$WORK/cpu-$tag.json" | tee -a "$OUT_DIR/machine.txt"
  [ -z "$BG_PID" ] || wait "$BG_PID"  # the request that started the background run
  stop_pid "$GUNICORN_PID"; GUNICORN_PID=""
  "$PY" manage.py shell -c "
from matchmaking.models import PreDockingRun as Run
for r in Run.objects.order_by('-pk')[:2]: print('   run', r.pk, r.status)" | tee -a "$OUT_DIR/machine.txt" || true
  "$PY" scripts/load/report.py "$OUT_DIR/summary-$tag.json" "gunicorn -w $workers --threads $threads" \
    | tee "$OUT_DIR/report-$tag.md"
done
