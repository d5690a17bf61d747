# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seam between modules and platforms.

Modules speak in flows, steps, errors, jobs and connections; an adapter maps those onto one
platform's REST API. Records an adapter returns are normalised:

- flow: ``{"_id", "name", "disabled", "_abstractFlowId", "_integrationId"}``
- step: ``{"_id", "name", "type"}`` in flow order
- error: the platform's record plus ``_flowId`` and ``_stepId``; ``errorId`` identifies it,
  ``retryDataKey`` (absent when not retryable) is what a retry takes
- job: ``{"_id", "status", "done"}`` plus the platform's fields

What a platform can do is declared as data (``capabilities``); anything it cannot do raises
``UnsupportedOperation`` naming the platform, before any request. Listings go through the shared pagers
(paging.py), fan-out and warnings through the callables the run gives ``bind`` (never the run's context).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
from urllib.parse import quote

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError, UnsupportedOperation, ValidationError


def path_segment(value):
    """One URL path segment; '.' and '..' are escaped so an id can never climb the path."""
    segment = quote(str(value), safe="")
    return segment.replace(".", "%2E") if segment in (".", "..") else segment


# Body checks ------------------------------------------------------------------------------------
# Every body an adapter reads is checked before use, so a malformed one fails in one line naming the endpoint
# (``GET /v1/flows/x: unexpected response: ...``). They run per listed item: a type check each, and the message
# is built only on failure.

NULL = type(None)
STRING = (str,)
OPTIONAL_STRING = (str, NULL)
OPTIONAL_OBJECT = (dict, NULL)
OPTIONAL_LIST = (list, NULL)
ID = (str, int)  # some platforms number their ids
_JSON_KINDS = ((bool, "a boolean"), (str, "a string"), ((int, float), "a number"), (list, "an array"), (dict, "an object"),
               (NULL, "null"))


def json_kind(value):
    """What a parsed JSON value is, in JSON's words."""
    for kinds, name in _JSON_KINDS:
        if isinstance(value, kinds):
            return name
    return type(value).__name__


def _kinds(types):
    names = []
    for kind in types:
        name = json_kind(kind()) if kind is not NULL else "null"
        if name not in names:
            names.append(name)
    return " or ".join(names)


def malformed(what, method, path, status=None, may_have_applied=False):
    """The one-line error for a body of an unexpected shape."""
    return FlowOpsError("unexpected response: %s" % what, status=status, method=method, path=path,
                        may_have_applied=may_have_applied)


def require_fields(body, fields, what, method, path):
    """``body`` when it is a JSON object whose fields hold the given types: ``fields`` is ``((name, types), ...)``
    and an absent field counts as null. ``what`` names the body in the message (``"the flow"``, ``"a listed run"``)."""
    if not isinstance(body, dict):
        raise malformed("expected %s to be an object, got %s" % (what, json_kind(body)), method, path)
    for name, types in fields:
        if not isinstance(body.get(name), types):
            got = json_kind(body[name]) if name in body else "missing"
            raise malformed("%s: %s is %s, expected %s" % (what, name, got, _kinds(types)), method, path)
    return body


def require_answer(status, body, fields, what, method, path):
    """A body of a write the server answered with success (``status``), checked like ``require_fields``. A body of
    another shape does not say the write was not applied, so the error carries the status and ``may_have_applied``:
    its keys are in doubt, never re-sent blindly."""
    try:
        return require_fields(body, fields, what, method, path)
    except FlowOpsError as exc:
        exc.status, exc.may_have_applied = status, True
        raise


def objects(value, what, method, path):
    """``value`` when it is an array of JSON objects (null or absent: ``[]``)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise malformed("expected %s to be an array, got %s" % (what, json_kind(value)), method, path)
    for item in value:
        if not isinstance(item, dict):
            raise malformed("expected every item of %s to be an object, got %s" % (what, json_kind(item)), method, path)
    return value


def count(value, what, method, path):
    """``value`` as an int when it is a finite number of at least 0 (JSON parsers accept NaN and Infinity)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        shown = value if isinstance(value, (int, float)) and not isinstance(value, bool) else json_kind(value)
        raise malformed("%s is %s, expected a count" % (what, shown), method, path)
    return int(value)


# Operations an adapter may implement; ``capabilities`` names the ones it does.
OPERATIONS = ("get_flow", "list_flows", "flow_steps", "error_summary", "iter_errors", "retry", "resolve", "get_job",
              "retry_data", "put_retry_data", "get_connection", "flow_connections", "replace_connection", "run_flow")


def flow_record(flow_id, name, disabled=False, abstract_flow_id=None, integration_id=None, **extra):
    """A normalised flow: the shared fields, then any platform fields in ``extra``."""
    record = {"_id": flow_id, "name": name, "disabled": bool(disabled), "_abstractFlowId": abstract_flow_id,
              "_integrationId": integration_id}
    record.update(extra)
    return record


def batched(items, size):
    """Lists of at most ``size`` items from ``items``, read as they come (one batch held at a time)."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def counted_summary(step_id, items, time_key):
    """``error_summary`` of a platform with no count endpoint: its one (pseudo) step's items counted, the latest
    ``time_key`` as ``last_error_at``."""
    count, last = 0, None
    for item in items:
        count += 1
        moment = item.get(time_key)
        if moment and (last is None or moment > last):
            last = moment
    return {step_id: {"open_errors": count, "last_error_at": last}}


def error_record(raw, flow_id, step_id, error_id, retry_data_key, occurred_at, source, code, message, classification,
                 tags=None):
    """A normalised error: the platform's record (``raw``) plus the shared fields every module reads."""
    record = dict(raw)
    record.update({
        "errorId": error_id, "retryDataKey": retry_data_key, "occurredAt": occurred_at, "source": source,
        "code": code, "message": message, "classification": classification, "tags": list(tags or []),
        "_flowId": flow_id, "_stepId": step_id,
    })
    return record


def _unheard(message):
    """Where an unbound adapter's warnings go: nowhere."""


def _in_turn(func, items):
    """An unbound adapter's fan-out: one item at a time, ``[(item, result)]`` in input order."""
    return [(item, func(item)) for item in items]


class PlatformAdapter:
    name = None
    # region -> base URL; the first entry is the default.
    regions = {}
    path_prefix = ""  # what every API path starts with (added by the adapter): an api_url must not end with it
    # auth_header option value -> (header, prefix); the first entry is the default.
    auth_forms = {"bearer": ("Authorization", "Bearer ")}
    retry_strategies = ()
    max_retry_batch = 1000
    # What this platform implements (names from OPERATIONS, plus features such as "restart_from_step").
    capabilities = frozenset()
    # How flow_errors_resolve dismisses an error: "server" (the platform keeps it as resolved), "delete" (the
    # platform removes it for good: a backup is required), or "local" (the platform has no call that dismisses
    # a finished item: the decision is recorded in the collection's dismissed file and later runs skip it).
    resolve_mode = "server"
    # operation -> what to tell the operator instead, for operations the platform lacks
    unsupported_hints = {}

    def __init__(self, client, connection=None):
        self.client = client
        self.connection = connection or {}
        self._warn = _unheard
        self._fan_out_all = _in_turn

    def bind(self, warn=None, fan_out_all=None):
        """What the adapter may call back into its run, given once by whoever builds the run (the runner, the
        inventory plugin): ``warn(message)`` and ``fan_out_all(func, items)`` (the run's fan-out, for work the adapter
        spreads out itself). Plain callables: the adapter keeps no reference to the run's context. Unbound, warnings
        go nowhere and work is done one item at a time."""
        self._warn = warn or _unheard
        self._fan_out_all = fan_out_all or _in_turn

    def fan_out_all(self, func, items):
        return self._fan_out_all(func, items)

    def warn(self, message):
        self._warn(message)

    def fetch(self, path, params=None):
        """One GET for the pagers; adapters with an envelope to check override it."""
        return self.client.request("GET", path, params=params)

    def pages(self, pager, path, params=None, fields=(), what="a listed item"):
        """Every item of a listing, each a JSON object with ``fields`` (see ``require_fields``), within the run's
        page cap (the ``max_pages`` option)."""
        for item in pager.items(self.fetch, path, params, max_pages=self.client.max_pages):
            yield require_fields(item, fields, what, "GET", path)

    # The connection option naming the account scope a platform needs (``project_id``, ``account_id``), if any.
    required_scope = None
    # Selection options the platform cannot take -> what to say instead (checked before any request).
    refused_selections = {}

    @classmethod
    def validate(cls, params):
        """Platform checks of the options (a required scope, selections it cannot take), before any request;
        a platform with more to check extends it."""
        if cls.required_scope and not params.get(cls.required_scope):
            raise ValidationError("%s: platform '%s' needs the %s; set %s or FLOWOPS_%s" % (
                cls.required_scope, cls.name, cls.required_scope.replace("_", " "), cls.required_scope,
                cls.required_scope.upper()))
        for option, hint in sorted(cls.refused_selections.items()):
            if params.get(option):
                raise UnsupportedOperation(cls.name, option, hint)

    @classmethod
    def base_url(cls, api_url, region):
        if api_url:
            return api_url
        region = region or next(iter(cls.regions))
        if region not in cls.regions:
            raise ValidationError("region: '%s' is not a %s region; use one of %s or set api_url"
                                  % (region, cls.name, ", ".join(sorted(cls.regions))))
        return cls.regions[region]

    @classmethod
    def auth(cls, form):
        """``(header, prefix)`` for the ``auth_header`` option; a form the platform does not take is refused."""
        form = form or next(iter(cls.auth_forms))
        if form not in cls.auth_forms:
            raise ValidationError("auth_header: platform '%s' takes only %s, not '%s'"
                                  % (cls.name, " or ".join(sorted(cls.auth_forms)), form))
        return cls.auth_forms[form]

    def dismissal_scope(self):
        """What names this account in the default dismissed file (``resolve_mode = "local"``)."""
        return self.connection.get("account_id") or self.connection.get("project_id") or self.client.base_url

    def unsupported(self, operation, hint=None):
        return UnsupportedOperation(self.name, operation, hint or self.unsupported_hints.get(operation))

    def require(self, capability, what=None):
        """Fail before any request when this platform lacks ``capability`` (named ``what`` to the user)."""
        if capability not in self.capabilities:
            raise self.unsupported(what or capability)

    # Flows ---------------------------------------------------------------------------------------
    def get_flow(self, flow_id):
        raise self.unsupported("reading a flow")

    def list_flows(self, abstract_flow_id=None, integration_id=None):
        raise self.unsupported("listing flows")

    # Platforms whose runs have no per-step error lists declare the one pseudo step every flow has.
    pseudo_step = None

    def flow_steps(self, flow_id):
        if self.pseudo_step:
            return [dict(self.pseudo_step)]
        raise self.unsupported("reading flow steps")

    def error_summary(self, flow_id):
        """``{step_id: {"open_errors": n, "last_error_at": ts or None}}`` for every step of the flow."""
        raise self.unsupported("error summaries")

    # Errors --------------------------------------------------------------------------------------
    def iter_errors(self, flow_id, step_id, resolved=False):
        raise self.unsupported("listing errors")

    def retry(self, flow_id, step_id, keys, strategy, options=None, listed=None):
        """Submit keys for retry; returns a job dict, or None when the platform matched nothing.

        ``options`` holds platform features the module validated against ``capabilities``
        (for example ``{"from_step": "charge card"}``). ``listed`` is ``{key: errorId}`` as the selection listed them:
        a platform whose write acts on one item re-reads it first and acts only while its error identity is
        unchanged. Keys it did not act on go under the job's fields ``rejected``, ``in_doubt``, ``not_matched`` or
        ``changed_since_listing`` (``{key: reason}``, e.g. the status seen); a job without ``_id`` created nothing.
        """
        raise self.unsupported("retrying errors")

    def key_outcomes(self, job_id):
        """``{retryDataKey: outcome}`` where the job itself tells, else None; an outcome is ``succeeded``,
        ``failed_again``, ``pending`` or ``not_recovered`` (a terminal state that is neither success nor the same
        failure), or a tuple ``(outcome, platform status)`` so the report names what the platform said.

        Reconciliation asks this first; keys it leaves out are reconciled against a fresh listing.
        """
        return None

    def retry_jobs_running(self, flow_id, step_id):
        """The platform's retry jobs of the step that are not finished yet (``[{"_id", "status", ...}]``, ``[]`` when
        none), or None when the platform has no such listing. After a retry request that may have applied, the
        engine waits until this is empty before it reads the step's open errors as the platform's decision."""
        return None

    def retry_jobs_running_in(self, flow_id=None, integration_id=None, since=None):
        """``{(flow_id, step_id): [unfinished retry job, ...]}`` of a whole integration (or of one flow) in one request,
        or None when the platform has no such listing: before the first batch, a retry another actor has running.
        With ``since`` (when our listing began), also the retry jobs that finished since then."""
        return None

    def resolve(self, flow_id, step_id, error_ids):
        """Dismiss errors on the platform (``resolve_mode`` "server" or "delete"). Returns None, or
        ``{errorId: status seen}`` for items re-read and found changed since the listing: nothing was sent for those."""
        raise self.unsupported("resolving errors")

    def get_job(self, job_id):
        raise self.unsupported("reading jobs")

    def retry_data(self, flow_id, step_id, key):
        """The stored retry data of a key: the platform's envelope, the record payload under ``data``."""
        raise self.unsupported("reading retry data", "set backup_retry_data: false")

    def put_retry_data(self, flow_id, step_id, key, envelope):
        """Replace the stored retry data of a key with ``envelope`` (the whole envelope ``retry_data`` returned)."""
        raise self.unsupported("patching retry data")

    # Connections ---------------------------------------------------------------------------------
    def get_connection(self, connection_id):
        raise self.unsupported("reading connections")

    def flow_connections(self, flow_id):
        raise self.unsupported("reading a flow's connections")

    def replace_connection(self, flow_id, old_id, new_id):
        raise self.unsupported("flow_connection_replace")

    def run_flow(self, flow_id):
        raise self.unsupported("running a flow")

    def run_not_started(self, answer):
        """Why the platform's answer to ``run_flow`` says no run was started (a str), or None when one was."""
        if isinstance(answer, dict) and answer.get("error"):
            return "the platform refused the run: %s" % answer["error"]
        return None
