"""The flowops.ipaas.flows inventory plugin through real ansible-inventory and ansible-playbook: flows of two platforms
as hosts, and playbooks/inventory_recovery.yml on those hosts sliced with --limit, as AWX job slicing does."""

import json
import subprocess

import yaml

from ansible_collections.flowops.ipaas.tests.emulator.activepieces import state as ap
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import posted_keys
from ansible_collections.flowops.ipaas.tests.playbook_env import BIN, ROOT, playbook_env

STRICT = {"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"}  # a source the plugin cannot read fails the command


def plain(value):
    """ansible-inventory's JSON without the ``__ansible_unsafe`` wrappers ansible-core 2.19 puts on plugin data."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def write_config(path, **options):
    path.write_text(yaml.safe_dump(dict({"plugin": "flowops.ipaas.flows"}, **options)))
    return path


def run(tmp_path, cmd, env):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=str(tmp_path), check=False)


def group_hosts(listing, name):
    return sorted(listing.get(name, {}).get("hosts", []))


def test_ansible_inventory_lists_celigo_and_activepieces_flows_with_their_vars_and_groups(
        celigo_emulator_factory, activepieces_emulator_factory, tmp_path):
    celigo = celigo_emulator_factory(scenarios.generate(instances=3, abstract_flows=2, steps=2, errors_per_step=2,
                                                        plain_flows=1, disabled_instances=1, seed=21))
    activepieces = activepieces_emulator_factory(ap.generate(flows=3, disabled=1, failed_runs=2, succeeded_runs=1, seed=22))
    abstract = scenarios.abstract_flow_ids(celigo.scenario)
    cache = tmp_path / "inventory-cache"
    sources = [
        write_config(tmp_path / "celigo.flowops.yml", api_url=celigo.url, abstract_flow_id=abstract, cache=True,
                     cache_plugin="ansible.builtin.jsonfile", cache_connection=str(cache),
                     keyed_groups=[{"key": "flowops_flow.open_errors_by_classification.keys() | list", "prefix": "class"}]),
        write_config(tmp_path / "activepieces.flowops.yaml", platform="activepieces", api_url=activepieces.url,
                     project_id=activepieces.project_id, api_token_env="AP_TOKEN"),
    ]
    # Celigo's token from FLOWOPS_API_TOKEN, Activepieces' from the variable its file names.
    env = playbook_env(tmp_path, "", celigo.token, dict(STRICT, FLOWOPS_API_URL=None, AP_TOKEN=activepieces.token))
    cmd = [str(BIN / "ansible-inventory"), "--list"]
    for source in sources:
        cmd += ["-i", str(source)]
    result = run(tmp_path, cmd, env)
    assert result.returncode == 0, result.stderr[-3000:]
    listing = plain(json.loads(result.stdout))
    hostvars = listing["_meta"]["hostvars"]

    instances = scenarios.instance_ids(celigo.scenario)
    ap_flows = ap.flow_ids(activepieces.scenario)
    assert sorted(hostvars) == sorted(instances + ap_flows)
    assert group_hosts(listing, "flowops_targets") == sorted(instances + ap_flows)
    assert group_hosts(listing, "flowops_celigo") == sorted(instances)
    assert group_hosts(listing, "flowops_activepieces") == sorted(ap_flows)
    for abstract_id in abstract:
        assert group_hosts(listing, "flowops_abstract_%s" % abstract_id) == sorted(scenarios.instance_ids(celigo.scenario, abstract_id))
    assert group_hosts(listing, "flowops_disabled") == sorted(scenarios.instance_ids(celigo.scenario, disabled=True)
                                                              + ap.flow_ids(activepieces.scenario, disabled=True))
    assert group_hosts(listing, "flowops_has_errors") == sorted(instances + ap_flows)
    classes = set(error["classification"] for error in celigo.scenario["errors"])
    assert sorted(name for name in listing if name.startswith("class_")) == sorted("class_%s" % name for name in classes)

    for flow_id in instances:
        source = scenarios.flow(celigo.scenario, flow_id)
        variables = hostvars[flow_id]
        assert variables["ansible_connection"] == "local"
        assert variables["incident_recovery_flow_ids"] == [flow_id]
        assert variables["flowops_connection"] == {"platform": "celigo", "api_url": celigo.url}
        flow = variables["flowops_flow"]
        assert (flow["id"], flow["name"], flow["disabled"], flow["abstract_flow_id"]) == (
            flow_id, source["name"], source["disabled"], source["_abstractFlowId"])
        assert flow["open_errors"] == len(scenarios.errors(celigo.scenario, flow_id)) == 4
        assert sum(flow["open_errors_by_classification"].values()) == 4
        assert sorted(flow["open_errors_by_step"]) == sorted(scenarios.step_ids(celigo.scenario, flow_id))
    for flow_id in ap_flows:
        variables = hostvars[flow_id]
        assert variables["flowops_api_token_env"] == "AP_TOKEN"
        assert variables["flowops_connection"] == {"platform": "activepieces", "api_url": activepieces.url,
                                                   "project_id": activepieces.project_id}
        assert variables["flowops_flow"]["platform"] == "activepieces"
        assert variables["flowops_flow"]["open_errors"] == 2

    # The token is nowhere: not in the output, the warnings or the cache.
    cached = [path.read_text() for path in cache.iterdir()]
    assert cached
    for token in (celigo.token, activepieces.token):
        assert token not in result.stdout + result.stderr
        assert all(token not in text for text in cached)


def test_inventory_recovery_on_the_flow_hosts_in_two_limit_halves_retries_every_key_once(celigo_emulator_factory, tmp_path):
    emulator = celigo_emulator_factory(scenarios.generate(
        instances=2, abstract_flows=2, steps=1, errors_per_step=3, retryable_share=1.0, fail_again_share=0.0,
        disabled_instances=0, classifications={"intermittent": 1}, seed=23), job_seconds=0.1)
    first_abstract, second_abstract = scenarios.abstract_flow_ids(emulator.scenario)
    keys = dict((abstract_id, set(key for flow_id in scenarios.instance_ids(emulator.scenario, abstract_id)
                                  for key in scenarios.retry_keys(emulator.scenario, flow_id)))
                for abstract_id in (first_abstract, second_abstract))
    assert all(keys.values())
    source = write_config(tmp_path / "flowops.yml", abstract_flow_id=[first_abstract, second_abstract],
                          errors_by_classification=False)
    reports = tmp_path / "reports"
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"inventory_recovery_run_id": "slice", "incident_recovery_rounds": 1,
                                 "incident_recovery_since": "2026-11-01T00:00:00Z", "incident_recovery_poll_interval": 0.2,
                                 "incident_recovery_report_dir": str(reports)}))
    env = playbook_env(tmp_path, emulator.url, emulator.token, STRICT)

    def recover(limit):
        return run(tmp_path, [str(BIN / "ansible-playbook"), "-i", str(source), str(ROOT / "playbooks" / "inventory_recovery.yml"),
                              "--limit", limit, "-e", "@%s" % extra], env)

    first = recover("flowops_abstract_%s" % first_abstract)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert set(posted_keys(emulator)) == keys[first_abstract]
    assert emulator.retry_counts == dict.fromkeys(keys[first_abstract], 1)

    second = recover("flowops_targets:!flowops_abstract_%s" % first_abstract)
    assert second.returncode == 0, second.stdout[-4000:] + second.stderr[-2000:]
    every_key = keys[first_abstract] | keys[second_abstract]
    assert sorted(posted_keys(emulator)) == sorted(every_key)  # each key sent in exactly one retry
    assert emulator.retry_counts == dict.fromkeys(every_key, 1)
    assert emulator.token not in first.stdout + second.stdout

    # One report per flow host, named after it: the halves wrote side by side.
    for flow_id in scenarios.instance_ids(emulator.scenario):
        report = json.loads((reports / ("incident-recovery-slice-%s.json" % flow_id)).read_text())
        assert report["retry"]["retried"] == report["retry"]["succeeded"] == 3
