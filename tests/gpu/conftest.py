"""The ``backend`` fixture: every test that takes it runs once per array library.

NumPy always runs. CuPy runs when it imports and sees a GPU, and is otherwise reported as skipped
with the reason, so a CPU-only run shows what it did not cover. Where it is skipped, the NumPy stand-in
for CuPy (tests/cupy_standin.py) takes its place as ``cupy-standin``: the same CuPy code path, with
CuPy's rules on host and device arrays and on stream capture, run on the CPU.
"""

from __future__ import annotations

import sys

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
CUPY_BACKENDS = [
    pytest.param("cupy", marks=pytest.mark.skipif(CUPY_REASON is not None, reason=CUPY_REASON or "")),
    pytest.param("cupy-standin", marks=pytest.mark.skipif(
        CUPY_REASON is None, reason="the cupy case runs here (on a GPU, or on the stand-in for the whole suite)"))]


def _switch(name: str, monkeypatch: pytest.MonkeyPatch):
    """Switch to the backend ``name`` (the stand-in for "cupy-standin") and yield the name fl.set_backend takes."""
    if name == "cupy-standin":
        import cupy_standin

        standin = cupy_standin.module()
        monkeypatch.setitem(sys.modules, "cupy", standin)
        monkeypatch.setitem(sys.modules, "cupy.cuda", standin.cuda)
        name = "cupy"
    fl.set_backend(name)
    yield name
    if name == "cupy":
        import cupy

        cupy.cuda.get_current_stream().synchronize()


@pytest.fixture(params=["numpy", *CUPY_BACKENDS])
def backend(request, monkeypatch):
    """The backend's name for ``fl.set_backend`` ("numpy" or "cupy"), already switched to (the root conftest
    switches back after the test)."""
    yield from _switch(request.param, monkeypatch)


@pytest.fixture(params=CUPY_BACKENDS)
def cupy_backend(request, monkeypatch):
    """Like ``backend``, for what only CuPy has (CUDA-graph capture): CuPy, or its stand-in."""
    yield from _switch(request.param, monkeypatch)
