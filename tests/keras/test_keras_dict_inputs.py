"""Layers of one's own called on a dict of named inputs, as Keras's are: built from a dict of shapes (batch axis
None), Keras's outputs from the same weights, gradients through every input and weight, and input specs by name."""

from __future__ import annotations

import numpy as np
from real_keras import real_keras
from value_checks import assert_gradients_of_inputs_and_weights

import fnlearn as fl
from fnlearn import keras

RNG = np.random.default_rng(47)
A, B = RNG.normal(size=(3, 4)).astype(np.float32), RNG.normal(size=(3, 5)).astype(np.float32)


def _layer(lib):
    class Mix(lib.layers.Layer):
        def build(self, shapes):
            self.shapes_seen = {key: tuple(shape) for key, shape in shapes.items()}
            self.w = self.add_weight(shape=(shapes["a"][-1], 2), initializer="glorot_uniform")
            self.v = self.add_weight(shape=(shapes["b"][-1], 2), initializer="glorot_uniform")

        def call(self, inputs):
            return lib.ops.tanh(lib.ops.matmul(inputs["a"], self.w)) * lib.ops.matmul(inputs["b"], self.v)

    return Mix()


def test_built_from_a_dict_of_shapes_and_computes_as_keras():
    real = real_keras()
    theirs, ours = _layer(real), _layer(keras)
    expected = np.asarray(theirs({"a": A, "b": B}))
    ours({"a": A, "b": B})
    # the same sizes per sample; fnlearn's build is given the batch axis open (None), as for a list of inputs,
    # where Keras's eager call gives the first batch's size
    assert ours.shapes_seen == {"a": (None, 4), "b": (None, 5)}
    assert {key: shape[1:] for key, shape in theirs.shapes_seen.items()} == {"a": (4,), "b": (5,)}
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours({"b": B, "a": A}).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_gradients_reach_every_named_input_and_weight():
    fl.set_default_dtype("float64")  # put back after each test (tests/conftest.py)
    layer = _layer(keras)
    a, b = (fl.tensor(v.astype(np.float64), requires_grad=True) for v in (A, B))
    layer({"a": a, "b": b})
    weights = RNG.normal(size=(3, 2))
    names = assert_gradients_of_inputs_and_weights(layer, lambda x, y: (layer({"a": x, "b": y}) * fl.tensor(
        weights)).sum(), [a, b])
    assert names == ["w", "v"]


def test_input_specs_by_name_check_a_dict():
    layer = _layer(keras)
    layer.input_spec = [keras.InputSpec(ndim=2, name="a"), keras.InputSpec(ndim=2, axes={-1: 5}, name="b")]
    assert layer({"a": A, "b": B}).shape == (3, 2)
    try:
        layer({"a": A, "b": A})
    except ValueError as error:
        assert "input 1 with 5 values along axis -1" in str(error)
    else:
        raise AssertionError("a dict whose 'b' has 4 values per sample was taken")


def test_a_dict_of_placeholders_is_refused_in_one_sentence_before_anything_is_built():
    layer = _layer(keras)
    a, b = keras.Input((4,), name="a"), keras.Input((5,), name="b")
    try:
        layer({"a": a, "b": b})
    except ValueError as error:
        text = str(error)
    else:
        raise AssertionError("a dict of placeholders was taken")
    assert "record lists of them" in text and "Mix()([a, b])" in text and text.endswith(".")
    assert not layer.built and layer.get_weights() == []
