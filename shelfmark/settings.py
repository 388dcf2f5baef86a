"""Shelfmark settings.

Everything comes from the environment through one ``env`` object (a ``.env`` file beside
manage.py is read too); ``.env.example`` documents every variable. Unless ``DEBUG=true`` asks for
local mode (./scripts/serve and the tests do), Shelfmark is in production mode and refuses to
start without ``SECRET_KEY`` and ``ALLOWED_HOSTS``. Either way, without ``DATABASE_URL`` it uses
SQLite in ./data.
"""

import contextlib
import re
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from shelfmark.logs import logging_config
from shelfmark.sentry import start_sentry

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless asked for: a deployment that forgets the variable must not run with debug pages and
# the public development key.
DEBUG = env.bool("DEBUG", default=False)

# --- Secrets and hosts -------------------------------------------------------------------------


def read_secret_file(variable: str, path: str, instead: str) -> str:
    """The secret in the file that ``variable`` names (a Docker secret, or a key or password that
    the containers generate): the official images' ``*_FILE`` convention. Trailing newlines are
    dropped, as the shell's $(cat file) does."""
    hint = f"Fix the path, or set {instead} instead."
    try:
        value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"{variable} names {path}, which does not exist. {hint}"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ImproperlyConfigured(
            f"{variable} names {path}, which cannot be read ({reason}). Check that the user "
            f"running Shelfmark may read it. {hint}"
        ) from None
    if not value.strip():
        raise ImproperlyConfigured(f"{variable} names {path}, which is empty. {hint}")
    return value


# SECRET_KEY, else the file SECRET_KEY_FILE names (compose.yaml points it at the key the web
# container generates in its state volume, so `docker compose exec web python manage.py` finds
# it too).
SECRET_KEY = env.str("SECRET_KEY", default="")
secret_key_file = env.str("SECRET_KEY_FILE", default="")
if not SECRET_KEY and secret_key_file:
    SECRET_KEY = read_secret_file("SECRET_KEY_FILE", secret_key_file, instead="SECRET_KEY")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "django-insecure-local-only-never-use-in-production"
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    # Production: no defaults, so a forgotten variable stops the start instead of running
    # with a publicly known key or answering any Host header.
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not globals()[name]]
    if missing:
        raise ImproperlyConfigured(
            f"DEBUG is off (production mode) but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set. Set them in the environment or in "
            ".env (see .env.example), e.g. SECRET_KEY=$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))') ALLOWED_HOSTS=library.example.org "
            "(or SECRET_KEY_FILE=/path/to/a/file/holding/the/key). For local development on "
            "your own machine, use ./scripts/serve, or set DEBUG=true."
        )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "shelfmark",
    # Below the apps: the schedule of periodic work and the Idempotency-Key table, for every app.
    "core",
    "catalog",
    "circulation",
    "accounts",
    "interchange",
    "labels",
    "stocktake",
    "reports",
    "protocols",
]

MIDDLEWARE = [
    # First: its request id and timing cover everything below, and every answer carries the id.
    "shelfmark.observability.RequestObservation",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that can answer with an error page (a disallowed Host, CSRF), so every
    # page has the header; after WhiteNoise, which serves static files, which need none.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The visitor's language: the switcher's cookie, then Accept-Language, then LANGUAGE_CODE.
    # After the session (Django's order) and before CommonMiddleware.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A query string with NUL or another control character is a 400 before any view, filter or
    # admin changelist passes it to the database (which refuses NUL: a 500); after the
    # middleware the 400 page's layout needs (the signed-in user, messages).
    "shelfmark.middleware.ControlCharacterGuard",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shelfmark.urls"
WSGI_APPLICATION = "shelfmark.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shelfmark.library.context",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
# Local data (SQLite database) lives here; the folder is ignored by git.
DATA_DIR = Path(env.str("SHELFMARK_DATA_DIR", default="") or BASE_DIR / "data")

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    # A password kept out of the URL needs no percent-encoding and can be a file (a Docker
    # secret; compose.yaml points at the one the db service generates). The URL's own wins.
    if not DATABASES["default"].get("PASSWORD"):
        DATABASES["default"]["PASSWORD"] = env.str("DATABASE_PASSWORD", default="")
    database_password_file = env.str("DATABASE_PASSWORD_FILE", default="")
    if not DATABASES["default"]["PASSWORD"] and database_password_file:
        DATABASES["default"]["PASSWORD"] = read_secret_file(
            "DATABASE_PASSWORD_FILE",
            database_password_file,
            instead="DATABASE_PASSWORD (or a password in DATABASE_URL)",
        )
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # A database host that drops packets instead of refusing them would otherwise hold a
        # worker until gunicorn stops it (libpq waits forever): give up after 5 s and answer 503
        # (shelfmark/outages.py). ?connect_timeout=N in DATABASE_URL wins.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
else:
    # The database and the saved admin password are for this user's eyes only: the folder is
    # 0700, and so is the quick start's own ./data when an older version made it world-readable
    # (a folder named by SHELFMARK_DATA_DIR is left as its owner set it). SQLite gives its -wal
    # and -shm files the mode of the database file, made 0600 here.
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    if DATA_DIR == BASE_DIR / "data" and DATA_DIR.stat().st_mode & 0o077:
        with contextlib.suppress(PermissionError):  # not ours: its owner decides
            DATA_DIR.chmod(0o700)
    SQLITE_PATH = DATA_DIR / "shelfmark.sqlite3"
    SQLITE_PATH.touch(mode=0o600, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # WAL lets readers work while a write is in progress; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue (busy timeout) instead of failing mid-way.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -------------------------------------------------------------------------------------
# REDIS_URL gives every web container one shared cache (and so shared rate-limit counters).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth --------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The site's own sign-in page, for patrons and staff alike (circulation/views/account.py); the
# admin keeps its own, and so does the browsable API.
LOGIN_URL = "sign-in"
# Where /api-auth/login/ sends a browser that came with no ?next= (Django's default,
# /accounts/profile/, does not exist here).
LOGIN_REDIRECT_URL = "api-root"

# Sign-in throttling (django-axes; the project's pieces are in shelfmark/logins.py). Failed
# sign-ins are counted per username and per client address (the API rate limits' rule,
# NUM_PROXIES), shared by every worker and container (below). LOGIN_FAILURE_LIMIT failures lock
# the username or address for LOGIN_COOLOFF_MINUTES after the last failure: 429 with
# Retry-After, and a log line.
AUTHENTICATION_BACKENDS = [
    # Refuses a locked sign-in before any password check.
    "shelfmark.logins.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Where the counts live: with REDIS_URL, the shared cache; without it, the database (axes'
# database handler, kept from growing under a flood by shelfmark.logins), whose rows every
# worker process and container share. An in-process cache would count per worker: with 4
# workers a client got ~4 times the tries, and a locked account still signed in on the workers
# that had not counted to the limit.
AXES_HANDLER = (
    "axes.handlers.cache.AxesCacheHandler" if REDIS_URL else "shelfmark.logins.DatabaseLoginCounts"
)
# The database handler would also keep a row for every successful sign-in, forever: not needed.
AXES_DISABLE_ACCESS_LOG = True
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
if AXES_FAILURE_LIMIT < 1 or timedelta(minutes=1) > AXES_COOLOFF_TIME:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be whole numbers of at least 1 "
        "(defaults: 10 failed sign-ins, then 15 minutes)."
    )
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each counted on its own
AXES_CLIENT_IP_CALLABLE = "shelfmark.logins.client_address"
AXES_USERNAME_CALLABLE = "shelfmark.logins.username_key"
AXES_LOCKOUT_CALLABLE = "shelfmark.logins.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# axes' admin pages list database records, which the cache handler keeps none of; to lift a
# lockout: manage.py axes_reset_username user:<name>, or axes_reset_ip <address>.
AXES_ENABLE_ADMIN = False

# Password-reset emails ("Forgot your password?"): at most this many per email address and per
# client address in each clock hour (accounts.services.password_reset_allowed). Further requests
# get the same page but send nothing, so the page tells nobody which addresses have accounts.
# Counted in the database, which every worker and container shares.
PASSWORD_RESET_LIMIT_PER_EMAIL = env.int("PASSWORD_RESET_LIMIT_PER_EMAIL", default=3)
PASSWORD_RESET_LIMIT_PER_IP = env.int("PASSWORD_RESET_LIMIT_PER_IP", default=10)
if PASSWORD_RESET_LIMIT_PER_EMAIL < 1 or PASSWORD_RESET_LIMIT_PER_IP < 1:
    raise ImproperlyConfigured(
        "PASSWORD_RESET_LIMIT_PER_EMAIL and PASSWORD_RESET_LIMIT_PER_IP must be whole numbers of "
        "at least 1 (defaults: 3 and 10 emails an hour)."
    )

# --- The library -------------------------------------------------------------------------------
# The library's own name, shown in the site's header, page titles and footer, and in its emails
# (their text and, unless DEFAULT_FROM_EMAIL says otherwise, their sender's name).
LIBRARY_NAME = " ".join(env.str("LIBRARY_NAME", default="").split()) or "Shelfmark"
# Labels (labels/pdf.py) embed this TrueType font; blank: Bitstream Vera, which comes with
# reportlab and covers Western European scripts. DejaVu Sans covers Greek and Cyrillic too
# (Debian: fonts-dejavu-core, /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf).
LABEL_FONT_FILE = env.str("LABEL_FONT_FILE", default="")
# Optional: an image shown beside the name in the header. A file in MEDIA_ROOT, named by its path
# there (e.g. logo.png), served by the site itself at /library-logo (shelfmark/library.py), so the
# Content-Security-Policy's img-src 'self' holds and nothing needs rebuilding to change it.
LIBRARY_LOGO = env.str("LIBRARY_LOGO", default="").strip()
LIBRARY_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}
if LIBRARY_LOGO and (
    Path(LIBRARY_LOGO).is_absolute()
    or ".." in Path(LIBRARY_LOGO).parts
    or Path(LIBRARY_LOGO).suffix.lower() not in LIBRARY_LOGO_TYPES
):
    raise ImproperlyConfigured(
        f"LIBRARY_LOGO={LIBRARY_LOGO!r}: name an image file inside MEDIA_ROOT by its path there "
        f"(e.g. logo.png), ending in {', '.join(LIBRARY_LOGO_TYPES)}."
    )

# --- Email -------------------------------------------------------------------------------------
# Notices and password links. Default: printed on the console (the log), so nothing is sent by
# accident; e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.org:587 sends for real.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20  # seconds: a stuck mail server must not hang a worker
# Without DEFAULT_FROM_EMAIL, the library's name is the sender's (quoted as a header needs it).
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="") or str(
    Address(display_name=LIBRARY_NAME, addr_spec="library@localhost")
)
# The address people reach the site at, for links in emails (which have no request to ask).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Circulation -------------------------------------------------------------------------------
# Whether a patron may place a hold on a book that has a copy on the shelf (most libraries say
# no: take the copy). With true, the hold waits for the next copy checked in.
HOLDS_ALLOWED_WHEN_AVAILABLE = env.bool("HOLDS_ALLOWED_WHEN_AVAILABLE", default=False)
# Fines for overdue loans (circulation.services.fines): off by default, and with them off the
# library sees none of it. The amounts are set per patron category (and circulation rule);
# FINES_CURRENCY is how amounts are labelled (EUR, GBP, $…; blank: plain numbers).
FINES_ENABLED = env.bool("FINES_ENABLED", default=False)
FINES_CURRENCY = env.str("FINES_CURRENCY", default="")

# Notices (circulation.notices), emailed by the scheduled work below: a due-soon notice this many
# days before a loan is due (0: on the due date); up to NOTICE_OVERDUE_REMINDERS overdue reminders
# (0 sends none), the first the day after the due date, each next one this many days after the
# one before.
NOTICE_DUE_SOON_DAYS = env.int("NOTICE_DUE_SOON_DAYS", default=2)
NOTICE_OVERDUE_REMINDERS = env.int("NOTICE_OVERDUE_REMINDERS", default=3)
NOTICE_OVERDUE_INTERVAL_DAYS = env.int("NOTICE_OVERDUE_INTERVAL_DAYS", default=7)
if not (
    0 <= NOTICE_DUE_SOON_DAYS <= 60
    and 0 <= NOTICE_OVERDUE_REMINDERS <= 3
    and 1 <= NOTICE_OVERDUE_INTERVAL_DAYS <= 90
):
    raise ImproperlyConfigured(
        "NOTICE_DUE_SOON_DAYS must be 0 to 60, NOTICE_OVERDUE_REMINDERS 0 to 3 and "
        "NOTICE_OVERDUE_INTERVAL_DAYS 1 to 90 (defaults: 2, 3 and 7)."
    )
# A run claims each notice before emailing it; a notice still claimed ("sending") this many seconds
# later was left by a run that stopped (killed mid-send), and the next run sends it. Longer than
# one email can take: EMAIL_TIMEOUT bounds each wait on the mail server, and a send has several.
NOTICE_SEND_LEASE_SECONDS = env.int("NOTICE_SEND_LEASE_SECONDS", default=300)
if NOTICE_SEND_LEASE_SECONDS <= EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"NOTICE_SEND_LEASE_SECONDS must be longer than EMAIL_TIMEOUT ({EMAIL_TIMEOUT} s), and "
        "comfortably so: a run sending a notice for longer than this may find that another run "
        "sent it too (default: 300)."
    )

# --- Scheduled and background work -------------------------------------------------------------
# Django's Tasks API (the django-tasks backport until Django 6) with the database backend: tasks
# wait in a table of the database the site already has (SQLite or PostgreSQL), so no other
# server is needed. `manage.py run_schedule --worker` enqueues the periodic work each app puts on
# the schedule (core.schedule) and runs it; compose.yaml's worker service runs exactly that.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# --- Imports -----------------------------------------------------------------------------------
# The largest file the staff website's import page accepts, in megabytes (the command line,
# manage.py import_catalog, has no limit). Uploads go to a temporary file, not memory.
IMPORT_MAX_UPLOAD_MB = env.int("IMPORT_MAX_UPLOAD_MB", default=200)
if IMPORT_MAX_UPLOAD_MB < 1:
    raise ImproperlyConfigured(
        "IMPORT_MAX_UPLOAD_MB must be a whole number of at least 1 (default 200)."
    )

# --- Library protocols (protocols/) -----------------------------------------------------------
# OAI-PMH (/oai): the repository's name in its record identifiers, oai:<this>:<book id>. Set it
# once (a domain of the library's, say) and keep it: harvesters know the records by it.
OAI_REPOSITORY_ID = env.str("OAI_REPOSITORY_ID", default="shelfmark")
if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.\-]*", OAI_REPOSITORY_ID):
    raise ImproperlyConfigured(
        "OAI_REPOSITORY_ID must be letters, digits, dots and hyphens, e.g. library.example.org."
    )
# Who harvesters write to (OAI-PMH Identify's adminEmail); default: DEFAULT_FROM_EMAIL's address.
OAI_ADMIN_EMAIL = env.str("OAI_ADMIN_EMAIL", default="")

# SIP2 for self-check kiosks (manage.py sip2_server, protocols/sip2): a connection silent this
# many seconds is closed; at most this many at once; whether a patron's password (AD) must come
# with a patron who has a login (false: kiosks that send none are accepted, and a password that
# is sent is still checked); the institution the status answer names (default LIBRARY_NAME).
SIP2_IDLE_TIMEOUT = env.int("SIP2_IDLE_TIMEOUT", default=300)
SIP2_MAX_CONNECTIONS = env.int("SIP2_MAX_CONNECTIONS", default=100)
if SIP2_IDLE_TIMEOUT < 1 or SIP2_MAX_CONNECTIONS < 1:
    raise ImproperlyConfigured(
        "SIP2_IDLE_TIMEOUT and SIP2_MAX_CONNECTIONS must be whole numbers of at least 1 "
        "(defaults 300 and 100)."
    )
SIP2_PATRON_PASSWORD_REQUIRED = env.bool("SIP2_PATRON_PASSWORD_REQUIRED", default=True)
SIP2_INSTITUTION_ID = env.str("SIP2_INSTITUTION_ID", default="")

# --- Website -----------------------------------------------------------------------------------
# Templates that a book's page includes below its copies, in this order, with the page's
# context (``book``, ``request``…): how another app adds its part to the catalog's page without
# the catalog importing it (catalog/extensions.py). Circulation's shows the holds and the
# "Place hold" button.
CATALOG_BOOK_PAGE_INCLUDES = ["circulation/book_page/holds.html"]
# Facets of a search (catalog/facets.py) are counted exactly up to this many matching books;
# beyond it, over the first this many by id, and marked as estimated: bounded work per request.
CATALOG_FACETS_EXACT_LIMIT = 20_000

# --- ISBN lookup (Open Library) ---------------------------------------------------------------
# interchange/openlibrary/ asks Open Library for a book's metadata and cover. Open Library
# throttles clients that do not say who they are: the User-Agent names Shelfmark and a contact
# address (OPENLIBRARY_CONTACT_EMAIL, else DEFAULT_FROM_EMAIL's address). Every web and worker
# process together sends at most one request per OPENLIBRARY_MIN_INTERVAL seconds (a limiter
# in the shared cache with REDIS_URL, else in the database).
OPENLIBRARY_BASE_URL = env.str("OPENLIBRARY_BASE_URL", default="https://openlibrary.org").rstrip(
    "/"
)
OPENLIBRARY_COVERS_URL = "https://covers.openlibrary.org"  # where the Books API's covers live
OPENLIBRARY_CONTACT_EMAIL = env.str("OPENLIBRARY_CONTACT_EMAIL", default="")
OPENLIBRARY_USER_AGENT = env.str("OPENLIBRARY_USER_AGENT", default="")
# Seconds for one request (connect and read); a whole lookup, retries and waits for the rate
# limit included, gives up after OPENLIBRARY_TOTAL_SECONDS. Every deadline here is well under the
# web worker's 30 s timeout (docker/gunicorn.conf.py): a slow Open Library must not get a worker
# killed mid-request (a 500) when the page could have said "try again".
OPENLIBRARY_TIMEOUT = env.float("OPENLIBRARY_TIMEOUT", default=10.0)
OPENLIBRARY_TOTAL_SECONDS = 20.0
# The staff page "Add by ISBN" waits this long in all, then offers the form to fill in by hand:
# someone stands at the page with a book in hand (the worker and the API keep the longer one).
OPENLIBRARY_PAGE_SECONDS = 3.0
OPENLIBRARY_MIN_INTERVAL = 1.0  # seconds between two requests, across all processes
OPENLIBRARY_BACKOFF_SECONDS = 1.0  # first retry's wait; doubled for each next one
# A cover from Open Library: fetched while someone waits for the page that adds the book, and
# refused past these bytes or pixels (width x height, read from the image's header: a small
# file can declare an image that takes gigabytes to show).
OPENLIBRARY_COVER_SECONDS = 10.0
OPENLIBRARY_COVER_MAX_BYTES = 5 * 1024 * 1024
OPENLIBRARY_COVER_MAX_PIXELS = 40_000_000  # e.g. 5000 x 8000; Open Library's large are ~500 x 750
if not (0 < OPENLIBRARY_TIMEOUT <= 60):
    raise ImproperlyConfigured("OPENLIBRARY_TIMEOUT must be more than 0 and at most 60 seconds.")

# --- Copy cataloguing (protocols/copycat/) -----------------------------------------------------
# The catalogs the staff page "Copy cataloguing" searches, in order: presets by key ("loc",
# "dnb", "k10plus", "loc-z3950") or the library's own as objects (key, name, url, and optionally
# schema, version, indexes, protocol "sru" or "z3950"); protocols/copycat/targets.py describes
# them, and `manage.py check` (which runs before every start) reports a bad entry.
COPYCAT_TARGETS = env.json("COPYCAT_TARGETS", default=["loc", "dnb", "k10plus"])

# --- Internationalization ----------------------------------------------------------------------
# The languages the site is translated into: every page, email and PDF (each app's locale/
# folder; README "Languages" says how to add one). LANGUAGE_CODE is the library's own: what a
# visitor sees before choosing, and a patron's notices unless their record names another.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE must be one of the site's languages: {', '.join(dict(LANGUAGES))}."
    )
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# The site's short and long date formats in each language (shelfmark/formats/<language>/).
FORMAT_MODULE_PATH = ["shelfmark.formats"]

# --- Static files (served by WhiteNoise, also in production) -----------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or BASE_DIR / "staticfiles")
# Uploaded and fetched files: import files waiting for the worker, book covers. Every web and
# worker container must see the same folder (compose.yaml mounts one volume in both).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or DATA_DIR / "media")
MEDIA_URL = "media/"
STORAGES = {
    # FileSystemStorage whose saves are whole or not there (a full volume leaves no part).
    "default": {"BACKEND": "shelfmark.storage.MediaStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- HTTPS and security headers ----------------------------------------------------------------
# On by default in production. A local trial over plain http (docker compose on 127.0.0.1)
# sets SECURE_HTTPS=false; behind a TLS proxy set TRUST_X_FORWARDED_PROTO=true.
SECURE_HTTPS = env.bool("SECURE_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = SECURE_HTTPS
# Probes and Prometheus speak plain http inside the network, and so does the Z39.50 gateway in
# front of the SRU server (compose profile z3950): /sru is a public read of the catalog.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$", r"^sru$"]
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "shelfmark.views.csrf_failure"
# Content-Security-Policy (django-csp) on every response: scripts, styles, images, fonts and
# connections only from this site, and no inline script or style. The site's pages and the admin
# need nothing more; the API docs add the least they need, on their own views (shelfmark/urls.py);
# DRF's pages allow style attributes (shelfmark/api/renderers.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],  # as X_FRAME_OPTIONS, for browsers that know CSP only
    }
}
SILENCED_SYSTEM_CHECKS = [
    # W005/W021: subdomain HSTS and preload are a per-site decision (they affect every host
    # under the domain for a year); both are available through the environment.
    "security.W005",
    "security.W021",
]

# --- REST framework ----------------------------------------------------------------------------
API_MAX_PAGE_SIZE = 100
# The table of Idempotency-Key answers (shelfmark.idempotency): core's model, named here as
# AUTH_USER_MODEL names the user model, so the project's plumbing names no app in its code.
IDEMPOTENCY_KEY_MODEL = "core.IdempotencyKey"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every endpoint needs an account unless its view opts into anonymous
    # access (the catalog's reads do, with shelfmark.api.permissions.AnyoneReadsStaffWrites).
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "shelfmark.api.renderers.OrjsonRenderer",
        "shelfmark.api.renderers.BrowsableAPIRenderer",
    ],
    # JSON in, one documented request format; the browsable API's raw-data form sends JSON too.
    # The project's parser bounds the body's size and nesting depth (shelfmark/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["shelfmark.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "shelfmark.api.pagination.KeysetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "shelfmark.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "shelfmark.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_RATE_ANON", default="1200/min"),
        "user": env.str("API_RATE_USER", default="6000/min"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shelfmark API",
    # Each app describes its own sections, including who may use them (AppConfig.api_sections).
    "DESCRIPTION": (
        "The REST API of a small library's Shelfmark.\n\n"
        "Sign in with a browser session, or send an API token as `Authorization: Token <key>` "
        "(or `Bearer <key>`). Endpoints need an account unless their section says otherwise; "
        "each section says who may read and who may change what."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags operations by resource: books, authors, …
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CopyStatusEnum": "catalog.models.CopyStatus",
        "LoanTypeEnum": "catalog.models.LoanType",
        "StocktakeStatusEnum": "stocktake.models.StocktakeStatus",
        "FineKindEnum": "circulation.models.FineKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "shelfmark.api.schema.app_sections",
    ],
}

# --- Logging, metrics, error reports (shelfmark/logs.py, observability.py, metrics.py) -----------
# One line per request on shelfmark.requests, and every line with its request's id. Production
# writes JSON, one object a line, for log collectors; local mode plain text.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# /metrics (Prometheus) answers only a request with this bearer token; without it, 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Errors (unhandled exceptions, and logged errors) go to Sentry when this is set; no personal
# data is sent (no user names, addresses or cookies).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    start_sentry(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))
