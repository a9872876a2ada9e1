"""``keras.losses``: the Keras loss classes and functions, computed by :mod:`fnlearn.losses`.

Classes: ``MeanSquaredError``, ``MeanAbsoluteError``, ``MeanAbsolutePercentageError``,
``MeanSquaredLogarithmicError``, ``Huber``, ``LogCosh``, ``Hinge``, ``SquaredHinge``, ``KLDivergence``, ``Poisson``,
``CosineSimilarity``, ``BinaryCrossentropy``, ``CategoricalCrossentropy`` (with ``label_smoothing``),
``SparseCategoricalCrossentropy`` (with ``ignore_class``). Functions: ``mean_squared_error`` (``mse``),
``mean_absolute_error`` (``mae``), ``mean_absolute_percentage_error`` (``mape``),
``mean_squared_logarithmic_error`` (``msle``), ``huber``, ``log_cosh``, ``hinge``, ``squared_hinge``,
``kl_divergence`` (``kld``), ``poisson``, ``cosine_similarity``, ``binary_crossentropy``,
``categorical_crossentropy``, ``sparse_categorical_crossentropy``.
As in Keras, the functions return one value per sample (a custom loss may weight them, as Keras's guides
do) and the classes the batch's mean; ``compile(loss=...)`` takes either and trains on the mean. fnlearn's
own ``fl.losses`` functions return the mean (``reduction="none"`` for per-sample values).

Example:
    >>> from fnlearn.keras import losses
    >>> float(losses.MeanSquaredError()([[1.0], [2.0]], [[1.0], [4.0]]))
    2.0
    >>> losses.mean_squared_error([[1.0], [2.0]], [[1.0], [4.0]]).numpy().tolist()
    [0.0, 4.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import losses as _losses
from ..errors import ConfigError
from ..losses import Loss
from ..tensor import Tensor
from ._missing import not_provided

_reduction = _losses.keras_reduction


def _last_axis(cls: str, axis: int) -> None:
    if axis != -1:
        raise ConfigError(f"{cls}(axis={axis!r}) is not supported; fnlearn's classes lie along the last "
                          "axis.")


def _per_sample(builtin: Callable[..., Tensor], name: str, takes: tuple[str, ...] = ()) -> Callable[..., Tensor]:
    """Keras's loss function ``name``: fnlearn's ``builtin`` with one value per sample (``reduction="none"``).
    ``takes`` are the settings it passes on (``from_logits``, ``delta``, ``label_smoothing``, ``ignore_class``);
    Keras's ``axis`` is taken at its default only, as the classes take it."""

    def loss(y_true: Any, y_pred: Any, **settings: Any) -> Tensor:
        if "axis" not in takes:
            _last_axis(name, settings.pop("axis", -1))
        unknown = [key for key in settings if key not in takes]
        if unknown:
            raise ConfigError(f"keras.losses.{name} got {', '.join(unknown)}, which it does not take; it takes "
                              f"y_true, y_pred{''.join(', ' + t for t in takes)}.")
        return builtin(y_true, y_pred, reduction="none", **settings)

    loss.__name__ = loss.__qualname__ = name
    loss.__doc__ = f"Keras's ``{name}``: one value per sample (fnlearn's ``fl.losses`` function with " \
                   "``reduction='none'``)."
    loss.builtin = builtin  # type: ignore[attr-defined]  (compile trains on the built-in's fast step)
    return loss


mean_squared_error = MSE = mse = _per_sample(_losses.mse, "mean_squared_error")
mean_absolute_error = MAE = mae = _per_sample(_losses.mae, "mean_absolute_error")
mean_absolute_percentage_error = MAPE = mape = _per_sample(_losses.mape, "mean_absolute_percentage_error")
mean_squared_logarithmic_error = MSLE = msle = _per_sample(_losses.msle, "mean_squared_logarithmic_error")
huber = _per_sample(_losses.huber, "huber", ("delta",))
log_cosh = logcosh = _per_sample(_losses.log_cosh, "log_cosh")
hinge = _per_sample(_losses.hinge, "hinge")
squared_hinge = _per_sample(_losses.squared_hinge, "squared_hinge")
kl_divergence = kld = KLD = _per_sample(_losses.kl_divergence, "kl_divergence")
poisson = _per_sample(_losses.poisson, "poisson")
cosine_similarity = _per_sample(_losses.cosine_similarity, "cosine_similarity", ("axis",))
binary_crossentropy = _per_sample(_losses.binary_crossentropy, "binary_crossentropy",
                                  ("from_logits", "label_smoothing"))
categorical_crossentropy = _per_sample(_losses.categorical_crossentropy, "categorical_crossentropy",
                                       ("from_logits", "label_smoothing"))
sparse_categorical_crossentropy = _per_sample(_losses.sparse_categorical_crossentropy,
                                              "sparse_categorical_crossentropy", ("from_logits", "ignore_class"))


class MeanSquaredError(Loss):
    """Mean of (y − ŷ)²."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("mse", reduction=_reduction(reduction))


class MeanAbsoluteError(Loss):
    """Mean of |y − ŷ|."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("mae", reduction=_reduction(reduction))


class MeanAbsolutePercentageError(Loss):
    """100 · mean of |y − ŷ| / max(|y|, 1e-7).

    >>> float(MeanAbsolutePercentageError()([[2.0], [4.0]], [[1.0], [5.0]]))
    37.5
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("mape", reduction=_reduction(reduction))


class MeanSquaredLogarithmicError(Loss):
    """Mean of (log(ŷ + 1) − log(y + 1))², values below 1e-7 taken as 1e-7.

    >>> round(float(MeanSquaredLogarithmicError()([[0.0]], [[1.718281828459045]])), 6)
    1.0
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("msle", reduction=_reduction(reduction))


class Huber(Loss):
    """½e² where |e| ≤ delta, delta·(|e| − ½·delta) beyond.

    >>> float(Huber(delta=2.0)([[0.0], [0.0]], [[1.0], [4.0]]))
    3.25
    """

    def __init__(self, delta: float = 1.0, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        delta = _losses.check_delta(delta, "Huber")
        # the default is left out of the options, so a model compiled with Huber() saves as plain "huber"
        super().__init__("huber", reduction=_reduction(reduction), **({} if delta == 1.0 else {"delta": delta}))


class LogCosh(Loss):
    """Mean of log(cosh(ŷ − y)), computed without overflow at any error.

    >>> round(float(LogCosh()([[0.0]], [[1.0]])), 6)
    0.433781
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("log_cosh", reduction=_reduction(reduction))


class Hinge(Loss):
    """Mean of max(1 − y·ŷ, 0) for labels −1/+1 (0/1 labels are turned into −1/+1).

    >>> float(Hinge()([[1.0], [0.0]], [[0.5], [0.5]]))
    1.0
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("hinge", reduction=_reduction(reduction))


class SquaredHinge(Loss):
    """Mean of max(1 − y·ŷ, 0)² for labels −1/+1 (0/1 labels are turned into −1/+1).

    >>> float(SquaredHinge()([[1.0], [0.0]], [[0.5], [0.5]]))
    1.25
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("squared_hinge", reduction=_reduction(reduction))


class KLDivergence(Loss):
    """Σ y·log(y / ŷ) per sample, both clipped into [1e-7, 1].

    >>> round(float(KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]])), 6)
    0.143841
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("kl_divergence", reduction=_reduction(reduction))


class Poisson(Loss):
    """Mean of ŷ − y·log(ŷ + 1e-7), for counts.

    >>> round(float(Poisson()([[2.0]], [[1.0]])), 6)
    1.0
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        super().__init__("poisson", reduction=_reduction(reduction))


class CosineSimilarity(Loss):
    """−cos(y, ŷ) along ``axis``: −1 for a prediction pointing the target's way.

    >>> round(float(CosineSimilarity()([[1.0, 1.0]], [[2.0, 2.0]])), 6)
    -1.0
    """

    def __init__(self, axis: int = -1, reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ConfigError(f"CosineSimilarity(axis={axis!r}): axis must be an integer axis of y_pred (-1, the "
                              "last, is Keras's default).")
        # the default axis is left out of the options, so CosineSimilarity() saves as plain "cosine_similarity"
        super().__init__("cosine_similarity", reduction=_reduction(reduction), **({} if axis == -1 else
                                                                                   {"axis": axis}))


def _smoothing(cls: str, label_smoothing: Any) -> dict[str, float]:
    """The ``label_smoothing`` option, left out at 0 so such a loss saves as before."""
    smoothing = _losses.check_label_smoothing(label_smoothing, cls)
    return {"label_smoothing": smoothing} if smoothing else {}


class BinaryCrossentropy(Loss):
    """Binary cross-entropy for targets in [0, 1]; ``from_logits=True`` for raw scores; ``label_smoothing`` = s
    trains on targets y·(1 − s) + s/2.

    >>> round(float(BinaryCrossentropy(from_logits=True, label_smoothing=0.5)([[1.0]], [[0.0]])), 6)
    0.693147
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        _last_axis("BinaryCrossentropy", axis)
        super().__init__("binary_crossentropy", reduction=_reduction(reduction),
                         from_logits=bool(from_logits), **_smoothing("BinaryCrossentropy", label_smoothing))


class CategoricalCrossentropy(Loss):
    """Cross-entropy for one-hot targets; ``from_logits=True`` for raw scores; ``label_smoothing`` = s trains on
    targets y·(1 − s) + s/k for k classes.

    >>> round(float(CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)([[1.0, 0.0]], [[0.0, 0.0]])), 6)
    0.693147
    """

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        _last_axis("CategoricalCrossentropy", axis)
        super().__init__("categorical_crossentropy", reduction=_reduction(reduction),
                         from_logits=bool(from_logits), **_smoothing("CategoricalCrossentropy", label_smoothing))


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy for integer labels 0..k−1; ``from_logits=True`` for raw scores. Labels equal to
    ``ignore_class`` (e.g. −1 or 255 for a 'void' class) count for nothing: the mean is over the others.

    >>> round(float(SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)([0, -1], [[0.0, 0.0],
    ...                                                                                  [9.0, 0.0]])), 6)
    0.693147
    """

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: Any = "sum_over_batch_size", name: str | None = None) -> None:
        ignore = _losses.check_ignore_class(ignore_class, "SparseCategoricalCrossentropy")
        super().__init__("sparse_categorical_crossentropy", reduction=_reduction(reduction),
                         from_logits=bool(from_logits), **({} if ignore is None else {"ignore_class": ignore}))


get = _losses.get

__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "Huber", "LogCosh", "Hinge", "SquaredHinge", "KLDivergence", "Poisson",
           "CosineSimilarity", "kl_divergence", "kld", "KLD", "poisson", "cosine_similarity", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "mean_squared_error", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "mse", "mae", "mape", "msle", "MSE",
           "MAE", "MAPE", "MSLE", "huber", "log_cosh", "logcosh", "hinge", "squared_hinge", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "get"]

__getattr__ = not_provided(__name__, __all__)
