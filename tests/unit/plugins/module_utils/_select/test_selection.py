# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time parsing, selection validation and the error filter."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils._select import selection as selection_module
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
