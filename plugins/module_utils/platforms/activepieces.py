# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Activepieces: flows of a project and their failed flow runs (see docs/platforms/activepieces.md).

One failed run is one error. Runs have no per-step error lists, so every flow has one pseudo step,
``flow_run``; the step a run failed at is the error's ``source``. A retry starts a new run: the run it
retried carries ``retriedBy`` and leaves the open listing, and the new run carries ``retryOf`` (the
first run of the chain), which is the stable ``retryDataKey``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import PlatformAdapter, path_segment

PSEUDO_STEP = "flow_run"
FAILED_STATUSES = ("FAILED", "INTERNAL_ERROR", "TIMEOUT", "QUOTA_EXCEEDED")
TERMINAL_STATUSES = FAILED_STATUSES + ("SUCCEEDED", "STOPPED")
STRATEGIES = {"retry": "FROM_FAILED_STEP", "latest_version": "ON_LATEST_VERSION"}
PAGE_LIMIT = 100  # the documented maximum of `limit` on the list endpoints
MAX_PAGES = 100000
STATUS_CLASSIFICATION = {"TIMEOUT": "intermittent", "INTERNAL_ERROR": "intermittent", "QUOTA_EXCEEDED": "rate_limit"}
# A plain FAILED run is classified by its failed step's message, first match wins; otherwise "none".
MESSAGE_CLASSIFICATION = (
    (re.compile(r"\b429\b|rate.?limit|too many requests", re.I), "rate_limit"),
    (re.compile(r"ECONNRESET|ETIMEDOUT|ECONNREFUSED|socket hang up|\b50[234]\b|timed? ?out", re.I), "intermittent"),
    (re.compile(r"\b40[13]\b|unauthori[sz]ed|forbidden|credentials", re.I), "connection"),
    (re.compile(r"duplicate|already exists", re.I), "duplicate"),
    (re.compile(r"invalid|required|expected", re.I), "value"),
)


def classify(status, message):
    if status in STATUS_CLASSIFICATION:
        return STATUS_CLASSIFICATION[status]
    for pattern, classification in MESSAGE_CLASSIFICATION:
        if pattern.search(message or ""):
            return classification
    return "none"


def error_record(run, flow_id):
    """A failed run as a normalised error: the run's own fields plus the shared ones."""
    failed_step = run.get("failedStep") or {}
    message = failed_step.get("message") or "flow run ended with status %s" % run.get("status")
    record = dict(run)
    record.update({
        "errorId": run["id"],
        "retryDataKey": run.get("retryOf") or run["id"],
        "occurredAt": run.get("created"),
        "source": run.get("failedStepName") or failed_step.get("name") or "run",
        "code": run.get("status"),
        "message": message,
        "classification": classify(run.get("status"), message),
        "tags": run.get("tags") or [],
        "_flowId": flow_id,
        "_stepId": PSEUDO_STEP,
    })
    return record


def _flow_record(raw):
    return {
        "_id": raw.get("id"),
        "name": (raw.get("version") or {}).get("displayName") or raw.get("displayName"),
        "disabled": raw.get("status") != "ENABLED",
        "_abstractFlowId": None,
        "_integrationId": raw.get("folderId"),
    }


class ActivepiecesAdapter(PlatformAdapter):
    name = "activepieces"
    # Paths start with /v1 under /api; a self-hosted server is https://<host>/api (api_url).
    regions = {"cloud": "https://cloud.activepieces.com/api"}
    unsupported_hints = {"flow_connection_replace": "Activepieces connections are set per piece in the flow editor"}
    retry_strategies = ("retry", "latest_version")
    # The reference sets no limit on bulk retry's flowRunIds; 1000 is the shared batch_size default.
    max_retry_batch = 1000

    def __init__(self, client, params=None):
        super().__init__(client, params)
        self.project_id = self.params.get("project_id")
        self._lock = threading.Lock()
        self._open_runs = {}  # retryDataKey -> id of the run that is open for it now, from the latest listing
        self._jobs = {}  # job id -> ids of the new runs one bulk retry started (polled within this task)

    @classmethod
    def validate(cls, params):
        if not params.get("project_id"):
            raise ValidationError("project_id: platform 'activepieces' needs the project id; set project_id or FLOWOPS_PROJECT_ID")
        if params.get("abstract_flow_id"):
            raise UnsupportedOperation(cls.name, "abstract_flow_id", "select flows with flow_ids or integration_id "
                                       "(the project id, or a folder id)")
        if [step for step in params.get("step_ids") or [] if step != PSEUDO_STEP]:
            raise ValidationError("step_ids: platform 'activepieces' has one pseudo step per flow (%s); select the "
                                  "failed step with sources instead" % PSEUDO_STEP)

    def _pages(self, path, params):
        """Items of a ``{data, next, previous}`` page, following ``next`` cursors (null on the last page)."""
        params = dict(params, projectId=self.project_id, limit=PAGE_LIMIT)
        seen = set()
        while True:
            body = self.client.request("GET", path, params=params).body
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise FlowOpsError("expected a page object with a 'data' list", method="GET", path=path)
            yield from body["data"]
            cursor = body.get("next")
            if not cursor:
                return
            if cursor in seen or len(seen) >= MAX_PAGES:
                raise FlowOpsError("the server repeated a page cursor (%s); stopping to avoid a loop" % cursor,
                                   method="GET", path=path)
            seen.add(cursor)
            params = dict(params, cursor=cursor)

    # Flows ---------------------------------------------------------------------------------------
    def get_flow(self, flow_id):
        raw = self.client.request("GET", "/v1/flows/%s" % path_segment(flow_id)).body
        if raw.get("projectId") not in (None, self.project_id):
            raise ValidationError("flow_ids: flow %s is in project %s, not in project_id %s"
                                  % (flow_id, raw.get("projectId"), self.project_id))
        return _flow_record(raw)

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        if abstract_flow_id:
            raise self.unsupported("abstract_flow_id")
        params = {}
        if integration_id and integration_id != self.project_id:
            params["folderId"] = integration_id
        for raw in self._pages("/v1/flows", params):
            yield _flow_record(raw)

    def flow_steps(self, flow_id):
        return [{"_id": PSEUDO_STEP, "name": "Flow runs", "type": "run"}]

    def error_summary(self, flow_id):
        count, last = 0, None
        for error in self.iter_errors(flow_id, PSEUDO_STEP):
            count += 1
            if error["occurredAt"] and (last is None or error["occurredAt"] > last):
                last = error["occurredAt"]
        return {PSEUDO_STEP: {"open_errors": count, "last_error_at": last}}

    # Errors --------------------------------------------------------------------------------------
    def iter_errors(self, flow_id, step_id, resolved=False):
        """Failed runs of the flow: open ones (not archived, not yet retried) or, with resolved, archived ones."""
        if step_id != PSEUDO_STEP:
            return
        params = {"flowId": flow_id, "status": list(FAILED_STATUSES)}
        if resolved:
            params["includeArchived"] = "true"
        for run in self._pages("/v1/flow-runs", params):
            if run.get("status") not in FAILED_STATUSES or bool(run.get("archivedAt")) != resolved:
                continue
            if not resolved and run.get("retriedBy"):
                continue  # superseded by its retry run, which is listed in its place when it fails too
            error = error_record(run, flow_id)
            if not resolved:
                with self._lock:
                    self._open_runs[error["retryDataKey"]] = run["id"]
            yield error

    def _runs_for(self, flow_id, keys):
        with self._lock:
            missing = [key for key in keys if key not in self._open_runs]
        if missing:
            for dummy in self.iter_errors(flow_id, PSEUDO_STEP):
                pass
        with self._lock:
            return [self._open_runs[key] for key in keys if key in self._open_runs]

    def retry(self, flow_id, step_id, keys, strategy):
        run_ids = self._runs_for(flow_id, keys)
        if not run_ids:
            return None
        body = {"projectId": self.project_id, "strategy": STRATEGIES[strategy], "flowRunIds": run_ids}
        new_runs = self.client.request("POST", "/v1/flow-runs/retry", body=body).body or []
        with self._lock:
            for key in keys:
                self._open_runs.pop(key, None)
        if not new_runs:
            return None
        ids = [new["id"] for new in new_runs]
        job_id = ids[0] if len(ids) == 1 else "%s+%d" % (ids[0], len(ids) - 1)
        with self._lock:
            self._jobs[job_id] = ids
        return self._job(job_id, ids, new_runs)

    def get_job(self, job_id):
        """A retry "job" is the batch of new runs one bulk retry started, read by id a list page at a time."""
        with self._lock:
            ids = self._jobs.get(job_id) or [job_id]
        runs = []
        for start in range(0, len(ids), PAGE_LIMIT):
            params = {"flowRunIds": ids[start:start + PAGE_LIMIT], "includeArchived": "true"}
            runs.extend(self._pages("/v1/flow-runs", params))
        return self._job(job_id, ids, runs)

    @staticmethod
    def _job(job_id, ids, runs):
        statuses = dict((run["id"], run.get("status")) for run in runs)
        # A run the server no longer returns cannot be waited for: count it as done.
        finished = [run_id for run_id in ids if statuses.get(run_id, "SUCCEEDED") in TERMINAL_STATUSES]
        done = len(finished) == len(ids)
        return {"_id": job_id, "status": "completed" if done else "running", "done": done, "runs": len(ids),
                "succeeded": sum(1 for run_id in ids if statuses.get(run_id) == "SUCCEEDED"),
                "failed": sum(1 for run_id in ids if statuses.get(run_id) in FAILED_STATUSES)}

    def resolve(self, flow_id, step_id, error_ids):
        body = {"projectId": self.project_id, "flowRunIds": list(error_ids)}
        self.client.request("POST", "/v1/flow-runs/archive", body=body, allow_empty=True)

    def retry_data(self, flow_id, step_id, key):
        """The first run of the chain with its step data (trigger payload and step outputs)."""
        run = self.client.request("GET", "/v1/flow-runs/%s" % path_segment(key)).body
        return {"retryDataKey": key, "flowRunId": run.get("id"), "steps": run.get("steps")}

    # Connections ---------------------------------------------------------------------------------
