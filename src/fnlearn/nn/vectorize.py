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

import itertools
import re
import string
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, DataError, ShapeError, did_you_mean
from ..tensor import Tensor
from .layers import LAYERS, Layer, _reject_unknown_kwargs
from .vocabulary import VocabularyLayer, _encoding, _mode, _no_sparse, _refuse_symbolic, _string_array, _whole, bag

PADDING, OOV = "", "[UNK]"  # index 0 and 1 in "int" mode; the other modes have no padding, OOV is index 0

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
_MODES = ("int", "multi_hot", "count", "tf_idf")

# Keras's pattern (string.punctuation); TensorFlow lower-cases and splits on ASCII alone, so "É" stays "É" and a
# non-breaking space joins two words, as they do there
_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")
_WHITESPACE = re.compile(r"[ \t\n\r\v\f]+")
# what str.split() also takes for white space: a text without any is split by it, several times faster
_OTHER_SPACE = re.compile("[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


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


class TextVectorization(VocabularyLayer):
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

    _files = True  # a path given as the vocabulary names a file (the other wording is VocabularyLayer's own)

    def __init__(self, max_tokens: int | None = None, standardize: Any = "lower_and_strip_punctuation",
                 split: Any = "whitespace", ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: int | None = None, pad_to_max_tokens: bool = False, vocabulary: Any = None,
                 idf_weights: Any = None, sparse: bool = False, ragged: bool = False, encoding: str = "utf-8",
                 name: str | None = None, **kwargs: Any) -> None:
        # has_input_vocabulary (Keras's hidden setting) keeps a loaded layer that was adapted adaptable;
        # vocabulary_size is in Keras's configs and follows from the vocabulary
        _reject_unknown_kwargs("TextVectorization", kwargs, allow=("has_input_vocabulary", "vocabulary_size"))
        _no_sparse("TextVectorization", sparse)
        if ragged is not False:
            raise ConfigError(f"TextVectorization got ragged={ragged!r}, which fnlearn does not have (a tensor holds "
                              "rows of one length); leave it out: each batch is padded with 0 to its longest text, "
                              "or to output_sequence_length.")
        mode = _mode(output_mode)
        if mode not in _MODES:
            also = " (one_hot is StringLookup's: a text has many tokens, so use 'multi_hot')" \
                if mode == "one_hot" else ""
            raise ConfigError(f"TextVectorization output_mode must be 'int' (word indices), 'multi_hot', 'count' or "
                              f"'tf_idf' (a vector per text), got {output_mode!r}{also}; "
                              f"{did_you_mean(output_mode, _MODES)}e.g. output_mode='int'.")
        self.output_mode = mode
        self._token_start = 2 if mode == "int" else 1  # the special tokens before the learned ones
        room = "'' (padding), '[UNK]'" if mode == "int" else "'[UNK]'"
        self._sizes("TextVectorization", max_tokens, self._token_start + 1,
                    f" in output_mode={mode!r} ({room} and one word)", 20000, pad_to_max_tokens)
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
        self.encoding = _encoding("TextVectorization", encoding)
        super().__init__(name=name, trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self._start_vocabulary(vocabulary, idf_weights, kwargs)

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
        self._refuse_adapt_if_given()
        if batch_size is not None and not _whole(batch_size, 1):
            raise ConfigError(f"adapt batch_size must be None or a whole number ≥ 1, got {batch_size!r}.")
        self._adapt(data, steps, "texts")

    def _adapt_rows(self, batch: Any) -> list[list[str]]:
        return self._tokens_of(self._texts(batch, "the data given to adapt")[0], "the data given to adapt")

    def _reserved(self) -> tuple[str, ...]:
        return PADDING, OOV

    def _nothing_learned(self, samples: int) -> str:
        return (f"layer {self.name!r} found no tokens in the {samples} text(s) given to adapt; pass the training "
                "texts (strings), e.g. layer.adapt(train_texts).")

    def _token(self, value: Any) -> Any:
        return value if isinstance(value, str) else None

    def _check_specials(self, given: list[str], tokens: list[str], specials: list[str]) -> None:
        if PADDING in tokens:
            raise ConfigError(f"layer {self.name!r} got a vocabulary holding the empty string at position "
                              f"{given.index(PADDING)}; the empty string is padding, so leave it out (or only at "
                              f"the start, followed by {OOV!r}, as get_vocabulary() gives them).")

    def _specials(self) -> list[str]:
        return [PADDING, OOV][2 - self._token_start:]

    def _special_index(self) -> dict[str, int]:
        return {PADDING: 0 if self.output_mode == "int" else -1}  # padding: 0 in "int" mode, not counted (-1) else

    def _texts(self, x: Any, what: str) -> tuple[np.ndarray, bool]:
        """``x`` as an object array of ``str``, (batch,) or (batch, k) (k = 1 unless split is None), and whether it
        was a single text."""
        texts = _string_array(self, x, what, "texts (a NumPy array or a list of strings)",
                              "vectorize the texts where the data are prepared: "
                              "ds.map(lambda x, y: (vectorize_layer(x), y))",
                              "give one string per text, a list or an array of shape (batch,)")
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

    def forward(self, x: Any) -> Tensor:
        self._check_ready()
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
        ids, text, _ = self._ids(rows, 0)
        return self._weighted(bag(text, ids, len(rows), self._depth(), self.output_mode, self.dtype))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _refuse_symbolic(self, args, "vectorize the texts where the data are prepared, "
                         "ds.map(lambda x, y: (vectorize_layer(x), y)), and start the model at the layer after it "
                         "(the Embedding)")
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
        return {**super().get_config(), "standardize": _function_name(self.standardize, "standardize"),
                "split": _function_name(self.split, "split"), "ngrams": self.ngrams,
                "output_sequence_length": self.output_sequence_length, "encoding": self.encoding}


VECTORIZE: dict[str, type[Layer]] = {"TextVectorization": TextVectorization}
LAYERS.update(VECTORIZE)  # the classes a model file may name
