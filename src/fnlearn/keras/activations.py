"""``keras.activations``: the activation functions by their Keras names.

They are fnlearn's own functions (the same objects), so ``Dense(10, activation=activations.relu)`` is
saved by name and trained exactly like ``activation="relu"`` (by the fast path, for the activations it
has; elu, selu, gelu, silu/swish and relu6 train on the general autodiff path). ``swish`` is ``silu``, as
in Keras. Called directly they take fnlearn tensors.

Example:
    >>> import fnlearn as fl
    >>> from fnlearn.keras import activations
    >>> activations.relu(fl.tensor([-1.0, 2.0])).numpy().tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..errors import ConfigError
from ..functional import (
    celu,
    elu,
    exponential,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh,
    tanh_shrink,
    threshold,
)
from ._missing import not_provided


def get(identifier: Any) -> Any:
    """An activation function from its name, a callable, or None (linear)."""
    return F.get_activation(identifier)


def serialize(activation: Any) -> str:
    """The name a built-in activation is saved by, as Keras's ``serialize`` gives it.

    >>> serialize(mish), serialize(swish)
    ('mish', 'silu')
    """
    name = next((key for key, fn in F.ACTIVATIONS.items() if fn is activation), None)
    if name is None:
        raise ConfigError(f"keras.activations.serialize got {activation!r}, which is not one of the built-in "
                          "activations; pass one of keras.activations' functions (a function of your own is saved "
                          "by name with custom_objects).")
    return getattr(activation, "__name__", name)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The activation function a name (or Keras's ``{"class_name": "function", "config": name}``) stands for.

    >>> deserialize("mish") is mish
    True
    """
    if isinstance(config, dict) and isinstance(config.get("config"), str):
        config = config["config"]
    if isinstance(config, str) and custom_objects and config in custom_objects:
        return custom_objects[config]
    if not isinstance(config, str):
        raise ConfigError(f"keras.activations.deserialize got {config!r}; it takes an activation's name such as "
                          "'relu'.")
    return F.get_activation(config)


__all__ = ["relu", "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "leaky_relu",
           "elu", "selu", "gelu", "silu", "swish", "relu6", "linear", "get", "celu", "exponential", "glu",
           "hard_shrink", "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid", "mish", "soft_shrink", "softsign",
           "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold", "serialize",
           "deserialize"]

__getattr__ = not_provided(__name__, __all__)
