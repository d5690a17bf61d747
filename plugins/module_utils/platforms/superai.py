# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SuperAI Flows: the flow-execution API (see docs/platforms/superai.md for the contract table and its sources).

A failed or stale flow execution is one error on the flow's single pseudo step ``executions``. Its
``retryDataKey`` is the execution id (re-executing keeps the id); its ``errorId`` adds ``updated_at``, which
moves whenever the execution runs again, so a re-execution that fails again shows up under a new errorId.
A ``stale`` execution (completed, its data outdated by an upstream edit) is classified ``stale``: the default
selection of retry and resolve leaves it out, and when selected it is re-executed with ``only_stale=true`` only,
never in full (a full re-execution discards previous results and repeats side effects). Before each re-execute or
delete the execution is read again and acted on only while it is the one listed (same status and ``updated_at``);
a re-execution's outcome is read from the execution itself: only ``completed`` (or ``edited``, which only a
completed execution becomes) is success.
Public source: SuperAI's OpenAPI description (api-evangelist/superai, openapi/_original/superai-flows-openapi-original.json).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import timedelta, timezone

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation
from ansible_collections.flowops.ipaas.plugins.module_utils._http.paging import NumberedPager
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import (
    ID, OPTIONAL_STRING, STRING, PlatformAdapter, counted_summary, error_record, flow_record, path_segment, require_fields)

STEP_ID = "executions"
OPEN_STATUSES = ("failed", "stale")
# A run in these states has not finished; every other status ends a re-execution "job".
ACTIVE_STATUSES = ("queued", "running", "awaiting_input", "cancel_requested")
# The execution record carries no failure category; see docs/platforms/superai.md for why these.
CLASSIFICATIONS = {"failed": "intermittent", "stale": "stale"}
MESSAGES = {
    "failed": "Flow execution failed; the failing task's error is in GET /api/task-executions?flow_execution_id=<id>",
    "stale": "Flow execution is stale: upstream data was edited after it ran",
}
# only_stale=false (the API default) re-executes the entire flow from the beginning, the failed task included;
# only_stale=true re-runs only tasks marked stale, which a failed task is not said to be. So: by the status re-read
# just before the re-execute, a failed execution goes in full and a stale one stale-only.
ONLY_STALE = {"failed": "false", "stale": "true"}
# What an execution's status after our re-execute means for its key (ExecutionStatus; its documented transitions).
OUTCOMES = {"completed": "succeeded", "edited": "succeeded", "failed": "failed_again", "cancelled": "not_recovered",
            "deleted": "not_recovered", "stale": "not_recovered"}
DELETED = "deleted"  # also the status of an execution that answers 404 (SuperAI never returns deleted ones)
PAGE_SIZE = 1000   # the API's maximum page_size
MAX_PAGE = 10000   # the API's maximum page
PAGER = NumberedPager(None, PAGE_SIZE, size_param="page_size", max_pages=MAX_PAGE)
# What the adapter reads of each body (absent counts as null; see base.require_fields).
FLOW_FIELDS = (("id", ID), ("display_name", OPTIONAL_STRING))
EXECUTION_FIELDS = (("id", ID), ("status", STRING), ("updated_at", OPTIONAL_STRING))
NO_RESOLVED_LISTING = ("resolve soft-deletes executions and SuperAI never lists or returns deleted ones; "
                       "the resolve backup_file is the record of what was resolved")


def execution_id(error_id):
    """The execution an errorId (``<execution id>@<updated_at>``) names."""
    return error_id.split("@", 1)[0]


def execution_error(raw, flow_id, step_id):
    """A flow execution as a normalised error: the platform's fields (without ``input``) plus the shared ones."""
    status = raw.get("status")
    fields = dict((key, value) for key, value in raw.items() if key != "input")
    return error_record(fields, flow_id, step_id, "%s@%s" % (raw["id"], raw.get("updated_at")), raw["id"],
                        raw.get("updated_at"), "flow_execution", status, MESSAGES.get(status, "Flow execution is %s" % status),
                        CLASSIFICATIONS.get(status, "none"))


def _stamp(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_filters(filters):
    """updated_after/updated_before for the selection's time window, widened to whole seconds.

    Both bounds are inclusive on SuperAI, so the server returns a superset of [after, before) whatever precision
    it compares at; the selection re-checks every record.
    """
    query = {}
    after, before = (filters or {}).get("occurred_after"), (filters or {}).get("occurred_before")
    if after is not None:
        query["updated_after"] = _stamp(after.replace(microsecond=0))
    if before is not None:
        ceiling = before if before.microsecond == 0 else before.replace(microsecond=0) + timedelta(seconds=1)
        query["updated_before"] = _stamp(ceiling)
    return query


class SuperAIAdapter(PlatformAdapter):
    name = "superai"
    pseudo_step = {"_id": STEP_ID, "name": "Flow executions", "type": "executions"}
    # One public host; paths start with /api. Every operation takes BearerAuth or APIKeyAuth (X-API-Key, raw key).
    regions = {"default": "https://flows.super.ai"}
    path_prefix = "/api"
    auth_forms = {"bearer": ("Authorization", "Bearer "), "x-api-key": ("X-API-Key", "")}
    unsupported_hints = {
        "flow_connection_replace": "SuperAI flows have no connections to swap",
        "undelete": "soft DELETE: no undelete",
    }
    # latest_version is left out: every re-execute already "updates flow_version to latest version", so it would be
    # the same request as retry (docs/platforms/superai.md, Strategies).
    retry_strategies = ("retry",)
    capabilities = frozenset(("get_flow", "flow_steps", "error_summary", "iter_errors", "retry", "resolve", "get_job",
                              "retry_data"))
    # POST /api/flow-executions/{id}/execute re-executes one execution; there is no bulk endpoint.
    max_retry_batch = 1
    # DELETE /api/flow-executions/{id} is a soft delete with no undelete: the resolve module requires a backup.
    resolve_mode = "delete"

    def __init__(self, client, connection=None):
        super().__init__(client, connection)
        self._before = {}  # execution id -> updated_at of the failure it was re-executed from
        self._seen = {}  # execution id (job) -> the status it was last read in ("queued": not begun yet)

    refused_selections = dict.fromkeys(("abstract_flow_id", "integration_id"),
                                       "SuperAI has no abstract flows or integrations; select flows with flow_ids")

    @classmethod
    def validate(cls, params):
        super(SuperAIAdapter, cls).validate(params)
        if params.get("resolved"):
            raise UnsupportedOperation(cls.name, "resolved", NO_RESOLVED_LISTING)

    def _executions(self, flow_id, filters=None):
        """Every failed or stale execution of the flow, oldest first (created_at never changes, so pages stay put).

        The OpenAPI describes the ``status`` filter two ways (the execution's overall status, or "executions
        containing tasks with ANY of specified statuses"), so each listed execution's own status is checked here too.
        """
        params = {"flow_id": flow_id, "status": list(OPEN_STATUSES), "sort_field": "created_at", "sort_direction": "asc"}
        params.update(time_filters(filters))
        for raw in self.pages(PAGER, "/api/flow-executions", params, EXECUTION_FIELDS, "a listed execution"):
            if raw.get("status") in OPEN_STATUSES:
                yield raw

    def _execution(self, key):
        """The execution now; an answer without its id or status fails (``{}`` must not read as "not failed any more")."""
        path = "/api/flow-executions/%s" % path_segment(key)
        return require_fields(self.client.request("GET", path).body, EXECUTION_FIELDS, "the execution", "GET", path)

    def _current(self, key):
        """The execution now, or ``{"status": "deleted"}`` when it answers 404 (deleted ones are never returned)."""
        try:
            return self._execution(key)
        except FlowOpsError as exc:
            if exc.status != 404:
                raise
            return {"id": key, "status": DELETED, "updated_at": None}

    @staticmethod
    def _changed(key, current, error_id):
        """Why the execution is no longer the failed or stale one listed (the status seen), or None when it is."""
        status = current.get("status")
        if status not in OPEN_STATUSES:
            return "status %s" % status
        if error_id is not None and "%s@%s" % (key, current.get("updated_at")) != error_id:
            return "status %s, updated_at %s (changed since listing)" % (status, current.get("updated_at"))
        return None

    # Flows ---------------------------------------------------------------------------------------
    def get_flow(self, flow_id):
        path = "/api/flows/%s" % path_segment(flow_id)
        raw = require_fields(self.client.request("GET", path).body, FLOW_FIELDS, "the flow", "GET", path)
        return flow_record(raw.get("id"), raw.get("display_name"), raw.get("deleted", False),
                           version=raw.get("version"), status=raw.get("status"))

    def error_summary(self, flow_id):
        return counted_summary(STEP_ID, self._executions(flow_id), "updated_at")

    # Errors --------------------------------------------------------------------------------------
    def iter_errors(self, flow_id, step_id, resolved=False, filters=None):
        if resolved:
            raise self.unsupported("resolved", NO_RESOLVED_LISTING)
        for raw in self._executions(flow_id, filters):
            yield execution_error(raw, flow_id, step_id)

    def retry(self, flow_id, step_id, keys, strategy, options=None, listed=None):
        if len(keys) != 1:
            raise FlowOpsError("SuperAI re-executes one flow execution per request, got %d keys" % len(keys))
        key = keys[0]
        # Re-executing terminates a running workflow: act only on the failed or stale execution that was listed.
        current = self._current(key)
        changed = self._changed(key, current, (listed or {}).get(key))
        if changed:
            return {"changed_since_listing": {key: changed}}
        only_stale = ONLY_STALE[current["status"]]
        path = "/api/flow-executions/%s/execute" % path_segment(key)
        self._before[key] = current.get("updated_at")
        try:
            self.client.request("POST", path, params={"only_stale": only_stale}, allow_empty=True)
        except FlowOpsError as exc:
            if exc.status == 409:
                raise FlowOpsError("execution %s is running and SuperAI cannot terminate it; let it finish, then rerun" % key,
                                   status=409, method="POST", path=exc.path, code=exc.code or "conflict")
            raise
        return {"_id": key, "status": "running", "done": False, "only_stale": only_stale == "true"}

    def get_job(self, job_id):
        """Done once the execution left the active statuses, and is no longer the very failure re-executed (the
        same status with the same ``updated_at``: the re-execute has not begun). A 404 is ``deleted``: done."""
        raw = self._current(job_id)
        status = raw.get("status")
        started = not (status in OPEN_STATUSES and job_id in self._before and raw.get("updated_at") == self._before[job_id])
        self._seen[job_id] = status if started else "queued"
        return {"_id": job_id, "status": status, "done": started and status not in ACTIVE_STATUSES,
                "flow_version": raw.get("flow_version")}

    def key_outcomes(self, job_id):
        """The re-executed execution's outcome with its status: ``completed`` is ``succeeded``, ``failed``
        ``failed_again``; ``cancelled``, deleted or ``stale`` again is ``not_recovered``; anything else ``pending``."""
        if job_id not in self._seen:
            self.get_job(job_id)
        status = self._seen[job_id]
        return {job_id: (OUTCOMES.get(status, "pending"), status if status is not None else "unknown")}

    def resolve(self, flow_id, step_id, error_ids):
        """Soft-delete each execution, only while it is still the failed or stale run that was listed; returns
        ``{errorId: status seen}`` for the ones that changed since (nothing is sent for those).

        Cancel is never sent: it is documented for running executions only, and these have finished.
        """
        changed = {}
        for error_id in error_ids:
            key = execution_id(error_id)
            reason = self._changed(key, self._current(key), error_id)
            if reason:
                changed[error_id] = reason
                continue
            self.client.request("DELETE", "/api/flow-executions/%s" % path_segment(key), allow_empty=True)
        return changed or None

    def retry_data(self, flow_id, step_id, key):
        raw = self._execution(key)
        return {"retryDataKey": key, "input": raw.get("input"), "flow_version": raw.get("flow_version")}
