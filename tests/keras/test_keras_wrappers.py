"""keras.wrappers: fnlearn models as scikit-learn estimators, fitted and predicting as real Keras's wrappers do
from the same starting weights, and working where scikit-learn puts estimators (clone, pipelines, searches)."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest
from real_keras import real_keras

pytest.importorskip("sklearn", reason="the wrappers are scikit-learn estimators")
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import fnlearn.keras as keras  # noqa: E402
from fnlearn.errors import ConfigError, DataError  # noqa: E402
from fnlearn.keras.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.normal(size=(30, 4)).astype(np.float32)
LABELS = np.array(["cat", "dog", "eel"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
TARGETS = (X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3).astype(np.float32)
FIT = {"epochs": 3, "batch_size": 8, "shuffle": False, "verbose": 0}


def _builder(k, last_activation=None, loss="mse"):
    """A function building the same compiled network with the same starting weights in fnlearn or Keras."""
    def build(X, y, hidden=5):
        model = k.Sequential([k.Input((X.shape[1],)), k.layers.Dense(hidden, activation="tanh"),
                              k.layers.Dense(y.shape[1], activation=last_activation)])
        rng = np.random.default_rng(0)
        model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in model.get_weights()])
        model.compile(optimizer=k.optimizers.SGD(0.1), loss=loss)
        return model
    return build


def test_the_classifier_fits_and_predicts_as_keras_from_the_same_weights():
    real = real_keras()
    ours = SKLearnClassifier(_builder(keras, "softmax", "categorical_crossentropy"), fit_kwargs=FIT).fit(X, LABELS)
    theirs = real.wrappers.SKLearnClassifier(_builder(real, "softmax", "categorical_crossentropy"),
                                             fit_kwargs=dict(FIT)).fit(X, LABELS)
    assert ours.classes_.tolist() == theirs.classes_.tolist() == ["cat", "dog", "eel"]
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), rtol=1e-4, atol=1e-5)
    assert ours.predict(X).tolist() == theirs.predict(X).tolist()
    assert ours.score(X, LABELS) == pytest.approx(theirs.score(X, LABELS))
    assert ours.n_features_in_ == 4 and ours.epoch_ == 3
    assert ours.history_.history["loss"][-1] < ours.history_.history["loss"][0]


def test_the_regressor_fits_and_predicts_as_keras_from_the_same_weights():
    real = real_keras()
    ours = SKLearnRegressor(_builder(keras), model_kwargs={"hidden": 3}, fit_kwargs=FIT).fit(X, TARGETS)
    theirs = real.wrappers.SKLearnRegressor(_builder(real), model_kwargs={"hidden": 3},
                                            fit_kwargs=dict(FIT)).fit(X, TARGETS)
    assert ours.predict(X).shape == (30,)  # a 1-D target's predictions are 1-D
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4, atol=1e-5)
    assert ours.score(X, TARGETS) == pytest.approx(theirs.score(X, TARGETS), rel=1e-4)
    two = np.stack([TARGETS, -TARGETS], 1)
    assert SKLearnRegressor(_builder(keras), fit_kwargs=FIT).fit(X, two).predict(X).shape == (30, 2)


def test_a_compiled_model_is_cloned_at_each_fit_and_the_transformer_feeds_a_pipeline():
    model = _builder(keras)(X, np.zeros((30, 1)))
    before = [w.copy() for w in model.get_weights()]
    step = SKLearnTransformer(model, fit_kwargs=FIT)
    pipe = make_pipeline(step, LinearRegression()).fit(X, TARGETS)
    assert step.model_ is not model and [np.array_equal(a, b) for a, b in zip(before, model.get_weights())] == \
        [True] * 4  # the model handed over is left as it was
    np.testing.assert_allclose(step.transform(X), step.model_.predict(X, verbose=0))
    assert step.transform(X).shape == (30, 1) and pipe.predict(X).shape == (30,)


def test_clone_grid_search_and_cross_validation_make_unfitted_copies():
    est = SKLearnClassifier(_builder(keras, "softmax", "categorical_crossentropy"), fit_kwargs=FIT)
    copy = clone(est.set_params(model_kwargs={"hidden": 4}))
    assert copy.get_params()["model_kwargs"] == {"hidden": 4} and copy.fit_kwargs == FIT
    assert not hasattr(copy, "model_")
    search = GridSearchCV(est, {"model_kwargs": [{"hidden": 2}, {"hidden": 6}]}, cv=2).fit(X, LABELS)
    assert search.best_params_["model_kwargs"]["hidden"] in (2, 6)
    assert cross_val_score(SKLearnRegressor(_builder(keras), fit_kwargs=FIT), X, TARGETS, cv=3).shape == (3,)


def test_warm_start_goes_on_training_the_fitted_model():
    cold = SKLearnRegressor(_builder(keras), fit_kwargs=FIT).fit(X, TARGETS)
    first = cold.model_
    assert cold.fit(X, TARGETS).model_ is not first  # without warm_start every fit starts afresh
    warm = SKLearnRegressor(_builder(keras), warm_start=True, fit_kwargs=FIT).fit(X, TARGETS)
    model, loss = warm.model_, warm.history_.history["loss"]
    warm.fit(X, TARGETS, epochs=2)  # fit's own arguments win over fit_kwargs, which stay as given
    assert warm.model_ is model and warm.epoch_ == 5 and warm.fit_kwargs == FIT
    assert warm.history_.history["loss"][0] < loss[0]


def test_bad_models_and_targets_are_refused_in_one_sentence_leaving_the_estimator_as_it_was():
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ConfigError, match=re.escape("SKLearnRegressor got an uncompiled model to fit; it needs a "
                                                    "compiled model: call model.compile(")):
        SKLearnRegressor(uncompiled).fit(X, TARGETS)
    with pytest.raises(ConfigError, match="SKLearnRegressor's model is a str; give a compiled model, or a function"):
        SKLearnRegressor("mlp").fit(X, TARGETS)
    fitted = SKLearnClassifier(_builder(keras, "softmax", "categorical_crossentropy"), fit_kwargs=FIT).fit(X, LABELS)
    state = dict(fitted.__dict__)
    with pytest.raises(DataError, match=r"got multilabel-indicator targets of shape \(30, 2\); for several labels"):
        fitted.fit(X, np.stack([LABELS == "cat", LABELS == "dog"], 1).astype(int))
    with pytest.raises(DataError, match="got samples of one class only \\('cat'\\); a classifier learns"):
        fitted.fit(X, np.full(30, "cat"))
    assert fitted.__dict__.keys() == state.keys() and fitted.model_ is state["model_"]
    assert fitted.classes_ is state["classes_"]
    with pytest.raises(ValueError, match="4 features"):  # scikit-learn's own check of the features' count
        fitted.predict(X[:, :3])
    with pytest.raises(NotFittedError):
        SKLearnTransformer(uncompiled).transform(X)


@pytest.mark.host_only
def test_without_scikit_learn_making_a_wrapper_says_what_to_install(monkeypatch):
    monkeypatch.setattr(sys.modules["fnlearn.keras.wrappers"], "sklearn", None)
    with pytest.raises(ImportError, match="SKLearnClassifier is a scikit-learn estimator and scikit-learn is not "
                                          "installed; run pip install scikit-learn."):
        SKLearnClassifier(lambda X, y: None)


@pytest.mark.host_only
def test_keras_wrappers_is_imported_when_first_asked_for():
    import subprocess

    code = ("import sys, fnlearn.keras as k; assert 'sklearn' not in sys.modules; "
            "assert k.wrappers.SKLearnRegressor.__name__ == 'SKLearnRegressor'; assert 'sklearn' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
