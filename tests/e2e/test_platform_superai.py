"""The modules and the incident_recovery role on SuperAI (platform: superai) through real ansible-playbook runs
against the SuperAI emulator (strict: every request and response checked against superai-contract.json): failed and
stale flow executions are the errors, re-execute with only_stale=false is the retry, soft DELETE (backup required)
is the resolve; a bearer token or a service-account key (auth_header: x-api-key) authenticates."""

import json

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.superai.state import execution_ids, flow_ids, generate
from ansible_collections.flowops.ipaas.tests.playbook_env import ignoring_errors

ENV = {"FLOWOPS_PLATFORM": "superai"}
STEP = "executions"


def scenario():
    return generate(flows=3, executions=12, failed_share=0.5, stale_share=0.15, fail_again_share=0.3, seed=21)


@pytest.fixture
def emulator(superai_emulator_factory):
    return superai_emulator_factory(scenario(), run_seconds=0.2)


@pytest.fixture
def run(emulator, playbook_for):
    runner = playbook_for(emulator)
    return lambda tasks, env=None, **kwargs: runner.run(tasks, env=dict(ENV, **(env or {})), **kwargs)


def ids(handle, statuses, fail_again=None):
    return set(execution_ids(handle.scenario, statuses=statuses, fail_again=fail_again))


def all_flows(handle, **extra):
    return dict({"flow_ids": flow_ids(handle.scenario)}, **extra)


def test_flow_instance_info_reports_open_executions_per_flow(emulator, run):
    result = run([{"flowops.ipaas.flow_instance_info": all_flows(emulator)}])
    assert result.rc == 0, result.output
    info = result["r0"]
    assert [flow["name"] for flow in info["flows"]] == ["Invoice extraction %d" % n for n in (1, 2, 3)]
    for flow in info["flows"]:
        expected = len(execution_ids(emulator.scenario, flow["_id"], ["failed", "stale"]))
        assert [(step["_id"], step["open_errors"]) for step in flow["steps"]] == [(STEP, expected)]
        assert flow["open_errors"] == expected and flow["disabled"] is False
    assert info["summary"]["open_errors"] == len(ids(emulator, ["failed", "stale"]))
    assert emulator.non_get_requests() == []


def test_a_time_window_is_filtered_on_the_server_and_rechecked(emulator, run):
    rows = sorted((e for e in emulator.scenario["executions"] if e["status"] in ("failed", "stale")), key=lambda e: e["updated_at"])
    after, before = rows[2]["updated_at"], rows[-3]["updated_at"]
    result = run([{"flowops.ipaas.flow_errors_info": all_flows(emulator, occurred_after=after, occurred_before=before)}])
    assert result.rc == 0, result.output
    assert {e["retryDataKey"] for e in result["r0"]["errors"]} == {e["id"] for e in rows if after <= e["updated_at"] < before}
    filtered = [entry["query"] for entry in emulator.requests if "updated_after" in entry["query"]]
    assert filtered and all(query["updated_before"] for query in filtered)  # the error listings; the counts are unfiltered


def test_flow_errors_info_lists_failed_and_stale_executions_and_filters(emulator, run):
    failed, stale = ids(emulator, ["failed"]), ids(emulator, ["stale"])
    one = sorted(failed)[0]
    result = run([
        {"flowops.ipaas.flow_errors_info": all_flows(emulator)},
        {"flowops.ipaas.flow_errors_info": all_flows(emulator, classifications=["intermittent"])},
        {"flowops.ipaas.flow_errors_info": all_flows(emulator, codes=["stale"], max_records=0)},
        {"flowops.ipaas.flow_errors_info": all_flows(emulator, retry_data_keys=[one])},
    ])
    assert result.rc == 0, result.output
    everything, intermittent, only_stale, single = (result["r%d" % n] for n in range(4))
    assert everything["total"] == len(failed | stale)
    assert everything["summary"]["by_classification"] == {"intermittent": len(failed), "stale": len(stale)}
    assert everything["summary"]["retryable"] == len(failed | stale)
    assert {error["retryDataKey"] for error in intermittent["errors"]} == failed
    assert {error["code"] for error in intermittent["errors"]} == {"failed"}
    assert (only_stale["total"], only_stale["errors"]) == (len(stale), [])
    assert [(e["retryDataKey"], e["errorId"].split("@")[0], e["_stepId"]) for e in single["errors"]] == [(one, one, STEP)]
    assert not ids(emulator, ["deleted"]) & {e["retryDataKey"] for e in everything["errors"]}


def test_retry_in_check_mode_sends_nothing(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_retry": all_flows(emulator, classifications=["intermittent"])}], check=True)
    assert result.rc == 0, result.output
    assert result["r0"]["changed"] is True
    assert result["r0"]["counts"]["retried"] == len(ids(emulator, ["failed"]))
    assert emulator.non_get_requests() == []
    assert emulator.execute_calls == {}


def test_retry_re_executes_each_failed_execution_once_and_a_rerun_sends_nothing(superai_emulator_factory, playbook_for):
    slow = superai_emulator_factory(scenario(), run_seconds=60)  # the runs stay in flight during the rerun
    runner = playbook_for(slow)
    task = {"flowops.ipaas.flow_errors_retry": all_flows(slow, classifications=["intermittent"])}
    result = runner.run([task], env=ENV)
    assert result.rc == 0, result.output
    failed = ids(slow, ["failed"])
    assert result["r0"]["changed"] is True and result["r0"]["counts"]["retried"] == len(failed)
    assert slow.execute_calls == {key: [False] for key in failed}  # strategy retry: the whole flow again
    assert {job["_id"] for job in result["r0"]["jobs"]} == failed
    writes = slow.non_get_requests()
    assert {(entry["method"], entry["path"].rsplit("/", 1)[1]) for entry in writes} == {("POST", "execute")}
    assert all(entry["query"] == {"only_stale": "false"} for entry in writes)
    assert slow.rejected_writes() == []

    slow.clear_requests()
    again = runner.run([task], env=ENV)
    assert again.rc == 0, again.output
    assert again["r0"]["changed"] is False and again["r0"]["counts"]["selected"] == 0
    assert slow.non_get_requests() == []


def test_retry_with_wait_reconciles_each_execution_and_reruns_unchanged(emulator, run, tmp_path):
    report = tmp_path / "retry.json"
    result = run([{"flowops.ipaas.flow_errors_retry": all_flows(
        emulator, classifications=["intermittent"], wait=True, poll_interval=0.2, report_file=str(report))}])
    assert result.rc == 0, result.output
    retry = result["r0"]
    failed, flaky = ids(emulator, ["failed"]), ids(emulator, ["failed"], fail_again=True)
    assert flaky and flaky < failed
    assert set(retry["failed_again_keys"]) == flaky
    assert (retry["counts"]["succeeded"], retry["counts"]["pending"]) == (len(failed - flaky), 0)
    statuses = emulator.statuses()
    assert {key for key in failed if statuses[key] == "completed"} == failed - flaky
    assert {k["retryDataKey"] for k in json.loads(report.read_text())["keys"] if k["outcome"] == "failed_again"} == flaky
    assert emulator.rejected_writes() == []

    emulator.clear_requests()
    again = run([{"flowops.ipaas.flow_errors_retry": all_flows(emulator, retry_data_keys=sorted(failed - flaky))}])
    assert again.rc == 0, again.output
    assert again["r0"]["changed"] is False
    assert emulator.non_get_requests() == []


def test_a_409_fails_that_execution_in_one_line_and_the_others_are_retried(emulator, run):
    flow = flow_ids(emulator.scenario)[0]
    body = '{"error":{"message":"Workflow is currently running and cannot be terminated","code":"conflict"},"request_id":"01K8"}'
    emulator.configure(faults=[{"method": "POST", "path": "/execute$", "action": "raw", "status": 409, "body": body}])
    result = run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": [flow], "classifications": ["intermittent"]}}])
    assert result.rc != 0
    failed = set(execution_ids(emulator.scenario, flow, ["failed"]))
    counts = result["r0"]["counts"]
    assert (counts["failed"], counts["retried"]) == (1, len(failed) - 1)
    refused = (failed - set(emulator.execute_calls)).pop()
    assert result["r0"]["msg"].endswith("HTTP 409 [conflict] execution %s is running and SuperAI cannot terminate it; "
                                        "let it finish, then rerun" % refused)
    assert "\n" not in result["r0"]["msg"]


def test_resolve_soft_deletes_failed_executions_with_a_backup_and_reruns_unchanged(emulator, run, tmp_path):
    backup = tmp_path / "backup.jsonl"
    failed = ids(emulator, ["failed"])
    options = all_flows(emulator, codes=["failed"], backup=True, backup_file=str(backup), backup_retry_data=True)
    task = {"flowops.ipaas.flow_errors_resolve": options}
    result = run([task, {"flowops.ipaas.flow_errors_info": all_flows(emulator)}])
    assert result.rc == 0, result.output
    assert result["r0"]["changed"] is True and result["r0"]["counts"]["resolved"] == len(failed)
    assert emulator.delete_calls == {key: 1 for key in failed}
    assert emulator.cancel_calls == {}  # cancel is for running executions; it is never sent
    assert all(status == "deleted" for key, status in emulator.statuses().items() if key in failed)
    assert emulator.rejected_writes() == []
    saved = [json.loads(line) for line in backup.read_text().splitlines()]
    assert sorted(r["retryDataKey"] for r in saved) == sorted(failed)
    assert all(r["code"] == "failed" and r["retryData"]["input"]["file_key"] for r in saved)
    assert not failed & {error["retryDataKey"] for error in result["r1"]["errors"]}  # gone from the listing
    assert result["r1"]["total"] == len(ids(emulator, ["stale"]))

    emulator.clear_requests()
    again = run([task])
    assert again.rc == 0, again.output
    assert again["r0"]["changed"] is False and again["r0"]["counts"]["selected"] == 0
    assert emulator.non_get_requests() == []


def test_resolve_without_a_backup_fails_in_one_line_naming_backup_and_sends_nothing(emulator, run):
    task = {"flowops.ipaas.flow_errors_resolve": all_flows(emulator, codes=["failed"])}
    result = run([dict(task, ignore_errors=True)])
    assert result.rc == 0, result.output
    message = result["r0"]["msg"]
    assert result["r0"]["failed"] is True and "\n" not in message
    assert message == ("backup: platform 'superai' deletes resolved items for good (soft DELETE: no undelete); "
                       "set backup: true so a copy is kept first")
    assert emulator.requests == []

    preview = run([task], check=True)  # check mode writes nothing, so it needs no backup
    assert preview.rc == 0, preview.output
    assert preview["r0"]["changed"] is True and preview["r0"]["counts"]["resolved"] == len(ids(emulator, ["failed"]))
    assert emulator.non_get_requests() == []


def test_a_service_account_key_works_with_auth_header_x_api_key(emulator, run):
    key = sorted(ids(emulator, ["failed"], fail_again=False))[0]
    env = {"FLOWOPS_AUTH_HEADER": "x-api-key"}
    tasks = [{"flowops.ipaas.flow_errors_info": all_flows(emulator, max_records=0)},
             {"flowops.ipaas.flow_errors_retry": all_flows(emulator, retry_data_keys=[key], wait=True, poll_interval=0.2)}]
    result = run(tasks, token=emulator.api_key, env=env)
    assert result.rc == 0, result.output
    assert result["r0"]["total"] == len(ids(emulator, ["failed", "stale"]))
    assert result["r1"]["counts"]["succeeded"] == 1 and emulator.execute_calls == {key: [False]}
    assert emulator.rejected_writes() == []
    refused = run([dict(tasks[0], ignore_errors=True)], token=emulator.token, env=env)  # a JWT is not a key
    assert "HTTP 401 [unauthorized] Invalid authentication token" in refused["r0"]["msg"]


def test_another_platform_refuses_x_api_key_in_one_line(emulator, run):
    tasks = [{"flowops.ipaas.flow_instance_info": {"flow_ids": ["6a0fc7eb7202049b32ea45b1"]}, "ignore_errors": True}]
    result = run(tasks, env={"FLOWOPS_PLATFORM": "celigo", "FLOWOPS_AUTH_HEADER": "x-api-key"})
    assert result.rc == 0, result.output
    message = result["r0"]["msg"]
    assert result["r0"]["failed"] is True and "\n" not in message
    assert message == "auth_header: platform 'celigo' takes only bearer, not 'x-api-key'"
    assert emulator.requests == []


def test_what_superai_cannot_do_fails_in_one_line_before_any_request(emulator, run):
    flows = flow_ids(emulator.scenario)
    tasks = [
        {"flowops.ipaas.flow_connection_replace": {"flow_ids": flows, "connection_map": {"a": "b"}}},
        {"flowops.ipaas.flow_errors_retry": {"flow_ids": flows, "strategy": "exponential_decay"}},
        {"flowops.ipaas.flow_errors_info": {"abstract_flow_id": ["a1"]}},
        {"flowops.ipaas.flow_instance_info": {"integration_id": "i1"}},
        {"flowops.ipaas.flow_errors_resolve": {"flow_ids": flows, "batch_size": 10, "backup": True}},
        {"flowops.ipaas.flow_errors_retry": {"flow_ids": flows, "strategy": "latest_version"}},
        {"flowops.ipaas.flow_errors_info": {"flow_ids": flows, "resolved": True}},
    ]
    result = run(ignoring_errors(tasks))
    assert result.rc == 0, result.output
    messages = result.failure_messages(len(tasks))
    assert messages[0].startswith("platform 'superai' does not support flow_connection_replace; ")
    assert messages[1] == "platform 'superai' does not support strategy 'exponential_decay'; use one of retry"
    assert messages[2].startswith("platform 'superai' does not support abstract_flow_id; ")
    assert messages[3].startswith("platform 'superai' does not support integration_id; ")
    assert messages[4] == "batch_size: 10 is out of range; use a value between 1 and 1 (the API takes at most 1 a call)"
    assert messages[5] == "platform 'superai' does not support strategy 'latest_version'; use one of retry"
    assert messages[6].startswith("platform 'superai' does not support resolved; resolve soft-deletes executions")
    assert all("\n" not in message for message in messages)
    assert emulator.requests == []


def test_incident_recovery_role_recovers_failed_executions_and_reruns_unchanged(emulator, playbook_for, tmp_path):
    runner = playbook_for(emulator)
    reports = tmp_path / "reports"

    def recover(run_id):
        variables = {"incident_recovery_flow_ids": flow_ids(emulator.scenario), "incident_recovery_poll_interval": 0.2,
                     "incident_recovery_report_dir": str(reports), "incident_recovery_run_id": run_id}
        return runner.run_playbook("incident_recovery.yml", variables, env=ENV)

    first = recover("first")
    assert first.rc == 0, first.output
    report = json.loads((reports / "incident-recovery-first.json").read_text())
    assert report["left_open"]["retryable_on_enabled_flows"] == 0
    assert report["retry"]["still_failing"] == 0 and report["retry"]["pending"] == 0
    failed, flaky = ids(emulator, ["failed"]), ids(emulator, ["failed"], fail_again=True)
    calls = emulator.execute_calls
    assert flaky and "Retried: %d keys in 2 round(s)" % len(failed) in first.stdout
    assert set(calls) == failed  # stale executions (classification stale) are left out of the default selection
    assert all(len(calls[key]) == (2 if key in flaky else 1) for key in failed)
    assert report["left_open"]["by_classification"] == {"stale": len(ids(emulator, ["stale"]))}

    assert emulator.rejected_writes() == []

    emulator.clear_requests()
    second = recover("second")
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert emulator.non_get_requests() == []
