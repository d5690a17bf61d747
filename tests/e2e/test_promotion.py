"""flow_connection_replace and the environment_promotion role through real ansible-playbook."""

import json

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios


@pytest.fixture
def emulator(celigo_emulator_factory):
    return celigo_emulator_factory(scenarios.generate(instances=40, steps=2, errors_per_step=1, seed=5), flow_page_size=15)


def connections(emulator):
    by_name = {c["name"]: c["_id"] for c in emulator.scenario["connections"]}
    return by_name["HTTP sandbox"], by_name["HTTP production"], by_name["NetSuite production"]


def used_connections(emulator, flow_id):
    return {resource["_connectionId"] for kind in ("exports", "imports")
            for resource in emulator.state.descendants(flow_id)[kind]}


def test_promotion_playbook_moves_40_instances_reports_every_flow_and_reruns_unchanged(emulator, playbook_for, tmp_path):
    sandbox, production = connections(emulator)[:2]
    abstract = scenarios.abstract_flow_ids(emulator.scenario)[0]
    extra = {"environment_promotion_abstract_flow_ids": [abstract],
             "environment_promotion_connection_map": {sandbox: production},
             "environment_promotion_report_dir": str(tmp_path / "reports"),
             "environment_promotion_run_id": "first",
             "environment_promotion_smoke_flow_ids": [scenarios.instance_ids(emulator.scenario)[0]]}
    runner = playbook_for(emulator)
    first = runner.run_playbook("environment_promotion.yml", extra)
    assert first.rc == 0, first.output
    instances = scenarios.instance_ids(emulator.scenario)
    assert all(sandbox not in used_connections(emulator, flow) and production in used_connections(emulator, flow)
               for flow in instances)
    report = json.loads((tmp_path / "reports" / "environment-promotion-first.json").read_text())
    assert sorted(f["_id"] for f in report["flows"]) == sorted(instances)
    assert report["counts"]["changed"] == 40
    assert [run["_flowId"] for run in report["smoke_runs"]] == [instances[0]]
    assert [r["path"] for r in emulator.non_get_requests() if r["path"].endswith("/run")] == ["/v1/flows/%s/run" % instances[0]]
    markdown = (tmp_path / "reports" / "environment-promotion-first.md").read_text()
    assert all(flow in markdown for flow in instances)

    emulator.clear_requests()
    rerun = dict(extra, environment_promotion_run_id="second", environment_promotion_smoke_flow_ids=[])
    second = runner.run_playbook("environment_promotion.yml", rerun)
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert emulator.non_get_requests() == []


def test_type_mismatch_stops_everything_before_the_first_write(emulator, playbook_for):
    sandbox, netsuite = connections(emulator)[0], connections(emulator)[2]
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_connection_replace": {
        "abstract_flow_id": scenarios.abstract_flow_ids(emulator.scenario)[0], "connection_map": {sandbox: netsuite}}}])
    assert result.rc != 0
    message = result["r0"]["msg"]
    assert sandbox in message and netsuite in message and "type http" in message and "type netsuite" in message
    assert emulator.non_get_requests() == []


def test_check_mode_writes_nothing_and_diff_shows_steps(emulator, playbook_for):
    sandbox, production = connections(emulator)[:2]
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_connection_replace": {
        "abstract_flow_id": scenarios.abstract_flow_ids(emulator.scenario)[0], "connection_map": {sandbox: production}}}],
        check=True, diff=True)
    assert result.rc == 0, result.output
    assert emulator.non_get_requests() == []
    assert result["r0"]["changed"] is True
    flow = scenarios.instance_ids(emulator.scenario)[0]
    assert set(result["r0"]["diff"]["after"][flow].values()) == {production}


def test_role_argument_spec_rejects_a_malformed_map(emulator, playbook_for):
    result = playbook_for(emulator).run_playbook("environment_promotion.yml", {
        "environment_promotion_abstract_flow_ids": ["x"], "environment_promotion_connection_map": ["not", "a", "map"]})
    assert result.rc != 0
    assert "environment_promotion_connection_map" in result.output
    assert emulator.requests == []


def test_failing_instance_is_reported_while_the_others_complete_and_rerun_finishes(emulator, playbook_for, tmp_path):
    sandbox, production = connections(emulator)[:2]
    victim = scenarios.instance_ids(emulator.scenario)[3]
    emulator.configure(faults=[{"method": "PUT", "path": "/v1/flows/%s/replaceConnection" % victim, "action": "status",
                                "status": 500, "times": 1}])
    report = tmp_path / "replace.json"
    task = {"flowops.ipaas.flow_connection_replace": {"abstract_flow_id": scenarios.abstract_flow_ids(emulator.scenario)[0],
                                                      "connection_map": {sandbox: production}, "report_file": str(report)}}
    runner = playbook_for(emulator)
    first = runner.run([task])
    assert first.rc != 0
    assert "changed 39 of 40 flows; 1 failed, first %s" % victim in first["r0"]["msg"]
    flows = {f["_id"]: f for f in json.loads(report.read_text())["flows"]}
    assert "error" in flows[victim] and sum(1 for f in flows.values() if "error" not in f) == 39
    second = runner.run([task])
    assert second.rc == 0, second.output
    assert second["r0"]["counts"] == {"selected": 40, "changed": 1, "unchanged": 39, "failed": 0}


def test_promotion_takes_ids_as_text_and_fails_naming_the_variable_on_an_unknown_one(emulator, playbook_for, tmp_path):
    """environment_promotion as an AWX survey fills it: a textarea of abstract flow ids (dry run), and an id that
    finds no flow stops the play in one line naming the variable before any write, unless allowed."""
    sandbox, production = connections(emulator)[:2]
    runner = playbook_for(emulator)
    common = {"environment_promotion_connection_map": {sandbox: production},
              "environment_promotion_report_dir": str(tmp_path / "reports")}
    text = runner.run_playbook("environment_promotion.yml", dict(common, environment_promotion_abstract_flow_ids="\n%s\n"
                                                                 % scenarios.abstract_flow_ids(emulator.scenario)[0]), check=True)
    assert text.rc == 0, text.output
    bogus = "6a0fc7eb7202049b32ea45ff"
    unknown = runner.run_playbook("environment_promotion.yml", dict(common, environment_promotion_abstract_flow_ids=bogus))
    assert unknown.rc != 0
    assert "environment_promotion_abstract_flow_ids: abstract flow %s has no flows" % bogus in unknown.stdout
    allowed = runner.run_playbook("environment_promotion.yml", dict(common, environment_promotion_abstract_flow_ids=bogus,
                                                                    environment_promotion_allow_empty=True), check=True)
    assert allowed.rc == 0, allowed.output
    assert emulator.non_get_requests() == []
