"""Keras 3's R2Score, Accuracy, CosineSimilarity, KLDivergence and Poisson metrics: state across batches, sample
weights, reset and config against real Keras, in ``compile`` by object and by name, and their bad settings."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError

RNG = np.random.default_rng(5)


def _regression_batches():
    out = []
    for n in (5, 3, 6):
        t = RNG.normal(size=(n, 3)).astype("float32")
        out.append((t, (t + RNG.normal(size=(n, 3)) * 0.6).astype("float32"), RNG.random(n).astype("float32")))
    return out


REGRESSION = _regression_batches()
POSITIVE = [(np.abs(t) / np.abs(t).sum(1, keepdims=True), np.abs(p) + 0.05, w) for t, p, w in REGRESSION]
CLASS_IDS = [(RNG.integers(0, 3, (len(w), 1)), RNG.integers(0, 3, (len(w), 1)).astype("float32"), w)
             for _, _, w in REGRESSION]

CASES = [
    ("R2Score", {}, REGRESSION),
    ("R2Score", {"class_aggregation": None}, REGRESSION),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, REGRESSION),
    ("R2Score", {"num_regressors": 2}, REGRESSION),
    ("Accuracy", {}, CLASS_IDS),
    ("CosineSimilarity", {}, REGRESSION),
    ("KLDivergence", {}, POSITIVE),
    ("Poisson", {}, POSITIVE),
]


@pytest.mark.parametrize("cls, settings, batches", CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_state_across_batches_matches_keras(cls, settings, batches, weighted):
    real = real_keras()
    theirs, ours = getattr(real.metrics, cls)(**settings), getattr(keras.metrics, cls)(**settings)
    for t, p, w in batches:
        theirs.update_state(t, p, sample_weight=w if weighted else None)
        ours.update_state(t, p, sample_weight=w if weighted else None)
        np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=2e-5, atol=1e-6)
    ours.reset_state()
    theirs.reset_state()
    t, p, w = batches[1]  # after a reset only the new batch counts
    theirs.update_state(t, p, sample_weight=w if weighted else None)
    ours.update_state(t, p, sample_weight=w if weighted else None)
    np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()), rtol=2e-5, atol=1e-6)


def test_calling_a_metric_updates_it_as_keras():
    real = real_keras()
    t, p, _ = REGRESSION[0]
    theirs, ours = real.metrics.R2Score(), keras.metrics.R2Score()
    theirs(t, p)
    np.testing.assert_allclose(ours(t, p), np.asarray(theirs(*REGRESSION[0][:2])), rtol=2e-5)


@pytest.mark.parametrize("cls, settings, batches", CASES)
def test_config_is_keras_config(cls, settings, batches):
    real = real_keras()
    theirs = getattr(real.metrics, cls)(name="m", **settings).get_config()
    ours = getattr(keras.metrics, cls)(name="m", **settings)
    config = ours.get_config()
    assert set(theirs) <= set(config)
    assert {key: config[key] for key in theirs} == theirs
    again = type(ours).from_config(config)
    assert again.get_config() == config and again.name == "m"


def test_r2_edge_values_as_keras():
    real = real_keras()
    constant = np.ones((4, 1), "float32")
    pred = np.array([[1.0], [2.0], [0.5], [1.0]], "float32")
    for t, p in ((constant, pred), (constant, constant)):  # a constant target: −inf → 0, and 0/0 stays NaN
        theirs, ours = real.metrics.R2Score(), keras.metrics.R2Score()
        theirs.update_state(t, p)
        ours.update_state(t, p)
        np.testing.assert_allclose(ours.result(), np.asarray(theirs.result()))
    theirs, ours = real.metrics.R2Score(num_regressors=3), keras.metrics.R2Score(num_regressors=3)
    t, p = REGRESSION[0][0][:2, :1], REGRESSION[0][1][:2, :1]  # too few samples: the plain R²
    with pytest.warns(UserWarning):
        theirs.update_state(t, p)
        want = theirs.result()
    ours.update_state(t, p)
    np.testing.assert_allclose(ours.result(), np.asarray(want), rtol=2e-5)


def test_cosine_similarity_by_name_is_the_metric_not_the_loss():
    real = real_keras()
    t, p, _ = REGRESSION[0]
    metric = fl.metrics.get("cosine_similarity")
    assert isinstance(metric, keras.metrics.CosineSimilarity)
    metric.update_state(t, p)
    assert metric.result() > 0.5  # the same direction scores high as a metric, low as a loss
    np.testing.assert_allclose(metric.result(), float(real.metrics.get("cosine_similarity")(t, p)), rtol=2e-5)
    assert float(fl.losses.cosine_similarity(t, fl.tensor(p))) == pytest.approx(-metric.result(), rel=1e-5)
    assert isinstance(fl.metrics.get("r2_score"), keras.metrics.R2Score)
    # Keras's compile reads "Accuracy" in any case as "accuracy": the kind the targets call for, not the class
    assert not isinstance(fl.metrics.get("Accuracy"), keras.metrics.Accuracy)


def _evaluate_both(metrics_of, loss="mse", activation=None, y=None):
    real = real_keras()
    x = RNG.normal(size=(20, 4)).astype("float32")
    y = (x[:, :2] * 0.7 + 0.2).astype("float32") if y is None else y

    def model(lib):
        return lib.Sequential([lib.Input((4,)), lib.layers.Dense(8, activation="tanh"),
                               lib.layers.Dense(y.shape[1], activation=activation)])

    theirs, ours = model(real), model(keras)
    ours.set_weights(theirs.get_weights())
    weights = RNG.random(20).astype("float32")
    results = []
    for m, lib in ((theirs, real), (ours, keras)):
        m.compile(lib.optimizers.SGD(0.05), loss, metrics=metrics_of(lib), weighted_metrics=metrics_of(lib))
        # batches of one size each (Keras compiles its step once per batch shape), several per pass
        m.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0, sample_weight=weights)
        results.append(m.evaluate(x, y, batch_size=5, verbose=0, return_dict=True, sample_weight=weights))
    return results


@pytest.mark.parametrize("metrics_of", [
    lambda lib: [lib.metrics.R2Score(), lib.metrics.CosineSimilarity(), lib.metrics.Poisson()],
    lambda lib: ["r2_score", "cosine_similarity", "poisson"],
])
def test_compile_with_objects_and_names_evaluates_as_keras(metrics_of):
    theirs, ours = _evaluate_both(metrics_of)
    assert set(ours) == set(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=5e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("metrics_of", [
    lambda lib: [lib.metrics.KLDivergence(), lib.metrics.Accuracy()],
    lambda lib: ["kl_divergence", "Accuracy"],
])
def test_compile_with_probability_metrics_evaluates_as_keras(metrics_of):
    y = np.eye(3, dtype="float32")[RNG.integers(0, 3, 20)]
    theirs, ours = _evaluate_both(metrics_of, loss="categorical_crossentropy", activation="softmax", y=y)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=5e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("make, error, words", [
    (lambda: keras.metrics.R2Score(class_aggregation="median"), ConfigError, ("class_aggregation='median'",)),
    (lambda: keras.metrics.R2Score(num_regressors=-1), ConfigError, ("num_regressors=-1", ">= 0")),
    (lambda: keras.metrics.R2Score(num_regressors=1.5), ConfigError, ("num_regressors=1.5",)),
    (lambda: keras.metrics.R2Score().update_state([1.0, 2.0], [[1.0, 2.0]]), ShapeError, ("(batch_size, outputs)",)),
    (lambda: keras.metrics.R2Score().update_state([[1.0], [2.0]], [[1.0], [2.0]], sample_weight=[1.0, 2.0, 3.0]),
     ShapeError, ("sample_weight",)),
    (lambda: keras.metrics.CosineSimilarity(axis="last"), ConfigError, ("axis='last'",)),
    (lambda: keras.metrics.CosineSimilarity(axis=3).update_state([[1.0]], [[1.0]]), ConfigError, ("axis=3",)),
    (lambda: keras.metrics.Accuracy(name=""), ConfigError, ("name",)),
])
def test_bad_settings_and_inputs_get_one_sentence(make, error, words):
    with pytest.raises(error) as caught:
        make()
    assert all(word in str(caught.value) for word in words), str(caught.value)


def test_a_refused_batch_leaves_the_state_alone():
    metric = keras.metrics.R2Score()
    t, p, _ = REGRESSION[0]
    metric.update_state(t, p)
    before = metric.result()
    with pytest.raises(ShapeError, match="3 outputs per sample before and 2 now"):
        metric.update_state(t[:, :2], p[:, :2])
    with pytest.raises(ShapeError):
        metric.update_state(t, p, sample_weight=np.ones(2))
    assert metric.result() == before


@pytest.mark.parametrize("cls", ["BinaryCrossentropy", "CategoricalCrossentropy"])
def test_cross_entropy_metrics_take_label_smoothing_as_keras(cls):
    real = real_keras()
    y = np.eye(3, dtype="float32")[[0, 2, 1, 1]]
    scores = RNG.normal(size=(4, 3)).astype("float32")
    theirs = getattr(real.metrics, cls)(from_logits=True, label_smoothing=0.3)
    ours = getattr(keras.metrics, cls)(from_logits=True, label_smoothing=0.3)
    for rows in (slice(0, 2), slice(2, 4)):
        theirs.update_state(y[rows], scores[rows])
        ours.update_state(y[rows], scores[rows])
    np.testing.assert_allclose(ours.result(), float(theirs.result()), rtol=2e-6)
    assert fl.metrics.saved_form(ours)["config"]["label_smoothing"] == 0.3
    with pytest.raises(ConfigError, match="label_smoothing=2"):
        getattr(keras.metrics, cls)(label_smoothing=2)
