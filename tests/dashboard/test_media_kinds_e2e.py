"""Audio, distributions, histogram modes and video in headless Chromium, over a real flowboard."""
from __future__ import annotations

import pytest
from media_logs import SECONDS, moving_square, tf2_audio, write_run
from playwright.sync_api import expect

from flowlog.codecs.gif import decode_gif

# Resolves with the element's duration once the browser has read the clip's header.
DURATION = """a => a.readyState >= 1 ? a.duration : new Promise((done, fail) => {
    a.addEventListener("loadedmetadata", () => done(a.duration), { once: true });
    a.addEventListener("error", () => fail(new Error("cannot load " + a.src)), { once: true });
})"""


@pytest.fixture(scope="module")
def url(tmp_path_factory, flowboard_server):
    logdir = tmp_path_factory.mktemp("media_kinds")
    write_run(logdir, "torch", histogram_steps=4)
    write_run(logdir, "flowlog", histogram_steps=1)
    tf2_audio(logdir)
    return flowboard_server(logdir)


def card(page, tag, run):
    return page.locator(f'.card[data-tag="{tag}"][data-run="{run}"]')


def test_audio_players_last_as_long_as_their_clips_and_follow_the_slider(checked_page, url):
    page = checked_page
    page.goto(url + "?tab=audio")
    torch_card = card(page, "voice/tone", "torch")
    player = torch_card.locator("audio")
    expect(torch_card.locator("output")).to_have_text(f"step {len(SECONDS) - 1}")
    assert player.evaluate(DURATION) == pytest.approx(SECONDS[-1], abs=1e-3)
    torch_card.locator("input[type=range]").fill("0")
    expect(torch_card.locator("output")).to_have_text("step 0")
    assert player.evaluate(DURATION) == pytest.approx(SECONDS[0], abs=1e-3)
    # TF2's audio tensor: three clips of a step, each with its markdown label
    tf2 = card(page, "speech", "tf2")
    expect(tf2.locator("audio")).to_have_count(3)
    expect(tf2.locator("figcaption strong")).to_have_text(["clip 0", "clip 1", "clip 2"])
    durations = [a.evaluate(DURATION) for a in tf2.locator("audio").all()]
    assert durations == pytest.approx([0.25, 0.5, 0.75], abs=1e-3)


def test_distribution_bands_plot_the_servers_percentiles(checked_page, url):
    page = checked_page
    page.goto(url + "?tab=distributions")
    chart = card(page, "relu/hidden", "torch").locator(".chart")
    expect(chart.locator(".main-svg").first).to_be_visible()
    plotted, served = chart.evaluate("""async gd => {
        const r = await fetch("data/plugin/distributions/distributions?run=torch&tag=relu%2Fhidden");
        return [gd.data.map(t => ({ bp: t.meta.bp, x: Array.from(t.x), y: Array.from(t.y),
                                    fill: t.fill || null })), await r.json()];
    }""")
    steps = [s for _, s, _ in served]
    assert steps == [0, 1, 2, 3]
    by_bp = {bp: [values[k][1] for _, _, values in served]
             for k, bp in enumerate(bp for bp, _ in served[0][2])}
    assert len(plotted) == 9  # four bands (an edge and a filled edge each) and the median
    for trace in plotted:
        assert trace["x"] == steps
        assert trace["y"] == pytest.approx(by_bp[trace["bp"]], rel=1e-12, abs=1e-15)
    assert [t["bp"] for t in plotted if t["fill"] == "tonexty"] == [10000, 9332, 8413, 6915]


def test_overlay_mode_keeps_relu_histograms_readable(checked_page, url):
    page = checked_page
    page.goto(url + "?tab=histograms")
    chart = card(page, "relu/hidden", "torch").locator(".chart")
    expect(chart).to_have_attribute("data-mode", "offset")
    page.get_by_role("button", name="Overlay").click()
    chart = card(page, "relu/hidden", "torch").locator(".chart")
    expect(chart).to_have_attribute("data-mode", "overlay")
    assert "hmode=overlay" in page.url
    expect(chart.locator(".main-svg").first).to_be_visible()
    lines, top, peak, clipped = chart.evaluate("""gd => {
        const lines = gd.data.filter(t => t.name.startsWith("step "));
        const spikes = gd.data.find(t => t.name === "clipped");
        return [lines.length, gd.layout.yaxis.range[1], Math.max(...lines.flatMap(t => t.y)),
                spikes ? spikes.customdata.map(d => d[1]) : []];
    }""")
    assert lines == 4  # a line per step
    # About half of ReLU's outputs are 0: that bin is clipped (and marked), the rest fill the height.
    assert top < peak / 4 and clipped and min(clipped) > top
    page.reload()  # the mode is kept in the URL
    expect(card(page, "relu/hidden", "torch").locator(".chart")).to_have_attribute("data-mode", "overlay")


def test_video_shows_as_an_animated_gif(checked_page, url):
    page = checked_page
    page.goto(url + "?tab=images")
    img = card(page, "clips/moving", "flowlog").locator("img")
    expect(img).to_have_count(1)
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    size, content_type, data = img.evaluate("""async img => {
        const r = await fetch(img.src);
        return [[img.naturalWidth, img.naturalHeight], r.headers.get("content-type"),
                Array.from(new Uint8Array(await r.arrayBuffer()))];
    }""")
    frames = moving_square()
    assert size == [frames.shape[4], frames.shape[3]]
    assert content_type == "image/gif"
    gif = decode_gif(bytes(data))
    assert gif.shape == (frames.shape[1], frames.shape[3], frames.shape[4], 3)
    assert (gif[0] != gif[-1]).any()  # the square moves: frames differ
