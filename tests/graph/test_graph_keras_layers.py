"""A Keras model's config, as the real Keras callback writes it, drawn as its layer graph.

The event files under data/keras/ were written by Keras 2 (`tf_keras`) and Keras 3's own
`TensorBoard` callback (see data/make_keras_fixtures.py): a functional model with a branch, a
merge and a nested Sequential `head`, and a Sequential model.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flowlog.dashboard.app import create_app
from tensorboard.plugins.graph.keras_util import keras_model_to_graph_def

import flowlog as fl
from flowlog.graph.keras import PLUGIN, keras_graph_def
from flowlog.graph.model import GraphError, GraphModel

KERAS_LOGS = Path(__file__).parent / "data" / "keras"
FUNCTIONAL = {  # layer -> (class, inputs), the same for Keras 2 and 3 but the head's input name
    "branchy/pixels": ("InputLayer", []),
    "branchy/conv_a": ("Conv2D", ["branchy/pixels"]),
    "branchy/conv_b": ("Conv2D", ["branchy/pixels"]),
    "branchy/merge": ("Add", ["branchy/conv_a", "branchy/conv_b"]),
    "branchy/head/{input}": ("InputLayer", ["branchy/merge"]),
    "branchy/head/flat": ("Flatten", ["branchy/head/{input}"]),
    "branchy/head/scores": ("Dense", ["branchy/head/flat"]),
}
HEAD_INPUT = {"tf_keras": "flat_input", "keras3": "input_layer"}


def keras_config(run: str) -> bytes:
    """The JSON the callback wrote under the tag `keras` (plugin graph_keras_model)."""
    for event in fl.read_events(str(KERAS_LOGS / run)):
        for v in event.summary.value:
            if v.metadata.plugin_data.plugin_name == PLUGIN:
                assert v.tag == "keras"
                return v.tensor.string_val[0]
    raise AssertionError(f"no Keras config in {run}")


def layers(graph) -> dict[str, tuple[str, list[str]]]:
    return {n.name: (n.op, list(n.input)) for n in graph.node}


@pytest.mark.parametrize("keras", ["tf_keras", "keras3"])
def test_functional_model_has_a_node_per_layer_wired_by_its_inbound_nodes(keras):
    graph = keras_graph_def(keras_config(f"{keras}/functional"))
    head = HEAD_INPUT[keras]
    want = {name.format(input=head): (op, [i.format(input=head) for i in inputs])
            for name, (op, inputs) in FUNCTIONAL.items()}
    assert layers(graph) == want
    model = GraphModel(graph)
    # The nested Sequential is a scope of its own, closed in the default view.
    assert model.kind("branchy/head") == "scope" and model.default_open() == {"branchy"}
    # Shapes on the edges: the input layer's batch shape, the merge's output.
    assert model.output_shape("branchy/pixels", 0) == "(?, 8, 8, 1)"
    assert model.output_shape("branchy/merge", 0) == "(?, 8, 8, 4)"
    facts = model.node_info("branchy/conv_a")["attrs"]
    assert facts["filters"] == "4" and facts["kernel_size"] == "[3, 3]"
    assert facts["activation"] == "relu" and facts["dtype"] == "float32"


@pytest.mark.parametrize("keras", ["tf_keras", "keras3"])
def test_sequential_model_chains_its_layers(keras):
    graph = keras_graph_def(keras_config(f"{keras}/sequential"))
    first = {"tf_keras": "stack/input_1", "keras3": "stack/input_layer_1"}[keras]
    assert layers(graph) == {first: ("InputLayer", []), "stack/hidden": ("Dense", [first]),
                             "stack/drop": ("Dropout", ["stack/hidden"]),
                             "stack/logits": ("Dense", ["stack/drop"])}


@pytest.mark.parametrize("run", ["keras3/functional", "keras3/sequential",
                                 "tf_keras/sequential"])
def test_layers_and_edges_match_tensorboards_conceptual_graph(run):
    """TensorBoard's own conversion (it reads Keras 3's inbound nodes, and Keras 2's only
    for Sequential models) gives the same names, classes and edges."""
    config = json.loads(keras_config(run))
    theirs = {n.name: (n.attr["keras_class"].s.decode(), list(n.input))
              for n in keras_model_to_graph_def(config).node}
    assert layers(keras_graph_def(config)) == theirs


def test_shared_layers_and_multiple_outputs_keep_every_edge():
    """Keras 2's format: a layer called twice has two inbound nodes; a tensor index > 0 is
    the layer's second output."""
    def layer(name, cls, *calls):
        return {"class_name": cls, "config": {"name": name},
                "inbound_nodes": [[[src, 0, index, {}] for src, index in call] for call in calls]}
    config = {"class_name": "Functional", "config": {
        "name": "siamese", "input_layers": [["a", 0, 0], ["b", 0, 0]],
        "output_layers": [["distance", 0, 0]],
        "layers": [layer("a", "InputLayer"), layer("b", "InputLayer"),
                   layer("encoder", "Dense", [("a", 0)], [("b", 0)]),
                   layer("split", "Lambda", [("encoder", 0)]),
                   layer("distance", "Subtract", [("split", 0), ("split", 1)]),
                   layer("ghost", "Dense", [("not_a_layer", 0)])]}}
    got = layers(keras_graph_def(config))
    assert got["siamese/encoder"] == ("Dense", ["siamese/a", "siamese/b"])
    assert got["siamese/distance"] == ("Subtract", ["siamese/split", "siamese/split:1"])
    assert got["siamese/ghost"] == ("Dense", [])  # a reference to no layer draws no edge


def test_a_huge_tensor_index_costs_nothing():
    history = {"class_name": "__keras_tensor__",
               "config": {"shape": [None, 3], "keras_history": ["a", 0, 10**12]}}
    config = {"class_name": "Functional", "config": {"name": "m", "layers": [
        {"class_name": "InputLayer", "config": {"name": "a"}, "inbound_nodes": []},
        {"class_name": "Dense", "config": {"name": "b"},
         "inbound_nodes": [{"args": [history], "kwargs": {}}]}]}}
    started = time.monotonic()
    assert layers(keras_graph_def(config))["m/b"] == ("Dense", [f"m/a:{10**12}"])
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("config, message", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "must be an object with a 'config' object, got list"),
    (b'{"config": {"name": "m", "layers": [{"config": {}}]}}', "has no name"),
    (b'{"config": {"name": "m", "layers": [7]}}', "must be an object with a 'config'"),
    (("{\"config\": {\"name\": \"m\", \"layers\": [" * 40).encode()
     + b'{"config": {"name": "x"}}' + b"]}}" * 40, "nested more than 32 deep"),
])
def test_a_config_that_is_no_keras_model_is_a_clear_error(config, message):
    with pytest.raises(GraphError, match=message):
        keras_graph_def(config)


@pytest.fixture(scope="module")
def client():
    app = create_app(str(KERAS_LOGS))
    c = app.test_client()
    deadline = time.monotonic() + 30
    def loaded():  # every run listed and read
        runs = c.get("/data/plugin/graphs/info").get_json()["runs"]
        return len(runs) == 4 and all(r["graph"] for r in runs)

    while not loaded():
        assert time.monotonic() < deadline, "the Keras runs did not load"
        time.sleep(0.1)
    return c


def test_routes_serve_the_layer_graph_of_a_keras_run(client):
    runs = client.get("/data/plugin/graphs/info").get_json()["runs"]
    assert {r["run"]: r["kind"] for r in runs} == dict.fromkeys(
        ["keras3/functional", "keras3/sequential", "tf_keras/functional",
         "tf_keras/sequential"], "keras")
    view = client.get("/data/plugin/graphs/view?run=tf_keras/functional").get_json()
    assert view["kind"] == "keras" and view["op_count"] == 7
    shown = {u["name"] for u in view["units"].values()}
    assert shown == {"branchy/pixels", "branchy/conv_a", "branchy/conv_b", "branchy/merge",
                     "branchy/head"}
    assert ">conv_a<" in view["svg"] and ">merge<" in view["svg"]
    assert "FileWriter" not in json.dumps(view)
    node = client.get("/data/plugin/graphs/node?run=keras3/functional&name=branchy/head/scores")
    assert node.get_json()["op"] == "Dense"
    assert client.get("/data/plugins_listing").get_json()["graphs"] == {"enabled": True}


def test_no_graph_message_tells_each_kind_of_user_how_to_write_one(tmp_path):
    with fl.SummaryWriter(tmp_path / "plain") as w:
        w.add_scalar("epoch_loss", 1.0, 0)
    app = create_app(str(tmp_path))
    c = app.test_client()
    deadline = time.monotonic() + 30
    while not c.get("/data/runs").get_json():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    message = c.get("/data/plugin/graphs/view?run=plain").get_json()["message"]
    assert "TensorBoard(write_graph=True)" in message and "add_graph" in message


def test_flowboard_graph_exports_a_keras_runs_layer_graph(tmp_path):
    out = tmp_path / "layers.dot"
    proc = subprocess.run([sys.executable, "-m", "flowlog.dashboard", "graph", "--logdir",
                           str(KERAS_LOGS), "--run", "keras3/sequential", "-o", str(out)],
                          check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    dot = out.read_text()
    assert all(f'"stack/{layer}"' in dot for layer in ("hidden", "drop", "logits"))
