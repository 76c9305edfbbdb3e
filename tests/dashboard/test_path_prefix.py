"""flowboard behind a real reverse proxy on a sub-path (`--path_prefix`), in headless Chromium."""
from __future__ import annotations

import http.client
import http.server
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from dashboard_events import histogram, image, new_file, scalar, text
from flowlog.dashboard.app import create_app

PREFIX = "/lab/user/me/flowboard"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authenticate", "proxy-authorization"}


class ReverseProxy(http.server.ThreadingHTTPServer):
    """Passes requests under PREFIX on to flowboard with their full path, as a gateway that
    serves several applications on one host does; anything else is answered 502 and kept in
    `escaped`."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.escaped: list[str] = []
        self.forwarded: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _forward(self):
        proxy: ReverseProxy = self.server
        if not (self.path == PREFIX or self.path.startswith((PREFIX + "/", PREFIX + "?"))):
            proxy.escaped.append(self.path)
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        proxy.forwarded.append(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_HEAD = _forward


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("prefix")
    new_file(logdir / "a", [scalar("loss", s, 1.0 / (s + 1)) for s in range(50)]
             + [histogram("weights", s, np.random.default_rng(s).normal(s, 1, 200))
                for s in range(0, 30, 10)]
             + [image("digit", 3, np.full((8, 8, 3), 200, np.uint8)), text("notes", 1, "hi")])
    new_file(logdir / "b", [scalar("loss", s, 2.0 / (s + 1)) for s in range(50)])
    url = flowboard_server(logdir, "--path_prefix", PREFIX + "/")
    assert url.endswith(PREFIX + "/"), url  # the printed URL carries the prefix
    port = int(url.split(":")[2].split("/")[0])
    proxy = ReverseProxy(port)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    yield proxy
    proxy.shutdown()


def test_the_page_loads_everything_under_the_prefix(proxied, checked_page):
    page = checked_page
    base = f"http://127.0.0.1:{proxied.server_port}"
    requests, failures = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("response", lambda r: failures.append((r.status, r.url)) if r.status >= 400 else None)
    page.goto(base + PREFIX)  # no trailing slash: redirected to PREFIX/
    assert page.url == base + PREFIX + "/"
    page.wait_for_function("""() => {
        const gd = document.querySelector('.card[data-tag="loss"] .chart');
        return gd && gd.data && gd.data.filter(t => t.meta.kind === "smoothed").length === 2;
    }""", timeout=30_000)
    page.click('.tabs button[data-tab="histograms"]')
    page.wait_for_function("""() => {
        const gd = document.querySelector('.card[data-tag="weights"] .js-plotly-plot');
        return gd && gd.data.length === 3;
    }""", timeout=30_000)
    page.click('.tabs button[data-tab="images"]')
    page.wait_for_function("""() => {
        const img = document.querySelector('.card[data-tag="digit"] img');
        return img && img.complete && img.naturalWidth === 8;
    }""", timeout=30_000)
    page.click('.tabs button[data-tab="text"]')
    page.wait_for_selector("text=hi", timeout=30_000)
    page.reload()  # the URL the page keeps its state in stays under the prefix too
    page.wait_for_selector("text=hi", timeout=30_000)
    assert page.url.startswith(base + PREFIX + "/?") and "tab=text" in page.url
    http_requests = [u for u in requests if u.startswith("http")]
    assert proxied.escaped == [] and failures == []
    assert all(u.startswith(base + PREFIX + "/") or u == base + PREFIX for u in http_requests)
    kinds = {u.split(PREFIX + "/", 1)[1].split("/")[0] for u in http_requests if PREFIX + "/" in u}
    assert {"static", "vendor", "data"} <= kinds, kinds


def test_outside_the_prefix_is_not_found_and_the_bare_prefix_redirects(tmp_path):
    client = create_app(tmp_path, reload_interval=0, start=False,
                        path_prefix="/p/").test_client()
    assert client.get("/p/data/runs").json == []
    assert client.get("/data/runs").status_code == 404
    assert "served under /p/" in client.get("/").json["error"]
    r = client.get("/p?tab=text")
    assert r.status_code == 308 and r.headers["Location"] == "/p/?tab=text"
    assert client.get("/pq/").status_code == 404  # a longer name is not under the prefix
    assert client.get("/p/").status_code == 200


@pytest.mark.parametrize("prefix", ["/a b", "/p?x", "/../etc", "/p//q", "/p%2f"])
def test_a_prefix_that_is_no_plain_path_is_refused_naming_it(tmp_path, prefix):
    with pytest.raises(ValueError, match="path prefix"):
        create_app(tmp_path, start=False, path_prefix=prefix)


def test_the_proxy_only_reaches_flowboard_under_the_prefix(proxied):
    base = f"http://127.0.0.1:{proxied.server_port}"
    with urllib.request.urlopen(base + PREFIX + "/data/runs", timeout=30) as r:
        assert r.status == 200
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(base + "/data/runs", timeout=30)
    assert e.value.code == 502
