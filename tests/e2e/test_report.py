"""The incident_recovery report as an incident ticket reads it: the header (who, what, where, when, with which
version), totals per abstract flow, per-flow rows with step names, the job ids, and the summary lines."""

import json
import os
import pwd
import re
import time
from datetime import datetime, timezone

import pytest
import yaml

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.playbook_env import ROOT

ISO = "%Y-%m-%dT%H:%M:%SZ"
COUNTS = ("before", "retried", "succeeded", "failed_again", "not_recovered", "resolved", "after")


def uneven_scenario():
    """2 abstract flows x 5 instances (the last disabled) and one plain flow; each flow keeps a different number of
    its errors, so the flows sort by open errors; one flow's name has a pipe in it."""
    scenario = scenarios.generate(abstract_flows=2, instances=5, steps=2, errors_per_step=11, plain_flows=1,
                                  classifications={"intermittent": 4, "duplicate": 1}, fail_again_share=0.2, seed=27)
    order = [flow["_id"] for flow in scenario["flows"] if flow["_abstractFlowId"] or flow["name"].startswith("Invoice")]
    keep = {flow_id: index + 1 for index, flow_id in enumerate(order)}  # 1, 2, 3 ... errors a step
    seen = {}
    errors = []
    for error in scenario["errors"]:
        key = (error["_flowId"], error["_stepId"])
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= keep[error["_flowId"]]:
            errors.append(error)
    scenario["errors"] = errors
    scenarios.flow(scenario, order[8])["name"] = "Orders | EU store"  # third most errors: in the top rows
    return scenario


@pytest.fixture
def emulator(celigo_emulator_factory):
    return celigo_emulator_factory(uneven_scenario(), page_size=20, job_seconds=0.2)


def variables(emulator, report_dir, run_id, **more):
    return dict({"incident_recovery_abstract_flow_ids": scenarios.abstract_flow_ids(emulator.scenario),
                 "incident_recovery_flow_ids": scenarios.plain_flow_ids(emulator.scenario),
                 "incident_recovery_resolve_classifications": ["duplicate"],
                 "incident_recovery_since": "2026-11-01T00:00:00Z", "incident_recovery_until": "now",
                 "incident_recovery_rounds": 1, "incident_recovery_poll_interval": 0.2,
                 "incident_recovery_report_top": 4, "incident_recovery_report_dir": str(report_dir),
                 "incident_recovery_run_id": run_id}, **more)


def header(markdown):
    """The "- Name: value" lines before the first section, as a dict."""
    head = markdown.split("\n## ", 1)[0]
    return dict(re.findall(r"^- ([^:]+): (.*)$", head, re.MULTILINE))


def table(markdown, section):
    """The rows of the first table under ``## section``, as lists of cells (pipes escaped as \\| kept in the cell)."""
    body = markdown.split("\n## %s\n" % section, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[2:]]


def summary_lines(stdout):
    block = stdout.split("Show the recovery summary", 1)[1].split("TASK [", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip().startswith('"') and not line.strip().startswith('"msg"')]


def local_user():
    return os.environ.get("USER") or os.environ.get("LOGNAME") or pwd.getpwuid(os.getuid()).pw_name


def run(runner, emulator, reports, run_id, **kwargs):
    extra_vars = kwargs.pop("extra_vars", {})
    started = int(time.time())
    result = runner.run_playbook("incident_recovery.yml", variables(emulator, reports, run_id, **extra_vars), **kwargs)
    finished = int(time.time()) + 1
    assert result.rc == 0, result.output
    base = reports / ("incident-recovery-%s" % run_id)
    report = json.loads(base.with_suffix(".json").read_text())
    markdown = base.with_suffix(".md").read_text()
    for text in (base.with_suffix(".json").read_text(), markdown, result.output):
        assert emulator.token not in text
    return result, report, markdown, (started, finished)


def test_header_totals_sorted_rows_with_step_names_and_folded_job_ids(emulator, playbook_for, tmp_path):
    reports = tmp_path / "reports"
    result, report, markdown, (started, finished) = run(playbook_for(emulator), emulator, reports, "ticket-1")
    version = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    abstract = scenarios.abstract_flow_ids(emulator.scenario)
    plain = scenarios.plain_flow_ids(emulator.scenario)
    plain_name = scenarios.flow(emulator.scenario, plain[0])["name"]

    # JSON: every header field, timestamps in ISO 8601 UTC.
    start = datetime.strptime(report["started_at"], ISO).replace(tzinfo=timezone.utc).timestamp()
    end = datetime.strptime(report["finished_at"], ISO).replace(tzinfo=timezone.utc).timestamp()
    assert started <= start <= end <= finished
    assert report["duration_seconds"] == end - start
    assert report["run_id"] == "ticket-1" and report["mode"] == "apply" and report["check_mode"] is False
    assert report["selection"]["abstract_flow_ids"] == abstract and report["selection"]["flow_ids"] == plain
    assert report["flows"]["names"][plain[0]] == plain_name
    assert report["connection"] == {"platform": "celigo", "api_url": emulator.url}
    assert report["collection"] == {"name": "flowops.ipaas", "version": version}
    assert report["run_by"] == {"user": local_user(), "awx_job_id": None, "awx_job_template_name": None, "awx_user_name": None}
    window = report["window"]
    assert (window["since"], window["until"]) == ("2026-11-01T00:00:00Z", "now")
    assert window["resolved"]["since"] == "2026-11-01T00:00:00.000Z"
    assert window["resolved"]["until"] == report["started_at"]  # "now" as the run started
    # Shown beside the bound only where it says more: the same instant as given is not repeated.
    assert window["shown"] == {"since": None, "until": report["started_at"]}

    # Markdown: the same, as "- Name: value" lines before the first section.
    fields = header(markdown)
    assert fields["Run id"] == "ticket-1" and fields["Mode"] == "apply"
    assert fields["Selected"] == "abstract flows %s; flows %s (%s); integration none" % (", ".join(abstract), plain[0], plain_name)
    assert fields["Flows"].startswith("11 (2 disabled): ") and "Orders | EU store" in fields["Flows"]
    assert fields["Platform"] == "celigo" and fields["API URL"] == emulator.url
    assert fields["Window"] == "since 2026-11-01T00:00:00Z until now (%s)" % report["started_at"]
    assert (fields["Started"], fields["Finished"]) == (report["started_at"], report["finished_at"])
    assert fields["Duration"] == "%d s" % report["duration_seconds"]
    assert fields["Run by"] == local_user()
    assert fields["Collection"] == "flowops.ipaas %s" % version

    # The summary: the same facts in plain lines, never escaped JSON.
    lines = summary_lines(result.stdout)
    assert lines and not [line for line in lines if '\\"' in line], lines
    assert any(line.startswith('"Run by %s with flowops.ipaas %s on celigo at %s, ' % (local_user(), version, emulator.url)) for line in lines)
    left_open = next(line for line in lines if line.startswith('"Left open by classification: '))
    assert "{" not in left_open and "connection %d" % report["left_open"]["by_classification"]["connection"] in left_open

    # Totals per abstract flow (the plain flow is a group of its own) add up to the run's totals and counts.
    groups = report["per_abstract_flow"]
    assert sorted(g["abstract_flow_id"] for g in groups if g["abstract_flow_id"]) == sorted(scenarios.abstract_flow_ids(emulator.scenario))
    assert [g["flow_id"] for g in groups if not g["abstract_flow_id"]] == scenarios.plain_flow_ids(emulator.scenario)
    totals = report["totals"]
    for name in COUNTS:
        assert sum(g[name] for g in groups) == totals[name] == sum(f[name] for f in report["per_flow"]), name
    assert totals["before"] == report["before"]["total"] > 0 and totals["after"] == report["after"]["total"]
    assert totals["retried"] == report["retry"]["retried"] > 0 and totals["succeeded"] == report["retry"]["succeeded"] > 0
    assert totals["failed_again"] == report["retry"]["still_failing"] > 0  # one round: what failed again stays failed
    assert totals["resolved"] == report["resolve"]["resolved"] > 0
    assert totals["not_recovered"] == report["retry"]["not_recovered"]
    assert totals["before"] - totals["succeeded"] - totals["resolved"] == totals["after"]
    rows = table(markdown, "Totals per abstract flow")
    assert rows[-1] == ["All", "11"] + [str(totals[name]) for name in COUNTS]
    assert [int(row[2]) for row in rows[:-1]] == [g["before"] for g in groups]

    # Per-flow rows: most open errors first, the top 4, then one line for the other 7.
    per_flow = report["per_flow"]
    assert [f["before"] for f in per_flow] == sorted((f["before"] for f in per_flow), reverse=True)
    assert len({f["before"] for f in per_flow}) == 11  # every flow has its own count: the order is by count
    rows = table(markdown, "Before and after, per flow and step")
    assert [row[0] for row in rows] == [f["_id"] for f in per_flow[:4]]
    assert [int(row[3]) for row in rows] == [f["before"] for f in per_flow[:4]]
    rest = per_flow[4:]
    assert "...and 7 more flows with %d open errors before (%d after)" % (sum(f["before"] for f in rest), sum(f["after"] for f in rest)) in markdown
    # Step names, with their counts before and after; a pipe in a name is escaped and keeps the columns.
    first = per_flow[0]
    assert all(step["name"] for step in first["steps"])
    for step in first["steps"]:
        assert "%s: %d -> %d" % (step["name"], step["before"], step["after"]) in rows[0][2]
    pipe_row = next(row for row in rows if "EU store" in row[1])
    assert pipe_row[1] == "Orders \\| EU store" and len(pipe_row) == 10
    assert not [line for line in markdown.splitlines() if line.startswith("|") and re.search(r"\b[0-9a-f]{24}: ", line)]

    # Every job id, inside the collapsible section only.
    jobs = report["retry"]["jobs"]
    assert jobs and sorted(job["_id"] for job in report["retry_jobs"]) == sorted(jobs)
    before, details = markdown.split("<details>", 1)
    folded = details.split("</details>", 1)[0]
    assert all(job in folded and job not in before for job in jobs)
    assert "<summary>%d retry jobs" % len(jobs) in folded


def test_an_awx_job_is_named_in_the_header_with_its_template_and_user(emulator, playbook_for, tmp_path):
    awx = {"awx_job_id": 4711, "awx_job_template_name": "Incident recovery (production)", "awx_user_name": "oncall"}
    result, report, markdown, _times = run(playbook_for(emulator), emulator, tmp_path / "reports", "awx-4711", extra_vars=awx)
    assert report["run_by"] == {"user": local_user(), "awx_job_id": 4711, "awx_job_template_name": "Incident recovery (production)",
                                "awx_user_name": "oncall"}
    assert header(markdown)["Run by"] == "%s; AWX job 4711, template Incident recovery (production), launched by oncall" % local_user()
    assert [line for line in summary_lines(result.stdout) if line.startswith('"Run by ')][0].startswith(
        '"Run by %s, AWX job 4711 (Incident recovery (production)) with flowops.ipaas ' % local_user())


def test_tower_names_of_the_awx_variables_count_too(emulator, playbook_for, tmp_path):
    tower = {"tower_job_id": 99, "tower_job_template_name": "Recovery", "tower_user_name": "ops"}
    _result, report, markdown, _times = run(playbook_for(emulator), emulator, tmp_path / "reports", "tower-99", extra_vars=tower)
    assert report["run_by"] == {"user": local_user(), "awx_job_id": 99, "awx_job_template_name": "Recovery", "awx_user_name": "ops"}
    assert header(markdown)["Run by"] == "%s; AWX job 99, template Recovery, launched by ops" % local_user()
