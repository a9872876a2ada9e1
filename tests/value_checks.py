"""Checks shared by several test modules: the Keras and TensorFlow function stand-ins' values, custom losses, and
a layer's gradients against central differences."""

from __future__ import annotations

from typing import Any

import numpy as np

import fnlearn as fl


def assert_like_numpy(out: Any, expected: Any) -> None:
    """``out`` is an fnlearn tensor with the shape and dtype of ``expected``: integers and booleans equal,
    floats within float32's rounding."""
    want = np.asarray(expected)
    assert isinstance(out, fl.Tensor)
    got = out.numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


def assert_custom_loss_trains_as_mse(loss: Any) -> None:
    """A model compiled with ``loss`` (a custom mean squared error) evaluates and trains exactly as one compiled
    with "mse" from the same weights, in float64."""
    from fnlearn import keras

    fl.set_default_dtype("float64")  # put back after each test (tests/conftest.py)
    fl.set_seed(3)
    x = np.random.default_rng(1).normal(size=(48, 3))
    y = x @ np.array([[1.0, -2.0], [0.5, 0.0], [2.0, 1.0]]) + 0.3
    model = keras.Sequential([keras.layers.Dense(6, activation="tanh", input_dim=3), keras.layers.Dense(2)])
    twin = keras.Sequential([keras.layers.Dense(6, activation="tanh", input_dim=3), keras.layers.Dense(2)])
    twin.set_weights(model.get_weights())
    model.compile(keras.optimizers.SGD(learning_rate=0.05), loss=loss)
    twin.compile(keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    np.testing.assert_allclose(model.evaluate(x, y), twin.evaluate(x, y), rtol=1e-12)
    h = model.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0).history["loss"]
    g = twin.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0).history["loss"]
    assert h[-1] < 0.5 * h[0]
    np.testing.assert_allclose(h, g, rtol=1e-10)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def assert_gradients_of_inputs_and_weights(layer: Any, loss: Any, inputs: list[Any],
                                           silent: tuple[str, ...] = ()) -> list[str]:
    """The gradients back-propagation gives ``loss(*inputs)`` (a float64 scalar tensor of ``layer``'s call) for
    every input tensor and every weight of ``layer`` equal central differences (each one non-zero somewhere, but
    the weights named in ``silent``, whose gradient is 0 by the maths); gives the weights' names, in order."""
    layer.zero_grad()
    loss(*inputs).backward()
    pairs = [(f"input {i}", t.data, t.grad) for i, t in enumerate(inputs)]
    pairs += [(name, p.data, p.grad) for name, p in layer.named_parameters()]
    eps = 1e-6
    for name, data, grad in pairs:
        numeric = np.zeros(data.shape)
        for idx in np.ndindex(data.shape):
            old = data[idx].copy()  # on CuPy a 0-d view, which the next line would change
            data[idx] = old + eps
            up = float(loss(*inputs).item())
            data[idx] = old - eps
            down = float(loss(*inputs).item())
            data[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        if name not in silent:
            assert np.abs(numeric).max() > 1e-4, name  # each gradient is something to check
        np.testing.assert_allclose(fl.backend.to_numpy(grad), numeric, rtol=1e-6, atol=1e-8, err_msg=name)
    return [name for name, _, _ in pairs[len(inputs):]]


def assert_refused_before_download(monkeypatch: Any, call: Any, error: type, words: tuple[str, ...]) -> None:
    """``call()`` (an application built with bad arguments) raises ``error`` in one sentence holding ``words``,
    before anything would be downloaded."""
    import re

    from fnlearn import keras

    def no_download(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing is downloaded for bad arguments")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    try:
        call()
    except error as caught:
        message = str(caught)
    else:
        raise AssertionError(f"nothing raised; expected {error.__name__}")
    assert all(word in message for word in words), message
    assert not re.search(r"\.\s+[A-Z]", message) and message.endswith("."), message  # one sentence


def record_get_file(monkeypatch: Any, path: Any = None) -> list[tuple[Any, ...]]:
    """Stand in for ``keras.utils.get_file``: each request's (name, origin, cache_subdir, file_hash) goes in the list
    returned, and the file given is ``path`` (None: the request stops there, with a LookupError); nothing is
    downloaded."""
    from fnlearn import keras

    asked: list[tuple[Any, ...]] = []

    def fake_get_file(name: str, origin: str, cache_subdir: str = "datasets", file_hash: Any = None,
                      **rest: Any) -> str:
        asked.append((name, origin, cache_subdir, file_hash))
        if path is None:
            raise LookupError("stop here")
        return str(path)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    return asked


def keras_layout(model: Any, automatic: Any) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    """Each layer's name, class and weight shapes, in order — a name Keras numbers by a session-wide counter (those
    ``automatic``, a compiled pattern whose group 1 is the name without its number, matches) without its number: what
    an application model must share with Keras's for Keras's weight files to load into it."""
    return [(automatic.sub(r"\1", layer.name), type(layer).__name__, [tuple(w.shape) for w in layer.get_weights()])
            for layer in model.layers]


def shrinking_statistics(model: Any, seed: int) -> None:
    """Give every batch normalization of a real Keras ``model`` statistics of its own (so that every layer counts in
    the outputs compared) that shrink what passes — γ under 1, variances over 1 — so that a deep model does not blow
    float32's rounding up into differences of whole percents."""
    rng = np.random.default_rng(seed)
    ranges = {"gamma": (0.3, 0.8), "moving_variance": (1.0, 2.0)}
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            layer.set_weights([rng.uniform(*ranges[w.name], w.shape) if w.name in ranges
                               else rng.normal(0, 0.1, w.shape) for w in layer.weights])
