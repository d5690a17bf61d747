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

Before every write that acts on runs (bulk retry, archive) the runs are read again by id, and a run is acted on only
while it is the failure listed (same failed status and ``finishTime``); the others are ``changed_since_listing``. The
server retries a bulk request 10 runs at a time and answers when all are done (flow-run-service.ts ``bulkRetry``,
``pLimit(10)``), so bulk requests are sized from the time a wave takes to answer well within the client timeout, and a
request that outlasts it is settled (its runs polled until they leave their failure) instead of re-sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading
import time
from datetime import timedelta, timezone

from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.classification import classify_message
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
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
WAVE = 10  # runs the server retries at a time in one bulk request (flow-run-service.ts bulkRetry: pLimit(10))
WAVE_SHARE = 0.5  # the share of the client timeout a bulk retry request is sized to take
SETTLE_BACKOFF = (0.5, 1.0, 2.0, 4.0)  # seconds between the polls that settle a bulk retry whose answer was lost
# Added to FlowRunStatus later than the others; an older server refuses it in a status filter (not established which
# release added it): listings then go without it, with one warning.
NEWER_STATUSES = ("MEMORY_LIMIT_EXCEEDED",)
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


def _error_id(run):
    """A failed run's errorId: ``<run id>@<finishTime>`` (the creation time while it has none)."""
    return "%s@%s" % (run["id"], run.get("finishTime") or run.get("created"))


def _changed(run_id, run, error_id):
    """Why ``run`` (read now) is no longer the open failure listed as ``error_id`` (None: compare the status only),
    as the status seen; None while it still is."""
    if run is None:
        return "status gone (no such run)"
    if run.get("archivedAt"):
        return "status %s, archived" % run.get("status")
    if run.get("status") not in FAILED_STATUSES:
        return "status %s" % run.get("status")
    if error_id is not None and _error_id(run) != error_id:
        return "status %s, finishTime %s (failed again since listing)" % (run.get("status"), run.get("finishTime"))
    return None


def _names(keys):
    keys = list(keys)
    return ", ".join(keys[:SHOWN]) + (" and %d more" % (len(keys) - SHOWN) if len(keys) > SHOWN else "")


class ActivepiecesAdapter(PlatformAdapter):  # pylint: disable=too-many-instance-attributes
    name = "activepieces"
    required_scope = "project_id"
    refused_selections = {"abstract_flow_id": "select flows with flow_ids or integration_id (the project id, or a folder id)"}
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
        self._statuses = FAILED_STATUSES  # the failed statuses this server takes in a filter
        self._chunk = WAVE  # runs in the next bulk retry request, from the time the last wave took
        self._identity = {}  # run id -> its errorId when last read before a write

    @classmethod
    def validate(cls, params):
        super(ActivepiecesAdapter, cls).validate(params)
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
        params = {"flowId": flow_id}
        if resolved:
            params["includeArchived"] = "true"
        if filters.get("occurred_after"):
            params["createdAfter"] = _iso(filters["occurred_after"])
        if filters.get("occurred_before"):
            params["createdBefore"] = _iso(filters["occurred_before"], up=True)
        sources = filters.get("sources") or []
        if len(sources) == 1 and sources[0] != NO_STEP:
            params["failedStepName"] = sources[0]
        for run in self._failed_listing(params):
            if run.get("status") not in FAILED_STATUSES or bool(run.get("archivedAt")) != resolved:
                continue
            if not resolved:
                with self._lock:
                    self._open[run["id"]] = run.get("finishTime")
            yield run

    def _failed_listing(self, params):
        """Runs in a failed status. A server that refuses a status value of the filter (HTTP 400 naming it: an older
        server without MEMORY_LIMIT_EXCEEDED) is asked again without the newer statuses, with one warning; requests
        that start no page go on without them too (bulk bodies carry the same status filter)."""
        refused = False
        try:
            for run in self._pages(RUNS, dict(params, status=list(self._statuses))):
                refused = True  # a page was read: a later failure is not the status filter's
                yield run
            return
        except FlowOpsError as exc:
            if refused or not self._refuses_newer_status(exc):
                raise
        with self._lock:
            self._statuses = tuple(status for status in FAILED_STATUSES if status not in NEWER_STATUSES)
        self.warn("activepieces: the server refused status %s in a flow-run filter (an older server); listing without it, "
                  "so runs in that status are not listed" % ", ".join(NEWER_STATUSES))
        yield from self._pages(RUNS, dict(params, status=list(self._statuses)))

    def _refuses_newer_status(self, exc):
        return exc.status == 400 and self._statuses == FAILED_STATUSES and \
            any(status in str(exc) for status in NEWER_STATUSES + ("status",))

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
        return error_record(run, flow_id, PSEUDO_STEP, _error_id(run), run["id"], run.get("created"), step or NO_STEP, status,
                            message, classify(status, message), run.get("tags"))

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
            before, verdicts = self._still_listed(fresh, listed)
            runs = [key for key in fresh if key in before]
            with self._lock:
                self._answered.update(verdicts)
            if runs and STRATEGIES[strategy] == "FROM_FAILED_STEP":
                self._retry_in_place(runs, before)
            elif runs:
                self._retry_on_latest(runs, before)
        return self._conclude(keys)

    def _still_listed(self, keys, listed):
        """Read the runs again just before a write: ``({run id: finishTime} of the ones still the open failure listed,
        {run id: verdict} of the others)``. With ``listed`` (``{key: errorId}``) a run must also still have the listed
        ``finishTime``: one that failed again, was retried, cancelled or archived by someone else is
        ``changed_since_listing``, with the status seen."""
        current = self._read_runs(list(keys))
        before, verdicts = {}, {}
        for key in keys:
            run, error_id = current.get(key), (listed or {}).get(key)
            reason = _changed(key, run, error_id)
            if reason is None:
                before[key] = run.get("finishTime")
                with self._lock:
                    self._identity[key] = _error_id(run)
            elif error_id is not None:
                verdicts[key] = ("changed", reason)
            else:
                verdicts[key] = ("unmatched", "not open any more (%s)" % reason)
        return before, verdicts

    def _bulk_retry(self, run_ids, strategy):
        # An empty flowRunIds would select every run; the status filter keeps a run someone re-queued meanwhile out.
        body = {"projectId": self.project_id, "strategy": strategy, "flowRunIds": list(run_ids), "status": list(self._statuses)}
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
        """FROM_FAILED_STEP in bulk requests sized to answer within the client timeout (``_chunk``)."""
        verdicts, accepted = {}, []
        remaining = list(run_ids)
        while remaining:
            chunk, remaining = remaining[:self._chunk], remaining[self._chunk:]
            started = time.monotonic()
            try:
                answer = self._bulk_retry(chunk, "FROM_FAILED_STEP")
            except FlowOpsError as exc:
                if not exc.may_have_applied and not accepted and not verdicts:
                    raise  # nothing of this call reached the server: the engine may send it again
                self._chunk = WAVE
                settled = self._settle(chunk, before, exc) if exc.may_have_applied else \
                    dict((run_id, ("refused", str(exc))) for run_id in chunk)
                verdicts.update(settled)
                accepted.extend(run_id for run_id in chunk if settled[run_id][0] == "accepted")
                continue
            self._size_chunks(len(chunk), time.monotonic() - started)
            chunk_verdicts = self._answered_runs(chunk, answer)
            verdicts.update(chunk_verdicts)
            accepted.extend(run_id for run_id in chunk if run_id not in chunk_verdicts)
        job_id = _job_id(accepted)
        verdicts.update((run_id, ("accepted", job_id)) for run_id in accepted)
        self._record(verdicts, job_id, dict((run_id, (run_id, before[run_id] or "")) for run_id in accepted))

    def _size_chunks(self, runs, seconds):
        """The next request's size: as many waves of ``WAVE`` runs as take ``WAVE_SHARE`` of the client timeout at
        the pace the last request's waves took, at least one wave, at most ``max_retry_batch``."""
        waves = max(1, -(-runs // WAVE))
        per_wave = max(seconds / waves, 0.001)
        timeout = float(getattr(self.client, "timeout", None) or 30)
        self._chunk = max(WAVE, min(self.max_retry_batch, WAVE * int(timeout * WAVE_SHARE / per_wave)))

    def _settle(self, run_ids, before, exc):
        """A bulk retry whose answer was lost (timeout, reset, 5xx) may still be running on the server, which selected
        its runs up front and goes on retrying them. Nothing is re-sent: the runs are polled with back-off until each
        left the failure it had (accepted) or the time is up (in doubt: never re-sent by this task)."""
        sleep = getattr(self.client, "sleep", time.sleep)
        timeout = float(getattr(self.client, "timeout", None) or 30)
        waits = list(SETTLE_BACKOFF) + [SETTLE_BACKOFF[-1]] * int(2 * timeout // SETTLE_BACKOFF[-1])
        pending = list(run_ids)
        for seconds in waits:
            sleep(seconds)
            current = self._read_runs(pending)
            with self._lock:
                identities = dict((run_id, self._identity.get(run_id)) for run_id in pending)
            pending = [run_id for run_id in pending if _changed(run_id, current.get(run_id), identities[run_id]) is None]
            if not pending:
                break
        return dict((run_id, ("in_doubt", "bulk retry answer lost (%s); the run is still in its failure after settling "
                                          "%.0f s: not re-sent, the first request may still reach it" % (exc, sum(waits))))
                    if run_id in pending else (run_id, ("accepted", None)) for run_id in run_ids)

    def _answered_runs(self, run_ids, answer):
        """Verdicts of the runs of one bulk answer the server did not retry (accepted ones are left out)."""
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
        return verdicts

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
        body = {"projectId": self.project_id, "flowRunIds": list(run_ids), "status": list(self._statuses)}
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
        for field, verdict in (("rejected", "refused"), ("in_doubt", "in_doubt"), ("not_matched", "unmatched"),
                               ("changed_since_listing", "changed")):
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
        """waiting, succeeded, failed_again, gone, or the status of a run that ended neither way."""
        if run is None and before is not None:
            return "gone"  # the re-queued run itself is no longer there
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
        """``{run id: (outcome, status)}`` from the runs the job watches, read now: SUCCEEDED is ``succeeded``, a
        failed status with a new finishTime ``failed_again``; any other terminal status (CANCELED by someone else,
        LOG_SIZE_EXCEEDED, a status this adapter does not know) or a run that disappeared is ``not_recovered``;
        still under way ``pending``."""
        with self._lock:
            if job_id not in self._jobs:
                return None
        watch = self._watch(job_id)
        runs = self._read_runs(sorted(set(run_id for run_id, dummy in watch.values())))
        outcomes = {}
        for key, (run_id, before) in watch.items():
            run = runs.get(run_id)
            state = self._state(run, before)
            status = (run or {}).get("status") or ("gone" if state == "gone" else "not listed yet")
            if state in ("succeeded", "failed_again"):
                outcomes[key] = (state, status)
            elif state == "waiting":
                outcomes[key] = ("pending", status)
            else:
                outcomes[key] = ("not_recovered", status)
        return outcomes

    # Resolve and retry data ----------------------------------------------------------------------
    def resolve(self, flow_id, step_id, error_ids):
        """Archive the runs (errorId ``<run id>@<finishTime>``): they leave the default listing, still failed.

        The archive endpoint archives whatever it matches (no "must be failed" check), so the runs are read first and
        only those still the failure listed (same failed status and finishTime) are sent; returns ``{errorId:
        status seen}`` for the others, or None."""
        error_ids = list(dict.fromkeys(error_ids))
        runs = list(dict.fromkeys(error_id.rpartition("@")[0] or error_id for error_id in error_ids))
        current = self._read_runs(runs) if runs else {}
        changed, run_ids = {}, []
        for error_id in error_ids:
            run_id = error_id.rpartition("@")[0] or error_id
            reason = _changed(run_id, current.get(run_id), error_id)
            if reason:
                changed[error_id] = reason
            elif run_id not in run_ids:
                run_ids.append(run_id)
        if run_ids:
            self._archive(run_ids)
        return changed or None

    def retry_data(self, flow_id, step_id, key):
        """The run with its step data (trigger payload and step outputs)."""
        path = "%s/%s" % (RUNS, path_segment(key))
        run = require_fields(self.client.request("GET", path).body, (("id", STRING),) + DETAIL_FIELDS, "the flow run", "GET", path)
        return {"retryDataKey": key, "flowRunId": run.get("id"), "steps": run.get("steps")}
