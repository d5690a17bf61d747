# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flows as inventory: the selected flows, each with its open errors by step and by classification.

The inventory plugin (plugins/inventory/flows.py) lists flows the way the modules select them (``select_flows``),
and with no selection every flow the account or project holds. Open errors are counted, never kept: a step's errors
are streamed and counted by classification, so memory grows with the flows and steps, not with the errors.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.module_utils._select.dismissals import dismissed_errors, dismissed_for
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import ErrorSelection
from ansible_collections.flowops.ipaas.plugins.module_utils._select.targets import select_flows

# The selection options, with the names and defaults of the modules' (FLOW_SELECTION_SPEC).
SELECTION_OPTIONS = ("flow_ids", "abstract_flow_id", "integration_id")
UNCLASSIFIED = "none"  # what the selection calls an error without a classification


class InventoryContext:
    """What listing flows needs of a run, outside a module: the adapter, the selection (None: every flow), a fan-out
    and where warnings go. Built once by the inventory plugin; the adapter is given its warn and fan-out, never the
    context itself.

    ``fan_out(func, items)`` yields ``(item, result, error)`` in input order (see _run/concurrency.py);
    ``warn(message)`` hears each warning once; ``params`` may name a ``dismissed_file``.
    """

    def __init__(self, adapter, selection, fan_out, warn, params=None):
        self.adapter = adapter
        self.selection = selection
        self.params = dict(params or {})
        self.dismissed = dismissed_errors(adapter, self.params.get("dismissed_file"))  # read once, on local platforms
        self.warnings = []
        self._fan_out = fan_out
        self._warn = _once(warn, self.warnings)
        adapter.bind(warn=self._warn, fan_out_all=lambda func, items: _all_or_first_error(fan_out, func, items))

    def warn(self, message):
        self._warn(message)

    def fan_out(self, func, items):
        return self._fan_out(func, items)

    def fan_out_all(self, func, items):
        return _all_or_first_error(self._fan_out, func, items)


def _once(warn, said):
    """``warn`` hearing each message once; ``said`` keeps them in order."""
    def say(message):
        if message not in said:
            said.append(message)
            warn(message)
    return say


def _all_or_first_error(fan_out, func, items):
    collected = []
    for item, result, error in fan_out(func, items):
        if error is not None:
            raise error
        collected.append((item, result))
    return collected


def inventory_selection(params):
    """An ``ErrorSelection`` for the flow options in ``params`` (validated as the modules do), or None when none is
    set: every flow of the account or project."""
    if not any(params.get(name) for name in SELECTION_OPTIONS):
        return None
    return ErrorSelection(dict((name, params.get(name)) for name in SELECTION_OPTIONS))


def inventory_flows(ctx):
    """The selected flow records, each once; without a selection every flow the platform lists."""
    if ctx.selection is not None:
        return select_flows(ctx)
    adapter = ctx.adapter
    if "list_flows" not in adapter.capabilities:
        raise adapter.unsupported("listing every flow", "select flows with flow_ids")
    flows, seen = [], set()
    for flow in adapter.list_flows():
        if flow["_id"] not in seen:
            seen.add(flow["_id"])
            flows.append(flow)
    return flows


def _classification(error):
    return error.get("classification") or UNCLASSIFIED


def _count_step(ctx, flow_id, step_id):
    """``{classification: n}`` of a step's open errors, streamed; errors dismissed locally are not open."""
    dismissed = dismissed_for(ctx)
    counts = {}
    for error in ctx.adapter.iter_errors(flow_id, step_id, False, None):
        if dismissed is not None and error.get("errorId") in dismissed:
            continue
        name = _classification(error)
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def inventory_record(platform, flow):
    """The inventory's view of a flow record (the ``flowops_flow`` host variable, without error counts)."""
    return {
        "id": flow["_id"],
        "name": flow.get("name"),
        "platform": platform,
        "disabled": bool(flow.get("disabled")),
        "abstract_flow_id": flow.get("_abstractFlowId"),
        "integration_id": flow.get("_integrationId"),
    }


def describe_flows(ctx, include_error_counts=True, by_classification=True):
    """One plain record per selected flow (see ``inventory_record``), in selection order, with ``open_errors``,
    ``open_errors_by_step`` (``{step_id: {"open_errors", "last_error_at"[, "by_classification"]}}``) and, with
    ``by_classification``, ``open_errors_by_classification`` when ``include_error_counts``.

    Counts come from each flow's error summary; with ``by_classification`` every step the summary says has open
    errors is listed and counted instead (what the modules would act on: errors dismissed locally left out), so
    the counts by step and by classification add up to ``open_errors``.
    """
    adapter = ctx.adapter
    flows = inventory_flows(ctx)
    records = [inventory_record(adapter.name, flow) for flow in flows]
    if not include_error_counts:
        return records
    summaries = dict((flow["_id"], summary) for flow, summary
                     in ctx.fan_out_all(lambda flow: adapter.error_summary(flow["_id"]), flows))
    by_step = {}
    for flow in flows:
        by_step[flow["_id"]] = dict(
            (step_id, {"open_errors": entry.get("open_errors", 0), "last_error_at": entry.get("last_error_at")})
            for step_id, entry in summaries[flow["_id"]].items())
    if by_classification:
        targets = [(flow_id, step_id) for flow_id, steps in by_step.items() for step_id, entry in steps.items()
                   if entry["open_errors"] > 0]
        counted = dict(ctx.fan_out_all(lambda target: _count_step(ctx, target[0], target[1]), targets))
        for flow_id, steps in by_step.items():
            for step_id, entry in steps.items():
                counts = counted.get((flow_id, step_id), {})
                entry["by_classification"] = counts
                entry["open_errors"] = sum(counts.values())
    for record in records:
        steps = by_step[record["id"]]
        record["open_errors"] = sum(entry["open_errors"] for entry in steps.values())
        record["open_errors_by_step"] = steps
        if by_classification:
            totals = {}
            for entry in steps.values():
                for name, number in entry["by_classification"].items():
                    totals[name] = totals.get(name, 0) + number
            record["open_errors_by_classification"] = dict(sorted(totals.items()))
    return records
