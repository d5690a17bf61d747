# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the run's selection to the flows and steps a task works on, fetched with the run's fan-out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.module_utils._select.dismissals import dismissed_for
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError

NOT_FOUND = 404


def select_flows(ctx):
    """Flow records for flow_ids, every instance of each abstract flow, and every flow of an integration.

    Each flow appears once, in the order the options name them. An abstract flow or integration with no
    flows fails naming its option (``empty_selection``), or is a warning (``ctx.warn``) when the selection
    allows it (``allow_empty``). A flow id the platform does not know fails naming flow_ids.
    """
    adapter, selection = ctx.adapter, ctx.selection
    queries = [("flow", flow_id) for flow_id in selection.flow_ids]
    queries += [("abstract", abstract_id) for abstract_id in selection.abstract_flow_ids]
    if selection.integration_id:
        queries.append(("integration", selection.integration_id))

    def fetch(query):
        kind, value = query
        if kind == "flow":
            try:
                return [adapter.get_flow(value)]
            except FlowOpsError as exc:
                raise unknown_flow(adapter, value, exc)
        if kind == "abstract":
            return list(adapter.list_flows(abstract_flow_id=value))
        return list(adapter.list_flows(integration_id=value))

    by_query = dict(ctx.fan_out_all(fetch, queries))
    flows, seen = [], set()
    for query in queries:
        if not by_query[query] and query[0] != "flow":
            empty_selection(ctx, *query)
        for flow in by_query[query]:
            if flow["_id"] not in seen:
                seen.add(flow["_id"])
                flows.append(flow)
    return flows


def empty_selection(ctx, kind, value):
    """An abstract flow or integration that found no flow: a warning with allow_empty, else a failure naming the
    option. An abstract flow id that is a flow (instance) id says so, with one more request on this path only."""
    option, what = ("abstract_flow_id", "abstract flow") if kind == "abstract" else ("integration_id", "integration")
    found = "%s %s has no flows" % (what, value)
    if ctx.selection.allow_empty:
        ctx.warn(found)
        return
    if kind == "abstract" and _exists(lambda: ctx.adapter.get_flow(value)):
        raise FlowOpsError("abstract_flow_id: %s is a flow (instance) id, not an abstract flow id: use flow_ids" % value,
                           option="abstract_flow_id")
    raise FlowOpsError("%s: %s (set allow_empty: true to accept it)" % (option, found), option=option)


def unknown_flow(adapter, flow_id, error):
    """``error`` (reading flow ``flow_id``) naming flow_ids; a 404 for an id that is an abstract flow's says so, with
    one more request on this path only."""
    if error.status != NOT_FOUND:
        return error
    if "abstract_flow_id" not in adapter.refused_selections and _exists(
            lambda: next(iter(adapter.list_flows(abstract_flow_id=flow_id)), None)):
        return FlowOpsError("flow_ids: %s is an abstract flow id, not a flow (instance) id: use abstract_flow_id" % flow_id,
                            option="flow_ids")
    error.option = "flow_ids"
    return error


def _exists(read):
    """True when ``read()`` returns something; a failure of this extra look counts as not found."""
    try:
        return read() is not None
    except FlowOpsError:
        return False


def error_summaries(ctx, flows):
    """``{flow_id: {step_id: {"open_errors", "last_error_at"}}}`` fetched concurrently."""
    results = ctx.fan_out_all(lambda flow: ctx.adapter.error_summary(flow["_id"]), flows)
    return dict((flow["_id"], summary) for flow, summary in results)


def steps_to_read(ctx, flows, resolved=False):
    """``[(flow, step_id)]`` worth listing: for open errors only steps the summary says have some."""
    selection = ctx.selection
    if resolved:
        results = ctx.fan_out_all(lambda flow: ctx.adapter.flow_steps(flow["_id"]), flows)
        per_flow = dict((flow["_id"], [s["_id"] for s in steps]) for flow, steps in results)
        return [(flow, step_id) for flow in flows for step_id in per_flow[flow["_id"]] if selection.wants_step(step_id)]
    summaries = error_summaries(ctx, flows)
    return [
        (flow, step_id)
        for flow in flows
        for step_id, entry in summaries[flow["_id"]].items()
        if entry["open_errors"] > 0 and selection.wants_step(step_id)
    ]


def iter_selected_errors(ctx, flows, resolved=False, enrich=None):
    """Yield every error that passes the selection, step by step in flow order, reading steps concurrently.

    The adapter gets the selection's server-side filters (``selection.server_filters()``) and the selection
    still checks every record, so a platform that filters less than asked is never trusted blindly. Errors
    dismissed in the collection's own state (platforms that resolve locally) are not open any more.
    ``enrich(error)``, when given, runs in the worker on each match (for example to fetch its retry data).
    At most ``2 * concurrency`` steps' matches are held in memory at once.
    """
    adapter, selection = ctx.adapter, ctx.selection
    filters = selection.server_filters()
    dismissed = None if resolved else dismissed_for(ctx)

    def read_step(target):
        flow, step_id = target
        matches = [error for error in adapter.iter_errors(flow["_id"], step_id, resolved, filters)
                   if selection.matches(error) and not (dismissed and error["errorId"] in dismissed)]
        if enrich:
            for error in matches:
                enrich(error)
        return matches

    for _target, errors, failure in ctx.fan_out(read_step, steps_to_read(ctx, flows, resolved)):
        if failure is not None:
            raise failure
        yield from errors
