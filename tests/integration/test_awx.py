"""The recovery playbook run as AWX runs it (ansible-runner, credential as environment), and the EE definition."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ansible_runner
import yaml

from emulator.celigo import scenario as scenarios

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_recovery_playbook_through_ansible_runner_with_the_credential_as_environment(celigo_emulator_factory, collections_path, tmp_path,
                                                                                     monkeypatch):
    monkeypatch.setenv("PATH", "%s:%s" % (BIN, os.environ.get("PATH", "")))
    (tmp_path / "runner").mkdir()
    emulator = celigo_emulator_factory(scenarios.generate(instances=4, steps=2, errors_per_step=6, seed=2), job_seconds=0.1)
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
    abstract = scenarios.abstract_flow_ids(emulator.scenario)[0]
    envvars = dict(injected, ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_NOCOLOR="1")
    survey = {"incident_recovery_abstract_flow_ids_text": abstract + "\n", "incident_recovery_since": "2026-11-01T00:00:00Z",
              "incident_recovery_report_dir": str(tmp_path / "reports"), "incident_recovery_poll_interval": 0.2,
              "incident_recovery_run_id": "awx"}
    result = ansible_runner.run(private_data_dir=str(tmp_path / "runner"), playbook=str(ROOT / "playbooks" / "incident_recovery.yml"),
                                envvars=envvars, extravars=survey, quiet=True,
                                inventory="localhost ansible_connection=local ansible_python_interpreter=%s" % sys.executable)
    stdout = result.stdout.read()
    assert result.status == "successful", stdout
    assert result.rc == 0
    assert emulator.token not in stdout
    artifacts = Path(result.config.artifact_dir)
    assert (artifacts / "status").read_text().strip() == "successful"
    events = list(result.events)
    summary = [e for e in events if e.get("event") == "runner_on_ok" and e["event_data"].get("task") == "Show the recovery summary"]
    assert summary, "the summary task did not run"
    assert all(emulator.token not in json.dumps(e) for e in events)
    report = json.loads((tmp_path / "reports" / "incident-recovery-awx.json").read_text())
    assert report["flows"]["count"] == 4
    assert report["left_open"]["retryable_on_enabled_flows"] == 0
