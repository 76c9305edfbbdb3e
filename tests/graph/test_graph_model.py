"""Name-scope hierarchy, collapse/expand and DOT text on TF-shaped GraphDefs."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from graph_samples import GraphDefBuilder, mlp_graphdef, neuron_graphdef

from flowlog.graph.dot import build_view, category
from flowlog.graph.model import GraphError, GraphModel, format_attr, parse_graph_def, parse_input


def names_of(view, kind):
    return sorted(u["name"] for u in view.units.values() if u["kind"] == kind)


def test_parse_input_reads_control_and_output_index():
    assert parse_input("^init") == ("init", -1, True)
    assert parse_input("split:2") == ("split", 2, False)
    assert parse_input("layer_0/MatMul") == ("layer_0/MatMul", 0, False)


def test_an_op_named_like_a_scope_lives_inside_it():
    model = GraphModel(neuron_graphdef())
    assert model.chain["weight"] == ("weight",)
    assert model.chain["weight/read"] == ("weight",)
    assert model.chain["loss"] == ("loss",)  # Pow named `loss` beside Const `loss/y`
    assert model.chain["gradients/sub_grad/tuple/group_deps"] == (
        "gradients", "gradients/sub_grad", "gradients/sub_grad/tuple")
    assert model.scopes["weight"] == 4 and model.scopes["gradients"] == 17


def test_collapsed_view_shows_top_level_scopes_with_op_counts():
    view = build_view(GraphModel(neuron_graphdef()))
    assert names_of(view, "scope") == ["GradientDescent", "MergeSummary", "ScalarSummary_[0-4]",
                                       "gradients", "loss", "weight"]
    assert names_of(view, "op") == ["correct_value", "init", "input", "output", "sub"]
    assert '"gradients/" [' in view.dot and "17 ops" in view.dot
    assert "subgraph" not in view.dot


def test_edges_between_collapsed_scopes_are_aggregated():
    view = build_view(GraphModel(neuron_graphdef()))
    ident = {uid: u["name"] for uid, u in view.units.items()}
    pairs = [(ident[a], ident[b]) for a, b in view.edges.values()]
    assert len(pairs) == len(set(pairs))  # one edge per direction and kind
    assert ("loss", "gradients") in pairs and ("gradients", "GradientDescent") in pairs
    assert '"loss/" -> "gradients/" [id=e' in view.dot and "×2" in view.dot


def test_control_inputs_are_dashed():
    view = build_view(GraphModel(neuron_graphdef()))
    line = next(ln for ln in view.dot.splitlines() if '"weight/" -> "init"' in ln)
    assert "style=dashed" in line


def test_expanding_a_scope_makes_a_cluster_and_opens_its_parents():
    model = GraphModel(neuron_graphdef())
    view = build_view(model, ["gradients/sub_grad"])
    assert view.opened == ["gradients", "gradients/sub_grad"]
    assert sorted(view.clusters.values()) == ["gradients", "gradients/sub_grad"]
    assert "gradients/sub_grad/Neg" in names_of(view, "op")
    assert "gradients/sub_grad/tuple" in names_of(view, "scope")
    assert "gradients/loss_grad" in names_of(view, "scope")
    assert 'subgraph "cluster_gradients"' in view.dot


def test_expand_all_shows_every_op():
    graph = neuron_graphdef()
    view = build_view(GraphModel(graph), "all")
    assert names_of(view, "op") == sorted(n.name for n in graph.node)
    assert not names_of(view, "scope")


def test_unknown_scope_is_an_error_naming_it():
    with pytest.raises(GraphError, match="no name scope 'decoder'"):
        build_view(GraphModel(neuron_graphdef()), "decoder")


def test_edge_labels_carry_output_shapes():
    view = build_view(GraphModel(mlp_graphdef(2)), "all")
    assert 'label=" (?, 784)"' in view.dot  # x -> layer_0/MatMul
    assert 'label=" (784, 64)"' in view.dot  # layer_0/W/read -> MatMul


def test_adam_slots_stay_with_their_variable_and_training_is_quiet():
    model = GraphModel(mlp_graphdef(2))
    assert model.chain["layer_0/W/Adam_1"] == ("layer_0", "layer_0/W", "layer_0/W/Adam_1")
    view = build_view(model, "layer_0,layer_0/W")
    units = {u["name"]: u for u in view.units.values() if u["kind"] != "stub"}
    assert units["layer_0/W/Adam"]["quiet"] and units["gradients"]["quiet"]
    assert units["Adam"]["quiet"] and not units["layer_0/W"]["quiet"]
    assert not units["layer_1"]["quiet"]


def test_hub_edges_become_stubs_naming_the_other_end():
    view = build_view(GraphModel(mlp_graphdef(25)), "layer_[0-24]")
    stubs = [u["name"] for u in view.units.values() if u["kind"] == "stub"]
    assert "→ init" in stubs and "→ Adam" in stubs
    ident = {uid: u["name"] for uid, u in view.units.items()}
    assert ("layer_3", "init") not in [(ident[a], ident[b]) for a, b in view.edges.values()]


def test_ops_are_coloured_by_category_with_a_legend():
    assert category("MatMul") == "matmul" and category("ApplyAdam") == "training"
    assert category("VariableV2") == "variable" and category("SomethingNew") == "math"
    view = build_view(GraphModel(mlp_graphdef(1)), "all", legend=True)
    cats = [c["category"] for c in view.legend]
    assert {"input", "variable", "matmul", "training", "random"} <= set(cats)
    assert 'class="op cat-matmul"' in view.dot
    assert "<table" in view.dot  # the exported legend


def test_names_with_quotes_and_markup_are_escaped():
    b = GraphDefBuilder()
    b.const('we"ird<b>/c', [1.0])
    b.op("out&more", "Identity", ['we"ird<b>/c'])
    view = build_view(GraphModel(b.graph), "all")
    assert '"we\\"ird<b>/c"' in view.dot and "we&quot;ird&lt;b&gt;" in view.dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs graphviz dot")
@pytest.mark.parametrize("expand", [None, "all", "layer_0,gradients"])
def test_dot_accepts_the_text(expand):
    view = build_view(GraphModel(mlp_graphdef(2)), expand, legend=True)
    proc = subprocess.run(["dot", "-Tcanon"], input=view.dot.encode(),
                          capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert b"digraph" in proc.stdout


def test_node_info_formats_attributes_small_constants_and_shapes():
    model = GraphModel(mlp_graphdef(1))
    info = model.node_info("layer_0/random_normal/shape")
    assert info["attrs"]["value"] == "[784, 10] (int32 (2,))"
    assert info["attrs"]["dtype"] == "int32"
    big = model.node_info("layer_0/W/Adam/Initializer/zeros")["attrs"]["value"]
    assert big == "float32 (784, 10)"
    mm = model.node_info("layer_0/MatMul")
    assert mm["inputs"] == [
        {"name": "x", "output": 0, "control": False, "shape": "(?, 784)"},
        {"name": "layer_0/W/read", "output": 0, "control": False, "shape": "(784, 10)"}]
    assert {"name": "layer_0/add", "output": 0, "control": False, "shape": "(?, 10)"} in mm[
        "outputs"]
    init = model.node_info("init")
    assert all(i["control"] for i in init["inputs"]) and init["inputs"]


def test_format_attr_lists_and_strings():
    node = neuron_graphdef().node[0]
    assert format_attr(node.attr["_output_shapes"]) == "[()]"
    assert format_attr(node.attr["value"]) == "1.0 (float32 ())"


def test_ancestors_follow_data_and_control_inputs():
    model = GraphModel(neuron_graphdef())
    assert model.ancestors("output") == ["input", "weight", "weight/read"]
    assert "weight/Assign" in model.ancestors("init")


def test_malformed_bytes_are_a_clear_error():
    with pytest.raises(GraphError, match="not a valid GraphDef"):
        parse_graph_def(b"\x0a\xff\xff\x03garbage")


def test_numbered_sibling_scopes_draw_as_one_series_box():
    model = GraphModel(mlp_graphdef(10))
    view = build_view(model)
    assert "layer_[0-9]" in names_of(view, "scope")
    assert not [n for n in names_of(view, "scope") if n.startswith("layer_") and "[" not in n]
    series = next(u for u in view.units.values() if u["name"] == "layer_[0-9]")
    assert series["members"] == [f"layer_{i}" for i in range(10)]
    assert series["count"] == sum(model.scopes[f"layer_{i}"] for i in range(10))
    assert "<b>layer_[0-9] (10)</b>" in view.dot
    ident = {uid: u["name"] for uid, u in view.units.items()}
    pairs = [(ident[a], ident[b]) for a, b in view.edges.values()]
    assert ("x", "layer_[0-9]") in pairs and ("layer_[0-9]", "loss") in pairs
    assert len(pairs) == len(set(pairs))  # the ten layers' edges are aggregated


def test_expanding_a_series_shows_its_scopes_still_closed():
    model = GraphModel(mlp_graphdef(10))
    view = build_view(model, "layer_[0-9]")
    scopes = names_of(view, "scope")
    assert [f"layer_{i}" for i in range(10)] == [s for s in scopes if s.startswith("layer_")]
    assert names_of(view, "op") == ["init", "x", "y"] and view.opened == ["layer_[0-9]"]
    assert "cluster_layer_[0-9]" not in view.dot
    # Opening one member also shows the others one by one.
    opened_one = build_view(model, "layer_3")
    assert "layer_[0-9]" not in names_of(opened_one, "scope")
    assert "layer_4" in names_of(opened_one, "scope") and "layer_3/MatMul" in names_of(
        opened_one, "op")


def test_series_nest_inside_open_scopes_and_tf_uniquified_names_join():
    view = build_view(GraphModel(mlp_graphdef(10)), "gradients")
    assert "gradients/layer_[0-9]" in names_of(view, "scope")
    b = GraphDefBuilder()
    for name in ("dense", "dense_1", "dense_2", "conv", "conv_1"):
        b.op(f"{name}/MatMul", "MatMul")
        b.op(f"{name}/Relu", "Relu", [f"{name}/MatMul"])
    view = build_view(GraphModel(b.graph))
    assert names_of(view, "scope") == ["conv", "conv_1", "dense_[0-2]"]  # two do not group
    series = next(u for u in view.units.values() if u["name"] == "dense_[0-2]")
    assert series["count"] == 6 and series["members"] == ["dense", "dense_1", "dense_2"]
    assert names_of(build_view(GraphModel(b.graph), "dense_[0-2]"), "scope") == [
        "conv", "conv_1", "dense", "dense_1", "dense_2"]


def test_expand_naming_no_series_is_an_error():
    with pytest.raises(GraphError, match=r"no name scope 'layer_\[0-3\]'"):
        build_view(GraphModel(mlp_graphdef(10)), "layer_[0-3]")
