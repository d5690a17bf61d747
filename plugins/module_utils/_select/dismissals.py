# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors dismissed in the collection's own state, for platforms with no call that dismisses a finished item.

On such a platform (``resolve_mode = "local"``) flow_errors_resolve sends nothing: it appends each error to
the dismissed file, and every later listing of open errors skips what the file names. An error id changes
when the item fails again, so a dismissed error that comes back after a restart is a new, open error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
import threading

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import check_no_link, check_writable, open_in_place
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import utc_now


def default_path(platform, scope):
    home = os.environ.get("HOME") or tempfile.gettempdir()
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(scope or "default"))
    return os.path.join(home, ".flowops", "dismissed", "%s-%s.jsonl" % (platform, safe))


class DismissedErrors:
    """The error ids in a dismissed file (JSON lines; a line cut short by a killed run is skipped)."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.ids = set()
        self._lock = threading.Lock()  # batches are recorded from several fan-out workers
        if os.path.exists(self.path):
            try:
                with open(self.path) as stream:
                    for line in stream:
                        try:
                            self.ids.add(json.loads(line)["errorId"])
                        except (ValueError, KeyError, TypeError):
                            continue
            except OSError as exc:
                raise FlowOpsError("dismissed_file: cannot read %s (%s)" % (self.path, exc.strerror or exc))

    def __contains__(self, error_id):
        return error_id in self.ids

    def check_writable(self):
        """Before any request of a run that records dismissals: the file can be appended to (its folder is made)."""
        try:
            os.makedirs(os.path.dirname(self.path), 0o700, exist_ok=True)
        except OSError as exc:
            raise ValidationError("dismissed_file: cannot write %s (%s); nothing was sent"
                                  % (self.path, exc.strerror or exc))
        check_no_link(self.path, "dismissed_file")
        check_writable(self.path, "dismissed_file")

    def record(self, entries, run_id):
        """Append ``[{"errorId", "_flowId", "_stepId"}]``; each line is on disk before this returns."""
        lines = "".join(json.dumps(dict(entry, dismissedAt=utc_now(), run_id=run_id), sort_keys=True) + "\n"
                        for entry in entries)
        with self._lock:
            try:
                os.makedirs(os.path.dirname(self.path), 0o700, exist_ok=True)
                with open_in_place(self.path, "a", "dismissed_file") as stream:  # appended in place: no link followed
                    stream.write(lines)
                    stream.flush()
                    os.fsync(stream.fileno())
            except OSError as exc:
                raise FlowOpsError("dismissed_file: cannot write %s (%s)" % (self.path, exc.strerror or exc))
            self.ids.update(entry["errorId"] for entry in entries)


def dismissed_errors(adapter, dismissed_file=None):
    """The dismissed errors of a run on ``adapter`` when its platform resolves locally, else None: read once, when
    the run is built (``dismissed_file``, else the default file of the platform and account)."""
    if adapter.resolve_mode != "local":
        return None
    return DismissedErrors(dismissed_file or default_path(adapter.name, adapter.dismissal_scope()))


def dismissed_for(ctx):
    """The run's dismissed errors (built with its context by ``dismissed_errors``), or None."""
    return ctx.dismissed
