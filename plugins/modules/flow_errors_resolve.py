#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: flow_errors_resolve
short_description: Resolve (dismiss) selected open errors, with a backup first
version_added: 1.0.0
description:
  - Selects open errors like M(flowops.ipaas.flow_errors_info) and marks them resolved, in batches of at most
    O(batch_size) error ids per request, fanned out over flows and steps with bounded concurrency in one task.
    Resolving does not retry anything; use it for errors the team decided to drop (for example duplicates).
  - Works per key, like M(flowops.ipaas.flow_errors_retry) - the C(retryDataKey) (on Activepieces, Cloudflare and
    SuperAI the run, instance or execution id). A key listed with several open errors (Celigo may keep a retried
    error open beside the one its failed retry left) is resolved once with all of them in the same request, counted
    once and reported once with every error id. An error without a C(retryDataKey) (not retryable) is its own key,
    under its C(errorId).
  - O(max_errors) counts error ids, not keys; a key with two open errors counts two.
  - With O(backup=true) every selected record (and, with O(backup_retry_data=true), its stored retry data) is
    written to O(backup_file) before anything is resolved; if the backup cannot be written nothing is resolved.
  - Idempotent; errors already resolved are not selected again, so a rerun reports C(changed=false).
  - In check mode nothing is sent or written; the result (and C(--diff)) shows what would be resolved.
extends_documentation_fragment: [flowops.ipaas.connection, flowops.ipaas.selection, flowops.ipaas.selection.errors, flowops.ipaas.bulk,
                                 flowops.ipaas.plan, flowops.ipaas.attributes, flowops.ipaas.attributes.action]
options:
  backup:
    description:
      - Write every selected record to O(backup_file), one JSON object a line, before resolving anything.
    type: bool
    default: false
  backup_file:
    description:
      - Where the backup goes. Default is C(~/.flowops/backups/resolve-<time>-<run id>.jsonl) on the host running
        the module.
    type: path
  backup_retry_data:
    description:
      - Also save each record's stored retry data (the payload a retry would re-run) in the backup, under
        C(retryData). One extra request per retryable record.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Drop the duplicates of an abstract flow, keeping a backup
  flowops.ipaas.flow_errors_resolve:
    abstract_flow_id: 6a0fc7eb7202049b32ea45b0
    classifications: [duplicate]
    backup: true
    backup_file: /var/backups/flowops/duplicates.jsonl
    max_errors: 2000
    report_file: /var/log/flowops/resolve.json
  register: dropped

- name: Resolve specific errors, showing what would change first
  flowops.ipaas.flow_errors_resolve:
    flow_ids: [6a0fc7eb7202049b32ea45b1]
    error_ids: [6a0fd1e2a1b2c3d4e5f60718, 6a0fd1e2a1b2c3d4e5f60719]
  check_mode: true
  diff: true
"""

RETURN = r"""
counts:
  description:
    - Selected keys by what was done (C(resolved), C(failed)); C(selected) counts them all. A key is its
      C(retryDataKey), or the C(errorId) of an error without one; a key with two open errors counts once.
    - C(changed_since_listing) counts keys whose every error was read again just before the write and had changed
      since it was listed (Activepieces, SuperAI); nothing was sent for those.
    - With O(plan_file), C(not_in_plan) counts keys a O(plan_tolerance=subset) run left alone (not in the plan).
  returned: always
  type: dict
  sample: {selected: 60, resolved: 60, failed: 0}
error_counts:
  description:
    - The same counts in error ids rather than keys (a key resolved with two open errors counts two here).
  returned: always
  type: dict
  sample: {selected: 62, resolved: 62, failed: 0}
per_flow:
  description: The same counts (keys) per flow id (with C(name) and C(disabled)), and per step id under C(steps).
  returned: always
  type: dict
  sample: {"6a0fc7eb7202049b32ea45b1": {name: "Orders to ERP (EU store)", disabled: false, counts: {selected: 3, resolved: 3, failed: 0},
                                        steps: {"6a0fcdfa3f8562a7b1a3b3f2": {selected: 3, resolved: 3, failed: 0}}}}
jobs:
  description: Always empty; resolving creates no jobs. Kept so retry and resolve results share one shape.
  returned: always
  type: list
  elements: dict
  sample: []
not_open_error_ids:
  description: Ids given in O(error_ids) that are not open in the selected flows (already resolved, purged or unknown).
  returned: always
  type: list
  elements: str
  sample: ["6a0fd1e2a1b2c3d4e5f60799"]
run_id:
  description: Id of this run, recorded in the report.
  returned: always
  type: str
  sample: 3f2b9c1e8d4a4f6b9a0c2e7d5b1f8a36
backup_file:
  description: Path of the backup written.
  returned: when O(backup=true), errors were selected, and not in check mode
  type: str
  sample: /home/ops/.flowops/backups/resolve-20261120T043012Z-3f2b9c1e.jsonl
report_file:
  description:
    - Path of the JSON report, one entry per key (C(retryDataKey); the C(errorId) for an error without one) with
      C(errorIds), every error id it was listed with and resolved with, C(errorId) (the newest), its action
      (resolved, failed, changed_since_listing, not_in_plan) and reason.
  returned: when O(report_file) is set and not in check mode
  type: str
  sample: /var/log/flowops/resolve.json
plan_sha256:
  description: SHA-256 of the plan's keys with their newest error id in canonical order (see O(plan_file)); the value
    an approver pins.
  returned: when O(plan_file) is set
  type: str
  sample: 4b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c
plan_file:
  description: Path of the resolve plan written (check mode) or applied (real run).
  returned: when O(plan_file) is set
  type: str
  sample: /srv/flowops/plans/incident-42-resolve.json
plan:
  description: How the live selection compared with the plan in a real run, in keys; C(planned) is the plan's size.
  returned: when O(plan_file) is set and not in check mode
  type: dict
  sample: {plan_file: /srv/flowops/plans/incident-42-resolve.json, plan_sha256: 4b1d0c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c,
           tolerance: exact, planned: 60, added: 0, removed: 0, changed: 0}
counts_planned:
  description: Keys of the written plan by planned action (C(resolve)); C(selected) counts them all.
  returned: when O(plan_file) is set in check mode
  type: dict
  sample: {selected: 60, resolve: 60}
"""

from functools import partial

# _run first: the module_utils imported after it are compiled once (module_utils/_run/zip_imports.py)
from ansible_collections.flowops.ipaas.plugins.module_utils._run.runner import module_spec, run_module
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError, fail_with_result
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.ledger import Ledger
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.options import BULK_SPEC, BulkOptions
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.plan import PLAN_SPEC, PlanGate, PlanOptions
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.resume import report_lock
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import (
    CHANGED_SINCE_LISTING, FAILED, PLAN_ACTIONS, RESOLVE_ACTIONS, RESOLVED, TO_RESOLVE,
)
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import JsonLinesWriter, check_writable, default_backup_file, utc_now
from ansible_collections.flowops.ipaas.plugins.module_utils._output.reports import finish_bulk
from ansible_collections.flowops.ipaas.plugins.module_utils._select.dismissals import dismissed_errors, dismissed_for
from ansible_collections.flowops.ipaas.plugins.module_utils._select.selection import SELECTION_SPEC, ErrorSelection
from ansible_collections.flowops.ipaas.plugins.module_utils._select.targets import iter_selected_errors, select_flows

ARGUMENT_SPEC = module_spec(
    SELECTION_SPEC,
    BULK_SPEC,
    PLAN_SPEC,
    dict(
        backup=dict(type="bool", default=False),
        backup_file=dict(type="path"),
        backup_retry_data=dict(type="bool", default=False),
    ),
)


def _retry_data_fetcher(adapter):
    def attach(error):
        if not error.get("retryDataKey"):
            return
        try:
            error["retryData"] = adapter.retry_data(error["_flowId"], error["_stepId"], error["retryDataKey"])
        except FlowOpsError as exc:
            if exc.status != 404:
                raise
            error["retryData"] = None
    return attach


def _key_of(error):
    """The key an error is resolved under: its retryDataKey (on Activepieces, Cloudflare and SuperAI the run, instance or
    execution id); an error without one (not retryable) is its own key, under its errorId."""
    return error.get("retryDataKey") or error["errorId"]


def _key_batches(ledger, size):
    """``(flow_id, step_id, {key: [error ids]})`` with at most ``size`` error ids each and every id of a key in the same
    batch; a key with more open errors than ``size`` goes alone (its ids are then sent ``size`` at a time)."""
    for (flow_id, step_id), keys in ledger.groups(TO_RESOLVE):
        listed = ledger.error_ids_of(keys)
        batch, count = {}, 0
        for key in keys:
            ids = sorted(listed[key])
            if batch and count + len(ids) > size:
                yield flow_id, step_id, batch
                batch, count = {}, 0
            batch[key] = ids
            count += len(ids)
        if batch:
            yield flow_id, step_id, batch


def _per_key(ids_of, changed, failed):
    """``[(keys, action, reason)]`` from what each error id met: a key is ``failed`` when a request carrying one of its
    ids failed, ``changed_since_listing`` when every one of its ids changed since the listing (nothing was sent for
    it), else ``resolved`` (naming the ids that changed, if any)."""
    resolved, by_reason = [], {}
    for key, ids in ids_of.items():
        refused = [error_id for error_id in ids if error_id in failed]
        moved = [error_id for error_id in ids if error_id in changed]
        if refused:
            action, reason = FAILED, failed[refused[0]]
        elif moved and len(moved) == len(ids):
            action, reason = CHANGED_SINCE_LISTING, "changed since it was listed (%s): not resolved" % "; ".join(
                "%s" % changed[error_id] for error_id in moved)
        elif moved:
            action, reason = RESOLVED, "resolved %s; changed since it was listed, not resolved: %s" % (
                ", ".join(e for e in ids if e not in changed), "; ".join("%s (%s)" % (e, changed[e]) for e in moved))
        else:
            resolved.append(key)
            continue
        by_reason.setdefault((action, reason), []).append(key)
    results = [(resolved, RESOLVED, None)] if resolved else []
    return results + [(keys, action, reason) for (action, reason), keys in by_reason.items()]


def _resolve_batch(ctx, size):
    """Dismiss one batch of keys with every error id they were listed with: on the platform, or, where it has no such
    call, in the dismissed file."""
    adapter, dismissed = ctx.adapter, dismissed_for(ctx)
    local_reason = "recorded in %s; nothing sent (%s)" % (
        dismissed.path if dismissed else "", adapter.unsupported_hints.get("resolve", "the platform cannot dismiss it"))

    def send(batch):
        """``[(keys, action, reason)]`` for one batch."""
        flow_id, step_id, ids_of = batch
        if ctx.controller_gone():
            return []  # nothing more is sent once ansible-playbook is gone
        keys, error_ids = list(ids_of), [error_id for ids in ids_of.values() for error_id in ids]
        if dismissed is not None:
            try:
                dismissed.record([{"errorId": e, "_flowId": flow_id, "_stepId": step_id} for e in error_ids], ctx.run_id)
            except FlowOpsError as exc:
                return [(keys, FAILED, str(exc))]
            return [(keys, RESOLVED, local_reason)]
        changed, failed = {}, {}
        for start in range(0, len(error_ids), size):
            try:
                changed.update(adapter.resolve(flow_id, step_id, error_ids[start:start + size]) or {})
            except FlowOpsError as exc:
                failed = dict.fromkeys(error_ids[start:], str(exc))  # the rest of the batch is not sent
                break
        return _per_key(ids_of, changed, failed)
    return send


def _check_resolve_mode(ctx):
    adapter, params = ctx.adapter, ctx.params
    if adapter.resolve_mode == "delete" and not params["backup"] and not ctx.check_mode:
        raise ValidationError("backup: platform '%s' deletes resolved items for good (%s); set backup: true so a "
                              "copy is kept first" % (adapter.name, adapter.unsupported_hints.get("undelete", "no undelete")))
    if adapter.resolve_mode == "local":
        ctx.warn("platform '%s' has no call that dismisses a finished item: resolved errors are recorded in %s and "
                 "skipped by later runs; nothing is sent" % (adapter.name, dismissed_for(ctx).path))


def _open_backup(ctx):
    params = ctx.params
    if not params["backup"] or ctx.check_mode:
        return None
    try:
        return JsonLinesWriter(params["backup_file"] or default_backup_file("resolve", ctx.run_id))
    except (OSError, FlowOpsError) as exc:
        raise FlowOpsError("backup_file: cannot create the backup (%s); nothing was resolved" % exc)


def _account_errors(ctx, errors, backup, planned):
    """Account for every selected error under its key (``_key_of``); the backup gets every error record once, every
    open error of a key (``planned``: only those of the plan's keys). Returns ``(error ids asked for by error_ids,
    those listed)``."""
    ledger, wanted, found = ctx.ledger, set(ctx.selection.error_ids), set()
    for error in errors:
        flow_id, step_id, error_id, key = error["_flowId"], error["_stepId"], error["errorId"], _key_of(error)
        new_key, new_id = ledger.add_listed(flow_id, step_id, key, error_id, TO_RESOLVE)
        if new_key is None:  # the same key on another step: this error is its own key there
            key = error_id
            new_key, new_id = ledger.add_listed(flow_id, step_id, key, error_id, TO_RESOLVE)
        if error_id in wanted:
            found.add(error_id)
        if new_id and backup and (planned is None or key in planned):
            backup.write(error)
    return wanted, found


def build(settings, adapter):
    """What a resolve run needs, built once from the validated options before any request (see _run/runner.py)."""
    params = settings.params
    return dict(
        selection=ErrorSelection(params),
        dismissed=dismissed_errors(adapter, params.get("dismissed_file")),
        bulk=BulkOptions.from_params(params),
        gate=PlanGate(PlanOptions.from_params(params, PLAN_OPTIONS), "flow_errors_resolve", "retryDataKey",
                      {TO_RESOLVE: "resolve"}, adapter.name, settings.run_id, settings.check_mode),
        ledgers=partial(Ledger, directory=settings.tmpdir),
    )


def run(ctx, bulk, gate, ledgers):
    """Resolve the selected errors. ``ctx`` is the run's context; the rest are the collaborators ``build`` makes."""
    size = bulk.check(ctx.adapter, ctx.check_mode)
    with report_lock(bulk.report_file, ctx.run_id, ctx.check_mode):
        return _run(ctx, size, bulk, gate, ledgers)


# Options a plan records and its apply run must repeat (see module_utils/_bulk/plan.py).
PLAN_OPTIONS = tuple(sorted(set(SELECTION_SPEC) - {"dismissed_file"})) + ("skip_disabled",)


def _run(ctx, size, bulk, gate, ledgers):
    params, adapter = ctx.params, ctx.adapter
    gate.check()
    if adapter.resolve_mode != "local":
        adapter.require("resolve", "resolving errors")
    _check_resolve_mode(ctx)
    if params["backup"] and params["backup_file"] and not ctx.check_mode:
        check_writable(params["backup_file"], "backup_file")
    if adapter.resolve_mode == "local" and not ctx.check_mode:
        dismissed_for(ctx).check_writable()
    started = utc_now()
    flows = select_flows(ctx)
    ledger = ledgers(flows, RESOLVE_ACTIONS + (PLAN_ACTIONS if gate.active else ()), list_error_ids=True)
    ctx = ctx.with_ledger(ledger)
    planned = set(entry["key"] for entry in gate.plan["keys"]) if gate.plan else None  # the backup holds only these

    backup = _open_backup(ctx)
    enrich = _retry_data_fetcher(adapter) if backup and params["backup_retry_data"] else None
    try:
        wanted, found = _account_errors(ctx, iter_selected_errors(ctx, flows, enrich=enrich), backup, planned)
        bulk.guard_max_errors(ledger.error_counts()["selected"], "resolved")
        held = gate.hold_to_plan(ledger, TO_RESOLVE) if gate.active and not ctx.check_mode else None
    except Exception:
        if backup:
            backup.abort()
        raise

    result = dict(changed=False, run_id=ctx.run_id, jobs=[], not_open_error_ids=sorted(wanted - found))
    header = dict(run_id=ctx.run_id, started=started, check_mode=ctx.check_mode)
    if backup and backup.count:
        # The backup is complete and in place before the first write request.
        result["backup_file"] = backup.commit()
        header["backup_file"] = result["backup_file"]
    elif backup:
        backup.abort()  # nothing selected: no empty backup file
    if held:
        result.update(plan_file=held["plan_file"], plan_sha256=held["plan_sha256"], plan=held)
    if ctx.check_mode:
        if gate.active:
            result.update(gate.write(ledger))
        ledger.relabel(TO_RESOLVE, RESOLVED, "check mode: would be resolved")
    else:
        total, done = ledger.error_counts().get(TO_RESOLVE, 0), 0  # progress in error ids (progress_file: errors resolved)
        for batch, outcomes, _error in ctx.fan_out(_resolve_batch(ctx, size), _key_batches(ledger, size)):
            for keys, action, reason in outcomes or ():
                ledger.set_action(keys, action, reason=reason)
            done += sum(len(ids) for ids in batch[2].values()) if outcomes else 0
            ctx.progress("resolving", done, total)  # counted as it goes: a ledger count per batch is O(errors)
        ctx.progress("resolving", done, total, final=True)
        ctx.stop_if_controller_gone("%d keys were resolved, %d not" % (ledger.count(RESOLVED), ledger.count(TO_RESOLVE)))
    result["changed"] = ledger.count(RESOLVED) > 0
    result["error_counts"] = ledger.error_counts()
    finish_bulk(ctx, "flow_errors_resolve", result, "retryDataKey", header, "resolved", bulk.report_file)

    failed = result["counts"]["failed"]
    if failed:
        first = ledger.first_reason((FAILED,))
        raise fail_with_result("resolved %d of %d selected keys (%d of %d errors); %d keys could not be resolved: %s"
                               % (result["counts"]["resolved"], result["counts"]["selected"], result["error_counts"]["resolved"],
                                  result["error_counts"]["selected"], failed, first), result)
    return result


def main():
    run_module(run, ARGUMENT_SPEC, build)


if __name__ == "__main__":
    main()
