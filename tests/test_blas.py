"""The GEMM call into NumPy's own BLAS: same numbers as NumPy, refused where it cannot be trusted."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from fnlearn import blas


def _needs_blas(dtype):
    found = blas.get(dtype)
    if found is None:
        pytest.skip("NumPy's own BLAS cannot be called here (not NumPy's OpenBLAS wheel)")
    return found


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-13)])
@pytest.mark.parametrize("k,m,n", [(1, 1, 1), (3, 5, 2), (16, 7, 6), (100, 784, 100), (33, 20, 257)])
@pytest.mark.parametrize("alpha,beta", [(-1.0, 1.0), (0.25, 1.0), (1.0, 0.0), (2.0, 0.5)])
def test_atb_is_alpha_a_transposed_b_plus_beta_c(dtype, tol, k, m, n, alpha, beta):
    lib = _needs_blas(dtype)
    rng = np.random.default_rng(k * 1000 + m + n)
    a, b = rng.normal(size=(k, m)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)
    c = rng.normal(size=(m, n)).astype(dtype)
    want = beta * c + alpha * (a.T @ b)
    lib.atb(a, b, c, alpha=alpha, beta=beta)
    np.testing.assert_allclose(c, want, rtol=tol, atol=tol * max(1.0, np.sqrt(k)))


def test_atb_writes_only_its_target():
    lib = _needs_blas(np.float64)
    flat = np.zeros(2 + 12 + 2)
    target = flat[2:14].reshape(4, 3)  # a view inside a bigger buffer, as the fast step's kernels are
    lib.atb(np.ones((2, 4)), np.ones((2, 3)), target, alpha=-1.0, beta=1.0)
    assert np.all(target == -2.0) and np.all(flat[:2] == 0) and np.all(flat[14:] == 0)


def _needs_batch(dtype, monkeypatch, threads=2):
    lib = _needs_blas(dtype)
    if lib._gemm_batch is None:
        pytest.skip("NumPy's OpenBLAS has no gemm_batch here (before 0.3.28)")
    monkeypatch.setattr(blas.Blas, "threads", lambda self: threads)  # whatever this machine has
    return lib


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-13)])
@pytest.mark.parametrize("m,k,n", [(100, 784, 100), (32, 784, 100), (64, 1001, 37), (256, 300, 300)])
@pytest.mark.parametrize("threads", [2, 3, 8])
def test_split_product_is_the_product(monkeypatch, dtype, tol, m, k, n, threads):
    lib = _needs_batch(dtype, monkeypatch, threads)
    rng = np.random.default_rng(m + k + n)
    a, w = rng.normal(size=(m, k)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)
    split = lib.split_product(w, m)
    count = len(split._offsets)
    assert 2 <= count <= threads and m * n * (k // count) > blas._PIECE_MIN
    for _ in range(2):  # a prepared product serves batch after batch
        out = np.full((m, n), np.nan, dtype)
        split(a, out)
        np.testing.assert_allclose(out, a @ w, rtol=tol * 10, atol=tol * 10 * np.sqrt(k))
        a = rng.normal(size=(m, k)).astype(dtype)


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-5), (np.float64, 1e-13)])
@pytest.mark.parametrize("k,m,n", [(100, 784, 100), (32, 784, 100), (1000, 301, 50)])
@pytest.mark.parametrize("alpha,beta", [(-1.0, 1.0), (1.0, 0.0)])
@pytest.mark.parametrize("threads", [2, 3])
def test_split_atb_is_alpha_a_transposed_b_plus_beta_c(monkeypatch, dtype, tol, k, m, n, alpha, beta, threads):
    lib = _needs_batch(dtype, monkeypatch, threads)
    rng = np.random.default_rng(k + m + n)
    flat = rng.normal(size=m * n + 2).astype(dtype)
    c = flat[1:-1].reshape(m, n)  # a view inside a bigger buffer, as the fast step's kernels are
    edges = flat[[0, -1]].copy()
    split = lib.split_atb(c, k, alpha=alpha, beta=beta)
    assert 2 <= len(split._offsets) <= threads
    for _ in range(2):
        a, b = rng.normal(size=(k, m)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)
        want = beta * c + alpha * (a.T @ b)
        split(a, b)
        np.testing.assert_allclose(c, want, rtol=tol * 10, atol=tol * 10 * np.sqrt(k))
    assert np.array_equal(flat[[0, -1]], edges)  # nothing written outside c


def test_split_products_refuse_other_shapes(monkeypatch):
    """A prepared product writes through fixed pointers: arrays of another shape are refused, not read past."""
    lib = _needs_batch(np.float32, monkeypatch)
    w = np.zeros((784, 100), np.float32)
    product, atb = lib.split_product(w, 100), lib.split_atb(w, 100)
    with pytest.raises(ValueError, match="prepared for"):
        product(np.zeros((50, 784), np.float32), np.zeros((50, 100), np.float32))
    with pytest.raises(ValueError, match="prepared for"):
        product(np.zeros((100, 784), np.float32), np.zeros((100, 10), np.float32))
    with pytest.raises(ValueError, match="prepared for"):
        atb(np.zeros((100, 784), np.float32), np.zeros((99, 100), np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        product(np.zeros((100, 784)), np.zeros((100, 100), np.float32))  # float64
    with pytest.raises(ValueError, match="C-contiguous"):
        atb(np.zeros((784, 100), np.float32).T, np.zeros((100, 100), np.float32))  # a transposed view


def test_pieces_stay_above_the_size_gemm_batch_handles(monkeypatch):
    """OpenBLAS's gemm_batch crashes on a piece of m·n·k ≤ 100³ (its DYNAMIC_ARCH small-matrix bug): no piece
    is ever that small, whatever the thread count; a product too small for two pieces is one ordinary call."""
    lib = _needs_batch(np.float32, monkeypatch, threads=64)
    for split in (1, 2, 10, 100, 392, 784, 10_000):
        for other in (1, 100, 10_000, 50_000, 3_200_000):
            count = lib.pieces(split, other)
            assert 1 <= count <= min(64, split)
            assert count == 1 or (split // count) * other > blas._PIECE_MIN
    w = np.zeros((784, 100), np.float32)
    assert lib.pieces(784, 100 * 100) > 1 and lib.pieces(100, 100 * 100) == 1  # 100³ itself: one call
    assert lib.split_product(np.zeros((100, 100), np.float32), 100) is None
    assert lib.split_product(w, blas._PRODUCT_ROWS_MAX + 1) is None  # OpenBLAS's own split does as well
    assert lib.split_atb(w, 1000) is not None
    monkeypatch.setattr(blas.Blas, "threads", lambda self: 1)
    assert lib.split_product(w, 100) is None and lib.split_atb(w, 100) is None


def test_without_gemm_batch_nothing_is_split():
    lib = blas.Blas(lambda *args: None, np.float32)
    w = np.zeros((784, 100), np.float32)
    assert lib.pieces(784, 10_000) == 1 and lib.split_product(w, 100) is None and lib.split_atb(w, 100) is None


def test_a_gemm_batch_that_disagrees_is_dropped_and_gemm_kept(monkeypatch):
    _needs_batch(np.float64, monkeypatch)
    monkeypatch.setattr(blas, "_cache", {})
    monkeypatch.setattr(blas, "_batch_agrees_with_numpy", lambda lib: False)
    lib = blas.get(np.float64)
    assert lib is not None and lib._gemm_batch is None and lib.pieces(784, 10_000) == 1


def test_fits_takes_only_c_contiguous_arrays_of_its_dtype():
    lib = _needs_blas(np.float32)
    a = np.zeros((4, 3), np.float32)
    assert lib.fits(a, a[1:])
    assert not lib.fits(a, a.T)  # not C-contiguous
    assert not lib.fits(a.astype(np.float64))
    assert not lib.fits(np.asfortranarray(np.zeros((4, 3), np.float32)))
    assert not lib.fits(np.ma.masked_array(a))  # a subclass may not hold plain memory


def test_numpy_wheel_blas_is_found():
    """NumPy's wheels ship OpenBLAS beside the package: there it must be found, for both dtypes."""
    if blas._numpy_library() is None:
        pytest.skip("this NumPy does not ship its own OpenBLAS (e.g. a conda or Accelerate build)")
    assert blas.get(np.float32) is not None and blas.get(np.float64) is not None


def test_gemm_batch_is_used_where_numpys_openblas_has_it():
    """Where NumPy's OpenBLAS exports gemm_batch (0.3.28 and later), the split products pass their check against
    NumPy's products and are used: a broken split fails here instead of being quietly turned off."""
    import ctypes

    path = blas._numpy_library()
    if path is None:
        pytest.skip("this NumPy does not ship its own OpenBLAS (e.g. a conda or Accelerate build)")
    lib = ctypes.CDLL(str(path))
    if not any(hasattr(lib, f"{prefix}cblas_sgemm_batch{suffix}") for prefix in ("scipy_", "")
               for suffix in ("64_", "")):
        pytest.skip("this NumPy's OpenBLAS predates gemm_batch (0.3.28)")
    for dtype in (np.float32, np.float64):
        assert blas.get(dtype)._gemm_batch is not None


def test_environment_variable_turns_it_off(monkeypatch):
    monkeypatch.setattr(blas, "_cache", {})
    monkeypatch.setenv("FNLEARN_NUMPY_ONLY_BLAS", "1")
    assert blas.get(np.float32) is None and blas.get(np.float64) is None


def test_other_dtypes_get_none(monkeypatch):
    monkeypatch.setattr(blas, "_cache", {})
    assert blas.get(np.float16) is None and blas.get(np.int64) is None


def test_a_library_that_disagrees_with_numpy_is_refused():
    def gemm_that_does_nothing(*args):
        return None

    assert not blas._agrees_with_numpy(blas.Blas(gemm_that_does_nothing, np.float64))


def test_a_gemm_batch_that_does_nothing_is_refused(monkeypatch):
    lib = _needs_batch(np.float64, monkeypatch)
    assert blas._batch_agrees_with_numpy(lib)
    broken = blas.Blas(lib._gemm, np.float64, lambda *args: None, lib._threads)
    assert not blas._batch_agrees_with_numpy(broken)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_a_library_numpy_did_not_load_is_not_used(monkeypatch, tmp_path):
    """Calling an OpenBLAS NumPy did not load would start a second thread pool fighting NumPy's for the cores."""
    fake_root = tmp_path / "numpy"
    (tmp_path / "numpy.libs").mkdir()
    (tmp_path / "numpy.libs" / "libscipy_openblas64_-unloaded.so").write_bytes(b"")
    fake_root.mkdir()
    monkeypatch.setattr(np, "__file__", str(fake_root / "__init__.py"))
    assert blas._numpy_library() is None
