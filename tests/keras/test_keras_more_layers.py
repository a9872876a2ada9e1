"""Lambda, LayerNormalization, Conv2DTranspose and SpatialDropout2D against the real Keras 3: output shapes,
parameter counts, outputs from the same weights, settings, and a small decoder trained two epochs from the same
weights in both."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras

RNG = np.random.default_rng(13)

LAYER_CASES = [
    ((4, 5, 3), lambda m: m.layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")),
    ((4, 5, 3), lambda m: m.layers.Conv2DTranspose(2, (2, 3), strides=(3, 2), use_bias=False)),
    ((4, 5, 3), lambda m: m.layers.Conv2DTranspose(3, (4, 3), strides=(3, 2), padding="same",
                                                   output_padding=(2, 1))),
    ((4, 5, 3), lambda m: m.layers.Conv2DTranspose(3, (1, 2), strides=3, output_padding=1, activation="tanh")),
    ((4, 5, 3), lambda m: m.layers.LayerNormalization()),
    ((4, 5, 3), lambda m: m.layers.LayerNormalization(axis=[1, 2, 3], epsilon=0.1)),
    ((4, 5, 3), lambda m: m.layers.LayerNormalization(axis=[-3, -1], center=False)),
    ((6,), lambda m: m.layers.LayerNormalization(scale=False, epsilon=1e-5)),
    ((4, 5, 3), lambda m: m.layers.SpatialDropout2D(0.4)),
    ((4, 5, 3), lambda m: m.layers.Lambda(lambda t: m.ops.mean(m.ops.square(t), axis=-1) - 1.0)),
]
LAYER_IDS = ["transpose-same-stride2-relu", "transpose-kernel-smaller-than-stride-nobias",
             "transpose-same-output-padding", "transpose-valid-output-padding", "layernorm", "layernorm-image",
             "layernorm-axes-apart-noshift", "layernorm-rows-noscale", "spatial-dropout", "lambda"]


@pytest.mark.parametrize("sample_shape,make", LAYER_CASES, ids=LAYER_IDS)
def test_each_layer_gives_keras_shapes_counts_and_outputs_from_the_same_weights(sample_shape, make):
    real = real_keras()
    theirs = real.Sequential([real.Input(shape=sample_shape), make(real)])
    ours = keras.Sequential([keras.Input(shape=sample_shape), make(keras)])
    assert ours.output_shape == tuple(theirs.output_shape)
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    weights = [RNG.normal(size=w.shape).astype(np.float32) for w in theirs.get_weights()]  # not Keras's ones/zeros
    theirs.set_weights(weights)
    ours.set_weights(weights)
    x = (RNG.normal(size=(2, *sample_shape)) * 3 + 1).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_transposed_output_shapes_are_kerass_for_every_kernel_stride_padding_and_output_padding():
    real = real_keras()
    for kernel, stride, padding in itertools.product((1, 2, 3, 4), (1, 2, 3), ("valid", "same")):
        for output_padding in (None, *range(stride)):
            theirs = real.layers.Conv2DTranspose(2, (kernel, 1), strides=(stride, 1), padding=padding,
                                                 output_padding=None if output_padding is None else (output_padding, 0))
            ours = keras.layers.Conv2DTranspose(2, (kernel, 1), strides=(stride, 1), padding=padding,
                                                output_padding=None if output_padding is None else (output_padding, 0))
            for size in (1, 2, 5):
                expected = tuple(theirs.compute_output_shape((None, size, 3, 4))[1:])
                if expected[0] < 1:  # Keras gives no rows at all: fnlearn says so in one sentence
                    with pytest.raises(fl.errors.ShapeError, match="give a larger output_padding"):
                        ours.compute_output_shape((size, 3, 4))
                else:
                    assert ours.compute_output_shape((size, 3, 4)) == expected, (kernel, stride, padding,
                                                                                 output_padding, size)


def test_settings_are_kerass_settings():
    real = real_keras()
    pairs = [
        (real.layers.LayerNormalization(), keras.layers.LayerNormalization(),
         ("axis", "epsilon", "center", "scale")),
        (real.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, center=False),
         keras.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, center=False), ("axis", "epsilon", "center")),
        (real.layers.Conv2DTranspose(8, 3), keras.layers.Conv2DTranspose(8, 3),
         ("filters", "kernel_size", "strides", "padding", "output_padding", "use_bias")),
        (real.layers.Conv2DTranspose(8, (3, 2), strides=2, padding="same", output_padding=1),
         keras.layers.Conv2DTranspose(8, (3, 2), strides=2, padding="same", output_padding=1),
         ("kernel_size", "strides", "padding", "output_padding")),
        (real.layers.SpatialDropout2D(0.3, seed=2), keras.layers.SpatialDropout2D(0.3, seed=2), ("rate", "seed")),
        (real.layers.Lambda(abs, arguments={"a": 1}), keras.layers.Lambda(abs, arguments={"a": 1}), ("arguments",)),
    ]
    for theirs, ours, keys in pairs:
        mine, kerass = ours.get_config(), theirs.get_config()
        for key in keys:
            value = kerass[key]
            assert mine[key] == (list(value) if isinstance(value, tuple) else value), (type(ours).__name__, key)
        assert mine["name"].rstrip("_0123456789") == kerass["name"].rstrip("_0123456789")  # Keras's base names
    assert keras.layers.Convolution2DTranspose is keras.layers.Conv2DTranspose
    assert real.layers.Convolution2DTranspose is real.layers.Conv2DTranspose


def _decoder(module):
    """A small decoder of the autoencoder tutorials: a code made into an image twice as large."""
    return module.Sequential([module.Input(shape=(3, 3, 2)),
                              module.layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu"),
                              module.layers.LayerNormalization(),
                              module.layers.Lambda(lambda t: t * 0.5),
                              module.layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid")])


def test_a_decoder_trains_two_epochs_of_sgd_as_keras_does():
    real = real_keras()
    theirs, ours = _decoder(real), _decoder(keras)
    x = RNG.normal(size=(12, 3, 3, 2)).astype(np.float32)
    y = RNG.random((12, 6, 6, 1)).astype(np.float32)
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", learning_rate=0.5, batch_size=4, rtol=1e-4, atol=1e-5)

