"""``keras.datasets.mnist``: the MNIST handwritten digits.

Example:
    >>> from fnlearn.keras.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype                                # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import os

import numpy as np


def load_data(path: str | os.PathLike | None = None) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: 60,000 + 10,000 images (uint8, 28×28) and labels (uint8).

    ``path`` is a folder that holds the four MNIST IDX files (Keras's ``path`` names a cache file
    instead); without it the files are looked up in ``$FNLEARN_DATA`` and the user cache, and
    downloaded there (checked by SHA-256) when missing.
    """
    from ...datasets import load_mnist

    return load_mnist(path, "mnist")


__all__ = ["load_data"]
