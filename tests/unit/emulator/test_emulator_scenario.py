"""The scenario generator, spec parsing, save/load, state loading checks and the large-scenario budget."""

import re
import time

import pytest

from ansible_collections.flowops.ipaas.tests.emulator.celigo import scenario as scenarios
from ansible_collections.flowops.ipaas.tests.emulator.core import scenario_files
from ansible_collections.flowops.ipaas.tests.emulator.celigo.state import CeligoState

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def test_generator_counts():
    scenario = scenarios.generate(instances=5, abstract_flows=2, steps=3, errors_per_step=4, plain_flows=2, disabled_instances=2)
    assert len(scenarios.abstract_flow_ids(scenario)) == 2
    assert len(scenarios.instance_ids(scenario)) == 10
    assert len(scenarios.instance_ids(scenario, disabled=True)) == 4
    assert len(scenarios.plain_flow_ids(scenario)) == 2
    assert (len(scenario["flows"]), len(scenario["exports"]), len(scenario["imports"])) == (14, 4, 8)
    assert len(scenario["errors"]) == (10 + 2) * 3 * 4
    for flow_id in scenarios.instance_ids(scenario) + scenarios.plain_flow_ids(scenario):
        for step_id in scenarios.step_ids(scenario, flow_id):
            assert len(scenarios.errors(scenario, flow_id, step_id)) == 4
    ids = [item["_id"] for key in ("connections", "integrations", "exports", "imports", "flows") for item in scenario[key]]
    ids += [error["errorId"] for error in scenario["errors"]] + [scenario["user_id"]]
    assert all(OBJECT_ID.match(value) for value in ids) and len(ids) == len(set(ids))
    assert [item["type"] for item in scenario["connections"]] == ["http", "http", "netsuite"]


def test_generator_shares_and_classifications():
    scenario = scenarios.generate(instances=50, steps=2, errors_per_step=100, retryable_share=0.8, fail_again_share=0.25)
    retryable = scenarios.errors(scenario, retryable=True)
    assert 0.77 < len(retryable) / len(scenario["errors"]) < 0.83
    assert all(re.match(r"^[0-9a-f]{32}$", error["retryDataKey"]) for error in retryable)
    assert {error["classification"] for error in scenarios.errors(scenario, retryable=False)} == {"connection"}
    assert {error["classification"] for error in retryable} == {"intermittent", "rate_limit", "value", "duplicate"}
    failing = [error for error in retryable if error["fail_again"]]
    assert 0.22 < len(failing) / len(retryable) < 0.28
    assert any(error["tags"] for error in scenario["errors"])
    only = scenarios.generate(instances=2, errors_per_step=10, classifications=["value"], retryable_share=1)
    assert {error["classification"] for error in only["errors"]} == {"value"}


def test_generator_is_deterministic_per_seed():
    assert scenarios.generate(instances=3, seed=7) == scenarios.generate(instances=3, seed=7)
    assert scenarios.generate(instances=3, seed=7) != scenarios.generate(instances=3, seed=8)
    lazy = scenarios.generate(instances=3, seed=7, lazy=True)
    assert list(lazy.pop("errors")) == scenarios.generate(instances=3, seed=7)["errors"]


def test_outage_preset_has_one_disabled_instance_and_thousands_of_errors():
    scenario = scenarios.PRESETS["outage"]()
    assert len(scenarios.abstract_flow_ids(scenario)) == 3
    assert len(scenarios.instance_ids(scenario)) == 45
    assert len(scenarios.instance_ids(scenario, disabled=True)) == 1
    assert len(scenario["errors"]) == 3600
    assert any(error["fail_again"] for error in scenario["errors"])
    CeligoState(scenario)


def test_parse_spec():
    assert scenarios.parse_spec("instances=40,steps=2,errors=30,retryable=0.5,plain=2,start=2026-01-01T00:00:00Z") == {
        "instances": 40, "steps": 2, "errors_per_step": 30, "retryable_share": 0.5, "plain_flows": 2,
        "start": "2026-01-01T00:00:00Z"}
    assert scenarios.parse_spec("classifications=value:3/duplicate") == {"classifications": {"value": 3.0, "duplicate": 1.0}}
    assert scenarios.parse_spec("") == {}
    for bad in ("nope=1", "instances", "lazy=1"):
        with pytest.raises(ValueError):
            scenarios.parse_spec(bad)


def test_save_load_and_state_round_trip(tmp_path):
    scenario = scenarios.generate(instances=2, errors_per_step=3)
    path = str(tmp_path / "scenario.json")
    scenario_files.save(scenario, path)
    assert scenario_files.load(path) == scenario
    state = CeligoState(scenario)
    flow_id = scenarios.instance_ids(scenario)[0]
    step_id = scenarios.step_ids(scenario, flow_id)[0]
    state.resolve(flow_id, step_id, [scenarios.errors(scenario, flow_id, step_id)[0]["errorId"]])
    copy = CeligoState(state.to_scenario())
    assert copy.summary() == state.summary()
    assert copy.resolved_errors(flow_id, step_id) == state.resolved_errors(flow_id, step_id)


def test_state_rejects_inconsistent_scenarios():
    scenario = scenarios.generate(instances=1, errors_per_step=1)
    bad_step = dict(scenario, errors=[dict(scenario["errors"][0], _stepId="f" * 24)])
    with pytest.raises(ValueError, match="has no step"):
        CeligoState(bad_step)
    with pytest.raises(ValueError, match="duplicate errorId"):
        CeligoState(dict(scenario, errors=scenario["errors"][:1] * 2))
    with pytest.raises(ValueError, match="unknown _abstractFlowId"):
        CeligoState(dict(scenario, flows=scenario["flows"][1:], errors=[]))


def test_large_scenario_loads_and_pages_within_budget():
    started = time.monotonic()
    state = CeligoState(scenarios.generate(instances=500, steps=2, errors_per_step=100, lazy=True))
    assert time.monotonic() - started < 20
    summary = state.summary()
    assert sum(sum(steps.values()) for steps in summary["open"].values()) == 100000
    flow_id = state.flow_ids()[250]
    step_id = next(iter(state.steps[flow_id]))
    started = time.monotonic()
    for dummy in range(200):
        errors, last, more = state.error_page(flow_id, step_id, False, 0, 50)
        state.error_summary(flow_id)
    assert time.monotonic() - started < 2
    assert len(errors) == 50 and more and last > 0
