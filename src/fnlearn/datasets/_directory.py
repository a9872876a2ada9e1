"""What Keras's ``*_dataset_from_directory`` functions share (:mod:`fnlearn.datasets.images`,
:mod:`fnlearn.datasets.sequences`): their argument checks, the listing of a folder's files
(:func:`index_files`, Keras 3's ``index_directory``), the validation split, the label encoding and the
:class:`fnlearn.pipeline.Dataset` of ``(x, label)`` rows (:func:`dataset_from_directory`). What differs, the files
and how a batch of them is read, comes in as arguments.

Example:
    >>> import os, tempfile, numpy as np
    >>> root = tempfile.mkdtemp()
    >>> for path in ("a/1.dat", "b/2.dat", "b/3.dat"):
    ...     os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
    ...     open(os.path.join(root, path), "w").close()
    >>> ds = dataset_from_directory(root, batch_size=3, shuffle=False, verbose=False, who="lengths",
    ...                             formats=(".dat",), kind=".dat", noun=".dat files",
    ...                             read=lambda files: np.array([len(f) for f in files]))
    >>> [labels.tolist() for _, labels in ds], ds.class_names
    ([[0, 1, 1]], ['a', 'b'])
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, DataError, DatasetError
from ..pipeline import Dataset, _leaf, _Rows

_LABEL_MODES = ("int", "categorical", "binary", None)


# ----------------------------------------------------------------------------- argument checks


def whole(value: Any, what: str, least: int, example: str) -> int:
    """``value`` as an int ≥ ``least``, or one ConfigError sentence naming ``what`` with ``example``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ConfigError(f"{what} must be a whole number ≥ {least}, got {value!r}; e.g. {example}.")
    return int(value)


def batch_size_of(value: Any, who: str, single: str) -> int | None:
    """A batch size ≥ 1, or None (``single`` elements, e.g. "images")."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{who} batch_size must be a whole number ≥ 1 or None (single {single}), got {value!r}.")
    return int(value)


def flag(value: Any, name: str, who: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{who} {name} must be True or False, got {value!r}.")
    return bool(value)


def check_format(value: Any, who: str) -> None:
    """Keras's ``format`` argument: "tf" or "grain", both fnlearn's Dataset."""
    if value not in ("tf", "grain"):
        raise ConfigError(f"{who} format must be 'tf' or 'grain' (both give fnlearn's Dataset), got {value!r}.")


def shuffle_seed(seed: Any) -> int:
    """Keras's seed for its RandomState shuffles: the one given (below 2**32), else one drawn from 0 … 999999,
    from ``fl.set_seed``'s generator."""
    if seed is None:
        return int(backend.rng().integers(1_000_000))
    seed = backend.check_seed(seed, "seed", "e.g. seed=123")
    if seed >= 2**32:
        raise ConfigError(f"seed must be below 2**32 (NumPy's RandomState, which Keras shuffles with), got {seed}.")
    return seed


def _explicit_labels(labels: Any, kind: str) -> list[int]:
    if isinstance(labels, np.ndarray) and labels.ndim == 1:
        labels = labels.tolist()
    if not isinstance(labels, (list, tuple)):
        raise ConfigError(f"labels must be 'inferred' (from the subfolders), None (no labels) or a list of integer "
                          f"labels, one per {kind} file in sorted path order; got {type(labels).__name__} "
                          f"{labels!r}.")
    for position, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or label < 0:
            raise DataError(f"labels[{position}] is {label!r}, but the labels must be whole numbers ≥ 0 (class "
                            f"indices), one per {kind} file.")
    return [int(label) for label in labels]


def _check_labels(labels: Any, label_mode: Any, class_names: Any, kind: str, noun: str) -> tuple[Any, Any, bool]:
    """(labels, label_mode, inferred) after Keras's rules for ``labels``, ``label_mode`` and ``class_names``:
    both None when there are no labels."""
    inferred = isinstance(labels, str) and labels == "inferred"
    if not inferred and labels is not None:
        labels = _explicit_labels(labels, kind)
        if class_names:
            raise ConfigError("class_names can only be given with labels='inferred' (the subfolders); with a list of "
                              "labels the class names are the sorted labels.")
    if label_mode not in _LABEL_MODES:
        raise ConfigError(f"label_mode must be 'int', 'categorical', 'binary' or None, got {label_mode!r}.")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
        if class_names is not None:
            raise ConfigError(f"class_names cannot be given without labels (labels=None or label_mode=None): the "
                              f"{noun} are then not sorted into classes; leave class_names out.")
    if class_names is not None and (isinstance(class_names, str) or
                                    not all(isinstance(name, str) for name in class_names)):
        raise ConfigError(f"class_names must be a list of subfolder names (strings), got {class_names!r}.")
    return labels, label_mode, inferred


def _check_split(validation_split: Any, subset: Any, shuffle: bool, seed: Any) -> float:
    """Keras's rules for ``validation_split``, ``subset`` and ``seed``, each broken one refused in one sentence."""
    if validation_split is not None and (isinstance(validation_split, bool) or
                                         not isinstance(validation_split, (int, float, np.integer, np.floating))):
        raise ConfigError(f"validation_split must be a number between 0 and 1 (or None), got {validation_split!r}.")
    split = float(validation_split or 0.0)
    if split and not 0 < split < 1:
        raise ConfigError(f"validation_split must be between 0 and 1 (exclusive), got {validation_split!r}; e.g. "
                          "validation_split=0.2 holds out 20% of the files.")
    if subset not in ("training", "validation", "both", None):
        raise ConfigError(f"subset must be 'training', 'validation' or 'both', got {subset!r}.")
    if split and subset is None:
        raise ConfigError(f"validation_split={validation_split!r} needs subset='training', 'validation' or 'both' "
                          "(which part to return).")
    if subset is not None and not split:
        raise ConfigError(f"subset={subset!r} needs a validation_split, such as validation_split=0.2 (the fraction "
                          "of the files to hold out for validation).")
    if split and shuffle and seed is None:
        raise ConfigError("validation_split with shuffle=True needs a seed, such as seed=123, the same for the "
                          "training and the validation call, so that the two subsets do not overlap.")
    return split


# ----------------------------------------------------------------------------- the files


def _walk_files(folder: str, formats: tuple[str, ...], follow_links: bool) -> list[tuple[str, str]]:
    """(folder, file name) of every file ending in ``formats`` under ``folder``, in Keras's order: folders sorted
    by path, the files of each sorted by name."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        found += [(root, name) for name in sorted(files) if name.lower().endswith(formats)]
    return found


def index_files(directory: Any, labels: Any, formats: tuple[str, ...], class_names: Sequence[str] | None = None,
                shuffle: bool = True, seed: int = 0, follow_links: bool = False,
                kind: str = "") -> tuple[list[str], list[int] | None, list[str] | None]:
    """(file paths, labels, class names) of the files ending in ``formats`` (``kind`` of files, in the errors)
    under ``directory``, as Keras 3's ``index_directory`` lists them: ``labels="inferred"`` reads one subfolder
    per class (sorted, or in the order of ``class_names``), otherwise every such file under ``directory`` is
    listed; shuffled (``shuffle``) by ``numpy.random.RandomState(seed)``, as Keras shuffles them.

    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for path in ("pos/b.txt", "pos/a.txt", "neg/c.txt", "neg/notes.md"):
    ...     os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
    ...     open(os.path.join(root, path), "w").close()
    >>> paths, labels, names = index_files(root, "inferred", (".txt",), shuffle=False)
    >>> [os.path.relpath(p, root) for p in paths], labels, names
    (['neg/c.txt', 'pos/a.txt', 'pos/b.txt'], [0, 1, 1], ['neg', 'pos'])
    """
    kind = kind or "/".join(formats)
    if not os.path.isdir(directory):
        what = "is not a folder" if os.path.exists(directory) else "does not exist"
        raise DatasetError(f"the directory {os.fspath(directory)!r} {what}; give the folder that holds one "
                           f"subfolder of {kind} files per class.")
    if labels == "inferred":
        folders = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            missing = [name for name in class_names if name not in folders]
            if missing:
                raise ConfigError(f"class_names names {missing[0]!r}, which is not a subfolder of "
                                  f"{os.fspath(directory)!r}; its subfolders are {folders}.")
            folders = list(class_names)
    else:
        folders = [""]
    paths: list[str] = []
    found_labels: list[int] = []
    for index, folder in enumerate(folders):
        class_folder = os.path.join(directory, folder)
        name = os.path.basename(class_folder)
        for root, file_name in _walk_files(class_folder, formats, follow_links):
            relative = os.path.join(name, os.path.relpath(os.path.join(root, file_name), class_folder))
            paths.append(os.path.join(directory, relative))
            found_labels.append(index)
    if labels == "inferred":
        kept_labels: list[int] | None = found_labels
        names: list[str] | None = folders
    elif labels is None:
        kept_labels, names = None, None
    else:
        if len(labels) != len(paths):
            raise DataError(f"labels has {len(labels)} entries but {os.fspath(directory)!r} holds {len(paths)} "
                            f"{kind} files; give one label per file, in the sorted order of their paths.")
        kept_labels, names = list(labels), [str(label) for label in sorted(set(labels))]
    if shuffle:
        # Keras shuffles the paths, then the labels, each with a fresh RandomState(seed): one permutation
        order = list(range(len(paths)))
        np.random.RandomState(seed).shuffle(order)
        paths = [paths[i] for i in order]
        if kept_labels is not None:
            kept_labels = [kept_labels[i] for i in order]
    return paths, kept_labels, names


def _subset(paths: list[str], labels: list[int] | None, split: float, subset: str,
            verbose: bool) -> tuple[list[str], list[int] | None]:
    """Keras's split: the last int(split · n) files validate, the others train."""
    held_out = int(split * len(paths))
    if subset == "training":
        if verbose:
            print(f"Using {len(paths) - held_out} files for training.")
        return paths[:-held_out], None if labels is None else labels[:-held_out]
    if verbose:
        print(f"Using {held_out} files for validation.")
    return paths[-held_out:], None if labels is None else labels[-held_out:]


def _encoded(labels: list[int] | None, label_mode: str | None, num_classes: int) -> np.ndarray | None:
    """Keras's labels: int32 (n,), float32 (n, 1) 0/1 for "binary", float32 one-hot rows for "categorical"."""
    if labels is None or label_mode is None:
        return None
    values = np.asarray(labels, dtype=np.int32)
    if label_mode == "int":
        return values
    if label_mode == "binary":
        return values.astype(np.float32).reshape(-1, 1)
    return np.eye(num_classes, dtype=np.float32)[values]


def _check_classes(file_labels: list[int] | None, names: list[str] | None, label_mode: str | None,
                   inferred: bool) -> int:
    """The number of classes, once ``label_mode`` is known to fit them."""
    num_classes = len(names or ())
    if label_mode == "binary" and num_classes != 2:
        raise ConfigError(f"label_mode='binary' needs exactly 2 classes, but there are {num_classes} ({names}); use "
                          "label_mode='int' or 'categorical'.")
    if file_labels is not None and not inferred:
        top = max(file_labels, default=0)
        if label_mode == "categorical" and top >= num_classes:
            raise DataError(f"label_mode='categorical' one-hot encodes {num_classes} classes (the distinct labels), "
                            f"but a label is {top}; number the classes 0..{num_classes - 1}.")
        if label_mode == "binary" and top > 1:
            raise DataError(f"label_mode='binary' needs the labels 0 and 1, but a label is {top}.")
    return num_classes


def _file_rows(paths: list[str], labels: np.ndarray | None, read: Callable[[list[str]], np.ndarray]) -> _Rows:
    """The files as rows of a dataset: ``read`` makes the batch of the files at an index, with their labels."""

    def fetch(index: np.ndarray) -> Any:
        batch = _leaf(read([paths[row] for row in index.tolist()]))
        return batch if labels is None else (batch, _leaf(labels[index]))

    return _Rows(len(paths), fetch)


# ----------------------------------------------------------------------------- the dataset


def dataset_from_directory(directory: Any, labels: Any = "inferred", label_mode: str | None = "int",
                           class_names: Sequence[str] | None = None, batch_size: int | None = 32,
                           shuffle: bool = True, seed: int | None = None, validation_split: float | None = None,
                           subset: str | None = None, follow_links: bool = False, format: str = "tf",  # noqa: A002
                           verbose: bool = True, *, who: str, formats: tuple[str, ...], kind: str, noun: str,
                           read: Callable[[list[str]], np.ndarray], padded: bool = False) -> Any:
    """Keras 3's ``*_dataset_from_directory`` for the files ending in ``formats``: the arguments checked, the
    files listed (:func:`index_files`), shuffled and split, and a :class:`fnlearn.pipeline.Dataset` (with
    ``class_names`` and ``file_paths``; a list [training, validation] for ``subset="both"``) whose batches
    ``read(paths)`` makes, paired with the encoded labels.

    ``who`` is the public function's name, ``kind`` the files in "one per {kind} file" (e.g. "image"), ``noun``
    the files in plain words (e.g. "images"), in the error messages. ``padded``: the files' arrays differ in length
    (``read`` gives an object array of them), and each batch pads them to its longest.
    """
    labels, label_mode, inferred = _check_labels(labels, label_mode, class_names, kind, noun)
    size = batch_size_of(batch_size, who, noun)
    shuffle, follow_links, verbose = (flag(value, name, who) for value, name in ((shuffle, "shuffle"),
                                                                                 (follow_links, "follow_links"),
                                                                                 (verbose, "verbose")))
    check_format(format, who)
    split = _check_split(validation_split, subset, shuffle, seed)
    seed = shuffle_seed(seed)

    paths, file_labels, names = index_files(directory, labels, formats, class_names, shuffle, seed, follow_links,
                                            kind)
    if verbose:
        print(f"Found {len(paths)} files." if file_labels is None else
              f"Found {len(paths)} files belonging to {len(names or ())} classes.")
    num_classes = _check_classes(file_labels, names, label_mode, inferred)
    if split and paths and int(split * len(paths)) == 0:
        raise ConfigError(f"validation_split={validation_split!r} of {len(paths)} files holds out "
                          f"int({validation_split!r} × {len(paths)}) = 0 files (Keras's count); use a larger "
                          f"validation_split or more {noun}.")
    parts = ["training", "validation"] if subset == "both" else [subset]
    made = []
    for part in parts:
        part_paths, part_labels = (paths, file_labels) if part is None else \
            _subset(paths, file_labels, split, part, verbose)
        if not part_paths:
            where = f" (one subfolder of {noun} per class)" if inferred else ""
            raise DatasetError(f"no {noun} found in {os.fspath(directory)!r}{where}; {who} reads "
                               f"{', '.join(formats)} files.")
        dataset = Dataset._of_rows(_file_rows(part_paths, _encoded(part_labels, label_mode, num_classes), read))
        if shuffle and not (subset == "both" and part == "validation"):  # Keras shuffles all but "both"'s second
            dataset = dataset.shuffle(size * 8 if size is not None else 1024, seed=seed)
        if size is not None:
            dataset = dataset.padded_batch(size) if padded else dataset.batch(size)
        dataset.class_names = names
        dataset.file_paths = part_paths
        made.append(dataset)
    return made if subset == "both" else made[0]


__all__ = ["dataset_from_directory", "index_files", "whole", "batch_size_of", "flag", "check_format",
           "shuffle_seed"]
