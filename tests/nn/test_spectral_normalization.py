"""SpectralNormalization and the Wrapper base class: Keras 3's normalized kernels, power-method vectors and outputs
from the same weights (Dense, Conv2D, Embedding; one and several power steps), σ → 1, nothing changed out of
training, a model of it training as Keras's, files both ways, wrappers of one's own, and one sentence for what
cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(21)


def _layers(lib):
    return {
        "dense": (lambda: lib.layers.Dense(5), RNG.normal(size=(3, 4)).astype(np.float32)),
        "conv": (lambda: lib.layers.Conv2D(3, 3), RNG.normal(size=(2, 6, 6, 2)).astype(np.float32)),
        "embedding": (lambda: lib.layers.Embedding(7, 4), RNG.integers(0, 7, size=(2, 5))),
    }


@pytest.mark.parametrize("kind", ["dense", "conv", "embedding"])
@pytest.mark.parametrize("steps", [1, 3])
def test_training_calls_normalize_the_kernel_as_keras(kind, steps):
    real = real_keras()
    make_theirs, x = _layers(real)[kind]
    theirs = real.layers.SpectralNormalization(make_theirs(), power_iterations=steps)
    theirs(x)
    ours = keras.layers.SpectralNormalization(_layers(keras)[kind][0](), power_iterations=steps)
    ours(x, training=False)
    names = [w.path.split("/", 1)[1] for w in theirs.weights]
    assert names[1] == "vector_u" and [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    for _ in range(2):  # the second call starts from the vector the first one left
        their_out = np.asarray(theirs(x, training=True))
        out = ours(x, training=True).numpy()
        for a, b in zip(ours.get_weights(), theirs.get_weights()):
            np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
        if kind == "embedding":  # Keras casts the output to the inputs' dtype, the word indices' (all zeros here)
            np.testing.assert_array_equal(out, ours.kernel.numpy()[x])
        else:
            np.testing.assert_allclose(out, their_out, rtol=1e-5, atol=1e-6)
    # out of training the kernel is used as it is, as Keras's
    kept = ours.get_weights()
    if kind != "embedding":
        np.testing.assert_allclose(ours(x, training=False).numpy(), np.asarray(theirs(x, training=False)),
                                   rtol=1e-5, atol=1e-6)
    for a, b in zip(ours.get_weights(), kept):
        np.testing.assert_array_equal(a, b)


def test_the_kernel_ends_with_largest_singular_value_one():
    fl.set_seed(1)
    sn = fl.layers.SpectralNormalization(fl.layers.Dense(6, kernel_initializer="random_normal"), power_iterations=2)
    x = RNG.normal(size=(4, 8)).astype(np.float32)
    sn(x, training=False)
    assert np.linalg.svd(sn.layer.kernel.numpy(), compute_uv=False)[0] < 0.5  # random_normal's σ, well under 1
    for _ in range(30):  # u is kept between calls: the estimate converges over the calls
        sn(x, training=True)
    singular = np.linalg.svd(sn.layer.kernel.numpy(), compute_uv=False)
    np.testing.assert_allclose(singular[0], 1.0, rtol=1e-4)
    assert sn.kernel is sn.layer.kernel and not sn.vector_u.requires_grad
    assert [p.name for p in sn.trainable_weights] == ["kernel", "bias"]
    zeros = fl.layers.SpectralNormalization(fl.layers.Dense(2, kernel_initializer="zeros"))
    zeros(x, training=True)  # an all-zero kernel is left alone, as Keras leaves it (σ would be 0)
    assert not zeros.layer.kernel.numpy().any() and np.isfinite(zeros.vector_u.numpy()).all()


def _model(lib):
    """A small discriminator: a spectrally normalized hidden layer and output, written once for either library."""
    layers = lib.layers
    inp = layers.Input(shape=(4,))
    h = layers.SpectralNormalization(layers.Dense(8, activation="tanh"))(inp)
    return lib.Model(inp, layers.SpectralNormalization(layers.Dense(1), power_iterations=2)(h))


def test_a_model_of_it_trains_as_keras():
    real = real_keras()
    x = RNG.normal(size=(16, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    theirs, ours = _model(real), _model(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", learning_rate=0.1, batch_size=4, rtol=1e-4, atol=1e-5)


def test_files_cross_both_ways(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    theirs, ours = _model(real), _model(keras)
    ours.set_weights(theirs.get_weights())
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)
    back = keras.models.load_model(tmp_path / "m.keras")
    for a, b in zip(back.get_weights(), ours.get_weights()):  # vector_u too: training goes on where it stopped
        np.testing.assert_array_equal(a, b)
    assert back.layers[1].get_config() == ours.layers[1].get_config()
    # a convolutional one, in fnlearn's own format and Keras's
    conv = fl.Sequential([keras.Input((6, 6, 2)), keras.layers.SpectralNormalization(keras.layers.Conv2D(3, 3))])
    images = RNG.normal(size=(2, 6, 6, 2)).astype(np.float32)
    conv(images, training=True)
    conv.save(tmp_path / "conv.keras")
    keras.saving.export_keras(conv, tmp_path / "conv_k.keras")
    for loaded in (keras.models.load_model(tmp_path / "conv.keras"), real.models.load_model(tmp_path / "conv_k.keras")):
        for a, b in zip(loaded.get_weights(), conv.get_weights()):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-6)


class Doubled(keras.layers.Wrapper):
    """A wrapper of one's own, as Keras's guide would write one."""

    def call(self, x):
        return 2 * self.layer(x)


def test_wrappers_of_ones_own_build_save_and_load(tmp_path):
    wrapped = Doubled(keras.layers.Dense(3))
    model = keras.Sequential([keras.Input((4,)), wrapped])
    x = RNG.normal(size=(2, 4)).astype(np.float32)
    inner = wrapped.layer
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * inner(x).numpy(), rtol=1e-6)
    assert wrapped.get_weights()[0].shape == (4, 3) and isinstance(keras.layers.TimeDistributed(inner),
                                                                   keras.layers.Wrapper)
    model.save(tmp_path / "w.keras")
    back = keras.models.load_model(tmp_path / "w.keras", custom_objects={"Doubled": Doubled})
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(back.layers[0]).__name__ == "Doubled" and type(back.layers[0].layer).__name__ == "Dense"


@pytest.mark.parametrize("make, message", [
    (lambda: fl.layers.SpectralNormalization(fl.layers.Dense(2), power_iterations=0), "power_iterations must be"),
    (lambda: fl.layers.SpectralNormalization(fl.layers.Dense(2), power_iterations=1.5), "power_iterations must be"),
    (lambda: fl.layers.SpectralNormalization(fl.layers.Dropout(0.5)), "Dropout has neither"),
    (lambda: fl.layers.SpectralNormalization("dense"), "takes a layer to wrap, got str"),
    (lambda: fl.layers.SpectralNormalization({"class_name": "Dance", "config": {}}), "must name one of fnlearn's"),
    (lambda: fl.layers.SpectralNormalization(fl.layers.Dense(2), iterations=2), "unexpected argument"),
])
def test_bad_settings_are_one_sentence(make, message):
    with pytest.raises(ConfigError, match=message) as caught:
        make()
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")  # one sentence
