"""Every module and the incident_recovery role on platform activepieces, through real ansible-playbook."""

import json

import pytest

from emulator import activepieces_state as ap

# The classification the adapter gives each kind of failure the generator makes (docs/platforms/activepieces.md).
KIND_CLASSIFICATION = {"timeout": "intermittent", "internal_error": "intermittent", "connection_reset": "intermittent",
                       "quota": "rate_limit", "rate_limit": "rate_limit", "value": "value", "duplicate": "duplicate"}
RETRIED = ("intermittent", "rate_limit")


@pytest.fixture
def emulator(activepieces_emulator_factory):
    scenario = ap.generate(flows=4, disabled=1, failed_runs=12, succeeded_runs=3, fail_again_share=0.25, seed=31)
    return activepieces_emulator_factory(scenario, run_seconds=0.2)


def env_for(emulator, **extra):
    return dict({"FLOWOPS_PLATFORM": "activepieces", "FLOWOPS_PROJECT_ID": emulator.project_id}, **extra)


@pytest.fixture
def run(emulator, playbook_for):
    runner = playbook_for(emulator)
    return lambda tasks, **kwargs: runner.run(tasks, env=env_for(emulator), **kwargs)


def failed_runs(emulator, classifications=None, enabled_only=False):
    disabled = set(ap.flow_ids(emulator.scenario, disabled=True))
    return [r for r in emulator.scenario["runs"] if r.get("kind")
            and (classifications is None or KIND_CLASSIFICATION[r["kind"]] in classifications)
            and not (enabled_only and r["flowId"] in disabled)]


def test_flow_instance_info_lists_the_projects_flows_with_open_errors(emulator, run):
    result = run([{"flowops.ipaas.flow_instance_info": {"integration_id": emulator.project_id}},
                  {"flowops.ipaas.flow_instance_info": {"flow_ids": ap.flow_ids(emulator.scenario)[:1]}}])
    assert result.rc == 0, result.output
    flows = result["r0"]["flows"]
    assert [flow["_id"] for flow in flows] == ap.flow_ids(emulator.scenario)
    assert [flow["disabled"] for flow in flows] == [False, False, False, True]
    assert all(flow["open_errors"] == 12 for flow in flows)
    assert flows[0]["steps"] == [{"_id": "flow_run", "name": "Flow runs", "type": "run", "open_errors": 12,
                                  "last_error_at": max(r["created"] for r in failed_runs(emulator) if r["flowId"] == flows[0]["_id"])}]
    assert result["r0"]["summary"]["open_errors"] == 48
    assert [flow["name"] for flow in result["r1"]["flows"]] == ["Order sync 01"]
    assert emulator.non_get_requests() == []


def test_flow_errors_info_summarises_and_filters(emulator, run):
    step_1 = [r for r in failed_runs(emulator) if r.get("failedStepName") == "step_1"]
    result = run([{"flowops.ipaas.flow_errors_info": {"flow_ids": ap.flow_ids(emulator.scenario)}},
                  {"flowops.ipaas.flow_errors_info": {"flow_ids": ap.flow_ids(emulator.scenario), "classifications": ["rate_limit"]}},
                  {"flowops.ipaas.flow_errors_info": {"flow_ids": ap.flow_ids(emulator.scenario), "sources": ["step_1"]}}])
    assert result.rc == 0, result.output
    everything = result["r0"]
    assert everything["total"] == 48 and everything["summary"]["retryable"] == 48
    expected = {}
    for failed in failed_runs(emulator):
        expected[KIND_CLASSIFICATION[failed["kind"]]] = expected.get(KIND_CLASSIFICATION[failed["kind"]], 0) + 1
    assert everything["summary"]["by_classification"] == expected
    assert {e["errorId"] for e in result["r1"]["errors"]} == {r["id"] for r in failed_runs(emulator, ["rate_limit"])}
    assert {e["errorId"] for e in result["r2"]["errors"]} == {r["id"] for r in step_1}
    assert all(e["code"] in ap.FAILED for e in everything["errors"])


def test_retry_check_mode_sends_no_write(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": ap.flow_ids(emulator.scenario), "classifications": list(RETRIED),
                                                       "skip_disabled": True}}], check=True)
    assert result.rc == 0, result.output
    assert emulator.non_get_requests() == []
    assert result["r0"]["changed"] is True
    assert result["r0"]["counts"]["retried"] == len(failed_runs(emulator, RETRIED, enabled_only=True))


def test_retry_waits_reconciles_retries_what_failed_again_and_reruns_unchanged(emulator, run, tmp_path):
    selection = {"flow_ids": ap.flow_ids(emulator.scenario), "classifications": list(RETRIED), "skip_disabled": True,
                 "wait": True, "poll_interval": 0.2}
    expected = {r["id"] for r in failed_runs(emulator, RETRIED, enabled_only=True)}
    fail_again = {r["id"] for r in failed_runs(emulator, RETRIED, enabled_only=True) if r["fail_again"]}
    assert fail_again and expected - fail_again
    report = tmp_path / "retry.json"
    first = run([{"flowops.ipaas.flow_errors_retry": dict(selection, report_file=str(report))}])
    assert first.rc == 0, first.output
    retry = first["r0"]
    assert set(emulator.retry_counts) == expected and set(emulator.retry_counts.values()) == {1}
    assert set(retry["failed_again_keys"]) == fail_again
    assert (retry["counts"]["succeeded"], retry["counts"]["pending"]) == (len(expected - fail_again), 0)
    assert retry["counts"]["skipped_disabled"] == len([r for r in failed_runs(emulator, RETRIED) if r["id"] not in expected])
    assert sum(job["keys"] for job in retry["jobs"]) == len(expected) and all(job["done"] for job in retry["jobs"])
    keys = json.loads(report.read_text())["keys"]
    assert {k["retryDataKey"] for k in keys if k["outcome"] == "failed_again"} == fail_again

    second = run([{"flowops.ipaas.flow_errors_retry": selection}])
    assert second.rc == 0, second.output
    assert second["r0"]["counts"]["retried"] == len(fail_again) and second["r0"]["counts"]["succeeded"] == len(fail_again)
    assert {key: count for key, count in emulator.retry_counts.items() if count == 2} == dict.fromkeys(fail_again, 2)

    emulator.clear_requests()
    third = run([{"flowops.ipaas.flow_errors_retry": selection}])
    assert third.rc == 0, third.output
    assert third["r0"]["changed"] is False and third["r0"]["counts"]["retried"] == 0
    assert emulator.non_get_requests() == []


def test_retry_in_batches_across_list_pages_on_the_latest_version(activepieces_emulator_factory, playbook_for):
    emulator = activepieces_emulator_factory(ap.generate(flows=1, disabled=0, failed_runs=150, succeeded_runs=0, kinds=["timeout"],
                                                         fail_again_share=0, seed=2), run_seconds=0)
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": ap.flow_ids(emulator.scenario),
                                                                              "strategy": "latest_version", "batch_size": 120,
                                                                              "wait": True, "poll_interval": 0.1}}],
                                        env=env_for(emulator))
    assert result.rc == 0, result.output
    posts = emulator.non_get_requests()
    assert [len(post["body"]["flowRunIds"]) for post in posts] == [120, 30]
    assert result["r0"]["counts"]["succeeded"] == 150
    assert {post["body"]["strategy"] for post in posts} == {"ON_LATEST_VERSION"}
    assert result["r0"]["counts"]["retried"] == 150 and set(emulator.retry_counts.values()) == {1}


def test_retry_survives_429s_and_a_reset_after_the_server_took_the_batch(emulator, run):
    emulator.configure(rate_limit_every=4, retry_after=0,
                       faults=[{"method": "POST", "path": "^/v1/flow-runs/retry$", "action": "reset_after"}])
    expected = {r["id"] for r in failed_runs(emulator, RETRIED, enabled_only=True)}
    result = run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": ap.flow_ids(emulator.scenario), "classifications": list(RETRIED),
                                                       "skip_disabled": True, "max_concurrency": 1}}])
    assert result.rc == 0, result.output
    assert result["r0"]["counts"]["retried"] == len(expected) and result["r0"]["counts"]["in_doubt"] == 0
    assert set(emulator.retry_counts) == expected and set(emulator.retry_counts.values()) == {1}
    statuses = [entry["status"] for entry in emulator.requests]
    assert 429 in statuses and any(entry.get("fault") == "reset_after" for entry in emulator.requests)


def test_resolve_archives_with_a_backup_and_reruns_unchanged(emulator, run, tmp_path):
    duplicates = {r["id"] for r in failed_runs(emulator, ["duplicate"])}
    backup = tmp_path / "backup.jsonl"
    selection = {"flow_ids": ap.flow_ids(emulator.scenario), "classifications": ["duplicate"]}
    result = run([{"flowops.ipaas.flow_errors_resolve": dict(selection, backup=True, backup_file=str(backup), backup_retry_data=True)}])
    assert result.rc == 0, result.output
    assert result["r0"]["counts"]["resolved"] == len(duplicates)
    records = [json.loads(line) for line in backup.read_text().splitlines()]
    assert {r["errorId"] for r in records} == duplicates
    assert all(r["retryData"]["steps"]["trigger"]["output"] for r in records)
    assert {r["id"] for r in emulator.state.open_failed_runs()}.isdisjoint(duplicates)
    assert all(emulator.state.runs[run_id]["archivedAt"] for run_id in duplicates)
    archives = [post for post in emulator.non_get_requests() if post["path"] == "/v1/flow-runs/archive"]
    assert {run_id for post in archives for run_id in post["body"]["flowRunIds"]} == duplicates

    emulator.clear_requests()
    again = run([{"flowops.ipaas.flow_errors_resolve": selection},
                 {"flowops.ipaas.flow_errors_info": dict(selection, resolved=True)}])
    assert again.rc == 0, again.output
    assert again["r0"]["changed"] is False and emulator.non_get_requests() == []
    assert {e["errorId"] for e in again["r1"]["errors"]} == duplicates


@pytest.mark.parametrize("task, env_extra, message", [
    ({"flowops.ipaas.flow_connection_replace": {"flow_ids": ["f1"], "connection_map": {"a": "b"}}}, {},
     "platform 'activepieces' does not support flow_connection_replace"),
    ({"flowops.ipaas.flow_errors_retry": {"flow_ids": ["f1"], "strategy": "exponential_decay"}}, {},
     "platform 'activepieces' does not support strategy 'exponential_decay'; use one of retry, latest_version"),
    ({"flowops.ipaas.flow_errors_info": {"abstract_flow_id": ["a1"]}}, {},
     "platform 'activepieces' does not support abstract_flow_id"),
    ({"flowops.ipaas.flow_instance_info": {"flow_ids": ["f1"]}}, {"FLOWOPS_PROJECT_ID": ""},
     "project_id: platform 'activepieces' needs the project id"),
])
def test_what_the_platform_cannot_do_fails_in_one_line_before_any_request(emulator, playbook_for, task, env_extra, message):
    result = playbook_for(emulator).run([task], env=env_for(emulator, **env_extra))
    assert result.rc != 0
    msg = result["r0"]["msg"]
    assert msg.startswith(message) and "\n" not in msg
    assert emulator.requests == []


def test_incident_recovery_role_recovers_and_reruns_unchanged(emulator, playbook_for, tmp_path):
    runner = playbook_for(emulator)
    reports = tmp_path / "reports"

    def variables(run_id):
        return {"incident_recovery_flow_ids": ap.flow_ids(emulator.scenario), "incident_recovery_poll_interval": 0.2,
                "incident_recovery_report_dir": str(reports), "incident_recovery_run_id": run_id}

    first = runner.run_playbook("incident_recovery.yml", variables("first"), env=env_for(emulator))
    assert first.rc == 0, first.output
    report = json.loads((reports / "incident-recovery-first.json").read_text())
    assert report["left_open"]["retryable_on_enabled_flows"] == 0 and report["retry"]["still_failing"] == 0
    enabled = failed_runs(emulator, RETRIED, enabled_only=True)
    assert emulator.retry_counts == {r["id"]: 2 if r["fail_again"] else 1 for r in enabled}
    disabled = set(ap.flow_ids(emulator.scenario, disabled=True))
    open_on_enabled = {r["id"] for r in emulator.state.open_failed_runs() if r["flowId"] not in disabled}
    assert open_on_enabled == {r["id"] for r in failed_runs(emulator, ["value", "duplicate"], enabled_only=True)}
    assert report["left_open"]["retryable_on_disabled_flows"] == len(failed_runs(emulator, RETRIED)) - len(enabled)

    emulator.clear_requests()
    second = runner.run_playbook("incident_recovery.yml", variables("second"), env=env_for(emulator))
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert emulator.non_get_requests() == []
