"""Shared fixtures: every test starts and ends with fnlearn's default settings."""

from __future__ import annotations

import importlib
import os

import pytest

import fnlearn as fl
from fnlearn import backend

# the module, not the fl.tensor() function that shares its name
tensor_module = importlib.import_module("fnlearn.tensor")

# FNLEARN_TEST_BACKEND=cupy runs every test on CuPy (a GPU machine); cupy-standin runs them on the NumPy
# stand-in for CuPy (tests/cupy_standin.py), which fails on host/device mix-ups as CuPy would
TEST_BACKEND = os.environ.get("FNLEARN_TEST_BACKEND", "numpy")
if TEST_BACKEND == "cupy-standin":
    import cupy_standin

    cupy_standin.install()


@pytest.fixture(autouse=True)
def _restore_fnlearn_settings():
    """Undo whatever a test did to the default dtype, the seed, the backend or grad mode."""
    state = backend._state
    saved = (state.xp, state.name, state.dtype, state.seed, state.rng)
    grad_enabled = tensor_module._grad_enabled
    if TEST_BACKEND in ("cupy", "cupy-standin"):
        fl.set_backend("cupy")
    yield
    state.xp, state.name, state.dtype, state.seed, state.rng = saved
    tensor_module._grad_enabled = grad_enabled


@pytest.fixture(autouse=True)
def _no_keras_cache(monkeypatch, tmp_path_factory):
    """No test reads the data sets a real Keras may have left in this computer's ~/.keras/datasets."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras-home")))


@pytest.fixture
def float64():
    """Run the test with float64 as the default dtype (restored afterwards by the fixture above)."""
    fl.set_default_dtype("float64")
    yield
