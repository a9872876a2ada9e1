"""Lookup and encoding layers for categorical features — Keras 3's ``StringLookup``, ``IntegerLookup`` and
``CategoryEncoding``, as its "Structured data classification from scratch" and many tabular examples use them.

``StringLookup`` and ``IntegerLookup`` map each value (a string, a whole number) to its index in a vocabulary,
learned by :meth:`~_Lookup.adapt` (the most frequent values first, ties from the highest value down) or given;
values outside it go to the out-of-vocabulary (OOV) indices, which come first (after index 0 for the mask token,
when there is one, in ``"int"`` mode). ``invert=True`` maps indices back to values. Besides the indices
(``"int"``, int64), the layers give float vectors of vocabulary size: ``"one_hot"`` (one per value),
``"multi_hot"``, ``"count"`` and ``"tf_idf"`` (one per sample, its values along the last axis).
``CategoryEncoding`` gives those vectors for indices known beforehand (``num_tokens`` of them).

Strings cannot flow through fnlearn's tensors: ``StringLookup`` takes a NumPy array or a list of ``str``
(``bytes`` are decoded), used where the data are prepared, ``ds.map(lambda x, y: (lookup(x), y))``; its
inverse returns a NumPy array of ``str``. ``IntegerLookup`` and ``CategoryEncoding`` also take tensors of whole
numbers, so they may start a model (``Input`` → ``IntegerLookup`` → ``CategoryEncoding`` → ``Dense``). None of
them has weights or gradients (their inputs are indices).

Every rule is Keras 3's (whose lookup layers run on TensorFlow; ``CategoryEncoding`` is checked against Keras on
JAX). Where fnlearn differs, on purpose: the ``"one_hot"``, ``"multi_hot"`` and ``"count"`` vectors of the lookup
layers are floats (Keras's are int64), what the Dense layer after them computes with; a ``StringLookup`` with
``num_oov_indices > 1`` spreads the OOV strings over its OOV indices by a BLAKE2 hash, where Keras uses FarmHash
(so the bucket of a string differs; ``IntegerLookup`` uses Keras's ``value % num_oov_indices``); for
``"tf_idf"``, ``adapt`` reads each row of a 2-D batch as one document and each value of a 1-D batch as one (Keras
reads a 1-D dataset batch as one document); ``CategoryEncoding`` refuses an index outside ``[0, num_tokens)``
in one sentence, where Keras drops it silently; ``sparse=True`` is refused (outputs are dense).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> lookup = fl.layers.StringLookup()
    >>> lookup.adapt(np.array(["b", "a", "c", "a", "b", "a"]))
    >>> lookup.get_vocabulary()
    ['[UNK]', 'a', 'b', 'c']
    >>> lookup(np.array([["a"], ["z"]])).numpy().tolist()
    [[1], [0]]
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, DataError, NotReadyError, ShapeError, did_you_mean
from ..tensor import Tensor, as_array
from .layers import LAYERS, Layer, _reject_unknown_kwargs, adapt_batches
from .module import Symbolic
from .vocabulary import (
    VocabularyLayer,
    _encoding,
    _flag,
    _mode,
    _no_sparse,
    _refuse_symbolic,
    _string_array,
    _whole,
    bag,
)

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
_ENCODINGS = ("multi_hot", "one_hot", "count")
_DROPPED = -1  # the index of a mask token outside "int" mode: it counts nowhere
# Keras's hidden settings (has_input_vocabulary keeps a loaded layer that was adapted adaptable; vocabulary_size
# follows from the vocabulary) and the input shape a Sequential gives its first layer
_ALSO_TAKEN = ("has_input_vocabulary", "vocabulary_size", "input_shape", "input_dim")


def _whole_numbers(x: Any, owner: str, what: str) -> np.ndarray:
    """``x`` (an array, a list, a tensor, a number) as an int64 NumPy array; values that are not whole numbers
    refused in one sentence."""
    raw = backend.to_numpy(x.data) if isinstance(x, Tensor) else x
    raw = backend.to_numpy(raw) if backend.is_array(raw) and not isinstance(raw, np.ndarray) else raw
    try:
        values = np.asarray(raw)
    except ValueError:
        raise ShapeError(f"layer {owner!r} got rows of different lengths in {what}; give an array of one "
                         "shape.") from None
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "b" or values.dtype.kind not in "f" \
            or (values.size and not bool(np.all(np.isfinite(values) & (values == np.floor(values))))):
        found = f"values of type {values.dtype}" if values.dtype.kind != "f" else "values that are not whole numbers"
        raise DataError(f"layer {owner!r} takes whole numbers, got {found} in {what}; give integer values (a "
                        "StringLookup takes strings).")
    return values.astype(np.int64)


def encode(ids: np.ndarray, mode: str, depth: int, dtype: Any, weights: np.ndarray | None = None) -> np.ndarray:
    """Keras's ``encode_categorical_inputs`` on indices in ``[0, depth)`` (``_DROPPED`` counts nowhere):
    ``"one_hot"`` a vector per index (a last axis of size 1 is replaced by the vector), the others a vector per
    sample, the last axis summed away (a scalar is one sample); ``weights`` (the shape of ``ids``) are what each
    index adds in ``"count"`` mode.

    >>> encode(np.array([[0, 2, 2], [1, -1, 1]]), "count", 3, "float32").tolist()
    [[1.0, 0.0, 2.0], [0.0, 2.0, 0.0]]
    """
    if ids.ndim == 0:
        ids = ids.reshape(1)
        weights = None if weights is None else weights.reshape(1)
    if mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids.reshape(ids.shape[:-1])
        out = np.zeros((ids.size, depth), dtype=dtype)
        kept = (ids.reshape(-1) >= 0).nonzero()[0]
        out[kept, ids.reshape(-1)[kept]] = 1
        return out.reshape(*ids.shape, depth)
    samples = ids.reshape(-1, ids.shape[-1])
    rows = np.repeat(np.arange(samples.shape[0]), samples.shape[1])
    out = bag(rows, samples.reshape(-1), samples.shape[0], depth, mode, dtype,
              None if weights is None else np.reshape(weights, -1))
    return out.reshape(*ids.shape[:-1], depth)


def _encoded_shape(sample_shape: tuple[int, ...], mode: str, depth: int, owner: str) -> tuple[int, ...]:
    """The sample shape :func:`encode` gives for samples of ``sample_shape`` (batch axis excluded)."""
    shape = tuple(sample_shape)
    if mode == "one_hot":
        return (*(shape[:-1] if shape and shape[-1] == 1 else shape), depth)
    if not shape:
        raise ShapeError(f"layer {owner!r} ({mode}) gives one vector per sample from the values along its last "
                         "axis, but its samples are single values (shape ()); give samples of shape (values,), "
                         "e.g. Input(shape=(1,)).")
    return (*shape[:-1], depth)


class _Lookup(VocabularyLayer):
    """What ``StringLookup`` and ``IntegerLookup`` share (Keras's ``IndexLookup``) beyond the vocabulary
    (:class:`~fnlearn.nn.vocabulary.VocabularyLayer`): the special indices, the lookups both ways and the output
    modes."""

    _what = "values"  # how the one-sentence errors name the layer's values, and one of them
    _entry = "value"
    _train = "train_values"

    def __init__(self, max_tokens: int | None, num_oov_indices: int, mask_token: Any, oov_token: Any,
                 vocabulary: Any, idf_weights: Any, invert: bool, output_mode: str, pad_to_max_tokens: bool,
                 sparse: bool, name: str | None, kwargs: dict[str, Any]) -> None:
        kind = type(self).__name__
        _no_sparse(kind, sparse)
        mode = _mode(output_mode)
        if mode not in _MODES:
            raise ConfigError(f"{kind} output_mode must be 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf', got "
                              f"{output_mode!r}; {did_you_mean(output_mode, _MODES)}e.g. output_mode='int'.")
        self.output_mode = mode
        self.invert = _flag(invert, kind, "invert")
        if self.invert and mode != "int":
            raise ConfigError(f"{kind} got invert=True with output_mode={mode!r}; the inverse maps indices back to "
                              "values, so it takes output_mode='int' (the default).")
        if not _whole(num_oov_indices, 0):
            raise ConfigError(f"{kind} num_oov_indices must be a whole number ≥ 0, got {num_oov_indices!r}; e.g. "
                              "num_oov_indices=1 (every value outside the vocabulary at one index).")
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = self._special(mask_token, "mask_token", allow_none=True)
        self.oov_token = self._special(oov_token, "oov_token", allow_none=kind == "IntegerLookup")
        if self.mask_token is not None and self.mask_token == self.oov_token:
            raise ConfigError(f"{kind} got the same mask_token and oov_token {self.mask_token!r}; give two "
                              "different values.")
        self._oov_start = 1 if self.mask_token is not None and mode == "int" else 0
        self._token_start = self._oov_start + self.num_oov_indices
        self._sizes(kind, max_tokens, max(2, self._token_start + 1),
                    f" (its {self._token_start} special index(es) and one value)", 1000, pad_to_max_tokens)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self._start_vocabulary(vocabulary, idf_weights, kwargs)

    # ------------------------------------------------------------------ what differs between the two
    def _special(self, value: Any, what: str, allow_none: bool) -> Any:
        raise NotImplementedError

    def _values(self, x: Any, what: str) -> np.ndarray:
        """``x`` as a NumPy array of the layer's values (``str`` objects, or int64)."""
        raise NotImplementedError

    def _oov_buckets(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ the vocabulary
    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn the vocabulary (and, for ``"tf_idf"``, the idf weights) from ``data``: an array or a list of
        values, or a dataset (``fl.data.Dataset``, a generator) of batches of them or of (values, label) pairs,
        of which the values are read; ``steps`` reads only that many of its batches. Values are ordered by
        frequency, ties from the highest value down; the mask and OOV tokens are left out; ``max_tokens`` keeps
        the first.

        >>> import fnlearn as fl
        >>> layer = fl.layers.IntegerLookup()
        >>> layer.adapt([7, 3, 3, 9, 7])
        >>> layer.get_vocabulary()
        [-1, 7, 3, 9]
        """
        self._adapt(data, steps, self._what)

    def _adapt_rows(self, batch: Any) -> list[list[Any]]:
        values = self._values(batch, "the data given to adapt")
        return (values.reshape(-1, 1) if values.ndim < 2 else values.reshape(values.shape[0], -1)).tolist()

    def _reserved(self) -> tuple[Any, ...]:
        return self.mask_token, self.oov_token

    def _nothing_learned(self, samples: int) -> str:
        return (f"layer {self.name!r} found no {self._what} besides its mask and OOV tokens in the {samples} "
                f"sample(s) given to adapt; pass the training {self._what}, e.g. layer.adapt(train_values).")

    def _check_specials(self, given: list[Any], tokens: list[Any], specials: list[Any]) -> None:
        for token, what in ((self.mask_token, "mask"), (self.oov_token if self.invert else None, "OOV")):
            if token is not None and token in tokens:
                raise ConfigError(f"layer {self.name!r} got a vocabulary holding its {what} token {token!r} among "
                                  f"the {self._what}; leave it out (or only at the start, as get_vocabulary() "
                                  f"gives the special tokens: {specials!r}).")

    def _use(self, tokens: list[Any], idf: np.ndarray | None) -> None:
        if self._tokens is not None and self.output_mode != "int" and not self.pad_to_max_tokens \
                and len(tokens) != len(self._tokens) and self.__dict__.get("_called"):
            raise ConfigError(f"layer {self.name!r} (output_mode={self.output_mode!r}) has been called with vectors "
                              f"of {self._depth()} values, so its vocabulary cannot change size; give "
                              "pad_to_max_tokens=True with max_tokens, or a new layer.")
        super()._use(tokens, idf)

    def _specials(self) -> list[Any]:
        return [self.mask_token] * self._oov_start + [self.oov_token] * self.num_oov_indices

    # ------------------------------------------------------------------ values in, numbers out
    def forward(self, x: Any) -> Any:
        self._check_ready()
        self.__dict__["_called"] = True
        if self.invert:
            return self._inverse(_whole_numbers(x, self.name, "its input"))
        values = self._values(x, "its input")
        ids = self._ids(values)
        if self.output_mode == "int":
            return Tensor(backend.to_device(ids))
        return Tensor(backend.to_device(self._weighted(encode(ids, self.output_mode, self._depth(), self.dtype))))

    def _ids(self, values: np.ndarray) -> np.ndarray:
        """Each value's index: its place in the vocabulary, the mask token 0 in "int" mode (dropped in the
        others), another value one of the OOV indices (refused without any)."""
        flat = values.reshape(-1).tolist()
        unknown = -2
        ids = np.fromiter((self._index.get(v, unknown) for v in flat), dtype=np.int64, count=len(flat))
        if self.mask_token is not None:
            ids[np.fromiter((v == self.mask_token for v in flat), dtype=bool, count=len(flat))] = \
                0 if self.output_mode == "int" else _DROPPED
        outside = ids == unknown
        if outside.any():
            if self.num_oov_indices == 0:
                first = flat[int(outside.nonzero()[0][0])]
                raise DataError(f"layer {self.name!r} (num_oov_indices=0) got {first!r}, which is not in its "
                                "vocabulary; give num_oov_indices=1 to map such values to an OOV index.")
            if self.num_oov_indices == 1:
                ids[outside] = self._oov_start
            else:
                ids[outside] = self._oov_start + self._oov_buckets(np.array(flat, dtype=object)[outside])
        return ids.reshape(values.shape)

    def _inverse(self, indices: np.ndarray) -> Any:
        """Each index's value: the mask token at 0 when set, the OOV token at an OOV index or outside."""
        table = self.get_vocabulary()
        out = [table[i] if self._token_start <= i < len(table) else self.oov_token for i in indices.reshape(-1)]
        if self.mask_token is not None:
            out = [self.mask_token if i == 0 else v for i, v in zip(indices.reshape(-1).tolist(), out)]
        return self._inverse_output(out, indices.shape)

    def _inverse_output(self, values: list[Any], shape: tuple[int, ...]) -> Any:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """One sample's output shape: the input's in ``"int"`` mode, with a vocabulary-sized last axis in the
        others (see :func:`encode`)."""
        if self.output_mode == "int":
            return tuple(input_shape)
        if self._tokens is None and not self.pad_to_max_tokens:
            raise NotReadyError(f"layer {self.name!r} (output_mode={self.output_mode!r}) gives vectors of its "
                                "vocabulary's size, which it has not learned yet; call adapt(train_values) (or "
                                "give vocabulary=) before building the model.")
        return _encoded_shape(tuple(input_shape), self.output_mode, self._depth(), self.name)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_oov_indices": self.num_oov_indices, "mask_token": self.mask_token,
                "oov_token": self.oov_token, "invert": self.invert}


class StringLookup(_Lookup):
    """Strings to indices (or to one-hot, multi-hot, count or tf-idf vectors), Keras's ``layers.StringLookup``;
    see the module's description for the rules.

    Args:
        max_tokens: the largest vocabulary, special indices included (the most frequent strings are kept).
        num_oov_indices: how many indices strings outside the vocabulary share (1; 0 refuses them).
        mask_token: a string that means "no value" (index 0 in ``"int"`` mode, counted nowhere in the others).
        oov_token: what the inverse gives for an OOV index (``"[UNK]"``).
        vocabulary: the strings (a list, an array, or the path of a file of one per line) instead of ``adapt``.
        idf_weights: ``"tf_idf"`` mode with ``vocabulary``: one weight per entry of it.
        invert: map indices back to strings (``"int"`` mode).
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        pad_to_max_tokens: vectors of ``max_tokens`` values even for a smaller vocabulary.
        encoding: how ``bytes`` inputs (and a vocabulary file) are decoded (``"utf-8"``).

    >>> import fnlearn as fl
    >>> colour = fl.layers.StringLookup(vocabulary=["red", "green", "blue"], output_mode="one_hot")
    >>> colour(["blue", "pink"]).numpy().tolist()
    [[0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 0.0, 0.0]]
    """

    _what = "strings"
    _entry = "string"
    _example = ["red", "green"]
    _files = True

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: str | None = None,
                 oov_token: str = "[UNK]", vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False, sparse: bool = False,
                 encoding: str = "utf-8", name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("StringLookup", {k: v for k, v in kwargs.items() if not (k == "salt" and v is None)},
                               allow=_ALSO_TAKEN)
        self.encoding = _encoding("StringLookup", encoding)
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, pad_to_max_tokens, sparse, name, kwargs)

    def _special(self, value: Any, what: str, allow_none: bool) -> Any:
        if (value is None and allow_none) or isinstance(value, str):
            return value
        raise ConfigError(f"StringLookup {what} must be a string{' or None' if allow_none else ''}, got "
                          f"{value!r}; e.g. {what}={'[UNK]' if what == 'oov_token' else ''!r}.")

    def _token(self, value: Any) -> Any:
        if isinstance(value, bytes):
            try:
                return value.decode(self.encoding)
            except UnicodeDecodeError:
                return None
        return value if isinstance(value, str) else None

    def _file_lines(self, lines: list[str]) -> list[str]:
        while lines and lines[-1] == "":  # blank lines at the end of the file
            lines.pop()
        return lines

    def _values(self, x: Any, what: str) -> np.ndarray:
        values = _string_array(self, x, what, "strings (a NumPy array or a list of them)",
                               "look them up where the data are prepared: ds.map(lambda x, y: (lookup(x), y))",
                               "give an array of one shape")
        for position, value in enumerate(values.flat):
            token = self._token(value)
            if token is None:
                raise DataError(f"layer {self.name!r} takes strings, got {type(value).__name__} {value!r} at "
                                f"position {position} of {what}; give str values (or bytes in {self.encoding}), "
                                "or use IntegerLookup for whole numbers.")
            values.flat[position] = token
        return values

    def _oov_buckets(self, values: np.ndarray) -> np.ndarray:
        def bucket(value: str) -> int:
            digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest()
            return int.from_bytes(digest, "little") % self.num_oov_indices

        return np.fromiter(map(bucket, values.tolist()), dtype=np.int64, count=values.size)

    def _inverse_output(self, values: list[Any], shape: tuple[int, ...]) -> np.ndarray:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out.reshape(shape).astype(str) if out.size else np.zeros(shape, dtype=str)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _refuse_symbolic(self, args, "look the strings up where the data are prepared, "
                         "ds.map(lambda x, y: (lookup(x), y)), and start the model at the layer after it")
        return super().__call__(*args, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "encoding": self.encoding}


class IntegerLookup(_Lookup):
    """Whole numbers (category codes, ids) to indices (or to one-hot, multi-hot, count or tf-idf vectors),
    Keras's ``layers.IntegerLookup``; see the module's description for the rules. It takes arrays, lists and
    tensors of whole numbers, so it may start a model.

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert, output_mode, pad_to_max_tokens: as
            :class:`StringLookup`'s (an OOV value ``v`` goes to OOV index ``v % num_oov_indices``).
        mask_token: a value that means "no value" (index 0 in ``"int"`` mode, counted nowhere in the others).
        oov_token: what the inverse gives for an OOV index (-1).

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], mask_token=0)
    >>> layer(np.array([[12, 1138, 0], [42, 1000, 36]])).numpy().tolist()
    [[2, 4, 0], [5, 1, 3]]
    """

    _what = "whole numbers"
    _example = [12, 36]

    def __init__(self, max_tokens: int | None = None, num_oov_indices: int = 1, mask_token: int | None = None,
                 oov_token: int = -1, vocabulary: Any = None, vocabulary_dtype: str = "int64", idf_weights: Any = None,
                 invert: bool = False, output_mode: str = "int", sparse: bool = False,
                 pad_to_max_tokens: bool = False, name: str | None = None, **kwargs: Any) -> None:
        method = kwargs.pop("oov_method", "floormod")
        if method != "floormod" or kwargs.get("salt") is not None:
            raise ConfigError(f"IntegerLookup got oov_method={method!r} / salt={kwargs.get('salt')!r}; fnlearn has "
                              "Keras's default only, an OOV value v at OOV index v % num_oov_indices; leave both "
                              "out.")
        kwargs.pop("salt", None)
        _reject_unknown_kwargs("IntegerLookup", kwargs, allow=_ALSO_TAKEN)
        if vocabulary_dtype != "int64":
            raise ConfigError(f"IntegerLookup vocabulary_dtype must be 'int64' (Keras's only one), got "
                              f"{vocabulary_dtype!r}; leave it out.")
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary, idf_weights, invert,
                         output_mode, pad_to_max_tokens, sparse, name, kwargs)

    def _special(self, value: Any, what: str, allow_none: bool) -> Any:
        if (value is None and allow_none) or self._token(value) is not None:
            return None if value is None else int(value)
        raise ConfigError(f"IntegerLookup {what} must be a whole number{' or None' if allow_none else ''}, got "
                          f"{value!r}; e.g. {what}={-1 if what == 'oov_token' else 0}.")

    def _token(self, value: Any) -> Any:
        if isinstance(value, (bool, np.bool_)):
            return None
        if isinstance(value, (int, np.integer)):
            return int(value)
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(value)
        return None

    def _values(self, x: Any, what: str) -> np.ndarray:
        if isinstance(x, Symbolic):
            raise ShapeError(f"layer {self.name!r} was given a symbolic input to compute on; call it on data.")
        return _whole_numbers(x, self.name, what)

    def _oov_buckets(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values.tolist(), dtype=np.int64) % self.num_oov_indices

    def _inverse_output(self, values: list[Any], shape: tuple[int, ...]) -> Tensor:
        return Tensor(backend.to_device(np.asarray(values, dtype=np.int64).reshape(shape)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocabulary_dtype": "int64"}


class CategoryEncoding(Layer):
    """Indices known beforehand (``0 … num_tokens - 1``) to one-hot, multi-hot or count vectors, Keras's
    ``layers.CategoryEncoding``: ``"one_hot"`` a vector per index (a last axis of size 1 is replaced by it),
    ``"multi_hot"`` (default) and ``"count"`` a vector per sample, over the indices along its last axis.
    ``count_weights`` (the inputs' shape) are what each index adds in ``"count"`` mode. An index outside
    ``[0, num_tokens)`` is refused in one sentence (Keras drops it silently).

    >>> import fnlearn as fl
    >>> fl.layers.CategoryEncoding(num_tokens=4, output_mode="count")([[0, 1], [3, 3]]).numpy().tolist()
    [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]]
    """

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot", sparse: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("CategoryEncoding", kwargs, allow=("input_shape", "input_dim"))
        mode = _mode(output_mode)
        if mode not in _ENCODINGS:
            raise ConfigError(f"CategoryEncoding output_mode must be 'multi_hot', 'one_hot' or 'count', got "
                              f"{output_mode!r}; {did_you_mean(output_mode, _ENCODINGS)}e.g. output_mode='one_hot'.")
        if not _whole(num_tokens, 1):
            raise ConfigError(f"CategoryEncoding num_tokens must be a whole number ≥ 1, the number of categories, "
                              f"got {num_tokens!r}; for values not known beforehand use IntegerLookup.")
        _no_sparse("CategoryEncoding", sparse)
        self.num_tokens = int(num_tokens)
        self.output_mode = mode
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any, count_weights: Any = None) -> Tensor:
        ids = _whole_numbers(x, self.name, "its input")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_tokens):
            found = int(ids.min()) if ids.min() < 0 else int(ids.max())
            raise DataError(f"layer {self.name!r} takes indices from 0 to {self.num_tokens - 1} "
                            f"(num_tokens={self.num_tokens}), got {found}; give num_tokens = the largest index + 1, "
                            "or map the values to indices first with IntegerLookup.")
        weights = None
        if count_weights is not None:
            if self.output_mode != "count":
                raise ConfigError(f"layer {self.name!r} got count_weights, which are for output_mode='count' only "
                                  f"(it has output_mode={self.output_mode!r}); leave them out.")
            raw = count_weights.data if isinstance(count_weights, Tensor) else count_weights
            weights = np.asarray(backend.to_numpy(raw) if backend.is_array(raw) else raw, dtype=np.float64)
            if weights.shape != ids.shape:
                raise ShapeError(f"layer {self.name!r} takes count_weights of its inputs' shape {ids.shape}, got "
                                 f"shape {weights.shape}; give one weight per index.")
        return Tensor(backend.to_device(encode(ids, self.output_mode, self.num_tokens, self.dtype, weights)))

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _encoded_shape(tuple(input_shape), self.output_mode, self.num_tokens, self.name)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


def _summary(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Keras's quantile summary of one batch (on the host: a few sorts of a data set's values, done once): about 1/ε
    of its sorted values, evenly spaced, each standing for the values up to it (row 0 the values, row 1 their
    weights)."""
    values = np.sort(values.reshape(-1))
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full(kept.shape, step, dtype=np.float32)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Keras's compression of a summary to 1/ε values, interpolated along the cumulative weights; the boundaries of
    ``n`` bins are the compression to 1/n values, the last left out."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    shares = cumulative / cumulative[-1]
    cut = np.interp(percents, shares, cumulative)
    weights = cut - np.concatenate(([0], cut[:-1]))
    return np.stack((np.interp(percents, shares, summary[0]), weights)).astype(np.float32)


class Discretization(Layer):
    """Numbers to the index of the range they fall in, Keras's ``layers.Discretization``: ``bin_boundaries=[0, 1,
    2]`` makes the bins (−∞, 0), [0, 1), [1, 2), [2, ∞), indices 0 … 3; or ``num_bins`` bins of about as many values
    each, their boundaries learned by :meth:`adapt` from the data's quantiles (Keras's approximate quantiles, ε =
    ``epsilon``, so the same boundaries as Keras). ``output_mode`` ``"int"`` gives the indices; ``"one_hot"``,
    ``"multi_hot"`` and ``"count"`` vectors as ``CategoryEncoding`` makes them.

    >>> import numpy as np, fnlearn as fl
    >>> fl.layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])(np.array([[-1.5, 1.0, 3.4, 0.5]])).numpy().tolist()
    [[0, 2, 3, 1]]
    >>> layer = fl.layers.Discretization(num_bins=4, epsilon=0.01)
    >>> layer.adapt(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]))
    >>> layer(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]])).numpy().tolist()
    [[0, 2, 3, 2], [1, 3, 3, 1]]
    """

    def __init__(self, bin_boundaries: Any = None, num_bins: int | None = None, epsilon: float = 0.01,
                 output_mode: str = "int", sparse: bool = False, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Discretization", kwargs, allow=("input_shape", "input_dim"))
        mode = _mode(output_mode)
        if mode not in ("int", *_ENCODINGS):
            raise ConfigError(f"Discretization output_mode must be 'int', 'one_hot', 'multi_hot' or 'count', got "
                              f"{output_mode!r}; {did_you_mean(output_mode, ('int', *_ENCODINGS))}e.g. "
                              "output_mode='int'.")
        _no_sparse("Discretization", sparse)
        if (bin_boundaries is None) == (num_bins is None):
            raise ConfigError(f"Discretization takes either bin_boundaries or num_bins, got "
                              f"{'both' if num_bins is not None else 'neither'}; give bin_boundaries=[0.0, 1.0] for "
                              "bins of your own, or num_bins=4 and call adapt(data) to learn them.")
        if num_bins is not None and not _whole(num_bins, 1):
            raise ConfigError(f"Discretization num_bins must be a whole number ≥ 1, got {num_bins!r}; e.g. num_bins=4.")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 < epsilon < 1:
            raise ConfigError(f"Discretization epsilon must be a number between 0 and 1, the quantiles' tolerance, "
                              f"got {epsilon!r}; e.g. epsilon=0.01.")
        self.bin_boundaries = None if bin_boundaries is None else _boundaries(bin_boundaries)
        self.num_bins = None if num_bins is None else int(num_bins)
        self.epsilon = float(epsilon)
        self.output_mode = mode
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.built = True

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        """The layer :meth:`get_config` recorded; an adapted one holds both its ``num_bins`` and the boundaries it
        learned, which Keras's ``__init__`` would refuse together, so they are set after."""
        config = dict(config)
        learned = config.pop("bin_boundaries", None) if config.get("num_bins") is not None else None
        layer = cls(**config)
        if learned is not None:
            layer.bin_boundaries = _boundaries(learned)
        return layer

    def adapt(self, data: Any, batch_size: Any = None, steps: int | None = None) -> None:
        """Learn ``num_bins`` bins' boundaries from the quantiles of ``data`` (an array, or a dataset or generator of
        batches, as Keras's ``adapt``), batch by batch as Keras merges its summaries."""
        if self.num_bins is None:
            raise ConfigError(f"layer {self.name!r} was given its bin_boundaries, so it has nothing to adapt; make it "
                              "with num_bins=... instead to learn them from data.")
        summary = np.zeros((2, 0), dtype=np.float32)
        for batch in adapt_batches(data, steps, self.name, "numbers"):
            raw = backend.to_numpy(batch.data) if isinstance(batch, Tensor) else batch
            values = backend.to_numpy(as_array(raw, np.float32, name=f"data adapted by layer {self.name!r}"))
            # in Keras's order (the new batch's summary first, its default sort), so ties fall as in Keras
            merged = np.concatenate((_summary(values, self.epsilon), summary), axis=1)
            summary = _compress(merged[:, np.argsort(merged[0])], self.epsilon)
        if summary.shape[1] == 0:
            raise ShapeError(f"layer {self.name!r} cannot adapt to empty data; pass the training inputs.")
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def forward(self, x: Any) -> Tensor:
        if self.bin_boundaries is None:
            raise NotReadyError(f"layer {self.name!r} has no bin boundaries yet; call adapt(data) first, or make it "
                                "with bin_boundaries=[...].")
        raw = backend.to_numpy(x.data) if isinstance(x, Tensor) else x
        values = backend.to_numpy(as_array(raw, np.float32, name=f"the input of layer {self.name!r}"))
        ids = np.digitize(values, np.asarray(self.bin_boundaries, dtype=np.float32)).astype(np.int64)
        if self.output_mode == "int":
            return Tensor(backend.to_device(ids))
        return Tensor(backend.to_device(encode(ids, self.output_mode, self.depth, self.dtype)))

    @property
    def depth(self) -> int:
        """The number of bins: the boundaries and one."""
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else int(self.num_bins or 0)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if self.output_mode == "int":
            return tuple(input_shape)
        return _encoded_shape(tuple(input_shape), self.output_mode, self.depth, self.name)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode}


def _boundaries(given: Any) -> list[float]:
    values = np.asarray(given, dtype=object).reshape(-1) if not isinstance(given, (str, bytes)) else None
    ok = values is not None and np.ndim(given) == 1 and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and np.isfinite(v)
        for v in values)
    if not ok or np.any(np.diff(np.asarray(values, dtype=np.float64)) < 0):
        raise ConfigError(f"Discretization bin_boundaries must be a list of finite numbers in increasing order, got "
                          f"{given!r}; e.g. bin_boundaries=[0.0, 1.0, 2.0].")
    return [float(v) for v in values]


LOOKUP: dict[str, type[Layer]] = {"StringLookup": StringLookup, "IntegerLookup": IntegerLookup,
                                  "CategoryEncoding": CategoryEncoding, "Discretization": Discretization}
LAYERS.update(LOOKUP)  # the classes a model file may name
