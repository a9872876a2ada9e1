"""The convolutional workload's model, written the way a user of each library writes it, and a NumPy floor.

The network is the MNIST CNN of the Keras examples: 28×28×1 images, Conv2D(32, 3×3, ReLU), 2×2 max-pool,
Conv2D(64, 3×3, "same", ReLU), 2×2 max-pool, Flatten, Dropout(0.5), Dense(10, softmax); Adam 1e-3 on sparse
categorical cross-entropy. Every trainer has ``train_epochs(x, y, epochs)`` and ``predict(x)`` and takes
channels-last images (n, 28, 28, 1); PyTorch's wants (n, 1, 28, 28), converted once per data set, as a user
would before the loop.

Example:
    >>> import numpy as np
    >>> from bench.cnn import NumpyCNN
    >>> net = NumpyCNN(batch_size=8, seed=0)
    >>> x = np.random.default_rng(0).random((16, 28, 28, 1), dtype=np.float32)
    >>> net.train_epochs(x, np.arange(16) % 10, epochs=1)
    >>> net.predict(x).shape
    (16, 10)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.programs import KerasProgram, NumpyFloor, keras_module, torch_epochs

CNN_SHAPE = (28, 28, 1)
LEARNING_RATE = 1e-3


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 images in [0, 1) of shape (n, 28, 28, 1) and int64 labels 0..9."""
    rng = np.random.default_rng(seed)
    return rng.random((n, *CNN_SHAPE), dtype=np.float32), rng.integers(0, 10, n, dtype=np.int64)


# --------------------------------------------------------------------------- fnlearn and Keras: one program


class KerasProgramCNN(KerasProgram):
    """The Keras example's program, run by ``fnlearn.keras`` or by Keras itself (the module given as ``keras``)."""

    def __init__(self, keras: Any, batch_size: int, seed: int) -> None:
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([
            keras.Input(shape=CNN_SHAPE),
            keras.layers.Conv2D(32, (3, 3), activation="relu"), keras.layers.MaxPooling2D((2, 2)),
            keras.layers.Conv2D(64, 3, activation="relu", padding="same"), keras.layers.MaxPooling2D(),
            keras.layers.Flatten(), keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax")])
        model.compile(keras.optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy")
        super().__init__(model, batch_size)


# --------------------------------------------------------------------------- PyTorch


class TorchCNN:
    def __init__(self, batch_size: int, seed: int) -> None:
        import torch
        from torch import nn

        self.torch = torch
        torch.manual_seed(seed)
        self.model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.5), nn.Linear(64 * 6 * 6, 10))
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        self.batch_size = batch_size
        self._cached: tuple[np.ndarray, np.ndarray, Any, Any] | None = None

    def _tensors(self, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        if self._cached is None or self._cached[0] is not x or self._cached[1] is not y:
            xt = self.torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
            self._cached = (x, y, xt, self.torch.from_numpy(np.asarray(y, dtype=np.int64)))
        return self._cached[2], self._cached[3]

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        xt, yt = self._tensors(x, y)
        torch_epochs(self.torch, self.model, self.loss_fn, self.optimizer, xt, yt, self.batch_size, epochs)

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        with self.torch.inference_mode():
            xt = self.torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
            return self.torch.softmax(self.model(xt), dim=1).numpy()


def _patches(x: np.ndarray, k: int) -> np.ndarray:
    """Every k×k window of x (n, h, w, c) as rows: (n·ho·wo, k·k·c), stride 1, one copy."""
    n, h, w, c = x.shape
    s = x.strides
    windows = np.lib.stride_tricks.as_strided(x, (n, h - k + 1, w - k + 1, k, k, c), (*s[:3], s[1], s[2], s[3]))
    return np.ascontiguousarray(windows).reshape(-1, k * k * c)


def _pool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2×2 max-pool of x (n, h, w, c) (an odd last row or column dropped) and the mask of the maxima."""
    n, h, w, c = x.shape
    tiles = x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c)
    out = tiles.max(axis=(2, 4))
    return out, tiles == out[:, :, None, :, None, :]


def _unpool(g: np.ndarray, mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    n, h, w, c = shape
    full = np.zeros(shape, dtype=g.dtype)
    full[:, :h // 2 * 2, :w // 2 * 2] = (mask * g[:, :, None, :, None, :]).reshape(n, h // 2 * 2, w // 2 * 2, c)
    return full


class NumpyCNN(NumpyFloor):
    """The CNN by hand in NumPy, float32: im2col convolutions, 2×2 max-pools (ties share the gradient), inverted
    dropout, softmax cross-entropy fused into ``(p − onehot) / m``, Adam, Glorot-uniform kernels."""

    def __init__(self, batch_size: int, seed: int, learning_rate: float = LEARNING_RATE) -> None:
        super().__init__(batch_size, seed, learning_rate)

        def glorot(shape: tuple[int, ...], fan_in: int, fan_out: int) -> np.ndarray:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            return self.rng.uniform(-limit, limit, shape).astype(np.float32)

        self.params = [glorot((9, 32), 9, 9 * 32), np.zeros(32, np.float32),
                       glorot((9 * 32, 64), 9 * 32, 9 * 64), np.zeros(64, np.float32),
                       glorot((2304, 10), 2304, 10), np.zeros(10, np.float32)]

    def _forward(self, x: np.ndarray, train: bool) -> tuple[np.ndarray, dict[str, Any]]:
        k1, b1, k2, b2, w3, b3 = self.params
        n = x.shape[0]
        p1 = _patches(x, 3)
        a1 = np.maximum(p1 @ k1 + b1, 0).reshape(n, 26, 26, 32)
        h1, m1 = _pool(a1)
        p2 = _patches(np.pad(h1, ((0, 0), (1, 1), (1, 1), (0, 0))), 3)
        a2 = np.maximum(p2 @ k2 + b2, 0).reshape(n, 13, 13, 64)
        h2, m2 = _pool(a2)
        flat = h2.reshape(n, -1)
        keep = None
        if train:
            keep = (self.rng.random(flat.shape, dtype=np.float32) >= 0.5).astype(np.float32) * 2.0
            flat = flat * keep
        z = flat @ w3 + b3
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z, {"p1": p1, "a1": a1, "m1": m1, "p2": p2, "a2": a2, "m2": m2, "flat": flat, "keep": keep}

    def _step(self, x: np.ndarray, y: np.ndarray) -> None:
        k1, b1, k2, b2, w3, b3 = self.params
        n = x.shape[0]
        p, c = self._forward(x, train=True)
        p[np.arange(n), y] -= 1.0
        p /= n
        g_w3, g_b3 = c["flat"].T @ p, p.sum(axis=0)
        g_h2 = ((p @ w3.T) * c["keep"]).reshape(n, 6, 6, 64)
        g_a2 = _unpool(g_h2, c["m2"], c["a2"].shape) * (c["a2"] > 0)
        g2 = g_a2.reshape(-1, 64)
        g_k2, g_b2 = c["p2"].T @ g2, g2.sum(axis=0)
        g_cols = (g2 @ k2.T).reshape(n, 13, 13, 3, 3, 32)
        g_pad = np.zeros((n, 15, 15, 32), np.float32)
        for i in range(3):
            for j in range(3):
                g_pad[:, i:i + 13, j:j + 13] += g_cols[:, :, :, i, j]
        g_a1 = _unpool(g_pad[:, 1:14, 1:14], c["m1"], c["a1"].shape) * (c["a1"] > 0)
        g1 = g_a1.reshape(-1, 32)
        grads = [c["p1"].T @ g1, g1.sum(axis=0), g_k2, g_b2, g_w3, g_b3]
        self.adam(grads)


BUILDERS = {"fnlearn": lambda batch_size, seed: KerasProgramCNN(keras_module("fnlearn"), batch_size, seed),
            "keras": lambda batch_size, seed: KerasProgramCNN(keras_module("keras"), batch_size, seed),
            "numpy": NumpyCNN, "torch": TorchCNN}
