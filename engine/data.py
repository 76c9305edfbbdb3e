"""`fl.data`: TF1's input pipelines (`Dataset`) read through iterator ops in the graph.

A Dataset is a recipe: its source tensors and the transformations on them. An iterator op
runs it per session: `initializer` (or the first `get_next` of a one-shot iterator) evaluates
the source tensors and starts a Python generator of elements; each run of `get_next()` takes
the next element and raises `OutOfRangeError` at the end, as TF does. `map` functions are graph
ops too, run by a compiled plan per element.
"""
from __future__ import annotations

import itertools

import numpy as np
from flowlog.engine import dtypes, errors
from flowlog.engine.control_flow import SubPlan, building, captures
from flowlog.engine.framework import (
    Tensor,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from flowlog.engine.random_ops import get_seed
from flowlog.engine.shapes import TensorShape
from flowlog.engine.while_loop import loop_var

from .data_iterator import Iterator, make_initializable_iterator, make_one_shot_iterator
from .data_structure import _args, _leaves, _pack, _structure_of


class Dataset:
    """A sequence of elements, each a structure of arrays with fixed dtypes and shapes."""

    def __init__(self, inputs: list[Tensor], structure, dtypes_, shapes, make):
        self._inputs = inputs  # the tensors whose values the pipeline needs
        self._structure = structure
        self._dtypes = list(dtypes_)
        self._shapes = list(shapes)
        self._make = make  # make(values: dict tensor->value, session) -> () -> iterator

    # --- the element's description (TF1's names) ---------------------------------------------

    @property
    def output_types(self):
        return _pack(self._structure, self._dtypes)

    @property
    def output_shapes(self):
        return _pack(self._structure, self._shapes)

    @property
    def output_classes(self):
        return _pack(self._structure, [Tensor] * len(self._dtypes))

    # --- sources -----------------------------------------------------------------------------

    @staticmethod
    def from_tensor_slices(tensors) -> Dataset:
        """One element per row of `tensors` (all of the same length)."""
        return _from_tensors(tensors, sliced=True)

    @staticmethod
    def from_tensors(tensors) -> Dataset:
        """A single element: `tensors` itself."""
        return _from_tensors(tensors, sliced=False)

    @staticmethod
    def range(*args, output_type=dtypes.int64) -> Dataset:
        """The integers of Python's `range(*args)`."""
        values = np.arange(*args).astype(dtypes.as_dtype(output_type).as_numpy_dtype)
        return _from_tensors(values, sliced=True)

    # --- transformations ----------------------------------------------------------------------

    def _derived(self, make, structure=None, dtypes_=None, shapes=None, inputs=()):
        return Dataset(self._inputs + list(inputs),
                       self._structure if structure is None and dtypes_ is None else structure,
                       self._dtypes if dtypes_ is None else dtypes_,
                       self._shapes if shapes is None else shapes, make)

    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        """Consecutive elements stacked `batch_size` at a time (the last batch may be short)."""
        n = int(batch_size)
        if n <= 0:
            raise errors.InvalidArgumentError(None, None, f"Batch size must be greater than "
                                                          f"zero, got {n}")
        inner = self._make

        def make(values, session):
            source = inner(values, session)

            def gen():
                it = source()
                while True:
                    chunk = list(itertools.islice(it, n))
                    if not chunk or (drop_remainder and len(chunk) < n):
                        return
                    yield tuple(np.stack(parts) for parts in zip(*chunk))
            return gen

        lead = n if drop_remainder else None
        shapes = [TensorShape([lead] + list(s.dims)) if s.dims is not None else TensorShape(None)
                  for s in self._shapes]
        return self._derived(make, shapes=shapes)

    def repeat(self, count=None) -> Dataset:
        """The elements `count` times over (forever when None or -1)."""
        inner = self._make
        count = None if count is None or int(count) < 0 else int(count)

        def make(values, session):
            source = inner(values, session)

            def gen():
                for _ in itertools.count() if count is None else range(count):
                    yield from source()
            return gen

        return self._derived(make)

    def shuffle(self, buffer_size: int, seed=None, reshuffle_each_iteration: bool = True):
        """Elements drawn at random from a buffer of the next `buffer_size` ones: a new order
        each epoch unless `reshuffle_each_iteration` is False. The order follows the seeds, but
        is not TensorFlow's."""
        inner = self._make
        size = int(buffer_size)
        if size <= 0:
            raise errors.InvalidArgumentError(None, None, "buffer_size must be greater than zero.")
        graph_seed, op_seed = get_seed(seed)

        def make(values, session):
            source = inner(values, session)
            entropy = None if graph_seed is None and op_seed is None else \
                [int(graph_seed or 0), int(op_seed or 0)]
            rng = np.random.default_rng(entropy)
            state = rng.bit_generator.state

            def gen():
                local = rng if reshuffle_each_iteration else _restarted(rng, state)
                buffer = []
                for element in source():
                    buffer.append(element)
                    if len(buffer) == size:
                        k = int(local.integers(len(buffer)))
                        buffer[k], buffer[-1] = buffer[-1], buffer[k]
                        yield buffer.pop()
                while buffer:
                    k = int(local.integers(len(buffer)))
                    buffer[k], buffer[-1] = buffer[-1], buffer[k]
                    yield buffer.pop()
            return gen

        return self._derived(make)

    def take(self, count: int) -> Dataset:
        """The first `count` elements (all when -1)."""
        inner, count = self._make, int(count)

        def make(values, session):
            source = inner(values, session)
            return lambda: itertools.islice(source(), None if count < 0 else count)

        return self._derived(make)

    def skip(self, count: int) -> Dataset:
        """All but the first `count` elements."""
        inner, count = self._make, int(count)

        def make(values, session):
            source = inner(values, session)
            return lambda: itertools.islice(source(), max(count, 0), None)

        return self._derived(make)

    def prefetch(self, buffer_size) -> Dataset:
        """The same elements (prefetching changes nothing in one thread)."""
        return self

    def cache(self, filename: str = "") -> Dataset:
        """The same elements, kept after the first pass."""
        inner = self._make

        def make(values, session):
            source = inner(values, session)
            kept: list = []
            done = [False]

            def gen():
                if done[0]:
                    yield from kept
                    return
                for element in source():
                    kept.append(element)
                    yield element
                done[0] = True
            return gen

        return self._derived(make)

    def map(self, map_func, num_parallel_calls=None) -> Dataset:
        """`map_func` applied to each element (a tuple element is spread over its arguments)."""
        g = get_default_graph()
        with name_scope(None, "map"), building(g, recomputable=False) as ctx:
            phs = [loop_var(g, d, s, "arg") for d, s in zip(self._dtypes, self._shapes)]
            args = _args(self._structure, _pack(self._structure, phs))
            result = map_func(*args)
            structure = _structure_of(result)
            outs = [convert_to_tensor(v) for v in _leaves(result, structure)]
        caps = captures(ctx, outs)
        plan = SubPlan(outs, phs + caps)
        inner = self._make

        def make(values, session):
            source = inner(values, session)
            captured = [values[c] for c in caps]

            def gen():
                for element in source():
                    yield tuple(plan(session, list(element) + captured))
            return gen

        return self._derived(make, structure, [t.dtype.base_dtype for t in outs],
                             [t.shape for t in outs], inputs=caps)

    def filter(self, predicate) -> Dataset:
        """The elements for which `predicate` gives True."""
        g = get_default_graph()
        with name_scope(None, "filter"), building(g, recomputable=False) as ctx:
            phs = [loop_var(g, d, s, "arg") for d, s in zip(self._dtypes, self._shapes)]
            keep = convert_to_tensor(predicate(*_args(self._structure,
                                                      _pack(self._structure, phs))))
        caps = captures(ctx, [keep])
        plan = SubPlan([keep], phs + caps)
        inner = self._make

        def make(values, session):
            source = inner(values, session)
            captured = [values[c] for c in caps]
            return lambda: (e for e in source() if plan(session, list(e) + captured)[0])

        return self._derived(make, inputs=caps)

    # --- iterators ----------------------------------------------------------------------------

    def make_one_shot_iterator(self) -> Iterator:
        """An iterator that starts on its first `get_next()` run in each session."""
        return Iterator(self._structure, self._dtypes, self._shapes, one_shot=self)

    def make_initializable_iterator(self, shared_name=None) -> Iterator:
        """An iterator started (and restarted) by running its `initializer`."""
        it = Iterator(self._structure, self._dtypes, self._shapes)
        it._initializer = it.make_initializer(self)
        return it


def _restarted(rng, state):
    rng.bit_generator.state = state
    return rng


def _from_tensors(tensors, sliced: bool) -> Dataset:
    structure = _structure_of(tensors)
    with name_scope(None, "tensors"):
        ts = [convert_to_tensor(v, name="component") for v in _leaves(tensors, structure)]
    if sliced:
        firsts = {t.shape.dims[0] for t in ts if t.shape.dims and t.shape.dims[0] is not None}
        if any(t.shape.ndims == 0 for t in ts):
            raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        if len(firsts) > 1:
            raise ValueError("Dimensions " + " and ".join(str(d) for d in sorted(firsts)) +
                             " are not compatible")
        shapes = [TensorShape(None if t.shape.dims is None else t.shape.dims[1:]) for t in ts]
    else:
        shapes = [t.shape for t in ts]

    def make(values, session):
        arrays = [np.asarray(values[t]) for t in ts]
        if sliced and len({len(a) for a in arrays}) > 1:
            raise errors.InvalidArgumentError(None, None, "All components must have the same "
                                                          "size in the 0th dimension")

        def gen():
            if not sliced:
                yield tuple(arrays)
                return
            for i in range(len(arrays[0])):
                yield tuple(a[i] for a in arrays)
        return gen

    return Dataset(ts, structure, [t.dtype.base_dtype for t in ts], shapes, make)


__all__ = ["Dataset", "Iterator", "make_initializable_iterator", "make_one_shot_iterator"]
