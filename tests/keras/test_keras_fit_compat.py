"""fit / evaluate / predict as Keras 3 runs them, checked side by side with Keras itself where it is installed:
the log keys of metrics (function names, repeated names), the logs each batch hook gets, the top-k accuracies.
Steps of a model's own (train_step...) are tested with fnlearn.steps, in tests/test_steps.py."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, DataError, ShapeError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype("float32")
Y = (X[:, :1] + 0.5 * X[:, 1:2] > 0).astype("float32")
W = RNG.uniform(0.2, 3.0, len(X))


def _twins(real, units=1, activation="sigmoid", inputs=3):
    """The same one-layer model in fnlearn and in Keras, with Keras's weights in both."""
    theirs = real.Sequential([real.Input((inputs,)), real.layers.Dense(units, activation=activation)])
    ours = keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(units, activation=activation)])
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _assert_same_logs(ours, theirs, rtol=2e-5):
    assert set(ours) == set(theirs)
    for key in ours:  # Keras keeps its state in float32
        np.testing.assert_allclose(ours[key], np.asarray(theirs[key]), rtol=rtol, atol=1e-6, err_msg=key)


# ----------------------------------------------------------------------------- metric names


def test_function_metrics_are_logged_by_their_names_as_keras_logs_them():
    real = real_keras()
    y = 1.0 + np.abs(X[:, :1])  # targets away from 0: the percentage error stays moderate
    ours, theirs = _twins(real, activation=None)

    def metrics(k):
        return [k.metrics.mean_squared_error, k.metrics.mean_absolute_error,
                k.losses.mean_absolute_percentage_error, "mse", "MSE", "mean_squared_error"]

    ours.compile("sgd", "mse", metrics=metrics(keras))
    theirs.compile("sgd", "mse", metrics=metrics(real))
    # functions by their __name__, names as written, and the string repeating a function's name numbered
    assert ours.metrics_names == ["loss", "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
                                  "mse", "MSE", "mean_squared_error_1"]
    # batches of 10, as the validation's 10 rows: Keras compiles its step once per batch shape
    _assert_same_logs(ours.evaluate(X, y, batch_size=10, return_dict=True),
                      theirs.evaluate(X, y, batch_size=10, return_dict=True, verbose=0))
    history = ours.fit(X, y, epochs=1, verbose=0, validation_split=0.25).history
    keys = theirs.fit(X, y, epochs=1, verbose=0, validation_split=0.25).history
    assert sorted(history) == sorted(keys)


def test_loss_and_metric_functions_as_metrics_come_back_from_a_file_under_their_keys(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[keras.losses.mean_absolute_percentage_error, keras.metrics.mean_squared_error,
                                         keras.losses.mse])
    keys = ["loss", "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_error_1"]
    assert model.metrics_names == keys
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")  # fnlearn's own functions: no custom_objects needed
    y = 1.0 + np.abs(X[:, :1])
    assert again.metrics_names == keys
    assert again.evaluate(X, y, return_dict=True) == model.evaluate(X, y, return_dict=True)


def test_string_aliases_and_functions_of_ones_own_are_named_as_in_keras():
    real = real_keras()

    def makers(k, ops):
        def maxError(y_true, y_pred):  # noqa: N802  (Keras snake-cases it)
            return ops.max(ops.abs(y_true - y_pred), axis=-1)

        class Spread:
            def __call__(self, y_true, y_pred):
                return ops.mean(ops.abs(y_pred - ops.mean(y_pred)), axis=-1)

        return ["acc", "accuracy", "binary_accuracy", maxError, Spread(), lambda t, p: ops.mean(p, axis=-1)]

    ours, theirs = _twins(real)
    ours.compile("sgd", "binary_crossentropy", metrics=makers(keras, np))
    theirs.compile("sgd", "binary_crossentropy", metrics=makers(real, real.ops))
    assert ours.metrics_names == ["loss", "acc", "accuracy", "binary_accuracy", "max_error", "spread", "lambda"]
    _assert_same_logs(ours.evaluate(X, Y, batch_size=20, return_dict=True),
                      theirs.evaluate(X, Y, batch_size=20, return_dict=True, verbose=0))


def test_metrics_of_the_same_default_name_are_numbered_as_in_keras():
    real = real_keras()
    real.backend.clear_session()  # Keras numbers unnamed metric objects per session: start it afresh
    for make in (lambda k: [k.metrics.AUC(), k.metrics.AUC(curve="PR")],
                 lambda k: ["precision", k.metrics.Precision(thresholds=[0.3, 0.5])]):
        ours, theirs = _twins(real)
        ours.compile("sgd", "binary_crossentropy", metrics=make(keras))
        theirs.compile("sgd", "binary_crossentropy", metrics=make(real))
        # batches of 10, as the validation's 10 rows: Keras compiles its step once per batch shape
        _assert_same_logs(ours.evaluate(X, Y, batch_size=10, return_dict=True),
                          theirs.evaluate(X, Y, batch_size=10, return_dict=True, verbose=0))
        history = ours.fit(X, Y, epochs=1, verbose=0, validation_split=0.25).history
        assert sorted(history) == sorted(theirs.fit(X, Y, epochs=1, verbose=0, validation_split=0.25).history)
        assert {"val_auc_1", "val_precision_1"} & set(history)


@pytest.mark.parametrize("plain, weighted, keys", [
    (["m", "m"], ["m", "m"], ["m", "m_1", "weighted_m", "weighted_m_1"]),
    (["m", "weighted_m"], ["m"], ["m", "weighted_m", "weighted_m_1"]),
    ([], ["m", "m"], ["m", "weighted_m"]),
    (["m"], ["m", "weighted_m"], ["m", "weighted_m", "weighted_weighted_m"]),
])
def test_repeated_names_among_weighted_metrics_get_keras_keys_and_numbers(plain, weighted, keys):
    real = real_keras()

    def make(k, names):  # a mean squared and a mean absolute error in turn, so that each key's value is its own
        kinds = (k.metrics.MeanSquaredError, k.metrics.MeanAbsoluteError)
        return [kinds[i % 2](name=name) for i, name in enumerate(names)] or None

    ours, theirs = _twins(real)
    ours.compile("sgd", "mse", metrics=make(keras, plain), weighted_metrics=make(keras, weighted))
    theirs.compile("sgd", "mse", metrics=make(real, plain), weighted_metrics=make(real, weighted))
    assert ours.metrics_names == ["loss", *keys]
    _assert_same_logs(ours.evaluate(X, Y, batch_size=20, sample_weight=W, return_dict=True),
                      theirs.evaluate(X, Y, batch_size=20, sample_weight=W, return_dict=True, verbose=0))


def test_one_metric_object_listed_twice_is_logged_twice_as_in_keras():
    real = real_keras()
    ours, theirs = _twins(real)
    shared, twin = keras.metrics.AUC(name="auc"), real.metrics.AUC(name="auc")
    ours.compile("sgd", "binary_crossentropy", metrics=[shared, shared])
    theirs.compile("sgd", "binary_crossentropy", metrics=[twin, twin])
    ours_logs = ours.evaluate(X, Y, batch_size=20, return_dict=True)
    _assert_same_logs(ours_logs, theirs.evaluate(X, Y, batch_size=20, return_dict=True, verbose=0))
    assert ours_logs["auc"] == ours_logs["auc_1"]


def test_keys_that_would_clash_after_numbering_are_refused_where_keras_drops_one():
    real = real_keras()
    _, theirs = _twins(real)
    # Keras numbers the second "m" as "m_1", then the metric named "m_1" overwrites it: three metrics, two keys
    theirs.compile("sgd", "mse", metrics=[real.metrics.MeanSquaredError(name="m"),
                                          real.metrics.MeanAbsoluteError(name="m"),
                                          real.metrics.MeanSquaredError(name="m_1")])
    assert sorted(theirs.evaluate(X, Y, return_dict=True, verbose=0)) == ["loss", "m", "m_1"]
    ours = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    ours.compile("sgd", "mse")
    with pytest.raises(ConfigError, match=r"two metrics would both be logged as 'm_1' .*name=\.\.\."):
        ours.compile("sgd", "mae", metrics=[keras.metrics.MeanSquaredError(name="m"),
                                            keras.metrics.MeanAbsoluteError(name="m"),
                                            keras.metrics.MeanSquaredError(name="m_1")])
    assert ours.loss == "mse" and ours.metrics_names == ["loss"]  # compile changed nothing


# ----------------------------------------------------------------------------- the logs of the batch hooks


def _recorder(k):
    class Recorder(k.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.calls = []

        def _note(self, hook, batch, logs):
            logs = dict(logs or {})
            if "outputs" in logs:
                logs["outputs"] = np.array(logs["outputs"])
            self.calls.append((hook, batch, logs))

    for hook in ("train_batch_begin", "train_batch_end", "test_batch_begin", "test_batch_end",
                 "predict_batch_begin", "predict_batch_end"):
        setattr(Recorder, f"on_{hook}", lambda self, batch, logs=None, hook=hook: self._note(hook, batch, logs))
    return Recorder()


def test_batch_hooks_get_the_logs_keras_gives_them():
    real = real_keras()
    ours, theirs = _twins(real)
    ours_rec, theirs_rec = _recorder(keras), _recorder(real)
    xv, yv = X[:16] * 0.5, Y[:16]  # one batch of fit's size: Keras compiles its step once per batch shape
    for model, k, rec in ((ours, keras, ours_rec), (theirs, real, theirs_rec)):
        model.compile(k.optimizers.SGD(0.1), "binary_crossentropy", metrics=["mae", k.metrics.AUC(name="auc")])
        # 40 rows in batches of 16: the last batch is smaller, so a running mean weights it less
        model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0, validation_data=(xv, yv), callbacks=[rec])
        model.evaluate(X, Y, batch_size=16, verbose=0, callbacks=[rec])
        model.predict(X, batch_size=8, verbose=0, callbacks=[rec])
    assert [c[:2] for c in ours_rec.calls] == [c[:2] for c in theirs_rec.calls]
    for (hook, _, mine), (_, _, keras_logs) in zip(ours_rec.calls, theirs_rec.calls):
        if hook.endswith("begin"):
            assert mine == keras_logs == {}
        else:  # the running means since the epoch began (no "batch" or "size"), or the outputs alone
            _assert_same_logs(mine, keras_logs, rtol=1e-4)
    train_losses = [logs["loss"] for hook, _, logs in ours_rec.calls if hook == "train_batch_end"]
    assert len(set(train_losses)) == len(train_losses) == 6


def test_the_epochs_logs_are_the_last_batchs_running_means():
    seen = []
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy", keras.metrics.Precision(name="p")])
    keep = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(dict(logs)))
    history = model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[keep]).history
    assert len(seen) == 3 and set(seen[-1]) == {"loss", "accuracy", "p"}
    assert seen[-1] == pytest.approx({key: values[0] for key, values in history.items()})


# ----------------------------------------------------------------------------- top-k accuracies


# ties at the k-th place and NaN scores, where Keras's in_top_k has its own rules
SCORES = np.array([[0.1, 0.3, 0.3, 0.3], [0.4, 0.2, 0.2, 0.2], [0.25, 0.25, 0.25, 0.25], [np.nan, 0.5, 0.2, 0.3],
                   [0.1, np.nan, 0.2, 0.7], [0.9, 0.05, 0.03, 0.02]], dtype="float32")
LABELS = np.array([3, 1, 0, 0, 2, 3])


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_top_k_functions_count_ties_and_nans_as_keras_does(k):
    real = real_keras()
    onehot = np.eye(4, dtype="float32")[LABELS]
    sparse = keras.metrics.sparse_top_k_categorical_accuracy(LABELS, SCORES, k=k).numpy()  # one value per sample
    theirs = np.asarray(real.metrics.sparse_top_k_categorical_accuracy(LABELS, SCORES, k=k))
    np.testing.assert_array_equal(sparse, theirs)
    dense = keras.metrics.top_k_categorical_accuracy(onehot, SCORES, k=k).numpy()
    np.testing.assert_array_equal(dense, np.asarray(real.metrics.top_k_categorical_accuracy(onehot, SCORES, k=k)))
    np.testing.assert_array_equal(sparse, dense)
    assert fl.metrics.sparse_top_k_categorical_accuracy(LABELS, SCORES, k=k) == pytest.approx(float(sparse.mean()))
    ids = np.argsort(-np.nan_to_num(SCORES, nan=-1.0), axis=1, kind="stable")
    np.testing.assert_array_equal(
        keras.metrics.sparse_top_k_categorical_accuracy(LABELS, ids, k=k, from_sorted_ids=True).numpy(),
        np.asarray(real.metrics.sparse_top_k_categorical_accuracy(LABELS, ids, k=k, from_sorted_ids=True)))


def test_top_k_functions_take_labels_as_a_column_and_scores_of_more_axes():
    labels = RNG.integers(0, 5, (6, 3))
    scores = RNG.random((6, 3, 5))
    expected = float(np.mean((scores > np.take_along_axis(scores, labels[..., None], -1)).sum(-1) < 2))
    assert fl.metrics.sparse_top_k_categorical_accuracy(labels, scores, k=2) == pytest.approx(expected)
    assert fl.metrics.top_k_categorical_accuracy(np.eye(5)[labels], scores, k=2) == pytest.approx(expected)
    assert fl.metrics.sparse_top_k_categorical_accuracy(LABELS[:, None].astype("float32"), SCORES, k=1) == 2 / 6


def test_top_k_metrics_give_keras_numbers_in_evaluate_weighted_or_not():
    real = real_keras()
    x = RNG.normal(size=(90, 3)).astype("float32")
    labels = RNG.integers(0, 6, 90)
    weights = RNG.uniform(0.2, 3.0, 90)
    for sparse in (False, True):
        y = labels if sparse else np.eye(6, dtype="float32")[labels]
        name = "sparse_top_k_categorical_accuracy" if sparse else "top_k_categorical_accuracy"

        def metrics(k, sparse=sparse, name=name):
            cls = k.metrics.SparseTopKCategoricalAccuracy if sparse else k.metrics.TopKCategoricalAccuracy
            return [name, cls(k=2, name="top2"), cls()]

        def weighted(k, sparse=sparse):
            cls = k.metrics.SparseTopKCategoricalAccuracy if sparse else k.metrics.TopKCategoricalAccuracy
            return [cls(k=3, name="weighted_top3")]

        ours, theirs = _twins(real, units=6, activation="softmax")
        loss = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
        ours.compile("sgd", loss, metrics=metrics(keras), weighted_metrics=weighted(keras))
        theirs.compile("sgd", loss, metrics=metrics(real), weighted_metrics=weighted(real))
        assert ours.metrics_names == ["loss", name, "top2", f"{name}_1", "weighted_top3"]
        result = ours.evaluate(x, y, batch_size=30, sample_weight=weights, return_dict=True)  # one batch shape
        _assert_same_logs(result, theirs.evaluate(x, y, batch_size=30, sample_weight=weights, return_dict=True,
                                                  verbose=0))
        assert 0 < result["top2"] < result[name] < 1


@pytest.mark.parametrize("sparse", [False, True])
def test_top_k_metrics_come_back_from_a_file_with_their_k(tmp_path, sparse):
    labels = RNG.integers(0, 6, 40)
    y = labels if sparse else np.eye(6, dtype="float32")[labels]
    cls = keras.metrics.SparseTopKCategoricalAccuracy if sparse else keras.metrics.TopKCategoricalAccuracy
    name = "sparse_top_k_categorical_accuracy" if sparse else "top_k_categorical_accuracy"
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(6, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy",
                  metrics=[cls(k=2, name="top2"), cls(k=1), name])
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again.metrics_names == ["loss", "top2", name, f"{name}_1"]
    result = model.evaluate(X, y, return_dict=True)
    assert again.evaluate(X, y, return_dict=True) == result
    assert result[name] < result["top2"] < result[f"{name}_1"]  # k = 1, 2 and the default 5 of 6 classes


def test_top_k_mistakes_are_one_sentence():
    with pytest.raises(ConfigError, match=r"TopKCategoricalAccuracy: k must be an integer ≥ 1 .*got 0"):
        keras.metrics.TopKCategoricalAccuracy(k=0)
    with pytest.raises(ConfigError, match="from_sorted_ids must be True or False"):
        keras.metrics.SparseTopKCategoricalAccuracy(from_sorted_ids="yes")
    with pytest.raises(DataError, match=r"holds the label 7 \(row 1\), but y_pred has 4 classes"):
        keras.metrics.sparse_top_k_categorical_accuracy([0, 7], SCORES[:2])
    with pytest.raises(ShapeError, match="for integer labels use sparse_top_k_categorical_accuracy"):
        keras.metrics.top_k_categorical_accuracy([0, 3], SCORES[:2])


def test_train_test_and_predict_on_batch_are_keras_steps():
    real = real_keras()
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(16, 4)).astype("float32"), rng.integers(0, 2, (16, 1)).astype("float32")
    models = [library.Sequential([library.Input(shape=(4,)), library.layers.Dense(3, activation="tanh"),
                                  library.layers.Dense(1, activation="sigmoid")]) for library in (real, keras)]
    models[1].set_weights(models[0].get_weights())
    results = []
    for model, library in zip(models, (real, keras)):
        model.compile(library.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
        steps = [model.train_on_batch(x[:8], y[:8]) for _ in range(3)]
        results.append((steps, model.test_on_batch(x[8:], y[8:], return_dict=True), model.predict_on_batch(x[:3])))
    (steps, tested, predicted), (their_steps, their_test, their_pred) = results[1], results[0]
    np.testing.assert_allclose(steps, their_steps, rtol=1e-5)
    assert tested == pytest.approx(their_test, rel=1e-5) and set(tested) == {"loss", "accuracy"}
    np.testing.assert_allclose(predicted, their_pred, rtol=1e-5)
    assert models[1].epochs_trained == 0  # steps, not epochs: a later fit shuffles as a first one would
    assert len(models[1].trainable_variables) == 4 and models[1].variables == models[1].weights


def test_categorical_crossentropy_on_multi_hot_rows_is_computed_as_keras_with_a_warning():
    """The functional API guide trains categorical cross-entropy on random multi-hot rows: Keras computes
    −Σ y·log p; fnlearn does too, saying once why sigmoid + binary cross-entropy is the loss for that. A value
    outside [0, 1] is still refused."""
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    x = np.random.default_rng(1).normal(size=(6, 4)).astype(np.float32)
    y = np.array([[1, 1, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1], [1, 1, 1], [0, 0, 1]], dtype=np.float32)
    with pytest.warns(UserWarning, match=r"categorical_crossentropy takes one-hot targets \(rows summing to 1\), "
                                         r"but y row 0 is \(1, 1, 0\); it is computed as −Σ y·log p"):
        loss = model.evaluate(x, y, verbose=0)
    p = model.predict(x, verbose=0).astype(np.float64)
    assert loss == pytest.approx(float(np.mean(-(y * np.log(p)).sum(axis=1))), rel=1e-5)
    with pytest.raises(fl.errors.DataError, match="each row in"):
        model.evaluate(x, y * 2, verbose=0)


def test_steps_per_epoch_over_arrays_reads_on_across_epochs_as_keras():
    """Keras's callbacks guide fits arrays with steps_per_epoch: each epoch reads the next batches of the pass,
    an epoch that meets the pass's end stops there (warned) and the next starts a new pass; the weights after
    four such epochs are Keras's."""
    real = real_keras()
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(10, 3)).astype(np.float32), rng.normal(size=(10, 1)).astype(np.float32)

    def model(k):
        return k.Sequential([k.Input(shape=(3,)), k.layers.Dense(2, activation="tanh"), k.layers.Dense(1)])

    theirs, ours = model(real), model(keras)
    ours.set_weights(theirs.get_weights())
    seen = []

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(0)

        def on_train_batch_end(self, batch, logs=None):
            seen[-1] += 1

    for m, library, extra in ((theirs, real, {}), (ours, keras, {"callbacks": [Count()]})):
        m.compile(library.optimizers.SGD(0.1), "mse")
        with pytest.warns(UserWarning):
            m.fit(x, y, batch_size=4, epochs=4, steps_per_epoch=2, shuffle=False, verbose=0, **extra)
    assert seen == [2, 1, 2, 1]  # 3 batches a pass
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match=r"fit steps_per_epoch must be a whole number ≥ 1"):
        ours.fit(x, y, steps_per_epoch=0, verbose=0)


@pytest.mark.parametrize("freq", [2, [1, 3]])
def test_validation_freq_validates_on_keras_epochs_with_keras_values(freq):
    real = real_keras()

    def model(library):
        return library.Sequential([library.Input((3,)), library.layers.Dense(4, activation="tanh"),
                                   library.layers.Dense(1, activation="sigmoid")])

    theirs, ours = model(real), model(keras)
    ours.set_weights(theirs.get_weights())
    histories = []
    for net, library in ((theirs, real), (ours, keras)):
        net.compile(library.optimizers.SGD(0.1), "binary_crossentropy")
        histories.append(net.fit(X, Y, batch_size=8, epochs=4, shuffle=False, verbose=0,
                                 validation_data=(X[:10], Y[:10]), validation_freq=freq).history)
    theirs_log, ours_log = histories
    assert len(ours_log["val_loss"]) == len(theirs_log["val_loss"]) == 2 and len(ours_log["loss"]) == 4
    np.testing.assert_allclose(ours_log["val_loss"], theirs_log["val_loss"], rtol=1e-5)


def test_validation_freq_in_a_train_step_of_ones_own_and_bad_values():
    class Plain(keras.Model):
        def __init__(self):
            super().__init__()
            self.out = keras.layers.Dense(1, activation="sigmoid")

        def call(self, x):
            return self.out(x)

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            loss.backward()
            self.optimizer.apply([v.value.grad for v in self.trainable_weights], self.trainable_weights)
            for metric in self.metrics:
                metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, self(x))
            return {m.name: m.result() for m in self.metrics}

    model = Plain()
    model.compile("sgd", "binary_crossentropy")
    history = model.fit(X, Y, epochs=3, validation_split=0.25, validation_freq=3, verbose=0).history
    assert len(history["loss"]) == 3 and len(history["val_loss"]) == 1
    for bad in (0, 1.5, "2", [1, "x"]):
        with pytest.raises(ConfigError, match="validation_freq") as caught:
            model.fit(X, Y, epochs=1, validation_split=0.25, validation_freq=bad, verbose=0)
        assert str(caught.value).endswith(".")
