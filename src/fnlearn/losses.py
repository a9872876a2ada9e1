"""Losses ``L(θ)``: how far the model's outputs are from the truth.

Every loss takes ``(y_true, y_pred)`` in that order, as Keras does, and a ``reduction``:
``"mean"`` (default; ``"sum"`` for :func:`half_sse`), ``"sum"`` or ``"none"`` (one value per sample).
Cross-entropies take probabilities by default and raw scores with ``from_logits=True``. When the
probabilities come straight from a softmax or sigmoid, the loss is computed from the scores behind
them (log-sum-exp), so it is exact and stable — the fusion Keras also does.

Example:
    >>> import fnlearn as fl
    >>> fl.losses.mae([[1.0], [3.0]], fl.tensor([[2.0], [5.0]])).item()
    1.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend
from . import functional as F
from .errors import ConfigError, DataError, ShapeError, unknown_name
from .tensor import Tensor, as_array

EPSILON = 1e-7  # probabilities are clipped into [ε, 1 − ε] before the log, as Keras does


def _pred(y_pred: Any) -> Tensor:
    return y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)


def _target(y_true: Any, y_pred: Tensor, loss: str) -> Any:
    """The target as an array of y_pred's dtype and shape (a (n,) target for (n, 1) outputs is reshaped)."""
    t = as_array(y_true.data if isinstance(y_true, Tensor) else y_true, name=f"y_true of {loss}")
    if t.shape != y_pred.shape:
        if t.size == y_pred.size and t.ndim <= 2 and y_pred.ndim <= 2:
            t = t.reshape(y_pred.shape)
        else:
            raise ShapeError(f"{loss}: y_true has shape {tuple(t.shape)} but y_pred has shape {y_pred.shape}; "
                             "they must match (one target per output).")
    return t.astype(y_pred.dtype, copy=False) if t.dtype != y_pred.dtype else t


def _scores_behind(y_pred: Tensor, op: str, from_logits: bool) -> Tensor | None:
    """The raw scores to fuse on: y_pred itself with from_logits, the input of the ``op`` (softmax or
    sigmoid) that made y_pred, or None when y_pred came from elsewhere (then the loss uses probabilities)."""
    if from_logits:
        return y_pred
    return y_pred._logits if y_pred._op == op and y_pred._logits is not None else None


def _reduce(per_sample: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return F.mean(per_sample)
    if reduction == "sum":
        return F.sum(per_sample)
    if reduction == "none":
        return per_sample
    raise ConfigError(f"reduction {reduction!r} is not known; use 'mean', 'sum' or 'none'.")


def _per_sample_mean(elementwise: Tensor) -> Tensor:
    return F.mean(elementwise, axis=-1) if elementwise.ndim >= 2 else elementwise


def mse(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean of (y − ŷ)² (per sample over outputs, then over samples)."""
    y_pred = _pred(y_pred)
    diff = F.sub(y_pred, Tensor(_target(y_true, y_pred, "mse")))
    return _reduce(_per_sample_mean(F.mul(diff, diff)), reduction)


def mae(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean of |y − ŷ| — the lecture's loss for the view-count model."""
    y_pred = _pred(y_pred)
    diff = F.sub(y_pred, Tensor(_target(y_true, y_pred, "mae")))
    return _reduce(_per_sample_mean(F.abs(diff)), reduction)


def half_sse(y_true: Any, y_pred: Any, reduction: str = "sum") -> Tensor:
    """½ Σᵢ ‖yᵢ − f(xᵢ)‖², the form on Tsai's slides; its gradient is simply Σ (f(xᵢ) − yᵢ)·∂f.

    Per sample it is ½‖yᵢ − f(xᵢ)‖²; the default reduction sums over samples as the slide writes.
    """
    y_pred = _pred(y_pred)
    diff = F.sub(y_pred, Tensor(_target(y_true, y_pred, "half_sse")))
    sq = F.mul(diff, diff)
    per_sample = F.sum(sq, axis=-1) if sq.ndim >= 2 else sq
    return _reduce(F.mul(per_sample, 0.5), reduction)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             reduction: str = "mean") -> Tensor:
    """−Σ y·log p per sample, for one-hot (or probability) targets of the same shape as the outputs."""
    y_pred = _pred(y_pred)
    t = as_array(y_true.data if isinstance(y_true, Tensor) else y_true, name="y_true of categorical_crossentropy")
    integer_labels = t.ndim == y_pred.ndim - 1 and t.dtype.kind in "iu"
    if integer_labels or (t.ndim == 1 and y_pred.ndim == 2 and y_pred.shape[1] > 1):
        raise ShapeError(
            f"categorical_crossentropy needs one-hot targets of shape {y_pred.shape}, but y_true has shape "
            f"{tuple(t.shape)} (integer labels?); use loss='sparse_categorical_crossentropy' or "
            "fl.keras.utils.to_categorical(y)."
        )
    t = _target(t, y_pred, "categorical_crossentropy")
    logits = _scores_behind(y_pred, "softmax", from_logits)
    if logits is not None:
        return F.softmax_cross_entropy(logits, t, sparse=False, reduction=reduction)
    p = F.div(y_pred, F.sum(y_pred, axis=-1, keepdims=True))
    logp = F.log(F.clip(p, EPSILON, 1 - EPSILON))
    per_sample = F.neg(F.sum(F.mul(Tensor(t), logp), axis=-1))
    return _reduce(per_sample, reduction)


def integer_labels(y: Any, who: str, argument: str = "y_true", hint: str = "", index_word: str = "row") -> np.ndarray:
    """Class labels as a host int64 array (the given one when it already is: no copy); float labels must hold
    whole numbers. ``who`` names the caller in the error (a loss, ``to_categorical``)."""
    labels = np.asarray(backend.to_numpy(y.data if isinstance(y, Tensor) else y))
    if labels.dtype.kind == "f":
        not_integer = ~np.isfinite(labels) | (labels != np.round(labels))
        if not_integer.any():
            first = tuple(int(i) for i in np.argwhere(not_integer)[0])
            where = f"{index_word} {first[0]}" if len(first) == 1 else f"position {first}"
            raise DataError(f"{who} needs integer class labels, but {argument} holds the non-integer value "
                            f"{labels[first]:g} ({where}); "
                            f"pass labels 0..n_classes-1{hint}.")
    elif labels.dtype.kind not in "iub":
        raise DataError(f"{who} needs integer class labels, got dtype {labels.dtype}.")
    return labels.astype(np.int64, copy=False)


def sparse_labels(y_true: Any, n_classes: int, loss: str) -> Any:
    """Integer class labels as an int64 array, checked to lie in [0, n_classes)."""
    labels = integer_labels(y_true, loss, hint=" (or use categorical_crossentropy for one-hot targets)")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise DataError(f"{loss}: label {bad} is out of range for {n_classes} output units; labels must be "
                        f"in 0..{n_classes - 1} (give the last layer as many units as there are classes).")
    return backend.to_device(labels)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    reduction: str = "mean") -> Tensor:
    """−log p[label] per sample, for integer labels 0..k−1."""
    y_pred = _pred(y_pred)
    labels = sparse_labels(y_true, y_pred.shape[-1], "sparse_categorical_crossentropy")
    if labels.size != int(np.prod(y_pred.shape[:-1])):
        raise ShapeError(f"sparse_categorical_crossentropy: {labels.size} labels for {y_pred.shape[:-1]} "
                         "samples; give one integer label per sample.")
    labels = labels.reshape(y_pred.shape[:-1])
    logits = _scores_behind(y_pred, "softmax", from_logits)
    if logits is not None:
        return F.softmax_cross_entropy(logits, labels, sparse=True, reduction=reduction)
    p = F.div(y_pred, F.sum(y_pred, axis=-1, keepdims=True))
    flat = F.reshape(p, (-1, y_pred.shape[-1]))  # one row per sample, whatever the leading axes
    rows = backend.to_device(np.arange(labels.size))
    picked = F.reshape(F.getitem(flat, (rows, labels.reshape(-1))), labels.shape)
    return _reduce(F.neg(F.log(F.clip(picked, EPSILON, 1 - EPSILON))), reduction)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, reduction: str = "mean") -> Tensor:
    """−[y·log p + (1 − y)·log(1 − p)], averaged over outputs per sample; targets in [0, 1]."""
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred, "binary_crossentropy")
    logits = _scores_behind(y_pred, "sigmoid", from_logits)
    if logits is not None:
        return F.sigmoid_binary_cross_entropy(logits, t, reduction=reduction)
    p = F.clip(y_pred, EPSILON, 1 - EPSILON)
    tt = Tensor(t)
    elem = F.neg(F.add(F.mul(tt, F.log(p)), F.mul(F.sub(1.0, tt), F.log(F.sub(1.0, p)))))
    return _reduce(_per_sample_mean(elem), reduction)


LossFn = Callable[..., Tensor]

LOSSES: dict[str, LossFn] = {
    "mse": mse,
    "mean_squared_error": mse,
    "mae": mae,
    "mean_absolute_error": mae,
    "half_sse": half_sse,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
}


class Loss:
    """A loss as an object with fixed options, Keras style: ``Loss("binary_crossentropy", from_logits=True)``."""

    def __init__(self, name: str, reduction: str | None = None, **options: Any) -> None:
        self.fn = get(name)
        code = getattr(self.fn, "__code__", None)
        if code is not None:  # checked here, not at the first batch (where one training path would ignore it)
            takes = code.co_varnames[2:code.co_argcount + code.co_kwonlyargcount]
            extra = sorted(set(options) - set(takes))
            if extra:
                raise ConfigError(f"loss {name!r} got option(s) {', '.join(extra)}, but it takes only "
                                  f"{', '.join(takes) or 'no options'}; remove the option(s).")
        self.name = canonical_name(name)
        self.options = options
        self.reduction = reduction

    def __call__(self, y_true: Any, y_pred: Any) -> Tensor:
        kwargs = dict(self.options)
        if self.reduction is not None:
            kwargs["reduction"] = self.reduction
        return self.fn(y_true, y_pred, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction, **self.options}


def default_reduction(fn: LossFn) -> str:
    """How a built-in loss reduces its per-sample values unless told: ``"mean"``, or ``"sum"`` (half_sse).

    >>> default_reduction(half_sse), default_reduction(mse)
    ('sum', 'mean')
    """
    import inspect

    parameter = inspect.signature(fn).parameters.get("reduction")
    return "mean" if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def canonical_name(name: str) -> str:
    """The short name of a loss: ``"mean_squared_error"`` → ``"mse"``; other names lower-cased."""
    name = name.lower()
    return {"mean_squared_error": "mse", "mean_absolute_error": "mae"}.get(name, name)


def get(spec: Any) -> LossFn:
    """A loss function from its name or a callable(y_true, y_pred)."""
    if callable(spec):
        return spec
    if isinstance(spec, str) and spec.lower() in LOSSES:
        return LOSSES[spec.lower()]
    raise unknown_name("loss", spec, LOSSES)
