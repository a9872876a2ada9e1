"""Datasets of sequences: Keras's ``timeseries_dataset_from_array`` (windows of a time series, with the target of
each) and ``text_dataset_from_directory`` (a folder of ``.txt`` files, one subfolder per class), as
:class:`fnlearn.pipeline.Dataset` objects that ``fit`` takes.

``timeseries_dataset_from_array`` makes Keras 3's windows: window ``i`` starts at step ``start_index + i ·
sequence_stride`` and holds ``sequence_length`` steps ``sampling_rate`` apart; its target is
``targets[start_index + i · sequence_stride]`` (the target of the window's first step, so to predict the step after a
window, shift the targets: ``targets=data[length:]``). With ``shuffle`` the window starts are shuffled by
``numpy.random.RandomState(seed)`` exactly as Keras shuffles them, then each pass draws through a buffer of 8
batches as Keras's tf.data does (that buffer's draws are fnlearn's, seeded by ``seed``, not TensorFlow's).

``text_dataset_from_directory`` lists, orders, shuffles and splits the files by the rules of
``image_dataset_from_directory`` (:mod:`fnlearn.datasets.images`, Keras 3's rules): class names are the sorted
subfolders (hidden ones skipped), the ``.txt`` files under each in sorted order, shuffled by
``numpy.random.RandomState(seed)``, and ``validation_split`` holds out the last ``int(validation_split · n)`` files.
A batch reads its files when the loop asks for it; its texts are a NumPy array of ``str`` (dtype object, decoded as
UTF-8, bytes that are no UTF-8 replaced by U+FFFD) where Keras gives ``tf.string`` bytes, so that NumPy string
functions and ``TextVectorization`` take them: ``ds.map(lambda x, y: (vectorize_layer(x), y))``.

Example:
    >>> import numpy as np
    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 100, sequence_length=3, batch_size=4)
    >>> x, y = next(iter(ds))
    >>> x.tolist(), y.tolist(), len(ds)
    ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 100, 200, 300], 2)
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, DataError, DatasetError, ShapeError
from ..pipeline import Dataset, _leaf, _Rows
from ..tensor import Tensor
from ._directory import batch_size_of, check_format, dataset_from_directory, flag, index_files, shuffle_seed, whole

TEXT_FORMATS = (".txt",)


# ----------------------------------------------------------------------------- arrays


def _host_array(value: Any, what: str) -> np.ndarray:
    """``value`` (an array, a Tensor, a list, a pandas object) as a NumPy array with at least one axis (time)."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, Dataset):
        raise DataError(f"timeseries_dataset_from_array takes arrays as {what}, not a dataset; pass the array of "
                        "consecutive steps (time along axis 0).")
    if backend.is_array(value) and not isinstance(value, np.ndarray):
        value = backend.to_numpy(value)
    elif hasattr(value, "to_numpy"):
        value = value.to_numpy()
    array = np.asarray(value)
    if array.ndim == 0:
        raise ShapeError(f"timeseries_dataset_from_array {what} must be an array of steps (time along axis 0), got a "
                         f"single value {value!r}.")
    return array


# ----------------------------------------------------------------------------- time series


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
                                  sampling_rate: int = 1, batch_size: int | None = 128, shuffle: bool = False,
                                  seed: int | None = None, start_index: int | None = None,
                                  end_index: int | None = None, format: str = "tf") -> Dataset:  # noqa: A002
    """A :class:`fnlearn.pipeline.Dataset` of ``(windows, targets)`` batches (or windows alone, with
    ``targets=None``) cut from the time series ``data``, as Keras 3's ``keras.utils.timeseries_dataset_from_array``
    makes them (see the module's description).

    Args:
        data: consecutive steps, time along axis 0 (an array, a list, a DataFrame).
        targets: ``targets[i]`` is the target of the window that starts at step ``i``; None for windows alone.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of two windows.
        sampling_rate: steps between two steps of one window (a window spans ``(sequence_length − 1) ·
            sampling_rate + 1`` steps).
        batch_size: windows per batch (the last batch smaller), or None for single windows.
        shuffle: shuffle the windows (seeded, as Keras; see the module's description); False keeps time order.
        seed: the shuffle's seed (None: one drawn from ``fl.set_seed``'s generator).
        start_index, end_index: use only the steps ``start_index`` … ``end_index − 1`` (to keep some for
            validation); ``end_index`` must be below ``len(data)``, as in Keras.
        format: ``"tf"`` or ``"grain"``; both give fnlearn's Dataset.

    Returns:
        The dataset: windows of shape (batch, sequence_length, *data.shape[1:]), in ``data``'s dtype, and
        targets of shape (batch, *targets.shape[1:]).

    Example:
        >>> import numpy as np
        >>> series = np.arange(7.0)  # 3 steps → the next one
        >>> ds = timeseries_dataset_from_array(series[:-3], series[3:], sequence_length=3, batch_size=None)
        >>> [(x.tolist(), float(y)) for x, y in ds]
        [([0.0, 1.0, 2.0], 3.0), ([1.0, 2.0, 3.0], 4.0)]
    """
    who = "timeseries_dataset_from_array"
    steps = _host_array(data, "data")
    labels = None if targets is None else _host_array(targets, "targets")
    length = whole(sequence_length, f"{who} sequence_length", 1, "sequence_length=120")
    stride = whole(sequence_stride, f"{who} sequence_stride", 1, "sequence_stride=1")
    rate = whole(sampling_rate, f"{who} sampling_rate", 1, "sampling_rate=6 (one step of every 6)")
    size = batch_size_of(batch_size, who, "windows")
    shuffle = flag(shuffle, "shuffle", who)
    check_format(format, who)
    total = len(steps)
    if rate >= total:
        raise ConfigError(f"{who} sampling_rate must be below the number of steps in data ({total}), got {rate}.")
    if stride >= total:
        raise ConfigError(f"{who} sequence_stride must be below the number of steps in data ({total}), got {stride}.")
    first = 0 if start_index is None else whole(start_index, f"{who} start_index", 0, "start_index=1000")
    if first >= total:
        raise ConfigError(f"{who} start_index must be below the number of steps in data ({total}), got {first}.")
    stop = total
    if end_index is not None:
        stop = whole(end_index, f"{who} end_index", 1, "end_index=3000 (the steps before it are used)")
        if stop <= first:
            raise ConfigError(f"{who} end_index must be above start_index ({first}), got {stop}.")
        if stop >= total:
            raise ConfigError(f"{who} end_index must be below the number of steps in data ({total}), got {stop}; "
                              "leave it out (None) to use the data to its end.")
    span = (length - 1) * rate + 1
    windows = stop - first - span + 1
    if labels is not None:
        windows = min(windows, len(labels))
    if windows <= 0:
        raise DataError(f"{who} finds no window: a window spans {span} steps (sequence_length {length}, "
                        f"sampling_rate {rate}) but the steps {first} … {stop - 1} are {stop - first}"
                        f"{' and targets has ' + str(len(labels)) + ' rows' if labels is not None else ''}; give "
                        "more data or a shorter sequence_length.")
    starts = np.arange(0, windows, stride, dtype=np.int64)
    if labels is not None and first + starts[-1] >= len(labels):
        raise ShapeError(f"{who} targets has {len(labels)} rows, but the window starting at step "
                         f"{first + int(starts[-1])} needs targets[{first + int(starts[-1])}]; give one target per "
                         "step of data (or as many as the last window start needs).")
    if shuffle:
        seed = shuffle_seed(seed)
        np.random.RandomState(seed).shuffle(starts)  # Keras's window order, exactly
    offsets = np.arange(length, dtype=np.int64) * rate

    def fetch(index: np.ndarray) -> Any:
        begin = first + starts[index]
        windows_of = _leaf(steps[begin[:, None] + offsets])
        return windows_of if labels is None else (windows_of, _leaf(labels[begin]))

    dataset = Dataset._of_rows(_Rows(len(starts), fetch))
    if shuffle:
        dataset = dataset.shuffle(size * 8 if size is not None else 1024, seed=seed)
    return dataset.batch(size) if size is not None else dataset


# ----------------------------------------------------------------------------- folders of texts


def _read_text(path: str, max_length: int | None) -> str:
    """The file's text: its first ``max_length`` bytes (Keras cuts bytes), decoded as UTF-8 with a character cut
    in two left out."""
    try:
        with open(path, "rb") as file:
            content = file.read() if max_length is None else file.read(max_length)
    except OSError as exc:
        raise DatasetError(f"text_dataset_from_directory cannot read {path!r} ({exc.strerror or exc}); check that "
                           "the file is still there and readable.") from None
    if max_length is None:
        return content.decode("utf-8", errors="replace")
    return codecs.getincrementaldecoder("utf-8")(errors="replace").decode(content, final=False)


def text_dataset_from_directory(directory: Any, labels: Any = "inferred", label_mode: str | None = "int",
                                class_names: Sequence[str] | None = None, batch_size: int | None = 32,
                                max_length: int | None = None, shuffle: bool = True, seed: int | None = None,
                                validation_split: float | None = None, subset: str | None = None,
                                follow_links: bool = False, format: str = "tf",  # noqa: A002  (Keras's name)
                                verbose: bool = True) -> Any:
    """A :class:`fnlearn.pipeline.Dataset` of ``(texts, labels)`` batches from a folder with one subfolder of
    ``.txt`` files per class, as Keras 3's ``keras.utils.text_dataset_from_directory`` makes it (see the module's
    description for the order, the split and the texts, NumPy arrays of ``str``).

    Args:
        directory: the folder; with ``labels="inferred"`` it holds one subfolder per class.
        labels: ``"inferred"`` (class = subfolder), None (texts only) or a list of integer labels, one per
            ``.txt`` file in the sorted order of their paths.
        label_mode: ``"int"`` (int32 labels, shape (batch,)), ``"categorical"`` (float32 one-hot rows),
            ``"binary"`` (float32 0/1, shape (batch, 1); exactly two classes) or None (texts only).
        class_names: the subfolders to read, in the order of their labels (default: all, sorted).
        batch_size: texts per batch (default 32); None yields single texts.
        max_length: keep only the first ``max_length`` bytes of each file (None: all of it).
        shuffle: shuffle the files (seeded), and each pass through a buffer of 8 batches, as Keras; False keeps
            the sorted order.
        seed: the shuffles' seed; required with ``validation_split`` when shuffling (the same for both subsets).
        validation_split, subset: hold out that fraction of the files; ``subset`` says which part to return:
            ``"training"``, ``"validation"`` or ``"both"`` (a list [training, validation]).
        follow_links: walk into linked folders too.
        format: ``"tf"`` or ``"grain"``; both give fnlearn's Dataset.
        verbose: print the "Found …" and "Using …" lines.

    Returns:
        The dataset, with ``class_names`` and ``file_paths`` (its files, in the listed order); for
        ``subset="both"`` a list of two.

    Example:
        >>> import os, tempfile
        >>> root = tempfile.mkdtemp()
        >>> for name, text in (("neg", "dull and long"), ("pos", "a great film")):
        ...     os.makedirs(os.path.join(root, name))
        ...     with open(os.path.join(root, name, "1.txt"), "w") as f:
        ...         _ = f.write(text)
        >>> ds = text_dataset_from_directory(root, batch_size=2, shuffle=False)
        Found 2 files belonging to 2 classes.
        >>> texts, labels = next(iter(ds))
        >>> texts.tolist(), labels.tolist(), ds.class_names
        (['dull and long', 'a great film'], [0, 1], ['neg', 'pos'])
    """
    who = "text_dataset_from_directory"
    if max_length is not None:
        max_length = whole(max_length, f"{who} max_length", 1, "max_length=10000 (bytes kept of each file)")

    def read(paths: list[str]) -> np.ndarray:
        """The texts at ``paths``, one object array of ``str``."""
        texts = np.empty(len(paths), dtype=object)
        for position, path in enumerate(paths):
            texts[position] = _read_text(path, max_length)
        return texts

    return dataset_from_directory(directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                                  validation_split, subset, follow_links, format, verbose, who=who,
                                  formats=TEXT_FORMATS, kind=".txt", noun="text files", read=read)


__all__ = ["timeseries_dataset_from_array", "text_dataset_from_directory", "index_files", "TEXT_FORMATS"]
