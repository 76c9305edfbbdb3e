"""Exported graph files are valid: SVG (standalone, names as text), PNG, PDF, DOT."""
from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
from graph_samples import mlp_graphdef, neuron_graphdef

import flowlog as fl
from flowlog.graph.model import GraphError
from flowlog.graph.view import GraphvizNotFound, render, timings_from_run_metadata

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(data: bytes) -> list[str]:
    root = ET.fromstring(data)
    return [t.text for t in root.iter(SVG + "text")]


def test_svg_stands_alone_and_keeps_names_as_text(tmp_path):
    path = fl.export_graph(neuron_graphdef(), tmp_path / "neuron.svg")
    data = path.read_bytes()
    texts = svg_texts(data)
    assert {"input", "output", "correct_value", "weight", "gradients", "GradientDescent"} <= set(
        texts)
    assert b"<!DOCTYPE" not in data and b"xlink:href" not in data
    assert b"http://www.w3.org/Graphics" not in data  # nothing fetched from outside
    assert b"<image" not in data


def test_expanded_svg_names_every_op(tmp_path):
    graph = neuron_graphdef()
    data = fl.export_graph(graph, tmp_path / "all.svg", expand="all").read_bytes()
    titles = [t.text for t in ET.fromstring(data).iter(SVG + "title")]
    assert {n.name for n in graph.node} <= set(titles)


def test_png_pdf_and_dot_files(tmp_path):
    graph = mlp_graphdef(2)
    png = fl.export_graph(graph, tmp_path / "g.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pdf = fl.export_graph(graph, tmp_path / "g.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]
    dot = fl.export_graph(graph, tmp_path / "g.dot", expand=["layer_0"]).read_bytes()
    canon = subprocess.run(["dot", "-Tcanon"], input=dot, capture_output=True, check=False)
    assert canon.returncode == 0 and b"cluster_layer_0" in canon.stdout


def test_png_is_twice_the_svg_size():
    graph = neuron_graphdef()
    svg = ET.fromstring(render(graph, "svg"))
    width_pt = float(svg.get("width").removesuffix("pt"))
    png = render(graph, "png")
    width_px = int.from_bytes(png[16:20], "big")
    # 1 pt = 96/72 CSS px on screen; the PNG has twice as many pixels.
    assert abs(width_px - width_pt * 96 / 72 * 2) < 4


def test_export_of_an_engine_graph(tmp_path):
    import graph_logs

    g = graph_logs.engine_graph()
    data = fl.export_graph(g, tmp_path / "engine.svg").read_bytes()
    assert {"input", "output", "weight", "gradients", "GradientDescent"} <= set(svg_texts(data))
    data = fl.export_graph(g, tmp_path / "engine.svg", expand="gradients").read_bytes()
    assert "loss_grad" in svg_texts(data)


@pytest.mark.parametrize("suffix", ["svg", "png", "pdf"])
def test_an_empty_graph_exports_an_empty_picture(tmp_path, suffix):
    path = fl.export_graph(fl.Graph(), tmp_path / f"empty.{suffix}")
    data = path.read_bytes()
    assert data[:4] in (b"<?xm", b"\x89PNG", b"%PDF")
    if suffix == "svg":
        assert svg_texts(data) == []


def test_unknown_suffix_and_unknown_input_are_refused(tmp_path):
    with pytest.raises(ValueError, match="expected a name ending in .svg"):
        fl.export_graph(neuron_graphdef(), tmp_path / "g.jpeg")
    with pytest.raises(TypeError, match="expected a Graph, a GraphDef"):
        fl.export_graph(42, tmp_path / "g.svg")
    with pytest.raises(GraphError, match="not a valid GraphDef"):
        fl.export_graph(b"\x0a\xff\xff\x03garbage", tmp_path / "g.svg")
    assert not list(tmp_path.iterdir())


def test_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
        fl.export_graph(neuron_graphdef(), tmp_path / "g.svg")
    # DOT text needs no layout.
    assert fl.export_graph(neuron_graphdef(), tmp_path / "g.dot").stat().st_size > 0
    assert os.environ["PATH"] == str(tmp_path)


def test_timings_colour_the_picture():
    import graph_logs

    times = timings_from_run_metadata(graph_logs.neuron_run_metadata().SerializeToString())
    assert times["output"] == 900 and times["input"] == 6
    svg = render(neuron_graphdef(), "svg", timings=times, color="time")
    assert b'fill="#b30000"' in svg  # the slowest op is the darkest
