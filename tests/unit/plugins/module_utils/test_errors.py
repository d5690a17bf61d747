# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""errors.py: the one-line failure an operator reads, what fail_json gets, and the range check of every number option."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import (
    ControllerGone, FlowOpsError, UnsupportedOperation, ValidationError, check_range, fail_with_result)


def test_the_line_names_method_path_status_and_code_when_known():
    error = FlowOpsError("Flow not found", status=404, method="GET", path="/v1/flows/f9", code="not_found")
    assert str(error) == "GET /v1/flows/f9: HTTP 404 [not_found] Flow not found"
    assert str(FlowOpsError("plain")) == "plain"
    assert str(FlowOpsError("no path", method="GET")) == "no path"  # a method without a path names no endpoint


def test_fail_kwargs_hold_the_line_and_only_the_known_fields():
    error = FlowOpsError("boom", status=502, method="POST", path="/retry")
    kwargs = error.to_fail_kwargs()
    assert kwargs["msg"] == "POST /retry: HTTP 502 boom" and (kwargs["status"], kwargs["method"], kwargs["path"]) == (502, "POST", "/retry")
    assert "code" not in kwargs and "may_have_applied" not in kwargs
    assert FlowOpsError("x").to_fail_kwargs()["msg"] == "x"


def test_a_write_that_may_have_applied_says_so():
    assert FlowOpsError("reset", may_have_applied=True).may_have_applied is True
    assert FlowOpsError("refused").may_have_applied is False


def test_the_family():
    assert issubclass(ValidationError, FlowOpsError) and issubclass(ControllerGone, FlowOpsError)
    assert issubclass(UnsupportedOperation, FlowOpsError)


def test_unsupported_names_the_platform_and_the_hint():
    assert str(UnsupportedOperation("cloudflare", "resolving errors")) == "platform 'cloudflare' does not support resolving errors"
    assert str(UnsupportedOperation("superai", "x", "use y")) == "platform 'superai' does not support x; use y"


@pytest.mark.parametrize("value, low, high", [(0, 0, 10), (10, 0, 10), (5.5, 0, None), (None, 1, 2)])
def test_values_in_range_pass(value, low, high):
    check_range("opt", value, low, high)


@pytest.mark.parametrize("value, low, high, message", [
    (-1, 0, 10, "opt: -1 is out of range; use a value between 0 and 10"),
    (11, 0, 10, "opt: 11 is out of range; use a value between 0 and 10"),
    (0, 1, None, "opt: 0 is out of range; use a value at least 1"),
    (float("nan"), 0, 10, "opt: nan is not a number; use a finite value"),
    (float("inf"), 0, None, "opt: inf is not a number; use a finite value"),
    (10 ** 30, 0, 10, "opt: 10000000000000000000... is out of range; use a value between 0 and 10"),
])
def test_values_out_of_range_fail_in_one_line_naming_the_option(value, low, high, message):
    with pytest.raises(ValidationError) as info:
        check_range("opt", value, low, high)
    assert str(info.value) == message


def test_fail_with_result_carries_the_work_done():
    result = {"changed": True, "counts": {"retried": 3}}
    error = fail_with_result("retried 3 of 5", result)
    assert isinstance(error, FlowOpsError) and str(error) == "retried 3 of 5" and error.result is result
