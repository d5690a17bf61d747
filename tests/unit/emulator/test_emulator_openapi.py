"""Strict mode: requests and responses are checked against celigo-flows-openapi.json."""

import os
import subprocess
import sys
import textwrap

import requests

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.emulator.celigo import openapi_validator
from ansible_collections.flowops.ipaas.tests.emulator.core.app import Reply

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_normal_traffic_produces_no_violation(celigo_emulator, api, scenario):
    celigo_emulator.configure(flow_page_size=2, page_size=4, job_seconds=0)
    connections = scenarios.connection_ids(scenario)
    url = "/v1/flows"
    while url:
        response = api.get(url)
        url = response.links.get("next", {}).get("url")
    assert api.get("/v1/flows", params={"_abstractFlowId": "a" * 24}).status_code == 204
    for flow_id in scenarios.instance_ids(scenario, disabled=False)[:2] + scenarios.abstract_flow_ids(scenario):
        api.get("/v1/flows/%s" % flow_id, params={"mergeInstance": "true"})
        api.get("/v1/flows/%s/descendants" % flow_id)
        api.get("/v1/flows/%s/errors" % flow_id)
    flow_id = scenarios.instance_ids(scenario)[0]
    step_id = scenarios.step_ids(scenario, flow_id)[1]
    page = api.get("/v1/flows/%s/%s/errors" % (flow_id, step_id)).json()
    api.get(page["nextPageURL"])
    keys = [error["retryDataKey"] for error in page["errors"] if error.get("retryDataKey")]
    job = api.post("/v1/flows/%s/%s/retry_with_exponential_decay" % (flow_id, step_id), json={"retryDataKeys": keys}).json()
    api.get("/v1/jobs/%s" % job["_id"])
    assert api.post("/v1/flows/%s/%s/retry" % (flow_id, step_id), json={"retryDataKeys": ["0" * 32]}).status_code == 204
    api.get("/v1/flows/%s/%s/resolved" % (flow_id, step_id))
    api.get("/v1/flows/%s/%s/%s/data" % (flow_id, step_id, keys[0]))
    api.get("/v1/flows/%s/%s/%s/data" % (flow_id, step_id, "0" * 32))
    api.put("/v1/flows/%s/%s/resolved" % (flow_id, step_id), json={"errors": [page["errors"][0]["errorId"]]})
    api.put("/v1/flows/%s/replaceConnection" % flow_id,
            json={"_connectionId": connections["sandbox"], "_newConnectionId": connections["production"]})
    api.put("/v1/flows/%s/replaceConnection" % flow_id,
            json={"_connectionId": connections["sandbox"], "_newConnectionId": connections["other_type"]})
    api.post("/v1/flows/%s/run" % flow_id)
    api.post("/v1/flows/%s/run" % scenarios.instance_ids(scenario, disabled=True)[0])
    requests.get(celigo_emulator.url + "/v1/flows", timeout=10)
    assert len(celigo_emulator.requests) > 20
    assert celigo_emulator.openapi_violations == []


def test_invalid_request_body_is_recorded(celigo_emulator, api, instance):
    flow_id, steps = instance
    response = api.post("/v1/flows/%s/%s/retry" % (flow_id, steps[1]), json={"retryDataKeys": "abc"})
    assert response.status_code == 400
    violations = list(celigo_emulator.openapi_violations)
    celigo_emulator.openapi_violations.clear()
    assert [(item["kind"], item["method"]) for item in violations] == [("request", "POST")]
    assert "retryDataKeys" in violations[0]["message"] and "array" in violations[0]["message"]


def test_wrong_content_type_and_bad_path_id_are_recorded(celigo_emulator, api, instance):
    flow_id, steps = instance
    api.put("/v1/flows/%s/%s/resolved" % (flow_id, steps[0]), data='{"errors": ["x"]}', headers={"Content-Type": "text/plain"})
    api.get("/v1/flows/not-an-object-id/errors")
    messages = [item["message"] for item in celigo_emulator.openapi_violations]
    celigo_emulator.openapi_violations.clear()
    assert any("Content-Type 'text/plain'" in message for message in messages)
    assert any("'_id'" in message and "objectId" in message for message in messages)


def test_invalid_response_is_recorded(celigo_emulator, api, instance, monkeypatch):
    flow_id = instance[0]
    monkeypatch.setattr(celigo_emulator.state, "error_summary", lambda flow_id: [{"_expOrImpId": "zz", "numError": -1}])
    api.get("/v1/flows/%s/errors" % flow_id)
    monkeypatch.setattr(celigo_emulator.app, "authenticate", lambda request: Reply(418, {"message": "teapot"}))
    api.get("/v1/flows")
    violations = list(celigo_emulator.openapi_violations)
    celigo_emulator.openapi_violations.clear()
    assert {item["kind"] for item in violations} == {"response"}
    assert any("numError" in item["message"] and "minimum" in item["message"] for item in violations)
    assert any("objectId" in item["message"] for item in violations)
    assert any("status 418 is not documented" in item["message"] for item in violations)


def test_operations_outside_the_document_are_not_checked(celigo_emulator, api):
    assert api.get("/v1/jobs/not-an-id").status_code == 404
    assert api.get("/v1/connections/not-an-id").status_code == 404
    assert celigo_emulator.openapi_violations == []


def test_injected_responses_are_not_checked_but_requests_are(celigo_emulator, api):
    celigo_emulator.configure(faults=[{"path": "^/v1/flows$", "action": "raw", "status": 200, "body": "{trunc"}])
    assert api.get("/v1/flows").text == "{trunc"
    assert celigo_emulator.openapi_violations == []


def test_literal_path_segments_win_over_parameters():
    validator = openapi_validator()
    assert validator.find("PUT", "/v1/flows/updateFlowGrouping")[0] == "/paths/~1v1~1flows~1updateFlowGrouping/put"
    pointer, operation, dummy, params = validator.find("GET", "/v1/flows/%s/%s/errors" % ("a" * 24, "b" * 24))
    assert operation["operationId"] == "listFlowStepErrors" and params == {"_id": "a" * 24, "_stepId": "b" * 24}
    assert pointer.endswith("/get")
    assert validator.find("GET", "/v1/jobs/%s" % ("a" * 24)) is None


def test_fixture_teardown_fails_the_test_on_a_violation(tmp_path):
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import sys
        sys.path.insert(0, %r)
        pytest_plugins = ["emulator.celigo.plugin"]
    """ % TESTS_DIR))
    (tmp_path / "test_bad_client.py").write_text(textwrap.dedent("""
        import requests
        from emulator.celigo import scenario

        def test_sends_a_bad_body(celigo_emulator):
            flow_id = scenario.instance_ids(celigo_emulator.scenario)[0]
            step_id = scenario.step_ids(celigo_emulator.scenario, flow_id)[0]
            requests.put("%s/v1/flows/%s/%s/resolved" % (celigo_emulator.url, flow_id, step_id), json={"errorIds": ["x"]},
                         headers={"Authorization": "Bearer " + celigo_emulator.token}, timeout=10)

        def test_sends_a_good_body(celigo_emulator):
            requests.get(celigo_emulator.url + "/v1/flows", headers={"Authorization": "Bearer " + celigo_emulator.token}, timeout=10)
    """))
    # A project of its own using the emulator as a standalone package: none of ansible-test's pytest plugins.
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_PLUGINS"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            capture_output=True, text=True, timeout=120, cwd=str(tmp_path), check=False, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    # pytest reports the call as passed and the teardown as an error: the run fails.
    assert "2 passed, 1 error" in result.stdout
    assert "ERROR test_bad_client.py::test_sends_a_bad_body" in result.stdout
    assert "'errors' is a required property" in result.stdout
