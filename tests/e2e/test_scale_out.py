"""playbooks/inventory_recovery.yml: one inventory host per target, sliced with --limit as AWX job slicing does."""

import json
import subprocess

import yaml

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.playbook_env import BIN, ROOT, playbook_env

TARGETS = ("t1", "t2", "t3", "t4")


def retryable_keys(scenario):
    enabled = set(scenarios.instance_ids(scenario, disabled=False))
    return {e["retryDataKey"] for e in scenario["errors"] if e.get("retryDataKey") and e["_flowId"] in enabled}


def write_inventory(path, emulators, reports):
    hosts = dict((name, {"flowops_connection": {"platform": "celigo", "api_url": emulator.url},
                         "flowops_api_token_env": "TOKEN_%s" % name.upper(),
                         "incident_recovery_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario)})
                 for name, emulator in emulators.items())
    path.write_text(yaml.safe_dump({"flowops_targets": {
        "vars": {"incident_recovery_since": "2026-11-01T00:00:00Z", "incident_recovery_rounds": 1,
                 "incident_recovery_poll_interval": 0.2, "incident_recovery_report_dir": str(reports)},
        "hosts": hosts}}))


def run_slice(tmp_path, inventory, emulators, limit):
    # No FLOWOPS_API_URL / FLOWOPS_API_TOKEN: every host must reach its own target through its host vars.
    tokens = dict(("TOKEN_%s" % name.upper(), emulator.token) for name, emulator in emulators.items())
    env = playbook_env(tmp_path, "", "", dict(tokens, FLOWOPS_API_URL=None, FLOWOPS_API_TOKEN=None))
    cmd = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(ROOT / "playbooks" / "inventory_recovery.yml"),
           "--limit", limit, "-e", "inventory_recovery_run_id=slice", "-e", "ansible_python_interpreter=%s" % (BIN / "python")]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=str(tmp_path), check=False)


def test_two_slices_of_the_inventory_recover_every_target_exactly_once(celigo_emulator_factory, tmp_path):
    emulators = dict((name, celigo_emulator_factory(
        scenarios.generate(abstract_flows=1, instances=2, steps=1, errors_per_step=3, classifications={"intermittent": 3},
                           seed=10 + index), job_seconds=0.1)) for index, name in enumerate(TARGETS))
    keys = dict((name, retryable_keys(emulator.scenario)) for name, emulator in emulators.items())
    assert all(keys.values()) and len(set.union(*keys.values())) == sum(len(k) for k in keys.values())
    reports = tmp_path / "reports"
    inventory = tmp_path / "targets.yml"
    write_inventory(inventory, emulators, reports)

    first = run_slice(tmp_path, inventory, emulators, "t1,t2")
    assert first.returncode == 0, first.stdout + first.stderr
    for name in ("t1", "t2"):
        assert emulators[name].retry_counts == dict.fromkeys(keys[name], 1)
    for name in ("t3", "t4"):  # the other half was not touched at all
        assert emulators[name].requests == []
    for name in ("t1", "t2"):
        emulators[name].clear_requests()

    second = run_slice(tmp_path, inventory, emulators, "t3,t4")
    assert second.returncode == 0, second.stdout + second.stderr
    for name in TARGETS:  # together: every key of every target retried exactly once
        assert emulators[name].retry_counts == dict.fromkeys(keys[name], 1)
    for name in ("t1", "t2"):
        assert emulators[name].requests == []
    assert all(emulator.token not in first.stdout + second.stdout for emulator in emulators.values())

    # One report per target, named after its host: the slices wrote side by side without a collision.
    for name in TARGETS:
        report = json.loads((reports / ("incident-recovery-slice-%s.json" % name)).read_text())
        assert report["retry"]["retried"] == len(keys[name])
        assert report["retry"]["succeeded"] == len(keys[name])
