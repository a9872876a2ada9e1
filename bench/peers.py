"""The peers fnlearn is measured against, each behind the same small interface.

A peer turns a :class:`ModelSpec` into a trainer with two methods, ``train_epochs(x, y, epochs)``
and ``predict(x)``, written the way a user of that library would write them. Peers are kept in a
registry (:data:`PEERS`, :func:`register`); a new execution mode — a GPU mode, say — adds its own
peers (``device="cuda"``) with :func:`register` and the workloads run them unchanged.

Example:
    >>> from bench.peers import PEERS, ModelSpec
    >>> spec = ModelSpec(sizes=(4, 8, 3), loss="sparse_ce", optimizer="sgd", learning_rate=0.1,
    ...                  batch_size=16)
    >>> trainer = PEERS["numpy"].build(spec, seed=0)
    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((64, 4), dtype=np.float32)
    >>> trainer.train_epochs(x, np.arange(64) % 3, epochs=1)
    >>> trainer.predict(x).shape
    (64, 3)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class ModelSpec:
    """One network and how to train it.

    ``sizes`` runs from the input width to the output width; every hidden layer is ReLU.
    ``loss="sparse_ce"``: softmax output, integer labels, cross-entropy.
    ``loss="mae"``: linear output, float targets of shape ``(n, sizes[-1])``, mean absolute error.
    """

    sizes: tuple[int, ...]
    loss: str
    optimizer: str
    learning_rate: float
    batch_size: int

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.sizes[1:-1]


class Trainer(Protocol):
    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None: ...

    def predict(self, x: np.ndarray) -> np.ndarray: ...


class Peer:
    """Base class: name, what must be importable, how to set threads, how to build a trainer."""

    name: str = ""
    label: str = ""
    modules: tuple[str, ...] = ()
    import_name: str = ""  # what the ``import`` workload times
    import_env: dict[str, str] = {}
    device: str = "cpu"

    def available(self) -> bool:
        """Whether everything the peer needs can be imported (without importing it)."""
        try:
            return all(importlib.util.find_spec(m) is not None for m in self.modules)
        except (ImportError, ValueError):
            return False

    def setup(self, threads: int) -> None:
        """Import the library and set its own thread count; called once before any workload."""
        for key, value in self.import_env.items():
            os.environ[key] = value
        for module in self.modules:
            importlib.import_module(module)

    def version(self) -> str:
        module = importlib.import_module(self.modules[0])
        return str(getattr(module, "__version__", "unknown"))

    def unsupported(self, spec: ModelSpec) -> str | None:
        """Why this peer cannot train ``spec`` (``None`` when it can)."""
        return None

    def build(self, spec: ModelSpec, seed: int) -> Trainer:
        raise NotImplementedError


def apply_threads(threads: int) -> Any:
    """Limit the BLAS pools loaded so far to ``threads`` (call after every peer is imported)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=threads, user_api="blas")


# --------------------------------------------------------------------------- fnlearn


class FnlearnTrainer:
    def __init__(self, spec: ModelSpec, seed: int) -> None:
        import fnlearn as fl

        fl.set_seed(seed)
        layers = []
        for i, units in enumerate(spec.hidden):
            extra = {"input_shape": (spec.sizes[0],)} if i == 0 else {}
            layers.append(fl.layers.Dense(units, activation="relu", **extra))
        if spec.loss == "sparse_ce":
            layers.append(fl.layers.Dense(spec.sizes[-1], activation="softmax"))
            loss = "sparse_categorical_crossentropy"
        else:
            layers.append(fl.layers.Dense(spec.sizes[-1]))
            loss = "mae"
        optimizer = (fl.optim.SGD if spec.optimizer == "sgd" else fl.optim.Adam)(
            learning_rate=spec.learning_rate
        )
        self.model = fl.Sequential(layers)
        self.model.compile(optimizer=optimizer, loss=loss)
        self.batch_size = spec.batch_size

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        self.model.fit(x, y, batch_size=self.batch_size, epochs=epochs, verbose=0, shuffle=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x, batch_size=len(x)))


class FnlearnPeer(Peer):
    name = "fnlearn"
    label = "fnlearn"
    modules = ("fnlearn",)
    import_name = "fnlearn"

    def build(self, spec: ModelSpec, seed: int) -> Trainer:
        return FnlearnTrainer(spec, seed)


# --------------------------------------------------------------------------- NumPy floor


class NumpyTrainer:
    def __init__(self, spec: ModelSpec, seed: int) -> None:
        from bench.numpy_floor import NumpyMLP

        self.net = NumpyMLP(
            spec.sizes, loss=spec.loss, optimizer=spec.optimizer, learning_rate=spec.learning_rate, seed=seed
        )
        self.batch_size = spec.batch_size

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        for _ in range(epochs):
            self.net.train_epoch(x, y, self.batch_size)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.net.predict(x)


class NumpyPeer(Peer):
    name = "numpy"
    label = "NumPy loop"
    modules = ("numpy",)
    import_name = "numpy"

    def build(self, spec: ModelSpec, seed: int) -> Trainer:
        return NumpyTrainer(spec, seed)


# --------------------------------------------------------------------------- PyTorch


class TorchTrainer:
    def __init__(self, spec: ModelSpec, seed: int) -> None:
        import torch
        from torch import nn

        self.torch = torch
        torch.manual_seed(seed)
        layers: list[Any] = []
        for fan_in, fan_out in zip(spec.sizes[:-2], spec.hidden):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        layers.append(nn.Linear(spec.sizes[-2], spec.sizes[-1]))
        self.model = nn.Sequential(*layers)
        self.classify = spec.loss == "sparse_ce"
        self.loss_fn = nn.CrossEntropyLoss() if self.classify else nn.L1Loss()
        opt_class = torch.optim.SGD if spec.optimizer == "sgd" else torch.optim.Adam
        self.optimizer = opt_class(self.model.parameters(), lr=spec.learning_rate)
        self.batch_size = spec.batch_size
        self._cached: tuple[np.ndarray, np.ndarray, Any, Any] | None = None

    def _tensors(self, x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        # Converted once per data set (zero-copy for x), as a user would before the loop.
        if self._cached is None or self._cached[0] is not x or self._cached[1] is not y:
            xt = self.torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
            yt = self.torch.from_numpy(np.asarray(y, dtype=np.int64 if self.classify else np.float32))
            self._cached = (x, y, xt, yt)
        return self._cached[2], self._cached[3]

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        xt, yt = self._tensors(x, y)
        n, bs = xt.shape[0], self.batch_size
        model, loss_fn, opt = self.model, self.loss_fn, self.optimizer
        for _ in range(epochs):
            order = self.torch.randperm(n)
            for start in range(0, n, bs):
                idx = order[start : start + bs]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xt[idx]), yt[idx])
                loss.backward()
                opt.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.torch.inference_mode():
            out = self.model(self.torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
            if self.classify:
                out = self.torch.softmax(out, dim=1)
            return out.numpy()


class TorchPeer(Peer):
    name = "torch"
    label = "PyTorch"
    modules = ("torch",)
    import_name = "torch"

    def setup(self, threads: int) -> None:
        super().setup(threads)
        import torch

        torch.set_num_threads(threads)

    def build(self, spec: ModelSpec, seed: int) -> Trainer:
        return TorchTrainer(spec, seed)


# --------------------------------------------------------------------------- scikit-learn


class SklearnTrainer:
    def __init__(self, spec: ModelSpec, seed: int) -> None:
        from sklearn.neural_network import MLPClassifier

        self.model = MLPClassifier(
            hidden_layer_sizes=spec.hidden,
            activation="relu",
            solver=spec.optimizer,
            alpha=0.0,  # no L2 penalty: the other peers have none
            batch_size=spec.batch_size,
            learning_rate="constant",
            learning_rate_init=spec.learning_rate,
            momentum=0.0,
            nesterovs_momentum=False,
            beta_1=0.9,
            beta_2=0.999,
            epsilon=1e-8,
            shuffle=True,
            random_state=seed,
        )
        self.classes = np.arange(spec.sizes[-1])
        self.started = False

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        for _ in range(epochs):
            # partial_fit is one shuffled epoch of mini-batches
            if self.started:
                self.model.partial_fit(x, y)
            else:
                self.model.partial_fit(x, y, classes=self.classes)
                self.started = True

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(x)


class SklearnPeer(Peer):
    name = "sklearn"
    label = "scikit-learn"
    modules = ("sklearn",)
    import_name = "sklearn.neural_network"

    def setup(self, threads: int) -> None:
        super().setup(threads)
        importlib.import_module("sklearn.neural_network")

    def unsupported(self, spec: ModelSpec) -> str | None:
        if spec.loss != "sparse_ce":
            return "MLPRegressor has no mean-absolute-error loss"
        return None

    def build(self, spec: ModelSpec, seed: int) -> Trainer:
        return SklearnTrainer(spec, seed)


# --------------------------------------------------------------------------- Keras 3 on JAX


class KerasTrainer:
    def __init__(self, spec: ModelSpec, seed: int) -> None:
        import keras

        keras.utils.set_random_seed(seed)
        layers: list[Any] = [keras.Input((spec.sizes[0],))]
        layers += [keras.layers.Dense(units, activation="relu") for units in spec.hidden]
        if spec.loss == "sparse_ce":
            layers.append(keras.layers.Dense(spec.sizes[-1], activation="softmax"))
            loss = "sparse_categorical_crossentropy"
        else:
            layers.append(keras.layers.Dense(spec.sizes[-1]))
            loss = "mae"
        optimizer = (keras.optimizers.SGD if spec.optimizer == "sgd" else keras.optimizers.Adam)(
            learning_rate=spec.learning_rate
        )
        self.model = keras.Sequential(layers)
        self.model.compile(optimizer=optimizer, loss=loss)
        self.batch_size = spec.batch_size

    def train_epochs(self, x: np.ndarray, y: np.ndarray, epochs: int) -> None:
        self.model.fit(x, y, batch_size=self.batch_size, epochs=epochs, verbose=0, shuffle=True)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x, batch_size=len(x), verbose=0))


class KerasPeer(Peer):
    name = "keras"
    label = "Keras/JAX"
    modules = ("keras", "jax")
    import_name = "keras"
    # The backend is chosen once, at keras' import; it must be set before that.
    import_env = {"KERAS_BACKEND": "jax"}

    def setup(self, threads: int) -> None:
        super().setup(threads)
        import keras

        if keras.backend.backend() != "jax":
            raise RuntimeError(
                f"keras was already imported with the {keras.backend.backend()!r} backend; "
                "run the benchmark in a fresh process."
            )

    def version(self) -> str:
        import jax
        import keras

        return f"{keras.__version__} (jax {jax.__version__})"

    def build(self, spec: ModelSpec, seed: int) -> Trainer:
        return KerasTrainer(spec, seed)


# --------------------------------------------------------------------------- registry

PEERS: dict[str, Peer] = {}


def register(peer: Peer) -> Peer:
    """Add a peer (or replace the one of the same name); the workloads pick it up by name."""
    if not peer.name:
        raise ValueError("a peer needs a non-empty name")
    PEERS[peer.name] = peer
    return peer


for _peer in (FnlearnPeer(), NumpyPeer(), TorchPeer(), SklearnPeer(), KerasPeer()):
    register(_peer)

SUBJECT = "fnlearn"  # the peer every ratio is taken of
FLOOR = "numpy"
