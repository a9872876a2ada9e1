"""MixUp and CutMix: Keras 3's images and labels for the transform Keras's layer draws, the draws' laws, a data
pipeline mixing images with their one-hot labels for a model to train on, gradients against central differences,
files both ways, and one sentence for what cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(23)
X = RNG.uniform(0, 255, size=(6, 7, 5, 3)).astype(np.float32)
Y = np.eye(3, dtype=np.float32)[RNG.integers(0, 3, size=6)]


def host(t):
    return fl.backend.to_numpy(t.data)


@pytest.mark.parametrize("kind, settings", [("MixUp", {}), ("MixUp", {"alpha": 1.5}), ("CutMix", {}),
                                            ("CutMix", {"factor": (0.3, 0.8)})])
def test_keras_transforms_give_keras_images_and_labels(kind, settings):
    real = real_keras()
    theirs = getattr(real.layers, kind)(**settings, seed=2)
    ours = getattr(keras.layers, kind)(**settings, seed=2)
    for _ in range(3):
        t = theirs.get_random_transformation({"images": X, "labels": Y}, training=True)
        np.testing.assert_allclose(host(ours.transform_images(X, t)), np.asarray(theirs.transform_images(X, t)),
                                   rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(host(ours.transform_labels(Y, t)), np.asarray(theirs.transform_labels(Y, t)),
                                   rtol=1e-5, atol=1e-6)
    assert np.array_equal(host(ours(X, training=False)), X)
    out = ours({"images": X, "labels": Y}, training=False)
    assert np.array_equal(host(out["images"]), X) and np.array_equal(host(out["labels"]), Y)


def test_the_draws_follow_keras_laws():
    x = np.repeat(X, 50, axis=0)  # 300 images
    mix = keras.layers.MixUp(alpha=0.2, seed=1).get_random_transformation(x)
    assert sorted(mix["permutation_order"]) == list(range(300))
    w = mix["mix_weight"]
    assert 0.4 < np.mean((w < 0.1) | (w > 0.9)) and 0.4 < w.mean() < 0.6  # Beta(0.2, 0.2): mostly near 0 or 1
    cut = keras.layers.CutMix(seed=1).get_random_transformation(x)
    masks, kept = cut["batch_masks"], cut["mix_weight"]
    assert masks.shape == x.shape
    boxes = masks[..., 0]
    for k in range(0, 300, 37):  # each mask is one box, and the share kept is 1 − its area, as Keras counts it
        rows, cols = np.nonzero(boxes[k])
        if rows.size:
            assert boxes[k][rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
        assert abs((1 - kept[k]) - boxes[k].mean()) < 0.5
    lone = X[0]
    assert np.array_equal(host(keras.layers.CutMix(seed=1)(lone, training=True)), lone)


def test_a_pipeline_mixes_images_with_their_labels_and_a_model_trains_on_it():
    ds = fl.data.Dataset.from_tensor_slices((X, Y)).batch(3)
    for layer in (keras.layers.MixUp(seed=4), keras.layers.CutMix(seed=4)):
        mixed = ds.map(lambda x, y, layer=layer: layer({"images": x, "labels": y}, training=True))
        batches = list(mixed)
        assert len(batches) == 2 and sorted(batches[0]) == ["images", "labels"]
        for batch in batches:
            np.testing.assert_allclose(np.asarray(batch["labels"]).sum(axis=1), 1.0, rtol=1e-5)
            assert np.asarray(batch["images"]).shape == (3, 7, 5, 3)
        assert any(not np.array_equal(np.asarray(b["images"]), X[i * 3:(i + 1) * 3]) for i, b in enumerate(batches))
        model = keras.Sequential([keras.Input((7, 5, 3)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                                  keras.layers.Dense(3, activation="softmax")])
        model.compile("adam", "categorical_crossentropy")
        history = model.fit(mixed.map(lambda d: (d["images"], d["labels"])), epochs=2, verbose=0)
        assert np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize("kind, transformation", [
    ("MixUp", {"mix_weight": np.array([0.3, 0.8, 0.5]), "permutation_order": np.array([2, 0, 1])}),
    ("CutMix", {"permutation_order": np.array([1, 2, 0]), "batch_masks": RNG.random((3, 3, 4, 2)) > 0.5,
                "mix_weight": np.array([0.5, 0.5, 0.5])}),
])
def test_gradients_against_central_differences(kind, transformation):
    layer = getattr(fl.layers, kind)(dtype="float64")
    x = RNG.normal(size=(3, 3, 4, 2))
    y = np.eye(2)[[0, 1, 1]]
    assert fl.gradcheck(lambda t: layer.transform_images(t, transformation), [x], atol=1e-7, rtol=1e-6)
    assert fl.gradcheck(lambda t: layer.transform_labels(t, transformation), [y], atol=1e-7, rtol=1e-6)


def test_models_with_them_cross_files_both_ways(tmp_path):
    real = real_keras()

    def model(lib):
        inp = lib.layers.Input(shape=(7, 5, 3))
        h = lib.layers.CutMix(0.5, seed=1)(lib.layers.MixUp(0.4, seed=2)(inp))
        return lib.Model(inp, lib.layers.Dense(2)(lib.layers.Flatten()(h)))

    theirs, ours = model(real), model(keras)
    ours.set_weights(theirs.get_weights())
    # images in (0, 1): outputs near 1, so float32's rounding stays inside the comparison's tolerance
    assert_files_cross_both_ways(real, theirs, ours, X / 255.0, tmp_path)
    back = keras.models.load_model(tmp_path / "theirs.keras")
    assert back.layers[1].alpha == pytest.approx(0.4) and back.layers[2].factor == (0.0, 0.5)


@pytest.mark.parametrize("make, message", [
    (lambda: fl.layers.MixUp(alpha=0), "MixUp alpha must be a number > 0"),
    (lambda: fl.layers.CutMix(factor=2.0), r"CutMix factor must be a number in \[0, 1\]"),
    (lambda: fl.layers.MixUp()({"images": X, "labels": np.arange(6)}, training=True), "one-hot encode"),
    (lambda: fl.layers.CutMix()({"images": X, "label": Y}, training=True), "a dict of 'images' and 'labels'"),
])
def test_bad_settings_are_one_sentence(make, message):
    with pytest.raises(ConfigError, match=message) as caught:
        make()
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")  # one sentence
