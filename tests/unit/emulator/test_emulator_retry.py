"""Retry (204 / 200 / 400 / 422), job progression, fail-again, retry counts, retry data."""

import time

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios

RETRY_PATHS = ("retry", "retry_with_exponential_decay")


def keyed_errors(handle, flow_id, step_id):
    return [error for error in handle.state.open_errors(flow_id, step_id) if error.get("retryDataKey")]


@pytest.mark.parametrize("endpoint", RETRY_PATHS)
def test_keys_matching_nothing_are_a_204_no_op(api, celigo_emulator, instance, endpoint):
    flow_id, steps = instance
    response = api.post("/v1/flows/%s/%s/%s" % (flow_id, steps[1], endpoint), json={"retryDataKeys": ["0" * 32]})
    assert response.status_code == 204 and response.content == b""
    assert celigo_emulator.retry_counts == {}
    assert celigo_emulator.state.summary()["jobs"] == 0


@pytest.mark.parametrize("endpoint", RETRY_PATHS)
def test_matching_keys_queue_a_retry_job(api, celigo_emulator, instance, endpoint):
    flow_id, steps = instance
    keys = [error["retryDataKey"] for error in keyed_errors(celigo_emulator, flow_id, steps[1])]
    response = api.post("/v1/flows/%s/%s/%s" % (flow_id, steps[1], endpoint), json={"retryDataKeys": keys + ["0" * 32]})
    assert response.status_code == 200
    job = response.json()
    assert (job["type"], job["status"], job["_flowId"], job["_expOrImpId"]) == ("retry", "queued", flow_id, steps[1])
    assert len(job["_id"]) == 24 and job["createdAt"]
    assert celigo_emulator.retry_counts == dict.fromkeys(keys, 1)


@pytest.mark.parametrize("endpoint", RETRY_PATHS)
def test_disabled_flow_is_422_inactive_flow(api, celigo_emulator, scenario, endpoint):
    flow_id = scenarios.instance_ids(scenario, disabled=True)[0]
    step_id = scenarios.step_ids(scenario, flow_id)[1]
    keys = scenarios.retry_keys(scenario, flow_id, step_id)
    response = api.post("/v1/flows/%s/%s/%s" % (flow_id, step_id, endpoint), json={"retryDataKeys": keys})
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "inactive_flow"
    assert celigo_emulator.retry_counts == {}


@pytest.mark.parametrize("body", [{}, {"retryDataKeys": []}, {"retryDataKeys": "abc"}, {"keys": ["a"]},
                                  {"retryDataKeys": ["%032x" % n for n in range(1001)]}])
def test_malformed_retry_body_is_400(celigo_emulator_factory, api_for, body):
    handle = celigo_emulator_factory(strict=body == {"retryDataKeys": ["%032x" % n for n in range(1001)]})
    flow_id = scenarios.instance_ids(handle.scenario)[0]
    step_id = scenarios.step_ids(handle.scenario, flow_id)[1]
    response = api_for(handle).post("/v1/flows/%s/%s/retry" % (flow_id, step_id), json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_job_advances_one_state_per_poll_then_applies_the_retry(api, celigo_emulator, instance):
    celigo_emulator.configure(job_seconds=60)
    flow_id, steps = instance
    errors = keyed_errors(celigo_emulator, flow_id, steps[1])
    job = api.post("/v1/flows/%s/%s/retry" % (flow_id, steps[1]), json={"retryDataKeys": [errors[0]["retryDataKey"]]}).json()
    running = api.get("/v1/jobs/%s" % job["_id"]).json()
    assert running["status"] == "running" and running["startedAt"]
    assert "numSuccess" not in running
    # In flight: out of the open list at once, not yet resolved.
    assert errors[0]["errorId"] not in [error["errorId"] for error in celigo_emulator.state.open_errors(flow_id, steps[1])]
    assert api.get("/v1/flows/%s/%s/resolved" % (flow_id, steps[1])).json()["resolved"] == []
    completed = api.get("/v1/jobs/%s" % job["_id"]).json()
    assert completed["status"] == "completed" and completed["endedAt"]
    assert (completed["numSuccess"], completed["numError"]) == (1, 0)
    resolved = api.get("/v1/flows/%s/%s/resolved" % (flow_id, steps[1])).json()["resolved"]
    assert [(error["errorId"], error["resolvedBy"]) for error in resolved] == [(errors[0]["errorId"], celigo_emulator.scenario["user_id"])]


def test_job_completes_by_time_without_polling(api, celigo_emulator, instance):
    celigo_emulator.configure(job_seconds=0.2)
    flow_id, steps = instance
    errors = keyed_errors(celigo_emulator, flow_id, steps[1])
    api.post("/v1/flows/%s/%s/retry" % (flow_id, steps[1]), json={"retryDataKeys": [error["retryDataKey"] for error in errors]})
    assert api.get("/v1/flows/%s/%s/resolved" % (flow_id, steps[1])).json()["resolved"] == []
    time.sleep(0.25)
    remaining = {error["errorId"] for error in api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[1])).json()["errors"]}
    assert not remaining & {error["errorId"] for error in errors}
    resolved = {error["errorId"] for error in api.get("/v1/flows/%s/%s/resolved" % (flow_id, steps[1])).json()["resolved"]}
    assert resolved == {error["errorId"] for error in errors}


def test_unknown_job_is_404(api):
    assert api.get("/v1/jobs/%s" % ("0" * 24)).status_code == 404


def test_failing_retry_creates_a_new_error_with_the_same_key(celigo_emulator_factory, api_for):
    scenario = scenarios.default_scenario()
    flow_id = scenarios.instance_ids(scenario)[0]
    step_id = scenarios.step_ids(scenario, flow_id)[1]
    failing, passing = scenarios.errors(scenario, flow_id, step_id, retryable=True)[:2]
    failing["fail_again"], passing["fail_again"] = 2, 0
    handle = celigo_emulator_factory(scenario, job_seconds=0)
    api = api_for(handle)
    path = "/v1/flows/%s/%s/retry" % (flow_id, step_id)
    job = api.post(path, json={"retryDataKeys": [failing["retryDataKey"], passing["retryDataKey"]]}).json()
    done = api.get("/v1/jobs/%s" % job["_id"]).json()
    assert (done["status"], done["numSuccess"], done["numError"]) == ("completed", 1, 1)
    open_errors = api.get("/v1/flows/%s/%s/errors" % (flow_id, step_id)).json()["errors"]
    again = [error for error in open_errors if error.get("retryDataKey") == failing["retryDataKey"]]
    assert len(again) == 1 and again[0]["errorId"] != failing["errorId"]
    assert (again[0]["message"], again[0]["classification"]) == (failing["message"], failing["classification"])
    assert not [error for error in open_errors if error.get("retryDataKey") == passing["retryDataKey"]]
    resolved_ids = {error["errorId"] for error in api.get("/v1/flows/%s/%s/resolved" % (flow_id, step_id)).json()["resolved"]}
    assert {failing["errorId"], passing["errorId"]} <= resolved_ids
    # fail_again was 2: the second retry fails again too, the third succeeds.
    for expected_errors in (1, 0):
        job = api.post(path, json={"retryDataKeys": [failing["retryDataKey"]]}).json()
        assert api.get("/v1/jobs/%s" % job["_id"]).json()["numError"] == expected_errors
    assert handle.retry_counts == {failing["retryDataKey"]: 3, passing["retryDataKey"]: 1}
    assert api.post(path, json={"retryDataKeys": [failing["retryDataKey"]]}).status_code == 204


def test_retry_data_for_open_and_resolved_keys_and_404_otherwise(api, celigo_emulator, instance):
    flow_id, steps = instance
    error = keyed_errors(celigo_emulator, flow_id, steps[1])[0]
    path = "/v1/flows/%s/%s/%s/data" % (flow_id, steps[1], error["retryDataKey"])
    body = api.get(path).json()
    assert body["retryDataKey"] == error["retryDataKey"]
    assert (body["stage"], body["oneToMany"], body["pgExportId"]) == ("page_processor_import", False, steps[0])
    assert isinstance(body["data"], dict) and body["data"]
    api.put("/v1/flows/%s/%s/resolved" % (flow_id, steps[1]), json={"errors": [error["errorId"]]})
    assert api.get(path).json() == body
    missing = api.get("/v1/flows/%s/%s/%s/data" % (flow_id, steps[1], "0" * 32))
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "no_retrydata_found"
