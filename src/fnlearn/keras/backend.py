"""``keras.backend``: the few session helpers Keras programs call.

``clear_session()`` starts layer names afresh (``dense``, ``dense_1``, … begin again at ``dense``), as in
Keras; fnlearn keeps no graph or session besides, so nothing else needs clearing.

Example:
    >>> from fnlearn.keras import backend, layers
    >>> backend.clear_session(); layers.Dense(2).name
    'dense'
"""

from __future__ import annotations

from .. import backend as _backend
from ..nn import layers as _layers
from ._missing import not_provided


def clear_session() -> None:
    """Forget the layer names given so far, so new layers are named from ``dense`` again."""
    _layers._name_counters.clear()


def floatx() -> str:
    """The default float type of new parameters and data: ``"float32"`` unless set otherwise."""
    return _backend.get_default_dtype()


def set_floatx(value: str) -> None:
    """Set the default float type (``"float32"`` or ``"float64"``), as ``fl.set_default_dtype``."""
    _backend.set_default_dtype(value)


def epsilon() -> float:
    """Keras's fuzz factor, 1e-7: what custom metrics add to a denominator that may be 0.

    >>> epsilon()
    1e-07
    """
    return 1e-7


__all__ = ["clear_session", "floatx", "set_floatx", "epsilon"]

__getattr__ = not_provided(__name__, __all__)
