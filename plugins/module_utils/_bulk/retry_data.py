# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fix, then retry: patch each selected key's stored retry data before flow_errors_retry retries it.

The platform keeps, per retryDataKey, an envelope whose ``data`` is the record a retry re-runs (Celigo:
``GET``/``PUT /v1/flows/{_id}/{_stepId}/{retryDataKey}/data``, a full replace of the envelope).
``retry_data_patch`` merges a dict into ``data`` (top level); ``retry_data_template`` is a Jinja expression,
evaluated in a sandbox with ``data`` (the stored record) and ``error`` (the error record), whose dict replaces
``data``. Every new envelope is computed, and every original written to ``backup_file``, before the first PUT:
a template that fails on one record, a fetch that fails, or a backup that cannot be written patches nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import json

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, ValidationError
from ansible_collections.flowops.ipaas.plugins.module_utils._output.files import JsonLinesWriter, check_writable, default_backup_file
from ansible_collections.flowops.ipaas.plugins.module_utils._bulk.states import FAILED, TO_RETRY

RETRY_DATA_SPEC = dict(
    retry_data_patch=dict(type="dict"),
    retry_data_template=dict(type="str"),
    backup_file=dict(type="path"),
)
DIFF_MAX_KEYS = 20  # --diff shows the first keys' before/after ...
DIFF_MAX_CHARS = 2000  # ... each side cut at this many characters


class RetryDataOptions:
    """The retry data options, typed: read once from the validated options when the run is built."""

    def __init__(self, patch=None, template=None, backup_file=None):
        self.patch = patch
        self.template = template
        self.backup_file = backup_file

    @classmethod
    def from_params(cls, params):
        return cls(params.get("retry_data_patch"), params.get("retry_data_template"), params.get("backup_file"))

    def option(self):
        """The patch option in use, or None; both at once is refused."""
        if self.patch is not None and self.template is not None:
            raise ValidationError("retry_data_patch: set retry_data_patch or retry_data_template, not both")
        if self.patch is not None:
            return "retry_data_patch"
        if self.template is not None:
            return "retry_data_template"
        return None


def _compile(expression):
    # jinja2 is imported here, when a template is given: at the top it cost every retry run about 20 ms.
    try:
        from jinja2 import StrictUndefined, TemplateError
        from jinja2.sandbox import ImmutableSandboxedEnvironment
    except ImportError:
        raise ValidationError("retry_data_template: needs the jinja2 Python library on the host running the module")
    if not expression.strip():
        raise ValidationError("retry_data_template: give a Jinja expression, e.g. dict(data, amount=data.amount | float)")
    if "{{" in expression or "{%" in expression:
        raise ValidationError("retry_data_template: write the expression without {{ }} (like a when: condition)")
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    try:
        return environment.compile_expression(expression, undefined_to_none=False)
    except TemplateError as exc:
        raise ValidationError("retry_data_template: %s" % _one_line(exc))


def _one_line(exc):
    return " ".join(str(exc).split()) or type(exc).__name__


def check_retry_data_options(ctx, options):
    """Before any request: the patch ``options`` are consistent, the platform can patch, the backup is writable."""
    option = options.option()
    if option is None:
        if options.backup_file:
            raise ValidationError("backup_file: only used with retry_data_patch or retry_data_template")
        return
    ctx.adapter.require("put_retry_data", "patching retry data (%s)" % option)
    if option == "retry_data_template":
        _compile(options.template)
    if not ctx.check_mode:
        check_writable(options.backup_file, "backup_file")


class _NewData:
    """What replaces a record's ``data``: the patch merged in, or the template's dict."""

    def __init__(self, options):
        self.option = options.option()
        self.patch = options.patch
        self.template = _compile(options.template) if self.option == "retry_data_template" else None

    def __call__(self, key, data, error):
        if self.template is None:
            if not isinstance(data, dict):
                raise FlowOpsError("retry_data_patch: the retry data of key %s is a %s, not an object; nothing was "
                                   "patched or retried" % (key, _json_type(data)))
            merged = copy.deepcopy(data)
            merged.update(copy.deepcopy(self.patch))
            return merged
        try:
            value = self.template(data=copy.deepcopy(data), error=copy.deepcopy(error))
        except Exception as exc:  # pylint: disable=broad-except  # any error the expression raises is the user's
            raise FlowOpsError("retry_data_template: %s (key %s); nothing was patched or retried" % (_one_line(exc), key))
        if not isinstance(value, dict):
            raise FlowOpsError("retry_data_template: must give a dict, gave a %s for key %s; nothing was patched or "
                               "retried" % (_json_type(value), key))
        try:
            return json.loads(json.dumps(value))
        except (TypeError, ValueError) as exc:
            raise FlowOpsError("retry_data_template: the dict for key %s is not JSON (%s); nothing was patched or "
                               "retried" % (key, _one_line(exc)))


def _json_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", dict: "object", list: "array", type(None): "null"}.get(type(value), type(value).__name__)


def _targets(ctx):
    """``[(flow_id, step_id, key)]`` of every key the run is about to retry, step by step."""
    return [(flow_id, step_id, key) for (flow_id, step_id), keys in ctx.ledger.groups(TO_RETRY) for key in keys]


def _error_records(ctx, targets, error_ids):
    """``{key: error record}`` from a fresh listing of each step (the template's ``error``): the error each key was
    selected with (``error_ids``: ``{key: error id}``), if it is still listed."""
    steps = sorted(set((flow_id, step_id) for flow_id, step_id, dummy in targets))

    def listing(step):
        return [error for error in ctx.adapter.iter_errors(*step)
                if error.get("retryDataKey") in error_ids and error.get("errorId") == error_ids[error["retryDataKey"]]]

    found = {}
    for dummy, errors in ctx.fan_out_all(listing, steps):
        found.update((error["retryDataKey"], error) for error in errors)
    return found


def _fetch(ctx, targets):
    """``[(target, envelope or None)]``: None when the platform has no retry data for the key (404)."""
    def get(target):
        try:
            return ctx.adapter.retry_data(*target)
        except FlowOpsError as exc:
            if exc.status == 404:
                return None
            raise
    try:
        return ctx.fan_out_all(get, targets)
    except FlowOpsError as exc:
        raise FlowOpsError("retry data could not be read (%s); nothing was patched or retried" % exc)


def _write_backup(ctx, path, fetched, error_ids):
    """Every original envelope to ``path`` (``backup_file``; resolve's JSON-lines records, with ``retryData``); returns
    the path written."""
    path = path or default_backup_file("retry-data", ctx.run_id)
    try:
        backup = JsonLinesWriter(path)
    except (OSError, FlowOpsError) as exc:
        raise FlowOpsError("backup_file: cannot create the backup (%s); nothing was patched or retried" % exc)
    try:
        for (flow_id, step_id, key), envelope in fetched:
            if envelope is not None:
                backup.write({"retryDataKey": key, "errorId": error_ids[key], "_flowId": flow_id, "_stepId": step_id,
                              "retryData": envelope})
        return backup.commit()
    except (OSError, FlowOpsError) as exc:
        backup.abort()
        raise FlowOpsError("backup_file: cannot write the backup (%s); nothing was patched or retried" % exc)


def _diff(changes):
    """``--diff`` entries: before/after of the first keys' data, each side capped; a note says how many more."""
    entries = []
    for (flow_id, step_id, key), before, after in changes[:DIFF_MAX_KEYS]:
        header = "retry data %s/%s/%s" % (flow_id, step_id, key)
        entries.append({"before_header": header, "after_header": header, "before": _shown(before), "after": _shown(after)})
    if len(changes) > DIFF_MAX_KEYS:
        entries.append({"prepared": "... and the retry data of %d more keys (the backup file holds every original)\n"
                                    % (len(changes) - DIFF_MAX_KEYS)})
    return entries


def _shown(data):
    text = json.dumps(data, indent=2, sort_keys=True)
    if len(text) > DIFF_MAX_CHARS:
        text = text[:DIFF_MAX_CHARS] + "\n... (%d more characters)" % (len(text) - DIFF_MAX_CHARS)
    return text + "\n"


def _put_all(ctx, changes):
    """PUT every changed envelope; a key whose PUT fails is not retried (``failed``). Returns how many were patched."""
    def put(change):
        (flow_id, step_id, key), dummy, envelope = change
        if ctx.controller_gone():
            return False
        ctx.adapter.put_retry_data(flow_id, step_id, key, envelope)
        return True

    patched = 0
    for change, done, error in ctx.fan_out(put, changes):
        key = change[0][2]
        if error is not None:
            ctx.ledger.set_action(key, FAILED, reason="retry data not patched (%s); not retried" % error)
        elif done:
            patched += 1
    ctx.stop_if_controller_gone("the retry data of %d keys was patched; nothing was retried" % patched)
    return patched


def patch_retry_data(ctx, options, result, header):
    """Patch the stored retry data of every key about to be retried (nothing without a patch option in ``options``).

    Adds ``retry_data`` (counts and the backup file) to ``result`` and, with ``--diff``, the before/after per key.
    In check mode the data is read and the diff shown, but nothing is written or sent.
    """
    if options.option() is None:
        return
    new_data = _NewData(options)
    targets = _targets(ctx)
    error_ids = ctx.ledger.error_id_of([key for dummy, dummy2, key in targets])
    errors = _error_records(ctx, targets, error_ids) if new_data.template is not None else {}
    fetched = _fetch(ctx, targets)
    changes, missing = _changes(error_ids, new_data, fetched, errors)
    for key in missing:
        ctx.ledger.set_action(key, FAILED, reason="no retry data for this key (HTTP 404): not patched, not retried")
    summary = {"selected": len(targets), "patched": 0, "unchanged": len(targets) - len(changes) - len(missing),
               "no_retry_data": len(missing), "failed": 0}
    if ctx.diff:
        result["diff"] = _diff([(target, before, envelope["data"]) for target, before, envelope in changes])
    if ctx.check_mode:
        summary["patched"] = len(changes)  # would be
    elif len(missing) < len(targets):  # some retry data to back up (no empty backup file)
        summary["backup_file"] = result["backup_file"] = header["backup_file"] = _write_backup(ctx, options.backup_file, fetched, error_ids)
        summary["patched"] = _put_all(ctx, changes)
        summary["failed"] = len(changes) - summary["patched"]
    result["retry_data"] = summary
    header["retry_data"] = summary


def _changes(error_ids, new_data, fetched, errors):
    """``([(target, data before, new envelope)] for the keys whose data changes, [keys without retry data])``."""
    changes, missing = [], []
    for target, envelope in fetched:
        key = target[2]
        if envelope is None:
            missing.append(key)
            continue
        data = envelope.get("data")
        after = new_data(key, data, errors.get(key) or _bare_error(error_ids, target))
        if after != data:
            changes.append((target, data, dict(envelope, data=after)))
    return changes, missing


def _bare_error(error_ids, target):
    """The error fields the ledger knows, when the fresh listing no longer shows the key's error."""
    flow_id, step_id, key = target
    return {"errorId": error_ids[key], "retryDataKey": key, "_flowId": flow_id, "_stepId": step_id}
