"""Event-Driven Ansible (issue 28): the real ansible-rulebook runs the collection's rulebook flowops.ipaas.incident_recovery
with its event source flowops.ipaas.flow_errors against the Celigo emulator while an outage happens: errors appear,
then calm. The rulebook's playbook (flowops.ipaas.recover_on_settled) runs once, plans, applies the plan behind a
canary wave and retries every key once; a second outage and calm within the throttle window starts no second recovery;
the token is in no event, no output and no file. ansible-rulebook needs Java 17 or later (scripts/test.sh installs it).
"""

import collections
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from ansible_collections.flowops.ipaas.tests.emulator.celigo import live
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.playbook_env import BIN, playbook_env

RECOVERY_PLAY = "PLAY [Recover the flows of an errors_settled event, plan first]"
SPIKE_DEBUG = "flowops error spike on group"
CANARY_KEYS = 2


@pytest.fixture
def emulator(celigo_emulator_factory):
    """Two instances of one abstract flow, two steps each, no error before the outage."""
    return celigo_emulator_factory(scenarios.generate(instances=2, steps=2, errors_per_step=0, disabled_instances=0,
                                                      seed=28), job_seconds=0.1)


def require_rulebook():
    if not (BIN / "ansible-rulebook").exists():
        pytest.fail("ansible-rulebook is not installed in %s (requirements/test.txt pins it)" % BIN, pytrace=False)
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        pytest.fail("ansible-rulebook needs Java 17 or later: apt-get install openjdk-17-jre-headless "
                    "(scripts/test.sh installs it when java is missing)", pytrace=False)


class Rulebook:
    """One ansible-rulebook process in a session of its own, its output in a file."""

    def __init__(self, emulator, workdir, variables):
        self.workdir = workdir
        (workdir / "vars.yml").write_text(yaml.safe_dump(variables))
        (workdir / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
        env = playbook_env(workdir, emulator.url, emulator.token)
        env["PATH"] = os.pathsep.join((str(BIN), env.get("PATH", "")))  # ansible-galaxy finds the collection
        # As in a decision environment, the collection is not on PYTHONPATH: the source imports its module_utils from
        # the collections folder ansible-rulebook found it in.
        env["PYTHONPATH"] = os.pathsep.join(path for path in env.get("PYTHONPATH", "").split(os.pathsep)
                                            if path and not path.rstrip("/").endswith("collections"))
        self.log_path = workdir / "rulebook.log"
        self.log = open(self.log_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(BIN / "ansible-rulebook"), "--rulebook", "flowops.ipaas.incident_recovery", "--vars",
             str(workdir / "vars.yml"), "--inventory", str(workdir / "inventory.yml"), "--print-events", "-v"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=str(workdir), start_new_session=True)

    @property
    def output(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, what, predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None:
                pytest.fail("ansible-rulebook ended (rc %s) while waiting for %s:\n%s"
                            % (self.proc.returncode, what, self.output[-4000:]), pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail("no %s within %d s:\n%s" % (what, timeout, self.output[-4000:]), pytrace=False)
            time.sleep(0.2)

    def count(self, text):
        return self.output.count(text)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def burst(emulator, count):
    """``count`` errors on one step of one flow: one listing shows all of them, so one poll counts them all."""
    flow_id = scenarios.instance_ids(emulator.scenario)[0]
    return live.new_errors(emulator.scenario, count, flow_ids=[flow_id],
                           step_ids=scenarios.step_ids(emulator.scenario, flow_id)[-1:])


def retry_waves(emulator):
    """The keys of each retry wave, in order: retry POSTs separated by polls of their jobs."""
    waves, polled = [], True
    for entry in emulator.requests:
        if entry["method"] == "GET" and entry["path"].startswith("/v1/jobs/"):
            polled = True
        elif entry["method"] == "POST" and entry["path"].endswith("/retry") and entry["status"] in (200, 204):
            if polled:
                waves.append([])
                polled = False
            waves[-1].extend(entry["body"]["retryDataKeys"])
    return waves


def test_outage_then_calm_recovers_once_plan_first_and_throttles_the_second_calm(emulator, tmp_path):
    require_rulebook()
    reports = tmp_path / "reports"
    rulebook = Rulebook(emulator, tmp_path, {
        "flowops_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario), "flowops_interval": 1,
        "flowops_spike_threshold": 5, "flowops_settle_seconds": 3, "flowops_since": 120,
        "flowops_report_dir": str(reports), "flowops_canary_keys": CANARY_KEYS,
        "flowops_recovery_vars": {"incident_recovery_poll_interval": 0.2}})
    flows = scenarios.instance_ids(emulator.scenario)
    started = time.monotonic()
    try:
        rulebook.wait_for("first poll", lambda: any(e["path"].endswith("/errors") for e in emulator.requests), 60)
        # The outage: errors appear over two polls (a burst on one step, which one poll sees whole, then more on
        # another flow), then calm.
        outage = burst(emulator, 5) + live.new_errors(emulator.scenario, 1, flow_ids=flows[1:]) \
            + live.new_errors(emulator.scenario, 2, flow_ids=flows[1:], classification="rate_limit")
        emulator.state.add_errors(outage[:5])
        time.sleep(1.2)
        emulator.state.add_errors(outage[5:])
        rulebook.wait_for("recovery", lambda: rulebook.count("Release the lock of these flows") == 1, 150)
        recovered = time.monotonic()
        assert rulebook.count("errors_settled for group") == 1

        # A second outage and calm within the throttle window: the source says so, the rulebook does nothing.
        second = burst(emulator, 6)
        emulator.state.add_errors(second)
        rulebook.wait_for("second errors_settled", lambda: rulebook.count("errors_settled for group") == 2, 60)
        # Actions run one at a time in the order their rules matched: once the rule on a third spike has printed, a
        # run_playbook for the second calm would have run before it.
        emulator.state.add_errors(burst(emulator, 5))
        rulebook.wait_for("third spike's debug action", lambda: rulebook.count(SPIKE_DEBUG) == 3, 60)
    finally:
        rulebook.stop()
    output = rulebook.output
    print("ansible-rulebook: %.1f s to the end of the recovery, %.1f s in all"
          % (recovered - started, time.monotonic() - started))

    # One recovery: plan (check mode, nothing sent), then apply, each key once, the canary wave first.
    assert rulebook.count(RECOVERY_PLAY) == 1, output[-6000:]
    assert rulebook.count("flow_errors: error_spike for group") >= 3  # one per outage at least
    assert "PLAY RECAP" in output and "failed=0" in output.split(RECOVERY_PLAY)[1]
    posted = [key for wave in retry_waves(emulator) for key in wave]
    assert collections.Counter(posted) == collections.Counter(e["retryDataKey"] for e in outage)
    assert not set(posted) & {e["retryDataKey"] for e in second}
    assert [len(wave) for wave in retry_waves(emulator)] == [CANARY_KEYS, 2 * CANARY_KEYS, 2]
    plans = sorted(reports.glob("incident-recovery-eda-*-plan.json"))
    assert len(plans) == 1
    plan = json.loads(plans[0].read_text())
    assert sorted(entry["key"] for entry in plan["keys"]) == sorted(e["retryDataKey"] for e in outage)
    first_post = next(e["ts"] for e in emulator.requests if e["method"] == "POST")
    assert plans[0].stat().st_mtime <= first_post
    report = json.loads(Path(str(plans[0]).replace("-plan.json", ".json")).read_text())
    assert (report["retry"]["retried"], report["retry"]["succeeded"]) == (8, 8)
    pinned = re.search(r"plan_sha256 ([0-9a-f]{64})", output).group(1)  # what the apply run was given
    assert pinned == hashlib.sha256(("flow_errors_retry %s" % plan["plan_sha256"]).encode()).hexdigest()
    assert not list((reports / "eda-locks").iterdir())  # the lock is released

    # The token is in no event, no output and no file the recovery wrote.
    assert "'type': 'errors_settled'" in output and "'open_errors'" in output  # --print-events shows the events
    assert emulator.token not in output
    for path in reports.rglob("*"):
        if path.is_file():
            assert emulator.token not in path.read_text(errors="replace"), path


def test_a_recovery_of_the_same_flows_already_running_is_left_alone(emulator, playbook_for, tmp_path):
    runner = playbook_for(emulator)
    reports = tmp_path / "reports"
    (reports / "eda-locks" / "orders.lock").mkdir(parents=True)  # another recovery of this group holds the lock
    event = {"type": "errors_settled", "group": "orders", "platform": "celigo", "spike_start": "2026-12-01T10:00:00Z",
             "selection": {"flow_ids": [], "abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario),
                           "integration_id": None}, "connection": {"platform": "celigo"}}
    held = runner.run_playbook("recover_on_settled.yml", {"ansible_eda": {"event": {"flowops": event}},
                                                          "flowops_eda_report_dir": str(reports)})
    assert held.rc == 0, held.output
    assert "A recovery of flow group orders is running" in held.stdout and "nothing was sent" in held.stdout
    assert emulator.requests == []
    assert (reports / "eda-locks" / "orders.lock").is_dir()  # not ours: left in place

    wrong = runner.run_playbook("recover_on_settled.yml", {"ansible_eda": {"event": {"flowops": dict(event, type="error_spike")}}})
    assert wrong.rc != 0 and "runs on an errors_settled event" in wrong.output and emulator.requests == []
