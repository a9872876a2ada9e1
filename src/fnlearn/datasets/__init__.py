"""Data sets for the lecture's experiments, as NumPy arrays.

* ``load_mnist`` / ``load_fashion_mnist`` / ``load_kmnist``: MNIST-format IDX files, found
  in ``path``, ``$FNLEARN_DATA`` or the user cache, else downloaded and checked.
* ``load_boston_housing`` / ``load_california_housing`` / ``load_imdb`` / ``load_reuters`` and the
  word indexes: Keras's files, found in ``path``, ``$FNLEARN_DATA`` or the user cache, else
  downloaded and checked, and processed exactly as ``keras.datasets`` processes them.
* ``load_cifar10`` / ``load_cifar100``: the CIFAR archives, found or downloaded the same way and
  read as ``keras.datasets`` reads them (batches unpickled with NumPy arrays as the only objects).
* ``views``: a SYNTHETIC daily channel-views series (the lecture's real data is private).
* ``load_series_csv``, ``lag_windows``, ``split_by_date``: a user's own daily series and
  "previous N days → next day" windows.
* ``xor``, ``students``, ``likes``: the small tables of the lecture notes.

Example:
    >>> from fnlearn import datasets
    >>> X, y = datasets.xor()
    >>> X.shape, y.shape
    ((4, 2), (4, 1))
"""

from fnlearn.datasets.cifar import CIFAR10_LABEL_NAMES, load_cifar10, load_cifar100
from fnlearn.datasets.keras_files import (
    REUTERS_LABEL_NAMES,
    load_boston_housing,
    load_california_housing,
    load_imdb,
    load_imdb_word_index,
    load_reuters,
    load_reuters_word_index,
)
from fnlearn.datasets.mnist import load_fashion_mnist, load_kmnist, load_mnist, read_idx
from fnlearn.datasets.series import Series, lag_windows, load_series_csv, split_by_date, views
from fnlearn.datasets.tables import Students, likes, students, xor

__all__ = [
    "load_mnist", "load_fashion_mnist", "load_kmnist", "read_idx",
    "load_boston_housing", "load_california_housing", "load_imdb", "load_reuters", "load_imdb_word_index",
    "load_reuters_word_index", "REUTERS_LABEL_NAMES", "load_cifar10", "load_cifar100", "CIFAR10_LABEL_NAMES",
    "views", "load_series_csv", "lag_windows", "split_by_date", "Series",
    "xor", "students", "Students", "likes",
]
