"""`fl.train`: optimizers, the global step, Saver (NumPy .npz checkpoints) and SummaryWriter."""
from __future__ import annotations

import os

import numpy as np
from flowlog.engine import dtypes, errors, initializers
from flowlog.engine.framework import GraphKeys, get_default_graph
from flowlog.engine.optimizers import (
    AdagradOptimizer,
    AdamOptimizer,
    GradientDescentOptimizer,
    MomentumOptimizer,
    Optimizer,
    RMSPropOptimizer,
)
from flowlog.engine.variables import Variable, fmt_dims, get_variable, global_variables

from flowlog.writer import FileWriter as SummaryWriter  # TF1's old name of FileWriter

__all__ = [
    "AdagradOptimizer", "AdamOptimizer", "GradientDescentOptimizer", "MomentumOptimizer",
    "Optimizer", "RMSPropOptimizer", "Saver", "SummaryWriter", "create_global_step",
    "get_global_step", "get_or_create_global_step", "global_step", "latest_checkpoint",
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


# --- checkpoints ----------------------------------------------------------------------------

_STATE_FILE = "checkpoint"


class Saver:
    """Saves and restores variable values of a session to `<prefix>.npz` files.

    `var_list` is a list of variables or a dict {name in checkpoint: variable}; by default all
    global variables. Like TF's Saver it keeps a `checkpoint` file naming the latest ones.
    """

    def __init__(self, var_list=None, max_to_keep: int = 5, **_ignored):
        if var_list is None:
            var_list = global_variables()
        if isinstance(var_list, dict):
            self._vars = dict(var_list)
        else:
            self._vars = {v.op.name: v for v in var_list}
        if not self._vars:
            raise ValueError("No variables to save")
        self._max_to_keep = max_to_keep
        self._last: list[str] = []

    def save(self, sess, save_path: str, global_step=None, write_state: bool = True,
             **_ignored) -> str:
        """Write the variables' values in `sess`; returns the checkpoint prefix."""
        prefix = os.fspath(save_path)
        if global_step is not None:
            step = global_step if isinstance(global_step, int) else int(sess.run(global_step))
            prefix = f"{prefix}-{step}"
        directory = os.path.dirname(prefix)
        if directory and not os.path.isdir(directory):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        values = {name: sess._cell(v.op).read() for name, v in self._vars.items()}
        tmp = prefix + ".npz.tmp"
        with open(tmp, "wb") as f:
            np.savez(f, **values)
        os.replace(tmp, prefix + ".npz")  # a crash mid-write never leaves a torn checkpoint
        if write_state:
            self._remember(prefix)
        return prefix

    def restore(self, sess, save_path: str) -> None:
        """Set the variables in `sess` to the values saved at prefix `save_path`."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        path = os.fspath(save_path)
        path = path if path.endswith(".npz") else path + ".npz"
        if not os.path.isfile(path):
            raise errors.NotFoundError(None, None, "Unsuccessful TensorSliceReader constructor: "
                                       f"Failed to find any matching files for {save_path}")
        with np.load(path, allow_pickle=False) as data:
            for name, v in self._vars.items():
                if name not in data.files:
                    raise errors.NotFoundError(None, None,
                                               f"Key {name} not found in checkpoint {save_path}")
                value = data[name]
                if not v.shape.is_compatible_with(value.shape):
                    raise errors.InvalidArgumentError(
                        None, v.op, f"Assign requires shapes of both tensors to match. lhs shape= "
                                    f"{fmt_dims(v.shape)} rhs shape= {fmt_dims(value.shape)} "
                                    f"(variable {name} in checkpoint {save_path})")
                sess._cell(v.op).value = value.astype(v.dtype.base_dtype.as_numpy_dtype)

    def _remember(self, prefix: str) -> None:
        if prefix in self._last:
            self._last.remove(prefix)
        self._last.append(prefix)
        while self._max_to_keep and len(self._last) > self._max_to_keep:
            old = self._last.pop(0)
            if os.path.exists(old + ".npz"):
                os.remove(old + ".npz")
        directory = os.path.dirname(prefix) or "."
        lines = [f'model_checkpoint_path: "{os.path.basename(prefix)}"']
        lines += [f'all_model_checkpoint_paths: "{os.path.basename(p)}"' for p in self._last]
        with open(os.path.join(directory, _STATE_FILE), "w") as f:
            f.write("\n".join(lines) + "\n")


def latest_checkpoint(checkpoint_dir: str) -> str | None:
    """The prefix of the newest checkpoint a Saver wrote in `checkpoint_dir`, or None."""
    state = os.path.join(checkpoint_dir, _STATE_FILE)
    if not os.path.isfile(state):
        return None
    with open(state) as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model_checkpoint_path":
                prefix = os.path.join(checkpoint_dir, value.strip().strip('"'))
                return prefix if os.path.isfile(prefix + ".npz") else None
    return None
