#!/bin/sh
# The embedded profile's processes: one background worker (outbox deliveries, e-mails), one digitization worker
# (OCR, queue `ocr`: long jobs kept apart so they never delay deliveries) and the web server.
# Stopping the server (Ctrl-C) stops the workers too.
set -eu
PORT="${PORT:-8000}"
.venv/bin/python manage.py db_worker --queue-name default --no-reload &
worker=$!
.venv/bin/python manage.py db_worker --queue-name ocr --no-reload &
ocr_worker=$!
trap 'kill "$worker" "$ocr_worker" 2>/dev/null || true' EXIT INT TERM
# --timeout covers the longest PATCH of a resumable upload (8 MiB from the portal) on a slow connection.
.venv/bin/gunicorn motcua.wsgi --bind "127.0.0.1:$PORT" --workers 2 --timeout 120 --access-logfile - --log-level warning
