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
@pytest.mark.parametrize("alpha", [-1.0, 0.25])
def test_add_atb_is_c_plus_alpha_a_transposed_b(dtype, tol, k, m, n, alpha):
    lib = _needs_blas(dtype)
    rng = np.random.default_rng(k * 1000 + m + n)
    a, b = rng.normal(size=(k, m)).astype(dtype), rng.normal(size=(k, n)).astype(dtype)
    c = rng.normal(size=(m, n)).astype(dtype)
    want = c + alpha * (a.T @ b)
    lib.add_atb(a, b, c, alpha)
    np.testing.assert_allclose(c, want, rtol=tol, atol=tol * max(1.0, np.sqrt(k)))


def test_add_atb_writes_only_its_target():
    lib = _needs_blas(np.float64)
    flat = np.zeros(2 + 12 + 2)
    target = flat[2:14].reshape(4, 3)  # a view inside a bigger buffer, as the fast step's kernels are
    lib.add_atb(np.ones((2, 4)), np.ones((2, 3)), target, -1.0)
    assert np.all(target == -2.0) and np.all(flat[:2] == 0) and np.all(flat[14:] == 0)


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_a_library_numpy_did_not_load_is_not_used(monkeypatch, tmp_path):
    """Calling an OpenBLAS NumPy did not load would start a second thread pool fighting NumPy's for the cores."""
    fake_root = tmp_path / "numpy"
    (tmp_path / "numpy.libs").mkdir()
    (tmp_path / "numpy.libs" / "libscipy_openblas64_-unloaded.so").write_bytes(b"")
    fake_root.mkdir()
    monkeypatch.setattr(np, "__file__", str(fake_root / "__init__.py"))
    assert blas._numpy_library() is None
