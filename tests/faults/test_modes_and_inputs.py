"""Cases 11 and 12: check mode sends no write for any module; invalid input fails before any request."""

# pylint: disable=redefined-outer-name

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import MODULES, assert_clean_failure, small_scenario, task


@pytest.fixture
def scenario():
    return small_scenario(instances=3, steps=2, errors=4, disabled_instances=1, fail_again_share=0.5)


def test_check_mode_sends_no_write_request_for_any_module(celigo_emulator_factory, playbook, scenario, home, tmp_path):
    emulator = celigo_emulator_factory(scenario)
    selection = {"abstract_flow_id": scenarios.abstract_flow_ids(scenario)}
    connections = scenarios.connection_ids(scenario)
    out = tmp_path / "out"
    out.mkdir()
    tasks = [
        task("flow_instance_info", "flow_instance_info", **selection),
        task("flow_errors_info", "flow_errors_info", records_file=str(out / "records.jsonl"), **selection),
        task("flow_errors_retry", "flow_errors_retry", wait=True, report_file=str(out / "retry.json"), **selection),
        task("flow_errors_resolve", "flow_errors_resolve", backup=True, backup_retry_data=True,
             report_file=str(out / "resolve.json"), **selection),
        task("flow_connection_replace", "flow_connection_replace", report_file=str(out / "replace.json"),
             connection_map={connections["sandbox"]: connections["production"]}, **selection),
    ]
    assert sorted(item["register"] for item in tasks) == sorted(MODULES)
    outcome = playbook(emulator.url, emulator.token).run(tasks, check=True, diff=True, env={"HOME": str(home)})
    assert outcome.rc == 0, outcome.output[-3000:]
    assert emulator.non_get_requests() == []
    assert {entry["method"] for entry in emulator.requests} == {"GET"}
    for name in ("flow_errors_retry", "flow_errors_resolve", "flow_connection_replace"):
        assert outcome[name]["changed"] is True, "%s in check mode: %s" % (name, outcome[name])
        assert outcome[name]["diff"]["before"] != outcome[name]["diff"]["after"], name
    assert outcome["flow_errors_retry"]["counts"]["retried"] > 0
    assert outcome["flow_errors_resolve"]["counts"]["resolved"] == 3 * 2 * 4
    assert outcome["flow_connection_replace"]["counts"]["changed"] == 3
    assert emulator.retry_counts == {}
    # in check mode only the info module's records_file may be written (it is a read); no report, no backup
    assert sorted(path.name for path in out.iterdir()) in ([], ["records.jsonl"])
    assert not (home / ".flowops").exists()


FLOW = "6a0fc7eb7202049b32ea45b1"
INVALID = [
    # (register, module, options, what the message must name)
    ("unknown_strategy", "flow_errors_retry", {"strategy": "bogus"}, "strategy"),
    ("unknown_classification", "flow_errors_retry", {"classifications": ["bogus"]}, "classifications"),
    ("unknown_platform", "flow_instance_info", {"platform": "mulesoft"}, "platform"),
    ("unknown_option", "flow_errors_retry", {"bogus_option": 1}, "bogus_option"),
    ("unsupported_strategy", "flow_errors_retry", {"strategy": "latest_version"}, "latest_version"),
    ("batch_size_zero", "flow_errors_retry", {"batch_size": 0}, "batch_size"),
    ("batch_size_above_api_limit", "flow_errors_retry", {"batch_size": 1001}, "batch_size"),
    ("batch_size_negative", "flow_errors_resolve", {"batch_size": -1}, "batch_size"),
    ("duplicate_retry_data_keys", "flow_errors_retry", {"retry_data_keys": ["k1", "k2", "k1"]}, "duplicate"),
    ("duplicate_error_ids", "flow_errors_resolve", {"error_ids": ["e1", "e1"]}, "duplicate"),
    ("duplicate_flow_ids", "flow_errors_info", {"flow_ids": [FLOW, FLOW]}, "duplicate"),
    ("bad_regex", "flow_errors_info", {"message_regex": "(["}, "message_regex"),
    ("map_to_itself", "flow_connection_replace", {"connection_map": {"c1": "c1"}}, "maps to itself"),
    ("map_chain", "flow_connection_replace", {"connection_map": {"c1": "c2", "c2": "c3"}}, "both replaced and a replacement"),
    ("map_empty", "flow_connection_replace", {"connection_map": {}}, "connection_map"),
    ("map_value_not_an_id", "flow_connection_replace", {"connection_map": {"c1": 5}}, "connection_map"),
    ("map_not_a_dict", "flow_connection_replace", {"connection_map": ["c1", "c2"]}, "connection_map"),
    ("bad_time", "flow_errors_info", {"occurred_after": "yesterday-ish"}, "occurred_after"),
    ("times_out_of_order", "flow_errors_info", {"occurred_after": "2026-11-21", "occurred_before": "2026-11-20"},
     "occurred_after"),
    ("no_selection", "flow_errors_info", {"flow_ids": []}, "select flows"),
    ("max_concurrency_zero", "flow_errors_retry", {"max_concurrency": 0}, "max_concurrency"),
    ("timeout_zero", "flow_instance_info", {"timeout": 0}, "timeout"),
    ("max_retries_above_range", "flow_instance_info", {"max_retries": 50}, "max_retries"),
    ("api_url_not_http", "flow_instance_info", {"api_url": "ftp://127.0.0.1/"}, "api_url"),
    ("empty_token", "flow_instance_info", {"api_token": ""}, "api_token"),
    ("wait_timeout_negative", "flow_errors_retry", {"wait_timeout": -1}, "wait_timeout"),
    ("poll_interval_zero", "flow_errors_retry", {"poll_interval": 0}, "poll_interval"),
    ("max_errors_negative", "flow_errors_resolve", {"max_errors": -1}, "max_errors"),
    ("max_records_negative", "flow_errors_info", {"max_records": -1}, "max_records"),
]


def test_invalid_input_fails_before_any_request(celigo_emulator_factory, playbook, scenario):
    emulator = celigo_emulator_factory(scenario)
    tasks = []
    for register, module, options, _word in INVALID:
        options = dict({"flow_ids": [FLOW]}, **options)
        if module == "flow_connection_replace" and "connection_map" not in options:
            options["connection_map"] = {"c1": "c2"}
        tasks.append(task(module, register, ignore_errors=True, **options))
    outcome = playbook(emulator.url, emulator.token).run(tasks)
    assert outcome.rc == 0, outcome.output[-3000:]
    problems = []
    for register, module, _options, word in INVALID:
        result = outcome[register]
        try:
            assert_clean_failure(result)
            assert word in result["msg"], "the message does not name %r" % word
        except AssertionError as exc:
            problems.append("%s (%s): %s -> %s" % (register, module, exc, result.get("msg")))
    assert not problems, "\n".join(problems)
    assert emulator.requests == [], "requests sent for invalid input: %s" % emulator.requests[:5]


def test_unwritable_output_files_fail_before_any_write(celigo_emulator_factory, playbook, scenario, tmp_path):
    """A report, backup or records file that cannot be written is known before anything is changed: the task
    must fail before its first write request, not after the work is done and its record lost."""
    emulator = celigo_emulator_factory(scenario)
    missing = tmp_path / "no-such-directory"
    selection = {"abstract_flow_id": scenarios.abstract_flow_ids(scenario)}
    connections = scenarios.connection_ids(scenario)
    cases = [
        ("retry_report", task("flow_errors_retry", "retry_report", ignore_errors=True, skip_disabled=True,
                              report_file=str(missing / "retry.json"), **selection)),
        ("resolve_report", task("flow_errors_resolve", "resolve_report", ignore_errors=True,
                                report_file=str(missing / "resolve.json"), **selection)),
        ("resolve_backup", task("flow_errors_resolve", "resolve_backup", ignore_errors=True, backup=True,
                                backup_file=str(missing / "backup.jsonl"), **selection)),
        ("replace_report", task("flow_connection_replace", "replace_report", ignore_errors=True,
                                connection_map={connections["sandbox"]: connections["production"]},
                                report_file=str(missing / "replace.json"), **selection)),
        ("info_records", task("flow_errors_info", "info_records", ignore_errors=True,
                              records_file=str(missing / "records.jsonl"), **selection)),
    ]
    outcome = playbook(emulator.url, emulator.token).run([item for _name, item in cases])
    problems = []
    for register, _item in cases:
        result = outcome[register]
        try:
            assert_clean_failure(result)
            assert "no-such-directory" in result["msg"], "the message does not name the path"
        except AssertionError as exc:
            problems.append("%s: %s -> %s" % (register, exc, result.get("msg")))
    writes = sorted({"%s %s" % (entry["method"], entry["path"].rsplit("/", 1)[-1]) for entry in emulator.non_get_requests()})
    if writes:
        state = emulator.state.summary()
        problems.append("write requests were sent although an output file could not be written: %s (server state: %d "
                        "errors resolved, %d flows re-pointed, %d keys retried)" % (
                            writes, sum(sum(steps.values()) for steps in state["resolved"].values()),
                            len(state["connection_overrides"]), len(state["retry_counts"])))
    assert not problems, "\n".join(problems)
