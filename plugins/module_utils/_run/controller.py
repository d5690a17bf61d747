# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is the ansible-playbook that started this module still there? A module must stop writing once it is not.

Under ansible-playbook (local connection, ansible-core 2.19, seen with ps) the module runs as
``ansible-playbook -> worker (setsid) -> ... -> /bin/sh -c '... python AnsiballZ_x.py' -> python``: the worker
puts itself in a session of its own, so killing or cancelling ansible-playbook's process group does not reach the
module, and the module's own parent (the shell) does not change. What changes is the worker's parent (it is
reparented to init or a subreaper). So the module watches the parent of every process of its own session up to
the first one whose parent is outside it (that parent is the controller) and treats any changed parent, or a
process gone, as "controller gone". Where ``/proc`` is missing only the module's own parent is watched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

MAX_DEPTH = 8


def proc_parent(pid):
    """``(ppid, session)`` of ``pid`` from /proc, or None when the process (or /proc) is not there."""
    try:
        with open("/proc/%d/stat" % pid) as stream:
            fields = stream.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), int(fields[3])


def watched_parents(pid, parent_of, session):
    """``{pid: ppid}`` from ``pid`` up the ancestry, up to and including the first process whose parent is
    outside ``session``."""
    watched = {}
    for dummy in range(MAX_DEPTH):
        found = parent_of(pid)
        if found is None or found[0] <= 0:
            break
        watched[pid] = found[0]
        above = parent_of(found[0])
        if above is None or above[1] != session:
            break
        pid = found[0]
    return watched


class Controller:
    """Watches the processes between the module and its controller; ``gone()`` once any parent changed."""

    def __init__(self, parent_of=proc_parent):
        self.parent_of = parent_of
        self.pid = os.getpid()
        self.watched = watched_parents(self.pid, parent_of, os.getsid(0)) if parent_of(self.pid) else {}
        self.watched[self.pid] = os.getppid()
        self.controller_pid = list(self.watched.values())[-1]  # the parent of the topmost process watched
        self._gone = False

    def _current(self, pid):
        if pid == self.pid:
            return os.getppid()
        found = self.parent_of(pid)
        return found[0] if found else None

    def gone(self):
        if not self._gone:
            self._gone = any(self._current(pid) != ppid for pid, ppid in self.watched.items())
        return self._gone
