"""Metrics: numbers reported during training that the optimizer does not minimise.

``compile(metrics=[...])`` takes names or callables. ``"accuracy"`` (or ``"acc"``) picks the right
kind as tf.keras 2 did: binary accuracy for binary cross-entropy or one output unit, sparse
categorical accuracy for integer labels, categorical accuracy for one-hot targets. (Keras 3 looks at
the shapes only, so a multi-label sigmoid output trained with binary cross-entropy gets categorical
accuracy there — the argmax of several independent yes/no outputs — and binary accuracy here.) ``"mae"`` and
``"mse"`` measure regression error; loss names work as metrics too; any callable
``(y_true, y_pred) -> float`` is accepted and gets NumPy arrays.

Over an epoch each metric is the mean over samples: batch values are averaged weighted by batch
size (:class:`MeanTracker`). For the built-in metrics that is what Keras reports; a function of your
own that returns one number per batch is weighted the same way here, where Keras weights its batches
equally (the two differ only when the last batch is smaller).

Example:
    >>> import fnlearn as fl
    >>> fl.metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    0.5
    >>> m = fl.metrics.get("accuracy", loss="sparse_categorical_crossentropy")
    >>> m([1, 0], [[0.2, 0.8], [0.3, 0.7]])
    0.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend, losses
from .errors import ConfigError, ShapeError, reject_foreign, unknown_name
from .tensor import Tensor, as_array, no_grad


def _array(value: Any, name: str) -> Any:
    if isinstance(value, Tensor):
        return value.data
    # arrays from fit's loop pass straight through; anything else gets the full conversion and checks
    return value if backend.is_array(value) else as_array(value, name=name)


def _arrays(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    return _array(y_true, "y_true"), _array(y_pred, "y_pred")


def _like_pred(t: Any, p: Any) -> Any:
    """The targets in the predictions' shape: (n,) against (n, 1) is reshaped, and integer labels
    against k > 1 outputs are one-hot encoded (regression errors of a classifier trained on sparse labels)."""
    if t.shape == p.shape:
        return t
    if t.size == p.size:
        return t.reshape(p.shape)
    xp = backend.xp()
    if t.dtype.kind in "iu" and p.ndim >= 2 and t.size * p.shape[-1] == p.size:
        labels = t.reshape(p.shape[:-1])
        return (labels[..., None] == xp.arange(p.shape[-1])).astype(p.dtype)
    raise ShapeError(f"y_true has shape {tuple(t.shape)} but y_pred has shape {tuple(p.shape)}; a metric needs one "
                     "target per output.")


def _fraction(hits: Any) -> float:
    """The share of True values (count_nonzero is several times faster than mean on small batches)."""
    return int(backend.xp().count_nonzero(hits)) / max(hits.size, 1)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of outputs where ``y_pred > threshold`` equals the 0/1 target.

    >>> binary_accuracy([[1], [0], [1]], [[0.9], [0.2], [0.4]])
    0.6666666666666666
    """
    t, p = _arrays(y_true, y_pred)
    t = _like_pred(t, p)
    return _fraction(t == (p > threshold).astype(t.dtype))


def categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose largest output is at the target's hot position."""
    xp = backend.xp()
    t, p = _arrays(y_true, y_pred)
    return _fraction(xp.argmax(t, axis=-1) == xp.argmax(p, axis=-1))


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose largest output is at the integer label."""
    xp = backend.xp()
    t, p = _arrays(y_true, y_pred)
    labels = t.reshape(p.shape[:-1])
    return _fraction(labels == xp.argmax(p, axis=-1))


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """Mean of |y − ŷ| over every output of every sample."""
    xp = backend.xp()
    t, p = _arrays(y_true, y_pred)
    return float(xp.mean(xp.abs(p - _like_pred(t, p))))


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """Mean of (y − ŷ)² over every output of every sample."""
    xp = backend.xp()
    t, p = _arrays(y_true, y_pred)
    d = p - _like_pred(t, p)
    return float(xp.mean(d * d))


mae = mean_absolute_error
mse = mean_squared_error


def accuracy_kind(loss: str | None, true_shape: tuple[int, ...], pred_shape: tuple[int, ...]) -> str:
    """Which accuracy ``"accuracy"`` means: ``"binary"``, ``"sparse"`` or ``"categorical"``.

    The loss decides when it is a cross-entropy; otherwise the shapes do, as in Keras: one output unit
    is binary, integer labels (one axis fewer, or one column against several units) are sparse.

    >>> accuracy_kind("mse", (5, 10), (5, 10))
    'categorical'
    """
    if loss == "binary_crossentropy":
        return "binary"
    if loss == "sparse_categorical_crossentropy":
        return "sparse"
    if loss == "categorical_crossentropy":
        return "categorical"
    if len(pred_shape) < 2 or pred_shape[-1] == 1:
        return "binary"
    if len(true_shape) < len(pred_shape) or true_shape[-1] == 1:
        return "sparse"
    return "categorical"


_ACCURACY = {"binary": binary_accuracy, "sparse": sparse_categorical_accuracy,
             "categorical": categorical_accuracy}


class Metric:
    """A named function ``(y_true, y_pred) -> float`` on one batch.

    >>> Metric(lambda t, p: 1.0, name="one")([0], [0])
    1.0
    """

    def __init__(self, fn: Callable[[Any, Any], Any] | None = None, name: str | None = None,
                 host: bool = False, **kwargs: Any) -> None:
        if fn is None or not callable(fn) or name is None:
            raise ConfigError(f"{type(self).__name__}: fnlearn's Metric wraps a function, Metric(fn, name) with "
                              "fn(y_true, y_pred) -> float averaged over each epoch's samples; Keras's stateful "
                              "subclass API (update_state / result / reset_state) is not provided, so write the "
                              "metric as such a function.")
        self.fn = fn
        self.name = name
        self.host = host  # user callables get NumPy arrays, whatever the backend
        # a metric made by a Keras class with settings beyond its name (from_logits, a threshold): what a model
        # file records to make it again, {"class_name": ..., "config": {...}}; None: the name says it all
        self.config: dict[str, Any] | None = None

    def __call__(self, y_true: Any, y_pred: Any) -> float:
        if self.host:
            y_true, y_pred = (backend.to_numpy(a.data if isinstance(a, Tensor) else a) for a in (y_true, y_pred))
        value = self.fn(y_true, y_pred)
        if type(value) is float:
            return value
        if isinstance(value, Tensor):
            value = value.data
        if backend.is_array(value):
            value = backend.to_numpy(value)
        return float(np.mean(np.asarray(value, dtype=np.float64)))

    def __repr__(self) -> str:
        return f"Metric({self.name!r})"


def _accuracy(loss: str | None) -> Callable[[Any, Any], float]:
    chosen: dict[tuple[int, ...], Callable[[Any, Any], float]] = {}  # decided once per kind of shapes

    def accuracy(y_true: Any, y_pred: Any) -> float:
        t, p = _arrays(y_true, y_pred)
        key = (t.ndim, t.shape[-1] if t.ndim else 0, p.ndim, p.shape[-1] if p.ndim else 0)
        fn = chosen.get(key)
        if fn is None:
            fn = chosen[key] = _ACCURACY[accuracy_kind(loss, tuple(t.shape), tuple(p.shape))]
        return fn(t, p)
    return accuracy


def _loss_metric(name: str) -> Callable[[Any, Any], float]:
    fn = losses.LOSSES[name]

    def value(y_true: Any, y_pred: Any) -> float:
        with no_grad():
            return float(fn(y_true, Tensor(y_pred.data if isinstance(y_pred, Tensor) else y_pred)).item())
    return value


_FUNCTIONS: dict[str, Callable[[Any, Any], float]] = {
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
}

METRIC_NAMES: tuple[str, ...] = tuple(sorted({"accuracy", "acc", *_FUNCTIONS, *losses.LOSSES}))


def get(spec: Any, loss: str | None = None) -> Metric:
    """A :class:`Metric` from a name or a callable. ``loss`` (a loss name) lets ``"accuracy"`` choose.

    Unknown names raise ConfigError listing the valid ones.
    """
    if isinstance(spec, Metric):
        return spec
    if isinstance(spec, str):
        key = spec.lower()
        if key in ("accuracy", "acc"):
            return Metric(_accuracy(loss), spec)
        if key in _FUNCTIONS:
            return Metric(_FUNCTIONS[key], spec)
        if key in losses.LOSSES:
            return Metric(_loss_metric(key), spec)
        raise unknown_name("metric", spec, METRIC_NAMES)
    if callable(spec):
        reject_foreign("metric", spec)
        builtin = next((name for name, fn in _FUNCTIONS.items() if fn is spec), None)
        if builtin is not None:
            return Metric(spec, builtin)
        name = getattr(spec, "name", None) or getattr(spec, "__name__", None) or type(spec).__name__
        return Metric(spec, str(name), host=True)
    raise unknown_name("metric", spec, METRIC_NAMES)


class MeanTracker:
    """Sample-weighted running means: ``add(name, value, n)`` per batch, ``result()`` per epoch.

    >>> t = MeanTracker(); t.add("loss", 1.0, 3); t.add("loss", 3.0, 1); t.result()
    {'loss': 1.5}
    """

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self.count: dict[str, int] = {}

    def add(self, name: str, value: float, weight: int) -> None:
        self.totals[name] = self.totals.get(name, 0.0) + float(value) * weight
        self.count[name] = self.count.get(name, 0) + weight

    def result(self) -> dict[str, float]:
        return {name: self.totals[name] / self.count[name] if self.count[name] else float("nan")
                for name in self.totals}


__all__ = ["Metric", "get", "MeanTracker", "accuracy_kind", "binary_accuracy", "categorical_accuracy",
           "sparse_categorical_accuracy", "mean_absolute_error", "mean_squared_error", "mae", "mse",
           "METRIC_NAMES"]
