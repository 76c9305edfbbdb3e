"""`%flowboard` in a real notebook run by a real kernel (nbclient + ipykernel)."""
from __future__ import annotations

import http.client
import http.server
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from flowlog.dashboard import instances
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

import flowlog as fl

KERNEL = "flowlog-test"


@pytest.fixture(autouse=True)
def kernel_spec(tmp_path, monkeypatch):
    """A kernel spec running this very Python, found before any other the machine has."""
    folder = tmp_path / "jupyter" / "kernels" / "flowlog-test"
    folder.mkdir(parents=True)
    (folder / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "flowlog test", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))


def _write_runs(logdir: Path) -> None:
    with fl.SummaryWriter(logdir / "a") as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)


def _html(cell) -> str:
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


def _stderr(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")


def _iframe_url(cell) -> str:
    match = re.search(r'<iframe[^>]* src="([^"]+)"', _html(cell))
    assert match, cell.outputs
    return match.group(1)


def _refuses(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_magic_starts_reuses_and_stops_with_the_kernel(tmp_path, browser):
    logdir = tmp_path / "runs"
    _write_runs(logdir)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        taken_port = taken.getsockname()[1]
        nb = new_notebook(cells=[
            new_code_cell("%load_ext flowlog"),
            new_code_cell(f"%flowboard --logdir {logdir}"),
            new_code_cell(f"%flowboard --logdir {logdir} --reload_interval 5"),
            new_code_cell("import flowlog.notebook\nflowlog.notebook.list()"),
            new_code_cell(f"%flowboard --logdir {tmp_path / 'nowhere'}"),
            new_code_cell(f"%flowboard --logdir {logdir} --port {taken_port}"),
            new_code_cell("flowlog.notebook.display(height=300)"),
        ])
        client = NotebookClient(nb, timeout=120, kernel_name=KERNEL,
                                resources={"metadata": {"path": str(tmp_path)}})
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            first, second, listed, missing, busy, shown = nb.cells[1:]
            url = _iframe_url(first)
            port = int(re.match(r"http://localhost:(\d+)/$", url).group(1))
            with urllib.request.urlopen(url, timeout=30) as r:
                assert r.status == 200 and b"<title>flowboard</title>" in r.read()
                csp = r.headers["Content-Security-Policy"]
                assert "frame-ancestors 'self' http://localhost:*" in csp
                assert r.headers["X-Frame-Options"] is None
            # The same logdir with the same options: the same server, said so.
            assert _iframe_url(second) == url
            assert f"Reusing flowboard on port {port}" in "".join(
                o.get("text", "") for o in second.outputs)
            server = [i for i in instances.running() if i["port"] == port]
            assert len(server) == 1
            assert f"port {port}: logdir {logdir}" in listed.outputs[0]["text"]
            # Errors are one line in the cell, no traceback.
            assert _stderr(missing).strip() == (
                f"flowboard: logdir {str(tmp_path / 'nowhere')!r} does not exist or is not a "
                "directory")
            assert "\n" not in _stderr(busy).strip()
            assert f"127.0.0.1:{taken_port}: port is already in use" in _stderr(busy)
            assert 'height="300"' in _html(shown) and _iframe_url(shown) == url
            _shows_inside_a_notebook_page(browser, _html(first), tmp_path)
    # The kernel is gone: so is the server it started.
    deadline = time.monotonic() + 30
    while not _refuses(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _refuses(port)
    assert not [i for i in instances.running() if i["port"] == port]


def _shows_inside_a_notebook_page(browser, cell_html: str, folder: Path) -> None:
    """The cell's HTML, put in a page of another local origin (as a notebook server's is),
    shows the dashboard: the server lets notebook pages frame it."""
    (folder / "notebook.html").write_text(f"<!doctype html><title>nb</title>{cell_html}")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page()
    try:
        page.goto(f"http://localhost:{server.server_port}/notebook.html")
        frame = page.frame_locator("iframe.flowboard")
        frame.locator("#run-list li").first.wait_for(timeout=30_000)
        assert frame.locator("#run-list").inner_text().strip().startswith("a")
    finally:
        page.close()
        server.shutdown()


class NotebookServer(http.server.ThreadingHTTPServer):
    """A stand-in for a notebook server with jupyter-server-proxy: the notebook page at "/",
    and "/proxy/<port>/<path>" passed on to 127.0.0.1:<port>/<path> with the browser's own
    headers (Host included), as jupyter-server-proxy does."""

    def __init__(self, page: str):
        self.page = page.encode()
        super().__init__(("127.0.0.1", 0), _NotebookHandler)


class _NotebookHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        match = re.match(r"/proxy/(\d+)(/.*)", self.path)
        if self.path == "/notebook":
            status, headers, body = 200, [("Content-Type", "text/html")], self.server.page
        elif match:
            upstream = http.client.HTTPConnection("127.0.0.1", int(match.group(1)), timeout=30)
            upstream.request("GET", match.group(2), headers=dict(self.headers.items()))
            response = upstream.getresponse()
            status, body = response.status, response.read()
            headers = [(k, v) for k, v in response.getheaders()
                       if k.lower() not in ("connection", "transfer-encoding", "content-length")]
            upstream.close()
        else:
            status, headers, body = 404, [], b""
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_behind_a_notebook_proxy_and_stopped_when_the_kernel_is_killed(tmp_path, browser,
                                                                        monkeypatch):
    logdir = tmp_path / "runs"
    _write_runs(logdir)
    monkeypatch.setenv("FLOWBOARD_PROXY_URL", "/proxy/%PORT%/")  # the kernel inherits it
    nb = new_notebook(cells=[
        new_code_cell(f"%load_ext flowlog\n%flowboard --logdir {logdir}"),
        new_code_cell("import os\nos.getpid()"),
    ])
    client = NotebookClient(nb, timeout=120, kernel_name=KERNEL)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        path = _iframe_url(nb.cells[0])
        port = int(re.fullmatch(r"/proxy/(\d+)/", path).group(1))
        server = NotebookServer(f"<!doctype html><title>nb</title>{_html(nb.cells[0])}")
        threading.Thread(target=server.serve_forever, daemon=True).start()
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        try:
            origin = f"http://localhost:{server.server_port}"
            page.goto(origin + "/notebook")
            frame = page.frame_locator("iframe.flowboard")
            frame.locator("#run-list li").first.wait_for(timeout=30_000)
            # The page in the frame asked for everything through the proxy, by relative URLs.
            assert all(u.startswith(origin + "/proxy/") for u in requests[1:]), requests
            assert any("/data/" in u for u in requests)
        finally:
            page.close()
            server.shutdown()
        kernel = int(nb.cells[1].outputs[0]["data"]["text/plain"])
        os.kill(kernel, signal.SIGKILL)  # no atexit, no shutdown message: only the pipe closes
        deadline = time.monotonic() + 30
        while not _refuses(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _refuses(port)
