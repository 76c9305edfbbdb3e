"""The optimizers' update ops (ApplyGradientDescent, ApplyAdam, ...), computing as TF's kernels.

Each op takes its variables (and slot variables) as refs and writes them in the session; the
arithmetic follows TF's kernels term by term so float32 results match TF1's.
"""
from __future__ import annotations

import numpy as np
from flowlog.engine import errors
from flowlog.engine.framework import Operation, Tensor, register_op

# Where the gradient is among each op's inputs (TF's order; last unless listed).
_GRAD_INDEX = {"ApplyGradientDescent": 2, "ApplyMomentum": 3}


def _apply_infer(op: Operation) -> list:
    var, grad = op.inputs[0], op.inputs[_GRAD_INDEX.get(op.type, -1)]
    if not var.shape.is_compatible_with(grad.shape):
        raise ValueError(f"Shapes must be equal for '{op.name}' (op: '{op.type}'): the variable "
                         f"has shape {var.shape} and the gradient {grad.shape}.")
    return [(var.dtype.base_dtype._as_ref(), var.shape)]


def _check(op: Operation, var, grad) -> None:
    if var.shape != np.shape(grad):
        raise errors.InvalidArgumentError(
            None, op, f"var and grad do not have the same shape{list(var.shape)} "
                      f"{list(np.shape(grad))}")


def _register(op_type: str, n_refs: int, update, attrs: tuple = ()) -> None:
    """Register `op_type`: its first `n_refs` inputs are variables, updated to `update(...)`.

    `update(op, *values)` gets the current values of the variables, then the other inputs, and
    returns the new variable values (the first one is the op's output).
    """

    def bind(op: Operation, session):
        g = _GRAD_INDEX.get(op_type, -1)

        def apply(*args):
            cells = args[:n_refs]
            olds = [c.read() for c in cells]
            _check(op, olds[0], args[g])
            news = update(op, *olds, *args[n_refs:])
            for cell, new in zip(cells, news):
                cell.value = new
            return news[0]

        return apply

    register_op(op_type, infer=_apply_infer, bind=bind, attrs=attrs, stateful=True)(None)


def _gradient_descent_bind(op: Operation, session):
    # The step of every SGD training loop: kept free of the generic path's tuple shuffling,
    # and of the shape check when the static shapes already guarantee it.
    var, grad = op.inputs[0].shape, op.inputs[2].shape
    checked = var.is_fully_defined() and var == grad

    def apply(cell, lr, grad):
        old = cell.value
        if old is None:
            cell.read()
        if not checked and old.shape != np.shape(grad):
            _check(op, old, grad)
        new = cell.value = old - grad * lr
        return new

    return apply


register_op("ApplyGradientDescent", infer=_apply_infer, bind=_gradient_descent_bind,
            attrs=("use_locking",), stateful=True)(None)


def _momentum(op, var, accum, lr, grad, momentum):
    accum = accum * momentum + grad
    if op.attrs.get("use_nesterov"):
        return var - (grad * lr + accum * momentum * lr), accum
    return var - accum * lr, accum


def _adam(op, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
    one = np.ones((), dtype=var.dtype)
    alpha = lr * np.sqrt(one - beta2_power) / (one - beta1_power)
    m = m + (grad - m) * (one - beta1)
    v = v + (np.square(grad) - v) * (one - beta2)
    if op.attrs.get("use_nesterov"):
        step = ((grad * (one - beta1) + beta1 * m) * alpha) / (np.sqrt(v) + epsilon)
    else:
        step = (m * alpha) / (np.sqrt(v) + epsilon)
    return var - step, m, v


def _adagrad(op, var, accum, lr, grad):
    accum = accum + np.square(grad)
    return var - grad * lr * (np.ones((), dtype=var.dtype) / np.sqrt(accum)), accum


def _rmsprop(op, var, ms, mom, lr, rho, momentum, epsilon, grad):
    one = np.ones((), dtype=var.dtype)
    ms = ms + (np.square(grad) - ms) * (one - rho)
    mom = mom * momentum + (grad * lr) / np.sqrt(ms + epsilon)
    return var - mom, ms, mom


def _centered_rmsprop(op, var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    one = np.ones((), dtype=var.dtype)
    ms = ms + (np.square(grad) - ms) * (one - rho)
    mg = mg + (grad - mg) * (one - rho)
    mom = mom * momentum + (grad * lr) / np.sqrt(ms - np.square(mg) + epsilon)
    return var - mom, mg, ms, mom


_register("ApplyMomentum", 2, _momentum, ("use_locking", "use_nesterov"))
_register("ApplyAdam", 3, _adam, ("use_locking", "use_nesterov"))
_register("ApplyAdagrad", 2, _adagrad, ("use_locking", "update_slots"))
_register("ApplyRMSProp", 3, _rmsprop, ("use_locking",))
_register("ApplyCenteredRMSProp", 4, _centered_rmsprop, ("use_locking",))


def apply_op(op_type: str, inputs: list, attrs: dict | None = None) -> Operation:
    """Create an update op named after its type in the current name scope."""
    refs = [t if isinstance(t, Tensor) else t._ref() for t in inputs]
    return refs[0].graph.create_op(op_type, refs, {"use_locking": False, **(attrs or {})})
