"""Summary builders: values, metadata, PNG pixels, histogram buckets, bad input."""

import math
import struct
import zlib

import numpy as np
import pytest

from flowlog.proto import plugins_pb2, types_pb2
from flowlog.summaries import builders, hparams_plugin


def decode_png(data):
    """Pixels of a PNG written with filter 0 (what ours writes), chunk CRCs checked."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]
        assert struct.unpack(">I", data[pos + 8 + n : pos + 12 + n])[0] == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + n
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert depth == 8 and (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, channels)


@pytest.mark.parametrize(
    ("shape", "fmt"),
    [
        ((3, 4, 5), "CHW"),
        ((4, 5, 3), "HWC"),
        ((4, 5), "HW"),
        ((4, 4, 5), "CHW"),
        ((1, 4, 5), "CHW"),
    ],
)
def test_image_pixels_round_trip(shape, fmt):
    pixels = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    img = builders.image("img", pixels, dataformats=fmt).value[0].image
    hwc = (
        pixels[..., None]
        if fmt == "HW"
        else (pixels.transpose(1, 2, 0) if fmt == "CHW" else pixels)
    )
    assert (img.height, img.width, img.colorspace) == hwc.shape
    np.testing.assert_array_equal(decode_png(img.encoded_image_string), hwc)


@pytest.mark.parametrize("fmt", ["NCHW", "NHWC"])
def test_a_batch_of_images_is_tiled_eight_a_row(fmt):
    batch = np.random.default_rng(1).integers(0, 256, size=(10, 3, 4, 5), dtype=np.uint8)
    arr = batch if fmt == "NCHW" else batch.transpose(0, 2, 3, 1)
    img = builders.images("batch", arr, dataformats=fmt).value[0].image
    grid = decode_png(img.encoded_image_string)
    assert grid.shape == (2 * 4, 8 * 5, 3)
    hwc = batch.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(grid[0:4, 0:5], hwc[0])
    np.testing.assert_array_equal(grid[4:8, 5:10], hwc[9])  # second row, second column
    assert not grid[4:8, 10:].any()  # the rest of the last row stays black


def test_a_batch_needs_a_batch_dimension():
    with pytest.raises(ValueError, match="'batch'.*NCHW, NHWC, NHW.*shape \\(3, 4, 5\\)"):
        builders.images("batch", np.zeros((3, 4, 5), np.uint8), "NCHW")


def test_float_images_scale_from_unit_range():
    img = builders.image("f", np.array([[0.0, 0.5, 1.0, 2.0, -1.0, np.nan]]), "HW").value[0].image
    assert decode_png(img.encoded_image_string).ravel().tolist() == [0, 128, 255, 255, 0, 0]


@pytest.mark.parametrize(
    ("img", "fmt", "match"),
    [
        (np.zeros((5, 4, 4)), "CHW", "channels"),
        (np.zeros((3, 4)), "CHW", "dataformats"),
        (np.zeros((3, 4, 4)), "XYZ", "dataformats"),
        (np.full((3, 3), 300), "HW", r"\[0, 255\]"),
    ],
)
def test_bad_images_say_what_is_wrong(img, fmt, match):
    with pytest.raises(ValueError, match=match):
        builders.image("img", img, fmt)


def test_scalar_metadata_like_tensorboard():
    value = builders.scalar("s", np.float64(1.25), new_style=True).value[0]
    assert value.metadata.plugin_data.plugin_name == "scalars"
    assert plugins_pb2.ScalarPluginData.FromString(value.metadata.plugin_data.content).version == 0
    assert value.tensor.dtype == types_pb2.DT_FLOAT and list(value.tensor.float_val) == [1.25]
    assert len(value.tensor.tensor_shape.dim) == 0
    assert builders.scalar("s", 3).value[0].simple_value == 3.0


def test_histogram_rejects_non_finite_and_empty():
    with pytest.raises(ValueError, match="Nan in summary histogram for: w"):
        builders.histogram("w", [1.0, math.nan])
    with pytest.raises(ValueError, match="Nan in summary histogram for: w"):
        builders.histogram("w", [math.inf])
    with pytest.raises(ValueError, match="'w' got no values"):
        builders.histogram("w", [])
    with pytest.raises(TypeError, match="'w'"):
        builders.histogram("w", ["a"])


def test_tensorflow_buckets_collapse_empty_runs():
    h = builders.histogram("h", [0.0, 0.0, 1.0, -1.0]).value[0].histo
    limits = builders.tensorflow_bucket_limits()
    assert sum(h.bucket) == 4 and h.num == 4 and (h.min, h.max) == (-1.0, 1.0)
    assert all(c > 0 for c in h.bucket[1::2]) and not any(h.bucket[0::2])  # empty runs between
    assert set(h.bucket_limit) <= set(limits.tolist()) and h.bucket_limit[-1] == limits[-1]


def test_text_and_hparams():
    value = builders.text("notes", "# hi").value[0]
    assert value.tensor.string_val == [b"# hi"] and value.metadata.plugin_data.plugin_name == "text"
    with pytest.raises(TypeError, match="'notes'"):
        builders.text("notes", 3)
    _, start, end = hparams_plugin.hparams({"n": np.int64(3), "f": np.float32(0.5)}, {"m": 1})
    data = plugins_pb2.HParamsPluginData.FromString(start.value[0].metadata.plugin_data.content)
    assert dict(data.session_start_info.hparams)["n"].number_value == 3.0
    assert end.value[0].tag == "_hparams_/session_end_info"
    with pytest.raises(TypeError, match="'opt'"):
        hparams_plugin.hparams({"opt": object()}, {})
    with pytest.raises(TypeError, match="dicts"):
        hparams_plugin.hparams([("a", 1)], {})
