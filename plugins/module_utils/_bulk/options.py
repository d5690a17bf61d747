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


class BulkOptions:
    """The shared bulk options, typed: read once from the validated options when the run is built."""

    def __init__(self, batch_size=None, max_errors=None, skip_disabled=False, report_file=None, run_id=None,
                 progress_file=None):
        self.batch_size = batch_size
        self.max_errors = max_errors
        self.skip_disabled = bool(skip_disabled)
        self.report_file = report_file
        self.run_id = run_id
        self.progress_file = progress_file

    @classmethod
    def from_params(cls, params):
        return cls(**dict((name, params.get(name)) for name in BULK_SPEC))

    def check(self, adapter, check_mode):
        """Check the options before any request; returns the batch size (unset: the platform's largest batch)."""
        limit = adapter.max_retry_batch
        size = limit if self.batch_size is None else self.batch_size
        if not 1 <= size <= limit:
            raise ValidationError("batch_size: %s is out of range; use a value between 1 and %d (the API takes at most "
                                  "%d a call)" % (size, limit, limit))
        if self.max_errors is not None and self.max_errors < 0:
            raise ValidationError("max_errors: %s is out of range; use 0 or more" % self.max_errors)
        if not check_mode:
            self.check_paths()
        return size

    def check_paths(self):
        """Before any request of a real run (check mode writes neither): the report (with its lock and journal beside
        it) and the progress file can be written."""
        check_writable(self.report_file, "report_file")
        if self.report_file:
            for side in (".lock", ".journal"):  # written in place, so a link there is refused (never followed)
                check_no_link(os.path.abspath(self.report_file) + side, "report_file")
        check_writable(self.progress_file, "progress_file")

    def guard_max_errors(self, selected, verb, unit="errors"):
        """Refuse, before any write, a selection larger than the operator expected; ``unit`` says what was counted."""
        if self.max_errors is not None and selected > self.max_errors:
            raise ValidationError("max_errors: the selection holds %d %s, more than max_errors (%d); nothing was %s. "
                                  "Narrow the selection or raise max_errors." % (selected, unit, self.max_errors, verb))


def batches(groups, size):
    """Yield ``(flow_id, step_id, keys)`` with at most ``size`` keys each from ``((flow_id, step_id), keys)`` pairs."""
    for (flow_id, step_id), keys in groups:
        for start in range(0, len(keys), size):
            yield flow_id, step_id, keys[start:start + size]
