# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Cloudflare Workflows adapter against a fake client (and once over a scripted HTTP session)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.options import BulkOptions
from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import Response
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import ADAPTERS
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.cloudflare import CloudflareAdapter, classify

ACCOUNT = "acc1"
BASE = "accounts/acc1/workflows"


def ok(result, **info):
    body = {"success": True, "errors": [], "messages": [], "result": result}
    if info:
        body["result_info"] = info
    return body


class FakeClient:
    """Answers ``request`` from queued responses per (method, path) and records every call."""

    def __init__(self, max_pages=10000):
        self.routes = {}
        self.calls = []
        self.max_pages = max_pages  # the run's page cap, as the real Client carries it

    def answer(self, method, path, body=None, status=200):
        self.routes.setdefault((method, path), []).append(Response(status, {}, body, path))
        return self

    def fail(self, method, path, status):
        self.routes.setdefault((method, path), []).append(FlowOpsError("HTTP error", status=status, method=method, path=path))
        return self

    def request(self, method, path, params=None, body=None, allow_empty=False):
        self.calls.append(dict(method=method, path=path, params=params, body=body, allow_empty=allow_empty))
        queue = self.routes.get((method, path))
        if not queue:
            raise AssertionError("unexpected request %s %s" % (method, path))
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, FlowOpsError):
            raise answer
        return answer


@pytest.fixture
def fake():
    return FakeClient()


@pytest.fixture
def adapter(fake):
    return CloudflareAdapter(fake, {"account_id": ACCOUNT, "max_concurrency": 2})


def listed(instance_id, ended="2026-11-20T01:00:00.000Z", status="errored"):
    return {"id": instance_id, "status": status, "created_on": "2026-11-20T00:59:00.000Z", "ended_on": ended,
            "modified_on": ended, "started_on": "2026-11-20T00:59:01.000Z", "version_id": "v1", "workflow_id": "w1"}


def detail(name="Error", message="boom", steps=None, trigger="api", end="2026-11-20T01:00:00.000Z", status="errored"):
    return {"status": status, "end": end, "error": {"name": name, "message": message}, "steps": steps or [],
            "trigger": {"source": trigger}, "params": {"order": 1}, "versionId": "v1"}


# -- registration, validation, base URL ----------------------------------------------------------


def test_registered_with_single_instance_restarts_from_a_step_and_local_resolve():
    assert ADAPTERS["cloudflare"] is CloudflareAdapter
    assert CloudflareAdapter.retry_strategies == ("retry",)
    assert CloudflareAdapter.max_retry_batch == 1
    assert "restart_from_step" in CloudflareAdapter.capabilities and "resolve" not in CloudflareAdapter.capabilities
    assert CloudflareAdapter.resolve_mode == "local"
    assert CloudflareAdapter.unsupported_hints["resolve"] == (
        "Workflows cannot dismiss an errored instance: terminate is refused on a finished instance")


def test_validate_requires_account_id():
    with pytest.raises(ValidationError) as caught:
        CloudflareAdapter.validate({"account_id": None})
    assert str(caught.value).startswith("account_id:") and "cloudflare" in str(caught.value)


def test_validate_refuses_abstract_flows():
    with pytest.raises(UnsupportedOperation) as caught:
        CloudflareAdapter.validate({"abstract_flow_id": ["x"], "account_id": ACCOUNT})
    message = str(caught.value)
    assert message.startswith("platform 'cloudflare' does not support abstract_flow_id;") and "\n" not in message


def test_validate_refuses_listing_resolved_errors():
    with pytest.raises(UnsupportedOperation) as caught:
        CloudflareAdapter.validate({"resolved": True, "account_id": ACCOUNT})
    message = str(caught.value)
    assert message.startswith("platform 'cloudflare' does not support resolved: true; Workflows keeps no resolved errors")
    assert "dismissed_file" in message and "\n" not in message
    CloudflareAdapter.validate({"resolved": False, "account_id": ACCOUNT})


def test_connection_replace_is_refused_with_a_hint():
    with pytest.raises(UnsupportedOperation) as caught:
        CloudflareAdapter(None, {"account_id": ACCOUNT}).require("replace_connection", "flow_connection_replace")
    assert str(caught.value).startswith("platform 'cloudflare' does not support flow_connection_replace; workflows")


def test_batches_are_one_instance_and_larger_ones_are_refused(adapter):
    assert BulkOptions(batch_size=None).check(adapter, check_mode=True) == 1
    with pytest.raises(ValidationError, match="batch_size: 5 is out of range; use a value between 1 and 1"):
        BulkOptions(batch_size=5).check(adapter, check_mode=True)


@pytest.mark.parametrize("api_url, region, expected", [
    (None, None, "https://api.cloudflare.com/client/v4"),
    (None, "global", "https://api.cloudflare.com/client/v4"),
    ("http://127.0.0.1:8080", None, "http://127.0.0.1:8080"),
])
def test_base_url(api_url, region, expected):
    assert CloudflareAdapter.base_url(api_url, region) == expected


def test_base_url_refuses_other_regions():
    with pytest.raises(ValidationError, match="region: 'eu' is not a cloudflare region; use one of global"):
        CloudflareAdapter.base_url(None, "eu")


# -- classification --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, message, expected", [
    ("TimeoutError", "step timed out after 30 seconds", "intermittent"),
    ("Error", "TIMEOUT", "intermittent"),
    ("Error", "INTERNAL_ERROR: try again", "intermittent"),
    ("Error", "Network connection lost.", "intermittent"),
    ("Error", "upstream answered 503", "intermittent"),
    ("Error", "QUOTA_EXCEEDED for the day", "rate_limit"),
    ("Error", "upstream answered 429 Too Many Requests", "rate_limit"),
    ("Error", "Worker exceeded CPU time limit.", "governance"),
    ("Error", "upstream answered 401 Unauthorized", "connection"),
    ("Error", "payload too large", "too_large"),
    ("Error", "invoice already exists", "duplicate"),
    ("Error", "customer 42 not found", "missing"),
    ("SyntaxError", "Unexpected token < in JSON at position 0", "parse"),
    ("NonRetryableError", "order has no line items", "value"),
    ("TypeError", "cannot read properties of undefined", "value"),
    ("Error", "something went wrong", "none"),
    (None, None, "none"),
])
def test_classify(name, message, expected):
    assert classify(name, message) == expected


# -- flows -----------------------------------------------------------------------------------------


def test_get_flow_normalises_and_escapes_path_segments(fake):
    adapter = CloudflareAdapter(fake, {"account_id": "a/b"})
    fake.answer("GET", "accounts/a%2Fb/workflows/%2E%2E", ok({"id": "w1", "name": "..", "script_name": "worker"}))
    assert adapter.get_flow("..") == {"_id": "..", "name": "..", "disabled": False, "_abstractFlowId": None,
                                      "_integrationId": "worker", "workflowId": "w1"}


def test_list_flows_pages_and_filters_by_script(fake, adapter):
    fake.answer("GET", BASE, ok([{"name": "a", "script_name": "s1"}, {"name": "b", "script_name": "s2"}], total_pages=2))
    fake.answer("GET", BASE, ok([{"name": "c", "script_name": "s1"}], total_pages=2))
    assert [flow["_id"] for flow in adapter.list_flows(integration_id="s1")] == ["a", "c"]
    assert [call["params"] for call in fake.calls] == [{"per_page": 100, "page": 1}, {"per_page": 100, "page": 2}]


def test_list_flows_refuses_abstract_flows(adapter):
    with pytest.raises(UnsupportedOperation, match="platform 'cloudflare' does not support abstract_flow_id"):
        list(adapter.list_flows(abstract_flow_id="x"))


def test_one_pseudo_step_per_workflow(adapter):
    assert [step["_id"] for step in adapter.flow_steps("wf")] == ["instances"]


@pytest.mark.parametrize("counts, expected", [({"errored": 7, "complete": 3}, 7), ({"complete": 3}, 0), ({}, 0), (None, 0)])
def test_error_summary_reads_the_workflows_instance_counts(fake, adapter, counts, expected):
    fake.answer("GET", BASE + "/wf", ok({"name": "wf", "instances": counts}))
    assert adapter.error_summary("wf") == {"instances": {"open_errors": expected, "last_error_at": None}}
    assert [(call["method"], call["path"]) for call in fake.calls] == [("GET", BASE + "/wf")]  # no instance listing


# -- errors ----------------------------------------------------------------------------------------

FILTERS = {"occurred_after": datetime(2026, 11, 20, tzinfo=timezone.utc), "occurred_before": datetime(2026, 11, 21, tzinfo=timezone.utc),
           "sources": ["charge card"]}


def test_iter_errors_follows_the_cursor_and_reads_each_instance(fake, adapter):
    path = BASE + "/wf/instances"
    fake.answer("GET", path, ok([listed("i1")], cursor="c1"))
    fake.answer("GET", path, ok([listed("i2", ended=None)], cursor=""))
    steps = [{"type": "step", "name": "validate", "success": True},
             {"type": "step", "name": "charge card", "success": False, "attempts": [{"error": {"name": "Error", "message": "x"}}]}]
    fake.answer("GET", path + "/i1", ok(detail("TimeoutError", "timed out", steps=steps, trigger="cron")))
    fake.answer("GET", path + "/i2", ok(detail("NonRetryableError", "no lines")))
    first, second = list(adapter.iter_errors("wf", "instances", filters=FILTERS))
    assert first == dict(listed("i1"), **{
        "errorId": "i1@2026-11-20T01:00:00.000Z", "retryDataKey": "i1", "occurredAt": "2026-11-20T01:00:00.000Z",
        "source": "charge card", "code": "TimeoutError", "message": "timed out", "classification": "intermittent",
        "tags": ["trigger:cron"], "_flowId": "wf", "_stepId": "instances"})
    # Without ended_on (nor modified_on) the creation time stands in: never an "@None" error id.
    assert (second["errorId"], second["source"], second["classification"]) == ("i2@2026-11-20T00:59:00.000Z", "workflow", "value")
    # Cursor paging only, the largest page, and no server-side date window (which time it bounds is not established).
    listings = [call["params"] for call in fake.calls if call["path"] == path]
    assert listings == [{"status": "errored", "per_page": 100}, {"status": "errored", "per_page": 100, "cursor": "c1"}]


def test_iter_errors_takes_only_errored_instances(fake, adapter):
    path = BASE + "/wf/instances"
    fake.answer("GET", path, ok([listed("i1", status="complete"), listed("i2")]))
    fake.answer("GET", path + "/i2", ok(detail()))
    assert [error["retryDataKey"] for error in adapter.iter_errors("wf", "instances")] == ["i2"]


@pytest.mark.parametrize("failure", [
    FlowOpsError("HTTP error", status=404),
    FlowOpsError("workflows.api.error.instance.not_found", status=500),
])
def test_iter_errors_skips_an_instance_gone_before_its_read(fake, adapter, failure):
    path = BASE + "/wf/instances"
    fake.answer("GET", path, ok([listed("i1"), listed("i2")]))
    fake.routes[("GET", path + "/i1")] = [failure]
    fake.answer("GET", path + "/i2", ok(detail()))
    assert [error["retryDataKey"] for error in adapter.iter_errors("wf", "instances")] == ["i2"]


def test_iter_errors_raises_other_read_failures(fake, adapter):
    path = BASE + "/wf/instances"
    fake.answer("GET", path, ok([listed("i1")]))
    fake.fail("GET", path + "/i1", 500)
    with pytest.raises(FlowOpsError):
        list(adapter.iter_errors("wf", "instances"))


def test_resolved_errors_are_refused_without_a_request(fake, adapter):
    with pytest.raises(UnsupportedOperation, match="does not support resolved: true"):
        list(adapter.iter_errors("wf", "instances", resolved=True))
    assert fake.calls == []


def test_a_repeated_cursor_stops_paging(fake, adapter):
    path = BASE + "/wf/instances"
    fake.answer("GET", path, ok([listed("i1")], cursor="same"))
    fake.answer("GET", path + "/i1", ok(detail()))
    with pytest.raises(FlowOpsError, match="same next page twice"):
        list(adapter.iter_errors("wf", "instances"))


@pytest.mark.parametrize("body, match", [
    ({"success": False, "errors": [{"code": 10001, "message": "nope"}], "result": None}, "success: false: nope"),
    (None, "expected the {success, result} envelope"),
])
def test_a_body_without_success_is_an_error(fake, adapter, body, match):
    fake.answer("GET", BASE + "/wf", body)
    with pytest.raises(FlowOpsError, match=match):
        adapter.get_flow("wf")


# -- restart, jobs, resolve --------------------------------------------------------------------------


def test_retry_restarts_one_instance_and_returns_it_as_the_job(fake, adapter):
    fake.answer("GET", BASE + "/wf/instances/i%401", ok(detail()))
    fake.answer("PATCH", BASE + "/wf/instances/i%401/status", ok({"status": "queued", "timestamp": "2026-11-23T00:00:00Z"}))
    job = adapter.retry("wf", "instances", iter(["i@1"]), "retry", listed={"i@1": "i@1@2026-11-20T01:00:00Z"})
    assert job == {"_id": "wf/i%401", "status": "queued", "done": False}
    assert [(call["method"], call["body"]) for call in fake.calls] == [("GET", None), ("PATCH", {"status": "restart"})]


@pytest.mark.parametrize("now, reason", [
    (dict(status="running"), "status running"),
    (dict(status="terminated"), "status terminated"),
    (dict(status="complete"), "status complete"),
    (dict(end="2026-11-21T00:00:00.000Z"), "status errored again, ended_on 2026-11-21T00:00:00.000Z"),
    (dict(end=None), "its end time is not reported"),
])
def test_retry_restarts_only_an_instance_still_errored_as_listed(fake, adapter, now, reason):
    """The engine restarts whatever state an instance is in: one restarted, terminated or errored again by someone
    else since the listing is left alone, and said so."""
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail(**now)))
    job = adapter.retry("wf", "instances", ["i1"], "retry", listed={"i1": "i1@2026-11-20T01:00:00.000Z"})
    assert set(job) == {"changed_since_listing"} and reason in job["changed_since_listing"]["i1"]
    assert [call["method"] for call in fake.calls] == ["GET"]


def test_retry_of_an_instance_deleted_since_the_listing_sends_nothing(fake, adapter):
    fake.fail("GET", BASE + "/wf/instances/i1", 404)
    job = adapter.retry("wf", "instances", ["i1"], "retry", listed={"i1": "i1@2026-11-20T01:00:00.000Z"})
    assert job == {"changed_since_listing": {"i1": "status deleted (the instance is gone)"}}
    assert [call["method"] for call in fake.calls] == ["GET"]


@pytest.mark.parametrize("final, outcome", [("complete", "succeeded"), ("terminated", "not_recovered"),
                                            ("errored", "failed_again"), ("running", "pending")])
def test_key_outcomes_come_from_the_instance_itself(fake, adapter, final, outcome):
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail()))
    fake.answer("PATCH", BASE + "/wf/instances/i1/status", ok({"status": "queued", "timestamp": "2026-11-23T00:00:00Z"}))
    adapter.retry("wf", "instances", ["i1"], "retry", listed={"i1": "i1@2026-11-20T01:00:00.000Z"})
    fake.routes[("GET", BASE + "/wf/instances/i1")] = [Response(200, {}, ok(detail(status=final, end="2026-11-23T00:00:09Z")), "")]
    job = adapter.get_job("wf/i1")
    assert job["done"] is (final != "running")
    assert adapter.key_outcomes("wf/i1") == {"i1": (outcome, final)}


def test_an_instance_still_in_the_failure_restarted_is_not_done_and_one_deleted_is_not_recovered(fake, adapter):
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail()))
    fake.answer("PATCH", BASE + "/wf/instances/i1/status", ok({"status": "queued", "timestamp": "2026-11-23T00:00:00Z"}))
    adapter.retry("wf", "instances", ["i1"], "retry", listed={"i1": "i1@2026-11-20T01:00:00.000Z"})
    assert adapter.get_job("wf/i1")["done"] is False  # the same errored end: the restart has not begun
    assert adapter.key_outcomes("wf/i1") == {"i1": ("pending", "queued")}
    fake.routes[("GET", BASE + "/wf/instances/i1")] = [FlowOpsError("HTTP error", status=404)]
    assert adapter.get_job("wf/i1") == {"_id": "wf/i1", "status": "deleted", "done": True}
    assert adapter.key_outcomes("wf/i1") == {"i1": ("not_recovered", "deleted")}


def test_a_failed_rollback_step_is_never_the_errors_step(fake, adapter):
    path = BASE + "/wf/instances"
    steps = [{"type": "step", "name": "charge card", "success": False, "attempts": [{"error": {"name": "Error", "message": "x"}}]},
             {"type": "rollback", "name": "refund", "success": False, "attempts": [{"error": {"name": "Error", "message": "y"}}]}]
    fake.answer("GET", path, ok([listed("i1")]))
    fake.answer("GET", path + "/i1", ok(detail(steps=steps)))
    assert [error["source"] for error in adapter.iter_errors("wf", "instances")] == ["charge card"]


def test_an_empty_page_with_a_cursor_is_followed_as_wrangler_does(fake, adapter):
    path = BASE + "/wf/instances"
    fake.answer("GET", path, ok([], cursor="c1"))
    fake.answer("GET", path, ok([listed("i1")], cursor="c2"))
    fake.answer("GET", path, ok([], cursor="c2"))  # empty and the cursor asked with: the end, not a loop
    fake.answer("GET", path + "/i1", ok(detail()))
    assert [error["retryDataKey"] for error in adapter.iter_errors("wf", "instances")] == ["i1"]
    assert [call["params"].get("cursor") for call in fake.calls if call["path"] == path] == [None, "c1", "c2"]


def test_retry_from_a_step_checks_the_history_then_sends_only_its_name(fake, adapter):
    steps = [{"type": "step", "name": "validate"}, {"type": "sleep", "name": "cool down"}, {"type": "step", "name": "charge card"}]
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail(steps=steps)))
    fake.answer("PATCH", BASE + "/wf/instances/i1/status", ok({"status": "queued", "timestamp": "2026-11-23T00:00:00Z"}))
    adapter.retry("wf", "instances", ["i1"], "retry", {"from_step": "charge card"})  # one read serves both checks
    assert [(call["method"], call["body"]) for call in fake.calls] == [
        ("GET", None), ("PATCH", {"status": "restart", "from": {"name": "charge card"}})]


@pytest.mark.parametrize("step", ["notify", "cool down"])
def test_retry_from_a_step_not_run_sends_nothing(fake, adapter, step):
    steps = [{"type": "step", "name": "validate"}, {"type": "sleep", "name": "cool down"}]
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail(steps=steps)))
    with pytest.raises(FlowOpsError) as caught:
        adapter.retry("wf", "instances", ["i1"], "retry", {"from_step": step})
    assert str(caught.value) == ("restart_from_step: instance i1 has no step '%s' in its execution history (steps run: validate); "
                                 "not restarted" % step)
    assert not caught.value.may_have_applied
    assert [call["method"] for call in fake.calls] == ["GET"]


def test_retry_takes_exactly_one_key(adapter):
    with pytest.raises(FlowOpsError, match="one instance a call, got 2 keys"):
        adapter.retry("wf", "instances", ["a", "b"], "retry")


@pytest.mark.parametrize("status, done", [("queued", False), ("running", False), ("waiting", False), ("paused", False),
                                          ("waitingForPause", False), ("rollingBack", False),
                                          ("complete", True), ("errored", True), ("terminated", True)])
def test_get_job_polls_the_instance(fake, adapter, status, done):
    fake.answer("GET", BASE + "/my%20wf/instances/i%401", ok(dict(detail(), status=status)))
    assert adapter.get_job("my%20wf/i%401") == {"_id": "my%20wf/i%401", "status": status, "done": done}
    expected = {"complete": "succeeded", "errored": "failed_again", "terminated": "not_recovered"}.get(status, "pending")
    assert adapter.key_outcomes("my%20wf/i%401") == {"i@1": (expected, status)}


@pytest.mark.parametrize("status", ["unknown", None, "hibernating"])
def test_a_status_the_collection_does_not_know_ends_the_wait_and_leaves_the_key_pending(fake, adapter, status):
    warnings = []
    adapter.bind(warn=warnings.append)
    fake.answer("GET", BASE + "/wf/instances/i%401", ok(dict(detail(), status=status)))
    assert adapter.get_job("wf/i%401") == {"_id": "wf/i%401", "status": status, "done": True}
    assert adapter.get_job("wf/i%401")["done"] is True
    assert len(warnings) == 1 and "instance i@1 of workflow wf reports status %r" % (status,) in warnings[0]
    assert adapter.key_outcomes("wf/i%401") == {"i@1": ("pending", status or "unknown")}
    fake.routes.clear()
    fake.answer("GET", BASE + "/wf/instances/i%401", ok(dict(detail(), status="complete")))  # known again: no longer pending
    assert adapter.get_job("wf/i%401")["done"] is True and adapter.key_outcomes("wf/i%401") == {"i@1": ("succeeded", "complete")}


def test_resolve_sends_nothing(fake, adapter):
    with pytest.raises(UnsupportedOperation):
        adapter.resolve("wf", "instances", ["i1@2026-11-20T01:00:00.000Z"])
    assert fake.calls == []


def test_retry_data_is_what_a_restart_reruns_with(fake, adapter):
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail(trigger="cron")))
    assert adapter.retry_data("wf", "instances", "i1") == {"params": {"order": 1}, "trigger": {"source": "cron"}, "versionId": "v1"}


def test_connections_are_unsupported(adapter):
    with pytest.raises(UnsupportedOperation, match="platform 'cloudflare' does not support flow_connection_replace"):
        adapter.replace_connection("wf", "a", "b")


# -- over HTTP: the /client/v4 prefix, the bearer token and a 429 in the envelope ---------------------


def test_requests_keep_the_v4_prefix_and_wait_out_a_429(harness, raw, token):
    client, script, sleeps = harness.client([
        raw(429, {"success": False, "errors": [{"code": 971, "message": "Please wait"}], "messages": [], "result": None},
            headers={"Retry-After": "3"}),
        raw(200, ok({"name": "wf", "id": "w1", "script_name": "s"})),
    ], base_url=CloudflareAdapter.base_url(None, None))
    flow = CloudflareAdapter(client, {"account_id": ACCOUNT}).get_flow("wf")
    assert flow["_id"] == "wf"
    assert script.urls == ["https://api.cloudflare.com/client/v4/accounts/acc1/workflows/wf"] * 2
    assert sleeps == [3]
    assert client.session.auth.value == "Bearer " + token


# -- malformed bodies: one line naming the endpoint; an unreadable restart answer may have applied -------


def _fails(call, start):
    with pytest.raises(FlowOpsError) as info:
        call()
    assert str(info.value).startswith(start) and "\n" not in str(info.value), str(info.value)
    return info.value


@pytest.mark.parametrize("result, match", [({}, "the workflow: name is missing"), (None, "expected the workflow to be an object, got null"),
                                           ([{"name": "wf"}], "got an array"), ({"name": 5}, "name is a number")])
def test_a_workflow_lookup_without_a_workflow_fails(fake, adapter, result, match):
    fake.answer("GET", BASE + "/wf", ok(result))
    assert match in str(_fails(lambda: adapter.get_flow("wf"), "GET %s/wf: unexpected response: " % BASE))


def test_an_envelope_without_result_fails_in_one_line(fake, adapter):
    fake.answer("GET", BASE + "/wf", {"success": True})
    _fails(lambda: adapter.error_summary("wf"), "GET %s/wf: unexpected response: expected the workflow to be an object, got null" % BASE)


@pytest.mark.parametrize("counts, match", [({"errored": "7"}, "a string"), ({"errored": float("inf")}, "inf"),
                                           ({"errored": float("nan")}, "nan"), ({"errored": -2}, "-2"), ([7], "instances is an array")])
def test_a_non_numeric_errored_count_fails(fake, adapter, counts, match):
    fake.answer("GET", BASE + "/wf", ok({"name": "wf", "instances": counts}))
    assert match in str(_fails(lambda: adapter.error_summary("wf"), "GET %s/wf: unexpected response: " % BASE))


@pytest.mark.parametrize("item, match", [("i1", "expected a listed instance to be an object, got a string"),
                                         ({"status": "errored"}, "a listed instance: id is missing")])
def test_malformed_listed_instances_fail(fake, adapter, item, match):
    fake.answer("GET", BASE + "/wf/instances", ok([item]))
    assert match in str(_fails(lambda: list(adapter.iter_errors("wf", "instances")), "GET %s/wf/instances: " % BASE))


@pytest.mark.parametrize("instance, match", [([], "expected the instance to be an object, got an array"),
                                             (dict(detail(), steps=3), "steps is a number"),
                                             (dict(detail(), error="boom"), "error is a string"),
                                             (dict(detail(), error={"message": {"x": 1}}), "the instance's error: message is an object")])
def test_a_malformed_instance_fails(fake, adapter, instance, match):
    path = BASE + "/wf/instances"
    fake.answer("GET", path, ok([listed("i1")]))
    fake.answer("GET", path + "/i1", ok(instance))
    assert match in str(_fails(lambda: list(adapter.iter_errors("wf", "instances")), "GET %s/i1: unexpected response: " % path))


def test_a_non_string_cursor_fails(fake, adapter):
    fake.answer("GET", BASE + "/wf/instances", ok([listed("i1")], cursor={"next": "c2"}))
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail()))
    _fails(lambda: list(adapter.iter_errors("wf", "instances")), "GET %s/wf/instances: expected 'result_info.cursor' to be a string" % BASE)


@pytest.mark.parametrize("body", [[], "restarted", {"success": True, "result": ["queued"]}])
def test_a_restart_answered_unreadably_may_have_applied(fake, adapter, body):
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail()))
    fake.answer("PATCH", BASE + "/wf/instances/i1/status", body)
    error = _fails(lambda: adapter.retry("wf", "instances", ["i1"], "retry"), "PATCH %s/wf/instances/i1/status: HTTP 200 " % BASE)
    assert error.may_have_applied is True


def test_success_false_on_a_restart_is_a_refusal_not_a_doubt(fake, adapter):
    fake.answer("GET", BASE + "/wf/instances/i1", ok(detail()))
    fake.answer("PATCH", BASE + "/wf/instances/i1/status", {"success": False, "errors": [{"message": "nope"}], "result": None})
    error = _fails(lambda: adapter.retry("wf", "instances", ["i1"], "retry"), "PATCH ")
    assert not error.may_have_applied and error.status is None


def test_listings_honour_the_clients_max_pages():
    fake = FakeClient(max_pages=1)
    adapter = CloudflareAdapter(fake, {"account_id": ACCOUNT})
    fake.answer("GET", BASE, ok([{"name": "wf%d" % n} for n in range(100)], total_pages=3))
    _fails(lambda: list(adapter.list_flows()), "GET %s: more than 1 pages; stopping (raise max_pages" % BASE)
