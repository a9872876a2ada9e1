"""``keras.utils``: ``to_categorical``, ``normalize``, ``set_random_seed``, ``pad_sequences``, and the image tools of
Keras's image-classification tutorials: ``image_dataset_from_directory`` (a folder of images, one subfolder per
class, as a dataset of batches that ``fit`` takes), ``load_img``, ``img_to_array``, ``array_to_img`` and ``save_img``
(:mod:`fnlearn.datasets.images`; Pillow reads and writes the files).

Example:
    >>> from fnlearn.keras.utils import to_categorical
    >>> to_categorical([1, 0], num_classes=3).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import set_seed as set_random_seed
from ..data import normalize, to_categorical
from ..datasets.images import array_to_img, image_dataset_from_directory, img_to_array, load_img, save_img
from ..errors import ConfigError, DataError
from ._missing import not_provided


def pad_sequences(sequences: Sequence[Any], maxlen: int | None = None, dtype: Any = "int32", padding: str = "pre",
                  truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """Sequences of different lengths as one NumPy array ``(len(sequences), maxlen, ...)``, as Keras pads them.

    ``maxlen`` defaults to the longest sequence. Shorter sequences are filled with ``value``
    before (``padding="pre"``) or after (``"post"``) their values; longer ones lose values at
    the start (``truncating="pre"``) or the end (``"post"``). Each item may itself be an array
    (all items of the same shape), and ``dtype=object`` or a string dtype pads strings.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
        array([[1, 0],
               [2, 3],
               [4, 5]], dtype=int32)
    """
    # every argument is checked before anything is built
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ConfigError(f"{name}={given!r} is not understood; expected 'pre' or 'post'.")
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0):
        raise ConfigError(f"maxlen={maxlen!r} is not usable; expected a whole number ≥ 0 or None.")
    if not hasattr(sequences, "__len__"):
        raise DataError(f"sequences is a {type(sequences).__name__}, which has no length; pass a list of "
                        f"sequences (lists or arrays).")
    lengths = []
    sample_shape: tuple[int, ...] = ()
    found_sample = False
    for position, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise DataError(f"sequences[{position}] is {seq!r}, not a sequence; pass a list of sequences "
                            f"(lists or arrays), e.g. [[1, 2], [3]].")
        lengths.append(len(seq))
        if not found_sample and len(seq):
            # the shape of one step comes from the first non-empty sequence; the others must agree
            sample_shape = np.asarray(seq).shape[1:]
            found_sample = True
    if maxlen is None:
        if not lengths:
            raise DataError("sequences is empty and maxlen is None, so there is no length to pad to; pass at "
                            "least one sequence or a maxlen.")
        maxlen = max(lengths)
    string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not string_dtype:
        raise ConfigError(f"value={value!r} is a string but dtype={dtype!r} holds no strings; pass dtype=object "
                          f"to pad strings.")
    out = np.full((len(lengths), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for position, seq in enumerate(sequences):
        if not len(seq):
            continue
        kept = np.asarray(seq[-maxlen:] if truncating == "pre" else seq[:maxlen], dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise DataError(f"sequences[{position}] has steps of shape {kept.shape[1:]}, but the first non-empty "
                            f"sequence's steps have shape {sample_shape}; give every step the same shape.")
        if padding == "post":
            out[position, :len(kept)] = kept
        else:
            out[position, -len(kept):] = kept
    return out


__all__ = ["to_categorical", "normalize", "set_random_seed", "pad_sequences", "image_dataset_from_directory",
           "load_img", "img_to_array", "array_to_img", "save_img"]

__getattr__ = not_provided(__name__, __all__)
