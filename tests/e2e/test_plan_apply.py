"""Plan, then apply exactly the plan (issue 15): flow_errors_retry and flow_errors_resolve with plan_file, through real
ansible-playbook against the Celigo and Activepieces emulators, and the incident_recovery role's plan -> apply with
the plan published through set_stats."""

import json
from pathlib import Path

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.activepieces import scenario as ap
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.e2e.awx_job import run_like_awx

MIX = {"intermittent": 3, "duplicate": 1}


@pytest.fixture
def emulator(celigo_emulator_factory):
    scenario = scenarios.generate(instances=4, steps=2, errors_per_step=6, disabled_instances=0, classifications=MIX,
                                  fail_again_share=0, seed=15)
    return celigo_emulator_factory(scenario, job_seconds=0.1)


@pytest.fixture
def run(emulator, playbook_for):
    return playbook_for(emulator).run


def selection(emulator, **extra):
    return dict({"abstract_flow_id": scenarios.abstract_flow_ids(emulator.scenario)[0],
                 "classifications": ["intermittent"]}, **extra)


def posted_retry_keys(emulator):
    """Every retryDataKey the emulator received in a retry POST, in order."""
    return [key for entry in emulator.requests if entry["method"] == "POST" and entry["path"].endswith("/retry")
            for key in entry["body"]["retryDataKeys"]]


def planned(plan_path, action):
    return [entry["key"] for entry in json.loads(Path(plan_path).read_text())["keys"] if entry["action"] == action]


def open_errors(emulator):
    return [error for flow_id in scenarios.instance_ids(emulator.scenario)
            for step_id in scenarios.step_ids(emulator.scenario, flow_id)
            for error in (dict(e, _flowId=flow_id, _stepId=step_id) for e in emulator.state.open_errors(flow_id, step_id))]


def intermittent_open(emulator):
    return [e for e in open_errors(emulator) if e.get("classification") == "intermittent"]


def resolve_on_server(emulator, errors):
    """Another actor resolves these errors between the plan and the apply."""
    for error in errors:
        emulator.state.resolve(error["_flowId"], error["_stepId"], [error["errorId"]])


def add_error_on_server(emulator, like):
    """A new intermittent error appears on the server (the outage goes on): same step as ``like``, a new key."""
    scenario = emulator.state.to_scenario()
    scenario["errors"].append(dict({k: v for k, v in like.items() if k not in ("resolvedAt", "resolvedBy")},
                                   errorId="%024x" % 0xabc, retryDataKey="new-key-after-the-plan",
                                   occurredAt="2026-11-21T10:00:00.000Z", fail_again=0))
    emulator.load(scenario)


def plan(run, emulator, tmp_path, module="flowops.ipaas.flow_errors_retry", **extra):
    path = tmp_path / "plan.json"
    result = run([{module: selection(emulator, plan_file=str(path), **extra)}], check=True)
    assert result.rc == 0, result.output
    assert emulator.non_get_requests() == []
    return path, result["r0"]


def test_plan_written_in_check_mode_is_applied_exactly(emulator, run, tmp_path):
    path, written = plan(run, emulator, tmp_path)
    document = json.loads(path.read_text())
    expected = sorted(e["retryDataKey"] for e in intermittent_open(emulator))
    assert sorted(planned(path, "retry")) == expected
    assert written["plan_sha256"] == document["plan_sha256"] and len(written["plan_sha256"]) == 64
    assert written["plan_file"] == str(path)
    assert written["counts_planned"] == document["counts"] == {"selected": len(expected), "retry": len(expected)}
    assert document["options"]["classifications"] == ["intermittent"]
    entries = document["keys"]
    assert entries == sorted(entries, key=lambda e: (e["_flowId"], e["_stepId"], e["key"]))  # the canonical order
    assert all(set(e) == {"key", "_flowId", "_stepId", "errorId", "action"} for e in entries)

    applied = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, plan_file=str(path),
                                                                 plan_sha256=written["plan_sha256"])}])
    assert applied.rc == 0, applied.output
    assert sorted(posted_retry_keys(emulator)) == expected
    assert applied["r0"]["plan"] == {"plan_file": str(path), "plan_sha256": written["plan_sha256"], "tolerance": "exact",
                                     "planned": len(expected), "added": 0, "removed": 0, "changed": 0}
    assert applied["r0"]["counts"]["retried"] == len(expected)


def test_plan_refused_with_zero_writes_when_the_selection_changed(emulator, run, tmp_path):
    path, dummy = plan(run, emulator, tmp_path)
    errors = intermittent_open(emulator)
    resolve_on_server(emulator, errors[:1])
    add_error_on_server(emulator, errors[1])
    emulator.clear_requests()
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, plan_file=str(path))}])
    assert result.rc != 0
    message = result["r0"]["msg"]
    assert message.startswith("plan_file: the live selection differs from the plan in 2 keys (1 added, 1 removed, 0 changed)")
    assert "\n" not in message
    assert emulator.non_get_requests() == []


def test_a_key_that_failed_again_since_the_plan_counts_as_changed(emulator, run, tmp_path):
    path, dummy = plan(run, emulator, tmp_path)
    error = intermittent_open(emulator)[0]
    scenario = emulator.state.to_scenario()
    for item in scenario["errors"]:
        if item["errorId"] == error["errorId"]:
            item["errorId"] = "%024x" % 0xdef  # same key, a new error id: it failed again meanwhile
    emulator.load(scenario)
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, plan_file=str(path))}])
    assert result.rc != 0
    assert "(0 added, 0 removed, 1 changed)" in result["r0"]["msg"]
    assert emulator.non_get_requests() == []


def test_subset_tolerance_applies_only_the_planned_keys_still_open(emulator, run, tmp_path):
    path, dummy = plan(run, emulator, tmp_path)
    errors = intermittent_open(emulator)
    cleared = errors[:2]
    resolve_on_server(emulator, cleared)
    add_error_on_server(emulator, errors[2])
    emulator.clear_requests()
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, plan_file=str(path), plan_tolerance="subset")}])
    assert result.rc == 0, result.output
    expected = sorted(set(planned(path, "retry")) - {e["retryDataKey"] for e in cleared})
    assert sorted(posted_retry_keys(emulator)) == expected
    assert "new-key-after-the-plan" not in posted_retry_keys(emulator)
    assert result["r0"]["counts"]["not_in_plan"] == 1
    assert result["r0"]["plan"]["removed"] == 2 and result["r0"]["plan"]["added"] == 1


def test_a_plan_whose_hash_differs_is_refused_before_any_request(emulator, run, tmp_path):
    path, written = plan(run, emulator, tmp_path)
    emulator.clear_requests()
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, plan_file=str(path), plan_sha256="0" * 64)}])
    assert result.rc != 0
    assert result["r0"]["msg"].startswith("plan_sha256: the plan file %s hashes to %s, not the approved %s"
                                          % (path, written["plan_sha256"], "0" * 64))
    assert emulator.requests == []

    document = json.loads(path.read_text())
    document["keys"] = document["keys"][1:]  # edited after the approval: the recorded hash no longer matches
    path.write_text(json.dumps(document))
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, plan_file=str(path))}])
    assert result.rc != 0
    assert "its keys hash to" in result["r0"]["msg"] and "the file was changed" in result["r0"]["msg"]
    assert emulator.requests == []


def test_a_plan_is_refused_for_other_options_or_another_module(emulator, run, tmp_path):
    path, dummy = plan(run, emulator, tmp_path)
    emulator.clear_requests()
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, plan_file=str(path),
                                                                classifications=["intermittent", "duplicate"])},
                  {"flowops.ipaas.flow_errors_resolve": selection(emulator, plan_file=str(path)), "ignore_errors": True}])
    assert "made with other options (classifications differ)" in result["r0"]["msg"]
    assert result.rc != 0
    assert emulator.requests == []


def test_resolve_plan_is_applied_exactly(emulator, run, tmp_path):
    path, written = plan(run, emulator, tmp_path, module="flowops.ipaas.flow_errors_resolve")
    expected = sorted(e["errorId"] for e in intermittent_open(emulator))
    # a resolve plan lists keys (retryDataKey, or the errorId of an error without one), as the retry plan does
    assert sorted(planned(path, "resolve")) == sorted(e.get("retryDataKey") or e["errorId"] for e in intermittent_open(emulator))
    applied = run([{"flowops.ipaas.flow_errors_resolve": selection(emulator, plan_file=str(path),
                                                                   plan_sha256=written["plan_sha256"])}])
    assert applied.rc == 0, applied.output
    sent = sorted(error_id for entry in emulator.non_get_requests() for error_id in entry["body"]["errors"])
    assert sent == expected
    assert intermittent_open(emulator) == []


def test_plan_and_apply_on_activepieces(activepieces_emulator_factory, playbook_for, tmp_path):
    emulator = activepieces_emulator_factory(ap.generate(flows=3, disabled=0, failed_runs=5, succeeded_runs=1,
                                                         fail_again_share=0, seed=15), run_seconds=0.1)
    env = {"FLOWOPS_PLATFORM": "activepieces", "FLOWOPS_PROJECT_ID": emulator.project_id}
    runner = playbook_for(emulator)
    path = tmp_path / "ap-plan.json"
    task = {"flow_ids": ap.flow_ids(emulator.scenario), "plan_file": str(path)}
    written = runner.run([{"flowops.ipaas.flow_errors_retry": task}], check=True, env=env)
    assert written.rc == 0, written.output
    assert emulator.non_get_requests() == []
    keys = planned(path, "retry")
    assert keys and json.loads(path.read_text())["platform"] == "activepieces"

    applied = runner.run([{"flowops.ipaas.flow_errors_retry": dict(task, plan_sha256=written["r0"]["plan_sha256"])}], env=env)
    assert applied.rc == 0, applied.output
    sent = [run_id for entry in emulator.non_get_requests() if entry["path"].endswith("/retry")
            for run_id in (entry["body"].get("flowRunIds") or [entry["path"].split("/")[-2]])]
    assert sorted(sent) == sorted(keys)

    # The same plan again: every planned run was retried and left the failed list, so the selection differs.
    again = runner.run([{"flowops.ipaas.flow_errors_retry": task}], env=env)
    assert again.rc != 0 and "differs from the plan" in again["r0"]["msg"]


def run_role_like_awx(private_data_dir, emulator, collections_path, extra_vars, check):
    """The incident_recovery playbook as an AWX job runs it; returns (result, stdout, set_stats)."""
    envvars = {"FLOWOPS_API_TOKEN": emulator.token, "FLOWOPS_API_URL": emulator.url,
               "ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_NOCOLOR": "1"}
    result, stdout, _events, stats = run_like_awx(private_data_dir, "incident_recovery.yml", envvars, extra_vars, check=check)
    return result, stdout, stats


def test_role_plan_then_apply_with_the_hash_from_set_stats(emulator, collections_path, tmp_path):
    plan_file = tmp_path / "volume" / "plan.json"
    plan_file.parent.mkdir()
    survey = {"incident_recovery_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario),
              "incident_recovery_retry_classifications": ["intermittent"], "incident_recovery_resolve_classifications": ["duplicate"],
              "incident_recovery_report_dir": str(tmp_path / "reports"), "incident_recovery_poll_interval": 0.2,
              "incident_recovery_rounds": 1, "incident_recovery_plan_file": str(plan_file)}
    result, stdout, stats = run_role_like_awx(tmp_path / "plan-job", emulator, collections_path,
                                              dict(survey, incident_recovery_run_id="plan"), check=True)
    assert result.status == "successful", stdout
    assert emulator.non_get_requests() == []
    published = stats["incident_recovery_plan"]
    assert stats["plan_sha256"] == published["plan_sha256"] and len(published["plan_sha256"]) == 64
    retry_keys = {e["retryDataKey"] for e in intermittent_open(emulator)}
    duplicates = {e["errorId"] for e in open_errors(emulator) if e.get("classification") == "duplicate"}
    assert published["counts"]["retry"] == {"selected": len(retry_keys), "retry": len(retry_keys)}
    assert published["counts"]["resolve"] == {"selected": len(duplicates), "resolve": len(duplicates)}
    assert set(published["plan_files"]) == {"retry", "resolve"}
    assert Path(published["plan_files"]["retry"]) == plan_file

    # The approver saw plan_sha256; a wrong hash arriving as the workflow's extra var stops the apply job.
    result, stdout, stats = run_role_like_awx(tmp_path / "wrong-job", emulator, collections_path,
                                              dict(survey, incident_recovery_run_id="wrong", plan_sha256="f" * 64), check=False)
    assert result.status == "failed"
    assert "incident_recovery_plan_sha256" in stdout
    assert emulator.non_get_requests() == []

    # The apply job gets plan_sha256 from the workflow (set_stats of the plan job) and applies exactly the plan.
    result, stdout, stats = run_role_like_awx(tmp_path / "apply-job", emulator, collections_path,
                                              dict(survey, incident_recovery_run_id="apply", plan_sha256=published["plan_sha256"]),
                                              check=False)
    assert result.status == "successful", stdout
    assert set(posted_retry_keys(emulator)) == retry_keys and len(posted_retry_keys(emulator)) == len(retry_keys)
    resolved = {error_id for entry in emulator.non_get_requests() if entry["method"] == "PUT" for error_id in entry["body"]["errors"]}
    assert resolved == duplicates
