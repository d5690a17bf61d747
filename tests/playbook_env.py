"""What every test that runs real ansible-playbook shares: the collections dir, a hermetic environment, one
playbook runner (foreground or killable) and the outcome."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# The test callbacks: flowops_results saves registered results (instead of a copy task costing two module runs per
# playbook), flowops_ansiballz_cache keeps module payloads between runs.
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
# Two caches cut what every run pays again for the same sources: the bytecode of the module processes
# (tests/module_bytecode/sitecustomize.py says why) and ansible-playbook's module payloads
# (tests/callback_plugins/flowops_ansiballz_cache.py). FLOWOPS_TEST_BYTECODE_CACHE or FLOWOPS_TEST_ANSIBALLZ_CACHE
# set to an empty value turns that one off.
BYTECODE_SITE = Path(__file__).resolve().parent / "module_bytecode"
BYTECODE_CACHE = os.environ.get("FLOWOPS_TEST_BYTECODE_CACHE", str(ROOT / ".build" / "module-bytecode"))
ANSIBALLZ_CACHE = os.environ.get("FLOWOPS_TEST_ANSIBALLZ_CACHE", str(ROOT / ".build" / "ansiballz"))
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "NETRC")


def collections_dir():
    """``.build/collections`` holding ``ansible_collections/flowops/ipaas`` -> this checkout."""
    base = ROOT / ".build" / "collections"
    link = base / "ansible_collections" / "flowops" / "ipaas"
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT, target_is_directory=True)
    return base


def cache_env(environ):
    """The variables that give a run started with ``environ`` the two caches; the payload cache's callback must
    also be enabled (``playbook_env`` does it; ``callbacks_env`` for runs that bring callbacks of their own)."""
    env = {}
    if BYTECODE_CACHE:
        env.update({"PYTHONPATH": os.pathsep.join(filter(None, (str(BYTECODE_SITE), environ.get("PYTHONPATH")))),
                    "FLOWOPS_TEST_BYTECODE_CACHE": BYTECODE_CACHE})
    if ANSIBALLZ_CACHE:
        env["FLOWOPS_TEST_ANSIBALLZ_CACHE"] = ANSIBALLZ_CACHE
    return env


def callbacks_env(enabled):
    """The variables that load the test callbacks (tests/callback_plugins) and enable ``enabled``."""
    return {"ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS), "ANSIBLE_CALLBACKS_ENABLED": enabled}


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
    env.update(callbacks_env(os.environ.get("FLOWOPS_TEST_CALLBACKS", "flowops_results,flowops_ansiballz_cache")))
    env.update(cache_env(env))
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

    def failure_messages(self, count):
        """The messages of r0 .. r<count - 1>, tasks run with ``ignoring_errors``; each must have failed."""
        results = [self.results.get("r%d" % index) for index in range(count)]
        not_failed = [index for index, result in enumerate(results) if not (result and result.get("failed"))]
        if not_failed:
            raise AssertionError("tasks %s did not fail: %s" % (not_failed, [results[index] for index in not_failed]))
        return [result["msg"] for result in results]


def ignoring_errors(tasks):
    """``tasks``, each with ignore_errors: one ansible-playbook run checks several failures that each stop a task before
    any request, instead of one run (and one start-up) a failure."""
    return [dict(task, ignore_errors=True) for task in tasks]


class Playbook:
    """Writes one-play playbooks from task dicts and runs them with ansible-playbook against ``api_url``.

    Every registered result comes back in the ``Outcome`` (saved by tests/callback_plugins/flowops_results.py);
    a name whose task did not run is None.
    """

    def __init__(self, workdir, api_url, token):
        self.workdir = Path(workdir)
        self.api_url = api_url
        self.token = token
        self.runs = 0

    def env(self, token=None, extra=None):
        """The environment of a run: ``extra`` values override, ``None`` removes a variable."""
        return playbook_env(self.workdir, self.api_url, self.token if token is None else token, extra)

    def _next(self):
        self.runs += 1
        return self.workdir / ("results-%d.json" % self.runs)

    def _command(self, playbook):
        inventory = self.workdir / "inventory"
        inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
        return [str(BIN / "ansible-playbook"), "-i", str(inventory), str(playbook)]

    def _write(self, tasks, name, module_defaults=None):
        """(command, results path, register names) for a playbook running ``tasks`` (with the play's
        ``module_defaults``, if given)."""
        results = self._next()
        block, names = [], []
        for index, item in enumerate(tasks):
            item = dict(item)
            item.setdefault("register", "r%d" % index)
            names.append(item["register"])
            block.append(item)
        playbook = self.workdir / ("play-%d.yml" % self.runs)
        play = {"name": name, "hosts": "localhost", "gather_facts": False, "tasks": block}
        if module_defaults:
            play["module_defaults"] = module_defaults
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        return self._command(playbook), results, names

    @staticmethod
    def _flags(check, diff, verbosity):
        flags = ["--check"] if check else []
        if diff:
            flags.append("--diff")
        if verbosity:
            flags.append("-" + "v" * verbosity)
        return flags

    def _finish(self, proc, results, names):
        loaded = json.loads(results.read_text()) if results.exists() else {}
        return Outcome(proc.returncode, proc.stdout, proc.stderr, dict((name, loaded.get(name)) for name in names))

    def run(self, tasks, check=False, diff=False, token=None, env=None, verbosity=0, timeout=300, name="test play",
            module_defaults=None):
        """Run ``tasks``; returns an ``Outcome``."""
        cmd, results, names = self._write(tasks, name, module_defaults)
        extra = dict(env or {}, FLOWOPS_TEST_RESULTS=str(results))
        proc = subprocess.run(cmd + self._flags(check, diff, verbosity), env=self.env(token, extra), capture_output=True,
                              text=True, timeout=timeout, cwd=str(self.workdir), check=False, start_new_session=True)
        return self._finish(proc, results, names)

    def run_playbook(self, name, extra_vars, check=False, env=None, timeout=300):
        """Run one of the collection's playbooks (``playbooks/<name>``) with extra vars."""
        extra = self.workdir / "extra-vars.json"
        extra.write_text(json.dumps(extra_vars))
        cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(ROOT / "playbooks" / name), "-e", "@%s" % extra]
        if check:
            cmd.append("--check")
        proc = subprocess.run(cmd, env=self.env(extra=env), capture_output=True, text=True, timeout=timeout,
                              cwd=str(self.workdir), check=False)
        return Outcome(proc.returncode, proc.stdout, proc.stderr, {})

    def start(self, tasks, token=None, env=None):
        """Start ``tasks`` in a new process group; returns ``(process, log file, results path)``."""
        cmd, results, dummy = self._write(tasks, "test play")
        extra = dict(env or {}, FLOWOPS_TEST_RESULTS=str(results))
        log = open(self.workdir / ("output-%d.log" % self.runs), "w", encoding="utf-8")  # pylint: disable=consider-using-with
        proc = subprocess.Popen(cmd, env=self.env(token, extra), stdout=log, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                cwd=str(self.workdir), start_new_session=True)
        return proc, log, results
