"""Load test: many clients poll a live flowboard's scalars while a writer process appends to the
logdir and many idle connections are held open.

    .venv/bin/python benchmarks/load.py [--clients 50] [--seconds 30] [--idle 1000]

Prints errors (must be 0), latency percentiles, requests/s and the server's memory at start and
end. Everything runs on the loopback interface.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from procs import rss_mb

# Appends one point per tag to each run every `pause` seconds and flushes, until killed.
WRITER = textwrap.dedent("""
    import sys, time
    import flowlog as fl
    logdir, runs, tags, start, pause = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \\
        int(sys.argv[4]), float(sys.argv[5])
    writers = [fl.SummaryWriter(f"{logdir}/run{r}") for r in range(runs)]
    step = start
    while True:
        for w in writers:
            for t in range(tags):
                w.add_scalar(f"group/tag{t}", (step % 1000) / 1000, step)
            w.flush()
        print(step, flush=True)
        step += 1
        time.sleep(pause)
""")


def write_initial(logdir: Path, runs: int, tags: int, steps: int) -> None:
    """`runs` runs of `tags` scalar tags with `steps` points each."""
    import flowlog as fl

    for r in range(runs):
        with fl.SummaryWriter(logdir / f"run{r}") as w:
            for step in range(steps):
                for t in range(tags):
                    w.add_scalar(f"group/tag{t}", np.sin(step / 100 + t), step)


def start_server(logdir: Path, reload_interval: float) -> tuple[subprocess.Popen, str, int]:
    """(process, host, port) of a flowboard on a free loopback port, once it prints its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowlog.dashboard", "--logdir", str(logdir), "--port", "0",
         "--reload-interval", str(reload_interval)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        match = re.search(r"https?://\S+", line)
        if match:
            url = urlsplit(match.group(0))
            threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep draining
            return proc, url.hostname, url.port
    raise SystemExit(f"flowboard exited with code {proc.wait()} before printing its URL")



def get(conn: http.client.HTTPConnection, target: str) -> tuple[int, bytes]:
    """(status, body) of one GET on a kept-alive connection (reopened if the server closed it)."""
    conn.request("GET", target)
    response = conn.getresponse()
    return response.status, response.read()


def wait_loaded(host: str, port: int, runs: int, timeout: float = 120) -> None:
    """Wait until the server has read the whole logdir once."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = json.loads(get(conn, "/data/status")[1])
        if not status["loading"] and status["runs"] >= runs:
            return
        time.sleep(0.1)
    raise SystemExit(f"flowboard did not load the logdir within {timeout} s")


class Client(threading.Thread):
    """Polls scalar routes until `stop` is set, recording latencies and errors."""

    def __init__(self, host: str, port: int, targets: list[str], stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.host, self.port, self.targets, self.stop, self.seed = host, port, targets, stop, seed
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.last_step = -1

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        i = self.seed
        while not self.stop.is_set():
            target = self.targets[i % len(self.targets)]
            i += 1
            t0 = time.perf_counter()
            try:
                status, body = get(conn, target)
            except (OSError, http.client.HTTPException) as e:
                self.errors.append(f"{target}: {e!r}")
                conn.close()
                continue
            self.latencies.append(time.perf_counter() - t0)
            if status != 200:
                self.errors.append(f"{target}: HTTP {status} {body[:200]!r}")
            elif "/scalars/scalars" in target and i % 20 == 0:  # spot-check the data itself
                self.last_step = max(self.last_step, json.loads(body)[-1][1])
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--tags", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000, help="points per tag before the start")
    parser.add_argument("--reload-interval", type=float, default=1)
    parser.add_argument("--idle", type=int, default=1000,
                        help="connections opened and left idle for the whole test")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="flowboard-load-") as tmp:
        logdir = Path(tmp)
        write_initial(logdir, args.runs, args.tags, args.steps)
        server, host, port = start_server(logdir, args.reload_interval)
        writer = None
        try:
            wait_loaded(host, port, args.runs)
            rss_start = rss_mb(server.pid)
            writer = subprocess.Popen(
                [sys.executable, "-c", WRITER, str(logdir), str(args.runs), str(args.tags),
                 str(args.steps), "0.01"], stdout=subprocess.PIPE, text=True,
                env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
            targets = [f"/data/plugin/scalars/scalars?run=run{r}&tag={quote('group/tag' + str(t))}"
                       for r in range(args.runs) for t in range(args.tags)]
            targets += [f"/data/series?tag={quote('group/tag' + str(t))}&width=800"
                        + "".join(f"&run=run{r}" for r in range(args.runs))
                        for t in range(args.tags)]
            targets.append("/data/plugin/scalars/tags")
            # Idle connections, some with half a request, as slow or stalled clients leave them.
            idle = [socket.create_connection((host, port), timeout=10) for _ in range(args.idle)]
            for s in idle[::10]:
                s.sendall(b"GET /data/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            stop = threading.Event()
            clients = [Client(host, port, targets, stop, seed) for seed in range(args.clients)]
            rss = [rss_start]  # sampled every 5 s
            t0 = time.perf_counter()
            for c in clients:
                c.start()
            while time.perf_counter() - t0 < args.seconds:
                time.sleep(min(5.0, max(0.0, args.seconds - (time.perf_counter() - t0))))
                rss.append(rss_mb(server.pid))
            stop.set()
            for c in clients:
                c.join()
            elapsed = time.perf_counter() - t0
            rss_end = rss_mb(server.pid)
            for s in idle:
                s.close()
            writer.kill()
            written = [int(x) for x in writer.stdout.read().split()]
            report(clients, elapsed, rss + [rss_end], args,
                   written[-1] - args.steps + 1 if written else 0)
        finally:
            if writer is not None:
                writer.kill()
                writer.wait()
            server.terminate()
            server.wait(10)


def report(clients: list[Client], elapsed: float, rss: list[float], args: argparse.Namespace,
           appended: int) -> None:
    """Print the numbers."""
    lat = np.array([x for c in clients for x in c.latencies]) * 1000
    errors = [e for c in clients for e in c.errors]
    pct = np.percentile(lat, [50, 95, 99]) if lat.size else [float("nan")] * 3
    seen = max(c.last_step for c in clients)
    print(f"flowboard load: {args.clients} clients and {args.idle} idle connections for "
          f"{elapsed:.1f} s, {args.runs} runs x "
          f"{args.tags} tags, writer appending ({appended} steps per tag during the test; "
          f"newest step a client saw: {seen}, last written: {args.steps + appended - 1})")
    print(f"requests: {lat.size}  errors: {len(errors)}  requests/s: {lat.size / elapsed:.0f}")
    print(f"latency ms: p50 {pct[0]:.1f}  p95 {pct[1]:.1f}  p99 {pct[2]:.1f}  "
          f"max {lat.max() if lat.size else float('nan'):.1f}")
    print(f"server RSS MiB: start {rss[0]:.1f}  peak {max(rss):.1f}  end {rss[-1]:.1f}  "
          f"(every 5 s: {' '.join(f'{x:.0f}' for x in rss)})")
    for e in errors[:10]:
        print("  error:", e)
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
