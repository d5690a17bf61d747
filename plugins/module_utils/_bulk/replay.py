# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replay from a backup: flow_errors_retry's ``from_backup`` reads the records a resolve backup holds (one JSON
object a line, as flow_errors_resolve's ``backup_file`` writes them) and retries exactly those keys.

Only a key that an open error still carries can be retried: the platforms' retry calls re-run open errors (Celigo's
``POST .../retry`` answers 204 for keys that match no stored snapshot, and retrying a resolved error is not
established by its reference). Every other record of the backup is reported by key as ``cannot_retry`` with the
reason, never sent. On a platform that resolves in the collection's own state (``resolve_mode = "local"``) a
dismissed error is still open on the platform, so it is replayed despite its dismissal: a replaying run is built
without the dismissed errors (flow_errors_retry's ``build``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import CANNOT_RETRY, NO_KEY


class Backup:
    """The records of a resolve backup, read and checked before any request."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.records = []
        try:
            with open(self.path) as stream:
                for number, line in enumerate(stream, 1):
                    if line.strip():
                        self.records.append(self._record(line, number))
        except OSError as exc:
            raise ValidationError("from_backup: cannot read %s (%s); nothing was sent" % (self.path, exc.strerror or exc))
        if not self.records:
            raise ValidationError("from_backup: %s holds no records; nothing was sent" % self.path)
        self.keys = set(r["retryDataKey"] for r in self.records if r.get("retryDataKey"))

    def _record(self, line, number):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict) or not all(record.get(f) for f in ("_flowId", "_stepId", "errorId")):
            raise ValidationError("from_backup: line %d of %s is not a backup record (JSON with _flowId, _stepId and "
                                  "errorId); nothing was sent" % (number, self.path))
        return record

    def flow_ids(self):
        """The backup's flows in the order they first appear."""
        return list(dict.fromkeys(r["_flowId"] for r in self.records))

    def wants(self, error):
        return error.get("retryDataKey") in self.keys


def open_backup(path):
    """The run's ``Backup`` when ``from_backup`` names one (read and checked now, before any request), else None."""
    return Backup(path) if path else None


def selection_options(params, backup):
    """The options the run's selection reads: with a backup and no flow selection in the task, the backup's flows
    (a new mapping: the task's options are left as they are)."""
    if backup is None or params.get("flow_ids") or params.get("abstract_flow_id") or params.get("integration_id"):
        return params
    return dict(params, flow_ids=backup.flow_ids())


def account_unreplayable(ledger, backup, platform):
    """Account every backup record no open error carries now as ``cannot_retry``, with the reason."""
    gone = set(ledger.missing([r["retryDataKey"] for r in backup.records if r.get("retryDataKey")]))
    reason = ("no open error carries this key on %s now (resolved, deleted or purged): retrying an error that is no "
              "longer open is not established for the platform, so nothing was sent" % platform)
    for record in backup.records:
        key = record.get("retryDataKey")
        if not key:
            ledger.add(record["_flowId"], record["_stepId"], record["errorId"], record["errorId"], CANNOT_RETRY, NO_KEY)
        elif key in gone:
            ledger.add(record["_flowId"], record["_stepId"], key, record["errorId"], CANNOT_RETRY, reason)
