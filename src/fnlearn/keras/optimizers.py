"""``keras.optimizers``: SGD, Adam, RMSprop, Adagrad, Adadelta, AdamW, Adamax, Nadam, Lion, Ftrl, Lamb, Adafactor, Muon,
ScheduleFreeAdamW with Keras's argument order, and ``serialize``/``deserialize``.

They are fnlearn's optimizers (:mod:`fnlearn.optim`) taking the learning rate first, as Keras does, so
``SGD(0.087)``, ``SGD(lr=0.087)`` and ``SGD(learning_rate=0.087)`` are the same. The update rules and
defaults are fnlearn's (Adam's ε is 1e-8 as in the lecture, AdamW's weight decay 0.01).

Example:
    >>> from fnlearn.keras import optimizers
    >>> optimizers.SGD(lr=0.087).learning_rate
    0.087
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from .. import optim, schedules
from ..errors import ConfigError, reject_unexpected_arguments
from ._missing import not_provided

# Keras arguments that only name or tune the compilation of an optimizer: accepted, no effect on the math.
_IGNORED = ("name", "jit_compile")
# Keras 3's base-optimizer arguments, as every Keras get_config() writes them: taken at the values that leave the
# update as it is (so a config of the real Keras deserializes), refused at any other.
_NEUTRAL: dict[str, tuple[Any, ...]] = {"weight_decay": (None, 0, 0.0), "loss_scale_factor": (None,),
                                        "gradient_accumulation_steps": (None,)}


def _keras_kwargs(cls_name: str, learning_rate: Any, kwargs: dict[str, Any],
                  takes: tuple[str, ...]) -> dict[str, Any]:
    """The keyword arguments of Keras's optimizer ``cls_name`` that fnlearn's takes, every one checked first.

    ``takes`` is the Keras class's own arguments, named in the sentence for a misspelled one; a learning rate
    (or schedule) of the real Keras is refused here, before fnlearn's optimizer would call it.
    """
    for rate in (learning_rate, kwargs.get("lr")):
        if rate is not None:
            schedules.check_learning_rate(rate)
    decay = kwargs.pop("decay", None)
    if decay not in (None, 0, 0.0):
        raise ConfigError(f"{cls_name}(decay={decay!r}) is the old Keras time decay, which fnlearn does "
                          "not have; pass learning_rate=keras.optimizers.schedules.ExponentialDecay(...) "
                          "instead.")
    for key in _IGNORED:
        kwargs.pop(key, None)
    for key, neutral in _NEUTRAL.items():
        if key in kwargs and kwargs[key] not in neutral:
            raise ConfigError(f"{cls_name}({key}={kwargs[key]!r}) asks for a Keras optimizer feature fnlearn does "
                              f"not have; leave {key} out (or at {neutral[0]!r}).")
        kwargs.pop(key, None)
    if "amsgrad" not in takes and kwargs.pop("amsgrad", False):
        raise ConfigError(f"{cls_name}(amsgrad=True): {cls_name} has no AMSGrad variant; use "
                          "keras.optimizers.Adam(amsgrad=True) or AdamW(amsgrad=True), or leave amsgrad out.")
    reject_unexpected_arguments(cls_name, kwargs, takes + ("lr", "clipnorm", "clipvalue", "global_clipnorm")
                                + _IGNORED + ("decay", "amsgrad", "use_ema", "ema_momentum", "ema_overwrite_frequency")
                                + tuple(_NEUTRAL))
    return kwargs


class SGD(optim.SGD):
    """Gradient descent with optional momentum: ``SGD(learning_rate=0.01, momentum=0.0, nesterov=False)``."""

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(None, learning_rate, momentum=momentum, nesterov=nesterov,
                         **_keras_kwargs("SGD", learning_rate, kwargs,
                                        ("learning_rate", "momentum", "nesterov")))


class Adam(optim.Adam):
    """Adam: ``Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, amsgrad=False)``.

    >>> Adam(amsgrad=True).get_config()["amsgrad"]
    True
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         **_keras_kwargs("Adam", learning_rate, kwargs,
                                        ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad")))


class AdamW(optim.AdamW):
    """Adam with decoupled weight decay: ``AdamW(learning_rate=0.001, weight_decay=0.004, ..., amsgrad=False)``."""

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, amsgrad: bool = False, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, weight_decay=weight_decay, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad,
                         **_keras_kwargs("AdamW", learning_rate, kwargs,
                                         ("learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon",
                                          "amsgrad")))


class Adadelta(optim.Adadelta):
    """Adadelta: ``Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)``, Keras's rule and defaults.

    >>> Adadelta(1.0).get_config()["rho"]
    0.95
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, rho=rho, epsilon=epsilon,
                         **_keras_kwargs("Adadelta", learning_rate, kwargs, ("learning_rate", "rho", "epsilon")))


class Adamax(optim.Adamax):
    """Adamax: ``Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         **_keras_kwargs("Adamax", learning_rate, kwargs,
                                        ("learning_rate", "beta_1", "beta_2", "epsilon")))


class Nadam(optim.Nadam):
    """Nadam: ``Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         **_keras_kwargs("Nadam", learning_rate, kwargs,
                                        ("learning_rate", "beta_1", "beta_2", "epsilon")))


class RMSprop(optim.RMSprop):
    """RMSprop: ``RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)``."""

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, rho=rho, momentum=momentum, epsilon=epsilon, centered=centered,
                         **_keras_kwargs("RMSprop", learning_rate, kwargs,
                                        ("learning_rate", "rho", "momentum", "epsilon", "centered")))


class Adagrad(optim.Adagrad):
    """Adagrad: ``Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)``."""

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, initial_accumulator_value=initial_accumulator_value,
                         epsilon=epsilon, **_keras_kwargs("Adagrad", learning_rate, kwargs,
                                                         ("learning_rate", "initial_accumulator_value",
                                                          "epsilon")))


class Lion(optim.Lion):
    """Lion: ``Lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99)``, Keras's rule and defaults.

    >>> Lion(1e-4).get_config()["beta_2"]
    0.99
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, beta_1=beta_1, beta_2=beta_2,
                         **_keras_kwargs("Lion", learning_rate, kwargs, ("learning_rate", "beta_1", "beta_2")))


class Ftrl(optim.Ftrl):
    """FTRL: ``Ftrl(learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
    l1_regularization_strength=0.0, l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
    beta=0.0)``, Keras's rule and defaults.

    >>> Ftrl(l1_regularization_strength=0.01).get_config()["l1_regularization_strength"]
    0.01
    """

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0, l2_shrinkage_regularization_strength: float = 0.0,
                 beta: float = 0.0, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, learning_rate_power=learning_rate_power,
                         initial_accumulator_value=initial_accumulator_value,
                         l1_regularization_strength=l1_regularization_strength,
                         l2_regularization_strength=l2_regularization_strength,
                         l2_shrinkage_regularization_strength=l2_shrinkage_regularization_strength, beta=beta,
                         **_keras_kwargs("Ftrl", learning_rate, kwargs,
                                         ("learning_rate", "learning_rate_power", "initial_accumulator_value",
                                          "l1_regularization_strength", "l2_regularization_strength",
                                          "l2_shrinkage_regularization_strength", "beta")))


class Lamb(optim.Lamb):
    """Lamb: ``Lamb(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)``, Keras's rule and defaults."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         **_keras_kwargs("Lamb", learning_rate, kwargs,
                                         ("learning_rate", "beta_1", "beta_2", "epsilon")))


class Adafactor(optim.Adafactor):
    """Adafactor: ``Adafactor(learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
    clip_threshold=1.0, relative_step=True)``, Keras's rule and defaults."""

    def __init__(self, learning_rate: Any = 0.001, beta_2_decay: float = -0.8, epsilon_1: float = 1e-30,
                 epsilon_2: float = 1e-3, clip_threshold: float = 1.0, relative_step: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(None, learning_rate, beta_2_decay=beta_2_decay, epsilon_1=epsilon_1, epsilon_2=epsilon_2,
                         clip_threshold=clip_threshold, relative_step=relative_step,
                         **_keras_kwargs("Adafactor", learning_rate, kwargs,
                                         ("learning_rate", "beta_2_decay", "epsilon_1", "epsilon_2",
                                          "clip_threshold", "relative_step")))


class Muon(optim.Muon):
    """Muon: ``Muon(learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004, epsilon=1e-7,
    weight_decay=0.004, exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
    adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2)``, Keras's rule and defaults (Muon's
    step for the matrices, AdamW's for the rest); ``exclude_layers`` only empty, see :class:`fnlearn.optim.Muon`.

    >>> Muon(0.02).get_config()["ns_steps"]
    5
    """

    def __init__(self, learning_rate: Any = 0.001, adam_beta_1: float = 0.9, adam_beta_2: float = 0.999,
                 adam_weight_decay: float | None = 0.004, epsilon: float = 1e-7, weight_decay: float | None = 0.004,
                 exclude_layers: Any = None, exclude_embeddings: bool = True, muon_a: float = 3.4445,
                 muon_b: float = -4.7750, muon_c: float = 2.0315, adam_lr_ratio: float = 1.0, momentum: float = 0.95,
                 ns_steps: int = 5, nesterov: bool = True, rms_rate: float | None = 0.2, **kwargs: Any) -> None:
        super().__init__(None, learning_rate, adam_beta_1=adam_beta_1, adam_beta_2=adam_beta_2,
                         adam_weight_decay=adam_weight_decay, epsilon=epsilon, weight_decay=weight_decay,
                         exclude_layers=exclude_layers, exclude_embeddings=exclude_embeddings, muon_a=muon_a,
                         muon_b=muon_b, muon_c=muon_c, adam_lr_ratio=adam_lr_ratio, momentum=momentum,
                         ns_steps=ns_steps, nesterov=nesterov, rms_rate=rms_rate,
                         **_keras_kwargs("Muon", learning_rate, kwargs,
                                         ("learning_rate", "adam_beta_1", "adam_beta_2", "adam_weight_decay",
                                          "epsilon", "weight_decay", "exclude_layers", "exclude_embeddings",
                                          "muon_a", "muon_b", "muon_c", "adam_lr_ratio", "momentum", "ns_steps",
                                          "nesterov", "rms_rate")))


class ScheduleFreeAdamW(optim.ScheduleFreeAdamW):
    """Schedule-free AdamW: ``ScheduleFreeAdamW(learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
    warmup_steps=0, weight_decay=None)``, Keras's rule and defaults (see :class:`fnlearn.optim.ScheduleFreeAdamW`).

    >>> ScheduleFreeAdamW(warmup_steps=100).get_config()["warmup_steps"]
    100
    """

    def __init__(self, learning_rate: Any = 0.0025, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, warmup_steps: int = 0, weight_decay: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(None, learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         warmup_steps=warmup_steps, weight_decay=weight_decay,
                         **_keras_kwargs("ScheduleFreeAdamW", learning_rate, kwargs,
                                         ("learning_rate", "beta_1", "beta_2", "epsilon", "warmup_steps",
                                          "weight_decay")))


Optimizer = optim.Optimizer
_CLASSES = {cls.__name__: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, Ftrl,
                                          Lamb, Adafactor, Muon, ScheduleFreeAdamW)}


def serialize(optimizer: optim.Optimizer) -> dict[str, Any]:
    """An optimizer as Keras's ``keras.optimizers.serialize`` writes it: ``{"module", "class_name", "config",
    "registered_name"}``, its learning-rate schedule serialized too; :func:`deserialize` makes it again.

    >>> entry = serialize(Lion(1e-4))
    >>> entry["class_name"], entry["config"]["learning_rate"]
    ('Lion', 0.0001)
    """
    if not isinstance(optimizer, optim.Optimizer):
        raise ConfigError(f"optimizers.serialize got a {type(optimizer).__name__}; give an optimizer, e.g. "
                          "keras.optimizers.serialize(model.optimizer).")
    config = optimizer.get_config()
    rate = optimizer.schedule
    if isinstance(rate, schedules.Schedule) and rate.get_config() is not None:
        config["learning_rate"] = schedules.serialize(rate)
    name = next((key for key, cls in _CLASSES.items() if cls.name == optimizer.name), type(optimizer).__name__)
    own = isinstance(optimizer, tuple(_CLASSES.values())) or type(optimizer).__module__ == optim.__name__
    return {"module": "keras.optimizers" if own else type(optimizer).__module__, "class_name": name,
            "config": config, "registered_name": None if own else type(optimizer).__name__}


def deserialize(config: dict[str, Any] | str, custom_objects: dict[str, Any] | None = None,
                **kwargs: Any) -> optim.Optimizer:
    """The optimizer :func:`serialize` (fnlearn's or the real Keras's) described, or one by name (``"adam"``), as
    ``keras.optimizers.deserialize``. Keras's base settings are taken at values that leave the update as it is
    (``use_ema=False``, ``weight_decay=None``, ...); others are refused in one sentence.

    >>> opt = deserialize({"class_name": "Ftrl", "config": {"learning_rate": 0.1, "beta": 0.5}})
    >>> type(opt).__name__, opt.beta
    ('Ftrl', 0.5)
    """
    from .saving import get_custom_objects

    reject_unexpected_arguments("optimizers.deserialize", {k: v for k, v in kwargs.items()
                                                           if k != "use_legacy_format"}, ["config", "custom_objects"])
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ConfigError(f"optimizers.deserialize got {config!r}; it takes what keras.optimizers.serialize gives "
                          "({'class_name': 'Adam', 'config': {...}}) or an optimizer's name such as 'adam'.")
    name, settings = config["class_name"], dict(config.get("config") or {})
    own = {**get_custom_objects(), **(custom_objects or {})}
    cls = own.get(config.get("registered_name")) or own.get(name) or _CLASSES.get(name) or \
        next((c for c in _CLASSES.values() if c.name == str(name).lower()), None)
    if cls is None:
        raise ConfigError(f"optimizers.deserialize got the optimizer class {name!r}, which is neither fnlearn's nor in "
                          f"custom_objects; use one of {', '.join(_CLASSES)}, or pass custom_objects={{{name!r}: "
                          f"{name}}}.")
    rate = settings.get("learning_rate")
    if isinstance(rate, dict):
        settings["learning_rate"] = schedules.deserialize(rate, custom_objects)
    if cls in _CLASSES.values():
        settings.pop("name", None)  # Keras's and fnlearn's names of the class, which it knows
    elif isinstance(cls, type) and issubclass(cls, optim.Optimizer) and settings.get("name") == cls.name:
        del settings["name"]
    return cls.from_config(settings) if hasattr(cls, "from_config") and not issubclass(cls, optim.Optimizer) \
        else cls(**settings)


def get(identifier: Any) -> optim.Optimizer:
    """An optimizer from a name (``"adam"``, Keras's defaults), a :func:`serialize` dict, or an optimizer (as is).

    >>> type(get("lion")).__name__, type(get({"class_name": "Lamb", "config": {}})).__name__
    ('Lion', 'Lamb')
    """
    if isinstance(identifier, dict):
        return deserialize(identifier)
    return optim.get(identifier)
# Keras 2.11+ kept the previous implementations under `legacy`; here they are the same classes.
legacy = ModuleType(f"{__name__}.legacy", "Keras's legacy optimizers: here the same classes.")
legacy.__dict__.update(SGD=SGD, Adam=Adam, AdamW=AdamW, RMSprop=RMSprop, Adagrad=Adagrad, Adamax=Adamax, Nadam=Nadam,
                       Adadelta=Adadelta, Ftrl=Ftrl)
# `from keras.optimizers.schedules import ExponentialDecay` imports a submodule: sys.modules is where the
# import looks first, so these names work although this module is not a package
sys.modules[f"{__name__}.schedules"] = schedules
sys.modules[f"{__name__}.legacy"] = legacy

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Lion", "Ftrl",
           "Lamb", "Adafactor", "Muon", "ScheduleFreeAdamW", "get", "serialize", "deserialize",
           "schedules", "legacy"]

__getattr__ = not_provided(__name__, __all__)
