"""fnlearn.captured_blas: products recorded as cuBLAS gemm calls give what ``a @ b`` gives, for every layout of
1-D and 2-D operands (rows, columns, strided views) and every kind of ``out``; the launcher is the test
stand-in's, which reads the arrays' memory by cuBLAS's column rules, so a wrong leading dimension or
transpose flag shows here as a wrong product (the GPU's own launcher is checked in tests/gpu)."""

from __future__ import annotations

import ctypes
import ctypes.util

import cupy_standin
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fnlearn import captured_blas
from fnlearn.captured_blas import OP_N, OP_T, layout, matmul, recording

pytestmark = pytest.mark.host_only  # NumPy arrays through the stand-in's gemm: the same on every backend

KINDS = ("rows", "columns", "strided", "vector")


def _operand(rng: np.random.Generator, kind: str, rows: int, cols: int, dtype: type) -> np.ndarray:
    """A (rows, cols) operand stored as ``kind`` says ("vector": 1-D, for a side where the product takes one)."""
    if kind == "rows":
        return rng.normal(size=(rows, cols)).astype(dtype)
    if kind == "columns":
        return rng.normal(size=(cols, rows)).astype(dtype).T
    if kind == "strided":
        return rng.normal(size=(rows, 2 * cols)).astype(dtype)[:, ::2]
    return rng.normal(size=rows * cols).astype(dtype)


@settings(max_examples=60, deadline=None)
@given(m=st.integers(1, 5), k=st.integers(0, 5), n=st.integers(1, 5), a_kind=st.sampled_from(KINDS),
       b_kind=st.sampled_from(KINDS), out_kind=st.sampled_from(["none", "contiguous", "strided"]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_a_recorded_product_is_a_at_b_for_every_layout(m, k, n, a_kind, b_kind, out_kind, dtype, seed):
    rng = np.random.default_rng(seed)
    a = _operand(rng, a_kind, m, k, dtype) if a_kind != "vector" else _operand(rng, "vector", 1, k, dtype)
    b = _operand(rng, b_kind, k, n, dtype) if b_kind != "vector" else _operand(rng, "vector", k, 1, dtype)
    want = a @ b
    out = None
    if out_kind == "contiguous":
        out = np.full(want.shape, np.nan, dtype=dtype)
    elif out_kind == "strided" and want.ndim == 2:
        out = np.full((want.shape[0], 2 * want.shape[1]), np.nan, dtype=dtype)[:, ::2]
    gemm = cupy_standin.CaptureGemm()
    with recording(gemm):
        got = matmul(a, b, out=out)
    assert got.shape == want.shape and got.dtype == want.dtype
    if out is not None:
        assert got is out
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    assert gemm.calls == (1 if k else 0)  # one gemm per product; none when there is nothing to sum


def test_layout_names_how_cublas_reads_each_array():
    a = np.zeros((3, 4), np.float32)
    assert layout(a) == (OP_N, 4)  # by rows: its memory read by columns is aᵀ
    assert layout(a.T) == (OP_T, 4)  # by columns: its memory is the matrix itself
    assert layout(a[:, :2]) == (OP_N, 4)  # a row-major view keeps its parent's leading dimension
    assert layout(a[:, ::2]) is None and layout(np.broadcast_to(a[:1], (3, 4))) is None  # copied first
    assert layout(a[:1]) == (OP_N, 4) and layout(a[:, :1]) == (OP_N, 4)  # one row or one column
    assert layout(np.zeros((1, 1))) == (OP_N, 1)


def test_outside_a_recording_it_is_the_array_librarys_product():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(3.0)
    np.testing.assert_array_equal(matmul(a, b), a @ b)
    with recording(None):  # a recording with nothing to refuse products (NumPy)
        np.testing.assert_array_equal(matmul(a, b), a @ b)


def test_what_cannot_be_recorded_says_so_and_the_recording_ends_with_the_block():
    gemm = cupy_standin.CaptureGemm()
    with pytest.raises(NotImplementedError, match=r"1-D and 2-D arrays, got 3-D and 2-D; pass capture=False"):
        with recording(gemm):
            matmul(np.ones((2, 2, 2)), np.ones((2, 2)))
    assert captured_blas._launcher is None  # the block's end restored "no recording", error or not
    with recording(gemm), pytest.raises(NotImplementedError, match=r"two float32 or two float64 arrays, got int64"):
        matmul(np.ones((2, 2), np.int64), np.ones((2, 2), np.int64))
    with recording(gemm), pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2, 2\) do not line up"):
        matmul(np.ones((2, 3)), np.ones((2, 2)))
    assert gemm.calls == 0


def test_without_cublas_making_the_launcher_says_what_to_do(monkeypatch):
    def no_library(name, *args, **kwargs):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    with pytest.raises(RuntimeError, match=r"cuBLAS's library is neither loaded .* pass capture=False"):
        captured_blas.Cublas(stream=None, xp=np)

