"""The real `flowboard` command on a free port, driven in headless Chromium."""
from __future__ import annotations

import csv
import json
import urllib.request

import numpy as np
import pytest
from dashboard_events import append, histogram, image, new_file, scalar, text
from playwright.sync_api import expect

LOSS = {"a": lambda s: 10.0 / (s + 1), "b": lambda s: 5.0 + np.sin(s), "c": lambda s: s / 10.0}
FLAT_TAGS = [f"metric_{i:02d}" for i in range(12)]  # no "/" prefix: top-level tags
LONG_RUN = "sweep_" + "_".join(f"param{i}=0.{i}" for i in range(16))


@pytest.fixture(scope="module")
def server(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("e2e")
    files = {}
    for run, f in LOSS.items():
        files[run] = new_file(logdir / run, [scalar("loss", s, f(s)) for s in range(100)])
    pixels = np.zeros((8, 8, 3), np.uint8)
    pixels[:, :4, 1] = 200
    new_file(logdir / "a" / "extra", [histogram("weights", s, np.random.default_rng(s).normal(s, 1, 500))
                                      for s in range(0, 50, 10)] + [image("digit", 3, pixels)])
    new_file(logdir / "wide", [scalar(t, s, s * k) for k, t in enumerate(FLAT_TAGS + ["train/acc"])
                               for s in range(5)])
    new_file(logdir / LONG_RUN, [text("notes", 1, "**hello**")])
    url = flowboard_server(logdir, "--reload-interval", "1")
    return {"url": url, "files": files, "logdir": logdir}


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1300, "height": 900}, accept_downloads=True)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert errors == [], errors  # a script blocked by the CSP or failing shows up here


def smoothed(page, tag="loss"):
    """{run: (x, y)} of the smoothed traces of a tag's chart."""
    return page.evaluate("""tag => {
        const gd = document.querySelector(`.card[data-tag="${tag}"] .chart`);
        const out = {};
        (gd && gd.data || []).filter(t => t.meta.kind === "smoothed")
            .forEach(t => { out[t.meta.run] = [Array.from(t.x), Array.from(t.y)]; });
        return out;
    }""", tag)


def wait_runs(page, runs, tag="loss"):
    page.wait_for_function("""([tag, want]) => {
        const gd = document.querySelector(`.card[data-tag="${tag}"] .chart`);
        if (!gd || !gd.data) return false;
        const got = gd.data.filter(t => t.meta.kind === "smoothed").map(t => t.meta.run).sort();
        return JSON.stringify(got) === JSON.stringify(want);
    }""", arg=[tag, sorted(runs)])


def test_one_trace_per_selected_run_and_unticking_removes_it(page, server):
    page.goto(server["url"])
    wait_runs(page, ["a", "b", "c"])
    page.uncheck('input[data-run="b"]')
    wait_runs(page, ["a", "c"])
    assert "off=b" in page.url
    page.reload()  # the selection is kept in the URL
    wait_runs(page, ["a", "c"])
    assert not page.is_checked('input[data-run="b"]')


def test_smoothing_slider_changes_the_line(page, server):
    page.goto(server["url"] + "?off=b&off=c&smooth=0")
    wait_runs(page, ["a"])
    x, raw = smoothed(page)["a"]
    assert raw == pytest.approx([LOSS["a"](s) for s in x], rel=1e-6)
    page.locator("#smoothing").fill("0.9")
    page.wait_for_function("() => document.querySelector('#smoothing-value').textContent === '0.90'")
    page.wait_for_function("() => flowboard.views.scalars.settled()")  # redrawn on the next frame
    _, y = smoothed(page)["a"]
    assert y != pytest.approx(raw)
    # TensorBoard's debiased EMA: the first point is unchanged, later ones lag behind.
    assert y[0] == pytest.approx(raw[0]) and y[5] > raw[5]
    assert "smooth=0.9" in page.url


def test_csv_download_equals_the_data(page, server):
    page.goto(server["url"] + "?off=b&off=c")
    wait_runs(page, ["a"])
    with page.expect_download() as info:
        page.click('.card[data-tag="loss"] button:has-text("CSV")')
    with open(info.value.path()) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Wall time", "Step", "Value"]
    with urllib.request.urlopen(server["url"] + "data/plugin/scalars/scalars?run=a&tag=loss") as r:
        data = json.load(r)
    assert [[float(w), int(s), float(v)] for w, s, v in rows[1:]] == data
    assert [s for _, s, _ in data][:100] == list(range(100))


def test_histogram_and_image_render(page, server):
    page.goto(server["url"] + "?tab=histograms")
    page.wait_for_function("""() => {
        const gd = document.querySelector('.card[data-tag="weights"] .js-plotly-plot');
        return gd && gd.data.length === 5 && gd.querySelectorAll('path.js-fill').length === 5;
    }""")
    page.click('.tabs button[data-tab="images"]')
    page.wait_for_function("""() => {
        const img = document.querySelector('.card[data-tag="digit"] img');
        return img && img.complete && img.naturalWidth === 8;
    }""")
    assert "tab=images" in page.url


def test_points_appended_while_open_appear_after_refresh(page, server):
    page.goto(server["url"] + "?off=b&off=c")
    wait_runs(page, ["a"])
    assert max(smoothed(page)["a"][0]) < 100
    append(server["files"]["c"], [scalar("loss", s, LOSS["c"](s)) for s in range(100, 150)])
    append(server["files"]["a"], [scalar("loss", s, LOSS["a"](s)) for s in range(100, 150)])
    page.wait_for_function("""() => {
        const gd = document.querySelector('.card[data-tag="loss"] .chart');
        const t = gd && gd.data && gd.data.find(t => t.meta.kind === "smoothed");
        return t && Math.max(...t.x) === 149;
    }""", timeout=20_000)


def test_tab_events_theme_and_foreign_url_parameters(page, server):
    page.goto(server["url"] + "?g_node=dense%2Fw&tab=text")
    page.wait_for_selector('.tabs button[data-tab="text"][aria-selected="true"]')
    page.evaluate("""() => { window.tabs = [];
        document.addEventListener("flowboard:tab", e => window.tabs.push(e.detail.tab)); }""")
    page.click('.tabs button[data-tab="graphs"]')
    page.click('.tabs button[data-tab="scalars"]')
    assert page.evaluate("window.tabs") == ["graphs", "scalars"]
    assert "g_node=dense%2Fw" in page.url and "tab=" not in page.url
    assert not page.is_visible("#tab-graphs") and page.is_visible("#tab-scalars")
    before = page.get_attribute("html", "data-theme")
    page.click("#theme-toggle")
    assert page.get_attribute("html", "data-theme") == {"light": "dark", "dark": "light"}[before]


def test_zoom_survives_refresh_and_fetches_that_range(page, server):
    page.goto(server["url"] + "?off=a&off=c")
    wait_runs(page, ["b"])
    with page.expect_request(lambda r: "scalars/chart" in r.url and
                             json.loads(r.post_data).get("min_step") == 10 and
                             json.loads(r.post_data).get("max_step") == 20):
        page.evaluate("""() => Plotly.relayout(
            document.querySelector('.card[data-tag="loss"] .chart'), {"xaxis.range": [10, 20]})""")
    page.wait_for_function("""() => { const gd = document.querySelector('.card[data-tag="loss"] .chart');
        return Math.max(...gd.data[0].x) <= 21; }""")
    page.evaluate("""() => { window.draws = 0; document.querySelector('.card[data-tag="loss"] .chart')
        .on("plotly_afterplot", () => { window.draws += 1; }); }""")
    page.locator("#smoothing").fill("0.3")  # a redraw
    page.wait_for_function("() => window.draws > 0", timeout=15_000)
    x_range = page.evaluate("""() => document.querySelector('.card[data-tag="loss"] .chart')
        ._fullLayout.xaxis.range""")
    assert x_range == [10, 20]
    x, _ = smoothed(page)["b"]
    assert min(x) >= 9 and max(x) <= 21  # only the zoomed range, at full resolution


def test_tags_without_prefix_share_one_group_that_fills_the_width(page, server):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(server["url"] + "?off=a&off=b&off=c")
    page.wait_for_selector('.card[data-tag="metric_11"]')
    groups = page.eval_on_selector_all("#tab-scalars details.group", """ds => ds.map(
        d => [d.dataset.group, d.querySelectorAll('.card').length])""")
    assert groups == [["", 1 + len(FLAT_TAGS)], ["train", 1]]  # "loss" and the flat tags together
    boxes = page.eval_on_selector_all('#tab-scalars details.group[data-group=""] .card', """cs =>
        cs.map(c => { const r = c.getBoundingClientRect();
                      return [Math.round(r.left), Math.round(r.right)]; })""")
    assert len({left for left, _ in boxes}) > 1  # more than one column
    main_right = page.evaluate("""() => { const m = document.querySelector("main");
        return m.getBoundingClientRect().right - parseFloat(getComputedStyle(m).paddingRight); }""")
    assert max(right for _, right in boxes) >= main_right - 2  # the row spans the page's width
    page.click('details.group[data-group="train"] > summary')  # groups still fold
    page.wait_for_function("() => location.search.includes('fold=train')")
    expect(page.locator('.card[data-tag="train/acc"]')).to_be_hidden()
    page.fill("#tag-filter", "^nothing$")
    expect(page.locator("#tab-scalars .empty-title")).to_have_text("No tags match the filter")


def test_long_run_name_leaves_the_tag_title_readable(page, server):
    page.goto(server["url"] + "?tab=text")
    card = page.locator(f'.card[data-run="{LONG_RUN}"][data-tag="notes"]')
    expect(card.locator("strong")).to_have_text("hello")
    title, sub = card.locator(".card-title"), card.locator(".card-sub")
    expect(title).to_have_text("notes")
    expect(sub).to_have_text(LONG_RUN)  # as text, cut only on screen
    expect(sub).to_have_attribute("title", LONG_RUN)
    widths = title.evaluate("t => [t.clientWidth, t.scrollWidth]")
    assert widths[0] > 0 and widths[0] >= widths[1]  # the whole tag shows
    assert sub.evaluate("s => s.scrollWidth > s.clientWidth && s.clientWidth > 0")  # cut, not gone
