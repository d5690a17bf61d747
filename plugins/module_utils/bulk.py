# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What flow_errors_retry and flow_errors_resolve share: options, guards, batching and the report."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError, fail_with_result
from ansible_collections.flowops.ipaas.plugins.module_utils.ledger import utc_now
from ansible_collections.flowops.ipaas.plugins.module_utils.records import check_writable, write_report

BULK_SPEC = dict(
    batch_size=dict(type="int"),
    max_errors=dict(type="int"),
    skip_disabled=dict(type="bool", default=False),
    report_file=dict(type="path"),
    run_id=dict(type="str"),
)


def validate_bulk(params, adapter, check_mode=False):
    """Check the shared bulk options; an unset batch_size becomes the platform's largest batch."""
    limit = adapter.max_retry_batch
    if params["batch_size"] is None:
        params["batch_size"] = limit
    if not 1 <= params["batch_size"] <= limit:
        raise ValidationError("batch_size: %s is out of range; use a value between 1 and %d (the API takes at most %d "
                              "a call)" % (params["batch_size"], limit, limit))
    if params["max_errors"] is not None and params["max_errors"] < 0:
        raise ValidationError("max_errors: %s is out of range; use 0 or more" % params["max_errors"])
    if not check_mode:  # check mode writes no report
        check_writable(params.get("report_file"), "report_file")


def guard_max_errors(params, selected, verb):
    """Refuse, before any write, a selection larger than the operator expected."""
    limit = params["max_errors"]
    if limit is not None and selected > limit:
        raise ValidationError("max_errors: the selection holds %d errors, more than max_errors (%d); nothing was %s. "
                              "Narrow the selection or raise max_errors." % (selected, limit, verb))


def batches(groups, size):
    """Yield ``(flow_id, step_id, keys)`` with at most ``size`` keys each from ``((flow_id, step_id), keys)`` pairs."""
    for (flow_id, step_id), keys in groups:
        for start in range(0, len(keys), size):
            yield flow_id, step_id, keys[start:start + size]


def new_run_id(params):
    return params.get("run_id") or uuid.uuid4().hex


def _diff(per_flow, done_action):
    """Open selected errors per flow and step, before and after (``--diff``)."""
    before, after = {}, {}
    for flow_id, flow in per_flow.items():
        for step_id, counts in flow["steps"].items():
            before.setdefault(flow_id, {})[step_id] = counts["selected"]
            after.setdefault(flow_id, {})[step_id] = counts["selected"] - counts.get(done_action, 0)
    return dict(before=before, after=after)


def finish(module, module_name, ledger, result, key_name, header, done_action):
    """Add counts and per-flow totals (and a diff) to ``result`` and write the report file when asked."""
    result["counts"] = ledger.counts()
    result["per_flow"] = ledger.per_flow()
    if module._diff:
        result["diff"] = _diff(result["per_flow"], done_action)
    report_file = module.params.get("report_file")
    if report_file and not module.check_mode:
        header = dict(header, module=module_name, finished=utc_now(), counts=result["counts"],
                      per_flow=result["per_flow"], jobs=result.get("jobs", []))
        try:
            result["report_file"] = write_report(report_file, header, ledger.key_records(key_name))
        except FlowOpsError as exc:
            raise fail_with_result("%s; the result below still lists every key" % exc, result)
    return result
