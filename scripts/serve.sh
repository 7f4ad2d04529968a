#!/bin/sh
# The embedded profile's processes: one background worker (outbox deliveries, e-mails), one digitization worker
# (OCR, queue `ocr`: long jobs kept apart so they never delay deliveries) and the web server. Unless an identity
# provider is configured (MOTCUA_OIDC_ISSUER), a stand-in national identity provider (manage.py
# fake_identity_provider, demo citizens only) on IDP_PORT serves the "log in with VNeID" button.
# Stopping the server (Ctrl-C) stops the workers and the stand-in too.
set -eu
PORT="${PORT:-8000}"
IDP_PORT="${IDP_PORT:-8098}"
.venv/bin/python manage.py db_worker --queue-name default --no-reload &
worker=$!
.venv/bin/python manage.py db_worker --queue-name ocr --no-reload &
ocr_worker=$!
idp=""
trap 'kill "$worker" "$ocr_worker" $idp 2>/dev/null || true' EXIT INT TERM
if [ -z "${MOTCUA_OIDC_ISSUER:-}" ]; then
    MOTCUA_OIDC_ISSUER="http://127.0.0.1:$IDP_PORT"
    MOTCUA_OIDC_CLIENT_ID="motcua"
    MOTCUA_OIDC_CLIENT_SECRET="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')"
    export MOTCUA_OIDC_ISSUER MOTCUA_OIDC_CLIENT_ID MOTCUA_OIDC_CLIENT_SECRET
    .venv/bin/python manage.py fake_identity_provider --port "$IDP_PORT" --issuer "$MOTCUA_OIDC_ISSUER" \
        --client-id "$MOTCUA_OIDC_CLIENT_ID" --client-secret "$MOTCUA_OIDC_CLIENT_SECRET" \
        --redirect-uri "http://127.0.0.1:$PORT/account/oidc/callback/" \
        --redirect-uri "http://localhost:$PORT/account/oidc/callback/" &
    idp=$!
fi
# --timeout covers the longest PATCH of a resumable upload (8 MiB from the portal) on a slow connection.
.venv/bin/gunicorn motcua.wsgi --bind "127.0.0.1:$PORT" --workers 2 --timeout 120 --access-logfile - --log-level warning
