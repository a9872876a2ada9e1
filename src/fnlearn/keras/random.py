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


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Tensor:
    """Draws from a normal distribution cut to within two standard deviations of the mean (those further out
    are drawn again, as Keras's are); no gradient.

    >>> bool((abs(truncated_normal((1000,), seed=1).numpy()) <= 2).all())
    True
    """
    gen, size = _generator(seed), _shape(shape)
    draws = gen.standard_normal(size)
    far = np.abs(draws) > 2
    while far.any():  # redraw only those outside: each round keeps 95% of the rest
        draws[far] = gen.standard_normal(int(far.sum()))
        far = np.abs(draws) > 2
    return _tensor(draws * stddev + mean, dtype)


def _int_tensor(values: np.ndarray, dtype: Any, who: str) -> Tensor:
    kind = np.dtype(dtype)
    if kind.kind not in "iu":
        raise ConfigError(f"{who} draws whole numbers; give an integer dtype such as 'int32', got {kind}.")
    return Tensor(backend.to_device(values.astype(kind)), dtype=kind)


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """Whole numbers drawn uniformly from [minval, maxval) (int32 by default); no gradient.

    >>> sorted(set(randint((200,), 0, 3, seed=2).numpy().tolist()))
    [0, 1, 2]
    """
    if not int(minval) < int(maxval):
        raise ConfigError(f"randint draws from [minval, maxval): minval must be below maxval, got {minval!r} and "
                          f"{maxval!r}.")
    return _int_tensor(_generator(seed).integers(int(minval), int(maxval), _shape(shape)), dtype, "randint")


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Tensor:
    """``x`` with its slices along ``axis`` in a random order (the same order for the same integer seed); the
    gradient goes back to each slice's place.

    >>> sorted(shuffle(np.arange(5.0), seed=3).numpy().tolist())
    [0.0, 1.0, 2.0, 3.0, 4.0]
    """
    from .. import functional as F

    x = x if isinstance(x, Tensor) else Tensor(x)
    ax = F._one_axis(axis, x.ndim, "shuffle")
    return F.take(x, _generator(seed).permutation(x.shape[ax]), ax)


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """``num_samples`` class indices for each row of ``logits`` (batch, classes), drawn with probabilities
    softmax(logits); no gradient.

    >>> categorical(np.array([[0.0, -1e9], [-1e9, 0.0]]), 3, seed=0).numpy().tolist()
    [[0, 0, 0], [1, 1, 1]]
    """
    scores = np.asarray(backend.to_numpy(logits.data if isinstance(logits, Tensor) else logits), dtype=np.float64)
    if scores.ndim != 2 or isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples < 0:
        raise ConfigError(f"categorical takes logits of shape (batch, classes) and a whole number of samples, got "
                          f"shape {scores.shape} and num_samples={num_samples!r}.")
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    cdf = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
    u = _generator(seed).random((scores.shape[0], int(num_samples)))
    picks = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)]) if len(u) else u
    return _int_tensor(np.minimum(picks, scores.shape[1] - 1), dtype, "categorical")


def gamma(shape: Any, alpha: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Draws from a gamma distribution of shape ``alpha`` and scale 1; no gradient."""
    if not alpha > 0:
        raise ConfigError(f"gamma needs alpha > 0, got {alpha!r}.")
    return _tensor(_generator(seed).gamma(alpha, 1.0, _shape(shape)), dtype)


def beta(shape: Any, alpha: float, beta: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Draws from a beta distribution with parameters ``alpha`` and ``beta`` (values in [0, 1]); no gradient."""
    if not (alpha > 0 and beta > 0):
        raise ConfigError(f"beta needs alpha > 0 and beta > 0, got {alpha!r} and {beta!r}.")
    return _tensor(_generator(seed).beta(alpha, beta, _shape(shape)), dtype)


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """How many of ``counts`` trials succeed with probability ``probabilities`` each, as floats (Keras's
    default dtype); no gradient."""
    p = np.asarray(probabilities, dtype=np.float64)
    if not np.all((p >= 0) & (p <= 1)):
        raise ConfigError(f"binomial: probabilities must lie in [0, 1], got {probabilities!r}.")
    return _tensor(_generator(seed).binomial(np.asarray(counts).astype(np.int64), p, _shape(shape)), dtype)


__all__ = ["SeedGenerator", "normal", "uniform", "dropout", "truncated_normal", "randint", "shuffle", "categorical",
           "gamma", "beta", "binomial"]

__getattr__ = not_provided(__name__, __all__)
