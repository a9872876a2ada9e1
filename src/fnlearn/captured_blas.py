"""Matrix products that a CUDA graph can record.

CuPy refuses every cuBLAS call while a stream captures: its binding checks the stream before each call and
raises ``NotImplementedError: calling cuBLAS API during stream capture is currently unsupported``, so a
captured training step could not hold a single ``a @ w``. cuBLAS itself records into graphs, provided its
handle is set up before the capture begins: bound to the capturing stream, in host pointer mode (α and β are
then recorded by value) and with a workspace of its own (so it allocates nothing while capturing). So while
:class:`fnlearn.gpu.CapturedStep` records a step, :func:`matmul` calls cuBLAS's ``gemm`` itself, through
ctypes, on such a handle (:class:`Cublas`); at any other time it is the array library's own product.

>>> import numpy as np
>>> matmul(np.ones((2, 3)), np.ones(3))   # no recording under way: the array library's product
array([3., 3.])
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import backend

OP_N, OP_T = 0, 1  # cublasOperation_t: as stored, transposed
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

_launcher: Any = None  # the gemm of the recording under way, or None


def matmul(a: Any, b: Any, out: Any = None) -> Any:
    """``a @ b`` (into ``out`` when given) for 1-D and 2-D arrays; recordable while a step is recorded.

    >>> import numpy as np
    >>> out = np.empty((2, 2))
    >>> matmul(np.eye(2), np.full((2, 2), 3.0), out=out) is out
    True
    """
    launcher = _launcher
    if launcher is None:
        if out is None:
            return a @ b
        return (np if type(a) is np.ndarray else backend.xp()).matmul(a, b, out=out)
    return _recorded_product(launcher, a, b, out)


@contextlib.contextmanager
def recording(launcher: Any) -> Iterator[None]:
    """Within the block, :func:`matmul` runs through ``launcher.gemm`` (None: the array library's product).

    >>> import numpy as np
    >>> with recording(None):
    ...     print(matmul(np.ones(2), np.ones(2)))
    2.0
    """
    global _launcher
    before, _launcher = _launcher, launcher
    try:
        yield
    finally:
        _launcher = before


def layout(x: Any) -> tuple[int, int] | None:
    """How cuBLAS, which reads matrices by columns, sees the 2-D array ``x``'s transpose: ``(OP_N, ld)`` when
    ``x`` is stored by rows (its memory, read by columns, is xᵀ), ``(OP_T, ld)`` when stored by columns (its
    memory is x itself), None when neither (negative or uneven strides: copy it first).

    >>> import numpy as np
    >>> a = np.zeros((3, 4), np.float32)
    >>> layout(a), layout(a.T), layout(a[:, ::2])
    ((0, 4), (1, 4), None)
    """
    rows, cols = x.shape
    item = x.dtype.itemsize
    if any(s % item or s < 0 for s in x.strides):
        return None
    s0, s1 = (s // item for s in x.strides)
    if (cols == 1 or s1 == 1) and (rows == 1 or s0 >= cols):
        return OP_N, max(s0 if rows > 1 else cols, 1)
    if (rows == 1 or s0 == 1) and (cols == 1 or s1 >= rows):
        return OP_T, max(s1 if cols > 1 else rows, 1)
    return None


def _recorded_product(launcher: Any, a: Any, b: Any, out: Any) -> Any:
    """``a @ b`` as one ``gemm`` of ``launcher``: C = A·B by rows is Cᵀ = Bᵀ·Aᵀ by columns."""
    if a.ndim not in (1, 2) or b.ndim not in (1, 2):
        raise NotImplementedError(f"a recorded product takes 1-D and 2-D arrays, got {a.ndim}-D and {b.ndim}-D; "
                                  "pass capture=False to train uncaptured.")
    if a.dtype != b.dtype or a.dtype not in _FLOATS:
        raise NotImplementedError(f"a recorded product takes two float32 or two float64 arrays, got {a.dtype} and "
                                  f"{b.dtype}; pass capture=False to train uncaptured.")
    xp = np if type(a) is np.ndarray else backend.xp()  # the operands' own library, whatever the backend
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    (m, k), (k_b, n) = a2.shape, b2.shape
    if k != k_b:
        raise ValueError(f"matmul: the shapes {a.shape} and {b.shape} do not line up ({k} against {k_b}).")
    shape = tuple(size for size, kept in ((m, a.ndim == 2), (n, b.ndim == 2)) if kept)  # as a @ b's
    target = out if out is not None and out.flags.c_contiguous and out.dtype == a.dtype else None
    c = (target if target is not None else xp.empty((m, n), dtype=a.dtype)).reshape(m, n)
    if m and n:
        if k == 0:
            c.fill(0)
        else:
            a_op, b_op = layout(a2), layout(b2)
            if a_op is None:
                a2 = xp.ascontiguousarray(a2)
                a_op = layout(a2)
            if b_op is None:
                b2 = xp.ascontiguousarray(b2)
                b_op = layout(b2)
            launcher.gemm(b_op[0], a_op[0], n, m, k, b2, b_op[1], a2, a_op[1], c, max(n, 1))
    result = c.reshape(shape)
    if out is not None and target is None:
        out[...] = result
        return out
    return out if out is not None else result


class Cublas:
    """cuBLAS's ``gemm`` through ctypes, on a handle of its own bound to ``stream`` and set up for recording:
    host pointer mode and its own workspace. Make it before the capture begins (it allocates).

    Example (on a machine with an NVIDIA GPU and CuPy)::

        gemm = Cublas(stream, cupy)
        stream.begin_capture()
        with recording(gemm):
            c = matmul(a, b)
        graph = stream.end_capture()
    """

    # cuBLAS's advice for Hopper's workspace; more than enough for the chips before it
    WORKSPACE_BYTES = 32 << 20

    def __init__(self, stream: Any, xp: Any) -> None:
        import ctypes  # here, not at import: ctypes.util brings subprocess and tempfile, which a CPU run never needs

        lib = _library()
        for name in ("cublasSgemm_v2", "cublasDgemm_v2"):
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                           ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                           ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                           ctypes.c_int]
        handle = ctypes.c_void_p()
        _check(lib.cublasCreate_v2(ctypes.byref(handle)), "cublasCreate")
        self._lib, self._handle = lib, handle
        # destroyed with this object; not at exit, when the CUDA context may already be gone
        weakref.finalize(self, lib.cublasDestroy_v2, handle).atexit = False
        self.workspace = xp.empty(self.WORKSPACE_BYTES, dtype=np.uint8)
        _check(lib.cublasSetStream_v2(handle, ctypes.c_void_p(stream.ptr)), "cublasSetStream")
        _check(lib.cublasSetPointerMode_v2(handle, 0), "cublasSetPointerMode")  # CUBLAS_POINTER_MODE_HOST
        _check(lib.cublasSetWorkspace_v2(handle, ctypes.c_void_p(self.workspace.data.ptr),
                                         ctypes.c_size_t(self.workspace.nbytes)), "cublasSetWorkspace")
        # α = 1 and β = 0 of each dtype, kept alive with the handle: cuBLAS reads them when each call is recorded
        self._scalars = (ctypes.c_float(1.0), ctypes.c_float(0.0), ctypes.c_double(1.0), ctypes.c_double(0.0))
        one32, zero32, one64, zero64 = (ctypes.addressof(v) for v in self._scalars)
        self._calls = {np.dtype(np.float32): (lib.cublasSgemm_v2, one32, zero32),
                       np.dtype(np.float64): (lib.cublasDgemm_v2, one64, zero64)}

    def gemm(self, transa: int, transb: int, m: int, n: int, k: int, a: Any, lda: int, b: Any, ldb: int, c: Any,
             ldc: int) -> None:
        """c = op(a)·op(b), all three read by columns (c is m × n); a, b and c are device arrays whose first
        element starts each matrix."""
        fn, one, zero = self._calls[c.dtype]
        _check(fn(self._handle, transa, transb, m, n, k, one, a.data.ptr, lda, b.data.ptr, ldb, zero, c.data.ptr, ldc),
               "gemm")


def _check(status: int, what: str) -> None:
    if status != 0:
        raise RuntimeError(f"cuBLAS's {what} failed with status {status}; pass capture=False to train uncaptured.")


def _library() -> Any:
    """The cuBLAS library CuPy loaded (read off the process's memory map), else one found by name."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError):
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rstrip("\n").split(maxsplit=5)[-1]
                if os.path.basename(path).startswith("libcublas.so"):
                    return ctypes.CDLL(path)
    for name in ("libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "cublas64_13.dll", "cublas64_12.dll",
                 "cublas64_11.dll", ctypes.util.find_library("cublas")):
        if name:
            with contextlib.suppress(OSError):
                return ctypes.CDLL(name)
    raise RuntimeError("cuBLAS's library is neither loaded in this process nor on the library path, so the "
                       "training step cannot be recorded; pass capture=False to train uncaptured.")
