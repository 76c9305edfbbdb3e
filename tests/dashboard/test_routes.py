"""The JSON routes through Flask's test client: TensorBoard's shapes, our own, and errors."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from dashboard_events import histogram, image, loaded_client, new_file, scalar, text
from flowlog.dashboard.app import PROVIDER, create_app


@pytest.fixture
def client(logdir):
    new_file(logdir / "train", [scalar("loss", s, 10.0 - s) for s in range(20)]
             + [scalar("acc", s, s / 20) for s in range(20)]
             + [histogram("w", 5, [1, 2, 3]), image("img", 5, np.zeros((2, 3, 3), np.uint8)),
                text("note", 5, "<b>hi</b>")])
    new_file(logdir / "eval", [scalar("loss", s, 5.0) for s in range(0, 20, 5)])
    return loaded_client(logdir)


def test_runs_and_tags_have_tensorboards_shapes(client):
    assert client.get("/data/runs").json == ["eval", "train"]
    tags = client.get("/data/plugin/scalars/tags").json
    assert tags["eval"] == {"loss": {"displayName": "loss", "description": ""}}
    assert sorted(tags["train"]) == ["acc", "loss"]


def test_status_reports_loading_progress(client):
    status = client.get("/data/status").json
    assert status["loading"] is False and status["runs"] == 2
    assert status["bytes_read"] == status["bytes_total"] > 0
    assert status["scalar_points"] == 44


def test_scalars_route_returns_every_point_in_ascending_step(client):
    rows = client.get("/data/plugin/scalars/scalars?run=train&tag=loss").json
    assert [r[1] for r in rows] == list(range(20))
    assert rows[3] == [1_700_000_003.0, 3, 7.0]


def test_csv_download_has_tensorboards_header_and_the_same_points(client):
    resp = client.get("/data/plugin/scalars/scalars?run=train&tag=acc&format=csv")
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["Wall time", "Step", "Value"]
    data = client.get("/data/plugin/scalars/scalars?run=train&tag=acc").json
    assert [[float(w), int(s), float(v)] for w, s, v in rows[1:]] == data


def test_series_route_serves_several_runs_and_skips_runs_without_the_tag(client):
    body = client.get("/data/series?tag=loss&run=train&run=eval&width=100").json
    assert body["runs"]["eval"]["step"] == [0, 5, 10, 15]
    assert body["runs"]["train"]["total"] == 20
    body = client.get("/data/series?tag=acc&run=train&run=eval").json
    assert list(body["runs"]) == ["train"]


def test_series_route_keeps_spikes_when_downsampling(logdir):
    values = np.zeros(100_000)
    values[77_777] = 1e6
    values[12_345] = -1e6
    new_file(logdir / "r", [scalar("x", s, v) for s, v in enumerate(values)])
    app = create_app(logdir, reload_interval=0, start=False)
    app.extensions[PROVIDER].reload()
    body = app.test_client().get("/data/series?tag=x&run=r&width=200").json["runs"]["r"]
    assert len(body["step"]) <= 4 * 200 + 2
    assert 77_777 in body["step"] and 12_345 in body["step"]
    assert max(body["value"]) == 1e6 and min(body["value"]) == -1e6
    assert body["step"][0] == 0 and body["step"][-1] == 99_999
    zoomed = app.test_client().get("/data/series?tag=x&run=r&width=200"
                                   "&min_step=1000&max_step=1100").json["runs"]["r"]
    assert zoomed["step"] == list(range(999, 1102))


def test_histogram_image_and_text_routes(client):
    (_wall, step, buckets), = client.get(
        "/data/plugin/histograms/histograms?run=train&tag=w").json
    assert step == 5 and sum(b[2] for b in buckets) == 3
    assert client.get("/data/plugin/images/tags").json["train"]["img"]["samples"] == 1
    (meta,) = client.get("/data/plugin/images/images?run=train&tag=img").json
    assert (meta["step"], meta["width"], meta["height"]) == (5, 3, 2)
    png = client.get("/data/plugin/images/individualImage?run=train&tag=img&index=0")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert client.get("/data/plugin/text/tags").json == {"eval": [], "train": ["note"]}
    (t,) = client.get("/data/plugin/text/text?run=train&tag=note").json
    assert t["text"] == "<b>hi</b>" and t["step"] == 5


@pytest.mark.parametrize("url, status, message", [
    ("/data/plugin/scalars/scalars?run=nope&tag=loss", 404, "unknown run 'nope'"),
    ("/data/plugin/scalars/scalars?run=train&tag=nope", 404, "unknown scalar tag 'nope'"),
    ("/data/plugin/scalars/scalars?run=../../etc&tag=passwd", 404, "unknown run '../../etc'"),
    ("/data/plugin/scalars/scalars?run=train", 400, "missing query parameter 'tag'"),
    ("/data/plugin/scalars/scalars?run=train&tag=loss&format=xml", 400, "format must be"),
    ("/data/series?tag=loss&run=train&width=abc", 400, "width must be an integer, got 'abc'"),
    ("/data/series?tag=loss&run=train&width=0", 400, "width must be between"),
    ("/data/series?tag=loss&run=train&min_step=nan", 400, "min_step must be finite"),
    ("/data/series?tag=loss", 400, "missing query parameter 'run'"),
    ("/data/series?tag=zzz&run=train", 404, "unknown scalar tag 'zzz'"),
    ("/data/plugin/histograms/histograms?run=train&tag=loss", 404, "histogram tag 'loss'"),
    ("/data/plugin/images/individualImage?run=train&tag=img&index=9", 404, "no image 9"),
    ("/data/plugin/text/text?run=eval&tag=note", 404, "unknown text tag 'note'"),
    ("/static/../pyproject.toml", 404, ""),
])
def test_errors_are_json_naming_the_bad_value(client, url, status, message):
    resp = client.get(url)
    assert resp.status_code == status
    assert message in resp.json["error"]


def test_page_and_plotly_are_served_with_security_headers(client):
    page = client.get("/")
    assert page.status_code == 200 and b'id="tab-graphs"' in page.data
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script>" not in page.data and b" onclick=" not in page.data
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.data) > 1_000_000
    assert client.get("/static/app.js").status_code == 200


def test_a_long_series_is_sent_in_pieces_and_non_finite_values_stay_json(logdir):
    from flowlog.dashboard import scalars as routes

    values = [float(s) for s in range(50_000)]
    values[7], values[8], values[9] = float("nan"), float("inf"), float("-inf")
    new_file(logdir / "long", [scalar("x", s, v) for s, v in enumerate(values)])
    app = create_app(logdir, reload_interval=0, start=False)
    app.extensions[PROVIDER].reload()
    r = app.test_client().get("/data/plugin/scalars/scalars?run=long&tag=x")
    assert r.is_streamed and 50_000 > routes.CHUNK
    points = json.loads(r.get_data(as_text=True))  # NaN and Infinity as json.dumps writes them
    got = [p[2] for p in points]
    assert [p[1] for p in points] == list(range(50_000))
    assert np.isnan(got[7]) and got[8:10] == [np.inf, -np.inf]
    assert got[10:] == values[10:] and got[:7] == values[:7]
