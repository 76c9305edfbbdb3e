"""Summary ops: serialized Summary bytes from Session.run, tags, merging, old names, FileWriter."""
from __future__ import annotations

import glob

import numpy as np
import pytest

import flowlog as fl
from flowlog.events.values import EventFileReader
from flowlog.proto import summary_pb2


def parse(data: bytes) -> summary_pb2.Summary:
    assert isinstance(data, bytes)
    return summary_pb2.Summary.FromString(data)


def test_scalar_histogram_image_text_values():
    x = fl.placeholder(fl.float32, [None], name="x")
    scalar = fl.summary.scalar("mean", fl.reduce_mean(x))
    histo = fl.summary.histogram("values", x)
    image = fl.summary.image("pictures", fl.zeros([2, 4, 5, 3]), max_outputs=5)
    text = fl.summary.text("note", fl.constant("**hello**"))
    with fl.Session() as sess:
        s, h, i, t = sess.run([scalar, histo, image, text], {x: [1.0, 2.0, 6.0]})
    (value,) = parse(s).value
    # TensorFlow tags it 'mean_1': tags are unique against op names regardless of case ('Mean').
    assert (value.tag, value.simple_value) == ("mean_1", 3.0)
    (value,) = parse(h).value
    assert value.tag == "values" and (value.histo.min, value.histo.max, value.histo.num) == (
        1.0, 6.0, 3.0)
    images = parse(i).value
    assert [v.tag for v in images] == ["pictures/image/0", "pictures/image/1"]
    assert (images[0].image.height, images[0].image.width) == (4, 5)
    (value,) = parse(t).value
    assert value.tag == "note" and value.metadata.plugin_data.plugin_name == "text"
    assert value.tensor.string_val == [b"**hello**"]


def test_tags_are_unique_scope_names_as_tensorflow_writes_them():
    v = fl.constant(1.0)
    first = fl.summary.scalar("loss", v)
    second = fl.summary.scalar("loss", v * 2)
    with fl.name_scope("layer1"):
        scoped = fl.summary.scalar("w", v)
    odd = fl.summary.scalar("a b:c", v)
    fam = fl.summary.scalar("acc", v, family="eval")
    assert (first.op.name, second.op.name, first.op.type) == ("loss", "loss_1", "ScalarSummary")
    with fl.Session() as sess:
        tags = [parse(b).value[0].tag for b in sess.run([first, second, scoped, odd, fam])]
    assert tags == ["loss", "loss_1", "layer1/w", "a_b_c", "eval/eval/acc"]
    assert fam.op.name == "eval/acc"


def test_tags_ignore_case_against_op_names_while_op_names_do_not():
    with fl.name_scope("Loss"):
        v = fl.identity(fl.constant(1.0))
    summary = fl.summary.scalar("loss", v)
    w = fl.Variable(0.8, name="Weight")
    weight = fl.summary.histogram("weight", w)
    lower = fl.identity(v, name="loss_2")  # op names stay case-sensitive, as in TF1
    assert (summary.op.name, weight.op.name, lower.op.name) == ("loss_1", "weight_1", "loss_2")
    with fl.Session() as sess:
        sess.run(w.initializer)
        assert [parse(b).value[0].tag for b in sess.run([summary, weight])] == [
            "loss_1", "weight_1"]


def test_merge_all_and_collections():
    assert fl.summary.merge_all() is None
    a = fl.summary.scalar("a", fl.constant(1.0))
    b = fl.summary.scalar("b", fl.constant(2.0), collections=["extra"])
    fl.summary.histogram("h", fl.constant([1.0, 2.0]))
    assert fl.get_collection(fl.GraphKeys.SUMMARIES)[0] is a
    assert fl.get_collection("extra") == [b]
    merged = fl.summary.merge_all()
    assert merged.op.name == "Merge/MergeSummary" and merged.op.type == "MergeSummary"
    both = fl.summary.merge([a, b], name="both")
    with fl.Session() as sess:
        assert [v.tag for v in parse(sess.run(merged)).value] == ["a", "h"]
        assert [v.simple_value for v in parse(sess.run(both)).value] == [1.0, 2.0]


def test_old_names():
    w = fl.Variable(0.5, name="weight")
    s1 = fl.scalar_summary(w.op.name, w)
    s2 = fl.histogram_summary("weights", fl.constant([1.0, 2.0, 3.0]))
    s3 = fl.scalar_summary(["a", "b"], fl.constant([1.0, 2.0]))
    merged = fl.merge_all_summaries()
    assert [s1.op.name, s2.op.name, s3.op.name] == [
        "ScalarSummary", "HistogramSummary", "ScalarSummary_1"]
    with fl.Session() as sess:
        sess.run(w.initializer)
        values = parse(sess.run(merged)).value
        assert [v.tag for v in values] == ["weight", "weights", "a", "b"]
        assert values[0].simple_value == 0.5
        assert parse(sess.run(fl.merge_summary([s1]))).value[0].tag == "weight"


def test_summary_errors():
    with pytest.raises(ValueError, match="needs a scalar tensor"):
        fl.summary.scalar("x", fl.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="to have dtype string"):
        fl.summary.text("t", fl.constant(1.0))
    bad = fl.scalar_summary(["a", "b"], fl.constant([1.0, 2.0, 3.0]))
    nan = fl.summary.histogram("h", fl.constant([np.nan]))
    with fl.Session() as sess:
        with pytest.raises(fl.errors.InvalidArgumentError, match="tags and values not the same "
                                                                 "shape"):
            sess.run(bad)
        with pytest.raises(fl.errors.InvalidArgumentError, match="Nan in summary histogram"):
            sess.run(nan)


def test_file_writer_names_and_event_file(tmp_path):
    assert fl.summary.FileWriter is fl.train.SummaryWriter is fl.FileWriter
    x = fl.constant(2.0, name="x")
    summary = fl.summary.scalar("x", x)
    with fl.Session() as sess:
        writer = fl.summary.FileWriter(str(tmp_path), sess.graph)
        for step in range(3):
            writer.add_summary(sess.run(summary), step)
        writer.close()
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    events = list(EventFileReader(path).read())
    graphs = [e for e in events if e.HasField("graph_def")]
    assert len(graphs) == 1
    assert [e.step for e in events if e.HasField("summary")] == [0, 1, 2]
