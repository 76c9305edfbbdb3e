"""`SummaryWriter`: the API of torch.utils.tensorboard's and tensorboardX's writers."""

from __future__ import annotations

import contextlib
import json
import os
import struct
import threading
import time
from collections.abc import Mapping
from time import time as _now
from typing import Any

from google.protobuf.message import DecodeError

from flowlog.events.scalar_records import SCALAR_ITEM, scalar_tag_id
from flowlog.events.writer import DEFAULT_MAX_QUEUE, EventFileWriter
from flowlog.graph.onnx import onnx_graph_def
from flowlog.graph.torch_trace import is_torch_model, torch_graph
from flowlog.proto import event_pb2, summary_pb2
from flowlog.summaries import builders, hparams_plugin
from flowlog.writers.encoding import (
    _default_logdir,
    _int_step,
    _run_metadata_bytes,
    graph_bytes,
    summary_event,
)
from flowlog.writers.plugin_methods import PluginMethods

__all__ = ["SummaryWriter"]
_PACK_SCALAR = SCALAR_ITEM.pack


class _FileWriterView:
    """What torch's and tensorboardX's `SummaryWriter.file_writer` offers, for code that
    logs through it (the well-known `w.file_writer.add_summary(exp)` hparams recipe)."""

    def __init__(self, owner: SummaryWriter):
        self._owner = owner

    @property
    def path(self) -> str:
        """Path of the current event file."""
        return self._owner._writer.path

    def get_logdir(self) -> str:
        return self._owner.get_logdir()

    def add_event(self, event: Any, step: Any = None, walltime: float | None = None) -> None:
        event.wall_time = _now() if walltime is None else walltime
        if step is not None:
            event.step = _int_step(step)
        self._owner._put_event(event.SerializeToString())

    def add_summary(self, summary: Any, global_step: Any = None,
                    walltime: float | None = None) -> None:
        self._owner.add_summary(summary, global_step, walltime)

    def flush(self) -> None:
        self._owner.flush()

    def close(self) -> None:
        self._owner.close()


class SummaryWriter(PluginMethods):
    """tensorboardX / torch.utils.tensorboard style writer for plain training loops.

    The whole API of both: same method names, parameters, defaults and encodings. `add_*`
    calls are thread-safe and cheap: `add_scalar` queues 28 packed bytes that the writer
    thread frames in bulk (see `flowlog.events.scalar_records`). Values may be Python numbers, NumPy
    arrays or torch tensors (on any device, with or without grad). After `close()` the next
    `add_*` opens a new event file in the same run, as torch's writer does.
    """

    def __init__(
        self,
        logdir: str | os.PathLike | None = None,
        comment: str = "",
        purge_step: int | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
        flush_secs: float = 120,
        filename_suffix: str = "",
        *,
        log_dir: str | os.PathLike | None = None,
        storage_options: dict | None = None,
    ):
        logdir = logdir if logdir is not None else log_dir
        self._logdir = os.fspath(logdir) if logdir is not None else _default_logdir(comment)
        # `storage_options` go to the filesystem of a URL logdir (s3://..., see flowlog.storage)
        self._options = (max_queue, flush_secs, filename_suffix, storage_options)
        self._tag_ids: dict[str, int] = {}
        self._subwriters: dict[str, EventFileWriter] = {}
        self._lock = threading.Lock()
        self._scalar_dict: dict[str, list] = {}  # add_scalars values, for export_scalars_to_json
        self._defaults: tuple[Any, Any] = (None, None)  # use_metadata's step and walltime
        self._open(purge_step)

    def _open(self, purge_step: Any = None) -> None:
        self._pid = os.getpid()
        self._writer = EventFileWriter(self._logdir, *self._options)
        if purge_step is not None:
            log = event_pb2.SessionLog(status=event_pb2.SessionLog.START)
            self._writer.add_event(
                event_pb2.Event(wall_time=time.time(), step=_int_step(purge_step), session_log=log)
            )

    def _current(self) -> EventFileWriter:
        """The writer of the current event file, a new one after `close()`."""
        writer = self._writer
        if writer.closed:
            if os.getpid() != self._pid:  # a forked child: its copy of the writer is closed
                raise ValueError(
                    f"this SummaryWriter for {self._logdir} belongs to process {self._pid}; "
                    "create a new one in the child process"
                )
            with self._lock:
                if self._writer.closed:
                    self._open()
            writer = self._writer
        return writer

    def _put_event(self, event: bytes) -> None:
        """Queue a serialized Event for the current event file."""
        self._current().add_serialized(event)

    def _summary(self, summary: Any, global_step: Any, walltime: float | None) -> None:
        """Queue a Summary as an event at `global_step` (use_metadata's defaults if None)."""
        step, wall = self._defaults
        self._put_event(
            summary_event(
                summary.SerializeToString(),
                step if global_step is None else global_step,
                wall if walltime is None else walltime,
            )
        )

    def _event(self, **fields: Any) -> None:
        self._put_event(event_pb2.Event(wall_time=_now(), **fields).SerializeToString())

    @property
    def log_dir(self) -> str:
        """The run directory this writer writes to."""
        return self._logdir

    logdir = log_dir

    def get_logdir(self) -> str:
        """The run directory this writer writes to."""
        return self._logdir

    @property
    def file_writer(self) -> _FileWriterView:
        """torch's `writer.file_writer`: add_event, add_summary, get_logdir, flush, close."""
        return _FileWriterView(self)

    def add_scalar(
        self,
        tag: str,
        scalar_value: Any,
        global_step: Any = None,
        walltime: float | None = None,
        new_style: bool = False,
        double_precision: bool = False,
        display_name: str = "",
        summary_description: str = "",
    ) -> None:
        """Log one scalar.

        `new_style=True` stores it as a tensor for the scalars plugin (DT_DOUBLE with
        `double_precision`); `display_name` and `summary_description` (tensorboardX) go into
        its metadata. tensorboardX's positional order (`..., walltime, display_name,
        summary_description`) works too: a str in place of `new_style` is a display name.
        """
        # The hot path of the whole library: a known tag, a float, an int step. Anything
        # else (first use of a tag, conversions, options, errors) goes through _slow_scalar.
        try:
            tag_id = self._tag_ids[tag]
        except (KeyError, TypeError):
            tag_id = None
        kind = type(scalar_value)
        writer = self._writer
        if (
            tag_id is None or new_style or double_precision or display_name or summary_description
            or (kind is not float and kind is not int) or writer.closed
        ):
            self._slow_scalar(
                tag, scalar_value, global_step, walltime,
                new_style, double_precision, display_name, summary_description,
            )
            return
        step = global_step if type(global_step) is int else _int_step(global_step)
        try:
            item = _PACK_SCALAR(_now() if walltime is None else walltime, step, tag_id, scalar_value)
        except (struct.error, OverflowError):  # a huge int, a step beyond int64, a bad walltime
            self._slow_scalar(tag, scalar_value, global_step, walltime)
            return
        writer.add_packed_scalar(item)

    def _slow_scalar(self, tag, value, step, walltime, new_style=False, double_precision=False,
                     display_name="", summary_description="") -> None:
        builders.check_tag(tag)
        if isinstance(new_style, str):  # tensorboardX's positional display_name, description
            new_style, double_precision, display_name, summary_description = (
                False, False, new_style, double_precision or ""
            )
        default_step, default_wall = self._defaults
        step = default_step if step is None else step
        walltime = default_wall if walltime is None else walltime
        if new_style or display_name or summary_description:
            summary = builders.scalar(
                tag, value, bool(new_style), bool(double_precision), display_name,
                summary_description,
            )
            self._summary(summary, step, walltime)
            return
        value = builders.to_float(value, tag)
        item = _PACK_SCALAR(
            _now() if walltime is None else float(walltime), _int_step(step), scalar_tag_id(tag),
            value,
        )
        self._current().add_packed_scalar(item)
        if self._defaults == (None, None):  # use_metadata's steps must not take the fast path
            self._tag_ids[tag] = scalar_tag_id(tag)

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: dict[str, Any],
        global_step: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Log several scalars under `main_tag`, each in its own run `logdir/<main_tag>_<name>`."""
        builders.check_tag(main_tag)
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(
                "add_scalars: tag_scalar_dict must be a dict of name -> value, got "
                f"{type(tag_scalar_dict).__name__}"
            )
        wall = _now() if walltime is None else walltime
        for name, value in tag_scalar_dict.items():
            run = os.path.join(self._logdir, f"{main_tag.replace('/', '_')}_{name}")
            with self._lock:
                writer = self._subwriters.get(run)
                if writer is None:
                    writer = self._subwriters[run] = EventFileWriter(run, *self._options)
            v = builders.to_float(value, main_tag)
            step = _int_step(global_step)
            writer.add_packed_scalar(_PACK_SCALAR(wall, step, scalar_tag_id(main_tag), v))
            self._scalar_dict.setdefault(run, []).append([wall, step, v])

    def export_scalars_to_json(self, path: str | os.PathLike) -> None:
        """Write the values logged with `add_scalars` since the last export as JSON.

        `{run directory: [[wall_time, step, value], ...]}`, as tensorboardX exports them.
        """
        with open(path, "w") as f:
            json.dump(self._scalar_dict, f)
        self._scalar_dict = {}

    def add_summary(
        self, summary: Any, global_step: Any = None, walltime: float | None = None
    ) -> None:
        """Log a `Summary` (or its serialized bytes), e.g. one built by `flowlog.summaries.builders`."""
        if isinstance(summary, (bytes, bytearray, memoryview)):
            try:
                summary = summary_pb2.Summary.FromString(bytes(summary))
            except DecodeError:
                raise ValueError("add_summary: summary bytes are not a serialized Summary") from None
        elif type(summary).__name__ != "Summary" or not hasattr(summary, "SerializeToString"):
            raise TypeError(f"add_summary: summary must be a Summary or its serialized bytes, "
                            f"got {type(summary).__name__}")
        self._summary(summary, global_step, walltime)

    def add_graph(
        self,
        model: Any,
        input_to_model: Any = None,
        verbose: bool = False,
        use_strict_trace: bool = True,
    ) -> None:
        """Log a graph: a torch model traced on `input_to_model` (names and scopes as torch
        writes them), or a GraphDef, its serialized bytes, or anything with `.as_graph_def()`.
        """
        if is_torch_model(model):
            graph, run_metadata = torch_graph(model, input_to_model, verbose, use_strict_trace)
            self._event(graph_def=graph)
            tagged = event_pb2.TaggedRunMetadata(tag="step1", run_metadata=run_metadata)
            self._event(tagged_run_metadata=tagged)
            return
        try:
            graph = graph_bytes(model)
        except TypeError:
            swapped = " (arguments swapped?)" if is_torch_model(input_to_model) else ""
            raise TypeError(
                "add_graph(model, input_to_model): model must be a torch.nn.Module, a GraphDef, "
                f"its serialized bytes or a graph with as_graph_def(), got "
                f"{type(model).__name__}{swapped}"
            ) from None
        if input_to_model is not None:
            raise TypeError(
                "add_graph(model, input_to_model): input_to_model is only for torch models, "
                f"but model is a {type(model).__name__}"
            )
        self._event(graph_def=graph)

    def add_onnx_graph(self, onnx_model_file: Any) -> None:
        """Log the graph of an ONNX model: a .onnx path, its bytes or an onnx.ModelProto."""
        self._event(graph_def=onnx_graph_def(onnx_model_file).SerializeToString())

    def add_hparams(
        self,
        hparam_dict: dict[str, Any],
        metric_dict: dict[str, Any],
        hparam_domain_discrete: dict[str, list] | None = None,
        run_name: str | None = None,
        global_step: Any = None,
        *,
        name: str | None = None,
    ) -> None:
        """Log hyperparameters and their metrics to the run `logdir/<run_name>` (default: time).

        `name` is tensorboardX's word for `run_name`; tensorboardX's positional
        `add_hparams(h, m, "name")` works as well.
        """
        if isinstance(hparam_domain_discrete, str):
            hparam_domain_discrete, name = None, hparam_domain_discrete
        summaries = hparams_plugin.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        run = os.path.join(self._logdir, run_name or name or str(time.time()))
        with SummaryWriter(run, max_queue=self._options[0]) as w:
            for summary in summaries:
                w.add_summary(summary, global_step)
            for tag, value in metric_dict.items():
                w.add_scalar(tag, value, global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Log a `RunMetadata` (or its bytes) of one `Session.run` under `tag`."""
        tagged = event_pb2.TaggedRunMetadata(
            tag=builders.check_tag(tag), run_metadata=_run_metadata_bytes(run_metadata)
        )
        self._event(step=_int_step(global_step), tagged_run_metadata=tagged)

    @contextlib.contextmanager
    def use_metadata(self, *, global_step: Any = None, walltime: float | None = None):
        """Within the block, `add_*` calls without a step or walltime use these (tensorboardX)."""
        if global_step is None and walltime is None:
            raise ValueError("use_metadata needs global_step or walltime, got neither")
        if self._defaults != (None, None):
            raise RuntimeError("use_metadata blocks do not nest")
        _int_step(global_step)
        self._defaults, fast_tags = (global_step, walltime), self._tag_ids
        self._tag_ids = {}  # every add_scalar takes the path that applies the defaults
        try:
            yield self
        finally:
            self._defaults, self._tag_ids = (None, None), fast_tags

    def _all_writers(self) -> list[EventFileWriter]:
        with self._lock:
            return [self._writer, *self._subwriters.values()]

    def flush(self) -> None:
        """Return once everything logged so far is written to the OS."""
        for writer in self._all_writers():
            writer.flush()

    def close(self) -> None:
        """Write everything out and close every event file; a later `add_*` opens new ones."""
        errors = []
        for writer in self._all_writers():
            try:
                writer.close()
            except OSError as e:
                errors.append(e)
        with self._lock:
            self._subwriters = {}
        if errors:
            raise errors[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
