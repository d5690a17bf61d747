# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From the run's selection to the flows and steps a task works on, fetched with the run's fan-out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.module_utils._select.dismissals import dismissed_for


def select_flows(ctx):
    """Flow records for flow_ids, every instance of each abstract flow, and every flow of an integration.

    Each flow appears once, in the order the options name them. An abstract flow or integration with no
    flows is a warning (``ctx.warn``) in every module.
    """
    adapter, selection = ctx.adapter, ctx.selection
    queries = [("flow", flow_id) for flow_id in selection.flow_ids]
    queries += [("abstract", abstract_id) for abstract_id in selection.abstract_flow_ids]
    if selection.integration_id:
        queries.append(("integration", selection.integration_id))

    def fetch(query):
        kind, value = query
        if kind == "flow":
            return [adapter.get_flow(value)]
        if kind == "abstract":
            return list(adapter.list_flows(abstract_flow_id=value))
        return list(adapter.list_flows(integration_id=value))

    by_query = dict(ctx.fan_out_all(fetch, queries))
    flows, seen = [], set()
    for query in queries:
        if not by_query[query] and query[0] != "flow":
            ctx.warn("%s %s has no flows" % ("abstract flow" if query[0] == "abstract" else "integration", query[1]))
        for flow in by_query[query]:
            if flow["_id"] not in seen:
                seen.add(flow["_id"])
                flows.append(flow)
    return flows


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
