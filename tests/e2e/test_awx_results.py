"""Results that outlive an AWX job: environment_promotion's set_stats summary (read from ansible-runner's events, as
AWX stores it) from survey answers, and incident_recovery's dismissed file on a path the operator chooses."""

import json
from pathlib import Path

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.emulator.cloudflare import state as cf
from ansible_collections.flowops.ipaas.tests.e2e.awx_job import run_like_awx
from ansible_collections.flowops.ipaas.tests.playbook_env import collections_dir


def test_promotion_from_survey_answers_publishes_its_summary_with_set_stats(celigo_emulator_factory, tmp_path):
    emulator = celigo_emulator_factory(scenarios.generate(instances=5, steps=2, errors_per_step=1, seed=5))
    by_name = {c["name"]: c["_id"] for c in emulator.scenario["connections"]}
    sandbox, production = by_name["HTTP sandbox"], by_name["HTTP production"]
    instances = scenarios.instance_ids(emulator.scenario)
    envvars = {"FLOWOPS_API_URL": emulator.url, "FLOWOPS_API_TOKEN": emulator.token, "FLOWOPS_PLATFORM": "",
               "ANSIBLE_COLLECTIONS_PATH": str(collections_dir()), "ANSIBLE_NOCOLOR": "1"}
    reports = tmp_path / "volume"
    # As docs/awx/environment_promotion_survey.json asks: textareas for the ids and the connection map.
    survey = {"environment_promotion_abstract_flow_ids": "\n%s\n" % scenarios.abstract_flow_ids(emulator.scenario)[0],
              "environment_promotion_flow_ids": "", "environment_promotion_smoke_flow_ids": "",
              "environment_promotion_connection_map": "%s = %s\n" % (sandbox, production),
              "environment_promotion_allow_empty": "false", "environment_promotion_report_dir": str(reports),
              "environment_promotion_run_id": "awx", "environment_promotion_stats_max_flows": 3}

    result, stdout, _events, stats = run_like_awx(tmp_path / "plan", "environment_promotion.yml", envvars, survey, check=True)
    assert result.status == "successful", stdout
    assert emulator.non_get_requests() == []
    planned = stats["flowops_environment_promotion"]
    assert planned["check_mode"] is True and planned["markdown_report"] is None
    assert planned["counts"] == {"selected": 5, "changed": 5, "unchanged": 0, "failed": 0, "smoke_runs": 0}

    result, stdout, _events, stats = run_like_awx(tmp_path / "apply", "environment_promotion.yml", envvars, survey)
    assert result.status == "successful", stdout
    published = stats["flowops_environment_promotion"]
    assert published["run_id"] == "awx" and published["check_mode"] is False
    assert published["counts"] == {"selected": 5, "changed": 5, "unchanged": 0, "failed": 0, "smoke_runs": 0}
    assert published["json_report"] == str(reports / "environment-promotion-awx.json")
    assert json.loads(Path(published["json_report"]).read_text())["counts"]["changed"] == 5
    assert len(published["changed_flow_ids"]) == 3 and set(published["changed_flow_ids"]) <= set(instances)
    assert published["flow_ids_truncated"] is True and published["failed_flow_ids"] == []

    # A map line that is not old=new fails in one line naming the variable, before any request.
    emulator.clear_requests()
    bad = dict(survey, environment_promotion_connection_map="%s %s" % (sandbox, production))
    result, stdout, _events, stats = run_like_awx(tmp_path / "bad", "environment_promotion.yml", envvars, bad)
    assert result.status == "failed"
    failed = [e["event_data"]["res"]["msg"] for e in result.events if e["event"] == "runner_on_failed"]
    assert failed == ["environment_promotion_connection_map: not an old=new pair: %s %s" % (sandbox, production)]
    assert emulator.requests == []


def test_the_role_keeps_dismissals_in_the_file_the_operator_chooses(cloudflare_emulator_factory, playbook_for, tmp_path):
    scenario = cf.generate(workflows=1, instances=12, errored_share=0.5, classifications={"intermittent": 2, "duplicate": 2},
                           fail_again_share=0, seed=3)
    emulator = cloudflare_emulator_factory(scenario, run_seconds=0.1)
    runner = playbook_for(emulator)
    home = tmp_path / "home"
    env = {"FLOWOPS_PLATFORM": "cloudflare", "FLOWOPS_ACCOUNT_ID": emulator.account_id, "HOME": str(home)}
    dismissed = tmp_path / "volume" / "dismissed.jsonl"
    duplicates = {item["id"] for item in cf.errored(scenario) if item["classification"] == "duplicate"}
    assert duplicates

    def variables(run_id):
        return {"incident_recovery_flow_ids": cf.workflow_names(scenario), "incident_recovery_resolve_classifications": "duplicate",
                "incident_recovery_poll_interval": 0.2, "incident_recovery_report_dir": str(tmp_path / "reports"),
                "incident_recovery_run_id": run_id, "incident_recovery_rounds": 1, "incident_recovery_dismissed_file": str(dismissed)}

    first = runner.run_playbook("incident_recovery.yml", variables("first"), env=env)
    assert first.rc == 0, first.output
    assert {json.loads(line)["errorId"].split("@")[0] for line in dismissed.read_text().splitlines()} == duplicates
    assert not (home / ".flowops").exists()  # nothing went to the default place
    # A later run reads the same file: the dismissed errors are no longer open, nothing is resolved twice.
    second = runner.run_playbook("incident_recovery.yml", variables("second"), env=env)
    assert second.rc == 0, second.output
    report = json.loads((tmp_path / "reports" / "incident-recovery-second.json").read_text())
    assert report["resolve"]["resolved"] == 0
    assert len(dismissed.read_text().splitlines()) == len(duplicates)
