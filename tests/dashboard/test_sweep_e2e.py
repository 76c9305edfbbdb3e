"""Comparing the runs of a sweep in the real page: real flowboard on a free port, real Chromium."""
from __future__ import annotations

import csv
import json
import struct
from urllib.parse import quote

import numpy as np
import pytest
from dashboard_events import append, event, new_file, scalar
from playwright.sync_api import expect

from flowlog.summaries import hparams_plugin

RUNS = ["lr=0.1,seed=0", "lr=0.1,seed=1", "lr=1,seed=0", "lr=1,seed=1"]
MANY = [f"many/run_{i:02d}" for i in range(45)]  # only an "other" tag: never on the train charts
OPT = {run: "adam" if run.endswith("seed=0") else "sgd" for run in RUNS}  # an hparam not in the name
LONG = 5000  # steps of the "long" run, enough to be drawn in buckets


def loss(run: str, step: int) -> float:
    lr, seed = float(run.split(",")[0][3:]), int(run[-1])
    return 2.0 / (1 + lr * step) + seed * 0.25


def acc(run: str, step: int) -> float:
    return 1.0 - loss(run, step) / 4


@pytest.fixture(scope="module")
def server(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("sweep")
    files = {run: new_file(logdir / run, [e for s in range(50) for e in (
        scalar("train/loss", s, loss(run, s)), scalar("train/acc", s, acc(run, s)),
        scalar("lr", s, 0.001))] + [event(summary=h) for h in hparams_plugin.hparams(
            {"opt": OPT[run], "lr": float(run.split(",")[0][3:])}, {"train/loss": 0})])
        for run in RUNS}
    for k, run in enumerate(MANY):
        new_file(logdir / run, [scalar("other", s, s * (1 + k / 100)) for s in range(3)])
    new_file(logdir / "long", [scalar("wave", s, np.sin(s / 50) + (s % 97 == 0)) for s in range(LONG)])
    url = flowboard_server(logdir, "--reload-interval", "1")
    return {"url": url, "files": files}


@pytest.fixture
def page(checked_page):
    return checked_page


def settle(page):
    page.wait_for_function("""() => window.flowboard && flowboard.state.loaded && flowboard.views.scalars
        && document.querySelector('#tab-scalars .card') && flowboard.views.scalars.settled()""")


def traces(page, key, kind="smoothed"):
    """[(meta, x, y)] of one kind of trace of the chart of `key` (a tag, or "" for combined)."""
    return page.evaluate("""([key, kind]) => {
        const gd = document.querySelector(`.card[data-tag="${key}"] .chart`);
        return (gd.data || []).filter(t => t.meta.kind === kind)
            .map(t => [t.meta, Array.from(t.x), Array.from(t.y)]);
    }""", [key, kind])


def hover_step(page, tag, step, run):
    """Move the mouse onto the chart of `tag` at `step`, on the line of `run`."""
    x, y = page.evaluate("""([tag, step, run]) => {
        const gd = document.querySelector(`.card[data-tag="${tag}"] .chart`);
        const l = gd._fullLayout, r = gd.getBoundingClientRect();
        const t = gd.data.find(t => t.meta.kind === "smoothed" && t.meta.run === run);
        const i = Array.from(t.x).indexOf(step);
        return [r.left + l._size.l + l.xaxis.c2p(step), r.top + l._size.t + l.yaxis.c2p(t.y[i])];
    }""", [tag, step, run])
    page.mouse.move(x - 3, y)
    page.mouse.move(x, y)


def test_tooltip_lists_every_visible_run_at_the_hovered_step(page, server):
    page.goto(server["url"] + "?tags=train&smooth=0&off=" + quote(RUNS[3]))
    settle(page)
    hover_step(page, "train/loss", 20, RUNS[2])
    tip = page.locator('.card[data-tag="train/loss"] .tip')
    expect(tip).to_be_visible()
    rows = tip.locator("tbody tr")
    expect(rows).to_have_count(3)
    got = rows.evaluate_all("""rs => rs.map(r => [r.dataset.run,
        ...[...r.querySelectorAll('td')].slice(2, 5).map(td => td.textContent)])""")
    # sorted by value, highest first; every row at step 20 with its raw and smoothed value
    want = sorted(RUNS[:3], key=lambda r: -loss(r, 20))
    assert [r[0] for r in got] == want
    for run, smoothed, raw, step in got:
        assert step == "20" and float(raw) == pytest.approx(loss(run, 20), rel=1e-5)
        assert float(smoothed) == pytest.approx(loss(run, 20), rel=1e-5)  # smoothing 0
    expect(tip.locator("tr.hot")).to_have_attribute("data-run", RUNS[2])  # the hovered run
    # the other chart of the "train" group shows a cursor at the same step
    cursor = page.evaluate("""() => flowboard.views.scalars.cards.get("train/acc").chart.cursor""")
    assert cursor == pytest.approx(20, abs=0.5)
    page.mouse.move(5, 5)
    expect(tip).to_be_hidden()


def test_colour_by_a_capture_group_shares_colours(page, server):
    page.goto(server["url"] + "?tags=train&color=" + quote("lr=([^,]+)"))
    settle(page)
    colours = {meta["run"]: meta_colour for meta, meta_colour in page.evaluate("""() => {
        const gd = document.querySelector('.card[data-tag="train/loss"] .chart');
        return gd.data.filter(t => t.meta.kind === "smoothed").map(t => [t.meta, t.line.color]); }""")}
    assert colours[RUNS[0]] == colours[RUNS[1]] != colours[RUNS[2]] == colours[RUNS[3]]
    chips = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#run-list li.run-row')]
        .map(li => [li.querySelector('input').dataset.run, li.querySelector('.chip').style.background]))""")
    assert chips[RUNS[0]] == chips[RUNS[1]] != chips[RUNS[2]]
    # without colour-by, a run keeps one colour of its own, whatever else is ticked
    page.goto(server["url"] + "?tags=train")
    settle(page)
    before = page.evaluate("() => flowboard.runColor('lr=1,seed=1')")
    page.uncheck(f'input[data-run="{RUNS[0]}"]')
    settle(page)
    assert page.evaluate("() => flowboard.runColor('lr=1,seed=1')") == before
    assert len({page.evaluate(f"() => flowboard.runColor('{r}')") for r in RUNS + MANY}) == 49


def test_grouping_draws_the_mean_of_each_group_with_a_band(page, server):
    page.goto(server["url"] + "?tags=train&smooth=0&band=minmax&group=" + quote("lr=([^,]+)"))
    settle(page)
    means = traces(page, "train/loss", "mean")
    assert sorted(m["group"] for m, _, _ in means) == ["0.1", "1"]
    for meta, x, y in means:
        members = [r for r in RUNS if r.startswith(f"lr={meta['group']},")]
        want = [np.mean([loss(r, s) for r in members]) for s in x]
        assert x == list(range(50)) and y == pytest.approx(want, rel=1e-5)
    bands = traces(page, "train/loss", "band")
    assert sorted(m["group"] for m, _, _ in bands) == ["0.1", "0.1", "1", "1"]  # lower, upper
    low = next(y for m, _, y in bands if m["group"] == "1")
    assert low[10] == pytest.approx(min(loss(r, 10) for r in RUNS[2:]), rel=1e-5)
    assert traces(page, "train/loss", "smoothed") == []  # members are drawn as their group


def test_colour_and_groups_by_an_hparam(page, server):
    page.goto(server["url"] + "?tags=train&smooth=0&color=" + quote("hparam:opt"))
    settle(page)
    colours = dict(page.evaluate("""() => {
        const gd = document.querySelector('.card[data-tag="train/loss"] .chart');
        return gd.data.filter(t => t.meta.kind === "smoothed").map(t => [t.meta.run, t.line.color]); }"""))
    adam = [r for r in RUNS if OPT[r] == "adam"]
    sgd = [r for r in RUNS if OPT[r] == "sgd"]
    assert colours[adam[0]] == colours[adam[1]] != colours[sgd[0]] == colours[sgd[1]]
    page.goto(server["url"] + "?tags=train&smooth=0&group=" + quote("hparam:opt"))
    settle(page)
    means = traces(page, "train/loss", "mean")
    assert sorted(m["group"] for m, _, _ in means) == ["adam", "sgd"]
    for meta, x, y in means:
        members = adam if meta["group"] == "adam" else sgd
        assert y == pytest.approx([np.mean([loss(r, s) for r in members]) for s in x], rel=1e-5)


def test_tags_combined_on_one_chart_give_a_trace_per_run_and_tag(page, server):
    page.goto(server["url"] + "?combine=" + quote("^train/"))
    settle(page)
    got = traces(page, "")
    assert sorted((m["run"], m["tag"]) for m, _, _ in got) == sorted(
        (r, t) for r in RUNS for t in ("train/acc", "train/loss"))
    expect(page.locator('.card[data-tag=""] .card-title')).to_contain_text("2 tags")


def test_back_returns_to_the_previous_tab(page, server):
    page.goto(server["url"] + "?tags=train")
    settle(page)
    page.click('.tabs button[data-tab="graphs"]')
    assert "tab=graphs" in page.url
    page.go_back()
    expect(page.locator('.tabs button[data-tab="scalars"]')).to_have_attribute("aria-selected", "true")
    assert page.url.startswith(server["url"])  # still inside flowboard
    assert page.is_visible("#tab-scalars") and not page.is_visible("#tab-graphs")
    settle(page)
    assert len(traces(page, "train/loss")) == 4
    page.go_forward()
    expect(page.locator('.tabs button[data-tab="graphs"]')).to_have_attribute("aria-selected", "true")
    assert page.is_visible("#tab-graphs")


def test_tabs_for_kinds_no_run_holds_stay_hidden(page, server):
    page.goto(server["url"])
    settle(page)
    for tab in ("histograms", "audio", "pr_curves", "mesh"):
        expect(page.locator(f'.tabs button[data-tab="{tab}"]')).to_be_hidden()
    for tab in ("scalars", "graphs"):
        expect(page.locator(f'.tabs button[data-tab="{tab}"]')).to_be_visible()


def decode_header(body: bytes) -> dict:
    (size,) = struct.unpack_from("<I", body)
    return json.loads(body[4:4 + size])


def test_an_unchanged_series_is_not_sent_again_and_appends_come_as_deltas(page, server):
    answers = []
    page.on("response", lambda r: answers.append(r) if "scalars/chart" in r.url else None)
    page.goto(server["url"] + "?tags=loss")
    settle(page)
    page.wait_for_timeout(500)
    first = len(answers)
    assert first >= 1 and {s["run"] for a in answers for s in decode_header(a.body())["series"]} \
        == set(RUNS)
    page.wait_for_timeout(3500)  # three refreshes of a server reloading every second
    assert len(answers) == first  # nothing changed: not even a request
    append(server["files"][RUNS[1]], [scalar("train/loss", 50 + s, 0.5) for s in range(5)])
    page.wait_for_function("""() => { const gd = document.querySelector('.card[data-tag="train/loss"] .chart');
        const t = gd.data.find(t => t.meta.kind === "smoothed" && t.meta.run === "lr=0.1,seed=1");
        return t && t.x[t.x.length - 1] === 54; }""", timeout=20_000)
    later = [decode_header(a.body()) for a in answers[first:]]
    sent = [s for h in later for s in h["series"]]
    assert [s["run"] for s in sent] == [RUNS[1]]  # only the run that grew
    assert sent[0]["from"] is not None and sent[0]["n"] <= 6  # the new points, not the series
    x = next(x for m, x, _ in traces(page, "train/loss") if m["run"] == RUNS[1])
    assert x == list(range(55))  # spliced onto what the page held


def test_a_zoomed_chart_refetches_its_window_at_full_resolution(page, server):
    page.goto(server["url"] + "?tags=wave&off=" + "&off=".join(quote(r) for r in RUNS))
    settle(page)
    _, x, _ = traces(page, "wave", "raw")[0]
    assert len(x) < LONG / 4 and x[-1] == LONG - 1  # the whole range, in buckets
    with page.expect_request(lambda r: "scalars/chart" in r.url
                             and json.loads(r.post_data).get("min_step") == 1000) as req:
        page.evaluate("""() => Plotly.relayout(document.querySelector('.card[data-tag="wave"] .chart'),
            {"xaxis.range": [1000, 1100]})""")
    assert json.loads(req.value.post_data)["max_step"] == 1100
    page.wait_for_function("""() => { const gd = document.querySelector('.card[data-tag="wave"] .chart');
        return gd.data[0].x[0] === 999; }""")
    _, x, y = traces(page, "wave", "raw")[0]
    assert x == list(range(999, 1102))  # every step, one beyond each end
    assert y == pytest.approx([np.sin(s / 50) + (s % 97 == 0) for s in x], rel=1e-5, abs=1e-6)


def test_select_runs_and_a_compact_url_for_many_runs(page, server):
    page.goto(server["url"] + "?tags=train")
    settle(page)
    page.evaluate(f"() => flowboard.selectRuns({json.dumps(MANY[:25] + RUNS[:1])})")
    settle(page)
    assert [m["run"] for m, _, _ in traces(page, "train/loss")] == [RUNS[0]]
    page.wait_for_function("() => location.search.includes('onz=')")
    assert "on=" not in page.url and len(page.url) < 400  # one packed parameter, not 26
    page.reload()
    settle(page)
    assert sorted(page.evaluate("() => flowboard.selectedRuns()")) == sorted(MANY[:25] + RUNS[:1])
    page.evaluate("() => flowboard.selectRuns(null)")
    settle(page)
    assert len(traces(page, "train/loss")) == 4
    page.wait_for_function("() => !location.search.includes('on')")


def test_per_chart_log_scale_pin_enlarge_and_back(page, server):
    page.goto(server["url"] + "?tags=train")
    settle(page)
    card = page.locator('.card[data-tag="train/loss"]')
    y_type = """tag => document.querySelector(`.card[data-tag="${tag}"] .chart`)._fullLayout.yaxis.type"""
    card.locator('button[title="Scale and pin"]').click()
    card.locator('input[data-option="logy"]').check()
    page.wait_for_function(f"() => ({y_type})('train/loss') === 'log'")
    assert page.evaluate(y_type, "train/acc") == "linear"  # only that chart
    card.locator('button[title="Scale and pin"]').click()
    card.locator('input[data-option="pin"]').check()
    first = page.locator("#tab-scalars details.group").first
    expect(first.locator("summary .group-name")).to_have_text("Pinned")
    expect(first.locator(".card")).to_have_attribute("data-tag", "train/loss")
    page.locator('.card[data-tag="train/acc"] button[title^="Enlarge"]').click()
    expect(page.locator('.card[data-tag="train/acc"]')).to_have_class("card enlarged")
    assert "big=train%2Facc" in page.url
    page.go_back()  # enlarging was a view of its own
    expect(page.locator('.card[data-tag="train/acc"]')).to_have_class("card")
    page.reload()  # pin and scale are in the URL
    settle(page)
    expect(page.locator("#tab-scalars details.group").first.locator(".card")).to_have_attribute(
        "data-tag", "train/loss")
    assert page.evaluate(y_type, "train/loss") == "log"


def test_a_constant_series_shows_its_value_and_time_reads_in_its_unit(page, server):
    page.goto(server["url"] + "?tags=lr&x=relative")
    settle(page)
    layout = page.evaluate("""() => { const l = document.querySelector('.card[data-tag="lr"] .chart')._fullLayout;
        return [l.yaxis.range, l.xaxis.title.text]; }""")
    low, high = layout[0]
    assert 0 < low < 0.001 < high < 0.002  # around lr = 0.001, not -1..1
    assert layout[1] == "relative time (seconds)"


def test_download_of_every_selected_run_and_tag(page, server):
    page.goto(server["url"] + "?tags=loss&on=" + quote(RUNS[0]) + "&on=" + quote(RUNS[2]))
    settle(page)
    with page.expect_download() as info:
        page.click("#download-csv")
    with open(info.value.path()) as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Run", "Tag", "Wall time", "Step", "Value"]
    assert sorted({(r[0], r[1]) for r in rows[1:]}) == [(RUNS[0], "train/loss"), (RUNS[2], "train/loss")]
    got = {(r[0], int(r[3])): float(r[4]) for r in rows[1:]}
    assert len(got) == 100 and got[RUNS[2], 7] == pytest.approx(loss(RUNS[2], 7))


def test_many_lines_go_on_a_canvas_and_the_tooltip_still_lists_them(page, server):
    page.goto(server["url"] + "?tags=other&smooth=0")
    settle(page)
    chart = page.locator('.card[data-tag="other"] .chart-host')
    assert page.evaluate("""() => document.querySelector('.card[data-tag="other"] .chart').data.length""") == 0
    assert int(chart.get_attribute("data-drawn")) >= 1  # 45 lines drawn on the canvas
    x, y = page.evaluate("""() => { const gd = document.querySelector('.card[data-tag="other"] .chart');
        const l = gd._fullLayout, r = gd.getBoundingClientRect();
        return [r.left + l._size.l + l.xaxis.c2p(1), r.top + l._size.t + l.yaxis.c2p(1.2)]; }""")
    page.mouse.move(x - 2, y)
    page.mouse.move(x, y)
    tip = chart.locator(".tip")
    expect(tip).to_be_visible()
    rows = tip.locator("tbody tr")
    expect(rows).to_have_count(20)  # the rows around the hovered run, and how many more
    expect(tip.locator(".more").first).to_contain_text("more")
    hot = tip.locator("tr.hot")
    expect(hot).to_have_count(1)
    run = hot.get_attribute("data-run")
    assert float(hot.locator("td").nth(3).text_content()) == pytest.approx(1 + MANY.index(run) / 100, rel=1e-5)
    assert abs(1 + MANY.index(run) / 100 - 1.2) < 0.02  # the line nearest the mouse


def test_canvas_lines_are_drawn_where_their_points_are_in_their_colour(page, server):
    page.goto(server["url"] + "?tags=other&smooth=0")
    settle(page)
    # the last run's line ends at (2, 2 * 1.44): the canvas pixel there has its colour
    run = MANY[-1]
    got, want = page.evaluate("""(run) => {
        const gd = document.querySelector('.card[data-tag="other"] .chart');
        const canvas = document.querySelector('.card[data-tag="other"] canvas.lines');
        const l = gd._fullLayout, dpr = window.devicePixelRatio || 1;
        const x = Math.round(l.xaxis.c2p(2) * dpr), y = Math.round(l.yaxis.c2p(2 * 1.44) * dpr);
        const p = canvas.getContext("2d").getImageData(x, y, 1, 1).data;
        const probe = document.createElement("canvas").getContext("2d");
        probe.fillStyle = flowboard.runColor(run);
        return [[p[0], p[1], p[2], p[3]], probe.fillStyle]; }""", run)
    assert got[3] == 255 and "#" + bytes(got[:3]).hex() == want
    # unticking the run takes its line away: no pixel of its colour is left
    page.fill("#run-filter", "run_44")
    page.uncheck(f'input[data-run="{run}"]')
    page.fill("#run-filter", "")
    settle(page)
    assert page.evaluate("""(want) => {
        const canvas = document.querySelector('.card[data-tag="other"] canvas.lines');
        const p = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        const [r, g, b] = [1, 3, 5].map((i) => parseInt(want.slice(i, i + 2), 16));
        let n = 0;
        for (let i = 0; i < p.length; i += 4) if (p[i] === r && p[i + 1] === g && p[i + 2] === b && p[i + 3]) n++;
        return n; }""", want) == 0
