"""``keras.random``: the random draws a layer of one's own makes in ``call`` (Keras's guide to writing
layers: a ``SeedGenerator`` made in ``__init__``, ``keras.random.dropout`` or ``normal`` in ``call``).

Without a seed, draws come from fnlearn's own generator (``keras.utils.set_random_seed`` /
``fl.set_seed`` fix it); an integer seed gives the same draw every call, as in Keras; a
``SeedGenerator`` gives a new draw each call, the same sequence every run.

Example:
    >>> from fnlearn.keras import random
    >>> seed = random.SeedGenerator(1337)
    >>> random.normal((2, 3), seed=seed).shape
    (2, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError
from ..nn.layers import _setting, as_input
from ..tensor import Tensor
from ._missing import not_provided


class SeedGenerator:
    """A generator of its own for the draws of one layer: the same sequence of draws every run.

    >>> a, b = SeedGenerator(7), SeedGenerator(7)
    >>> bool((uniform((3,), seed=a).numpy() == uniform((3,), seed=b).numpy()).all())
    True
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ConfigError(f"SeedGenerator seed must be an integer or None, got {seed!r}.")
        self.seed = seed
        self.generator = np.random.default_rng(backend.rng().integers(2**63) if seed is None else int(seed))

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


def _generator(seed: Any) -> np.random.Generator:
    if seed is None:
        return backend.rng()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))  # Keras: an integer seed draws the same values every call
    raise ConfigError(f"seed must be None, an integer or a keras.random.SeedGenerator, got {type(seed).__name__}.")


def _shape(shape: Any) -> tuple[int, ...]:
    try:
        sizes = tuple(int(s) for s in (shape if isinstance(shape, (tuple, list)) else (shape,)))
    except (TypeError, ValueError):
        sizes = (-1,)
    if any(s < 0 for s in sizes):
        raise ConfigError(f"shape must be a tuple of sizes ≥ 0 such as (32, 8), got {shape!r}.")
    return sizes


def _tensor(values: np.ndarray, dtype: Any) -> Tensor:
    kind = np.dtype(dtype or backend.get_default_dtype())
    if kind.kind != "f":
        raise ConfigError(f"random draws of dtype {kind} would be cut to whole numbers; ask for a float dtype "
                          "('float32' or 'float64') and round or cast the draws yourself.")
    return Tensor(backend.to_device(values.astype(kind)))


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Draws from a normal distribution (no gradient)."""
    return _tensor(_generator(seed).normal(mean, stddev, _shape(shape)), dtype)


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Draws from a uniform distribution on [minval, maxval) (no gradient)."""
    return _tensor(_generator(seed).uniform(minval, maxval, _shape(shape)), dtype)


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Tensor:
    """``inputs`` with each value set to 0 with probability ``rate`` and the rest scaled by 1 / (1 − rate), as
    ``layers.Dropout`` does in training; the gradient flows through the values kept.

    >>> out = dropout(np.ones((1000, 4)), rate=0.5, seed=SeedGenerator(0)).numpy()
    >>> sorted(set(out.ravel().tolist())), bool(abs(out.mean() - 1) < 0.1)
    ([0.0, 2.0], True)
    """
    rate = _setting(rate, "rate", "a number in [0, 1)", owner="dropout")
    if rate >= 1:
        raise ConfigError(f"dropout rate must be below 1 (1 would drop everything), got {rate!r}.")
    x = as_input(inputs, inputs.dtype if isinstance(inputs, Tensor) else np.dtype(backend.get_default_dtype()),
                 "dropout")
    shape = x.shape if noise_shape is None else tuple(x.shape[i] if s is None else int(s)
                                                      for i, s in enumerate(noise_shape))
    keep = _generator(seed).random(shape) >= rate
    return x * Tensor(backend.to_device((keep / (1.0 - rate)).astype(x.dtype)))


__all__ = ["SeedGenerator", "normal", "uniform", "dropout"]

__getattr__ = not_provided(__name__, __all__)
