"""A Keras model's layer graph in a real Chromium, from event files the Keras callback wrote."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

KERAS_LOGS = Path(__file__).parent / "data" / "keras"
SVG_TEXT = "#tab-graphs svg.g-svg text"


@pytest.fixture(scope="module")
def keras_server(flowboard_server):
    return flowboard_server(KERAS_LOGS)


@pytest.fixture
def page(open_page, keras_server):
    page = open_page(1280, 800)
    page.goto_graph = lambda run: page.goto(f"{keras_server}?tab=graphs&g_run={run}")
    return page


def node(page, name):
    return page.locator("#tab-graphs g.node", has=page.locator(f'title:text-is("{name}")'))


def test_functional_model_shows_its_layers_by_name_and_opens_a_nested_model(page):
    page.goto_graph("keras3/functional")
    expect(page.locator(SVG_TEXT, has_text="merge")).to_have_count(1)
    labels = set(page.locator(SVG_TEXT).all_text_contents())
    assert {"pixels", "conv_a", "conv_b", "merge", "head", "branchy"} <= labels
    expect(page.locator("#tab-graphs .g-count")).to_have_text("7 layers")
    expect(page.locator("#tab-graphs .g-message")).to_be_hidden()
    # Every run is listed with its graph: none says "(no graph)".
    options = page.locator("#tab-graphs .g-run option").all_text_contents()
    assert len(options) == 4 and not any("no graph" in o for o in options)
    node(page, "branchy/head/").click()  # the nested Sequential opens into its layers
    expect(page.locator(SVG_TEXT, has_text="scores")).to_have_count(1)
    assert "flat" in page.locator(SVG_TEXT).all_text_contents()
    page.click("#tab-graphs .g-fit")  # the opened model reaches below the canvas
    node(page, "branchy/head/scores").click()
    panel = page.locator("#tab-graphs .g-panel")
    expect(panel.locator(".g-name")).to_have_text("branchy/head/scores")
    expect(panel).to_contain_text("Dense")
    expect(panel.locator(".g-attrs")).to_contain_text("softmax")


def test_sequential_model_shows_its_chain_of_layers(page):
    page.goto_graph("tf_keras/sequential")
    expect(page.locator(SVG_TEXT, has_text="logits")).to_have_count(1)
    assert {"input_1", "hidden", "drop", "logits"} <= set(
        page.locator(SVG_TEXT).all_text_contents())
    assert page.locator("#tab-graphs g.edge").count() == 3
