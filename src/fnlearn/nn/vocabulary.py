"""What the layers with a vocabulary share — ``TextVectorization`` (:mod:`fnlearn.nn.vectorize`), ``StringLookup``
and ``IntegerLookup`` (:mod:`fnlearn.nn.lookup`): a vocabulary of tokens after the layer's special indices,
learned by ``adapt`` (the most frequent first, ties from the highest token down) or given, its idf weights in
``"tf_idf"`` mode, the checks of their common settings, and the bag-of-tokens vectors (``"multi_hot"``,
``"count"``, ``"tf_idf"``) they and ``CategoryEncoding`` give.

Each layer says what differs as class attributes (how its messages name its tokens) and a few methods (its
special tokens, how it reads a batch given to ``adapt``, what a vocabulary entry may be).
"""

from __future__ import annotations

import codecs
import itertools
import os
from collections import Counter
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, DataError, NotReadyError, ShapeError
from ..tensor import Tensor
from .layers import Layer, adapt_batches
from .module import Symbolic

MODE_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}  # Keras's older names of the output modes


def _whole(value: Any, least: int) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer)) and value >= least


def _flag(value: Any, owner: str, what: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{owner} {what} must be True or False, got {value!r}.")
    return bool(value)


def _mode(output_mode: Any) -> Any:
    """``output_mode`` with Keras's older names replaced by the current ones."""
    return MODE_ALIASES.get(output_mode, output_mode) if isinstance(output_mode, str) else output_mode


def _no_sparse(owner: str, sparse: Any) -> None:
    if sparse is not False:
        raise ConfigError(f"{owner} got sparse={sparse!r}, which fnlearn does not have (its outputs are dense "
                          "arrays, and a Dense layer takes them as they are); leave sparse out.")


def _encoding(owner: str, encoding: Any) -> str:
    try:
        codecs.lookup(encoding)
    except (LookupError, TypeError):
        raise ConfigError(f"{owner} encoding must be the name of a text encoding, got {encoding!r}; e.g. "
                          "encoding='utf-8'.") from None
    return encoding


def _string_array(layer: Layer, x: Any, what: str, takes: str, prepare: str, shape: str) -> np.ndarray:
    """The strings ``x`` (an array or a list; ``what`` names it) as an object array, not yet checked one by one;
    a tensor refused in one sentence saying what the layer ``takes`` and how to ``prepare`` the data instead,
    rows of different lengths in one that says which ``shape`` to give."""
    if isinstance(x, (Tensor, Symbolic)) or (backend.is_array(x) and not isinstance(x, np.ndarray)):
        raise DataError(f"layer {layer.name!r} takes {takes}, got {type(x).__name__} {what}; strings cannot be held "
                        f"in tensors, so {prepare}.")
    try:
        return np.array(x, dtype=object)
    except ValueError:
        raise ShapeError(f"layer {layer.name!r} got rows of different lengths in {what}; {shape}.") from None


def _refuse_symbolic(layer: Layer, args: tuple[Any, ...], prepare: str) -> None:
    """A layer of strings called on a ``keras.Input`` refused in one sentence: ``prepare`` says what to do
    instead."""
    if args and isinstance(args[0], Symbolic) and not getattr(args[0], "takes_text", False):
        raise ConfigError(f"{type(layer).__name__} layer {layer.name!r} was called on a keras.Input of numbers, but it "
                          "takes strings; start a model of raw texts at keras.Input(shape=(1,), dtype='string'), or "
                          f"{prepare}.")


def _most_frequent(counts: Counter[Any], keep: int | None) -> list[Any]:
    """The ``keep`` most frequent tokens (all for None), ties from the highest token down (Keras sorts by count,
    then token, and reverses)."""
    candidates = list(counts)
    if keep is not None and keep < len(candidates):
        # only the tokens at least as frequent as the keep-th are sorted: a text's many rare n-grams are not
        frequencies = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        least = np.partition(frequencies, len(frequencies) - keep)[len(frequencies) - keep]
        candidates = [token for token, n in counts.items() if n >= least]
    return sorted(candidates, key=lambda token: (counts[token], token), reverse=True)[:keep]


def bag(samples: np.ndarray, ids: np.ndarray, count: int, depth: int, mode: str, dtype: Any,
        weights: np.ndarray | None = None) -> np.ndarray:
    """One vector of ``depth`` values for each of ``count`` samples: how often each index of ``ids`` occurs in
    it (``samples`` gives the sample of each; a negative index counts nowhere), each occurrence adding its
    ``weights`` entry (1 without them), at most 1 in ``"multi_hot"`` mode.

    >>> bag(np.array([0, 0, 1]), np.array([2, 2, -1]), 2, 3, "count", "float32").tolist()
    [[0.0, 0.0, 2.0], [0.0, 0.0, 0.0]]
    """
    kept = ids >= 0
    added = None if weights is None else np.asarray(weights, dtype=np.float64)[kept]
    counts = np.bincount(samples[kept] * depth + ids[kept], weights=added, minlength=count * depth)
    out = counts.reshape(count, depth).astype(dtype)
    if mode == "multi_hot":
        np.minimum(out, 1, out=out)
    return out


class VocabularyLayer(Layer):
    """The vocabulary of a lookup layer: the tokens after its ``_token_start`` special indices (given by
    :meth:`_specials`), with ``_index`` (token → index) and ``_idf`` (one weight per vocabulary entry, the
    special ones first) in ``"tf_idf"`` mode. A subclass sets ``output_mode``, ``_token_start`` and calls
    :meth:`_sizes` and :meth:`_start_vocabulary` in its ``__init__``."""

    _what = "tokens"  # how the one-sentence errors name the layer's tokens, and one of them
    _entry = "token"
    _example: list[Any] = ["the", "cat"]  # a vocabulary, for the errors
    _train = "train_texts"  # what the errors suggest adapting to
    _files = False  # whether a path given as the vocabulary names a file of one token per line

    max_tokens: int | None
    output_mode: str
    pad_to_max_tokens: bool
    _token_start: int

    # ------------------------------------------------------------------ what differs between the layers
    def _specials(self) -> list[Any]:
        """The tokens of the special indices, in index order."""
        raise NotImplementedError

    def _reserved(self) -> tuple[Any, ...]:
        """The tokens ``adapt`` does not learn (they have their places already)."""
        raise NotImplementedError

    def _adapt_rows(self, batch: Any) -> list[list[Any]]:
        """The tokens of each sample (document) of a batch given to ``adapt``."""
        raise NotImplementedError

    def _nothing_learned(self, samples: int) -> str:
        """The error when ``adapt`` found no token in ``samples`` samples."""
        raise NotImplementedError

    def _token(self, value: Any) -> Any:
        """A vocabulary entry as the token it stands for (None: not one)."""
        raise NotImplementedError

    def _check_specials(self, given: list[Any], tokens: list[Any], specials: list[Any]) -> None:
        """Refuses a vocabulary holding a special token among its ``tokens`` (``given`` in full)."""

    def _special_index(self) -> dict[Any, int]:
        """Tokens of fixed index besides the vocabulary (-1: counted nowhere)."""
        return {}

    # ------------------------------------------------------------------ the settings
    def _sizes(self, owner: str, max_tokens: Any, least: int, why: str, example: int, pad_to_max_tokens: Any) -> None:
        """Checks and sets ``max_tokens`` (at least ``least``: ``why`` says why) and ``pad_to_max_tokens``."""
        if max_tokens is not None and not _whole(max_tokens, least):
            raise ConfigError(f"{owner} max_tokens must be None or a whole number of at least {least}{why}, got "
                              f"{max_tokens!r}; e.g. max_tokens={example}.")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.pad_to_max_tokens = _flag(pad_to_max_tokens, owner, "pad_to_max_tokens")
        if self.pad_to_max_tokens and self.max_tokens is None:
            raise ConfigError(f"{owner} got pad_to_max_tokens=True without max_tokens; give max_tokens, the length "
                              "of every output vector.")

    def _start_vocabulary(self, vocabulary: Any, idf_weights: Any, kwargs: dict[str, Any]) -> None:
        """After ``Layer.__init__``: no vocabulary, or the one given."""
        self._tokens: list[Any] | None = None
        self._index: dict[Any, int] = {}
        self._idf: np.ndarray | None = None
        self.built = True
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ConfigError(f"{type(self).__name__} got idf_weights without vocabulary; give the vocabulary they "
                              f"weigh, or leave both out and call adapt({self._train}).")
        # Keras's hidden setting: a loaded layer that was adapted stays adaptable
        self._has_input_vocabulary = bool(kwargs.get("has_input_vocabulary", vocabulary is not None))

    # ------------------------------------------------------------------ the vocabulary
    def _refuse_adapt_if_given(self) -> None:
        if self._has_input_vocabulary:
            raise ConfigError(f"layer {self.name!r} was made with its vocabulary (vocabulary=...), so adapt cannot "
                              "learn another; make the layer without vocabulary= to adapt it, or call "
                              "set_vocabulary(...) to replace it.")

    def _adapt(self, data: Any, steps: int | None, what: str) -> None:
        """What ``adapt`` does: count the tokens of each sample of ``data`` (``what`` names them), keep the most
        frequent, and for ``"tf_idf"`` weigh each by ``log(1 + samples / (1 + samples holding it))``, the special
        indices by the mean of those."""
        self._refuse_adapt_if_given()
        counts: Counter[Any] = Counter()
        documents: Counter[Any] = Counter()
        samples = 0
        for batch in adapt_batches(data, steps, self.name, what):
            rows = self._adapt_rows(batch)
            samples += len(rows)
            counts.update(itertools.chain.from_iterable(rows))
            if self.output_mode == "tf_idf":
                for row in rows:
                    documents.update(set(row))
        for special in self._reserved():
            counts.pop(special, None)
        if not counts:
            raise DataError(self._nothing_learned(samples))
        tokens = _most_frequent(counts, None if self.max_tokens is None else self.max_tokens - self._token_start)
        idf = None
        if self.output_mode == "tf_idf":
            found = np.array([documents[token] for token in tokens], dtype=np.float64)
            learned = np.log(1 + samples / (1 + found)).astype(self.dtype)
            idf = np.concatenate([np.full(self._token_start, learned.mean(dtype=self.dtype)), learned])
            idf = idf.astype(self.dtype)
        self._use(tokens, idf)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use ``vocabulary`` (a list or array of tokens, or for a ``StringLookup`` and a ``TextVectorization``
        the path of a file of one per line; the special tokens may lead it, as :meth:`get_vocabulary` gives them)
        instead of an adapted one, with ``idf_weights`` (one per entry of ``vocabulary``) in ``"tf_idf"`` mode.

        >>> import fnlearn as fl
        >>> layer = fl.layers.StringLookup(mask_token="")
        >>> layer.set_vocabulary(["red", "green"])
        >>> layer.get_vocabulary(), layer(["green", "", "blue"]).numpy().tolist()
        (['', '[UNK]', 'red', 'green'], [3, 0, 1])
        >>> layer = fl.layers.TextVectorization()
        >>> layer.set_vocabulary(["earth", "wind", "and", "fire"])
        >>> layer.get_vocabulary(), layer(["wind and rain"]).numpy().tolist()
        (['', '[UNK]', 'earth', 'wind', 'and', 'fire'], [[3, 4, 1]])
        """
        given = self._vocabulary_list(vocabulary)
        specials = self._specials()
        lead = len(given) >= len(specials) and given[:len(specials)] == specials
        tokens = given[len(specials):] if lead else given
        if not tokens:
            raise ConfigError(f"layer {self.name!r} got a vocabulary with no {self._what} besides the special "
                              f"tokens; give at least one, or call adapt({self._train}).")
        repeated = [token for token, n in Counter(tokens).items() if n > 1]
        if repeated:
            raise ConfigError(f"layer {self.name!r} got a vocabulary that repeats {repeated[0]!r}; give each "
                              f"{self._entry} once (a {self._entry} has one index).")
        self._check_specials(given, tokens, specials)
        if self.max_tokens is not None and self._token_start + len(tokens) > self.max_tokens:
            raise ConfigError(f"layer {self.name!r} got {len(tokens)} {self._what}, which with its "
                              f"{self._token_start} special index(es) exceed max_tokens={self.max_tokens}; give "
                              f"max_tokens ≥ {self._token_start + len(tokens)} or a shorter vocabulary.")
        self._use(tokens, self._checked_idf(idf_weights, len(given), lead))

    def _vocabulary_list(self, vocabulary: Any) -> list[Any]:
        if self._files and isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise ConfigError(f"layer {self.name!r} (output_mode='tf_idf') got a vocabulary file, which holds no "
                                  f"idf weights; give the {self._what} as a list with idf_weights=[...].")
            try:
                with open(vocabulary, encoding=self.encoding) as file:
                    return self._file_lines(file.read().splitlines())
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"layer {self.name!r} cannot read the vocabulary file {str(vocabulary)!r} "
                                  f"({type(exc).__name__}); give a text file of one {self._entry} per line, or a "
                                  "list.") from None
        items = vocabulary.tolist() if isinstance(vocabulary, np.ndarray) else vocabulary
        if not isinstance(items, (list, tuple)):
            raise ConfigError(f"layer {self.name!r} takes a vocabulary as a list of {self._what}"
                              f"{' or a file path' if self._files else ''}, got {type(vocabulary).__name__}; e.g. "
                              f"vocabulary={self._example!r}.")
        out = []
        for position, item in enumerate(items):
            token = self._token(item)
            if token is None:
                raise ConfigError(f"layer {self.name!r} got a vocabulary holding {type(item).__name__} {item!r} at "
                                  f"position {position}; a vocabulary holds {self._what}, e.g. "
                                  f"{self._example!r}.")
            out.append(token)
        return out

    def _file_lines(self, lines: list[str]) -> list[str]:
        """The vocabulary a file's lines give."""
        return lines

    def _checked_idf(self, idf_weights: Any, entries: int, lead: bool) -> np.ndarray | None:
        """The idf weight of every vocabulary entry, the special ones first (the mean of the given ones when the
        vocabulary did not include them, as Keras fills them)."""
        if self.output_mode != "tf_idf":
            if idf_weights is not None:
                raise ConfigError(f"layer {self.name!r} got idf_weights, which are for output_mode='tf_idf' only "
                                  f"(it has output_mode={self.output_mode!r}); leave them out.")
            return None
        if idf_weights is None:
            raise ConfigError(f"layer {self.name!r} (output_mode='tf_idf') got a vocabulary without idf_weights; "
                              f"give one weight per {self._entry}, or call adapt({self._train}) to learn both.")
        try:
            weights = np.asarray(idf_weights, dtype=np.float64)
        except (TypeError, ValueError):
            weights = np.array([np.nan])
        if weights.ndim != 1 or weights.size != entries or not np.isfinite(weights).all():
            raise ConfigError(f"layer {self.name!r} takes idf_weights as {entries} finite numbers, one per "
                              f"vocabulary entry, got {np.shape(idf_weights)} values; give one weight per "
                              f"{self._entry}.")
        if not lead:
            weights = np.concatenate([np.full(self._token_start, np.average(weights)), weights])
        return weights.astype(self.dtype)

    def _use(self, tokens: list[Any], idf: np.ndarray | None) -> None:
        self._tokens = list(tokens)
        self._index = {**self._special_index(),
                       **{token: index for index, token in enumerate(tokens, start=self._token_start)}}
        self._idf = idf

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[Any]:
        """The tokens in index order, the special ones first (``["", "[UNK]", …]`` for a ``TextVectorization`` in
        ``"int"`` mode, ``["[UNK]", …]`` in the others; a lookup layer's mask token in ``"int"`` mode, when set,
        then its OOV token once per OOV index)."""
        return (self._specials() if include_special_tokens else []) + list(self._tokens or [])

    def vocabulary_size(self) -> int:
        """The number of entries of :meth:`get_vocabulary`, special tokens included."""
        return self._token_start + len(self._tokens or [])

    @property
    def idf_weights(self) -> np.ndarray | None:
        """``"tf_idf"`` mode: the weight each count is multiplied by, one per output value (None before a
        vocabulary, or in the other modes)."""
        return None if self._idf is None else np.pad(self._idf, (0, self._depth() - self._idf.size))

    def _depth(self) -> int:
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    # ------------------------------------------------------------------ tokens in, numbers out
    def _check_ready(self) -> None:
        if self._tokens is None:
            raise NotReadyError(f"layer {self.name!r} has no vocabulary yet; call {self.name}.adapt({self._train}) "
                                "(or give vocabulary=) before calling it.")

    def _weighted(self, counts: np.ndarray) -> np.ndarray:
        """The vectors of counts of a call, times the idf weights in ``"tf_idf"`` mode."""
        if self.output_mode == "tf_idf":
            counts *= self.idf_weights
        return counts

    def get_config(self) -> dict[str, Any]:
        """The settings with the vocabulary (special tokens first) and idf weights, so a saved model holds
        them."""
        return {**super().get_config(), "max_tokens": self.max_tokens, "output_mode": self.output_mode,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": None if self._tokens is None else self.get_vocabulary(),
                "idf_weights": None if self._idf is None else [float(w) for w in self._idf],
                "has_input_vocabulary": self._has_input_vocabulary}
