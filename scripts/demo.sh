#!/usr/bin/env bash
# Runs the demo: migrate an SQLite database, load the Hengyang tree and demo accounts, then
# serve the portal with a Celery worker and beat on the filesystem broker. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
# The embedded defaults: no DATABASE_URL or REDIS_URL means SQLite and a filesystem broker.
unset DATABASE_URL REDIS_URL CELERY_BROKER_URL
export DEBUG=${DEBUG:-1}
mkdir -p var

$BIN/python manage.py migrate --noinput
$BIN/python manage.py seed_demo

pids=()
stop() {
  trap - INT TERM EXIT
  echo "正在停止演示……"
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# One worker process: SQLite allows one writer at a time.
$BIN/celery -A config worker --pool=solo --loglevel=INFO &
pids+=($!)
$BIN/celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule &
pids+=($!)
$BIN/python manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)

echo "门户已启动：http://127.0.0.1:${PORT}/  管理后台：http://127.0.0.1:${PORT}/admin/  按 Ctrl-C 停止。"
wait -n "${pids[@]}"
