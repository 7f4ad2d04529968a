"""motcua settings: every value an operator may change is read from a MOTCUA_* environment variable.

docs/configuration.md lists them all with their defaults. The defaults give the embedded profile: SQLite (WAL) and
local files under ./var/, a secret key generated into ./var/ on first start, DEBUG off.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(f"MOTCUA_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """MOTCUA_SECRET_KEY, else a key generated once into DATA_DIR/secret_key (mode 0600)."""
    configured = env("SECRET_KEY")
    if configured:
        return configured
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Demo data (accounts with a known password) may only be loaded where this is on; production leaves it off.
DEMO = env_bool("DEMO", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "motcua.core",
    "motcua.audit",
    "motcua.organization",
    "motcua.identity",
    "motcua.catalog",
    "motcua.documents",
    "motcua.integrations",
    "motcua.dossiers",
    "motcua.results",
    "motcua.index766",
    "motcua.petitions",
    "motcua.payments",
    "motcua.opendata",
    "motcua.portal",
    "motcua.backoffice",
    "motcua.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"
ASGI_APPLICATION = "motcua.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: MOTCUA_DATABASE_URL (e.g. postgres://user:pass@host:5432/motcua), else SQLite in WAL mode under DATA_DIR.
_database_url = env("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "motcua.sqlite3",
            "OPTIONS": {
                # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at BEGIN so two
                # writers queue (busy timeout) instead of failing with "database is locked" half-way.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["motcua.identity.backends.IdentifierBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS 2.1.1: at least 12 characters.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12)}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# Lockout after repeated failed logins, per account (whatever identifier was typed: ID number, e-mail or username).
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
# Login attempts per client address and window (seconds), whatever the account: slows password spraying.
LOGIN_RATE = (env_int("LOGIN_RATE_LIMIT", 20), env_int("LOGIN_RATE_WINDOW", 60))
API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", 3600)
OTP_TOTP_ISSUER = env("OTP_ISSUER", "motcua")

# Internationalization: Vietnamese first, English second. Store UTC, show Asia/Ho_Chi_Minh.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "motcua" / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "motcua_language"

# Static files are served by WhiteNoise from STATIC_ROOT (collectstatic at start).
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Files: local folder by default; MOTCUA_STORAGE=s3 uses django-storages with the MOTCUA_S3_* settings.
if env("STORAGE", "local") == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("S3_BUCKET"),
            "endpoint_url": env("S3_ENDPOINT_URL") or None,
            "region_name": env("S3_REGION") or None,
            "access_key": env("S3_ACCESS_KEY_ID"),
            "secret_key": env("S3_SECRET_ACCESS_KEY"),
            "default_acl": None,
            "file_overwrite": False,
            # "path" for most self-hosted stores (MinIO, Ceph); "virtual" for AWS; empty: boto3's choice.
            "addressing_style": env("S3_ADDRESSING_STYLE") or None,
            "signature_version": env("S3_SIGNATURE_VERSION", "s3v4"),
            "querystring_auth": True,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": env("STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"),
    },
}

# Cache (rate-limit counters, rendering caches): per process by default; `database` shares it between every process
# and host (a table made by `manage.py createcachetable`), so that limits per address hold across several web processes.
if env("CACHE", "local") == "database":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "motcua_cache"}}

# E-mail: the console backend by default (messages are printed by the server); SMTP in production.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "motcua <no-reply@motcua.local>")

# Backups dump in JSON with microsecond timestamps (motcua/core/serialization.py).
SERIALIZATION_MODULES = {"jsonx": "motcua.core.serialization"}

# Content Security Policy (django-csp): everything from this origin only, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"],
        "img-src": ["'self'", "data:"], "font-src": ["'self'"], "connect-src": ["'self'"],
        "object-src": ["'none'"], "base-uri": ["'self'"], "form-action": ["'self'"], "frame-ancestors": ["'none'"],
    },
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Security headers and cookies. Behind TLS set MOTCUA_SECURE_COOKIES=1 (and the HSTS seconds).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Background work (django-tasks + django-tasks-db): jobs are rows in the database; `manage.py db_worker` runs them
# (`make run` starts one per queue). Any number of workers may run; jobs are claimed with SKIP LOCKED on PostgreSQL.
# Queues: `default` (outbox deliveries, e-mails) and `ocr` (digitization: long jobs that must not delay the others).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "ocr"],
    }
}
# Digitization (documents/ocr.py): Tesseract languages; attempts before a file is failed (waits the base seconds,
# doubling, at most the max between attempts); how long a claim is leased to a worker (one killed mid-way is
# taken again after it); OCRmyPDF's parallel jobs per worker, per-page Tesseract timeout and PDF/A backend
# ("internal": never Ghostscript; "auto" lets OCRmyPDF fall back to Ghostscript when installed); thumbnail width.
MOTCUA_OCR_LANGUAGES = env("OCR_LANGUAGES", "vie+eng")
MOTCUA_OCR_MAX_ATTEMPTS = env_int("OCR_MAX_ATTEMPTS", 5)
MOTCUA_OCR_RETRY_BASE_SECONDS = env_int("OCR_RETRY_BASE_SECONDS", 60)
MOTCUA_OCR_RETRY_MAX_SECONDS = env_int("OCR_RETRY_MAX_SECONDS", 3600)
MOTCUA_OCR_LEASE_SECONDS = env_int("OCR_LEASE_SECONDS", 1800)
MOTCUA_OCR_JOBS = env_int("OCR_JOBS", 1)
MOTCUA_OCR_PAGE_TIMEOUT = env_int("OCR_PAGE_TIMEOUT", 180)
MOTCUA_OCR_PDFA_BACKEND = env("OCR_PDFA_BACKEND", "internal")
MOTCUA_OCR_THUMBNAIL_WIDTH = env_int("OCR_THUMBNAIL_WIDTH", 320)
# Outbox: attempts before a delivery is failed (waits 30 s, doubling, at most 1 h between attempts).
MOTCUA_OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
MOTCUA_OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30)
MOTCUA_OUTBOX_RETRY_MAX_SECONDS = env_int("OUTBOX_RETRY_MAX_SECONDS", 3600)
# How long a claimed delivery stays with its worker; a worker that dies leaves it to others after this.
MOTCUA_OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300)
# National public service portal sync (docs/configuration.md): empty URL = messages are kept in the local table
# "national sync messages" (admin) instead of sent. Bearer token, or user name and password for basic auth.
MOTCUA_NATIONAL_SYNC_URL = env("NATIONAL_SYNC_URL", "")
MOTCUA_NATIONAL_SYNC_TOKEN = env("NATIONAL_SYNC_TOKEN", "")
MOTCUA_NATIONAL_SYNC_USERNAME = env("NATIONAL_SYNC_USERNAME", "")
MOTCUA_NATIONAL_SYNC_PASSWORD = env("NATIONAL_SYNC_PASSWORD", "")
# Seconds to connect and to wait for the answer, for the national portal and for webhooks.
MOTCUA_NATIONAL_SYNC_CONNECT_TIMEOUT = float(env("NATIONAL_SYNC_CONNECT_TIMEOUT", "5"))
MOTCUA_NATIONAL_SYNC_TIMEOUT = float(env("NATIONAL_SYNC_TIMEOUT", "30"))
MOTCUA_WEBHOOK_CONNECT_TIMEOUT = float(env("WEBHOOK_CONNECT_TIMEOUT", "5"))
MOTCUA_WEBHOOK_TIMEOUT = float(env("WEBHOOK_TIMEOUT", "15"))
# The portal's public address, for links in e-mails (tracking pages).
MOTCUA_PUBLIC_URL = env("PUBLIC_URL", "http://127.0.0.1:8000")
# Payments (motcua.payments, docs/configuration.md "Payments"): the gateway adapter (`sandbox`: the local stand-in
# pages under /sandbox/pay/; `http`: a real gateway at PAYMENT_HTTP_URL), the secret shared with it for the HMAC-SHA256
# signatures (empty: one derived from SECRET_KEY, for the sandbox only), the merchant code, the HTTP timeout; pending
# payments older than RECONCILE_MINUTES are asked about by reconciliation and expired after EXPIRE_MINUTES; whether
# the procedure's fees are payable online from submission (else only after `request_payment`, status 6).
MOTCUA_PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", "sandbox")
MOTCUA_PAYMENT_SECRET = env("PAYMENT_SECRET")
MOTCUA_PAYMENT_HTTP_URL = env("PAYMENT_HTTP_URL")
MOTCUA_PAYMENT_MERCHANT = env("PAYMENT_MERCHANT", "MOTCUA")
MOTCUA_PAYMENT_HTTP_TIMEOUT = env_int("PAYMENT_HTTP_TIMEOUT", 10)
MOTCUA_PAYMENT_RECONCILE_MINUTES = env_int("PAYMENT_RECONCILE_MINUTES", 15)
MOTCUA_PAYMENT_EXPIRE_MINUTES = env_int("PAYMENT_EXPIRE_MINUTES", 24 * 60)
MOTCUA_PAYMENT_FEES_AT_SUBMISSION = env_bool("PAYMENT_FEES_AT_SUBMISSION", True)
# SMS notifications (motcua.integrations.sms): `console` (logs the message) or `http` (POST {to, text} as JSON to
# SMS_HTTP_URL with `Authorization: Bearer SMS_HTTP_TOKEN`); the timeout; SMS without Vietnamese diacritics.
MOTCUA_SMS_BACKEND = env("SMS_BACKEND", "console")
MOTCUA_SMS_HTTP_URL = env("SMS_HTTP_URL")
MOTCUA_SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN")
MOTCUA_SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 10)
MOTCUA_SMS_ASCII = env_bool("SMS_ASCII", True)
# Public tracking: requests per window (seconds) per client address.
MOTCUA_TRACK_RATE = (env_int("TRACK_RATE_LIMIT", 60), env_int("TRACK_RATE_WINDOW", 60))
# Public verification of results (each check of a PDF validates its signatures: CPU worth limiting per address).
MOTCUA_VERIFY_RATE = (env_int("VERIFY_RATE_LIMIT", 60), env_int("VERIFY_RATE_WINDOW", 60))
# Apologies with a new date allowed per dossier [unverified: only once].
MOTCUA_APOLOGY_LIMIT = env_int("APOLOGY_LIMIT", 1)
# Petitions (phản ánh, kiến nghị): working days allowed to refuse, to ask for more information (first request), to
# answer (all counted from sending or the latest transfer) and to publish the answer (from the answer); index-766 5.2.
MOTCUA_PETITION_REFUSE_DAYS = env_int("PETITION_REFUSE_DAYS", 2)
MOTCUA_PETITION_INFO_DAYS = env_int("PETITION_INFO_DAYS", 5)
MOTCUA_PETITION_ANSWER_DAYS = env_int("PETITION_ANSWER_DAYS", 15)
MOTCUA_PETITION_PUBLISH_DAYS = env_int("PETITION_PUBLISH_DAYS", 2)
# Anonymous petitions accepted per client address per window (seconds); then 429.
MOTCUA_PETITION_RATE = (env_int("PETITION_RATE_LIMIT", 10), env_int("PETITION_RATE_WINDOW", 3600))
# Officers' "near due" petition inbox: answer due within this many working days.
MOTCUA_PETITION_NEAR_DUE_DAYS = env_int("PETITION_NEAR_DUE_DAYS", 2)
# Early warning: a dossier is at risk when its working time left is less than the remaining steps' planned shares
# of its time limit, or less than this many working hours.
MOTCUA_AT_RISK_HOURS = env_int("AT_RISK_HOURS", 8)
# Open data (motcua/opendata): minutes between two scheduled regenerations of the datasets from live data.
MOTCUA_OPENDATA_REFRESH_MINUTES = env_int("OPENDATA_REFRESH_MINUTES", 60)
# Uploads: the largest file accepted, in bytes.
MOTCUA_MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Resumable uploads (tus, /api/v1/uploads): the largest file, the folder of partial files (empty: MEDIA_ROOT/.partial,
# on the filesystem of the local storage so a finished upload is renamed into place), how long an unfinished upload is
# kept after its last write, and how many unfinished uploads one user may have at a time.
MOTCUA_TUS_MAX_BYTES = env_int("TUS_MAX_BYTES", 2 * 1024 * 1024 * 1024)
MOTCUA_TUS_DIR = env("TUS_DIR")
MOTCUA_TUS_EXPIRY_HOURS = env_int("TUS_EXPIRY_HOURS", 24)
MOTCUA_TUS_MAX_PENDING = env_int("TUS_MAX_PENDING", 10)
# Images larger than this many pixels once decoded are refused (decompression bombs).
MOTCUA_MAX_IMAGE_PIXELS = env_int("MAX_IMAGE_PIXELS", 100_000_000)
# Antivirus: the unix socket of clamd; when set, every upload is streamed to it (zINSTREAM) before it is stored.
MOTCUA_CLAMD_SOCKET = env("CLAMD_SOCKET")
# The file types accepted anywhere (a procedure's component may only narrow them).
MOTCUA_UPLOAD_TYPES = env_list("UPLOAD_TYPES", "application/pdf,image/jpeg,image/png")
# Bulk digitization: where the back office keeps uploaded ZIPs of scans until their batch is done, and their limit.
MOTCUA_BULK_DIR = Path(env("BULK_DIR", str(DATA_DIR / "bulk")))
MOTCUA_BULK_MAX_BYTES = env_int("BULK_MAX_BYTES", 2 * 1024 * 1024 * 1024)
# Personal data on disk is not world-readable.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_NUMBER_FILES = 200

# Signing keys of electronic results (see docs/configuration.md, "Signing keys"). By default PKCS#12 files under
# MOTCUA_PKI_DIR, made by `manage.py pki_init` (a TEST PKI); with MOTCUA_PKCS11_MODULE set, a PKCS#11 token or HSM.
MOTCUA_PKI_DIR = Path(env("PKI_DIR", str(DATA_DIR / "pki")))
MOTCUA_PKI_PASSPHRASE = env("PKI_PASSPHRASE")
MOTCUA_PKCS11_MODULE = env("PKCS11_MODULE")
MOTCUA_PKCS11_TOKEN = env("PKCS11_TOKEN")
MOTCUA_PKCS11_PIN = env("PKCS11_PIN")
MOTCUA_PKCS11_PIN_FILE = env("PKCS11_PIN_FILE")
# RFC 3161 timestamp authority: signatures become PAdES B-T; without one, B-B (the signer's claimed time only).
MOTCUA_TSA_URL = env("TSA_URL")
MOTCUA_TSA_TIMEOUT = env_int("TSA_TIMEOUT", 10)
# PEM files of further trust roots (the ministry CA in production), besides every *.pem in MOTCUA_PKI_DIR/ca/.
MOTCUA_TRUST_ROOTS = env_list("TRUST_ROOTS")

# Working time: the afternoon cut-off after which a dossier counts from the next working day [unverified: 15:00],
# and the working shifts of a day. Public holidays come from the `holidays` package (VN); units add exceptions.
WORK_CUTOFF = env("WORK_CUTOFF", "15:00")
WORK_SHIFTS = env("WORK_SHIFTS", "07:30-11:30,13:30-17:00")

# The public catalog's component templates (forms to download) live here, served at /catalog-files/.
CATALOG_FILES_DIR = Path(env("CATALOG_FILES_DIR", str(BASE_DIR / "motcua" / "catalog" / "demo" / "files")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"},
                "fontTools": {"level": "WARNING"}, "ocrmypdf": {"level": "WARNING"}, "pikepdf": {"level": "WARNING"},
                "PIL": {"level": "WARNING"}},
}

# Population registry (identity/registry.py): `local` reads a CSV of citizens (default: the demo citizens), `http` asks
# a JSON endpoint, `off` verifies nobody through the registry.
MOTCUA_REGISTRY = env("REGISTRY", "local")
MOTCUA_REGISTRY_CSV = env("REGISTRY_CSV")
MOTCUA_REGISTRY_URL = env("REGISTRY_URL")
MOTCUA_REGISTRY_TOKEN = env("REGISTRY_TOKEN")
MOTCUA_REGISTRY_TIMEOUT = float(env("REGISTRY_TIMEOUT", "5"))

# Login through a national identity provider with OpenID Connect (identity/oidc.py). Off unless the issuer and the
# client id are set; the endpoints come from the issuer's /.well-known/openid-configuration.
MOTCUA_OIDC_ISSUER = env("OIDC_ISSUER").rstrip("/")
MOTCUA_OIDC_CLIENT_ID = env("OIDC_CLIENT_ID")
MOTCUA_OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
MOTCUA_OIDC_SCOPES = env("OIDC_SCOPES", "openid profile")
MOTCUA_OIDC_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
# The claims holding the citizen ID number, the full name and the birth date (YYYY-MM-DD).
MOTCUA_OIDC_ID_CLAIM = env("OIDC_ID_CLAIM", "cccd")
MOTCUA_OIDC_NAME_CLAIM = env("OIDC_NAME_CLAIM", "name")
MOTCUA_OIDC_BIRTHDATE_CLAIM = env("OIDC_BIRTHDATE_CLAIM", "birthdate")
MOTCUA_OIDC_TIMEOUT = float(env("OIDC_TIMEOUT", "10"))
# What mozilla-django-oidc reads (the endpoints are given by identity/oidc.py from discovery).
OIDC_RP_CLIENT_ID = MOTCUA_OIDC_CLIENT_ID
OIDC_RP_CLIENT_SECRET = MOTCUA_OIDC_CLIENT_SECRET
OIDC_RP_SCOPES = MOTCUA_OIDC_SCOPES
OIDC_RP_SIGN_ALGO = MOTCUA_OIDC_SIGN_ALGO
OIDC_USE_NONCE = True
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True
OIDC_TIMEOUT = MOTCUA_OIDC_TIMEOUT
OIDC_AUTHENTICATION_CALLBACK_URL = "identity:oidc_callback"
if MOTCUA_OIDC_ISSUER:
    # The logout form is answered with a redirect to the provider's end-session endpoint (RP-initiated logout), and
    # browsers apply form-action to a form's redirects.
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"].append(
        "{0.scheme}://{0.netloc}".format(urlsplit(MOTCUA_OIDC_ISSUER)))
