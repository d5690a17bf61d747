# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Activepieces adapter against a fake client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.client import Response
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import ADAPTERS
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.activepieces import (
    PSEUDO_STEP, ActivepiecesAdapter, classify)

PROJECT = "proj1234567890abcdefg"


class FakeClient:
    """Answers ``request`` from queued responses per (method, path) and records every call."""

    def __init__(self):
        self.routes = {}
        self.calls = []

    def answer(self, method, path, body=None, status=200):
        self.routes.setdefault((method, path), []).append(Response(status, {}, body, path))
        return self

    def request(self, method, path, params=None, body=None, allow_empty=False):
        self.calls.append({"method": method, "path": path, "params": params, "body": body, "allow_empty": allow_empty})
        queue = self.routes.get((method, path))
        if not queue:
            raise FlowOpsError("no route for %s %s" % (method, path), status=404, method=method, path=path)
        return queue.pop(0) if len(queue) > 1 else queue[0]


def page(data, nxt=None):
    return {"data": data, "next": nxt, "previous": None}


def run(run_id, status="FAILED", **fields):
    return dict({"id": run_id, "flowId": "flowA", "status": status, "created": "2026-11-20T04:00:00.000Z",
                 "archivedAt": None, "tags": []}, **fields)


@pytest.fixture
def fake():
    return FakeClient()


@pytest.fixture
def adapter(fake):
    return ActivepiecesAdapter(fake, {"project_id": PROJECT})


def test_registered_with_its_strategies_and_batch_limit():
    assert ADAPTERS["activepieces"] is ActivepiecesAdapter
    assert ActivepiecesAdapter.retry_strategies == ("retry", "latest_version")
    assert ActivepiecesAdapter.max_retry_batch == 1000


def test_validate_requires_project_id_in_one_line():
    with pytest.raises(ValidationError) as error:
        ActivepiecesAdapter.validate({"project_id": None})
    assert str(error.value).startswith("project_id:") and "\n" not in str(error.value)
    ActivepiecesAdapter.validate({"project_id": PROJECT, "step_ids": [PSEUDO_STEP], "abstract_flow_id": []})


@pytest.mark.parametrize("params, words", [
    ({"abstract_flow_id": ["x"]}, ["'activepieces'", "abstract_flow_id"]),
    ({"step_ids": ["step_2"]}, ["step_ids", "'activepieces'", "sources"]),
])
def test_validate_refuses_what_the_platform_cannot_do(params, words):
    with pytest.raises(FlowOpsError) as error:
        ActivepiecesAdapter.validate(dict(params, project_id=PROJECT))
    assert all(word in str(error.value) for word in words)
    assert "\n" not in str(error.value)


def test_base_url_defaults_to_the_cloud_host_and_api_url_wins():
    assert ActivepiecesAdapter.base_url(None, None) == "https://cloud.activepieces.com/api"
    assert ActivepiecesAdapter.base_url(None, "cloud") == "https://cloud.activepieces.com/api"
    assert ActivepiecesAdapter.base_url("https://ap.example.com/api", None) == "https://ap.example.com/api"
    with pytest.raises(ValidationError):
        ActivepiecesAdapter.base_url(None, "eu")


def test_list_flows_follows_cursors_and_normalises(adapter, fake):
    fake.answer("GET", "/v1/flows", page([{"id": "f1", "status": "ENABLED", "folderId": "fold",
                                          "version": {"displayName": "Orders"}}], "c1"))
    fake.answer("GET", "/v1/flows", page([{"id": "f2", "status": "DISABLED", "version": {"displayName": "Invoices"}}]))
    flows = list(adapter.list_flows(integration_id=PROJECT))
    assert flows == [
        {"_id": "f1", "name": "Orders", "disabled": False, "_abstractFlowId": None, "_integrationId": "fold"},
        {"_id": "f2", "name": "Invoices", "disabled": True, "_abstractFlowId": None, "_integrationId": None},
    ]
    assert [call["params"] for call in fake.calls] == [
        {"projectId": PROJECT, "limit": 100}, {"projectId": PROJECT, "limit": 100, "cursor": "c1"}]


def test_list_flows_of_a_folder(adapter, fake):
    fake.answer("GET", "/v1/flows", page([]))
    assert not list(adapter.list_flows(integration_id="folder9"))
    assert fake.calls[0]["params"]["folderId"] == "folder9"


def test_a_repeated_cursor_stops_paging(adapter, fake):
    fake.answer("GET", "/v1/flows", page([{"id": "f1", "status": "ENABLED"}], "same"))
    with pytest.raises(FlowOpsError) as error:
        list(adapter.list_flows(integration_id=PROJECT))
    assert "repeated a page cursor" in str(error.value)


def test_get_flow_refuses_a_flow_of_another_project(adapter, fake):
    fake.answer("GET", "/v1/flows/f1", {"id": "f1", "projectId": "other", "status": "ENABLED"})
    with pytest.raises(ValidationError) as error:
        adapter.get_flow("f1")
    assert "project_id" in str(error.value)


def test_open_errors_skip_retried_and_key_on_the_first_run_of_the_chain(adapter, fake):
    fake.answer("GET", "/v1/flow-runs", page([
        run("r1", failedStepName="step_2", failedStep={"name": "step_2", "message": "Too Many Requests (429)"}, tags=["vip"]),
        run("r2", "TIMEOUT", retriedBy="r3"),
        run("r3", "TIMEOUT", retryOf="r2"),
        run("r4", archivedAt="2026-11-21T00:00:00.000Z"),
    ]))
    errors = list(adapter.iter_errors("flowA", PSEUDO_STEP))
    assert [(e["errorId"], e["retryDataKey"], e["classification"], e["code"]) for e in errors] == [
        ("r1", "r1", "rate_limit", "FAILED"), ("r3", "r2", "intermittent", "TIMEOUT")]
    assert errors[0]["source"] == "step_2" and errors[0]["tags"] == ["vip"]
    assert errors[1]["source"] == "run" and errors[1]["message"] == "flow run ended with status TIMEOUT"
    assert (errors[0]["_flowId"], errors[0]["_stepId"], errors[0]["occurredAt"]) == ("flowA", PSEUDO_STEP, "2026-11-20T04:00:00.000Z")
    assert fake.calls[0]["params"] == {"flowId": "flowA", "status": ["FAILED", "INTERNAL_ERROR", "TIMEOUT", "QUOTA_EXCEEDED"],
                                       "projectId": PROJECT, "limit": 100}
    assert not list(adapter.iter_errors("flowA", "step_2"))


def test_resolved_errors_are_the_archived_failed_runs(adapter, fake):
    fake.answer("GET", "/v1/flow-runs", page([run("r1"), run("r4", archivedAt="2026-11-21T00:00:00.000Z")]))
    assert [e["errorId"] for e in adapter.iter_errors("flowA", PSEUDO_STEP, resolved=True)] == ["r4"]
    assert fake.calls[0]["params"]["includeArchived"] == "true"


@pytest.mark.parametrize("status, message, expected", [
    ("TIMEOUT", None, "intermittent"),
    ("INTERNAL_ERROR", "anything", "intermittent"),
    ("QUOTA_EXCEEDED", None, "rate_limit"),
    ("FAILED", "Request failed with status code 429", "rate_limit"),
    ("FAILED", "socket hang up (ECONNRESET)", "intermittent"),
    ("FAILED", "503 Service Unavailable", "intermittent"),
    ("FAILED", "401 Unauthorized", "connection"),
    ("FAILED", "A record with the same external id already exists", "duplicate"),
    ("FAILED", "Invalid value for field 'amount'", "value"),
    ("FAILED", "Something odd", "none"),
])
def test_classification(status, message, expected):
    assert classify(status, message) == expected


def test_error_summary_counts_open_runs_in_the_pseudo_step(adapter, fake):
    fake.answer("GET", "/v1/flow-runs", page([run("r1", created="2026-11-20T05:00:00.000Z"), run("r2"), run("r5", retriedBy="x")]))
    assert adapter.error_summary("flowA") == {PSEUDO_STEP: {"open_errors": 2, "last_error_at": "2026-11-20T05:00:00.000Z"}}
    assert adapter.flow_steps("flowA") == [{"_id": PSEUDO_STEP, "name": "Flow runs", "type": "run"}]


def test_retry_sends_the_open_run_of_each_key_and_returns_a_job_of_the_new_runs(adapter, fake):
    fake.answer("GET", "/v1/flow-runs", page([run("r1"), run("r3", retryOf="r2")]))
    fake.answer("POST", "/v1/flow-runs/retry", [run("n1", "RUNNING", retryOf="r1"), run("n2", "SUCCEEDED", retryOf="r2")])
    list(adapter.iter_errors("flowA", PSEUDO_STEP))
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2"], "latest_version")
    assert fake.calls[-1]["body"] == {"projectId": PROJECT, "strategy": "ON_LATEST_VERSION", "flowRunIds": ["r1", "r3"]}
    assert (job["_id"], job["done"], job["status"], job["runs"], job["succeeded"]) == ("n1+1", False, "running", 2, 1)


def test_retry_lists_again_for_keys_it_has_not_seen_and_skips_keys_no_longer_open(adapter, fake):
    fake.answer("GET", "/v1/flow-runs", page([run("r1")]))
    fake.answer("POST", "/v1/flow-runs/retry", [run("n1", "RUNNING", retryOf="r1")])
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "gone"], "retry")
    assert [call["method"] for call in fake.calls] == ["GET", "POST"]
    assert fake.calls[-1]["body"]["flowRunIds"] == ["r1"] and fake.calls[-1]["body"]["strategy"] == "FROM_FAILED_STEP"
    assert job["_id"] == "n1"


def test_retry_matching_nothing_returns_none(adapter, fake):
    fake.answer("GET", "/v1/flow-runs", page([run("r1")]))
    assert adapter.retry("flowA", PSEUDO_STEP, ["gone"], "retry") is None
    fake.answer("POST", "/v1/flow-runs/retry", [])
    assert adapter.retry("flowA", PSEUDO_STEP, ["r1"], "retry") is None
    assert [call["method"] for call in fake.calls].count("POST") == 1


def test_get_job_polls_the_new_runs_of_a_batch_a_page_of_ids_at_a_time(adapter, fake):
    originals = [run("r%03d" % number) for number in range(150)]
    fake.answer("GET", "/v1/flow-runs", page(originals))
    fake.answer("POST", "/v1/flow-runs/retry", [run("n%03d" % number, "RUNNING") for number in range(150)])
    job = adapter.retry("flowA", PSEUDO_STEP, [r["id"] for r in originals], "retry")
    assert (job["_id"], job["runs"], job["done"]) == ("n000+149", 150, False)
    fake.routes[("GET", "/v1/flow-runs")] = []
    fake.answer("GET", "/v1/flow-runs", page([run("n%03d" % number, "SUCCEEDED") for number in range(100)]))
    fake.answer("GET", "/v1/flow-runs", page([run("n%03d" % number, "RUNNING") for number in range(100, 150)]))
    fake.answer("GET", "/v1/flow-runs", page([run("n%03d" % number, "SUCCEEDED") for number in range(100)]))
    fake.answer("GET", "/v1/flow-runs", page([run("n%03d" % number, "TIMEOUT") for number in range(100, 149)]))
    assert adapter.get_job("n000+149")["done"] is False
    polls = [call["params"]["flowRunIds"] for call in fake.calls[-2:]]
    assert polls == [["n%03d" % number for number in range(100)], ["n%03d" % number for number in range(100, 150)]]
    assert fake.calls[-1]["params"]["includeArchived"] == "true"
    job = adapter.get_job("n000+149")
    # n149 is no longer returned: it cannot be waited for, so it counts as done.
    assert (job["done"], job["status"], job["succeeded"], job["failed"]) == (True, "completed", 100, 49)


def test_get_job_of_an_unknown_id_polls_that_run(adapter, fake):
    fake.answer("GET", "/v1/flow-runs", page([run("n1", "SUCCEEDED")]))
    assert adapter.get_job("n1")["done"] is True
    assert fake.calls[0]["params"]["flowRunIds"] == ["n1"]


def test_resolve_archives_the_runs(adapter, fake):
    fake.answer("POST", "/v1/flow-runs/archive", None, status=204)
    adapter.resolve("flowA", PSEUDO_STEP, ["r1", "r2"])
    assert fake.calls[0]["body"] == {"projectId": PROJECT, "flowRunIds": ["r1", "r2"]}
    assert fake.calls[0]["allow_empty"] is True


def test_retry_data_is_the_first_run_with_its_steps(adapter, fake):
    fake.answer("GET", "/v1/flow-runs/r%2F1", {"id": "r/1", "steps": {"trigger": {"output": {"orderId": 7}}}})
    assert adapter.retry_data("flowA", PSEUDO_STEP, "r/1") == {"retryDataKey": "r/1", "flowRunId": "r/1",
                                                               "steps": {"trigger": {"output": {"orderId": 7}}}}


def test_connection_replace_is_refused_before_any_request(adapter, fake):
    with pytest.raises(UnsupportedOperation) as error:
        adapter.require("replace_connection", "flow_connection_replace")
    assert str(error.value).startswith("platform 'activepieces' does not support flow_connection_replace; ")
    for call in (lambda: adapter.get_connection("c1"), lambda: adapter.replace_connection("f1", "c1", "c2")):
        with pytest.raises(UnsupportedOperation, match="^platform 'activepieces' does not support"):
            call()
    assert fake.calls == []
