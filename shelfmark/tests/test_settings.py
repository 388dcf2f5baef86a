"""shelfmark/settings.py: how the environment shapes the configuration.

Settings are read once per process, so each case starts a fresh Python in a subprocess with a
controlled environment: every variable the settings read is removed from the inherited one.
settings.py also reads a ``.env`` file, without overriding what is already set; the variables
whose empty value means "not set" (a DATABASE_URL, say) are therefore passed empty, which keeps
a developer's ``.env`` out of these tests.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from shelfmark.tests.config_sources import settings_variables

REPO_ROOT = Path(django_settings.BASE_DIR)

# Every variable shelfmark/settings.py reads (parsed from it, so none is forgotten here).
SETTINGS_VARIABLES = settings_variables()
# Empty is the same as unset for these, in both modes (an empty int or bool would not parse).
EMPTY_MEANS_UNSET = (
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DATABASE_PASSWORD",
    "DATABASE_PASSWORD_FILE",
    "REDIS_URL",
    "SECRET_KEY_FILE",
)

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST"),
    "PORT": db.get("PORT"),
    "USER": db.get("USER"),
    "PASSWORD": db.get("PASSWORD"),
    "CONN_MAX_AGE": db.get("CONN_MAX_AGE"),
    "CONN_HEALTH_CHECKS": db.get("CONN_HEALTH_CHECKS"),
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "STATICFILES": settings.STORAGES["staticfiles"]["BACKEND"],
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_PROXY_SSL_HEADER": settings.SECURE_PROXY_SSL_HEADER,
    "AXES_FAILURE_LIMIT": settings.AXES_FAILURE_LIMIT,
    "AXES_COOLOFF_SECONDS": settings.AXES_COOLOFF_TIME.total_seconds(),
    "AXES_HANDLER": settings.AXES_HANDLER,
    "SILENCED_SYSTEM_CHECKS": settings.SILENCED_SYSTEM_CHECKS,
    "PASSWORD_RESET_LIMIT_PER_EMAIL": settings.PASSWORD_RESET_LIMIT_PER_EMAIL,
    "PASSWORD_RESET_LIMIT_PER_IP": settings.PASSWORD_RESET_LIMIT_PER_IP,
}))
"""


@pytest.fixture
def secret_key() -> str:
    return secrets.token_urlsafe(50)[:50]


@pytest.fixture
def run(tmp_path):
    """Run Python (code, or manage.py arguments) in a fresh process; returns the result."""

    def run(*args: str, env: dict[str, str | None] | None = None) -> subprocess.CompletedProcess:
        # The usual umask, whatever the test runner's: file modes below are then meaningful.
        environment: dict[str, str | None] = {
            key: value
            for key, value in os.environ.items()
            if key not in SETTINGS_VARIABLES and not key.startswith("DJANGO_")
        }
        environment |= dict.fromkeys(EMPTY_MEANS_UNSET, "")
        environment |= {
            "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
            "SHELFMARK_DATA_DIR": str(tmp_path / "data"),
        }
        environment |= env or {}
        # Truly absent, not empty, where a case asks for that with None.
        present = {key: value for key, value in environment.items() if value is not None}
        return subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
            [sys.executable, *args],
            cwd=REPO_ROOT,
            env=present,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            umask=0o022,
        )

    return run


def settings_in(run, **env: str | None) -> dict:
    result = run("-c", PRINT_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# Local mode is asked for; unset DEBUG is production mode.
LOCAL = {"DEBUG": "true"}

# --- production mode -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"SECRET_KEY": "", "ALLOWED_HOSTS": ""}, "SECRET_KEY and ALLOWED_HOSTS are not set"),
        ({"SECRET_KEY": None, "ALLOWED_HOSTS": None}, "SECRET_KEY and ALLOWED_HOSTS are not set"),
        ({"SECRET_KEY": "", "ALLOWED_HOSTS": "library.example.org"}, "SECRET_KEY is not set"),
        ({"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is not set"),
    ],
    ids=["both-empty", "both-absent", "no-secret-key", "no-allowed-hosts"],
)
def test_production_refuses_to_start_without_a_secret_key_and_hosts(run, env, missing):
    result = run("-c", "import django; django.setup()", env={"DEBUG": "false", **env})

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert f"DEBUG is off (production mode) but {missing}." in result.stderr
    # The message says what to do next.
    assert "secrets.token_urlsafe(50)" in result.stderr
    assert "ALLOWED_HOSTS=library.example.org" in result.stderr


@pytest.mark.parametrize("debug", [None, "", "false", "0"], ids=["unset", "empty", "false", "0"])
def test_without_debug_true_shelfmark_is_in_production_mode(run, debug):
    # A deployment that forgets DEBUG must not run with debug pages and the public development
    # key: it refuses to start until it has a key and hosts, and says how to ask for local mode.
    result = run("-c", "import django; django.setup()", env={"DEBUG": debug})

    assert result.returncode != 0
    assert "DEBUG is off (production mode) but SECRET_KEY and ALLOWED_HOSTS" in result.stderr
    assert "use ./scripts/serve, or set DEBUG=true" in result.stderr


def test_production_starts_with_a_secret_key_and_hosts(run, secret_key):
    values = settings_in(
        run, DEBUG="false", SECRET_KEY=secret_key, ALLOWED_HOSTS="library.example.org,lib.example"
    )

    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == secret_key
    assert values["ALLOWED_HOSTS"] == ["library.example.org", "lib.example"]
    # Production defaults: HTTPS everywhere, hashed and compressed static files.
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000
    assert values["STATICFILES"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_production_passes_the_deployment_checks(run, secret_key):
    result = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={"DEBUG": "false", "SECRET_KEY": secret_key, "ALLOWED_HOSTS": "library.example.org"},
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_the_deployment_checks_do_fail_on_a_weakened_production_setup(run, secret_key):
    # The check above can fail: plain http in production is reported.
    result = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "false",
            "SECRET_KEY": secret_key,
            "ALLOWED_HOSTS": "library.example.org",
            "SECURE_HTTPS": "false",
        },
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT
    assert "security.W004" in result.stderr  # HSTS


def test_behind_a_tls_proxy_the_forwarded_proto_header_is_trusted_only_when_asked(run, secret_key):
    production = {"DEBUG": "false", "SECRET_KEY": secret_key, "ALLOWED_HOSTS": "x.example"}

    trusted = settings_in(run, **production, TRUST_X_FORWARDED_PROTO="true")

    assert trusted["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


# --- local mode ----------------------------------------------------------------------------------


def test_debug_true_is_local_mode(run, tmp_path):
    values = settings_in(run, **LOCAL)

    assert values["DEBUG"] is True
    assert values["SECRET_KEY"].startswith("django-insecure-")
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["STATICFILES"] == "django.contrib.staticfiles.storage.StaticFilesStorage"
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(tmp_path / "data" / "shelfmark.sqlite3")


def test_the_default_sqlite_database_uses_wal_in_the_data_folder(run, tmp_path):
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode')\n"
        "    print(cursor.fetchone()[0])\n"
        "    cursor.execute('PRAGMA synchronous')\n"
        "    print(cursor.fetchone()[0])\n"
    )

    result = run("-c", script, env={**LOCAL, "DATABASE_URL": None})

    assert result.returncode == 0, result.stderr
    journal_mode, synchronous = result.stdout.split()
    assert journal_mode == "wal"
    assert synchronous == "1"  # NORMAL
    assert (tmp_path / "data" / "shelfmark.sqlite3").is_file()


def test_the_data_folder_and_what_it_holds_are_private(run, tmp_path):
    # The quick start's SQLite database and the generated admin password: only the user running
    # Shelfmark may read them, even with the usual umask (022, world-readable by default).
    data = tmp_path / "data"

    result = run("manage.py", "migrate", "--noinput", env=LOCAL)
    assert result.returncode == 0, result.stderr
    result = run("manage.py", "ensure_admin", env=LOCAL)
    assert result.returncode == 0, result.stderr

    def mode(path):
        return oct(path.stat().st_mode & 0o777)

    assert mode(data) == oct(0o700)
    assert mode(data / "shelfmark.sqlite3") == oct(0o600)
    assert mode(data / "admin-password.txt") == oct(0o600)
    for journal in data.glob("shelfmark.sqlite3-*"):  # -wal, -shm while a connection is open
        assert mode(journal) == oct(0o600), journal


# --- database and cache from the environment -----------------------------------------------------


def test_database_url_switches_to_postgresql(run, tmp_path):
    values = settings_in(run, **LOCAL, DATABASE_URL="postgres://shelf:pw@db.internal:6543/catalog")

    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["NAME"] == "catalog"
    assert values["HOST"] == "db.internal"
    assert values["PORT"] == 6543
    assert values["CONN_MAX_AGE"] == 60
    assert values["CONN_HEALTH_CHECKS"] is True
    # No SQLite file is made when another database is configured.
    assert not (tmp_path / "data").exists()


def test_conn_max_age_is_configurable(run):
    values = settings_in(run, **LOCAL, DATABASE_URL="postgres://db/catalog", CONN_MAX_AGE="0")

    assert values["CONN_MAX_AGE"] == 0


def test_redis_url_gives_a_shared_cache(run):
    values = settings_in(run, **LOCAL, REDIS_URL="redis://cache.internal:6379/0")

    assert values["CACHE"] == "django.core.cache.backends.redis.RedisCache"


# --- sign-in throttling ---------------------------------------------------------------------------


def test_sign_in_throttling_defaults_to_ten_failures_and_fifteen_minutes(run):
    values = settings_in(run, **LOCAL)

    assert values["AXES_FAILURE_LIMIT"] == 10
    assert values["AXES_COOLOFF_SECONDS"] == 15 * 60


def test_sign_in_failures_are_counted_in_the_database_without_a_shared_cache(run):
    # Not in an in-process cache, which each worker process would count in on its own.
    without_redis = settings_in(run, **LOCAL, REDIS_URL="")
    with_redis = settings_in(run, **LOCAL, REDIS_URL="redis://cache.internal:6379/0")

    assert without_redis["AXES_HANDLER"] == "shelfmark.logins.DatabaseLoginCounts"
    assert with_redis["AXES_HANDLER"] == "axes.handlers.cache.AxesCacheHandler"
    assert with_redis["CACHE"] == "django.core.cache.backends.redis.RedisCache"


def test_password_reset_limits_default_to_three_per_email_and_ten_per_address(run):
    values = settings_in(run, **LOCAL)
    changed = settings_in(
        run, **LOCAL, PASSWORD_RESET_LIMIT_PER_EMAIL="1", PASSWORD_RESET_LIMIT_PER_IP="50"
    )

    assert (values["PASSWORD_RESET_LIMIT_PER_EMAIL"], values["PASSWORD_RESET_LIMIT_PER_IP"]) == (
        3,
        10,
    )
    assert (changed["PASSWORD_RESET_LIMIT_PER_EMAIL"], changed["PASSWORD_RESET_LIMIT_PER_IP"]) == (
        1,
        50,
    )


@pytest.mark.parametrize(
    "env",
    [{"PASSWORD_RESET_LIMIT_PER_EMAIL": "0"}, {"PASSWORD_RESET_LIMIT_PER_IP": "0"}],
    ids=["per-email", "per-ip"],
)
def test_password_reset_limits_cannot_be_switched_off_by_a_zero(run, env):
    result = run("-c", "import django; django.setup()", env={**LOCAL, **env})

    assert result.returncode != 0
    assert "PASSWORD_RESET_LIMIT_PER_EMAIL and PASSWORD_RESET_LIMIT_PER_IP must be" in result.stderr


def test_sign_in_throttling_is_configurable(run):
    values = settings_in(run, **LOCAL, LOGIN_FAILURE_LIMIT="3", LOGIN_COOLOFF_MINUTES="60")

    assert values["AXES_FAILURE_LIMIT"] == 3
    assert values["AXES_COOLOFF_SECONDS"] == 3600


@pytest.mark.parametrize(
    "env", [{"LOGIN_FAILURE_LIMIT": "0"}, {"LOGIN_COOLOFF_MINUTES": "0"}], ids=["limit", "cool-off"]
)
def test_sign_in_throttling_cannot_be_switched_off_by_a_zero(run, env):
    result = run("-c", "import django; django.setup()", env={**LOCAL, **env})

    assert result.returncode != 0
    assert "LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be whole numbers" in result.stderr


def test_notices_default_to_two_days_and_three_weekly_reminders_and_are_configurable(run):
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.NOTICE_DUE_SOON_DAYS, s.NOTICE_OVERDUE_REMINDERS, s.NOTICE_OVERDUE_INTERVAL_DAYS, "
        "s.TASKS['default']['BACKEND'])"
    )

    assert run("-c", show, env=LOCAL).stdout.split() == [
        "2",
        "3",
        "7",
        "django_tasks_db.DatabaseBackend",
    ]
    changed = {
        "NOTICE_DUE_SOON_DAYS": "0",
        "NOTICE_OVERDUE_REMINDERS": "1",
        "NOTICE_OVERDUE_INTERVAL_DAYS": "14",
    }
    assert run("-c", show, env={**LOCAL, **changed}).stdout.split()[:3] == ["0", "1", "14"]


@pytest.mark.parametrize(
    "env",
    [
        {"NOTICE_DUE_SOON_DAYS": "-1"},
        {"NOTICE_OVERDUE_REMINDERS": "4"},
        {"NOTICE_OVERDUE_INTERVAL_DAYS": "0"},
    ],
    ids=["negative-days", "four-reminders", "no-interval"],
)
def test_notice_settings_out_of_range_stop_the_start(run, env):
    result = run("-c", "import django; django.setup()", env={**LOCAL, **env})

    assert result.returncode != 0
    assert "NOTICE_DUE_SOON_DAYS must be 0 to 60, NOTICE_OVERDUE_REMINDERS 0 to 3" in result.stderr


def test_no_warning_about_per_process_sign_in_counts_is_silenced(run):
    # axes.W001 warns of counts in an in-process cache; without REDIS_URL they are in the
    # database now, so nothing needs silencing.
    assert "axes.W001" not in settings_in(run, **LOCAL)["SILENCED_SYSTEM_CHECKS"]


# --- secrets from files (SECRET_KEY_FILE, DATABASE_PASSWORD_FILE) ---------------------------------
# The official images' *_FILE convention: Docker secrets, and the key and password the containers
# generate, so that `docker compose exec web python manage.py …` finds them with no wrapper.

PRODUCTION = {"DEBUG": "false", "ALLOWED_HOSTS": "library.example.org"}
POSTGRES_WITHOUT_PASSWORD = "postgres://shelf@db.internal:5432/catalog"


def test_secret_key_file_gives_the_key_when_secret_key_is_unset(run, tmp_path, secret_key):
    key_file = tmp_path / "secret-key"
    key_file.write_text(secret_key + "\n")  # as docker/common.sh writes it

    values = settings_in(run, **PRODUCTION, SECRET_KEY="", SECRET_KEY_FILE=str(key_file))

    assert values["SECRET_KEY"] == secret_key


def test_secret_key_file_applies_in_local_mode_too(run, tmp_path, secret_key):
    key_file = tmp_path / "secret-key"
    key_file.write_text(secret_key)

    values = settings_in(run, **LOCAL, SECRET_KEY="", SECRET_KEY_FILE=str(key_file))

    assert values["DEBUG"] is True
    assert values["SECRET_KEY"] == secret_key


def test_secret_key_wins_over_secret_key_file_which_is_then_not_read(run, tmp_path, secret_key):
    missing = tmp_path / "no-such-file"

    values = settings_in(run, **PRODUCTION, SECRET_KEY=secret_key, SECRET_KEY_FILE=str(missing))

    assert values["SECRET_KEY"] == secret_key


def test_database_password_file_gives_the_password_when_the_url_has_none(run, tmp_path):
    password_file = tmp_path / "db-password"
    password_file.write_text("0f3a9c1e5b7d\n")  # as docker/db-entrypoint writes it

    values = settings_in(
        run,
        **LOCAL,
        DATABASE_URL=POSTGRES_WITHOUT_PASSWORD,
        DATABASE_PASSWORD_FILE=str(password_file),
    )

    assert values["PASSWORD"] == "0f3a9c1e5b7d"
    assert (values["USER"], values["HOST"], values["NAME"]) == ("shelf", "db.internal", "catalog")


def test_database_password_is_taken_as_it_is_and_wins_over_the_file(run, tmp_path):
    # What compose.yaml does with POSTGRES_PASSWORD from .env: URL-special characters need no
    # percent-encoding, and the generated file (absent then) is not read.
    password = "own/pw:with@odd%chars+#"

    values = settings_in(
        run,
        **LOCAL,
        DATABASE_URL=POSTGRES_WITHOUT_PASSWORD,
        DATABASE_PASSWORD=password,
        DATABASE_PASSWORD_FILE=str(tmp_path / "no-such-file"),
    )

    assert values["PASSWORD"] == password


def test_a_password_in_database_url_wins_over_both(run, tmp_path):
    password_file = tmp_path / "db-password"
    password_file.write_text("from-the-file")

    values = settings_in(
        run,
        **LOCAL,
        DATABASE_URL="postgres://shelf:from-the-url@db.internal:5432/catalog",
        DATABASE_PASSWORD="from-the-variable",
        DATABASE_PASSWORD_FILE=str(password_file),
    )

    assert values["PASSWORD"] == "from-the-url"


@pytest.fixture(params=["SECRET_KEY_FILE", "DATABASE_PASSWORD_FILE"])
def file_variable(request) -> tuple[str, dict[str, str | None]]:
    """A *_FILE variable, and the environment in which settings.py has to read its file."""
    if request.param == "SECRET_KEY_FILE":
        return request.param, {**PRODUCTION, "SECRET_KEY": ""}
    return request.param, {
        **LOCAL,
        "DATABASE_URL": POSTGRES_WITHOUT_PASSWORD,
        "DATABASE_PASSWORD": "",
    }


@pytest.mark.parametrize(
    ("make", "complaint"),
    [
        (lambda path: None, "which does not exist"),
        (lambda path: path.write_text(""), "which is empty"),
        (lambda path: path.write_text("\n\n"), "which is empty"),
        (lambda path: path.mkdir(), "which cannot be read (Is a directory)"),
        (lambda path: path.write_bytes(b"\xff\xfe\xfa"), "which cannot be read"),
    ],
    ids=["missing", "empty", "blank-lines", "a-directory", "not-utf8"],
)
def test_a_named_file_that_cannot_give_a_secret_stops_the_start(
    run, tmp_path, file_variable, make, complaint
):
    variable, env = file_variable
    path = tmp_path / "secret"
    make(path)

    result = run("-c", "import django; django.setup()", env={**env, variable: str(path)})

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured" in result.stderr
    assert f"{variable} names {path}, {complaint}" in result.stderr
    # The next step: fix the path, or give the secret directly.
    plain = variable.removesuffix("_FILE")
    assert f"Fix the path, or set {plain}" in result.stderr


# --- modules the settings name -------------------------------------------------------------------


@pytest.mark.parametrize(
    "module",
    [
        "shelfmark.views",  # CSRF_FAILURE_VIEW; its check imports it first in manage.py commands
        "shelfmark.api.exceptions",
        "shelfmark.api.parsers",
        "shelfmark.api.renderers",
        "shelfmark.logins",
        "shelfmark.urls",
    ],
)
def test_each_module_the_settings_name_imports_first(run, module):
    # Django and DRF import these by name, in an order that depends on the command: each must
    # import before any other (a circular import broke `manage.py ensure_admin` in the image
    # once, through the CSRF view check, and nowhere else).
    result = run("-c", f"import django; django.setup(); import {module}", env=LOCAL)

    assert result.returncode == 0, result.stderr


def test_manage_py_output_is_not_mixed_with_start_up_log_lines(run):
    # Scripts read what commands print (docker-smoke does, with stderr); django-axes logs a
    # banner at INFO when each process starts.
    result = run("manage.py", "check", env=LOCAL)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# --- the library's name and logo -----------------------------------------------------------------

SHOW_LIBRARY = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(repr((s.LIBRARY_NAME, s.LIBRARY_LOGO, s.DEFAULT_FROM_EMAIL)))"
)


def test_the_library_is_shelfmark_unless_named_and_names_the_sender(run):
    assert run("-c", SHOW_LIBRARY, env=LOCAL).stdout.strip() == repr(
        ("Shelfmark", "", "Shelfmark <library@localhost>")
    )
    named = run("-c", SHOW_LIBRARY, env={**LOCAL, "LIBRARY_NAME": "  St. Anne's   Library "})
    # Spaces squashed; the display name quoted, as an email header needs for the full stop.
    assert named.stdout.strip() == repr(
        ("St. Anne's Library", "", '"St. Anne\'s Library" <library@localhost>')
    )


def test_default_from_email_given_explicitly_wins_over_the_library_name(run):
    env = {**LOCAL, "LIBRARY_NAME": "Riverside", "DEFAULT_FROM_EMAIL": "Desk <desk@example.org>"}

    assert run("-c", SHOW_LIBRARY, env=env).stdout.strip() == repr(
        ("Riverside", "", "Desk <desk@example.org>")
    )


@pytest.mark.parametrize("logo", ["/etc/passwd.png", "../secret.png", "logo.exe", "logo"])
def test_a_logo_outside_media_root_or_not_an_image_stops_the_start(run, logo):
    result = run("-c", SHOW_LIBRARY, env={**LOCAL, "LIBRARY_LOGO": logo})

    assert result.returncode != 0
    assert f"LIBRARY_LOGO={logo!r}: name an image file inside MEDIA_ROOT" in result.stderr


def test_a_logo_in_media_root_is_accepted(run):
    result = run("-c", SHOW_LIBRARY, env={**LOCAL, "LIBRARY_LOGO": "brand/Logo.SVG"})

    assert result.returncode == 0, result.stderr
    assert "'brand/Logo.SVG'" in result.stdout


def test_the_librarys_language_is_english_unless_set_to_one_the_site_has(run):
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.LANGUAGE_CODE)"
    )

    assert run("-c", show, env=LOCAL).stdout.split() == ["en"]
    assert run("-c", show, env={**LOCAL, "LANGUAGE_CODE": "de"}).stdout.split() == ["de"]
    result = run("-c", show, env={**LOCAL, "LANGUAGE_CODE": "fr"})
    assert result.returncode != 0
    assert "LANGUAGE_CODE must be one of the site's languages: en, de." in result.stderr
