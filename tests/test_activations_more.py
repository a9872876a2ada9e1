"""The activations Keras 3 added: values against Keras and PyTorch, float64 gradients against finite differences,
stability at large inputs, use by name in Dense, saving by name, serialize / deserialize and errors."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import activations as A

# away from the kinks (±1, ±0.5, ±3, 0), where one-sided slopes differ
X = np.array([[-40.0, -3.7, -2.2, -1.3, -0.8, -0.35, -0.1, 0.15, 0.4, 0.7, 1.6, 3.4, 40.0, 2.1]])
NAMES = ["celu", "exponential", "glu", "hard_shrink", "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid", "mish",
         "soft_shrink", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink"]
TORCH = {"mish": "mish", "hard_silu": "hardswish", "log_sigmoid": "logsigmoid", "softsign": "softsign",
         "celu": "celu", "glu": "glu", "hard_tanh": "hardtanh", "soft_shrink": "softshrink",
         "hard_shrink": "hardshrink", "tanh_shrink": "tanhshrink"}


@functools.cache
def _keras_values():
    """Keras's activations of X, all computed in one compiled program (one compile rather than one for each op)."""
    keras = real_keras()
    return dict(zip(NAMES, compiled(keras, lambda: [getattr(keras.activations, name)(X) for name in NAMES])))


@pytest.mark.parametrize("name", NAMES)
def test_against_keras_and_gradient(name):
    fn = getattr(A, name)
    np.testing.assert_allclose(fn(fl.tensor(X)).numpy(), _keras_values()[name], rtol=2e-6, atol=1e-6)
    inner = X[:, 1:-2] if name != "glu" else X[:, 1:-1]
    assert fl.gradcheck(lambda x: fn(x) * 1.0, [inner], atol=1e-7, rtol=1e-5)
    assert fl.functional.get_activation(name) is fn


@pytest.mark.parametrize("name", sorted(TORCH))
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    out = getattr(torch.nn.functional, TORCH[name])(x)
    out.sum().backward()
    t = fl.tensor(X, requires_grad=True)
    ours = getattr(A, name)(t)
    ours.sum().backward()
    np.testing.assert_allclose(ours.numpy(), out.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fl.backend.to_numpy(t.grad), x.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_threshold_and_stability():
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(A.threshold(fl.tensor(X), 0.5, -2.0).numpy(),
                                  torch.nn.functional.threshold(torch.tensor(X), 0.5, -2.0).numpy())
    big = fl.tensor([-1000.0, 1000.0], requires_grad=True)
    for fn in (A.log_sigmoid, A.mish, A.squareplus, A.celu, A.softsign):
        out = fn(big)
        out.sum().backward()
        assert np.isfinite(out.numpy()).all() and np.isfinite(big.grad).all(), fn.__name__
        big.grad = None
    assert A.log_sigmoid(fl.tensor([-1000.0])).item() == -1000.0


def test_dense_by_name_saves(tmp_path):
    model = fl.keras.Sequential([fl.keras.Input((3,)), fl.keras.layers.Dense(4, activation="mish"),
                                 fl.keras.layers.Dense(2, activation=A.sparsemax)])
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    model.save(tmp_path / "m.keras")
    again = fl.keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert A.serialize(A.hard_swish) == "hard_silu" and A.deserialize("squareplus") is A.squareplus


@pytest.mark.parametrize("make,error", [
    (lambda: A.celu(fl.tensor([1.0]), alpha=0.0), ConfigError),
    (lambda: A.squareplus(fl.tensor([1.0]), b=-1.0), ConfigError),
    (lambda: A.soft_shrink(fl.tensor([1.0]), threshold=-0.5), ConfigError),
    (lambda: A.glu(fl.tensor([[1.0, 2.0, 3.0]])), ShapeError),
    (lambda: A.sparsemax(fl.tensor([[1.0]]), axis=3), ShapeError),
    (lambda: A.get("mishh"), ConfigError),
    (lambda: A.serialize(lambda x: x), ConfigError),
])
def test_bad_input(make, error):
    with pytest.raises(error) as info:
        make()
    assert info.value.args[0].count(". ") <= 1
