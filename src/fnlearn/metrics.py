"""Metrics: numbers reported during training that the optimizer does not minimise.

``compile(metrics=[...])`` takes names, callables and metric objects. ``"accuracy"`` (or ``"acc"``)
picks the right kind as tf.keras 2 did: binary accuracy for binary cross-entropy or one output unit,
sparse categorical accuracy for integer labels, categorical accuracy for one-hot targets. (Keras 3 looks
at the shapes only, so a multi-label sigmoid output trained with binary cross-entropy gets categorical
accuracy there — the argmax of several independent yes/no outputs — and binary accuracy here.) ``"mae"``
and ``"mse"`` measure regression error; ``"top_k_categorical_accuracy"`` and
``"sparse_top_k_categorical_accuracy"`` count a target among the 5 largest outputs as a hit; loss names work as
metrics too; any callable ``(y_true, y_pred) -> float`` is accepted and gets NumPy arrays.

Log keys are Keras's: a name keeps its spelling (``"mse"`` logs ``mse``), a function is logged by its
``__name__`` in snake case (``fl.metrics.mean_squared_error`` logs ``mean_squared_error``, see :func:`keras_name`),
an object by its ``name``; ``compile`` numbers a repeated one ``auc``, ``auc_1``, ... (see ``Trainer.compile``).

Two kinds of metric:

- **functions** of one batch, ``(y_true, y_pred) -> float``: over an epoch each is the mean over samples,
  batch values averaged weighted by batch size (:class:`MeanTracker`). For the built-in ones that is what
  Keras reports; a function of your own that returns one number per batch is weighted the same way here,
  where Keras weights its batches equally (the two differ only when the last batch is smaller).
- **stateful metrics**, Keras's API: a :class:`Metric` subclass whose ``update_state(y_true, y_pred,
  sample_weight=None)`` adds a batch to state made with ``add_weight``, ``result()`` reads the value and
  ``reset_state()`` starts again. Precision over an epoch is the precision of all its samples, not the
  mean of the batches' precisions, so it needs such state. Built in: :class:`Precision`, :class:`Recall`,
  :class:`AUC` (ROC and PR), :class:`PrecisionAtRecall`, :class:`RecallAtPrecision`,
  :class:`SensitivityAtSpecificity`, :class:`SpecificityAtSensitivity`, :class:`F1Score`,
  :class:`FBetaScore` (one score per class, or micro / macro / weighted averages), :class:`TruePositives`,
  :class:`FalsePositives`, :class:`TrueNegatives`, :class:`FalseNegatives`, :class:`RootMeanSquaredError`,
  :class:`Mean`, :class:`Sum` and :class:`MeanMetricWrapper`; their names (``"auc"``, ``"precision"``,
  ``"f1_score"``...) work in ``compile`` too. ``fit`` resets them when each epoch starts (and before
  validating), updates them with every batch and reports ``result()``.

``compile(weighted_metrics=[...])`` gives metrics the sample (and class) weights of ``fit`` and the
``sample_weight`` of ``evaluate``, as Keras does; ``metrics=[...]`` are never weighted.

Example:
    >>> import fnlearn as fl
    >>> fl.metrics.categorical_accuracy([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    0.5
    >>> m = fl.metrics.get("accuracy", loss="sparse_categorical_crossentropy")
    >>> m([1, 0], [[0.2, 0.8], [0.3, 0.7]])
    0.5
    >>> p = fl.metrics.Precision()
    >>> p.update_state([1, 0, 1], [0.9, 0.8, 0.3]); p.update_state([1], [0.7]); p.result()
    0.6666666666666666
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend, losses
from .errors import ConfigError, DataError, ShapeError, reject_foreign, unknown_name
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


# Each metric's values before any averaging (a hit per output or sample, an error per output): the batch
# functions below average them over the batch, the weighted metrics per sample first (_PER_SAMPLE).
def _binary_hit_values(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    t, p = _arrays(y_true, y_pred)
    t = _like_pred(t, p)
    return t == (p > threshold).astype(t.dtype)


def _categorical_hit_values(y_true: Any, y_pred: Any) -> Any:
    xp = backend.xp()
    t, p = _arrays(y_true, y_pred)
    return xp.argmax(t, axis=-1) == xp.argmax(p, axis=-1)


def _sparse_hit_values(y_true: Any, y_pred: Any) -> Any:
    t, p = _arrays(y_true, y_pred)
    return t.reshape(p.shape[:-1]) == backend.xp().argmax(p, axis=-1)


def _check_k(k: Any, who: str) -> int:
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"{who}: k must be an integer ≥ 1 (how many of the largest outputs count), got {k!r}.")
    return int(k)


def _in_top_k(labels: Any, scores: Any, k: int, who: str) -> Any:
    """Keras's ``ops.in_top_k``: a label is in the top k when fewer than k scores are strictly above its own, so
    a tie at the k-th place counts in; a NaN at the label counts as below every score."""
    xp = backend.xp()
    scores = scores.reshape(-1, scores.shape[-1])
    labels = labels.reshape(-1)
    if labels.shape[0] != scores.shape[0]:
        raise ShapeError(f"{who}: y_true has {labels.shape[0]} labels but y_pred has {scores.shape[0]} rows of "
                         "scores; give one integer label per row of scores.")
    if labels.dtype.kind not in "iu":
        labels = labels.astype(np.int64)  # Keras casts labels to int32, truncating toward zero
    bad = (labels < 0) | (labels >= scores.shape[-1])
    if bool(xp.any(bad)):
        row = int(xp.argmax(bad))
        raise DataError(f"{who}: y_true holds the label {int(labels[row])} (row {row}), but y_pred has "
                        f"{scores.shape[-1]} classes; labels must be 0 … {scores.shape[-1] - 1}.")
    at_label = xp.take_along_axis(scores, labels[:, None], axis=-1)
    at_label = xp.where(xp.isnan(at_label), -xp.inf, at_label)
    return xp.count_nonzero(scores > at_label, axis=-1) < k


def _top_k_hit_values(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    t, p = _arrays(y_true, y_pred)
    if t.shape != p.shape:
        raise ShapeError(f"top_k_categorical_accuracy needs one-hot targets of y_pred's shape {tuple(p.shape)}, got "
                         f"y_true of shape {tuple(t.shape)}; for integer labels use sparse_top_k_categorical_accuracy.")
    hits = _in_top_k(backend.xp().argmax(t, axis=-1), p, k, "top_k_categorical_accuracy")
    return hits.reshape(p.shape[:-1])


def _sparse_top_k_hit_values(y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False) -> Any:
    t, p = _arrays(y_true, y_pred)
    who = "sparse_top_k_categorical_accuracy"
    if from_sorted_ids:  # y_pred holds class ids, best first: Keras looks for the label among the first k
        if t.size * p.shape[-1] != p.size:
            raise ShapeError(f"{who}: y_true has {t.size} labels but y_pred has shape {tuple(p.shape)}; give one "
                             "label per row of sorted ids.")
        ids = p.reshape(-1, p.shape[-1])[:, :k]
        return backend.xp().any(ids == t.reshape(-1, 1).astype(ids.dtype), axis=-1).reshape(p.shape[:-1])
    return _in_top_k(t, p, k, who).reshape(p.shape[:-1])


def _absolute_error_values(y_true: Any, y_pred: Any) -> Any:
    t, p = _arrays(y_true, y_pred)
    return backend.xp().abs(p - _like_pred(t, p))


def _squared_error_values(y_true: Any, y_pred: Any) -> Any:
    t, p = _arrays(y_true, y_pred)
    d = p - _like_pred(t, p)
    return d * d


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of outputs where ``y_pred > threshold`` equals the 0/1 target.

    >>> binary_accuracy([[1], [0], [1]], [[0.9], [0.2], [0.4]])
    0.6666666666666666
    """
    return _fraction(_binary_hit_values(y_true, y_pred, threshold))


def categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose largest output is at the target's hot position."""
    return _fraction(_categorical_hit_values(y_true, y_pred))


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose largest output is at the integer label."""
    return _fraction(_sparse_hit_values(y_true, y_pred))


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> float:
    """Fraction of samples whose one-hot target's class is among the ``k`` largest outputs, as Keras counts it:
    a class tied with the k-th largest output is in.

    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.5, 0.3, 0.2], [0.4, 0.4, 0.2]], k=1)
    0.5
    """
    return _fraction(_top_k_hit_values(y_true, y_pred, _check_k(k, "top_k_categorical_accuracy")))


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False) -> float:
    """Fraction of samples whose integer label is among the ``k`` largest outputs (ties at the k-th place count
    in, as in Keras); ``from_sorted_ids=True`` reads y_pred as class ids sorted best first.

    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.5, 0.3, 0.2], [0.4, 0.4, 0.2]], k=2)
    0.5
    """
    who = "sparse_top_k_categorical_accuracy"
    return _fraction(_sparse_top_k_hit_values(y_true, y_pred, _check_k(k, who), bool(from_sorted_ids)))


def mean_absolute_error(y_true: Any, y_pred: Any) -> float:
    """Mean of |y − ŷ| over every output of every sample."""
    return float(backend.xp().mean(_absolute_error_values(y_true, y_pred)))


def mean_squared_error(y_true: Any, y_pred: Any) -> float:
    """Mean of (y − ŷ)² over every output of every sample."""
    return float(backend.xp().mean(_squared_error_values(y_true, y_pred)))


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


def _rows(values: Any) -> int:
    """How many samples a batch holds (1 for a single value)."""
    shape = getattr(values, "shape", None)
    if shape is None:
        shape = np.shape(values)
    return int(shape[0]) if len(shape) else 1


def _per_sample_mean(values: Any) -> Any:
    """One value per sample: the mean over every axis but the first (Keras's metrics reduce so)."""
    values = values.astype(np.float64)
    return values.reshape(values.shape[0], -1).mean(axis=1) if values.ndim > 1 else values


def _per_sample(values: Callable[..., Any]) -> Callable[..., Any]:
    """A metric's values averaged per sample, the form that weighted metrics weight."""
    def per_sample(y_true: Any, y_pred: Any, *args: Any) -> Any:
        return _per_sample_mean(values(y_true, y_pred, *args))
    return per_sample


_binary_hits = _per_sample(_binary_hit_values)

# a built-in function's values before any mean: what a mask over a sequence's steps weights
_ELEMENTS: dict[Callable[..., Any], Callable[[Any, Any], Any]] = {
    binary_accuracy: _binary_hit_values, categorical_accuracy: _categorical_hit_values,
    sparse_categorical_accuracy: _sparse_hit_values, mean_absolute_error: _absolute_error_values,
    mean_squared_error: _squared_error_values, top_k_categorical_accuracy: _top_k_hit_values,
    sparse_top_k_categorical_accuracy: _sparse_top_k_hit_values}

# what a weighted metric needs of a built-in function: its value for each sample
_PER_SAMPLE: dict[Callable[..., Any], Callable[[Any, Any], Any]] = {
    fn: _per_sample(values) for fn, values in _ELEMENTS.items()}


# ----------------------------------------------------------------------------- stateful metrics: state


def _operand(value: Any) -> Any:
    return value._value if isinstance(value, Variable) else value


def _operator(name: str) -> Callable[..., Any]:
    def method(self: Variable, *others: Any) -> Any:
        if any(isinstance(other, Tensor) for other in others):
            return NotImplemented  # Tensor's own (reflected) operator takes the variable as an array
        return getattr(self._value, name)(*(_operand(other) for other in others))

    method.__name__ = name
    return method


class Variable:
    """A stateful metric's state (``Metric.add_weight``): an array changed by ``assign``, ``assign_add`` and
    ``assign_sub``, and read as an array (NumPy functions, arithmetic, ``numpy()``, ``float()``).

    Each assignment replaces the array, so a value read before stays as it was. The state lives where the
    values added to it do: on the GPU for fnlearn's own metrics on the CuPy backend, on the host otherwise.

    >>> tp = Variable(np.zeros(2), name="tp")
    >>> tp.assign_add([1.0, 2.0]); tp.assign_add(1.0)
    >>> tp.numpy().tolist(), float(tp[1]), (tp / 4).tolist()
    ([2.0, 3.0], 3.0, [0.5, 0.75])
    """

    __hash__ = object.__hash__  # comparisons are elementwise, as an array's; identity is the hash

    def __init__(self, value: Any, name: str | None = None) -> None:
        self._value = value
        self.name = name

    @property
    def value(self) -> Any:
        """The current array (NumPy or CuPy)."""
        return self._value

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._value.shape)

    @property
    def dtype(self) -> Any:
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return int(self._value.ndim)

    def numpy(self) -> np.ndarray:
        """A NumPy copy of the value."""
        return np.array(backend.to_numpy(self._value))

    def _new(self, value: Any) -> tuple[Any, Any]:
        """(array module, ``value`` as an array of this variable's shape and dtype where the state lives). A
        device array moves the state to the device (the host would otherwise read the device at every batch)."""
        if isinstance(value, Variable):
            value = value._value
        elif isinstance(value, Tensor):
            value = value.data
        on_device = not isinstance(self._value, np.ndarray)
        if not on_device and backend.is_array(value) and not isinstance(value, np.ndarray):
            self._value, on_device = backend.to_device(self._value), True
        xp = backend.xp() if on_device else np
        new = xp.asarray(backend.to_device(value) if on_device and isinstance(value, np.ndarray) else value,
                         dtype=self._value.dtype)
        if new.shape != self._value.shape:
            try:
                new = xp.broadcast_to(new, self._value.shape)
            except ValueError:
                raise ShapeError(f"metric variable {self.name!r} has shape {self.shape}, but was given a value of "
                                 f"shape {tuple(new.shape)}; assign values of its shape (or one number).") from None
        return xp, new

    def assign(self, value: Any) -> None:
        """Replace the value (a number fills every entry)."""
        xp, new = self._new(value)
        self._value = xp.array(new)  # a copy: the caller's array may change later

    def assign_add(self, delta: Any) -> None:
        """Add ``delta`` to the value."""
        xp, delta = self._new(delta)
        self._value = xp.asarray(self._value + delta)  # NumPy makes scalars of 0-d sums: kept an array

    def assign_sub(self, delta: Any) -> None:
        """Subtract ``delta`` from the value."""
        xp, delta = self._new(delta)
        self._value = xp.asarray(self._value - delta)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        host = backend.to_numpy(self._value)
        return host if dtype is None else host.astype(dtype)

    def __float__(self) -> float:
        return float(backend.to_numpy(self._value))

    def __int__(self) -> int:
        return int(backend.to_numpy(self._value))

    def __len__(self) -> int:
        return len(self._value)

    def __getitem__(self, key: Any) -> Any:
        return self._value[key]

    def __format__(self, spec: str) -> str:
        value = self.numpy()
        return format(float(value) if value.size == 1 else value, spec)

    def __repr__(self) -> str:
        return f"<Variable name={self.name} shape={self.shape} dtype={self.dtype} value={self.numpy()!r}>"

    __add__, __radd__, __sub__, __rsub__ = (_operator(n) for n in ("__add__", "__radd__", "__sub__", "__rsub__"))
    __mul__, __rmul__, __truediv__, __rtruediv__ = (
        _operator(n) for n in ("__mul__", "__rmul__", "__truediv__", "__rtruediv__"))
    __floordiv__, __rfloordiv__, __mod__, __pow__, __rpow__ = (
        _operator(n) for n in ("__floordiv__", "__rfloordiv__", "__mod__", "__pow__", "__rpow__"))
    __matmul__, __rmatmul__ = _operator("__matmul__"), _operator("__rmatmul__")
    __lt__, __le__, __gt__, __ge__, __eq__, __ne__ = (
        _operator(n) for n in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"))
    __neg__, __pos__, __abs__ = _operator("__neg__"), _operator("__pos__"), _operator("__abs__")


def _snake_case(name: str) -> str:
    """Keras's default metric name from a class name: ``TruePositives`` → ``true_positives``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _defines(cls: type, method: str) -> type | None:
    """The class below :class:`Metric` in ``cls``'s hierarchy that defines ``method``, else None."""
    for klass in cls.__mro__:
        if klass is Metric:
            return None
        if method in vars(klass):
            return klass
    return None


def _float_dtype(dtype: Any, who: str) -> str:
    if dtype is None:
        return backend.get_default_dtype()
    name = getattr(dtype, "name", dtype)
    try:
        resolved = np.dtype(name)
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind != "f":
        raise ConfigError(f"{who}: dtype must be a float type such as 'float32' or 'float64', got {dtype!r}.")
    return resolved.name


class Metric:
    """A metric: a named function of one batch, or — subclassed, as in Keras — state kept across batches.

    ``Metric(fn, name)`` wraps ``fn(y_true, y_pred) -> float``; fit averages it over each epoch's samples.

    A subclass defines ``update_state(y_true, y_pred, sample_weight=None)`` and ``result()``, keeps its state
    in ``self.add_weight(name=..., shape=..., initializer="zeros")`` variables (or in metrics it holds) and
    calls ``super().__init__(name=..., dtype=...)`` first. ``reset_state()`` zeroes the variables unless the
    subclass defines its own. ``result()`` returns a number (a float, a 0-d array or tensor), an array of
    numbers, or a dict of them (each becomes its own log entry). A metric of your own gets NumPy arrays,
    whatever the backend; ``metric(y_true, y_pred)`` updates it and returns ``result()``, as in Keras.

    >>> Metric(lambda t, p: 1.0, name="one")([0], [0])
    1.0
    >>> class Hits(Metric):
    ...     def __init__(self, name="hits", **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.hits = self.add_weight(name="hits", shape=(), initializer="zeros")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.hits.assign_add(np.sum((np.asarray(y_pred) > 0.5) == (np.asarray(y_true) > 0.5)))
    ...     def result(self):
    ...         return self.hits
    >>> m = Hits(); m.update_state([1, 0], [0.9, 0.7]); m.update_state([0], [0.1]); float(m.result())
    2.0
    """

    stateful = False
    _direction: str | None = None  # "up" or "down": which way is better, for callbacks' mode="auto"

    def __init__(self, fn: Callable[[Any, Any], Any] | None = None, name: str | None = None,
                 host: bool = False, dtype: Any = None, *, per_sample: Callable[[Any, Any], Any] | None = None,
                 elements: Callable[[Any, Any], Any] | None = None, **kwargs: Any) -> None:
        cls = type(self)
        if isinstance(fn, str) and name is None and _defines(cls, "update_state") is not None:
            fn, name = None, fn  # tf.keras 2 took the name first: super().__init__("f1")
        if fn is None and cls is not Metric:
            self._init_stateful(name, dtype, kwargs)
            return
        if fn is None or not callable(fn) or not isinstance(name, str):
            given = "no function" if fn is None else f"fn={fn!r}" if not callable(fn) else f"name={name!r}"
            raise ConfigError(f"{cls.__name__} needs a function and its name, Metric(fn, name='...') with "
                              f"fn(y_true, y_pred) -> float, but got {given}; pass both, or subclass Metric and "
                              "define update_state and result for a metric with state across batches.")
        self.fn = fn
        self.name = name
        self.host = host  # user callables get NumPy arrays, whatever the backend
        # a metric made by a Keras class with settings beyond its name (from_logits, a threshold): what a model
        # file records to make it again, {"class_name": ..., "config": {...}}; None: the name says it all
        self.config: dict[str, Any] | None = None
        # the value for each sample, which sample weights weight (None: fn's own output)
        self.per_sample = per_sample
        # its values before any mean (None: not known), which a mask over a sequence output's steps weights
        self.elements = elements
        self._total = 0.0
        self._count = 0.0

    def _init_stateful(self, name: Any, dtype: Any, kwargs: dict[str, Any]) -> None:
        cls = type(self)
        if kwargs:
            raise ConfigError(f"{cls.__name__}: Metric.__init__ takes name= and dtype=, but got "
                              f"{', '.join(sorted(kwargs))}; keep your own settings in your __init__ and pass only "
                              "name and dtype to super().__init__().")
        missing = [m for m in ("update_state", "result") if _defines(cls, m) is None]
        if missing:
            defined = "neither" if len(missing) == 2 else f"no {missing[0]}()"
            raise ConfigError(f"{cls.__name__}: a Metric subclass needs update_state(y_true, y_pred, "
                              f"sample_weight=None) and result(), but {cls.__name__} defines {defined}; define "
                              "them (reset_state is optional: by default it zeroes the add_weight variables).")
        if name is not None and (not isinstance(name, str) or not name):
            raise ConfigError(f"{cls.__name__}: name must be a non-empty string, got {name!r}.")
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_submetrics", [])
        self.stateful = True
        self.name = name or _snake_case(cls.__name__)
        self._dtype = _float_dtype(dtype, cls.__name__)
        updater = _defines(cls, "update_state")
        # a metric of the user's own gets NumPy arrays, as a function of theirs does; fnlearn's own work on
        # the backend's arrays, so their state stays on the GPU
        self.host = getattr(cls, "_host_inputs", False) or not updater.__module__.startswith("fnlearn.")

    def __setattr__(self, key: str, value: Any) -> None:
        variables = self.__dict__.get("_variables")
        if variables is not None:  # a stateful metric tracks its variables and inner metrics, as Keras does
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(item, Variable) and not any(item is v for v in variables):
                    variables.append(item)
                elif isinstance(item, Metric) and item is not self and item.stateful and \
                        not any(item is m for m in self._submetrics):
                    self._submetrics.append(item)
        object.__setattr__(self, key, value)

    @property
    def dtype(self) -> str:
        """The float type of the metric's variables (Keras's default: the default float type)."""
        return self.__dict__.get("_dtype") or backend.get_default_dtype()

    @property
    def variables(self) -> list[Variable]:
        """The state: this metric's variables, then those of the metrics it holds."""
        if not self.stateful:
            return []
        return [*self._variables, *(v for m in self._submetrics for v in m.variables)]

    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> Variable:
        """A new state variable of ``shape``, filled by ``initializer`` ("zeros", "ones", a number or an
        initializer function of the shape), tracked by ``reset_state`` and ``variables``."""
        if self.__dict__.get("_variables") is None:
            raise ConfigError(f"{type(self).__name__}.add_weight was called before Metric.__init__; call "
                              "super().__init__(name=name, **kwargs) first in __init__.")
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(() if shape is None else shape)
        kind = np.dtype(_float_dtype(dtype, type(self).__name__) if dtype is not None else self.dtype)
        init = "zeros" if initializer is None else initializer
        key = init.lower() if isinstance(init, str) else None
        if key == "zeros":
            value = np.zeros(shape, kind)
        elif key == "ones":
            value = np.ones(shape, kind)
        elif isinstance(init, (int, float)) and not isinstance(init, bool):
            value = np.full(shape, init, kind)
        elif callable(init) and key is None:
            value = np.asarray(backend.to_numpy(_operand(init(shape))), dtype=kind).reshape(shape)
        else:
            raise ConfigError(f"{type(self).__name__}: add_weight initializer must be 'zeros', 'ones', a number or "
                              f"an initializer, got {initializer!r}.")
        variable = Variable(value, name=name)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None, name: str | None = None,
                   **kwargs: Any) -> Variable:
        """The same as :meth:`add_variable` (tf.keras's name; ``add_weight("tp")`` names it, as there)."""
        if isinstance(shape, str):  # tf.keras 2 took the name first
            name, shape = shape, kwargs.pop("shape", ())
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add a batch: a function metric keeps the mean over samples of its values (weighted by
        ``sample_weight``, one weight per sample, when given)."""
        n = _rows(y_pred)
        if sample_weight is None:
            self._total += self(y_true, y_pred) * n
            self._count += n
            return
        if self.host:
            y_true, y_pred = (backend.to_numpy(_array(a, name)) for a, name in ((y_true, "y_true"),
                                                                                 (y_pred, "y_pred")))
        values = _host_floats((self.per_sample or self.fn)(y_true, y_pred), f"metric {self.name!r}'s values")
        weights = _host_floats(sample_weight, "sample_weight")
        if values.ndim == 0:  # one number for the batch: every sample has it
            self._total += float(values) * float(weights.sum())
            self._count += float(weights.sum())
            return
        values, weights = _samplewise(np, values, weights, "mean")
        self._total += float(values.sum())
        self._count += float(weights.sum())

    def result(self) -> Any:
        """The value so far: for a function metric, the mean over the samples given to update_state (0.0
        before any, as Keras's means)."""
        return self._total / self._count if self._count else 0.0

    def reset_state(self) -> None:
        """Start again: zero every variable (and reset the metrics this one holds)."""
        if not self.stateful:
            self._total = self._count = 0.0
            return
        for variable in self._variables:
            variable.assign(0)
        for metric in self._submetrics:
            metric.reset_state()

    def reset_states(self) -> None:
        """The same as :meth:`reset_state` (tf.keras 2's name)."""
        self.reset_state()

    def get_config(self) -> dict[str, Any]:
        """The settings that make this metric again with ``from_config`` (Keras's ``name`` and ``dtype``)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """A metric made from :meth:`get_config`'s settings."""
        return cls(**config)

    def __call__(self, y_true: Any, y_pred: Any = None, *args: Any, **kwargs: Any) -> Any:
        if self.stateful:  # Keras's rule: calling a stateful metric updates it and gives the result so far
            self.update_state(y_true, *(() if y_pred is None else (y_pred,)), *args, **kwargs)
            return self.result()
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
        if self.stateful:
            return f"<{type(self).__name__} name={self.name}>"
        return f"Metric({self.name!r})"


def _host_floats(value: Any, what: str) -> np.ndarray:
    """``value`` (a number, list, array or tensor) as a float64 NumPy array."""
    value = _operand(value)
    if isinstance(value, Tensor):
        value = value.data
    try:
        return np.asarray(backend.to_numpy(value) if not isinstance(value, (list, tuple, float, int)) else value,
                          dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"{what} must be numbers, got {type(value).__name__}.") from None


def _same_rank(a: Any, b: Any, expand_rank_1: bool = True) -> tuple[Any, Any]:
    """Keras's rule for two arrays whose ranks differ by one: the one with a trailing axis of 1 loses it (or a
    1-D other gains one)."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        if b.ndim == 1 and expand_rank_1:
            b = b.reshape(*b.shape, 1)
        else:
            a = a.reshape(a.shape[:-1])
    elif b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        if a.ndim == 1 and expand_rank_1:
            a = a.reshape(*a.shape, 1)
        else:
            b = b.reshape(b.shape[:-1])
    return a, b


def _samplewise(xp: Any, values: Any, weights: Any, reduce: str) -> tuple[Any, Any]:
    """Keras's reduction of metric values to one per sample, weighted: (weighted values, weights per sample)."""
    fn = xp.mean if reduce == "mean" else xp.sum
    if weights is not None:
        values, weights = _same_rank(values, weights)
        if values.ndim > weights.ndim:
            values = fn(values, axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = xp.broadcast_to(weights, values.shape)
        except ValueError:
            raise ShapeError(f"sample_weight has shape {tuple(weights.shape)}, which does not fit values of shape "
                             f"{tuple(values.shape)}; give one weight per sample.") from None
        values = values * weights
        if weights.ndim > 1:
            weights = fn(weights, axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = fn(values, axis=tuple(range(1, values.ndim)))
    return values, weights


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


def _accuracy_values(loss: str | None, table: dict[Callable[..., Any], Callable[[Any, Any], Any]]
                     ) -> Callable[[Any, Any], Any]:
    """The hits of ``"accuracy"`` (the kind the loss and shapes give) in ``table``'s form: per sample
    (:data:`_PER_SAMPLE`) or per value (:data:`_ELEMENTS`)."""
    def hits(y_true: Any, y_pred: Any) -> Any:
        t, p = _arrays(y_true, y_pred)
        return table[_ACCURACY[accuracy_kind(loss, tuple(t.shape), tuple(p.shape))]](t, p)
    return hits


def _loss_metric(name: str) -> Callable[[Any, Any], float]:
    fn = losses.LOSSES[name]

    def value(y_true: Any, y_pred: Any) -> float:
        with no_grad():
            return float(fn(y_true, Tensor(y_pred.data if isinstance(y_pred, Tensor) else y_pred)).item())
    return value


def _loss_per_sample(name: str) -> Callable[[Any, Any], Any]:
    fn = losses.LOSSES[name]

    def values(y_true: Any, y_pred: Any) -> Any:
        with no_grad():
            return fn(y_true, Tensor(y_pred.data if isinstance(y_pred, Tensor) else y_pred), reduction="none").data
    return values


_FUNCTIONS: dict[str, Callable[[Any, Any], float]] = {
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
}


def keras_name(fn: Any) -> str:
    """The name Keras gives a metric passed as a function or callable object (``get_object_name``): its
    ``name`` attribute, else its ``__name__`` (or, for an object, its class name) in snake case.

    >>> def myMetric(y_true, y_pred): return 0.0
    >>> keras_name(myMetric), keras_name(mean_squared_error), keras_name(lambda t, p: 0.0)
    ('my_metric', 'mean_squared_error', 'lambda')
    """
    name = getattr(fn, "name", None)
    if isinstance(name, str) and name:
        return name
    name = getattr(fn, "__name__", None)
    return _snake_case(name if isinstance(name, str) else type(fn).__name__)


def _builtin_loss(fn: Any) -> str | None:
    """The key in ``losses.LOSSES`` of a loss function given as a metric (fnlearn's, or keras.losses' per-sample
    form of it), else None."""
    fn = getattr(fn, "builtin", fn)
    return next((key for key, loss in losses.LOSSES.items() if loss is fn), None)


def get(spec: Any, loss: str | None = None) -> Metric:
    """A :class:`Metric` from a name, a callable or a metric object. ``loss`` (a loss name) lets
    ``"accuracy"`` choose.

    The stateful metrics' names work as in Keras, in either spelling (``"auc"`` or ``"AUC"``,
    ``"true_positives"`` or ``"TruePositives"``); the metric takes the name as written. Unknown names raise
    ConfigError listing the valid ones.

    >>> get("AUC").name, get("recall").thresholds
    ('AUC', [0.5])
    """
    if isinstance(spec, Metric):
        if "_variables" not in vars(spec) and "fn" not in vars(spec):
            raise ConfigError(f"metric {type(spec).__name__} has no name or state: its __init__ does not call "
                              "super().__init__(); call super().__init__(name=name, **kwargs) first in __init__.")
        return spec
    if isinstance(spec, str):
        key = spec.lower()
        if key in ("accuracy", "acc"):
            return Metric(_accuracy(loss), spec, per_sample=_accuracy_values(loss, _PER_SAMPLE),
                          elements=_accuracy_values(loss, _ELEMENTS))
        if key in _FUNCTIONS:
            return Metric(_FUNCTIONS[key], spec, per_sample=_PER_SAMPLE[_FUNCTIONS[key]],
                          elements=_ELEMENTS[_FUNCTIONS[key]])
        if key in _METRIC_NOT_LOSS:  # a metric of Keras's whose loss of the same name is its negative
            return _METRIC_NOT_LOSS[key](name=spec)
        if key in losses.LOSSES:
            return Metric(_loss_metric(key), spec, per_sample=_loss_per_sample(key),
                          elements=_loss_per_sample(key))
        if key in _NEEDS_TARGET:
            cls = _NEEDS_TARGET[key]
            raise ConfigError(f"metric {spec!r} needs its target {cls._setting}, which a name cannot give; pass "
                              f"{cls.__name__}({cls._setting}=0.8) (your value) in metrics instead.")
        if key in _CLASS_NAMES and issubclass(_CLASS_NAMES[key], IoU) and _CLASS_NAMES[key] is not BinaryIoU:
            raise ConfigError(f"metric {spec!r} needs num_classes, which a name cannot give; pass "
                              f"{_CLASS_NAMES[key].__name__}(num_classes=...) (your number of classes) in metrics "
                              "instead.")
        if key in _CLASS_NAMES:
            return _CLASS_NAMES[key](name=spec)
        raise unknown_name("metric", spec, METRIC_NAMES)
    if callable(spec):
        reject_foreign("metric", spec)
        made_by = getattr(spec, "metric_class", None)  # keras.metrics' correlation functions: their class
        if isinstance(made_by, type) and issubclass(made_by, Metric):
            return made_by(name=keras_name(spec))
        if isinstance(spec, type) and issubclass(spec, Metric):
            raise ConfigError(f"metrics take metric objects, but got the class {spec.__name__} itself; make one, "
                              f"e.g. {spec.__name__}().")
        # named as Keras names a function: by its __name__ (keras.metrics.mean_squared_error logs
        # "mean_squared_error", not "mse"), whichever alias it was reached by
        builtin = getattr(spec, "builtin", spec)  # keras.metrics' per-sample functions are their built-in
        if any(fn is builtin for fn in _FUNCTIONS.values()):
            return Metric(builtin, keras_name(spec), per_sample=_PER_SAMPLE[builtin], elements=_ELEMENTS[builtin])
        loss_key = _builtin_loss(spec)
        if loss_key is not None:  # computed as the built-in loss, so a model file names it and not user code
            return Metric(_loss_metric(loss_key), keras_name(spec), per_sample=_loss_per_sample(loss_key),
                          elements=_loss_per_sample(loss_key))
        return Metric(spec, keras_name(spec), host=True)
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


# ----------------------------------------------------------------------------- the metrics of one pass over data


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '…' if len(text) > 40 else text}"


def _log_value(metric: Metric, value: Any) -> Any:
    """A result as a log holds it: a float, or a NumPy array for several values (several thresholds)."""
    raw = value
    value = _operand(value)
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        host = None
    elif isinstance(value, (int, float, np.number)):
        return float(value)
    else:
        try:
            host = np.asarray(backend.to_numpy(value) if not isinstance(value, (list, tuple)) else value)
        except (TypeError, ValueError):
            host = None
    if host is None or host.dtype.kind not in "fiu" or host.size == 0:
        raise ConfigError(f"metric {metric.name!r}: result() returned {_describe(raw)}, but it must return a number "
                          "(a float, a 0-d array or tensor), an array of numbers or a dict of them; return the "
                          "value computed from the metric's state.")
    return float(host.reshape(())) if host.size == 1 else host.astype(np.float64)


def result_logs(metric: Metric, key: str | None = None) -> dict[str, Any]:
    """``metric.result()`` as log entries: ``{key: value}``, or each entry of a dict result.

    >>> m = Precision(); m.update_state([1, 0], [0.9, 0.8]); result_logs(m)
    {'precision': 0.5}
    """
    value = metric.result()
    if isinstance(value, dict):
        return {str(k): _log_value(metric, v) for k, v in value.items()}
    return {key or metric.name: _log_value(metric, value)}


class MetricRun:
    """The compiled metrics over one pass of data: an epoch of ``fit``, a validation run or ``evaluate``.

    ``entries`` are ``(log key, metric, weighted)``. Function metrics are averaged over samples as batches
    come, through :class:`MeanTracker` (one call and one addition per batch: training with ``"accuracy"``
    costs what it did before stateful metrics existed). Stateful metrics are reset when the run starts and
    updated with every batch; ``weighted`` ones (``compile(weighted_metrics=...)``) get the batch's sample
    weights when the run has some (``weighted=True``), and a weighted function metric then becomes the
    weighted mean of its per-sample values. The loss goes into ``tracker`` as ``"loss"``. ``sort_keys``: the
    results sorted by key, as Keras 3 logs a model of several outputs (else the loss, then the compiled order).

    >>> run = MetricRun([("accuracy", get("accuracy", "binary_crossentropy"), False), ("p", Precision(), False)])
    >>> run.update(np.array([[1.0], [0.0]]), np.array([[0.9], [0.8]]), 2)
    >>> run.result()
    {'accuracy': 0.5, 'p': 0.5}
    """

    def __init__(self, entries: Sequence[tuple[str, Metric, bool]], weighted: bool = False,
                 sort_keys: bool = False) -> None:
        self.tracker = MeanTracker()
        self.sort_keys = sort_keys
        self.keys = [key for key, _, _ in entries]
        self.functions = [(key, m) for key, m, w in entries if not m.stateful and not (w and weighted)]
        self.stateful = [(key, m, w and weighted) for key, m, w in entries if m.stateful or (w and weighted)]
        self._by_key = {key: m for key, m, _ in self.stateful}
        for _, metric, _ in self.stateful:
            metric.reset_state()

    def update(self, y: Any, pred: Any, size: int, weights: Any = None, logs: dict[str, Any] | None = None,
               mask: Any = None) -> None:
        """Add one batch of targets and predictions; ``logs`` (when given) receives each function metric's
        value on this batch. ``mask``: the real steps of a sequence output (batch, steps), the only ones a
        built-in function metric counts then, as in Keras."""
        for key, metric in self.functions:
            masked = None if mask is None else _masked_mean(metric, y, pred, mask)
            value, count = masked if masked is not None else (metric(y, pred), size)
            if count:
                self.tracker.add(key, value, count)
            if logs is not None:
                logs[key] = value
        if not self.stateful:
            return
        host: tuple[Any, Any, Any] | None = None
        for _, metric, use_weights in self.stateful:
            args = (y, pred, weights)
            if metric.host:
                if host is None:  # the user's own metrics get NumPy arrays, converted once per batch
                    host_pred = backend.to_numpy(pred)
                    # their own copy: a metric may keep the batches it is given to compute its result from
                    host = (backend.to_numpy(y), host_pred.copy() if host_pred is pred else host_pred,
                            None if weights is None else backend.to_numpy(weights))
                args = host
            if use_weights and args[2] is not None:
                metric.update_state(args[0], args[1], args[2])  # positionally, as Keras calls it
            else:
                metric.update_state(args[0], args[1])

    def stateful_logs(self) -> dict[str, Any]:
        """The stateful metrics' results so far."""
        logs: dict[str, Any] = {}
        for key, metric, _ in self.stateful:
            logs.update(result_logs(metric, key))
        return logs

    def result(self) -> dict[str, Any]:
        """Loss (when tracked) and every metric, in the compiled order (by key with ``sort_keys``)."""
        means = self.tracker.result()
        logs = {"loss": means["loss"]} if "loss" in means else {}
        for key in self.keys:
            metric = self._by_key.get(key)
            if metric is not None:
                logs.update(result_logs(metric, key))
            elif key in means:
                logs[key] = means[key]
        return dict(sorted(logs.items())) if self.sort_keys else logs


def _masked_mean(metric: Metric, y: Any, pred: Any, mask: Any) -> tuple[float, int] | None:
    """(the mean of ``metric``'s values over the real steps, how many there are), or None when the metric has no
    value per step (one of the user's own) or its values do not line up with the mask."""
    if getattr(metric, "elements", None) is None:
        return None
    values = backend.to_numpy(metric.elements(y, pred)).astype(np.float64)
    keep = backend.to_numpy(mask).astype(bool)
    if values.ndim == keep.ndim + 1:  # a value per output unit (mse on vectors): their mean per step
        values = values.mean(axis=-1)
    if values.shape != keep.shape:
        return None
    count = int(keep.sum())
    return (float(values[keep].mean()) if count else 0.0), count


def check_run(entries: Sequence[tuple[str, Metric, bool]], y: Any, pred: Any, weights: Any = None) -> None:
    """Run copies of the stateful metrics on one batch, so that one whose update_state fails or whose
    result() is not a number is reported before fit changes anything; the metrics themselves are untouched.

    >>> class Bad(Metric):
    ...     def update_state(self, y_true, y_pred, sample_weight=None): pass
    ...     def result(self): return None
    >>> check_run([("bad", Bad(), False)], np.ones((2, 1)), np.ones((2, 1)))
    Traceback (most recent call last):
    ...
    fnlearn.errors.ConfigError: metric 'bad': result() returned NoneType None, but it must return a number ...
    """
    import copy  # here: only a fit with stateful metrics needs it, and every import of fnlearn would pay

    for key, metric, weighted in entries:
        if not metric.stateful:
            continue
        try:
            trial = copy.deepcopy(metric)
        except Exception:  # noqa: BLE001  (a metric holding something that cannot be copied is not tried)
            continue
        run = MetricRun([(key, trial, weighted)], weighted=weights is not None)
        run.update(y, pred, _rows(pred), weights)
        run.result()


def saved_form(metric: Metric) -> Any:
    """What a model file records of a compiled metric: its name, or ``{"class_name", "config"}`` for a metric
    with settings; a stateful metric class of the user's own is marked ``"custom": True`` (given back with
    ``custom_objects`` when loading).

    >>> saved_form(get("mae")), saved_form(Precision(thresholds=0.7))["config"]["thresholds"]
    ('mae', 0.7)
    """
    if not metric.stateful:
        if metric.config:
            return metric.config
        # a function of the user's own is given back by the name it is defined under (custom_objects), which
        # its log key, snake-cased as Keras's, may not be
        own = (getattr(metric.fn, "name", None) or getattr(metric.fn, "__name__", None)) if metric.host else None
        return own if isinstance(own, str) else metric.name
    import json  # here: only saving a stateful metric needs it

    cls = type(metric)
    try:
        config = metric.get_config()
        json.dumps(config)
    except Exception:  # noqa: BLE001  (settings that are not plain data: the name is all a file can keep)
        config = {"name": metric.name}
    form: dict[str, Any] = {"class_name": cls.__name__, "config": config}
    if BUILTIN_CLASSES.get(cls.__name__) is not cls:
        form["custom"] = True
    return form


# ----------------------------------------------------------------------------- built-in stateful metrics

NEG_INF = -1e10  # the threshold of top_k: every kept prediction is above it


def _threshold_list(thresholds: Any, default: float, who: str) -> list[float]:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple, np.ndarray)) else [thresholds]
    bad = [t for t in values if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating))
           or not 0 <= t <= 1]
    if bad or not values:
        raise ConfigError(f"{who}: thresholds must be numbers in [0, 1] (one, or a list), got {thresholds!r}.")
    return [float(t) for t in values]


def _evenly_spread(thresholds: Sequence[float]) -> bool:
    """Keras's test for thresholds 0, 1/(n−1), …, 1 (then predictions are clipped into [0, 1] first)."""
    n = len(thresholds)
    return n >= 3 and bool(np.allclose(thresholds, np.arange(n) / (n - 1), atol=backend.epsilon()))


def _positive_int(value: Any, what: str, who: str, low: int = 1) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{who}: {what} must be an integer ≥ {low} (or None), got {value!r}.")
    return int(value)


class _Thresholds:
    """Thresholds sorted for ``searchsorted``, with the way back to the order given."""

    def __init__(self, values: Sequence[float]) -> None:
        self.values = list(values)
        order = np.argsort(values, kind="stable")
        self.sorted = np.asarray(values, dtype=np.float64)[order]
        self.back = np.argsort(order, kind="stable")
        self.in_order = bool((order == np.arange(len(order))).all())
        self._device: tuple[Any, Any] | None = None

    def on(self, xp: Any) -> Any:
        if xp is np:
            return self.sorted
        if self._device is None or self._device[0] is not xp:
            self._device = (xp, backend.to_device(self.sorted))
        return self._device[1]


def _tail_counts(xp: Any, index: Any, weights: Any, n: int) -> tuple[Any, Any]:
    """For each threshold j: the total weight of samples above it (index > j) and of those not (index ≤ j)."""
    buckets = xp.bincount(index, weights=weights, minlength=n + 1)
    heads = xp.cumsum(buckets)
    return heads[-1] - heads[:n], heads[:n]


def _confusion(who: str, y_true: Any, y_pred: Any, thresholds: _Thresholds, sample_weight: Any = None, *,
               evenly: bool = False, top_k: int | None = None, class_id: int | None = None,
               multi_label: bool = False, label_weights: Any = None) -> dict[str, Any]:
    """Weighted counts of true/false positives/negatives at each threshold, a prediction being positive when
    strictly above it and a target when non-zero: Keras's ``update_confusion_matrix_variables``. Counted
    with one sort lookup per prediction (``searchsorted``) and a cumulative sum, whatever the thresholds."""
    xp = backend.xp()
    t, p = _arrays(y_true, y_pred)
    p = p.astype(np.float64)
    t = _like_pred(t, p)
    w = None
    if sample_weight is not None:
        w = _array(sample_weight, "sample_weight").astype(np.float64)
        if w.ndim and w.ndim < p.ndim:
            w = w.reshape(*w.shape, *(1,) * (p.ndim - w.ndim))
        try:
            w = xp.broadcast_to(w, p.shape)
        except ValueError:
            raise ShapeError(f"{who}: sample_weight has shape {tuple(w.shape)}, but y_pred has shape "
                             f"{tuple(p.shape)}; give one weight per sample.") from None
    if top_k is not None:
        keep = xp.argsort(-p, axis=-1, **({"kind": "stable"} if xp is np else {}))[..., :top_k]
        mask = xp.zeros(p.shape, dtype=bool)
        xp.put_along_axis(mask, keep, True, axis=-1)
        p = xp.where(mask, p, NEG_INF)
    if class_id is not None:
        if p.ndim < 2 or class_id >= p.shape[-1]:
            raise ConfigError(f"{who}: class_id={class_id} needs predictions of shape (samples, classes) with more "
                              f"than {class_id} classes, but y_pred has shape {tuple(p.shape)}; pick a class the "
                              "model outputs.")
        t, p = t[..., class_id], p[..., class_id]
        w = None if w is None else w[..., class_id]
    if evenly:
        p = xp.clip(p, 0.0, 1.0)
    positive = t != 0
    if label_weights is not None and not multi_label:
        lw = backend.to_device(np.asarray(label_weights, dtype=np.float64))
        w = xp.broadcast_to(lw, p.shape) if w is None else w * lw
    if multi_label:
        if p.ndim != 2:
            raise ConfigError(f"{who}: multi_label=True needs predictions of shape (samples, labels), got shape "
                              f"{tuple(p.shape)}.")
        columns = [_counts(xp, p[:, j], positive[:, j], None if w is None else w[:, j], thresholds)
                   for j in range(p.shape[1])]
        return {cell: xp.stack([c[cell] for c in columns], axis=1) for cell in ("tp", "fp", "tn", "fn")}
    return _counts(xp, p.reshape(-1), positive.reshape(-1), None if w is None else w.reshape(-1), thresholds)


def _counts(xp: Any, p: Any, positive: Any, w: Any, thresholds: _Thresholds) -> dict[str, Any]:
    n = len(thresholds.values)
    index = xp.searchsorted(thresholds.on(xp), p, side="left")  # how many thresholds lie below p
    index = xp.where(xp.isnan(p), 0, index)  # NaN is above no threshold
    pos = positive.astype(np.float64) if w is None else xp.where(positive, w, 0.0)
    neg = (~positive).astype(np.float64) if w is None else xp.where(positive, 0.0, w)
    tp, fn = _tail_counts(xp, index, pos, n)
    fp, tn = _tail_counts(xp, index, neg, n)
    cells = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    if not thresholds.in_order:
        back = thresholds.back if xp is np else backend.to_device(thresholds.back)
        cells = {k: v[back] for k, v in cells.items()}
    return cells


def _divide_no_nan(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


def _one_or_many(values: np.ndarray) -> Any:
    """A float for one threshold, the array for several (as Keras's results)."""
    return float(values[0]) if values.shape == (1,) else values


class _ConfusionCount(Metric):
    _cell = "tp"

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _threshold_list(thresholds, 0.5, type(self).__name__)
        self._sorted = _Thresholds(self.thresholds)
        self._evenly = _evenly_spread(self.thresholds)
        # float64 sums stay exact counts up to 2**53 samples (float32's stop at 2**24)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), dtype="float64", name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        counts = _confusion(self.name, y_true, y_pred, self._sorted, sample_weight, evenly=self._evenly)
        self.accumulator.assign_add(counts[self._cell])

    def result(self) -> Any:
        return _one_or_many(self.accumulator.numpy())

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionCount):
    """The (weighted) number of positive targets predicted above the threshold (default 0.5; ``thresholds``
    may list several, giving one count each).

    >>> TruePositives()([1, 1, 0], [0.9, 0.4, 0.8])
    1.0
    """

    _cell = "tp"


class FalsePositives(_ConfusionCount):
    """The (weighted) number of negative targets predicted above the threshold.

    >>> FalsePositives()([1, 1, 0], [0.9, 0.4, 0.8])
    1.0
    """

    _cell = "fp"


class TrueNegatives(_ConfusionCount):
    """The (weighted) number of negative targets predicted at or below the threshold.

    >>> TrueNegatives(thresholds=[0.5, 0.85])([1, 1, 0], [0.9, 0.4, 0.8]).tolist()
    [0.0, 1.0]
    """

    _cell = "tn"


class FalseNegatives(_ConfusionCount):
    """The (weighted) number of positive targets predicted at or below the threshold.

    >>> FalseNegatives()([1, 1, 0], [0.9, 0.4, 0.8])
    1.0
    """

    _cell = "fn"


class _PrecisionRecall(Metric):
    _direction = "up"
    _other = "false_positives"

    def __init__(self, thresholds: Any = None, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = _positive_int(top_k, "top_k", who)
        self.class_id = _positive_int(class_id, "class_id", who, low=0)
        self.thresholds = _threshold_list(thresholds, 0.5 if top_k is None else NEG_INF, who)
        self._sorted = _Thresholds(self.thresholds)
        self._evenly = _evenly_spread(self.thresholds)
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=shape, dtype="float64", name="true_positives")
        setattr(self, self._other, self.add_variable(shape=shape, dtype="float64", name=self._other))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        counts = _confusion(self.name, y_true, y_pred, self._sorted, sample_weight, evenly=self._evenly,
                            top_k=self.top_k, class_id=self.class_id)
        self.true_positives.assign_add(counts["tp"])
        getattr(self, self._other).assign_add(counts["fp" if self._other == "false_positives" else "fn"])

    def result(self) -> Any:
        tp = self.true_positives.numpy()
        return _one_or_many(_divide_no_nan(tp, tp + getattr(self, self._other).numpy()))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Of the predictions above the threshold, the share whose target is positive: TP / (TP + FP) over all
    samples given since the last reset (0 when nothing is predicted positive).

    ``thresholds``: one (default 0.5) or a list (the result is then one value per threshold); ``top_k``:
    only each sample's k largest outputs count as predicted positive; ``class_id``: look only at that
    output column. Predictions are probabilities; targets are 0/1 (any non-zero is positive).

    >>> m = Precision(); m.update_state([1, 0, 1, 1], [0.9, 0.6, 0.4, 0.8]); m.result()
    0.6666666666666666
    """

    _other = "false_positives"


class Recall(_PrecisionRecall):
    """Of the positive targets, the share predicted above the threshold: TP / (TP + FN) over all samples
    given since the last reset. Takes the same settings as :class:`Precision`.

    >>> m = Recall(); m.update_state([1, 0, 1, 1], [0.9, 0.6, 0.4, 0.8]); m.result()
    0.6666666666666666
    """

    _other = "false_negatives"


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC curve (``curve="ROC"``, the default) or the precision-recall curve
    (``curve="PR"``), computed as Keras does: true/false positive counts at ``num_thresholds`` evenly
    spaced thresholds (0 − ε, 1/(n−1), …, 1 + ε), accumulated over all batches since the last reset, then a
    Riemann sum. ``summation_method="interpolation"`` takes the trapezoid for ROC and Davis & Goadrich's
    interpolation for PR; ``"minoring"`` / ``"majoring"`` take the lower / upper rectangles.

    Also as in Keras: ``thresholds`` (a list in [0, 1]) replaces the evenly spaced ones, ``from_logits``
    applies a sigmoid to the predictions first, ``multi_label=True`` computes one AUC per output column
    and averages them (weighted by ``label_weights`` when given; without ``multi_label``, ``label_weights``
    weight each column's samples). With 200 thresholds it differs from the exact area (scikit-learn's
    ``roc_auc_score``) by about 1/200 at most; more thresholds come closer.

    >>> m = AUC(); m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); round(m.result(), 4)
    0.75
    """

    _direction = "up"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str | None = None, dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None, from_logits: bool = False) -> None:
        super().__init__(name=name, dtype=dtype)
        if not isinstance(curve, str) or curve.lower() not in _CURVES:
            raise ConfigError(f"AUC: curve must be 'ROC', 'PR' or 'PRGAIN', got {curve!r}.")
        if not isinstance(summation_method, str) or summation_method.lower() not in _SUMMATIONS:
            raise ConfigError(f"AUC: summation_method must be 'interpolation', 'majoring' or 'minoring', got "
                              f"{summation_method!r}.")
        for flag, value in (("multi_label", multi_label), ("from_logits", from_logits)):
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f"AUC: {flag} must be True or False, got {value!r}.")
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_threshold_list(thresholds, 0.5, "AUC"))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_spread([0.0, *inner, 1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                    or num_thresholds <= 1:
                raise ConfigError(f"AUC: num_thresholds must be an integer > 1, got {num_thresholds!r}.")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
            self._evenly = True
        # the end thresholds lie ε outside [0, 1], ε as it is when the metric is made (as Keras's)
        self._thresholds = [0.0 - backend.epsilon(), *inner, 1.0 + backend.epsilon()]
        self._sorted = _Thresholds(self._thresholds)
        self.curve = _CURVES[curve.lower()]
        self.summation_method = summation_method.lower()
        self.multi_label = bool(multi_label)
        if num_labels is not None and not self.multi_label:
            raise ConfigError("AUC: num_labels is for multi_label=True; leave it out, or set multi_label=True.")
        self.num_labels = _positive_int(num_labels, "num_labels", "AUC")
        self.label_weights = None if label_weights is None else [float(v) for v in np.ravel(label_weights)]
        self._from_logits = bool(from_logits)
        self._built = False
        if not self.multi_label or self.num_labels:
            self._build(self.num_labels)

    @property
    def thresholds(self) -> list[float]:
        """The thresholds the counts are taken at, the two just outside [0, 1] included."""
        return list(self._thresholds)

    def _build(self, labels: int | None) -> None:
        shape = (self.num_thresholds, labels) if self.multi_label else (self.num_thresholds,)
        for cell in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, cell, self.add_variable(shape=shape, dtype="float64", name=cell))
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if self._from_logits:
            p = _array(y_pred, "y_pred")
            with np.errstate(over="ignore"):  # exp overflows to inf for very negative logits: the sigmoid is 0
                y_pred = 1.0 / (1.0 + backend.xp().exp(-p.astype(np.float64)))
        if not self._built:
            shape = tuple(getattr(y_pred, "shape", np.shape(y_pred)))
            if len(shape) != 2:
                raise ConfigError(f"AUC: multi_label=True needs predictions of shape (samples, labels), got shape "
                                  f"{shape}.")
            self._build(shape[1])
        counts = _confusion(self.name, y_true, y_pred, self._sorted, sample_weight, evenly=self._evenly,
                            multi_label=self.multi_label, label_weights=self.label_weights)
        for cell, key in (("true_positives", "tp"), ("false_positives", "fp"), ("true_negatives", "tn"),
                          ("false_negatives", "fn")):
            getattr(self, cell).assign_add(counts[key])

    def _by_label(self, per_threshold: np.ndarray) -> float:
        if not self.multi_label:
            return float(per_threshold.sum())
        by_label = per_threshold.sum(axis=0)
        if self.label_weights is None:
            return float(by_label.mean())
        weights = np.asarray(self.label_weights)
        return float(_divide_no_nan((by_label * weights).sum(), weights.sum()))

    def result(self) -> float:
        if not self._built:
            return 0.0
        tp, fp = self.true_positives.numpy(), self.false_positives.numpy()
        tn, fn = self.true_negatives.numpy(), self.false_negatives.numpy()
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr(tp, fp, fn)
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # precision-recall gain (Flach & Kull); undefined corners set as Keras sets them
            scale = _divide_no_nan(tp + fn, tn + fp)
            x = np.maximum(np.where(tp == 0, 0.0, 1.0 - scale * _divide_no_nan(fn, tp)), 0.0)
            y = np.where(tp == 0, 1.0, 1.0 - scale * _divide_no_nan(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._by_label((x[:-1] - x[1:]) * heights)

    def _interpolated_pr(self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> float:
        """Davis & Goadrich's interpolation: TP and TP + FP vary linearly between thresholds, precision does
        not (Keras's ``interpolate_pr_auc``)."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        return self._by_label(_divide_no_nan(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)))

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels, "label_weights": self.label_weights,
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config


_AVERAGES = ("micro", "macro", "weighted")


def _real_number(value: Any) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating)) \
        and math.isfinite(value)


class FBetaScore(Metric):
    """The F-beta score, ``(1 + β²)·P·R / (β²·P + R)``, of precision P and recall R over all samples since the
    last reset: β > 1 weighs recall more, β < 1 precision. For one-hot or multi-label targets of shape
    (samples, classes) and scores of the same shape (integer labels are one-hot encoded first).

    ``threshold=None`` predicts each row's largest score (every tied one; a row of zeros predicts nothing);
    a number in (0, 1] predicts every score above it. ``average=None`` gives one score per class (an
    array); ``"micro"`` counts every cell of every class together; ``"macro"`` is the mean of the classes'
    scores; ``"weighted"`` their mean weighted by each class's (weighted) number of positive targets.
    As Keras's, P, R and the score add ε = 1e-7 to their denominators, so an empty class scores 0; and a
    single sigmoid output needs ``threshold=0.5`` (its row maximum is always itself).

    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m.result().round(4).tolist()
    [0.3846, 0.9091, 0.8333]
    """

    _direction = "up"

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None,
                 name: str = "fbeta_score", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        if average is not None and not (isinstance(average, str) and average in _AVERAGES):
            raise ConfigError(f"{who}: average must be None (one score per class), 'micro', 'macro' or 'weighted', "
                              f"got {average!r}.")
        if not _real_number(beta) or beta <= 0:
            raise ConfigError(f"{who}: beta must be a number > 0 (1 weighs precision and recall equally), got "
                              f"{beta!r}.")
        if threshold is not None and (not _real_number(threshold) or not 0 < threshold <= 1):
            raise ConfigError(f"{who}: threshold must be a number in (0, 1], or None for each row's largest score, "
                              f"got {threshold!r}.")
        self.average = average
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self._classes: int | None = None

    def _build(self, classes: int) -> None:
        # micro-averaging pools every class's cells, so it keeps one number of each
        shape = () if self.average == "micro" else (classes,)
        for cell in ("true_positives", "false_positives", "false_negatives", "intermediate_weights"):
            setattr(self, cell, self.add_variable(shape=shape, dtype="float64", name=cell))
        self._classes = classes

    def _predicted(self, xp: Any, p: Any) -> Any:
        # Keras thresholds the scores in the metric's float type: float64 scores that round to a tie tie here too
        scores = p.astype(self.dtype)
        if self.threshold is None:
            # a row of zeros would otherwise predict every class
            return (scores >= scores.max(axis=-1, keepdims=True)) & (xp.abs(scores) > 1e-9)
        return scores > xp.asarray(self.threshold, dtype=scores.dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        xp = backend.xp()
        who = type(self).__name__
        t, p = _arrays(y_true, y_pred)
        if p.ndim != 2:
            raise ShapeError(f"{who} needs y_pred of shape (samples, classes), got shape {tuple(p.shape)}; give one "
                             "score per class for each sample.")
        t = _like_pred(t, p).astype(np.float64)
        if self._classes is None:
            self._build(int(p.shape[1]))
        elif p.shape[1] != self._classes:
            raise ShapeError(f"{who} counted {self._classes} classes so far, but y_pred now has {p.shape[1]}; "
                             "give every batch the same classes, or make a new metric.")
        predicted = self._predicted(xp, p).astype(np.float64)
        if sample_weight is not None:
            w = _array(sample_weight, "sample_weight").astype(np.float64)
            if w.size == 1:
                w = w.reshape(())
            elif w.shape in ((p.shape[0],), (p.shape[0], 1)):
                w = w.reshape(p.shape[0], 1)
            else:
                raise ShapeError(f"{who}: sample_weight has shape {tuple(w.shape)}, but y_pred has shape "
                                 f"{tuple(p.shape)}; give one weight per sample.")
            t_w, predicted_w = t * w, predicted * w
        else:
            t_w, predicted_w = t, predicted
        axis = None if self.average == "micro" else 0
        self.true_positives.assign_add((predicted_w * t).sum(axis=axis))
        self.false_positives.assign_add((predicted_w * (1.0 - t)).sum(axis=axis))
        self.false_negatives.assign_add((t_w * (1.0 - predicted)).sum(axis=axis))
        self.intermediate_weights.assign_add(t_w.sum(axis=axis))

    def result(self) -> Any:
        if self._classes is None:
            return 0.0  # nothing seen yet
        tp, fp = self.true_positives.numpy(), self.false_positives.numpy()
        fn, support = self.false_negatives.numpy(), self.intermediate_weights.numpy()
        eps = backend.epsilon()
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = self.beta ** 2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + eps)
        if self.average == "weighted":
            return float((score * support / (support.sum() + eps)).sum())
        if self.average is not None:
            return float(score.mean())
        return score

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F1 score, ``2·P·R / (P + R)``: :class:`FBetaScore` with β = 1, with the same ``average`` and
    ``threshold`` settings.

    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> m.result().round(4).tolist()
    [0.5, 0.8, 0.6667]
    >>> round(F1Score(average="micro")([[0, 1], [1, 0], [1, 0]], [[0.3, 0.7], [0.6, 0.4], [0.2, 0.8]]), 4)
    0.6667
    """

    def __init__(self, average: str | None = None, threshold: float | None = None, name: str = "f1_score",
                 dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]  # always 1: from_config could not take it
        return config


class _RateAtRate(Metric):
    """The best value of one rate among the thresholds where another reaches a target: Keras's
    ``SensitivitySpecificityBase``. Counts are taken at ``num_thresholds`` thresholds 0, 1/(n−1), …, 1 (0.5
    alone for n = 1), a prediction being positive when strictly above one."""

    _direction = "up"
    _setting = "recall"  # the argument that names the target of the constrained rate

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        who = type(self).__name__
        if not _real_number(value) or not 0 <= value <= 1:
            raise ConfigError(f"{who}: {self._setting} must be a number in [0, 1], got {value!r}.")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) or num_thresholds < 1:
            raise ConfigError(f"{who}: num_thresholds must be an integer ≥ 1, got {num_thresholds!r}.")
        setattr(self, self._setting, float(value))
        self.value = float(value)
        self.num_thresholds = int(num_thresholds)
        self.class_id = _positive_int(class_id, "class_id", who, low=0)
        if self.num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) / (self.num_thresholds - 1) for i in range(self.num_thresholds - 2)]
            self.thresholds = [0.0, *inner, 1.0]
        self._evenly = self.num_thresholds > 1
        self._sorted = _Thresholds(self.thresholds)
        for cell in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, cell, self.add_variable(shape=(len(self.thresholds),), dtype="float64", name=cell))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        counts = _confusion(self.name, y_true, y_pred, self._sorted, sample_weight, evenly=self._evenly,
                            class_id=self.class_id)
        for cell, key in (("true_positives", "tp"), ("false_positives", "fp"), ("true_negatives", "tn"),
                          ("false_negatives", "fn")):
            getattr(self, cell).assign_add(counts[key])

    def _rates(self) -> dict[str, np.ndarray]:
        tp, fp = self.true_positives.numpy(), self.false_positives.numpy()
        tn, fn = self.true_negatives.numpy(), self.false_negatives.numpy()
        recall = _divide_no_nan(tp, tp + fn)
        return {"recall": recall, "sensitivity": recall, "precision": _divide_no_nan(tp, tp + fp),
                "specificity": _divide_no_nan(tn, tn + fp)}

    def _best(self, wanted: str) -> float:
        """The largest ``wanted`` rate among the thresholds where the constrained rate is ≥ the target (0 when
        there is none)."""
        rates = self._rates()
        feasible = rates[self._setting] >= self.value
        return float(np.max(np.where(feasible, rates[wanted], 0.0), initial=0.0))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self._setting: self.value}


class PrecisionAtRecall(_RateAtRate):
    """The best precision at a threshold whose recall is at least ``recall`` (0 when no threshold reaches it),
    over all samples since the last reset. ``num_thresholds`` evenly spaced thresholds in [0, 1] are tried;
    ``class_id`` looks only at that output column. Predictions are probabilities; targets are 0/1.

    >>> m = PrecisionAtRecall(0.5); m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); m.result()
    0.5
    """

    _setting = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        return self._best("precision")


class RecallAtPrecision(_RateAtRate):
    """The best recall at a threshold whose precision is at least ``precision`` (0 when no threshold reaches
    it). Takes the same settings as :class:`PrecisionAtRecall`.

    >>> m = RecallAtPrecision(0.8); m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); m.result()
    0.5
    """

    _setting = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        return self._best("recall")


class SensitivityAtSpecificity(_RateAtRate):
    """The best sensitivity (recall, TP / (TP + FN)) at a threshold whose specificity (TN / (TN + FP)) is at
    least ``specificity``. Takes the same settings as :class:`PrecisionAtRecall`.

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], sample_weight=[1, 1, 2, 2, 1])
    >>> round(m.result(), 6)
    0.333333
    """

    _setting = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        return self._best("sensitivity")


class SpecificityAtSensitivity(_RateAtRate):
    """The best specificity (TN / (TN + FP)) at a threshold whose sensitivity (recall) is at least
    ``sensitivity``. Takes the same settings as :class:`PrecisionAtRecall`.

    >>> m = SpecificityAtSensitivity(0.5); m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(m.result(), 6)
    0.666667
    """

    _setting = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        return self._best("specificity")


class Sum(Metric):
    """The (weighted) sum of the values given to ``update_state(values, sample_weight=None)``.

    >>> m = Sum(); m.update_state([1, 3, 5]); m.update_state(2.0); m.result()
    11.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), dtype="float64", name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        v = _array(values, "values").astype(np.float64)
        w = None if sample_weight is None else _array(sample_weight, "sample_weight").astype(np.float64)
        v, _ = _samplewise(backend.xp(), v, w, "sum")
        self.total.assign_add(v.sum())

    def result(self) -> float:
        return float(self.total)


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight=None)``, over all
    calls since the last reset: values of several axes are first averaged to one per sample. Subclass it
    and call ``super().update_state(values, sample_weight)`` for a mean of your own per-sample values.

    >>> m = Mean(); m.update_state([1, 3, 5, 7]); m.update_state([2.0], sample_weight=[4.0]); m.result()
    3.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), dtype="float64", name="total")
        self.count = self.add_variable(shape=(), dtype="float64", name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        v = _array(values, "values").astype(np.float64)
        w = None if sample_weight is None else _array(sample_weight, "sample_weight").astype(np.float64)
        v, w = _samplewise(backend.xp(), v, w, "mean")
        self.total.assign_add(v.sum())
        self.count.assign_add(w.sum() if w is not None else (v.shape[0] if v.ndim else 1))

    def result(self) -> float:
        count = float(self.count)
        return float(self.total) / count if count else 0.0


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred, **kwargs)``, a function giving one value per sample (or
    one per batch), weighted by ``sample_weight``. ``fn`` gets NumPy arrays.

    >>> m = MeanMetricWrapper(lambda t, p: np.abs(t - p), name="error")
    >>> m.update_state(np.array([1.0, 2.0]), np.array([1.5, 2.0]), sample_weight=[1.0, 3.0]); m.result()
    0.125
    """

    _host_inputs = True  # fn is the user's, written for NumPy arrays

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        if not callable(fn):
            raise ConfigError(f"MeanMetricWrapper needs a function fn(y_true, y_pred), got {fn!r}.")
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(_operand(values.data if isinstance(values, Tensor) else values), sample_weight)


class RootMeanSquaredError(Mean):
    """√(mean of (y − ŷ)²) over all samples since the last reset (each sample's squared errors averaged
    first), weighted by ``sample_weight``.

    >>> m = RootMeanSquaredError(); m.update_state([1.0, 2.0], [1.0, 4.0]); m.result()
    1.4142135623730951
    """

    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t, p = _arrays(y_true, y_pred)
        d = p.astype(np.float64) - _like_pred(t, p).astype(np.float64)
        super().update_state(d * d, sample_weight)

    def result(self) -> float:
        return math.sqrt(super().result())


class _MeanOfValues(Mean):
    """Keras's ``MeanMetricWrapper`` of one of its built-in functions: the (weighted) mean over every sample
    since the last reset of :meth:`values`, each sample's values averaged first."""

    def values(self, y_true: Any, y_pred: Any) -> Any:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(self.values(y_true, y_pred), sample_weight)


class Accuracy(_MeanOfValues):
    """How often the prediction equals the target exactly (Keras's ``Accuracy``: for class ids or rounded
    outputs, not probabilities; ``"accuracy"`` in ``compile`` picks a kind of accuracy by the loss instead).

    >>> m = Accuracy(); m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]]); m.result()
    0.75
    """

    _direction = "up"

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def values(self, y_true: Any, y_pred: Any) -> Any:
        t, p = _same_rank(*_arrays(y_true, y_pred))
        # Keras compares the targets cast to the predictions' type (a float target 1.5 equals an int 1)
        return (t.astype(p.dtype, copy=False) == p).astype(np.float64)


def _l2_normalized(xp: Any, x: Any, axis: int) -> Any:
    """x / max(‖x‖, ε) along ``axis`` (ε the fuzz factor), Keras's ``normalize``."""
    squares, eps = xp.sum(x * x, axis=axis, keepdims=True), backend.epsilon()
    return x / xp.sqrt(xp.maximum(squares, eps * eps))


class CosineSimilarity(_MeanOfValues):
    """Mean cosine of the angle between target and prediction along ``axis`` (1: same direction, 0: at right
    angles, −1: opposite), Keras's metric (the loss of that name is its negative).

    >>> m = CosineSimilarity(); m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]); round(m.result(), 6)
    0.5
    """

    _direction = "up"

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1) -> None:
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ConfigError(f"CosineSimilarity(axis={axis!r}): axis must be an integer axis of y_pred (-1, the "
                              "last, is Keras's default).")
        super().__init__(name=name, dtype=dtype)
        self.axis = int(axis)

    def values(self, y_true: Any, y_pred: Any) -> Any:
        t, p = _same_rank(*_arrays(y_true, y_pred))
        if t.shape != p.shape:
            raise ShapeError(f"{type(self).__name__}: y_true has shape {tuple(t.shape)} but y_pred has shape "
                             f"{tuple(p.shape)}; they must match (one target per output).")
        if not -p.ndim <= self.axis < p.ndim:
            raise ConfigError(f"{type(self).__name__}(axis={self.axis}): y_pred has {p.ndim} axes, so axis must "
                              f"be in -{p.ndim}..{p.ndim - 1}.")
        xp = backend.xp()
        t, p = t.astype(np.float64), p.astype(np.float64)
        return xp.sum(_l2_normalized(xp, t, self.axis) * _l2_normalized(xp, p, self.axis), axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class _LossMean(_MeanOfValues):
    """The mean of a built-in loss's per-sample values (``loss``: its key in ``losses.LOSSES``)."""

    loss = ""
    _direction = "down"

    def values(self, y_true: Any, y_pred: Any) -> Any:
        t, p = _arrays(y_true, y_pred)
        with no_grad():
            return losses.LOSSES[self.loss](t, Tensor(p), reduction="none").data


class KLDivergence(_LossMean):
    """Mean Kullback–Leibler divergence Σ y·log(y / ŷ) per sample (both clipped into [ε, 1]), Keras's metric.

    >>> m = KLDivergence(); m.update_state([[0.5, 0.5]], [[0.25, 0.75]]); round(m.result(), 6)
    0.143841
    """

    loss = "kl_divergence"

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class Poisson(_LossMean):
    """Mean Poisson loss ŷ − y·log(ŷ + ε), Keras's metric.

    >>> m = Poisson(); m.update_state([[2.0]], [[1.0]]); round(m.result(), 6)
    1.0
    """

    loss = "poisson"

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class Hinge(_LossMean):
    """Mean hinge loss max(1 − y·ŷ, 0) (0/1 labels read as −1/+1), Keras's metric.

    >>> m = Hinge(); m.update_state([[1.0], [0.0]], [[0.5], [0.5]]); m.result()
    1.0
    """

    loss = "hinge"

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_LossMean):
    """Mean squared hinge loss max(1 − y·ŷ, 0)², Keras's metric.

    >>> m = SquaredHinge(); m.update_state([[1.0], [0.0]], [[0.5], [0.5]]); m.result()
    1.25
    """

    loss = "squared_hinge"

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_LossMean):
    """Mean categorical hinge loss, for one-hot targets, Keras's metric.

    >>> m = CategoricalHinge(); m.update_state([[0.0, 1.0]], [[0.5, 0.25]]); m.result()
    1.25
    """

    loss = "categorical_hinge"

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class LogCoshError(_LossMean):
    """Mean log(cosh(ŷ − y)), Keras's metric (logged as ``logcosh``, Keras's name).

    >>> m = LogCoshError(); m.update_state([[0.0]], [[1.0]]); round(m.result(), 6)
    0.433781
    """

    loss = "log_cosh"

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_LossMean):
    """Mean of 100·|y − ŷ| / max(|y|, ε), Keras's metric.

    >>> m = MeanAbsolutePercentageError(); m.update_state([[2.0], [4.0]], [[1.0], [5.0]]); m.result()
    37.5
    """

    loss = "mape"

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMean):
    """Mean of (log(ŷ + 1) − log(y + 1))², Keras's metric.

    >>> m = MeanSquaredLogarithmicError(); m.update_state([[0.0]], [[0.0]]); m.result()
    0.0
    """

    loss = "msle"

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


def _correlation_inputs(y_true: Any, y_pred: Any, axis: int, who: str) -> tuple[Any, Any]:
    t, p = _same_rank(*_arrays(y_true, y_pred))
    if t.shape != p.shape:
        raise ShapeError(f"{who}: y_true has shape {tuple(t.shape)} but y_pred has shape {tuple(p.shape)}; they "
                         "must match (one target per output).")
    if not -max(p.ndim, 1) <= axis < max(p.ndim, 1):
        raise ConfigError(f"{who}(axis={axis}): y_pred has {p.ndim} axes, so axis must be in "
                          f"-{p.ndim}..{p.ndim - 1}.")
    return t.astype(np.float64), p.astype(np.float64)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Pearson's correlation of target and prediction along ``axis`` (one value per sample for the last axis),
    Keras's ``pearson_correlation``: the mean of the product of the standardised values.

    >>> [round(float(v), 6) for v in pearson_correlation([[0, 1, 0.5]], [[0.1, 0.9, 0.5]])]
    [1.0]
    """
    xp = backend.xp()
    t, p = _correlation_inputs(y_true, y_pred, axis, "pearson_correlation")
    t = t - xp.mean(t, axis=axis, keepdims=True)
    p = p - xp.mean(p, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant row gives NaN, as Keras's
        t = t / xp.std(t, axis=axis, keepdims=True)
        p = p / xp.std(p, axis=axis, keepdims=True)
    return xp.mean(t * p, axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Lin's concordance correlation along ``axis``, Keras's ``concordance_correlation`` formula (which centres
    the target on the prediction's mean in the covariance term, as Keras 3 writes it).

    >>> [round(float(v), 4) for v in concordance_correlation([[0, 1, 0.5]], [[0.1, 0.9, 0.5]])]
    [0.9756]
    """
    xp = backend.xp()
    t, p = _correlation_inputs(y_true, y_pred, axis, "concordance_correlation")
    t_mean = xp.mean(t, axis=axis, keepdims=True)
    p_mean = xp.mean(p, axis=axis, keepdims=True)
    norm = xp.var(t - t_mean, axis=axis, keepdims=True) + xp.var(p - p_mean, axis=axis, keepdims=True) \
        + (t_mean - p_mean) ** 2
    return xp.mean(2 * (t - p_mean) * (p - p_mean) / (norm + backend.epsilon()), axis=axis)


class _Correlation(_MeanOfValues):
    """The mean over samples of a correlation along ``axis``."""

    _direction = "up"
    _fn: Callable[..., Any] = staticmethod(pearson_correlation)

    def __init__(self, name: str, dtype: Any = None, axis: int = -1) -> None:
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ConfigError(f"{type(self).__name__}(axis={axis!r}): axis must be an integer axis of y_pred (-1, "
                              "the last, is Keras's default).")
        super().__init__(name=name, dtype=dtype)
        self.axis = int(axis)

    def values(self, y_true: Any, y_pred: Any) -> Any:
        return type(self)._fn(y_true, y_pred, axis=self.axis)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis}


class PearsonCorrelation(_Correlation):
    """Mean Pearson correlation of each sample's outputs with its targets, Keras's metric.

    >>> m = PearsonCorrelation(); m.update_state([[0, 1, 0.5]], [[0.1, 0.9, 0.5]]); round(m.result(), 6)
    1.0
    """

    _fn = staticmethod(pearson_correlation)

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(_Correlation):
    """Mean concordance correlation of each sample's outputs with its targets, Keras's metric.

    >>> m = ConcordanceCorrelation(); m.update_state([[0, 1, 0.5]], [[0.1, 0.9, 0.5]]); round(m.result(), 4)
    0.9756
    """

    _fn = staticmethod(concordance_correlation)

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype, axis=axis)


def _class_ids(value: Any, num_classes: int, who: str) -> list[int]:
    ids = list(value) if isinstance(value, (list, tuple, np.ndarray)) else None
    if not ids or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) and 0 <= i < num_classes
                          for i in ids):
        raise ConfigError(f"{who}(target_class_ids={value!r}): target_class_ids must be a non-empty list of class "
                          f"ids in 0..{num_classes - 1}; pass e.g. [0, 1].")
    return [int(i) for i in ids]


class IoU(Metric):
    """Intersection over union of predicted and true classes, from a confusion matrix kept over every batch
    since the last reset (Keras's ``IoU``): TP / (TP + FP + FN) per class, averaged over ``target_class_ids``
    that occur. Labels and predictions are class ids (``sparse_y_true`` / ``sparse_y_pred``), or scores whose
    argmax along ``axis`` is taken; ids outside 0..num_classes − 1 and ``ignore_class`` count for nothing. As in
    Keras, whose IoU counts in integers unless given a float ``dtype``, sample weights are then cut to whole
    numbers.

    >>> m = IoU(num_classes=2, target_class_ids=[0]); m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(m.result(), 4)
    0.3333
    """

    _direction = "up"

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        who = type(self).__name__
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ConfigError(f"{who}(num_classes={num_classes!r}): num_classes must be a whole number ≥ 1 (2 for "
                              "a yes/no task).")
        for setting, value in (("sparse_y_true", sparse_y_true), ("sparse_y_pred", sparse_y_pred)):
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f"{who}({setting}={value!r}): {setting} must be True (class ids) or False (scores "
                                  "whose argmax is taken).")
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ConfigError(f"{who}(axis={axis!r}): axis must be an integer axis (-1, the last, is Keras's "
                              "default).")
        super().__init__(name=name, dtype=dtype)
        self.num_classes = int(num_classes)
        self.target_class_ids = _class_ids(target_class_ids, self.num_classes, who)
        self.ignore_class = losses.check_ignore_class(ignore_class, who)
        self.sparse_y_true, self.sparse_y_pred, self.axis = bool(sparse_y_true), bool(sparse_y_pred), int(axis)
        # Keras's IoU counts in its dtype, "int" unless given: sample weights are then truncated to whole numbers
        self._whole_weights = dtype is None
        self.total_cm = self.add_variable(shape=(self.num_classes, self.num_classes), dtype="float64",
                                          name="total_confusion_matrix")

    def _predicted_ids(self, y_pred: Any) -> Any:
        xp = backend.xp()
        return y_pred if self.sparse_y_pred else xp.argmax(y_pred, axis=self.axis)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        xp = backend.xp()
        t, p = _arrays(y_true, y_pred)
        t = t if self.sparse_y_true else xp.argmax(t, axis=self.axis)
        p = self._predicted_ids(p)
        # class ids as Keras's metric takes them (its default dtype is int: 1.7 is class 1)
        t, p = t.reshape(-1).astype(np.int64), p.reshape(-1).astype(np.int64)
        if t.size != p.size:
            raise ShapeError(f"{type(self).__name__}: {t.size} labels for {p.size} predictions; give one class id "
                             "(or one row of scores) per prediction.")
        w = xp.ones(t.shape) if sample_weight is None else xp.broadcast_to(
            _array(sample_weight, "sample_weight").reshape(-1).astype(np.float64), t.shape)
        if self._whole_weights:
            w = xp.trunc(w)
        keep = (t >= 0) & (t < self.num_classes) & (p >= 0) & (p < self.num_classes)
        if self.ignore_class is not None:
            keep &= t != self.ignore_class
        n = self.num_classes
        cm = xp.bincount((t * n + p)[keep], weights=w[keep], minlength=n * n)
        self.total_cm.assign_add(cm.reshape(n, n))

    def result(self) -> float:
        cm = np.asarray(self.total_cm.numpy(), dtype=np.float64)
        tp = np.diag(cm)
        denominator = (cm.sum(axis=0) + cm.sum(axis=1) - tp)[self.target_class_ids]
        tp = tp[self.target_class_ids]
        valid = denominator > 1e-9  # a class absent from targets and predictions is left out of the mean
        iou = np.where(valid, tp / (denominator + backend.epsilon()), 0.0)
        return float(iou.sum() / (valid.sum() + backend.epsilon()))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a yes/no task: predictions ≥ ``threshold`` are class 1, the others class 0.

    >>> m = BinaryIoU(target_class_ids=[1]); m.update_state([0, 1, 1], [0.2, 0.7, 0.3]); round(m.result(), 4)
    0.5
    """

    def __init__(self, target_class_ids: Any = (0, 1), threshold: float = 0.5, name: str | None = None,
                 dtype: Any = None) -> None:
        if not _real_number(threshold):
            raise ConfigError(f"BinaryIoU(threshold={threshold!r}): threshold must be a number (0.5 is Keras's "
                              "default).")
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = float(threshold)

    def _predicted_ids(self, y_pred: Any) -> Any:
        return y_pred.astype(np.float32) >= self.threshold

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "target_class_ids": self.target_class_ids,
                "threshold": self.threshold}


class MeanIoU(IoU):
    """IoU averaged over every class (that occurs).

    >>> m = MeanIoU(num_classes=2); m.update_state([0, 0, 1, 1], [0, 1, 0, 1]); round(m.result(), 4)
    0.3333
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True, axis: int = -1) -> None:
        n = num_classes if isinstance(num_classes, (int, np.integer)) and not isinstance(num_classes, bool) else 0
        super().__init__(num_classes=num_classes, target_class_ids=list(range(max(int(n), 1))), name=name,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """IoU for one-hot targets and scores (the argmax of each is its class).

    >>> m = OneHotIoU(num_classes=2, target_class_ids=[1]); m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    >>> round(m.result(), 4)
    0.5
    """

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """Mean IoU over every class for one-hot targets and scores.

    >>> m = OneHotMeanIoU(num_classes=2); m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    >>> round(m.result(), 4)
    0.25
    """

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


_R2_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination R² = 1 − Σ w(y − ŷ)² / Σ w(y − ȳ)² per output over every sample since the
    last reset, Keras's ``R2Score``: 2-D inputs (samples, outputs); ``class_aggregation`` averages the outputs'
    scores (``"uniform_average"``), weights them by their targets' variance (``"variance_weighted_average"``) or
    keeps them all (None); ``num_regressors`` = p > 0 adjusts it, 1 − (1 − R²)(n − 1)/(n − p − 1), n being the
    number of target values (Keras counts every entry).

    >>> m = R2Score(); m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]]); m.result()
    0.5
    """

    _direction = "up"

    def __init__(self, class_aggregation: str | None = "uniform_average", num_regressors: int = 0,
                 name: str = "r2_score", dtype: Any = None) -> None:
        if class_aggregation not in _R2_AGGREGATIONS:
            raise ConfigError(f"R2Score(class_aggregation={class_aggregation!r}): class_aggregation must be one of "
                              "'uniform_average', 'variance_weighted_average' or None.")
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, (int, np.integer)) or num_regressors < 0:
            raise ConfigError(f"R2Score(num_regressors={num_regressors!r}): num_regressors must be a whole number "
                              ">= 0 (the number of independent variables, for the adjusted R²; 0 for plain R²).")
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation = class_aggregation
        self.num_regressors = int(num_regressors)
        self.num_samples = self.add_variable(shape=(), dtype="float64", name="num_samples")
        self._sums: dict[str, Variable] | None = None  # per output, made at the first batch (its width)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t, p = _same_rank(*_arrays(y_true, y_pred))
        if t.ndim != 2 or p.ndim != 2 or t.shape != p.shape:
            raise ShapeError(f"R2Score needs y_true and y_pred of shape (batch_size, outputs), got "
                             f"{tuple(t.shape)} and {tuple(p.shape)}; reshape 1-D targets with .reshape(-1, 1).")
        if self._sums is not None and self._sums["sum"].shape != (p.shape[1],):
            raise ShapeError(f"R2Score was given {self._sums['sum'].shape[0]} outputs per sample before and "
                             f"{p.shape[1]} now; reset_state() before measuring another model.")
        xp = backend.xp()
        t, p = t.astype(np.float64), p.astype(np.float64)
        w = xp.ones_like(t) if sample_weight is None else _array(sample_weight, "sample_weight").astype(np.float64)
        if w.ndim == 1:
            w = w.reshape(-1, 1)  # one weight per sample: the same for each of its outputs
        try:
            w = xp.broadcast_to(w, t.shape)
        except ValueError:
            raise ShapeError(f"R2Score: sample_weight has shape {tuple(w.shape)}, which does not fit targets of "
                             f"shape {tuple(t.shape)}; give one weight per sample.") from None
        if self._sums is None:
            self._sums = {key: self.add_variable(shape=(p.shape[1],), dtype="float64", name=key)
                          for key in ("squared_sum", "sum", "residual", "count")}
        weighted_t = t * w
        self._sums["sum"].assign_add(weighted_t.sum(axis=0))
        self._sums["squared_sum"].assign_add((t * weighted_t).sum(axis=0))
        self._sums["residual"].assign_add(((t - p) ** 2 * w).sum(axis=0))
        self._sums["count"].assign_add(w.sum(axis=0))
        self.num_samples.assign_add(float(t.size))

    def result(self) -> Any:
        if self._sums is None:
            return 0.0
        sums = {key: np.asarray(v.numpy(), dtype=np.float64) for key, v in self._sums.items()}
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = sums["sum"] / sums["count"]
            total = sums["squared_sum"] - sums["sum"] * mean
            raw = 1 - sums["residual"] / total
            raw = np.where(np.isinf(raw), 0.0, raw)  # a constant target: Keras's 0 (0/0 stays NaN, as there)
            if self.class_aggregation == "uniform_average":
                score = raw.mean()
            elif self.class_aggregation == "variance_weighted_average":
                score = (total * raw).sum() / total.sum()
            else:
                return raw
        n, p = float(self.num_samples), self.num_regressors
        if p and p < n - 1:  # too few samples for the adjustment: Keras falls back to the plain R² (and warns)
            score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return float(score)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# the stateful metric classes a model file may name, with settings (a fixed table: nothing else is looked up)
BUILTIN_CLASSES: dict[str, type[Metric]] = {cls.__name__: cls for cls in (
    AUC, Precision, Recall, TruePositives, FalsePositives, TrueNegatives, FalseNegatives, RootMeanSquaredError,
    F1Score, FBetaScore, PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
    Accuracy, CosineSimilarity, KLDivergence, Poisson, R2Score, Hinge, SquaredHinge, CategoricalHinge, LogCoshError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, PearsonCorrelation, ConcordanceCorrelation, IoU,
    BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU)}

# their Keras names in compile: snake case (as _snake_case makes them) or the class name in any case
_SNAKE_NAMES = {"auc": AUC, "precision": Precision, "recall": Recall, "true_positives": TruePositives,
                "false_positives": FalsePositives, "true_negatives": TrueNegatives, "false_negatives": FalseNegatives,
                "root_mean_squared_error": RootMeanSquaredError, "f1_score": F1Score, "f_beta_score": FBetaScore,
                "r2_score": R2Score, "cosine_similarity": CosineSimilarity, "pearson_correlation": PearsonCorrelation,
                "concordance_correlation": ConcordanceCorrelation, "binary_io_u": BinaryIoU}
_CLASS_NAMES: dict[str, type[Metric]] = {**_SNAKE_NAMES, **{name.lower(): cls for name, cls in BUILTIN_CLASSES.items()}}
# Keras knows these names too, but no metric can be made from a name alone: each needs its target rate
_NEEDS_TARGET: dict[str, type[_RateAtRate]] = {
    key: cls for cls in (PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity)
    for key in (_snake_case(cls.__name__), cls.__name__.lower())}

_METRIC_NOT_LOSS: dict[str, type[Metric]] = {"cosine_similarity": CosineSimilarity}

METRIC_NAMES: tuple[str, ...] = tuple(sorted({"accuracy", "acc", *_FUNCTIONS, *losses.LOSSES, *_SNAKE_NAMES}))


__all__ = ["Metric", "Variable", "get", "MeanTracker", "MetricRun", "accuracy_kind", "binary_accuracy",
           "categorical_accuracy", "sparse_categorical_accuracy", "mean_absolute_error", "mean_squared_error", "mae",
           "mse", "METRIC_NAMES", "AUC", "Precision", "Recall", "TruePositives", "FalsePositives", "TrueNegatives",
           "FalseNegatives", "RootMeanSquaredError", "F1Score", "FBetaScore", "PrecisionAtRecall",
           "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity", "Mean", "Sum",
           "MeanMetricWrapper", "BUILTIN_CLASSES", "result_logs", "check_run", "saved_form",
           "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "keras_name", "Accuracy",
           "CosineSimilarity", "KLDivergence", "Poisson", "R2Score", "Hinge", "SquaredHinge", "CategoricalHinge",
           "LogCoshError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "PearsonCorrelation",
           "ConcordanceCorrelation", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "pearson_correlation",
           "concordance_correlation"]
