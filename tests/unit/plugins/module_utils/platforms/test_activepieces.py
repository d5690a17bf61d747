# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Activepieces adapter against a fake client (the emulator tests pin the server side)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timezone

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import Response
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import ADAPTERS
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.activepieces import (
    FAILED_STATUSES, PSEUDO_STEP, ActivepiecesAdapter, classify, is_terminal, step_message)

PROJECT = "proj1234567890abcdefg"
RUNS = "/v1/flow-runs"


class FakeClient:
    """Answers ``request`` from queued bodies (or ``answer(call)`` functions) per (method, path); records every call."""

    def __init__(self, max_pages=10000):
        self.routes = {}
        self.calls = []
        self.max_pages = max_pages  # the run's page cap, as the real Client carries it
        self.timeout = 30  # the client timeout bulk requests are sized to
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)

    def answer(self, method, path, body=None, status=200):
        self.routes.setdefault((method, path), []).append((status, body))
        return self

    def request(self, method, path, params=None, body=None, allow_empty=False):
        call = {"method": method, "path": path, "params": params, "body": body, "allow_empty": allow_empty}
        self.calls.append(call)
        queue = self.routes.get((method, path))
        if not queue:
            raise FlowOpsError("no route for %s %s" % (method, path), status=404, method=method, path=path)
        status, body = queue.pop(0) if len(queue) > 1 else queue[0]
        body = body(call) if callable(body) else body
        if isinstance(body, FlowOpsError):
            raise body
        return Response(status, {}, body, path)

    def posts(self, path=RUNS + "/retry"):
        return [call["body"] for call in self.calls if call["method"] == "POST" and call["path"] == path]


class FakeContext:
    def __init__(self):
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)

    @staticmethod
    def fan_out_all(func, items):
        return [(item, func(item)) for item in items]


def page(data, nxt=None):
    return {"data": data, "next": nxt, "previous": None}


def run(run_id, status="FAILED", step="step_2", **fields):
    base = {"id": run_id, "flowId": "flowA", "status": status, "created": "2026-11-20T04:00:00.000Z",
            "finishTime": "2026-11-20T04:00:02.000Z", "archivedAt": None, "tags": []}
    if step:
        base["failedStep"] = {"name": step, "displayName": "Create invoice"}
    return dict(base, **fields)


def detail(message, step="step_2"):
    return {"steps": {"trigger": {"status": "SUCCEEDED", "output": {"orderId": 7}}, step: {"status": "FAILED", "errorMessage": message}}}


@pytest.fixture
def fake():
    return FakeClient()


@pytest.fixture
def ctx():
    return FakeContext()


@pytest.fixture
def adapter(fake, ctx):
    adapter = ActivepiecesAdapter(fake, {"project_id": PROJECT})
    adapter.bind(warn=ctx.warn, fan_out_all=ctx.fan_out_all)
    return adapter


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
    assert all(word in str(error.value) for word in words) and "\n" not in str(error.value)


def test_base_url_defaults_to_the_cloud_host_and_api_url_wins():
    assert ActivepiecesAdapter.base_url(None, None) == "https://cloud.activepieces.com/api"
    assert ActivepiecesAdapter.base_url("https://ap.example.com/api", None) == "https://ap.example.com/api"
    with pytest.raises(ValidationError):
        ActivepiecesAdapter.base_url(None, "eu")


def test_list_flows_follows_cursors_and_normalises(adapter, fake):
    fake.answer("GET", "/v1/flows", page([{"id": "f1", "status": "ENABLED", "folderId": "fold", "version": {"displayName": "Orders"}}], "c1"))
    fake.answer("GET", "/v1/flows", page([{"id": "f2", "status": "DISABLED", "version": {"displayName": "Invoices"}}]))
    assert list(adapter.list_flows(integration_id=PROJECT)) == [
        {"_id": "f1", "name": "Orders", "disabled": False, "_abstractFlowId": None, "_integrationId": "fold"},
        {"_id": "f2", "name": "Invoices", "disabled": True, "_abstractFlowId": None, "_integrationId": None}]
    assert [call["params"] for call in fake.calls] == [{"projectId": PROJECT, "limit": 100}, {"projectId": PROJECT, "limit": 100, "cursor": "c1"}]
    fake.routes.clear()
    fake.answer("GET", "/v1/flows", page([]))
    assert not list(adapter.list_flows(integration_id="folder9")) and fake.calls[-1]["params"]["folderId"] == "folder9"


def test_a_repeated_cursor_stops_paging(adapter, fake):
    fake.answer("GET", "/v1/flows", page([{"id": "f1", "status": "ENABLED"}], "same"))
    with pytest.raises(FlowOpsError, match="same next page twice"):
        list(adapter.list_flows(integration_id=PROJECT))


def test_get_flow_refuses_a_flow_of_another_project(adapter, fake):
    fake.answer("GET", "/v1/flows/f1", {"id": "f1", "projectId": "other", "status": "ENABLED"})
    with pytest.raises(ValidationError, match="project_id"):
        adapter.get_flow("f1")


def test_open_errors_read_each_failed_steps_message_and_key_on_the_run(adapter, fake):
    fake.answer("GET", RUNS, page([run("r1", tags=["vip"]), run("r2", "TIMEOUT", step=None), run("r3", "LOG_SIZE_EXCEEDED"),
                                   run("r4", archivedAt="2026-11-21T00:00:00.000Z"), run("r5")]))
    fake.answer("GET", RUNS + "/r1", detail("Request failed with status code 429"))
    fake.answer("GET", RUNS + "/r2", {"steps": {}})
    fake.answer("GET", RUNS + "/r5", None, status=200)
    fake.routes[("GET", RUNS + "/r5")] = [(200, lambda call: FlowOpsError("gone", status=404))]
    errors = list(adapter.iter_errors("flowA", PSEUDO_STEP))
    assert [(e["errorId"], e["retryDataKey"], e["source"], e["code"], e["classification"]) for e in errors] == [
        ("r1@2026-11-20T04:00:02.000Z", "r1", "step_2", "FAILED", "rate_limit"),
        ("r2@2026-11-20T04:00:02.000Z", "r2", "run", "TIMEOUT", "intermittent")]
    assert errors[0]["message"] == "Request failed with status code 429" and errors[0]["tags"] == ["vip"]
    assert errors[1]["message"] == "flow run ended with status TIMEOUT"
    assert (errors[0]["_flowId"], errors[0]["_stepId"], errors[0]["occurredAt"]) == ("flowA", PSEUDO_STEP, "2026-11-20T04:00:00.000Z")
    assert fake.calls[0]["params"] == {"flowId": "flowA", "status": list(FAILED_STATUSES), "projectId": PROJECT, "limit": 100}
    assert list(FAILED_STATUSES) == ["FAILED", "INTERNAL_ERROR", "QUOTA_EXCEEDED", "TIMEOUT", "MEMORY_LIMIT_EXCEEDED"]
    assert not list(adapter.iter_errors("flowA", "step_2"))


def test_server_side_filters_never_narrow_the_selection(adapter, fake):
    fake.answer("GET", RUNS, page([]))
    after = datetime(2026, 11, 20, 1, 2, 3, 456789, tzinfo=timezone.utc)
    before = datetime(2026, 11, 21, 1, 2, 3, 456001, tzinfo=timezone.utc)
    list(adapter.iter_errors("flowA", PSEUDO_STEP, filters={"occurred_after": after, "occurred_before": before, "sources": ["step_1"]}))
    params = fake.calls[-1]["params"]
    assert (params["createdAfter"], params["createdBefore"], params["failedStepName"]) == (
        "2026-11-20T01:02:03.456Z", "2026-11-21T01:02:03.457Z", "step_1")
    for sources in (["step_1", "step_2"], ["run"]):
        list(adapter.iter_errors("flowA", PSEUDO_STEP, filters={"sources": sources}))
        assert "failedStepName" not in fake.calls[-1]["params"]


def test_resolved_errors_are_the_archived_failed_runs(adapter, fake):
    fake.answer("GET", RUNS, page([run("r1"), run("r4", archivedAt="2026-11-21T00:00:00.000Z")]))
    fake.answer("GET", RUNS + "/r4", detail("boom"))
    assert [e["retryDataKey"] for e in adapter.iter_errors("flowA", PSEUDO_STEP, resolved=True)] == ["r4"]
    assert fake.calls[0]["params"]["includeArchived"] == "true"


@pytest.mark.parametrize("status, message, expected", [
    ("TIMEOUT", "flow run ended with status TIMEOUT", "intermittent"),
    ("INTERNAL_ERROR", "anything", "intermittent"),
    ("QUOTA_EXCEEDED", "", "rate_limit"),
    ("MEMORY_LIMIT_EXCEEDED", "", "governance"),
    ("FAILED", "Request failed with status code 429", "rate_limit"),
    ("FAILED", "socket hang up (ECONNRESET)", "intermittent"),
    ("FAILED", "503 Service Unavailable", "intermittent"),
    ("FAILED", "401 Unauthorized", "connection"),
    ("FAILED", "A record with the same external id already exists", "duplicate"),
    ("FAILED", "Invalid value for field 'amount'", "value"),
    ("FAILED", "Something odd", "none"),
])
def test_classification_is_the_shared_rule_set_over_status_and_message(status, message, expected):
    assert classify(status, message) == expected


def test_step_message_reads_loop_iterations_and_non_string_messages():
    steps = {"loop": {"output": {"iterations": [{"inner": {"status": "SUCCEEDED"}}, {"inner": {"errorMessage": {"message": "ETIMEDOUT"}}}]}}}
    assert step_message(steps, "inner") == "ETIMEDOUT"
    assert step_message({"s": {"errorMessage": {"code": 7}}}, "s") == '{"code": 7}'
    assert step_message(None, "s") is None and step_message({}, None) is None


def test_unknown_statuses_end_a_wait():
    assert [is_terminal(status) for status in ("QUEUED", "RUNNING", "PAUSED", "CANCELED", "LOG_SIZE_EXCEEDED", "SOMETHING_NEW")] == [
        False, False, False, True, True, True]


def test_error_summary_counts_the_listing_without_reading_each_run(adapter, fake):
    fake.answer("GET", RUNS, page([run("r1", created="2026-11-20T05:00:00.000Z"), run("r2")]))
    assert adapter.error_summary("flowA") == {PSEUDO_STEP: {"open_errors": 2, "last_error_at": "2026-11-20T05:00:00.000Z"}}
    assert [call["path"] for call in fake.calls] == [RUNS]


def same_id_setup(adapter, fake, answer):
    fake.answer("GET", RUNS, page([run("r1"), run("r2"), run("r3")]))
    fake.answer("POST", RUNS + "/retry", answer)
    for run_id in ("r1", "r2", "r3"):
        fake.answer("GET", RUNS + "/" + run_id, detail("ECONNRESET"))
    list(adapter.iter_errors("flowA", PSEUDO_STEP))


def test_a_same_run_retry_sends_explicit_ids_and_reconciles_by_finish_time(adapter, fake, ctx):
    same_id_setup(adapter, fake, [run("r3", "QUEUED"), run("r1", "QUEUED"), run("r2", "QUEUED")])  # the server's order
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2", "r3"], "retry")
    assert fake.posts() == [{"projectId": PROJECT, "strategy": "FROM_FAILED_STEP", "flowRunIds": ["r1", "r2", "r3"],
                             "status": list(FAILED_STATUSES)}]
    assert (job["_id"], job["done"], job["runs"]) == ("r1+2", False, 3)
    new_end = "2026-11-30T10:00:00.000Z"
    fake.routes[("GET", RUNS)] = [(200, page([run("r1", "FAILED"), run("r2", "RUNNING"), run("r3", "CANCELED")]))]
    assert adapter.get_job("r1+2")["done"] is False  # r1 still shows its old end: not re-queued yet
    assert fake.calls[-1]["params"] == {"flowRunIds": ["r1", "r2", "r3"], "includeArchived": "true", "projectId": PROJECT, "limit": 100}
    # Canceled by someone else after our retry: an ending that is not success, with the platform's status.
    assert adapter.key_outcomes("r1+2") == {"r1": ("pending", "FAILED"), "r2": ("pending", "RUNNING"),
                                            "r3": ("not_recovered", "CANCELED")}
    fake.routes[("GET", RUNS)] = [(200, page([run("r1", "TIMEOUT", finishTime=new_end), run("r2", "SUCCEEDED", finishTime=new_end),
                                              run("r3", "CANCELED")]))]  # canceled: status only, the old finishTime stays
    assert adapter.get_job("r1+2")["done"] is True
    assert adapter.key_outcomes("r1+2") == {"r1": ("failed_again", "TIMEOUT"), "r2": ("succeeded", "SUCCEEDED"),
                                            "r3": ("not_recovered", "CANCELED")}
    fake.routes[("GET", RUNS)] = [(200, page([run("r1", "TIMEOUT", finishTime=new_end), run("r2", "SUCCEEDED", finishTime=new_end)]))]
    assert adapter.key_outcomes("r1+2")["r3"] == ("not_recovered", "gone")  # the re-queued run itself disappeared
    assert adapter.key_outcomes("unknown") is None


def test_retry_lists_again_for_unseen_keys_and_sends_none_that_is_not_open(adapter, fake):
    fake.answer("GET", RUNS, page([run("r1")]))
    fake.answer("POST", RUNS + "/retry", [run("r1", "QUEUED")])
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "gone"], "retry")
    assert [call["method"] for call in fake.calls] == ["GET", "POST"] and fake.posts()[0]["flowRunIds"] == ["r1"]
    assert job is not None
    assert adapter.retry("flowA", PSEUDO_STEP, ["gone"], "retry") is None
    assert adapter.retry("flowA", PSEUDO_STEP, ["r1"], "retry")["_id"] == job["_id"]  # answered once: never sent again
    assert len(fake.posts()) == 1


def test_runs_the_server_did_not_retry_are_never_counted_as_submitted(adapter, fake):
    refused = {"errorCode": "FLOW_RUN_RETRY_OUTSIDE_RETENTION", "errorMessage": "FLOW_RUN_RETRY_OUTSIDE_RETENTION"}
    same_id_setup(adapter, fake, [run("r1", error=refused), run("r2", "QUEUED"), None])
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2", "r3"], "retry")
    # Each key the server did not retry is named with its reason; only r2 belongs to the job.
    assert job["rejected"] == {"r1": "[FLOW_RUN_RETRY_OUTSIDE_RETENTION] FLOW_RUN_RETRY_OUTSIDE_RETENTION",
                               "r3": "the server answered null (an older server that did not start the run)"}
    assert job["runs"] == 1 and "in_doubt" not in job
    again = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r3"], "retry")
    assert set(again["rejected"]) == {"r1", "r3"} and len(fake.posts()) == 1  # never sent twice
    assert adapter.retry("flowA", PSEUDO_STEP, ["r2"], "retry")["runs"] == 1


def test_all_refused_is_a_job_that_retried_nothing(adapter, fake):
    error = {"errorCode": "INTERNAL_SERVER_ERROR", "errorMessage": "Internal server error"}
    same_id_setup(adapter, fake, [run("r1", error=error), run("r2", error=error), run("r3", error=error)])
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2", "r3"], "retry")
    assert job["_id"] is None and job["done"] is True
    assert job["rejected"] == dict((key, "[INTERNAL_SERVER_ERROR] Internal server error") for key in ("r1", "r2", "r3"))


def latest_answers(answers):
    """A POST /retry handler answering each single-run request from ``answers`` (run id -> body or error)."""
    return lambda call: answers[call["body"]["flowRunIds"][0]]


def test_latest_version_goes_one_run_a_request_and_archives_the_originals(adapter, fake):
    same_id_setup(adapter, fake, latest_answers({"r1": [run("n1", "QUEUED", step=None)], "r2": [run("n2", "QUEUED", step=None)],
                                                 "r3": [run("n3", "QUEUED", step=None)]}))
    fake.answer("POST", RUNS + "/archive", None)
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2", "r3"], "latest_version")
    assert [body["flowRunIds"] for body in fake.posts()] == [["r1"], ["r2"], ["r3"]]
    assert {body["strategy"] for body in fake.posts()} == {"ON_LATEST_VERSION"}
    assert fake.posts(RUNS + "/archive") == [{"projectId": PROJECT, "flowRunIds": ["r1", "r2", "r3"], "status": list(FAILED_STATUSES)}]
    assert job["_id"] == "n1+2"
    fake.routes[("GET", RUNS)] = [(200, page([run("n1", "SUCCEEDED", step=None), run("n2", "INTERNAL_ERROR", step=None)]))]
    assert adapter.get_job("n1+2")["done"] is False  # n3 is not listed yet: new runs are written asynchronously
    assert fake.calls[-1]["params"]["flowRunIds"] == ["n1", "n2", "n3"]
    assert adapter.key_outcomes("n1+2") == {"r1": ("succeeded", "SUCCEEDED"), "r2": ("failed_again", "INTERNAL_ERROR"),
                                            "r3": ("pending", "not listed yet")}


def test_latest_version_warns_when_the_originals_cannot_be_archived(adapter, fake, ctx):
    same_id_setup(adapter, fake, latest_answers({"r1": [run("n1", "QUEUED")], "r2": [run("n2", "QUEUED")], "r3": [run("n3", "QUEUED")]}))
    fake.answer("POST", RUNS + "/archive", lambda call: FlowOpsError("unavailable", status=503, may_have_applied=True))
    assert adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2", "r3"], "latest_version")["runs"] == 3
    assert len(ctx.warnings) == 1 and "r1, r2, r3" in ctx.warnings[0] and "flow_errors_resolve" in ctx.warnings[0]


def test_a_lost_latest_version_answer_is_in_doubt_and_never_sent_again(adapter, fake):
    lost = FlowOpsError("connection reset", may_have_applied=True)
    same_id_setup(adapter, fake, latest_answers({"r1": [run("n1", "QUEUED")], "r2": lost, "r3": []}))
    fake.answer("POST", RUNS + "/archive", None)
    first = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2", "r3"], "latest_version")
    assert first["in_doubt"] == {"r2": "connection reset"}
    assert first["not_matched"] == {"r3": "the server matched no failed run with this id"}
    assert fake.posts(RUNS + "/archive")[0]["flowRunIds"] == ["r1"]
    settle = adapter.retry("flowA", PSEUDO_STEP, ["r2", "r3"], "latest_version")
    assert settle["in_doubt"] == {"r2": "connection reset"} and len(fake.posts()) == 3


def test_get_job_of_an_unknown_id_polls_that_run(adapter, fake):
    fake.answer("GET", RUNS, page([run("n1", "SUCCEEDED")]))
    assert adapter.get_job("n1")["done"] is True and fake.calls[0]["params"]["flowRunIds"] == ["n1"]


def test_resolve_archives_only_runs_still_as_listed(adapter, fake):
    fake.answer("GET", RUNS, page([run("r1"), run("r2"), run("r3", "QUEUED"), run("r4", finishTime="2026-11-22T00:00:00.000Z"),
                                   run("r5", archivedAt="2026-11-21T00:00:00.000Z")]))
    fake.answer("POST", RUNS + "/archive", None)
    ids = ["r%d@2026-11-20T04:00:02.000Z" % number for number in range(1, 7)] + ["r1@2026-11-19T00:00:00.000Z"]
    changed = adapter.resolve("flowA", PSEUDO_STEP, ids)
    assert fake.calls[0]["params"]["flowRunIds"] == ["r1", "r2", "r3", "r4", "r5", "r6"]  # read again first
    assert fake.calls[1]["body"] == {"projectId": PROJECT, "flowRunIds": ["r1", "r2"], "status": list(FAILED_STATUSES)}
    assert fake.calls[1]["allow_empty"] is True
    assert changed == {"r3@2026-11-20T04:00:02.000Z": "status QUEUED",
                       "r4@2026-11-20T04:00:02.000Z": "status FAILED, finishTime 2026-11-22T00:00:00.000Z (failed again since listing)",
                       "r5@2026-11-20T04:00:02.000Z": "status FAILED, archived", "r6@2026-11-20T04:00:02.000Z": "status gone (no such run)",
                       "r1@2026-11-19T00:00:00.000Z": "status FAILED, finishTime 2026-11-20T04:00:02.000Z (failed again since listing)"}
    adapter.resolve("flowA", PSEUDO_STEP, [])
    assert len(fake.calls) == 2  # an empty flowRunIds would archive every run


def test_retry_data_is_the_run_with_its_steps(adapter, fake):
    fake.answer("GET", RUNS + "/r%2F1", {"id": "r/1", "steps": {"trigger": {"output": {"orderId": 7}}}})
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


# -- malformed bodies: one line naming the endpoint; an unreadable retry answer is in doubt ---------------


def _fails(call, start):
    with pytest.raises(FlowOpsError) as info:
        call()
    assert str(info.value).startswith(start) and "\n" not in str(info.value), str(info.value)
    return info.value


@pytest.mark.parametrize("body, match", [({}, "the flow: id is missing"), (None, "got null"), ([], "got an array"),
                                         ({"id": "f1", "version": "v2"}, "version is a string")])
def test_a_flow_lookup_without_a_flow_fails(adapter, fake, body, match):
    fake.answer("GET", "/v1/flows/f1", body)
    assert match in str(_fails(lambda: adapter.get_flow("f1"), "GET /v1/flows/f1: unexpected response: "))


@pytest.mark.parametrize("item, match", [
    (1, "expected a listed flow run to be an object, got a number"),
    ({"status": "FAILED"}, "a listed flow run: id is missing"),
    (dict(run("r1"), failedStep="step_2"), "failedStep is a string"),
    (dict(run("r1"), tags="urgent"), "tags is a string"),
])
def test_malformed_listed_runs_fail_naming_the_listing(adapter, fake, item, match):
    fake.answer("GET", RUNS, page([item]))
    assert match in str(_fails(lambda: list(adapter.iter_errors("flowA", PSEUDO_STEP)), "GET /v1/flow-runs: unexpected response: "))


def test_a_run_detail_that_is_not_an_object_fails(adapter, fake):
    fake.answer("GET", RUNS, page([run("r1")]))
    fake.answer("GET", RUNS + "/r1", ["not", "a", "run"])
    _fails(lambda: list(adapter.iter_errors("flowA", PSEUDO_STEP)), "GET /v1/flow-runs/r1: unexpected response: expected the flow run")


@pytest.mark.parametrize("answer", [{"runs": []}, [1], [{"id": {"x": 1}}], [{"id": "r1", "error": "refused"}]])
def test_an_unreadable_bulk_retry_answer_is_settled_never_resent(adapter, fake, answer):
    """The answer may have applied: the runs are polled, never re-sent; one that left its failure is retried, one
    that did not within the bounded settle time is in doubt."""
    same_id_setup(adapter, fake, answer)
    fake.routes[("GET", RUNS)] = [(200, page([run("r1"), run("r2")])), (200, page([run("r1"), run("r2")])),
                                  (200, page([run("r1", "QUEUED"), run("r2")]))]
    listed = {"r1": "r1@2026-11-20T04:00:02.000Z", "r2": "r2@2026-11-20T04:00:02.000Z"}
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2"], "retry", listed=listed)
    assert job["_id"] == "r1" and list(job["in_doubt"]) == ["r2"] and "POST /v1/flow-runs/retry: HTTP 200" in job["in_doubt"]["r2"]
    assert len(fake.posts()) == 1 and 60 <= sum(fake.slept) <= 70  # bounded: twice the client timeout
    assert adapter.retry("flowA", PSEUDO_STEP, ["r2"], "retry")["in_doubt"] and len(fake.posts()) == 1


def test_an_unreadable_latest_version_answer_is_in_doubt(adapter, fake):
    same_id_setup(adapter, fake, latest_answers({"r1": [7], "r2": [run("n2", "QUEUED")]}))
    fake.answer("POST", RUNS + "/archive", None)
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2"], "latest_version")
    assert list(job["in_doubt"]) == ["r1"] and "expected an entry of the bulk retry answer" in job["in_doubt"]["r1"]


def test_retry_data_of_a_run_answered_empty_fails(adapter, fake):
    fake.answer("GET", RUNS + "/r1", {})
    _fails(lambda: adapter.retry_data("flowA", PSEUDO_STEP, "r1"), "GET /v1/flow-runs/r1: unexpected response: the flow run: id")


def test_listings_honour_the_clients_max_pages():
    fake = FakeClient(max_pages=2)
    adapter = ActivepiecesAdapter(fake, {"project_id": PROJECT})
    fake.answer("GET", "/v1/flows", lambda call: page([{"id": "f", "status": "ENABLED"}], "c%d" % len(fake.calls)))
    _fails(lambda: list(adapter.list_flows()), "GET /v1/flows: more than 2 pages; stopping (raise max_pages")
    assert len(fake.calls) == 2


# -- issue #25: act only on what was listed, size bulk requests, older servers --------------------------------


def test_retry_reads_the_runs_again_and_sends_only_those_still_as_listed(adapter, fake):
    fake.answer("GET", RUNS, page([run("r1"), run("r2", "QUEUED"), run("r3", finishTime="2026-11-22T00:00:00.000Z")]))
    fake.answer("POST", RUNS + "/retry", [run("r1", "QUEUED")])
    listed = dict((key, "%s@2026-11-20T04:00:02.000Z" % key) for key in ("r1", "r2", "r3", "r4"))
    job = adapter.retry("flowA", PSEUDO_STEP, ["r1", "r2", "r3", "r4"], "retry", listed=listed)
    assert fake.calls[0]["params"]["flowRunIds"] == ["r1", "r2", "r3", "r4"] and fake.calls[0]["params"]["includeArchived"] == "true"
    assert [body["flowRunIds"] for body in fake.posts()] == [["r1"]]
    assert job["_id"] == "r1" and job["changed_since_listing"] == {
        "r2": "status QUEUED", "r3": "status FAILED, finishTime 2026-11-22T00:00:00.000Z (failed again since listing)",
        "r4": "status gone (no such run)"}


def test_bulk_requests_are_sized_from_the_time_a_wave_takes(adapter, fake, monkeypatch):
    """The server retries 10 runs at a time and answers when all are done: the first request is one wave, the next
    ones as many waves as answer within half the client timeout."""
    ids = ["r%02d" % number for number in range(60)]
    fake.answer("GET", RUNS, page([run(key) for key in ids]))
    fake.answer("POST", RUNS + "/retry", lambda call: [run(key, "QUEUED") for key in call["body"]["flowRunIds"]])
    clock = iter([0.0, 6.0] + [100.0 + n for n in range(20)])  # the first wave takes 6 s, the later ones 1 s
    monkeypatch.setattr("ansible_collections.flowops.ipaas.plugins.module_utils.platforms.activepieces.time.monotonic",
                        lambda: next(clock))
    fake.timeout = 30
    job = adapter.retry("flowA", PSEUDO_STEP, ids, "retry")
    assert [len(body["flowRunIds"]) for body in fake.posts()] == [10, 20, 30]  # 15 s / 6 s a wave = 2 waves, then more
    assert job["runs"] == 60 and sum(len(body["flowRunIds"]) for body in fake.posts()) == 60


def test_an_older_server_refusing_a_status_is_listed_without_it_and_warned_once(adapter, fake, ctx):
    refused = FlowOpsError("HTTP 400 [FST_ERR_VALIDATION] querystring/status/4 must be equal to one of the allowed values",
                           status=400, method="GET", path=RUNS)

    def listing(call):
        if "MEMORY_LIMIT_EXCEEDED" in (call["params"].get("status") or []):
            return refused
        return page([run("r1")])

    fake.answer("GET", RUNS, listing)
    fake.answer("GET", RUNS + "/r1", detail("boom"))
    fake.answer("POST", RUNS + "/retry", [run("r1", "QUEUED")])
    assert [error["retryDataKey"] for error in adapter.iter_errors("flowA", PSEUDO_STEP)] == ["r1"]
    assert [error["retryDataKey"] for error in adapter.iter_errors("flowA", PSEUDO_STEP)] == ["r1"]
    assert len(ctx.warnings) == 1 and "MEMORY_LIMIT_EXCEEDED" in ctx.warnings[0]
    adapter.retry("flowA", PSEUDO_STEP, ["r1"], "retry")
    assert "MEMORY_LIMIT_EXCEEDED" not in fake.posts()[0]["status"]
    assert sum(1 for call in fake.calls if call["path"] == RUNS and "MEMORY_LIMIT_EXCEEDED" in (call["params"].get("status") or [])) == 1
