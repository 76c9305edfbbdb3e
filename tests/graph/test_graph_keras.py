"""The default view of a Keras model in a TF1 graph: the model's scope open, auxiliaries apart,
repeated blocks as series, a readable shape in every format (laid out by the real `dot`)."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
from graph_samples import GraphDefBuilder
from graph_samples_keras import keras_graphdef

from flowlog.graph.dot import build_view
from flowlog.graph.model import GraphModel
from flowlog.graph.series import blocks_of
from flowlog.graph.view import render

SVG = "{http://www.w3.org/2000/svg}"
AUX = {"gradients", "Adam", "save", "init", "beta1_power", "beta2_power", "conv1_conv",
       "conv2_block[1-3]", "conv3_block[1-4]", "predictions"}


@pytest.fixture(scope="module")
def model():
    return GraphModel(keras_graphdef())


def svg_size(svg: bytes) -> tuple[float, float]:
    w, h = ET.fromstring(svg).get("viewBox").split()[2:]
    return float(w), float(h)


def png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def pdf_size(pdf: bytes) -> tuple[float, float]:
    box = re.search(rb"/MediaBox \[\s*[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)", pdf)
    return float(box[1]), float(box[2])


def aspect(size) -> float:
    return max(size) / min(size)


def test_default_view_opens_the_model_scope_with_its_blocks_as_series(model):
    view = build_view(model)
    assert view.opened == ["resnet"]
    assert list(view.clusters.values()) == ["resnet"]
    inside = {u["name"] for u in view.units.values() if u.get("top") == "resnet"}
    assert {"resnet/conv1_conv", "resnet/conv2_block[1-3]", "resnet/conv3_block[1-4]",
            "resnet/avg_pool", "resnet/predictions"} == inside
    series = next(u for u in view.units.values() if u["name"] == "resnet/conv3_block[1-4]")
    assert series["members"] == [f"resnet/conv3_block{i}" for i in range(1, 5)]
    assert "<b>conv3_block[1-4] (4)</b>" in view.dot


def test_auxiliary_scopes_are_drawn_apart_without_edges_into_the_model(model):
    view = build_view(model)
    tops = {u["name"] for u in view.units.values() if u.get("aux")}
    assert tops == AUX
    assert all(view.units[u]["quiet"] for u in view.units if view.units[u].get("aux"))
    for src, dst in view.edges.values():
        a, b = view.units[src], view.units[dst]
        assert not ((a.get("aux") or b.get("aux")) and a["top"] != b["top"]), (a, b)
    # In the laid-out picture no auxiliary box sits inside the model's cluster.
    root = ET.fromstring(render(model, "svg"))
    rects = {g.get("id"): g.find(SVG + "rect") for g in root.iter(SVG + "g")
             if g.find(SVG + "rect") is not None}
    cid = next(c for c, s in view.clusters.items() if s == "resnet")
    c = rects[cid]
    cx0, cy0 = float(c.get("x")), float(c.get("y"))
    cx1, cy1 = cx0 + float(c.get("width")), cy0 + float(c.get("height"))
    for uid, facts in view.units.items():
        if facts.get("aux") and uid in rects:
            x, y = float(rects[uid].get("x")), float(rects[uid].get("y"))
            assert not (cx0 <= x <= cx1 and cy0 <= y <= cy1), facts["name"]


@pytest.mark.parametrize("stages", [(3, 4), (3, 4, 6, 3), (12, 24, 36, 12)])
def test_default_picture_keeps_within_four_to_one_in_every_format(stages):
    graph = keras_graphdef(stages)
    svg, png, pdf = (render(graph, fmt) for fmt in ("svg", "png", "pdf"))
    for size in (svg_size(svg), png_size(png), pdf_size(pdf)):
        assert aspect(size) <= 4, size


def test_a_hundred_unconnected_scopes_pack_into_a_block_not_a_row():
    b = GraphDefBuilder()
    for i in range(115):
        b.op(f"layer{i}_kernel_scope_{'abc'[i % 3]}/v", "VarHandleOp")
    size = svg_size(render(b.graph, "svg"))
    assert aspect(size) <= 4, size


def test_expanding_a_series_then_a_block_keeps_its_layers(model):
    view = build_view(model, ["resnet/conv2_block[1-3]"])
    blocks = sorted(u["name"] for u in view.units.values() if u["kind"] == "scope"
                    and u.get("top") == "resnet")
    assert "resnet/conv2_block1" in blocks and "resnet/conv2_block[1-3]" not in blocks
    block = next(u for u in view.units.values() if u["name"] == "resnet/conv2_block2")
    assert block["covers"] == ["resnet/conv2_block2_1_conv", "resnet/conv2_block2_2_conv",
                               "resnet/conv2_block2_add"]
    opened = build_view(model, ["resnet/conv2_block2"])
    assert opened.opened == ["resnet", "resnet/conv2_block2", "resnet/conv2_block[1-3]"]
    assert "resnet/conv2_block2_1_conv" in {u["name"] for u in opened.units.values()}
    assert "<b>conv2_block2</b>" in opened.dot  # the block's cluster, named by the block


def test_revealing_an_op_opens_the_series_and_block_that_hold_it(model):
    chain = model.reveal("resnet/conv3_block2_1_conv/Conv2D")
    assert chain == ["resnet", "resnet/conv3_block[1-4]", "resnet/conv3_block2",
                     "resnet/conv3_block2_1_conv", "resnet/conv3_block2_1_conv/Conv2D"]
    view = build_view(model, chain)
    assert "resnet/conv3_block2_1_conv/Conv2D" in {u["name"] for u in view.units.values()}


def test_blocks_group_names_differing_in_the_middle():
    names = [f"conv{s}_block{b}_{k}_{t}" for s in (2, 3) for b in (1, 2, 3) for k in (1, 2, 3)
             for t in ("conv", "bn")] + ["conv2_block1_0_conv", "conv1_conv", "pool1"]
    found = {f.label: f.members for f in blocks_of(names)}
    assert set(found) == {"conv2_block[1-3]", "conv3_block[1-3]"}
    assert len(found["conv2_block[1-3]"][1]) == 7 and len(found["conv2_block[1-3]"][2]) == 6
    # Stages are not alike enough to be a series of their own; lone numbers form none.
    assert not blocks_of(["conv1_conv", "conv2_a_b", "conv3_c", "conv4_d"])
    # A series of single names differing in the middle groups them without a block level.
    single = blocks_of([f"dense_{i}_kernel" for i in range(4)])
    assert single[0].single and single[0].label == "dense_[0-3]"


def test_a_long_chain_of_distinct_layers_folds_into_columns_in_reading_order():
    b = GraphDefBuilder()
    b.op("x", "Placeholder")
    prev = "x"
    names = [f"model/{a}{c}_layer" for c in "ab" for a in "abcdefghijklmnopqrstuvwxyz"][:60]
    for name in names:
        b.op(f"{name}/op", "Relu", [prev])
        prev = f"{name}/op"
    svg = render(b.graph, "svg")
    assert aspect(svg_size(svg)) <= 4, svg_size(svg)
    root = ET.fromstring(svg)
    x_of = {}
    for g in root.iter(SVG + "g"):
        title, rect = g.find(SVG + "title"), g.find(SVG + "rect")
        if title is not None and rect is not None:
            x_of[title.text.rstrip("/")] = float(rect.get("x"))
    xs = [x_of[n] for n in names]
    assert max(xs) - min(xs) > 100  # more than one column
    # Reading order: each layer is in the column of the one before (boxes differ in width by
    # a few points) or in a column further right.
    assert all(b_ > a - 30 for a, b_ in pairwise(xs)), xs
