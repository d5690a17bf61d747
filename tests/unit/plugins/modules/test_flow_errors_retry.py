"""flow_errors_retry's run() against an in-memory platform."""

import json
from unittest.mock import Mock

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.plan import PlanGate
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.resume import Journal
from ansible_collections.flowops.ipaas.plugins.module_utils._run.runner import build_context
from ansible_collections.flowops.ipaas.plugins.modules import flow_errors_retry

from ansible_collections.flowops.ipaas.tests.unit.plugins.modules.fake_platform import FakeAdapter, FakeModule, run_with


def module(check_mode=False, **params):
    params.setdefault("abstract_flow_id", ["abs"])
    params.setdefault("poll_interval", 0.01)
    return FakeModule(flow_errors_retry.ARGUMENT_SPEC, check_mode=check_mode, **params)


@pytest.fixture
def platform():
    adapter = FakeAdapter()
    for index in range(4):
        adapter.add_flow("f%d" % index, steps=("s1", "s2"), abstract="abs")
        adapter.add_errors("f%d" % index, "s1", 5)
        adapter.add_errors("f%d" % index, "s2", 2, retryable=False, classification="connection")
    return adapter


def test_retries_every_retryable_key_once_and_reports_the_rest(platform):
    result = run_with(flow_errors_retry.run, module(), platform)
    assert result["changed"] is True
    assert result["counts"]["selected"] == 28
    assert result["counts"]["retried"] == 20
    assert result["counts"]["not_retryable"] == 8
    assert set(platform.retry_counts.values()) == {1} and len(platform.retry_counts) == 20
    assert len(result["jobs"]) == 4
    assert result["per_flow"]["f0"]["steps"]["s2"]["not_retryable"] == 2


def test_check_mode_sends_no_write_and_returns_what_would_be_retried(platform):
    result = run_with(flow_errors_retry.run, module(check_mode=True), platform)
    assert platform.writes() == []
    assert result["changed"] is True
    assert result["counts"]["retried"] == 20


def test_rerun_after_clean_recovery_is_unchanged(platform):
    run_with(flow_errors_retry.run, module(retryable=True), platform)
    platform.calls.clear()
    again = run_with(flow_errors_retry.run, module(retryable=True), platform)
    assert again["changed"] is False
    assert again["counts"]["selected"] == 0
    assert platform.writes() == []


def test_batches_respect_batch_size(platform):
    platform.add_flow("big", steps=("s1",), abstract="abs")
    platform.add_errors("big", "s1", 2500)
    result = run_with(flow_errors_retry.run, module(flow_ids=["big"], abstract_flow_id=[]), platform)
    posts = [call for call in platform.writes() if call[2] == "big"]
    assert sorted(len(call[4]) for call in posts) == [500, 1000, 1000]
    assert result["counts"]["retried"] == 2500


@pytest.mark.parametrize("params, option", [
    ({"batch_size": 0}, "batch_size"),
    ({"batch_size": 1001}, "batch_size"),
    ({"message_regex": "(unclosed"}, "message_regex"),
    ({"wait_timeout": -1}, "wait_timeout"),
    ({"retry_data_keys": ["k1", "k1"]}, "retry_data_keys"),
])
def test_bad_options_fail_before_any_request(platform, params, option):
    with pytest.raises(ValidationError) as caught:
        run_with(flow_errors_retry.run, module(**params), platform)
    assert str(caught.value).startswith(option)
    assert platform.calls == []


def test_max_errors_refuses_before_any_write(platform):
    with pytest.raises(ValidationError, match="max_errors"):
        run_with(flow_errors_retry.run, module(max_errors=10), platform)
    assert platform.writes() == []


def test_disabled_instance_is_reported_while_the_others_are_retried(platform):
    platform.flows["f1"]["disabled"] = True
    result = run_with(flow_errors_retry.run, module(), platform)
    assert result["per_flow"]["f1"]["counts"]["skipped_disabled"] == 5
    assert result["counts"]["retried"] == 15
    assert result["changed"] is True


def test_skip_disabled_sends_nothing_for_disabled_flows(platform):
    platform.flows["f1"]["disabled"] = True
    result = run_with(flow_errors_retry.run, module(skip_disabled=True), platform)
    assert not [call for call in platform.writes() if call[2] == "f1"]
    assert result["counts"]["skipped_disabled"] == 5


def test_wait_reconciles_by_key_failed_again_under_new_error_id(platform):
    platform.add_flow("g", steps=("s1",), abstract="abs")
    again = platform.add_errors("g", "s1", 3, fail_again=1)
    result = run_with(flow_errors_retry.run, module(wait=True), platform)
    assert result["counts"]["failed_again"] == 3
    assert result["counts"]["succeeded"] == 20
    assert sorted(result["failed_again_keys"]) == sorted(e["retryDataKey"] for e in again)
    # A further round with the failed-again keys retries them once more and they now succeed.
    second = run_with(flow_errors_retry.run, module(wait=True, retry_data_keys=result["failed_again_keys"]), platform)
    assert second["counts"]["succeeded"] == 3
    assert all(platform.retry_counts[e["retryDataKey"]] == 2 for e in again)


def test_204_counts_as_nothing_to_do(platform):
    original = platform.retry

    def vanished(flow_id, step_id, keys, strategy, options=None, listed=None):
        platform.open[(flow_id, step_id)].clear()
        return original(flow_id, step_id, keys, strategy)

    platform.retry = vanished
    result = run_with(flow_errors_retry.run, module(flow_ids=["f0"], abstract_flow_id=[], retryable=True), platform)
    assert result["counts"]["nothing_to_do"] == 5
    assert result["changed"] is False


def test_post_that_may_have_applied_is_not_resent_blindly(platform):
    """The server took the batch, then the connection dropped: re-read, do not re-send."""
    original = platform.retry
    state = {"failed": False}

    def applied_then_dropped(flow_id, step_id, keys, strategy, options=None, listed=None):
        original(flow_id, step_id, keys, strategy)
        if not state["failed"]:
            state["failed"] = True
            raise FlowOpsError("connection reset", method="POST", path="retry", may_have_applied=True)
        return {"_id": "j", "status": "queued", "done": False}

    platform.retry = applied_then_dropped
    result = run_with(flow_errors_retry.run, module(flow_ids=["f0"], abstract_flow_id=[], retryable=True), platform)
    assert set(platform.retry_counts.values()) == {1}
    assert result["counts"]["retried"] == 5


def test_post_that_never_applied_is_sent_once_more(platform):
    original = platform.retry
    state = {"failed": False}

    def dropped_before_applying(flow_id, step_id, keys, strategy, options=None, listed=None):
        if not state["failed"]:
            state["failed"] = True
            raise FlowOpsError("HTTP 502", status=502, method="POST", path="retry", may_have_applied=True)
        return original(flow_id, step_id, keys, strategy)

    platform.retry = dropped_before_applying
    result = run_with(flow_errors_retry.run, module(flow_ids=["f0"], abstract_flow_id=[], retryable=True), platform)
    assert set(platform.retry_counts.values()) == {1} and len(platform.retry_counts) == 5
    assert result["counts"]["retried"] == 5


def test_unrecoverable_batch_failure_fails_with_counts_and_report(platform, tmp_path):
    """Persistent 503 on one flow after the selection was read: the others finish, the report lists all keys."""
    armed = {"on": False}

    def flow_f2_down(method, flow_id, step_id, payload):
        if armed["on"] and flow_id == "f2":
            return FlowOpsError("Service Unavailable", status=503, method=method, path="/v1/flows/f2",
                                may_have_applied=method == "POST")
        return None

    original = platform.retry

    def retry(flow_id, step_id, keys, strategy, options=None, listed=None):
        armed["on"] = True
        return original(flow_id, step_id, keys, strategy)

    platform.retry = retry
    platform.faults.append(flow_f2_down)
    report = tmp_path / "report.json"
    with pytest.raises(FlowOpsError) as caught:
        run_with(flow_errors_retry.run, module(retryable=True, report_file=str(report)), platform)
    assert "retried 15 of 20 selected keys; 5 keys remain not retried (0 failed, 5 in doubt)" in str(caught.value)
    assert caught.value.result["counts"]["in_doubt"] == 5
    written = json.loads(report.read_text())
    assert len(written["keys"]) == 20
    assert sorted({k["action"] for k in written["keys"]}) == ["in_doubt", "retried"]
    assert not (tmp_path / "report.json.journal").exists()


def test_report_lists_every_key_and_rerun_with_run_id_skips_done_keys(platform, tmp_path):
    report = tmp_path / "retry.json"
    first = run_with(flow_errors_retry.run, module(report_file=str(report), run_id="run-1"), platform)
    written = json.loads(report.read_text())
    assert written["run_id"] == "run-1"
    assert len(written["keys"]) == first["counts"]["selected"]
    # Errors come back (say the platform re-raised them): the same run_id does not retry them twice.
    for flow in ("f0", "f1"):
        platform.add_errors(flow, "s1", 1)
    key = next(iter(platform.retry_counts))
    platform.open[("f0", "s1")]["x" + key] = {"errorId": "x" + key, "retryDataKey": key, "occurredAt": "2026-11-20T05:00:00Z",
                                              "source": "application", "code": "503", "message": "again"}
    second = run_with(flow_errors_retry.run, module(report_file=str(report), run_id="run-1", retryable=True), platform)
    assert second["counts"]["already_done"] == 1
    assert second["counts"]["retried"] == 2


def test_restart_from_step_is_refused_before_any_request_where_the_platform_cannot(platform):
    with pytest.raises(FlowOpsError) as info:
        run_with(flow_errors_retry.run, module(restart_from_step="charge card"), platform)
    assert str(info.value) == "platform 'fake' does not support restart_from_step"
    assert platform.calls == []


def test_restart_from_step_reaches_the_adapter_where_the_platform_can(platform):
    platform.capabilities = platform.capabilities | {"restart_from_step"}
    seen = []
    original = platform.retry

    def retry(flow_id, step_id, keys, strategy, options=None, listed=None):
        seen.append(options)
        return original(flow_id, step_id, keys, strategy)

    platform.retry = retry
    result = run_with(flow_errors_retry.run, module(restart_from_step="charge card", retryable=True), platform)
    assert result["counts"]["retried"] == 20
    assert seen and all(options == {"from_step": "charge card"} for options in seen)


def test_outcomes_the_job_knows_are_used_before_the_listing(platform):
    """A platform that tracks each key's run (Activepieces) tells the outcome itself."""
    reported = {}

    def key_outcomes(job_id):
        return reported.get(job_id)

    platform.key_outcomes = key_outcomes
    original = platform.retry

    def retry(flow_id, step_id, keys, strategy, options=None, listed=None):
        job = original(flow_id, step_id, keys, strategy)
        reported[job["_id"]] = dict((key, "failed_again") for key in keys[:1])
        return job

    platform.retry = retry
    result = run_with(flow_errors_retry.run, module(retryable=True, wait=True), platform)
    assert result["counts"]["failed_again"] == 4  # the first key of each of the four batches, as the job said
    assert result["counts"]["succeeded"] == 16


def test_keys_a_platform_did_not_retry_are_accounted_for_by_key(platform, tmp_path):
    """A per-key answer (Activepieces bulk retry) names refused, lost and no-longer-open keys in the job."""
    original = platform.retry

    def retry(flow_id, step_id, keys, strategy, options=None, listed=None):
        job = original(flow_id, step_id, keys[3:], strategy)
        job.update(rejected={keys[0]: "[OUTSIDE_RETENTION] too old"}, in_doubt={keys[1]: "answer lost"},
                   not_matched={keys[2]: "not open any more"})
        return job

    platform.retry = retry
    report = tmp_path / "report.json"
    with pytest.raises(FlowOpsError) as info:
        run_with(flow_errors_retry.run, module(retryable=True, report_file=str(report)), platform)
    counts = info.value.result["counts"]
    assert (counts["retried"], counts["failed"], counts["in_doubt"], counts["nothing_to_do"]) == (8, 4, 4, 4)
    keys = json.loads(report.read_text())["keys"]
    assert {k["reason"] for k in keys if k["action"] == "failed"} == {"[OUTSIDE_RETENTION] too old"}
    assert all(k["job"] for k in keys if k["action"] == "retried")
    assert not any(k["job"] for k in keys if k["action"] != "retried")


# -- issue #25: what the platform answers per key, and endings that are not success ------------------------------


def test_keys_changed_since_listing_are_accounted_and_not_retried(platform):
    """A platform that re-reads each item before acting names the ones another actor changed: no job, no retry."""
    original = platform.retry
    seen = {}

    def recheck(flow_id, step_id, keys, strategy, options=None, listed=None):
        seen.update(listed)
        changed = dict((key, "status running (restarted by someone else)") for key in keys[:2])
        job = original(flow_id, step_id, [key for key in keys if key not in changed], strategy) if len(keys) > 2 else {}
        return dict(job or {}, changed_since_listing=changed)

    platform.retry = recheck
    result = run_with(flow_errors_retry.run, module(flow_ids=["f0"], abstract_flow_id=[], retryable=True), platform)
    counts = result["counts"]
    assert (counts["selected"], counts["retried"], counts["changed_since_listing"]) == (5, 3, 2), counts
    assert set(seen.values()) == set(e["errorId"] for e in platform.resolved.values()) | set(
        e["errorId"] for e in platform.open[("f0", "s1")].values())  # the listed error id of every key
    assert sorted(platform.retry_counts.values()) == [1, 1, 1]


def test_a_job_with_only_changed_keys_creates_no_job(platform):
    platform.retry = lambda flow_id, step_id, keys, strategy, options=None, listed=None: {
        "changed_since_listing": dict((key, "gone") for key in keys)}
    result = run_with(flow_errors_retry.run, module(flow_ids=["f0"], abstract_flow_id=[], retryable=True), platform)
    assert result["jobs"] == [] and result["counts"]["changed_since_listing"] == 5 and result["changed"] is False


def test_an_ending_that_is_not_success_is_not_recovered_with_the_platform_status(platform, tmp_path):
    platform.key_outcomes = lambda job_id: dict(
        (e["retryDataKey"], ("not_recovered", "terminated")) for e in platform.resolved.values())
    report = tmp_path / "retry.json"
    result = run_with(flow_errors_retry.run, module(flow_ids=["f0"], abstract_flow_id=[], retryable=True, wait=True,
                                                    report_file=str(report)), platform)
    counts = result["counts"]
    assert (counts["retried"], counts["not_recovered"], counts["succeeded"]) == (5, 5, 0), counts
    keys = json.loads(report.read_text())["keys"]
    assert {(k["outcome"], k["reason"]) for k in keys} == {("not_recovered", "platform status: terminated")}


# -- run() takes its collaborators: doubles stand in for them -------------------------------------------------------


def test_a_plan_gate_double_that_refuses_stops_the_run_before_any_request(platform):
    ctx, collaborators = build_context(module(), platform, flow_errors_retry.build)
    gate = Mock(spec=PlanGate)
    gate.check.side_effect = ValidationError("plan_file: /p.json does not exist; write it with a check-mode run first")
    with pytest.raises(ValidationError, match="^plan_file: /p.json does not exist"):
        flow_errors_retry.run(ctx, **dict(collaborators, gate=gate))
    gate.check.assert_called_once_with()
    assert platform.calls == []


def test_a_journal_double_hears_every_batch_and_is_closed(platform):
    ctx, collaborators = build_context(module(flow_ids=["f0"], abstract_flow_id=[], retryable=True), platform,
                                       flow_errors_retry.build)
    journal = Mock(spec=Journal)
    result = flow_errors_retry.run(ctx, **dict(collaborators, open_journal=Mock(return_value=journal)))
    assert result["counts"]["retried"] == 5
    journaled = [call.args for call in journal.record.call_args_list]
    assert [(sorted(args[0]), args[1]) for args in journaled] == [(sorted(platform.retry_counts), "submitting"),
                                                                  (sorted(platform.retry_counts), "retried")]
    journal.close.assert_called_once_with(remove=False)  # no report written: the journal stays


def test_build_reads_the_options_into_typed_collaborators(platform):
    ctx, collaborators = build_context(module(canary_keys=3, batch_size=7, plan_file="/p.json"), platform,
                                       flow_errors_retry.build)
    assert set(collaborators) == {"bulk", "gate", "canary", "replay", "retry_data", "ledgers", "open_journal"}
    assert collaborators["bulk"].batch_size == 7 and collaborators["canary"].canary_keys == 3
    assert collaborators["gate"].path == "/p.json" and collaborators["replay"] is None and collaborators["open_journal"] is None
    assert ctx.selection.abstract_flow_ids == ["abs"] and ctx.dismissed is None
