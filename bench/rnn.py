"""The recurrent workload's model, written the way a user of each library writes it, and a NumPy floor.

The network is the text classifier of Keras's tutorials: padded sequences of 80 word indices from a vocabulary of
2,000, Embedding(2000, 32), LSTM(32), Dense(1, sigmoid); Adam 1e-3 on binary cross-entropy. Every trainer has
``train_epochs(x, y, epochs)`` and ``predict(x)``.

Example:
    >>> from bench.rnn import NumpyLSTM, make_data
    >>> x, y = make_data(16)
    >>> net = NumpyLSTM(batch_size=8, seed=0)
    >>> net.train_epochs(x, y, epochs=1)
    >>> net.predict(x).shape
    (16, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bench.programs import KerasProgram, NumpyFloor, keras_module, torch_epochs

VOCABULARY, STEPS, WIDTH, UNITS = 2_000, 80, 32, 32
LEARNING_RATE = 1e-3


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random word indices (n, 80), int64, the first quarter of the rows padded with zeros at the front as
    ``pad_sequences`` pads short reviews, and float32 labels 0/1."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCABULARY, (n, STEPS), dtype=np.int64)
    x[: n // 4, : STEPS // 4] = 0
    return x, rng.integers(0, 2, n).astype(np.float32)


# --------------------------------------------------------------------------- fnlearn and Keras: one program


class KerasProgramLSTM(KerasProgram):
    """The tutorial's program, run by ``fnlearn.keras`` or by Keras itself (the module given as ``keras``)."""

    def __init__(self, keras: Any, batch_size: int, seed: int) -> None:
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input(shape=(STEPS,)), keras.layers.Embedding(VOCABULARY, WIDTH),
                                  keras.layers.LSTM(UNITS), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(keras.optimizers.Adam(LEARNING_RATE), "binary_crossentropy")
        super().__init__(model, batch_size)


# --------------------------------------------------------------------------- PyTorch


class TorchLSTM:
    def __init__(self, batch_size: int, seed: int) -> None:
        import torch
        from torch import nn

        self.torch = torch
        torch.manual_seed(seed)

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.words = nn.Embedding(VOCABULARY, WIDTH)
                self.lstm = nn.LSTM(WIDTH, UNITS, batch_first=True)
                self.out = nn.Linear(UNITS, 1)

            def forward(self, x: Any) -> Any:
                _, (h, _) = self.lstm(self.words(x))
                return self.out(h[0])

        self.model = Net()
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LEARNING_RATE)
        self.batch_size = batch_size

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        xt, yt = self.torch.from_numpy(x), self.torch.from_numpy(y)[:, None]
        torch_epochs(self.torch, self.model, self.loss_fn, self.optimizer, xt, yt, self.batch_size, epochs)

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        with self.torch.inference_mode():
            return self.torch.sigmoid(self.model(self.torch.from_numpy(x))).numpy()


# --------------------------------------------------------------------------- NumPy by hand


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * z) + 0.5


class NumpyLSTM(NumpyFloor):
    """The classifier by hand in NumPy, float32: the embedding rows gathered, the LSTM's steps with Keras's gate
    order (i, f, c, o) and back-propagation through time, sigmoid and cross-entropy fused into ``(p − y) / m``,
    Adam; the embedding's gradient scatter-added with ``np.add.at``."""

    def __init__(self, batch_size: int, seed: int, learning_rate: float = LEARNING_RATE) -> None:
        super().__init__(batch_size, seed, learning_rate)

        def uniform(shape: tuple[int, ...], limit: float) -> np.ndarray:
            return self.rng.uniform(-limit, limit, shape).astype(np.float32)

        bias = np.zeros(4 * UNITS, np.float32)
        bias[UNITS:2 * UNITS] = 1.0  # the forget gate starts open, as Keras's unit_forget_bias
        self.params = [uniform((VOCABULARY, WIDTH), 0.05), uniform((WIDTH, 4 * UNITS), np.sqrt(6 / (5 * UNITS))),
                       np.linalg.qr(self.rng.normal(size=(4 * UNITS, UNITS)))[0].T.astype(np.float32), bias,
                       uniform((UNITS, 1), np.sqrt(6 / (UNITS + 1))), np.zeros(1, np.float32)]

    def _forward(self, ids: np.ndarray, train: bool = True) -> tuple[np.ndarray, list[Any]]:
        table, kernel, recurrent, bias, w, b = self.params
        n, u = len(ids), UNITS
        words = table[ids]
        xw = words @ kernel + bias
        h, c = np.zeros((n, u), np.float32), np.zeros((n, u), np.float32)
        kept = []
        for t in range(ids.shape[1]):
            z = xw[:, t] + h @ recurrent
            i, f, o = _sigmoid(z[:, :u]), _sigmoid(z[:, u:2 * u]), _sigmoid(z[:, 3 * u:])
            g = np.tanh(z[:, 2 * u:3 * u])
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            kept.append((h, c, i, f, g, o, tc))
            h, c = o * tc, c_new
        return _sigmoid(h @ w + b), [words, h, kept]

    def _step(self, ids: np.ndarray, y: np.ndarray) -> None:
        table, kernel, recurrent, bias, w, b = self.params
        n, u = len(ids), UNITS
        p, (words, h, kept) = self._forward(ids)
        dlogit = (p - y[:, None]) / n
        g_w, g_b = h.T @ dlogit, dlogit.sum(axis=0)
        dh, dc = dlogit @ w.T, np.zeros((n, u), np.float32)
        dxw = np.empty((n, ids.shape[1], 4 * u), np.float32)
        g_recurrent = np.zeros_like(recurrent)
        for t in reversed(range(ids.shape[1])):
            h_prev, c_prev, i, f, g, o, tc = kept[t]
            dz = dxw[:, t]
            dz[:, 3 * u:] = dh * tc * o * (1 - o)
            dct = dc + dh * o * (1 - tc * tc)
            dz[:, :u] = dct * g * i * (1 - i)
            dz[:, u:2 * u] = dct * c_prev * f * (1 - f)
            dz[:, 2 * u:3 * u] = dct * i * (1 - g * g)
            g_recurrent += h_prev.T @ dz
            dh, dc = dz @ recurrent.T, dct * f
        flat = dxw.reshape(-1, 4 * u)
        g_kernel, g_bias = words.reshape(-1, WIDTH).T @ flat, flat.sum(axis=0)
        g_table = np.zeros_like(table)
        np.add.at(g_table, ids.ravel(), flat @ kernel.T)
        grads = [g_table, g_kernel, g_recurrent, g_bias, g_w, g_b]
        self.adam(grads, epsilon=1e-7)  # Keras's ε, as the programs' Adam


BUILDERS = {"fnlearn": lambda batch_size, seed: KerasProgramLSTM(keras_module("fnlearn"), batch_size, seed),
            "keras": lambda batch_size, seed: KerasProgramLSTM(keras_module("keras"), batch_size, seed),
            "numpy": NumpyLSTM, "torch": TorchLSTM}
