# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time parsing, selection validation and the error filter."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._select import selection as selection_module
from ansible_collections.flowops.ipaas.plugins.module_utils._select import targets
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import ErrorSelection, parse_time

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


# -- parse_time -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("2026-11-20T04:00:00Z", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ("2026-11-20T04:00:00z", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ("2026-11-20T04:00:00.250Z", datetime(2026, 11, 20, 4, 0, 0, 250000, tzinfo=UTC)),
    ("2026-11-20T06:30:00+02:30", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ("2026-11-19T23:00:00-05:00", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ("2026-11-20T04:00:00", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ("2026-11-20", datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
    ("  2026-11-20T04:00:00Z  ", datetime(2026, 11, 20, 4, 0, tzinfo=UTC)),
    ("now", NOW),
    ("NOW", NOW),
    ("2h", NOW - timedelta(hours=2)),
    ("30m ago", NOW - timedelta(minutes=30)),
    ("30m", NOW - timedelta(minutes=30)),
    ("45s", NOW - timedelta(seconds=45)),
    ("7d", NOW - timedelta(days=7)),
    ("1w", NOW - timedelta(weeks=1)),
    ("2H", NOW - timedelta(hours=2)),
    ("-2h", NOW - timedelta(hours=2)),
    ("2 h ago", NOW - timedelta(hours=2)),
])
def test_parse_time(value, expected):
    parsed = parse_time(value, "occurred_after", now=NOW)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", [None, ""])
def test_parse_time_empty_is_none(value):
    assert parse_time(value, "occurred_after", now=NOW) is None


def test_parse_time_defaults_to_the_current_time():
    before = datetime.now(UTC)
    parsed = parse_time("1h", "occurred_after")
    after = datetime.now(UTC)
    assert before - timedelta(hours=1) <= parsed <= after - timedelta(hours=1)


@pytest.mark.parametrize("value", ["yesterday", "2h later", "2 hours", "2026-13-01", "2026-11-20T25:00", "1y", "h2"])
@pytest.mark.parametrize("option", ["occurred_after", "occurred_before"])
def test_parse_time_bad_value_names_the_option(value, option):
    with pytest.raises(ValidationError) as info:
        parse_time(value, option, now=NOW)
    message = str(info.value)
    assert message.startswith("%s: '%s' is not a time" % (option, value))
    assert "ISO 8601" in message
    assert isinstance(info.value, FlowOpsError)


# -- validation -------------------------------------------------------------------------------------


def select(**params):
    params.setdefault("flow_ids", ["f1"])
    return ErrorSelection(params, now=NOW)


@pytest.mark.parametrize("params", [dict(flow_ids=["f1"]), dict(abstract_flow_id=["a1"]), dict(integration_id="i1")])
def test_any_flow_selector_is_enough(params):
    selection = ErrorSelection(params, now=NOW)
    assert selection.flow_ids == params.get("flow_ids", [])
    assert selection.abstract_flow_ids == params.get("abstract_flow_id", [])
    assert selection.integration_id == params.get("integration_id")


@pytest.mark.parametrize("params", [{}, dict(flow_ids=[], abstract_flow_id=[], integration_id=None),
                                    dict(flow_ids=None, integration_id="")])
def test_no_flows_selected_fails(params):
    with pytest.raises(ValidationError) as info:
        ErrorSelection(params, now=NOW)
    assert "flow_ids" in str(info.value) and "abstract_flow_id" in str(info.value) and "integration_id" in str(info.value)


@pytest.mark.parametrize("after, before", [
    ("2026-11-20T05:00:00Z", "2026-11-20T04:00:00Z"),
    ("2026-11-20T04:00:00Z", "2026-11-20T04:00:00Z"),
    ("2026-11-20T06:00:00+02:00", "2026-11-20T04:00:00Z"),
    ("1h", "2h"),
    ("now", "now"),
])
def test_after_must_be_earlier_than_before(after, before):
    with pytest.raises(ValidationError) as info:
        select(occurred_after=after, occurred_before=before)
    message = str(info.value)
    assert "occurred_after (%s)" % after in message
    assert "occurred_before (%s)" % before in message


def test_after_before_window_is_accepted():
    selection = select(occurred_after="2h", occurred_before="1h")
    assert selection.after == NOW - timedelta(hours=2)
    assert selection.before == NOW - timedelta(hours=1)


def test_relative_times_share_one_clock(monkeypatch):
    """'1h' and '1h' describe the same instant, even when the clock moves while the options are parsed."""

    class Ticking(datetime):
        calls = []

        @classmethod
        def now(cls, tz=None):
            cls.calls.append(tz)
            return NOW + timedelta(microseconds=len(cls.calls))

    monkeypatch.setattr(selection_module, "datetime", Ticking)
    with pytest.raises(ValidationError):
        ErrorSelection(dict(flow_ids=["f1"], occurred_after="1h", occurred_before="1h"))


@pytest.mark.parametrize("option, values, shown", [
    ("flow_ids", ["f1", "f2", "f1"], "f1"),
    ("error_ids", ["e1", "e2", "e2", "e1", "e2"], "e2, e1"),
    ("retry_data_keys", ["k1", "k1"], "k1"),
])
def test_duplicates_are_refused(option, values, shown):
    with pytest.raises(ValidationError) as info:
        select(**{option: values})
    assert str(info.value) == "%s: duplicate values %s" % (option, shown)


def test_duplicates_message_is_bounded():
    values = ["e%d" % (i % 10) for i in range(40)]
    with pytest.raises(ValidationError) as info:
        select(error_ids=values)
    assert str(info.value) == "error_ids: duplicate values e0, e1, e2, e3, e4"


@pytest.mark.parametrize("regex", ["(unclosed", "[a-", "*x"])
def test_bad_regex_names_message_regex(regex):
    with pytest.raises(ValidationError) as info:
        select(message_regex=regex)
    assert str(info.value).startswith("message_regex: '%s' is not a valid regular expression" % regex)


def test_wants_step():
    assert select().wants_step("anything")
    selection = select(step_ids=["s1", "s2"])
    assert selection.wants_step("s1")
    assert not selection.wants_step("s3")


# -- matches ----------------------------------------------------------------------------------------


def error(**fields):
    record = dict(errorId="e1", retryDataKey="k1", source="application", classification="value", code="invalid_ref",
                  message="Invalid reference to customer 42", tags=["t1"], occurredAt="2026-11-20T04:00:00.000Z",
                  _flowId="f1", _stepId="s1")
    record.update(fields)
    return record


def test_no_filters_match_everything():
    assert select().matches(error())
    assert select().matches({})


@pytest.mark.parametrize("params, record, expected", [
    (dict(error_ids=["e1", "e9"]), error(), True),
    (dict(error_ids=["e9"]), error(), False),
    (dict(retry_data_keys=["k1"]), error(), True),
    (dict(retry_data_keys=["k2"]), error(), False),
    (dict(retry_data_keys=["k1"]), error(retryDataKey=None), False),
    (dict(sources=["application", "connection"]), error(), True),
    (dict(sources=["connection"]), error(), False),
    (dict(sources=["connection"]), error(source=None), False),
    (dict(classifications=["value"]), error(), True),
    (dict(classifications=["parse"]), error(), False),
    (dict(classifications=["none"]), error(classification=None), True),
    (dict(classifications=["none"]), error(classification=""), True),
    (dict(classifications=["none"]), {"errorId": "e1"}, True),
    (dict(classifications=["value"]), error(classification=None), False),
    (dict(codes=["invalid_ref"]), error(), True),
    (dict(codes=["422"]), error(code=422), True),
    (dict(codes=[422]), error(code="422"), True),
    (dict(codes=["other"]), error(), False),
    (dict(retryable=True), error(), True),
    (dict(retryable=True), error(retryDataKey=None), False),
    (dict(retryable=True), error(retryDataKey=""), False),
    (dict(retryable=False), error(retryDataKey=None), True),
    (dict(retryable=False), {"errorId": "e1"}, True),
    (dict(retryable=False), error(), False),
    (dict(retryable=None), error(retryDataKey=None), True),
    (dict(tags=["t1", "t2"]), error(), True),
    (dict(tags=["t2"]), error(tags=["t1", "t2", "t3"]), True),
    (dict(tags=["t2"]), error(), False),
    (dict(tags=["t1"]), error(tags=None), False),
    (dict(tags=["t1"]), error(tags=[]), False),
    (dict(message_regex="customer \\d+"), error(), True),
    (dict(message_regex="^customer"), error(), False),
    (dict(message_regex="(?i)INVALID"), error(), True),
    (dict(message_regex="x"), error(message=None), False),
    (dict(message_regex="^$"), error(message=None), True),
])
def test_each_filter(params, record, expected):
    assert select(**params).matches(record) is expected


def test_filters_combine_with_and():
    selection = select(sources=["application"], classifications=["value"], codes=["invalid_ref"], tags=["t1"],
                       retryable=True, message_regex="customer")
    assert selection.matches(error())
    assert not selection.matches(error(tags=["t9"]))
    assert not selection.matches(error(code="other"))


@pytest.mark.parametrize("occurred, expected", [
    ("2026-11-20T03:59:59.999Z", False),
    ("2026-11-20T04:00:00.000Z", True),   # after is inclusive
    ("2026-11-20T06:00:00+02:00", True),  # same instant, other offset
    ("2026-11-20T04:59:59.999Z", True),
    ("2026-11-20T05:00:00.000Z", False),  # before is exclusive
    ("2026-11-20T05:00:00.001Z", False),
    (None, False),
    ("", False),
])
def test_time_window_boundaries(occurred, expected):
    selection = select(occurred_after="2026-11-20T04:00:00Z", occurred_before="2026-11-20T05:00:00Z")
    assert selection.matches(error(occurredAt=occurred)) is expected


def test_only_after():
    selection = select(occurred_after="2026-11-20T04:00:00Z")
    assert selection.matches(error(occurredAt="2030-01-01T00:00:00Z"))
    assert not selection.matches(error(occurredAt="2026-11-19T04:00:00Z"))


def test_only_before():
    selection = select(occurred_before="2026-11-20T04:00:00Z")
    assert selection.matches(error(occurredAt="2020-01-01T00:00:00Z"))
    assert not selection.matches(error(occurredAt="2026-11-20T04:00:00Z"))


def test_relative_window():
    selection = select(occurred_after="2h")
    assert selection.matches(error(occurredAt="2026-11-20T11:00:00Z"))
    assert not selection.matches(error(occurredAt="2026-11-20T09:59:59Z"))


def test_without_time_filters_occurred_at_is_not_parsed():
    assert select().matches(error(occurredAt="garbage"))


# -- bounded ages and times: one line naming the option, never an OverflowError ---------------------------


@pytest.mark.parametrize("value", ["99999999999h", "3651d", "522w", "999999999999999999999999999999s", "9" * 5000 + "d",
                                   "315360001s ago"])
@pytest.mark.parametrize("option", ["occurred_after", "occurred_before"])
def test_a_relative_age_beyond_ten_years_is_refused(value, option):
    with pytest.raises(ValidationError) as info:
        parse_time(value, option, NOW)
    message = str(info.value)
    assert message.startswith("%s: '" % option) and "too far back" in message and "3650 days" in message
    assert "\n" not in message


@pytest.mark.parametrize("value", ["3650d", "521w", "315360000s"])
def test_a_relative_age_of_up_to_ten_years_is_taken(value):
    assert NOW - parse_time(value, "occurred_after", NOW) <= timedelta(days=3650)


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.999999Z",
                                   "0001-01-01", "1969-12-31T23:59:59Z", "9999-01-01"])
def test_a_time_outside_1970_to_9998_is_refused_in_one_line(value):
    with pytest.raises(ValidationError) as info:
        parse_time(value, "occurred_before", NOW)
    assert str(info.value) == "occurred_before: '%s' is out of range; use a time from 1970 to 9998" % value


def test_the_window_edges_are_taken():
    assert parse_time("1970-01-01T00:00:00Z", "occurred_after") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_time("9998-12-31T23:59:59.999999Z", "occurred_before").year == 9998


def test_the_selection_refuses_an_overflowing_age_before_anything_else():
    with pytest.raises(ValidationError, match="^occurred_after: '99999999999h' is too far back"):
        ErrorSelection(dict(flow_ids=["f1"], occurred_after="99999999999h"), now=NOW)


@pytest.mark.parametrize("occurred", ["garbage", "2h", "9999-12-31T23:59:59-01:00", 1763611200])
def test_a_listed_error_with_an_unreadable_time_fails_naming_the_error(occurred):
    selection = select(occurred_after="2026-11-20T04:00:00Z")
    with pytest.raises(FlowOpsError) as info:
        selection.matches(error(occurredAt=occurred, errorId="e9", _flowId="f1", _stepId="s1"))
    assert str(info.value).startswith("error e9 (flow f1, step s1): the platform's occurredAt '")
    assert not isinstance(info.value, ValidationError)


# -- choices with a "did you mean", allow_empty ----------------------------------------------------------


def test_an_unknown_classification_names_the_option_and_the_closest_one():
    with pytest.raises(ValidationError) as info:
        ErrorSelection(dict(flow_ids=["f1"], classifications=["rate_limit", "intermitent", "bogus"]))
    assert str(info.value) == ("classifications: unknown classification 'intermitent', 'bogus' (did you mean 'intermittent'?); "
                               "choose from connection, duplicate, governance, intermittent, missing, parse, value, rate_limit, "
                               "too_large, none, stale")
    assert info.value.option == "classifications"


def test_choice_problem_suggests_nothing_when_nothing_is_close():
    assert selection_module.choice_problem("x", ["zzz"], ("eu", "us"), "region") == "x: unknown region 'zzz'; choose from eu, us"
    assert selection_module.choice_problem("x", ["eu"], ("eu", "us"), "region") is None


def test_the_window_order_failure_names_occurred_after():
    with pytest.raises(ValidationError) as info:
        ErrorSelection(dict(flow_ids=["f1"], occurred_after="1h", occurred_before="2h"), now=NOW)
    assert info.value.option == "occurred_after"


def test_allow_empty_is_false_only_when_the_caller_has_the_option():
    assert ErrorSelection(dict(flow_ids=["f1"], allow_empty=False)).allow_empty is False
    assert ErrorSelection(dict(flow_ids=["f1"], allow_empty=True)).allow_empty is True
    assert ErrorSelection(dict(flow_ids=["f1"])).allow_empty is True  # the inventory plugin warns, as before


# -- select_flows: an id that finds no flow ------------------------------------------------------------


class Flows:
    """An adapter with flows, abstract flows and integrations in memory; every call is recorded."""

    refused_selections = {}

    def __init__(self):
        self.flows = {"i1": {"_id": "i1", "_abstractFlowId": "abs"}, "i2": {"_id": "i2", "_abstractFlowId": "abs"},
                      "abs": {"_id": "abs", "_abstractFlowId": None}}
        self.calls = []

    def get_flow(self, flow_id):
        self.calls.append(("get", flow_id))
        if flow_id not in self.flows:
            raise FlowOpsError("flow not found", status=404, method="GET", path="/v1/flows/%s" % flow_id)
        return self.flows[flow_id]

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        self.calls.append(("list", abstract_flow_id or integration_id))
        return [flow for flow in self.flows.values() if abstract_flow_id and flow["_abstractFlowId"] == abstract_flow_id]


def flows_context(adapter, **params):
    warnings = []
    ctx = type("Ctx", (), {})()
    ctx.adapter, ctx.selection, ctx.warnings = adapter, ErrorSelection(dict(params)), warnings
    ctx.warn = warnings.append
    ctx.fan_out_all = lambda func, items: [(item, func(item)) for item in items]
    return ctx


def test_an_abstract_flow_without_flows_fails_naming_the_option_after_one_look_up():
    adapter = Flows()
    with pytest.raises(FlowOpsError) as info:
        targets.select_flows(flows_context(adapter, abstract_flow_id=["nope"], allow_empty=False))
    assert str(info.value) == "abstract_flow_id: abstract flow nope has no flows (set allow_empty: true to accept it)"
    assert info.value.to_fail_kwargs()["option"] == "abstract_flow_id"
    assert adapter.calls == [("list", "nope"), ("get", "nope")]


def test_allow_empty_turns_it_into_a_warning_with_no_extra_request():
    adapter = Flows()
    ctx = flows_context(adapter, abstract_flow_id=["nope"], integration_id="int9", allow_empty=True)
    assert targets.select_flows(ctx) == []
    assert ctx.warnings == ["abstract flow nope has no flows", "integration int9 has no flows"]
    assert adapter.calls == [("list", "nope"), ("list", "int9")]


def test_an_integration_without_flows_fails_naming_integration_id():
    with pytest.raises(FlowOpsError, match=r"^integration_id: integration int9 has no flows \(set allow_empty: true"):
        targets.select_flows(flows_context(Flows(), integration_id="int9", allow_empty=False))


def test_an_instance_id_given_as_an_abstract_id_says_use_flow_ids():
    with pytest.raises(FlowOpsError) as info:
        targets.select_flows(flows_context(Flows(), abstract_flow_id=["i1"], allow_empty=False))
    assert str(info.value) == "abstract_flow_id: i1 is a flow (instance) id, not an abstract flow id: use flow_ids"
    assert "allow_empty" not in str(info.value)


def test_an_abstract_id_given_as_a_flow_id_that_the_platform_does_not_serve_says_use_abstract_flow_id():
    adapter = Flows()
    del adapter.flows["abs"]  # a platform where the abstract flow is no flow record of its own
    with pytest.raises(FlowOpsError) as info:
        targets.select_flows(flows_context(adapter, flow_ids=["abs"], allow_empty=False))
    assert str(info.value) == "flow_ids: abs is an abstract flow id, not a flow (instance) id: use abstract_flow_id"
    assert adapter.calls == [("get", "abs"), ("list", "abs")]


def test_an_unknown_flow_id_keeps_its_404_and_names_flow_ids():
    with pytest.raises(FlowOpsError) as info:
        targets.select_flows(flows_context(Flows(), flow_ids=["ghost"], allow_empty=False))
    assert str(info.value) == "GET /v1/flows/ghost: HTTP 404 flow not found"
    assert info.value.option == "flow_ids"


def test_a_refused_token_on_a_flow_is_not_blamed_on_flow_ids():
    adapter = Flows()

    def refused(flow_id):
        raise FlowOpsError("Bearer Authentication Failed", status=401, method="GET", path="/v1/flows/%s" % flow_id)

    adapter.get_flow = refused
    with pytest.raises(FlowOpsError) as info:
        targets.select_flows(flows_context(adapter, flow_ids=["i1"], allow_empty=False))
    assert info.value.status == 401 and info.value.option is None
