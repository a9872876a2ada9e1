"""``keras.losses``: the Keras loss classes and functions, computed by :mod:`fnlearn.losses`.

Classes: ``MeanSquaredError``, ``MeanAbsoluteError``, ``BinaryCrossentropy``, ``CategoricalCrossentropy``,
``SparseCategoricalCrossentropy``. Functions: ``mean_squared_error`` (``mse``), ``mean_absolute_error``
(``mae``), ``binary_crossentropy``, ``categorical_crossentropy``, ``sparse_categorical_crossentropy``.
Unlike Keras's functions, which return one value per sample, fnlearn's return the mean (pass
``reduction="none"`` for per-sample values); either way ``compile(loss=...)`` accepts them.

Example:
    >>> from fnlearn.keras import losses
    >>> float(losses.MeanSquaredError()([[1.0], [2.0]], [[1.0], [4.0]]))
    2.0
"""

from __future__ import annotations

from typing import Any

from .. import losses as _losses
from ..errors import ConfigError
from ..losses import (
    Loss,
    binary_crossentropy,
    categorical_crossentropy,
    mae,
    mse,
    sparse_categorical_crossentropy,
)
from ._missing import not_provided

mean_squared_error = MSE = mse
mean_absolute_error = MAE = mae

# Keras's reduction names and fnlearn's
_REDUCTIONS = {"sum_over_batch_size": "mean", "auto": "mean", "mean": "mean", "sum": "sum", "none": "none",
               None: "none"}


def _reduction(value: Any) -> str:
    if value not in _REDUCTIONS:
        raise ConfigError(f"reduction {value!r} is not known; use 'sum_over_batch_size', 'sum' or 'none'.")
    return _REDUCTIONS[value]


def _no_smoothing(cls: str, label_smoothing: float, axis: int) -> None:
    if label_smoothing:
        raise ConfigError(f"{cls}(label_smoothing={label_smoothing!r}) is not supported by fnlearn; "
                          "leave label_smoothing at 0.")
    if axis != -1:
        raise ConfigError(f"{cls}(axis={axis!r}) is not supported; fnlearn's classes lie along the last "
                          "axis.")


class MeanSquaredError(Loss):
    """Mean of (y − ŷ)²."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("mse", reduction=_reduction(reduction))


class MeanAbsoluteError(Loss):
    """Mean of |y − ŷ|."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("mae", reduction=_reduction(reduction))


class BinaryCrossentropy(Loss):
    """Binary cross-entropy for targets in [0, 1]; ``from_logits=True`` for raw scores."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        _no_smoothing("BinaryCrossentropy", label_smoothing, axis)
        super().__init__("binary_crossentropy", reduction=_reduction(reduction),
                         from_logits=bool(from_logits))


class CategoricalCrossentropy(Loss):
    """Cross-entropy for one-hot targets; ``from_logits=True`` for raw scores."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        _no_smoothing("CategoricalCrossentropy", label_smoothing, axis)
        super().__init__("categorical_crossentropy", reduction=_reduction(reduction),
                         from_logits=bool(from_logits))


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy for integer labels 0..k−1; ``from_logits=True`` for raw scores."""

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        if ignore_class is not None:
            raise ConfigError("SparseCategoricalCrossentropy(ignore_class=...) is not supported by fnlearn; "
                              "drop those samples from the data instead.")
        super().__init__("sparse_categorical_crossentropy", reduction=_reduction(reduction),
                         from_logits=bool(from_logits))


get = _losses.get

__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "mean_squared_error", "mean_absolute_error", "mse", "mae", "MSE",
           "MAE", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "get"]

__getattr__ = not_provided(__name__, __all__)
