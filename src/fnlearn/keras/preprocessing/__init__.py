"""``keras.preprocessing``: only ``sequence.pad_sequences`` (Keras's other name for ``keras.utils.pad_sequences``).

Example:
    >>> from fnlearn.keras.preprocessing.sequence import pad_sequences
    >>> pad_sequences([[7], [8, 9]]).tolist()
    [[0, 7], [8, 9]]
"""

from .._missing import not_provided
from . import sequence

__all__ = ["sequence"]

__getattr__ = not_provided(__name__, __all__)
