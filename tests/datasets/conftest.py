"""Shared fixtures for the data set tests: no network, no real cache, tiny IDX files."""

from __future__ import annotations

import gzip
import struct
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from fnlearn.datasets import _download

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


class Opener:
    """Stands in for the network: file:// URLs are served, http(s) fails like a machine offline."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, url: str, timeout: float = 30.0):
        self.calls.append(url)
        if url.startswith("file:"):
            return urllib.request.urlopen(url, timeout=timeout)
        raise OSError(f"no network in tests (refused {url})")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Every test gets its own cache, no $FNLEARN_DATA, and no network."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("FNLEARN_DATA", raising=False)
    opener = Opener()
    monkeypatch.setattr(_download, "open_url", opener)
    return opener
