"""Shared fixtures: every test starts and ends with fnlearn's default settings."""

from __future__ import annotations

import importlib
import os

import pytest
import real_keras
from hypothesis import settings

import fnlearn as fl
from fnlearn import backend

# the module, not the fl.tensor() function that shares its name
tensor_module = importlib.import_module("fnlearn.tensor")

# HYPOTHESIS_PROFILE=ci (set by .ci/run) draws the same property-test examples on every run, so whether a commit
# lands does not depend on the draw; a developer's runs keep drawing new examples, which is how they find bugs
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The Keras comparisons on JAX spend most of their time in XLA compiling each tiny model's step for the CPU. Compiled
# without XLA's optimisation passes and single-threaded (the test workers already fill every core), the same
# programs compute the same numbers and the Keras-heavy test files run ~40 % faster. A developer's own XLA_FLAGS
# or JAX_PLATFORMS win; read once, when JAX first starts its CPU backend.
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true "
                                   "--xla_cpu_multi_thread_eigen=false")

# FNLEARN_TEST_BACKEND=cupy runs every test on CuPy (a GPU machine); cupy-standin runs them on the NumPy
# stand-in for CuPy (tests/cupy_standin.py), which fails on host/device mix-ups as CuPy would
TEST_BACKEND = os.environ.get("FNLEARN_TEST_BACKEND", "numpy")
if TEST_BACKEND == "cupy-standin":
    import cupy_standin

    cupy_standin.install()

# Tests of host code alone, which the GPU's code path never reaches: the data set loaders (files in, NumPy arrays
# out) and the CPU benchmark harness (its runs are child processes or timings of NumPy work). The stand-in run
# would repeat the NumPy run's checks exactly, so it leaves them to that run; so are tests marked host_only, whose
# point is a child process (a fresh interpreter: it runs on NumPy, the stand-in is this process's alone) or a file of
# the repository written from the NumPy run.
HOST_ONLY = ("tests/datasets/", "tests/bench/test_bench_")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # the tests that need Keras on another backend than the default run last: a worker reloads Keras once at most
    items.sort(key=lambda item: _keras_backend_of(item) not in (None, real_keras.DEFAULT_BACKEND))
    if TEST_BACKEND != "cupy-standin":
        return
    skip = pytest.mark.skip(reason="host code only, checked by the NumPy run: nothing of it runs on a GPU")
    for item in items:
        if item.nodeid.startswith(HOST_ONLY) or item.get_closest_marker("host_only"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _restore_fnlearn_settings():
    """Undo whatever a test did to the default dtype, the seed, the backend, the fuzz factor or grad mode."""
    state = backend._state
    saved = (state.xp, state.name, state.dtype, state.seed, state.rng, state.epsilon)
    grad_enabled = tensor_module._grad_enabled
    if TEST_BACKEND in ("cupy", "cupy-standin"):
        fl.set_backend("cupy")
    yield
    state.xp, state.name, state.dtype, state.seed, state.rng, state.epsilon = saved
    tensor_module._grad_enabled = grad_enabled


def _keras_backend_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("keras_backend")
    return marker.args[0] if marker else None


@pytest.fixture(autouse=True)
def _keras_backend(request: pytest.FixtureRequest) -> None:
    """The backend a test marked ``keras_backend("jax")`` needs real Keras on (tests/real_keras.py)."""
    real_keras.WANTED = _keras_backend_of(request.node)


@pytest.fixture(autouse=True)
def _no_keras_cache(monkeypatch, tmp_path_factory):
    """No test reads the data sets a real Keras may have left in this computer's ~/.keras/datasets."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path_factory.mktemp("keras-home")))


@pytest.fixture
def float64():
    """Run the test with float64 as the default dtype (restored afterwards by the fixture above)."""
    fl.set_default_dtype("float64")
    yield
