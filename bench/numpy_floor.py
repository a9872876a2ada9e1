"""The hand-written NumPy training loop: the floor any NumPy-based trainer is measured against.

It does only what one step of mini-batch training needs, in float32 throughout: gather the batch
with one fancy index, ``x @ W + b`` with the bias added in place, ReLU in place, the softmax and
cross-entropy gradient fused into ``(p - onehot) / m``, no input gradient for the first layer, and
in-place parameter updates. Anything fnlearn does on top of this is overhead to be justified.

Example:
    >>> import numpy as np
    >>> from bench.numpy_floor import NumpyMLP
    >>> net = NumpyMLP((4, 8, 3), loss="sparse_ce", optimizer="sgd", learning_rate=0.1, seed=0)
    >>> x = np.random.default_rng(0).random((64, 4), dtype=np.float32)
    >>> net.train_epoch(x, np.arange(64) % 3, batch_size=16)
    >>> net.predict(x).shape
    (64, 3)
"""

from __future__ import annotations

import numpy as np

LOSSES = ("sparse_ce", "mae")
OPTIMIZERS = ("sgd", "adam")


class NumpyMLP:
    """A ReLU multilayer perceptron trained by plain mini-batch gradient descent.

    ``loss="sparse_ce"`` ends in softmax and takes integer labels; ``loss="mae"`` ends in a linear
    unit and takes targets of shape ``(n, out)``. Weights start Glorot-uniform, as Keras does.
    """

    def __init__(
        self,
        sizes: tuple[int, ...],
        *,
        loss: str = "sparse_ce",
        optimizer: str = "sgd",
        learning_rate: float = 0.1,
        seed: int = 0,
        beta1: float = 0.9,
        beta2: float = 0.999,
        epsilon: float = 1e-8,
    ) -> None:
        if loss not in LOSSES:
            raise ValueError(f"loss={loss!r} is not one of {LOSSES}.")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={optimizer!r} is not one of {OPTIMIZERS}.")
        self.loss = loss
        self.optimizer = optimizer
        self.lr = float(learning_rate)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.rng = np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self.weights.append(self.rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
            self.biases.append(np.zeros(fan_out, dtype=np.float32))
        self.step_count = 0
        if optimizer == "adam":
            params = self.weights + self.biases
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
            self.scratch = [np.empty_like(p) for p in params]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output, the input first; the last entry is the raw score (logits)."""
        outs = [x]
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = outs[-1] @ w
            z += b
            if i < last:
                np.maximum(z, 0.0, out=z)
            outs.append(z)
        return outs

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (``sparse_ce``) or the regression output (``mae``)."""
        z = self.forward(np.asarray(x, dtype=np.float32))[-1]
        if self.loss == "sparse_ce":
            z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            z /= z.sum(axis=1, keepdims=True)
        return z

    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> None:
        """One gradient step on one batch."""
        outs = self.forward(xb)
        g = outs[-1]  # reused in place as dL/dz of the last layer
        m = xb.shape[0]
        sgd = self.optimizer == "sgd"
        # For SGD the step size is folded into the output gradient, so every parameter
        # gradient below already is the update and is subtracted as is.
        scale = (self.lr if sgd else 1.0) / m
        if self.loss == "sparse_ce":
            g -= g.max(axis=1, keepdims=True)
            np.exp(g, out=g)
            g /= g.sum(axis=1, keepdims=True)
            g[np.arange(m), yb] -= 1.0
            g *= scale
        else:
            np.subtract(g, yb, out=g)
            np.sign(g, out=g)
            g *= scale / g.shape[1]
        n_layers = len(self.weights)
        grads_w: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
        grads_b: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
        for i in range(n_layers - 1, -1, -1):
            grads_w[i] = outs[i].T @ g
            grads_b[i] = g.sum(axis=0)
            if i > 0:
                g = g @ self.weights[i].T
                g *= outs[i] > 0
        if sgd:
            for w, b, gw, gb in zip(self.weights, self.biases, grads_w, grads_b):
                w -= gw
                b -= gb
        else:
            self._adam(grads_w + grads_b)

    def _adam(self, grads: list[np.ndarray]) -> None:
        self.step_count += 1
        t = self.step_count
        b1, b2 = self.beta1, self.beta2
        step = self.lr / (1.0 - b1**t)
        root_correction = 1.0 / np.sqrt(1.0 - b2**t)
        for p, g, m, v, tmp in zip(self.weights + self.biases, grads, self.m, self.v, self.scratch):
            m *= b1
            np.multiply(g, 1.0 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp
            # p -= lr * m_hat / (sqrt(v_hat) + eps), with both bias corrections applied exactly
            np.sqrt(v, out=tmp)
            tmp *= root_correction
            tmp += self.epsilon
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        """One pass over ``x`` in a fresh random order, the last batch possibly smaller."""
        order = self.rng.permutation(x.shape[0])
        for start in range(0, x.shape[0], batch_size):
            idx = order[start : start + batch_size]
            self.train_step(x[idx], y[idx])
