# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every writing module returns and writes about its run: counts, ``--diff`` and the report file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, fail_with_result
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import atomic_write, utc_now


def write_report(path, header, records, list_name="keys"):
    """Write a report atomically: ``header`` fields plus a ``list_name`` list streamed from ``records``."""
    def write(stream):
        stream.write("{\n")
        for name, value in sorted(header.items()):
            stream.write("  %s: %s,\n" % (json.dumps(name), json.dumps(value, sort_keys=True)))
        stream.write('  %s: [' % json.dumps(list_name))
        for index, record in enumerate(records):
            stream.write(("," if index else "") + "\n    " + json.dumps(record, sort_keys=True))
        stream.write("\n  ]\n}\n")
    return atomic_write(path, write, label="report ")


def save_report(ctx, result, module_name, header, records, list_name, what, report_file=None):
    """Write ``report_file``, the report the task asked for (never in check mode), and name it in ``result``.

    A report that cannot be written fails the task with the result attached, so nothing done goes unaccounted.
    """
    path = report_file
    if not path or ctx.check_mode:
        return result
    header = dict(header, module=module_name, finished=utc_now())
    try:
        result["report_file"] = write_report(path, header, records, list_name=list_name)
    except FlowOpsError as exc:
        raise fail_with_result("%s; the result below still lists every %s" % (exc, what), result)
    return result


def counts_diff(per_flow, done_action):
    """``--diff`` of a bulk run: open selected errors per flow and step, before and after."""
    before, after = {}, {}
    for flow_id, flow in per_flow.items():
        for step_id, counts in flow["steps"].items():
            before.setdefault(flow_id, {})[step_id] = counts["selected"]
            after.setdefault(flow_id, {})[step_id] = counts["selected"] - counts.get(done_action, 0)
    return dict(before=before, after=after)


def connections_diff(plans):
    """``--diff`` of a connection swap: the connection each changed step uses, before and after."""
    before, after = {}, {}
    for plan in plans:
        for replacement in plan["replacements"]:
            for step in replacement["steps"]:
                before.setdefault(plan["_id"], {})[step["_id"]] = replacement["from"]
                after.setdefault(plan["_id"], {})[step["_id"]] = replacement["to"]
    return dict(before=before, after=after)


def finish_bulk(ctx, module_name, result, key_name, header, done_action, report_file=None):
    """Counts, per-flow totals, ``--diff`` and the report file (``report_file``, when given) of a retry or resolve run,
    from ``ctx.ledger``."""
    ledger = ctx.ledger
    result["counts"] = ledger.counts()
    result["per_flow"] = ledger.per_flow()
    if ctx.diff:
        counts = counts_diff(result["per_flow"], done_action)
        # Entries already there (the retry data patched per key) come after the counts.
        result["diff"] = [counts] + result["diff"] if isinstance(result.get("diff"), list) else counts
    header = dict(header, counts=result["counts"], per_flow=result["per_flow"], jobs=result.get("jobs", []))
    return save_report(ctx, result, module_name, header, ledger.key_records(key_name), "keys", "key", report_file)
