"""The state behind the Activepieces emulator: one project, its flows and their flow runs.

It does what the public Activepieces source does (docs/platforms/activepieces.md has the table):
- a FROM_FAILED_STEP retry re-queues the SAME run: only ``status`` is written (QUEUED); the old ``finishTime`` and
  ``failedStep`` stay until the run ends again (RUNNING, then a terminal status with a new ``finishTime``);
- an ON_LATEST_VERSION retry starts a NEW run (``parentRunId`` copied from the old run's own, never its id); the
  old run is untouched and stays FAILED;
- bulk retry answers one entry per matched run in the query's order (not the request's): the run, or the original
  run plus ``error`` when it could not be retried (``legacy_nulls``: ``null``, as older servers answered);
- lists omit ``steps``; GET by id carries them, the failed step's message as ``steps[<name>].errorMessage``.

Switches: ``run_seconds`` (a retried run ends after it), ``requeue_delay`` (seconds a FROM_FAILED_STEP retry keeps the
old status first, as the older generation that only queued the job did), ``retention_days`` (retries of runs created
longer ago are refused with FLOW_RUN_RETRY_OUTSIDE_RETENTION), ``legacy_nulls``.
"""

import base64
import copy
import random
import time
from datetime import datetime, timedelta, timezone

from ..core.state import EmulatorState
from ..core.app import Abort, Reply, iso, now_iso, parse_iso
from .scenario import DEFAULT_TOKEN, KINDS, STEP_NAMES, default_scenario, flow_ids, generate, new_id, parse_spec

# Tests and the CLI use state.generate and friends.
__all__ = ["ActivepiecesState", "DEFAULT_TOKEN", "KINDS", "STEP_NAMES", "default_scenario", "flow_ids", "generate",
           "new_id", "parse_spec", "FAILED", "NOT_TERMINAL", "STATUSES"]

NOT_TERMINAL = ("QUEUED", "RUNNING", "PAUSED")
FAILED = ("FAILED", "INTERNAL_ERROR", "QUOTA_EXCEEDED", "TIMEOUT", "MEMORY_LIMIT_EXCEEDED")  # isFailedState
STATUSES = NOT_TERMINAL + FAILED + ("SUCCEEDED", "LOG_SIZE_EXCEEDED", "CANCELED")
CANCELLABLE = ("PAUSED", "QUEUED")
STRATEGIES = ("FROM_FAILED_STEP", "ON_LATEST_VERSION")
BULK_FILTERS = ("flowRunIds", "excludeFlowRunIds", "flowId", "status", "failedStepName", "createdAfter", "createdBefore")


def ap_error(status, code, **params):
    """An ActivepiecesError answer: ``{code, params}`` (error-handler.ts)."""
    return Abort(Reply(status, {"code": code, "params": params}))


def validation_error(message):
    """A request the route schema refuses: Fastify's own error shape, status 400."""
    return Abort(Reply(400, {"statusCode": 400, "code": "FST_ERR_VALIDATION", "error": "Bad Request", "message": message}))


def encode_cursor(direction, seq):
    return base64.b64encode(("%s_%d" % (direction, seq)).encode()).decode()


def decode_cursor(text):
    try:
        direction, dummy, seq = base64.b64decode(text.encode(), validate=True).decode().partition("_")
        if direction in ("next", "prev"):
            return direction, int(seq)
    except (ValueError, TypeError):
        pass
    raise validation_error("querystring/cursor is not a cursor this server issued")


def seek_page(items, limit, cursor):
    """``(page, next, previous)`` over ``(seq, item)`` pairs sorted newest (highest seq) first; limit None: all."""
    direction, seq = decode_cursor(cursor) if cursor else ("next", None)
    if direction == "next":
        page = [pair for pair in items if seq is None or pair[0] < seq][:limit]
    else:
        page = [pair for pair in items if pair[0] > seq][-limit if limit else None:]
    if not page:
        return [], None, None
    first, last = page[0][0], page[-1][0]
    return ([item for dummy, item in page], encode_cursor("next", last) if any(pair[0] < last for pair in items) else None,
            encode_cursor("prev", first) if any(pair[0] > first for pair in items) else None)


class RetryRefused(Exception):
    def __init__(self, status, code, params):
        super().__init__(code)
        self.status, self.code, self.params = status, code, params


class ActivepiecesState(EmulatorState):  # pylint: disable=too-many-instance-attributes
    """The Activepieces emulator's state (see ``EmulatorState``)."""

    SWITCHES = {"run_seconds": 0.3}

    def __init__(self, scenario=None, switches=None):
        self.rng = random.Random(0)
        super().__init__(scenario, switches)

    def load(self, scenario):
        with self.lock:
            self.token = scenario.get("token", DEFAULT_TOKEN)
            self.project_id = scenario.get("project_id", "proj0000000000000000a")
            self.flows = {}
            for index, raw in enumerate(scenario.get("flows", [])):
                self.flows[raw["id"]] = dict(raw, _seq=len(scenario["flows"]) - index)
            self.runs, self.pending, self.fail_again, self.retry_counts = {}, {}, {}, {}
            self.other_actions = []  # what the ``other_actors`` switch did
            self._seq = 0
            for raw in sorted(scenario.get("runs", []), key=lambda item: (item["created"], item["id"])):
                if raw["flowId"] not in self.flows or raw["status"] not in STATUSES:
                    raise ValueError("run %s: unknown flow %s or status %s" % (raw["id"], raw["flowId"], raw["status"]))
                self.fail_again[raw["id"]] = int(raw.get("fail_again") or 0)
                self._add_run(self._run_from_scenario(raw))

    def _run_from_scenario(self, raw):
        flow = self.flows[raw["flowId"]]
        finished = raw.get("finishTime") or iso(parse_iso(raw["created"]) + timedelta(seconds=2))
        run = {"id": raw["id"], "created": raw["created"], "updated": finished, "projectId": self.project_id, "flowId": flow["id"],
               "failParentOnFailure": True, "tags": list(raw.get("tags") or []), "flowVersionId": flow["versionId"],
               "flowVersion": {"displayName": flow["displayName"]}, "logsFileId": new_id(self.rng), "status": raw["status"],
               "startTime": raw["created"], "finishTime": finished, "environment": "PRODUCTION",
               "archivedAt": raw.get("archivedAt"), "stepsCount": 3,
               "_payload": raw.get("payload") or {"orderId": raw["id"][-6:]}, "_message": raw.get("message"), "_root": raw["id"]}
        if raw.get("parentRunId"):
            run["parentRunId"] = raw["parentRunId"]
        if raw.get("failed_step"):
            run["failedStep"] = {"name": raw["failed_step"], "displayName": STEP_NAMES.get(raw["failed_step"], raw["failed_step"])}
        return run

    def _add_run(self, run):
        self._seq += 1
        run["_seq"] = self._seq
        self.runs[run["id"]] = run
        return run

    def check_project(self, project_id):
        if project_id != self.project_id:  # the RBAC check's exact error is not established; 403 AUTHORIZATION
            raise ap_error(403, "AUTHORIZATION", message="the principal has no access to project %s" % project_id)

    # Views.

    @staticmethod
    def run_view(run, with_steps=False):
        view = {key: copy.deepcopy(value) for key, value in run.items() if not key.startswith("_")}
        if with_steps:
            steps = {"trigger": {"type": "PIECE_TRIGGER", "status": "SUCCEEDED", "input": {}, "output": copy.deepcopy(run["_payload"]),
                                 "duration": 12}}
            # A re-queued run still has its old logs file (addToQueue reuses logsFileId) until it ends again.
            failed = (run.get("failedStep") or {}).get("name") if run["status"] != "SUCCEEDED" else None
            for name in ("step_1", "step_2"):
                steps[name] = {"type": "PIECE", "status": "FAILED" if name == failed else "SUCCEEDED", "input": {}, "duration": 80}
                if name == failed:
                    steps[name]["errorMessage"] = run["_message"] or "Error"
                    break
            view["steps"] = steps if run["logsFileId"] else {}  # no logs file yet: getOnePopulatedOrThrow has no steps
        return view

    def flow_view(self, flow):
        created = flow.get("created", "2026-01-05T10:00:00.000Z")
        return {"id": flow["id"], "created": created, "updated": created, "projectId": self.project_id, "folderId": flow.get("folderId"),
                "status": flow["status"], "publishedVersionId": flow["versionId"],
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
            if flow_id not in self.flows:
                raise ap_error(404, "ENTITY_NOT_FOUND", entityId=flow_id, entityType="flow", message="Flow not found")
            return self.flow_view(self.flows[flow_id])

    # Runs: reads.

    @staticmethod
    def _matches(run, query):
        created = parse_iso(run["created"])
        return ((not query.get("flowId") or run["flowId"] in query["flowId"])
                and (not query.get("status") or run["status"] in query["status"])
                and (not query.get("tags") or set(query["tags"]).issubset(run["tags"]))
                and (not query.get("failedStepName") or (run.get("failedStep") or {}).get("name") == query["failedStepName"])
                and (not query.get("createdAfter") or created >= parse_iso(query["createdAfter"]))
                and (not query.get("createdBefore") or created <= parse_iso(query["createdBefore"]))
                and (not query.get("flowRunIds") or run["id"] in query["flowRunIds"])
                and run["id"] not in (query.get("excludeFlowRunIds") or ()))

    def list_runs(self, query, include_archived, limit, cursor):
        with self.lock:
            items = sorted(((run["_seq"], run) for run in self.runs.values()
                            if (include_archived or not run["archivedAt"]) and self._matches(run, query)), key=lambda pair: -pair[0])
            page, nxt, prev = seek_page(items, limit, cursor)
            return {"data": [self.run_view(run) for run in page], "next": nxt, "previous": prev}

    def get_run(self, run_id):
        with self.lock:
            return self.run_view(self._run(run_id), with_steps=True)

    def _run(self, run_id, project_id=None):
        run = self.runs.get(run_id)
        if run is None or (project_id is not None and project_id != self.project_id):
            raise ap_error(404, "ENTITY_NOT_FOUND", entityId=run_id, entityType="flow_run", message="Flow run not found")
        return run

    # Runs: retries and bulk actions.

    def retry(self, run_id, strategy, project_id):
        """POST /v1/flow-runs/{id}/retry: the re-queued run or the new run; 410 outside the retention window."""
        with self.lock:
            try:
                return self.run_view(self._retry(self._run(run_id, project_id), strategy))
            except RetryRefused as refused:
                raise ap_error(refused.status, refused.code, **refused.params) from None

    def bulk_retry(self, body, strategy):
        """flow-run-service.ts bulkRetry: the runs are selected up front, then retried ``pLimit(10)`` at a time, and
        the answer comes when all are done. ``bulk_wave_seconds`` is the time each wave of 10 takes (0: at once); a
        client that gives up meanwhile does not stop the request: the server goes on with the runs it selected."""
        with self.lock:
            selected = self._bulk_select(body)
        wave_seconds = float(self.switches.get("bulk_wave_seconds") or 0)
        answer = []
        for start in range(0, len(selected), 10):
            if wave_seconds:
                time.sleep(wave_seconds)
            with self.lock:
                for run in selected[start:start + 10]:
                    try:
                        answer.append(self.run_view(self._retry(run, strategy)))
                    except RetryRefused as refused:
                        entry = dict(self.run_view(run), error={"errorCode": refused.code, "errorMessage": refused.code})
                        answer.append(None if self.switches.get("legacy_nulls") else entry)
            self.act_as_other("retried", [run["id"] for run in selected[start:start + 10]])  # right after each wave
        return answer

    def act_as_other(self, when, run_ids):
        """Apply the ``other_actors`` rules ``{"when": "listed" | "retried", "run", "action", "times"?}`` that match:
        ``retry`` (someone else's FROM_FAILED_STEP retry: the run is re-queued) or ``cancel`` (POST /v1/flow-runs/cancel:
        only a PAUSED or QUEUED run becomes CANCELED, flow-run-service ``CANCELLABLE_STATUSES``). Our retry counts are
        left alone."""
        with self.lock:
            for rule in self.other_actor_rules(when, "run", run_ids):
                run = self.runs.get(rule["run"])
                applied = run is not None
                if applied and rule["action"] == "retry":
                    counts = dict(self.retry_counts)
                    self._retry(run, "FROM_FAILED_STEP")
                    self.retry_counts = counts
                elif applied:
                    applied = run["status"] in CANCELLABLE
                    self.bulk_cancel({"flowRunIds": [run["id"]]})
                self.other_actions.append({"when": when, "run": rule["run"], "action": rule["action"], "applied": applied})

    def bulk_archive(self, body):
        with self.lock:
            when = now_iso()
            for run in self._bulk_select(body):
                run["archivedAt"] = run["updated"] = when

    def bulk_cancel(self, body):
        with self.lock:
            when = now_iso()
            for run in self._bulk_select(dict(body, status=body.get("status") or list(CANCELLABLE))):
                run.update(status="CANCELED", updated=when)
                self.pending.pop(run["id"], None)

    def _bulk_select(self, body):
        """filterFlowRunsAndApplyFilters: flowRunIds only when non-empty (else EVERY run the other filters match);
        archived runs included; the query has no ORDER BY, so the emulator answers oldest first, not in request order."""
        return sorted((run for run in self.runs.values() if self._matches(run, body)), key=lambda run: run["_seq"])

    def _retry(self, run, strategy):
        days = self.switches.get("retention_days")
        if (days is not None and run["status"] not in NOT_TERMINAL
                and parse_iso(run["created"]) + timedelta(days=days) < datetime.now(timezone.utc)):
            raise RetryRefused(410, "FLOW_RUN_RETRY_OUTSIDE_RETENTION", {"flowRunId": run["id"], "failedJobRetentionDays": days})
        self.retry_counts[run["id"]] = self.retry_counts.get(run["id"], 0) + 1
        when = now_iso()
        if strategy == "FROM_FAILED_STEP":
            run["updated"] = when
            run["_retry"] = {"since": time.monotonic(), "delay": float(self.switches.get("requeue_delay") or 0),
                             "status": run["status"], "failedStep": copy.deepcopy(run.get("failedStep"))}
            if not run["_retry"]["delay"]:
                run["status"] = "QUEUED"
            self.pending[run["id"]] = run
            return run
        flow = self.flows[run["flowId"]]
        new = {"id": new_id(self.rng), "created": when, "updated": when, "projectId": run["projectId"], "flowId": run["flowId"],
               "failParentOnFailure": run["failParentOnFailure"], "tags": [], "flowVersionId": flow["versionId"],
               "flowVersion": {"displayName": flow["displayName"]}, "logsFileId": None, "status": "QUEUED",
               "environment": run["environment"], "archivedAt": None, "_payload": copy.deepcopy(run["_payload"]),
               "_message": run["_message"], "_root": run["_root"],
               "_retry": {"since": time.monotonic(), "delay": 0.0, "status": run["status"], "failedStep": copy.deepcopy(run.get("failedStep"))}}
        if run.get("parentRunId"):
            new["parentRunId"] = run["parentRunId"]
        self.pending[new["id"]] = self._add_run(new)
        return new

    # The engine: a retried run is QUEUED, RUNNING after half of run_seconds, and ends after run_seconds.

    def advance(self):
        with self.lock:
            seconds = float(self.switches.get("run_seconds", 0.3))
            for run in list(self.pending.values()):
                retry = run["_retry"]
                elapsed = time.monotonic() - retry["since"] - retry["delay"]
                if elapsed < 0:
                    continue
                if run["status"] not in NOT_TERMINAL:
                    run.update(status="QUEUED", updated=now_iso())
                if elapsed >= seconds / 2 and run["status"] == "QUEUED":
                    run.update(status="RUNNING", startTime=now_iso(), logsFileId=run["logsFileId"] or new_id(self.rng))
                if elapsed >= seconds:
                    self._finish(run)

    def _finish(self, run):
        retry = run.pop("_retry")
        del self.pending[run["id"]]
        when = now_iso()
        if run.get("finishTime") and when <= run["finishTime"]:
            when = iso(parse_iso(run["finishTime"]) + timedelta(milliseconds=1))
        run.update(finishTime=when, updated=when, stepsCount=3)
        if self.fail_again.get(run["_root"], 0) > 0:
            self.fail_again[run["_root"]] -= 1
            run["status"] = retry["status"] if retry["status"] in FAILED else "FAILED"
            if retry["failedStep"]:
                run["failedStep"] = retry["failedStep"]
        else:
            run["status"] = "SUCCEEDED"

    # Admin and tests.

    def summary(self):
        with self.lock:
            by_flow = {}
            for run in self.runs.values():
                counts = by_flow.setdefault(run["flowId"], {})
                status = "ARCHIVED" if run["archivedAt"] else run["status"]
                counts[status] = counts.get(status, 0) + 1
            return {"project_id": self.project_id, "runs": len(self.runs), "by_flow": by_flow,
                    "retry_counts": dict(self.retry_counts), "pending_runs": len(self.pending)}

    def open_failed_runs(self, flow_id=None):
        """Failed runs not archived (API shape, newest first), for tests; due runs are finished first."""
        with self.lock:
            self.advance()
            return [self.run_view(run) for run in sorted(self.runs.values(), key=lambda item: -item["_seq"])
                    if run["status"] in FAILED and not run["archivedAt"] and (flow_id is None or run["flowId"] == flow_id)]
