"""A real S3 endpoint for tests: moto's server on a local port, and a proxy that can fail."""
from __future__ import annotations

import http.client
import http.server
import logging
import os
import threading
from contextlib import contextmanager

# Hop-by-hop headers, which a proxy must not pass on.
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class FaultyProxy(http.server.ThreadingHTTPServer):
    """Passes every request on to `target`, or answers 503 while `failing` is set; counts
    the bytes of every upload it passes on."""

    daemon_threads = True

    def __init__(self, target: tuple[str, int]):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.target = target
        self.failing = threading.Event()
        self.refused = 0
        self.put_bytes = 0
        self.puts = 0
        self.requests = 0  # passed on
        self.bytes_out = 0  # of the answers passed back
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _relay(self) -> None:
        server: FaultyProxy = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if server.failing.is_set():
            with server.lock:
                server.refused += 1
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with server.lock:
            server.requests += 1
            if self.command == "PUT":
                server.puts += 1
                server.put_bytes += len(body)
        conn = http.client.HTTPConnection(*server.target, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"expect"}}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        r = conn.getresponse()
        data = r.read()
        with server.lock:
            server.bytes_out += len(data)
        self.send_response(r.status)
        head = self.command == "HEAD"  # its Content-Length is the object's, with no body
        for k, v in r.getheaders():
            if k.lower() not in _HOP and (head or k.lower() != "content-length"):
                self.send_header(k, v)
        if not head:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _relay


@contextmanager
def s3_endpoint():
    """Moto's S3 server on a free local port behind a `FaultyProxy`; while inside, the
    environment points every S3 client (s3fs, boto3, TensorBoard) at the proxy."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    proxy = FaultyProxy(server.get_host_and_port())
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": proxy.url,
           "S3_ENDPOINT": proxy.url}  # S3_ENDPOINT: TensorBoard's own S3 reader
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield proxy
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        proxy.shutdown()
        server.stop()
