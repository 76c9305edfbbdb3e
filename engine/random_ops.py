"""Random tensors drawn from TensorFlow's own streams: seeded programs print TF's numbers.

Seeds follow TF1's `random_seed.get_seed`; each op keeps a Philox stream per session
(`engine/philox.py` documents the generator and how a run claims its block of it). The kernels
below lay the stream out as TF's CPU kernels do, so values match TF for the same seeds.
"""
from __future__ import annotations

import contextlib
import functools

import numpy as np
from flowlog.engine import dtypes, errors
from flowlog.engine import math_ops as _m
from flowlog.engine.framework import (
    Tensor,
    convert_to_tensor,
    get_default_graph,
    get_opdef,
    name_scope,
    register_op,
    same_as_first_input,
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
from flowlog.engine.philox import (
    box_muller_double,
    box_muller_float,
    uint16_to_half,
    uint32_to_float,
    uint64_to_double,
)

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2**31 - 1
_OUTPUTS_PER_ELEMENT = 256  # TF reserves this many Philox outputs per element and run


def set_random_seed(seed: int | None) -> None:
    """Set the graph-level seed: random ops then repeat their sequence in every new session."""
    get_default_graph().seed = seed


# Which op seed an op gets under a graph seed alone. TF 1.x used the id of the graph's last
# op; TF 2.x's `tf.compat.v1` counts such ops per graph instead (0, 1, 2, ...).
_OP_SEED_RULES = ("tf1", "tf2")
_op_seed_rule = ["tf1"]


@contextlib.contextmanager
def op_seed_rule(rule: str):
    """Inside the block, ops under a graph seed alone take their op seed as `rule` says:
    "tf1" (the default) as TensorFlow 1.x, "tf2" as TensorFlow 2's `tf.compat.v1`."""
    if rule not in _OP_SEED_RULES:
        raise ValueError(f"op_seed_rule must be one of {_OP_SEED_RULES}, got {rule!r}")
    old = _op_seed_rule[0]
    _op_seed_rule[0] = rule
    try:
        yield
    finally:
        _op_seed_rule[0] = old


def get_seed(op_seed: int | None) -> tuple[int | None, int | None]:
    """The (graph seed, op seed) pair an op gets, by TF1's rules.

    Graph seed only: the op seed is the id of the graph's last op (TF 1.x numbers ops from 1,
    so that is the number of ops so far), or under `op_seed_rule("tf2")` the number of ops
    seeded this way before. Op seed only: the graph seed is 87654321. Neither: (None, None),
    a fresh stream per session. Both are taken modulo 2**31 - 1.
    """
    graph = get_default_graph()
    if graph.seed is not None:
        if op_seed is None and _op_seed_rule[0] == "tf2":
            op_seed = graph._graph_seeded_ops
            graph._graph_seeded_ops += 1
        elif op_seed is None:
            op_seed = len(graph._ops)
        seeds = (graph.seed % _MAXINT32, op_seed % _MAXINT32)
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, op_seed % _MAXINT32)
    else:
        return None, None
    return (0, _MAXINT32) if seeds == (0, 0) else seeds  # (0, 0) would mean "unseeded"


def seed_attrs(seed) -> dict:
    """The `seed` / `seed2` attributes of a random op created now."""
    seed1, seed2 = get_seed(seed)
    return {"seed": seed1 or 0, "seed2": seed2 or 0}


def _with_stream(op, session):
    """A random kernel bound to the stream this session keeps for `op` (new draws each run)."""
    kernel = get_opdef(op.type).kernel
    attrs = {a: op.attrs[a] for a in ("dtype", "Tout", "output_dtype") if a in op.attrs}
    return functools.partial(kernel, **attrs, rng=session.random_stream(op))


def _random_infer(op):
    return [(op.attrs.get("dtype") or op.attrs["Tout"], shape_from_tensor(op.inputs[0]))]


def _random_op(op_type: str, infer=_random_infer):
    """Register a random kernel: stateful, not differentiable, run on the session's stream."""
    return register_op(op_type, infer=infer, grad=not_differentiable, bind=_with_stream,
                       stateful=True)


def _size(shape) -> tuple[int, tuple]:
    dims = np.ravel(shape).tolist()
    if any(d < 0 for d in dims):
        raise ValueError(f"Shape {dims} must have non-negative dimensions")
    return int(np.prod(dims, dtype=np.int64)), tuple(dims)


def _blocks(rng, n: int, per_block: int) -> np.ndarray:
    """This run's block of the stream: the outputs for `n` values, `per_block` per output."""
    start = rng.reserve(n * _OUTPUTS_PER_ELEMENT)
    return rng.at(start, np.arange(-(-n // per_block), dtype=np.uint64))


def _is_double(dtype) -> bool:
    return dtype.base_dtype is dtypes.float64


# --- RandomUniform: one uint32 per float32, two per float64 ---------------------------------


@_random_op("RandomUniform")
def _uniform(shape, *, dtype, rng):
    n, dims = _size(shape)
    if _is_double(dtype):
        b = _blocks(rng, n, 2)
        out = uint64_to_double(b[:, 0::2], b[:, 1::2])
    elif dtype.base_dtype is dtypes.float16:
        out = uint16_to_half(_blocks(rng, n, 4))
    else:
        out = uint32_to_float(_blocks(rng, n, 4))
    return out.reshape(-1)[:n].astype(dtype.as_numpy_dtype).reshape(dims)


# --- RandomStandardNormal: Box-Muller on each pair (float32) or each output (float64) -------


@_random_op("RandomStandardNormal")
def _standard_normal(shape, *, dtype, rng):
    n, dims = _size(shape)
    if _is_double(dtype):
        b = _blocks(rng, n, 2)
        pair = box_muller_double(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    else:
        b = _blocks(rng, n, 4)
        pair = box_muller_float(b[:, 0::2], b[:, 1::2])
    out = np.stack(pair, axis=-1).reshape(-1)[:n]
    return out.astype(dtype.as_numpy_dtype).reshape(dims)


# --- TruncatedNormal: rejection of |x| >= 2, each group of outputs on its own sub-stream ----
#
# TF fills 4 float32 (2 float64) values per group. Group g starts at output g * 256 (g * 128)
# of the run's block and reads uint32 one by one: Box-Muller pairs, keeping values below 2 in
# magnitude in order, until the group is full. Here every group first gets `k` outputs; the
# rare groups that did not fill up are redone with twice as many.


def _truncated_candidates(rng, start: int, groups: np.ndarray, skip: int, k: int, double: bool):
    offsets = groups[:, None] * np.uint64(skip) + np.arange(k, dtype=np.uint64)[None, :]
    b = rng.at(start, offsets).reshape(len(groups), -1)  # each group's uint32, in order
    if double:
        q = b.reshape(len(groups), -1, 4)
        pair = box_muller_double(q[..., 0], q[..., 1], q[..., 2], q[..., 3])
    else:
        pair = box_muller_float(b[:, 0::2], b[:, 1::2])
    return np.stack(pair, axis=-1).reshape(len(groups), -1)


@_random_op("TruncatedNormal")
def _truncated_normal(shape, *, dtype, rng):
    n, dims = _size(shape)
    double = _is_double(dtype)
    per_group = 2 if double else 4
    skip = per_group * _OUTPUTS_PER_ELEMENT // 4
    start = rng.reserve(n * _OUTPUTS_PER_ELEMENT)
    n_groups = -(-n // per_group)
    out = np.empty((n_groups, per_group), dtype=np.float64 if double else np.float32)
    todo, k = np.arange(n_groups, dtype=np.uint64), 2
    while len(todo):
        cand = _truncated_candidates(rng, start, todo, skip, k, double)
        keep = np.abs(cand) < 2
        full = keep.sum(axis=1) >= per_group
        chosen = keep & (np.cumsum(keep, axis=1) <= per_group)
        rows = full.nonzero()[0]
        out[todo[rows].astype(np.int64)] = cand[rows][chosen[rows]].reshape(-1, per_group)
        todo, k = todo[~full], k * 2
    return out.reshape(-1)[:n].astype(dtype.as_numpy_dtype).reshape(dims)


# --- RandomUniformInt: lo + sample % (hi - lo), in unsigned arithmetic ------------------------


@_random_op("RandomUniformInt")
def _uniform_int(shape, minval, maxval, *, Tout, rng):
    lo, hi = int(np.asarray(minval)), int(np.asarray(maxval))
    if lo >= hi:
        raise errors.InvalidArgumentError(None, None, f"Need minval < maxval: {lo} >= {hi}")
    n, dims = _size(shape)
    if Tout.base_dtype is dtypes.int64:
        b = _blocks(rng, n, 2).astype(np.uint64)
        bits = b[:, 0::2] | (b[:, 1::2] << np.uint64(32))
        span, mask, signed = (hi - lo) % 2**64, 2**64 - 1, np.int64
    else:
        bits = _blocks(rng, n, 4).astype(np.uint64)
        span, mask, signed = (hi - lo) % 2**32, 2**32 - 1, np.int32
    # lo + r wraps modulo 2**64 in uint64, which is TF's SignedAdd once cut to the type's width
    out = (np.uint64(lo % 2**64) + bits.reshape(-1)[:n] % np.uint64(span)) & np.uint64(mask)
    unsigned = np.uint64 if signed is np.int64 else np.uint32
    return out.astype(unsigned).view(signed).reshape(dims)


def _shape_tensor(shape) -> Tensor:
    if is_tensor_like(shape):
        t = convert_to_tensor(shape)
        check_type("shape", t.dtype, INDEX)
        return t
    return convert_to_tensor(list(np.ravel(shape)) if np.ndim(shape) else [int(shape)],
                             dtype=dtypes.int32, name="shape")


def _scaled_normal(op_type: str, default: str, doc: str):
    def constructor(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None,
                    name: str | None = None) -> Tensor:
        dtype = dtypes.as_dtype(dtype).base_dtype
        check_type("dtype", dtype, FLOATS)
        with name_scope(name, default, [shape, mean, stddev]) as scope:
            shape_t = _shape_tensor(shape)
            mean_t = convert_to_tensor(mean, dtype=dtype, name="mean")
            stddev_t = convert_to_tensor(stddev, dtype=dtype, name="stddev")
            rnd = build1(op_type, [shape_t], {"dtype": dtype, **seed_attrs(seed)})
            return _m.add(rnd * stddev_t, mean_t, name=scope)

    constructor.__doc__ = doc
    return constructor


random_normal = _scaled_normal("RandomStandardNormal", "random_normal",
                               "Normally distributed values (a new draw each run).")
truncated_normal = _scaled_normal("TruncatedNormal", "truncated_normal",
                                  "Normal values redrawn when 2 stddevs or more from the mean.")


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None,
                   name: str | None = None) -> Tensor:
    """Uniform values in [minval, maxval) (a new draw each run).

    As TF: with the default range [0, 1) the result is the RandomUniform op itself; with
    minval 0 it is scaled by one Mul; otherwise `rnd * (max - min) + min`.
    """
    dtype = dtypes.as_dtype(dtype).base_dtype
    if maxval is None:
        if dtype.is_integer:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        maxval = 1
    with name_scope(name, "random_uniform", [shape, minval, maxval]) as scope:
        shape_t = _shape_tensor(shape)
        from_zero = isinstance(minval, int) and minval == 0
        to_one = isinstance(maxval, int) and maxval == 1
        if not from_zero or not to_one or dtype.is_integer:
            minval = convert_to_tensor(minval, dtype=dtype, name="min")
            maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
        seeds = seed_attrs(seed)
        if dtype.is_integer:
            attrs = {"Tout": dtype, "T": shape_t.dtype.base_dtype, **seeds}
            return build1("RandomUniformInt", [shape_t, minval, maxval], attrs, name=scope)
        check_type("dtype", dtype, FLOATS)
        rnd = build1("RandomUniform", [shape_t], {"dtype": dtype, **seeds})
        if from_zero:
            return rnd if to_one else _m.multiply(rnd, maxval)
        return _m.add(rnd * (maxval - minval), minval, name=scope)


# --- RandomShuffle: TF's Fisher-Yates over the rows, one uint32 per swap ----------------------


@_random_op("RandomShuffle", infer=same_as_first_input)
def _random_shuffle(value, *, rng):
    value = np.asarray(value)
    if value.size <= 1 or value.shape[0] <= 1:
        return value
    size = value.shape[0]
    draws = rng.uint32s(rng.reserve((size - 1 + 3) // 4), size - 1).tolist()
    perm = list(range(size))
    for i, u in enumerate(draws):  # swap row i with a row from i on, as TF's RandomShuffle
        j = i + u % (size - i)
        perm[i], perm[j] = perm[j], perm[i]
    return value[perm]



def random_shuffle(value, seed=None, name: str | None = None) -> Tensor:
    """`value` with its rows (first dimension) in a random order (a new order each run)."""
    seeds = seed_attrs(seed)  # before `value` becomes a constant, as in TF
    with name_scope(name, "RandomShuffle", [value]) as scope:
        value = convert_to_tensor(value, name="value")
        return build1("RandomShuffle", [value], {"T": value.dtype.base_dtype, **seeds},
                      name=scope)
