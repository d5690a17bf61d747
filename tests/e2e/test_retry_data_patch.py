"""Fix, then retry: flow_errors_retry patches each record's stored retry data (Celigo), with a backup, then retries."""

import json

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.playbook_env import ignoring_errors

BAD_AMOUNT = "12,50"  # a decimal comma: the target wants a number, so the record fails until it is fixed


@pytest.fixture
def emulator(celigo_emulator_factory):
    """Two instances; their "value" errors carry a record whose amount is text and fail again until it is a number."""
    scenario = scenarios.generate(instances=2, steps=2, errors_per_step=8, disabled_instances=0, retryable_share=1.0,
                                  classifications={"value": 1, "intermittent": 1}, fail_again_share=0, seed=5)
    for index, error in enumerate(scenario["errors"]):
        if error["classification"] == "value":
            error["retry_data"] = {"id": "REC-%03d" % index, "amount": BAD_AMOUNT, "currency": "EUR"}
            error["fail_unless"] = {"amount": "number"}
    return celigo_emulator_factory(scenario, page_size=50, job_seconds=0.1)


@pytest.fixture
def run(emulator, playbook_for):
    return playbook_for(emulator).run


def value_errors(emulator):
    return [e for e in emulator.scenario["errors"] if e["classification"] == "value"]


def selection(emulator, **extra):
    return dict({"abstract_flow_id": scenarios.abstract_flow_ids(emulator.scenario)[0], "classifications": ["value"]}, **extra)


def stored(emulator, error):
    return emulator.state.retry_data(error["_flowId"], error["_stepId"], error["retryDataKey"])


def puts(emulator):
    return [entry for entry in emulator.requests if entry["method"] == "PUT"]


def test_patch_then_retry_succeeds_where_the_unpatched_retry_failed_again(emulator, run, tmp_path):
    keys = {e["retryDataKey"] for e in value_errors(emulator)}
    plain = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, wait=True, poll_interval=0.2)}])
    assert plain.rc == 0, plain.output
    assert set(plain["r0"]["failed_again_keys"]) == keys  # the record is still wrong: every retry fails again

    backup = tmp_path / "retry-data.jsonl"
    emulator.clear_requests()
    fixed = run([{"flowops.ipaas.flow_errors_retry": selection(
        emulator, retry_data_patch={"amount": 12.5}, backup_file=str(backup), wait=True, poll_interval=0.2)}])
    assert fixed.rc == 0, fixed.output
    result = fixed["r0"]
    assert result["counts"]["succeeded"] == len(keys) and result["counts"]["failed_again"] == 0
    assert result["retry_data"]["patched"] == len(keys) and result["backup_file"] == str(backup)
    for error in value_errors(emulator):
        assert stored(emulator, error)["data"] == {"id": error["retry_data"]["id"], "amount": 12.5, "currency": "EUR"}
    records = [json.loads(line) for line in backup.read_text().splitlines()]
    assert {r["retryDataKey"] for r in records} == keys
    assert all(r["retryData"]["data"]["amount"] == BAD_AMOUNT and r["retryData"]["retryDataKey"] == r["retryDataKey"]
               for r in records)
    # every PUT came before the first retry, and each key was patched once
    log = emulator.requests
    first_retry = next(i for i, entry in enumerate(log) if entry["method"] == "POST")
    assert all(i < first_retry for i, entry in enumerate(log) if entry["method"] == "PUT")
    assert sorted(entry["path"].split("/")[5] for entry in puts(emulator)) == sorted(keys)


def test_template_replaces_the_data_with_what_it_computes_from_data_and_error(emulator, run, tmp_path):
    template = "dict(data, amount=data.amount | replace(',', '.') | float, note=error.code)"
    result = run([{"flowops.ipaas.flow_errors_retry": selection(
        emulator, retry_data_template=template, backup_file=str(tmp_path / "b.jsonl"), wait=True, poll_interval=0.2)}])
    assert result.rc == 0, result.output
    assert result["r0"]["counts"]["succeeded"] == len(value_errors(emulator))
    for error in value_errors(emulator):
        assert stored(emulator, error)["data"] == dict(error["retry_data"], amount=12.5, note=error["code"])


def test_check_mode_reads_and_shows_before_and_after_but_writes_nothing(emulator, run, tmp_path):
    backup = tmp_path / "never.jsonl"
    result = run([{"flowops.ipaas.flow_errors_retry": selection(emulator, retry_data_patch={"amount": 12.5},
                                                                backup_file=str(backup))}], check=True, diff=True)
    assert result.rc == 0, result.output
    assert emulator.non_get_requests() == []
    assert not backup.exists()
    assert any("/data" in entry["path"] for entry in emulator.requests)  # it did read the data
    entries = [entry for entry in result["r0"]["diff"] if "before_header" in entry]
    assert len(entries) == len(value_errors(emulator))
    assert json.loads(entries[0]["before"])["amount"] == BAD_AMOUNT and json.loads(entries[0]["after"])["amount"] == 12.5
    assert result["r0"]["retry_data"]["patched"] == len(value_errors(emulator))
    assert all(stored(emulator, e)["data"]["amount"] == BAD_AMOUNT for e in value_errors(emulator))


BAD_PATCH_OPTIONS = [
    ({"retry_data_template": "dict(data, amount="}, "retry_data_template:"),
    ({"retry_data_template": "data", "retry_data_patch": {"amount": 1}}, "retry_data_patch: set retry_data_patch or"),
    ({"retry_data_patch": {"amount": 1}, "backup_file": "/proc/no/such/dir/b.jsonl"}, "backup_file: cannot write"),
    ({"retry_data_patch": {"amount": 1}, "platform": "cloudflare", "account_id": "a" * 32, "flow_ids": ["orders"],
      "abstract_flow_id": None}, "platform 'cloudflare' does not support patching retry data (retry_data_patch)"),
]


def test_bad_patch_options_fail_with_one_line_before_any_request(emulator, run):
    tasks = [{"flowops.ipaas.flow_errors_retry": dict((name, value) for name, value in selection(emulator, **options).items()
                                                      if value is not None)} for options, _fragment in BAD_PATCH_OPTIONS]
    result = run(ignoring_errors(tasks))
    assert result.rc == 0, result.output
    for (options, fragment), message in zip(BAD_PATCH_OPTIONS, result.failure_messages(len(BAD_PATCH_OPTIONS))):
        assert fragment in message and "\n" not in message, (options, message)
    assert emulator.requests == []


def test_a_template_that_gives_no_dict_for_a_record_patches_and_retries_nothing(emulator, run, tmp_path):
    backup = tmp_path / "b.jsonl"
    result = run([{"flowops.ipaas.flow_errors_retry": selection(
        emulator, retry_data_template="data.amount", backup_file=str(backup))}])
    assert result.rc != 0
    message = result["r0"]["msg"]
    assert message.startswith("retry_data_template: must give a dict, gave a string for key") and "\n" not in message
    assert emulator.non_get_requests() == []
    assert not backup.exists()


def test_patching_again_after_the_fix_sends_nothing(emulator, run, tmp_path):
    options = selection(emulator, retry_data_patch={"amount": 12.5}, backup_file=str(tmp_path / "b.jsonl"), wait=True,
                        poll_interval=0.2)
    first = run([{"flowops.ipaas.flow_errors_retry": options}])
    assert first.rc == 0, first.output
    assert first["r0"]["changed"] is True
    emulator.clear_requests()
    again = run([{"flowops.ipaas.flow_errors_retry": dict(options, backup_file=str(tmp_path / "second.jsonl"))}])
    assert again.rc == 0, again.output
    assert again["r0"]["changed"] is False and again["r0"]["retry_data"]["selected"] == 0
    assert emulator.non_get_requests() == []
    assert not (tmp_path / "second.jsonl").exists()
