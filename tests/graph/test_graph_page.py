"""The graph tab on real models in a real Chromium: a Keras model's default view, series and
blocks, the place kept across a re-layout, the minimap, Cancel, and a coarser view on timeout."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from graph_samples import sized_mlp_graphdef
from graph_samples_keras import keras_graphdef
from playwright.sync_api import expect

from flowlog import FileWriter

SVG_TEXT = "#tab-graphs svg.g-svg text"


@pytest.fixture(scope="module")
def models_server(tmp_path_factory, flowboard_server):
    """Runs `keras` (a small ResNet in a TF1 graph) and `big` (an MLP of 6 000 ops)."""
    root = tmp_path_factory.mktemp("models")
    with FileWriter(root / "keras") as w:
        w.add_graph(keras_graphdef())
    with FileWriter(root / "big") as w:
        w.add_graph(sized_mlp_graphdef(6000))
    return flowboard_server(root)


@pytest.fixture
def page(open_page, models_server):
    page = open_page(1400, 900)
    page.goto_graph = lambda query: page.goto(models_server + "?tab=graphs&" + query)
    return page


def node(page, name):
    return page.locator("#tab-graphs g.node", has=page.locator(f'title:text-is("{name}")'))


def test_default_view_opens_the_model_and_draws_auxiliaries_quiet(page):
    page.goto_graph("g_run=keras")
    expect(page.locator("#tab-graphs g.cluster", has_text="resnet")).to_have_count(1)
    expect(node(page, "resnet/conv3_block[1-4]/")).to_contain_text("conv3_block[1-4] (4)")
    for aux in ("gradients/", "Adam/", "save/", "conv3_block[1-4]/"):
        expect(node(page, aux)).to_have_class("node scope quiet")
    assert "g_expand" not in page.url  # the default view is the server's to choose
    # The lean SVG's own <style> must not restyle the rest of the page.
    assert page.evaluate("document.querySelector('#tab-graphs svg style') === null")


def test_expanding_keeps_the_clicked_box_where_it_was(page):
    page.goto_graph("g_run=keras")
    series = node(page, "resnet/conv3_block[1-4]/")
    before = series.bounding_box()
    series.click()
    first = node(page, "resnet/conv3_block1/")
    expect(first).to_have_count(1)
    after = first.bounding_box()
    assert abs(after["x"] - before["x"]) < 4 and abs(after["y"] - before["y"]) < 4
    before = after
    first.click()  # a block opens into a cluster named by the block, at the same spot
    cluster = page.locator("#tab-graphs g.cluster", has=page.locator("text", has_text="conv3_block1"))
    expect(cluster).to_have_count(1)
    after = cluster.bounding_box()
    assert abs(after["x"] - before["x"]) < 4 and abs(after["y"] - before["y"]) < 4
    cluster.locator("text").first.click()  # its label collapses it again
    expect(node(page, "resnet/conv3_block1/")).to_have_count(1)
    expect(page.locator("#tab-graphs g.cluster", has_text="conv3_block1")).to_have_count(0)


def test_search_jumps_into_a_block_and_opens_what_holds_it(page):
    page.goto_graph("g_run=keras")
    search = page.locator("#tab-graphs .g-search")
    search.fill("conv3_block2_1_conv/Conv2D$")
    search.press("Enter")
    target = node(page, "resnet/conv3_block2_1_conv/Conv2D")
    expect(target).to_have_class("node op cat-matmul g-selected g-match")
    opened = parse_qs(urlparse(page.url).query)["g_expand"][0].split(",")
    assert {"resnet/conv3_block[1-4]", "resnet/conv3_block2",
            "resnet/conv3_block2_1_conv"} <= set(opened)
    expect(page.locator("#tab-graphs .g-panel .g-name")).to_have_text(
        "resnet/conv3_block2_1_conv/Conv2D")


def test_minimap_shows_when_zoomed_in_and_moves_the_view(page):
    page.goto_graph("g_run=big&g_expand=gradients")
    minimap = page.locator("#tab-graphs .g-minimap")
    expect(page.locator(SVG_TEXT).first).to_be_visible()
    expect(minimap).to_be_hidden()  # the whole picture fits
    page.locator("#tab-graphs .g-canvas").focus()
    for _ in range(12):
        page.keyboard.press("+")
    expect(minimap).to_be_visible()
    svg = page.locator("#tab-graphs svg.g-svg")
    before = svg.get_attribute("viewBox")
    mb = minimap.bounding_box()
    page.mouse.click(mb["x"] + mb["width"] * 0.1, mb["y"] + mb["height"] * 0.9)
    assert svg.get_attribute("viewBox") != before


def test_cancel_keeps_the_picture_while_a_big_layout_runs(page):
    page.goto_graph("g_run=big")
    expect(node(page, "gradients/")).to_have_count(1)
    page.locator("#tab-graphs .g-expand-all").click()
    busy = page.locator("#tab-graphs .g-busy")
    expect(busy).to_be_visible()
    expect(busy).to_contain_text("Laying out")
    busy.locator(".g-cancel").click()
    expect(busy).to_be_hidden()
    assert "g_expand=all" not in page.url
    expect(node(page, "gradients/")).to_have_count(1)  # still the picture we had
    page.wait_for_timeout(1500)  # a late answer must not replace it
    expect(node(page, "gradients/")).to_have_count(1)


def test_a_view_too_slow_to_lay_out_shows_a_coarser_one_with_a_notice(
        page, tmp_path, flowboard_server, monkeypatch):
    with FileWriter(tmp_path / "big") as w:
        w.add_graph(sized_mlp_graphdef(6000))
    monkeypatch.setenv("FLOWBOARD_LAYOUT_TIMEOUT", "0.5")
    url = flowboard_server(tmp_path)
    page.goto(url + "?tab=graphs&g_run=big&g_expand=all")
    expect(page.locator("#tab-graphs .g-notice")).to_contain_text("coarser")
    expect(node(page, "gradients/")).to_have_count(1)
    assert "g_expand=all" not in page.url  # the URL says what is shown
