"""The state behind the Activepieces emulator: one project, its flows and their flow runs, and a scenario generator.

Runs carry a sequence number: newest first is descending sequence, and the paging cursors name a sequence
number, so runs created while a client pages (retries) never shift its pages. Methods raise ``Abort`` with
the platform's ``{statusCode, code, message, params}`` error body.

Where the reference is silent the emulator assumes (see docs/platforms/activepieces.md): a retry creates a
new RUNNING run whose ``retryOf`` names the first run of the chain; the retried run records the new run's id
in ``retriedBy``. A scenario run's ``fail_again`` says how many retries of its chain fail again.
"""

import base64
import copy
import json
import random
import threading
import time
from datetime import timedelta

from .app import Abort, Reply, iso, now_iso, parse_iso
from .scenario import generator_spec

DEFAULT_TOKEN = "emulator-token"
STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "PAUSED", "QUOTA_EXCEEDED", "INTERNAL_ERROR", "TIMEOUT", "STOPPED")
FAILED = ("FAILED", "INTERNAL_ERROR", "TIMEOUT", "QUOTA_EXCEEDED")
RETRYABLE = FAILED + ("STOPPED",)  # "Retry a failed or stopped flow run"
CANCELABLE = ("PAUSED", "RUNNING")
STRATEGIES = ("FROM_FAILED_STEP", "ON_LATEST_VERSION")
BULK_FILTERS = ("flowRunIds", "excludeFlowRunIds", "flowId", "status", "failedStepName", "createdAfter", "createdBefore")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# kind -> (status, failed step or None, message); the generator draws kinds by weight.
KINDS = {
    "timeout": ("TIMEOUT", "step_2", "Step exceeded the maximum execution time of 600 seconds"),
    "internal_error": ("INTERNAL_ERROR", None, "Internal error: the worker running the flow was lost"),
    "quota": ("QUOTA_EXCEEDED", None, "The project's task quota for this period is used up"),
    "rate_limit": ("FAILED", "step_2", "Request failed with status code 429: Too Many Requests"),
    "connection_reset": ("FAILED", "step_1", "socket hang up (ECONNRESET)"),
    "value": ("FAILED", "step_2", "Invalid value for field 'amount': expected a number"),
    "duplicate": ("FAILED", "step_2", "A record with the same external id already exists"),
}
DEFAULT_KINDS = {"timeout": 2, "internal_error": 1, "quota": 1, "rate_limit": 2, "connection_reset": 2, "value": 2, "duplicate": 1}
STEP_NAMES = {"trigger": "New order", "step_1": "Look up customer", "step_2": "Create invoice"}


def ap_error(status, code, message, **params):
    return Abort(Reply(status, {"statusCode": status, "code": code, "message": message, "params": params}))


def encode_cursor(direction, seq):
    return base64.urlsafe_b64encode(json.dumps({direction: seq}).encode()).decode().rstrip("=")


def decode_cursor(text):
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode())
        (direction, seq), = data.items()
        if direction in ("next", "prev") and isinstance(seq, int):
            return direction, seq
    except (ValueError, TypeError, AttributeError):
        pass
    raise ap_error(400, "VALIDATION", "cursor is not a cursor this server issued", cursor=text)


def seek_page(items, limit, cursor):
    """``(page, next, previous)`` over ``(seq, item)`` pairs sorted newest (highest seq) first."""
    direction, seq = decode_cursor(cursor) if cursor else ("next", None)
    if direction == "next":
        after = [pair for pair in items if seq is None or pair[0] < seq]
        page = after[:limit]
    else:
        page = [pair for pair in items if pair[0] > seq][-limit:]
    if not page:
        return [], None, None
    first, last = page[0][0], page[-1][0]
    more_older = any(pair[0] < last for pair in items)
    more_newer = any(pair[0] > first for pair in items)
    return ([item for dummy, item in page], encode_cursor("next", last) if more_older else None,
            encode_cursor("prev", first) if more_newer else None)


class ActivepiecesState:  # pylint: disable=too-many-instance-attributes
    """Thread-safe: every public method takes ``lock``. ``switches`` is shared with the app (run_seconds)."""

    def __init__(self, scenario=None, switches=None):
        self.lock = threading.RLock()
        self.switches = switches if switches is not None else {"run_seconds": 0.3}
        self.load(scenario or {})

    def load(self, scenario):
        with self.lock:
            self.token = scenario.get("token", DEFAULT_TOKEN)
            self.project_id = scenario.get("project_id", "proj0000000000000000a")
            self.flows = {}
            for index, raw in enumerate(scenario.get("flows", [])):
                self.flows[raw["id"]] = dict(raw, _seq=len(scenario["flows"]) - index)
            self.runs, self.pending, self.fail_again, self.retry_counts = {}, {}, {}, {}
            self._seq = 0
            for raw in sorted(scenario.get("runs", []), key=lambda item: (item["created"], item["id"])):
                if raw["flowId"] not in self.flows:
                    raise ValueError("run %s: unknown flow %s" % (raw["id"], raw["flowId"]))
                if raw["status"] not in STATUSES:
                    raise ValueError("run %s: unknown status %s" % (raw["id"], raw["status"]))
                self.fail_again[raw["id"]] = int(raw.get("fail_again") or 0)
                self._add_run(self._run_from_scenario(raw))

    def _run_from_scenario(self, raw):
        flow = self.flows[raw["flowId"]]
        step = raw.get("failedStepName")
        run = {"id": raw["id"], "created": raw["created"], "updated": raw.get("finishTime") or raw["created"],
               "projectId": self.project_id, "flowId": flow["id"], "flowVersionId": flow["versionId"],
               "flowDisplayName": flow["displayName"], "status": raw["status"], "environment": "PRODUCTION",
               "tags": list(raw.get("tags") or []), "startTime": raw["created"], "finishTime": raw.get("finishTime") or raw["created"],
               "failParentOnFailure": True, "logsFileId": None, "archivedAt": raw.get("archivedAt"), "stepsCount": 3,
               "_payload": raw.get("payload") or {"orderId": raw["id"][-6:]}, "_message": raw.get("message")}
        if step:
            run["failedStepName"] = step
            run["failedStep"] = {"name": step, "displayName": STEP_NAMES.get(step, step), "message": raw.get("message") or ""}
        return run

    def _add_run(self, run):
        self._seq += 1
        run["_seq"] = self._seq
        self.runs[run["id"]] = run
        return run

    def check_project(self, project_id):
        if not project_id:
            raise ap_error(400, "VALIDATION", "projectId is required")
        if project_id != self.project_id:
            raise ap_error(403, "AUTHORIZATION", "The API key has no access to project %s" % project_id, projectId=project_id)

    # Views.

    @staticmethod
    def run_view(run, with_steps=False):
        view = {key: copy.deepcopy(value) for key, value in run.items() if not key.startswith("_")}
        view["steps"] = None
        if with_steps:
            steps = {"trigger": {"type": "PIECE_TRIGGER", "status": "SUCCEEDED", "input": {}, "output": copy.deepcopy(run["_payload"]),
                                 "duration": 12}}
            if run.get("failedStepName"):
                steps[run["failedStepName"]] = {"type": "PIECE", "status": "FAILED", "input": {},
                                                "errorMessage": run["failedStep"]["message"], "duration": 80}
            view["steps"] = steps
        return view

    def flow_view(self, flow):
        return {"id": flow["id"], "created": flow.get("created", "2026-01-05T10:00:00.000Z"), "updated": flow.get("created", "2026-01-05T10:00:00.000Z"),
                "projectId": self.project_id, "folderId": flow.get("folderId"), "status": flow["status"],
                "publishedVersionId": flow["versionId"],
                "version": {"id": flow["versionId"], "flowId": flow["id"], "displayName": flow["displayName"], "state": "LOCKED"}}

    # Flows.

    def list_flows(self, folder_id, statuses, limit, cursor):
        with self.lock:
            items = sorted(((flow["_seq"], flow) for flow in self.flows.values()
                            if (not folder_id or flow.get("folderId") == folder_id) and (not statuses or flow["status"] in statuses)),
                           key=lambda pair: -pair[0])
            page, nxt, prev = seek_page(items, limit, cursor)
            return {"data": [self.flow_view(flow) for flow in page], "next": nxt, "previous": prev}

    def get_flow(self, flow_id):
        with self.lock:
            flow = self.flows.get(flow_id)
            if flow is None:
                raise ap_error(404, "ENTITY_NOT_FOUND", "Flow not found: %s" % flow_id, entityId=flow_id, entityType="flow")
            return self.flow_view(flow)

    # Runs.

    def _matches(self, run, query):
        created = parse_iso(run["created"])
        return ((not query.get("flowId") or run["flowId"] in query["flowId"])
                and (not query.get("status") or run["status"] in query["status"])
                and (not query.get("tags") or set(query["tags"]).issubset(run["tags"]))
                and (not query.get("failedStepName") or run.get("failedStepName") == query["failedStepName"])
                and (not query.get("createdAfter") or created >= parse_iso(query["createdAfter"]))
                and (not query.get("createdBefore") or created <= parse_iso(query["createdBefore"]))
                and (not query.get("flowRunIds") or run["id"] in query["flowRunIds"]))

    def list_runs(self, query, include_archived, limit, cursor):
        with self.lock:
            self.advance()
            items = [(run["_seq"], run) for run in self.runs.values()
                     if (include_archived or not run["archivedAt"]) and self._matches(run, query)]
            items.sort(key=lambda pair: -pair[0])
            page, nxt, prev = seek_page(items, limit, cursor)
            if query.get("flowRunIds"):
                for run in page:
                    self._poll(run)
            return {"data": [self.run_view(run) for run in page], "next": nxt, "previous": prev}

    def get_run(self, run_id):
        with self.lock:
            run = self._run(run_id)
            self._poll(run)
            return self.run_view(run, with_steps=True)

    def _run(self, run_id):
        run = self.runs.get(run_id)
        if run is None:
            raise ap_error(404, "FLOW_RUN_NOT_FOUND", "Flow run not found: %s" % run_id, id=run_id)
        return run

    def retry(self, run_id, strategy):
        """The new run started by retrying ``run_id``; 409 when that run cannot be retried (again)."""
        with self.lock:
            run = self._run(run_id)
            if run["status"] not in RETRYABLE or run.get("retriedBy"):
                reason = "already retried by %s" % run["retriedBy"] if run.get("retriedBy") else "status %s" % run["status"]
                raise ap_error(409, "FLOW_RUN_NOT_RETRYABLE", "Flow run %s cannot be retried (%s)" % (run_id, reason), id=run_id)
            return self.run_view(self._retry(run, strategy))

    def bulk_retry(self, body, strategy):
        with self.lock:
            runs = [run for run in self._bulk_select(body) if run["status"] in RETRYABLE and not run.get("retriedBy")]
            return [self.run_view(self._retry(run, strategy)) for run in runs]

    def bulk_archive(self, body):
        with self.lock:
            runs = [run for run in self._bulk_select(body) if not run["archivedAt"]]
            when = now_iso()
            for run in runs:
                run["archivedAt"] = run["updated"] = when
            return len(runs)

    def bulk_cancel(self, body):
        with self.lock:
            runs = [run for run in self._bulk_select(body) if run["status"] in CANCELABLE]
            when = now_iso()
            for run in runs:
                run.update(status="STOPPED", finishTime=when, updated=when)
                self.pending.pop(run["id"], None)
            return len(runs)

    def _bulk_select(self, body):
        self.advance()
        ids = body.get("flowRunIds")
        if ids:  # "If provided, other filters are ignored."
            runs = [self.runs[run_id] for run_id in dict.fromkeys(ids) if run_id in self.runs]
        else:
            runs = [run for run in self.runs.values() if self._matches(run, body)]
        excluded = set(body.get("excludeFlowRunIds") or [])
        return sorted((run for run in runs if run["id"] not in excluded), key=lambda run: -run["_seq"])

    def _retry(self, run, strategy):
        root = run.get("retryOf") or run["id"]
        flow = self.flows[run["flowId"]]
        when = now_iso()
        new = {key: copy.deepcopy(value) for key, value in run.items()
               if key not in ("_seq", "failedStepName", "failedStep", "finishTime", "archivedAt", "retriedBy")}
        new.update(id=self._new_id(), created=when, updated=when, startTime=when, status="RUNNING", retryOf=root,
                   archivedAt=None, _started=time.monotonic(), _polls=0, _failure=run)
        if strategy == "ON_LATEST_VERSION":
            new["flowVersionId"] = flow["versionId"]
        run["retriedBy"], run["updated"] = new["id"], when
        self.retry_counts[root] = self.retry_counts.get(root, 0) + 1
        self.pending[new["id"]] = self._add_run(new)
        return new

    def _new_id(self):
        number, text = self._seq + 1, ""
        while number:
            number, digit = divmod(number, len(_ALPHABET))
            text = _ALPHABET[digit] + text
        return "retry" + text.rjust(16, "0")

    # Retry runs: RUNNING until run_seconds pass or the second poll, whichever is first.

    def advance(self):
        with self.lock:
            seconds = float(self.switches.get("run_seconds", 0.3))
            for run in [run for run in self.pending.values() if time.monotonic() - run["_started"] >= seconds]:
                self._finish(run)

    def _poll(self, run):
        if run["id"] in self.pending:
            run["_polls"] += 1
            if run["_polls"] >= 2:
                self._finish(run)

    def _finish(self, run):
        del self.pending[run["id"]]
        failure = run.pop("_failure")
        when = now_iso()
        run.update(finishTime=when, updated=when)
        if self.fail_again.get(run["retryOf"], 0) > 0:
            self.fail_again[run["retryOf"]] -= 1
            run["status"] = failure["status"] if failure["status"] in FAILED else "FAILED"
            if failure.get("failedStep"):
                run["failedStepName"], run["failedStep"] = failure["failedStepName"], copy.deepcopy(failure["failedStep"])
        else:
            run["status"] = "SUCCEEDED"

    # Admin and tests.

    def summary(self):
        with self.lock:
            self.advance()
            by_flow = {}
            for run in self.runs.values():
                counts = by_flow.setdefault(run["flowId"], {})
                status = "ARCHIVED" if run["archivedAt"] else run["status"]
                counts[status] = counts.get(status, 0) + 1
            return {"project_id": self.project_id, "runs": len(self.runs), "by_flow": by_flow,
                    "retry_counts": dict(self.retry_counts), "pending_runs": len(self.pending)}

    def open_failed_runs(self, flow_id=None):
        """Failed runs not archived and not retried (API shape), for tests; due runs are finished first."""
        with self.lock:
            self.advance()
            return [self.run_view(run) for run in sorted(self.runs.values(), key=lambda item: -item["_seq"])
                    if run["status"] in FAILED and not run["archivedAt"] and not run.get("retriedBy")
                    and (flow_id is None or run["flowId"] == flow_id)]


# Scenarios.

def generate(*, flows=4, disabled=1, failed_runs=6, succeeded_runs=2,  # pylint: disable=too-many-arguments,too-many-locals
             fail_again_share=0.2, kinds=None, seed=0, start="2026-11-20T00:00:00Z", window_seconds=86400):
    """A deterministic scenario for ``seed``: ``flows`` flows in two folders (the last ``disabled`` of them
    DISABLED), each with ``failed_runs`` failed runs of ``kinds`` (names or name -> weight, see ``KINDS``)
    and ``succeeded_runs`` succeeded ones; ``fail_again_share`` of the failed runs fail their first retry."""
    rng = random.Random(seed)

    def apid():
        return "".join(rng.choice(_ALPHABET) for dummy in range(21))

    weights = kinds or DEFAULT_KINDS
    if not isinstance(weights, dict):
        weights = dict.fromkeys(weights, 1)
    names = sorted(weights)
    begin = parse_iso(start)
    folders = [apid(), apid()]
    scenario = {"token": DEFAULT_TOKEN, "project_id": apid(), "flows": [], "runs": []}
    for number in range(flows):
        flow = {"id": apid(), "displayName": "Order sync %02d" % (number + 1), "versionId": apid(),
                "status": "DISABLED" if number >= flows - disabled else "ENABLED", "folderId": folders[number % 2]}
        scenario["flows"].append(flow)
        for index in range(failed_runs + succeeded_runs):
            created = iso(begin + timedelta(milliseconds=rng.randrange(int(window_seconds * 1000))))
            run = {"id": apid(), "flowId": flow["id"], "created": created, "tags": ["vip"] if rng.random() < 0.2 else []}
            if index < failed_runs:
                kind = rng.choices(names, [weights[name] for name in names])[0]
                run["status"], run["failedStepName"], run["message"] = KINDS[kind]
                run.update(kind=kind, fail_again=1 if rng.random() < fail_again_share else 0)
            else:
                run["status"] = "SUCCEEDED"
            scenario["runs"].append(run)
    return scenario


def parse_spec(text):
    """``"flows=4,failed_runs=6,seed=1"`` -> generate() keyword arguments (``kinds=timeout:2/value``)."""
    return generator_spec(text, generate, weights=("kinds",))


def default_scenario():
    """4 flows (the last disabled), 6 failed and 2 succeeded runs each."""
    return generate(seed=0)


def flow_ids(scenario, disabled=None):
    return [flow["id"] for flow in scenario["flows"] if disabled is None or (flow["status"] == "DISABLED") == disabled]
