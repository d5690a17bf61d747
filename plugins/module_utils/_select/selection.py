# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which flows, steps and errors a task works on: one implementation of every selection option."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime, timedelta, timezone

from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.classification import CLASSIFICATIONS, NOT_SELECTED_BY_DEFAULT
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError, suggestion

FLOW_SELECTION_SPEC = dict(
    flow_ids=dict(type="list", elements="str", default=[]),
    abstract_flow_id=dict(type="list", elements="str", default=[], aliases=["abstract_flow_ids"]),
    integration_id=dict(type="str"),
    allow_empty=dict(type="bool", default=False),
)

ERROR_SELECTION_SPEC = dict(
    step_ids=dict(type="list", elements="str", default=[]),
    occurred_after=dict(type="str"),
    occurred_before=dict(type="str"),
    sources=dict(type="list", elements="str", default=[]),
    # No ``choices``: ErrorSelection checks them (choice_problem), with a "did you mean".
    classifications=dict(type="list", elements="str", default=[]),
    codes=dict(type="list", elements="str", default=[]),
    message_regex=dict(type="str"),
    retryable=dict(type="bool"),
    tags=dict(type="list", elements="str", default=[]),
    error_ids=dict(type="list", elements="str", default=[]),
    retry_data_keys=dict(type="list", elements="str", default=[], no_log=False),
    dismissed_file=dict(type="path"),
)

SELECTION_SPEC = dict(FLOW_SELECTION_SPEC, **ERROR_SELECTION_SPEC)

_RELATIVE = re.compile(r"^\s*-?\s*(\d+)\s*([smhdw])\s*(ago)?\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_AGE_DAYS = 3650
# Times outside these years are refused: the adapters widen a window by a second, which must never overflow.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(9999, 1, 1, tzinfo=timezone.utc)
_RANGE = "a time from 1970 to 9998"


def iso_time(text):
    """An aware UTC datetime from ISO 8601 text; ``ValueError`` when it is not one, ``OverflowError`` when it is
    outside 1970 to 9998."""
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    parsed = parsed.astimezone(timezone.utc)  # may overflow near year 1 or 9999 itself
    if not EARLIEST <= parsed < LATEST:
        raise OverflowError(text)
    return parsed


def _age(digits, unit, value, option):
    """A relative age as a timedelta, at most ``MAX_AGE_DAYS`` (a longer one would overflow, or select everything)."""
    seconds = int(digits) * _SECONDS[unit.lower()] if len(digits) <= 12 else None
    if seconds is None or seconds > MAX_AGE_DAYS * 86400:
        raise ValidationError("%s: '%s' is too far back; use a relative age of at most %d days, or an ISO 8601 time"
                              % (option, value, MAX_AGE_DAYS))
    return timedelta(seconds=seconds)


def parse_time(value, option, now=None):
    """An aware UTC datetime from ISO 8601 (``2026-11-20T04:00:00Z``, ``2026-11-20``), ``now`` or ``2h``/``30m ago``."""
    if value is None or value == "":
        return None
    now = now or datetime.now(timezone.utc)
    text = str(value).strip()
    if text.lower() == "now":
        return now
    relative = _RELATIVE.match(text)
    if relative:
        return now - _age(relative.group(1), relative.group(2), value, option)
    try:
        return iso_time(text)
    except OverflowError:
        raise ValidationError("%s: '%s' is out of range; use %s" % (option, value, _RANGE))
    except ValueError:
        raise ValidationError("%s: '%s' is not a time; use ISO 8601 (2026-11-20T04:00:00Z), 'now' or a "
                              "relative age such as '2h' or '30m'" % (option, value))


def choice_problem(name, values, choices, what):
    """One line naming ``name`` when some of ``values`` are not in ``choices`` (the first unknown one with a "did you
    mean"), else None. ``what`` names one value: ``classification``."""
    unknown = [value for value in values or () if value not in choices]
    if not unknown:
        return None
    return "%s: unknown %s %s%s; choose from %s" % (name, what, ", ".join("'%s'" % value for value in unknown),
                                                    suggestion(unknown[0], choices), ", ".join(choices))


def occurred_at(error):
    """When a listed error occurred (its ``occurredAt``, ISO 8601 from the platform), or None when it has none."""
    value = error.get("occurredAt")
    if not value:
        return None
    try:
        return iso_time(str(value))
    except (ValueError, OverflowError):
        raise FlowOpsError("error %s (flow %s, step %s): the platform's occurredAt '%s' is not %s in ISO 8601"
                           % (error.get("errorId"), error.get("_flowId"), error.get("_stepId"), str(value)[:40], _RANGE))


def _duplicates(values):
    seen, dups = set(), []
    for value in values:
        if value in seen and value not in dups:
            dups.append(value)
        seen.add(value)
    return dups


class ErrorSelection:
    """Validated selection options with one ``matches(error)`` filter, shared by every errors module."""

    def __init__(self, params, now=None):
        now = now or datetime.now(timezone.utc)  # relative times in one selection share one clock
        self.flow_ids = list(params.get("flow_ids") or [])
        self.abstract_flow_ids = list(params.get("abstract_flow_id") or [])
        self.integration_id = params.get("integration_id")
        self.step_ids = set(params.get("step_ids") or [])
        self.after = parse_time(params.get("occurred_after"), "occurred_after", now)
        self.before = parse_time(params.get("occurred_before"), "occurred_before", now)
        self.sources = set(params.get("sources") or [])
        self.classifications = set(params.get("classifications") or [])
        self.codes = set(str(c) for c in params.get("codes") or [])
        self.retryable = params.get("retryable")
        self.tags = set(params.get("tags") or [])
        self.error_ids = set(params.get("error_ids") or [])
        self.retry_data_keys = set(params.get("retry_data_keys") or [])
        self.message_regex = None
        # An abstract flow or integration with no flows fails the modules unless allow_empty is true (their spec's
        # default is false); callers without the option (the inventory plugin) warn instead, as before.
        self.allow_empty = bool(params.get("allow_empty", True))
        # Only the modules that write (retry, resolve) take batch_size: they leave out NOT_SELECTED_BY_DEFAULT
        # classifications unless the selection names them (or names errors by id or key); info modules list everything.
        explicit = self.classifications or self.error_ids or self.retry_data_keys
        self.left_out = set() if explicit or "batch_size" not in params else set(NOT_SELECTED_BY_DEFAULT)
        self._validate(params)

    def _validate(self, params):
        if not (self.flow_ids or self.abstract_flow_ids or self.integration_id):
            raise ValidationError("select flows with flow_ids, abstract_flow_id or integration_id")
        if self.after and self.before and self.after >= self.before:
            raise ValidationError("occurred_after (%s) must be earlier than occurred_before (%s)"
                                  % (params.get("occurred_after"), params.get("occurred_before")), option="occurred_after")
        problem = choice_problem("classifications", params.get("classifications"), CLASSIFICATIONS, "classification")
        if problem:
            raise ValidationError(problem)
        for option in ("flow_ids", "error_ids", "retry_data_keys"):
            dups = _duplicates(params.get(option) or [])
            if dups:
                raise ValidationError("%s: duplicate values %s" % (option, ", ".join(dups[:5])))
        if params.get("message_regex"):
            try:
                self.message_regex = re.compile(params["message_regex"])
            except re.error as exc:
                raise ValidationError("message_regex: '%s' is not a valid regular expression (%s)"
                                      % (params["message_regex"], exc))

    def server_filters(self):
        """What a platform may filter server-side; each adapter sends the ones its API takes.

        ``occurred_after`` / ``occurred_before`` are aware datetimes (or None), ``sources`` a sorted list.
        The selection still checks every record it gets back (``matches``).
        """
        return {"occurred_after": self.after, "occurred_before": self.before, "sources": sorted(self.sources)}

    def wants_step(self, step_id):
        return not self.step_ids or step_id in self.step_ids

    def matches(self, error):
        """True when an error record passes every selection filter."""
        if self.error_ids and error.get("errorId") not in self.error_ids:
            return False
        if self.retry_data_keys and error.get("retryDataKey") not in self.retry_data_keys:
            return False
        if self.retryable is not None and bool(error.get("retryDataKey")) != self.retryable:
            return False
        if self.sources and error.get("source") not in self.sources:
            return False
        if self.classifications and (error.get("classification") or "none") not in self.classifications:
            return False
        if error.get("classification") in self.left_out:
            return False
        if self.codes and str(error.get("code")) not in self.codes:
            return False
        if self.tags and not self.tags.intersection(error.get("tags") or ()):
            return False
        if self.message_regex and not self.message_regex.search(error.get("message") or ""):
            return False
        if self.after or self.before:
            occurred = occurred_at(error)
            if occurred is None:
                return False
            if self.after and occurred < self.after:
                return False
            if self.before and occurred >= self.before:
                return False
        return True
