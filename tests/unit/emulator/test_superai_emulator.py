"""The SuperAI emulator: auth (bearer or X-API-Key), /api paths, page/page_size listings and their filters, statuses,
re-execute (only_stale, 409), soft DELETE, cancel of running executions, strict contract validation, the shared
switches (429s, latency, faults, request log, admin), the scenario generator and the command line."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import requests

from ansible_collections.flowops.ipaas.tests.emulator.core import scenario_files
from ansible_collections.flowops.ipaas.tests.emulator.superai.contract import contract_validator
from ansible_collections.flowops.ipaas.tests.emulator.superai.state import SuperAIState, execution_ids, flow_ids, generate, parse_spec

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIST = "/api/flow-executions"


@pytest.fixture
def emulator(superai_emulator_factory):
    return superai_emulator_factory(generate(flows=2, executions=10, fail_again_share=0.5, seed=3), run_seconds=30)


@pytest.fixture
def api(emulator, api_for):
    return api_for(emulator)


@pytest.fixture
def flow(emulator):
    return flow_ids(emulator.scenario)[0]


def listing(api, flow_id, **params):
    response = api.get(LIST, params=dict({"flow_id": flow_id, "page_size": 1000}, **params))
    assert response.status_code == 200, response.text
    return response.json()


def first(emulator, flow_id, status, fail_again=None):
    return execution_ids(emulator.scenario, flow_id, [status], fail_again)[0]


# -- auth and paths -------------------------------------------------------------------------------


def test_auth_bearer_or_api_key_and_the_error_envelope(emulator, flow):
    url = emulator.url + "/api/flows/" + flow
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401
    body = missing.json()
    assert body["error"] == {"message": "Authentication required", "code": "unauthorized"}
    assert missing.headers["X-Request-ID"] == body["request_id"] and len(body["request_id"]) == 26
    wrong = requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=10)
    assert (wrong.status_code, wrong.json()["error"]["message"]) == (401, "Invalid authentication token")
    assert requests.get(url, headers={"X-API-Key": emulator.api_key}, timeout=10).status_code == 200
    assert requests.get(url, headers={"Authorization": "Bearer " + emulator.token}, timeout=10).status_code == 200
    bad_key = requests.get(url, headers={"X-API-Key": "saf_wrong"}, timeout=10)
    assert (bad_key.status_code, bad_key.json()["error"]["code"]) == (401, "unauthorized")
    assert requests.get(url, headers={"X-API-Key": emulator.token}, timeout=10).status_code == 401  # a JWT is not a key


def test_every_operation_takes_either_security_scheme(emulator, flow):
    """Each operation lists BearerAuth and APIKeyAuth as alternatives: the raw key alone in X-API-Key is enough."""
    key = {"X-API-Key": emulator.api_key}
    target = first(emulator, flow, "failed")
    assert requests.get(emulator.url + LIST, params={"flow_id": flow}, headers=key, timeout=10).status_code == 200
    assert requests.get("%s%s/%s" % (emulator.url, LIST, target), headers=key, timeout=10).status_code == 200
    assert requests.post("%s%s/%s/execute" % (emulator.url, LIST, target), headers=key, timeout=10).status_code == 204
    other = execution_ids(emulator.scenario, flow, ["failed"])[1]
    assert requests.delete("%s%s/%s" % (emulator.url, LIST, other), headers=key, timeout=10).status_code == 204


def test_paths_live_under_api_only(api, flow):
    assert api.get("/api/flows/" + flow).status_code == 200
    bare = api.get("/flows/" + flow)
    assert (bare.status_code, bare.json()["error"]["code"]) == (404, "not_found")


def test_get_flow_and_its_errors(api, emulator, flow):
    body = api.get("/api/flows/" + flow).json()
    assert (body["id"], body["display_name"], body["version"]) == (flow, "Invoice extraction 1", emulator.scenario["flows"][0]["version"])
    unknown = api.get("/api/flows/" + str(uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["error"]) == (404, {"message": "Flow not found", "code": "not_found"})
    bad = api.get("/api/flows/not-a-uuid")
    assert (bad.status_code, bad.json()["detail"][0]["type"]) == (422, "uuid_parsing")


# -- listing --------------------------------------------------------------------------------------


def test_listing_pages_with_page_and_page_size_and_never_shows_deleted(api, emulator, flow):
    expected = [e for e in emulator.scenario["executions"] if e["flow_id"] == flow and e["status"] != "deleted"]
    pages, page = [], 1
    while True:
        chunk = listing(api, flow, page=page, page_size=3, sort_direction="asc")
        pages.append(chunk)
        if len(chunk) < 3:
            break
        page += 1
    seen = [item["id"] for chunk in pages for item in chunk]
    assert seen == [e["id"] for e in sorted(expected, key=lambda e: (e["created_at"], e["id"]))]
    assert listing(api, flow, page=page + 5) == []
    assert all("fail_again" not in item and "terminable" not in item for chunk in pages for item in chunk)
    assert listing(api, flow, sort_direction="desc")[0]["id"] == seen[-1]
    assert len(api.get(LIST, params={"flow_id": flow}).json()) == min(10, len(expected))  # page_size defaults to 10


def test_listing_filters_by_status_and_status_exclude(api, emulator, flow):
    got = listing(api, flow, status=["failed", "stale"])
    assert sorted(item["id"] for item in got) == sorted(execution_ids(emulator.scenario, flow, ["failed", "stale"]))
    assert {item["status"] for item in listing(api, flow, status_exclude=["completed", "failed"])} <= {
        "stale", "cancelled", "running"}
    assert listing(api, flow, status=["deleted"]) == []
    assert listing(api, flow, status=["no-such-status"]) == []  # free strings in the spec, not the enum


def test_listing_date_range_bounds_are_inclusive(api, emulator, flow):
    rows = sorted((e for e in emulator.scenario["executions"] if e["flow_id"] == flow and e["status"] != "deleted"),
                  key=lambda e: e["updated_at"])
    low, high = rows[1]["updated_at"], rows[-2]["updated_at"]
    got = listing(api, flow, updated_after=low, updated_before=high, sort_field="updated_at", sort_direction="asc")
    assert [item["id"] for item in got] == [e["id"] for e in rows if low <= e["updated_at"] <= high]
    assert got[0]["updated_at"] == low and got[-1]["updated_at"] == high
    created = listing(api, flow, created_after=rows[0]["created_at"], created_before=rows[0]["created_at"])
    assert [item["id"] for item in created] == [rows[0]["id"]]


@pytest.mark.parametrize("params, name, kind", [
    ({"flow_id": None}, "flow_id", "missing"),
    ({"flow_id": "x"}, "flow_id", "uuid_parsing"),
    ({"page_size": "1001"}, "page_size", "less_than_equal"),
    ({"page": "0"}, "page", "greater_than_equal"),
    ({"page": "10001"}, "page", "less_than_equal"),
    ({"page": "two"}, "page", "int_parsing"),
    ({"sort_field": "name"}, "sort_field", "string_pattern_mismatch"),
    ({"updated_after": "yesterday"}, "updated_after", "datetime_parsing"),
])
def test_listing_validation_is_a_422_error_envelope(api, emulator, flow, params, name, kind):
    """The listing declares its 422 as ErrorResponse (code validation_error), not FastAPI's {detail}."""
    response = api.get(LIST, params=dict({"flow_id": flow}, **params))  # requests drops a None value
    assert response.status_code == 422
    body = response.json()
    assert (body["error"]["code"], body["error"]["message"]) == ("validation_error", "Request validation failed")
    (detail,) = body["error"]["details"]
    assert (detail["loc"], detail["type"]) == (["query", name], kind)
    assert not [v for v in emulator.openapi_violations if v["kind"] == "response"]  # the 422 itself is in contract
    emulator.clear_violations()


def test_listing_an_unknown_flow_is_404(api):
    assert api.get(LIST, params={"flow_id": str(uuid.uuid4())}).status_code == 404


# -- re-execute -----------------------------------------------------------------------------------


def test_re_execute_runs_the_same_execution_on_the_latest_version(api, emulator, flow):
    target = first(emulator, flow, "failed")
    before = api.get("%s/%s" % (LIST, target)).json()
    response = api.post("%s/%s/execute" % (LIST, target), params={"only_stale": "true"})
    assert (response.status_code, response.text) == (204, "")
    after = api.get("%s/%s" % (LIST, target)).json()
    assert after["status"] == "running" and after["id"] == target
    assert after["updated_at"] > before["updated_at"]
    assert after["flow_version"] == emulator.scenario["flows"][0]["version"]
    assert target not in [item["id"] for item in listing(api, flow, status=["failed", "stale"])]
    assert api.post("%s/%s/execute" % (LIST, first(emulator, flow, "stale"))).status_code == 204
    assert emulator.execute_calls == {target: [True], first(emulator, flow, "stale"): [False]}


def test_re_execute_errors(api, emulator, flow):
    stuck = first(emulator, flow, "running")
    conflict = api.post("%s/%s/execute" % (LIST, stuck))
    assert conflict.status_code == 409
    assert conflict.json()["error"] == {"message": "Workflow is currently running and cannot be terminated", "code": "conflict"}
    assert api.post("%s/%s/execute" % (LIST, str(uuid.uuid4()))).status_code == 404
    bad = api.post("%s/%s/execute" % (LIST, first(emulator, flow, "failed")), params={"only_stale": "maybe"})
    assert (bad.status_code, bad.json()["detail"][0]["loc"]) == (422, ["query", "only_stale"])
    assert [v["kind"] for v in emulator.openapi_violations] == ["request"]
    emulator.clear_violations()
    assert emulator.execute_calls == {}
    assert emulator.statuses()[stuck] == "running"


def test_runs_finish_by_polls_or_time_and_fail_again_as_scenario_says(api, emulator, flow):
    flaky = first(emulator, flow, "failed", fail_again=True)
    assert api.post("%s/%s/execute" % (LIST, flaky)).status_code == 204
    statuses = [api.get("%s/%s" % (LIST, flaky)).json()["status"] for dummy in range(2)]
    assert statuses == ["running", "failed"]
    failed_at = api.get("%s/%s" % (LIST, flaky)).json()["updated_at"]
    assert flaky in [item["id"] for item in listing(api, flow, status=["failed"])]
    emulator.configure(run_seconds=0)
    assert api.post("%s/%s/execute" % (LIST, flaky)).status_code == 204
    final = api.get("%s/%s" % (LIST, flaky)).json()
    assert final["status"] == "completed" and final["updated_at"] > failed_at


def test_a_terminable_running_execution_is_restarted(api, emulator, flow):
    target = first(emulator, flow, "completed")
    assert api.post("%s/%s/execute" % (LIST, target)).status_code == 204
    assert api.post("%s/%s/execute" % (LIST, target), params={"only_stale": "1"}).status_code == 204
    assert emulator.execute_calls[target] == [False, True]


# -- soft DELETE ----------------------------------------------------------------------------------


def test_delete_soft_deletes_a_failed_execution_for_good_and_again_is_204(api, emulator, flow):
    target = first(emulator, flow, "failed")
    response = api.call("DELETE", "%s/%s" % (LIST, target))
    assert (response.status_code, response.text) == (204, "")
    assert emulator.statuses()[target] == "deleted"
    assert target not in [item["id"] for item in listing(api, flow)]
    gone = api.get("%s/%s" % (LIST, target))
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_found")
    assert api.call("DELETE", "%s/%s" % (LIST, target)).status_code == 204  # idempotent
    assert emulator.delete_calls == {target: 2}
    assert emulator.statuses()[target] == "deleted"


def test_delete_takes_any_status_and_a_run_in_flight_never_undeletes_it(api, emulator, flow):
    target = first(emulator, flow, "failed")
    assert api.post("%s/%s/execute" % (LIST, target)).status_code == 204
    assert api.call("DELETE", "%s/%s" % (LIST, target)).status_code == 204
    emulator.configure(run_seconds=0)
    listing(api, flow)  # any request lets due runs finish
    assert emulator.statuses()[target] == "deleted"
    bad = api.call("DELETE", LIST + "/not-a-uuid")
    assert (bad.status_code, bad.json()["detail"][0]["type"]) == (422, "uuid_parsing")
    emulator.clear_violations()


# -- cancel (documented for running executions) ----------------------------------------------------


def test_cancel_running_goes_through_cancel_requested_to_cancelled(api, emulator, flow):
    target = first(emulator, flow, "failed")
    api.post("%s/%s/execute" % (LIST, target))
    assert api.post("%s/%s/cancel" % (LIST, target)).status_code == 204
    assert emulator.state.executions[target]["status"] == "cancel_requested"
    assert api.get("%s/%s" % (LIST, target)).json()["status"] == "cancelled"
    stuck = first(emulator, flow, "running")  # 409 is documented for re-execute only, not for cancel
    assert api.post("%s/%s/cancel" % (LIST, stuck)).status_code == 204
    assert api.get("%s/%s" % (LIST, stuck)).json()["status"] == "cancelled"
    assert api.post("%s/%s/cancel" % (LIST, str(uuid.uuid4()))).status_code == 404
    assert emulator.cancel_calls == {target: 1, stuck: 1}


# -- the contract ---------------------------------------------------------------------------------


def test_strict_mode_checks_responses_against_the_contract():
    validator = contract_validator()
    good = {"error": {"message": "Resource not found", "code": "not_found"}, "request_id": "01K8KABR6S16YETA2SZPVBS9SP"}
    path = "/flow-executions/%s" % uuid.uuid4()
    assert validator.check_response("GET", path, 404, {}, json_bytes(good)) == []
    assert validator.check_response("DELETE", path, 204, {}, b"") == []
    assert validator.check_response("DELETE", path, 409, {}, json_bytes(good))  # not documented for DELETE
    assert validator.check_response("POST", path + "/cancel", 409, {}, json_bytes(good))  # nor for cancel
    assert validator.check_response("GET", path, 404, {}, json_bytes({"detail": "Not Found"}))  # not an ErrorResponse
    execution = {"id": str(uuid.uuid4()), "status": "archived"}
    assert validator.check_response("GET", path, 200, {}, json_bytes(execution))
    query = {"flow_id": [str(uuid.uuid4())], "status": ["failed", "stale"], "page": ["1"], "page_size": ["1000"]}
    assert validator.check_request("GET", "/flow-executions", query, {}, b"") == []
    assert validator.check_request("POST", path + "/execute", {"only_stale": ["false"]}, {}, b"") == []
    assert validator.check_request("GET", "/flow-executions", {"flow_id": [str(uuid.uuid4())], "page_size": ["5000"]}, {}, b"")


def json_bytes(value):
    return json.dumps(value).encode("utf-8")


# -- shared switches ------------------------------------------------------------------------------


def test_every_nth_request_is_a_429_and_not_processed(api, emulator, flow):
    emulator.configure(rate_limit_every=2, retry_after=3)
    targets = execution_ids(emulator.scenario, flow, ["failed"])[:2]
    statuses = [api.post("%s/%s/execute" % (LIST, target)) for target in targets]
    assert [r.status_code for r in statuses] == [204, 429]
    assert statuses[1].headers["Retry-After"] == "3"
    assert list(emulator.execute_calls) == targets[:1]


def test_latency_faults_request_log_and_admin(api, emulator, flow):
    target = first(emulator, flow, "failed")
    emulator.configure(faults=[{"method": "POST", "path": "/execute$", "status": 503}], latency_ms=100)
    started = time.monotonic()
    assert api.post("%s/%s/execute" % (LIST, target), params={"only_stale": "true"}).status_code == 503
    assert time.monotonic() - started >= 0.1
    assert emulator.execute_calls == {}
    assert api.post("%s/%s/execute" % (LIST, target), params={"only_stale": "true"}).status_code == 204
    log = emulator.requests
    assert [(e["method"], e["path"], e["status"], e["query"]) for e in log] == [
        ("POST", "/flow-executions/%s/execute" % target, 503, {"only_stale": "true"}),
        ("POST", "/flow-executions/%s/execute" % target, 204, {"only_stale": "true"})]
    state = requests.get(emulator.url + "/_emulator/state", timeout=10).json()
    assert state["execute_calls"] == {target: [True]} and state["in_flight"] == 1
    assert requests.post(emulator.url + "/_emulator/config", json={"run_seconds": 5}, timeout=10).json()["run_seconds"] == 5
    assert len(emulator.requests) == 2  # admin calls are not logged


# -- scenarios ------------------------------------------------------------------------------------


def test_generator_is_deterministic_and_shaped():
    scenario = generate(flows=3, executions=8, running=2, deleted=1, seed=5)
    assert scenario == generate(flows=3, executions=8, running=2, deleted=1, seed=5)
    assert scenario != generate(flows=3, executions=8, running=2, deleted=1, seed=6)
    assert len(scenario["flows"]) == 3 and len(scenario["executions"]) == 3 * (8 + 2 + 1)
    ids = [e["id"] for e in scenario["executions"]] + flow_ids(scenario)
    assert len(set(ids)) == len(ids) and all(str(uuid.UUID(value)) == value for value in ids)
    for item in scenario["executions"]:
        assert item["terminable"] == (item["status"] != "running")
        assert 1 <= item["flow_version"] <= next(f["version"] for f in scenario["flows"] if f["id"] == item["flow_id"])
        assert not item["fail_again"] or item["status"] in ("failed", "stale")
    everything_fails = generate(flows=1, executions=20, failed_share=1.0, fail_again_share=1.0, running=0, deleted=0)
    assert {(e["status"], e["fail_again"]) for e in everything_fails["executions"]} == {("failed", 1)}


def test_parse_spec_and_state_checks():
    assert parse_spec("flows=2, executions=5,failed_share=0.5,seed=9") == {"flows": 2, "executions": 5, "failed_share": 0.5,
                                                                           "seed": 9}
    with pytest.raises(ValueError, match="bad generator setting 'instances=3'"):
        parse_spec("instances=3")
    scenario = generate(flows=1, executions=1)
    scenario["executions"][0]["flow_id"] = str(uuid.uuid4())
    with pytest.raises(ValueError, match="unknown flow"):
        SuperAIState(scenario)


def test_cli_serves_a_generated_scenario_until_sigterm(tmp_path):
    port_file, saved = tmp_path / "port", tmp_path / "scenario.json"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "superai", "--generate", "flows=2,executions=3,seed=4",
                             "--port-file", str(port_file), "--token", "cli-token", "--save-scenario", str(saved),
                             "--rate-limit-every", "3", "--strict"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), proc.stderr.read() if proc.poll() is not None else line
        url = line[len("listening on "):]
        assert port_file.read_text().strip() == url.rsplit(":", 1)[1]
        scenario = scenario_files.load(str(saved))
        assert scenario == dict(generate(flows=2, executions=3, seed=4), token="cli-token")
        flow_id = flow_ids(scenario)[0]
        params = {"flow_id": flow_id, "page_size": 100}
        assert requests.get(url + LIST, params=params, headers={"Authorization": "Bearer cli-token"},
                            timeout=10).status_code == 200
        assert requests.get(url + LIST, params=params, headers={"Authorization": "Bearer superai-emulator-token"},
                            timeout=10).status_code == 401
        assert requests.get(url + LIST, params=params, headers={"X-API-Key": "saf_emulator_key"}, timeout=10).status_code == 429
        assert requests.get(url + LIST, params=params, headers={"X-API-Key": "saf_emulator_key"}, timeout=10).status_code == 200
        violations = requests.get(url + "/_emulator/violations", timeout=10).json()
        assert violations == {"violations": [], "internal_errors": []}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
