"""The Host-header check, security headers and path-traversal refusal of the dashboard."""
import http.client
from urllib.parse import urlsplit

import numpy as np
import pytest
from flask import Flask
from flowlog.dashboard import security
from flowlog.dashboard.app import PROVIDER, create_app

import flowlog as fl

SECRET = "top-secret-file-contents-4242"


def tiny_app(**kwargs):
    app = Flask(__name__)

    @app.get("/hello")
    def hello():
        return {"hello": "world"}

    security.init_app(app, **kwargs)
    return app.test_client()


@pytest.mark.parametrize("header, name", [
    ("localhost", "localhost"),
    ("localhost:6006", "localhost"),
    ("LocalHost.:6006", "localhost"),
    ("127.0.0.1:80", "127.0.0.1"),
    ("[::1]:6006", "::1"),
    ("[::1]", "::1"),
    ("::1", "::1"),
    ("[fe80::1%eth0]:6006", "fe80::1%eth0"),
    ("evil.example:6006", "evil.example"),
    ("localhost:6006@evil.example", "localhost:6006@evil.example"),  # not a port: no match
    ("[::1]evil.example", "[::1]evil.example"),
])
def test_host_name_strips_port_and_brackets(header, name):
    assert security.host_name(header) == name


@pytest.mark.parametrize("host", ["localhost", "localhost:6006", "127.0.0.1:6006", "[::1]:6006",
                                  "LOCALHOST:1"])
def test_local_names_are_served(host):
    response = tiny_app().get("/hello", headers={"Host": host})
    assert response.status_code == 200
    assert response.get_json() == {"hello": "world"}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:6006", "localhost.evil.example",
                                  "127.0.0.1.nip.io:6006", "[::2]:6006", "10.0.0.5",
                                  "localhost:6006@evil.example", "localhost:x", "[::1]x"])
def test_foreign_host_is_refused_with_json_naming_it(host):
    response = tiny_app().get("/hello", headers={"Host": host})
    assert response.status_code == 403
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert repr(host) in error and "--allow-host" in error and "--bind-all" in error
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # errors get headers too


def test_bound_host_is_served():
    client = tiny_app(host="192.168.7.9")
    assert client.get("/hello", headers={"Host": "192.168.7.9:6006"}).status_code == 200
    assert client.get("/hello", headers={"Host": "localhost:6006"}).status_code == 200
    assert client.get("/hello", headers={"Host": "192.168.7.10:6006"}).status_code == 403


def test_allow_list_admits_named_hosts_only():
    client = tiny_app(allowed_hosts=["board.lab.example", "[fd00::7]:8080"])
    assert client.get("/hello", headers={"Host": "board.lab.example"}).status_code == 200
    assert client.get("/hello", headers={"Host": "Board.Lab.Example:443"}).status_code == 200
    assert client.get("/hello", headers={"Host": "[fd00::7]:6006"}).status_code == 200
    assert client.get("/hello", headers={"Host": "evil.example"}).status_code == 403


@pytest.mark.parametrize("kwargs", [{"bind_all": True}, {"host": "0.0.0.0"}, {"host": "::"}])
def test_bind_all_admits_any_host(kwargs):
    client = tiny_app(**kwargs)
    assert client.get("/hello", headers={"Host": "evil.example:6006"}).status_code == 200


@pytest.fixture(scope="module")
def hostile_logdir(tmp_path_factory):
    """A logdir with one run holding scalars, a histogram, an image and a text; a secret beside."""
    root = tmp_path_factory.mktemp("sec")
    (root / "secret.txt").write_text(SECRET)
    logdir = root / "logs"
    with fl.SummaryWriter(logdir / "train") as w:
        for step in range(5):
            w.add_scalar("loss", 1.0 / (step + 1), step)
        w.add_histogram("weights", np.arange(10.0), 0)
        w.add_image("digit", np.zeros((4, 4), np.uint8), 0, dataformats="HW")
        w.add_text("notes", "hello", 0)
    (logdir / "train" / "secret.txt").write_text(SECRET)
    return logdir


@pytest.fixture(scope="module")
def client(hostile_logdir):
    app = create_app(hostile_logdir, reload_interval=0)
    assert app.extensions[PROVIDER].wait_loaded(30)
    return app.test_client()


def test_real_app_refuses_foreign_host_by_default(client):
    assert client.get("/data/runs", headers={"Host": "evil.example:6006"}).status_code == 403
    response = client.get("/data/runs", headers={"Host": "127.0.0.1:6006"})
    assert response.status_code == 200 and response.get_json() == ["train"]


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/vendor/plotly.min.js", "/data/runs",
                                  "/data/plugin/scalars/scalars?run=train&tag=loss&format=csv",
                                  "/data/plugin/scalars/scalars?run=nope&tag=loss", "/no/such/page"])
def test_security_headers_on_every_kind_of_response(client, path):
    response = client.get(path)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert "'unsafe-inline'" not in csp["default-src"]
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'none'"


TRAVERSALS = ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "..", "../secret.txt",
              "secret.txt", "/etc/passwd", "train/../../secret.txt", "train/secret.txt",
              "train\x00", "\x00", "train%00", "./train", "train/", "train/.", "C:\\Windows",
              "....//....//etc/passwd", "%2e%2e/%2e%2e/secret.txt"]


def _assert_refused(response):
    assert response.status_code in (400, 404), response.data[:200]
    assert response.mimetype == "application/json"
    assert "error" in response.get_json()
    assert SECRET.encode() not in response.data and b"root:" not in response.data


@pytest.mark.parametrize("evil", TRAVERSALS)
@pytest.mark.parametrize("route", [
    "/data/plugin/scalars/scalars", "/data/plugin/histograms/histograms",
    "/data/plugin/images/images", "/data/plugin/images/individualImage", "/data/plugin/text/text"])
def test_run_parameter_is_looked_up_never_opened(client, route, evil, hostile_logdir):
    tag = {"scalars": "loss", "histograms": "weights", "images": "digit",
           "individualImage": "digit", "text": "notes/text_summary"}[route.rsplit("/", 1)[1]]
    for params in ({"run": evil, "tag": tag}, {"run": "train", "tag": evil},
                   {"run": str(hostile_logdir / "train"), "tag": tag}):
        _assert_refused(client.get(route, query_string=params))


def test_run_and_tag_lookups_still_work(client):
    """The refusals above are lookups failing, not every request failing."""
    assert client.get("/data/plugin/scalars/scalars?run=train&tag=loss").get_json()[0][1:] == [
        0, 1.0]
    # SummaryWriter.add_text names the tag as torch does: <tag>/text_summary
    text = client.get("/data/plugin/text/text", query_string={"run": "train",
                                                              "tag": "notes/text_summary"})
    assert text.status_code == 200


@pytest.mark.parametrize("path", ["/static/../../../etc/passwd", "/static/..%2f..%2fsecret.txt",
                                  "/static/%2e%2e/%2e%2e/secret.txt", "/static//etc/passwd",
                                  "/static/..\\..\\secret.txt", "/vendor/../../etc/passwd"])
def test_static_files_stay_in_their_folder(client, path):
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 404
    assert SECRET.encode() not in response.data and b"root:" not in response.data


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on TCP `port` (Linux /proc), e.g. {"0100007F"}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hexport = local.rsplit(":", 1)
                if state == "0A" and int(hexport, 16) == port:
                    found.add(address)
    return found


def live_get(url: str, host: str) -> int:
    """Status of GET /data/runs on the server at `url`, sent with `Host: host`."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
    try:
        conn.request("GET", "/data/runs", headers={"Host": host})
        return conn.getresponse().status
    finally:
        conn.close()


def test_cli_binds_loopback_only_and_checks_hosts_by_default(hostile_logdir, flowboard_server):
    url = flowboard_server(hostile_logdir)
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    assert listening_addresses(parts.port) == {"0100007F"}  # 127.0.0.1, no other interface
    assert live_get(url, f"localhost:{parts.port}") == 200
    assert live_get(url, f"evil.example:{parts.port}") == 403


def test_cli_allow_host_and_bind_all(hostile_logdir, flowboard_server):
    url = flowboard_server(hostile_logdir, "--allow-host", "board.lab.example",
                           "--allow-host", "other.example")
    assert live_get(url, "board.lab.example") == 200
    assert live_get(url, "other.example:8080") == 200
    assert live_get(url, "evil.example") == 403
    url = flowboard_server(hostile_logdir, "--bind-all")
    assert listening_addresses(urlsplit(url).port) & {"00000000", "00000000000000000000000000000000"}
    assert live_get(url, "evil.example") == 200
