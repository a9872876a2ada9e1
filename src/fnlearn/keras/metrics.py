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

from .. import losses as _losses
from .. import metrics as _metrics
from ..errors import ConfigError
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
from ..tensor import Tensor, no_grad
from ._missing import not_provided


def BinaryAccuracy(name: str = "binary_accuracy", dtype: Any = None,  # noqa: N802  (Keras's class name)
                   threshold: float = 0.5) -> Metric:
    """Fraction of outputs on the right side of ``threshold``."""
    if threshold == 0.5:
        return Metric(binary_accuracy, name)
    return _recorded(Metric(lambda t, p: binary_accuracy(t, p, threshold=threshold), name), "BinaryAccuracy",
                     name=name, threshold=threshold)


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


def _cross_entropy(name: str, from_logits: bool, metric_name: str) -> Metric:
    """A cross-entropy as a metric, with its own ``from_logits`` (the tutorial's
    ``metrics=[keras.metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy")]``)."""
    fn = getattr(_losses, name)
    if not isinstance(from_logits, bool):
        raise ConfigError(f"{metric_name}: from_logits must be True or False, got {from_logits!r}.")

    def value(y_true: Any, y_pred: Any) -> float:
        with no_grad():
            scores = Tensor(y_pred.data if isinstance(y_pred, Tensor) else y_pred)
            return float(fn(y_true, scores, from_logits=from_logits).item())

    metric = Metric(value, metric_name)
    return _recorded(metric, _CLASS_OF[name], name=metric_name, from_logits=True) if from_logits else metric


def _recorded(metric: Metric, class_name: str, **config: Any) -> Metric:
    """Give ``metric`` the settings a model file needs to make it again (see :data:`SAVED_CLASSES`)."""
    metric.config = {"class_name": class_name, "config": config}
    return metric


_CLASS_OF = {"binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
             "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy"}


def BinaryCrossentropy(name: str = "binary_crossentropy", dtype: Any = None,  # noqa: N802
                       from_logits: bool = False) -> Metric:
    """Binary cross-entropy as a metric; ``from_logits=True`` for raw scores."""
    return _cross_entropy("binary_crossentropy", from_logits, name)


def CategoricalCrossentropy(name: str = "categorical_crossentropy", dtype: Any = None,  # noqa: N802
                            from_logits: bool = False) -> Metric:
    """Categorical cross-entropy (one-hot targets) as a metric; ``from_logits=True`` for raw scores."""
    return _cross_entropy("categorical_crossentropy", from_logits, name)


def SparseCategoricalCrossentropy(name: str = "sparse_categorical_crossentropy", dtype: Any = None,  # noqa: N802
                                  from_logits: bool = False) -> Metric:
    """Cross-entropy with integer labels as a metric; ``from_logits=True`` for raw scores."""
    return _cross_entropy("sparse_categorical_crossentropy", from_logits, name)


get = _metrics.get

# The metric classes a model file may name, with settings (a fixed table: nothing else is looked up).
SAVED_CLASSES = {"BinaryAccuracy": BinaryAccuracy, "BinaryCrossentropy": BinaryCrossentropy,
                 "CategoricalCrossentropy": CategoricalCrossentropy,
                 "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy}

__all__ = ["Metric", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "mean_absolute_error", "mean_squared_error", "mae", "mse", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "get"]

__getattr__ = not_provided(__name__, __all__)
