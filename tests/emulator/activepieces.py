"""Activepieces emulator: the Flows list and the Flow Runs API over ``ActivepiecesState``.

Paths are served under /v1 and, like the real host, also under /api/v1. Lists are ``{data, next, previous}``
seek pages (``limit`` 1-100, default 10, opaque ``cursor``); runs come newest first and archived runs only
with ``includeArchived=true``. Retries create new runs (the reference); bulk retry answers with the array of
new runs (the open-source web client's ``bulkRetry`` type), bulk cancel and archive with 204.
"""

from .activepieces_state import (
    BULK_FILTERS, STATUSES, STRATEGIES, ActivepiecesState, ap_error, default_scenario, generate, parse_spec)
from .app import EmulatorApp, Reply, parse_iso
from .scenario import load as load_scenario, save as save_scenario
from .server import EmulatorHandle, start_emulator

DEFAULT_LIMIT = 10  # the server's default page size when `limit` is not given


def _limit(request):
    value = request.arg("limit", str(DEFAULT_LIMIT))
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 100:
        raise ap_error(400, "VALIDATION", "limit must be a number from 1 to 100, got %r" % value)
    return number


def _timestamp(name, value):
    if value is None:
        return None
    try:
        parse_iso(value)
    except (TypeError, ValueError, AttributeError):
        raise ap_error(400, "VALIDATION", "%s must be an ISO 8601 timestamp, got %r" % (name, value)) from None
    return value


def _statuses(name, values, allowed=STATUSES):
    bad = [value for value in values or [] if value not in allowed]
    if bad:
        raise ap_error(400, "VALIDATION", "%s: %s is not one of %s" % (name, bad[0], ", ".join(allowed)))
    return list(values or [])


def _bulk_body(request):
    body = request.json()
    if not isinstance(body, dict):
        raise ap_error(400, "VALIDATION", "the request body must be a JSON object")
    for field in ("flowRunIds", "excludeFlowRunIds", "flowId", "status"):
        values = body.get(field)
        if values is not None and not (isinstance(values, list) and all(isinstance(v, str) and v for v in values)):
            raise ap_error(400, "VALIDATION", "%s must be an array of strings" % field)
    _statuses("status", body.get("status"))
    for field in ("createdAfter", "createdBefore"):
        _timestamp(field, body.get(field))
    return body


class ActivepiecesApp(EmulatorApp):
    switch_defaults = {"run_seconds": 0.3}

    def __init__(self, scenario=None, **switches):
        super().__init__(**switches)
        self.state = ActivepiecesState(scenario, self.switches)

    def register_routes(self):
        route = self.route
        route("GET", "/v1/flows", self.list_flows)
        route("GET", "/v1/flows/{flow}", self.get_flow)
        route("GET", "/v1/flow-runs", self.list_runs)
        route("POST", "/v1/flow-runs/retry", self.bulk_retry)
        route("POST", "/v1/flow-runs/cancel", self.bulk_cancel)
        route("POST", "/v1/flow-runs/archive", self.bulk_archive)
        route("GET", "/v1/flow-runs/{run}", self.get_run)
        route("POST", "/v1/flow-runs/{run}/retry", self.retry)

    def authenticate(self, request):
        scheme, dummy, token = (request.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.state.token:
            return Reply(401, {"statusCode": 401, "code": "AUTHENTICATION", "message": "Invalid or missing API key",
                               "params": {}})
        return None

    def before_request(self):
        self.state.advance()

    def load(self, scenario):
        self.state.load(scenario)

    def admin_state(self):
        return self.state.summary()

    # Flows.

    def list_flows(self, request):
        self.state.check_project(request.arg("projectId"))
        statuses = _statuses("status", request.query.get("status"), ("ENABLED", "DISABLED"))
        return Reply(200, self.state.list_flows(request.arg("folderId"), statuses, _limit(request), request.arg("cursor")))

    def get_flow(self, request):
        return Reply(200, self.state.get_flow(request.params["flow"]))

    # Flow runs.

    def list_runs(self, request):
        self.state.check_project(request.arg("projectId"))
        query = {"flowId": request.query.get("flowId"), "tags": request.query.get("tags"),
                 "status": _statuses("status", request.query.get("status")),
                 "failedStepName": request.arg("failedStepName"), "flowRunIds": request.query.get("flowRunIds"),
                 "createdAfter": _timestamp("createdAfter", request.arg("createdAfter")),
                 "createdBefore": _timestamp("createdBefore", request.arg("createdBefore"))}
        archived = str(request.arg("includeArchived", "false")).lower() == "true"
        return Reply(200, self.state.list_runs(query, archived, _limit(request), request.arg("cursor")))

    def get_run(self, request):
        return Reply(200, self.state.get_run(request.params["run"]))

    def retry(self, request):
        body = request.json()
        if not isinstance(body, dict):
            raise ap_error(400, "VALIDATION", "the request body must be a JSON object")
        self.state.check_project(body.get("projectId"))
        return Reply(200, self.state.retry(request.params["run"], self._strategy(body)))

    def bulk_retry(self, request):
        body = _bulk_body(request)
        self.state.check_project(body.get("projectId"))
        return Reply(200, self.state.bulk_retry(body, self._strategy(body)))

    def bulk_cancel(self, request):
        body = _bulk_body(request)
        self.state.check_project(body.get("projectId"))
        _statuses("status", body.get("status"), ("PAUSED", "RUNNING"))
        self.state.bulk_cancel(body)
        return Reply(204)

    def bulk_archive(self, request):
        body = _bulk_body(request)
        self.state.check_project(body.get("projectId"))
        if "strategy" in body:
            raise ap_error(400, "VALIDATION", "archive takes the bulk retry filters except strategy")
        self.state.bulk_archive(body)
        return Reply(204)

    @staticmethod
    def _strategy(body):
        strategy = body.get("strategy")
        if strategy not in STRATEGIES:
            raise ap_error(400, "VALIDATION", "strategy must be one of %s, got %r" % (", ".join(STRATEGIES), strategy))
        unknown = set(body) - set(BULK_FILTERS) - {"projectId", "strategy"}
        if unknown:
            raise ap_error(400, "VALIDATION", "unknown fields: %s" % ", ".join(sorted(unknown)))
        return strategy


class ActivepiecesHandle(EmulatorHandle):
    """``EmulatorHandle`` plus the state, token, project id, retry counts and the loaded scenario."""

    @property
    def project_id(self):
        return self.app.state.project_id

    @property
    def retry_counts(self):
        return self.app.state.retry_counts


def start(scenario=None, host="127.0.0.1", port=0, **switches):
    """Start an Activepieces emulator in a thread; returns a started ``ActivepiecesHandle`` (call ``.stop()``)."""
    return start_emulator(ActivepiecesApp, ActivepiecesHandle, default_scenario() if scenario is None else scenario, host, port, **switches)


# Command line (python -m emulator activepieces ...).

def add_cli_arguments(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scenario", metavar="FILE", help="scenario JSON file")
    source.add_argument("--generate", metavar="SPEC", default="",
                        help="generator settings, e.g. flows=4,failed_runs=6,fail_again_share=0.2,seed=1 (the default scenario)")
    parser.add_argument("--run-seconds", type=float, default=0.3, help="time for a retry run to finish")


def app_from_args(args):
    from .__main__ import common_switches  # pylint: disable=import-outside-toplevel  # __main__ imports this module
    scenario = load_scenario(args.scenario) if args.scenario else generate(**parse_spec(args.generate))
    if args.token:
        scenario["token"] = args.token
    if args.save_scenario:
        save_scenario(scenario, args.save_scenario)
    return ActivepiecesApp(scenario, run_seconds=args.run_seconds, **common_switches(args))
