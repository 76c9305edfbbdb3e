"""Typed readers beside `read_scalars`: histograms, images, audio, text, pr curves, hparams and
embeddings as data, from files of flowlog, torch.utils.tensorboard, tensorboardX or TensorFlow.

Each returns `{run: {tag: [record, ...]}}` (embeddings and hparams: `{run: ...}`), records
in file order, runs named as `read_scalars` names them.
"""

from __future__ import annotations

import io
import os
import warnings
import wave
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from flowlog.codecs.gif import decode_gif
from flowlog.codecs.png import decode_png
from flowlog.events.reader import read_events, run_files
from flowlog.events.values import decode_tensor, plugin_of, scalar_of
from flowlog.proto import plugins_pb2
from flowlog.summaries.projector import CONFIG_NAME, Embedding, read_embedding_config


class Histogram(NamedTuple):
    step: int
    wall_time: float
    min: float
    max: float
    num: float
    sum: float
    sum_squares: float
    bucket_limits: np.ndarray  # right edge of each bucket
    bucket_counts: np.ndarray


class Image(NamedTuple):
    step: int
    wall_time: float
    image: np.ndarray  # uint8 (H, W, C); an animated GIF (video) is (T, H, W, 3)


class Audio(NamedTuple):
    step: int
    wall_time: float
    samples: np.ndarray  # float in [-1, 1], (frames, channels)
    sample_rate: float


class Text(NamedTuple):
    step: int
    wall_time: float
    text: str


class PrCurve(NamedTuple):
    step: int
    wall_time: float
    thresholds: np.ndarray
    tp: np.ndarray
    fp: np.ndarray
    tn: np.ndarray
    fn: np.ndarray
    precision: np.ndarray
    recall: np.ndarray


class HParams(NamedTuple):
    hparams: dict[str, Any]  # name -> str, bool or float
    metrics: dict[str, float]  # metric tag -> its last value in the run
    domains: dict[str, list]  # name -> the discrete values it may take, where given


def _values(logdir: str | os.PathLike) -> Iterator[tuple[str, Any, Any, str]]:
    """(run, event, summary value, plugin) of every summary value under `logdir`."""
    if not os.path.isdir(logdir):
        raise FileNotFoundError(f"expected a log directory, got {os.fspath(logdir)!r}")
    for run, files in run_files(logdir).items():
        plugins: dict[str, str] = {}
        for path in files:
            for event in read_events(path):
                if event.HasField("summary"):
                    for value in event.summary.value:
                        yield run, event, value, plugin_of(value, plugins)


def _collect(logdir, plugin: str, convert: Callable) -> dict[str, dict[str, list]]:
    out: dict[str, dict[str, list]] = {}
    for run, event, value, kind in _values(logdir):
        if kind != plugin:
            continue
        try:
            record = convert(event, value)
        except ValueError as e:  # damaged or unsupported: the rest still count
            warnings.warn(f"run {run!r}, tag {value.tag!r}, step {event.step}: {e}", stacklevel=3)
            continue
        if record is not None:
            out.setdefault(run, {}).setdefault(value.tag, []).append(record)
    return out


def _histogram(event, value) -> Histogram:
    if value.WhichOneof("value") == "histo":
        h = value.histo
        return Histogram(event.step, event.wall_time, h.min, h.max, h.num, h.sum, h.sum_squares,
                         np.array(h.bucket_limit), np.array(h.bucket))
    # TF2: a (k, 3) tensor of [left edge, right edge, count]
    arr = decode_tensor(value.tensor).astype(np.float64).reshape(-1, 3)
    counts = arr[:, 2]
    centres = (arr[:, 0] + arr[:, 1]) / 2
    num = counts.sum()
    return Histogram(event.step, event.wall_time, float(arr[0, 0]) if len(arr) else 0.0,
                     float(arr[-1, 1]) if len(arr) else 0.0, float(num),
                     float(centres @ counts), float(centres**2 @ counts), arr[:, 1], counts)


def read_histograms(logdir: str | os.PathLike) -> dict[str, dict[str, list[Histogram]]]:
    """Histograms: `histo` values (TF1, torch, tensorboardX) and TF2's (k, 3) tensors.

    For TF2 histograms, which keep no statistics, sum and sum_squares come from bucket centres.
    """
    return _collect(logdir, "histograms", _histogram)


def decode_image(data: bytes) -> np.ndarray:
    """Pixels of PNG or GIF bytes (GIF: all frames); other formats need Pillow."""
    if data.startswith(b"\x89PNG"):
        return decode_png(data)
    if data.startswith(b"GIF8"):
        return decode_gif(data)
    try:
        from PIL import Image as PILImage
    except ImportError:
        raise ValueError("only PNG and GIF images are decoded without Pillow") from None
    return np.asarray(PILImage.open(io.BytesIO(data)))


def _image(event, value) -> Image:
    if value.WhichOneof("value") == "image":
        return Image(event.step, event.wall_time, decode_image(value.image.encoded_image_string))
    # TF2: a string tensor [width, height, image, image, ...]: the first image
    strings = decode_tensor(value.tensor).reshape(-1)
    if len(strings) < 3:
        raise ValueError("image tensor holds no image")
    return Image(event.step, event.wall_time, decode_image(strings[2]))


def read_images(logdir: str | os.PathLike) -> dict[str, dict[str, list[Image]]]:
    """Images (and GIF videos) as uint8 arrays."""
    return _collect(logdir, "images", _image)


def decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """(samples in [-1, 1] shaped (frames, channels), sample rate) of 8/16/32-bit PCM WAV bytes."""
    with wave.open(io.BytesIO(data)) as w:
        width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 1:  # unsigned
        samples = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128) / 128
    elif width in (2, 4):
        kind = np.dtype(f"<i{width}")
        samples = np.frombuffer(raw, kind).astype(np.float64) / np.iinfo(kind).max
    else:
        raise ValueError(f"WAV with {8 * width}-bit samples is not decoded")
    return samples.reshape(-1, channels), rate


def _audio(event, value) -> Audio:
    if value.WhichOneof("value") == "audio":
        samples, rate = decode_wav(value.audio.encoded_audio_string)
        return Audio(event.step, event.wall_time, samples, value.audio.sample_rate or rate)
    # TF2: a string tensor [[wav, label], ...]: the first clip
    strings = decode_tensor(value.tensor).reshape(-1)
    samples, rate = decode_wav(strings[0])
    return Audio(event.step, event.wall_time, samples, float(rate))


def read_audio(logdir: str | os.PathLike) -> dict[str, dict[str, list[Audio]]]:
    """Audio clips as float samples in [-1, 1], (frames, channels)."""
    return _collect(logdir, "audio", _audio)


def _text(event, value) -> Text:
    strings = decode_tensor(value.tensor).reshape(-1)
    # A table (several strings) is joined row by row, tab-separated, as plain text.
    shape = value.tensor.tensor_shape.dim
    cols = shape[-1].size if len(shape) >= 2 and shape[-1].size else 1
    cells = [s.decode("utf-8", "replace") for s in strings]
    rows = ["\t".join(cells[i : i + cols]) for i in range(0, len(cells), cols)]
    return Text(event.step, event.wall_time, "\n".join(rows))


def read_text(logdir: str | os.PathLike) -> dict[str, dict[str, list[Text]]]:
    """Text summaries as str (torch and tensorboardX name the tag `<tag>/text_summary`)."""
    return _collect(logdir, "text", _text)


def pr_curve_of(value, step: int, wall_time: float) -> PrCurve:
    """The curve held by one pr_curves summary value; ValueError if it is not (6, n)."""
    arr = decode_tensor(value.tensor).astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] != 6:
        raise ValueError(f"a pr curve tensor is (6, thresholds), got shape {arr.shape}")
    n = arr.shape[1]
    thresholds = np.arange(n) / max(1, n - 1)
    return PrCurve(step, wall_time, thresholds, *arr)


def _pr_curve(event, value) -> PrCurve:
    return pr_curve_of(value, event.step, event.wall_time)


def read_pr_curves(logdir: str | os.PathLike) -> dict[str, dict[str, list[PrCurve]]]:
    """Precision-recall curves, one value per threshold i/(n-1)."""
    return _collect(logdir, "pr_curves", _pr_curve)


def _plain(value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        return value.number_value
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    return None


def read_hparams(logdir: str | os.PathLike) -> dict[str, HParams]:
    """The hyperparameters of each run that has them, with the last value of each metric.

    Metrics are the ones an experiment summary anywhere under `logdir` names.
    """
    starts: dict[str, Any] = {}
    domains: dict[str, dict[str, list]] = {}
    metric_tags: list[str] = []
    last: dict[str, dict[str, float]] = {}
    for run, _, value, kind in _values(logdir):
        if kind == "hparams":
            data = plugins_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)
            if data.HasField("session_start_info"):
                starts[run] = data.session_start_info
            elif data.HasField("experiment"):
                for info in data.experiment.hparam_infos:
                    if info.HasField("domain_discrete"):
                        values = [_plain(v) for v in info.domain_discrete.values]
                        domains.setdefault(run, {})[info.name] = values
                metric_tags += [m.name.tag for m in data.experiment.metric_infos]
            continue
        v = scalar_of(value, kind)
        if v is not None:
            last.setdefault(run, {})[value.tag] = v
    wanted = set(metric_tags)
    return {
        run: HParams(
            {k: _plain(v) for k, v in start.hparams.items()},
            {t: v for t, v in last.get(run, {}).items() if t in wanted},
            domains.get(run, {}),
        )
        for run, start in starts.items()
    }


def read_embeddings(logdir: str | os.PathLike) -> dict[str, list[Embedding]]:
    """The projector's embeddings: every directory under `logdir` with a projector config."""
    root = os.fspath(logdir)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"expected a log directory, got {root!r}")
    out = {}
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        if CONFIG_NAME in files:
            run = os.path.relpath(directory, root).replace(os.sep, "/")
            out[run] = read_embedding_config(directory)
    return out


__all__ = [
    "Audio", "Embedding", "HParams", "Histogram", "Image", "PrCurve", "Text", "read_audio",
    "read_embeddings", "read_histograms", "read_hparams", "read_images", "read_pr_curves",
    "read_text",
]
