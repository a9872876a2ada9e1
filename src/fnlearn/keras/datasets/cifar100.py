"""``keras.datasets.cifar100``: 60,000 small colour images (32×32) in 100 classes, grouped in 20 superclasses.

Example:
    >>> from fnlearn.keras.datasets import cifar100
    >>> (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode="fine")   # doctest: +SKIP
    >>> x_train.shape, y_train.shape, y_train.dtype                                    # doctest: +SKIP
    ((50000, 32, 32, 3), (50000, 1), dtype('int64'))
"""

from __future__ import annotations

import os

import numpy as np


def load_data(label_mode: str = "fine", path: str | os.PathLike | None = None) -> tuple[
        tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: 50,000 + 10,000 images (uint8, 32×32×3) and labels (int64, ``(n, 1)``).

    ``label_mode="fine"`` gives the 100 classes (0..99), ``"coarse"`` the 20 superclasses (0..19), as in
    Keras (whose labels here are int64 too). ``path``, which Keras does not have, may name the archive
    ``cifar-100-python.tar.gz`` or a folder that holds it or its unpacked copy (see
    :func:`fnlearn.datasets.load_cifar100` for the search order and the verified download).
    """
    from ...datasets import load_cifar100

    return load_cifar100(label_mode, path)


__all__ = ["load_data"]
