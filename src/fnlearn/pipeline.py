"""Datasets of batches, fnlearn's counterpart of ``tf.data.Dataset``: what ``fit``, ``evaluate`` and ``predict``
take besides arrays, and what ``keras.utils.image_dataset_from_directory`` returns.

A :class:`Dataset` is an iterable: each pass (``for images, labels in ds``) yields its elements afresh, an
element being one array, a tuple of them (``(x, y)`` or ``(x, y, sample_weight)``) or a dict. Built from arrays
(:meth:`Dataset.from_tensor_slices`) or from files, it holds no data itself: a pass gathers the rows it needs
when the loop asks for them, so a folder of images larger than memory is read one batch at a time; ``cache()``
keeps what the first full pass produced.

The transformations are tf.data's, with its arguments: ``batch``, ``padded_batch`` (variable-length elements
padded to each batch's longest), ``unbatch``, ``shuffle`` (a buffer of
``buffer_size`` elements, drawn again at every pass unless ``reshuffle_each_iteration=False``), ``map``,
``filter``, ``take``, ``skip``, ``repeat``, ``cache``, ``prefetch``; ``len(ds)`` and ``ds.cardinality()`` count the
elements (−1: infinite, −2: unknown, as tf.data says). Arrays come out as NumPy arrays that also answer
``.numpy()`` (:class:`Batch`), so the tutorials' ``images[i].numpy().astype("uint8")`` works.

:class:`PyDataset` (``keras.utils.PyDataset``) is the other way to give batches: a class whose ``__getitem__(index)``
makes batch ``index`` in Python code; ``batch_source`` reads it one pass per epoch, between its ``on_epoch_begin``
and ``on_epoch_end``.

Differences from tf.data: ``prefetch`` changes nothing (a batch is read when the loop asks for it), ``cache``
keeps elements in memory only, and the shuffles draw from NumPy's generator (seeded by ``seed``, else by
``fl.set_seed``), so the orders are not TensorFlow's.

Example:
    >>> import numpy as np
    >>> ds = Dataset.from_tensor_slices((np.arange(10.0).reshape(5, 2), np.arange(5))).batch(2)
    >>> len(ds), [labels.tolist() for _, labels in ds]
    (3, [[0, 1], [2, 3], [4]])
    >>> [labels.tolist() for _, labels in ds.unbatch().shuffle(5, seed=1).batch(5)]
    [[4, 0, 1, 2, 3]]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import backend
from .errors import ConfigError, DataError, ShapeError
from .tensor import Tensor

INFINITE = -1  # tf.data.INFINITE_CARDINALITY
UNKNOWN = -2  # tf.data.UNKNOWN_CARDINALITY
AUTOTUNE = -1  # tf.data.AUTOTUNE: a buffer size left to the library (fnlearn reads batches when asked)

_CHUNK = 32  # rows gathered at once when a dataset of rows is iterated row by row


class Batch(np.ndarray):
    """A NumPy array that also answers ``.numpy()`` (a plain ``np.ndarray`` view of itself), as a TensorFlow
    tensor does: what a :class:`Dataset` yields, so that tutorials written for tf.data run unchanged.

    >>> b = np.arange(3).view(Batch)
    >>> b.numpy(), b[1] + 1
    (array([0, 1, 2]), np.int64(2))
    """

    def numpy(self) -> np.ndarray:
        """The values as a plain NumPy array (a view, no copy)."""
        return self.view(np.ndarray)

    def __repr__(self) -> str:
        return repr(self.view(np.ndarray))

    def __str__(self) -> str:
        return str(self.view(np.ndarray))


def _leaf(value: Any) -> Any:
    """An element's array as a dataset yields it: host arrays as :class:`Batch` (0-d ones too), others as given."""
    if isinstance(value, np.ndarray):
        return value if type(value) is Batch else value.view(Batch)
    if isinstance(value, np.generic):
        return np.asarray(value).view(Batch)
    return value


def _host(value: Any) -> Any:
    """A function's result as a dataset keeps it: tensors and device arrays as host arrays (:class:`Batch`), as
    tf.data's map gives host tensors, so NumPy reads them (``np.min(image)``)."""
    if isinstance(value, Tensor):
        value = value.data
    if backend.is_array(value) and not isinstance(value, np.ndarray):
        value = backend.to_numpy(value)
    return _leaf(value)


def map_structure(fn: Callable[[Any], Any], element: Any, keep_lists: bool = False) -> Any:
    """``fn`` applied to every array of an element (tuples and dicts are walked; lists are tuples, as tf.data
    reads them in a structure, unless ``keep_lists``: a training step's data keep the form they were given in).

    >>> map_structure(lambda a: a * 2, (1, {"b": 2})), map_structure(lambda a: a, [1], keep_lists=True)
    ((2, {'b': 4}), [1])
    """
    if isinstance(element, (tuple, list)):
        kind = list if keep_lists and isinstance(element, list) else tuple
        return kind(map_structure(fn, item, keep_lists) for item in element)
    if isinstance(element, Mapping):
        return {key: map_structure(fn, item, keep_lists) for key, item in element.items()}
    return fn(element)


def leaves(element: Any) -> list[Any]:
    """The arrays of an element, in order.

    >>> leaves((1, {"b": [2, 3]}))
    [1, 2, 3]
    """
    found: list[Any] = []
    map_structure(found.append, element)
    return found


def _count(value: Any, what: str, example: str, allow_all: bool = False) -> int:
    """A whole number ≥ 0 (or −1 for "all" where tf.data takes it), else one ConfigError sentence."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < (-1 if allow_all else 0):
        also = " (or -1 for all of them)" if allow_all else ""
        raise ConfigError(f"{what} must be a whole number ≥ 0{also}, got {value!r}; e.g. {example}.")
    return int(value)


def _positive(value: Any, what: str, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{what} must be a whole number ≥ 1, got {value!r}; e.g. {example}.")
    return int(value)


def _seed(seed: Any, what: str) -> int:
    """``seed`` checked, or one drawn from fnlearn's generator (so ``fl.set_seed`` makes the order repeatable)."""
    if seed is None:
        return int(backend.rng().integers(2**62))
    return backend.check_seed(seed, what, "e.g. seed=42, or None for one drawn from fl.set_seed's generator")


def buffer_shuffled(items: Iterable[Any], buffer_size: int, rng: np.random.Generator) -> Iterator[Any]:
    """``items`` in tf.data's shuffled order: a buffer holds the next ``buffer_size`` items, and each one given out
    is drawn at random from it (its place taken by the next item); a buffer at least as large as the data gives
    a uniform shuffle, a smaller one gives no item out more than ``buffer_size − 1`` places early.

    >>> sorted(buffer_shuffled(range(6), 2, np.random.default_rng(0)))
    [0, 1, 2, 3, 4, 5]
    """
    source = iter(items)
    buffer = list(itertools.islice(source, buffer_size))
    draws: Iterator[int] = iter(())
    for item in source:
        place = next(draws, None)
        if place is None:  # the places are drawn a block at a time: one draw per item costs more than the rest
            draws = iter((rng.random(1024) * len(buffer)).astype(np.intp).tolist())
            place = next(draws)
        yield buffer[place]
        buffer[place] = item
    rng.shuffle(buffer)
    yield from buffer


class _Rows:
    """The rows of in-memory arrays or of files, gathered a batch at a time: ``fetch(index)`` gives the rows at
    ``index`` (a host integer array) as one batched element, and ``order()`` the row order of one pass."""

    def __init__(self, size: int, fetch: Callable[[np.ndarray], Any],
                 order: Callable[[], np.ndarray] | None = None) -> None:
        self.size = size
        self.fetch = fetch
        self.order = order if order is not None else (lambda: np.arange(size))

    def reordered(self, order: Callable[[], np.ndarray], size: int) -> _Rows:
        return _Rows(size, self.fetch, order)


def _rows_of(element: Any) -> int:
    first = leaves(element)
    return int(first[0].shape[0]) if first else 0


def _stack(elements: list[Any]) -> Any:
    """Elements of one structure as one batched element: each array stacked along a new first axis."""
    first = elements[0]
    columns = [leaves(e) for e in elements]
    stacked = []
    for position, _ in enumerate(columns[0]):
        values = [c[position].data if isinstance(c[position], Tensor) else c[position] for c in columns]
        shapes = {tuple(np.shape(v)) for v in values}
        if len(shapes) > 1:
            a, b = sorted(shapes)[:2]
            raise ShapeError(f"batch() got elements of different shapes, {a} and {b}; give every element the same "
                             "shape (resize images to one size first), or leave the data unbatched.")
        if all(isinstance(v, (np.ndarray, np.generic, int, float, bool)) for v in values):
            stacked.append(np.stack([np.asarray(v) for v in values]).view(Batch))
        else:
            stacked.append(backend.xp().stack([backend.xp().asarray(v) for v in values]))
    out = iter(stacked)
    return map_structure(lambda _: next(out), first)


def _is_size(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= -1


def _check_padded_shapes(shapes: Any) -> None:
    """``padded_shapes`` made of what it may hold (shapes: tuples of sizes; tuples and dicts of them; None), or one
    ConfigError sentence; how it matches the elements is checked on the first batch."""
    if shapes is None or _is_size(shapes):
        return
    if hasattr(shapes, "as_list"):
        return
    if isinstance(shapes, Mapping):
        for item in shapes.values():
            _check_padded_shapes(item)
        return
    if isinstance(shapes, (tuple, list)):
        for item in shapes:
            _check_padded_shapes(item)
        return
    raise ConfigError(f"padded_batch padded_shapes takes shapes (tuples of sizes, None or -1 for the batch's longest) "
                      f"arranged as the elements are, got {shapes!r}; e.g. padded_shapes=([None], []) for (tokens, "
                      "label) elements.")


def _matched(spec: Any, element: Any, what: str, shapes: bool) -> list[Any]:
    """``spec`` (padded shapes, or padding values) for each array of ``element``, in the order of its arrays: a
    tuple or dict of ``spec`` follows the element's; None, or a single padding value, holds for every array below
    it. One DataError sentence where the two structures differ."""
    if hasattr(spec, "as_list"):
        spec = spec.as_list()
    if isinstance(element, (tuple, list)):
        if spec is None or (not shapes and not isinstance(spec, (tuple, list, Mapping))):
            return [spec] * len(leaves(element))
        if not isinstance(spec, (tuple, list)) or len(spec) != len(element):
            raise DataError(f"padded_batch {what} {spec!r} does not match the elements, which are tuples of "
                            f"{len(element)}; give one entry per part, e.g. ([None], []) for (tokens, label).")
        return [leaf for part, item in zip(spec, element) for leaf in _matched(part, item, what, shapes)]
    if isinstance(element, Mapping):
        if spec is None or (not shapes and not isinstance(spec, (tuple, list, Mapping))):
            return [spec] * len(leaves(element))
        if not isinstance(spec, Mapping) or set(spec) != set(element):
            raise DataError(f"padded_batch {what} {spec!r} does not match the elements, dicts with the keys "
                            f"{sorted(element)}; give a dict with the same keys.")
        return [leaf for key in element for leaf in _matched(spec[key], element[key], what, shapes)]
    if not shapes:
        if isinstance(spec, (tuple, list, Mapping)):
            raise DataError(f"padded_batch padding_values {spec!r} does not match the elements, which are single "
                            "arrays; give one value (e.g. 0) for them.")
        return [spec]
    if spec is None:
        return [None]
    if _is_size(spec):
        spec = [spec]
    if not isinstance(spec, (tuple, list)) or not all(size is None or _is_size(size) for size in spec):
        raise DataError(f"padded_batch padded_shapes {spec!r} does not match the elements, which are single arrays; "
                        "give their shape, e.g. [None] for sequences of any length.")
    return [tuple(None if size is None or size == -1 else int(size) for size in spec)]


def _pad_stack(elements: list[Any], shapes: Any, padding_values: Any) -> Any:
    """Elements of one structure as one batched element, each array padded at the end of its axes (tf.data's
    ``padded_batch``): to ``shapes``' sizes where they are fixed, to the longest of the batch elsewhere."""
    first = elements[0]
    columns = [leaves(e) for e in elements]
    places = _matched(shapes, first, "padded_shapes", True)
    fills = _matched(padding_values, first, "padding_values", False)
    stacked = []
    for position, (wanted, fill) in enumerate(zip(places, fills)):
        values = []
        for column in columns:
            value = column[position]
            value = value.data if isinstance(value, Tensor) else value
            values.append(backend.to_numpy(value) if backend.is_array(value) and not isinstance(value, np.ndarray)
                          else np.asarray(value))
        ranks = sorted({v.ndim for v in values})
        if len(ranks) > 1:
            raise ShapeError(f"padded_batch got elements whose arrays have {ranks[0]} and {ranks[1]} axes; padding "
                             "lengthens axes but cannot add one, so give every element's array the same number of "
                             "axes.")
        longest = tuple(max(v.shape[axis] for v in values) for axis in range(ranks[0]))
        if wanted is not None:
            if len(wanted) != ranks[0]:
                raise ShapeError(f"padded_batch padded_shapes gives {tuple(wanted)!r} ({len(wanted)} axes) for arrays "
                                 f"of {ranks[0]} axes, shape {values[0].shape}; give one size (or None) per axis.")
            too_long = [axis for axis, size in enumerate(wanted) if size is not None and longest[axis] > size]
            if too_long:
                axis = too_long[0]
                raise ShapeError(f"padded_batch padded_shapes asks for size {wanted[axis]} on axis {axis}, but an "
                                 f"element has {longest[axis]} there; padding cannot shorten, so give a larger size "
                                 "or None (the batch's longest), or cut the elements first with map.")
            longest = tuple(length if size is None else size for length, size in zip(longest, wanted))
        dtype = np.result_type(*values) if values[0].dtype != object else np.dtype(object)
        if fill is None:
            fill = "" if dtype.kind in "USO" else (False if dtype.kind == "b" else 0)
        out = np.full((len(values),) + longest, fill, dtype=dtype)
        for row, value in enumerate(values):
            out[(row,) + tuple(slice(0, n) for n in value.shape)] = value
        stacked.append(out.view(Batch))
    out_iter = iter(stacked)
    return map_structure(lambda _: next(out_iter), first)


def _split(element: Any) -> Iterator[Any]:
    """The rows of a batched element, one element each."""
    for row in range(_rows_of(element)):
        yield map_structure(lambda a, row=row: _leaf(a[row]), element)


def _call(fn: Callable[..., Any], element: Any) -> Any:
    """tf.data's calling rule: a tuple element is spread over the arguments, anything else is one argument."""
    return fn(*element) if isinstance(element, tuple) else fn(element)


class Dataset:
    """A re-iterable sequence of elements (arrays, tuples or dicts of arrays), tf.data's ``Dataset`` for fnlearn:
    see the module's description. Make one with :meth:`from_tensor_slices`, :meth:`from_tensors`,
    :meth:`from_generator` or ``keras.utils.image_dataset_from_directory``.

    >>> import numpy as np
    >>> ds = Dataset.from_tensor_slices(np.arange(6)).map(lambda v: v * 10).batch(4)
    >>> [b.tolist() for b in ds], ds.cardinality()
    ([[0, 10, 20, 30], [40, 50]], 2)
    """

    def __init__(self, iterate: Callable[[], Iterator[Any]], cardinality: int, *, rows: _Rows | None = None,
                 unbatched: Dataset | None = None) -> None:
        self._iterate = iterate
        self._cardinality = cardinality
        self._rows = rows  # set when the elements are rows that can be gathered by index (fast shuffles, batches)
        self._unbatched = unbatched  # the row dataset this one batches, which unbatch() gives back

    # ------------------------------------------------------------------ making one
    @staticmethod
    def from_tensor_slices(tensors: Any, name: str | None = None) -> Dataset:
        """One element per row of ``tensors`` (an array, or a tuple or dict of arrays with as many rows each):
        ``from_tensor_slices((x, y))`` yields ``(x[i], y[i])``.

        >>> import numpy as np
        >>> [(a.tolist(), int(b)) for a, b in Dataset.from_tensor_slices((np.ones((2, 3)), np.array([7, 8])))]
        [([1.0, 1.0, 1.0], 7), ([1.0, 1.0, 1.0], 8)]
        """
        arrays = _columns(tensors)
        found = leaves(arrays)
        if not found:
            raise DataError("from_tensor_slices got no arrays; pass an array, or a tuple or dict of arrays with one "
                            "row per element.")
        rows = list(dict.fromkeys(int(a.shape[0]) for a in found))
        if len(rows) > 1:
            raise ShapeError(f"from_tensor_slices got arrays of {' and '.join(map(str, rows))} rows; give every "
                             "array one row per element (the same number of rows).")
        size = rows[0]

        def fetch(index: np.ndarray) -> Any:
            return map_structure(lambda a: _leaf(a[index] if isinstance(a, np.ndarray) else
                                                 a[backend.to_device(index)]), arrays)

        return Dataset._of_rows(_Rows(size, fetch))

    @staticmethod
    def from_tensors(tensors: Any, name: str | None = None) -> Dataset:
        """A dataset of one element, ``tensors`` itself.

        >>> import numpy as np
        >>> [a.shape for a in Dataset.from_tensors(np.zeros((2, 3)))]
        [(2, 3)]
        """
        element = map_structure(_leaf, _columns(tensors, rows_needed=False))
        return Dataset(lambda: iter((element,)), 1)

    @staticmethod
    def from_generator(generator: Callable[..., Iterable[Any]], output_types: Any = None, output_shapes: Any = None,
                       args: Any = None, output_signature: Any = None, name: str | None = None) -> Dataset:
        """The elements of ``generator(*args)``, called afresh at every pass (the types and shapes TensorFlow
        asks for are not needed and are ignored).

        >>> [int(v) for v in Dataset.from_generator(lambda: iter(range(3)))]
        [0, 1, 2]
        """
        if not callable(generator):
            raise ConfigError(f"from_generator takes a function that returns a generator (it is called at every "
                              f"pass), got a {type(generator).__name__}; pass e.g. lambda: my_generator().")
        call_args = tuple(args) if args is not None else ()
        return Dataset(lambda: (map_structure(_leaf, e) for e in generator(*call_args)), UNKNOWN)

    @staticmethod
    def zip(*datasets: Any, name: str | None = None) -> Dataset:
        """Elements of several datasets side by side, as tuples (a dict of datasets gives dicts); it ends with
        the shortest.

        >>> import numpy as np
        >>> a, b = Dataset.from_tensor_slices(np.arange(3)), Dataset.from_tensor_slices(np.arange(10, 12))
        >>> [(int(u), int(v)) for u, v in Dataset.zip(a, b)]
        [(0, 10), (1, 11)]
        """
        group = datasets[0] if len(datasets) == 1 and isinstance(datasets[0], (tuple, list, Mapping)) else datasets
        members = leaves(group)
        if not members or not all(isinstance(d, Dataset) for d in members):
            raise ConfigError("Dataset.zip takes datasets (a tuple or dict of them); got something else.")

        def iterate() -> Iterator[Any]:
            iterators = [iter(d) for d in members]
            for values in zip(*iterators):
                out = iter(values)
                yield map_structure(lambda _, out=out: next(out), group)

        counts = [d._cardinality for d in members]
        known = [c for c in counts if c >= 0]
        cardinality = min(known) if known else (UNKNOWN if UNKNOWN in counts else INFINITE)
        if known and UNKNOWN in counts:
            cardinality = UNKNOWN
        return Dataset(iterate, cardinality)

    @staticmethod
    def _of_rows(rows: _Rows) -> Dataset:
        def iterate() -> Iterator[Any]:
            order = rows.order()
            for start in range(0, len(order), _CHUNK):
                yield from _split(rows.fetch(order[start:start + _CHUNK]))

        return Dataset(iterate, rows.size, rows=rows)

    @staticmethod
    def _one_pass(iterator: Iterator[Any]) -> Dataset:
        """A dataset over an iterator (a Python generator): a second pass goes on where the first stopped."""
        return Dataset(lambda: (map_structure(_leaf, e) for e in iterator), UNKNOWN)

    # ------------------------------------------------------------------ reading it
    def __iter__(self) -> Iterator[Any]:
        return iter(self._iterate())

    def cardinality(self) -> int:
        """The number of elements: −1 (``INFINITE``) after ``repeat()``, −2 (``UNKNOWN``) after ``filter`` or for
        a generator. tf.data gives a tensor; this gives the number itself.

        >>> import numpy as np
        >>> ds = Dataset.from_tensor_slices(np.arange(5))
        >>> ds.cardinality(), ds.repeat().cardinality(), ds.filter(lambda v: v > 2).cardinality()
        (5, -1, -2)
        """
        return self._cardinality

    def __len__(self) -> int:
        if self._cardinality == INFINITE:
            raise TypeError("the dataset is infinite (repeat() without a count), so it has no length; use take(n) "
                            "or give fit steps_per_epoch.")
        if self._cardinality == UNKNOWN:
            raise TypeError("the dataset's length is unknown (after filter(), or from a generator); count it with "
                            "sum(1 for _ in ds), or use cardinality().")
        return self._cardinality

    def __repr__(self) -> str:
        count = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(self._cardinality, self._cardinality)
        names = getattr(self, "class_names", None)
        classes = f", class_names={names!r}" if names is not None else ""
        return f"<Dataset cardinality={count}{classes}>"

    def as_numpy_iterator(self) -> Iterator[Any]:
        """The elements with plain NumPy arrays (on the host) in place of every array or tensor.

        >>> import numpy as np
        >>> [type(a).__name__ for a in Dataset.from_tensor_slices(np.ones((2, 1))).as_numpy_iterator()]
        ['ndarray', 'ndarray']
        """
        def host(a: Any) -> Any:
            if isinstance(a, Tensor):
                return a.numpy()
            if isinstance(a, Batch):
                return a.numpy()
            return backend.to_numpy(a) if backend.is_array(a) else a

        return (map_structure(host, e) for e in self)

    # ------------------------------------------------------------------ transformations
    def batch(self, batch_size: int, drop_remainder: bool = False, num_parallel_calls: Any = None,
              deterministic: Any = None, name: str | None = None) -> Dataset:
        """Consecutive elements stacked into batches of ``batch_size`` (the last one smaller unless
        ``drop_remainder``).

        >>> import numpy as np
        >>> [b.shape for b in Dataset.from_tensor_slices(np.zeros((5, 2))).batch(2, drop_remainder=True)]
        [(2, 2), (2, 2)]
        """
        size = _positive(batch_size, "batch_size", "batch(32)")
        drop = bool(drop_remainder)
        count = self._cardinality
        if count >= 0:
            count = count // size if drop else -(-count // size)
        rows = self._rows
        if rows is not None:  # the rows are gathered a batch at a time, never one by one
            def gathered() -> Iterator[Any]:
                order = rows.order()
                end = len(order) - len(order) % size if drop else len(order)
                for start in range(0, end, size):
                    yield rows.fetch(order[start:start + size])

            unbatched = self if not drop else self.take(count * size)
            return Dataset(gathered, count, unbatched=unbatched)

        def stacked() -> Iterator[Any]:
            group: list[Any] = []
            for element in self:
                group.append(element)
                if len(group) == size:
                    yield _stack(group)
                    group = []
            if group and not drop:
                yield _stack(group)

        return Dataset(stacked, count, unbatched=self)

    def padded_batch(self, batch_size: int, padded_shapes: Any = None, padding_values: Any = None,
                     drop_remainder: bool = False, name: str | None = None) -> Dataset:
        """Consecutive elements stacked into batches of ``batch_size`` as :meth:`batch` does, each array first
        padded at the end of its axes to the batch's largest size along each (tf.data's ``padded_batch``), so that
        sequences of different lengths make one batch, and batches may differ in length.

        Args:
            batch_size: elements per batch (the last one smaller unless ``drop_remainder``).
            padded_shapes: None (every axis padded to the batch's longest), or the element's structure of shapes,
                one per array (a tuple of sizes, None or −1 for an axis padded to the batch's longest, a whole
                number for a fixed size; e.g. ``([None], [])`` for ``(tokens, label)`` elements).
            padding_values: what fills the padding: None (0; ``""`` for strings, False for booleans), one value
                for every array, or the element's structure of values (None in it for the default).
            drop_remainder: leave out a last batch smaller than ``batch_size``.

        >>> ds = Dataset.from_generator(lambda: iter([np.array([1, 2]), np.array([3]), np.array([4, 5, 6])]))
        >>> [b.tolist() for b in ds.padded_batch(2)]
        [[[1, 2], [3, 0]], [[4, 5, 6]]]
        >>> [b.tolist() for b in ds.padded_batch(3, padded_shapes=[4], padding_values=-1)]
        [[[1, 2, -1, -1], [3, -1, -1, -1], [4, 5, 6, -1]]]
        """
        size = _positive(batch_size, "padded_batch batch_size", "padded_batch(32)")
        _check_padded_shapes(padded_shapes)
        drop = bool(drop_remainder)
        count = self._cardinality
        if count >= 0:
            count = count // size if drop else -(-count // size)

        def padded() -> Iterator[Any]:
            group: list[Any] = []
            for element in self:
                group.append(element)
                if len(group) == size:
                    yield _pad_stack(group, padded_shapes, padding_values)
                    group = []
            if group and not drop:
                yield _pad_stack(group, padded_shapes, padding_values)

        return Dataset(padded, count)

    def unbatch(self, name: str | None = None) -> Dataset:
        """Each batch split into its rows, one element each (``batch``'s inverse).

        >>> import numpy as np
        >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(3)).batch(2).unbatch()]
        [0, 1, 2]
        """
        if self._unbatched is not None:
            return self._unbatched
        return Dataset(lambda: (row for element in self for row in _split(element)), UNKNOWN)

    def shuffle(self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True,
                name: str | None = None) -> Dataset:
        """The elements in a random order, tf.data's way: drawn from a buffer of the next ``buffer_size``
        elements (as large as the data or larger: a uniform shuffle). Every pass draws a new order unless
        ``reshuffle_each_iteration=False``; ``seed`` (else ``fl.set_seed``) makes the orders repeatable.

        >>> import numpy as np
        >>> ds = Dataset.from_tensor_slices(np.arange(4)).shuffle(4, seed=0)
        >>> first, second = [int(v) for v in ds], [int(v) for v in ds]
        >>> sorted(first), first != second
        ([0, 1, 2, 3], True)
        """
        size = _positive(buffer_size, "shuffle buffer_size", "shuffle(1000)")
        base = _seed(seed, "shuffle seed")
        passes = itertools.count()
        reshuffle = bool(reshuffle_each_iteration)

        def generator() -> np.random.Generator:
            return np.random.default_rng([base, next(passes) if reshuffle else 0])

        rows = self._rows
        if rows is not None:
            def order() -> np.ndarray:
                parent, rng = rows.order(), generator()
                if size >= len(parent):
                    return rng.permutation(parent)
                return np.fromiter(buffer_shuffled(parent.tolist(), size, rng), dtype=np.intp, count=len(parent))

            return Dataset._of_rows(rows.reordered(order, rows.size))
        return Dataset(lambda: buffer_shuffled(self, size, generator()), self._cardinality)

    def map(self, map_func: Callable[..., Any], num_parallel_calls: Any = None, deterministic: Any = None,
            name: str | None = None) -> Dataset:
        """``map_func`` applied to each element (a tuple's parts given as separate arguments, as tf.data does):
        ``ds.map(lambda x, y: (normalization_layer(x), y))``. What it returns is kept on the host, tensors as
        NumPy arrays (:class:`Batch`), as tf.data keeps its elements.

        >>> import numpy as np
        >>> [int(v) for v in Dataset.from_tensor_slices((np.arange(3), np.ones(3))).map(lambda a, b: a + b)]
        [1, 2, 3]
        """
        if not callable(map_func):
            raise ConfigError(f"map takes a function of an element, got a {type(map_func).__name__}; e.g. "
                              "ds.map(lambda x, y: (x / 255, y)).")

        def mapped() -> Iterator[Any]:
            for element in self:
                yield map_structure(_host, _call(map_func, element))

        return Dataset(mapped, self._cardinality)

    def filter(self, predicate: Callable[..., Any], name: str | None = None) -> Dataset:
        """Only the elements for which ``predicate`` is true (a tuple's parts as separate arguments).

        >>> import numpy as np
        >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(5)).filter(lambda v: v % 2 == 0)]
        [0, 2, 4]
        """
        if not callable(predicate):
            raise ConfigError(f"filter takes a function of an element that returns True or False, got a "
                              f"{type(predicate).__name__}.")
        return Dataset(lambda: (e for e in self if bool(_call(predicate, e))), UNKNOWN)

    def take(self, count: int, name: str | None = None) -> Dataset:
        """The first ``count`` elements (−1: all of them).

        >>> import numpy as np
        >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(5)).take(2)]
        [0, 1]
        """
        n = _count(count, "take count", "take(1)", allow_all=True)
        if n == -1:
            return self
        rows = self._rows
        if rows is not None:
            return Dataset._of_rows(rows.reordered(lambda: rows.order()[:n], min(n, rows.size)))
        total = self._cardinality
        return Dataset(lambda: itertools.islice(self, n), min(total, n) if total >= 0 else
                       (n if total == INFINITE else UNKNOWN))

    def skip(self, count: int, name: str | None = None) -> Dataset:
        """All but the first ``count`` elements (−1: none of them).

        >>> import numpy as np
        >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(5)).skip(3)]
        [3, 4]
        """
        n = _count(count, "skip count", "skip(1)", allow_all=True)
        if n == -1:
            return self.take(0)
        rows = self._rows
        if rows is not None:
            return Dataset._of_rows(rows.reordered(lambda: rows.order()[n:], max(rows.size - n, 0)))
        total = self._cardinality
        return Dataset(lambda: itertools.islice(self, n, None), max(total - n, 0) if total >= 0 else total)

    def repeat(self, count: int | None = None, name: str | None = None) -> Dataset:
        """The elements ``count`` times over (None or −1: without end), each time a new pass (reshuffled, if the
        dataset shuffles).

        >>> import numpy as np
        >>> [int(v) for v in Dataset.from_tensor_slices(np.arange(2)).repeat(2)]
        [0, 1, 0, 1]
        """
        n = -1 if count is None else _count(count, "repeat count", "repeat(3), or repeat() for no end",
                                            allow_all=True)

        def repeated() -> Iterator[Any]:
            for _ in (itertools.count() if n == -1 else range(n)):
                yield from self

        total = self._cardinality
        if n == -1:
            cardinality = 0 if total == 0 else (UNKNOWN if total == UNKNOWN else INFINITE)
        else:
            cardinality = total * n if total >= 0 else total
        return Dataset(repeated, cardinality)

    def cache(self, filename: str = "", name: str | None = None) -> Dataset:
        """The same elements, kept in memory by the first full pass and given again by the later ones (so images
        are read and decoded once). fnlearn caches in memory only: a ``filename`` is refused.

        >>> import numpy as np
        >>> calls = []
        >>> ds = Dataset.from_tensor_slices(np.arange(3)).map(lambda v: calls.append(1) or v).cache()
        >>> _ = list(ds), list(ds); len(calls)
        3
        """
        if filename:
            raise ConfigError(f"cache(filename={filename!r}): fnlearn caches datasets in memory only; call cache() "
                              "without a file name.")
        kept: list[list[Any]] = []

        def cached() -> Iterator[Any]:
            if kept:
                yield from kept[0]
                return
            elements = []
            for element in self:
                elements.append(element)
                yield element
            if not kept:  # only a pass that ran to its end is kept
                kept.append(elements)

        return Dataset(cached, self._cardinality)

    def prefetch(self, buffer_size: int, name: str | None = None) -> Dataset:
        """The same dataset: fnlearn reads a batch when the loop asks for it, so there is nothing to prepare ahead
        (``buffer_size``, e.g. ``tf.data.AUTOTUNE``, is checked and otherwise unused).

        >>> import numpy as np
        >>> ds = Dataset.from_tensor_slices(np.arange(3))
        >>> ds.prefetch(AUTOTUNE).cardinality()
        3
        """
        if isinstance(buffer_size, bool) or not isinstance(buffer_size, (int, np.integer)) or buffer_size < -1:
            raise ConfigError(f"prefetch buffer_size must be a whole number ≥ 0 or tf.data.AUTOTUNE, got "
                              f"{buffer_size!r}.")
        return self


def _columns(tensors: Any, rows_needed: bool = True) -> Any:
    """A dataset's source as arrays: tuples and dicts are its structure, anything else (a list too, as tf.data
    reads it) one array."""
    if isinstance(tensors, tuple):
        return tuple(_columns(item, rows_needed) for item in tensors)
    if isinstance(tensors, Mapping):
        return {key: _columns(item, rows_needed) for key, item in tensors.items()}
    return _as_column(tensors, rows_needed)


def _as_column(value: Any, rows_needed: bool = True) -> Any:
    """One array of a dataset's source: tensors give their array, lists and numbers become NumPy arrays."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, Dataset):
        raise ConfigError("from_tensor_slices takes arrays, not a dataset; use the dataset itself (or "
                          "Dataset.zip to pair two).")
    if not (backend.is_array(value) or isinstance(value, np.ndarray)):
        value = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    if rows_needed and value.ndim == 0:
        raise ShapeError(f"from_tensor_slices got a single value ({value!r}), which has no rows to slice; pass "
                         "an array with one row per element.")
    return value


class PyDataset:
    """Batches made by Python code, Keras 3's ``keras.utils.PyDataset`` (also ``keras.utils.Sequence``): subclass it,
    call ``super().__init__(**kwargs)``, and define ``__len__`` (the batches of one epoch) and ``__getitem__(index)``
    (batch ``index``: ``(x, y)``, ``(x, y, sample_weight)`` or ``x`` alone), and if needed ``on_epoch_begin()`` and
    ``on_epoch_end()`` (reshuffle the samples there, say). ``fit``, ``evaluate`` and ``predict`` take one as ``x``
    (and ``fit`` as ``validation_data``).

    One pass reads batches 0 … len − 1, ``on_epoch_begin()`` before the first and ``on_epoch_end()`` after the last:
    once per epoch in ``fit``, once per validation and once per ``evaluate`` or ``predict``. As in Keras 3,
    ``fit(shuffle=True)`` (its default) reads the training batches in a new random order every epoch (drawn from
    ``fl.set_seed``'s generator); ``shuffle=False``, the validation data, ``evaluate`` and ``predict`` read them in
    index order. A ``num_batches`` property returning None makes it endless (``fit`` then needs
    ``steps_per_epoch``). ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted and kept, but the
    batches are made in the calling thread, one at a time, when the loop asks for them. Iterating over it
    (``for batch in ds``) gives the batches in index order and calls neither hook, as Keras's does.

    >>> import numpy as np
    >>> class Squares(PyDataset):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...     def __len__(self):
    ...         return 3
    ...     def __getitem__(self, index):
    ...         x = np.full((2, 1), float(index))
    ...         return x, x ** 2
    >>> [y.ravel().tolist() for _, y in Squares(workers=4)]
    [[0.0, 0.0], [1.0, 1.0], [4.0, 4.0]]
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 0:
            raise ConfigError(f"workers must be a whole number ≥ 0, got {workers!r}; e.g. workers=1 (fnlearn makes "
                              "the batches in the calling thread whatever the number).")
        if not isinstance(use_multiprocessing, (bool, np.bool_)):
            raise ConfigError(f"use_multiprocessing must be True or False, got {use_multiprocessing!r}.")
        if isinstance(max_queue_size, bool) or not isinstance(max_queue_size, (int, np.integer)) or max_queue_size < 1:
            raise ConfigError(f"max_queue_size must be a whole number ≥ 1, got {max_queue_size!r}; e.g. "
                              "max_queue_size=10.")
        self._workers = int(workers)
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = int(max_queue_size)

    # a subclass that skipped super().__init__() still works: nothing here depends on these settings
    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} defines no __getitem__(index); a PyDataset gives batch "
                                  "number index from it, e.g. return x[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32].")

    @property
    def num_batches(self) -> int | None:
        """The batches of one epoch: ``len(self)``, or None for an endless dataset (a subclass may override this
        property instead of defining ``__len__``)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(f"{type(self).__name__} defines neither __len__ nor num_batches; define __len__ "
                                  "to return the number of batches of one epoch.")

    def __iter__(self) -> Iterator[Any]:
        count = self.num_batches
        for index in (range(count) if count is not None else itertools.count()):
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called before the first batch of each pass."""

    def on_epoch_end(self) -> None:
        """Called after the last batch of each pass."""


def _batch_count(source: PyDataset) -> int | None:
    """A PyDataset's batches per pass, checked: a whole number ≥ 0, or None (endless)."""
    name = type(source).__name__
    try:
        count = source.num_batches
    except (TypeError, ValueError, OverflowError) as exc:  # len() of a float, a negative number…
        raise DataError(f"{name}.__len__ must give the number of batches of one epoch, a whole number ≥ 0 ({exc}); "
                        "e.g. return math.ceil(len(self.x) / self.batch_size).") from exc
    if count is not None and (isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0):
        raise DataError(f"{name}.num_batches gave {count!r}, expected the number of batches of one epoch (a whole "
                        "number ≥ 0) or None for an endless dataset.")
    return None if count is None else int(count)


def _py_dataset_batches(source: PyDataset, shuffle: bool) -> Dataset:
    """A PyDataset as a :class:`Dataset` of its batches: each pass runs on_epoch_begin, the batches in index order
    (or a random one, when ``shuffle``), then on_epoch_end."""
    count = _batch_count(source)
    orders: list[np.random.Generator] = []  # the shuffle's generator, seeded at the first shuffled pass

    def one_pass() -> Iterator[Any]:
        total = _batch_count(source)  # read again at every pass, as Keras does: on_epoch_end may change it
        indices: Iterable[int] = range(total) if total is not None else itertools.count()
        if shuffle and total is not None:
            if not orders:
                orders.append(np.random.default_rng(int(backend.rng().integers(2**62))))
            indices = orders[0].permutation(total).tolist()
        source.on_epoch_begin()
        for index in indices:
            yield map_structure(_leaf, source[index])
        source.on_epoch_end()

    return Dataset(one_pass, INFINITE if count is None else count)


_ARRAY_LIKE = ("__array__", "__array_interface__", "__cuda_array_interface__", "to_numpy")


def batch_source(data: Any, shuffle: bool = False) -> Dataset | None:
    """``data`` as a :class:`Dataset` when fit / evaluate / predict should read it batch by batch: a Dataset; a
    :class:`PyDataset` (its batches in index order, or a new random order at each pass when ``shuffle``, which only
    fit's training data ask for, as in Keras 3); an iterator (a Python generator) of batches, read once; or another
    iterable of batches that is no array, list, tuple or dict (an object with ``__iter__``), read afresh at every
    pass. None for arrays and the like.

    >>> batch_source([1.0, 2.0]) is None, batch_source(iter([])).cardinality()
    (True, -2)
    """
    if isinstance(data, Dataset):
        return data
    if isinstance(data, PyDataset):
        return _py_dataset_batches(data, bool(shuffle))
    if isinstance(data, Iterator):
        return Dataset._one_pass(data)
    if isinstance(data, Iterable) and not isinstance(data, (str, bytes, Sequence, Mapping, Tensor)) and \
            not any(hasattr(data, name) for name in _ARRAY_LIKE):
        count = len(data) if hasattr(data, "__len__") else UNKNOWN
        return Dataset(lambda: (map_structure(_leaf, e) for e in data), count)
    return None


__all__ = ["Dataset", "PyDataset", "Batch", "AUTOTUNE", "INFINITE", "UNKNOWN", "batch_source", "buffer_shuffled",
           "map_structure"]
