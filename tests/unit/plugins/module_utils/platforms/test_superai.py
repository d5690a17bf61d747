# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SuperAI adapter against a fake client (and, for error bodies, the real client on scripted responses)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from datetime import datetime, timezone

from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import Client, Response
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._http.paging import NumberedPager
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import ADAPTERS
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import superai
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.superai import SuperAIAdapter

FLOW = "550e8400-e29b-41d4-a716-446655440000"
EXE = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
LIST = "/api/flow-executions"


def execution(number=0, status="failed", updated="2026-11-20T04:00:00.000000Z"):
    return {"id": "%s-%04d" % (EXE[:31], number), "flow_id": FLOW, "flow_version": 2, "status": status,
            "input": {"file_key": "documents/a.pdf"}, "created_at": "2026-11-20T03:00:00.000000Z", "updated_at": updated,
            "modified_by": "system", "organization_id": FLOW}


class FakeClient:
    """Answers ``request`` from queued responses per (method, path) and records every call."""

    def __init__(self, max_pages=10000):
        self.routes = {}
        self.calls = []
        self.max_pages = max_pages  # the run's page cap, as the real Client carries it

    def answer(self, method, path, body=None, status=200, error=None):
        self.routes.setdefault((method, path), []).append(error or Response(status, {}, body, path))
        return self

    def request(self, method, path, params=None, body=None, allow_empty=False):
        self.calls.append(dict(method=method, path=path, params=params, body=body, allow_empty=allow_empty))
        queue = self.routes.get((method, path))
        if not queue:
            raise AssertionError("unexpected request %s %s" % (method, path))
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def writes(self):
        return [call for call in self.calls if call["method"] != "GET"]


@pytest.fixture
def fake():
    return FakeClient()


@pytest.fixture
def adapter(fake):
    return SuperAIAdapter(fake)


def test_registered_with_its_strategies_single_item_batches_and_soft_delete_resolve():
    assert ADAPTERS["superai"] is SuperAIAdapter
    assert SuperAIAdapter.retry_strategies == ("retry",)  # latest_version: every re-execute runs the latest version
    assert SuperAIAdapter.max_retry_batch == 1
    assert SuperAIAdapter.resolve_mode == "delete"
    assert SuperAIAdapter.unsupported_hints["undelete"] == "soft DELETE: no undelete"


def test_auth_takes_a_bearer_token_by_default_or_a_service_account_key():
    assert SuperAIAdapter.auth(None) == ("Authorization", "Bearer ")
    assert SuperAIAdapter.auth("bearer") == ("Authorization", "Bearer ")
    assert SuperAIAdapter.auth("x-api-key") == ("X-API-Key", "")


@pytest.mark.parametrize("platform", ["celigo", "activepieces", "cloudflare"])
def test_other_platforms_refuse_x_api_key_in_one_line(platform):
    if "x-api-key" in ADAPTERS[platform].auth_forms:
        pytest.skip("%s takes x-api-key now" % platform)
    with pytest.raises(ValidationError) as caught:
        ADAPTERS[platform].auth("x-api-key")
    assert str(caught.value).startswith("auth_header: platform '%s' takes only " % platform)
    assert str(caught.value).endswith(", not 'x-api-key'") and "\n" not in str(caught.value)


@pytest.mark.parametrize("form, secret", [("bearer", "token"), ("x-api-key", "api_key")])
def test_both_auth_forms_reach_the_emulator(superai_emulator_factory, form, secret):
    from ansible_collections.flowops.ipaas.tests.emulator.superai.state import flow_ids, generate  # pylint: disable=import-outside-toplevel
    handle = superai_emulator_factory(generate(flows=1, executions=2, seed=2))
    header, prefix = SuperAIAdapter.auth(form)
    client = Client(handle.url, getattr(handle, secret), auth_header=header, auth_prefix=prefix)
    try:
        flow = flow_ids(handle.scenario)[0]
        assert SuperAIAdapter(client).get_flow(flow)["_id"] == flow
    finally:
        client.close()


# -- connection options, before any request -------------------------------------------------------


def test_base_url_is_the_public_host_by_default():
    assert SuperAIAdapter.base_url(None, None) == "https://flows.super.ai"
    assert SuperAIAdapter.base_url("http://127.0.0.1:8080", None) == "http://127.0.0.1:8080"
    with pytest.raises(ValidationError, match="region: 'eu' is not a superai region"):
        SuperAIAdapter.base_url(None, "eu")


@pytest.mark.parametrize("option, value", [("abstract_flow_id", ["a1"]), ("integration_id", "i1")])
def test_flow_selection_options_superai_lacks_fail_in_one_line(option, value):
    with pytest.raises(UnsupportedOperation) as caught:
        SuperAIAdapter.validate({option: value})
    message = str(caught.value)
    assert message.startswith("platform 'superai' does not support %s;" % option)
    assert "flow_ids" in message and "\n" not in message


def test_connection_replace_fails_before_any_request(adapter, fake):
    with pytest.raises(UnsupportedOperation, match=r"^platform 'superai' does not support flow_connection_replace; "):
        adapter.require("replace_connection", "flow_connection_replace")
    assert fake.calls == []


def test_connection_operations_are_unsupported(adapter, fake):
    for call in (lambda: adapter.get_connection("c"), lambda: adapter.flow_connections(FLOW),
                 lambda: adapter.replace_connection(FLOW, "a", "b"), lambda: adapter.list_flows(integration_id="i")):
        with pytest.raises(UnsupportedOperation, match="^platform 'superai' does not support"):
            call()
    assert fake.calls == []


# -- flows and the pseudo step --------------------------------------------------------------------


def test_get_flow_maps_the_flow_record(adapter, fake):
    flow = {"id": FLOW, "display_name": "Invoices", "version": 3, "status": "published", "deleted": False,
            "definition": {"tasks": []}}
    fake.answer("GET", "/api/flows/" + FLOW, flow)
    assert adapter.get_flow(FLOW) == {"_id": FLOW, "name": "Invoices", "disabled": False, "_abstractFlowId": None,
                                      "_integrationId": None, "version": 3, "status": "published"}


def test_ids_are_one_escaped_path_segment(adapter, fake):
    fake.answer("GET", "/api/flows/a%2Fb", {"id": "a/b"})
    fake.answer("GET", "/api/flows/%2E%2E", {"id": ".."})
    assert adapter.get_flow("a/b")["_id"] == "a/b"
    assert adapter.get_flow("..")["_id"] == ".."


def test_flow_steps_is_one_pseudo_step_without_a_request(adapter, fake):
    assert adapter.flow_steps(FLOW) == [{"_id": "executions", "name": "Flow executions", "type": "executions"}]
    assert fake.calls == []


# -- listing: page/page_size ----------------------------------------------------------------------


def test_listing_pages_until_a_short_page(adapter, fake):
    first = [execution(n) for n in range(1000)]
    fake.answer("GET", LIST, first).answer("GET", LIST, [execution(1000), execution(1001)])
    errors = list(adapter.iter_errors(FLOW, "executions"))
    assert len(errors) == 1002
    assert [call["params"]["page"] for call in fake.calls] == [1, 2]
    assert fake.calls[0]["params"] == {"flow_id": FLOW, "status": ["failed", "stale"], "sort_field": "created_at",
                                       "sort_direction": "asc", "page": 1, "page_size": 1000}


def test_listing_of_an_exact_multiple_reads_one_empty_page(adapter, fake):
    fake.answer("GET", LIST, [execution(n) for n in range(1000)]).answer("GET", LIST, [])
    assert len(list(adapter.iter_errors(FLOW, "executions"))) == 1000
    assert len(fake.calls) == 2


def test_listing_refuses_a_non_array_and_runaway_paging(adapter, fake, monkeypatch):
    fake.answer("GET", LIST, {"items": []})
    with pytest.raises(FlowOpsError, match="expected a JSON array, got dict"):
        list(adapter.iter_errors(FLOW, "executions"))
    monkeypatch.setattr(superai, "PAGER", NumberedPager(None, 1, size_param="page_size", max_pages=2))
    fake.routes.clear()
    fake.answer("GET", LIST, [execution()])
    with pytest.raises(FlowOpsError, match="more than 2 pages; stopping"):
        list(adapter.iter_errors(FLOW, "executions"))


def test_the_pager_stays_within_the_api_limits():
    assert (superai.PAGER.size, superai.PAGER.size_param, superai.PAGER.max_pages) == (1000, "page_size", 10000)


def test_time_window_is_sent_as_inclusive_updated_bounds_widened_to_whole_seconds(adapter, fake):
    fake.answer("GET", LIST, [])
    filters = {"occurred_after": datetime(2026, 11, 20, 4, 0, 0, 500000, tzinfo=timezone.utc),
               "occurred_before": datetime(2026, 11, 21, 1, 2, 3, 1, tzinfo=timezone.utc), "sources": []}
    assert list(adapter.iter_errors(FLOW, "executions", filters=filters)) == []
    params = fake.calls[0]["params"]
    assert (params["updated_after"], params["updated_before"]) == ("2026-11-20T04:00:00Z", "2026-11-21T01:02:04Z")
    fake.calls.clear()
    exact = {"occurred_after": None, "occurred_before": datetime(2026, 11, 21, tzinfo=timezone.utc), "sources": []}
    list(adapter.iter_errors(FLOW, "executions", filters=exact))
    assert "updated_after" not in fake.calls[0]["params"] and fake.calls[0]["params"]["updated_before"] == "2026-11-21T00:00:00Z"


def test_resolved_listing_is_refused_before_any_request(adapter, fake):
    """Resolve soft-deletes; SuperAI never lists or returns deleted executions, so there is nothing to list."""
    with pytest.raises(UnsupportedOperation, match="^platform 'superai' does not support resolved; resolve soft-deletes"):
        SuperAIAdapter.validate({"resolved": True})
    with pytest.raises(UnsupportedOperation):
        list(adapter.iter_errors(FLOW, "executions", resolved=True))
    assert fake.calls == []


def test_error_record_maps_status_to_classification_and_keys(adapter, fake):
    fake.answer("GET", LIST, [execution(1, "failed", "2026-11-20T04:00:00.000001Z"),
                              execution(2, "stale", "2026-11-20T05:00:00.000000Z")])
    failed, stale = adapter.iter_errors(FLOW, "executions")
    assert failed["errorId"] == failed["id"] + "@2026-11-20T04:00:00.000001Z"
    assert failed["retryDataKey"] == failed["id"]
    assert (failed["classification"], failed["code"], failed["source"]) == ("intermittent", "failed", "flow_execution")
    assert (stale["classification"], stale["code"]) == ("stale", "stale")  # its own: left out of default selections
    assert failed["occurredAt"] == "2026-11-20T04:00:00.000001Z"
    assert (failed["_flowId"], failed["_stepId"], failed["tags"]) == (FLOW, "executions", [])
    assert "input" not in failed and failed["flow_version"] == 2


def test_error_summary_counts_open_executions_and_the_latest(adapter, fake):
    fake.answer("GET", LIST, [execution(1, updated="2026-11-20T04:00:00.000000Z"),
                              execution(2, "stale", "2026-11-21T01:00:00.000000Z"),
                              execution(3, updated="2026-11-20T09:00:00.000000Z")])
    assert adapter.error_summary(FLOW) == {"executions": {"open_errors": 3, "last_error_at": "2026-11-21T01:00:00.000000Z"}}
    fake.routes.clear()
    fake.answer("GET", LIST, [])
    assert adapter.error_summary(FLOW) == {"executions": {"open_errors": 0, "last_error_at": None}}


# -- retry: re-execute one execution --------------------------------------------------------------


@pytest.mark.parametrize("status, only_stale", [("failed", "false"), ("stale", "true")])
def test_retry_re_executes_a_failure_in_full_and_a_stale_execution_stale_only(adapter, fake, status, only_stale):
    """only_stale=false re-executes the entire flow, the failed task included (only_stale=true would not); a stale
    execution completed once: a full re-run would discard its results and repeat its side effects."""
    raw = execution(status=status)
    fake.answer("GET", "%s/%s" % (LIST, raw["id"]), raw)
    fake.answer("POST", "%s/%s/execute" % (LIST, raw["id"]), None, status=204)
    job = adapter.retry(FLOW, "executions", [raw["id"]], "retry", listed={raw["id"]: "%s@%s" % (raw["id"], raw["updated_at"])})
    assert job == {"_id": raw["id"], "status": "running", "done": False, "only_stale": only_stale == "true"}
    (post,) = fake.writes()
    assert (post["params"], post["body"], post["allow_empty"]) == ({"only_stale": only_stale}, None, True)


def test_a_stale_execution_listed_as_failed_is_not_re_executed_in_full(adapter, fake):
    """Listed failed, stale by the time of the write: changed, so nothing is sent (never only_stale=false on it)."""
    raw = execution(status="stale", updated="2026-11-21T00:00:00.000000Z")
    fake.answer("GET", "%s/%s" % (LIST, raw["id"]), raw)
    job = adapter.retry(FLOW, "executions", [raw["id"]], "retry", listed={raw["id"]: "%s@2026-11-20T04:00:00.000000Z" % raw["id"]})
    assert set(job) == {"changed_since_listing"} and fake.writes() == []


@pytest.mark.parametrize("status", ["running", "completed", "cancelled", "queued", "deleted"])
def test_retry_leaves_an_execution_that_is_no_longer_failed_alone(adapter, fake, status):
    raw = execution(status=status)
    path = "%s/%s" % (LIST, raw["id"])
    fake.answer("GET", path, raw if status != "deleted" else None,
                error=FlowOpsError("Resource not found", status=404) if status == "deleted" else None)
    job = adapter.retry(FLOW, "executions", [raw["id"]], "retry", listed={raw["id"]: "%s@%s" % (raw["id"], raw["updated_at"])})
    assert job == {"changed_since_listing": {raw["id"]: "status %s" % status}}
    assert fake.writes() == []


@pytest.mark.parametrize("final, outcome", [("completed", "succeeded"), ("failed", "failed_again"),
                                            ("cancelled", "not_recovered"), ("deleted", "not_recovered"),
                                            ("stale", "not_recovered"), ("running", "pending")])
def test_key_outcomes_come_from_the_execution_itself(adapter, fake, final, outcome):
    raw = execution()
    path = "%s/%s" % (LIST, raw["id"])
    fake.answer("GET", path, raw)
    fake.answer("POST", path + "/execute", None, status=204)
    adapter.retry(FLOW, "executions", [raw["id"]], "retry", listed={raw["id"]: "%s@%s" % (raw["id"], raw["updated_at"])})
    assert adapter.get_job(raw["id"])["done"] is False  # still the failure re-executed: not begun yet
    assert adapter.key_outcomes(raw["id"]) == {raw["id"]: ("pending", "queued")}
    fake.routes[("GET", path)] = [FlowOpsError("gone", status=404)] if final == "deleted" else [
        Response(200, {}, execution(status=final, updated="2026-11-23T00:00:00.000000Z"), path)]
    assert adapter.get_job(raw["id"])["done"] is (final != "running")
    assert adapter.key_outcomes(raw["id"]) == {raw["id"]: (outcome, final)}


def test_the_listing_keeps_only_executions_whose_own_status_is_open(adapter, fake):
    """The status filter is described two ways (execution or task status): each execution is checked itself."""
    fake.answer("GET", LIST, [execution(1, "failed"), execution(2, "running"), execution(3, "completed"), execution(4, "stale")])
    assert [error["code"] for error in adapter.iter_errors(FLOW, "executions")] == ["failed", "stale"]


def test_retry_409_names_the_execution_in_one_line(adapter, fake):
    raw = execution(status="stale")
    fake.answer("GET", "%s/%s" % (LIST, raw["id"]), raw)
    path = "%s/%s/execute" % (LIST, raw["id"])
    fake.answer("POST", path, error=FlowOpsError("Workflow is currently running and cannot be terminated", status=409,
                                                 method="POST", path=path, code="conflict"))
    with pytest.raises(FlowOpsError) as caught:
        adapter.retry(FLOW, "executions", [raw["id"]], "retry")
    assert str(caught.value) == ("POST %s: HTTP 409 [conflict] execution %s is running and SuperAI cannot terminate it; "
                                 "let it finish, then rerun" % (path, raw["id"]))
    assert caught.value.may_have_applied is False


def test_retry_passes_other_failures_through_and_refuses_batches(adapter, fake):
    raw = execution()
    fake.answer("GET", "%s/%s" % (LIST, raw["id"]), raw)
    fake.answer("POST", "%s/%s/execute" % (LIST, raw["id"]), error=FlowOpsError("boom", status=500, may_have_applied=True))
    with pytest.raises(FlowOpsError) as caught:
        adapter.retry(FLOW, "executions", [raw["id"]], "retry")
    assert caught.value.may_have_applied is True
    with pytest.raises(FlowOpsError, match="one flow execution per request, got 2 keys"):
        adapter.retry(FLOW, "executions", ["a", "b"], "retry")


@pytest.mark.parametrize("status, done", [("queued", False), ("running", False), ("awaiting_input", False),
                                          ("cancel_requested", False), ("completed", True), ("failed", True),
                                          ("cancelled", True), ("stale", True)])
def test_get_job_polls_the_execution(adapter, fake, status, done):
    raw = execution(status=status)
    fake.answer("GET", "%s/%s" % (LIST, raw["id"]), raw)
    assert adapter.get_job(raw["id"]) == {"_id": raw["id"], "status": status, "done": done, "flow_version": 2}


# -- resolve: soft DELETE ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["failed", "stale"])
def test_resolve_soft_deletes_the_listed_execution_and_never_cancels(adapter, fake, status):
    raw = execution(status=status)
    fake.answer("GET", "%s/%s" % (LIST, raw["id"]), raw)
    fake.answer("DELETE", "%s/%s" % (LIST, raw["id"]), None, status=204)
    adapter.resolve(FLOW, "executions", ["%s@%s" % (raw["id"], raw["updated_at"])])
    expected = [("GET", "%s/%s" % (LIST, raw["id"])), ("DELETE", "%s/%s" % (LIST, raw["id"]))]
    assert [(c["method"], c["path"]) for c in fake.calls] == expected
    assert (fake.writes()[0]["body"], fake.writes()[0]["params"], fake.writes()[0]["allow_empty"]) == (None, None, True)


@pytest.mark.parametrize("status, updated", [("running", "2026-11-20T04:00:00.000000Z"),
                                             ("completed", "2026-11-20T04:00:00.000000Z"),
                                             ("failed", "2026-11-22T00:00:00.000000Z")])
def test_resolve_never_deletes_an_execution_that_changed_since_listed(adapter, fake, status, updated):
    raw, other = execution(status=status, updated=updated), execution(5)
    fake.answer("GET", "%s/%s" % (LIST, raw["id"]), raw)
    fake.answer("GET", "%s/%s" % (LIST, other["id"]), other)
    fake.answer("DELETE", "%s/%s" % (LIST, other["id"]), None, status=204)
    error_id = "%s@2026-11-20T04:00:00.000000Z" % raw["id"]
    changed = adapter.resolve(FLOW, "executions", [error_id, "%s@%s" % (other["id"], other["updated_at"])])
    assert list(changed) == [error_id] and changed[error_id].startswith("status %s" % status)
    assert [call["path"] for call in fake.writes()] == ["%s/%s" % (LIST, other["id"])]  # the unchanged one only


def test_resolve_of_an_execution_gone_since_listed_sends_nothing(adapter, fake):
    raw = execution()
    path = "%s/%s" % (LIST, raw["id"])
    fake.answer("GET", path, error=FlowOpsError("Resource not found", status=404, method="GET", path=path, code="not_found"))
    error_id = "%s@%s" % (raw["id"], raw["updated_at"])
    assert adapter.resolve(FLOW, "executions", [error_id]) == {error_id: "status deleted"}
    assert fake.writes() == []


def test_retry_data_is_the_execution_input(adapter, fake):
    raw = execution()
    fake.answer("GET", "%s/%s" % (LIST, raw["id"]), raw)
    assert adapter.retry_data(FLOW, "executions", raw["id"]) == {"retryDataKey": raw["id"], "input": raw["input"],
                                                                 "flow_version": 2}


# -- SuperAI's error envelope through the real client --------------------------------------------


def test_error_envelope_becomes_a_readable_line(harness, raw):
    body = {"error": {"message": "Flow not found", "code": "not_found"}, "request_id": "01K8KABR6S16YETA2SZPVBS9SP"}
    client, dummy, dummy2 = harness.client([raw(404, body=body)], base_url="https://flows.super.ai")
    with pytest.raises(FlowOpsError) as caught:
        SuperAIAdapter(client).get_flow(FLOW)
    assert str(caught.value) == "GET /api/flows/%s: HTTP 404 [not_found] Flow not found" % FLOW


def test_validation_detail_and_other_bodies(harness, raw):
    detail = {"detail": [{"loc": ["query", "only_stale"], "msg": "Input should be a valid boolean", "type": "bool_parsing"}]}
    client, dummy, dummy2 = harness.client([raw(422, body=detail), raw(400, text="<html>bad gateway</html>"),
                                            raw(500, body={"error": {"message": "Database operation failed",
                                                                     "code": "repository_error"}})],
                                           base_url="https://flows.super.ai")
    adapter = SuperAIAdapter(client)
    with pytest.raises(FlowOpsError, match=r"HTTP 422 Input should be a valid boolean$"):
        adapter.get_job(EXE)
    with pytest.raises(FlowOpsError, match="unexpected .* <html>bad gateway</html>"):
        adapter.get_job(EXE)
    with pytest.raises(FlowOpsError) as caught:
        client.request("DELETE", "/api/flow-executions/%s" % EXE, allow_empty=True)
    assert (caught.value.code, caught.value.message, caught.value.may_have_applied) == (
        "repository_error", "Database operation failed", True)


def test_the_listing_422_error_envelope_is_one_line(harness, raw):
    body = {"error": {"message": "Request validation failed", "code": "validation_error",
                      "details": [{"type": "less_than_equal", "loc": ["query", "page_size"], "msg": "Input should be less than or equal to 1000"}]},
            "request_id": "01K8KABR6S16YETA2SZPVBS9SP"}
    client, dummy, dummy2 = harness.client([raw(422, body=body)], base_url="https://flows.super.ai")
    with pytest.raises(FlowOpsError) as caught:
        list(SuperAIAdapter(client).iter_errors(FLOW, "executions"))
    assert caught.value.status == 422 and caught.value.code == "validation_error"
    assert str(caught.value).startswith("GET /api/flow-executions: HTTP 422 [validation_error] Request validation failed")
    assert "\n" not in str(caught.value)


# -- malformed bodies and the run's page cap ---------------------------------------------------------------


def _fails(call, start):
    with pytest.raises(FlowOpsError) as info:
        call()
    assert str(info.value).startswith(start) and "\n" not in str(info.value), str(info.value)
    return info.value


@pytest.mark.parametrize("body, match", [({}, "the flow: id is missing"), (None, "got null"), ([], "got an array")])
def test_a_flow_lookup_without_a_flow_fails(adapter, fake, body, match):
    fake.answer("GET", "/api/flows/" + FLOW, body)
    assert match in str(_fails(lambda: adapter.get_flow(FLOW), "GET /api/flows/%s: unexpected response: " % FLOW))


@pytest.mark.parametrize("body, match", [({}, "the execution: id is missing"), ({"id": EXE}, "status is missing"),
                                         ("failed", "got a string")])
def test_an_execution_read_answered_without_an_execution_fails_instead_of_reading_as_not_failed(adapter, fake, body, match):
    fake.answer("GET", "/api/flow-executions/" + EXE, body)
    assert match in str(_fails(lambda: adapter.retry(FLOW, "executions", [EXE], "retry"), "GET /api/flow-executions/%s: " % EXE))
    assert fake.writes() == []


@pytest.mark.parametrize("item, match", [(None, "expected a listed execution to be an object, got null"),
                                         ({"status": "failed"}, "a listed execution: id is missing"),
                                         (dict(execution(), updated_at=5), "updated_at is a number")])
def test_malformed_listed_executions_fail(adapter, fake, item, match):
    fake.answer("GET", LIST, [item])
    assert match in str(_fails(lambda: list(adapter.iter_errors(FLOW, "executions")), "GET /api/flow-executions: unexpected "))


def test_the_listing_takes_the_smaller_of_max_pages_and_the_api_limit(monkeypatch):
    monkeypatch.setattr(superai, "PAGER", NumberedPager(None, 1, size_param="page_size", max_pages=superai.MAX_PAGE))
    fake = FakeClient(max_pages=3)
    fake.answer("GET", LIST, [execution()])
    _fails(lambda: list(SuperAIAdapter(fake).iter_errors(FLOW, "executions")),
           "GET /api/flow-executions: more than 3 pages; stopping (raise max_pages")
    assert len(fake.calls) == 3
    fake = FakeClient(max_pages=1000000)
    monkeypatch.setattr(superai, "PAGER", NumberedPager(None, 1, size_param="page_size", max_pages=2))
    fake.answer("GET", LIST, [execution()])
    _fails(lambda: list(SuperAIAdapter(fake).iter_errors(FLOW, "executions")),
           "GET /api/flow-executions: more than 2 pages; stopping (the API serves no more than 2 pages)")
