"""The Cloudflare Workflows emulator: contract (strict), envelope, auth, paging, statuses, restart/terminate, switches, CLI."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from ansible_collections.flowops.ipaas.tests.emulator.cloudflare import state as cf
from ansible_collections.flowops.ipaas.tests.emulator.cloudflare.api import CONTRACT_PATH
from ansible_collections.flowops.ipaas.tests.emulator.__main__ import build_parser

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


def first_with(status, workflow=None):
    return next(item for item in SCENARIO["instances"] if item["status"] == status and workflow in (None, item["workflow"]))


def take_violations(emulator):
    """The recorded contract violations, cleared (for requests that break the contract on purpose)."""
    with emulator.app.lock:
        taken = list(emulator.app.violations)
        del emulator.app.violations[:]
    return taken


def _instance(emulator, cf_api, instance_id, workflow="order-sync-1", **query):
    return cf_api.get("%s/%s" % (instances(emulator, workflow), instance_id), params=query).json()["result"]


# -- the contract --------------------------------------------------------------------------------------


def test_the_contract_names_a_public_source_for_every_operation():
    import json
    with open(CONTRACT_PATH, encoding="utf-8") as handle:
        contract = json.load(handle)
    assert contract["openapi"].startswith("3.1")
    operations = [op for item in contract["paths"].values() for op in item.values()]
    assert len(operations) == 5 and all(op.get("x-source") for op in operations)
    assert contract["info"]["x-rate-limit"]["requests"] == 1200 and contract["info"]["x-rate-limit"]["window_seconds"] == 300


def test_normal_traffic_keeps_to_the_contract(emulator, cf_api):
    cf_api.get(base(emulator), params={"per_page": 1, "page": 2})
    cf_api.get(base(emulator) + "/order-sync-2")
    every_page(cf_api, instances(emulator), status="errored", per_page=4)
    every_page(cf_api, instances(emulator), per_page=100, direction="asc")
    for item in SCENARIO["instances"][:12]:
        _instance(emulator, cf_api, item["id"], item["workflow"])
    raw = next(item for item in cf.errored(SCENARIO, "order-sync-1") if item["failed_step"] != "validate order")
    _instance(emulator, cf_api, raw["id"], simple="true", order="desc")
    assert patch(cf_api, emulator, raw["id"], "restart", **{"from": {"name": "validate order"}}).status_code == 200
    assert patch(cf_api, emulator, first_with("running")["id"], "terminate", workflow=first_with("running")["workflow"],
                 rollback=True).status_code == 200
    assert cf_api.get(base(emulator) + "/nope").status_code == 404  # failures are in the contract too
    assert len(emulator.requests) > 20 and emulator.openapi_violations == []


@pytest.mark.parametrize("query", [{"page": 1, "cursor": "x"}, {"per_page": 101}, {"per_page": 0}, {"status": "failed"},
                                   {"direction": "up"}, {"date_start": "2026-11-20T00:00:00+02:00"}, {"date_end": "yesterday"}])
def test_requests_outside_the_contract_are_recorded_and_refused(emulator, cf_api, query):
    response = cf_api.get(instances(emulator), params=query)
    assert response.status_code == 400 and response.json()["success"] is False
    assert response.json()["errors"][0]["code"] == 10001 and response.json()["result"] is None
    assert [item["kind"] for item in take_violations(emulator)] == ["request"]


def test_a_request_the_contract_does_not_describe_is_a_violation(emulator, cf_api):
    unknown = cf_api.post(instances(emulator), json={"instance_id": "mine"})
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == 7003
    assert "not an operation of the contract" in take_violations(emulator)[0]["message"]


# -- envelope, auth, routing ----------------------------------------------------------------------


def test_success_envelope_under_both_prefixes_with_counts_by_status(emulator, cf_api):
    for prefix in ("/client/v4", ""):
        body = cf_api.get(base(emulator, prefix) + "/order-sync-1").json()
        assert (body["success"], body["errors"], body["messages"]) == (True, [], [])
        assert body["result"]["name"] == "order-sync-1"
        counts = body["result"]["instances"]
        assert counts["errored"] == len(errored_ids())
        assert sum(counts.values()) == 25 and 0 not in counts.values()  # statuses without instances are left out


@pytest.mark.parametrize("token, status, code", [(None, 400, 9106), ("wrong", 403, 10000)])
def test_auth_failures_in_the_envelope(emulator, token, status, code):
    headers = {"Authorization": "Bearer " + token} if token else {}
    response = requests.get(emulator.url + base(emulator), headers=headers, timeout=10)
    assert response.status_code == status
    assert response.json()["success"] is False and response.json()["errors"][0]["code"] == code


def test_missing_account_workflow_and_instance(emulator, cf_api):
    response = cf_api.get("/client/v4/accounts/other/workflows")
    assert (response.status_code, response.json()["errors"][0]) == (404, {"code": 7003, "message": "No route for the URI"})
    assert cf_api.get(base(emulator) + "/nope").json()["errors"][0]["code"] == 10501
    missing = cf_api.get(instances(emulator) + "/nope")
    assert missing.status_code == 404
    assert missing.json()["errors"] == [{"code": 10400, "message": "workflows.api.error.instance.not_found"}]


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


def test_page_paging_totals_the_default_size_and_the_page_size_switch(emulator, cf_api):
    assert cf_api.get(instances(emulator)).json()["result_info"]["per_page"] == 25  # the local explorer's default
    emulator.configure(page_size=5)
    body = cf_api.get(instances(emulator), params={"status": "errored", "per_page": 100, "page": 2}).json()
    total = len(errored_ids())
    assert body["result_info"] == {"page": 2, "per_page": 5, "count": min(5, total - 5), "total_count": total}
    assert "cursor" not in body["result_info"]


def test_a_foreign_cursor_is_400(emulator, cf_api):
    assert cf_api.get(instances(emulator), params={"cursor": "!!"}).status_code == 400


def test_date_window_bounds_created_on(emulator, cf_api):
    start, end = "2026-11-20T06:00:00Z", "2026-11-20T18:00:00"
    ids, dummy = every_page(cf_api, instances(emulator), date_start=start, date_end=end, per_page=100)
    expected = {item["id"] for item in SCENARIO["instances"] if item["workflow"] == "order-sync-1"
                and "2026-11-20T06:00:00" <= item["created_on"] < "2026-11-20T18:00:00"}
    assert set(ids) == expected and expected


def test_every_status_of_the_sdk_is_listed_and_counted(cloudflare_emulator_factory, api_for):
    scenario = cf.generate(workflows=1, instances=3, errored_share=0, seed=1)
    for number, status in enumerate(cf.STATUSES):
        scenario["instances"].append(dict(scenario["instances"][0], id="s%d" % number, status=status))
    handle = cloudflare_emulator_factory(scenario)
    api = api_for(handle)
    listed = api.get(instances(handle), params={"status": "rollingBack"}).json()["result"]
    assert [item["id"] for item in listed] == ["s%d" % cf.STATUSES.index("rollingBack")]
    counts = api.get(base(handle) + "/order-sync-1").json()["result"]["instances"]
    assert set(counts) == set(cf.STATUSES)


# -- instance details ---------------------------------------------------------------------------------


def test_details_carry_the_error_in_the_failed_steps_attempts(emulator, cf_api):
    raw = first_with("errored", "order-sync-1")
    detail = _instance(emulator, cf_api, raw["id"])
    assert detail["error"] == raw["error"] and detail["rollback"] is None and detail["success"] is False
    failed = detail["steps"][-1]
    assert (failed["name"], failed["type"], failed["success"]) == (raw["failed_step"], "step", False)
    assert "error" not in failed and failed["attempts"][-1]["error"] == raw["error"]
    assert all(step["success"] for step in detail["steps"][:-1])
    assert [s["name"] for s in _instance(emulator, cf_api, raw["id"], order="desc")["steps"]] == [s["name"] for s in reversed(detail["steps"])]
    simple = _instance(emulator, cf_api, raw["id"], simple="true")
    assert simple["steps"] == [] and simple["step_count"] == detail["step_count"]


# -- restart, terminate, pause, resume ---------------------------------------------------------------


def test_restart_runs_from_the_beginning_and_fails_again_under_a_new_end_time(emulator, cf_api):
    raw = next(item for item in cf.errored(SCENARIO, "order-sync-1") if item["fail_again"])
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
    assert emulator.restarts == [{"instance": raw["id"], "from": None}] * 2


def test_restart_from_a_step_keeps_the_steps_before_it(emulator, cf_api):
    raw = next(item for item in cf.errored(SCENARIO, "order-sync-1") if item["failed_step"] == "send receipt")
    before = [step["name"] for step in _instance(emulator, cf_api, raw["id"])["steps"]]
    assert before == ["validate order", "charge card", "send receipt"]
    result = patch(cf_api, emulator, raw["id"], "restart", **{"from": {"name": "charge card"}}).json()["result"]
    assert result["status"] == "queued"
    running = _instance(emulator, cf_api, raw["id"])
    assert running["status"] == "running" and [step["name"] for step in running["steps"]] == ["validate order"]
    assert emulator.restarts == [{"instance": raw["id"], "from": {"name": "charge card"}}]
    assert _instance(emulator, cf_api, raw["id"])["status"] in ("complete", "errored")


@pytest.mark.parametrize("source", [{"name": "notify"}, {"name": "charge card", "count": 2}, {"name": "charge card", "type": "sleep"}])
def test_restart_from_a_step_not_in_the_history_is_refused_as_the_engine_does(emulator, cf_api, source):
    raw = next(item for item in cf.errored(SCENARIO, "order-sync-1") if item["failed_step"] == "send receipt")
    refused = patch(cf_api, emulator, raw["id"], "restart", **{"from": source})
    assert refused.status_code == 500
    assert refused.json()["errors"] == [{"code": 10001, "message": '(instance.cannot_restart) Step "%s" not found in execution history'
                                         % source["name"]}]
    assert emulator.restart_counts == {} and emulator.state.statuses("order-sync-1")[raw["id"]] == "errored"


@pytest.mark.parametrize("status", cf.FINAL)
def test_terminate_is_refused_on_a_finished_instance(emulator, cf_api, status):
    raw = first_with(status)
    refused = patch(cf_api, emulator, raw["id"], "terminate", workflow=raw["workflow"])
    assert refused.status_code == 500 and refused.json()["success"] is False and refused.json()["result"] is None
    assert refused.json()["errors"][0]["message"] == cf.CANNOT_TERMINATE
    assert emulator.state.statuses(raw["workflow"])[raw["id"]] == status and emulator.terminate_counts == {}


def test_terminate_with_rollback_rolls_back_first(emulator, cf_api):
    raw = first_with("running")
    assert patch(cf_api, emulator, raw["id"], "terminate", workflow=raw["workflow"], rollback=True).json()["result"]["status"] == "rollingBack"
    assert _instance(emulator, cf_api, raw["id"], raw["workflow"])["status"] == "rollingBack"
    done = _instance(emulator, cf_api, raw["id"], raw["workflow"])
    assert done["status"] == "terminated" and done["rollback"] == {"error": None, "outcome": "complete"}
    other = first_with("waiting")
    assert patch(cf_api, emulator, other["id"], "terminate", workflow=other["workflow"]).json()["result"]["status"] == "terminated"


def test_pause_and_resume_are_no_ops_where_they_do_not_apply(emulator, cf_api):
    def change(status, action):
        raw = first_with(status)
        return patch(cf_api, emulator, raw["id"], action, workflow=raw["workflow"]).json()["result"]["status"]

    assert change("complete", "pause") == "complete"
    assert change("queued", "pause") == "queued"
    assert change("errored", "resume") == "errored"
    assert change("running", "pause") == "paused"
    assert change("paused", "resume") == "running"
    assert emulator.rejected_writes() == []


@pytest.mark.parametrize("body", [{"status": "rerun"}, {"status": "terminate", "from": {"name": "x"}}, {"status": "restart", "from": {}},
                                  {"status": "restart", "rollback": True}, {"status": "restart", "from": {"name": "x", "count": 0}},
                                  {"status": "restart", "from": {"name": "x", "type": "step"}}, {"action": "restart"}])
def test_bad_status_changes_are_400_and_break_the_contract(emulator, cf_api, body):
    instance_id = sorted(errored_ids())[0]
    response = cf_api.call("PATCH", "%s/%s/status" % (instances(emulator), instance_id), json=body)
    assert response.status_code == 400 and response.json()["success"] is False
    assert [item["kind"] for item in take_violations(emulator)] == ["request"]
    assert emulator.restart_counts == {}


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
    assert state["restart_counts"] == {instance_id: 1} and state["restarts"] == [{"instance": instance_id, "from": None}]
    assert state["statuses"]["order-sync-1"]["queued"] >= 1
    assert [entry["method"] for entry in emulator.non_get_requests()] == ["PATCH", "PATCH"]
    assert emulator.rejected_writes() == []  # the injected 503 is not the emulator refusing a write


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
                             "--token", "cli-token", "--account-id", "acc9", "--save-scenario", str(saved), "--strict"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), proc.stderr.read() if proc.poll() is not None else line
        url = line[len("listening on "):]
        body = requests.get(url + "/client/v4/accounts/acc9/workflows/order-sync-1/instances",
                            headers={"Authorization": "Bearer cli-token"}, timeout=10).json()
        assert len(body["result"]) == 6
        assert requests.get(url + "/_emulator/violations", timeout=10).json() == {"violations": [], "internal_errors": []}
        assert cf.workflow_names(cf.generate(workflows=1, instances=6, seed=2)) == ["order-sync-1"]
        assert saved.exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
