# shellcheck shell=sh
# Sourced by docker/entrypoint and docker/manage: gives Django a SECRET_KEY and, under
# compose.yaml, the DATABASE_URL of the db service.
#
# Production sets SECRET_KEY in the environment. So that a bare `docker compose up` works with
# no .env and no secret in the repository, a missing key is generated once, on first start, and
# kept in the state volume (SHELFMARK_DATA_DIR, mounted by compose.yaml). Every web container and
# one-shot command sharing that volume then signs sessions and CSRF tokens with the same key,
# and the key survives restarts, rebuilds and upgrades. It is never printed.

shelfmark_log() {
    printf '[shelfmark] %s\n' "$*" >&2
}

# shelfmark_secret_key [--warn]: exports SECRET_KEY; --warn reminds that a generated key is in use.
shelfmark_secret_key() {
    [ -n "${SECRET_KEY:-}" ] && return 0
    key_file="${SHELFMARK_DATA_DIR:-/var/lib/shelfmark}/secret-key"
    if [ ! -s "$key_file" ]; then
        # Write to a temporary file, then link it into place: link fails if another container
        # won the race, and nobody ever reads a half-written key.
        tmp_file="$key_file.$$"
        if (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$tmp_file") 2>/dev/null; then
            ln "$tmp_file" "$key_file" 2>/dev/null && shelfmark_log "Generated a SECRET_KEY in $key_file."
            rm -f "$tmp_file"
        fi
    fi
    if [ -s "$key_file" ]; then
        SECRET_KEY=$(cat "$key_file")
    else
        # Read-only file system and no volume: a key for this process only. Works, but every
        # restart logs everyone out.
        shelfmark_log "WARNING: cannot write $key_file; using a temporary SECRET_KEY. Mount a volume at ${SHELFMARK_DATA_DIR:-/var/lib/shelfmark} or set SECRET_KEY."
        SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')
    fi
    export SECRET_KEY
    if [ "${1:-}" = --warn ]; then
        shelfmark_log "WARNING: SECRET_KEY is not set; using the generated key in the state volume. Fine for a local trial; in production set SECRET_KEY (see .env.example)."
    fi
}

# shelfmark_database_url: builds DATABASE_URL from POSTGRES_HOST, POSTGRES_USER, POSTGRES_DB and
# the password, which is POSTGRES_PASSWORD when set (from .env), else the contents of
# POSTGRES_PASSWORD_FILE: the random password the db service generated on its first start, in the
# db-secret volume (see compose.yaml). Does nothing when DATABASE_URL is already set, or without
# POSTGRES_HOST (a plain `docker run` then uses SQLite in the state volume).
shelfmark_database_url() {
    [ -z "${DATABASE_URL:-}" ] && [ -n "${POSTGRES_HOST:-}" ] || return 0
    db_password=${POSTGRES_PASSWORD:-}
    if [ -z "$db_password" ] && [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
        if [ -r "$POSTGRES_PASSWORD_FILE" ]; then
            db_password=$(cat "$POSTGRES_PASSWORD_FILE")
        else
            shelfmark_log "WARNING: no database password: POSTGRES_PASSWORD is not set and $POSTGRES_PASSWORD_FILE is missing or unreadable. The db service generates it on its first start (docker compose up -d db)."
        fi
    fi
    case $db_password in
        *[!A-Za-z0-9._~-]*)
            # Characters that mean something in a URL (/ @ : % ...): percent-encode them.
            db_password=$(SHELFMARK_DB_PASSWORD=$db_password python -c 'import os, urllib.parse; print(urllib.parse.quote(os.environ["SHELFMARK_DB_PASSWORD"], safe=""))')
            ;;
    esac
    DATABASE_URL="postgres://${POSTGRES_USER:-postgres}:$db_password@$POSTGRES_HOST:${POSTGRES_PORT:-5432}/${POSTGRES_DB:-${POSTGRES_USER:-postgres}}"
    export DATABASE_URL
}
