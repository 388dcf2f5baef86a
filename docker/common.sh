# shellcheck shell=sh
# Sourced by docker/entrypoint: makes sure Django has a SECRET_KEY.
#
# Production sets SECRET_KEY in the environment. So that a bare `docker compose up` works with
# no .env and no secret in the repository, a missing key is generated once, on first start, into
# the state volume (SHELFMARK_DATA_DIR, mounted by compose.yaml), where compose.yaml's
# SECRET_KEY_FILE points: settings.py reads it from there, in every process of every container
# sharing the volume, `docker compose exec` included. So sessions and CSRF tokens keep one key
# across restarts, rebuilds and upgrades. It is never printed. (Without compose, the entrypoint
# sets SECRET_KEY_FILE for its own children; `docker exec` then needs -e SECRET_KEY_FILE=….)

shelfmark_log() {
    printf '[shelfmark] %s\n' "$*" >&2
}

# shelfmark_secret_key [--warn]: generates the key file when SECRET_KEY is unset and the file
# SECRET_KEY_FILE names is the generated one and missing; --warn reminds that it is in use.
shelfmark_secret_key() {
    [ -n "${SECRET_KEY:-}" ] && return 0
    key_file="${SHELFMARK_DATA_DIR:-/var/lib/shelfmark}/secret-key"
    if [ -z "${SECRET_KEY_FILE:-}" ]; then
        SECRET_KEY_FILE=$key_file
        export SECRET_KEY_FILE
    fi
    # A file of the user's own (a Docker secret, say) is never written: settings.py reports it
    # when it is missing.
    [ "$SECRET_KEY_FILE" = "$key_file" ] || return 0
    if [ ! -s "$key_file" ]; then
        # Write to a temporary file, then link it into place: link fails if another container
        # won the race, and nobody ever reads a half-written key.
        tmp_file="$key_file.$$"
        if (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$tmp_file") 2>/dev/null; then
            ln "$tmp_file" "$key_file" 2>/dev/null && shelfmark_log "Generated a SECRET_KEY in $key_file."
            rm -f "$tmp_file"
        fi
    fi
    if [ ! -s "$key_file" ]; then
        # Read-only file system and no volume: a key for this process and its children only.
        # Works, but every restart logs everyone out, and `docker exec` commands have no key.
        shelfmark_log "WARNING: cannot write $key_file; using a temporary SECRET_KEY. Mount a volume at ${SHELFMARK_DATA_DIR:-/var/lib/shelfmark} or set SECRET_KEY."
        SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))')
        export SECRET_KEY
    elif [ "${1:-}" = --warn ]; then
        shelfmark_log "WARNING: SECRET_KEY is not set; using the generated key in the state volume. Fine for a local trial; in production set SECRET_KEY (see .env.example)."
    fi
}
