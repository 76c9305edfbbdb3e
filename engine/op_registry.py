"""The op registry: one `OpDef` per op type, holding its kernel, shape rule, gradient and binding."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class OpDef:
    """Everything about one op type: kernel, output inference, gradient, session binding.

    - `kernel(*input_values, **attrs)` computes the outputs from NumPy inputs; `attrs` are
      the op attributes named in `attrs`, bound once per execution plan. It returns one value
      for a one-output op, a tuple for several, None for none.
    - `infer(op)` returns a list of (DType, TensorShape), one per output.
    - `grad(op, *output_grads)` returns one gradient Tensor (or None) per input.
    - `bind(op, session)` (stateful ops) returns the callable a plan runs instead of `kernel`.
    """

    type: str
    kernel: Callable | None
    infer: Callable
    grad: Callable | None = None
    bind: Callable | None = None
    attrs: tuple[str, ...] = ()
    stateful: bool = False


_REGISTRY: dict[str, OpDef] = {}


def same_as_first_input(op) -> list:
    """Output inference of elementwise unary ops: dtype and shape of the first input."""
    x = op.inputs[0]
    return [(x.dtype.base_dtype, x.shape)]


def register_op(op_type: str, *, infer: Callable = same_as_first_input, grad: Callable | None = None,
                bind: Callable | None = None, attrs: tuple[str, ...] = (),
                stateful: bool = False) -> Callable:
    """Decorator registering `kernel` as the op type `op_type` with its rules."""

    def deco(kernel: Callable | None) -> Callable | None:
        _REGISTRY[op_type] = OpDef(op_type, kernel, infer, grad, bind, tuple(attrs), stateful)
        return kernel

    return deco


def get_opdef(op_type: str) -> OpDef:
    """The registration of `op_type`; LookupError naming it when there is none."""
    try:
        return _REGISTRY[op_type]
    except KeyError:
        raise LookupError(f"No op registered for type '{op_type}'") from None


def registered_op_types() -> list[str]:
    """The names of every registered op type, sorted."""
    return sorted(_REGISTRY)
