"""``keras.datasets``: ``mnist.load_data()`` and ``fashion_mnist.load_data()``.

They return ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, as Keras does, read by
:func:`fnlearn.datasets.load_mnist` (local files first, else a verified download).
"""

from .._missing import not_provided
from . import fashion_mnist, mnist

__all__ = ["mnist", "fashion_mnist"]

__getattr__ = not_provided(__name__, __all__)
