"""Initializers of one's own, as Keras takes them: a subclass of ``keras.initializers.Initializer`` (or a function
of the shape); saved and loaded with ``custom_objects``, read from real Keras files."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

from fnlearn import keras
from fnlearn.errors import ConfigError, FnlearnError


def _steps_class(library):
    class Steps(library.initializers.Initializer):
        """0, step, 2·step, … over the weight, row by row."""

        def __init__(self, step=0.1):
            self.step = step

        def __call__(self, shape, dtype=None):
            return (np.arange(np.prod(shape)) * self.step).reshape(shape).astype("float32")

        def get_config(self):
            return {"step": self.step}

    return Steps


def test_a_subclass_gives_the_weights_and_saves_and_loads_with_custom_objects(tmp_path):
    steps = _steps_class(keras)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer=steps(0.5))])
    np.testing.assert_allclose(model.get_weights()[0], [[0, 0.5], [1, 1.5], [2, 2.5]])
    assert model.layers[0].get_config()["kernel_initializer"] == {
        "module": __name__, "class_name": "Steps", "config": {"step": 0.5}, "registered_name": "Steps"}
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Steps": steps})
    assert type(loaded.layers[0].kernel_initializer) is steps and loaded.layers[0].kernel_initializer.step == 0.5
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FnlearnError, match=r"initializer class 'Steps' is not known; pass your class in "
                                           r"custom_objects under the name 'Steps'"):
        keras.models.load_model(tmp_path / "m.keras")
    again = steps(0.25).clone()
    assert type(again) is steps and again.step == 0.25


def test_a_subclass_with_settings_and_no_get_config_says_so_when_saved(tmp_path):
    class Filled(keras.initializers.Initializer):
        def __init__(self, value):
            self.value = value

        def __call__(self, shape, dtype=None):
            return np.full(shape, self.value, dtype="float32")

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer=Filled(0.5))])
    assert (model.get_weights()[0] == 0.5).all()
    with pytest.raises(ConfigError, match="the initializer Filled takes settings but has no get_config"):
        model.save(tmp_path / "m.keras")
    assert not list(tmp_path.iterdir())
    with pytest.raises(NotImplementedError, match=r"Initializer has no __call__\(shape, dtype=None\)"):
        keras.initializers.Initializer()((2,))


def test_a_real_keras_file_with_an_initializer_of_ones_own_loads_with_custom_objects(tmp_path):
    real = real_keras()
    theirs_class = real.saving.register_keras_serializable(package="fnlearn_tests")(_steps_class(real))
    theirs = real.Sequential([real.Input((3,)), real.layers.Dense(2, kernel_initializer=theirs_class(0.5))])
    theirs.compile("sgd", "mse")
    theirs.save(tmp_path / "m.keras")
    steps = _steps_class(keras)
    ours = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Steps": steps})
    assert type(ours.layers[0].kernel_initializer) is steps and ours.layers[0].kernel_initializer.step == 0.5
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(FnlearnError, match=r"initializer class 'Steps' is not known"):
        keras.models.load_model(tmp_path / "m.keras")
