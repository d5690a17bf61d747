# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Celigo adapter against a fake client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import Response
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import ADAPTERS
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import PlatformAdapter
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.celigo import CeligoAdapter, step_refs


class FakeClient:
    """Answers ``request`` from queued responses per (method, path) and records every call."""

    def __init__(self, max_pages=10000):
        self.routes = {}
        self.calls = []
        self.max_pages = max_pages  # the run's page cap, as the real Client carries it

    def answer(self, method, path, body=None, status=200, headers=None):
        self.routes.setdefault((method, path), []).append(Response(status, headers or {}, body, path))
        return self

    def request(self, method, path, params=None, body=None, allow_empty=False):
        self.calls.append(dict(method=method, path=path, params=params, body=body, allow_empty=allow_empty))
        queue = self.routes.get((method, path))
        if not queue:
            raise FlowOpsError("no route for %s %s" % (method, path), status=404, method=method, path=path)
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def fake():
    return FakeClient()


@pytest.fixture
def adapter(fake):
    return CeligoAdapter(fake)


def test_registered():
    assert ADAPTERS["celigo"] is CeligoAdapter
    assert CeligoAdapter.retry_strategies == ("retry", "exponential_decay")


# -- step_refs --------------------------------------------------------------------------------------


def test_step_refs_order():
    flow = {
        "pageGenerators": [{"_exportId": "exp1"}, {"_exportId": "exp2"}, {}],
        "pageProcessors": [{"_importId": "imp1", "type": "import"}, {"_exportId": "lookup1", "type": "export"}],
        "routers": [
            {"branches": [{"pageProcessors": [{"_importId": "imp2"}, {"_exportId": "lookup2"}]},
                          {"pageProcessors": [{"_importId": "imp3"}]}]},
            {"branches": [{"pageProcessors": [{"_importId": "imp4"}]}, {}]},
        ],
    }
    assert step_refs(flow) == [
        {"_id": "exp1", "type": "export"},
        {"_id": "exp2", "type": "export"},
        {"_id": "imp1", "type": "import"},
        {"_id": "lookup1", "type": "export"},
        {"_id": "imp2", "type": "import"},
        {"_id": "lookup2", "type": "export"},
        {"_id": "imp3", "type": "import"},
        {"_id": "imp4", "type": "import"},
    ]


def test_step_refs_dedupes_keeping_the_first_position():
    flow = {
        "pageGenerators": [{"_exportId": "exp1"}],
        "pageProcessors": [{"_importId": "imp1"}, {"_exportId": "exp1"}],
        "routers": [{"branches": [{"pageProcessors": [{"_importId": "imp1"}, {"_importId": "imp2"}]},
                                  {"pageProcessors": [{"_importId": "imp2"}]}]}],
    }
    assert [step["_id"] for step in step_refs(flow)] == ["exp1", "imp1", "imp2"]
    assert step_refs(flow)[0]["type"] == "export"


def test_step_refs_router_only_flow():
    flow = {"pageGenerators": [{"_exportId": "e"}], "routers": [{"branches": [{"pageProcessors": [{"_importId": "i"}]}]}]}
    assert step_refs(flow) == [{"_id": "e", "type": "export"}, {"_id": "i", "type": "import"}]


@pytest.mark.parametrize("flow", [{}, {"pageGenerators": None, "pageProcessors": None, "routers": None}])
def test_step_refs_empty(flow):
    assert step_refs(flow) == []


def test_step_refs_does_not_modify_the_flow():
    processors = [{"_importId": "imp1"}]
    flow = {"pageProcessors": processors, "routers": [{"branches": [{"pageProcessors": [{"_importId": "imp2"}]}]}]}
    step_refs(flow)
    assert flow["pageProcessors"] == [{"_importId": "imp1"}]


# -- flows ------------------------------------------------------------------------------------------


def test_get_flow_normalises(fake, adapter):
    fake.answer("GET", "/v1/flows/f1", {"_id": "f1", "name": "Orders", "_integrationId": "i1", "extra": 1})
    assert adapter.get_flow("f1") == {"_id": "f1", "name": "Orders", "disabled": False, "_abstractFlowId": None,
                                      "_integrationId": "i1"}


def test_list_flows_passes_filters_and_pages(fake, adapter):
    fake.answer("GET", "/v1/flows", [{"_id": "f1", "disabled": True}],
                headers={"Link": '<https://api.integrator.io/v1/flows?page=2>; rel="next"'})
    fake.answer("GET", "https://api.integrator.io/v1/flows?page=2", [{"_id": "f2"}])
    flows = list(adapter.list_flows(abstract_flow_id="a1", integration_id="i1"))
    assert [(flow["_id"], flow["disabled"]) for flow in flows] == [("f1", True), ("f2", False)]
    assert fake.calls[0]["params"] == {"_abstractFlowId": "a1", "_integrationId": "i1"}
    assert fake.calls[1]["params"] is None


def test_list_flows_without_filters(fake, adapter):
    fake.answer("GET", "/v1/flows", [])
    assert not list(adapter.list_flows())
    assert fake.calls[0]["params"] == {}


def test_flow_steps_merges_names(fake, adapter):
    fake.answer("GET", "/v1/flows/f1", {"_id": "f1", "pageGenerators": [{"_exportId": "e1"}], "pageProcessors": [{"_importId": "i1"}]})
    fake.answer("GET", "/v1/flows/f1/descendants", {"exports": [{"_id": "e1", "name": "Get orders"}],
                                                    "imports": [{"_id": "i1", "name": "Post orders"}]})
    assert adapter.flow_steps("f1") == [{"_id": "e1", "type": "export", "name": "Get orders"},
                                        {"_id": "i1", "type": "import", "name": "Post orders"}]
    assert fake.calls[0]["params"] == {"mergeInstance": "true"}


def test_flow_steps_without_descendants(fake, adapter):
    fake.answer("GET", "/v1/flows/f1", {"_id": "f1", "pageGenerators": [{"_exportId": "e1"}]})
    fake.answer("GET", "/v1/flows/f1/descendants", None, status=204)
    assert adapter.flow_steps("f1") == [{"_id": "e1", "type": "export", "name": None}]


def test_error_summary_mapping(fake, adapter):
    fake.answer("GET", "/v1/flows/f1/errors", {"flowErrors": [
        {"_expOrImpId": "e1", "numError": 3, "lastErrorAt": "2026-11-20T04:00:00.000Z"},
        {"_expOrImpId": "i1"},
    ]})
    assert adapter.error_summary("f1") == {
        "e1": {"open_errors": 3, "last_error_at": "2026-11-20T04:00:00.000Z"},
        "i1": {"open_errors": 0, "last_error_at": None},
    }


@pytest.mark.parametrize("body", [None, {"flowErrors": []}])
def test_error_summary_empty(fake, adapter, body):
    fake.answer("GET", "/v1/flows/f1/errors", body, status=204 if body is None else 200)
    assert adapter.error_summary("f1") == {}


# -- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("resolved, kind", [(False, "errors"), (True, "resolved")])
def test_iter_errors_tags_records_and_pages(fake, adapter, resolved, kind):
    base = "/v1/flows/f1/s1/%s" % kind
    fake.answer("GET", base, {kind: [{"errorId": "e1"}], "nextPageURL": "/api" + base + "?pageToken=t"})
    fake.answer("GET", base + "?pageToken=t", {kind: [{"errorId": "e2"}]})
    errors = list(adapter.iter_errors("f1", "s1", resolved=resolved))
    assert errors == [{"errorId": "e1", "_flowId": "f1", "_stepId": "s1"},
                      {"errorId": "e2", "_flowId": "f1", "_stepId": "s1"}]
    assert [call["path"] for call in fake.calls] == [base, base + "?pageToken=t"]


@pytest.mark.parametrize("strategy, suffix", [("retry", "retry"), ("exponential_decay", "retry_with_exponential_decay")])
def test_retry_200_returns_a_job(fake, adapter, strategy, suffix):
    fake.answer("POST", "/v1/flows/f1/s1/" + suffix, {"_id": "job1", "status": "queued", "type": "retry"})
    job = adapter.retry("f1", "s1", iter(["k1", "k2"]), strategy)
    assert job == {"_id": "job1", "status": "queued", "type": "retry", "done": False}
    assert fake.calls == [dict(method="POST", path="/v1/flows/f1/s1/" + suffix, params=None,
                               body={"retryDataKeys": ["k1", "k2"]}, allow_empty=False)]


def test_retry_204_returns_none(fake, adapter):
    fake.answer("POST", "/v1/flows/f1/s1/retry", None, status=204)
    assert adapter.retry("f1", "s1", ["k1"], "retry") is None


@pytest.mark.parametrize("status, done", [("queued", False), ("running", False), ("completed", True), ("failed", True),
                                          ("canceled", True), (None, False)])
def test_get_job_done_flag(fake, adapter, status, done):
    fake.answer("GET", "/v1/jobs/j1", {"_id": "j1", "status": status})
    assert adapter.get_job("j1") == {"_id": "j1", "status": status, "done": done}


def test_resolve_sends_the_errors_field(fake, adapter):
    fake.answer("PUT", "/v1/flows/f1/s1/resolved", None, status=204)
    assert adapter.resolve("f1", "s1", ("e1", "e2")) is None
    assert fake.calls == [dict(method="PUT", path="/v1/flows/f1/s1/resolved", params=None,
                               body={"errors": ["e1", "e2"]}, allow_empty=True)]


def test_retry_data(fake, adapter):
    fake.answer("GET", "/v1/flows/f1/s1/k%2F1/data", {"data": {"id": 1}})
    assert adapter.retry_data("f1", "s1", "k/1") == {"data": {"id": 1}}


# -- URL quoting ------------------------------------------------------------------------------------


def test_path_segments_are_quoted(fake, adapter):
    flow, step, key = "f/../1", "s 1?x=y", "k#1&%"
    fake.answer("GET", "/v1/flows/f%2F..%2F1", {"_id": flow})
    fake.answer("GET", "/v1/flows/f%2F..%2F1/s%201%3Fx%3Dy/errors", {"errors": []})
    fake.answer("POST", "/v1/flows/f%2F..%2F1/s%201%3Fx%3Dy/retry", None, status=204)
    fake.answer("PUT", "/v1/flows/f%2F..%2F1/s%201%3Fx%3Dy/resolved", None, status=204)
    fake.answer("GET", "/v1/flows/f%2F..%2F1/s%201%3Fx%3Dy/k%231%26%25/data", {})
    fake.answer("GET", "/v1/jobs/j%2F1", {"_id": "j/1", "status": "completed"})
    fake.answer("GET", "/v1/connections/c%3F1", {"_id": "c?1"})
    adapter.get_flow(flow)
    list(adapter.iter_errors(flow, step))
    adapter.retry(flow, step, [key], "retry")
    adapter.resolve(flow, step, ["e1"])
    adapter.retry_data(flow, step, key)
    adapter.get_job("j/1")
    adapter.get_connection("c?1")
    assert len(fake.calls) == 7


def test_numeric_ids_are_accepted(fake, adapter):
    fake.answer("GET", "/v1/jobs/42", {"_id": 42, "status": "running"})
    assert adapter.get_job(42)["done"] is False


# -- connections and runs ---------------------------------------------------------------------------


def test_get_connection(fake, adapter):
    fake.answer("GET", "/v1/connections/c1", {"_id": "c1", "name": "NetSuite", "type": "netsuite", "netsuite": {}})
    assert adapter.get_connection("c1") == {"_id": "c1", "name": "NetSuite", "type": "netsuite"}


def test_flow_connections(fake, adapter):
    fake.answer("GET", "/v1/flows/f1/descendants", {
        "exports": [{"_id": "e1", "name": "Get", "_connectionId": "c1"}, {"_id": "e2", "name": "Webhook"}],
        "imports": [{"_id": "i1", "name": "Post", "_connectionId": "c2"}],
    })
    assert adapter.flow_connections("f1") == [
        {"step_id": "e1", "name": "Get", "type": "export", "_connectionId": "c1"},
        {"step_id": "i1", "name": "Post", "type": "import", "_connectionId": "c2"},
    ]


def test_replace_connection(fake, adapter):
    fake.answer("PUT", "/v1/flows/f1/replaceConnection", None, status=204)
    adapter.replace_connection("f1", "c1", "c2")
    assert fake.calls[0]["body"] == {"_connectionId": "c1", "_newConnectionId": "c2"}
    assert fake.calls[0]["allow_empty"] is True


def test_run_flow(fake, adapter):
    fake.answer("POST", "/v1/flows/f1/run", {"_jobId": "j1"})
    assert adapter.run_flow("f1") == {"_jobId": "j1"}
    assert fake.calls[0]["allow_empty"] is True


def test_errors_from_the_client_propagate(fake, adapter):
    with pytest.raises(FlowOpsError) as info:
        adapter.get_flow("missing")
    assert info.value.status == 404


# -- base adapter -----------------------------------------------------------------------------------


def test_base_adapter_names_the_platform_for_unsupported_operations():
    class Other(PlatformAdapter):
        name = "other"
        regions = {"x": "https://x.example"}

    other = Other(FakeClient())
    with pytest.raises(UnsupportedOperation) as info:
        other.retry_data("f", "s", "k")
    assert str(info.value) == "platform 'other' does not support reading retry data; set backup_retry_data: false"
    with pytest.raises(UnsupportedOperation) as info:
        list(other.list_flows())
    assert str(info.value) == "platform 'other' does not support listing flows"


def test_error_query_sends_a_window_never_narrower_than_the_selection():
    from datetime import datetime, timezone
    from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.celigo import error_query
    after = datetime(2026, 11, 20, 4, 0, 0, 999999, tzinfo=timezone.utc)
    before = datetime(2026, 11, 20, 5, 0, 0, 500100, tzinfo=timezone.utc)
    assert error_query({"occurred_after": after, "occurred_before": before, "sources": ["connection", "api"]}) == {
        "occurredAt_gte": "2026-11-20T04:00:00.999Z", "occurredAt_lte": "2026-11-20T05:00:00.501Z",
        "source": ["connection", "api"]}
    assert error_query({"occurred_after": None, "occurred_before": None, "sources": []}) == {}
    assert error_query(None) == {}


# -- malformed bodies: one line naming the endpoint, never a traceback or a false all-clear -------------


def _fails(call, match, method="GET"):
    with pytest.raises(FlowOpsError) as info:
        call()
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(method + " "), str(info.value)
    assert match in str(info.value), str(info.value)
    return info.value


@pytest.mark.parametrize("body, match", [
    ({}, "the flow: _id is missing"),
    (None, "expected the flow to be an object, got null"),
    ([{"_id": "f1"}], "expected the flow to be an object, got an array"),
    ({"_id": {"$oid": "f1"}}, "the flow: _id is an object, expected a string or a number"),
])
def test_a_flow_lookup_without_a_flow_fails(fake, adapter, body, match):
    fake.answer("GET", "/v1/flows/f1", body, status=204 if body is None else 200)
    error = _fails(lambda: adapter.get_flow("f1"), match)
    assert error.path == "/v1/flows/f1"


def test_a_listed_flow_that_is_not_an_object_fails(fake, adapter):
    fake.answer("GET", "/v1/flows", [{"_id": "f1"}, "f2"])
    _fails(lambda: list(adapter.list_flows(integration_id="i1")),
           "GET /v1/flows: unexpected response: expected a listed flow to be an object, got a string")


@pytest.mark.parametrize("body, match", [
    ({}, "the error summary: flowErrors is missing, expected an array"),
    ({"flowErrors": None}, "flowErrors is null"),
    ({"flowErrors": {"e1": 3}}, "flowErrors is an object"),
    ({"flowErrors": [1]}, "expected every item of flowErrors to be an object, got a number"),
    ({"flowErrors": [{"numError": 3}]}, "a flowErrors entry: _expOrImpId is missing, expected a string"),
    ({"flowErrors": [{"_expOrImpId": None, "numError": 3}]}, "_expOrImpId is null"),
    ({"flowErrors": [{"_expOrImpId": "e1", "numError": "3"}]}, "numError is a string, expected a count"),
    ({"flowErrors": [{"_expOrImpId": "e1", "numError": float("nan")}]}, "numError is nan, expected a count"),
    ({"flowErrors": [{"_expOrImpId": "e1", "numError": -1}]}, "numError is -1, expected a count"),
    ({"flowErrors": [{"_expOrImpId": "e1", "numError": True}]}, "numError is a boolean"),
])
def test_a_malformed_error_summary_fails_rather_than_reading_as_no_errors(fake, adapter, body, match):
    fake.answer("GET", "/v1/flows/f1/errors", body)
    _fails(lambda: adapter.error_summary("f1"), "GET /v1/flows/f1/errors: unexpected response: ")
    _fails(lambda: adapter.error_summary("f1"), match)


@pytest.mark.parametrize("page, match", [
    ({"errors": [1, "two", None]}, "expected a listed error to be an object, got a number"),
    ({"errors": [{"retryDataKey": "k1"}]}, "a listed error: errorId is missing, expected a string"),
    ({"errors": [{"errorId": "e1", "retryDataKey": ["k1"]}]}, "retryDataKey is an array, expected a string or null"),
    ({"errors": [{"errorId": "e1", "occurredAt": 1763611200}]}, "occurredAt is a number"),
    ({"errors": [{"errorId": "e1", "source": {"a": 1}}]}, "source is an object"),
    ({"errors": [{"errorId": "e1", "classification": ["x"]}]}, "classification is an array"),
    ({"errors": [{"errorId": "e1", "message": {"text": "x"}}]}, "message is an object"),
    ({"errors": [{"errorId": "e1", "tags": "urgent"}]}, "tags is a string, expected an array or null"),
    ({"errors": [{"errorId": "e1", "tags": [{"id": 1}]}]}, "tags holds a value that is not a string"),
])
def test_malformed_listed_errors_fail_naming_the_listing(fake, adapter, page, match):
    fake.answer("GET", "/v1/flows/f1/s1/errors", page)
    _fails(lambda: list(adapter.iter_errors("f1", "s1")), "GET /v1/flows/f1/s1/errors: unexpected response: ")
    _fails(lambda: list(adapter.iter_errors("f1", "s1")), match)


def test_listings_honour_the_clients_max_pages():
    fake = FakeClient(max_pages=2)
    adapter = CeligoAdapter(fake)
    for n in range(3):
        fake.answer("GET", "/v1/flows/f1/s1/errors" + ("?p=%d" % n if n else ""),
                    {"errors": [{"errorId": "e%d" % n}], "nextPageURL": "/api/v1/flows/f1/s1/errors?p=%d" % (n + 1)})
    _fails(lambda: list(adapter.iter_errors("f1", "s1")), "more than 2 pages; stopping (raise max_pages")
    assert len(fake.calls) == 2


@pytest.mark.parametrize("body", [{}, {"status": "queued"}, {"_id": None}, [{"_id": "j1"}], {"_jobId": {"x": 1}}])
def test_a_retry_answered_200_without_a_job_is_in_doubt(fake, adapter, body):
    fake.answer("POST", "/v1/flows/f1/s1/retry", body)
    error = _fails(lambda: adapter.retry("f1", "s1", ["k1"], "retry"), "the retry job", method="POST")
    assert error.may_have_applied is True and error.status == 200
    assert str(error).startswith("POST /v1/flows/f1/s1/retry: HTTP 200 unexpected response: ")


@pytest.mark.parametrize("body, match", [({}, "the job: _id is missing"), ({"_id": "j1", "status": 3}, "status is a number")])
def test_a_malformed_job_fails(fake, adapter, body, match):
    fake.answer("GET", "/v1/jobs/j1", body)
    _fails(lambda: adapter.get_job("j1"), match)


@pytest.mark.parametrize("flow, match", [
    ({"_id": "f1", "pageGenerators": {"_exportId": "e1"}}, "expected pageGenerators to be an array, got an object"),
    ({"_id": "f1", "pageProcessors": ["i1"]}, "expected every item of pageProcessors to be an object, got a string"),
    ({"_id": "f1", "pageProcessors": [{"_importId": 5}]}, "an item of pageProcessors: _importId is a number"),
    ({"_id": "f1", "routers": [{"branches": [{"pageProcessors": "x"}]}]}, "a branch's pageProcessors to be an array"),
    ({}, "the flow: _id is missing"),
])
def test_a_malformed_flow_fails_when_its_steps_are_read(fake, adapter, flow, match):
    fake.answer("GET", "/v1/flows/f1", flow)
    fake.answer("GET", "/v1/flows/f1/descendants", {"exports": [], "imports": []})
    _fails(lambda: adapter.flow_steps("f1"), match)


@pytest.mark.parametrize("body, match", [
    ({"exports": {"e1": {}}}, "expected exports to be an array"),
    ({"imports": [{"name": "no id"}]}, "an item of imports: _id is missing"),
    ({"imports": [{"_id": "i1", "_connectionId": ["c1"]}]}, "an item of imports: _connectionId is an array"),
])
def test_malformed_descendants_fail(fake, adapter, body, match):
    fake.answer("GET", "/v1/flows/f1/descendants", body)
    _fails(lambda: adapter.flow_connections("f1"), "GET /v1/flows/f1/descendants: unexpected response: " + match)


def test_a_connection_lookup_answered_empty_fails(fake, adapter):
    fake.answer("GET", "/v1/connections/c1", {})
    _fails(lambda: adapter.get_connection("c1"), "GET /v1/connections/c1: unexpected response: the connection: _id is missing")


# -- issue #25: legacy flows, the retry job listing, smoke-run answers ---------------------------------


def test_legacy_flow_steps():
    # ref flow schema "Legacy field": a simple flow with one export and one import and no pageGenerators
    assert step_refs({"_id": "f", "_exportId": "e1", "_importId": "i1"}) == [
        {"_id": "e1", "type": "export"}, {"_id": "i1", "type": "import"}]
    assert step_refs({"_id": "f", "_exportId": "e1", "pageGenerators": [{"_exportId": "e1"}],
                      "pageProcessors": [{"_importId": "i2"}]}) == [{"_id": "e1", "type": "export"}, {"_id": "i2", "type": "import"}]


def test_retry_jobs_running_asks_like_the_web_client_and_keeps_unfinished_jobs(adapter, fake):
    fake.answer("GET", "/v1/flows/f1", {"_id": "f1", "pageGenerators": [{"_exportId": "e1"}],
                                        "pageProcessors": [{"_importId": "i1"}]})
    fake.answer("GET", "/v1/flows/f1/descendants", {"exports": [], "imports": []})
    fake.answer("GET", "/v1/jobs", [{"_id": "j1", "status": "running"}, {"_id": "j2", "status": "completed"}])
    assert [job["_id"] for job in adapter.retry_jobs_running("f1", "e1")] == ["j1"]
    assert adapter.retry_jobs_running("f1", "i1")[0]["done"] is False
    listings = [call["params"] for call in fake.calls if call["path"] == "/v1/jobs"]
    assert listings[0] == [("_flowId", "f1"), ("type", "retry"), ("status", "queued"), ("status", "running"),
                           ("status", "retrying"), ("status", "canceling"), ("_exportId", "e1")]
    assert listings[1][-1] == ("_importId", "i1")


def test_retry_jobs_running_in_an_integration_is_one_request_grouped_by_flow_and_step(adapter, fake):
    fake.answer("GET", "/v1/jobs", [
        {"_id": "j1", "status": "running", "_flowId": "f1", "_importId": "i1"},
        {"_id": "j2", "status": "queued", "_flowId": "f2", "_exportId": "e2"},
        {"_id": "j3", "status": "completed", "_flowId": "f1", "_importId": "i1"},
        {"_id": "j4", "status": "running", "_flowId": "f3", "_expOrImpId": "i3"}])
    fake.answer("GET", "/v1/jobs", [])  # the second listing
    running = adapter.retry_jobs_running_in(flow_id="f1", integration_id="int1")
    assert dict((scope, [job["_id"] for job in jobs]) for scope, jobs in running.items()) == {
        ("f1", "i1"): ["j1"], ("f2", "e2"): ["j2"], ("f3", "i3"): ["j4"]}
    assert adapter.retry_jobs_running_in(flow_id="f9") == {}
    listings = [call["params"] for call in fake.calls if call["path"] == "/v1/jobs"]
    assert [params[0] for params in listings] == [("_integrationId", "int1"), ("_flowId", "f9")]
    assert listings[0][1:] == [("type", "retry"), ("status", "queued"), ("status", "running"), ("status", "retrying"),
                               ("status", "canceling")]


def test_retry_jobs_since_our_listing_are_one_request_without_a_status_filter(adapter, fake):
    since = datetime(2026, 11, 20, 4, 0, 0, tzinfo=timezone.utc)
    fake.answer("GET", "/v1/jobs", [
        {"_id": "j1", "status": "running", "_flowId": "f1", "_importId": "i1", "createdAt": "2026-11-19T00:00:00.000Z"},
        {"_id": "j2", "status": "completed", "_flowId": "f1", "_importId": "i2", "createdAt": "2026-11-20T04:00:01.000Z",
         "endedAt": "2026-11-20T04:00:02.000Z"},
        {"_id": "j3", "status": "completed", "_flowId": "f1", "_importId": "i3", "createdAt": "2026-11-20T03:00:00.000Z",
         "endedAt": "2026-11-20T03:50:00.000Z"},  # ended more than CLOCK_MARGIN before: not during our listing
        {"_id": "j4", "status": "canceled", "_flowId": "f2", "_exportId": "e4", "createdAt": "2026-11-20T03:00:00Z",
         "endedAt": "2026-11-20T04:30:00+00:00"},  # created before, ended after our listing began
        {"_id": "j5", "status": "failed", "_flowId": "f2", "_exportId": "e5"},  # no time at all: kept (safe path)
        {"_id": "j6", "status": "completed", "_flowId": "f2", "_exportId": "e6", "lastModified": "not a time"}])
    found = adapter.retry_jobs_running_in(integration_id="int1", since=since)
    assert dict((scope, [job["_id"] for job in jobs]) for scope, jobs in found.items()) == {
        ("f1", "i1"): ["j1"], ("f1", "i2"): ["j2"], ("f2", "e4"): ["j4"], ("f2", "e5"): ["j5"], ("f2", "e6"): ["j6"]}
    assert found[("f1", "i2")][0]["done"] is True
    listings = [call["params"] for call in fake.calls if call["path"] == "/v1/jobs"]
    assert listings == [[("_integrationId", "int1"), ("type", "retry")]]  # one request, every status


def test_a_full_page_of_jobs_asks_for_the_unfinished_ones_too(adapter, fake):
    since = datetime(2026, 11, 20, 4, 0, 0, tzinfo=timezone.utc)
    page = [{"_id": "n%d" % number, "status": "completed", "_flowId": "f1", "_importId": "i1",
             "endedAt": "2026-11-20T03:00:00.000Z"} for number in range(1001)]
    fake.answer("GET", "/v1/jobs", page)
    fake.answer("GET", "/v1/jobs", [{"_id": "old", "status": "running", "_flowId": "f1", "_importId": "i9"}])
    found = adapter.retry_jobs_running_in(flow_id="f1", since=since)
    assert dict((scope, [job["_id"] for job in jobs]) for scope, jobs in found.items()) == {("f1", "i9"): ["old"]}
    listings = [call["params"] for call in fake.calls if call["path"] == "/v1/jobs"]
    assert listings[1] == [("_flowId", "f1"), ("type", "retry"), ("status", "queued"), ("status", "running"),
                           ("status", "retrying"), ("status", "canceling")]


@pytest.mark.parametrize("answer, started", [
    ({"_jobId": "j1"}, True),
    ([{"_jobId": "j1"}, {"_jobId": "j2"}], True),
    ({"error": "Flow is disabled"}, False),
    ({}, False),
    (None, False),
    ([{"_jobId": "j1"}, {"error": "another run in progress"}], False),
])
def test_a_run_answer_without_a_job_or_with_an_error_is_not_started(adapter, answer, started):
    assert (adapter.run_not_started(answer) is None) is started
