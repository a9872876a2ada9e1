"""MNIST, Fashion-MNIST and KMNIST from their IDX files, found locally or downloaded once.

The three data sets share one file layout: four IDX files with the same names,
``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
``t10k-labels-idx1-ubyte``, each either gzip-compressed (``.gz``) or unpacked. The loader
looks for them, in this order:

1. ``path`` when given: that folder, then its ``<kind>/`` subfolder (nothing else is tried:
   a folder the user named that lacks the files is an error);
2. ``$FNLEARN_DATA/<kind>/``, then ``$FNLEARN_DATA`` itself;
3. the user cache ``$XDG_CACHE_HOME/fnlearn/<kind>/`` (default ``~/.cache/fnlearn/<kind>/``);
4. Keras's cache ``~/.keras/datasets`` (``$KERAS_HOME/datasets``): ``fashion-mnist/`` holds the same IDX
   files, and MNIST is read from Keras's ``mnist.npz``;
5. a download from the canonical mirrors into fnlearn's cache, each file checked against its
   published SHA-256 digest and written atomically.

Example:
    >>> from fnlearn.datasets import load_mnist
    >>> (x_train, y_train), (x_test, y_test) = load_mnist()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_train.shape            # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (60000,))
"""

from __future__ import annotations

import gzip
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fnlearn import errors
from fnlearn.datasets import _download

FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
ENV_VAR = _download.ENV_VAR

# IDX type codes (third byte of the magic number); the data are big-endian.
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class _Source:
    title: str
    mirrors: tuple[str, ...]
    sha256: dict[str, str]  # by compressed file name
    sizes: dict[str, int]   # bytes, for the progress bar when a server sends no length


# Published digests of the gzip files; several independent projects (torchvision, TFDS)
# pin the same values.
_SOURCES: dict[str, _Source] = {
    "mnist": _Source(
        "MNIST",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        {
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
        {"train-images-idx3-ubyte.gz": 9912422, "train-labels-idx1-ubyte.gz": 28881,
         "t10k-images-idx3-ubyte.gz": 1648877, "t10k-labels-idx1-ubyte.gz": 4542},
    ),
    "fashion_mnist": _Source(
        "Fashion-MNIST",
        ("https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
         "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
        {
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
        {"train-images-idx3-ubyte.gz": 26421880, "train-labels-idx1-ubyte.gz": 29515,
         "t10k-images-idx3-ubyte.gz": 4422102, "t10k-labels-idx1-ubyte.gz": 5148},
    ),
    "kmnist": _Source(
        "KMNIST",
        ("https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
         "http://codh.rois.ac.jp/kmnist/dataset/kmnist/"),
        {
            "train-images-idx3-ubyte.gz": "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
            "train-labels-idx1-ubyte.gz": "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
            "t10k-images-idx3-ubyte.gz": "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
            "t10k-labels-idx1-ubyte.gz": "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
        },
        {"train-images-idx3-ubyte.gz": 18165135, "train-labels-idx1-ubyte.gz": 29497,
         "t10k-images-idx3-ubyte.gz": 3041136, "t10k-labels-idx1-ubyte.gz": 5120},
    ),
}
KINDS = tuple(_SOURCES)


# --------------------------------------------------------------------------- IDX files


def _read_content(path: Path) -> bytes:
    """The file's bytes, decompressed when it starts with the gzip magic (whatever its name)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise errors.DatasetError(f"IDX file '{path}' cannot be read ({exc.strerror or exc}); "
                                  f"check that it exists and is readable.") from exc
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise errors.DatasetError(
                f"IDX file '{path}' is a damaged gzip file ({exc}); delete it and download it again."
            ) from exc
    return data


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzip or raw, told apart by its first bytes) into a native-order array.

    The header is checked in full: two zero bytes, a known type code, at least one
    dimension, and a data length that matches the declared shape exactly. Any mismatch
    raises ``DatasetError`` naming the file.

    Example:
        >>> import numpy as np, tempfile, os
        >>> f = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
        >>> _ = open(f, "wb").write(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
        >>> read_idx(f)
        array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    data = _read_content(path)
    if len(data) < 4:
        raise errors.DatasetError(
            f"IDX file '{path}' holds {len(data)} bytes, fewer than the 4-byte IDX magic number; "
            f"it is empty or truncated, so replace it.")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0:
        raise errors.DatasetError(
            f"IDX file '{path}' starts with 0x{data[:4].hex()}, not an IDX magic number "
            f"(00 00, type code, dimensions, such as 0x00000803 for images); replace the file.")
    if code not in _IDX_DTYPES:
        raise errors.DatasetError(
            f"IDX file '{path}' declares type code 0x{code:02x}, which IDX does not define "
            f"(expected one of {', '.join(f'0x{c:02x}' for c in _IDX_DTYPES)}); the header is corrupted.")
    if ndim == 0:
        raise errors.DatasetError(
            f"IDX file '{path}' declares 0 dimensions, expected at least 1; the header is corrupted.")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise errors.DatasetError(
            f"IDX file '{path}' declares {ndim} dimensions, which need a {header_len}-byte header, "
            f"but it holds only {len(data)} bytes; the file is truncated.")
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = _IDX_DTYPES[code]
    expected = header_len + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "longer than its header says"
        raise errors.DatasetError(
            f"IDX file '{path}' declares shape {tuple(shape)} of {dtype.name}, which needs {expected} bytes, "
            f"but it holds {len(data)} bytes (after decompression); the file is {what}, so replace it.")
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    # astype copies: the result owns writable memory in the machine's byte order.
    return array.astype(dtype.newbyteorder("="))


# --------------------------------------------------------------------------- finding files


def _file_in(folder: Path, name: str) -> Path | None:
    """One of the four files in ``folder``: ``name.gz``, ``name``, or ``name`` with ``.idx``."""
    # "train-images.idx3-ubyte" is how some unpackers (and many copies online) spell it.
    for candidate in (f"{name}.gz", name, name.replace("-idx", ".idx")):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def _find_in(folder: Path) -> dict[str, Path] | None:
    """Paths of the four files in ``folder`` (``.gz`` preferred), or None if any is missing."""
    found = {name: _file_in(folder, name) for name in FILES}
    return None if None in found.values() else found


def _listing(names) -> str:
    return ", ".join(f"{n}.gz" for n in names)


def _locate(kind: str, path: str | os.PathLike | None) -> dict[str, Path] | None:
    """Files from ``path`` (strictly), else ``$FNLEARN_DATA``, else the cache; None when not local."""
    title = _SOURCES[kind].title
    if path is not None:
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise errors.DatasetError(
                f"path '{folder}' is not a folder; pass the folder that holds the four {title} IDX files "
                f"({_listing(FILES)}).")
        for candidate in (folder, folder / kind):
            if (found := _find_in(candidate)) is not None:
                return found
        missing = [n for n in FILES if _file_in(folder, n) is None]
        which = f"none of the {title} files" if len(missing) == len(FILES) else \
            f"only some of the {title} files (missing: {_listing(missing)})"
        raise errors.DatasetError(
            f"path '{folder}' holds {which}; put the four "
            f"files {_listing(FILES)} (gzip or unpacked) in '{folder}' or '{folder / kind}', or leave path "
            f"out to use ${ENV_VAR}, the cache and the download.")
    for candidate in _download.local_folders(kind):
        if candidate.is_dir() and (found := _find_in(candidate)) is not None:
            return found
    return None


def _download_missing(kind: str, progress: bool) -> dict[str, Path]:
    source = _SOURCES[kind]
    folder = _download.cache_dir(kind)
    failure = None
    for name in FILES:
        if _file_in(folder, name) is not None:
            continue
        gz = f"{name}.gz"
        try:
            _download.download([m + gz for m in source.mirrors], folder / gz, source.sha256[gz],
                               size=source.sizes.get(gz), progress=progress)
        except _download.DownloadFailed as exc:
            failure = str(exc)
        except OSError as exc:  # the cache folder itself cannot be created or written
            failure = f"{gz}: {exc}"
        if failure:
            break  # without a network every other file would fail the same way, slowly
    found = _find_in(folder)
    if found is None:
        raise errors.DatasetError(
            f"{source.title} is not on this computer and could not be downloaded ({failure}); "
            f"put the four files {_listing(FILES)} (gzip or unpacked) in '{folder}', "
            f"or in a folder named by ${ENV_VAR} (or its '{kind}/' subfolder), or pass path= a folder "
            f"that holds them.")
    return found


# --------------------------------------------------------------------------- public loaders


def _check_pair(images: np.ndarray, labels: np.ndarray, img_path: Path, lbl_path: Path,
                what: str = "IDX file") -> None:
    if images.ndim != 3 or images.dtype != np.uint8:
        raise errors.DatasetError(
            f"{what} '{img_path}' holds a {images.ndim}-d {images.dtype} array, expected 3-d uint8 images "
            f"(count, rows, columns); it is not an images file.")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise errors.DatasetError(
            f"{what} '{lbl_path}' holds a {labels.ndim}-d {labels.dtype} array, expected 1-d uint8 labels; "
            f"it is not a labels file.")
    if len(images) != len(labels):
        raise errors.DatasetError(
            f"{what}s '{img_path}' and '{lbl_path}' hold {len(images)} images but {len(labels)} labels; "
            f"they do not belong together, so replace them.")
    if labels.size and labels.max() > 9:
        raise errors.DatasetError(
            f"{what} '{lbl_path}' holds label {int(labels.max())}, expected digits 0 to 9; "
            f"it is not a labels file of this data set.")


def load_mnist(
    path: str | os.PathLike | None = None,
    kind: str = "mnist",
    *,
    download: bool = True,
    progress: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load an MNIST-format data set as ``(x_train, y_train), (x_test, y_test)``, like Keras.

    Images are ``uint8`` arrays of shape ``(N, 28, 28)`` and labels ``uint8`` arrays of
    shape ``(N,)``; 60 000 training and 10 000 test examples for all three kinds.

    Args:
        path: a folder that holds the four IDX files (or a ``<kind>/`` subfolder that does).
            When given, only that folder is used.
        kind: ``"mnist"``, ``"fashion_mnist"`` or ``"kmnist"``.
        download: when the files are nowhere on this computer, fetch them into the user
            cache (``False`` raises ``DatasetError`` instead).
        progress: show a download progress bar on stderr.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist()   # doctest: +SKIP
        >>> x_train.shape, y_test[:5]                              # doctest: +SKIP
        ((60000, 28, 28), array([7, 2, 1, 0, 4], dtype=uint8))
    """
    if kind not in _SOURCES:
        raise errors.unknown_name("data set kind", kind, KINDS)
    found = _locate(kind, path)
    keras_file = _download.keras_cache() / "mnist.npz"
    if found is None and path is None and kind == "mnist" and keras_file.is_file():
        return _read_keras_npz(keras_file)
    if found is None:
        if not download:
            source = _SOURCES[kind]
            raise errors.DatasetError(
                f"{source.title} is not on this computer and download=False; put the four files "
                f"{_listing(FILES)} (gzip or unpacked) in '{_download.cache_dir(kind)}', "
                f"or in a folder named by ${ENV_VAR} (or its '{kind}/' subfolder), or pass path= a folder "
                f"that holds them.")
        found = _download_missing(kind, progress)
    arrays = {name: read_idx(p) for name, p in found.items()}
    split = []
    for prefix in ("train", "t10k"):
        img, lbl = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        _check_pair(arrays[img], arrays[lbl], found[img], found[lbl])
        split.append((arrays[img], arrays[lbl]))
    return split[0], split[1]


def _read_keras_npz(path: Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST from the ``mnist.npz`` Keras keeps in its cache (arrays only: nothing in it is unpickled)."""
    names = ("x_train", "y_train", "x_test", "y_test")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in names}
    except (OSError, ValueError, KeyError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        raise errors.DatasetError(f"Keras's MNIST file '{path}' cannot be read ({type(exc).__name__}: {exc}); "
                                  "delete it so that Keras or fnlearn downloads it again.") from None
    for images, labels in (("x_train", "y_train"), ("x_test", "y_test")):
        _check_pair(arrays[images], arrays[labels], path, path, "Keras's MNIST file")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_fashion_mnist(path: str | os.PathLike | None = None, *, download: bool = True,
                       progress: bool = True):
    """Fashion-MNIST (Zalando's clothing images) through :func:`load_mnist`.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()   # doctest: +SKIP
    """
    return load_mnist(path, "fashion_mnist", download=download, progress=progress)


def load_kmnist(path: str | os.PathLike | None = None, *, download: bool = True, progress: bool = True):
    """KMNIST (Kuzushiji-MNIST, cursive Japanese characters) through :func:`load_mnist`.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_kmnist()   # doctest: +SKIP
    """
    return load_mnist(path, "kmnist", download=download, progress=progress)
