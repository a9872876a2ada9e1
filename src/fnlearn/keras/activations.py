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
from ..functional import (
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    linear,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    swish,
    tanh,
)
from ._missing import not_provided


def get(identifier: Any) -> Any:
    """An activation function from its name, a callable, or None (linear)."""
    return F.get_activation(identifier)


__all__ = ["relu", "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "leaky_relu",
           "elu", "selu", "gelu", "silu", "swish", "relu6", "linear", "get"]

__getattr__ = not_provided(__name__, __all__)
