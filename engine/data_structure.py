"""The element structure of TF1's datasets: a tuple or dict of tensors, or one tensor, as a
structure and a flat list (shared by `Dataset` and its iterators)."""
from __future__ import annotations

from flowlog.engine.control_flow import pack


def _structure_of(value):
    """TF's rule: tuples and dicts are structures; anything else (a list, an array) is one
    tensor."""
    if isinstance(value, dict):
        return {k: _structure_of(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_structure_of(v) for v in value)
    return None


def _leaves(value, structure) -> list:
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in _leaves(value[k], structure[k])]
    if isinstance(structure, tuple):
        return [x for v, s in zip(value, structure) for x in _leaves(v, s)]
    return [value]


def _pack(structure, flat):
    return flat[0] if structure is None else pack(structure, flat)


def _args(structure, element) -> list:
    """How a map function is called on an element: tuples spread, anything else as one."""
    return list(element) if isinstance(structure, tuple) else [element]
