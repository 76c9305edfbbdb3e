"""Ops that rearrange dimensions: transpose, expand_dims, squeeze, concat, stack, tile, slice, pad."""
from __future__ import annotations

import builtins

import numpy as np
from flowlog.engine.array_ops import identity, rank, reshape, shape, size, sum_over, zeros_like
from flowlog.engine.array_ops import range as range_op
from flowlog.engine.framework import Tensor, constant, convert_to_tensor, name_scope, register_op
from flowlog.engine.op_util import (
    apply_op,
    axes_list,
    build,
    build1,
    constant_value,
    convert_args,
    fmt_shape,
    index_arg,
    is_tensor_like,
    not_differentiable,
    shape_from_tensor,
)
from flowlog.engine.shapes import TensorShape


def _reshape_like(op, g):
    return (reshape(g, shape(op.inputs[0])),) + (None,) * (len(op.inputs) - 1)


# --- transpose ----------------------------------------------------------------------------------


def _transpose_infer(op):
    x, perm = op.inputs
    p = constant_value(perm)
    if p is None or x.shape.ndims is None:
        rank = x.shape.ndims if x.shape.ndims is not None else perm.shape[0]
        return [(x.dtype.base_dtype, TensorShape(None if rank is None else [None] * rank))]
    if sorted(int(i) for i in p) != list(range(x.shape.ndims)):
        raise ValueError(f"Dimension size must be a permutation of 0..{x.shape.ndims - 1}, got "
                         f"{list(p)} for '{op.name}' (op: 'Transpose') with input shapes: "
                         f"{fmt_shape(x.shape)}, {fmt_shape(perm.shape)}.")
    return [(x.dtype.base_dtype, TensorShape([x.shape.dims[int(i)] for i in p]))]


@register_op("InvertPermutation", grad=not_differentiable)
def _invert_permutation(p):
    return np.argsort(p).astype(p.dtype)


@register_op("Transpose", infer=_transpose_infer, grad=lambda op, g: (
    transpose(g, build1("InvertPermutation", [op.inputs[1]])), None))
def _transpose_kernel(x, perm):
    return np.transpose(x, perm)


def transpose(a, perm=None, name: str = "transpose", conjugate: bool = False) -> Tensor:
    """`a` with its dimensions permuted by `perm` (default: reversed)."""
    with name_scope(name, "transpose", [a]) as scope:
        x = convert_to_tensor(a, name="a")
        if perm is None:
            if x.shape.ndims is not None:
                perm = np.arange(x.shape.ndims - 1, -1, -1, dtype=np.int32)
            else:
                r = rank(x)
                perm = (r - 1) - range_op(0, r, 1)
        p = index_arg("Transpose", "perm", perm)
        return build1("Transpose", [x, p], name=scope)


# --- expand_dims, squeeze -------------------------------------------------------------------


def _expand_dims_infer(op):
    x, dim = op.inputs
    d = constant_value(dim)
    if d is None or x.shape.ndims is None:
        return [(x.dtype.base_dtype, TensorShape(None))]
    (axis,) = axes_list(d, x.shape.ndims + 1)
    dims = list(x.shape.dims)
    dims.insert(axis, 1)
    return [(x.dtype.base_dtype, TensorShape(dims))]


@register_op("ExpandDims", infer=_expand_dims_infer, grad=_reshape_like)
def _expand_dims_kernel(x, dim):
    return np.expand_dims(x, int(dim))


def expand_dims(input, axis=None, name: str | None = None, dim=None) -> Tensor:
    """`input` with a new dimension of size 1 inserted at `axis`."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("Must specify an axis argument to tf.expand_dims()")
    with name_scope(name, "ExpandDims", [input]) as scope:
        (x,) = convert_args("ExpandDims", [("input", input)])
        return build1("ExpandDims", [x, index_arg("ExpandDims", "dim", axis)], name=scope)


def _squeeze_infer(op):
    x = op.inputs[0]
    axes = op.attrs["squeeze_dims"]
    if x.shape.ndims is None:
        return [(x.dtype.base_dtype, TensorShape(None))]
    rank = x.shape.ndims
    wanted = set(axes_list(axes, rank)) if axes else None
    dims = []
    for i, d in enumerate(x.shape.dims):
        if wanted is not None and i in wanted:
            if d is not None and d != 1:
                raise ValueError(f"Can not squeeze dim[{i}], expected a dimension of 1, got {d} "
                                 f"for '{op.name}' (op: 'Squeeze') with input shapes: "
                                 f"{fmt_shape(x.shape)}.")
            continue
        if wanted is None and d == 1:
            continue
        dims.append(None if wanted is None and d is None else d)
    return [(x.dtype.base_dtype, TensorShape(dims))]


@register_op("Squeeze", infer=_squeeze_infer, grad=_reshape_like, attrs=("squeeze_dims",))
def _squeeze_kernel(x, *, squeeze_dims):
    return np.squeeze(x, axis=tuple(squeeze_dims) if squeeze_dims else None)


def squeeze(input, axis=None, name: str | None = None, squeeze_dims=None) -> Tensor:
    """`input` without its size-1 dimensions (or only those listed in `axis`)."""
    axis = squeeze_dims if axis is None else axis
    axis = [] if axis is None else [int(a) for a in np.ravel(axis)]
    return apply_op("Squeeze", [("input", input)], attrs={"squeeze_dims": axis}, name=name)


# --- concat, stack, unstack ------------------------------------------------------------------


def _concat_infer(op):
    values, axis = op.inputs[:-1], op.inputs[-1]
    ranks = {v.shape.ndims for v in values} - {None}
    a = constant_value(axis)
    dtype = values[0].dtype.base_dtype
    if not ranks:
        return [(dtype, TensorShape(None))]
    if len(ranks) > 1:
        raise ValueError(f"Shape must be rank {min(ranks)} but is rank {max(ranks)} for "
                         f"'{op.name}' (op: 'ConcatV2') with input shapes: "
                         + ", ".join(fmt_shape(v.shape) for v in op.inputs) + ".")
    (rank,) = ranks
    if a is None:
        return [(dtype, TensorShape([None] * rank))]
    (k,) = axes_list(a, rank)
    dims: list = [None] * rank
    for v in values:
        if v.shape.dims is None:
            continue
        for i, d in enumerate(v.shape.dims):
            if i != k and d is not None:
                if dims[i] is not None and dims[i] != d:
                    raise ValueError(f"Dimension {i} in both shapes must be equal, but are "
                                     f"{dims[i]} and {d}. Shapes are {fmt_shape(values[0].shape)}"
                                     f" and {fmt_shape(v.shape)}. for '{op.name}' "
                                     "(op: 'ConcatV2').")
                dims[i] = d
    sizes = [v.shape.dims[k] if v.shape.dims is not None else None for v in values]
    dims[k] = None if None in sizes else sum(sizes)
    return [(dtype, TensorShape(dims))]


def _concat_grad(op, g):
    values, axis = op.inputs[:-1], op.inputs[-1]
    shapes = [shape(v) for v in values]
    offsets = build("ConcatOffset", [axis] + shapes).outputs
    return [slice(g, o, s) for o, s in zip(offsets, shapes)] + [None]


@register_op("ConcatV2", infer=_concat_infer, grad=_concat_grad)
def _concat_kernel(*args):
    return np.concatenate(args[:-1], axis=int(args[-1]))


@register_op("ConcatOffset", infer=lambda op: [(t.dtype, t.shape) for t in op.inputs[1:]],
             grad=not_differentiable)
def _concat_offset_kernel(axis, *shapes):
    k = int(axis) % len(shapes[0])
    out, at = [], 0
    for s in shapes:
        o = np.zeros_like(s)
        o[k] = at
        at += s[k]
        out.append(o)
    return tuple(out)


def concat(values, axis, name: str = "concat") -> Tensor:
    """The tensors `values` joined along dimension `axis`."""
    values = list(values)
    if len(values) == 1:
        with name_scope(name) as scope:
            index_arg("ConcatV2", "concat_dim", axis)
            return identity(values[0], name=scope)
    with name_scope(name, "ConcatV2", values) as scope:
        ts = convert_args("ConcatV2", [(f"values_{i}", v) for i, v in enumerate(values)])
        a = index_arg("ConcatV2", "axis", axis)
        return build1("ConcatV2", ts + [a], {"N": len(ts)}, name=scope)


def _pack_infer(op):
    axis, shapes = op.attrs["axis"], [t.shape for t in op.inputs]
    merged = shapes[0]
    for s in shapes[1:]:
        if not merged.is_compatible_with(s):
            raise ValueError(f"Shapes must be equal rank, but are {fmt_shape(s)} and "
                             f"{fmt_shape(merged)} for '{op.name}' (op: 'Pack').")
        merged = merged.merge_with(s)
    if merged.dims is None:
        return [(op.inputs[0].dtype.base_dtype, TensorShape(None))]
    dims = list(merged.dims)
    dims.insert(axis % (len(dims) + 1), len(shapes))
    return [(op.inputs[0].dtype.base_dtype, TensorShape(dims))]


@register_op("Pack", infer=_pack_infer, attrs=("axis",),
             grad=lambda op, g: unstack(g, num=len(op.inputs), axis=op.attrs["axis"]))
def _pack_kernel(*xs, axis):
    return np.stack(xs, axis=axis)


def stack(values, axis: int = 0, name: str = "stack") -> Tensor:
    """The rank-R tensors `values` stacked into one rank-(R+1) tensor along `axis`."""
    values = list(values)
    if axis == 0 and not any(is_tensor_like(v) for v in np.ravel(np.array(values, dtype=object))):
        return constant(values, name=name)  # a list of constants is itself a constant
    with name_scope(name, "Pack", values) as scope:
        ts = convert_args("Pack", [(f"values_{i}", v) for i, v in enumerate(values)])
        return build1("Pack", ts, {"axis": int(axis), "N": len(ts)}, name=scope)


def _unpack_infer(op):
    x, axis, num = op.inputs[0], op.attrs["axis"], op.attrs["num"]
    if x.shape.dims is None:
        return [(x.dtype.base_dtype, TensorShape(None))] * num
    dims = list(x.shape.dims)
    del dims[axis % len(dims)]
    return [(x.dtype.base_dtype, TensorShape(dims))] * num


def _unpack_grad(op, *grads):
    filled = [g if g is not None else zeros_like(t) for g, t in zip(grads, op.outputs)]
    return (stack(filled, axis=op.attrs["axis"]),)


@register_op("Unpack", infer=_unpack_infer, grad=_unpack_grad, attrs=("axis",))
def _unpack_kernel(x, *, axis):
    return tuple(np.moveaxis(x, axis, 0))


def unstack(value, num: int | None = None, axis: int = 0, name: str = "unstack") -> list:
    """The slices of `value` along `axis`, as a list of tensors."""
    with name_scope(name, "Unpack", [value]) as scope:
        (x,) = convert_args("Unpack", [("value", value)])
        if num is None:
            num = x.shape[axis] if x.shape.dims is not None else None
            if num is None:
                raise ValueError(f"Cannot infer num from shape {x.shape}")
        return list(build("Unpack", [x], {"num": num, "axis": axis}, name=scope).outputs)


# --- tile, slice, pad ----------------------------------------------------------------------------


def _tile_infer(op):
    x, m = op.inputs
    mv = constant_value(m)
    if x.shape.dims is None or mv is None:
        return [(x.dtype.base_dtype, TensorShape(None if x.shape.dims is None
                                                 else [None] * x.shape.ndims))]
    return [(x.dtype.base_dtype, TensorShape([None if d is None else d * int(k)
                                              for d, k in zip(x.shape.dims, mv)]))]


def _tile_grad(op, g):
    x, multiples = op.inputs
    split = reshape(transpose(stack([multiples, shape(x)])), [-1])
    axes = range_op(0, size(split), 2)
    return sum_over(reshape(g, split), axes), None


@register_op("Tile", infer=_tile_infer, grad=_tile_grad)
def _tile_kernel(x, multiples):
    return np.tile(x, multiples)


def tile(input, multiples, name: str | None = None) -> Tensor:
    """`input` repeated `multiples[i]` times along each dimension i."""
    return apply_op("Tile", [("input", input)], name=name, index_args=[("multiples", multiples)])


def _slice_infer(op):
    x, begin, size = op.inputs
    b, s = constant_value(begin), shape_from_tensor(size)
    if s.dims is None:
        return [(x.dtype.base_dtype, TensorShape(None))]
    dims = []
    for i, d in enumerate(s.dims):
        if d is None and b is not None and x.shape.dims is not None and x.shape.dims[i] is not None \
                and constant_value(size) is not None:
            d = x.shape.dims[i] - int(b[i])  # size -1: everything after begin
        dims.append(d)
    return [(x.dtype.base_dtype, TensorShape(dims))]


def _slice_grad(op, g):
    x, begin, _ = op.inputs
    before = reshape(begin, [-1, 1])
    after = reshape(shape(x) - shape(g) - begin, [-1, 1])
    return pad(g, concat([before, after], 1)), None, None


@register_op("Slice", infer=_slice_infer, grad=_slice_grad)
def _slice_kernel(x, begin, size):
    spans = zip(begin.tolist(), size.tolist())
    return x[tuple(builtins.slice(b, None if s < 0 else b + s) for b, s in spans)]


def slice(input_, begin, size, name: str | None = None) -> Tensor:
    """The part of `input_` starting at `begin` with `size` elements per dimension (-1: rest)."""
    return apply_op("Slice", [("input", input_)], name=name,
                    index_args=[("begin", begin), ("size", size)])


def _pad_infer(op):
    x, p = op.inputs
    pv = constant_value(p)
    if x.shape.dims is None or pv is None:
        return [(x.dtype.base_dtype, TensorShape(None))]
    return [(x.dtype.base_dtype, TensorShape([None if d is None else d + int(a) + int(b)
                                              for d, (a, b) in zip(x.shape.dims, pv)]))]


def _pad_grad(op, g):
    x, p = op.inputs
    begin = reshape(slice(p, [0, 0], [-1, 1]), [-1])
    return slice(g, begin, shape(x)), None


@register_op("Pad", infer=_pad_infer, grad=_pad_grad)
def _pad_kernel(x, paddings):
    return np.pad(x, paddings)


def pad(tensor, paddings, mode: str = "CONSTANT", name: str | None = None) -> Tensor:
    """`tensor` with zeros added: `paddings[i] = [before, after]` for dimension i."""
    if mode.upper() != "CONSTANT":
        raise ValueError(f"Unknown padding mode: {mode}")
    return apply_op("Pad", [("input", tensor)], name=name, index_args=[("paddings", paddings)])
