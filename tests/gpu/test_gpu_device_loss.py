"""The fast step's device-loss mode (what CUDA-graph capture replays) computes what the float mode does."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend as B
from fnlearn import fastpath

CASES = [
    ("softmax", 3, "sparse_categorical_crossentropy", "sparse"),
    ("softmax", 3, "categorical_crossentropy", "onehot"),
    ("sigmoid", 1, "binary_crossentropy", "binary"),
    ("linear", 2, "mse", "real"),
    ("linear", 2, "mae", "real"),
    ("linear", 2, "half_sse", "real"),
]
OPTIMIZERS = [
    lambda: fl.optim.SGD(learning_rate=0.1),
    lambda: fl.optim.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    lambda: fl.optim.Adagrad(learning_rate=0.05),
    lambda: fl.optim.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
    lambda: fl.optim.Adam(learning_rate=0.01, clipvalue=0.5),
    lambda: fl.optim.AdamW(learning_rate=fl.optim.schedules.ExponentialDecay(0.01, 2, 0.5)),
]


def _targets(kind: str, n: int, units: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "sparse":
        return rng.integers(0, units, n)
    if kind == "onehot":
        return np.eye(units, dtype="float64")[rng.integers(0, units, n)]
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype("float64")
    return rng.normal(size=(n, units))


def _plan(out_act: str, units: int, loss: str, make_opt, device: bool):
    fl.set_seed(3)
    model = fl.Sequential([fl.layers.Dense(5, activation="relu", input_dim=4),
                           fl.layers.Dense(4, activation="tanh"),
                           fl.layers.Dense(units, activation=out_act)])
    opt = make_opt()
    opt.bind(model)
    plan = fastpath.compile_step(model, loss, opt)
    assert plan is not None
    plan.device_loss = device
    return model, opt, plan


@pytest.mark.parametrize("out_act, units, loss, kind", CASES)
@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_device_loss_mode_matches_float_mode(float64, out_act, units, loss, kind, make_opt):
    rng = np.random.default_rng(0)
    batches = [(rng.normal(size=(6, 4)), _targets(kind, 6, units, rng)) for _ in range(5)]
    results = []
    for device in (False, True):
        model, opt, plan = _plan(out_act, units, loss, make_opt, device)
        losses = []
        for xb, yb in batches:
            value, pred = plan(xb, yb)
            if device:
                assert isinstance(value, B.xp().ndarray) and value.shape == ()  # no read back to the host
            else:
                assert isinstance(value, float)
            losses.append(float(value))
        results.append((losses, [p.numpy().copy() for p in model.parameters()], opt.iterations,
                        [B.to_numpy(p.grad).copy() for p in model.parameters()]))
    (l0, w0, it0, g0), (l1, w1, it1, g1) = results
    np.testing.assert_allclose(l1, l0, rtol=1e-12, atol=1e-12)
    assert it0 == it1 == len(batches)
    for a, b in zip(w0 + g0, w1 + g1):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def test_lr_buffer_is_read_in_device_mode(float64):
    rng = np.random.default_rng(1)
    xb, yb = rng.normal(size=(6, 4)), rng.integers(0, 3, 6)
    model_a, _, plan_a = _plan("softmax", 3, "sparse_categorical_crossentropy",
                               lambda: fl.optim.SGD(learning_rate=0.3), False)
    model_b, _, plan_b = _plan("softmax", 3, "sparse_categorical_crossentropy",
                               lambda: fl.optim.SGD(learning_rate=0.01), True)
    plan_b.lr_buffer = B.xp().full((), 0.3)  # the buffer wins over the optimizer's own rate
    plan_a(xb, yb)
    plan_b(xb, yb)
    for a, b in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12)


def test_grad_buffer_receives_the_gradients(float64):
    model, _, plan = _plan("linear", 2, "mse", lambda: fl.optim.SGD(learning_rate=0.1), True)
    plan.grad_buffer = B.xp().zeros(plan._size)
    plan(np.ones((3, 4)), np.zeros((3, 2)))
    assert np.any(plan.grad_buffer != 0)
    for p in model.parameters():
        assert np.shares_memory(p.grad, plan.grad_buffer)


@pytest.mark.parametrize("make_opt", OPTIMIZERS[:4])
def test_non_finite_loss_changes_nothing_in_device_mode(float64, make_opt):
    model, opt, plan = _plan("linear", 2, "mse", make_opt, True)
    rng = np.random.default_rng(2)
    plan(rng.normal(size=(6, 4)), rng.normal(size=(6, 2)))  # one good step fills the optimizer state
    before = [p.numpy().copy() for p in model.parameters()]
    state_before = {k: B.to_numpy(v).copy() for k, v in plan.flat_state.items()}
    with np.errstate(all="ignore"):  # fit runs under the same errstate
        value, _ = plan(rng.normal(size=(6, 4)), np.full((6, 2), np.inf))
    assert not np.isfinite(value)
    for p, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.numpy(), b)
    for k, v in plan.flat_state.items():
        np.testing.assert_array_equal(B.to_numpy(v), state_before[k])


def test_gate_keeps_the_last_finite_weights(float64):
    model, _, plan = _plan("linear", 2, "mse", lambda: fl.optim.SGD(learning_rate=0.1, momentum=0.5), True)
    plan.gate = B.xp().ones((), dtype=bool)
    rng = np.random.default_rng(4)
    plan(rng.normal(size=(6, 4)), rng.normal(size=(6, 2)))
    kept = [p.numpy().copy() for p in model.parameters()]
    with np.errstate(all="ignore"):
        plan(rng.normal(size=(6, 4)), np.full((6, 2), np.nan))
    assert not plan.gate
    value, _ = plan(rng.normal(size=(6, 4)), rng.normal(size=(6, 2)))  # finite, but after a non-finite one
    assert np.isfinite(value)
    for p, k in zip(model.parameters(), kept):
        np.testing.assert_array_equal(p.numpy(), k)
    plan.gate[...] = True  # the caller reopens the gate: training moves again
    plan(rng.normal(size=(6, 4)), rng.normal(size=(6, 2)))
    assert any(not np.array_equal(p.numpy(), k) for p, k in zip(model.parameters(), kept))


def test_huge_score_spread_in_device_mode_stays_finite(float64):
    model, _, plan = _plan("softmax", 3, "sparse_categorical_crossentropy",
                           lambda: fl.optim.SGD(learning_rate=0.1), True)
    xb = np.array([[1e4, 0, 0, 0], [-1e4, 0, 0, 0], [0, 0, 0, 0.0]])
    value, pred = plan(xb, np.array([0, 1, 2]))
    assert np.all(np.isfinite(pred)) and np.allclose(pred.sum(axis=1), 1)
