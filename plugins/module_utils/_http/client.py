# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP client every module uses: auth, retries, Retry-After, adaptive pacing, error mapping."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import html
import json
import threading
import time
import traceback
from collections import namedtuple

from urllib.parse import quote, quote_plus, urljoin, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import AuthBase
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    AuthBase = object
    LocationParseError = ValueError
    parse_url = None

from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError
from ansible_collections.flowops.ipaas.plugins.module_utils._http.pacing import AdaptivePacer

USER_AGENT = "flowops.ipaas/1.1.0"
MASK = "********"
WAIT_SLICE = 0.5  # seconds between two looks at the controller while waiting to re-send


class RetryPolicy:
    """What is retried, how often and how long to wait: data, not loops scattered in modules."""

    # 429 means the server did not process the request, so every method may be re-sent.
    RATE_LIMITED = 429
    # Gateway errors may hide a request that was processed: only idempotent methods are re-sent.
    TRANSIENT = (502, 503, 504)
    IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")

    def __init__(self, max_retries=5, backoff=0.5, backoff_max=30.0, retry_after_cap=120):
        self.max_retries = max_retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.retry_after_cap = retry_after_cap

    def backoff_delay(self, attempt):
        return min(self.backoff * (2 ** attempt), self.backoff_max)

    def is_idempotent(self, method):
        return method in self.IDEMPOTENT_METHODS


class _HeaderAuth(AuthBase):
    """Sets the auth header on every request; as ``session.auth`` it also keeps ~/.netrc from replacing it."""

    def __init__(self, header, value):
        self.header = header
        self.value = value

    def __call__(self, request):
        request.headers[self.header] = self.value
        return request


class Response(namedtuple("Response", "status headers body url method path", defaults=(None, None))):
    """One API answer: ``body`` is the parsed JSON (None for an empty body); ``method`` and ``path`` name the call."""

    __slots__ = ()

    def object(self):
        """The body as a JSON object (``{}`` for an empty body); any other JSON shape is a clean error."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise FlowOpsError("expected a JSON object in the response, got %s" % type(self.body).__name__,
                               status=self.status, method=self.method, path=self.path)
        return self.body


def parse_retry_after(value):
    """Integer seconds from a Retry-After header, or None (HTTP dates and junk fall back to backoff)."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is true too
        return int(value)
    return None


class Client:
    """HTTP access to one platform account. Safe to share between threads."""

    def __init__(self, base_url, token, auth_header="Authorization", auth_prefix="Bearer ", validate_certs=True,
                 timeout=30, policy=None, max_requests_per_second=0, pool_size=10, sleep=time.sleep, platform=None,
                 max_pages=10000, stopped=None):
        self.base_url = base_url.rstrip("/")
        self.origin = origin_of(self.base_url)  # every URL handed to the client must go here
        self.platform = platform  # named in the hint a 401 gets
        self.stopped = stopped or _never  # true once the run must send nothing more (see watch)
        self.policy = policy or RetryPolicy()
        self.timeout = timeout
        self.max_pages = max_pages  # the most pages any one listing may take (paging.py reads it)
        self.sleep = sleep
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._ceiling = AdaptivePacer(max_requests_per_second, self._wait, _monotonic)
        self.rate_limited_count = 0  # 429s answered to this client
        self._secrets = _secret_forms(token.strip())
        self.session = _new_session(self.origin)
        self.session.auth = _HeaderAuth(auth_header, auth_prefix + token)
        self.session.verify = validate_certs
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(pool_size, 2), max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    # -- URLs -----------------------------------------------------------------------------------

    def url_for(self, path_or_url):
        """Absolute URL on the configured host; anything pointing elsewhere, or that parsers could read two ways
        (user-info, backslashes, control characters), is refused before any request."""
        if not isinstance(path_or_url, str):
            raise FlowOpsError("the server handed a %s where a URL or path was expected" % type(path_or_url).__name__)
        if _AMBIGUOUS.intersection(path_or_url) or any(ord(char) < 33 or ord(char) == 127 for char in path_or_url):
            raise FlowOpsError("refusing a URL with a backslash, space or control character: %s"
                               % self.scrub(_snippet(path_or_url.split("?", 1)[0])))
        absolute = bool(urlsplit(path_or_url).scheme)
        url = path_or_url if absolute else urljoin(self.base_url + "/", path_or_url.lstrip("/"))
        if not same_origin(url, self.origin):
            raise FlowOpsError("refusing to send the API token to %s: it is not the configured host %s"
                               % (self.scrub(_origin(url) or _snippet(url.split("?", 1)[0])), self.origin[0]))
        return url

    # -- requests -------------------------------------------------------------------------------

    def request(self, method, path, params=None, body=None, allow_empty=False):
        """Send one API call with the retry policy applied; returns a ``Response`` or raises ``FlowOpsError``."""
        method = method.upper()
        url = self.url_for(path)
        display_path = self.scrub(urlsplit(url).path)
        attempt, waited_out_429, first_sent = 0, False, None
        while True:
            sent_at, held = self._ceiling.wait_turn(resend=waited_out_429)  # its own Retry-After is the run's pause: served
            # Only a request that waited (a re-send, the pacer, a Retry-After) looks again: a controller gone meanwhile
            # stops it. One sent straight away needs no look (that is /proc reads per request).
            if (attempt or held) and self.stopped():
                raise FlowOpsError("not sent%s: the controller is gone (killed or cancelled)" % (" again" if attempt else ""),
                                   method=method, path=display_path)
            self._count()
            first_sent = first_sent or _monotonic()
            try:
                # verify passed explicitly: REQUESTS_CA_BUNDLE in the environment would otherwise override
                # validate_certs: false.
                raw = self.session.request(method, url, params=params, json=body, timeout=self.timeout,
                                           verify=self.session.verify)
            except _OffOriginRedirect as exc:
                raise FlowOpsError("the server redirected to %s, which is not the configured host %s: not followed, "
                                   "nothing was sent there" % (self.scrub(exc.target), self.origin[0]),
                                   method=method, path=display_path, may_have_applied=not self.policy.is_idempotent(method))
            except requests.exceptions.RequestException as exc:
                never_sent = _never_reached_server(exc)
                retryable = not isinstance(exc, requests.exceptions.SSLError)
                if retryable and attempt < self.policy.max_retries and (never_sent or self.policy.is_idempotent(method)):
                    self._wait(self.policy.backoff_delay(attempt))
                    attempt += 1
                    continue
                tries = "%d attempt%s over %.1f s" % (attempt + 1, "s" if attempt else "", _monotonic() - first_sent)
                raise FlowOpsError(_describe_exception(exc, self.timeout, attempt, self.scrub, _host(url), tries),
                                   method=method, path=display_path, may_have_applied=not never_sent)
            except Exception as exc:  # pylint: disable=broad-except
                # Anything else (http.client's ValueError on a header, a parser error) may quote the request: scrubbed.
                raise FlowOpsError("request failed: %s: %s" % (type(exc).__name__, _snippet(self.scrub(str(exc)))),
                                   method=method, path=display_path, may_have_applied=not self.policy.is_idempotent(method))

            if raw.status_code == RetryPolicy.RATE_LIMITED:
                self._rate_limited(sent_at, raw)
            delay = self._retry_delay(raw, method, attempt, display_path)
            if delay is not None:
                raw.close()
                self._wait(delay)
                attempt += 1
                waited_out_429 = raw.status_code == RetryPolicy.RATE_LIMITED
                continue
            return self._to_response(raw, method, display_path, allow_empty, attempt)

    def _rate_limited(self, sent_at, raw):
        """A 429: the pacer slows the whole run down and holds it back for the Retry-After."""
        with self._count_lock:
            self.rate_limited_count += 1
        asked = parse_retry_after(raw.headers.get("Retry-After"))
        # A Retry-After above retry_after_cap fails the request (see _retry_delay): nobody waits for it.
        self._ceiling.rate_limited(sent_at, asked if asked is not None and asked <= self.policy.retry_after_cap else None)

    def watch(self, stopped):
        """``stopped()`` says when the run must send nothing more: a re-send is not made and a wait is cut short once it
        is true. Given at construction (``stopped=``), or once by whoever builds the run before the first request."""
        self.stopped = stopped

    def _wait(self, seconds):
        """Sleep before a re-send; with a controller to watch, in short slices, so a run whose controller is gone
        stops within a moment instead of after a long Retry-After."""
        if self.stopped is _never:
            self.sleep(seconds)
            return
        remaining = seconds
        while remaining > 0 and not self.stopped():
            step = min(remaining, WAIT_SLICE)
            self.sleep(step)
            remaining -= step

    def _retry_delay(self, raw, method, attempt, display_path):
        status = raw.status_code
        if attempt >= self.policy.max_retries:
            return None
        if status == RetryPolicy.RATE_LIMITED:
            asked = parse_retry_after(raw.headers.get("Retry-After"))
            if asked is None:
                return self.policy.backoff_delay(attempt)
            if asked > self.policy.retry_after_cap:
                raise FlowOpsError("rate limited: the server asks to wait %d s (Retry-After), more than retry_after_cap "
                                   "(%d s); raise retry_after_cap or lower max_concurrency" % (asked, self.policy.retry_after_cap),
                                   status=status, method=method, path=display_path, code="rate_limited")
            return asked
        if status in RetryPolicy.TRANSIENT and self.policy.is_idempotent(method):
            return self.policy.backoff_delay(attempt)
        return None

    def _to_response(self, raw, method, display_path, allow_empty, attempt):
        status = raw.status_code
        text = raw.text
        if status >= 400:
            code, message = _error_message(raw, self.scrub(text), self.scrub(raw.reason or ""))
            message = self.scrub(message)  # again: the parsed body un-escapes what the raw text had escaped
            if attempt and (status == RetryPolicy.RATE_LIMITED or status in RetryPolicy.TRANSIENT):
                message += " (gave up after %d retries)" % attempt
            if status == 401 and self.platform:
                message += (": check api_token (FLOWOPS_API_TOKEN) and that region/api_url point at the account's %s host "
                            "(now %s)" % (self.platform, self.scrub(self.base_url)))
            raise FlowOpsError(message, status=status, method=method, path=display_path,
                               code=code, may_have_applied=status >= 500)
        if status == 204 or (not text.strip() and allow_empty):
            return Response(status, raw.headers, None, raw.url, method, display_path)
        if not text.strip():
            raise FlowOpsError("empty response body where JSON was expected", status=status, method=method,
                               path=display_path)
        try:
            body = json.loads(text)
        except ValueError:
            raise FlowOpsError("response is not valid JSON (%s, %d bytes): %s"
                               % (raw.headers.get("Content-Type", "no content type"), len(text), _snippet(self.scrub(text))),
                               status=status, method=method, path=display_path)
        return Response(status, raw.headers, body, raw.url, method, display_path)

    def _count(self):
        with self._count_lock:
            self.request_count += 1

    def scrub(self, text):
        """Remove every form of the token from text that may echo it."""
        return _scrub(text, self._secrets)

    def close(self):
        self.session.close()


def _never():
    return False


def _monotonic():
    """The pacer's clock, looked up at each call (tests replace this module's ``time``)."""
    return time.monotonic()


class _OffOriginRedirect(Exception):
    """A redirect to another origin: never followed (a 307/308 would re-send a write's body there)."""

    def __init__(self, target):
        super(_OffOriginRedirect, self).__init__(target)
        self.target = target


def _new_session(origin):
    """A Session that follows redirects on the configured ``origin`` only (raising ``_OffOriginRedirect`` for any other),
    keeps the auth header on that origin only, and never takes ~/.netrc."""

    class _Session(requests.Session):
        def __init__(self):
            super(_Session, self).__init__()
            self._environment_settings = {}

        def merge_environment_settings(self, url, proxies, stream, verify, cert):
            # requests reads the proxy variables again for each request, walking all of os.environ twice: a third of
            # a request's CPU. A module's environment does not change while it runs and every URL sent is on
            # ``origin`` (url_for, get_redirect_target), so the first answer for these arguments holds for the run.
            if proxies:
                return super(_Session, self).merge_environment_settings(url, proxies, stream, verify, cert)
            key = (stream, verify, cert)
            settings = self._environment_settings.get(key)
            if settings is None:
                settings = super(_Session, self).merge_environment_settings(url, proxies, stream, verify, cert)
                self._environment_settings[key] = settings
            return dict(settings, proxies=dict(settings["proxies"]))

        def get_redirect_target(self, resp):
            target = super(_Session, self).get_redirect_target(resp)
            if target:
                url = urljoin(resp.url, target)
                if _AMBIGUOUS.intersection(target) or not same_origin(url, origin):
                    # The path names the target; the query is left out, it may echo anything.
                    raise _OffOriginRedirect(_snippet(url.split("?", 1)[0].split("#", 1)[0]))
            return target

        def rebuild_auth(self, prepared_request, response):
            auth = self.auth
            prepared_request.headers.pop("Authorization", None)
            if isinstance(auth, _HeaderAuth):
                prepared_request.headers.pop(auth.header, None)
                if same_origin(prepared_request.url, origin):
                    auth(prepared_request)

    return _Session()


# A backslash makes a URL mean one host to one parser and another host to the next (user-info is refused in _origin).
_AMBIGUOUS = frozenset("\\")
_DEFAULT_PORTS = {"https": 443, "http": 80}


def origin_of(url):
    """``(scheme://host:port as urllib3 reads url, host as the standard library reads it)``, or None when urllib3
    cannot read it (user-info, no host, a bad port). Two URLs are on one origin when both parsers agree."""
    origin = _origin(url)
    return None if origin is None else (origin, _stdlib_host(url))


def same_origin(url, origin):
    """True when ``url`` goes to ``origin`` (an ``origin_of`` value, computed once per client) as requests
    (urllib3's ``parse_url``) reads it, and the standard library reads the host the same way."""
    found = origin_of(url)
    return found is not None and found == origin


def _origin(url):
    """``scheme://host:port`` as urllib3 reads ``url`` (what requests connects to), or None when it has user-info,
    no host or cannot be parsed."""
    try:
        parts = parse_url(url)
        netloc = urlsplit(url).netloc
    except (LocationParseError, ValueError):
        return None
    if parts.auth or not parts.host or "@" in netloc:
        return None
    scheme = (parts.scheme or "").lower()
    return "%s://%s:%s" % (scheme, parts.host.lower(), parts.port or _DEFAULT_PORTS.get(scheme))


def _stdlib_host(url):
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None


def scrub_token(text, token):
    """``text`` without any form of ``token`` (or of it without surrounding whitespace)."""
    if not token:
        return text
    return _scrub(text, _secret_forms(token) + _secret_forms(token.strip()))


def _scrub(text, secrets):
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def _secret_forms(token):
    """Every form a server or URL may echo the token in: raw, URL-encoded (either case of hex, + for spaces),
    JSON-escaped (with and without escaped slashes), HTML-escaped and base64 (standard and URL-safe, padded or not)."""
    raw = token.encode("utf-8")
    encoded = quote(token, safe="")
    json_escaped = json.dumps(token)[1:-1]
    forms = {token, encoded, _lower_hex(encoded), quote_plus(token, safe=""), json_escaped,
             json_escaped.replace("/", "\\/"), html.escape(token)}
    for b64 in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = b64.decode("ascii")
        forms.update((text, text.rstrip("=")))
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def _lower_hex(encoded):
    """``%2F`` as ``%2f``: some servers echo percent-escapes in lower case."""
    parts = encoded.split("%")
    return parts[0] + "".join("%" + part[:2].lower() + part[2:] for part in parts[1:])


def _never_reached_server(exc):
    """True only when the request provably never left this host (refused/unresolvable/connect timeout/TLS)."""
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    name = type(reason).__name__
    return name in ("NewConnectionError", "NameResolutionError") or "Failed to establish a new connection" in str(reason)


def _host(url):
    """``host:port`` of ``url`` for a message."""
    origin = _origin(url) or ""
    return origin.split("://", 1)[-1] or "the API host"


def _chain(exc):
    """``exc`` and every exception behind it (urllib3 wraps the socket error a few levels down)."""
    seen, todo = [], [exc]
    while todo and len(seen) < 12:
        item = todo.pop(0)
        if item is None or any(item is known for known in seen):
            continue
        seen.append(item)
        todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
        todo.extend(arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException))
    return seen


# (words found in the exception chain, what happened, what to check), first match wins.
_CONNECTION_CAUSES = (
    (("NameResolutionError", "gaierror", "Name or service not known", "Temporary failure in name resolution",
      "nodename nor servname"), "%s does not resolve (DNS)", "check the host in api_url or region, and DNS or proxy settings"),
    (("ConnectionRefusedError", "Connection refused", "[Errno 111]"), "refused by %s",
     "check that api_url or region points at the API and that it is up (the emulator: that it runs on that port)"),
    (("ConnectionResetError", "RemoteDisconnected", "Connection aborted", "Connection reset", "BrokenPipeError"),
     "%s closed the connection before answering", "a proxy or load balancer may be cutting connections"),
)


def _connection_cause(exc):
    text = " ".join("%s %s" % (type(item).__name__, item) for item in _chain(exc))
    for words, what, check in _CONNECTION_CAUSES:
        if any(word in text for word in words):
            return what, check
    return None, None


def _describe_exception(exc, timeout, attempt, scrub, host, tries):
    """One line for a request that got no answer: the cause, the host, the attempts over how long, what to check."""
    check = None
    if isinstance(exc, requests.exceptions.SSLError):
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate" in str(exc).lower():
            what = "TLS certificate verification failed for %s (set validate_certs: false only for a trusted test " \
                   "host)" % host
        else:
            what = "TLS handshake with %s failed: %s" % (host, _snippet(scrub(str(exc)), 80))
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        what, check = "connection failed: no connection to %s within %s s (connect timeout)" % (host, timeout), \
            "check the network path, a proxy or firewall, or raise timeout"
    elif isinstance(exc, requests.exceptions.Timeout):
        what, check = "no response within %s s (timeout) from %s" % (timeout, host), "raise timeout if the API is slow"
    elif isinstance(exc, requests.exceptions.ConnectionError):
        cause, check = _connection_cause(exc)
        what = "connection failed: %s" % (cause % host if cause else "%s: %s" % (host, _snippet(scrub(str(exc)), 80)))
    else:
        what = "request failed: %s" % _snippet(scrub(str(exc)))
    what += " (%s%s)" % (tries, ", gave up after %d retries" % attempt if attempt else "")
    return what + ("; " + check if check else "")


def _error_message(raw, text, reason):
    """(code, message) from the platform's error body; Celigo's 401 is a bare {"message": ...}."""
    try:
        body = json.loads(text) if text.strip() else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
            messages = [e.get("message", "") if isinstance(e, dict) else str(e) for e in errors]
            code = first.get("code")
            return (str(code) if code is not None else None), "; ".join(m for m in messages if m) or reason
        if isinstance(body.get("code"), str) and isinstance(body.get("params"), dict):
            # Activepieces: {"code": "ENTITY_NOT_FOUND", "params": {"message": ..., ...}}
            params = body["params"]
            message = params.get("message") if isinstance(params.get("message"), str) else None
            details = ", ".join("%s=%s" % (k, v) for k, v in sorted(params.items()) if k != "message" and
                                isinstance(v, (str, int, float)))
            return body["code"], message or details or body["code"]
        for key in ("message", "detail", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return None, value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                code = value.get("code")
                return (str(code) if code is not None else None), value["message"]
            if isinstance(value, list) and value and isinstance(value[0], dict) and value[0].get("msg"):
                return None, "; ".join(str(item.get("msg")) for item in value if isinstance(item, dict))
    if text.strip():
        return None, "unexpected %s response: %s" % (raw.headers.get("Content-Type", "non-JSON"), _snippet(text))
    return None, reason or "no response body"


def _snippet(text, limit=120):
    return " ".join(text.split())[:limit]
