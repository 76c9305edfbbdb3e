"""Python operators on tensors and variables: `a + b` adds an `Add` op named 'add', as in TF1."""
from __future__ import annotations

from collections.abc import Callable


def _ops():
    # The op constructors are built on Tensor, which inherits these operators, so the operators
    # look them up when first used, once every op module is loaded.
    from flowlog.engine import ops

    return ops


def _binary(func: str, scope: str, reverse: bool = False) -> Callable:
    """A Python operator building the op `func` in a name scope `scope` (TF1's naming)."""

    def operator(self, other):
        ops = _ops()
        me = ops.convert_to_tensor(self)
        with me.graph.name_scope(scope) as name:
            other_t = ops.convert_to_tensor(other, dtype=me.dtype.base_dtype,
                                            name="x" if reverse else "y")
            x, y = (other_t, me) if reverse else (me, other_t)
            return getattr(ops, func)(x, y, name=name)

    operator.__name__ = f"__{'r' if reverse else ''}{scope}__"
    return operator


class OperatorsMixin:
    """Python operators that add ops to the graph: `a + b` adds an `Add` op named 'add'."""

    __slots__ = ()
    __array_priority__ = 100  # NumPy defers to these operators

    __add__ = _binary("add", "add")
    __radd__ = _binary("add", "add", reverse=True)
    __sub__ = _binary("subtract", "sub")
    __rsub__ = _binary("subtract", "sub", reverse=True)
    __mul__ = _binary("multiply", "mul")
    __rmul__ = _binary("multiply", "mul", reverse=True)
    __truediv__ = _binary("truediv", "truediv")
    __rtruediv__ = _binary("truediv", "truediv", reverse=True)
    __floordiv__ = _binary("floordiv", "floordiv")
    __rfloordiv__ = _binary("floordiv", "floordiv", reverse=True)
    __mod__ = _binary("floormod", "mod")
    __rmod__ = _binary("floormod", "mod", reverse=True)
    __pow__ = _binary("pow", "pow")
    __rpow__ = _binary("pow", "pow", reverse=True)
    __matmul__ = _binary("matmul", "matmul")
    __rmatmul__ = _binary("matmul", "matmul", reverse=True)
    __lt__ = _binary("less", "Less")
    __le__ = _binary("less_equal", "LessEqual")
    __gt__ = _binary("greater", "Greater")
    __ge__ = _binary("greater_equal", "GreaterEqual")
    __and__ = _binary("logical_and", "and")
    __rand__ = _binary("logical_and", "and", reverse=True)
    __or__ = _binary("logical_or", "or")
    __ror__ = _binary("logical_or", "or", reverse=True)

    def __neg__(self):
        return _ops().negative(self, name="Neg")

    def __abs__(self):
        return _ops().abs(self, name="Abs")

    def __invert__(self):
        return _ops().logical_not(self, name="LogicalNot")

    def __getitem__(self, key):
        return _ops().slice_helper(self, key)

    def __bool__(self):
        raise TypeError("Using a `fl.Tensor` as a Python `bool` is not allowed. "
                        "Use `if t is not None:` to test that a tensor is defined, "
                        "or run it in a Session to use its value.")

    def __iter__(self):
        raise TypeError("'Tensor' object is not iterable.")

    __hash__ = object.__hash__  # == is identity, as in TF1 graph mode
