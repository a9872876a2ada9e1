"""Dropout's noise_shape, Keras's: one draw shared along the axes where it is 1 — whole samples dropped
(EfficientNet's drop-connect), the same features at every step — in the config and files as Keras writes them."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_config_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError


def test_a_draw_is_shared_along_the_axes_of_size_one():
    x = np.ones((64, 3, 4, 5), np.float32)
    out = keras.layers.Dropout(0.5, noise_shape=(None, 1, 1, 1), seed=2)(x, training=True).numpy()
    per_sample = out.reshape(64, -1)
    assert (per_sample == per_sample[:, :1]).all() and set(np.unique(out)) == {0.0, 2.0}  # whole samples
    steps = keras.layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=3)(np.ones((8, 6, 5)), training=True).numpy()
    assert (steps == steps[:, :1, :]).all() and 0 < (steps == 0).mean() < 1  # the same features at every step
    assert np.array_equal(keras.layers.Dropout(0.5, noise_shape=(None, 1, 1, 1))(x, training=False).numpy(), x)


def test_gradients_flow_through_the_kept_values_only():
    layer = keras.layers.Dropout(0.5, noise_shape=(None, 1), seed=4)
    x = fl.tensor(np.ones((16, 3)), requires_grad=True)
    out = layer(x, training=True)
    out.sum().backward()
    # the gradient is the mask: 0 or 1 / (1 − rate)
    np.testing.assert_array_equal(fl.backend.to_numpy(x.grad), out.numpy())


def test_the_config_and_files_are_keras(tmp_path):
    real = real_keras()
    assert_config_as_keras(keras.layers.Dropout(0.3, noise_shape=(None, 1, 4), seed=1),
                           real.layers.Dropout(0.3, noise_shape=(None, 1, 4), seed=1))
    theirs = real.Sequential([real.Input((3, 4)), real.layers.Dropout(0.3, noise_shape=(None, 1, 4)),
                              real.layers.Dense(2)])
    theirs.save(tmp_path / "m.keras")
    ours = keras.models.load_model(tmp_path / "m.keras")
    assert ours.layers[0].noise_shape == (None, 1, 4)
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    ours.compile(optimizer="sgd", loss="mse")
    assert len(ours.fit(x, np.zeros((2, 3, 2)), epochs=1, verbose=0).history["loss"]) == 1


@pytest.mark.parametrize("make, error, words", [
    (lambda: keras.layers.Dropout(0.2, noise_shape=(0, 2)), ConfigError, "Dropout noise_shape must be None or"),
    (lambda: keras.layers.Dropout(0.2, noise_shape=(None, 3))(np.ones((2, 4)), training=True), ShapeError,
     "noise_shape=(None, 3), which does not fit its input of shape (2, 4)"),
])
def test_a_noise_shape_that_cannot_be_is_refused_in_one_sentence(make, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        make()
