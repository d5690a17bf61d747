"""The emulators' other-actor switches (issue #25), driven directly over HTTP or through the state objects: each does
what docs/platforms/<platform>.md says it stands for, and the shared rule matching (``when``, the item, ``skip``,
``times``) in core/state.py fires exactly when it should."""

import time

import pytest
import requests

from ansible_collections.flowops.ipaas.tests.emulator.activepieces import state as ap
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as celigo_scenarios
from ansible_collections.flowops.ipaas.tests.emulator.cloudflare import state as cf
from ansible_collections.flowops.ipaas.tests.emulator.core.app import parse_iso
from ansible_collections.flowops.ipaas.tests.emulator.core.state import EmulatorState
from ansible_collections.flowops.ipaas.tests.emulator.superai import state as sa


# -- core/state.py: the rule matching every emulator shares -----------------------------------------------------


class _Rules(EmulatorState):
    def load(self, scenario):
        pass


def _fired(state, when, ids):
    return [rule["action"] for rule in state.other_actor_rules(when, "item", ids)]


def test_a_rule_fires_only_at_its_moment_and_for_its_item_once_by_default():
    rules = [{"when": "listed", "item": "a", "action": "restart"}]
    state = _Rules(switches={"other_actors": rules})
    assert _fired(state, "restarted", ["a"]) == []  # another moment
    assert _fired(state, "listed", ["b", "c"]) == []  # another item
    assert _fired(state, "listed", ["b", "a"]) == ["restart"]
    assert _fired(state, "listed", ["a"]) == []  # times defaults to 1: spent
    assert rules[0]["times"] == 0


def test_skip_lets_the_first_matches_pass_and_times_caps_the_rest():
    rules = [{"when": "listed", "item": "a", "action": "cancel", "skip": 2, "times": 2},
             {"when": "listed", "item": "a", "action": "delete", "times": 0}]  # never fires
    state = _Rules(switches={"other_actors": rules})
    assert [_fired(state, "listed", ["a"]) for dummy in range(5)] == [[], [], ["cancel"], ["cancel"], []]
    assert _fired(state, "listed", ["x"]) == []  # a non-matching item does not use up a skip
    state2 = _Rules(switches={"other_actors": [{"when": "listed", "item": "a", "action": "cancel", "skip": 1}]})
    assert _fired(state2, "listed", ["x"]) == [] and _fired(state2, "listed", ["a"]) == [] and _fired(state2, "listed", ["a"]) == ["cancel"]


def test_two_rules_of_one_moment_fire_in_order_and_no_switch_fires_nothing():
    state = _Rules(switches={"other_actors": [{"when": "listed", "item": "a", "action": "retry"},
                                              {"when": "listed", "item": "b", "action": "cancel"}]})
    assert _fired(state, "listed", ["a", "b"]) == ["retry", "cancel"]
    assert _fired(_Rules(), "listed", ["a"]) == []


# -- Cloudflare: someone restarts, terminates or deletes an instance after our listing or restart ---------------

CF_SCENARIO = cf.generate(workflows=1, instances=8, errored_share=1.0, fail_again_share=0.0, seed=9)
CF_IDS = [item["id"] for item in cf.errored(CF_SCENARIO)]


def _cf(factory, api_for, rules, **switches):
    handle = factory(CF_SCENARIO, run_seconds=30, other_actors=rules, **switches)
    return handle, api_for(handle)


def _cf_path(handle, instance_id=""):
    return "/client/v4/accounts/%s/workflows/order-sync-1/instances%s" % (handle.account_id, "/" + instance_id if instance_id else "")


def _cf_status(handle, api, instance_id):
    response = api.get(_cf_path(handle, instance_id))
    return response.json()["result"]["status"] if response.status_code == 200 else response.status_code


def test_cloudflare_listed_restart_happens_after_the_page_holding_the_instance_and_is_not_ours(
        cloudflare_emulator_factory, api_for):
    target = CF_IDS[0]
    handle, api = _cf(cloudflare_emulator_factory, api_for, [{"when": "listed", "instance": target, "action": "restart"}])
    assert api.get(_cf_path(handle), params={"status": "complete"}).json()["result"] == []  # a page without it
    assert handle.other_actions == []
    listed = api.get(_cf_path(handle), params={"status": "errored", "per_page": 100}).json()["result"]
    assert target in [item["id"] for item in listed]  # the page was answered as it was, then they acted
    assert handle.other_actions == [{"when": "listed", "instance": target, "action": "restart", "applied": True}]
    assert _cf_status(handle, api, target) in ("queued", "running") and handle.restart_counts == {}
    again = api.get(_cf_path(handle), params={"status": "errored", "per_page": 100}).json()["result"]
    assert target not in [item["id"] for item in again] and len(handle.other_actions) == 1  # times: once


def test_cloudflare_terminate_after_our_restart_ends_the_instance_terminated(cloudflare_emulator_factory, api_for):
    target = CF_IDS[1]
    handle, api = _cf(cloudflare_emulator_factory, api_for, [{"when": "restarted", "instance": target, "action": "terminate"}])
    answer = api.call("PATCH", _cf_path(handle, target) + "/status", json={"status": "restart"})
    assert answer.json()["result"]["status"] == "queued"  # our restart was taken; then someone terminated it
    assert _cf_status(handle, api, target) == "terminated"
    assert handle.restart_counts == {target: 1}
    assert handle.other_actions == [{"when": "restarted", "instance": target, "action": "terminate", "applied": True}]
    handle.configure(run_seconds=0)
    assert _cf_status(handle, api, target) == "terminated"  # the run never comes back to complete it


def test_cloudflare_delete_after_our_restart_makes_the_instance_vanish(cloudflare_emulator_factory, api_for):
    target = CF_IDS[2]
    handle, api = _cf(cloudflare_emulator_factory, api_for, [{"when": "restarted", "instance": target, "action": "delete"}])
    api.call("PATCH", _cf_path(handle, target) + "/status", json={"status": "restart"})
    assert _cf_status(handle, api, target) == 404
    assert target not in [item["id"] for item in api.get(_cf_path(handle), params={"per_page": 100}).json()["result"]]


def test_cloudflare_terminate_on_a_finished_instance_is_refused_as_the_engine_does(cloudflare_emulator_factory, api_for):
    target = CF_IDS[3]
    handle, api = _cf(cloudflare_emulator_factory, api_for, [{"when": "listed", "instance": target, "action": "terminate"}])
    api.get(_cf_path(handle), params={"status": "errored", "per_page": 100})
    assert handle.other_actions == [{"when": "listed", "instance": target, "action": "terminate", "applied": False}]
    assert _cf_status(handle, api, target) == "errored"


def test_cloudflare_skip_and_times_count_listings_of_the_instance(cloudflare_emulator_factory, api_for):
    target = CF_IDS[4]
    handle, api = _cf(cloudflare_emulator_factory, api_for,
                      [{"when": "listed", "instance": target, "action": "restart", "skip": 1, "times": 2}])
    for dummy in range(4):
        api.get(_cf_path(handle), params={"per_page": 100})  # every status: the instance is on each page
    assert [action["action"] for action in handle.other_actions] == ["restart", "restart"]
    assert handle.restart_counts == {}


# -- SuperAI: someone re-executes, cancels or deletes an execution ----------------------------------------------

SA_SCENARIO = sa.generate(flows=1, executions=12, failed_share=0.5, stale_share=0.3, cancelled_share=0.0,
                          fail_again_share=0.0, running=0, deleted=0, seed=5)
SA_FLOW = sa.flow_ids(SA_SCENARIO)[0]
SA_FAILED = sa.execution_ids(SA_SCENARIO, SA_FLOW, ["failed"])
SA_STALE = sa.execution_ids(SA_SCENARIO, SA_FLOW, ["stale"])
EXECUTIONS = "/api/flow-executions"


def _sa(factory, api_for, rules):
    handle = factory(SA_SCENARIO, run_seconds=30, other_actors=rules)
    return handle, api_for(handle)


def _sa_list(api):
    return [row["id"] for row in api.get(EXECUTIONS, params={"flow_id": SA_FLOW, "page_size": 1000}).json()]


def _sa_status(api, execution_id):
    response = api.get("%s/%s" % (EXECUTIONS, execution_id))
    return response.json()["status"] if response.status_code == 200 else response.status_code


def test_superai_listed_execute_re_runs_it_after_the_listing_and_is_not_counted_ours(superai_emulator_factory, api_for):
    target = SA_FAILED[0]
    handle, api = _sa(superai_emulator_factory, api_for, [{"when": "listed", "execution": target, "action": "execute", "skip": 1}])
    assert target in _sa_list(api) and handle.app.state.other_actions == []  # skipped: the first listing
    assert target in _sa_list(api)  # listed as it was; then re-executed by them
    assert handle.app.state.other_actions == [{"when": "listed", "execution": target, "action": "execute", "applied": True}]
    assert _sa_status(api, target) == "running" and handle.execute_calls == {}


def test_superai_cancel_after_our_re_execute_ends_it_cancelled(superai_emulator_factory, api_for):
    target = SA_FAILED[1]
    handle, api = _sa(superai_emulator_factory, api_for, [{"when": "executed", "execution": target, "action": "cancel"}])
    assert api.post("%s/%s/execute" % (EXECUTIONS, target)).status_code == 204
    assert handle.app.state.executions[target]["status"] == "cancel_requested"
    assert _sa_status(api, target) == "cancelled"
    assert handle.execute_calls == {target: [False]} and handle.cancel_calls == {}  # their cancel is not ours


def test_superai_delete_after_our_re_execute_leaves_a_404(superai_emulator_factory, api_for):
    target = SA_FAILED[2]
    handle, api = _sa(superai_emulator_factory, api_for, [{"when": "executed", "execution": target, "action": "delete"}])
    api.post("%s/%s/execute" % (EXECUTIONS, target))
    assert _sa_status(api, target) == 404 and target not in _sa_list(api)
    assert handle.statuses(SA_FLOW)[target] == "deleted"


def test_superai_cancel_of_a_stale_execution_changes_nothing_and_times_cap_it(superai_emulator_factory, api_for):
    stale, failed = SA_STALE[0], SA_FAILED[3]
    handle, api = _sa(superai_emulator_factory, api_for, [
        {"when": "listed", "execution": stale, "action": "cancel", "times": 2},  # cancel is for running ones only
        {"when": "executed", "execution": failed, "action": "cancel", "times": 2}])
    for dummy in range(3):
        _sa_list(api)
    assert [(a["execution"], a["action"]) for a in handle.app.state.other_actions] == [(stale, "cancel")] * 2
    assert _sa_status(api, stale) == "stale"
    api.post("%s/%s/execute" % (EXECUTIONS, failed), params={"only_stale": "false"})
    assert _sa_status(api, failed) == "cancelled"
    handle.configure(run_seconds=0)
    api.post("%s/%s/execute" % (EXECUTIONS, failed))  # second of its two times
    assert _sa_status(api, failed) == "cancelled"
    api.post("%s/%s/execute" % (EXECUTIONS, failed))  # spent: this run ends as the scenario says
    assert _sa_status(api, failed) == "completed"
    assert handle.execute_calls[failed] == [False, False, False]


# -- Activepieces: a slow bulk retry, someone retrying or cancelling a run, the archive race --------------------


def _ap(factory, api_for, rules=(), failed_runs=6, **switches):
    scenario = ap.generate(flows=1, disabled=0, failed_runs=failed_runs, succeeded_runs=0, fail_again_share=0.0, seed=4,
                           kinds=["timeout", "rate_limit"])
    handle = factory(scenario, run_seconds=30, other_actors=list(rules), **switches)
    return handle, api_for(handle), [run["id"] for run in scenario["runs"]]


def _ap_run(api, run_id):
    return api.get("/v1/flow-runs/%s" % run_id).json()


def test_activepieces_listed_retry_re_queues_the_run_and_is_not_ours(activepieces_emulator_factory, api_for):
    handle, api, runs = _ap(activepieces_emulator_factory, api_for)
    handle.configure(other_actors=[{"when": "listed", "run": runs[0], "action": "retry"}])
    page = api.get("/v1/flow-runs", params={"projectId": handle.project_id, "limit": 100}).json()["data"]
    assert next(run for run in page if run["id"] == runs[0])["status"] in ap.FAILED  # answered first, then they acted
    assert _ap_run(api, runs[0])["status"] == "QUEUED"
    assert handle.other_actions == [{"when": "listed", "run": runs[0], "action": "retry", "applied": True}]
    assert handle.retry_counts == {}


def test_activepieces_archive_race_archives_a_run_someone_re_queued_since_the_listing(activepieces_emulator_factory, api_for):
    handle, api, runs = _ap(activepieces_emulator_factory, api_for)
    handle.configure(other_actors=[{"when": "listed", "run": runs[1], "action": "retry"}])
    api.get("/v1/flow-runs", params={"projectId": handle.project_id, "limit": 100})
    assert _ap_run(api, runs[1])["status"] == "QUEUED"
    answer = api.post("/v1/flow-runs/archive", json={"projectId": handle.project_id, "flowRunIds": [runs[1]]})
    assert answer.status_code == 200
    run = _ap_run(api, runs[1])
    assert run["archivedAt"] and run["status"] == "QUEUED"  # no "must be failed" check: why the adapter re-reads first


def test_activepieces_slow_bulk_retry_goes_on_after_the_client_gives_up_and_cancel_follows_its_wave(
        activepieces_emulator_factory, api_for):
    handle, api, runs = _ap(activepieces_emulator_factory, api_for, failed_runs=25, bulk_wave_seconds=0.3)
    handle.configure(other_actors=[{"when": "retried", "run": runs[0], "action": "cancel"},
                                   {"when": "retried", "run": runs[24], "action": "retry"}])
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):  # three waves of 10 take 0.9 s
        api.post("/v1/flow-runs/retry", json={"projectId": handle.project_id, "strategy": "FROM_FAILED_STEP",
                                              "flowRunIds": runs}, timeout=0.4)
    assert time.monotonic() - started < 0.8
    deadline = time.monotonic() + 10
    while len(handle.retry_counts) < 25 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handle.retry_counts == dict.fromkeys(runs, 1)  # every run once: the server went on without the client
    assert [(a["run"], a["action"], a["applied"]) for a in handle.other_actions] == [(runs[0], "cancel", True),
                                                                                     (runs[24], "retry", True)]
    assert _ap_run(api, runs[0])["status"] == "CANCELED"  # cancelled right after the wave that re-queued it


def test_activepieces_cancel_of_a_failed_run_is_not_applied(activepieces_emulator_factory, api_for):
    handle, api, runs = _ap(activepieces_emulator_factory, api_for)
    handle.configure(other_actors=[{"when": "listed", "run": runs[2], "action": "cancel"}])
    api.get("/v1/flow-runs", params={"projectId": handle.project_id, "limit": 100})
    assert handle.other_actions == [{"when": "listed", "run": runs[2], "action": "cancel", "applied": False}]
    assert _ap_run(api, runs[2])["status"] in ap.FAILED  # only PAUSED or QUEUED runs can be cancelled


def test_activepieces_older_server_refuses_memory_limit_exceeded_in_a_status_filter(activepieces_emulator_factory, api_for):
    handle, api, dummy = _ap(activepieces_emulator_factory, api_for, older_server=True)
    refused = api.get("/v1/flow-runs", params={"projectId": handle.project_id, "status": ["FAILED", "MEMORY_LIMIT_EXCEEDED"]})
    assert refused.status_code == 400
    handle.openapi_violations.clear()
    handle.configure(older_server=False)
    assert api.get("/v1/flow-runs", params={"projectId": handle.project_id, "status": ["MEMORY_LIMIT_EXCEEDED"]}).status_code == 200


# -- Celigo: a colleague's retry that finished before our pre-send check ----------------------------------------


def test_celigo_retry_done_every_leaves_a_finished_retry_job_of_the_colleague_created_after_the_listing(
        celigo_emulator_factory, api_for):
    scenario = celigo_scenarios.generate(instances=1, steps=1, errors_per_step=6, retryable_share=1.0, fail_again_share=0,
                                         disabled_instances=0, seed=3)
    handle = celigo_emulator_factory(scenario, other_actor={"retry_done_every": 3})
    api = api_for(handle)
    flow_id = celigo_scenarios.instance_ids(scenario)[0]
    step_id = celigo_scenarios.step_ids(scenario, flow_id)[0]
    before = time.time()
    listed = api.get("/v1/flows/%s/%s/errors" % (flow_id, step_id)).json()["errors"]
    keys = [error["retryDataKey"] for error in listed]
    theirs = [key for number, key in enumerate(keys, 1) if number % 3 == 0]
    assert handle.app.state.other_actor_keys == dict.fromkeys(theirs, "retried, finished")
    jobs = api.get("/v1/jobs", params={"_flowId": flow_id, "type": "retry"}).json()
    assert len(jobs) == 2 and all(job["status"] == "completed" and job["_userId"] == handle.app.state.OTHER_USER_ID
                                  for job in jobs)
    assert all(parse_iso(job["createdAt"]).timestamp() >= before - 0.01 and job["endedAt"] >= job["startedAt"] >= job["createdAt"]
               for job in jobs)
    assert api.get("/v1/jobs", params={"_flowId": flow_id, "type": "retry", "status": ["queued", "running"]}).json() == []
    still_open = {error["retryDataKey"] for error in api.get("/v1/flows/%s/%s/errors" % (flow_id, step_id)).json()["errors"]}
    assert still_open == set(keys) - set(theirs)  # their retries succeeded: no longer open
    assert handle.retry_counts == {}  # none of it is ours
