"""Cloudflare Workflows instances API emulator: auth, routes and handlers over ``CloudflareState``.

Served under /client/v4 (as on api.cloudflare.com) and at the root (for an api_url without the prefix). Every
body is the v4 envelope ``{success, errors, messages, result, result_info}``, the shared 429s and faults included.
Instance listings page by ``page`` (deprecated upstream) or by an opaque ``cursor`` that ``result_info`` omits on
the last page; workflow listings page by ``page``. Error codes other than 7003, 971, 9106 and 10000 are the
emulator's own (the reference documents none).
"""

import base64
import binascii
import json

from . import scenario as scenarios
from .app import EmulatorApp, Reply, parse_iso
from .cloudflare_state import ACTIONS, STATUSES, CfError, CloudflareState, default_scenario, envelope, generate, parse_spec
from .server import EmulatorHandle, start_emulator

PREFIXES = ("/client/v4", "")
DEFAULT_PER_PAGE = 20  # assumed: the docs give only the maximum
MAX_PER_PAGE = 100
INVALID = 10021  # the emulator's code for a bad query or body
# Codes for the shared pipeline's Celigo-shaped replies: 429 (rate limit), unknown route, bad JSON, anything else.
STATUS_CODES = {429: 971, 404: 7003, 400: INVALID}
OTHER_CODE = 10001


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


def _body(request, default):
    return request.json() if request.body else default


class CloudflareApp(EmulatorApp):
    switch_defaults = {"page_size": 100, "run_seconds": 0.3}

    def __init__(self, scenario=None, **switches):
        super().__init__(**switches)
        self.state = CloudflareState(scenario, self.switches)

    def register_routes(self):
        for prefix in PREFIXES:
            base = prefix + "/accounts/{account}/workflows"
            self.route("GET", base, self.list_workflows)
            self.route("GET", base + "/{workflow}", self.get_workflow)
            self.route("GET", base + "/{workflow}/instances", self.list_instances)
            self.route("POST", base + "/{workflow}/instances", self.create_instance)
            self.route("POST", base + "/{workflow}/instances/batch", self.create_batch)
            self.route("GET", base + "/{workflow}/instances/{instance}", self.get_instance)
            self.route("PATCH", base + "/{workflow}/instances/{instance}/status", self.change_status)
            self.route("POST", base + "/{workflow}/instances/{instance}/events/{event}", self.send_event)

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

    def process(self, request, number, fault):
        reply = super().process(request, number, fault)
        if (fault is None or fault.action != "raw") and isinstance(reply.body, dict) and "success" not in reply.body:
            messages = [item.get("message") for item in reply.body.get("errors") or [] if isinstance(item, dict)]
            code = STATUS_CODES.get(reply.status, OTHER_CODE)
            reply.body = envelope(errors=[{"code": code, "message": message} for message in messages or ["Error"]])
        return reply

    def load(self, scenario):
        self.state.load(scenario)

    def admin_state(self):
        return self.state.summary()

    def _workflow(self, request):
        self.state.check_account(request.params["account"], request.path)
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
        return Reply(200, envelope([instance.list_view() for instance in chunk], result_info=info))

    def get_instance(self, request):
        return Reply(200, envelope(self.state.detail(self._workflow(request), request.params["instance"])))

    def create_instance(self, request):
        return Reply(200, envelope(self.state.create(self._workflow(request), _body(request, {}))))

    def create_batch(self, request):
        name = self._workflow(request)
        body = _body(request, None)
        if not isinstance(body, list) or not body:
            raise CfError(400, INVALID, "the body must be a non-empty array of instances to create")
        return Reply(200, envelope([self.state.create(name, item) for item in body]))

    def change_status(self, request):
        name = self._workflow(request)
        body = _body(request, None)
        action = body.get("status") if isinstance(body, dict) else None
        if action not in ACTIONS:
            raise CfError(400, INVALID, "status must be one of %s" % ", ".join(ACTIONS))
        restart_from = body.get("from")
        if restart_from is not None and (action != "restart" or not isinstance(restart_from, dict) or not restart_from.get("name")):
            raise CfError(400, INVALID, "from takes a step {name} and applies to restart only")
        return Reply(200, envelope(self.state.change_status(name, request.params["instance"], action)))

    def send_event(self, request):
        name = self._workflow(request)
        if request.body:
            request.json()
        self.state.send_event(name, request.params["instance"])
        return Reply(200, envelope(None))


class CloudflareHandle(EmulatorHandle):
    """``EmulatorHandle`` plus the state, token, account id, restart and terminate counts and the scenario."""

    @property
    def account_id(self):
        return self.app.state.account_id

    @property
    def restart_counts(self):
        return self.app.state.restart_counts

    @property
    def terminate_counts(self):
        return self.app.state.terminate_counts


def start(scenario=None, host="127.0.0.1", port=0, **switches):
    """Start a Cloudflare emulator in a thread; returns a started ``CloudflareHandle`` (call ``.stop()``)."""
    return start_emulator(CloudflareApp, CloudflareHandle, default_scenario() if scenario is None else scenario, host, port, **switches)


# Command line: python -m emulator cloudflare ...

def add_cli_arguments(parser):
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--scenario", metavar="FILE", help="scenario JSON file")
    source.add_argument("--generate", metavar="SPEC", default="",
                        help="generator settings, e.g. workflows=2,instances=40,errored_share=0.5,seed=1")
    parser.add_argument("--account-id", help="account id to serve (default: the scenario's)")
    parser.add_argument("--page-size", type=int, default=100, help="most instances per page, whatever per_page asks")
    parser.add_argument("--run-seconds", type=float, default=0.3, help="time for a restarted instance to finish")


def app_from_args(args):
    from .__main__ import common_switches  # pylint: disable=import-outside-toplevel  # __main__ imports this module
    scenario = scenarios.load(args.scenario) if args.scenario else generate(**parse_spec(args.generate))
    if args.token:
        scenario["token"] = args.token
    if args.account_id:
        scenario["account_id"] = args.account_id
    if args.save_scenario:
        scenarios.save(scenario, args.save_scenario)
    return CloudflareApp(scenario, page_size=args.page_size, run_seconds=args.run_seconds, **common_switches(args))
