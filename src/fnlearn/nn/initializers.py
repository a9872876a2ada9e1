"""Weight initializers, by name or as objects.

Glorot (Xavier), He and LeCun scale the random draws by the layer's fan-in and fan-out so signals neither
explode nor vanish through many layers. Their "normal" forms draw, as Keras 3 does, a normal cut at ±2σ with σ
raised by 1 / 0.8796 so the weights keep the variance the name promises (2 / fan_in for He);
``VarianceScaling(distribution="untruncated_normal")`` draws a plain normal instead.

Draws come from ``fl.set_seed``'s generator. An initializer object made with a ``seed``
(``GlorotUniform(seed=42)``, ``Normal(std=0.01, seed=1)``) draws from a generator of its own seeded by it at
every call, so it gives the same values each time, and two made with one seed give the same values (Keras's
rule); the seed is saved with a model file.

Names are Keras's: snake_case (``"lecun_normal"``) or the class name (``"LecunNormal"``). The objects
with settings (:class:`Normal`, :class:`Uniform`, :class:`TruncatedNormal`, :class:`VarianceScaling`,
:class:`Constant`, and a seeded :class:`GlorotUniform`...) save their settings with a model file and come back
with them.

Example:
    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.nn.initializers.get("he_normal")((784, 100))
    >>> w.shape, str(w.dtype)
    ((784, 100), 'float32')
    >>> a, b = HeNormal(seed=42)((3, 2)), HeNormal(seed=42)((3, 2))
    >>> bool((a == b).all())
    True
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, ShapeError, equivalent, reject_foreign, unknown_name
from . import _keras_form

InitializerLike = Callable[[tuple[int, ...]], Any]


class Initializer:
    """The base class of an initializer of one's own (Keras's ``keras.initializers.Initializer``): ``__call__``
    gives the starting values for a weight of ``shape``; ``get_config`` gives its settings, so that a model using it
    can be saved and loaded again (with ``custom_objects``). A plain function of the shape works as well.

    >>> import numpy as np
    >>> class Halves(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 0.5)
    >>> Halves()((2,)).tolist()
    [0.5, 0.5]
    """

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no __call__(shape, dtype=None) giving the starting "
                                  "values; write one.")

    def get_config(self) -> dict[str, Any]:
        """The settings from which :meth:`from_config` makes the initializer again: none here. A subclass whose
        ``__init__`` takes settings must write its own, or it cannot be saved."""
        return _keras_form.settings_of("initializer", self)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """An initializer from :meth:`get_config`'s settings."""
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same settings (Keras's ``clone``)."""
        return self.from_config(self.get_config())


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


def _finish(values: np.ndarray) -> Any:
    return backend.to_device(values.astype(backend.float_dtype()))


def _seed(who: str, seed: Any) -> int | None:
    """``seed`` as an int (or None: draw from ``fl.set_seed``'s generator), or one ConfigError sentence."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"{who}(seed={seed!r}): seed must be a non-negative integer, or None to draw from "
                          "fl.set_seed's generator; e.g. seed=42.")
    return int(seed)


def _generator(seed: int | None) -> np.random.Generator:
    # A new generator at each call: an initializer with a seed gives the same values every time, as Keras's does
    return backend.rng() if seed is None else np.random.default_rng(seed)


def _with_seed(config: dict[str, Any], seed: int | None) -> dict[str, Any]:
    # Written only when set, so an unseeded initializer's config stays what files before seeds held
    return config if seed is None else {**config, "seed": seed}


# The standard deviation of N(0, 1) cut at ±2: dividing by it makes a 2σ-truncated draw keep the
# variance asked for (the constant Keras's VarianceScaling uses).
_TRUNCATED_STD = 0.87962566103423978

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def _truncated_normal(shape: tuple[int, ...], mean: float, std: float,
                      rng: np.random.Generator | None = None) -> np.ndarray:
    """N(mean, std²) with every draw beyond 2 std drawn again (Keras's rule), from ``rng`` (fnlearn's generator
    by default)."""
    rng = backend.rng() if rng is None else rng
    z = np.asarray(rng.standard_normal(size=shape))
    outside = np.abs(z) > 2.0
    while outside.any():  # about 4.6 % of draws per round, so a few rounds at most
        z[outside] = rng.standard_normal(size=int(outside.sum()))
        outside = np.abs(z) > 2.0
    return mean + std * z


def _variance_scaling(shape: tuple[int, ...], scale: float, mode: str, distribution: str,
                      rng: np.random.Generator) -> Any:
    """Keras's VarianceScaling draw: variance ``scale / n``, n the fan ``mode`` names (at least 1)."""
    fan_in, fan_out = _fans(shape)
    n = max(1.0, {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode])
    if distribution == "truncated_normal":
        return _finish(_truncated_normal(shape, 0.0, math.sqrt(scale / n) / _TRUNCATED_STD, rng))
    if distribution == "untruncated_normal":
        return _finish(rng.normal(0.0, math.sqrt(scale / n), size=shape))
    limit = math.sqrt(3.0 * scale / n)  # this order keeps the limits √(6 / fan_in)... bit for bit as before
    return _finish(rng.uniform(-limit, limit, size=shape))


def glorot_uniform(shape: tuple[int, ...]) -> Any:
    """U(−l, l) with l = √(6 / (fan_in + fan_out)) — Keras's default for Dense."""
    return _variance_scaling(shape, 1.0, "fan_avg", "uniform", backend.rng())


def glorot_normal(shape: tuple[int, ...]) -> Any:
    """N(0, σ²) truncated at 2σ, as Keras's GlorotNormal: the draws' variance is 2 / (fan_in + fan_out).

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(glorot_normal((300, 100)))
    >>> bool(abs(w).max() <= 2 * (2 / 400) ** 0.5 / 0.87962566103423978)
    True
    """
    return _variance_scaling(shape, 1.0, "fan_avg", "truncated_normal", backend.rng())


def he_uniform(shape: tuple[int, ...]) -> Any:
    """U(−l, l) with l = √(6 / fan_in), suited to ReLU layers."""
    return _variance_scaling(shape, 2.0, "fan_in", "uniform", backend.rng())


def he_normal(shape: tuple[int, ...]) -> Any:
    """N(0, σ²) truncated at 2σ, as Keras's HeNormal: the draws' variance is 2 / fan_in, suited to ReLU layers.

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(he_normal((400, 10)))
    >>> bool(abs(w).max() <= 2 * (2 / 400) ** 0.5 / 0.87962566103423978)
    True
    """
    return _variance_scaling(shape, 2.0, "fan_in", "truncated_normal", backend.rng())


def lecun_uniform(shape: tuple[int, ...]) -> Any:
    """U(−l, l) with l = √(3 / fan_in): variance 1 / fan_in, for SELU networks.

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(lecun_uniform((300, 10)))
    >>> bool(abs(w).max() <= (3 / 300) ** 0.5)
    True
    """
    return _variance_scaling(shape, 1.0, "fan_in", "uniform", backend.rng())


def lecun_normal(shape: tuple[int, ...]) -> Any:
    """N(0, 1 / fan_in) truncated at 2σ, as Keras's LecunNormal (the draw's variance is 1 / fan_in).

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(lecun_normal((400, 10)))
    >>> bool(abs(w).max() <= 2 * (1 / 400) ** 0.5 / 0.87962566103423978)
    True
    """
    return _variance_scaling(shape, 1.0, "fan_in", "truncated_normal", backend.rng())


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
    try:  # an int beyond a float's range (a crafted file's 10**400) overflows rather than being infinite
        finite = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)) \
            and math.isfinite(value)
    except OverflowError:
        finite = False
    if not finite:
        shown = f"an integer of {value.bit_length()} bits" if isinstance(value, int) and value.bit_length() > 64 \
            else repr(value)
        raise ConfigError(f"{who}({name}={shown}): {name} must be a finite number.")
    return float(value)


class Normal:
    """N(mean, std²) with a fixed standard deviation: ``Normal(std=0.01)``; Keras's ``RandomNormal``.

    >>> import fnlearn as fl
    >>> fl.layers.Dense(2, input_dim=3, kernel_initializer=Normal(std=0.01)).get_config()["kernel_initializer"]
    {'name': 'normal', 'std': 0.01, 'mean': 0.0}
    >>> Normal(std=0.01, seed=7).get_config()
    {'name': 'normal', 'std': 0.01, 'mean': 0.0, 'seed': 7}
    """

    def __init__(self, std: float = 0.05, mean: float = 0.0, seed: int | None = None):
        self.std = _number(std, "Normal", "std")
        self.mean = _number(mean, "Normal", "mean")
        if self.std < 0:
            raise ConfigError(f"Normal(std={std!r}): std must be ≥ 0.")
        self.seed = _seed("Normal", seed)

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _finish(_generator(self.seed).normal(self.mean, self.std, size=shape))

    def get_config(self) -> dict:
        return _with_seed({"name": "normal", "std": self.std, "mean": self.mean}, self.seed)


def normal(std: float = 0.05, mean: float = 0.0, seed: int | None = None) -> Normal:
    """A :class:`Normal` initializer: ``normal(0.01)``.

    >>> normal(0.01).get_config()
    {'name': 'normal', 'std': 0.01, 'mean': 0.0}
    """
    return Normal(std=std, mean=mean, seed=seed)


class Uniform:
    """U(minval, maxval): Keras's ``RandomUniform`` (default ±0.05).

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(Uniform(-1.0, 1.0)((100, 100)))
    >>> bool(w.min() >= -1.0 and w.max() < 1.0)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval = _number(minval, "Uniform", "minval")
        self.maxval = _number(maxval, "Uniform", "maxval")
        if self.minval > self.maxval:
            raise ConfigError(f"Uniform(minval={minval!r}, maxval={maxval!r}): minval must not exceed maxval.")
        self.seed = _seed("Uniform", seed)

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _finish(_generator(self.seed).uniform(self.minval, self.maxval, size=shape))

    def get_config(self) -> dict:
        return _with_seed({"name": "uniform", "minval": self.minval, "maxval": self.maxval}, self.seed)


class TruncatedNormal:
    """N(mean, std²) with draws beyond 2 std from the mean drawn again: Keras's ``TruncatedNormal``.

    The result's standard deviation is about 0.88·std (the cut removes the tails).

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(TruncatedNormal(std=0.1)((100, 100)))
    >>> bool(abs(w).max() <= 0.2)
    True
    """

    def __init__(self, std: float = 0.05, mean: float = 0.0, seed: int | None = None):
        self.std = _number(std, "TruncatedNormal", "std")
        self.mean = _number(mean, "TruncatedNormal", "mean")
        if self.std < 0:
            raise ConfigError(f"TruncatedNormal(std={std!r}): std must be ≥ 0.")
        self.seed = _seed("TruncatedNormal", seed)

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _finish(_truncated_normal(shape, self.mean, self.std, _generator(self.seed)))

    def get_config(self) -> dict:
        return _with_seed({"name": "truncated_normal", "std": self.std, "mean": self.mean}, self.seed)


class VarianceScaling:
    """Keras's ``VarianceScaling``: draws of variance ``scale / n``, n the layer's fan-in (``mode="fan_in"``),
    fan-out (``"fan_out"``) or their mean (``"fan_avg"``), each at least 1.

    ``distribution="truncated_normal"`` (Keras's default; ``"normal"`` is read as it) cuts a normal at ±2σ with
    σ = √(scale / n) / 0.8796, so the variance is still scale / n; ``"untruncated_normal"`` is the plain
    N(0, scale / n); ``"uniform"`` is U(−l, l) with l = √(3 · scale / n). Glorot, He and LeCun are its special
    cases: He's normal is ``VarianceScaling(2.0, "fan_in", "truncated_normal")``.

    >>> import fnlearn as fl
    >>> fl.set_seed(0); w = fl.backend.to_numpy(VarianceScaling(2.0, "fan_in", "untruncated_normal")((500, 200)))
    >>> round(float(w.std()) / (2 / 500) ** 0.5, 1)
    1.0
    """

    name = "variance_scaling"

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None):
        who = type(self).__name__
        self.scale = _number(scale, who, "scale")
        if self.scale <= 0:
            raise ConfigError(f"{who}(scale={scale!r}): scale must be > 0, e.g. 2.0 for ReLU layers.")
        if mode not in _MODES:
            raise unknown_name(f"{who} mode", mode, _MODES)
        if isinstance(distribution, str) and distribution.lower() == "normal":
            distribution = "truncated_normal"  # Keras's old name for its truncated draw
        if not isinstance(distribution, str) or distribution.lower() not in _DISTRIBUTIONS:
            raise unknown_name(f"{who} distribution", distribution, _DISTRIBUTIONS)
        self.mode, self.distribution = mode, distribution.lower()
        self.seed = _seed(who, seed)

    def __call__(self, shape: tuple[int, ...]) -> Any:
        return _variance_scaling(shape, self.scale, self.mode, self.distribution, _generator(self.seed))

    def get_config(self) -> dict:
        return _with_seed({"name": self.name, "scale": self.scale, "mode": self.mode,
                           "distribution": self.distribution}, self.seed)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({settings})"


class _FixedVarianceScaling(VarianceScaling):
    """A Glorot, He or LeCun initializer as an object: its settings fixed, a ``seed`` of its own."""

    settings: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: int | None = None):
        super().__init__(*self.settings, seed=seed)

    def get_config(self) -> dict:
        return _with_seed({"name": self.name}, self.seed)


class GlorotUniform(_FixedVarianceScaling):
    """:func:`glorot_uniform` as an object, with a seed of its own: ``GlorotUniform(seed=42)``.

    >>> GlorotUniform(seed=42).get_config()
    {'name': 'glorot_uniform', 'seed': 42}
    """

    name, settings = "glorot_uniform", (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """:func:`glorot_normal` (truncated at 2σ) as an object, with a seed of its own."""

    name, settings = "glorot_normal", (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """:func:`he_uniform` as an object, with a seed of its own."""

    name, settings = "he_uniform", (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """:func:`he_normal` (truncated at 2σ) as an object, with a seed of its own."""

    name, settings = "he_normal", (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """:func:`lecun_uniform` as an object, with a seed of its own."""

    name, settings = "lecun_uniform", (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """:func:`lecun_normal` (truncated at 2σ) as an object, with a seed of its own."""

    name, settings = "lecun_normal", (1.0, "fan_in", "truncated_normal")


class Constant:
    """Every weight set to ``value``: Keras's ``Constant`` (default 0). ``value`` may be an array that fits the
    weights' shape, as in Keras's pretrained-embeddings example
    (``Embedding(..., embeddings_initializer=Constant(embedding_matrix))``).

    >>> Constant(3.0)((2, 2)).tolist(), Constant([1.0, 2.0])((2, 2)).tolist()
    ([[3.0, 3.0], [3.0, 3.0]], [[1.0, 2.0], [1.0, 2.0]])
    """

    def __init__(self, value: Any = 0.0):
        if np.ndim(value) == 0 or isinstance(value, (str, bytes)):
            self.value: Any = _number(value, "Constant", "value")
            return
        try:
            table = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            table = np.array([np.nan])
        if not np.isfinite(table).all():
            raise ConfigError(f"Constant got a value of shape {np.shape(value)} that is not all finite numbers; give "
                              "one number, or an array of finite numbers of the weights' shape.")
        self.value = table

    def __call__(self, shape: tuple[int, ...]) -> Any:
        if isinstance(self.value, float):
            return _finish(np.full(shape, self.value))
        try:
            return _finish(np.broadcast_to(self.value, tuple(shape)).copy())
        except ValueError:
            raise ConfigError(f"Constant holds an array of shape {self.value.shape}, which does not fit weights of "
                              f"shape {tuple(shape)}; give an array of that shape (for an Embedding, a row per "
                              "word).") from None

    def get_config(self) -> dict:
        return {"name": "constant", "value": self.value if isinstance(self.value, float) else self.value.tolist()}


class Orthogonal:
    """A random orthogonal matrix times ``gain``, Keras's ``Orthogonal``: the recurrent layers' default for the
    kernel they apply at every step, which then neither grows nor shrinks the state it carries. A shape with more
    than two axes is made orthogonal as (product of the others, last).

    >>> import numpy as np
    >>> q = backend.to_numpy(Orthogonal(seed=1)((4, 4))).astype(np.float64)
    >>> bool(np.allclose(q @ q.T, np.eye(4), atol=1e-6))
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = _number(gain, "Orthogonal", "gain")
        self.seed = _seed("Orthogonal", seed)

    def __call__(self, shape: tuple[int, ...]) -> Any:
        if len(shape) < 2:
            raise ConfigError(f"Orthogonal makes matrices, shapes of at least two axes, got shape {tuple(shape)}; "
                              "use another initializer for a bias.")
        rows, cols = int(np.prod(shape[:-1])), int(shape[-1])
        draw = _generator(self.seed).normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(draw)
        q *= np.sign(np.diag(r))  # a unique Q, uniformly distributed among orthogonal matrices
        if rows < cols:
            q = q.T
        return _finish(self.gain * q.reshape(shape))

    def get_config(self) -> dict:
        return _with_seed({"name": "orthogonal", "gain": self.gain}, self.seed)


class Identity:
    """``gain`` times the identity matrix (ones on the diagonal of a rectangle too), Keras's ``Identity``: the
    recurrent kernel of Le et al.'s IRNN, a ReLU ``SimpleRNN`` that starts by carrying its state unchanged.

    >>> Identity(2.0)((2, 3)).tolist()
    [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain: float = 1.0):
        self.gain = _number(gain, "Identity", "gain")

    def __call__(self, shape: tuple[int, ...]) -> Any:
        if len(shape) != 2:
            raise ConfigError(f"Identity makes matrices, shapes of two axes, got shape {tuple(shape)}; use it for a "
                              "Dense or recurrent kernel.")
        return _finish(self.gain * np.eye(*shape))

    def get_config(self) -> dict:
        return {"name": "identity", "gain": self.gain}


# SciPy's windows without parameters, as scipy.signal.get_window names them: those of cosine terms by their
# coefficients, the others by a function of the (symmetric) length
_COSINE_WINDOWS = {"hann": (0.5, 0.5), "hamming": (0.54, 0.46), "blackman": (0.42, 0.5, 0.08),
                   "blackmanharris": (0.35875, 0.48829, 0.14128, 0.01168),
                   "nuttall": (0.3635819, 0.4891775, 0.1365995, 0.0106411),
                   "flattop": (0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368)}
_WINDOW_ALIASES = {"han": "hann", "hamm": "hamming", "ham": "hamming", "black": "blackman", "blk": "blackman",
                   "blackharr": "blackmanharris", "bkh": "blackmanharris", "nutl": "nuttall", "nut": "nuttall",
                   "flat": "flattop", "flt": "flattop", "box": "boxcar", "ones": "boxcar", "rect": "boxcar",
                   "rectangular": "boxcar", "bart": "bartlett", "brt": "bartlett", "triangle": "triang",
                   "tri": "triang", "halfcosine": "cosine", "bman": "bohman", "bmn": "bohman", "brthan": "barthann",
                   "bth": "barthann"}


def _triang(m: int) -> np.ndarray:
    n = np.arange(1, (m + 1) // 2 + 1)
    half = (2 * n - 1.0) / m if m % 2 == 0 else 2 * n / (m + 1.0)
    return np.concatenate([half, half[::-1] if m % 2 == 0 else half[-2::-1]])


def _bohman(m: int) -> np.ndarray:
    fac = np.abs(np.linspace(-1, 1, m)[1:-1])
    return np.concatenate([[0.0], (1 - fac) * np.cos(np.pi * fac) + np.sin(np.pi * fac) / np.pi, [0.0]])


def _barthann(m: int) -> np.ndarray:
    fac = np.abs(np.arange(m) / (m - 1.0) - 0.5)
    return 0.62 - 0.48 * fac + 0.38 * np.cos(2 * np.pi * fac)


_SHAPED_WINDOWS = {"boxcar": lambda m: np.ones(m),
                   "bartlett": lambda m: np.where(np.arange(m) <= (m - 1) / 2.0, 2.0 * np.arange(m) / (m - 1),
                                                  2.0 - 2.0 * np.arange(m) / (m - 1)),
                   "triang": _triang, "cosine": lambda m: np.sin(np.pi / m * (np.arange(m) + 0.5)),
                   "bohman": _bohman, "barthann": _barthann}
WINDOW_NAMES = tuple(sorted((*_COSINE_WINDOWS, *_SHAPED_WINDOWS)))


def check_window(window: Any, who: str) -> Any:
    """``window`` as a transform takes it: None, a window's name SciPy's ``get_window`` knows without parameters,
    or its values (a 1-D array, kept on the host); anything else refused in one sentence."""
    if window is None:
        return None
    if isinstance(window, str):
        if window not in WINDOW_NAMES and window not in _WINDOW_ALIASES:
            raise unknown_name(f"{who} window", window, WINDOW_NAMES)
        return window
    try:
        values = np.asarray(backend.to_numpy(getattr(window, "data", window)), dtype=np.float64)
    except (TypeError, ValueError):
        values = np.array([[np.nan]])
    if values.ndim != 1 or not np.isfinite(values).all():
        raise ConfigError(f"{who} got a window of shape {values.shape} that is not a row of finite numbers; give a "
                          f"window's name ({', '.join(WINDOW_NAMES)}), its values, or None.")
    return values


def window_values(window: Any, length: int, periodic: bool, who: str) -> np.ndarray:
    """The ``length`` values of ``window`` (a name or values :func:`check_window` passed), as SciPy's
    ``get_window(window, length, fftbins=periodic)`` gives them (float64, on the host).

    >>> window_values("hann", 4, True, "STFT").tolist(), window_values("hann", 3, False, "STFT").tolist()
    ([0.0, 0.5, 1.0, 0.5], [0.0, 1.0, 0.0])
    """
    if not isinstance(window, str):
        if window.shape != (length,):
            raise ShapeError(f"{who} got a window of {window.shape[0]} values for frames of {length} samples; give "
                             "one value per sample of a frame.")
        return window
    if length <= 1:
        return np.ones(length)
    name = _WINDOW_ALIASES.get(window, window)
    m = length + 1 if periodic else length  # a periodic window is a symmetric one a sample longer, cut
    if name in _COSINE_WINDOWS:
        angles = np.linspace(-np.pi, np.pi, m)
        values = sum(a * np.cos(k * angles) for k, a in enumerate(_COSINE_WINDOWS[name]))
    else:
        values = _SHAPED_WINDOWS[name](m)
    return np.asarray(values, dtype=np.float64)[:length]


class STFT:
    """Kernels of a short-time Fourier transform computed as a convolution, Keras's ``STFT`` initializer (the start
    of ``STFTSpectrogram``'s weights): for shape (frame_length, 1, bins), the cosines (``side="real"``) or sines
    (``"imag"``) of −2π·t·k / (2·(bins − 1)), each column times ``window`` (a SciPy window name, its values, or
    None) divided by the window's L2 norm (``scaling="density"``), its sum (``"spectrum"``) or 1 (None).
    ``periodic`` takes the window from one a sample longer, as the frames of a transform tile.

    >>> w = STFT("real", window=None)((4, 1, 3))
    >>> w[:, 0, :].round(4).tolist()
    [[1.0, 1.0, 1.0], [1.0, 0.0, -1.0], [1.0, -1.0, 1.0], [1.0, -0.0, -1.0]]
    >>> STFT("imag", "hamming", "spectrum", True).get_config()
    {'name': 'stft', 'side': 'imag', 'window': 'hamming', 'periodic': True, 'scaling': 'spectrum'}
    """

    def __init__(self, side: str = "real", window: Any = "hann", scaling: str | None = "density",
                 periodic: bool = False):
        if side not in ("real", "imag"):
            raise ConfigError(f"STFT(side={side!r}): side must be 'real' (the cosines) or 'imag' (the sines).")
        if scaling not in (None, "density", "spectrum"):
            raise ConfigError(f"STFT(scaling={scaling!r}): scaling must be 'density' (the window's L2 norm), "
                              "'spectrum' (its sum) or None.")
        if not isinstance(periodic, (bool, np.bool_)):
            raise ConfigError(f"STFT(periodic={periodic!r}): periodic must be True or False.")
        self.side, self.scaling, self.periodic = side, scaling, bool(periodic)
        self.window = check_window(window, "STFT")

    def __call__(self, shape: tuple[int, ...], dtype: Any = None) -> Any:
        shape = tuple(int(s) for s in shape)
        if len(shape) < 2:
            raise ConfigError(f"STFT makes convolution kernels of shape (frame_length, 1, bins), got shape {shape}; "
                              "give the frame's length first and the frequencies last.")
        frame_length, bins = shape[0], shape[-1]
        time = np.arange(frame_length, dtype=np.float64)[:, None]
        freq = np.arange(bins, dtype=np.float64)[None, :] / max((bins - 1) * 2, 1)  # one bin: frequency 0 only
        angles = -2.0 * time * freq * np.pi
        kernel = np.cos(angles) if self.side == "real" else np.sin(angles)
        if self.window is not None:
            win = window_values(self.window, frame_length, self.periodic, "STFT")[:, None]
            scale = {"density": np.sqrt(np.sum(win * win)), "spectrum": np.sum(np.abs(win)), None: 1.0}[self.scaling]
            kernel = kernel * win / scale
        # the axes between the frame's and the frequencies' (a convolution's input channels) take the same kernel
        kernel = np.broadcast_to(kernel.reshape(frame_length, *([1] * (len(shape) - 2)), bins), shape)
        if dtype is None:
            return _finish(kernel)
        return backend.to_device(kernel.astype(np.dtype(dtype)))

    def get_config(self) -> dict:
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"name": "stft", "side": self.side, "window": window, "periodic": self.periodic,
                "scaling": self.scaling}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> STFT:
        """The initializer of :meth:`get_config`'s settings, or of Keras's (the same, without the name)."""
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def __repr__(self) -> str:
        return (f"STFT(side={self.side!r}, window={self.get_config()['window']!r}, scaling={self.scaling!r}, "
                f"periodic={self.periodic!r})")


INITIALIZERS: dict[str, InitializerLike] = {
    "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    # PyTorch's name; drawn as Keras's glorot_normal (cut at 2σ, the same variance), one rule for both names
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
    "variance_scaling": VarianceScaling(),
    "constant": Constant(),
    "orthogonal": Orthogonal(),
    "identity": Identity(),
    "stft": STFT(),
}

# The initializers with settings, by the name their get_config records.
_CONFIGURABLE: dict[str, type] = {"normal": Normal, "uniform": Uniform, "truncated_normal": TruncatedNormal,
                                  "variance_scaling": VarianceScaling, "constant": Constant,
                                  "orthogonal": Orthogonal, "identity": Identity, "stft": STFT,
                                  **{cls.name: cls for cls in (GlorotUniform, GlorotNormal, HeUniform, HeNormal,
                                                               LecunUniform, LecunNormal)}}

# Keras's initializer classes fnlearn.keras.initializers has under the same name: a real Keras one is refused
# with the name to write instead.
KERAS_NAMES = ("GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
               "VarianceScaling", "RandomNormal", "RandomUniform", "TruncatedNormal", "Constant", "Zeros", "Ones",
               "Orthogonal", "Identity", "IdentityInitializer", "OrthogonalInitializer", "STFT",
               "STFTInitializer")


def _snake_case(name: str) -> str:
    """Keras's class names as its snake_case names: ``"LecunNormal"`` → ``"lecun_normal"``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _reject_keras(spec: Any) -> None:
    reject_foreign("initializer", spec, equivalent(spec, "keras.initializers", KERAS_NAMES))


def get(spec: Any) -> InitializerLike:
    """An initializer from a name (``"he_normal"``, ``"HeNormal"``), an object such as ``Normal(std=0.01)``,
    a saved config dict, or any callable(shape); one of the real Keras's is refused (it would draw on Keras's
    backend and could not be saved).

    >>> get("LecunUniform") is get("lecun_uniform") is lecun_uniform
    True
    """
    _reject_keras(spec)
    if callable(spec):
        return spec
    if isinstance(spec, dict):
        return from_config(spec)
    if isinstance(spec, str) and _snake_case(spec) in INITIALIZERS:
        return INITIALIZERS[_snake_case(spec)]
    raise unknown_name("initializer", spec, INITIALIZERS)


def name_of(init: Any) -> Any:
    """The config form of an initializer: its name, or its config dict (settings and seed included).

    >>> name_of(he_normal), name_of(Constant(3.0)), name_of(HeNormal(seed=1))
    ('he_normal', {'name': 'constant', 'value': 3.0}, {'name': 'he_normal', 'seed': 1})
    """
    if hasattr(init, "get_config") and type(init).__module__ == __name__:
        return init.get_config()
    if hasattr(init, "get_config"):  # one's own class: Keras's form, its class found again in custom_objects
        return _keras_form.serialize("initializer", init, object, {}, "keras.initializers")
    for name, fn in INITIALIZERS.items():
        if fn is init:
            return name
    return getattr(init, "__name__", repr(init))


def from_config(spec: Any, custom_objects: dict[str, Any] | None = None) -> InitializerLike:
    """The initializer :func:`name_of` recorded: a name, or a config dict rebuilt with its settings (its seed too);
    one of one's own (recorded in Keras's form) from ``custom_objects``.

    >>> from_config({"name": "uniform", "minval": -1.0, "maxval": 1.0}).get_config()
    {'name': 'uniform', 'minval': -1.0, 'maxval': 1.0}
    >>> from_config({"name": "glorot_uniform", "seed": 42})
    GlorotUniform(seed=42)
    """
    if isinstance(spec, dict) and "class_name" in spec:
        if not spec.get("registered_name") and spec["class_name"] in KERAS_NAMES:  # a built-in, in Keras's form
            from ..keras.initializers import from_keras_form

            try:
                return from_keras_form(spec["class_name"], spec.get("config") or {})
            except TypeError as exc:
                raise ConfigError(f"initializer config {spec!r} has a setting fnlearn's {spec['class_name']} does not "
                                  f"take ({exc}); give only the settings it takes.") from None
        return _keras_form.deserialize("initializer", spec, {}, custom_objects,
                                       "{'class_name': 'MyInitializer', 'config': {}}")
    if isinstance(spec, dict):
        settings = dict(spec)
        name = settings.pop("name", "normal")  # files from before the name was written held only Normal
        cls = _CONFIGURABLE.get(name) if isinstance(name, str) else None
        if cls is None:
            raise unknown_name("initializer config", name, _CONFIGURABLE)
        takes = [key for key in inspect.signature(cls.__init__).parameters if key != "self"]
        if any(key not in takes for key in settings):  # a setting the class does not take
            raise ConfigError(f"initializer config {spec!r} has a setting {cls.__name__} does not take; it takes "
                              f"{', '.join(takes)}.")
        return cls(**settings)
    return get(spec)
