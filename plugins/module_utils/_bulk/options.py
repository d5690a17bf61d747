# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What flow_errors_retry and flow_errors_resolve share: options, their checks, the size guard and batching."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import check_no_link, check_writable

BULK_SPEC = dict(
    batch_size=dict(type="int"),
    max_errors=dict(type="int"),
    skip_disabled=dict(type="bool", default=False),
    report_file=dict(type="path"),
    run_id=dict(type="str"),
    progress_file=dict(type="path"),
)


def check_bulk_options(ctx):
    """Check the shared bulk options; returns the batch size (unset: the platform's largest batch)."""
    params, limit = ctx.params, ctx.adapter.max_retry_batch
    size = limit if params["batch_size"] is None else params["batch_size"]
    if not 1 <= size <= limit:
        raise ValidationError("batch_size: %s is out of range; use a value between 1 and %d (the API takes at most %d "
                              "a call)" % (size, limit, limit))
    if params["max_errors"] is not None and params["max_errors"] < 0:
        raise ValidationError("max_errors: %s is out of range; use 0 or more" % params["max_errors"])
    check_bulk_paths(ctx)
    return size


def check_bulk_paths(ctx):
    """Before any request: the report (with its lock and journal beside it) and the progress file can be written.
    Check mode writes neither."""
    if ctx.check_mode:
        return
    report, progress = ctx.params.get("report_file"), ctx.params.get("progress_file")
    check_writable(report, "report_file")
    if report:
        for side in (".lock", ".journal"):  # written in place, so a link there is refused (never followed)
            check_no_link(os.path.abspath(report) + side, "report_file")
    check_writable(progress, "progress_file")


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
