"""Merge layers: values against NumPy, gradients against central finite differences, shapes and mistakes."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.nn.merge import MERGES

RNG = np.random.default_rng(3)

# (layer, inputs' sample shapes, what NumPy computes from the batches)
CASES = [
    (lambda: fl.layers.Add(), [(4,), (4,), (4,)], lambda a, b, c: a + b + c),
    (lambda: fl.layers.Add(), [(4,), (1,)], lambda a, b: a + b),  # a size of 1 broadcasts, as in Keras
    (lambda: fl.layers.Subtract(), [(4,), (4,)], lambda a, b: a - b),
    (lambda: fl.layers.Multiply(), [(4,), (4,), (4,)], lambda a, b, c: a * b * c),
    (lambda: fl.layers.Average(), [(4,), (4,)], lambda a, b: (a + b) / 2),
    (lambda: fl.layers.Average(), [(2, 3), (2, 3), (2, 3)], lambda a, b, c: (a + b + c) / 3),
    (lambda: fl.layers.Maximum(), [(4,), (4,), (4,)], lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    (lambda: fl.layers.Minimum(), [(4,), (4,)], np.minimum),
    (lambda: fl.layers.Concatenate(), [(3,), (2,), (1,)], lambda *xs: np.concatenate(xs, axis=-1)),
    (lambda: fl.layers.Concatenate(axis=1), [(2, 3), (1, 3)], lambda *xs: np.concatenate(xs, axis=1)),
    (lambda: fl.layers.Concatenate(axis=-2), [(2, 3), (4, 3)], lambda *xs: np.concatenate(xs, axis=1)),
    (lambda: fl.layers.Concatenate(), [(5,)], lambda a: a),
]
IDS = ["add3", "add-broadcast", "subtract", "multiply3", "average", "average-3d", "maximum3", "minimum",
       "concatenate", "concatenate-axis1", "concatenate-axis-2", "concatenate-one"]


def _batches(shapes, rows=5):
    return [RNG.normal(size=(rows, *shape)) for shape in shapes]


@pytest.mark.parametrize("make,shapes,numpy_fn", CASES, ids=IDS)
def test_values_and_shapes_are_numpys(make, shapes, numpy_fn):
    layer = make()
    xs = [x.astype(np.float32) for x in _batches(shapes)]
    out = layer(xs)
    np.testing.assert_allclose(out.numpy(), numpy_fn(*xs), rtol=1e-6)
    assert layer.output_shape_for(list(shapes)) == out.shape[1:]
    assert out.dtype == np.float32 and layer.parameters() == []


@pytest.mark.parametrize("make,shapes,numpy_fn", CASES, ids=IDS)
def test_gradients_match_central_differences_in_float64(make, shapes, numpy_fn):
    layer = make()
    weights = RNG.normal(size=(5, *layer.output_shape_for(list(shapes))))  # every output value matters
    assert fl.gradcheck(lambda *xs: layer(list(xs)) * weights, _batches(shapes), atol=1e-7, rtol=1e-6)


def test_maximum_sends_the_gradient_to_the_larger_input_and_splits_a_tie():
    a = fl.Tensor(np.array([[1.0, 2.0, 3.0]]), requires_grad=True)
    b = fl.Tensor(np.array([[3.0, 2.0, 1.0]]), requires_grad=True)
    fl.layers.Maximum()([a, b]).sum().backward()
    assert a.grad.tolist() == [[0.0, 0.5, 1.0]] and b.grad.tolist() == [[1.0, 0.5, 0.0]]


@pytest.mark.parametrize("call,error,message", [
    (lambda: fl.layers.Add()([np.ones((2, 3)), np.ones((2, 4))]), ShapeError,
     r"Add layer 'add.*' cannot add inputs of shapes \(None, 3\) and \(None, 4\); give it inputs of one shape"),
    (lambda: fl.layers.Subtract()([np.ones((2, 3))] * 3), ConfigError,
     r"Subtract layer '.*' was called on a list of 3; it takes a list of exactly 2 inputs"),
    (lambda: fl.layers.Multiply()(np.ones((2, 3))), ConfigError,
     r"Multiply layer '.*' was called on one input alone; it takes a list of at least 1 inputs, e\.g\. "
     r"layers\.Multiply\(\)\(\[a, b\]\)"),
    (lambda: fl.layers.Maximum()([]), ConfigError, r"was called on a list of 0"),
    (lambda: fl.layers.Concatenate()([np.ones((2, 3)), np.ones((2, 2, 3))]), ShapeError,
     r"Concatenate layer '.*' \(axis=-1\) cannot join inputs of shapes \(None, 3\) and \(None, 2, 3\)"),
    (lambda: fl.layers.Concatenate(axis=1)([np.ones((2, 2, 3)), np.ones((2, 2, 4))]), ShapeError,
     r"all sizes but the one along the axis must agree"),
    (lambda: fl.layers.Concatenate(axis=3)([np.ones((2, 3)), np.ones((2, 3))]), ShapeError, r"\(axis=3\)"),
    (lambda: fl.layers.Concatenate(axis=0), ConfigError, r"Concatenate axis must be a nonzero integer .* the "
                                                         r"batch axis as 0"),
    (lambda: fl.layers.Concatenate(axis="last"), ConfigError, r"got 'last'"),
    (lambda: fl.layers.Add(units=3), ConfigError, r"Add got unexpected argument\(s\) units"),
])
def test_mistakes_are_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_merges_keep_float_inputs_as_they_are_and_cast_integers_as_flatten_does():
    assert fl.layers.Add()([np.ones((2, 2)), np.ones((2, 2))]).dtype == np.float64  # no weights to cast to
    assert fl.layers.Concatenate()([np.ones((2, 2), dtype=np.int64), np.ones((2, 1))]).dtype == np.float32


def test_every_merge_is_a_layer_a_file_may_name_and_its_settings_round_trip():
    assert set(MERGES) <= set(fl.layers.LAYERS)
    for name, cls in MERGES.items():
        layer = cls(name=f"my_{name.lower()}")
        again = cls.from_config(layer.get_config())
        assert again.name == layer.name and type(again) is cls
    assert fl.layers.Concatenate.from_config(fl.layers.Concatenate(axis=2).get_config()).axis == 2
