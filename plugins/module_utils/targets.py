# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From selection options to the flows and steps a task works on, fetched with bounded fan-out."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.module_utils.concurrency import fan_out, fan_out_all


def select_flows(adapter, selection, max_concurrency, warnings=None):
    """Flow records for flow_ids, every instance of each abstract flow, and every flow of an integration.

    Each flow appears once, in the order the options name them.
    """
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

    by_query = dict(fan_out_all(fetch, queries, max_concurrency))
    flows, seen = [], set()
    for query in queries:
        if not by_query[query] and warnings is not None and query[0] != "flow":
            warnings.append("%s %s has no flows" % ("abstract flow" if query[0] == "abstract" else "integration", query[1]))
        for flow in by_query[query]:
            if flow["_id"] not in seen:
                seen.add(flow["_id"])
                flows.append(flow)
    return flows


def error_summaries(adapter, flows, max_concurrency):
    """``{flow_id: {step_id: {"open_errors", "last_error_at"}}}`` fetched concurrently."""
    results = fan_out_all(lambda flow: adapter.error_summary(flow["_id"]), flows, max_concurrency)
    return dict((flow["_id"], summary) for flow, summary in results)


def steps_to_read(adapter, flows, selection, max_concurrency, resolved=False):
    """``[(flow, step_id)]`` worth listing: for open errors only steps the summary says have some."""
    if resolved:
        results = fan_out_all(lambda flow: adapter.flow_steps(flow["_id"]), flows, max_concurrency)
        per_flow = dict((flow["_id"], [s["_id"] for s in steps]) for flow, steps in results)
        return [(flow, step_id) for flow in flows for step_id in per_flow[flow["_id"]] if selection.wants_step(step_id)]
    summaries = error_summaries(adapter, flows, max_concurrency)
    return [
        (flow, step_id)
        for flow in flows
        for step_id, entry in summaries[flow["_id"]].items()
        if entry["open_errors"] > 0 and selection.wants_step(step_id)
    ]


def iter_selected_errors(adapter, flows, selection, max_concurrency, resolved=False, enrich=None):
    """Yield every error that passes the selection, step by step in flow order, reading steps concurrently.

    ``enrich(error)``, when given, runs in the worker on each match (for example to fetch its retry data).
    At most ``2 * max_concurrency`` steps' matches are held in memory at once.
    """
    def read_step(target):
        flow, step_id = target
        matches = [error for error in adapter.iter_errors(flow["_id"], step_id, resolved) if selection.matches(error)]
        if enrich:
            for error in matches:
                enrich(error)
        return matches

    steps = steps_to_read(adapter, flows, selection, max_concurrency, resolved)
    for _target, errors, failure in fan_out(read_step, steps, max_concurrency):
        if failure is not None:
            raise failure
        yield from errors
