"""Real Keras 3's model descriptions and .keras files, read by fnlearn: architecture, weights, compile settings."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.backend import to_numpy
from fnlearn.errors import ConfigError, ModelFileError
from fnlearn.keras.cloning import model_from_config

RNG = np.random.default_rng(0)


def _saved(real, model, x, y, tmp_path, **compile_settings):
    """``model`` after one short fit (so its weights and compile settings are its own), saved as a .keras file."""
    model.compile(**compile_settings)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    return path


def _outputs(value):
    return [to_numpy(v) for v in value] if isinstance(value, (list, tuple)) else [to_numpy(value)]


def _same_model(real, theirs, ours, x):
    """The same layers (names, classes, output shapes), parameter count and predictions."""
    named = [(layer.name, type(layer).__name__) for layer in theirs.layers if type(layer).__name__ != "InputLayer"]
    assert [(layer.name, type(layer).__name__) for layer in ours.layers
            if type(layer).__name__ != "InputLayer"] == named
    assert ours.count_params() == theirs.count_params()
    expected = _outputs(compiled(real, theirs, x))
    got = _outputs(ours.predict(x, verbose=0))
    assert [g.shape for g in got] == [e.shape for e in expected]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_mlp_sequential_keras_file_comes_over_compiled(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(16, 4)).astype("float32")
    y = RNG.integers(0, 3, 16)
    theirs = real.Sequential([real.Input(shape=(4,)), real.layers.Dense(5, activation="relu"),
                              real.layers.Dense(3, activation="softmax")], name="mlp")
    path = _saved(real, theirs, x, y, tmp_path, optimizer=real.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ours = keras.models.load_model(path)
    assert ours.name == "mlp" and ours.compiled
    assert ours.loss == "sparse_categorical_crossentropy"
    assert type(ours.optimizer).__name__ == "Adam"
    assert ours.optimizer.learning_rate == pytest.approx(0.01)
    _same_model(real, theirs, ours, x)
    again = fl.load_model(path)  # fnlearn's own load_model reads it too
    np.testing.assert_allclose(to_numpy(again.predict(x, verbose=0)), to_numpy(ours.predict(x, verbose=0)))
    assert not keras.saving.load_model(path, compile=False).compiled


def test_mnist_cnn_keras_file(tmp_path):
    real = real_keras()
    x = RNG.random((8, 8, 8, 1)).astype("float32")
    y = RNG.integers(0, 3, 8)
    theirs = real.Sequential([real.Input(shape=(8, 8, 1)), real.layers.Conv2D(2, 3, activation="relu"),
                              real.layers.MaxPooling2D(2), real.layers.Flatten(), real.layers.Dropout(0.5),
                              real.layers.Dense(3, activation="softmax")])
    path = _saved(real, theirs, x, y, tmp_path, optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    ours = keras.models.load_model(path)
    assert ours.compiled and type(ours.optimizer).__name__ == "SGD"
    _same_model(real, theirs, ours, x)
    # the glass box explains the network trained in Keras: its filters, from the command line
    from fnlearn import cli

    assert cli.main(["explain", "filters", str(path), "--out", str(tmp_path / "figures")]) == 0
    assert (tmp_path / "figures" / "filters.png").stat().st_size > 0


def test_functional_two_inputs_two_outputs_with_a_shared_layer(tmp_path):
    real = real_keras()
    a, b = real.Input(shape=(4,), name="a"), real.Input(shape=(3,), name="b")
    shared = real.layers.Dense(3, name="shared")
    merged = real.layers.concatenate([shared(a), real.layers.Dense(3, name="side")(b)])
    first = real.layers.Dense(1, name="reg")(merged)
    mixed = real.layers.add([shared(a), real.layers.Dense(3, name="mix")(merged)])
    second = real.layers.Dense(2, activation="softmax", name="cls")(mixed)
    theirs = real.Model([a, b], [first, second], name="two")
    x = [RNG.normal(size=(8, 4)).astype("float32"), RNG.normal(size=(8, 3)).astype("float32")]
    y = [RNG.normal(size=(8, 1)).astype("float32"), RNG.integers(0, 2, 8)]
    path = _saved(real, theirs, x, y, tmp_path, optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"],
                  metrics=[["mae"], ["accuracy"]])
    ours = keras.models.load_model(path)
    assert ours.compiled
    _same_model(real, theirs, ours, x)


def test_embedding_lstm_text_classifier_with_mask_zero(tmp_path):
    real = real_keras()
    x = RNG.integers(1, 20, (8, 6)).astype("int32")
    x[:, 4:] = 0  # padding, masked by the Embedding
    y = RNG.integers(0, 2, (8, 1)).astype("float32")
    theirs = real.Sequential([real.Input(shape=(6,), dtype="int32"), real.layers.Embedding(20, 4, mask_zero=True),
                              real.layers.LSTM(3), real.layers.Dense(1, activation="sigmoid")])
    path = _saved(real, theirs, x, y, tmp_path, optimizer="rmsprop", loss="binary_crossentropy",
                  metrics=["accuracy"])
    ours = keras.models.load_model(path)
    assert ours.compiled and ours.layers[0].mask_zero
    _same_model(real, theirs, ours, x)


def test_batch_normalization_regularizer_and_constraint(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(16, 4)).astype("float32")
    y = RNG.normal(size=(16, 1)).astype("float32")
    theirs = real.Sequential([
        real.Input(shape=(4,)),
        real.layers.Dense(3, kernel_regularizer=real.regularizers.L2(0.01),
                          kernel_constraint=real.constraints.MaxNorm(1.5),
                          kernel_initializer=real.initializers.HeNormal(seed=1)),
        real.layers.BatchNormalization(), real.layers.Dense(1)])
    path = _saved(real, theirs, x, y, tmp_path, optimizer=real.optimizers.SGD(0.05, momentum=0.5), loss="mse")
    ours = keras.models.load_model(path)
    dense = ours.layers[0]
    assert dense.kernel_regularizer.l2 == pytest.approx(0.01)
    assert type(dense.kernel_constraint).__name__ == "MaxNorm"
    assert ours.optimizer.momentum == pytest.approx(0.5)
    moving = theirs.layers[1].moving_mean.numpy()
    assert not np.allclose(moving, 0)  # the fit moved them: they came over from the file
    np.testing.assert_allclose(ours.layers[1].get_weights()[2], moving, rtol=1e-6)
    _same_model(real, theirs, ours, x)


def _wide_keras_model(real):
    """Nested Sequential, Bidirectional, TimeDistributed, an LSTM giving its states and one started from them."""
    tokens = real.Input(shape=(5,), dtype="int32", name="tokens")
    seq = real.layers.Embedding(10, 4, mask_zero=True)(tokens)
    seq = real.layers.Bidirectional(real.layers.LSTM(3, return_sequences=True))(seq)
    seq, h, c = real.layers.LSTM(3, return_sequences=True, return_state=True)(seq)
    last = real.layers.GRU(3)(seq, initial_state=h)
    inner = real.Sequential([real.Input(shape=(3,)), real.layers.Dense(2), real.layers.BatchNormalization()],
                            name="inner")
    steps = real.layers.TimeDistributed(real.layers.Dense(2))(real.layers.RepeatVector(2)(inner(last)))
    return real.Model(tokens, [steps, real.layers.Dense(1)(c)], name="wide")


def test_model_from_json_and_from_config_then_keras_weights():
    real = real_keras()
    theirs = _wide_keras_model(real)
    x = RNG.integers(1, 10, (4, 5)).astype("int32")
    for ours in (keras.models.model_from_json(theirs.to_json()), keras.Model.from_config(theirs.get_config())):
        ours.set_weights(theirs.get_weights())
        _same_model(real, theirs, ours, x)
    mlp = real.Sequential([real.Input(shape=(3,)), real.layers.Dense(2)])
    assert keras.Sequential.from_config(mlp.get_config()).count_params() == 8
    assert model_from_config(mlp.get_config()).count_params() == 8


def test_load_weights_of_a_keras_weights_file(tmp_path):
    real = real_keras()
    theirs = _wide_keras_model(real)
    path = tmp_path / "w.weights.h5"
    theirs.save_weights(path)
    ours = keras.models.model_from_json(theirs.to_json())
    ours.load_weights(path)
    _same_model(real, theirs, ours, RNG.integers(1, 10, (4, 5)).astype("int32"))
    other = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    before = other.get_weights()
    with pytest.raises(ModelFileError, match="holds weights of shapes") as info:
        other.load_weights(path)
    _one_sentence(str(info.value))
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # refused before any weight changed


def _one_sentence(message: str) -> None:
    assert message.endswith(".") and message.count(". ") == 0, message


@pytest.mark.parametrize("make, shape, words", [
    (lambda real: type("Wobble", (real.layers.Layer,), {"call": lambda self, x: x})(name="w"), (64, 1),
     ("layer 'w' (Wobble)", "fnlearn does not have")),
    (lambda real: real.layers.Dense(2, lora_rank=2, name="d"), (4, 4, 4, 1), ("layer 'd' (Dense)", "lora_rank=2")),
    (lambda real: real.layers.Dense(2, dtype="mixed_float16", name="d"), (4, 4, 4, 1),
     ("layer 'd'", "'mixed_float16'")),
])
def test_settings_fnlearn_cannot_honour_are_refused(make, shape, words):
    real = real_keras()
    inputs = real.Input(shape=shape)
    theirs = real.Model(inputs, make(real)(inputs))
    for attempt in (lambda: keras.models.model_from_json(theirs.to_json()),
                    lambda: keras.Model.from_config(theirs.get_config())):
        with pytest.raises(ConfigError) as info:
            attempt()
        for word in words:
            assert word in str(info.value)
        _one_sentence(str(info.value))


def test_keras_defaults_that_ask_for_nothing_are_dropped():
    real = real_keras()
    config = json.loads(real.Sequential([real.Input(shape=(3,)), real.layers.Dense(2, name="d")]).to_json())
    dense = config["config"]["layers"][1]["config"]
    assert dense["quantization_config"] is None and dense["dtype"]["class_name"] == "DTypePolicy"
    dense.update(lora_rank=None, lora_alpha=None, activity_regularizer=None)
    ours = keras.models.model_from_json(json.dumps(config))
    assert ours.layers[0].get_config()["units"] == 2


def test_damaged_keras_files_are_refused(tmp_path):
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(ModelFileError, match="not a readable zip archive") as info:
        keras.models.load_model(corrupt)
    _one_sentence(str(info.value))
    lacking = tmp_path / "lacking.keras"
    with zipfile.ZipFile(lacking, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("model.weights.h5", b"")
    with pytest.raises(ModelFileError, match="has no config.json") as info:
        keras.models.load_model(lacking)
    _one_sentence(str(info.value))


def test_arithmetic_on_tensors_and_a_named_metric_come_over():
    """``x + attention``, ``2 * x``, ``x - 1``, ``-x`` and ``x / 4`` are ops in Keras's config (a transformer block's
    residual): they come over as fnlearn's merge and Rescaling layers; a metric keeps the name it was given."""
    real = real_keras()
    inputs = real.Input(shape=(5, 4))
    attended = real.layers.MultiHeadAttention(num_heads=2, key_dim=2)(inputs, inputs)
    x = real.layers.LayerNormalization()(inputs + attended)
    x = real.layers.Dense(4)(2.0 * x) - 1.0
    x = real.layers.GlobalAveragePooling1D()(-x * real.layers.Dense(4)(x) / 4.0)
    theirs = real.Model(inputs, real.layers.Dense(1, activation="sigmoid")(x))
    theirs.compile("sgd", "binary_crossentropy", metrics=[real.metrics.BinaryAccuracy(name="acc")])
    ours = keras.models.model_from_json(theirs.to_json())
    ours.set_weights(theirs.get_weights())
    x = RNG.normal(size=(6, 5, 4)).astype("float32")
    np.testing.assert_allclose(to_numpy(ours.predict(x, verbose=0)), compiled(real, theirs, x), rtol=1e-5, atol=1e-6)
    assert sorted(ours.evaluate(x, np.ones((6, 1)), verbose=0, return_dict=True)) == ["acc", "loss"]


def test_a_learning_rate_schedule_comes_over_with_its_settings(tmp_path):
    """Keras's schedules are fnlearn's, same names and formulas: the loaded optimizer follows the one Keras wrote
    (warm-up included) step for step; a schedule class of one's own still leaves the model uncompiled, saying why."""
    real = real_keras()
    x, y = RNG.normal(size=(16, 4)).astype("float32"), RNG.normal(size=(16, 1)).astype("float32")
    schedules = [real.optimizers.schedules.ExponentialDecay(0.01, decay_steps=100, decay_rate=0.9, staircase=True),
                 real.optimizers.schedules.CosineDecay(0.0, 1000, alpha=0.1, warmup_target=0.2, warmup_steps=10),
                 real.optimizers.schedules.PiecewiseConstantDecay([5, 50], [0.1, 0.05, 0.01])]
    for schedule, optimizer in zip(schedules, (real.optimizers.Adam, real.optimizers.SGD, real.optimizers.RMSprop)):
        theirs = real.Sequential([real.Input(shape=(4,)), real.layers.Dense(1)])
        path = _saved(real, theirs, x, y, tmp_path, optimizer=optimizer(schedule), loss="mse")
        ours = keras.models.load_model(path)
        assert ours.compiled and type(ours.optimizer).__name__ == optimizer.__name__
        steps = [0, 3, 5, 9, 10, 99, 100, 400, 2000]
        np.testing.assert_allclose([float(ours.optimizer.schedule(s)) for s in steps],
                                   [float(schedule(s)) for s in steps], rtol=1e-6)
        ours.fit(x, y, epochs=1, verbose=0)

    class Halving(real.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.1 / (1 + step)

        def get_config(self):
            return {}

    theirs = real.Sequential([real.Input(shape=(4,)), real.layers.Dense(1)])
    theirs.compile(optimizer=real.optimizers.SGD(Halving()), loss="mse")
    theirs.save(tmp_path / "own.keras")
    with pytest.warns(UserWarning, match="Halving") as caught:
        ours = keras.models.load_model(tmp_path / "own.keras")
    assert not ours.compiled and "uncompiled" in str(caught[0].message)

    class OwnHalving(keras.optimizers.schedules.LearningRateSchedule):  # the same schedule, written for fnlearn
        def __call__(self, step):
            return 0.1 / (1 + step)

    ours = keras.models.load_model(tmp_path / "own.keras", custom_objects={"Halving": OwnHalving})
    assert ours.compiled and ours.optimizer.schedule(4) == pytest.approx(0.02)


_GOING_ON = [lambda o: o.SGD(o.schedules.ExponentialDecay(0.05, 2, 0.5)),  # no slots: the step count alone
             lambda o: o.SGD(0.05, momentum=0.9, nesterov=True),
             lambda o: o.Adam(o.schedules.ExponentialDecay(0.01, 3, 0.5), amsgrad=True),
             lambda o: o.Adagrad(0.05), lambda o: o.Adamax(0.01), lambda o: o.RMSprop(0.01, centered=True),
             lambda o: o.Nadam(0.01)]


@pytest.mark.parametrize("make", _GOING_ON, ids=["sgd_schedule", "sgd_nesterov", "adam_amsgrad_schedule", "adagrad",
                                                 "adamax", "rmsprop_centered", "nadam"])
def test_training_goes_on_from_the_optimizer_state_keras_saved(tmp_path, make):
    """Keras saves its optimizer's step count and slots with the model; fnlearn's optimizer takes them, so one more
    epoch in both ends with the same weights (a fresh state would not: momentum, moments and the schedule's step)."""
    real = real_keras()
    rng = np.random.default_rng(5)  # the same data whichever tests ran before
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    real.utils.set_random_seed(1)
    theirs = real.Sequential([real.Input(shape=(4,)), real.layers.Dense(3, activation="tanh"), real.layers.Dense(1)])
    theirs.compile(optimizer=make(real.optimizers), loss="mse")
    theirs.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    theirs.save(tmp_path / "m.keras")
    ours, fresh = keras.models.load_model(tmp_path / "m.keras"), keras.models.load_model(tmp_path / "m.keras")
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations) == 4
    fresh.optimizer.state, fresh.optimizer.iterations = [{} for _ in fresh.optimizer.params], 0
    for model in (theirs, ours, fresh):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    # RMSprop's ε: fnlearn adds it to √v, Keras inside the root (docs/keras.md), a few 1e-5 on small v
    atol = 5e-5 if type(ours.optimizer).__name__ == "RMSprop" else 2e-6
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol)
    assert max(float(np.abs(a - b).max()) for a, b in zip(fresh.get_weights(), theirs.get_weights())) > 1e-4


def test_moving_averages_come_over_and_a_state_fnlearn_cannot_read_leaves_a_fresh_one(tmp_path):
    real = real_keras()
    x, y = RNG.normal(size=(16, 4)).astype("float32"), RNG.normal(size=(16, 1)).astype("float32")
    theirs = real.Sequential([real.Input(shape=(4,)), real.layers.Dense(2)])
    path = _saved(real, theirs, x, y, tmp_path, optimizer=real.optimizers.AdamW(0.01, use_ema=True), loss="mse")
    ours = keras.models.load_model(path)
    kernel = ours.optimizer.state[0]  # Keras lists the averages first, then the moments, weight by weight
    expected = [np.asarray(v) for v in theirs.optimizer.variables]
    np.testing.assert_array_equal(to_numpy(kernel["average"]), expected[2])
    np.testing.assert_array_equal(to_numpy(kernel["m"]), expected[4])
    np.testing.assert_array_equal(to_numpy(kernel["v"]), expected[5])
    momentum = real.Sequential([real.Input(shape=(4,)), real.layers.Dense(2)])
    path = _saved(real, momentum, x, y, tmp_path, optimizer=real.optimizers.RMSprop(momentum=0.5), loss="mse")
    with pytest.warns(UserWarning, match="RMSprop state is not carried over"):
        ours = keras.models.load_model(path)
    assert ours.compiled and ours.optimizer.iterations == 0


def test_an_adapted_normalization_comes_over_with_its_statistics(tmp_path):
    """Keras keeps an adapted Normalization's mean, variance and count as weights, not in its config: the fnlearn
    layer, built from the config without statistics, takes them from the weights (the regression tutorial's
    normalizer, saved with its model)."""
    real = real_keras()
    x = RNG.normal(loc=3.0, scale=2.0, size=(32, 4)).astype("float32")
    normalizer = real.layers.Normalization()
    normalizer.adapt(x)
    theirs = real.Sequential([real.Input((4,)), normalizer, real.layers.Dense(2)])
    path = _saved(real, theirs, x, RNG.normal(size=(32, 2)).astype("float32"), tmp_path, optimizer="adam", loss="mse")
    ours = keras.models.load_model(path)
    np.testing.assert_allclose(ours.predict(x, verbose=0), compiled(real, theirs, x), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(ours.layers[0].mean.data), x.mean(axis=0), rtol=1e-5)
    assert ours.count_params() == theirs.count_params()
