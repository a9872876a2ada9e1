"""Every op's gradient against central finite differences, in float64, over random shapes.

Hypothesis draws the shapes (broadcasting included) and a seed; NumPy draws the values from that seed,
so values are continuous (no ties for max/min) and can be kept away from kinks (relu, abs, clip).
Each check weights the op's output with fixed random numbers before summing, so the backward pass
is tested with an uneven incoming gradient, not only with ones.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fnlearn as fl
from fnlearn import functional as F
from fnlearn.errors import ConfigError

RTOL = 1e-6
FAST = settings(max_examples=25, deadline=None)

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
shapes0 = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4)
seeds = st.integers(0, 2**32 - 1)


def values(rng: np.random.Generator, shape, low=-2.0, high=2.0) -> np.ndarray:
    return rng.uniform(low, high, size=shape)


def away_from_zero(rng: np.random.Generator, shape, low=0.2, high=2.0) -> np.ndarray:
    """Values with |x| in [low, high] and random signs: clear of the kink at 0."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def check(fn, *arrays, seed: int = 0) -> None:
    """gradcheck of sum(weights * fn(*inputs)) with random weights of the output's shape."""
    probe = fn(*[fl.tensor(np.asarray(a, dtype=np.float64)) for a in arrays])
    weights = np.random.default_rng(seed).normal(size=probe.shape) / max(probe.size, 1)
    assert fl.gradcheck(lambda *ts: fn(*ts) * fl.tensor(weights), list(arrays), rtol=RTOL)


# ----------------------------------------------------------------------------- arithmetic


@FAST
@given(pairs, seeds)
def test_add_sub_mul_broadcast(shape_pair, seed):
    rng = np.random.default_rng(seed)
    (sa, sb), _ = shape_pair
    a, b = values(rng, sa), values(rng, sb)
    check(lambda x, y: x + y, a, b, seed=seed)
    check(lambda x, y: x - y, a, b, seed=seed)
    check(lambda x, y: x * y, a, b, seed=seed)


@FAST
@given(pairs, seeds)
def test_div_broadcast(shape_pair, seed):
    rng = np.random.default_rng(seed)
    (sa, sb), _ = shape_pair
    check(lambda x, y: x / y, values(rng, sa), away_from_zero(rng, sb, 0.5), seed=seed)


@FAST
@given(pairs, seeds)
def test_pow_tensor_exponent_positive_base(shape_pair, seed):
    rng = np.random.default_rng(seed)
    (sa, sb), _ = shape_pair
    check(lambda x, y: x ** y, values(rng, sa, 0.5, 2.0), values(rng, sb, -2.0, 2.0), seed=seed)


@FAST
@given(shapes0, seeds, st.sampled_from([2, 3, 0.5, -1.5, 2.5]))
def test_pow_scalar_exponent_and_scalar_base(shape, seed, exponent):
    rng = np.random.default_rng(seed)
    x = values(rng, shape, 0.5, 2.0)
    check(lambda t: t ** exponent, x, seed=seed)
    check(lambda t: exponent ** t if exponent > 0 else 2.0 ** t, x, seed=seed)


def test_pow_zero_exponent_has_zero_gradient_at_zero():
    # d(x⁰)/dx = 0 everywhere, also at x = 0 (as PyTorch), not 0 · 0⁻¹ = NaN
    x = fl.tensor([0.0, 1.0, -2.0], requires_grad=True, dtype="float64")
    e = fl.tensor([0.0, 0.0, 2.0], requires_grad=True, dtype="float64")
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(fl.backend.to_numpy(x.grad), [0.0, 0.0, 0.0])
    x.grad = None
    (x ** e).sum().backward()
    np.testing.assert_array_equal(fl.backend.to_numpy(x.grad), [0.0, 0.0, -4.0])


@FAST
@given(shapes0, seeds)
def test_neg_and_scalar_operands(shape, seed):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape, 0.5)
    check(lambda t: -t, x, seed=seed)
    check(lambda t: 3.0 - t * 2 + 1 / t - t / 4, x, seed=seed)


@FAST
@given(pairs, seeds)
def test_maximum_minimum(shape_pair, seed):
    rng = np.random.default_rng(seed)
    (sa, sb), _ = shape_pair
    a, b = values(rng, sa), values(rng, sb)
    check(fl.maximum, a, b, seed=seed)
    check(fl.minimum, a, b, seed=seed)


@FAST
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=1, max_side=4), seeds)
def test_where_broadcast(shape_triple, seed):
    rng = np.random.default_rng(seed)
    (sc, sa, sb), _ = shape_triple
    cond = rng.random(sc) > 0.5
    check(lambda x, y: fl.where(cond, x, y), values(rng, sa), values(rng, sb), seed=seed)


# ----------------------------------------------------------------------------- matmul and dense


@st.composite
def matmul_shapes(draw):
    """Shapes for a @ b: vectors, matrices, and batches whose leading axes broadcast."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    kind = draw(st.sampled_from(["vv", "vm", "mv", "mm", "batched", "vb", "bv"]))
    (ba, bb), _ = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2, max_side=3))
    return {"vv": ((k,), (k,)), "vm": ((k,), (k, m)), "mv": ((n, k), (k,)), "mm": ((n, k), (k, m)),
            "batched": (ba + (n, k), bb + (k, m)), "vb": ((k,), bb + (k, m)), "bv": (ba + (n, k), (k,))}[kind]


@FAST
@given(matmul_shapes(), seeds)
def test_matmul(shapes_ab, seed):
    rng = np.random.default_rng(seed)
    a, b = (values(rng, s) for s in shapes_ab)
    assert np.allclose((fl.tensor(a) @ fl.tensor(b)).numpy(), a @ b)
    check(lambda x, y: x @ y, a, b, seed=seed)


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.booleans(), st.booleans(), seeds)
def test_dense(batch, k, m, with_bias, three_d, seed):
    rng = np.random.default_rng(seed)
    x = values(rng, (batch, 2, k) if three_d else (batch, k))
    w, b = values(rng, (k, m)), values(rng, (m,))
    if with_bias:
        check(F.dense, x, w, b, seed=seed)
        assert np.allclose(F.dense(fl.tensor(x), fl.tensor(w), fl.tensor(b)).numpy(), x @ w + b)
    else:
        check(lambda xx, ww: F.dense(xx, ww), x, w, seed=seed)


# ----------------------------------------------------------------------------- indexing and shape


@FAST
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=2, max_side=4), seeds)
def test_indexing(shape, seed):
    rng = np.random.default_rng(seed)
    x = values(rng, shape)
    n = shape[0]
    repeats = rng.integers(0, n, size=n + 3)  # repeats guaranteed: more picks than rows
    mask = rng.random(shape) > 0.4
    check(lambda t: t[1], x, seed=seed)
    check(lambda t: t[-1], x, seed=seed)
    check(lambda t: t[1:], x, seed=seed)
    check(lambda t: t[::-2], x, seed=seed)
    check(lambda t: t[repeats], x, seed=seed)
    check(lambda t: t[list(repeats)], x, seed=seed)
    check(lambda t: t[mask], x, seed=seed)
    check(lambda t: t[..., None], x, seed=seed)
    if len(shape) >= 2:
        check(lambda t: t[:, 0], x, seed=seed)
        check(lambda t: t[repeats, 1], x, seed=seed)
        check(lambda t: t[repeats[:2], repeats[2:4] % shape[1]], x, seed=seed)


def test_indexing_scatter_adds_repeats():
    x = fl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


@FAST
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), st.integers(1, 5), seeds)
def test_embedding_picks_rows_and_adds_the_gradients_of_repeated_picks(index_shape, width, seed):
    rng = np.random.default_rng(seed)
    table = values(rng, (4, width))
    picks = rng.integers(0, 4, size=index_shape)  # more picks than rows, so some rows repeat
    np.testing.assert_array_equal(F.embedding(fl.tensor(table), picks).numpy(), table[picks])
    check(lambda t: F.embedding(t, picks), table, seed=seed)
    weights = rng.normal(size=table[picks].shape)
    expected = np.zeros_like(table)
    np.add.at(expected, picks, weights)
    space = fl.backend.Workspace()  # the same values with arrays kept from one call to the next
    for _ in range(2):
        t = fl.tensor(table, requires_grad=True)
        (F.embedding(t, picks, space) * fl.tensor(weights)).sum().backward()
        np.testing.assert_allclose(fl.backend.to_numpy(t.grad), expected)


def test_rows_picked_by_negative_indices_add_into_the_same_rows_as_np_add_at():
    full, index = np.zeros((5, 2, 3)), np.array([[4, -1, 0], [-5, 2, 2]])
    g = np.random.default_rng(0).normal(size=(2, 3, 2, 3))
    F._add_rows(full, index, g)
    expected = np.zeros((5, 2, 3))
    np.add.at(expected, index, g)
    np.testing.assert_allclose(full, expected)


@FAST
@given(shapes, seeds)
def test_reshape_flatten_expand_squeeze(shape, seed):
    rng = np.random.default_rng(seed)
    x = values(rng, shape)
    check(lambda t: t.reshape(-1), x, seed=seed)
    check(lambda t: t.reshape(tuple(reversed(shape))), x, seed=seed)
    check(lambda t: fl.flatten(t, len(shape) - 1), x, seed=seed)
    check(lambda t: t.flatten(), x, seed=seed)
    check(lambda t: fl.expand_dims(t, 0), x, seed=seed)
    check(lambda t: fl.squeeze(fl.expand_dims(t, -1), -1), x, seed=seed)
    check(lambda t: fl.squeeze(t), x, seed=seed)


@FAST
@given(shapes, seeds)
def test_transpose(shape, seed):
    rng = np.random.default_rng(seed)
    x = values(rng, shape)
    perm = tuple(int(i) for i in rng.permutation(len(shape)))
    check(lambda t: t.T, x, seed=seed)
    check(lambda t: fl.transpose(t, perm), x, seed=seed)
    check(lambda t: t.transpose(*perm), x, seed=seed)
    assert fl.transpose(fl.tensor(x), perm).shape == np.transpose(x, perm).shape


@FAST
@given(shapes, st.integers(1, 3), seeds, st.data())
def test_concatenate_stack(shape, count, seed, data):
    rng = np.random.default_rng(seed)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for _ in range(count):
        s = list(shape)
        s[axis] = data.draw(st.integers(1, 3))
        parts.append(values(rng, tuple(s)))
    check(lambda *ts: fl.concatenate(ts, axis=axis), *parts, seed=seed)
    same = [values(rng, shape) for _ in range(count)]
    stack_axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check(lambda *ts: fl.stack(ts, axis=stack_axis), *same, seed=seed)


# ----------------------------------------------------------------------------- reductions


@st.composite
def shape_and_axis(draw):
    shape = draw(shapes)
    nd = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-nd, nd - 1),
                          st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple)))
    return shape, axis


@FAST
@given(shape_and_axis(), st.booleans(), seeds)
def test_sum_mean_max_min(shape_axis, keepdims, seed):
    shape, axis = shape_axis
    x = values(np.random.default_rng(seed), shape)  # continuous values: no ties
    for name in ("sum", "mean", "max", "min"):
        ours = getattr(fl, name)(fl.tensor(x), axis=axis, keepdims=keepdims)
        theirs = getattr(np, name)(x, axis=axis, keepdims=keepdims)
        assert ours.shape == np.shape(theirs)
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-12)
        check(lambda t, name=name: getattr(t, name)(axis=axis, keepdims=keepdims), x, seed=seed)


def test_max_ties_share_the_gradient():
    x = fl.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]


# ----------------------------------------------------------------------------- elementwise


@FAST
@given(shapes0, seeds)
def test_exp_log_sqrt_abs(shape, seed):
    rng = np.random.default_rng(seed)
    check(fl.exp, values(rng, shape), seed=seed)
    check(fl.log, values(rng, shape, 0.3, 3.0), seed=seed)
    check(fl.sqrt, values(rng, shape, 0.3, 3.0), seed=seed)
    check(fl.abs, away_from_zero(rng, shape), seed=seed)
    check(lambda t: abs(t), away_from_zero(rng, shape), seed=seed)


@FAST
@given(shapes0, seeds)
def test_clip(shape, seed):
    rng = np.random.default_rng(seed)
    # values in three bands clear of the bounds -1 and 1
    x = rng.choice([-1.8, 0.0, 1.8], size=shape) + rng.uniform(-0.5, 0.5, size=shape)
    check(lambda t: fl.clip(t, -1.0, 1.0), x, seed=seed)
    check(lambda t: t.clip(None, 1.0), x, seed=seed)
    check(lambda t: t.clip(-1.0, None), x, seed=seed)


@FAST
@given(shapes0, seeds)
def test_cast(shape, seed):
    x = values(np.random.default_rng(seed), shape)
    check(lambda t: F.cast(t, "float64") * 2, x, seed=seed)
    t32 = fl.tensor(x.astype(np.float32), requires_grad=True)
    y = F.cast(t32, "float64")
    assert y.dtype == np.float64
    (y * 3).sum().backward()
    assert t32.grad.dtype == np.float32 and np.all(t32.grad == 3)


# ----------------------------------------------------------------------------- activations


@FAST
@given(shapes0, seeds)
def test_smooth_activations(shape, seed):
    rng = np.random.default_rng(seed)
    x = values(rng, shape, -4.0, 4.0)
    for fn in (fl.sigmoid, fl.tanh, fl.softplus, fl.linear, lambda t: t.sigmoid(), lambda t: t.tanh(),
               F.gelu, lambda t: F.gelu(t, approximate=True), F.silu):
        check(fn, x, seed=seed)


@FAST
@given(shapes0, seeds)
def test_piecewise_activations_away_from_kinks(shape, seed):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape, 0.2, 5.0)
    check(fl.relu, x, seed=seed)
    check(lambda t: t.relu(), x, seed=seed)
    check(fl.leaky_relu, x, seed=seed)
    check(lambda t: fl.leaky_relu(t, 0.2), x, seed=seed)
    # Keras's options: kinks at the threshold 0.1 and the cap 3, which x stays 0.1 away from
    kinked = np.where(np.abs(x - 3) < 0.1, x + 0.3, x)
    check(lambda t: F.relu(t, negative_slope=0.3, max_value=3.0, threshold=0.1), kinked, seed=seed)
    # hard sigmoid: kinks at ±3, so draw from (−5, −3.2) ∪ (−2.8, 2.8) ∪ (3.2, 5)
    h = rng.choice([-4.1, 0.0, 4.1], size=shape) + rng.uniform(-0.8, 0.8, size=shape)
    h = np.where(np.abs(h) < 1, h * 2.5, h)
    check(fl.hard_sigmoid, h, seed=seed)
    # ELU's slope jumps at 0 unless α = 1; ReLU6 has kinks at 0 and 6
    for fn in (F.elu, lambda t: F.elu(t, alpha=0.5), F.selu):
        check(fn, x, seed=seed)
    check(F.relu6, np.where(np.abs(x - 6) < 0.2, x + 0.5, x * 1.5), seed=seed)


@FAST
@given(shapes, seeds, st.data())
def test_softmax_log_softmax_logsumexp(shape, seed, data):
    rng = np.random.default_rng(seed)
    x = values(rng, shape, -3.0, 3.0)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    check(lambda t: fl.softmax(t, axis), x, seed=seed)
    check(lambda t: fl.log_softmax(t, axis), x, seed=seed)
    check(lambda t: fl.logsumexp(t, axis, keepdims), x, seed=seed)
    check(lambda t: fl.logsumexp(t, None), x, seed=seed)
    p = fl.softmax(fl.tensor(x), axis).numpy()
    np.testing.assert_allclose(p.sum(axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(fl.log_softmax(fl.tensor(x), axis).numpy(), np.log(p), rtol=1e-10, atol=1e-12)


def test_logsumexp_of_nothing_is_minus_infinity():
    x = fl.tensor([[-np.inf, -np.inf], [1.0, np.inf], [0.0, -np.inf]], dtype="float64")
    with np.errstate(divide="ignore"):  # log 0, NumPy's own warning
        np.testing.assert_array_equal(fl.logsumexp(x).numpy(), [-np.inf, np.inf, 0.0])


def test_activation_values():
    x = np.array([-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 4.0])
    hs = fl.hard_sigmoid(fl.tensor(x)).numpy()
    two_relus = (np.maximum(x + 3, 0) - np.maximum(x - 3, 0)) / 6
    np.testing.assert_allclose(hs, two_relus)
    np.testing.assert_allclose(fl.leaky_relu(fl.tensor(x)).numpy(), np.where(x > 0, x, 0.01 * x))
    assert F.LEAKY_RELU_SLOPE == 0.01
    np.testing.assert_allclose(fl.softplus(fl.tensor(x)).numpy(), np.log1p(np.exp(x)), rtol=1e-12)
    np.testing.assert_allclose(fl.sigmoid(fl.tensor(x)).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-12)


def test_erf_matches_math_erf():
    import math

    def erf(z):
        return fl.backend.to_numpy(F._erf_array(fl.backend.to_device(z)))

    def erfc(z):
        return fl.backend.to_numpy(F._erfc_array(fl.backend.to_device(z)))

    x = np.linspace(-10, 10, 200_001)
    np.testing.assert_allclose(erf(x), [math.erf(v) for v in x], rtol=1e-14, atol=0)
    # erfc keeps its digits in the tail, down to the smallest float64 (erfc(26.5) ≈ 1e-307)
    wide = np.linspace(-27, 27, 54_001)
    np.testing.assert_allclose(erfc(wide), [math.erfc(v) for v in wide], rtol=1e-14, atol=1e-300)
    special = np.array([0.0, -0.0, 1e-300, -1e-20, np.inf, -np.inf, 1e300, -1e300, np.nan])
    np.testing.assert_allclose(erf(special), [0.0, -0.0, 1.1283791670955126e-300, -1.1283791670955126e-20,
                                              1.0, -1.0, 1.0, -1.0, np.nan], rtol=1e-15, atol=0)
    np.testing.assert_array_equal(erfc(special), [1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 0.0, 2.0, np.nan])
    assert erf(np.array(0.5)).shape == ()
    x32 = x[::100].astype(np.float32)
    assert erf(x32).dtype == np.float32 and erfc(x32).dtype == np.float32
    np.testing.assert_allclose(erf(x32), [math.erf(v) for v in x32], rtol=3e-7, atol=1e-7)
    # float32's erfc is a shorter fit (a third of the time, for gelu in fit): within 6e-7 relative, tail included;
    # the grid holds the two worst points found over every float32 in [−10.1, 10.1]
    tail32 = np.concatenate([np.linspace(-12, 12, 24_001), [2.6606677, 0.002159476]]).astype(np.float32)
    exact = np.array([math.erfc(v) for v in tail32.astype(np.float64)])
    shown = exact > 1e-37  # float32's normal range
    np.testing.assert_allclose(erfc(tail32)[shown], exact[shown], rtol=6e-7, atol=0)
    assert erfc(np.array(1.0, np.float32)).shape == ()  # 0-d in, 0-d out (gelu of one float32 number)
    np.testing.assert_array_equal(erfc(np.array([np.inf, -np.inf, 3e38, -3e38, 0.0], np.float32)), [0, 2, 0, 2, 1])
    assert np.isnan(erfc(np.array([np.nan], np.float32)))[0]


def test_new_activation_values():
    import math

    x = np.linspace(-6, 8, 57)
    t = fl.tensor(x, dtype="float64")
    np.testing.assert_allclose(F.elu(t).numpy(), np.where(x > 0, x, np.expm1(x)), rtol=1e-15)
    np.testing.assert_allclose(F.elu(t, alpha=0.5).numpy(), np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-15)
    assert (F.SELU_ALPHA, F.SELU_SCALE) == (1.6732632423543772, 1.0507009873554805)  # PyTorch's, JAX's
    np.testing.assert_allclose(F.selu(t).numpy(), 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 *
                                                                                np.expm1(x)), rtol=1e-15)
    exact = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(F.gelu(t).numpy(), exact, rtol=1e-14)
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    np.testing.assert_allclose(F.gelu(t, approximate=True).numpy(), 0.5 * x * (1 + np.tanh(u)), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_array_equal(F.gelu(t, approximate="tanh").numpy(), F.gelu(t, approximate=True).numpy())
    np.testing.assert_allclose(F.silu(t).numpy(), x / (1 + np.exp(-x)), rtol=1e-14)
    assert F.swish is F.silu and F.ACTIVATIONS["swish"] is F.silu
    np.testing.assert_array_equal(F.relu6(t).numpy(), np.clip(x, 0, 6))
    # far in gelu's tail x·Φ(x) is tiny but not 0 (1 + erf(x/√2) would cancel to 0 there)
    np.testing.assert_allclose(F.gelu(fl.tensor([-30.0], dtype="float64")).numpy(),
                               [-30 * 0.5 * math.erfc(30 / math.sqrt(2))], rtol=1e-12)


NEW_ACTIVATIONS = {"elu": F.elu, "selu": F.selu, "gelu": F.gelu, "gelu_tanh": lambda t: F.gelu(t, approximate=True),
                   "silu": F.silu, "relu6": F.relu6}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(NEW_ACTIVATIONS))
def test_new_activations_at_extremes_are_finite_without_warnings_and_keep_the_dtype(name, dtype):
    x = fl.tensor([-1000.0, -80.0, -1.0, 0.0, 1.0, 80.0, 1000.0], dtype=dtype, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = NEW_ACTIVATIONS[name](x)
        (out * fl.tensor(np.arange(1.0, 8.0), dtype=dtype)).sum().backward()
    grad = fl.backend.to_numpy(x.grad)
    assert out.dtype == dtype and grad.dtype == dtype
    assert np.isfinite(out.numpy()).all() and np.isfinite(grad).all()
    big = {"relu6": 6.0, "selu": 1000.0 * F.SELU_SCALE}.get(name, 1000.0)
    low = {"elu": -1.0, "selu": -F.SELU_SCALE * F.SELU_ALPHA}.get(name, 0.0)
    np.testing.assert_allclose(out.numpy()[[0, -1]], [low, big], rtol=1e-6)
    np.testing.assert_allclose(grad[[0, -1]], [0.0, 7 * (big / 1000.0 if name != "relu6" else 0.0)], rtol=1e-6)


def test_new_activation_options_are_checked():
    x = fl.tensor([1.0])
    for bad in ("1", float("nan"), True, None):
        with pytest.raises(ConfigError, match="elu's alpha must be a finite number"):
            F.elu(x, alpha=bad)
    for bad in ("exact", 1, None):
        with pytest.raises(ConfigError, match="gelu's approximate must be True or False"):
            F.gelu(x, approximate=bad)


# ----------------------------------------------------------------------------- fused and named losses


@FAST
@given(st.integers(1, 4), st.integers(2, 4), st.sampled_from(["mean", "sum", "none"]), seeds)
def test_softmax_cross_entropy(batch, classes, reduction, seed):
    rng = np.random.default_rng(seed)
    z = values(rng, (batch, classes), -3.0, 3.0)
    labels = rng.integers(0, classes, size=batch)
    onehot = np.eye(classes)[labels]
    soft = rng.dirichlet(np.ones(classes), size=batch) * 1.7  # rows summing to 1.7: tests the p·Σy − y form
    check(lambda t: F.softmax_cross_entropy(t, labels, sparse=True, reduction=reduction), z, seed=seed)
    check(lambda t: F.softmax_cross_entropy(t, onehot, sparse=False, reduction=reduction), z, seed=seed)
    check(lambda t: F.softmax_cross_entropy(t, soft, sparse=False, reduction=reduction), z, seed=seed)


@FAST
@given(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4),
       st.sampled_from(["mean", "sum", "none"]), seeds)
def test_sigmoid_binary_cross_entropy(shape, reduction, seed):
    rng = np.random.default_rng(seed)
    z = values(rng, shape, -3.0, 3.0)
    y = rng.random(shape)
    check(lambda t: F.sigmoid_binary_cross_entropy(t, y, reduction=reduction), z, seed=seed)


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.sampled_from(["mean", "sum", "none"]), seeds)
def test_named_losses(batch, outputs, reduction, seed):
    rng = np.random.default_rng(seed)
    pred = values(rng, (batch, outputs))
    target = pred + away_from_zero(rng, (batch, outputs), 0.1, 1.0)  # |error| clear of mae's kink
    check(lambda t: fl.losses.mse(target, t, reduction=reduction), pred, seed=seed)
    check(lambda t: fl.losses.mae(target, t, reduction=reduction), pred, seed=seed)
    check(lambda t: fl.losses.half_sse(target, t, reduction=reduction), pred, seed=seed)
    probs = rng.uniform(0.05, 0.95, size=(batch, outputs))
    y01 = (rng.random((batch, outputs)) > 0.5).astype(float)
    check(lambda t: fl.losses.binary_crossentropy(y01, t, reduction=reduction), probs, seed=seed)
    check(lambda t: fl.losses.binary_crossentropy(y01, t, from_logits=True, reduction=reduction), pred, seed=seed)
    check(lambda t: fl.losses.binary_crossentropy(y01, fl.sigmoid(t), reduction=reduction), pred, seed=seed)
    if outputs >= 2:
        labels = rng.integers(0, outputs, size=batch)
        onehot = np.eye(outputs)[labels]
        for logits_fn, kw in ((lambda t: t, {"from_logits": True}), (fl.softmax, {})):
            check(lambda t, f=logits_fn, kw=kw: fl.losses.categorical_crossentropy(onehot, f(t), reduction=reduction,
                                                                                   **kw), pred, seed=seed)
            check(lambda t, f=logits_fn, kw=kw: fl.losses.sparse_categorical_crossentropy(
                labels, f(t), reduction=reduction, **kw), pred, seed=seed)
        # probabilities that did not come from a softmax: the clipped-log path
        check(lambda t: fl.losses.categorical_crossentropy(onehot, t, reduction=reduction), probs, seed=seed)
        check(lambda t: fl.losses.sparse_categorical_crossentropy(labels, t, reduction=reduction), probs, seed=seed)



def test_one_input_ops_take_arrays_lists_and_numbers_as_constants():
    x = np.array([[0.5, -1.5, 2.0]], dtype=np.float32)
    for fn in (fl.exp, fl.sqrt, fl.abs, fl.sigmoid, fl.hard_sigmoid, fl.relu, fl.leaky_relu, fl.tanh, fl.softplus,
               fl.elu, fl.selu, fl.gelu, fl.silu, fl.relu6, fl.softmax, fl.log_softmax, fl.logsumexp,
               lambda t: fl.clip(t, 0, 1), lambda t: fl.log(fl.abs(t))):
        with np.errstate(invalid="ignore"):  # sqrt of a negative: NaN, as NumPy gives
            expected = fn(fl.tensor(x)).numpy()
            from_array, from_list = fn(x), fn(x.tolist())
        assert from_array.dtype == expected.dtype == np.float32 and not from_array.requires_grad
        np.testing.assert_array_equal(from_array.numpy(), expected)
        np.testing.assert_allclose(from_list.numpy(), expected, rtol=1e-6)
    assert fl.relu(-2.0).item() == 0.0


def test_activations_of_integers_are_floats_as_in_keras():
    x = np.array([[-1, 0, 2]])
    np.testing.assert_allclose(fl.gelu(x).numpy(), [[-0.15865525, 0.0, 1.9544997]], rtol=1e-6)
    np.testing.assert_allclose(fl.selu(x).numpy(), [[-1.1113307, 0.0, 2.101402]], rtol=1e-6)
    assert fl.relu(x).dtype == np.float32 and fl.abs(x).dtype == np.int64  # abs is arithmetic: ints stay ints


def test_an_activation_of_the_real_keras_is_refused_with_fnlearns_to_use():
    from real_keras import real_keras

    real = real_keras()
    for make in (lambda a: fl.layers.Dense(2, activation=a), lambda a: fl.keras.layers.Activation(a),
                 lambda a: F.get_activation(a)):
        with pytest.raises(ConfigError, match=r"^the activation relu comes from Keras, not fnlearn; use fnlearn's own "
                                              r"keras.activations.relu \(.*`from fnlearn import keras`.*\)\.$"):
            make(real.activations.relu)
    with pytest.raises(ConfigError, match=r"^the activation ReLU comes from Keras, not fnlearn; use fnlearn's own \("):
        F.get_activation(real.layers.ReLU())  # a Keras layer as activation: no fnlearn function of that name
    # fnlearn's own, plain functions of one's own and NumPy's stay accepted
    assert F.get_activation(fl.keras.activations.relu) is F.relu and F.get_activation("ReLU") is F.relu
    mine = lambda t: t * 2  # noqa: E731
    assert F.get_activation(mine) is mine and F.get_activation(np.tanh) is np.tanh
