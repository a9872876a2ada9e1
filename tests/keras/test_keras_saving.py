"""keras.saving: registered classes load by name, as in Keras; keras.Layer at the top level."""

from __future__ import annotations

import numpy as np
import pytest

from fnlearn import keras
from fnlearn.errors import ConfigError, ModelFileError


def test_a_registered_layer_loads_without_custom_objects(tmp_path):
    class Scale(keras.Layer):  # keras.Layer is keras.layers.Layer, as in Keras 3
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2), Scale(3.0)])
    model.save(tmp_path / "scaled.keras")
    with pytest.raises(ModelFileError, match=r"custom_objects=\{'Scale': Scale\}"):
        keras.saving.load_model(tmp_path / "scaled.keras")
    assert keras.saving.register_keras_serializable(package="tests")(Scale) is Scale
    try:
        again = keras.saving.load_model(tmp_path / "scaled.keras")
        x = np.ones((2, 3), dtype=np.float32)
        np.testing.assert_array_equal(again.predict(x), model.predict(x))
        assert type(again.layers[1]) is Scale and again.layers[1].factor == 3.0
        assert keras.saving.get_registered_object("Scale") is Scale
    finally:
        keras.saving.get_custom_objects().pop("Scale")


def test_register_keras_serializable_mistakes_are_one_sentence():
    with pytest.raises(ConfigError, match=r"takes package and name as strings, got package=3"):
        keras.saving.register_keras_serializable(package=3)
    with pytest.raises(ConfigError, match=r"needs a class or a function with a name"):
        keras.saving.register_keras_serializable()(3)
    assert keras.Layer is keras.layers.Layer


def test_a_layer_config_holding_regularizer_initializer_and_numpy_objects_saves_and_loads(tmp_path):
    """The saving guide's layer of one's own returns its regularizer object (and a NumPy number) from
    get_config: they are written as their configs, which keras.regularizers.get and keras.initializers.get
    take back, as Keras serializes them."""
    @keras.saving.register_keras_serializable(package="saving_test")
    class Scaled(keras.layers.Layer):
        def __init__(self, units, kernel_regularizer=None, init="glorot_uniform", scale=1.5, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, np.float32(scale)  # a NumPy number in its config
            self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
            self.init = keras.initializers.get(init)

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1], self.units), initializer=self.init,
                                     regularizer=self.kernel_regularizer)

        def call(self, x):
            return keras.ops.matmul(x, self.w) * float(self.scale)

        def get_config(self):
            return {**super().get_config(), "units": self.units, "kernel_regularizer": self.kernel_regularizer,
                    "init": self.init, "scale": self.scale}

    x = keras.Input(shape=(3,))
    model = keras.Model(x, Scaled(2, keras.regularizers.L1(0.01), keras.initializers.RandomNormal(stddev=0.1))(x))
    model.save(tmp_path / "scaled.keras")
    loaded = keras.models.load_model(tmp_path / "scaled.keras")
    data = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))
    layer = loaded.layers[1]
    assert (layer.kernel_regularizer.l1, layer.scale) == (0.01, 1.5) and len(loaded.losses) == 1
    assert layer.init.get_config() == model.layers[1].init.get_config()


def test_save_weights_and_load_weights_functions_of_keras_3(tmp_path):
    from fnlearn import keras as fk

    model = fk.Sequential([fk.Input((3,)), fk.layers.Dense(2)])
    other = fk.Sequential([fk.Input((3,)), fk.layers.Dense(2)])
    path = tmp_path / "m.weights.h5"
    fk.saving.save_weights(model, path)
    fk.saving.load_weights(other, path)
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="save_weights got overwrite=False and .* exists"):
        fk.saving.save_weights(other, path, overwrite=False)
    assert path.read_bytes() == before
    with pytest.raises(ConfigError, match="skip_mismatch=True"):
        fk.saving.load_weights(other, path, skip_mismatch=True)
