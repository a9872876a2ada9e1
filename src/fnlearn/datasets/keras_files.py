"""Boston and California housing, IMDB and Reuters from the files Keras publishes, processed exactly as Keras does.

Each data set is one file (``boston_housing.npz``, ``california_housing.npz``, ``imdb.npz``,
``reuters.npz``, plus the word indexes ``imdb_word_index.json`` and ``reuters_word_index.json``).
``path`` works as in Keras — a file name in the cache — and may also be a file or a folder on this
computer. The loader looks, in this order:

1. ``path`` itself when it is an existing file, or ``path/<file name>`` when it is a folder
   (a path with a folder part that does not exist is an error, not a fallback);
2. ``$FNLEARN_DATA/<kind>/<name>``, then ``$FNLEARN_DATA/<name>``;
3. the user cache ``$XDG_CACHE_HOME/fnlearn/<kind>/<name>`` (default ``~/.cache/fnlearn/<kind>/``);
4. a download from Keras's address into that cache, checked against the digest Keras pins
   and moved into place only when it matches.

``<kind>`` is ``boston_housing``, ``california_housing``, ``imdb`` or ``reuters``; ``<name>`` is ``path``'s file name.

The sequences of IMDB and Reuters are stored as pickled object arrays; they are read with an
unpickler that can build NumPy arrays and nothing else, so a tampered file cannot run code.

Example:
    >>> from fnlearn.datasets import load_imdb
    >>> (x_train, y_train), (x_test, y_test) = load_imdb(num_words=10000)   # doctest: +SKIP
    >>> len(x_train), x_train[0][:4], y_train.dtype                        # doctest: +SKIP
    (25000, [1, 194, 1153, 194], dtype('int64'))
"""

from __future__ import annotations

import io
import json
import numbers
import os
import pickle
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fnlearn import errors
from fnlearn.datasets import _download
from fnlearn.datasets._download import ENV_VAR

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CIFAR_ORIGIN = "https://www.cs.toronto.edu/~kriz/"

Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class _File:
    kind: str       # the cache subfolder
    title: str
    digest: str     # the digest Keras pins for the file at its address
    algorithm: str  # Keras pins only MD5 digests for the two word indexes
    size: int       # bytes, for the progress bar when the server sends no length
    origin: str | None = None  # the folder URL; None is ORIGIN, read at call time


_FILES: dict[str, _File] = {
    "boston_housing.npz": _File(
        "boston_housing", "Boston housing",
        "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5", "sha256", 57026),
    "imdb.npz": _File(
        "imdb", "IMDB", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f", "sha256", 17464789),
    "imdb_word_index.json": _File(
        "imdb", "the IMDB word index", "bfafd718b763782e994055a2d397834f", "md5", 1641221),
    "reuters.npz": _File(
        "reuters", "Reuters", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916", "sha256", 2110848),
    "reuters_word_index.json": _File(
        "reuters", "the Reuters word index", "4d44cc38712099c9e383dc6e5f11a921", "md5", 550378),
    "california_housing.npz": _File(
        "california_housing", "California housing",
        "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f", "sha256", 743530),
    # The CIFAR archives come from their authors' site, as Keras downloads them; cifar.py reads them.
    "cifar-10-python.tar.gz": _File(
        "cifar10", "CIFAR-10", "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce", "sha256",
        170498071, CIFAR_ORIGIN),
    "cifar-100-python.tar.gz": _File(
        "cifar100", "CIFAR-100", "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7", "sha256",
        169001437, CIFAR_ORIGIN),
}

# The topics of reuters.npz's labels 0..45, in label order (as Keras lists them).
REUTERS_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
    "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
    "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
    "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


# --------------------------------------------------------------------------- finding the file


def _where_to_put(name: str, spec: _File) -> str:
    return (f"put {name} in '{_download.cache_dir(spec.kind)}', or in a folder named by ${ENV_VAR} "
            f"(or its '{spec.kind}/' subfolder), or pass path= the file")


def find_file(canonical: str, path: str | os.PathLike, *, download: bool = True, progress: bool = True) -> Path:
    """The local copy of one of Keras's data files (``canonical`` is its name at Keras's address).

    Searches ``path``, ``$FNLEARN_DATA`` and the cache in the order the module describes, and
    downloads into the cache when the file is nowhere and ``download`` is true.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> _ = open(os.path.join(folder, "imdb.npz"), "wb").write(b"")
        >>> find_file("imdb.npz", folder).name
        'imdb.npz'
    """
    spec = _FILES[canonical]
    given = Path(path).expanduser()
    if given.is_file():
        return given
    if given.is_dir():
        if (given / canonical).is_file():
            return given / canonical
        raise errors.DatasetError(
            f"path '{given}' is a folder without {canonical}; put {canonical} in it, or pass path= the file "
            f"itself.")
    if given.is_absolute() or len(given.parts) != 1:
        raise errors.DatasetError(
            f"path '{given}' does not exist; put {spec.title}'s file {canonical} there, or pass a plain file "
            f"name such as path='{canonical}' to use ${ENV_VAR}, the cache and the download.")
    name = given.name  # like Keras's: a file name in the cache
    for folder in _download.local_folders(spec.kind):
        if (folder / name).is_file():
            return folder / name
    return fetch(canonical, name, download=download, progress=progress)


def fetch(canonical: str, name: str | None = None, *, download: bool = True, progress: bool = True,
          where: str | None = None) -> Path:
    """Download one of the pinned files into its cache folder as ``name`` (default: its own name).

    The file is checked against its pinned digest and moved into place only when it matches. Nothing
    found and ``download`` false, or a failed download, is a ``DatasetError`` that ends with ``where``
    (by default: where to put the file by hand).

    Example:
        >>> fetch("imdb.npz", download=False)   # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        fnlearn.errors.DatasetError: IMDB (imdb.npz) is not on this computer and download=False; put imdb.npz in ...
    """
    spec = _FILES[canonical]
    name = name or canonical
    where = where or _where_to_put(name, spec)
    cached = _download.cache_dir(spec.kind) / name
    if not download:
        raise errors.DatasetError(f"{spec.title} ({name}) is not on this computer and download=False; {where}.")
    origin = spec.origin or ORIGIN
    try:
        return _download.download([origin + canonical], cached, spec.digest, size=spec.size, progress=progress,
                                  algorithm=spec.algorithm)
    except _download.DownloadFailed as exc:
        failure = str(exc)
    except OSError as exc:  # the cache folder itself cannot be created or written
        failure = f"{name}: {exc}"
    raise errors.DatasetError(
        f"{spec.title} ({name}) is not on this computer and could not be downloaded ({failure}); {where}.")


# --------------------------------------------------------------------------- reading npz and json

_NUMPY_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),   # NumPy 1's module name, still in older files
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
})


class _ArraysOnly(pickle.Unpickler):
    """Builds NumPy arrays, dtypes, scalars and Python's plain containers; any other global is refused."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name}")


def _read_npy(raw: bytes) -> Any:
    stream = io.BytesIO(raw)
    major, _ = np.lib.format.read_magic(stream)
    # Version 3 differs from 2 only in how the header text is encoded; the layout is the same.
    read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    _, _, dtype = read_header(stream)
    if not dtype.hasobject:
        stream.seek(0)
        return np.lib.format.read_array(stream, allow_pickle=False)
    return _ArraysOnly(stream).load()


def read_npz(file: str | os.PathLike, keys: Sequence[str], title: str = "data") -> dict[str, np.ndarray]:
    """The arrays ``keys`` of an ``.npz`` file; object arrays are unpickled safely (arrays only).

    Example:
        >>> import numpy as np, os, tempfile
        >>> f = os.path.join(tempfile.mkdtemp(), "a.npz")
        >>> np.savez(f, x=np.arange(3))
        >>> read_npz(f, ["x"])["x"]
        array([0, 1, 2])
    """
    file = Path(file)
    members: dict[str, str] = {}
    arrays: dict[str, Any] = {}
    try:
        with zipfile.ZipFile(file) as archive:
            members = {m[:-4]: m for m in archive.namelist() if m.endswith(".npy")}
            if all(k in members for k in keys):
                arrays = {k: _read_npy(archive.read(members[k])) for k in keys}
    except pickle.UnpicklingError as exc:
        raise errors.DatasetError(
            f"{title} file '{file}' holds a pickled object other than NumPy arrays ({exc}), which is refused "
            f"because it could run code; replace the file with the original.") from exc
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise errors.DatasetError(
            f"{title} file '{file}' cannot be read as an .npz archive ({exc}); it is damaged or not an .npz "
            f"file, so replace it.") from exc
    if not arrays:
        raise errors.DatasetError(
            f"{title} file '{file}' holds the arrays {sorted(members)}, expected {list(keys)}; it is not "
            f"the {title} file, so replace it.")
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise errors.DatasetError(
                f"{title} file '{file}' holds a {type(value).__name__} as '{key}', expected a NumPy array; "
                f"replace the file with the original.")
    return arrays


def _read_word_index(file: Path, title: str) -> dict[str, int]:
    try:
        with open(file, encoding="utf-8") as stream:
            index = json.load(stream)
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise errors.DatasetError(
            f"{title} file '{file}' cannot be read as JSON ({exc}); it is damaged, so replace it.") from exc
    if not isinstance(index, dict):
        raise errors.DatasetError(
            f"{title} file '{file}' holds a JSON {type(index).__name__}, expected an object mapping words to "
            f"numbers; replace it.")
    return index


# --------------------------------------------------------------------------- argument checks


def _check_int(name: str, value: Any, *, allow_none: bool = False) -> None:
    ok = (value is None and allow_none) or (
        isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0)
    if not ok:
        expected = "a whole number ≥ 0" + (" or None" if allow_none else "")
        raise errors.ConfigError(f"{name}={value!r} is not usable; expected {expected}.")


def _check_split(value: Any, *, allow_one: bool) -> None:
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not number or not (0 <= value <= 1 if allow_one else 0 <= value < 1):
        bound = "1" if allow_one else "1, excluded"
        raise errors.ConfigError(
            f"test_split={value!r} is not usable; expected the test fraction, a number from 0 to {bound}.")


def _check_sequence_args(num_words: Any, skip_top: Any, maxlen: Any, start_char: Any, oov_char: Any,
                         index_from: Any) -> None:
    _check_int("num_words", num_words, allow_none=True)
    _check_int("skip_top", skip_top)
    _check_int("maxlen", maxlen, allow_none=True)
    _check_int("start_char", start_char, allow_none=True)
    _check_int("oov_char", oov_char, allow_none=True)
    _check_int("index_from", index_from)


# --------------------------------------------------------------------------- Keras's processing


def _shuffled(rng: np.random.RandomState, x: np.ndarray, y: np.ndarray, file: Path) -> tuple[np.ndarray, np.ndarray]:
    if len(x) != len(y):
        raise errors.DatasetError(
            f"file '{file}' holds {len(x)} examples but {len(y)} labels; they do not belong together, so replace "
            f"the file.")
    order = np.arange(len(x))
    rng.shuffle(order)
    return x[order], y[order]


def _shift(xs: Any, start_char: int | None, index_from: int) -> list[list]:
    """Each sequence as a list: ``index_from`` added to every word, ``start_char`` in front."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def _shorter_than(maxlen: int, xs: list[list], labels: Any) -> tuple[list[list], list]:
    """Keras drops (does not cut) every sequence of ``maxlen`` words or more, start mark included."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def _limit_vocabulary(xs: list[list], num_words: int | None, skip_top: int, oov_char: int | None) -> list[list]:
    if not num_words:
        # As in Keras, the bound is exclusive, so the largest index present also becomes oov_char.
        num_words = max((max(x) for x in xs if len(x)), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def _object_array(seqs: list[list]) -> np.ndarray:
    """A 1-d object array of lists, whatever the lengths (``np.array`` would make equal lengths 2-d)."""
    out = np.empty(len(seqs), dtype=object)
    for i, seq in enumerate(seqs):
        out[i] = seq
    return out


def _nothing_kept(maxlen: int, title: str) -> errors.DataError:
    return errors.DataError(
        f"maxlen={maxlen} keeps no {title} sequence (only sequences shorter than maxlen, start mark included, are "
        f"kept); pass a larger maxlen or None.")


# --------------------------------------------------------------------------- public loaders


def load_boston_housing(path: str | os.PathLike = "boston_housing.npz", test_split: float = 0.2, seed: int = 113, *,
                        download: bool = True, progress: bool = True) -> Split:
    """Boston housing as Keras gives it: 13 features (float64) and the price in k$ (float64).

    The 506 rows are shuffled with ``np.random.RandomState(seed)``; the first
    ``int(506 * (1 - test_split))`` are the training set (404 with the defaults).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_boston_housing()   # doctest: +SKIP
        >>> x_train.shape, x_test.shape                                     # doctest: +SKIP
        ((404, 13), (102, 13))
    """
    _check_split(test_split, allow_one=False)
    file = find_file("boston_housing.npz", path, download=download, progress=progress)
    arrays = read_npz(file, ("x", "y"), "Boston housing")
    x, y = _shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"], file)
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


CALIFORNIA_SMALL_ROWS = 600  # Keras's "small" version: the file's first 600 districts, before the shuffle


def load_california_housing(version: str = "large", path: str | os.PathLike = "california_housing.npz",
                            test_split: float = 0.2, seed: int = 113, *, download: bool = True,
                            progress: bool = True) -> Split:
    """California housing as Keras gives it: 8 features of a census block group and its median house value ($).

    ``version="large"`` is all 20,640 districts, ``"small"`` the file's first 600 (Keras's stand-in for
    Boston housing). The rows are then shuffled with ``np.random.RandomState(seed)`` and the first
    ``int(n * (1 - test_split))`` are the training set (16,512 and 480 with the defaults). The arrays keep
    the file's dtype, float32.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_california_housing("small")   # doctest: +SKIP
        >>> x_train.shape, x_test.shape, y_train.dtype                              # doctest: +SKIP
        ((480, 8), (120, 8), dtype('float32'))
    """
    if not isinstance(version, str) or version not in ("large", "small"):
        raise errors.ConfigError(
            f"version={version!r} is not usable; expected 'large' (all 20,640 districts) or 'small' (the first "
            f"{CALIFORNIA_SMALL_ROWS}).")
    _check_split(test_split, allow_one=False)
    file = find_file("california_housing.npz", path, download=download, progress=progress)
    arrays = read_npz(file, ("x", "y"), "California housing")
    x, y = arrays["x"], arrays["y"]
    if not (x.ndim == 2 and x.shape[1] == 8 and y.ndim == 1 and x.dtype.kind == "f" and y.dtype.kind == "f"):
        raise errors.DatasetError(
            f"California housing file '{file}' holds x of shape {x.shape} ({x.dtype}) and y of shape {y.shape} "
            f"({y.dtype}), expected numbers of shape (n, 8) and (n,); it is not the California housing file, so "
            f"replace it.")
    if len(x) != len(y):  # checked before the small version's cut could hide it
        raise errors.DatasetError(
            f"file '{file}' holds {len(x)} examples but {len(y)} labels; they do not belong together, so replace "
            f"the file.")
    if version == "small":
        x, y = x[:CALIFORNIA_SMALL_ROWS], y[:CALIFORNIA_SMALL_ROWS]
    x, y = _shuffled(np.random.RandomState(seed), x, y, file)
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def load_imdb(path: str | os.PathLike = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3, *, download: bool = True, progress: bool = True) -> Split:
    """The IMDB reviews as Keras gives them: object arrays of word-index lists and int64 labels 0/1.

    Words are numbered by frequency from ``index_from`` up; each review starts with
    ``start_char``; words outside ``skip_top <= w < num_words`` become ``oov_char`` (or are
    dropped when it is None); with ``maxlen``, reviews of ``maxlen`` or more words are dropped.
    The training and then the test set are shuffled with one ``np.random.RandomState(seed)``.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_imdb(num_words=10000)   # doctest: +SKIP
        >>> x_train.shape, x_train.dtype, max(max(s) for s in x_train)         # doctest: +SKIP
        ((25000,), dtype('O'), 9999)
    """
    _check_sequence_args(num_words, skip_top, maxlen, start_char, oov_char, index_from)
    file = find_file("imdb.npz", path, download=download, progress=progress)
    arrays = read_npz(file, ("x_train", "y_train", "x_test", "y_test"), "IMDB")
    rng = np.random.RandomState(seed)  # one generator: the test order depends on the training draw
    x_train, y_train = _shuffled(rng, arrays["x_train"], arrays["y_train"], file)
    x_test, y_test = _shuffled(rng, arrays["x_test"], arrays["y_test"], file)
    x_train, x_test = _shift(x_train, start_char, index_from), _shift(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = _shorter_than(maxlen, x_train, y_train)
        x_test, y_test = _shorter_than(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise _nothing_kept(maxlen, "IMDB training" if not x_train else "IMDB test")
    labels = np.concatenate([y_train, y_test])
    xs = _limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    n = len(x_train)
    return (_object_array(xs[:n]), labels[:n]), (_object_array(xs[n:]), labels[n:])


def load_reuters(path: str | os.PathLike = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
                 maxlen: int | None = None, test_split: float = 0.2, seed: int = 113, start_char: int | None = 1,
                 oov_char: int | None = 2, index_from: int = 3, *, download: bool = True,
                 progress: bool = True) -> Split:
    """The Reuters newswires as Keras gives them: object arrays of word-index lists, int64 topics 0..45.

    The same word rules as :func:`load_imdb`; the 11,228 wires are shuffled with
    ``np.random.RandomState(seed)`` and the first ``int(n * (1 - test_split))`` are the training set
    (8,982 with the defaults).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_reuters(num_words=10000)   # doctest: +SKIP
        >>> len(x_train), len(x_test), int(y_train.max())                          # doctest: +SKIP
        (8982, 2246, 45)
    """
    _check_sequence_args(num_words, skip_top, maxlen, start_char, oov_char, index_from)
    _check_split(test_split, allow_one=True)
    file = find_file("reuters.npz", path, download=download, progress=progress)
    arrays = read_npz(file, ("x", "y"), "Reuters")
    xs, labels = _shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"], file)
    xs = _shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = _shorter_than(maxlen, xs, labels)
        if not xs:
            raise _nothing_kept(maxlen, "Reuters")
    xs = _limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (_object_array(xs[:cut]), np.array(labels[:cut])), (_object_array(xs[cut:]), np.array(labels[cut:]))


def load_imdb_word_index(path: str | os.PathLike = "imdb_word_index.json", *, download: bool = True,
                         progress: bool = True) -> dict[str, int]:
    """IMDB's word → rank dictionary (rank 1 is the most frequent word; add ``index_from`` to decode).

    Example:
        >>> index = load_imdb_word_index()   # doctest: +SKIP
        >>> index["the"]                     # doctest: +SKIP
        1
    """
    return _read_word_index(find_file("imdb_word_index.json", path, download=download, progress=progress),
                            "IMDB word index")


def load_reuters_word_index(path: str | os.PathLike = "reuters_word_index.json", *, download: bool = True,
                            progress: bool = True) -> dict[str, int]:
    """Reuters's word → rank dictionary (rank 1 is the most frequent word; add ``index_from`` to decode).

    Example:
        >>> index = load_reuters_word_index()   # doctest: +SKIP
        >>> index["the"]                        # doctest: +SKIP
        1
    """
    return _read_word_index(find_file("reuters_word_index.json", path, download=download, progress=progress),
                            "Reuters word index")


__all__ = ["load_boston_housing", "load_california_housing", "load_imdb", "load_reuters", "load_imdb_word_index",
           "load_reuters_word_index", "REUTERS_LABEL_NAMES", "find_file", "fetch", "read_npz"]
