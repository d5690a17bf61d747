"""The modules and the incident_recovery role on Cloudflare Workflows, through real ansible-playbook runs."""

import json

import pytest

from emulator import cloudflare_state as cf

MIX = {"intermittent": 4, "rate_limit": 2, "value": 2, "duplicate": 1}
RETRIED = ("intermittent", "rate_limit")


@pytest.fixture
def emulator(cloudflare_emulator_factory):
    scenario = cf.generate(workflows=2, instances=30, errored_share=0.5, classifications=MIX, fail_again_share=0.25, seed=7)
    # Small pages so every listing follows the cursor.
    return cloudflare_emulator_factory(scenario, page_size=7, run_seconds=0.2)


@pytest.fixture
def run(emulator, playbook_for):
    runner = playbook_for(emulator)
    env = {"FLOWOPS_PLATFORM": "cloudflare", "FLOWOPS_ACCOUNT_ID": emulator.account_id}
    return lambda tasks, **kwargs: runner.run(tasks, env=dict(env, **kwargs.pop("env", {})), **kwargs)


def names(emulator):
    return cf.workflow_names(emulator.scenario)


def keys_of(emulator, classifications):
    return {item["id"] for item in cf.errored(emulator.scenario) if item["classification"] in classifications}


def fail_again_keys(emulator, classifications=RETRIED):
    return {item["id"] for item in cf.errored(emulator.scenario) if item["classification"] in classifications and item["fail_again"]}


def test_instance_info_counts_errored_instances_per_workflow(emulator, run):
    result = run([{"flowops.ipaas.flow_instance_info": {"flow_ids": names(emulator)}},
                  {"flowops.ipaas.flow_instance_info": {"integration_id": "orders-worker-1", "include_steps": False}}])
    assert result.rc == 0, result.output
    flows = {flow["_id"]: flow for flow in result["r0"]["flows"]}
    for name in names(emulator):
        assert flows[name]["open_errors"] == len(cf.errored(emulator.scenario, name))
        assert [step["_id"] for step in flows[name]["steps"]] == ["instances"]
    assert result["r0"]["summary"]["open_errors"] == len(cf.errored(emulator.scenario))
    assert sorted(flow["_id"] for flow in result["r1"]["flows"]) == sorted(names(emulator))
    assert emulator.non_get_requests() == []


def test_errors_info_lists_every_errored_instance_and_filters(emulator, run):
    all_errored = cf.errored(emulator.scenario)
    middle = sorted(item["ended_on"] for item in all_errored)[len(all_errored) // 2]
    result = run([{"flowops.ipaas.flow_errors_info": {"flow_ids": names(emulator), "max_records": 1000}},
                  {"flowops.ipaas.flow_errors_info": {"flow_ids": names(emulator), "classifications": ["rate_limit"]}},
                  {"flowops.ipaas.flow_errors_info": {"flow_ids": names(emulator), "occurred_after": middle}}])
    assert result.rc == 0, result.output
    records = result["r0"]["errors"]
    assert {(r["retryDataKey"], r["classification"]) for r in records} == {(i["id"], i["classification"]) for i in all_errored}
    assert all(r["errorId"] == "%s@%s" % (r["retryDataKey"], r["occurredAt"]) for r in records)
    assert result["r0"]["summary"]["by_classification"] == {name: len(keys_of(emulator, (name,))) for name in MIX}
    assert {r["retryDataKey"] for r in result["r1"]["errors"]} == keys_of(emulator, ("rate_limit",))
    assert result["r2"]["total"] == sum(1 for item in all_errored if item["ended_on"] >= middle)
    cursors = [entry for entry in emulator.requests if entry["query"].get("cursor")]
    assert cursors, "the listings were expected to follow result_info.cursor"


def test_retry_check_mode_sends_no_write(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": names(emulator), "classifications": list(RETRIED)}}],
                 check=True)
    assert result.rc == 0, result.output
    assert result["r0"]["changed"] is True
    assert result["r0"]["counts"]["retried"] == len(keys_of(emulator, RETRIED))
    assert emulator.non_get_requests() == []


def test_retry_restarts_each_instance_once_reconciles_and_reruns_unchanged(emulator, run, tmp_path):
    emulator.configure(rate_limit_every=9, retry_after=0)  # 429s on the way are re-sent, never double-applied
    report = tmp_path / "retry.json"
    task = {"flow_ids": names(emulator), "classifications": list(RETRIED), "wait": True, "poll_interval": 0.2,
            "run_id": "cf-1", "report_file": str(report)}
    result = run([{"flowops.ipaas.flow_errors_retry": task}])
    assert result.rc == 0, result.output
    expected, again = keys_of(emulator, RETRIED), fail_again_keys(emulator)
    assert set(emulator.restart_counts) == expected and set(emulator.restart_counts.values()) == {1}
    counts = result["r0"]["counts"]
    assert set(result["r0"]["failed_again_keys"]) == again
    assert (counts["retried"], counts["succeeded"], counts["pending"]) == (len(expected), len(expected) - len(again), 0)
    assert {job["_id"].split("/")[1] for job in result["r0"]["jobs"]} == expected
    saved = json.loads(report.read_text())["keys"]
    assert {k["retryDataKey"] for k in saved if k["outcome"] == "succeeded"} == expected - again

    emulator.configure(rate_limit_every=0)
    emulator.clear_requests()
    rerun = run([{"flowops.ipaas.flow_errors_retry": task}])
    assert rerun.rc == 0, rerun.output
    assert rerun["r0"]["changed"] is False
    assert rerun["r0"]["counts"]["already_done"] == len(again), rerun["r0"]["counts"]  # errored again, but this run restarted them
    assert emulator.non_get_requests() == []
    assert set(emulator.restart_counts.values()) == {1}


def test_resolve_terminates_the_selection_and_reruns_unchanged(emulator, run, tmp_path):
    task = {"flow_ids": names(emulator), "classifications": ["duplicate"], "backup": True,
            "backup_file": str(tmp_path / "backup.jsonl")}
    result = run([{"flowops.ipaas.flow_errors_resolve": task},
                  {"flowops.ipaas.flow_errors_info": {"flow_ids": names(emulator), "resolved": True, "classifications": ["duplicate"]}}])
    assert result.rc == 0, result.output
    duplicates = keys_of(emulator, ("duplicate",))
    assert result["r0"]["counts"]["resolved"] == len(duplicates)
    assert set(emulator.terminate_counts) == duplicates
    assert {r["retryDataKey"] for r in result["r1"]["errors"]} == duplicates
    backup = [json.loads(line) for line in (tmp_path / "backup.jsonl").read_text().splitlines()]
    assert {item["retryDataKey"] for item in backup} == duplicates
    emulator.clear_requests()
    rerun = run([{"flowops.ipaas.flow_errors_resolve": dict(task, backup=False)}])
    assert rerun.rc == 0, rerun.output
    assert rerun["r0"]["changed"] is False
    assert emulator.non_get_requests() == []


@pytest.mark.parametrize("module, options, expected", [
    ("flow_connection_replace", {"connection_map": {"a": "b"}}, "platform 'cloudflare' does not support flow_connection_replace"),
    ("flow_errors_retry", {"strategy": "exponential_decay"}, "platform 'cloudflare' does not support strategy 'exponential_decay'"),
    ("flow_errors_retry", {"strategy": "latest_version"}, "platform 'cloudflare' does not support strategy 'latest_version'"),
    ("flow_errors_info", {"abstract_flow_id": ["x"], "flow_ids": []}, "platform 'cloudflare' does not support abstract_flow_id"),
    ("flow_errors_retry", {"batch_size": 2}, "batch_size: 2 is out of range; use a value between 1 and 1"),
])
def test_unsupported_fails_in_one_line_before_any_request(emulator, run, module, options, expected):
    result = run([{"flowops.ipaas.%s" % module: dict({"flow_ids": names(emulator)}, **options)}])
    assert result.rc != 0
    message = result["r0"]["msg"]
    assert message.startswith(expected) and "\n" not in message
    assert emulator.requests == []


def test_missing_account_id_fails_naming_it_before_any_request(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_info": {"flow_ids": names(emulator)}}], env={"FLOWOPS_ACCOUNT_ID": ""})
    assert result.rc != 0
    assert result["r0"]["msg"].startswith("account_id:") and "cloudflare" in result["r0"]["msg"]
    assert emulator.requests == []


def test_incident_recovery_role_leaves_nothing_retryable_open_and_reruns_unchanged(emulator, playbook_for, tmp_path):
    runner = playbook_for(emulator)
    env = {"FLOWOPS_PLATFORM": "cloudflare", "FLOWOPS_ACCOUNT_ID": emulator.account_id}
    reports = tmp_path / "reports"

    def variables(run_id):
        return {"incident_recovery_flow_ids": names(emulator), "incident_recovery_resolve_classifications": ["duplicate"],
                "incident_recovery_poll_interval": 0.2, "incident_recovery_report_dir": str(reports),
                "incident_recovery_run_id": run_id}

    first = runner.run_playbook("incident_recovery.yml", variables("first"), env=env)
    assert first.rc == 0, first.output
    report = json.loads((reports / "incident-recovery-first.json").read_text())
    assert report["left_open"]["retryable_on_enabled_flows"] == 0
    assert report["retry"]["still_failing"] == 0
    again = fail_again_keys(emulator)
    assert emulator.restart_counts == {key: 2 if key in again else 1 for key in keys_of(emulator, RETRIED)}
    assert set(emulator.terminate_counts) == keys_of(emulator, ("duplicate",))
    open_now = {key for name in names(emulator) for key, status in emulator.state.statuses(name).items() if status == "errored"}
    assert open_now == keys_of(emulator, ("value",))

    emulator.clear_requests()
    second = runner.run_playbook("incident_recovery.yml", variables("second"), env=env)
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert emulator.non_get_requests() == []
