# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Progress lines of a long module run, printed on the controller while the module works.

A module's output reaches the log only when it ends. The action plugins of the bulk modules
(plugins/action/flow_errors_retry.py, flow_errors_resolve.py) run the module as usual and meanwhile read its
progress file (module_utils/_run/progress.py) every few seconds in a thread of the worker, printing one line when
it says something new: no extra task, no async, the module stays a child of ansible-playbook (so cancelling the play
reaches it as before). In a forked worker ``Display.display`` is sent to the main process over ansible's queue,
so the line reaches the terminal, the log file and an ansible-runner (AWX) job's stdout.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math
import os
import shutil
import tempfile
import threading
import time

from ansible import constants as C
from ansible.module_utils.common.text.converters import to_text
from ansible.utils.display import Display
from ansible_collections.flowops.ipaas.plugins.plugin_utils.action import FlowopsAction

# The variable (play, inventory, task vars or -e) that sets the seconds between two lines; 0 turns the lines off.
VARIABLE = "flowops_progress_interval"
DEFAULT_INTERVAL = 5
# A line that says the same as the last one is printed again only after this many intervals (a heartbeat).
REPEAT_AFTER_INTERVALS = 12
# Stdout callbacks whose output is read by programs: the lines go to stderr instead.
MACHINE_READABLE = ("json", "jsonl")


def interval_of(value):
    """Seconds between two progress lines from the variable's value (None: the default); a one-line ValueError."""
    if value is None or value == "":
        return float(DEFAULT_INTERVAL)
    try:
        seconds = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        seconds = None
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise ValueError("%s: %r is not a number of seconds; use 0 (no progress lines) or more, default %d"
                         % (VARIABLE, value, DEFAULT_INTERVAL))
    return seconds


def _count(number):
    try:
        return "{:,}".format(int(number))
    except (TypeError, ValueError):
        return "?"


def _jobs(record):
    running = record.get("jobs_running") or 0
    return "%s job%s running" % (_count(running), "" if running == 1 else "s")


def describe(record, purpose):
    """What a progress record (the JSON of the progress file, or None before the first write) says, in words."""
    if not isinstance(record, dict):
        return "selecting the errors to %s" % purpose
    phase, done, total = record.get("phase"), _count(record.get("done")), _count(record.get("total"))
    if phase == "retrying":
        return "retried %s of %s keys, %s" % (done, total, _jobs(record))
    if phase == "waiting":
        return "waiting for the retry jobs: %s of %s keys done, %s" % (done, total, _jobs(record))
    if phase == "resolving":
        return "resolved %s of %s errors" % (done, total)
    return "%s %s of %s" % (phase, done, total)


def read_record(path, since):
    """The progress file's record, or None when it is missing, unreadable, half-written or older than ``since``
    (a file left by an earlier run)."""
    try:
        if os.stat(path).st_mtime + 1 < since:
            return None
        with open(path) as stream:
            return json.load(stream)
    except (OSError, ValueError):
        return None


class ProgressWatch:
    """Prints ``<prefix>: <what the progress file says> (<seconds> s)`` every ``interval`` seconds while it runs, when
    the text changed (or, unchanged, every ``REPEAT_AFTER_INTERVALS`` intervals). Used as a context manager around the
    module run; ``tick()`` is one look at the file."""

    def __init__(self, path, prefix, purpose, interval, show, clock=time.monotonic, wall=time.time):
        self.path, self.prefix, self.purpose, self.interval, self.show = path, prefix, purpose, interval, show
        self.clock = clock
        self.started, self.since = clock(), wall()  # the run's start; a progress file older than ``since`` is stale
        self.last_text = None
        self.last_shown = None
        self._stop = threading.Event()
        self._thread = None

    def tick(self):
        """Read the file and print a line when it says something new; returns the line printed, or None."""
        now = self.clock()
        text = describe(read_record(self.path, self.since), self.purpose)
        if text == self.last_text and now - self.last_shown < REPEAT_AFTER_INTERVALS * self.interval:
            return None
        self.last_text, self.last_shown = text, now
        line = "%s: %s (%d s)" % (self.prefix, text, now - self.started)
        self.show(line)
        return line

    def _loop(self):
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # pylint: disable=broad-except  # a progress line must never fail or hang the run
                return

    def __enter__(self):
        # A daemon: a worker told to stop (SIGINT, SIGTERM) never waits for it.
        self._thread = threading.Thread(target=self._loop, name="flowops-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(1)
        return False


def _display_line(stderr):
    display = Display()
    return lambda line: display.display(line, stderr=stderr)


class ProgressAction(FlowopsAction):
    """Runs the module as every flowops.ipaas module runs (plugin_utils/action.py); on the local connection, without
    async, become or check mode, it also prints the module's progress every ``flowops_progress_interval`` seconds
    (default 5), giving the module a temporary ``progress_file`` (removed afterwards) when the task sets none."""

    PURPOSE = "act on"  # "selecting the errors to <PURPOSE>" before the module's first progress write

    def _watchable(self):
        return (getattr(self._connection, "transport", None) == "local" and not self._task.async_val
                and not self._play_context.check_mode and not self._play_context.become)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        try:
            interval = interval_of(self._templar.template(task_vars.get(VARIABLE)))
        except ValueError as exc:
            return dict(failed=True, msg=to_text(exc))
        if not interval or not self._watchable():
            return super(ProgressAction, self).run(tmp, task_vars)
        args = self._task.args
        own_dir = None
        path = args.get("progress_file")
        if path:
            path = os.path.abspath(os.path.expanduser(os.path.expandvars(path)))
        else:
            try:
                own_dir = tempfile.mkdtemp(prefix="flowops-progress-", dir=C.DEFAULT_LOCAL_TMP)
            except OSError:  # no room for the file: the module runs as it would without the plugin
                return super(ProgressAction, self).run(tmp, task_vars)
            path = os.path.join(own_dir, "progress.json")
            self._task.args = dict(args, progress_file=path)
        stdout_callback = to_text(C.config.get_config_value("DEFAULT_STDOUT_CALLBACK") or "")
        prefix = "%s [%s]" % (self._task.action.split(".")[-1], task_vars.get("inventory_hostname", "localhost"))
        watch = ProgressWatch(path, prefix, self.PURPOSE, interval,
                              _display_line(stderr=stdout_callback.split(".")[-1] in MACHINE_READABLE))
        try:
            with watch:
                result = super(ProgressAction, self).run(tmp, task_vars)
        finally:
            self._task.args = args
            if own_dir:
                shutil.rmtree(own_dir, ignore_errors=True)
        if own_dir:
            # The result is the one the task gives without the lines: no trace of the temporary file.
            module_args = (result.get("invocation") or {}).get("module_args")
            if isinstance(module_args, dict) and module_args.get("progress_file") == path:
                module_args["progress_file"] = None
        return result
