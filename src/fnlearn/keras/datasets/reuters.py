"""``keras.datasets.reuters``: 11,228 Reuters newswires as word-index lists, labelled with one of 46 topics.

Example:
    >>> from fnlearn.keras.datasets import reuters
    >>> reuters.get_label_names()[:4]
    ('cocoa', 'grain', 'veg-oil', 'earn')
    >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)   # doctest: +SKIP
    >>> len(x_train), len(x_test)                                                  # doctest: +SKIP
    (8982, 2246)
"""

from __future__ import annotations

import os

import numpy as np


def load_data(path: str | os.PathLike = "reuters.npz", num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3) -> tuple[tuple[np.ndarray, np.ndarray],
                                                                      tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: object arrays of lists of word indexes, int64 topics.

    The word options are those of ``imdb.load_data``; the wires are shuffled with
    ``np.random.RandomState(seed)`` and the last ``test_split`` of them are the test set, as in
    Keras. ``path`` is Keras's file name in the cache, or a file or folder on this computer (see
    :func:`fnlearn.datasets.load_reuters` for the search order and the verified download).
    """
    from ...datasets import load_reuters

    return load_reuters(path, num_words, skip_top, maxlen, test_split, seed, start_char, oov_char, index_from)


def get_word_index(path: str | os.PathLike = "reuters_word_index.json") -> dict[str, int]:
    """The word → rank dictionary of :func:`load_data` (add ``index_from``, 3, to match the sequences)."""
    from ...datasets import load_reuters_word_index

    return load_reuters_word_index(path)


def get_label_names() -> tuple[str, ...]:
    """The 46 topic names, in the order of the labels (label 3 is ``'earn'``)."""
    from ...datasets import REUTERS_LABEL_NAMES

    return REUTERS_LABEL_NAMES


__all__ = ["load_data", "get_word_index", "get_label_names"]
