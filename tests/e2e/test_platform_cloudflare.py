"""The modules and the incident_recovery role on Cloudflare Workflows, through real ansible-playbook runs.

The emulator checks every request and response against cloudflare-contract.json (strict); normal runs must get
a 2xx for every write they send (``no_refused_writes``).
"""

import json
import time

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as celigo_scenarios
from ansible_collections.flowops.ipaas.tests.emulator.cloudflare import state as cf
from ansible_collections.flowops.ipaas.tests.playbook_env import ignoring_errors

MIX = {"intermittent": 4, "rate_limit": 2, "value": 2, "duplicate": 1}
RETRIED = ("intermittent", "rate_limit")
STEPS = ["validate order", "charge card", "send receipt"]  # the generator's step names, in order


@pytest.fixture
def emulator(cloudflare_emulator_factory):
    scenario = cf.generate(workflows=2, instances=30, errored_share=0.5, classifications=MIX, fail_again_share=0.25, seed=7)
    # Small pages so every listing follows the cursor.
    return cloudflare_emulator_factory(scenario, page_size=7, run_seconds=0.2)


@pytest.fixture
def run(emulator, playbook_for, tmp_path):
    runner = playbook_for(emulator)
    # HOME too: the default dismissed file lives under it, and must not outlive the test.
    env = {"FLOWOPS_PLATFORM": "cloudflare", "FLOWOPS_ACCOUNT_ID": emulator.account_id, "HOME": str(tmp_path)}
    return lambda tasks, **kwargs: runner.run(tasks, env=dict(env, **kwargs.pop("env", {})), **kwargs)


def names(emulator):
    return cf.workflow_names(emulator.scenario)


def errored(emulator, classifications=None, failed_steps=None):
    return [item for item in cf.errored(emulator.scenario) if (classifications is None or item["classification"] in classifications)
            and (failed_steps is None or item["failed_step"] in failed_steps)]


def keys_of(emulator, classifications, failed_steps=None):
    return {item["id"] for item in errored(emulator, classifications, failed_steps)}


def fail_again_keys(emulator, classifications=RETRIED):
    return {item["id"] for item in errored(emulator, classifications) if item["fail_again"]}


def no_refused_writes(emulator):
    assert emulator.rejected_writes() == []
    assert emulator.rejected_writes() == []


def test_instance_info_counts_errored_instances_from_the_workflow_counts(emulator, run):
    result = run([{"flowops.ipaas.flow_instance_info": {"flow_ids": names(emulator)}},
                  {"flowops.ipaas.flow_instance_info": {"integration_id": "orders-worker-1", "include_steps": False}}])
    assert result.rc == 0, result.output
    flows = {flow["_id"]: flow for flow in result["r0"]["flows"]}
    for name in names(emulator):
        assert flows[name]["open_errors"] == len(cf.errored(emulator.scenario, name))
        assert [step["_id"] for step in flows[name]["steps"]] == ["instances"]
    assert result["r0"]["summary"]["open_errors"] == len(cf.errored(emulator.scenario))
    assert sorted(flow["_id"] for flow in result["r1"]["flows"]) == sorted(names(emulator))
    assert not [entry for entry in emulator.requests if "/instances" in entry["path"]]  # no instance was listed to count
    assert emulator.non_get_requests() == []


def test_errors_info_lists_every_errored_instance_by_cursor_and_filters_the_window_itself(emulator, run):
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
    listings = [entry["query"] for entry in emulator.requests if entry["path"].endswith("/instances")]
    assert any(query.get("cursor") for query in listings), "the listings were expected to follow result_info.cursor"
    assert all(query.get("per_page") == "100" and "page" not in query for query in listings)
    assert not [query for query in listings if "date_start" in query or "date_end" in query]  # not established: not sent


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
    assert {restart["from"] is None for restart in emulator.restarts} == {True}
    counts = result["r0"]["counts"]
    assert set(result["r0"]["failed_again_keys"]) == again
    assert (counts["retried"], counts["succeeded"], counts["pending"]) == (len(expected), len(expected) - len(again), 0)
    assert {job["_id"].split("/")[1] for job in result["r0"]["jobs"]} == expected
    saved = json.loads(report.read_text())["keys"]
    assert {k["retryDataKey"] for k in saved if k["outcome"] == "succeeded"} == expected - again
    no_refused_writes(emulator)

    emulator.configure(rate_limit_every=0)
    emulator.clear_requests()
    rerun = run([{"flowops.ipaas.flow_errors_retry": task}])
    assert rerun.rc == 0, rerun.output
    assert rerun["r0"]["changed"] is False
    assert rerun["r0"]["counts"]["already_done"] == len(again), rerun["r0"]["counts"]  # errored again, but this run restarted them
    assert emulator.non_get_requests() == []
    assert set(emulator.restart_counts.values()) == {1}


def test_restart_from_step_sends_from_name_and_the_instances_restart(emulator, run):
    ran_it = STEPS[1:]  # instances that failed at or after "charge card" have it in their history
    task = {"flow_ids": names(emulator), "classifications": list(RETRIED), "sources": ran_it, "restart_from_step": "charge card",
            "wait": True, "poll_interval": 0.2}
    result = run([{"flowops.ipaas.flow_errors_retry": task}])
    assert result.rc == 0, result.output
    expected = keys_of(emulator, RETRIED, ran_it)
    assert expected and set(emulator.restart_counts) == expected and set(emulator.restart_counts.values()) == {1}
    bodies = [entry["body"] for entry in emulator.non_get_requests()]
    assert bodies == [{"status": "restart", "from": {"name": "charge card"}}] * len(expected)
    assert sorted(emulator.restarts, key=lambda item: item["instance"]) == [
        {"instance": key, "from": {"name": "charge card"}} for key in sorted(expected)]
    counts = result["r0"]["counts"]
    again = fail_again_keys(emulator) & expected
    assert (counts["retried"], counts["succeeded"], counts["failed_again"]) == (len(expected), len(expected) - len(again), len(again))
    no_refused_writes(emulator)


def test_restart_from_a_step_an_instance_never_ran_is_not_sent(emulator, run):
    never_ran = keys_of(emulator, RETRIED, STEPS[:1])  # failed at the first step: "send receipt" is not in their history
    ran_it = keys_of(emulator, RETRIED, STEPS[2:])
    assert never_ran and ran_it
    task = {"flow_ids": names(emulator), "classifications": list(RETRIED), "sources": [STEPS[0], STEPS[2]],
            "restart_from_step": "send receipt"}
    result = run([{"flowops.ipaas.flow_errors_retry": task}])
    assert result.rc != 0
    assert "has no step 'send receipt' in its execution history" in result["r0"]["msg"] and "\n" not in result["r0"]["msg"]
    assert (result["r0"]["counts"]["retried"], result["r0"]["counts"]["failed"]) == (len(ran_it), len(never_ran))
    assert set(emulator.restart_counts) == ran_it
    no_refused_writes(emulator)


def test_restart_from_step_is_refused_in_one_line_on_another_platform(celigo_emulator_factory, playbook_for):
    celigo = celigo_emulator_factory(celigo_scenarios.generate(instances=2, steps=2, errors_per_step=2, seed=1))
    flow_ids = celigo_scenarios.instance_ids(celigo.scenario)[:1]
    result = playbook_for(celigo).run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": flow_ids, "restart_from_step": "charge card"}}])
    assert result.rc != 0
    message = result["r0"]["msg"]
    assert message.startswith("platform 'celigo' does not support restart_from_step") and "\n" not in message
    assert celigo.requests == []


def test_resolve_records_the_dismissal_sends_nothing_and_later_runs_skip_it(emulator, run, tmp_path):
    dismissed = tmp_path / "dismissed.jsonl"
    duplicates = keys_of(emulator, ("duplicate",))
    task = {"flow_ids": names(emulator), "classifications": ["duplicate"], "backup": True, "backup_file": str(tmp_path / "backup.jsonl"),
            "dismissed_file": str(dismissed)}
    result = run([{"flowops.ipaas.flow_errors_resolve": task}])
    assert result.rc == 0, result.output
    assert result["r0"]["counts"]["resolved"] == len(duplicates) and result["r0"]["changed"] is True
    assert any("nothing is sent" in warning for warning in result["r0"]["warnings"])
    assert emulator.non_get_requests() == [] and emulator.terminate_counts == {}
    lines = [json.loads(line) for line in dismissed.read_text().splitlines()]
    assert {line["errorId"].split("@")[0] for line in lines} == duplicates
    backup = [json.loads(line) for line in (tmp_path / "backup.jsonl").read_text().splitlines()]
    assert {item["retryDataKey"] for item in backup} == duplicates
    # Still errored on the platform, but no later run lists, retries or resolves them again.
    assert {key for name in names(emulator) for key, status in emulator.state.statuses(name).items() if status == "errored"} >= duplicates

    emulator.clear_requests()
    later = run([{"flowops.ipaas.flow_errors_info": {"flow_ids": names(emulator), "dismissed_file": str(dismissed)}},
                 {"flowops.ipaas.flow_errors_retry": {"flow_ids": names(emulator), "classifications": ["duplicate"],
                                                      "dismissed_file": str(dismissed)}},
                 {"flowops.ipaas.flow_errors_resolve": dict(task, backup=False)}])
    assert later.rc == 0, later.output
    assert not {r["retryDataKey"] for r in later["r0"]["errors"]} & duplicates
    assert later["r0"]["total"] == len(cf.errored(emulator.scenario)) - len(duplicates)
    assert later["r1"]["counts"]["selected"] == 0 and later["r1"]["changed"] is False
    assert later["r2"]["changed"] is False
    assert emulator.non_get_requests() == [] and emulator.restart_counts == {}


def test_a_wait_ends_on_a_status_the_collection_does_not_know(emulator, run):
    key = sorted(keys_of(emulator, ("intermittent",)) - fail_again_keys(emulator))[0]
    unknown = {"success": True, "errors": [], "messages": [], "result": {"status": "unknown"}}
    # Every read of that instance after the listing's and the one before the restart answers "unknown" (the local engine's
    # status for an unmapped state).
    emulator.configure(faults=[{"method": "GET", "path": "/instances/%s$" % key, "action": "raw", "status": 200, "body": unknown,
                                "skip": 2, "times": None}])
    started = time.monotonic()
    result = run([{"flowops.ipaas.flow_errors_retry": {"flow_ids": names(emulator), "retry_data_keys": [key], "wait": True,
                                                       "poll_interval": 0.2, "wait_timeout": 600}}])
    assert result.rc == 0, result.output
    assert time.monotonic() - started < 120
    assert result["r0"]["counts"]["pending"] == 1 and result["r0"]["counts"]["succeeded"] == 0
    assert any("reports status 'unknown'" in warning for warning in result["r0"]["warnings"])
    assert emulator.restart_counts == {key: 1}
    no_refused_writes(emulator)


UNSUPPORTED = [
    ("flow_connection_replace", {"connection_map": {"a": "b"}}, "platform 'cloudflare' does not support flow_connection_replace"),
    ("flow_errors_retry", {"strategy": "exponential_decay"}, "platform 'cloudflare' does not support strategy 'exponential_decay'"),
    ("flow_errors_retry", {"strategy": "latest_version"}, "platform 'cloudflare' does not support strategy 'latest_version'"),
    ("flow_errors_info", {"abstract_flow_id": ["x"], "flow_ids": []}, "platform 'cloudflare' does not support abstract_flow_id"),
    ("flow_errors_info", {"resolved": True}, "platform 'cloudflare' does not support resolved: true; Workflows keeps no resolved errors"),
    ("flow_errors_retry", {"batch_size": 2}, "batch_size: 2 is out of range; use a value between 1 and 1"),
]


def test_unsupported_fails_in_one_line_before_any_request(emulator, run):
    result = run(ignoring_errors([{"flowops.ipaas.%s" % module: dict({"flow_ids": names(emulator)}, **options)}
                                  for module, options, _expected in UNSUPPORTED]))
    assert result.rc == 0, result.output
    for (module, options, expected), message in zip(UNSUPPORTED, result.failure_messages(len(UNSUPPORTED))):
        assert message.startswith(expected) and "\n" not in message, (module, options, message)
    assert emulator.requests == []


def test_missing_account_id_fails_naming_it_before_any_request(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_info": {"flow_ids": names(emulator)}}], env={"FLOWOPS_ACCOUNT_ID": ""})
    assert result.rc != 0
    assert result["r0"]["msg"].startswith("account_id:") and "cloudflare" in result["r0"]["msg"]
    assert emulator.requests == []


def test_incident_recovery_role_leaves_nothing_retryable_open_and_reruns_unchanged(emulator, playbook_for, tmp_path):
    runner = playbook_for(emulator)
    env = {"FLOWOPS_PLATFORM": "cloudflare", "FLOWOPS_ACCOUNT_ID": emulator.account_id, "HOME": str(tmp_path)}
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
    assert emulator.terminate_counts == {}
    dismissed = tmp_path / ".flowops" / "dismissed" / ("cloudflare-%s.jsonl" % emulator.account_id)
    assert {json.loads(line)["errorId"].split("@")[0] for line in dismissed.read_text().splitlines()} == keys_of(emulator, ("duplicate",))
    open_now = {key for name in names(emulator) for key, status in emulator.state.statuses(name).items() if status == "errored"}
    assert open_now == keys_of(emulator, ("value", "duplicate"))  # duplicates are dismissed in the file, not on the platform
    no_refused_writes(emulator)

    emulator.clear_requests()
    second = runner.run_playbook("incident_recovery.yml", variables("second"), env=env)
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert emulator.non_get_requests() == []
