"""The workloads' models and data: the same for every peer.

Kept apart from :mod:`bench.workloads` so that the fresh processes that measure peak memory
import only this, the peer and NumPy — not the harness's report, CLI and subprocess modules, whose
few MiB are no part of what a process that trains a network needs.

Example:
    >>> from bench.shapes import make_mnist_shaped
    >>> x, y = make_mnist_shaped(512)
    >>> x.dtype, x.shape, int(y.max()) <= 9
    (dtype('float32'), (512, 784), True)
"""

from __future__ import annotations

import numpy as np

MLP_SIZES = (784, 100, 100, 10)
WIDE_SIZES = (784, 512, 512, 10)
VIEWS_SIZES = (56, 100, 100, 100, 1)


def make_mnist_shaped(n: int, n_features: int = 784, n_classes: int = 10, seed: int = 0):
    """Random float32 inputs in [0, 1) of shape ``(n, n_features)`` and int64 labels ``0..n_classes-1``."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, n_features), dtype=np.float32)
    y = rng.integers(0, n_classes, n, dtype=np.int64)
    return x, y


def make_views(n_windows: int, window: int = 56, seed: int = 1):
    """Lag windows of a standardised random walk: ``x[i] = s[i:i+window]``, ``y[i] = s[i+window]``.

    A stand-in for the lecture's channel-views series with the same shapes, the same for every peer.
    """
    rng = np.random.default_rng(seed)
    series = np.cumsum(rng.standard_normal(n_windows + window))
    series = ((series - series.mean()) / series.std()).astype(np.float32)
    x = np.lib.stride_tricks.sliding_window_view(series[:-1], window)[:n_windows].copy()
    y = series[window : window + n_windows].reshape(-1, 1).copy()
    return x, y
