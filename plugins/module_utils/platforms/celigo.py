# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Celigo integrator.io: the Flows API (see docs/platforms/celigo.md for the contract this follows)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import datetime, timedelta, timezone

from ansible_collections.flowops.ipaas.plugins.module_utils._http.paging import LinkHeaderPager, NextUrlPager
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import (
    ID, OPERATIONS, OPTIONAL_LIST, OPTIONAL_STRING, STRING, PlatformAdapter, count, flow_record, malformed, objects, path_segment,
    require_answer, require_fields)

JOB_DONE = ("completed", "failed", "canceled")
# Not final (ref components/schemas/Job status enum; celigo/ai troubleshooting-flows SKILL.md: "retrying" is in progress).
JOB_NOT_DONE = ("queued", "running", "retrying", "canceling")
JOB_PAGE = 1000  # "List all jobs" answers at most 1001 jobs, newest first: this many or more may be a cut page
CLOCK_MARGIN = 120  # seconds: a finished job that ended this long before our listing began still counts as during it
RETRY_PATHS = {"retry": "retry", "exponential_decay": "retry_with_exponential_decay"}
FLOW_PAGER = LinkHeaderPager()
ERROR_PAGERS = {"errors": NextUrlPager("errors"), "resolved": NextUrlPager("resolved")}
# What the collection reads of each body (absent counts as null; see base.require_fields).
FLOW_FIELDS = (("_id", ID),)
# A listed error: every field the selection, the summary and the ledger read (schema FlowStepError).
ERROR_FIELDS = (("errorId", STRING), ("retryDataKey", OPTIONAL_STRING), ("occurredAt", OPTIONAL_STRING),
                ("source", OPTIONAL_STRING), ("classification", OPTIONAL_STRING), ("message", OPTIONAL_STRING),
                ("tags", OPTIONAL_LIST))
SUMMARY_FIELDS = (("_expOrImpId", STRING), ("lastErrorAt", OPTIONAL_STRING))
JOB_FIELDS = (("_id", ID), ("status", OPTIONAL_STRING))
RESOURCE_FIELDS = (("_id", ID), ("_connectionId", OPTIONAL_STRING))
CONNECTION_FIELDS = (("_id", ID), ("type", OPTIONAL_STRING))


def _moment(text):
    """A job time (ISO 8601, ``Z`` or an offset) as an aware datetime, or None when absent or unreadable."""
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    value = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _finished_since(job, since):
    """A finished job that ended at or after ``since`` (less CLOCK_MARGIN: the job times are the server's clock, ours may
    run ahead), or whose end cannot be told (safe path: kept). Never, without ``since``."""
    if since is None:
        return False
    for field in ("endedAt", "lastModified", "createdAt"):
        moment = _moment(job.get(field))
        if moment is not None:
            return moment >= since - timedelta(seconds=CLOCK_MARGIN)
    return True


def _iso_ms(moment, round_up=False):
    """UTC ISO 8601 with milliseconds, rounded so the server's window is never narrower than the selection's."""
    if round_up and moment.microsecond % 1000:
        moment += timedelta(milliseconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def _flow_record(raw):
    return flow_record(raw.get("_id"), raw.get("name"), raw.get("disabled", False), raw.get("_abstractFlowId"),
                       raw.get("_integrationId"))


def error_query(filters):
    """The query of GET .../errors for the selection's server-side filters (Celigo "Errors API endpoints":
    occurredAt_gte / occurredAt_lte in UTC ISO 8601, source repeated once per value). Only the open listing
    takes them: the resolved listing filters on resolvedAt, so resolved errors are filtered client-side."""
    filters = filters or {}
    query = {}
    if filters.get("occurred_after"):
        query["occurredAt_gte"] = _iso_ms(filters["occurred_after"])
    if filters.get("occurred_before"):
        query["occurredAt_lte"] = _iso_ms(filters["occurred_before"], round_up=True)
    if filters.get("sources"):
        query["source"] = list(filters["sources"])
    return query


def _retry_data_path(flow_id, step_id, key):
    return "/v1/flows/%s/%s/%s/data" % (path_segment(flow_id), path_segment(step_id), path_segment(key))


_STEP_REF_FIELDS = (("_exportId", OPTIONAL_STRING), ("_importId", OPTIONAL_STRING))


def _step_objects(value, what, path):
    """The page generators or processors of ``what``: objects whose step ids are strings."""
    for item in objects(value, what, "GET", path):
        require_fields(item, _STEP_REF_FIELDS, "an item of " + what, "GET", path)
    return value or []


def step_refs(flow, path=None):
    """Step ids of a (merged) flow in pipeline order: generators, processors, then router branches; a legacy flow's
    top-level ``_exportId`` / ``_importId`` (ref flow schema: "Legacy field", a flow with one export and one import)
    first. ``path`` names the flow's endpoint in the error a malformed flow raises."""
    steps = []

    def add(step_id, kind):
        if step_id and step_id not in [s["_id"] for s in steps]:
            steps.append({"_id": step_id, "type": kind})

    require_fields(flow, _STEP_REF_FIELDS, "the flow", "GET", path)
    add(flow.get("_exportId"), "export")
    add(flow.get("_importId"), "import")

    for generator in _step_objects(flow.get("pageGenerators"), "pageGenerators", path):
        add(generator.get("_exportId"), "export")
    processors = list(_step_objects(flow.get("pageProcessors"), "pageProcessors", path))
    for router in objects(flow.get("routers"), "routers", "GET", path):
        for branch in objects(router.get("branches"), "a router's branches", "GET", path):
            processors.extend(_step_objects(branch.get("pageProcessors"), "a branch's pageProcessors", path))
    for processor in processors:
        if processor.get("_importId"):
            add(processor["_importId"], "import")
        else:
            add(processor.get("_exportId"), "export")
    return steps


class CeligoAdapter(PlatformAdapter):
    name = "celigo"
    # Paths start with /v1 on every regional host (au and ca: celigo/ai mcp/resources/api-reference.md).
    regions = {"us": "https://api.integrator.io", "eu": "https://api.eu.integrator.io",
               "au": "https://api.au.integrator.io", "ca": "https://api.ca.integrator.io"}
    path_prefix = "/v1"
    retry_strategies = ("retry", "exponential_decay")
    max_retry_batch = 1000
    capabilities = frozenset(OPERATIONS) | {"server_filters"}

    def __init__(self, client, connection=None):
        super().__init__(client, connection)
        self._step_kinds = {}  # step id -> "export" | "import" (None: not a step of its flow), from flow_steps

    def get_flow(self, flow_id):
        path = "/v1/flows/%s" % path_segment(flow_id)
        return _flow_record(require_fields(self.client.request("GET", path).body, FLOW_FIELDS, "the flow", "GET", path))

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        params = {}
        if abstract_flow_id:
            params["_abstractFlowId"] = abstract_flow_id
        if integration_id:
            params["_integrationId"] = integration_id
        for raw in self.pages(FLOW_PAGER, "/v1/flows", params, FLOW_FIELDS, "a listed flow"):
            yield _flow_record(raw)

    def flow_steps(self, flow_id):
        path = "/v1/flows/%s" % path_segment(flow_id)
        merged = require_fields(self.client.request("GET", path, params={"mergeInstance": "true"}).body, FLOW_FIELDS,
                                "the flow", "GET", path)
        steps = step_refs(merged, path)
        self._step_kinds.update((step["_id"], step["type"]) for step in steps)
        names = {}
        for dummy, resource in self._descendants(flow_id):
            names[resource["_id"]] = resource.get("name")
        for step in steps:
            step["name"] = names.get(step["_id"])
        return steps

    def _descendants(self, flow_id):
        """``[("export" | "import", resource)]`` of a flow (a 204: none), each resource an object with an ``_id``."""
        path = "/v1/flows/%s/descendants" % path_segment(flow_id)
        body = self.client.request("GET", path).object()
        resources = []
        for kind, label in (("exports", "export"), ("imports", "import")):
            for resource in objects(body.get(kind), kind, "GET", path):
                resources.append((label, require_fields(resource, RESOURCE_FIELDS, "an item of " + kind, "GET", path)))
        return resources

    def error_summary(self, flow_id):
        """Open errors per step; a 204 is none, but a body without ``flowErrors`` is no all-clear: it fails."""
        path = "/v1/flows/%s/errors" % path_segment(flow_id)
        body = self.client.request("GET", path).body
        if body is None:
            return {}
        entries = require_fields(body, (("flowErrors", (list,)),), "the error summary", "GET", path)["flowErrors"]
        summary = {}
        for entry in objects(entries, "flowErrors", "GET", path):
            require_fields(entry, SUMMARY_FIELDS, "a flowErrors entry", "GET", path)
            summary[entry["_expOrImpId"]] = {"open_errors": count(entry.get("numError", 0), "a flowErrors entry's numError",
                                                                  "GET", path),
                                             "last_error_at": entry.get("lastErrorAt")}
        return summary

    def iter_errors(self, flow_id, step_id, resolved=False, filters=None):
        kind = "resolved" if resolved else "errors"
        path = "/v1/flows/%s/%s/%s" % (path_segment(flow_id), path_segment(step_id), kind)
        query = None if resolved else error_query(filters)
        for error in self.pages(ERROR_PAGERS[kind], path, query, ERROR_FIELDS, "a listed error"):
            if error.get("tags") and not all(isinstance(tag, str) for tag in error["tags"]):
                raise malformed("a listed error: tags holds a value that is not a string", "GET", path)
            error["_flowId"] = flow_id
            error["_stepId"] = step_id
            yield error

    def retry(self, flow_id, step_id, keys, strategy, options=None, listed=None):
        """The retry job; None when the server matched nothing (a 204). A success with any other body may still
        have queued the retry: that error says so (``require_answer``)."""
        path = "/v1/flows/%s/%s/%s" % (path_segment(flow_id), path_segment(step_id), RETRY_PATHS[strategy])
        response = self.client.request("POST", path, body={"retryDataKeys": list(keys)})
        if response.body is None:
            return None
        return self._job(require_answer(response.status, response.body, JOB_FIELDS, "the retry job", "POST", path))

    def retry_jobs_running(self, flow_id, step_id):
        """Retry jobs of the step still queued or running: Celigo's web client asks
        ``GET /v1/jobs?_flowId=…&type=retry&status=queued&status=running&_importId=…`` (``_exportId`` for an export
        step) to show "retry in progress"; ``retrying`` and ``canceling`` are not final either (ref Job status)."""
        if step_id not in self._step_kinds:
            self.flow_steps(flow_id)
            self._step_kinds.setdefault(step_id, None)  # not among the flow's steps: asked as an import, once
        kind = "_exportId" if self._step_kinds[step_id] == "export" else "_importId"
        params = [("_flowId", flow_id), ("type", "retry")] + [("status", status) for status in JOB_NOT_DONE]
        params.append((kind, step_id))
        return [self._job(job) for job in self._list_jobs(params) if job.get("status") not in JOB_DONE]

    def retry_jobs_running_in(self, flow_id=None, integration_id=None, since=None):
        """The same listing for a whole integration (``_integrationId``) or flow (``_flowId``) at once: each is a filter
        the jobs reference accepts alone (celigo/integrator-api-docs job.md; developer.celigo.com "List all jobs").
        Grouped by the flow and step each job names (``_importId``, ``_exportId`` or ``_expOrImpId``).

        With ``since`` (an aware datetime: when our listing began) the one request carries no status filter, so it
        also shows retry jobs that already finished: those that ended (``endedAt``; ``lastModified``, then
        ``createdAt`` when absent) at or after ``since`` less ``CLOCK_MARGIN`` are kept too (another actor's retry
        that ran while we listed), and so is a finished job with none of those times (safe path). The listing is
        newest first, one page of at most 1001 jobs ("List all jobs"): a full page may hide an older job still
        running, so then the unfinished ones are asked for as well (a second request, only then)."""
        scope = ("_integrationId", integration_id) if integration_id else ("_flowId", flow_id)
        unfinished = [("status", status) for status in JOB_NOT_DONE]
        jobs = self._list_jobs([scope, ("type", "retry")] + ([] if since else unfinished))
        if since and len(jobs) >= JOB_PAGE:
            jobs.extend(self._list_jobs([scope, ("type", "retry")] + unfinished))
        by_step, seen = {}, set()
        for job in jobs:
            step_id = job.get("_importId") or job.get("_exportId") or job.get("_expOrImpId")
            if not step_id or job["_id"] in seen or (job.get("status") in JOB_DONE and not _finished_since(job, since)):
                continue
            seen.add(job["_id"])
            by_step.setdefault((job.get("_flowId") or flow_id, step_id), []).append(self._job(job))
        return by_step

    def _list_jobs(self, params):
        body = self.client.request("GET", "/v1/jobs", params=params).body
        return [require_fields(job, JOB_FIELDS, "a listed job", "GET", "/v1/jobs") for job in objects(body, "the jobs", "GET", "/v1/jobs")]

    def resolve(self, flow_id, step_id, error_ids):
        # The body field is `errors` (carrying error ids), not `errorIds`: a legacy shape.
        path = "/v1/flows/%s/%s/resolved" % (path_segment(flow_id), path_segment(step_id))
        self.client.request("PUT", path, body={"errors": list(error_ids)}, allow_empty=True)

    def get_job(self, job_id):
        path = "/v1/jobs/%s" % path_segment(job_id)
        return self._job(require_fields(self.client.request("GET", path).body, JOB_FIELDS, "the job", "GET", path))

    @staticmethod
    def _job(raw):
        job = dict(raw)
        job["done"] = raw.get("status") in JOB_DONE
        return job

    def retry_data(self, flow_id, step_id, key):
        return self.client.request("GET", _retry_data_path(flow_id, step_id, key)).object()

    def put_retry_data(self, flow_id, step_id, key, envelope):
        # A full replace: the whole envelope goes back (retryDataKey, stage, pgExportId as the GET gave them).
        self.client.request("PUT", _retry_data_path(flow_id, step_id, key), body=envelope, allow_empty=True)

    def get_connection(self, connection_id):
        path = "/v1/connections/%s" % path_segment(connection_id)
        raw = require_fields(self.client.request("GET", path).body, CONNECTION_FIELDS, "the connection", "GET", path)
        return {"_id": raw.get("_id"), "name": raw.get("name"), "type": raw.get("type")}

    def flow_connections(self, flow_id):
        """``[{"step_id", "name", "type", "_connectionId"}]`` for every export and import the flow uses."""
        used = []
        for label, resource in self._descendants(flow_id):
            if resource.get("_connectionId"):
                used.append({"step_id": resource["_id"], "name": resource.get("name"), "type": label,
                             "_connectionId": resource["_connectionId"]})
        return used

    def replace_connection(self, flow_id, old_id, new_id):
        self.client.request("PUT", "/v1/flows/%s/replaceConnection" % path_segment(flow_id),
                            body={"_connectionId": old_id, "_newConnectionId": new_id}, allow_empty=True)

    def run_flow(self, flow_id):
        return self.client.request("POST", "/v1/flows/%s/run" % path_segment(flow_id), allow_empty=True).body

    def run_not_started(self, answer):
        """ref ``runFlow``: "A 200 with no body (or ``_jobId`` absent) means the request was accepted but no job was
        queued"; ref ``FlowRunResponse``: a rejected run is an object with an ``error`` field, an on-demand
        multi-export run an array of per-export run records. Celigo's web client reads ``_jobId``."""
        if isinstance(answer, list):
            refused = [item.get("error") for item in answer if isinstance(item, dict) and item.get("error")]
            if not answer or refused or not all(isinstance(item, dict) for item in answer):
                return "the platform refused the run: %s" % (refused[0] if refused else "no run record in the answer")
            return None
        if isinstance(answer, dict) and answer.get("error"):
            return "the platform refused the run: %s" % answer["error"]
        if not isinstance(answer, dict) or not answer.get("_jobId"):
            return "the run was accepted but no job was queued (no _jobId in the answer; another run may be in progress)"
        return None
