"""``keras.initializers``: weight initializers by their Keras class names.

Each returns fnlearn's initializer (:mod:`fnlearn.nn.initializers`), which draws from the generator
``fl.set_seed`` seeds; a per-initializer ``seed`` is refused rather than silently ignored.

Example:
    >>> from fnlearn.keras import initializers, layers
    >>> layers.Dense(3, kernel_initializer=initializers.HeNormal(), input_dim=2).kernel.shape
    (2, 3)
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..nn import initializers as _init
from ..nn.initializers import Initializer
from ._missing import not_provided


def _no_seed(name: str, seed: Any) -> None:
    if seed is not None:
        raise ConfigError(f"{name}(seed={seed!r}): fnlearn initializers draw from one generator; call "
                          f"fl.set_seed({seed!r}) before building the model instead.")


def GlorotUniform(seed: int | None = None) -> Initializer:  # noqa: N802  (Keras's class names)
    """U(−l, l), l = √(6 / (fan_in + fan_out)); the default of Dense."""
    _no_seed("GlorotUniform", seed)
    return _init.glorot_uniform


def GlorotNormal(seed: int | None = None) -> Initializer:  # noqa: N802
    """N(0, 2 / (fan_in + fan_out))."""
    _no_seed("GlorotNormal", seed)
    return _init.glorot_normal


def HeUniform(seed: int | None = None) -> Initializer:  # noqa: N802
    """U(−l, l), l = √(6 / fan_in)."""
    _no_seed("HeUniform", seed)
    return _init.he_uniform


def HeNormal(seed: int | None = None) -> Initializer:  # noqa: N802
    """N(0, 2 / fan_in)."""
    _no_seed("HeNormal", seed)
    return _init.he_normal


def Zeros() -> Initializer:  # noqa: N802
    return _init.zeros


def Ones() -> Initializer:  # noqa: N802
    return _init.ones


def RandomNormal(mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> Initializer:  # noqa: N802
    """N(mean, stddev²)."""
    _no_seed("RandomNormal", seed)
    return _init.Normal(std=stddev, mean=mean)


glorot_uniform = _init.glorot_uniform
glorot_normal = _init.glorot_normal
he_uniform = _init.he_uniform
he_normal = _init.he_normal
zeros = _init.zeros
ones = _init.ones
get = _init.get

__all__ = ["GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "Zeros", "Ones", "RandomNormal",
           "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "zeros", "ones", "get"]

__getattr__ = not_provided(__name__, __all__)
