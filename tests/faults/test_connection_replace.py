"""Case 13: flow_connection_replace is idempotent, and a failure half-way leaves a report of what was done."""

import json

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import assert_clean_failure, logged, small_scenario, task


def _setup(celigo_emulator_factory, faults=()):
    scenario = small_scenario(instances=4, steps=2, errors=1)
    connections = scenarios.connection_ids(scenario)
    emulator = celigo_emulator_factory(scenario, faults=list(faults))
    options = {"abstract_flow_id": scenarios.abstract_flow_ids(scenario),
               "connection_map": {connections["sandbox"]: connections["production"]}, "max_concurrency": 1}
    return scenario, connections, emulator, options


def test_second_run_reports_no_change_and_sends_no_write(celigo_emulator_factory, playbook):
    scenario, connections, emulator, options = _setup(celigo_emulator_factory)
    outcome = playbook(emulator.url, emulator.token).run([
        task("flow_connection_replace", "first", **options),
        task("flow_connection_replace", "second", **options),
    ])
    assert outcome.rc == 0, outcome.output[-3000:]
    assert outcome["first"]["changed"] is True and outcome["first"]["counts"]["changed"] == 4
    assert outcome["second"]["changed"] is False
    assert outcome["second"]["counts"] == {"selected": 4, "changed": 0, "unchanged": 4, "failed": 0}
    puts = logged(emulator, "PUT", "/replaceConnection$")
    assert len(puts) == 4 and len({entry["path"] for entry in puts}) == 4
    overrides = emulator.state.summary()["connection_overrides"]
    assert sorted(overrides) == sorted(scenarios.instance_ids(scenario))
    assert all(item == {connections["sandbox"]: connections["production"]} for item in overrides.values())


def test_failure_half_way_leaves_a_report_of_the_flows_done_and_a_rerun_finishes(celigo_emulator_factory, playbook,
                                                                                 tmp_path):
    scenario = small_scenario(instances=4, steps=2, errors=1)
    broken = scenarios.instance_ids(scenario)[2]
    _scenario, connections, emulator, options = _setup(celigo_emulator_factory, [
        {"method": "PUT", "path": "^/v1/flows/%s/replaceConnection$" % broken, "action": "status", "status": 422,
         "body": "The flow is running; try again when it has finished.", "times": 1}])
    report = tmp_path / "replace.json"
    outcome = playbook(emulator.url, emulator.token).run([
        task("flow_connection_replace", "first", ignore_errors=True, report_file=str(report), **options),
    ])
    first = outcome["first"]
    assert_clean_failure(first)
    assert first["msg"].startswith("changed 3 of 4 flows; 1 failed, first %s" % broken), first["msg"]
    assert "The flow is running" in first["msg"]

    written = json.loads(report.read_text())
    assert written["counts"] == {"selected": 4, "changed": 3, "unchanged": 0, "failed": 1}
    by_flow = {flow["_id"]: flow for flow in written["flows"]}
    assert sorted(by_flow) == sorted(scenarios.instance_ids(scenario))
    assert "The flow is running" in by_flow[broken]["error"] and by_flow[broken]["replaced"] == []
    done = sorted(flow_id for flow_id, flow in by_flow.items() if flow["changed"] and not flow.get("error"))
    # the report agrees with the server
    assert done == sorted(emulator.state.summary()["connection_overrides"])
    assert broken not in done and len(done) == 3

    emulator.clear_requests()
    again = playbook(emulator.url, emulator.token).run([
        task("flow_connection_replace", "second", report_file=str(report), **options)])
    assert again.rc == 0, again.output[-3000:]
    assert again["second"]["counts"] == {"selected": 4, "changed": 1, "unchanged": 3, "failed": 0}
    assert [entry["path"] for entry in logged(emulator, "PUT")] == ["/v1/flows/%s/replaceConnection" % broken]
    assert len(emulator.state.summary()["connection_overrides"]) == 4
    assert connections["sandbox"] in json.dumps(json.loads(report.read_text())["connection_map"])
