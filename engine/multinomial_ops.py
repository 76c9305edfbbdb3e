"""Multinomial / categorical sampling drawn as TensorFlow's CPU kernel draws it.

Each sample is a search in the unnormalised CDF of exp(logits - max) of its row (float64,
non-finite logits left out) for u * total, u a float64 uniform made of two uint32 read in order
(TF's SimplePhilox). A run reserves batch * ceil4(num_samples) * 2 * 256 Philox outputs.

TF splits the batch over its intra-op threads (Eigen's parallelFor, with the kernel's cost
estimate of 50 * (num_samples * log2(classes) + classes) per row). A shard starting at row r
reads from output floor(r * (num_samples + 3) / 4) of the run's block, so the numbers depend on
that split; it is reproduced here for the thread count TF would use: the session config's
`intra_op_parallelism_threads`, else the CPUs this process may run on.
"""
from __future__ import annotations

import functools
import math
import os

import numpy as np
from flowlog.engine import dtypes
from flowlog.engine.framework import Tensor, convert_to_tensor, name_scope, register_op
from flowlog.engine.op_util import INDEX, build1, not_differentiable
from flowlog.engine.philox import uint64_to_double
from flowlog.engine.random_ops import seed_attrs
from flowlog.engine.shapes import TensorShape

_OUTPUTS_PER_ELEMENT = 256


def _threads(session) -> int:
    wanted = getattr(session.config, "intra_op_parallelism_threads", 0) or 0
    if wanted > 0:
        return int(wanted)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def eigen_shards(total: int, cost_per_unit: int, threads: int) -> list[tuple[int, int]]:
    """The [start, end) blocks Eigen's ThreadPoolDevice::parallelFor cuts `total` units into."""
    if total <= 0:
        return []
    per_unit = float(cost_per_unit)
    parallel = int((total * per_unit - 100000) / 100000 + 0.9)  # Eigen's TensorCostModel
    if total <= 1 or threads <= 1 or min(threads, max(1, parallel)) == 1:
        return [(0, total)]
    block_from_cost = int(40000 / per_unit) if per_unit > 0 else total
    block = min(total, max(-(-total // (4 * threads)), block_from_cost))
    max_block = min(total, 2 * block)
    count = -(-total // block)
    efficiency = count / (-(-count // threads) * threads)
    previous = count
    while efficiency < 1.0 and previous > 1:  # coarser blocks while no thread idles more
        coarser = -(-total // (previous - 1))
        if coarser > max_block:
            break
        coarser_count = -(-total // coarser)
        previous = coarser_count
        coarser_efficiency = coarser_count / (-(-coarser_count // threads) * threads)
        if coarser_efficiency + 0.01 >= efficiency:
            block, count = coarser, coarser_count
            efficiency = max(efficiency, coarser_efficiency)
    return [(start, min(total, start + block)) for start in range(0, total, block)]


def _multinomial_infer(op):
    logits = op.inputs[0].shape
    batch = logits.dims[0] if logits.dims is not None else None
    samples = op.inputs[1].op.attrs.get("value") if op.inputs[1].op.type == "Const" else None
    return [(op.attrs["output_dtype"], TensorShape([batch, None if samples is None
                                                    else int(samples)]))]


def _bind(op, session):
    return functools.partial(_multinomial, output_dtype=op.attrs["output_dtype"],
                             rng=session.random_stream(op), threads=_threads(session))


@register_op("Multinomial", infer=_multinomial_infer, grad=not_differentiable, bind=_bind,
             stateful=True)
def _multinomial(logits, num_samples, *, output_dtype, rng, threads=1):
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(f"logits should be a matrix, got shape {list(logits.shape)}")
    batch, classes = logits.shape
    count = int(num_samples)
    if count < 0:
        raise ValueError(f"num_samples should be non-negative, got {count}")
    if classes <= 0:
        raise ValueError(f"num_classes should be positive, got {classes}")
    out = np.zeros((batch, count), dtype=output_dtype.as_numpy_dtype)
    if out.size == 0:
        return out
    start = rng.reserve(batch * ((count + 3) // 4 * 4) * 2 * _OUTPUTS_PER_ELEMENT)
    cost = int(50 * (count * math.log(classes) / math.log(2) + classes))
    for first, last in eigen_shards(batch, cost, threads):
        x = rng.uint32s(start + first * (count + 3) // 4, 2 * (last - first) * count)
        u = uint64_to_double(x[0::2], x[1::2]).reshape(last - first, count)
        for b in range(first, last):
            row = logits[b].astype(np.float64)
            finite = np.isfinite(row)
            top = row[finite].max() if finite.any() else float(np.finfo(logits.dtype).min)
            cdf = np.cumsum(np.where(finite, np.exp(row - top), 0.0))
            out[b] = np.searchsorted(cdf, u[b - first] * cdf[-1], side="right")
    return out


def multinomial(logits, num_samples, seed=None, name: str | None = None,
                output_dtype=None) -> Tensor:
    """`num_samples` class indices per row of `logits` (unnormalised log-probabilities)."""
    with name_scope(name, "multinomial", [logits]):
        return _categorical(logits, num_samples, output_dtype, seed)


def categorical(logits, num_samples, dtype=None, seed=None, name: str | None = None) -> Tensor:
    """`multinomial` under its later name (`tf.random.categorical`)."""
    with name_scope(name, "categorical", [logits]):
        return _categorical(logits, num_samples, dtype, seed)


def _categorical(logits, num_samples, dtype, seed) -> Tensor:
    dtype = dtypes.as_dtype(dtype).base_dtype if dtype else dtypes.int64
    if dtype not in INDEX:
        raise ValueError(f"Argument `dtype` got invalid value {dtype!r}. Accepted dtypes are "
                         "int32, int64.")
    logits = convert_to_tensor(logits, name="logits")
    seeds = seed_attrs(seed)
    with name_scope("Multinomial") as scope:  # the op's scope holds its converted input
        samples = convert_to_tensor(num_samples, dtype=dtypes.int32, name="num_samples")
        attrs = {"T": logits.dtype.base_dtype, "output_dtype": dtype, **seeds}
        return build1("Multinomial", [logits, samples], attrs, name=scope)
