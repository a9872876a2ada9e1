"""Keras's functional API for chains of layers: keras.Input, layers called on placeholders, keras.Model (graphs:
test_keras_graph.py)."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import explain, fastpath, keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import layers

RNG = np.random.default_rng(0)
X = RNG.random((96, 12), dtype=np.float32)
Y = RNG.integers(0, 3, 96)


def _guide_model(k, hidden: int = 16, name: str | None = None):
    """The model of Keras's guide to training with the built-in methods (smaller), written as it is there."""
    inputs = k.Input(shape=(12,), name="digits")
    x = k.layers.Dense(hidden, activation="relu", name="dense_1")(inputs)
    x = k.layers.Dense(hidden, activation="relu", name="dense_2")(x)
    outputs = k.layers.Dense(3, activation="softmax", name="predictions")(x)
    return k.Model(inputs=inputs, outputs=outputs, **({"name": name} if name else {}))


def _sequential_twin(hidden: int = 16):
    return keras.Sequential([layers.Input(shape=(12,)), layers.Dense(hidden, activation="relu"),
                             layers.Dense(hidden, activation="relu"), layers.Dense(3, activation="softmax")])


def test_placeholders_carry_shapes_and_build_the_layers_they_pass_through():
    inputs = keras.Input(shape=(12,), name="digits")
    assert inputs.shape == (None, 12)
    hidden = layers.Dense(5, activation="relu")
    h = hidden(inputs)
    assert h.shape == (None, 5) and h.layer is hidden and h.parent is inputs
    assert hidden.built and hidden.kernel.shape == (12, 5)  # built when called, as in Keras
    assert layers.Flatten()(keras.Input(shape=(4, 3))).shape == (None, 12)


def test_the_guide_model_has_keras_layers_names_and_summary(capsys):
    model = _guide_model(keras, name="mnist_model")
    assert type(model).__name__ == "Functional" and model.name == "mnist_model"
    assert [layer.name for layer in model.layers] == ["digits", "dense_1", "dense_2", "predictions"]
    assert model.layers[0] is model.input is model.inputs[0]
    assert model.output is model.outputs[0] and model.output.layer is model.layers[-1]
    assert model.num_parameters() == 12 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3
    model.summary()
    table = capsys.readouterr().out
    assert 'Model: "mnist_model"' in table
    assert "digits (InputLayer)" in table and "(None, 12)" in table
    assert table.index("digits (InputLayer)") < table.index("dense_1 (Dense)")


def test_it_trains_as_the_same_chain_in_a_sequential_does():
    fl.set_seed(3)
    functional = _guide_model(keras)
    fl.set_seed(3)
    sequential = _sequential_twin()
    for a, b in zip(functional.get_weights(), sequential.get_weights()):
        np.testing.assert_array_equal(a, b)  # layers built in the same order draw the same numbers
    for model in (functional, sequential):
        model.compile(keras.optimizers.RMSprop(1e-3), keras.losses.SparseCategoricalCrossentropy(),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()])
    histories = []
    for model in (functional, sequential):
        fl.set_seed(4)  # validation_split draws its rows
        histories.append(model.fit(X, Y, batch_size=32, epochs=3, validation_split=0.25, verbose=0).history)
    assert histories[0] == histories[1]
    for a, b in zip(functional.get_weights(), sequential.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(functional.predict(X, verbose=0), sequential.predict(X, verbose=0))
    assert functional.evaluate(X, Y, verbose=0) == sequential.evaluate(X, Y, verbose=0)


def test_it_takes_the_written_out_step_flatten_and_dropout_included():
    inputs = keras.Input(shape=(3, 4))
    x = layers.Flatten()(inputs)
    x = layers.Dense(8, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(x))
    model.compile("adam", "sparse_categorical_crossentropy")
    assert fastpath.compile_step(model, model.loss, model.optimizer, (3, 4)) is not None
    stack = fastpath.dense_stack(model, inference=True, sample_shape=(3, 4))
    assert stack is not None and stack[1]  # two Dense layers after a Flatten
    history = model.fit(X.reshape(-1, 3, 4), Y, epochs=2, verbose=0).history
    assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all()


def test_saved_and_loaded_it_is_the_same_functional_model(tmp_path):
    model = _guide_model(keras)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    for loaded in (keras.models.load_model(tmp_path / "m.keras"), fl.load_model(tmp_path / "m.keras")):
        assert type(loaded).__name__ == "Functional"
        assert [layer.name for layer in loaded.layers] == ["digits", "dense_1", "dense_2", "predictions"]
        assert loaded.output.shape == (None, 3)
        np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
        assert loaded.evaluate(X, Y, verbose=0) == model.evaluate(X, Y, verbose=0)
    assert keras.models.load_model(tmp_path / "m.keras").optimizer.iterations == model.optimizer.iterations


def test_the_explain_views_read_it():
    fl.set_seed(1)
    x = keras.Input(shape=(1,))
    h = layers.Dense(3, activation="relu")(layers.Dense(4, activation="relu")(x))
    model = keras.Model(x, layers.Dense(1)(h))
    fl.set_seed(1)
    twin = keras.Sequential([layers.Dense(4, activation="relu", input_dim=1), layers.Dense(3, activation="relu"),
                             layers.Dense(1)])
    ours, theirs = (explain.layer_outputs(m, (-1, 1), num=9) for m in (model, twin))
    assert [a.shape for a in ours.layers] == [(4, 9), (3, 9)]
    for a, b in zip(ours.layers, theirs.layers):
        np.testing.assert_array_equal(a, b)


def test_a_frozen_functional_model_and_its_settings():
    model = _guide_model(keras)
    model.trainable = False
    assert not any(p.requires_grad for p in model.parameters())
    inputs = keras.Input(shape=(2,))
    frozen = keras.Model(inputs, layers.Dense(1)(inputs), trainable=False)
    assert not frozen.trainable


def test_real_keras_gives_the_same_predictions_and_steps():
    real = real_keras()
    theirs = _guide_model(real, hidden=8)
    ours = _guide_model(keras, hidden=8)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [type(layer).__name__ for layer in ours.layers] == [type(layer).__name__ for layer in theirs.layers]
    assert_trains_as_keras(real, theirs, ours, X, Y, "sparse_categorical_crossentropy", 0.1, batch_size=32)


@pytest.mark.parametrize("make,message", [
    (lambda x, y: keras.Model(x, layers.Dense(1)(keras.Input(shape=(4,), name="other"))),
     r"outputs= depend on keras.Input 'other', which is not in inputs="),
    (lambda x, y: keras.Model(x, x), r"a model with no layers"),
    (lambda x, y: keras.Model(y, y), r"inputs= must be keras.Input placeholders, got the output of layer"),
    (lambda x, y: keras.Model(x, np.zeros(3)), r"outputs= must be keras.Input placeholders or outputs of layers called "
                                               r"on them, got a ndarray"),
    (lambda x, y: keras.Model([x, x], y), r"got the same keras.Input twice"),
    (lambda x, y: keras.Model(x), r"needs inputs= and outputs="),
    (lambda x, y: keras.Model(x, y, outputs_names=["a"]), r"got outputs_names, which fnlearn does not take"),
    (lambda x, y: keras.models.Functional(x, layers.add([x, x])), r"Functional takes a chain of layers"),
])
def test_models_that_cannot_be_are_refused_in_one_sentence(make, message):
    x = keras.Input(shape=(4,))
    y = layers.Dense(2)(x)
    with pytest.raises(ConfigError, match=message):
        make(x, y)


def test_data_of_the_wrong_shape_names_the_input():
    model = _guide_model(keras)
    model.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.raises(ShapeError, match=r"model '.*' takes samples of shape \(12,\) \(its keras.Input\), but x has "
                                         r"samples of shape \(5,\); check the data's columns or the Input's shape"):
        model.fit(X[:, :5], Y, verbose=0)


def test_calls_a_placeholder_cannot_take_say_so():
    x = keras.Input(shape=(4,), name="features")
    assert keras.Sequential([layers.Dense(2, input_dim=4)])(x).shape == (None, 2)  # a model is one step
    with pytest.raises(ShapeError, match=r"model '.*' takes samples of shape \(5,\) but was called on keras.Input "
                                         r"'features' of shape \(None, 4\)"):
        keras.Sequential([layers.Dense(2, input_dim=5)])(x)
    with pytest.raises(ConfigError, match=r"Module was called on keras.Input 'features'; in fnlearn's functional "
                                          r"models each call is one layer or one model"):
        fl.nn.Module()(x)
    with pytest.raises(ConfigError, match=r"InputLayer was called on"):
        keras.Input(shape=(4,))(x)
    built = layers.Dense(2)
    built.build((3,))
    with pytest.raises(ShapeError, match=r"layer '.*' expects 3 features per sample but was called on keras.Input "
                                         r"'features' of shape \(None, 4\)"):
        built(x)
    with pytest.raises(ShapeError, match=r"declares input_shape \(5,\) but was called on"):
        layers.Dense(2, input_shape=(5,))(x)
    h = layers.Dense(2)(x)
    for attempt in (lambda: h + np.ones(2), lambda: h @ h, lambda: np.asarray(h), lambda: h[0]):
        with pytest.raises(ConfigError, match=r"the output of layer '.*' is a placeholder of shape \(None, 2\) with "
                                              r"no values"):
            attempt()


def test_a_functional_model_has_no_add_or_pop():
    model = _guide_model(keras)
    with pytest.raises(ConfigError, match="layers are fixed by its inputs and outputs"):
        model.add(layers.Dense(2))
    with pytest.raises(ConfigError, match="layers are fixed by its inputs and outputs"):
        model.pop()


def test_a_model_on_part_of_a_sequential_shares_its_layers_as_in_keras_feature_extraction():
    initial = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(16, activation="relu"),
                                layers.Dense(8, activation="relu", name="my_intermediate_layer"), layers.Dense(3)])
    assert initial.inputs[0] is initial.input and initial.input.shape == (None, 12)
    assert initial.output.layer is initial.layers[-1] and initial.layers[0].input is initial.input
    features = keras.Model(inputs=initial.inputs, outputs=initial.get_layer(name="my_intermediate_layer").output)
    assert features.layers[1:] == initial.layers[:2]  # the same layer objects: the same weights
    hidden = np.maximum(X @ initial.layers[0].kernel.numpy() + initial.layers[0].bias.numpy(), 0)
    expected = np.maximum(hidden @ initial.layers[1].kernel.numpy() + initial.layers[1].bias.numpy(), 0)
    np.testing.assert_allclose(features.predict(X, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(features(X).numpy(), expected, rtol=1e-5, atol=1e-6)
    every_layer = keras.Model(inputs=initial.inputs, outputs=[layer.output for layer in initial.layers])
    outs = every_layer.predict(X, verbose=0)  # every layer's output, as in Keras: a list of arrays
    assert [o.shape for o in outs] == [(96, 16), (96, 8), (96, 3)]
    np.testing.assert_allclose(outs[1], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[2], initial.predict(X), rtol=1e-5, atol=1e-6)
    every_layer.compile("adam", "mse")  # one loss for all three outputs, as in Keras
    assert len(every_layer.evaluate(X, outs, verbose=0)) == 4  # the total loss, then each output's
    with pytest.raises(AttributeError, match=r"model '.*' has no input placeholder: it needs a known input shape"):
        getattr(keras.Sequential([layers.Dense(2)]), "inputs")  # noqa: B009
    with pytest.raises(AttributeError, match=r"layer '.*' has never been called on a keras.Input"):
        getattr(layers.Dense(2), "output")  # noqa: B009


def test_weights_load_between_a_sequential_and_the_same_chain_as_a_functional_model(tmp_path):
    """Keras matches weights by layer order; the functional model numbers its layers after its Input."""
    fl.set_seed(6)
    sequential, functional = _sequential_twin(hidden=8), _guide_model(keras, hidden=8)
    sequential.save_weights(tmp_path / "sequential.weights.h5")
    functional.load_weights(tmp_path / "sequential.weights.h5")
    np.testing.assert_array_equal(functional.predict(X), sequential.predict(X))
    again = _sequential_twin(hidden=8)
    functional.save_weights(tmp_path / "functional.weights.h5")
    again.load_weights(tmp_path / "functional.weights.h5")
    np.testing.assert_array_equal(again.predict(X), functional.predict(X))
    with pytest.raises(ShapeError, match=r"do not fit this model: the model's '\w+\.(kernel|bias)' has shape "
                                         r"\(.*16.*\) but the weights given have \(.*8.*\); load weights saved"):
        _sequential_twin(hidden=16).load_weights(tmp_path / "functional.weights.h5")
