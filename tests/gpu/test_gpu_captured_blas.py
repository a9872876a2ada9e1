"""Matrix products inside a CUDA-graph recording (fnlearn.captured_blas): CuPy's own ``a @ b`` is refused while a
stream captures; through the recording's gemm the products are recorded, and each replay computes them again
from what the arrays hold then. On a GPU the gemm is cuBLAS through ctypes; on the stand-in, its column-rule
model."""

from __future__ import annotations

import numpy as np
import pytest

from fnlearn import backend as B
from fnlearn.captured_blas import Cublas, matmul, recording


def _gemm(cuda, stream):
    make = getattr(cuda, "capture_gemm", None)  # the stand-in's
    return make(stream) if make is not None else Cublas(stream, B.xp())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_recorded_in_a_graph_are_computed_again_at_each_replay(cupy_backend, dtype):
    xp = B.xp()
    rng = np.random.default_rng(0)
    a_h, b_h, v_h = rng.normal(size=(7, 5)), rng.normal(size=(6, 5)), rng.normal(size=5)
    stream = xp.cuda.Stream(non_blocking=True)
    with stream:
        a, b, v = (xp.asarray(h.astype(dtype)) for h in (a_h, b_h, v_h))
        out = xp.zeros((7, 6), dtype=dtype)
        gemm = _gemm(xp.cuda, stream)
        stream.begin_capture()
        try:
            with pytest.raises(NotImplementedError, match="cuBLAS"):
                a @ b.T  # CuPy's own product refuses, before it records anything
            with recording(gemm):
                matmul(a, b.T, out=out)  # by rows times by columns, into a given array
                row_sums = matmul(a, v)  # a matrix times a vector, into a new array of the graph's
                total = matmul(v, v)  # two vectors: a 0-d array
        finally:
            graph = stream.end_capture()
        for scale in (1.0, -2.0):  # each replay reads what a holds now
            a[...] = xp.asarray((scale * a_h).astype(dtype))
            graph.launch(stream)
            stream.synchronize()
            tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
            np.testing.assert_allclose(B.to_numpy(out), scale * a_h @ b_h.T, **tol)
            np.testing.assert_allclose(B.to_numpy(row_sums), scale * a_h @ v_h, **tol)
            np.testing.assert_allclose(B.to_numpy(total), v_h @ v_h, **tol)
            assert B.to_numpy(total).shape == ()
