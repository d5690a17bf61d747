#!/usr/bin/env bash
# The compatibility matrix: every ansible-core minor that meta/runtime.yml's requires_ansible admits (latest patch,
# up to the newest on the index) on every Python here that it supports; unit tests and a smoke playbook run on the
# collection as installed from its tarball. See docs/testing.md, "Compatibility matrix".
#   scripts/matrix.sh                   every combination; results in .build/matrix/results.json
#   scripts/matrix.sh --update-readme   the same, then README.md's "Tested with" table from it
#   scripts/matrix.sh --ci              the oldest and the newest ansible-core only (.build/matrix/results-ci.json)
# Venvs are kept in ~/.cache/flowops-ipaas/matrix/ (FLOWOPS_TEST_CACHE moves it); logs in .build/matrix/logs/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The driver runs on the project venv (PyYAML, packaging); every combination has a venv of its own.
bash "$HERE/bootstrap.sh"
python="$(cd "$HERE/.." && pwd)/.venv/bin/python"
# pip's downloads are kept next to the venvs: each combination runs with a HOME of its own.
export PIP_CACHE_DIR="${FLOWOPS_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flowops-ipaas}/matrix/pip"
"$python" "$HERE/matrix.py" "$@"
