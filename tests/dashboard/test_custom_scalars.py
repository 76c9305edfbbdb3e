"""The custom scalars routes over layouts written by torch.utils.tensorboard, tensorboardX and
flowlog: the layout as TensorBoard reads it, merged over runs, and the series its charts draw."""
from __future__ import annotations

import numpy as np
import pytest
from dashboard_events import event, loaded_client, new_file, scalar
from google.protobuf.json_format import MessageToDict
from tensorboard.backend.event_processing.event_accumulator import TENSORS, EventAccumulator
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.util.tensor_util import make_ndarray
from test_pr_curves import WRITERS

from flowlog.proto import summary_pb2, tensor_pb2, types_pb2

LAYOUT = {
    "Losses": {"train and test": ["Multiline", ["loss/(train|test)$"]],
               "everything": ["Multiline", ["loss/", "acc"]]},
    "Bands": {"accuracy ± σ": ["Margin", ["acc/mean", "acc/low", "acc/high"]]},
}
EXPECTED = {"category": [
    {"title": "Losses", "chart": [
        {"title": "train and test", "multiline": {"tag": ["loss/(train|test)$"]}},
        {"title": "everything", "multiline": {"tag": ["loss/", "acc"]}}]},
    {"title": "Bands", "chart": [
        {"title": "accuracy ± σ", "margin": {"series": [
            {"value": "acc/mean", "lower": "acc/low", "upper": "acc/high"}]}}]}]}
STEPS = range(0, 30, 3)


def write_custom_run(run_dir, writer: str, layout=LAYOUT, offset: float = 0.0) -> None:
    """A run written by `writer` with what `log_custom_scalars` logs."""
    w = WRITERS[writer](str(run_dir))
    log_custom_scalars(w, layout, offset)
    w.close()


def log_custom_scalars(w, layout=LAYOUT, offset: float = 0.0) -> None:
    """With writer `w`: `layout` and the scalars its charts draw (and one they do not)."""
    w.add_custom_scalars(layout)
    for step in STEPS:
        w.add_scalar("loss/train", 1 / (step + 1) + offset, step)
        w.add_scalar("loss/test", 2 / (step + 1) + offset, step)
        w.add_scalar("loss/train_ema", 1.5 / (step + 1), step)
        w.add_scalar("acc/mean", 0.5 + step / 100 + offset, step)
        w.add_scalar("acc/low", 0.4 + step / 100 + offset, step)
        w.add_scalar("acc/high", 0.6 + step / 100 + offset, step)
        w.add_scalar("other", step, step)


@pytest.fixture(params=list(WRITERS))
def written(request, logdir):
    write_custom_run(logdir / "r", request.param)
    return request.param, logdir, loaded_client(logdir)


def test_layout_route_serves_the_layout_as_tensorboard_reads_it(written):
    name, logdir, client = written
    assert client.get("/data/plugin/custom_scalars/layout").json == EXPECTED, name
    # TensorBoard's own loader and proto read the file to the same layout
    acc = EventAccumulator(str(logdir / "r"), size_guidance={TENSORS: 0})
    acc.Reload()
    content = make_ndarray(acc.Tensors("custom_scalars__config__")[-1].tensor_proto).item()
    assert MessageToDict(layout_pb2.Layout.FromString(content)) == EXPECTED


def test_charts_route_gives_the_tags_each_chart_draws(written):
    _, _, client = written
    losses, bands = client.get("/data/plugin/custom_scalars/charts").json["categories"]
    assert [losses["title"], bands["title"]] == ["Losses", "Bands"]
    exact, loose = losses["charts"]
    # regexes match from the start of a tag, as TensorBoard's re.match does
    assert exact["kind"] == "multiline" and exact["tags"] == {"r": ["loss/test", "loss/train"]}
    assert loose["tags"] == {"r": ["acc/high", "acc/low", "acc/mean", "loss/test", "loss/train",
                                   "loss/train_ema"]}
    margin = bands["charts"][0]
    assert margin["kind"] == "margin" and margin["tags"] == {"r": ["acc/high", "acc/low", "acc/mean"]}
    assert margin["series"] == [{"value": "acc/mean", "lower": "acc/low", "upper": "acc/high"}]


def test_an_unchanged_charts_answer_costs_a_304(written):
    _, _, client = written
    first = client.get("/data/plugin/custom_scalars/charts")
    again = client.get("/data/plugin/custom_scalars/charts",
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_scalars_route_answers_every_matching_tag_in_tensorboards_shape(written):
    _, _, client = written
    body = client.get("/data/plugin/custom_scalars/scalars?run=r&tag=loss/(train|test)$").json
    assert body["regex_valid"] is True and sorted(body["tag_to_events"]) == ["loss/test", "loss/train"]
    rows = body["tag_to_events"]["loss/test"]
    assert [s for _, s, _ in rows] == list(STEPS)
    assert [v for _, _, v in rows] == pytest.approx([2 / (s + 1) for s in STEPS], rel=1e-6)
    assert client.get("/data/plugin/custom_scalars/scalars?run=r&tag=train").json == {
        "regex_valid": True, "tag_to_events": {}}  # "loss/train" does not start with it
    for bad in ("loss/(", ""):
        assert client.get(f"/data/plugin/custom_scalars/scalars?run=r&tag={bad}").json == {
            "regex_valid": False, "tag_to_events": {}}


def test_long_series_are_thinned_like_the_scalar_charts_keeping_spikes(logdir):
    values = np.zeros(20_000)
    values[12_345] = 99.0
    new_file(logdir / "big", [scalar("loss", s, v) for s, v in enumerate(values)])
    rows = loaded_client(logdir).get(
        "/data/plugin/custom_scalars/scalars?run=big&tag=loss&width=100").json["tag_to_events"]["loss"]
    assert len(rows) <= 4 * 100 + 2 and [12_345, 99.0] in [r[1:] for r in rows]
    assert rows[0][1] == 0 and rows[-1][1] == 19_999


def test_layouts_of_runs_from_the_three_writers_merge_into_one(logdir):
    write_custom_run(logdir / "a_torch", "torch")
    write_custom_run(logdir / "b_tbx", "tensorboardX", layout={
        "Losses": {"train and test": ["Multiline", ["loss/(train|test)$"]],  # the same chart
                   "ema": ["Multiline", ["loss/train_ema"]]},
        "Other": {"other": ["Multiline", ["other"]]}}, offset=1.0)
    write_custom_run(logdir / "c_flowlog", "flowlog", layout={
        "Bands": {"accuracy ± σ": ["Margin", ["acc/mean", "acc/low", "acc/high"]]}})
    client = loaded_client(logdir)
    merged = client.get("/data/plugin/custom_scalars/layout").json["category"]
    assert [c["title"] for c in merged] == ["Losses", "Bands", "Other"]
    assert [c["title"] for c in merged[0]["chart"]] == ["train and test", "everything", "ema"]
    assert len(merged[1]["chart"]) == 1  # written twice, kept once
    charts = client.get("/data/plugin/custom_scalars/charts").json["categories"]
    assert sorted(charts[0]["charts"][0]["tags"]) == ["a_torch", "b_tbx", "c_flowlog"]
    body = client.get("/data/plugin/custom_scalars/scalars?run=b_tbx&tag=acc/mean").json
    assert body["tag_to_events"]["acc/mean"][0][2] == pytest.approx(1.5)


def test_an_unreadable_layout_is_skipped_and_the_others_still_show(logdir):
    t = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"\xff\xff not a layout"])
    v = summary_pb2.Summary.Value(tag="custom_scalars__config__", tensor=t)
    v.metadata.plugin_data.plugin_name = "custom_scalars"
    new_file(logdir / "broken", [event(0, summary=summary_pb2.Summary(value=[v]))])
    client = loaded_client(logdir)
    assert client.get("/data/plugin/custom_scalars/layout").json == {}
    write_custom_run(logdir / "good", "flowlog")
    client = loaded_client(logdir)
    assert client.get("/data/plugin/custom_scalars/layout").json == EXPECTED
    assert client.get("/data/plugins_listing").json["custom_scalars"] == {"enabled": True}


def test_invalid_regexes_are_reported_with_their_chart(logdir):
    write_custom_run(logdir / "r", "flowlog", layout={"C": {"bad": ["Multiline", ["loss/(", "acc"]]}})
    chart = loaded_client(logdir).get("/data/plugin/custom_scalars/charts").json["categories"][0]["charts"][0]
    assert chart["invalid"] == ["loss/("] and chart["tags"] == {"r": ["acc/high", "acc/low", "acc/mean"]}


def test_bad_requests_name_what_is_wrong(written):
    _, _, client = written
    cases = [("?tag=loss", 400, "'run'"), ("?run=nope&tag=loss", 404, "'nope'"),
             ("?run=r&tag=loss&width=0", 400, "width"), ("?run=r&tag=loss&width=x", 400, "width")]
    for query, status, words in cases:
        resp = client.get("/data/plugin/custom_scalars/scalars" + query)
        assert resp.status_code == status and words in resp.json["error"], (query, resp.json)
