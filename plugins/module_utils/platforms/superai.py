# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SuperAI Flows: the flow-execution API (see docs/platforms/superai.md for the contract table and its sources).

A failed or stale flow execution is one error on the flow's single pseudo step ``executions``. Its
``retryDataKey`` is the execution id (re-executing keeps the id); its ``errorId`` adds ``updated_at``, which
moves whenever the execution runs again, so a re-execution that fails again shows up under a new errorId.
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
CLASSIFICATIONS = {"failed": "intermittent", "stale": "none"}
MESSAGES = {
    "failed": "Flow execution failed; the failing task's error is in GET /api/task-executions?flow_execution_id=<id>",
    "stale": "Flow execution is stale: upstream data was edited after it ran",
}
# only_stale=false (the API default) re-executes the entire flow from the beginning, the failed task included;
# only_stale=true re-runs only tasks marked stale, which a failed task is not said to be.
ONLY_STALE = {"retry": "false"}
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

    @classmethod
    def validate(cls, params):
        for option in ("abstract_flow_id", "integration_id"):
            if params.get(option):
                raise UnsupportedOperation(cls.name, option, "SuperAI has no abstract flows or integrations; select flows with flow_ids")
        if params.get("resolved"):
            raise UnsupportedOperation(cls.name, "resolved", NO_RESOLVED_LISTING)

    def _executions(self, flow_id, filters=None):
        """Every failed or stale execution of the flow, oldest first (created_at never changes, so pages stay put)."""
        params = {"flow_id": flow_id, "status": list(OPEN_STATUSES), "sort_field": "created_at", "sort_direction": "asc"}
        params.update(time_filters(filters))
        return self.pages(PAGER, "/api/flow-executions", params, EXECUTION_FIELDS, "a listed execution")

    def _execution(self, key):
        """The execution now; an answer without its id or status fails (``{}`` must not read as "not failed any more")."""
        path = "/api/flow-executions/%s" % path_segment(key)
        return require_fields(self.client.request("GET", path).body, EXECUTION_FIELDS, "the execution", "GET", path)

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
        # Re-executing terminates a running workflow: leave alone anything that is no longer failed or stale.
        if self._execution(key).get("status") not in OPEN_STATUSES:
            return None
        path = "/api/flow-executions/%s/execute" % path_segment(key)
        try:
            self.client.request("POST", path, params={"only_stale": ONLY_STALE[strategy]}, allow_empty=True)
        except FlowOpsError as exc:
            if exc.status == 409:
                raise FlowOpsError("execution %s is running and SuperAI cannot terminate it; let it finish, then rerun" % key,
                                   status=409, method="POST", path=exc.path, code=exc.code or "conflict")
            raise
        return {"_id": key, "status": "running", "done": False, "only_stale": ONLY_STALE[strategy] == "true"}

    def get_job(self, job_id):
        raw = self._execution(job_id)
        return {"_id": job_id, "status": raw.get("status"), "done": raw.get("status") not in ACTIVE_STATUSES,
                "flow_version": raw.get("flow_version")}

    def resolve(self, flow_id, step_id, error_ids):
        """Soft-delete each execution, only while it is still the failed or stale run that was listed.

        Cancel is never sent: it is documented for running executions only, and these have finished.
        """
        for error_id in error_ids:
            key = execution_id(error_id)
            try:
                current = self._execution(key)
            except FlowOpsError as exc:
                if exc.status != 404:
                    raise
                raise FlowOpsError("execution %s changed since it was listed (now gone); not deleted" % key,
                                   status=404, method="GET", path=exc.path, code=exc.code)
            if current.get("status") not in OPEN_STATUSES or "%s@%s" % (key, current.get("updated_at")) != error_id:
                raise FlowOpsError("execution %s changed since it was listed (now %s); not deleted" % (key, current.get("status")))
            self.client.request("DELETE", "/api/flow-executions/%s" % path_segment(key), allow_empty=True)

    def retry_data(self, flow_id, step_id, key):
        raw = self._execution(key)
        return {"retryDataKey": key, "input": raw.get("input"), "flow_version": raw.get("flow_version")}
