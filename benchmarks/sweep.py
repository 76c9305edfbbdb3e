"""A 1 000-run sweep in the browser: flowboard and TensorBoard on the same logdir.

Usage: python benchmarks/sweep.py [--runs 1000] [--steps 2000] [--logdir DIR] [--skip-tensorboard]

Writes RUNS x 4 tags x STEPS scalars with tensorboardX (runs named `lr=0.01,seed=3`; reused when
already there), starts each server, waits until it has loaded everything, then drives headless
Chromium through Playwright and prints:
- navigation -> every chart in view drawn;
- the time for the page to show each of: untick one run, tick all, move smoothing, toggle log
  scale, type a run filter, switch tab and back;
- bytes of series data sent during 30 s idle with nothing new, and with one run appending;
- the server's RSS.
flowboard's page says when its charts are drawn (`flowboard.views.scalars.settled()`);
TensorBoard's has reacted once no request, long task or slow frame has happened for QUIET ms
(timed to the last of them).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procs import free_port, rss_mb, wait_http
from sweep_logdir import run_names, write_sweep

BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}
QUIET = 300  # ms without DOM changes or requests that count as "done" on TensorBoard's page
TIMEOUT = 60_000





class Traffic:
    """Bytes of series data the page received, counted from the browser's network events."""

    def __init__(self, page, match):
        self.bytes = 0
        self.requests = 0
        self.match = match
        page.on("requestfinished", self._done)

    def _done(self, request):
        if self.match(request.url):
            self.requests += 1
            with contextlib.suppress(Exception):  # a request cut short has no sizes
                self.bytes += request.sizes()["responseBodySize"]

    def during(self, page, seconds: float) -> tuple[int, int]:
        b0, r0 = self.bytes, self.requests
        end = time.time() + seconds
        while time.time() < end:
            page.wait_for_timeout(500)
        return self.bytes - b0, self.requests - r0


# When the user's input reached the page: the first input event of an action, seen by a
# capturing listener on the window (before any of the page's own), in either page. The driver
# spends tens of milliseconds before it (scrolling the control into view, waiting for it to
# hold still, checking what is under the pointer); that is not the page's time, so each
# interaction is reported both ways: from the input, and from the driver's call.
INPUT_CLOCK = """(() => {
    window.__input = null;
    for (const type of ["pointerdown", "mousedown", "keydown", "input", "change", "click"])
        window.addEventListener(type, () => { if (window.__input === null) window.__input = performance.now(); }, true);
})()"""


def timed(page, action, wait) -> tuple[float, float] | None:
    """(seconds from the input reaching the page, seconds from the driver's call) until
    `wait(page, t0)` says the page shows the result of `action(page)` (it returns the time of
    that in ms since t0, or None past TIMEOUT)."""
    t0 = page.evaluate("window.__input = null, performance.now()")
    action(page)
    done = wait(page, t0)
    if done is None:
        return None
    start = page.evaluate("window.__input") or t0
    return (max(0.0, t0 + done - start) / 1000, done / 1000)


# In flowboard's page: wait until every chart in view shows the latest state, and paints it.
FLOWBOARD_SETTLED = """async (t0) => {
    const frame = () => new Promise(requestAnimationFrame);
    await frame();
    while (!flowboard.views.scalars.settled()) await frame();
    await frame();
    return performance.now() - t0;
}"""


def flowboard_timed(page, action) -> tuple[float, float]:
    """Seconds until flowboard's charts in view show the result of `action(page)`."""
    return timed(page, action, lambda page, t0: page.evaluate(FLOWBOARD_SETTLED, t0))


# TensorBoard's page has no "drawn" signal and draws inside shadow DOM, so it is watched from
# outside: requests in flight, long tasks (> 50 ms) and slow frames. The page has reacted once
# none of these has happened for QUIET ms; the time of the last one is the time it took.
BUSY_TRACKER = """(() => {
    const b = window.__busy = {last: performance.now(), inflight: 0};
    const seen = (t) => { b.last = Math.max(b.last, t === undefined ? performance.now() : t); };
    const fetch0 = window.fetch;
    window.fetch = function (...a) { b.inflight++; seen();
        return fetch0.apply(this, a).finally(() => { b.inflight--; seen(); }); };
    const send0 = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.send = function (...a) { b.inflight++; seen();
        this.addEventListener("loadend", () => { b.inflight--; seen(); }); return send0.apply(this, a); };
    new PerformanceObserver((l) => l.getEntries().forEach((e) => seen(e.startTime + e.duration)))
        .observe({entryTypes: ["longtask"]});
    let prev = performance.now();
    const frame = (t) => { if (t - prev > 50) seen(t); prev = t; requestAnimationFrame(frame); };
    requestAnimationFrame(frame);
})()"""

WAIT_QUIET = """async ([t0, quiet, timeout]) => {
    const b = window.__busy;
    while ((b.inflight > 0 || performance.now() - b.last < quiet) && performance.now() - t0 < timeout)
        await new Promise(r => setTimeout(r, 20));
    return performance.now() - t0 > timeout ? null : b.last - t0;
}"""


def tensorboard_timed(page, action) -> tuple[float, float] | None:
    """Seconds until TensorBoard's page goes quiet after `action(page)`; None past TIMEOUT."""
    def quiet(page, t0):
        ms = page.evaluate(WAIT_QUIET, [t0, QUIET, TIMEOUT])
        return None if ms is None else max(ms, 0)
    return timed(page, action, quiet)


def flowboard_actions(first_run: str) -> list[tuple[str, object]]:
    def js(code):
        return lambda page: page.evaluate(code)

    return [
        ("untick one run", lambda page: page.locator(f'#run-list input[data-run="{first_run}"]').click()),
        ("tick all", lambda page: page.locator("#runs-all").click()),
        ("move smoothing", js("""() => { const s = document.getElementById('smoothing');
            s.value = '0.85'; s.dispatchEvent(new Event('input')); }""")),
        ("toggle log scale", lambda page: page.locator("#logy").click()),
        ("type a run filter", lambda page: page.locator("#run-filter").press_sequentially("lr=0.01,")),
        ("switch tab and back", lambda page: (
            page.locator('.tabs button[data-tab="graphs"]').click(),
            page.locator('.tabs button[data-tab="scalars"]').click())),
    ]


def bench_flowboard(logdir: Path, runs: int, appender) -> dict:
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "flowlog.dashboard", "--logdir", str(logdir),
                             "--port", str(port), "--reload-interval", "5"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    try:
        base = f"http://127.0.0.1:{port}/"
        t0 = time.time()
        wait_http(base + "data/status", lambda b: b'"loading":false' in b)
        out["load"] = time.time() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.add_init_script(INPUT_CLOCK)
            traffic = Traffic(page, lambda u: "/data/plugin/scalars/chart" in u
                              or "/data/series" in u or "/scalars/scalars" in u)
            t0 = time.time()
            page.goto(base)
            page.wait_for_function("""() => window.flowboard && flowboard.views.scalars
                && flowboard.state.loaded && document.querySelector('#tab-scalars .card')
                && flowboard.views.scalars.settled()""", timeout=TIMEOUT, polling="raf")
            out["first charts"] = time.time() - t0
            out["first bytes"] = traffic.bytes
            first = min(run_names(runs))
            for name, action in flowboard_actions(first):
                out[name] = flowboard_timed(page, action)
            page.evaluate("""() => { const f = document.getElementById('run-filter'); f.value = '';
                f.dispatchEvent(new Event('input')); }""")
            page.wait_for_timeout(1500)
            page.wait_for_function("() => flowboard.views.scalars.settled()", timeout=TIMEOUT)
            page.wait_for_timeout(6000)  # one refresh cycle, so idle starts settled
            out["idle"] = traffic.during(page, 30)
            with appender():
                out["appending"] = traffic.during(page, 30)
            out["rss"] = rss_mb(proc.pid)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def tensorboard_actions() -> list[tuple[str, object]]:
    """The same steps on TensorBoard 2.21's scalars dashboard (it ticks no run of a sweep this
    big, so "tick all" comes first; log scale is per chart there: the first chart's toggle)."""
    return [
        ("tick all", lambda page: page.locator("paper-button", has_text="Toggle all runs").click()),
        ("untick one run", lambda page: page.locator("tf-multi-checkbox paper-checkbox").first.click()),
        ("move smoothing", lambda page: (page.locator("input[type=number]").first.fill("0.85"),
                                         page.locator("input[type=number]").first.press("Enter"))),
        ("toggle log scale", lambda page: page.locator('paper-icon-button[icon="line-weight"]')
         .first.click()),
        # typed key by key: TensorBoard reacts to keystrokes (debounced by 150 ms), not to fill()
        ("type a run filter", lambda page: page.locator("tf-multi-checkbox paper-input input")
         .first.press_sequentially("lr=0.01,")),
        ("switch tab and back", lambda page: (
            page.locator(".mat-mdc-tab, .mat-tab-label, [role=tab]", has_text="Time Series").first.click(),
            page.locator(".mat-mdc-tab, .mat-tab-label, [role=tab]", has_text="Scalars").first.click())),
    ]


def bench_tensorboard(logdir: Path, runs: int, steps: int) -> dict:
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen([str(BIN / "tensorboard"), "--logdir", str(logdir), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    try:
        base = f"http://localhost:{port}/"
        t0 = time.time()
        # Loaded once every run lists its tags and the last run's last tag reaches the last
        # step (TensorBoard keeps a sample of 1 000 points per series, the last one always).
        last = max(run_names(runs))
        wait_http(base + "data/plugin/scalars/tags", lambda b: b.count(b'"lr"') >= runs)
        wait_http(base + "data/plugin/scalars/scalars?tag=lr&run=" + urllib.parse.quote(last),
                  lambda b: json.loads(b)[-1][1] == steps - 1)
        out["load"] = time.time() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.add_init_script(BUSY_TRACKER)
            page.add_init_script(INPUT_CLOCK)
            traffic = Traffic(page, lambda u: "/data/plugin/scalars/scalars" in u
                              or "timeSeries" in u)
            t0 = time.time()
            page.goto(base + "#scalars")
            page.wait_for_selector("vz-line-chart2", timeout=TIMEOUT)
            ms = page.evaluate(WAIT_QUIET, [0, QUIET, TIMEOUT])
            out["first charts"] = ms / 1000 if ms is not None else None
            out["first bytes"] = traffic.bytes
            for name, action in tensorboard_actions():
                try:
                    out[name] = tensorboard_timed(page, action)
                except Exception as e:  # noqa: BLE001 (a control this version lacks)
                    out[name] = f"n/a ({str(e).splitlines()[0][:40]})"
            out["idle"] = traffic.during(page, 30)
            out["rss"] = rss_mb(proc.pid) + sum(rss_mb(int(c)) for c in _children(proc.pid))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return out


def _children(pid: int) -> list[str]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return f.read().split()
    except OSError:
        return []


class Appender:
    """A tensorboardX writer adding a point to one run every 100 ms while in use, after the
    run's last step; its file is removed afterwards so the logdir stays as written."""

    def __init__(self, logdir: Path, run: str, steps: int):
        self.path = logdir / run
        self.steps = steps
        self.stop = threading.Event()

    def __call__(self):
        return self

    def __enter__(self):
        from tensorboardX import SummaryWriter

        self.writer = SummaryWriter(str(self.path), flush_secs=1, filename_suffix=".appending")
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        step = self.steps
        while not self.stop.wait(0.1):
            self.writer.add_scalar("train/loss", 0.1, step)
            step += 1

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.writer.close()
        for f in self.path.glob("*.appending"):
            f.unlink()


def fmt(v) -> str:
    if v is None:
        return "> 60 s"
    if v == 0:
        return "no long task seen"
    if isinstance(v, str):
        return v
    if isinstance(v, tuple) and isinstance(v[0], float):  # an interaction, both ways
        return f"{fmt(v[0])} ({fmt(v[1])} with the driver)"
    if isinstance(v, tuple):
        return f"{v[0]:,} B in {v[1]} requests"
    return f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--logdir", type=Path)
    ap.add_argument("--skip-tensorboard", action="store_true")
    args = ap.parse_args()
    logdir = args.logdir or Path(tempfile.gettempdir()) / f"flowlog-sweep-{args.runs}x{args.steps}"
    t0 = time.time()
    write_sweep(logdir, args.runs, args.steps, procs=os.cpu_count() or 2)
    print(f"logdir {logdir}: {args.runs} runs x 4 tags x {args.steps} steps (tensorboardX), "
          f"ready in {time.time() - t0:.0f} s", flush=True)
    appender = Appender(logdir, run_names(args.runs)[3], args.steps)
    fb = bench_flowboard(logdir, args.runs, appender)
    tb = {} if args.skip_tensorboard else bench_tensorboard(logdir, args.runs, args.steps)
    rows = [("server loaded the logdir", "load", None),
            ("navigation -> charts in view drawn", "first charts", "<= 3 s"),
            ("series bytes for the first charts", "first bytes", None),
            *[(f"{name}", name, "<= 300 ms") for name, _ in flowboard_actions("x")],
            ("series bytes, 30 s idle, nothing new", "idle", "0 B"),
            ("series bytes, 30 s, one run appending", "appending", None),
            ("server RSS", "rss", "<= 400 MB")]
    print("\nInteractions: from the input reaching the page until it shows the result; in brackets,"
          "\nfrom the test driver's call (which first scrolls to the control and waits for it to hold still).")
    print(f"\n{'':42} {'flowboard':>34} {'TensorBoard 2.21':>34}   target")
    for label, key, target in rows:
        a = fb.get(key)
        b = tb.get(key, "—") if tb else "skipped"
        if key == "rss":
            a = f"{a:.0f} MB"
            b = f"{b:.0f} MB" if isinstance(b, float) else b
        elif key in ("first bytes",):
            a = f"{a:,} B"
            b = f"{b:,} B" if isinstance(b, int) else b
        elif key == "load":
            a, b = f"{a:.1f} s", (f"{b:.1f} s" if isinstance(b, float) else b)
        else:
            a, b = fmt(a), (fmt(b) if b not in ("—", "skipped") else b)
        print(f"{label:42} {a:>34} {b:>34}   {target or ''}")


if __name__ == "__main__":
    main()
