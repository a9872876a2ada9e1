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


def LecunUniform(seed: int | None = None) -> Initializer:  # noqa: N802
    """U(−l, l), l = √(3 / fan_in).

    >>> LecunUniform() is lecun_uniform
    True
    """
    _no_seed("LecunUniform", seed)
    return _init.lecun_uniform


def LecunNormal(seed: int | None = None) -> Initializer:  # noqa: N802
    """N(0, 1 / fan_in) truncated at 2σ, as Keras draws it.

    >>> LecunNormal() is lecun_normal
    True
    """
    _no_seed("LecunNormal", seed)
    return _init.lecun_normal


def Zeros() -> Initializer:  # noqa: N802
    """All zeros.

    >>> Zeros()((2,)).tolist()
    [0.0, 0.0]
    """
    return _init.zeros


def Ones() -> Initializer:  # noqa: N802
    """All ones.

    >>> Ones()((2,)).tolist()
    [1.0, 1.0]
    """
    return _init.ones


def Constant(value: float = 0.0) -> Initializer:  # noqa: N802
    """Every weight set to ``value``.

    >>> Constant(3.0)((2,)).tolist()
    [3.0, 3.0]
    """
    return _init.Constant(value)


def RandomNormal(mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> Initializer:  # noqa: N802
    """N(mean, stddev²)."""
    _no_seed("RandomNormal", seed)
    return _init.Normal(std=stddev, mean=mean)


def RandomUniform(minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> Initializer:  # noqa: N802
    """U(minval, maxval).

    >>> RandomUniform(-1.0, 1.0).get_config()
    {'name': 'uniform', 'minval': -1.0, 'maxval': 1.0}
    """
    _no_seed("RandomUniform", seed)
    return _init.Uniform(minval=minval, maxval=maxval)


def TruncatedNormal(mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> Initializer:  # noqa: N802
    """N(mean, stddev²) with draws beyond 2·stddev from the mean drawn again.

    >>> TruncatedNormal(stddev=0.1).get_config()
    {'name': 'truncated_normal', 'std': 0.1, 'mean': 0.0}
    """
    _no_seed("TruncatedNormal", seed)
    return _init.TruncatedNormal(std=stddev, mean=mean)


glorot_uniform = _init.glorot_uniform
glorot_normal = _init.glorot_normal
he_uniform = _init.he_uniform
he_normal = _init.he_normal
lecun_uniform = _init.lecun_uniform
lecun_normal = _init.lecun_normal
zeros = _init.zeros
ones = _init.ones
# Keras's snake_case names of the initializers with settings are the classes themselves
random_normal, random_uniform, truncated_normal, constant = RandomNormal, RandomUniform, TruncatedNormal, Constant
get = _init.get

__all__ = ["GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Zeros", "Ones",
           "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "glorot_uniform", "glorot_normal",
           "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "zeros", "ones", "random_normal",
           "random_uniform", "truncated_normal", "constant", "get"]

__getattr__ = not_provided(__name__, __all__)
