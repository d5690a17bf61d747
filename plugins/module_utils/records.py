# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files a module writes for the operator: record streams, reports and backups, written atomically."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError


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
        self.stream.close()
        os.replace(self.tmp_path, self.path)
        return self.path

    def abort(self):
        self.stream.close()
        if os.path.exists(self.tmp_path):
            os.remove(self.tmp_path)


def write_json(path, data):
    """Write ``data`` as JSON to ``path`` atomically; raises ``FlowOpsError`` if it cannot."""
    path = os.path.abspath(path)
    try:
        handle, tmp_path = tempfile.mkstemp(prefix=".flowops-", suffix=".tmp", dir=os.path.dirname(path))
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=2, sort_keys=True)
            stream.write("\n")
        os.replace(tmp_path, path)
    except OSError as exc:
        raise FlowOpsError("cannot write %s: %s" % (path, exc.strerror or exc))
    return path
