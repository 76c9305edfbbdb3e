"""Finite differences for the numeric gradient tests."""
from __future__ import annotations

import numpy as np


def numeric_grad(sess, loss, phs, values, i, eps=1e-6, feed=None):
    """d loss / d values[i] by central differences, each element moved by `eps`."""
    grad = np.zeros_like(values[i])
    flat = grad.reshape(-1)
    for k in range(flat.size):
        shifted = []
        for sign in (1, -1):
            vals = [v.copy() for v in values]
            vals[i].reshape(-1)[k] += sign * eps
            shifted.append(sess.run(loss, {**dict(zip(phs, vals)), **(feed or {})}))
        flat[k] = (shifted[0] - shifted[1]) / (2 * eps)
    return grad
