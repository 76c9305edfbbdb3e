"""Graph routes of the dashboard app over a real logdir."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flowlog.dashboard.app import PROVIDER, create_app


@pytest.fixture(scope="module")
def client(graph_logdir):
    app = create_app(graph_logdir, reload_interval=0, start=False)
    app.extensions[PROVIDER].reload()
    return app.test_client()


def test_info_lists_runs_with_graphs_and_metadata(client):
    runs = {r["run"]: r for r in client.get("/data/plugin/graphs/info").get_json()["runs"]}
    assert runs["neuron"]["graph"] and runs["neuron"]["run_metadata"] == ["step_0"]
    assert runs["nograph"]["graph"] is None


def test_view_returns_svg_and_the_boxes_it_shows(client):
    body = client.get("/data/plugin/graphs/view?run=neuron").get_json()
    ET.fromstring(body["svg"])
    assert body["op_count"] == 42 and body["expanded"] == []
    scopes = {u["name"] for u in body["units"].values() if u["kind"] == "scope"}
    assert {"weight", "gradients", "GradientDescent"} <= scopes
    assert all(f'id="{uid}"' in body["svg"] for uid in body["units"])
    body = client.get("/data/plugin/graphs/view?run=neuron&expand=gradients").get_json()
    assert list(body["clusters"].values()) == ["gradients"]


def test_view_of_an_engine_graph_written_by_file_writer(client):
    body = client.get("/data/plugin/graphs/view?run=engine").get_json()
    names = {u["name"] for u in body["units"].values()}
    assert {"input", "weight", "output", "gradients", "GradientDescent", "loss"} <= names
    node = client.get("/data/plugin/graphs/node?run=engine&name=weight").get_json()
    assert node["op"] == "VariableV2" and node["scope"] == "weight"
    body = client.get("/data/plugin/graphs/view?run=engine&expand=all").get_json()
    ops = {u["name"] for u in body["units"].values() if u["kind"] == "op"}
    assert "GradientDescent/update_weight/ApplyGradientDescent" in ops


def test_view_of_run_without_graph_is_an_empty_state(client):
    body = client.get("/data/plugin/graphs/view?run=nograph").get_json()
    assert body["graph"] is None and "has no graph" in body["message"]


def test_errors_name_the_problem(client):
    resp = client.get("/data/plugin/graphs/view?run=broken")
    assert resp.status_code == 422 and "not a valid GraphDef" in resp.get_json()["error"]
    resp = client.get("/data/plugin/graphs/view?run=nope")
    assert resp.status_code == 404 and "nope" in resp.get_json()["error"]
    resp = client.get("/data/plugin/graphs/view?run=neuron&expand=decoder")
    assert resp.status_code == 400 and "decoder" in resp.get_json()["error"]
    resp = client.get("/data/plugin/graphs/export?run=neuron&format=gif")
    assert resp.status_code == 400 and "gif" in resp.get_json()["error"]
    resp = client.get("/data/plugin/graphs/node?run=neuron&name=nothing")
    assert resp.status_code == 404


def test_node_facts_and_trace(client):
    node = client.get("/data/plugin/graphs/node?run=neuron&name=output").get_json()
    assert node["op"] == "Mul" and node["time_us"] == 900
    assert [i["name"] for i in node["inputs"]] == ["weight/read", "input"]
    assert node["attrs"]["T"] == "float32"
    trace = client.get("/data/plugin/graphs/trace?run=neuron&name=sub").get_json()
    assert trace["ancestors"] == ["correct_value", "input", "output", "weight", "weight/read"]
    names = client.get("/data/plugin/graphs/nodes?run=neuron").get_json()
    assert names["names"][:2] == ["input", "weight/initial_value"] and names["ops"][0] == "Const"


def test_time_colouring_uses_run_metadata(client):
    body = client.get("/data/plugin/graphs/view?run=neuron&color=time").get_json()
    assert body["tag"] == "step_0"
    output = next(u for u in body["units"].values() if u.get("name") == "output")
    assert output["time_us"] == 900 and output["heat"] == "#b30000"


@pytest.mark.parametrize("fmt,magic,mime", [("svg", b"<?xml", "image/svg+xml"),
                                            ("png", b"\x89PNG", "image/png"),
                                            ("pdf", b"%PDF", "application/pdf"),
                                            ("dot", b"digraph", "text/vnd.graphviz")])
def test_export_downloads(client, fmt, magic, mime):
    resp = client.get(f"/data/plugin/graphs/export?run=neuron&format={fmt}&expand=weight")
    assert resp.status_code == 200 and resp.data.startswith(magic)
    assert resp.mimetype == mime
    assert f'filename="neuron-graph.{fmt}"' in resp.headers["Content-Disposition"]


def test_graph_text_like_tensorboard(client):
    text = client.get("/data/plugin/graphs/graph?run=neuron").get_data(as_text=True)
    assert 'name: "weight/read"' in text and 'op: "Identity"' in text


def test_missing_dot_is_reported_with_the_install_hint(graph_logdir, tmp_path, monkeypatch):
    app = create_app(graph_logdir, reload_interval=0, start=False)
    app.extensions[PROVIDER].reload()
    monkeypatch.setenv("PATH", str(tmp_path))
    resp = app.test_client().get("/data/plugin/graphs/view?run=neuron")
    assert resp.status_code == 503 and "apt-get install graphviz" in resp.get_json()["error"]
