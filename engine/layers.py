"""`fl.layers`: TF1's functional layers (dense, conv2d, pooling, dropout, flatten, batch norm).

Each call makes its variables with `get_variable` in a variable scope named after the layer
('dense', 'dense_1', ... unless `name` is given), so `reuse=True` with the same name shares
them, as in TF1.
"""
from __future__ import annotations

import math
from types import SimpleNamespace

from flowlog.engine import array_ops as _a
from flowlog.engine import conv_ops, initializers, nn_ops, pool_ops
from flowlog.engine import math_ops as _m
from flowlog.engine import shape_ops as _s
from flowlog.engine.framework import GraphKeys, Tensor, convert_to_tensor, get_default_graph
from flowlog.engine.norm_ops import moments
from flowlog.engine.variable_scope import variable_scope
from flowlog.engine.variables import assign_sub, get_variable


def _layer_name(base: str, name: str | None) -> str:
    """`name`, or `base` numbered per graph from 0 ('dense', 'dense_1', ...) as TF1 does."""
    if name:
        return name
    g = get_default_graph()
    counts = g.__dict__.setdefault("_layer_name_counts", {})
    n = counts.get(base, 0)
    counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def _regularize(var, regularizer) -> None:
    if regularizer is None:
        return
    loss = regularizer(var)
    if loss is not None:
        get_default_graph().add_to_collection("regularization_losses", loss)


def _activate(x: Tensor, activation) -> Tensor:
    return x if activation is None else activation(x)


def _pair(value, what: str) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"The `{what}` argument must be a tuple of 2 integers. "
                         f"Received: {value}")
    return value


def _padding(padding: str) -> str:
    p = str(padding).upper()
    if p not in ("SAME", "VALID"):
        raise ValueError(f"The `padding` argument must be one of 'valid', 'same'. "
                         f"Received: {padding}")
    return p


def _channels_last(data_format: str) -> None:
    if data_format != "channels_last":
        raise ValueError(f"Only data_format='channels_last' is supported, got {data_format!r}")


# --- dense and conv2d --------------------------------------------------------------------------


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=None, kernel_regularizer=None, bias_regularizer=None,
          activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
          trainable=True, name=None, reuse=None) -> Tensor:
    """`activation(inputs @ kernel + bias)` over the last axis of `inputs`."""
    x = convert_to_tensor(inputs)
    last = x.shape.dims[-1] if x.shape.dims else None
    if last is None:
        raise ValueError("The last dimension of the inputs to `Dense` should be defined. "
                         "Found `None`.")
    with variable_scope(_layer_name("dense", name), reuse=reuse):
        kernel = get_variable("kernel", [last, units], x.dtype.base_dtype,
                              initializer=kernel_initializer, trainable=trainable)
        _regularize(kernel, kernel_regularizer)
        rank = x.shape.ndims
        if rank == 2:
            out = _m.matmul(x, kernel)
        else:  # the matmul of every row over the leading axes, as TF's tensordot
            flat = _a.reshape(x, [-1, last])
            out = _a.reshape(_m.matmul(flat, kernel),
                             _s.concat([_a.shape(x)[:-1], [units]], 0))
            out.set_shape(list(x.shape.dims[:-1]) + [units])
        if use_bias:
            bias = get_variable("bias", [units], x.dtype.base_dtype, trainable=trainable,
                                initializer=bias_initializer or initializers.Zeros())
            _regularize(bias, bias_regularizer)
            out = nn_ops.bias_add(out, bias)
        return _activate(out, activation)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=None, kernel_regularizer=None,
           bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
           bias_constraint=None, trainable=True, name=None, reuse=None) -> Tensor:
    """A 2-D convolution layer over an NHWC batch: kernel [kh, kw, in, filters] and a bias."""
    _channels_last(data_format)
    x = convert_to_tensor(inputs)
    channels = x.shape.dims[-1] if x.shape.dims else None
    if channels is None:
        raise ValueError("The channel dimension of the inputs should be defined. "
                         "Found `None`.")
    kh, kw = _pair(kernel_size, "kernel_size")
    with variable_scope(_layer_name("conv2d", name), reuse=reuse):
        kernel = get_variable("kernel", [kh, kw, channels, filters], x.dtype.base_dtype,
                              initializer=kernel_initializer, trainable=trainable)
        _regularize(kernel, kernel_regularizer)
        out = conv_ops.conv2d(x, kernel, strides=list(_pair(strides, "strides")),
                              padding=_padding(padding),
                              dilations=list(_pair(dilation_rate, "dilation_rate")))
        if use_bias:
            bias = get_variable("bias", [filters], x.dtype.base_dtype, trainable=trainable,
                                initializer=bias_initializer or initializers.Zeros())
            _regularize(bias, bias_regularizer)
            out = nn_ops.bias_add(out, bias)
        return _activate(out, activation)


# --- pooling, flatten, dropout --------------------------------------------------------------


def _pooling(op, base: str, inputs, pool_size, strides, padding, data_format, name):
    _channels_last(data_format)
    ph, pw = _pair(pool_size, "pool_size")
    sh, sw = _pair(strides, "strides")
    with variable_scope(_layer_name(base, name)):
        return op(inputs, [1, ph, pw, 1], [1, sh, sw, 1], _padding(padding))


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None) -> Tensor:
    """The maximum of each `pool_size` window, windows `strides` apart."""
    return _pooling(pool_ops.max_pool, "max_pooling2d", inputs, pool_size, strides, padding,
                    data_format, name)


def average_pooling2d(inputs, pool_size, strides, padding="valid",
                      data_format="channels_last", name=None) -> Tensor:
    """The mean of each `pool_size` window, windows `strides` apart."""
    return _pooling(pool_ops.avg_pool, "average_pooling2d", inputs, pool_size, strides,
                    padding, data_format, name)


def flatten(inputs, name=None, data_format="channels_last") -> Tensor:
    """`inputs` reshaped to [batch, everything else]."""
    x = convert_to_tensor(inputs)
    with variable_scope(_layer_name("flatten", name)):
        dims = x.shape.dims
        if dims is not None and all(d is not None for d in dims[1:]):
            out = _a.reshape(x, [-1, math.prod(dims[1:])])
        else:
            out = _a.reshape(x, _s.stack([_a.shape(x)[0], -1]))
        return out


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None) -> Tensor:
    """Dropout of `rate` while `training` (a bool or a bool tensor), the identity otherwise."""
    x = convert_to_tensor(inputs)
    with variable_scope(_layer_name("dropout", name)):
        if isinstance(rate, (int, float)) and rate == 0:
            return _a.identity(x)  # no random op, so later ops' seeds stay TF's
        if isinstance(training, bool):
            if not training:
                return _a.identity(x)
            return nn_ops.dropout(x, rate=rate, noise_shape=noise_shape, seed=seed)
        from flowlog.engine.control_flow import cond

        return cond(training, lambda: nn_ops.dropout(x, rate=rate, noise_shape=noise_shape,
                                                     seed=seed),
                    lambda: _a.identity(x))


# --- batch normalization -----------------------------------------------------------------------


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=None, gamma_initializer=None,
                        moving_mean_initializer=None, moving_variance_initializer=None,
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None) -> Tensor:
    """Normalize by the batch's statistics while `training`, else by the moving averages.

    Training adds the moving averages' updates to UPDATE_OPS: run them with the train op
    (`with fl.control_dependencies(fl.get_collection(fl.GraphKeys.UPDATE_OPS))`). For 4-D
    inputs normalized over their channels, the moving variance is updated with the unbiased
    batch variance (TF's fused kernel), otherwise with the biased one.
    """
    x = convert_to_tensor(inputs)
    rank = x.shape.ndims
    if rank is None:
        raise ValueError("Input has undefined rank.")
    axis = axis % rank
    depth = x.shape.dims[axis]
    if depth is None:
        raise ValueError(f"Input has undefined `axis` dimension. Input shape: {x.shape}")
    reduce_axes = [i for i in range(rank) if i != axis]
    dtype = x.dtype.base_dtype
    with variable_scope(_layer_name("batch_normalization", name), reuse=reuse):
        gamma = get_variable("gamma", [depth], dtype, trainable=trainable,
                             initializer=gamma_initializer or initializers.Ones()) \
            if scale else None
        beta = get_variable("beta", [depth], dtype, trainable=trainable,
                            initializer=beta_initializer or initializers.Zeros()) \
            if center else None
        if gamma is not None:
            _regularize(gamma, gamma_regularizer)
        if beta is not None:
            _regularize(beta, beta_regularizer)
        moving_mean = get_variable("moving_mean", [depth], dtype, trainable=False,
                                   initializer=moving_mean_initializer or initializers.Zeros())
        moving_var = get_variable("moving_variance", [depth], dtype, trainable=False,
                                  initializer=moving_variance_initializer or initializers.Ones())
        shape = [1] * rank
        shape[axis] = depth

        def normalize(mean, variance):
            m, v = _a.reshape(mean, shape), _a.reshape(variance, shape)
            out = (x - m) * _m.rsqrt(v + epsilon)
            if gamma is not None:
                out = out * _a.reshape(gamma, shape)
            if beta is not None:
                out = out + _a.reshape(beta, shape)
            return out

        def update(var, value, is_variance: bool):
            if is_variance and rank == 4 and axis == 3 and fused is not False:
                n = _m.cast(_a.size(x) // _a.shape(x)[axis], dtype)
                value = value * n / _m.maximum(n - 1, 1)
            return assign_sub(var, (var - value) * (1.0 - momentum))

        g = get_default_graph()
        if isinstance(training, bool):
            if not training:
                return normalize(moving_mean, moving_var)
            mean, variance = moments(x, reduce_axes)
            g.add_to_collection(GraphKeys.UPDATE_OPS, update(moving_mean, mean, False).op)
            g.add_to_collection(GraphKeys.UPDATE_OPS, update(moving_var, variance, True).op)
            return normalize(mean, variance)
        from flowlog.engine.control_flow import cond

        mean, variance = cond(training, lambda: moments(x, reduce_axes),
                              lambda: (_a.identity(moving_mean), _a.identity(moving_var)))
        for var, value, is_variance in ((moving_mean, mean, False), (moving_var, variance, True)):
            new = cond(training, lambda var=var, value=value, v=is_variance: _a.identity(
                update(var, value, v)), lambda var=var: _a.identity(var))
            g.add_to_collection(GraphKeys.UPDATE_OPS, new.op)
        return normalize(mean, variance)


layers = SimpleNamespace(average_pooling2d=average_pooling2d,
                         batch_normalization=batch_normalization, conv2d=conv2d, dense=dense,
                         dropout=dropout, flatten=flatten, max_pooling2d=max_pooling2d)
