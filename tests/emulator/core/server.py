"""HTTP serving for the emulators: a threaded server on a loopback address only, connection resets, handles.

``EmulatorServer(app).start()`` serves an ``EmulatorApp`` (app.py) in a daemon thread.
"""

import ipaddress
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .app import ADMIN_PREFIX, API_PREFIX, Request


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FlowOpsEmulator/1.0"

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle + delayed ACK stall each response ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def do_GET(self):
        self._serve()

    do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _serve(self):
        app = self.server.app
        split = urlsplit(self.path)
        path, prefix = split.path, ""
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            path, prefix = path[len(API_PREFIX):], API_PREFIX
        if path.startswith(ADMIN_PREFIX):
            self._send(app.admin(self.command, path, self._read_body()))
            return
        number, fault = app.begin(self.command, path)
        latency = app.switch("latency_ms")
        if latency:
            time.sleep(float(latency) / 1000.0)
        if fault is not None and fault.action == "reset_before":
            app.log(Request(self.command, path, prefix, split.query, self.headers, b""), None, fault)
            self._reset()
            return
        request = Request(self.command, path, prefix, split.query, self.headers, self._read_body())
        reply = app.process(request, number, fault)
        if fault is not None and fault.action == "reset_after":
            self._reset()
            return
        if fault is not None and fault.action == "delay":
            time.sleep(fault.seconds)
        self._send(reply)

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, reply):
        payload = reply.payload()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status not in (204, 304):
            if reply.body is not None:
                self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD" and reply.status not in (204, 304):
            self.wfile.write(payload)

    def _reset(self):
        """Drop the connection with a TCP reset and no response."""
        self.close_connection = True
        self.server.reset_sockets.add(self.connection)
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address, app, family):
        self.address_family = family
        self.app = app
        self.open_sockets = set()
        self.reset_sockets = set()
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        self.open_sockets.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            self.open_sockets.discard(request)

    def shutdown_request(self, request):
        if request in self.reset_sockets:
            self.reset_sockets.discard(request)  # no FIN first: close() with SO_LINGER 0 sends the RST
            self.close_request(request)
            return
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        pass  # clients that hang up mid-response are expected (timeouts, resets)


def check_loopback(host):
    """The address to bind; refuses anything but loopback (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError("refusing to bind %r: the emulator only listens on loopback (127.0.0.0/8 or ::1)" % host)
    return str(address)


class EmulatorServer:
    """Serves an EmulatorApp on a loopback address; ``start()`` runs it in a daemon thread."""

    def __init__(self, app, host="127.0.0.1", port=0):
        host = check_loopback(host)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.app = app
        self.httpd = _HTTPServer((host, port), app, family)
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = None
        app.base_url = self.url

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d" % (host, self.port)

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name="emulator-%d" % self.port, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.thread is not None:
            self.httpd.shutdown()
            self.thread.join(5)
            self.thread = None
        for sock in list(self.httpd.open_sockets):  # wake handler threads idling on keep-alive connections
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


class EmulatorHandle:
    """What tests hold: the URL, the app and its switches, the request log and the recorded violations."""

    def __init__(self, app, server, scenario=None):
        self.app = app
        self.server = server
        self.scenario = scenario

    @property
    def state(self):
        return self.app.state

    @property
    def token(self):
        return self.app.state.token

    @property
    def url(self):
        return self.server.url

    def configure(self, **switches):
        self.app.configure(**switches)
        return self

    def load(self, scenario):
        self.scenario = scenario
        self.app.load(scenario)
        return self

    @property
    def requests(self):
        with self.app.lock:
            return list(self.app.request_log)

    def non_get_requests(self):
        return [entry for entry in self.requests if entry["method"] != "GET"]

    def rejected_writes(self):
        """Writes (non-GET) the emulator refused itself: any answer but a 2xx, other than an injected fault or a 429
        (some platforms refuse with a 4xx, Cloudflare's Workflows engine with a 500)."""
        return [entry for entry in self.requests if entry["method"] not in ("GET", "HEAD") and entry["status"] is not None
                and not 200 <= entry["status"] < 300 and entry["status"] != 429 and not entry.get("fault")]

    def clear_requests(self):
        with self.app.lock:
            del self.app.request_log[:]

    @property
    def openapi_violations(self):
        return self.app.violations

    @property
    def internal_errors(self):
        return self.app.internal_errors

    def problems(self):
        """One line per recorded spec violation or emulator crash."""
        lines = ["%(kind)s %(method)s %(path)s (status %(status)s): %(message)s" % item for item in self.app.violations]
        return lines + ["emulator error: %s" % text for text in self.app.internal_errors]

    def stop(self):
        self.server.stop()


def start_emulator(app_class, handle_class, scenario, host="127.0.0.1", port=0, **switches):
    """Start ``app_class(scenario, **switches)`` in a thread; returns a started ``handle_class`` (call ``.stop()``)."""
    app = app_class(scenario, **switches)
    server = EmulatorServer(app, host, port).start()
    return handle_class(app, server, scenario)
