"""The distributions routes: TensorBoard's percentile bands, from the histograms of each writer."""
from __future__ import annotations

import numpy as np
import pytest
from dashboard_events import histogram, loaded_client, new_file
from flowlog.dashboard.media import BASIS_POINTS, percentiles
from flowlog.dashboard.provider import MAX_HISTOGRAMS
from media_logs import WRITERS, every_writer
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.distribution import compressor

TAG = "relu/hidden"


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = every_writer(tmp_path_factory.mktemp("distributions"), histogram_steps=4)
    rng = np.random.default_rng(0)
    new_file(root / "long", [histogram("w", s, rng.normal(s / 100, 1, 500))
                             for s in range(MAX_HISTOGRAMS + 100)])
    return root


@pytest.fixture(scope="module")
def client(logdir):
    return loaded_client(logdir)


def bands(client, run, tag=TAG):
    r = client.get("/data/plugin/distributions/distributions", query_string={"run": run, "tag": tag})
    assert r.status_code == 200, r.json
    return r.json


@pytest.mark.parametrize("run", list(WRITERS))
def test_bands_equal_tensorboards_for_each_writers_relu_histograms(client, logdir, run):
    accumulator = EventAccumulator(str(logdir / run))
    accumulator.Reload()
    expected = accumulator.CompressedHistograms(TAG)
    got = bands(client, run)
    assert [(w, s) for w, s, _ in got] == [(e.wall_time, e.step) for e in expected]
    for (_, _, ours), theirs in zip(got, expected):
        assert [bp for bp, _ in ours] == list(BASIS_POINTS)
        np.testing.assert_allclose([v for _, v in ours],
                                   [v for _, v in theirs.compressed_histogram_values],
                                   rtol=1e-12, atol=1e-15)
        values = [v for _, v in ours]
        assert values[0] == 0.0 and values == sorted(values)  # ReLU: the minimum is 0


def test_tags_are_the_histogram_tags(client):
    assert (client.get("/data/plugin/distributions/tags").json
            == client.get("/data/plugin/histograms/tags").json)
    assert client.get("/data/plugins_listing").json["distributions"]["enabled"]


def test_long_runs_are_bounded_like_the_histograms_route(client):
    got = bands(client, "long", "w")
    assert len(got) == MAX_HISTOGRAMS
    assert got[0][1] == 0 and got[-1][1] == MAX_HISTOGRAMS + 99  # first and newest kept
    medians = np.array([values[4][1] for _, _, values in got])
    steps = np.array([s for _, s, _ in got])
    # the logged means drift by step / 100; the medians follow within a bucket's width
    assert np.abs(medians - steps / 100).max() < 0.5


@pytest.mark.parametrize("seed", range(40))
def test_percentiles_equal_tensorboards_compressor(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 60))
    edges = np.sort(rng.normal(size=k + 1))
    counts = rng.integers(0, 6, k).astype(float)
    if seed % 4 == 0:
        counts[0] = 10_000  # a spike, as ReLU's zeros make
    if seed % 5 == 0:
        counts[-3:] = 0  # empty buckets at the end
    if seed % 13 == 0:
        counts[:] = 0  # nothing counted
    buckets = np.column_stack([edges[:-1], edges[1:], counts])
    expected = [v for _, v in compressor.compress_histogram(buckets)]
    np.testing.assert_allclose(percentiles(buckets), expected, rtol=0, atol=1e-12)


def test_damaged_counts_count_as_nothing():
    buckets = np.array([[0, 1, np.nan], [1, 2, -5], [2, 3, 4]])
    assert percentiles(buckets).tolist() == percentiles(
        np.array([[0, 1, 0], [1, 2, 0], [2, 3, 4]])).tolist()
    assert percentiles(np.zeros((0, 3))).tolist() == [0.0] * len(BASIS_POINTS)


@pytest.mark.parametrize("query, status, message", [
    ({"run": "torch", "tag": "nope"}, 404, "unknown histogram tag 'nope' in run 'torch'"),
    ({"run": "nope", "tag": TAG}, 404, "unknown run 'nope'"),
    ({"run": "torch"}, 400, "missing query parameter 'tag'"),
])
def test_bad_requests_name_the_value(client, query, status, message):
    r = client.get("/data/plugin/distributions/distributions", query_string=query)
    assert r.status_code == status and message in r.json["error"]
