"""Keras 3's control flow, indexed updates and Fourier transforms in ``keras.ops``: values against real Keras 3,
gradients flowing through the eager loops and branches checked with central differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import ops

RNG = np.random.default_rng(3)
X = RNG.normal(size=(4, 3)).astype(np.float32)
Y = RNG.normal(size=(4, 3)).astype(np.float32)
IDX = np.array([[0, 1], [2, 2], [0, 1]], np.int32)

CASES = [
    ("cond", lambda o: o.cond(X[0, 0] > 0, lambda: X * 2, lambda: X - 1)),
    ("switch", lambda o: o.switch(5, [lambda a: a + 1, lambda a: a * 3], X)),
    ("while_loop", lambda o: o.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2), (0, X))[1]),
    ("while_loop_max", lambda o: o.while_loop(lambda v: o.sum(v) < 1e9, lambda v: v * 2, X + 1,
                                              maximum_iterations=4)),
    ("fori_loop", lambda o: o.fori_loop(1, 4, lambda i, v: v * i + 1, X)),
    ("scan", lambda o: o.scan(lambda c, x: (c + x, c * x), o.zeros(3), X)),
    ("scan_reverse_length", lambda o: o.scan(lambda c, x: (c * 2, c), X[0], None, length=3, reverse=True)),
    ("scan_tuple", lambda o: o.scan(lambda c, x: (c + x[0] * x[1], {"a": x[0]}), o.zeros(3), (X, Y))),
    ("associative_scan", lambda o: o.associative_scan(lambda a, b: a + b, X, axis=1)),
    ("associative_scan_reverse", lambda o: o.associative_scan(lambda a, b: a * b, X, reverse=True)),
    ("map", lambda o: o.map(lambda v: o.sum(v ** 2), X)),
    ("vectorized_map", lambda o: o.vectorized_map(lambda v: v[0] * v, X)),
    ("get_item", lambda o: o.get_item(X, (slice(1, 3), 0))),
    ("select", lambda o: o.select([X > 0.5, X < -0.5], [X, Y], default=7.0)),
    ("slice_update", lambda o: o.slice_update(X, (1, 1), Y[:2, :2])),
    ("scatter", lambda o: o.scatter(IDX, np.array([1.0, 2.0, 3.0], np.float32), (3, 3))),
    ("scatter_update", lambda o: o.scatter_update(X, IDX, np.array([5.0, 6.0, 7.0], np.float32))),
    ("scatter_update_add", lambda o: o.scatter_update(X, IDX, np.array([5.0, 6.0, 7.0], np.float32),
                                                      reduction="add")),
    ("fft", lambda o: o.fft((X, Y))),
    ("fft2", lambda o: o.fft2((X, Y))),
    ("ifft2", lambda o: o.ifft2((X, Y))),
    ("rfft", lambda o: o.rfft(X)),
    ("rfft_length", lambda o: o.rfft(X, fft_length=5)),
    ("irfft", lambda o: o.irfft((X, Y))),
    ("irfft_length", lambda o: o.irfft((X, Y), fft_length=5)),
]


def _leaves(x):
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in _leaves(x[k])]
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in _leaves(item)]
    return [x]


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("fn", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_values_match_keras(fn):
    keras = real_keras()
    theirs, ours = _leaves(compiled(keras, lambda: fn(keras.ops))), _leaves(fn(ops))
    assert len(theirs) == len(ours)
    for t, o in zip(theirs, ours):
        np.testing.assert_allclose(np.asarray(o), np.asarray(t), rtol=1e-5, atol=1e-5)


P = RNG.normal(size=(4, 3))
T = RNG.normal(size=(4, 3))

GRADIENTS = [
    ("cond_switch", lambda p: ops.cond(ops.sum(p) > 100, lambda: p, lambda: p ** 2)
     + ops.switch(1, [lambda a: a, lambda a: ops.sin(a)], p)),
    ("loops", lambda p: ops.while_loop(lambda v: ops.max(ops.abs(v)) < 50, lambda v: v * 1.5 + T, p,
                                       maximum_iterations=3) + ops.fori_loop(0, 3, lambda i, v: v * p, p)),
    ("scan", lambda p: ops.scan(lambda c, x: (c * x + 1, ops.sin(c)), p[0], p[1:])[1]),
    ("associative_scan", lambda p: ops.associative_scan(lambda a, b: a * b + b, p, axis=0) * T),
    ("map", lambda p: ops.map(lambda v: ops.exp(v) * v[0], p)),
    ("select_updates", lambda p: ops.select([T > 0], [p ** 2], default=p) + ops.slice_update(p, (1, 0), p[:2, :2] ** 2)
     + ops.scatter_update(p, IDX, p[0] ** 2) + ops.scatter_update(p, IDX, p[1], reduction="add")
     + ops.sum(ops.scatter(IDX, p[2], (4, 3)) * T)),
    ("fft", lambda p: ops.fft((p, T))[0] * T + ops.fft((T, p))[1] ** 2 + ops.fft2((p, p))[1] * T
     + ops.ifft2((p, T))[0] ** 2),
    ("rfft_irfft", lambda p: ops.rfft(p, fft_length=5)[1] ** 2 + ops.sum(ops.rfft(p)[0] * T[:, :2])
     + ops.sum(ops.irfft((p, T)) ** 2) + ops.sum(ops.irfft((T, p), fft_length=5) * np.arange(5.0))),
]


@pytest.mark.parametrize("fn", [c[1] for c in GRADIENTS], ids=[c[0] for c in GRADIENTS])
def test_gradients_match_central_differences(fn):
    assert fl.gradcheck(fn, [P], atol=1e-7, rtol=1e-6)


def test_custom_gradient_uses_the_given_gradient():
    @ops.custom_gradient
    def clipped_identity(x):
        def grad(upstream):
            return ops.clip(upstream, -0.5, 0.5)
        return x * 1.0, grad

    x = fl.tensor([1.0, 2.0], requires_grad=True, dtype="float64")
    ops.sum(clipped_identity(x) * np.array([3.0, -0.1])).backward()
    assert x.grad.tolist() == [0.5, -0.1]
    keras = real_keras()
    theirs = keras.ops.custom_gradient(lambda v: (v * 2.0, lambda g: g))(np.array([1.0]))
    assert np.asarray(theirs).tolist() == clipped_identity(np.array([2.0])).numpy().tolist()


def test_errors_say_what_to_do():
    with pytest.raises(ShapeError, match="single boolean"):
        ops.cond(np.array([True, False]), lambda: 1, lambda: 2)
    with pytest.raises(ConfigError, match="xs or length"):
        ops.scan(lambda c, x: (c, x), 0.0)
    with pytest.raises(ConfigError, match="reduction"):
        ops.scatter_update(X, IDX, np.ones(3), reduction="mean")
    with pytest.raises(ShapeError, match=r"\(real, imag\) pair"):
        ops.fft(X)
    with pytest.raises(ConfigError, match="return \\(output, grad_fn\\)"):
        ops.custom_gradient(lambda v: v)(X)
