"""A BLAS product NumPy has no spelling for, called in NumPy's own BLAS library.

Plain SGD's step for a Dense kernel is ``W ← W − η·aᵀδ``. In NumPy that is two passes: ``dW = a.T @ δ``
writes a gradient array, then ``W -= dW`` reads it back. BLAS does both in one call (GEMM with
``β = 1``: ``C ← α·AᵀB + C``), and each of its threads updates its own block of ``W``. The two-pass
form costs more than the arithmetic suggests: with two BLAS threads, half of ``dW`` sits in the other
core's cache when the update reads it (measured at batch 100 on a 2-core machine: the update took 30–40
µs in training against 9 µs alone; see docs/benchmarks.md).

NumPy exposes neither ``β`` nor its BLAS, so this module finds the library NumPy itself loaded (the
OpenBLAS that NumPy's wheels ship, next to the ``numpy`` package) and calls it with ctypes: the same
library and the same thread pool, not a second copy that would fight it for the cores. Anything
unexpected — another BLAS, another naming scheme, a library whose answer to a small check product
differs from NumPy's — leaves :func:`get` returning None, and callers keep the two-pass form.

Example:
    >>> import numpy as np
    >>> blas = get(np.float64)
    >>> w = np.zeros((2, 2)); a = np.ones((3, 2)); d = np.ones((3, 2))
    >>> if blas is not None:
    ...     blas.add_atb(a, d, w, -0.5)           # w += -0.5 · aᵀd
    ... else:
    ...     w += -0.5 * a.T @ d
    >>> w
    array([[-1.5, -1.5],
           [-1.5, -1.5]])
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


class Blas:
    """GEMM with ``β = 1`` for one dtype, on C-contiguous NumPy arrays of that dtype."""

    def __init__(self, gemm: Any, dtype: type) -> None:
        self._gemm = gemm
        self.dtype = np.dtype(dtype)

    def add_atb(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, alpha: float) -> None:
        """``c += alpha · aᵀ b`` for a (k, m), b (k, n), c (m, n), all C-contiguous of this dtype."""
        k, m = a.shape
        n = b.shape[1]
        self._gemm(_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, alpha, a.ctypes.data, m, b.ctypes.data, n,
                   1.0, c.ctypes.data, n)

    def fits(self, *arrays: np.ndarray) -> bool:
        """Whether every array is a C-contiguous NumPy array of this dtype (what the calls above need)."""
        for arr in arrays:
            if type(arr) is not np.ndarray or arr.dtype != self.dtype or not arr.flags.c_contiguous:
                return False
        return True


_cache: dict[np.dtype, Blas | None] = {}


def get(dtype: Any) -> Blas | None:
    """The :class:`Blas` for ``dtype`` (float32 or float64), or None where NumPy's BLAS cannot be reached
    (then callers compute the product with NumPy and apply it themselves)."""
    key = np.dtype(dtype)
    if key not in _cache:
        _cache[key] = _load(key) if os.environ.get("FNLEARN_NUMPY_ONLY_BLAS", "") in ("", "0") else None
    return _cache[key]


def _numpy_library() -> Path | None:
    """The OpenBLAS shared library that NumPy's wheel ships and has loaded, or None."""
    root = Path(np.__file__).resolve().parent
    found = [path for folder in (root.parent / "numpy.libs", root / ".dylibs") if folder.is_dir()
             for path in folder.iterdir() if "openblas" in path.name.lower()]
    if len(found) != 1:
        return None
    maps = Path("/proc/self/maps")
    if sys.platform.startswith("linux") and maps.exists() and str(found[0]) not in maps.read_text():
        return None  # NumPy did not load it: calling it would start a second BLAS beside NumPy's
    return found[0]


def _load(dtype: np.dtype) -> Blas | None:
    letter = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(dtype)
    path = _numpy_library()
    if letter is None or path is None:
        return None
    try:
        lib = ctypes.CDLL(str(path))
    except OSError:
        return None
    real = ctypes.c_float if letter == "s" else ctypes.c_double
    # NumPy's wheels name their 64-bit-integer OpenBLAS's symbols scipy_cblas_sgemm64_; older ones cblas_sgemm64_
    wide, narrow = ctypes.c_int64, ctypes.c_int
    names = (("scipy_cblas_", "64_", wide), ("cblas_", "64_", wide),
             ("scipy_cblas_", "", narrow), ("cblas_", "", narrow))
    symbols = [(getattr(lib, f"{prefix}{letter}gemm{suffix}", None), integer) for prefix, suffix, integer in names]
    gemm, integer = next(((fn, integer) for fn, integer in symbols if fn is not None), (None, None))
    if gemm is None:
        return None
    enum, ptr = ctypes.c_int, ctypes.c_void_p
    gemm.restype = None
    gemm.argtypes = [enum, enum, enum, integer, integer, integer, real, ptr, integer, ptr, integer, real, ptr,
                     integer]
    blas = Blas(gemm, dtype)
    return blas if _agrees_with_numpy(blas) else None


def _agrees_with_numpy(blas: Blas) -> bool:
    """A small product through both routes: a library with another calling convention fails here."""
    rng = np.random.default_rng(0)
    a, b = rng.random((5, 3)).astype(blas.dtype), rng.random((5, 4)).astype(blas.dtype)
    c = rng.random((3, 4)).astype(blas.dtype)
    want = c - 0.5 * (a.T @ b)
    blas.add_atb(a, b, c, -0.5)
    tol = 1e-5 if blas.dtype == np.float32 else 1e-12
    return bool(np.allclose(c, want, rtol=tol, atol=tol))
