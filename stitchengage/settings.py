"""StitchEngage settings: one module, switched by environment variables.

Production (Zappa on Lambda) differs from a laptop only by what the environment
supplies; a local ``.env`` file is read when present. With nothing set, the project
runs on a SQLite file with Celery in eager mode, which is what ``make demo`` uses.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")
# On Lambda the secrets (SECRET_KEY, DATABASE_URL, OPENROUTER_API_KEY ...) live in
# SSM Parameter Store under this path and are read into the environment here, at
# cold start, before anything below reads them (Zappa itself has no SSM support).
SSM_PARAMETER_PATH = env.str("SSM_PARAMETER_PATH", default="")
if SSM_PARAMETER_PATH:
    from stitchengage.secrets import ssm_parameters_load

    ssm_parameters_load(
        path=SSM_PARAMETER_PATH,
        endpoint_url=env.str("AWS_ENDPOINT_URL", default="") or None,
        region_name=env.str("AWS_REGION", default="us-east-1"),
    )

INSECURE_DEV_SECRET_KEY = "django-insecure-stitchengage-local-development-only"  # noqa: S105

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)
if not DEBUG and (
    SECRET_KEY == INSECURE_DEV_SECRET_KEY
    or len(SECRET_KEY) < 32
    or SECRET_KEY.startswith("django-insecure")
):
    raise ImproperlyConfigured(
        "SECRET_KEY is missing or insecure while DEBUG is off. Set SECRET_KEY to a "
        "random string of at least 32 characters (python -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'), or set DEBUG=true for local development."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Absolute base URL used in links inside emails (unsubscribe) and LLM attribution.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # django.contrib.admin, its site building app lists once per access.
    "stitchengage.apps.StitchAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "django_celery_beat",
    "customers",
    "scoring",
    "emails",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Django's renderer with the one-line input, label and empty-error templates
# rendered in Python (the module's docstring says why).
FORM_RENDERER = "stitchengage.form_renderer.FormRenderer"

ROOT_URLCONF = "stitchengage.urls"
WSGI_APPLICATION = "stitchengage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "emails.context_processors.dashboard_link",
            ],
            # Changelist rows rendered once per column, not per cell
            # (templates/admin/change_list.html; see the module's docstring).
            # ... and the sidebar once per access (stitchengage/admin_site.py).
            "libraries": {
                "admin_rows": "stitchengage.admin_rows",
                "admin_chrome": "stitchengage.admin_chrome",
            },
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A pool (PostgreSQL only) instead of persistent connections when DB_POOL_MAX_SIZE
# is set: Celery's Django fixup closes the connection before and after every task
# whatever CONN_MAX_AGE says, so without a pool a worker reconnects per task; with
# one, "close" hands the connection back. Size it to the worker's concurrency.
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=0)
if DB_POOL_MAX_SIZE and "postgresql" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX_SIZE,
        "timeout": env.float("DB_POOL_TIMEOUT", default=30.0),
        "max_idle": 300.0,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_VALIDATORS = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _VALIDATORS + name}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Static files: local directory by default; S3 through django-storages when a bucket
# is configured (the Lambda deployment).
STATIC_URL = env.str("STATIC_URL", default="/static/")
STATIC_ROOT = BASE_DIR / "staticfiles"
# Every AWS client takes its endpoint from here: empty in production (the real
# AWS), moto's local server in tests.
AWS_ENDPOINT_URL = env.str("AWS_ENDPOINT_URL", default="") or None
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_REGION_NAME = env.str("AWS_REGION", default="us-east-1")
AWS_S3_ENDPOINT_URL = AWS_ENDPOINT_URL
# A CloudFront distribution in front of the bucket, if any (static URLs use it).
AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
AWS_DEFAULT_ACL = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
if AWS_STORAGE_BUCKET_NAME:
    # Media (uploads) stay private: links to them are presigned and expire.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"location": "media", "querystring_auth": True},
    }
    # Static files are public (bucket policy on static/* or CloudFront): plain URLs.
    STORAGES["staticfiles"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"location": "static", "querystring_auth": False},
    }

# --- HTTPS (production: `manage.py check --deploy --fail-level WARNING` is clean) ---
# Lambda sits behind API Gateway (or a function URL), which ends TLS and always
# sets X-Forwarded-Proto itself, so that header is what says a request was https.
# With DEBUG on (make demo, plain http on 127.0.0.1, no proxy) all of this is off.
SECURE_PROXY_SSL_HEADER = None if DEBUG else ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS: a year, subdomains included, preload allowed. Browsers remember it, so a
# first rollout on a new domain may start with SECURE_HSTS_SECONDS=3600.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)

# --- Security: login throttling, headers, admin path --------------------------------
# Kept in one block (README "Security", docs/ARCHITECTURE.md "Security").
#
# The admin's address: "admin/" unless ADMIN_URL_PATH says otherwise (a path
# that is not guessed at once keeps the login page out of most scanners' logs).
ADMIN_URL_PATH = env.str("ADMIN_URL_PATH", default="admin/").strip("/") + "/"
if ADMIN_URL_PATH == "/":
    raise ImproperlyConfigured("ADMIN_URL_PATH must name a path, e.g. 'admin/'.")

# Login throttling (django-axes): AXES_FAILURE_LIMIT wrong passwords for one
# username from one address lock that pair out for AXES_COOLOFF_MINUTES (a new
# failure while locked starts the cool-off again); the right password is refused
# meanwhile. Per username *and* address, so an attacker cannot lock a colleague
# out from elsewhere. A success resets the count. Failures and lockouts are
# logged (logger "axes", username and address; axes masks the password) and kept
# in axes' AccessAttempt table; Managers unlock under Axes > Access attempts.
INSTALLED_APPS += ["axes", "csp"]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out pair before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading roles and permissions in one query (customers.access).
    "customers.access.RolesPermissionsBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=env.int("AXES_COOLOFF_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "stitchengage.lockout.lockout_response"
# The address comes from API Gateway's request context, not from a header a
# client can write (stitchengage/client_ip.py). Off Lambda, behind proxies of
# our own that append to X-Forwarded-For, set how many there are.
AXES_CLIENT_IP_CALLABLE = "stitchengage.client_ip.client_ip_address"
CLIENT_IP_TRUSTED_PROXIES = env.int("CLIENT_IP_TRUSTED_PROXIES", default=0)
# axes masks username and address in its log lines by default; they are what an
# operator needs, so only the password (always masked) and the CSRF token are.
AXES_SENSITIVE_PARAMETERS = ["csrfmiddlewaretoken"]
AXES_VERBOSE = False
# Our own screen for lockouts (customers/admin_lockouts.py) instead of axes'.
AXES_ENABLE_ADMIN = False
# Axes' middleware turns a locked-out login into the lockout page; it goes last.
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]

# Content-Security-Policy (django-csp 4). Scripts: our origin (Django admin's JS
# is all external) and a per-response nonce for the few inline <script> and
# <style> elements, which carry nonce="{{ request.csp_nonce }}". Style
# *attributes* (the admin's own templates, ours, the SVG charts, the email
# preview) cannot take a nonce: style-src-attr allows them and nothing else.
# No frames of us anywhere (frame-ancestors, X-Frame-Options DENY).
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402


def _origin(url: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


# Static files on S3 or CloudFront come from another origin than the admin.
_ASSET_ORIGINS = [o for o in (_origin(STATIC_URL),) if o]
if AWS_S3_CUSTOM_DOMAIN:
    _ASSET_ORIGINS.append(f"https://{AWS_S3_CUSTOM_DOMAIN}")
elif AWS_STORAGE_BUCKET_NAME and AWS_ENDPOINT_URL:
    _ASSET_ORIGINS.append(_origin(AWS_ENDPOINT_URL))
elif AWS_STORAGE_BUCKET_NAME:
    _ASSET_ORIGINS += [
        f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com",
        f"https://{AWS_STORAGE_BUCKET_NAME}.s3.{AWS_S3_REGION_NAME}.amazonaws.com",
    ]
_ASSET_ORIGINS += env.list("CSP_EXTRA_ASSET_ORIGINS", default=[])
_ASSET_ORIGINS = list(dict.fromkeys(o for o in _ASSET_ORIGINS if o))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, *_ASSET_ORIGINS, NONCE],
        "style-src": [SELF, *_ASSET_ORIGINS, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, *_ASSET_ORIGINS, "data:"],
        "font-src": [SELF, *_ASSET_ORIGINS],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Django's database sessions, read with one plain statement (the module says why).
SESSION_ENGINE = "stitchengage.sessions"
# No script of ours reads the CSRF cookie (forms carry the token).
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Exports neutralise formulas themselves (customers/export_formats.py); the
# library's own switch strips one "=" only and turns blanks into "None".
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
# --- end of Security ----------------------------------------------------------------

# --- Celery -------------------------------------------------------------------------
# No broker configured means eager mode: tasks run inline, which is the zero-setup
# default for the demo. Tests and production always set a real broker.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# How long a prefork worker waits for the result of a child that died before it
# requeues the task (reject_on_worker_lost); Celery's default is 10 s.
CELERY_WORKER_LOST_WAIT = env.float("CELERY_WORKER_LOST_WAIT", default=10.0)
CELERY_TASK_DEFAULT_QUEUE = "default"
# Every task's queue, in one place (the tasks declare none); a task not listed goes
# to CELERY_TASK_DEFAULT_QUEUE ("default"). Drafting has the llm queue, whose worker
# concurrency bounds the model calls in flight; sending has a queue of its own, whose
# Lambda event source concurrency is SES's rate limit and must not also hold back
# rescoring on "default". Keyed by task name, which queued messages also carry.
CELERY_TASK_ROUTES = {
    "emails.generate_draft": {"queue": "llm"},
    "emails.regenerate_draft": {"queue": "llm"},
    "emails.send_email": {"queue": "send"},
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}

# --- Celery over SQS (production on Lambda) -----------------------------------------
# The web function publishes to one SQS queue per Celery queue below (the queue
# CELERY_TASK_ROUTES gives each task); the same function consumes them through SQS
# event sources (stitchengage/lambda_sqs.py). The queues are kombu
# `predefined_queues`, so nothing lists or creates queues at run time. A URL is
# explicit in SQS_QUEUE_URLS ("default=https://...,llm=https://...") or built from
# AWS_ACCOUNT_ID, the region and SQS_QUEUE_PREFIX. `manage.py aws_event_sources` gives
# each queue its dead-letter queue (name + SQS_DEAD_LETTER_SUFFIX) and visibility
# timeout.
SQS_QUEUE_NAMES = ("default", "llm", "send")
SQS_QUEUE_PREFIX = env.str("SQS_QUEUE_PREFIX", default="stitchengage-")
SQS_QUEUE_URLS = env.dict("SQS_QUEUE_URLS", default={})
AWS_ACCOUNT_ID = env.str("AWS_ACCOUNT_ID", default="")
SQS_DEAD_LETTER_SUFFIX = env.str("SQS_DEAD_LETTER_SUFFIX", default="-dlq")
# Receives before SQS moves a message to its dead-letter queue (RedrivePolicy).
SQS_MAX_RECEIVE_COUNT = env.int("SQS_MAX_RECEIVE_COUNT", default=5)
# AWS asks for a queue visibility timeout of at least 6x the function timeout.
SQS_VISIBILITY_TIMEOUT_FACTOR = env.int("SQS_VISIBILITY_TIMEOUT_FACTOR", default=6)
SQS_DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600  # the most SQS keeps a message
# Celery's rate limits are a worker's; on Lambda the event source's maximum
# concurrency bounds each queue instead (AWS allows 2-1000): `llm` keeps the
# model provider's rate limit, `send` SES's sending rate.
# `aws_event_sources` sets them; a queue not named here is left unbounded.
SQS_MAX_CONCURRENCY = env.dict(
    "SQS_MAX_CONCURRENCY",
    cast={"value": int},
    default={"default": 4, "llm": 10, "send": 2},
)
if CELERY_BROKER_URL.startswith("sqs://"):
    from stitchengage.sqs_broker import sqs_broker_url, sqs_transport_options

    CELERY_BROKER_URL = sqs_broker_url(
        broker_url=CELERY_BROKER_URL, endpoint_url=AWS_ENDPOINT_URL
    )
    CELERY_BROKER_TRANSPORT_OPTIONS |= sqs_transport_options(
        queues=SQS_QUEUE_NAMES,
        prefix=SQS_QUEUE_PREFIX,
        region=AWS_S3_REGION_NAME,
        account_id=AWS_ACCOUNT_ID,
        urls=SQS_QUEUE_URLS,
        endpoint_url=AWS_ENDPOINT_URL,
    )
    # A task that raised is rejected, not acknowledged: SQS redelivers it and its
    # queue's redrive policy parks it in the dead-letter queue after
    # SQS_MAX_RECEIVE_COUNT receives (kombu leaves a rejected message in a queue
    # with a redrive policy). The Lambda handler follows the same task attribute.
    CELERY_TASK_ACKS_ON_FAILURE_OR_TIMEOUT = False
# --- end of Celery over SQS ---------------------------------------------------------

# --- Logging ------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    # Django logs the path of each 4xx: no unsubscribe token may reach the log.
    "filters": {
        "unsubscribe_tokens": {"()": "emails.log_filters.UnsubscribeTokenFilter"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["unsubscribe_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- The client book ----------------------------------------------------------------
# Nothing is dated before the business opened (set your launch day; the default
# admits the CDNOW sample of 1997). Things that happened may be a few days ahead
# (clock skew, time zones); a scheduled Fix may be booked further ahead.
BUSINESS_STARTED_ON = datetime.date.fromisoformat(
    env.str("BUSINESS_STARTED_ON", default="1990-01-01")
)
BUSINESS_DATE_MAX_FUTURE_DAYS = env.int("BUSINESS_DATE_MAX_FUTURE_DAYS", default=3)
ORDER_SCHEDULE_MAX_DAYS = env.int("ORDER_SCHEDULE_MAX_DAYS", default=365)

# --- CSV imports: upload limits and the background import --------------------------
# A web request must stay inside what Lambda behind API Gateway allows: 29 s, and a
# request Lambda accepts (6 MB synchronous payload; Zappa hands multipart uploads
# over base64-encoded, 4/3 larger, so 4 MB of file is ~5.4 MB of event). Larger
# files go to `manage.py import_background` (a file already in storage, e.g. S3)
# or `manage.py import_orders` (transactions CSVs).
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=4 * 1024 * 1024)
# Uploads above this are imported in the background automatically (the admin's
# preview and confirm each take ~1 s per 1,000 rows: ~4,000 client rows is ~256 KB).
IMPORT_SYNC_MAX_BYTES = env.int("IMPORT_SYNC_MAX_BYTES", default=256 * 1024)
# Non-file form fields (Django's default; a request over it is a 400, never a 500)
# and how much of an uploaded file is kept in memory before it goes to a temp file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Where the demo's default storage keeps files (stored imports); S3 in production.
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Rows per chunk of the background import, and per progress update.
IMPORT_CHUNK_ROWS = env.int("IMPORT_CHUNK_ROWS", default=2000)
# A job still "running" this long after it started was abandoned (its worker died);
# a redelivered task may claim it again (the write is one transaction: nothing of
# the first attempt is left). Above Lambda's 900 s function limit.
IMPORT_JOB_LEASE_SECONDS = env.int("IMPORT_JOB_LEASE_SECONDS", default=1800)
# The cleanup (Celery beat "Import files cleanup"; Zappa event
# `import_files_cleanup`, keep its rate in step) removes previews never confirmed
# and finished jobs' files once this old; never the file of a queued or running job.
IMPORT_PREVIEW_MAX_AGE_HOURS = env.int("IMPORT_PREVIEW_MAX_AGE_HOURS", default=24)
IMPORT_CLEANUP_INTERVAL_MINUTES = env.int("IMPORT_CLEANUP_INTERVAL_MINUTES", default=60)
# --- end of CSV imports -------------------------------------------------------------

# --- Scoring ------------------------------------------------------------------------
# Churn risk = probability of no order within SCORING_HORIZON_DAYS (see README).
SCORING_HORIZON_DAYS = env.int("SCORING_HORIZON_DAYS", default=90)
SCORING_AT_RISK_CHURN = env.float("SCORING_AT_RISK_CHURN", default=0.70)
SCORING_COOLING_CHURN = env.float("SCORING_COOLING_CHURN", default=0.45)
# Below these the supervised churn model is not tried; BG/NBD scores (README).
SCORING_GBDT_MIN_CLIENTS = env.int("SCORING_GBDT_MIN_CLIENTS", default=500)
SCORING_GBDT_MIN_HISTORY_DAYS = env.int("SCORING_GBDT_MIN_HISTORY_DAYS", default=180)
# Clients sampled for the training rows, and the model rule (auto|gbdt|bgnbd).
SCORING_GBDT_TRAIN_CLIENTS = env.int("SCORING_GBDT_TRAIN_CLIENTS", default=20_000)
# At most this many at-risk clients get their reasons in a full run (riskiest).
SCORING_REASONS_MAX = env.int("SCORING_REASONS_MAX", default=20_000)
# Client-id parts the full run predicts in (memory: ~1 GB per 10M client-days).
SCORING_PREDICT_PARTS = env.int("SCORING_PREDICT_PARTS", default=4)
SCORING_CHURN_MODEL = env.str("SCORING_CHURN_MODEL", default="auto")
# A full run retrains the churn ranking only when the stored one is this many
# days old (Braze retrains every two weeks); 0 retrains every run.
SCORING_MODEL_RETRAIN_DAYS = env.int("SCORING_MODEL_RETRAIN_DAYS", default=14)
SCORING_LAPSED_DAYS = env.int("SCORING_LAPSED_DAYS", default=365)
SCORING_CLV_MONTHS = env.int("SCORING_CLV_MONTHS", default=12)
SCORING_CLV_MONTHLY_DISCOUNT = env.float("SCORING_CLV_MONTHLY_DISCOUNT", default=0.01)
# PostgreSQL processes aggregating the order book at once (about the DB's cores).
SCORING_AGGREGATE_PARTS = env.int("SCORING_AGGREGATE_PARTS", default=2)
# Snapshots older than this are thinned to one per client per week (tier changes
# and snapshots emails were made from are kept); 0 keeps every snapshot.
SCORING_SNAPSHOT_KEEP_DAYS = env.int("SCORING_SNAPSHOT_KEEP_DAYS", default=90)
# How far behind the cutoff a nightly pass looks (older weeks are thinned already).
SCORING_SNAPSHOT_PRUNE_LOOKBACK_DAYS = env.int(
    "SCORING_SNAPSHOT_PRUNE_LOOKBACK_DAYS", default=28
)

# --- Emails and LLM -----------------------------------------------------------------
# Without an API key drafts come from the offline template composer (demo, tests).
OPENROUTER_API_KEY = env.str("OPENROUTER_API_KEY", default="")
LLM_BASE_URL = env.str("LLM_BASE_URL", default="https://openrouter.ai/api/v1")
LLM_MODEL = env.str("LLM_MODEL", default="openai/gpt-4o-mini")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=30.0)
LLM_MAX_ATTEMPTS = env.int("LLM_MAX_ATTEMPTS", default=3)
# Optional Celery rate_limit of emails.generate_draft, e.g. "300/m", applied per
# worker process. Empty by default: the llm queue's worker concurrency bounds the
# calls in flight. Celery's limiter is a token bucket of capacity 1 released by the
# worker's timer; a "600/m" limit measured 2.3 drafts/s in make bench-drafts.
LLM_RATE_LIMIT = env.str("LLM_RATE_LIMIT", default="")
EMAIL_PROMPT_VERSION = env.str("EMAIL_PROMPT_VERSION", default="v1")
# A draft still in "drafting" this long after it was claimed was abandoned (its
# worker died mid-call); the redelivered task, or generate_drafts, drafts it again.
# Longer than every model attempt with backoff can take.
DRAFTING_LEASE_SECONDS = env.int(
    "DRAFTING_LEASE_SECONDS",
    default=int(LLM_TIMEOUT_SECONDS * LLM_MAX_ATTEMPTS * 2 + 300),
)
# A transient model failure (429, 5xx, timeout) after the in-call attempts puts
# the draft back to queued and retries the task GENERATE_DRAFT_MAX_RETRIES (5)
# times, waiting DRAFT_RETRY_BASE_SECONDS doubling up to DRAFT_RETRY_MAX_SECONDS,
# each wait between half and all of that (jitter): 465 to 930 s in all by default,
# so a 5-minute outage is ridden out. After the last retry the draft stays queued
# for the lost-work sweep, which drafts it again.
DRAFT_RETRY_BASE_SECONDS = env.float("DRAFT_RETRY_BASE_SECONDS", default=30.0)
DRAFT_RETRY_MAX_SECONDS = env.float("DRAFT_RETRY_MAX_SECONDS", default=900.0)
REENGAGEMENT_FREQUENCY_CAP_DAYS = env.int("REENGAGEMENT_FREQUENCY_CAP_DAYS", default=30)
REENGAGEMENT_HOLDOUT_SHARE = env.float("REENGAGEMENT_HOLDOUT_SHARE", default=0.10)
REENGAGEMENT_EXPERIMENT = env.str("REENGAGEMENT_EXPERIMENT", default="reengagement-v1")

# --- Sending ------------------------------------------------------------------------
# Local default: one .eml file per message under sent_emails/, which a demo user can
# open. Production sets EMAIL_BACKEND=django_ses.SESBackend (credentials come from the
# Lambda role; never put keys here).
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent_emails"))
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="StitchEngage Stylists <stylists@example.com>"
)
# mailto: target of the List-Unsubscribe header; empty leaves only the https link.
UNSUBSCRIBE_MAILTO = env.str("UNSUBSCRIBE_MAILTO", default="")
AWS_SES_REGION_NAME = env.str("AWS_SES_REGION_NAME", default=AWS_S3_REGION_NAME)
# django-ses's own default is https://email.<region>.amazonaws.com.
if AWS_ENDPOINT_URL:
    AWS_SES_REGION_ENDPOINT_URL = AWS_ENDPOINT_URL
# django-ses adds it as the X-SES-CONFIGURATION-SET header; the set publishes bounce
# and complaint events to the SNS topic that posts to /ses/events/.
AWS_SES_CONFIGURATION_SET = env.str("AWS_SES_CONFIGURATION_SET", default="") or None
# SES message tags, "name=value" pairs. django-ses has no tag setting, so they go in
# SES's own X-SES-MESSAGE-TAGS header of the raw message (see services/sending.py).
SES_MESSAGE_TAGS = env.dict(
    "SES_MESSAGE_TAGS", default={"app": "stitchengage", "campaign": "reengagement"}
)
# Throttling is done by the Celery rate limit below, not by django-ses sleeping.
AWS_SES_AUTO_THROTTLE = None
# Celery rate_limit of emails.send_email, matching the SES per-second quota. Celery's
# limiter is a token bucket of capacity 1 kept by each worker process, so the real
# ceiling is this rate times the number of worker processes consuming the queue.
SEND_RATE_LIMIT = env.str("SEND_RATE_LIMIT", default="14/s")
# Send-time windows (emails.services.send_time): an approved email goes out between
# these local hours of the client's time zone (start inclusive, end exclusive), never
# on the client's quiet days, at the client's best hour within the window.
SEND_WINDOW_START_HOUR = env.int("SEND_WINDOW_START_HOUR", default=9)
SEND_WINDOW_END_HOUR = env.int("SEND_WINDOW_END_HOUR", default=20)
# The zone of a client whose time_zone is empty or not an IANA name.
SEND_DEFAULT_TIME_ZONE = env.str("SEND_DEFAULT_TIME_ZONE", default="America/New_York")
# The best hour is the modal local hour of the client's last SEND_BEST_HOUR_ORDERS
# orders; with fewer than SEND_BEST_HOUR_MIN_ORDERS the book's best hour (the modal
# hour of its last SEND_BOOK_BEST_HOUR_ORDERS orders, cached for the day) is used.
SEND_BEST_HOUR_ORDERS = env.int("SEND_BEST_HOUR_ORDERS", default=20)
SEND_BEST_HOUR_MIN_ORDERS = env.int("SEND_BEST_HOUR_MIN_ORDERS", default=3)
SEND_BOOK_BEST_HOUR_ORDERS = env.int("SEND_BOOK_BEST_HOUR_ORDERS", default=5000)
# The dispatcher (emails.services.dispatch) runs this often: django-celery-beat's
# schedule is created from it by emails/migrations (edit the periodic task in the
# admin afterwards); on Lambda the Zappa event's rate in zappa_settings.json must
# say the same. The admin tells reviewers an email goes within this of its time.
SEND_DISPATCH_INTERVAL_MINUTES = env.int("SEND_DISPATCH_INTERVAL_MINUTES", default=5)
# A dispatched email still approved this long after its enqueue (the message was
# lost, or its send retries ran out) is enqueued again. Longer than the send task's
# retries with backoff (~9 minutes); the claim makes a duplicate message harmless.
SEND_REDISPATCH_AFTER_SECONDS = env.int("SEND_REDISPATCH_AFTER_SECONDS", default=3600)

# --- Lost-work sweep ------------------------------------------------------------------
# An on-commit publish can fail after its transaction committed (the broker is
# down): the order is saved but its rescore never queued, the client turned at
# risk but its draft never queued. The sweep (Celery beat "Lost-work sweep",
# created from this interval by emails/migrations/0006; on Lambda the Zappa event
# `lost_work_sweep`, keep its rate in step) finds and re-publishes them. It leaves
# alone what changed in the last SWEEP_GRACE_SECONDS (its own publish may be in
# flight) and looks back SWEEP_RESCORE_LOOKBACK_HOURS for orders newer than the
# client's score (the nightly run rescoring everyone covers the rest).
LOST_WORK_SWEEP_INTERVAL_MINUTES = env.int(
    "LOST_WORK_SWEEP_INTERVAL_MINUTES", default=15
)
SWEEP_GRACE_SECONDS = env.int("SWEEP_GRACE_SECONDS", default=120)
SWEEP_RESCORE_LOOKBACK_HOURS = env.int("SWEEP_RESCORE_LOOKBACK_HOURS", default=48)
# At most this many emails per dispatcher run (the rest go on the next run).
SEND_DISPATCH_BATCH_SIZE = env.int("SEND_DISPATCH_BATCH_SIZE", default=500)
# SES price: $0.10 per 1,000 emails.
SES_COST_PER_EMAIL_USD = env.str("SES_COST_PER_EMAIL_USD", default="0.0001")
UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS = env.int("UNSUBSCRIBE_TOKEN_MAX_AGE_DAYS", default=365)
# SNS -> /ses/events/ (emails.services.sns_verify): each message's signature
# (SignatureVersion 1 or 2) is checked with the certificate at SigningCertURL, an
# https SNS URL on one of these exact hosts (empty = any sns.<region> host), and
# only the listed topics are accepted. An empty topic list refuses every event;
# with DEBUG off the check emails.E001 stops manage.py until it is set.
AWS_SES_VERIFY_EVENT_SIGNATURES = env.bool(
    "AWS_SES_VERIFY_EVENT_SIGNATURES", default=True
)
AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS = env.list(
    "AWS_SNS_EVENT_CERT_TRUSTED_DOMAINS",
    default=[f"sns.{AWS_SES_REGION_NAME}.amazonaws.com"],
)
AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS = env.list(
    "AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS", default=[]
)
# SNS messages are at most 256 KB; a larger body is refused (413) unread.
AWS_SNS_EVENT_MAX_BODY_BYTES = env.int(
    "AWS_SNS_EVENT_MAX_BODY_BYTES", default=256 * 1024
)

# --- Outcomes -----------------------------------------------------------------------
# A sent email (or a holdout entry) counts as re-engaged when the client orders
# within this many days; only windows that have fully elapsed enter the rates.
REENGAGEMENT_ATTRIBUTION_DAYS = env.int("REENGAGEMENT_ATTRIBUTION_DAYS", default=30)

# --- Order-event API (api/, django-ninja) -------------------------------------------
# /api/v1/: order events from the retailer's systems, reads of scores and emails.
# Tokens are per integration and made by Managers in the admin (API tokens).
INSTALLED_APPS += ["ninja", "api"]  # ninja: its Swagger UI static files for /docs
# Requests per minute per token (counted in the database, see api.services.tokens);
# a 500-event batch counts once, so the default allows 60,000 events a minute.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
# --- end of Order-event API ---------------------------------------------------------
