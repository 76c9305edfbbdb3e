"""`tf.train.ExponentialMovingAverage`: a shadow variable per variable, moved toward it by
`apply()`, and the name map that lets a Saver restore the averages in place of the values
(the evaluation half of TF1's CIFAR-10 tutorial)."""
from __future__ import annotations

from flowlog.engine.array_ops import cast
from flowlog.engine.control_ops import group
from flowlog.engine.framework import convert_to_tensor, get_default_graph, name_scope
from flowlog.engine.math_ops import minimum
from flowlog.engine.variables import Variable, assign_sub, global_variables, trainable_variables

MOVING_AVERAGE_VARIABLES = "moving_average_variables"


def moving_average_variables(scope: str | None = None) -> list:
    """The variables that an ExponentialMovingAverage averages."""
    return get_default_graph().get_collection(MOVING_AVERAGE_VARIABLES, scope)


def assign_moving_average(variable: Variable, value, decay, name: str | None = None):
    """variable -= (variable - value) * (1 - decay), as TF writes it."""
    with name_scope(name, "AssignMovingAvg", [variable, value, decay]) as scope:
        rate = 1.0 - convert_to_tensor(decay, dtype=variable.dtype.base_dtype)
        return assign_sub(variable, (variable - value) * rate, name=scope)


def _fresh(value):
    """A read of variable `value` made here, so it runs after the control dependencies in
    force (other tensors as they are). TF1's reads alias the variable's memory, so the
    tutorials' `with control_dependencies([train_step]): ema.apply()` averages the values
    the step left; a new read gives the same."""
    return value.read_value() if isinstance(value, Variable) else value


class ExponentialMovingAverage:
    """Shadow copies of variables, each `apply()` moving them by `1 - decay` toward the
    variables; with `num_updates` the decay is min(decay, (1 + n) / (10 + n)) early on."""

    def __init__(self, decay, num_updates=None, zero_debias: bool = False,
                 name: str = "ExponentialMovingAverage"):
        if zero_debias:
            raise NotImplementedError("ExponentialMovingAverage(zero_debias=True) is not "
                                      "supported")
        self._decay = decay
        self._num_updates = num_updates
        self._name = name
        self._averages: dict = {}

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list=None):
        """An op updating the averages of `var_list` (default: the trainable variables);
        their shadow variables are made on first use, starting at the variables' initial
        values."""
        var_list = list(trainable_variables() if var_list is None else var_list)
        g = get_default_graph()
        for var in var_list:
            if not isinstance(var, Variable):
                raise TypeError(f"ExponentialMovingAverage.apply averages variables; {var!r} "
                                "is not one (averages of tensors are not supported)")
            if var in self._averages:
                continue
            with g.name_scope(None), g.colocate_with(var.op):
                self._averages[var] = Variable(var.initial_value, trainable=False,
                                               name=f"{var.op.name}/{self._name}/")
            g.add_to_collection(MOVING_AVERAGE_VARIABLES, var)
        with name_scope(self._name) as scope:
            decay = convert_to_tensor(self._decay, name="decay")
            if self._num_updates is not None:
                n = cast(_fresh(self._num_updates), decay.dtype.base_dtype)
                decay = minimum(decay, (1.0 + n) / (10.0 + n))
            updates = [assign_moving_average(self._averages[v], _fresh(v), decay)
                       for v in var_list]
            return group(*updates, name=scope)

    def average(self, var) -> Variable | None:
        """The shadow variable of `var` (None before `apply` made it)."""
        return self._averages.get(var)

    def average_name(self, var) -> str:
        """The name of `var`'s average in a checkpoint: `<var>/<this average's name>`."""
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables=None) -> dict:
        """{checkpoint name: variable} restoring each averaged variable from its average and
        every other global variable from itself."""
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + moving_average_variables()
        names = {self.average_name(v): v for v in moving_avg_variables}
        averaged = set(moving_avg_variables)
        for v in global_variables():
            if v not in averaged and v.op.name not in names:
                names[v.op.name] = v
        return names


__all__ = ["ExponentialMovingAverage", "assign_moving_average", "moving_average_variables"]
