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

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend
from . import functional as F
from .errors import ConfigError, DataError, ShapeError, unknown_name
from .tensor import Tensor, as_array


def _clipped(p: Tensor) -> Tensor:
    """Probabilities clipped into [ε, 1 − ε] before a log, as Keras does (ε: :func:`fnlearn.backend.epsilon`)."""
    eps = backend.epsilon()
    return F.clip(p, eps, 1 - eps)


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


def check_label_smoothing(label_smoothing: Any, who: str) -> float:
    """``label_smoothing`` as a float, or one ConfigError sentence unless it is a number in [0, 1].

    >>> check_label_smoothing(0.1, "categorical_crossentropy")
    0.1
    """
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(label_smoothing) <= 1.0:
        raise ConfigError(f"{who}(label_smoothing={label_smoothing!r}): label_smoothing must be a number in [0, 1] "
                          "(0 for none, as Keras's default; 0.1 is usual).")
    return float(label_smoothing)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             reduction: str = "mean", *, label_smoothing: float = 0.0) -> Tensor:
    """−Σ y·log p per sample, for one-hot (or probability) targets of the same shape as the outputs.

    ``label_smoothing`` = s replaces the targets by y·(1 − s) + s/k for k classes before the loss, Keras's
    formula (PyTorch's ``cross_entropy(label_smoothing=s)``).

    >>> import fnlearn as fl
    >>> round(fl.losses.categorical_crossentropy([[1.0, 0.0]], fl.tensor([[0.0, 0.0]]), from_logits=True,
    ...                                          label_smoothing=0.2).item(), 6)
    0.693147
    """
    smoothing = check_label_smoothing(label_smoothing, "categorical_crossentropy")
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
    if smoothing:
        t = t * (1.0 - smoothing) + smoothing / y_pred.shape[-1]
    logits = _scores_behind(y_pred, "softmax", from_logits)
    if logits is not None:
        return F.softmax_cross_entropy(logits, t, sparse=False, reduction=reduction)
    p = F.div(y_pred, F.sum(y_pred, axis=-1, keepdims=True))
    logp = F.log(_clipped(p))
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


def sparse_labels(y_true: Any, n_classes: int, loss: str, ignore_class: int | None = None) -> Any:
    """Integer class labels as an int64 array, checked to lie in [0, n_classes); labels equal to
    ``ignore_class`` pass as they are (the loss then leaves them out)."""
    labels = integer_labels(y_true, loss, hint=" (or use categorical_crossentropy for one-hot targets)")
    out_of_range = (labels < 0) | (labels >= n_classes)
    if ignore_class is not None:
        out_of_range &= labels != ignore_class
    if labels.size and out_of_range.any():
        bad = labels[out_of_range][0]
        raise DataError(f"{loss}: label {bad} is out of range for {n_classes} output units; labels must be "
                        f"in 0..{n_classes - 1} (give the last layer as many units as there are classes).")
    return backend.to_device(labels)


def check_ignore_class(ignore_class: Any, who: str) -> int | None:
    """``ignore_class`` as an int (or None), or one ConfigError sentence unless it is a whole number.

    >>> check_ignore_class(255, "sparse_categorical_crossentropy")
    255
    """
    if ignore_class is None:
        return None
    if isinstance(ignore_class, bool) or not isinstance(ignore_class, (int, np.integer)):
        raise ConfigError(f"{who}(ignore_class={ignore_class!r}): ignore_class must be an integer class label "
                          "(such as -1 or 255 for a 'void' class) or None.")
    return int(ignore_class)


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    reduction: str = "mean", *, ignore_class: int | None = None) -> Tensor:
    """−log p[label] per sample, for integer labels 0..k−1.

    With ``ignore_class``, labels equal to it (which may lie outside 0..k−1, e.g. −1 or 255) give a loss of 0
    and no gradient, and the mean is over the other labels only (0 when every label is ignored), as Keras's.

    >>> import fnlearn as fl
    >>> round(fl.losses.sparse_categorical_crossentropy([0, -1], fl.tensor([[0.0, 0.0], [5.0, 0.0]]),
    ...                                                 from_logits=True, ignore_class=-1).item(), 6)
    0.693147
    """
    ignore = check_ignore_class(ignore_class, "sparse_categorical_crossentropy")
    if reduction not in ("mean", "sum", "none"):
        raise ConfigError(f"reduction {reduction!r} is not known; use 'mean', 'sum' or 'none'.")
    y_pred = _pred(y_pred)
    keep = None
    if ignore is not None:
        labels = integer_labels(y_true, "sparse_categorical_crossentropy",
                                hint=" (or use categorical_crossentropy for one-hot targets)")
        valid = labels != ignore
        # an ignored label takes class 0 so the range check and the gather below see a real class
        y_true = np.where(valid, labels, 0)
        keep = backend.to_device(valid)
    labels = sparse_labels(y_true, y_pred.shape[-1], "sparse_categorical_crossentropy")
    if labels.size != int(np.prod(y_pred.shape[:-1])):
        raise ShapeError(f"sparse_categorical_crossentropy: {labels.size} labels for {y_pred.shape[:-1]} "
                         "samples; give one integer label per sample.")
    labels = labels.reshape(y_pred.shape[:-1])
    inner = reduction if keep is None else "none"
    logits = _scores_behind(y_pred, "softmax", from_logits)
    if logits is not None:
        per_sample = F.softmax_cross_entropy(logits, labels, sparse=True, reduction=inner)
    else:
        p = F.div(y_pred, F.sum(y_pred, axis=-1, keepdims=True))
        flat = F.reshape(p, (-1, y_pred.shape[-1]))  # one row per sample, whatever the leading axes
        rows = backend.to_device(np.arange(labels.size))
        picked = F.reshape(F.getitem(flat, (rows, labels.reshape(-1))), labels.shape)
        per_sample = _reduce(F.neg(F.log(_clipped(picked))), inner)
    if keep is None:
        return per_sample
    keep = keep.reshape(labels.shape)
    return _reduce_kept(F.mul(per_sample, Tensor(keep.astype(per_sample.dtype))), keep, reduction)


def _reduce_kept(per_sample: Tensor, keep: Any, reduction: str) -> Tensor:
    """Keras's reduction of per-sample values of which only the ``keep`` ones count (the others 0): "none" gives
    them carrying ``keep`` as Keras's loss mask (so a weighted mean of them is over the kept ones), "sum" their sum,
    a mean their sum over the number kept — 0 rather than 0/0 when none is."""
    if reduction == "none":
        per_sample._mask = keep
        return per_sample
    if reduction == "sum":
        return F.sum(per_sample)
    return F.div(F.sum(per_sample), float(max(int(keep.sum()), 1)))


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, reduction: str = "mean", *,
                        label_smoothing: float = 0.0) -> Tensor:
    """−[y·log p + (1 − y)·log(1 − p)], averaged over outputs per sample; targets in [0, 1].

    ``label_smoothing`` = s squeezes the targets towards ½: y·(1 − s) + s/2, Keras's formula.

    >>> import fnlearn as fl
    >>> round(fl.losses.binary_crossentropy([[1.0]], fl.tensor([[0.0]]), from_logits=True,
    ...                                     label_smoothing=0.5).item(), 6)
    0.693147
    """
    smoothing = check_label_smoothing(label_smoothing, "binary_crossentropy")
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred, "binary_crossentropy")
    if smoothing:
        t = t * (1.0 - smoothing) + 0.5 * smoothing
    logits = _scores_behind(y_pred, "sigmoid", from_logits)
    if logits is not None:
        return F.sigmoid_binary_cross_entropy(logits, t, reduction=reduction)
    p = _clipped(y_pred)
    tt = Tensor(t)
    elem = F.neg(F.add(F.mul(tt, F.log(p)), F.mul(F.sub(1.0, tt), F.log(F.sub(1.0, p)))))
    return _reduce(_per_sample_mean(elem), reduction)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0, reduction: str = "mean") -> Tensor:
    """Huber loss: ½e² where |e| ≤ δ, δ·(|e| − ½δ) beyond, for e = ŷ − y — squared near the target,
    absolute far from it, so outliers pull less than with mse. Keras's ``Huber(delta)``.

    Averaged over outputs per sample, then over samples; with the default mean that is the mean over every
    element, PyTorch's ``huber_loss(..., delta=δ)``.

    >>> import fnlearn as fl
    >>> fl.losses.huber([[0.0], [0.0]], fl.tensor([[0.5], [3.0]])).item()
    1.3125
    """
    delta = check_delta(delta, "huber")
    y_pred = _pred(y_pred)
    abs_err = F.abs(F.sub(y_pred, Tensor(_target(y_true, y_pred, "huber"))))
    # ½q² + δ(|e| − q) with q = min(|e|, δ) is both pieces in one formula that never squares a large error,
    # so a wild prediction cannot overflow (Keras's where(...) computes e² everywhere)
    q = F.minimum(abs_err, delta)
    elem = F.add(F.mul(F.mul(q, q), 0.5), F.mul(F.sub(abs_err, q), delta))
    return _reduce(_per_sample_mean(elem), reduction)


def check_delta(delta: Any, who: str) -> float:
    """Huber's δ as a float, or one ConfigError sentence unless it is a finite number > 0.

    >>> check_delta(2, "huber")
    2.0
    """
    if isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating)) \
            or not math.isfinite(delta) or delta <= 0:
        raise ConfigError(f"{who}(delta={delta!r}): delta must be a finite number > 0 (Keras's default is 1.0).")
    return float(delta)


def mape(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute percentage error: 100·mean(|y − ŷ| / max(|y|, ε)), ε = 1e-7 (the fuzz factor,
    :func:`fnlearn.backend.set_epsilon`) as Keras's.

    A target of 0 makes a huge but finite loss (the ε); scale the targets away from 0 rather than rely on it.

    >>> import fnlearn as fl
    >>> fl.losses.mape([[2.0], [4.0]], fl.tensor([[1.0], [5.0]])).item()
    37.5
    """
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred, "mape")
    xp = backend.xp()
    scale = 100.0 / xp.maximum(xp.abs(t), backend.epsilon())  # of the target alone: no gradient flows through it
    elem = F.mul(F.abs(F.sub(y_pred, Tensor(t))), Tensor(scale.astype(y_pred.dtype, copy=False)))
    return _reduce(_per_sample_mean(elem), reduction)


def msle(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Mean squared logarithmic error: mean of (log(ŷ + 1) − log(y + 1))², for targets that span orders of
    magnitude (counts, prices). As Keras, values below ε (the fuzz factor, 1e-7) (negative ones too) count as ε.

    >>> import fnlearn as fl
    >>> round(fl.losses.msle([[0.0], [3.0]], fl.tensor([[0.0], [3.0]])).item(), 12)
    0.0
    """
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred, "msle")
    xp = backend.xp()
    # log(x + 1) rather than log1p, as Keras writes it, so equal y and ŷ give exactly 0
    log_true = xp.log(xp.maximum(t, backend.epsilon()) + 1.0)
    diff = F.sub(F.log(F.add(F.maximum(y_pred, backend.epsilon()), 1.0)), Tensor(log_true))
    return _reduce(_per_sample_mean(F.mul(diff, diff)), reduction)


_LOG2 = math.log(2.0)


def _log_cosh(x: Tensor) -> Tensor:
    """log(cosh x) as one op, exact to rounding at every x: ``|x| + log1p(e^(−2|x|)) − log 2`` cannot overflow,
    but near 0 it subtracts numbers near log 2 and loses x²/2 (in float32, all of it below |x| ≈ 3e-4), so
    there ``log1p(2·sinh²(x/2))`` is used. Its gradient is tanh x, which never overflows."""
    xp = backend.xp()
    d = x.data
    a = xp.abs(d)
    near = xp.log1p(2.0 * xp.sinh(xp.minimum(a, 1.0) * 0.5) ** 2)  # capped so sinh² cannot overflow far out
    far = a + xp.log1p(xp.exp(-2.0 * a)) - _LOG2
    out = xp.where(a < 1.0, near, far).astype(d.dtype, copy=False)
    return Tensor._result(out, (x,), lambda g: (g * xp.tanh(d),), "log_cosh")


def log_cosh(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Mean of log(cosh(ŷ − y)): about e²/2 for small errors and |e| − log 2 for large ones, so it
    behaves like mse near the target and like mae far from it. Keras's ``LogCosh``; stable at any error.

    >>> import fnlearn as fl
    >>> round(fl.losses.log_cosh([[0.0]], fl.tensor([[1000.0]])).item(), 3)
    999.307
    """
    y_pred = _pred(y_pred)
    err = F.sub(y_pred, Tensor(_target(y_true, y_pred, "log_cosh")))
    return _reduce(_per_sample_mean(_log_cosh(err)), reduction)


def _hinge_gap(y_true: Any, y_pred: Any, loss: str) -> Tensor:
    """max(1 − y·ŷ, 0) per element, with labels 0/1 read as −1/+1 as Keras does."""
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred, loss)
    xp = backend.xp()
    # Keras decides per batch: when every label is 0 or 1 they all become −1/+1, otherwise none change.
    # Decided on the device (a 0-d condition), so nothing is read back to the host.
    binary = xp.all((t == 0) | (t == 1))
    signs = xp.where(binary, 2 * t - 1, t).astype(y_pred.dtype, copy=False)
    return F.relu(F.sub(1.0, F.mul(y_pred, Tensor(signs))))


def hinge(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Hinge loss: mean of max(1 − y·ŷ, 0), for labels −1/+1 (or 0/1) and raw scores ŷ (a linear output).

    >>> import fnlearn as fl
    >>> fl.losses.hinge([[1.0], [0.0]], fl.tensor([[0.5], [0.5]])).item()
    1.0
    """
    return _reduce(_per_sample_mean(_hinge_gap(y_true, y_pred, "hinge")), reduction)


def squared_hinge(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Squared hinge loss: mean of max(1 − y·ŷ, 0)², for labels −1/+1 (or 0/1) and raw scores ŷ.

    >>> import fnlearn as fl
    >>> fl.losses.squared_hinge([[1.0], [0.0]], fl.tensor([[0.5], [0.5]])).item()
    1.25
    """
    gap = _hinge_gap(y_true, y_pred, "squared_hinge")
    return _reduce(_per_sample_mean(F.mul(gap, gap)), reduction)


def kl_divergence(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Kullback–Leibler divergence Σ y·log(y / ŷ) per sample over the last axis, both clipped into [ε, 1] first
    (ε the fuzz factor, 1e-7), as Keras's ``kl_divergence`` (``"kld"``): for probability targets and a softmax output.

    >>> import fnlearn as fl
    >>> round(fl.losses.kl_divergence([[0.5, 0.5]], fl.tensor([[0.25, 0.75]])).item(), 6)
    0.143841
    """
    y_pred = _pred(y_pred)
    xp = backend.xp()
    t = xp.clip(_target(y_true, y_pred, "kl_divergence"), backend.epsilon(), 1.0)
    # y·log y is of the target alone: only −y·log ŷ carries a gradient
    elem = F.mul(Tensor(t), F.sub(Tensor(xp.log(t)), F.log(F.clip(y_pred, backend.epsilon(), 1.0))))
    return _reduce(F.sum(elem, axis=-1) if elem.ndim >= 2 else elem, reduction)


def poisson(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Poisson loss: mean of ŷ − y·log(ŷ + ε) over the outputs (ε the fuzz factor, 1e-7), Keras's ``poisson``: for
    counts predicted by a positive output (softplus or exponential).

    >>> import fnlearn as fl
    >>> round(fl.losses.poisson([[2.0]], fl.tensor([[1.0]])).item(), 6)
    1.0
    """
    y_pred = _pred(y_pred)
    t = Tensor(_target(y_true, y_pred, "poisson"))
    elem = F.sub(y_pred, F.mul(t, F.log(F.add(y_pred, backend.epsilon()))))
    return _reduce(_per_sample_mean(elem), reduction)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1, reduction: str = "mean") -> Tensor:
    """Negative cosine similarity −Σ ŷ·y / (‖ŷ‖·‖y‖) along ``axis``, Keras's loss ``cosine_similarity``: −1 when
    the prediction points the way of the target, 0 at right angles (a zero vector counts as 0 too).

    >>> import fnlearn as fl
    >>> round(fl.losses.cosine_similarity([[1.0, 1.0]], fl.tensor([[2.0, 2.0]])).item(), 6)
    -1.0
    """
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ConfigError(f"cosine_similarity(axis={axis!r}): axis must be an integer axis of y_pred (-1, the "
                          "last, is Keras's default).")
    y_pred = _pred(y_pred)
    if not -max(y_pred.ndim, 1) <= axis < max(y_pred.ndim, 1):
        raise ConfigError(f"cosine_similarity(axis={axis}): y_pred has {y_pred.ndim} axes, so axis must be in "
                          f"-{y_pred.ndim}..{y_pred.ndim - 1}.")
    t = Tensor(_target(y_true, y_pred, "cosine_similarity"))
    per_sample = F.neg(F.sum(F.mul(F.l2_normalize(t, axis), F.l2_normalize(y_pred, axis)), axis=axis))
    return _reduce(per_sample, reduction)


def categorical_hinge(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """Categorical hinge: max(max over the wrong classes of ŷ − ŷ of the true class + 1, 0) per sample, for one-hot
    targets and raw scores, Keras's ``categorical_hinge``.

    >>> import fnlearn as fl
    >>> fl.losses.categorical_hinge([[0.0, 1.0]], fl.tensor([[0.5, 0.25]])).item()
    1.25
    """
    y_pred = _pred(y_pred)
    t = Tensor(_target(y_true, y_pred, "categorical_hinge"))
    positive = F.sum(F.mul(t, y_pred), axis=-1)
    negative = F.max(F.mul(F.sub(1.0, t), y_pred), axis=-1)
    return _reduce(F.relu(F.add(F.sub(negative, positive), 1.0)), reduction)


def check_focal(gamma: Any, alpha: Any, who: str, per_class: bool = False) -> tuple[float, Any]:
    """Focal losses' (gamma, alpha), or one ConfigError sentence unless gamma ≥ 0 and alpha are finite numbers;
    with ``per_class`` (the categorical loss, as in Keras) alpha may also be a list of finite numbers, one weight
    per class, returned as a tuple of floats.

    >>> check_focal(2, 0.25, "binary_focal_crossentropy")
    (2.0, 0.25)
    >>> check_focal(2, [0.1, 0.9], "categorical_focal_crossentropy", per_class=True)
    (2.0, (0.1, 0.9))
    """
    if per_class and isinstance(alpha, (list, tuple, np.ndarray)):
        weights = np.asarray(alpha, dtype=object).ravel() if not isinstance(alpha, np.ndarray) else alpha.ravel()
        if np.ndim(alpha) != 1 or len(weights) == 0 or not all(
                not isinstance(w, bool) and isinstance(w, (int, float, np.integer, np.floating)) and math.isfinite(w)
                for w in weights):
            raise ConfigError(f"{who}(alpha={alpha!r}): a per-class alpha must be a flat list of finite numbers, one "
                              "per class; pass such a list, or one number (0.25 is Keras's default).")
        check_focal(gamma, 0.25, who)
        return float(gamma), tuple(float(w) for w in weights)
    for name, value in (("gamma", gamma), ("alpha", alpha)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value) or (name == "gamma" and value < 0):
            least = "≥ 0 (2.0 is Keras's default)" if name == "gamma" else "(0.25 is Keras's default)"
            raise ConfigError(f"{who}({name}={value!r}): {name} must be a finite number {least}; pass such a "
                              "number.")
    return float(gamma), float(alpha)


def _focal_factor(miss: Tensor, gamma: float) -> Tensor | None:
    """(1 − p_t)^γ, the weight that shrinks the loss of well classified outputs (None for γ = 0: no factor)."""
    if gamma == 0:
        return None
    return F.mul(miss, miss) if gamma == 2 else F.pow(miss, gamma)


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False, reduction: str = "mean", *,
                              label_smoothing: float = 0.0) -> Tensor:
    """Binary focal cross-entropy (Lin et al. 2017), Keras's formula: (1 − p_t)^γ · bce per output, with
    p_t = y·p + (1 − y)·(1 − p), weighted by α (positives) and 1 − α (negatives) when ``apply_class_balancing``;
    averaged over outputs per sample. ``label_smoothing`` as :func:`binary_crossentropy`'s.

    With ``from_logits`` (or y_pred straight from a sigmoid) the logs are taken of the scores (softplus), so the
    loss stays exact where Keras's clipped probabilities would saturate.

    >>> import fnlearn as fl
    >>> round(fl.losses.binary_focal_crossentropy([[1.0]], fl.tensor([[0.0]]), from_logits=True).item(), 6)
    0.173287
    """
    gamma, alpha = check_focal(gamma, alpha, "binary_focal_crossentropy")
    smoothing = check_label_smoothing(label_smoothing, "binary_focal_crossentropy")
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred, "binary_focal_crossentropy")
    if smoothing:
        t = t * (1.0 - smoothing) + 0.5 * smoothing
    tt = Tensor(t)
    logits = _scores_behind(y_pred, "sigmoid", from_logits)
    if logits is not None:
        p = F.sigmoid(logits)
        # −log p = softplus(−z), −log(1 − p) = softplus(z): no log of a rounded probability
        bce = F.add(F.mul(tt, F.softplus(F.neg(logits))), F.mul(F.sub(1.0, tt), F.softplus(logits)))
    else:
        p = y_pred
        clipped = _clipped(y_pred)
        bce = F.neg(F.add(F.mul(tt, F.log(clipped)), F.mul(F.sub(1.0, tt), F.log(F.sub(1.0, clipped)))))
    # 1 − p_t = y·(1 − p) + (1 − y)·p
    miss = F.add(F.mul(tt, F.sub(1.0, p)), F.mul(F.sub(1.0, tt), p))
    factor = _focal_factor(miss, gamma)
    elem = bce if factor is None else F.mul(factor, bce)
    if apply_class_balancing:
        elem = F.mul(elem, Tensor((t * alpha + (1 - t) * (1 - alpha)).astype(y_pred.dtype, copy=False)))
    return _reduce(_per_sample_mean(elem), reduction)


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, reduction: str = "mean", *,
                                   label_smoothing: float = 0.0) -> Tensor:
    """Categorical focal cross-entropy, Keras's formula: −Σ α·(1 − p)^γ · y·log p per sample over the classes,
    p the predictions normalised to sum 1 and clipped into [ε, 1 − ε]; one-hot (or probability) targets.
    ``label_smoothing`` as :func:`categorical_crossentropy`'s. With ``from_logits`` (or y_pred straight from a
    softmax) log p is the log-softmax of the scores.

    >>> import fnlearn as fl
    >>> round(fl.losses.categorical_focal_crossentropy([[1.0, 0.0]], fl.tensor([[0.0, 0.0]]),
    ...                                                from_logits=True).item(), 6)
    0.043322
    """
    gamma, alpha = check_focal(gamma, alpha, "categorical_focal_crossentropy", per_class=True)
    smoothing = check_label_smoothing(label_smoothing, "categorical_focal_crossentropy")
    y_pred = _pred(y_pred)
    t = _target(y_true, y_pred, "categorical_focal_crossentropy")
    if isinstance(alpha, tuple):  # one weight per class, along the last axis (Keras's broadcast)
        if len(alpha) != y_pred.shape[-1]:
            raise ShapeError(f"categorical_focal_crossentropy: alpha has {len(alpha)} per-class weights for "
                             f"{y_pred.shape[-1]} classes; give one weight per class.")
        alpha = Tensor(np.asarray(alpha, dtype=y_pred.dtype))
    if smoothing:
        t = t * (1.0 - smoothing) + smoothing / y_pred.shape[-1]
    logits = _scores_behind(y_pred, "softmax", from_logits)
    if logits is not None:
        p, logp = F.softmax(logits), F.log_softmax(logits)
    else:
        p = _clipped(F.div(y_pred, F.sum(y_pred, axis=-1, keepdims=True)))
        logp = F.log(p)
    elem = F.mul(F.mul(Tensor(t), logp), F.neg(alpha) if isinstance(alpha, Tensor) else -alpha)
    factor = _focal_factor(F.sub(1.0, p), gamma)
    if factor is not None:
        elem = F.mul(factor, elem)
    return _reduce(F.sum(elem, axis=-1), reduction)


def _overlap_axes(axis: Any, ndim: int | None, who: str) -> tuple[int, ...] | None:
    """Dice's and Tversky's ``axis``: None (every axis: one value for the batch), an int or a list of ints (in
    range for ``ndim`` axes, when known)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) else axis
    if not isinstance(axes, (list, tuple)) or not axes or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool)
            and (ndim is None or -ndim <= a < ndim) for a in axes):
        within = "" if ndim is None else f", each in -{ndim}..{ndim - 1}"
        raise ConfigError(f"{who}(axis={axis!r}): axis must be None (all axes, Keras's default), an axis of y_pred "
                          f"or a list of them{within}; pass e.g. axis=(1, 2) for one value per image.")
    return tuple(int(a) for a in axes)


def _overlap(y_true: Any, y_pred: Any, axis: Any, who: str) -> tuple[Tensor, Tensor, Tensor, tuple[int, ...] | None]:
    """(targets, predictions, Σ y·ŷ, axes) for the overlap losses, summed over ``axis``."""
    y_pred = _pred(y_pred)
    t = Tensor(_target(y_true, y_pred, who))
    axes = _overlap_axes(axis, y_pred.ndim, who)
    return t, y_pred, F.sum(F.mul(t, y_pred), axis=axes), axes


def dice(y_true: Any, y_pred: Any, axis: Any = None, reduction: str = "mean") -> Tensor:
    """Dice loss 1 − 2·Σ y·ŷ / (Σ y + Σ ŷ + ε), summed over ``axis`` (None, Keras's default: one value for the
    whole batch), for segmentation masks and probabilities.

    >>> import fnlearn as fl
    >>> round(fl.losses.dice([[1.0, 0.0]], fl.tensor([[1.0, 1.0]])).item(), 6)
    0.333333
    """
    t, p, both, axes = _overlap(y_true, y_pred, axis, "dice")
    total = F.add(F.add(F.sum(t, axis=axes), F.sum(p, axis=axes)), backend.epsilon())
    return _reduce(F.sub(1.0, F.div(F.mul(both, 2.0), total)), reduction)


def check_tversky(alpha: Any, beta: Any) -> tuple[float, float]:
    """Tversky's (alpha, beta), or one ConfigError sentence unless both are finite numbers ≥ 0.

    >>> check_tversky(0.3, 0.7)
    (0.3, 0.7)
    """
    for name, value in (("alpha", alpha), ("beta", beta)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value) or value < 0:
            raise ConfigError(f"tversky({name}={value!r}): {name} must be a finite number ≥ 0 (Keras's default is "
                              "0.5); pass such a number.")
    return float(alpha), float(beta)


def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None,
            reduction: str = "mean") -> Tensor:
    """Tversky loss 1 − Σ y·ŷ / (Σ y·ŷ + α·Σ y·(1 − ŷ) + β·Σ (1 − y)·ŷ + ε), Keras's formula (α weighs the
    missed positives, β the false alarms; 0.5 and 0.5 is the Dice loss), summed over ``axis`` as :func:`dice`.

    >>> import fnlearn as fl
    >>> round(fl.losses.tversky([[1.0, 0.0]], fl.tensor([[1.0, 1.0]]), alpha=0.0, beta=1.0).item(), 6)
    0.5
    """
    alpha, beta = check_tversky(alpha, beta)
    t, p, both, axes = _overlap(y_true, y_pred, axis, "tversky")
    missed = F.sum(F.mul(F.sub(1.0, p), t), axis=axes)
    false_alarms = F.sum(F.mul(p, F.sub(1.0, t)), axis=axes)
    total = F.add(F.add(F.add(both, F.mul(missed, alpha)), F.mul(false_alarms, beta)), backend.epsilon())
    return _reduce(F.sub(1.0, F.div(both, total)), reduction)


def check_q(q: Any) -> float:
    """The generalized cross-entropy's q, or one ConfigError sentence unless 0 < q < 1.

    >>> check_q(0.7)
    0.7
    """
    if isinstance(q, bool) or not isinstance(q, (int, float, np.integer, np.floating)) or not 0 < q < 1:
        raise ConfigError(f"categorical_generalized_cross_entropy(q={q!r}): q must be a number strictly between 0 "
                          "and 1 (near 0 it is cross-entropy, at 1 mae; Keras's default is 0.5).")
    return float(q)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float = 0.5, reduction: str = "mean") -> Tensor:
    """Generalized cross-entropy (Zhang & Sabuncu 2018), (1 − p[label]^q) / q per sample, for integer labels and
    probabilities: robust to wrong labels. Keras's ``categorical_generalized_cross_entropy``.

    >>> import fnlearn as fl
    >>> fl.losses.categorical_generalized_cross_entropy([1], fl.tensor([[0.75, 0.25]])).item()
    1.0
    """
    q = check_q(q)
    y_pred = _pred(y_pred)
    labels = sparse_labels(y_true, y_pred.shape[-1], "categorical_generalized_cross_entropy")
    if labels.size != int(np.prod(y_pred.shape[:-1])):
        raise ShapeError(f"categorical_generalized_cross_entropy: {labels.size} labels for {y_pred.shape[:-1]} "
                         "samples; give one integer label per sample.")
    flat = F.reshape(y_pred, (-1, y_pred.shape[-1]))
    rows = backend.to_device(np.arange(labels.size))
    picked = F.reshape(F.getitem(flat, (rows, labels.reshape(-1))), y_pred.shape[:-1])
    return _reduce(F.div(F.sub(1.0, F.pow(picked, q)), q), reduction)


def ctc(y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
    """The CTC loss of Keras's ``keras.losses.ctc``: integer label rows ``y_true`` (batch, max_label_length), 0
    the blank and padding (each row's labels are its non-zero values, first), against logits ``y_pred``
    (batch, time, classes) over all their steps; −log p(labels | logits) per sample.

    >>> import numpy as np
    >>> round(ctc([[1, 0]], np.zeros((1, 2, 3))).item(), 6)  # paths "a-", "-a", "aa" of 9: −log(1/3)
    1.098612
    """
    from .keras.ops_nn_more import ctc_loss  # here: the op lives with keras.ops, which imports this module

    y_pred = _pred(y_pred)
    labels = integer_labels(y_true, "ctc", hint=" (0 is the blank, so classes start at 1)")
    if labels.ndim != 2 or y_pred.ndim != 3 or labels.shape[0] != y_pred.shape[0]:
        raise ShapeError(f"ctc takes y_true of shape (batch, max_label_length) and y_pred of shape (batch, time, "
                         f"classes), got {tuple(labels.shape)} and {y_pred.shape}; give one row of integer labels "
                         "and one sequence of logits per sample.")
    lengths = np.count_nonzero(labels, axis=-1)
    steps = np.full(labels.shape[0], y_pred.shape[1])
    return _reduce(ctc_loss(labels, y_pred, lengths, steps, mask_index=0), reduction)


def check_circle(gamma: Any, margin: Any, remove_diagonal: Any) -> tuple[float, float, bool]:
    """Circle's settings, or one ConfigError sentence: γ a finite number ≥ 0, the margin a finite number,
    remove_diagonal True or False.

    >>> check_circle(80, 0.4, True)
    (80.0, 0.4, True)
    """
    def number(v: Any) -> bool:
        return not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating)) and math.isfinite(v)

    if not number(gamma) or gamma < 0:
        raise ConfigError(f"circle(gamma={gamma!r}): gamma must be a finite number ≥ 0 (Keras's default is 80).")
    if not number(margin):
        raise ConfigError(f"circle(margin={margin!r}): margin must be a finite number (Keras's default is 0.4).")
    if not isinstance(remove_diagonal, (bool, np.bool_)):
        raise ConfigError(f"circle(remove_diagonal={remove_diagonal!r}): remove_diagonal must be True or False.")
    return float(gamma), float(margin), bool(remove_diagonal)


def circle(y_true: Any, y_pred: Any, ref_labels: Any = None, ref_embeddings: Any = None, remove_diagonal: bool = True,
           gamma: float = 80.0, margin: float = 0.4, reduction: str = "mean") -> Tensor:
    """Circle loss (Sun et al. 2020) for integer labels ``y_true`` and L2-normalized embeddings ``y_pred``
    (batch, dim), Keras's ``keras.losses.circle``: each sample's same-label references (``ref_embeddings``, by
    default the batch itself, less the sample unless ``remove_diagonal=False``) pulled in and other-label ones
    pushed out, softplus(logsumexp of the weighted positive terms + logsumexp of the negative ones). A sample with
    no positive or no negative gives 0 and, as in Keras, the mean is over the samples whose loss is above 0.

    >>> import numpy as np
    >>> round(circle([0, 0, 1], np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]), gamma=1.0).item(), 6)
    0.789009
    """
    gamma, margin, remove_diagonal = check_circle(gamma, margin, remove_diagonal)
    if reduction not in ("mean", "sum", "none"):
        raise ConfigError(f"reduction {reduction!r} is not known; use 'mean', 'sum' or 'none'.")
    y_pred = _pred(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = Tensor(y_pred.data.astype(backend.float_dtype()))
    ref = y_pred if ref_embeddings is None else _pred(ref_embeddings)
    labels = integer_labels(y_true, "circle").reshape(-1)
    ref_ids = labels if ref_labels is None else integer_labels(ref_labels, "circle", "ref_labels").reshape(-1)
    if y_pred.ndim != 2 or ref.ndim != 2 or ref.shape[1] != y_pred.shape[1] or labels.size != y_pred.shape[0] \
            or ref_ids.size != ref.shape[0]:
        raise ShapeError(f"circle takes embeddings (batch, dim) with one integer label each, and reference "
                         f"embeddings of the same dim with one label each, got y_true of {labels.size} labels, "
                         f"y_pred of shape {y_pred.shape} and references of shape {ref.shape} with {ref_ids.size} "
                         "labels; give embeddings as rows and one label per row.")
    positive = labels[:, None] == ref_ids[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(labels.size, ref_ids.size, dtype=bool)
    positive, negative = backend.to_device(positive), backend.to_device(negative)
    distance = F.maximum(F.sub(1.0, F.matmul(y_pred, F.transpose(ref))), 0.0)
    pos_weight = F.maximum(F.mul(F.add(distance, margin), Tensor(positive.astype(y_pred.dtype))), 0.0)
    neg_weight = F.maximum(F.mul(F.sub(1.0 + margin, distance), Tensor(negative.astype(y_pred.dtype))), 0.0)
    pos_terms = F.mul(F.mul(pos_weight, F.sub(margin, distance)), -gamma)
    neg_terms = F.mul(F.mul(neg_weight, F.sub(1.0 - margin, distance)), gamma)
    # a sample with no positive (or no negative) reference sums nothing there: −inf, and no gradient from it
    per_sample = F.softplus(F.add(F.logsumexp(F.where(Tensor(positive), pos_terms, -np.inf), axis=1),
                                  F.logsumexp(F.where(Tensor(negative), neg_terms, -np.inf), axis=1)))
    return _reduce_kept(per_sample, per_sample.data > 0, reduction)


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
    "huber": huber,
    "mape": mape,
    "mean_absolute_percentage_error": mape,
    "msle": msle,
    "mean_squared_logarithmic_error": msle,
    "log_cosh": log_cosh,
    "logcosh": log_cosh,
    "hinge": hinge,
    "squared_hinge": squared_hinge,
    "kl_divergence": kl_divergence,
    "kld": kl_divergence,
    "poisson": poisson,
    "cosine_similarity": cosine_similarity,
    "categorical_hinge": categorical_hinge,
    "binary_focal_crossentropy": binary_focal_crossentropy,
    "categorical_focal_crossentropy": categorical_focal_crossentropy,
    "dice": dice,
    "tversky": tversky,
    "categorical_generalized_cross_entropy": categorical_generalized_cross_entropy,
    "ctc": ctc,
    "circle": circle,
}

# losses whose targets are not shaped like the outputs (CTC's label rows, Circle's one label per embedding): fit
# leaves their checks to the loss itself
OWN_TARGETS = frozenset({"ctc", "circle"})


_UNSET: Any = object()  # a reduction not given (a built-in loss then takes its own)


class Loss:
    """A loss as an object with fixed options, Keras style: ``Loss("binary_crossentropy", from_logits=True)``.

    A subclass with ``call(y_true, y_pred)`` giving one value per sample is a loss of one's own, as Keras's
    guide writes it (``super().__init__(name="custom_mse")``); the values are averaged over the batch unless
    ``reduction="sum"`` or ``"none"``.

    >>> import fnlearn as fl
    >>> class HalfMSE(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return 0.5 * fl.functional.mean((y_true - y_pred) ** 2, axis=-1)
    >>> float(HalfMSE(name="half_mse")([[0.0], [0.0]], fl.tensor([[1.0], [3.0]])))
    2.5
    """

    def __init__(self, name: str | None = None, reduction: Any = _UNSET, **options: Any) -> None:
        if self.own_class:
            dtype = options.pop("dtype", None)
            if options or (dtype is not None and str(dtype) not in ("float32", backend.get_default_dtype())):
                given = ", ".join(options) or f"dtype={dtype!r}"
                raise ConfigError(f"{type(self).__name__}.__init__ got {given}; a loss of one's own takes name=, "
                                  "reduction= and the default dtype (its settings are its own attributes).")
            self.fn, self.options = self._reduced, {}
            self.name = name or type(self).__name__
            self.reduction = keras_reduction("sum_over_batch_size" if reduction is _UNSET else reduction)
            return
        if reduction is _UNSET:
            reduction = None  # the loss's own: a mean, a sum for half_sse
        if name is None:
            raise ConfigError("Loss needs the name of a loss, e.g. Loss('mse'), or a subclass with call(y_true, "
                              "y_pred).")
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

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """The loss of a batch; with ``sample_weight``, Σ wᵢ·lossᵢ divided by the batch size for a mean (Keras's
        weighted loss), the weighted values for ``reduction="none"``."""
        kwargs = dict(self.options)
        reduction = self.batch_reduction
        if sample_weight is None:
            return self.fn(y_true, y_pred, **kwargs, reduction=reduction)
        return weighted(self.fn(y_true, y_pred, **kwargs, reduction="none"), sample_weight, reduction)

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        """One value per sample; a subclass of one's own defines it (Keras's ``Loss.call``)."""
        raise NotImplementedError

    def _reduced(self, y_true: Any, y_pred: Any, reduction: str = "mean") -> Tensor:
        """``call``'s values reduced over the batch (``fit`` asks for ``"none"`` to weight them)."""
        pred = y_pred if isinstance(y_pred, Tensor) else Tensor(np.asarray(y_pred, dtype=backend.float_dtype()))
        true = y_true if isinstance(y_true, Tensor) else Tensor(backend.xp().asarray(y_true, dtype=pred.dtype))
        values = self.call(true, pred)
        if not isinstance(values, Tensor):
            raise ConfigError(f"{type(self).__name__}.call must return a tensor computed from y_pred (one value "
                              f"per sample), got {type(values).__name__}; build it from keras.ops.")
        return values if reduction == "none" else F.sum(values) if reduction == "sum" else F.mean(values)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction, **self.options}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        """The loss :meth:`get_config` described; a class of one's own gets the settings its ``__init__`` takes
        (Keras's guide writes ``__init__(self, regularization_factor=0.1, name="custom_mse")``, no reduction).

        >>> Loss.from_config({"name": "huber", "delta": 2.0}).options
        {'delta': 2.0}
        """
        import inspect  # here: only loading a loss of one's own needs it

        if cls is Loss:
            return cls(**config)
        takes = inspect.signature(cls.__init__).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in takes.values()):
            config = {key: value for key, value in config.items() if key in takes}
        return cls(**config)

    @property
    def batch_reduction(self) -> str:
        """How a batch's values are reduced: the one given, else the loss's own (a mean; a sum for half_sse)."""
        return self.reduction or default_reduction(self.fn)

    @property
    def own_class(self) -> bool:
        """Whether this is a loss class of the user's own (a subclass with ``call``), saved by its class name."""
        return type(self).call is not Loss.call


# Keras's reduction names and fnlearn's; None is Keras's "no reduction"
KERAS_REDUCTIONS = {"sum_over_batch_size": "mean", "auto": "mean", "mean": "mean", "sum": "sum", "none": "none",
                    None: "none"}


def keras_reduction(value: Any) -> str:
    """fnlearn's reduction for one of Keras's names (``"sum_over_batch_size"`` is a mean).

    >>> keras_reduction("sum_over_batch_size"), keras_reduction(None)
    ('mean', 'none')
    """
    if not isinstance(value, (str, type(None))) or value not in KERAS_REDUCTIONS:
        raise ConfigError(f"reduction {value!r} is not known; use 'sum_over_batch_size', 'sum' or 'none'.")
    return KERAS_REDUCTIONS[value]


def reduction_for_keras(value: str | None) -> str:
    """Keras's name of fnlearn's reduction ``value`` (a loss's own None is Keras's default, a mean), as Keras writes
    it in a loss's config.

    >>> reduction_for_keras("mean"), reduction_for_keras("none")
    ('sum_over_batch_size', 'none')
    """
    return {"mean": "sum_over_batch_size", "sum": "sum", "none": "none", None: "sum_over_batch_size"}[value]


def require_per_sample(per_sample: Any, n: int) -> None:
    """A loss given sample weights must give one value per sample: say so in one sentence otherwise."""
    if not isinstance(per_sample, Tensor) or per_sample.size != n:
        size = f"{per_sample.size} value(s)" if isinstance(per_sample, Tensor) else type(per_sample).__name__
        raise ConfigError(f"sample or class weights need one loss value per sample ({n} here), but the loss "
                          f"function returns {size}; return one value per sample (e.g. a mean over axis=-1), as "
                          "Keras losses do.")


def weighted(per_sample: Tensor, sample_weight: Any, reduction: str) -> Tensor:
    """Keras's weighted loss: Σ wᵢ·lossᵢ, divided by the number of samples for a mean (not by Σ wᵢ); the
    weighted values themselves for ``"none"``. Values that carry a mask (a loss's ``ignore_class``) are
    averaged over the kept ones only, as Keras's masked losses.

    >>> float(weighted(Tensor(np.array([1.0, 3.0])), [1.0, 0.0], "mean"))
    0.5
    """
    weights = backend.xp().asarray(sample_weight)
    n = int(weights.size)
    require_per_sample(per_sample, n)
    weights = Tensor(weights.astype(per_sample.dtype).reshape(per_sample.shape))
    if reduction == "none":
        return per_sample * weights
    total = F.sum(per_sample * weights)
    mask = getattr(per_sample, "_mask", None)
    if mask is not None and reduction == "mean":
        return total / float(max(int(mask.sum()), 1))
    return total / n if reduction == "mean" else total


def default_reduction(fn: LossFn) -> str:
    """How a built-in loss reduces its per-sample values unless told: ``"mean"``, or ``"sum"`` (half_sse).

    >>> default_reduction(half_sse), default_reduction(mse)
    ('sum', 'mean')
    """
    import inspect

    parameter = inspect.signature(fn).parameters.get("reduction")
    return "mean" if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def canonical_name(name: str) -> str:
    """The short name of a loss: ``"mean_squared_error"`` → ``"mse"``; other names lower-cased.

    >>> canonical_name("Mean_Absolute_Percentage_Error"), canonical_name("logcosh")
    ('mape', 'log_cosh')
    """
    name = name.lower()
    return _ALIASES.get(name, name)


_ALIASES = {"mean_squared_error": "mse", "mean_absolute_error": "mae", "mean_absolute_percentage_error": "mape",
            "mean_squared_logarithmic_error": "msle", "logcosh": "log_cosh", "kld": "kl_divergence"}


def get(spec: Any) -> LossFn:
    """A loss function from its name or a callable(y_true, y_pred)."""
    if callable(spec):
        return spec
    if isinstance(spec, str) and spec.lower() in LOSSES:
        return LOSSES[spec.lower()]
    raise unknown_name("loss", spec, LOSSES)


# the cross-entropies that take probabilities: the activation that makes them, and Keras's class for raw scores
PROBABILITY_LOSSES = {"binary_crossentropy": ("sigmoid", "BinaryCrossentropy"),
                      "categorical_crossentropy": ("softmax", "CategoricalCrossentropy"),
                      "sparse_categorical_crossentropy": ("softmax", "SparseCategoricalCrossentropy")}


def raw_scores_fix(name: str, keras_way: bool) -> str:
    """What to do when a cross-entropy that takes probabilities (``name``) gets raw scores, in the user's API.

    >>> raw_scores_fix("sparse_categorical_crossentropy", keras_way=True)
    "give its last layer activation='softmax', or compile with loss=keras.losses.SparseCategoricalCrossentropy(...)"
    """
    final, cls = PROBABILITY_LOSSES[name]
    loss = f"keras.losses.{cls}(from_logits=True)" if keras_way else f"fl.losses.Loss({name!r}, from_logits=True)"
    return f"give its last layer activation={final!r}, or compile with loss={loss}"
