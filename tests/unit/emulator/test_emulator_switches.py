"""Rate limiting, latency, fault injection, the request log and the admin endpoints."""

import time

import pytest
import requests

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios


@pytest.fixture
def retry_call(celigo_emulator, instance):
    """POST one matching retry key; returns (send, key) where send(**kwargs) does the POST."""
    flow_id, steps = instance
    key = next(error["retryDataKey"] for error in celigo_emulator.state.open_errors(flow_id, steps[1]) if error.get("retryDataKey"))
    url = "%s/v1/flows/%s/%s/retry" % (celigo_emulator.url, flow_id, steps[1])
    headers = {"Authorization": "Bearer " + celigo_emulator.token}

    def send(**kwargs):
        kwargs.setdefault("timeout", 10)
        return requests.post(url, json={"retryDataKeys": [key]}, headers=headers, **kwargs)

    return send, key


def test_every_nth_request_is_429_with_retry_after_and_not_processed(celigo_emulator, retry_call):
    send, key = retry_call
    celigo_emulator.configure(rate_limit_every=3, retry_after=2)
    statuses = [send().status_code for dummy in range(6)]
    # The first POST takes the error in flight, so the later ones match nothing (204); every 3rd is a 429.
    assert statuses == [200, 204, 429, 204, 204, 429]
    assert celigo_emulator.retry_counts[key] == 1
    celigo_emulator.configure(rate_limit_every=1)
    response = send()
    assert response.headers["Retry-After"] == "2"
    assert response.json()["errors"][0]["code"] == "too_many_requests"
    assert [entry["status"] for entry in celigo_emulator.requests][-1] == 429


def test_retry_after_may_be_a_non_integer_string(celigo_emulator, api):
    celigo_emulator.configure(rate_limit_every=1, retry_after="Wed, 21 Oct 2026 07:28:00 GMT")
    response = api.get("/v1/flows")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "Wed, 21 Oct 2026 07:28:00 GMT")


def test_latency_applies_to_api_requests(celigo_emulator, api):
    celigo_emulator.configure(latency_ms=150)
    started = time.monotonic()
    api.get("/v1/flows")
    assert time.monotonic() - started >= 0.15


def test_status_fault_answers_without_processing_then_expires(celigo_emulator, retry_call):
    send, key = retry_call
    celigo_emulator.configure(faults=[{"method": "POST", "path": r"/retry$", "action": "status", "status": 503}])
    response = send()
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "emulated_fault"
    assert key not in celigo_emulator.retry_counts
    assert send().status_code == 200
    assert celigo_emulator.retry_counts[key] == 1
    assert celigo_emulator.requests[-2]["fault"] == "status"


def test_reset_before_drops_the_connection_and_processes_nothing(celigo_emulator, retry_call):
    send, key = retry_call
    celigo_emulator.configure(faults=[{"method": "POST", "path": "/retry", "action": "reset_before"}])
    with pytest.raises(requests.exceptions.ConnectionError):
        send()
    assert key not in celigo_emulator.retry_counts
    assert celigo_emulator.requests[-1]["fault"] == "reset_before"
    assert celigo_emulator.requests[-1]["status"] is None


def test_reset_after_processes_then_drops_the_connection(celigo_emulator, retry_call):
    send, key = retry_call
    celigo_emulator.configure(faults=[{"method": "POST", "path": "/retry", "action": "reset_after"}])
    with pytest.raises(requests.exceptions.ConnectionError):
        send()
    assert celigo_emulator.retry_counts[key] == 1
    assert celigo_emulator.state.summary()["jobs"] == 1


@pytest.mark.parametrize("status, body, content_type", [
    (200, '[{"_id": "5f', "application/json"),
    (502, "<html><body>Bad Gateway</body></html>", "text/html"),
    (200, "", "application/json"),
])
def test_raw_fault_sends_the_given_body(celigo_emulator, api, status, body, content_type):
    celigo_emulator.configure(faults=[{"path": "^/v1/flows$", "action": "raw", "status": status, "body": body,
                                       "content_type": content_type}])
    response = api.get("/v1/flows")
    assert (response.status_code, response.text, response.headers["Content-Type"]) == (status, body, content_type)
    assert api.get("/v1/flows").status_code == 200


def test_delay_fault_holds_the_response(celigo_emulator, api, retry_call):
    send, key = retry_call
    celigo_emulator.configure(faults=[{"method": "POST", "path": "/retry", "action": "delay", "seconds": 0.5}])
    with pytest.raises(requests.exceptions.ReadTimeout):
        send(timeout=0.2)
    assert celigo_emulator.retry_counts[key] == 1  # processed: the client timed out on a request that went through
    celigo_emulator.configure(faults=[{"path": "^/v1/flows$", "action": "delay", "seconds": 0.3}])
    started = time.monotonic()
    assert api.get("/v1/flows").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_skip_and_times_select_which_requests_fail(celigo_emulator, api):
    celigo_emulator.configure(faults=[{"method": "GET", "path": "^/v1/flows$", "status": 500, "skip": 1, "times": 2}])
    assert [api.get("/v1/flows").status_code for dummy in range(5)] == [200, 500, 500, 200, 200]
    assert celigo_emulator.app.public_switches()["faults"] == []


def test_fault_rules_match_method_and_path(celigo_emulator, api, instance):
    flow_id = instance[0]
    celigo_emulator.configure(faults=[{"method": "PUT", "path": "/flows", "times": None}])
    assert api.get("/v1/flows/%s" % flow_id).status_code == 200
    assert api.put("/v1/flows/%s/replaceConnection" % flow_id, json={}).status_code == 503
    assert api.put("/v1/flows/%s/replaceConnection" % flow_id, json={}).status_code == 503
    celigo_emulator.openapi_violations.clear()  # the empty bodies break the spec on purpose


def test_bad_switches_are_rejected(celigo_emulator):
    with pytest.raises(ValueError):
        celigo_emulator.configure(no_such_switch=1)
    with pytest.raises(ValueError):
        celigo_emulator.configure(faults=[{"action": "explode"}])


def test_request_log_records_api_requests_only(celigo_emulator, api, instance):
    flow_id, steps = instance
    celigo_emulator.configure(rate_limit_every=4)
    api.get("/api/v1/flows", params={"_abstractFlowId": celigo_emulator.state.flows[flow_id]["_abstractFlowId"]})
    api.put("/v1/flows/%s/%s/resolved" % (flow_id, steps[0]), json={"errors": ["x" * 24]})
    requests.get(celigo_emulator.url + "/_emulator/state", timeout=10)
    requests.get(celigo_emulator.url + "/v1/flows", timeout=10)
    api.get("/v1/flows")
    log = celigo_emulator.requests
    assert [(entry["method"], entry["path"], entry["status"]) for entry in log] == [
        ("GET", "/v1/flows", 200), ("PUT", "/v1/flows/%s/%s/resolved" % (flow_id, steps[0]), 204),
        ("GET", "/v1/flows", 401), ("GET", "/v1/flows", 429)]
    assert log[0]["query"] == {"_abstractFlowId": celigo_emulator.state.flows[flow_id]["_abstractFlowId"]}
    assert log[1]["body"] == {"errors": ["x" * 24]}
    assert all(isinstance(entry["ts"], float) for entry in log)
    assert [entry["method"] for entry in celigo_emulator.non_get_requests()] == ["PUT"]


def test_admin_endpoints(celigo_emulator, api, instance):
    flow_id, steps = instance
    admin = celigo_emulator.url + "/_emulator"
    api.get("/v1/flows")
    assert [entry["path"] for entry in requests.get(admin + "/requests", timeout=10).json()["requests"]] == ["/v1/flows"]
    assert requests.delete(admin + "/requests", timeout=10).status_code == 204
    assert requests.get(admin + "/requests", timeout=10).json() == {"requests": []}
    config = requests.post(admin + "/config", json={"page_size": 2, "retry_after": 7}, timeout=10).json()
    assert (config["page_size"], config["retry_after"]) == (2, 7)
    assert "nextPageURL" in api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[0])).json()
    assert requests.post(admin + "/config", json={"bogus": 1}, timeout=10).status_code == 400
    state = requests.get(admin + "/state", timeout=10).json()
    assert state["open"][flow_id] == {steps[0]: 6, steps[1]: 6}
    assert state["resolved"][flow_id] == {steps[0]: 0, steps[1]: 0}
    assert (state["retry_counts"], state["jobs"]) == ({}, 0)
    small = scenarios.generate(instances=1, steps=1, errors_per_step=2, seed=5)
    assert requests.post(admin + "/scenario", json=small, timeout=10).status_code == 204
    assert [flow["_id"] for flow in api.get("/v1/flows").json()] == [flow["_id"] for flow in small["flows"]]
    assert requests.get(admin + "/nothing", timeout=10).status_code == 404
