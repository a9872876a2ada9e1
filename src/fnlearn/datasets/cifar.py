"""CIFAR-10 and CIFAR-100 from their authors' archives, read as Keras 3 reads them.

Each data set is one archive from https://www.cs.toronto.edu/~kriz/, checked against the SHA-256
digest Keras pins: ``cifar-10-python.tar.gz`` (a folder ``cifar-10-batches-py/`` with
``data_batch_1`` … ``data_batch_5`` and ``test_batch``) and ``cifar-100-python.tar.gz`` (a folder
``cifar-100-python/`` with ``train`` and ``test``). Each batch is a Python 2 pickle of a dict: ``data``,
uint8 rows of 3,072 pixels (the 32×32 red plane, then green, then blue), and the labels, a list of
ints (``labels`` for CIFAR-10, ``fine_labels`` and ``coarse_labels`` for CIFAR-100). The archive is
read in place, without unpacking it.

A batch is unpickled by an unpickler that can build NumPy arrays and nothing else (lists, dicts,
strings and numbers need no global), so a tampered file cannot run code; what comes out is then
checked: the keys, the rows of 3,072 bytes, one label per image, the labels' range.

The loader looks, in this order:

1. ``path`` when given: the archive itself (any name), or a folder that holds the archive or its
   unpacked folder (``cifar-10-batches-py/``), or is that unpacked folder; nothing else is tried;
2. ``$FNLEARN_DATA/<kind>/``, then ``$FNLEARN_DATA`` itself;
3. the user cache ``$XDG_CACHE_HOME/fnlearn/<kind>/`` (default ``~/.cache/fnlearn/<kind>/``);
4. Keras's cache ``~/.keras/datasets`` (``$KERAS_HOME/datasets``), where Keras 3 keeps the archive as
   ``cifar-10-batches-py-target_archive`` and unpacks it into ``cifar-10-batches-py-target/``;
5. a download into fnlearn's cache, checked against the pinned digest and moved into place only
   when it matches.

In each folder the archive is looked for under its own name, then an unpacked copy. ``<kind>`` is
``cifar10`` or ``cifar100``.

Example:
    >>> from fnlearn.datasets import load_cifar10
    >>> (x_train, y_train), (x_test, y_test) = load_cifar10()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_train.shape              # doctest: +SKIP
    ((50000, 32, 32, 3), dtype('uint8'), (50000, 1))
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fnlearn import errors
from fnlearn.datasets import _download, keras_files
from fnlearn.datasets._download import ENV_VAR

Split = keras_files.Split

# The names of CIFAR-10's labels 0..9, in label order (the archive's batches.meta lists them so).
CIFAR10_LABEL_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")

PIXELS = 32 * 32 * 3
# The largest batch (CIFAR-100's train) is 50,000 rows of 3,072 bytes, about 154 MB; a member far larger
# than that is no CIFAR batch, and reading it would only exhaust memory.
_MAX_BATCH_BYTES = 256 * 2**20

_LABEL_KEYS = {"labels": 10, "fine_labels": 100, "coarse_labels": 20}  # key → number of classes


@dataclass(frozen=True)
class _Cifar:
    kind: str              # the cache subfolder
    title: str
    archive: str           # the archive's name at its address (its digest is pinned in keras_files)
    folder: str            # the archive's one top folder, also the name of an unpacked copy
    keras_name: str        # Keras 3 keeps <keras_name>_archive and <keras_name>/<folder> in its cache
    train: tuple[str, ...]
    test: str
    label_dtype: type      # Keras 3 gives CIFAR-10's labels as uint8, CIFAR-100's as int64

    @property
    def batches(self) -> tuple[str, ...]:
        return (*self.train, self.test)


_CIFAR = {
    "cifar10": _Cifar("cifar10", "CIFAR-10", "cifar-10-python.tar.gz", "cifar-10-batches-py",
                      "cifar-10-batches-py-target", tuple(f"data_batch_{i}" for i in range(1, 6)), "test_batch",
                      np.uint8),
    "cifar100": _Cifar("cifar100", "CIFAR-100", "cifar-100-python.tar.gz", "cifar-100-python",
                       "cifar-100-python-target", ("train",), "test", np.int64),
}


# --------------------------------------------------------------------------- finding the archive


def _unpacked(folder: Path, spec: _Cifar) -> bool:
    return folder.is_dir() and all((folder / name).is_file() for name in spec.batches)


def _source_in(folder: Path, spec: _Cifar) -> Path | None:
    """The archive or an unpacked copy in ``folder``, as a download, ``tar xzf`` or Keras 3 left it."""
    for archive in (folder / spec.archive, folder / f"{spec.keras_name}_archive"):
        if archive.is_file():
            return archive
    for unpacked in (folder / spec.folder, folder / spec.keras_name / spec.folder):
        if _unpacked(unpacked, spec):
            return unpacked
    return None


def _where_to_put(spec: _Cifar) -> str:
    return (f"put {spec.archive} (or the folder {spec.folder}/ it unpacks to) in '{_download.cache_dir(spec.kind)}', "
            f"or in a folder named by ${ENV_VAR} (or its '{spec.kind}/' subfolder), or pass path= the file or folder")


def find_cifar(kind: str, path: str | os.PathLike | None = None, *, download: bool = True,
               progress: bool = True) -> Path:
    """The local archive of ``kind`` (``"cifar10"`` or ``"cifar100"``), or a folder with its unpacked batches.

    Searches ``path``, ``$FNLEARN_DATA``, the caches in the order the module describes, and downloads
    the archive into fnlearn's cache when it is nowhere and ``download`` is true.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> _ = open(os.path.join(folder, "cifar-10-python.tar.gz"), "wb").write(b"")
        >>> find_cifar("cifar10", folder).name
        'cifar-10-python.tar.gz'
    """
    spec = _CIFAR[kind]
    if path is not None:
        given = Path(path).expanduser()
        if given.is_file():
            return given
        if given.is_dir():
            found = _source_in(given, spec) or (given if _unpacked(given, spec) else None)
            if found is None:
                raise errors.DatasetError(
                    f"path '{given}' is a folder without {spec.archive} or the unpacked {spec.title} files "
                    f"({', '.join(spec.batches)}); put one of them there, or pass path= the archive itself.")
            return found
        raise errors.DatasetError(
            f"path '{given}' does not exist; pass the archive {spec.archive}, the folder {spec.folder}/ it unpacks "
            f"to, or a folder that holds either, or leave path out to use ${ENV_VAR}, the cache and the download.")
    for folder in _download.local_folders(spec.kind):
        found = _source_in(folder, spec)
        if found is not None:
            return found
    return keras_files.fetch(spec.archive, download=download, progress=progress, where=_where_to_put(spec))


# --------------------------------------------------------------------------- reading the batches

# Rebuilding a NumPy array needs these three globals; the dict, lists, strings and ints of a batch need none.
_BATCH_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),   # the name in the authors' files (NumPy 1)
    ("numpy._core.multiarray", "_reconstruct"),  # NumPy 2's, should someone pickle a batch again
})


class _Refused(pickle.UnpicklingError):
    pass


class _BatchUnpickler(pickle.Unpickler):
    """Builds NumPy arrays and Python's plain values; any other global (``os.system``…) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _BATCH_GLOBALS:
            return super().find_class(module, name)
        raise _Refused(f"{module}.{name}")


def _unpickle(raw: bytes, where: str) -> Any:
    try:
        # The batches were pickled by Python 2: "bytes" keeps its strings, the array data among them, as bytes.
        return _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except _Refused as exc:
        raise errors.DatasetError(
            f"{where} holds a pickled {exc}, which is refused because unpickling it could run code; it is not a "
            f"CIFAR batch, so replace the file with the original.") from exc
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
        raise errors.DatasetError(
            f"{where} cannot be read as a pickled CIFAR batch ({type(exc).__name__}: {exc}); it is damaged, so "
            f"replace the file with the original.") from exc


def _checked(batch: Any, where: str, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """The batch's images (uint8 rows of 3,072) and labels (int64), or one sentence on what is wrong."""
    if not isinstance(batch, dict):
        raise errors.DatasetError(
            f"{where} holds a pickled {type(batch).__name__}, expected a dict with 'data' and '{label_key}'; it is "
            f"not a CIFAR batch, so replace the file with the original.")
    batch = {key.decode("latin-1") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise errors.DatasetError(
            f"{where} holds the keys {sorted(map(str, batch))}, expected 'data' and '{label_key}'; it is not a "
            f"batch of this data set, so replace the file with the original.")
    data = batch["data"]
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2 and data.shape[1] == PIXELS):
        what = f"an array of shape {data.shape} and dtype {data.dtype}" if isinstance(data, np.ndarray) else (
            f"a {type(data).__name__}")
        raise errors.DatasetError(
            f"{where} holds {what} as 'data', expected uint8 rows of {PIXELS:,} pixels (32×32, red then green then "
            f"blue); it is not a CIFAR batch, so replace the file with the original.")
    labels = np.asarray(batch[label_key])
    if labels.size == 0:
        labels = labels.astype(np.int64)  # an empty list reads as float64
    classes = _LABEL_KEYS[label_key]
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(data):
        raise errors.DatasetError(
            f"{where} holds '{label_key}' of shape {labels.shape} and dtype {labels.dtype} for {len(data)} images, "
            f"expected one whole number per image; replace the file with the original.")
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise errors.DatasetError(
            f"{where} holds '{label_key}' from {labels.min()} to {labels.max()}, expected 0 to {classes - 1}; it is "
            f"not a batch of this data set, so replace the file with the original.")
    return data, labels.astype(np.int64)


def _too_large(size: int, where: str) -> errors.DatasetError:
    return errors.DatasetError(
        f"{where} is {size:,} bytes, more than any CIFAR batch (at most about 154 MB); it is not a CIFAR batch, so "
        f"replace the file with the original.")


def _read_folder(folder: Path, spec: _Cifar) -> dict[str, Any]:
    batches = {}
    for name in spec.batches:
        file = folder / name
        where = f"{spec.title} file '{file}'"
        try:
            size = file.stat().st_size
            raw = file.read_bytes() if size <= _MAX_BATCH_BYTES else b""
        except OSError as exc:
            raise errors.DatasetError(
                f"{where} cannot be read ({exc.strerror or exc}); check that it exists and is readable.") from exc
        if size > _MAX_BATCH_BYTES:
            raise _too_large(size, where)
        batches[name] = _unpickle(raw, where)
    return batches


def _read_archive(archive_file: Path, spec: _Cifar) -> dict[str, Any]:
    wanted = {f"{spec.folder}/{name}": name for name in spec.batches}
    batches = {}
    try:
        with open(archive_file, "rb") as stream:
            compressed = stream.read(2) == b"\x1f\x8b"
        # The archive is gzip-compressed; an unpacker may have left a plain .tar, which is read as well.
        with tarfile.open(archive_file, "r:gz" if compressed else "r:") as archive:
            # One pass, front to back: a gzip stream cannot be read out of order without starting again.
            for member in archive:
                name = wanted.get(member.name.removeprefix("./"))
                if name is None or not member.isfile():
                    continue
                where = f"{spec.title} archive '{archive_file}' member '{member.name}'"
                if member.size > _MAX_BATCH_BYTES:
                    raise _too_large(member.size, where)
                batches[name] = _unpickle(archive.extractfile(member).read(), where)
    except errors.DatasetError:  # a DatasetError is an OSError too; it already says what is wrong
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise errors.DatasetError(
            f"{spec.title} archive '{archive_file}' cannot be read as a .tar.gz archive ({exc}); it is damaged or "
            f"not {spec.archive}, so delete it and load again to download it, or replace it.") from exc
    missing = [f"{spec.folder}/{name}" for name in spec.batches if name not in batches]
    if missing:
        raise errors.DatasetError(
            f"{spec.title} archive '{archive_file}' lacks {', '.join(missing)}; it is not {spec.archive} or is "
            f"incomplete, so replace it.")
    return batches


def _split(kind: str, path: str | os.PathLike | None, label_key: str, download: bool, progress: bool) -> Split:
    spec = _CIFAR[kind]
    source = find_cifar(kind, path, download=download, progress=progress)
    batches = _read_folder(source, spec) if source.is_dir() else _read_archive(source, spec)
    where = (lambda name: f"{spec.title} file '{source / name}'") if source.is_dir() else (
        lambda name: f"{spec.title} archive '{source}' member '{spec.folder}/{name}'")
    parts = []
    for names in (spec.train, (spec.test,)):
        checked = [_checked(batches.pop(name), where(name), label_key) for name in names]
        # Channels last, as Keras 3 gives them, in one contiguous block (Keras returns a transposed view).
        x = np.empty((sum(len(data) for data, _ in checked), 32, 32, 3), dtype=np.uint8)
        start = 0
        for data, _ in checked:
            # A thousand images at a time stay in the processor's cache: twice as fast as one transposing copy.
            for first in range(0, len(data), 1000):
                rows = data[first:first + 1000]
                x[start + first:start + first + len(rows)] = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            start += len(data)
        y = np.concatenate([labels for _, labels in checked]).astype(spec.label_dtype).reshape(-1, 1)
        parts.append((x, y))
    return parts[0], parts[1]


# --------------------------------------------------------------------------- public loaders


def load_cifar10(path: str | os.PathLike | None = None, *, download: bool = True, progress: bool = True) -> Split:
    """CIFAR-10 as Keras 3 gives it: uint8 images ``(n, 32, 32, 3)`` (channels last) and uint8 labels ``(n, 1)``.

    50,000 training images (``data_batch_1`` … ``data_batch_5``, in that order) and 10,000 test images, in
    10 classes (:data:`CIFAR10_LABEL_NAMES`). ``path`` is the archive, or a folder that holds it or its
    unpacked copy; without it ``$FNLEARN_DATA``, the caches and a verified download are tried.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_cifar10()   # doctest: +SKIP
        >>> x_train.shape, y_train.shape, x_test.shape, y_test.dtype   # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1), (10000, 32, 32, 3), dtype('uint8'))
        >>> CIFAR10_LABEL_NAMES[3]
        'cat'
    """
    return _split("cifar10", path, "labels", download, progress)


def load_cifar100(label_mode: str = "fine", path: str | os.PathLike | None = None, *, download: bool = True,
                  progress: bool = True) -> Split:
    """CIFAR-100 as Keras 3 gives it: uint8 images ``(n, 32, 32, 3)`` and int64 labels ``(n, 1)``.

    50,000 training and 10,000 test images; ``label_mode="fine"`` labels them with the 100 classes (0..99),
    ``"coarse"`` with the 20 superclasses (0..19). The labels are int64 because Keras 3's are. ``path`` as in
    :func:`load_cifar10`.

    Example:
        >>> (x_train, y_train), _ = load_cifar100(label_mode="coarse")   # doctest: +SKIP
        >>> x_train.shape, y_train.shape, int(y_train.max())              # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1), 19)
        >>> load_cifar100(label_mode="superclass")
        Traceback (most recent call last):
        ...
        fnlearn.errors.ConfigError: label_mode='superclass' is not usable; expected 'fine' (100 classes) or ...
    """
    if not isinstance(label_mode, str) or label_mode not in ("fine", "coarse"):
        raise errors.ConfigError(
            f"label_mode={label_mode!r} is not usable; expected 'fine' (100 classes) or 'coarse' (20 superclasses).")
    return _split("cifar100", path, f"{label_mode}_labels", download, progress)


__all__ = ["load_cifar10", "load_cifar100", "find_cifar", "CIFAR10_LABEL_NAMES"]
