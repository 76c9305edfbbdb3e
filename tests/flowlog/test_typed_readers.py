"""Typed readers on TensorFlow-style files: tensor summaries, metadata on a tag's first value."""

import numpy as np
import pytest
from tensorboard.compat.proto import event_pb2 as tb_event_pb2
from tensorboard.compat.proto import summary_pb2 as tb_summary_pb2
from tensorboard.plugins.histogram import summary_v2 as histogram_v2
from tensorboard.plugins.text import summary_v2 as text_v2
from tensorboard.summary.writer.event_file_writer import EventFileWriter as TbEventFileWriter
from tensorboard.util import tensor_util

import flowlog as fl
from flowlog.codecs.png import encode_png
from flowlog.summaries import plugins as plugin_summaries
from flowlog.summaries.media import wav_bytes


def _write_tf(logdir, summaries):
    """Events as TensorFlow 2 writes them, with tensorboard's own event file writer."""
    w = TbEventFileWriter(str(logdir))
    for step, summary in summaries:
        w.add_event(tb_event_pb2.Event(step=step, wall_time=1.0, summary=summary))
    w.close()


def _tensor_value(tag, plugin, array):
    meta = tb_summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = plugin
    proto = tensor_util.make_tensor_proto(array)
    return tb_summary_pb2.Summary(value=[tb_summary_pb2.Summary.Value(
        tag=tag, metadata=meta, tensor=proto)])


def test_tensorflow_2_histograms_text_images_and_audio(tmp_path):
    pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    clip = np.linspace(-0.5, 0.5, 50)
    _write_tf(tmp_path, [
        (1, histogram_v2.histogram_pb("h", np.arange(10.0), buckets=3)),
        (2, text_v2.text_pb("t", "hello **tf**")),
        # TF2 images: a string tensor [width, height, png, ...]
        (3, _tensor_value("i", "images", np.array([b"4", b"2", encode_png(pixels)], object))),
        # TF2 audio: a string tensor [[wav, label], ...]
        (4, _tensor_value("a", "audio", np.array([[wav_bytes(clip, 50), b""]], object))),
    ])
    (h,) = fl.read_histograms(tmp_path)["."]["h"]
    assert (h.step, h.num, h.min, h.max) == (1, 10, 0.0, 9.0)
    assert h.bucket_counts.tolist() == [3, 3, 4] and h.bucket_limits[-1] == 9.0
    assert fl.read_text(tmp_path)["."]["t"][0].text == "hello **tf**"
    np.testing.assert_array_equal(fl.read_images(tmp_path)["."]["i"][0].image, pixels)
    audio = fl.read_audio(tmp_path)["."]["a"][0]
    assert audio.sample_rate == 50
    np.testing.assert_allclose(audio.samples[:, 0], clip, atol=1 / 32767)


def test_plugin_remembered_when_metadata_is_on_the_first_value_only(tmp_path):
    # TF1's FileWriter (ours too) stores a tag's metadata with its first value only.
    labels, predictions = np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.6, 0.4])
    with fl.FileWriter(tmp_path) as w:
        for step in range(3):
            w.add_summary(plugin_summaries.pr_curve("pr", labels, predictions, 5), step)
    curves = fl.read_pr_curves(tmp_path)["."]["pr"]
    assert [c.step for c in curves] == [0, 1, 2]
    assert curves[2].thresholds.tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert curves[2].tp.tolist() == [2, 2, 2, 1, 0] and curves[2].precision[1] == pytest.approx(2 / 3)


def test_readers_want_a_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected a log directory"):
        fl.read_histograms(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="expected a log directory"):
        fl.read_embeddings(tmp_path / "missing")
