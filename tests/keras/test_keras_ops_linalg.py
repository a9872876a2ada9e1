"""``keras.ops.linalg`` and the ops groupings: values against real Keras 3, gradients against central differences
(float64) and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import ops

RNG = np.random.default_rng(5)
A = (RNG.normal(size=(3, 3)) + 3 * np.eye(3)).astype(np.float32)
SPD = (A @ A.T + np.eye(3)).astype(np.float32)
B = RNG.normal(size=(3, 2)).astype(np.float32)
TALL = RNG.normal(size=(5, 3)).astype(np.float32)
BATCH = (RNG.normal(size=(2, 3, 3)) + 3 * np.eye(3)).astype(np.float32)
LOW = np.tril(A).astype(np.float32)

CASES = [
    ("inv", lambda o: o.linalg.inv(BATCH)),
    ("det", lambda o: o.linalg.det(BATCH)),
    ("slogdet", lambda o: o.slogdet(A)),
    ("logdet", lambda o: o.logdet(SPD)),
    ("solve", lambda o: o.linalg.solve(A, B)),
    ("solve_vector", lambda o: o.linalg.solve(A, B[:, 0])),
    ("solve_triangular", lambda o: o.linalg.solve_triangular(A, B, lower=True)
     + o.linalg.solve_triangular(A, B)),
    ("cholesky", lambda o: o.linalg.cholesky(SPD) + o.linalg.cholesky(SPD, upper=True)),
    ("cholesky_inverse", lambda o: o.linalg.cholesky_inverse(np.linalg.cholesky(SPD))),
    ("qr_r_abs", lambda o: o.abs(o.linalg.qr(TALL)[1])),
    ("qr_complete_shape", lambda o: o.linalg.qr(TALL, mode="complete")[0].shape),
    ("svd_s", lambda o: o.linalg.svd(TALL, compute_uv=False)),
    ("svd_shapes", lambda o: [t.shape for t in o.linalg.svd(TALL)]),
    ("eigh_w", lambda o: o.linalg.eigh(SPD)[0]),
    ("eigh_v_abs", lambda o: o.abs(o.linalg.eigh(SPD)[1])),
    ("lstsq", lambda o: o.linalg.lstsq(TALL, B[:, 0].repeat(2)[:5])),
    ("pinv", lambda o: o.linalg.pinv(TALL)),
    ("matrix_rank", lambda o: o.linalg.matrix_rank(np.outer(B[:, 0], B[:, 1]))),
    ("lu_factor", lambda o: o.linalg.lu_factor(A)),
    ("norm", lambda o: o.linalg.norm(A)),
]


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_values_match_keras(name, fn):
    keras = real_keras()
    # compiled whole (one compile rather than one for each op), but for the shapes, which are Python tuples
    theirs = fn(keras.ops) if name.endswith(("shape", "shapes")) else compiled(keras, lambda: fn(keras.ops))
    ours = fn(ops)
    if isinstance(theirs, (tuple, list)) and not isinstance(theirs[0], int):
        for t, o in zip(theirs, ours):
            if isinstance(t, tuple):
                assert t == o
            else:
                np.testing.assert_allclose(np.asarray(o), np.asarray(t), rtol=2e-4, atol=2e-5)
    else:
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=2e-4, atol=2e-5)


def test_eig_of_a_matrix_with_real_eigenvalues_and_refusal_of_complex_ones():
    w, v = ops.linalg.eig(LOW.astype(np.float64))
    np.testing.assert_allclose(np.sort(w.numpy()), np.sort(np.diag(LOW)), rtol=1e-10)
    np.testing.assert_allclose(LOW @ v.numpy(), v.numpy() * w.numpy(), atol=1e-10)
    with pytest.raises(ConfigError, match="complex eigenvalues"):
        ops.linalg.eig(np.array([[0.0, -1.0], [1.0, 0.0]]))


P = RNG.normal(size=(3, 3))
T = RNG.normal(size=(3, 3))

GRADIENTS = [
    ("inv_det", lambda p: ops.linalg.inv(p + 3 * np.eye(3)) * T + ops.linalg.det(p)),
    ("slogdet", lambda p: ops.slogdet(p + 3 * np.eye(3))[1] + ops.logdet(p @ ops.transpose(p) + np.eye(3))),
    ("solve", lambda p: ops.linalg.solve(p + 3 * np.eye(3), T) + ops.linalg.solve(T + 3 * np.eye(3), p)
     + ops.sum(ops.linalg.solve(p + 3 * np.eye(3), T[0]))),
    ("solve_triangular", lambda p: ops.linalg.solve_triangular(p + 3 * np.eye(3), T, lower=True)),
    ("cholesky", lambda p: ops.linalg.cholesky(p @ ops.transpose(p) + np.eye(3)) * T
     + ops.linalg.cholesky_inverse(ops.tril(p) + 3 * np.eye(3))),
    ("qr", lambda p: ops.linalg.qr(ops.concatenate([p, T]))[0] ** 3 + ops.sum(ops.linalg.qr(p)[1] * T)),
    ("svd", lambda p: ops.linalg.svd(p, compute_uv=False) * np.array([1.0, 2.0, 3.0])),
    ("eigh", lambda p: ops.linalg.eigh(p + ops.transpose(p))[0] * np.array([1.0, 2.0, 3.0])
     + ops.sum(ops.linalg.eigh(p + ops.transpose(p))[1] ** 2 * T)),
    ("lstsq", lambda p: ops.linalg.lstsq(ops.concatenate([p, T]), np.arange(6.0))
     + ops.sum(ops.linalg.lstsq(ops.concatenate([T, T.T]), ops.concatenate([p, p]) ** 2))),
    ("pinv", lambda p: ops.linalg.pinv(ops.concatenate([p, T])) * np.arange(18.0).reshape(3, 6)),
]


@pytest.mark.parametrize("fn", [c[1] for c in GRADIENTS], ids=[c[0] for c in GRADIENTS])
def test_gradients_match_central_differences(fn):
    assert fl.gradcheck(fn, [P], atol=1e-6, rtol=1e-5)


def test_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    la = torch.linalg
    spd = lambda p: p @ p.T + torch.eye(3, dtype=p.dtype)  # noqa: E731
    pairs = [
        (lambda p: ops.linalg.inv(p) * T, lambda p: la.inv(p) * torch.tensor(T)),
        (lambda p: ops.linalg.det(p), lambda p: la.det(p)),
        (lambda p: ops.linalg.solve(p, T), lambda p: la.solve(p, torch.tensor(T))),
        (lambda p: ops.linalg.cholesky(p @ ops.transpose(p) + np.eye(3)) * T,
         lambda p: la.cholesky(spd(p)) * torch.tensor(T)),
        (lambda p: ops.linalg.qr(p)[0] ** 3 + ops.linalg.qr(p)[1] * T,
         lambda p: la.qr(p)[0] ** 3 + la.qr(p)[1] * torch.tensor(T)),
        (lambda p: ops.linalg.svd(p, compute_uv=False) ** 2, lambda p: la.svdvals(p) ** 2),
        (lambda p: ops.linalg.eigh(spd_ := p @ ops.transpose(p) + np.eye(3))[0] + 0 * ops.sum(spd_)
         + ops.sum(ops.linalg.eigh(p @ ops.transpose(p) + np.eye(3))[1] ** 2 * T),
         lambda p: la.eigh(spd(p))[0] + (la.eigh(spd(p))[1] ** 2 * torch.tensor(T)).sum()),
        (lambda p: ops.linalg.pinv(p[:, :2]), lambda p: la.pinv(p[:, :2])),
    ]
    base = P + 3 * np.eye(3)
    for ours_fn, theirs_fn in pairs:
        p = fl.tensor(base, requires_grad=True, dtype="float64")
        ours_fn(p).sum().backward()
        q = torch.tensor(base, requires_grad=True)
        theirs_fn(q).sum().backward()
        np.testing.assert_allclose(fl.backend.to_numpy(p.grad), q.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_groupings_and_errors():
    from fnlearn.keras.ops.nn import relu

    from fnlearn.keras.ops import linalg, nn, numpy

    assert relu is ops.relu and nn.softmax is ops.softmax and numpy.nanmean is ops.nanmean
    assert linalg.inv is ops.inv and "inv" in linalg.__all__ and ops.image.resize
    with pytest.raises(AttributeError, match="does not provide"):
        nn.view_as_complex  # noqa: B018  (a Keras op fnlearn lacks: its tensors are real)
    with pytest.raises(ShapeError, match="square matrices"):
        ops.linalg.inv(np.ones((2, 3)))
    with pytest.raises(ShapeError, match="needs 3 rows"):
        ops.linalg.solve(np.eye(3), np.ones(2))
    with pytest.raises(ConfigError, match="positive definite"):
        ops.linalg.cholesky(-np.eye(2))
    with pytest.raises(ConfigError, match="no gradient"):
        p = fl.tensor(TALL.astype(np.float64), requires_grad=True)
        ops.sum(ops.linalg.svd(p)[0]).backward()
