"""flow_connection_replace's run() against an in-memory platform."""

import json

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.modules import flow_connection_replace

from ansible_collections.flowops.ipaas.tests.unit.plugins.modules.fake_platform import run_with, FakeConnectionsAdapter, FakeModule

SANDBOX = {"sb-http": "prod-http", "sb-ns": "prod-ns"}


def module(check_mode=False, diff=False, **params):
    params.setdefault("abstract_flow_id", ["abs"])
    params.setdefault("connection_map", dict(SANDBOX))
    return FakeModule(flow_connection_replace.ARGUMENT_SPEC, check_mode=check_mode, diff=diff, **params)


@pytest.fixture
def platform():
    adapter = FakeConnectionsAdapter()
    for conn, kind in (("sb-http", "http"), ("prod-http", "http"), ("sb-ns", "netsuite"), ("prod-ns", "netsuite"),
                       ("other-ftp", "ftp")):
        adapter.add_connection(conn, kind)
    for index in range(5):
        flow = "f%d" % index
        adapter.add_flow(flow, steps=("exp", "imp"), abstract="abs")
        adapter.use(flow, "exp", "sb-http")
        adapter.use(flow, "imp", "sb-ns")
    return adapter


def test_replaces_only_where_used_and_second_run_is_unchanged(platform):
    platform.use("f4", "exp", "prod-http")  # already half promoted
    first = run_with(flow_connection_replace.run, module(), platform)
    assert first["changed"] is True
    assert first["counts"] == {"selected": 5, "changed": 5, "unchanged": 0, "failed": 0}
    f4 = next(p for p in first["flows"] if p["_id"] == "f4")
    assert [r["from"] for r in f4["replacements"]] == ["sb-ns"]
    assert all(conns == {"exp": "prod-http", "imp": "prod-ns"} for conns in platform.step_connections.values())
    platform.calls.clear()
    second = run_with(flow_connection_replace.run, module(), platform)
    assert second["changed"] is False
    assert second["counts"]["unchanged"] == 5
    assert platform.writes() == []


def test_type_mismatch_stops_everything_before_the_first_write(platform):
    with pytest.raises(ValidationError) as caught:
        run_with(flow_connection_replace.run, module(connection_map={"sb-http": "other-ftp"}), platform)
    message = str(caught.value)
    assert "sb-http" in message and "other-ftp" in message and "type http" in message and "type ftp" in message
    assert platform.writes() == []


def test_missing_connection_fails_before_any_write(platform):
    with pytest.raises(ValidationError, match="connection nope does not exist"):
        run_with(flow_connection_replace.run, module(connection_map={"sb-http": "nope"}), platform)
    assert platform.writes() == []


@pytest.mark.parametrize("bad, fragment", [
    ({}, "at least one"),
    ({"a": "a"}, "maps to itself"),
    ({"a": "b", "b": "c"}, "both replaced and a replacement"),
    ({"a": ["b"]}, "must map to a connection id"),
])
def test_malformed_map_fails_before_any_request(platform, bad, fragment):
    with pytest.raises(ValidationError, match=fragment):
        run_with(flow_connection_replace.run, module(connection_map=bad), platform)
    assert platform.calls == []


def test_check_mode_and_diff_show_the_plan_and_write_nothing(platform):
    result = run_with(flow_connection_replace.run, module(check_mode=True, diff=True), platform)
    assert platform.writes() == []
    assert result["changed"] is True
    assert result["diff"]["before"]["f0"] == {"exp": "sb-http", "imp": "sb-ns"}
    assert result["diff"]["after"]["f0"] == {"exp": "prod-http", "imp": "prod-ns"}


def test_failing_flow_is_reported_while_others_complete_and_rerun_finishes(platform, tmp_path):
    def f2_down(method, flow_id, step_id, payload):
        if method == "PUT" and flow_id == "f2":
            return FlowOpsError("Service Unavailable", status=503, method="PUT", path="/v1/flows/f2/replaceConnection")
        return None

    platform.faults.append(f2_down)
    report = tmp_path / "promotion.json"
    with pytest.raises(FlowOpsError) as caught:
        run_with(flow_connection_replace.run, module(report_file=str(report)), platform)
    assert "changed 4 of 5 flows; 1 failed, first f2" in str(caught.value)
    written = json.loads(report.read_text())
    assert {f["_id"]: bool(f.get("error")) for f in written["flows"]} == {"f0": False, "f1": False, "f2": True,
                                                                          "f3": False, "f4": False}
    platform.faults.clear()
    rerun = run_with(flow_connection_replace.run, module(), platform)
    assert rerun["counts"] == {"selected": 5, "changed": 1, "unchanged": 4, "failed": 0}
