#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flow_errors_retry
short_description: Retry errored records across flows, abstract-flow instances and steps, exactly once per key
version_added: 1.0.0
description:
  - Selects open errors like M(flowops.ipaas.flow_errors_info) and retries every one that carries a
    C(retryDataKey), in batches of at most O(batch_size) keys per request, fanned out over flows and steps
    with bounded concurrency in one task.
  - Errors without a key (connection-level errors) are reported as not retryable with the reason, never
    dropped. A disabled flow (HTTP 422 C(inactive_flow)) is reported per flow and does not stop the others.
  - A request that fails after it may have reached the server is never blindly re-sent; the step's open errors
    are re-read and only keys whose original error is still open are sent again. No key is sent twice in one run.
  - A request that may have applied (timeout, reset, 5xx) is settled before anything is re-sent - the step's open
    errors and the platform's retry jobs of the step (Celigo C(GET /v1/jobs)) are read with back-off until no retry
    job of the step is queued or running; only keys whose open errors are exactly those listed are sent again, up to
    O(flowops.ipaas.flow_errors_retry#module:max_retries) rounds. Keys still undecided are C(in_doubt).
  - A key with several open errors (the original may stay open beside the one a failed retry left) is retried,
    counted and reported once, with every error id.
  - With O(wait=true) every retry job is polled until it finishes (or O(wait_timeout)), then each key is
    reconciled against a fresh listing by C(retryDataKey) over all its open error ids, not by error id, as
    C(succeeded) (no open error left after its job completed), C(failed_again) (open under an error id it was
    not listed with), C(not_recovered) (its retry job ended C(failed) or C(canceled), or the platform reported another
    ending that is neither success nor the same failure; the platform status is in the key's reason) or C(pending).
  - In check mode nothing is sent; the result shows exactly what would be retried.
extends_documentation_fragment: [flowops.ipaas.connection, flowops.ipaas.selection, flowops.ipaas.selection.errors, flowops.ipaas.bulk,
                                 flowops.ipaas.plan, flowops.ipaas.attributes, flowops.ipaas.attributes.action]
options:
  canary_keys:
    description:
      - Retry this many keys first, picked round-robin over flows and over each flow's steps, wait for them and
        reconcile them; then the rest in waves, each twice the size of the one before (N, 2N, 4N ... keys), each
        waited for and reconciled before the next. 0 turns the canary off.
      - Implies O(wait=true) (the waves are always waited for, whatever O(wait) says).
      - After each wave the circuit breaker trips when more than O(max_failed_again_ratio) of the wave's retried
        keys failed again, or when any of their outcomes is unknown after O(wait_timeout). Then nothing more is sent,
        every key not yet sent is counted as C(not_attempted_breaker), and the task fails with one line giving the
        ratio and the first failure messages; the result and report still account every key.
    type: int
    default: 0
  max_failed_again_ratio:
    description:
      - With O(canary_keys), the share (0 to 1) of a wave's retried keys that may fail again before the breaker
        trips; the breaker trips when the ratio is above it. Default 0.5 when O(canary_keys) is set; refused without it.
    type: float
  from_backup:
    description:
      - Replay from a backup written by M(flowops.ipaas.flow_errors_resolve) (O(flowops.ipaas.flow_errors_resolve#module:backup_file),
        one JSON record a line); retry exactly the keys it holds that an open error still carries.
      - Every other record is reported by key as C(cannot_retry) with the reason and never sent. A record without a
        C(retryDataKey) cannot be retried; a key no open error carries any more (resolved, deleted or purged) is
        not sent, since retrying an error that is no longer open is not established for the platforms (Celigo's
        retry call re-runs open errors' snapshots and answers 204 for keys it matches none of).
      - On a platform that resolves in the collection's own state (Cloudflare Workflows), a dismissed instance is
        still errored on the platform and is retried despite its dismissal.
      - Without a flow selection, the backup's flows are selected; other selection options narrow it further.
    type: path
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
      - Seconds to wait for the retry jobs with O(wait=true) (0 to 604800, one week). Keys whose job is still running
        are C(pending).
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between job polls with O(wait=true) (0.01 to 3600).
    type: float
    default: 2
  platform_retry_margin:
    description:
      - Do not race the platform. An error the platform has scheduled for its own retry (Celigo's C(retryAt), set on
        C(intermittent) errors) at a time at most this many seconds away - ahead, or behind when that retry is due
        and may be running - is left to it, reported as C(scheduled_by_platform) with its C(retryAt) in the reason,
        and not sent. 0 never defers (0 to 86400).
    type: int
    default: 300
    version_added: 1.1.0
  retry_data_patch:
    description:
      - Fix, then retry (Celigo). Before retrying, merge this dict into each selected record's stored retry data
        (the C(data) object of C(GET /v1/flows/{_id}/{_stepId}/{retryDataKey}/data)), top-level keys replacing
        the record's, and C(PUT) the whole envelope back; then retry as usual.
      - The original retry data of every key is written to O(backup_file) before the first C(PUT); if the backup
        cannot be written, or a record's data cannot be read or is not an object, nothing is patched or retried.
      - A key whose C(PUT) fails is counted C(failed) and not retried; a key with no retry data (HTTP 404) too.
      - With C(--diff) the result shows each patched key's data before and after (the first 20 keys); in check mode
        the data is read and the diff shown, but nothing is written.
      - Mutually exclusive with O(retry_data_template). Platforms that cannot patch retry data refuse it before any request.
    type: dict
  retry_data_template:
    description:
      - Like O(retry_data_patch), but the new C(data) of each record is computed by a Jinja expression, written
        without braces like a C(when:) condition, for example V(dict(data, amount=data.amount | replace(',', '.') | float)).
      - "It sees two variables: C(data), the record's stored retry data, and C(error), its error record (C(message),
        C(code), C(classification) ...). It must give a dict, which replaces C(data)."
      - It runs in Jinja's immutable sandbox on the host running the module, without Ansible's filters and lookups.
        A syntax error fails the task before any request; a record it fails on (or gives no dict for) fails the task,
        naming the key, before anything is written.
    type: str
  backup_file:
    description:
      - With O(retry_data_patch) or O(retry_data_template), where the original retry data goes before anything is
        patched, one JSON object a line (C(retryDataKey), C(errorId), C(_flowId), C(_stepId), C(retryData)), the
        format of M(flowops.ipaas.flow_errors_resolve)'s backup.
      - Default is C(~/.flowops/backups/retry-data-<time>-<run id>.jsonl) on the host running the module.
    type: path
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

- name: Fix the amount field of the records that failed on it, keep the originals, then retry them
  flowops.ipaas.flow_errors_retry:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
    classifications: [value]
    retry_data_template: "dict(data, amount=data.amount | replace(',', '.') | float)"
    backup_file: /var/backups/flowops/retry-data.jsonl
    wait: true

- name: Plan (check mode writes the plan and returns its plan_sha256)
  flowops.ipaas.flow_errors_retry:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
    classifications: [intermittent]
    plan_file: /srv/flowops/plans/outage-42.json
  check_mode: true
  register: planned

- name: Apply exactly the approved plan, behind a canary of 20 keys
  flowops.ipaas.flow_errors_retry:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
    classifications: [intermittent]
    plan_file: /srv/flowops/plans/outage-42.json
    plan_sha256: "{{ planned.plan_sha256 }}"
    canary_keys: 20
    max_failed_again_ratio: 0.2

- name: Replay the records of a resolve backup that are still open
  flowops.ipaas.flow_errors_retry:
    from_backup: /var/backups/flowops/duplicates.jsonl
    wait: true
"""

RETURN = r"""
counts:
  description:
    - Keys by what was done (C(retried), C(not_retryable), C(skipped_disabled), C(nothing_to_do) when the API
      matched no stored snapshot, C(already_done) by an earlier run with the same O(run_id), C(in_doubt), C(failed))
      and, with O(wait=true), by outcome (C(succeeded), C(failed_again), C(pending), C(not_recovered)). C(selected)
      counts them all.
    - C(scheduled_by_platform) counts keys left to the platform's own scheduled retry (with O(platform_retry_margin)
      above 0).
    - Only when the option is set, C(not_in_plan) counts keys a O(plan_tolerance=subset) run left alone (with
      O(plan_file)), C(not_attempted_breaker) keys the canary's circuit breaker kept from being sent (with
      O(canary_keys)), C(cannot_retry) backup records that could not be retried (with O(from_backup)).
  returned: always
  type: dict
  sample: {selected: 1240, retried: 1180, not_retryable: 60, skipped_disabled: 0, nothing_to_do: 0,
           already_done: 0, in_doubt: 0, failed: 0, succeeded: 1100, failed_again: 80, pending: 0, not_recovered: 0,
           scheduled_by_platform: 0}
per_flow:
  description: The same counts per flow id (with C(name) and C(disabled)), and per step id under C(steps).
  returned: always
  type: dict
  sample:
    "6a0fc7eb7202049b32ea45b1":
      name: "Orders to ERP (EU store)"
      disabled: false
      counts: {selected: 31, retried: 30, not_retryable: 1, skipped_disabled: 0, nothing_to_do: 0, already_done: 0,
               in_doubt: 0, failed: 0, succeeded: 28, failed_again: 2, pending: 0, not_recovered: 0,
               scheduled_by_platform: 0}
      steps:
        "6a0fcdfa3f8562a7b1a3b3f2": {selected: 31, retried: 30, not_retryable: 1, skipped_disabled: 0, nothing_to_do: 0,
                                     already_done: 0, in_doubt: 0, failed: 0, succeeded: 28, failed_again: 2, pending: 0,
                                     not_recovered: 0, scheduled_by_platform: 0}
jobs:
  description: Retry jobs created, with C(_id), C(_flowId), C(_stepId), C(keys), C(status) and C(done).
  returned: always
  type: list
  elements: dict
  contains:
    _id:
      description: Job id.
      type: str
      sample: "6a0fd3b4c5d6e7f8a9b0c1d3"
    _flowId:
      description: Flow the keys belong to.
      type: str
      sample: "6a0fc7eb7202049b32ea45b1"
    _stepId:
      description: Step (export or import) the keys were retried on.
      type: str
      sample: "6a0fcdfa3f8562a7b1a3b3f2"
    keys:
      description: Number of retry data keys sent in this job.
      type: int
      sample: 30
    status:
      description: The job status last read from the platform.
      type: str
      sample: completed
    done:
      description: Whether the job had finished when last read.
      type: bool
      sample: true
  sample:
    - {_id: "6a0fd3b4c5d6e7f8a9b0c1d3", _flowId: "6a0fc7eb7202049b32ea45b1", _stepId: "6a0fcdfa3f8562a7b1a3b3f2",
       keys: 30, status: completed, done: true}
failed_again_keys:
  description: Retry data keys that failed again (open under a new error id), ready for another round.
  returned: always
  type: list
  elements: str
  sample: ["fad632cf388547f9a0d73a4b54d34f8d", "0c9e2b7a41d84f3e9b6a5d2c1e8f7a40"]
run_id:
  description: Id of this run, recorded in the report and its journal; pass it again to resume an interrupted run.
  returned: always
  type: str
  sample: 3f2b9c1e8d4a4f6b9a0c2e7d5b1f8a36
report_file:
  description: Path of the JSON report listing every key with its action and outcome.
  returned: when O(report_file) is set and not in check mode
  type: str
  sample: /var/log/flowops/retry.json
plan_file:
  description: Path of the retry plan written (check mode) or applied (real run).
  returned: when O(plan_file) is set
  type: str
  sample: /srv/flowops/plans/incident-42.json
plan_sha256:
  description: SHA-256 of the plan's retry data keys in canonical order (see O(plan_file)); the value an approver pins.
  returned: when O(plan_file) is set
  type: str
  sample: 9f2c4e0b7d1a3f5e8c6b4a2d0e9f7c5b3a1d8e6f4c2b0a9e7d5c3b1a0f8e6d4c
plan:
  description:
    - How the live selection compared with the plan in a real run, in keys; C(planned) is the plan's size.
  returned: when O(plan_file) is set and not in check mode
  type: dict
  sample: {plan_file: /srv/flowops/plans/incident-42.json, plan_sha256: 9f2c4e0b7d1a3f5e8c6b4a2d0e9f7c5b3a1d8e6f4c2b0a9e7d5c3b1a0f8e6d4c,
           tolerance: subset, planned: 1240, added: 0, removed: 12, changed: 0}
counts_planned:
  description: Keys of the written plan by planned action (C(retry), C(not_retryable) ...); C(selected) counts them all.
  returned: when O(plan_file) is set in check mode
  type: dict
  sample: {selected: 1240, retry: 1180, not_retryable: 60}
waves:
  description:
    - With O(canary_keys), one entry per wave sent, the canary first; C(why) says why the breaker tripped after it.
  returned: when O(canary_keys) is set and not in check mode
  type: list
  elements: dict
  sample: [{wave: 1, keys: 20, retried: 20, failed_again: 1, pending: 0, failed_again_ratio: 0.05, why: null},
           {wave: 2, keys: 40, retried: 40, failed_again: 31, pending: 0, failed_again_ratio: 0.775,
            why: "31 of 40 retried keys failed again, ratio 0.78 > max_failed_again_ratio 0.5"}]
retry_data:
  description:
    - With O(retry_data_patch) or O(retry_data_template), what happened to the stored retry data of the keys to
      retry - C(patched) (in check mode, would be), C(unchanged) (the patch changed nothing; still retried),
      C(no_retry_data) (HTTP 404), C(failed) (the C(PUT) failed) - and the O(backup_file) written.
  returned: when O(retry_data_patch) or O(retry_data_template) is set
  type: dict
  sample: {selected: 120, patched: 118, unchanged: 2, no_retry_data: 0, failed: 0,
           backup_file: /var/backups/flowops/retry-data.jsonl}
backup_file:
  description: Path of the backup of the original retry data.
  returned: when retry data was patched, not in check mode
  type: str
  sample: /var/backups/flowops/retry-data.jsonl
"""

from datetime import datetime, timezone
from functools import partial

# _run first: the module_utils imported after it are compiled once (module_utils/_run/zip_imports.py)
from ansible_collections.flowops.ipaas.plugins.module_utils._run.runner import module_spec, run_module
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import ValidationError, check_range, fail_with_result
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.canary import CANARY_SPEC, CanaryOptions, CanaryWaves
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.ledger import Ledger
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.options import BULK_SPEC, BulkOptions
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.plan import PLAN_SPEC, PlanGate, PlanOptions
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.replay import account_unreplayable, open_backup, selection_options
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.resume import EarlierRun, journal_opener, report_lock
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.retry import submit, wait_and_reconcile
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.retry_data import (
    RETRY_DATA_SPEC, RetryDataOptions, check_retry_data_options, patch_retry_data,
)
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import (
    ALREADY_DONE, CANARY_ACTIONS, NO_KEY, NOT_RETRYABLE, PLAN_ACTIONS, PLATFORM_RETRY_ACTIONS, REPLAY_ACTIONS, RETRIED,
    RETRY_ACTIONS, RETRY_OUTCOMES, SCHEDULED_BY_PLATFORM, SKIPPED_DISABLED, TO_RETRY,
)
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import utc_now
from ansible_collections.flowops.ipaas.plugins.module_utils._output.reports import finish_bulk
from ansible_collections.flowops.ipaas.plugins.module_utils._select.dismissals import dismissed_errors
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import SELECTION_SPEC, ErrorSelection, iso_time
from ansible_collections.flowops.ipaas.plugins.module_utils._select.targets import iter_selected_errors, select_flows

ARGUMENT_SPEC = module_spec(
    SELECTION_SPEC,
    BULK_SPEC,
    PLAN_SPEC,
    CANARY_SPEC,
    RETRY_DATA_SPEC,
    dict(from_backup=dict(type="path")),
    dict(
        strategy=dict(type="str", default="retry", choices=["retry", "exponential_decay", "latest_version"]),
        restart_from_step=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="float", default=2),
        platform_retry_margin=dict(type="int", default=300),
    ),
)


MAX_WAIT = 7 * 24 * 3600  # seconds: a week
MIN_POLL = 0.01  # seconds


def _retry_options(ctx, retry_data):
    """Check the retry options; returns the platform options the adapter's retry takes."""
    params, adapter = ctx.params, ctx.adapter
    if params["strategy"] not in adapter.retry_strategies:
        raise adapter.unsupported("strategy '%s'" % params["strategy"], "use one of %s" % ", ".join(adapter.retry_strategies))
    check_range("wait_timeout", params["wait_timeout"], 0, MAX_WAIT)
    check_range("poll_interval", params["poll_interval"], MIN_POLL, 3600)
    check_range("platform_retry_margin", params["platform_retry_margin"], 0, 86400)
    check_retry_data_options(ctx, retry_data)
    options = {}
    if params["restart_from_step"] is not None:
        if not params["restart_from_step"].strip():
            raise ValidationError("restart_from_step: give the name of the step to restart from")
        adapter.require("restart_from_step", "restart_from_step")
        options["from_step"] = params["restart_from_step"]
    return options


def _scheduled_by_platform(error, margin, now):
    """The reason an error is left to the platform's own retry: its ``retryAt`` (when the platform is scheduled to
    auto-retry it, Celigo ref FlowStepError) is at most ``margin`` seconds from ``now``; else None."""
    value = error.get("retryAt")
    if not margin or not value:
        return None
    try:
        when = iso_time(str(value))
    except (ValueError, OverflowError):
        return None  # not a time we can read: never a reason to hold a key back
    if abs((when - now).total_seconds()) > margin:
        return None
    return "the platform retries it itself at %s (retryAt, within platform_retry_margin %d s)" % (value, margin)


def _account(ctx, error, disabled, earlier, skip_disabled, now):
    """The ledger row (``Ledger.add_many``) of one selected error: its key and the action it starts at."""
    flow_id, step_id, key, error_id = error["_flowId"], error["_stepId"], error.get("retryDataKey"), error["errorId"]
    earlier_job = earlier.took(key, error_id) if key else None
    scheduled = _scheduled_by_platform(error, ctx.params["platform_retry_margin"], now) if key else None
    if not key:
        return flow_id, step_id, error_id, error_id, NOT_RETRYABLE, NO_KEY
    if scheduled:
        return flow_id, step_id, key, error_id, SCHEDULED_BY_PLATFORM, scheduled
    if skip_disabled and flow_id in disabled:
        return flow_id, step_id, key, error_id, SKIPPED_DISABLED, "flow is disabled (skip_disabled: true)"
    if earlier_job:
        return (flow_id, step_id, key, error_id, ALREADY_DONE,
                "retried by an earlier run with run_id %s (job %s)" % (ctx.run_id, earlier_job))
    return flow_id, step_id, key, error_id, TO_RETRY, None


def _wait_and_reconcile(ctx, jobs):
    params = ctx.params
    finished, error = wait_and_reconcile(ctx, jobs, ctx.ledger.keys(RETRIED), params["wait_timeout"], params["poll_interval"])
    if not finished:
        ctx.warn("some retry jobs were still running after wait_timeout (%s s); their keys are pending" % params["wait_timeout"])
    if error:
        ctx.warn("the outcome of the retries could not be reconciled (%s); retried keys are reported as pending" % error)


# Options a plan records and its apply run must repeat (see module_utils/_bulk/plan.py).
PLAN_OPTIONS = tuple(sorted(set(SELECTION_SPEC) - {"dismissed_file"})) + (
    "skip_disabled", "strategy", "restart_from_step", "from_backup")


def build(settings, adapter):
    """What a retry run needs, built once from the validated options before any request (see _run/runner.py)."""
    params = settings.params
    replay = open_backup(params.get("from_backup"))  # before the selection: a backup names its own flows
    options = selection_options(params, replay)
    return dict(
        selection=ErrorSelection(options),
        # A replayed error dismissed locally is still open on the platform: a replay does not skip dismissed errors.
        dismissed=None if replay else dismissed_errors(adapter, params.get("dismissed_file")),
        replay=replay,
        bulk=BulkOptions.from_params(params),
        gate=PlanGate(PlanOptions.from_params(options, PLAN_OPTIONS), "flow_errors_retry", "retryDataKey", {TO_RETRY: "retry"},
                      adapter.name, settings.run_id, settings.check_mode),
        canary=CanaryOptions.from_params(params),
        retry_data=RetryDataOptions.from_params(params),
        ledgers=partial(Ledger, directory=settings.tmpdir),
        open_journal=journal_opener(params.get("report_file"), settings.run_id),
    )


def run(ctx, bulk, gate, canary, replay, retry_data, ledgers, open_journal):
    """Retry the selected keys. ``ctx`` is the run's context; the rest are the collaborators ``build`` makes."""
    size = bulk.check(ctx.adapter, ctx.check_mode)
    options = _retry_options(ctx, retry_data)
    with report_lock(bulk.report_file, ctx.run_id, ctx.check_mode):
        return _run(ctx, size, options, bulk, gate, canary, replay, retry_data, ledgers, open_journal)


def _run(ctx, size, options, bulk, gate, canary_options, replay, retry_data, ledgers, open_journal):
    params = ctx.params
    canary = canary_options.settings()
    gate.check()
    earlier = EarlierRun(bulk.report_file, bulk.run_id, (RETRIED,))
    started = utc_now()
    flows = select_flows(ctx)
    disabled = set(flow["_id"] for flow in flows if flow["disabled"])
    extra = (PLAN_ACTIONS if gate.active else ()) + (CANARY_ACTIONS if canary else ()) + (REPLAY_ACTIONS if replay else ())
    extra += PLATFORM_RETRY_ACTIONS if params["platform_retry_margin"] else ()
    ledger = ledgers(flows, RETRY_ACTIONS + extra, RETRY_OUTCOMES)
    ctx = ctx.with_ledger(ledger)
    now = datetime.now(timezone.utc)
    ledger.add_many(_account(ctx, error, disabled, earlier, bulk.skip_disabled, now)
                    for error in iter_selected_errors(ctx, flows) if not replay or replay.wants(error))
    if replay:
        account_unreplayable(ledger, replay, ctx.adapter.name)
    bulk.guard_max_errors(len(ledger), "retried", "retry keys")
    held = gate.hold_to_plan(ledger, TO_RETRY, earlier.done) if gate.active and not ctx.check_mode else None

    result = dict(changed=False, run_id=ctx.run_id, jobs=[], failed_again_keys=[])
    header = dict(run_id=ctx.run_id, started=started, check_mode=ctx.check_mode, strategy=params["strategy"])
    if options:
        header["options"] = options
    if held:
        result.update(plan_file=held["plan_file"], plan_sha256=held["plan_sha256"], plan=held)
    patch_retry_data(ctx, retry_data, result, header)  # fix, then retry: before any retry is sent (check mode: the diff only)
    if ctx.check_mode:
        if gate.active:
            result.update(gate.write(ledger))
        ledger.relabel(TO_RETRY, RETRIED, "check mode: would be retried")
        result["changed"] = ledger.count(RETRIED) > 0
        return finish_bulk(ctx, "flow_errors_retry", result, "retryDataKey", header, "retried", bulk.report_file)

    journal = open_journal() if open_journal else None
    try:
        def send():
            return submit(ctx, params["strategy"], size, options, journal, settle_rounds=params["max_retries"])

        waves = CanaryWaves(ctx, canary, send, (params["wait_timeout"], params["poll_interval"])) if canary else None
        result["jobs"] = waves.run() if waves else send()
        if waves:
            result["waves"] = waves.waves
        retried = ledger.count(RETRIED)
        result["changed"] = retried > 0
        if params["wait"] and retried and not waves:  # the waves waited and reconciled wave by wave
            _wait_and_reconcile(ctx, result["jobs"])
        result["failed_again_keys"] = ledger.keys(outcome="failed_again")
        finish_bulk(ctx, "flow_errors_retry", result, "retryDataKey", header, "retried", bulk.report_file)
    finally:
        if journal:
            journal.close(remove=bool(result.get("report_file")))

    if waves and waves.tripped:
        raise fail_with_result(waves.tripped, result)
    counts = result["counts"]
    unfinished = counts["failed"] + counts["in_doubt"]
    if unfinished:
        first = ledger.first_reason(("failed", "in_doubt"))
        raise fail_with_result("retried %d of %d selected keys; %d keys remain not retried (%d failed, %d in doubt): %s"
                               % (counts["retried"], counts["selected"], unfinished, counts["failed"], counts["in_doubt"],
                                  first), result)
    return result


def main():
    run_module(run, ARGUMENT_SPEC, build)


if __name__ == "__main__":
    main()
