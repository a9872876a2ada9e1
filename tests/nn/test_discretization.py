"""Discretization: Keras's bins, learned boundaries (its approximate quantiles, batch by batch), output modes, in a
model, saved and loaded, and through real Keras files both ways."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

from fnlearn import keras
from fnlearn.errors import ConfigError, NotReadyError

RNG = np.random.default_rng(11)
DATA = RNG.gamma(2.0, 3.0, size=(500, 3)).astype(np.float32)


@pytest.mark.parametrize("num_bins, epsilon", [(4, 0.01), (7, 0.05), (3, 0.001)])
def test_adapt_learns_keras_boundaries_from_one_array_and_from_batches(num_bins, epsilon):
    real = real_keras()
    for data in (DATA, [DATA[:170], DATA[170:333], DATA[333:]]):
        ours = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        theirs = real.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        ours.adapt(iter(data) if isinstance(data, list) else data)  # batches one by one, as a dataset gives them
        for batch in data if isinstance(data, list) else [data]:  # Keras's adapt without TensorFlow installed
            theirs.update_state(batch)
        theirs.finalize_state()
        np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
        np.testing.assert_array_equal(ours(DATA).numpy(), np.asarray(theirs(DATA)))


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(6, 1), (6, 4)])
def test_output_modes_give_keras_values_and_shapes(mode, shape):
    real = real_keras()
    x = RNG.normal(size=shape).astype(np.float32)
    x[0, 0] = 0.5  # a value on a boundary goes to the bin that starts there
    boundaries = [-0.5, 0.0, 0.5]
    ours = keras.layers.Discretization(bin_boundaries=boundaries, output_mode=mode)(x).numpy()
    theirs = np.asarray(real.layers.Discretization(bin_boundaries=boundaries, output_mode=mode)(x))
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype.kind == ("i" if mode == "int" else "f")


def test_a_model_with_it_trains_saves_and_loads(tmp_path):
    layer = keras.layers.Discretization(num_bins=5, output_mode="one_hot")
    layer.adapt(DATA[:, :1])
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1)(layer(inputs)))
    assert model.output_shape == (None, 1) and layer.compute_output_shape((None, 1)) == (None, 5)
    model.compile("adam", "mse")
    model.fit(DATA[:, :1], DATA[:, 1:2], epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[1].bin_boundaries == layer.bin_boundaries and loaded.layers[1].num_bins == 5
    np.testing.assert_array_equal(loaded.predict(DATA[:8, :1], verbose=0), model.predict(DATA[:8, :1], verbose=0))


def test_real_keras_files_both_ways(tmp_path):
    real = real_keras()
    theirs_layer = real.layers.Discretization(num_bins=4, output_mode="multi_hot")
    theirs_layer.update_state(DATA)  # Keras's adapt of an array, without TensorFlow installed
    theirs_layer.finalize_state()
    theirs = real.Sequential([real.Input((3,)), theirs_layer, real.layers.Dense(2)])
    theirs.save(tmp_path / "theirs.keras")
    ours = keras.models.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(ours.predict(DATA[:16], verbose=0), theirs.predict(DATA[:16], verbose=0), rtol=1e-6)
    keras.saving.export_keras(ours, tmp_path / "back.keras")
    again = real.models.load_model(tmp_path / "back.keras")
    np.testing.assert_allclose(again.predict(DATA[:16], verbose=0), theirs.predict(DATA[:16], verbose=0), rtol=1e-6)


@pytest.mark.parametrize("make, words", [
    (lambda: keras.layers.Discretization(), "either bin_boundaries or num_bins, got neither"),
    (lambda: keras.layers.Discretization(bin_boundaries=[0.0], num_bins=2), "got both"),
    (lambda: keras.layers.Discretization(bin_boundaries=[1.0, 0.0]), "in increasing order, got [1.0, 0.0]"),
    (lambda: keras.layers.Discretization(bin_boundaries=[0.0, float("nan")]), "finite numbers"),
    (lambda: keras.layers.Discretization(num_bins=0), "num_bins must be a whole number ≥ 1, got 0"),
    (lambda: keras.layers.Discretization(num_bins=3, epsilon=1.5), "epsilon must be a number between 0 and 1"),
    (lambda: keras.layers.Discretization(num_bins=3, output_mode="tf_idf"), "output_mode must be 'int'"),
    (lambda: keras.layers.Discretization(bin_boundaries=[0.0]).adapt(DATA), "has nothing to adapt"),
])
def test_bad_settings_are_one_sentence(make, words):
    with pytest.raises(ConfigError) as caught:
        make()
    assert words in str(caught.value) and str(caught.value).endswith(".")


def test_called_before_adapt_says_so():
    with pytest.raises(NotReadyError, match=r"has no bin boundaries yet; call adapt\(data\) first"):
        keras.layers.Discretization(num_bins=3)(DATA)
