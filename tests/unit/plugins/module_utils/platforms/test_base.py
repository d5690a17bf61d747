# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""base.py: the body checks every adapter runs, the normalised records, capabilities as data, and what an adapter may
call back into its run (given as callables, never the run's context)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from types import SimpleNamespace

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import base
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import PlatformAdapter


class Scoped(PlatformAdapter):
    name = "scoped"
    regions = {"us": "https://us.example", "eu": "https://eu.example"}
    capabilities = frozenset(("retry",))
    required_scope = "account_id"
    refused_selections = {"integration_id": "select flows with flow_ids"}
    unsupported_hints = {"resolving errors": "dismiss them in the UI"}


@pytest.mark.parametrize("value, expected", [("a b/c", "a%20b%2Fc"), (".", "%2E"), ("..", "%2E%2E"), (42, "42"), ("a.b", "a.b")])
def test_a_path_segment_can_never_climb_the_path(value, expected):
    assert base.path_segment(value) == expected


def test_require_fields_names_the_body_the_field_and_the_types():
    fields = (("_id", base.ID), ("name", base.OPTIONAL_STRING))
    assert base.require_fields({"_id": 3}, fields, "the flow", "GET", "/f") == {"_id": 3}
    with pytest.raises(FlowOpsError) as info:
        base.require_fields({"name": "x"}, fields, "the flow", "GET", "/f")
    assert str(info.value) == "GET /f: unexpected response: the flow: _id is missing, expected a string or a number"
    with pytest.raises(FlowOpsError, match="expected the flow to be an object, got an array"):
        base.require_fields([], fields, "the flow", "GET", "/f")


def test_an_answer_of_a_write_with_the_wrong_shape_may_have_applied():
    with pytest.raises(FlowOpsError) as info:
        base.require_answer(200, {"status": 1}, (("_id", base.ID),), "the job", "POST", "/retry")
    assert info.value.may_have_applied is True and info.value.status == 200


def test_objects_and_count_check_listings_and_counts():
    assert base.objects(None, "errors", "GET", "/e") == [] and base.objects([{}], "errors", "GET", "/e") == [{}]
    with pytest.raises(FlowOpsError, match="expected every item of errors to be an object, got a string"):
        base.objects(["x"], "errors", "GET", "/e")
    assert base.count(3.0, "total", "GET", "/e") == 3
    for bad in (True, -1, float("inf"), "3"):
        with pytest.raises(FlowOpsError, match="total is .*, expected a count"):
            base.count(bad, "total", "GET", "/e")


def test_batched_reads_items_as_they_come():
    assert list(base.batched(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(base.batched([], 3)) == []


def test_counted_summary_counts_and_keeps_the_latest_time():
    items = [{"at": "2026-01-02"}, {"at": None}, {"at": "2026-01-03"}]
    assert base.counted_summary("run", items, "at") == {"run": {"open_errors": 3, "last_error_at": "2026-01-03"}}


def test_records_are_normalised():
    assert base.flow_record("f1", "Flow", disabled=0, extra="x") == {
        "_id": "f1", "name": "Flow", "disabled": False, "_abstractFlowId": None, "_integrationId": None, "extra": "x"}
    error = base.error_record({"raw": 1}, "f1", "s1", "e1", None, "2026", "app", "500", "boom", "intermittent")
    assert error["raw"] == 1 and error["tags"] == [] and (error["_flowId"], error["_stepId"], error["errorId"]) == ("f1", "s1", "e1")


def test_an_unbound_adapter_fans_out_one_at_a_time_and_its_warnings_go_nowhere():
    adapter = PlatformAdapter(client=None)
    assert adapter.fan_out_all(lambda item: item + 1, [1, 2]) == [(1, 2), (2, 3)]
    adapter.warn("unheard")  # nothing to raise, nothing kept


def test_bind_gives_the_adapter_callables_and_no_reference_to_the_run():
    heard, fanned = [], []
    run = SimpleNamespace()

    def fan_out_all(func, items):
        fanned.append(list(items))
        return [(item, func(item)) for item in items]

    adapter = PlatformAdapter(client=None)
    adapter.bind(warn=heard.append, fan_out_all=fan_out_all)
    adapter.warn("from the adapter")
    assert adapter.fan_out_all(str, [1]) == [(1, "1")]
    assert heard == ["from the adapter"] and fanned == [[1]]
    assert not hasattr(adapter, "ctx") and run not in vars(adapter).values()
    adapter.bind()  # unbound again
    adapter.warn("unheard")
    assert heard == ["from the adapter"]


def test_capabilities_are_data_and_a_missing_one_fails_naming_the_platform():
    adapter = Scoped(client=None)
    adapter.require("retry")
    with pytest.raises(UnsupportedOperation) as info:
        adapter.require("resolve", "resolving errors")
    assert str(info.value) == "platform 'scoped' does not support resolving errors; dismiss them in the UI"
    with pytest.raises(UnsupportedOperation, match="^platform 'scoped' does not support listing flows$"):
        adapter.list_flows()


def test_validate_asks_for_the_scope_and_refuses_selections_the_platform_cannot_take():
    with pytest.raises(ValidationError, match="^account_id: platform 'scoped' needs the account id; set account_id or FLOWOPS_ACCOUNT_ID"):
        Scoped.validate({})
    with pytest.raises(UnsupportedOperation, match="integration_id; select flows with flow_ids"):
        Scoped.validate({"account_id": "a", "integration_id": "i1"})
    Scoped.validate({"account_id": "a"})


def test_regions_auth_forms_and_the_dismissal_scope():
    assert Scoped.base_url(None, None) == "https://us.example" and Scoped.base_url("https://mine", "eu") == "https://mine"
    with pytest.raises(ValidationError, match="^region: 'mars' is not a scoped region; use one of eu, us or set api_url"):
        Scoped.base_url(None, "mars")
    assert Scoped.auth(None) == ("Authorization", "Bearer ")
    with pytest.raises(ValidationError, match="^auth_header: platform 'scoped' takes only bearer, not 'x-api-key'"):
        Scoped.auth("x-api-key")
    assert Scoped(SimpleNamespace(base_url="https://b"), {"account_id": "acc"}).dismissal_scope() == "acc"
    assert Scoped(SimpleNamespace(base_url="https://b"), {}).dismissal_scope() == "https://b"


def test_run_not_started_reads_the_platforms_refusal():
    adapter = PlatformAdapter(client=None)
    assert adapter.run_not_started({"_jobId": "j1"}) is None
    assert adapter.run_not_started({"error": "flow is disabled"}) == "the platform refused the run: flow is disabled"
