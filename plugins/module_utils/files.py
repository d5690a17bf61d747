# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""File helpers: a writability probe, atomic writes and JSON-lines streams (backups, record files)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
import time

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


def atomic_write(path, write, label=""):
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
    return atomic_write(path, write)


def default_backup_file(kind, run_id):
    """``~/.flowops/backups/<kind>-<UTC time>-<run id>.jsonl``; the folder is created private to the user."""
    directory = os.path.join(os.environ.get("HOME") or tempfile.gettempdir(), ".flowops", "backups")
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    return os.path.join(directory, "%s-%s-%s.jsonl" % (kind, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), run_id[:8]))
