"""The graph tab in a real Chromium against the real `flowboard` server."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from graph_samples import mlp_graphdef
from playwright.sync_api import expect

from flowlog import FileWriter

SVG_TEXT = "#tab-graphs svg.g-svg text"


@pytest.fixture
def page(browser, graph_server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto_graph = lambda query: page.goto(graph_server + "?tab=graphs&" + query)
    yield page
    context.close()
    assert not errors


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def node(page, name):
    """The SVG box whose tooltip is `name`."""
    return page.locator("#tab-graphs g.node", has=page.locator(f'title:text-is("{name}")'))


def test_graph_tab_shows_top_level_scopes(page):
    page.goto_graph("g_run=neuron")
    expect(page.locator(SVG_TEXT, has_text="gradients")).to_have_count(1)
    texts = page.locator(SVG_TEXT).all_text_contents()
    assert {"weight", "gradients", "GradientDescent", "output", "input"} <= set(texts)
    assert "loss_grad" not in texts  # collapsed by default
    expect(page.locator("#tab-graphs .g-legend")).to_contain_text("scope")


def test_clicking_a_scope_expands_and_its_label_collapses(page):
    page.goto_graph("g_run=neuron")
    node(page, "gradients/").click()
    cluster = page.locator("#tab-graphs g.cluster", has_text="gradients")
    expect(cluster).to_have_count(1)
    expect(page.locator(SVG_TEXT, has_text="loss_grad")).to_have_count(1)
    assert "g_expand=gradients" in page.url
    cluster.locator("text").first.click()
    expect(page.locator("#tab-graphs g.cluster")).to_have_count(0)


def test_clicking_a_node_opens_its_attributes_and_inputs_jump(page):
    page.goto_graph("g_run=neuron")
    node(page, "output").click()
    panel = page.locator("#tab-graphs .g-panel")
    expect(panel.locator(".g-name")).to_have_text("output")
    expect(panel).to_contain_text("Mul")
    expect(panel.locator(".g-attrs")).to_contain_text("float32")
    expect(panel).to_contain_text("900 µs")  # compute time from the run metadata
    panel.locator(".g-link", has_text="weight/read").click()
    expect(panel.locator(".g-name")).to_have_text("weight/read")
    expect(node(page, "weight/read")).to_have_class(re.compile("g-selected"))
    assert "g_sel=weight%2Fread" in page.url


def test_search_highlights_and_centres_a_node(page):
    page.goto_graph("g_run=mlp")
    page.fill("#tab-graphs .g-search", "ApplyAdam$")
    expect(page.locator("#tab-graphs .g-count")).to_contain_text("4 of 132")
    page.press("#tab-graphs .g-search", "Enter")
    target = node(page, "Adam/update_layer_0_W/ApplyAdam")
    expect(target).to_have_class(re.compile("g-selected"))
    canvas, found = box(page, "#tab-graphs .g-canvas"), target.bounding_box()
    cx, cy = canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2
    assert abs(found["x"] + found["width"] / 2 - cx) < 3
    assert abs(found["y"] + found["height"] / 2 - cy) < 3
    expect(page.locator("#tab-graphs .g-panel .g-name")).to_have_text(
        "Adam/update_layer_0_W/ApplyAdam")


def test_trace_inputs_highlights_ancestors(page):
    page.goto_graph("g_run=neuron&g_expand=all&g_sel=sub")
    expect(page.locator("#tab-graphs .g-panel .g-name")).to_have_text("sub")
    page.locator("#tab-graphs .g-actions button", has_text="Trace inputs").click()
    expect(page.locator("#tab-graphs svg.g-tracing")).to_have_count(1)
    traced = page.locator("#tab-graphs g.node.g-traced title").all_text_contents()
    assert sorted(traced) == ["correct_value", "input", "output", "sub", "weight", "weight/read"]


def test_wheel_zooms_and_drag_pans(page):
    page.goto_graph("g_run=neuron")
    svg = page.locator("#tab-graphs svg.g-svg")
    expect(svg).to_have_count(1)
    before = svg.get_attribute("viewBox")
    canvas = box(page, "#tab-graphs .g-canvas")
    page.mouse.move(canvas["x"] + 200, canvas["y"] + 200)
    page.mouse.wheel(0, -400)
    zoomed = svg.get_attribute("viewBox")
    assert float(zoomed.split()[2]) < float(before.split()[2])
    page.mouse.down()
    page.mouse.move(canvas["x"] + 300, canvas["y"] + 260, steps=5)
    page.mouse.up()
    moved = svg.get_attribute("viewBox").split()
    assert float(moved[0]) < float(zoomed.split()[0])
    page.click("#tab-graphs .g-fit")
    assert svg.get_attribute("viewBox") != " ".join(moved)


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "dot"])
def test_export_buttons_download_valid_files(page, fmt, tmp_path):
    page.goto_graph("g_run=neuron&g_expand=weight")
    expect(page.locator("#tab-graphs svg.g-svg")).to_have_count(1)
    with page.expect_download() as info:
        page.click(f'#tab-graphs .g-export button[data-format="{fmt}"]')
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name == f"neuron-graph.{fmt}"
    data = path.read_bytes()
    if fmt == "svg":
        texts = {t.text for t in ET.fromstring(data).iter("{http://www.w3.org/2000/svg}text")}
        assert {"read", "Assign", "gradients"} <= texts  # weight is open in the view
    else:
        magic = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-", "dot": b"digraph"}[fmt]
        assert data.startswith(magic)


def test_run_without_graph_shows_an_empty_state(page):
    page.goto_graph("g_run=nograph")
    message = page.locator("#tab-graphs .g-message")
    expect(message).to_contain_text("has no graph")
    expect(page.locator("#tab-graphs svg.g-svg")).to_have_count(0)


def test_malformed_graph_shows_an_error(page):
    page.goto_graph("g_run=broken")
    message = page.locator("#tab-graphs .g-message.g-error")
    expect(message).to_contain_text("not a valid GraphDef")


@pytest.fixture(scope="module")
def layers_server(tmp_path_factory, flowboard_server):
    """A server for one run, `deep`: an MLP of ten numbered layers."""
    root = tmp_path_factory.mktemp("layers")
    with FileWriter(root / "deep") as w:
        w.add_graph(mlp_graphdef(10))
    return flowboard_server(root)


def test_clicking_a_series_of_numbered_scopes_shows_each_scope(page, layers_server):
    page.goto(layers_server + "?tab=graphs&g_run=deep")
    series = node(page, "layer_[0-9]/")
    expect(series).to_contain_text("layer_[0-9] (10)")
    expect(page.locator(SVG_TEXT, has_text=re.compile(r"^layer_3$"))).to_have_count(0)
    series.click()
    expect(page.locator(SVG_TEXT, has_text=re.compile(r"^layer_3$"))).to_have_count(1)
    expect(node(page, "layer_[0-9]/")).to_have_count(0)
    assert "g_expand=layer_%5B0-9%5D" in page.url
    node(page, "layer_3/").click()  # members stay closed scopes that expand in turn
    expect(page.locator("#tab-graphs g.cluster", has_text="layer_3")).to_have_count(1)
