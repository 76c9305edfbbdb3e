"""Logdirs of histograms, audio and video written by torch's writer, tensorboardX's and ours."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from dashboard_events import event, new_file
from tensorboardX import SummaryWriter as TensorboardXWriter
from tensorboardX.proto import summary_pb2 as tbx_summary_pb2
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import flowlog as fl
from flowlog.proto import extra_plugins_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2
from flowlog.summaries.media import wav_bytes

RATE = 8000
# Clip lengths in seconds, one clip per step: step k lasts SECONDS[k].
SECONDS = (0.5, 1.25, 2.0)
WRITERS = {"torch": TorchWriter, "tensorboardX": TensorboardXWriter, "flowlog": fl.SummaryWriter}


def tone(seconds: float, hz: float = 440.0, rate: int = RATE) -> np.ndarray:
    """A sine of `seconds` at `hz`, samples in [-0.5, 0.5]."""
    t = np.arange(round(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def relu_activations(steps: int, every: int = 1, seed: int = 0):
    """(step, ReLU outputs) of a small torch MLP's hidden layer every `every` steps of
    training: about half of them exactly 0, the rest spreading out as it learns."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(20, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1))
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    x = torch.randn(512, 20)
    y = 3 * (x[:, :1] * 2 + x[:, 1:2]).tanh()
    for step in range(steps):
        hidden = net[1](net[0](x))
        loss = ((net[2](hidden) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % every == 0:
            yield step, hidden.detach()


def _tbx_audio(writer, tag: str, clip: np.ndarray, step: int) -> None:
    """tensorboardX's audio summary, built as its `summary.audio` builds it: that function
    needs the soundfile package, which the tests do without, so the WAV comes from ours."""
    audio = tbx_summary_pb2.Summary.Audio(
        sample_rate=RATE, num_channels=1, length_frames=len(clip),
        encoded_audio_string=wav_bytes(clip, RATE), content_type="audio/wav")
    summary = tbx_summary_pb2.Summary(value=[tbx_summary_pb2.Summary.Value(tag=tag, audio=audio)])
    writer._get_file_writer().add_summary(summary, step)


def write_run(logdir: Path, name: str, histogram_steps: int = 3, every: int = 1) -> Path:
    """A run `name` (one of WRITERS) with ReLU histograms, a clip per step and, where the
    writer can without moviepy (ours), a video."""
    with WRITERS[name](str(logdir / name)) as w:
        for step, hidden in relu_activations(histogram_steps, every):
            w.add_histogram("relu/hidden", hidden, step)
        for step, seconds in enumerate(SECONDS):
            clip = tone(seconds, 220 * (step + 1))
            if name == "tensorboardX":
                _tbx_audio(w, "voice/tone", clip, step)
            else:
                w.add_audio("voice/tone", torch.from_numpy(clip), step, sample_rate=RATE)
        if name == "flowlog":
            w.add_video("clips/moving", moving_square(), 0, fps=8)
    return logdir / name


def moving_square(frames: int = 8, size: int = 24) -> np.ndarray:
    """One video (1, T, 3, H, W) of a white square moving right across black frames."""
    video = np.zeros((1, frames, 3, size, size), np.uint8)
    for t in range(frames):
        video[0, t, :, 8:16, t * 2: t * 2 + 8] = 255
    return video


def tf2_audio(logdir: Path, tag: str = "speech", steps: int = 2, clips: int = 3) -> Path:
    """TensorFlow 2's audio summaries, record by record: a [k, 2] string tensor of
    (WAV, markdown label) rows, the audio plugin's metadata on the first value."""
    events = []
    for step in range(steps):
        strings = []
        for k in range(clips):
            strings += [wav_bytes(tone(0.25 * (k + 1), 300 + 100 * k), RATE),
                        f"**clip {k}** of step {step}".encode()]
        shape = tensor_shape_pb2.TensorShapeProto(dim=[
            tensor_shape_pb2.TensorShapeProto.Dim(size=clips),
            tensor_shape_pb2.TensorShapeProto.Dim(size=2)])
        value = summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING, tensor_shape=shape, string_val=strings))
        if step == 0:
            value.metadata.plugin_data.plugin_name = "audio"
            value.metadata.plugin_data.content = extra_plugins_pb2.AudioPluginData(
                encoding=extra_plugins_pb2.AudioPluginData.WAV).SerializeToString()
        events.append(event(step, summary=summary_pb2.Summary(value=[value])))
    return new_file(logdir / "tf2", events)


__all__ = ["RATE", "SECONDS", "WRITERS", "moving_square", "relu_activations",
           "tf2_audio", "tone", "write_run"]


def every_writer(logdir: Path, histogram_steps: int = 3) -> Path:
    """`logdir` with a run written by each of WRITERS (see `write_run`)."""
    for name in WRITERS:
        write_run(logdir, name, histogram_steps=histogram_steps)
    return logdir
