"""``keras.datasets``: ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``boston_housing``,
``california_housing``, ``imdb`` and ``reuters``.

Each ``load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` with Keras's shapes, dtypes
and options, read by :mod:`fnlearn.datasets` (local files first, else a verified download).
"""

from .._missing import not_provided
from . import boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters

__all__ = ["mnist", "fashion_mnist", "cifar10", "cifar100", "boston_housing", "california_housing", "imdb", "reuters"]

__getattr__ = not_provided(__name__, __all__)
