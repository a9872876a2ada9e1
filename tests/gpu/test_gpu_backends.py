"""A representative slice of fnlearn run on every backend (``backend`` fixture: NumPy, and CuPy where a GPU is).

Each test checks results against values worked out with plain NumPy on the host, so it means the same
on both backends; the last tests compare a backend's training against the NumPy backend's directly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend as B

F32 = {"rtol": 2e-5, "atol": 1e-6}


def _on_device(array) -> bool:
    return type(array).__module__.split(".")[0] == B.xp().__name__


def test_tensors_live_on_the_current_device_and_numpy_copies_to_host(backend):
    t = fl.tensor(np.arange(6.0).reshape(2, 3))  # host data is moved automatically, its float64 kept
    assert _on_device(t.data) and t.dtype == np.float64
    assert fl.tensor([[1, 2]]).dtype == np.float32
    host = t.numpy()
    assert isinstance(host, np.ndarray)
    np.testing.assert_array_equal(host, np.arange(6.0).reshape(2, 3))


def test_ops_and_gradients(backend):
    rng = np.random.default_rng(0)
    x_h, w_h, b_h = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    x = fl.tensor(x_h)
    w, b = fl.Parameter(w_h), fl.Parameter(b_h)
    z = x @ w + b
    loss = (z.relu() * z.sigmoid()).sum() + (z.tanh() ** 2).mean()
    loss.backward()
    zh = (x_h @ w_h + b_h).astype(np.float32)
    s = 1 / (1 + np.exp(-zh))
    relu = np.maximum(zh, 0)
    expected = np.sum(relu * s) + np.mean(np.tanh(zh) ** 2)
    dz = (zh > 0) * s + relu * s * (1 - s) + 2 * np.tanh(zh) * (1 - np.tanh(zh) ** 2) / zh.size
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert _on_device(w.grad)
    np.testing.assert_allclose(B.to_numpy(w.grad), x_h.T @ dz, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(B.to_numpy(b.grad), dz.sum(axis=0), rtol=1e-4, atol=1e-5)


def test_losses(backend):
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(6, 3)).astype(np.float32)
    labels = rng.integers(0, 3, 6)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    y_pred = fl.tensor(scores).softmax()
    got = fl.losses.sparse_categorical_crossentropy(labels, y_pred).item()
    assert got == pytest.approx(-np.mean(np.log(p[np.arange(6), labels])), rel=1e-5)
    q = 1 / (1 + np.exp(-scores[:, :1]))
    t = rng.integers(0, 2, (6, 1)).astype(np.float32)
    got = fl.losses.binary_crossentropy(t, fl.tensor(scores[:, :1]).sigmoid()).item()
    assert got == pytest.approx(-np.mean(t * np.log(q) + (1 - t) * np.log(1 - q)), rel=1e-5)
    target = rng.normal(size=(6, 3)).astype(np.float32)
    assert fl.losses.mse(target, fl.tensor(scores)).item() == pytest.approx(np.mean((scores - target) ** 2), rel=1e-5)


@pytest.mark.parametrize("name", ["sgd_momentum", "adam"])
def test_optimizers(backend, name):
    w0, grads = np.array([1.0, -2.0, 0.5]), [np.array([0.3, -0.1, 0.2]), np.array([-0.4, 0.2, 0.1])]
    w = fl.Parameter(w0)
    opt = fl.optim.SGD([w], 0.1, momentum=0.9) if name == "sgd_momentum" else fl.optim.Adam([w], 0.01)
    m, v, ref = np.zeros(3), np.zeros(3), w0.copy()
    for t, g in enumerate(grads, start=1):
        w.grad = B.to_device(g.astype(np.float32))
        opt.step()
        if name == "sgd_momentum":
            m = 0.9 * m - 0.1 * g
            ref = ref + m
        else:
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            ref = ref - 0.01 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    assert _on_device(w.data)
    np.testing.assert_allclose(w.numpy(), ref, **F32)


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    y = (x[:, :3].sum(axis=1) > 0).astype(np.int64) + (x[:, 3] > 1)
    return x, y


def _mlp(optimizer):
    fl.set_seed(7)
    model = fl.Sequential([fl.layers.Dense(16, activation="relu", input_dim=8),
                           fl.layers.Dense(16, activation="tanh"),
                           fl.layers.Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_evaluate_predict(backend):
    x, y = _data()
    model = _mlp(fl.optim.SGD(learning_rate=0.2, momentum=0.5))
    history = model.fit(x, y, batch_size=32, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, batch_size=64)
    assert isinstance(loss, float) and acc > 0.7
    pred = model.predict(x[:10])
    assert isinstance(pred, np.ndarray) and pred.shape == (10, 3)
    np.testing.assert_allclose(pred.sum(axis=1), 1, rtol=1e-5)
    assert all(_on_device(p.data) for p in model.parameters())


def _weights_after_an_epoch(backend_name, optimizer, **fit_args):
    fl.set_backend(backend_name)
    model = _mlp(optimizer)
    x, y = _data()
    history = model.fit(x, y, batch_size=50, epochs=1, verbose=0, **fit_args)  # 6 full batches
    return [p.numpy() for p in model.parameters()], history.history


@pytest.mark.parametrize("make_opt", [lambda: fl.optim.SGD(learning_rate=0.1, momentum=0.9),
                                      lambda: fl.optim.Adam(learning_rate=0.01)], ids=["sgd", "adam"])
@pytest.mark.parametrize("capture", [None, False])
def test_same_weights_as_numpy_after_an_epoch(backend, make_opt, capture):
    ref_w, ref_h = _weights_after_an_epoch("numpy", make_opt(), capture=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got_w, got_h = _weights_after_an_epoch(backend, make_opt(), capture=capture)
    # automatic capture on CuPy recorded the step: it did not fall back to training uncaptured
    assert not [w for w in caught if "could not record" in str(w.message)]
    for a, b in zip(ref_w, got_w):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=2e-5)
    assert got_h["loss"][0] == pytest.approx(ref_h["loss"][0], rel=1e-4)
    assert got_h["accuracy"][0] == pytest.approx(ref_h["accuracy"][0], abs=1 / 300 + 1e-9)


def test_a_model_saved_on_this_backend_loads_on_the_cpu(backend, tmp_path):
    pytest.importorskip("safetensors")
    x, y = _data(100)
    model = _mlp(fl.optim.Adam(learning_rate=0.01))
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)
    expected = model.predict(x)
    path = tmp_path / "model.safetensors"
    model.save(path)
    fl.set_backend("numpy")
    loaded = fl.load_model(path)
    assert all(isinstance(p.data, np.ndarray) for p in loaded.parameters())
    np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-5, atol=1e-6)
    assert loaded.optimizer.iterations == model.optimizer.iterations
