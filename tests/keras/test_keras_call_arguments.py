"""Calls on placeholders as Keras 3 records them: a layer given more placeholders than one (attention's
``(query, value)``), placeholders and settings by keyword (``mask=m``, ``scale=2.0``), and arithmetic between
placeholders (``x + inputs``) or with numbers, each a layer of the model that runs, summarises, saves and
loads."""

from __future__ import annotations

import numpy as np
import pytest

from fnlearn import keras
from fnlearn.errors import ConfigError, ModelFileError
from fnlearn.keras import layers

RNG = np.random.default_rng(2)


class Blend(layers.Layer):
    """``a · w + b · scale`` (masked where ``mask`` is 0), a layer of one's own of two inputs and keywords."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, a_shape, b_shape=None, mask_shape=None):
        self.w = self.add_weight(shape=(a_shape[-1], self.units), initializer="glorot_uniform")

    def call(self, a, b, mask=None, scale=1.0, flip=False):
        out = keras.ops.matmul(a, self.w) + b * scale
        if mask is not None:
            out = out * mask
        return -out if flip else out

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def model_with_keywords():
    a, b, mask = keras.Input(shape=(None, 3), name="a"), keras.Input(shape=(None, 2), name="b"), \
        keras.Input(shape=(None, 2), name="mask")
    out = Blend(2, name="blend")(a, b, mask=mask, scale=2.5, flip=True)
    return keras.Model([a, b, mask], out), Blend


def test_more_placeholders_and_keywords_are_recorded_run_and_saved(tmp_path):
    model, cls = model_with_keywords()
    call = model._calls[0]
    assert [p.name for p in call.parents] == ["a", "b", "mask"]
    assert call.kwargs["scale"] == 2.5 and call.kwargs["flip"] is True
    assert model.output_shape == (None, None, 2)
    x = [RNG.normal(size=(4, 5, 3)), RNG.normal(size=(4, 5, 2)), RNG.integers(0, 2, (4, 5, 2)).astype(float)]
    expected = -((x[0] @ model.layers[3].get_weights()[0] + x[1] * 2.5) * x[2])
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert model.summary_links()[3] == "a, b, mask"
    model.save(tmp_path / "blend.keras")
    loaded = keras.models.load_model(tmp_path / "blend.keras", custom_objects={"Blend": cls})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded._calls[0].kwargs["scale"] == 2.5


def test_a_damaged_record_of_a_call_is_refused_in_one_sentence(tmp_path):
    from fnlearn import io

    model, cls = model_with_keywords()
    model.save(tmp_path / "good.keras")
    for damage in ({"kwargs": {"scale": {"setting": [1, 2]}}}, {"kwargs": {"mask": {"value": 99}}},
                   {"args": 3}, {"unknown": []}, {"kwargs": {"scale": {"value": [0, 5]}}}):
        file = io._read(tmp_path / "good.keras")
        file.doc["model"]["graph"]["calls"][0][3] = damage
        path = tmp_path / "bad.keras"
        path.write_bytes(io._encode(file.doc, file.tensors, path))
        with pytest.raises(ModelFileError, match="damaged"):
            keras.models.load_model(tmp_path / "bad.keras", custom_objects={"Blend": cls})


def test_arithmetic_on_placeholders_makes_layers():
    inputs = keras.Input(shape=(None, 4))
    x = layers.Dense(4)(inputs)
    res = x + inputs
    assert type(res.layer).__name__ == "Add" and res.shape == (None, None, 4)
    scaled = 1 - 2 * res / 4
    out = keras.Model(inputs, -scaled * x)
    a = RNG.normal(size=(2, 3, 4)).astype(np.float32)
    kernel, bias = out.layers[1].get_weights()
    xx = a @ kernel + bias
    np.testing.assert_allclose(out.predict(a, verbose=0), -(1 - 2 * (xx + a) / 4) * xx, rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match=r"placeholders add, subtract and multiply each other, and scale and "
                                          r"shift by numbers"):
        inputs @ inputs
    with pytest.raises(ConfigError, match="no values"):
        inputs + np.ones(4)
    with pytest.raises(ConfigError, match="no values"):
        inputs / 0


def test_a_call_with_values_a_file_cannot_hold_is_refused():
    a = keras.Input(shape=(3,))
    with pytest.raises(ConfigError, match=r"Blend was called on a keras.Input placeholder with argument 2 a "
                                          r"ndarray; fnlearn's functional models record a call's placeholders"):
        Blend(2)(a, np.ones((1, 3)))
    with pytest.raises(ConfigError, match=r"with scale= a function"):
        Blend(2)(a, a, scale=lambda t: t)
