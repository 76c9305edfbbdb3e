"""`fl.train`: optimizers, the global step, Saver and checkpoints (see saver.py), SummaryWriter."""
from __future__ import annotations

from flowlog.engine import dtypes, initializers
from flowlog.engine.framework import GraphKeys, get_default_graph
from flowlog.engine.lr_schedules import (
    exponential_decay,
    inverse_time_decay,
    piecewise_constant,
    polynomial_decay,
)
from flowlog.engine.meta_graph import export_meta_graph, import_meta_graph, write_graph
from flowlog.engine.monitored_session import MonitoredSession, MonitoredTrainingSession, Scaffold
from flowlog.engine.moving_averages import ExponentialMovingAverage
from flowlog.engine.optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
)
from flowlog.engine.saver import (
    CheckpointReader,
    NewCheckpointReader,
    Saver,
    checkpoint_exists,
    get_checkpoint_state,
    latest_checkpoint,
    list_variables,
    load_variable,
    update_checkpoint_state,
)
from flowlog.engine.session_hooks import (
    CheckpointSaverHook,
    LoggingTensorHook,
    NanLossDuringTrainingError,
    NanTensorHook,
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
    StepCounterHook,
    StopAtStepHook,
    SummarySaverHook,
)
from flowlog.engine.variables import Variable, get_variable

from flowlog.events.reader import read_events as summary_iterator  # the Events of an event file
from flowlog.writers.file_writer import FileWriter as SummaryWriter  # TF1's old name of FileWriter

__all__ = [
    "AdagradOptimizer",
    "AdamOptimizer",
    "CheckpointReader",
    "CheckpointSaverHook",
    "ExponentialMovingAverage",
    "GradientDescentOptimizer",
    "LoggingTensorHook",
    "MomentumOptimizer",
    "MonitoredSession",
    "MonitoredTrainingSession",
    "NanLossDuringTrainingError",
    "NanTensorHook",
    "NewCheckpointReader",
    "Optimizer",
    "RMSPropOptimizer",
    "Saver",
    "Scaffold",
    "SessionRunArgs",
    "SessionRunContext",
    "SessionRunHook",
    "SessionRunValues",
    "StepCounterHook",
    "StopAtStepHook",
    "SummarySaverHook",
    "SummaryWriter",
    "checkpoint_exists",
    "create_global_step",
    "exponential_decay",
    "export_meta_graph",
    "get_checkpoint_state",
    "get_global_step",
    "get_or_create_global_step",
    "global_step",
    "import_meta_graph",
    "inverse_time_decay",
    "latest_checkpoint",
    "list_variables",
    "load_variable",
    "piecewise_constant",
    "polynomial_decay",
    "summary_iterator",
    "update_checkpoint_state",
    "write_graph",
]


# --- the global step ------------------------------------------------------------------------


def get_global_step(graph=None) -> Variable | None:
    """The graph's global step variable (GLOBAL_STEP collection), or None."""
    graph = graph or get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        raise TypeError("There are multiple items in collection global_step. "
                        "There should be only one.")
    return found[0] if found else None


def create_global_step(graph=None) -> Variable:
    """A new int64 variable `global_step`, zero, untrainable; ValueError if one exists."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        return get_variable(GraphKeys.GLOBAL_STEP, shape=[], dtype=dtypes.int64,
                            initializer=initializers.Zeros(dtypes.int64), trainable=False,
                            collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None) -> Variable:
    """The global step variable, created on first use."""
    step = get_global_step(graph)
    return step if step is not None else create_global_step(graph)


def global_step(sess, global_step_tensor) -> int:
    """The value of the global step in `sess`, as a Python int."""
    return int(sess.run(global_step_tensor))
