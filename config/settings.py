"""
Settings for the policy-program tracker.

One module for every environment: everything that differs between a laptop,
CI and production is read from environment variables, documented in the
README. Without any of them the site runs on an SQLite file under var/.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(`make run` generates one in var/secret_key)."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG=1"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Behind TLS (production): HTTPS only, HSTS, secure cookies. The proxy in
# front says which requests came over HTTPS (X-Forwarded-Proto).
HTTPS = env_bool("DJANGO_HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The health check answers load balancers on plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

INSTALLED_APPS = [
    "config.apps.PolicyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "reversion",
    "import_export",
    "config.apps.QueuedTasksConfig",
    "config.apps.SignInLockoutsConfig",
    "metrics",
    "programs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.sessions.SlidingSessionMiddleware",
    "config.locale.VisitorLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, so that a lockout answers before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "metrics.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# SQLite by default so that a fresh clone runs with nothing else installed;
# PostgreSQL (or anything dj-database-url understands) via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if str(VAR_DIR) in str(DATABASES["default"]["NAME"]):
        VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL lets the public pages read while staff write.
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")

# Optional read replica for public pages (see config/routers.py).
if replica_url := env_str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = dj_database_url.parse(
        replica_url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0),
        conn_health_checks=True,
    )
    DATABASE_ROUTERS = ["config.routers.PublicReadsToReplica"]
    MIDDLEWARE.insert(0, "config.routers.PublicReadsMiddleware")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Who may do what to which record: the publication policy (metrics.workflow.policy).
    "metrics.workflow.backends.WorkflowBackend",
]

# The first hashes new passwords; the others verify older hashes, which are
# rehashed with the first at the next sign-in (config/hashers.py).
PASSWORD_HASHERS = [
    "config.hashers.Argon2idOneLanePasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: staff and public work in English or Simplified Chinese.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# Uploaded releases: kept (never served) so that a job can be run again and
# audited. Several app servers need a shared directory or object storage.
MEDIA_ROOT = env_str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", default=100)

# Background jobs (release checks and imports) on Django's task framework,
# queued in the database by default, so that nothing else needs to run but
# a worker (`manage.py db_worker`, which `make run` starts beside the site).
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    # Jobs queued in Redis and run by `manage.py rqworker --job-class
    # django_tasks_rq.Job` (pip install django-tasks-rq; docs/DEPLOYMENT.md).
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": env_str("REDIS_URL", default="redis://127.0.0.1:6379/0")}}

# E-mail (the reminders of metrics/reminders.py): through an SMTP server when
# EMAIL_HOST names one; without it, messages are printed on the console, so
# that `make run` needs no mail server. Django 6.1 configures mail as MAILERS
# (its EMAIL_* settings are deprecated, and refused beside MAILERS); the
# environment keeps the usual EMAIL_* names.
_smtp_host = env_str("EMAIL_HOST", default="")
_smtp_tls = env_bool("EMAIL_USE_TLS", default=False)
_smtp_ssl = env_bool("EMAIL_USE_SSL", default=False)
if _smtp_tls and _smtp_ssl:
    # Django refuses the pair only when it first sends: say so at start-up.
    raise ImproperlyConfigured("Set EMAIL_USE_TLS (STARTTLS) or EMAIL_USE_SSL, not both.")
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _smtp_host,
                # Unset: 25, or 587 with STARTTLS, 465 with TLS (Django's choice).
                "port": env_int("EMAIL_PORT", default=0) or None,
                "username": env_str("EMAIL_HOST_USER", default=""),
                "password": env_str("EMAIL_HOST_PASSWORD", default=""),
                "use_tls": _smtp_tls,
                "use_ssl": _smtp_ssl,
                # A mail server that stops answering must not hold a worker forever.
                "timeout": env_int("EMAIL_TIMEOUT", default=30),
            },
        }
        if _smtp_host
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="policy-tracker@localhost")
# Where the staff site is reached: links in e-mail are absolute.
SITE_URL = env_str("SITE_URL", default="http://127.0.0.1:8000")
# Reviewers are reminded of a record that has waited in review this many days.
REVIEW_REMINDER_DAYS = env_int("REVIEW_REMINDER_DAYS", default=3)

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# No script, style or font from another host, and no inline code: the
# public pages and the admin both work under this policy.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# django-tables2 and django-filter.
DJANGO_TABLES2_TEMPLATE = "django_tables2/public.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "data-table"}

# django-axes: lock an account from one address after 5 failures, 15 minutes.
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Attempts and lockouts are counted in the cache (Redis when several app
# servers share it), never written to the database: a visitor's failed
# sign-in must not write (nothing an anonymous request does writes). Each
# lockout is logged with the account and the address.
AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"
AXES_ENABLE_ADMIN = False
AXES_CLIENT_IP_CALLABLE = "config.clients.client_address"
# django-axes warns about any cache but a shared one; the project's own
# deployment check (config/checks.py) says what to do instead: without
# Redis, a single process (`make run`) counts correctly.
SILENCED_SYSTEM_CHECKS = ["axes.W001"]
# The lockout log names the account and the address: an auditor must see who
# was locked out. Passwords are never logged.
AXES_SENSITIVE_PARAMETERS = []

# django-import-export: nothing is written unless every row is valid.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGIN_URL = "admin:login"
# Staff sessions end after 25 to 30 minutes without a request: a session in
# use is saved again every 5 minutes, not on every request (config/sessions.py).
SESSION_COOKIE_AGE = 30 * 60
SESSION_REFRESH_SECONDS = 5 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# The proxies in front of the site, whose X-Forwarded-For is believed
# (config/clients.py): a number of them, or their networks. Without either,
# the header is ignored: a client could write anything into it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXY_NETWORKS = env_list("TRUSTED_PROXY_NETWORKS", default=[])
# Uncached renders of public pages a client may cause (metrics/render_budget.py).
PUBLIC_RENDER_BUDGET = env_str("PUBLIC_RENDER_BUDGET", default="120/minute")
# "Report a problem" submissions a client may send, accepted or not (metrics/reports.py).
PROBLEM_REPORT_BUDGET = env_str("PROBLEM_REPORT_BUDGET", default="5/hour")
# Failed sign-ins one address may cause, whatever the accounts, before a
# sign-in is refused without checking the password (config/sign_ins.py).
SIGN_IN_FAILURE_BUDGET = env_str("SIGN_IN_FAILURE_BUDGET", default="30/hour")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client": {"()": "config.clients.ClientAddressFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(client)s]: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # Lockouts are warnings; routine login bookkeeping is noise.
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# A constant-answer view for the benchmark's floor (bench/run.py); off by default.
BENCH_ENDPOINTS = env_bool("DJANGO_BENCH_ENDPOINTS", default=False)

# The province whose headline figures the home page shows.
HOME_REGION_CODE = env_str("HOME_REGION_CODE", default="140000")

# The open-data API: read-only, published records only.
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["metrics.throttling.PublicRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env_str("API_ANON_RATE", default="120/minute")},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Commerce programs open data",
    "DESCRIPTION": (
        "Published policy programs of the Shanxi Department of Commerce and the published "
        "figures that follow them. Read-only; identifiers are stable (program, metric, "
        "organisation and source slugs; GB/T 2260 region codes). Everything at once: "
        "[/downloads/](/downloads/)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"PeriodTypeEnum": "metrics.periods.PeriodType.choices"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "metrics.api_schema.add_error_answers",
    ],
}
# The licence published data is released under, named in every bulk download.
OPEN_DATA_LICENCE = env_str("OPEN_DATA_LICENCE", default="CC-BY-4.0")

# Counters of the API rate limit live in the cache: shared Redis in
# production (several app servers), this process's memory otherwise.
# Rendered public pages have a cache of their own (metrics.page_cache), so
# that many pages never push the rate-limit counters out.
REDIS_URL = env_str("REDIS_URL", default="")
CACHES = {
    alias: (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        | ({"KEY_PREFIX": alias} if alias != "default" else {})
        if REDIS_URL
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": alias,
            "OPTIONS": {"MAX_ENTRIES": 2000 if alias == "pages" else 300},
        }
    )
    for alias in ("default", "pages")
}
PUBLIC_PAGE_CACHE = "pages"
# How long a rendered public page may be served while the data is unchanged
# (0 turns the cache off); the bound also covers what depends on the date.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", default=300)
# Parts that every address of a page shares (filter choices, a region's latest
# figures, charts), kept per content version alike (metrics.page_cache.remembered).
PUBLIC_PART_CACHE_SECONDS = env_int("PUBLIC_PART_CACHE_SECONDS", default=300)

# Backups keep timestamps to the microsecond (see config/jsonl.py).
SERIALIZATION_MODULES = {"jsonl": "config.jsonl"}
