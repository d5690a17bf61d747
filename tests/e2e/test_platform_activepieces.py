"""Every module and the incident_recovery role on platform activepieces, through real ansible-playbook."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.activepieces import state as ap
from ansible_collections.flowops.ipaas.tests.playbook_env import ignoring_errors

# The classification the adapter gives each kind of failure the generator makes (docs/platforms/activepieces.md).
KIND_CLASSIFICATION = {"timeout": "intermittent", "internal_error": "intermittent", "connection_reset": "intermittent",
                       "quota": "rate_limit", "rate_limit": "rate_limit", "memory": "governance", "value": "value", "duplicate": "duplicate"}
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


def count_by(items, key):
    counts = {}
    for item in items:
        counts[key(item)] = counts.get(key(item), 0) + 1
    return counts


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


def test_flow_errors_info_reads_each_failed_steps_message_and_filters_on_the_server(emulator, run):
    flows = ap.flow_ids(emulator.scenario)
    step_1 = [r for r in failed_runs(emulator) if r.get("failed_step") == "step_1"]
    middle = sorted(r["created"] for r in failed_runs(emulator))[24]
    result = run([{"flowops.ipaas.flow_errors_info": {"flow_ids": flows}},
                  {"flowops.ipaas.flow_errors_info": {"flow_ids": flows, "classifications": ["rate_limit"]}},
                  {"flowops.ipaas.flow_errors_info": {"flow_ids": flows, "sources": ["step_1"]}},
                  {"flowops.ipaas.flow_errors_info": {"flow_ids": flows, "occurred_after": middle}}])
    assert result.rc == 0, result.output
    everything = result["r0"]
    assert everything["total"] == 48 and everything["summary"]["retryable"] == 48
    assert everything["summary"]["by_classification"] == count_by(failed_runs(emulator), lambda r: KIND_CLASSIFICATION[r["kind"]])
    by_key = {e["retryDataKey"]: e for e in everything["errors"]}
    for scenario_run in failed_runs(emulator):
        error = by_key[scenario_run["id"]]
        assert error["errorId"] == "%s@%s" % (scenario_run["id"], emulator.state.runs[scenario_run["id"]]["finishTime"])
        assert error["message"] == (scenario_run["message"] or "flow run ended with status %s" % scenario_run["status"])
    assert {e["retryDataKey"] for e in result["r1"]["errors"]} == {r["id"] for r in failed_runs(emulator, ["rate_limit"])}
    assert {e["retryDataKey"] for e in result["r2"]["errors"]} == {r["id"] for r in step_1}
    assert {e["retryDataKey"] for e in result["r3"]["errors"]} == {r["id"] for r in failed_runs(emulator) if r["created"] >= middle}
    lists = [entry["query"] for entry in emulator.requests if entry["path"] == "/v1/flow-runs"]
    assert all(query["status"] == list(ap.FAILED) for query in lists)
    assert any(query.get("failedStepName") == "step_1" for query in lists)
    assert any(query.get("createdAfter") == middle for query in lists)


def test_retry_check_mode_sends_no_write(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": ap.flow_ids(emulator.scenario), "classifications": list(RETRIED),
                                                       "skip_disabled": True}}], check=True)
    assert result.rc == 0, result.output
    assert emulator.non_get_requests() == []
    assert result["r0"]["changed"] is True
    assert result["r0"]["counts"]["retried"] == len(failed_runs(emulator, RETRIED, enabled_only=True))


def test_a_same_run_retry_that_fails_again_is_failed_again_and_the_next_play_retries_it(emulator, run, tmp_path):
    selection = {"flow_ids": ap.flow_ids(emulator.scenario), "classifications": list(RETRIED), "skip_disabled": True,
                 "wait": True, "poll_interval": 0.2}
    expected = {r["id"] for r in failed_runs(emulator, RETRIED, enabled_only=True)}
    fail_again = {r["id"] for r in failed_runs(emulator, RETRIED, enabled_only=True) if r["fail_again"]}
    assert fail_again and expected - fail_again
    runs_before = len(emulator.state.runs)
    report = tmp_path / "retry.json"
    first = run([{"flowops.ipaas.flow_errors_retry": dict(selection, report_file=str(report))}])
    assert first.rc == 0, first.output
    retry = first["r0"]
    assert set(emulator.retried_run_ids()) == expected and len(emulator.retried_run_ids()) == len(expected)
    assert len(emulator.state.runs) == runs_before  # FROM_FAILED_STEP re-queues the same runs: no new run
    assert set(retry["failed_again_keys"]) == fail_again
    assert (retry["counts"]["succeeded"], retry["counts"]["pending"]) == (len(expected - fail_again), 0)
    assert retry["counts"]["skipped_disabled"] == len([r for r in failed_runs(emulator, RETRIED) if r["id"] not in expected])
    keys = json.loads(report.read_text())["keys"]
    assert {k["retryDataKey"] for k in keys if k["outcome"] == "failed_again"} == fail_again
    for run_id in fail_again:  # failed again: the same run, a new finishTime, so a new errorId
        assert emulator.state.runs[run_id]["status"] in ap.FAILED
        assert emulator.state.runs[run_id]["finishTime"] > emulator.state.runs[run_id]["created"]
    bodies = [entry["body"] for entry in emulator.non_get_requests()]
    assert all(body["flowRunIds"] and body["strategy"] == "FROM_FAILED_STEP" for body in bodies)

    second = run([{"flowops.ipaas.flow_errors_retry": selection}])
    assert second.rc == 0, second.output
    assert second["r0"]["counts"]["retried"] == len(fail_again) and second["r0"]["counts"]["succeeded"] == len(fail_again)
    assert {key: count for key, count in emulator.retry_counts.items() if count == 2} == dict.fromkeys(fail_again, 2)

    emulator.clear_requests()
    third = run([{"flowops.ipaas.flow_errors_retry": selection}])
    assert third.rc == 0, third.output
    assert third["r0"]["changed"] is False and third["r0"]["counts"]["retried"] == 0
    assert emulator.non_get_requests() == []
    assert emulator.rejected_writes() == []


def test_a_run_still_showing_its_old_failure_after_a_same_run_retry_is_not_failed_again(activepieces_emulator_factory, playbook_for):
    # An older server only queued the job: the run keeps its old status and finishTime until a worker picks it up.
    emulator = activepieces_emulator_factory(ap.generate(flows=1, disabled=0, failed_runs=6, succeeded_runs=0, kinds=["timeout"],
                                                         fail_again_share=0, seed=3), run_seconds=0.2, requeue_delay=0.8)
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": ap.flow_ids(emulator.scenario), "wait": True,
                                                                              "poll_interval": 0.1}}], env=env_for(emulator))
    assert result.rc == 0, result.output
    counts = result["r0"]["counts"]
    assert (counts["retried"], counts["succeeded"], counts["failed_again"], counts["pending"]) == (6, 6, 0, 0)
    assert set(emulator.retry_counts.values()) == {1} and emulator.rejected_writes() == []


def test_latest_version_archives_the_originals_and_a_second_play_never_retries_them(activepieces_emulator_factory, playbook_for):
    emulator = activepieces_emulator_factory(ap.generate(flows=2, disabled=0, failed_runs=8, succeeded_runs=1, kinds=["timeout", "rate_limit"],
                                                         fail_again_share=0.5, seed=11), run_seconds=0.1)
    originals = {r["id"] for r in failed_runs(emulator)}
    failing = {r["id"] for r in failed_runs(emulator) if r["fail_again"]}
    assert failing and originals - failing
    selection = {"flow_ids": ap.flow_ids(emulator.scenario), "strategy": "latest_version", "wait": True, "poll_interval": 0.1}
    runner = playbook_for(emulator)
    first = runner.run([{"flowops.ipaas.flow_errors_retry": selection}], env=env_for(emulator))
    assert first.rc == 0, first.output
    assert first["r0"]["counts"]["retried"] == len(originals)
    assert set(first["r0"]["failed_again_keys"]) == failing  # the new run of each of these failed
    assert first["r0"]["counts"]["succeeded"] == len(originals - failing)
    assert all(emulator.state.runs[run_id]["archivedAt"] and emulator.state.runs[run_id]["status"] in ap.FAILED for run_id in originals)
    assert set(emulator.retried_run_ids()) == originals
    new_runs = {run_id for run_id, item in emulator.state.runs.items() if run_id not in {r["id"] for r in emulator.scenario["runs"]}}
    assert len(new_runs) == len(originals) and all("parentRunId" not in emulator.state.runs[run_id] for run_id in new_runs)

    second = runner.run([{"flowops.ipaas.flow_errors_retry": selection}], env=env_for(emulator))
    assert second.rc == 0, second.output
    sent = emulator.retried_run_ids()
    assert len(sent) == len(set(sent)), "a run id was sent to retry twice"
    assert set(sent[len(originals):]) == {run_id for run_id in new_runs if emulator.state.runs[run_id]["archivedAt"]}
    assert set(sent[len(originals):]).isdisjoint(originals) and len(sent) == len(originals) + len(failing)
    assert set(emulator.retry_counts.values()) == {1} and emulator.rejected_writes() == []
    archives = [entry["body"] for entry in emulator.non_get_requests() if entry["path"] == "/v1/flow-runs/archive"]
    assert all(body["flowRunIds"] for body in archives)


def test_latest_version_goes_one_run_a_request_across_list_pages(activepieces_emulator_factory, playbook_for):
    emulator = activepieces_emulator_factory(ap.generate(flows=1, disabled=0, failed_runs=150, succeeded_runs=0, kinds=["timeout"],
                                                         fail_again_share=0, seed=2), run_seconds=0)
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": ap.flow_ids(emulator.scenario),
                                                                              "strategy": "latest_version", "batch_size": 120,
                                                                              "wait": True, "poll_interval": 0.1, "max_concurrency": 8}}],
                                        env=env_for(emulator))
    assert result.rc == 0, result.output
    posts = emulator.non_get_requests()
    retries = [post["body"] for post in posts if post["path"] == "/v1/flow-runs/retry"]
    assert len(retries) == 150 and {len(body["flowRunIds"]) for body in retries} == {1}
    assert {body["strategy"] for body in retries} == {"ON_LATEST_VERSION"}
    assert sorted(len(post["body"]["flowRunIds"]) for post in posts if post["path"] == "/v1/flow-runs/archive") == [30, 120]
    assert result["r0"]["counts"]["retried"] == 150 and result["r0"]["counts"]["succeeded"] == 150
    assert set(emulator.retry_counts.values()) == {1} and emulator.rejected_writes() == []


def test_a_failed_archive_after_latest_version_warns_naming_the_originals(activepieces_emulator_factory, playbook_for):
    emulator = activepieces_emulator_factory(ap.generate(flows=1, disabled=0, failed_runs=3, succeeded_runs=0, kinds=["timeout"],
                                                         fail_again_share=0, seed=4), run_seconds=0,
                                             faults=[{"method": "POST", "path": "/archive$", "action": "status", "status": 503, "times": None}])
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": ap.flow_ids(emulator.scenario),
                                                                              "strategy": "latest_version"}}], env=env_for(emulator))
    assert result.rc == 0, result.output
    assert result["r0"]["counts"]["retried"] == 3
    warning = next(w for w in result["r0"]["warnings"] if "could not archive" in w)
    assert all(r["id"] in warning for r in failed_runs(emulator)) and "flow_errors_resolve" in warning


def test_runs_the_server_refuses_are_failed_with_the_reason_and_the_rest_retried(activepieces_emulator_factory, playbook_for):
    emulator = activepieces_emulator_factory(ap.generate(flows=1, disabled=0, failed_runs=6, succeeded_runs=0, kinds=["timeout"],
                                                         fail_again_share=0, seed=5), run_seconds=0, retention_days=30)
    old = sorted(r["id"] for r in failed_runs(emulator))[:2]
    for run_id in old:  # created before the retention window: FLOW_RUN_RETRY_OUTSIDE_RETENTION
        emulator.state.runs[run_id]["created"] = (datetime.now(timezone.utc) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": ap.flow_ids(emulator.scenario), "wait": True,
                                                                              "poll_interval": 0.1}}], env=env_for(emulator))
    assert result.rc != 0
    counts = result["r0"]["counts"]
    assert (counts["retried"], counts["failed"], counts["in_doubt"]) == (4, 2, 0)
    assert "FLOW_RUN_RETRY_OUTSIDE_RETENTION" in result["r0"]["msg"]
    assert result["r0"]["per_flow"][ap.flow_ids(emulator.scenario)[0]]["counts"]["failed"] == 2
    assert set(emulator.retry_counts) == {r["id"] for r in failed_runs(emulator)} - set(old)
    assert set(emulator.retry_counts.values()) == {1}
    assert emulator.rejected_writes() == []  # refusals are entries of a 200 answer, not 4xx


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
    assert emulator.rejected_writes() == []


def test_resolve_archives_with_a_backup_and_reruns_unchanged(emulator, run, tmp_path):
    duplicates = {r["id"] for r in failed_runs(emulator, ["duplicate"])}
    backup = tmp_path / "backup.jsonl"
    selection = {"flow_ids": ap.flow_ids(emulator.scenario), "classifications": ["duplicate"]}
    result = run([{"flowops.ipaas.flow_errors_resolve": dict(selection, backup=True, backup_file=str(backup), backup_retry_data=True)}])
    assert result.rc == 0, result.output
    assert result["r0"]["counts"]["resolved"] == len(duplicates)
    records = [json.loads(line) for line in backup.read_text().splitlines()]
    assert {r["retryDataKey"] for r in records} == duplicates
    assert all(r["retryData"]["steps"]["trigger"]["output"] for r in records)
    assert {r["id"] for r in emulator.state.open_failed_runs()}.isdisjoint(duplicates)
    assert all(emulator.state.runs[run_id]["archivedAt"] for run_id in duplicates)
    archives = [post for post in emulator.non_get_requests() if post["path"] == "/v1/flow-runs/archive"]
    assert {run_id for post in archives for run_id in post["body"]["flowRunIds"]} == duplicates
    assert emulator.rejected_writes() == []

    emulator.clear_requests()
    again = run([{"flowops.ipaas.flow_errors_resolve": selection},
                 {"flowops.ipaas.flow_errors_info": dict(selection, resolved=True)}])
    assert again.rc == 0, again.output
    assert again["r0"]["changed"] is False and emulator.non_get_requests() == []
    assert {e["retryDataKey"] for e in again["r1"]["errors"]} == duplicates


CANNOT_DO = [
    ({"flowops.ipaas.flow_connection_replace": {"flow_ids": ["f1"], "connection_map": {"a": "b"}}},
     "platform 'activepieces' does not support flow_connection_replace"),
    ({"flowops.ipaas.flow_errors_retry": {"flow_ids": ["f1"], "strategy": "exponential_decay"}},
     "platform 'activepieces' does not support strategy 'exponential_decay'; use one of retry, latest_version"),
    ({"flowops.ipaas.flow_errors_info": {"abstract_flow_id": ["a1"]}},
     "platform 'activepieces' does not support abstract_flow_id"),
]


def test_what_the_platform_cannot_do_fails_in_one_line_before_any_request(emulator, playbook_for, run):
    result = run(ignoring_errors([task for task, _message in CANNOT_DO]))
    assert result.rc == 0, result.output
    for (task, expected), message in zip(CANNOT_DO, result.failure_messages(len(CANNOT_DO))):
        assert message.startswith(expected) and "\n" not in message, (task, message)
    no_project = playbook_for(emulator).run([{"flowops.ipaas.flow_instance_info": {"flow_ids": ["f1"]}}],
                                            env=env_for(emulator, FLOWOPS_PROJECT_ID=""))
    assert no_project.rc != 0
    message = no_project["r0"]["msg"]
    assert message.startswith("project_id: platform 'activepieces' needs the project id") and "\n" not in message
    assert emulator.requests == []


def test_incident_recovery_retries_plain_failed_runs_with_transient_messages(emulator, playbook_for, tmp_path):
    runner = playbook_for(emulator)
    reports = tmp_path / "reports"

    def variables(run_id):
        return {"incident_recovery_flow_ids": ap.flow_ids(emulator.scenario), "incident_recovery_poll_interval": 0.2,
                "incident_recovery_report_dir": str(reports), "incident_recovery_run_id": run_id}

    first = runner.run_playbook("incident_recovery.yml", variables("first"), env=env_for(emulator))
    assert first.rc == 0, first.output
    report = json.loads((reports / "incident-recovery-first.json").read_text())
    enabled = failed_runs(emulator, RETRIED, enabled_only=True)
    # Retried: every transient failure on an enabled flow, the plain FAILED runs whose step message is a 429 or a reset included.
    plain = [r for r in enabled if r["status"] == "FAILED"]
    assert len(plain) == 13 and len(enabled) == 27
    assert report["retry"]["retried"] == len(enabled) and report["retry"]["still_failing"] == 0
    assert emulator.retry_counts == {r["id"]: 2 if r["fail_again"] else 1 for r in enabled}
    # Left open, with the reason: data errors the default classifications do not retry, and the disabled flow's transient ones.
    on_disabled = [r for r in failed_runs(emulator, RETRIED) if r not in enabled]
    assert report["retry"]["skipped_disabled"] == len(on_disabled) == 9
    assert report["left_open"]["retryable_on_enabled_flows"] == 0
    assert report["left_open"]["retryable_on_disabled_flows"] == len(on_disabled)
    left = failed_runs(emulator, ["value", "duplicate"]) + on_disabled
    assert report["after"]["by_classification"] == count_by(left, lambda r: KIND_CLASSIFICATION[r["kind"]])
    assert report["after"]["total"] == len(left) == 21
    assert emulator.rejected_writes() == []

    emulator.clear_requests()
    second = runner.run_playbook("incident_recovery.yml", variables("second"), env=env_for(emulator))
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert emulator.non_get_requests() == []
