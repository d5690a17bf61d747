"""Small loopback servers for the fault suite: a recording HTTP relay in front of the emulator (optionally TLS,
optionally refusing connections on demand), which also serves as a "foreign host" catcher with no upstream.

Only loopback addresses are accepted. Everything runs in daemon threads with bounded waits.
"""

import datetime
import http.client
import ipaddress
import json
import select
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "upgrade", "te",
              "trailer", "host"}


class Seen:
    """One request a relay received."""

    __slots__ = ("method", "path", "headers", "body", "ts")

    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.ts = time.time()

    def header(self, name):
        return {key.lower(): value for key, value in self.headers.items()}.get(name.lower())

    def text(self):
        """Everything the client sent, for "does the token appear anywhere" checks."""
        heads = "\n".join("%s: %s" % item for item in self.headers.items())
        return "%s %s\n%s\n\n%s" % (self.method, self.path, heads, self.body.decode("utf-8", "replace"))


class _RelayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def _relay(self):
        relay = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        seen = Seen(self.command, self.path, dict(self.headers.items()), body)
        relay.record(seen)
        answer = relay.hook(seen) if relay.hook else None
        if answer is None:
            answer = relay.forward(seen)
        status, headers, payload = answer[:3]
        reason = answer[3] if len(answer) > 3 else None
        if relay.before_reply:
            relay.before_reply(seen)
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode("utf-8")
            headers = dict(headers, **{"Content-Type": "application/json"})
        payload = payload or b""
        self.send_response(status, reason)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if relay.close_each:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _relay


def _check_loopback(host):
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError("loopback only, not %s" % host)
    return host


class Relay:  # pylint: disable=too-many-instance-attributes
    """An HTTP server on a loopback address that records every request and either answers it itself
    (``hook(seen)`` returns ``(status, headers, body[, reason])``) or forwards it to ``upstream``.

    ``refuse()`` stops listening (new connections are refused by the kernel) until ``reopen()``.
    ``close_each`` answers every request with ``Connection: close`` so each request opens a new connection.
    ``tls`` is an ``ssl.SSLContext`` (server side) to speak HTTPS.
    """

    def __init__(self, upstream=None, *, host="127.0.0.1", hook=None, tls=None, close_each=False,  # pylint: disable=too-many-arguments
                 before_reply=None):
        self.host = _check_loopback(host)
        self.upstream = upstream
        self.hook = hook
        self.tls = tls
        self.close_each = close_each
        self.before_reply = before_reply
        self.seen = []
        self.connections = 0
        self.lock = threading.Lock()
        self._listener = self._listen(0)
        self.port = self._listener.getsockname()[1]
        self._want_open = True
        self._state_changed = threading.Condition(self.lock)
        self._stopping = threading.Event()
        self._clients = set()
        self._thread = threading.Thread(target=self._accept_loop, name="relay-%d" % self.port, daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", self.host, self.port)

    def _listen(self, port):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        sock.listen(64)
        sock.setblocking(False)
        return sock

    # -- control ---------------------------------------------------------------------------------

    def refuse(self):
        """Stop listening; returns once the port refuses connections."""
        self._set_open(False)

    def reopen(self):
        """Listen again on the same port; returns once it accepts connections."""
        self._set_open(True)

    def _set_open(self, wanted):
        deadline = time.monotonic() + 5
        with self._state_changed:
            self._want_open = wanted
            while (self._listener is not None) != wanted:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RuntimeError("relay did not %s in time" % ("reopen" if wanted else "close"))
                self._state_changed.wait(remaining)

    def record(self, seen):
        with self.lock:
            self.seen.append(seen)

    def requests(self, method=None, path_contains=None):
        with self.lock:
            return [s for s in self.seen if (method is None or s.method == method)
                    and (path_contains is None or path_contains in s.path)]

    # -- serving ---------------------------------------------------------------------------------

    def _accept_loop(self):
        while not self._stopping.is_set():
            with self._state_changed:
                if self._want_open and self._listener is None:
                    self._listener = self._listen(self.port)
                    self._state_changed.notify_all()
                elif not self._want_open and self._listener is not None:
                    self._listener.close()
                    self._listener = None
                    self._state_changed.notify_all()
                listener = self._listener
            if listener is None:
                time.sleep(0.01)
                continue
            try:
                ready, _w, _x = select.select([listener], [], [], 0.02)
            except (OSError, ValueError):
                continue
            if not ready:
                continue
            try:
                conn, address = listener.accept()
            except (BlockingIOError, OSError):
                continue
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(conn, address), daemon=True).start()

    def _serve(self, conn, address):
        conn.setblocking(True)
        try:
            if self.tls is not None:
                conn.settimeout(10)
                conn = self.tls.wrap_socket(conn, server_side=True)
            with self.lock:
                self._clients.add(conn)
            _RelayHandler(conn, address, self)
        except (OSError, ssl.SSLError):
            pass  # the client gave up (certificate refused, timeout, reset): expected in fault tests
        finally:
            with self.lock:
                self._clients.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def forward(self, seen):
        """Send the request to the upstream emulator and return its answer; 502 when that fails."""
        if not self.upstream:
            return 404, {}, {"message": "nothing here"}
        host, port = self.upstream.split("://", 1)[1].split(":")
        upstream = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {name: value for name, value in seen.headers.items() if name.lower() not in HOP_BY_HOP}
        try:
            upstream.request(seen.method, seen.path, body=seen.body or None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            answer = {name: value for name, value in response.getheaders() if name.lower() not in HOP_BY_HOP}
            return response.status, answer, payload
        except OSError as exc:
            return 502, {}, {"message": "relay: upstream failed: %s" % exc}
        finally:
            upstream.close()

    def stop(self):
        self._stopping.set()
        self._thread.join(5)
        with self.lock:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            clients = list(self._clients)
        for conn in clients:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def self_signed_context(directory, host="127.0.0.1"):
    """A server ``SSLContext`` with a fresh self-signed certificate for ``host`` (made with ``cryptography``)."""
    # pylint: disable=import-outside-toplevel
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path = directory / "server.crt"
    key_path = directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert_path), str(key_path))
    return context
