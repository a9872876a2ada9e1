"""``keras.activations``: the activation functions by their Keras names.

They are fnlearn's own functions (the same objects), so ``Dense(10, activation=activations.relu)`` is
saved by name and trained by the fast path exactly like ``activation="relu"``. Called directly they take
fnlearn tensors.

Example:
    >>> import fnlearn as fl
    >>> from fnlearn.keras import activations
    >>> activations.relu(fl.tensor([-1.0, 2.0])).numpy().tolist()
    [0.0, 2.0]
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..functional import hard_sigmoid, leaky_relu, linear, log_softmax, relu, sigmoid, softmax, softplus, tanh


def get(identifier: Any) -> Any:
    """An activation function from its name, a callable, or None (linear)."""
    return F.get_activation(identifier)


__all__ = ["relu", "sigmoid", "hard_sigmoid", "tanh", "softmax", "log_softmax", "softplus", "leaky_relu",
           "linear", "get"]
