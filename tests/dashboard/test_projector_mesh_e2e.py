"""The projector and mesh views in a real Chromium, over a logdir torch.utils.tensorboard wrote."""
from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect
from projector_mesh_logs import CLASSES, write_run

POINTS = 300
CLOUD = 500
MARKUP = "<img src=x onerror=window.pwned=1>"


@pytest.fixture(scope="module")
def url(tmp_path_factory, flowboard_server):
    from torch.utils.tensorboard import SummaryWriter

    logdir = tmp_path_factory.mktemp("projector_mesh")
    write_run(SummaryWriter, str(logdir / "torch"), points=POINTS, cloud=CLOUD)
    with SummaryWriter(str(logdir / "z_markup")) as w:
        w.add_embedding(np.eye(3), metadata=[MARKUP, "<b>bold</b>", "plain"], tag="markup")
    return flowboard_server(logdir)


def _plotted(page, selector: str) -> dict:
    """{trace kind: [number of points, ...]} of the plot at `selector`."""
    return page.evaluate("""(sel) => {
        const out = {};
        document.querySelector(sel).data.forEach((t) => (out[t.type] = out[t.type] || []).push(t.x.length));
        return out; }""", selector)


def test_projector_shows_every_point_coloured_by_its_label(url, checked_page):
    page = checked_page
    page.goto(url + "?tab=projector")
    points = page.locator("#tab-projector .projector-plot .scatterlayer path.point")
    expect(points).to_have_count(POINTS)
    fills = points.evaluate_all("(ps) => ps.map((p) => p.style.fill)")
    assert len(set(fills)) == CLASSES
    expect(page.locator("#tab-projector .legendtext")).to_have_text(
        [f"class {k}" for k in range(CLASSES)])
    expect(page.locator("#tab-projector .projector-status")).to_have_text(f"{POINTS} points")

    box = points.nth(POINTS // 2).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = page.locator("#tab-projector .projector-hover")
    expect(hover.locator(".projector-side-title")).to_have_text(re.compile(r"Point \d+"))
    expect(hover.locator("dd")).to_have_text(re.compile(r"class \d"))
    expect(hover.locator(".projector-thumb")).to_be_visible()  # the point's sprite image

    page.fill("#tab-projector .projector-search", "class 3$")
    expect(page.locator("#tab-projector .projector-status")).to_have_text(
        f"{POINTS} points · {POINTS // CLASSES} match")
    matches = page.locator("#tab-projector .scatterlayer .trace").last.locator("path.point")
    expect(matches).to_have_count(POINTS // CLASSES)

    page.click("#tab-projector [data-dims='3']")
    page.wait_for_function("""() => {
        const gd = document.querySelector('#tab-projector .projector-plot');
        return gd && gd.data && gd.data[0].type === 'scatter3d'; }""")
    assert sum(_plotted(page, "#tab-projector .projector-plot")["scatter3d"]) == POINTS
    expect(page.locator("#tab-projector .projector-bar")).to_have_count(3)


def test_mesh_renders_with_its_vertex_count_and_moves_with_the_step_slider(url, checked_page):
    page = checked_page
    page.goto(url + "?tab=mesh")
    card = page.locator('#tab-mesh .card[data-tag="octahedron"]')
    expect(card.locator(".mesh-info")).to_have_text("6 vertices · 8 faces")
    expect(card.locator(".slider-row output")).to_have_text("step 1")
    expect(card.locator(".mesh-plot canvas").first).to_be_attached()
    plot = '#tab-mesh .card[data-tag="octahedron"] .mesh-plot'
    assert _plotted(page, plot) == {"mesh3d": [6]}
    assert page.evaluate(f"() => Math.max(...document.querySelector('{plot}').data[0].x)") == 2

    card.locator("input[type=range]").fill("0")
    expect(card.locator(".slider-row output")).to_have_text("step 0")
    page.wait_for_function(f"() => Math.max(...document.querySelector('{plot}').data[0].x) === 1")

    cloud = page.locator('#tab-mesh .card[data-tag="helix"]')
    expect(cloud.locator(".mesh-info")).to_have_text(f"{CLOUD} vertices · point cloud")
    assert _plotted(page, '#tab-mesh .card[data-tag="helix"] .mesh-plot') == {"scatter3d": [CLOUD]}


def test_metadata_with_markup_shows_as_text(url, checked_page):
    page = checked_page
    page.goto(url + "?tab=projector")
    expect(page.locator("#tab-projector .projector-plot .scatterlayer path.point")).to_have_count(POINTS)
    page.select_option("#tab-projector .projector-embedding", label="z_markup · markup (step 0, 3×3)")
    expect(page.locator("#tab-projector .legendtext")).to_have_text(
        ["<b>bold</b>", MARKUP, "plain"])  # literally, in the natural order of the labels
    point = page.locator("#tab-projector .scatterlayer .trace").nth(1).locator("path.point")
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#tab-projector .projector-hover dd")).to_have_text(MARKUP)
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("#tab-projector img").count() == 0
