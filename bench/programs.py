"""What the workloads of whole models share: a Keras program, run by ``fnlearn.keras`` or by Keras itself, and
PyTorch's training loop as its tutorials write it.

Example:
    >>> from bench.programs import keras_module
    >>> keras_module("fnlearn").__name__
    'fnlearn.keras'
"""

from __future__ import annotations

from typing import Any

import numpy as np


def keras_module(peer: str) -> Any:
    """The Keras a program runs on: fnlearn's front end for "fnlearn", Keras itself for "keras"."""
    if peer == "fnlearn":
        from fnlearn import keras
    else:
        import keras
    return keras


class KerasProgram:
    """A compiled Keras model trained and asked as its tutorials do: ``fit`` with shuffling, ``predict`` in batches
    of 256."""

    def __init__(self, model: Any, batch_size: int) -> None:
        self.model, self.batch_size = model, batch_size

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        self.model.fit(x, y, batch_size=self.batch_size, epochs=epochs, verbose=0, shuffle=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x, batch_size=256, verbose=0))


def torch_epochs(torch: Any, model: Any, loss_fn: Any, optimizer: Any, xt: Any, yt: Any, batch_size: int,
                 epochs: int) -> None:
    """PyTorch's loop: a new order each epoch, ``zero_grad``, the loss's ``backward``, the optimizer's step."""
    model.train()
    n = xt.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(xt[idx]), yt[idx]).backward()
            optimizer.step()


class NumpyFloor:
    """What the hand-written NumPy floors share: Adam on their list of parameters, epochs of shuffled batches, and
    prediction in batches of 256. A floor sets ``params`` and defines ``_forward(x, train)`` → (output, kept) and
    ``_step(x, y)``."""

    params: list[np.ndarray]

    def __init__(self, batch_size: int, seed: int, learning_rate: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.batch_size, self.lr = batch_size, learning_rate
        self.t = 0

    def _forward(self, x: np.ndarray, train: bool) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    def _step(self, x: np.ndarray, y: np.ndarray) -> None:
        raise NotImplementedError

    def adam(self, grads: list[np.ndarray], epsilon: float = 1e-8) -> None:
        """One Adam step (β₁ 0.9, β₂ 0.999) of every parameter, in place."""
        if self.t == 0:
            self.m = [np.zeros_like(p) for p in self.params]
            self.v = [np.zeros_like(p) for p in self.params]
        self.t += 1
        b1c, b2c = 1 - 0.9 ** self.t, 1 - 0.999 ** self.t
        for param, grad, m, v in zip(self.params, grads, self.m, self.v):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= self.lr * (m / b1c) / (np.sqrt(v / b2c) + epsilon)

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        for _ in range(epochs):
            order = self.rng.permutation(len(x))
            for start in range(0, len(x), self.batch_size):
                idx = order[start:start + self.batch_size]
                self._step(x[idx], y[idx])

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.concatenate([self._forward(x[i:i + 256], train=False)[0] for i in range(0, len(x), 256)])
