"""Case 5: an ansible-playbook run killed between batches, resumed with the same run_id and report_file; and what
an operator sees on first contact (a wrong token or api_url) before any run gets going.

Every key of the scenario fails again once, so keys retried before the kill are open again (under new error
ids) when the rerun lists them: only the journal can tell the rerun they were already retried.
"""

import json
import time

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import assert_clean_failure, logged, posted_keys, small_scenario, task, wait_until

RUN_ID = "resume-0001"


def _setup(celigo_emulator_factory, fault):
    scenario = small_scenario(instances=1, steps=2, errors=6, fail_again_share=1.0)
    flow_id = scenarios.instance_ids(scenario)[0]
    emulator = celigo_emulator_factory(scenario, job_seconds=0.2, faults=[fault])
    return scenario, flow_id, emulator


def _retry_task(flow_id, report):
    return task("flow_errors_retry", "retry", flow_ids=[flow_id], batch_size=2, max_concurrency=1, report_file=str(report),
                run_id=RUN_ID)


def _journal_keys(report, action="retried"):
    """Keys the journal records with ``action`` (batches are also journaled as "submitting" before they are sent)."""
    path = report.parent / (report.name + ".journal")
    if not path.exists():
        return []
    keys = []
    for line in path.read_text().splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if item["action"] == action:
            keys.append(item["key"])
    return keys


def _kill_after_two_batches(play, emulator, flow_id, report, third_post):
    """Start the retry, wait until the third POST reached the server (``third_post(entry)``) and the journal
    holds the first two batches, then SIGKILL the process group."""
    running = play.start([_retry_task(flow_id, report)])
    try:
        wait_until(lambda: any(third_post(e) for e in logged(emulator, "POST", "/retry$")), timeout=90,
                   what="the third retry POST")
        wait_until(lambda: len(_journal_keys(report)) >= 4, timeout=10, what="two batches in the journal")
    finally:
        running.kill()
    assert not report.exists()
    return running


def _settled(emulator):
    wait_until(lambda: emulator.state.summary()["pending_jobs"] == 0, timeout=10, what="the retry jobs to finish")


def _rerun(play, emulator, flow_id, report):
    emulator.configure(faults=[])
    outcome = play.run([_retry_task(flow_id, report)])
    assert outcome.rc == 0, outcome.output[-3000:]
    return outcome["retry"]


def test_rerun_with_the_same_run_id_skips_the_batches_done_before_the_kill(celigo_emulator_factory, playbook, tmp_path):
    # the third POST is answered 429 with a long Retry-After (not processed): the kill lands between batches
    scenario, flow_id, emulator = _setup(celigo_emulator_factory, {
        "method": "POST", "path": "/retry$", "action": "raw", "status": 429, "headers": {"Retry-After": "20"},
        "body": {"errors": [{"code": "too_many_requests", "message": "slow down"}]}, "skip": 2, "times": 1})
    report = tmp_path / "retry.json"
    play = playbook(emulator.url, emulator.token)
    _kill_after_two_batches(play, emulator, flow_id, report, lambda entry: entry["status"] == 429)
    done_before = set(_journal_keys(report))
    assert done_before == set(posted_keys(emulator)) and len(done_before) == 4
    _settled(emulator)

    emulator.clear_requests()
    retry = _rerun(play, emulator, flow_id, report)
    keys = scenarios.retry_keys(scenario, flow_id)
    assert retry["counts"]["already_done"] == 4 and retry["counts"]["retried"] == 8, retry["counts"]
    assert set(posted_keys(emulator)).isdisjoint(done_before)
    assert emulator.retry_counts == dict.fromkeys(keys, 1)
    written = json.loads(report.read_text())
    assert written["run_id"] == RUN_ID
    assert {item["retryDataKey"] for item in written["keys"] if item["action"] == "already_done"} == done_before
    assert not (tmp_path / "retry.json.journal").exists()


def test_rerun_after_a_kill_during_an_applied_post_does_not_retry_its_keys_again(
        celigo_emulator_factory, playbook, tmp_path):
    # the third POST is applied by the server, then its response is delayed: the kill lands while it is in flight
    scenario, flow_id, emulator = _setup(celigo_emulator_factory, {
        "method": "POST", "path": "/retry$", "action": "delay", "seconds": 20, "skip": 2, "times": 1})
    report = tmp_path / "retry.json"
    play = playbook(emulator.url, emulator.token)
    _kill_after_two_batches(play, emulator, flow_id, report, lambda entry: entry.get("fault") == "delay")
    applied = posted_keys(emulator)
    assert len(applied) == 6 and set(_journal_keys(report)) == set(applied[:4])
    assert set(_journal_keys(report, "submitting")) == set(applied)  # journaled before the POST left
    _settled(emulator)

    retry = _rerun(play, emulator, flow_id, report)
    keys = scenarios.retry_keys(scenario, flow_id)
    twice = sorted(key for key, count in emulator.retry_counts.items() if count > 1)
    assert not twice, "keys retried twice in total (their POST was applied before the kill): %s; rerun counts %s" % (
        twice, retry["counts"])
    assert emulator.retry_counts == dict.fromkeys(keys, 1)


def test_killed_run_stops_within_one_batch_and_an_immediate_resume_retries_no_key_twice(
        celigo_emulator_factory, playbook, tmp_path):
    # 80 keys in 40 batches of 2, one at a time, every request 150 ms slow: about 6 s of POSTs left to send at the
    # kill. Every key fails again, so only the journal tells the resume which keys were already retried.
    scenario = small_scenario(instances=1, steps=2, errors=40, fail_again_share=1.0)
    flow_id = scenarios.instance_ids(scenario)[0]
    keys = scenarios.retry_keys(scenario, flow_id)
    emulator = celigo_emulator_factory(scenario, job_seconds=0.2, latency_ms=150)
    report = tmp_path / "retry.json"
    play = playbook(emulator.url, emulator.token)
    running = play.start([_retry_task(flow_id, report)])
    try:
        wait_until(lambda: len(logged(emulator, "POST", "/retry$")) >= 5, timeout=90, what="five retry POSTs")
    finally:
        running.kill()
    at_kill = len(logged(emulator, "POST", "/retry$"))
    time.sleep(2)  # ~13 more batches would go out if the module went on
    after = len(logged(emulator, "POST", "/retry$"))
    assert after - at_kill <= 1, "the module sent %d retry POSTs after its controller was killed" % (after - at_kill)
    assert not report.exists()

    # resumed at once: the lock waits for the old module (gone by now) and the journal says what it retried
    retry = _rerun(play, emulator, flow_id, report)
    assert retry["counts"]["already_done"] == len(set(posted_keys(emulator)[:2 * after])), retry["counts"]
    assert retry["counts"]["already_done"] + retry["counts"]["retried"] == len(keys) == 80, retry["counts"]
    twice = sorted(key for key, count in emulator.retry_counts.items() if count > 1)
    assert not twice, "keys retried twice: %s" % twice
    assert emulator.retry_counts == dict.fromkeys(keys, 1)
    assert not (tmp_path / "retry.json.journal").exists() and not (tmp_path / "retry.json.lock").exists()


def test_first_contact_401_and_a_duplicated_prefix_say_what_to_check(celigo_emulator_factory, playbook):
    scenario = small_scenario()
    flow_id = scenarios.instance_ids(scenario)[0]
    emulator = celigo_emulator_factory(scenario)
    wrong = "wrong-token-0123456789"
    outcome = playbook(emulator.url, wrong).run([task("flow_errors_info", "info", ignore_errors=True, flow_ids=[flow_id])])
    result = outcome["info"]
    assert_clean_failure(result)
    assert "HTTP 401" in result["msg"] and result["msg"].endswith(
        ": check api_token (FLOWOPS_API_TOKEN) and that region/api_url point at the account's celigo host (now %s)"
        % emulator.url), result["msg"]
    assert wrong not in outcome.output and wrong not in json.dumps(result)

    emulator.clear_requests()
    info = task("flow_errors_info", "info", ignore_errors=True, api_url=emulator.url + "/v1", flow_ids=[flow_id])
    outcome = playbook(emulator.url, emulator.token).run([info])
    assert_clean_failure(outcome["info"])
    assert outcome["info"]["msg"] == "api_url: '%s/v1' ends with /v1, which the module adds itself; use %s" % (
        emulator.url, emulator.url)
    assert emulator.requests == []
