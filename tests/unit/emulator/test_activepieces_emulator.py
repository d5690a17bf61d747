"""The Activepieces emulator over HTTP: auth, seek paging, filters, retries that create runs, bulk actions, switches, CLI."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from emulator import activepieces_state as ap

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


def failed_run(emulator, kind=None, fail_again=None):
    return next(run for run in emulator.scenario["runs"] if run.get("kind") and (kind is None or run["kind"] == kind)
                and (fail_again is None or run["fail_again"] == fail_again)
                and run["flowId"] in ap.flow_ids(emulator.scenario, disabled=False))


def test_auth_and_project_checks(emulator, api, api_for):
    assert api_for(emulator, token="wrong").get("/v1/flows", params={"projectId": emulator.project_id}).json()["code"] == "AUTHENTICATION"
    assert requests.get(emulator.url + "/v1/flows", timeout=10).status_code == 401
    assert api.get("/v1/flows").status_code == 400
    assert api.get("/v1/flow-runs", params={"projectId": "someoneElse00000000000"}).status_code == 403
    assert api.get("/api/v1/flows", params={"projectId": emulator.project_id}).status_code == 200
    missing = api.get("/v1/flow-runs/nope")
    assert (missing.status_code, missing.json()["code"]) == (404, "FLOW_RUN_NOT_FOUND")


def test_cursor_paging_newest_first_with_previous_and_limits(emulator, api):
    everything, pages = list_all(api, emulator, limit=4)
    assert pages == 6 and len(everything) == 21
    assert len({run["id"] for run in everything}) == 21
    assert [run["created"] for run in everything] == sorted((run["created"] for run in everything), reverse=True)
    first = api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "limit": 4}).json()
    assert first["previous"] is None
    second = api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "limit": 4, "cursor": first["next"]}).json()
    back = api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "limit": 4, "cursor": second["previous"]}).json()
    assert [run["id"] for run in back["data"]] == [run["id"] for run in first["data"]]
    assert len(api.get("/v1/flow-runs", params={"projectId": emulator.project_id}).json()["data"]) == 10
    assert api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "limit": 101}).status_code == 400
    assert api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "cursor": "garbage"}).status_code == 400


def test_filters(emulator, api):
    flow_id = ap.flow_ids(emulator.scenario)[0]
    scenario_runs = [run for run in emulator.scenario["runs"] if run["flowId"] == flow_id]
    failed, dummy = list_all(api, emulator, flowId=flow_id, status=["FAILED", "TIMEOUT"], limit=100)
    assert {run["id"] for run in failed} == {run["id"] for run in scenario_runs if run["status"] in ("FAILED", "TIMEOUT")}
    step, dummy = list_all(api, emulator, failedStepName="step_1", limit=100)
    assert step and all(run["failedStepName"] == "step_1" for run in step)
    tagged, dummy = list_all(api, emulator, tags=["vip"], limit=100)
    assert {run["id"] for run in tagged} == {run["id"] for run in emulator.scenario["runs"] if "vip" in run["tags"]}
    middle = sorted(run["created"] for run in emulator.scenario["runs"])[10]
    after, dummy = list_all(api, emulator, createdAfter=middle, limit=100)
    assert len(after) == 11
    some = [run["id"] for run in scenario_runs[:2]]
    by_id, dummy = list_all(api, emulator, flowRunIds=some)
    assert {run["id"] for run in by_id} == set(some)
    assert api.get("/v1/flow-runs", params={"projectId": emulator.project_id, "status": "BROKEN"}).status_code == 400


def test_flows_list_and_get(emulator, api):
    listed = api.get("/v1/flows", params={"projectId": emulator.project_id, "limit": 2}).json()
    assert len(listed["data"]) == 2 and listed["next"]
    flow = emulator.scenario["flows"][-1]
    got = api.get("/v1/flows/%s" % flow["id"]).json()
    assert (got["status"], got["version"]["displayName"], got["projectId"]) == ("DISABLED", flow["displayName"], emulator.project_id)
    folder = api.get("/v1/flows", params={"projectId": emulator.project_id, "folderId": flow["folderId"]}).json()["data"]
    assert {item["id"] for item in folder} == {f["id"] for f in emulator.scenario["flows"] if f["folderId"] == flow["folderId"]}
    assert api.get("/v1/flows/unknown").status_code == 404


def test_retry_creates_a_new_run_and_marks_the_retried_one(emulator, api):
    original = failed_run(emulator, fail_again=0)
    body = {"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP"}
    new = api.post("/v1/flow-runs/%s/retry" % original["id"], json=body).json()
    assert new["id"] != original["id"] and new["status"] == "RUNNING" and new["retryOf"] == original["id"]
    assert api.get("/v1/flow-runs/%s" % original["id"]).json()["retriedBy"] == new["id"]
    again = api.post("/v1/flow-runs/%s/retry" % original["id"], json=body)
    assert (again.status_code, again.json()["code"]) == (409, "FLOW_RUN_NOT_RETRYABLE")
    assert emulator.retry_counts == {original["id"]: 1}
    assert api.get("/v1/flow-runs/%s" % new["id"]).json()["status"] == "RUNNING"
    finished = api.get("/v1/flow-runs/%s" % new["id"]).json()  # the second poll finishes it
    assert finished["status"] == "SUCCEEDED" and finished["finishTime"] and finished["steps"]["trigger"]["output"]
    assert original["id"] not in {run["id"] for run in emulator.state.open_failed_runs()}
    bad = api.post("/v1/flow-runs/%s/retry" % original["id"], json={"projectId": emulator.project_id, "strategy": "SOMETIME"})
    assert bad.status_code == 400


def test_a_retry_that_fails_again_keeps_the_chain_and_the_failure(emulator, api):
    emulator.configure(run_seconds=0)
    original = failed_run(emulator, fail_again=1)
    body = {"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP"}
    first = api.post("/v1/flow-runs/%s/retry" % original["id"], json=body).json()
    failed = api.get("/v1/flow-runs/%s" % first["id"]).json()
    assert (failed["status"], failed.get("failedStepName")) == (original["status"], original["failedStepName"])
    second = api.post("/v1/flow-runs/%s/retry" % first["id"], json=body).json()
    assert second["retryOf"] == original["id"]
    assert api.get("/v1/flow-runs/%s" % second["id"]).json()["status"] == "SUCCEEDED"
    assert emulator.retry_counts[original["id"]] == 2


def test_on_latest_version_runs_the_flows_current_version(emulator, api):
    original = failed_run(emulator)
    emulator.state.flows[original["flowId"]]["versionId"] = "v2" * 10 + "x"
    new = api.post("/v1/flow-runs/%s/retry" % original["id"],
                   json={"projectId": emulator.project_id, "strategy": "ON_LATEST_VERSION"}).json()
    assert new["flowVersionId"] == "v2" * 10 + "x"


def test_bulk_retry_by_ids_and_by_filters(emulator, api):
    flow_id = ap.flow_ids(emulator.scenario)[0]
    runs = [run for run in emulator.scenario["runs"] if run["flowId"] == flow_id]
    failed = [run["id"] for run in runs if run.get("kind")]
    succeeded = [run["id"] for run in runs if not run.get("kind")]
    created = api.post("/v1/flow-runs/retry", json={"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP",
                                                    "flowRunIds": failed[:2] + succeeded[:1]}).json()
    assert sorted(run["retryOf"] for run in created) == sorted(failed[:2])
    rest = api.post("/v1/flow-runs/retry", json={"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP",
                                                 "flowId": [flow_id], "excludeFlowRunIds": failed[2:3]}).json()
    assert sorted(run["retryOf"] for run in rest) == sorted(failed[3:])
    assert api.post("/v1/flow-runs/retry", json={"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP",
                                                 "flowRunIds": failed[:2]}).json() == []
    assert api.post("/v1/flow-runs/retry", json={"projectId": emulator.project_id, "flowRunIds": failed}).status_code == 400


def test_bulk_archive_and_cancel(emulator, api):
    original = failed_run(emulator)
    body = {"projectId": emulator.project_id, "flowRunIds": [original["id"]]}
    assert api.post("/v1/flow-runs/archive", json=body).status_code == 204
    visible, dummy = list_all(api, emulator, limit=100)
    archived, dummy = list_all(api, emulator, limit=100, includeArchived="true")
    assert original["id"] not in {run["id"] for run in visible}
    assert [run["archivedAt"] is not None for run in archived if run["id"] == original["id"]] == [True]
    other = failed_run(emulator, kind=next(r["kind"] for r in emulator.scenario["runs"] if r.get("kind") and r["id"] != original["id"]))
    new = api.post("/v1/flow-runs/%s/retry" % other["id"], json={"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP"}).json()
    assert api.post("/v1/flow-runs/cancel", json={"projectId": emulator.project_id, "status": ["RUNNING"]}).status_code == 204
    assert emulator.state.runs[new["id"]]["status"] == "STOPPED"
    assert api.post("/v1/flow-runs/cancel", json={"projectId": emulator.project_id, "status": ["FAILED"]}).status_code == 400


def test_paging_is_stable_while_retries_add_runs(emulator, api):
    params = {"projectId": emulator.project_id, "limit": 5, "status": list(ap.FAILED)}
    first = api.get("/v1/flow-runs", params=params).json()
    api.post("/v1/flow-runs/retry", json={"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP",
                                          "flowRunIds": [run["id"] for run in first["data"]]})
    seen = [run["id"] for run in first["data"]]
    params["cursor"] = first["next"]
    while params["cursor"]:
        body = api.get("/v1/flow-runs", params=params).json()
        seen.extend(run["id"] for run in body["data"])
        params["cursor"] = body["next"]
    assert sorted(seen) == sorted(run["id"] for run in emulator.scenario["runs"] if run.get("kind"))


def test_rate_limit_every_nth_request_is_a_429_not_processed(emulator, api):
    emulator.configure(rate_limit_every=2, retry_after=3)
    original = failed_run(emulator)
    body = {"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP"}
    assert api.get("/v1/flows", params={"projectId": emulator.project_id}).status_code == 200
    limited = api.post("/v1/flow-runs/%s/retry" % original["id"], json=body)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    assert emulator.retry_counts == {}
    assert api.post("/v1/flow-runs/%s/retry" % original["id"], json=body).status_code == 200


def test_latency_faults_log_and_admin(emulator, api):
    emulator.configure(latency_ms=100, faults=[{"method": "POST", "path": "/retry$", "action": "status", "status": 503},
                                               {"method": "POST", "path": "/archive$", "action": "reset_after"}])
    original = failed_run(emulator)
    started = time.monotonic()
    assert api.post("/v1/flow-runs/retry", json={"projectId": emulator.project_id, "strategy": "FROM_FAILED_STEP",
                                                 "flowRunIds": [original["id"]]}).status_code == 503
    assert time.monotonic() - started >= 0.1
    assert emulator.retry_counts == {}
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
    assert ap.parse_spec("flows=2,kinds=quota:2/value,fail_again_share=0.5") == {
        "flows": 2, "kinds": {"quota": 2.0, "value": 1.0}, "fail_again_share": 0.5}
    with pytest.raises(ValueError):
        ap.parse_spec("colour=blue")


def test_cli_serves_the_platform_until_sigterm(tmp_path):
    port_file, saved = tmp_path / "port", tmp_path / "scenario.json"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "activepieces", "--generate", "flows=2,seed=5", "--token", "t0k",
                             "--port-file", str(port_file), "--save-scenario", str(saved), "--rate-limit-every", "3"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()[len("listening on "):]
        assert url.startswith("http://127.0.0.1:") and port_file.read_text().strip() == url.rsplit(":", 1)[1]
        scenario = ap.generate(flows=2, seed=5)
        headers = {"Authorization": "Bearer t0k"}
        listed = requests.get(url + "/v1/flows", params={"projectId": scenario["project_id"]}, headers=headers, timeout=10)
        assert [flow["id"] for flow in listed.json()["data"]] == ap.flow_ids(scenario)
        assert requests.get(url + "/v1/flows", headers={"Authorization": "Bearer emulator-token"}, timeout=10).status_code == 401
        assert requests.get(url + "/v1/flows", headers=headers, timeout=10).status_code == 429
        assert ap.generate(flows=2, seed=5) == dict(json.loads(saved.read_text()), token="emulator-token")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
