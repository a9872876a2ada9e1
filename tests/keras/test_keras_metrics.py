"""keras.metrics' stateful classes in Keras programs: the imbalanced-data tutorial's metrics run unchanged, a
metric of your own written with keras.ops trains through fit, and evaluate agrees with Keras itself on the same
weights."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.keras import ops


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + 0.7 * x[:, 1] - 0.4 * x[:, 2] > 1.2).astype("float32")  # about one positive in six
    return x, y


# the list of the TensorFlow tutorial "Classification on imbalanced data", as written there
METRICS = [
    keras.metrics.BinaryCrossentropy(name="cross entropy"),
    keras.metrics.MeanSquaredError(name="Brier score"),
    keras.metrics.TruePositives(name="tp"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.TrueNegatives(name="tn"),
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.BinaryAccuracy(name="accuracy"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
    keras.metrics.AUC(name="auc"),
    keras.metrics.AUC(name="prc", curve="PR"),
]


def _model(metrics, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss=keras.losses.BinaryCrossentropy(),
                  metrics=metrics)
    return model


def test_the_imbalanced_data_tutorials_metrics_run_unchanged():
    x, y = _data()
    model = _model(METRICS)
    early_stopping = keras.callbacks.EarlyStopping(monitor="val_prc", verbose=1, patience=10, mode="max",
                                                   restore_best_weights=True)
    history = model.fit(x, y, batch_size=64, epochs=4, callbacks=[early_stopping], validation_split=0.25,
                        class_weight={0: 0.6, 1: 3.0}, verbose=0)
    names = [m.name for m in METRICS]
    assert sorted(history.history) == sorted(["loss", "val_loss", *names, *(f"val_{n}" for n in names)])
    results = model.evaluate(x, y, batch_size=64, verbose=0)
    by_name = dict(zip(model.metrics_names, results))
    counts = by_name["tp"] + by_name["fp"] + by_name["tn"] + by_name["fn"]
    assert counts == len(x)  # the four counts cover every sample once: accumulated, not averaged
    assert by_name["precision"] == pytest.approx(by_name["tp"] / (by_name["tp"] + by_name["fp"]))
    assert by_name["recall"] == pytest.approx(by_name["tp"] / (by_name["tp"] + by_name["fn"]))
    assert by_name["accuracy"] == pytest.approx((by_name["tp"] + by_name["tn"]) / len(x))
    assert all(0 <= history.history[k][-1] <= 1 for k in ("auc", "prc", "val_auc", "val_prc"))


def test_keras_metric_names_work_as_strings():
    x, y = _data(120)
    model = _model(["AUC", "precision", "Recall", "true_positives"])
    history = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25).history
    assert sorted(history) == ["AUC", "Recall", "loss", "precision", "true_positives", "val_AUC", "val_Recall",
                               "val_loss", "val_precision", "val_true_positives"]


class BinaryTruePositives(keras.metrics.Metric):
    """The Keras guide's example, word for word but for the import."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "bool")
        y_pred = ops.cast(ops.greater(y_pred, 0.5), "bool")
        values = ops.cast(ops.where(y_true, y_pred, False), self.dtype)
        if sample_weight is not None:
            values = ops.multiply(values, ops.reshape(ops.cast(sample_weight, self.dtype), (-1, 1)))
        self.true_positives.assign(self.true_positives + ops.sum(values))

    def result(self):
        return self.true_positives


class F1Score(keras.metrics.Metric):
    """F1 from a Precision and a Recall it holds, with keras.backend.epsilon()."""

    def __init__(self, name="f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.precision = keras.metrics.Precision()
        self.recall = keras.metrics.Recall()

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.precision.update_state(y_true, y_pred, sample_weight)
        self.recall.update_state(y_true, y_pred, sample_weight)

    def result(self):
        p, r = self.precision.result(), self.recall.result()
        return 2 * p * r / (p + r + keras.backend.epsilon())

    def reset_state(self):
        self.precision.reset_state()
        self.recall.reset_state()


def test_metrics_of_your_own_written_with_keras_ops_train_and_evaluate(tmp_path):
    x, y = _data()
    model = _model([BinaryTruePositives(), F1Score(), keras.metrics.TruePositives(name="tp")])
    model.compile("adam", "binary_crossentropy", metrics=[BinaryTruePositives(), F1Score(),
                                                          keras.metrics.TruePositives(name="tp")],
                  weighted_metrics=[BinaryTruePositives(name="weighted_btp")])
    weights = np.where(y > 0, 2.0, 1.0)
    history = model.fit(x, y, epochs=2, batch_size=32, sample_weight=weights, verbose=0).history
    np.testing.assert_allclose(history["binary_true_positives"], history["tp"])  # the guide's metric counts as TP
    result = model.evaluate(x, y, sample_weight=weights, return_dict=True, verbose=0)
    assert result["binary_true_positives"] == result["tp"] and result["weighted_btp"] == 2 * result["tp"]
    precision, recall = result["tp"] / np.sum(model.predict(x) > 0.5), result["tp"] / y.sum()
    assert result["f1"] == pytest.approx(2 * precision * recall / (precision + recall), rel=1e-6)
    model.save(tmp_path / "own.keras")
    again = keras.models.load_model(tmp_path / "own.keras", custom_objects={
        "BinaryTruePositives": BinaryTruePositives, "F1Score": F1Score})
    assert again.evaluate(x, y, sample_weight=weights, return_dict=True, verbose=0) == result


def _real_keras():
    return real_keras()


def test_evaluate_gives_keras_numbers_on_the_same_weights():
    x, y = _data(500)
    weights = np.random.default_rng(1).uniform(0.2, 3.0, len(y))

    def metric_list(k):
        return [k.metrics.AUC(name="auc"), k.metrics.AUC(curve="PR", name="prc"), k.metrics.Precision(name="p"),
                k.metrics.Recall(thresholds=[0.3, 0.6], name="r"), k.metrics.TruePositives(name="tp"),
                k.metrics.RootMeanSquaredError(name="rmse")]

    model = _model(metric_list(keras))
    model.compile("adam", "binary_crossentropy", metrics=metric_list(keras),
                  weighted_metrics=[keras.metrics.AUC(name="wauc"), keras.metrics.Precision(name="wp")])
    model.fit(x, y, epochs=2, verbose=0)
    # batches of 100, one shape: Keras compiles its step once per batch shape
    ours = model.evaluate(x, y, batch_size=100, sample_weight=weights, return_dict=True, verbose=0)
    assert set(ours) == {"loss", "auc", "prc", "p", "r", "tp", "rmse", "wauc", "wp"} and ours["r"].shape == (2,)
    real = _real_keras()
    twin = real.Sequential([real.Input(shape=(6,)), real.layers.Dense(16, activation="relu"),
                            real.layers.Dropout(0.2), real.layers.Dense(1, activation="sigmoid")])
    twin.compile("adam", "binary_crossentropy", metrics=metric_list(real),
                 weighted_metrics=[real.metrics.AUC(name="wauc"), real.metrics.Precision(name="wp")])
    twin.set_weights(model.get_weights())
    theirs = twin.evaluate(x, y, batch_size=100, sample_weight=weights, return_dict=True, verbose=0)
    assert set(theirs) == set(ours)
    for key in ours:  # Keras keeps its state in float32
        np.testing.assert_allclose(ours[key], np.asarray(theirs[key]), rtol=2e-5, atol=1e-6, err_msg=key)


def test_metric_classes_with_names_of_ones_own_survive_a_save(tmp_path) -> None:
    """The imbalanced-data tutorial names its metrics ("Brier score", "cross entropy"): a loaded model must make
    each again with its class and name, not look the name up as a metric name."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=[keras.metrics.MeanSquaredError(name="Brier score"),
                           keras.metrics.BinaryCrossentropy(name="cross entropy"),
                           keras.metrics.BinaryAccuracy(name="hits", threshold=0.3),
                           keras.metrics.MeanAbsoluteError(name="mae_of_mine")])
    model.fit(x, y, epochs=1, verbose=0)
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    after = again.evaluate(x, y, verbose=0, return_dict=True)
    assert list(after) == list(before) == ["loss", "Brier score", "cross entropy", "hits", "mae_of_mine"]
    assert after == pytest.approx(before, rel=1e-6)


def test_f_scores_and_rates_at_a_target_give_keras_numbers_in_evaluate():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 6)).astype("float32")
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] - 0.5 * x[:, 3] > 0.6).astype(int)
    y = np.eye(3, dtype="float32")[labels]
    weights = rng.uniform(0.2, 3.0, len(y))

    def metric_list(k):
        return [k.metrics.F1Score(name="f1"), k.metrics.F1Score(average="macro", name="f1_macro"),
                k.metrics.FBetaScore(beta=2.0, threshold=0.3, average="weighted", name="f2"),
                k.metrics.FBetaScore(beta=0.5, average="micro", name="f_half"),
                k.metrics.PrecisionAtRecall(0.6, class_id=0, name="p_at_r"),
                k.metrics.RecallAtPrecision(0.4, class_id=2, num_thresholds=50, name="r_at_p"),
                k.metrics.SensitivityAtSpecificity(0.7, class_id=1, name="sens"),
                k.metrics.SpecificityAtSensitivity(0.4, class_id=1, name="spec")]

    def weighted_list(k):
        return [k.metrics.F1Score(average="weighted", name="wf1"), k.metrics.PrecisionAtRecall(0.5, class_id=1,
                                                                                                name="wp_at_r")]

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=metric_list(keras), weighted_metrics=weighted_list(keras))
    model.fit(x, y, epochs=10, verbose=0)
    # batches of 80, one shape: Keras compiles its step once per batch shape
    ours = model.evaluate(x, y, batch_size=80, sample_weight=weights, return_dict=True, verbose=0)
    assert ours["f1"].shape == (3,) and 0 < ours["r_at_p"] < 1 and 0 < ours["p_at_r"] < 1
    real = _real_keras()
    twin = real.Sequential([real.Input(shape=(6,)), real.layers.Dense(16, activation="relu"),
                            real.layers.Dense(3, activation="softmax")])
    twin.compile("adam", "categorical_crossentropy", metrics=metric_list(real), weighted_metrics=weighted_list(real))
    twin.set_weights(model.get_weights())
    theirs = twin.evaluate(x, y, batch_size=80, sample_weight=weights, return_dict=True, verbose=0)
    assert set(theirs) == set(ours)
    for key in ours:  # Keras keeps its state in float32
        np.testing.assert_allclose(ours[key], np.asarray(theirs[key]), rtol=2e-5, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("name, y_true, y_pred", [
    ("binary_accuracy", [[0.0, 1.0], [1.0, 1.0]], [[0.2, 0.7], [0.4, 0.9]]),  # one value per output, as Keras's
    ("categorical_accuracy", [[0, 1, 0.0], [1, 0, 0]], [[0.2, 0.7, 0.1], [0.2, 0.3, 0.5]]),
    ("sparse_categorical_accuracy", [1, 0], [[0.2, 0.7, 0.1], [0.2, 0.3, 0.5]]),
    ("mean_squared_error", [[0.0], [1.0]], [[0.2], [0.7]]),
    ("mean_absolute_error", [[0.0, 2.0], [1.0, 1.0]], [[0.2, 1.0], [0.7, 3.0]]),
])
def test_metric_functions_give_keras_values_per_sample_and_compile_as_the_built_in(name, y_true, y_pred):
    real = real_keras()
    ours = getattr(keras.metrics, name)(np.array(y_true), np.array(y_pred, dtype=np.float32))
    theirs = np.asarray(getattr(real.metrics, name)(np.array(y_true), np.array(y_pred, dtype=np.float32)))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-6)
    metric = fl.metrics.get(getattr(keras.metrics, name))
    assert metric.name == name and not metric.host  # the built-in, not user code: saved by name, no custom_objects
