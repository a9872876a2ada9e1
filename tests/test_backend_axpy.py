"""backend.axpy: the in-place update y += a·x, through BLAS where it can."""

from __future__ import annotations

import numpy as np
import pytest

from fnlearn import backend


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5)])
def test_axpy_updates_in_place(dtype, shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype(dtype)
    y = rng.normal(size=shape).astype(dtype)
    expected = y + dtype(-0.3) * x
    before = y
    backend.axpy(-0.3, x, y)
    assert y is before
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_axpy_on_strided_views_and_mixed_dtypes():
    base = np.zeros((4, 6))
    view = base[:, ::2]  # not contiguous: the NumPy expression handles it
    backend.axpy(2.0, np.ones((4, 3)), view)
    assert np.all(base[:, ::2] == 2.0) and np.all(base[:, 1::2] == 0.0)
    y = np.ones(3, dtype=np.float32)
    backend.axpy(1.0, np.ones(3, dtype=np.float64), y)
    assert y.dtype == np.float32 and np.all(y == 2.0)
