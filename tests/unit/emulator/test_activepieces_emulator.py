"""The Activepieces emulator over HTTP, against what the public source does (docs/platforms/activepieces.md has the table)."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from ansible_collections.flowops.ipaas.tests.emulator.activepieces import state as ap

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def emulator(activepieces_emulator_factory):
    return activepieces_emulator_factory(ap.generate(flows=3, disabled=1, failed_runs=5, succeeded_runs=2,
                                                     fail_again_share=0.5, seed=7), run_seconds=30)


@pytest.fixture
def api(emulator, api_for):
    return api_for(emulator)


def list_all(api, emulator, **query):
    """Every run the listing returns for ``query``, following ``next``; also returns the number of pages."""
    params = dict(query, projectId=emulator.project_id)
    found, pages = [], 0
    while True:
        body = api.get("/v1/flow-runs", params=params).json()
        found.extend(body["data"])
        pages += 1
        if not body["next"]:
            return found, pages
        params["cursor"] = body["next"]


def failed_run(emulator, kind=None, fail_again=None, step=True):
    return next(run for run in emulator.scenario["runs"] if run.get("kind") and (kind is None or run["kind"] == kind)
                and (fail_again is None or run["fail_again"] == fail_again) and (not step or run["failed_step"])
                and run["flowId"] in ap.flow_ids(emulator.scenario, disabled=False))


def retry_body(emulator, strategy="FROM_FAILED_STEP", **fields):
    return dict({"projectId": emulator.project_id, "strategy": strategy}, **fields)


def taking_violations(emulator):
    """The contract violations recorded so far (cleared: the test sent them on purpose)."""
    found = list(emulator.openapi_violations)
    emulator.openapi_violations.clear()
    return found


def test_auth_errors_are_code_and_params(emulator, api, api_for):
    wrong = api_for(emulator, token="sk-wrong").get("/v1/flows", params={"projectId": emulator.project_id})
    assert (wrong.status_code, wrong.json()) == (401, {"code": "AUTHENTICATION", "params": {"message": "invalid api key"}})
    assert requests.get(emulator.url + "/v1/flows", timeout=10).json()["code"] == "AUTHORIZATION"  # no key: 403 at authorization
    assert api.get("/api/v1/flows", params={"projectId": emulator.project_id}).status_code == 200
    assert api.get("/v1/flow-runs", params={"projectId": "someoneElse0000000000"}).status_code == 403
    missing = api.get("/v1/flow-runs/%s" % ("n" * 21))
    assert (missing.status_code, missing.json()) == (404, {"code": "ENTITY_NOT_FOUND", "params": {
        "entityId": "n" * 21, "entityType": "flow_run", "message": "Flow run not found"}})
    refused = api.get("/v1/flows")  # the route schema refuses it: Fastify's shape
    assert (refused.status_code, refused.json()["code"]) == (400, "FST_ERR_VALIDATION")
    assert api.get("/v1/flow-runs/nope").status_code == 400  # not an ApId: the route schema refuses it
    assert [item["kind"] for item in taking_violations(emulator)] == ["request"] * 3


def test_seek_paging_newest_first_without_a_maximum_limit(emulator, api):
    everything, pages = list_all(api, emulator, limit=4)
    assert pages == 6 and len({run["id"] for run in everything}) == 21
    assert [run["created"] for run in everything] == sorted((run["created"] for run in everything), reverse=True)
    first = api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "limit": 4}).json()
    assert first["previous"] is None
    second = api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "limit": 4, "cursor": first["next"]}).json()
    back = api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "limit": 4, "cursor": second["previous"]}).json()
    assert [run["id"] for run in back["data"]] == [run["id"] for run in first["data"]]
    sizes = {limit: len(api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "limit": limit}).json()["data"])
             for limit in (None, 0, -1, 500)}
    assert sizes == {None: 10, 0: 21, -1: 21, 500: 21}
    assert api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "cursor": "garbage"}).status_code == 400


def test_filters_are_the_servers(emulator, api):
    flow_id = ap.flow_ids(emulator.scenario)[0]
    scenario_runs = [run for run in emulator.scenario["runs"] if run["flowId"] == flow_id]
    failed, dummy = list_all(api, emulator, flowId=flow_id, status=["FAILED", "TIMEOUT"], limit=100)
    assert {run["id"] for run in failed} == {run["id"] for run in scenario_runs if run["status"] in ("FAILED", "TIMEOUT")}
    step, dummy = list_all(api, emulator, failedStepName="step_1", limit=100)
    assert step and all(run["failedStep"]["name"] == "step_1" for run in step)
    tagged, dummy = list_all(api, emulator, tags=["vip"], limit=100)
    assert {run["id"] for run in tagged} == {run["id"] for run in emulator.scenario["runs"] if "vip" in run["tags"]}
    middle = sorted(run["created"] for run in emulator.scenario["runs"])[10]
    after, dummy = list_all(api, emulator, createdAfter=middle, limit=100)  # inclusive: created >= createdAfter
    before, dummy = list_all(api, emulator, createdBefore=middle, limit=100)
    assert (len(after), len(before)) == (11, 11)
    some = [run["id"] for run in scenario_runs[:2]]
    assert {run["id"] for run in list_all(api, emulator, flowRunIds=some)[0]} == set(some)
    assert api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "status": "STOPPED"}).status_code == 400
    assert len(taking_violations(emulator)) == 1


def test_the_failed_steps_message_is_only_in_the_steps_of_get_by_id(emulator, api):
    original = failed_run(emulator)
    listed = next(run for run in list_all(api, emulator, limit=100)[0] if run["id"] == original["id"])
    assert "steps" not in listed and listed["failedStep"] == {"name": original["failed_step"],
                                                              "displayName": ap.STEP_NAMES[original["failed_step"]]}
    assert not {"retryOf", "retriedBy", "failedStepName"} & set(listed)
    got = api.get("/v1/flow-runs/%s" % original["id"]).json()
    assert got["steps"][original["failed_step"]] == {"type": "PIECE", "status": "FAILED", "input": {}, "duration": 80,
                                                     "errorMessage": original["message"]}
    assert got["steps"]["trigger"]["output"]


def test_flows_list_and_get(emulator, api):
    listed = api.get("/v1/flows", params={"projectId": emulator.project_id, "limit": 2}).json()
    assert len(listed["data"]) == 2 and listed["next"]
    flow = emulator.scenario["flows"][-1]
    got = api.get("/v1/flows/%s" % flow["id"]).json()
    assert (got["status"], got["version"]["displayName"], got["projectId"]) == ("DISABLED", flow["displayName"], emulator.project_id)
    folder = api.get("/v1/flows", params={"projectId": emulator.project_id, "folderId": flow["folderId"]}).json()["data"]
    assert {item["id"] for item in folder} == {f["id"] for f in emulator.scenario["flows"] if f["folderId"] == flow["folderId"]}
    assert api.get("/v1/flows/%s" % ("x" * 21)).json()["code"] == "ENTITY_NOT_FOUND"


def test_from_failed_step_requeues_the_same_run_then_it_ends_again(emulator, api):
    emulator.configure(run_seconds=1.0)
    original = failed_run(emulator, fail_again=1)
    before = api.get("/v1/flow-runs/%s" % original["id"]).json()
    queued = api.post("/v1/flow-runs/%s/retry" % original["id"], json=retry_body(emulator)).json()
    assert (queued["id"], queued["status"]) == (original["id"], "QUEUED")
    assert (queued["finishTime"], queued["failedStep"]) == (before["finishTime"], before["failedStep"])  # only status is written
    time.sleep(0.6)
    assert api.get("/v1/flow-runs/%s" % original["id"]).json()["status"] == "RUNNING"
    time.sleep(0.6)
    failed = api.get("/v1/flow-runs/%s" % original["id"]).json()
    assert failed["status"] == original["status"] and failed["finishTime"] > before["finishTime"]
    assert failed["steps"][original["failed_step"]]["errorMessage"] == original["message"]
    api.post("/v1/flow-runs/retry", json=retry_body(emulator, flowRunIds=[original["id"]]))
    time.sleep(1.1)
    assert api.get("/v1/flow-runs/%s" % original["id"]).json()["status"] == "SUCCEEDED"
    assert emulator.retry_counts == {original["id"]: 2} and len(emulator.state.runs) == 21


def test_an_older_server_keeps_the_old_status_until_the_run_is_requeued(emulator, api):
    emulator.configure(run_seconds=0.6, requeue_delay=0.5)
    original = failed_run(emulator, fail_again=0)
    answered = api.post("/v1/flow-runs/retry", json=retry_body(emulator, flowRunIds=[original["id"]])).json()
    assert [run["status"] for run in answered] == [original["status"]]
    time.sleep(0.7)
    assert api.get("/v1/flow-runs/%s" % original["id"]).json()["status"] in ("QUEUED", "RUNNING")
    time.sleep(0.6)
    assert api.get("/v1/flow-runs/%s" % original["id"]).json()["status"] == "SUCCEEDED"


def test_on_latest_version_starts_a_new_run_and_leaves_the_old_one(emulator, api):
    original = failed_run(emulator)
    emulator.state.runs[original["id"]]["parentRunId"] = "parent00000000000000a"
    emulator.state.flows[original["flowId"]]["versionId"] = "v2" * 10 + "x"
    new = api.post("/v1/flow-runs/%s/retry" % original["id"], json=retry_body(emulator, "ON_LATEST_VERSION")).json()
    assert new["id"] != original["id"] and new["status"] == "QUEUED" and new["flowVersionId"] == "v2" * 10 + "x"
    assert new["parentRunId"] == "parent00000000000000a"  # copied from the old run's own parent, never the old run's id
    assert api.get("/v1/flow-runs/%s" % new["id"]).json()["steps"] == {}  # no logs file yet
    old = api.get("/v1/flow-runs/%s" % original["id"]).json()
    assert (old["status"], old["archivedAt"]) == (original["status"], None)
    assert emulator.retry_counts == {original["id"]: 1}


def test_bulk_retry_answers_in_the_servers_order_with_errors_for_runs_it_could_not_retry(emulator, api):
    emulator.configure(retention_days=30)
    flow_id = ap.flow_ids(emulator.scenario)[0]
    runs = sorted((run for run in emulator.scenario["runs"] if run["flowId"] == flow_id and run.get("kind")), key=lambda run: run["created"])
    old = runs[1]["id"]
    emulator.state.runs[old]["created"] = (datetime.now(timezone.utc) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    asked = [run["id"] for run in reversed(runs)]
    answer = api.post("/v1/flow-runs/retry", json=retry_body(emulator, flowRunIds=asked)).json()
    assert [entry["id"] for entry in answer] == [run["id"] for run in runs]  # oldest first, not the request's order
    assert answer[1]["error"] == {"errorCode": "FLOW_RUN_RETRY_OUTSIDE_RETENTION", "errorMessage": "FLOW_RUN_RETRY_OUTSIDE_RETENTION"}
    assert answer[1]["status"] == runs[1]["status"] and all("error" not in entry for entry in answer[2:])
    single = api.post("/v1/flow-runs/%s/retry" % old, json=retry_body(emulator))
    assert (single.status_code, single.json()) == (410, {"code": "FLOW_RUN_RETRY_OUTSIDE_RETENTION",
                                                         "params": {"flowRunId": old, "failedJobRetentionDays": 30}})
    emulator.configure(legacy_nulls=True)
    assert api.post("/v1/flow-runs/retry", json=retry_body(emulator, flowRunIds=[old])).json() == [None]


def test_bulk_retry_filters_and_the_empty_flow_run_ids_hazard(emulator, api):
    flow_id = ap.flow_ids(emulator.scenario)[0]
    succeeded = next(run["id"] for run in emulator.scenario["runs"] if run["flowId"] == flow_id and not run.get("kind"))
    failed = [run["id"] for run in emulator.scenario["runs"] if run["flowId"] == flow_id and run.get("kind")]
    narrowed = api.post("/v1/flow-runs/retry", json=retry_body(emulator, flowRunIds=[succeeded, failed[0]], status=list(ap.FAILED))).json()
    assert [entry["id"] for entry in narrowed] == [failed[0]]
    anything = api.post("/v1/flow-runs/retry", json=retry_body(emulator, flowRunIds=[succeeded])).json()
    assert [entry["status"] for entry in anything] == ["QUEUED"]  # no "must be failed" check on the server
    every = api.post("/v1/flow-runs/retry", json=retry_body(emulator, "ON_LATEST_VERSION", flowRunIds=[], flowId=[flow_id])).json()
    assert len(every) == 7  # an empty flowRunIds selects every run the other filters match
    assert ["flowRunIds" in item["message"] for item in taking_violations(emulator)] == [True]
    bad = api.post("/v1/flow-runs/retry", json={"projectId": emulator.project_id, "flowRunIds": failed})
    assert (bad.status_code, bad.json()["code"]) == (400, "FST_ERR_VALIDATION")
    taking_violations(emulator)


def test_archive_hides_runs_from_the_default_listing_and_cancel(emulator, api):
    original = failed_run(emulator)
    archived = api.post("/v1/flow-runs/archive", json={"projectId": emulator.project_id, "flowRunIds": [original["id"]]})
    assert (archived.status_code, archived.content) == (200, b"")
    assert original["id"] not in {run["id"] for run in list_all(api, emulator, limit=100)[0]}
    shown = [run for run in list_all(api, emulator, limit=100, includeArchived="true")[0] if run["id"] == original["id"]]
    assert shown[0]["archivedAt"] and shown[0]["status"] == original["status"]
    again = api.post("/v1/flow-runs/retry", json=retry_body(emulator, flowRunIds=[original["id"]])).json()
    assert [entry["id"] for entry in again] == [original["id"]]  # bulk retry does not skip archived runs
    assert api.post("/v1/flow-runs/cancel", json={"projectId": emulator.project_id, "flowRunIds": [original["id"]]}).status_code == 200
    assert emulator.state.runs[original["id"]]["status"] == "CANCELED"
    refused = api.post("/v1/flow-runs/cancel", json={"projectId": emulator.project_id, "flowRunIds": [original["id"]], "status": ["FAILED"]})
    assert refused.status_code == 400 and len(taking_violations(emulator)) == 1


def test_the_contract_catches_invented_fields_in_the_emulators_own_answers(emulator, api):
    original = failed_run(emulator)
    emulator.state.runs[original["id"]]["retryOf"] = original["id"]
    api.get("/v1/flow-runs/%s" % original["id"])
    violations = taking_violations(emulator)
    assert [item["kind"] for item in violations] == ["response"] and "retryOf" in violations[0]["message"]


def test_paging_is_stable_while_retries_add_runs(emulator, api):
    params = {"projectId": emulator.project_id, "limit": 5, "status": list(ap.FAILED)}
    first = api.get("/v1/flow-runs", params=params).json()
    api.post("/v1/flow-runs/retry", json=retry_body(emulator, "ON_LATEST_VERSION", flowRunIds=[run["id"] for run in first["data"]]))
    seen = [run["id"] for run in first["data"]]
    params["cursor"] = first["next"]
    while params["cursor"]:
        body = api.get("/v1/flow-runs", params=params).json()
        seen.extend(run["id"] for run in body["data"])
        params["cursor"] = body["next"]
    assert sorted(seen) == sorted(run["id"] for run in emulator.scenario["runs"] if run.get("kind"))


def test_rate_limit_latency_faults_log_and_admin(emulator, api):
    emulator.configure(rate_limit_every=2, retry_after=3)
    original = failed_run(emulator)
    assert api.get("/v1/flows", params={"projectId": emulator.project_id}).status_code == 200
    limited = api.post("/v1/flow-runs/%s/retry" % original["id"], json=retry_body(emulator))
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3") and emulator.retry_counts == {}
    emulator.configure(rate_limit_every=0, latency_ms=100,
                       faults=[{"method": "POST", "path": "/retry$", "action": "status", "status": 503},
                               {"method": "POST", "path": "/archive$", "action": "reset_after"}])
    emulator.clear_requests()
    started = time.monotonic()
    assert api.post("/v1/flow-runs/retry", json=retry_body(emulator, flowRunIds=[original["id"]])).status_code == 503
    assert time.monotonic() - started >= 0.1 and emulator.retry_counts == {}
    with pytest.raises(requests.exceptions.ConnectionError):
        api.post("/v1/flow-runs/archive", json={"projectId": emulator.project_id, "flowRunIds": [original["id"]]})
    assert emulator.state.runs[original["id"]]["archivedAt"]  # processed before the reset
    assert [(entry["method"], entry.get("fault")) for entry in emulator.requests] == [("POST", "status"), ("POST", "reset_after")]
    state = requests.get(emulator.url + "/_emulator/state", timeout=10).json()
    assert state["project_id"] == emulator.project_id and state["runs"] == 21
    small = ap.generate(flows=1, disabled=0, failed_runs=1, succeeded_runs=0, seed=1)
    assert requests.post(emulator.url + "/_emulator/scenario", json=small, timeout=10).status_code == 204
    assert emulator.project_id == small["project_id"]


def test_generator_is_deterministic():
    assert ap.generate(seed=3) == ap.generate(seed=3)
    assert ap.generate(seed=3) != ap.generate(seed=4)
    scenario = ap.generate(flows=2, disabled=1, failed_runs=3, succeeded_runs=1, kinds=["quota"], fail_again_share=1.0, seed=1)
    assert [flow["status"] for flow in scenario["flows"]] == ["ENABLED", "DISABLED"]
    failed = [run for run in scenario["runs"] if run["status"] != "SUCCEEDED"]
    assert len(failed) == 6 and {run["status"] for run in failed} == {"QUOTA_EXCEEDED"} and {r["fail_again"] for r in failed} == {1}
    assert all(len(run["id"]) == 21 and run["id"].isalnum() for run in scenario["runs"])
    assert ap.parse_spec("flows=2,kinds=quota:2/value,fail_again_share=0.5") == {
        "flows": 2, "kinds": {"quota": 2.0, "value": 1.0}, "fail_again_share": 0.5}
    with pytest.raises(ValueError):
        ap.parse_spec("colour=blue")


def test_cli_serves_the_platform_until_sigterm(tmp_path):
    port_file, saved = tmp_path / "port", tmp_path / "scenario.json"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "activepieces", "--generate", "flows=2,seed=5", "--token", "sk-t0k",
                             "--port-file", str(port_file), "--save-scenario", str(saved), "--rate-limit-every", "3", "--strict"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()[len("listening on "):]
        assert url.startswith("http://127.0.0.1:") and port_file.read_text().strip() == url.rsplit(":", 1)[1]
        scenario = ap.generate(flows=2, seed=5)
        headers = {"Authorization": "Bearer sk-t0k"}
        listed = requests.get(url + "/v1/flows", params={"projectId": scenario["project_id"]}, headers=headers, timeout=10)
        assert [flow["id"] for flow in listed.json()["data"]] == ap.flow_ids(scenario)
        assert requests.get(url + "/v1/flows", headers={"Authorization": "Bearer " + ap.DEFAULT_TOKEN}, timeout=10).status_code == 401
        assert requests.get(url + "/v1/flows", headers=headers, timeout=10).status_code == 429
        assert ap.generate(flows=2, seed=5) == dict(json.loads(saved.read_text()), token=ap.DEFAULT_TOKEN)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
