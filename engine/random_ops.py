"""Random tensors: random_normal, random_uniform, truncated_normal, seeded like TF1."""
from __future__ import annotations

import functools

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine import math_ops as _m
from flowlog.engine.framework import (
    Tensor,
    convert_to_tensor,
    get_default_graph,
    name_scope,
    register_op,
)
from flowlog.engine.op_util import (
    FLOATS,
    INDEX,
    build1,
    check_type,
    is_tensor_like,
    not_differentiable,
    shape_from_tensor,
)

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1


def set_random_seed(seed: int | None) -> None:
    """Set the graph-level seed: random ops then repeat their sequence in every new session."""
    get_default_graph().seed = seed


def get_seed(op_seed: int | None) -> tuple[int | None, int | None]:
    """The (graph seed, op seed) pair an op gets, by TF1's rules."""
    graph_seed = get_default_graph().seed
    if graph_seed is not None:
        if op_seed is None:
            op_seed = len(get_default_graph()._ops)  # TF uses the id of the last op created
        seeds = (graph_seed, op_seed)
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, op_seed)
    else:
        return None, None
    return (0, _MAXINT32) if seeds == (0, 0) else seeds


def _random_infer(op):
    return [(op.attrs["dtype"], shape_from_tensor(op.inputs[0]))]


def _with_rng(op, session):
    """A random kernel bound to the generator this session keeps for `op` (new draws each run)."""
    kernel = _KERNELS[op.type]
    return functools.partial(kernel, dtype=op.attrs["dtype"], rng=session._rng(op))


def _floats(draw, shape, dtype):
    t = np.dtype(dtype.as_numpy_dtype)
    if t in (np.float32, np.float64):
        return draw(tuple(np.ravel(shape).tolist()), dtype=t)
    return draw(tuple(np.ravel(shape).tolist()), dtype=np.float32).astype(t)


def _standard_normal(shape, *, dtype, rng):
    return _floats(rng.standard_normal, shape, dtype)


def _uniform(shape, *, dtype, rng):
    return _floats(rng.random, shape, dtype)


def _truncated_normal(shape, *, dtype, rng):
    out = rng.standard_normal(tuple(np.ravel(shape).tolist()))
    bad = np.abs(out) > 2
    while bad.any():  # redraw the values more than two standard deviations out
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2
    return out.astype(dtype.as_numpy_dtype)


def _uniform_int(shape, minval, maxval, *, dtype, rng):
    return rng.integers(minval, maxval, size=tuple(np.ravel(shape).tolist()),
                        dtype=dtype.as_numpy_dtype)


_KERNELS = {"RandomStandardNormal": _standard_normal, "RandomUniform": _uniform,
            "TruncatedNormal": _truncated_normal, "RandomUniformInt": _uniform_int}
for _type, _kernel in _KERNELS.items():
    register_op(_type, infer=_random_infer, grad=not_differentiable, bind=_with_rng,
                attrs=("dtype",), stateful=True)(_kernel)
del _type, _kernel


def _shape_tensor(shape) -> Tensor:
    if is_tensor_like(shape):
        t = convert_to_tensor(shape)
        check_type("shape", t.dtype, INDEX)
        return t
    return convert_to_tensor(list(np.ravel(shape)) if np.ndim(shape) else [int(shape)],
                             dtype=dtypes.int32, name="shape")


def _draw(op_type: str, shape: Tensor, dtype, seed, extra=()) -> Tensor:
    seed1, seed2 = get_seed(seed)
    attrs = {"dtype": dtype, "seed": seed1 or 0, "seed2": seed2 or 0}
    return build1(op_type, [shape, *extra], attrs)


def _scaled_normal(op_type: str, default: str, doc: str):
    def constructor(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None,
                    name: str | None = None) -> Tensor:
        dtype = dtypes.as_dtype(dtype).base_dtype
        check_type("dtype", dtype, FLOATS)
        with name_scope(name, default, [shape, mean, stddev]) as scope:
            shape_t = _shape_tensor(shape)
            mean_t = convert_to_tensor(mean, dtype=dtype, name="mean")
            stddev_t = convert_to_tensor(stddev, dtype=dtype, name="stddev")
            rnd = _draw(op_type, shape_t, dtype, seed)
            return _m.add(rnd * stddev_t, mean_t, name=scope)

    constructor.__doc__ = doc
    return constructor


random_normal = _scaled_normal("RandomStandardNormal", "random_normal",
                               "Normally distributed values (a new draw each run).")
truncated_normal = _scaled_normal("TruncatedNormal", "truncated_normal",
                                  "Normal values redrawn when more than 2 stddevs from the mean.")


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None,
                   name: str | None = None) -> Tensor:
    """Uniform values in [minval, maxval) (a new draw each run)."""
    dtype = dtypes.as_dtype(dtype).base_dtype
    if maxval is None:
        if dtype.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        maxval = 1
    with name_scope(name, "random_uniform", [shape, minval, maxval]) as scope:
        shape_t = _shape_tensor(shape)
        lo = convert_to_tensor(minval, dtype=dtype, name="min")
        hi = convert_to_tensor(maxval, dtype=dtype, name="max")
        if dtype.is_integer:
            seed1, seed2 = get_seed(seed)
            attrs = {"dtype": dtype, "seed": seed1 or 0, "seed2": seed2 or 0}
            return build1("RandomUniformInt", [shape_t, lo, hi], attrs, name=scope)
        rnd = _draw("RandomUniform", shape_t, dtype, seed)
        return _m.add(rnd * (hi - lo), lo, name=scope)
