"""Shared fixtures: every test starts and ends with fnlearn's default settings."""

from __future__ import annotations

import importlib
import os

import pytest

import fnlearn as fl
from fnlearn import backend

# the module, not the fl.tensor() function that shares its name
tensor_module = importlib.import_module("fnlearn.tensor")


@pytest.fixture(autouse=True)
def _restore_fnlearn_settings():
    """Undo whatever a test did to the default dtype, the seed, the backend or grad mode."""
    state = backend._state
    saved = (state.xp, state.name, state.dtype, state.seed, state.rng)
    grad_enabled = tensor_module._grad_enabled
    if os.environ.get("FNLEARN_TEST_BACKEND") == "cupy":
        fl.set_backend("cupy")  # the whole suite on the GPU: FNLEARN_TEST_BACKEND=cupy python -m pytest
    yield
    state.xp, state.name, state.dtype, state.seed, state.rng = saved
    tensor_module._grad_enabled = grad_enabled


@pytest.fixture
def float64():
    """Run the test with float64 as the default dtype (restored afterwards by the fixture above)."""
    fl.set_default_dtype("float64")
    yield
