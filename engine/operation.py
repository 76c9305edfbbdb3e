"""Graph nodes: an Operation and the Tensors it outputs (symbolic: values exist in a Session)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flowlog.engine import dtypes
from flowlog.engine.default_session import get_default_session
from flowlog.engine.operators import OperatorsMixin
from flowlog.engine.shapes import TensorShape, as_shape

if TYPE_CHECKING:
    from flowlog.engine.graph import Graph


class Tensor(OperatorsMixin):
    """A symbolic handle to one output of an Operation; its value exists only in a Session."""

    __slots__ = ("_shape", "dtype", "op", "value_index")

    def __init__(self, op: Operation, value_index: int, dtype: dtypes.DType, shape):
        self.op = op
        self.value_index = value_index
        self.dtype = dtype
        self._shape = as_shape(shape)

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.value_index}"

    @property
    def graph(self) -> Graph:
        return self.op.graph

    @property
    def shape(self) -> TensorShape:
        return self._shape

    def get_shape(self) -> TensorShape:
        return self._shape

    def set_shape(self, shape) -> None:
        self._shape = self._shape.merge_with(shape)

    @property
    def device(self) -> str:
        return self.op.device

    def consumers(self) -> list[Operation]:
        return [op for op in self.op.graph._ops if self in op.inputs]

    def eval(self, feed_dict=None, session=None):
        """The value of this tensor, run in `session` or the default session."""
        return _run_in(session, self, feed_dict, "evaluate tensor")

    def __repr__(self) -> str:
        return f"<fl.Tensor '{self.name}' shape={self._shape} dtype={self.dtype.name}>"

    def __str__(self) -> str:
        return f'Tensor("{self.name}", shape={self._shape}, dtype={self.dtype.name})'


class Operation:
    """A node of the graph: a type, named inputs, attributes and output tensors."""

    def __init__(self, graph: Graph, op_type: str, name: str, inputs: list[Tensor],
                 attrs: dict, control_inputs: list[Operation], device: str = ""):
        self.graph = graph
        self.type = op_type
        self.name = name
        self._inputs = tuple(inputs)
        self.attrs = attrs
        self.control_inputs = control_inputs
        self.device = device
        self.outputs: list[Tensor] = []
        self._id = len(graph._ops)

    @property
    def inputs(self) -> tuple[Tensor, ...]:
        return self._inputs

    @property
    def node_def(self):
        from flowlog.engine import graphdef  # which builds on this module

        return graphdef.node_def(self)

    def get_attr(self, name: str):
        try:
            return self.attrs[name]
        except KeyError:
            raise ValueError(f"Operation '{self.name}' has no attr named '{name}'.") from None

    def values(self) -> tuple[Tensor, ...]:
        return tuple(self.outputs)

    def colocation_groups(self) -> list[bytes]:
        """The colocation groups of this op, as TF1 lists them: `[b"loc:@name"]`."""
        return [g.encode() for g in colocation_groups(self)]

    def run(self, feed_dict=None, session=None) -> None:
        """Run this operation in `session` or the default session."""
        _run_in(session, self, feed_dict, "run operation")

    def __repr__(self) -> str:
        return f"<fl.Operation '{self.name}' type={self.type}>"


def colocation_groups(op: Operation) -> list[str]:
    """The `loc:@<name>` groups `op` belongs to: its `_class`, else its own name."""
    return list(op.attrs.get("_class") or [f"loc:@{op.name}"])


def _run_in(session, fetch, feed_dict, what: str):
    if session is None:
        session = get_default_session()
        if session is None:
            raise ValueError(f"Cannot {what} using the default session: no default session "
                             "is registered. Use `with sess.as_default()` or pass an explicit "
                             "session to eval(session=sess) / run(session=sess)")
    if session.graph is not fetch.graph:
        raise ValueError(f"Cannot use the given session to {what}: the session's graph is "
                         f"different from the graph of '{fetch.name}'.")
    return session.run(fetch, feed_dict)
