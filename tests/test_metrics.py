"""fnlearn.metrics: accuracy kinds, regression errors, names, callables, sample-weighted means."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import metrics
from fnlearn.errors import ConfigError


def test_binary_accuracy_thresholds_probabilities():
    assert metrics.binary_accuracy([1, 0, 1, 0], [[0.9], [0.2], [0.4], [0.7]]) == 0.5
    assert metrics.binary_accuracy([1, 0], [[0.3], [0.1]], threshold=0.25) == 1.0


def test_categorical_and_sparse_accuracy_agree_on_the_same_labels():
    pred = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]])
    labels = np.array([1, 0, 1, 1])
    one_hot = fl.data.to_categorical(labels, 3)
    assert metrics.sparse_categorical_accuracy(labels, pred) == 0.75
    assert metrics.categorical_accuracy(one_hot, pred) == 0.75
    assert metrics.sparse_categorical_accuracy(labels.reshape(-1, 1), pred) == 0.75


def test_regression_errors_match_numpy():
    rng = np.random.default_rng(0)
    t, p = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    assert metrics.mae(t, p) == pytest.approx(np.abs(t - p).mean())
    assert metrics.mse(t, p) == pytest.approx(((t - p) ** 2).mean())
    assert metrics.mse(t[:, 0], p[:, :1]) == pytest.approx(((t[:, 0] - p[:, 0]) ** 2).mean())


@pytest.mark.parametrize("loss, true_shape, pred_shape, kind", [
    ("binary_crossentropy", (5, 3), (5, 3), "binary"),         # multi-label sigmoid outputs
    ("sparse_categorical_crossentropy", (5,), (5, 4), "sparse"),
    ("categorical_crossentropy", (5, 4), (5, 4), "categorical"),
    ("mse", (5, 10), (5, 10), "categorical"),                   # Tsai's program: mse on one-hot targets
    ("mse", (5, 1), (5, 1), "binary"),
    ("mse", (5,), (5, 4), "sparse"),
    (None, (5, 1), (5, 4), "sparse"),
])
def test_accuracy_kind_follows_keras(loss, true_shape, pred_shape, kind):
    assert metrics.accuracy_kind(loss, true_shape, pred_shape) == kind


def test_accuracy_name_picks_the_kind_from_loss_and_shapes():
    pred = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert metrics.get("accuracy", loss="sparse_categorical_crossentropy")([1, 1], pred) == 0.5
    assert metrics.get("acc", loss="categorical_crossentropy")([[0, 1], [1, 0]], pred) == 1.0
    assert metrics.get("accuracy", loss="binary_crossentropy")([[1], [1]], [[0.9], [0.1]]) == 0.5
    assert metrics.get("acc").name == "acc"


def test_unknown_metric_names_list_the_valid_ones_with_a_suggestion():
    with pytest.raises(ConfigError, match="did you mean 'accuracy'") as info:
        metrics.get("acuracy")
    assert "mae" in str(info.value) and "sparse_categorical_accuracy" in str(info.value)
    with pytest.raises(ConfigError):
        metrics.get(3)


def test_loss_names_work_as_metrics():
    t, p = np.array([[1.0], [0.0]]), np.array([[0.8], [0.3]])
    expected = fl.losses.binary_crossentropy(t, fl.tensor(p)).item()
    assert metrics.get("binary_crossentropy")(t, p) == pytest.approx(expected)


def test_user_callables_get_numpy_arrays_and_may_return_arrays_or_tensors():
    seen = []

    def worst_error(y_true, y_pred):
        seen.append((type(y_true), type(y_pred)))
        return np.abs(y_true - y_pred).max(axis=-1)  # per sample: the mean is taken

    m = metrics.get(worst_error)
    assert m.name == "worst_error"
    assert m(fl.tensor([[1.0], [2.0]]), np.array([[1.5], [2.0]])) == pytest.approx(0.25)
    assert seen == [(np.ndarray, np.ndarray)]
    assert metrics.get(lambda t, p: fl.tensor(2.0))([0], [0]) == 2.0
    assert metrics.get(metrics.mae).name == "mae"


def test_mean_tracker_weights_batches_by_size():
    tracker = metrics.MeanTracker()
    tracker.add("loss", 1.0, 4)
    tracker.add("loss", 1.0, 4)
    tracker.add("loss", 4.0, 2)
    assert tracker.result() == {"loss": pytest.approx(1.6)}


def test_regression_errors_of_a_classifier_on_integer_labels_use_one_hot_targets():
    pred = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert metrics.mse(np.array([1, 0]), pred) == pytest.approx(((pred - np.eye(2)[[1, 0]]) ** 2).mean())
    with pytest.raises(fl.errors.ShapeError, match="one target per output"):
        metrics.mae(np.ones((2, 3)), pred)


def test_a_keras_style_stateful_metric_subclass_is_told_what_fnlearn_takes():
    from fnlearn import keras

    class TruePositives(keras.metrics.Metric):  # the Keras training guide's pattern
        def __init__(self, name="true_positives", **kwargs):
            super().__init__(name=name, **kwargs)

        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

    with pytest.raises(fl.errors.ConfigError, match=r"^TruePositives: fnlearn's Metric wraps a function.*"
                                                    r"update_state / result / reset_state\) is not provided"):
        TruePositives()


def test_metric_functions_of_other_array_libraries_are_welcome():
    def r2_score(y_true, y_pred):  # as scikit-learn's: a plain function of arrays
        return 1 - float(np.sum((y_true - y_pred) ** 2) / np.sum((y_true - np.mean(y_true)) ** 2))

    r2_score.__module__ = "sklearn.metrics._regression"
    model = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    model.compile("sgd", "mse", metrics=[r2_score])
    x = np.random.default_rng(0).normal(size=(20, 2))
    assert "r2_score" in model.fit(x, x.sum(1), verbose=0).history
