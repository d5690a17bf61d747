# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retrying selected errors in batches, exactly once per key, and reconciling the outcome by key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.options import batches
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ControllerGone
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import (
    CHANGED_SINCE_LISTING, FAILED, IN_DOUBT, NOTHING_TO_DO, RETRIED, SUBMITTING, TO_RETRY,
)



def _is_inactive_flow(exc):
    return exc.status == 422 and exc.code == "inactive_flow"


def _answered(exc):
    """The server answered the retry with success (2xx), but with a body the adapter could not read (``{}``, no job
    id, not JSON): it may have been applied, and a re-read of the open errors cannot tell (a platform may keep a
    retried error open while its job runs), so its keys are in doubt and never sent again."""
    return exc.method not in (None, "GET") and exc.status is not None and 200 <= exc.status < 300


def _open_error_ids(adapter, flow_id, step_id):
    """``{retryDataKey: errorId}`` of the step's open errors, read fresh."""
    return dict((e["retryDataKey"], e["errorId"]) for e in adapter.iter_errors(flow_id, step_id) if e.get("retryDataKey"))


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

    def __init__(self, ctx, strategy, options=None, journal=None):
        self.ctx = ctx
        self.adapter = ctx.adapter
        self.ledger = ctx.ledger
        self.strategy = strategy
        self.options = options or {}
        self.journal = journal

    def __call__(self, batch):
        """Returns ``[(keys, action, job, reason)]``; never raises ``FlowOpsError`` for one batch's trouble.

        Nothing is sent (and the keys keep no action) once the controller is gone.
        """
        flow_id, step_id, keys = batch
        if self.ctx.controller_gone():
            return []
        try:
            return self._post(flow_id, step_id, keys)
        except FlowOpsError as exc:
            if _is_inactive_flow(exc):
                return [(keys, "skipped_disabled", None, "flow is disabled (HTTP 422 inactive_flow)")]
            if _answered(exc):
                return [(keys, "in_doubt", None, "the retry may have been applied: %s" % exc)]
            if not exc.may_have_applied:
                return [(keys, "failed", None, str(exc))]
            return self._settle(flow_id, step_id, keys, exc)

    def _post(self, flow_id, step_id, keys):
        if self.journal:  # before the request: a run killed while it is in flight can still be resumed safely
            self.journal.record(keys, SUBMITTING, error_ids=[self.ledger.error_id(k) for k in keys])
        listed = dict((key, self.ledger.error_id(key)) for key in keys)
        job = self.adapter.retry(flow_id, step_id, keys, self.strategy, self.options, listed=listed)
        if job is None:
            return [(keys, "nothing_to_do", None, "nothing matched: already retried, resolved or purged")]
        return _split_by_key(keys, job)

    def _settle(self, flow_id, step_id, keys, first_error):
        """The POST may have been applied: keys whose original error left the open list were taken;
        the rest are provably untouched and are sent once more."""
        try:
            still_open = _open_error_ids(self.adapter, flow_id, step_id)
        except FlowOpsError as exc:
            reason = "retry request may have reached the server (%s) and the open errors could not be re-read (%s)" % (
                first_error, exc)
            return [(keys, "in_doubt", None, reason)]
        untouched = [k for k in keys if still_open.get(k) == self.ledger.error_id(k)]
        taken = [k for k in keys if k not in untouched]
        results = []
        if taken:
            results.append((taken, "retried", None, "request failed after the server took it (%s)" % first_error))
        if untouched and not self.ctx.controller_gone():  # untouched keys stay journaled as submitting: resumable
            try:
                results.extend(self._post(flow_id, step_id, untouched))
            except FlowOpsError as exc:
                if _is_inactive_flow(exc):
                    results.append((untouched, "skipped_disabled", None, "flow is disabled (HTTP 422 inactive_flow)"))
                else:
                    results.append((untouched, "in_doubt" if exc.may_have_applied or _answered(exc) else "failed", None, str(exc)))
        return results


def submit(ctx, strategy, batch_size, options=None, journal=None):
    """Send every ``to_retry`` key of ``ctx.ledger`` in batches with the run's fan-out; returns the jobs created."""
    jobs, ledger = [], ctx.ledger
    sender = BatchSender(ctx, strategy, options, journal)
    total = ledger.count(TO_RETRY)
    for batch, outcomes, _error in ctx.fan_out(sender, batches(ledger.groups(TO_RETRY), batch_size)):
        flow_id, step_id = batch[0], batch[1]
        for keys, action, job, reason in outcomes:
            job_id = job.get("_id") if job else None
            if job_id is not None:
                jobs.append({"_id": job_id, "_flowId": flow_id, "_stepId": step_id, "keys": len(keys),
                             "status": job.get("status"), "done": job.get("done", False)})
            ledger.set_action(keys, action, job=job_id, reason=reason)
            if journal:
                journal.record(keys, action, job_id)
        ctx.progress("retrying", total - ledger.count(TO_RETRY), total, sum(1 for job in jobs if not job["done"]))
    ctx.progress("retrying", total - ledger.count(TO_RETRY), total, sum(1 for job in jobs if not job["done"]), final=True)
    ctx.stop_if_controller_gone("%d keys were retried, %d never sent; resume with run_id %s and the same report_file"
                                % (ledger.count("retried"), ledger.count(TO_RETRY), ctx.run_id))
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
        ctx.ledger.set_outcome(keys, "pending")
        return finished, exc
    return finished, None


def reconcile(ctx, jobs):
    """Outcome per retried key, step by step (only one step's keys are held per worker).

    A platform that knows each key's outcome from its job (``adapter.key_outcomes``) is asked first; every
    other key is reconciled against a fresh listing by retryDataKey: still open under the error id it had
    is ``pending``, open under a new error id is ``failed_again``, gone after its job finished is ``succeeded``.
    """
    adapter, ledger = ctx.adapter, ctx.ledger
    done_jobs = set(job["_id"] for job in jobs if job["done"])

    def outcomes(group):
        (flow_id, step_id), keys = group
        known = {}
        for job_id in sorted(set(ledger.job(key) for key in keys) - {None}):
            known.update(adapter.key_outcomes(job_id) or {})
        statuses = {}
        for key, told in list(known.items()):
            if isinstance(told, tuple):  # (outcome, the platform's own status for the report)
                known[key], statuses[key] = told
        unknown = [key for key in keys if key not in known]
        open_ids = _open_error_ids(adapter, flow_id, step_id) if unknown else {}
        by_outcome = {}
        for key in keys:
            if key in known:
                outcome = known[key]
            elif key in open_ids:
                outcome = "pending" if open_ids[key] == ledger.error_id(key) else "failed_again"
            else:
                outcome = "succeeded" if ledger.job(key) in done_jobs else "pending"
            by_outcome.setdefault((outcome, statuses.get(key)), []).append(key)
        return by_outcome

    for dummy, by_outcome in ctx.fan_out_all(outcomes, ledger.groups(RETRIED)):
        for (outcome, status), keys in by_outcome.items():
            ledger.set_outcome(keys, outcome, reason="platform status: %s" % status if status else None)
