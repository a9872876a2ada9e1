"""``keras.datasets.california_housing``: 20,640 California districts of the 1990 census, 8 features, values in $.

Example:
    >>> from fnlearn.keras.datasets import california_housing
    >>> (x_train, y_train), (x_test, y_test) = california_housing.load_data(version="small")   # doctest: +SKIP
    >>> x_train.shape, x_test.shape                                                           # doctest: +SKIP
    ((480, 8), (120, 8))
"""

from __future__ import annotations

import os

import numpy as np


def load_data(version: str = "large", path: str | os.PathLike = "california_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: float32 features ``(n, 8)`` and median house values ``(n,)``.

    The features are MedInc, HouseAge, AveRooms, AveBedrms, Population, AveOccup, Latitude and
    Longitude. ``version="small"`` keeps the file's first 600 districts; the rows are then shuffled with
    ``np.random.RandomState(seed)`` and the last ``test_split`` of them are the test set, as in Keras.
    ``path`` is Keras's file name in the cache, or a file or folder on this computer (see
    :func:`fnlearn.datasets.load_california_housing` for the search order and the verified download).
    """
    from ...datasets import load_california_housing

    return load_california_housing(version, path, test_split, seed)


__all__ = ["load_data"]
