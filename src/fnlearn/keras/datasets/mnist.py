"""``keras.datasets.mnist``: the MNIST handwritten digits.

Example:
    >>> from fnlearn.keras.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype                                # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


def load_data(path: str | os.PathLike | None = "mnist.npz") -> tuple[tuple[np.ndarray, np.ndarray],
                                                                       tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: 60,000 + 10,000 images (uint8, 28×28) and labels (uint8).

    ``path`` as in Keras names the cache file (``"mnist.npz"``, the default): the files are then looked up in
    ``$FNLEARN_DATA``, fnlearn's cache and Keras's (``~/.keras/datasets/mnist.npz``), and downloaded (checked
    by SHA-256) when missing. It may also be an ``.npz`` file of Keras's layout, or a folder that holds the four
    MNIST IDX files.
    """
    from ...datasets import load_mnist, mnist

    if path is None or (isinstance(path, str) and path == "mnist.npz"):
        return load_mnist(None, "mnist")
    if Path(path).expanduser().is_file():
        return mnist._read_keras_npz(Path(path).expanduser())
    return load_mnist(path, "mnist")


__all__ = ["load_data"]
