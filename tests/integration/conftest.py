"""Integration harness: real ``ansible-playbook`` runs against the emulator over HTTP."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from playbook_env import BIN, ROOT, Outcome, collections_dir, playbook_env


class PlaybookRunner:
    """Writes a one-play playbook from task dicts, runs it with ansible-playbook, returns registered results."""

    def __init__(self, emulator, workdir):
        self.emulator = emulator
        self.workdir = Path(workdir)

    def env(self, token=None, extra=None):
        return playbook_env(self.workdir, self.emulator.url, self.emulator.token if token is None else token, extra)

    def run_playbook(self, name, extra_vars, check=False, env=None, timeout=300):
        """Run one of the collection's playbooks (``playbooks/<name>``) with extra vars."""
        extra = self.workdir / "extra-vars.json"
        extra.write_text(json.dumps(extra_vars))
        cmd = [str(BIN / "ansible-playbook"), str(ROOT / "playbooks" / name), "-e", "@%s" % extra]
        if check:
            cmd.append("--check")
        proc = subprocess.run(cmd, env=self.env(extra=env), capture_output=True, text=True, timeout=timeout,
                              cwd=str(self.workdir), check=False)
        return Outcome(proc.returncode, proc.stdout, proc.stderr, {})

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
        return Outcome(proc.returncode, proc.stdout, proc.stderr, results)


@pytest.fixture
def collections_path():
    """The collections dir that makes flowops.ipaas importable for ansible-playbook."""
    return collections_dir()


@pytest.fixture
def playbook_for(tmp_path):
    """``playbook_for(emulator).run(tasks, ...)`` runs ansible-playbook against that emulator."""
    return lambda emulator: PlaybookRunner(emulator, tmp_path)
