#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flow_connection_replace
short_description: Point flows at other connections (environment promotion, credential rotation)
version_added: 1.0.0
description:
  - For every selected flow, reads which connections its exports and imports use and replaces each connection
    named in O(connection_map) with its new one, only where the old connection is actually used. Flows that
    already use the new connections are left alone, so a second run reports C(changed=false).
  - Before any flow is touched, every connection in the map is read and each old/new pair must be of the same
    type; a missing connection or a type mismatch fails with one line naming both connections.
  - One flow failing (for example the API's own 422 or 404) is reported for that flow while the others are done.
  - In check mode nothing is sent; the result and C(--diff) show, per flow, which steps would move from which
    connection to which.
extends_documentation_fragment: [flowops.ipaas.connection, flowops.ipaas.selection, flowops.ipaas.attributes, flowops.ipaas.attributes.action]
options:
  connection_map:
    description:
      - Old connection id to new connection id, one or many pairs.
    type: dict
    required: true
  verify:
    description:
      - After replacing, read each changed flow again and fail that flow if it still uses an old connection.
    type: bool
    default: true
  report_file:
    description:
      - Write a JSON report of every flow (changed or not, steps affected, before and after) to this file,
        also when the task fails half-way.
    type: path
  smoke_run_flow_ids:
    description:
      - Flows to start once (C(POST /v1/flows/{id}/run)) after every replacement succeeded, as a smoke test.
        Their job ids are returned in RV(smoke_runs). Not started in check mode or when a flow failed.
      - A run the platform did not start (Celigo answers with an C(error) field, or without a C(_jobId)) is
        reported with C(started=false) and its reason, and fails the task (the smoke check failed).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Move every instance of an abstract flow from the sandbox to the production connections
  flowops.ipaas.flow_connection_replace:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
    connection_map:
      6a0fc7eb7202049b32ea4501: 6a0fc7eb7202049b32ea4601   # sandbox HTTP -> production HTTP
      6a0fc7eb7202049b32ea4502: 6a0fc7eb7202049b32ea4602   # sandbox NetSuite -> production NetSuite
    report_file: /var/log/flowops/promotion.json

- name: Show what would move, without moving anything
  flowops.ipaas.flow_connection_replace:
    integration_id: 6a0fc7eb7202049b32ea45aa
    connection_map: "{{ promotion_connection_map }}"
  check_mode: true
  diff: true
"""

RETURN = r"""
flows:
  description: One entry per selected flow.
  returned: always
  type: list
  elements: dict
  contains:
    _id:
      description: Id of the flow whose steps were checked.
      type: str
    name:
      description: Name of that flow.
      type: str
    changed:
      description: Whether connections of this flow were (or in check mode would be) replaced.
      type: bool
    replacements:
      description: Each replaced pair with C(from), C(to) and the C(steps) (id, name, type) that used the old one.
      type: list
      elements: dict
    error:
      description: Why this flow could not be changed.
      type: str
      returned: when the flow failed
  sample:
    - _id: "6a0fc7eb7202049b32ea45b1"
      name: "Orders to ERP (EU store)"
      changed: true
      replacements:
        - from: "6a0fc7eb7202049b32ea4501"
          to: "6a0fc7eb7202049b32ea4601"
          steps: [{_id: "6a0fcdfa3f8562a7b1a3b3f2", name: "Create sales order", type: import}]
counts:
  description: Number of flows C(selected), C(changed), C(unchanged) and C(failed).
  returned: always
  type: dict
  sample: {selected: 40, changed: 39, unchanged: 1, failed: 0}
connections:
  description: The connections of the map as read before any change, with C(_id), C(name) and C(type).
  returned: always
  type: list
  elements: dict
  contains:
    _id:
      description: Connection id.
      type: str
      sample: "6a0fc7eb7202049b32ea4501"
    name:
      description: Connection name.
      type: str
      sample: "NetSuite (sandbox)"
    type:
      description: Connection type; both connections of a pair have the same one.
      type: str
      sample: netsuite
  sample:
    - {_id: "6a0fc7eb7202049b32ea4501", name: "NetSuite (sandbox)", type: netsuite}
    - {_id: "6a0fc7eb7202049b32ea4601", name: "NetSuite (production)", type: netsuite}
report_file:
  description: Path of the JSON report.
  returned: when O(report_file) is set and not in check mode
  type: str
  sample: /var/log/flowops/promotion.json
smoke_runs:
  description: The smoke runs started, each with C(_flowId) and the platform's run response under C(run).
  returned: always
  type: list
  elements: dict
  contains:
    _flowId:
      description: The flow started.
      type: str
      sample: "6a0fc7eb7202049b32ea45b1"
    started:
      description: Whether the platform's answer shows a run was started (Celigo - a C(_jobId) and no C(error)).
      type: bool
      sample: true
    reason:
      description: Why the run counts as not started (only when C(started=false)).
      type: str
      returned: when the run was not started
      sample: "the platform refused the run: Flow is disabled"
    run:
      description: The platform's response to the run request, as returned (Celigo gives the job id as C(_jobId)).
      type: dict
      sample: {_jobId: "6a0fd3b4c5d6e7f8a9b0c1d2"}
  sample:
    - _flowId: "6a0fc7eb7202049b32ea45b1"
      run: {_jobId: "6a0fd3b4c5d6e7f8a9b0c1d2"}
      started: true
"""

# _run first: the module_utils imported after it are compiled once (module_utils/_run/zip_imports.py)
from ansible_collections.flowops.ipaas.plugins.module_utils._run.runner import module_spec, run_module
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError, fail_with_result
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import check_writable
from ansible_collections.flowops.ipaas.plugins.module_utils._output.reports import connections_diff, save_report
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import utc_now
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import FLOW_SELECTION_SPEC, ErrorSelection
from ansible_collections.flowops.ipaas.plugins.module_utils._select.targets import select_flows

ARGUMENT_SPEC = module_spec(
    FLOW_SELECTION_SPEC,
    dict(
        connection_map=dict(type="dict", required=True),
        verify=dict(type="bool", default=True),
        report_file=dict(type="path"),
        smoke_run_flow_ids=dict(type="list", elements="str", default=[]),
    ),
)


def validate_map(connection_map):
    """``{old: new}`` with string ids, no identity pairs and no chains (a new id that is also an old one)."""
    if not connection_map:
        raise ValidationError("connection_map: give at least one old_connection_id: new_connection_id pair")
    cleaned = {}
    for old, new in connection_map.items():
        if not isinstance(new, str) or not new.strip() or not str(old).strip():
            raise ValidationError("connection_map: '%s' must map to a connection id string, got %r" % (old, new))
        if old == new:
            raise ValidationError("connection_map: '%s' maps to itself" % old)
        cleaned[str(old).strip()] = new.strip()
    chained = sorted(set(cleaned).intersection(cleaned.values()))
    if chained:
        raise ValidationError("connection_map: %s is both replaced and a replacement; the order would be ambiguous"
                              % ", ".join(chained))
    return cleaned


def check_connections(ctx, connection_map):
    """Read every connection once; fail before any write on a missing one or a type mismatch."""
    ids = sorted(set(connection_map).union(connection_map.values()))

    def read(connection_id):
        try:
            return ctx.adapter.get_connection(connection_id)
        except FlowOpsError as exc:
            if exc.status == 404:
                raise ValidationError("connection_map: connection %s does not exist (HTTP 404); no flow was changed"
                                      % connection_id)
            raise

    found = dict(ctx.fan_out_all(read, ids))
    for old, new in sorted(connection_map.items()):
        if found[old]["type"] != found[new]["type"]:
            raise ValidationError(
                "connection_map: %s (%s, type %s) and %s (%s, type %s) are of different types; no flow was changed"
                % (old, found[old]["name"], found[old]["type"], new, found[new]["name"], found[new]["type"]))
    return [found[connection_id] for connection_id in ids]


def plan_flow(adapter, flow, connection_map):
    """The replacements one flow needs: only pairs whose old connection its steps actually use."""
    used = adapter.flow_connections(flow["_id"])
    replacements = []
    for old, new in sorted(connection_map.items()):
        steps = [{"_id": s["step_id"], "name": s["name"], "type": s["type"]} for s in used if s["_connectionId"] == old]
        if steps:
            replacements.append({"from": old, "to": new, "steps": steps})
    return {"_id": flow["_id"], "name": flow.get("name"), "changed": bool(replacements), "replacements": replacements}


def apply_flow(adapter, plan, verify):
    """Replace one flow's connections; returns the plan, with ``error`` set when the flow could not be finished."""
    done = []
    try:
        for replacement in plan["replacements"]:
            adapter.replace_connection(plan["_id"], replacement["from"], replacement["to"])
            done.append(replacement["from"])
        if verify and done:
            left = sorted(set(s["_connectionId"] for s in adapter.flow_connections(plan["_id"])).intersection(done))
            if left:
                raise FlowOpsError("still uses %s after the replacement" % ", ".join(left))
    except FlowOpsError as exc:
        plan["error"] = str(exc)
        plan["changed"] = bool(done)
        plan["replaced"] = done
    return plan


def build(settings, adapter):
    """The run's selection, built once from the validated options before any request (see _run/runner.py), once the
    platform is known to replace connections."""
    adapter.require("replace_connection", "flow_connection_replace")
    return dict(selection=ErrorSelection(settings.params))


def run(ctx):
    params, adapter = ctx.params, ctx.adapter
    connection_map = validate_map(params["connection_map"])
    if not ctx.check_mode:
        check_writable(params["report_file"], "report_file")
    started = utc_now()
    flows = select_flows(ctx)
    connections = check_connections(ctx, connection_map)
    plans = [plan for _flow, plan in ctx.fan_out_all(lambda flow: plan_flow(adapter, flow, connection_map), flows)]

    if not ctx.check_mode:
        work = [plan for plan in plans if plan["changed"]]
        for _plan, _result, _error in ctx.fan_out(lambda plan: apply_flow(adapter, plan, params["verify"]), work):
            pass  # apply_flow records its outcome in the plan itself
    failed = [plan for plan in plans if plan.get("error")]
    counts = dict(selected=len(plans), changed=sum(1 for p in plans if p["changed"] and not p.get("error")),
                  unchanged=sum(1 for p in plans if not p["changed"] and not p.get("error")), failed=len(failed))
    result = dict(changed=any(p["changed"] for p in plans), flows=plans, counts=counts, connections=connections,
                  smoke_runs=[])
    if ctx.diff:
        result["diff"] = connections_diff(plans)
    header = dict(started=started, counts=counts, connection_map=connection_map, connections=connections)
    save_report(ctx, result, "flow_connection_replace", header, plans, "flows", "flow", params.get("report_file"))
    if not failed and not ctx.check_mode:
        for flow_id in params["smoke_run_flow_ids"]:
            answer = adapter.run_flow(flow_id)
            why = adapter.run_not_started(answer)
            result["smoke_runs"].append(dict({"_flowId": flow_id, "run": answer, "started": why is None},
                                             **({"reason": why} if why else {})))
            result["changed"] = True
    not_started = [run for run in result["smoke_runs"] if not run["started"]]
    if not_started:
        raise fail_with_result("smoke check failed: %d of %d smoke runs not started, first flow %s: %s"
                               % (len(not_started), len(result["smoke_runs"]), not_started[0]["_flowId"],
                                  not_started[0]["reason"]), result)
    if failed:
        raise fail_with_result("changed %d of %d flows; %d failed, first %s: %s"
                               % (counts["changed"], counts["selected"], len(failed), failed[0]["_id"], failed[0]["error"]), result)
    return result


def main():
    run_module(run, ARGUMENT_SPEC, build)


if __name__ == "__main__":
    main()
