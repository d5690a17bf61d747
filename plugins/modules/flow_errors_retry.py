#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flow_errors_retry
short_description: Retry errored records across flows, abstract-flow instances and steps, exactly once per key
version_added: 0.1.0
description:
  - Selects open errors like M(flowops.ipaas.flow_errors_info) and retries every one that carries a
    C(retryDataKey), in batches of at most O(batch_size) keys per request, fanned out over flows and steps
    with bounded concurrency in one task.
  - Errors without a key (connection-level errors) are reported as not retryable with the reason, never
    dropped. A disabled flow (HTTP 422 C(inactive_flow)) is reported per flow and does not stop the others.
  - A request that fails after it may have reached the server is never blindly re-sent; the step's open errors
    are re-read and only keys whose original error is still open are sent again. No key is sent twice in one run.
  - With O(wait=true) every retry job is polled until it finishes (or O(wait_timeout)), then each key is
    reconciled against a fresh listing by C(retryDataKey), not by error id, as C(succeeded), C(failed_again)
    (open again under a new error id) or C(pending).
  - In check mode nothing is sent; the result shows exactly what would be retried.
author:
  - flowops.ipaas contributors (@flowops)
extends_documentation_fragment:
  - flowops.ipaas.connection
  - flowops.ipaas.selection
  - flowops.ipaas.selection.errors
  - flowops.ipaas.bulk
  - flowops.ipaas.attributes
  - flowops.ipaas.attributes.action
options:
  strategy:
    description:
      - V(retry) re-runs the records at once (on Activepieces from the failed step).
      - V(exponential_decay) lets the platform spread the retries out with growing delays, kinder to a target
        system that is just recovering (Celigo).
      - V(latest_version) restarts the whole run on the latest published version of the flow (Activepieces).
      - A strategy the platform does not offer fails before any request, naming the platform.
    type: str
    default: retry
    choices: [retry, exponential_decay, latest_version]
  restart_from_step:
    description:
      - Restart each run from the named step instead of from the beginning (on Cloudflare Workflows, the
        C(from.name) of the instance status change). Refused before any request on platforms that cannot.
    type: str
  wait:
    description:
      - Wait for the retry jobs to finish and reconcile every key's outcome.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for the retry jobs with O(wait=true). Keys whose job is still running are C(pending).
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between job polls with O(wait=true).
    type: float
    default: 2
"""

EXAMPLES = r"""
- name: Retry every retryable error of every instance of an abstract flow and wait for the outcome
  flowops.ipaas.flow_errors_retry:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
    classifications: [intermittent, rate_limit]
    occurred_after: "2026-11-20T04:00:00Z"
    max_errors: 5000
    wait: true
    report_file: /var/log/flowops/retry-{{ ansible_date_time.iso8601_basic_short }}.json
  register: retried

- name: Say what happened
  ansible.builtin.debug:
    msg: "{{ retried.counts }}"

- name: Retry what failed again once more, gently
  flowops.ipaas.flow_errors_retry:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
    retry_data_keys: "{{ retried.failed_again_keys }}"
    strategy: exponential_decay
    skip_disabled: true
  when: retried.failed_again_keys | length > 0

- name: See what would be retried, without retrying
  flowops.ipaas.flow_errors_retry:
    flow_ids: [6a0fc7eb7202049b32ea45b1]
  check_mode: true
"""

RETURN = r"""
counts:
  description:
    - Keys by what was done (C(retried), C(not_retryable), C(skipped_disabled), C(nothing_to_do) when the API
      matched no stored snapshot, C(already_done) by an earlier run with the same O(run_id), C(in_doubt), C(failed))
      and, with O(wait=true), by outcome (C(succeeded), C(failed_again), C(pending)). C(selected) counts them all.
  returned: always
  type: dict
  sample: {selected: 1240, retried: 1180, not_retryable: 60, skipped_disabled: 0, nothing_to_do: 0,
           already_done: 0, in_doubt: 0, failed: 0, succeeded: 1100, failed_again: 80, pending: 0}
per_flow:
  description: The same counts per flow id (with C(name) and C(disabled)), and per step id under C(steps).
  returned: always
  type: dict
jobs:
  description: Retry jobs created, with C(_id), C(_flowId), C(_stepId), C(keys), C(status) and C(done).
  returned: always
  type: list
  elements: dict
failed_again_keys:
  description: Retry data keys that failed again (open under a new error id), ready for another round.
  returned: always
  type: list
  elements: str
run_id:
  description: Id of this run, recorded in the report and its journal; pass it again to resume an interrupted run.
  returned: always
  type: str
report_file:
  description: Path of the JSON report listing every key with its action and outcome.
  returned: when O(report_file) is set and not in check mode
  type: str
  sample: /var/log/flowops/retry.json
"""

from ansible_collections.flowops.ipaas.plugins.module_utils.bulk import BULK_SPEC, check_bulk_options, guard_max_errors
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError, fail_with_result
from ansible_collections.flowops.ipaas.plugins.module_utils.ledger import Ledger
from ansible_collections.flowops.ipaas.plugins.module_utils.reports import finish_bulk, utc_now
from ansible_collections.flowops.ipaas.plugins.module_utils.controller import ControllerGone
from ansible_collections.flowops.ipaas.plugins.module_utils.resume import EarlierRun, Journal, report_lock
from ansible_collections.flowops.ipaas.plugins.module_utils.retry import (
    ACTIONS, NO_KEY, OUTCOMES, TO_RETRY, reconcile, submit, wait_for_jobs)
from ansible_collections.flowops.ipaas.plugins.module_utils.runner import module_spec, run_module
from ansible_collections.flowops.ipaas.plugins.module_utils.selection import SELECTION_SPEC, ErrorSelection
from ansible_collections.flowops.ipaas.plugins.module_utils.targets import iter_selected_errors, select_flows

ARGUMENT_SPEC = module_spec(
    SELECTION_SPEC,
    BULK_SPEC,
    dict(
        strategy=dict(type="str", default="retry", choices=["retry", "exponential_decay", "latest_version"]),
        restart_from_step=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="float", default=2),
    ),
)


def _retry_options(ctx):
    """Check the retry options; returns the platform options the adapter's retry takes."""
    params, adapter = ctx.params, ctx.adapter
    if params["strategy"] not in adapter.retry_strategies:
        raise adapter.unsupported("strategy '%s'" % params["strategy"], "use one of %s" % ", ".join(adapter.retry_strategies))
    if params["wait_timeout"] < 0:
        raise ValidationError("wait_timeout: %s is out of range; use 0 or more seconds" % params["wait_timeout"])
    if params["poll_interval"] <= 0:
        raise ValidationError("poll_interval: %s is out of range; use more than 0 seconds" % params["poll_interval"])
    options = {}
    if params["restart_from_step"] is not None:
        if not params["restart_from_step"].strip():
            raise ValidationError("restart_from_step: give the name of the step to restart from")
        adapter.require("restart_from_step", "restart_from_step")
        options["from_step"] = params["restart_from_step"]
    return options


def _account(ctx, error, disabled, earlier):
    ledger, flow_id, step_id, key = ctx.ledger, error["_flowId"], error["_stepId"], error.get("retryDataKey")
    earlier_job = earlier.took(key, error["errorId"]) if key else None
    if not key:
        ledger.add(flow_id, step_id, error["errorId"], error["errorId"], "not_retryable", NO_KEY)
    elif ctx.params["skip_disabled"] and flow_id in disabled:
        ledger.add(flow_id, step_id, key, error["errorId"], "skipped_disabled", "flow is disabled (skip_disabled: true)")
    elif earlier_job:
        ledger.add(flow_id, step_id, key, error["errorId"], "already_done",
                   "retried by an earlier run with run_id %s (job %s)" % (ctx.run_id, earlier_job))
    else:
        ledger.add(flow_id, step_id, key, error["errorId"], TO_RETRY)


def _wait_and_reconcile(ctx, jobs):
    params = ctx.params
    try:
        if not wait_for_jobs(ctx, jobs, params["wait_timeout"], params["poll_interval"]):
            ctx.warn("some retry jobs were still running after wait_timeout (%s s); their keys are pending"
                     % params["wait_timeout"])
        reconcile(ctx, jobs)
    except ControllerGone:
        raise
    except FlowOpsError as exc:
        ctx.warn("the outcome of the retries could not be reconciled (%s); retried keys are reported as pending" % exc)
        ctx.ledger.set_outcome(ctx.ledger.keys("retried"), "pending")


def run(ctx):
    params = ctx.params
    ctx.selection = ErrorSelection(params)
    size = check_bulk_options(ctx)
    options = _retry_options(ctx)
    with report_lock(ctx):
        return _run(ctx, size, options)


def _run(ctx, size, options):
    params = ctx.params
    earlier = EarlierRun(params["report_file"], params["run_id"], ("retried",))
    started = utc_now()
    flows = select_flows(ctx)
    disabled = set(flow["_id"] for flow in flows if flow["disabled"])
    ctx.ledger = ledger = Ledger(flows, ACTIONS, OUTCOMES, directory=ctx.tmpdir)
    for error in iter_selected_errors(ctx, flows):
        _account(ctx, error, disabled, earlier)
    guard_max_errors(params, len(ledger), "retried")

    result = dict(changed=False, run_id=ctx.run_id, jobs=[], failed_again_keys=[])
    header = dict(run_id=ctx.run_id, started=started, check_mode=ctx.check_mode, strategy=params["strategy"])
    if options:
        header["options"] = options
    if ctx.check_mode:
        ledger.relabel(TO_RETRY, "retried", "check mode: would be retried")
        result["changed"] = ledger.count("retried") > 0
        return finish_bulk(ctx, "flow_errors_retry", result, "retryDataKey", header, "retried")

    journal = Journal(params["report_file"], ctx.run_id) if params["report_file"] else None
    try:
        result["jobs"] = submit(ctx, params["strategy"], size, options, journal)
        retried = ledger.count("retried")
        result["changed"] = retried > 0
        if params["wait"] and retried:
            _wait_and_reconcile(ctx, result["jobs"])
        result["failed_again_keys"] = ledger.keys(outcome="failed_again")
        finish_bulk(ctx, "flow_errors_retry", result, "retryDataKey", header, "retried")
    finally:
        if journal:
            journal.close(remove=bool(result.get("report_file")))

    counts = result["counts"]
    unfinished = counts["failed"] + counts["in_doubt"]
    if unfinished:
        first = ledger.first_reason(("failed", "in_doubt"))
        raise fail_with_result("retried %d of %d selected keys; %d keys remain not retried (%d failed, %d in doubt): %s"
                               % (counts["retried"], counts["selected"], unfinished, counts["failed"], counts["in_doubt"],
                                  first), result)
    return result


def main():
    run_module(run, ARGUMENT_SPEC)


if __name__ == "__main__":
    main()
