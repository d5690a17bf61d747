# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception family every module turns into a one-line ``fail_json``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math


class FlowOpsError(Exception):
    """Any failure talking to a platform or validating input.

    ``str(error)`` is the one line an operator reads; it never contains the API token.
    ``may_have_applied`` is true when a write failed after the request may have reached
    the server, so callers re-read state instead of re-sending.
    """

    def __init__(self, message, status=None, method=None, path=None, code=None, may_have_applied=False):
        super(FlowOpsError, self).__init__(message)
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        self.code = code
        self.may_have_applied = may_have_applied

    def __str__(self):
        where = ""
        if self.method and self.path:
            where = "%s %s: " % (self.method, self.path)
        status = "HTTP %s " % self.status if self.status else ""
        code = "[%s] " % self.code if self.code else ""
        return "%s%s%s%s" % (where, status, code, self.message)

    def to_fail_kwargs(self):
        """Keyword arguments for ``module.fail_json``."""
        kwargs = dict(msg=str(self))
        for name in ("status", "method", "path", "code"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return kwargs


class ControllerGone(FlowOpsError):
    """The controller went away (ansible-playbook killed or cancelled): nothing more was sent."""


class ValidationError(FlowOpsError):
    """Bad module input, raised before any request is sent."""


def check_range(name, value, low, high=None):
    """Refuse ``value`` of option ``name`` outside ``[low, high]``, and NaN or infinity for any number option."""
    if value is None:
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError("%s: %s is not a number; use a finite value" % (name, value))
    if value < low or (high is not None and value > high):
        bound = "between %s and %s" % (low, high) if high is not None else "at least %s" % low
        shown = str(value) if len(str(value)) <= 24 else str(value)[:20] + "..."
        raise ValidationError("%s: %s is out of range; use a value %s" % (name, shown, bound))


class UnsupportedOperation(FlowOpsError):
    """The selected platform cannot do what was asked."""

    def __init__(self, platform, operation, hint=None):
        message = "platform '%s' does not support %s" % (platform, operation)
        if hint:
            message += "; " + hint
        super(UnsupportedOperation, self).__init__(message)


def fail_with_result(message, result):
    """A one-line failure that still carries everything done so far (see ``runner.run_module``)."""
    error = FlowOpsError(message)
    error.result = result
    return error
