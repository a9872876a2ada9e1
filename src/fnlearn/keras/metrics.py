"""``keras.metrics``: metric functions and classes by their Keras names.

Functions take ``(y_true, y_pred)`` and return a float. The accuracy, error and cross-entropy classes
(``BinaryAccuracy()``, ``CategoricalAccuracy()``, ``TopKCategoricalAccuracy(k=5)``,
``SparseTopKCategoricalAccuracy(k=5)``, ...) make a named metric for ``compile(metrics=[...])`` that fnlearn
averages over the samples of an epoch, which is what Keras's accuracy metrics report. A function given to
``compile(metrics=[...])`` is logged under its own name, as in Keras (``metrics.mean_squared_error`` as
``mean_squared_error``).

The metrics that are not averages of batch values keep state across batches as Keras's do (``update_state``,
``result``, ``reset_state``): ``Precision``, ``Recall``, ``AUC`` (ROC or PR), ``TruePositives``,
``FalsePositives``, ``TrueNegatives``, ``FalseNegatives``, ``PrecisionAtRecall``, ``RecallAtPrecision``,
``SensitivityAtSpecificity``, ``SpecificityAtSensitivity``, ``F1Score``, ``FBetaScore``,
``RootMeanSquaredError``, ``R2Score``, ``Accuracy``, ``CosineSimilarity``, ``KLDivergence``, ``Poisson``, ``Mean``,
``Sum`` and ``MeanMetricWrapper``. ``Metric`` is Keras's base class:
subclass it with ``update_state`` / ``result`` and ``self.add_weight(...)`` state, as the Keras guides do.

Example:
    >>> from fnlearn.keras import metrics
    >>> metrics.CategoricalAccuracy()([[0, 1], [1, 0]], [[0.1, 0.9], [0.2, 0.8]])
    0.5
    >>> auc = metrics.AUC(curve="PR")
    >>> auc.update_state([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.7]); round(auc.result(), 4)  # as Keras
    0.7973
"""

from __future__ import annotations

from typing import Any

from .. import backend
from .. import losses as _losses
from .. import metrics as _metrics
from ..errors import ConfigError
from ..metrics import (
    AUC,
    Accuracy,
    BinaryIoU,
    CategoricalHinge,
    ConcordanceCorrelation,
    CosineSimilarity,
    F1Score,
    FalseNegatives,
    FalsePositives,
    FBetaScore,
    Hinge,
    IoU,
    KLDivergence,
    LogCoshError,
    Mean,
    MeanAbsolutePercentageError,
    MeanIoU,
    MeanMetricWrapper,
    MeanSquaredLogarithmicError,
    Metric,
    OneHotIoU,
    OneHotMeanIoU,
    PearsonCorrelation,
    Poisson,
    Precision,
    PrecisionAtRecall,
    R2Score,
    Recall,
    RecallAtPrecision,
    RootMeanSquaredError,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    SquaredHinge,
    Sum,
    TrueNegatives,
    TruePositives,
)
from ..tensor import Tensor, no_grad
from . import losses as _keras_losses
from ._missing import not_provided


def BinaryAccuracy(name: str = "binary_accuracy", dtype: Any = None,  # noqa: N802  (Keras's class name)
                   threshold: float = 0.5) -> Metric:
    """Fraction of outputs on the right side of ``threshold``."""
    if threshold == 0.5:
        return _recorded(Metric(_metrics.binary_accuracy, name, per_sample=_per_sample(_metrics.binary_accuracy)),
                         "BinaryAccuracy", "binary_accuracy")
    return _recorded(Metric(lambda t, p: _metrics.binary_accuracy(t, p, threshold=threshold), name,
                            per_sample=lambda t, p: _metrics._binary_hits(t, p, threshold)), "BinaryAccuracy",
                     "binary_accuracy", threshold=threshold)


def CategoricalAccuracy(name: str = "categorical_accuracy", dtype: Any = None) -> Metric:  # noqa: N802
    """Fraction of samples whose largest output is the one-hot target's class."""
    return _recorded(Metric(_metrics.categorical_accuracy, name, per_sample=_per_sample(_metrics.categorical_accuracy)),
                     "CategoricalAccuracy", "categorical_accuracy")


def SparseCategoricalAccuracy(name: str = "sparse_categorical_accuracy", dtype: Any = None) -> Metric:  # noqa: N802
    """Fraction of samples whose largest output is the integer label."""
    fn = _metrics.sparse_categorical_accuracy
    return _recorded(Metric(fn, name, per_sample=_per_sample(fn)),
                     "SparseCategoricalAccuracy", "sparse_categorical_accuracy")


def TopKCategoricalAccuracy(k: int = 5, name: str = "top_k_categorical_accuracy",  # noqa: N802
                            dtype: Any = None) -> Metric:
    """Fraction of samples whose one-hot target's class is among the ``k`` largest outputs (a tie with the k-th
    counts in, as in Keras).

    >>> TopKCategoricalAccuracy(k=1)([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    0.5
    """
    k = _metrics._check_k(k, "TopKCategoricalAccuracy")
    per_sample = _metrics._per_sample(_metrics._top_k_hit_values)
    return _recorded(Metric(lambda t, p: _metrics.top_k_categorical_accuracy(t, p, k=k), name,
                            per_sample=lambda t, p: per_sample(t, p, k)),
                     "TopKCategoricalAccuracy", "top_k_categorical_accuracy", **({"k": k} if k != 5 else {}))


def SparseTopKCategoricalAccuracy(k: int = 5, name: str = "sparse_top_k_categorical_accuracy",  # noqa: N802
                                  dtype: Any = None, from_sorted_ids: bool = False) -> Metric:
    """Fraction of samples whose integer label is among the ``k`` largest outputs (a tie with the k-th counts in,
    as in Keras); ``from_sorted_ids=True`` reads y_pred as class ids sorted best first.

    >>> SparseTopKCategoricalAccuracy(k=2)([2, 0], [[0.5, 0.3, 0.2], [0.5, 0.3, 0.2]])
    0.5
    """
    k = _metrics._check_k(k, "SparseTopKCategoricalAccuracy")
    if not isinstance(from_sorted_ids, bool):
        raise ConfigError(f"SparseTopKCategoricalAccuracy: from_sorted_ids must be True or False, got "
                          f"{from_sorted_ids!r}.")
    settings = {**({"k": k} if k != 5 else {}), **({"from_sorted_ids": True} if from_sorted_ids else {})}
    per_sample = _metrics._per_sample(_metrics._sparse_top_k_hit_values)
    fn = _metrics.sparse_top_k_categorical_accuracy
    return _recorded(Metric(lambda t, p: fn(t, p, k=k, from_sorted_ids=from_sorted_ids),
                            name, per_sample=lambda t, p: per_sample(t, p, k, from_sorted_ids)),
                     "SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy", **settings)


def MeanSquaredError(name: str = "mean_squared_error", dtype: Any = None) -> Metric:  # noqa: N802
    """Mean of (y − ŷ)²."""
    return _recorded(Metric(_metrics.mean_squared_error, name, per_sample=_per_sample(_metrics.mean_squared_error)),
                     "MeanSquaredError", "mean_squared_error")


def MeanAbsoluteError(name: str = "mean_absolute_error", dtype: Any = None) -> Metric:  # noqa: N802
    """Mean of |y − ŷ|."""
    return _recorded(Metric(_metrics.mean_absolute_error, name, per_sample=_per_sample(_metrics.mean_absolute_error)),
                     "MeanAbsoluteError", "mean_absolute_error")


def _per_sample(fn: Any) -> Any:
    """The per-sample values of a built-in metric function, which weighted_metrics weight."""
    return _metrics._PER_SAMPLE[fn]


def _cross_entropy(name: str, from_logits: bool, metric_name: str, label_smoothing: Any = 0.0) -> Metric:
    """A cross-entropy as a metric, with its own ``from_logits`` (the tutorial's
    ``metrics=[keras.metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy")]``) and, for the
    binary and categorical ones, ``label_smoothing``."""
    fn = getattr(_losses, name)
    if not isinstance(from_logits, bool):
        raise ConfigError(f"{metric_name}: from_logits must be True or False, got {from_logits!r}.")
    smoothing = _losses.check_label_smoothing(label_smoothing, _CLASS_OF[name])
    options = {"label_smoothing": smoothing} if smoothing else {}

    def value(y_true: Any, y_pred: Any) -> float:
        with no_grad():
            scores = Tensor(y_pred.data if isinstance(y_pred, Tensor) else y_pred)
            return float(fn(y_true, scores, from_logits=from_logits, **options).item())

    def per_sample(y_true: Any, y_pred: Any) -> Any:
        with no_grad():
            scores = Tensor(y_pred.data if isinstance(y_pred, Tensor) else y_pred)
            return fn(y_true, scores, from_logits=from_logits, reduction="none", **options).data

    metric = Metric(value, metric_name, per_sample=per_sample)
    return _recorded(metric, _CLASS_OF[name], name, **({"from_logits": True} if from_logits else {}), **options)


def _recorded(metric: Metric, class_name: str, default_name: str, **settings: Any) -> Metric:
    """Give ``metric`` what a model file needs to make it again (see :data:`SAVED_CLASSES`) where its name
    alone does not say it: settings beyond the defaults, or a name of the user's (``name="Brier score"``)."""
    if settings or metric.name != default_name:
        metric.config = {"class_name": class_name, "config": {"name": metric.name, **settings}}
    return metric


_CLASS_OF = {"binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
             "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy"}


def BinaryCrossentropy(name: str = "binary_crossentropy", dtype: Any = None,  # noqa: N802
                       from_logits: bool = False, label_smoothing: float = 0.0) -> Metric:
    """Binary cross-entropy as a metric; ``from_logits=True`` for raw scores, ``label_smoothing`` as the loss's."""
    return _cross_entropy("binary_crossentropy", from_logits, name, label_smoothing)


def CategoricalCrossentropy(name: str = "categorical_crossentropy", dtype: Any = None,  # noqa: N802
                            from_logits: bool = False, label_smoothing: float = 0.0) -> Metric:
    """Categorical cross-entropy (one-hot targets) as a metric; ``from_logits=True`` for raw scores,
    ``label_smoothing`` as the loss's.

    >>> m = CategoricalCrossentropy(from_logits=True, label_smoothing=0.2); round(m([[1.0, 0.0]], [[0.0, 0.0]]), 6)
    0.693147
    """
    return _cross_entropy("categorical_crossentropy", from_logits, name, label_smoothing)


def SparseCategoricalCrossentropy(name: str = "sparse_categorical_crossentropy", dtype: Any = None,  # noqa: N802
                                  from_logits: bool = False) -> Metric:
    """Cross-entropy with integer labels as a metric; ``from_logits=True`` for raw scores."""
    return _cross_entropy("sparse_categorical_crossentropy", from_logits, name)


get = _metrics.get

# The metric classes a model file may name, with settings (a fixed table: nothing else is looked up).
SAVED_CLASSES = {"BinaryAccuracy": BinaryAccuracy, "CategoricalAccuracy": CategoricalAccuracy,
                 "SparseCategoricalAccuracy": SparseCategoricalAccuracy, "MeanSquaredError": MeanSquaredError,
                 "MeanAbsoluteError": MeanAbsoluteError, "BinaryCrossentropy": BinaryCrossentropy,
                 "CategoricalCrossentropy": CategoricalCrossentropy,
                 "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy,
                 "TopKCategoricalAccuracy": TopKCategoricalAccuracy,
                 "SparseTopKCategoricalAccuracy": SparseTopKCategoricalAccuracy, **_metrics.BUILTIN_CLASSES}

# Keras's metric functions, as Keras gives them: one value per sample (per output for binary_accuracy), so a
# metric of one's own may weight them; compiled, each is its built-in metric (``builtin``).
def _keras_function(builtin: Any, values: Any, name: str) -> Any:
    def metric(y_true: Any, y_pred: Any, *settings: Any, **named: Any) -> Tensor:
        hits = values(y_true, y_pred, *settings, **named)
        return Tensor(hits.astype(backend.float_dtype()) if hits.dtype.kind == "b" else hits)

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = f"Keras's ``{name}``: one value per sample (``fl.metrics.{builtin.__name__}`` averages them)."
    metric.builtin = builtin  # type: ignore[attr-defined]
    return metric


binary_accuracy = _keras_function(_metrics.binary_accuracy, _metrics._binary_hit_values, "binary_accuracy")
categorical_accuracy = _keras_function(_metrics.categorical_accuracy, _metrics._categorical_hit_values,
                                       "categorical_accuracy")
sparse_categorical_accuracy = _keras_function(_metrics.sparse_categorical_accuracy, _metrics._sparse_hit_values,
                                              "sparse_categorical_accuracy")
top_k_categorical_accuracy = _keras_function(_metrics.top_k_categorical_accuracy, _metrics._top_k_hit_values,
                                             "top_k_categorical_accuracy")
sparse_top_k_categorical_accuracy = _keras_function(_metrics.sparse_top_k_categorical_accuracy,
                                                    _metrics._sparse_top_k_hit_values,
                                                    "sparse_top_k_categorical_accuracy")
mean_squared_error = mse = _keras_losses.mean_squared_error
mean_absolute_error = mae = _keras_losses.mean_absolute_error
kl_divergence = _keras_losses.kl_divergence
poisson = _keras_losses.poisson
binary_crossentropy = _keras_losses.binary_crossentropy
categorical_crossentropy = _keras_losses.categorical_crossentropy
sparse_categorical_crossentropy = _keras_losses.sparse_categorical_crossentropy
hinge = _keras_losses.hinge
squared_hinge = _keras_losses.squared_hinge
categorical_hinge = _keras_losses.categorical_hinge
huber = _keras_losses.huber
log_cosh = logcosh = _keras_losses.log_cosh
mean_absolute_percentage_error = mape = _keras_losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = msle = _keras_losses.mean_squared_logarithmic_error
binary_focal_crossentropy = _keras_losses.binary_focal_crossentropy
categorical_focal_crossentropy = _keras_losses.categorical_focal_crossentropy


def _correlation_function(values: Any, cls: type[Metric]) -> Any:
    def metric(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
        return Tensor(values(y_true, y_pred, axis=axis))

    metric.__name__ = metric.__qualname__ = values.__name__
    metric.__doc__ = f"Keras's ``{values.__name__}``: one value per sample along ``axis``; in ``compile`` it is " \
                     f"``{cls.__name__}()``."
    metric.metric_class = cls  # type: ignore[attr-defined]
    return metric


pearson_correlation = _correlation_function(_metrics.pearson_correlation, PearsonCorrelation)
concordance_correlation = _correlation_function(_metrics.concordance_correlation, ConcordanceCorrelation)

_FUNCTION_NAMES = ("binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                   "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error",
                   "mean_absolute_error", "kl_divergence", "poisson", "binary_crossentropy", "categorical_crossentropy",
                   "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "huber",
                   "log_cosh", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
                   "binary_focal_crossentropy", "categorical_focal_crossentropy", "pearson_correlation",
                   "concordance_correlation")


def serialize(metric: Any) -> dict[str, Any]:
    """Keras's description of a metric, ``{"module", "class_name", "config", "registered_name"}``: a metric
    object's class and settings, or for one of the metric functions its name as ``config``.

    >>> serialize(Hinge())["class_name"], serialize(hinge)["config"]
    ('Hinge', 'hinge')
    """
    if isinstance(metric, Metric):
        form = _metrics.saved_form(metric)
        if isinstance(form, str):  # a function metric made by name or a class without settings
            form = {"class_name": _NAMED.get(form, form), "config": {"name": metric.name}}
        return {"module": "keras.metrics", "class_name": form["class_name"], "config": form["config"],
                "registered_name": None}
    name = getattr(metric, "__name__", None)
    if callable(metric) and name in _FUNCTION_NAMES:
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    raise ConfigError(f"keras.metrics.serialize got {metric!r}; it takes a keras.metrics object (such as "
                      "keras.metrics.AUC()) or one of the keras.metrics functions.")


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The metric :func:`serialize` described, or a metric function or object from its name.

    >>> deserialize(serialize(MeanIoU(num_classes=3))).num_classes
    3
    """
    custom = custom_objects or {}
    if isinstance(config, dict) and config.get("class_name") == "function":
        config = config.get("config")
    if isinstance(config, str):
        if config in custom:
            return custom[config]
        if config in _FUNCTION_NAMES:
            return globals()[config]
        return get(config)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ConfigError(f"keras.metrics.deserialize got {config!r}; it takes what keras.metrics.serialize gives "
                          "(a dict with 'class_name' and 'config') or a metric name.")
    return _keras_losses.made_from_config(config, "keras.metrics", "metric", SAVED_CLASSES, custom)


# the Keras class of a metric saved by its name alone
_NAMED = {"binary_accuracy": "BinaryAccuracy", "categorical_accuracy": "CategoricalAccuracy",
          "sparse_categorical_accuracy": "SparseCategoricalAccuracy", "mean_squared_error": "MeanSquaredError",
          "mean_absolute_error": "MeanAbsoluteError", "binary_crossentropy": "BinaryCrossentropy",
          "categorical_crossentropy": "CategoricalCrossentropy",
          "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
          "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
          "sparse_top_k_categorical_accuracy": "SparseTopKCategoricalAccuracy"}


__all__ = ["Metric", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
           "mean_absolute_error", "mean_squared_error", "mae", "mse", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "get", "Precision", "Recall", "AUC",
           "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "PrecisionAtRecall",
           "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity", "F1Score", "FBetaScore",
           "RootMeanSquaredError", "Mean", "Sum", "MeanMetricWrapper", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
           "Accuracy", "CosineSimilarity", "KLDivergence", "Poisson", "R2Score", "kl_divergence", "poisson",
           "Hinge", "SquaredHinge", "CategoricalHinge", "LogCoshError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "PearsonCorrelation", "ConcordanceCorrelation", "IoU", "BinaryIoU", "MeanIoU",
           "OneHotIoU", "OneHotMeanIoU", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "huber", "log_cosh",
           "logcosh", "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle",
           "binary_focal_crossentropy", "categorical_focal_crossentropy", "pearson_correlation",
           "concordance_correlation", "serialize", "deserialize"]

__getattr__ = not_provided(__name__, __all__)
