# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress of a long run in a tiny JSON file another process reads while the module works.

A module's output reaches the job log only when it ends. The bulk modules' action plugin
(plugins/plugin_utils/progress.py) reads this file while the module runs and prints a line every few seconds; a
play that runs the module with async can read it too. The file is rewritten atomically (a reader never sees half of
it), at most once a second except for the last word of a phase.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import atomic_write

MIN_SECONDS = 1.0
# A play polling an async run touches <progress_file>.poll at every poll. Silent for longer than this (or four times
# the longest gap seen between two polls) means the play is gone, killed or cancelled.
SILENT_SECONDS = 15.0


class ProgressFile:
    """``update(phase, done, total, jobs_running)`` rewrites ``path``; does nothing without a path."""

    def __init__(self, path, clock=time.time):
        self.path = path
        self.clock = clock
        self.last = None

    def update(self, phase, done, total, jobs_running=0, final=False):
        """Write the progress unless the last write was less than a second ago (``final`` always writes)."""
        if not self.path:
            return False
        now = self.clock()
        if not final and self.last is not None and now - self.last < MIN_SECONDS:
            return False
        self.last = now
        record = dict(phase=phase, done=done, total=total, jobs_running=jobs_running,
                      updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))
        atomic_write(self.path, lambda stream: json.dump(record, stream), "progress_file ")
        return True


class Poller:
    """Is the play that polls this run still there? Only once it has polled: ``gone()`` is False until the first
    touch of ``<progress_file>.poll`` after the run started (an older one is a former run's)."""

    def __init__(self, progress_path, clock=time.time):
        self.path = progress_path + ".poll" if progress_path else None
        self.clock = clock
        self.started = clock()
        self.last = None
        self.longest = 0.0

    def _seen(self):
        try:
            return os.stat(self.path).st_mtime
        except OSError:
            return None

    def gone(self):
        if not self.path:
            return False
        polled = self._seen()
        if polled is not None and polled >= self.started - 1 and polled != self.last:
            if self.last is not None:
                self.longest = max(self.longest, polled - self.last)
            self.last = polled
        return self.last is not None and self.clock() - self.last > max(SILENT_SECONDS, 4 * self.longest)
