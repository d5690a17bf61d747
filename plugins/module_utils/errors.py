# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception family every module turns into a one-line ``fail_json``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import math
import re

# "option: ..." or "option (from the VARIABLE environment variable): ...", the way a message names what it concerns.
OPTION_PREFIX = re.compile(r"^([a-z][a-z0-9_]*)(?: \(from the ([A-Z][A-Z0-9_]*) environment variable\))?: ")


class FlowOpsError(Exception):
    """Any failure talking to a platform or validating input.

    ``str(error)`` is the one line an operator reads; it never contains the API token.
    ``may_have_applied`` is true when a write failed after the request may have reached
    the server, so callers re-read state instead of re-sending.
    ``option`` names the module option the failure concerns (its message starts with it), and
    ``environment_variable`` the variable its value came from, when it did: a role or playbook turns
    them back into the variable its user set (plugins/filter/failure_line.py).
    """

    def __init__(self, message, status=None, method=None, path=None, code=None, may_have_applied=False,
                 option=None, environment_variable=None):
        super(FlowOpsError, self).__init__(message)
        self.message, self.may_have_applied = message, may_have_applied
        # The request and the answer it concerns, when there was one.
        self.method, self.path, self.status, self.code = method, path, status, code
        # The option (and the environment variable it came from) it concerns, when it is about input.
        self.option, self.environment_variable = option, environment_variable

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
        for name in ("status", "method", "path", "code", "option", "environment_variable"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return kwargs


class ControllerGone(FlowOpsError):
    """The controller went away (ansible-playbook killed or cancelled): nothing more was sent."""


class ValidationError(FlowOpsError):
    """Bad module input, raised before any request is sent.

    The message starts with the option it concerns (``occurred_after: '6 hours' is not a time ...``), or with
    ``option (from the VARIABLE environment variable):``; ``option`` and ``environment_variable`` are read from
    that prefix unless given.
    """

    def __init__(self, message, option=None, environment_variable=None, **kwargs):
        named = OPTION_PREFIX.match(message)
        if named and option is None:
            option, environment_variable = named.group(1), environment_variable or named.group(2)
        super(ValidationError, self).__init__(message, option=option, environment_variable=environment_variable, **kwargs)


def without_option(message):
    """``message`` without the ``option:`` (or ``option (from the VARIABLE environment variable):``) it starts with."""
    named = OPTION_PREFIX.match(message)
    return message[named.end():] if named else message


def suggestion(value, choices):
    """``" (did you mean 'eu'?)"`` when one of ``choices`` is close to ``value`` (difflib, case-insensitive), else ``""``."""
    lowered = dict((str(choice).lower(), choice) for choice in choices)
    close = difflib.get_close_matches(str(value).lower(), list(lowered), n=1, cutoff=0.6)
    return " (did you mean '%s'?)" % lowered[close[0]] if close else ""


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
