"""The incident_recovery role through playbooks/incident_recovery.yml against the emulator."""

import json
import os
import re

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios

MIX = {"intermittent": 4, "rate_limit": 2, "duplicate": 1, "value": 1}


@pytest.fixture
def emulator(celigo_emulator_factory):
    scenario = scenarios.generate(abstract_flows=2, instances=6, steps=2, errors_per_step=12, disabled_instances=1,
                                  classifications=MIX, fail_again_share=0.2, seed=21)
    return celigo_emulator_factory(scenario, page_size=20, job_seconds=0.2)


def variables(emulator, report_dir, run_id):
    return {"incident_recovery_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario),
            "incident_recovery_resolve_classifications": ["duplicate"],
            "incident_recovery_poll_interval": 0.2,
            "incident_recovery_report_dir": str(report_dir),
            "incident_recovery_run_id": run_id}


def test_recovery_leaves_no_retryable_error_open_reports_and_reruns_unchanged(emulator, playbook_for, tmp_path):
    runner = playbook_for(emulator)
    reports = tmp_path / "reports"
    first = runner.run_playbook("incident_recovery.yml", variables(emulator, reports, "first"))
    assert first.rc == 0, first.output
    report = json.loads((reports / "incident-recovery-first.json").read_text())
    assert report["left_open"]["retryable_on_enabled_flows"] == 0
    assert report["retry"]["still_failing"] == 0
    disabled = set(scenarios.instance_ids(emulator.scenario, disabled=True))
    enabled_keys = {e["retryDataKey"] for e in emulator.scenario["errors"] if e.get("retryDataKey")
                    and e["classification"] in ("intermittent", "rate_limit") and e["_flowId"] not in disabled}
    assert set(emulator.retry_counts) == enabled_keys
    fail_again = {e["retryDataKey"] for e in emulator.scenario["errors"] if e.get("fail_again") and e.get("retryDataKey") in enabled_keys}
    assert all(emulator.retry_counts[key] == (2 if key in fail_again else 1) for key in enabled_keys)
    duplicates = [e for e in emulator.scenario["errors"] if e["classification"] == "duplicate"]
    assert report["resolve"]["resolved"] == len(duplicates)
    backup = [json.loads(line) for line in open(report["resolve"]["backup_file"], encoding="utf-8")]
    assert {r["errorId"] for r in backup} == {e["errorId"] for e in duplicates}
    markdown = (reports / "incident-recovery-first.md").read_text()
    assert "## Before and after, per flow and step" in markdown and "| value |" in markdown
    assert "retryable left open on enabled flows" in first.stdout

    emulator.clear_requests()
    second = runner.run_playbook("incident_recovery.yml", variables(emulator, reports, "second"))
    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout
    assert emulator.non_get_requests() == []


def test_the_play_s_module_defaults_reach_the_role_s_modules(emulator, playbook_for, tmp_path):
    """The connection only in the play's module_defaults for the action group, none in the environment: the role's
    own module defaults (allow_empty) are added to the play's, not put in their place."""
    runner = playbook_for(emulator)
    outcome = runner.run(
        [{"name": "Recover", "ansible.builtin.include_role": {"name": "flowops.ipaas.incident_recovery"},
          "vars": variables(emulator, tmp_path / "reports", "defaults")}],
        module_defaults={"group/flowops.ipaas.ipaas": {"api_url": emulator.url, "api_token": emulator.token}},
        env={"FLOWOPS_API_URL": None, "FLOWOPS_API_TOKEN": None})
    assert outcome.rc == 0, outcome.output
    report = json.loads((tmp_path / "reports" / "incident-recovery-defaults.json").read_text())
    assert report["left_open"]["retryable_on_enabled_flows"] == 0
    assert emulator.retry_counts


def test_role_argument_spec_rejects_unknown_classification(emulator, playbook_for, tmp_path):
    bad = dict(variables(emulator, tmp_path, "bad"), incident_recovery_retry_classifications=["flaky"])
    result = playbook_for(emulator).run_playbook("incident_recovery.yml", bad)
    assert result.rc != 0
    assert "incident_recovery_retry_classifications" in result.output
    assert emulator.requests == []


def test_dry_run_changes_nothing_and_text_lists_plan_the_same_as_yaml_lists(emulator, playbook_for, tmp_path):
    abstract = scenarios.abstract_flow_ids(emulator.scenario)
    as_lists = dict(variables(emulator, tmp_path / "lists", "lists"), incident_recovery_retry_classifications=["intermittent", "rate_limit"])
    as_text = dict(variables(emulator, tmp_path / "text", "text"), incident_recovery_abstract_flow_ids=" %s ,%s," % tuple(abstract),
                   incident_recovery_retry_classifications="intermittent,\n\n rate_limit\n", incident_recovery_resolve_classifications="duplicate")
    runner = playbook_for(emulator)
    plans = []
    for extra_vars in (as_lists, as_text):
        result = runner.run_playbook("incident_recovery.yml", extra_vars, check=True)
        assert result.rc == 0, result.output
        # A dry run: the plan is shown, nothing is sent and no report folder is made.
        assert "CHECK MODE" in result.stdout and "Would retry:" in result.stdout
        assert emulator.non_get_requests() == []
        assert not os.path.exists(extra_vars["incident_recovery_report_dir"])
        plans.append([line.strip(' ",') for line in result.stdout.splitlines() if re.search(r'"(Flows|Would retry|Would resolve):', line)])
    assert len(plans[0]) == 3 and plans[0] == plans[1]
    assert plans[0][0].startswith("Flows: 12 ")


def test_a_flow_id_the_platform_does_not_know_fails_in_one_line_naming_the_variable(emulator, playbook_for, tmp_path):
    bogus = dict(variables(emulator, tmp_path, "bogus"), incident_recovery_abstract_flow_ids=[],
                 incident_recovery_flow_ids="ffffffffffffffffffffffff", incident_recovery_allow_empty=True)
    result = playbook_for(emulator).run_playbook("incident_recovery.yml", bogus)
    assert result.rc != 0
    failed = [line for line in result.stdout.splitlines() if line.startswith("fatal:")]
    assert len(failed) == 1 and '"msg": "incident_recovery_flow_ids: ' in failed[0] and "ffffffffffffffffffffffff" in failed[0], failed
    assert emulator.non_get_requests() == []
