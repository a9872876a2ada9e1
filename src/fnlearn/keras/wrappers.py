"""``keras.wrappers``: a compiled model as a scikit-learn estimator, for pipelines, grid searches and
cross-validation.

:class:`SKLearnClassifier` one-hot encodes class labels (numbers or strings) for the model and gives labels
back from its outputs; :class:`SKLearnRegressor` gives the model's outputs, a 1-D target's as 1-D;
:class:`SKLearnTransformer` is a pipeline step whose ``transform`` is the model's ``predict``. Each takes a
compiled model, which it clones (``keras.models.clone_model``: the same layers and compile settings, weights
drawn afresh) at each ``fit``, or a function ``model(X=..., y=..., **model_kwargs)`` returning one, called at
each ``fit`` with the data it will be fitted on (``y`` one-hot for the classifier).

scikit-learn is imported with this module, not with ``fnlearn.keras``: ``pip install scikit-learn``.

Example:
    >>> import numpy as np
    >>> from fnlearn import keras
    >>> from fnlearn.keras.wrappers import SKLearnClassifier
    >>> def mlp(X, y):
    ...     model = keras.Sequential([keras.Input((X.shape[1],)), keras.layers.Dense(8, activation="relu"),
    ...                               keras.layers.Dense(y.shape[1], activation="softmax")])
    ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
    ...     return model
    >>> X = np.random.default_rng(0).normal(size=(40, 3))
    >>> y = np.where(X[:, 0] > 0, "up", "down")
    >>> est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 2, "verbose": 0}).fit(X, y)
    >>> est.classes_.tolist(), est.predict(X[:4]).shape
    (['down', 'up'], (4,))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ConfigError, DataError

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the classes still import; making one says what to install
    sklearn = None

    class BaseEstimator:  # type: ignore[no-redef]
        pass

    class ClassifierMixin:  # type: ignore[no-redef]
        pass

    class RegressorMixin:  # type: ignore[no-redef]
        pass

    class TransformerMixin:  # type: ignore[no-redef]
        pass


def _validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
    """scikit-learn's input checks, which also record (``reset=True``) or compare ``n_features_in_``."""
    try:  # scikit-learn 1.6 and later
        from sklearn.utils.validation import validate_data
    except ImportError:
        return estimator._validate_data(*args, **kwargs)
    return validate_data(estimator, *args, **kwargs)


class SKLBase(BaseEstimator):
    """What the three wrappers share: the model made or cloned at ``fit``, ``model.fit``'s arguments, ``predict``.

    Args:
        model: a compiled model, cloned at each ``fit`` (its weights drawn afresh), or a function
            ``model(X=..., y=..., **model_kwargs)`` returning a compiled model.
        warm_start: ``fit`` again goes on training the fitted ``model_`` instead of making a new one.
        model_kwargs: keyword arguments for ``model`` when it is a function.
        fit_kwargs: keyword arguments for ``model.fit`` (``epochs``, ``batch_size``...); those given to ``fit``
            itself win over these.

    Attributes:
        model_: the fitted model.
        history_: what ``model.fit`` returned, its ``History``.
    """

    def __init__(self, model: Any, warm_start: bool = False, model_kwargs: dict[str, Any] | None = None,
                 fit_kwargs: dict[str, Any] | None = None) -> None:
        if sklearn is None:
            raise ImportError(f"{type(self).__name__} is a scikit-learn estimator and scikit-learn is not installed; "
                              "run pip install scikit-learn.")
        # scikit-learn's get_params/set_params/clone read the arguments back under their own names, unchanged
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn before 1.6
        return {"non_deterministic": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    @property
    def epoch_(self) -> int:
        """How many epochs the fitted model has been trained for, over every ``fit`` of a warm start."""
        return getattr(self, "_epochs", 0)

    def _get_model(self, X: np.ndarray, y: np.ndarray) -> Any:
        from ..model import Trainer

        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Trainer):
            from .cloning import clone_model

            model = clone_model(self.model)
        elif callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        else:
            raise ConfigError(f"{type(self).__name__}'s model is a {type(self.model).__name__}; give a compiled "
                              "model, or a function model(X=..., y=..., **model_kwargs) that returns one.")
        if not isinstance(model, Trainer) or not getattr(model, "compiled", False):
            what = "an uncompiled model" if isinstance(model, Trainer) else f"a {type(model).__name__}"
            raise ConfigError(f"{type(self).__name__} got {what} to fit; it needs a compiled model: call "
                              "model.compile(optimizer=..., loss=...) before handing it over (or in the function "
                              "that builds it).")
        return model

    def fit(self, X: Any, y: Any, **kwargs: Any) -> SKLBase:
        """Fit a new model (or, with ``warm_start``, the fitted one) on ``X`` and ``y``.

        Args:
            X: the samples, (n_samples, n_features).
            y: the targets, (n_samples,) or (n_samples, n_outputs).
            **kwargs: for ``model.fit``, over ``fit_kwargs``.
        """
        before = dict(self.__dict__)
        try:  # a refused X, y or model leaves the estimator as it was, a fitted one still fitted
            X, y = _validate_data(self, X, y, multi_output=True)
            target = self._encode_target(y, reset=True)
            model = self._get_model(X, target)
        except Exception:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        history = model.fit(X, target, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_, self.history_ = model, history
        self._epochs = self.epoch_ + len(getattr(history, "epoch", ()))
        return self

    def _raw(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        return np.asarray(self.model_.predict(_validate_data(self, X, reset=False), verbose=0))

    def predict(self, X: Any) -> np.ndarray:
        """The model's predictions for ``X``, as targets: labels for the classifier, a 1-D target's as 1-D."""
        return self._decode_target(self._raw(X))

    def _encode_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        """The target as the model trains on it: at least 2-D."""
        if reset:
            self._target_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _decode_target(self, out: np.ndarray) -> np.ndarray:
        return out[:, 0] if self._target_ndim == 1 and out.ndim == 2 and out.shape[1] == 1 else out


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A compiled classifier as a scikit-learn classifier: class labels in, class labels out.

    The labels (numbers or strings, binary or several classes) are one-hot encoded in the order of
    ``classes_``, so the model ends in as many units as classes (softmax, categorical cross-entropy);
    ``predict`` gives the class of the largest output, ``decision_function`` the outputs themselves.

    >>> import numpy as np
    >>> from fnlearn import keras
    >>> from fnlearn.keras.wrappers import SKLearnClassifier
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="softmax")])
    >>> model.compile(optimizer="sgd", loss="categorical_crossentropy")
    >>> est = SKLearnClassifier(model, fit_kwargs={"verbose": 0})
    >>> est.fit(np.eye(3)[:, :2], [0, 1, 2]).decision_function(np.zeros((1, 2))).shape
    (1, 3)
    """

    def _encode_target(self, y: np.ndarray, reset: bool = False) -> np.ndarray:
        from sklearn.utils.multiclass import type_of_target

        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise DataError(f"SKLearnClassifier takes one class label a sample (binary or several classes), got "
                            f"{kind} targets of shape {y.shape}; for several labels a sample, use SKLearnRegressor "
                            "with a model ending in one sigmoid unit a label.")
        if reset:
            classes = np.unique(y)
            if len(classes) < 2:
                raise DataError(f"SKLearnClassifier got samples of one class only ({classes[0].item()!r}); a "
                                "classifier learns from samples of at least two classes.")
            self._target_ndim, self.classes_ = y.ndim, classes
        return (np.reshape(y, (-1, 1)) == self.classes_).astype(np.float32)

    def _decode_target(self, out: np.ndarray) -> np.ndarray:
        labels = self.classes_[np.argmax(out, axis=1)]
        return labels.reshape(-1, 1) if self._target_ndim == 2 else labels

    def decision_function(self, X: Any) -> np.ndarray:
        """The model's outputs for ``X``, one column a class in the order of ``classes_``."""
        return self._raw(X)

    def _more_tags(self) -> dict[str, Any]:
        return {**super()._more_tags(), "poor_score": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A compiled regression model as a scikit-learn regressor; ``score`` is R².

    >>> import numpy as np
    >>> from fnlearn import keras
    >>> from fnlearn.keras.wrappers import SKLearnRegressor
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> est = SKLearnRegressor(model, fit_kwargs={"verbose": 0}).fit(np.ones((8, 3)), np.arange(8.0))
    >>> est.predict(np.ones((2, 3))).shape
    (2,)
    """

    def _more_tags(self) -> dict[str, Any]:
        return {**super()._more_tags(), "poor_score": True}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A compiled model as a scikit-learn transformer (a pipeline step, not an attention model): ``transform``
    is its ``predict``, e.g. an embedding for the next step to learn from.

    >>> import numpy as np
    >>> from fnlearn import keras
    >>> from fnlearn.keras.wrappers import SKLearnTransformer
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> step = SKLearnTransformer(model, fit_kwargs={"verbose": 0}).fit(np.ones((6, 4)), np.zeros((6, 2)))
    >>> step.transform(np.ones((3, 4))).shape
    (3, 2)
    """

    def transform(self, X: Any) -> np.ndarray:
        """The model's outputs for ``X``."""
        return self._raw(X)

    def _more_tags(self) -> dict[str, Any]:
        return {**super()._more_tags(), "preserves_dtype": []}

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags


__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
