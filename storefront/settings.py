"""Settings for the report storefront.

One module for every environment: each deploy knob comes from the environment
(see README, "Environment"). Unset, the shop runs locally on SQLite with
in-process tasks and a local-memory cache.
"""

import os
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core ---------------------------------------------------------------------

# DEBUG is on only for a local run: never when a production secret key is given.
DEBUG = env_bool("DJANGO_DEBUG", default="DJANGO_SECRET_KEY" not in os.environ)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "django_countries",
    "parler",
    "django_prose_editor",
    "csp",
    "axes",
    "reports",
    "storefront",
    "storefront.orders",
    "storefront.payments",
    "storefront.delivery",
    "storefront.inquiries",
    "storefront.library",
    "storefront.pages",
    "storefront.invoicing",
    "storefront.dashboards",
    "storefront.quotes",
    "anymail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The buyer's currency for this request (the catalogue cache keys pages by it).
    "reports.pricing.CurrencyMiddleware",
    # Before anything that queries: PostgreSQL cannot take a NUL character.
    "storefront.middleware.RejectNulCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "storefront.urls"
WSGI_APPLICATION = "storefront.wsgi.application"

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
                "django.template.context_processors.i18n",
                "storefront.context_processors.shop",
            ],
        },
    },
]

# Django's form renderer with the plain widgets (inputs, selects, text areas, labels,
# empty error lists) written without their templates: the same HTML, a fraction of the
# time on long admin forms (storefront/form_rendering.py).
FORM_RENDERER = "storefront.form_rendering.PlainWidgetsRenderer"

# --- Database -----------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# The catalogue's statements run on every request are prepared on PostgreSQL once a
# connection has run one five times (reports/statements.py; Django's own cursors
# never prepare). Off for a pooler that cannot keep prepared statements.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", default=True)
if DATABASE_PREPARED_STATEMENTS and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and tasks ----------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")


def _next_redis_database(url: str) -> str:
    """The same Redis server, the next database number (…/0 → …/1)."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return parts._replace(path=f"/{database + 1}").geturl()


# The cache lives in its own Redis database, so flushing or scanning it never
# touches the broker's queues. Both share the server's memory, though: see README,
# "Redis memory", for the eviction policy that keeps the broker's keys.
CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "") or (
    _next_redis_database(REDIS_URL) if REDIS_URL else ""
)
# Longest wait on one Redis call (connect, read or write) from a web request, for
# the cache and the broker alike; past it the cache is skipped and work that could
# not be queued is left to the sweeps.
REDIS_TIMEOUT_SECONDS = float(os.environ.get("REDIS_TIMEOUT_SECONDS", "0.25"))

if CACHE_REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, raising at once for a few seconds after Redis
            # failed to answer (storefront/cache.py); callers fail open.
            "BACKEND": "storefront.cache.FailFastRedisCache",
            "LOCATION": CACHE_REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "storefront"),
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
    }
else:
    # The embedded default: rendered pages in each process's memory, and the
    # catalogue version (reports/page_cache.py) in a file that every process of
    # this machine reads, so an edit from the admin, import_reports or seed_catalog
    # shows everywhere on the next request. A file read costs microseconds per
    # request, a shared page cache (file or database) a millisecond: bench/README.md.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "catalogue_version": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ.get("CATALOGUE_VERSION_DIR", "")
            or str(BASE_DIR / "var" / "catalogue-version"),
            # Never expires (incr() rewrites the file with this default): a version
            # that ran out would make every page of every process stale.
            "TIMEOUT": None,
        },
    }

# Celery: Redis is broker (and result store for the rare caller that asks for a
# result) when configured; otherwise every task runs in-process so a local run
# needs nothing but Python.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Nobody reads a task's return value: with results on, every delay() subscribes to
# the result store first and, with Redis down, sat in its reconnect loop (20 s).
# A caller that wants a result asks for it: apply_async(..., ignore_result=False).
CELERY_TASK_IGNORE_RESULT = True
# Queueing from a web request waits at most about a second: short socket timeouts
# and one retry (which reconnects a pooled connection Redis dropped on a restart);
# then delay_or_leave_to_sweep() leaves the work to the periodic sweeps.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 60 * 60 * 24
# A task is acknowledged after it finished, so a crashed worker's task runs again;
# every task is written to be idempotent for that reason.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
# A worker keeps its database connection between tasks, as a web process between
# requests (DATABASE_CONN_MAX_AGE; storefront/celery.py closes one that is too old or
# failed). Without this Celery's Django fixup closes every connection after every
# task; with it, only after this many tasks of a pool process.
CELERY_DB_REUSE_MAX = 1000
# First retry delay of tasks that retry with exponential backoff (doubling, jittered).
TASK_RETRY_BACKOFF_SECONDS = int(os.environ.get("TASK_RETRY_BACKOFF_SECONDS", "5"))
# Redis redelivers an unacknowledged task after this long; longer than any task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 60 * 60,
    # Without a socket timeout a publish waits for ever on a hung Redis.
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"

# Queues by the work they carry, so a burst of stamping never holds up a buyer's
# mail: "delivery" stamps and mails the copies, "mail" carries every other mail
# (acknowledgements, replies, sign-in codes, pro-formas, fresh links), "sweeps" the
# periodic tasks, and the default queue anything else. README, "Workers and
# beat", has a worker command per queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "storefront.delivery.tasks.deliver_order_task": {"queue": "delivery"},
    "storefront.delivery.tasks.send_fresh_links_task": {"queue": "mail"},
    "storefront.inquiries.tasks.send_acknowledgement_task": {"queue": "mail"},
    "storefront.inquiries.tasks.send_sales_notice_task": {"queue": "mail"},
    "storefront.inquiries.tasks.send_reply_task": {"queue": "mail"},
    "storefront.library.tasks.send_sign_in_mail_task": {"queue": "mail"},
    "storefront.orders.tasks.send_proforma_invoice_task": {"queue": "mail"},
    "storefront.quotes.tasks.send_quote_mail_task": {"queue": "mail"},
}


def _sweep(task: str, every_seconds: int) -> dict:
    """A beat entry; its task runs on the "sweeps" queue. A run waiting longer than
    its interval expires unrun: the next one does the same work."""
    CELERY_TASK_ROUTES[task] = {"queue": "sweeps"}
    return {"task": task, "schedule": every_seconds, "options": {"expires": every_seconds}}


CELERY_BEAT_SCHEDULE = {
    "reconcile-pending-card-orders": _sweep(
        "storefront.payments.tasks.reconcile_pending_card_orders_task", 5 * 60
    ),
    "sweep-unsent-proformas": _sweep("storefront.orders.tasks.sweep_unsent_proformas_task", 2 * 60),
    "sweep-unmailed-quotes": _sweep("storefront.quotes.tasks.sweep_unmailed_quotes_task", 2 * 60),
    "sweep-undelivered-orders": _sweep(
        "storefront.delivery.tasks.sweep_undelivered_orders_task", 2 * 60
    ),
    "sweep-fresh-links": _sweep("storefront.delivery.tasks.sweep_fresh_links_task", 2 * 60),
    "sweep-library-sign-in-mail": _sweep("storefront.library.tasks.sweep_sign_in_mail_task", 60),
    "sweep-inquiry-mail": _sweep("storefront.inquiries.tasks.sweep_inquiry_mail_task", 2 * 60),
    "issue-missing-invoices": _sweep(
        "storefront.invoicing.tasks.issue_missing_documents_task", 10 * 60
    ),
    "publish-due-reports": _sweep("reports.tasks.publish_due_reports", 60),
}
# Beat sends each entry once per interval whichever host it runs on: a second beat
# (two hosts started with it by mistake) finds the entry's lock in the shared cache
# and sends nothing (storefront/celery.py). Run one beat all the same.
CELERY_BEAT_SCHEDULER = "storefront.celery:SharedLockScheduler"

# --- Catalogue editing --------------------------------------------------------

# Largest master or sample PDF an editor may upload (or a feed may name), in MB.
REPORT_PDF_MAX_BYTES = int(os.environ.get("REPORT_PDF_MAX_MB", "200")) * 1024 * 1024
# An uploaded PDF is read through in a child process within these limits (address
# space, including the interpreter's ~150 MB, and seconds), so a hostile file
# cannot grow the web worker; past them it is refused as too complex to check.
REPORT_PDF_CHECK_MAX_BYTES = int(os.environ.get("REPORT_PDF_CHECK_MAX_MB", "1024")) * 1024 * 1024
REPORT_PDF_CHECK_SECONDS = float(os.environ.get("REPORT_PDF_CHECK_SECONDS", "20"))
# "Look inside": how many first pages of a sample PDF are rendered to stamped images,
# and their width in pixels (reports/sample_pages.py).
SAMPLE_PAGES_RENDERED = int(os.environ.get("SAMPLE_PAGES_RENDERED", "4"))
SAMPLE_PAGE_WIDTH = int(os.environ.get("SAMPLE_PAGE_WIDTH", "900"))
# A font file with Chinese glyphs for the pages' "Sample · 样本" stamp; unset: looked for
# in the usual places, and the stamp says "SAMPLE" alone when none is found.
SAMPLE_STAMP_FONT = os.environ.get("SAMPLE_STAMP_FONT", "")

# --- Checkout -----------------------------------------------------------------

# Orders placed per window, counted per IP address and per e-mail address in the
# shared cache: each one mails a pro-forma or opens a Stripe session; past them a 429.
CHECKOUT_RATE_LIMIT_PER_IP = int(os.environ.get("CHECKOUT_RATE_LIMIT_PER_IP", "10"))
CHECKOUT_RATE_LIMIT_PER_EMAIL = int(os.environ.get("CHECKOUT_RATE_LIMIT_PER_EMAIL", "5"))
CHECKOUT_RATE_LIMIT_WINDOW_SECONDS = int(
    os.environ.get("CHECKOUT_RATE_LIMIT_WINDOW_SECONDS", "3600")
)

# The country list (django-countries) is in English alphabetical order in every
# language, so a Chinese page starts with the places its buyers mostly are.
COUNTRIES_FIRST_BY_LANGUAGE = {
    "zh-hans": ["CN", "HK", "MO", "TW", "SG"],
    "zh-hant": ["TW", "HK", "MO", "CN", "SG"],
}
COUNTRIES_FIRST_BREAK = "──────────"

# --- Delivery -----------------------------------------------------------------

DOWNLOAD_EXPIRY_DAYS = int(os.environ.get("DOWNLOAD_EXPIRY_DAYS", "30"))
DOWNLOAD_LIMIT = int(os.environ.get("DOWNLOAD_LIMIT", "5"))
# How often a named seat of a multi-user licence may be given to another person once
# its holder was sent their copy (corrections before that are free).
SEAT_REASSIGNMENT_LIMIT = int(os.environ.get("SEAT_REASSIGNMENT_LIMIT", "2"))
# Paid but undelivered this long: the sweep queues the delivery again.
DELIVERY_SWEEP_AFTER_MINUTES = int(os.environ.get("DELIVERY_SWEEP_AFTER_MINUTES", "5"))
# Invoice orders whose pro-forma is still unsent this long are queued again.
PROFORMA_SWEEP_AFTER_MINUTES = int(os.environ.get("PROFORMA_SWEEP_AFTER_MINUTES", "5"))
# Pro-forma mail retries before the order is flagged and the sweep leaves it alone.
PROFORMA_MAX_RETRIES = int(os.environ.get("PROFORMA_MAX_RETRIES", "8"))
DELIVERY_MAX_RETRIES = int(os.environ.get("DELIVERY_MAX_RETRIES", "6"))
# Each host keeps the masters it stamps from, prepared for stamping, in this folder
# (storefront/delivery/prepared_masters.py), up to this many MB; 0: never kept.
STAMP_CACHE_DIR = Path(os.environ.get("STAMP_CACHE_DIR", BASE_DIR / "var" / "prepared-masters"))
STAMP_CACHE_MAX_MB = int(os.environ.get("STAMP_CACHE_MAX_MB", "2048"))
# Behind nginx: files are sent by nginx from this internal location
# (e.g. "/protected/" aliased to PRIVATE_MEDIA_ROOT); empty: Django streams them.
DOWNLOADS_X_ACCEL_REDIRECT_PREFIX = os.environ.get("DOWNLOADS_X_ACCEL_REDIRECT_PREFIX", "")

# --- Inquiries ----------------------------------------------------------------

# Submissions a buyer may make per window, counted per IP address and per e-mail
# address in the shared cache (Redis when configured); past them a 429 page.
INQUIRY_RATE_LIMIT_PER_IP = int(os.environ.get("INQUIRY_RATE_LIMIT_PER_IP", "5"))
INQUIRY_RATE_LIMIT_PER_EMAIL = int(os.environ.get("INQUIRY_RATE_LIMIT_PER_EMAIL", "3"))
INQUIRY_RATE_LIMIT_WINDOW_SECONDS = int(os.environ.get("INQUIRY_RATE_LIMIT_WINDOW_SECONDS", "3600"))
# A new or open inquiry older than this is highlighted as overdue in the queue.
INQUIRY_OVERDUE_HOURS = int(os.environ.get("INQUIRY_OVERDUE_HOURS", "24"))
# Buyers' e-mail answers to staff replies: each reply's Reply-To is this address tagged
# with the inquiry ("replies+<token>@shop.example"); the mail provider (Mailgun) forwards
# what arrives to /inbound/mailgun/, signed with MAILGUN_WEBHOOK_SIGNING_KEY. Unset:
# replies go to SALES_EMAIL and the endpoint answers 404.
INQUIRY_REPLY_ADDRESS = os.environ.get("INQUIRY_REPLY_ADDRESS", "")
ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": os.environ.get("MAILGUN_WEBHOOK_SIGNING_KEY", "")}
# Mail retries before the inquiry (or reply) is flagged as failed in the admin.
INQUIRY_MAIL_MAX_RETRIES = int(os.environ.get("INQUIRY_MAIL_MAX_RETRIES", "6"))
# Mail still unsent after this long (broker down, worker lost) is queued again by the sweep.
INQUIRY_SWEEP_AFTER_MINUTES = int(os.environ.get("INQUIRY_SWEEP_AFTER_MINUTES", "5"))
# How long a sample link in a reply works.
INQUIRY_SAMPLE_LINK_DAYS = int(os.environ.get("INQUIRY_SAMPLE_LINK_DAYS", "14"))

# --- Buyer's library ----------------------------------------------------------

# A mailed sign-in link and code work once, for this long, and stop after this many
# wrong codes (counted across every code the address was sent).
LIBRARY_SIGN_IN_CODE_MINUTES = int(os.environ.get("LIBRARY_SIGN_IN_CODE_MINUTES", "15"))
LIBRARY_SIGN_IN_CODE_ATTEMPTS = int(os.environ.get("LIBRARY_SIGN_IN_CODE_ATTEMPTS", "5"))
# Sign-in mails asked for per window, per IP address and per e-mail address; past them a 429.
LIBRARY_SIGN_IN_RATE_LIMIT_PER_IP = int(os.environ.get("LIBRARY_SIGN_IN_RATE_LIMIT_PER_IP", "10"))
LIBRARY_SIGN_IN_RATE_LIMIT_PER_EMAIL = int(
    os.environ.get("LIBRARY_SIGN_IN_RATE_LIMIT_PER_EMAIL", "5")
)
LIBRARY_SIGN_IN_RATE_LIMIT_WINDOW_SECONDS = int(
    os.environ.get("LIBRARY_SIGN_IN_RATE_LIMIT_WINDOW_SECONDS", "3600")
)
# A sign-in mail's retries; the code expires soon, so few.
LIBRARY_SIGN_IN_MAIL_MAX_RETRIES = int(os.environ.get("LIBRARY_SIGN_IN_MAIL_MAX_RETRIES", "4"))

# --- Payments -----------------------------------------------------------------

# The currencies licences may be priced and charged in (ISO 4217 codes). Minor units
# come from ISO 4217 (reports/currencies.py); a system check refuses unknown codes.
SHOP_CURRENCIES = [
    code.upper() for code in env_list("SHOP_CURRENCIES", "USD,EUR,GBP,CNY,JPY")
]
# The currency a buyer starts with, by language ("*": every other language); a buyer
# switches in the header. A currency the shop does not sell is skipped.
SHOP_DEFAULT_CURRENCIES = {"zh-hans": "CNY", "zh-hant": "TWD", "*": "USD"}
for _item in env_list("SHOP_DEFAULT_CURRENCIES"):
    _language, _, _code = _item.partition("=")
    SHOP_DEFAULT_CURRENCIES[_language.strip()] = _code.strip().upper()
# Published exchange rates for indicative amounts beside a price in another currency
# (never charged): "USD/CNY=7.20@2026-12-02,USD/TWD=31.90@2026-12-02". A rate serves
# both directions. Empty: no indicative amounts.
SHOP_EXCHANGE_RATES = {}
for _item in env_list("SHOP_EXCHANGE_RATES"):
    _pair, _, _value = _item.partition("=")
    _rate, _, _date = _value.partition("@")
    SHOP_EXCHANGE_RATES[_pair.strip().upper()] = (_rate.strip(), _date.strip())

# Without a secret key, a local (DEBUG) run uses the development gateway, and a
# system check stops a production start.
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Another Stripe-compatible server (the test suite starts one on 127.0.0.1).
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
# The Checkout payment methods the shop offers, each where Stripe takes the order's
# currency (storefront/payments/methods.py): card always; alipay and wechat_pay once
# they are activated in the Stripe Dashboard.
STRIPE_PAYMENT_METHODS = [method.lower() for method in env_list("STRIPE_PAYMENT_METHODS", "card")]

# --- Internationalisation -----------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

PARLER_DEFAULT_LANGUAGE_CODE = "en"
# Pages prefetch exactly the translations they show; parler's own per-object cache
# would add a cache round trip per row and make query counts depend on cache state.
PARLER_ENABLE_CACHING = False
# Where a traditional Chinese text is missing, or is a machine-converted draft no editor
# has reviewed yet, buyers read these languages in turn (the page says so).
ZH_HANT_FALLBACKS = env_list("ZH_HANT_FALLBACKS", "zh-hans,en")
PARLER_LANGUAGES = {
    None: (
        {"code": "en"},
        {"code": "zh-hans"},
        {"code": "zh-hant", "fallbacks": ZH_HANT_FALLBACKS},
    ),
    "default": {"fallbacks": ["en"], "hide_untranslated": False},
}

# --- Static files and private media -------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "storefront" / "static"]
# Master and stamped PDFs: a storage that is never under a served URL.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", BASE_DIR / "private_media"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
# Several hosts: every private file (masters, samples, stamped copies) in one
# S3-compatible bucket through django-storages, so a copy stamped by a worker on one
# host is downloaded through any web host. The bucket stays private: downloads are
# redirects to presigned URLs that expire after AWS_QUERYSTRING_EXPIRE seconds.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")


def s3_transfer_config():
    """Transfers of large PDFs in 5 MiB parts (S3's smallest), at most 4 at a time and
    3 held in memory: boto3's defaults (8 MiB parts, 10 in flight, 10 in memory) add
    ~130 MB to a worker stamping a 166 MB master (bench/README.md, "Stamping to storage")."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_chunksize=5 * 1024 * 1024, max_concurrency=4, max_io_queue=16)
    # s3transfer's own limits, which boto3's constructor does not take.
    config.max_in_memory_upload_chunks = 3
    config.max_in_memory_download_chunks = 3
    return config


if AWS_STORAGE_BUCKET_NAME:
    from botocore.config import Config as _BotoConfig

    _bucket_options = {
        "bucket_name": AWS_STORAGE_BUCKET_NAME,
        "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
        "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
        "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        # Never a public object: no ACL is sent, the bucket's own policy (private) holds.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": int(os.environ.get("AWS_QUERYSTRING_EXPIRE", "300")),
        # Names are chosen by the shop (stamped copies delete their stale file first):
        # never overwrite another row's file silently, as the local storage never does.
        "file_overwrite": False,
        # Reads through the storage spool to disk past 8 MB instead of holding a whole
        # master in memory.
        "max_memory_size": 8 * 1024 * 1024,
        "transfer_config": s3_transfer_config(),
        "client_config": _BotoConfig(
            # Path-style URLs work with every S3-compatible server (MinIO, SeaweedFS, ...).
            s3={"addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE", "path")},
            signature_version="s3v4",
            # /healthz must answer quickly when the bucket is down.
            connect_timeout=float(os.environ.get("AWS_S3_CONNECT_TIMEOUT", "2")),
            read_timeout=float(os.environ.get("AWS_S3_READ_TIMEOUT", "20")),
            retries={"max_attempts": 2, "mode": "standard"},
        ),
    }
    STORAGES["private"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _bucket_options}
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _bucket_options}

# --- Mail ---------------------------------------------------------------------

EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    # smtp://user:password@host:port or smtp+tls://… for STARTTLS.
    _email = urlsplit(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme.endswith("+tls")
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Report Store <orders@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -----------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=True)
# A load balancer probes over plain HTTP; everything else is redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Content-Security-Policy (django-csp): every script and style comes from our own
# static files; no inline script, style or handler anywhere (the admin included),
# so injected markup cannot run. The one exception is the import map of the admin's
# rich-text editor, allowed by a per-response nonce on that page only. JSON-LD is a data block, which CSP does not run.
# Checkout forms are answered with a redirect to Stripe Checkout, which
# form-action must allow (with STRIPE_API_BASE, the pay pages add that server:
# storefront.orders.views.allow_stripe_checkout).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # A nonce only where a page asks for one (request.csp_nonce): the admin's
        # rich-text editor loads its modules through an inline import map.
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, "https://checkout.stripe.com"],
    }
}
# Permissions-Policy (django-permissions-policy): the shop uses no device feature.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer",
        "microphone", "payment", "usb",
    )
}

# Admin sign-in throttling (django-axes): after ADMIN_LOGIN_FAILURE_LIMIT wrong
# passwords for one user name from one IP address, that pair is refused for
# ADMIN_LOGIN_COOLOFF_MINUTES. Only the pair: an attacker guessing a staff member's
# password locks out their own address, never the staff member's, and never for
# long. The address is REMOTE_ADDR only (never a forwarded header a client could
# invent); behind a proxy, make sure REMOTE_ADDR is the client's address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("ADMIN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ADMIN_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
# No start-up banner in every management command's output.
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Shop ---------------------------------------------------------------------

SHOP_NAME = os.environ.get("SHOP_NAME", "Meridian Research Store")
REPORTS_PER_PAGE = 24
# Longest time a rendered catalogue page is reused; any catalogue edit ends it at once.
CATALOGUE_CACHE_SECONDS = int(os.environ.get("CATALOGUE_CACHE_SECONDS", "300"))
# Catalogue pages with a query (search, filter, sort, page) one IP address may add
# to the cache per CATALOGUE_CACHE_SECONDS; past it its pages are served, not kept.
CATALOGUE_CACHE_QUERIES_PER_IP = int(os.environ.get("CATALOGUE_CACHE_QUERIES_PER_IP", "50"))
# After an edit, requests for a page being built wait up to this long for it instead
# of building it too (0: no lock); see reports/page_cache.py.
CATALOGUE_STAMPEDE_WAIT_SECONDS = float(os.environ.get("CATALOGUE_STAMPEDE_WAIT_SECONDS", "2"))
# Parts of catalogue pages (sidebar, counts, cards, outlines, related reports) each
# process keeps for the current catalogue version (0: none); reports/catalogue_memo.py.
CATALOGUE_MEMO_ENTRIES = int(os.environ.get("CATALOGUE_MEMO_ENTRIES", "2000"))
# Absolute address of the shop, for links in mail.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Printed on pro-forma invoices; set the real bank details in production.
INVOICE_PAYMENT_INSTRUCTIONS = os.environ.get(
    "INVOICE_PAYMENT_INSTRUCTIONS",
    "Bank transfer to: Meridian Research Ltd (example account)\n"
    "IBAN: GB00 EXAM 0000 0000 0000 00 · SWIFT/BIC: EXAMGB2L\n"
    "Reference: {order_number}",
)

# --- Invoicing ----------------------------------------------------------------

# The seller printed on invoices, receipts, pro-formas, credit notes, the footer and
# the imprint; a "\n" in SELLER_ADDRESS starts a new line (an environment value is
# often one line). A local run shows an example seller; in production they are empty
# until set, and a system check (pages.W002) warns.
SELLER_LEGAL_NAME = os.environ.get(
    "SELLER_LEGAL_NAME", "Meridian Research Ltd (example)" if DEBUG else ""
)
SELLER_ADDRESS = os.environ.get(
    "SELLER_ADDRESS", "1 Example Street\nLondon EC1A 1AA\nUnited Kingdom" if DEBUG else ""
).replace("\\n", "\n")
SELLER_TAX_ID = os.environ.get("SELLER_TAX_ID", "GB000000000" if DEBUG else "")
# ISO 3166 code of the seller's country: a business buyer with a VAT id elsewhere
# is invoiced under the reverse charge, without tax.
SELLER_COUNTRY = os.environ.get("SELLER_COUNTRY", "GB").strip().upper()
# The tax included in prices otherwise, in percent, and its name on documents.
try:
    INVOICE_TAX_RATE = Decimal(os.environ.get("INVOICE_TAX_RATE", "0").strip())
except InvalidOperation as error:
    raise ImproperlyConfigured("INVOICE_TAX_RATE must be a percentage, e.g. 20 or 7.5.") from error
if (
    not INVOICE_TAX_RATE.is_finite()
    or not 0 <= INVOICE_TAX_RATE < 100
    or INVOICE_TAX_RATE.as_tuple().exponent < -2
):
    raise ImproperlyConfigured(
        "INVOICE_TAX_RATE must be a percentage from 0 to under 100, with at most two decimals."
    )
INVOICE_TAX_LABEL = os.environ.get("INVOICE_TAX_LABEL", "VAT")
# Days a pro-forma gives to pay.
INVOICE_DUE_DAYS = int(os.environ.get("INVOICE_DUE_DAYS", "14"))
# Days a new quote stays valid (sales may change its date before sending it).
QUOTE_VALIDITY_DAYS = int(os.environ.get("QUOTE_VALIDITY_DAYS", "30"))

# The sales inbox: inquiry notices, failed deliveries; the Reply-To of mail to buyers.
SALES_EMAIL = os.environ.get("SALES_EMAIL", "sales@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # pikepdf announces its logger bridge at INFO on every start: noise in every command.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "pikepdf": {"level": "WARNING"}},
}
