"""Weight initializers, by name or as objects.

Glorot (Xavier), He and LeCun scale the random draws by the layer's fan-in and fan-out so signals neither
explode nor vanish through many layers. All draws come from ``fl.set_seed``'s generator.

Names are Keras's: snake_case (``"lecun_normal"``) or the class name (``"LecunNormal"``). The objects
with settings (:class:`Normal`, :class:`Uniform`, :class:`TruncatedNormal`, :class:`Constant`) save
their settings with a model file and come back with them.

Example:
    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.nn.initializers.get("he_normal")((784, 100))
    >>> w.shape, str(w.dtype)
    ((784, 100), 'float32')
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, unknown_name

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


def lecun_uniform(shape: tuple[int, ...]) -> Any:
    """U(−l, l) with l = √(3 / fan_in): variance 1 / fan_in, for SELU networks.

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(lecun_uniform((300, 10)))
    >>> bool(abs(w).max() <= (3 / 300) ** 0.5)
    True
    """
    fan_in, _ = _fans(shape)
    limit = np.sqrt(3.0 / max(1, fan_in))  # max(1, ·) as Keras, so an empty axis gives no division by zero
    return _finish(backend.rng().uniform(-limit, limit, size=shape))


# The standard deviation of N(0, 1) cut at ±2: dividing by it makes a 2σ-truncated draw keep the
# variance asked for (the constant Keras's VarianceScaling uses).
_TRUNCATED_STD = 0.87962566103423978


def lecun_normal(shape: tuple[int, ...]) -> Any:
    """N(0, 1 / fan_in) truncated at 2σ, as Keras's LecunNormal (the draw's variance is 1 / fan_in).

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(lecun_normal((400, 10)))
    >>> bool(abs(w).max() <= 2 * (1 / 400) ** 0.5 / 0.87962566103423978)
    True
    """
    fan_in, _ = _fans(shape)
    return _finish(_truncated_normal(shape, 0.0, math.sqrt(1.0 / max(1, fan_in)) / _TRUNCATED_STD))


def _truncated_normal(shape: tuple[int, ...], mean: float, std: float) -> np.ndarray:
    """N(mean, std²) with every draw beyond 2 std drawn again (Keras's rule), from fnlearn's generator."""
    rng = backend.rng()
    z = np.asarray(rng.standard_normal(size=shape))
    outside = np.abs(z) > 2.0
    while outside.any():  # about 4.6 % of draws per round, so a few rounds at most
        z[outside] = rng.standard_normal(size=int(outside.sum()))
        outside = np.abs(z) > 2.0
    return mean + std * z


def zeros(shape: tuple[int, ...]) -> Any:
    """All zeros — the default for biases.

    >>> zeros((2,)).tolist()
    [0.0, 0.0]
    """
    return _finish(np.zeros(shape))


def ones(shape: tuple[int, ...]) -> Any:
    """All ones.

    >>> ones((2,)).tolist()
    [1.0, 1.0]
    """
    return _finish(np.ones(shape))


def _number(value: Any, who: str, name: str) -> float:
    """``value`` as a finite float, or one ConfigError sentence (a file's setting or a user's argument)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise ConfigError(f"{who}({name}={value!r}): {name} must be a finite number.")
    return float(value)


class Normal:
    """N(mean, std²) with a fixed standard deviation: ``Normal(std=0.01)``.

    >>> import fnlearn as fl
    >>> fl.layers.Dense(2, input_dim=3, kernel_initializer=Normal(std=0.01)).get_config()["kernel_initializer"]
    {'name': 'normal', 'std': 0.01, 'mean': 0.0}
    """

    def __init__(self, std: float = 0.05, mean: float = 0.0):
        self.std, self.mean = float(std), float(mean)

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _finish(backend.rng().normal(self.mean, self.std, size=shape))

    def get_config(self) -> dict:
        return {"name": "normal", "std": self.std, "mean": self.mean}


def normal(std: float = 0.05, mean: float = 0.0) -> Normal:
    """A :class:`Normal` initializer: ``normal(0.01)``.

    >>> normal(0.01).get_config()
    {'name': 'normal', 'std': 0.01, 'mean': 0.0}
    """
    return Normal(std=std, mean=mean)


class Uniform:
    """U(minval, maxval): Keras's ``RandomUniform`` (default ±0.05).

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(Uniform(-1.0, 1.0)((100, 100)))
    >>> bool(w.min() >= -1.0 and w.max() < 1.0)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05):
        self.minval = _number(minval, "Uniform", "minval")
        self.maxval = _number(maxval, "Uniform", "maxval")
        if self.minval > self.maxval:
            raise ConfigError(f"Uniform(minval={minval!r}, maxval={maxval!r}): minval must not exceed maxval.")

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _finish(backend.rng().uniform(self.minval, self.maxval, size=shape))

    def get_config(self) -> dict:
        return {"name": "uniform", "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal:
    """N(mean, std²) with draws beyond 2 std from the mean drawn again: Keras's ``TruncatedNormal``.

    The result's standard deviation is about 0.88·std (the cut removes the tails).

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(TruncatedNormal(std=0.1)((100, 100)))
    >>> bool(abs(w).max() <= 0.2)
    True
    """

    def __init__(self, std: float = 0.05, mean: float = 0.0):
        self.std = _number(std, "TruncatedNormal", "std")
        self.mean = _number(mean, "TruncatedNormal", "mean")
        if self.std < 0:
            raise ConfigError(f"TruncatedNormal(std={std!r}): std must be ≥ 0.")

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _finish(_truncated_normal(shape, self.mean, self.std))

    def get_config(self) -> dict:
        return {"name": "truncated_normal", "std": self.std, "mean": self.mean}


class Constant:
    """Every weight set to ``value``: Keras's ``Constant`` (default 0).

    >>> Constant(3.0)((2, 2)).tolist()
    [[3.0, 3.0], [3.0, 3.0]]
    """

    def __init__(self, value: float = 0.0):
        self.value = _number(value, "Constant", "value")

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _finish(np.full(shape, self.value))

    def get_config(self) -> dict:
        return {"name": "constant", "value": self.value}


INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_uniform": lecun_uniform,
    "lecun_normal": lecun_normal,
    "zeros": zeros,
    "zero": zeros,
    "ones": ones,
    "one": ones,
    "normal": Normal(),
    "random_normal": Normal(),
    "uniform": Uniform(),
    "random_uniform": Uniform(),
    "truncated_normal": TruncatedNormal(),
    "constant": Constant(),
}

# The initializers with settings, by the name their get_config records.
_CONFIGURABLE: dict[str, type] = {"normal": Normal, "uniform": Uniform, "truncated_normal": TruncatedNormal,
                                  "constant": Constant}


def _snake_case(name: str) -> str:
    """Keras's class names as its snake_case names: ``"LecunNormal"`` → ``"lecun_normal"``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def get(spec: Any) -> Initializer:
    """An initializer from a name (``"he_normal"``, ``"HeNormal"``), an object such as ``Normal(std=0.01)``,
    a saved config dict, or any callable(shape).

    >>> get("LecunUniform") is get("lecun_uniform") is lecun_uniform
    True
    """
    if callable(spec):
        return spec
    if isinstance(spec, dict):
        return from_config(spec)
    if isinstance(spec, str) and _snake_case(spec) in INITIALIZERS:
        return INITIALIZERS[_snake_case(spec)]
    raise unknown_name("initializer", spec, INITIALIZERS)


def name_of(init: Any) -> Any:
    """The config form of an initializer: its name, or its config dict (settings included).

    >>> name_of(he_normal), name_of(Constant(3.0))
    ('he_normal', {'name': 'constant', 'value': 3.0})
    """
    if hasattr(init, "get_config"):
        return init.get_config()
    for name, fn in INITIALIZERS.items():
        if fn is init:
            return name
    return getattr(init, "__name__", repr(init))


def from_config(spec: Any) -> Initializer:
    """The initializer :func:`name_of` recorded: a name, or a config dict rebuilt with its settings.

    >>> from_config({"name": "uniform", "minval": -1.0, "maxval": 1.0}).get_config()
    {'name': 'uniform', 'minval': -1.0, 'maxval': 1.0}
    """
    if isinstance(spec, dict):
        settings = dict(spec)
        name = settings.pop("name", "normal")  # files from before the name was written held only Normal
        cls = _CONFIGURABLE.get(name) if isinstance(name, str) else None
        if cls is None:
            raise unknown_name("initializer config", name, _CONFIGURABLE)
        try:
            return cls(**settings)
        except TypeError:  # a setting the class does not take
            takes = ", ".join(key for key in cls().get_config() if key != "name")
            raise ConfigError(f"initializer config {spec!r} has a setting {cls.__name__} does not take; it takes "
                              f"{takes}.") from None
    return get(spec)
