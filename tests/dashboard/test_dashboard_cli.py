"""The `flowboard` command line: errors a user can act on, and the demo runs."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

from flowlog.dashboard.demo import write_kinds, write_synthetic
from flowlog.dashboard.provider import DataProvider

FLOWBOARD = str(Path(sys.executable).with_name("flowboard"))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([FLOWBOARD, *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_a_missing_logdir_is_an_error_naming_it(tmp_path):
    missing = str(tmp_path / "nowhere")
    r = run("--logdir", missing)
    assert r.returncode == 2
    assert missing in r.stderr
    r = run()
    assert r.returncode == 2 and "--logdir is required" in r.stderr


def test_a_taken_port_is_an_error_naming_it(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run("--logdir", str(tmp_path), "--port", str(port))
    assert r.returncode == 1
    assert f"127.0.0.1:{port}" in r.stderr and "already in use" in r.stderr


def test_module_entry_point_shows_the_options():
    r = subprocess.run([sys.executable, "-m", "flowlog.dashboard", "--help"],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0
    for option in ("--logdir", "--port", "--host", "--bind-all", "--reload-interval", "--demo"):
        assert option in r.stdout


def test_synthetic_demo_runs_hold_every_kind_of_data(tmp_path):
    write_synthetic(tmp_path, steps=60)
    p = DataProvider(tmp_path, reload_interval=0)
    p.reload()
    assert p.runs() == ["synthetic/lr=0.03", "synthetic/lr=0.1"]
    run = "synthetic/lr=0.1"
    assert len(p.scalars(run, "loss/train")[0]) == 60
    assert p.histograms(run, "weights/dense") and p.images(run, "samples/pattern")
    assert "Synthetic run" in str(p.text(run, "notes/text_summary")[0][2])  # torch's layout


def test_the_demo_has_a_run_for_every_other_tab(tmp_path):
    write_kinds(tmp_path / "kinds")
    p = DataProvider(tmp_path, reload_interval=0)
    p.reload()
    assert {"pr_curves", "audio", "images", "mesh", "projector", "custom_scalars", "text"} \
        <= p.plugins_present()


def test_ctrl_c_stops_the_server_cleanly(tmp_path):
    proc = subprocess.Popen([FLOWBOARD, "--logdir", str(tmp_path), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline()
    assert "http://127.0.0.1:" in url
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "stopped" in out and "Traceback" not in err
