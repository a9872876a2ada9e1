"""``keras.preprocessing.sequence``: ``pad_sequences``, the same function as ``keras.utils.pad_sequences``.

Example:
    >>> from fnlearn.keras.preprocessing import sequence
    >>> sequence.pad_sequences([[1, 2, 3]], maxlen=2).tolist()
    [[2, 3]]
"""

from .._missing import not_provided
from ..utils import pad_sequences

__all__ = ["pad_sequences"]

__getattr__ = not_provided(__name__, __all__)
