"""Issue #25: other actors at work on a live platform (Cloudflare, SuperAI, Activepieces).

Each other actor is an emulator switch (``other_actors``, Activepieces' ``bulk_wave_seconds`` and ``older_server``;
sources in docs/platforms/<platform>.md). The invariants: no item acted on twice by us, no success counted that the
platform did not report, every retried key's outcome names the platform status, nothing lost from the report.
"""

import json

from ansible_collections.flowops.ipaas.tests.emulator.activepieces import scenario as ap_scenarios
from ansible_collections.flowops.ipaas.tests.emulator.cloudflare import state as cf_state
from ansible_collections.flowops.ipaas.tests.emulator.superai import state as sa_state
from ansible_collections.flowops.ipaas.tests.faults.harness import run_inprocess

WAIT = {"wait": True, "wait_timeout": 60, "poll_interval": 0.2}


def _report(path):
    return dict((entry["retryDataKey"], entry) for entry in json.loads(path.read_text())["keys"])


def _assert_invariants(report, selected, succeeded_by_platform):
    """Nothing lost; every retried key's outcome names the platform status; success only where the platform said so."""
    assert set(report) == set(selected), "keys lost or added: %s" % (set(report) ^ set(selected))
    for key, entry in report.items():
        if entry.get("outcome"):
            assert (entry.get("reason") or "").startswith("platform status: "), entry
        if entry.get("outcome") == "succeeded":
            assert key in succeeded_by_platform, "%s counted succeeded, platform says otherwise" % key


def test_cloudflare_restarts_only_instances_still_errored_and_trusts_only_complete(cloudflare_emulator_factory, tmp_path):
    scenario = cf_state.generate(workflows=1, instances=6, errored_share=1.0, fail_again_share=0.0, seed=3)
    ids = [item["id"] for item in cf_state.errored(scenario)]
    emulator = cloudflare_emulator_factory(scenario, run_seconds=0.2, other_actors=[
        {"when": "listed", "instance": ids[0], "action": "restart"},      # someone restarts it after our listing
        {"when": "restarted", "instance": ids[1], "action": "terminate"},  # ... terminates it after our restart
        {"when": "restarted", "instance": ids[2], "action": "delete"}])    # ... deletes it after our restart
    report = tmp_path / "cf.json"
    result, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, platform="cloudflare",
                                     account_id=emulator.account_id, flow_ids=["order-sync-1"], report_file=str(report),
                                     **WAIT)
    assert ids[0] not in emulator.restart_counts, "restarted an instance that was no longer errored"
    assert set(emulator.restart_counts.values()) == {1} and set(emulator.restart_counts) == set(ids[1:])
    keys = _report(report)
    assert keys[ids[0]]["action"] == "changed_since_listing" and "status" in keys[ids[0]]["reason"]
    assert (keys[ids[1]]["outcome"], keys[ids[1]]["reason"]) == ("not_recovered", "platform status: terminated")
    assert (keys[ids[2]]["outcome"], keys[ids[2]]["reason"]) == ("not_recovered", "platform status: deleted")
    statuses = emulator.app.state.statuses("order-sync-1")
    _assert_invariants(keys, ids, {key for key, status in statuses.items() if status == "complete"})
    counts = result["counts"]
    assert (counts["succeeded"], counts["not_recovered"], counts["changed_since_listing"]) == (3, 2, 1), counts


def test_superai_leaves_stale_alone_by_default_and_never_counts_cancelled_or_deleted(superai_emulator_factory, tmp_path):
    scenario = sa_state.generate(flows=1, executions=10, failed_share=0.6, stale_share=0.4, cancelled_share=0.0,
                                 fail_again_share=0.0, running=0, deleted=0, seed=5)
    flow = sa_state.flow_ids(scenario)[0]
    failed, stale = sa_state.execution_ids(scenario, flow, ["failed"]), sa_state.execution_ids(scenario, flow, ["stale"])
    assert len(failed) >= 4 and stale
    emulator = superai_emulator_factory(scenario, run_seconds=0.2, other_actors=[
        {"when": "listed", "execution": failed[0], "action": "execute", "skip": 1},  # after our listing (not the summary's)
        {"when": "executed", "execution": failed[1], "action": "cancel"},  # cancelled after our re-execute
        {"when": "executed", "execution": failed[2], "action": "delete"}])  # deleted after our re-execute
    token = getattr(emulator, "token", None) or emulator.api_key
    report = tmp_path / "sa.json"
    result, _adapter = run_inprocess("flow_errors_retry", emulator.url, token, platform="superai", flow_ids=[flow],
                                     report_file=str(report), **WAIT)
    calls = emulator.execute_calls
    assert not set(stale) & set(calls), "a stale execution was re-executed by default"
    assert failed[0] not in calls and all(calls[key] == [False] for key in failed[1:]), calls
    keys = _report(report)
    assert (keys[failed[1]]["outcome"], keys[failed[1]]["reason"]) == ("not_recovered", "platform status: cancelled")
    assert (keys[failed[2]]["outcome"], keys[failed[2]]["reason"]) == ("not_recovered", "platform status: deleted")
    assert keys[failed[0]]["action"] == "changed_since_listing"
    statuses = emulator.app.state.statuses(flow)
    _assert_invariants(keys, failed, {key for key, status in statuses.items() if status == "completed"})
    assert result["counts"]["succeeded"] == len(failed) - 3
    # Selected explicitly, stale executions are re-executed stale-only, never in full.
    run_inprocess("flow_errors_retry", emulator.url, token, platform="superai", flow_ids=[flow], classifications=["stale"])
    assert all(emulator.execute_calls[key] == [True] for key in stale), emulator.execute_calls


def test_activepieces_settles_a_bulk_retry_that_outlasts_the_timeout_and_never_retries_twice(
        activepieces_emulator_factory, tmp_path):
    scenario = ap_scenarios.generate(flows=1, disabled=0, failed_runs=25, succeeded_runs=0, fail_again_share=0.0, seed=4,
                                     kinds=["timeout", "rate_limit", "memory"])
    flow = scenario["flows"][0]["id"]
    runs = [run["id"] for run in scenario["runs"] if run["status"] != "MEMORY_LIMIT_EXCEEDED"]  # an older server lacks it
    emulator = activepieces_emulator_factory(scenario, run_seconds=0.3, bulk_wave_seconds=1.3, older_server=True,
                                             other_actors=[{"when": "listed", "run": runs[0], "action": "retry", "skip": 1},
                                                           {"when": "retried", "run": runs[1], "action": "cancel"}])
    report = tmp_path / "ap.json"
    result, adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, platform="activepieces",
                                    project_id=emulator.project_id, flow_ids=[flow], timeout=1, report_file=str(report),
                                    **WAIT)
    assert runs[0] not in emulator.retry_counts, "retried a run someone else had retried since the listing"
    assert set(emulator.retry_counts.values()) == {1}, "a run was retried twice: %s" % emulator.retry_counts
    assert set(emulator.retry_counts) == set(runs[1:])
    keys = _report(report)
    assert (keys[runs[1]]["outcome"], keys[runs[1]]["reason"]) == ("not_recovered", "platform status: CANCELED")
    assert keys[runs[0]]["action"] == "changed_since_listing"
    succeeded = {run["id"] for run in emulator.app.state.runs.values() if run["status"] == "SUCCEEDED"}
    _assert_invariants(keys, runs, succeeded)
    assert result["counts"]["succeeded"] == len(runs) - 2
    assert "MEMORY_LIMIT_EXCEEDED" not in adapter._statuses  # pylint: disable=protected-access  # listed without it
