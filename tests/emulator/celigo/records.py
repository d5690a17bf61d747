"""The Celigo emulator's records: errors (slotted, for 100,000 of them), per-step error logs, jobs."""

import bisect
import copy
import itertools
import time

from ..core.app import iso, now_iso, parse_iso

JOB_STAGES = ("queued", "running", "completed")
# Scenario error keys the emulator keeps to itself (never returned by the API) or stores in slots.
_ERROR_SLOTS = {"_flowId", "_stepId", "errorId", "retryDataKey", "occurredAt", "source", "code", "message",
                "classification", "tags", "fail_again", "resolvedAt", "resolvedBy", "retry_data", "fail_unless"}
_IDS = itertools.count(1)


def new_object_id():
    """A fresh 24-hex id (time prefix + counter, like a Mongo ObjectId)."""
    return "%08x%016x" % (int(time.time()), next(_IDS))


def _canonical_time(text):
    if len(text) == 24 and text[19] == "." and text[23] == "Z":
        return text
    return iso(parse_iso(text))


class ErrorRecord:
    """One error; slots keep 100,000 of them small."""

    __slots__ = ("flow_id", "step_id", "errorId", "retryDataKey", "occurredAt", "source", "code", "message",
                 "classification", "tags", "fail_again", "fail_unless", "resolvedAt", "resolvedBy", "extra")

    @classmethod
    def from_scenario(cls, raw):
        record = cls()
        record.flow_id = raw["_flowId"]
        record.step_id = raw["_stepId"]
        record.errorId = raw["errorId"]
        record.retryDataKey = raw.get("retryDataKey") or None
        record.occurredAt = _canonical_time(raw["occurredAt"])
        record.source = raw.get("source", "application")
        record.code = str(raw.get("code", "ERROR"))
        record.message = raw.get("message", "")
        record.classification = raw.get("classification")
        record.tags = raw.get("tags")
        record.fail_again = int(raw.get("fail_again") or 0)
        # {field: JSON type}: a retry fails again until the record's retry data has these fields with these types
        record.fail_unless = dict(raw.get("fail_unless") or {}) or None
        record.resolvedAt = raw.get("resolvedAt")
        record.resolvedBy = raw.get("resolvedBy")
        record.extra = {key: value for key, value in raw.items() if key not in _ERROR_SLOTS} or None
        return record

    def failed_again(self, when):
        """The new open error a failing retry leaves: same key, step and text; a new errorId."""
        record = copy.copy(self)
        record.errorId = new_object_id()
        record.occurredAt = when
        record.fail_again = self.fail_again - 1
        record.resolvedAt = record.resolvedBy = None
        if self.extra and "retryAt" in self.extra:  # the platform's schedule was for the original error
            record.extra = {key: value for key, value in self.extra.items() if key != "retryAt"} or None
        return record

    def to_api(self):
        out = {"errorId": self.errorId, "occurredAt": self.occurredAt, "source": self.source, "code": self.code,
               "message": self.message}
        if self.classification is not None:
            out["classification"] = self.classification
        if self.retryDataKey:
            out["retryDataKey"] = self.retryDataKey
        out["tags"] = self.tags
        if self.extra:
            out.update(self.extra)
        if self.resolvedAt:
            out["resolvedAt"] = self.resolvedAt
            out["resolvedBy"] = self.resolvedBy
        return out

    def to_scenario(self):
        out = self.to_api()
        out.update({"_flowId": self.flow_id, "_stepId": self.step_id, "fail_again": self.fail_again})
        if self.fail_unless:
            out["fail_unless"] = dict(self.fail_unless)
        return out


class ErrorLog:
    """Errors in cursor order. Removal is O(1) (the list is compacted lazily); a page starts by bisection."""

    __slots__ = ("seqs", "items", "live")

    def __init__(self):
        self.seqs = []
        self.items = []
        self.live = {}

    def __len__(self):
        return len(self.live)

    def add(self, seq, record):
        self.seqs.append(seq)
        self.items.append(record)
        self.live[record.errorId] = record

    def remove(self, error_id):
        record = self.live.pop(error_id, None)
        if record is not None and len(self.items) > 64 and len(self.items) > 2 * len(self.live):
            kept = [(seq, item) for seq, item in zip(self.seqs, self.items) if self.live.get(item.errorId) is item]
            self.seqs = [pair[0] for pair in kept]
            self.items = [pair[1] for pair in kept]
        return record

    def page(self, after, size, keep=None):
        """``(records, last_seq, more)``: up to ``size`` live records whose sequence number is above ``after``
        (and that ``keep(record)`` accepts, when given)."""
        def wanted(position):
            item = self.items[position]
            return self.live.get(item.errorId) is item and (keep is None or keep(item))

        index = bisect.bisect_right(self.seqs, after)
        records, last, total = [], after, len(self.items)
        while index < total and len(records) < size:
            if wanted(index):
                records.append(self.items[index])
                last = self.seqs[index]
            index += 1
        while index < total and not wanted(index):
            index += 1
        return records, last, index < total


class StepErrors:
    __slots__ = ("open", "resolved", "open_keys", "keys")

    def __init__(self):
        self.open = ErrorLog()
        self.resolved = ErrorLog()
        self.open_keys = {}  # retryDataKey -> errorIds of the open errors carrying it
        self.keys = set()  # every retryDataKey seen on this step, open or resolved

    def add_open(self, seq, record):
        self.open.add(seq, record)
        if record.retryDataKey:
            self.open_keys.setdefault(record.retryDataKey, []).append(record.errorId)
            self.keys.add(record.retryDataKey)

    def add_resolved(self, seq, record):
        self.resolved.add(seq, record)
        if record.retryDataKey:
            self.keys.add(record.retryDataKey)

    def take(self, error_id):
        """Remove an open error from the open list (a retry takes it in flight); None when it is not open."""
        record = self.open.remove(error_id)
        if record is not None and record.retryDataKey:
            ids = self.open_keys[record.retryDataKey]
            ids.remove(error_id)
            if not ids:
                del self.open_keys[record.retryDataKey]
        return record

    def settle(self, record, seq, when, by):
        """File a record taken from the open list as resolved."""
        record.resolvedAt, record.resolvedBy = when, by
        self.resolved.add(seq, record)
        return record

    def resolve(self, error_id, seq, when, by):
        record = self.take(error_id)
        return None if record is None else self.settle(record, seq, when, by)


class Job:
    __slots__ = ("id", "type", "flow_id", "step_id", "records", "created", "created_at", "polls", "stage",
                 "started_at", "ended_at", "num_success", "num_error", "step_kind", "user_id", "status_override")

    def __init__(self, job_type, flow_id, step_id=None, records=(), step_kind=None, user_id=None):
        self.step_kind = step_kind  # "export" | "import": the job lists under _exportId / _importId
        self.user_id = user_id
        self.status_override = None  # "canceled" when another actor canceled it
        self.id = new_object_id()
        self.type = job_type
        self.flow_id = flow_id
        self.step_id = step_id
        self.records = list(records)  # the errors this retry took out of the open list
        self.created = time.monotonic()
        self.created_at = now_iso()
        self.polls = 0
        self.stage = 0
        self.started_at = self.ended_at = None
        self.num_success = self.num_error = 0

    @property
    def status(self):
        return self.status_override or JOB_STAGES[self.stage]

    @property
    def done(self):
        return self.stage == 2 or self.status_override is not None

    def view(self):
        out = {"_id": self.id, "type": self.type, "status": self.status, "_flowId": self.flow_id,
               "createdAt": self.created_at, "lastModified": self.ended_at or self.started_at or self.created_at}
        if self.user_id:
            out["_userId"] = self.user_id
        if self.step_id:
            out["_expOrImpId"] = self.step_id
            if self.step_kind:
                out["_exportId" if self.step_kind == "export" else "_importId"] = self.step_id
        if self.started_at:
            out["startedAt"] = self.started_at
        if self.stage == 2:
            out.update({"endedAt": self.ended_at, "numSuccess": self.num_success, "numError": self.num_error})
        return out
