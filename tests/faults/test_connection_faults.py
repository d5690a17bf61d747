"""Cases 3 and 4: connections that fail before or after the server applied a retry POST."""

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.faults.harness import assert_clean_failure, logged, posted_keys, run_inprocess, small_scenario, task


def _index(entries, entry):
    return next(i for i, item in enumerate(entries) if item is entry)


def test_reset_before_the_post_was_read_is_resent_once_after_a_reread(celigo_emulator_factory):
    scenario = small_scenario(steps=1, errors=6)
    flow_id = scenarios.instance_ids(scenario)[0]
    keys = scenarios.retry_keys(scenario, flow_id)
    emulator = celigo_emulator_factory(scenario, faults=[
        {"method": "POST", "path": "/retry$", "action": "reset_before", "times": 1}])
    result, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, flow_ids=[flow_id], batch_size=3,
                                     max_concurrency=1)
    assert result["counts"]["retried"] == 6
    posts = logged(emulator, "POST", "/retry$")
    assert [(p["status"], p.get("fault")) for p in posts] == [(None, "reset_before"), (200, None), (200, None)]
    # the dropped batch was sent again only after the platform showed its decision: no retry job of the step
    # running (GET /v1/jobs), then a fresh read of the step's open errors
    log = emulator.requests
    between = log[_index(log, posts[0]) + 1:_index(log, posts[1])]
    reads = [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in between]
    assert reads[-2:] == [("GET", "errors"), ("GET", "jobs")] and ("GET", "jobs") in reads[:-2], reads
    assert all(method == "GET" for method, dummy in reads), reads  # reads only (the flow's steps, jobs, errors)
    assert sorted(posted_keys(emulator)) == sorted(keys)
    assert emulator.retry_counts == dict.fromkeys(keys, 1)


def test_refused_connection_before_a_post_is_resent_once_without_a_reread(celigo_emulator_factory, relays):
    """A real refused TCP connection: the relay in front of the emulator stops listening right before the
    first retry POST and listens again when the client backs off."""
    scenario = small_scenario(steps=1, errors=6)
    flow_id = scenarios.instance_ids(scenario)[0]
    step_id = scenarios.step_ids(scenario, flow_id)[0]
    keys = scenarios.retry_keys(scenario, flow_id)
    emulator = celigo_emulator_factory(scenario)
    relay = relays(emulator.url, close_each=True)
    listing = "/v1/flows/%s/%s/errors" % (flow_id, step_id)
    armed = []

    def refuse_after_the_listing(seen):
        if seen.method == "GET" and seen.path.startswith(listing) and not armed:
            armed.append(seen)
            relay.refuse()

    relay.before_reply = refuse_after_the_listing
    sleeps, clients = [], []

    def setup(adapter):
        real_sleep = adapter.client.sleep
        clients.append(adapter.client)

        def sleep(seconds):
            sleeps.append(seconds)
            relay.reopen()
            real_sleep(seconds)

        adapter.client.sleep = sleep

    result, _adapter = run_inprocess("flow_errors_retry", relay.url, emulator.token, setup=setup, flow_ids=[flow_id],
                                     batch_size=3, max_concurrency=1)
    assert armed, "the listing never went through the relay"
    assert result["counts"]["retried"] == 6
    assert sleeps == [0.5], sleeps  # one back-off: the refused attempt
    assert clients[0].request_count == len(relay.seen) + 1  # exactly one attempt never reached a server
    assert [p["status"] for p in logged(emulator, "POST", "/retry$")] == [200, 200]
    assert len(logged(emulator, "GET", "/errors$")) == 2  # the summary and the listing: no re-read was needed
    assert emulator.retry_counts == dict.fromkeys(keys, 1)


def test_reset_after_the_server_applied_a_post_rereads_and_does_not_resend(celigo_emulator_factory, playbook):
    scenario = small_scenario(steps=2, errors=6)
    flow_id = scenarios.instance_ids(scenario)[0]
    keys = scenarios.retry_keys(scenario, flow_id)
    emulator = celigo_emulator_factory(scenario, faults=[
        {"method": "POST", "path": "/retry$", "action": "reset_after", "skip": 1, "times": 1}])
    outcome = playbook(emulator.url, emulator.token).run([
        task("flow_errors_retry", "retry", flow_ids=[flow_id], batch_size=3, max_concurrency=1)])
    assert outcome.rc == 0, outcome.output[-3000:]
    assert outcome["retry"]["counts"]["retried"] == 12
    posts = logged(emulator, "POST", "/retry$")
    assert [(p["status"], p.get("fault")) for p in posts] == [(200, None), (200, "reset_after"), (200, None), (200, None)]
    # after the reset the client waited for the step's retry jobs to finish (GET /v1/jobs until none runs), read the
    # step's open errors again, and did not send the batch again
    log = emulator.requests
    after_reset = [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in log[_index(log, posts[1]) + 1:_index(log, posts[2])]]
    assert ("GET", "jobs") in after_reset and ("GET", "errors") in after_reset, after_reset
    assert after_reset.index(("GET", "jobs")) < after_reset.index(("GET", "errors")), after_reset
    assert all(method == "GET" for method, dummy in after_reset), after_reset  # reads only
    assert sorted(posted_keys(emulator)) == sorted(keys)
    assert emulator.retry_counts == dict.fromkeys(keys, 1)


def test_retry_post_slower_than_the_timeout_is_settled_by_a_reread_not_resent(celigo_emulator_factory):
    """The server applies the POST but answers after the client's timeout: the keys were taken, nothing is re-sent."""
    scenario = small_scenario(steps=1, errors=6)
    flow_id = scenarios.instance_ids(scenario)[0]
    keys = scenarios.retry_keys(scenario, flow_id)
    emulator = celigo_emulator_factory(scenario, faults=[
        {"method": "POST", "path": "/retry$", "action": "delay", "seconds": 2.5, "times": 1}])
    result, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, flow_ids=[flow_id], batch_size=3,
                                     max_concurrency=1, timeout=1)
    assert result["counts"]["retried"] == 6
    assert [(p["status"], p.get("fault")) for p in logged(emulator, "POST", "/retry$")] == [(200, "delay"), (200, None)]
    assert sorted(posted_keys(emulator)) == sorted(keys)
    assert emulator.retry_counts == dict.fromkeys(keys, 1)


def test_resolve_put_reset_after_it_was_applied_is_resent_harmlessly(celigo_emulator_factory):
    """PUT .../resolved is idempotent: re-sent after a reset, and every selected error ends resolved once."""
    scenario = small_scenario(steps=1, errors=6)
    flow_id = scenarios.instance_ids(scenario)[0]
    step_id = scenarios.step_ids(scenario, flow_id)[0]
    emulator = celigo_emulator_factory(scenario, faults=[
        {"method": "PUT", "path": "/resolved$", "action": "reset_after", "times": 1}])
    result, _adapter = run_inprocess("flow_errors_resolve", emulator.url, emulator.token, flow_ids=[flow_id], batch_size=3,
                                     max_concurrency=1)
    assert result["counts"]["resolved"] == 6 and result["counts"]["failed"] == 0
    puts = [(p["status"], p.get("fault")) for p in logged(emulator, "PUT")]
    assert puts == [(204, "reset_after"), (204, None), (204, None)]
    assert emulator.state.open_errors(flow_id, step_id) == []
    assert len(emulator.state.resolved_errors(flow_id, step_id)) == 6


def test_reset_on_a_disabled_flows_post_still_ends_as_skipped_disabled(celigo_emulator_factory):
    """A batch whose POST was dropped is re-sent after the re-read; when that re-send meets the API's
    422 inactive_flow, the keys are a disabled flow's (skipped_disabled), exactly as without the reset."""
    scenario = small_scenario(instances=2, steps=1, errors=3, disabled_instances=1)
    abstract_id = scenarios.abstract_flow_ids(scenario)[0]
    enabled = scenarios.instance_ids(scenario, disabled=False)[0]
    disabled = scenarios.instance_ids(scenario, disabled=True)[0]
    emulator = celigo_emulator_factory(scenario, faults=[
        {"method": "POST", "path": "^/v1/flows/%s/" % disabled, "action": "reset_before", "times": 1}])
    try:
        result, _adapter = run_inprocess("flow_errors_retry", emulator.url, emulator.token, abstract_flow_id=[abstract_id],
                                         max_concurrency=1)
    except FlowOpsError as exc:
        pytest.fail("a dropped POST on a disabled flow made the task fail: %s" % exc)
    assert result["counts"]["skipped_disabled"] == 3
    assert result["counts"]["retried"] == 3
    assert emulator.retry_counts == dict.fromkeys(scenarios.retry_keys(scenario, enabled), 1)


def test_connection_refused_for_every_attempt_is_a_clean_failure(celigo_emulator_factory, playbook, relays):
    """No server at all: the task fails with one line after max_retries, nothing is in doubt."""
    scenario = small_scenario(steps=1, errors=2)
    flow_id = scenarios.instance_ids(scenario)[0]
    relay = relays(None)
    relay.refuse()
    emulator = celigo_emulator_factory(scenario)
    outcome = playbook(relay.url, emulator.token).run([
        task("flow_instance_info", "info", flow_ids=[flow_id], max_retries=1)])
    assert outcome.rc != 0
    assert_clean_failure(outcome["info"])
    assert "connection failed" in outcome["info"]["msg"] and "gave up after 1 retries" in outcome["info"]["msg"]
    assert relay.seen == []
