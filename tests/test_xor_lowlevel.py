"""XOR with the low-level loop: forward, loss, backward, optimizer step, zero_grad — no fit()."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def _accuracy(prob) -> float:
    return float(np.mean((prob.numpy() > 0.5) == (Y > 0.5)))


def test_hand_written_2_4_1_network_learns_xor():
    """The lecture's formula by hand: ŷ = σ(b + σ(x W + B) c), trained with plain Parameters."""
    fl.set_seed(0)
    rng = fl.backend.rng()
    W = fl.Parameter(rng.normal(0, 1.0, size=(2, 4)))
    B = fl.Parameter(np.zeros(4))
    c = fl.Parameter(rng.normal(0, 1.0, size=(4, 1)))
    b = fl.Parameter(np.zeros(1))
    opt = fl.optim.Adam([W, B, c, b], learning_rate=0.05)
    losses = []
    for _ in range(600):
        y_hat = fl.sigmoid(b + fl.sigmoid(X @ W + B) @ c)
        loss = fl.losses.binary_crossentropy(Y, y_hat)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert _accuracy(fl.sigmoid(b + fl.sigmoid(X @ W + B) @ c)) == 1.0
    assert losses[-1] < 0.1 * losses[0]


def test_dense_2_4_1_network_with_sgd_momentum_learns_xor():
    fl.set_seed(1)
    hidden = fl.layers.Dense(4, activation="tanh", input_dim=2)
    out = fl.layers.Dense(1, activation="sigmoid", input_dim=4)
    opt = fl.optim.SGD(hidden.parameters() + out.parameters(), learning_rate=0.5, momentum=0.9)
    for _ in range(400):
        loss = fl.losses.mse(Y, out(hidden(X)))
        loss.backward()
        opt.step()
        opt.zero_grad()
    assert _accuracy(out(hidden(X))) == 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_linear_model_cannot_exceed_three_quarters(seed):
    fl.set_seed(seed)
    linear = fl.layers.Dense(1, activation="sigmoid", input_dim=2)
    opt = fl.optim.Adam(linear.parameters(), learning_rate=0.1)
    for _ in range(300):
        opt.zero_grad()
        fl.losses.binary_crossentropy(Y, linear(X)).backward()
        opt.step()
    assert _accuracy(linear(X)) <= 0.75
