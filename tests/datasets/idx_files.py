"""Tiny IDX (MNIST-format) files for the data set tests, written independently of the reader under test.

A module of its own, not the conftest: ``from conftest import ...`` would find whichever conftest.py
comes first on the import path.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

IDX_CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
             np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}
NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode an array as an IDX file, written independently of the reader under test."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def make_mnist_folder(folder: Path, *, gz: bool = True, seed: int = 0, n_train: int = 6, n_test: int = 4,
                      label_offset: int = 0) -> dict[str, np.ndarray]:
    """Write the four files of a tiny MNIST-format set; returns the arrays by file name.

    ``label_offset`` makes sets from different folders tell themselves apart.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {
        NAMES[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        NAMES[1]: ((np.arange(n_train) + label_offset) % 10).astype(np.uint8),
        NAMES[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        NAMES[3]: ((np.arange(n_test) + label_offset) % 10).astype(np.uint8),
    }
    for name, array in arrays.items():
        write_idx(folder / (name + ".gz" if gz else name), array, gz=gz)
    return arrays
