"""Errors added while the emulator serves (live.new_errors + CeligoState.add_errors): an outage as it happens."""

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import live
from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios


def test_added_errors_are_open_now_and_listed_after_the_old_ones(api, celigo_emulator, instance):
    flow_id, steps = instance
    before = api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[0])).json()["errors"]
    added = live.new_errors(celigo_emulator.scenario, 3, flow_ids=[flow_id], classification="rate_limit")
    celigo_emulator.state.add_errors(added)
    listed = api.get("/v1/flows/%s/%s/errors" % (flow_id, steps[0])).json()["errors"]
    assert [e["errorId"] for e in listed[:len(before)]] == [e["errorId"] for e in before]
    new = listed[len(before):]
    assert [e["errorId"] for e in new] == [e["errorId"] for e in added if e["_stepId"] == steps[0]]
    assert all(e["classification"] == "rate_limit" and e["retryDataKey"] for e in new)
    occurred = scenarios.errors(celigo_emulator.scenario)[0]["occurredAt"]
    assert new[0]["occurredAt"] > occurred  # now, not the scenario's past window
    summary = {entry["_expOrImpId"]: entry for entry in api.get("/v1/flows/%s/errors" % flow_id).json()["flowErrors"]}
    assert summary[steps[0]]["numError"] == len(before) + 2 and summary[steps[0]]["lastErrorAt"] == new[0]["occurredAt"]


def test_adding_errors_keeps_jobs_and_retry_counts(api, celigo_emulator, instance):
    flow_id, steps = instance
    key = next(e["retryDataKey"] for e in celigo_emulator.state.open_errors(flow_id, steps[1]) if e.get("retryDataKey"))
    assert api.post("/v1/flows/%s/%s/retry" % (flow_id, steps[1]), json={"retryDataKeys": [key]}).status_code == 200
    celigo_emulator.state.add_errors(live.new_errors(celigo_emulator.scenario, 4, flow_ids=[flow_id]))
    assert celigo_emulator.retry_counts == {key: 1}
    assert celigo_emulator.state.summary()["jobs"] == 1


def test_errors_spread_over_the_enabled_instances_and_their_steps(celigo_emulator):
    enabled = scenarios.instance_ids(celigo_emulator.scenario, disabled=False)
    errors = live.new_errors(celigo_emulator.scenario, 2 * len(enabled) * 2, occurred_at="2026-12-01T10:00:00.000Z")
    per_target = {}
    for error in errors:
        per_target[(error["_flowId"], error["_stepId"])] = per_target.get((error["_flowId"], error["_stepId"]), 0) + 1
    assert set(flow for flow, dummy in per_target) == set(enabled) and set(per_target.values()) == {2}
    assert {e["occurredAt"] for e in errors} == {"2026-12-01T10:00:00.000Z"}
    assert len({e["errorId"] for e in errors}) == len({e["retryDataKey"] for e in errors}) == len(errors)
    assert not {e["errorId"] for e in errors} & {e["errorId"] for e in live.new_errors(celigo_emulator.scenario, 5)}


def test_errors_can_go_to_one_step(celigo_emulator, instance):
    flow_id, steps = instance
    errors = live.new_errors(celigo_emulator.scenario, 5, flow_ids=[flow_id], step_ids=[steps[1]])
    assert {(e["_flowId"], e["_stepId"]) for e in errors} == {(flow_id, steps[1])}


def test_an_error_id_already_there_is_refused(celigo_emulator, instance):
    flow_id, steps = instance
    existing = celigo_emulator.state.open_errors(flow_id, steps[0])[0]
    clash = dict(live.new_errors(celigo_emulator.scenario, 1, flow_ids=[flow_id])[0], errorId=existing["errorId"])
    with pytest.raises(ValueError, match="duplicate errorId"):
        celigo_emulator.state.add_errors([clash])
