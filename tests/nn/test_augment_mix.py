"""RandAugment and AugMix (nn/augment_mix.py): Keras 3's pixels for the nested transformation Keras's layer draws,
the images untouched in inference, the operations applied in turn (and mixed) as the transformation says, the draws'
laws and seeds, gradients, files both ways, and one sentence for settings that cannot work."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from real_keras import (
    assert_config_as_keras,
    assert_files_cross_both_ways,
    assert_keras_pixels,
    keras_transformations,
    plain,
    real_keras,
)

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError

RNG = np.random.default_rng(31)
RGB = RNG.uniform(0, 255, size=(3, 7, 8, 3)).astype(np.float32)
UNIT = RNG.uniform(0, 1, size=(2, 8, 6, 3)).astype(np.float32)
RAND_AUGMENT_OPS = ["random_shear", "random_translation", "random_rotation", "random_brightness",
                    "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                    "solarization", "auto_contrast", "equalization"]
AUG_MIX_FEW = {"random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
               "auto_contrast", "equalization"}


def host(t):
    return fl.backend.to_numpy(t.data)


RAND_AUGMENT_CASES = [({}, RGB), ({"num_ops": 3, "factor": (0.2, 0.9), "interpolation": "nearest",
                                  "value_range": (0, 1)}, UNIT), ({"num_ops": 4, "factor": 1.0}, RGB)]


# Keras 3.15's RandAugment computes every operation at each step and keeps the chosen one; on PyTorch its
# RandomBrightness adds in place to the images it is given, so the images change whenever brightness is computed,
# chosen or not. On JAX nothing is changed in place: its pixels are those of the chosen operations in turn.
@pytest.mark.keras_backend("jax")
@pytest.mark.parametrize("settings, x", RAND_AUGMENT_CASES)
def test_rand_augment_gives_keras_pixels_for_keras_transformations(settings, x, monkeypatch):
    real = real_keras()
    # Keras on JAX counts Equalization's histogram in a Python loop over its 256 bins (a thousand dispatches per
    # channel, most of this test's time); its other backends count with bincount, the same numbers at once, and that
    # is the Equalization fnlearn's is compared with in tests/nn/test_augment_more.py.
    def bincount_histogram(layer, values, value_range, nbins):
        scaled = (np.asarray(values, np.float32) - np.float32(value_range[0])) * (nbins - 1) / np.float32(
            value_range[1] - value_range[0])
        indices = np.clip(scaled.astype(np.int32), 0, nbins - 1).reshape(-1)
        return layer.backend.convert_to_tensor(np.bincount(indices, minlength=nbins).astype(np.int32))

    monkeypatch.setattr(real.layers.Equalization, "_custom_histogram_fixed_width", bincount_histogram)
    theirs = real.layers.RandAugment(**settings, seed=3)
    ours = keras.layers.RandAugment(**settings, seed=3)
    assert_config_as_keras(ours, theirs)
    chosen = set()
    for transformation in keras_transformations(theirs, x, rounds=3):
        chosen.update(int(i) for i in np.asarray(transformation["layer_idxes"]))
        assert_keras_pixels(theirs, ours, x, transformation, atol=1e-3)
    assert len(chosen) >= 5  # several kinds of operation compared, not one
    assert np.array_equal(host(ours(x, training=False)), x)


@pytest.mark.parametrize("settings, x", [({}, RGB), ({"all_ops": False, "factor": (0.1, 0.6), "num_chains": 2,
                                                      "chain_depth": 4, "alpha": 0.5, "value_range": (0, 1)}, UNIT)])
def test_aug_mix_gives_keras_pixels_for_keras_transformations(settings, x):
    real = real_keras()
    theirs = real.layers.AugMix(**settings, seed=3)
    ours = keras.layers.AugMix(**settings, seed=3)
    assert_config_as_keras(ours, theirs)
    state = random.getstate()
    random.seed(7)  # Keras's AugMix chooses its chains' operations with Python's own random
    try:
        names = set()
        for transformation in keras_transformations(theirs, x, rounds=5):
            names.update(step["layer_name"] for chain in transformation["chain_transforms"] for step in chain)
            assert_keras_pixels(theirs, ours, x, transformation, atol=1e-3)
    finally:
        random.setstate(state)
    assert len(names) >= 5
    assert np.array_equal(host(ours(x, training=False)), x)


def test_rand_augment_applies_the_chosen_operations_in_turn():
    policy = fl.layers.RandAugment(factor=0.4, value_range=(0, 1))
    brightness, contrast = {"rgb_delta": np.array([0.2, -0.1])}, {"contrast_factor": np.array([1.3, 0.8])}
    transformation = {"transforms": {"random_brightness": brightness, "random_contrast": contrast},
                      "layer_idxes": np.array([5, 3])}  # contrast, then brightness
    expected = fl.layers.RandomContrast((0.0, 0.4), value_range=(0, 1)).transform_images(UNIT, contrast)
    expected = fl.layers.RandomBrightness((0.0, 0.4), value_range=(0, 1)).transform_images(expected, brightness)
    np.testing.assert_allclose(host(policy.transform_images(UNIT, transformation)), host(expected), rtol=1e-6)
    # the same operation twice, and one that draws nothing
    twice = {"transforms": {"random_brightness": brightness, "auto_contrast": None}, "layer_idxes": [3, 3, 9]}
    three = fl.layers.RandAugment(num_ops=3, value_range=(0, 1))
    once = fl.layers.RandomBrightness(0.4, value_range=(0, 1)).transform_images(UNIT, brightness)
    again = fl.layers.RandomBrightness(0.4, value_range=(0, 1)).transform_images(once, brightness)
    np.testing.assert_allclose(host(three.transform_images(UNIT, twice)),
                               host(fl.layers.AutoContrast(value_range=(0, 1))(again)), rtol=1e-6)
    assert np.array_equal(host(policy.transform_images(UNIT, transformation, training=False)), UNIT)


def test_aug_mix_mixes_its_chains_with_the_images():
    mix = fl.layers.AugMix(num_chains=2, value_range=(0, 1), dtype="float64")
    shear = {"shear_factor": np.array([[0.2, -0.1], [0.0, 0.3]])}
    chains = [[{"layer_name": "random_shear", "transformation": shear},
               {"layer_name": "auto_contrast", "transformation": None}], []]  # the second: no operation
    t = {"chain_mixing_weights": np.array([0.25, 0.75]), "weight_sample": np.float64(0.4), "chain_transforms": chains}
    x = UNIT.astype(np.float64)
    sheared = fl.layers.RandomShear(0.3, dtype="float64").transform_images(x, shear)
    first = host(fl.layers.AutoContrast(value_range=(0, 1), dtype="float64")(sheared))
    expected = np.clip(0.4 * x + 0.6 * (0.25 * first + 0.75 * x), 0, 1)
    np.testing.assert_allclose(host(mix.transform_images(x, t)), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [lambda s: fl.layers.RandAugment(num_ops=3, factor=0.8, seed=s),
                                  lambda s: fl.layers.AugMix(factor=0.6, seed=s)])
def test_training_calls_stay_in_range_follow_the_drawn_operations_and_the_seed(make):
    a, b, c = make(5), make(5), make(5)
    first = host(a(RGB, training=True))
    assert first.shape == RGB.shape and first.min() >= 0.0 and first.max() <= 255.0
    assert not np.array_equal(first, RGB)
    assert np.array_equal(first, host(b(RGB, training=True)))  # the same seed, the same draws
    # the call is the drawn transformation applied: the same seed's first draw gives the same pixels
    np.testing.assert_allclose(host(c.transform_images(RGB, c.get_random_transformation(RGB))), first, rtol=1e-6)
    second = host(a(RGB, training=True))
    assert not np.array_equal(first, second) and second.min() >= 0.0 and second.max() <= 255.0  # drawn again
    one = RGB[0]  # one image, as Keras takes it
    assert host(a(one, training=True)).shape == one.shape
    assert np.array_equal(host(a(one, training=False)), one) and np.array_equal(host(a(RGB, training=False)), RGB)
    assert a.get_random_transformation(RGB, training=False) is None


def test_rand_augment_draws_follow_keras_laws():
    policy = fl.layers.RandAugment(num_ops=4, factor=(0.2, 0.6), seed=1)
    counts = np.zeros(11)
    for _ in range(60):
        t = policy.get_random_transformation(RGB)
        assert list(t["transforms"]) == RAND_AUGMENT_OPS and t["layer_idxes"].shape == (4,)
        counts += np.bincount(t["layer_idxes"], minlength=11)
    assert counts.min() > 5 and counts.sum() == 240  # each of the eleven chosen, about 22 times
    parts = t["transforms"]
    assert t["transforms"]["auto_contrast"] is None and t["transforms"]["equalization"] is None
    assert np.all((parts["random_rotation"]["angle"] >= 72) & (parts["random_rotation"]["angle"] <= 216))
    assert np.all((parts["random_contrast"]["contrast_factor"] >= 0.8) & (parts["random_contrast"]["contrast_factor"]
                                                                          <= 1.6))
    assert np.all((8 - parts["random_posterization"]["shift_factor"]) <= 3)  # 8·0.6 → up to 4 bits, drawn 1…3


def test_aug_mix_draws_follow_keras_laws():
    few = fl.layers.AugMix(num_chains=4, chain_depth=2, all_ops=False, alpha=0.5, seed=2)
    names, lengths = set(), set()
    for _ in range(40):
        t = few.get_random_transformation(UNIT)
        weights = t["chain_mixing_weights"]
        assert weights.shape == (4,) and np.isclose(weights.sum(), 1.0) and np.all(weights >= 0)
        assert 0.0 <= t["weight_sample"] <= 1.0 and len(t["chain_transforms"]) == 4
        for chain in t["chain_transforms"]:
            lengths.add(len(chain))
            names.update(step["layer_name"] for step in chain)
    assert names == AUG_MIX_FEW and lengths == {0, 1, 2}
    every = fl.layers.AugMix(chain_depth=3, seed=2)
    names = {step["layer_name"] for _ in range(40) for chain in every.get_random_transformation(UNIT)[
        "chain_transforms"] for step in chain}
    assert names == set(RAND_AUGMENT_OPS)  # with all_ops, the colour operations too


def test_gradients_flow_through_the_differentiable_operations():
    x = RNG.uniform(60, 190, size=(2, 4, 4, 3))
    policy = fl.layers.RandAugment(factor=0.3, dtype="float64")
    t = {"transforms": {"random_shear": {"shear_factor": np.array([[0.2, 0.1], [-0.1, 0.25]])},
                        "random_sharpness": {"factor": np.array([0.2, 0.4])}}, "layer_idxes": [0, 6]}
    assert fl.gradcheck(lambda v: policy.transform_images(v, t), [x], atol=1e-6, rtol=1e-6)
    mix = fl.layers.AugMix(num_chains=2, dtype="float64")
    chains = [[{"layer_name": "random_rotation", "transformation": {"angle": np.array([10.0, -20.0])}}],
              [{"layer_name": "random_color_degeneration", "transformation": {"factor": np.array([0.3, -0.2])}}]]
    t = {"chain_mixing_weights": np.array([0.3, 0.7]), "weight_sample": 0.6, "chain_transforms": chains}
    assert fl.gradcheck(lambda v: mix.transform_images(v, t), [x], atol=1e-6, rtol=1e-6)


def _model(lib):
    layers = lib.layers
    inp = layers.Input(shape=(7, 8, 3))
    h = layers.RandAugment(num_ops=3, factor=(0.1, 0.7), interpolation="nearest", seed=1)(inp)
    h = layers.AugMix(num_chains=2, chain_depth=2, factor=0.4, alpha=0.7, all_ops=False, seed=2)(h)
    h = layers.Rescaling(1 / 255)(h)  # outputs near 1: float32 rounding stays small
    return lib.Model(inp, layers.Dense(2)(layers.Flatten()(h)))


def test_models_of_them_train_and_their_files_cross_both_ways(tmp_path):
    real = real_keras()
    theirs, ours = _model(real), _model(keras)
    ours.set_weights(theirs.get_weights())
    assert_files_cross_both_ways(real, theirs, ours, RGB, tmp_path)
    ours.compile("adam", "mse")
    history = ours.fit(RGB, np.ones((3, 2)), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    back = keras.models.load_model(tmp_path / "m.keras")
    assert [layer.get_config() for layer in back.layers[1:3]] == [layer.get_config() for layer in ours.layers[1:3]]
    mine = keras.models.load_model(tmp_path / "theirs.keras")
    assert [type(layer).__name__ for layer in mine.layers[1:3]] == ["RandAugment", "AugMix"]
    assert [plain(layer.get_config()["factor"]) for layer in mine.layers[1:3]] == [[0.1, 0.7], [0.0, 0.4]]


@pytest.mark.parametrize("make, message", [
    (lambda: fl.layers.RandAugment(factor=1.5), r"RandAugment factor must be a number in \[0, 1\]"),
    (lambda: fl.layers.RandAugment(factor=(0.2, 1.2)), r"RandAugment factor must be a number in \[0, 1\]"),
    (lambda: fl.layers.RandAugment(num_ops=-1), "RandAugment num_ops must be a whole number ≥ 0"),
    (lambda: fl.layers.RandAugment(num_ops=1.5), "RandAugment num_ops must be a whole number ≥ 0"),
    (lambda: fl.layers.RandAugment(interpolation="bicubic"), "RandAugment interpolation must be"),
    (lambda: fl.layers.RandAugment(value_range=(1, 0)), "RandAugment value_range must be a pair"),
    (lambda: fl.layers.AugMix(num_chains=0), "AugMix num_chains must be a whole number ≥ 1"),
    (lambda: fl.layers.AugMix(chain_depth=-2), "AugMix chain_depth must be a whole number ≥ 0"),
    (lambda: fl.layers.AugMix(alpha=0.0), "AugMix alpha must be a number > 0"),
    (lambda: fl.layers.AugMix(all_ops="yes"), "AugMix all_ops must be True or False"),
    (lambda: fl.layers.AugMix(factor=-0.3), r"AugMix factor must be a number in \[0, 1\]"),
    (lambda: fl.layers.AugMix(all_ops=False).transform_images(
        UNIT, {"chain_mixing_weights": [1.0], "weight_sample": 0.5,
               "chain_transforms": [[{"layer_name": "random_contrast", "transformation": None}]]}),
     "AugMix layer 'aug_mix.*' was given a transformation for 'random_contrast', which is none of its operations"),
    (lambda: fl.layers.AugMix().transform_images(
        UNIT, {"chain_mixing_weights": [0.5, 0.5], "weight_sample": 0.5, "chain_transforms": [[]]}),
     "AugMix layer 'aug_mix.*' was given 1 chains but 2 mixing weights"),
])
def test_bad_settings_are_one_sentence(make, message):
    with pytest.raises(ConfigError, match=message) as caught:
        make()
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")  # one sentence


def test_a_refused_call_draws_nothing():
    policy = fl.layers.RandAugment(seed=0)
    with pytest.raises(ShapeError):
        policy(np.ones((2, 5, 5)), training=True)  # no channels axis
    assert policy.draws == 0


def test_both_layers_are_registered_for_files_and_both_namespaces():
    from fnlearn import io
    from fnlearn.keras import keras_export

    for name in ("RandAugment", "AugMix"):
        cls = getattr(fl.layers, name)
        assert io._layer_class(name) is cls and fl.layers.LAYERS[name] is cls and getattr(keras.layers, name) is cls
        assert name in fl.layers.__all__ and name in keras.layers.__all__ and name in keras_export._SETTINGS
        settings = set(cls().get_config())
        assert settings - {"name", "trainable", "dtype", "input_shape"} <= set(keras_export._SETTINGS[name])
