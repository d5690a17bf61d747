"""flow_errors_resolve's run() against an in-memory platform."""

import json
import os

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.modules import flow_errors_resolve

from ansible_collections.flowops.ipaas.tests.unit.plugins.modules.fake_platform import FakeAdapter, FakeModule, run_with


def module(check_mode=False, diff=False, **params):
    params.setdefault("abstract_flow_id", ["abs"])
    return FakeModule(flow_errors_resolve.ARGUMENT_SPEC, check_mode=check_mode, diff=diff, **params)


@pytest.fixture
def platform():
    adapter = FakeAdapter()
    for index in range(3):
        adapter.add_flow("f%d" % index, steps=("s1",), abstract="abs")
        adapter.add_errors("f%d" % index, "s1", 4, classification="duplicate")
        adapter.add_errors("f%d" % index, "s1", 2, classification="intermittent")
    return adapter


def read_lines(path):
    with open(path) as stream:
        return [json.loads(line) for line in stream]


def test_resolves_selection_with_backup_holding_exactly_those_records(platform, tmp_path):
    backup = tmp_path / "backup.jsonl"
    result = run_with(flow_errors_resolve.run, module(classifications=["duplicate"], backup=True, backup_file=str(backup)), platform)
    assert result["changed"] is True
    assert result["counts"] == {"selected": 12, "resolved": 12, "failed": 0}
    records = read_lines(backup)
    assert sorted(r["errorId"] for r in records) == sorted(platform.resolved)
    assert all(r["classification"] == "duplicate" for r in records)
    assert result["backup_file"] == str(backup)
    remaining = [e for errors in platform.open.values() for e in errors.values()]
    assert len(remaining) == 6 and all(e["classification"] == "intermittent" for e in remaining)


def test_backup_written_before_first_write_and_holds_retry_data(platform, tmp_path):
    backup = tmp_path / "backup.jsonl"
    seen = {}

    def check_backup_exists(method, flow_id, step_id, payload):
        if method == "PUT":
            seen["backup_existed"] = backup.exists()
        return None

    platform.faults.append(check_backup_exists)
    run_with(flow_errors_resolve.run, module(flow_ids=["f0"], abstract_flow_id=[], backup=True, backup_file=str(backup),
                                             backup_retry_data=True), platform)
    assert seen["backup_existed"] is True
    records = read_lines(backup)
    assert len(records) == 6
    assert all(r["retryData"]["retryDataKey"] == r["retryDataKey"] for r in records)


def test_unwritable_backup_resolves_nothing(platform, tmp_path):
    with pytest.raises(FlowOpsError, match="backup_file"):
        run_with(flow_errors_resolve.run, module(backup=True, backup_file=str(tmp_path / "missing-dir" / "b.jsonl")), platform)
    assert platform.writes() == []


def test_rerun_is_unchanged_and_sends_no_write(platform):
    run_with(flow_errors_resolve.run, module(classifications=["duplicate"]), platform)
    platform.calls.clear()
    again = run_with(flow_errors_resolve.run, module(classifications=["duplicate"]), platform)
    assert again["changed"] is False
    assert again["counts"]["selected"] == 0
    assert platform.writes() == []


def test_already_resolved_ids_are_reported_not_counted(platform):
    ids = list(platform.open[("f0", "s1")])[:2]
    run_with(flow_errors_resolve.run, module(flow_ids=["f0"], abstract_flow_id=[], error_ids=ids), platform)
    again = run_with(flow_errors_resolve.run, module(flow_ids=["f0"], abstract_flow_id=[], error_ids=ids), platform)
    assert again["changed"] is False
    assert again["not_open_error_ids"] == sorted(ids)


def test_check_mode_with_diff_writes_nothing(platform, tmp_path):
    backup = tmp_path / "backup.jsonl"
    result = run_with(flow_errors_resolve.run, module(check_mode=True, diff=True, backup=True, backup_file=str(backup),
                                                      report_file=str(tmp_path / "r.json")), platform)
    assert platform.writes() == []
    assert not backup.exists() and not (tmp_path / "r.json").exists()
    assert result["changed"] is True
    assert result["diff"]["before"]["f0"]["s1"] == 6
    assert result["diff"]["after"]["f0"]["s1"] == 0


def test_max_errors_stops_before_any_write_and_leaves_no_backup(platform, tmp_path):
    backup = tmp_path / "backup.jsonl"
    with pytest.raises(ValidationError, match="max_errors"):
        run_with(flow_errors_resolve.run, module(max_errors=5, backup=True, backup_file=str(backup)), platform)
    assert platform.writes() == []
    assert not backup.exists()
    assert os.listdir(tmp_path) == []


def test_batches_and_report(platform, tmp_path):
    report = tmp_path / "resolve.json"
    result = run_with(flow_errors_resolve.run, module(batch_size=4, report_file=str(report)), platform)
    puts = platform.writes()
    assert sorted(len(call[4]) for call in puts) == [2, 2, 2, 4, 4, 4]
    written = json.loads(report.read_text())
    assert len(written["keys"]) == result["counts"]["selected"] == 18
    assert {k["action"] for k in written["keys"]} == {"resolved"}


def test_failed_batch_fails_with_counts(platform):
    platform.faults.append(
        lambda method, flow_id, step_id, payload: FlowOpsError("Not Found", status=404, method=method, path="x")
        if method == "PUT" and flow_id == "f1" else None)
    with pytest.raises(FlowOpsError) as caught:
        run_with(flow_errors_resolve.run, module(), platform)
    assert "resolved 12 of 18 selected keys (12 of 18 errors); 6 keys could not be resolved" in str(caught.value)
    assert caught.value.result["per_flow"]["f1"]["counts"]["failed"] == 6


class LocalDismissAdapter(FakeAdapter):
    """A platform with no call that dismisses a finished item (Cloudflare Workflows)."""

    resolve_mode = "local"
    capabilities = FakeAdapter.capabilities - {"resolve"}
    unsupported_hints = {"resolve": "terminate is refused on a finished instance"}


class DeletingAdapter(FakeAdapter):
    """A platform whose only dismiss deletes for good (SuperAI soft DELETE)."""

    resolve_mode = "delete"


def local_platform():
    adapter = LocalDismissAdapter()
    adapter.add_flow("f0", steps=("s1",), abstract="abs")
    adapter.add_errors("f0", "s1", 3, classification="duplicate")
    adapter.add_errors("f0", "s1", 2, classification="intermittent")
    return adapter


def test_local_resolve_records_the_decision_sends_nothing_and_later_runs_skip_it(tmp_path):
    adapter = local_platform()
    dismissed = tmp_path / "state" / "dismissed.jsonl"
    first_module = module(classifications=["duplicate"], dismissed_file=str(dismissed))
    first = run_with(flow_errors_resolve.run, first_module, adapter)
    assert first["changed"] is True and first["counts"]["resolved"] == 3
    assert adapter.writes() == []
    assert any("nothing is sent" in warning for warning in first_module.warnings)
    lines = read_lines(dismissed)
    assert sorted(line["errorId"] for line in lines) == sorted(
        e["errorId"] for e in adapter.open[("f0", "s1")].values() if e["classification"] == "duplicate")
    assert all(line["run_id"] == first["run_id"] for line in lines)

    again = run_with(flow_errors_resolve.run, module(classifications=["duplicate"], dismissed_file=str(dismissed)), adapter)
    assert again["changed"] is False and again["counts"]["selected"] == 0
    rest = run_with(flow_errors_resolve.run, module(dismissed_file=str(dismissed)), adapter)
    assert rest["counts"]["resolved"] == 2  # only the two not dismissed yet


def test_local_resolve_in_check_mode_writes_no_dismissed_file(tmp_path):
    adapter = local_platform()
    dismissed = tmp_path / "dismissed.jsonl"
    result = run_with(flow_errors_resolve.run, module(check_mode=True, dismissed_file=str(dismissed)), adapter)
    assert result["counts"]["resolved"] == 5
    assert not dismissed.exists() and adapter.writes() == []


def test_permanent_resolve_requires_a_backup_and_touches_nothing_without_one():
    adapter = DeletingAdapter()
    adapter.add_flow("f0", steps=("s1",), abstract="abs")
    adapter.add_errors("f0", "s1", 2)
    with pytest.raises(ValidationError) as info:
        run_with(flow_errors_resolve.run, module(), adapter)
    assert str(info.value).startswith("backup: platform 'fake' deletes resolved items for good")
    assert adapter.calls == []


def test_permanent_resolve_with_a_backup_goes_ahead(tmp_path):
    adapter = DeletingAdapter()
    adapter.add_flow("f0", steps=("s1",), abstract="abs")
    adapter.add_errors("f0", "s1", 2)
    result = run_with(flow_errors_resolve.run, module(backup=True, backup_file=str(tmp_path / "b.jsonl")), adapter)
    assert result["counts"]["resolved"] == 2 and len(read_lines(tmp_path / "b.jsonl")) == 2


def key_open_twice():
    """One step: key ``kA`` open under two error ids (Celigo keeps a retried error open beside the one its failed retry
    left), a plain key, and an error without a key."""
    adapter = FakeAdapter()
    adapter.add_flow("f0", steps=("s1",), abstract="abs")
    first, plain = adapter.add_errors("f0", "s1", 2)
    again = dict(first, errorId="e-again")
    adapter.open[("f0", "s1")]["e-again"] = again
    keyless = adapter.add_errors("f0", "s1", 1, retryable=False)[0]
    return adapter, first, again, plain, keyless


def test_a_key_with_two_open_errors_is_resolved_once_with_both_counted_once_and_reported_once(tmp_path):
    adapter, first, again, plain, keyless = key_open_twice()
    report, backup = tmp_path / "resolve.json", tmp_path / "backup.jsonl"
    result = run_with(flow_errors_resolve.run, module(report_file=str(report), backup=True, backup_file=str(backup)), adapter)
    assert result["counts"] == {"selected": 3, "resolved": 3, "failed": 0}
    assert result["error_counts"] == {"selected": 4, "resolved": 4, "failed": 0}
    puts = adapter.writes()
    assert len(puts) == 1 and sorted(puts[0][4]) == sorted([first["errorId"], "e-again", plain["errorId"], keyless["errorId"]])
    assert adapter.open[("f0", "s1")] == {}
    entries = dict((entry["retryDataKey"], entry) for entry in json.loads(report.read_text())["keys"])
    assert set(entries) == {first["retryDataKey"], plain["retryDataKey"], keyless["errorId"]}
    assert sorted(entries[first["retryDataKey"]]["errorIds"]) == sorted([first["errorId"], "e-again"])
    assert entries[keyless["errorId"]]["errorIds"] == [keyless["errorId"]]
    every_id = sorted([first["errorId"], "e-again", plain["errorId"], keyless["errorId"]])
    assert sorted(r["errorId"] for r in read_lines(backup)) == every_id  # every record kept
    again_run = run_with(flow_errors_resolve.run, module(), adapter)
    assert again_run["changed"] is False and adapter.writes() == puts


def test_check_mode_counts_keys_like_the_real_run_and_sends_nothing():
    adapter, first, dummy, dummy2, dummy3 = key_open_twice()
    result = run_with(flow_errors_resolve.run, module(check_mode=True, diff=True), adapter)
    assert result["counts"] == {"selected": 3, "resolved": 3, "failed": 0}
    assert result["error_counts"]["selected"] == 4
    assert adapter.writes() == [] and first["errorId"] in adapter.open[("f0", "s1")]


def test_max_errors_counts_error_ids_not_keys():
    adapter = key_open_twice()[0]
    with pytest.raises(ValidationError, match="the selection holds 4 errors, more than max_errors"):
        run_with(flow_errors_resolve.run, module(max_errors=3), adapter)
    assert adapter.writes() == []


def test_error_ids_asked_for_are_found_under_their_key():
    adapter, first, dummy, dummy2, dummy3 = key_open_twice()
    result = run_with(flow_errors_resolve.run, module(flow_ids=["f0"], abstract_flow_id=[], error_ids=["e-again", "e-nowhere"]),
                      adapter)
    assert result["not_open_error_ids"] == ["e-nowhere"]
    assert result["counts"]["resolved"] == 1 and adapter.writes()[0][4] == ["e-again"]
    assert first["errorId"] in adapter.open[("f0", "s1")]  # not asked for: left open


def test_batches_never_split_a_key_and_hold_at_most_batch_size_error_ids():
    adapter, first, dummy, dummy2, dummy3 = key_open_twice()
    adapter.add_errors("f0", "s1", 2)
    run_with(flow_errors_resolve.run, module(batch_size=2), adapter)
    puts = [call[4] for call in adapter.writes()]
    assert all(len(ids) <= 2 for ids in puts) and sum(len(ids) for ids in puts) == 6
    assert any(sorted(ids) == sorted([first["errorId"], "e-again"]) for ids in puts)


class ChangingAdapter(FakeAdapter):
    """Re-reads each item before the write (Activepieces, SuperAI): the ids in ``moved`` changed since the listing."""

    def __init__(self):
        super().__init__()
        self.moved = {}

    def resolve(self, flow_id, step_id, error_ids):
        FakeAdapter.resolve(self, flow_id, step_id, [e for e in error_ids if e not in self.moved])
        return dict((e, self.moved[e]) for e in error_ids if e in self.moved) or None


def test_a_key_changed_since_listing_is_not_counted_resolved_and_names_the_status(tmp_path):
    adapter = ChangingAdapter()
    adapter.add_flow("f0", steps=("s1",), abstract="abs")
    gone, kept = adapter.add_errors("f0", "s1", 2)
    adapter.moved[gone["errorId"]] = "status RUNNING"
    report = tmp_path / "r.json"
    result = run_with(flow_errors_resolve.run, module(report_file=str(report)), adapter)
    assert (result["counts"]["resolved"], result["counts"]["changed_since_listing"]) == (1, 1)
    entry = [e for e in json.loads(report.read_text())["keys"] if e["retryDataKey"] == gone["retryDataKey"]][0]
    assert entry["action"] == "changed_since_listing" and "status RUNNING" in entry["reason"]
    assert kept["errorId"] not in adapter.open[("f0", "s1")]
