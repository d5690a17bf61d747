"""Issue #25: truthful outcomes on a live Celigo account - other actors at work, asynchronous jobs, faults in a row.

Each other actor is a switch of the Celigo emulator (sources in docs/platforms/celigo.md, "Other actors"): the
platform's own retry at ``retryAt``, a colleague who resolves, retries or cancels after our listing, a slow
asynchronous retry job, and both readings of a failed retry (original resolved / original stays open).
``run()`` is called in-process with a real adapter and client against the emulator over HTTP.
"""

import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.emulator.core.app import iso
from ansible_collections.flowops.ipaas.tests.faults.harness import run_inprocess, small_scenario, wait_until

READINGS = ("resolved", "stays_open")


def _fast(adapter):
    adapter.client.policy.backoff = 0.01


def _scenario(scheduled=3, **kwargs):
    """Two instances, two steps, 8 errors a step, every 3rd key fails again once; the first ``scheduled`` errors
    are intermittent ones the platform retries itself in 2 s (``retryAt``)."""
    scenario = small_scenario(instances=2, steps=2, errors=8, fail_again_share=0.34, fail_again_times=1, **kwargs)
    soon = iso(datetime.now(timezone.utc) + timedelta(seconds=2))
    for error in scenario["errors"][:scheduled]:
        error.update(classification="intermittent", retryAt=soon)
    return scenario


def _by_key(scenario, listing):
    """``{retryDataKey: [error, ...]}`` over every step of the scenario; ``listing(flow_id, step_id)`` is the
    emulator state's ``open_errors`` or ``resolved_errors``."""
    found = {}
    for flow_id in scenarios.instance_ids(scenario):
        for step_id in scenarios.step_ids(scenario, flow_id):
            for error in listing(flow_id, step_id):
                found.setdefault(error.get("retryDataKey"), []).append(error)
    return found


@pytest.mark.parametrize("reading", READINGS)
def test_other_actors_never_make_an_outcome_the_platform_did_not_report(celigo_emulator_factory, tmp_path, reading):
    scenario = _scenario()
    scheduled = set(error["retryDataKey"] for error in scenario["errors"][:3])
    emulator = celigo_emulator_factory(scenario, retry_original=reading, jobs_by_time_only=True, job_seconds=0.4,
                                       other_actor={"resolve_every": 5, "retry_every": 7, "cancel_every": 3})
    report = tmp_path / "report.json"
    result, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, setup=_fast,
                                     abstract_flow_id=scenarios.abstract_flow_ids(scenario), wait=True, poll_interval=0.05,
                                     wait_timeout=30, batch_size=3, report_file=str(report))
    state = emulator.app.state
    keys = {item["retryDataKey"]: item for item in json.loads(report.read_text())["keys"]}

    # nothing lost from the report: every listed key once, the counts add up
    assert set(keys) == set(error["retryDataKey"] for error in scenario["errors"])
    counts = result["counts"]
    assert counts["selected"] == len(keys) == sum(counts.get(name, 0) for name in (
        "retried", "not_retryable", "skipped_disabled", "nothing_to_do", "already_done", "in_doubt", "failed",
        "scheduled_by_platform", "changed_since_listing"))
    assert counts["retried"] == sum(counts[name] for name in ("succeeded", "failed_again", "pending", "not_recovered"))

    # the platform's own scheduled retries are left to it, with their retryAt in the reason
    assert {key for key, item in keys.items() if item["action"] == "scheduled_by_platform"} == scheduled
    assert all("retryAt" in keys[key]["reason"] for key in scheduled)

    # no item acted on twice: our retries plus the platform's and the colleague's, at most one per key
    acted = Counter(state.retry_counts) + Counter(state.auto_retry_counts)
    assert max(acted.values()) == 1, acted
    assert not scheduled & set(state.retry_counts)

    # no success the platform did not report: a succeeded key has no open error and a retry resolved it (ours, or
    # the colleague's that got there first); a key the colleague resolved by hand first is never counted succeeded
    wait_until(lambda: not state.pending, timeout=10, what="the jobs")
    opened, resolved = _by_key(scenario, emulator.state.open_errors), _by_key(scenario, emulator.state.resolved_errors)
    for key, item in keys.items():
        if item["outcome"] == "succeeded":
            assert key not in opened, (key, item)
            assert resolved.get(key), (key, item)
            assert state.other_actor_keys.get(key) != "resolved", (key, item)
    # keys the colleague retried while their job of the step ran are left alone, named so
    moved = [key for key, item in keys.items() if item["action"] == "changed_since_listing"]
    assert moved and all(key in state.other_actor_keys for key in moved), moved
    colleague_resolved = [key for key, what in state.other_actor_keys.items() if what == "resolved"]
    assert colleague_resolved and all(keys[key]["outcome"] != "succeeded" for key in colleague_resolved)

    # every outcome that is not plain success or failure names the platform status
    assert state.canceled_jobs, "the colleague canceled none of our retry jobs"
    for item in keys.values():
        if item["outcome"] == "not_recovered":
            assert item["reason"].startswith("platform status: "), item
    assert counts["not_recovered"] >= 1 and counts["failed_again"] >= 1, counts
    # failed again: the platform shows an open error of the key we did not list
    for key, item in keys.items():
        if item["outcome"] == "failed_again":
            assert any(error["errorId"] != item["errorId"] for error in opened.get(key, ())), (key, item)
    assert counts["in_doubt"] == counts["failed"] == 0, counts


@pytest.mark.parametrize("reading", READINGS)
def test_a_key_open_twice_is_retried_counted_and_reported_once(celigo_emulator_factory, tmp_path, reading):
    scenario = small_scenario(instances=1, steps=1, errors=4, fail_again_share=1.0, fail_again_times=2)
    emulator = celigo_emulator_factory(scenario, retry_original=reading, job_seconds=0.05)
    flow_id = scenarios.instance_ids(scenario)[0]
    common = dict(flow_ids=[flow_id], wait=True, poll_interval=0.05, wait_timeout=20)
    first, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, setup=_fast, **common)
    assert first["counts"]["failed_again"] == 4, first["counts"]
    report = tmp_path / "second.json"
    second, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, setup=_fast,
                                     report_file=str(report), **common)
    # both readings: each key retried once more, counted once; a key failing again is failed_again, not pending
    assert second["counts"]["selected"] == second["counts"]["retried"] == 4, second["counts"]
    assert second["counts"]["failed_again"] == 4, second["counts"]
    assert set(emulator.retry_counts.values()) == {2}
    written = json.loads(report.read_text())["keys"]
    if reading == "stays_open":  # the original stayed open beside the new error: listed with both ids
        assert all(len(item["errorIds"]) == 2 for item in written), written
    else:
        assert all("errorIds" not in item for item in written), written


def test_429_every_5th_and_503_every_7th_leave_no_key_in_doubt(celigo_emulator_factory):
    for run in range(3):
        scenario = small_scenario(instances=3, steps=2, errors=5, seed=run, fail_again_share=0.3)
        emulator = celigo_emulator_factory(scenario, rate_limit_every=5, retry_after=0, server_error_every=7,
                                           retry_original="stays_open" if run % 2 else "resolved",
                                           jobs_by_time_only=bool(run % 2), job_seconds=0.3)
        result, _adapter = run_inprocess(
            "flow_errors_retry", emulator.url, emulator.token, setup=_fast,
            abstract_flow_id=scenarios.abstract_flow_ids(scenario), batch_size=2, max_retries=5, wait=True,
            poll_interval=0.05, wait_timeout=30, platform_retry_margin=0)
        counts = result["counts"]
        assert counts["in_doubt"] == 0 and counts["failed"] == 0, (run, counts)
        assert counts["retried"] == counts["selected"], (run, counts)
        retried = emulator.retry_counts
        assert set(retried) == set(error["retryDataKey"] for error in scenario["errors"]), run
        assert set(retried.values()) == {1}, (run, retried)  # acted on once each, though answers were lost


@pytest.mark.parametrize("reading", READINGS)
def test_a_colleagues_retry_that_finished_before_our_check_is_detected_and_its_keys_left_alone(
        celigo_emulator_factory, tmp_path, reading):
    """A colleague retries keys after our listing began and their job has finished before our pre-send check: it is
    in no listing of running jobs, but the one jobs request (no status filter) shows it ended since our listing, so
    the step is read again and its keys that are no longer open as listed are ``changed_since_listing``."""
    scenario = small_scenario(instances=2, steps=2, errors=6, fail_again_share=0.5, fail_again_times=1)
    emulator = celigo_emulator_factory(scenario, retry_original=reading, job_seconds=0.05,
                                       other_actor={"retry_done_every": 3})
    report = tmp_path / "report.json"
    result, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, setup=_fast,
                                     abstract_flow_id=scenarios.abstract_flow_ids(scenario), wait=True, poll_interval=0.05,
                                     wait_timeout=20, report_file=str(report), platform_retry_margin=0)
    state = emulator.app.state
    theirs = set(key for key, what in state.other_actor_keys.items() if what == "retried, finished")
    assert len(theirs) == 8, state.other_actor_keys  # 2 of 6 keys on each of the 4 steps
    assert not theirs & set(state.retry_counts), "retried a key a colleague's finished retry had already processed"
    acted = Counter(state.retry_counts) + Counter(state.auto_retry_counts)
    assert set(acted) == set(error["retryDataKey"] for error in scenario["errors"]) and max(acted.values()) == 1, acted
    keys = {item["retryDataKey"]: item for item in json.loads(report.read_text())["keys"]}
    assert set(keys) == set(acted)  # nothing lost from the report
    opened = _by_key(scenario, emulator.state.open_errors)
    for key in theirs:  # named so, with the job and what the re-read showed
        item = keys[key]
        assert item["action"] == "changed_since_listing" and item["outcome"] is None, item
        assert "another actor's retry job" in item["reason"] and "(completed when listed)" in item["reason"], item
        expected = "failed again" if opened.get(key) else "no open error"
        assert expected in item["reason"], (item, opened.get(key))
    assert result["counts"]["changed_since_listing"] == len(theirs)
    assert result["counts"]["retried"] == len(keys) - len(theirs)
    assert result["counts"]["in_doubt"] == result["counts"]["failed"] == 0
