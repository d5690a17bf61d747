# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cloudflare Workflows: the instances API (docs/platforms/cloudflare.md has the contract table and its sources).

A flow is a workflow (its name is the id), an error is an errored instance. Workflows have no steps the API
lists errors by, so every flow has the one pseudo step ``instances``. The instance id is the retry key (a
restart keeps it); the error id is ``<instance id>@<ended_on>``, so an instance that errors again after a
restart comes back under a new error id. The engine restarts an instance whatever its status, so a restart is sent
only after a read shows the instance still errored with the ``ended_on`` it was listed with; a restarted instance's
outcome is read from the instance itself (``key_outcomes``): only ``complete`` is success. Workflows has no call that dismisses a finished instance (terminate
is refused on one), so errors are resolved locally: the resolve module records them in the dismissed file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime
from urllib.parse import unquote

from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.classification import classify_message
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation
from ansible_collections.flowops.ipaas.plugins.module_utils._http.paging import CursorPager, NumberedPager, _next_marker
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import (
    OPTIONAL_LIST, OPTIONAL_OBJECT, OPTIONAL_STRING, STRING, PlatformAdapter, batched, count, error_record, flow_record,
    json_kind, malformed, path_segment, require_answer, require_fields)

PSEUDO_STEP = "instances"
# The engine's final statuses (workers-sdk workflows-shared/src/engine.ts); the others are still under way.
FINAL_STATUSES = ("complete", "errored", "terminated")
ACTIVE_STATUSES = ("queued", "running", "paused", "waiting", "waitingForPause", "rollingBack")
PER_PAGE = 100  # the documented maximum of per_page on both listings
# What a restarted instance's final status means for its key (workflows-shared/src/engine.ts; TS instances.ts).
DELETED = "deleted"  # the status reported for an instance that disappeared (HTTP 404): deleted by someone else
OUTCOMES = {"complete": "succeeded", "errored": "failed_again", "terminated": "not_recovered", DELETED: "not_recovered"}


class FollowingCursorPager(CursorPager):
    """Instances page by cursor only (page and cursor are mutually exclusive). Like wrangler's ``fetchCursorPage``
    (packages/wrangler/src/cfetch/index.ts) the cursor is followed while ``result_info.cursor`` is present, even
    after an empty page; only an absent, null or empty cursor ends the listing. An empty page that hands back the
    cursor it was asked with ends it too (whether production sends one is not established; it must not loop)."""

    def items(self, fetch, path, params=None, max_pages=None):
        guard = self._guard(path, max_pages)
        query = dict(params or {}, **{self.size_param: self.size})
        while True:
            response, items = self._page(fetch, path, query, guard)
            yield from items
            cursor = _next_marker(response.body, self.cursor_key, path) if response else None
            if not cursor or (not items and cursor == query.get(self.cursor_param)):
                return
            guard.check(cursor)
            query = dict(query, **{self.cursor_param: cursor})


INSTANCE_PAGER = FollowingCursorPager("result", "result_info.cursor", size_param="per_page", size=PER_PAGE)
WORKFLOW_PAGER = NumberedPager("result", PER_PAGE, total_pages_key="result_info.total_pages")
# What the adapter reads of each result (absent counts as null; see base.require_fields).
WORKFLOW_FIELDS = (("name", STRING), ("script_name", OPTIONAL_STRING), ("instances", OPTIONAL_OBJECT))
LISTED_FIELDS = (("id", STRING), ("status", OPTIONAL_STRING), ("ended_on", OPTIONAL_STRING), ("modified_on", OPTIONAL_STRING),
                 ("created_on", OPTIONAL_STRING))
INSTANCE_FIELDS = (("status", OPTIONAL_STRING), ("end", OPTIONAL_STRING), ("error", OPTIONAL_OBJECT), ("trigger", OPTIONAL_OBJECT), ("steps", OPTIONAL_LIST))
FAILURE_FIELDS = (("name", OPTIONAL_STRING), ("message", OPTIONAL_STRING))
RESTART_FIELDS = (("result", OPTIONAL_OBJECT),)
RESOLVED_HINT = ("Workflows keeps no resolved errors: flow_errors_resolve records them in the dismissed file "
                 "(dismissed_file) and sends nothing, and a terminated instance is not a resolved error")


def classify(name, message):
    """The shared classification of a Cloudflare error ``{name, message}``; ``none`` when nothing fits."""
    return classify_message("%s: %s" % (name or "Error", message or ""))


def _failed_step(steps):
    """Name of the last step whose run ended in an error, or None. A ``rollback`` step (TS ``InstanceGetResponse``
    steps: ``type: 'step' | 'rollback'``) undoes a step after the failure: it is never the error's step."""
    for step in reversed(steps or []):
        if isinstance(step, dict) and step.get("type") != "rollback" and step.get("name") and \
                (step.get("success") is False or step.get("error")):
            return step["name"]
    return None


def _moment(text):
    """A timestamp for comparison: parsed when it is ISO 8601 (so ``Z`` and ``+00:00`` agree), else the text."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(text, str) else text
    except ValueError:
        return text


def _ran_steps(steps):
    """Names of the ``step.do`` steps in an instance's execution history (GET calls them type ``step``)."""
    return [step["name"] for step in steps or [] if isinstance(step, dict) and step.get("type") == "step" and step.get("name")]


def _is_missing(exc):
    """A missing workflow or instance: HTTP 404, or an engine message such as ``instance.not_found``."""
    return exc.status == 404 or "not_found" in str(exc.message)


def _flow_record(raw):
    return flow_record(raw.get("name"), raw.get("name"), integration_id=raw.get("script_name"), workflowId=raw.get("id"))


class CloudflareAdapter(PlatformAdapter):
    name = "cloudflare"
    required_scope = "account_id"
    refused_selections = {"abstract_flow_id": "select workflows by name with flow_ids or by Worker script with integration_id"}
    pseudo_step = {"_id": PSEUDO_STEP, "name": "workflow instances", "type": "instances"}
    # One global host; paths below are relative to the /client/v4 prefix.
    regions = {"global": "https://api.cloudflare.com/client/v4"}
    path_prefix = ""  # paths are relative to the base URL, which carries /client/v4 itself
    resolve_mode = "local"
    unsupported_hints = {
        "flow_connection_replace": "workflows have no connections: change the Worker's bindings and redeploy",
        "resolve": "Workflows cannot dismiss an errored instance: terminate is refused on a finished instance",
    }
    retry_strategies = ("retry",)
    capabilities = frozenset(("get_flow", "list_flows", "flow_steps", "error_summary", "iter_errors", "retry", "get_job",
                              "retry_data", "restart_from_step"))
    # PATCH .../instances/{id}/status restarts one instance; there is no bulk restart.
    max_retry_batch = 1

    def __init__(self, client, connection=None):
        super().__init__(client, connection)
        self._unknown_jobs = set()  # jobs last seen in a status the collection does not know
        self._seen = {}  # job id -> the status its instance was last read in (``deleted``: gone)
        self._ended = {}  # job id -> the end time of the failure it restarted

    @classmethod
    def validate(cls, params):
        super(CloudflareAdapter, cls).validate(params)
        if params.get("resolved"):
            raise UnsupportedOperation(cls.name, "resolved: true", RESOLVED_HINT)

    # Requests ------------------------------------------------------------------------------------

    def _path(self, *parts):
        return "accounts/%s/workflows%s" % (path_segment(self.connection["account_id"]), "".join("/" + path_segment(p) for p in parts))

    def _call(self, method, path, params=None, body=None):
        """The whole ``{success, errors, messages, result, result_info}`` envelope; HTTP errors raise in the client."""
        response = self.client.request(method, path, params=params, body=body)
        self._check_envelope(response, method, path)
        return response

    def _result(self, path, fields, what):
        """The ``result`` object of a GET, with ``fields`` checked (a workflow or instance answered without one fails)."""
        return require_fields(self._call("GET", path).body.get("result"), fields, what, "GET", path)

    @staticmethod
    def _check_envelope(response, method, path):
        envelope = response.body
        if not isinstance(envelope, dict):
            # A write answered with success but no envelope may still have been applied.
            raise malformed("expected the {success, result} envelope, got %s" % json_kind(envelope), method, path,
                            status=response.status, may_have_applied=method != "GET")
        if envelope.get("success") is False:
            errors = envelope.get("errors")
            messages = [str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")] if isinstance(errors, list) else []
            raise FlowOpsError("the API answered success: false: %s" % ("; ".join(messages) or "no message"), method=method, path=path)

    def fetch(self, path, params=None):
        """One GET for the pagers, with the envelope checked."""
        return self._call("GET", path, params=params)

    def _instance(self, flow_id, instance_id):
        path = self._path(flow_id, "instances", instance_id)
        instance = self._result(path, INSTANCE_FIELDS, "the instance")
        if instance.get("error") is not None:
            require_fields(instance["error"], FAILURE_FIELDS, "the instance's error", "GET", path)
        return instance

    # Flows ---------------------------------------------------------------------------------------
    def get_flow(self, flow_id):
        return _flow_record(self._result(self._path(flow_id), WORKFLOW_FIELDS, "the workflow"))

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        if abstract_flow_id:
            raise self.unsupported("abstract_flow_id", "select workflows by name with flow_ids or by Worker script with integration_id")
        for raw in self.pages(WORKFLOW_PAGER, self._path(), None, WORKFLOW_FIELDS, "a listed workflow"):
            if not integration_id or raw.get("script_name") == integration_id:
                yield _flow_record(raw)

    def error_summary(self, flow_id):
        """The workflow's own count of errored instances (``instances.errored``; an absent key is 0)."""
        path = self._path(flow_id)
        counts = self._result(path, WORKFLOW_FIELDS, "the workflow").get("instances") or {}
        errored = count(counts.get("errored") or 0, "the workflow's instances.errored", "GET", path)
        return {PSEUDO_STEP: {"open_errors": errored, "last_error_at": None}}

    # Errors --------------------------------------------------------------------------------------
    def iter_errors(self, flow_id, step_id, resolved=False, filters=None):
        """Errored instances, each read once more for its error and steps.

        ``filters`` are not sent: which time ``date_start``/``date_end`` bound is not established, and an
        error's time is ``ended_on``, so a server-side window could drop errors; the selection filters instead.
        """
        if resolved:
            raise self.unsupported("resolved: true", RESOLVED_HINT)
        listing = self.pages(INSTANCE_PAGER, self._path(flow_id, "instances"), {"status": "errored"}, LISTED_FIELDS,
                             "a listed instance")
        # Never take another status for an error, whatever the filter did.
        for batch in batched((item for item in listing if item.get("status") == "errored"), PER_PAGE):
            yield from self._records(flow_id, batch)

    def _records(self, flow_id, listed):
        for item, detail in self.fan_out_all(lambda entry: self._detail(flow_id, entry["id"]), listed):
            if detail is not None:
                yield self._error_record(flow_id, item, detail)

    def _detail(self, flow_id, instance_id):
        try:
            return self._instance(flow_id, instance_id)
        except FlowOpsError as exc:
            if _is_missing(exc):
                return None  # gone between the listing and this read (retention): nothing to recover
            raise

    @staticmethod
    def _error_record(flow_id, listed, detail):
        error = detail.get("error") or {}
        name, message = error.get("name") or "Error", error.get("message") or ""
        occurred = listed.get("ended_on") or listed.get("modified_on") or listed.get("created_on")
        trigger = (detail.get("trigger") or {}).get("source")
        return error_record(listed, flow_id, PSEUDO_STEP, "%s@%s" % (listed["id"], occurred), listed["id"], occurred,
                            _failed_step(detail.get("steps")) or "workflow", name, message, classify(name, message),
                            ["trigger:%s" % trigger] if trigger else [])

    # Restarts ------------------------------------------------------------------------------------
    def retry(self, flow_id, step_id, keys, strategy, options=None, listed=None):
        """Restart one instance (from ``options["from_step"]`` when given); the job is the instance itself.

        The engine restarts an instance in any status (workers-sdk engine.ts ``changeInstanceStatus`` ->
        ``userTriggeredRestart``, no status guard), so the instance is read first and restarted only while it is
        still ``errored`` with the ``ended_on`` it was listed with (``listed`` = ``{key: errorId}``). Otherwise
        nothing is sent and the key goes under ``changed_since_listing`` with the status seen.
        """
        keys = list(keys)
        if len(keys) != 1:
            raise FlowOpsError("platform 'cloudflare' restarts one instance a call, got %d keys" % len(keys))
        instance_id, body = keys[0], {"status": "restart"}
        current = self._detail(flow_id, instance_id)
        changed = self._changed(instance_id, current, (listed or {}).get(instance_id))
        if changed:
            return {"changed_since_listing": {instance_id: changed}}
        from_step = (options or {}).get("from_step")
        if from_step:
            self._check_step_ran(instance_id, current, from_step)
            body["from"] = {"name": from_step}
        path = self._path(flow_id, "instances", instance_id, "status")
        response = self._call("PATCH", path, body=body)
        job_id = "%s/%s" % (path_segment(flow_id), path_segment(instance_id))
        self._ended[job_id] = current.get("end")
        result = require_answer(response.status, response.body, RESTART_FIELDS, "the restart answer", "PATCH", path)["result"] or {}
        return {"_id": job_id, "status": result.get("status") or "queued", "done": False}

    @staticmethod
    def _changed(instance_id, current, error_id):
        """Why the instance is no longer the error that was listed (the status seen), or None when it still is."""
        if current is None:
            return "status %s (the instance is gone)" % DELETED
        status = current.get("status")
        if status != "errored":
            return "status %s" % status
        if error_id is None:
            return None  # no listing to compare with (a caller without ``listed``): the status alone decides
        listed_end = error_id[len(instance_id) + 1:] if error_id.startswith(instance_id + "@") else None
        if not current.get("end"):
            # GET reports the end as ``end`` (TS InstanceGetResponse); without it the identity cannot be checked.
            return "status errored, but its end time is not reported: cannot tell it is the error listed"
        if _moment(current["end"]) != _moment(listed_end):
            return "status errored again, ended_on %s (listed: %s)" % (current["end"], listed_end)
        return None

    @staticmethod
    def _check_step_ran(instance_id, current, step):
        """The engine refuses a restart from a step that is not in the execution history: check before sending."""
        ran = _ran_steps(current.get("steps"))
        if step not in ran:
            raise FlowOpsError("restart_from_step: instance %s has no step '%s' in its execution history (steps run: %s); "
                               "not restarted" % (instance_id, step, ", ".join(ran) or "none"))

    def get_job(self, job_id):
        """Done at a final status. A status the collection does not know (``unknown``, a new one) also ends the
        wait, with a warning, and ``key_outcomes`` then reports the instance pending rather than guessing."""
        flow_id, _sep, instance_id = job_id.partition("/")
        current = self._detail(unquote(flow_id), unquote(instance_id))
        status = DELETED if current is None else current.get("status")
        self._seen[job_id] = status
        if status == DELETED:  # deleted by someone else after our restart: it will never end otherwise
            return {"_id": job_id, "status": status, "done": True}
        if status == "errored" and current.get("end") and current.get("end") == self._ended.get(job_id):
            self._seen[job_id] = "queued"  # still the failure we restarted: the restart has not begun yet
            return {"_id": job_id, "status": status, "done": False}
        if status in FINAL_STATUSES or status in ACTIVE_STATUSES:
            self._unknown_jobs.discard(job_id)
            return {"_id": job_id, "status": status, "done": status in FINAL_STATUSES}
        if job_id not in self._unknown_jobs:
            self._unknown_jobs.add(job_id)
            self.warn("instance %s of workflow %s reports status %r, which the collection does not know: not waiting for it; "
                      "its key is reported pending" % (unquote(instance_id), unquote(flow_id), status))
        return {"_id": job_id, "status": status, "done": True}

    def key_outcomes(self, job_id):
        """The restarted instance's outcome with its status: ``complete`` is ``succeeded``, ``errored`` (a new
        ``ended_on``) ``failed_again``, ``terminated`` (by someone else) or gone (deleted) ``not_recovered``, a status
        still under way or unknown ``pending``. Read from the instance, never from its absence in a listing."""
        key = unquote(job_id.partition("/")[2])
        if job_id not in self._seen:
            self.get_job(job_id)
        status = self._seen[job_id]
        return {key: (OUTCOMES.get(status, "pending"), status if status is not None else "unknown")}

    def retry_data(self, flow_id, step_id, key):
        """What a restart re-runs with: the instance's params, trigger and version."""
        detail = self._instance(flow_id, key)
        return {"params": detail.get("params"), "trigger": detail.get("trigger"), "versionId": detail.get("versionId")}
