"""TensorBoard and tensorboardX as peers: they read what we write, we read what they write."""

import numpy as np
import pytest
from graph_samples import GraphDefBuilder
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.compat.proto import event_pb2 as tb_event_pb2
from tensorboard.compat.proto import summary_pb2 as tb_summary_pb2
from tensorboard.plugins.hparams import plugin_data_pb2 as tb_hparams_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter as TbEventFileWriter
from tensorboard.util import tensor_util
from tensorboardX import SummaryWriter as TbxSummaryWriter

import flowlog as fl
from flowlog.proto import graph_pb2, step_stats_pb2
from flowlog.summaries import builders


def _load(logdir):
    acc = EventAccumulator(
        str(logdir),
        size_guidance={
            k: 0 for k in ("scalars", "histograms", "images", "tensors", "compressedHistograms")
        },
    )
    acc.Reload()
    return acc


def test_event_accumulator_reads_scalars(tmp_path):
    values = [0.5, -3.25, float("nan"), float("inf"), 1e30, 7]
    with fl.SummaryWriter(tmp_path) as w:
        for i, v in enumerate(values):
            w.add_scalar("loss", v, i, walltime=1000.0 + i)
            w.add_scalar("acc", np.float32(v), i * 1000, new_style=True)
    acc = _load(tmp_path)
    got = acc.Scalars("loss")
    assert [e.step for e in got] == list(range(6))
    assert [e.wall_time for e in got] == [1000.0 + i for i in range(6)]
    np.testing.assert_array_equal([e.value for e in got], np.float32(values))
    tensors = acc.Tensors("acc")
    assert [e.step for e in tensors] == [i * 1000 for i in range(6)]
    np.testing.assert_array_equal(
        [tensor_util.make_ndarray(e.tensor_proto) for e in tensors], np.float32(values)
    )
    assert acc.SummaryMetadata("acc").plugin_data.plugin_name == "scalars"


@pytest.mark.parametrize("bins", ["tensorflow", 10, "auto", [-2, 0, 1, 5]])
def test_event_accumulator_reads_histograms(tmp_path, bins):
    values = np.random.default_rng(0).normal(size=1000)
    with fl.SummaryWriter(tmp_path) as w:
        w.add_histogram("weights", values, 3, bins=bins)
    (event,) = _load(tmp_path).Histograms("weights")
    h = event.histogram_value
    assert event.step == 3
    assert (h.min, h.max, h.num) == (values.min(), values.max(), 1000)
    assert h.sum == pytest.approx(values.sum()) and h.sum_squares == pytest.approx(values @ values)
    if bins == "tensorflow":
        assert sum(h.bucket) == 1000 and h.bucket_limit[-1] == np.finfo(np.float64).max
        # every value lies below its bucket's limit and at or above the previous one
        limits = np.array(h.bucket_limit)
        idx = np.searchsorted(limits, values, side="right")
        np.testing.assert_array_equal(
            np.bincount(idx, minlength=len(limits))[: len(limits)], h.bucket
        )
    else:
        # torch's and tensorboardX's layout: empty buckets trimmed, one empty bucket in front
        counts, edges = np.histogram(values, bins=bins)
        assert list(h.bucket) == [0, *counts.tolist()]
        assert list(h.bucket_limit) == edges.tolist()


def test_tensorflow_buckets_match_tensorboardx(tmp_path):
    values = np.random.default_rng(1).exponential(size=500) - 0.3
    theirs = tmp_path / "tbx"
    with TbxSummaryWriter(str(theirs)) as w:
        w.add_histogram("h", values, 0, bins="tensorflow")
    with fl.SummaryWriter(tmp_path / "ours") as w:
        w.add_histogram("h", values, 0)
    (a,) = _load(theirs).Histograms("h")
    (b,) = _load(tmp_path / "ours").Histograms("h")

    # Same non-empty buckets (tensorboardX keeps empty ones in between, TF collapses them).
    def nonempty(h):
        return [(lim, c) for lim, c in zip(h.bucket_limit, h.bucket) if c]

    assert nonempty(a.histogram_value) == nonempty(b.histogram_value)


def test_event_accumulator_reads_images(tmp_path):
    rgb = np.random.default_rng(2).integers(0, 256, size=(3, 5, 7), dtype=np.uint8)
    with fl.SummaryWriter(tmp_path) as w:
        w.add_image("rgb", rgb, 1)
        w.add_image("grey", np.full((4, 6), 0.5), 2, dataformats="HW")
    acc = _load(tmp_path)
    (img,) = acc.Images("rgb")
    assert (img.step, img.width, img.height) == (1, 7, 5)
    assert img.encoded_image_string.startswith(b"\x89PNG\r\n\x1a\n")
    (grey,) = acc.Images("grey")
    assert (grey.width, grey.height) == (6, 4)


def test_event_accumulator_reads_text_graph_run_metadata(tmp_path):
    graph = GraphDefBuilder()
    graph.op("x", "Placeholder")
    meta = step_stats_pb2.RunMetadata()
    meta.step_stats.dev_stats.add(device="/cpu:0").node_stats.add(node_name="x", all_start_micros=5)
    with fl.SummaryWriter(tmp_path) as w:
        w.add_text("notes", "**bold** ünïcode", 4)
        w.add_graph(graph.graph)
        w.add_run_metadata(meta, "step1", 1)
    acc = _load(tmp_path)
    (text,) = acc.Tensors("notes/text_summary")  # torch's and tensorboardX's tag
    assert tensor_util.make_ndarray(text.tensor_proto).item() == "**bold** ünïcode".encode()
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"
    assert graph_pb2.GraphDef.FromString(acc.Graph().SerializeToString()) == graph.graph
    assert acc.RunMetadata("step1").SerializeToString() == meta.SerializeToString()


def test_event_accumulator_reads_hparams(tmp_path):
    with fl.SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "opt": "adam", "bn": True, "skip": None}, {"hp/acc": 0.9}, "t1")
    acc = _load(tmp_path / "t1")
    content = acc.PluginTagToContent("hparams")
    exp = tb_hparams_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    assert [(h.name, h.type) for h in exp.hparam_infos] == [("lr", 3), ("opt", 1), ("bn", 2)]
    assert [m.name.tag for m in exp.metric_infos] == ["hp/acc"]
    start = tb_hparams_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]
    ).session_start_info
    assert start.hparams["lr"].number_value == 0.1 and start.hparams["opt"].string_value == "adam"
    assert start.hparams["bn"].bool_value is True
    assert acc.Scalars("hp/acc")[0].value == pytest.approx(0.9)


def test_read_scalars_reads_tensorboardx(tmp_path):
    with TbxSummaryWriter(str(tmp_path)) as w:
        for i in range(20):
            w.add_scalar("old", i * 0.5, i)
            w.add_scalar("described", -i, i * 10, display_name="Described")
        w.add_scalars("multi", {"a": 1.0, "b": 2.0}, 7)
    runs = fl.read_scalars(tmp_path)
    steps, walls, values = runs["."]["old"]
    assert steps.tolist() == list(range(20)) and values.tolist() == [i * 0.5 for i in range(20)]
    assert walls.dtype == np.float64 and (walls > 1e9).all()
    steps, _, values = runs["."]["described"]
    assert steps.tolist() == [i * 10 for i in range(20)] and values.tolist() == [
        -i for i in range(20)
    ]
    assert runs["multi/a"]["multi"][2].tolist() == [1.0]
    assert runs["multi/b"]["multi"][2].tolist() == [2.0]


@pytest.mark.parametrize("new_style", [False, True])
def test_read_scalars_reads_tensorboard_event_file_writer(tmp_path, new_style):
    """What torch.utils.tensorboard writes: Summary + Event protos into EventFileWriter."""
    writer = TbEventFileWriter(str(tmp_path))
    for i in range(30):
        if new_style:
            summary = tb_summary_pb2.Summary(
                value=[
                    tb_summary_pb2.Summary.Value(
                        tag="loss",
                        tensor=tensor_util.make_tensor_proto(np.float32(i / 4)),
                        metadata=tb_summary_pb2.SummaryMetadata(
                            plugin_data=tb_summary_pb2.SummaryMetadata.PluginData(
                                plugin_name="scalars"
                            )
                        ),
                    )
                ]
            )
        else:
            summary = tb_summary_pb2.Summary(
                value=[tb_summary_pb2.Summary.Value(tag="loss", simple_value=i / 4)]
            )
        writer.add_event(tb_event_pb2.Event(summary=summary, step=i, wall_time=500.0 + i))
    writer.close()
    steps, walls, values = fl.read_scalars(tmp_path)["."]["loss"]
    assert steps.tolist() == list(range(30))
    assert walls.tolist() == [500.0 + i for i in range(30)]
    assert values.tolist() == [i / 4 for i in range(30)]


def test_tensorboard_protos_parse_ours_identically():
    """Our messages serialize to bytes TensorBoard's own protos parse to the same content."""
    ours = builders.scalar("a", 1.5, new_style=True)
    theirs = tb_summary_pb2.Summary.FromString(ours.SerializeToString())
    assert theirs.SerializeToString() == ours.SerializeToString()
    assert theirs.value[0].metadata.plugin_data.plugin_name == "scalars"


def test_read_scalars_equals_event_accumulator_on_a_mixed_run(tmp_path):
    """Files by all three writers in one run, old and new style: same points as TensorBoard's."""
    with TbxSummaryWriter(str(tmp_path)) as w:
        for i in range(300):
            w.add_scalar("tbx", i / 3, i)
    tb = TbEventFileWriter(str(tmp_path), filename_suffix=".tb")
    for i in range(300):
        value = tb_summary_pb2.Summary.Value(tag="tb", simple_value=-i)
        tb.add_event(tb_event_pb2.Event(summary=tb_summary_pb2.Summary(value=[value]), step=i))
    tb.close()
    with fl.SummaryWriter(tmp_path) as w:
        for i in range(300):
            w.add_scalar("ours", i * 1.5, i)
            w.add_scalar("ours_new", i * 2.5, i, new_style=True)
            w.add_scalar("a/longer/tag", i, i)
    acc = _load(tmp_path)
    ours = fl.read_scalars(tmp_path)["."]
    for tag, (steps, walls, values) in ours.items():
        if tag == "ours_new":  # TensorBoard keeps new-style scalars as tensors
            theirs = [
                (e.step, e.wall_time, float(tensor_util.make_ndarray(e.tensor_proto)))
                for e in acc.Tensors(tag)
            ]
        else:
            theirs = [(e.step, e.wall_time, e.value) for e in acc.Scalars(tag)]
        assert list(zip(steps.tolist(), walls.tolist(), values.tolist())) == theirs, tag
    assert sorted(ours) == ["a/longer/tag", "ours", "ours_new", "tb", "tbx"]
