"""Ops that TensorFlow's own graphs hold and `import_meta_graph` must rebuild: `DivNoNan`
(`tf.div_no_nan`, in every `tf.losses` mean), `ShapeN` and `DynamicStitch` (in TF's
gradients of Conv2D and of reductions), `Unique` and `SparseApplyAdagrad` (Adagrad's update
of the rows an embedding lookup read)."""
from __future__ import annotations

import numpy as np
from flowlog.engine import dtypes, errors
from flowlog.engine.broadcast_ops import unbroadcast
from flowlog.engine.framework import name_scope, register_op
from flowlog.engine.index_ops import gather
from flowlog.engine.op_util import (
    FLOATS,
    apply_op,
    broadcast_infer,
    build,
    convert_args,
    not_differentiable,
)
from flowlog.engine.shapes import TensorShape

# --- DivNoNan ---------------------------------------------------------------------------------


def _div_no_nan_grad(op, g):
    x, y = op.inputs
    return unbroadcast(x, y, lambda: div_no_nan(g, y),
                       lambda: g * div_no_nan(div_no_nan(-x, y), y))


@register_op("DivNoNan", infer=broadcast_infer, grad=_div_no_nan_grad)
def _div_no_nan_kernel(x, y):
    safe = np.where(y == 0, np.ones_like(y), y)
    return np.where(y == 0, np.zeros((), x.dtype), x / safe).astype(x.dtype, copy=False)


def div_no_nan(x, y, name: str | None = None):
    """x / y, and 0 where y is 0 (whatever x is)."""
    return apply_op("DivNoNan", [("x", x), ("y", y)], FLOATS, name=name, default_name="div_no_nan")


# --- ShapeN -----------------------------------------------------------------------------------


def _shape_n_infer(op):
    out_type = op.attrs.get("out_type", dtypes.int32)
    return [(out_type, TensorShape([t.shape.ndims])) for t in op.inputs]


@register_op("ShapeN", infer=_shape_n_infer, grad=not_differentiable, attrs=("out_type",))
def _shape_n_kernel(*inputs, out_type):
    return tuple(np.array(x.shape, dtype=out_type.as_numpy_dtype) for x in inputs)


def shape_n(input, out_type=dtypes.int32, name: str | None = None):
    """The shapes of the tensors `input`, one int vector each."""
    with name_scope(name, "ShapeN", list(input)) as scope:
        tensors = [convert_args("ShapeN", [("input", t)])[0] for t in input]
        attrs = {"N": len(tensors), "out_type": dtypes.as_dtype(out_type)}
        return list(build("ShapeN", tensors, attrs, name=scope).outputs)


# --- DynamicStitch ----------------------------------------------------------------------------


def _stitch_infer(op):
    n = len(op.inputs) // 2
    index, data = op.inputs[0], op.inputs[n]
    if index.shape.ndims is None or data.shape.dims is None:
        return [(data.dtype.base_dtype, TensorShape(None))]
    return [(data.dtype.base_dtype, TensorShape([None, *data.shape.dims[index.shape.ndims:]]))]


def _stitch_grad(op, g):
    # Each data tensor gave the rows its indices name (later ones win; TF ignores that too).
    n = len(op.inputs) // 2
    return [None] * n + [gather(g, op.inputs[i]) for i in range(n)]


@register_op("DynamicStitch", infer=_stitch_infer, grad=_stitch_grad)
def _stitch_kernel(*inputs):
    n = len(inputs) // 2
    indices, data = inputs[:n], inputs[n:]
    rows = max((int(i.max()) + 1 for i in indices if i.size), default=0)
    inner = data[0].shape[indices[0].ndim:]
    out = np.zeros((rows, *inner), dtype=data[0].dtype)
    filled = np.zeros(rows, dtype=bool)
    for index, values in zip(indices, data):
        if values.shape[:index.ndim] != index.shape:
            raise errors.InvalidArgumentError(
                None, None, f"data.shape {list(values.shape)} does not start with "
                            f"indices.shape {list(index.shape)}")
        flat = index.reshape(-1)
        out[flat] = values.reshape(len(flat), *inner)
        filled[flat] = True
    if not filled.all():
        raise errors.InvalidArgumentError(None, None, "Missing indices in DynamicStitch: "
                                          f"{np.flatnonzero(~filled)[:10].tolist()}")
    return out


def dynamic_stitch(indices, data, name: str | None = None):
    """One tensor of the rows of `data[i]` placed at `indices[i]`."""
    if len(indices) != len(data) or not indices:
        raise ValueError(f"dynamic_stitch needs as many indices as data tensors (at least "
                         f"one), got {len(indices)} and {len(data)}")
    with name_scope(name, "DynamicStitch", [*indices, *data]) as scope:
        index_tensors = [convert_args("DynamicStitch", [("indices", i)], (dtypes.int32,))[0]
                         for i in indices]
        data_tensors = convert_args("DynamicStitch", [("data", d) for d in data])
        return build("DynamicStitch", index_tensors + data_tensors, {"N": len(indices)},
                     name=scope).outputs[0]


# --- Unique ----------------------------------------------------------------------------------


def _unique_infer(op):
    x = op.inputs[0]
    return [(x.dtype.base_dtype, TensorShape([None])),
            (op.attrs.get("out_idx", dtypes.int32), x.shape)]


@register_op("Unique", infer=_unique_infer, grad=not_differentiable, attrs=("out_idx",))
def _unique_kernel(x, *, out_idx):
    # TF lists the values in the order they first appear (NumPy sorts them).
    values, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return values[order], rank[inverse.reshape(-1)].astype(out_idx.as_numpy_dtype)


def unique(x, out_idx=dtypes.int32, name: str | None = None):
    """(the distinct values of the vector `x` in order of first appearance, the position of
    each element of `x` among them)."""
    with name_scope(name, "Unique", [x]) as scope:
        (t,) = convert_args("Unique", [("x", x)])
        return tuple(build("Unique", [t], {"out_idx": dtypes.as_dtype(out_idx)},
                           name=scope).outputs)


# --- SparseApplyAdagrad -----------------------------------------------------------------------


def _sparse_adagrad_bind(op, session):
    update_slots = op.attrs.get("update_slots", True)

    def apply(var_cell, accum_cell, lr, grad, indices):
        var, accum = var_cell.read(), accum_cell.read()
        var, accum = var.copy(), accum.copy()  # other runs may still hold the old arrays
        for row, g in zip(indices.reshape(-1), grad):  # TF's kernel: one row at a time
            if update_slots:
                accum[row] = accum[row] + np.square(g)
            var[row] = var[row] - g * lr * (np.ones((), var.dtype) / np.sqrt(accum[row]))
        var_cell.value, accum_cell.value = var, accum
        return var

    return apply


register_op("SparseApplyAdagrad", bind=_sparse_adagrad_bind, stateful=True,
            infer=lambda op: [(op.inputs[0].dtype.base_dtype._as_ref(), op.inputs[0].shape)],
            attrs=("use_locking", "update_slots"))(None)


__all__ = ["div_no_nan", "dynamic_stitch", "shape_n", "unique"]
