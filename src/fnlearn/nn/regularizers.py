"""Weight penalties added to the loss: L2 (weight decay), L1, or both — Keras's ``kernel_regularizer``.

A Dense layer given ``kernel_regularizer=L2(0.001)`` adds ``0.001 · Σ w²`` of its kernel to the loss
that ``fit`` minimises (and reports, as Keras does, in ``loss`` and ``val_loss``), which pulls the
weights toward 0: a smoother function, one remedy for overfitting. By name, ``"l1"``, ``"l2"`` and
``"l1_l2"`` use Keras's default factor 0.01.

Called on a tensor (a layer's weight in ``fit``) a regularizer gives a tensor, so its gradient reaches the
weight; called on an array or a list, as Keras's are in its guides, it gives the penalty as a 0-d array.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.regularizers.L2(0.5)(fl.tensor([1.0, -2.0])).item()
    2.5
    >>> float(fl.regularizers.L2(0.01)(np.ones((2, 2))))
    0.04
"""

from __future__ import annotations

import math
from typing import Any

from .. import backend
from .. import functional as F
from ..errors import ConfigError, equivalent, reject_foreign, unknown_name
from ..tensor import Tensor, as_array


def _factor(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"the {name} factor of a regularizer must be a number ≥ 0, got {value!r}; e.g. 0.01.")
    return float(value)


class L1L2:
    """``l1 · Σ|w| + l2 · Σ w²`` of the weight it is given."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _factor("l1", l1), _factor("l2", l2)

    def __call__(self, weight: Any) -> Any:
        """The penalty of ``weight``: a 0-d tensor for a tensor (differentiable), a 0-d array for an array.

        >>> import numpy as np
        >>> round(float(L1L2(l1=0.1, l2=0.5)(np.array([1.0, -2.0]))), 6)
        2.8
        """
        if isinstance(weight, Tensor):
            return self._penalty(weight)
        values = as_array(weight, name="the weight given to a regularizer")
        if values.dtype.kind != "f":  # integers and booleans: Keras's penalty is a float too
            values = values.astype(backend.float_dtype())
        return self._penalty(Tensor(values)).data

    def _penalty(self, weight: Tensor) -> Tensor:
        penalty = F.sum(F.abs(weight)) * self.l1 if self.l1 else None
        if self.l2:
            squares = F.sum(weight * weight) * self.l2
            penalty = squares if penalty is None else penalty + squares
        return penalty if penalty is not None else F.sum(weight) * 0.0

    def get_config(self) -> dict[str, Any]:
        return {"name": "l1_l2", "l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(l1={self.l1:g}, l2={self.l2:g})"


class L1(L1L2):
    """``l1 · Σ|w|``: pushes weights to exactly 0."""

    def __init__(self, l1: float = 0.01) -> None:
        super().__init__(l1=l1)


class L2(L1L2):
    """``l2 · Σ w²`` (weight decay): pulls every weight toward 0."""

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l2=l2)


def l1(l1: float = 0.01) -> L1:  # noqa: D103  (Keras's function names)
    return L1(l1)


def l2(l2: float = 0.01) -> L2:  # noqa: D103
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:  # noqa: D103
    return L1L2(l1, l2)


NAMES = {"l1": l1, "l2": l2, "l1_l2": l1_l2}


def get(spec: Any) -> L1L2 | None:
    """A regularizer from None, a name (``"l2"``), a regularizer object, or its saved config."""
    if spec is None or isinstance(spec, L1L2):
        return spec
    if isinstance(spec, str) and spec.lower() in NAMES:
        return NAMES[spec.lower()]()
    if isinstance(spec, dict) and spec.get("name") == "l1_l2":
        return L1L2(spec.get("l1", 0.0), spec.get("l2", 0.0))
    if isinstance(spec, str):
        raise unknown_name("regularizer", spec, NAMES)
    reject_foreign("regularizer", spec, equivalent(spec, "keras.regularizers", __all__))
    raise ConfigError(f"a regularizer must be a name ({', '.join(NAMES)}) or an object such as "
                      f"fl.regularizers.L2(0.01), got {type(spec).__name__}.")


__all__ = ["L1L2", "L1", "L2", "l1", "l2", "l1_l2", "get"]
