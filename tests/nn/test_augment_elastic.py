"""The layers of nn/augment_elastic.py (RandomElasticTransform, ContrastLimitedAdaptiveHistogramEqualization): Keras
3's pixels (for the transform Keras's layer draws, with the displacement draws Keras on PyTorch makes, read back from
torch's generator), the images untouched in inference, the draws' laws and seeds, gradients against central
differences, files both ways, and one sentence for settings that cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import (
    assert_augmenting_model_crosses_and_trains,
    assert_config_as_keras,
    keras_transformations,
    real_keras,
)

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(31)
RGB = RNG.uniform(0, 255, size=(2, 20, 24, 3)).astype(np.float32)
UNIT = RNG.uniform(0, 1, size=(2, 18, 16, 3)).astype(np.float32)
GRAY = RNG.uniform(0, 1, size=(3, 16, 20, 1)).astype(np.float32)
CLAHE = "ContrastLimitedAdaptiveHistogramEqualization"


def host(t):
    return fl.backend.to_numpy(t.data)


def _keras_pixels_and_draws(theirs, x, transformation):
    """Keras's layer's pixels for its ``transformation``, and the displacement draws (2, batch, height, width) its
    backend made for them: Keras on PyTorch draws from torch's global generator, seeded alike here for both."""
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(9)
        noise = np.stack([torch.normal(0.0, 1.0, size=x.shape[:3], dtype=torch.float32).numpy() for _ in range(2)])
        torch.manual_seed(9)
        expected = np.asarray(theirs.transform_images(x, transformation))
    return expected, noise


CASES = [
    ({"scale": (0.5, 1.0)}, RGB),
    ({"factor": (0.5, 1.0), "scale": (0.6, 1.0), "interpolation": "nearest", "fill_mode": "constant",
      "fill_value": 0.5, "value_range": (0, 1)}, UNIT),
    ({"scale": 0.9, "fill_mode": "wrap", "value_range": (0, 1)}, GRAY),
    ({"factor": 0.8, "scale": (0.7, 0.9), "fill_mode": "mirror", "value_range": (0.2, 0.8)}, UNIT),
]


@pytest.mark.parametrize("settings, x", CASES)
def test_keras_transforms_give_keras_pixels_and_inference_passes_images(settings, x):
    real = real_keras()
    if real.backend.backend() != "torch":
        pytest.skip("Keras's displacement draws are read back from PyTorch's generator")
    theirs = real.layers.RandomElasticTransform(**settings, seed=3)
    ours = keras.layers.RandomElasticTransform(**settings, seed=3)
    assert_config_as_keras(ours, theirs)
    for transformation in keras_transformations(theirs, x, rounds=2):
        expected, noise = _keras_pixels_and_draws(theirs, x, transformation)
        np.testing.assert_allclose(host(ours.transform_images(x, {**transformation, "noise": noise})), expected,
                                   rtol=1e-5, atol=1e-4)
    assert np.array_equal(host(ours(x, training=False)), x)
    out = host(ours(x, training=True))
    low, high = settings.get("value_range", (0, 255))
    assert out.shape == x.shape and out.min() >= low and out.max() <= high


def test_draws_follow_the_factors_and_the_seed():
    x = np.repeat(UNIT, 20, axis=0)  # 40 images
    layer = keras.layers.RandomElasticTransform(factor=(0.5, 0.5), scale=(0.2, 0.4), value_range=(0, 1), seed=1)
    t = layer.get_random_transformation(x)
    assert 10 < t["apply_transform"].sum() < 30 and t["noise"].shape == (2, 40, 18, 16)
    assert t["distortion_factor"].shape == () and 0.2 <= t["distortion_factor"] <= 0.4  # one per call, as Keras's
    assert abs(t["noise"].mean()) < 0.02 and abs(t["noise"].std() - 1) < 0.02
    assert keras.layers.RandomElasticTransform(factor=(1, 1), seed=1).get_random_transformation(x)[
        "apply_transform"].all()
    a, b = (keras.layers.RandomElasticTransform(value_range=(0, 1), seed=5) for _ in range(2))
    first = host(a(x, training=True))
    assert np.array_equal(first, host(b(x, training=True)))  # the same seed, the same draws
    assert not np.array_equal(first, host(a(x, training=True)))  # the next call draws again
    # Keras draws nothing for a scale or factor of 0, and its images pass unclipped
    for still in (keras.layers.RandomElasticTransform(scale=0.0), keras.layers.RandomElasticTransform(factor=0.0)):
        assert still.get_random_transformation(x) is None
        assert np.array_equal(host(still(x * 300, training=True)), x * 300)
    # a transformation of Keras's, without the draws: the layer draws them from its own stream
    moved = keras.layers.RandomElasticTransform(value_range=(0, 1), seed=2).transform_images(
        x[:2], {"apply_transform": np.array([True, False]), "distortion_factor": 1.0, "seed": object()})
    assert not np.allclose(host(moved)[0], x[0]) and np.array_equal(host(moved)[1], x[1])


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_elastic_gradient_against_central_differences(interpolation):
    x = RNG.uniform(0.2, 0.8, size=(2, 6, 7, 2))  # away from the clipping edges
    t = {"apply_transform": np.array([True, False]), "distortion_factor": np.array(0.9),
         "noise": RNG.normal(size=(2, 2, 6, 7))}
    layer = fl.layers.RandomElasticTransform(interpolation=interpolation, fill_mode="constant", value_range=(0, 1),
                                             dtype="float64")
    assert fl.gradcheck(lambda images: layer.transform_images(images, t), [x], atol=1e-6, rtol=1e-6)


# Keras on PyTorch counts its histograms in integers and so cuts clip_limit·(pixels of a tile)/256 down to a whole
# number (0 for small tiles: every count clipped), and it completes the last tiles by repeating the image's edge
# where its code asks for a reflection; on JAX, NumPy and TensorFlow it counts in floats and reflects, and fnlearn
# follows those. The comparisons on PyTorch use whole limits and at most one row or column added, where the
# backends agree; a fractional limit is checked by hand below (Keras on JAX, which agrees, costs seconds to compile).
CLAHE_CASES = [
    ({}, np.tile(RGB[:1], (1, 4, 3, 1))[:, :64, :64]),  # 8×8 tiles of 8×8 pixels: a limit of 4·64/256 = 1
    ({"value_range": (0, 1), "clip_limit": 16.0, "tile_grid_size": (4, 4)}, UNIT[:, :15, :15]),  # tiles completed
    ({"value_range": (0, 1), "clip_limit": 0.0, "tile_grid_size": (4, 3)}, GRAY),
    ({"value_range": (-1, 1), "clip_limit": 0.0, "tile_grid_size": (1, 1)}, UNIT * 2 - 1),
    ({"tile_grid_size": (5, 6), "clip_limit": 32.0}, RGB[0]),  # one image
]


@pytest.mark.parametrize("settings, x", CLAHE_CASES)
def test_clahe_gives_keras_pixels_in_training_and_inference(settings, x):
    real = real_keras()
    theirs, ours = getattr(real.layers, CLAHE)(**settings), getattr(keras.layers, CLAHE)(**settings)
    assert_config_as_keras(ours, theirs)
    low, high = settings.get("value_range", (0, 255))
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(host(ours(x)), expected, rtol=1e-5, atol=1e-5 * (high - low))
    np.testing.assert_allclose(host(ours(x, training=False)), np.asarray(theirs(x, training=False)), rtol=1e-5,
                               atol=1e-5 * (high - low))
    assert not np.allclose(expected, x, atol=0.01 * (high - low))


def test_clahe_with_a_fractional_limit_by_hand():
    # one tile of 10, 20, 20, 200: the limit 4·4/256 = 1/16 cuts the three counts, and the excess, 4 − 3/16, is
    # shared by the 256 levels; each value becomes its level's place in the cumulative histogram, less level 0's
    share, limit = (4 - 3 / 16) / 256, 1 / 16
    cdf = {level: (level + 1) * share + limit * below for level, below in ((0, 0), (10, 1), (20, 2), (200, 3))}
    expected = [(cdf[level] - cdf[0]) * 255 / (4 - cdf[0]) for level in (10, 20, 20, 200)]
    layer = getattr(fl.layers, CLAHE)(tile_grid_size=(1, 1))
    np.testing.assert_allclose(host(layer(np.array([[[[10.0], [20.0], [20.0], [200.0]]]]))).ravel(), expected,
                               rtol=1e-6)


def test_clahe_passes_no_gradient_as_keras():
    x = fl.tensor(RGB[:1], requires_grad=True)
    assert not getattr(keras.layers, CLAHE)()(x).requires_grad
    real = real_keras()
    if real.backend.backend() == "torch":
        import torch

        assert not getattr(real.layers, CLAHE)()(torch.tensor(RGB[:1], requires_grad=True)).requires_grad


def _model(lib):
    layers = lib.layers
    inp = layers.Input(shape=(20, 24, 3))
    h = layers.RandomElasticTransform(0.7, scale=(0.2, 0.8), fill_mode="nearest", seed=1)(inp)
    h = getattr(layers, CLAHE)(clip_limit=3.2, tile_grid_size=(2, 3))(h)  # a limit of 1 (see above)
    h = layers.Rescaling(1 / 255)(h)
    return lib.Model(inp, layers.Dense(2)(layers.Flatten()(h)))


def test_models_of_them_train_and_their_files_cross_both_ways(tmp_path):
    back = assert_augmenting_model_crosses_and_trains(real_keras(), _model, RGB, tmp_path)
    assert [type(layer).__name__ for layer in back.layers[1:3]] == ["RandomElasticTransform", CLAHE]


@pytest.mark.parametrize("make, message", [
    (lambda: fl.layers.RandomElasticTransform(1.5), r"RandomElasticTransform factor must be a number in \[0, 1\]"),
    (lambda: fl.layers.RandomElasticTransform(scale=(0.2, 2.0)), "RandomElasticTransform scale must be"),
    (lambda: fl.layers.RandomElasticTransform(interpolation="bicubic"), "RandomElasticTransform interpolation"),
    (lambda: fl.layers.RandomElasticTransform(fill_mode="edge"), "RandomElasticTransform fill_mode must be"),
    (lambda: fl.layers.RandomElasticTransform(value_range=(1, 0)), "RandomElasticTransform value_range must be"),
    (lambda: fl.layers.RandomElasticTransform(fill_value="zero"), "RandomElasticTransform fill_value must be"),
    (lambda: getattr(fl.layers, CLAHE)(clip_limit=-1), f"{CLAHE} clip_limit must be a number ≥ 0"),
    (lambda: getattr(fl.layers, CLAHE)(tile_grid_size=(0, 2)), f"{CLAHE} tile_grid_size must be"),
    (lambda: getattr(fl.layers, CLAHE)(value_range=(0,)), f"{CLAHE} value_range must be a pair"),
    (lambda: getattr(fl.layers, CLAHE)(data_format="channels_first"), "channels_first"),
])
def test_bad_settings_are_one_sentence(make, message):
    with pytest.raises(ConfigError, match=message) as caught:
        make()
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")  # one sentence


def test_every_layer_is_registered_for_files_and_both_namespaces():
    from fnlearn import io
    from fnlearn.keras import keras_export

    for name in ("RandomElasticTransform", CLAHE):
        cls = getattr(fl.layers, name)
        assert io._layer_class(name) is cls and fl.layers.LAYERS[name] is cls and getattr(keras.layers, name) is cls
        assert name in fl.layers.__all__ and name in keras.layers.__all__ and name in keras_export._SETTINGS
        settings = set(cls().get_config())
        assert settings - {"name", "trainable", "dtype", "input_shape"} <= set(keras_export._SETTINGS[name])
