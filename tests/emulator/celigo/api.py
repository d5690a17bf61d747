"""Celigo integrator.io Flows API emulator: auth, routes and handlers over ``CeligoState``.

Paths are served under /v1 and, like the real host, also under /api/v1. Quirks follow the reference:
the bare 401 body, Link paging on /v1/flows (204 when empty), body paging with an /api-prefixed
``nextPageURL`` omitted on the last page, 204 no-ops for retries that match nothing.
"""

import os
import threading
from urllib.parse import quote, urlencode

from ..core.app import API_PREFIX, ApiError, EmulatorApp, Reply, parse_iso
from .state import MAX_RETRY_KEYS, CeligoState
from . import scenario as scenarios
from ..core.cli import add_scenario_arguments, common_switches, scenario_from_args
from ..core.server import EmulatorHandle, start_emulator

OPENAPI_PATH = os.environ.get("FLOWOPS_CELIGO_OPENAPI") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "celigo-flows-openapi.json")
_VALIDATOR = []
_VALIDATOR_LOCK = threading.Lock()


def openapi_validator():
    """One shared validator over celigo-flows-openapi.json (needs jsonschema and referencing)."""
    with _VALIDATOR_LOCK:
        if not _VALIDATOR:
            from ..core.openapi import OpenAPIValidator  # pylint: disable=import-outside-toplevel
            _VALIDATOR.append(OpenAPIValidator.from_file(OPENAPI_PATH))
        return _VALIDATOR[0]


def _positive_int(request, name, default):
    value = request.arg(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise ApiError(400, "invalid_query_params", "%s must be a non-negative integer, got %r" % (name, value))
    return number


def _string_list(body, field):
    values = body.get(field) if isinstance(body, dict) else None
    if not isinstance(values, list) or not values or not all(isinstance(value, str) and value for value in values):
        raise ApiError(400, "invalid_request", "%s must be a non-empty array of strings" % field)
    return values


class _Gateway503:  # pylint: disable=too-few-public-methods
    """What the request log names a ``server_error_every`` reply by (a fault rule's ``action``)."""
    action = "server_error_every"


JOBS_PAGE = 1001  # GET /v1/jobs answers at most this many, newest first (developer.celigo.com "List all jobs")
JOB_LIST_FILTERS = ("_integrationId", "_flowId", "_exportId", "_importId", "_flowJobId", "createdAt_gte", "createdAt_lte")


class CeligoApp(EmulatorApp):
    # Other actors and slow platforms, each a switch (sources in docs/platforms/celigo.md, "Other actors"):
    # retry_original: "resolved" (walkthrough) or "stays_open" (ref retryFlowStepErrors) - what a retried error does;
    # jobs_by_time_only: a retry job advances by time only (job_seconds), not by being polled: a slow asynchronous job;
    # auto_retry: the platform retries an error itself at its retryAt (ref FlowStepError.retryAt);
    # other_actor: {"resolve_every", "retry_every", "retry_done_every", "cancel_every"}: a colleague acting after our
    # listing (retry_done_every: their retry job has finished before our pre-send check);
    # server_error_every: every n-th API request is answered 503, a write after it was processed (a gateway that lost
    # the backend's answer).
    switch_defaults = {"page_size": 100, "flow_page_size": 100, "job_seconds": 0.3, "retry_original": "resolved",
                       "jobs_by_time_only": False, "auto_retry": True, "other_actor": None, "server_error_every": 0}

    def __init__(self, scenario=None, **switches):
        super().__init__(**switches)
        self.state = CeligoState(scenario, self.switches)

    def register_routes(self):
        route = self.route
        route("GET", "/v1/flows", self.list_flows)
        route("GET", "/v1/flows/{flow}", self.get_flow)
        route("GET", "/v1/flows/{flow}/descendants", self.descendants)
        route("GET", "/v1/flows/{flow}/errors", self.flow_errors)
        route("PUT", "/v1/flows/{flow}/replaceConnection", self.replace_connection)
        route("POST", "/v1/flows/{flow}/run", self.run_flow)
        route("GET", "/v1/flows/{flow}/{step}/errors", self.open_errors)
        route("GET", "/v1/flows/{flow}/{step}/resolved", self.resolved_errors)
        route("PUT", "/v1/flows/{flow}/{step}/resolved", self.resolve)
        route("POST", "/v1/flows/{flow}/{step}/retry", self.retry)
        route("POST", "/v1/flows/{flow}/{step}/retry_with_exponential_decay", self.retry)
        route("GET", "/v1/flows/{flow}/{step}/{key}/data", self.retry_data)
        route("PUT", "/v1/flows/{flow}/{step}/{key}/data", self.put_retry_data)
        route("GET", "/v1/jobs", self.list_jobs)
        route("GET", "/v1/jobs/{job}", self.get_job)
        route("GET", "/v1/connections/{connection}", self.get_connection)

    def authenticate(self, request):
        # The auth middleware answers before the handlers, with a bare {message} body (no errors[]).
        header = request.headers.get("Authorization")
        if header is None:
            return Reply(401, {"message": "Unauthorized"})
        scheme, dummy, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.state.token:
            return Reply(401, {"message": "Bearer Authentication Failed"})
        return None

    def before_request(self):
        self.state.advance_jobs()

    def process(self, request, number, fault):
        every = int(self.switches.get("server_error_every") or 0)
        rate_every = int(self.switches.get("rate_limit_every") or 0)
        if not every or number % every or fault is not None or (rate_every and number % rate_every == 0):
            return super().process(request, number, fault)
        if request.method != "GET":
            self.dispatch(request)  # the backend took the write; the gateway lost its answer
        reply = Reply(503, {"errors": [{"code": "service_unavailable", "message": "Service Unavailable"}]}, injected=True)
        self.log(request, 503, _Gateway503)
        return reply

    def load(self, scenario):
        self.state.load(scenario)

    def admin_state(self):
        return self.state.summary()

    def make_validator(self):
        return openapi_validator()

    # Flows.

    def list_flows(self, request):
        ids = self.state.flow_ids(request.arg("_abstractFlowId"), request.arg("_integrationId"))
        size = max(1, int(self.switch("flow_page_size")))
        page = _positive_int(request, "page", "1") or 1
        chunk = ids[(page - 1) * size:page * size]
        if not chunk:
            return Reply(204)
        headers = {}
        if page * size < len(ids):
            query = [(key, value) for key, values in request.query.items() if key != "page" for value in values]
            query.append(("page", str(page + 1)))
            headers["Link"] = '<%s%s%s?%s>; rel="next"' % (self.base_url, request.prefix, request.path, urlencode(query))
        return Reply(200, [self.state.flow_view(flow_id) for flow_id in chunk], headers)

    def get_flow(self, request):
        merge = str(request.arg("mergeInstance", "")).lower() == "true"
        return Reply(200, self.state.flow_view(request.params["flow"], merge=merge))

    def descendants(self, request):
        return Reply(200, self.state.descendants(request.params["flow"]))

    def flow_errors(self, request):
        return Reply(200, {"flowErrors": self.state.error_summary(request.params["flow"])})

    def replace_connection(self, request):
        self.state.flow(request.params["flow"])
        body = request.json()
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("_connectionId", "_newConnectionId")):
            raise ApiError(400, "invalid_request", "_connectionId and _newConnectionId are required")
        self.state.replace_connection(request.params["flow"], body["_connectionId"], body["_newConnectionId"])
        return Reply(204)

    def run_flow(self, request):
        self.state.flow(request.params["flow"])
        if request.body:
            request.json()
        return Reply(200, {"_jobId": self.state.run_flow(request.params["flow"])})

    def list_jobs(self, request):
        """``GET /v1/jobs`` as Celigo's web client asks for a step's retries (``_flowId``, ``type=retry``, ``status``
        repeated, ``_importId`` or ``_exportId``); a parent-job listing without any of the required filters is 400
        ``invalid_query`` (developer.celigo.com jobs reference)."""
        if not any(request.arg(name) for name in JOB_LIST_FILTERS):
            raise ApiError(400, "invalid_query", "One of %s is required" % ", ".join(JOB_LIST_FILTERS))
        flow_id, integration_id = request.arg("_flowId"), request.arg("_integrationId")
        if not (flow_id or integration_id):
            return Reply(200, [])
        step_id = request.arg("_importId") or request.arg("_exportId")
        statuses = set(request.query.get("status") or ())
        # newest first, at most 1001 a page ("List all jobs")
        return Reply(200, self.state.retry_jobs(flow_id, step_id, statuses, request.arg("type"), integration_id)[:JOBS_PAGE])

    def get_job(self, request):
        return Reply(200, self.state.poll_job(request.params["job"]))

    def get_connection(self, request):
        return Reply(200, self.state.connection(request.params["connection"]))

    # Errors of a step.

    def _error_page(self, request, kind):
        flow_id, step_id = request.params["flow"], request.params["step"]
        self.state.require_step(flow_id, step_id)
        token = request.arg("pageToken")
        after = _positive_int(request, "pageToken", "0") if token is not None else 0
        keep = _error_filter(request) if kind == "errors" else None
        errors, last, more = self.state.error_page(flow_id, step_id, kind == "resolved", after,
                                                   max(1, int(self.switch("page_size"))), keep)
        body = {kind: errors}
        if kind == "errors" and not more:  # the step's listing is complete: the other_actor switch may act now
            self.state.listed(flow_id, step_id)
        if more:  # omitted (never null) on the last page
            body["nextPageURL"] = "%s/v1/flows/%s/%s/%s?pageToken=%d" % (
                API_PREFIX, quote(flow_id, safe=""), quote(step_id, safe=""), kind, last)
        return Reply(200, body)

    def open_errors(self, request):
        return self._error_page(request, "errors")

    def resolved_errors(self, request):
        return self._error_page(request, "resolved")

    def resolve(self, request):
        flow_id, step_id = request.params["flow"], request.params["step"]
        self.state.require_step(flow_id, step_id)
        self.state.resolve(flow_id, step_id, _string_list(request.json(), "errors"))
        return Reply(204)

    def retry(self, request):
        flow_id, step_id = request.params["flow"], request.params["step"]
        self.state.require_step(flow_id, step_id)
        keys = _string_list(request.json(), "retryDataKeys")
        if len(keys) > MAX_RETRY_KEYS:
            raise ApiError(400, "invalid_request", "retryDataKeys cannot have more than %d keys" % MAX_RETRY_KEYS)
        job = self.state.retry(flow_id, step_id, keys)
        return Reply(204) if job is None else Reply(200, job)

    def retry_data(self, request):
        params = request.params
        return Reply(200, self.state.retry_data(params["flow"], params["step"], params["key"]))

    def put_retry_data(self, request):
        params = request.params
        body = request.json()
        if not isinstance(body, dict) or "data" not in body:
            raise ApiError(400, "invalid_request", "The body must be the retry data envelope, with data")
        self.state.put_retry_data(params["flow"], params["step"], params["key"], body)
        return Reply(204)


def _error_filter(request):
    """The open-error filters of Celigo's "Errors API endpoints" page: ``occurredAt_gte`` / ``occurredAt_lte``
    (UTC, ISO 8601) and ``source`` (repeated once per value, as Celigo's web client sends it); None without any.
    The next-page URL carries only the page token, so a client sends the filters again with every page."""
    bounds = {}
    for name in ("occurredAt_gte", "occurredAt_lte"):
        value = request.arg(name)
        if value is not None:
            try:
                bounds[name] = parse_iso(value)
            except ValueError:
                raise ApiError(400, "invalid_query_params", "%s must be an ISO 8601 time, got %r" % (name, value))
    sources = set(request.query.get("source") or ())
    if not bounds and not sources:
        return None

    def keep(record):
        occurred = parse_iso(record.occurredAt)
        if "occurredAt_gte" in bounds and occurred < bounds["occurredAt_gte"]:
            return False
        if "occurredAt_lte" in bounds and occurred > bounds["occurredAt_lte"]:
            return False
        return not sources or record.source in sources
    return keep


class CeligoHandle(EmulatorHandle):
    """``EmulatorHandle`` plus the Celigo state, token, retry counts and the loaded scenario."""

    @property
    def retry_counts(self):
        return self.app.state.retry_counts


def start(scenario=None, host="127.0.0.1", port=0, **switches):
    """Start a Celigo emulator in a thread; returns a started ``CeligoHandle`` (call ``.stop()``)."""
    return start_emulator(CeligoApp, CeligoHandle, scenarios.default_scenario() if scenario is None else scenario, host, port, **switches)


def add_cli_arguments(parser):
    source = add_scenario_arguments(parser, "instances=40,steps=2,errors=30,seed=1", "the OpenAPI document")
    source.add_argument("--preset", choices=sorted(scenarios.PRESETS), help="a named scenario (outage: the demo's)")
    parser.add_argument("--page-size", type=int, default=100, help="errors per page on .../errors and .../resolved")
    parser.add_argument("--flow-page-size", type=int, default=100, help="flows per page on /v1/flows")
    parser.add_argument("--job-seconds", type=float, default=0.3, help="time for a retry job to complete")


def _build_scenario(args):
    if args.preset:
        return scenarios.PRESETS[args.preset]()
    return scenarios.generate(**scenarios.parse_spec(args.generate), lazy=not args.save_scenario)


def app_from_args(args):
    scenario = scenario_from_args(args, _build_scenario)
    return CeligoApp(scenario, page_size=args.page_size, flow_page_size=args.flow_page_size, job_seconds=args.job_seconds,
                     strict=args.strict, **common_switches(args))
