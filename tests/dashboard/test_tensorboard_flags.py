"""TensorBoard's command line works on flowboard: each flag has the same meaning, or is accepted
with a note saying why flowboard does not need it."""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from dashboard_events import new_file, scalar
from flowlog.dashboard.app import PROVIDER, create_app
from flowlog.dashboard.cli import UsageError, parse_logdir_spec

from flowlog import __version__

FLOWBOARD = str(Path(sys.executable).with_name("flowboard"))


def get(url: str, host: str | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    with urllib.request.urlopen(request, timeout=30) as r:
        return r.status, dict(r.headers), r.read()


def runs_of(url: str) -> list[str]:
    for _ in range(200):  # loading happens in the background
        status = json.loads(get(url + "data/status")[2])
        if not status["loading"]:
            return json.loads(get(url + "data/runs")[2])
    raise AssertionError("flowboard never finished loading")


def serve(*args: str) -> tuple[str, str]:
    """(printed URL line, standard error up to it) of a real flowboard; stopped at once."""
    proc = subprocess.Popen([FLOWBOARD, "--port", "0", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    return line, err


def fail(*args: str) -> str:
    r = subprocess.run([FLOWBOARD, "--port", "0", *map(str, args)], capture_output=True,
                       text=True, timeout=60, check=False)
    assert r.returncode == 2, r
    return r.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def two_logdirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("specs")
    for logdir, runs in (("exp1/runs", [".", "a", "b/c"]), ("exp2/runs", ["a"])):
        for run in runs:
            new_file(root / logdir / run, [scalar("loss", s, s / 10) for s in range(5)])
    return root


@pytest.fixture(scope="module")
def flowboard_with():
    """Start the real flowboard with exactly these flags (and --port 0): `start(*args) -> url`."""
    procs = []

    def start(*args) -> str:
        proc = subprocess.Popen([FLOWBOARD, "--port", "0", *map(str, args)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(proc)
        line = proc.stdout.readline()
        assert " at http://" in line, (args, line)
        return line.split(" at ")[-1].split()[0]

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


def test_logdir_spec_names_each_logdir(two_logdirs, flowboard_with):
    url = flowboard_with(
        "--logdir_spec", f"first:{two_logdirs / 'exp1/runs'},second:{two_logdirs / 'exp2/runs'}")
    assert runs_of(url) == ["first", "first/a", "first/b/c", "second/a"]
    series = json.loads(get(url + "data/plugin/scalars/scalars?run=second/a&tag=loss")[2])
    assert [step for _, step, _ in series] == list(range(5))


def test_several_logdirs_are_named_by_their_folders(two_logdirs, flowboard_with):
    # Both end in "runs": their names take one more folder each, so they differ.
    url = flowboard_with("--logdir", two_logdirs / "exp1" / "runs", "--logdir",
                         two_logdirs / "exp2" / "runs")
    assert runs_of(url) == ["exp1/runs", "exp1/runs/a", "exp1/runs/b/c", "exp2/runs/a"]


def test_logdir_spec_parsing():
    assert parse_logdir_spec("a:/x/runs,b:s3://bucket/logs, /y/other") == {
        "a": "/x/runs", "b": "s3://bucket/logs", "other": "/y/other"}
    assert parse_logdir_spec("s3://bucket/exp") == {"exp": "s3://bucket/exp"}
    for bad, message in (("a:/x,,b:/y", "empty entry"), ("a:/x,a:/y", "names 'a' twice"),
                         (":/x", "needs a name and a path"), ("/x/runs,/x/runs", "same name")):
        with pytest.raises(UsageError, match=message):
            parse_logdir_spec(bad)


def test_bad_logdir_specs_are_one_clear_line(two_logdirs, tmp_path):
    missing = tmp_path / "nowhere"
    assert f"logdir {str(missing)!r} does not exist" in fail("--logdir_spec", f"x:{missing}")
    assert "either --logdir or --logdir_spec" in fail(
        "--logdir", two_logdirs, "--logdir_spec", f"x:{two_logdirs}")


def test_bind_all_answers_any_host_name(two_logdirs, flowboard_server):
    url = flowboard_server(two_logdirs / "exp2" / "runs", "--bind_all")
    assert url.startswith("http://localhost:")
    port = url.split(":")[2].rstrip("/")
    assert get(f"http://127.0.0.1:{port}/data/runs", host="flowboard.example.com")[0] == 200


def test_reload_interval_is_used(two_logdirs, flowboard_server):
    url = flowboard_server(two_logdirs / "exp2" / "runs", "--reload_interval", "0.25")
    assert json.loads(get(url + "data/status")[2])["reload_interval"] == 0.25
    assert "--reload-interval must be >= 0, got -1.0" in fail(
        "--logdir", two_logdirs, "--reload_interval", "-1")


def test_window_title_names_the_tab(two_logdirs, flowboard_server):
    url = flowboard_server(two_logdirs / "exp2" / "runs", "--window_title", "exp <2> & co")
    status, headers, body = get(url)
    assert status == 200 and b"<title>exp &lt;2&gt; &amp; co</title>" in body
    assert "ETag" not in headers  # a cached page of another title is never reused


def test_path_prefix_with_either_spelling(two_logdirs):
    for flag in ("--path_prefix", "--path-prefix"):
        line, _ = serve("--logdir", two_logdirs, flag, "/tb/")
        assert "/tb/ (Ctrl-C" in line


@pytest.mark.parametrize("args, note", [
    (["--samples_per_plugin", "scalars=500,images=10"], "--samples_per_plugin is not needed"),
    (["--load_fast", "false"], "--load_fast is ignored"),
    (["--load_fast"], "--load_fast is ignored"),
    (["--load_fast=auto"], "--load_fast is ignored"),
])
def test_flags_flowboard_does_not_need_are_accepted_with_a_note(two_logdirs, args, note):
    line, err = serve("--logdir", two_logdirs, *args)
    assert "serving" in line and note in err


def test_max_reload_threads_sets_how_many_runs_load_at_once(two_logdirs):
    line, _ = serve("--logdir", two_logdirs, "--max_reload_threads", "3")
    assert "serving" in line
    app = create_app(two_logdirs, reload_interval=0, start=False, workers=3)
    assert app.extensions[PROVIDER]._workers == 3
    assert "--max_reload_threads must be at least 1, got 0" in fail(
        "--logdir", two_logdirs, "--max_reload_threads", "0")


def test_version():
    r = subprocess.run([FLOWBOARD, "--version"], capture_output=True, text=True, timeout=60,
                       check=False)
    assert r.returncode == 0 and r.stdout.strip() == f"flowboard {__version__}"


def test_framing_is_refused_unless_allowed(two_logdirs):
    plain = create_app(two_logdirs, reload_interval=0, start=False).test_client().get("/")
    assert plain.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
    framed = create_app(two_logdirs, reload_interval=0, start=False,
                        frame_ancestors=["http://localhost:8888", "vscode-webview:"])
    r = framed.test_client().get("/")
    assert "X-Frame-Options" not in r.headers
    assert ("frame-ancestors http://localhost:8888 vscode-webview:;"
            in r.headers["Content-Security-Policy"])
    assert "cannot allow framing by '*'" in fail("--logdir", two_logdirs,
                                                 "--allow-framing-by", "*")
