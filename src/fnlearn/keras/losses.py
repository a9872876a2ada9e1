"""``keras.losses``: the Keras loss classes and functions, computed by :mod:`fnlearn.losses`.

Classes: ``MeanSquaredError``, ``MeanAbsoluteError``, ``MeanAbsolutePercentageError``,
``MeanSquaredLogarithmicError``, ``Huber``, ``LogCosh``, ``Hinge``, ``SquaredHinge``, ``KLDivergence``, ``Poisson``,
``CosineSimilarity``, ``BinaryCrossentropy``, ``CategoricalCrossentropy`` (with ``label_smoothing``),
``SparseCategoricalCrossentropy`` (with ``ignore_class``), ``CTC``, ``Circle``. Functions:
``mean_squared_error`` (``mse``), ``mean_absolute_error`` (``mae``), ``mean_absolute_percentage_error`` (``mape``),
``mean_squared_logarithmic_error`` (``msle``), ``huber``, ``log_cosh``, ``hinge``, ``squared_hinge``,
``kl_divergence`` (``kld``), ``poisson``, ``cosine_similarity``, ``binary_crossentropy``,
``categorical_crossentropy``, ``sparse_categorical_crossentropy``, ``ctc``, ``circle``.
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
categorical_hinge = _per_sample(_losses.categorical_hinge, "categorical_hinge")
binary_focal_crossentropy = _per_sample(_losses.binary_focal_crossentropy, "binary_focal_crossentropy",
                                        ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing"))
categorical_focal_crossentropy = _per_sample(_losses.categorical_focal_crossentropy, "categorical_focal_crossentropy",
                                             ("alpha", "gamma", "from_logits", "label_smoothing"))
dice = _per_sample(_losses.dice, "dice", ("axis",))
tversky = _per_sample(_losses.tversky, "tversky", ("alpha", "beta", "axis"))
categorical_generalized_cross_entropy = _per_sample(_losses.categorical_generalized_cross_entropy,
                                                    "categorical_generalized_cross_entropy", ("q",))


def ctc(y_true: Any, y_pred: Any) -> Tensor:
    """Keras's ``ctc``: the CTC loss of each sample's integer label row (0 the blank and padding) against its
    logits (batch, time, classes) over all their steps; one value per sample.

    >>> import numpy as np
    >>> [round(v, 6) for v in ctc([[1, 0], [2, 1]], np.zeros((2, 3, 3))).numpy().tolist()]
    [1.504077, 1.686399]
    """
    return _losses.ctc(y_true, y_pred, reduction="none")


def circle(y_true: Any, y_pred: Any, ref_labels: Any = None, ref_embeddings: Any = None, remove_diagonal: bool = True,
           gamma: float = 80, margin: float = 0.4) -> Tensor:
    """Keras's ``circle``: the Circle loss of integer labels and L2-normalized embeddings, one value per sample
    (0 for a sample with no positive or no negative; a mean of them, as the class takes, skips those).

    >>> import numpy as np
    >>> circle([0, 1], np.array([[1.0, 0.0], [0.0, 1.0]])).numpy().tolist()  # no sample has a positive
    [0.0, 0.0]
    """
    return _losses.circle(y_true, y_pred, ref_labels=ref_labels, ref_embeddings=ref_embeddings,
                          remove_diagonal=remove_diagonal, gamma=gamma, margin=margin, reduction="none")


ctc.builtin = _losses.ctc  # type: ignore[attr-defined]  (compile trains on the named loss: files record "ctc")
circle.builtin = _losses.circle  # type: ignore[attr-defined]


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


class CategoricalHinge(Loss):
    """max(max over the wrong classes of ŷ − ŷ of the true class + 1, 0), for one-hot targets.

    >>> float(CategoricalHinge()([[0.0, 1.0]], [[0.5, 0.25]]))
    1.25
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None, dtype: Any = None) -> None:
        super().__init__("categorical_hinge", reduction=_reduction(reduction))


def _changed(settings: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The settings that differ from Keras's defaults: a loss at its defaults saves as its plain name."""
    return {key: value for key, value in settings.items() if value != defaults[key]}


class BinaryFocalCrossentropy(Loss):
    """Binary focal cross-entropy (1 − p_t)^γ · bce, optionally class-balanced by α; ``from_logits`` and
    ``label_smoothing`` as :class:`BinaryCrossentropy`'s.

    >>> round(float(BinaryFocalCrossentropy(from_logits=True)([[1.0]], [[0.0]])), 6)
    0.173287
    """

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size", name: str | None = None, dtype: Any = None) -> None:
        _last_axis("BinaryFocalCrossentropy", axis)
        gamma, alpha = _losses.check_focal(gamma, alpha, "BinaryFocalCrossentropy")
        settings = {"apply_class_balancing": bool(apply_class_balancing), "alpha": alpha, "gamma": gamma,
                    "from_logits": bool(from_logits)}
        super().__init__("binary_focal_crossentropy", reduction=_reduction(reduction),
                         **_changed(settings, {"apply_class_balancing": False, "alpha": 0.25, "gamma": 2.0,
                                               "from_logits": False}),
                         **_smoothing("BinaryFocalCrossentropy", label_smoothing))


class CategoricalFocalCrossentropy(Loss):
    """Categorical focal cross-entropy −Σ α·(1 − p)^γ·y·log p, for one-hot targets; ``from_logits`` and
    ``label_smoothing`` as :class:`CategoricalCrossentropy`'s.

    >>> round(float(CategoricalFocalCrossentropy(from_logits=True)([[1.0, 0.0]], [[0.0, 0.0]])), 6)
    0.043322
    """

    def __init__(self, alpha: Any = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1, reduction: Any = "sum_over_batch_size",
                 name: str | None = None, dtype: Any = None) -> None:
        _last_axis("CategoricalFocalCrossentropy", axis)
        gamma, alpha = _losses.check_focal(gamma, alpha, "CategoricalFocalCrossentropy", per_class=True)
        settings = {"alpha": list(alpha) if isinstance(alpha, tuple) else alpha, "gamma": gamma,
                    "from_logits": bool(from_logits)}
        super().__init__("categorical_focal_crossentropy", reduction=_reduction(reduction),
                         **_changed(settings, {"alpha": 0.25, "gamma": 2.0, "from_logits": False}),
                         **_smoothing("CategoricalFocalCrossentropy", label_smoothing))


def _axis_setting(axis: Any) -> dict[str, Any]:
    """Dice's and Tversky's ``axis`` as an option (a list, as a model file keeps it), left out at None."""
    if axis is None:
        return {}
    return {"axis": list(axis) if isinstance(axis, (list, tuple)) else axis}


class Dice(Loss):
    """1 − 2·Σ y·ŷ / (Σ y + Σ ŷ), summed over ``axis`` (None: the whole batch gives one value, Keras's default).

    >>> round(float(Dice()([[1.0, 0.0]], [[1.0, 1.0]])), 6)
    0.333333
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = None, axis: Any = None,
                 dtype: Any = None) -> None:
        _losses._overlap_axes(axis, None, "Dice")
        super().__init__("dice", reduction=_reduction(reduction), **_axis_setting(axis))


class Tversky(Loss):
    """1 − Σ y·ŷ / (Σ y·ŷ + α·Σ y·(1 − ŷ) + β·Σ (1 − y)·ŷ), summed over ``axis`` as :class:`Dice`.

    >>> round(float(Tversky(alpha=0.0, beta=1.0)([[1.0, 0.0]], [[1.0, 1.0]])), 6)
    0.5
    """

    def __init__(self, alpha: float = 0.5, beta: float = 0.5, reduction: Any = "sum_over_batch_size",
                 name: str | None = None, axis: Any = None, dtype: Any = None) -> None:
        alpha, beta = _losses.check_tversky(alpha, beta)
        _losses._overlap_axes(axis, None, "Tversky")
        super().__init__("tversky", reduction=_reduction(reduction),
                         **_changed({"alpha": alpha, "beta": beta}, {"alpha": 0.5, "beta": 0.5}),
                         **_axis_setting(axis))


class CategoricalGeneralizedCrossEntropy(Loss):
    """(1 − p[label]^q) / q for integer labels and probabilities, robust to noisy labels.

    >>> float(CategoricalGeneralizedCrossEntropy()([1], [[0.75, 0.25]]))
    1.0
    """

    def __init__(self, q: float = 0.5, reduction: Any = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None) -> None:
        q = _losses.check_q(q)
        super().__init__("categorical_generalized_cross_entropy", reduction=_reduction(reduction),
                         **({} if q == 0.5 else {"q": q}))


class CTC(Loss):
    """The CTC loss (Graves et al. 2006) of integer label rows (batch, max_label_length), 0 the blank and
    padding, against logits (batch, time, classes), for sequences whose alignment to the labels is unknown
    (speech, handwriting); the batch's mean of :func:`ctc`.

    >>> import numpy as np
    >>> round(float(CTC()([[1, 0]], np.zeros((1, 2, 3)))), 6)
    1.098612
    """

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str | None = "ctc", dtype: Any = None) -> None:
        super().__init__("ctc", reduction=_reduction(reduction))


class Circle(Loss):
    """Circle loss (Sun et al. 2020) for metric learning: integer labels against L2-normalized embeddings (a
    ``Dense`` without activation then ``UnitNormalization``), each sample's same-label batch mates pulled in and the
    others pushed out with weights that grow with how far each pair is from its optimum (``gamma`` the scale,
    ``margin`` the relaxation); the mean of :func:`circle` over the samples whose loss is above 0.

    >>> import numpy as np
    >>> round(float(Circle(gamma=1.0)([0, 0, 1], np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]))), 6)
    0.789009
    """

    def __init__(self, gamma: float = 80.0, margin: float = 0.4, remove_diagonal: bool = True,
                 reduction: Any = "sum_over_batch_size", name: str | None = "circle", dtype: Any = None) -> None:
        gamma, margin, remove_diagonal = _losses.check_circle(gamma, margin, remove_diagonal)
        settings = {"gamma": gamma, "margin": margin, "remove_diagonal": remove_diagonal}
        # the defaults are left out of the options, so Circle() saves as plain "circle"
        super().__init__("circle", reduction=_reduction(reduction),
                         **_changed(settings, {"gamma": 80.0, "margin": 0.4, "remove_diagonal": True}))


def serialize(loss: Any) -> Any:
    """Keras's description of a loss, ``{"module", "class_name", "config", "registered_name"}``: a loss object's
    class and settings, or for one of the loss functions its name as ``config``.

    >>> serialize(Huber(delta=2.0))["config"]["delta"], serialize(mean_squared_error)["config"]
    (2.0, 'mean_squared_error')
    """
    if isinstance(loss, Loss):
        config = {k: v for k, v in loss.get_config().items() if k != "name"}
        config["reduction"] = _losses.reduction_for_keras(loss.reduction)
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": config,
                "registered_name": None}
    name = getattr(loss, "__name__", None)
    if callable(loss) and isinstance(name, str) and name in _FUNCTIONS:
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    raise ConfigError(f"keras.losses.serialize got {loss!r}; it takes a keras.losses class object (such as "
                      "keras.losses.Huber()) or one of the keras.losses functions.")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The loss :func:`serialize` described (or a loss function's name).

    >>> deserialize(serialize(Huber(delta=2.0))).options
    {'delta': 2.0}
    """
    custom = custom_objects or {}
    if isinstance(config, str):
        if config in custom:
            return custom[config]
        if config in _FUNCTIONS:
            return _FUNCTIONS[config]
        raise ConfigError(f"keras.losses.deserialize: {config!r} is not a Keras loss name; give one of "
                          f"{', '.join(sorted(_FUNCTIONS))}, or pass custom_objects for a loss of your own.")
    if isinstance(config, dict) and config.get("class_name") == "function" and isinstance(config.get("config"), str):
        return deserialize(config["config"], custom_objects)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ConfigError(f"keras.losses.deserialize got {config!r}; it takes what keras.losses.serialize gives "
                          "(a dict with 'class_name' and 'config') or a loss name.")
    return made_from_config(config, "keras.losses", "loss", _CLASSES, custom)


def made_from_config(config: dict[str, Any], module: str, kind: str, classes: dict[str, Any],
                     custom: dict[str, Any]) -> Any:
    """The object of a Keras config ``{"class_name", "config"}``, its class found in ``custom`` then ``classes``, made
    with the settings its class takes (a setting another library records and this class has not is left out)."""
    import inspect  # here: only deserializing needs it

    class_name, settings = config["class_name"], dict(config.get("config") or {})
    make = custom.get(class_name) or classes.get(class_name)
    if make is None:
        raise ConfigError(f"{module}.deserialize: the {kind} class {class_name!r} is not known; pass "
                          f"custom_objects={{{class_name!r}: {class_name}}} for a class of your own.")
    takes = inspect.signature(make).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in takes.values()):
        settings = {k: v for k, v in settings.items() if k in takes}
    return make(**settings)


get = _losses.get

_FUNCTIONS: dict[str, Callable[..., Tensor]] = {fn.__name__: fn for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error, huber,
    log_cosh, hinge, squared_hinge, kl_divergence, poisson, cosine_similarity, binary_crossentropy,
    categorical_crossentropy, sparse_categorical_crossentropy, categorical_hinge, binary_focal_crossentropy,
    categorical_focal_crossentropy, dice, tversky, categorical_generalized_cross_entropy, ctc, circle)}

__all__ = ["Loss", "CategoricalHinge", "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice", "Tversky",
           "CategoricalGeneralizedCrossEntropy", "categorical_hinge", "binary_focal_crossentropy",
           "categorical_focal_crossentropy", "dice", "tversky", "categorical_generalized_cross_entropy", "serialize",
           "deserialize", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "Huber", "LogCosh", "Hinge", "SquaredHinge", "KLDivergence", "Poisson",
           "CosineSimilarity", "kl_divergence", "kld", "KLD", "poisson", "cosine_similarity", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "mean_squared_error", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "mse", "mae", "mape", "msle", "MSE",
           "MAE", "MAPE", "MSLE", "huber", "log_cosh", "logcosh", "hinge", "squared_hinge", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "get", "CTC", "ctc", "Circle", "circle"]

__getattr__ = not_provided(__name__, __all__)

_CLASSES: dict[str, type[Loss]] = {name: obj for name, obj in globals().items()
                                   if isinstance(obj, type) and issubclass(obj, Loss) and obj is not Loss}
