"""flowboard inside notebooks (Jupyter, JupyterLab, VS Code): `%load_ext flowlog`, then
`%flowboard --logdir runs`; `display()` and `list()` as in `tensorboard.notebook`."""
from __future__ import annotations

import atexit
import contextlib
import html
import importlib.util
import io
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

# The pages that may frame a server started here: the notebook's own origin (jupyter-server-
# proxy serves flowboard there), a notebook server on this machine, and VS Code's webviews.
# Never any other site. `--allow-framing-by` in the magic's flags replaces this list.
NOTEBOOK_ORIGINS = ("'self'", "http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*",
                    "https://localhost:*", "https://127.0.0.1:*", "vscode-webview:",
                    "vscode-file:")
START_TIMEOUT = 60  # seconds for a new server to print its URL
_started: dict[int, subprocess.Popen] = {}  # servers this kernel started, by port
_last_port: int | None = None


def start(args: str | list[str]) -> None:
    """Serve with `flowboard ARGS` in the background, or reuse a server already running with
    the same options (any port, unless `--port` is given), and show it in the cell's output.
    Problems (a missing logdir, a port in use) are shown as one line."""
    global _last_port
    from flowlog.dashboard import cli, instances

    argv = shlex.split(args) if isinstance(args, str) else [str(a) for a in args]
    if not any(a.split("=")[0] == "--allow-framing-by" for a in argv):
        argv += [f"--allow-framing-by={origin}" for origin in NOTEBOOK_ORIGINS]
    given_port = any(a.split("=")[0] == "--port" for a in argv)
    if _proxy_template() and not any(a.split("=")[0] == "--allow-host" for a in argv):
        # jupyter-server-proxy passes the browser's Host header on: the notebook server's
        # public name, which the DNS-rebinding check must know.
        argv += [f"--allow-host={host}" for host in _public_hosts()]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            parsed, logdir = cli.parse(argv)
    except cli.UsageError as e:
        return _fail(f"flowboard: {e}")
    except SystemExit as e:  # argparse: --help/--version printed; a bad flag explained
        if e.code:
            _fail(_last_line(err.getvalue()))
        return None
    key = cli.reuse_key(parsed, logdir)
    for proc in _started.values():
        proc.poll()  # reap servers that died, so that they no longer count as running
    for info in reversed(instances.running()):
        if (info["key"] == key and (not given_port or info["port"] == parsed.port)
                and _answers(info["key"].get("host", ""), info["port"])):
            print(f"Reusing flowboard on port {info['port']} (pid {info['pid']}), started "
                  f"{_ago(info['start_time'])} ago. (Use '!kill {info['pid']}' to stop it.)")
            _last_port = info["port"]
            return display(info["port"])
    port = _spawn(argv if given_port else [*argv, "--port", "0"])
    if port is not None:
        _last_port = port
        display(port)
    return None


def _spawn(argv: list[str]) -> int | None:
    """Start a server; its port, or None after showing why it did not start."""
    # Its standard input is a pipe only this kernel holds: when the kernel exits, however it
    # exits, the pipe closes and the server stops (--exit-with-stdin). Its output goes to a
    # file, which never fills up as an unread pipe would.
    with tempfile.NamedTemporaryFile(prefix="flowboard-", suffix=".log", delete=False) as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flowlog.dashboard", *argv, "--exit-with-stdin"],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        with open(log.name, encoding="utf-8", errors="replace") as f:
            text = f.read()
        match = re.search(r" at (http://\S+?:(\d+)/\S*) ", text)
        if match:
            _started[int(match.group(2))] = proc
            return int(match.group(2))
        if proc.poll() is not None:
            _fail(_last_line(text) or f"flowboard exited with status {proc.returncode}")
            return None
        time.sleep(0.05)
    proc.kill()
    _fail(f"flowboard did not start within {START_TIMEOUT} s; its output is in {log.name}")
    return None


def display(port: int | None = None, height: int = 800) -> None:
    """Show the flowboard serving on `port` (default: the one started or reused last) in the
    cell's output, `height` pixels high."""
    from IPython import display as ipd

    from flowlog.dashboard import instances

    port = port if port is not None else _last_port
    running = instances.running()
    if port is None and running:
        port = running[-1]["port"]
    if port is None:
        return _fail("flowboard: no server to show; start one with %flowboard --logdir DIR")
    if not isinstance(height, int) or height <= 0:
        raise ValueError(f"height must be a positive number of pixels, got {height!r}")
    prefix = next((i["key"].get("path_prefix", "") for i in running if i["port"] == port), "")
    url = frame_url(port, prefix)
    ipd.display(ipd.HTML(
        f'<iframe class="flowboard" src="{html.escape(url)}" width="100%" height="{height}" '
        'frameborder="0" style="border: 0"></iframe>'))
    return None


def frame_url(port: int, prefix: str = "") -> str:
    """The URL the notebook's page reaches the server on `port` by.

    Behind jupyter-server-proxy (JupyterHub) that is the notebook server's own
    `<base>/proxy/<port>/`; `FLOWBOARD_PROXY_URL` (or TensorBoard's `TENSORBOARD_PROXY_URL`),
    with `%PORT%` for the port, names any other proxy.
    """
    template = _proxy_template()
    if template:
        return template.replace("%PORT%", str(port)).rstrip("/") + prefix + "/"
    return f"http://localhost:{port}{prefix}/"


def _proxy_template() -> str | None:
    """The proxied URL of a port, with `%PORT%` for the port, if notebooks reach servers
    through a proxy."""
    template = os.environ.get("FLOWBOARD_PROXY_URL") or os.environ.get("TENSORBOARD_PROXY_URL")
    if template:
        return template
    hub = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if hub and importlib.util.find_spec("jupyter_server_proxy") is not None:
        return f"{hub.rstrip('/')}/proxy/%PORT%/"
    return None


def _public_hosts() -> list[str]:
    """Host names the notebook server is known by, from the proxy URL and JupyterHub's
    settings; a proxy path without a host adds none (requests name the server's own host)."""
    hosts = []
    for name in ("FLOWBOARD_PROXY_URL", "TENSORBOARD_PROXY_URL", "JUPYTERHUB_PUBLIC_URL",
                 "JUPYTERHUB_PUBLIC_HUB_URL", "JUPYTERHUB_HOST"):
        host = urllib.parse.urlsplit(os.environ.get(name, "")).hostname
        if host and host not in hosts:
            hosts.append(host)
    return hosts


def list() -> None:  # the name tensorboard.notebook uses; this module calls no list()
    """Print the flowboard servers running on this machine."""
    from flowlog.dashboard import instances

    running = instances.running()
    if not running:
        print("No flowboard servers are running.")
    for info in running:
        logdirs = info["key"]["logdirs"]
        shown = logdirs.get("") or ", ".join(f"{n}:{d}" for n, d in logdirs.items())
        print(f"  - port {info['port']}: logdir {shown} (started {_ago(info['start_time'])} "
              f"ago; pid {info['pid']})")


def _stop_started() -> None:
    """Stop the servers this kernel started (the closing pipe would too, a moment later)."""
    for proc in _started.values():
        if proc.poll() is None:
            proc.terminate()


atexit.register(_stop_started)


def _answers(host: str, port: int) -> bool:
    """Whether something accepts connections on the server's address (a server that crashed
    leaves its record behind)."""
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        return False
    return True


def _fail(message: str) -> None:
    print(message, file=sys.stderr)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _ago(start: float) -> str:
    secs = max(0, int(time.time() - start))
    if secs < 60:
        return f"{secs} s"
    return f"{secs // 60} min" if secs < 3600 else f"{secs // 3600} h {secs % 3600 // 60} min"


def load_ipython_extension(ipython) -> None:
    """`%load_ext flowlog`: adds the `%flowboard` line magic."""
    ipython.register_magic_function(_magic, magic_kind="line", magic_name="flowboard")


def _magic(line: str) -> None:
    """%flowboard --logdir DIR [--port N] [other flowboard flags]"""
    start(line)
