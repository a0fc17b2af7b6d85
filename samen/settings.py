"""Samen's settings. Every value comes from the environment; the defaults run on SQLite.

The README has the table of variables. Keep it in step with this file.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("SAMEN_DEBUG", False)
ALLOWED_HOSTS = env_list("SAMEN_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("SAMEN_CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SAMEN_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_ID = 1

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_htmx",
    # Serves the Swagger UI that ships inside django-ninja (/api/docs/explorer), instead of a CDN copy.
    "ninja",
    "django_tasks_db",
    "anymail",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.facebook",
    "samen.core",
    "samen.people",
    "samen.initiatives",
    "samen.impact",
    "samen.messaging",
    "samen.outreach",
    "samen.reports",
    "samen.plans",
    "samen.volunteering",
    "samen.giving",
    "samen.api",
    "samen.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "samen.urls"
WSGI_APPLICATION = "samen.wsgi.application"

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
                "samen.core.context_processors.site",
                # The Content-Security-Policy's nonce as {{ csp_nonce }} (the production block below).
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
# SQLite in WAL mode with persistent connections by default; DATABASE_URL switches to PostgreSQL.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE avoids "database is locked" when a read transaction later wants to write.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and background work -----------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
# CACHES: see "Throttles and the shared cache" below.

# "db" (django-tasks-db, the default), "rq" (django-tasks-rq on REDIS_URL) or "immediate".
TASKS_BACKEND = env("SAMEN_TASKS_BACKEND", "db")
if TASKS_BACKEND == "rq":
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Accounts (django-allauth) ------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTH_USER_MODEL = "people.Member"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# A new member lands on their profile: skills, causes and place are what matching runs on.
ACCOUNT_SIGNUP_REDIRECT_URL = "people:profile_edit"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env("SAMEN_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# ACCOUNT_RATE_LIMITS and ACCOUNT_ADAPTER: see "Throttles and the shared cache" below.
SOCIALACCOUNT_ONLY = False
# Answers 404 rather than 500 for the URLs of a provider that is not configured.
SOCIALACCOUNT_ADAPTER = "samen.people.adapters.SocialAccountAdapter"

# LinkedIn (OpenID Connect) and Facebook switch on only when their keys are configured.
SOCIALACCOUNT_PROVIDERS: dict = {}
if env("SAMEN_LINKEDIN_CLIENT_ID"):
    SOCIALACCOUNT_PROVIDERS["openid_connect"] = {
        "APPS": [
            {
                "provider_id": "linkedin",
                "name": "LinkedIn",
                "client_id": env("SAMEN_LINKEDIN_CLIENT_ID"),
                "secret": env("SAMEN_LINKEDIN_SECRET"),
                "settings": {"server_url": "https://www.linkedin.com/oauth"},
            }
        ]
    }
if env("SAMEN_FACEBOOK_CLIENT_ID"):
    SOCIALACCOUNT_PROVIDERS["facebook"] = {
        "APPS": [{"client_id": env("SAMEN_FACEBOOK_CLIENT_ID"), "secret": env("SAMEN_FACEBOOK_SECRET")}],
        "METHOD": "oauth2",
    }

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env("SAMEN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("SAMEN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("SAMEN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("SAMEN_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("SAMEN_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("SAMEN_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("SAMEN_DEFAULT_FROM_EMAIL", "Samen <noreply@samen.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    "WEBHOOK_SECRET": env("SAMEN_ANYMAIL_WEBHOOK_SECRET"),
    "POSTMARK_SERVER_TOKEN": env("SAMEN_POSTMARK_SERVER_TOKEN"),
    "MAILGUN_API_KEY": env("SAMEN_MAILGUN_API_KEY"),
    "SENDGRID_API_KEY": env("SAMEN_SENDGRID_API_KEY"),
}

# --- Payments (docs/giving.md) ------------------------------------------------------------------
# A provider is offered on the donate form only when its keys are set; the pledge always is.
SAMEN_STRIPE_SECRET_KEY = env("SAMEN_STRIPE_SECRET_KEY")
SAMEN_STRIPE_WEBHOOK_SECRET = env("SAMEN_STRIPE_WEBHOOK_SECRET")
SAMEN_STRIPE_API_BASE = env("SAMEN_STRIPE_API_BASE")  # empty: Stripe's own; tests point it at a local server
SAMEN_MOLLIE_API_KEY = env("SAMEN_MOLLIE_API_KEY")
SAMEN_MOLLIE_API_ENDPOINT = env("SAMEN_MOLLIE_API_ENDPOINT")
SAMEN_GIVING_POLL_SECONDS = int(env("SAMEN_GIVING_POLL_SECONDS", "10"))
# A pledge made without signing in above this amount (major units, e.g. "100" is €100 or UGX 100)
# counts only once its donor confirms their e-mail address; "off" never asks, "0" always asks.
SAMEN_PLEDGE_CONFIRM_ABOVE: str | None = env("SAMEN_PLEDGE_CONFIRM_ABOVE", "100").strip() or None
if SAMEN_PLEDGE_CONFIRM_ABOVE and SAMEN_PLEDGE_CONFIRM_ABOVE.lower() in {"off", "none", "false"}:
    SAMEN_PLEDGE_CONFIRM_ABOVE = None
# How long the confirmation link works.
SAMEN_PLEDGE_CONFIRM_DAYS = int(env("SAMEN_PLEDGE_CONFIRM_DAYS", "7"))

# --- Outreach (docs/outreach.md) ----------------------------------------------------------------
# Tracked links (/l/<code>) redirect only to this site and to these hosts: never an open redirect.
SAMEN_OUTREACH_REDIRECT_HOSTS = env_list("SAMEN_OUTREACH_REDIRECT_HOSTS")
# manage.py outreach_purge_touches keeps the clicks of this many days (at least the 90-day window).
SAMEN_OUTREACH_TOUCH_DAYS = int(env("SAMEN_OUTREACH_TOUCH_DAYS", "180"))

# --- Throttles and the shared cache (docs/architecture.md "Throttles"; the README lists each limit) ----
# The default cache is shared by every process and node, because throttles count there: Redis with
# REDIS_URL, else the table `samen_cache` in the database (core's migration makes it). "fragments"
# holds what pages can rebuild (rendered parts, lookups): in each process's memory without Redis.
SAMEN_CACHE_PREFIX = env("SAMEN_CACHE_PREFIX")  # to share one Redis between several sites
CACHES: dict[str, dict]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": SAMEN_CACHE_PREFIX,
        },
        "fragments": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{SAMEN_CACHE_PREFIX}fragments",
        },
    }
else:
    CACHES = {
        "default": {
            # Django's database cache with an increment two processes cannot both win.
            "BACKEND": "samen.core.cache.DatabaseCache",
            "LOCATION": "samen_cache",
            "KEY_PREFIX": SAMEN_CACHE_PREFIX,
            # Expired rows go when the table passes this; a busy site wants Redis instead.
            "OPTIONS": {"MAX_ENTRIES": 10000},
        },
        "fragments": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "samen-fragments",
        },
    }

INSTALLED_APPS += ["django_ratelimit"]  # its system check refuses a per-process cache for throttles
# It knows only memcached and django-redis by name; Django's Redis and our database cache both
# increment atomically (samen/core/tests/test_shared_cache.py).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
SAMEN_DISABLE_RATE_LIMITS = env_bool("SAMEN_DISABLE_RATE_LIMITS")  # load tests from one address only
RATELIMIT_ENABLE = not SAMEN_DISABLE_RATE_LIMITS
# A cache that cannot count lets requests through (and logs it) rather than refusing everyone.
RATELIMIT_FAIL_OPEN = True
RATELIMIT_IP_META_KEY = "samen.core.throttle.client_ip"

# The client's address is REMOTE_ADDR, unless a proxy you trust sets this header (e.g. X-Forwarded-For
# or X-Real-IP). In a list, the address SAMEN_PROXY_COUNT places from the end is the client's.
SAMEN_PROXY_IP_HEADER = env("SAMEN_PROXY_IP_HEADER")
SAMEN_PROXY_COUNT = int(env("SAMEN_PROXY_COUNT", "1"))

# Each limit: "count/period" rates, comma-separated (period s, m, h or d, optionally with a number:
# "1/30m"); empty switches it off. Set one with SAMEN_THROTTLE_<NAME>, e.g. SAMEN_THROTTLE_DONATE=10/h.
THROTTLE_DEFAULTS = {
    "donate": "5/m,30/h",  # donations and pledges (web and API), per member or address
    "report": "5/m,60/h",  # reports sent by web form or API, per member or address
    "subscribe": "5/m,20/h",  # report alert subscriptions, per client address
    "subscribe_address": "3/h",  # ... and per e-mail address or phone number (besides 3 a day in notify.py)
    "api_write": "60/m,1000/h",  # POST, PUT, PATCH and DELETE on /api/, per token's member
    "webhook_sms": "600/m",  # /gateways/<SMS gateway>/<channel>/, per channel and sender address
    "webhook_email": "300/m",  # /gateways/inbound_email/<channel>/, per channel and sender address
    "webhook_payment": "300/m",  # /give/webhooks/<provider>/, per provider and sender address
    "link_visitor": "1/30m",  # clicks that count on one tracked link, per address and browser
    "link_address": "20/h",  # ... and per address (many people behind one network)
    # allauth's own format, "count/period/per" with per = ip or key (the e-mail address):
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "password_reset": "20/m/ip,5/m/key",
}
SAMEN_THROTTLES = {
    name: env(f"SAMEN_THROTTLE_{name.upper()}", rate) for name, rate in THROTTLE_DEFAULTS.items()
}
ACCOUNT_RATE_LIMITS: dict | bool = (
    False
    if SAMEN_DISABLE_RATE_LIMITS
    else {
        "login": SAMEN_THROTTLES["login"],
        "login_failed": SAMEN_THROTTLES["login_failed"],
        "signup": SAMEN_THROTTLES["signup"],
        "reset_password": SAMEN_THROTTLES["password_reset"],
    }
)
# allauth finds the client's address the same way as the other throttles.
ACCOUNT_ADAPTER = "samen.people.adapters.AccountAdapter"

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Reporter pages and the site around them speak all four; the feature apps with a catalogue of their own
# (samen/<app>/locale/) may offer fewer, and show English in the others (docs/architecture.md "Languages").
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("fr", _("French")), ("ht", _("Haitian Creole"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our own date formats where Django's do not suit a language (samen/core/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["samen.core.formats"]
TIME_ZONE = env("SAMEN_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end packages come from npm at install time and are served from node_modules.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("SAMEN_MEDIA_ROOT", str(BASE_DIR / "media")))
# Evidence originals and other private files: never served by URL (see samen/core/storage.py).
SAMEN_PRIVATE_MEDIA_ROOT = Path(env("SAMEN_PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private-media")))
SAMEN_MAX_UPLOAD_BYTES = int(env("SAMEN_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = SAMEN_MAX_UPLOAD_BYTES + 1024 * 1024

# Map tiles (Leaflet URL template). OpenStreetMap's volunteer-run servers suit small sites; a busy
# deployment should point this at a tile service of its own.
SAMEN_MAP_TILES = env("SAMEN_MAP_TILES", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")

# --- Outbound HTTP ------------------------------------------------------------------------------
SAMEN_HTTP_TIMEOUT = float(env("SAMEN_HTTP_TIMEOUT", "10"))
SAMEN_HTTP_USER_AGENT = "Samen/0.1 (+https://samen.example)"
# Host names, addresses or networks (CIDR) outbound calls may reach although they are not public.
SAMEN_HTTP_ALLOWED_HOSTS = env_list("SAMEN_HTTP_ALLOWED_HOSTS")

# --- Production: secret key, HTTPS, Content-Security-Policy ---------------------------------------
# README "Running in production" names every variable here; `manage.py check --deploy` passes with an
# https SAMEN_SITE_URL, a secret key of the site's own and debug off.
import secrets  # noqa: E402

from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.utils.csp import CSP  # noqa: E402

# With debug off and no key of its own Samen refuses to start, and says why: in every manage.py command
# that runs the system checks and in wsgi.py/asgi.py (samen/core/checks.py). Until then the process has
# a random key that no one knows, so that tools which only read the settings (mypy) still work.
SAMEN_SECRET_KEY_MISSING = not env("SAMEN_SECRET_KEY") and not DEBUG
if DEBUG:
    SECRET_KEY = env("SAMEN_SECRET_KEY", "insecure-key-for-debug-mode-only")
else:
    SECRET_KEY = env("SAMEN_SECRET_KEY") or secrets.token_urlsafe(50)

site_is_https = SITE_URL.startswith("https://")
# Behind a proxy that ends TLS: the header it sets and its value for https, e.g. "X-Forwarded-Proto: https".
# Set it only when the proxy always sets (or strips) that header, or anyone can claim https.
if proxy_header := env("SAMEN_PROXY_SSL_HEADER"):
    name, _sep, value = proxy_header.partition(":")
    if not value.strip():
        raise ImproperlyConfigured('SAMEN_PROXY_SSL_HEADER must read "Header-Name: value".')
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + name.strip().upper().replace("-", "_"), value.strip())
SECURE_SSL_REDIRECT = env_bool("SAMEN_SSL_REDIRECT", site_is_https)
SECURE_HSTS_SECONDS = int(env("SAMEN_HSTS_SECONDS", "31536000" if site_is_https else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SAMEN_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SAMEN_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = site_is_https
CSRF_COOKIE_SECURE = site_is_https
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"


def _origin(url: str) -> str:
    """The CSP source for a URL template: its scheme and host, "{s}"-style subdomains as a wildcard."""
    scheme, _sep, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if not _sep or not host:
        return ""
    labels = host.split(".")
    if any("{" in label for label in labels):
        host = "*." + ".".join(label for label in labels if "{" not in label)
    return f"{scheme}://{host}"


# Scripts and styles come from this site only; an inline <script> or <style> runs only with the page's
# nonce, and no page has a style="" attribute (docs/architecture.md "Content-Security-Policy").
# form-action is left open: donations and social log-in answer a POST with a redirect to the provider.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    # data: for Leaflet's and Swagger UI's small images; the tiles from the tile server; uploads from
    # MEDIA_URL when that is another host (a CDN or S3).
    "img-src": sorted({CSP.SELF, "data:", *filter(None, [_origin(SAMEN_MAP_TILES), _origin(MEDIA_URL)])}),
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "report-uri": env("SAMEN_CSP_REPORT_URI") or None,
}
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
# --- End of the production block -----------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("SAMEN_LOG_LEVEL", "WARNING")},
}
