"""``keras.utils``: ``to_categorical``, ``normalize`` and ``set_random_seed``.

Example:
    >>> from fnlearn.keras.utils import to_categorical
    >>> to_categorical([1, 0], num_classes=3).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
"""

from __future__ import annotations

from ..backend import set_seed as set_random_seed
from ..data import normalize, to_categorical
from ._missing import not_provided

__all__ = ["to_categorical", "normalize", "set_random_seed"]

__getattr__ = not_provided(__name__, __all__)
