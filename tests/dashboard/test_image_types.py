"""Images are served with the content type of their bytes: PNG, JPEG, and GIF (videos) animate."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from dashboard_events import loaded_client
from media_logs import moving_square
from PIL import Image
from tensorboard.compat.proto import summary_pb2
from tensorboardX import SummaryWriter as TensorboardXWriter
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import flowlog as fl
from flowlog.codecs.gif import decode_gif

PIXELS = np.linspace(0, 1, 3 * 16 * 20).reshape(3, 16, 20)  # CHW


def jpeg(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray((pixels.transpose(1, 2, 0) * 255).astype(np.uint8)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("image_types")
    with TorchWriter(str(logdir / "torch")) as w:
        w.add_image("png", torch.from_numpy(PIXELS), 0)
        # A JPEG image summary, as TensorFlow's tf.summary.image can write one
        image = summary_pb2.Summary.Image(height=16, width=20, colorspace=3,
                                          encoded_image_string=jpeg(PIXELS))
        w._get_file_writer().add_summary(
            summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="jpeg", image=image)]), 0)
    with TensorboardXWriter(str(logdir / "tensorboardX")) as w:
        w.add_image("png", PIXELS, 0)
    with fl.SummaryWriter(logdir / "flowlog") as w:
        w.add_video("video", moving_square(frames=6, size=16), 0, fps=5)
    return loaded_client(logdir)


@pytest.mark.parametrize("run, tag, mime, size", [
    ("torch", "png", "image/png", (20, 16)), ("tensorboardX", "png", "image/png", (20, 16)),
    ("torch", "jpeg", "image/jpeg", (20, 16)), ("flowlog", "video", "image/gif", (16, 16))])
def test_each_image_has_its_content_type(client, run, tag, mime, size):
    r = client.get("/data/plugin/images/individualImage", query_string={"run": run, "tag": tag})
    assert r.status_code == 200 and r.mimetype == mime
    assert Image.open(io.BytesIO(r.data)).size == size


def test_a_video_is_an_animated_gif_of_every_frame(client):
    entry, = client.get("/data/plugin/images/images",
                        query_string={"run": "flowlog", "tag": "video"}).json
    assert (entry["width"], entry["height"], entry["samples"]) == (16, 16, 1)
    data = client.get("/data/plugin/images/individualImage",
                      query_string={"run": "flowlog", "tag": "video"}).data
    frames = decode_gif(data)
    expected = moving_square(frames=6, size=16)[0].transpose(0, 2, 3, 1)
    assert frames.shape == expected.shape
    np.testing.assert_array_equal(frames, expected)  # black and white survive the palette
    assert Image.open(io.BytesIO(data)).n_frames == 6
