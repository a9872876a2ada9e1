"""Matrix products NumPy has no spelling for, called in NumPy's own BLAS library.

The fast training step needs two things from BLAS that NumPy's ``@`` cannot say:

- **β = 1.** Plain SGD's step for a Dense kernel is ``W ← W − η·aᵀδ``. In NumPy that is two passes:
  ``dW = a.T @ δ`` writes a gradient array, then ``W -= dW`` reads it back. BLAS does both in one call
  (GEMM with ``β = 1``: ``C ← α·AᵀB + C``), each of its threads updating its own block of ``W``.
- **Its own split of a product across the thread pool.** OpenBLAS splits a batch-sized product such as
  100 × 784 by 784 × 100 poorly: on 2 cores it ran 132 µs against 134 µs on one thread. Its ``gemm_batch``
  runs a list of products, one per thread, so :class:`SplitProduct` hands it the product in pieces along
  the inner dimension — thread j multiplies columns ``K_j`` of ``a`` by rows ``K_j`` of ``W`` — and adds the
  partial sums; :class:`SplitAtb` cuts ``aᵀδ`` by the same rows ``K_j`` of ``W``. In a training step each
  thread then reads and writes the same block of ``W`` in the forward and the backward pass, and that
  block stays in its core's cache (measured at batch 100 on 2 cores: the forward product 134 → ~100 µs,
  the SGD step inside the weight gradient 125–150 → 85–115 µs; see docs/benchmarks.md). Both are prepared
  once per weight array and batch size, with the fixed pointers set, because a ctypes call's arguments
  cost microseconds to build.

NumPy exposes neither, so this module finds the library NumPy itself loaded (the OpenBLAS that NumPy's
wheels ship, next to the ``numpy`` package) and calls it with ctypes: the same library and the same
thread pool, not a second copy that would fight it for the cores. Anything unexpected — another BLAS,
another naming scheme, a library whose answers to small check products differ from NumPy's — leaves
:func:`get` returning None, and callers use NumPy's ``@``. ``gemm_batch`` is optional (OpenBLAS 0.3.28 and
later have it); without it products are never split.

Example:
    >>> import numpy as np
    >>> blas = get(np.float64)
    >>> w = np.zeros((2, 2)); a = np.ones((3, 2)); d = np.ones((3, 2))
    >>> if blas is not None:
    ...     blas.atb(a, d, w, alpha=-0.5, beta=1.0)   # w ← w − 0.5 · aᵀd, one GEMM
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
from typing import Any

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112

# OpenBLAS's gemm_batch sends a product with m·n·k ≤ 100³ to a small-matrix kernel whose address its
# DYNAMIC_ARCH builds (every NumPy wheel) never resolve: the process jumps to an offset and dies (fixed
# upstream in August 2026, after the 0.3.31 that NumPy 2.4 ships). Every piece given to it is larger than this.
_PIECE_MIN = 1 << 20

# Above this many rows OpenBLAS's own split of a product is as good as pieces along k, which also cost an
# extra pass to add their partial sums (784 × 100 weights on 2 cores, µs whole against in pieces: 32 rows 62
# against 40, 100 rows 146 against 97, 256 rows 232 against 234, 1000 rows 785–975 against 887–940).
_PRODUCT_ROWS_MAX = 256


def _bounds(total: int, parts: int) -> list[int]:
    """Cut points splitting ``range(total)`` into ``parts`` runs whose lengths differ by at most one."""
    return [total * j // parts for j in range(parts + 1)]


class _Batch:
    """One gemm_batch call prepared for fixed sizes: each piece is a group of one product, and the pointers
    are set in place (building the dozen ctypes arrays per call would cost more than the split saves)."""

    def __init__(self, fn: Any, real: Any, integer: Any, trans_a: int,
                 sizes: list[tuple[int, int, int]], lda: int, ldb: int, ldc: int, alpha: float, beta: float) -> None:
        count = len(sizes)

        def array(kind: Any, values: list[Any]) -> Any:
            return (kind * count)(*values)

        self.a, self.b, self.c = (array(ctypes.c_void_p, [0] * count) for _ in range(3))
        m, n, k = zip(*sizes)
        self._fn = fn
        self._args = (_ROW_MAJOR, array(ctypes.c_int, [trans_a] * count), array(ctypes.c_int, [_NO_TRANS] * count),
                      array(integer, list(m)), array(integer, list(n)), array(integer, list(k)),
                      array(real, [alpha] * count), self.a, array(integer, [lda] * count),
                      self.b, array(integer, [ldb] * count), array(real, [beta] * count),
                      self.c, array(integer, [ldc] * count), integer(count), array(integer, [1] * count))

    def __call__(self) -> None:
        self._fn(*self._args)


class SplitProduct:
    """``out = a @ w`` for one ``w`` (k, n) and batches ``a`` of ``rows`` rows, in ``pieces`` pieces along k run
    side by side on the BLAS threads: piece j multiplies columns K_j of ``a`` by rows K_j of ``w`` into its own
    partial sum, and the partial sums are added into ``out``. Made by :meth:`Blas.split_product`."""

    def __init__(self, blas: Blas, w: np.ndarray, rows: int, pieces: int) -> None:
        k, n = w.shape
        size = blas.dtype.itemsize
        cuts = _bounds(k, pieces)
        self._blas = blas
        self.target = w
        self._shape = (rows, k)
        self._offsets = [cut * size for cut in cuts[:-1]]
        self._partials = list(np.empty((pieces - 1, rows, n), dtype=blas.dtype))
        self._batch = blas._batch(_NO_TRANS, [(rows, n, hi - lo) for lo, hi in zip(cuts[:-1], cuts[1:])], k, n, n,
                                  1.0, 0.0)
        for j, cut in enumerate(cuts[:-1]):
            self._batch.b[j] = w.ctypes.data + cut * n * size
        for j, partial in enumerate(self._partials, start=1):
            self._batch.c[j] = partial.ctypes.data

    def __call__(self, a: np.ndarray, out: np.ndarray) -> None:
        """``out = a @ w``; a (rows, k) and out (rows, n) C-contiguous of the dtype (the caller checks with fits)."""
        if a.shape != self._shape or out.shape != self._partials[0].shape or not self._blas.fits(a, out):
            raise ValueError(f"this product was prepared for C-contiguous {self._blas.dtype} arrays {self._shape} "
                             f"by {self.target.shape} into {self._partials[0].shape}, got {a.dtype} {a.shape} into "
                             f"{out.dtype} {out.shape}")
        batch, start = self._batch, a.ctypes.data
        for j, offset in enumerate(self._offsets):
            batch.a[j] = start + offset
        batch.c[0] = out.ctypes.data
        batch()
        for partial in self._partials:
            np.add(out, partial, out=out)


class SplitAtb:
    """``c ← alpha·aᵀb + beta·c`` for one ``c`` (m, n) and batches a (rows, m), b (rows, n), with c's rows cut into
    ``pieces`` pieces run side by side on the BLAS threads. Made by :meth:`Blas.split_atb`."""

    def __init__(self, blas: Blas, c: np.ndarray, rows: int, pieces: int, alpha: float, beta: float) -> None:
        m, n = c.shape
        size = blas.dtype.itemsize
        cuts = _bounds(m, pieces)
        self._blas = blas
        self.target = c
        self._shapes = ((rows, m), (rows, n))
        self._offsets = [cut * size for cut in cuts[:-1]]
        self._batch = blas._batch(_TRANS, [(hi - lo, n, rows) for lo, hi in zip(cuts[:-1], cuts[1:])], m, n, n,
                                  alpha, beta)
        for j, cut in enumerate(cuts[:-1]):
            self._batch.c[j] = c.ctypes.data + cut * n * size

    def __call__(self, a: np.ndarray, b: np.ndarray) -> None:
        """One step; a and b C-contiguous of the dtype (the caller checks with fits)."""
        if (a.shape, b.shape) != self._shapes or not self._blas.fits(a, b):
            raise ValueError(f"this product was prepared for C-contiguous {self._blas.dtype} arrays a "
                             f"{self._shapes[0]} and b {self._shapes[1]}, got a {a.dtype} {a.shape} and b {b.dtype} "
                             f"{b.shape}")
        batch, start, other = self._batch, a.ctypes.data, b.ctypes.data
        for j, offset in enumerate(self._offsets):
            batch.a[j] = start + offset
            batch.b[j] = other
        batch()


class Blas:
    """GEMM for one dtype on C-contiguous NumPy arrays of that dtype: ``C ← α·AᵀB + β·C`` in one call, and
    products split across the BLAS thread pool (where the library has ``gemm_batch``)."""

    def __init__(self, gemm: Any, dtype: type, gemm_batch: Any = None, threads: Any = None,
                 real: Any = ctypes.c_double, integer: Any = ctypes.c_int64) -> None:
        self._gemm = gemm
        self._gemm_batch = gemm_batch if threads is not None else None
        self._threads = threads
        self._real, self._integer = real, integer
        self.dtype = np.dtype(dtype)

    def fits(self, *arrays: np.ndarray) -> bool:
        """Whether every array is a C-contiguous NumPy array of this dtype (what the calls below need)."""
        for arr in arrays:
            if type(arr) is not np.ndarray or arr.dtype != self.dtype or not arr.flags.c_contiguous:
                return False
        return True

    def threads(self) -> int:
        """The BLAS library's thread count now (threadpoolctl and ``OPENBLAS_NUM_THREADS`` change it)."""
        return int(self._threads()) if self._threads is not None else 1

    def pieces(self, split: int, other: int) -> int:
        """How many pieces a product is cut into along a dimension of length ``split`` (``other``: the
        product of the two other dimensions): one per BLAS thread, each piece above the size gemm_batch
        handles safely; 1 means one ordinary call."""
        if self._gemm_batch is None:
            return 1
        count = min(self.threads(), split)
        while count > 1 and (split // count) * other <= _PIECE_MIN:
            count -= 1
        return count

    def atb(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, alpha: float = 1.0, beta: float = 0.0) -> None:
        """``c ← alpha · aᵀb + beta · c`` in one GEMM call, for a (k, m), b (k, n), c (m, n), all C-contiguous of
        this dtype (BLAS threads it as it likes)."""
        k, m = a.shape
        n = b.shape[1]
        self._gemm(_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, alpha, a.ctypes.data, m, b.ctypes.data, n, beta,
                   c.ctypes.data, n)

    def split_product(self, w: np.ndarray, rows: int) -> SplitProduct | None:
        """``a @ w`` for batches of ``rows`` rows, prepared in pieces — or None where pieces do not pay (one
        BLAS thread, a product too small to cut, more than _PRODUCT_ROWS_MAX rows)."""
        k, n = w.shape
        count = 1 if rows > _PRODUCT_ROWS_MAX else self.pieces(k, rows * n)
        return SplitProduct(self, w, rows, count) if count > 1 else None

    def split_atb(self, c: np.ndarray, rows: int, alpha: float = 1.0, beta: float = 0.0) -> SplitAtb | None:
        """``c ← alpha·aᵀb + beta·c`` for batches of ``rows`` rows, prepared in pieces of c's rows — or None
        where pieces do not pay."""
        m, n = c.shape
        count = self.pieces(m, n * rows)
        return SplitAtb(self, c, rows, count, alpha, beta) if count > 1 else None

    def _batch(self, trans_a: int, sizes: list[tuple[int, int, int]], lda: int, ldb: int, ldc: int,
               alpha: float, beta: float) -> _Batch:
        return _Batch(self._gemm_batch, self._real, self._integer, trans_a, sizes, lda, ldb, ldc, alpha, beta)


_cache: dict[np.dtype, Blas | None] = {}


def get(dtype: Any) -> Blas | None:
    """The :class:`Blas` for ``dtype`` (float32 or float64), or None where NumPy's BLAS cannot be reached
    (then callers compute products with NumPy)."""
    key = np.dtype(dtype)
    if key not in _cache:
        _cache[key] = _load(key) if os.environ.get("FNLEARN_NUMPY_ONLY_BLAS", "") in ("", "0") else None
    return _cache[key]


def _numpy_library() -> str | None:
    """The OpenBLAS shared library that NumPy's wheel ships and has loaded, or None."""
    # os.path, not pathlib: pathlib and the modules it loads were 0.6 MiB of a training process's peak memory
    root = os.path.dirname(os.path.realpath(np.__file__))
    folders = [os.path.join(os.path.dirname(root), "numpy.libs"), os.path.join(root, ".dylibs")]
    found = [os.path.join(folder, name) for folder in folders if os.path.isdir(folder)
             for name in os.listdir(folder) if "openblas" in name.lower()]
    if len(found) != 1:
        return None
    if sys.platform.startswith("linux") and os.path.exists("/proc/self/maps"):
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            if found[0] not in maps.read():
                return None  # NumPy did not load it: calling it would start a second BLAS beside NumPy's
    return found[0]


def _load(dtype: np.dtype) -> Blas | None:
    letter = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}.get(dtype)
    path = _numpy_library()
    if letter is None or path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    real = ctypes.c_float if letter == "s" else ctypes.c_double
    # NumPy's wheels name their 64-bit-integer OpenBLAS's symbols scipy_cblas_sgemm64_ (and
    # scipy_openblas_get_num_threads64_); older ones cblas_sgemm64_
    wide, narrow = ctypes.c_int64, ctypes.c_int
    names = (("scipy_", "64_", wide), ("", "64_", wide), ("scipy_", "", narrow), ("", "", narrow))
    found = [(getattr(lib, f"{prefix}cblas_{letter}gemm{suffix}", None), prefix, suffix, integer)
             for prefix, suffix, integer in names]
    gemm, prefix, suffix, integer = next((entry for entry in found if entry[0] is not None), (None, "", "", None))
    if gemm is None:
        return None
    enum, ptr = ctypes.c_int, ctypes.c_void_p
    gemm.restype = None
    gemm.argtypes = [enum, enum, enum, integer, integer, integer, real, ptr, integer, ptr, integer, real, ptr,
                     integer]
    gemm_batch = getattr(lib, f"{prefix}cblas_{letter}gemm_batch{suffix}", None)
    threads = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
    if gemm_batch is not None and threads is not None:
        gemm_batch.restype = None
        threads.restype, threads.argtypes = ctypes.c_int, []
    blas = Blas(gemm, dtype, gemm_batch, threads, real, integer)
    if not _agrees_with_numpy(blas):
        return None
    if blas._gemm_batch is not None and not _batch_agrees_with_numpy(blas):
        blas._gemm_batch = None  # keep the plain GEMM, never split
    return blas


def _tolerance(dtype: np.dtype) -> float:
    return 1e-5 if dtype == np.float32 else 1e-12


def _agrees_with_numpy(blas: Blas) -> bool:
    """A small product through both routes: a library with another calling convention fails here."""
    rng = np.random.default_rng(0)
    a, b, c = (rng.random(shape, dtype=blas.dtype) for shape in ((5, 3), (5, 4), (3, 4)))
    want = c - 0.5 * (a.T @ b)
    blas._gemm(_ROW_MAJOR, _TRANS, _NO_TRANS, 3, 4, 5, -0.5, a.ctypes.data, 3, b.ctypes.data, 4, 1.0,
               c.ctypes.data, 4)
    tol = _tolerance(blas.dtype)
    return bool(np.allclose(c, want, rtol=tol, atol=tol))


def _batch_agrees_with_numpy(blas: Blas) -> bool:
    """Both split products, in two uneven pieces each (whatever the thread count), against NumPy's."""
    rng = np.random.default_rng(1)
    m, k, n = 40, 301, 200  # every piece of either product is above _PIECE_MIN
    # drawn in the checked dtype: no float64 drafts, whose 0.5 MB each would count in a training run's peak
    a, w = rng.random((m, k), dtype=blas.dtype), rng.random((k, n), dtype=blas.dtype)
    out = np.empty((m, n), blas.dtype)
    SplitProduct(blas, w, m, 2)(a, out)
    d, c = rng.random((m, n), dtype=blas.dtype), rng.random((k, n), dtype=blas.dtype)
    want_c = c - 0.5 * (a.T @ d)
    SplitAtb(blas, c, m, 2, -0.5, 1.0)(a, d)
    tol = _tolerance(blas.dtype) * 10
    return bool(np.allclose(out, a @ w, rtol=tol, atol=tol) and np.allclose(c, want_c, rtol=tol, atol=tol))
