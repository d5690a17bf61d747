"""SuperAI Flows API emulator (flows and flow executions): auth, routes and handlers over ``SuperAIState``.

Served under /api only, like https://flows.super.ai/api/... . Errors use SuperAI's envelope
``{"error": {"message", "code"}, "request_id"}`` (with an X-Request-ID header); invalid query or path values are
FastAPI's 422 ``{"detail": [{"loc", "msg", "type"}]}``. Execution listings are plain JSON arrays paged with
page/page_size (no total, no Link header): a page shorter than page_size is the last. The shared pipeline
(app.py) adds latency, 429s with Retry-After, fault rules, the request log and the admin endpoints.
"""

import functools
import itertools
import uuid

from . import scenario as scenario_files
from .app import API_PREFIX, Abort, EmulatorApp, Reply
from .server import EmulatorHandle, start_emulator
from .superai_state import STATUSES, StateError, SuperAIState, default_scenario, generate, parse_spec

SORT_FIELDS = ("created_at", "updated_at")
MAX_PAGE, MAX_PAGE_SIZE = 10000, 1000
_REQUEST_IDS = itertools.count(1)
_TRUE, _FALSE = ("true", "1", "yes", "on", "t", "y"), ("false", "0", "no", "off", "f", "n")


def superai_error(status, code, message):
    request_id = "01K8%022d" % next(_REQUEST_IDS)
    return Reply(status, {"error": {"message": message, "code": code}, "request_id": request_id},
                 {"X-Request-ID": request_id})


def _invalid(location, name, message, kind):
    return Abort(Reply(422, {"detail": [{"loc": [location, name], "msg": message, "type": kind}]}))


def _uuid(value, location, name):
    if value is None:
        raise _invalid(location, name, "Field required", "missing")
    try:
        uuid.UUID(value)
    except ValueError:
        raise _invalid(location, name, "Input should be a valid UUID", "uuid_parsing") from None
    return value


def _int(request, name, default, high):
    value = request.arg(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise _invalid("query", name, "Input should be a valid integer", "int_parsing") from None
    if not 1 <= number <= high:
        raise _invalid("query", name, "Input should be between 1 and %d" % high, "range")
    return number


def _bool(request, name):
    value = (request.arg(name) or "false").lower()
    if value not in _TRUE + _FALSE:
        raise _invalid("query", name, "Input should be a valid boolean", "bool_parsing")
    return value in _TRUE


def _choice(request, name, choices, default):
    value = request.arg(name, default)
    if value not in choices:
        raise _invalid("query", name, "Input should be one of %s" % ", ".join(choices), "enum")
    return value


def _statuses(request, name):
    values = request.query.get(name, [])
    for value in values:
        if value not in STATUSES:
            raise _invalid("query", name, "Unknown status %r" % value, "enum")
    return values


def _answers(handler):
    """Turns a ``StateError`` into SuperAI's error envelope."""
    @functools.wraps(handler)
    def wrapped(self, request):
        try:
            return handler(self, request)
        except StateError as exc:
            return superai_error(exc.status, exc.code, exc.message)
    return wrapped


class SuperAIApp(EmulatorApp):
    switch_defaults = {"run_seconds": 0.3}

    def __init__(self, scenario=None, **switches):
        super().__init__(**switches)
        self.state = SuperAIState(scenario, self.switches)

    def register_routes(self):
        route = self.route
        route("GET", "/flows/{flow}", self.get_flow)
        route("GET", "/flow-executions", self.list_executions)
        route("GET", "/flow-executions/{execution}", self.get_execution)
        route("POST", "/flow-executions/{execution}/execute", self.execute)
        route("POST", "/flow-executions/{execution}/cancel", self.cancel)

    def authenticate(self, request):
        if request.prefix != API_PREFIX:  # the API lives under /api only
            return superai_error(404, "not_found", "Not Found")
        api_key, header = request.headers.get("X-API-Key"), request.headers.get("Authorization")
        if api_key is None and header is None:
            return superai_error(401, "unauthorized", "Authentication required")
        scheme, dummy, token = (header or "").strip().partition(" ")
        if api_key == self.state.api_key or (scheme.lower() == "bearer" and token.strip() == self.state.token):
            return None
        return superai_error(401, "unauthorized", "Invalid authentication token")

    def before_request(self):
        self.state.advance_all()

    def load(self, scenario):
        self.state.load(scenario)

    def admin_state(self):
        return self.state.summary()

    @_answers
    def get_flow(self, request):
        return Reply(200, self.state.flow_view(_uuid(request.params["flow"], "path", "flow_id")))

    @_answers
    def list_executions(self, request):
        flow_id = _uuid(request.arg("flow_id"), "query", "flow_id")
        page = self.state.list_executions(
            flow_id, _statuses(request, "status"), _statuses(request, "status_exclude"),
            _choice(request, "sort_field", SORT_FIELDS, "created_at"),
            _choice(request, "sort_direction", ("asc", "desc"), "desc") == "desc",
            _int(request, "page", 1, MAX_PAGE), _int(request, "page_size", 10, MAX_PAGE_SIZE))
        return Reply(200, page)

    @_answers
    def get_execution(self, request):
        return Reply(200, self.state.execution_view(_uuid(request.params["execution"], "path", "flow_execution_id")))

    @_answers
    def execute(self, request):
        execution_id = _uuid(request.params["execution"], "path", "flow_execution_id")
        self.state.execute(execution_id, _bool(request, "only_stale"))
        return Reply(204)

    @_answers
    def cancel(self, request):
        self.state.cancel(_uuid(request.params["execution"], "path", "flow_execution_id"))
        return Reply(204)


class SuperAIHandle(EmulatorHandle):
    """``EmulatorHandle`` plus the SuperAI state, credentials, the calls it received and the loaded scenario."""

    @property
    def execute_calls(self):
        """``{execution_id: [only_stale, ...]}`` of every accepted re-execute."""
        with self.app.state.lock:
            return {key: list(value) for key, value in self.app.state.execute_calls.items()}

    @property
    def cancel_calls(self):
        with self.app.state.lock:
            return dict(self.app.state.cancel_calls)

    def statuses(self, flow_id=None):
        return self.app.state.statuses(flow_id)


def start(scenario=None, host="127.0.0.1", port=0, **switches):
    """Start a SuperAI emulator in a thread; returns a started ``SuperAIHandle`` (call ``.stop()``)."""
    return start_emulator(SuperAIApp, SuperAIHandle, default_scenario() if scenario is None else scenario, host, port, **switches)


# Command line (registered in __main__.py).

def add_cli_arguments(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scenario", metavar="FILE", help="scenario JSON file")
    source.add_argument("--generate", metavar="SPEC", default="",
                        help="generator settings, e.g. flows=3,executions=12,fail_again_share=0.2,seed=1")
    parser.add_argument("--run-seconds", type=float, default=0.3, help="time a re-executed run takes")


def app_from_args(args):
    from .__main__ import common_switches  # pylint: disable=import-outside-toplevel  # __main__ imports this module
    scenario = scenario_files.load(args.scenario) if args.scenario else generate(**parse_spec(args.generate))
    if args.token:
        scenario["token"] = args.token
    if args.save_scenario:
        scenario_files.save(scenario, args.save_scenario)
    return SuperAIApp(scenario, run_seconds=args.run_seconds, **common_switches(args))
