"""The environment variables are named in several places; these tests keep them in agreement.

The places (read by shelfmark/tests/config_sources.py): what settings.py reads, the entries of
.env.example, README's Configuration table (settings) and Docker table (compose), what compose.yaml
passes to the web container or takes from .env, and what the Docker scripts read. The one list of
deliberate exceptions is ``EXCEPTIONS`` below; each entry says why.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from shelfmark.tests import config_sources as sources

# Kinds of exception.
PINNED_BY_IMAGE = "settings.py reads it, but compose.yaml does not pass it: the image's ENV sets it"
DOCKER_ONLY = (
    "not read by settings.py but by the Docker side (docker/ scripts or compose.yaml): documented "
    "in .env.example and README's Docker table, not in its Configuration table"
)
DOCKER_ONLY_EXTERNAL = DOCKER_ONLY + "; read by a tool (gunicorn, docker compose), not our code"
INTERNAL = "read by a Docker script, set by compose.yaml itself: not a user setting, not documented"


class Exception_(NamedTuple):
    kind: str
    reason: str


EXCEPTIONS: dict[str, Exception_] = {
    "DEBUG": Exception_(PINNED_BY_IMAGE, "the image always runs in production mode (false)"),
    "SHELFMARK_DATA_DIR": Exception_(PINNED_BY_IMAGE, "the state volume, /var/lib/shelfmark"),
    "STATIC_ROOT": Exception_(PINNED_BY_IMAGE, "where the image build collected the static files"),
    "MEDIA_ROOT": Exception_(
        PINNED_BY_IMAGE,
        "/var/lib/shelfmark/media, on the state volume that web and worker both mount",
    ),
    "POSTGRES_USER": Exception_(DOCKER_ONLY, "the db service's user; in web's DATABASE_URL"),
    "POSTGRES_DB": Exception_(DOCKER_ONLY, "the db service's database; in web's DATABASE_URL"),
    "POSTGRES_PASSWORD": Exception_(
        DOCKER_ONLY,
        "your own database password instead of the generated one: the db service's, "
        "and web's DATABASE_PASSWORD",
    ),
    "PORT": Exception_(DOCKER_ONLY, "the host port compose.yaml publishes (scripts/serve's too)"),
    "DB_WAIT_TIMEOUT": Exception_(DOCKER_ONLY, "docker/prestart.py: the wait for the database"),
    "MIGRATE_ON_START": Exception_(DOCKER_ONLY, "docker/prestart.py: migrate at start or not"),
    "WEB_CONCURRENCY": Exception_(DOCKER_ONLY, "docker/gunicorn.conf.py: the worker processes"),
    "GUNICORN_CMD_ARGS": Exception_(DOCKER_ONLY_EXTERNAL, "gunicorn reads it: any other option"),
    "COMPOSE_PROFILES": Exception_(
        DOCKER_ONLY_EXTERNAL, "docker compose reads it: `redis` starts the Redis service"
    ),
    "SIP2_PORT": Exception_(DOCKER_ONLY, "the host port compose.yaml publishes SIP2 on"),
    "SIP2_BIND": Exception_(DOCKER_ONLY, "the host address compose.yaml publishes SIP2 on"),
    "Z3950_PORT": Exception_(DOCKER_ONLY, "the host port compose.yaml publishes the gateway on"),
    "Z3950_BIND": Exception_(DOCKER_ONLY, "the host address compose.yaml publishes it on"),
    "SHELFMARK_SRU_HOST": Exception_(
        DOCKER_ONLY, "docker/z3950/gateway.py: the Host header of the gateway's SRU requests"
    ),
    "Z3950_DATABASES": Exception_(
        DOCKER_ONLY, "docker/z3950/gateway.py: the database names the gateway answers to"
    ),
    "SHELFMARK_SRU_URL": Exception_(
        INTERNAL, "compose.yaml points docker/z3950/gateway.py at the web service's /sru"
    ),
    "Z3950_LISTEN": Exception_(
        INTERNAL, "docker/z3950/gateway.py: where it listens; the image's default, the tests' port"
    ),
    "S2Z_CONFIG": Exception_(
        INTERNAL, "docker/z3950/gateway.py: where it writes the configuration (/tmp; the tests')"
    ),
    "PROMETHEUS_MULTIPROC_DIR": Exception_(
        INTERNAL, "docker/entrypoint sets it: every gunicorn worker's metrics, summed (metrics.py)"
    ),
    "POSTGRES_PASSWORD_FILE": Exception_(
        INTERNAL, "compose.yaml names the db-secret file for docker/db-entrypoint and the image"
    ),
}


def names_of(*kinds: str) -> set[str]:
    return {name for name, exception in EXCEPTIONS.items() if exception.kind in kinds}


def problem(names, what: str) -> str:
    return f"{what}: {', '.join(sorted(names))}"


SETTINGS = sources.settings_variables()
ENV_EXAMPLE = sources.env_example_variables()
README_CONFIGURATION = sources.readme_table_variables("## Configuration")
README_DOCKER = sources.readme_table_variables("### Configure")
WEB_ENVIRONMENT = sources.compose_web_environment()
COMPOSE_INTERPOLATED = sources.compose_interpolated_variables()
DOCKER_WEB = sources.docker_script_variables(db_service=False)
DOCKER_DB = sources.docker_script_variables(db_service=True)
SCRIPTS = sources.project_script_variables()


def test_every_source_is_read():
    # The checks below compare sets: an empty one (a parser that stopped matching) would make
    # them pass without checking anything.
    assert {"DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_PASSWORD_FILE"} <= SETTINGS
    assert {"DEBUG", "SECRET_KEY", "POSTGRES_PASSWORD", "WEB_CONCURRENCY"} <= ENV_EXAMPLE
    assert {"DEBUG", "DATABASE_URL", "TIME_ZONE", "LOG_LEVEL"} <= README_CONFIGURATION
    assert {"POSTGRES_PASSWORD", "SECRET_KEY", "MIGRATE_ON_START"} <= README_DOCKER
    assert {"DATABASE_URL", "DATABASE_PASSWORD_FILE", "SECRET_KEY"} <= set(WEB_ENVIRONMENT)
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "PORT"} <= COMPOSE_INTERPOLATED
    assert {"DB_WAIT_TIMEOUT", "WEB_CONCURRENCY", "SECRET_KEY_FILE"} <= DOCKER_WEB
    assert {"POSTGRES_PASSWORD_FILE"} <= DOCKER_DB
    assert {"SITE_URL", "PORT"} <= SCRIPTS


def test_settings_read_the_environment_only_through_env():
    text = sources.SETTINGS.read_text(encoding="utf-8")

    assert "os.environ" not in text
    assert "getenv" not in text


def test_every_settings_variable_is_documented_in_env_example():
    missing = SETTINGS - ENV_EXAMPLE

    assert not missing, problem(missing, "settings.py reads these; document them in .env.example")


def test_readme_configuration_table_lists_exactly_the_settings_variables():
    missing = SETTINGS - README_CONFIGURATION
    stale = README_CONFIGURATION - SETTINGS

    assert not missing, problem(missing, "add to README's Configuration table")
    assert not stale, problem(stale, "README's Configuration table names what settings.py ignores")


def test_env_example_documents_only_what_settings_or_docker_reads():
    docker_only = names_of(DOCKER_ONLY, DOCKER_ONLY_EXTERNAL)
    stale = ENV_EXAMPLE - SETTINGS - docker_only
    undocumented = docker_only - ENV_EXAMPLE

    assert not stale, problem(
        stale, "in .env.example but read by neither settings.py nor a listed Docker-only reader"
    )
    assert not undocumented, problem(undocumented, "Docker-only, but not in .env.example")


def test_docker_only_variables_are_in_readme_docker_table_and_really_read():
    docker_only = names_of(DOCKER_ONLY, DOCKER_ONLY_EXTERNAL)
    read_by_docker = DOCKER_WEB | DOCKER_DB | COMPOSE_INTERPOLATED

    assert not docker_only & SETTINGS, "settings.py reads these: not Docker-only"
    assert not docker_only & README_CONFIGURATION
    assert not docker_only - README_DOCKER, problem(
        docker_only - README_DOCKER, "add to README's Docker table"
    )
    not_read = names_of(DOCKER_ONLY) - read_by_docker
    assert not not_read, problem(not_read, "listed as Docker-only, but no Docker script reads it")


def test_readme_docker_table_lists_only_documented_variables():
    stale = README_DOCKER - ENV_EXAMPLE

    assert not stale, problem(stale, "in README's Docker table but not in .env.example")


def test_compose_passes_web_only_variables_that_something_reads():
    readers = SETTINGS | DOCKER_WEB | names_of(DOCKER_ONLY_EXTERNAL)
    unread = set(WEB_ENVIRONMENT) - readers

    assert not unread, problem(unread, "compose.yaml passes these to web, and nothing reads them")


def test_compose_passes_web_every_settings_variable_the_image_does_not_pin():
    pinned = names_of(PINNED_BY_IMAGE)
    not_passed = SETTINGS - set(WEB_ENVIRONMENT) - pinned

    assert not not_passed, problem(
        not_passed,
        "compose.yaml does not pass these settings variables to web (add them, or "
        "list them in EXCEPTIONS with the reason)",
    )
    assert pinned <= SETTINGS
    assert not pinned & set(WEB_ENVIRONMENT), "listed as pinned by the image, but compose passes it"
    assert pinned <= sources.dockerfile_env_variables(), (
        "listed as pinned, but the image's ENV lacks it"
    )


def test_what_compose_takes_from_env_is_documented():
    # NAME: (passed through) and ${NAME} are what a user sets in .env for the stack.
    passed_through = {name for name, value in WEB_ENVIRONMENT.items() if value is None}
    user_settable = passed_through | COMPOSE_INTERPOLATED

    undocumented = user_settable - ENV_EXAMPLE
    not_in_readme = user_settable - README_DOCKER - README_CONFIGURATION

    assert not undocumented, problem(
        undocumented, "compose.yaml takes these, .env.example lacks them"
    )
    assert not not_in_readme, problem(not_in_readme, "compose.yaml takes these, README lacks them")


def test_what_docker_scripts_read_is_documented_or_internal():
    internal = names_of(INTERNAL)
    undocumented = (DOCKER_WEB | DOCKER_DB) - ENV_EXAMPLE - internal

    assert not undocumented, problem(undocumented, "a Docker script reads these; document them")
    assert internal <= DOCKER_WEB | DOCKER_DB, "listed as internal, but no Docker script reads it"
    assert not internal & ENV_EXAMPLE, "listed as internal, but documented in .env.example"


@pytest.mark.parametrize(
    "path", [sources.README, sources.ENV_EXAMPLE, sources.COMPOSE], ids=lambda path: path.name
)
def test_no_stale_variable_names_in_the_prose(path):
    # What ./scripts read counts too (scripts/serve's PORT, SHELFMARK_DATA_DIR).
    known = SETTINGS | ENV_EXAMPLE | DOCKER_WEB | DOCKER_DB | set(EXCEPTIONS) | SCRIPTS
    unknown = sources.variable_like_names(path) - known

    assert not unknown, problem(unknown, f"{path.name} mentions names that nothing reads")


def test_every_exception_has_a_known_kind_and_a_reason():
    kinds = {PINNED_BY_IMAGE, DOCKER_ONLY, DOCKER_ONLY_EXTERNAL, INTERNAL}

    for name, exception in EXCEPTIONS.items():
        assert exception.kind in kinds, name
        assert exception.reason.strip(), name


# --- SITE_URL follows the port the site is served on ---------------------------------------------


def test_compose_links_emails_to_the_published_port_unless_site_url_is_set():
    # docker compose resolves the nested default: SITE_URL, else the host port PORT (8000).
    assert WEB_ENVIRONMENT["SITE_URL"] == "${SITE_URL:-http://127.0.0.1:${PORT:-8000}}"


def test_scripts_serve_links_emails_to_its_own_port_unless_site_url_is_set():
    serve = (sources.SCRIPTS_DIR / "serve").read_text(encoding="utf-8")
    lines = serve.splitlines()
    export = lines.index('export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"')

    assert lines.index('PORT="${PORT:-8000}"') < export
    assert export < next(i for i, line in enumerate(lines) if "manage.py runserver" in line)
