"""The request pipeline shared by the platform emulators.

An ``EmulatorApp`` owns a routing table, the switches (latency, rate limiting, faults, strict validation),
the request log and the admin endpoints under ``/_emulator``; a platform subclasses it with its state,
its auth check and its handlers. server.py serves an app over HTTP.
"""

import collections
import json
import math
import re
import threading
import time
import traceback
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote

API_PREFIX = "/api"
ADMIN_PREFIX = "/_emulator"
FAULT_ACTIONS = ("status", "reset_before", "reset_after", "raw", "delay")
BASE_SWITCHES = {
    "latency_ms": 0,
    "rate_limit_every": 0,
    "retry_after": 1,
    "rate_window": None,  # [requests, seconds]: at most that many API requests in any sliding window of that length
    "faults": [],
    "strict": False,
    "log_requests": True,
}


def iso(moment):
    """``2026-05-22T04:22:12.852Z``: the timestamp shape the platforms return."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def now_iso():
    return iso(datetime.now(timezone.utc))


def parse_iso(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


class Reply:
    """A response to write: ``body`` is a JSON-able object, ``str``/``bytes`` (sent as is) or None (no body)."""

    __slots__ = ("status", "body", "headers", "content_type", "injected")

    def __init__(self, status=200, body=None, headers=None, content_type="application/json", injected=False):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type
        self.injected = injected  # produced by a fault or the rate limiter: not validated against the spec

    def payload(self):
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


def error_reply(status, code, message, headers=None):
    return Reply(status, {"errors": [{"code": code, "message": message}]}, headers)


class Abort(Exception):
    """Raised by handlers to answer at once with ``reply``."""

    def __init__(self, reply):
        super().__init__(reply.status)
        self.reply = reply


class ApiError(Abort):
    """An API error with the ``{"errors": [{"code", "message"}]}`` envelope."""

    def __init__(self, status, code, message):
        super().__init__(error_reply(status, code, message))
        self.status = status
        self.code = code
        self.message = message

    def __str__(self):
        return "%d %s: %s" % (self.status, self.code, self.message)


class Request:
    __slots__ = ("method", "path", "prefix", "query", "raw_query", "headers", "body", "params", "_json")

    def __init__(self, method, path, prefix, raw_query, headers, body):
        self.method = method
        self.path = path
        self.prefix = prefix
        self.raw_query = raw_query
        self.query = parse_qs(raw_query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.params = {}
        self._json = None

    def arg(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def json(self):
        """The parsed JSON body; 400 when it is missing or not JSON."""
        if self._json is None:
            if not self.body:
                raise Abort(error_reply(400, "invalid_request", "A JSON request body is required."))
            try:
                self._json = json.loads(self.body)
            except ValueError as exc:
                raise Abort(error_reply(400, "invalid_json", "The request body is not valid JSON: %s" % exc)) from None
        return self._json

    def log_query(self):
        return {key: values[0] if len(values) == 1 else values for key, values in self.query.items()}


class FaultRule:
    """One injected failure for requests whose method and path (without the /api prefix) match."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule must be an object, got %r" % (spec,))
        unknown = set(spec) - {"method", "path", "action", "status", "body", "content_type", "headers", "seconds", "times", "skip"}
        if unknown:
            raise ValueError("unknown fault rule keys: %s" % ", ".join(sorted(unknown)))
        self.spec = dict(spec)
        self.action = spec.get("action", "status")
        if self.action not in FAULT_ACTIONS:
            raise ValueError("fault action must be one of %s, got %r" % (", ".join(FAULT_ACTIONS), self.action))
        self.method = (spec.get("method") or "").upper() or None
        self.path = re.compile(spec.get("path") or "")
        self.status = int(spec.get("status", 503 if self.action == "status" else 200))
        self.body = spec.get("body")
        self.content_type = spec.get("content_type", "application/json")
        self.headers = dict(spec.get("headers") or {})
        self.seconds = float(spec.get("seconds", 1))
        self.times = spec.get("times", 1)  # None: every matching request
        self.skip = int(spec.get("skip", 0))
        self.seen = 0

    def take(self, method, path):
        """Count a matching request; True when this one is to be affected. Call under the app lock."""
        if (self.method and self.method != method) or not self.path.search(path):
            return False
        self.seen += 1
        if self.seen <= self.skip:
            return False
        return self.times is None or self.seen - self.skip <= int(self.times)

    def expired(self):
        return self.times is not None and self.seen - self.skip >= int(self.times)

    def reply(self):
        if self.action == "raw":
            body = self.body if self.body is not None else ""
            return Reply(self.status, body, self.headers, self.content_type, injected=True)
        message = self.body if isinstance(self.body, str) else "Injected fault"
        return Reply(self.status, {"errors": [{"code": "emulated_fault", "message": message}]}, self.headers, injected=True)


class EmulatorApp:
    """Routing, switches, request log and admin endpoints; subclasses add the platform."""

    switch_defaults = {}

    def __init__(self, **switches):
        self.lock = threading.RLock()
        self.switches = dict(BASE_SWITCHES, **self.switch_defaults)
        self.faults = []
        self.routes = []
        self.request_log = []
        self.request_count = 0
        self.window_sends = collections.deque()  # when the requests the rate window let through arrived
        self.clock = time.monotonic  # the rate window's clock (tests replace it)
        self.violations = []
        self.internal_errors = []
        self.base_url = ""
        self._validator = None
        self.register_routes()
        if switches:
            self.configure(**switches)

    # Hooks for the platform.

    def register_routes(self):
        """Add the platform's routes with ``self.route``."""

    def authenticate(self, request):  # pylint: disable=unused-argument
        """A Reply to refuse the request, or None to let it through."""
        return None

    def before_request(self):
        """Runs before every authenticated API request (e.g. to advance background jobs)."""

    def load(self, scenario):
        raise NotImplementedError

    def admin_state(self):
        return {}

    def make_validator(self):
        """An object with ``check_request`` and ``check_response`` (see openapi.py), or None."""
        return None

    # Configuration.

    def route(self, method, pattern, handler):
        """``pattern`` is a path like ``/v1/flows/{_id}``; each ``{name}`` matches one segment."""
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")
        self.routes.append((method, regex, handler))

    def configure(self, **switches):
        unknown = set(switches) - set(self.switches)
        if unknown:
            raise ValueError("unknown switches: %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(sorted(self.switches))))
        faults = [FaultRule(spec) for spec in switches.get("faults", [])] if "faults" in switches else None
        with self.lock:
            self.switches.update(switches)
            if faults is not None:
                self.faults = faults
        if self.switches["strict"] and self._validator is None:
            self._validator = self.make_validator()

    def switch(self, name):
        return self.switches[name]

    # The request pipeline.

    def begin(self, method, path):
        """Count an API request and pick the fault rule that applies to it, if any."""
        with self.lock:
            self.request_count += 1
            number = self.request_count
            for rule in self.faults:
                if rule.take(method, path):
                    if rule.expired():
                        self.faults.remove(rule)
                    return number, rule
        return number, None

    def process(self, request, number, fault):
        """Rate limit, injected replies, auth, routing and validation: the Reply for one API request."""
        every = self.switches["rate_limit_every"]
        validator = self._validator if self.switches["strict"] else None
        if validator is not None:
            self._record(request, "request", None, validator.check_request(
                request.method, request.path, request.query, request.headers, request.body))
        if fault is not None and fault.action in ("status", "raw"):
            reply = fault.reply()
        elif every and number % int(every) == 0:
            reply = error_reply(429, "too_many_requests", "Rate limit exceeded. Retry later.",
                                {"Retry-After": str(self.switches["retry_after"])})
            reply.injected = True
        else:
            reply = self._over_rate_window()
            if reply is None:
                reply = self.dispatch(request)
                if validator is not None:
                    self._record(request, "response", reply.status, validator.check_response(
                        request.method, request.path, reply.status, reply.headers, reply.payload(), reply.content_type))
        self.log(request, reply.status, fault)
        return reply

    def _over_rate_window(self):
        """A 429 when the ``rate_window`` switch ([requests, seconds]) has let through as many requests in the last
        ``seconds`` (a sliding window, as Cloudflare's 1,200 requests per 5 minutes), with Retry-After the seconds,
        rounded up, until the oldest of them leaves the window; None to let the request through (and count it)."""
        window = self.switches["rate_window"]
        if not window:
            return None
        limit, seconds = int(window[0]), float(window[1])
        with self.lock:
            now = self.clock()
            sends = self.window_sends
            while sends and sends[0] <= now - seconds:
                sends.popleft()
            if len(sends) < limit:
                sends.append(now)
                return None
            wait = max(1, int(math.ceil(sends[0] + seconds - now)))
        reply = error_reply(429, "too_many_requests", "Rate limit exceeded: %d requests per %g s. Retry later." % (limit, seconds),
                            {"Retry-After": str(wait)})
        reply.injected = True
        return reply

    def dispatch(self, request):
        refusal = self.authenticate(request)
        if refusal is not None:
            return refusal
        try:
            self.before_request()
            for method, regex, handler in self.routes:
                match = regex.match(request.path)
                if match and method == request.method:
                    request.params = {key: unquote(value) for key, value in match.groupdict().items()}
                    return handler(request)
            return error_reply(404, "not_found", "Not found: %s %s" % (request.method, request.path))
        except Abort as abort:
            return abort.reply
        except Exception as exc:  # pylint: disable=broad-except
            with self.lock:
                self.internal_errors.append("%s %s: %s" % (request.method, request.path, traceback.format_exc()))
            return error_reply(500, "emulator_error", "Emulator error: %r" % exc)

    def _record(self, request, kind, status, messages):
        if messages:
            with self.lock:
                self.violations.extend({"kind": kind, "method": request.method, "path": request.path, "status": status,
                                        "message": message} for message in messages)

    def log(self, request, status, fault=None):
        if not self.switches["log_requests"]:
            return
        entry = {"method": request.method, "path": request.path, "query": request.log_query(), "status": status,
                 "ts": time.time()}
        if fault is not None:
            entry["fault"] = fault.action
        if request.method != "GET" and request.body:
            try:
                entry["body"] = json.loads(request.body)
            except ValueError:
                entry["body"] = request.body.decode("utf-8", "replace")
        with self.lock:
            self.request_log.append(entry)

    # Admin endpoints: no auth, no faults, not counted, not logged.

    def admin(self, method, path, body):
        action = (method, path[len(ADMIN_PREFIX):].rstrip("/"))
        try:
            payload = json.loads(body) if body else {}
            if action == ("GET", "/requests"):
                with self.lock:
                    return Reply(200, {"requests": list(self.request_log)})
            if action == ("DELETE", "/requests"):
                with self.lock:
                    del self.request_log[:]
                return Reply(204)
            if action == ("GET", "/config"):
                return Reply(200, self.public_switches())
            if action == ("POST", "/config"):
                self.configure(**payload)
                return Reply(200, self.public_switches())
            if action == ("GET", "/state"):
                return Reply(200, self.admin_state())
            if action == ("POST", "/scenario"):
                self.load(payload)
                return Reply(204)
            if action == ("GET", "/violations"):
                with self.lock:
                    return Reply(200, {"violations": list(self.violations), "internal_errors": list(self.internal_errors)})
            if action == ("DELETE", "/violations"):
                with self.lock:
                    del self.violations[:]
                    del self.internal_errors[:]
                return Reply(204)
        except (ValueError, TypeError, KeyError) as exc:
            return error_reply(400, "invalid_request", str(exc))
        return error_reply(404, "not_found", "No admin endpoint %s %s" % (method, path))

    def public_switches(self):
        with self.lock:
            return dict(self.switches, faults=[dict(rule.spec, seen=rule.seen) for rule in self.faults])
