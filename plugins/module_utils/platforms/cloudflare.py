# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare Workflows: the instances API (see docs/platforms/cloudflare.md for the mapping).

A flow is a workflow (its name is the id), an error is an errored instance. Workflows have no steps the API
lists errors by, so every flow has the one pseudo step ``instances``. The instance id is the retry key (a
restart keeps it); the error id is ``<instance id>@<ended_on>``, so an instance that errors again after a
restart comes back under a new error id.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from urllib.parse import unquote

from ansible_collections.flowops.ipaas.plugins.module_utils.concurrency import fan_out_all
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils.paging import MAX_PAGES
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import PlatformAdapter, path_segment

PSEUDO_STEP = "instances"
FINAL_STATUSES = ("complete", "errored", "terminated")
PER_PAGE = 100  # the documented maximum of per_page on both listings
# First match wins; tested against "<error name>: <message>". Maps Cloudflare errors onto the shared vocabulary.
CLASSIFICATION_RULES = (
    ("rate_limit", r"\b429\b|too many requests|rate.?limit|quota.?exceeded"),
    ("governance", r"exceeded (cpu|memory|step|the step)|resource limit|limit of \d+ steps"),
    ("intermittent", r"timeout|timed out|internal.?error|network connection lost|econnreset|socket hang up|"
                     r"\b50[234]\b|temporarily unavailable"),
    ("connection", r"\b40[13]\b|unauthori[sz]ed|forbidden|authentication"),
    ("too_large", r"\b413\b|too large|exceeds the maximum size"),
    ("duplicate", r"duplicate|already exists"),
    ("missing", r"\b404\b|not found"),
    ("parse", r"^syntaxerror|json|unexpected token"),
    ("value", r"^nonretryableerror|^typeerror|^rangeerror|invalid|validation"),
)
_RULES = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in CLASSIFICATION_RULES)


def classify(name, message):
    """The shared classification of a Cloudflare error ``{name, message}``; ``none`` when nothing fits."""
    text = "%s: %s" % (name or "Error", message or "")
    return next((label for label, rule in _RULES if rule.search(text)), "none")


def _failed_step(steps):
    """Name of the last step whose run ended in an error, or None."""
    for step in reversed(steps or []):
        if isinstance(step, dict) and (step.get("error") or step.get("success") is False) and step.get("name"):
            return step["name"]
    return None


def _flow_record(raw):
    return {"_id": raw.get("name"), "name": raw.get("name"), "disabled": False, "_abstractFlowId": None,
            "_integrationId": raw.get("script_name"), "workflowId": raw.get("id")}


class CloudflareAdapter(PlatformAdapter):
    name = "cloudflare"
    # One global host; paths below are relative to the /client/v4 prefix.
    regions = {"global": "https://api.cloudflare.com/client/v4"}
    unsupported_hints = {"flow_connection_replace": "workflows have no connections: change the Worker's bindings and redeploy"}
    retry_strategies = ("retry",)
    # PATCH .../instances/{id}/status restarts one instance; there is no bulk restart.
    max_retry_batch = 1

    @classmethod
    def validate(cls, params):
        if not params.get("account_id"):
            raise ValidationError("account_id: platform 'cloudflare' needs the account id; set account_id or FLOWOPS_ACCOUNT_ID")
        if params.get("abstract_flow_id"):
            raise UnsupportedOperation(cls.name, "abstract_flow_id",
                                       "select workflows by name with flow_ids or by Worker script with integration_id")

    # Requests ------------------------------------------------------------------------------------

    def _path(self, *parts):
        return "accounts/%s/workflows%s" % (path_segment(self.params["account_id"]), "".join("/" + path_segment(p) for p in parts))

    def _call(self, method, path, params=None, body=None):
        """The whole ``{success, errors, messages, result, result_info}`` envelope; HTTP errors raise in the client."""
        envelope = self.client.request(method, path, params=params, body=body).body
        if not isinstance(envelope, dict):
            raise FlowOpsError("expected the {success, result} envelope, got %s" % type(envelope).__name__, method=method, path=path)
        if envelope.get("success") is False:
            messages = [str(e.get("message")) for e in envelope.get("errors") or [] if isinstance(e, dict) and e.get("message")]
            raise FlowOpsError("the API answered success: false: %s" % ("; ".join(messages) or "no message"), method=method, path=path)
        return envelope

    def _pages(self, path, params, cursor_paging):
        """Items of a listing: by ``result_info.cursor`` (instances) or by ``page`` (workflows)."""
        seen, page = set(), 1
        while True:
            query = dict(params, per_page=PER_PAGE)
            if not cursor_paging:
                query["page"] = page
            envelope = self._call("GET", path, params=query)
            items = envelope.get("result") or []
            yield from items
            info = envelope.get("result_info") or {}
            if cursor_paging:
                cursor = info.get("cursor")
                if not cursor or not items:
                    return
                if cursor in seen or len(seen) >= MAX_PAGES:
                    raise FlowOpsError("the server returned the same cursor twice; stopping to avoid a loop", method="GET", path=path)
                seen.add(cursor)
                params = dict(params, cursor=cursor)
            else:
                total_pages = info.get("total_pages")
                if not items or (page >= total_pages if total_pages else len(items) < PER_PAGE) or page >= MAX_PAGES:
                    return
                page += 1

    # Flows ---------------------------------------------------------------------------------------
    def get_flow(self, flow_id):
        return _flow_record(self._call("GET", self._path(flow_id))["result"])

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        if abstract_flow_id:
            raise self.unsupported("abstract_flow_id", "select workflows by name with flow_ids or by Worker script with integration_id")
        for raw in self._pages(self._path(), {}, cursor_paging=False):
            if not integration_id or raw.get("script_name") == integration_id:
                yield _flow_record(raw)

    def flow_steps(self, flow_id):
        return [{"_id": PSEUDO_STEP, "name": "workflow instances", "type": "instances"}]

    def error_summary(self, flow_id):
        envelope = self._call("GET", self._path(flow_id, "instances"), params={"status": "errored", "per_page": 1})
        info = envelope.get("result_info") or {}
        count = info.get("total_count", len(envelope.get("result") or []))
        return {PSEUDO_STEP: {"open_errors": count, "last_error_at": None}}

    # Errors --------------------------------------------------------------------------------------
    def iter_errors(self, flow_id, step_id, resolved=False):
        """Errored instances (``resolved``: terminated ones), each read once more for its error and steps."""
        status = "terminated" if resolved else "errored"
        path = self._path(flow_id, "instances")
        workers = self.params.get("max_concurrency") or 1
        batch = []
        for listed in self._pages(path, {"status": status}, cursor_paging=True):
            batch.append(listed)
            if len(batch) == PER_PAGE:
                yield from self._records(flow_id, batch, workers)
                batch = []
        yield from self._records(flow_id, batch, workers)

    def _records(self, flow_id, listed, workers):
        for item, detail in fan_out_all(lambda entry: self._detail(flow_id, entry["id"]), listed, workers):
            if detail is not None:
                yield self._error_record(flow_id, item, detail)

    def _detail(self, flow_id, instance_id):
        try:
            return self._call("GET", self._path(flow_id, "instances", instance_id))["result"] or {}
        except FlowOpsError as exc:
            if exc.status == 404:
                return None  # gone between the listing and this read (retention): nothing to recover
            raise

    @staticmethod
    def _error_record(flow_id, listed, detail):
        error = detail.get("error") or {}
        name, message = error.get("name") or "Error", error.get("message") or ""
        occurred = listed.get("ended_on") or listed.get("modified_on") or listed.get("created_on")
        trigger = (detail.get("trigger") or {}).get("source")
        return {
            "errorId": "%s@%s" % (listed["id"], occurred), "retryDataKey": listed["id"], "occurredAt": occurred,
            "source": _failed_step(detail.get("steps")) or "workflow", "code": name, "message": message,
            "classification": classify(name, message), "tags": ["trigger:%s" % trigger] if trigger else [],
            "status": listed.get("status"), "created_on": listed.get("created_on"), "ended_on": listed.get("ended_on"),
            "version_id": listed.get("version_id"), "_flowId": flow_id, "_stepId": PSEUDO_STEP,
        }

    def _set_status(self, flow_id, instance_id, action):
        path = self._path(flow_id, "instances", instance_id, "status")
        return self._call("PATCH", path, body={"status": action}).get("result") or {}

    def retry(self, flow_id, step_id, keys, strategy):
        """Restart one instance; the job is the instance itself, done once it reaches a final status."""
        keys = list(keys)
        if len(keys) != 1:
            raise FlowOpsError("platform 'cloudflare' restarts one instance a call, got %d keys" % len(keys))
        result = self._set_status(flow_id, keys[0], "restart")
        return {"_id": "%s/%s" % (path_segment(flow_id), path_segment(keys[0])), "status": result.get("status") or "queued", "done": False}

    def get_job(self, job_id):
        flow_id, _sep, instance_id = job_id.partition("/")
        detail = self._call("GET", self._path(unquote(flow_id), "instances", unquote(instance_id)))["result"] or {}
        return {"_id": job_id, "status": detail.get("status"), "done": detail.get("status") in FINAL_STATUSES}

    def resolve(self, flow_id, step_id, error_ids):
        """Terminate the instances: they leave the errored listing for good (a restart would bring them back)."""
        for error_id in error_ids:
            self._set_status(flow_id, error_id.rpartition("@")[0] or error_id, "terminate")

    def retry_data(self, flow_id, step_id, key):
        """What a restart re-runs with: the instance's params, trigger and version."""
        detail = self._call("GET", self._path(flow_id, "instances", key))["result"] or {}
        return {"params": detail.get("params"), "trigger": detail.get("trigger"), "versionId": detail.get("versionId")}
