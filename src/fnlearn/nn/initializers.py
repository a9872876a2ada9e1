"""Weight initializers, by name or as objects.

Glorot (Xavier) and He scale the random draws by the layer's fan-in and fan-out so signals neither
explode nor vanish through many layers. All draws come from ``fl.set_seed``'s generator.

Example:
    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.nn.initializers.get("he_normal")((784, 100))
    >>> w.shape, str(w.dtype)
    ((784, 100), 'float32')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..errors import unknown_name

Initializer = Callable[[tuple[int, ...]], Any]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _finish(values: np.ndarray) -> Any:
    return backend.to_device(values.astype(backend.float_dtype()))


def glorot_uniform(shape: tuple[int, ...]) -> Any:
    """U(−l, l) with l = √(6 / (fan_in + fan_out)) — Keras's default for Dense."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return _finish(backend.rng().uniform(-limit, limit, size=shape))


def glorot_normal(shape: tuple[int, ...]) -> Any:
    """N(0, σ²) with σ = √(2 / (fan_in + fan_out)) (plain normal, not truncated)."""
    fan_in, fan_out = _fans(shape)
    return _finish(backend.rng().normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape))


def he_uniform(shape: tuple[int, ...]) -> Any:
    """U(−l, l) with l = √(6 / fan_in), suited to ReLU layers."""
    fan_in, _ = _fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return _finish(backend.rng().uniform(-limit, limit, size=shape))


def he_normal(shape: tuple[int, ...]) -> Any:
    """N(0, σ²) with σ = √(2 / fan_in), suited to ReLU layers (plain normal, not truncated)."""
    fan_in, _ = _fans(shape)
    return _finish(backend.rng().normal(0.0, np.sqrt(2.0 / fan_in), size=shape))


def zeros(shape: tuple[int, ...]) -> Any:
    return _finish(np.zeros(shape))


def ones(shape: tuple[int, ...]) -> Any:
    return _finish(np.ones(shape))


class Normal:
    """N(mean, std²) with a fixed standard deviation: ``Normal(std=0.01)``."""

    def __init__(self, std: float = 0.05, mean: float = 0.0):
        self.std, self.mean = float(std), float(mean)

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _finish(backend.rng().normal(self.mean, self.std, size=shape))

    def get_config(self) -> dict:
        return {"name": "normal", "std": self.std, "mean": self.mean}


def normal(std: float = 0.05, mean: float = 0.0) -> Normal:
    return Normal(std=std, mean=mean)


INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "zeros": zeros,
    "ones": ones,
    "normal": Normal(),
    "random_normal": Normal(),
}


def get(spec: Any) -> Initializer:
    """An initializer from a name (``"he_normal"``), a ``Normal`` object or any callable(shape)."""
    if callable(spec):
        return spec
    if isinstance(spec, str) and spec.lower() in INITIALIZERS:
        return INITIALIZERS[spec.lower()]
    raise unknown_name("initializer", spec, INITIALIZERS)


def name_of(init: Any) -> Any:
    """The config form of an initializer: its name, or its config dict."""
    if hasattr(init, "get_config"):
        return init.get_config()
    for name, fn in INITIALIZERS.items():
        if fn is init:
            return name
    return getattr(init, "__name__", repr(init))


def from_config(spec: Any) -> Initializer:
    if isinstance(spec, dict):
        return Normal(std=spec.get("std", 0.05), mean=spec.get("mean", 0.0))
    return get(spec)
