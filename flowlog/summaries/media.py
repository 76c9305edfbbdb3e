"""Audio, video, matplotlib-figure and boxed-image summaries, encoded as torch writes them."""

from __future__ import annotations

import io
import warnings
import wave
from collections.abc import Sequence
from typing import Any

import numpy as np

from flowlog.codecs.gif import encode_gif
from flowlog.proto import summary_pb2
from flowlog.summaries.builders import _as_array, _to_hwc, check_tag, image

_INT16_MAX = 32767


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV of float samples in [-1, 1] shaped (frames,) or (frames, channels)."""
    frames = samples.reshape(len(samples), -1)
    # Scaled by 32767 and truncated, as torch's writer does, so both write the same bytes.
    pcm = (np.clip(frames, -1, 1) * _INT16_MAX).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(frames.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return out.getvalue()


def audio(tag: str, snd_tensor: Any, sample_rate: int = 44100) -> summary_pb2.Summary:
    """A WAV audio summary of samples in [-1, 1]: (frames,) mono or (frames, 1|2) channels.

    Louder samples are clipped to [-1, 1], as torch and tensorboardX do.
    """
    check_tag(tag)
    arr = _as_array(snd_tensor)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"audio {tag!r} expects numeric samples, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    squeezed = arr.squeeze()
    if squeezed.ndim == 1:
        arr = squeezed
    if arr.ndim not in (1, 2) or arr.shape[0] == 0 or (arr.ndim == 2 and arr.shape[1] > 2):
        raise ValueError(
            f"audio {tag!r}: snd_tensor must be samples shaped (frames,) or (frames, 1|2), "
            f"got shape {_as_array(snd_tensor).shape}"
        )
    if not isinstance(sample_rate, (int, np.integer)) or sample_rate <= 0:
        raise ValueError(f"audio {tag!r}: sample_rate must be a positive int, got {sample_rate!r}")
    channels = 1 if arr.ndim == 1 else arr.shape[1]
    encoded = summary_pb2.Summary.Audio(
        sample_rate=float(sample_rate),
        num_channels=channels,
        length_frames=arr.shape[0],
        encoded_audio_string=wav_bytes(arr, int(sample_rate)),
        content_type="audio/wav",
    )
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, audio=encoded)])


def video_frames(tag: str, vid_tensor: Any, dataformats: str = "NTCHW") -> np.ndarray:
    """uint8 frames (T, H, W, C) of a batch of videos, tiled in a grid as torch lays it out.

    The batch is padded with black videos to a power of two n, shown in 2**(log2(n)//2)
    rows: 1 video -> 1x1, 2 -> 1x2, 4 -> 2x2, 8 -> 2x4, 16 -> 4x4.
    """
    arr = _as_array(vid_tensor)
    fmt = dataformats.upper()
    if sorted(fmt) != sorted("NTCHW") or arr.ndim != 5:
        raise ValueError(
            f"video {tag!r}: vid_tensor must be 5-D laid out as dataformats {dataformats!r} "
            f"(a permutation of NTCHW), got shape {arr.shape}"
        )
    arr = np.transpose(arr, [fmt.index(c) for c in "NTHWC"])
    n, t, h, w, c = arr.shape
    if c not in (1, 3, 4) or n == 0 or t == 0:
        raise ValueError(
            f"video {tag!r}: expected videos with 1, 3 or 4 channels and at least one frame, "
            f"got N={n}, T={t}, C={c}"
        )
    frames = np.stack([_to_hwc(tag, f, "HWC") for f in arr.reshape(n * t, h, w, c)])
    frames = frames.reshape(n, t, h, w, c)
    padded = 1 << (n - 1).bit_length()
    frames = np.concatenate([frames, np.zeros((padded - n, t, h, w, c), np.uint8)])
    rows = 2 ** ((n.bit_length() - 1) // 2)
    cols = padded // rows
    grid = frames.reshape(rows, cols, t, h, w, c).transpose(2, 0, 3, 1, 4, 5)
    return np.ascontiguousarray(grid.reshape(t, rows * h, cols * w, c))


def video(tag: str, vid_tensor: Any, fps: float = 4, dataformats: str = "NTCHW"
          ) -> summary_pb2.Summary:
    """An animated GIF image summary of (N, T, C, H, W) videos, uint8 or float in [0, 1]."""
    check_tag(tag)
    frames = video_frames(tag, vid_tensor, dataformats)
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.number)) or not fps > 0:
        raise ValueError(f"video {tag!r}: fps must be a positive number, got {fps!r}")
    _, height, width, channels = frames.shape
    encoded = summary_pb2.Summary.Image(
        height=height, width=width, colorspace=channels,
        encoded_image_string=encode_gif(frames, float(fps)),
    )
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=encoded)])


def figure_to_image(figures: Any, close: bool = True) -> np.ndarray:
    """RGB pixels of a matplotlib figure (C, H, W) or of a list of them (N, C, H, W)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("add_figure needs matplotlib: pip install matplotlib") from None

    def render(figure) -> np.ndarray:
        if not isinstance(figure, Figure):
            raise TypeError(
                f"add_figure: figure must be a matplotlib Figure or a list of them, got "
                f"{type(figure).__name__}"
            )
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        pixels = np.asarray(canvas.buffer_rgba())[:, :, :3]
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)
        return np.ascontiguousarray(pixels.transpose(2, 0, 1))

    if isinstance(figures, (list, tuple)):
        if not figures:
            raise ValueError("add_figure: figure is an empty list")
        return np.stack([render(f) for f in figures])
    return render(figures)


_RED = np.array([255, 0, 0], np.uint8)


def _draw_box(pixels: np.ndarray, box: np.ndarray) -> None:
    """A red outline from (xmin, ymin) to (xmax, ymax), two pixels wide.

    The pixels are the ones Pillow's two-pixel-wide polyline covers, which torch and
    tensorboardX draw: the sides just inside xmin and xmax, the top and bottom just
    outside ymin and ymax.
    """
    h, w = pixels.shape[:2]
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    rows = slice(max(0, y0 - 1), max(0, min(h, y1 + 2)))
    cols = slice(max(0, x0), max(0, min(w, x1 + 1)))
    for x in (x0, x0 + 1, x1 - 1, x1):
        if 0 <= x < w:
            pixels[rows, x] = _RED
    for y in (y0 - 1, y0, y1, y1 + 1):
        if 0 <= y < h:
            pixels[y, cols] = _RED


def _draw_labels(pixels: np.ndarray, boxes: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """Labels in red tabs above each box's lower-left corner, if Pillow is there to draw text."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:  # the boxes alone still say where things are
        warnings.warn("add_image_with_boxes draws labels with Pillow, which is not installed: "
                      "the boxes are drawn without them", stacklevel=4)
        return pixels
    img = Image.fromarray(pixels)
    draw, font = ImageDraw.Draw(img), ImageFont.load_default()
    for box, label in zip(boxes, labels):
        left, bottom = float(box[0]), float(box[3])
        x0, y0, x1, y1 = font.getbbox(label)
        margin = np.ceil(0.05 * (y1 - y0))
        draw.rectangle([(left, bottom - (y1 - y0) - 2 * margin), (left + x1 - x0, bottom)],
                       fill="Red")
        draw.text((left + margin, bottom - (y1 - y0) - margin), label, fill="black", font=font)
    return np.asarray(img)


def _resize_nearest(pixels: np.ndarray, scale: float) -> np.ndarray:
    h, w = pixels.shape[:2]
    new_h, new_w = max(1, int(h * scale)), max(1, int(w * scale))
    rows = np.minimum((np.arange(new_h) + 0.5) * h / new_h, h - 1).astype(np.int64)
    cols = np.minimum((np.arange(new_w) + 0.5) * w / new_w, w - 1).astype(np.int64)
    return pixels[rows][:, cols]


def image_with_boxes(
    tag: str, img_tensor: Any, box_tensor: Any, dataformats: str = "CHW",
    labels: Sequence[str] | None = None, rescale: float = 1,
) -> summary_pb2.Summary:
    """An image with red boxes (N, 4) of (xmin, ymin, xmax, ymax) pixels drawn on it.

    `rescale` scales the drawn image (nearest pixel) before it is stored.
    """
    check_tag(tag)
    pixels = _to_hwc(tag, img_tensor, dataformats)
    if pixels.shape[2] != 3:  # boxes are red: draw on an RGB copy
        pixels = np.repeat(pixels[..., :1], 3, axis=2)
    pixels = pixels.copy()
    boxes = _as_array(box_tensor).astype(np.float64)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(
            f"image {tag!r}: box_tensor must be (N, 4) boxes of xmin, ymin, xmax, ymax, got "
            f"shape {boxes.shape}"
        )
    for box in boxes:
        _draw_box(pixels, box)
    if labels is not None:
        pixels = _draw_labels(pixels, boxes, [str(x) for x in labels])
    if rescale != 1:
        if not isinstance(rescale, (int, float)) or not rescale > 0:
            raise ValueError(f"image {tag!r}: rescale must be a positive number, got {rescale!r}")
        pixels = _resize_nearest(pixels, float(rescale))
    return image(tag, pixels, "HWC")
