"""compile / fit / evaluate / predict / summary, end to end on small generated data."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import warnings

import numpy as np
import pandas as pd
import pytest

import fnlearn as fl
from fnlearn import callbacks as cbs
from fnlearn.errors import ConfigError, DataError, NotReadyError, ShapeError

# ----------------------------------------------------------------------------- data and helpers


def blobs(n: int = 300, classes: int = 3, features: int = 4, seed: int = 0):
    """Gaussian clusters, one per class: easy to learn, so accuracy must rise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(classes, features))
    labels = np.arange(n) % classes
    return (centres[labels] + rng.normal(size=(n, features))).astype(np.float32), labels


def regression(n: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 3))
    return x, np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:3]


def weights(model):
    return [w.copy() for w in model.get_weights()]


def same(a, b) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and (x == y).all() for x, y in zip(a, b))


def mlp(out_units: int, out_act: str | None, inputs: int = 4, hidden: int = 16, general: bool = False):
    layers = [fl.layers.Dense(hidden, activation="relu", input_dim=inputs),
              fl.layers.Dense(out_units, activation=out_act)]
    if general:  # Dropout(0) changes nothing but keeps the fast step out: the autodiff path runs
        layers.append(fl.layers.Dropout(0.0))
    return fl.Sequential(layers)


# ----------------------------------------------------------------------------- compile


@pytest.mark.parametrize("name, lr", [("sgd", 0.01), ("adam", 0.001), ("rmsprop", 0.001), ("adagrad", 0.001),
                                      ("adamw", 0.001), ("SGD", 0.01)])
def test_optimizer_names_get_keras_default_rates_and_are_bound(name, lr):
    model = mlp(1, None)
    model.compile(name, "mse")
    assert model.optimizer.current_learning_rate() == pytest.approx(lr)
    assert [id(p) for p in model.optimizer.params] == [id(p) for p in model.parameters()]


def test_compile_records_everything_the_other_parts_read():
    model = mlp(3, "softmax")
    model.compile(fl.optim.SGD(lr=0.087, momentum=0.9), "categorical_crossentropy", metrics=["accuracy", "mae"])
    assert model.compiled and model.metrics_names == ["loss", "accuracy", "mae"]
    assert model.loss == "categorical_crossentropy"
    config = model.compile_config()
    json.dumps(config)
    assert config["optimizer"]["name"] == "sgd" and config["optimizer"]["learning_rate"] == 0.087
    assert config["loss"] == "categorical_crossentropy" and config["metrics"] == ["accuracy", "mae"]
    out = model(fl.tensor(np.ones((2, 4))))
    assert model.loss_fn(np.eye(3)[:2], out).requires_grad
    model.compile("adam", loss=fl.losses.Loss("binary_crossentropy", from_logits=True))
    assert model.compile_config()["loss"]["from_logits"] is True
    model.compile("adam", loss=fl.losses.mae)  # the function itself is recorded by its name
    assert model.compile_config()["loss"] == "mae"


@pytest.mark.parametrize("kwargs, words", [
    ({"optimizer": "adamm", "loss": "mse"}, ["optimizer 'adamm'", "did you mean 'adam'", "rmsprop"]),
    ({"optimizer": "sgd", "loss": "mean_square_error"}, ["loss", "did you mean 'mean_squared_error'", "half_sse"]),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]}, ["metric", "did you mean 'accuracy'"]),
    ({"optimizer": "sgd"}, ["needs a loss"]),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["mae", "mae", fl.metrics.Metric(fl.metrics.mse, "mae_1")]},
     ["both be logged as 'mae_1'", "name="]),  # Keras would keep one of the two 'mae_1' silently
    ({"optimizer": "sgd", "loss": "mse", "metrics": [fl.metrics.Precision(name="loss")]}, ["named 'loss'"]),
    ({"optimizer": "sgd", "loss": "mse", "loss_weights": [1.0]}, ["loss_weights"]),
])
def test_bad_compile_arguments_are_one_sentence_and_change_nothing(kwargs, words):
    model = mlp(1, None)
    with pytest.raises(ConfigError) as info:
        model.compile(**kwargs)
    for word in words:
        assert word in str(info.value)
    assert not model.compiled and model.optimizer is None


def test_optimizer_of_a_model_without_input_shape_is_bound_at_the_first_fit():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(8, activation="relu"), fl.layers.Dense(1)])
    model.compile("sgd", "mse")
    assert model.optimizer.params is None
    x, y = regression(40)
    model.fit(x, y, epochs=1, verbose=0)
    assert model.input_shape == (3,) and [id(p) for p in model.optimizer.params] == [id(p) for p in model.parameters()]


# ----------------------------------------------------------------------------- learning end to end


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_regression_loss_falls(loss):
    fl.set_seed(0)
    x, y = regression()
    model = mlp(1, None, inputs=3, hidden=32)
    model.compile(fl.optim.Adam(learning_rate=0.01), loss, metrics=["mae", "mse"])
    h = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert h.history[loss][-1] < 0.5 * h.history[loss][0]
    assert h.history["loss"] == pytest.approx(h.history[loss], rel=1e-4)  # the loss and its metric agree
    assert model.evaluate(x, y)[0] == pytest.approx(model.evaluate(x, y, return_dict=True)["loss"])


def test_binary_classification_accuracy_rises():
    fl.set_seed(0)
    x, labels = blobs(classes=2)
    model = mlp(1, "sigmoid")
    model.compile(fl.optim.Adam(learning_rate=0.01), "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, labels, epochs=15, batch_size=16, verbose=0)
    acc = h.history["accuracy"]
    assert acc[-1] > acc[0] + 0.1 and acc[-1] > 0.9
    loss, accuracy = model.evaluate(x, labels)
    assert accuracy == pytest.approx(np.mean((model.predict(x)[:, 0] > 0.5) == labels))
    assert model.predict_classes(x).shape == (len(x), 1)


@pytest.mark.parametrize("general", [False, True])
def test_multiclass_sparse_and_one_hot_train_the_same_way(general):
    x, labels = blobs()
    histories = []
    for loss, y in (("sparse_categorical_crossentropy", labels),
                    ("categorical_crossentropy", fl.data.to_categorical(labels, 3))):
        fl.set_seed(1)
        model = mlp(3, "softmax", general=general)
        model.compile(fl.optim.SGD(learning_rate=0.05), loss, metrics=["accuracy"])
        histories.append(model.fit(x, y, epochs=8, batch_size=32, verbose=0).history)
    sparse, one_hot = histories
    assert sparse["accuracy"][-1] > sparse["accuracy"][0] and sparse["accuracy"][-1] > 0.9
    assert sparse["loss"] == pytest.approx(one_hot["loss"], rel=1e-4)
    assert sparse["accuracy"] == pytest.approx(one_hot["accuracy"])


def test_general_autodiff_step_matches_the_fast_step(float64):
    x, labels = blobs(120)
    results = []
    for general in (False, True):
        fl.set_seed(2)
        model = mlp(3, "softmax", general=general)
        model.compile(fl.optim.Adam(learning_rate=0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
        h = model.fit(x, labels, epochs=3, batch_size=16, verbose=0, validation_split=0.2)
        results.append((h.history, weights(model)))
    (h_fast, w_fast), (h_general, w_general) = results
    for a, b in zip(w_fast, w_general):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert h_fast["loss"] == pytest.approx(h_general["loss"], rel=1e-10)


class GradSpy(cbs.Callback):
    """Notes the shape of every parameter's .grad after each step."""

    def __init__(self):
        super().__init__()
        self.seen: list = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append([None if p.grad is None else p.grad.shape for p in self.model.parameters()])


def test_grad_holds_each_steps_gradient_for_callbacks():
    x, labels = blobs(64)
    for general in (False, True):
        model = mlp(3, "softmax", general=general)
        model.compile("sgd", "sparse_categorical_crossentropy")
        spy = GradSpy()
        model.fit(x, labels, batch_size=16, epochs=1, verbose=0, callbacks=[spy])
        assert len(spy.seen) == 4 and all(s == [p.shape for p in model.parameters()] for s in spy.seen)


def test_fit_is_deterministic_under_set_seed():
    x, labels = blobs(150)

    def run(seed):
        fl.set_seed(seed)
        model = mlp(3, "softmax")
        model.compile(fl.optim.SGD(learning_rate=0.1), "sparse_categorical_crossentropy")
        h = model.fit(x, labels, epochs=3, batch_size=10, validation_split=0.2, verbose=0)
        return h.history, weights(model)

    (h1, w1), (h2, w2), (h3, _) = run(7), run(7), run(8)
    assert h1 == h2 and same(w1, w2)
    assert h1 != h3


def test_shuffle_changes_the_batch_order_and_can_be_turned_off():
    x, y = regression(12)

    def first_batches(shuffle):
        fl.set_seed(0)
        model = fl.Sequential([fl.layers.Dense(1, input_dim=3)])
        model.compile("sgd", loss=lambda t, p: fl.losses.mse(t, p))  # a custom loss: the autodiff step runs
        original = model.forward
        seen = []
        model.forward = lambda t: (seen.append(t.numpy()[:, 0].copy()), original(t))[1]
        model.fit(x, y, batch_size=4, epochs=2, shuffle=shuffle, verbose=0)
        return np.concatenate(seen)

    unshuffled = first_batches(False)
    assert (unshuffled[:12] == x[:, 0].astype(np.float32)).all() and (unshuffled[12:] == unshuffled[:12]).all()
    shuffled = first_batches(True)
    assert sorted(shuffled[:12]) == sorted(x[:, 0].astype(np.float32))
    assert not (shuffled[:12] == unshuffled[:12]).all() and not (shuffled[:12] == shuffled[12:]).all()


def test_validation_split_holds_out_random_rows_not_the_last_ones():
    # y = 0, the model outputs x (identity weights, a rate too small to move them): val_loss (MAE) is the
    # mean of the held-out row numbers, so it tells which rows were held out.
    n = 100
    x = np.arange(n, dtype=np.float64).reshape(-1, 1)
    y = np.zeros(n)
    fl.set_seed(4)
    model = fl.Sequential([fl.layers.Dense(1, input_dim=1, kernel_initializer="ones")])
    model.compile(fl.optim.SGD(learning_rate=1e-12), "mae")
    h = model.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    # the split comes from the model's own shuffle seed (drawn from fl.set_seed's generator, saved in its file)
    expected_val = fl.data.split_validation(n, 0.2, rng=model._order_rng(-1))[1]
    assert h.history["val_loss"][0] == pytest.approx(expected_val.mean(), rel=1e-5)
    assert h.history["val_loss"][0] != pytest.approx(np.arange(80, 100).mean(), rel=1e-3)
    train_mean = np.setdiff1d(np.arange(n), expected_val).mean()
    assert h.history["loss"][0] == pytest.approx(train_mean, rel=1e-5)


def test_validation_data_is_evaluated_at_each_epoch_end():
    fl.set_seed(0)
    x, labels = blobs(200)
    xv, lv = blobs(60, seed=1)
    model = mlp(3, "softmax")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, labels, epochs=3, verbose=0, validation_data=(xv, lv))
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert h.history["val_loss"][-1] == pytest.approx(model.evaluate(xv, lv)[0], rel=1e-6)
    assert h.history["val_accuracy"][-1] == pytest.approx(model.evaluate(xv, lv)[1])


def test_epoch_metrics_are_sample_weighted_means_of_batches():
    x, y = regression(10)
    model = fl.Sequential([fl.layers.Dense(1, input_dim=3)])
    model.compile("sgd", "mse", metrics=[lambda t, p: float(len(t))])  # a metric equal to the batch size
    h = model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # batches of 4, 4 and 2
    assert h.history["lambda"] == [pytest.approx((4 * 4 + 4 * 4 + 2 * 2) / 10)]  # Keras's name for a lambda


def test_running_means_are_read_once_an_epoch_when_no_callback_wants_batch_logs(monkeypatch):
    x, labels = blobs(60)
    model = mlp(3, "softmax")
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    reads = []
    result = fl.metrics.MetricRun.result
    monkeypatch.setattr(fl.metrics.MetricRun, "result", lambda self: reads.append(1) or result(self))
    model.fit(x, labels, batch_size=10, epochs=2, verbose=0, capture=False)  # 6 batches an epoch, step by step
    assert len(reads) == 2  # the epochs' logs alone: nothing per batch
    model.fit(x, labels, batch_size=10, epochs=2, verbose=0,
              callbacks=[cbs.LambdaCallback(on_train_batch_end=lambda b, logs: None)])
    assert len(reads) == 2 + 2 * 6 + 2


def test_stop_training_from_a_callback_stops_after_that_batch():
    x, y = regression(100)
    model = mlp(1, None, inputs=3)
    model.compile("sgd", "mse")
    batches = []

    def stop(batch, logs):
        batches.append(batch)
        if batch == 2:
            model.stop_training = True

    h = model.fit(x, y, batch_size=10, epochs=5, verbose=0, callbacks=[cbs.LambdaCallback(on_train_batch_end=stop)])
    assert batches == [0, 1, 2] and h.epoch == [0]


def test_initial_epoch_resumes_the_count():
    x, y = regression(40)
    model = mlp(1, None, inputs=3)
    model.compile("sgd", "mse")
    h = model.fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert h.epoch == [3, 4]


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dropout", [False, True])
def test_fit_called_again_goes_on_as_one_longer_fit(float64, optimizer, dropout):
    # Keras's rule: fit(epochs=2) twice trains exactly as fit(epochs=4); each call's epochs get new orders
    x, y = regression(60)

    def start():
        fl.set_seed(3)
        layers = [fl.layers.Dense(8, activation="relu", input_dim=3)]
        layers += [fl.layers.Dropout(0.3)] if dropout else []
        model = fl.Sequential([*layers, fl.layers.Dense(1)])
        model.compile(optimizer, "mse")
        return model

    once = start()  # each model right after its seed: a model draws its shuffle seed at its first fit
    once.fit(x, y, epochs=4, batch_size=8, verbose=0, validation_split=0.2)
    twice = start()
    for _ in range(2):
        twice.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.2)
    looped = start()
    for _ in range(4):
        looped.fit(x, y, epochs=1, batch_size=8, verbose=0, validation_split=0.2)
    assert same(weights(once), weights(twice)) and same(weights(once), weights(looped))
    assert once.epochs_trained == twice.epochs_trained == 4
    resumed = start()
    resumed.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.2)
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, verbose=0, validation_split=0.2)
    assert same(weights(once), weights(resumed))


@pytest.mark.parametrize("loss", [lambda t, p: ((t - p) ** 2).mean(axis=-1),  # Keras's custom-loss convention
                                  fl.losses.Loss("mse", reduction="none")])
def test_a_loss_of_one_value_per_sample_is_averaged_as_keras_does(float64, loss):
    x, y = regression(40)
    fl.set_seed(1)
    model = mlp(1, None, inputs=3)
    twin = mlp(1, None, inputs=3)
    twin.set_weights(model.get_weights())
    model.compile("sgd", loss)
    twin.compile("sgd", "mse")
    assert model.evaluate(x, y) == pytest.approx(twin.evaluate(x, y), rel=1e-12)
    h = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    g = twin.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], g.history["loss"], rtol=1e-10)
    for a, b in zip(weights(model), weights(twin)):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_sample_weights_scale_each_samples_loss_as_keras_does(float64):
    x, labels = blobs(60)
    w = np.random.default_rng(4).uniform(0, 2, size=len(x))

    def start(lr):
        fl.set_seed(5)
        model = mlp(3, "softmax")
        model.compile(fl.optim.SGD(learning_rate=lr), "sparse_categorical_crossentropy")
        return model

    model = start(0.1)
    per_sample = fl.losses.sparse_categorical_crossentropy(labels, fl.tensor(model.predict(x)), reduction="none")
    # Keras's rule: Σ wᵢ·lossᵢ / n, not divided by Σ wᵢ
    expected = float(np.sum(per_sample.numpy() * w) / len(x))
    assert model.evaluate(x, labels, sample_weight=w, batch_size=7) == pytest.approx(expected, rel=1e-12)
    # every weight 2 is the plain loss at twice the learning rate
    doubled, plain = start(0.1), start(0.2)
    doubled.fit(x, labels, batch_size=10, epochs=2, shuffle=False, verbose=0, sample_weight=np.full(len(x), 2.0))
    plain.fit(x, labels, batch_size=10, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(weights(doubled), weights(plain)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    # class weights are the sample weights of each sample's class (integer labels, one-hot rows alike)
    by_class, by_sample, one_hot = start(0.1), start(0.1), start(0.1)
    table = {0: 1.0, 1: 3.0, 2: 0.5}
    h1 = by_class.fit(x, labels, batch_size=10, shuffle=False, verbose=0, class_weight=table,
                      validation_data=(x, labels, w))
    h2 = by_sample.fit(x, labels, batch_size=10, shuffle=False, verbose=0,
                       sample_weight=np.array([table[c] for c in labels]), validation_data=(x, labels, w))
    one_hot.compile(fl.optim.SGD(learning_rate=0.1), "categorical_crossentropy")
    one_hot.fit(x, np.eye(3)[labels], batch_size=10, shuffle=False, verbose=0, class_weight=table)
    assert h1.history == h2.history
    for a, b, c in zip(weights(by_class), weights(by_sample), weights(one_hot)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(sample_weight=np.ones(5)), ShapeError, "sample_weight has shape (5,), but there are 60 samples"),
    (dict(sample_weight=-np.ones(60)), DataError, "sample_weight holds -1 at row 0"),
    (dict(class_weight={0: 1.0, 1: 2.0}), ConfigError, "class_weight has no weight for class 2"),
    (dict(class_weight=[1.0, 2.0, 3.0]), ConfigError, "class_weight must be a dict"),
    (dict(class_weight={"a": 1.0}), ConfigError, "class_weight keys must be class numbers"),
    (dict(class_weight={0: 1.0, 1: -2.0, 2: 1.0}), ConfigError, "class_weight gives class 1 the weight -2.0"),
])
def test_weight_mistakes_are_one_sentence_before_any_change(kwargs, error, words):
    x, labels = blobs(60)
    model = mlp(3, "softmax")
    model.compile("sgd", "sparse_categorical_crossentropy")
    before = weights(model)
    with pytest.raises(error, match=re.escape(words)):
        model.fit(x, labels, verbose=0, **kwargs)
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(model)))


def test_weights_need_a_loss_of_one_value_per_sample(tmp_path):
    x, labels = blobs(20)
    model = fl.Sequential([fl.layers.Dense(3, activation="softmax")])  # unbuilt: the refusal must not build it
    model.compile("sgd", lambda t, p: fl.losses.sparse_categorical_crossentropy(t, p))  # one number per batch
    log = tmp_path / "log.csv"
    with pytest.raises(ConfigError, match="need one loss value per sample"):
        model.fit(x, labels, verbose=0, sample_weight=np.ones(20), callbacks=[fl.callbacks.CSVLogger(log)])
    assert not model.built and not log.exists()


def test_class_weights_weigh_the_training_rows_only(float64):
    x, labels = blobs(40)
    model = mlp(3, "softmax")
    model.compile(fl.optim.SGD(learning_rate=1e-30), "sparse_categorical_crossentropy")  # weights stay put
    h = model.fit(x, labels, epochs=1, verbose=0, class_weight={0: 1.0, 1: 10.0, 2: 1.0}, validation_split=0.25)
    held_out = fl.data.split_validation(40, 0.25, rng=model._order_rng(-1))[1]
    assert h.history["val_loss"][0] == pytest.approx(model.evaluate(x[held_out], labels[held_out]), rel=1e-9)


def test_a_loss_of_one_value_per_sample_works_for_the_glass_box_too(capsys):
    x, y = regression(40)
    model = fl.Sequential([fl.layers.Dense(8, activation="relu", input_dim=3), fl.layers.Dense(8, activation="relu"),
                           fl.layers.Dense(1)])
    model.compile("adam", lambda t, p: fl.mean((p - fl.tensor(t)) ** 2, axis=-1))
    history = model.fit(x, y, epochs=2, verbose=1)  # the hints after a verbose fit take fresh gradients
    assert len(history.history["loss"]) == 2
    from fnlearn import explain

    assert isinstance(explain.training_hints(model, history, x, y), list)


def test_one_sample_given_as_a_1d_array_gets_the_reshape_hint():
    x = np.random.default_rng(0).random((20, 6), dtype=np.float32)
    labels = np.arange(20) % 3
    model = fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=6)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    hint = "read as 6 rows of one value: pass x.reshape(1, -1)"
    with pytest.raises(ShapeError, match=re.escape(hint)):
        model.predict(x[0])
    with pytest.raises(ShapeError, match=re.escape("one sample given as a 1-D array, which reads as a column of 6 "
                                                   "rows: pass x.reshape(1, -1)")):
        model.fit(x[0], labels[:1], verbose=0)
    with pytest.raises(ShapeError) as info:
        model.predict(np.ones((3, 5)))
    assert "reshape" not in str(info.value)  # a real mismatch gets no such hint
    assert model.predict(x[0].reshape(1, -1)).shape == (1, 3)


def test_keras_list_of_one_input_array_and_samples_with_an_extra_axis():
    x = np.random.default_rng(0).random((12, 4))
    model = fl.Sequential([fl.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit([x], x.sum(1), verbose=0)  # Keras's [x] for a model with one input
    model.fit([x], [x.sum(1)], verbose=0)  # ... and [y] for one output
    assert model.predict((x,)).shape == (12, 1)
    flat = fl.Sequential([fl.layers.Dense(10)])
    flat.compile("sgd", "mse")
    with pytest.raises(ShapeError, match=re.escape("outputs shape (4, 10) per sample (Dense acts on the last axis "
                                                   "of each sample)") + ".*add fl.layers.Flatten"):
        flat.fit(x[:, :, None], np.ones((12, 10)), verbose=0)


def test_epochs_zero_trains_nothing_and_returns_an_empty_history():
    x, y = regression(20)
    model = mlp(1, None, inputs=3)
    model.compile("sgd", "mse")
    h = model.fit(x, y, epochs=0, verbose=0)
    assert h.epoch == [] and h.history == {} and model.optimizer.iterations == 0


def test_float64_models_train_on_float64_data(float64):
    x, y = regression(32)
    model = mlp(1, None, inputs=3)
    model.compile("sgd", "mse")
    model.fit(x.astype(np.float32), y, epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())


# ----------------------------------------------------------------------------- input kinds


def test_lists_dataframes_series_and_tensors_give_the_same_training():
    x, labels = blobs(60, classes=2)
    inputs = {
        "numpy": (x, labels),
        "lists": (x.tolist(), labels.tolist()),
        "pandas": (pd.DataFrame(x, columns=list("abcd")), pd.Series(labels)),
        "tensors": (fl.tensor(x), fl.tensor(labels.astype(np.float32))),
    }
    results = {}
    for kind, (xi, yi) in inputs.items():
        fl.set_seed(3)
        model = mlp(1, "sigmoid")
        model.compile("adam", "binary_crossentropy", metrics=["acc"])
        results[kind] = model.fit(xi, yi, epochs=2, batch_size=16, verbose=0).history
    for kind in ("lists", "pandas", "tensors"):
        assert results[kind]["loss"] == pytest.approx(results["numpy"]["loss"], rel=1e-6), kind
        assert results[kind]["acc"] == results["numpy"]["acc"]


# ----------------------------------------------------------------------------- bad input


@pytest.fixture
def built():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(8, activation="relu", input_dim=4, name="hidden"),
                           fl.layers.Dense(3, activation="softmax", name="scores")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


X4 = np.random.default_rng(0).normal(size=(30, 4))
LABELS = np.arange(30) % 3


@pytest.mark.parametrize("change, error, words", [
    (dict(y=LABELS[:20]), ShapeError, ["30 rows", "20"]),
    (dict(x=X4[:, :3]), ShapeError, ["'hidden'", "(4,)", "(3,)"]),
    (dict(y=LABELS + 1), DataError, ["label 3", "out of range", "3 output units"]),
    (dict(y=LABELS + 0.5), DataError, ["integer class labels"]),
    (dict(y=np.eye(3)[LABELS]), ShapeError, ["one-hot", "categorical_crossentropy", "argmax"]),
    (dict(batch_size=0), ConfigError, ["batch_size", "positive integer"]),
    (dict(batch_size=-5), ConfigError, ["batch_size"]),
    (dict(batch_size=2.5), ConfigError, ["batch_size"]),
    (dict(epochs=-1), ConfigError, ["epochs", "≥ 0"]),
    (dict(epochs=1.5), ConfigError, ["epochs"]),
    (dict(validation_split=1.0), ConfigError, ["validation_split", "[0, 1)"]),
    (dict(validation_split=-0.2), ConfigError, ["validation_split"]),
    (dict(validation_data=(X4, LABELS[:5])), ShapeError, ["validation x", "validation y"]),
    (dict(validation_data=X4), ConfigError, ["validation_data", "pair"]),
    (dict(x=np.where(np.arange(120).reshape(30, 4) == 13, np.nan, X4)), DataError, ["nan", "row 3, column 1"]),
    (dict(y=None), ConfigError, ["targets"]),
    (dict(shuffle="yes"), ConfigError, ["shuffle"]),
    (dict(initial_epoch=-1), ConfigError, ["initial_epoch"]),
    (dict(sample_weight=np.ones(29)), ShapeError, ["sample_weight", "(29,)", "30 samples"]),
    (dict(steps_per_epoch=0), ConfigError, ["steps_per_epoch", "≥ 1"]),
    (dict(x=np.array([["a"] * 4] * 30)), DataError, ["numbers"]),
])
def test_bad_fit_input_raises_before_any_weight_changes(built, change, error, words):
    before = weights(built)
    iterations = built.optimizer.iterations
    args = dict(x=X4, y=LABELS, epochs=2, verbose=0)
    args.update(change)
    with pytest.raises(error) as info:
        built.fit(**args)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert same(before, weights(built)) and built.optimizer.iterations == iterations


def test_validation_data_with_other_columns_is_refused_before_an_unbuilt_model_is_built():
    model = fl.Sequential([fl.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ShapeError, match="validation x"):
        model.fit(X4, LABELS, verbose=0, validation_data=(X4[:, :3], LABELS))
    assert not model.built


def test_a_single_callback_needs_no_list():
    model = mlp(3, "softmax")
    model.compile("sgd", "sparse_categorical_crossentropy")
    stop = cbs.EarlyStopping(monitor="loss", patience=0, min_delta=100.0)
    h = model.fit(X4, LABELS, epochs=5, verbose=0, callbacks=stop)
    assert len(h.epoch) == 2 and stop.stopped_epoch == 1


def test_integer_labels_with_categorical_crossentropy_point_to_the_fix(built):
    built.compile("sgd", "categorical_crossentropy")
    before = weights(built)
    with pytest.raises(ShapeError) as info:
        built.fit(X4, LABELS, verbose=0)
    assert "sparse_categorical_crossentropy" in str(info.value) and "to_categorical" in str(info.value)
    assert same(before, weights(built))


def test_labels_that_do_not_fit_the_output_layer(built):
    built.compile("sgd", "mse")
    with pytest.raises(ShapeError, match=r"'scores' outputs 3 value.*to_categorical"):
        built.fit(X4, LABELS, verbose=0)
    with pytest.raises(ShapeError, match="'scores' outputs 3"):
        built.fit(X4, np.ones((30, 2)), verbose=0)


def test_binary_crossentropy_targets_outside_0_1(built):
    model = mlp(1, "sigmoid")
    model.compile("sgd", "binary_crossentropy")
    before = weights(model)
    with pytest.raises(DataError, match=r"\[0, 1\].*holds 2 \(row 2\)"):
        model.fit(X4, LABELS, verbose=0)
    assert same(before, weights(model))


def test_fit_before_compile_and_predict_before_build():
    model = fl.Sequential([fl.layers.Dense(2)])
    with pytest.raises(NotReadyError, match="compile"):
        model.fit(X4, LABELS, verbose=0)
    with pytest.raises(NotReadyError, match="compile"):
        model.evaluate(X4, LABELS)
    with pytest.raises(ShapeError, match="x has samples of shape"):
        fl.Sequential([fl.layers.Dense(2, input_dim=3)]).predict(X4)
    assert not model.built
    assert model.predict(X4).shape == (len(X4), 2) and model.built  # built from the data, as in Keras


def test_allow_nonfinite_lets_nan_data_through_and_training_then_stops():
    x = X4.copy()
    x[5, 2] = np.nan
    model = mlp(1, None)
    model.compile("sgd", "mse")
    before = weights(model)
    with pytest.warns(RuntimeWarning, match="nan"):
        h = model.fit(x, np.zeros(30), batch_size=30, epochs=3, verbose=0, allow_nonfinite=True)
    assert math.isnan(h.history["loss"][0]) and len(h.epoch) == 1
    assert same(before, weights(model))  # the only step was refused


# ----------------------------------------------------------------------------- NaN and Ctrl-C


@pytest.mark.parametrize("general", [False, True])
def test_a_diverging_run_stops_with_the_last_finite_weights(general):
    fl.set_seed(0)
    x, y = regression(200)
    x = x * 10
    model = mlp(1, None, inputs=3, general=general)
    model.compile(fl.optim.SGD(learning_rate=5.0), "mse")
    after_step = []
    keep = cbs.LambdaCallback(on_train_batch_end=lambda b, logs: after_step.append(weights(model)))
    with pytest.warns(RuntimeWarning, match=r"the loss became (inf|nan).*last finite step.*smaller"):
        h = model.fit(x, y, epochs=20, batch_size=16, verbose=0, callbacks=[keep])
    assert len(h.epoch) < 20 and not math.isfinite(h.history["loss"][-1])
    final = weights(model)
    assert after_step and all(np.isfinite(w).all() for w in final)
    assert same(final, after_step[-1])


@pytest.fixture
def python_sigint():
    """Python's own Ctrl-C handler for the test: a runner started in the background or under nohup inherits an
    ignored SIGINT, where fit (rightly) installs nothing and a Ctrl-C never arrives."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("how", ["exception", "signal"])
def test_ctrl_c_keeps_the_last_completed_step_and_returns_the_history(how, python_sigint):
    x, y = regression(100)
    model = mlp(1, None, inputs=3)
    model.compile("sgd", "mse")
    after_step = []

    def on_batch(batch, logs):
        after_step.append(weights(model))
        if len(after_step) == 23:  # epoch 3 (0-based 2), batch 3 of 10
            if how == "exception":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGINT)  # the handler defers it to the end of this step

    with pytest.warns(RuntimeWarning, match="interrupted in epoch 3"):
        h = model.fit(x, y, batch_size=10, epochs=10, verbose=0,
                      callbacks=[cbs.LambdaCallback(on_train_batch_end=on_batch)])
    assert isinstance(h, cbs.History) and h.epoch == [0, 1] and len(h.history["loss"]) == 2
    assert len(after_step) == 23 and same(weights(model), after_step[-1])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_ends_the_program_where_a_run_reports_many_models(tmp_path, python_sigint):
    # the command line's runs: the weights are kept and the callbacks end, then the interrupt goes on
    from fnlearn.model import interrupt_ends_program

    x, y = regression(100)
    model = mlp(1, None, inputs=3)
    model.compile("sgd", "mse")
    log = tmp_path / "log.csv"

    def on_batch(batch, logs):
        if batch == 3:
            os.kill(os.getpid(), signal.SIGINT)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "interrupted" warning: the program ends instead
        with interrupt_ends_program(), pytest.raises(KeyboardInterrupt):
            model.fit(x, y, batch_size=10, epochs=10, verbose=0,
                      callbacks=[cbs.LambdaCallback(on_train_batch_end=on_batch), cbs.CSVLogger(log)])
    assert log.is_file() and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.warns(RuntimeWarning, match="interrupted"):  # outside it, fit returns again
        model.fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[cbs.LambdaCallback(on_train_batch_end=on_batch)])


# ----------------------------------------------------------------------------- evaluate / predict


def test_evaluate_returns_loss_alone_or_with_metrics():
    x, labels = blobs(90)
    model = mlp(3, "softmax")
    model.compile("adam", "sparse_categorical_crossentropy")
    loss = model.evaluate(x, labels, batch_size=7)
    assert isinstance(loss, float)
    full = fl.losses.sparse_categorical_crossentropy(labels, fl.tensor(model.predict(x))).item()
    assert loss == pytest.approx(full, rel=1e-5)  # batch means weighted by size = the mean over all rows
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy", "mse"])
    result = model.evaluate(x, labels)
    assert isinstance(result, list) and len(result) == 3
    assert result[1] == pytest.approx(np.mean(model.predict(x).argmax(1) == labels))
    assert list(model.evaluate(x, labels, return_dict=True)) == ["loss", "accuracy", "mse"]


def test_evaluate_verbose_prints_one_line(capsys):
    x, labels = blobs(30)
    model = mlp(3, "softmax")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.evaluate(x, labels, batch_size=10, verbose=1)
    assert capsys.readouterr().out.startswith("3/3 - loss: ")


class Recorder(fl.nn.Module):
    """An identity layer that notes how it was called."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x):
        self.calls.append((x.requires_grad, fl.is_grad_enabled(), self.training, len(x._parents)))
        return x


def test_predict_runs_in_eval_mode_without_a_graph():
    recorder = Recorder()
    model = fl.Sequential([fl.layers.Dense(3, input_dim=4), fl.layers.Dropout(0.5), recorder])
    out = model.predict(X4, batch_size=8)
    assert isinstance(out, np.ndarray) and out.shape == (30, 3)
    assert len(recorder.calls) >= 4 and set(recorder.calls) == {(False, False, False, 0)}
    assert model.training is True  # restored afterwards
    # Dropout is off: the same numbers every time (to rounding: a GPU's product may sum otherwise for other batches)
    np.testing.assert_allclose(model.predict(X4), out, rtol=1e-6, atol=1e-6)
    with pytest.raises(ShapeError, match="'dense"):
        model.predict(X4[:, :2])


def test_predict_classes_argmax_and_threshold():
    model = fl.Sequential([fl.layers.Dense(3, input_dim=4, activation="softmax")])
    assert (model.predict_classes(X4) == model.predict(X4).argmax(1)).all()
    binary = fl.Sequential([fl.layers.Dense(1, input_dim=4, activation="sigmoid")])
    classes = binary.predict_classes(X4)
    assert classes.dtype == np.int32 and (classes == (binary.predict(X4) > 0.5)).all()
    np.testing.assert_array_equal(binary.predict_proba(X4), binary.predict(X4))


def test_get_and_set_weights_check_shapes_first():
    model = mlp(3, "softmax")
    w = weights(model)
    with pytest.raises(ShapeError, match="4 parameters"):
        model.set_weights(w[:2])
    with pytest.raises(ShapeError):
        model.set_weights([w[0].T, *w[1:]])
    assert same(w, weights(model))
    model.set_weights([a * 0 for a in w])
    assert all((a == 0).all() for a in model.get_weights())


# ----------------------------------------------------------------------------- summary and the lecture programs


def tsai_model():
    fl.set_seed(0)
    model = fl.Sequential()
    model.add(fl.layers.Dense(100, input_dim=784))
    model.add(fl.layers.Activation("relu"))
    model.add(fl.layers.Dense(100))
    model.add(fl.layers.Activation("relu"))
    model.add(fl.layers.Dense(10))
    model.add(fl.layers.Activation("softmax"))
    return model


def test_summary_lists_layers_shapes_and_tsais_89610_parameters(capsys):
    model = tsai_model()
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert lines[0] == f'Model: "{model.name}"' and model.name.startswith("sequential")
    rows = lines[4:-5:2]  # one line per layer, separated by rules
    assert len(rows) == 6
    expected = [("Dense", "(None, 100)", "78,500"), ("Activation", "(None, 100)", "0"),
                ("Dense", "(None, 100)", "10,100"), ("Activation", "(None, 100)", "0"),
                ("Dense", "(None, 10)", "1,010"), ("Activation", "(None, 10)", "0")]
    for row, layer, (kind, shape, count) in zip(rows, model.layers, expected):
        assert row.split() == [layer.name, f"({kind})", *shape.split(), count]
    assert "Total params: 89,610" in text and "Trainable params: 89,610" in text
    assert capsys.readouterr().out == ""
    model.summary()
    assert "Total params: 89,610" in capsys.readouterr().out


def test_tsais_mnist_program_runs_on_small_random_data(capsys):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(200, 28, 28)).astype("float32")
    y_train = rng.integers(0, 10, size=200)
    x_test = rng.integers(0, 256, size=(50, 28, 28)).astype("float32")
    # the lecture's preparation: flatten, scale, one-hot
    x_train = x_train.reshape(200, 784) / 255
    x_test = x_test.reshape(50, 784) / 255
    y_train = fl.data.to_categorical(y_train, 10)
    model = tsai_model()
    model.compile(loss="mse", optimizer=fl.optim.SGD(lr=0.087), metrics=["accuracy"])
    model.summary()
    h = model.fit(x_train, y_train, batch_size=100, epochs=20)
    out = capsys.readouterr().out
    assert "Total params: 89,610" in out and out.count("Epoch ") == 20 and "Epoch 20/20 - 2/2" in out
    assert h.history["loss"][-1] < h.history["loss"][0]
    predictions = model.predict_classes(x_test)
    assert predictions.shape == (50,) and set(predictions) <= set(range(10))


def test_ithome_likes_program_with_pandas_runs():
    np.random.seed(42)
    df = pd.DataFrame({
        "height": np.random.randint(150, 200, size=100), "age": np.random.randint(18, 40, size=100),
        "income": np.random.randint(30000, 100000, size=100), "considerate": np.random.randint(0, 2, size=100),
        "distance": np.random.randint(0, 2, size=100), "liked": np.random.randint(0, 2, size=100)})
    x = df[["height", "age", "income", "considerate", "distance"]]
    y = df["liked"]
    x_train, x_test, y_train, y_test = x.iloc[:80], x.iloc[80:], y.iloc[:80], y.iloc[80:]
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(5, activation="relu", input_shape=(x_train.shape[1],)),
                           fl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # unscaled incomes may diverge: that is allowed to stop
        model.fit(x_train, y_train, epochs=50, batch_size=10, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test)
    assert 0.0 <= accuracy <= 1.0
    prediction = model.predict(np.array([[180, 25, 50000, 1, 1]]))
    assert prediction.shape == (1, 1) and 0.0 <= prediction[0][0] <= 1.0


def test_repeat_fits_on_the_same_arrays_still_refuse_nan_planted_later():
    from fnlearn import model as model_module

    fl.set_seed(0)
    # on the device already: fit memoises the array it checks, and host data would be copied every fit
    x = fl.backend.to_device(np.random.default_rng(0).normal(size=(64, 3)).astype("float32"))
    y = x.sum(1, keepdims=True)
    m = fl.Sequential([fl.layers.Dense(1, input_dim=3)])
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, y, epochs=1, verbose=0)
    assert id(x) in model_module._finite_checked  # checked once, remembered
    x[0, 0] = np.nan  # inside the remembered sample: the next fit looks again
    before = m.get_weights()
    with pytest.raises(fl.errors.DataError, match="row 0, column 0"):
        m.fit(x, y, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))


def test_nan_planted_outside_the_remembered_sample_is_named_when_the_loss_turns_nan():
    fl.set_seed(0)
    # on the device already: fit memoises the array it checks, and host data would be copied every fit
    x = fl.backend.to_device(np.random.default_rng(0).random((2000, 4), dtype=np.float32))
    y = x.sum(1)
    m = fl.Sequential([fl.layers.Dense(1, input_dim=4)])
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, y, batch_size=500, verbose=0)
    x[1500, 1] = np.nan  # between the sampled values: the memo cannot see it
    with pytest.warns(RuntimeWarning, match=r"batch 4, .*The data changed since fit checked them: x contains nan "
                                            r"at row 1500, column 1") as caught:
        m.fit(x, y, batch_size=500, shuffle=False, verbose=0)
    assert "learning rate" not in str(caught[0].message)
    with pytest.raises(fl.errors.DataError, match="x contains nan at row 1500, column 1"):
        m.evaluate(x, y)
    x[1500, 1] = 0.5
    assert np.isfinite(m.evaluate(x, y))  # the data are read again, not refused from memory


@pytest.mark.parametrize("where", ["x", "y", "y column"])
def test_values_beyond_float32_are_named_not_called_infinite(where):
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 4)), rng.random(20)
    if where == "x":
        x[3, 2] = -1e39
    else:
        y[3] = 1e39
        y = y.reshape(-1, 1) if where == "y column" else y
    m = fl.Sequential([fl.layers.Dense(1, input_dim=4)])
    m.compile(optimizer="sgd", loss="mse")
    before = m.get_weights()
    position = "row 3, column 2" if where == "x" else "row 3, column 0" if where == "y column" else "row 3"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy overflow warning beside the message
        with pytest.raises(fl.errors.DataError, match=rf"^{where[0]} holds -?1e\+39 at {position}, beyond what "
                                                      r"float32 can hold \(±3.4e\+38\); scale the data"):
            m.fit(x, y, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, m.get_weights()))
    fl.set_default_dtype("float64")
    try:
        wide = fl.Sequential([fl.layers.Dense(1, input_dim=4)])
    finally:
        fl.set_default_dtype("float32")
    wide.compile(optimizer="sgd", loss="mse")
    assert np.isfinite(wide.evaluate(x, y))  # float64 holds the value


@pytest.mark.host_only
def test_a_cpu_fit_loads_no_module_a_training_process_need_not_hold():
    """Every module a process holds counts in its peak memory: pathlib (with urllib.parse and ipaddress,
    which it loads) was some 0.6 MiB of a one-epoch MNIST run's. Modules NumPy itself loads do not count."""
    import subprocess
    import sys

    avoid = ("pathlib", "urllib.parse", "ipaddress", "argparse", "csv", "inspect", "tempfile")
    code = ("import sys, json, numpy, numpy.random; before = set(sys.modules); import fnlearn as fl;"
            "m = fl.Sequential([fl.layers.Dense(8, activation='relu', input_dim=4), fl.layers.Dense(3)]);"
            "m.compile('sgd', 'sparse_categorical_crossentropy');"
            "x = numpy.random.default_rng(0).random((64, 4), dtype=numpy.float32);"
            "m.fit(x, numpy.arange(64) % 3, batch_size=16, epochs=2, verbose=0); m.predict(x, verbose=0);"
            f"print(json.dumps(sorted(n for n in {avoid!r} if n in sys.modules and n not in before)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_dense_on_samples_with_more_axes_trains_on_the_last_axis():
    # Keras applies Dense to the last axis of each sample; fit and predict take the general path there
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 5, 4)), rng.normal(size=(16, 5, 2))
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, activation="tanh", input_shape=(5, 4)), fl.layers.Dense(2)])
    model.compile(fl.optim.SGD(learning_rate=0.1), "mse")
    rows = fl.Sequential([fl.layers.Dense(3, activation="tanh", input_dim=4), fl.layers.Dense(2)])
    rows.set_weights(model.get_weights())
    rows.compile(fl.optim.SGD(learning_rate=0.1), "mse")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    rows.fit(x.reshape(-1, 4), y.reshape(-1, 2), batch_size=80, epochs=1, verbose=0)  # the same mean, by rows
    for a, b in zip(model.get_weights(), rows.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert model.predict(x[:3]).shape == (3, 5, 2)


def test_class_scores_per_row_of_a_sample_ask_for_flatten():
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_shape=(6, 6)),
                           fl.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ShapeError, match=r"outputs shape \(6, 3\) per sample .* add fl.layers.Flatten\(\) before "
                                         "the first Dense layer"):
        model.fit(np.ones((8, 6, 6)), np.arange(8) % 3, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_refused_fit_draws_nothing_from_the_seeded_generator():
    def first_weights(refused_fit: bool) -> np.ndarray:
        fl.set_seed(5)
        model = fl.Sequential([fl.layers.Dense(2, input_dim=3)])
        model.compile("sgd", "mse")
        if refused_fit:
            with pytest.raises(ConfigError):
                model.fit(np.ones((10, 3)), np.ones((10, 2)), validation_split=0.2, callbacks=[1], verbose=0)
        return fl.layers.Dense(2, input_dim=3).kernel.numpy()

    np.testing.assert_array_equal(first_weights(True), first_weights(False))


def test_summary_widens_its_first_column_for_long_layer_names(capsys):
    model = fl.Sequential([fl.layers.Dense(4, input_dim=3), fl.layers.BatchNormalization(), fl.layers.Dense(1)])
    lines = []
    model.summary(print_fn=lines.append)
    rows = [line for line in lines if "(BatchNormalization)" in line or "(Dense)" in line]
    assert len(rows) == 3
    starts = {line.index("(None,") for line in rows}
    assert len(starts) == 1  # the shapes line up in one column
    assert all(len(line) <= len(lines[1]) for line in rows)  # and inside the rules


def test_compile_warns_when_a_cross_entropy_of_probabilities_gets_raw_scores():
    from fnlearn import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="scores")])
    with pytest.warns(UserWarning, match=r"the last layer 'scores' gives raw scores .* but "
                                         r"sparse_categorical_crossentropy takes probabilities; give its last layer "
                                         r"activation='softmax', or compile with "
                                         r"loss=keras\.losses\.SparseCategoricalCrossentropy\(from_logits=True\)"):
        model.compile("adam", "sparse_categorical_crossentropy")
    own = fl.Sequential([fl.layers.Dense(1, input_dim=4)])
    with pytest.warns(UserWarning, match=r"activation='sigmoid', or compile with "
                                         r"loss=fl\.losses\.Loss\('binary_crossentropy', from_logits=True\)"):
        own.compile("adam", "binary_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.compile("adam", "mse")
        probabilities = fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=4)])
        probabilities.compile("adam", "categorical_crossentropy")


def test_summary_takes_kerass_show_trainable_and_refuses_its_other_layouts_in_one_sentence():
    from fnlearn import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="frozen"),
                              keras.layers.Dropout(0.1, name="drop"), keras.layers.Dense(1, name="free")])
    model.get_layer("frozen").trainable = False
    lines: list[str] = []
    model.summary(show_trainable=True, print_fn=lines.append)
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "Trainable"]
    marks = {line.split()[0]: line.split()[-1] for line in lines if line.startswith((" frozen", " drop", " free"))}
    assert marks == {"frozen": "N", "drop": "-", "free": "Y"}  # Keras's marks: no weights is "-"
    for option in ({"positions": [0.3, 0.6, 0.8]}, {"layer_range": ["frozen", "free"]}):
        with pytest.raises(ConfigError, match=rf"summary\({next(iter(option))}=.*is a Keras option fnlearn's "
                                              "summary does not have"):
            model.summary(**option)
