"""``keras.initializers``: weight initializers by their Keras class names.

Each returns fnlearn's initializer (:mod:`fnlearn.nn.initializers`). Without a ``seed`` it draws from the
generator ``fl.set_seed`` (``keras.utils.set_random_seed``) seeds; with one, as in Keras, it gives the same
values at every call (and two made with one seed give the same values), and the seed is saved with the model.
The "normal" Glorot, He and LeCun draws are truncated at 2σ, as Keras 3's.

Example:
    >>> from fnlearn.keras import initializers, layers
    >>> layers.Dense(3, kernel_initializer=initializers.HeNormal(), input_dim=2).kernel.shape
    (2, 3)
    >>> a = layers.Dense(3, kernel_initializer=initializers.GlorotUniform(seed=42), input_dim=2).kernel.numpy()
    >>> b = layers.Dense(3, kernel_initializer=initializers.GlorotUniform(seed=42), input_dim=2).kernel.numpy()
    >>> bool((a == b).all())
    True
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..nn import initializers as _init
from ..nn.initializers import Initializer, InitializerLike
from ._missing import not_provided


def GlorotUniform(seed: int | None = None) -> InitializerLike:  # noqa: N802  (Keras's class names)
    """U(−l, l), l = √(6 / (fan_in + fan_out)); the default of Dense.

    >>> GlorotUniform() is glorot_uniform, GlorotUniform(seed=1).get_config()
    (True, {'name': 'glorot_uniform', 'seed': 1})
    """
    return _init.glorot_uniform if seed is None else _init.GlorotUniform(seed=seed)


def GlorotNormal(seed: int | None = None) -> InitializerLike:  # noqa: N802
    """N(0, 2 / (fan_in + fan_out)) truncated at 2σ, as Keras draws it.

    >>> GlorotNormal(seed=3)((2, 2)).tolist() == GlorotNormal(seed=3)((2, 2)).tolist()
    True
    """
    return _init.glorot_normal if seed is None else _init.GlorotNormal(seed=seed)


def HeUniform(seed: int | None = None) -> InitializerLike:  # noqa: N802
    """U(−l, l), l = √(6 / fan_in).

    >>> HeUniform() is he_uniform
    True
    """
    return _init.he_uniform if seed is None else _init.HeUniform(seed=seed)


def HeNormal(seed: int | None = None) -> InitializerLike:  # noqa: N802
    """N(0, 2 / fan_in) truncated at 2σ, as Keras draws it.

    >>> HeNormal() is he_normal, HeNormal(seed=1).get_config()
    (True, {'name': 'he_normal', 'seed': 1})
    """
    return _init.he_normal if seed is None else _init.HeNormal(seed=seed)


def LecunUniform(seed: int | None = None) -> InitializerLike:  # noqa: N802
    """U(−l, l), l = √(3 / fan_in).

    >>> LecunUniform() is lecun_uniform
    True
    """
    return _init.lecun_uniform if seed is None else _init.LecunUniform(seed=seed)


def LecunNormal(seed: int | None = None) -> InitializerLike:  # noqa: N802
    """N(0, 1 / fan_in) truncated at 2σ, as Keras draws it.

    >>> LecunNormal() is lecun_normal
    True
    """
    return _init.lecun_normal if seed is None else _init.LecunNormal(seed=seed)


def VarianceScaling(scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",  # noqa: N802
                    seed: int | None = None) -> InitializerLike:
    """Variance ``scale / n`` (n: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``), drawn from a normal truncated at
    2σ, a plain normal (``"untruncated_normal"``) or a uniform: Keras's VarianceScaling.

    >>> VarianceScaling(2.0, "fan_in", "untruncated_normal").get_config()
    {'name': 'variance_scaling', 'scale': 2.0, 'mode': 'fan_in', 'distribution': 'untruncated_normal'}
    """
    return _init.VarianceScaling(scale=scale, mode=mode, distribution=distribution, seed=seed)


def Zeros() -> InitializerLike:  # noqa: N802
    """All zeros.

    >>> Zeros()((2,)).tolist()
    [0.0, 0.0]
    """
    return _init.zeros


def Ones() -> InitializerLike:  # noqa: N802
    """All ones.

    >>> Ones()((2,)).tolist()
    [1.0, 1.0]
    """
    return _init.ones


def Constant(value: float = 0.0) -> InitializerLike:  # noqa: N802
    """Every weight set to ``value``.

    >>> Constant(3.0)((2,)).tolist()
    [3.0, 3.0]
    """
    return _init.Constant(value)


def RandomNormal(mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> InitializerLike:  # noqa: N802
    """N(mean, stddev²).

    >>> RandomNormal(stddev=0.1, seed=5).get_config()
    {'name': 'normal', 'std': 0.1, 'mean': 0.0, 'seed': 5}
    """
    return _init.Normal(std=stddev, mean=mean, seed=seed)


def RandomUniform(minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> InitializerLike:  # noqa: N802
    """U(minval, maxval).

    >>> RandomUniform(-1.0, 1.0).get_config()
    {'name': 'uniform', 'minval': -1.0, 'maxval': 1.0}
    """
    return _init.Uniform(minval=minval, maxval=maxval, seed=seed)


def TruncatedNormal(mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> InitializerLike:  # noqa: N802
    """N(mean, stddev²) with draws beyond 2·stddev from the mean drawn again.

    >>> TruncatedNormal(stddev=0.1).get_config()
    {'name': 'truncated_normal', 'std': 0.1, 'mean': 0.0}
    """
    return _init.TruncatedNormal(std=stddev, mean=mean, seed=seed)


Orthogonal = OrthogonalInitializer = _init.Orthogonal
Identity = IdentityInitializer = _init.Identity
STFT = STFTInitializer = stft = _init.STFT  # Keras's name, its alias, and its snake_case name
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
variance_scaling = VarianceScaling
orthogonal = Orthogonal
identity = Identity
get = _init.get
# fnlearn's initializer names whose Keras class is named otherwise than the snake case says
_CLASS_NAMES = {"uniform": "RandomUniform", "normal": "RandomNormal", "stft": "STFT"}
# and the settings Keras names otherwise (its RandomNormal's and TruncatedNormal's)
_SETTING_NAMES = {"std": "stddev"}


def from_keras_form(class_name: str, config: dict[str, Any]) -> InitializerLike:
    """The initializer Keras's ``{"class_name": class_name, "config": config}`` describes (one of
    ``fnlearn.nn.initializers.KERAS_NAMES``; a class fnlearn lacks is one ConfigError sentence).

    >>> from_keras_form("HeNormal", {"seed": 1, "input_axes": None, "output_axes": None})
    HeNormal(seed=1)
    """
    settings = dict(config)
    for axes in ("input_axes", "output_axes"):  # Keras 3.15's, None unless an einsum kernel's fans are counted
        if settings.get(axes, 0) is None:
            settings.pop(axes)
    if class_name not in _init.KERAS_NAMES:
        raise ConfigError(f"the initializer {class_name} is one fnlearn lacks; use one of "
                          f"{', '.join(_init.KERAS_NAMES)}.")
    return globals()[class_name](**settings)  # a setting it does not take: TypeError, its callers say where


def keras_form(spec: str | dict[str, Any]) -> dict[str, Any]:
    """Keras's form of a built-in initializer's config (what :func:`fnlearn.nn.initializers.name_of` gives).

    >>> keras_form({"name": "he_normal", "seed": 1})["class_name"], keras_form("uniform")["class_name"]
    ('HeNormal', 'RandomUniform')
    """
    settings = {} if isinstance(spec, str) else {_SETTING_NAMES.get(k, k): v for k, v in spec.items() if k != "name"}
    name = spec if isinstance(spec, str) else spec["name"]
    class_name = _CLASS_NAMES.get(name) or "".join(part.capitalize() for part in name.split("_"))
    return {"module": "keras.initializers", "class_name": class_name, "config": settings, "registered_name": None}


def serialize(initializer: Any) -> dict[str, Any]:
    """An initializer in Keras's form, as ``keras.initializers.serialize`` gives it (one's own class too, found
    again by :func:`deserialize` in ``custom_objects``).

    >>> serialize(HeNormal(seed=1))
    {'module': 'keras.initializers', 'class_name': 'HeNormal', 'config': {'seed': 1}, 'registered_name': None}
    """
    spec = _init.name_of(initializer)
    if isinstance(spec, dict) and "class_name" in spec:
        return spec
    if not isinstance(spec, (str, dict)) or (isinstance(spec, str) and spec not in _init.INITIALIZERS):
        raise ConfigError(f"serialize got the initializer {initializer!r}, which has no config to write; give it a "
                          "get_config (a subclass of keras.initializers.Initializer), or use a built-in one.")
    return keras_form(spec)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> InitializerLike:
    """The initializer of a config in Keras's form (what :func:`serialize` or real Keras gives), a name, or
    fnlearn's own config.

    >>> deserialize({"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}})
    VarianceScaling(scale=2.0, mode='fan_out', distribution='truncated_normal')
    """
    return _init.from_config(config, custom_objects)

__all__ = ["GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "VarianceScaling",
           "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal", "glorot_uniform",
           "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "zeros", "ones",
           "random_normal", "random_uniform", "truncated_normal", "variance_scaling", "constant", "get",
           "Orthogonal", "orthogonal", "OrthogonalInitializer", "Identity", "IdentityInitializer", "identity",
           "Initializer", "serialize", "deserialize", "STFT", "STFTInitializer", "stft"]

__getattr__ = not_provided(__name__, __all__)
