"""keras.InputSpec on layers of one's own: the same inputs accepted and refused as by Keras 3 (rank, its bounds, axis
sizes, whole shapes, squeezed last axes, several and named inputs), placeholders of the functional API checked
when the model is made, and one sentence naming the layer and the rule."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import real_keras

from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError

SPECS = [
    {"ndim": 3},
    {"min_ndim": 2, "axes": {-1: 4}},
    {"max_ndim": 2},
    {"shape": (None, 5, 4)},
    {"shape": (None, 4, 1), "allow_last_axis_squeeze": True},
]
SHAPES = [(2, 4), (2, 5, 4), (2, 3, 4), (2, 4, 1), (2, 5, 4, 1), (3,)]


def _layer(lib, settings):
    class Checked(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = lib.InputSpec(**settings)

        def call(self, x):
            return x * 2.0

    return Checked()


@pytest.mark.parametrize("settings", SPECS, ids=range(len(SPECS)))
def test_the_same_inputs_are_taken_and_refused_as_by_keras(settings):
    real = real_keras()
    theirs, ours = _layer(real, settings), _layer(keras, settings)
    assert keras.InputSpec(**settings).get_config() == {**real.InputSpec(**settings).get_config(),
                                                         "shape": keras.InputSpec(**settings).shape}
    for shape in SHAPES:
        x = np.ones(shape, dtype=np.float32)
        try:
            theirs(x)
            keras_takes = True
        except ValueError:
            keras_takes = False
        if keras_takes:
            np.testing.assert_array_equal(ours(x).numpy(), 2 * x)
        else:
            with pytest.raises(ShapeError, match=r"layer 'checked(_\d+)?' takes input 0 .* \(its input_spec\)") as e:
                ours(x)
            text = str(e.value)
            assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")


def test_placeholders_several_and_named_inputs():
    layer = _layer(keras, {"ndim": 3})
    with pytest.raises(ShapeError, match="of 3 axes"):
        layer(keras.Input((4,)))  # refused when the model is made, as Keras refuses it
    assert layer(keras.Input((5, 4))).shape == (None, 5, 4)

    class Pair(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = [keras.InputSpec(ndim=2, name="a"), keras.InputSpec(ndim=3, name="b")]

        def call(self, inputs):
            return inputs[0]

    pair = Pair()
    a, b = np.ones((2, 3)), np.ones((2, 3, 4))
    assert pair([a, b]).shape == (2, 3)
    with pytest.raises(ShapeError, match=r"takes inputs named \['a', 'b'\] .* give the missing \['b'\]"):
        pair({"a": a})
    with pytest.raises(ShapeError, match=r"takes 2 input\(s\) \(its input_spec\), got 1"):
        pair(a)
    with pytest.raises(ShapeError, match="input 1 of 3 axes"):
        pair([a, a])


@pytest.mark.parametrize("settings, message", [
    ({"ndim": -1}, "ndim must be a whole number"),
    ({"axes": {"last": 3}}, "axes must be a dict from axis"),
    ({"ndim": 2, "axes": {2: 3}}, "beyond the 2 axes"),
    ({"shape": 5}, "shape must be a tuple of sizes"),
])
def test_bad_specs_are_one_sentence(settings, message):
    with pytest.raises(ConfigError, match=message) as caught:
        keras.InputSpec(**settings)
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")
