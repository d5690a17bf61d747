"""The Cloudflare Workflows emulator: envelope, auth, paging, instance statuses, restart/terminate, switches, CLI."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from emulator import cloudflare_state as cf
from emulator.__main__ import build_parser

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIO = cf.generate(workflows=2, instances=25, errored_share=0.6, fail_again_share=0.3, seed=3)


@pytest.fixture
def emulator(cloudflare_emulator_factory):
    return cloudflare_emulator_factory(SCENARIO, run_seconds=30)  # runs advance by polls only, unless a test says so


@pytest.fixture
def cf_api(emulator, api_for):
    return api_for(emulator)


def base(emulator, prefix="/client/v4"):
    return "%s/accounts/%s/workflows" % (prefix, emulator.account_id)


def instances(emulator, workflow="order-sync-1"):
    return base(emulator) + "/" + workflow + "/instances"


def patch(cf_api, emulator, instance_id, action, workflow="order-sync-1", **extra):
    return cf_api.call("PATCH", "%s/%s/status" % (instances(emulator, workflow), instance_id), json=dict(extra, status=action))


def every_page(cf_api, path, **query):
    """Follow result_info.cursor; returns (ids in order, number of requests)."""
    ids, requests_made, cursor = [], 0, None
    while True:
        params = dict(query, **({"cursor": cursor} if cursor else {}))
        body = cf_api.get(path, params=params).json()
        requests_made += 1
        ids.extend(item["id"] for item in body["result"])
        cursor = body["result_info"].get("cursor")
        if not cursor:
            return ids, requests_made


def errored_ids(workflow="order-sync-1"):
    return {item["id"] for item in cf.errored(SCENARIO, workflow)}


# -- envelope, auth, routing ----------------------------------------------------------------------


def test_success_envelope_under_both_prefixes(emulator, cf_api):
    for prefix in ("/client/v4", ""):
        body = cf_api.get(base(emulator, prefix) + "/order-sync-1").json()
        assert (body["success"], body["errors"], body["messages"]) == (True, [], [])
        assert body["result"]["name"] == "order-sync-1"
        counts = body["result"]["instances"]
        assert counts["errored"] == len(errored_ids())
        assert sum(counts.values()) == 25


@pytest.mark.parametrize("token, status, code", [(None, 400, 9106), ("wrong", 403, 10000)])
def test_auth_failures_in_the_envelope(emulator, token, status, code):
    headers = {"Authorization": "Bearer " + token} if token else {}
    response = requests.get(emulator.url + base(emulator), headers=headers, timeout=10)
    assert response.status_code == status
    assert response.json()["success"] is False and response.json()["errors"][0]["code"] == code


def test_unknown_account_route_and_workflow(emulator, cf_api):
    response = cf_api.get("/client/v4/accounts/other/workflows")
    assert (response.status_code, response.json()["errors"][0]["code"]) == (404, 7003)
    assert cf_api.get(base(emulator) + "/nope").status_code == 404
    unknown = cf_api.get("/client/v4/nothing/here")
    assert unknown.status_code == 404 and unknown.json()["success"] is False


def test_workflow_list_pages_and_searches(emulator, cf_api):
    first = cf_api.get(base(emulator), params={"per_page": 1}).json()
    assert [w["name"] for w in first["result"]] == ["order-sync-1"]
    assert first["result_info"] == {"page": 1, "per_page": 1, "count": 1, "total_count": 2, "total_pages": 2}
    second = cf_api.get(base(emulator), params={"per_page": 1, "page": 2}).json()
    assert [w["name"] for w in second["result"]] == ["order-sync-2"]
    assert [w["name"] for w in cf_api.get(base(emulator), params={"search": "SYNC-2"}).json()["result"]] == ["order-sync-2"]


# -- instance listing -------------------------------------------------------------------------------


def test_cursor_paging_lists_each_errored_instance_once_newest_first(emulator, cf_api):
    ids, pages = every_page(cf_api, instances(emulator), status="errored", per_page=4)
    assert sorted(ids) == sorted(errored_ids()) and len(ids) == len(set(ids))
    assert pages == -(-len(ids) // 4)
    created = {item["id"]: item["created_on"] for item in SCENARIO["instances"]}
    assert [created[i] for i in ids] == sorted((created[i] for i in ids), reverse=True)
    ascending, dummy = every_page(cf_api, instances(emulator), status="errored", per_page=4, direction="asc")
    assert ascending == list(reversed(ids))


def test_the_cursor_survives_instances_leaving_the_listing(emulator, cf_api):
    path = instances(emulator)
    first = cf_api.get(path, params={"status": "errored", "per_page": 3}).json()
    for item in first["result"]:
        assert patch(cf_api, emulator, item["id"], "restart").status_code == 200
    rest, dummy = every_page(cf_api, path, status="errored", per_page=3, cursor=first["result_info"]["cursor"])
    assert sorted(rest + [item["id"] for item in first["result"]]) == sorted(errored_ids())


def test_page_paging_totals_and_the_page_size_switch(emulator, cf_api):
    emulator.configure(page_size=5)
    body = cf_api.get(instances(emulator), params={"status": "errored", "per_page": 100, "page": 2}).json()
    total = len(errored_ids())
    assert body["result_info"] == {"page": 2, "per_page": 5, "count": min(5, total - 5), "total_count": total}
    assert "cursor" not in body["result_info"]


@pytest.mark.parametrize("query", [{"page": 1, "cursor": "x"}, {"per_page": 101}, {"per_page": 0}, {"status": "failed"},
                                   {"direction": "up"}, {"cursor": "!!"}, {"date_start": "2026-11-20T00:00:00+02:00"},
                                   {"date_end": "yesterday"}])
def test_bad_listing_queries_are_400(emulator, cf_api, query):
    response = cf_api.get(instances(emulator), params=query)
    assert response.status_code == 400 and response.json()["success"] is False


def test_date_window_bounds_created_on(emulator, cf_api):
    start, end = "2026-11-20T06:00:00Z", "2026-11-20T18:00:00"
    ids, dummy = every_page(cf_api, instances(emulator), date_start=start, date_end=end, per_page=100)
    expected = {item["id"] for item in SCENARIO["instances"] if item["workflow"] == "order-sync-1"
                and "2026-11-20T06:00:00" <= item["created_on"] < "2026-11-20T18:00:00"}
    assert set(ids) == expected and expected


# -- restart, terminate, pause, resume, create, events ---------------------------------------------


def _instance(emulator, cf_api, instance_id, workflow="order-sync-1"):
    return cf_api.get("%s/%s" % (instances(emulator, workflow), instance_id)).json()["result"]


def test_restart_runs_from_the_beginning_and_fails_again_under_a_new_end_time(emulator, cf_api):
    raw = next(item for item in cf.errored(SCENARIO, "order-sync-1") if item["fail_again"])
    before = _instance(emulator, cf_api, raw["id"])
    assert before["error"] == raw["error"] and before["steps"][-1]["name"] == raw["failed_step"]
    response = patch(cf_api, emulator, raw["id"], "restart").json()["result"]
    assert response["status"] == "queued" and response["timestamp"]
    assert raw["id"] not in every_page(cf_api, instances(emulator), status="errored", per_page=100)[0]
    statuses = [_instance(emulator, cf_api, raw["id"])["status"] for dummy in range(3)]
    assert statuses == ["running", "errored", "errored"]
    after = cf_api.get(instances(emulator), params={"status": "errored", "per_page": 100}).json()["result"]
    again = next(item for item in after if item["id"] == raw["id"])
    assert again["ended_on"] != raw["ended_on"] and _instance(emulator, cf_api, raw["id"])["error"] == raw["error"]
    patch(cf_api, emulator, raw["id"], "restart")
    assert [_instance(emulator, cf_api, raw["id"])["status"] for dummy in range(2)] == ["running", "complete"]
    assert emulator.restart_counts == {raw["id"]: 2}


def test_runs_also_finish_by_time(emulator, cf_api):
    emulator.configure(run_seconds=0.1)
    raw = next(item for item in cf.errored(SCENARIO, "order-sync-1") if not item["fail_again"])
    patch(cf_api, emulator, raw["id"], "restart")
    time.sleep(0.15)
    assert emulator.state.statuses("order-sync-1")[raw["id"]] == "complete"


def test_terminate_pause_resume_rules(emulator, cf_api):
    by_status = {}
    for item in SCENARIO["instances"]:
        by_status.setdefault(item["status"], (item["id"], item["workflow"]))

    def change(status, action):
        instance_id, workflow = by_status[status]
        return patch(cf_api, emulator, instance_id, action, workflow=workflow)

    assert change("errored", "terminate").json()["result"]["status"] == "terminated"
    refused = change("complete", "terminate")
    assert refused.status_code == 409 and refused.json()["success"] is False
    assert change("errored", "terminate").status_code == 409  # now terminated
    cf_api.post(instances(emulator), json={"id": "fresh"})  # queued
    assert patch(cf_api, emulator, "fresh", "pause").json()["result"]["status"] == "paused"
    assert patch(cf_api, emulator, "fresh", "pause").status_code == 409
    assert patch(cf_api, emulator, "fresh", "resume").json()["result"]["status"] == "running"
    assert change("complete", "resume").status_code == 409
    assert emulator.terminate_counts == {by_status["errored"][0]: 1}


@pytest.mark.parametrize("body", [{"status": "rerun"}, {"status": "terminate", "from": {"name": "x"}}, {"status": "restart", "from": {}}])
def test_bad_status_changes_are_400(emulator, cf_api, body):
    instance_id = next(iter(errored_ids()))
    response = cf_api.call("PATCH", "%s/%s/status" % (instances(emulator), instance_id), json=body)
    assert response.status_code == 400 and response.json()["success"] is False


def test_create_batch_and_events(emulator, cf_api):
    created = cf_api.post(instances(emulator), json={"id": "mine", "params": {"a": 1}}).json()["result"]
    assert (created["id"], created["status"]) == ("mine", "queued")
    assert cf_api.post(instances(emulator), json={"id": "mine"}).status_code == 409
    batch = cf_api.post(instances(emulator) + "/batch", json=[{"id": "b1"}, {}]).json()["result"]
    assert [item["status"] for item in batch] == ["queued", "queued"] and batch[0]["id"] == "b1"
    assert cf_api.post(instances(emulator) + "/batch", json={}).status_code == 400
    waiting = next(item["id"] for item in SCENARIO["instances"] if item["workflow"] == "order-sync-1" and item["status"] == "waiting")
    assert cf_api.post("%s/%s/events/approved" % (instances(emulator), waiting), json={"ok": True}).json()["success"] is True
    assert emulator.state.statuses("order-sync-1")[waiting] == "running"


# -- shared switches: 429, faults, request log, admin ------------------------------------------------


def test_every_nth_request_is_a_429_in_the_envelope_and_not_processed(emulator, cf_api):
    instance_id = sorted(errored_ids())[0]
    emulator.configure(rate_limit_every=2, retry_after=7)
    assert cf_api.get(base(emulator)).status_code == 200
    limited = patch(cf_api, emulator, instance_id, "restart")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    assert limited.json() == {"success": False, "errors": [{"code": 971, "message": "Rate limit exceeded. Retry later."}],
                              "messages": [], "result": None}
    assert instance_id not in emulator.restart_counts
    assert patch(cf_api, emulator, instance_id, "restart").status_code == 200
    assert [entry["status"] for entry in emulator.requests] == [200, 429, 200]


def test_faults_latency_and_admin(emulator, cf_api):
    instance_id = sorted(errored_ids())[0]
    emulator.configure(faults=[{"method": "PATCH", "path": "/status$", "status": 503},
                               {"method": "GET", "path": "/order-sync-2$", "action": "raw", "status": 502, "body": "bad gateway",
                                "content_type": "text/plain"}])
    failed = patch(cf_api, emulator, instance_id, "restart")
    assert failed.status_code == 503 and failed.json()["errors"][0]["code"] == 10001
    assert instance_id not in emulator.restart_counts
    assert cf_api.get(base(emulator) + "/order-sync-2").text == "bad gateway"
    emulator.configure(latency_ms=120)
    started = time.monotonic()
    assert patch(cf_api, emulator, instance_id, "restart").status_code == 200
    assert time.monotonic() - started >= 0.12
    state = requests.get(emulator.url + "/_emulator/state", timeout=10).json()
    assert state["restart_counts"] == {instance_id: 1}
    assert state["statuses"]["order-sync-1"]["queued"] >= 1
    assert [entry["method"] for entry in emulator.non_get_requests()] == ["PATCH", "PATCH"]


# -- scenario generator and command line -------------------------------------------------------------


def test_generator_is_deterministic_and_consistent():
    again = cf.generate(workflows=2, instances=25, errored_share=0.6, fail_again_share=0.3, seed=3)
    assert again == SCENARIO
    assert cf.generate(seed=4) != cf.generate(seed=5)
    errored = cf.errored(SCENARIO)
    assert errored and all(item["error"]["name"] == cf.ERROR_TEXT[item["classification"]][0] for item in errored)
    assert {item["classification"] for item in errored} <= set(cf.DEFAULT_CLASSIFICATIONS)
    assert cf.parse_spec("workflows=3,errored_share=0.5,classifications=intermittent:3/value") == {
        "workflows": 3, "errored_share": 0.5, "classifications": {"intermittent": 3.0, "value": 1.0}}
    with pytest.raises(ValueError):
        cf.parse_spec("flows=3")
    with pytest.raises(ValueError):
        cf.generate(classifications=["flaky"])


def test_cli_serves_the_platform_until_sigterm(tmp_path):
    assert "cloudflare" in build_parser().format_help()
    saved = tmp_path / "scenario.json"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "cloudflare", "--generate", "workflows=1,instances=6,seed=2",
                             "--token", "cli-token", "--account-id", "acc9", "--save-scenario", str(saved)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), proc.stderr.read() if proc.poll() is not None else line
        url = line[len("listening on "):]
        body = requests.get(url + "/client/v4/accounts/acc9/workflows/order-sync-1/instances",
                            headers={"Authorization": "Bearer cli-token"}, timeout=10).json()
        assert len(body["result"]) == 6
        assert cf.workflow_names(cf.generate(workflows=1, instances=6, seed=2)) == ["order-sync-1"]
        assert saved.exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
