"""The hand-written NumPy loop is the floor every ratio leans on, so its gradients must be right."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.numpy_floor import NumpyMLP  # noqa: E402


def loss_of(net: NumpyMLP, x: np.ndarray, y: np.ndarray) -> float:
    z = net.forward(x)[-1]
    if net.loss == "mae":
        return float(np.mean(np.abs(z - y)))
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(y)), y]))


def numeric_gradient(net, x, y, param, eps=1e-6):
    grad = np.zeros_like(param)
    for index in np.ndindex(param.shape):
        keep = param[index]
        param[index] = keep + eps
        up = loss_of(net, x, y)
        param[index] = keep - eps
        down = loss_of(net, x, y)
        param[index] = keep
        grad[index] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("loss", ["sparse_ce", "mae"])
def test_one_sgd_step_moves_every_parameter_by_minus_the_gradient(loss):
    rng = np.random.default_rng(3)
    sizes = (5, 7, 6, 3) if loss == "sparse_ce" else (5, 7, 6, 2)
    net = NumpyMLP(sizes, loss=loss, optimizer="sgd", learning_rate=1.0, seed=1)
    # float64 so that finite differences are exact enough to compare against
    net.weights = [w.astype(np.float64) for w in net.weights]
    net.biases = [rng.normal(0, 0.1, b.shape) for b in net.biases]
    x = rng.normal(size=(9, 5))
    y = rng.integers(0, 3, 9) if loss == "sparse_ce" else rng.normal(size=(9, 2))
    params = net.weights + net.biases
    expected = [numeric_gradient(net, x, y, p) for p in params]
    before = [p.copy() for p in params]
    net.train_step(x, y)
    for old, new, grad in zip(before, params, expected):
        np.testing.assert_allclose(old - new, grad, rtol=1e-5, atol=1e-8)


def test_adam_follows_the_bias_corrected_rule():
    net = NumpyMLP((3, 2), optimizer="adam", learning_rate=0.01, seed=0)
    net.weights = [w.astype(np.float64) for w in net.weights]
    net.biases = [b.astype(np.float64) for b in net.biases]
    net.m = [np.zeros_like(p) for p in net.weights + net.biases]
    net.v = [np.zeros_like(p) for p in net.weights + net.biases]
    net.scratch = [np.empty_like(p) for p in net.weights + net.biases]
    w = net.weights[0].copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    rng = np.random.default_rng(0)
    for t in (1, 2, 3):
        g = rng.normal(size=w.shape)
        net._adam([g, np.zeros(2)])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        np.testing.assert_allclose(net.weights[0], w, rtol=1e-12, atol=1e-15)


def test_an_epoch_keeps_float32_and_learns_a_separable_problem():
    rng = np.random.default_rng(0)
    x = rng.random((400, 8), dtype=np.float32)
    y = (x[:, 0] > 0.5).astype(np.int64)
    net = NumpyMLP((8, 16, 2), optimizer="adam", learning_rate=0.01, seed=0)
    for _ in range(30):
        net.train_epoch(x, y, batch_size=32)
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)
    assert np.mean(net.predict(x).argmax(axis=1) == y) > 0.9


def test_unknown_loss_or_optimizer_is_refused():
    with pytest.raises(ValueError, match="loss"):
        NumpyMLP((2, 2), loss="hinge")
    with pytest.raises(ValueError, match="optimizer"):
        NumpyMLP((2, 2), optimizer="lbfgs")
