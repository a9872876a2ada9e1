"""The ``backend`` fixture: every test that takes it runs once per array library.

NumPy always runs; CuPy runs when it imports and sees a GPU, and is otherwise reported as skipped
with the reason, so a CPU-only run shows what it did not cover.
"""

from __future__ import annotations

import pytest

import fnlearn as fl


def _cupy_reason() -> str | None:
    """None when CuPy imports and sees a GPU, else why not."""
    try:
        import cupy
    except ImportError:
        return "no CUDA GPU/CuPy: CuPy is not installed"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "no CUDA GPU/CuPy: CuPy sees no GPU"
    except Exception as exc:  # CuPy raises its own CUDA errors without a driver
        return f"no CUDA GPU/CuPy: {exc.__class__.__name__}"
    return None


CUPY_REASON = _cupy_reason()
BACKENDS = ["numpy", pytest.param("cupy", marks=pytest.mark.skipif(CUPY_REASON is not None,
                                                                   reason=CUPY_REASON or ""))]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """The backend's name, already switched to (the root conftest switches back after the test)."""
    fl.set_backend(request.param)
    yield request.param
    if request.param == "cupy":
        import cupy

        cupy.cuda.get_current_stream().synchronize()
