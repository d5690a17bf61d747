"""Integration harness: real ``ansible-playbook`` runs against the emulator over HTTP."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def collections_dir():
    """A collections dir where ``ansible_collections/flowops/ipaas`` is this checkout."""
    base = ROOT / ".build" / "collections"
    link = base / "ansible_collections" / "flowops" / "ipaas"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT, target_is_directory=True)
    return base


class PlaybookResult:
    def __init__(self, proc, results):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.results = results

    def __getitem__(self, name):
        return self.results[name]

    @property
    def output(self):
        return self.stdout + self.stderr


class PlaybookRunner:
    """Writes a one-play playbook from task dicts, runs it with ansible-playbook, returns registered results."""

    def __init__(self, emulator, workdir):
        self.emulator = emulator
        self.workdir = Path(workdir)

    def env(self, token=None, extra=None):
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(collections_dir()),
            "ANSIBLE_HOME": str(self.workdir / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(self.workdir / "tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "FLOWOPS_API_URL": self.emulator.url,
            "FLOWOPS_API_TOKEN": self.emulator.token if token is None else token,
        })
        env.pop("FLOWOPS_PLATFORM", None)
        env.update(extra or {})
        return env

    def run_playbook(self, name, extra_vars, check=False, env=None, timeout=300):
        """Run one of the collection's playbooks (``playbooks/<name>``) with extra vars."""
        extra = self.workdir / "extra-vars.json"
        extra.write_text(json.dumps(extra_vars))
        cmd = [str(BIN / "ansible-playbook"), str(ROOT / "playbooks" / name), "-e", "@%s" % extra]
        if check:
            cmd.append("--check")
        proc = subprocess.run(cmd, env=self.env(extra=env), capture_output=True, text=True, timeout=timeout,
                              cwd=str(self.workdir), check=False)
        return PlaybookResult(proc, {})

    def run(self, tasks, check=False, diff=False, token=None, env=None, verbosity=0, timeout=300):
        results_file = self.workdir / ("results-%d.json" % len(list(self.workdir.glob("results-*.json"))))
        names = []
        block = []
        for index, task in enumerate(tasks):
            task = dict(task)
            name = task.pop("register", "r%d" % index)
            names.append(name)
            task["register"] = name
            block.append(task)
        dump = "{{ {%s} | to_json }}" % ", ".join("'%s': %s | default(None)" % (n, n) for n in names)
        play = [{
            "name": "integration test",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [{
                "block": block,
                "always": [{"name": "save results", "ansible.builtin.copy": {"content": dump, "dest": str(results_file)},
                            "check_mode": False, "diff": False}],
            }],
        }]
        playbook = self.workdir / "play.yml"
        playbook.write_text(yaml.safe_dump(play, sort_keys=False))
        inventory = self.workdir / "inventory"
        inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
        cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook)]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        proc = subprocess.run(cmd, env=self.env(token, env), capture_output=True, text=True, timeout=timeout,
                              cwd=str(self.workdir), check=False)
        results = json.loads(results_file.read_text()) if results_file.exists() else {}
        return PlaybookResult(proc, results)


@pytest.fixture
def collections_path():
    """The collections dir that makes flowops.ipaas importable for ansible-playbook."""
    return collections_dir()


@pytest.fixture
def playbook_for(tmp_path):
    """``playbook_for(emulator).run(tasks, ...)`` runs ansible-playbook against that emulator."""
    return lambda emulator: PlaybookRunner(emulator, tmp_path)
