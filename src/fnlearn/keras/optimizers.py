"""``keras.optimizers``: SGD, Adam, RMSprop, Adagrad, Adadelta, AdamW, Adamax, Nadam with Keras's argument order.

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
    if "amsgrad" not in takes and kwargs.pop("amsgrad", False):
        raise ConfigError(f"{cls_name}(amsgrad=True): {cls_name} has no AMSGrad variant; use "
                          "keras.optimizers.Adam(amsgrad=True) or AdamW(amsgrad=True), or leave amsgrad out.")
    reject_unexpected_arguments(cls_name, kwargs, takes + ("lr", "clipnorm", "clipvalue", "global_clipnorm")
                                + _IGNORED + ("decay", "amsgrad"))
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
    """Adam with decoupled weight decay: ``AdamW(learning_rate=0.001, weight_decay=0.01, ..., amsgrad=False)``."""

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.01, beta_1: float = 0.9,
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


Optimizer = optim.Optimizer
get = optim.get
# Keras 2.11+ kept the previous implementations under `legacy`; here they are the same classes.
legacy = ModuleType(f"{__name__}.legacy", "Keras's legacy optimizers: here the same classes.")
legacy.__dict__.update(SGD=SGD, Adam=Adam, AdamW=AdamW, RMSprop=RMSprop, Adagrad=Adagrad, Adamax=Adamax, Nadam=Nadam,
                       Adadelta=Adadelta)
# `from keras.optimizers.schedules import ExponentialDecay` imports a submodule: sys.modules is where the
# import looks first, so these names work although this module is not a package
sys.modules[f"{__name__}.schedules"] = schedules
sys.modules[f"{__name__}.legacy"] = legacy

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "get",
           "schedules", "legacy"]

__getattr__ = not_provided(__name__, __all__)
