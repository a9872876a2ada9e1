"""Functional models that are graphs: several Inputs, merges, residual branches, a layer called twice, several
outputs. Checked against real Keras with the same weights, against central differences, and through a file."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import io, keras
from fnlearn.errors import ConfigError, DataError, ModelFileError, ShapeError
from fnlearn.keras import layers
from fnlearn.keras.graph import FunctionalGraph

RNG = np.random.default_rng(7)
WIDE = RNG.normal(size=(64, 3)).astype(np.float32)
DEEP = RNG.normal(size=(64, 5)).astype(np.float32)
TARGET = (WIDE.sum(1) + np.tanh(DEEP).sum(1)).astype(np.float32)
LEFT = RNG.normal(size=(64, 4)).astype(np.float32)
RIGHT = RNG.normal(size=(64, 4)).astype(np.float32)
SAME_SIDE = (LEFT.sum(1) > RIGHT.sum(1)).astype(np.float32)


def wide_and_deep(k):
    wide, deep = k.Input(shape=(3,), name="wide"), k.Input(shape=(5,), name="deep")
    h = k.layers.Dense(8, activation="relu", name="h1")(deep)
    h = k.layers.Dense(4, activation="tanh", name="h2")(h)
    return k.Model([wide, deep], k.layers.Dense(1, name="out")(k.layers.concatenate([wide, h], name="join")))


def residual(k):
    x = k.Input(shape=(6,), name="x")
    h = k.layers.Dense(6, activation="relu", name="a")(x)
    s = k.layers.Add(name="skip")([x, k.layers.Dense(6, name="b")(h)])
    mean = k.layers.Average(name="avg")([s, k.layers.Dense(6, activation="relu", name="c")(s)])
    return k.Model(x, k.layers.Dense(3, activation="softmax", name="out")(mean))


def siamese(k):
    """One encoder on both Inputs (its gradient is the sum of both paths'), and every other merge."""
    left, right = k.Input(shape=(4,), name="l"), k.Input(shape=(4,), name="r")
    encode = k.layers.Dense(3, activation="tanh", name="enc")
    diff = k.layers.Subtract(name="diff")([encode(left), encode(right)])
    gated = k.layers.Multiply(name="gate")([diff, k.layers.Dense(3, activation="sigmoid", name="g")(left)])
    top = k.layers.Maximum(name="mx")([gated, k.layers.Minimum(name="mn")([diff, gated])])
    return k.Model([left, right], k.layers.Dense(1, activation="sigmoid", name="out")(top))


@pytest.mark.parametrize("make,x,y,loss", [
    (wide_and_deep, [WIDE, DEEP], TARGET, "mse"),
    (residual, DEEP[:, :1].repeat(6, 1) * RNG.normal(size=(1, 6)).astype(np.float32), RNG.integers(0, 3, 64),
     "sparse_categorical_crossentropy"),
    (siamese, [LEFT, RIGHT], SAME_SIDE, "binary_crossentropy"),
], ids=["wide-and-deep", "residual", "siamese"])
def test_real_keras_lists_the_same_layers_and_gives_the_same_predictions_and_steps(make, x, y, loss):
    real = real_keras()
    theirs, ours = make(real), make(keras)
    assert isinstance(ours, FunctionalGraph)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]  # Keras's order
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
    assert ours.count_params() == theirs.count_params()
    assert ours.output_shape == theirs.output_shape  # Keras's shapes: the batch axis first, as None
    assert ours.input_shape == (theirs.input_shape if len(ours.inputs) == 1
                                else [tuple(shape) for shape in theirs.input_shape])
    assert_trains_as_keras(real, theirs, ours, x, y, loss, 0.1, batch_size=16, epochs=3)


def test_the_gradients_of_a_shared_layer_and_of_the_inputs_are_central_differences(float64):
    fl.set_seed(3)
    model = siamese(keras)
    left, right = LEFT[:6].astype(np.float64), RIGHT[:6].astype(np.float64)
    assert fl.gradcheck(lambda a, b: model([a, b]), [left, right], atol=1e-7, rtol=1e-6)
    kernel = model.get_layer("enc").kernel
    loss = model([fl.Tensor(left), fl.Tensor(right)]).sum()
    model.zero_grad()
    loss.backward()
    numeric = np.zeros(kernel.shape)
    for index in np.ndindex(kernel.shape):  # the encoder's weights, one at a time
        values = []
        for step in (1e-6, -1e-6):
            kernel.data[index] += step
            values.append(float(model([left, right]).numpy().sum()))
            kernel.data[index] -= step
        numeric[index] = (values[0] - values[1]) / 2e-6
    np.testing.assert_allclose(fl.backend.to_numpy(kernel.grad), numeric, rtol=1e-6, atol=1e-8)


def test_a_list_and_a_dict_by_name_train_alike_with_validation_rows_and_sample_weights():
    weights = RNG.uniform(0.5, 2.0, 64)
    histories, results = [], []
    for x in ([WIDE, DEEP], {"deep": DEEP, "wide": WIDE}):
        fl.set_seed(11)
        model = wide_and_deep(keras)
        model.compile("adam", "mse", metrics=["mae"])
        histories.append(model.fit(x, TARGET, batch_size=8, epochs=3, validation_split=0.25, sample_weight=weights,
                                   verbose=0).history)
        results.append((model.get_weights(), model.evaluate(x, TARGET), model.predict(x)))
    assert histories[0] == histories[1] and set(histories[0]) == {"loss", "mae", "val_loss", "val_mae"}
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_array_equal(a, b)
    assert results[0][1] == results[1][1]
    np.testing.assert_array_equal(results[0][2], results[1][2])
    assert histories[0]["loss"][-1] < histories[0]["loss"][0]
    # the rows of the two inputs stay paired through every shuffle: the same model on one packed input agrees
    fl.set_seed(11)
    model = wide_and_deep(keras)
    np.testing.assert_allclose(model.predict([WIDE, DEEP]), model([WIDE, DEEP]).numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("x,error,message", [
    (np.ones((4, 8)), ConfigError, r"model '.*' takes 2 inputs \('wide' \(None, 3\), 'deep' \(None, 5\)\), but x is "
                                   r"one ndarray; pass a list \[a, b, ...\] in the order of its inputs, or a dict"),
    ([np.ones((4, 3))], ConfigError, r"x is a list of 1 but model '.*' has 2 Inputs \('wide', 'deep'\); give one array "
                                     r"per Input, in that order"),
    ([np.ones((4, 5)), np.ones((4, 3))], ShapeError, r"keras.Input 'wide' takes samples of shape \(3,\), but x\[0\] "
                                                     r"has samples of shape \(5,\); check the order of the arrays"),
    ({"wide": np.ones((4, 3))}, ConfigError, r"x has no entry for Input 'deep'; model '.*' takes a dict with one "
                                             r"entry per Input: 'wide', 'deep'"),
    ({"wide": np.ones((4, 3)), "deep": np.ones((4, 5)), "extra": 1}, ConfigError, r"x has an entry 'extra', which is "
                                                                                  r"no Input's name"),
    ([np.ones((4, 3)), np.ones((3, 5))], fl.errors.ShapeError, r"x\[0\] has 4 rows but x\[1\] has 3"),
    ({"wide": np.ones((4, 3)), "deep": np.full((4, 5), np.nan)}, DataError, r"x\['deep'\]"),
])
def test_data_that_do_not_fit_the_inputs_are_one_sentence(x, error, message):
    model = wide_and_deep(keras)
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model.fit(x, np.ones(4), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_calls_that_cannot_be_a_graph_are_one_sentence():
    a, b = keras.Input(shape=(3,), name="a"), keras.Input(shape=(4,), name="b")
    with pytest.raises(ConfigError, match=r"layer '.*' takes one input but was called on a list of 2 \(keras.Input "
                                          r"'a', keras.Input 'b'\); join them first with a merge layer"):
        layers.Dense(2)([a, b])
    with pytest.raises(ConfigError, match=r"was called on a list that mixes placeholders with a ndarray"):
        layers.Add()([a, np.ones((1, 3))])
    with pytest.raises(ConfigError, match=r"Add layer '.*' was called on one input alone"):
        layers.Add()(a)
    with pytest.raises(ShapeError, match=r"Add layer '.*' cannot add inputs of shapes \(None, 3\) and \(None, 4\)"):
        layers.add([a, b])
    with pytest.raises(ConfigError, match=r"a model's name must be a string, got int 7"):
        keras.Model([a, b], layers.concatenate([a, b]), name=7)
    two_heads = keras.Model(a, [layers.Dense(2)(a), layers.Dense(1)(a)])
    with pytest.raises(ConfigError, match=r"has 2 outputs and cannot be one step of another model"):
        two_heads(keras.Input(shape=(3,)))


def test_an_unused_input_still_takes_its_data_as_in_keras():
    a, b = keras.Input(shape=(3,), name="used"), keras.Input(shape=(2,), name="unused")
    dense = layers.Dense(1)
    model = keras.Model([a, b], dense(a))
    assert [layer.name for layer in model.layers] == ["used", "unused", dense.name]  # Keras's order
    out = model.predict([WIDE[:4], np.zeros((4, 2))])
    np.testing.assert_allclose(out, dense(WIDE[:4]).numpy(), rtol=1e-6)


def test_models_are_steps_of_a_graph_and_a_graph_of_two_inputs_is_a_step_too():
    fl.set_seed(2)
    inner = wide_and_deep(keras)
    wide, deep = keras.Input(shape=(3,)), keras.Input(shape=(5,))
    scale = keras.Sequential([layers.Dense(1, input_dim=3)])
    outer = keras.Model([wide, deep], layers.add([inner([wide, deep]), scale(wide)]))
    expected = inner.predict([WIDE, DEEP]) + scale.predict(WIDE)
    np.testing.assert_allclose(outer.predict([WIDE, DEEP]), expected, rtol=1e-5, atol=1e-6)
    outer.compile("sgd", "mse")
    before = inner.get_weights()
    outer.fit([WIDE, DEEP], TARGET, epochs=1, verbose=0)
    assert not np.array_equal(before[0], inner.get_weights()[0])  # the inner model's layers trained too
    with pytest.raises(ShapeError, match=r"model '.*' takes 2 inputs .* but was called on \(None, 3\)"):
        inner(keras.Input(shape=(3,)))


def test_several_outputs_predict_a_list_and_train_with_a_loss_each():
    x = keras.Input(shape=(5,), name="digits")
    hidden = layers.Dense(4, activation="relu", name="hidden")(x)
    model = keras.Model(x, [hidden, layers.Dense(2, activation="softmax", name="probs")(hidden)])
    assert model.outputs[1].shape == (None, 2) and isinstance(model.output, list)
    assert model.output_shape == [(None, 4), (None, 2)]  # Keras's
    outs = model.predict(DEEP, batch_size=10)
    assert [o.shape for o in outs] == [(64, 4), (64, 2)]
    head = model.get_layer("probs")
    np.testing.assert_allclose(outs[1], head(outs[0]).numpy(), rtol=1e-5, atol=1e-7)
    called = model(DEEP[:3])
    assert isinstance(called, list) and called[0].shape == (3, 4)
    model.compile("adam", ["mse", "categorical_crossentropy"])  # tests/keras/test_keras_multi_output.py: the rest
    history = model.fit(DEEP, [DEEP[:, :4], np.eye(2)[RNG.integers(0, 2, 64)]], epochs=2, verbose=0).history
    assert list(history) == ["hidden_loss", "loss", "probs_loss"]


def test_summary_has_keras_connected_to_column():
    lines = []
    wide_and_deep(keras).summary(print_fn=lines.append)
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "Connected", "to"]
    rows = {line.split()[0]: line.split() for line in lines if line.startswith(" ") and "(" in line}
    assert rows["join"][-2:] == ["wide,", "h2"] and rows["h1"][-1] == "deep" and rows["wide"][-1] == "-"
    assert rows["out"][2:5] == ["(None,", "1)", "8"]  # 3 + 4 joined features, and a bias


def test_saved_and_loaded_it_is_the_same_graph_and_resumes_training(tmp_path):
    fl.set_seed(5)
    model = siamese(keras)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    model.fit([LEFT, RIGHT], SAME_SIDE, epochs=2, verbose=0)
    model.save(tmp_path / "siamese.keras")
    loaded = keras.models.load_model(tmp_path / "siamese.keras")
    assert isinstance(loaded, FunctionalGraph) and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict([LEFT, RIGHT]), model.predict([LEFT, RIGHT]))
    for m in (model, loaded):
        m.fit([LEFT, RIGHT], SAME_SIDE, epochs=3, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    several = keras.Model(model.inputs, [model.get_layer("diff").output, model.output])
    several.save(tmp_path / "several.keras")
    outs = keras.models.load_model(tmp_path / "several.keras").predict([LEFT, RIGHT])
    np.testing.assert_array_equal(outs[1], model.predict([LEFT, RIGHT]))


@pytest.mark.parametrize("damage,words", [
    (lambda g: g["calls"][0].__setitem__(1, [7]), "malformed graph"),  # reads a value not made yet
    (lambda g: g["calls"][2].__setitem__(2, False), "malformed graph"),  # a merge of two, called on one
    (lambda g: g.__setitem__("outputs", [40]), "malformed graph"),
    (lambda g: g.__setitem__("inputs", [2, 1]), "malformed graph"),  # layer 2 is no Input
    (lambda g: g["calls"][0].__setitem__(0, 0), "malformed graph"),  # an Input as a call
    (lambda g: g.__setitem__("calls", "all"), "malformed graph"),
    (lambda g: g["calls"][4].__setitem__(1, [0, 4]), "holds layers that do not fit together"),  # (None, 4) × (None, 3)
])
def test_a_damaged_graph_in_a_file_is_one_sentence(tmp_path, damage, words):
    model = siamese(keras)
    model.save(tmp_path / "good.keras")
    file = io._read(tmp_path / "good.keras")
    damage(file.doc["model"]["graph"])
    path = tmp_path / "bad.keras"
    path.write_bytes(io._encode(file.doc, file.tensors, path))
    with pytest.raises(ModelFileError, match=words):
        keras.models.load_model(path)


def test_a_layer_that_does_not_fit_its_weights_in_a_file_is_refused_before_building(tmp_path):
    model = wide_and_deep(keras)
    model.save(tmp_path / "good.keras")
    file = io._read(tmp_path / "good.keras")
    file.doc["model"]["layers"][1]["config"]["units"] = 10**9  # h1, after its Input in Keras's order
    path = tmp_path / "bad.keras"
    path.write_bytes(io._encode(file.doc, file.tensors, path))
    with pytest.raises(ModelFileError, match=r"is inconsistent: Dense layer 1 \(1000000000 units, input \(5,\)\)"):
        keras.models.load_model(path)
