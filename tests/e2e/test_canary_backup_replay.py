"""Canary wave with a circuit breaker, and replay from a resolve backup (issue 15): flow_errors_retry through real
ansible-playbook against the Celigo and Cloudflare emulators."""

import json

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.emulator.cloudflare import state as cf
from ansible_collections.flowops.ipaas.tests.playbook_env import ignoring_errors


def celigo(factory, fail_again_share, instances=3, errors_per_step=5, seed=21):
    scenario = scenarios.generate(instances=instances, steps=2, errors_per_step=errors_per_step, disabled_instances=0,
                                  retryable_share=1.0, classifications=["intermittent"], fail_again_share=fail_again_share,
                                  seed=seed)
    return factory(scenario, job_seconds=0.1)


def posted_retry_keys(emulator):
    return [key for entry in emulator.requests if entry["method"] == "POST" and entry["path"].endswith("/retry")
            for key in entry["body"]["retryDataKeys"]]


def where(emulator):
    """``{retryDataKey: (flow id, step id)}`` of the scenario's errors."""
    return dict((e["retryDataKey"], (e["_flowId"], e["_stepId"])) for e in emulator.scenario["errors"] if e.get("retryDataKey"))


def test_canary_stops_a_flow_whose_records_all_fail_again_and_sends_nothing_more(celigo_emulator_factory, playbook_for, tmp_path):
    emulator = celigo(celigo_emulator_factory, fail_again_share=1.0)
    flow_id = scenarios.instance_ids(emulator.scenario)[0]
    keys = [key for key, (flow, dummy) in where(emulator).items() if flow == flow_id]
    report = tmp_path / "canary.json"
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": {
        "flow_ids": [flow_id], "canary_keys": 4, "max_failed_again_ratio": 0.5, "poll_interval": 0.2,
        "report_file": str(report)}}])
    assert result.rc != 0
    message = result["r0"]["msg"]
    assert message.startswith("canary: circuit breaker tripped after wave 1 of 4 keys: 4 of 4 retried keys failed again, "
                              "ratio 1.00 > max_failed_again_ratio 0.5; stopped, %d keys left untouched" % (len(keys) - 4))
    assert ". First failures: " in message and "socket hang up" in message and "\n" not in message
    sent = posted_retry_keys(emulator)
    assert len(sent) == 4  # the canary only: zero retry POSTs after the breaker tripped
    assert len({where(emulator)[key][1] for key in sent}) == 2  # spread over both steps of the flow
    counts = result["r0"]["counts"]
    assert counts["retried"] == counts["failed_again"] == 4
    assert counts["not_attempted_breaker"] == len(keys) - 4 and counts["selected"] == len(keys)
    by_key = dict((item["retryDataKey"], item) for item in json.loads(report.read_text())["keys"])
    assert set(by_key) == set(keys)
    assert {k for k, item in by_key.items() if item["action"] == "not_attempted_breaker"} == set(keys) - set(sent)
    assert result["r0"]["waves"][0]["failed_again_ratio"] == 1.0


def test_canary_passes_and_the_rest_follows_in_growing_waves(celigo_emulator_factory, playbook_for):
    emulator = celigo(celigo_emulator_factory, fail_again_share=0.0)
    flows = scenarios.instance_ids(emulator.scenario)
    expected = set(where(emulator))
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": {
        "flow_ids": flows, "canary_keys": 3, "max_failed_again_ratio": 0.2, "poll_interval": 0.2}}])
    assert result.rc == 0, result.output
    sent = posted_retry_keys(emulator)
    assert sorted(sent) == sorted(expected)  # every key once
    assert {where(emulator)[key][0] for key in sent[:3]} == set(flows)  # the canary: one key of each flow
    waves = result["r0"]["waves"]
    assert [wave["keys"] for wave in waves] == [3, 6, 12, len(expected) - 21]
    assert all(wave["failed_again"] == 0 and wave["why"] is None for wave in waves)
    counts = result["r0"]["counts"]
    assert counts["retried"] == counts["succeeded"] == len(expected) and counts["not_attempted_breaker"] == 0


def test_the_breaker_watches_later_waves(celigo_emulator_factory, playbook_for):
    """The canary's keys succeed; every other key fails again: the second wave trips the breaker."""
    scenario = scenarios.generate(instances=2, steps=1, errors_per_step=10, disabled_instances=0, retryable_share=1.0,
                                  classifications=["intermittent"], fail_again_share=0.0, seed=5)
    flows = scenarios.instance_ids(scenario)
    # Errors are listed oldest first: the canary takes the oldest of each flow.
    first_of_each = [min((e for e in scenario["errors"] if e["_flowId"] == flow), key=lambda e: (e["occurredAt"], e["errorId"]))
                     for flow in flows]
    first_keys = {e["retryDataKey"] for e in first_of_each}
    for error in scenario["errors"]:
        if error.get("retryDataKey") not in first_keys:
            error["fail_again"] = 1
    emulator = celigo_emulator_factory(scenario, job_seconds=0.1)
    result = playbook_for(emulator).run([{"flowops.ipaas.flow_errors_retry": {
        "flow_ids": flows, "canary_keys": 2, "max_failed_again_ratio": 0.5, "poll_interval": 0.2}}])
    assert result.rc != 0
    assert "tripped after wave 2 of 4 keys: 4 of 4 retried keys failed again" in result["r0"]["msg"]
    sent = posted_retry_keys(emulator)
    assert set(sent[:2]) == first_keys and len(sent) == 6
    assert result["r0"]["counts"]["succeeded"] == 2 and result["r0"]["counts"]["not_attempted_breaker"] == 20 - 6


BAD_CANARY_OPTIONS = [
    ({"canary_keys": -1}, "canary_keys: -1 is out of range"),
    ({"canary_keys": 2, "max_failed_again_ratio": 1.5}, "max_failed_again_ratio: 1.5 is out of range"),
    ({"max_failed_again_ratio": 0.2}, "max_failed_again_ratio: needs canary_keys"),
    ({"from_backup": "/nonexistent/backup.jsonl"}, "from_backup: cannot read /nonexistent/backup.jsonl"),
]


def test_bad_canary_and_backup_options_fail_with_one_line_and_send_nothing(celigo_emulator_factory, playbook_for):
    emulator = celigo(celigo_emulator_factory, fail_again_share=0.0, instances=1, errors_per_step=1)
    flows = scenarios.instance_ids(emulator.scenario)
    result = playbook_for(emulator).run(ignoring_errors([{"flowops.ipaas.flow_errors_retry": dict({"flow_ids": flows}, **options)}
                                                         for options, _fragment in BAD_CANARY_OPTIONS]))
    assert result.rc == 0, result.output
    for (options, fragment), message in zip(BAD_CANARY_OPTIONS, result.failure_messages(len(BAD_CANARY_OPTIONS))):
        assert fragment in message and "\n" not in message, (options, message)
    assert emulator.non_get_requests() == []


@pytest.mark.rejected_writes
def test_replay_from_a_resolve_backup_retries_exactly_the_keys_still_open(celigo_emulator_factory, playbook_for, tmp_path):
    emulator = celigo(celigo_emulator_factory, fail_again_share=0.0, instances=2)
    flows = scenarios.instance_ids(emulator.scenario)
    errors = [e for e in emulator.scenario["errors"] if e["_flowId"] == flows[0]]
    steps = scenarios.step_ids(emulator.scenario, flows[0])
    # The resolve of the second step is refused (HTTP 400): its records stay open, the first step's are resolved.
    emulator.configure(faults=[{"method": "PUT", "path": "/%s/%s/resolved$" % (flows[0], steps[1]), "status": 400, "times": 1}])
    backup = tmp_path / "resolve-backup.jsonl"
    runner = playbook_for(emulator)
    resolved = runner.run([{"flowops.ipaas.flow_errors_resolve": {"flow_ids": [flows[0]], "backup": True, "backup_file": str(backup)}}])
    assert resolved.rc != 0 and resolved["r0"]["counts"]["resolved"] == 5 and resolved["r0"]["counts"]["failed"] == 5
    assert len(backup.read_text().splitlines()) == 10
    still_open = {e["retryDataKey"] for e in errors if e["_stepId"] == steps[1]}
    gone = {e["retryDataKey"] for e in errors if e["_stepId"] == steps[0]}

    emulator.clear_requests()
    checked = runner.run([{"flowops.ipaas.flow_errors_retry": {"from_backup": str(backup)}}], check=True)
    assert checked.rc == 0, checked.output
    assert checked["r0"]["counts"]["retried"] == 5 and checked["r0"]["counts"]["cannot_retry"] == 5
    assert emulator.non_get_requests() == []

    report = tmp_path / "replay.json"
    replayed = runner.run([{"flowops.ipaas.flow_errors_retry": {"from_backup": str(backup), "wait": True, "poll_interval": 0.2,
                                                                "report_file": str(report)}}])
    assert replayed.rc == 0, replayed.output
    assert sorted(posted_retry_keys(emulator)) == sorted(still_open)  # the other flow's errors were not touched
    by_key = dict((item["retryDataKey"], item) for item in json.loads(report.read_text())["keys"])
    assert {k for k, item in by_key.items() if item["action"] == "cannot_retry"} == gone
    assert all("retrying an error that is no longer open is not established" in by_key[k]["reason"] for k in gone)
    assert {k for k, item in by_key.items() if item["outcome"] == "succeeded"} == still_open


def test_replay_on_cloudflare_retries_the_locally_dismissed_instances(cloudflare_emulator_factory, playbook_for, tmp_path):
    scenario = cf.generate(workflows=1, instances=12, errored_share=0.5, classifications={"intermittent": 1, "duplicate": 1},
                           fail_again_share=0.0, seed=3)
    emulator = cloudflare_emulator_factory(scenario, run_seconds=0.1)
    env = {"FLOWOPS_PLATFORM": "cloudflare", "FLOWOPS_ACCOUNT_ID": emulator.account_id, "HOME": str(tmp_path)}
    runner = playbook_for(emulator)
    backup = tmp_path / "dismissed.jsonl"
    names = cf.workflow_names(scenario)
    dismissed = runner.run([{"flowops.ipaas.flow_errors_resolve": {"flow_ids": names, "classifications": ["duplicate"],
                                                                   "backup": True, "backup_file": str(backup)}}], env=env)
    assert dismissed.rc == 0, dismissed.output
    keys = {json.loads(line)["retryDataKey"] for line in backup.read_text().splitlines()}
    assert keys and emulator.non_get_requests() == []  # dismissed in the collection's own state only

    replayed = runner.run([{"flowops.ipaas.flow_errors_retry": {"from_backup": str(backup)}}], env=env)
    assert replayed.rc == 0, replayed.output
    assert set(emulator.restart_counts) == keys and set(emulator.restart_counts.values()) == {1}
    assert replayed["r0"]["counts"]["retried"] == len(keys) and replayed["r0"]["counts"]["cannot_retry"] == 0
