"""More of ``keras.ops``: the elementwise math, reductions, array and neural-network functions keras.io's custom
layers use, each compared with real Keras 3 (values and dtypes), its gradient with central differences and,
where PyTorch has the op, with PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import ops

RNG = np.random.default_rng(11)
X = RNG.normal(size=(3, 4)).astype(np.float32)
Y = RNG.normal(size=(3, 4)).astype(np.float32)
U = RNG.uniform(-0.9, 0.9, size=(3, 4)).astype(np.float32)  # inside (−1, 1): arcsin, arctanh
Z = np.array([-2.0, -1.0, -0.5, -0.0, 0.0, 0.3, 0.5, 1.0, 2.5], np.float32)
IMG = RNG.normal(size=(2, 4, 4, 8)).astype(np.float32)
Q = RNG.normal(size=(2, 3, 4, 2)).astype(np.float32)
KV = RNG.normal(size=(2, 5, 2, 2)).astype(np.float32)
KEEP = RNG.random((2, 1, 3, 5)) > 0.3
INTS = np.array([[3, 1, 1, 0], [2, 2, 5, 0]], np.int32)

# (id, the call given the ops module: fnlearn's or real Keras's); values and dtypes compared with real Keras
CASES = [
    ("erf_erfc", lambda o: o.erf(X) + o.erfc(X * 3)),
    ("expm1_exp2_cbrt", lambda o: o.expm1(X * 1e-4) * 1e4 + o.exp2(X) + o.cbrt(X)),
    ("trig", lambda o: o.tan(U) + o.arcsin(U) + o.arccos(U) + o.arctan(X)),
    ("hyperbolic", lambda o: o.sinh(X) + o.cosh(X) + o.arcsinh(X) + o.arccosh(1.5 + X * X) + o.arctanh(U)),
    ("arctan2_hypot", lambda o: o.arctan2(X, Y) + o.hypot(X, Y)),
    ("fmod", lambda o: o.fmod(X * 5, 1.5 + Y * Y)),
    ("fmod_ints", lambda o: o.fmod(np.array([7, -7], np.int32), np.array([3, 3], np.int32))),
    ("logaddexp", lambda o: o.logaddexp(X * 100, Y * 100)),
    ("sinc", lambda o: o.sinc(Z)),
    ("trunc", lambda o: o.trunc(X * 3)),
    ("nan_to_num", lambda o: o.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0], np.float32), nan=1.0)),
    ("nan_to_num_limits", lambda o: o.nan_to_num(np.array([np.inf, -np.inf], np.float32), posinf=3.0, neginf=-4.0)),
    ("divide_no_nan", lambda o: o.divide_no_nan(X, np.where(Y > 0, Y, 0))),
    ("true_divide_ints", lambda o: o.true_divide(np.array([1, 3], np.int32), np.array([2, 4], np.int32))),
    ("signbit", lambda o: o.signbit(Z)),
    ("isclose", lambda o: o.isclose(X, X + 1e-6 * (Y > 0))),
    ("allclose", lambda o: o.allclose(X, X + 1e-3)),
    ("softsign_celu", lambda o: o.softsign(X) + o.celu(X, alpha=0.7)),
    ("glu", lambda o: o.glu(X)),
    ("glu_axis0", lambda o: o.glu(np.concatenate([X, Y]), axis=0)),
    ("hard", lambda o: o.hard_tanh(X * 3) + o.hard_swish(X * 4) + o.hard_silu(X)),
    ("shrinks", lambda o: o.soft_shrink(Z) + o.hard_shrink(Z, 0.4) + o.tanh_shrink(Z)),
    ("squareplus_sparse_plus", lambda o: o.squareplus(Z, b=2) + o.sparse_plus(Z)),
    ("threshold", lambda o: o.threshold(Z, 0.3, -9.0)),
    ("prod", lambda o: o.prod(X, axis=1)),
    ("prod_keepdims_zero", lambda o: o.prod(np.where(X > 0, X, 0), axis=(0, 1), keepdims=True)),
    ("prod_ints", lambda o: o.prod(INTS + 1, axis=0)),
    ("median", lambda o: o.median(X, axis=0)),
    ("median_all", lambda o: o.median(X)),
    ("quantile", lambda o: o.quantile(X, [0.1, 0.5, 0.9], axis=1, keepdims=True)),
    ("quantile_methods", lambda o: o.quantile(X, 0.3, method="lower") + o.quantile(X, 0.3, method="higher")
     + o.quantile(X, 0.45, method="midpoint") + o.quantile(X, 0.7, method="nearest")),
    ("percentile", lambda o: o.percentile(X, 25.0, axis=-1)),
    ("average", lambda o: o.average(X, axis=1, weights=np.array([1.0, 2.0, 0.5, 3.0], np.float32))),
    ("average_full", lambda o: o.average(X, weights=np.abs(Y))),
    ("ptp", lambda o: o.ptp(X, axis=0)),
    ("trace_diagonal", lambda o: o.trace(X, offset=1) + o.sum(o.diagonal(X, offset=-1))),
    ("diagonal_3d", lambda o: o.diagonal(np.stack([X, Y]), axis1=1, axis2=2)),
    ("diag", lambda o: o.diag(X[0], k=1)),
    ("diag_of_matrix", lambda o: o.diag(X, k=-1)),
    ("diff", lambda o: o.diff(X, n=2, axis=1)),
    ("cumprod", lambda o: o.cumprod(X, axis=0)),
    ("cumprod_flat", lambda o: o.cumprod(X)),
    ("rot90", lambda o: o.rot90(X) + 0),
    ("rot90_k3", lambda o: o.rot90(np.stack([X, Y]), k=3, axes=(1, 2))),
    ("fliplr_flipud", lambda o: o.fliplr(X) + o.flipud(X)),
    ("kron", lambda o: o.kron(X[:2, :2], Y[:2, :3])),
    ("inner_vdot", lambda o: o.inner(X, Y) + o.vdot(X, Y)),
    ("append", lambda o: o.append(X, Y)),
    ("append_axis", lambda o: o.append(X, Y, axis=1)),
    ("array_split", lambda o: o.array_split(np.arange(7.0, dtype=np.float32), 3)[0]),
    ("array_split_last", lambda o: o.array_split(np.arange(7.0, dtype=np.float32), 3)[2]),
    ("hsplit_vsplit", lambda o: o.hsplit(X, 2)[1] + o.vsplit(np.concatenate([X, Y]), 2)[0][:, :2]),
    ("dstack", lambda o: o.dstack([X, Y])),
    ("copy", lambda o: o.copy(X)),
    ("array", lambda o: o.array([[1, 2], [3, 4]])),
    ("empty", lambda o: o.empty((2, 3)) * 0),
    ("searchsorted", lambda o: o.searchsorted(np.array([0.0, 1.0, 2.0], np.float32), X, side="right")),
    ("digitize", lambda o: o.digitize(X, np.array([-1.0, 0.0, 1.0], np.float32))),
    ("bincount", lambda o: o.bincount(INTS[0])),
    ("bincount_weights", lambda o: o.bincount(INTS[1], weights=X[0] + X[1], minlength=8)),
    ("unique", lambda o: o.unique(INTS)),
    ("normalize", lambda o: o.normalize(X)),
    ("normalize_l1", lambda o: o.normalize(X, axis=0, order=1)),
    ("psnr", lambda o: o.psnr(X, Y, max_val=3.0)),
    ("layer_normalization", lambda o: o.layer_normalization(X, gamma=Y[0], beta=Y[1])),
    ("layer_normalization_axes", lambda o: o.layer_normalization(IMG, axis=(1, 2), epsilon=1e-3)),
    ("rms_normalization", lambda o: o.rms_normalization(X, scale=Y[2])),
    ("batch_normalization", lambda o: o.batch_normalization(IMG, IMG.mean((0, 1, 2)), IMG.var((0, 1, 2)), axis=-1,
                                                            offset=IMG[0, 0, 0], scale=IMG[0, 1, 1])),
    ("batch_normalization_axis1", lambda o: o.batch_normalization(X.T, X[:, 0], np.abs(X[:, 1]), axis=1)),
    ("attention", lambda o: o.dot_product_attention(Q, KV, KV)),
    ("attention_mask_bias", lambda o: o.dot_product_attention(Q, KV, KV, bias=RNG.normal(size=(1, 1, 3, 5)).astype(
        np.float32) * 0 + 0.5, mask=KEEP, scale=0.3)),
    ("attention_causal", lambda o: o.dot_product_attention(Q, Q, Q, is_causal=True)),
    ("attention_grouped", lambda o: o.dot_product_attention(Q, KV[:, :, :1], KV[:, :, :1], mask=KEEP)),
    ("in_top_k", lambda o: o.in_top_k(np.array([0, 3, 1]), X, 2)),
    ("multi_hot", lambda o: o.multi_hot(INTS, num_classes=6)),
    ("multi_hot_1d", lambda o: o.multi_hot(np.array([0, 4]), num_classes=5)),
    ("depth_to_space", lambda o: o.depth_to_space(IMG, 2)),
    ("space_to_depth", lambda o: o.space_to_depth(IMG, 2)),
]


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("call", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_values_and_dtypes_are_real_kerass(call):
    real = real_keras()
    ours, theirs = call(ops), np.asarray(call(real.ops))
    got = ops.convert_to_numpy(ours)
    assert got.shape == theirs.shape
    assert str(got.dtype) == str(theirs.dtype)
    if theirs.dtype.kind == "f":
        np.testing.assert_allclose(got, theirs, rtol=2e-5, atol=2e-6)
    else:
        np.testing.assert_array_equal(got, theirs)


def test_unique_with_its_extras_and_size_matches_real_keras():
    real = real_keras()
    for kwargs in ({"return_counts": True, "return_inverse": True}, {"size": 6, "fill_value": -1}):
        ours, theirs = ops.unique(INTS.ravel(), **kwargs), real.ops.unique(INTS.ravel(), **kwargs)
        ours, theirs = (ours if isinstance(ours, tuple) else (ours,)), (theirs if isinstance(theirs, tuple)
                                                                       else (theirs,))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.numpy(), np.asarray(b).reshape(a.shape))


P = RNG.normal(size=(4, 6))
T = RNG.normal(size=(4, 6))
PU = RNG.uniform(-0.8, 0.8, size=(4, 6))

GRADIENT_CASES = [
    ("erf_erfc_expm1", lambda p: ops.erf(p) * ops.erfc(p) + ops.expm1(p)),
    ("trig", lambda p: ops.tan(p * 0.5) + ops.sinh(p) * ops.cosh(p) + ops.arctan(p) + ops.cbrt(p * p + 1)
     + ops.exp2(p)),
    ("inverse", lambda p: ops.arcsin(p * 0.4) + ops.arccos(p * 0.4) + ops.arcsinh(p) + ops.arccosh(p * p + 1.5)
     + ops.arctanh(p * 0.4)),  # |p| < 2.2 here: inside (-1, 1) for arcsin, arccos and arctanh
    ("binary", lambda p: ops.arctan2(p, T) + ops.hypot(p, T) + ops.logaddexp(p, T) + ops.fmod(p * 3, T * T + 1)),
    ("binary_second", lambda p: ops.arctan2(T, p) + ops.hypot(T, p) + ops.logaddexp(T, p[0]) + ops.fmod(T, p * p + 1)),
    ("sinc_divide_no_nan", lambda p: ops.sinc(p) + ops.divide_no_nan(p, np.where(T > 0, T, 0))
     + ops.divide_no_nan(T, p * p + 1) + ops.true_divide(p, 3.0)),
    ("nan_to_num", lambda p: ops.nan_to_num(p + np.where(T > 1, np.inf, 0.0), posinf=5.0)),
    ("activations", lambda p: ops.softsign(p) + ops.celu(p, 0.5) + ops.hard_tanh(p * 2) + ops.hard_swish(p * 3)
     + ops.soft_shrink(p, 0.3) + ops.hard_shrink(p, 0.3) + ops.tanh_shrink(p) + ops.squareplus(p)
     + ops.sparse_plus(p * 2) + ops.threshold(p, 0.1, -2.0)),
    ("glu", lambda p: ops.glu(p) + ops.sum(ops.glu(p, axis=0) ** 2)),
    ("prod", lambda p: ops.prod(p, axis=1) + ops.prod(ops.where(T > 0.5, 0.0, p), axis=0)[:4]),
    ("prod_one_zero", lambda p: ops.prod(p * np.array([0.0, 1, 1, 1, 1, 1]), axis=-1)),
    ("quantiles", lambda p: ops.median(p, axis=0) + ops.quantile(p, [0.2, 0.7], axis=0)[1]
     + ops.percentile(p, 40.0, axis=0, method="midpoint")),
    ("average_ptp", lambda p: ops.average(p, axis=0, weights=T[:, 0] ** 2) + ops.ptp(p, axis=0)),
    ("average_weights", lambda p: ops.average(T, axis=1, weights=p * p + 1)),
    ("diagonal", lambda p: ops.trace(p) + ops.sum(ops.diagonal(p, 2)) + ops.sum(ops.diag(p[0], k=-1))),
    ("diff_cumprod", lambda p: ops.sum(ops.diff(p, 2, axis=1)) + ops.cumprod(p, axis=1) * T),
    ("cumprod_zero", lambda p: ops.cumprod(p * np.array([1.0, 0, 1, 1, 1, 1]), axis=1)),
    ("rotate_flip", lambda p: ops.rot90(p, 1) * T.T + ops.fliplr(p).T + ops.flipud(p).T),
    ("products", lambda p: ops.sum(ops.kron(p[:2, :2], T[:2, :3]) ** 2) + ops.inner(p, T) + ops.vdot(p, p)),
    ("joins", lambda p: ops.sum(ops.append(p, T) ** 2) + ops.sum(ops.array_split(p, 4, axis=1)[0] ** 2)
     + ops.sum(ops.dstack([p, T]) ** 2) + ops.sum(ops.hsplit(p, 2)[1] ** 2) + ops.sum(ops.vsplit(p, 2)[0] ** 3)
     + ops.copy(p)),
    ("normalize", lambda p: ops.normalize(p) * T + ops.normalize(p, axis=0, order=3) + ops.psnr(p, T, 2.0)),
    ("layer_norm", lambda p: ops.layer_normalization(p, gamma=p[0], beta=p[1]) * T),
    ("rms_norm", lambda p: ops.rms_normalization(p, scale=p[2]) * T + ops.rms_normalization(p, axis=(0, 1)) ** 2),
    ("batch_norm", lambda p: ops.batch_normalization(p, p[0], p[1] ** 2 + 0.5, axis=-1, offset=p[2],
                                                     scale=p[3]) * T),
    ("pixel_shuffle", lambda p: ops.sum(ops.depth_to_space(ops.reshape(p, (1, 2, 3, 4)), 2) ** 2)
     + ops.sum(ops.space_to_depth(ops.reshape(p, (1, 2, 2, 6)), 2) * np.arange(24.0))),
]


@pytest.mark.parametrize("fn", [c[1] for c in GRADIENT_CASES], ids=[c[0] for c in GRADIENT_CASES])
def test_gradients_match_central_differences(fn):
    assert fl.gradcheck(fn, [P], atol=1e-7, rtol=1e-6)


ATTENTION = [RNG.normal(size=(2, 3, 4, 2)), RNG.normal(size=(2, 5, 2, 2)), RNG.normal(size=(2, 5, 2, 2)),
             RNG.normal(size=(1, 4, 3, 5))]


@pytest.mark.parametrize("kwargs", [{}, {"mask": KEEP}, {"is_causal": True, "scale": 0.7}])
def test_attention_gradients_match_central_differences(kwargs):
    q, k, v, bias = ATTENTION
    if kwargs.get("is_causal"):
        k, v = k[:, :3], v[:, :3]
        bias = bias[..., :3]
    assert fl.gradcheck(lambda *t: ops.dot_product_attention(*t, **kwargs) * np.arange(1.0, 3.0), [q, k, v, bias],
                        atol=1e-7, rtol=1e-6)


def test_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    p = fl.tensor(P, requires_grad=True)
    pt, tt = torch.tensor(P, requires_grad=True), torch.tensor(T)
    ours = [ops.erf(p), ops.expm1(p), ops.tan(p * 0.5), ops.sinh(p), ops.cosh(p), ops.arcsin(p * 0.8),
            ops.arccos(p * 0.8), ops.arctan(p), ops.arcsinh(p), ops.arctanh(p * 0.8), ops.exp2(p),
            ops.arctan2(p, T), ops.hypot(p, T), ops.logaddexp(p, T), ops.fmod(p * 3, T * T + 1), ops.sinc(p),
            ops.softsign(p), ops.celu(p, 0.5), ops.glu(p), ops.hard_tanh(p * 2), ops.hard_swish(p * 3),
            ops.soft_shrink(p, 0.3), ops.hard_shrink(p, 0.3), ops.tanh_shrink(p), ops.prod(p, axis=1),
            ops.cumprod(p, axis=1), ops.trace(p), ops.diff(p, axis=0), ops.kron(p[:2, :2], T[:2, :3]),
            ops.inner(p, T), ops.rot90(p), ops.normalize(p), ops.quantile(p, 0.3, axis=0)]
    theirs = [torch.erf(pt), torch.expm1(pt), torch.tan(pt * 0.5), torch.sinh(pt), torch.cosh(pt),
              torch.arcsin(pt * 0.8), torch.arccos(pt * 0.8), torch.arctan(pt), torch.arcsinh(pt),
              torch.arctanh(pt * 0.8), torch.exp2(pt), torch.arctan2(pt, tt), torch.hypot(pt, tt),
              torch.logaddexp(pt, tt), torch.fmod(pt * 3, tt * tt + 1), torch.sinc(pt),
              torch.nn.functional.softsign(pt),
              torch.celu(pt, 0.5), torch.nn.functional.glu(pt), torch.nn.functional.hardtanh(pt * 2),
              torch.nn.functional.hardswish(pt * 3), torch.nn.functional.softshrink(pt, 0.3),
              torch.nn.functional.hardshrink(pt, 0.3), torch.nn.functional.tanhshrink(pt), torch.prod(pt, 1),
              torch.cumprod(pt, 1), torch.trace(pt), torch.diff(pt, dim=0), torch.kron(pt[:2, :2], tt[:2, :3]),
              torch.inner(pt, tt), torch.rot90(pt), torch.nn.functional.normalize(pt, dim=-1, eps=1e-7),
              torch.quantile(pt, 0.3, dim=0)]
    weights = [RNG.normal(size=o.shape) for o in ours]
    sum(ops.sum(o * w) for o, w in zip(ours, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(theirs, weights)).backward()
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fl.backend.to_numpy(p.grad), pt.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_attention_matches_pytorch_with_its_gradients():
    torch = pytest.importorskip("torch")
    q, k, v, _ = ATTENTION
    keep = KEEP
    tensors = [fl.tensor(a, requires_grad=True) for a in (q, k, v)]
    ours = ops.dot_product_attention(*tensors, mask=keep)
    tq, tk, tv = (torch.tensor(a.transpose(0, 2, 1, 3), requires_grad=True) for a in (q, k, v))
    theirs = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(keep),
                                                              enable_gqa=True)
    w = RNG.normal(size=ours.shape)
    ops.sum(ours * w).backward()
    (theirs * torch.tensor(w.transpose(0, 2, 1, 3))).sum().backward()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy().transpose(0, 2, 1, 3), rtol=1e-10, atol=1e-12)
    for ours_t, theirs_t in zip(tensors, (tq, tk, tv)):
        np.testing.assert_allclose(fl.backend.to_numpy(ours_t.grad), theirs_t.grad.numpy().transpose(0, 2, 1, 3),
                                   rtol=1e-9, atol=1e-11)


def test_masked_and_causal_attention_ignore_what_they_must():
    out = ops.dot_product_attention(Q, KV, KV, mask=np.array([True, False, False, False, False]))
    only_first = np.repeat(KV[:, :1], 2, axis=2)  # each key/value head serves two query heads
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(only_first, out.shape), rtol=1e-6)
    changed = Q.copy()
    changed[:, 1:] += 100.0  # later steps: a causal step 0 never sees them
    before = ops.dot_product_attention(Q, Q, Q, is_causal=True).numpy()
    after = ops.dot_product_attention(Q, changed, changed, is_causal=True).numpy()
    np.testing.assert_allclose(before[:, 0], after[:, 0], rtol=1e-6)
    assert not np.allclose(before[:, 1], after[:, 1])


def test_prod_and_cumprod_slopes_are_right_at_zeros():
    p = fl.tensor(np.array([2.0, 0.0, 3.0, 0.5]), requires_grad=True)
    ops.prod(p).backward()
    assert fl.backend.to_numpy(p.grad).tolist() == [0.0, 3.0, 0.0, 0.0]  # only the zero's slope survives: 2·3·0.5
    p.grad = None
    ops.sum(ops.cumprod(p)).backward()
    grad = fl.backend.to_numpy(p.grad)
    assert np.isfinite(grad).all() and grad[1] == pytest.approx(2 + 6 + 3)


def test_names_without_a_gradient_cut_the_graph_and_helpers_answer_plainly():
    p = fl.tensor(X, requires_grad=True)
    for out in (ops.trunc(p), ops.signbit(p), ops.isclose(p, X), ops.allclose(p, X), ops.searchsorted([0.0], p),
                ops.digitize(p, [0.0]), ops.in_top_k([0, 1, 2], p, 1), ops.array(X), ops.empty_like(p)):
        assert not out.requires_grad
    assert ops.copy(p).requires_grad and ops.quantile(p, 0.5).requires_grad and ops.erf(p).requires_grad
    assert ops.is_tensor(p) and not ops.is_tensor(X) and ops.dtype(p) == "float32"
    assert ops.dtype(ops.array([1, 2])) == "int32" and ops.dtype(np.zeros(2, np.int64)) == "int64"
    assert ops.empty((2, 3)).shape == (2, 3) and ops.empty_like(INTS).dtype == np.int32
    assert bool(ops.allclose(X, X)) and not bool(ops.allclose(X, X + 1))


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: ops.glu(np.ones((2, 3))), ShapeError, "odd length 3"),
    (lambda: ops.quantile(X, 1.5), ConfigError, r"q must be a number or a list of numbers in \[0, 1\]"),
    (lambda: ops.quantile(X, 0.5, method="cubic"), ConfigError, "method='cubic'"),
    (lambda: ops.percentile(X, 120), ConfigError, r"q must be in \[0, 100\]"),
    (lambda: ops.average(X, axis=1, weights=[1.0, 2.0]), ShapeError, "weights of shape"),
    (lambda: ops.diagonal(np.ones(3)), ShapeError, "at least 2 axes"),
    (lambda: ops.diag(np.ones((2, 2, 2))), ShapeError, "vector or a matrix"),
    (lambda: ops.rot90(X, axes=(1, 1)), ConfigError, "two different axes"),
    (lambda: ops.array_split(X, 0), ConfigError, "number of parts"),
    (lambda: ops.searchsorted(X, 1.0), ShapeError, "1-D sorted sequence"),
    (lambda: ops.searchsorted([1.0], 1.0, side="middle"), ConfigError, "'left' or 'right'"),
    (lambda: ops.bincount(np.array([1.5])), ConfigError, "whole numbers"),
    (lambda: ops.normalize(X, order=0), ConfigError, "order must be a whole number"),
    (lambda: ops.psnr(X, Y[:2], 1.0), ShapeError, "one shape"),
    (lambda: ops.squareplus(X, b=-1), ConfigError, "b must be"),
    (lambda: ops.dot_product_attention(X, X, X), ShapeError, "4-D"),
    (lambda: ops.dot_product_attention(Q, KV[:, :, :, :1], KV[:, :, :, :1]), ShapeError, "head_dim"),
    (lambda: ops.dot_product_attention(Q, KV, KV, flash_attention=True), ConfigError, "flash_attention"),
    (lambda: ops.batch_normalization(X, [0.0], [1.0], axis=-1), ShapeError, "does not fit axis"),
    (lambda: ops.in_top_k([0], X, 1), ShapeError, "targets"),
    (lambda: ops.multi_hot([0, 1]), ConfigError, "needs num_classes"),
    (lambda: ops.depth_to_space(IMG[..., :3], 2), ShapeError, "multiple of block_size"),
    (lambda: ops.space_to_depth(IMG[:, :3], 2), ShapeError, "multiples of block_size"),
    (lambda: ops.celu(X, alpha=float("nan")), ConfigError, "alpha must be a finite number"),
])
def test_bad_input_is_refused_in_one_sentence(call, error, words):
    with pytest.raises(error, match=words):
        call()


# ----------------------------------------------------------------------------- keras.random


def test_random_draws_have_kerass_shapes_dtypes_ranges_and_statistics():
    from fnlearn.keras import random as kr

    ints = kr.randint((4000,), 2, 7, seed=1)
    assert ints.dtype == np.int32 and ints.shape == (4000,) and set(ints.numpy().tolist()) == {2, 3, 4, 5, 6}
    assert kr.randint((3, 2), 0, 4, dtype="int64", seed=1).dtype == np.int64
    cut = kr.truncated_normal((4000,), mean=1.0, stddev=0.5, seed=2).numpy()
    assert cut.dtype == np.float32 and cut.min() >= 0.0 and cut.max() <= 2.0
    assert abs(cut.mean() - 1.0) < 0.03 and abs(cut.std() - 0.5 * 0.88) < 0.03  # a cut normal's deviation: 0.88σ
    picks = kr.categorical(np.log([[0.2, 0.8], [0.9, 0.1]]), 3000, seed=3).numpy()
    assert picks.shape == (2, 3000) and picks.dtype == np.int32
    assert abs(picks[0].mean() - 0.8) < 0.03 and abs(picks[1].mean() - 0.1) < 0.03
    g = kr.gamma((4000,), alpha=3.0, seed=4).numpy()
    assert g.min() > 0 and abs(g.mean() - 3.0) < 0.15
    b = kr.beta((4000,), alpha=2.0, beta=6.0, seed=5).numpy()
    assert 0 <= b.min() and b.max() <= 1 and abs(b.mean() - 0.25) < 0.02
    n = kr.binomial((4000,), counts=10, probabilities=0.3, seed=6).numpy()
    assert n.dtype == np.float32 and set(np.unique(n)) <= set(range(11)) and abs(n.mean() - 3.0) < 0.1
    shuffled = kr.shuffle(fl.tensor(X), axis=1, seed=7).numpy()
    np.testing.assert_array_equal(np.sort(shuffled, axis=1), np.sort(X, axis=1))
    assert not np.array_equal(kr.shuffle(np.arange(20.0), seed=7).numpy(), np.arange(20.0))


@pytest.mark.parametrize("draw", [
    lambda kr, s: kr.randint((5,), 0, 100, seed=s), lambda kr, s: kr.truncated_normal((5,), seed=s),
    lambda kr, s: kr.categorical(np.zeros((2, 9)), 4, seed=s), lambda kr, s: kr.gamma((5,), 2.0, seed=s),
    lambda kr, s: kr.beta((5,), 2.0, 3.0, seed=s), lambda kr, s: kr.binomial((5,), 20, 0.5, seed=s),
    lambda kr, s: kr.shuffle(np.arange(10.0), seed=s),
])
def test_random_draws_repeat_for_a_seed_and_move_on_with_a_seed_generator(draw):
    from fnlearn.keras import random as kr

    assert np.array_equal(draw(kr, 42).numpy(), draw(kr, 42).numpy())
    a, b = kr.SeedGenerator(9), kr.SeedGenerator(9)
    first, again = draw(kr, a).numpy(), draw(kr, b).numpy()
    assert np.array_equal(first, again)  # the same sequence every run
    assert not np.array_equal(draw(kr, a).numpy(), first)  # a generator moves on: the next draw differs


def test_shuffle_passes_the_gradient_back_to_each_slice():
    from fnlearn.keras import random as kr

    p = fl.tensor(np.arange(4.0), requires_grad=True)
    out = kr.shuffle(p, seed=0)
    ops.sum(out * np.array([1.0, 2.0, 3.0, 4.0])).backward()
    np.testing.assert_array_equal(fl.backend.to_numpy(p.grad)[out.numpy().astype(int)], [1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize(("call", "words"), [
    (lambda kr: kr.randint((3,), 5, 5), "minval must be below maxval"),
    (lambda kr: kr.randint((3,), 0, 5, dtype="float32"), "give an integer dtype"),
    (lambda kr: kr.categorical(np.zeros(3), 2), r"logits of shape \(batch, classes\)"),
    (lambda kr: kr.gamma((3,), alpha=0.0), "alpha > 0"),
    (lambda kr: kr.beta((3,), 1.0, -1.0), "beta > 0"),
    (lambda kr: kr.binomial((3,), 5, 1.5), r"probabilities must lie in \[0, 1\]"),
    (lambda kr: kr.truncated_normal((3,), seed="x"), "seed must be None, an integer"),
])
def test_random_refuses_bad_input_in_one_sentence(call, words):
    from fnlearn.keras import random as kr

    with pytest.raises(ConfigError, match=words):
        call(kr)


# ----------------------------------------------------------------------------- keras.ops.image

IMAGES = np.random.default_rng(8).random((2, 9, 7, 3)).astype(np.float32)


@pytest.mark.parametrize("name, settings", [
    ("resize", {"size": (4, 5)}),
    ("resize", {"size": (12, 10), "interpolation": "nearest"}),
    ("resize", {"size": (5, 5), "crop_to_aspect_ratio": True}),
    ("resize", {"size": (6, 4), "interpolation": "bicubic", "antialias": True}),
    ("extract_patches", {"size": 3}),
    ("extract_patches", {"size": (2, 3), "strides": (1, 2)}),
    ("extract_patches", {"size": 3, "padding": "same"}),
    ("extract_patches", {"size": 2, "strides": 1, "dilation_rate": 2}),
])
@pytest.mark.parametrize("batched", [True, False])
def test_image_ops_give_keras_values(name, settings, batched):
    real = real_keras()
    images = IMAGES if batched else IMAGES[0]
    ours = getattr(keras.ops.image, name)(images, **settings)
    theirs = np.asarray(getattr(real.ops.image, name)(images, **settings))
    assert tuple(ours.shape) == theirs.shape
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, settings", [("resize", {"size": (3, 4)}),
                                            ("extract_patches", {"size": 2, "strides": 1})])
def test_image_ops_gradients_are_central_differences(float64, name, settings):
    images = IMAGES[:1, :5, :4, :2].astype(np.float64)
    weights = np.random.default_rng(9).normal(size=getattr(keras.ops.image, name)(images, **settings).shape)
    assert fl.gradcheck(lambda x: fl.functional.sum(getattr(keras.ops.image, name)(x, **settings)
                                                    * fl.tensor(weights)), [images])


def test_a_vision_transformers_patches_layer_trains():
    class Patches(keras.layers.Layer):  # as Keras's ViT example writes it
        def __init__(self, patch_size, **kwargs):
            super().__init__(**kwargs)
            self.patch_size = patch_size

        def call(self, images):
            patches = keras.ops.image.extract_patches(images, size=self.patch_size)
            batch, rows, columns, depth = keras.ops.shape(patches)
            return keras.ops.reshape(patches, (batch, rows * columns, depth))

    inputs = keras.Input((8, 8, 3))
    x = Patches(4)(inputs)
    x = keras.layers.GlobalAveragePooling1D()(keras.layers.Dense(6, activation="relu")(x))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    assert model.output_shape == (None, 2)
    data = np.random.default_rng(10).random((16, 8, 8, 3)).astype(np.float32)
    labels = np.arange(16) % 2
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(data, labels, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("call, words", [
    (lambda: keras.ops.image.resize(IMAGES, (0, 3)), "size=(0, 3)"),
    (lambda: keras.ops.image.extract_patches(IMAGES, "big"), "size='big'"),
    (lambda: keras.ops.image.extract_patches(IMAGES[0, 0], 2), "channels"),
    (lambda: keras.ops.image.extract_patches(IMAGES, 2, data_format="channels_first"), "channels last"),
])
def test_image_ops_bad_input_is_one_sentence(call, words):
    with pytest.raises((ConfigError, ShapeError)) as caught:
        call()
    assert words in str(caught.value) and str(caught.value).endswith(".")
