"""``keras.utils``: ``to_categorical``, ``normalize``, ``set_random_seed``, ``pad_sequences``, the image tools of
Keras's image-classification tutorials: ``image_dataset_from_directory`` (a folder of images, one subfolder per
class, as a dataset of batches that ``fit`` takes), ``load_img``, ``img_to_array``, ``array_to_img`` and ``save_img``
(:mod:`fnlearn.datasets.images`; Pillow reads and writes the files), ``text_dataset_from_directory`` and
``timeseries_dataset_from_array`` (:mod:`fnlearn.datasets.sequences`), ``get_file`` (a download into Keras's cache,
verified and unpacked) and ``PyDataset`` (also ``Sequence``: batches made by Python code, for ``fit``).

Example:
    >>> from fnlearn.keras.utils import to_categorical
    >>> to_categorical([1, 0], num_classes=3).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
"""

from __future__ import annotations

import os
import sys
import tempfile
import urllib.parse
from collections import abc
from typing import Any

import numpy as np

from ..backend import set_seed as set_random_seed
from ..data import normalize, to_categorical
from ..datasets import _download
from ..datasets.audio import audio_dataset_from_directory
from ..datasets.images import array_to_img, image_dataset_from_directory, img_to_array, load_img, save_img
from ..datasets.sequences import text_dataset_from_directory, timeseries_dataset_from_array
from ..errors import ConfigError, DataError, DatasetError
from ..pipeline import PyDataset
from ..progress import Progbar
from ..steps import pack_x_y_sample_weight, unpack_x_y_sample_weight
from . import bounding_boxes
from ._missing import not_provided
from .config import disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled
from .saving import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    serialize_keras_object,
)

Sequence = PyDataset  # Keras 3 keeps its older name for the same class


def pad_sequences(sequences: abc.Sequence[Any], maxlen: int | None = None, dtype: Any = "int32", padding: str = "pre",
                  truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """Sequences of different lengths as one NumPy array ``(len(sequences), maxlen, ...)``, as Keras pads them.

    ``maxlen`` defaults to the longest sequence. Shorter sequences are filled with ``value``
    before (``padding="pre"``) or after (``"post"``) their values; longer ones lose values at
    the start (``truncating="pre"``) or the end (``"post"``). Each item may itself be an array
    (all items of the same shape), and ``dtype=object`` or a string dtype pads strings.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
        array([[1, 0],
               [2, 3],
               [4, 5]], dtype=int32)
    """
    # every argument is checked before anything is built
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ConfigError(f"{name}={given!r} is not understood; expected 'pre' or 'post'.")
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0):
        raise ConfigError(f"maxlen={maxlen!r} is not usable; expected a whole number ≥ 0 or None.")
    if not hasattr(sequences, "__len__"):
        raise DataError(f"sequences is a {type(sequences).__name__}, which has no length; pass a list of "
                        f"sequences (lists or arrays).")
    lengths = []
    sample_shape: tuple[int, ...] = ()
    found_sample = False
    for position, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise DataError(f"sequences[{position}] is {seq!r}, not a sequence; pass a list of sequences "
                            f"(lists or arrays), e.g. [[1, 2], [3]].")
        lengths.append(len(seq))
        if not found_sample and len(seq):
            # the shape of one step comes from the first non-empty sequence; the others must agree
            sample_shape = np.asarray(seq).shape[1:]
            found_sample = True
    if maxlen is None:
        if not lengths:
            raise DataError("sequences is empty and maxlen is None, so there is no length to pad to; pass at "
                            "least one sequence or a maxlen.")
        maxlen = max(lengths)
    string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not string_dtype:
        raise ConfigError(f"value={value!r} is a string but dtype={dtype!r} holds no strings; pass dtype=object "
                          f"to pad strings.")
    out = np.full((len(lengths), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for position, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = np.asarray(seq[-maxlen:] if truncating == "pre" else seq[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise DataError(f"sequences[{position}] has steps of shape {kept.shape[1:]}, but the first non-empty "
                            f"sequence's steps have shape {sample_shape}; give every step the same shape.")
        if padding == "post":
            out[position, :len(kept)] = kept
        else:
            out[position, -len(kept):] = kept
    return out


_HASH_LENGTHS = {"sha256": 64, "md5": 32}


def _checked_hash(file_hash: Any, md5_hash: Any, hash_algorithm: Any) -> tuple[str | None, str]:
    """(expected hex digest or None, algorithm) by Keras's rules, or one ConfigError sentence."""
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ConfigError(f"hash_algorithm={hash_algorithm!r} is not known; expected 'auto' (SHA-256 for a hash of 64 "
                          f"hex digits, MD5 for one of 32), 'sha256' or 'md5'.")
    name = "file_hash"
    if file_hash is None and md5_hash is not None:  # Keras's older argument, always an MD5
        file_hash, hash_algorithm, name = md5_hash, "md5", "md5_hash"
    if file_hash is None:
        return None, "sha256"
    if not isinstance(file_hash, str):
        raise ConfigError(f"{name} is a {type(file_hash).__name__}, expected the digest as a string of hex digits "
                          f"(64 for a SHA-256, 32 for an MD5), as sha256sum or md5sum print it.")
    text = file_hash.strip().lower()
    if hash_algorithm == "auto":
        hash_algorithm = "sha256" if len(text) == 64 else "md5"
    if len(text) != _HASH_LENGTHS[hash_algorithm] or any(c not in "0123456789abcdef" for c in text):
        title = {"sha256": "a SHA-256", "md5": "an MD5"}[hash_algorithm]
        raise ConfigError(f"{name}={file_hash!r} is not {title} digest; expected {_HASH_LENGTHS[hash_algorithm]} hex "
                          f"digits, as sha256sum or md5sum print them.")
    return text, hash_algorithm


def _cache_folder(cache_dir: Any, cache_subdir: Any) -> str:
    """The folder files go to: ``cache_dir`` (default ``$KERAS_HOME``, else ``~/.keras``) / ``cache_subdir``; as in
    Keras, a cache_dir that cannot be written falls back to ``<temporary folder>/.keras``."""
    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else str(_download.keras_home())
    try:
        os.makedirs(base, exist_ok=True)
        writable = os.access(base, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        base = os.path.join(tempfile.gettempdir(), ".keras")
    return os.path.join(base, os.fspath(cache_subdir))


def get_file(fname: str | os.PathLike | None = None, origin: str | None = None, untar: bool = False,
             md5_hash: str | None = None, file_hash: str | None = None, cache_subdir: str | os.PathLike = "datasets",
             hash_algorithm: str = "auto", extract: bool = False, archive_format: str | list[str] | None = "auto",
             cache_dir: str | os.PathLike | None = None, force_download: bool = False) -> str:
    """Download ``origin`` into Keras's cache unless it is there already, and return the local path (Keras 3's
    ``get_file``, with its arguments and its file layout).

    The file goes to ``cache_dir / cache_subdir / fname`` (``cache_dir`` defaults to ``$KERAS_HOME``, else
    ``~/.keras``; ``fname`` to the last part of the URL's path). A file found there is used without any
    download, unless ``force_download`` is true or it does not match ``file_hash``, when it is downloaded again.
    ``file_hash`` is checked after each download: a SHA-256 (64 hex digits) or an MD5 (32), ``hash_algorithm``
    "auto" telling them apart by length (``md5_hash`` is Keras's older name for an MD5). A download goes to a
    temporary name and is renamed only once complete and verified, so a failed or refused one leaves no file.

    ``extract=True`` (or ``untar=True``, for tar archives only) unpacks a tar (``.tar``, ``.tar.gz``, ``.tgz``,
    ``.tar.bz2``) or zip archive and returns the folder it went to, laid out as Keras 3 lays it out: without
    ``fname``, the archive is kept as ``<name>_archive`` and unpacked into ``<name>`` (``<name>`` the URL's last
    part, e.g. ``flower_photos.tgz``); with an ``fname`` that has no dot likewise; with an ``fname`` such as
    ``data.zip``, the archive is ``data.zip`` and the folder ``data_extracted``. A member whose path leaves the
    folder (an absolute path, ``..``, a link pointing out) refuses the whole archive, where Keras skips that
    member. The archive is unpacked again only when it was just downloaded or its folder is missing (Keras
    unpacks at every call); a new unpacking replaces the old folder whole.

    ``origin`` is any URL Python's ``urllib`` opens: ``https://…``, ``http://…`` or ``file:///…`` (a local file,
    ``pathlib.Path(p).as_uri()``).

    Example:
        >>> import pathlib, tempfile
        >>> source = pathlib.Path(tempfile.mkdtemp()) / "numbers.csv"
        >>> _ = source.write_text("1,2,3\\n")
        >>> path = get_file(origin=source.as_uri(), cache_dir=tempfile.mkdtemp())
        >>> pathlib.Path(path).parts[-2:], pathlib.Path(path).read_text()
        (('datasets', 'numbers.csv'), '1,2,3\\n')

    Raises:
        ConfigError: no ``origin``, an origin that is not a URL, an ``fname`` holding a folder, an unknown
            ``hash_algorithm`` or ``archive_format``, or a hash that is not a digest.
        DatasetError: the origin cannot be reached, the file downloaded does not match ``file_hash``, or the
            archive cannot be unpacked safely; nothing is left behind then.
    """
    # every argument is checked before anything is made on disk
    if origin is None or (isinstance(origin, str) and not origin.strip()):
        raise ConfigError("get_file needs origin=, the URL of the file to download; pass e.g. "
                          "origin='https://example.com/data.csv', or origin=pathlib.Path(p).as_uri() for a local file.")
    if not isinstance(origin, str):
        raise ConfigError(f"origin is a {type(origin).__name__}, expected the URL as a string; pass e.g. "
                          f"origin='https://example.com/data.csv' (a local path p as pathlib.Path(p).as_uri()).")
    if len(urllib.parse.urlsplit(origin).scheme) < 2:  # one letter is a Windows drive, not a scheme
        raise ConfigError(f"origin={origin!r} is not a URL; give one such as 'https://example.com/data.csv', or "
                          f"'file:///path/to/file' for a local file (pathlib.Path(p).as_uri()).")
    expected, algorithm = _checked_hash(file_hash, md5_hash, hash_algorithm)
    if archive_format == "auto":
        formats: list[str] = list(_download.ARCHIVE_FORMATS)
    elif archive_format is None:
        formats = []
    else:
        formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    unknown = [f for f in formats if f not in _download.ARCHIVE_FORMATS]
    if unknown:
        raise ConfigError(f"archive_format={archive_format!r} is not known; expected 'auto', 'tar', 'zip', a list "
                          f"of these, or None.")
    if untar:
        formats = ["tar"]  # Keras's older argument: a tar archive, whatever archive_format says
    if (extract or untar) and not formats:
        raise ConfigError(f"extract=True with archive_format={archive_format!r} names no archive format to "
                          f"unpack; pass archive_format='auto' (tar or zip), or extract=False.")
    for argument, value in (("cache_dir", cache_dir), ("cache_subdir", cache_subdir)):
        if not isinstance(value, (str, os.PathLike)) and (value is not None or argument == "cache_subdir"):
            raise ConfigError(f"{argument} is a {type(value).__name__}, expected a folder's path such as "
                              f"'~/.keras' (cache_dir) or 'datasets' (cache_subdir).")
    if fname is not None and not isinstance(fname, (str, os.PathLike)):
        raise ConfigError(f"fname is a {type(fname).__name__}, expected a file name such as 'data.csv' (or None for "
                          f"the last part of the URL).")
    given_name = os.fspath(fname) if fname is not None else ""
    if not given_name:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if name in ("", ".", ".."):
            raise ConfigError(f"origin={origin!r} ends in no file name; pass fname= the name to keep the file under, "
                              f"e.g. fname='data.csv'.")
    else:
        if os.sep in given_name or "/" in given_name or given_name in (".", ".."):
            raise ConfigError(f"fname={given_name!r} is a path; give a plain file name, and the folder as cache_dir= "
                              f"(and cache_subdir=), as Keras 3 asks.")
        name = given_name
    folder = _cache_folder(cache_dir, cache_subdir)
    extraction_dir = None
    if extract or untar:
        if given_name and "." in name:
            target = os.path.join(folder, name)
            extraction_dir = os.path.join(folder, f"{name[:name.find('.')]}_extracted")
        else:
            target = os.path.join(folder, f"{name}_archive")
            extraction_dir = os.path.join(folder, name)
    else:
        target = os.path.join(folder, name)

    fetch = force_download or not os.path.exists(target)
    if not fetch and expected is not None and _download.file_digest(target, algorithm) != expected:
        print(f"{target} was found, but its {_download.HASH_TITLES[algorithm]} does not match the given hash (an "
              f"incomplete or outdated copy); downloading it again.", file=sys.stderr)
        fetch = True
    if fetch:
        try:
            _download.download([origin], target, expected, algorithm=algorithm)
        except _download.DownloadFailed as exc:
            cause = exc.causes[-1] if exc.causes else None
            if isinstance(cause, _download.DigestMismatch):
                raise DatasetError(
                    f"the file downloaded from {origin} has the {_download.HASH_TITLES[algorithm]} {cause.got}, not "
                    f"the {cause.expected} given, so it was refused and nothing was kept; check the hash and the "
                    f"address.") from cause
            reason = str(cause) if cause is not None else "; ".join(exc.reasons)
            raise DatasetError(
                f"{origin} could not be downloaded ({reason}); check the address and the network connection, or "
                f"put the file at '{target}' yourself.") from cause
        except OSError as exc:  # the cache folder itself cannot be made or written
            raise DatasetError(f"'{target}' cannot be written ({exc.strerror or exc}); pass cache_dir= a folder you "
                               f"can write to.") from exc
    if extraction_dir is None:
        return target
    if fetch or not os.path.isdir(extraction_dir):
        _download.extract_archive(target, extraction_dir, formats)
    return extraction_dir


def plot_model(model: Any, to_file: str | os.PathLike = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = False, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 200, show_layer_activations: bool = False,
               show_trainable: bool = False, **kwargs: Any) -> Any:
    """Keras's ``plot_model``: the model's layers as boxes and arrows, written to ``to_file`` (PNG, SVG or PDF by
    its suffix), drawn with matplotlib (:func:`fnlearn.explain.architecture`) where Keras needs pydot and Graphviz.
    Returns an IPython ``Image`` of the file when IPython is installed (a notebook shows it), else None, as Keras.
    A model inside another is one box (``expand_nested=True`` is refused); ``splines`` changes nothing.

    >>> from fnlearn import keras
    >>> x = keras.Input(shape=(4,)); model = keras.Model(x, keras.layers.Dense(1)(x))
    >>> import tempfile, os; path = os.path.join(tempfile.mkdtemp(), "model.png")
    >>> _ = plot_model(model, path, show_shapes=True); os.path.getsize(path) > 0
    True
    """
    from ..explain.architecture import architecture

    kwargs.pop("splines", None)
    if kwargs:
        raise ConfigError(f"plot_model got {', '.join(kwargs)}, which it does not take; see "
                          "help(keras.utils.plot_model).")
    if expand_nested:
        raise ConfigError("plot_model draws a model inside another as one box; expand_nested=True is not there: draw "
                          "the inner model with its own plot_model call.")
    architecture(model, to_file, show_shapes=show_shapes, show_layer_names=show_layer_names, show_dtype=show_dtype,
                 show_layer_activations=show_layer_activations, show_trainable=show_trainable, rankdir=rankdir,
                 dpi=dpi)
    if os.path.splitext(str(to_file))[1].lower() == ".pdf":
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    return display.Image(filename=str(to_file))


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Keras's ``utils.register_keras_serializable``: ``keras.saving.register_keras_serializable``."""
    from .saving import register_keras_serializable as register

    return register(package, name)


def split_dataset(dataset: Any, left_size: int | float | None = None, right_size: int | float | None = None,
                  shuffle: bool = False, seed: int | None = None) -> tuple[Any, Any]:
    """Split an array, or a tuple/list of arrays of one length, in two along the first axis (Keras's
    ``utils.split_dataset``, with its rules: an int is a count, a float a fraction rounded to a count, the side not
    given takes the rest, neither side may end empty). Returns two arrays or two tuples of arrays, not tf.data
    datasets. ``shuffle=True`` draws the order from ``seed`` as Keras does (``np.random.seed(seed)``'s shuffle).

    >>> import numpy as np
    >>> left, right = split_dataset(np.arange(10), left_size=0.75)
    >>> left.tolist(), right.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    import random

    parts = list(dataset) if isinstance(dataset, (tuple, list)) else [dataset]
    arrays = [np.asarray(a) for a in parts]
    if not arrays or any(a.ndim == 0 for a in arrays) or len({len(a) for a in arrays}) != 1:
        raise ConfigError(f"split_dataset takes an array or a tuple of arrays of one length, got "
                          f"{[getattr(a, 'shape', None) for a in arrays]}; give e.g. split_dataset((x, y), 0.8).")
    total = len(arrays[0])
    left, right = _split_sizes(left_size, right_size, total)
    order = np.arange(total)
    if shuffle:
        # Keras seeds NumPy's global generator and shuffles the samples; its own RandomState gives that order
        # without changing the global one
        order = np.random.RandomState(random.randint(0, int(1e6)) if seed is None else seed).permutation(total)
    pieces = [(a[order[:left]], a[order[left:left + right]]) for a in arrays]
    if not isinstance(dataset, (tuple, list)):
        return pieces[0]
    return tuple(p[0] for p in pieces), tuple(p[1] for p in pieces)


def _split_sizes(left_size: Any, right_size: Any, total: int) -> tuple[int, int]:
    """Keras's ``_rescale_dataset_split_sizes``: the two sides' counts, every size checked first."""
    for side, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            continue
        if type(size) not in (int, float):
            raise ConfigError(f"split_dataset got {side}={size!r}; give a count (int) or a fraction (float), or None.")
        if (type(size) is int and not 0 < size < total) or (type(size) is float and not 0 < size < 1):
            raise ConfigError(f"split_dataset got {side}={size!r}; give a count between 1 and {total - 1} or a "
                              f"fraction strictly between 0 and 1 for a dataset of {total}.")
    if left_size is None and right_size is None:
        raise ConfigError("split_dataset got neither left_size nor right_size; give at least one, e.g. left_size=0.8.")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ConfigError(f"split_dataset got left_size={left_size} and right_size={right_size}, which add up to more "
                          "than 1; give fractions whose sum is at most 1.")
    left = None if left_size is None else round(left_size * total) if type(left_size) is float else left_size
    right = None if right_size is None else round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or not left or not right:
        raise ConfigError(f"split_dataset's sizes give {left} and {right} samples of {total}; each side needs at "
                          "least one and together at most all of them, so change left_size or right_size.")
    return int(left), int(right)


def standardize_dtype(dtype: Any) -> str:
    """A dtype's Keras name (``"float32"``, ``"int64"``, ``"bool"``); None is ``keras.config.floatx()``.

    >>> import numpy as np
    >>> standardize_dtype(np.float64), standardize_dtype("int"), standardize_dtype(None)
    ('float64', 'int64', 'float32')
    """
    from .. import backend

    if dtype is None:
        return backend.get_default_dtype()
    if dtype == "int":
        return "int64"
    if dtype == "float":
        return "float32"
    if dtype == "bfloat16" or getattr(dtype, "name", None) == "bfloat16":  # Keras's name; NumPy has no such type
        return "bfloat16"
    try:
        return np.dtype(getattr(dtype, "name", dtype) if not isinstance(dtype, (str, type)) else dtype).name
    except TypeError:
        raise ConfigError(f"standardize_dtype got {dtype!r}, which is no dtype; give e.g. 'float32', 'int32' or "
                          "np.float64.") from None


def clear_session() -> None:
    """Keras's ``utils.clear_session``: ``keras.backend.clear_session``."""
    from .backend import clear_session as clear

    clear()


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a placeholder of Keras's functional API: a ``keras.Input`` or what a layer called on one
    returns (no values, a shape).

    >>> from fnlearn import keras
    >>> x = keras.Input((3,))
    >>> is_keras_tensor(x), is_keras_tensor(keras.layers.Dense(2)(x)), is_keras_tensor([1.0])
    (True, True, False)
    """
    from .layers import _Placeholder

    return isinstance(x, _Placeholder)


def get_source_inputs(tensor: Any) -> list[Any]:
    """The ``keras.Input`` placeholders ``tensor`` is computed from, each once, in the order its layers read them.

    >>> from fnlearn import keras
    >>> a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    >>> out = keras.layers.Dense(1)(keras.layers.concatenate([b, a]))
    >>> [x.name for x in get_source_inputs(out)]
    ['b', 'a']
    """
    from .layers import InputLayer, SymbolicTensor

    if not is_keras_tensor(tensor):
        raise ConfigError(f"get_source_inputs takes a placeholder of the functional API (keras.Input or a layer's "
                          f"output on one), got {type(tensor).__name__}; pass model.outputs[0] or a layer's output.")
    found: list[Any] = []

    def visit(node: Any) -> None:
        if isinstance(node, InputLayer):
            if not any(node is seen for seen in found):
                found.append(node)
        elif isinstance(node, SymbolicTensor):
            for parent in node.parents:
                visit(parent)

    visit(tensor)
    return found


class Config:
    """Keras's ``utils.Config``: settings as attributes or items (``config.lr``, ``config["lr"]``), which
    ``freeze()`` makes read-only until ``unfreeze()``; ``as_dict()``, ``to_json()`` and the dict methods.

    >>> config = Config(learning_rate=0.1, epochs=3)
    >>> config.batch_size = 32; config.freeze()
    >>> config.learning_rate, sorted(config), config.frozen
    (0.1, ['batch_size', 'epochs', 'learning_rate'], True)
    """

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        object.__setattr__(self, "_frozen", False)

    def _writable(self, what: str) -> None:
        if self._frozen:
            raise ConfigError(f"this Config is frozen, so {what} cannot change it; call config.unfreeze() first.")

    def as_dict(self) -> dict[str, Any]:
        return dict(self._config)

    def to_json(self) -> str:
        import json

        return json.dumps(self._config)

    def keys(self) -> Any:
        return self._config.keys()

    def values(self) -> Any:
        return self._config.values()

    def items(self) -> Any:
        return self._config.items()

    def get(self, key: str, value: Any = None) -> Any:
        return self._config.get(key, value)

    def pop(self, *args: Any) -> Any:
        self._writable("pop")
        return self._config.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._writable("update")
        self._config.update(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        config = self.__dict__.get("_config", {})
        if name in config:
            return config[name]
        import difflib

        close = difflib.get_close_matches(name, list(config), n=1, cutoff=0.7)
        raise AttributeError(f"this Config has no setting {name!r}{f' (did you mean {close[0]!r}?)' if close else ''}; "
                             f"it has {sorted(config)}.")

    def __setattr__(self, name: str, value: Any) -> None:
        self._writable(f"setting {name!r}")
        self._config[name] = value

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._writable(f"setting {key!r}")
        self._config[key] = value

    def __delitem__(self, key: str) -> None:
        self._writable(f"deleting {key!r}")
        del self._config[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._config

    def __iter__(self) -> Any:
        return iter(sorted(self._config))

    def __len__(self) -> int:
        return len(self._config)

    def __repr__(self) -> str:
        return f"<Config {self._config}>"


__all__ = ["register_keras_serializable", "clear_session", "to_categorical", "normalize", "set_random_seed",
           "Progbar", "split_dataset", "standardize_dtype", "get_custom_objects", "custom_object_scope",
           "CustomObjectScope", "get_registered_name", "get_registered_object", "serialize_keras_object",
           "deserialize_keras_object", "enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled",
           "pad_sequences", "image_dataset_from_directory",
           "load_img", "img_to_array", "array_to_img", "save_img", "get_file", "PyDataset", "Sequence",
           "text_dataset_from_directory", "audio_dataset_from_directory", "timeseries_dataset_from_array",
           "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight", "plot_model", "is_keras_tensor", "get_source_inputs", "Config", "bounding_boxes"]

__getattr__ = not_provided(__name__, __all__)
