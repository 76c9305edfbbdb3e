"""Embeddings for TensorBoard's projector: the files `add_embedding` writes, and reading them.

Layout, as torch.utils.tensorboard and tensorboardX write it, inside a run directory:

    projector_config.pbtxt           ProjectorConfig (protobuf text), one `embeddings` per call
    <step:05d>/<tag, escaped>/       one directory per (step, tag); `%`, `/`, `\\` in the tag
                                     are written %25, %2f, %5c
        tensors.tsv                  one row per point, values separated by tabs
        metadata.tsv                 one label per line; with several columns, a header line
                                     first (the projector takes a first line with a tab as one)
        sprite.png                   the points' images tiled row by row in a square sheet

Each embedding's `tensor_name` is `<tag>:<step:05d>`; its paths are relative to the config.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from google.protobuf import text_format

from flowlog import storage
from flowlog.codecs.png import encode_png
from flowlog.proto import extra_plugins_pb2
from flowlog.summaries.builders import _as_array, _to_hwc

CONFIG_NAME = "projector_config.pbtxt"
_config_lock = threading.Lock()  # one config file rewritten by several writers of a process


def _escape(tag: str) -> str:
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def _tsv_field(value: Any) -> str:
    return str(value.item() if hasattr(value, "item") else value)


def _metadata_lines(metadata: Sequence, header: Sequence | None, n: int) -> list[str]:
    if len(metadata) != n:
        raise ValueError(f"add_embedding: metadata has {len(metadata)} labels for {n} points")
    if not header:
        return [_tsv_field(x) for x in metadata]
    rows = [list(header), *(list(row) for row in metadata)]
    if any(len(row) != len(header) for row in rows):
        raise ValueError(
            f"add_embedding: every metadata row must have one value per metadata_header column "
            f"({len(header)}: {list(header)!r})"
        )
    return ["\t".join(_tsv_field(x) for x in row) for row in rows]


def sprite_sheet(label_img: Any) -> tuple[np.ndarray, tuple[int, int]]:
    """The label images (N, C, H, W) tiled ceil(sqrt(N)) a row on a black square sheet."""
    arr = _as_array(label_img)
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise ValueError(
            f"add_embedding: label_img must be images shaped (N, 1|3, H, W), got {arr.shape}"
        )
    n, _, h, w = arr.shape
    tiles = np.stack([_to_hwc("label_img", img, "CHW") for img in arr])
    if tiles.shape[3] == 1:
        tiles = np.repeat(tiles, 3, axis=3)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    side = cols * w  # square, padded at the bottom: the projector cuts the sheet row-major
    sheet = np.zeros((max(side, rows * h), side, 3), np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, cols)
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = tile
    return sheet, (w, h)


def _read_config(path: str) -> extra_plugins_pb2.ProjectorConfig:
    config = extra_plugins_pb2.ProjectorConfig()
    data = storage.read_bytes(path)
    if data is not None:
        text_format.Parse(data.decode("utf-8"), config)
    return config


def write_embedding(
    run_dir: str, mat: Any, metadata: Sequence | None = None, label_img: Any = None,
    global_step: int = 0, tag: str = "default", metadata_header: Sequence | None = None,
) -> None:
    """Write one embedding's files under `run_dir` and add it to the run's projector config."""
    arr = _as_array(mat)
    if arr.ndim != 2:
        raise ValueError(
            f"add_embedding: mat must be 2-D (points, dimensions), got shape {arr.shape}"
        )
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"add_embedding: mat must be numeric, got dtype {arr.dtype}")
    if not isinstance(tag, str) or not tag:
        raise TypeError(f"add_embedding: tag must be a non-empty str, got {tag!r}")
    subdir = f"{global_step:05d}/{_escape(tag)}"
    target = storage.join(run_dir, *subdir.split("/"))
    lines = None if metadata is None else _metadata_lines(metadata, metadata_header, len(arr))
    sheet = None
    if label_img is not None:
        sheet, dims = sprite_sheet(label_img)
        if len(_as_array(label_img)) != len(arr):
            raise ValueError(
                f"add_embedding: label_img has {len(_as_array(label_img))} images for "
                f"{len(arr)} points"
            )
    if storage.exists(storage.join(target, "tensors.tsv")):
        warnings.warn(
            f"embedding directory {target} exists: give each add_embedding its own "
            "global_step or tag", stacklevel=3,
        )
    rows = "".join("\t".join(_tsv_field(x) for x in row) + "\n" for row in arr)
    storage.write_bytes(storage.join(target, "tensors.tsv"), rows.encode("utf-8"))
    info = extra_plugins_pb2.EmbeddingInfo(
        tensor_name=f"{tag}:{global_step:05d}", tensor_path=f"{subdir}/tensors.tsv"
    )
    if lines is not None:
        storage.write_bytes(storage.join(target, "metadata.tsv"),
                            ("\n".join(lines) + "\n").encode("utf-8"))
        info.metadata_path = f"{subdir}/metadata.tsv"
    if sheet is not None:
        storage.write_bytes(storage.join(target, "sprite.png"), encode_png(sheet))
        info.sprite.image_path = f"{subdir}/sprite.png"
        info.sprite.single_image_dim.extend(dims)
    config_path = storage.join(run_dir, CONFIG_NAME)
    with _config_lock:  # kept, not overwritten: earlier writers' embeddings stay listed
        config = _read_config(config_path)
        kept = [e for e in config.embeddings if e.tensor_name != info.tensor_name]
        del config.embeddings[:]
        config.embeddings.extend([*kept, info])
        storage.write_bytes(config_path, text_format.MessageToString(config).encode("utf-8"))


class Embedding(NamedTuple):
    """One embedding of a run as the projector shows it."""

    tag: str
    step: int
    tensor: np.ndarray  # (points, dimensions) float32
    metadata: list[list[str]] | None  # one row of columns per point
    metadata_header: list[str] | None
    sprite: np.ndarray | None  # the sprite sheet, uint8 (H, W, C)
    sprite_image_dim: tuple[int, int] | None  # (width, height) of one point's image


def _read_tsv(path: str) -> list[list[str]]:
    data = storage.read_bytes(path)
    if data is None:
        raise FileNotFoundError(f"no such projector file: {path!r}")
    return [line.split("\t") for line in data.decode("utf-8").split("\n") if line]


def _read_tensor(path: str, shape: Sequence[int]) -> np.ndarray:
    """A `.tsv` of rows, or (as TensorBoard's projector reads it) a `.bytes` file of raw
    little-endian float32 values shaped by the config's `tensor_shape`."""
    if not path.endswith(".bytes"):
        rows = _read_tsv(path)
        return np.array([[float(x) for x in row] for row in rows], dtype=np.float32)
    data = storage.read_bytes(path)
    if data is None:
        raise FileNotFoundError(f"no such projector file: {path!r}")
    values = np.frombuffer(data, dtype="<f4")
    if len(shape) != 2 or shape[0] * shape[1] != values.size:
        raise ValueError(f"{path!r}: {values.size} float32 values do not fill the config's "
                         f"tensor_shape {list(shape)} (expected 2 dimensions)")
    return values.reshape(tuple(shape)).astype(np.float32)


def read_embedding_config(run_dir: str) -> list[Embedding]:
    """The embeddings listed in `run_dir`'s projector config, with their files read."""
    from flowlog.codecs.png import decode_png

    config = _read_config(storage.join(run_dir, CONFIG_NAME))
    out = []
    for info in config.embeddings:
        name = info.tensor_name or os.path.basename(info.tensor_path)
        tag, _, step = name.rpartition(":")
        if not tag or not step.isdigit():
            tag, step = name, "0"
        if not info.tensor_path:  # TF1's projector reads such a tensor from a checkpoint
            raise ValueError(f"embedding {name!r} names no tensor_path (a checkpoint variable); "
                             "only tensors in .tsv or .bytes files are read")
        tensor = _read_tensor(storage.join(run_dir, info.tensor_path), info.tensor_shape)
        metadata = header = None
        if info.metadata_path:
            metadata = _read_tsv(storage.join(run_dir, info.metadata_path))
            if metadata and len(metadata[0]) > 1:  # the projector's rule for a header line
                header, metadata = metadata[0], metadata[1:]
        sprite = dims = None
        if info.sprite.image_path:
            sprite = decode_png(storage.read_bytes(storage.join(run_dir, info.sprite.image_path)))
            dims = tuple(info.sprite.single_image_dim) or None
        out.append(Embedding(tag, int(step), tensor, metadata, header, sprite, dims))
    return out
