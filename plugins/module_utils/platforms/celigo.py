# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Celigo integrator.io: the Flows API (see docs/platforms/celigo.md for the contract this follows)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from datetime import timedelta

from ansible_collections.flowops.ipaas.plugins.module_utils.paging import LinkHeaderPager, NextUrlPager
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import OPERATIONS, PlatformAdapter, flow_record, path_segment

JOB_DONE = ("completed", "failed", "canceled")
RETRY_PATHS = {"retry": "retry", "exponential_decay": "retry_with_exponential_decay"}
FLOW_PAGER = LinkHeaderPager()
ERROR_PAGERS = {"errors": NextUrlPager("errors"), "resolved": NextUrlPager("resolved")}


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


def step_refs(flow):
    """Step ids of a (merged) flow in pipeline order: generators, processors, then router branches."""
    steps = []

    def add(step_id, kind):
        if step_id and step_id not in [s["_id"] for s in steps]:
            steps.append({"_id": step_id, "type": kind})

    for generator in flow.get("pageGenerators") or []:
        add(generator.get("_exportId"), "export")
    processors = list(flow.get("pageProcessors") or [])
    for router in flow.get("routers") or []:
        for branch in router.get("branches") or []:
            processors.extend(branch.get("pageProcessors") or [])
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

    def get_flow(self, flow_id):
        return _flow_record(self.client.request("GET", "/v1/flows/%s" % path_segment(flow_id)).object())

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        params = {}
        if abstract_flow_id:
            params["_abstractFlowId"] = abstract_flow_id
        if integration_id:
            params["_integrationId"] = integration_id
        for raw in FLOW_PAGER.items(self.fetch, "/v1/flows", params):
            yield _flow_record(raw)

    def flow_steps(self, flow_id):
        merged = self.client.request("GET", "/v1/flows/%s" % path_segment(flow_id), params={"mergeInstance": "true"}).object()
        steps = step_refs(merged)
        names = {}
        descendants = self.client.request("GET", "/v1/flows/%s/descendants" % path_segment(flow_id)).object()
        for kind in ("exports", "imports"):
            for resource in descendants.get(kind) or []:
                names[resource.get("_id")] = resource.get("name")
        for step in steps:
            step["name"] = names.get(step["_id"])
        return steps

    def error_summary(self, flow_id):
        body = self.client.request("GET", "/v1/flows/%s/errors" % path_segment(flow_id)).object()
        return dict(
            (entry["_expOrImpId"], {"open_errors": entry.get("numError", 0), "last_error_at": entry.get("lastErrorAt")})
            for entry in body.get("flowErrors") or []
        )

    def iter_errors(self, flow_id, step_id, resolved=False, filters=None):
        kind = "resolved" if resolved else "errors"
        path = "/v1/flows/%s/%s/%s" % (path_segment(flow_id), path_segment(step_id), kind)
        for error in ERROR_PAGERS[kind].items(self.fetch, path, None if resolved else error_query(filters)):
            error["_flowId"] = flow_id
            error["_stepId"] = step_id
            yield error

    def retry(self, flow_id, step_id, keys, strategy, options=None):
        path = "/v1/flows/%s/%s/%s" % (path_segment(flow_id), path_segment(step_id), RETRY_PATHS[strategy])
        response = self.client.request("POST", path, body={"retryDataKeys": list(keys)})
        return self._job(response.object()) if response.body is not None else None

    def resolve(self, flow_id, step_id, error_ids):
        # The body field is `errors` (carrying error ids), not `errorIds`: a legacy shape.
        path = "/v1/flows/%s/%s/resolved" % (path_segment(flow_id), path_segment(step_id))
        self.client.request("PUT", path, body={"errors": list(error_ids)}, allow_empty=True)

    def get_job(self, job_id):
        return self._job(self.client.request("GET", "/v1/jobs/%s" % path_segment(job_id)).object())

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
        raw = self.client.request("GET", "/v1/connections/%s" % path_segment(connection_id)).object()
        return {"_id": raw.get("_id"), "name": raw.get("name"), "type": raw.get("type")}

    def flow_connections(self, flow_id):
        """``[{"step_id", "name", "type", "_connectionId"}]`` for every export and import the flow uses."""
        body = self.client.request("GET", "/v1/flows/%s/descendants" % path_segment(flow_id)).object()
        used = []
        for kind, label in (("exports", "export"), ("imports", "import")):
            for resource in body.get(kind) or []:
                if resource.get("_connectionId"):
                    used.append({"step_id": resource.get("_id"), "name": resource.get("name"), "type": label,
                                 "_connectionId": resource["_connectionId"]})
        return used

    def replace_connection(self, flow_id, old_id, new_id):
        self.client.request("PUT", "/v1/flows/%s/replaceConnection" % path_segment(flow_id),
                            body={"_connectionId": old_id, "_newConnectionId": new_id}, allow_empty=True)

    def run_flow(self, flow_id):
        return self.client.request("POST", "/v1/flows/%s/run" % path_segment(flow_id), allow_empty=True).body
