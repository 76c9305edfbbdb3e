"""The iterators of `fl.data`: graph ops that start a dataset's generator per session
(`MakeIterator`) and take its next element (`IteratorGetNext`, `OutOfRangeError` at the end)."""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from flowlog.engine import dtypes, errors
from flowlog.engine.framework import get_default_graph, register_op
from flowlog.engine.shapes import TensorShape

from .data_structure import _leaves, _pack, _structure_of

if TYPE_CHECKING:
    from .data import Dataset


def _states(session) -> dict:
    """The session's running generators, by iterator: state that lives and dies with it."""
    return session.__dict__.setdefault("_iterators", {})


def _make_iterator_bind(op, session):
    key, dataset = op.attrs["iterator"], op.attrs["dataset"]

    def run(*values):
        given = dict(zip(dataset._inputs, values))
        _states(session)[key] = dataset._make(given, session)()

    return run


def _get_next_bind(op, session):
    key, one_shot = op.attrs["iterator"], op.attrs["one_shot"]
    single = len(op.outputs) == 1

    def run(*values):
        states = _states(session)
        it = states.get(key)
        if it is None:
            if one_shot is None:
                raise errors.FailedPreconditionError(
                    None, op, "GetNext() failed because the iterator has not been initialized. "
                              "Ensure that you have run the initializer operation for this "
                              "iterator before getting the next element.")
            it = states[key] = one_shot._make(dict(zip(one_shot._inputs, values)), session)()
        try:
            element = next(it)
        except StopIteration:
            raise errors.OutOfRangeError(None, op, "End of sequence") from None
        return element[0] if single else tuple(element)

    return run


register_op("MakeIterator", infer=lambda op: [], bind=_make_iterator_bind, stateful=True)(None)
register_op("IteratorGetNext", infer=lambda op: list(op.attrs["_out"]), bind=_get_next_bind,
            stateful=True)(None)
_iterator_ids = itertools.count()


class Iterator:
    """Elements of a dataset, one per run of a `get_next()` op."""

    def __init__(self, structure, dtypes_, shapes, one_shot: Dataset | None = None):
        self._structure, self._dtypes, self._shapes = structure, list(dtypes_), list(shapes)
        self._key = next(_iterator_ids)
        self._one_shot = one_shot
        self._initializer = None

    @staticmethod
    def from_structure(output_types, output_shapes=None, shared_name=None, output_classes=None):
        """An iterator for any dataset of this element structure (see `make_initializer`)."""
        structure = _structure_of(output_types)
        types = [dtypes.as_dtype(t) for t in _leaves(output_types, structure)]
        shapes = [TensorShape(None)] * len(types) if output_shapes is None else \
            [s if isinstance(s, TensorShape) else TensorShape(s)
             for s in _leaves(output_shapes, structure)]
        return Iterator(structure, types, shapes)

    output_types = property(lambda self: _pack(self._structure, self._dtypes))
    output_shapes = property(lambda self: _pack(self._structure, self._shapes))

    @property
    def initializer(self):
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer.")
        return self._initializer

    def make_initializer(self, dataset: Dataset, name: str | None = None):
        """An op that (re)starts this iterator on `dataset`."""
        if dataset._dtypes != self._dtypes:
            raise TypeError(f"Expected output types {self.output_types} but got dataset with "
                            f"output types {dataset.output_types}.")
        g = get_default_graph()
        attrs = {"iterator": self._key, "dataset": dataset}
        return g.create_op("MakeIterator", list(dataset._inputs), attrs,
                           name=name or "MakeIterator")

    def get_next(self, name: str | None = None):
        """The next element, as tensors; each run of them advances the iterator once."""
        g = get_default_graph()
        inputs = list(self._one_shot._inputs) if self._one_shot is not None else []
        attrs = {"iterator": self._key, "one_shot": self._one_shot,
                 "output_types": list(self._dtypes),
                 "_out": list(zip(self._dtypes, self._shapes))}
        op = g.create_op("IteratorGetNext", inputs, attrs, name=name or "IteratorGetNext")
        return _pack(self._structure, op.outputs)


def make_one_shot_iterator(dataset: Dataset) -> Iterator:
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset: Dataset, shared_name=None) -> Iterator:
    return dataset.make_initializable_iterator()
