#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flow_errors_info
short_description: List and summarise the errors of flows, abstract-flow instances and steps
version_added: 1.0.0
description:
  - Reads the open (or resolved) errors of the selected flows, every instance of an abstract flow, or every
    flow of an integration, following every page, and filters them by time window, source, classification,
    code, message, tags or retryability.
  - Returns a summary grouped by flow, step, classification and code, and the matching records up to
    O(max_records). For very large sets, O(records_file) streams every matching record to a JSON-lines file.
  - Steps are read concurrently (see O(max_concurrency)); only steps the flow's error summary reports as
    having open errors are listed.
extends_documentation_fragment: [flowops.ipaas.connection, flowops.ipaas.selection, flowops.ipaas.selection.errors, flowops.ipaas.attributes,
                                 flowops.ipaas.attributes.info]
options:
  resolved:
    description:
      - List resolved errors instead of open ones.
    type: bool
    default: false
  summary:
    description:
      - Return the RV(summary) counts.
    type: bool
    default: true
  max_records:
    description:
      - Most records returned in RV(errors). V(0) returns only counts. RV(total) always counts every match.
    type: int
    default: 1000
  records_file:
    description:
      - Write every matching record, one JSON object a line, to this file on the host running the module.
      - The file is replaced atomically when the listing completes.
    type: path
"""

EXAMPLES = r"""
- name: Summarise open errors of every instance of an abstract flow
  flowops.ipaas.flow_errors_info:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
  register: report

- name: Show the counts per classification
  ansible.builtin.debug:
    var: report.summary.by_classification

- name: Retryable rate-limit errors of the last two hours on one step
  flowops.ipaas.flow_errors_info:
    flow_ids: [6a0fc7eb7202049b32ea45b1]
    step_ids: [6a0fcdfa3f8562a7b1a3b3f2]
    classifications: [rate_limit, intermittent]
    retryable: true
    occurred_after: 2h
  register: recent

- name: Stream every error of an integration to a file instead of the result
  flowops.ipaas.flow_errors_info:
    integration_id: 6a0fc7eb7202049b32ea45aa
    max_records: 0
    records_file: /var/tmp/errors.jsonl
"""

RETURN = r"""
total:
  description: Number of errors that matched the selection.
  returned: always
  type: int
  sample: 1240
truncated:
  description: True when RV(errors) holds fewer records than RV(total) because of O(max_records).
  returned: always
  type: bool
  sample: false
errors:
  description:
    - Matching error records as the platform returns them, plus C(_flowId) and C(_stepId).
    - C(retryAt) is there when the platform gives it - on Celigo, when the platform is scheduled to auto-retry the
      error itself (C(intermittent) errors); M(flowops.ipaas.flow_errors_retry) leaves such errors to it
      (O(flowops.ipaas.flow_errors_retry#module:platform_retry_margin)).
    - At most O(max_records), in flow and step order.
  returned: always
  type: list
  elements: dict
  sample:
    - errorId: "6a0fd1e2a1b2c3d4e5f60718"
      retryDataKey: "fad632cf388547f9a0d73a4b54d34f8d"
      occurredAt: "2026-11-20T04:22:12.852Z"
      source: application
      code: "503"
      message: Service Unavailable
      classification: intermittent
      retryAt: "2026-11-20T04:27:12.852Z"
      _flowId: "6a0fc7eb7202049b32ea45b1"
      _stepId: "6a0fcdfa3f8562a7b1a3b3f2"
summary:
  description: Counts of the matching errors.
  returned: when O(summary=true)
  type: dict
  contains:
    flows:
      description: Number of flows read.
      type: int
    retryable:
      description: Errors that carry a retry data key.
      type: int
    not_retryable:
      description: Errors without a retry data key (for example connection errors).
      type: int
    by_flow:
      description: Count per flow id.
      type: dict
    retryable_by_flow:
      description: Count of errors with a retry data key, per flow id.
      type: dict
    retryable_by_flow_and_classification:
      description: Count of errors with a retry data key, per flow id, then per classification.
      type: dict
    by_step:
      description: Count per flow id, then per step id.
      type: dict
    by_classification:
      description: Count per classification (V(none) when unclassified).
      type: dict
    by_code:
      description: "Count per C(code) and message, keyed C(code: message), the message shortened to 100 characters."
      type: dict
  sample:
    flows: 40
    retryable: 1180
    not_retryable: 60
    by_flow: {"6a0fc7eb7202049b32ea45b1": 31}
    retryable_by_flow: {"6a0fc7eb7202049b32ea45b1": 30}
    retryable_by_flow_and_classification: {"6a0fc7eb7202049b32ea45b1": {intermittent: 28, rate_limit: 2}}
    by_step: {"6a0fc7eb7202049b32ea45b1": {"6a0fcdfa3f8562a7b1a3b3f2": 31}}
    by_classification: {intermittent: 900, connection: 60}
    by_code: {"503: Service Unavailable": 900}
records_file:
  description: Path of the JSON-lines file written.
  returned: when O(records_file) is set
  type: str
  sample: /var/log/flowops/errors-2026-11-20.jsonl
window:
  description:
    - The time window as the module resolved it, in ISO 8601 UTC; a relative O(occurred_after) such as C(6h) becomes
      the time it stood for when the module ran. C(null) where the option was not set (no bound).
  returned: always
  type: dict
  contains:
    occurred_after:
      description: Start of the window (O(occurred_after)), or C(null).
      type: str
    occurred_before:
      description: End of the window (O(occurred_before)), or C(null).
      type: str
  sample: {occurred_after: "2026-11-20T04:00:00.000Z", occurred_before: null}
warnings_list:
  description: Notes about the selection, such as an abstract flow with no instances.
  returned: always
  type: list
  elements: str
  sample: ["abstract flow 6a0fc7eb7202049b32ea45c0 has no flows"]
"""

# _run first: the module_utils imported after it are compiled once (module_utils/_run/zip_imports.py)
from ansible_collections.flowops.ipaas.plugins.module_utils._run.runner import module_spec, run_module
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import JsonLinesWriter, check_writable
from ansible_collections.flowops.ipaas.plugins.module_utils._select.dismissals import dismissed_errors
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import SELECTION_SPEC, ErrorSelection
from ansible_collections.flowops.ipaas.plugins.module_utils._select.error_watch import iso
from ansible_collections.flowops.ipaas.plugins.module_utils._select.summary import ErrorSummary
from ansible_collections.flowops.ipaas.plugins.module_utils._select.targets import iter_selected_errors, select_flows

ARGUMENT_SPEC = module_spec(
    SELECTION_SPEC,
    dict(
        resolved=dict(type="bool", default=False),
        summary=dict(type="bool", default=True),
        max_records=dict(type="int", default=1000),
        records_file=dict(type="path"),
    ),
)


def build(settings, adapter):
    """What the run needs, built once from the validated options before any request (see _run/runner.py): the
    selection, and the errors dismissed locally (open errors only)."""
    params = settings.params
    return dict(selection=ErrorSelection(params),
                dismissed=None if params["resolved"] else dismissed_errors(adapter, params.get("dismissed_file")))


def run(ctx):
    params = ctx.params
    if params["max_records"] < 0:
        raise ValidationError("max_records: %s is out of range; use 0 or more" % params["max_records"])
    check_writable(params["records_file"], "records_file")
    flows = select_flows(ctx)
    summary = ErrorSummary(flows)
    records = []
    writer = JsonLinesWriter(params["records_file"]) if params["records_file"] else None
    try:
        for error in iter_selected_errors(ctx, flows, params["resolved"]):
            summary.add(error)
            if len(records) < params["max_records"]:
                records.append(error)
            if writer:
                writer.write(error)
    except Exception:
        if writer:
            writer.abort()
        raise
    result = dict(changed=False, total=summary.total, truncated=summary.total > len(records), errors=records,
                  warnings_list=ctx.warnings,
                  window=dict(occurred_after=iso(ctx.selection.after), occurred_before=iso(ctx.selection.before)))
    if params["summary"]:
        result["summary"] = summary.as_dict()
    if writer:
        result["records_file"] = writer.commit()
    return result


def main():
    run_module(run, ARGUMENT_SPEC, build)


if __name__ == "__main__":
    main()
