# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""targets.py: from the run's selection to its flows, the steps worth listing and the selected errors, on an
in-memory platform."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._run.runner import build_context
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import ErrorSelection
from ansible_collections.flowops.ipaas.plugins.module_utils._select.targets import iter_selected_errors, select_flows, steps_to_read
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.plugins.modules import flow_errors_info

from ansible_collections.flowops.ipaas.tests.unit.plugins.modules.fake_platform import FakeAdapter, FakeModule


@pytest.fixture
def platform():
    adapter = FakeAdapter()
    adapter.add_flow("f1", steps=("s1", "s2"), abstract="abs")
    adapter.add_flow("f2", steps=("s1", "s2"), abstract="abs")
    adapter.add_flow("solo", steps=("s1",))
    adapter.add_errors("f1", "s1", 2)
    adapter.add_errors("f1", "s2", 1, classification="value")
    adapter.add_errors("f2", "s2", 3, classification="connection", retryable=False)
    adapter.add_errors("solo", "s1", 1)
    return adapter


def context(platform, dismissed=None, **params):
    module = FakeModule(flow_errors_info.ARGUMENT_SPEC, **params)
    ctx, dummy = build_context(module, platform, lambda settings, adapter: dict(
        selection=ErrorSelection(settings.params), dismissed=dismissed))
    return ctx


def test_flows_come_once_each_in_the_order_the_options_name_them(platform):
    ctx = context(platform, flow_ids=["solo", "f2"], abstract_flow_id=["abs"])
    assert [flow["_id"] for flow in select_flows(ctx)] == ["solo", "f2", "f1"]


def test_a_flow_the_platform_does_not_know_fails_the_selection(platform):
    with pytest.raises(FlowOpsError) as info:
        select_flows(context(platform, flow_ids=["nope"]))
    assert info.value.status == 404 and "flow not found" in str(info.value)


def test_only_steps_with_open_errors_and_wanted_by_step_ids_are_listed(platform):
    ctx = context(platform, abstract_flow_id=["abs"])
    flows = select_flows(ctx)
    assert [(flow["_id"], step) for flow, step in steps_to_read(ctx, flows)] == [("f1", "s1"), ("f1", "s2"), ("f2", "s2")]
    narrowed = context(platform, abstract_flow_id=["abs"], step_ids=["s2"])
    assert [(flow["_id"], step) for flow, step in steps_to_read(narrowed, flows)] == [("f1", "s2"), ("f2", "s2")]
    # resolved errors are not counted in the summary: every step of the flow is read
    assert [(flow["_id"], step) for flow, step in steps_to_read(ctx, flows, resolved=True)] == [
        ("f1", "s1"), ("f1", "s2"), ("f2", "s1"), ("f2", "s2")]


def test_selected_errors_stream_in_flow_and_step_order_and_pass_the_selection(platform):
    ctx = context(platform, abstract_flow_id=["abs"], classifications=["intermittent", "value"])
    errors = list(iter_selected_errors(ctx, select_flows(ctx)))
    assert [(e["_flowId"], e["_stepId"], e["classification"]) for e in errors] == [
        ("f1", "s1", "intermittent"), ("f1", "s1", "intermittent"), ("f1", "s2", "value")]


def test_locally_dismissed_errors_are_not_open_any_more(platform):
    dismissed_id = next(iter(platform.open[("solo", "s1")]))
    ctx = context(platform, flow_ids=["solo", "f1"], dismissed={dismissed_id})
    errors = list(iter_selected_errors(ctx, select_flows(ctx)))
    assert dismissed_id not in [e["errorId"] for e in errors] and len(errors) == 3
    platform.resolved[dismissed_id] = dict(platform.open[("solo", "s1")][dismissed_id], _flowId="solo", _stepId="s1")
    resolved = list(iter_selected_errors(ctx, [platform.get_flow("solo")], resolved=True))
    assert [e["errorId"] for e in resolved] == [dismissed_id]  # the dismissed set only hides open errors


def test_enrich_runs_on_every_match_and_a_failing_step_fails_the_listing(platform):
    ctx = context(platform, flow_ids=["f1"])
    enriched = list(iter_selected_errors(ctx, select_flows(ctx), enrich=lambda error: error.update(seen=True)))
    assert len(enriched) == 3 and all(error["seen"] for error in enriched)

    def broken(method, flow_id, step_id, payload):
        return FlowOpsError("server error", status=500, method="GET", path="/errors") if step_id == "s2" else None

    platform.faults.append(broken)
    with pytest.raises(FlowOpsError, match="HTTP 500"):
        list(iter_selected_errors(ctx, [platform.flows["f1"]]))
