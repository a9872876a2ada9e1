"""``TextVectorization``: texts in, numbers out — Keras's ``layers.TextVectorization`` for the text classifiers of
its tutorials (raw reviews → word indices → Embedding, or → bag-of-words vectors → Dense).

Each text is standardized (lower-cased, punctuation stripped), split into words, optionally joined into n-grams,
and each token looked up in a vocabulary learned by :meth:`TextVectorization.adapt` (the most frequent tokens
first). ``output_mode="int"`` gives the word indices of each text, padded with 0; ``"multi_hot"``, ``"count"``
and ``"tf_idf"`` give one vector of vocabulary size per text.

Strings cannot flow through fnlearn's tensors, whose values are numbers on the CPU or the GPU: the layer takes a
NumPy array or a list of ``str`` (a batch of texts, shape (batch,) or (batch, 1)) and returns a :class:`Tensor`
of int64 indices (``"int"``) or of the layer's float dtype (the other modes). ``fit``, ``evaluate`` and
``predict`` take numbers, so the texts are vectorized where the data are prepared:
``text_ds.map(lambda x, y: (vectorize_layer(x), y))``, as Keras's tutorial does, or ``vectorize_layer(texts)``.

Every rule is Keras 3's (which runs this layer on TensorFlow), checked against it: ASCII letters only are
lower-cased and ASCII punctuation only stripped, texts split at ASCII white space, ties in frequency ordered
from the highest token down (by code point), ``idf = log(1 + documents / (1 + documents holding the token))``
with the out-of-vocabulary weight the mean of the others. Where fnlearn differs, on purpose: ``"multi_hot"`` and
``"count"`` vectors are floats (Keras's are int64), what the Dense layer after them computes with; with
``split=None`` a batch of shape (batch,) reads as (batch, 1), one token per text (Keras's reading of it counts
the whole batch as one text); calling the layer before it has a vocabulary, adapting to texts without a token,
``ngrams=0`` and ``output_sequence_length=0`` are refused in one sentence, where Keras gives "[UNK]" for every
word, fails later or gives empty outputs.

Example:
    >>> import fnlearn as fl
    >>> vectorize = fl.layers.TextVectorization(max_tokens=20000, output_sequence_length=4)
    >>> vectorize.adapt(["The cat sat.", "The dog sat!", "A cat"])
    >>> vectorize.get_vocabulary()
    ['', '[UNK]', 'the', 'sat', 'cat', 'dog', 'a']
    >>> vectorize(["the bird sat"]).numpy().tolist()
    [[2, 1, 3, 0]]
"""

from __future__ import annotations

import codecs
import itertools
import os
import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, DataError, NotReadyError, ShapeError, did_you_mean
from ..tensor import Tensor
from .layers import LAYERS, Layer, _reject_unknown_kwargs
from .module import Symbolic

PADDING, OOV = "", "[UNK]"  # index 0 and 1 in "int" mode; the other modes have no padding, OOV is index 0

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_MODES = ("int", "multi_hot", "count", "tf_idf")
_MODE_ALIASES = {"binary": "multi_hot", "tf-idf": "tf_idf"}  # Keras's older names

# Keras's pattern (string.punctuation); TensorFlow lower-cases and splits on ASCII alone, so "É" stays "É" and a
# non-breaking space joins two words, as they do there
_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")
_WHITESPACE = re.compile(r"[ \t\n\r\v\f]+")
# what str.split() also takes for white space: a text without any is split by it, several times faster
_OTHER_SPACE = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _whole(value: Any, least: int) -> bool:
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer)) and value >= least


def _option(value: Any, names: tuple[str, ...], what: str, also: str) -> Any:
    """A setting that is None, one of ``names`` or a function; else one ConfigError sentence."""
    if value is None or callable(value) or (isinstance(value, str) and value in names):
        return value
    choices = ", ".join(repr(n) for n in names)
    raise ConfigError(f"TextVectorization {what} must be {choices}, None or {also}, got {value!r}; "
                      f"{did_you_mean(value, names)}e.g. {what}={names[0]!r}.")


def _widths(ngrams: Any) -> tuple[int, ...]:
    """Keras's ngrams: None (words alone), n (1 … n words), or a tuple of the widths wanted, in that order."""
    if ngrams is None:
        return (1,)
    if _whole(ngrams, 1):
        return tuple(range(1, int(ngrams) + 1))
    if isinstance(ngrams, (tuple, list)) and ngrams and all(_whole(n, 1) for n in ngrams):
        return tuple(int(n) for n in ngrams)
    raise ConfigError(f"TextVectorization ngrams must be None, a whole number ≥ 1 (2: words and pairs of words) or "
                      f"a tuple of them ((2,): pairs only), got {ngrams!r}.")


def _ngrams(tokens: list[str], widths: tuple[int, ...]) -> list[str]:
    """The runs of each width in ``widths`` (in that order), their tokens joined by a space, as TensorFlow's
    ``strings.ngrams`` makes them: ``a b c`` with (1, 2) gives a, b, c, a b, b c."""
    grams: list[str] = []
    for width in widths:
        grams.extend(tokens if width == 1 else map(" ".join, zip(*(tokens[i:] for i in range(width)))))
    return grams


def _most_frequent(counts: Counter[str], keep: int | None) -> list[str]:
    """The ``keep`` most frequent tokens (all for None), ties from the highest token down (Keras sorts by count,
    then token, and reverses)."""
    candidates = list(counts)
    if keep is not None and keep < len(candidates):
        # only the tokens at least as frequent as the keep-th are sorted: a text's many rare n-grams are not
        frequencies = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
        least = np.partition(frequencies, len(frequencies) - keep)[len(frequencies) - keep]
        candidates = [token for token, n in counts.items() if n >= least]
    return sorted(candidates, key=lambda token: (counts[token], token), reverse=True)[:keep]


def _function_name(function: Any, what: str) -> Any:
    """How a config records a ``standardize`` / ``split`` setting: its name for a function of one's own (loading
    asks for it in ``custom_objects``)."""
    if not callable(function):
        return function
    name = getattr(function, "__name__", type(function).__name__)
    if name in _STANDARDIZE + _SPLIT:
        raise ConfigError(f"TextVectorization's {what} function is named {name!r}, like one of its built-in "
                          f"settings, so a saved model would load with the built-in one; rename the function.")
    return name


class TextVectorization(Layer):
    """Texts to word indices or to bag-of-words vectors, Keras's ``layers.TextVectorization`` (see the module's
    description for what it computes and why it takes NumPy arrays of strings).

    Args:
        max_tokens: the largest vocabulary, special tokens included (the most frequent tokens are kept):
            ``""`` (padding, index 0) and ``"[UNK]"`` (every token outside the vocabulary, index 1) in
            ``"int"`` mode, ``"[UNK]"`` (index 0) in the others. None: every token seen.
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``, ``"strip_punctuation"``, None,
            or a function given a NumPy array of the texts (``str``) that returns one of the same shape (with
            ``np.char`` / ``np.strings`` operations; TensorFlow's ``tf.strings`` do not apply here).
        split: ``"whitespace"`` (default), ``"character"``, None (each text, or each string of a (batch, k)
            array, is one token), or a function given a 1-D NumPy array of texts that returns one sequence of
            tokens (``str``) per text.
        ngrams: None, n (the tokens and their runs of 2 … n, joined by a space), or a tuple of the run lengths.
        output_mode: ``"int"`` (default), ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
        output_sequence_length: ``"int"`` mode: pad with 0 or cut at the end to this many tokens; without it each
            batch is padded to its longest text.
        pad_to_max_tokens: the other modes: vectors of ``max_tokens`` values even for a smaller vocabulary.
        vocabulary: the tokens (a list, or the path of a file of one token per line) instead of ``adapt``.
        idf_weights: ``"tf_idf"`` mode with ``vocabulary``: one weight per token of it.
        encoding: how ``bytes`` texts are decoded (``"utf-8"``).

    ``sparse=True`` and ``ragged=True`` are refused (the outputs are dense arrays), as is ``output_mode="one_hot"``.

    >>> import fnlearn as fl
    >>> bag = fl.layers.TextVectorization(output_mode="count", ngrams=2)
    >>> bag.adapt(["a b a", "b c"])
    >>> bag.get_vocabulary()
    ['[UNK]', 'b', 'a', 'c', 'b c', 'b a', 'a b']
    >>> bag(["a b x"]).numpy().tolist()  # "[UNK]" counts x and "b x"
    [[2.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]]
    """

    def __init__(self, max_tokens: int | None = None, standardize: Any = "lower_and_strip_punctuation",
                 split: Any = "whitespace", ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: int | None = None, pad_to_max_tokens: bool = False, vocabulary: Any = None,
                 idf_weights: Any = None, sparse: bool = False, ragged: bool = False, encoding: str = "utf-8",
                 name: str | None = None, **kwargs: Any) -> None:
        # has_input_vocabulary (Keras's hidden setting) keeps a loaded layer that was adapted adaptable;
        # vocabulary_size is in Keras's configs and follows from the vocabulary
        _reject_unknown_kwargs("TextVectorization", kwargs, allow=("has_input_vocabulary", "vocabulary_size"))
        if sparse is not False:
            raise ConfigError(f"TextVectorization got sparse={sparse!r}, which fnlearn does not have (its outputs are "
                              "dense arrays, and a Dense layer takes them as they are); leave sparse out.")
        if ragged is not False:
            raise ConfigError(f"TextVectorization got ragged={ragged!r}, which fnlearn does not have (a tensor holds "
                              "rows of one length); leave it out: each batch is padded with 0 to its longest text, "
                              "or to output_sequence_length.")
        mode = _MODE_ALIASES.get(output_mode, output_mode) if isinstance(output_mode, str) else output_mode
        if mode not in _MODES:
            also = " (one_hot is StringLookup's: a text has many tokens, so use 'multi_hot')" \
                if mode == "one_hot" else ""
            raise ConfigError(f"TextVectorization output_mode must be 'int' (word indices), 'multi_hot', 'count' or "
                              f"'tf_idf' (a vector per text), got {output_mode!r}{also}; "
                              f"{did_you_mean(output_mode, _MODES)}e.g. output_mode='int'.")
        self.output_mode = mode
        self._token_start = 2 if mode == "int" else 1  # the special tokens before the learned ones
        if max_tokens is not None and not _whole(max_tokens, self._token_start + 1):
            room = "'' (padding), '[UNK]'" if mode == "int" else "'[UNK]'"
            raise ConfigError(f"TextVectorization max_tokens must be None or a whole number of at least "
                              f"{self._token_start + 1} in output_mode={mode!r} ({room} and one word), got "
                              f"{max_tokens!r}; e.g. max_tokens=20000.")
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        self.standardize = _option(standardize, _STANDARDIZE, "standardize",
                                   "a function of a NumPy array of strings")
        self.split = _option(split, _SPLIT, "split", "a function of a 1-D NumPy array of texts")
        self._widths = _widths(ngrams)
        # as given (an int, or the widths), for the config
        self.ngrams = ngrams if ngrams is None else list(self._widths) if isinstance(ngrams, (tuple, list)) \
            else int(ngrams)
        if output_sequence_length is not None:
            if mode != "int":
                raise ConfigError(f"TextVectorization output_sequence_length is for output_mode='int' (word indices), "
                                  f"but output_mode={mode!r} gives one vector per text; leave it out (or use "
                                  "pad_to_max_tokens=True for vectors of max_tokens values).")
            if not _whole(output_sequence_length, 1):
                raise ConfigError(f"TextVectorization output_sequence_length must be None or a whole number ≥ 1, got "
                                  f"{output_sequence_length!r}; e.g. output_sequence_length=500.")
            output_sequence_length = int(output_sequence_length)
        self.output_sequence_length = output_sequence_length
        if not isinstance(pad_to_max_tokens, (bool, np.bool_)):
            raise ConfigError(f"TextVectorization pad_to_max_tokens must be True or False, got {pad_to_max_tokens!r}.")
        if pad_to_max_tokens and self.max_tokens is None:
            raise ConfigError("TextVectorization got pad_to_max_tokens=True without max_tokens; give max_tokens, the "
                              "length of every output vector.")
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise ConfigError(f"TextVectorization encoding must be the name of a text encoding, got {encoding!r}; "
                              "e.g. encoding='utf-8'.") from None
        self.encoding = encoding
        super().__init__(name=name, trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self._tokens: list[str] | None = None
        self._index: dict[str, int] = {}  # token → index, for the lookups
        self._idf: np.ndarray | None = None  # one weight per vocabulary entry, "[UNK]" first
        self.built = True
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        elif idf_weights is not None:
            raise ConfigError("TextVectorization got idf_weights without vocabulary; give the vocabulary they weigh, "
                              "or leave both out and call adapt(texts).")
        self._has_input_vocabulary = bool(kwargs.get("has_input_vocabulary", vocabulary is not None))

    # ------------------------------------------------------------------ the vocabulary
    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learn the vocabulary (and, for ``"tf_idf"``, the idf weights) from ``data``: a list or array of texts,
        or a dataset (``fl.data.Dataset``, a generator) of batches of texts or of (text, label) pairs, of which the
        texts are read; ``steps`` reads only that many of its batches. Tokens are ordered by frequency, ties from
        the highest token down, and ``max_tokens`` keeps the first. ``batch_size`` is taken and unused, as in
        Keras (the texts are counted in one pass).

        >>> import fnlearn as fl
        >>> layer = fl.layers.TextVectorization()
        >>> layer.adapt(fl.data.Dataset.from_tensor_slices((["b a", "b"], [0, 1])).batch(1))
        >>> layer.get_vocabulary(include_special_tokens=False)
        ['b', 'a']
        """
        if self._has_input_vocabulary:
            raise ConfigError(f"layer {self.name!r} was made with its vocabulary (vocabulary=...), so adapt cannot "
                              "learn another; make the layer without vocabulary= to adapt it, or call "
                              "set_vocabulary(...) to replace it.")
        if batch_size is not None and not _whole(batch_size, 1):
            raise ConfigError(f"adapt batch_size must be None or a whole number ≥ 1, got {batch_size!r}.")
        counts: Counter[str] = Counter()
        documents: Counter[str] = Counter()
        texts = 0
        for batch in self._batches(data, steps):
            rows = self._tokens_of(self._texts(batch, "the data given to adapt")[0], "the data given to adapt")
            texts += len(rows)
            for tokens in rows:
                counts.update(tokens)
                if self.output_mode == "tf_idf":
                    documents.update(set(tokens))
        counts.pop(PADDING, None)
        counts.pop(OOV, None)  # the special tokens have their places already
        if not counts:
            raise DataError(f"layer {self.name!r} found no tokens in the {texts} text(s) given to adapt; pass the "
                            "training texts (strings), e.g. layer.adapt(train_texts).")
        tokens = _most_frequent(counts, None if self.max_tokens is None else self.max_tokens - self._token_start)
        idf = None
        if self.output_mode == "tf_idf":
            found = np.array([documents[token] for token in tokens], dtype=np.float64)
            learned = np.log(1 + texts / (1 + found)).astype(self.dtype)
            idf = np.concatenate([[learned.mean(dtype=self.dtype)], learned]).astype(self.dtype)
        self._use(tokens, idf)

    def _batches(self, data: Any, steps: int | None) -> Iterator[Any]:
        """The batches of texts in ``data``: arrays and lists are one batch; a dataset or an iterator gives its
        batches, the first item of a tuple element (its texts; the labels are not read)."""
        one_batch = isinstance(data, (str, bytes, list, tuple, np.ndarray)) or backend.is_array(data) \
            or isinstance(data, Tensor) or not hasattr(data, "__iter__")
        if one_batch:
            if steps is not None:
                raise ConfigError(f"adapt got steps={steps!r} with a list or array, which is read whole; steps is for "
                                  "a dataset or a generator of batches.")
            yield data
            return
        if steps is not None and not _whole(steps, 1):
            raise ConfigError(f"adapt steps must be None or a whole number ≥ 1, got {steps!r}.")
        for number, element in enumerate(data):
            if steps is not None and number >= steps:
                return
            if isinstance(element, dict):
                raise DataError(f"layer {self.name!r} got a dataset of dicts to adapt to; map it to its texts first, "
                                "e.g. ds.map(lambda d: d['text']).")
            yield element[0] if isinstance(element, tuple) and element else element

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use ``vocabulary`` (a list of tokens, or the path of a file with one token per line; the special
        tokens may lead it, as :meth:`get_vocabulary` gives them) instead of an adapted one, with
        ``idf_weights`` (one per entry of ``vocabulary``) in ``"tf_idf"`` mode.

        >>> import fnlearn as fl
        >>> layer = fl.layers.TextVectorization()
        >>> layer.set_vocabulary(["earth", "wind", "and", "fire"])
        >>> layer.get_vocabulary(), layer(["wind and rain"]).numpy().tolist()
        (['', '[UNK]', 'earth', 'wind', 'and', 'fire'], [[3, 4, 1]])
        """
        given = self._vocabulary_list(vocabulary)
        specials = [PADDING, OOV][2 - self._token_start:]
        lead = given[:self._token_start] == specials
        tokens = given[self._token_start:] if lead else given
        if not tokens:
            raise ConfigError(f"layer {self.name!r} got a vocabulary with no tokens besides the special ones; give "
                              "at least one token, or call adapt(texts).")
        repeated = sorted(token for token, n in Counter(tokens).items() if n > 1)
        if repeated:
            raise ConfigError(f"layer {self.name!r} got a vocabulary that repeats {repeated[0]!r}; give each token "
                              "once (a token has one index).")
        if PADDING in tokens:
            raise ConfigError(f"layer {self.name!r} got a vocabulary holding the empty string at position "
                              f"{given.index(PADDING)}; the empty string is padding, so leave it out (or only at "
                              f"the start, followed by {OOV!r}, as get_vocabulary() gives them).")
        if self.max_tokens is not None and self._token_start + len(tokens) > self.max_tokens:
            raise ConfigError(f"layer {self.name!r} got {len(tokens)} tokens, which with its {self._token_start} "
                              f"special one(s) exceed max_tokens={self.max_tokens}; give max_tokens ≥ "
                              f"{self._token_start + len(tokens)} or a shorter vocabulary.")
        self._use(tokens, self._checked_idf(idf_weights, len(given), lead))

    def _vocabulary_list(self, vocabulary: Any) -> list[str]:
        if isinstance(vocabulary, (str, os.PathLike)):
            if self.output_mode == "tf_idf":
                raise ConfigError(f"layer {self.name!r} (output_mode='tf_idf') got a vocabulary file, which holds no "
                                  "idf weights; give the tokens as a list with idf_weights=[...].")
            try:
                with open(vocabulary, encoding=self.encoding) as file:
                    return file.read().splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"layer {self.name!r} cannot read the vocabulary file {str(vocabulary)!r} "
                                  f"({type(exc).__name__}); give a text file of one token per line, or a list.") \
                    from None
        items = vocabulary.tolist() if isinstance(vocabulary, np.ndarray) else vocabulary
        if not isinstance(items, (list, tuple)):
            raise ConfigError(f"layer {self.name!r} takes a vocabulary as a list of tokens or a file path, got "
                              f"{type(vocabulary).__name__}; e.g. vocabulary=['the', 'cat'].")
        for position, token in enumerate(items):
            if not isinstance(token, str):
                raise ConfigError(f"layer {self.name!r} got a vocabulary holding {type(token).__name__} {token!r} at "
                                  f"position {position}; a vocabulary holds strings, one token each.")
        return [str(token) for token in items]

    def _checked_idf(self, idf_weights: Any, entries: int, lead: bool) -> np.ndarray | None:
        """The idf weight of every vocabulary entry, "[UNK]" first (the mean of the given ones when they do not
        include it, as Keras fills it)."""
        if self.output_mode != "tf_idf":
            if idf_weights is not None:
                raise ConfigError(f"layer {self.name!r} got idf_weights, which are for output_mode='tf_idf' only "
                                  f"(it has output_mode={self.output_mode!r}); leave them out.")
            return None
        if idf_weights is None:
            raise ConfigError(f"layer {self.name!r} (output_mode='tf_idf') got a vocabulary without idf_weights; "
                              "give one weight per token, or call adapt(texts) to learn both.")
        try:
            weights = np.asarray(idf_weights, dtype=np.float64)
        except (TypeError, ValueError):
            weights = np.array([np.nan])
        if weights.ndim != 1 or weights.size != entries or not np.isfinite(weights).all():
            raise ConfigError(f"layer {self.name!r} takes idf_weights as {entries} finite numbers, one per "
                              f"vocabulary entry, got {np.shape(idf_weights)} values; give one weight per token.")
        if not lead:
            weights = np.concatenate([[np.average(weights)], weights])
        return weights.astype(self.dtype)

    def _use(self, tokens: list[str], idf: np.ndarray | None) -> None:
        self._tokens = list(tokens)
        # the empty string is padding: 0 in "int" mode, not counted (-1) in the others
        self._index = {PADDING: 0 if self.output_mode == "int" else -1,
                       **{token: index for index, token in enumerate(tokens, start=self._token_start)}}
        self._idf = idf

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The tokens in index order: ``["", "[UNK]", …]`` in ``"int"`` mode, ``["[UNK]", …]`` in the others."""
        specials = [PADDING, OOV][2 - self._token_start:] if include_special_tokens else []
        return specials + list(self._tokens or [])

    def vocabulary_size(self) -> int:
        """The number of entries of :meth:`get_vocabulary`, special tokens included."""
        return self._token_start + len(self._tokens or [])

    @property
    def idf_weights(self) -> np.ndarray | None:
        """``"tf_idf"`` mode: the weight each count is multiplied by, one per output value (None before a
        vocabulary, or in the other modes)."""
        if self._idf is None:
            return None
        return np.pad(self._idf, (0, self._depth() - self._idf.size))

    # ------------------------------------------------------------------ texts in, numbers out
    def _texts(self, x: Any, what: str) -> tuple[np.ndarray, bool]:
        """``x`` as an object array of ``str``, (batch,) or (batch, k) (k = 1 unless split is None), and whether it
        was a single text."""
        if isinstance(x, (Tensor, Symbolic)) or (backend.is_array(x) and not isinstance(x, np.ndarray)):
            raise DataError(f"layer {self.name!r} takes texts (a NumPy array or a list of strings), got "
                            f"{type(x).__name__} {what}; strings cannot be held in tensors, so vectorize the texts "
                            "where the data are prepared: ds.map(lambda x, y: (vectorize_layer(x), y)).")
        try:
            texts = np.array(x, dtype=object)
        except ValueError:
            raise ShapeError(f"layer {self.name!r} got rows of different lengths in {what}; give one string per "
                             "text, a list or an array of shape (batch,).") from None
        single = texts.ndim == 0  # one text (a dataset's element before batching): Keras's output has no batch axis
        texts = texts.reshape(1) if single else texts
        for position, text in enumerate(texts.flat):
            if isinstance(text, bytes):
                try:
                    texts.flat[position] = text.decode(self.encoding)
                except UnicodeDecodeError:
                    raise DataError(f"layer {self.name!r} cannot decode the bytes at position {position} of {what} "
                                    f"as {self.encoding}; give str texts or the encoding= they are written in.") \
                        from None
            elif not isinstance(text, str):
                raise DataError(f"layer {self.name!r} takes texts (strings), got {type(text).__name__} {text!r} at "
                                f"position {position} of {what}; give the raw texts, or leave this layer out for "
                                "data that are numbers already.")
        if texts.ndim == 1 and self.split is None:
            texts = texts.reshape(-1, 1)  # each text one token, as Keras reads (batch, 1)
        elif texts.ndim == 2 and texts.shape[1] == 1 and self.split is not None:
            texts = texts.reshape(-1)
        if texts.ndim != (1 if self.split is not None else 2):
            rows = "(batch,) or (batch, 1)" if self.split is not None else "(batch,) or (batch, tokens)"
            raise ShapeError(f"layer {self.name!r} takes a batch of texts of shape {rows}, got shape {texts.shape} "
                             f"in {what}; give one string per text.")
        return texts, single

    def _tokens_of(self, texts: np.ndarray, what: str) -> list[list[str]]:
        """The tokens of each text (``texts`` as :meth:`_texts` gives them): standardized, split, joined into
        n-grams."""
        texts = self._standardized(texts, what)
        if self.split is None:
            rows = [list(row) for row in texts]
        elif self.split == "whitespace":
            rows = [text.split() if _OTHER_SPACE.search(text) is None else
                    [word for word in _WHITESPACE.split(text) if word] for text in texts]
        elif self.split == "character":
            rows = [list(text) for text in texts]
        else:
            rows = self._split_by_function(texts, what)
        if self._widths == (1,):
            return rows
        return [_ngrams(tokens, self._widths) for tokens in rows]

    def _standardized(self, texts: np.ndarray, what: str) -> np.ndarray:
        if self.standardize is None:
            return texts
        if callable(self.standardize):
            result = self.standardize(texts.astype(str))
            try:
                out = np.array(result, dtype=object)
            except ValueError:
                out = np.array(None)
            if out.shape != texts.shape or not all(isinstance(t, (str, bytes)) for t in out.flat):
                raise DataError(f"layer {self.name!r}'s standardize function returned {type(result).__name__} of "
                                f"shape {np.shape(result)} for texts of shape {texts.shape} in {what}; return an "
                                "array of strings of the shape it is given.")
            return self._texts(out, what)[0].reshape(texts.shape)
        out = np.empty_like(texts)
        lower = self.standardize != "strip_punctuation"
        strip = self.standardize != "lower"
        for position, text in enumerate(texts.flat):
            text = text.translate(_ASCII_LOWER) if lower else text
            out.flat[position] = _PUNCTUATION.sub("", text) if strip else text
        return out

    def _split_by_function(self, texts: np.ndarray, what: str) -> list[list[str]]:
        split: Callable[[np.ndarray], Iterable[Any]] = self.split
        result = split(texts.astype(str))
        rows = [list(np.asarray(tokens).reshape(-1).tolist()) if isinstance(tokens, np.ndarray) else tokens
                for tokens in (result.tolist() if isinstance(result, np.ndarray) and result.ndim == 1 else result)]
        if len(rows) != len(texts) or not all(isinstance(row, (list, tuple)) and all(isinstance(t, str) for t in row)
                                              for row in rows):
            raise DataError(f"layer {self.name!r}'s split function returned {type(result).__name__} for {len(texts)} "
                            f"texts in {what}; return one list of tokens (strings) per text.")
        return [list(row) for row in rows]

    def _depth(self) -> int:
        return self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()

    def forward(self, x: Any) -> Tensor:
        if self._tokens is None:
            raise NotReadyError(f"layer {self.name!r} has no vocabulary yet; call {self.name}.adapt(train_texts) "
                                "(or give vocabulary=) before calling it.")
        texts, single = self._texts(x, "its input")
        rows = self._tokens_of(texts, "its input")
        if self.output_mode == "int":
            out = self._indices(rows)
        else:
            out = self._vectors(rows)
        return Tensor(backend.to_device(out[0] if single else out))

    def _ids(self, rows: list[list[str]], unknown: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every token's index, text after text (``unknown`` for a token outside the vocabulary), the text each
        belongs to and its place in it: one pass over the tokens, then array operations."""
        lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
        ids = np.fromiter(map(self._index.get, itertools.chain.from_iterable(rows), itertools.repeat(unknown)),
                          dtype=np.int64, count=int(lengths.sum()))
        text = np.repeat(np.arange(len(rows)), lengths)
        return ids, text, np.arange(ids.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)

    def _indices(self, rows: list[list[str]]) -> np.ndarray:
        """Each text's token indices, padded with 0 (or cut) at the end to output_sequence_length, else to the
        longest; the empty string is padding (0), an unknown token "[UNK]" (1)."""
        length = self.output_sequence_length
        if length is None:
            length = max(map(len, rows), default=0)
        else:
            rows = [tokens[:length] for tokens in rows]
        ids, text, place = self._ids(rows, 1)
        out = np.zeros((len(rows), length), dtype=np.int64)
        out[text, place] = ids
        return out

    def _vectors(self, rows: list[list[str]]) -> np.ndarray:
        """Each text's counts of each vocabulary entry ("[UNK]" first; the empty string is not counted), as
        multi_hot (0/1), count, or count × idf."""
        depth = self._depth()
        ids, text, _ = self._ids(rows, 0)
        counted = ids >= 0
        counts = np.bincount(text[counted] * depth + ids[counted], minlength=len(rows) * depth)
        out = counts.reshape(len(rows), depth).astype(self.dtype)
        if self.output_mode == "multi_hot":
            np.minimum(out, 1, out=out)
        elif self.output_mode == "tf_idf":
            out *= self.idf_weights
        return out

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], Symbolic):
            raise ConfigError(f"TextVectorization layer {self.name!r} was called on a keras.Input, but fnlearn's "
                              "models take numbers, not strings; vectorize the texts where the data are prepared, "
                              "ds.map(lambda x, y: (vectorize_layer(x), y)), and start the model at the layer after "
                              "it (the Embedding).")
        return super().__call__(*args, **kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...] | None) -> tuple[int, ...]:
        """One text's output shape: (output_sequence_length,) in ``"int"`` mode, (vocabulary size,) or
        (max_tokens,) in the others (a sample's shape is () or (1,); the input's shape does not change it)."""
        if input_shape is not None and tuple(input_shape) not in ((), (1,)) \
                and not (self.split is None and len(tuple(input_shape)) == 1):
            raise ShapeError(f"layer {self.name!r} takes one text per sample (samples of shape () or (1,)), got "
                             f"samples of shape {tuple(input_shape)}; give a batch of texts of shape (batch,).")
        if self.output_mode != "int":
            return (self._depth(),)
        if self.output_sequence_length is None:
            raise ShapeError(f"layer {self.name!r} gives each batch as many indices per text as its longest text has "
                             "tokens, so the layers after it cannot know their input's shape; give it "
                             "output_sequence_length=..., e.g. 500.")
        return (self.output_sequence_length,)

    def get_config(self) -> dict[str, Any]:
        """The settings with the vocabulary (and idf weights), so a saved model holds them; a ``standardize`` or
        ``split`` function of one's own is recorded by name (``custom_objects`` gives it back when loading)."""
        return {**super().get_config(), "max_tokens": self.max_tokens,
                "standardize": _function_name(self.standardize, "standardize"),
                "split": _function_name(self.split, "split"), "ngrams": self.ngrams,
                "output_mode": self.output_mode, "output_sequence_length": self.output_sequence_length,
                "pad_to_max_tokens": self.pad_to_max_tokens,
                "vocabulary": None if self._tokens is None else self.get_vocabulary(),
                "idf_weights": None if self._idf is None else [float(w) for w in self._idf],
                "encoding": self.encoding, "has_input_vocabulary": self._has_input_vocabulary}


VECTORIZE: dict[str, type[Layer]] = {"TextVectorization": TextVectorization}
LAYERS.update(VECTORIZE)  # the classes a model file may name
