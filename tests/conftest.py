"""Fixtures shared by every test folder: the real `flowboard` command and a real browser."""
from __future__ import annotations

import re
import subprocess
import sys
import threading

import pytest
from playwright.sync_api import expect

# Page assertions wait up to 20 s (Playwright's default is 5): a graph layout or a sweep's
# first draw on a busy 2-core machine can take longer than 5 s without anything being wrong.
expect.set_options(timeout=20_000)

# Debian's Chromium, headless as root, with nothing that would reach out to the network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def flowboard_server():
    """Start the real `flowboard` command on a free port: `start(logdir, *args) -> url`.

    Every server started is stopped when the module's tests are done.
    """
    procs = []

    def start(logdir, *args: str) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flowlog.dashboard", "--logdir", str(logdir), "--port", "0",
             *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(proc)
        for line in proc.stdout:  # the URL line comes first; EOF if the server dies
            match = re.search(r"http://\S+/", line)
            if match:
                threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep draining
                return match.group(0)
        raise AssertionError(f"flowboard exited ({proc.wait()}) without printing its URL")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, shared by the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser):
    """Opens pages of the given size that fail the test if any script errs (a CSP block shows
    up here): `open_page(1300, 900)`."""
    pages, errors = [], []

    def open_(width: int = 1300, height: int = 900):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.close()
    assert errors == [], errors


@pytest.fixture
def checked_page(open_page):
    """A 1300×900 page that fails the test if any script errs."""
    return open_page()
