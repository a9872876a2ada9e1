"""Tiny CIFAR archives in the authors' exact format, written independently of the reader under test.

The real batches are Python 2 pickles (protocol 2) of dicts whose keys and strings are Python 2 ``str``
(the BINSTRING opcodes) and whose NumPy arrays name ``numpy.core.multiarray._reconstruct``. Python 3's pickler
writes bytes under protocol 2 as calls to ``_codecs.encode``, which no careful reader should allow; ``Py2Pickler``
writes them as Python 2 did, so the tests read what the real files hold.
"""

from __future__ import annotations

import io
import pickle
import struct
import tarfile
from pathlib import Path
from typing import Any

import numpy as np

CIFAR10_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))


class Py2Pickler(pickle._Pickler):
    """Pickles as Python 2's cPickle did: text and bytes as ``str`` (BINSTRING), NumPy under ``numpy.core``."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_py2_str(self, obj: str | bytes) -> None:
        raw = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    def save_global(self, obj: Any, name: str | None = None) -> None:
        module = obj.__module__.replace("numpy._core", "numpy.core")  # NumPy 2 renamed the module NumPy 1 wrote
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str
    dispatch[type] = save_global


def py2_pickle(obj: Any) -> bytes:
    stream = io.BytesIO()
    Py2Pickler(stream, protocol=2).dump(obj)
    return stream.getvalue()


def rows_of(images: np.ndarray) -> np.ndarray:
    """(n, 32, 32, 3) images as the files store them: per image the red plane, then green, then blue."""
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(len(images), 3072)


def batch_bytes(images: np.ndarray, **labels: list[int]) -> bytes:
    n = len(images)
    return py2_pickle({b"batch_label": b"a test batch", **{key.encode(): value for key, value in labels.items()},
                       b"data": rows_of(images), b"filenames": [f"image_{i}.png".encode() for i in range(n)]})


def write_tar(archive: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    archive.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, mode) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def cifar10_members(sizes: tuple[int, ...] = (3, 2, 4, 1, 2), n_test: int = 3, seed: int = 0
                    ) -> tuple[dict[str, bytes], dict[str, np.ndarray]]:
    """The members of a tiny ``cifar-10-python.tar.gz`` and the arrays Keras would return from it."""
    rng = np.random.default_rng(seed)
    members, xs, ys = {}, [], []
    for name, n in zip((*CIFAR10_BATCHES, "test_batch"), (*sizes, n_test)):
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, n)]
        members[f"cifar-10-batches-py/{name}"] = batch_bytes(images, labels=labels)
        xs.append(images)
        ys.append(labels)
    members["cifar-10-batches-py/batches.meta"] = py2_pickle({b"num_cases_per_batch": 10000, b"num_vis": 3072,
                                                              b"label_names": [b"airplane", b"automobile"]})
    members["cifar-10-batches-py/readme.html"] = b"<html>a test archive</html>"
    expected = {"x_train": np.concatenate(xs[:5]), "y_train": np.array(sum(ys[:5], []), np.uint8).reshape(-1, 1),
                "x_test": xs[5], "y_test": np.array(ys[5], np.uint8).reshape(-1, 1)}
    return members, expected


def cifar100_members(n_train: int = 7, n_test: int = 4, seed: int = 1
                     ) -> tuple[dict[str, bytes], dict[str, np.ndarray]]:
    """The members of a tiny ``cifar-100-python.tar.gz`` and its arrays (labels by mode)."""
    rng = np.random.default_rng(seed)
    members, expected = {}, {}
    for name, n in (("train", n_train), ("test", n_test)):
        images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        fine = [int(v) for v in rng.integers(0, 100, n)]
        coarse = [int(v) for v in rng.integers(0, 20, n)]
        members[f"cifar-100-python/{name}"] = batch_bytes(images, fine_labels=fine, coarse_labels=coarse)
        expected[f"x_{name}"] = images
        expected[f"fine_{name}"] = np.array(fine, np.int64).reshape(-1, 1)
        expected[f"coarse_{name}"] = np.array(coarse, np.int64).reshape(-1, 1)
    members["cifar-100-python/meta"] = py2_pickle({b"fine_label_names": [b"apple"], b"coarse_label_names": [b"fish"]})
    return members, expected


def make_cifar10(archive: Path, **options: Any) -> dict[str, np.ndarray]:
    members, expected = cifar10_members(**options)
    write_tar(archive, members)
    return expected


def make_cifar100(archive: Path, **options: Any) -> dict[str, np.ndarray]:
    members, expected = cifar100_members(**options)
    write_tar(archive, members)
    return expected


def unpack(members: dict[str, bytes], folder: Path) -> Path:
    """Write the members as ``tar xzf`` would; returns ``folder``."""
    for name, data in members.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder
