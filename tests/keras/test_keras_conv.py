"""The image layers against the real Keras 3: output shapes, parameter counts, outputs from the same weights, and
the MNIST CNN program trained one epoch from the same weights in both."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ShapeError

RNG = np.random.default_rng(11)


def _both(real, sample_shape, make):
    """The same one-layer model in Keras and in fnlearn: ``make(module)`` gives the layer."""
    theirs = real.Sequential([real.Input(shape=sample_shape), make(real)])
    ours = keras.Sequential([keras.Input(shape=sample_shape), make(keras)])
    return theirs, ours


LAYER_CASES = [
    ((9, 8, 3), lambda m: m.layers.Conv2D(4, 3)),
    ((9, 8, 3), lambda m: m.layers.Conv2D(4, 3, padding="same", activation="relu")),
    ((9, 8, 3), lambda m: m.layers.Conv2D(5, (3, 2), strides=2, padding="same", activation="tanh")),
    ((10, 10, 2), lambda m: m.layers.Conv2D(3, 4, strides=(3, 2), padding="same", use_bias=False)),
    ((7, 9, 2), lambda m: m.layers.Conv2D(2, (2, 3), strides=(1, 2))),
    ((7, 9, 2), lambda m: m.layers.Conv2D(3, 1, activation="sigmoid")),
    ((7, 9, 2), lambda m: m.layers.MaxPooling2D()),
    ((7, 9, 2), lambda m: m.layers.MaxPooling2D((3, 3), strides=2, padding="same")),
    ((7, 9, 2), lambda m: m.layers.MaxPooling2D(2, strides=1, padding="same")),
    ((7, 9, 2), lambda m: m.layers.AveragePooling2D(2)),
    ((7, 9, 2), lambda m: m.layers.AveragePooling2D((3, 2), strides=(2, 1), padding="same")),
    ((7, 9, 2), lambda m: m.layers.GlobalAveragePooling2D()),
    ((7, 9, 2), lambda m: m.layers.GlobalMaxPooling2D(keepdims=True)),
    ((7, 9, 2), lambda m: m.layers.Reshape((-1, 6))),
    ((126,), lambda m: m.layers.Reshape((7, 9, 2))),
]
LAYER_IDS = ["conv-valid", "conv-same-relu", "conv-stride2-same", "conv-stride32-same-nobias", "conv-rect",
             "conv-1x1", "maxpool", "maxpool-3-stride2-same", "maxpool-overlap-same", "avgpool",
             "avgpool-same-rect", "global-avg", "global-max-keepdims", "reshape-flat", "reshape-image"]


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("sample_shape,make", LAYER_CASES, ids=LAYER_IDS)
def test_each_layer_gives_keras_shapes_counts_and_outputs_from_the_same_weights(sample_shape, make):
    real = real_keras()
    theirs, ours = _both(real, sample_shape, make)
    assert ours.output_shape == tuple(theirs.output_shape)
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    x = RNG.normal(size=(3, *sample_shape)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def _cnn(module, height=28, width=28, dropout=True):
    """The MNIST CNN of the Keras examples (Dropout left out where two libraries must draw the same masks)."""
    layers = [module.Input(shape=(height, width, 1)),
              module.layers.Conv2D(32, (3, 3), activation="relu"), module.layers.MaxPooling2D((2, 2)),
              module.layers.Conv2D(64, 3, activation="relu", padding="same"), module.layers.MaxPooling2D(),
              module.layers.Flatten(), module.layers.Dense(10, activation="softmax")]
    if dropout:
        layers.insert(-1, module.layers.Dropout(0.5))
    return module.Sequential(layers)


def test_the_mnist_cnn_has_keras_output_shapes_and_parameter_counts():
    real = real_keras()
    theirs, ours = _cnn(real), _cnn(keras)
    expected = [(tuple(layer.output.shape[1:]), layer.count_params()) for layer in theirs.layers]
    rows = ours._summary_rows()
    assert [(row[1], row[2]) for row in rows] == [("(None, " + ", ".join(map(str, shape)) + ")", count)
                                                   for shape, count in expected]
    assert ours.count_params() == theirs.count_params() == 41_866
    lines = []
    ours.summary(print_fn=lines.append)
    assert "Total params: 41,866 (163.54 KB)" in lines


def test_the_cnn_trains_one_epoch_of_sgd_as_keras_does():
    real = real_keras()
    real.utils.set_random_seed(0)
    x = RNG.random((64, 12, 12, 1)).astype(np.float32)
    y = np.arange(64) % 10
    assert_trains_as_keras(real, _cnn(real, 12, 12, dropout=False), _cnn(keras, 12, 12, dropout=False), x, y,
                           "sparse_categorical_crossentropy", learning_rate=0.05, batch_size=16, epochs=1,
                           rtol=1e-4, atol=1e-5)


def test_the_cnn_program_with_adam_ends_its_epoch_with_kerass_weights():
    """The program as its users write it, with Adam. Keras adds ε to the uncorrected √v (an ε 32 times larger
    at the first step, in fnlearn's corrected form): for the CNN's weights whose gradients are ~1e-7 (fed by
    nearly dead ReLU units) the two updates differ by most of a learning rate at Keras's ε = 1e-7 (fnlearn's
    Adam is the lecture's, ε = 1e-8 after the correction). With an ε too small to matter the epochs agree, but
    for an odd weight whose gradients are ~1e-10: Adam scales them to steps of a learning rate, so rounding (sums
    in another order) moves it by a part of one; at most 1 in 1000 may differ by up to a quarter of the rate."""
    real = real_keras()
    real.utils.set_random_seed(1)
    x = np.random.default_rng(0).random((64, 12, 12, 1)).astype(np.float32)  # its own: any test order
    y = np.arange(64) % 10
    theirs, ours = _cnn(real, 12, 12, dropout=False), _cnn(keras, 12, 12, dropout=False)
    ours.set_weights(theirs.get_weights())
    for model, library in ((theirs, real), (ours, keras)):
        model.compile(library.optimizers.Adam(epsilon=1e-12), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    their_history = theirs.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    our_history = ours.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        b = np.asarray(b)
        assert np.mean(np.abs(a - b) > 3e-5 + 1e-4 * np.abs(b)) <= 1e-3
        np.testing.assert_allclose(a, b, atol=0.25e-3)
    assert our_history.history["loss"][0] == pytest.approx(their_history.history["loss"][0], rel=1e-5)


def test_keras_weights_of_a_functional_cnn_give_keras_predictions():
    real = real_keras()

    def build(module):
        inputs = module.Input(shape=(10, 10, 3))
        h = module.layers.Conv2D(6, 3, padding="same", activation="relu")(inputs)
        h = module.layers.MaxPooling2D()(h)
        h = module.layers.Conv2D(4, 3, strides=2, padding="same")(h)
        joined = module.layers.Concatenate()([module.layers.GlobalAveragePooling2D()(h),
                                              module.layers.GlobalMaxPooling2D()(h)])
        return module.Model(inputs, module.layers.Dense(3)(joined))

    theirs, ours = build(real), build(keras)
    ours.set_weights(theirs.get_weights())
    x = RNG.normal(size=(5, 10, 10, 3)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_glorot_fans_of_a_conv_kernel_are_kerass():
    real = real_keras()
    theirs = real.layers.Conv2D(16, (5, 3))
    theirs.build((None, 8, 8, 4))
    fl.set_seed(0)
    ours = keras.layers.Conv2D(16, (5, 3), input_shape=(8, 8, 4))
    limit = np.sqrt(6.0 / (5 * 3 * 4 + 5 * 3 * 16))
    for kernel in (np.asarray(theirs.kernel), fl.backend.to_numpy(ours.kernel.data)):
        assert kernel.shape == (5, 3, 4, 16)
        assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.98 * limit
        assert abs(kernel.std() - limit / np.sqrt(3)) < 0.1 * limit  # the uniform's spread: the same fans


def test_grayscale_images_without_their_channels_axis_get_it_from_the_models_input_as_in_keras():
    """Keras 3 adjusts an input's rank by one axis of size 1: (n, 12, 12) for an Input of (12, 12, 1)."""
    real = real_keras()
    x = np.random.default_rng(4).random((16, 12, 12)).astype("float32")
    y = np.arange(16) % 3

    def build(k):
        return k.Sequential([k.Input((12, 12, 1)), k.layers.Conv2D(2, 3, activation="relu"), k.layers.Flatten(),
                             k.layers.Dense(3, activation="softmax")])

    ours, theirs = build(keras), build(real)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(ours.predict(x, verbose=0), ours.predict(x[..., None], verbose=0))
    ours.compile("sgd", "sparse_categorical_crossentropy")
    assert np.isfinite(ours.fit(x, y, epochs=1, verbose=0, validation_split=0.25).history["val_loss"]).all()
    assert np.isfinite(ours.evaluate(x, y, verbose=0))
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    assert dense.predict(np.ones((4, 3, 1)), verbose=0).shape == (4, 2)  # and a last axis of 1 too many goes
    with pytest.raises(fl.errors.ShapeError, match=r"samples of shape \(12, 11\)"):
        ours.predict(x[:, :, :11])


@pytest.mark.parametrize("scale, offset", [(1 / 255, 0.0), (1 / 127.5, -1.0), ([0.5, 2.0, 1.0], [0.0, 1.0, -1.0])])
def test_rescaling_gives_kerass_values_configs_and_trains_in_a_cnn(tmp_path, scale, offset):
    real = real_keras()
    images = np.random.default_rng(5).integers(0, 256, (6, 5, 5, 3)).astype("uint8")
    ours, theirs = keras.layers.Rescaling(scale, offset=offset), real.layers.Rescaling(scale, offset=offset)
    np.testing.assert_allclose(ours(images).numpy(), np.asarray(theirs(images)), rtol=1e-6)
    assert {k: ours.get_config()[k] for k in ("scale", "offset")} == \
        {k: theirs.get_config()[k] for k in ("scale", "offset")}
    model = keras.Sequential([keras.Input((5, 5, 3)), keras.layers.Rescaling(scale, offset=offset),
                              keras.layers.Conv2D(2, 3, activation="relu"), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(images, np.arange(6) % 2, epochs=1, verbose=0)
    model.save(tmp_path / "r.fnl")
    again = keras.models.load_model(tmp_path / "r.fnl")
    np.testing.assert_array_equal(again.predict(images, verbose=0), model.predict(images, verbose=0))
    assert not model.layers[0].get_weights()  # no weights, as in Keras


@pytest.mark.parametrize("make, error, message", [
    (lambda: keras.layers.Rescaling("1/255"), fl.errors.ConfigError, r"Rescaling scale must be a finite number"),
    (lambda: keras.layers.Rescaling(1.0, offset=[[1.0]]), fl.errors.ConfigError, r"Rescaling offset must be"),
    (lambda: keras.layers.Rescaling([1.0, 2.0])(np.ones((1, 2, 2, 3))), fl.errors.ShapeError,
     r"has 2 scales or offsets, one per channel, but its input has 3 channels"),
], ids=["text", "matrix", "channels"])
def test_rescaling_mistakes_say_what_to_do(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_cnn_without_flatten_is_told_where_flatten_goes_in_keras_words():
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ShapeError, match=r"add layers\.Flatten\(\) before the first Dense layer .*after the "
                                         r"convolution and pooling layers in a CNN"):
        model.fit(np.zeros((4, 8, 8, 1)), np.zeros(4), verbose=0)
    model.pop(), model.add(keras.layers.Flatten()), model.add(keras.layers.Dense(3, activation="softmax"))
    model.compile("adam", "categorical_crossentropy")
    with pytest.raises(ShapeError, match=r"keras\.utils\.to_categorical\(y, 3\)"):
        model.fit(np.zeros((4, 8, 8, 1)), np.zeros(4), verbose=0)
