#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flow_instance_info
short_description: Describe flows, every instance of an abstract flow, or every flow of an integration
version_added: 1.0.0
description:
  - Returns one record per selected flow with its name, whether it is disabled, its steps in pipeline order
    (from the merged definition, so instances of an abstract flow show their inherited steps) and its open
    error counts per step.
  - Every page of an abstract flow's instances is read; per-flow details are fetched concurrently
    (see O(max_concurrency)).
extends_documentation_fragment: [flowops.ipaas.connection, flowops.ipaas.selection, flowops.ipaas.attributes, flowops.ipaas.attributes.info]
options:
  include_steps:
    description:
      - Read each flow's merged definition and return its steps (id, name, type) in order.
      - Instances of the same abstract flow share their steps, so they are read once per abstract flow.
    type: bool
    default: true
  include_error_counts:
    description:
      - Read each flow's open-error summary and return RV(flows[].open_errors) and per-step counts.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Every instance of an abstract flow, with steps and open errors
  flowops.ipaas.flow_instance_info:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
  register: instances

- name: List the disabled instances
  ansible.builtin.debug:
    msg: "{{ instances.flows | selectattr('disabled') | map(attribute='_id') | list }}"

- name: Just the flows of an integration, quickly
  flowops.ipaas.flow_instance_info:
    integration_id: 6a0fc7eb7202049b32ea45aa
    include_steps: false
    include_error_counts: false
"""

RETURN = r"""
flows:
  description: One entry per selected flow, in the order the options name them.
  returned: always
  type: list
  elements: dict
  contains:
    _id:
      description: Flow id.
      type: str
    name:
      description: Flow name.
      type: str
    disabled:
      description: Whether the flow (instance) is disabled.
      type: bool
    _abstractFlowId:
      description: The abstract flow this flow is an instance of, if any.
      type: str
    _integrationId:
      description: The integration the flow belongs to, if any.
      type: str
    open_errors:
      description: Open errors across all steps (when O(include_error_counts=true)).
      type: int
    steps:
      description:
        - Steps in pipeline order with C(_id), C(name), C(type) (V(export) or V(import)), and with
          O(include_error_counts=true) C(open_errors) and C(last_error_at).
        - Without O(include_steps), only steps from the error summary, without names.
      type: list
      elements: dict
  sample:
    - _id: "6a0fc7eb7202049b32ea45b1"
      name: "Orders to ERP (EU store)"
      disabled: false
      _abstractFlowId: "6a0fc7eb7202049b32ea45b0"
      _integrationId: "6a0fc7eb7202049b32ea45aa"
      open_errors: 1
      steps:
        - _id: "6a0fc7eb7202049b32ea45b5"
          name: "Get orders"
          type: export
          open_errors: 0
          last_error_at: null
        - _id: "6a0fcdfa3f8562a7b1a3b3f2"
          name: "Create sales order"
          type: import
          open_errors: 1
          last_error_at: "2026-05-22T04:22:12.852Z"
summary:
  description: Totals over the selected flows.
  returned: always
  type: dict
  sample: {flows: 40, disabled: 1, disabled_ids: ["6a0fc7eb7202049b32ea45c9"], open_errors: 1240}
platform:
  description: The platform the flows were read from (O(platform)).
  returned: always
  type: str
  sample: celigo
api_url:
  description:
    - The API base URL the module used, from O(api_url) or the O(region)'s URL; for a report of what was read where.
    - Never carries the token.
  returned: always
  type: str
  sample: https://api.integrator.io
"""

# _run first: the module_utils imported after it are compiled once (module_utils/_run/zip_imports.py)
from ansible_collections.flowops.ipaas.plugins.module_utils._run.runner import module_spec, run_module
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import FLOW_SELECTION_SPEC, ErrorSelection
from ansible_collections.flowops.ipaas.plugins.module_utils._select.targets import select_flows

ARGUMENT_SPEC = module_spec(
    FLOW_SELECTION_SPEC,
    dict(
        include_steps=dict(type="bool", default=True),
        include_error_counts=dict(type="bool", default=True),
    ),
)


def _steps_key(flow):
    return flow.get("_abstractFlowId") or flow["_id"]


def _read_steps(ctx, flows):
    """Steps per abstract flow (instances share them) or per plain flow, each read once."""
    representatives = {}
    for flow in flows:
        representatives.setdefault(_steps_key(flow), flow["_id"])
    return dict(ctx.fan_out_all(lambda key: ctx.adapter.flow_steps(representatives[key]), list(representatives)))


def _describe(adapter, flow, steps, include_error_counts):
    record = dict(flow)
    steps = [dict(step) for step in steps]
    if include_error_counts:
        summary = adapter.error_summary(flow["_id"])
        known = set(step["_id"] for step in steps)
        steps.extend({"_id": step_id, "name": None, "type": None} for step_id in summary if step_id not in known)
        for step in steps:
            entry = summary.get(step["_id"], {})
            step["open_errors"] = entry.get("open_errors", 0)
            step["last_error_at"] = entry.get("last_error_at")
        record["open_errors"] = sum(entry["open_errors"] for entry in summary.values())
    record["steps"] = steps
    return record


def build(settings, adapter):
    """The run's selection, built once from the validated options before any request (see _run/runner.py)."""
    return dict(selection=ErrorSelection(settings.params))


def run(ctx):
    params = ctx.params
    flows = select_flows(ctx)
    steps = _read_steps(ctx, flows) if params["include_steps"] else {}

    def describe(flow):
        return _describe(ctx.adapter, flow, steps.get(_steps_key(flow), []), params["include_error_counts"])

    described = [record for _flow, record in ctx.fan_out_all(describe, flows)]
    disabled = [flow["_id"] for flow in described if flow["disabled"]]
    summary = dict(flows=len(described), disabled=len(disabled), disabled_ids=disabled)
    if params["include_error_counts"]:
        summary["open_errors"] = sum(flow["open_errors"] for flow in described)
    return dict(changed=False, flows=described, summary=summary, platform=ctx.adapter.name, api_url=ctx.adapter.client.base_url)


def main():
    run_module(run, ARGUMENT_SPEC, build)


if __name__ == "__main__":
    main()
