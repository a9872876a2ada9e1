"""``keras.regularizers``: weight penalties for ``Dense(kernel_regularizer=...)`` under Keras's names.

Example:
    >>> from fnlearn.keras import layers, regularizers
    >>> layers.Dense(3, kernel_regularizer=regularizers.l2(0.001), input_dim=2).kernel_regularizer
    L2(l1=0, l2=0.001)

A penalty of one's own is a function of the weight, or a subclass of ``Regularizer``:

    >>> from fnlearn.keras import ops
    >>> layers.Dense(3, kernel_regularizer=lambda w: 1e-3 * ops.sum(ops.square(w)), input_dim=2).losses[0].shape
    ()
"""

from __future__ import annotations

from ..nn.regularizers import (
    L1,
    L1L2,
    L2,
    OrthogonalRegularizer,
    Regularizer,
    deserialize,
    get,
    l1,
    l1_l2,
    l2,
    orthogonal_regularizer,
    serialize,
)
from ._missing import not_provided

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2", "orthogonal_regularizer",
           "get", "serialize", "deserialize"]

__getattr__ = not_provided(__name__, __all__)
