"""Image layers beside the convolutions: ``ZeroPadding2D``, ``Cropping2D`` and ``UpSampling2D`` with their
differentiable ops (:func:`zero_pad2d`, :func:`crop2d`, :func:`upsample2d`), and the data augmentation layers of
Keras's image-classification tutorials, ``RandomFlip``, ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``
and ``RandomContrast``, with the resampling under the geometric ones (:func:`affine_transform`).

Images are channels-last, (batch, height, width, channels), as in :mod:`.conv`. An augmentation layer changes
images only in training (inside ``fit``, or called with ``training=True``) and passes them through in inference
(``predict``, ``evaluate``). Its k-th training call draws one transform per image from the generator seeded by
``(seed, k)``, as Dropout draws its masks: ``fl.set_seed`` makes a run repeatable. The transforms are Keras 3's,
computed as its affine transform computes them (points outside the image filled by ``fill_mode``), so an image
and the same transform give Keras's pixels.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> x = np.ones((2, 4, 4, 3))
    >>> fl.layers.ZeroPadding2D(1)(x).shape, fl.layers.Cropping2D(1)(x).shape, fl.layers.UpSampling2D(2)(x).shape
    ((2, 6, 6, 3), (2, 2, 2, 3), (2, 8, 8, 3))
    >>> augment = fl.Sequential([fl.layers.RandomFlip("horizontal"), fl.layers.RandomRotation(0.1)])
    >>> augment(x, training=False).shape
    (2, 4, 4, 3)
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor, as_array
from .conv import Pair, _channels_last, _check_images, _image_shape, _padded, _pair, _unpadded
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input

Sides = tuple[Pair, Pair]

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")
_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")

# ----------------------------------------------------------------------------- settings


def _count(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0


def _sides(value: Any, what: str, owner: str, axes: int = 2) -> Any:
    """((top, bottom), (left, right)) — for ``axes=3`` a volume's (depth, rows, columns) pairs — from Keras's three
    forms: an int for every side, one int per axis for both its sides, or one pair per axis; every number an
    integer ≥ 0."""

    def both(item: Any) -> Pair | None:
        if _count(item):
            return int(item), int(item)
        try:
            items = tuple(item)
        except TypeError:
            return None
        return (int(items[0]), int(items[1])) if len(items) == 2 and all(map(_count, items)) else None

    if _count(value):
        sides: list[Pair | None] = [both(value)] * axes
    else:
        try:
            items = tuple(value)
        except TypeError:
            items = ()
        sides = [both(item) for item in items] if len(items) == axes and not isinstance(value, str) else [None]
    if any(side is None for side in sides):
        if axes == 3:
            raise ConfigError(f"{owner} {what} must be an integer ≥ 0 for every side, three (depth, rows, columns) "
                              "such as (1, 2, 2), or three pairs ((front, back), (top, bottom), (left, right)); got "
                              f"{value!r}.")
        raise ConfigError(f"{owner} {what} must be an integer ≥ 0 for every side, a pair (rows, columns) such as "
                          f"(1, 2), or a pair of pairs ((top, bottom), (left, right)); got {value!r}.")
    return tuple(sides)


def _choice(value: Any, what: str, owner: str, allowed: tuple[str, ...], note: str = "") -> str:
    name = value.lower() if isinstance(value, str) else value
    if name not in allowed:
        names = ", ".join(repr(a) for a in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ConfigError(f"{owner} {what} must be {names}{note}, got {value!r}; use one of them.")
    return str(name)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _factor(value: Any, what: str, owner: str, bounds: tuple[float, float], meaning: str,
            open_below: bool = False) -> tuple[float, float]:
    """(lower, upper) from a number f, read as (−|f|, |f|), or a pair of numbers, each inside ``bounds``
    (the lower bound left out when ``open_below``), as Keras 3 reads its factors."""
    low, high = bounds
    items: tuple[Any, ...] = (value,) if _number(value) else ()
    if not items and not isinstance(value, str):
        try:
            items = tuple(value)
        except TypeError:
            items = ()
        items = items if len(items) == 2 else ()
    if not items or not all(_number(v) and (v > low if open_below else v >= low) and v <= high for v in items):
        interval = f"{'(' if open_below else '['}{low:g}, {high:g}]"
        raise ConfigError(f"{owner} {what} must be a number in {interval} or a pair (lower, upper) of them "
                          f"({meaning}), got {value!r}.")
    if len(items) == 1:
        return -abs(float(items[0])), abs(float(items[0]))
    lower, upper = sorted(float(v) for v in items)
    return lower, upper


def _plain(value: Any) -> Any:
    """A setting as JSON holds it: tuples as lists, NumPy numbers as Python's."""
    if isinstance(value, (tuple, list, np.ndarray)):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _fill_value(value: Any, owner: str) -> float:
    if not _number(value):
        raise ConfigError(f"{owner} fill_value must be a finite number (the value of points outside the image "
                          f"with fill_mode='constant'), got {value!r}.")
    return float(value)


def _value_range(value: Any, owner: str = "RandomContrast") -> tuple[float, float]:
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != 2 or not all(map(_number, items)) or not items[0] < items[1]:
        raise ConfigError(f"{owner} value_range must be a pair (low, high) with low < high, the range of the "
                          f"images' values such as (0, 255) or (0, 1), got {value!r}.")
    return float(items[0]), float(items[1])


def _images(images: Any) -> Tensor:
    """An op's images as a tensor: integer pixels in the default float dtype."""
    return images if isinstance(images, Tensor) else Tensor(as_array(images, _float_of(images), name="images"))


# ----------------------------------------------------------------------------- padding, cropping, upsampling


def zero_pad2d(x: Tensor, padding: Any = 1) -> Tensor:
    """Channels-last images (N, H, W, C) with zeros around them, as Keras's ``ZeroPadding2D``: ``padding`` is an
    int for every side, a pair (rows, columns), or ((top, bottom), (left, right)).

    >>> import fnlearn as fl, numpy as np
    >>> zero_pad2d(fl.tensor(np.ones((1, 2, 2, 1))), ((1, 0), (0, 1))).numpy()[0, :, :, 0].tolist()
    [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0]]
    """
    x = _images(x)
    _check_images(x, "zero_pad2d")
    rows, cols = _sides(padding, "padding", "zero_pad2d")
    out = _padded(x.data, rows, cols)
    if out is x.data:
        return x  # nothing to add
    return Tensor._result(out, (x,), lambda g: (_unpadded(g, rows, cols),), "zero_pad2d")


def _check_crop(shape: tuple[int, ...], rows: Pair, cols: Pair, who: str) -> None:
    if sum(rows) >= shape[0] or sum(cols) >= shape[1]:
        raise ShapeError(f"{who} crops {sum(rows)} rows ({rows[0]} on top, {rows[1]} below) and {sum(cols)} "
                         f"columns ({cols[0]} left, {cols[1]} right), which leaves nothing of its input of "
                         f"{shape[0]}×{shape[1]} (sample shape {tuple(shape)}); crop less, or crop larger images.")


def crop2d(x: Tensor, cropping: Any) -> Tensor:
    """Channels-last images (N, H, W, C) with rows and columns cut off their borders, as Keras's ``Cropping2D``:
    ``cropping`` is an int for every side, a pair (rows, columns), or ((top, bottom), (left, right)).

    >>> import fnlearn as fl, numpy as np
    >>> crop2d(fl.tensor(np.arange(16.0).reshape(1, 4, 4, 1)), ((1, 0), (1, 2))).numpy()[0, :, :, 0].tolist()
    [[5.0], [9.0], [13.0]]
    """
    x = _images(x)
    _check_images(x, "crop2d")
    rows, cols = _sides(cropping, "cropping", "crop2d")
    _check_crop(x.shape[1:], rows, cols, "crop2d")
    height, width = x.shape[1], x.shape[2]
    return F.getitem(x, (slice(None), slice(rows[0], height - rows[1]), slice(cols[0], width - cols[1])))


def _resize_matrix(size: int, factor: int, dtype: Any) -> Any:
    """(size·factor, size): each output row's weights over the input rows, for bilinear upsampling with
    half-pixel centres and the edge rows held (how Keras's ``UpSampling2D(interpolation="bilinear")`` resizes)."""
    at = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
    low = np.floor(at).astype(np.int64)
    high = np.minimum(low + 1, size - 1)
    matrix = np.zeros((size * factor, size))
    rows = np.arange(size * factor)
    np.add.at(matrix, (rows, low), 1 - (at - low))
    np.add.at(matrix, (rows, high), at - low)
    return backend.to_device(matrix.astype(dtype))


def upsample2d(x: Tensor, size: Any = 2, interpolation: str = "nearest") -> Tensor:
    """Channels-last images (N, H, W, C) made ``size`` times larger, as Keras's ``UpSampling2D``: each pixel
    repeated (``"nearest"``), or interpolated between pixel centres (``"bilinear"``).

    >>> import fnlearn as fl, numpy as np
    >>> upsample2d(fl.tensor(np.array([[[[1.0], [2.0]]]])), (1, 2)).numpy()[0, :, :, 0].tolist()
    [[1.0, 1.0, 2.0, 2.0]]
    >>> upsample2d(fl.tensor(np.array([[[[1.0], [2.0]]]])), (1, 2), "bilinear").numpy()[0, :, :, 0].tolist()
    [[1.0, 1.25, 1.75, 2.0]]
    """
    xp = backend.xp()
    x = _images(x)
    _check_images(x, "upsample2d")
    sh, sw = _pair(size, "size", "upsample2d")
    interpolation = _choice(interpolation, "interpolation", "upsample2d", _INTERPOLATIONS)
    n, h, w, c = x.shape
    if interpolation == "nearest":
        out = xp.repeat(xp.repeat(x.data, sh, axis=1), sw, axis=2)
        return Tensor._result(out, (x,), lambda g: (g.reshape(n, h, sh, w, sw, c).sum(axis=(2, 4)),), "upsample2d")
    # bilinear is linear in the image, one matrix per axis: out = Mh · x · Mwᵀ, and the gradient the transposes
    mh, mw = _resize_matrix(h, sh, x.dtype), _resize_matrix(w, sw, x.dtype)
    out = xp.matmul(mw, xp.matmul(mh, x.data.reshape(n, h, w * c)).reshape(n, h * sh, w, c))

    def backward(g):
        through_width = xp.matmul(mw.T, g).reshape(n, h * sh, w * c)
        return (xp.matmul(mh.T, through_width).reshape(n, h, w, c),)

    return Tensor._result(out, (x,), backward, "upsample2d")


# ----------------------------------------------------------------------------- affine resampling


def _affine_rows(transform: Any, n: int) -> np.ndarray:
    """Keras's transforms as a host (n, 8) float64 array: one row [a0, a1, a2, b0, b1, b2, c0, c1] per image."""
    if isinstance(transform, Tensor):
        transform = transform.data
    try:
        rows = np.asarray(backend.to_numpy(transform), dtype=np.float64)
    except (TypeError, ValueError):
        rows = np.zeros((0, 0))
    rows = rows[None] if rows.ndim == 1 else rows
    if rows.ndim != 2 or rows.shape[1] != 8 or rows.shape[0] not in (1, n) or not np.isfinite(rows).all():
        raise ShapeError(f"affine_transform takes a transform of 8 finite numbers [a0, a1, a2, b0, b1, b2, 0, 0] (an "
                         f"output pixel (x, y) reads the input at (a0·x + a1·y + a2, b0·x + b1·y + b2)), or one such "
                         f"row per image ({n} rows), got {np.shape(transform)}; give one of those shapes.")
    if rows[:, 6:].any():
        raise ConfigError("affine_transform takes affine transforms only: the last two numbers (c0, c1) of each "
                          "transform must be 0, got a projective one; set them to 0.")
    return np.broadcast_to(rows, (n, 8))


def _round_half_away(a: Any) -> Any:
    """Round to the nearest integer, halves away from zero (as Keras's nearest interpolation), in float64 so that
    adding one half never rounds."""
    xp = backend.xp()
    a = a.astype(np.float64)
    return xp.where(a < 0, xp.ceil(a - 0.5), xp.floor(a + 0.5))


def _taps(position: Any, interpolation: str) -> list[tuple[Any, Any]]:
    """The pixels (integer positions) a position along one axis reads, with their shares: the nearest one
    (share None), or the two around it."""
    xp = backend.xp()
    if interpolation == "nearest":
        return [(_round_half_away(position).astype(np.int64), None)]
    below = xp.floor(position)
    share = position - below  # of the pixel after
    below = below.astype(np.int64)
    return [(below, 1 - share), (below + 1, share)]


def _source_index(index: Any, size: int, fill_mode: str) -> Any:
    """The pixel an integer position along an axis of ``size`` reads, per fill mode: reflected about the edge
    (d c b a | a b c d | d c b a), mirrored about the edge pixels ("mirror", ``map_coordinates``'s), wrapped
    around, or held at the nearest edge (constant's outside positions too: the caller fills them)."""
    xp = backend.xp()
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":
        folded = index % (2 * size)
        return xp.where(folded >= size, 2 * size - 1 - folded, folded)
    if fill_mode == "mirror":  # about the edge pixels, which are not repeated: (c d c b | a b c d | c b a b)
        if size == 1:
            return xp.zeros_like(index)
        folded = index % (2 * size - 2)
        return xp.where(folded >= size, 2 * size - 2 - folded, folded)
    return xp.clip(index, 0, size - 1)


def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear", fill_mode: str = "constant",
                     fill_value: float = 0.0) -> Tensor:
    """Each channels-last image (N, H, W, C) resampled through an affine transform, as Keras's
    ``ops.image.affine_transform`` computes it: output pixel (x, y) (column, row) takes the input's value at
    ``(a0·x + a1·y + a2, b0·x + b1·y + b2)`` for the transform ``[a0, a1, a2, b0, b1, b2, 0, 0]`` (one for all
    images, or one row per image). Between pixels the value is interpolated (``"bilinear"``) or the nearest
    pixel's (``"nearest"``); points outside the image read ``fill_mode``'s pixels: ``"reflect"`` (d c b a | a b c
    d | d c b a), ``"wrap"`` (a b c d | a b c d), ``"nearest"`` (a a a a | a b c d | d d d d) or ``"constant"``
    (``fill_value``). Differentiable with respect to the images.

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor(np.arange(4.0).reshape(1, 1, 4, 1))
    >>> shift = [1, 0, -1, 0, 1, 0, 0, 0]  # read one pixel to the left: the row moves right
    >>> affine_transform(x, shift).numpy()[0, 0, :, 0].tolist()
    [0.0, 0.0, 1.0, 2.0]
    >>> affine_transform(x, shift, fill_mode="reflect").numpy()[0, 0, :, 0].tolist()
    [0.0, 0.0, 1.0, 2.0]
    >>> affine_transform(x, shift, fill_mode="wrap").numpy()[0, 0, :, 0].tolist()
    [3.0, 0.0, 1.0, 2.0]
    """
    xp = backend.xp()
    x = _images(images)
    _check_images(x, "affine_transform")
    interpolation = _choice(interpolation, "interpolation", "affine_transform", _INTERPOLATIONS)
    fill_mode = _choice(fill_mode, "fill_mode", "affine_transform", _FILL_MODES)
    fill = _fill_value(fill_value, "affine_transform")
    n, h, w, _ = x.shape
    matrix = _affine_rows(transform, n)
    a0, a1, a2, b0, b1, b2 = (backend.to_device(matrix[:, k].astype(x.dtype).reshape(n, 1, 1)) for k in range(6))
    ys = xp.arange(h, dtype=x.dtype).reshape(1, h, 1)
    xs = xp.arange(w, dtype=x.dtype).reshape(1, 1, w)
    # in the images' dtype and in Keras's order of terms, so positions agree with Keras's to the last bit or so
    rows, cols = ys * b1 + xs * b0 + b2, ys * a1 + xs * a0 + a2
    return interpolate(x, (xp.arange(n).reshape(n, 1, 1),), ((rows, h), (cols, w)), interpolation, fill_mode, fill)


def interpolate(x: Tensor, lead: tuple[Any, ...], positions: Sequence[tuple[Any, int]], interpolation: str,
                fill_mode: str, fill: float, slopes: Sequence[Tensor | None] | None = None) -> Tensor:
    """``x`` read at fractional positions along consecutive axes, as Keras's ``map_coordinates`` reads it (under
    :func:`affine_transform` and ``keras.ops.image``'s resampling ops): after the integer index arrays ``lead``,
    one ``(positions, axis size)`` per axis (the arrays broadcasting together), each value the nearest pixel's or
    interpolated linearly between the pixels around it, and points outside read per ``fill_mode`` (see
    :func:`_source_index`; ``"constant"`` reads ``fill``). Axes after those read come along whole. Differentiable
    with respect to ``x``, and to the positions where ``slopes`` gives, per axis, the tensor they came from.

    >>> import fnlearn as fl, numpy as np
    >>> at = fl.backend.to_device(np.array([0.25, 1.5, 2.5]))  # positions on the tensors' device
    >>> interpolate(fl.tensor([0.0, 10.0, 20.0]), (), [(at, 3)], "bilinear", "constant", -10.0).numpy().tolist()
    [2.5, 15.0, 5.0]
    """
    trailing = (None,) * (x.ndim - len(lead) - len(positions))
    # each axis's reads once (pixel, inside the image, share); a point reads every combination of them
    reads = []
    for k, (position, size) in enumerate(positions):
        # the positions less their own values: zero, but carrying the positions' gradient into the shares
        moves = None if slopes is None or slopes[k] is None else F.sub(slopes[k], Tensor(slopes[k].data))
        axis_reads = []
        for tap, (at, share) in enumerate(_taps(position, interpolation)):
            if share is not None and moves is not None:
                # a step forward gives the pixel after (tap 1) what it takes from the one before (tap 0)
                share = F.add(Tensor(share), moves) if tap else F.sub(Tensor(share), moves)
            axis_reads.append((_source_index(at, size, fill_mode),
                               (at >= 0) & (at < size) if fill_mode == "constant" else None, share))
        reads.append(axis_reads)
    out: Tensor | None = None
    for combination in itertools.product(*reads):
        # one gather for every point; its gradient, where x needs one, adds back in place
        values = F.getitem(x, (*lead, *(index for index, _, _ in combination)))
        if fill_mode == "constant":
            inside = functools.reduce(operator.and_, (flags for _, flags, _ in combination))
            values = F.where(Tensor(inside[(..., *trailing)]), values, fill)
        shares = [share for _, _, share in combination if share is not None]
        if shares:
            if any(isinstance(share, Tensor) for share in shares):
                weight = functools.reduce(F.mul, (s if isinstance(s, Tensor) else Tensor(s) for s in shares))
                values = F.mul(values, F.reshape(weight, (*weight.shape, *(1 for _ in trailing))))
            else:
                values = F.mul(values, Tensor(functools.reduce(operator.mul, shares)[(..., *trailing)]))
        out = values if out is None else F.add(out, values)
    assert out is not None
    return out


# ----------------------------------------------------------------------------- layers


class ZeroPadding2D(Layer):
    """Zeros around each image, Keras's ``layers.ZeroPadding2D``: ``padding`` is an int for every side, a pair
    (rows, columns) or ((top, bottom), (left, right)); (batch, H, W, C) → (batch, H + top + bottom, W + left +
    right, C).

    >>> import fnlearn as fl
    >>> fl.layers.ZeroPadding2D(((1, 2), (3, 4))).compute_output_shape((5, 5, 3))
    (8, 12, 3)
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        _reject_unknown_kwargs("ZeroPadding2D", kwargs, allow=("input_shape",))
        _channels_last(data_format, "ZeroPadding2D")
        self.padding = _sides(padding, "padding", "ZeroPadding2D")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        height, width, channels = _image_shape(input_shape, f"ZeroPadding2D layer {self.name!r}")
        (top, bottom), (left, right) = self.padding
        return height + top + bottom, width + left + right, channels

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return zero_pad2d(x, self.padding)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": _plain(self.padding)}


class Cropping2D(Layer):
    """Rows and columns cut off each image's borders, Keras's ``layers.Cropping2D``: ``cropping`` is an int for
    every side, a pair (rows, columns) or ((top, bottom), (left, right)).

    >>> import fnlearn as fl
    >>> fl.layers.Cropping2D((2, 1)).compute_output_shape((28, 28, 1))
    (24, 26, 1)
    """

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        _reject_unknown_kwargs("Cropping2D", kwargs, allow=("input_shape",))
        _channels_last(data_format, "Cropping2D")
        self.cropping = _sides(cropping, "cropping", "Cropping2D")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        who = f"Cropping2D layer {self.name!r}"
        height, width, channels = _image_shape(input_shape, who)
        rows, cols = self.cropping
        _check_crop((height, width, channels), rows, cols, who)
        return height - sum(rows), width - sum(cols), channels

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return crop2d(x, self.cropping)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": _plain(self.cropping)}


class UpSampling2D(Layer):
    """Each image made ``size`` times larger, Keras's ``layers.UpSampling2D``: every pixel repeated
    (``interpolation="nearest"``, the default) or interpolated (``"bilinear"``, as Keras resizes).

    >>> import fnlearn as fl
    >>> fl.layers.UpSampling2D((2, 3)).compute_output_shape((7, 7, 16))
    (14, 21, 16)
    """

    def __init__(self, size: Any = (2, 2), data_format: str | None = None, interpolation: str = "nearest",
                 name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("UpSampling2D", kwargs, allow=("input_shape",))
        _channels_last(data_format, "UpSampling2D")
        self.size = _pair(size, "size", "UpSampling2D")
        self.interpolation = _choice(interpolation, "interpolation", "UpSampling2D", _INTERPOLATIONS,
                                     " (fnlearn has no bicubic or lanczos resizing)")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        height, width, channels = _image_shape(input_shape, f"UpSampling2D layer {self.name!r}")
        return height * self.size[0], width * self.size[1], channels

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return upsample2d(x, self.size, self.interpolation)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "size": list(self.size), "interpolation": self.interpolation}


class _RandomImageLayer(Layer):
    """An augmentation layer (no weights): in training, every image changed by a transform drawn for it from the
    layer's own stream; in inference, the images as they are (in the layer's dtype, as Keras gives them).

    Keras's two steps are there, for a transform chosen by hand or read from Keras's layer:
    :meth:`get_random_transformation` draws one (a dict of NumPy arrays, one entry per image, under Keras's
    names and in its units) and :meth:`transform_images` applies it."""

    trains_when_called = True  # Keras's call(training=True): a model called on its own augments (module.py)

    def __init__(self, seed: Any, data_format: str | None, name: str | None, kwargs: dict[str, Any]) -> None:
        owner = type(self).__name__
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        _channels_last(data_format, owner)
        self.seed: int | None = None if seed is None else backend.check_seed(
            seed, f"{owner} seed", "e.g. seed=0, or None for one drawn from fl.set_seed's generator")
        self.draws = 0  # training calls so far: the next transforms come from the generator seeded (seed, draws)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _image_shape(input_shape, f"{type(self).__name__} layer {self.name!r}", sizes=False)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype), self.name)
        if x.ndim == 3 and x.shape[-1] in (1, 3, 4):
            # one image, as Keras takes it (a data set mapped before it is batched); a batch of grayscale images
            # without their channels axis, (batch, 28, 28), is refused below with the way to add it
            return F.reshape(self.forward(F.reshape(x, (1, *x.shape))), x.shape)
        self.compute_output_shape(x.shape[1:])
        return self.transform_images(x, self.get_random_transformation(x, training=self.training))

    def _generator(self) -> np.random.Generator:
        """The next training call's generator, seeded by (seed, draws) as Dropout's masks are."""
        if self.seed is None:
            self.seed = int(backend.rng().integers(2**62))
        generator = np.random.default_rng([self.seed, self.draws])
        self.draws += 1
        return generator

    def get_random_transformation(self, images: Any, training: bool = True) -> dict[str, np.ndarray] | None:
        """The transforms of the next training call for ``images`` (one per image, drawn from the layer's
        stream), or None when not ``training``.

        >>> RandomFlip(seed=0).get_random_transformation(np.zeros((3, 2, 2, 1)))["flips"].shape
        (3,)
        """
        if not training:
            return None
        shape = tuple(images.shape if hasattr(images, "shape") else np.shape(images))
        self.compute_output_shape(shape[1:])  # a batch of images, before anything is drawn
        return self._draw(self._generator(), *(int(s) for s in shape[:3]))

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def transform_images(self, images: Any, transformation: dict[str, Any] | None,
                         training: bool = True) -> Tensor:
        """``images`` (batch, height, width, channels) changed by ``transformation`` (what
        :meth:`get_random_transformation` gives, or Keras's layer's own); as they are for None or not ``training``.

        >>> x = np.arange(2.0).reshape(1, 2, 1, 1)
        >>> RandomFlip("vertical").transform_images(x, {"flips": [True]}).numpy().ravel().tolist()
        [1.0, 0.0]
        """
        x = as_input(images, np.dtype(self.dtype), self.name)
        if transformation is None or not training:
            return x
        return self._apply(x, {key: np.asarray(backend.to_numpy(value)) for key, value in transformation.items()
                               if not np.isscalar(value)})

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


def _per_image_flags(values: Any) -> Tensor:
    """One True/False per image, from an array of any shape holding them (Keras's (n,), (n, 1, 1, 1)), as a
    (batch, 1, 1, 1) mask on the images' device."""
    return Tensor(backend.to_device(np.asarray(backend.to_numpy(values), dtype=bool).reshape(-1, 1, 1, 1)))


def _per_image(values: Any, n: int) -> np.ndarray:
    """One float64 number per image from an array of any shape holding them (Keras's (n, 1), (n, 1, 1, 1))."""
    return np.asarray(values, dtype=np.float64).reshape(n)


class RandomFlip(_RandomImageLayer):
    """Images flipped at random in training, Keras's ``layers.RandomFlip``: each image with probability ½, left to
    right (``mode="horizontal"``), top to bottom (``"vertical"``) or, as Keras 3 does, both at once
    (``"horizontal_and_vertical"``, the default: half the images turned by 180°).

    >>> import fnlearn as fl, numpy as np
    >>> flip = fl.layers.RandomFlip("horizontal")
    >>> x = np.arange(3.0).reshape(1, 1, 3, 1)
    >>> flip.transform_images(x, {"flips": np.array([True])}).numpy()[0, 0, :, 0].tolist()
    [2.0, 1.0, 0.0]
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None,
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.mode = _choice(mode, "mode", "RandomFlip", _FLIP_MODES)
        super().__init__(seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        return {"flips": generator.random(n) <= 0.5}  # Keras flips where its uniform draw is ≤ ½

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        rows = slice(None, None, -1) if self.mode != "horizontal" else slice(None)
        cols = slice(None, None, -1) if self.mode != "vertical" else slice(None)
        return F.where(_per_image_flags(transformation["flips"]), F.getitem(x, (slice(None), rows, cols)), x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode}


class _AffineLayer(_RandomImageLayer):
    """An augmentation that moves pixels: one affine transform per image, resampled by :func:`affine_transform`
    with the layer's ``fill_mode``, ``interpolation`` and ``fill_value``."""

    def __init__(self, fill_mode: str, interpolation: str, seed: Any, fill_value: Any, data_format: str | None,
                 name: str | None, kwargs: dict[str, Any]) -> None:
        owner = type(self).__name__
        self.fill_mode = _choice(fill_mode, "fill_mode", owner, _FILL_MODES)
        self.interpolation = _choice(interpolation, "interpolation", owner, _INTERPOLATIONS)
        self.fill_value = _fill_value(fill_value, owner)
        super().__init__(seed, data_format, name, kwargs)

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        return affine_transform(x, self._matrices(transformation, *x.shape[:3]), self.interpolation,
                                self.fill_mode, self.fill_value)

    def _matrices(self, transformation: dict[str, np.ndarray], n: int, height: int, width: int) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


def _affine(a0: Any, a1: Any, a2: Any, b0: Any, b1: Any, b2: Any) -> np.ndarray:
    """(n, 8) transforms from their coefficients (numbers or one per image)."""
    columns = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a0, a1, a2, b0, b1, b2, 0.0, 0.0)))
    return np.stack(columns, axis=-1).reshape(-1, 8)


class RandomRotation(_AffineLayer):
    """Images rotated at random in training, Keras's ``layers.RandomRotation``: each by an angle drawn uniformly
    from ``factor`` (fractions of a full turn: 0.1 turns by up to ±36°; a pair (lower, upper) for an uneven range;
    positive is counter-clockwise) about the image's centre.

    >>> import fnlearn as fl, numpy as np
    >>> quarter = fl.layers.RandomRotation((0.25, 0.25))  # always 90°
    >>> quarter(np.arange(4.0).reshape(1, 2, 2, 1), training=True).numpy()[0, :, :, 0].round(4).tolist()
    [[1.0, 3.0], [0.0, 2.0]]
    """

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self.factor = _factor(factor, "factor", "RandomRotation", (-1.0, 1.0),
                              "fractions of a full turn: 0.1 rotates by up to ±36°")
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        return {"angle": generator.uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, n)}  # degrees

    def _matrices(self, transformation: dict[str, np.ndarray], n: int, height: int, width: int) -> np.ndarray:
        angle = np.radians(_per_image(transformation["angle"], n))
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = (width - 1) / 2, (height - 1) / 2  # the centre stays where it is
        return _affine(cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor)}


class RandomZoom(_AffineLayer):
    """Images zoomed at random in training, Keras's ``layers.RandomZoom``: each image's height scaled by a factor
    drawn from 1 + ``height_factor`` (a fraction: 0.2 zooms by up to 20% out, positive, or in, negative; a pair
    (lower, upper) for an uneven range), its width from 1 + ``width_factor`` (None: the height's factor, which
    keeps the aspect ratio), about the image's centre.

    >>> import fnlearn as fl, numpy as np
    >>> zoom = fl.layers.RandomZoom((-0.5, -0.5), interpolation="nearest")  # always twice as large
    >>> zoom(np.arange(16.0).reshape(1, 4, 4, 1), training=True).numpy()[0, :, :, 0].tolist()
    [[5.0, 5.0, 6.0, 6.0], [5.0, 5.0, 6.0, 6.0], [9.0, 9.0, 10.0, 10.0], [9.0, 9.0, 10.0, 10.0]]
    """

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        meaning = "fractions of the size: 0.2 zooms out (positive) or in (negative) by up to 20%"
        self._height = _factor(height_factor, "height_factor", "RandomZoom", (-1.0, 1.0), meaning, open_below=True)
        self._width = None if width_factor is None else _factor(width_factor, "width_factor", "RandomZoom",
                                                                (-1.0, 1.0), meaning, open_below=True)
        self.height_factor, self.width_factor = _plain(height_factor), _plain(width_factor)
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        heights = generator.uniform(1 + self._height[0], 1 + self._height[1], n)
        widths = heights if self._width is None else generator.uniform(1 + self._width[0], 1 + self._width[1], n)
        return {"height_zoom": heights, "width_zoom": widths}

    def _matrices(self, transformation: dict[str, np.ndarray], n: int, height: int, width: int) -> np.ndarray:
        zx, zy = _per_image(transformation["width_zoom"], n), _per_image(transformation["height_zoom"], n)
        return _affine(zx, 0.0, (width - 1) / 2 * (1 - zx), 0.0, zy, (height - 1) / 2 * (1 - zy))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(_AffineLayer):
    """Images shifted at random in training, Keras's ``layers.RandomTranslation``: each image down by a fraction
    of its height drawn from ``height_factor`` (0.1: up to 10% up or down; a pair (lower, upper) for an uneven
    range) and right by a fraction of its width drawn from ``width_factor``.

    >>> import fnlearn as fl, numpy as np
    >>> shift = fl.layers.RandomTranslation(0.0, (0.25, 0.25), fill_mode="constant")  # always one pixel of 4
    >>> shift(np.arange(1.0, 5.0).reshape(1, 1, 4, 1), training=True).numpy()[0, 0, :, 0].tolist()
    [0.0, 1.0, 2.0, 3.0]
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        meaning = "fractions of the size: 0.1 shifts by up to 10% either way"
        self._height = _factor(height_factor, "height_factor", "RandomTranslation", (-1.0, 1.0), meaning)
        self._width = _factor(width_factor, "width_factor", "RandomTranslation", (-1.0, 1.0), meaning)
        self.height_factor, self.width_factor = _plain(height_factor), _plain(width_factor)
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        down = generator.uniform(*self._height, n) * height
        right = generator.uniform(*self._width, n) * width
        return {"translations": np.stack([right, down], axis=1)}  # pixels, (width, height) as Keras orders them

    def _matrices(self, transformation: dict[str, np.ndarray], n: int, height: int, width: int) -> np.ndarray:
        shifts = np.asarray(transformation["translations"], dtype=np.float64).reshape(n, 2)
        return _affine(1.0, 0.0, -shifts[:, 0], 0.0, 1.0, -shifts[:, 1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomContrast(_RandomImageLayer):
    """Contrast changed at random in training, Keras's ``layers.RandomContrast``: each image's channels spread
    about their means by a factor c, ``(x − mean)·c + mean``, clipped to ``value_range``. As Keras 3 reads
    ``factor``, a pair (lower, upper) draws c from [1 − lower, 1 + upper] and one number f from [1, 1 + f]
    (Keras 3's rule: it never lowers the contrast then); each number is in [0, 1].

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.RandomContrast(0.5, value_range=(0, 1), dtype="float64")
    >>> x = np.array([0.4, 0.6]).reshape(1, 1, 2, 1)
    >>> layer.transform_images(x, {"contrast_factor": np.array([2.0])}).numpy()[0, 0, :, 0].round(6).tolist()
    [0.3, 0.7]
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        lower, upper = _factor(factor, "factor", "RandomContrast", (0.0, 1.0),
                               "0.2 changes the contrast by up to 20%")
        self.factor = (0.0, upper) if _number(factor) else (lower, upper)
        self.value_range = _value_range(value_range)
        super().__init__(seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        return {"contrast_factor": generator.uniform(1 - self.factor[0], 1 + self.factor[1], n)}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        factors = _per_image(transformation["contrast_factor"], x.shape[0]).reshape(-1, 1, 1, 1)
        mean = F.mean(x, axis=(1, 2), keepdims=True)
        spread = F.mul(F.sub(x, mean), Tensor(backend.to_device(factors.astype(x.dtype))))
        return F.clip(F.add(spread, mean), *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range)}


IMAGE: dict[str, type[Layer]] = {cls.__name__: cls for cls in
                                 (ZeroPadding2D, Cropping2D, UpSampling2D, RandomFlip, RandomRotation, RandomZoom,
                                  RandomTranslation, RandomContrast)}
LAYERS.update(IMAGE)  # the classes a model file may name


# ----------------------------------------------------------------------------- resizing

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, 1.0 - x)


def _keys_cubic(x: np.ndarray) -> np.ndarray:
    """Keys's cubic kernel with a = −0.5 (what ``jax.image.resize`` calls bicubic)."""
    near = ((1.5 * x - 2.5) * x) * x + 1.0
    far = ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0
    return np.where(x >= 2.0, 0.0, np.where(x >= 1.0, far, near))


def _lanczos(radius: float) -> Any:
    def kernel(x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius) / (np.pi ** 2 * x ** 2)
        return np.where(x > radius, 0.0, np.where(x > 1e-3, values, 1.0))

    return kernel


_KERNELS = {"bilinear": _triangle, "bicubic": _keys_cubic, "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0)}


def resize_weights(in_size: int, out_size: int, interpolation: str = "bilinear", antialias: bool = False) -> np.ndarray:
    """(out_size, in_size) float64: each output pixel's weights over the input pixels along one axis, as
    ``jax.image.resize`` (under Keras 3's ``ops.image.resize`` and ``layers.Resizing``) computes them: pixel
    centres at half-integers, the kernel's weights normalised to sum to 1 inside the image, and an axis whose size
    does not change left as it is. ``"nearest"`` picks ⌊(i + ½)·in/out⌋ in float32, as jax does.

    >>> resize_weights(2, 4).tolist()
    [[1.0, 0.0], [0.75, 0.25], [0.25, 0.75], [0.0, 1.0]]
    >>> resize_weights(4, 2, "nearest").tolist()
    [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    """
    if in_size == out_size:
        return np.eye(out_size)
    weights = np.zeros((out_size, in_size))
    if interpolation == "nearest":
        at = np.floor((np.arange(out_size, dtype=np.float32) + 0.5) * in_size / out_size).astype(np.int64)
        weights[np.arange(out_size), np.minimum(at, in_size - 1)] = 1.0
        return weights
    inv_scale = in_size / out_size
    if interpolation != "area":
        return kernel_weights(in_size, out_size, inv_scale, 0.0, interpolation, antialias)
    sample = (np.arange(out_size) + 0.5) * inv_scale - 0.5  # each output pixel's centre, in input pixels
    # the overlap of each output pixel's span, projected back onto the input, with each input pixel
    left = np.arange(out_size) * inv_scale
    weights = np.maximum(0.0, np.minimum(left[:, None] + inv_scale, np.arange(1, in_size + 1)[None, :])
                         - np.maximum(left[:, None], np.arange(in_size)[None, :]))
    return _normalised(weights, sample, in_size)


def kernel_weights(in_size: int, out_size: int, inv_scale: float, translation: float = 0.0,
                   interpolation: str = "bilinear", antialias: bool = False) -> np.ndarray:
    """(out_size, in_size) float64: each output pixel's weights over the input pixels along one axis when output
    position p (pixel centres at half-integers) samples the input at (p − ``translation``)·``inv_scale``, the
    ``interpolation`` kernel's weights ("bilinear", "bicubic", "lanczos3" or "lanczos5", widened by the scale
    when shrinking with ``antialias``) normalised to sum to 1 inside the input, as ``jax.image.scale_and_translate``
    (under :func:`resize_weights` and Keras's ``ops.image.scale_and_translate``) computes them.

    >>> kernel_weights(2, 3, 1.0, 0.5).tolist()  # the same scale, half a pixel to the right
    [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]
    """
    sample = (np.arange(out_size) + 0.5) * inv_scale - translation * inv_scale - 0.5  # in input pixels
    stretch = max(inv_scale, 1.0) if antialias else 1.0  # downsampling with antialias widens the kernel
    weights = _KERNELS[interpolation](np.abs(sample[:, None] - np.arange(in_size)[None, :]) / stretch)
    return _normalised(weights, sample, in_size)


def _normalised(weights: np.ndarray, sample: np.ndarray, in_size: int) -> np.ndarray:
    """Each row of ``weights`` divided by its sum (rows summing to almost nothing zeroed), and the rows of output
    pixels whose ``sample`` position falls outside the input zeroed."""
    total = weights.sum(axis=1, keepdims=True)
    weights = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps, weights / np.where(total != 0, total, 1), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[:, None], weights, 0.0)


def _aspect_axes(height: int, width: int, size: Pair, crop: bool, pad: bool) -> tuple[Pair, Pair, Pair]:
    """(rows window, columns window, (rows padded, columns padded)) of Keras 3's ``crop_to_aspect_ratio`` /
    ``pad_to_aspect_ratio``: the centred crop with the target's aspect ratio, or the fill added on both sides of
    the short axis, in Keras's integer arithmetic (a window is (start, length))."""
    target_height, target_width = size
    if crop:
        crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
        crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
        return ((int(float(height - crop_height) / 2), crop_height),
                (int(float(width - crop_width) / 2), crop_width), (0, 0))
    if pad:
        pad_height = max(height, int(float(width * target_height) / target_width))
        pad_width = max(width, int(float(height * target_width) / target_height))
        top, left = int(float(pad_height - height) / 2), int(float(pad_width - width) / 2)
        # Keras pads one axis only, the same amount on both sides (the rows first)
        return (0, height), (0, width), (top, 0) if top > 0 else (0, left)
    return (0, height), (0, width), (0, 0)


def _axis_plan(size: int, out: int, window: Pair, padding: int, interpolation: str,
               antialias: bool) -> tuple[np.ndarray, np.ndarray]:
    """One axis of a resize as (matrix (out, size), share of each output pixel that reads the padding)."""
    start, length = window
    inner = resize_weights(length + 2 * padding, out, interpolation, antialias)
    matrix = np.zeros((out, size))
    matrix[:, start:start + length] = inner[:, padding:padding + length]
    return matrix, inner.sum(axis=1) - matrix.sum(axis=1)


@functools.lru_cache(maxsize=64)
def resize_plan(height: int, width: int, size: Pair, interpolation: str = "bilinear", crop: bool = False,
                pad: bool = False, fill_value: float = 0.0, antialias: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keras 3's resize of an image of ``height`` × ``width`` to ``size`` as ``(rows, columns, bias)`` (host
    float64, read-only): ``out = rows · image · columnsᵀ + bias`` for every channel. It is linear in the image, so
    its gradient is ``rowsᵀ · g · columns``; the crop, and the padding (whose ``fill_value`` goes into ``bias``),
    are folded into the matrices.

    >>> rows, cols, bias = resize_plan(2, 4, (2, 2), crop=True)
    >>> cols.tolist(), float(abs(bias).max())
    ([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]], 0.0)
    """
    row_window, col_window, (top, left) = _aspect_axes(height, width, size, crop, pad)
    rows, row_pad = _axis_plan(height, size[0], row_window, top, interpolation, antialias)
    cols, col_pad = _axis_plan(width, size[1], col_window, left, interpolation, antialias)
    # the padded image is fill everywhere plus (image − fill) inside: its resize is fill·(all of both axes'
    # weights) + rows·(image − fill)·colsᵀ
    row_all, col_all = rows.sum(axis=1) + row_pad, cols.sum(axis=1) + col_pad
    bias = fill_value * (np.outer(row_all, col_all) - np.outer(rows.sum(axis=1), cols.sum(axis=1)))
    for array in (rows, cols, bias):
        array.flags.writeable = False  # shared by every call through the cache
    return rows, cols, bias


def _resize_settings(size: Any, interpolation: Any, crop: Any, pad: Any, owner: str) -> tuple[Pair, str]:
    size = _pair(size, "size", owner)
    interpolation = _choice(interpolation, "interpolation", owner, RESIZE_INTERPOLATIONS,
                            " (fnlearn has no gaussian or mitchellcubic resizing)")
    if crop and pad:
        raise ConfigError(f"{owner} got crop_to_aspect_ratio=True and pad_to_aspect_ratio=True; choose one of them "
                          "(crop keeps the centre, pad keeps the whole image).")
    return size, interpolation


def resize(images: Any, size: Any, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
           pad_to_aspect_ratio: bool = False, fill_value: float = 0.0, antialias: bool = False) -> Tensor:
    """Channels-last images (N, H, W, C) resized to ``size`` = (height, width), as Keras 3's
    ``ops.image.resize`` and ``layers.Resizing`` resize them (see :func:`resize_weights`): stretched, or
    without distorting the aspect ratio by cropping the centre (``crop_to_aspect_ratio``) or padding the short
    sides with ``fill_value`` (``pad_to_aspect_ratio``). Differentiable with respect to the images (the resize
    is linear in them, for every interpolation).

    >>> import fnlearn as fl, numpy as np
    >>> resize(fl.tensor(np.array([[[[0.0], [4.0]]]])), (1, 4)).numpy()[0, 0, :, 0].tolist()
    [0.0, 1.0, 3.0, 4.0]
    >>> resize(fl.tensor(np.arange(6.0).reshape(1, 2, 3, 1)), (2, 2), crop_to_aspect_ratio=True).numpy().ravel()
    array([0., 1., 3., 4.])
    """
    xp = backend.xp()
    x = _images(images)
    _check_images(x, "resize")
    (height, width), interpolation = _resize_settings(size, interpolation, crop_to_aspect_ratio,
                                                      pad_to_aspect_ratio, "resize")
    n, h, w, c = x.shape
    rows, cols, bias = resize_plan(h, w, (height, width), interpolation, bool(crop_to_aspect_ratio),
                                   bool(pad_to_aspect_ratio), float(fill_value), bool(antialias))
    a, b = (backend.to_device(m.astype(x.dtype)) for m in (rows, cols))
    out = xp.matmul(b, xp.matmul(a, x.data.reshape(n, h, w * c)).reshape(n, height, w, c))
    if bias.any():
        out = out + backend.to_device(bias.astype(x.dtype))[None, :, :, None]

    def backward(g):
        through_width = xp.matmul(b.T, g).reshape(n, height, w * c)
        return (xp.matmul(a.T, through_width).reshape(n, h, w, c),)

    return Tensor._result(out, (x,), backward, "resize")


class Resizing(Layer):
    """Images resized to ``height`` × ``width``, Keras's ``layers.Resizing``: stretched (the default), or without
    distorting the aspect ratio by cropping the centre (``crop_to_aspect_ratio=True``) or padding the short sides
    with ``fill_value`` (``pad_to_aspect_ratio=True``); ``interpolation`` is "bilinear" (the default), "nearest",
    "bicubic", "lanczos3", "lanczos5" or "area", ``antialias=True`` smooths before shrinking. Keras's pixels
    (:func:`resize`); it takes a batch (batch, H, W, C) or one image (H, W, C), as Keras does.

    >>> import numpy as np
    >>> from fnlearn.keras import layers
    >>> layers.Resizing(4, 6).compute_output_shape((180, 240, 3))
    (4, 6, 3)
    >>> layers.Resizing(1, 4)(np.array([[[[0.0], [4.0]]]])).numpy().ravel().tolist()
    [0.0, 1.0, 3.0, 4.0]
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 pad_to_aspect_ratio: bool = False, fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        _reject_unknown_kwargs("Resizing", kwargs, allow=("input_shape",))
        _channels_last(data_format, "Resizing")
        for flag, value in (("crop_to_aspect_ratio", crop_to_aspect_ratio),
                            ("pad_to_aspect_ratio", pad_to_aspect_ratio), ("antialias", antialias)):
            if not isinstance(value, (bool, np.bool_)):
                raise ConfigError(f"Resizing {flag} must be True or False, got {value!r}.")
        if fill_mode != "constant":
            raise ConfigError(f"Resizing fill_mode={fill_mode!r} is not supported; Keras pads with a constant only: "
                              "leave fill_mode out (fill_value sets the padding's value).")
        (self.height, self.width), self.interpolation = _resize_settings(
            (height, width), interpolation, crop_to_aspect_ratio, pad_to_aspect_ratio, "Resizing")
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = bool(crop_to_aspect_ratio), bool(pad_to_aspect_ratio)
        self.fill_value = _fill_value(fill_value, "Resizing")
        self.antialias = bool(antialias)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _, _, channels = _image_shape(input_shape, f"Resizing layer {self.name!r}", sizes=False)
        return self.height, self.width, channels

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype) if self.dtype else _float_of(x), self.name)
        one_image = x.ndim == 3  # Keras resizes a single (H, W, C) image too
        if one_image:
            x = F.reshape(x, (1, *x.shape))
        self.compute_output_shape(x.shape[1:])
        out = resize(x, (self.height, self.width), self.interpolation, self.crop_to_aspect_ratio,
                     self.pad_to_aspect_ratio, self.fill_value, self.antialias)
        return F.reshape(out, out.shape[1:]) if one_image else out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": "constant",
                "fill_value": self.fill_value, "antialias": self.antialias}


LAYERS["Resizing"] = Resizing
