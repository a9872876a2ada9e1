"""``keras.ops.linalg``: Keras 3's linear algebra on the last two axes of fnlearn tensors, differentiable.

The gradients are the standard matrix-calculus ones: d det A = det A · tr(A⁻¹ dA), d A⁻¹ = −A⁻¹ dA A⁻¹, a solve
differentiates by one more solve with Aᵀ, Cholesky, QR (reduced, at least as many rows as columns), ``eigh`` and
``pinv`` by their published formulas (valid where the factorisation is smooth: distinct eigenvalues, full rank).
``svd`` differentiates through its singular values only, ``lstsq`` for a full-column-rank ``a``; ``eig``,
``lu_factor`` and ``matrix_rank`` give values without a gradient. ``eig`` gives real eigenvalues and vectors only
(fnlearn's tensors are real): a matrix with complex eigenvalues is refused.

Example:
    >>> import numpy as np
    >>> import fnlearn as fl
    >>> from fnlearn.keras import ops
    >>> a = fl.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True, dtype="float64")
    >>> round(float(ops.det(a)), 6), ops.solve(a, np.array([3.0, 5.0])).numpy().round(6).tolist()
    (5.0, [0.8, 1.4])
    >>> ops.logdet(a).backward(); a.grad.round(6).tolist()  # inv(a)ᵀ
    [[0.6, -0.2], [-0.2, 0.4]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._missing import not_provided
from .ops import _float, matmul, norm, swapaxes, tril, triu


def _mT(a: Any) -> Any:  # noqa: N802  (the matrix transpose, as NumPy's .mT)
    return a.swapaxes(-1, -2)


def _square(x: Any, who: str) -> Tensor:
    """``x`` as a float tensor of square matrices (last two axes), or one ShapeError sentence."""
    x = _float(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"{who} needs square matrices in the last two axes, got shape {x.shape}; pass an (n, n) "
                         "array or a batch (..., n, n) of them.")
    return x


def _matrices(x: Any, who: str) -> Tensor:
    x = _float(x)
    if x.ndim < 2:
        raise ShapeError(f"{who} needs matrices (2 axes or more), got shape {x.shape}; pass an (m, n) array or a "
                         "batch (..., m, n) of them.")
    return x


def inv(x: Any) -> Tensor:
    """The inverse of each square matrix; gradient −A⁻ᵀ G A⁻ᵀ."""
    a = _square(x, "inv")
    out = backend.xp().linalg.inv(a.data)
    return Tensor._result(out, (a,), lambda g: (-(_mT(out) @ g @ _mT(out)),), "inv")


def det(x: Any) -> Tensor:
    """The determinant of each square matrix; gradient det A · A⁻ᵀ."""
    a = _square(x, "det")
    xp = backend.xp()
    out = xp.linalg.det(a.data)

    def backward(g: Any) -> tuple[Any]:
        return ((g * out)[..., None, None] * _mT(xp.linalg.inv(a.data)),)

    return Tensor._result(out, (a,), backward, "det")


def slogdet(x: Any) -> tuple[Tensor, Tensor]:
    """(sign, log|det|) of each square matrix; the log differentiates to A⁻ᵀ, the sign has no gradient."""
    a = _square(x, "slogdet")
    xp = backend.xp()
    sign, logabs = xp.linalg.slogdet(a.data)
    grad = Tensor._result(logabs, (a,), lambda g: (g[..., None, None] * _mT(xp.linalg.inv(a.data)),), "slogdet")
    return Tensor(sign, dtype=sign.dtype), grad


def logdet(x: Any) -> Tensor:
    """log|det A| of each square matrix (Keras's ``logdet``, the log of the determinant of a positive-definite
    matrix), differentiable."""
    return slogdet(x)[1]


def solve(a: Any, b: Any) -> Tensor:
    """x with a @ x = b (``b`` a vector or a matrix of right-hand sides); gradients by one more solve with aᵀ."""
    a = _square(a, "solve")
    b = _float(b)
    xp = backend.xp()
    vector = b.ndim == a.ndim - 1
    bm = b.data[..., None] if vector else b.data
    if bm.shape[-2] != a.shape[-1]:
        raise ShapeError(f"solve got a of shape {a.shape} and b of shape {b.shape}; b needs {a.shape[-1]} rows "
                         "(its first axis for a vector, the second-to-last for a matrix of right-hand sides).")
    xm = xp.linalg.solve(a.data, bm)

    def backward(g: Any) -> tuple[Any, Any]:
        gm = g[..., None] if vector else g
        gb = xp.linalg.solve(_mT(a.data), gm)
        ga = -gb @ _mT(xm)
        ga = F._unbroadcast(ga, a.shape, a.dtype)
        return ga, F._unbroadcast(gb[..., 0] if vector else gb, b.shape, b.dtype)

    return Tensor._result(xm[..., 0] if vector else xm, (a, b), backward, "solve")


def solve_triangular(a: Any, b: Any, lower: bool = False) -> Tensor:
    """x with a @ x = b for a triangular ``a`` (only its ``lower`` or upper triangle is read); differentiable."""
    a = _square(a, "solve_triangular")
    return solve(tril(a) if lower else triu(a), b)


def cholesky(x: Any, upper: bool = False) -> Tensor:
    """The Cholesky factor L (lower; Lᵀ with ``upper=True``) of each symmetric positive-definite matrix, read from
    its lower triangle; gradient by Murray's formula, symmetrised."""
    a = _square(x, "cholesky")
    xp = backend.xp()
    try:
        low = xp.linalg.cholesky(a.data)
        # CuPy does not raise: it gives NaN where the factor does not exist
        if xp is not np and bool(xp.isnan(low).any()):
            raise np.linalg.LinAlgError("the factor has NaN entries")
    except np.linalg.LinAlgError as e:
        raise ConfigError(f"cholesky got a matrix that is not positive definite ({e}); pass a symmetric "
                          "positive-definite matrix, e.g. x @ x.T + eps * I.") from None

    def backward(g: Any) -> tuple[Any]:
        phi = xp.tril(_mT(low) @ g)
        phi = phi - 0.5 * xp.eye(low.shape[-1]) * phi
        inv_low = xp.linalg.inv(low)
        s = _mT(inv_low) @ phi @ inv_low
        return (0.5 * (s + _mT(s)),)

    out = Tensor._result(low, (a,), backward, "cholesky")
    return swapaxes(out, -1, -2) if upper else out


def cholesky_inverse(x: Any, upper: bool = False) -> Tensor:
    """inv(L @ Lᵀ) from a Cholesky factor L (inv(Uᵀ @ U) with ``upper=True``), differentiable."""
    low = _square(x, "cholesky_inverse")
    ut = swapaxes(low, -1, -2)
    return inv(matmul(ut, low) if upper else matmul(low, ut))


def _no_grad_output(data: Any, parent: Tensor, who: str) -> Tensor:
    """An output whose gradient fnlearn does not compute: backward through it says so in one sentence."""
    def backward(g: Any) -> tuple[Any]:
        raise ConfigError(f"{who} has no gradient in fnlearn; wrap it in ops.stop_gradient, or use an op that "
                          "differentiates (see keras.ops.linalg's docstring).")

    return Tensor._result(data, (parent,), backward, who)


def qr(x: Any, mode: str = "reduced") -> tuple[Tensor, Tensor]:
    """(q, r) with x = q @ r; ``mode`` "reduced" or "complete". Differentiable for "reduced" with at least as many
    rows as columns."""
    if mode not in ("reduced", "complete"):
        raise ConfigError(f"qr got mode={mode!r}; it takes 'reduced' or 'complete'.")
    a = _matrices(x, "qr")
    xp = backend.xp()
    q, r = xp.linalg.qr(a.data, mode=mode)
    m, n = a.shape[-2:]
    if mode != "reduced" or m < n:
        return _no_grad_output(q, a, f"qr(mode={mode!r}) of a wide matrix or complete mode"), \
            _no_grad_output(r, a, f"qr(mode={mode!r}) of a wide matrix or complete mode")
    # one node for both outputs: q and r each pass their part of the gradient to a shared formula
    def grad(gq: Any, gr: Any) -> Any:
        mm = r @ _mT(gr) - _mT(gq) @ q
        copyltu = xp.tril(mm) + _mT(xp.tril(mm, -1))
        rhs = gq + q @ copyltu
        return _mT(xp.linalg.solve(r, _mT(rhs)))  # rhs @ r⁻ᵀ

    zq, zr = xp.zeros_like(q), xp.zeros_like(r)
    q_t = Tensor._result(q, (a,), lambda g: (grad(g, zr),), "qr_q")
    r_t = Tensor._result(r, (a,), lambda g: (grad(zq, g),), "qr_r")
    return q_t, r_t


def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """(u, s, vh) with x = u @ diag(s) @ vh (``s`` alone with ``compute_uv=False``); ``s`` differentiates
    (U diag(ḡ) Vh), ``u`` and ``vh`` have no gradient."""
    a = _matrices(x, "svd")
    xp = backend.xp()
    u, s, vh = xp.linalg.svd(a.data, full_matrices=False)
    s_t = Tensor._result(s, (a,), lambda g: ((u * g[..., None, :]) @ vh,), "svd")
    if not compute_uv:
        return s_t
    if full_matrices:
        u, _, vh = xp.linalg.svd(a.data, full_matrices=True)
    return _no_grad_output(u, a, "svd's u"), s_t, _no_grad_output(vh, a, "svd's vh")


def eigh(x: Any) -> tuple[Tensor, Tensor]:
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix, read from its lower triangle;
    both differentiable (distinct eigenvalues)."""
    a = _square(x, "eigh")
    xp = backend.xp()
    w, v = xp.linalg.eigh(a.data)

    def grad_w(g: Any) -> tuple[Any]:
        return ((v * g[..., None, :]) @ _mT(v),)

    def grad_v(g: Any) -> tuple[Any]:
        gap = w[..., None, :] - w[..., :, None]
        n = w.shape[-1]
        f = xp.where(xp.eye(n, dtype=bool), 0, 1 / xp.where(gap == 0, 1, gap))
        inner = f * (_mT(v) @ g)
        return (v @ inner @ _mT(v),)

    return Tensor._result(w, (a,), grad_w, "eigh_w"), Tensor._result(v, (a,), grad_v, "eigh_v")


def eig(x: Any) -> tuple[Tensor, Tensor]:
    """(eigenvalues, eigenvectors as columns) of each square matrix with real eigenvalues; no gradient."""
    a = _square(x, "eig")
    w, v = np.linalg.eig(backend.to_numpy(a.data))
    if np.iscomplexobj(w) and np.any(w.imag != 0):
        raise ConfigError(f"eig found complex eigenvalues ({w.ravel()[np.argmax(np.abs(w.imag.ravel()))]}), but "
                          "fnlearn's tensors are real; use ops.eigh for a symmetric matrix, or NumPy's eig.")
    w, v = np.real(w).astype(a.dtype), np.real(v).astype(a.dtype)
    return Tensor(backend.to_device(w)), Tensor(backend.to_device(v))


def lstsq(a: Any, b: Any, rcond: Any = None) -> Tensor:
    """The least-squares solution x of a @ x ≈ b (``b`` a vector or a matrix); differentiable for an ``a`` of full
    column rank."""
    a, b = _matrices(a, "lstsq"), _float(b)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ShapeError(f"lstsq got a of shape {a.shape} and b of shape {b.shape}; it takes one (m, n) matrix and "
                         "b of shape (m,) or (m, k).")
    xp = backend.xp()
    sol = xp.linalg.lstsq(a.data, b.data, rcond=rcond)[0]

    def backward(g: Any) -> tuple[Any, Any]:
        am, xm, bm = a.data, sol, b.data
        gm = g[:, None] if g.ndim == 1 else g
        xm = xm[:, None] if xm.ndim == 1 else xm
        bm = bm[:, None] if bm.ndim == 1 else bm
        z = xp.linalg.solve(am.T @ am, gm)
        resid = bm - am @ xm
        ga = resid @ z.T - am @ z @ xm.T
        gb = am @ z
        return ga, gb.reshape(b.shape)

    return Tensor._result(sol, (a, b), backward, "lstsq")


def pinv(x: Any, rcond: Any = None) -> Tensor:
    """The Moore–Penrose pseudo-inverse of each matrix (singular values below ``rcond`` × the largest dropped, by
    default 10·max(m, n)·eps, as Keras's); differentiable where the rank does not change."""
    a = _matrices(x, "pinv")
    xp = backend.xp()
    if rcond is None:
        rcond = 10 * max(a.shape[-2:]) * np.finfo(a.dtype).eps
    p = xp.linalg.pinv(a.data, rcond=rcond)

    def backward(g: Any) -> tuple[Any]:
        pt, gt = _mT(p), _mT(g)
        k = xp.eye(a.shape[-2]) - a.data @ p
        ll = xp.eye(a.shape[-1]) - p @ a.data
        return (-pt @ g @ pt + k @ gt @ p @ pt + pt @ p @ gt @ ll,)

    return Tensor._result(p, (a,), backward, "pinv")


def matrix_rank(x: Any, tol: Any = None) -> Tensor:
    """The rank of each matrix (singular values above ``tol``), as int32; no gradient."""
    a = _matrices(x, "matrix_rank")
    out = np.asarray(np.linalg.matrix_rank(backend.to_numpy(a.data), tol=tol)).astype(np.int32)
    return Tensor(backend.to_device(out), dtype=np.int32)


def lu_factor(x: Any) -> tuple[Tensor, Tensor]:
    """(lu, pivots) of each square matrix, SciPy's packed LU with partial pivoting (pivots int32); no gradient."""
    a = _square(x, "lu_factor")
    from scipy.linalg import lu_factor as scipy_lu_factor

    data = backend.to_numpy(a.data)
    flat = data.reshape((-1, *data.shape[-2:]))
    parts = [scipy_lu_factor(m) for m in flat]
    lu = np.stack([p[0] for p in parts]).reshape(data.shape)
    piv = np.stack([p[1] for p in parts]).astype(np.int32).reshape(data.shape[:-1])
    return Tensor(backend.to_device(lu)), Tensor(backend.to_device(piv), dtype=np.int32)


__all__ = ["inv", "det", "slogdet", "logdet", "solve", "solve_triangular", "cholesky", "cholesky_inverse", "qr",
           "svd", "eigh", "eig", "lstsq", "pinv", "matrix_rank", "lu_factor", "norm"]

__getattr__ = not_provided("fnlearn.keras.ops.linalg", __all__)

