"""Getting data ready for a model: conversion, batches, shuffling, splits, one-hot, scaling.

``fit``, ``evaluate`` and ``predict`` accept NumPy arrays, nested lists, pandas ``DataFrame`` /
``Series`` (anything with ``.to_numpy()``; pandas itself is never imported) and fnlearn tensors;
this module turns each into one backend array, once, and says in one sentence what is wrong when
it cannot.

Shuffles and splits draw from fnlearn's generator, so ``fl.set_seed`` makes them repeatable.
Unlike Keras, :func:`split_validation` (what ``fit(validation_split=...)`` uses) shuffles the rows
before it splits: Keras holds out the *last* rows unshuffled, which silently validates on one
class when the data is sorted by label.

The helpers that prepare data (``to_categorical``, ``normalize``, ``Standardizer``,
``MinMaxScaler``, ``train_test_split``) work on the host and return NumPy arrays, as their Keras and
scikit-learn namesakes do.

:class:`Dataset` (:mod:`fnlearn.pipeline`, tf.data's ``Dataset``) gives data batch by batch instead: a folder
of images (``keras.utils.image_dataset_from_directory``) or ``Dataset.from_tensor_slices((x, y)).batch(32)``,
which ``fit``, ``evaluate`` and ``predict`` read one batch at a time.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.data.to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    >>> fl.set_seed(0)
    >>> train, val = fl.data.split_validation(10, 0.2)
    >>> len(train), len(val)
    (8, 2)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import backend
from .errors import ConfigError, DataError, ShapeError, did_you_mean
from .pipeline import Dataset
from .tensor import Tensor, as_array

# ----------------------------------------------------------------------------- conversion


def _host_array(data: Any, name: str) -> Any:
    """``data`` as a NumPy array (or a device array it already is), with table-aware error messages."""
    if isinstance(data, Tensor):
        return data.data
    if backend.is_array(data) and not isinstance(data, np.ndarray):
        return data
    to_numpy = getattr(data, "to_numpy", None)
    if callable(to_numpy) and not isinstance(data, np.ndarray):
        _reject_text_columns(data, name)
        arr = np.asarray(to_numpy())
        if arr.dtype == object:
            # nullable integer/float columns with missing values: NaN, which check_finite then locates
            try:
                arr = np.asarray(to_numpy(dtype="float64", na_value=np.nan))
            except (TypeError, ValueError):
                pass
        return arr
    if isinstance(data, (list, tuple)):
        if len(data) == 1 and getattr(data[0], "ndim", 0) >= 1:
            return _host_array(data[0], name)  # Keras's [x] (or [y]) for one input (or output): the array inside
        try:
            return np.asarray(data)
        except ValueError:
            raise DataError(f"{name} is a nested list whose rows have different lengths; give every row the "
                            "same number of values.") from None
    return data


def _reject_text_columns(table: Any, name: str) -> None:
    """Name the first non-numeric column of a DataFrame/Series before NumPy turns it into objects."""
    dtypes = getattr(table, "dtypes", None)
    if dtypes is None:
        return
    items = dtypes.items() if hasattr(dtypes, "items") else [(getattr(table, "name", None), dtypes)]
    for column, dtype in items:
        if getattr(dtype, "kind", "O") not in "biuf":
            label = f"column {column!r}" if column is not None else "the series"
            raise DataError(f"{name} {label} has dtype {dtype}, but fnlearn needs numbers; encode it as numbers "
                            "(class labels: pandas.factorize; input columns: pandas.get_dummies) or drop it "
                            "before training.")


def to_array(data: Any, name: str = "x", dtype: Any = None) -> Any:
    """Any supported input as one backend array.

    ``dtype=None`` keeps the data's own kind (integer labels stay integer, float32/float64 stay); give a
    dtype to cast. Strings, objects, ragged lists and complex numbers raise :class:`DataError`.

    >>> import numpy as np
    >>> to_array([[1, 2], [3, 4]], dtype="float32").dtype
    dtype('float32')
    >>> to_array(np.array([0, 1, 2])).dtype.kind
    'i'
    """
    if data is None:
        raise DataError(f"{name} is None; pass an array, a nested list, a DataFrame or a tensor.")
    arr = as_array(_host_array(data, name), None, name=name)
    if arr.ndim == 0:
        raise DataError(f"{name} is a single number, but a data set needs one row per sample; pass a list or "
                        "an array of samples.")
    if arr.shape[0] == 0:
        raise DataError(f"{name} has no rows (shape {tuple(arr.shape)}); pass at least one sample.")
    if dtype is not None and arr.dtype != np.dtype(dtype):
        arr = arr.astype(dtype)
    return arr


def as_texts(x: Any, name: str = "x", sample_shape: Any = None) -> np.ndarray:
    """Raw texts as a host array of ``str`` with a batch axis, for a model that starts at
    ``keras.Input(dtype="string")``: a list, an array (of str or bytes) or a pandas Series; one text per sample,
    shaped (n, 1) when the Input's samples are (1,), as Keras's are. Strings never go to a GPU: the model's first
    layer turns them into numbers.

    >>> as_texts(["a good film", "dull"], sample_shape=(1,)).shape
    (2, 1)
    """
    values = x.to_numpy() if hasattr(x, "to_numpy") and not isinstance(x, np.ndarray) else x
    texts = np.array(values.view(np.ndarray) if isinstance(values, np.ndarray) else values, dtype=object)
    if texts.ndim == 0:
        raise DataError(f"{name} is a single text, but a data set needs one text per sample; pass a list of texts.")
    if texts.shape[0] == 0:
        raise DataError(f"{name} has no texts (shape {tuple(texts.shape)}); pass at least one.")
    stray = next(((i, t) for i, t in enumerate(texts.flat) if not isinstance(t, (str, bytes))), None)
    if stray is not None:
        raise DataError(f"{name} holds {type(stray[1]).__name__} {stray[1]!r} at position {stray[0]}, but the model "
                        "starts at keras.Input(dtype='string') and takes texts; give strings (or start the model at "
                        "an Input of numbers).")
    if sample_shape is not None and tuple(sample_shape) == (1,) and texts.ndim == 1:
        texts = texts.reshape(-1, 1)
    return texts


def as_features(x: Any, dtype: Any, name: str = "x", sample_shape: Any = None) -> Any:
    """Inputs as a float backend array of ``dtype`` with a batch axis: one 1-D array becomes one column.

    With the model's ``sample_shape``, a last axis of size 1 is added or dropped where only that differs, as
    Keras 3 adjusts an input's rank: grayscale images (n, 28, 28) for a model of (28, 28, 1), a column
    (n, 3, 1) for (3,).

    >>> as_features([1.0, 2.0, 3.0], "float32").shape
    (3, 1)
    >>> import numpy as np
    >>> as_features(np.zeros((5, 28, 28)), "float32", sample_shape=(28, 28, 1)).shape
    (5, 28, 28, 1)
    """
    arr = to_array(x, name)
    if arr.dtype.kind == "b":
        arr = arr.astype(dtype)
    if arr.dtype != np.dtype(dtype):
        with np.errstate(over="ignore"):  # a value beyond the dtype's range is named by the data check
            arr = arr.astype(dtype, copy=False)
    arr = arr.reshape(-1, 1) if arr.ndim == 1 else arr
    if isinstance(sample_shape, tuple) and sample_shape and all(isinstance(n, int) for n in sample_shape):
        given = tuple(arr.shape[1:])
        if sample_shape[-1] == 1 and given == sample_shape[:-1]:
            return arr.reshape(*arr.shape, 1)
        if given[-1:] == (1,) and given[:-1] == sample_shape:
            return arr.reshape(arr.shape[:-1])
    return arr


def shape_fits(declared: Any, given: Any) -> bool:
    """Whether samples of shape ``given`` are what a model declared for, ``declared``, where an unknown size
    (None) takes any size, as a sequence's steps in ``Input(shape=(None,))``.

    >>> shape_fits((None, 8), (20, 8)), shape_fits((None, 8), (20, 9)), shape_fits((4,), (4,))
    (True, False, True)
    """
    declared, given = tuple(declared), tuple(given)
    return len(declared) == len(given) and all(d is None or d == g for d, g in zip(declared, given))


def check_same_rows(x: Any, y: Any, x_name: str = "x", y_name: str = "y", each: str = "target") -> None:
    """Raise ShapeError when two arrays do not have one row per sample each (``y`` holding a sample's ``each``)."""
    if x.shape[0] != y.shape[0]:
        one_sample = y.shape[0] == 1 and x.ndim == 2 and x.shape[1] == 1
        hint = (f" ({x_name} looks like one sample given as a 1-D array, which reads as a column of "
                f"{x.shape[0]} rows: pass {x_name}.reshape(1, -1))") if one_sample else ""
        raise ShapeError(f"{x_name} has {x.shape[0]} rows but {y_name} has {y.shape[0]}{hint}; give one {each} per "
                         "sample (the same number of rows).")


# ----------------------------------------------------------------------------- batches and shuffles


def _paired_arrays(arrays: tuple[Any, ...], none_given: str) -> list[Any]:
    """The arrays converted, checked to have one row per sample each (``none_given``: the error for none)."""
    if not arrays:
        raise ConfigError(none_given)
    converted = [to_array(a, f"array {i}") for i, a in enumerate(arrays)]
    for i, a in enumerate(converted[1:], start=1):
        check_same_rows(converted[0], a, "array 0", f"array {i}")
    return converted


def check_flag(value: Any, name: str) -> bool:
    """``value`` when it is True or False, else ConfigError."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{name} must be True or False, got {value!r}.")
    return bool(value)


def check_batch_size(batch_size: Any, name: str = "batch_size") -> int:
    """``batch_size`` as a positive int, else ConfigError (None means Keras's default, 32)."""
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {batch_size!r}; use e.g. batch_size=32.")
    return int(batch_size)


def batch_slices(n: int, batch_size: int) -> Iterator[slice]:
    """Consecutive slices covering ``range(n)``; the last one may be shorter.

    >>> [(s.start, s.stop) for s in batch_slices(5, 2)]
    [(0, 2), (2, 4), (4, 5)]
    """
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


def batches(*arrays: Any, batch_size: int = 32, shuffle: bool = True) -> Iterator[tuple[Any, ...]]:
    """One epoch of mini-batches for a loop written by hand: a tuple of each array's rows per batch, in a new
    random order each call when ``shuffle`` (seeded by ``fl.set_seed``); the last batch may be smaller.
    The arrays are converted and checked once (same number of rows), as ``fit`` does.

    >>> import fnlearn as fl, numpy as np
    >>> x, y = np.arange(10.0).reshape(5, 2), np.arange(5)
    >>> [(len(xb), yb.tolist()) for xb, yb in fl.data.batches(x, y, batch_size=2, shuffle=False)]
    [(2, [0, 1]), (2, [2, 3]), (1, [4])]
    """
    size = check_batch_size(batch_size)
    check_flag(shuffle, "shuffle")
    data = _paired_arrays(arrays, "batches needs at least one array, e.g. fl.data.batches(x, y, batch_size=32).")
    order = permutation(data[0].shape[0]) if shuffle else None
    return _batches(data, size, order)  # checked above, at the call; the batches come as the loop asks


def _batches(data: list[Any], size: int, order: Any) -> Iterator[tuple[Any, ...]]:
    for rows in batch_slices(data[0].shape[0], size):
        yield tuple(a[rows] if order is None else take_rows(a, order[rows]) for a in data)


def permutation(n: int, rng: np.random.Generator | None = None) -> Any:
    """A seeded random order of ``range(n)`` (a host NumPy array), from ``rng`` or fnlearn's generator.

    ``rng.permutation(n)``, kept in int32 below 2³¹ rows (half the bytes of int64 for the epoch ``fit``
    keeps it). Drawn in int64 and then narrowed: NumPy shuffles 8-byte integers 1.7 times faster than
    4-byte ones (60,000 rows: 0.62 against 1.09 ms), and the narrowing costs far less than that.

    >>> import numpy as np
    >>> order = permutation(5, np.random.default_rng(0))
    >>> order.dtype, sorted(order.tolist()) == list(range(5))
    (dtype('int32'), True)
    """
    order = (backend.rng() if rng is None else rng).permutation(n)
    return order.astype(np.int32) if n < 2**31 else order


def device_index(index: Any, like: Any) -> Any:
    """A host index array moved to the backend of ``like`` (a no-op for NumPy arrays)."""
    return index if isinstance(like, np.ndarray) else backend.to_device(index)


def take_rows(arr: Any, index: Any) -> Any:
    """``arr[index]`` for a host index array, on arr's backend."""
    return arr[device_index(index, arr)]


def check_fraction(value: Any, name: str) -> float:
    """A number in [0, 1), else ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or \
            not 0.0 <= float(value) < 1.0:
        raise ConfigError(f"{name} must be a number in [0, 1), got {value!r}; e.g. {name}=0.2 holds out 20% of "
                          "the rows.")
    return float(value)


def validation_rows(n: int, fraction: float, what: str = "validation_split") -> int:
    """How many of ``n`` rows a split of ``fraction`` holds out: Keras's count, n − ⌊n·(1 − fraction)⌋
    (at least one row for any fraction above 0). ``what`` names the argument in the error.

    >>> validation_rows(10, 0.25), validation_rows(1000, 0.1)
    (3, 100)
    """
    fraction = check_fraction(fraction, what)
    n_val = n - math.floor(n * (1.0 - fraction)) if fraction > 0 else 0
    if n_val >= n:
        other = ", or pass validation_data=(x_val, y_val)" if what == "validation_split" else ""
        raise ConfigError(f"{what}={fraction} of {n} rows leaves no training rows; use a smaller fraction "
                          f"or more rows{other}.")
    return n_val


def split_validation(n: int, fraction: float, shuffle: bool = True, rng: np.random.Generator | None = None,
                     what: str = "validation_split") -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, validation), holding out :func:`validation_rows` rows chosen at random.

    Keras holds out the last rows; fnlearn shuffles first (seeded by ``fl.set_seed``) so sorted data
    does not validate on a single class. ``shuffle=False`` gives Keras's last-rows split. Each index
    array is sorted, so the rows keep their original order within each part.

    >>> import fnlearn as fl
    >>> fl.set_seed(1); train, val = split_validation(6, 0.5); sorted(train.tolist() + val.tolist())
    [0, 1, 2, 3, 4, 5]
    """
    n_val = validation_rows(n, fraction, what)
    order = permutation(n, rng) if shuffle else np.arange(n)
    return np.sort(order[: n - n_val]), np.sort(order[n - n_val:])


def train_test_split(*arrays: Any, test_size: float = 0.2, shuffle: bool = True,
                     random_state: int | None = None, **unknown: Any) -> list[np.ndarray]:
    """Split arrays (same number of rows) into train and test parts: ``x_tr, x_te, y_tr, y_te``.

    The NumPy-only counterpart of scikit-learn's function; the order is seeded by ``fl.set_seed``, or by
    ``random_state`` (an integer: the same split every call, as in scikit-learn).

    >>> import numpy as np, fnlearn as fl
    >>> fl.set_seed(0)
    >>> x_tr, x_te, y_tr, y_te = train_test_split(np.arange(10).reshape(5, 2), np.arange(5), test_size=0.4)
    >>> x_tr.shape, x_te.shape
    ((3, 2), (2, 2))
    """
    if unknown:
        name = next(iter(unknown))
        also = " (fnlearn's split is not stratified; give test_size)" if name in ("stratify", "train_size") else ""
        raise ConfigError(f"train_test_split got the argument {name}, which it does not take{also}; "
                          f"{did_you_mean(name, ['test_size', 'shuffle', 'random_state'])}it takes test_size, "
                          "shuffle and random_state.")
    rng = None if random_state is None else np.random.default_rng(backend.check_seed(
        random_state, "train_test_split random_state", "e.g. random_state=42, or None for fl.set_seed's stream"))
    host = [backend.to_numpy(a) for a in _paired_arrays(arrays, "train_test_split needs at least one array.")]
    train, test = split_validation(len(host[0]), test_size, shuffle, rng=rng, what="test_size")
    out: list[np.ndarray] = []
    for a in host:
        out += [a[train], a[test]]
    return out


# ----------------------------------------------------------------------------- labels


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot encode integer class labels: label k becomes a row with 1 in column k.

    ``num_classes`` defaults to ``max(y) + 1``. A trailing axis of size 1 is dropped first, as Keras does.

    >>> to_categorical([1, 0], num_classes=3)
    array([[0., 1., 0.],
           [1., 0., 0.]], dtype=float32)
    """
    from .losses import integer_labels

    labels = integer_labels(to_array(y, "y"), "to_categorical", "y", index_word="position")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size == 0:
        raise DataError(f"to_categorical got no labels (y has shape {labels.shape}); pass at least one label.")
    if labels.min() < 0:
        raise DataError(f"to_categorical got the negative label {labels.min()}; labels must be 0..num_classes-1.")
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes <= 0:
        raise ConfigError(f"num_classes must be a positive integer, got {num_classes!r}.")
    if labels.max() >= num_classes:
        raise DataError(f"to_categorical got label {labels.max()} but num_classes={num_classes}; labels must be "
                        f"0..{num_classes - 1} (or raise num_classes).")
    out = np.zeros(labels.shape + (int(num_classes),), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


# ----------------------------------------------------------------------------- scaling


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale each vector along ``axis`` to unit ``order``-norm (zero vectors stay zero), as Keras's
    ``utils.normalize``. Any shape; float data keeps its dtype, other data becomes the default float.

    >>> normalize([[3.0, 4.0]]), normalize(np.array([3.0, 4.0]))
    (array([[0.6, 0.8]], dtype=float32), array([0.6, 0.8]))
    """
    arr = backend.to_numpy(to_array(x, "x"))
    if arr.dtype.kind != "f" or not isinstance(x, np.ndarray):  # lists and integers: the default float
        arr = arr.astype(backend.float_dtype())
    norm = np.linalg.norm(arr, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return arr / norm


class Standardizer:
    """Shift and scale each column to mean 0 and standard deviation 1, with the statistics of the
    training data (a constant column is only shifted).

    >>> s = Standardizer().fit([[1.0], [3.0]])
    >>> s.transform([[2.0], [5.0]]).ravel().tolist()
    [0.0, 3.0]
    """

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    def fit(self, x: Any) -> Standardizer:
        arr = backend.to_numpy(as_features(x, np.float64))
        self.mean = arr.mean(axis=0)
        std = arr.std(axis=0)
        self.scale = np.where(std > 0, std, 1.0)
        return self

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None or self.scale is None:
            from .errors import NotReadyError

            raise NotReadyError(f"this {type(self).__name__} has not been fitted; call .fit(x_train) first.")
        return self.mean, self.scale

    def transform(self, x: Any) -> np.ndarray:
        """The data shifted and scaled, as the default float type. The arithmetic is float64: data far from
        0 (timestamps, say) keeps its differences, which float32 would round away before the shift."""
        mean, scale = self._fitted()
        arr = backend.to_numpy(as_features(x, np.float64))
        if arr.shape[1:] != mean.shape:
            raise ShapeError(f"{type(self).__name__} was fitted on rows of shape {mean.shape} but got {arr.shape[1:]}; "
                             "transform data with the same columns.")
        return ((arr - mean) / scale).astype(backend.float_dtype())

    def inverse_transform(self, x: Any) -> np.ndarray:
        mean, scale = self._fitted()
        arr = backend.to_numpy(as_features(x, np.float64))
        return (arr * scale + mean).astype(backend.float_dtype())

    def fit_transform(self, x: Any) -> np.ndarray:
        return self.fit(x).transform(x)


class MinMaxScaler(Standardizer):
    """Map each column's training range to ``feature_range`` (default [0, 1]).

    >>> MinMaxScaler().fit_transform([[2.0], [4.0], [3.0]]).ravel().tolist()
    [0.0, 1.0, 0.5]
    """

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        low, high = feature_range
        if not low < high:
            raise ConfigError(f"feature_range must be (low, high) with low < high, got {feature_range!r}.")
        self.feature_range = (float(low), float(high))

    def fit(self, x: Any) -> MinMaxScaler:
        arr = backend.to_numpy(as_features(x, np.float64))
        low, high = self.feature_range
        span = arr.max(axis=0) - arr.min(axis=0)
        span = np.where(span > 0, span, 1.0)
        self.scale = span / (high - low)
        self.mean = arr.min(axis=0) - low * self.scale
        return self


__all__ = ["Dataset", "to_array", "as_features", "check_same_rows", "check_batch_size", "batch_slices", "batches",
           "permutation", "take_rows", "split_validation", "train_test_split", "to_categorical", "normalize",
           "Standardizer", "MinMaxScaler"]
