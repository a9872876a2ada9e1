"""The rest of ``keras.ops.numpy`` (NaN-skipping reductions, bitwise and integer functions, windows,
``rearrange``…): values and dtypes against real Keras 3, gradients against central differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import ops

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 4)).astype(np.float32)
Y = RNG.normal(size=(3, 4)).astype(np.float32)
XN = np.where(RNG.random((3, 4)) < 0.3, np.nan, X).astype(np.float32)
XN[1] = np.nan
I1 = np.array([[12, 7, 5], [3, 8, 6]], np.int32)
I2 = np.array([[4, 3, 2], [1, 2, 9]], np.int32)
V = np.array([0.5, -1.0, 2.0, 3.0, 1.5], np.float32)

CASES = [
    ("nan_sums", lambda o: [o.nansum(XN, axis=0), o.nanprod(XN, axis=1), o.nanmean(XN, axis=0),
                            o.nancumsum(XN, axis=1), o.nancumprod(XN, axis=0)]),
    ("nan_spread", lambda o: [o.nanvar(XN, axis=0), o.nanstd(XN, axis=0, keepdims=True)]),
    ("nan_extremes", lambda o: [o.nanmax(XN, axis=1), o.nanmin(XN, axis=1), o.nanargmax(XN, axis=0),
                                o.nanargmin(XN, axis=0)]),
    ("nan_quantiles", lambda o: [o.nanmedian(XN, axis=0), o.nanquantile(XN, [0.2, 0.9], axis=0),
                                 o.nanpercentile(XN, 30.0, axis=0, method="nearest")]),
    ("bits", lambda o: [o.bitwise_and(I1, I2), o.bitwise_or(I1, I2), o.bitwise_xor(I1, I2), o.bitwise_invert(I1),
                        o.bitwise_not(I1), o.left_shift(I1, 2), o.right_shift(I1, 1), o.bitwise_left_shift(I1, I2),
                        o.bitwise_right_shift(I1, 1)]),
    ("integers", lambda o: [o.gcd(I1, I2), o.lcm(I1, I2), o.isin(I1, I2), o.isin(I1, I2, invert=True),
                            o.unravel_index(np.array([3, 7], np.int32), (2, 4))]),
    ("tests", lambda o: [o.isneginf(np.array([-np.inf, np.inf, 1.0], np.float32)),
                         o.isposinf(np.array([-np.inf, np.inf, 1.0], np.float32)), o.isreal(X)]),
    ("angles", lambda o: [o.deg2rad(X), o.rad2deg(X), o.fabs(X), o.real(X), o.imag(X), o.conj(X), o.conjugate(X),
                          o.angle(X)]),
    ("pick", lambda o: [o.fmax(XN, Y), o.fmin(XN, Y), o.heaviside(np.round(X), Y)]),
    ("exps", lambda o: [o.ldexp(X, I1[0, 0] - 10), o.logaddexp2(X * 50, Y * 50)]),
    ("special", lambda o: [o.erfinv(np.tanh(X)), o.i0(X * 3)]),
    ("nextafter", lambda o: o.nextafter(X, Y)),
    ("ranges", lambda o: [o.logspace(0.0, 2.0, 5), o.logspace(1.0, 3.0, 4, base=2, endpoint=False),
                          o.geomspace(1.0, 1000.0, 4)]),
    ("windows", lambda o: [o.bartlett(7), o.blackman(7), o.hamming(7), o.hanning(7), o.kaiser(7, 3.5)]),
    ("matrices", lambda o: [o.vander(V), o.vander(V, 3, increasing=True), o.diagflat(X[:2, :2], 1),
                            o.corrcoef(X), o.cdist(X, Y)]),
    ("integrals", lambda o: [o.trapezoid(X), o.trapezoid(X, dx=0.5, axis=0), o.trapezoid(X, x=V[:4] ** 2)]),
    ("correlate", lambda o: [o.correlate(V, V[:3]), o.correlate(V, V[:3], mode="same"),
                             o.correlate(V, V[:2], mode="same"), o.correlate(V, V[:3], mode="full"),
                             o.correlate(V[:3], V, mode="full")]),
    ("cross", lambda o: [o.cross(X[:, :3], Y[:, :3]), o.cross(X[:2, :3].T, Y[:2, :3].T, axis=0),
                         o.cross(X[:, :2], Y[:, :2])]),
    ("splits", lambda o: o.dsplit(np.arange(24.0).reshape(2, 3, 4), 2)),
    ("histogram", lambda o: o.histogram(V, bins=3)),
    ("saturate_cast", lambda o: [o.saturate_cast(X * 300, "uint8"), o.saturate_cast(X * 1e5, "int16")]),
    ("segments", lambda o: [o.take(o.segment_max(X, np.array([0, 0, 2]), num_segments=3), [0, 2], axis=0),
                            o.segment_min(X, np.array([1, 0, 1]), num_segments=2),
                            o.segment_prod(X, np.array([0, 1, 0]), num_segments=2)]),
    ("extract_sequences", lambda o: o.extract_sequences(X, 2, 1)),
    ("vectorize", lambda o: [o.vectorize(lambda a, b: o.sum(a * b), signature="(n),(n)->()")(X, Y),
                             o.vectorize(lambda a: a * 2)(V)]),
    ("view", lambda o: o.view(I1, "float32")),
    ("rearrange", lambda o: [o.rearrange(np.arange(24.0).reshape(2, 6, 2), "b (h w) c -> b h w c", h=2),
                             o.rearrange(np.arange(24.0).reshape(2, 3, 4), "b h w -> w (b h)")]),
]


def _leaves(x):
    return [v for item in x for v in _leaves(item)] if isinstance(x, (tuple, list)) else [x]


# Keras's window functions and a rearrange with a split axis need their sizes as Python numbers: they run eagerly
# (the windows all of one size, so that they share the ops JAX compiles for it), the others compiled (one compile
# for a case rather than one for each op)
EAGER = {"windows", "rearrange"}


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_values_match_keras(name, fn):
    keras = real_keras()
    theirs = fn(keras.ops) if name in EAGER else compiled(keras, lambda: fn(keras.ops))
    theirs, ours = _leaves(theirs), _leaves(fn(ops))
    assert len(theirs) == len(ours)
    for t, o in zip(theirs, ours):
        t, o = np.asarray(t), np.asarray(o)
        assert o.shape == t.shape
        assert o.dtype.kind == t.dtype.kind
        np.testing.assert_allclose(o, t, rtol=3e-5, atol=1e-5)


def test_argpartition_partitions():
    idx = ops.argpartition(X, 2, axis=1).numpy()
    picked = np.take_along_axis(X, idx, axis=1)
    assert idx.dtype == np.int32 and np.all(picked[:, :2] <= picked[:, 2:3]) and np.all(picked[:, 3:] >= picked[:, 2:3])


P = RNG.normal(size=(3, 4))
# NaN in places, but never a whole column: an all-NaN reduction is NaN, and so would be every difference of the sum
PN = np.array([[np.nan, 0.0, 0.0, np.nan], [0.0, np.nan, 0.0, 0.0], [0.0, 0.0, np.nan, 0.0]])

GRADIENTS = [
    ("nan_reductions", lambda p: ops.nansum(p + PN, axis=0) + ops.nanmean(p + PN, axis=0) + ops.nanvar(p + PN, axis=0)
     + ops.nanstd(p + PN, axis=0) + ops.nanprod(p + PN, axis=0) + ops.nanmax(p + PN, axis=0)
     + ops.nanmin(p + PN, axis=0) + ops.nanmedian(p + PN, axis=0) + ops.nanquantile(p + PN, 0.3, axis=0)),
    ("nan_running", lambda p: ops.nancumsum(p + PN, axis=1) * p + ops.nancumprod(p + PN, axis=0)),
    ("elementwise", lambda p: ops.deg2rad(p) + ops.rad2deg(p) + ops.fabs(p) + ops.real(p) + ops.fmax(p, P[::-1])
     + ops.fmin(P[::-1], p) + ops.heaviside(np.round(P), p) + ops.ldexp(p, np.array([1, -1, 2, 0]))
     + ops.logaddexp2(p, P * 2) + ops.erfinv(ops.tanh(p)) + ops.i0(p)),
    ("matrices", lambda p: ops.sum(ops.vander(p[0]) ** 2) + ops.sum(ops.diagflat(p[:2]) * 2) + ops.corrcoef(p)[0, 1]
     + ops.sum(ops.cdist(p, P[:2] * 3)) + ops.sum(ops.trapezoid(p, x=np.array([0.0, 1.0, 3.0, 4.0])))),
    ("products", lambda p: ops.sum(ops.correlate(p[0], p[1, :2], mode="full") ** 2)
     + ops.sum(ops.cross(p[:, :3], P[:, 1:]) ** 2) + ops.sum(ops.cross(p[:, :2], P[:, :2]))),
    ("segments_frames", lambda p: ops.sum(ops.segment_max(p, np.array([0, 1, 0])) * P[:2])
     + ops.sum(ops.segment_prod(p, np.array([0, 0, 1]))) + ops.sum(ops.extract_sequences(p, 3, 1) ** 2)),
    ("rearrange_vectorize", lambda p: ops.rearrange(p, "a (b c) -> (c a) b", b=2) * np.arange(12.0).reshape(6, 2)
     + ops.sum(ops.vectorize(lambda a: ops.sum(a ** 3), signature="(n)->()")(p))),
]


@pytest.mark.parametrize("fn", [c[1] for c in GRADIENTS], ids=[c[0] for c in GRADIENTS])
def test_gradients_match_central_differences(fn):
    assert fl.gradcheck(fn, [P], atol=1e-6, rtol=1e-5)


def test_errors_say_what_to_do():
    with pytest.raises(ConfigError, match="integer exponents"):
        ops.ldexp(X, X)
    with pytest.raises(ShapeError, match="names 2 axes"):
        ops.rearrange(np.zeros((2, 3, 4)), "a b -> b a")
    with pytest.raises(ConfigError, match="same axis names"):
        ops.rearrange(np.zeros((2, 3)), "a b -> a c")
    with pytest.raises(ConfigError, match="mode"):
        ops.correlate(V, V, mode="bad")
    with pytest.raises(ShapeError, match="1-D"):
        ops.histogram(X)
