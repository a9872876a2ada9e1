"""The colour augmentations (RandomInvert, Solarization, RandomPosterization, RandomSharpness,
RandomColorDegeneration, RandomGrayscale, AutoContrast): Keras 3's pixels for the transform Keras's layer draws,
the images untouched in inference (AutoContrast always applied, as Keras's), seeded draws, gradients against
central differences, files both ways, and one sentence for settings that cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import (
    assert_augmenting_model_crosses_and_trains,
    assert_config_as_keras,
    assert_keras_pixels,
    keras_transformations,
    real_keras,
)

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(17)
RGB = RNG.uniform(0, 255, size=(3, 5, 6, 3)).astype(np.float32)
UNIT = RNG.uniform(0, 1, size=(2, 4, 4, 1)).astype(np.float32)


def host(t):
    return fl.backend.to_numpy(t.data)


CASES = [
    ("RandomInvert", {}, RGB),
    ("RandomInvert", {"factor": (0.3, 0.9), "value_range": (0, 1)}, UNIT),
    ("Solarization", {"addition_factor": 0.3, "threshold_factor": (0.2, 0.8)}, RGB),
    ("Solarization", {"threshold_factor": 0.6, "value_range": (0, 1)}, UNIT),
    ("RandomPosterization", {"factor": 5}, RGB),
    ("RandomPosterization", {"factor": (2, 7), "value_range": (0, 1)}, UNIT),
    ("RandomSharpness", {"factor": 0.9}, RGB),
    ("RandomSharpness", {"factor": (0.1, 0.4), "value_range": (0, 1)}, UNIT),
    ("RandomColorDegeneration", {"factor": 0.8}, RGB),
    ("RandomColorDegeneration", {"factor": (-0.5, 0.5), "value_range": (0, 1)}, UNIT),
    ("RandomGrayscale", {"factor": 0.7}, RGB),
]


@pytest.mark.parametrize("kind, settings, x", CASES)
def test_keras_transforms_give_keras_pixels_and_inference_passes_images(kind, settings, x):
    real = real_keras()
    theirs = getattr(real.layers, kind)(**settings, seed=3)
    ours = getattr(keras.layers, kind)(**settings, seed=3)
    assert_config_as_keras(ours, theirs)
    for transformation in keras_transformations(theirs, x):
        assert_keras_pixels(theirs, ours, x, transformation)
    assert np.array_equal(host(ours(x, training=False)), x)
    out = host(ours(x, training=True))
    low, high = settings.get("value_range", (0, 255))
    assert out.shape == x.shape and out.min() >= low - 1e-4 and out.max() <= high + 1e-4


def test_each_draw_follows_the_factor_and_the_seed():
    x = np.repeat(RGB, 20, axis=0)  # 60 images
    flips = keras.layers.RandomInvert(seed=1).get_random_transformation(x)["apply_inversion"]
    assert 10 < flips.sum() < 50  # p uniform in (0, 1): about half
    every = keras.layers.RandomInvert(factor=(1.0, 1.0), seed=1)(x, training=True)
    np.testing.assert_allclose(host(every), 255.0 - x, rtol=1e-6)
    shifts = keras.layers.RandomPosterization((3, 6), seed=1).get_random_transformation(x)["shift_factor"]
    assert set(np.unique(shifts)) <= {2, 3, 4, 5} and len(np.unique(shifts)) > 1  # 8 − bits, bits in 3…5
    assert set(keras.layers.RandomPosterization(4).get_random_transformation(x)["shift_factor"]) <= {5, 6, 7}
    grays = keras.layers.RandomGrayscale(0.0, seed=1)(x, training=True)
    assert np.array_equal(host(grays), x)
    sharp = keras.layers.RandomSharpness((0.5, 0.5), seed=1)(x, training=True)  # s = 1: the image itself
    np.testing.assert_allclose(host(sharp), x, rtol=1e-6)
    for kind, settings in (("Solarization", {"addition_factor": 0.5}), ("RandomColorDegeneration", {"factor": 0.4})):
        a, b = (getattr(keras.layers, kind)(**settings, seed=5) for _ in range(2))
        first = host(a(x, training=True))
        assert np.array_equal(first, host(b(x, training=True)))  # the same seed, the same draws
        assert not np.array_equal(first, host(a(x, training=True)))  # the next call draws again


def test_autocontrast_stretches_every_image_as_keras_in_training_and_inference():
    real = real_keras()
    x = RNG.uniform(40, 180, size=(2, 5, 5, 3)).astype(np.float32)
    x[1, ..., 2] = 90.0  # a flat channel stays as it is (Keras's NaN replaced by the input)
    for value_range, images in (((0, 255), x), ((0, 1), x / 255.0)):
        theirs, ours = (lib.layers.AutoContrast(value_range=value_range) for lib in (real, keras))
        for training in (True, False):
            out = host(ours(images, training=training))
            np.testing.assert_allclose(out, np.asarray(theirs(images, training=training)), rtol=1e-5, atol=1e-4)
        assert np.isclose(out[0].min(), value_range[0], atol=1e-4) and np.isclose(out[0].max(), value_range[1])
        assert np.array_equal(out[1, ..., 2], images[1, ..., 2])


GRADIENT_CASES = [
    ("RandomInvert", {"factor": (0.5, 1.0)}, {"apply_inversion": np.array([True, False])}),
    ("Solarization", {}, {"additions": np.array([20.0, 0.0]), "thresholds": np.array([100.0, 200.0])}),
    ("RandomSharpness", {"factor": 1.0}, {"factor": np.array([0.2, 0.9])}),
    ("RandomColorDegeneration", {"factor": 1.0}, {"factor": np.array([0.6, -0.3])}),
    ("RandomGrayscale", {}, np.array([True, False])),
]


@pytest.mark.parametrize("kind, settings, transformation", GRADIENT_CASES)
def test_gradients_against_central_differences(kind, settings, transformation):
    x = RNG.uniform(60, 190, size=(2, 4, 4, 3))  # away from the clipping edges and the thresholds' jumps
    if kind == "Solarization":
        x[np.abs(x + 20.0 - 100.0) < 5] += 12.0
    layer = getattr(fl.layers, kind)(**settings, dtype="float64")
    assert fl.gradcheck(lambda t: layer.transform_images(t, transformation), [x], atol=1e-6, rtol=1e-6)
    contrast = fl.layers.AutoContrast(dtype="float64")
    assert fl.gradcheck(lambda t: contrast(t), [x], atol=1e-6, rtol=1e-6)


def _model(lib):
    layers = lib.layers
    inp = layers.Input(shape=(5, 6, 3))
    h = layers.RandomInvert(seed=1)(inp)
    h = layers.Solarization(0.2, 0.5, seed=2)(h)
    h = layers.RandomPosterization(6, seed=3)(h)
    h = layers.RandomSharpness(0.3, seed=4)(h)
    h = layers.RandomColorDegeneration(0.4, seed=5)(h)
    h = layers.RandomGrayscale(0.5, seed=6)(h)
    h = layers.Rescaling(1 / 255)(layers.AutoContrast()(h))  # outputs near 1: float32 rounding stays small
    return lib.Model(inp, layers.Dense(2)(layers.Flatten()(h)))


def test_models_of_them_train_and_their_files_cross_both_ways(tmp_path):
    back = assert_augmenting_model_crosses_and_trains(real_keras(), _model, RGB, tmp_path)
    assert [type(layer).__name__ for layer in back.layers[1:8]] == [
        "RandomInvert", "Solarization", "RandomPosterization", "RandomSharpness", "RandomColorDegeneration",
        "RandomGrayscale", "AutoContrast"]


@pytest.mark.parametrize("make, message", [
    (lambda: fl.layers.RandomInvert(1.5), r"RandomInvert factor must be a number in \[0, 1\]"),
    (lambda: fl.layers.Solarization(threshold_factor=(0.2, 2.0)), "Solarization threshold_factor must be"),
    (lambda: fl.layers.RandomPosterization(9), r"RandomPosterization factor must be a number in \[1, 8\]"),
    (lambda: fl.layers.RandomPosterization(4.5), r"RandomPosterization factor must be a whole number"),
    (lambda: fl.layers.RandomSharpness(0.5, value_range=(1, 0)), "RandomSharpness value_range must be a pair"),
    (lambda: fl.layers.RandomColorDegeneration("strong"), "RandomColorDegeneration factor must be"),
    (lambda: fl.layers.RandomGrayscale(2), r"RandomGrayscale factor must be a number in \[0, 1\]"),
    (lambda: fl.layers.AutoContrast(value_range=5), "AutoContrast value_range must be a pair"),
    (lambda: fl.layers.RandomColorDegeneration(0.5)(np.ones((1, 2, 2, 2)), training=True), "RGB images"),
    (lambda: fl.layers.AutoContrast()(np.ones((2, 3))), "takes images"),
])
def test_bad_settings_are_one_sentence(make, message):
    with pytest.raises(ConfigError, match=message) as caught:
        make()
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")  # one sentence
