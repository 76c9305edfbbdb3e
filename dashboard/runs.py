"""One run: the event files of a directory, read incrementally into scalar, histogram, image and text indexes."""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import numpy as np
from google.protobuf import json_format
from google.protobuf.message import DecodeError

from flowlog.events import decode_tensor, is_event_file, plugin_of, scalar_of
from flowlog.proto import event_pb2, plugins_pb2
from flowlog.records import FOOTER_SIZE, HEADER_SIZE, RecordReader

from . import fastscan
from .series import NEVER, ScalarSeries

log = logging.getLogger("flowlog.dashboard")
# Bytes read per step; bounded so memory stays small on huge files.
CHUNK_SIZE = 32 << 20


@dataclass(frozen=True)
class ImageRef:
    """Where one image lives: re-read from its record on request instead of kept in memory."""

    path: str
    offset: int  # record start
    value: int  # index of the summary value in the event
    sample: int  # index of the image in a new-style image tensor (-1 for Summary.Image)
    width: int
    height: int


@dataclass
class _Batch:
    """Scalars read from one stretch of a file, in file order, before they are stored."""

    pos: list
    tag: list
    step: list
    wall: list
    value: list


class Run:
    """The data of one run, updated by `load()` and read from other threads."""

    def __init__(self, name: str, path: str):
        self.name = name
        self.path = path
        self.offsets: dict[str, int] = {}  # event file name -> bytes read
        self.plugins: dict[str, str] = {}  # tag -> plugin, from the first value's metadata
        self.scalars: dict[str, ScalarSeries] = {}
        self.histograms: dict[str, list] = {}  # tag -> [(wall, step, (k, 3) buckets)]
        self.images: dict[str, list] = {}  # tag -> [(wall, step, [ImageRef])]
        self.texts: dict[str, list] = {}  # tag -> [(wall, step, text or nested lists)]
        self.graph: bytes | None = None
        self.meta_graph: bytes | None = None
        self.run_metadata: dict[str, bytes] = {}
        self.hparams: dict | None = None  # name -> str, bool or float, from session_start_info
        self.hparam_metrics: list[tuple[str, str]] | None = None  # (group, tag) of experiment
        self._hparams_wall = self._metrics_wall = -np.inf  # the newest of each is kept
        self.bytes_read = 0
        self.damaged_records = 0
        self._lock = threading.Lock()  # one load at a time

    def files(self) -> list[str]:
        """The event files of the run, oldest first (their names start with a timestamp)."""
        try:
            names = [e.name for e in os.scandir(self.path)
                     if is_event_file(e.name) and e.is_file()]
        except OSError:
            return []
        return sorted(names)

    def pending_bytes(self) -> int:
        """Bytes written to the run's files but not read yet."""
        total = 0
        for name in self.files():
            try:
                total += os.path.getsize(os.path.join(self.path, name))
            except OSError:
                continue
            total -= self.offsets.get(name, 0)
        return max(total, 0)

    def load(self) -> None:
        """Read what was appended to the run's files since the last load."""
        with self._lock:
            for name in self.files():
                path = os.path.join(self.path, name)
                try:
                    self.offsets[name] = self._read_file(path, self.offsets.get(name, 0))
                except OSError as e:
                    log.warning("cannot read %s: %s", path, e)
                except Exception as e:  # noqa: BLE001 (one bad file must not stop the rest)
                    log.warning("skipping the rest of %s: %s: %s", path, type(e).__name__, e)

    def _read_file(self, path: str, offset: int) -> int:
        size = os.path.getsize(path)
        if size < offset:  # replaced or truncated: read it again
            offset = 0
        want = CHUNK_SIZE
        with open(path, "rb") as f:
            while offset < size:
                f.seek(offset)
                buf = f.read(min(want, size - offset))
                chunk = fastscan.scan(buf)
                self._take(chunk.groups, chunk.others, path, offset)
                offset += chunk.end
                self.bytes_read += chunk.end
                at_end = offset + (len(buf) - chunk.end) >= size
                if chunk.damaged or (chunk.end < len(buf) and at_end):
                    resumed = self._read_tolerantly(path, offset)
                    if resumed == offset:  # an unfinished record: wait for the rest
                        return offset
                    offset = resumed
                want = max(CHUNK_SIZE, chunk.need)
        return offset

    def _read_tolerantly(self, path: str, offset: int) -> int:
        """Read past damage (or an unfinished tail) record by record, as far as it goes."""
        reader = RecordReader(path, offset)
        others = []
        end = offset
        for data in reader.read():
            others.append((reader.offset, data))
            end = reader.offset + HEADER_SIZE + len(data) + FOOTER_SIZE
            if reader.skipped_bytes:
                break  # past the damage: the fast path can go on from here
        if reader.skipped_bytes:
            self.damaged_records += reader.corrupt_records
            log.warning("%s: skipped %d damaged bytes at offset %d",
                        path, reader.skipped_bytes, offset)
        end = max(end, reader.offset) if not others else end
        self._take([], others, path, 0)
        self.bytes_read += end - offset
        return end

    def _take(self, groups: list[fastscan.ScalarGroup], others: list[tuple[int, bytes]],
              path: str, base: int) -> None:
        """Store the events of one stretch of a file."""
        batch = _Batch([], [], [], [], [])
        restarts: list[tuple[int, int]] = []  # (position, step) of SessionLog.START
        for off, data in others:
            try:
                event = event_pb2.Event.FromString(data)
            except DecodeError:
                self.damaged_records += 1
                continue
            self._event(event, path, base + off, batch, restarts)
        names = list(dict.fromkeys(batch.tag))
        ids = {t: i for i, t in enumerate(names)}
        pos = [np.asarray(batch.pos, np.int64)]
        tag = [np.asarray([ids[t] for t in batch.tag], np.int64)]
        cols = [[np.asarray(c, t)] for c, t in
                ((batch.step, np.int64), (batch.wall, np.float64), (batch.value, np.float64))]
        for g in groups:
            name = g.layout.tag
            if g.layout.tensor and self.plugins.get(name) != "scalars":
                continue
            if name not in ids:
                ids[name] = len(names)
                names.append(name)
            pos.append(g.pos + base)
            tag.append(np.full(g.pos.size, ids[name], np.int64))
            for col, a in zip(cols, (g.step, g.wall, g.value)):
                col.append(a)
        if restarts:
            lowest = min(s for _, s in restarts)
            for series in list(self.scalars.values()):
                series.purge(lowest)
        if not names:
            return
        pos, tag = np.concatenate(pos), np.concatenate(tag)
        step, wall, value = (np.concatenate(c) for c in cols)
        order = np.lexsort((pos, tag))
        cuts = np.flatnonzero(np.diff(tag[order])) + 1
        for idx in np.split(order, cuts):
            self._store_tag(names[tag[idx[0]]], idx, pos, step, wall, value, restarts)

    def _store_tag(self, tag, idx, pos, step, wall, value, restarts) -> None:
        limit = None
        if restarts:
            at, steps = np.array(restarts, np.int64).T
            later_min = np.minimum.accumulate(steps[::-1])[::-1]
            k = np.searchsorted(at, pos[idx], "right")
            limit = np.append(later_min, NEVER)[k]
        series = self.scalars.get(tag)
        if series is None:
            series = self.scalars[tag] = ScalarSeries()
        series.add(step[idx], wall[idx], value[idx], limit)

    def _event(self, event, path, pos, batch: _Batch, restarts) -> None:
        kind = event.WhichOneof("what")
        if kind == "summary":
            for i, v in enumerate(event.summary.value):
                self._value(v, i, event, path, pos, batch)
        elif kind == "graph_def":
            self.graph = event.graph_def
        elif kind == "meta_graph_def":
            self.meta_graph = event.meta_graph_def
        elif kind == "tagged_run_metadata":
            self.run_metadata[event.tagged_run_metadata.tag] = (
                event.tagged_run_metadata.run_metadata)
        elif kind == "session_log" and event.session_log.status == event_pb2.SessionLog.START:
            restarts.append((pos, event.step))
            for index in (self.histograms, self.images, self.texts):
                for tag, items in index.items():
                    index[tag] = [it for it in items if it[1] < event.step]

    def _value(self, v, i, event, path, pos, batch: _Batch) -> None:
        plugin = plugin_of(v, self.plugins)
        wall, step = event.wall_time, event.step
        if plugin == "scalars":
            x = scalar_of(v, plugin)
            if x is not None:
                for col, item in zip((batch.pos, batch.tag, batch.step, batch.wall, batch.value),
                                     (pos, v.tag, step, wall, x)):
                    col.append(item)
        elif plugin == "histograms":
            buckets = _buckets(v)
            if buckets is not None:
                self.histograms.setdefault(v.tag, []).append((wall, step, buckets))
        elif plugin == "images":
            refs = _image_refs(v, i, path, pos)
            if refs:
                self.images.setdefault(v.tag, []).append((wall, step, refs))
        elif plugin == "text" and v.WhichOneof("value") == "tensor":
            self.texts.setdefault(v.tag, []).append((wall, step, _text(v)))
        elif plugin == "hparams" and v.HasField("metadata"):
            self._hparams_value(v.metadata.plugin_data.content, wall)

    def _hparams_value(self, content: bytes, wall: float) -> None:
        try:
            data = plugins_pb2.HParamsPluginData.FromString(content)
        except DecodeError:
            self.damaged_records += 1
            return
        kind = data.WhichOneof("data")
        if kind == "session_start_info" and wall >= self._hparams_wall:
            self._hparams_wall = wall
            self.hparams = {name: _hparam_value(value)
                            for name, value in data.session_start_info.hparams.items()}
        elif kind == "experiment" and wall >= self._metrics_wall:
            self._metrics_wall = wall
            self.hparam_metrics = [(m.name.group, m.name.tag)
                                   for m in data.experiment.metric_infos]


def _buckets(v) -> np.ndarray | None:
    """A histogram as (k, 3) rows of [left, right, count] (new-style tensors already are)."""
    if v.WhichOneof("value") == "histo":
        h = v.histo
        limits = list(h.bucket_limit)
        if not limits:
            return np.zeros((0, 3))
        lefts = [h.min] + limits[:-1]
        rights = limits[:-1] + [h.max]
        return np.column_stack([lefts, rights, list(h.bucket)[: len(limits)]]).astype(float)
    if v.WhichOneof("value") == "tensor":
        try:
            arr = decode_tensor(v.tensor).astype(np.float64)
        except (ValueError, TypeError):
            return None
        if arr.ndim == 2 and arr.shape[1] == 3:
            return arr
        if arr.size == 0:
            return np.zeros((0, 3))
    return None


def _hparam_value(value) -> str | bool | float | None:
    """A `google.protobuf.Value` of an hparam as a plain Python value (lists and structs as text)."""
    kind = value.WhichOneof("kind")
    if kind in ("number_value", "string_value", "bool_value"):
        return getattr(value, kind)
    if kind in ("list_value", "struct_value"):
        return json_format.MessageToJson(getattr(value, kind), indent=None)
    return None


def _image_refs(v, index: int, path: str, pos: int) -> list[ImageRef]:
    kind = v.WhichOneof("value")
    if kind == "image":
        return [ImageRef(path, pos, index, -1, v.image.width, v.image.height)]
    if kind == "tensor":  # [width, height, image, image, ...] as strings
        vals = list(v.tensor.string_val)
        if len(vals) < 3:
            return []
        try:
            w, h = int(vals[0] or 0), int(vals[1] or 0)
        except ValueError:
            w = h = 0
        return [ImageRef(path, pos, index, k, w, h) for k in range(len(vals) - 2)]
    return []


def _text(v):
    """A text summary as a string, or nested lists of strings for a tensor of them."""
    try:
        arr = decode_tensor(v.tensor)
    except ValueError:
        return ""
    as_str = np.vectorize(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes)
                          else str(b), otypes=[object])
    out = as_str(arr) if arr.size else arr
    return out.tolist() if out.ndim else str(out.item()) if out.size else ""


def read_image(ref: ImageRef) -> bytes:
    """The encoded bytes of one image, read back from its record."""
    for data in RecordReader(ref.path, ref.offset).read():
        event = event_pb2.Event.FromString(data)
        v = event.summary.value[ref.value]
        if ref.sample < 0:
            return v.image.encoded_image_string
        return v.tensor.string_val[ref.sample + 2]
    raise OSError(f"image record at offset {ref.offset} of {ref.path} is gone")
