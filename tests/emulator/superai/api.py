"""SuperAI Flows API emulator (flows and flow executions): auth, routes and handlers over ``SuperAIState``.

Served under /api only, like https://flows.super.ai/api/... . Every operation takes either security scheme of the
spec: ``Authorization: Bearer <token>`` or ``X-API-Key: <api key>``. Errors use SuperAI's envelope
``{"error": {"message", "code"}, "request_id"}`` (with an X-Request-ID header); invalid query or path values are a
422 in the shape each operation declares: the listing's ``ErrorResponse`` (code ``validation_error``, the pydantic
errors under ``details``), FastAPI's ``{"detail": [...]}`` elsewhere. Execution listings are bare JSON arrays paged
with page/page_size (no total, no Link header). With ``strict`` every request and response is checked against
superai-contract.json (contract.py). The shared pipeline (app.py) adds latency, 429s with Retry-After, fault
rules, the request log and the admin endpoints.
"""

import functools
import itertools
import uuid

from ..core.app import API_PREFIX, EmulatorApp, Reply
from ..core.cli import add_scenario_arguments, common_switches, scenario_from_args
from ..core.server import EmulatorHandle, start_emulator
from .contract import FALSE, TRUE, contract_validator
from .state import StateError, SuperAIState, default_scenario, generate, parse_spec, parse_stamp

SORT_FIELDS = ("created_at", "updated_at")
TIME_BOUNDS = (("created_after", "created_at", "after"), ("created_before", "created_at", "before"),
               ("updated_after", "updated_at", "after"), ("updated_before", "updated_at", "before"))
MAX_PAGE, MAX_PAGE_SIZE = 10000, 1000
_REQUEST_IDS = itertools.count(1)


def superai_error(status, code, message, details=None):
    request_id = "01K8%022d" % next(_REQUEST_IDS)
    error = {"message": message, "code": code}
    if details is not None:
        error["details"] = details
    return Reply(status, {"error": error, "request_id": request_id}, {"X-Request-ID": request_id})


class Invalid(Exception):
    """One pydantic-style validation error ``{"type", "loc", "msg"}``; the handler picks the 422 shape."""

    def __init__(self, location, name, message, kind):
        super().__init__(message)
        self.detail = {"type": kind, "loc": [location, name], "msg": message}


def _uuid(value, location, name):
    if value is None:
        raise Invalid(location, name, "Field required", "missing")
    try:
        uuid.UUID(value)
    except ValueError:
        raise Invalid(location, name, "Input should be a valid UUID", "uuid_parsing") from None
    return value


def _int(request, name, default, high):
    value = request.arg(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise Invalid("query", name, "Input should be a valid integer", "int_parsing") from None
    if number < 1:
        raise Invalid("query", name, "Input should be greater than or equal to 1", "greater_than_equal")
    if number > high:
        raise Invalid("query", name, "Input should be less than or equal to %d" % high, "less_than_equal")
    return number


def _bool(request, name):
    value = (request.arg(name) or "false").lower()
    if value not in TRUE + FALSE:
        raise Invalid("query", name, "Input should be a valid boolean", "bool_parsing")
    return value in TRUE


def _choice(request, name, choices, default):
    value = request.arg(name, default)
    if value not in choices:
        raise Invalid("query", name, "String should match pattern '^(%s)$'" % "|".join(choices), "string_pattern_mismatch")
    return value


def _bounds(request):
    """The inclusive date-range filters: ``{(field, side): datetime}``."""
    bounds = {}
    for name, field, side in TIME_BOUNDS:
        value = request.arg(name)
        if value is None:
            continue
        try:
            moment = parse_stamp(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise Invalid("query", name, "Input should be a valid datetime with a timezone", "datetime_parsing")
        bounds[(field, side)] = moment
    return bounds


def _answers(envelope_422=False):
    """Turns a ``StateError`` into SuperAI's error envelope and ``Invalid`` into the operation's 422 shape."""
    def decorate(handler):
        @functools.wraps(handler)
        def wrapped(self, request):
            try:
                return handler(self, request)
            except StateError as exc:
                return superai_error(exc.status, exc.code, exc.message)
            except Invalid as exc:
                if envelope_422:
                    return superai_error(422, "validation_error", "Request validation failed", [exc.detail])
                return Reply(422, {"detail": [exc.detail]})
        return wrapped
    return decorate


class SuperAIApp(EmulatorApp):
    # other_actors: [{"when": "listed" | "executed", "execution", "action": execute | cancel | delete, "times"}]
    switch_defaults = {"run_seconds": 0.3, "other_actors": []}

    def __init__(self, scenario=None, **switches):
        super().__init__(**switches)
        self.state = SuperAIState(scenario, self.switches)

    def register_routes(self):
        route = self.route
        route("GET", "/flows/{flow}", self.get_flow)
        route("GET", "/flow-executions", self.list_executions)
        route("GET", "/flow-executions/{execution}", self.get_execution)
        route("DELETE", "/flow-executions/{execution}", self.delete_execution)
        route("POST", "/flow-executions/{execution}/execute", self.execute)
        route("POST", "/flow-executions/{execution}/cancel", self.cancel)

    def authenticate(self, request):
        """BearerAuth or APIKeyAuth (the raw key in X-API-Key): either one alone is enough."""
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

    def make_validator(self):
        return contract_validator()

    @_answers()
    def get_flow(self, request):
        return Reply(200, self.state.flow_view(_uuid(request.params["flow"], "path", "flow_id")))

    @_answers(envelope_422=True)
    def list_executions(self, request):
        flow_id = _uuid(request.arg("flow_id"), "query", "flow_id")
        page = self.state.list_executions(
            flow_id, request.query.get("status", []), request.query.get("status_exclude", []),
            _choice(request, "sort_field", SORT_FIELDS, "created_at"),
            _choice(request, "sort_direction", ("asc", "desc"), "desc") == "desc",
            _int(request, "page", 1, MAX_PAGE), _int(request, "page_size", 10, MAX_PAGE_SIZE), _bounds(request))
        self.state.act_as_other("listed", [row["id"] for row in page])
        return Reply(200, page)

    @_answers()
    def get_execution(self, request):
        return Reply(200, self.state.execution_view(_uuid(request.params["execution"], "path", "flow_execution_id")))

    @_answers()
    def delete_execution(self, request):
        self.state.delete(_uuid(request.params["execution"], "path", "flow_execution_id"))
        return Reply(204)

    @_answers()
    def execute(self, request):
        execution_id = _uuid(request.params["execution"], "path", "flow_execution_id")
        self.state.execute(execution_id, _bool(request, "only_stale"))
        self.state.act_as_other("executed", [execution_id])
        return Reply(204)

    @_answers()
    def cancel(self, request):
        self.state.cancel(_uuid(request.params["execution"], "path", "flow_execution_id"))
        return Reply(204)


class SuperAIHandle(EmulatorHandle):
    """``EmulatorHandle`` plus the SuperAI state, credentials, the calls it received and the loaded scenario."""

    @property
    def api_key(self):
        return self.app.state.api_key

    @property
    def execute_calls(self):
        """``{execution_id: [only_stale, ...]}`` of every accepted re-execute."""
        with self.app.state.lock:
            return {key: list(value) for key, value in self.app.state.execute_calls.items()}

    @property
    def cancel_calls(self):
        with self.app.state.lock:
            return dict(self.app.state.cancel_calls)

    @property
    def delete_calls(self):
        """``{execution_id: count}`` of every accepted DELETE."""
        with self.app.state.lock:
            return dict(self.app.state.delete_calls)

    def statuses(self, flow_id=None):
        return self.app.state.statuses(flow_id)

    def clear_violations(self):
        """For tests that send invalid requests on purpose."""
        with self.app.lock:
            del self.app.violations[:]


def start(scenario=None, host="127.0.0.1", port=0, **switches):
    """Start a SuperAI emulator in a thread; returns a started ``SuperAIHandle`` (call ``.stop()``)."""
    return start_emulator(SuperAIApp, SuperAIHandle, default_scenario() if scenario is None else scenario, host, port, **switches)


# Command line (registered in __main__.py).

def add_cli_arguments(parser):
    add_scenario_arguments(parser, "flows=3,executions=12,fail_again_share=0.2,seed=1", "superai-contract.json")
    parser.add_argument("--run-seconds", type=float, default=0.3, help="time a re-executed run takes")


def app_from_args(args):
    scenario = scenario_from_args(args, lambda parsed: generate(**parse_spec(parsed.generate)))
    return SuperAIApp(scenario, run_seconds=args.run_seconds, strict=args.strict, **common_switches(args))
