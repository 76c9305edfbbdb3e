"""The bundled digits (8x8 grey images, 1797 of them) as float32 images and int64 labels."""
from __future__ import annotations

import os

import numpy as np


def digits():
    """(train_x, train_y, test_x, test_y): the first 1500 digits for training, the rest for
    testing; images in [0, 1] shaped [N, 8, 8, 1]. FLOWLOG_DIGITS_NPZ names a saved copy (for
    interpreters without scikit-learn)."""
    path = os.environ.get("FLOWLOG_DIGITS_NPZ")
    if path:
        with np.load(path) as f:
            images, target = f["images"], f["target"]
    else:
        from sklearn.datasets import load_digits

        d = load_digits()
        images, target = d.images, d.target
    x = (images / 16.0).astype(np.float32)[..., None]
    y = target.astype(np.int64)
    return x[:1500], y[:1500], x[1500:], y[1500:]


def batches(n: int, size: int, steps: int, seed: int = 0):
    """`steps` index arrays of `size` rows out of `n`, the same in every interpreter."""
    rng = np.random.RandomState(seed)
    return [rng.randint(0, n, size) for _ in range(steps)]
