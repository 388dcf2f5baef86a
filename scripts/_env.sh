# shellcheck shell=bash
# Shared by scripts/serve, scripts/test and scripts/lint (sourced, not run).
# Creates ./.venv from the hash-locked requirements when it is missing or the lock changed, so a
# fresh clone needs nothing but Python 3.11+ with venv.
#
# The install is uv's (`uv pip install --require-hashes`: the same lock, the same hash checks as
# pip's), which takes seconds where pip took a minute and more: uv fetches in parallel and keeps
# what it fetched in its cache (~/.cache/uv), so the next clone on the machine (CI's, a second
# work tree) installs from there. uv itself is the dev lock's: its pinned, hashed line is
# installed with pip once per version into ~/.cache/shelfmark/uv-VERSION, shared the same way.
# Where that fails (no wheel for the platform), pip installs the lock as before.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${SHELFMARK_VENV:-$ROOT/.venv}"
# Python's compiled modules are kept (__pycache__, ignored by git and by the image's build) even
# where the shell sets PYTHONDONTWRITEBYTECODE, as CI's machine does: the test suite starts
# hundreds of Python processes (manage.py, gunicorn, the worker) and its workers rewrite every
# test module's asserts, and without the caches each compiled the project's modules again
# (`manage.py check` took 2.4 s of CPU, 1.5 s with them).
unset PYTHONDONTWRITEBYTECODE

ensure_venv() {
    local lock="requirements/$1.txt"
    local stamp="$VENV/.installed-$1"
    local python="${PYTHON:-python3}"
    # The dev lock is the main one and more: a virtualenv installed from it serves as it is.
    if [ "$1" = main ] && [ -f "$VENV/.installed-dev" ] && cmp -s requirements/dev.txt "$VENV/.installed-dev"; then
        export PATH="$VENV/bin:$PATH"
        return
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "Shelfmark needs Python 3.11 or newer; '$python' is $("$python" --version 2>&1)." >&2
        echo "Install a newer Python, or point PYTHON at one: PYTHON=python3.12 $0" >&2
        exit 1
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> Creating virtualenv in $VENV"
        "$python" -m venv "$VENV" || {
            echo "Could not create a virtualenv. On Debian/Ubuntu: sudo apt install python3-venv" >&2
            exit 1
        }
    fi
    if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
        echo "==> Installing locked dependencies ($lock)"
        install_locked "$lock"
        rm -f "$VENV"/.installed-*
        cp "$lock" "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

# The lock's packages into $VENV: with uv where it can be had, else with pip.
install_locked() {
    local lock="$1" uv
    if uv="$(locked_uv)"; then
        "$uv" pip install --quiet --system-certs --require-hashes --no-deps --compile-bytecode \
            --python "$VENV/bin/python" -r "$lock"
    else
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --require-hashes --no-deps -r "$lock"
    fi
}

# Prints the path of the dev lock's uv, installing it into the shared cache first if needed;
# fails when it cannot be had.
locked_uv() {
    local requirement version cache target scratch
    # The uv line of the dev lock with its --hash continuation lines.
    requirement="$(awk '/^uv==/ { keep = 1; print; next } keep && /^ +--hash/ { print; next }
        { keep = 0 }' requirements/dev.txt)"
    version="${requirement%% *}"
    version="${version#uv==}"
    [ -n "$version" ] || return 1
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/shelfmark"
    target="$cache/uv-$version"
    if [ ! -x "$target/bin/uv" ]; then
        mkdir -p "$cache" || return 1
        scratch="$(mktemp -d "$cache/.uv-XXXXXX")" || return 1
        # Into a scratch folder, then renamed: another clone installing it at the same moment
        # finds either nothing or a whole one.
        if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --require-hashes --no-deps --target "$scratch" -r /dev/stdin <<<"$requirement" >&2 ||
            ! mv -T "$scratch" "$target" 2>/dev/null; then
            rm -rf "$scratch"
        fi
        [ -x "$target/bin/uv" ] || return 1
    fi
    echo "$target/bin/uv"
}
