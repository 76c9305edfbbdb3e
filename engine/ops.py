"""The public op constructors (`fl.add`, `fl.matmul`, `fl.placeholder`, ...), gathered in one place."""
from __future__ import annotations

from flowlog.engine.array_ops import (broadcast_gradient_args, broadcast_to, fill, identity, ones,
                                      ones_like, placeholder, placeholder_with_default, rank,
                                      reshape, shape, size, stop_gradient, zeros, zeros_like)
from flowlog.engine.control_ops import Print, group, no_op, tuple, with_dependencies
from flowlog.engine.framework import constant, control_dependencies, convert_to_tensor
from flowlog.engine.gradients import gradients
from flowlog.engine.math_ops import (abs, add, add_n, cast, ceil, clip_by_value, cos, div, divide,
                                     equal, exp, floor, floordiv, floormod, greater,
                                     greater_equal, less, less_equal, log, log1p, logical_and,
                                     logical_not, logical_or, matmul, maximum, minimum, mod, mul,
                                     multiply, neg, negative, not_equal, pow, realdiv, reciprocal,
                                     round, rsqrt, scalar_mul, select, sign, sin, sqrt, square,
                                     squared_difference, sub, subtract, to_float, to_int32,
                                     truediv, where)
from flowlog.engine.reduction_ops import (argmax, argmin, reduce_all, reduce_any, reduce_max,
                                          reduce_mean, reduce_min, reduce_prod, reduce_sum)

__all__ = [
    "Print", "abs", "add", "add_n", "argmax", "argmin", "broadcast_gradient_args",
    "broadcast_to", "cast", "ceil", "clip_by_value", "constant", "control_dependencies",
    "convert_to_tensor", "cos", "div", "divide", "equal", "exp", "fill", "floor", "floordiv",
    "floormod", "gradients", "greater", "greater_equal", "group", "identity", "less",
    "less_equal", "log", "log1p", "logical_and", "logical_not", "logical_or", "matmul", "maximum",
    "minimum", "mod", "mul", "multiply", "neg", "negative", "no_op", "not_equal", "ones",
    "ones_like", "placeholder", "placeholder_with_default", "pow", "rank", "realdiv",
    "reciprocal", "reduce_all", "reduce_any", "reduce_max", "reduce_mean", "reduce_min",
    "reduce_prod", "reduce_sum", "reshape", "round", "rsqrt", "scalar_mul", "select", "shape",
    "sign", "sin", "size", "sqrt", "square", "squared_difference", "stop_gradient", "sub",
    "subtract", "to_float", "to_int32", "truediv", "tuple", "where", "with_dependencies", "zeros",
    "zeros_like",
]
