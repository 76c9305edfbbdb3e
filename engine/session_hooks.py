"""The hooks of `tf.train.MonitoredSession`: what each run also fetches, and what is done
with it (stop at a step, stop on NaN, log tensors, save checkpoints and summaries)."""
from __future__ import annotations

import os
import time
from collections import namedtuple

import numpy as np
from flowlog.engine.gfile import logging
from flowlog.engine.meta_graph import write_graph
from flowlog.engine.saver import Saver
from flowlog.engine.summary import merge_all

from flowlog.writers.file_writer import FileWriter


class SessionRunArgs(namedtuple("SessionRunArgs", ["fetches", "feed_dict", "options"])):
    """What a hook adds to a run: more fetches, more feeds."""

    def __new__(cls, fetches, feed_dict=None, options=None):
        return super().__new__(cls, fetches, feed_dict, options)


SessionRunValues = namedtuple("SessionRunValues", ["results", "options", "run_metadata"])


class SessionRunContext:
    """The run a hook sees: the caller's fetches and feeds, the session, a way to stop."""

    def __init__(self, original_args: SessionRunArgs, session):
        self.original_args = original_args
        self.session = session
        self.stop_requested = False

    def request_stop(self) -> None:
        self.stop_requested = True


class SessionRunHook:
    """Called around session creation and each run; every method may be left as is."""

    def begin(self):
        """Before the graph is finalized: the last chance to add ops."""

    def after_create_session(self, session, coord):
        """Once the variables are restored or initialized."""

    def before_run(self, run_context):
        """A SessionRunArgs of what to fetch and feed in this run too, or None."""
        return

    def after_run(self, run_context, run_values):
        """`run_values.results` holds what `before_run` asked for."""

    def end(self, session):
        """When the monitored session closes without an error."""


def _global_step_tensor():
    from flowlog.engine.train import get_global_step

    step = get_global_step()
    if step is None:
        raise RuntimeError("Global step should be created to use this hook.")
    return step


class _Every:
    """Fires on the first step, then once `steps` steps or `secs` seconds have passed."""

    def __init__(self, steps=None, secs=None):
        if (steps is None) == (secs is None):
            raise ValueError("Exactly one of every_steps and every_secs should be provided.")
        self.steps, self.secs = steps, secs
        self.last_step, self.last_time = None, None

    def due(self, step) -> bool:
        if self.last_step is None:
            return True
        if step == self.last_step:
            return False
        if self.steps is not None:
            return step >= self.last_step + self.steps
        return time.time() >= self.last_time + self.secs

    def fired(self, step) -> None:
        self.last_step, self.last_time = step, time.time()


class StopAtStepHook(SessionRunHook):
    """Requests a stop once the global step reaches `last_step` (or `num_steps` more)."""

    def __init__(self, num_steps=None, last_step=None):
        if (num_steps is None) == (last_step is None):
            raise ValueError("One of num_steps or last_step must be specified.")
        self._num_steps, self._last_step = num_steps, last_step

    def begin(self):
        self._step = _global_step_tensor()

    def after_create_session(self, session, coord):
        if self._last_step is None:
            self._last_step = int(session.run(self._step)) + self._num_steps

    def before_run(self, run_context):
        return SessionRunArgs(self._step)

    def after_run(self, run_context, run_values):
        # the step fetched is the one before this run's update: read it again when it is near
        if run_values.results + 1 >= self._last_step and \
                run_context.session.run(self._step) >= self._last_step:
            run_context.request_stop()


class NanLossDuringTrainingError(RuntimeError):
    def __str__(self):
        return "NaN loss during training."


class NanTensorHook(SessionRunHook):
    """Stops (or raises NanLossDuringTrainingError) when `loss_tensor` is NaN."""

    def __init__(self, loss_tensor, fail_on_nan_loss: bool = True):
        self._loss, self._fail = loss_tensor, fail_on_nan_loss

    def before_run(self, run_context):
        return SessionRunArgs(self._loss)

    def after_run(self, run_context, run_values):
        if np.isnan(run_values.results):
            if self._fail:
                raise NanLossDuringTrainingError
            logging.error("Model diverged with loss = NaN.")
            run_context.request_stop()


class LoggingTensorHook(SessionRunHook):
    """Logs (tf.logging.info) the values of `tensors` every `every_n_iter` runs."""

    def __init__(self, tensors, every_n_iter=None, every_n_secs=None, at_end=False,
                 formatter=None):
        if not isinstance(tensors, dict):
            tensors = {getattr(t, "name", t): t for t in tensors}
        self._tensors, self._formatter = tensors, formatter
        self._every = _Every(every_n_iter, every_n_secs)
        self._iter = 0

    def before_run(self, run_context):
        return SessionRunArgs(self._tensors) if self._every.due(self._iter) else None

    def after_run(self, run_context, run_values):
        if run_values.results is not None:
            self._every.fired(self._iter)
            values = run_values.results
            logging.info(self._formatter(values) if self._formatter else
                         ", ".join(f"{k} = {v}" for k, v in values.items()))
        self._iter += 1


_writers: dict[str, FileWriter] = {}


def _writer(directory: str) -> FileWriter:
    """One FileWriter per directory, shared by the hooks (TF's FileWriterCache)."""
    if directory not in _writers:
        _writers[directory] = FileWriter(directory)
    return _writers[directory]


class CheckpointSaverHook(SessionRunHook):
    """Saves `checkpoint_dir/model.ckpt-<step>` when the session starts, every `save_steps`
    steps or `save_secs` seconds, and at the end; writes graph.pbtxt beside them."""

    def __init__(self, checkpoint_dir, save_secs=None, save_steps=None, saver=None,
                 checkpoint_basename="model.ckpt", scaffold=None, listeners=None):
        self._dir, self._saver, self._scaffold = checkpoint_dir, saver, scaffold
        self._path = os.path.join(checkpoint_dir, checkpoint_basename)
        self._every = _Every(save_steps, save_secs)

    def begin(self):
        self._step = _global_step_tensor()

    def _save(self, session, step) -> None:
        saver = self._saver or (self._scaffold.saver if self._scaffold else None) or Saver()
        saver.save(session, self._path, global_step=step)
        self._every.fired(step)

    def after_create_session(self, session, coord):
        write_graph(session.graph.as_graph_def(add_shapes=True), self._dir, "graph.pbtxt")
        _writer(self._dir).add_graph(session.graph)
        self._save(session, int(session.run(self._step)))

    def before_run(self, run_context):
        return SessionRunArgs(self._step)

    def after_run(self, run_context, run_values):
        if self._every.due(run_values.results + 1):
            step = int(run_context.session.run(self._step))
            if self._every.due(step):
                self._save(run_context.session, step)

    def end(self, session):
        step = int(session.run(self._step))
        if step != self._every.last_step:
            self._save(session, step)


class SummarySaverHook(SessionRunHook):
    """Writes the merged summaries to `output_dir` every `save_steps` steps (or secs)."""

    def __init__(self, save_steps=None, save_secs=None, output_dir=None, summary_writer=None,
                 scaffold=None, summary_op=None):
        self._every = _Every(save_steps, save_secs)
        self._dir, self._writer, self._scaffold, self._op = output_dir, summary_writer, \
            scaffold, summary_op

    def begin(self):
        self._writer = self._writer or _writer(self._dir)
        self._step = _global_step_tensor()

    def before_run(self, run_context):
        op = self._op if self._op is not None else (
            self._scaffold.summary_op if self._scaffold else merge_all())
        if op is None or not self._every.due(self._last):
            return SessionRunArgs({"step": self._step})
        return SessionRunArgs({"step": self._step, "summary": op})

    _last = -1

    def after_run(self, run_context, run_values):
        step = int(run_values.results["step"])
        self._last = step + 1
        if "summary" in run_values.results:
            self._every.fired(self._last)
            self._writer.add_summary(run_values.results["summary"], step)

    def end(self, session):
        self._writer.flush()


class StepCounterHook(SessionRunHook):
    """Writes `global_step/sec` every `every_n_steps` steps."""

    def __init__(self, every_n_steps=100, output_dir=None, summary_writer=None):
        self._n, self._dir, self._writer = every_n_steps, output_dir, summary_writer

    def begin(self):
        self._writer = self._writer or _writer(self._dir)
        self._step = _global_step_tensor()
        self._mark = None

    def before_run(self, run_context):
        return SessionRunArgs(self._step)

    def after_run(self, run_context, run_values):
        from flowlog.proto.summary_pb2 import Summary

        step, now = int(run_values.results) + 1, time.time()
        if self._mark is None:
            self._mark = (step, now)
        elif step >= self._mark[0] + self._n and now > self._mark[1]:
            rate = (step - self._mark[0]) / (now - self._mark[1])
            self._writer.add_summary(Summary(value=[Summary.Value(
                tag="global_step/sec", simple_value=rate)]), step)
            self._mark = (step, now)


__all__ = ["CheckpointSaverHook", "LoggingTensorHook", "NanLossDuringTrainingError",
           "NanTensorHook", "SessionRunArgs", "SessionRunContext", "SessionRunHook",
           "SessionRunValues", "StepCounterHook", "StopAtStepHook", "SummarySaverHook"]
