# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""File helpers: a writability probe, atomic writes, JSON-lines streams (backups, record files) and the side files
a run keeps open in place (lock, journal, dismissed file), opened without following a link."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import json
import os
import re
import stat
import tempfile
import time
from datetime import datetime, timezone

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError


def utc_now():
    """Now, UTC, ISO 8601 with microseconds: the time stamp of reports, plans and dismissals."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_writable(path, option):
    """Fail before any request when ``path`` could not be written later: a missing or read-only folder, or a
    directory at the path itself."""
    if not path:
        return
    path = os.path.abspath(path)
    _refuse_directory(path, option)
    try:
        handle, probe = tempfile.mkstemp(prefix=".flowops-check-", dir=os.path.dirname(path))
        os.close(handle)
        os.remove(probe)
    except OSError as exc:
        raise ValidationError("%s: cannot write %s (%s); nothing was sent" % (option, path, exc.strerror or exc))


def check_no_link(path, option):
    """Fail before any request when a side file a run writes in place (``path``) is a symbolic link or a directory."""
    if os.path.islink(path):
        raise ValidationError(_link_message(path, option) + "; nothing was sent")
    _refuse_directory(path, option)


def _refuse_directory(path, option):
    if os.path.isdir(path):
        raise ValidationError("%s: cannot write %s (it is a directory); nothing was sent" % (option, path))


def _link_message(path, option):
    return "%s: %s is a symbolic link; it is never followed: remove it or use another %s" % (option, path, option)


# How ``open_in_place`` opens: append (journal, dismissed file), read and write (lock file), read only.
_IN_PLACE_MODES = {
    "a": (os.O_WRONLY | os.O_APPEND | os.O_CREAT, "a"),
    "r+": (os.O_RDWR | os.O_CREAT, "r+"),
    "r": (os.O_RDONLY, "r"),
}


def open_in_place(path, mode, option):
    """Open a side file a run writes in place, never following a link at ``path``: created 0600, refused (one line
    naming ``option``) when it is a link, not a regular file, or someone else's. ``mode`` is "a", "r+" or "r"."""
    flags, stream_mode = _IN_PLACE_MODES[mode]
    # O_NONBLOCK: a FIFO placed at the path must not hang the open; it is refused below as not a regular file.
    flags |= os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK) or os.path.islink(path):
            raise ValidationError(_link_message(path, option))
        raise
    try:
        _check_own_regular_file(handle, path, option)
    except ValidationError:
        os.close(handle)
        raise
    return os.fdopen(handle, stream_mode)


def _check_own_regular_file(handle, path, option):
    """A hard link or a file of another user at the path could make a write land in someone else's file."""
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        problem = "it is not a regular file"
    elif info.st_nlink > 1:  # 0: removed since it was opened (a released lock), not a danger
        problem = "it has other hard links"
    elif info.st_uid != os.geteuid():
        problem = "it belongs to another user"
    else:
        return
    raise ValidationError("%s: refused %s (%s): remove it or use another %s" % (option, path, problem, option))


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
    """``~/.flowops/backups/<kind>-<UTC time>-<run id>.jsonl``; the folder is created private to the user.

    Only letters, digits, '.', '_' and '-' of the run id reach the name: it can never leave the folder."""
    directory = os.path.join(os.environ.get("HOME") or tempfile.gettempdir(), ".flowops", "backups")
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    safe_run_id = re.sub(r"[^A-Za-z0-9._-]", "_", str(run_id))[:8]
    name = "%s-%s-%s.jsonl" % (kind, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()), safe_run_id)
    return os.path.join(directory, name)
