"""The PR curves and custom scalars tabs of the real `flowboard` in headless Chromium, over runs
written by torch.utils.tensorboard, tensorboardX and flowlog."""
from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect
from test_custom_scalars import STEPS as SCALAR_STEPS
from test_custom_scalars import log_custom_scalars
from test_pr_curves import WRITERS, log_pr_curves

import flowlog as fl

# torch logs at other steps than the rest: at the slider's step 0 it shows its nearest, 1.
PR_STEPS = {"torch": (1, 6, 11), "tensorboardX": (0, 5, 10), "flowlog": (0, 5, 10)}
OFFSETS = {"torch": 0.0, "tensorboardX": 0.3, "flowlog": 0.6}


@pytest.fixture(scope="module")
def server(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("pr_custom")
    for seed, writer in enumerate(PR_STEPS):
        # one writer per run: tensorboardX's second file of a second would replace its first
        w = WRITERS[writer](str(logdir / writer))
        log_pr_curves(w, seed, PR_STEPS[writer])
        log_custom_scalars(w, offset=OFFSETS[writer])
        w.close()
    url = flowboard_server(logdir, "--reload-interval", "1")
    deadline = time.monotonic() + 60
    while get(url + "data/status")["loading"]:
        assert time.monotonic() < deadline, "flowboard did not load the logdir within 60 s"
        time.sleep(0.05)
    return {"url": url, "logdir": logdir}


def get(url: str):
    with urllib.request.urlopen(url) as resp:
        return json.load(resp)


def traces(page, selector: str) -> list[dict]:
    """The plotly traces of the chart at `selector`: meta, x, y and fill of each."""
    return page.evaluate("""sel => {
        const gd = document.querySelector(sel);
        return (gd && gd.data || []).map(t => ({meta: t.meta, x: Array.from(t.x), y: Array.from(t.y),
                                               fill: t.fill || null}));
    }""", selector)


def wait_traces(page, selector: str, check: str, arg=None) -> None:
    """Wait until `check` (a JS function of the traces and `arg`) holds for the chart."""
    page.wait_for_function(f"""([sel, arg]) => {{
        const gd = document.querySelector(sel);
        return !!(gd && gd.data) && ({check})(gd.data, arg);
    }}""", arg=[selector, arg])


def test_pr_curve_renders_and_moves_with_the_step_slider(checked_page, server):
    page, server = checked_page, server["url"]
    url = server + "data/plugin/pr_curves/pr_curves?tag=pr/cls&run=torch&run=tensorboardX&run=flowlog"
    curves = get(url)
    plot = '.card[data-tag="pr/cls"] .pr-chart'
    page.goto(server + "?tab=pr_curves")
    wait_traces(page, plot, "data => data.length === 3")
    card = page.locator('.card[data-tag="pr/cls"]')
    newest_step = max(e[-1]["step"] for e in curves.values())
    expect(card.locator("output")).to_have_text(f"step {newest_step}")  # the newest of any run
    newest = {t["meta"]["run"]: t for t in traces(page, plot)}
    for run, entries in curves.items():
        assert newest[run]["x"] == pytest.approx(entries[-1]["recall"])
        assert newest[run]["y"] == pytest.approx(entries[-1]["precision"])

    card.locator('input[type="range"]').fill("0")
    expect(card.locator("output")).to_have_text("step 0")
    wait_traces(page, plot, "(data, want) => data.find(t => t.meta.run === 'flowlog').y.length === want",
                len(curves["flowlog"][0]["precision"]))
    first = {t["meta"]["run"]: t for t in traces(page, plot)}
    for run, entries in curves.items():
        assert first[run]["meta"]["step"] == entries[0]["step"]  # torch: its nearest, step 1
        assert first[run]["y"] == pytest.approx(entries[0]["precision"])
        assert first[run]["y"] != pytest.approx(newest[run]["y"])
    expect(card.locator(".pr-legend")).to_contain_text("step 1")  # torch's own step is named


def test_a_curve_logged_while_the_page_is_open_joins_the_slider(checked_page, server):
    page = checked_page
    page.goto(server["url"] + "?tab=pr_curves")
    card = page.locator('.card[data-tag="pr/cls"]')
    expect(card.locator("output")).to_have_text("step 11")
    with fl.SummaryWriter(str(server["logdir"] / "flowlog")) as w:
        w.add_pr_curve_raw("pr/cls", [5, 2], [5, 1], [0, 4], [0, 3], [0.5, 2 / 3], [1.0, 0.4], 20,
                           num_thresholds=2)
    expect(card.locator("output")).to_have_text("step 20")  # it followed the newest step
    wait_traces(page, '.card[data-tag="pr/cls"] .pr-chart',
                "data => data.find(t => t.meta.run === 'flowlog').meta.step === 20")
    flowlog = next(t for t in traces(page, '.card[data-tag="pr/cls"] .pr-chart')
                   if t["meta"]["run"] == "flowlog")
    assert flowlog["x"] == pytest.approx([1.0, 0.4]) and flowlog["y"] == pytest.approx([0.5, 2 / 3])


def test_custom_scalars_margin_chart_has_its_band_and_multiline_one_line_per_run_and_tag(
        checked_page, server):
    page = checked_page
    page.goto(server["url"] + "?tab=custom_scalars")
    expect(page.locator("details.group summary")).to_have_text(["Losses2", "Bands1"])
    margin = '.card[data-kind="margin"] .chart'
    wait_traces(page, margin, "data => data.filter(t => t.meta.kind === 'band').length === 6")
    drawn = traces(page, margin)
    steps = list(SCALAR_STEPS)
    for run, off in OFFSETS.items():
        lower, upper = [t for t in drawn if t["meta"]["kind"] == "band" and t["meta"]["group"] == run]
        assert lower["fill"] is None and upper["fill"] == "tonexty"  # filled from lower up to upper
        assert lower["x"] == steps and upper["x"] == steps
        assert lower["y"] == pytest.approx([0.4 + s / 100 + off for s in steps], rel=1e-6)
        assert upper["y"] == pytest.approx([0.6 + s / 100 + off for s in steps], rel=1e-6)
        value = next(t for t in drawn if t["meta"]["kind"] == "smoothed" and t["meta"]["run"] == run)
        assert value["y"] == pytest.approx([0.5 + s / 100 + off for s in steps], rel=1e-6)
    # the tooltip gives lower and upper beside the value
    run, off = next(iter(OFFSETS.items()))
    step = steps[len(steps) // 2]
    x, y = page.evaluate("""([sel, run, step]) => { const gd = document.querySelector(sel);
        const l = gd._fullLayout, r = gd.getBoundingClientRect();
        const t = gd.data.find(t => t.meta.kind === "smoothed" && t.meta.run === run);
        const i = Array.from(t.x).indexOf(step);
        return [r.left + l._size.l + l.xaxis.c2p(step), r.top + l._size.t + l.yaxis.c2p(t.y[i])]; }""",
                         [margin, run, step])
    page.mouse.move(x - 3, y)
    page.mouse.move(x, y)
    row = page.locator(f'.card[data-kind="margin"] .tip tr[data-run="{run}"]')
    expect(row).to_be_visible()
    lower, upper = re.search(r"\((\S+) … (\S+)\)", row.locator("td").nth(3).text_content()).groups()
    assert (float(lower), float(upper)) == pytest.approx((0.4 + step / 100 + off, 0.6 + step / 100 + off), rel=1e-5)

    multiline = '.card[data-chart="train and test"] .chart'
    wait_traces(page, multiline, "data => data.filter(t => t.meta.kind === 'smoothed').length === 6")
    lines = {(t["meta"]["run"], t["meta"]["tag"]) for t in traces(page, multiline)
             if t["meta"]["kind"] == "smoothed"}
    assert lines == {(run, tag) for run in OFFSETS for tag in ("loss/train", "loss/test")}
