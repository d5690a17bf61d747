"""flow_errors_retry and flow_errors_resolve through real ansible-playbook against the emulator."""

import json

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.playbook_env import ignoring_errors

MIX = {"intermittent": 5, "rate_limit": 2, "duplicate": 2}


@pytest.fixture
def emulator(celigo_emulator_factory):
    scenario = scenarios.generate(instances=40, steps=2, errors_per_step=25, disabled_instances=1, classifications=MIX,
                                  fail_again_share=0.1, seed=11)
    return celigo_emulator_factory(scenario, page_size=50, flow_page_size=25, job_seconds=0.2)


@pytest.fixture
def run(emulator, playbook_for):
    return playbook_for(emulator).run


def selection(emulator, **extra):
    return dict({"abstract_flow_id": scenarios.abstract_flow_ids(emulator.scenario)[0]}, **extra)


def open_ids(emulator):
    """Error ids open on the server now, read from its state (not through the API)."""
    return {e["errorId"] for flow_id in scenarios.instance_ids(emulator.scenario)
            for step_id in scenarios.step_ids(emulator.scenario, flow_id)
            for e in emulator.state.open_errors(flow_id, step_id)}


def retryable_keys(emulator, enabled_only=True):
    disabled = set(scenarios.instance_ids(emulator.scenario, disabled=True))
    return {e["retryDataKey"] for e in emulator.scenario["errors"]
            if e.get("retryDataKey") and e["classification"] in ("intermittent", "rate_limit")
            and not (enabled_only and e["_flowId"] in disabled)}


def test_check_mode_sends_no_write_and_shows_exactly_what_would_be_retried(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, classifications=["intermittent", "rate_limit"],
                                                                skip_disabled=True)}], check=True)
    assert result.rc == 0, result.output
    assert emulator.non_get_requests() == []
    assert result["r0"]["changed"] is True
    assert result["r0"]["counts"]["retried"] == len(retryable_keys(emulator))


def test_retry_with_wait_retries_each_key_once_reconciles_and_reruns_unchanged(emulator, run, tmp_path):
    report = tmp_path / "retry.json"
    result = run([{"flowops.ipaas.flow_errors_retry": selection(
        emulator, classifications=["intermittent", "rate_limit"], wait=True, poll_interval=0.2, report_file=str(report))}])
    assert result.rc == 0, result.output
    retry = result["r0"]
    expected = retryable_keys(emulator)
    assert set(emulator.retry_counts) == expected
    assert set(emulator.retry_counts.values()) == {1}
    fail_again = {e["retryDataKey"] for e in emulator.scenario["errors"] if e.get("fail_again") and e.get("retryDataKey") in expected}
    assert set(retry["failed_again_keys"]) == fail_again
    assert retry["counts"]["succeeded"] == len(expected) - len(fail_again)
    assert retry["counts"]["pending"] == 0
    disabled = scenarios.instance_ids(emulator.scenario, disabled=True)[0]
    assert retry["per_flow"][disabled]["counts"]["skipped_disabled"] > 0
    assert retry["per_flow"][disabled]["counts"]["retried"] == 0
    keys = json.loads(report.read_text())["keys"]
    assert len(keys) == retry["counts"]["selected"]
    assert {k["retryDataKey"] for k in keys if k["outcome"] == "failed_again"} == fail_again

    emulator.clear_requests()
    again = run([{"flowops.ipaas.flow_errors_retry": selection(
        emulator, classifications=["intermittent", "rate_limit"], skip_disabled=True, retry_data_keys=sorted(expected - fail_again))}])
    assert again.rc == 0, again.output
    assert again["r0"]["changed"] is False
    assert emulator.non_get_requests() == []


def test_batches_of_at_most_1000_keys(celigo_emulator_factory, playbook_for):
    scenario = scenarios.generate(instances=1, steps=1, errors_per_step=2500, disabled_instances=0, retryable_share=1.0,
                                  classifications=["intermittent"], fail_again_share=0, seed=3)
    emulator = celigo_emulator_factory(scenario, page_size=1000)
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": selection(emulator)}])
    assert result.rc == 0, result.output
    posts = [r for r in emulator.non_get_requests() if r["path"].endswith("/retry")]
    assert len(posts) == 3
    assert result["r0"]["counts"]["retried"] == 2500
    assert set(emulator.retry_counts.values()) == {1}


def test_resolve_with_backup_holds_exactly_the_resolved_records_and_reruns_unchanged(emulator, run, tmp_path):
    backup = tmp_path / "backup.jsonl"
    before = open_ids(emulator)
    duplicates = {e["errorId"] for e in emulator.scenario["errors"] if e["classification"] == "duplicate"}
    result = run([{"flowops.ipaas.flow_errors_resolve": selection(emulator, classifications=["duplicate"], backup=True,
                                                                  backup_file=str(backup), backup_retry_data=True)}])
    assert result.rc == 0, result.output
    records = [json.loads(line) for line in backup.read_text().splitlines()]
    assert {r["errorId"] for r in records} == duplicates
    assert all(r["retryData"]["retryDataKey"] == r["retryDataKey"] for r in records if r.get("retryDataKey"))
    assert open_ids(emulator) == before - duplicates
    assert result["r0"]["counts"]["resolved"] == len(duplicates)

    emulator.clear_requests()
    again = run([{"flowops.ipaas.flow_errors_resolve": selection(emulator, classifications=["duplicate"], backup=True,
                                                                 backup_file=str(tmp_path / "second.jsonl"))}])
    assert again.rc == 0, again.output
    assert again["r0"]["changed"] is False
    assert emulator.non_get_requests() == []
    assert not (tmp_path / "second.jsonl").exists()


def test_resolve_works_per_key_a_key_open_twice_is_resolved_once_with_both_ids(celigo_emulator_factory, playbook_for, tmp_path):
    scenario = scenarios.generate(instances=2, steps=1, errors_per_step=6, disabled_instances=0, classifications=["duplicate"],
                                  retryable_share=0.8, fail_again_share=0, seed=25)
    twice = [error for error in scenario["errors"] if error.get("retryDataKey")][:3]
    for number, error in enumerate(twice):  # the original stays open beside the error its failed retry left
        scenario["errors"].append(dict(error, errorId="%024x" % (0xe25000 + number), occurredAt="2026-11-21T00:00:00Z"))
    emulator = celigo_emulator_factory(scenario, job_seconds=0.1)
    runner = playbook_for(emulator)
    keys = {error.get("retryDataKey") or error["errorId"] for error in scenario["errors"]}
    task = selection(emulator, backup=True, backup_file=str(tmp_path / "backup.jsonl"), report_file=str(tmp_path / "r.json"))

    preview = runner.run([{"flowops.ipaas.flow_errors_resolve": task}], check=True)
    assert preview.rc == 0, preview.output
    assert emulator.non_get_requests() == []
    assert preview["r0"]["counts"]["resolved"] == len(keys) and preview["r0"]["error_counts"]["resolved"] == len(scenario["errors"])

    result = runner.run([{"flowops.ipaas.flow_errors_resolve": task}])
    assert result.rc == 0, result.output
    assert result["r0"]["counts"] == {"selected": len(keys), "resolved": len(keys), "failed": 0}
    sent = [error_id for entry in emulator.non_get_requests() for error_id in entry["body"]["errors"]]
    assert sorted(sent) == sorted(error["errorId"] for error in scenario["errors"])  # each id once
    for error in twice:  # both ids of a key in the same request
        assert any({error["errorId"], "%024x" % (0xe25000 + twice.index(error))} <= set(entry["body"]["errors"])
                   for entry in emulator.non_get_requests())
    entries = json.loads((tmp_path / "r.json").read_text())["keys"]
    assert sorted(entry["retryDataKey"] for entry in entries) == sorted(keys)  # each key once
    assert sum(len(entry["errorIds"]) for entry in entries) == len(scenario["errors"])
    backup = [json.loads(line) for line in (tmp_path / "backup.jsonl").read_text().splitlines()]
    assert sorted(record["errorId"] for record in backup) == sorted(sent)  # every record kept
    assert open_ids(emulator) == set()

    emulator.clear_requests()
    again = runner.run([{"flowops.ipaas.flow_errors_resolve": selection(emulator)}])
    assert again.rc == 0 and again["r0"]["changed"] is False and emulator.non_get_requests() == []


def test_resolve_check_mode_with_diff_writes_nothing(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_resolve": selection(emulator, classifications=["duplicate"])}],
                 check=True, diff=True)
    assert result.rc == 0, result.output
    assert emulator.non_get_requests() == []
    assert result["r0"]["changed"] is True
    assert "after" in result["r0"]["diff"]


def test_max_errors_stops_before_any_write(emulator, run):
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, max_errors=10)}])
    assert result.rc != 0
    assert result["r0"]["msg"].startswith("max_errors: the selection holds")
    assert emulator.non_get_requests() == []


BAD_OPTIONS = [
    ({"batch_size": 0}, "batch_size: 0 is out of range"),
    ({"batch_size": 1001}, "batch_size: 1001 is out of range"),
    ({"message_regex": "([unclosed"}, "message_regex:"),
    ({"strategy": "sometimes"}, "value of strategy must be one of"),
    ({"classifications": ["flaky"]}, "classifications: unknown classification 'flaky'"),
]


def test_bad_options_fail_with_one_line_before_any_request(emulator, run):
    result = run(ignoring_errors([{"flowops.ipaas.flow_errors_retry": selection(emulator, **options)} for options, _fragment in BAD_OPTIONS]))
    assert result.rc == 0, result.output
    for (options, fragment), message in zip(BAD_OPTIONS, result.failure_messages(len(BAD_OPTIONS))):
        assert fragment in message and "\n" not in message, (options, message)
    assert emulator.requests == []
