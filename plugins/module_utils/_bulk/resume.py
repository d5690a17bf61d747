# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resuming an interrupted run: the journal a run keeps beside its report, and what a rerun skips."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import SUBMITTING
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import open_in_place

# Seconds a run waits for another run holding its report_file: long enough for a run whose controller was just
# killed to notice and exit (it sends nothing after its batch in flight), short enough to refuse a live rival.
LOCK_WAIT = 30


class ReportLock:
    """An exclusive ``flock`` on ``<report_file>.lock`` held for the whole run, so two runs never act on one
    report and journal at once; the kernel releases it when the holder exits, even when it is killed."""

    def __init__(self, report_path, run_id, wait=LOCK_WAIT, sleep=time.sleep):
        report = os.path.abspath(report_path)
        self.path = report + ".lock"
        deadline = time.monotonic() + wait
        while True:
            self.stream = self._try(self.path)
            if self.stream is not None:
                break
            if time.monotonic() >= deadline:
                raise FlowOpsError("report_file %s is in use by another run (run_id %s): wait for it to finish or use "
                                   "another report_file" % (report, self._holder() or "unknown"))
            sleep(0.2)
        self.stream.seek(0)
        self.stream.truncate()
        self.stream.write(run_id)
        self.stream.flush()

    @staticmethod
    def _try(path):
        """The locked lock file, or None while another run holds it. A link at ``path`` is refused, never followed."""
        try:
            stream = open_in_place(path, "r+", "report_file")
        except OSError as exc:
            raise FlowOpsError("report_file: cannot create lock file %s (%s)" % (path, exc.strerror or exc))
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            stream.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                return None
            raise FlowOpsError("report_file: cannot lock %s (%s)" % (path, exc.strerror or exc))
        try:
            same = os.path.samestat(os.fstat(stream.fileno()), os.lstat(path))
        except OSError:
            same = False
        if not same:  # the previous holder removed the file after this one opened it: lock the new one
            stream.close()
            return ReportLock._try(path)
        return stream

    def _holder(self):
        try:
            with open_in_place(self.path, "r", "report_file") as stream:
                return stream.read().strip()
        except (OSError, FlowOpsError):
            return None

    def release(self):
        try:
            os.remove(self.path)  # while still locked: a waiter that opened the old file sees it is gone and retries
        except OSError:
            pass
        self.stream.close()


@contextmanager
def report_lock(report_file, run_id, check_mode):
    """Hold the run's ``ReportLock`` for the ``with`` block when the run writes a report (never in check mode)."""
    lock = ReportLock(report_file, run_id) if report_file and not check_mode else None
    try:
        yield lock
    finally:
        if lock:
            lock.release()


class Journal:
    """Append-only record of submitted keys beside the report, so an interrupted run can be resumed.

    A batch is journaled as ``submitting`` (with each key's error id) before its request is sent and with
    its outcome after; each line is on disk before the code goes on. Shared by the sending threads.
    A rerun with the same run id appends to the journal in place; a link at its path is refused, never followed.
    """

    def __init__(self, report_path, run_id):
        self.path = os.path.abspath(report_path) + ".journal"
        self.run_id = run_id
        self.lock = threading.Lock()
        try:
            self.stream = open_in_place(self.path, "a", "report_file")
        except OSError as exc:
            raise FlowOpsError("report_file: cannot write journal %s (%s)" % (self.path, exc.strerror or exc))

    def record(self, keys, action, job=None, error_ids=None):
        lines = "".join(
            json.dumps({"run_id": self.run_id, "key": key, "action": action, "job": job,
                        "errorId": error_ids[index] if error_ids else None}) + "\n"
            for index, key in enumerate(keys))
        with self.lock:
            self.stream.write(lines)
            self.stream.flush()
            os.fsync(self.stream.fileno())

    def close(self, remove=False):
        self.stream.close()
        if remove and os.path.exists(self.path):
            os.remove(self.path)


def journal_opener(report_file, run_id):
    """What opens the journal of a run that writes ``report_file`` (called when sending starts, never in check mode);
    None when the run writes no report, so keeps no journal."""
    if not report_file:
        return None
    return lambda: Journal(report_file, run_id)


def done_keys(report_path, run_id, actions):
    """``{key: {"action", "job", "errorId"}}`` a previous run with this ``run_id`` acted on (the latest line wins),
    from its report and journal; only lines whose action is in ``actions``."""
    done = {}
    if not (report_path and run_id):
        return done
    path = os.path.abspath(report_path)
    if os.path.exists(path):
        try:
            with open(path) as stream:
                report = json.load(stream)
        except (OSError, ValueError) as exc:
            raise FlowOpsError("report_file %s exists but cannot be read (%s); move it away or use another run_id"
                               % (path, exc))
        if report.get("run_id") == run_id:
            for item in report.get("keys") or []:
                if item.get("action") in actions:
                    done[item.get("retryDataKey") or item.get("errorId")] = {
                        "action": item["action"], "job": item.get("job"), "errorId": item.get("errorId")}
    for item in _journal_lines(path + ".journal"):
        if item.get("run_id") == run_id and item.get("action") in actions:
            done[item["key"]] = {"action": item["action"], "job": item.get("job"), "errorId": item.get("errorId")}
    return done


def _journal_lines(path):
    """The journal's entries (none when there is no journal); a link at ``path`` is refused, never followed."""
    try:
        stream = open_in_place(path, "r", "report_file")
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return []
        raise FlowOpsError("report_file: cannot read journal %s (%s)" % (path, exc.strerror or exc))
    items = []
    with stream:
        for line in stream:
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line cut short when the previous run was killed
            if isinstance(item, dict) and "key" in item:
                items.append(item)
    return items


class EarlierRun:
    """What an earlier run with the same ``run_id`` (and report file) did, so a rerun acts on each key once."""

    def __init__(self, report_path, run_id, actions):
        self.run_id = run_id
        self.done = done_keys(report_path, run_id, tuple(actions) + (SUBMITTING,))

    def took(self, key, error_id):
        """The earlier run's job for ``key`` when it acted on it; None when this run must (still) act.

        A key journaled as submitting and still open under the same error id was never applied.
        """
        entry = self.done.get(key)
        if entry is None or (entry["action"] == SUBMITTING and entry["errorId"] == error_id):
            return None
        return entry["job"] or "unknown"
