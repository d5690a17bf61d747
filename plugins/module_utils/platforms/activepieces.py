# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Activepieces: flows of a project and their failed flow runs (see docs/platforms/activepieces.md).

One failed run is one error. Runs have no per-step error lists, so every flow has one pseudo step, ``flow_run``;
the step a run failed at is the error's ``source`` and its message is ``steps[<failedStep.name>].errorMessage`` of
GET /v1/flow-runs/{id}. The run id is the ``retryDataKey``; the ``errorId`` is ``<run id>@<finishTime>``, so a run
that fails again after a same-run retry (FROM_FAILED_STEP re-queues the SAME run) comes back under a new errorId.
ON_LATEST_VERSION starts a NEW run that names nothing of the old one, so the old run is archived once its retry
answered: it never shows as open again and no later play retries it twice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
from datetime import timedelta, timezone

from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.classification import classify_message
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._http.paging import CursorPager
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.base import (
    OPTIONAL_LIST, OPTIONAL_OBJECT, OPTIONAL_STRING, STRING, PlatformAdapter, batched, counted_summary, error_record,
    flow_record, malformed, path_segment, require_answer, require_fields)

PSEUDO_STEP = "flow_run"
NO_STEP = "run"  # the source of a run that failed at no step
# flow-execution.ts: isFailedState, and the statuses isFlowRunStateTerminal calls not terminal.
FAILED_STATUSES = ("FAILED", "INTERNAL_ERROR", "QUOTA_EXCEEDED", "TIMEOUT", "MEMORY_LIMIT_EXCEEDED")
NOT_TERMINAL = ("QUEUED", "RUNNING", "PAUSED")
STATUSES = NOT_TERMINAL + FAILED_STATUSES + ("SUCCEEDED", "LOG_SIZE_EXCEEDED", "CANCELED")
STRATEGIES = {"retry": "FROM_FAILED_STEP", "latest_version": "ON_LATEST_VERSION"}
RUNS = "/v1/flow-runs"
PAGE_LIMIT = 100  # no maximum in the source; 100 keeps pages and the flowRunIds of one poll small
PAGER = CursorPager("data", "next", size_param="limit", size=PAGE_LIMIT)
SHOWN = 5  # run ids named in one message
# What the adapter reads of each body (absent counts as null; see base.require_fields).
FLOW_FIELDS = (("id", STRING), ("version", OPTIONAL_OBJECT), ("projectId", OPTIONAL_STRING))
RUN_FIELDS = (("id", STRING), ("status", OPTIONAL_STRING), ("failedStep", OPTIONAL_OBJECT), ("finishTime", OPTIONAL_STRING),
              ("created", OPTIONAL_STRING), ("tags", OPTIONAL_LIST))
DETAIL_FIELDS = (("steps", OPTIONAL_OBJECT),)
# One entry of a bulk retry answer: the run (re-queued or new), or a refusal under ``error``.
RETRIED_FIELDS = (("id", OPTIONAL_STRING), ("error", OPTIONAL_OBJECT))


def is_terminal(status):
    """Anything but QUEUED, RUNNING and PAUSED: a status this adapter does not know ends a wait, it never hangs it."""
    return status not in NOT_TERMINAL


def classify(status, message):
    """The shared classification of a failed run: its status (as words: MEMORY LIMIT EXCEEDED) and its message."""
    return classify_message("%s: %s" % (str(status or "").replace("_", " "), message or ""))


def step_message(steps, name, depth=0):
    """``steps[name].errorMessage``, also inside loop iterations (``steps[loop].output.iterations[i][name]``)."""
    if not isinstance(steps, dict) or not name or depth > 4:
        return None
    step = steps.get(name)
    if isinstance(step, dict) and step.get("errorMessage") not in (None, ""):
        text = step["errorMessage"]
        if isinstance(text, dict) and isinstance(text.get("message"), str):
            return text["message"]
        return text if isinstance(text, str) else json.dumps(text, sort_keys=True)
    for other in steps.values():
        output = other.get("output") if isinstance(other, dict) else None
        for iteration in (output.get("iterations") if isinstance(output, dict) else None) or []:
            found = step_message(iteration, name, depth + 1)
            if found:
                return found
    return None


def _iso(moment, up=False):
    """ISO 8601 UTC with milliseconds; ``up`` rounds up to the next millisecond (so a createdBefore never narrows)."""
    moment = moment.astimezone(timezone.utc)
    if up and moment.microsecond % 1000:
        moment += timedelta(microseconds=1000 - moment.microsecond % 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def _job_id(run_ids):
    """A job is named after the first run it watches and how many more: ``<run id>+<n>``."""
    return "%s+%d" % (run_ids[0], len(run_ids) - 1) if len(run_ids) > 1 else (run_ids[0] if run_ids else None)


def _names(keys):
    keys = list(keys)
    return ", ".join(keys[:SHOWN]) + (" and %d more" % (len(keys) - SHOWN) if len(keys) > SHOWN else "")


class ActivepiecesAdapter(PlatformAdapter):  # pylint: disable=too-many-instance-attributes
    name = "activepieces"
    pseudo_step = {"_id": PSEUDO_STEP, "name": "Flow runs", "type": "run"}
    # Paths start with /v1 under /api; a self-hosted server is https://<host>/api (api_url).
    regions = {"cloud": "https://cloud.activepieces.com/api"}
    path_prefix = "/v1"
    unsupported_hints = {"flow_connection_replace": "Activepieces connections are set per piece in the flow editor"}
    retry_strategies = ("retry", "latest_version")
    capabilities = frozenset(("get_flow", "list_flows", "flow_steps", "error_summary", "iter_errors", "retry", "resolve",
                              "get_job", "retry_data"))
    # The source sets no limit on bulk retry's flowRunIds (the server retries 10 at a time); 1000 is the shared default.
    max_retry_batch = 1000

    def __init__(self, client, connection=None):
        super().__init__(client, connection)
        self.project_id = self.connection.get("project_id")
        self._lock = threading.Lock()
        self._open = {}  # run id -> finishTime of its open failure, from the latest listing
        self._answered = {}  # run id -> (verdict, detail) once a retry of it was sent: this task never sends it again
        self._jobs = {}  # job id -> {run id (key): (id of the run to watch, finishTime before the retry or None)}

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

    def _pages(self, path, params, fields=RUN_FIELDS, what="a listed flow run"):
        """Items of ``{data, next, previous}`` seek pages, following ``next`` (null on the last page)."""
        return self.pages(PAGER, path, dict(params, projectId=self.project_id), fields, what)

    # Flows ---------------------------------------------------------------------------------------
    @staticmethod
    def _flow(raw):
        name = (raw.get("version") or {}).get("displayName") or raw.get("displayName")
        return flow_record(raw.get("id"), name, raw.get("status") != "ENABLED", None, raw.get("folderId"))

    def get_flow(self, flow_id):
        path = "/v1/flows/%s" % path_segment(flow_id)
        raw = require_fields(self.client.request("GET", path).body, FLOW_FIELDS, "the flow", "GET", path)
        if raw.get("projectId") not in (None, self.project_id):
            raise ValidationError("flow_ids: flow %s is in project %s, not in project_id %s"
                                  % (flow_id, raw.get("projectId"), self.project_id))
        return self._flow(raw)

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        if abstract_flow_id:
            raise self.unsupported("abstract_flow_id")
        params = {}
        if integration_id and integration_id != self.project_id:
            params["folderId"] = integration_id
        for raw in self._pages("/v1/flows", params, FLOW_FIELDS, "a listed flow"):
            yield self._flow(raw)

    def error_summary(self, flow_id):
        return counted_summary(PSEUDO_STEP, self._failed_runs(flow_id), "created")

    # Errors --------------------------------------------------------------------------------------
    def _failed_runs(self, flow_id, resolved=False, filters=None):
        """Failed runs of the flow as listed (no steps): open ones, or with ``resolved`` archived ones."""
        filters = filters or {}
        params = {"flowId": flow_id, "status": list(FAILED_STATUSES)}
        if resolved:
            params["includeArchived"] = "true"
        if filters.get("occurred_after"):
            params["createdAfter"] = _iso(filters["occurred_after"])
        if filters.get("occurred_before"):
            params["createdBefore"] = _iso(filters["occurred_before"], up=True)
        sources = filters.get("sources") or []
        if len(sources) == 1 and sources[0] != NO_STEP:
            params["failedStepName"] = sources[0]
        for run in self._pages(RUNS, params):
            if run.get("status") not in FAILED_STATUSES or bool(run.get("archivedAt")) != resolved:
                continue
            if not resolved:
                with self._lock:
                    self._open[run["id"]] = run.get("finishTime")
            yield run

    def iter_errors(self, flow_id, step_id, resolved=False, filters=None):
        """Failed runs of the flow, each read once more (a page at a time, fanned out) for its failed step's message."""
        if step_id != PSEUDO_STEP:
            return
        for page in batched(self._failed_runs(flow_id, resolved, filters), PAGE_LIMIT):
            yield from self._records(flow_id, page)

    def _records(self, flow_id, runs):
        for run, detail in self.fan_out_all(self._detail, runs):
            if detail is not None:
                yield self._error(flow_id, run, detail)

    def _detail(self, run):
        path = "%s/%s" % (RUNS, path_segment(run["id"]))
        try:
            body = self.client.request("GET", path).body
        except FlowOpsError as exc:
            if exc.status == 404:
                return None  # gone between the listing and this read: nothing left to recover
            raise
        return {} if body is None else require_fields(body, DETAIL_FIELDS, "the flow run", "GET", path)

    @staticmethod
    def _error(flow_id, run, detail):
        status = run.get("status")
        step = (run.get("failedStep") or {}).get("name")
        if not isinstance(step, (str, type(None))):
            raise malformed("a listed flow run: failedStep.name is not a string", "GET", RUNS)
        if run.get("tags") and not all(isinstance(tag, str) for tag in run["tags"]):
            raise malformed("a listed flow run: tags holds a value that is not a string", "GET", RUNS)
        message = step_message(detail.get("steps"), step) or "flow run ended with status %s" % status
        return error_record(run, flow_id, PSEUDO_STEP, "%s@%s" % (run["id"], run.get("finishTime") or run.get("created")),
                            run["id"], run.get("created"), step or NO_STEP, status, message, classify(status, message), run.get("tags"))

    # Retry ---------------------------------------------------------------------------------------
    def retry(self, flow_id, step_id, keys, strategy, options=None, listed=None):
        """Retry the open failed runs ``keys``; every run id is sent at most once per task.

        FROM_FAILED_STEP goes in one bulk request. ON_LATEST_VERSION goes one run per request (fanned out): its
        answer is a new run that names nothing of the old one, and the bulk answer's order is the server's query
        order, so only a one-run answer pairs a new run with its original. Runs the server did not retry make the
        call raise (see ``_conclude``), so the ledger never counts them as submitted.
        """
        keys = list(dict.fromkeys(keys))
        with self._lock:
            fresh = [key for key in keys if key not in self._answered]
        if fresh:
            before = self._open_finish_times(flow_id, fresh)
            runs = [key for key in fresh if key in before]
            with self._lock:
                self._answered.update((key, ("unmatched", "not open any more")) for key in fresh if key not in before)
            if runs and STRATEGIES[strategy] == "FROM_FAILED_STEP":
                self._retry_in_place(runs, before)
            elif runs:
                self._retry_on_latest(runs, before)
        return self._conclude(keys)

    def _open_finish_times(self, flow_id, keys):
        """``{run id: finishTime}`` of the keys open now; lists the flow again for keys not seen in a listing yet."""
        with self._lock:
            missing = [key for key in keys if key not in self._open]
        if missing:
            for dummy in self._failed_runs(flow_id):
                pass
        with self._lock:
            return dict((key, self._open[key]) for key in keys if key in self._open)

    def _bulk_retry(self, run_ids, strategy):
        # An empty flowRunIds would select every run; the status filter keeps a run someone re-queued meanwhile out.
        body = {"projectId": self.project_id, "strategy": strategy, "flowRunIds": list(run_ids), "status": list(FAILED_STATUSES)}
        response = self.client.request("POST", RUNS + "/retry", body=body)
        answer = response.body
        if not isinstance(answer, list):
            raise FlowOpsError("expected a JSON array from bulk retry, got %s" % type(answer).__name__, status=response.status,
                               method="POST", path=RUNS + "/retry", may_have_applied=True)
        for entry in answer:
            if entry is not None:  # null: an older server that did not start the run
                require_answer(response.status, entry, RETRIED_FIELDS, "an entry of the bulk retry answer", "POST",
                               RUNS + "/retry")
        return answer

    @staticmethod
    def _refusal(entry):
        if entry is None:
            return "the server answered null (an older server that did not start the run)"
        error = entry.get("error") if isinstance(entry, dict) else None
        if error:
            return "[%s] %s" % (error.get("errorCode"), error.get("errorMessage"))
        return None

    def _retry_in_place(self, run_ids, before):
        answer = self._bulk_retry(run_ids, "FROM_FAILED_STEP")  # a failure that may have applied is BatchSender's to settle
        by_id = dict((entry.get("id"), entry) for entry in answer if isinstance(entry, dict))
        nulls = any(entry is None for entry in answer)
        verdicts = {}
        for run_id in run_ids:
            entry = by_id.get(run_id)
            refusal = self._refusal(entry) if entry is not None else (self._refusal(None) if nulls else None)
            if refusal:
                verdicts[run_id] = ("refused", refusal)
            elif entry is None:
                verdicts[run_id] = ("unmatched", "the server matched no failed run with this id")
        accepted = [run_id for run_id in run_ids if run_id not in verdicts]
        job_id = _job_id(accepted)
        verdicts.update((run_id, ("accepted", job_id)) for run_id in accepted)
        self._record(verdicts, job_id, dict((run_id, (run_id, before[run_id] or "")) for run_id in accepted))

    def _retry_on_latest(self, run_ids, before):
        def one(run_id):
            try:
                answer = self._bulk_retry([run_id], "ON_LATEST_VERSION")
            except FlowOpsError as exc:
                # The new run names nothing of the original, so a lost answer can never be settled: in doubt.
                return ("in_doubt" if exc.may_have_applied else "refused", str(exc))
            if not answer:
                return ("unmatched", "the server matched no failed run with this id")
            entry = answer[0]
            refusal = self._refusal(entry)
            if refusal:
                return ("refused", refusal)
            if not isinstance(entry, dict) or not entry.get("id"):
                return ("in_doubt", "bulk retry answered %s instead of a run" % json.dumps(entry)[:80])
            return ("accepted", entry["id"])

        results = dict(self.fan_out_all(one, run_ids))
        accepted = [run_id for run_id in run_ids if results[run_id][0] == "accepted"]
        job_id = _job_id([results[run_id][1] for run_id in accepted])
        # A new run is watched from its start; one answered under the same id (not the current server) like a re-queued one.
        watched = dict((run_id, (results[run_id][1], (before[run_id] or "") if results[run_id][1] == run_id else None))
                       for run_id in accepted)
        self._record(dict((run_id, ("accepted", job_id) if run_id in watched else results[run_id]) for run_id in run_ids),
                     job_id, watched)
        if accepted:
            self._archive_originals(accepted)

    def _archive_originals(self, run_ids):
        """Archive the runs a latest_version retry replaced, so they leave the open listing for good."""
        try:
            self._archive(run_ids)
        except FlowOpsError as exc:
            self.warn("activepieces: retried on the latest version but could not archive the original runs %s (%s); they stay "
                      "in the failed listing and a later play would retry them again: archive them with flow_errors_resolve"
                      % (_names(run_ids), exc))

    def _archive(self, run_ids):
        body = {"projectId": self.project_id, "flowRunIds": list(run_ids), "status": list(FAILED_STATUSES)}
        self.client.request("POST", RUNS + "/archive", body=body, allow_empty=True)

    def _record(self, verdicts, job_id, watched):
        with self._lock:
            self._answered.update(verdicts)
            if watched:
                self._jobs[job_id] = watched

    def _conclude(self, keys):
        """The job of the keys retried, None when no key was open any more.

        The keys the server did not retry go under the job's ``rejected`` (it refused them), ``in_doubt`` (the
        answer was lost) and ``not_matched`` (no longer open), each with its reason, so the module accounts for
        every key by itself and never counts a refused one as submitted.
        """
        with self._lock:
            verdicts = dict((key, self._answered[key]) for key in keys)
            jobs = dict(self._jobs)
        accepted = [key for key in keys if verdicts[key][0] == "accepted"]
        if not accepted and all(verdict[0] == "unmatched" for verdict in verdicts.values()):
            return None
        job = self._job_view(self._job_of(accepted, jobs)) if accepted else {"_id": None, "status": "not started", "done": True}
        for field, verdict in (("rejected", "refused"), ("in_doubt", "in_doubt"), ("not_matched", "unmatched")):
            reasons = dict((key, verdicts[key][1]) for key in keys if verdicts[key][0] == verdict)
            if reasons:
                job[field] = reasons
        return job

    def _job_of(self, keys, jobs):
        """The job id of ``keys``: their own job, or a new one joining the jobs they came from."""
        ids = sorted(set(self._answered[key][1] for key in keys))
        if len(ids) == 1 and set(jobs[ids[0]]) == set(keys):
            return ids[0]
        job_id = "joined:" + _job_id(keys)
        with self._lock:
            self._jobs[job_id] = dict((key, self._jobs[job][key]) for job in ids for key in keys if key in self._jobs[job])
        return job_id

    # Jobs and outcomes ----------------------------------------------------------------------------
    def _watch(self, job_id):
        with self._lock:
            return dict(self._jobs.get(job_id) or {job_id: (job_id, None)})

    def _read_runs(self, run_ids):
        runs = {}
        for start in range(0, len(run_ids), PAGE_LIMIT):
            params = {"flowRunIds": run_ids[start:start + PAGE_LIMIT], "includeArchived": "true"}
            runs.update((run["id"], run) for run in self._pages(RUNS, params))
        return runs

    @staticmethod
    def _state(run, before):
        """waiting, succeeded, failed_again, or the status of a run that ended neither way."""
        if run is None or run.get("status") in NOT_TERMINAL:
            return "waiting"  # a new run is written asynchronously: it may not be listed yet
        if before is not None and run.get("status") in FAILED_STATUSES and (run.get("finishTime") or "") == before:
            return "waiting"  # still the old failure: the server has not re-queued the run yet
        if run.get("status") == "SUCCEEDED":
            return "succeeded"
        return "failed_again" if run.get("status") in FAILED_STATUSES else run.get("status")

    def _states(self, job_id):
        watch = self._watch(job_id)
        runs = self._read_runs(sorted(set(run_id for run_id, dummy in watch.values())))
        return dict((key, self._state(runs.get(run_id), before)) for key, (run_id, before) in watch.items())

    def _job_view(self, job_id, states=None):
        states = states if states is not None else dict((key, "waiting") for key in self._watch(job_id))
        done = "waiting" not in states.values()
        values = list(states.values())
        return {"_id": job_id, "status": "completed" if done else "running", "done": done, "runs": len(values),
                "succeeded": values.count("succeeded"), "failed": values.count("failed_again"), "pending": values.count("waiting")}

    def get_job(self, job_id):
        """A job is the runs one retry call re-queued (same ids) or started (new ids), read 100 ids a request."""
        return self._job_view(job_id, self._states(job_id))

    def key_outcomes(self, job_id):
        """``{run id: outcome}`` from the runs the job watches; a run that ended neither way is pending (with a warning)."""
        with self._lock:
            if job_id not in self._jobs:
                return None
        outcomes = {}
        for key, state in self._states(job_id).items():
            if state in ("succeeded", "failed_again"):
                outcomes[key] = state
            else:
                outcomes[key] = "pending"
                if state != "waiting":
                    self.warn("activepieces: the retry of run %s ended with status %s, neither succeeded nor failed; reported pending"
                              % (key, state))
        return outcomes

    # Resolve and retry data ----------------------------------------------------------------------
    def resolve(self, flow_id, step_id, error_ids):
        """Archive the runs (errorId ``<run id>@<finishTime>``): they leave the default listing, still failed."""
        run_ids = list(dict.fromkeys(error_id.rpartition("@")[0] or error_id for error_id in error_ids))
        if run_ids:
            self._archive(run_ids)

    def retry_data(self, flow_id, step_id, key):
        """The run with its step data (trigger payload and step outputs)."""
        path = "%s/%s" % (RUNS, path_segment(key))
        run = require_fields(self.client.request("GET", path).body, (("id", STRING),) + DETAIL_FIELDS, "the flow run", "GET", path)
        return {"retryDataKey": key, "flowRunId": run.get("id"), "steps": run.get("steps")}
