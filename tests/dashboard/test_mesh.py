"""The mesh routes over logdirs written by torch, tensorboardX and flowlog: mesh names, and the
vertices, faces and colours of one mesh at one step."""
from __future__ import annotations

import numpy as np
import pytest
from dashboard_events import loaded_client
from flowlog.dashboard import mesh
from projector_mesh_logs import every_writer, octahedron, spiral

import flowlog as fl

RUNS = ("torch", "tensorboardX", "flowlog")
CLOUD = 500


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return loaded_client(every_writer(tmp_path_factory.mktemp("mesh"), cloud=CLOUD))


def test_meshes_of_every_writer_are_listed_by_name(client):
    assert client.get("/data/plugin/mesh/tags").json == {run: ["helix", "octahedron"]
                                                         for run in RUNS}
    assert client.get("/data/plugins_listing").json["mesh"] == {"enabled": True}


@pytest.mark.parametrize("run", RUNS)
def test_a_mesh_has_its_vertices_faces_and_colours_at_each_step(client, run):
    newest = client.get(f"/data/plugin/mesh/mesh?run={run}&tag=octahedron").json
    assert (newest["step"], newest["steps"], newest["samples"]) == (1, [0, 1], 1)
    for step in (0, 1):
        body = client.get(f"/data/plugin/mesh/mesh?run={run}&tag=octahedron&step={step}").json
        v, c, f = octahedron(1.0 + step)
        assert body["step"] == step and body["vertex_count"] == body["points"] == 6
        np.testing.assert_allclose(np.array(body["vertices"]).T, v[0])
        assert np.array(body["faces"]).T.tolist() == f[0].tolist()
        assert np.array(body["colors"]).T.tolist() == c[0].tolist()


@pytest.mark.parametrize("run", RUNS)
def test_a_point_cloud_has_no_faces(client, run):
    body = client.get(f"/data/plugin/mesh/mesh?run={run}&tag=helix").json
    v, c = spiral(CLOUD)
    assert body["faces"] is None and body["vertex_count"] == CLOUD and body["steps"] == [3]
    np.testing.assert_allclose(np.array(body["vertices"]).T, v[0], rtol=1e-5, atol=1e-5)
    assert np.array(body["colors"]).T.tolist() == c[0].tolist()


def test_bad_requests_name_the_value_and_what_was_expected(client):
    resp = client.get("/data/plugin/mesh/mesh?run=torch&tag=cube")
    assert resp.status_code == 404 and resp.json["error"] == "unknown mesh 'cube' in run 'torch'"
    resp = client.get("/data/plugin/mesh/mesh?run=torch&tag=octahedron&step=5")
    assert resp.status_code == 404 and "has steps [0, 1]" in resp.json["error"]
    resp = client.get("/data/plugin/mesh/mesh?run=torch&tag=octahedron&sample=1")
    assert resp.status_code == 400 and resp.json["error"] == "sample must be between 0 and 0, got 1"
    resp = client.get("/data/plugin/mesh/mesh?run=torch&tag=octahedron&step=x")
    assert resp.status_code == 400 and "step must be an integer" in resp.json["error"]


def test_batches_large_clouds_and_faces_outside_the_vertices(logdir, monkeypatch):
    monkeypatch.setattr(mesh, "MAX_CLOUD_POINTS", 100)
    v, c = spiral(CLOUD)
    pair = np.concatenate([v, v * 2])  # a batch of two clouds
    tri, _, faces = octahedron()
    faces = faces.copy()
    faces[0, 0] = [0, 1, 99]  # points past the six vertices: left out, not drawn wrong
    with fl.SummaryWriter(str(logdir / "odd")) as w:
        w.add_mesh("pair", pair, colors=np.concatenate([c, c]))
        w.add_mesh("damaged", tri, faces=faces)
    client = loaded_client(logdir)
    body = client.get("/data/plugin/mesh/mesh?run=odd&tag=pair&sample=1").json
    assert (body["samples"], body["vertex_count"], body["points"]) == (2, CLOUD, 100)
    again = client.get("/data/plugin/mesh/mesh?run=odd&tag=pair&sample=1").json
    assert again["vertices"] == body["vertices"]  # the same fixed sample every time
    rows = mesh.sample_rows(CLOUD, 100)  # the rows of sample 1 that are drawn
    np.testing.assert_allclose(np.array(body["vertices"]).T, 2 * v[0, rows], atol=1e-4)
    assert np.array(body["colors"]).T.tolist() == c[0, rows].tolist()
    body = client.get("/data/plugin/mesh/mesh?run=odd&tag=damaged").json
    assert len(body["faces"][0]) == 7 and body["colors"] is None
