"""Activepieces emulator: the flows list and the flow runs API over ``ActivepiecesState``.

Paths are served under /v1 and, like the real host, also under /api/v1. Lists are ``{data, next, previous}`` seek
pages (``limit`` default 10, no maximum, 0 means 100 and -1 everything), runs newest first and archived runs only
with ``includeArchived=true``. Errors are ``{code, params}`` (ActivepiecesError) or, for a request the route schema
refuses, Fastify's ``{statusCode, code, error, message}``. With ``strict`` every request and response is checked
against activepieces-contract.json.
"""

import json
import os
import re
import threading

from ..core.app import EmulatorApp, Reply, parse_iso
from ..core.cli import add_scenario_arguments, common_switches, scenario_from_args
from ..core.server import EmulatorHandle, start_emulator
from .state import STATUSES, STRATEGIES, ActivepiecesState, default_scenario, generate, parse_spec, validation_error

CONTRACT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "activepieces-contract.json")
DEFAULT_LIMIT = 10  # the controllers' default page size
AP_ID = re.compile(r"^[0-9a-zA-Z]{21}$")
_VALIDATOR = []
_VALIDATOR_LOCK = threading.Lock()


def contract_validator():
    """One shared validator over activepieces-contract.json (needs jsonschema and referencing)."""
    with _VALIDATOR_LOCK:
        if not _VALIDATOR:
            from ..core.openapi import OpenAPIValidator  # pylint: disable=import-outside-toplevel
            _VALIDATOR.append(OpenAPIValidator.from_file(CONTRACT_PATH))
        return _VALIDATOR[0]


def _ap_id(name, value):
    if not isinstance(value, str) or not AP_ID.match(value):
        raise validation_error("%s must be an id of 21 letters and digits, got %r" % (name, value))
    return value


def _enum(name, values, allowed):
    bad = [value for value in values if value not in allowed]
    if bad:
        raise validation_error("%s: %r is not one of %s" % (name, bad[0], ", ".join(allowed)))
    return list(values)


def _query_list(request, name):
    return request.query.get(name) or request.query.get(name + "[]") or []


def _limit(request):
    """z.coerce.number(): 0 falls back to the paginator's 100, -1 is Paginator.NO_LIMIT (everything)."""
    value = request.arg("limit")
    if value is None:
        return DEFAULT_LIMIT
    try:
        number = int(value)
    except ValueError:
        raise validation_error("querystring/limit must be a number, got %r" % value) from None
    if number < -1:
        raise validation_error("querystring/limit %d is not a limit this emulator serves (not established)" % number)
    return {0: 100, -1: None}.get(number, number)


def _timestamp(name, value):
    if value is not None:
        try:
            parse_iso(value)
        except (TypeError, ValueError, AttributeError):
            raise validation_error("%s must be an ISO 8601 timestamp, got %r" % (name, value)) from None
    return value


def _body(request, strategy=False, statuses=STATUSES):
    """A bulk body (BulkActionOnRunsRequestBody and friends); unknown fields are ignored, as zod strips them."""
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        raise validation_error("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise validation_error("body must be a JSON object")
    _ap_id("body/projectId", body.get("projectId"))
    for field in ("flowRunIds", "excludeFlowRunIds", "flowId", "status"):
        values = body.get(field)
        if values is not None and not isinstance(values, list):
            raise validation_error("body/%s must be an array" % field)
        if field == "status":
            _enum("body/status", values or [], statuses)
        else:
            for value in values or []:
                _ap_id("body/%s" % field, value)
    for field in ("createdAfter", "createdBefore"):
        _timestamp("body/" + field, body.get(field))
    if strategy:
        _enum("body/strategy", [body.get("strategy")], STRATEGIES)
    return body


class ActivepiecesApp(EmulatorApp):
    # bulk_wave_seconds: time each wave of 10 runs of a bulk retry takes; older_server: refuse MEMORY_LIMIT_EXCEEDED in
    # status filters (FlowRunStatus before it was added); other_actors: [{"when": "listed" | "retried", "run",
    # "action": retry | cancel, "times"}].
    switch_defaults = {"run_seconds": 0.3, "requeue_delay": 0, "retention_days": None, "legacy_nulls": False,
                       "bulk_wave_seconds": 0, "older_server": False, "other_actors": []}

    def statuses(self):
        """The FlowRunStatus values this server knows: an older one lacks MEMORY_LIMIT_EXCEEDED."""
        return tuple(status for status in STATUSES if not (self.switch("older_server") and status == "MEMORY_LIMIT_EXCEEDED"))

    def __init__(self, scenario=None, **switches):
        super().__init__(**switches)
        self.state = ActivepiecesState(scenario, self.switches)

    def make_validator(self):
        return contract_validator()

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
        """'Bearer sk-...' is an API key (401 AUTHENTICATION when unknown); no credentials is a 403 at authorization."""
        header = (request.headers.get("Authorization") or "").strip()
        if not header.startswith("Bearer "):
            return Reply(403, {"code": "AUTHORIZATION", "params": {"message": "principal is not allowed for this route"}})
        if header[len("Bearer "):].strip() != self.state.token:
            return Reply(401, {"code": "AUTHENTICATION", "params": {"message": "invalid api key"}})
        return None

    def before_request(self):
        self.state.advance()

    def load(self, scenario):
        self.state.load(scenario)

    def admin_state(self):
        return self.state.summary()

    # Flows.

    def list_flows(self, request):
        self.state.check_project(_ap_id("querystring/projectId", request.arg("projectId")))
        statuses = _enum("querystring/status", _query_list(request, "status"), ("ENABLED", "DISABLED"))
        return Reply(200, self.state.list_flows(request.arg("folderId"), statuses, _limit(request), request.arg("cursor")))

    def get_flow(self, request):
        return Reply(200, self.state.get_flow(_ap_id("params/id", request.params["flow"])))

    # Flow runs.

    def list_runs(self, request):
        self.state.check_project(_ap_id("querystring/projectId", request.arg("projectId")))
        for name in ("flowId", "flowRunIds"):
            for value in _query_list(request, name):
                _ap_id("querystring/" + name, value)
        query = {"flowId": _query_list(request, "flowId"), "tags": _query_list(request, "tags"),
                 "status": _enum("querystring/status", _query_list(request, "status"), self.statuses()),
                 "failedStepName": request.arg("failedStepName"), "flowRunIds": _query_list(request, "flowRunIds"),
                 "createdAfter": _timestamp("querystring/createdAfter", request.arg("createdAfter")),
                 "createdBefore": _timestamp("querystring/createdBefore", request.arg("createdBefore"))}
        archived = request.arg("includeArchived") == "true"  # any other value is undefined: archived runs stay hidden
        page = self.state.list_runs(query, archived, _limit(request), request.arg("cursor"))
        self.state.act_as_other("listed", [run["id"] for run in page["data"]])
        return Reply(200, page)

    def get_run(self, request):
        return Reply(200, self.state.get_run(_ap_id("params/id", request.params["run"])))

    def retry(self, request):
        _ap_id("params/id", request.params["run"])
        try:
            body = json.loads(request.body or b"")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise validation_error("body must be a JSON object")
        _enum("body/strategy", [body.get("strategy")], STRATEGIES)
        project_id = _ap_id("body/projectId", body.get("projectId"))
        return Reply(200, self.state.retry(request.params["run"], body["strategy"], project_id))

    def bulk_retry(self, request):
        body = _body(request, strategy=True, statuses=self.statuses())
        self.state.check_project(body["projectId"])
        return Reply(200, self.state.bulk_retry(body, body["strategy"]))

    def bulk_cancel(self, request):
        body = _body(request, statuses=("PAUSED", "QUEUED"))
        self.state.check_project(body["projectId"])
        self.state.bulk_cancel(body)
        return Reply(200)

    def bulk_archive(self, request):
        body = _body(request, statuses=self.statuses())
        self.state.check_project(body["projectId"])
        self.state.bulk_archive(body)
        return Reply(200)


class ActivepiecesHandle(EmulatorHandle):
    """``EmulatorHandle`` plus the project id and how often each run id was retried."""

    @property
    def project_id(self):
        return self.app.state.project_id

    @property
    def retry_counts(self):
        return self.app.state.retry_counts

    @property
    def other_actions(self):
        return self.app.state.other_actions

    def retried_run_ids(self):
        """Every run id sent in a bulk retry the emulator answered with 200, in request order (repeats kept)."""
        return [run_id for entry in self.requests if entry["method"] == "POST" and entry["path"] == "/v1/flow-runs/retry"
                and entry["status"] == 200 for run_id in entry["body"].get("flowRunIds") or []]


def start(scenario=None, host="127.0.0.1", port=0, **switches):
    """Start an Activepieces emulator in a thread; returns a started ``ActivepiecesHandle`` (call ``.stop()``)."""
    return start_emulator(ActivepiecesApp, ActivepiecesHandle, default_scenario() if scenario is None else scenario, host, port, **switches)


# Command line (python -m emulator activepieces ...).

def add_cli_arguments(parser):
    add_scenario_arguments(parser, "flows=4,failed_runs=6,fail_again_share=0.2,seed=1", "activepieces-contract.json")
    parser.add_argument("--run-seconds", type=float, default=0.3, help="time for a retried run to end")
    parser.add_argument("--requeue-delay", type=float, default=0, help="seconds a same-run retry keeps the old status first")
    parser.add_argument("--retention-days", type=int, default=None, help="refuse retries of runs created longer ago")
    parser.add_argument("--legacy-nulls", action="store_true", help="answer null for runs bulk retry could not retry")


def app_from_args(args):
    scenario = scenario_from_args(args, lambda parsed: generate(**parse_spec(parsed.generate)))
    return ActivepiecesApp(scenario, run_seconds=args.run_seconds, requeue_delay=args.requeue_delay, retention_days=args.retention_days,
                           legacy_nulls=args.legacy_nulls, strict=args.strict, **common_switches(args))
