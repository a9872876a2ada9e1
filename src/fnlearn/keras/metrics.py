"""``keras.metrics``: metric functions and classes by their Keras names.

Functions take ``(y_true, y_pred)`` and return a float. The classes (``BinaryAccuracy()``,
``CategoricalAccuracy()``, ...) make a named metric for ``compile(metrics=[...])``; fnlearn averages
every metric over the samples of an epoch, which is what Keras's stateful metrics report.

Example:
    >>> from fnlearn.keras import metrics
    >>> metrics.CategoricalAccuracy()([[0, 1], [1, 0]], [[0.1, 0.9], [0.2, 0.8]])
    0.5
"""

from __future__ import annotations

from typing import Any

from .. import metrics as _metrics
from ..metrics import (
    Metric,
    binary_accuracy,
    categorical_accuracy,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
    sparse_categorical_accuracy,
)


def BinaryAccuracy(name: str = "binary_accuracy", dtype: Any = None,  # noqa: N802  (Keras's class name)
                   threshold: float = 0.5) -> Metric:
    """Fraction of outputs on the right side of ``threshold``."""
    if threshold == 0.5:
        return Metric(binary_accuracy, name)
    return Metric(lambda t, p: binary_accuracy(t, p, threshold=threshold), name)


def CategoricalAccuracy(name: str = "categorical_accuracy", dtype: Any = None) -> Metric:  # noqa: N802
    """Fraction of samples whose largest output is the one-hot target's class."""
    return Metric(categorical_accuracy, name)


def SparseCategoricalAccuracy(name: str = "sparse_categorical_accuracy", dtype: Any = None) -> Metric:  # noqa: N802
    """Fraction of samples whose largest output is the integer label."""
    return Metric(sparse_categorical_accuracy, name)


def MeanSquaredError(name: str = "mean_squared_error", dtype: Any = None) -> Metric:  # noqa: N802
    """Mean of (y − ŷ)²."""
    return Metric(mean_squared_error, name)


def MeanAbsoluteError(name: str = "mean_absolute_error", dtype: Any = None) -> Metric:  # noqa: N802
    """Mean of |y − ŷ|."""
    return Metric(mean_absolute_error, name)


get = _metrics.get

__all__ = ["Metric", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "mean_absolute_error", "mean_squared_error", "mae", "mse", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "get"]
