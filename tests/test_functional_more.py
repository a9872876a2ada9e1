"""The gather, tile, pad, scan and einsum primitives of fnlearn.functional: gradients against central finite
differences in float64 and against PyTorch, and the one-sentence errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend
from fnlearn import functional as F
from fnlearn.errors import ConfigError, ShapeError

RNG = np.random.default_rng(11)
X = RNG.normal(size=(3, 4))
Z = RNG.normal(size=(4, 5))
IDX = np.array([[0, 0, 3], [1, 2, 3], [3, 3, 0]])

# (id, fnlearn's op of one float64 input, the same written with torch)
CASES = [
    ("take_axis1_repeats", lambda a: F.take(a, [0, 2, 2, -1], axis=1), lambda t, T: t[:, [0, 2, 2, 3]]),
    ("take_2d_indices", lambda a: F.take(a, [[0, 1], [2, 2]], axis=0), lambda t, T: t[T.tensor([[0, 1], [2, 2]])]),
    ("take_flat", lambda a: F.take(a, [5, 5, 0]), lambda t, T: t.reshape(-1)[[5, 5, 0]]),
    ("take_along_axis", lambda a: F.take_along_axis(a, IDX, axis=1),
     lambda t, T: T.take_along_dim(t, T.tensor(IDX), dim=1)),
    ("take_along_axis_broadcast", lambda a: F.take_along_axis(a, np.array([[0, 1, 2, 0]]), axis=0),
     lambda t, T: T.take_along_dim(t, T.tensor([[0, 1, 2, 0]]), dim=0)),
    ("tile", lambda a: F.tile(a, (2, 1, 3)), lambda t, T: t.tile((2, 1, 3))),
    ("pad", lambda a: F.pad(a, ((1, 2), (0, 3)), constant_values=2.0),
     lambda t, T: T.nn.functional.pad(t, (0, 3, 1, 2), value=2.0)),
    ("cumsum_axis", lambda a: F.cumsum(a, 1), lambda t, T: T.cumsum(t, 1)),
    ("cumsum_flat", lambda a: F.cumsum(a), lambda t, T: T.cumsum(t.reshape(-1), 0)),
    ("flip", lambda a: F.flip(a, 1), lambda t, T: T.flip(t, (1,))),
    ("broadcast_to", lambda a: F.broadcast_to(a[:1], (2, 3, 4)), lambda t, T: t[:1].expand(2, 3, 4)),
    ("sin_cos", lambda a: F.sin(a) * F.cos(a * 2), lambda t, T: T.sin(t) * T.cos(t * 2)),
    ("segment_sum", lambda a: F.segment_sum(a, [0, 2, 0], num_segments=4),
     lambda t, T: T.zeros(4, 4, dtype=t.dtype).index_add(0, T.tensor([0, 2, 0]), t)),
    ("einsum_matmul_t", lambda a: F.einsum("ij,kj->ik", a, a * 2), lambda t, T: T.einsum("ij,kj->ik", t, t * 2)),
    ("einsum_sum_all", lambda a: F.einsum("ij->", a), lambda t, T: T.einsum("ij->", t)),
    ("einsum_ellipsis_implicit", lambda a: F.einsum("...j,jk", a, fl.tensor(Z)),
     lambda t, T: T.einsum("...j,jk", t, T.tensor(Z))),
    ("einsum_rowdot", lambda a: F.einsum("ij,ik->i", a, a), lambda t, T: T.einsum("ij,ik->i", t, t)),
    ("einsum_attention", lambda a: F.einsum("bqd,bkd->bqk", F.reshape(a, (1, 3, 4)), F.reshape(a, (1, 3, 4))),
     lambda t, T: T.einsum("bqd,bkd->bqk", t.reshape(1, 3, 4), t.reshape(1, 3, 4))),
    ("einsum_three", lambda a: F.einsum("ij,jk,ik->k", a, fl.tensor(Z), a[:, :1] * np.ones(5)),
     lambda t, T: T.einsum("ij,jk,ik->k", t, T.tensor(Z), t[:, :1] * T.ones(5, dtype=t.dtype))),
    ("einsum_broadcast_batch", lambda a: F.einsum("bij,bjk->bik", F.reshape(a, (1, 3, 4)), np.ones((2, 4, 2))),
     lambda t, T: T.einsum("bij,bjk->bik", t.reshape(1, 3, 4).expand(2, 3, 4), T.ones(2, 4, 2, dtype=t.dtype))),
]


def _weights(fn):
    return np.random.default_rng(5).normal(size=fn(fl.tensor(X)).shape)


@pytest.mark.parametrize("fn", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_gradients_match_central_differences_in_float64(fn):
    w = fl.tensor(_weights(fn))
    assert fl.gradcheck(lambda a: fn(a) * w, [X], atol=1e-8, rtol=1e-7)


@pytest.mark.parametrize(("fn", "ref"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_values_and_gradients_match_pytorch(fn, ref):
    torch = pytest.importorskip("torch")
    w = _weights(fn)
    x = fl.tensor(X, requires_grad=True)
    out = fn(x)
    (out * fl.tensor(w)).sum().backward()
    tx = torch.tensor(X, requires_grad=True)
    tout = ref(tx, torch)
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(backend.to_numpy(x.grad), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_float32_inputs_keep_float32_values_and_gradients():
    x = fl.tensor(X.astype(np.float32), requires_grad=True)
    out = F.einsum("ij,jk->ik", F.take(x, [0, 1], axis=0), F.tile(F.cumsum(F.pad(x, 1), 0)[:4, :5], 1))
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_integer_tensors_can_be_taken_and_tiled_without_a_gradient():
    out = F.take(fl.tensor(np.array([3, 4, 5])), [2, 0])
    assert out.dtype.kind == "i" and out.numpy().tolist() == [5, 3] and not out.requires_grad


@pytest.mark.parametrize(("call", "error", "words"), [
    (lambda: F.take(X, [4], axis=1), ShapeError, "outside the 4 positions of axis 1"),
    (lambda: F.take(X, [0.5]), ConfigError, "indices must be integers"),
    (lambda: F.take(X, [0], axis=2), ShapeError, "axis 2 is out of range"),
    (lambda: F.take_along_axis(X, np.array([0, 1]), axis=1), ShapeError, "as many axes as the tensor"),
    (lambda: F.tile(X, -1), ConfigError, "whole numbers ≥ 0"),
    (lambda: F.pad(X, 1, mode="reflect"), ConfigError, "mode='reflect'"),
    (lambda: F.pad(X, ((1, 2, 3),)), ShapeError, "does not fit a tensor with 2 axes"),
    (lambda: F.segment_sum(X, [0, 1]), ShapeError, "one id per row"),
    (lambda: F.einsum("ij,jk->ik", X), ConfigError, "name 2 operands, but 1 were given"),
    (lambda: F.einsum("ii->i", np.eye(2)), ConfigError, "a diagonal"),
    (lambda: F.einsum("ij,jk->ik", X, X), ShapeError, "index 'j'"),
    (lambda: F.einsum("ijk->i", X), ShapeError, "name 3 axes, but the operand has 2"),
    (lambda: F.broadcast_to(X, (2, 5)), ShapeError, "cannot broadcast"),
])
def test_bad_input_gets_one_clear_sentence(call, error, words):
    with pytest.raises(error, match=words):
        call()
