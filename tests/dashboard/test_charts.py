"""The chart route: one answer per chart, only what changed, bounded; exports and ETags."""
from __future__ import annotations

import csv
import io
import json
import struct

import numpy as np
import pytest
from dashboard_events import append, new_file, scalar
from flowlog.dashboard.app import PROVIDER, create_app
from flowlog.dashboard.series import envelopes
from hypothesis import given, settings
from hypothesis import strategies as st


def decode(body: bytes) -> dict:
    """The binary answer as {"header": ..., (run, tag): (step, wall, value, from)}."""
    (size,) = struct.unpack_from("<I", body)
    head = json.loads(body[4:4 + size])
    out, pos = {"header": head}, 4 + size
    for s in head["series"]:
        n = s["n"]
        cols = []
        for dtype in ("<u4", "<f4", "<f4"):
            cols.append(np.frombuffer(body, dtype, n, pos))
            pos += 4 * n
        out[s["run"], s["tag"]] = (cols[0] + s["step0"], cols[1] + s["wall0"], cols[2], s["from"])
    assert pos == len(body)
    return out


@pytest.fixture
def served(logdir):
    files = {name: new_file(logdir / name, [scalar("loss", s, k + np.sin(s)) for s in range(400)]
                            + [scalar("lr", s, 0.001) for s in range(400)])
             for k, name in enumerate(["lr=0.1,seed=0", "lr=0.1,seed=1", "lr=1,seed=0"])}
    app = create_app(logdir, reload_interval=0, start=False)
    provider = app.extensions[PROVIDER]
    provider.reload()
    return app.test_client(), provider, files


def ask(client, **body):
    resp = client.post("/data/plugin/scalars/chart", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return decode(resp.data)


RUNS = ["lr=0.1,seed=0", "lr=0.1,seed=1", "lr=1,seed=0"]


def test_one_answer_holds_every_run_and_tag_with_spikes_kept(served, logdir):
    client, provider, files = served
    append(files[RUNS[0]], [scalar("loss", 400, 1e6)])  # a spike the buckets must keep
    provider.reload()
    got = ask(client, runs=RUNS + ["nope"], tags=["loss", "lr"], width=100)
    head = got["header"]
    assert {(s["run"], s["tag"]) for s in head["series"]} == {(r, t) for r in RUNS
                                                              for t in ("loss", "lr")}
    assert head["missing"] == [["nope", "loss"], ["nope", "lr"]]
    assert head["bucket"] == 16  # 401 steps over 50 buckets: the next power of two
    step, _, value, frm = got[RUNS[0], "loss"]
    assert frm is None and step.size <= 100  # about one point per pixel
    assert value.max() == 1e6
    full = provider.scalars(RUNS[1], "loss")
    step, wall, value, _ = got[RUNS[1], "loss"]
    for b in range(0, 400, 16):  # every bucket keeps its lowest and highest value
        inside = (full[0] >= b) & (full[0] < b + 16)
        mine = (step >= b) & (step < b + 16)
        assert value[mine].min() == pytest.approx(full[2][inside].min(), rel=1e-6)
        assert value[mine].max() == pytest.approx(full[2][inside].max(), rel=1e-6)
    assert wall == pytest.approx(full[1][np.searchsorted(full[0], step)])


def test_unchanged_series_cost_nothing_and_appends_arrive_as_deltas(served):
    client, provider, files = served
    first = ask(client, runs=RUNS, tags=["loss"], width=60)
    clock, bucket = first["header"]["clock"], first["header"]["bucket"]
    assert bucket == 16  # 400 and 410 steps both fit 30 buckets of 16
    again = ask(client, runs=RUNS, tags=["loss"], width=60, since=clock, known=3, bucket=bucket)
    assert again["header"]["series"] == []  # nothing changed: nothing sent
    assert client.get("/data/status").json["scalars_clock"] == clock
    append(files[RUNS[2]], [scalar("loss", s, 5.0) for s in range(400, 410)])
    provider.reload()
    assert client.get("/data/status").json["scalars_clock"] > clock
    delta = ask(client, runs=RUNS, tags=["loss"], width=60, since=clock, known=3, bucket=bucket)
    assert [s["run"] for s in delta["header"]["series"]] == [RUNS[2]]
    step, _, value, frm = delta[RUNS[2], "loss"]
    assert frm == 400 // bucket * bucket and step.min() >= frm  # only the last bucket on
    assert 409 in step.tolist() and value.max() == 5.0
    # Twice the range would halve the buckets; the page keeps its own, and gets a delta still.
    clock = delta["header"]["clock"]
    append(files[RUNS[2]], [scalar("loss", s, 6.0) for s in range(410, 500)])
    provider.reload()
    grown = ask(client, runs=RUNS, tags=["loss"], width=60, since=clock, known=3, bucket=bucket)
    assert grown["header"]["bucket"] == bucket
    assert [(s["run"], s["from"]) for s in grown["header"]["series"]] == [(RUNS[2], 400)]
    assert ask(client, runs=RUNS, tags=["loss"], width=60)["header"]["bucket"] == 2 * bucket
    # A run the page does not hold yet (after the known ones) comes whole.
    fresh = ask(client, runs=RUNS, tags=["loss"], width=60, since=clock, known=2, bucket=bucket)
    assert fresh[RUNS[2], "loss"][3] is None


def test_a_zoom_window_comes_at_full_resolution(served):
    client, provider, _ = served
    got = ask(client, runs=RUNS[:1], tags=["loss"], width=400, min_step=100, max_step=150)
    step, _, value, _ = got[RUNS[0], "loss"]
    assert step.tolist() == list(range(99, 152))  # every point, one beyond each end
    assert value == pytest.approx(provider.scalars(RUNS[0], "loss")[2][99:152], rel=1e-6)


@pytest.mark.parametrize("body, message", [
    ({"runs": "a", "tags": ["loss"]}, "'runs' must be a list of names"),
    ({"runs": ["a"], "tags": ["loss"], "width": "wide"}, "width must be an integer, got \"wide\""),
    ({"runs": ["a"], "tags": ["loss"], "width": 0}, "width must be between 1 and"),
    ({"runs": ["a"], "tags": ["loss"], "min_step": 5, "max_step": 1}, "min_step 5.0 is above"),
    ({"runs": [f"r{i}" for i in range(20000)], "tags": ["a", "b"], "width": 800},
     "20000 runs x 2 tags x width 800 is more than"),
])
def test_bad_chart_requests_are_a_400_naming_the_value(served, body, message):
    resp = served[0].post("/data/plugin/scalars/chart", json=body)
    assert resp.status_code == 400 and message in resp.json["error"]


def test_the_chart_route_answers_a_get_too(served):
    client = served[0]
    resp = client.get("/data/plugin/scalars/chart?tag=loss&width=50&run=" + "&run=".join(
        r.replace("=", "%3D").replace(",", "%2C") for r in RUNS))
    got = decode(resp.data)
    assert sorted(s["run"] for s in got["header"]["series"]) == RUNS
    bad = client.get("/data/plugin/scalars/chart?tag=loss&run=a&since=soon")
    assert bad.status_code == 400 and bad.json["error"] == "since must be an integer, got 'soon'"


def test_repeated_runs_are_counted_once(served):
    client = served[0]
    got = ask(client, runs=[RUNS[0]] * 5000, tags=["loss"], width=100)
    assert len(got["header"]["series"]) == 1
    body = client.get("/data/series?tag=loss&width=50&" + "&".join(["run=lr%3D1%2Cseed%3D0"] * 3000)).json
    assert list(body["runs"]) == [RUNS[2]]


def test_full_series_route_answers_304_while_unchanged(served):
    client, provider, files = served
    url = "/data/plugin/scalars/scalars?run=lr%3D1%2Cseed%3D0&tag=loss"
    first = client.get(url)
    assert first.status_code == 200 and len(first.json) == 400
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    append(files[RUNS[2]], [scalar("loss", 400, 1.0)])
    provider.reload()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and len(changed.json) == 401


def test_export_holds_every_point_of_the_selected_runs_and_tags(served):
    client, provider, _ = served
    resp = client.post("/data/plugin/scalars/export", data={
        "run": RUNS[:2], "tag": ["loss", "lr"], "format": "csv"})
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["Run", "Tag", "Wall time", "Step", "Value"]
    assert len(rows) == 1 + 2 * 2 * 400
    step, wall, value = provider.scalars(RUNS[1], "loss")
    mine = [r for r in rows[1:] if r[:2] == [RUNS[1], "loss"]]
    assert [(float(w), int(s), float(v)) for _, _, w, s, v in mine] == list(
        zip(wall.tolist(), step.tolist(), value.tolist()))
    as_json = client.get("/data/plugin/scalars/export", query_string={
        "run": RUNS, "tag": ["lr"], "format": "json"}).json
    assert sorted(as_json) == RUNS and as_json[RUNS[0]]["lr"][5][1:] == [5, 0.0010000000474974513]


@pytest.mark.parametrize("query, status, message", [
    ({"tag": "loss"}, 400, "missing query parameter 'run'"),
    ({"run": "x", "tag": "loss"}, 404, "unknown run 'x'"),
    ({"run": "x", "tag": "loss", "format": "xlsx"}, 400, "format must be one of csv, json"),
])
def test_bad_exports_name_the_value(served, query, status, message):
    resp = served[0].get("/data/plugin/scalars/export", query_string=query)
    assert resp.status_code == status and message in resp.json["error"]


def _reference_envelope(step: np.ndarray, value: np.ndarray, bucket: int) -> list[int]:
    """What a chart keeps of one series, point by point: the first and last point, the first
    lowest and first highest point of each bucket (the first point of an all-NaN one), or
    every point when the buckets would keep half of them anyway."""
    n = len(step)
    groups: list[list[int]] = []
    for i in range(n):
        if groups and step[i] // max(bucket, 1) == step[groups[-1][0]] // max(bucket, 1):
            groups[-1].append(i)
        else:
            groups.append([i])
    if bucket <= 1 or n <= 2 or 2 * len(groups) >= n:
        return list(range(n))
    keep = {0, n - 1}
    for g in groups:
        finite = [i for i in g if not np.isnan(value[i])]
        if not finite:
            keep.add(g[0])
            continue
        keep.add(min(finite, key=lambda i: (value[i], i)))
        keep.add(min(finite, key=lambda i: (-value[i], i)))
    return sorted(keep)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 60), max_size=40),
                          st.lists(st.sampled_from([0.0, 1.0, -2.5, 3.0, np.nan]), max_size=40)),
                max_size=6),
       st.sampled_from([1, 2, 3, 4, 8]))
def test_many_series_are_drawn_as_each_would_be_alone(series, bucket):
    parts = []
    for steps, values in series:
        k = min(len(steps), len(values))
        parts.append((np.sort(np.array(steps[:k], np.int64)), np.array(values[:k], np.float32)))
    got = envelopes(parts, bucket)
    assert [g.tolist() for g in got] == [_reference_envelope(s, v, bucket) for s, v in parts]
