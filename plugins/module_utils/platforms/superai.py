# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SuperAI Flows: the flow-execution API (see docs/platforms/superai.md for the mapping and its reasons).

A failed or stale flow execution is one error on the flow's single pseudo step ``executions``. Its
``retryDataKey`` is the execution id (re-executing keeps the id); its ``errorId`` adds ``updated_at``, which
moves whenever the execution runs again, so a re-execution that fails again shows up under a new errorId.
Public API reference: https://developers.flows.super.ai (flows, flow-executions).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import PlatformAdapter, path_segment

STEP_ID = "executions"
OPEN_STATUSES = ("failed", "stale")
RESOLVED_STATUSES = ("cancelled",)
# A run in these states has not finished; every other status ends a re-execution "job".
ACTIVE_STATUSES = ("queued", "running", "awaiting_input", "cancel_requested")
# The execution record carries no failure category; see docs/platforms/superai.md for why these.
CLASSIFICATIONS = {"failed": "intermittent", "stale": "none", "cancelled": "none"}
MESSAGES = {
    "failed": "Flow execution failed; the failing task's error is in GET /api/task-executions?flow_execution_id=<id>",
    "stale": "Flow execution is stale: upstream data was edited after it ran",
    "cancelled": "Flow execution was cancelled",
}
# strategy -> only_stale: reuse the results of tasks that succeeded, or run the whole flow again.
ONLY_STALE = {"retry": "true", "latest_version": "false"}
PAGE_SIZE = 1000   # the API's maximum page_size
MAX_PAGE = 10000   # the API's maximum page


def execution_id(error_id):
    """The execution an errorId (``<execution id>@<updated_at>``) names."""
    return error_id.split("@", 1)[0]


def error_record(raw, flow_id, step_id):
    """A flow execution as a normalised error: the platform's fields (without ``input``) plus the shared ones."""
    status = raw.get("status")
    error = dict((key, value) for key, value in raw.items() if key != "input")
    error.update({
        "errorId": "%s@%s" % (raw["id"], raw.get("updated_at")),
        "retryDataKey": raw["id"],
        "occurredAt": raw.get("updated_at"),
        "source": "flow_execution",
        "code": status,
        "message": MESSAGES.get(status, "Flow execution is %s" % status),
        "classification": CLASSIFICATIONS.get(status, "none"),
        "tags": [],
        "_flowId": flow_id,
        "_stepId": step_id,
    })
    return error


class SuperAIAdapter(PlatformAdapter):
    name = "superai"
    # One public host; paths start with /api. Auth: a JWT bearer token (service-account X-API-Key keys are not used).
    regions = {"default": "https://flows.super.ai"}
    unsupported_hints = {"flow_connection_replace": "SuperAI flows have no connections to swap"}
    retry_strategies = ("retry", "latest_version")
    # POST /api/flow-executions/{id}/execute re-executes one execution; there is no bulk endpoint.
    max_retry_batch = 1

    @classmethod
    def validate(cls, params):
        for option in ("abstract_flow_id", "integration_id"):
            if params.get(option):
                raise UnsupportedOperation(cls.name, option, "SuperAI has no abstract flows or integrations; select flows with flow_ids")

    def _executions(self, flow_id, statuses):
        """Every execution of the flow in these statuses, oldest first (created_at never changes, so pages stay put)."""
        page = 1
        while True:
            if page > MAX_PAGE:
                raise FlowOpsError("more than %d pages of executions; stopping" % MAX_PAGE, method="GET",
                                   path="/api/flow-executions")
            params = {"flow_id": flow_id, "status": list(statuses), "sort_field": "created_at", "sort_direction": "asc",
                      "page": page, "page_size": PAGE_SIZE}
            body = self.client.request("GET", "/api/flow-executions", params=params).body or []
            if not isinstance(body, list):
                raise FlowOpsError("expected a JSON array of executions, got %s" % type(body).__name__, method="GET",
                                   path="/api/flow-executions")
            yield from body
            if len(body) < PAGE_SIZE:
                return
            page += 1

    def _execution(self, key):
        return self.client.request("GET", "/api/flow-executions/%s" % path_segment(key)).body

    # Flows ---------------------------------------------------------------------------------------
    def get_flow(self, flow_id):
        raw = self.client.request("GET", "/api/flows/%s" % path_segment(flow_id)).body
        return {"_id": raw.get("id"), "name": raw.get("display_name"), "disabled": bool(raw.get("deleted", False)),
                "_abstractFlowId": None, "_integrationId": None, "version": raw.get("version"), "status": raw.get("status")}

    def flow_steps(self, flow_id):
        return [{"_id": STEP_ID, "name": "Flow executions", "type": "executions"}]

    def error_summary(self, flow_id):
        count, last = 0, None
        for raw in self._executions(flow_id, OPEN_STATUSES):
            count += 1
            updated = raw.get("updated_at")
            last = updated if last is None or (updated and updated > last) else last
        return {STEP_ID: {"open_errors": count, "last_error_at": last}}

    # Errors --------------------------------------------------------------------------------------
    def iter_errors(self, flow_id, step_id, resolved=False):
        for raw in self._executions(flow_id, RESOLVED_STATUSES if resolved else OPEN_STATUSES):
            yield error_record(raw, flow_id, step_id)

    def retry(self, flow_id, step_id, keys, strategy):
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
        """Cancel each execution, only if it is still the failed or stale run that was listed."""
        for error_id in error_ids:
            key = execution_id(error_id)
            current = self._execution(key)
            if current.get("status") not in OPEN_STATUSES or "%s@%s" % (key, current.get("updated_at")) != error_id:
                raise FlowOpsError("execution %s changed since it was listed (now %s); not cancelled"
                                   % (key, current.get("status")))
            path = "/api/flow-executions/%s/cancel" % path_segment(key)
            try:
                self.client.request("POST", path, allow_empty=True)
            except FlowOpsError as exc:
                if exc.status == 409:
                    raise FlowOpsError("execution %s is running and SuperAI cannot cancel it" % key, status=409,
                                       method="POST", path=exc.path, code=exc.code or "conflict")
                raise

    def retry_data(self, flow_id, step_id, key):
        raw = self._execution(key)
        return {"retryDataKey": key, "input": raw.get("input"), "flow_version": raw.get("flow_version")}
