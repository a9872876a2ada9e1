"""``keras.datasets.boston_housing``: 506 Boston suburbs of the 1970s, 13 features, prices in k$.

Keras warns about this data set: one of its features encodes an assumption about race, so it
is best kept for illustrating regression mechanics (and that problem), not for conclusions.

Example:
    >>> from fnlearn.keras.datasets import boston_housing
    >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()   # doctest: +SKIP
    >>> x_train.shape, y_train.dtype                                        # doctest: +SKIP
    ((404, 13), dtype('float64'))
"""

from __future__ import annotations

import os

import numpy as np


def load_data(path: str | os.PathLike = "boston_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: float64 features ``(n, 13)`` and prices ``(n,)``.

    The rows are shuffled with ``np.random.RandomState(seed)`` and the last ``test_split`` of them
    are the test set, as in Keras. ``path`` is Keras's file name in the cache, or a file or folder
    on this computer; ``$FNLEARN_DATA`` and the user cache are searched, and a missing file is
    downloaded and checked by SHA-256 (see :func:`fnlearn.datasets.load_boston_housing`).
    """
    from ...datasets import load_boston_housing

    return load_boston_housing(path, test_split, seed)


__all__ = ["load_data"]
