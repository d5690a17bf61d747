# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client against real loopback sockets: auth header vs ~/.netrc, redirects, refused and dropped connections."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from ansible_collections.flowops.ipaas.plugins.module_utils._http.client import Client, RetryPolicy
from ansible_collections.flowops.ipaas.plugins.module_utils.errors import FlowOpsError

TOKEN = "loopback-token-0123456789abcdef"


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, route):
        self.route = route
        self.seen = []
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), Handler)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers.items())))
        status, headers, body = self.server.route(self)
        payload = json.dumps(body).encode("utf-8") if body is not None else b""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture
def servers():
    started = []

    def start(route):
        server = Recorder(route)
        thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05))
        thread.daemon = True
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(2)


@pytest.fixture
def isolated_env(tmp_path, monkeypatch):
    """An empty HOME and no proxies, so only what a test sets up reaches requests."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("NETRC", "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    return home


def _client(base_url, **kwargs):
    kwargs.setdefault("sleep", lambda seconds: None)
    kwargs.setdefault("timeout", 5)
    return Client(base_url, TOKEN, **kwargs)


def _auth(seen):
    return {k.lower(): v for k, v in seen[2].items()}.get("authorization")


def test_bearer_header_wins_over_netrc(servers, isolated_env):
    netrc = isolated_env / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-secret\n")
    os.chmod(str(netrc), 0o600)
    server = servers(lambda handler: (200, {}, {"ok": True}))

    # the .netrc is live: a plain requests call picks it up
    requests.get(server.url + "/probe", timeout=5).close()
    assert _auth(server.seen[0]).startswith("Basic ")

    client = _client(server.url)
    try:
        assert client.request("GET", "/v1/flows").body == {"ok": True}
    finally:
        client.close()
    assert server.seen[1][1] == "/v1/flows"
    assert _auth(server.seen[1]) == "Bearer " + TOKEN


@pytest.mark.parametrize("status, method", [(302, "GET"), (301, "GET"), (307, "POST"), (308, "POST"), (303, "POST")])
def test_a_redirect_to_another_origin_is_refused_in_one_line_and_nothing_reaches_it(servers, isolated_env, status, method):
    landing = servers(lambda handler: (200, {}, {}))
    origin = servers(lambda handler: (status, {"Location": landing.url + "/elsewhere?token=" + TOKEN}, None))
    client = _client(origin.url)
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request(method, "/v1/flows/f1/retry", body={"retryDataKeys": ["k1"]} if method == "POST" else None)
    finally:
        client.close()
    message = str(info.value)
    assert message == ("%s /v1/flows/f1/retry: the server redirected to %s/elsewhere, which is not the configured host "
                       "%s: not followed, nothing was sent there" % (method, landing.url, origin.url)), message
    assert TOKEN not in message
    assert landing.seen == [] and len(origin.seen) == 1
    assert info.value.may_have_applied is (method == "POST")


def test_a_redirect_on_the_same_origin_is_followed_with_the_token(servers, isolated_env):
    server = servers(lambda handler: (302, {"Location": "/v1/moved"}, None) if handler.path == "/v1/flows"
                     else (200, {}, {"path": handler.path}))
    client = _client(server.url)
    try:
        assert client.request("GET", "/v1/flows").body == {"path": "/v1/moved"}
    finally:
        client.close()
    assert [_auth(seen) for seen in server.seen] == ["Bearer " + TOKEN] * 2


def test_user_info_and_backslash_urls_never_reach_the_other_host(servers, isolated_env):
    """``http://OTHER:P2\\@CONFIGURED:P1/`` is CONFIGURED to urlsplit and OTHER to urllib3: refused either way."""
    other = servers(lambda handler: (200, {}, {}))
    configured = servers(lambda handler: (200, {}, {}))
    host_port = configured.url.split("//")[1]
    other_host_port = other.url.split("//")[1]
    client = _client(configured.url)
    bypasses = ["http://%s\\@%s/api/v1/flows" % (other_host_port, host_port),
                "http://%s@%s/api/v1/flows" % (other_host_port, host_port),
                "http://user:pw@%s/v1/flows" % host_port,
                "http://%s\\%s/v1/flows" % (host_port, other_host_port)]
    try:
        for url in bypasses:
            with pytest.raises(FlowOpsError) as info:
                client.request("GET", url)
            assert "refusing" in str(info.value), (url, str(info.value))
        with pytest.raises(FlowOpsError):
            client.request("GET", 12345)
    finally:
        client.close()
    assert other.seen == [] and configured.seen == []


def test_an_exception_outside_requests_becomes_one_scrubbed_line(servers, isolated_env, monkeypatch):
    server = servers(lambda handler: (200, {}, {}))
    client = _client(server.url)

    def broken(*args, **kwargs):
        raise ValueError("Invalid header value b'Bearer %s\\n'" % TOKEN)

    monkeypatch.setattr(client.session, "request", broken)
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request("GET", "/v1/flows")
    finally:
        client.close()
    assert str(info.value) == "GET /v1/flows: request failed: ValueError: Invalid header value b'Bearer ********\\n'"


def test_get_and_post_reach_a_real_server(servers, isolated_env):
    server = servers(lambda handler: (200, {}, {"path": handler.path}))
    client = _client(server.url)
    try:
        assert client.request("GET", "/v1/flows", params={"_integrationId": "i 1"}).body == {
            "path": "/v1/flows?_integrationId=i+1"}
        client.request("POST", "/v1/flows/f1/run", body={"a": 1})
    finally:
        client.close()
    assert [(method, path) for method, path, dummy in server.seen] == [
        ("GET", "/v1/flows?_integrationId=i+1"), ("POST", "/v1/flows/f1/run")]
    assert {k.lower(): v for k, v in server.seen[1][2].items()}["content-type"] == "application/json"


def test_a_proxy_in_the_environment_carries_every_request(servers, isolated_env, monkeypatch):
    """The environment's proxy is used for each request, though the client reads the environment only once."""
    proxy = servers(lambda handler: (200, {}, {"via": "proxy"}))
    target = "http://127.0.0.1:%d" % _closed_port()  # nothing listens there: only the proxy can answer
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("http_proxy", proxy.url)
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy")
    lookups = []
    environ_proxies = requests.sessions.get_environ_proxies
    monkeypatch.setattr(requests.sessions, "get_environ_proxies",
                        lambda *args, **kwargs: lookups.append(args) or environ_proxies(*args, **kwargs))
    client = _client(target)
    try:
        assert [client.request("GET", "/v1/flows/f%d/errors" % n).body for n in range(3)] == [{"via": "proxy"}] * 3
        client.request("POST", "/v1/flows/f1/retry", body={"retryDataKeys": ["k1"]})
    finally:
        client.close()
    assert [(method, path) for method, path, dummy in proxy.seen] == [
        ("GET", "%s/v1/flows/f%d/errors" % (target, n)) for n in range(3)] + [("POST", target + "/v1/flows/f1/retry")]
    assert len(lookups) == 1


def test_no_proxy_naming_the_host_bypasses_the_proxy_on_every_request(servers, isolated_env, monkeypatch):
    proxy = servers(lambda handler: (200, {}, {"via": "proxy"}))
    server = servers(lambda handler: (200, {}, {"via": "direct"}))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("http_proxy", proxy.url)
    client = _client(server.url)
    try:
        assert [client.request("GET", "/v1/flows").body for dummy in range(3)] == [{"via": "direct"}] * 3
    finally:
        client.close()
    assert proxy.seen == [] and len(server.seen) == 3


def _closed_port():
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_refused_connection_is_resent_even_for_post(isolated_env):
    sleeps = []
    client = _client("http://127.0.0.1:%d" % _closed_port(), sleep=sleeps.append,
                     policy=RetryPolicy(max_retries=2, backoff=0.01))
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request("POST", "/v1/flows/f1/run")
    finally:
        client.close()
    assert client.request_count == 3
    assert sleeps == [0.01, 0.02]
    assert info.value.may_have_applied is False
    assert "gave up after 2 retries" in str(info.value)


class Dropper:
    """Accepts connections, reads the request head, and closes without answering."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.1)
        self.accepted = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve)
        self.thread.daemon = True
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn = self.sock.accept()[0]
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            conn.settimeout(2)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            conn.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def dropper():
    server = Dropper()
    yield server
    server.stop()


def test_dropped_connection_on_post_is_not_resent(dropper, isolated_env):
    sleeps = []
    client = _client(dropper.url, sleep=sleeps.append, policy=RetryPolicy(max_retries=3, backoff=0.01))
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request("POST", "/v1/flows/f1/s1/retry", body={"retryDataKeys": ["k1"]})
    finally:
        client.close()
    assert client.request_count == 1
    assert dropper.accepted == 1
    assert sleeps == []
    assert info.value.may_have_applied is True


def test_dropped_connection_on_get_is_retried(dropper, isolated_env):
    sleeps = []
    client = _client(dropper.url, sleep=sleeps.append, policy=RetryPolicy(max_retries=2, backoff=0.01))
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request("GET", "/v1/flows")
    finally:
        client.close()
    assert client.request_count == 3
    assert sleeps == [0.01, 0.02]
    assert "gave up after 2 retries" in str(info.value)


# -- issue #27: a connection failure in one line with its cause, the host, the attempts, what to check -----------


def test_a_refused_connection_names_the_cause_host_attempts_and_what_to_check(isolated_env):
    port = _closed_port()
    client = _client("http://127.0.0.1:%d" % port, policy=RetryPolicy(max_retries=2, backoff=0.01))
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request("GET", "/v1/flows", params={"_abstractFlowId": "96263ae6c5e818"})
    finally:
        client.close()
    message = str(info.value)
    assert message.startswith("GET /v1/flows: connection failed: refused by 127.0.0.1:%d (3 attempts over " % port), message
    assert "gave up after 2 retries); check that api_url or region points at the API and that it is up" in message
    assert "96263ae6c5e818" not in message and "\n" not in message and len(message) < 300


def test_a_connection_closed_without_an_answer_says_so(dropper, isolated_env):
    client = _client(dropper.url)
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request("POST", "/v1/flows/f1/s1/retry", body={"retryDataKeys": ["k"]})
    finally:
        client.close()
    message = str(info.value)
    assert message.startswith("POST /v1/flows/f1/s1/retry: connection failed: %s closed the connection before answering "
                              "(1 attempt over " % dropper.url.split("//")[1]), message


def test_no_answer_within_the_timeout_names_the_host_and_what_to_check(isolated_env):
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts (the kernel does) and never answers
    host = "127.0.0.1:%d" % silent.getsockname()[1]
    client = _client("http://" + host, timeout=0.3, policy=RetryPolicy(max_retries=0))
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request("POST", "/v1/flows/f1/run")
    finally:
        client.close()
        silent.close()
    assert str(info.value).startswith("POST /v1/flows/f1/run: no response within 0.3 s (timeout) from %s (1 attempt over "
                                      % host), str(info.value)
    assert str(info.value).endswith("; raise timeout if the API is slow")


def test_a_name_that_does_not_resolve_says_dns(isolated_env, monkeypatch):
    client = _client("https://api.integrator.invalid")

    def unresolvable(*args, **kwargs):
        raise requests.exceptions.ConnectionError(
            "HTTPSConnectionPool(host='api.integrator.invalid', port=443): Max retries exceeded with url: /v1/flows?x=1 "
            "(Caused by NameResolutionError(\"Failed to resolve 'api.integrator.invalid' ([Errno -2] Name or service not "
            "known)\"))")

    monkeypatch.setattr(client.session, "request", unresolvable)
    client.policy = RetryPolicy(max_retries=0)
    try:
        with pytest.raises(FlowOpsError) as info:
            client.request("GET", "/v1/flows")
    finally:
        client.close()
    assert str(info.value).startswith("GET /v1/flows: connection failed: api.integrator.invalid:443 does not resolve "
                                      "(DNS) (1 attempt over "), str(info.value)
    assert str(info.value).endswith("; check the host in api_url or region, and DNS or proxy settings")
