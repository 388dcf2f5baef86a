# shellcheck shell=sh
# Sourced by docker/entrypoint and docker/manage: gives Django a SECRET_KEY.
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
