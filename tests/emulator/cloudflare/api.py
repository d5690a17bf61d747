"""Cloudflare Workflows instances API emulator: auth, routes and handlers over ``CloudflareState``.

Served under /client/v4 (as on api.cloudflare.com) and at the root (for an api_url without the prefix). Every
body is the v4 envelope ``{success, errors, messages, result, result_info}``, the shared 429s and faults included.
With ``strict`` on, every request and response is checked against cloudflare-contract.json (paths relative to
/client/v4); a request the contract does not describe is a violation too. Instance listings page by ``page`` or
by an opaque ``cursor`` that ``result_info`` omits on the last page (never both); workflow listings by ``page``.
"""

import base64
import binascii
import json
import os
import threading

from ..core.app import EmulatorApp, Reply, parse_iso
from ..core.cli import add_scenario_arguments, common_switches, scenario_from_args
from ..core.server import EmulatorHandle, start_emulator
from .state import ACTIONS, ENGINE_ERROR, FROM_TYPES, STATUSES, CfError, CloudflareState, default_scenario, envelope, generate, parse_spec

PREFIX = "/client/v4"
PREFIXES = (PREFIX, "")
CONTRACT_PATH = os.environ.get("FLOWOPS_CLOUDFLARE_CONTRACT") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "cloudflare-contract.json")
DEFAULT_PER_PAGE = 25  # the production default is not established; the miniflare local explorer's is 25
MAX_PER_PAGE = 100
INVALID = ENGINE_ERROR  # the local explorer answers a bad request with HTTP 400, code 10001
# Codes for the shared pipeline's own replies: 429 (rate limit), unknown route, bad JSON; anything else 10001.
STATUS_CODES = {429: 971, 404: 7003, 400: INVALID}
_VALIDATOR = []
_VALIDATOR_LOCK = threading.Lock()


class ContractValidator:
    """The OpenAPI validator over the contract, for paths with or without the /client/v4 prefix, plus the checks a
    schema cannot state: undocumented operations and ``x-mutually-exclusive`` query parameters."""

    def __init__(self, validator):
        self.validator = validator

    @staticmethod
    def _path(path):
        return path[len(PREFIX):] if path.startswith(PREFIX + "/") else path

    def check_request(self, method, path, query, headers, body):
        path = self._path(path)
        found = self.validator.find(method, path)
        if found is None:
            return ["request: %s %s is not an operation of the contract" % (method, path)]
        messages = self.validator.check_request(method, path, query, headers, body)
        for group in found[1].get("x-mutually-exclusive", []):
            present = [name for name in group if name in query]
            if len(present) > 1:
                messages.append("request: query parameters %s are mutually exclusive" % " and ".join(present))
        return messages

    def check_response(self, method, path, status, headers, body, content_type="application/json"):
        return self.validator.check_response(method, self._path(path), status, headers, body, content_type)


def contract_validator():
    """One shared validator over cloudflare-contract.json (needs jsonschema and referencing)."""
    with _VALIDATOR_LOCK:
        if not _VALIDATOR:
            from ..core.openapi import OpenAPIValidator  # pylint: disable=import-outside-toplevel
            _VALIDATOR.append(ContractValidator(OpenAPIValidator.from_file(CONTRACT_PATH)))
        return _VALIDATOR[0]


def _int(request, name, default, low, high=None):
    value = request.arg(name)
    try:
        number = default if value is None else int(value)
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        bound = "between %d and %d" % (low, high) if high is not None else "at least %d" % low
        raise CfError(400, INVALID, "%s must be an integer %s, got %r" % (name, bound, value))
    return number


def _date(request, name):
    """A query time: ISO 8601 in UTC, with Z or no zone at all; an offset is refused."""
    text = request.arg(name)
    if text is None:
        return None
    bare = text[:-1] if text.endswith(("Z", "z")) else text
    try:
        if "+" in bare[10:] or "-" in bare[10:]:
            raise ValueError("offset")
        return parse_iso(bare + "Z")
    except ValueError:
        raise CfError(400, INVALID, "%s must be ISO 8601 in UTC without an offset, got %r" % (name, text)) from None


def _encode_cursor(instance, direction):
    raw = json.dumps([instance.created_on, instance.id, direction]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _decode_cursor(text):
    try:
        created_on, instance_id, direction = json.loads(base64.urlsafe_b64decode(text.encode("ascii")))
        return (created_on, instance_id), direction
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise CfError(400, INVALID, "cursor is not a cursor this API returned") from None


def _status_body(request):
    """The PATCH .../status body of the SDK's StatusEditParams: ``from`` only with restart, ``rollback`` only with
    terminate (the local explorer's messages for the same checks)."""
    body = request.json() if request.body else None
    action = body.get("status") if isinstance(body, dict) else None
    if action not in ACTIONS:
        raise CfError(400, INVALID, "Invalid status %r. Must be one of: %s." % (action, ", ".join(ACTIONS)))
    unknown = set(body) - {"status", "from", "rollback"}
    if unknown:
        raise CfError(400, INVALID, "Unknown fields: %s." % ", ".join(sorted(unknown)))
    if "rollback" in body and (action != "terminate" or not isinstance(body["rollback"], bool)):
        raise CfError(400, INVALID, "'rollback' is only valid when terminating.")
    if "from" in body:
        source = body["from"]
        if action != "restart" or not isinstance(source, dict):
            raise CfError(400, INVALID, "'from' is only valid when restarting.")
        name, count = source.get("name"), source.get("count", 1)
        if not isinstance(name, str) or not 1 <= len(name) <= 256:
            raise CfError(400, INVALID, "'from.name' is required when restarting from a specific step.")
        if set(source) - {"name", "count", "type"} or source.get("type", "do") not in FROM_TYPES or \
                not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise CfError(400, INVALID, "'from' takes name, count (> 0) and type (do, sleep or waitForEvent).")
    return body


class CloudflareApp(EmulatorApp):
    # other_actors: [{"when": "listed" | "restarted", "instance", "action": restart | terminate | delete, "times"}]
    switch_defaults = {"page_size": 100, "run_seconds": 0.3, "other_actors": []}

    def __init__(self, scenario=None, **switches):
        super().__init__(**switches)
        self.state = CloudflareState(scenario, self.switches)

    def register_routes(self):
        for prefix in PREFIXES:
            base = prefix + "/accounts/{account}/workflows"
            self.route("GET", base, self.list_workflows)
            self.route("GET", base + "/{workflow}", self.get_workflow)
            self.route("GET", base + "/{workflow}/instances", self.list_instances)
            self.route("GET", base + "/{workflow}/instances/{instance}", self.get_instance)
            self.route("PATCH", base + "/{workflow}/instances/{instance}/status", self.change_status)

    def make_validator(self):
        return contract_validator()

    def authenticate(self, request):
        header = request.headers.get("Authorization")
        if header is None:
            return Reply(400, envelope(errors=[{"code": 9106, "message": "Missing X-Auth-Key, X-Auth-Email or Authorization headers"}]))
        scheme, dummy, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or token.strip() != self.state.token:
            return Reply(403, envelope(errors=[{"code": 10000, "message": "Authentication error"}]))
        return None

    def before_request(self):
        self.state.advance()

    @staticmethod
    def _in_envelope(reply):
        """The shared pipeline's own error bodies ({errors} without success) in the v4 envelope."""
        if isinstance(reply.body, dict) and "success" not in reply.body:
            messages = [item.get("message") for item in reply.body.get("errors") or [] if isinstance(item, dict)]
            code = STATUS_CODES.get(reply.status, ENGINE_ERROR)
            reply.body = envelope(errors=[{"code": code, "message": message} for message in messages or ["Error"]])
        return reply

    def dispatch(self, request):
        return self._in_envelope(super().dispatch(request))  # before strict validation sees the reply

    def process(self, request, number, fault):
        reply = super().process(request, number, fault)
        return reply if fault is not None and fault.action == "raw" else self._in_envelope(reply)

    def load(self, scenario):
        self.state.load(scenario)

    def admin_state(self):
        return self.state.summary()

    def _workflow(self, request):
        self.state.check_account(request.params["account"])
        return request.params.get("workflow")

    # Workflows.

    def list_workflows(self, request):
        self._workflow(request)
        names = self.state.workflow_names(request.arg("search"))
        per_page = _int(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        page = _int(request, "page", 1, 1)
        chunk = names[(page - 1) * per_page:page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": len(names),
                "total_pages": max(1, -(-len(names) // per_page))}
        return Reply(200, envelope([self.state.workflow_view(name) for name in chunk], result_info=info))

    def get_workflow(self, request):
        return Reply(200, envelope(self.state.workflow_view(self._workflow(request))))

    # Instances.

    def list_instances(self, request):
        name = self._workflow(request)
        status = request.arg("status")
        if status is not None and status not in STATUSES:
            raise CfError(400, INVALID, "status must be one of %s, got %r" % (", ".join(STATUSES), status))
        if request.arg("page") is not None and request.arg("cursor") is not None:
            raise CfError(400, INVALID, "page and cursor are mutually exclusive, use one or the other")
        direction = request.arg("direction")
        if direction not in (None, "asc", "desc"):
            raise CfError(400, INVALID, "direction must be asc or desc, got %r" % direction)
        per_page = min(_int(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE), max(1, int(self.switch("page_size"))))
        found = self.state.matching(name, status, _date(request, "date_start"), _date(request, "date_end"))
        info = {"per_page": per_page, "total_count": len(found)}
        if request.arg("page") is not None:
            page = _int(request, "page", 1, 1)
            chunk = found[(page - 1) * per_page:page * per_page]
            info["page"] = page
        else:
            after, cursor_direction = _decode_cursor(request.arg("cursor")) if request.arg("cursor") else (None, "desc")
            direction = direction or cursor_direction
            if direction == "asc":
                found.reverse()
            if after is not None:
                found = [i for i in found if ((i.created_on, i.id) > after if direction == "asc" else (i.created_on, i.id) < after)]
            chunk = found[:per_page]
            if len(found) > per_page:
                info["cursor"] = _encode_cursor(chunk[-1], direction)
        info["count"] = len(chunk)
        reply = Reply(200, envelope([instance.list_view() for instance in chunk], result_info=info))
        self.state.act_as_other("listed", name, [instance.id for instance in chunk])
        return reply

    def get_instance(self, request):
        simple, order = request.arg("simple", "false"), request.arg("order", "asc")
        if simple not in ("true", "false") or order not in ("asc", "desc"):
            raise CfError(400, INVALID, "simple takes true or false, order asc or desc")
        detail = self.state.detail(self._workflow(request), request.params["instance"], simple == "true", order)
        return Reply(200, envelope(detail))

    def change_status(self, request):
        name = self._workflow(request)
        body = _status_body(request)
        reply = Reply(200, envelope(self.state.change_status(name, request.params["instance"], body)))
        if body["status"] == "restart":
            self.state.act_as_other("restarted", name, [request.params["instance"]])
        return reply


class CloudflareHandle(EmulatorHandle):
    """``EmulatorHandle`` plus the account id, the restarts (with their ``from``), terminate counts and the scenario."""

    @property
    def account_id(self):
        return self.app.state.account_id

    @property
    def restart_counts(self):
        return self.app.state.restart_counts

    @property
    def restarts(self):
        """``[{"instance", "from"}]`` for every restart the emulator applied, in order."""
        return self.app.state.restarts

    @property
    def terminate_counts(self):
        return self.app.state.terminate_counts

    @property
    def other_actions(self):
        """What the ``other_actors`` switch did, in order: ``{"when", "instance", "action", "applied"}``."""
        return self.app.state.other_actions


def start(scenario=None, host="127.0.0.1", port=0, **switches):
    """Start a Cloudflare emulator in a thread; returns a started ``CloudflareHandle`` (call ``.stop()``)."""
    return start_emulator(CloudflareApp, CloudflareHandle, default_scenario() if scenario is None else scenario, host, port, **switches)


# Command line: python -m emulator cloudflare ...

def add_cli_arguments(parser):
    add_scenario_arguments(parser, "workflows=2,instances=40,errored_share=0.5,seed=1", "cloudflare-contract.json")
    parser.add_argument("--account-id", help="account id to serve (default: the scenario's)")
    parser.add_argument("--page-size", type=int, default=100, help="most instances per page, whatever per_page asks")
    parser.add_argument("--run-seconds", type=float, default=0.3, help="time for a restarted instance to finish")


def app_from_args(args):
    scenario = scenario_from_args(args, lambda parsed: generate(**parse_spec(parsed.generate)), account_id=args.account_id)
    return CloudflareApp(scenario, page_size=args.page_size, run_seconds=args.run_seconds, strict=args.strict,
                         **common_switches(args))
