"""The adaptive poolings (1-D, 2-D, 3-D; mean and largest): their windows, gradients against central differences and
PyTorch, outputs against Keras's layers and ops, a model that trains as Keras's and crosses files both ways."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from real_keras import assert_files_cross_both_ways, assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.nn.adaptive import adaptive_pool, adaptive_windows

RNG = np.random.default_rng(21)

CASES = [  # sizes in, output_size: fewer, as many, more than the values, windows sharing values or not
    ((7,), (3,)), ((4,), (4,)), ((3,), (5,)), ((6,), (1,)),
    ((5, 7), (2, 3)), ((4, 6), (4, 2)), ((3, 2), (4, 5)),
    ((4, 5, 3), (2, 3, 2)), ((3, 3, 4), (1, 2, 4)),
]
NAMES = {1: "1D", 2: "2D", 3: "3D"}


@given(st.integers(1, 40), st.integers(1, 40))
def test_windows_are_nonempty_in_order_and_cover_every_value(size, count):
    windows = adaptive_windows(size, count)
    assert len(windows) == count and windows[0][0] == 0 and windows[-1][1] == size
    assert all(0 <= start < stop <= size for start, stop in windows)
    assert all(a[0] <= b[0] and a[1] <= b[1] and b[0] <= a[1] for a, b in zip(windows, windows[1:]))


@pytest.mark.parametrize("sizes, output_size", CASES)
@pytest.mark.parametrize("largest", [True, False], ids=["max", "avg"])
def test_gradients_match_central_differences_in_float64(largest, sizes, output_size):
    x = RNG.normal(size=(2, *sizes, 3))  # distinct values: no ties, so the max is differentiable
    weights = fl.tensor(RNG.normal(size=(2, *output_size, 3)))
    assert fl.gradcheck(lambda a: adaptive_pool(a, output_size, largest) * weights, [x], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("sizes, output_size", CASES)
@pytest.mark.parametrize("largest", [True, False], ids=["max", "avg"])
def test_values_and_gradients_match_pytorch(largest, sizes, output_size):
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(2, *sizes, 3))
    first = (0, x.ndim - 1, *range(1, x.ndim - 1))  # channels-last → PyTorch's channels-first
    last = (0, *range(2, x.ndim), 1)
    op = getattr(torch.nn.functional, f"adaptive_{'max' if largest else 'avg'}_pool{len(sizes)}d")
    tx = torch.tensor(x.transpose(first), requires_grad=True)
    theirs = op(tx, output_size)
    grad = RNG.normal(size=theirs.shape)
    theirs.backward(torch.tensor(grad))
    ax = fl.tensor(x, requires_grad=True)
    ours = adaptive_pool(ax, output_size, largest)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy().transpose(last), rtol=1e-12, atol=1e-12)
    (ours * fl.tensor(grad.transpose(last))).sum().backward()
    np.testing.assert_allclose(fl.backend.to_numpy(ax.grad), tx.grad.numpy().transpose(last), rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("sizes, output_size", CASES)
@pytest.mark.parametrize("kind", ["Average", "Max"])
def test_layers_and_ops_give_keras_outputs(kind, sizes, output_size):
    real = real_keras()
    x = RNG.normal(size=(2, *sizes, 3)).astype(np.float32)
    name = f"Adaptive{kind}Pooling{NAMES[len(sizes)]}"
    expected = np.asarray(getattr(real.layers, name)(output_size)(x))
    layer = getattr(keras.layers, name)(output_size)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6, atol=1e-6)
    assert layer.compute_output_shape(x.shape[1:]) == expected.shape[1:]
    op = f"adaptive_{kind.lower()}_pool"
    np.testing.assert_allclose(getattr(keras.ops, op)(x, output_size).numpy(),
                               np.asarray(getattr(real.ops, op)(x, output_size)), rtol=1e-6, atol=1e-6)
    again = getattr(keras.layers, name).from_config(layer.get_config())
    assert again.output_size == tuple(output_size)
    np.testing.assert_array_equal(again(x).numpy(), layer(x).numpy())


def test_one_integer_stands_for_every_axis_and_any_size_pools_to_the_same_shape():
    layer = keras.layers.AdaptiveMaxPooling2D(2)
    assert layer.output_size == (2, 2)
    assert {layer(RNG.normal(size=(1, h, w, 4))).shape for h, w in ((2, 2), (7, 5), (16, 31))} == {(1, 2, 2, 4)}
    x = RNG.normal(size=(1, 6, 4, 2))
    np.testing.assert_allclose(keras.layers.AdaptiveAveragePooling2D(1)(x).numpy(),
                               keras.layers.GlobalAveragePooling2D(keepdims=True)(x).numpy(), rtol=1e-12)


def _head(library):
    """A small CNN whose head pools whatever its convolutions give to 2×2 before the Dense layer, ResNet's way."""
    layers = library.layers
    return library.Sequential([library.Input((9, 7, 2)), layers.Conv2D(4, 3, activation="relu"),
                               layers.AdaptiveAveragePooling2D(2), layers.Conv2D(3, 1, activation="relu"),
                               layers.AdaptiveMaxPooling2D((2, 1)), layers.Flatten(),
                               layers.Dense(1, activation="sigmoid")])


def test_a_model_with_adaptive_poolings_trains_as_keras_and_its_files_cross_both_ways(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(8, 9, 7, 2)).astype(np.float32)
    y = (RNG.random((8, 1)) < 0.5).astype(np.float32)
    theirs, ours = _head(real), _head(keras)
    assert_trains_as_keras(real, theirs, ours, x, y, "binary_crossentropy", learning_rate=0.1, batch_size=4,
                           rtol=2e-4, atol=2e-5)
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)


@pytest.mark.parametrize("make, error, words", [
    (lambda: keras.layers.AdaptiveAveragePooling2D((2, 0)), ConfigError,
     "AdaptiveAveragePooling2D got output_size=(2, 0); it takes a positive integer or 2 of them (height, width)"),
    (lambda: keras.layers.AdaptiveMaxPooling3D((2, 2)), ConfigError, "a positive integer or 3 of them"),
    (lambda: keras.layers.AdaptiveMaxPooling1D(2.5), ConfigError, "output_size=2.5"),
    (lambda: keras.layers.AdaptiveMaxPooling1D(2, data_format="channels_first"), ConfigError, "channels_last"),
    (lambda: keras.layers.AdaptiveAveragePooling2D(2)(np.zeros((1, 4, 4))), ShapeError,
     "takes samples of shape (height, width, channels), but got samples of shape (4, 4)"),
    (lambda: keras.ops.adaptive_max_pool(np.zeros((4, 4)), 2), ShapeError, "got an input of shape (4, 4)"),
    (lambda: keras.ops.adaptive_average_pool(np.zeros((1, 4, 4, 1)), (2, 2, 2)), ConfigError,
     "it takes a positive integer or 2 of them"),
])
def test_bad_input_is_one_sentence(make, error, words):
    with pytest.raises(error) as caught:
        make()
    assert words in str(caught.value) and str(caught.value).endswith(".")
