"""The fused CUDA kernels inside fit, on CuPy — or on the stand-in, running the kernels' own C++ bodies
compiled for the CPU (tests/cuda_kernels_host.py): training with them gives what the unfused ops give,
and a recorded step holds fewer operations."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import cuda_kernels, gpu

cuda_kernels_host = pytest.importorskip("cuda_kernels_host")


@pytest.fixture
def fused(cupy_backend, monkeypatch):
    """CuPy with fnlearn's fused kernels: CuPy's own, or the stand-in's running them compiled here. Yields the
    list of kernel names run, in order."""
    cupy = sys.modules["cupy"]
    if "+standin" in cupy.__version__:
        if cuda_kernels_host.COMPILER is None:
            pytest.skip("the stand-in runs the kernels compiled by a C++ compiler, and none (g++) is on PATH")
        monkeypatch.setattr(cupy, "ElementwiseKernel", None, raising=False)
        cuda_kernels_host.install(cupy)
    cuda_kernels_host.fresh_kernels(monkeypatch)
    ran: list[str] = []
    real_run = cuda_kernels.run

    def run(name, *args):
        done = real_run(name, *args)
        if done:
            ran.append(name)
        return done

    monkeypatch.setattr(cuda_kernels, "run", run)
    return ran


OPTIMIZERS = {  # name: (optimizer, the guarded update's kernel)
    "sgd": (lambda: fl.optim.SGD(learning_rate=0.1), "sgd"),
    "momentum": (lambda: fl.optim.SGD(learning_rate=0.1, momentum=0.5), "sgd_momentum"),
    "nesterov": (lambda: fl.optim.SGD(learning_rate=0.1, momentum=0.5, nesterov=True), "sgd_nesterov"),
    "adam": (lambda: fl.optim.Adam(learning_rate=0.01), "adam"),
    "adamw": (lambda: fl.optim.AdamW(learning_rate=0.01, weight_decay=0.05), "adam"),
}


def _model(sizes, seed=0, make_opt=OPTIMIZERS["momentum"][0]):
    fl.set_seed(seed)
    layers = [fl.layers.Dense(sizes[1], activation="relu", input_dim=sizes[0])]
    layers += [fl.layers.Dense(units, activation="relu") for units in sizes[2:-1]]
    layers.append(fl.layers.Dense(sizes[-1], activation="softmax"))
    model = fl.Sequential(layers)
    model.compile(make_opt(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("capture", [True, False], ids=["captured", "eager"])
def test_fit_with_the_fused_kernels_gives_what_the_unfused_ops_give(float64, fused, monkeypatch, capture,
                                                                     optimizer):
    make_opt, update_kernel = OPTIMIZERS[optimizer]
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(45, 12)), rng.integers(0, 5, 45)  # 5 full batches of 8 and one of 5
    sizes = (12, 16, 16, 5)
    with_kernels = _model(sizes, make_opt=make_opt)
    h_fused = with_kernels.fit(x, y, batch_size=8, epochs=3, verbose=0, capture=capture)
    p_fused = with_kernels.predict(x)
    assert {"bias_relu", "relu_grad", "softmax_sparse_ce"} <= set(fused)
    assert ({"gate", update_kernel} <= set(fused)) == capture  # the guarded update is the captured step's
    monkeypatch.setenv("FNLEARN_FUSED_KERNELS", "0")
    fused.clear()
    without = _model(sizes, make_opt=make_opt)
    h_plain = without.fit(x, y, batch_size=8, epochs=3, verbose=0, capture=capture)
    assert fused == []
    np.testing.assert_allclose(h_fused.history["loss"], h_plain.history["loss"], rtol=1e-12)
    np.testing.assert_allclose(h_fused.history["accuracy"], h_plain.history["accuracy"], rtol=1e-12)
    for a, b in zip(without.parameters(), with_kernels.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(p_fused, without.predict(x), rtol=1e-11, atol=1e-13)


def _recorded_operations(monkeypatch) -> list[str]:
    """The operations of the step fit records for MLP 784-100-100-10 at batch 100, by name (stand-in only)."""
    graphs = []

    class Step(gpu.CapturedStep):
        def _record(self):
            pred = super()._record()
            graphs.append(self.graph)
            return pred

    monkeypatch.setattr(gpu, "CapturedStep", Step)
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 784), dtype=np.float32), rng.integers(0, 10, 200)
    model = _model((784, 100, 100, 10))
    model.fit(x, y, batch_size=100, epochs=1, verbose=0)
    (graph,) = graphs
    return [getattr(fn, "__name__", "") for fn, *_ in graph._ops]


def test_a_recorded_step_holds_fewer_operations_with_the_fused_kernels(fused, monkeypatch):
    if "+standin" not in sys.modules["cupy"].__version__:
        pytest.skip("counts the stand-in's recorded operations; on a GPU the bench counts the graph's nodes")
    with_kernels = _recorded_operations(monkeypatch)
    monkeypatch.setenv("FNLEARN_FUSED_KERNELS", "0")
    without = _recorded_operations(monkeypatch)
    assert [op for op in with_kernels if op.startswith("fnlearn_")] == [
        "fnlearn_bias_relu", "fnlearn_bias_relu", "fnlearn_softmax_sparse_ce", "fnlearn_relu_grad",
        "fnlearn_relu_grad", "fnlearn_gate", "fnlearn_sgd_momentum"]
    # the unfused softmax + cross-entropy (row maxima, shift, exp, row sums, divide, log, the target's gather
    # and scatter), ReLU's two steps each way, and the update's save-and-restore: none of them is left
    for name in ("exp", "log", "greater", "maximum", "_getitem", "_setitem", "isfinite", "copy", "copyto"):
        assert name not in with_kernels, name
        assert name in without, name
    assert len(with_kernels) <= len(without) - 24, (len(with_kernels), len(without))
