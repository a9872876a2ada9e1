"""``keras.datasets.cifar10``: 60,000 small colour images (32×32) in 10 classes.

Example:
    >>> from fnlearn.keras.datasets import cifar10
    >>> (x_train, y_train), (x_test, y_test) = cifar10.load_data()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_train.shape                  # doctest: +SKIP
    ((50000, 32, 32, 3), dtype('uint8'), (50000, 1))
"""

from __future__ import annotations

import os

import numpy as np


def load_data(path: str | os.PathLike | None = None) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: 50,000 + 10,000 images (uint8, 32×32×3) and labels (uint8, ``(n, 1)``).

    The labels are 0..9: airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck
    (``fnlearn.datasets.CIFAR10_LABEL_NAMES``). Keras's ``load_data`` takes no argument; ``path`` may name
    the archive ``cifar-10-python.tar.gz`` or a folder that holds it or its unpacked copy. Without it the
    archive is looked up in ``$FNLEARN_DATA``, fnlearn's cache and Keras's, and downloaded (checked by
    SHA-256) when missing (see :func:`fnlearn.datasets.load_cifar10`).
    """
    from ...datasets import load_cifar10

    return load_cifar10(path)


__all__ = ["load_data"]
