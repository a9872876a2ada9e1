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
