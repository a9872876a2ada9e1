"""``keras.datasets.imdb``: 25,000 + 25,000 movie reviews as word-index lists, labelled 0 (bad) or 1 (good).

Example:
    >>> from fnlearn.keras.datasets import imdb
    >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)   # doctest: +SKIP
    >>> index = {i + 3: w for w, i in imdb.get_word_index().items()}             # doctest: +SKIP
    >>> " ".join(index.get(i, "?") for i in x_train[0][1:6])                     # doctest: +SKIP
    'this film was just brilliant'
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def load_data(path: str | os.PathLike = "imdb.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3, **kwargs: Any) -> tuple[tuple[np.ndarray, np.ndarray],
                                                          tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: object arrays of lists of word indexes, int64 labels.

    The options work as in Keras: words are ranked by frequency and shifted by ``index_from``;
    each review starts with ``start_char``; words outside ``skip_top <= w < num_words`` become
    ``oov_char``; with ``maxlen`` only reviews shorter than it are kept; both sets are shuffled
    with ``np.random.RandomState(seed)``. Extra keyword arguments are accepted and ignored, as in
    Keras 3. ``path`` is Keras's file name in the cache, or a file or folder on this computer
    (see :func:`fnlearn.datasets.load_imdb` for the search order and the verified download).
    """
    from ...datasets import load_imdb

    return load_imdb(path, num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)


def get_word_index(path: str | os.PathLike = "imdb_word_index.json") -> dict[str, int]:
    """The word → rank dictionary of :func:`load_data` (add ``index_from``, 3, to match the sequences)."""
    from ...datasets import load_imdb_word_index

    return load_imdb_word_index(path)


__all__ = ["load_data", "get_word_index"]
