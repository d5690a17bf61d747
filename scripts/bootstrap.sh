#!/usr/bin/env bash
# Creates or refreshes .venv (Python 3.11 to 3.13) with requirements/test.txt, and the
# .build/collections symlink that makes flowops.ipaas importable. Quiet unless it builds .venv or something fails.
# Set FLOWOPS_PYTHON=/path/to/python to choose the interpreter.
set -euo pipefail

# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

STAMP="$VENV/.bootstrap-stamp"
LOG="$BUILD/bootstrap.log"

die() {
    echo "bootstrap: $*" >&2
    exit 1
}

# ansible-core 2.19 runs its controller on 3.11-3.13; the pins install on all three (CI uses 3.11).
supported_python() {
    "$1" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))' >/dev/null 2>&1
}

# Prints the base interpreter's path (not a pyenv shim or a venv's python: .venv may be rebuilt).
find_python() {
    local candidate path search_path=":$PATH:"
    search_path="${search_path//:$VENV\/bin:/:}"
    if [[ -n "${FLOWOPS_PYTHON:-}" ]]; then
        supported_python "$FLOWOPS_PYTHON" || die "FLOWOPS_PYTHON=$FLOWOPS_PYTHON is not Python 3.11, 3.12 or 3.13"
        "$FLOWOPS_PYTHON" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))'
        return
    fi
    for candidate in python3.11 python3.12 python3; do
        path="$(PATH="$search_path" command -v "$candidate" 2>/dev/null)" || continue
        if supported_python "$path"; then
            "$path" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))'
            return
        fi
    done
    die "no Python 3.11-3.13 found (tried python3.11, python3.12, python3); set FLOWOPS_PYTHON=/path/to/python"
}

requirements_stamp() {
    local python="$1"
    {
        "$python" -c 'import platform, sys; print(platform.python_version(), sys.base_prefix)'
        cat "$ROOT"/requirements/*.txt
    } | sha256sum | cut -d' ' -f1
}

# Runs a command with its output in the log; on failure shows the end of the log and stops.
logged() {
    if ! "$@" >>"$LOG" 2>&1; then
        echo "bootstrap: failed: $*" >&2
        echo "--- last lines of $LOG ---" >&2
        tail -n 40 "$LOG" >&2
        exit 1
    fi
}

# Says what it does while it builds (a first run is about half a minute of pip), so nobody watches a silent shell.
make_venv() {
    local python="$1" stamp="$2" started=$SECONDS
    echo "bootstrap: creating .venv with $python (first run or changed requirements; log: ${LOG#"$ROOT"/})" >&2
    rm -rf "$VENV"
    logged "$python" -m venv "$VENV"
    echo "bootstrap: installing requirements/test.txt (ansible-core, requests, test tools)..." >&2
    logged "$VENV/bin/python" -m pip install --disable-pip-version-check -r "$ROOT/requirements/test.txt"
    echo "$stamp" >"$STAMP"
    echo "bootstrap: .venv ready in $((SECONDS - started)) s" >&2
}

# The tests and ansible-playbook find the collection at .build/collections/ansible_collections/flowops/ipaas.
link_collection() {
    local link="$COLLECTIONS_DIR/ansible_collections/flowops/ipaas"
    mkdir -p "$(dirname "$link")"
    if [[ -e "$link" && ! -L "$link" ]]; then
        die "$link exists and is not a symlink; remove it"
    fi
    # Relative, so the link survives moving the checkout.
    ln -sfn ../../../.. "$link"
    [[ -f "$link/galaxy.yml" ]] || die "$link does not resolve to the collection root"
}

main() {
    local python stamp
    mkdir -p "$BUILD" "$ANSIBLE_HOME" "$ANSIBLE_LOCAL_TEMP"
    : >"$LOG"
    [[ -f "$ANSIBLE_CONFIG" ]] || printf '[defaults]\n' >"$ANSIBLE_CONFIG"
    python="$(find_python)"
    "$python" -c 'import venv, ensurepip' >/dev/null 2>&1 \
        || die "$python cannot create virtualenvs (on Debian/Ubuntu: apt-get install python3-venv)"
    stamp="$(requirements_stamp "$python")"
    if [[ ! -x "$VENV/bin/python" || ! -f "$STAMP" || "$(cat "$STAMP")" != "$stamp" ]]; then
        make_venv "$python" "$stamp"
    fi
    link_collection
}

main "$@"
