# shellcheck shell=bash
# Shared by scripts/serve, scripts/test and scripts/lint (sourced, not run).
# Creates ./.venv from the hash-locked requirements when it is missing or the lock changed, so a
# fresh clone needs nothing but Python 3.11+ with venv.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${SHELFMARK_VENV:-$ROOT/.venv}"

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
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --require-hashes --no-deps -r "$lock"
        rm -f "$VENV"/.installed-*
        cp "$lock" "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}
