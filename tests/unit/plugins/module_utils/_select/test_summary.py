# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error counting."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.module_utils._select.summary import MESSAGE_WIDTH, ErrorSummary


def subset(result, keys):
    return dict((key, result[key]) for key in keys)


KEYS = ("flows", "retryable", "not_retryable", "by_flow", "by_step", "by_classification", "by_code")


def test_empty_summary():
    assert subset(ErrorSummary().as_dict(), KEYS) == dict(flows=0, retryable=0, not_retryable=0, by_flow={}, by_step={},
                                                          by_classification={}, by_code={})


def test_counts_by_flow_step_classification_and_code():
    summary = ErrorSummary(flows=["f1", "f2", "f3"])
    summary.add(dict(_flowId="f1", _stepId="s1", retryDataKey="k1", classification="value", code="invalid_ref",
                     message="Invalid ref"))
    summary.add(dict(_flowId="f1", _stepId="s1", retryDataKey="k2", classification="value", code="invalid_ref",
                     message="Invalid   ref\n"))
    summary.add(dict(_flowId="f1", _stepId="s2", classification=None, code=500, message="Server error"))
    summary.add(dict(_flowId="f2", _stepId="s9", retryDataKey="", code=None))
    result = summary.as_dict()
    assert subset(result, KEYS) == dict(
        flows=3,
        retryable=2,
        not_retryable=2,
        by_flow={"f1": 3, "f2": 1},
        by_step={"f1": {"s1": 2, "s2": 1}, "f2": {"s9": 1}},
        by_classification={"value": 2, "none": 2},
        by_code={"invalid_ref: Invalid ref": 2, "500: Server error": 1, "None: ": 1},
    )
    assert summary.total == 4
    assert result["retryable_by_flow"] == {"f1": 2}
    assert result["retryable_by_flow_and_classification"] == {"f1": {"value": 2}}
    summary.add(dict(_flowId="f3", _stepId="s1", retryDataKey="k3", classification=None))
    assert summary.as_dict()["retryable_by_flow_and_classification"]["f3"] == {"none": 1}


def test_long_messages_are_cut_so_they_group():
    summary = ErrorSummary()
    long_message = "word " * 100
    summary.add(dict(_flowId="f", _stepId="s", code="c", message=long_message))
    summary.add(dict(_flowId="f", _stepId="s", code="c", message=long_message + "different tail"))
    assert summary.as_dict()["by_code"] == {"c: " + ("word " * 100)[:MESSAGE_WIDTH]: 2}
    assert MESSAGE_WIDTH == 100
