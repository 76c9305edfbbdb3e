"""The lean SVG: the same picture as dot's own (drawn by Chromium, pixel by pixel), far fewer bytes."""
from __future__ import annotations

import base64
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
from graph_samples import mlp_graphdef, sized_mlp_graphdef

from flowlog.codecs.png import decode_png
from flowlog.graph.dot import build_view
from flowlog.graph.model import GraphModel
from flowlog.graph.svg import lean_svg

SVG = "{http://www.w3.org/2000/svg}"


def raw_svg(view) -> bytes:
    return subprocess.run(["dot", "-Tsvg"], input=view.dot.encode(), capture_output=True,
                          check=True).stdout


def drawn(page, svg: bytes) -> np.ndarray:
    """`svg` as Chromium draws it in an <img>, as RGB pixels."""
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    page.set_content(f'<body style="margin:0;background:#fff"><img id="g" src="{src}"></body>')
    page.wait_for_function("document.getElementById('g').complete")
    return decode_png(page.locator("#g").screenshot())[..., :3].astype(int)


def test_lean_svg_draws_the_same_picture(browser):
    view = build_view(GraphModel(mlp_graphdef(2)), "layer_0,gradients,Adam", legend=True,
                      background="white")
    raw = raw_svg(view)
    lean = lean_svg(raw, len(view.units))
    page = browser.new_page(viewport={"width": 2400, "height": 2400})
    try:
        a, b = drawn(page, raw), drawn(page, lean)
    finally:
        page.close()
    assert a.shape == b.shape
    differing = (np.abs(a - b).max(axis=2) > 48).mean()
    assert differing < 0.003, differing  # coordinates to 0.1 pt move a few edge pixels


def test_lean_svg_keeps_ids_classes_and_colours_and_sheds_bytes():
    view = build_view(GraphModel(sized_mlp_graphdef(1000)), "all", legend=True,
                      background="white")
    raw = raw_svg(view)
    lean = lean_svg(raw, len(view.units))
    assert len(lean) < 0.55 * len(raw), (len(raw), len(lean))
    assert b"<!--" not in lean and b"<!DOCTYPE" not in lean

    def boxes(svg):
        root = ET.fromstring(svg)
        out = {}
        for g in root.iter(SVG + "g"):
            shape = g.find(SVG + "rect")
            if shape is None:
                shape = g.find(SVG + "path")
            if g.get("class", "").startswith("node") and shape is not None:
                out[g.get("id")] = (g.get("class").replace("&#45;", "-"), shape.get("fill"),
                                    shape.get("stroke"))
        return out

    assert boxes(lean) == boxes(raw)
    assert boxes(lean).keys() == {u for u, f in view.units.items() if f["kind"] != "stub"}
