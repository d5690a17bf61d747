# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retrying selected errors in batches, exactly once per key, and reconciling the outcome by key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.options import batches
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ControllerGone
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import (
    CHANGED_SINCE_LISTING, FAILED, FAILED_AGAIN, IN_DOUBT, NOT_RECOVERED, NOTHING_TO_DO, PENDING, RETRIED, SKIPPED_DISABLED,
    SUBMITTING, SUCCEEDED, TO_RETRY,
)


def _is_inactive_flow(exc):
    return exc.status == 422 and exc.code == "inactive_flow"


def _answered(exc):
    """The server answered the retry with success (2xx), but with a body the adapter could not read (``{}``, no job
    id, not JSON): it may have been applied, and a re-read of the open errors cannot tell (a platform may keep a
    retried error open while its job runs), so its keys are in doubt and never sent again."""
    return exc.method not in (None, "GET") and exc.status is not None and 200 <= exc.status < 300


def _unsent_action(exc):
    """``(action, reason)`` a failed retry request leaves its keys at, or None while it may have applied (settle
    first): a disabled flow, an answer that came but cannot be read (in doubt, never re-sent), or a refusal."""
    if _is_inactive_flow(exc):
        return SKIPPED_DISABLED, "flow is disabled (HTTP 422 inactive_flow)"
    if _answered(exc):
        return IN_DOUBT, "the retry may have been applied: %s" % exc
    if not exc.may_have_applied:
        return FAILED, str(exc)
    return None


def _open_error_ids(adapter, flow_id, step_id):
    """``{retryDataKey: frozenset(errorIds)}`` of the step's open errors, read fresh: a key may be open twice (the
    original error stays open beside the one a failed retry left, Celigo's reference reading)."""
    found = {}
    for error in adapter.iter_errors(flow_id, step_id):
        if error.get("retryDataKey"):
            found.setdefault(error["retryDataKey"], set()).add(error["errorId"])
    return dict((key, frozenset(ids)) for key, ids in found.items())


SETTLE_FIRST_DELAY = 0.25  # seconds; doubles up to SETTLE_MAX_DELAY while a retry job of the step is still running
SETTLE_MAX_DELAY = 5.0
SETTLE_TIMEOUT = 300.0  # at most this long per settle round; then the keys still undecided are in doubt
NOT_RECOVERED_JOB_STATUSES = ("failed", "canceled", "cancelled", "terminated")


# What a platform that answers per key lists under these job fields ({key: reason}) was not retried:
# refused, answer lost, no longer open, or re-read just before the write and found changed since the listing
# (another actor restarted, cancelled or resolved it): nothing was sent for those.
PER_KEY_ACTIONS = (("rejected", FAILED), ("in_doubt", IN_DOUBT), ("not_matched", NOTHING_TO_DO),
                   ("changed_since_listing", CHANGED_SINCE_LISTING))


def _split_by_key(keys, job):
    """``[(keys, action, job, reason)]`` for one answered batch: a platform that answers per key puts the keys it
    did not retry under the ``PER_KEY_ACTIONS`` fields; the rest were retried. A job with no ``_id`` created
    nothing (every key is under those fields)."""
    per_key = dict((action, job.pop(field, None) or {}) for field, action in PER_KEY_ACTIONS)
    results = []
    accepted = [key for key in keys if not any(key in reasons for reasons in per_key.values())]
    if accepted:
        results.append((accepted, RETRIED, job if job.get("_id") is not None else None, None))
    for action, reasons in per_key.items():
        by_reason = {}
        for key in keys:
            if key in reasons:
                by_reason.setdefault(reasons[key], []).append(key)
        results.extend((group, action, None, reason) for reason, group in by_reason.items())
    return results


class BatchSender:
    """Sends one batch; after a failure that may have reached the server, re-reads instead of re-sending."""

    def __init__(self, ctx, strategy, options=None, journal=None, settle_rounds=1):
        self.ctx = ctx
        self.settle_rounds = max(1, int(settle_rounds or 1))  # the connection's max_retries: settles before in doubt
        self.adapter = ctx.adapter
        self.ledger = ctx.ledger
        self.strategy = strategy
        self.options = options or {}
        self.journal = journal
        self._lock = threading.Lock()
        self._scopes = {}  # integration (or flow) -> [lock, {(flow, step): [running jobs]} or None before the check]
        self._changed = {}  # (flow, step) -> {key: reason}, for steps another actor's retry job was running on

    def __call__(self, batch):
        """Returns ``[(keys, action, job, reason)]``; never raises ``FlowOpsError`` for one batch's trouble.

        Nothing is sent (and the keys keep no action) once the controller is gone.
        """
        flow_id, step_id, keys = batch
        if self.ctx.controller_gone():
            return []
        try:
            changed = self._others_at_work(flow_id, step_id)
            results = [([key], CHANGED_SINCE_LISTING, None, changed[key]) for key in keys if key in changed]
            keys = [key for key in keys if key not in changed]
            return results + (self._post(flow_id, step_id, keys) if keys else [])
        except FlowOpsError as exc:
            unsent = _unsent_action(exc)
            if unsent:
                return [(keys, unsent[0], None, unsent[1])]
            return self._settle(flow_id, step_id, keys, exc)

    def _others_at_work(self, flow_id, step_id):
        """``{key: reason}`` of the step's keys another actor's retry took since the listing. Before the first batch of
        an integration (or of a flow outside one), one listing of its retry jobs tells which steps another actor is
        retrying, or retried while we listed: jobs not finished, and jobs that finished after our listing began
        (``adapter.retry_jobs_running_in(..., since=ledger.started)``; this run's own jobs, of an earlier canary wave,
        are not counted). Only for such a step, wait for its unfinished jobs like a settle, read its open errors once,
        and leave alone every key whose open errors are no longer exactly those listed, naming what was seen.
        Retrying them too would process their records twice."""
        integration_id = (self.ledger.flows.get(flow_id) or {}).get("_integrationId")
        scope = ("integration", integration_id) if integration_id else ("flow", flow_id)
        with self._lock:
            entry = self._scopes.setdefault(scope, [threading.Lock(), None])
        with entry[0]:
            if entry[1] is None:
                found = self.adapter.retry_jobs_running_in(flow_id=flow_id, integration_id=integration_id,
                                                           since=self.ledger.started) or {}
                ours = self.ledger.job_ids() if found else ()  # this run's own jobs (earlier canary waves) are no actor's
                entry[1] = dict((step, [job for job in jobs if job.get("_id") not in ours]) for step, jobs in found.items())
            jobs = entry[1].get((flow_id, step_id))
            if not jobs:
                return {}
            if (flow_id, step_id) not in self._changed:
                keys = next((keys for group, keys in self.ledger.groups(TO_RETRY) if group == (flow_id, step_id)), [])
                listed, now_open = self.ledger.error_ids_of(keys), {}
                decided = self._decide(flow_id, step_id, keys, listed, "another actor's retry job", found=now_open)
                if isinstance(decided, str):
                    raise FlowOpsError(decided)
                other = "another actor's retry job %s (%s when listed)" % (jobs[0].get("_id"), jobs[0].get("status"))
                self._changed[(flow_id, step_id)] = dict(
                    (key, "changed since listing: %s took it; now %s" % (other, _seen_now(now_open.get(key), listed.get(key))))
                    for key in decided[0])
            return self._changed[(flow_id, step_id)]

    def _post(self, flow_id, step_id, keys):
        listed = self.ledger.error_id_of(keys)
        if self.journal:  # before the request: a run killed while it is in flight can still be resumed safely
            self.journal.record(keys, SUBMITTING, error_ids=[listed[key] for key in keys])
        job = self.adapter.retry(flow_id, step_id, keys, self.strategy, self.options, listed=listed)
        if job is None:
            return [(keys, NOTHING_TO_DO, None, "nothing matched: already retried, resolved or purged")]
        return _split_by_key(keys, job)

    def _settle(self, flow_id, step_id, keys, first_error):
        """The POST may have been applied. Nothing is re-sent until the platform shows its decision: the step's open
        errors are read, and (where the platform lists them, ``adapter.retry_jobs_running``) its retry jobs of the step,
        with back-off until none is queued or running. Then a key still open only under error ids it was listed
        with is provably untouched and is sent once more; any other key was taken (``retried``). A re-send that fails
        again the same way is settled the same way, up to ``max_retries`` rounds; keys still undecided are in doubt."""
        listed = self.ledger.error_ids_of(keys)
        results, waiting, error = [], list(keys), first_error
        for number in range(1, self.settle_rounds + 1):
            decided = self._decide(flow_id, step_id, waiting, listed, error)
            if isinstance(decided, str):
                results.append((waiting, IN_DOUBT, None, decided))
                return results
            taken, untouched, job = decided
            if taken:
                results.append((taken, RETRIED, job, "request failed after the server took it (%s); settled: the platform "
                                                     "no longer lists the keys' original errors alone" % error))
            if not untouched or self.ctx.controller_gone():  # untouched keys stay journaled as submitting: resumable
                return results
            try:
                results.extend(self._post(flow_id, step_id, untouched))
                return results
            except FlowOpsError as exc:
                unsent = _unsent_action(exc)
                if unsent:
                    results.append((untouched, unsent[0], None, unsent[1]))
                    return results
                waiting, error = untouched, exc
        results.append((waiting, IN_DOUBT, None, "the retry may have been applied (%s); still undecided after %d settle "
                                                 "rounds (max_retries)" % (error, self.settle_rounds)))
        return results

    def _decide(self, flow_id, step_id, keys, listed, error, sleep=time.sleep, found=None):
        """``(taken, untouched, job)`` once the platform shows no retry job of the step queued or running, or a reason
        (str) why the keys stay in doubt: the open errors or the jobs could not be read, or a job ran past the
        settle time. ``job`` is the one retry job seen running meanwhile (the one that took ``taken``), else None.
        ``found``, a dict, receives the step's open error ids by key as read."""
        deadline, delay, seen = time.monotonic() + SETTLE_TIMEOUT, SETTLE_FIRST_DELAY, {}
        while True:
            try:
                # The errors count only when read while no retry job of the step runs, before and after the read:
                # errors read while a job runs (its originals still open) say nothing of what the job will do.
                running = self.adapter.retry_jobs_running(flow_id, step_id)
                if not running:
                    still_open = _open_error_ids(self.adapter, flow_id, step_id)
                    running = self.adapter.retry_jobs_running(flow_id, step_id)
            except FlowOpsError as exc:
                return ("retry request may have reached the server (%s) and the platform's state could not be re-read "
                        "(%s)" % (error, exc))
            for job in running or ():
                seen[job["_id"]] = job
            if not running:
                break
            if time.monotonic() + delay > deadline or self.ctx.controller_gone():
                return ("retry request may have reached the server (%s); a retry job of the step (%s) was still %s after "
                        "%d s" % (error, running[0]["_id"], running[0].get("status"), SETTLE_TIMEOUT))
            sleep(delay)
            delay = min(delay * 2, SETTLE_MAX_DELAY)
        if found is not None:
            found.update(still_open)
        # untouched: still open, and only under ids it was listed with (one of them may have been resolved by
        # another actor's retry between two listing pages); a new id or none at all means the platform took it
        untouched = [k for k in keys if still_open.get(k) and still_open[k] <= listed.get(k, frozenset())]
        untouched_set = set(untouched)
        taken = [k for k in keys if k not in untouched_set]
        job = None
        if len(seen) == 1:
            job = dict(next(iter(seen.values())))
            job["status"], job["done"] = None, False  # finished since: wait_for_jobs reads its final status
        return taken, untouched, job


def _seen_now(open_now, listed):
    """What a re-read showed of a key another actor's retry took: the platform's state, for the report."""
    if not open_now:
        return "no open error (resolved or retried by them)"
    new = sorted(open_now - (listed or frozenset()))
    return "open under error ids not listed: %s (failed again)" % ", ".join(new) if new else "open errors changed"


def submit(ctx, strategy, batch_size, options=None, journal=None, settle_rounds=1):
    """Send every ``to_retry`` key of ``ctx.ledger`` in batches with the run's fan-out; returns the jobs created.
    ``settle_rounds`` (the connection's ``max_retries``) bounds how often a batch that may have applied is settled."""
    jobs, ledger = [], ctx.ledger
    sender = BatchSender(ctx, strategy, options, journal, settle_rounds)
    total, sent, running = ledger.count(TO_RETRY), 0, 0
    # Progress is counted as batches come back: re-counting the ledger each batch would cost O(keys) a batch.
    for batch, outcomes, _error in ctx.fan_out(sender, batches(ledger.groups(TO_RETRY), batch_size)):
        flow_id, step_id = batch[0], batch[1]
        for keys, action, job, reason in outcomes:
            job_id = job.get("_id") if job else None
            if job_id is not None:
                jobs.append({"_id": job_id, "_flowId": flow_id, "_stepId": step_id, "keys": len(keys),
                             "status": job.get("status"), "done": job.get("done", False), "createdAt": job.get("createdAt")})
                running += 0 if jobs[-1]["done"] else 1
            ledger.set_action(keys, action, job=job_id, reason=reason)
            sent += len(keys)
            if journal:
                journal.record(keys, action, job_id)
        ctx.progress("retrying", sent, total, running)
    ctx.progress("retrying", sent, total, running, final=True)
    ctx.stop_if_controller_gone("%d keys were retried, %d never sent; resume with run_id %s and the same report_file"
                                % (ledger.count(RETRIED), ledger.count(TO_RETRY), ctx.run_id))
    return jobs


FIRST_POLL = 0.25  # seconds; the delay doubles up to poll_interval


def wait_for_jobs(ctx, jobs, timeout, interval, sleep=time.sleep):
    """Poll unfinished jobs until all are done or ``timeout`` seconds pass; updates ``jobs`` in place.

    Each round waits first (a job just queued cannot be done yet), briefly at the start and longer as
    jobs take longer, so short jobs are noticed soon and long ones are not polled needlessly.
    """
    deadline = time.monotonic() + timeout
    delay = min(FIRST_POLL, interval)
    while True:
        waiting = [job for job in jobs if not job["done"]]
        if not waiting:
            return True
        if time.monotonic() + delay > deadline:
            return False
        sleep(delay)
        delay = min(delay * 2, interval)
        ctx.stop_if_controller_gone("every key was sent; the retry jobs were not waited for")
        for job, latest in ctx.fan_out_all(lambda j: ctx.adapter.get_job(j["_id"]), waiting):
            job["status"] = latest.get("status")
            job["done"] = latest.get("done", False)
        _waiting_progress(ctx, jobs)


def _waiting_progress(ctx, jobs):
    """Keys whose jobs are done, of all keys sent, and the jobs still running."""
    running = [job for job in jobs if not job["done"]]
    ctx.progress("waiting", sum(job["keys"] for job in jobs if job["done"]), sum(job["keys"] for job in jobs), len(running),
                 final=not running)


def wait_and_reconcile(ctx, jobs, keys, timeout, interval):
    """Wait for ``jobs``, then reconcile them. Returns ``(finished, error)``: False when some job was still running
    after ``timeout``, and the FlowOpsError that left the outcome unknown (``keys`` are then ``pending``) or None."""
    finished = True
    try:
        finished = wait_for_jobs(ctx, jobs, timeout, interval)
        reconcile(ctx, jobs)
    except ControllerGone:
        raise
    except FlowOpsError as exc:
        ctx.ledger.set_outcome(keys, PENDING)
        return finished, exc
    return finished, None


def reconcile(ctx, jobs):
    """Outcome per retried key, step by step (only one step's keys are held per worker).

    A platform that knows each key's outcome from its job (``adapter.key_outcomes``) is asked first; every
    other key is reconciled by retryDataKey over every open error id of the key, against a fresh listing
    (``key_outcome``).
    """
    adapter, ledger = ctx.adapter, ctx.ledger
    job_status = dict((job["_id"], (job.get("status"), job["done"])) for job in jobs)
    job_created = dict((job["_id"], job.get("createdAt")) for job in jobs)

    def outcomes(group):
        (flow_id, step_id), keys = group
        known, job_of = {}, ledger.job_of(keys)
        for job_id in sorted(set(job_of.values())):
            known.update(adapter.key_outcomes(job_id) or {})
        statuses = {}
        for key, told in list(known.items()):
            if isinstance(told, tuple):  # (outcome, the platform's own status for the report)
                known[key], statuses[key] = told
        unknown = [key for key in keys if key not in known]
        open_ids = _open_error_ids(adapter, flow_id, step_id) if unknown else {}
        listed = ledger.error_ids_of(unknown) if unknown else {}
        by_outcome = {}
        for key in keys:
            if key in known:
                outcome, status = known[key], statuses.get(key)
            else:
                outcome, status = key_outcome(open_ids.get(key, frozenset()), listed.get(key, frozenset()),
                                              *job_status.get(job_of.get(key), (None, False)))
            by_outcome.setdefault((outcome, status), []).append(key)
        gone = by_outcome.pop((SUCCEEDED, None), [])
        taken = _resolved_before_retry(adapter, flow_id, step_id, gone, listed, job_of, job_created)
        for key, told in taken.items():
            by_outcome.setdefault((NOT_RECOVERED, told), []).append(key)
        gone = [key for key in gone if key not in taken]
        if gone:
            by_outcome[(SUCCEEDED, None)] = gone
        return by_outcome

    for dummy, by_outcome in ctx.fan_out_all(outcomes, ledger.groups(RETRIED)):
        for (outcome, status), keys in by_outcome.items():
            ledger.set_outcome(keys, outcome, reason="platform status: %s" % status if status else None)


def _resolved_before_retry(adapter, flow_id, step_id, gone, listed, job_of, job_created):
    """``{key: status}`` for keys that left the open list because someone resolved them before our retry job existed
    (their resolved record's ``resolvedAt`` is not after the job's ``createdAt``): the platform reported no success
    for those. One pass over the step's resolved listing, only when keys left the open list and their jobs carry a
    ``createdAt``; a platform without a resolved listing leaves them as they are."""
    wanted = {}
    for key in gone:
        created = job_created.get(job_of.get(key))
        if created:
            for error_id in listed.get(key, ()):
                wanted[error_id] = (key, created)
    found = {}
    if not wanted:
        return found
    try:
        for error in adapter.iter_errors(flow_id, step_id, resolved=True):
            hit = wanted.get(error.get("errorId"))
            if hit and error.get("resolvedAt") and str(error["resolvedAt"]) <= str(hit[1]):
                found[hit[0]] = "resolved by %s at %s, before the retry job" % (
                    error.get("resolvedBy") or "someone else", error["resolvedAt"])
    except UnsupportedOperation:
        return {}
    return found


def key_outcome(open_now, listed, job_status, job_done):
    """``(outcome, platform status or None)`` of one retried key from its open error ids now, the ids it was listed
    with and its retry job's last status:

    - an open error id that was not among the key's listed ids: ``failed_again`` (the retry left a new error);
    - the job not known to be finished: ``pending``;
    - the job ended failed or canceled: ``not_recovered`` (the platform did not run the retry to an end);
    - no open error left: ``succeeded`` (the job finished and the key's errors left the open list);
    - only listed ids still open after the job finished: ``pending`` (open, awaiting the next retry).
    """
    if open_now - listed:
        return FAILED_AGAIN, None
    if not job_done:
        return PENDING, ("retry job %s" % job_status) if job_status else None
    if job_status in NOT_RECOVERED_JOB_STATUSES:
        return NOT_RECOVERED, "retry job %s, error %s" % (job_status, "still open" if open_now else "no longer open")
    if not open_now:
        return SUCCEEDED, None
    return PENDING, "retry job %s, original error still open" % job_status
