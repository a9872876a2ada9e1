"""Device rules that hold on every machine: missing CuPy, foreign arrays, moving models."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend as B
from fnlearn.errors import DeviceError


class FakeGpuArray:
    """Anything exposing the CUDA array interface counts as GPU memory."""

    __cuda_array_interface__ = {"shape": (2,), "typestr": "<f4", "data": (0, False), "version": 3}


@pytest.mark.parametrize("name", ["cupy", "cuda", "gpu"])
def test_asking_for_cupy_without_it_says_so_in_one_sentence(monkeypatch, name):
    fl.set_backend("numpy")  # where the whole suite runs on the GPU, too
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy now raises ImportError
    with pytest.raises(DeviceError) as info:
        fl.set_backend(name)
    message = str(info.value)
    assert "CuPy" in message and "not installed" in message and message.count(". ") == 0
    assert B.backend_name() == "numpy" and B.xp() is np


def test_model_to_cuda_without_cupy_changes_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)
    model = fl.Sequential([fl.layers.Dense(2, input_dim=3)])
    before = [p.data for p in model.parameters()]
    with pytest.raises(DeviceError):
        model.to("cuda")
    assert all(p.data is b for p, b in zip(model.parameters(), before))


def test_a_gpu_array_on_the_numpy_backend_is_a_device_error():
    fl.set_backend("numpy")
    with pytest.raises(DeviceError, match="GPU array .* backend is 'numpy'"):
        B.check_device(FakeGpuArray(), "x")
    B.check_device(np.ones(2), "x")  # host data passes on every backend


def test_unknown_device_name_lists_the_valid_ones():
    with pytest.raises(fl.errors.ConfigError, match="cuda"):
        fl.set_device("tpu")


def test_model_to_cpu_keeps_parameters_and_optimizer_state_trainable():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, activation="relu", input_dim=2), fl.layers.Dense(1)])
    model.compile(fl.optim.SGD(learning_rate=0.05, momentum=0.9), "mse")
    x, y = np.random.default_rng(0).normal(size=(16, 2)), np.zeros((16, 1))
    model.fit(x, y, epochs=1, verbose=0)
    m_before = [B.to_numpy(s["m"]).copy() for s in model.optimizer.state]  # on the device it trained on
    assert model.to("cpu") is model
    assert B.device() == "cpu"
    for s, m in zip(model.optimizer.state, m_before):
        np.testing.assert_array_equal(s["m"], m)
    model.fit(x, y, epochs=1, verbose=0)  # the moved state is used, not replaced
    assert model.optimizer.iterations == 2


def test_synchronize_is_a_no_op_on_numpy():
    B.synchronize()


def test_predict_after_a_move_between_devices_computes_with_the_new_devices_arrays(cupy_backend):
    """predict keeps its hidden outputs from call to call (fastpath.KeptOutputs); a model moved to the GPU and
    back gets arrays of the device it is on, and the same answers."""
    from fnlearn import fastpath

    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(5, activation="relu", input_dim=3), fl.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(8, 3))
    on_gpu = model.predict(x)
    kept = fastpath.kept_outputs(model)
    assert not isinstance(kept._arrays[0], np.ndarray)
    model.to("cpu")
    on_cpu = model.predict(x)
    assert isinstance(kept._arrays[0], np.ndarray)
    model.to("cuda")
    np.testing.assert_allclose(model.predict(x), on_cpu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(on_gpu, on_cpu, rtol=1e-5, atol=1e-6)
    assert not isinstance(kept._arrays[0], np.ndarray)
