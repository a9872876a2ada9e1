"""The fused CUDA kernels: their C++ bodies (compiled here for the CPU) against the unfused NumPy ops, and
the fallback rules of ``fnlearn.cuda_kernels.run``."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend, cuda_kernels

cuda_kernels_host = pytest.importorskip("cuda_kernels_host")

needs_compiler = pytest.mark.skipif(cuda_kernels_host.COMPILER is None, reason="no C++ compiler (g++) on PATH")
TOL = {np.float32: 1e-6, np.float64: 1e-14}


def _scores(dtype, rng, n=64, k=10):
    z = (rng.standard_normal((n, k)) * 5).astype(dtype)
    z[1] = 0.0  # ties everywhere
    z[2, 3] = 80.0  # one large score: exp of the unshifted row would overflow in float32
    z[3] = -200.0  # a far-off row
    return z


@needs_compiler
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_is_the_bias_add_then_relu(dtype):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((32, 7)).astype(dtype)
    z[0, 0], z[0, 1], z[0, 2] = np.nan, np.inf, -np.inf
    b = rng.standard_normal(7).astype(dtype)
    expected = np.maximum(z + b, 0)
    cuda_kernels_host.run("bias_relu", b, z)
    np.testing.assert_array_equal(z, expected)  # NaN stays NaN, as NumPy's maximum keeps it
    assert np.isnan(z[0, 0])


@needs_compiler
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_grad_is_the_gradient_times_the_step(dtype):
    rng = np.random.default_rng(1)
    a = np.maximum(rng.standard_normal((16, 5)), 0).astype(dtype)
    g = rng.standard_normal((16, 5)).astype(dtype)
    g[0, :2] = np.inf  # inf · 0 is NaN in both
    a[0, 0] = 0.0
    a[1, 1] = np.nan
    with np.errstate(invalid="ignore"):
        expected = g * (a > 0)
        cuda_kernels_host.run("relu_grad", a, g)
    np.testing.assert_array_equal(g, expected)


def _unfused_sparse_ce(z, labels, s):
    """What StepPlan._fused_output does without the kernel (per-row shift, as in device-loss mode)."""
    z = z.copy()
    z -= z.max(axis=-1, keepdims=True)
    picked = z[np.arange(len(labels)), labels]
    np.exp(z, out=z)
    total = z.sum(axis=1)
    z /= total[:, None]
    row_loss = np.log(total) - picked
    dz = z * s
    dz[np.arange(len(labels)), labels] -= s
    return z, dz, row_loss


@needs_compiler
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("label_dtype", [np.int64, np.int32, np.uint8])
def test_softmax_sparse_ce_is_the_unfused_softmax_cross_entropy(dtype, label_dtype):
    rng = np.random.default_rng(2)
    z = _scores(dtype, rng)
    labels = rng.integers(0, 10, len(z)).astype(label_dtype)
    s = dtype(0.1 / len(z))
    p, dz, row_loss = _unfused_sparse_ce(z, labels, s)
    got_dz, got_loss = np.empty_like(z), np.empty(len(z), dtype=dtype)
    cuda_kernels_host.run("softmax_sparse_ce", labels, z.shape[1], s, z, got_dz, got_loss)
    tol = TOL[dtype]
    np.testing.assert_allclose(z, p, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_dz, dz, rtol=tol, atol=tol * float(s))
    np.testing.assert_allclose(got_loss, row_loss, rtol=tol, atol=tol)
    np.testing.assert_allclose(z.sum(axis=1), 1.0, rtol=10 * tol)
    assert np.all(np.isfinite(got_loss))


@needs_compiler
def test_softmax_sparse_ce_lets_a_nan_through_to_the_loss():
    z = np.zeros((3, 4))
    z[1, 2] = np.nan
    dz, loss = np.empty_like(z), np.empty(3)
    cuda_kernels_host.run("softmax_sparse_ce", np.array([0, 1, 2]), 4, 1.0, z, dz, loss)
    assert np.isfinite(loss[0]) and np.isfinite(loss[2]) and np.isnan(loss[1])


def test_on_numpy_run_answers_false_and_changes_nothing():
    backend.set_backend("numpy")
    g = np.ones(3)
    assert cuda_kernels.run("relu_grad", np.array([1.0, -1.0, 0.0]), g) is False
    np.testing.assert_array_equal(g, 1.0)
    assert cuda_kernels.softmax_sparse_ce(np.zeros((2, 3)), np.array([0, 1]), 1.0) is None


class _FakeKernel:
    """Stands for cupy.ElementwiseKernel: counts calls, or raises what it was given."""

    calls = 0
    error: BaseException | None = None

    def __init__(self, in_params, out_params, operation, name):
        self.name = name

    def __call__(self, *args):
        if _FakeKernel.error is not None:
            raise _FakeKernel.error
        _FakeKernel.calls += 1


class CompileException(Exception):  # CuPy's class name for an NVRTC failure
    pass


@pytest.fixture
def fake_cupy(monkeypatch):
    cp = types.ModuleType("cupy")
    cp.ElementwiseKernel = _FakeKernel
    monkeypatch.setattr(backend._state, "xp", cp)
    cuda_kernels_host.fresh_kernels(monkeypatch)
    monkeypatch.setattr(_FakeKernel, "calls", 0)
    monkeypatch.setattr(_FakeKernel, "error", None)
    return cp


def test_the_kernel_runs_where_cupy_has_it_and_not_when_turned_off(fake_cupy, monkeypatch):
    assert cuda_kernels.run("relu_grad", 1, 2) is True
    assert _FakeKernel.calls == 1
    monkeypatch.setenv("FNLEARN_FUSED_KERNELS", "0")
    assert cuda_kernels.run("relu_grad", 1, 2) is False
    assert _FakeKernel.calls == 1


def test_a_kernel_that_does_not_compile_warns_once_then_is_left_alone(fake_cupy):
    _FakeKernel.error = CompileException("nvrtc: error: identifier 'x' is undefined")
    with pytest.warns(RuntimeWarning, match="'relu_grad' did not compile .*identifier 'x'.*unfused operations"):
        assert cuda_kernels.run("relu_grad", 1, 2) is False
    _FakeKernel.error = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cuda_kernels.run("relu_grad", 1, 2) is False  # not tried again
    assert cuda_kernels.run("bias_relu", 1, 2) is True  # the other kernels still run
    assert _FakeKernel.calls == 1


def test_any_other_error_of_a_kernel_call_is_raised(fake_cupy):
    _FakeKernel.error = ValueError("shape mismatch")
    with pytest.raises(ValueError, match="shape mismatch"):
        cuda_kernels.run("relu_grad", 1, 2)
    _FakeKernel.error = None
    assert cuda_kernels.run("relu_grad", 1, 2) is True  # not marked failed


# ------------------------------------------------------------------ the guarded optimizer steps

UPDATES = {
    "sgd": lambda: fl.optim.SGD(learning_rate=0.1),
    "momentum": lambda: fl.optim.SGD(learning_rate=0.1, momentum=0.9),
    "nesterov": lambda: fl.optim.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "adam": lambda: fl.optim.Adam(learning_rate=0.01),
    "adamw": lambda: fl.optim.AdamW(learning_rate=0.01, weight_decay=0.1),
}


@pytest.fixture
def host_cupy(monkeypatch):
    """The backend's array module is one whose ElementwiseKernel runs the kernels' CPU build on NumPy arrays."""
    if cuda_kernels_host.COMPILER is None:
        pytest.skip("no C++ compiler (g++) on PATH")
    cuda_kernels_host.fresh_kernels(monkeypatch)
    backend.set_backend("numpy")
    return cuda_kernels_host.host_module()


def _update_case(name, dtype, rng):
    opt = UPDATES[name]()
    p = rng.standard_normal(50).astype(dtype)
    g = rng.standard_normal(50).astype(dtype)
    state = {slot: (rng.random(50) if slot == "v" else rng.standard_normal(50)).astype(dtype)
             for slot in opt.slot_init()}
    lr = np.array(opt.current_learning_rate(), dtype=dtype)
    if hasattr(opt, "corrections"):
        opt.iterations = 3
        opt.correction_buffers = tuple(np.array(c, dtype=dtype) for c in opt.corrections(3))
    return opt, p, g, state, lr


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(UPDATES))
def test_each_guarded_update_is_the_optimizers_own_update(host_cupy, monkeypatch, name, dtype):
    opt, p, g, state, lr = _update_case(name, dtype, np.random.default_rng(5))
    p_ref, state_ref = p.copy(), {k: v.copy() for k, v in state.items()}
    opt.update(p_ref, g, state_ref, lr)  # unfused, on NumPy
    monkeypatch.setattr(backend._state, "xp", host_cupy)
    gate = np.ones((), dtype=bool)
    assert cuda_kernels.guarded_update(opt, p, g, state, lr, np.array(1.5, dtype=dtype), gate) is True
    assert gate
    tol = TOL[dtype]
    np.testing.assert_allclose(p, p_ref, rtol=tol, atol=tol)
    for k in state:
        np.testing.assert_allclose(state[k], state_ref[k], rtol=tol, atol=tol)


@pytest.mark.parametrize("name", list(UPDATES))
def test_a_non_finite_loss_closes_the_gate_and_no_step_changes_anything(host_cupy, monkeypatch, name):
    opt, p, g, state, lr = _update_case(name, np.float64, np.random.default_rng(6))
    g[:3] = np.nan  # a non-finite loss comes with non-finite gradients
    before = [p.copy(), *(v.copy() for v in state.values())]
    monkeypatch.setattr(backend._state, "xp", host_cupy)
    gate = np.ones((), dtype=bool)
    for loss in (np.inf, np.nan, 2.0):  # sticky: the finite loss after them changes nothing either
        assert cuda_kernels.guarded_update(opt, p, g, state, lr, np.array(loss), gate) is True
        assert not gate
        for now, then in zip([p, *state.values()], before):
            np.testing.assert_array_equal(now, then)


def test_optimizers_without_a_fused_step_are_left_to_the_caller(host_cupy, monkeypatch):
    monkeypatch.setattr(backend._state, "xp", host_cupy)
    gate = np.ones((), dtype=bool)
    p = np.ones(4)
    rms = fl.optim.RMSprop(learning_rate=0.1)
    assert cuda_kernels.guarded_update(rms, p, p, {}, 0.1, np.array(np.nan), gate) is False
    adam = fl.optim.Adam(learning_rate=0.1)  # without the device's correction buffers
    assert cuda_kernels.guarded_update(adam, p, p, {"m": p, "v": p}, 0.1, np.array(np.nan), gate) is False
    assert gate  # nothing ran, the gate included
