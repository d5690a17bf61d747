# shellcheck shell=bash
# Sourced by the scripts in scripts/: paths, the project's venv first on PATH, and Ansible settings
# that keep every run inside the checkout (.build/). It changes only the shell that sources it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
BUILD="$ROOT/.build"
# The collection as Ansible finds it: a symlink to ROOT made by scripts/bootstrap.sh.
COLLECTIONS_DIR="$BUILD/collections"

export ROOT VENV BUILD COLLECTIONS_DIR
export VIRTUAL_ENV="$VENV"
export PATH="$VENV/bin:$PATH"

# Hermetic Ansible: no user/system ansible.cfg, collections only from this checkout, state under .build/.
# A checkout's own ansible.cfg wins; otherwise an empty one, so ~/.ansible.cfg and /etc/ansible are not read.
if [[ -f "$ROOT/ansible.cfg" ]]; then
    export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
else
    export ANSIBLE_CONFIG="$BUILD/ansible.cfg"
fi
export ANSIBLE_HOME="$BUILD/ansible-home"
export ANSIBLE_LOCAL_TEMP="$BUILD/tmp"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_DIR"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=False
export ANSIBLE_RETRY_FILES_ENABLED=False

# `import ansible_collections.flowops.ipaas...` and `python -m emulator` from tests/.
export PYTHONPATH="$COLLECTIONS_DIR:$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
