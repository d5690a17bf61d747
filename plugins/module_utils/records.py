# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files a module writes for the operator: record streams, reports and backups, written atomically."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
import threading

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError


def check_writable(path, option):
    """Fail before any request when ``path`` could not be written later (missing or read-only directory)."""
    if not path:
        return
    path = os.path.abspath(path)
    try:
        handle, probe = tempfile.mkstemp(prefix=".flowops-check-", dir=os.path.dirname(path))
        os.close(handle)
        os.remove(probe)
    except OSError as exc:
        raise ValidationError("%s: cannot write %s (%s); nothing was sent" % (option, path, exc.strerror or exc))


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _atomic_write(path, write, label=""):
    """Call ``write(stream)`` on a temporary file beside ``path``, then move it into place."""
    path = os.path.abspath(path)
    tmp_path = None
    try:
        handle, tmp_path = tempfile.mkstemp(prefix=".flowops-", suffix=".tmp", dir=os.path.dirname(path))
        with os.fdopen(handle, "w") as stream:
            write(stream)
        os.replace(tmp_path, path)
    except OSError as exc:
        if tmp_path:
            _remove_quietly(tmp_path)
        raise FlowOpsError("cannot write %s%s: %s" % (label, path, exc.strerror or exc))
    return path


class JsonLinesWriter:
    """Streams JSON records to a temporary file beside ``path``; ``commit()`` moves it into place."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        directory = os.path.dirname(self.path)
        try:
            handle, self.tmp_path = tempfile.mkstemp(prefix=".flowops-", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise FlowOpsError("cannot write %s: %s" % (self.path, exc.strerror or exc))
        self.stream = os.fdopen(handle, "w")
        self.count = 0

    def write(self, record):
        self.stream.write(json.dumps(record, sort_keys=True))
        self.stream.write("\n")
        self.count += 1

    def commit(self):
        try:
            self.stream.close()
            os.replace(self.tmp_path, self.path)
        except OSError as exc:
            _remove_quietly(self.tmp_path)
            raise FlowOpsError("cannot write %s: %s" % (self.path, exc.strerror or exc))
        return self.path

    def abort(self):
        self.stream.close()
        _remove_quietly(self.tmp_path)


def write_json(path, data):
    """Write ``data`` as JSON to ``path`` atomically; raises ``FlowOpsError`` if it cannot."""
    def write(stream):
        json.dump(data, stream, indent=2, sort_keys=True)
        stream.write("\n")
    return _atomic_write(path, write)


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
    return _atomic_write(path, write, label="report ")


class Journal:
    """Append-only record of submitted keys beside the report, so an interrupted run can be resumed.

    A batch is journaled as ``submitting`` (with each key's error id) before its request is sent and with
    its outcome after; each line is on disk before the code goes on. Shared by the sending threads.
    """

    def __init__(self, report_path, run_id):
        self.path = os.path.abspath(report_path) + ".journal"
        self.run_id = run_id
        self.lock = threading.Lock()
        try:
            self.stream = open(self.path, "a")
        except OSError as exc:
            raise FlowOpsError("cannot write journal %s: %s" % (self.path, exc.strerror or exc))

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
    if os.path.exists(path + ".journal"):
        with open(path + ".journal") as stream:
            for line in stream:
                try:
                    item = json.loads(line)
                except ValueError:
                    continue  # a line cut short when the previous run was killed
                if item.get("run_id") == run_id and item.get("action") in actions:
                    done[item["key"]] = {"action": item["action"], "job": item.get("job"), "errorId": item.get("errorId")}
    return done
