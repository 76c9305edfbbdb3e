"""TF1's `tf.summary.FileWriter`: Summary protos, graphs and session logs into an event file."""

from __future__ import annotations

import os
import threading
from time import time as _now
from typing import Any

from google.protobuf.message import DecodeError

from flowlog.events.writer import EventFileWriter
from flowlog.proto import event_pb2, summary_pb2
from flowlog.summaries import builders
from flowlog.writers.encoding import _int_step, _run_metadata_bytes, graph_bytes

__all__ = ["FileWriter"]


class FileWriter:
    """TF1's `tf.summary.FileWriter`: writes Summary protos, graphs and session logs.

    Like TensorFlow, a summary tag's metadata is stored with its first value only.
    """

    def __init__(
        self,
        logdir: str | os.PathLike,
        graph: Any = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str | None = None,
        graph_def: Any = None,
        storage_options: dict | None = None,
    ):
        self._writer = EventFileWriter(logdir, max_queue, flush_secs, filename_suffix or "",
                                       storage_options)
        self._seen_tags: set[str] = set()
        self._run_metadata_tags: set[str] = set()
        self._lock = threading.Lock()
        if graph is not None or graph_def is not None:
            self.add_graph(graph if graph is not None else graph_def)

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self._writer.get_logdir()

    def add_event(self, event: Any) -> None:
        """Write an `Event` as given."""
        self._writer.add_event(event)

    def _add(self, event: event_pb2.Event, global_step: Any) -> None:
        event.wall_time = _now()
        if global_step is not None:
            event.step = _int_step(global_step)
        self._writer.add_event(event)

    def add_summary(self, summary: Any, global_step: Any = None) -> None:
        """Write a `Summary` or the serialized bytes a summary op returned."""
        if isinstance(summary, (bytes, bytearray)):
            parsed = summary_pb2.Summary()
            try:
                parsed.ParseFromString(bytes(summary))
            except DecodeError:
                raise ValueError(
                    "add_summary got bytes that are not a serialized Summary"
                ) from None
            summary = parsed
        elif hasattr(summary, "SerializeToString"):  # a copy: metadata is stripped below
            summary = summary_pb2.Summary.FromString(summary.SerializeToString())
        else:
            raise TypeError(f"expected a Summary or its bytes, got {type(summary).__name__}")
        with self._lock:
            for value in summary.value:
                if not value.HasField("metadata"):
                    continue
                if value.tag in self._seen_tags:
                    value.ClearField("metadata")  # saves space; readers remember it per tag
                else:
                    self._seen_tags.add(value.tag)
        self._add(event_pb2.Event(summary=summary), global_step)

    def add_graph(self, graph: Any, global_step: Any = None, graph_def: Any = None) -> None:
        """Write a graph: a GraphDef, its bytes, or anything with `.as_graph_def()`."""
        self._add(
            event_pb2.Event(graph_def=graph_bytes(graph if graph is not None else graph_def)),
            global_step,
        )

    def add_session_log(self, session_log: Any, global_step: Any = None) -> None:
        """Write a `SessionLog` (START, STOP, CHECKPOINT)."""
        if not isinstance(session_log, event_pb2.SessionLog):
            session_log = event_pb2.SessionLog.FromString(session_log.SerializeToString())
        self._add(event_pb2.Event(session_log=session_log), global_step)

    def add_run_metadata(self, run_metadata: Any, tag: str, global_step: Any = None) -> None:
        """Write the `RunMetadata` of one `Session.run` under `tag` (each tag once)."""
        builders.check_tag(tag)
        with self._lock:
            if tag in self._run_metadata_tags:
                raise ValueError("The provided tag was already used for this event type")
            self._run_metadata_tags.add(tag)
        tagged = event_pb2.TaggedRunMetadata(
            tag=tag, run_metadata=_run_metadata_bytes(run_metadata)
        )
        self._add(event_pb2.Event(tagged_run_metadata=tagged), global_step)

    def flush(self) -> None:
        """Return once everything added so far is written to the OS."""
        self._writer.flush()

    def close(self) -> None:
        """Write everything out and close the event file."""
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
