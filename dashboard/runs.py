"""One run: the event files of a directory, read incrementally into scalar, histogram, image and text indexes."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np
from google.protobuf import json_format
from google.protobuf.message import DecodeError

from flowlog.events.decoder import Decoded, EventDecoder
from flowlog.events.record_reader import RecordReader, open_regular
from flowlog.events.values import decode_tensor, plugin_of
from flowlog.proto import event_pb2, plugins_pb2
from flowlog.storage import FileInfo, RunFiles, is_url

from .series import NEVER, ScalarSeries
from .spill import Spill

log = logging.getLogger("flowlog.dashboard")
# Purging from this step drops every point.
EVERYTHING = np.iinfo(np.int64).min


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
class _File:
    """One event file of a run, known by identity (device, inode), not by name."""

    reader: RecordReader
    # The bytes just before `reader.offset` when it was last read: if they change, the file
    # was rewritten in place (a size check alone misses a rewrite that grew past the offset).
    mark: bytes = b""


# Plugins whose values a run keeps whole, for their own blueprint to decode when asked.
OTHER_PLUGINS = frozenset({"pr_curves", "audio", "mesh", "custom_scalars", "graph_keras_model"})


class Run:
    """The data of one run, updated by `load()` and read from other threads."""

    def __init__(self, name: str, path: str, spill: Spill | None = None):
        self.name = name
        self.path = path
        self._spill = spill  # the memory budget its scalar columns share with other runs
        self.damaged_records = 0
        self.bytes_read = 0
        self._lock = threading.Lock()  # one load at a time
        self._odd: set[str] = set()  # non-regular entries already warned about
        self._listing: list[FileInfo] = []
        self.scalars: dict[str, ScalarSeries] = {}
        self._clear()

    def __getstate__(self) -> dict:  # for the cache (cache.py): no lock, no budget
        state = dict(self.__dict__)
        del state["_lock"], state["_spill"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _lock=threading.Lock(), _spill=None)

    def attach(self, spill: Spill | None) -> None:
        """Share `spill`'s memory budget (a run loaded from the cache)."""
        self._spill = spill
        for series in self.scalars.values():
            series.attach(spill)

    def locked(self) -> threading.Lock:
        """The lock a load holds: held, the run does not change."""
        return self._lock

    def _clear(self) -> None:
        """Forget everything read (the scalar series stay, emptied, so readers see the change)."""
        for series in self.scalars.values():
            series.purge(EVERYTHING)
        self._files: dict[tuple[int, int], _File] = {}
        self.decoder = EventDecoder()
        self.histograms: dict[str, list] = {}  # tag -> [(wall, step, (k, 3) buckets)]
        self.images: dict[str, list] = {}  # tag -> [(wall, step, [ImageRef])]
        self.texts: dict[str, list] = {}  # tag -> [(wall, step, text or nested lists)]
        # The other plugins' values as written (see OTHER_PLUGINS); each plugin's blueprint
        # decodes its own: plugin -> tag -> [(wall, step, Summary.Value)]
        self.others: dict[str, dict[str, list]] = {}
        self.graph: bytes | None = None
        self.meta_graph: bytes | None = None
        self.run_metadata: dict[str, bytes] = {}
        self.hparams: dict | None = None  # name -> str, bool or float, from session_start_info
        self.hparam_metrics: list[tuple[str, str]] | None = None  # (group, tag) of experiment
        self.hparam_names: list[str] | None = None  # the experiment's hparams, in logged order
        self._hparams_wall = self._metrics_wall = -np.inf  # the newest of each is kept

    @property
    def plugins(self) -> dict[str, str]:
        """tag -> plugin, from the metadata of each tag's first value."""
        return self.decoder.plugins

    def listed(self, found: RunFiles) -> None:
        """The run's event files as the latest listing of the logdir found them."""
        for path in set(found.odd) - self._odd:
            log.warning("skipping %s: not a regular file", path)
        self._odd = set(found.odd)
        self._listing = found.files

    def pending_bytes(self) -> int:
        """Bytes written to the run's files but not read yet."""
        total = 0
        for f in self._listing:
            known = self._files.get(f.key)
            total += max(f.size - (known.reader.offset if known else 0), 0)
        return total

    def load(self) -> int:
        """Read what was appended to the run's files since the last load; returns how many
        files were opened (an unchanged file is not).

        A renamed file goes on from where it was; a file truncated or rewritten in place
        makes the run read all its files again, so no stale point survives.
        """
        opened = 0
        with self._lock:
            files = self._listing
            if any(self._rewritten(f) for f in files):
                log.warning("%s: an event file was rewritten; reading the run again", self.path)
                self._clear()
            for key in set(self._files) - {f.key for f in files}:
                del self._files[key]  # deleted
            for f in files:
                known = self._files.setdefault(f.key, _File(RecordReader(f.path)))
                known.reader.path = f.path
                if known.reader.offset >= f.size and known.mark:
                    continue  # nothing new: no request, not even an open
                opened += 1
                try:
                    self._read_file(known)
                except OSError as e:
                    log.warning("cannot read %s: %s", f.path, e)
                except Exception as e:  # noqa: BLE001 (one bad file must not stop the rest)
                    log.warning("skipping the rest of %s: %s: %s", f.path, type(e).__name__, e)
            for tag in [t for t, s in self.scalars.items() if not len(s)]:
                del self.scalars[tag]
        return opened

    def _rewritten(self, f: FileInfo) -> bool:
        known = self._files.get(f.key)
        if known is None or not known.mark:
            return False
        offset = known.reader.offset
        if f.size < offset:
            return True
        if f.size == offset or is_url(f.path):  # unchanged (not even opened), or an object  # objects are not rewritten in place: a new one is a new name
            return False
        try:
            with open_regular(f.path) as file:
                file.seek(offset - len(known.mark))
                return file.read(len(known.mark)) != known.mark
        except OSError:
            return False

    def _read_file(self, known: _File) -> None:
        reader = known.reader
        start, damaged, bad = reader.offset, reader.corrupt_records, self.decoder.bad_events
        for chunk in reader.read_chunks():
            self._take(self.decoder.decode(*chunk), reader.path)
        self.bytes_read += reader.offset - start
        self.damaged_records += reader.corrupt_records - damaged
        self.damaged_records += self.decoder.bad_events - bad
        if reader.skipped_bytes and reader.corrupt_records > damaged:
            log.warning("%s: skipped %d damaged bytes", reader.path, reader.skipped_bytes)
        if is_url(reader.path):
            known.mark = b"read"
        elif reader.offset >= 8 and reader.offset != start:
            with open_regular(reader.path) as f:
                f.seek(reader.offset - 8)
                known.mark = f.read(8)

    def _take(self, decoded: Decoded, path: str) -> None:
        """Store the events of one stretch of a file."""
        restarts: list[tuple[int, int]] = []  # (position, step) of SessionLog.START
        for pos, event in decoded.events:
            self._event(event, path, pos, restarts)
        if restarts:
            lowest = min(s for _, s in restarts)
            for series in list(self.scalars.values()):
                series.purge(lowest)
        for tag, (pos, step, wall, value) in decoded.scalars.items():
            limit = None
            if restarts:
                at, steps = np.array(restarts, np.int64).T
                later_min = np.minimum.accumulate(steps[::-1])[::-1]
                limit = np.append(later_min, NEVER)[np.searchsorted(at, pos, "right")]
            series = self.scalars.get(tag)
            if series is None:
                series = self.scalars[tag] = ScalarSeries(self._spill)
            series.add(step, wall, value, limit)

    def _event(self, event, path, pos, restarts) -> None:
        kind = event.WhichOneof("what")
        if kind == "summary":
            for i, v in enumerate(event.summary.value):
                self._value(v, i, event, path, pos)
        elif kind == "graph_def":
            self.graph = event.graph_def
        elif kind == "meta_graph_def":
            self.meta_graph = event.meta_graph_def
        elif kind == "tagged_run_metadata":
            self.run_metadata[event.tagged_run_metadata.tag] = (
                event.tagged_run_metadata.run_metadata)
        elif kind == "session_log" and event.session_log.status == event_pb2.SessionLog.START:
            restarts.append((pos, event.step))
            for index in (self.histograms, self.images, self.texts, *self.others.values()):
                for tag, items in index.items():
                    index[tag] = [it for it in items if it[1] < event.step]

    def _value(self, v, i, event, path, pos) -> None:
        """Index one non-scalar summary value (the decoder has taken the scalars)."""
        plugin = plugin_of(v, self.plugins)
        wall, step = event.wall_time, event.step
        if plugin == "histograms":
            buckets = _buckets(v)
            if buckets is None:
                self.damaged_records += 1
            else:
                self.histograms.setdefault(v.tag, []).append((wall, step, buckets))
        elif plugin == "images":
            refs = _image_refs(v, i, path, pos)
            if refs:
                self.images.setdefault(v.tag, []).append((wall, step, refs))
        elif plugin == "text" and v.WhichOneof("value") == "tensor":
            try:
                self.texts.setdefault(v.tag, []).append((wall, step, _text(v)))
            except ValueError:
                self.damaged_records += 1
        elif plugin == "hparams" and v.HasField("metadata"):
            self._hparams_value(v.metadata.plugin_data.content, wall)
        elif plugin in OTHER_PLUGINS:
            self.others.setdefault(plugin, {}).setdefault(v.tag, []).append((wall, step, v))

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
            self.hparam_names = [h.name for h in data.experiment.hparam_infos]
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
    arr = decode_tensor(v.tensor)  # ValueError if damaged
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
