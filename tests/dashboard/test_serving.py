"""The server as other programs meet it: idle sockets, other sites' pages, bounded threads."""
from __future__ import annotations

import http.client
import http.server
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from flowlog.dashboard.app import PROVIDER, create_app

import flowlog as fl


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    with fl.SummaryWriter(root / "run") as w:
        for step in range(100):
            w.add_scalar("loss", 1.0 / (step + 1), step)
    return root


@pytest.fixture
def server(logdir):
    """The real `flowboard` command: (port, pid)."""
    proc = subprocess.Popen([sys.executable, "-m", "flowlog.dashboard", "--logdir", str(logdir),
                             "--port", "0"], stdout=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)/", proc.stdout.readline()).group(1))
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    yield port, proc.pid
    proc.terminate()
    proc.wait(10)


def get(port: int, path: str, **headers) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.mark.parametrize("origin, status", [
    ("cross-site", 403), ("same-site", 403), ("same-origin", 200), ("none", 200), (None, 200),
])
def test_data_routes_answer_only_our_own_page_and_scripts(logdir, origin, status):
    app = create_app(logdir, reload_interval=0, start=False)
    app.extensions[PROVIDER].reload()
    client = app.test_client()
    headers = {"Sec-Fetch-Site": origin} if origin else {}
    r = client.get("/data/plugin/scalars/scalars?run=run&tag=loss", headers=headers)
    assert r.status_code == status
    if status == 403:
        assert origin in r.get_json()["error"]
    # a link from another site still opens the page itself
    assert client.get("/", headers=headers).status_code == 200


def test_a_page_on_another_origin_cannot_make_the_server_build_answers(server, browser):
    """A page served from 127.0.0.2 fires no-cors requests at the dashboard's data routes."""
    port, _ = server
    target = f"http://127.0.0.1:{port}/data/plugin/scalars/scalars?run=run&tag=loss"
    script = f"for (let i = 0; i < 5; i++) fetch('{target}', {{mode: 'no-cors'}});"
    html = f"<script>{script}</script>".encode()

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    evil = http.server.HTTPServer(("127.0.0.2", 0), Attacker)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    page = browser.new_page()
    try:
        # The page cannot read the answers (CORP hides them), so the status codes are read
        # from the browser's network layer.
        cdp = page.context.new_cdp_session(page)
        cdp.send("Network.enable")
        statuses = []
        cdp.on("Network.responseReceivedExtraInfo", lambda e: statuses.append(e["statusCode"]))
        page.goto(f"http://127.0.0.2:{evil.server_port}/")
        page.wait_for_timeout(1500)
        assert statuses.count(403) == 5
    finally:
        page.close()
        evil.shutdown()


def _threads(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE).group(1))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_thousand_idle_connections_neither_starve_requests_nor_take_threads(server):
    port, pid = server
    assert get(port, "/data/runs")[0] == 200
    before = _threads(pid)
    idle = []
    try:
        for _ in range(1000):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            idle.append(s)
        half_sent = idle[0]
        half_sent.sendall(b"GET /data/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        for _ in range(20):
            status, body = get(port, "/data/plugin/scalars/scalars?run=run&tag=loss")
            assert status == 200 and body.startswith(b"[[")
        assert _threads(pid) <= before + 2  # idle connections hold no thread
    finally:
        for s in idle:
            s.close()
