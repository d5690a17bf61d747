# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flows as inventory records: selection, counts by step and classification, the context's fan-out and warnings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._run.concurrency import fan_out
from ansible_collections.flowops.ipaas.plugins.module_utils._select.flow_inventory import (
    InventoryContext, describe_flows, inventory_selection)
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.tests.unit.plugins.modules.fake_platform import FakeAdapter


def context(adapter, selection=None, warnings=None):
    sink = warnings if warnings is not None else []
    return InventoryContext(adapter, selection, lambda func, items: fan_out(func, items, 4), sink.append)


@pytest.fixture
def adapter():
    fake = FakeAdapter()
    fake.add_flow("f1", steps=("s1", "s2"), abstract="a1")
    fake.add_flow("f2", steps=("s1", "s2"), abstract="a1", disabled=True)
    fake.add_flow("f3", steps=("s1",), abstract="a2")
    fake.add_errors("f1", "s1", 3, classification="intermittent")
    fake.add_errors("f1", "s2", 1, classification="value")
    fake.add_errors("f1", "s2", 2, retryable=False, classification=None)
    fake.add_errors("f2", "s2", 1, classification="rate_limit")
    return fake


def test_records_carry_open_errors_by_step_and_by_classification(adapter):
    records = describe_flows(context(adapter, inventory_selection({"abstract_flow_id": ["a1"]})))
    assert [record["id"] for record in records] == ["f1", "f2"]
    first, second = records
    assert (first["platform"], first["abstract_flow_id"], first["disabled"], second["disabled"]) == ("fake", "a1", False, True)
    assert first["open_errors"] == 6
    assert first["open_errors_by_classification"] == {"intermittent": 3, "none": 2, "value": 1}
    assert first["open_errors_by_step"]["s1"] == {"open_errors": 3, "last_error_at": None,
                                                  "by_classification": {"intermittent": 3}}
    assert first["open_errors_by_step"]["s2"]["by_classification"] == {"none": 2, "value": 1}
    assert second["open_errors"] == 1 and second["open_errors_by_step"]["s1"]["by_classification"] == {}
    # Only steps with open errors are listed.
    assert sorted((call[2], call[3]) for call in adapter.calls if call[1] == "errors") == [("f1", "s1"), ("f1", "s2"), ("f2", "s2")]


def test_summary_counts_alone_read_no_error_listing(adapter):
    records = describe_flows(context(adapter, inventory_selection({"abstract_flow_id": ["a1", "a2"]})), by_classification=False)
    assert [record["open_errors"] for record in records] == [6, 1, 0]
    assert "open_errors_by_classification" not in records[0]
    assert not [call for call in adapter.calls if call[1] == "errors"]
    bare = describe_flows(context(adapter, inventory_selection({"flow_ids": ["f3"]})), include_error_counts=False)
    assert bare == [{"id": "f3", "name": "Flow f3", "platform": "fake", "disabled": False, "abstract_flow_id": "a2",
                     "integration_id": None}]


def test_an_empty_abstract_flow_is_a_warning_and_duplicates_are_refused(adapter):
    warnings = []
    assert describe_flows(context(adapter, inventory_selection({"abstract_flow_id": ["a9"]}), warnings)) == []
    assert warnings == ["abstract flow a9 has no flows"]
    with pytest.raises(ValidationError, match="duplicate"):
        inventory_selection({"flow_ids": ["f1", "f1"]})
    assert inventory_selection({"flow_ids": [], "abstract_flow_id": [], "integration_id": None}) is None


def test_every_flow_needs_a_platform_that_lists_flows(adapter):
    adapter.capabilities = adapter.capabilities - {"list_flows"}
    with pytest.raises(UnsupportedOperation, match="listing every flow; select flows with flow_ids"):
        describe_flows(context(adapter))
    assert adapter.calls == []


def test_a_failing_listing_fails_the_whole_inventory(adapter):
    adapter.faults.append(lambda method, flow_id, step_id, payload:
                          FlowOpsError("boom", status=500) if step_id == "s2" else None)
    with pytest.raises(FlowOpsError, match="boom"):
        describe_flows(context(adapter, inventory_selection({"abstract_flow_id": ["a1"]})))
