"""The PR curves routes over logdirs written by torch.utils.tensorboard, tensorboardX and
flowlog: the same answer TensorBoard's own pr_curves plugin gives for those files."""
from __future__ import annotations

import numpy as np
import pytest
from dashboard_events import event, loaded_client, new_file
from tensorboard.backend.event_processing.event_accumulator import TENSORS, EventAccumulator
from tensorboard.plugins.pr_curve.pr_curves_plugin import PrCurvesPlugin
from tensorboard.util.tensor_util import make_ndarray
from tensorboardX import SummaryWriter as TensorboardXWriter
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import flowlog as fl
from flowlog.proto import summary_pb2, tensor_pb2, types_pb2

WRITERS = {"torch": TorchWriter, "tensorboardX": TensorboardXWriter, "flowlog": fl.SummaryWriter}
STEPS = (0, 5, 10)
# add_pr_curve_raw's counts at 4 thresholds: 10 positives and 10 negatives.
RAW = {"tp": [10, 8, 5, 0], "fp": [10, 4, 1, 0], "tn": [0, 6, 9, 10], "fn": [0, 2, 5, 10]}


def scores(step: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(labels, predictions in [0, 1]) of a classifier that gets better with the step."""
    rng = np.random.default_rng(seed * 1000 + step)
    labels = rng.integers(0, 2, 200)
    skill = 0.1 + 0.08 * step
    predictions = np.clip(labels * skill + rng.random(200) * (1 - skill), 0, 1)
    return labels, predictions


def write_pr_run(run_dir, writer: str, seed: int = 0, steps=STEPS) -> None:
    """A run written by `writer` with the curves of `log_pr_curves`."""
    w = WRITERS[writer](str(run_dir))
    log_pr_curves(w, seed, steps)
    w.close()


def log_pr_curves(w, seed: int = 0, steps=STEPS) -> None:
    """With writer `w`: a pr curve per step (`pr/cls`) and, at each step, `pr/raw` from RAW."""
    precision = [tp / max(tp + fp, 1) for tp, fp in zip(RAW["tp"], RAW["fp"])]
    recall = [tp / (tp + fn) for tp, fn in zip(RAW["tp"], RAW["fn"])]
    for step in steps:
        labels, predictions = scores(step, seed)
        w.add_pr_curve("pr/cls", labels, predictions, step, num_thresholds=51)
        w.add_pr_curve_raw("pr/raw", *(np.array(RAW[k]) for k in ("tp", "fp", "tn", "fn")),
                           np.array(precision), np.array(recall), step, num_thresholds=4)


@pytest.fixture(params=list(WRITERS))
def written(request, logdir):
    """(writer name, logdir holding run `r` written by it, a test client over it)."""
    write_pr_run(logdir / "r", request.param)
    return request.param, logdir, loaded_client(logdir)


def test_tags_route_lists_the_curves_of_every_writer(written):
    _, _, client = written
    assert client.get("/data/plugin/pr_curves/tags").json == {"r": {
        "pr/cls": {"displayName": "pr/cls", "description": "", "count": len(STEPS)},
        "pr/raw": {"displayName": "pr/raw", "description": "", "count": len(STEPS)}}}


def test_curves_equal_what_tensorboards_plugin_answers(written):
    name, logdir, client = written
    body = client.get("/data/plugin/pr_curves/pr_curves?run=r&tag=pr/cls").json
    acc = EventAccumulator(str(logdir / "r"), size_guidance={TENSORS: 0})
    acc.Reload()
    expected = [PrCurvesPlugin._make_pr_entry(None, t.step, t.wall_time, make_ndarray(t.tensor_proto))
                for t in acc.Tensors("pr/cls")]
    assert [e["step"] for e in body["r"]] == list(STEPS), name
    for got, want in zip(body["r"], expected):
        assert got.keys() == want.keys()
        for key, value in want.items():
            np.testing.assert_allclose(got[key], value, rtol=1e-6, err_msg=f"{name}: {key}")


def test_counts_match_the_labels_and_differ_between_steps(written):
    _, _, client = written
    entries = client.get("/data/plugin/pr_curves/pr_curves?run=r&tag=pr/cls").json["r"]
    for entry in entries:
        labels, _ = scores(entry["step"])
        # threshold 0: everything is predicted positive
        assert entry["thresholds"][0] == 0.0 and entry["recall"][0] == pytest.approx(1.0)
        assert entry["true_positives"][0] + entry["false_negatives"][0] == labels.sum()
        assert entry["false_positives"][0] + entry["true_negatives"][0] == (labels == 0).sum()
    assert entries[0]["precision"] != entries[-1]["precision"]


def test_raw_curves_come_back_as_written(written):
    _, _, client = written
    entry = client.get("/data/plugin/pr_curves/pr_curves?run=r&tag=pr/raw").json["r"][-1]
    # the last threshold predicts nothing positive (TP + FP = 0): cut, as TensorBoard does
    assert entry["thresholds"] == pytest.approx([0, 1 / 3, 2 / 3])
    assert entry["true_positives"] == RAW["tp"][:3] and entry["false_positives"] == RAW["fp"][:3]
    assert entry["true_negatives"] == RAW["tn"][:3] and entry["false_negatives"] == RAW["fn"][:3]
    assert entry["precision"] == pytest.approx([0.5, 8 / 12, 5 / 6])
    assert entry["recall"] == pytest.approx([1.0, 0.8, 0.5])


def test_several_runs_from_the_three_writers_in_one_answer(logdir):
    for seed, writer in enumerate(WRITERS):
        write_pr_run(logdir / writer, writer, seed=seed)
    client = loaded_client(logdir)
    assert sorted(client.get("/data/plugin/pr_curves/tags").json) == sorted(WRITERS)
    body = client.get("/data/plugin/pr_curves/pr_curves?tag=pr/cls&run=torch&run=tensorboardX"
                      "&run=flowlog").json
    assert list(body) == ["torch", "tensorboardX", "flowlog"]
    assert len({str(body[w][0]["precision"]) for w in WRITERS}) == 3  # each run its own data


def test_long_runs_answer_at_most_100_curves_the_newest_kept(logdir):
    write_pr_run(logdir / "long", "flowlog", steps=range(250))
    entries = loaded_client(logdir).get("/data/plugin/pr_curves/pr_curves?run=long&tag=pr/raw").json
    steps = [e["step"] for e in entries["long"]]
    assert len(steps) == 100 and steps[0] == 0 and steps[-1] == 249 and steps == sorted(steps)


def test_a_damaged_curve_is_left_out_and_the_others_still_show(logdir):
    def curve(step, rows):
        t = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[1.0] * rows * 3)
        t.tensor_shape.dim.add(size=rows)
        t.tensor_shape.dim.add(size=3)
        v = summary_pb2.Summary.Value(tag="pr", tensor=t)
        v.metadata.plugin_data.plugin_name = "pr_curves"
        v.metadata.display_name = "nice name"
        return event(step, summary=summary_pb2.Summary(value=[v]))

    new_file(logdir / "d", [curve(0, 6), curve(1, 5), curve(2, 6)])
    client = loaded_client(logdir)
    assert client.get("/data/plugin/pr_curves/tags").json["d"]["pr"]["displayName"] == "nice name"
    entries = client.get("/data/plugin/pr_curves/pr_curves?run=d&tag=pr").json["d"]
    assert [e["step"] for e in entries] == [0, 2]


def test_bad_requests_name_what_is_wrong(written):
    _, _, client = written
    cases = [("?tag=pr/cls", 400, "'run'"), ("?run=r", 400, "'tag'"),
             ("?run=nope&tag=pr/cls", 404, "'nope'"), ("?run=r&tag=nope", 404, "'nope'"),
             ("?tag=pr/cls" + "&run=r" * 101, 400, "at most 100 runs")]
    for query, status, words in cases:
        resp = client.get("/data/plugin/pr_curves/pr_curves" + query)
        assert resp.status_code == status and words in resp.json["error"], (query, resp.json)
