"""`fl.train.Saver` and the checkpoint helpers of `tf.train`, in TensorFlow's format V2.

TensorFlow restores what flowlog saves and flowlog restores what TensorFlow saves (see
`checkpoint.py` for the files). Checkpoints written as `.npz` by earlier flowlog still restore.
"""
from __future__ import annotations

import os
import time

import numpy as np
from flowlog.engine import errors
from flowlog.engine.checkpoint import BundleReader, data_path, index_path, write_bundle
from flowlog.engine.variables import fmt_dims, global_variables
from google.protobuf import text_format

from flowlog.proto import checkpoint_pb2

STATE_FILE = "checkpoint"


class Saver:
    """Saves and restores the variables of a session as TensorFlow's checkpoints.

    `var_list` is a list of variables or a dict {name in checkpoint: variable}; by default all
    global variables. The newest `max_to_keep` checkpoints are kept (None or 0: all), plus
    one every `keep_checkpoint_every_n_hours`; the text file `checkpoint` beside them names
    them, the latest first.
    """

    def __init__(self, var_list=None, reshape=False, sharded=False, max_to_keep=5,
                 keep_checkpoint_every_n_hours=10000.0, name=None, restore_sequentially=False,
                 saver_def=None, builder=None, defer_build=False, allow_empty=False,
                 write_version=2, pad_step_number=False, save_relative_paths=False,
                 filename=None):
        if var_list is None:
            var_list = global_variables()
        if isinstance(var_list, dict):
            self._vars = dict(var_list)
        else:
            self._vars = {}
            for v in var_list:
                name = v.op.name
                if name in self._vars:
                    raise ValueError(f"At least two variables have the same name: {name}")
                self._vars[name] = v
        if not self._vars and not allow_empty:
            raise ValueError("No variables to save")
        self._max_to_keep = max_to_keep
        self._keep_every = float(keep_checkpoint_every_n_hours) * 3600
        self._pad = pad_step_number
        self._relative = save_relative_paths
        self._last: list[tuple[str, float]] = []  # (prefix, time saved), oldest first
        self._preserved = time.time()  # time of the last checkpoint kept for good

    @property
    def last_checkpoints(self) -> list[str]:
        """The prefixes of the checkpoints not deleted yet, oldest first."""
        return [p for p, _ in self._last]

    def recover_last_checkpoints(self, checkpoint_paths) -> None:
        """Take over the checkpoints an earlier Saver kept (`CheckpointState.
        all_model_checkpoint_paths`), so `max_to_keep` counts them too."""
        self._last = [(p, os.path.getmtime(index_path(p))) for p in checkpoint_paths
                      if os.path.exists(index_path(p))]

    def save(self, sess, save_path, global_step=None, latest_filename=None,
             meta_graph_suffix="meta", write_meta_graph=True, write_state=True,
             strip_default_attrs=False, save_debug_info=False) -> str:
        """Write the variables' values in `sess` under prefix `save_path` (`-<step>` added
        when `global_step` is given); returns the prefix. The directory is made if missing."""
        prefix = os.fspath(save_path)
        if global_step is not None:
            if isinstance(global_step, (int, np.integer)):
                step = int(global_step)
            else:
                step = int(sess.run(global_step))
            prefix = f"{prefix}-{step:08d}" if self._pad else f"{prefix}-{step}"
        values = {}
        for name, v in self._vars.items():
            values[name] = np.asarray(sess.variable_cell(v.op).read())
        write_bundle(prefix, values)
        if write_meta_graph:
            self.export_meta_graph(f"{prefix}.{meta_graph_suffix}", sess.graph)
        if write_state:
            self._remember(prefix, latest_filename or STATE_FILE)
        return prefix

    def export_meta_graph(self, filename: str, graph=None, as_text: bool = False):
        """Write the graph and its collections as a MetaGraphDef (TensorFlow's `.meta` file);
        returns the MetaGraphDef.

        It has no SaverDef: a SaverDef names the graph's save and restore ops, which flowlog
        does not build (its Saver reads and writes the files itself), and without one
        TensorFlow's `import_meta_graph` makes a Saver of the imported variables, which
        restores flowlog's checkpoints.
        """
        from flowlog.engine.meta_graph import export_meta_graph

        return export_meta_graph(filename, graph=graph, as_text=as_text)

    def restore(self, sess, save_path) -> None:
        """Set the variables in `sess` to the values saved at prefix `save_path`."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        prefix = os.fspath(save_path)
        if not os.path.exists(index_path(prefix)) and os.path.isfile(_npz(prefix)):
            values = _load_npz(prefix)  # written by an earlier flowlog
        else:
            reader = BundleReader(prefix)
            values = {name: reader.tensor(name) for name in self._vars if _has(reader, name)}
        for name, v in self._vars.items():
            if name not in values:
                raise errors.NotFoundError(None, None,
                                           f"Key {name} not found in checkpoint {prefix}")
            value = values[name]
            if not v.shape.is_compatible_with(value.shape):
                raise errors.InvalidArgumentError(
                    None, v.op, f"Assign requires shapes of both tensors to match. lhs shape= "
                                f"{fmt_dims(v.shape)} rhs shape= {fmt_dims(value.shape)} "
                                f"(variable {name} in checkpoint {prefix})")
            sess.variable_cell(v.op).value = value.astype(v.dtype.base_dtype.as_numpy_dtype)

    def _remember(self, prefix: str, state_file: str) -> None:
        self._last = [(p, t) for p, t in self._last if p != prefix] + [(prefix, time.time())]
        while self._max_to_keep and len(self._last) > self._max_to_keep:
            old, saved = self._last.pop(0)
            if saved - self._preserved >= self._keep_every:
                self._preserved = saved  # kept for good, and no longer listed
                continue
            for path in (index_path(old), data_path(old), f"{old}.meta", _npz(old)):
                if os.path.exists(path):
                    os.remove(path)
        update_checkpoint_state(os.path.dirname(prefix), prefix, self.last_checkpoints,
                                state_file)


def _npz(prefix: str) -> str:
    return prefix if prefix.endswith(".npz") else prefix + ".npz"


def _load_npz(prefix: str) -> dict[str, np.ndarray]:
    try:
        with np.load(_npz(prefix), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError) as e:
        raise errors.DataLossError(None, None, f"{_npz(prefix)}: not a readable checkpoint "
                                   f"({e})") from None


def _has(reader: BundleReader, name: str) -> bool:
    return name in reader.entries


def update_checkpoint_state(save_dir: str, model_checkpoint_path: str,
                            all_model_checkpoint_paths: list[str],
                            latest_filename: str = STATE_FILE) -> None:
    """Write the `checkpoint` text file of `save_dir`, as TensorFlow does: paths relative to
    `save_dir` when they were given relative, else absolute."""
    def shown(p: str) -> str:
        return p if os.path.isabs(p) else os.path.relpath(p, save_dir or ".")

    state = checkpoint_pb2.CheckpointState(
        model_checkpoint_path=shown(model_checkpoint_path),
        all_model_checkpoint_paths=[shown(p) for p in all_model_checkpoint_paths])
    path = os.path.join(save_dir or ".", latest_filename)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text_format.MessageToString(state))
    os.replace(tmp, path)


def get_checkpoint_state(checkpoint_dir, latest_filename=None):
    """The `CheckpointState` of `checkpoint_dir` (paths joined to it), or None."""
    path = os.path.join(os.fspath(checkpoint_dir), latest_filename or STATE_FILE)
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    state = checkpoint_pb2.CheckpointState()
    try:
        text_format.Parse(text, state)
    except text_format.ParseError as e:
        raise errors.DataLossError(None, None, f"{path}: not a checkpoint state file ({e})") \
            from None
    if not state.model_checkpoint_path:
        raise ValueError(f"Invalid checkpoint state loaded from {checkpoint_dir}")

    def joined(p: str) -> str:
        return p if os.path.isabs(p) else os.path.join(os.fspath(checkpoint_dir), p)

    state.model_checkpoint_path = joined(state.model_checkpoint_path)
    paths = [joined(p) for p in state.all_model_checkpoint_paths]
    del state.all_model_checkpoint_paths[:]
    state.all_model_checkpoint_paths.extend(paths)
    return state


def checkpoint_exists(checkpoint_prefix) -> bool:
    """Whether a checkpoint (either format) exists at `checkpoint_prefix`."""
    prefix = os.fspath(checkpoint_prefix)
    return os.path.exists(index_path(prefix)) or os.path.isfile(_npz(prefix))


def latest_checkpoint(checkpoint_dir, latest_filename=None) -> str | None:
    """The prefix of the newest checkpoint named in `checkpoint_dir`, or None."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is not None and checkpoint_exists(state.model_checkpoint_path):
        return state.model_checkpoint_path
    return None


def _prefix_of(ckpt_dir_or_file) -> str:
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        found = latest_checkpoint(path)
        if found is None:
            raise ValueError(f"Couldn't find 'checkpoint' file or checkpoints in given "
                             f"directory {path}")
        return found
    return path


class CheckpointReader:
    """TensorFlow's `NewCheckpointReader`: the tensors of one checkpoint."""

    def __init__(self, prefix: str):
        self._bundle = BundleReader(prefix)

    def has_tensor(self, name: str) -> bool:
        return name in self._bundle.entries

    def get_tensor(self, name: str) -> np.ndarray:
        return self._bundle.tensor(name)

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        return self._bundle.names()

    def get_variable_to_dtype_map(self) -> dict:
        from flowlog.engine import dtypes

        return {n: dtypes.as_dtype(self._bundle.dtype(n)) for n in self._bundle.entries}

    def debug_string(self) -> bytes:
        return "".join(f"{n} ({self._bundle.dtype(n)}) {s}\n"
                       for n, s in self._bundle.names().items()).encode()


def NewCheckpointReader(filepattern) -> CheckpointReader:
    return CheckpointReader(os.fspath(filepattern))


def list_variables(ckpt_dir_or_file) -> list[tuple[str, list[int]]]:
    """(name, shape) of every tensor in a checkpoint (or the latest one of a directory)."""
    return sorted(CheckpointReader(_prefix_of(ckpt_dir_or_file))
                  .get_variable_to_shape_map().items())


def load_variable(ckpt_dir_or_file, name: str) -> np.ndarray:
    """The value of tensor `name` in a checkpoint (or the latest one of a directory)."""
    name = name.removesuffix(":0")
    return CheckpointReader(_prefix_of(ckpt_dir_or_file)).get_tensor(name)
