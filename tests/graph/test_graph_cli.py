"""`flowboard graph` as a user runs it: a subprocess writing real files."""
from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET


def flowboard(*args, env=None):
    return subprocess.run([sys.executable, "-m", "flowlog.dashboard", "graph", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def test_writes_svg_of_a_run(graph_logdir, tmp_path):
    out = tmp_path / "neuron.svg"
    proc = flowboard("--logdir", graph_logdir, "--run", "neuron", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stdout and str(out) in proc.stdout
    texts = {t.text for t in ET.parse(out).iter("{http://www.w3.org/2000/svg}text")}
    assert {"weight", "gradients", "output"} <= texts


def test_expand_and_other_formats(graph_logdir, tmp_path):
    for name, magic in (("g.png", b"\x89PNG"), ("g.pdf", b"%PDF"), ("g.dot", b"digraph")):
        proc = flowboard("--logdir", graph_logdir, "--run", "mlp", "--expand", "layer_0,Adam",
                         "-o", tmp_path / name)
        assert proc.returncode == 0, proc.stderr
        assert (tmp_path / name).read_bytes().startswith(magic)
    assert b"cluster_layer_0" in (tmp_path / "g.dot").read_bytes()
    proc = flowboard("--logdir", graph_logdir, "--run", "mlp", "--expand", "all",
                     "-o", tmp_path / "all.dot")
    assert b"layer_1/MatMul" in (tmp_path / "all.dot").read_bytes()


def test_bad_input_gets_clear_errors(graph_logdir, tmp_path):
    cases = [
        (["--run", "nope"], "no run 'nope'"),
        (["--run", "nograph"], "run 'nograph' has no graph"),
        (["--run", "broken"], "not a valid GraphDef"),
        (["--run", "mlp", "--expand", "decoder"], "no name scope 'decoder'"),
        ([], "pass --run; runs with a graph: broken, engine, mlp, neuron"),
    ]
    for extra, message in cases:
        proc = flowboard("--logdir", graph_logdir, *extra, "-o", tmp_path / "x.svg")
        assert proc.returncode == 1 and message in proc.stderr, (extra, proc.stderr)
        assert "Traceback" not in proc.stderr
    proc = flowboard("--logdir", graph_logdir, "--run", "mlp", "-o", tmp_path / "x.gif")
    assert proc.returncode == 1 and "expected a name ending in .svg" in proc.stderr
    assert not (tmp_path / "x.svg").exists()


def test_missing_dot_tells_how_to_install_graphviz(graph_logdir, tmp_path):
    # PATH without graphviz; the interpreter is named by its full path.
    env = dict(os.environ, PATH=str(tmp_path))
    proc = flowboard("--logdir", graph_logdir, "--run", "neuron", "-o", tmp_path / "g.svg",
                     env=env)
    assert proc.returncode == 1
    assert "graphviz" in proc.stderr and "apt-get install graphviz" in proc.stderr
    assert not (tmp_path / "g.svg").exists()


def test_default_export_of_a_keras_model_shows_the_model_in_a_readable_block(tmp_path):
    from graph_samples_keras import keras_graphdef

    from flowlog import FileWriter

    with FileWriter(tmp_path / "logs" / "keras") as w:
        w.add_graph(keras_graphdef((3, 4, 6, 3)))
    out = tmp_path / "model.png"
    proc = flowboard("--logdir", tmp_path / "logs", "-o", out)
    assert proc.returncode == 0, proc.stderr
    png = out.read_bytes()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert max(width, height) <= 4 * min(width, height), (width, height)
    dot = tmp_path / "model.dot"
    flowboard("--logdir", tmp_path / "logs", "-o", dot)
    assert b"<b>resnet</b>" in dot.read_bytes()  # the model's scope is open
