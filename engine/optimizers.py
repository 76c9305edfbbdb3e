"""TF1's optimizers: gradient descent, momentum, Adam, Adagrad, RMSProp, with TF's op names."""
from __future__ import annotations

from flowlog.engine import initializers, ops
from flowlog.engine.framework import (
    GraphKeys,
    Operation,
    Tensor,
    control_dependencies,
    convert_to_tensor,
    get_default_graph,
    name_scope,
)
from flowlog.engine.op_util import FLOATS
from flowlog.engine.training_ops import apply_op
from flowlog.engine.variables import Variable, assign_add, trainable_variables


class Optimizer:
    """Base class: `minimize` = `compute_gradients` + `apply_gradients`, as in TF1."""

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

    def __init__(self, use_locking: bool, name: str):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots: dict[str, dict[Variable, Variable]] = {}
        self._non_slots: dict[tuple, Variable] = {}

    def get_name(self) -> str:
        return self._name

    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None) -> Operation:
        """One op that computes the gradients of `loss` and applies them to the variables."""
        grads_and_vars = self.compute_gradients(loss, var_list, gate_gradients,
                                                aggregation_method, colocate_gradients_with_ops,
                                                grad_loss)
        if not any(g is not None for g, _ in grads_and_vars):
            raise ValueError("No gradients provided for any variable, check your graph for ops "
                             "that do not support gradients, between variables "
                             f"{[str(v) for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None) -> list[tuple]:
        """[(gradient or None, variable)] for `var_list` (default: the trainable variables)."""
        if gate_gradients not in (self.GATE_NONE, self.GATE_OP, self.GATE_GRAPH):
            raise ValueError(f"gate_gradients must be one of: Optimizer.GATE_NONE, "
                             f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH. Not {gate_gradients}")
        loss = convert_to_tensor(loss)
        _check_dtypes([loss])
        var_list = trainable_variables() if var_list is None else list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not isinstance(v, Variable):
                raise TypeError(f"Trying to optimize unsupported type {v!r}: expected a Variable")
        grads = ops.gradients(loss, [v._ref() for v in var_list], grad_ys=grad_loss,
                                 gate_gradients=gate_gradients == self.GATE_OP,
                                 aggregation_method=aggregation_method)
        if gate_gradients == self.GATE_GRAPH:
            grads = ops.tuple(grads)
        pairs = list(zip(grads, var_list))
        _check_dtypes([v for g, v in pairs if g is not None])
        return pairs

    def apply_gradients(self, grads_and_vars, global_step=None, name=None) -> Operation:
        """The op applying each (gradient, variable) update; increments `global_step` after."""
        pairs = []
        for g, v in tuple(grads_and_vars):
            if not isinstance(v, Variable):
                raise TypeError(f"Trying to optimize unsupported type {v!r}: expected a Variable")
            pairs.append((None if g is None else convert_to_tensor(g), v))
        if not pairs:
            raise ValueError("No variables provided.")
        var_list = [v for g, v in pairs if g is not None]
        if not var_list:
            raise ValueError(f"No gradients provided for any variable: {[str(v) for _, v in pairs]}.")
        g = var_list[0].graph
        with g.control_dependencies(None):
            self._create_slots(var_list)
        with name_scope(name, self._name) as scope:
            self._prepare()
            updates = []
            for grad, var in pairs:
                if grad is not None:
                    with name_scope("update_" + var.op.name):
                        updates.append(self._apply_dense(grad, var))
            if global_step is None:
                train_op = self._finish(updates, scope)
            else:
                with control_dependencies([self._finish(updates, "update")]):
                    train_op = assign_add(global_step, 1, name=scope).op
        ref = g.get_collection_ref(GraphKeys.TRAIN_OP)
        if train_op not in ref:
            ref.append(train_op)
        return train_op

    # --- what each optimizer defines ---------------------------------------------------

    def _create_slots(self, var_list: list[Variable]) -> None:
        pass

    def _prepare(self) -> None:
        pass

    def _apply_dense(self, grad: Tensor, var: Variable) -> Operation:
        raise NotImplementedError

    def _finish(self, update_ops: list, name: str) -> Operation:
        return ops.group(*update_ops, name=name)

    # --- slots ---------------------------------------------------------------------------

    def get_slot_names(self) -> list[str]:
        return sorted(self._slots)

    def get_slot(self, var: Variable, name: str) -> Variable | None:
        return self._slots.get(name, {}).get(var)

    def variables(self) -> list[Variable]:
        slots = [v for d in self._slots.values() for v in d.values()]
        return list(self._non_slots.values()) + slots

    def _make_slot(self, var: Variable, slot: str, op_name: str, init) -> Variable:
        """Slot variable `<var>/<op_name>` (unique), made by initializer `init`, untrainable."""
        named = self._slots.setdefault(slot, {})
        if var not in named:
            g = var.graph
            with g.name_scope(None):
                name = g.unique_name(f"{var.op.name}/{op_name}", mark_as_used=False)
            shape = var.shape.as_list()
            dtype = var.dtype.base_dtype
            with g.colocate_with(var.op):  # a slot lives with its variable, as in TF1
                named[var] = Variable(lambda: init(shape, dtype=dtype), trainable=False,
                                      name=name + "/", dtype=dtype)
        return named[var]

    def _zeros_slot(self, var: Variable, slot: str, op_name: str) -> Variable:
        return self._make_slot(var, slot, op_name, _small_zeros)

    def _non_slot(self, name: str, initial_value, first_var: Variable) -> Variable:
        key = (name, first_var.graph)
        if key not in self._non_slots:
            with first_var.graph.colocate_with(first_var.op):
                self._non_slots[key] = Variable(initial_value, name=name, trainable=False)
        return self._non_slots[key]

    def _constant(self, value, name: str) -> Tensor:
        value = value() if callable(value) else value
        return convert_to_tensor(value, name=name)


def _small_zeros(shape, dtype=None):
    """Zeros as TF's slot creator names them: `Initializer/Const`, or a `zeros` Fill when big."""
    n = 1
    for d in shape:
        n *= d
    if n < 1000:
        return initializers.Constant(0)(shape, dtype=dtype)
    return initializers.Zeros()(shape, dtype=dtype)


def _check_dtypes(tensors) -> None:
    for t in tensors:
        dtype = t.dtype.base_dtype
        if dtype not in FLOATS:
            raise ValueError(f"Invalid type {dtype!r} for {t.name}, expected: "
                             f"[{', '.join(repr(d) for d in FLOATS)}].")


def _cast(t: Tensor, var: Variable) -> Tensor:
    return ops.cast(t, var.dtype.base_dtype)


class GradientDescentOptimizer(Optimizer):
    """var -= learning_rate * grad."""

    def __init__(self, learning_rate, use_locking: bool = False, name: str = "GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _prepare(self):
        self._lr_t = self._constant(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        return apply_op("ApplyGradientDescent", [var, _cast(self._lr_t, var), grad])


class MomentumOptimizer(Optimizer):
    """accum = momentum * accum + grad; var -= learning_rate * accum (or Nesterov's step)."""

    def __init__(self, learning_rate, momentum, use_locking: bool = False,
                 name: str = "Momentum", use_nesterov: bool = False):
        super().__init__(use_locking, name)
        self._learning_rate, self._momentum, self._use_nesterov = learning_rate, momentum, \
            use_nesterov

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._lr_t = self._constant(self._learning_rate, "learning_rate")
        self._momentum_t = self._constant(self._momentum, "momentum")

    def _apply_dense(self, grad, var):
        return apply_op("ApplyMomentum", [var, self.get_slot(var, "momentum"),
                                          _cast(self._lr_t, var), grad,
                                          _cast(self._momentum_t, var)],
                        {"use_nesterov": bool(self._use_nesterov)})


class AdamOptimizer(Optimizer):
    """Adam (Kingma & Ba) with TF1's bias-corrected step and `beta1_power`/`beta2_power`."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08,
                 use_locking: bool = False, name: str = "Adam"):
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon

    def _create_slots(self, var_list):
        first = min(var_list, key=lambda v: v.name)
        self._non_slot("beta1_power", self._beta1, first)
        self._non_slot("beta2_power", self._beta2, first)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name + "_1")

    def _powers(self):
        g = get_default_graph()
        return self._non_slots[("beta1_power", g)], self._non_slots[("beta2_power", g)]

    def _prepare(self):
        self._lr_t = self._constant(self._lr, "learning_rate")
        self._beta1_t = self._constant(self._beta1, "beta1")
        self._beta2_t = self._constant(self._beta2, "beta2")
        self._epsilon_t = self._constant(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        b1p, b2p = self._powers()
        ins = [var, self.get_slot(var, "m"), self.get_slot(var, "v"), _cast(b1p.value(), var),
               _cast(b2p.value(), var), _cast(self._lr_t, var), _cast(self._beta1_t, var),
               _cast(self._beta2_t, var), _cast(self._epsilon_t, var), grad]
        return apply_op("ApplyAdam", ins, {"use_nesterov": False})

    def _finish(self, update_ops, name):
        with control_dependencies(update_ops):
            b1p, b2p = self._powers()
            with b1p.graph.colocate_with(b1p.op):
                update_beta1 = b1p.assign(b1p * self._beta1_t)
                update_beta2 = b2p.assign(b2p * self._beta2_t)
        return ops.group(*update_ops, update_beta1, update_beta2, name=name)


class AdagradOptimizer(Optimizer):
    """accum += grad**2; var -= learning_rate * grad / sqrt(accum)."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking: bool = False,
                 name: str = "Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate, self._initial = learning_rate, initial_accumulator_value

    def _create_slots(self, var_list):
        init = initializers.Constant(self._initial)
        for v in var_list:
            self._make_slot(v, "accumulator", self._name, init)

    def _prepare(self):
        self._lr_t = self._constant(self._learning_rate, "learning_rate")

    def _apply_dense(self, grad, var):
        return apply_op("ApplyAdagrad", [var, self.get_slot(var, "accumulator"),
                                         _cast(self._lr_t, var), grad], {"update_slots": True})


class RMSPropOptimizer(Optimizer):
    """TF1's RMSProp: mean square (initialized to ones), optional momentum and centering."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking: bool = False, centered: bool = False, name: str = "RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate, self._decay, self._momentum = learning_rate, decay, momentum
        self._epsilon, self._centered = epsilon, centered

    def _create_slots(self, var_list):
        for v in var_list:
            self._make_slot(v, "rms", self._name, initializers.Ones())
            if self._centered:
                self._zeros_slot(v, "mg", self._name)
            self._zeros_slot(v, "momentum", self._name)

    def _prepare(self):
        self._lr_t = self._constant(self._learning_rate, "learning_rate")
        self._decay_t = self._constant(self._decay, "decay")
        self._momentum_t = self._constant(self._momentum, "momentum")
        self._epsilon_t = self._constant(self._epsilon, "epsilon")

    def _apply_dense(self, grad, var):
        slots = [self.get_slot(var, "rms"), self.get_slot(var, "momentum")]
        op_type = "ApplyRMSProp"
        if self._centered:
            slots.insert(0, self.get_slot(var, "mg"))
            op_type = "ApplyCenteredRMSProp"
        hyper = [_cast(t, var) for t in (self._lr_t, self._decay_t, self._momentum_t,
                                         self._epsilon_t)]
        return apply_op(op_type, [var, *slots, *hyper, grad])
