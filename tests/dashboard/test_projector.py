"""The projector's routes over logdirs written by torch, tensorboardX and flowlog: embeddings,
PCA projections, sprites, and what a broken or odd projector config answers."""
from __future__ import annotations

import numpy as np
import pytest
from dashboard_events import loaded_client
from flowlog.dashboard import projector
from flowlog.dashboard.app import PROVIDER, create_app
from projector_mesh_logs import clusters, every_writer, label_images

import flowlog as fl
from flowlog.codecs.png import decode_png

POINTS = 300


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    return loaded_client(every_writer(tmp_path_factory.mktemp("projector"), points=POINTS))


def _exact_pca(points: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's full SVD of the centred points: coordinates and explained variance ratios."""
    centred = points.astype(np.float64) - points.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:k].T, (s ** 2 / (s ** 2).sum())[:k]


def test_every_writers_embeddings_are_listed_with_shape_and_metadata_columns(client):
    listing = client.get("/data/plugin/projector/embeddings").json
    assert listing["errors"] == {}
    assert sorted(listing["runs"]) == ["flowlog", "tensorboardX", "torch"]
    for run, embeddings in listing["runs"].items():
        by_name = {e["name"]: e for e in embeddings}
        assert by_name["digits:00007"] == {
            "name": "digits:00007", "tag": "digits", "step": 7, "shape": [POINTS, 16],
            "columns": ["label"], "sprite": True, "warning": None}, run
        assert by_name["small:00000"]["shape"] == [POINTS, 4]
        assert by_name["small:00000"]["columns"] == ["label", "index"]
        assert by_name["small:00000"]["sprite"] is False


@pytest.mark.parametrize("dims", [2, 3])
def test_projection_is_the_pca_of_the_points_with_their_labels(client, dims):
    mat, labels = clusters(POINTS)
    expected, ratios = _exact_pca(mat, dims)
    for run in ("torch", "tensorboardX", "flowlog"):
        body = client.get(f"/data/plugin/projector/projection?run={run}&tag=digits:00007"
                          f"&dims={dims}").json
        assert (body["points"], body["total"], body["dims"]) == (POINTS, POINTS, dims)
        assert body["index"] == list(range(POINTS))
        coords = np.array(body["coords"]).T
        # Each axis is the exact one up to its sign (fixed by the largest loading).
        for k in range(dims):
            same = np.allclose(coords[:, k], expected[:, k], rtol=1e-4, atol=1e-3)
            flipped = np.allclose(coords[:, k], -expected[:, k], rtol=1e-4, atol=1e-3)
            assert same or flipped, (run, k)
        np.testing.assert_allclose(body["explained"], ratios, rtol=1e-5)
        assert body["columns"] == ["label"] and body["metadata"] == [labels]
        assert body["sprite"] == {"width": 8, "height": 8, "per_row": 18}  # ceil(sqrt(300))


def test_two_metadata_columns_come_back_per_column(client):
    body = client.get("/data/plugin/projector/projection?run=torch&tag=small:00000").json
    _, labels = clusters(POINTS)
    assert body["columns"] == ["label", "index"]
    assert body["metadata"] == [labels, [str(i) for i in range(POINTS)]]


def test_sprite_is_the_sheet_of_the_label_images(client):
    resp = client.get("/data/plugin/projector/sprite?run=tensorboardX&tag=digits:00007")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    sheet = decode_png(resp.data)
    _, labels = clusters(POINTS)
    images = (label_images(labels) * 255).round().astype(np.uint8)
    # Point 19 sits in row 1, column 1 of an 18-wide sheet of 8x8 tiles.
    np.testing.assert_allclose(sheet[8:16, 8:16].astype(int),
                               images[19].transpose(1, 2, 0).astype(int), atol=1)


def test_bad_requests_name_the_value_and_what_was_expected(client):
    body = client.get("/data/plugin/projector/projection?run=torch&tag=nope").json
    assert "'nope'" in body["error"] and "digits:00007" in body["error"]
    resp = client.get("/data/plugin/projector/projection?run=torch&tag=digits:00007&dims=4")
    assert resp.status_code == 400 and resp.json["error"] == "dims must be 2 or 3, got 4"
    resp = client.get("/data/plugin/projector/projection?run=torch")
    assert resp.status_code == 400 and "'tag'" in resp.json["error"]
    assert client.get("/data/plugin/projector/sprite?run=nope&tag=x").status_code == 404
    resp = client.get("/data/plugin/projector/sprite?run=torch&tag=small:00000")
    assert resp.status_code == 404 and "no sprite" in resp.json["error"]


def test_large_embeddings_are_a_fixed_sample_of_at_most_max_points(logdir):
    n = projector.MAX_POINTS + 2_000
    mat = np.random.default_rng(5).normal(size=(n, 6)).astype(np.float32)
    with fl.SummaryWriter(str(logdir / "big")) as w:
        w.add_embedding(mat, metadata=[str(i) for i in range(n)], tag="big")
    client = loaded_client(logdir)
    first = client.get("/data/plugin/projector/projection?run=big&tag=big:00000").json
    assert (first["points"], first["total"]) == (projector.MAX_POINTS, n)
    index = np.array(first["index"])
    assert len(np.unique(index)) == projector.MAX_POINTS and (np.diff(index) > 0).all()
    assert first["metadata"][0] == [str(i) for i in index]  # each point keeps its label
    np.testing.assert_allclose(np.abs(np.array(first["coords"]).T),
                               np.abs(_exact_pca(mat[index], 2)[0]), rtol=1e-3, atol=1e-3)
    again = loaded_client(logdir).get("/data/plugin/projector/projection?run=big&tag=big:00000").json
    assert again["index"] == first["index"]  # the same sample after a restart


def test_bytes_tensors_and_non_finite_rows(logdir):
    """TensorBoard's raw float32 `.bytes` tensors, shaped by the config; rows with NaN left out."""
    mat = np.arange(40, dtype=np.float32).reshape(10, 4) ** 1.5
    mat[3, 1] = np.nan
    run = logdir / "raw"
    with fl.SummaryWriter(str(run)) as w:
        w.add_scalar("x", 1.0, 0)
    (run / "emb.bytes").write_bytes(mat.astype("<f4").tobytes())
    (run / "projector_config.pbtxt").write_text(
        'embeddings { tensor_name: "raw" tensor_path: "emb.bytes" tensor_shape: 10 '
        'tensor_shape: 4 }\n')
    body = loaded_client(logdir).get("/data/plugin/projector/projection?run=raw&tag=raw:00000").json
    assert (body["total"], body["points"], body["skipped_nonfinite"]) == (10, 9, 1)
    assert 3 not in body["index"] and body["columns"] == []


def test_unreadable_files_are_reported_per_run_and_the_tab_shows_only_with_a_config(logdir):
    run = logdir / "broken"
    with fl.SummaryWriter(str(run)) as w:
        w.add_scalar("x", 1.0, 0)
    client = loaded_client(logdir)
    assert client.get("/data/plugins_listing").json["projector"] == {"enabled": False}
    (run / "projector_config.pbtxt").write_text(
        'embeddings { tensor_name: "gone:00000" tensor_path: "missing.tsv" }\n')
    client = loaded_client(logdir)
    assert client.get("/data/plugins_listing").json["projector"] == {"enabled": True}
    listing = client.get("/data/plugin/projector/embeddings").json
    assert listing["runs"] == {} and "missing.tsv" in listing["errors"]["broken"]
    resp = client.get("/data/plugin/projector/projection?run=broken&tag=gone:00000")
    assert resp.status_code == 404 and "missing.tsv" in resp.json["error"]


def test_a_new_embedding_shows_after_the_next_reload(logdir):
    mat, labels = clusters(50)
    w = fl.SummaryWriter(str(logdir / "live"))
    w.add_embedding(mat, metadata=labels, tag="first")
    app = create_app(logdir, reload_interval=0, start=False)
    data = app.extensions[PROVIDER]
    data.reload()
    client = app.test_client()

    def names():
        listing = client.get("/data/plugin/projector/embeddings").json
        return [e["name"] for e in listing["runs"]["live"]]

    assert names() == ["first:00000"]
    w.add_embedding(mat * 2, metadata=labels, tag="second", global_step=1)
    w.close()
    assert names() == ["first:00000"]  # looked at once per reload
    data.reload()
    assert names() == ["first:00000", "second:00001"]


def test_embeddings_in_an_object_store_logdir():
    """A logdir given as an fsspec URL: the config and its files are read through it."""
    logdir = "memory://projector-test/logs"
    mat, labels = clusters(40)
    with fl.SummaryWriter(f"{logdir}/run") as w:
        w.add_embedding(mat, metadata=labels, tag="stored")
    client = loaded_client(logdir)
    assert client.get("/data/plugins_listing").json["projector"] == {"enabled": True}
    body = client.get("/data/plugin/projector/projection?run=run&tag=stored:00000").json
    assert body["points"] == 40 and body["metadata"] == [labels]


def test_a_checkpoint_variable_embedding_says_it_is_not_read(logdir):
    """TF1's tutorials name a variable of a checkpoint instead of a tensor file."""
    run = logdir / "tf1"
    with fl.SummaryWriter(str(run)) as w:
        w.add_scalar("x", 1.0, 0)
    (run / "projector_config.pbtxt").write_text(
        'embeddings { tensor_name: "embedding:0" metadata_path: "metadata.tsv" }\n')
    listing = loaded_client(logdir).get("/data/plugin/projector/embeddings").json
    assert "'embedding:0' names no tensor_path" in listing["errors"]["tf1"]
