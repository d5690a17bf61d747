"""Case 10: errors appear and disappear between the pages of one listing.

The first page of the step's listing is answered after a delay; while it is held, another actor changes the
step on the server: it retries two keys (one already on the first page, one further on) that fail again and
come back at the end under new error ids, resolves two errors not yet listed, and a brand-new error appears.
"""

import threading
from datetime import datetime, timezone

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.emulator.core.app import iso
from ansible_collections.flowops.ipaas.tests.emulator.celigo.records import ErrorRecord
from ansible_collections.flowops.ipaas.tests.faults.harness import logged, posted_keys, run_inprocess, small_scenario, wait_until

NEW_KEY = "feedfacefeedfacefeedfacefeedface"


def _setup(celigo_emulator_factory, extra_faults=()):
    scenario = small_scenario(steps=1, errors=30)
    flow_id = scenarios.instance_ids(scenario)[0]
    step_id = scenarios.step_ids(scenario, flow_id)[0]
    ordered = sorted(scenarios.errors(scenario, flow_id, step_id), key=lambda e: (e["occurredAt"], e["errorId"]))
    plan = {"flow": flow_id, "step": step_id, "seen_first": ordered[1], "unseen": ordered[12],
            "resolved": [ordered[8], ordered[20]], "all": ordered}
    for error in (plan["seen_first"], plan["unseen"]):
        error["fail_again"] = 1
    faults = [{"method": "GET", "path": "^/v1/flows/%s/%s/errors$" % (flow_id, step_id), "action": "delay",
               "seconds": 0.8, "times": 1}] + list(extra_faults)
    emulator = celigo_emulator_factory(scenario, page_size=5, job_seconds=0.05, faults=faults)
    return emulator, plan


def _change_the_step_while_page_one_is_held(emulator, plan, problems):
    state = emulator.state
    try:
        wait_until(lambda: any(e.get("fault") == "delay" for e in emulator.requests), timeout=30, what="the held page")
        state.retry(plan["flow"], plan["step"], [plan["seen_first"]["retryDataKey"], plan["unseen"]["retryDataKey"]])
        state.resolve(plan["flow"], plan["step"], [error["errorId"] for error in plan["resolved"]])
        wait_until(lambda: state.advance_jobs() or not state.pending, timeout=5, what="the outside retry job")
        record = ErrorRecord.from_scenario({
            "_flowId": plan["flow"], "_stepId": plan["step"], "errorId": "f" * 24, "retryDataKey": NEW_KEY,
            "occurredAt": iso(datetime.now(timezone.utc)), "source": "connection", "code": "ECONNRESET",
            "message": "socket hang up", "classification": "intermittent"})
        with state.lock:
            state._step_errors(plan["flow"], plan["step"]).add_open(state._next_seq(), record)  # pylint: disable=protected-access
        assert not any(e["method"] == "GET" and e["query"].get("pageToken") for e in emulator.requests), \
            "page 2 was read before the changes were made"
    except Exception as exc:  # pylint: disable=broad-except
        problems.append(exc)


def _run_with_changes(emulator, plan, **params):
    problems = []
    actor = threading.Thread(target=_change_the_step_while_page_one_is_held, args=(emulator, plan, problems), daemon=True)
    actor.start()
    try:
        result, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, flow_ids=[plan["flow"]],
                                         max_concurrency=1, **params)
    finally:
        actor.join(30)
    assert not problems, problems
    return result


def _expected(plan):
    gone = {error["retryDataKey"] for error in plan["resolved"]}
    keys = [error["retryDataKey"] for error in plan["all"] if error["retryDataKey"] not in gone] + [NEW_KEY]
    twice = {plan["seen_first"]["retryDataKey"], plan["unseen"]["retryDataKey"]}  # the other actor retried them too
    return keys, gone, {key: 2 if key in twice else 1 for key in keys}


def test_changes_between_pages_neither_duplicate_nor_silently_skip_a_key(celigo_emulator_factory):
    emulator, plan = _setup(celigo_emulator_factory)
    result = _run_with_changes(emulator, plan)
    keys, gone, counts = _expected(plan)
    sent = posted_keys(emulator)
    assert sorted(sent) == sorted(keys), "duplicates: %s, missing: %s" % (
        sorted({k for k in sent if sent.count(k) > 1}), sorted(set(keys) - set(sent)))
    assert result["counts"]["selected"] == len(keys) == result["counts"]["retried"]
    assert emulator.retry_counts == counts
    assert not gone.intersection(emulator.retry_counts)
    assert len(logged(emulator, "GET", "/errors$")) >= 7  # the summary and at least six pages


def test_a_key_listed_twice_is_not_lost_when_its_post_is_dropped(celigo_emulator_factory):
    """The first-page key comes back under a new error id before the listing ends; when the retry POST is then
    dropped before the server read it, the re-read must still see that key as untouched and send it again."""
    emulator, plan = _setup(celigo_emulator_factory, [
        {"method": "POST", "path": "/retry$", "action": "reset_before", "times": 1}])
    result = _run_with_changes(emulator, plan)
    keys, _gone, counts = _expected(plan)
    missing = sorted(key for key, count in counts.items() if emulator.retry_counts.get(key, 0) < count)
    assert not missing, "keys counted as retried (%d) but never sent after the dropped POST: %s" % (
        result["counts"]["retried"], missing)
    assert sorted(posted_keys(emulator)) == sorted(keys)
    assert emulator.retry_counts == counts
