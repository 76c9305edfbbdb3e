"""tensorboardX's `GlobalSummaryWriter`: one writer shared by a program's threads, steps per tag.

Callers log without a step; each tag counts its own steps from 0, so workers that each log
"loss" build one series between them. tensorboardX also shares the counters with child
processes through a multiprocessing manager; here the writer belongs to one process (a
forked child's copy refuses to write, see `SummaryWriter`), so the counters are per process.
"""

from __future__ import annotations

import threading
from typing import Any

from flowlog.writers.summary_writer import SummaryWriter

_global: GlobalSummaryWriter | None = None
_global_lock = threading.Lock()


class GlobalSummaryWriter:
    """A `SummaryWriter` whose `add_*` calls take no step: each tag counts its own."""

    def __init__(self, *args: Any, **kwargs: Any):
        """Takes the arguments of `SummaryWriter` (logdir, comment, purge_step, max_queue, ...)."""
        self.smw = SummaryWriter(*args, **kwargs)
        self._steps: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def _next_step(self, kind: str, tag: str) -> int:
        with self._lock:
            step = self._steps.get((kind, tag), -1) + 1
            self._steps[kind, tag] = step
            return step

    def add_scalar(self, tag: str, scalar_value: Any, walltime: float | None = None) -> None:
        """Log a scalar at the tag's next step."""
        self.smw.add_scalar(tag, scalar_value, self._next_step("scalar", tag), walltime)

    def add_image(
        self, tag: str, img_tensor: Any, walltime: float | None = None, dataformats: str = "CHW"
    ) -> None:
        """Log an image at the tag's next step."""
        step = self._next_step("image", tag)
        self.smw.add_image(tag, img_tensor, step, walltime, dataformats)

    def add_text(self, tag: str, text_string: str, walltime: float | None = None) -> None:
        """Log a text at the tag's next step."""
        self.smw.add_text(tag, text_string, self._next_step("text", tag), walltime)

    def add_histogram(
        self, tag: str, values: Any, bins: Any = "tensorflow", walltime: float | None = None,
        max_bins: int | None = None,
    ) -> None:
        """Log a histogram at the tag's next step."""
        step = self._next_step("histogram", tag)
        self.smw.add_histogram(tag, values, step, bins, walltime, max_bins)

    def add_audio(
        self, tag: str, snd_tensor: Any, sample_rate: int = 44100, walltime: float | None = None
    ) -> None:
        """Log audio at the tag's next step."""
        step = self._next_step("audio", tag)
        self.smw.add_audio(tag, snd_tensor, step, sample_rate, walltime)

    @staticmethod
    def getSummaryWriter() -> GlobalSummaryWriter:  # tensorboardX's camelCase name
        """The program's shared writer, made on first use (in `runs/<time>_<host>`)."""
        global _global
        with _global_lock:
            if _global is None or _global.smw is None:
                _global = GlobalSummaryWriter()
            return _global

    @property
    def file_writer(self):
        """The underlying event file writer."""
        return self.smw.file_writer

    def flush(self) -> None:
        """Return once everything logged so far is written to the OS."""
        self.smw.flush()

    def close(self) -> None:
        """Write everything out and close the event file."""
        self.smw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
