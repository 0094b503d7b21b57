"""Roster's only settings module; every deployment difference is an env var.

With nothing set, Roster runs embedded: SQLite, Celery's filesystem broker and
mail written to files under var/mail/. See README.md for the configuration table.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.urls import reverse_lazy

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env("ROSTER_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

# --- PROFILE ----------------------------------------------------------------
# ROSTER_PROFILE=production turns on HTTPS-only settings (HSTS, redirect to
# HTTPS, secure cookies, the proxy's HTTPS header) and refuses to start
# without ROSTER_ENCRYPTION_KEY. See docs/deployment.md.
PROFILE = env("ROSTER_PROFILE", default="development")
if PROFILE not in ("development", "production"):
    raise ImproperlyConfigured(
        f"ROSTER_PROFILE is {PROFILE!r}: use 'production' or 'development' (the default)."
    )
PRODUCTION = PROFILE == "production"

# --- CORE -------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be false when ROSTER_PROFILE=production.")
# The embedded default gets a per-checkout key so `make run` needs no setup;
# production must set DJANGO_SECRET_KEY (checked by `manage.py check --deploy`).
_key_file = VAR_DIR / "secret_key"
if "DJANGO_SECRET_KEY" in env:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
else:
    if not _key_file.exists():
        from django.utils.crypto import get_random_string

        # Readable by the owner only, from the moment it exists.
        _fd = os.open(_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(_fd, "w") as _out:
            _out.write(get_random_string(64))
    elif _key_file.stat().st_mode & 0o077:
        _key_file.chmod(0o600)  # written by an older version, readable by others
    SECRET_KEY = _key_file.read_text().strip()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
ORGANISATION_NAME = env("ROSTER_ORGANISATION_NAME", default="Roster")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_celery_beat",
    "accounts",
    "provisioning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.RequireStaffMfaMiddleware",
    "accounts.middleware.OrganisationTimeZoneMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "accounts.context_processors.organisation",
            ],
        },
    },
]

# --- DATABASE ---------------------------------------------------------------
# PostgreSQL (psycopg 3) in production: DATABASE_URL=postgres://user@host/db
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'roster.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes;
    # IMMEDIATE transactions avoid "database is locked" on upgrade to write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(VAR_DIR / "test.sqlite3")
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    # JIT compilation costs hundreds of milliseconds on list pages whose
    # estimated cost is high (deep OFFSETs) and never pays back on short queries.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- CACHE ------------------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://roster")}

# --- AUTHENTICATION ---------------------------------------------------------
AUTH_USER_MODEL = "accounts.Person"
# Email is unique case-insensitively (a functional unique constraint), which
# the check for a unique USERNAME_FIELD cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
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
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/admin/"
# https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
}
# Mail goes only to people Roster knows; the page answers the same either way.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Reset links die when the person is deactivated (security stamp, is_active).
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "accounts.adapters.PasswordResetTokenGenerator"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# TOTP keys and recovery-code seeds are stored encrypted (accounts.crypto);
# the TOTP issuer is the organisation's name from its settings page.
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
# The code fields carry phone keyboard hints (number pad, no autocorrect).
MFA_FORMS = {
    "authenticate": "accounts.mfa_forms.AuthenticateForm",
    "reauthenticate": "accounts.mfa_forms.ReauthenticateForm",
    "activate_totp": "accounts.mfa_forms.ActivateTOTPForm",
}
# Staff (administrators, account managers, auditors) must set up TOTP before
# they can use the admin panel when this is on.
ROSTER_REQUIRE_STAFF_MFA = env.bool("ROSTER_REQUIRE_STAFF_MFA", default=False)

# --- EMAIL ------------------------------------------------------------------
# SMTP in production: EMAIL_URL=smtp+tls://user:password@host:587. Without
# EMAIL_URL (the embedded default) mail is written to files under
# VAR_DIR/mail/, which the admin's "Sent mail" page lists for System
# administrators; `make run` prints the folder when it starts.
ROSTER_MAIL_TO_FILES = "EMAIL_URL" not in env
if ROSTER_MAIL_TO_FILES:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
else:
    vars().update(env.email_url("EMAIL_URL"))
if EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend":
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Roster <roster@localhost>")

# --- CELERY -----------------------------------------------------------------
# Redis in production: CELERY_BROKER_URL=redis://host:6379/0. The embedded
# default is Celery's filesystem transport, consumed by a real worker.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 600
CELERY_TASK_TIME_LIMIT = 660
CELERY_TASK_IGNORE_RESULT = True
# Lets several deployments (or test runs) share one broker without taking
# each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- INTERNATIONALISATION ----------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- STATIC -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Files browsers ask for at the site's root (/favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded spreadsheets hold personal data: owner-only files and folders.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- SECURITY ---------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
# Each defaults to on in the production profile and off otherwise.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=PRODUCTION)
# The load balancer's health check may speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION
)
# Preloading commits the whole domain to HTTPS in browsers for months: an
# explicit decision per domain, so it stays off unless asked for.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")
# Behind a proxy that terminates HTTPS: "HEADER,value" it sets on HTTPS
# requests (and strips from clients'); empty when Roster serves HTTPS itself.
_proxy_header = env(
    "DJANGO_SECURE_PROXY_SSL_HEADER",
    default="HTTP_X_FORWARDED_PROTO,https" if PRODUCTION else "",
)
if _proxy_header:
    _name, _sep, _value = _proxy_header.partition(",")
    if not _sep or not _name.strip() or not _value.strip():
        raise ImproperlyConfigured(
            "DJANGO_SECURE_PROXY_SSL_HEADER is 'HEADER,value', e.g. HTTP_X_FORWARDED_PROTO,https."
        )
    SECURE_PROXY_SSL_HEADER = (_name.strip(), _value.strip())
# Content-Security-Policy sent with every page (portal.security); empty turns
# it off. The admin's Alpine.js evaluates its expressions, so admin pages also
# allow 'unsafe-eval'; Redoc starts from an inline script and a blob: worker.
# Styles allow 'unsafe-inline' for the admin's style attributes.
ROSTER_CSP = env(
    "ROSTER_CSP",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
)
ROSTER_CSP_EXTRA_SCRIPT_SOURCES = {
    "/admin/": "'unsafe-eval'",
    "/api/redoc/": "'unsafe-inline' blob:",
}
ROSTER_CSP_REPORT_ONLY = env.bool("ROSTER_CSP_REPORT_ONLY", default=False)

# --- API --------------------------------------------------------------------
# See docs/api.md. Scripts use API tokens (Authorization: Bearer …); the
# browser uses its session, with CSRF checked on unsafe methods.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.IdCursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
}
# https://drf-spectacular.readthedocs.io/en/latest/settings.html; Swagger UI
# and Redoc are served from the sidecar package, so /api/docs/ works offline.
SPECTACULAR_SETTINGS = {
    "TITLE": "Roster API",
    "DESCRIPTION": "People, their lifecycle, imports, provisioning and the audit log.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PersonStatusEnum": "accounts.models.PersonStatus",
        "InvitationStatusEnum": "accounts.models.InvitationStatus",
        "ImportJobStatusEnum": "provisioning.imports.models.ImportJob.Status",
        "ScimRunStatusEnum": "provisioning.scim.models.ScimRun.Status",
        "SyncRunStatusEnum": "provisioning.idp.models.SyncRun.Status",
        "IdentitySourceStatusEnum": "provisioning.idp.models.IdentitySource.Status",
        "GroupKindEnum": "accounts.models.Group.Kind",
        "IdentitySourceKindEnum": "provisioning.idp.models.IdentitySource.Kind",
        "ScimRunKindEnum": "provisioning.scim.models.ScimRun.Kind",
    },
}
# Requests per API token, and per person signed in with a browser session
# ("n/min", "n/hour"; empty turns the limit off).
ROSTER_API_TOKEN_RATE_LIMIT = env("ROSTER_API_TOKEN_RATE_LIMIT", default="600/min")
ROSTER_API_SESSION_RATE_LIMIT = env("ROSTER_API_SESSION_RATE_LIMIT", default="1200/min")
ROSTER_API_MAX_BODY_BYTES = env.int("ROSTER_API_MAX_BODY_BYTES", default=1_048_576)

# --- ACCOUNTS ---------------------------------------------------------------
# Region used to read phone numbers written without a +country prefix.
ROSTER_PHONE_REGION = env("ROSTER_PHONE_REGION", default="GB")

# --- INVITATIONS ------------------------------------------------------------
# Where links in emails point: the address people reach this portal at.
ROSTER_BASE_URL = env("ROSTER_BASE_URL", default="http://localhost:8000")
# A claim link works for this many days after the latest email carrying it.
ROSTER_INVITE_EXPIRY_DAYS = env.int("ROSTER_INVITE_EXPIRY_DAYS", default=7)
# Days after the invitation on which unclaimed people are reminded ("" for none).
ROSTER_REMINDER_DAYS = env("ROSTER_REMINDER_DAYS", default="3,5")
# Rates in allauth's notation (amount/period/per, per being ip or key=email):
# https://docs.allauth.org/en/latest/account/rate_limits.html
ROSTER_NEW_LINK_RATE_LIMIT = env("ROSTER_NEW_LINK_RATE_LIMIT", default="10/h/ip,3/h/key")
ROSTER_CLAIM_RATE_LIMIT = env("ROSTER_CLAIM_RATE_LIMIT", default="60/m/ip")

# --- PROVISIONING: SECRETS ---------------------------------------------------
# Integration secrets (SCIM tokens, client secrets, identity-provider keys)
# are encrypted with a key derived from this, or from DJANGO_SECRET_KEY when
# unset. Set it so the secret key can be rotated without re-entering them.
ROSTER_ENCRYPTION_KEY = env("ROSTER_ENCRYPTION_KEY", default="")
if PRODUCTION and not ROSTER_ENCRYPTION_KEY:
    raise ImproperlyConfigured(
        "ROSTER_PROFILE=production needs ROSTER_ENCRYPTION_KEY: a long random string that "
        "encrypts stored integration secrets (without it they would depend on "
        "DJANGO_SECRET_KEY, and rotating that key would lose them)."
    )

# --- PROVISIONING: SCIM PUSH -------------------------------------------------
# How long a worker holds the people it is pushing before another may take
# them over (a dead worker's batch waits this long). See docs/scim-outbound.md.
SCIM_LEASE_SECONDS = env.int("SCIM_LEASE_SECONDS", default=60)
# Push tasks a full sync starts, so that several workers share it.
SCIM_PUSH_FANOUT = env.int("SCIM_PUSH_FANOUT", default=4)
# The most group members per PATCH a SCIM target gets when its "Members per
# request" is automatic (docs/scim-outbound.md, Groups).
ROSTER_SCIM_GROUP_BATCH = env.int("ROSTER_SCIM_GROUP_BATCH", default=1000)

# --- PROVISIONING: SCIM SERVER -----------------------------------------------
# Identity providers call /scim/v2/ with a token from a SCIM client.
# See docs/scim-server.md. DELETE deactivates ("deactivate") or deletes
# people who never claimed their account ("delete").
ROSTER_SCIM_DELETE_MODE = env("ROSTER_SCIM_DELETE_MODE", default="deactivate")
# Requests per SCIM client per window (n/s, n/m, n/h); empty turns it off.
ROSTER_SCIM_RATE_LIMIT = env("ROSTER_SCIM_RATE_LIMIT", default="600/m")
ROSTER_SCIM_MAX_BODY_BYTES = env.int("ROSTER_SCIM_MAX_BODY_BYTES", default=1_048_576)

# --- PROVISIONING: SPREADSHEET IMPORTS ---------------------------------------
# Uploaded files live under MEDIA_ROOT/imports/ (never served by a URL) until
# applied, or this many hours at most; previews not applied by then expire.
ROSTER_IMPORT_RETENTION_HOURS = env.int("ROSTER_IMPORT_RETENTION_HOURS", default=24)
ROSTER_IMPORT_MAX_BYTES = env.int("ROSTER_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
ROSTER_IMPORT_MAX_ROWS = env.int("ROSTER_IMPORT_MAX_ROWS", default=200_000)
# Cells read from one file (empty ones included), whatever size it declares;
# and a file may use at most 500 columns.
ROSTER_IMPORT_MAX_CELLS = env.int("ROSTER_IMPORT_MAX_CELLS", default=5_000_000)
# Deactivating more than this share of spreadsheet people (or this many, the
# smaller) in one import needs a typed confirmation.
ROSTER_IMPORT_DEACTIVATION_PERCENT = env.int("ROSTER_IMPORT_DEACTIVATION_PERCENT", default=10)
ROSTER_IMPORT_DEACTIVATION_MAX = env.int("ROSTER_IMPORT_DEACTIVATION_MAX", default=50)

# --- ADMIN THEME ------------------------------------------------------------
# https://unfoldadmin.com/docs/configuration/settings/
UNFOLD = {
    "SITE_TITLE": "Roster",
    "SITE_HEADER": "Roster",
    "SITE_SYMBOL": "badge",
    "SHOW_HISTORY": False,
    "DASHBOARD_CALLBACK": "portal.dashboard.dashboard_callback",
    # Roster's additions to the theme: tap targets, focus, narrow screens.
    "STYLES": [lambda request: static("css/admin.css")],
    # The side menu by task (portal/navigation.py), and the header's search:
    # people by name, email or external ID, and the pages of the menu.
    "SIDEBAR": {
        "show_search": False,
        "command_search": True,
        "show_all_applications": False,
        "navigation": "portal.navigation.sidebar",
    },
    "COMMAND": {
        "search_models": False,
        "search_callback": "portal.search.search",
    },
    # The user menu's links: the person's own sign-in settings (allauth).
    "ACCOUNT": {
        "navigation": [
            {"title": "Change password", "link": reverse_lazy("account_change_password")},
            {"title": "Two-factor authentication", "link": reverse_lazy("mfa_index")},
        ],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
