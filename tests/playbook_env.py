"""What every test that runs real ansible-playbook shares: the collections dir, a hermetic environment, the outcome."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "NETRC")


def collections_dir():
    """``.build/collections`` holding ``ansible_collections/flowops/ipaas`` -> this checkout."""
    base = ROOT / ".build" / "collections"
    link = base / "ansible_collections" / "flowops" / "ipaas"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT, target_is_directory=True)
    return base


def playbook_env(workdir, api_url, token, extra=None):
    """The environment of one run against ``api_url``: no proxies (the emulators are on loopback), Ansible state
    under ``workdir``, the connection in FLOWOPS_*; ``extra`` values override and ``None`` removes a variable."""
    workdir = Path(workdir)
    env = {key: value for key, value in os.environ.items() if key not in PROXY_VARIABLES}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collections_dir()),
        "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "NO_PROXY": "127.0.0.1,127.0.0.2,localhost",
        "no_proxy": "127.0.0.1,127.0.0.2,localhost",
        "FLOWOPS_API_URL": api_url,
        "FLOWOPS_API_TOKEN": token,
    })
    env.pop("FLOWOPS_PLATFORM", None)
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class Outcome:
    """What one ansible-playbook run left: return code, output and the registered results."""

    def __init__(self, rc, stdout, stderr, results):
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.results = results

    def __getitem__(self, name):
        return self.results[name]

    @property
    def output(self):
        return self.stdout + self.stderr
