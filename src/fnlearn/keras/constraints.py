"""``keras.constraints``: weight constraints for ``Dense(kernel_constraint=...)`` and the like, under Keras's names.

Each projects a weight right after every optimizer update of it (``fit``, ``optimizer.apply``), with Keras's
formulas (see :mod:`fnlearn.nn.constraints`).

Example:
    >>> from fnlearn.keras import constraints, layers
    >>> layers.Dense(3, kernel_constraint=constraints.MaxNorm(2.0), input_dim=2).kernel.constraint
    MaxNorm(max_value=2.0, axis=0)
"""

from __future__ import annotations

from ..nn.constraints import (
    Constraint,
    MaxNorm,
    MinMaxNorm,
    NonNeg,
    UnitNorm,
    deserialize,
    get,
    max_norm,
    min_max_norm,
    non_neg,
    serialize,
    unit_norm,
)
from ._missing import not_provided

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "max_norm", "min_max_norm", "non_neg",
           "unit_norm", "get", "serialize", "deserialize"]

__getattr__ = not_provided(__name__, __all__)
