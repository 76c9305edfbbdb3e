"""The HParams tab's parallel coordinates, scatter and range filters, in headless Chromium.

Filters tick the runs that pass them, so the Scalars tab shows exactly those.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from dashboard_events import new_file, scalar
from flowlog.dashboard.demo import write_sweep
from playwright.sync_api import expect

from flowlog import SummaryWriter
from flowlog.summaries import hparams_plugin

MARKUP = "<img src=x onerror=document.title='pwned'>"


@pytest.fixture(scope="module")
def server(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("hparams-plots")
    write_sweep(logdir / "sweep", steps=20)
    with SummaryWriter(logdir / "odd") as w:
        w.add_hparams({"lr": 0.5, "batch_size": 64, "optimizer": MARKUP}, {"hparam/loss": 9.0},
                      run_name=".")
    new_file(logdir / "plain", [scalar("loss", 0, 1.0)])
    return flowboard_server(logdir)


@pytest.fixture
def page(checked_page):
    return checked_page


@pytest.fixture
def table(page, server) -> dict:
    """{run: row} of the server's hparams answer."""
    return {r["run"]: r for r in page.request.get(server + "data/plugin/hparams/table").json()}


def open_tab(page, server, query=""):
    page.goto(server + "?tab=hparams" + query)
    expect(page.locator(".hp-parcoords path.hp-line")).to_have_count(13)


def line_points(page, run: str) -> list[tuple[float, float]]:
    d = page.locator(f'.hp-parcoords path.hp-line[data-run="{run}"]').get_attribute("d")
    return [tuple(map(float, p.split(","))) for p in d[1:].split("L")]


def ticked_on_scalars(page) -> set[str]:
    """The runs ticked once the Scalars tab is open, as its run list and URL hold them."""
    page.click('.tabs button[data-tab="scalars"]')
    expect(page.locator("#tab-scalars")).to_be_visible()
    ticked = set(page.evaluate("flowboard.selectedRuns()"))
    boxes = page.locator("#run-list input[type=checkbox]")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        assert box.is_checked() == (box.get_attribute("data-run") in ticked)
    return ticked


def test_one_line_per_run_through_one_axis_per_column(page, server, table):
    open_tab(page, server)
    runs = page.locator(".hp-parcoords path.hp-line").evaluate_all("ps => ps.map(p => p.dataset.run)")
    assert sorted(runs) == sorted(table)  # "plain" has no hparams: no line
    keys = page.locator(".hp-pc-axis").evaluate_all("gs => gs.map(g => g.dataset.key)")
    row = table["sweep/lr=0.1,bs=32,adam"]
    assert keys == [f"h:{k}" for k in row["hparams"]] + [f"m:{k}" for k in row["metrics"]]
    lr = keys.index("h:lr")
    opt = keys.index("h:optimizer")
    # a higher learning rate sits higher on its axis (smaller y), and runs sharing an optimizer
    # cross its axis at one point
    y = {run: line_points(page, run) for run in table}
    assert y["sweep/lr=0.1,bs=32,adam"][lr][1] < y["sweep/lr=0.01,bs=32,adam"][lr][1] \
        < y["sweep/lr=0.001,bs=32,adam"][lr][1]
    adam = {y[r][opt] for r in table if table[r]["hparams"]["optimizer"] == "adam"}
    sgd = {y[r][opt] for r in table if table[r]["hparams"]["optimizer"] == "sgd"}
    assert len(adam) == 1 and len(sgd) == 1 and adam != sgd
    # the odd run's markup is an axis label shown as text, never run
    labels = page.locator('.hp-pc-axis[data-key="h:optimizer"] .hp-pc-ticktext title').all_text_contents()
    assert MARKUP in labels and page.title() != "pwned"


def test_brushing_a_metric_axis_leaves_only_matching_runs_ticked_on_scalars(page, server, table):
    open_tab(page, server)
    # drag up the loss axis over the lower tenth of its range ("odd"'s 9.0 is at the top)
    spine = page.locator('.hp-pc-axis[data-key="m:hparam/loss"] .hp-pc-spine').bounding_box()
    x = spine["x"] + spine["width"] / 2
    at = lambda fraction: spine["y"] + spine["height"] * (1 - fraction)
    page.mouse.move(x, at(0.02))
    page.mouse.down()
    page.mouse.move(x, at(0.06), steps=4)
    page.mouse.move(x, at(0.1), steps=4)
    page.mouse.up()
    brush = page.locator('.hp-pc-axis[data-key="m:hparam/loss"] .hp-brush:not(.hp-brush-live)')
    expect(brush).to_have_count(1)
    lo = float(page.input_value('.hp-bound[data-key="m:hparam/loss"][data-bound="lo"]'))
    hi = float(page.input_value('.hp-bound[data-key="m:hparam/loss"][data-bound="hi"]'))
    want = {r for r, row in table.items() if lo <= row["metrics"].get("hparam/loss", -1) <= hi}
    assert 0 < len(want) < len(table)
    passing = page.locator(".hp-parcoords .hp-lines:not(.hp-off) .hp-line")
    expect(passing).to_have_count(len(want))
    assert set(passing.evaluate_all("ps => ps.map(p => p.dataset.run)")) == want
    assert set(page.locator(".hp-table tbody tr[data-run]").evaluate_all(
        "trs => trs.map(tr => tr.dataset.run)")) == want
    assert ticked_on_scalars(page) == want  # runs without hparams ("plain") are unticked too
    # the filter is in the URL: a reload keeps it, and clicking the axis clears it
    page.click('.tabs button[data-tab="hparams"]')
    page.reload()
    expect(page.locator(".hp-parcoords .hp-lines:not(.hp-off) .hp-line")).to_have_count(len(want))
    page.locator('.hp-pc-axis[data-key="m:hparam/loss"] .hp-pc-hit').click()
    expect(page.locator(".hp-parcoords .hp-off .hp-line")).to_have_count(0)
    assert ticked_on_scalars(page) == set(table) | {"plain"}


def test_range_inputs_and_categories_filter_together(page, server, table):
    open_tab(page, server)
    page.fill('.hp-bound[data-key="h:lr"][data-bound="lo"]', "0.005")
    page.press('.hp-bound[data-key="h:lr"][data-bound="lo"]', "Enter")
    page.fill('.hp-bound[data-key="h:lr"][data-bound="hi"]', "0.2")
    page.press('.hp-bound[data-key="h:lr"][data-bound="hi"]', "Enter")
    page.click('.hp-cat[data-key="h:optimizer"]:text-is("adam")')
    want = {r for r, row in table.items()
            if 0.005 <= row["hparams"]["lr"] <= 0.2 and row["hparams"]["optimizer"] == "adam"}
    assert len(want) == 4  # lr 0.1 and 0.01, batch 32 and 128
    expect(page.locator(".hp-table tbody tr[data-run]")).to_have_count(4)
    assert set(page.locator(".hp-parcoords .hp-lines:not(.hp-off) .hp-line").evaluate_all(
        "ps => ps.map(p => p.dataset.run)")) == want
    expect(page.locator('.hp-pc-axis[data-key="h:optimizer"] .hp-brush:not(.hp-brush-live)')).to_have_count(1)
    expect(page.locator(".hparams-caption")).to_contain_text("4 pass the filters")
    query = parse_qs(urlparse(page.url).query)
    assert json.loads(query["h_filter"][0]) == {"h:lr": {"lo": 0.005, "hi": 0.2},
                                                "h:optimizer": {"in": ["adam"]}}
    assert ticked_on_scalars(page) == want
    page.click('.tabs button[data-tab="hparams"]')
    page.click(".hp-clear")
    expect(page.locator(".hp-table tbody tr[data-run]")).to_have_count(13)
    assert "h_filter" not in page.url
    assert ticked_on_scalars(page) == set(table) | {"plain"}


def dots(page) -> dict[str, tuple[float, float]]:
    return {run: (x, y) for run, x, y in page.locator(".hp-scatter circle.hp-dot").evaluate_all(
        "cs => cs.map(c => [c.dataset.run, +c.getAttribute('cx'), +c.getAttribute('cy')])")}


def same_order(a: dict, b: dict) -> bool:
    """Whether the values of `a` and `b` rank their common keys alike (ties included)."""
    sign = lambda v: (v > 0) - (v < 0)
    keys = sorted(a)
    return all(sign(a[p] - a[q]) == sign(b[p] - b[q]) for p in keys for q in keys)


def test_scatter_plots_the_two_chosen_columns(page, server, table):
    open_tab(page, server)
    page.select_option('.hp-axis[data-axis="x"]', "h:batch_size")
    page.select_option('.hp-axis[data-axis="y"]', "m:hparam/accuracy")
    expect(page.locator(".hp-scatter .hp-sc-xtitle")).to_have_text("batch_size")
    expect(page.locator(".hp-scatter .hp-sc-ytitle")).to_have_text("hparam/accuracy")
    # one dot per run with both values ("odd" logged no accuracy), placed by those values
    expect(page.locator(".hp-scatter circle.hp-dot")).to_have_count(12)
    drawn = dots(page)
    assert set(drawn) == {r for r in table if "hparam/accuracy" in table[r]["metrics"]}
    assert same_order({r: xy[0] for r, xy in drawn.items()},
                      {r: table[r]["hparams"]["batch_size"] for r in drawn})
    assert same_order({r: -xy[1] for r, xy in drawn.items()},  # y grows upwards
                      {r: table[r]["metrics"]["hparam/accuracy"] for r in drawn})
    assert "h_x=h%3Abatch_size" in page.url and "h_y=m%3Ahparam%2Faccuracy" in page.url
    page.reload()
    expect(page.locator(".hp-scatter .hp-sc-xtitle")).to_have_text("batch_size")
    # a categorical column is drawn as categories, markup among them as text
    page.select_option('.hp-axis[data-axis="x"]', "h:optimizer")
    expect(page.locator(".hp-scatter .hp-sc-xtick")).to_have_count(3)
    ticks = page.locator(".hp-scatter .hp-sc-xtick title").all_text_contents()
    assert sorted(ticks) == sorted(["adam", "sgd", MARKUP])
    assert page.locator(".hp-scatter img").count() == 0 and page.title() != "pwned"
    # unticked runs stay as grey dots beneath; ticked ones are drawn in their run colour
    page.uncheck('input[data-run="sweep/lr=0.1,bs=32,adam"]')
    expect(page.locator('.hp-scatter .hp-off circle[data-run="sweep/lr=0.1,bs=32,adam"]')).to_have_count(1)


def test_the_sort_is_kept_in_the_url(page, server):
    open_tab(page, server)
    page.click('.hp-table th[data-key="m:hparam/loss"] button')
    page.click('.hp-table th[data-key="m:hparam/loss"] button')
    assert "h_sort=m%3Ahparam%2Floss" in page.url and "h_desc=1" in page.url
    page.reload()
    expect(page.locator('.hp-table th[data-key="m:hparam/loss"]')).to_have_attribute(
        "aria-sort", "descending")
    losses = [float(x) for x in page.locator('.hp-table td[data-key="m:hparam/loss"]').all_inner_texts()]
    assert losses == sorted(losses, reverse=True) and losses[0] == 9.0


def test_hovering_a_row_picks_out_its_line_and_dot(page, server):
    open_tab(page, server)
    run = "sweep/lr=0.01,bs=128,sgd"
    page.hover(f'.hp-table tr[data-run="{run}"] td.run')
    expect(page.locator(".hp-parcoords path.hp-hl")).to_have_attribute("data-run", run)
    expect(page.locator(".hp-scatter circle.hp-hl")).to_have_attribute("data-run", run)
    page.mouse.move(5, 5)
    expect(page.locator(".hp-hl")).to_have_count(0)


def test_back_from_scalars_returns_to_the_filtered_view(page, server, table):
    open_tab(page, server)
    page.click('.hp-cat[data-key="h:optimizer"]:text-is("sgd")')
    sgd = {r for r, row in table.items() if row["hparams"]["optimizer"] == "sgd"}
    expect(page.locator(".hp-table tbody tr[data-run]")).to_have_count(len(sgd))
    assert ticked_on_scalars(page) == sgd
    page.go_back()
    expect(page.locator("#tab-hparams")).to_be_visible()
    expect(page.locator('.hp-cat.on[data-key="h:optimizer"]')).to_have_text("sgd")
    expect(page.locator(".hp-parcoords .hp-lines:not(.hp-off) .hp-line")).to_have_count(len(sgd))


def test_runs_that_come_to_pass_the_filters_later_are_ticked(page, tmp_path, flowboard_server):
    """A live sweep: a new run, and one whose metric arrives, join the filtered selection."""
    logdir = tmp_path / "live"
    with SummaryWriter(logdir / "done") as w:
        w.add_hparams({"lr": 0.1}, {"hparam/loss": 0.25}, run_name=".")
    with SummaryWriter(logdir / "running") as w:
        for summary in hparams_plugin.hparams({"lr": 0.2}, {"hparam/loss": 0}):
            w.add_summary(summary)
    url = flowboard_server(logdir, "--reload-interval", "1")
    page.goto(url + "?tab=hparams")
    expect(page.locator(".hp-parcoords path.hp-line")).to_have_count(2)
    page.fill('.hp-bound[data-key="m:hparam/loss"][data-bound="hi"]', "0.5")
    page.press('.hp-bound[data-key="m:hparam/loss"][data-bound="hi"]', "Enter")
    expect(page.locator(".hp-table tbody tr[data-run]")).to_have_count(1)
    with SummaryWriter(logdir / "running") as w:
        w.add_scalar("hparam/loss", 0.375, 10)
    with SummaryWriter(logdir / "late") as w:
        w.add_hparams({"lr": 0.3}, {"hparam/loss": 0.125}, run_name=".")
    with SummaryWriter(logdir / "late-but-worse") as w:
        w.add_hparams({"lr": 0.4}, {"hparam/loss": 2.0}, run_name=".")
    expect(page.locator(".hp-table tbody tr[data-run]")).to_have_count(3, timeout=15000)
    assert ticked_on_scalars(page) == {"done", "running", "late"}
