"""The state behind the Celigo emulator: flows and their steps, connections, open and resolved errors, jobs.

Errors live per flow and step in ``ErrorLog``s ordered by a sequence number, which is also the paging
cursor; nothing scans every error of the account. Methods raise ``ApiError`` with the platform's codes.
"""

import copy
import time
import zlib

from ..core.state import EmulatorState
from ..core.app import ApiError, now_iso, parse_iso
from .records import ErrorRecord, Job, StepErrors

DEFAULT_TOKEN = "emulator-token"
DEFAULT_USER_ID = "5f0000000000000000000001"
MAX_RETRY_KEYS = 1000
_FLOW_INTERNAL = ("connection_overrides", "_abstractFlowId", "pageGenerators", "pageProcessors", "routers")


def _json_type(value):
    """The JSON type name of a decoded value (``number`` for int and float, not bool)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", dict: "object", list: "array", type(None): "null"}.get(type(value), "unknown")


class CeligoState(EmulatorState):  # pylint: disable=too-many-instance-attributes
    """The Celigo emulator's state (see ``EmulatorState``)."""

    SWITCHES = {"job_seconds": 0.3}
    OTHER_USER_ID = "5f00000000000000000000aa"  # the colleague (another actor) who resolves, retries or cancels
    SYSTEM_USER_ID = "5f00000000000000000000ff"  # the platform itself (its scheduled retries at retryAt)
    # Loading and exporting.

    def load(self, scenario):
        with self.lock:
            self.token = scenario.get("token", DEFAULT_TOKEN)
            self.user_id = scenario.get("user_id", DEFAULT_USER_ID)
            self.connections = {item["_id"]: dict(item) for item in scenario.get("connections", [])}
            self.integrations = {item["_id"]: dict(item) for item in scenario.get("integrations", [])}
            self.exports = {item["_id"]: dict(item) for item in scenario.get("exports", [])}
            self.imports = {item["_id"]: dict(item) for item in scenario.get("imports", [])}
            self.flows, self.instances = {}, {}
            for raw in scenario.get("flows", []):
                flow = copy.deepcopy(raw)
                flow["connection_overrides"] = dict(flow.get("connection_overrides") or {})
                self.flows[flow["_id"]] = flow
                if flow.get("_abstractFlowId"):
                    self.instances.setdefault(flow["_abstractFlowId"], []).append(flow["_id"])
            self.steps = {flow_id: self._compute_steps(flow_id) for flow_id in self.flows}
            self.errors, self.jobs, self.pending = {}, {}, []
            self.retry_counts, self.runs, self.retry_payloads = {}, {}, {}
            self.retry_envelopes, self.retry_data_puts = {}, {}  # envelopes replaced by PUT .../data, PUTs per key
            # Other actors (switches, see docs/platforms/celigo.md): the platform's own retries at retryAt, a colleague
            self.auto_retry_counts, self.other_actor_keys, self.other_actor_steps = {}, {}, set()
            self.scheduled, self.canceled_jobs, self._retry_jobs_seen = [], [], 0
            self._seq = 0
            self._load_errors(scenario.get("errors", []))

    def _compute_steps(self, flow_id):
        """``{step_id: (kind, is_page_generator)}`` in pipeline order; instances use their abstract flow's steps."""
        flow = self.flows[flow_id]
        abstract_id = flow.get("_abstractFlowId")
        if abstract_id and abstract_id not in self.flows:
            raise ValueError("flow %s: unknown _abstractFlowId %s" % (flow_id, abstract_id))
        base = self.flows[abstract_id] if abstract_id else flow
        steps = {}
        for generator in base.get("pageGenerators") or []:
            steps.setdefault(generator["_exportId"], ("export", True))
        processors = list(base.get("pageProcessors") or [])
        for router in base.get("routers") or []:
            for branch in router.get("branches") or []:
                processors.extend(branch.get("pageProcessors") or [])
        for processor in processors:
            if processor.get("_importId"):
                steps.setdefault(processor["_importId"], ("import", False))
            else:
                steps.setdefault(processor["_exportId"], ("export", False))
        for step_id, (kind, dummy) in steps.items():
            if step_id not in (self.exports if kind == "export" else self.imports):
                raise ValueError("flow %s: step %s is not a known %s" % (flow_id, step_id, kind))
        return steps

    def _load_errors(self, errors):
        buckets, seen = {}, set()
        for raw in errors:
            record = ErrorRecord.from_scenario(raw)
            if record.step_id not in self.steps.get(record.flow_id, ()):
                raise ValueError("error %s: flow %s has no step %s" % (record.errorId, record.flow_id, record.step_id))
            if record.errorId in seen:
                raise ValueError("duplicate errorId %s" % record.errorId)
            seen.add(record.errorId)
            if raw.get("retry_data") is not None and record.retryDataKey:
                self.retry_payloads[(record.flow_id, record.step_id, record.retryDataKey)] = raw["retry_data"]
            buckets.setdefault((record.flow_id, record.step_id), []).append(record)
            if record.extra and record.extra.get("retryAt") and not record.resolvedAt and record.retryDataKey:
                self.scheduled.append(record)
        for (flow_id, step_id), records in buckets.items():
            records.sort(key=lambda item: (item.occurredAt, item.errorId))
            step = self._step_errors(flow_id, step_id)
            for record in records:
                (step.add_resolved if record.resolvedAt else step.add_open)(self._next_seq(), record)

    def add_errors(self, errors):
        """Errors that occur while the emulator serves (an outage under way, see ``live.new_errors``): scenario errors
        added after those already there, leaving jobs, retry counts and everything else as they are."""
        with self.lock:
            known = set(record.errorId for step in self.errors.values()
                        for records in (step.open.live, step.resolved.live) for record in records.values())
            clash = [raw["errorId"] for raw in errors if raw["errorId"] in known]
            if clash:
                raise ValueError("duplicate errorId %s" % clash[0])
            self._load_errors(errors)

    def to_scenario(self):
        """The current state as a scenario (open and resolved errors, connection overrides)."""
        with self.lock:
            errors = []
            for step in self.errors.values():
                errors.extend(record.to_scenario() for record in step.open.live.values())
                errors.extend(record.to_scenario() for record in step.resolved.live.values())
            return {"token": self.token, "user_id": self.user_id,
                    "connections": copy.deepcopy(list(self.connections.values())),
                    "integrations": copy.deepcopy(list(self.integrations.values())),
                    "exports": copy.deepcopy(list(self.exports.values())),
                    "imports": copy.deepcopy(list(self.imports.values())),
                    "flows": copy.deepcopy(list(self.flows.values())), "errors": errors}

    # Internal helpers.

    def _next_seq(self):
        self._seq += 1
        return self._seq

    def _step_errors(self, flow_id, step_id):
        step = self.errors.get((flow_id, step_id))
        if step is None:
            step = self.errors[(flow_id, step_id)] = StepErrors()
        return step

    def flow(self, flow_id):
        flow = self.flows.get(flow_id)
        if flow is None:
            raise ApiError(404, "not_found", "Flow not found: %s" % flow_id)
        return flow

    def require_step(self, flow_id, step_id):
        """The step's errors; 404 when the flow or the step (export or import of the flow) is unknown."""
        with self.lock:
            self.flow(flow_id)
            if step_id not in self.steps[flow_id]:
                raise ApiError(404, "not_found", "Step %s is not an export or import of flow %s" % (step_id, flow_id))
            return self._step_errors(flow_id, step_id)

    def _resources(self, flow_id):
        """``(kind, resource)`` for each step of the flow, as stored (base connection)."""
        for step_id, (kind, dummy) in self.steps[flow_id].items():
            yield kind, (self.exports if kind == "export" else self.imports)[step_id]

    # Flows.

    def flow_ids(self, abstract_flow_id=None, integration_id=None):
        with self.lock:
            ids = self.instances.get(abstract_flow_id, []) if abstract_flow_id else list(self.flows)
            if integration_id:
                ids = [flow_id for flow_id in ids if self.flows[flow_id].get("_integrationId") == integration_id]
            return list(ids)

    def flow_view(self, flow_id, merge=False):
        """The flow as GET /v1/flows/{id} returns it: instances are sparse unless merged."""
        with self.lock:
            flow = self.flow(flow_id)
            out = {key: copy.deepcopy(value) for key, value in flow.items() if key not in _FLOW_INTERNAL}
            out.setdefault("disabled", False)
            source = flow
            abstract_id = flow.get("_abstractFlowId")
            if abstract_id:
                out["_abstractFlowId"] = abstract_id
                if flow["connection_overrides"]:
                    out["overrides"] = {"connections": [{"_abstractId": old, "_id": new}
                                                        for old, new in flow["connection_overrides"].items()]}
                source = self.flows[abstract_id] if merge else None
            if source is not None:
                out["pageGenerators"] = copy.deepcopy(source.get("pageGenerators") or [])
                out["pageProcessors"] = copy.deepcopy(source.get("pageProcessors") or [])
                if source.get("routers"):
                    out["routers"] = copy.deepcopy(source["routers"])
            if flow_id in self.instances:
                out["isAbstract"] = True
                out["numInstances"] = len(self.instances[flow_id])
            return out

    def descendants(self, flow_id):
        with self.lock:
            overrides = self.flow(flow_id)["connection_overrides"]
            out = {"exports": [], "imports": [], "tools": []}
            for kind, resource in self._resources(flow_id):
                resource = copy.deepcopy(resource)
                base = resource.get("_connectionId")
                if base:
                    resource["_connectionId"] = overrides.get(base, base)
                out[kind + "s"].append(resource)
            return out

    def connection(self, connection_id):
        with self.lock:
            connection = self.connections.get(connection_id)
            if connection is None:
                raise ApiError(404, "not_found", "Connection not found: %s" % connection_id)
            return dict(connection)

    def replace_connection(self, flow_id, old_id, new_id):
        """Point every step of this flow (only) that uses ``old_id`` at ``new_id``; returns how many changed."""
        with self.lock:
            flow = self.flow(flow_id)
            old, new = self.connection(old_id), self.connection(new_id)
            if old.get("type") != new.get("type"):
                raise ApiError(422, "invalid_connection_type", "The replacement connection must be of the same type "
                               "as the original (%s, not %s)." % (old.get("type"), new.get("type")))
            overrides, changed = flow["connection_overrides"], 0
            for dummy, resource in self._resources(flow_id):
                base = resource.get("_connectionId")
                if base and overrides.get(base, base) == old_id:
                    changed += 1
                    if new_id == base:
                        overrides.pop(base, None)
                    else:
                        overrides[base] = new_id
            return changed

    def run_flow(self, flow_id):
        with self.lock:
            if self.flow(flow_id).get("disabled"):
                raise ApiError(422, "inactive_flow", "Flow is disabled. Enable the flow before running it.")
            self.runs[flow_id] = self.runs.get(flow_id, 0) + 1
            job = Job("flow", flow_id)
            self.jobs[job.id] = job
            self.pending.append(job)
            return job.id

    # Errors.

    def error_summary(self, flow_id):
        with self.lock:
            self.flow(flow_id)
            entries = []
            for step_id in self.steps[flow_id]:
                step = self.errors.get((flow_id, step_id))
                entry = {"_expOrImpId": step_id, "numError": len(step.open) if step else 0}
                if entry["numError"]:
                    entry["lastErrorAt"] = max(record.occurredAt for record in step.open.live.values())
                entries.append(entry)
            return entries

    def error_page(self, flow_id, step_id, resolved, after, size, keep=None):
        """``(errors as the API returns them, cursor of the last one, more pages remain)``; ``keep`` filters."""
        with self.lock:
            step = self.require_step(flow_id, step_id)
            records, last, more = (step.resolved if resolved else step.open).page(after, size, keep)
            return [record.to_api() for record in records], last, more

    def resolve(self, flow_id, step_id, error_ids, by=None):
        """Move open errors to resolved; unknown or already resolved ids are ignored. Returns how many moved."""
        with self.lock:
            step = self.require_step(flow_id, step_id)
            when, moved = now_iso(), 0
            for error_id in dict.fromkeys(error_ids):
                if step.resolve(error_id, self._next_seq(), when, by or self.user_id) is not None:
                    moved += 1
            return moved

    def retry(self, flow_id, step_id, keys, by=None, counts=None):
        """Queue a retry job for the open errors carrying ``keys``; None when no key matched (the 204 case).

        ``retry_original`` switch: ``resolved`` (the walkthrough: the retried errors leave the open list at once and
        are filed as resolved; a failure comes back under a new errorId) or ``stays_open`` (the reference: the
        original stays open while the job runs and after a failure, beside the new error)."""
        with self.lock:
            step = self.require_step(flow_id, step_id)
            # The reference documents 422 inactive_flow for retry_with_exponential_decay; plain retry gets it too.
            if self.flows[flow_id].get("disabled"):
                raise ApiError(422, "inactive_flow", "Flow is disabled. Enable the flow before retrying.")
            counts = self.retry_counts if counts is None else counts
            matched = []
            for key in dict.fromkeys(keys):
                ids = step.open_keys.get(key)
                if ids:
                    matched.extend(ids)
                    counts[key] = counts.get(key, 0) + 1
            if not matched:
                return None
            stays_open = self.switches.get("retry_original") == "stays_open"
            records = [step.open.live[error_id] for error_id in matched] if stays_open else \
                [step.take(error_id) for error_id in matched]
            job = Job("retry", flow_id, step_id, records, self.steps[flow_id][step_id][0], by or self.user_id)
            self.jobs[job.id] = job
            self.pending.append(job)
            return job.view()

    def listed(self, flow_id, step_id):
        """The ``other_actor`` switch: right after the first full listing of a step's open errors (its last page
        served), a colleague acts on the step's open keys: every ``resolve_every``-th key resolved, every
        ``retry_every``-th retried by them (their retry job runs like ours), every ``retry_done_every``-th retried by
        them with a job that runs to its end at once, so it is finished before our pre-send check."""
        actor = self.switches.get("other_actor") or {}
        with self.lock:
            if actor and (flow_id, step_id) not in self.other_actor_steps:
                self._other_actor(flow_id, step_id, self._step_errors(flow_id, step_id), actor)

    def _other_actor(self, flow_id, step_id, step, actor):
        self.other_actor_steps.add((flow_id, step_id))
        resolve_every, retry_every = int(actor.get("resolve_every") or 0), int(actor.get("retry_every") or 0)
        done_every = int(actor.get("retry_done_every") or 0)
        when = now_iso()
        for number, key in enumerate(list(step.open_keys), 1):
            if resolve_every and number % resolve_every == 0:
                for error_id in list(step.open_keys.get(key, ())):
                    step.resolve(error_id, self._next_seq(), when, self.OTHER_USER_ID)
                self.other_actor_keys[key] = "resolved"
            elif retry_every and number % retry_every == 0:
                self.retry(flow_id, step_id, [key], by=self.OTHER_USER_ID, counts=self.auto_retry_counts)
                self.other_actor_keys[key] = "retried"
            elif done_every and number % done_every == 0 and not self.flows[flow_id].get("disabled"):
                job = self.jobs[self.retry(flow_id, step_id, [key], by=self.OTHER_USER_ID, counts=self.auto_retry_counts)["_id"]]
                job.stage, job.started_at = 1, now_iso()
                job.stage = 2
                self._finish(job)  # createdAt, startedAt and endedAt after our listing began
                self.other_actor_keys[key] = "retried, finished"

    def retry_jobs(self, flow_id=None, step_id=None, statuses=(), job_type=None, integration_id=None):
        """Jobs as GET /v1/jobs lists them (newest first), filtered like Celigo's web client asks: by flow (and step),
        or by integration (``_integrationId``, one of the filters the jobs reference accepts alone)."""
        with self.lock:
            if flow_id:
                self.flow(flow_id)
            jobs = [job for job in self.jobs.values()
                    if (not flow_id or job.flow_id == flow_id)
                    and (not integration_id or self.flows.get(job.flow_id, {}).get("_integrationId") == integration_id)
                    and (not job_type or job.type == job_type)
                    and (step_id is None or job.step_id == step_id) and (not statuses or job.status in statuses)]
            return [dict(job.view(), _integrationId=self.flows.get(job.flow_id, {}).get("_integrationId"))
                    for job in sorted(jobs, key=lambda job: job.created, reverse=True)]

    def retry_data(self, flow_id, step_id, key):
        with self.lock:
            step = self.require_step(flow_id, step_id)
            if key not in step.keys:
                raise ApiError(404, "no_retrydata_found", "No retry data found for the given retryDataKey.")
            return copy.deepcopy(self._envelope(flow_id, step_id, key))

    def put_retry_data(self, flow_id, step_id, key, envelope):
        """Replace a key's stored envelope (the reference's full replace); the identifying fields must stay."""
        with self.lock:
            current = self.retry_data(flow_id, step_id, key)
            changed = [name for name in ("retryDataKey", "stage", "pgExportId") if envelope.get(name) != current.get(name)]
            if changed:
                raise ApiError(400, "invalid_request", "%s must match the stored retry data" % ", ".join(changed))
            self.retry_envelopes[(flow_id, step_id, key)] = copy.deepcopy(envelope)
            self.retry_data_puts[key] = self.retry_data_puts.get(key, 0) + 1

    def _data_fixed(self, record):
        """True when the record's retry data has every field ``fail_unless`` names, with the type it names."""
        if not record.fail_unless:
            return True
        data = self._envelope(record.flow_id, record.step_id, record.retryDataKey).get("data")
        data = data if isinstance(data, dict) else {}
        return all(_json_type(data.get(field)) == kind for field, kind in record.fail_unless.items())

    def _envelope(self, flow_id, step_id, key):
        stored = self.retry_envelopes.get((flow_id, step_id, key))
        if stored is not None:
            return stored
        steps = self.steps[flow_id]
        kind, generator = steps[step_id]
        number = zlib.crc32(key.encode("utf-8"))
        data = self.retry_payloads.get((flow_id, step_id, key)) or {
            "id": "REC-%06d" % (number % 1000000), "externalId": key[:12], "amount": (number % 100000) / 100.0,
            "status": "pending"}
        first_generator = next((sid for sid, (dummy, is_generator) in steps.items() if is_generator), step_id)
        return {"retryDataKey": key, "data": copy.deepcopy(data), "pgExportId": first_generator,
                "stage": "page_generator" if generator else "page_processor_%s" % kind,
                "oneToMany": False, "pathToMany": None, "childIndex": None,
                "traceKey": data.get("id") if isinstance(data, dict) else None}

    # Jobs: queued -> running -> completed, one stage per poll or by time, whichever is first.

    def advance_jobs(self):
        with self.lock:
            if self.scheduled:
                self._auto_retries()
            if self.pending:
                for job in list(self.pending):
                    self._advance(job)

    def _auto_retries(self):
        """The platform's own retry of an error at its ``retryAt`` (ref FlowStepError.retryAt: "When the platform is
        scheduled to auto-retry this error"), with the ``auto_retry`` switch on: a retry job of the platform's."""
        if not self.switches.get("auto_retry", True):
            return
        now = time.time()
        due = [record for record in self.scheduled if parse_iso(record.extra["retryAt"]).timestamp() <= now]
        for record in due:
            self.scheduled.remove(record)
            step = self._step_errors(record.flow_id, record.step_id)
            if step.open.live.get(record.errorId) is record:
                self.retry(record.flow_id, record.step_id, [record.retryDataKey], by=self.SYSTEM_USER_ID, counts=self.auto_retry_counts)

    def poll_job(self, job_id):
        with self.lock:
            self.advance_jobs()
            job = self.jobs.get(job_id)
            if job is None:
                raise ApiError(404, "not_found", "Job not found: %s" % job_id)
            job.polls += 1
            self._advance(job)
            return job.view()

    def _advance(self, job):
        seconds = float(self.switches.get("job_seconds", 0.3))
        elapsed = time.monotonic() - job.created
        by_time = 2 if elapsed >= seconds else (1 if elapsed >= seconds / 2 else 0)
        by_polls = 0 if self.switches.get("jobs_by_time_only") else job.polls  # a slow asynchronous job: time only
        while job in self.pending and job.stage < min(2, max(by_time, by_polls)):
            job.stage += 1
            if job.stage == 1:
                job.started_at = now_iso()
                self._maybe_cancel(job)
            else:
                self._finish(job)

    def _maybe_cancel(self, job):
        """``other_actor.cancel_every``: a colleague cancels every n-th of our retry jobs once it runs ("you can cancel a
        retry any time before the retry is completed", docs.celigo.com "Retry or resolve errors"): its errors stay
        (or come back) open under their own ids, the job ends ``canceled``."""
        every = int((self.switches.get("other_actor") or {}).get("cancel_every") or 0)
        if job.type != "retry" or job.user_id != self.user_id or not every:
            return
        self._retry_jobs_seen += 1
        if self._retry_jobs_seen % every:
            return
        job.status_override, job.ended_at = "canceled", now_iso()
        self.pending.remove(job)
        self.canceled_jobs.append(job.id)
        step = self._step_errors(job.flow_id, job.step_id)
        for record in job.records:
            if step.open.live.get(record.errorId) is not record:
                step.add_open(self._next_seq(), record)

    def _finish(self, job):
        when = now_iso()
        job.ended_at = when
        self.pending.remove(job)
        if job.type != "retry":
            return
        step = self._step_errors(job.flow_id, job.step_id)
        stays_open = self.switches.get("retry_original") == "stays_open"
        by_key = {}
        for record in job.records:
            by_key.setdefault(record.retryDataKey, []).append(record)
        for records in by_key.values():  # one record per key: one outcome, at most one new error
            newest = records[-1]
            if min(record.fail_again for record in records) > 0 or not self._data_fixed(newest):
                if not stays_open:
                    for record in records:
                        step.settle(record, self._next_seq(), when, self.user_id)
                step.add_open(self._next_seq(), newest.failed_again(when))
                job.num_error += 1
            else:
                for record in records:
                    if stays_open:
                        step.resolve(record.errorId, self._next_seq(), when, job.user_id)
                    else:
                        step.settle(record, self._next_seq(), when, job.user_id)
                job.num_success += 1

    # Admin.

    def summary(self):
        with self.lock:
            self.advance_jobs()
            open_counts, resolved_counts = {}, {}
            for flow_id, steps in self.steps.items():
                for step_id in steps:
                    step = self.errors.get((flow_id, step_id))
                    open_counts.setdefault(flow_id, {})[step_id] = len(step.open) if step else 0
                    resolved_counts.setdefault(flow_id, {})[step_id] = len(step.resolved) if step else 0
            return {"open": open_counts, "resolved": resolved_counts, "retry_counts": dict(self.retry_counts),
                    "jobs": len(self.jobs), "pending_jobs": len(self.pending), "runs": dict(self.runs),
                    "connection_overrides": {flow_id: dict(flow["connection_overrides"])
                                             for flow_id, flow in self.flows.items() if flow["connection_overrides"]}}

    def open_errors(self, flow_id, step_id):
        """Open errors of one step (API shape), for tests; due jobs are applied first."""
        with self.lock:
            self.advance_jobs()
            step = self.errors.get((flow_id, step_id))
            return [record.to_api() for record in step.open.live.values()] if step else []

    def resolved_errors(self, flow_id, step_id):
        with self.lock:
            self.advance_jobs()
            step = self.errors.get((flow_id, step_id))
            return [record.to_api() for record in step.resolved.live.values()] if step else []
