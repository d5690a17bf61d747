# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retrying selected errors in batches, exactly once per key, and reconciling the outcome by key."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.flowops.ipaas.plugins.module_utils.bulk import batches
from ansible_collections.flowops.ipaas.plugins.module_utils.concurrency import fan_out, fan_out_all
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError

ACTIONS = ("retried", "not_retryable", "skipped_disabled", "nothing_to_do", "already_done", "in_doubt", "failed")
OUTCOMES = ("succeeded", "failed_again", "pending")
NO_KEY = "no retryDataKey (connection-level error): fix the connection, then rerun the flow"
TO_RETRY = "to_retry"
# Journaled before a batch is sent; on resume a key still open under the same error id was never applied.
SUBMITTING = "submitting"


def _is_inactive_flow(exc):
    return exc.status == 422 and exc.code == "inactive_flow"


def _open_error_ids(adapter, flow_id, step_id):
    """``{retryDataKey: errorId}`` of the step's open errors, read fresh."""
    return dict((e["retryDataKey"], e["errorId"]) for e in adapter.iter_errors(flow_id, step_id) if e.get("retryDataKey"))


class BatchSender:
    """Sends one batch; after a failure that may have reached the server, re-reads instead of re-sending."""

    def __init__(self, adapter, ledger, strategy, journal=None):
        self.adapter = adapter
        self.ledger = ledger
        self.strategy = strategy
        self.journal = journal

    def __call__(self, batch):
        """Returns ``[(keys, action, job, reason)]``; never raises ``FlowOpsError`` for one batch's trouble."""
        flow_id, step_id, keys = batch
        try:
            return [self._post(flow_id, step_id, keys)]
        except FlowOpsError as exc:
            if _is_inactive_flow(exc):
                return [(keys, "skipped_disabled", None, "flow is disabled (HTTP 422 inactive_flow)")]
            if not exc.may_have_applied:
                return [(keys, "failed", None, str(exc))]
            return self._settle(flow_id, step_id, keys, exc)

    def _post(self, flow_id, step_id, keys):
        if self.journal:  # before the request: a run killed while it is in flight can still be resumed safely
            self.journal.record(keys, SUBMITTING, error_ids=[self.ledger.error_id(k) for k in keys])
        job = self.adapter.retry(flow_id, step_id, keys, self.strategy)
        if job is None:
            return (keys, "nothing_to_do", None, "nothing matched: already retried, resolved or purged")
        return (keys, "retried", job, None)

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
        if untouched:
            try:
                results.append(self._post(flow_id, step_id, untouched))
            except FlowOpsError as exc:
                if _is_inactive_flow(exc):
                    results.append((untouched, "skipped_disabled", None, "flow is disabled (HTTP 422 inactive_flow)"))
                else:
                    results.append((untouched, "in_doubt" if exc.may_have_applied else "failed", None, str(exc)))
        return results


def submit(adapter, ledger, params, journal=None):
    """Send every ``to_retry`` key in batches with bounded concurrency; returns the jobs created."""
    jobs = []
    sender = BatchSender(adapter, ledger, params["strategy"], journal)
    work = batches(ledger.groups(TO_RETRY), params["batch_size"])
    for batch, outcomes, _error in fan_out(sender, work, params["max_concurrency"]):
        flow_id, step_id = batch[0], batch[1]
        for keys, action, job, reason in outcomes:
            job_id = job.get("_id") if job else None
            if job:
                jobs.append({"_id": job_id, "_flowId": flow_id, "_stepId": step_id, "keys": len(keys),
                             "status": job.get("status"), "done": job.get("done", False)})
            ledger.set_action(keys, action, job=job_id, reason=reason)
            if journal:
                journal.record(keys, action, job_id)
    return jobs


FIRST_POLL = 0.25  # seconds; the delay doubles up to poll_interval


def wait_for_jobs(adapter, jobs, timeout, interval, max_concurrency, sleep=time.sleep):
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
        for job, latest in fan_out_all(lambda j: adapter.get_job(j["_id"]), waiting, max_concurrency):
            job["status"] = latest.get("status")
            job["done"] = latest.get("done", False)


def reconcile(adapter, ledger, jobs, max_concurrency):
    """Outcome per retried key from a fresh listing, by retryDataKey (a failed retry comes back under a new errorId).

    Works a step at a time, so only one step's keys are held per worker.
    """
    done_jobs = set(job["_id"] for job in jobs if job["done"])

    def outcomes(group):
        (flow_id, step_id), keys = group
        open_ids = _open_error_ids(adapter, flow_id, step_id)
        by_outcome = {}
        for key in keys:
            if key in open_ids:
                outcome = "pending" if open_ids[key] == ledger.error_id(key) else "failed_again"
            else:
                outcome = "succeeded" if ledger.job(key) in done_jobs else "pending"
            by_outcome.setdefault(outcome, []).append(key)
        return by_outcome

    for dummy, by_outcome in fan_out_all(outcomes, ledger.groups("retried"), max_concurrency):
        for outcome, keys in by_outcome.items():
            ledger.set_outcome(keys, outcome)
