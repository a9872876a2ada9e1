"""fit / evaluate / predict on datasets of batches: the same numbers as on the arrays batched alike, the
dataset's own order kept, validation and sample weights from datasets, generators, steps_per_epoch, and the
arguments Keras refuses with a dataset, refused before anything changes."""

from __future__ import annotations

import io
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend
from fnlearn.compat import tensorflow as tf
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.pipeline import Dataset

RNG = np.random.default_rng(4)
X = RNG.normal(size=(23, 5))
LABELS = np.arange(23) % 3
W = RNG.random(23) + 0.5


def model(seed: int = 0, loss: str = "sparse_categorical_crossentropy", **compile_kwargs):
    fl.set_seed(seed)
    m = fl.Sequential([fl.layers.Dense(6, activation="relu", input_dim=5, name="hidden"),
                       fl.layers.Dense(3, activation="softmax", name="out")])
    m.compile("adam", loss, metrics=["accuracy"], **compile_kwargs)
    return m


def weights(m):
    return [backend.to_numpy(w).copy() for w in m.get_weights()]


@pytest.mark.usefixtures("float64")
def test_fit_evaluate_predict_on_a_dataset_equal_the_arrays_batched_alike():
    ours, theirs = model(), model()
    ds = tf.data.Dataset.from_tensor_slices((X, LABELS)).batch(5)
    val = tf.data.Dataset.from_tensor_slices((X[:7], LABELS[:7])).batch(3)
    h_ds = ours.fit(ds, epochs=3, validation_data=val, verbose=0)
    h_arr = theirs.fit(X, LABELS, batch_size=5, epochs=3, shuffle=False, verbose=0,
                       validation_data=(X[:7], LABELS[:7]), validation_batch_size=3)
    assert sorted(h_ds.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for key in h_arr.history:
        np.testing.assert_allclose(h_ds.history[key], h_arr.history[key], rtol=1e-12)
    for a, b in zip(weights(ours), weights(theirs)):  # the same steps; a copied batch may round one ulp apart
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert h_ds.params == {"epochs": 3, "steps": 5, "verbose": 0}
    assert ours.evaluate(ds) == pytest.approx(theirs.evaluate(X, LABELS, batch_size=5), rel=1e-12)
    np.testing.assert_allclose(ours.predict(ds), theirs.predict(X, batch_size=5), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(ours.predict(ds.map(lambda x, y: x)), theirs.predict(X, batch_size=5), rtol=1e-12,
                               atol=1e-15)
    assert ours.evaluate(ds, steps=2) == pytest.approx(theirs.evaluate(X[:10], LABELS[:10], batch_size=5), rel=1e-12)
    assert ours.predict(ds, steps=2).shape == (10, 3)


@pytest.mark.usefixtures("float64")
def test_sample_weights_in_the_batches_and_class_weights_equal_the_arrays():
    ours, theirs = model(), model()
    ds = Dataset.from_tensor_slices((X, LABELS, W)).batch(8)
    ours.fit(ds, epochs=2, verbose=0, class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    theirs.fit(X, LABELS, sample_weight=W, batch_size=8, epochs=2, shuffle=False, verbose=0,
               class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    for a, b in zip(weights(ours), weights(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert ours.evaluate(ds) == pytest.approx(theirs.evaluate(X, LABELS, sample_weight=W, batch_size=8), rel=1e-12)


def test_each_epoch_trains_on_the_batches_in_the_datasets_own_order():
    seen = []

    class Recorder(fl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    m = model()
    ds = Dataset.from_tensor_slices((X, LABELS)).shuffle(23, seed=1).batch(10)
    orders = []
    m.fit(ds.map(lambda x, y: (orders.append(y.tolist()) or x, y)), epochs=2, verbose=0, callbacks=[Recorder()])
    assert seen == [0, 1, 2, 0, 1, 2]
    first, second = sum(orders[:3], []), sum(orders[3:], [])
    assert sorted(first) == sorted(second) == sorted(LABELS.tolist()) and first != second  # reshuffled per pass


def test_progress_lines_and_unknown_lengths_are_counted(capsys):
    m = model()
    gen = ((X[i:i + 6], LABELS[i:i + 6]) for i in range(0, 23, 6))
    history = m.fit(gen, epochs=1, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/1 - 4/4 - " in out and "accuracy" in out  # 4 batches, counted as they came
    assert history.params["steps"] is None and len(history.history["loss"]) == 1


def test_a_generator_is_read_once_and_training_stops_when_it_runs_out():
    m = model()
    gen = ((X[i:i + 6], LABELS[i:i + 6]) for i in range(0, 23, 6))
    with pytest.warns(UserWarning, match=r"ran out of batches in epoch 2; training stops here"):
        history = m.fit(gen, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1 and m.epochs_trained == 1


def test_an_iterable_of_batches_is_read_afresh_every_epoch():
    class Batches:
        passes = 0

        def __iter__(self):
            Batches.passes += 1
            return ((X[i:i + 8], LABELS[i:i + 8]) for i in range(0, 23, 8))

        def __len__(self):
            return 3

    history = model().fit(Batches(), epochs=3, verbose=0)
    assert Batches.passes == 3 and history.params["steps"] == 3 and len(history.history["loss"]) == 3


def test_steps_per_epoch_reads_on_across_epochs_and_starts_a_new_pass_when_done():
    reads = []
    ds = Dataset.from_tensor_slices((X, LABELS)).batch(6).map(lambda x, y: (reads.append(float(x[0, 0])) or x, y))
    m = model()
    m.fit(ds, epochs=4, steps_per_epoch=2, verbose=0)
    assert reads == X[[0, 6, 12, 18, 0, 6, 12, 18], 0].tolist()  # 4 batches a pass: epochs 1-2, then a new pass
    endless = Dataset.from_tensor_slices((X, LABELS)).batch(6).repeat()
    history = model().fit(endless, epochs=2, steps_per_epoch=5, verbose=0)
    assert history.params["steps"] == 5 and len(history.history["loss"]) == 2
    with pytest.warns(UserWarning, match="ran out of batches; training stops here"):
        short = model().fit(Dataset.from_tensor_slices((X, LABELS)).batch(6), epochs=3, steps_per_epoch=5, verbose=0)
    assert len(short.history["loss"]) == 1


def test_predict_takes_batches_of_x_alone_or_x_with_targets():
    m = model()
    alone = ((X[i:i + 4],) for i in range(0, 23, 4))  # a tuple of one: x
    np.testing.assert_allclose(m.predict(alone), m.predict(X), rtol=1e-6)
    pairs = Dataset.from_tensor_slices((X, LABELS)).batch(7)
    np.testing.assert_allclose(m.predict(pairs), m.predict(X), rtol=1e-6)


def test_a_model_built_by_its_first_batch_and_a_functional_model_of_two_outputs():
    fl.set_seed(0)
    m = fl.Sequential([fl.layers.Dense(4, activation="relu"), fl.layers.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(Dataset.from_tensor_slices((X, X[:, :1])).batch(8), epochs=1, verbose=0)
    assert m.built and m.input_shape == (5,)
    from fnlearn import keras

    inputs = keras.Input(shape=(5,))
    hidden = keras.layers.Dense(4, activation="relu")(inputs)
    two = keras.Model(inputs, [keras.layers.Dense(1, name="a")(hidden), keras.layers.Dense(2, name="b")(hidden)])
    two.compile("sgd", "mse")
    ds = Dataset.from_tensor_slices((X, {"a": X[:, 0], "b": X[:, 1:3]})).batch(8)
    history = two.fit(ds, epochs=1, verbose=0, validation_data=ds)
    assert {"a_loss", "b_loss", "loss", "val_loss"} <= set(history.history)
    outs = two.predict(ds)
    assert [o.shape for o in outs] == [(23, 1), (23, 2)]


@pytest.mark.parametrize("call,error,words", [
    (lambda m, ds: m.fit(ds, LABELS), ConfigError, ["fit got y", "x is a dataset", "the targets"]),
    (lambda m, ds: m.fit(ds, batch_size=8), ConfigError, ["batch_size", "rebatch"]),
    (lambda m, ds: m.fit(ds, sample_weight=W), ConfigError, ["sample_weight", "(x, y, sample_weight)"]),
    (lambda m, ds: m.fit(ds, validation_split=0.2), ConfigError, ["validation_split", "validation_data"]),
    (lambda m, ds: m.fit(X, LABELS, steps_per_epoch=1.5), ConfigError, ["steps_per_epoch", "whole number"]),
    (lambda m, ds: m.fit(ds, steps_per_epoch=0), ConfigError, ["steps_per_epoch", "≥ 1"]),
    (lambda m, ds: m.fit(ds.repeat()), ConfigError, ["endless", "steps_per_epoch"]),
    (lambda m, ds: m.fit(ds.take(0)), DataError, ["gives no batches"]),
    (lambda m, ds: m.fit(ds.map(lambda x, y: x)), DataError, ["batch 1 of the dataset holds no targets"]),
    (lambda m, ds: m.fit(ds.map(lambda x, y: (x[:, :4], y))), ShapeError, ["'hidden'", "batch 1 of the dataset"]),
    (lambda m, ds: m.fit(ds.map(lambda x, y: (x, y + 3))), DataError, ["label", "out of range"]),
    (lambda m, ds: m.fit(ds, validation_data=ds.map(lambda x, y: (x[:, :4], y))), ShapeError,
     ["validation"]),
    (lambda m, ds: m.fit(ds.map(lambda x, y: (x, y, y, y))), DataError, ["tuple of 4 items"]),
    (lambda m, ds: m.evaluate(ds, LABELS), ConfigError, ["evaluate got y"]),
    (lambda m, ds: m.evaluate(X, LABELS, steps=2), ConfigError, ["steps=2", "arrays"]),
    (lambda m, ds: m.predict(ds, batch_size=4), ConfigError, ["predict got batch_size"]),
])
def test_wrong_use_of_a_dataset_is_refused_before_any_weight_changes(call, error, words):
    m = model()
    m.fit(X, LABELS, epochs=1, verbose=0)
    before, iterations = weights(m), m.optimizer.iterations
    ds = Dataset.from_tensor_slices((X, LABELS)).batch(8)
    with pytest.raises(error) as info:
        call(m, ds)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(m))) and m.optimizer.iterations == iterations


def test_a_bad_later_batch_names_its_number():
    m = model()
    batches = [(X[:8], LABELS[:8]), (X[8:16, :4], LABELS[8:16])]
    with pytest.raises(ShapeError, match=r"batch 2 of the dataset has samples of shape \(4,\), but its first batch "
                                         r"had \(5,\)"):
        m.fit(iter(batches), verbose=0)
    # a model that has no input shape of its own is held to its first batch's
    fl.set_seed(0)
    free = fl.Sequential([fl.layers.Flatten(), fl.layers.Dense(3, activation="softmax")])
    free.compile("sgd", "sparse_categorical_crossentropy")
    images = [(RNG.random((4, 3, 3)), LABELS[:4]), (RNG.random((4, 3, 2)), LABELS[:4])]
    with pytest.raises(ShapeError, match=r"batch 2 of the dataset has samples of shape \(3, 2\), but its first "
                                         r"batch had \(3, 3\)"):
        free.fit(iter(images), verbose=0)


def test_nan_in_a_batch_is_refused_unless_allowed():
    bad = X.copy()
    bad[9, 2] = np.nan
    with pytest.raises(DataError, match=r"x \(batch 2 of the dataset\).*nan"):
        model().fit(Dataset.from_tensor_slices((bad, LABELS)).batch(8), verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with redirect_stdout(io.StringIO()):
            model().fit(Dataset.from_tensor_slices((bad, LABELS)).batch(8), verbose=0, allow_nonfinite=True)
