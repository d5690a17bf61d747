"""The recovery playbook run as AWX runs it: ansible-runner, the credential as environment, survey answers as extra vars."""

import json
import re
from pathlib import Path

import yaml

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.e2e.awx_job import run_like_awx
from ansible_collections.flowops.ipaas.tests.playbook_env import ROOT


def test_recovery_playbook_through_ansible_runner_with_the_credential_as_environment(celigo_emulator_factory, collections_path, tmp_path):
    scenario = scenarios.generate(abstract_flows=2, instances=3, steps=2, errors_per_step=4, disabled_instances=1,
                                  classifications={"intermittent": 3, "rate_limit": 1}, fail_again_share=0.3, seed=2)
    emulator = celigo_emulator_factory(scenario, job_seconds=0.1)
    credential = yaml.safe_load((ROOT / "docs" / "awx" / "credential_type.yml").read_text())
    # As AWX injects a credential: every input is present, the ones the operator left unset as empty strings.
    fields = credential["inputs"]["fields"]
    filled = {"api_token": emulator.token, "api_url": emulator.url}
    inputs = dict((field["id"], filled.get(field["id"], field.get("default", ""))) for field in fields)
    injected = dict((name, re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda match: inputs[match.group(1)], template))
                    for name, template in credential["injectors"]["env"].items())
    assert set(injected) == {"FLOWOPS_API_TOKEN", "FLOWOPS_PLATFORM", "FLOWOPS_REGION", "FLOWOPS_API_URL", "FLOWOPS_AUTH_HEADER",
                             "FLOWOPS_PROJECT_ID", "FLOWOPS_ACCOUNT_ID"}
    assert injected["FLOWOPS_REGION"] == injected["FLOWOPS_PROJECT_ID"] == injected["FLOWOPS_ACCOUNT_ID"] == ""
    assert {field["id"] for field in fields} >= {"platform", "api_token", "auth_header", "region", "api_url", "project_id", "account_id"}
    assert next(f for f in fields if f["id"] == "platform")["choices"] == ["celigo", "activepieces", "cloudflare", "superai"]
    envvars = dict(injected, ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR="1")
    abstract = scenarios.abstract_flow_ids(scenario)
    assert len(abstract) == 2
    # Survey answers as AWX sends them: a two-line textarea, an empty textarea, a multiselect list and an unanswered one.
    # The reports go to a directory outside the job's private data dir, as a mounted volume would be.
    reports = tmp_path / "volume" / "reports"
    survey = {"incident_recovery_abstract_flow_ids_text": "%s\n %s \n" % tuple(abstract), "incident_recovery_flow_ids_text": "",
              "incident_recovery_retry_classifications": ["intermittent", "rate_limit"], "incident_recovery_resolve_classifications": "",
              "incident_recovery_since": "2026-11-01T00:00:00Z", "incident_recovery_report_dir": str(reports),
              "incident_recovery_poll_interval": 0.2, "incident_recovery_run_id": "awx", "incident_recovery_rounds": 1,
              "incident_recovery_stats_max_keys": 2, "incident_recovery_progress_interval": 5}  # the survey's default: a line every 5 s
    result, stdout, events, stats = run_like_awx(tmp_path / "runner", "incident_recovery.yml", envvars, survey)
    assert result.status == "successful", stdout
    assert result.rc == 0
    assert emulator.token not in stdout
    assert all(emulator.token not in json.dumps(e) for e in events)
    assert (Path(result.config.artifact_dir) / "status").read_text().strip() == "successful"
    # Both abstract flows' enabled instances had every retryable error retried once (one round).
    enabled = set(scenarios.instance_ids(scenario, disabled=False))
    assert {scenarios.flow(scenario, f)["_abstractFlowId"] for f in enabled} == set(abstract)
    keys = {e["retryDataKey"] for e in scenario["errors"] if e.get("retryDataKey") and e["_flowId"] in enabled}
    fail_again = {e["retryDataKey"] for e in scenario["errors"] if e.get("fail_again") and e.get("retryDataKey") in keys}
    assert len(fail_again) > 2
    assert emulator.retry_counts == dict.fromkeys(keys, 1)
    report = json.loads((reports / "incident-recovery-awx.json").read_text())
    assert report["flows"]["count"] == 6
    assert report["left_open"]["retryable_on_enabled_flows"] == len(fail_again)
    # The summary reaches the job's artifacts (and the next workflow node) through set_stats.
    published = stats["flowops_incident_recovery"]
    assert published["run_id"] == "awx" and published["flows"] == 6
    assert published["counts"] == {"retried": len(keys), "succeeded": len(keys) - len(fail_again), "failed_again": len(fail_again),
                                   "pending": 0, "not_recovered": 0, "scheduled_by_platform": 0, "resolved": 0,
                                   "left_open": report["after"]["total"], "retryable_left_open": len(fail_again)}
    assert published["json_report"] == str(reports / "incident-recovery-awx.json")
    assert Path(published["markdown_report"]).is_file()
    assert len(published["failed_again_keys"]) == 2 and set(published["failed_again_keys"]) <= fail_again
    assert published["failed_again_keys_truncated"] is True

    # An abstract flow id that finds no flow fails the job in one line naming the variable; nothing is retried.
    emulator.clear_requests()
    bogus = dict(survey, incident_recovery_abstract_flow_ids_text="ffffffffffffffffffffffff\n", incident_recovery_run_id="bogus")
    result, stdout, events, stats = run_like_awx(tmp_path / "bogus", "incident_recovery.yml", envvars, bogus)
    assert result.status == "failed", stdout
    failed = [e["event_data"]["res"]["msg"] for e in events if e["event"] == "runner_on_failed"]
    # The id came from the survey's textarea: that is the variable named.
    assert failed == ["incident_recovery_abstract_flow_ids_text: abstract flow ffffffffffffffffffffffff has no flows"
                      " (set incident_recovery_allow_empty: true to accept it)"]
    assert emulator.non_get_requests() == []

    # With incident_recovery_allow_empty the same job ends green with zero counts.
    result, stdout, events, stats = run_like_awx(tmp_path / "allowed", "incident_recovery.yml", envvars, dict(bogus, incident_recovery_allow_empty=True))
    assert result.status == "successful", stdout
    assert stats["flowops_incident_recovery"]["flows"] == 0
    assert set(stats["flowops_incident_recovery"]["counts"].values()) == {0}
    assert emulator.non_get_requests() == []
