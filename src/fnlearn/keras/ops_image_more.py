"""The rest of ``keras.ops.image``: colour conversions (``rgb_to_grayscale``, ``rgb_to_hsv``, ``hsv_to_rgb``),
padding and cropping (``pad_images``, ``crop_images``), filters (``gaussian_blur``, ``sobel_edges``), resampling
(``affine_transform``, ``perspective_transform``, ``map_coordinates``, ``scale_and_translate``), ``ssim`` and the
random ``elastic_transform``; :mod:`.ops_image` re-exports them beside ``resize`` and ``extract_patches``.

Each takes a batch of channels-last images (batch, height, width, channels) or one image (height, width,
channels), as Keras does, and gives Keras 3's values for the same inputs. Each is differentiable with respect to
the images (``map_coordinates`` with respect to its coordinates too, as Keras's is), built from fnlearn's
differentiable ops: the filters are depthwise convolutions, the resampling is the image layers' own
(:func:`fnlearn.nn.image.interpolate`, under ``RandomRotation`` and its kin). Integer pixels are computed in the
default float dtype, as ``resize`` computes them.

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import ops
    >>> images = np.random.default_rng(0).random((2, 8, 8, 3))
    >>> ops.image.rgb_to_grayscale(images).shape, ops.image.sobel_edges(images).shape
    ((2, 8, 8, 1), (2, 8, 8, 3, 2))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..nn.image import _FILL_MODES, _INTERPOLATIONS, _choice, _fill_value, _number
from ..tensor import Tensor

_MAP_FILL_MODES = (*_FILL_MODES, "mirror")  # the image layers' fill modes, and one more for map_coordinates


# ----------------------------------------------------------------------------- shared checks


def _images(images: Any, owner: str, data_format: Any, ranks: tuple[int, ...] = (3, 4)) -> tuple[Tensor, bool]:
    """(a batch of float images, whether one image was given): ``images`` as a float tensor, one image given a
    batch axis; anything but channels-last images of ``ranks`` refused in one sentence."""
    from ..nn.conv import _channels_last
    from .ops import _float

    _channels_last(data_format, f"keras.ops.image.{owner}")
    x = _float(images)
    if x.ndim not in ranks:
        takes = "a batch of images (batch, height, width, channels)" if ranks == (4,) else \
            "images (batch, height, width, channels) or one image (height, width, channels)"
        raise ShapeError(f"keras.ops.image.{owner} takes {takes}, got shape {tuple(x.shape)}; add the missing axes, "
                         "e.g. x[..., None] for the channels of grayscale images.")
    single = x.ndim == 3
    return (F.reshape(x, (1, *x.shape)) if single else x), single


def _restore(out: Tensor, single: bool) -> Tensor:
    """``out`` without the batch axis given to one image."""
    return F.reshape(out, out.shape[1:]) if single else out


def _three_channels(x: Tensor, owner: str, what: str) -> None:
    if x.shape[-1] != 3:
        raise ShapeError(f"keras.ops.image.{owner} takes {what} images with 3 channels last, got shape "
                         f"{tuple(x.shape)}; give images (..., height, width, 3).")


def _check_float(images: Any, owner: str) -> None:
    """Refuse integer pixels where Keras does: the HSV conversions read values in [0, 1], not 0 to 255."""
    dtype = np.dtype(images.dtype if hasattr(images, "dtype") else np.asarray(images).dtype)
    if dtype.kind != "f":
        raise ConfigError(f"keras.ops.image.{owner} takes float images with values in [0, 1], got {dtype.name} "
                          "ones; convert them first, e.g. x / 255 for 8-bit pixels.")


def _channel(x: Tensor, k: int) -> Tensor:
    return F.getitem(x, (..., k))


# ----------------------------------------------------------------------------- colour


def rgb_to_grayscale(images: Any, data_format: Any = None) -> Tensor:
    """RGB images (batch, height, width, 3), or one image, as grayscale (…, 1): 0.2989·red + 0.587·green +
    0.114·blue, Keras's ``ops.image.rgb_to_grayscale``; images with one channel come back as they are.

    >>> import numpy as np
    >>> rgb_to_grayscale(np.array([[[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]])).numpy().round(4).tolist()
    [[[0.2989], [0.9999]]]
    """
    from ..nn.augment import grayscale

    x, single = _images(images, "rgb_to_grayscale", data_format)
    if x.shape[-1] not in (1, 3):
        raise ShapeError(f"keras.ops.image.rgb_to_grayscale takes images with 3 channels (RGB) or 1 (grayscale), "
                         f"got shape {tuple(x.shape)}; give the images' colour channels last.")
    return _restore(grayscale(x), single)  # the colour augmentations' own luma


def rgb_to_hsv(images: Any, data_format: Any = None) -> Tensor:
    """RGB images (…, 3) with values in [0, 1] as hue, saturation and value, each in [0, 1] (a hue of 0 is red,
    1/3 green, 2/3 blue), Keras's ``ops.image.rgb_to_hsv``. The grays (no colour) have hue and saturation 0.

    >>> import numpy as np
    >>> rgb_to_hsv(np.array([[[0.0, 0.5, 0.0], [0.4, 0.4, 0.4]]])).numpy().round(4).tolist()
    [[[0.3333, 1.0, 0.5], [0.0, 0.0, 0.4]]]
    """
    _check_float(images, "rgb_to_hsv")
    x, single = _images(images, "rgb_to_hsv", data_format)
    _three_channels(x, "rgb_to_hsv", "RGB")
    # values within one epsilon of zero count as zero, as Keras counts them
    x = F.where(Tensor(backend.xp().abs(x.data) < np.finfo(x.dtype).eps), 0.0, x)
    red, green, blue = (_channel(x, k) for k in range(3))
    value = F.maximum(F.maximum(red, green), blue)
    spread = F.sub(value, F.minimum(F.minimum(red, green), blue))
    coloured, lit = Tensor(spread.data > 0), Tensor(value.data > 0)
    # the divisions are by 1 where the result is thrown away, so no 0/0 reaches the values or the gradient
    saturation = F.where(lit, F.div(spread, F.where(lit, value, 1.0)), 0.0)
    sixth = F.div(1.0, F.mul(F.where(coloured, spread, 1.0), 6.0))
    hue = F.where(Tensor(value.data == green.data), F.add(F.mul(sixth, F.sub(blue, red)), 2.0 / 6.0),
                  F.add(F.mul(sixth, F.sub(red, green)), 4.0 / 6.0))
    hue = F.where(Tensor(value.data == red.data), F.mul(sixth, F.sub(green, blue)), hue)
    hue = F.add(F.where(coloured, hue, 0.0), Tensor((hue.data < 0).astype(x.dtype)))  # a negative hue wraps round
    return _restore(F.stack([hue, saturation, value], axis=-1), single)


def hsv_to_rgb(images: Any, data_format: Any = None) -> Tensor:
    """HSV images (…, 3), each value in [0, 1], as RGB, Keras's ``ops.image.hsv_to_rgb`` (the inverse of
    :func:`rgb_to_hsv`; a hue outside [0, 1) wraps round).

    >>> import numpy as np
    >>> hsv_to_rgb(np.array([[[1 / 3, 1.0, 0.5], [0.0, 0.0, 0.4]]])).numpy().round(4).tolist()
    [[[0.0, 0.5, 0.0], [0.4, 0.4, 0.4]]]
    """
    _check_float(images, "hsv_to_rgb")
    x, single = _images(images, "hsv_to_rgb", data_format)
    _three_channels(x, "hsv_to_rgb", "HSV")
    hue, saturation, value = (_channel(x, k) for k in range(3))
    # hue mod 1, whose slope is 1 wherever it is defined: the whole turns subtracted are a constant
    sector = F.mul(F.sub(hue, Tensor(backend.xp().floor(hue.data))), 6.0)
    red = F.clip(F.sub(F.abs(F.sub(sector, 3.0)), 1.0), 0.0, 1.0)
    green = F.clip(F.sub(2.0, F.abs(F.sub(sector, 2.0))), 0.0, 1.0)
    blue = F.clip(F.sub(2.0, F.abs(F.sub(sector, 4.0))), 0.0, 1.0)
    gray = F.sub(1.0, saturation)
    planes = [F.mul(value, F.add(gray, F.mul(saturation, share))) for share in (red, green, blue)]
    return _restore(F.stack(planes, axis=-1), single)


# ----------------------------------------------------------------------------- padding and cropping


def _sides_and_size(first: Any, last: Any, target: Any, size: int, axis: str, owner: str,
                    names: tuple[str, str]) -> tuple[int, int]:
    """(before, after) along one axis from exactly two of (before, after, target size), Keras's rule for
    ``pad_images`` (the third is ``target − size − the other``) and ``crop_images`` (``size − target − the
    other``); a negative or missing amount refused in one sentence."""
    given = {names[0]: first, names[1]: last, f"target_{axis}": target}
    if sum(v is None for v in given.values()) != 1:
        listed = ", ".join(f"{k}={v!r}" for k, v in given.items())
        raise ConfigError(f"keras.ops.image.{owner} takes exactly two of {', '.join(given)}, got {listed}; leave "
                          "one of them out (None).")
    for key, v in given.items():
        if v is not None and not (isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                                  and v >= 0):
            raise ConfigError(f"keras.ops.image.{owner} got {key}={v!r}; it takes a whole number ≥ 0.")
    padding = owner == "pad_images"
    change = (target - size) if padding and target is not None else (size - target) if target is not None else 0
    before = change - last if first is None else int(first)
    after = change - before if last is None else int(last)
    if target is None:
        target = size + before + after if padding else size - before - after
    if before < 0 or after < 0 or (not padding and target < 0):
        raise ShapeError(f"keras.ops.image.{owner} got {', '.join(f'{k}={v!r}' for k, v in given.items())} for "
                         f"images {size} pixels in {axis}, which leaves {before} {names[0]}, {after} {names[1]} and "
                         f"a {axis} of {target}; give numbers that fit the images.")
    return int(before), int(after)


def pad_images(images: Any, top_padding: int | None = None, left_padding: int | None = None,
               bottom_padding: int | None = None, right_padding: int | None = None, target_height: int | None = None,
               target_width: int | None = None, data_format: Any = None) -> Tensor:
    """Images with rows of zeros above and below and columns left and right, Keras's ``ops.image.pad_images``:
    along each axis give two of the paddings and the target size (the third follows from them).

    >>> import numpy as np
    >>> pad_images(np.ones((2, 2, 1)), 1, 0, target_height=4, target_width=3).numpy()[..., 0].tolist()
    [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    x, single = _images(images, "pad_images", data_format)
    names = ("top_padding", "bottom_padding"), ("left_padding", "right_padding")
    rows = _sides_and_size(top_padding, bottom_padding, target_height, x.shape[1], "height", "pad_images", names[0])
    cols = _sides_and_size(left_padding, right_padding, target_width, x.shape[2], "width", "pad_images", names[1])
    return _restore(F.pad(x, ((0, 0), rows, cols, (0, 0))), single)


def crop_images(images: Any, top_cropping: int | None = None, left_cropping: int | None = None,
                bottom_cropping: int | None = None, right_cropping: int | None = None,
                target_height: int | None = None, target_width: int | None = None, data_format: Any = None) -> Tensor:
    """Images with rows cut off their top and bottom and columns off their sides, Keras's
    ``ops.image.crop_images``: along each axis give two of the croppings and the target size.

    >>> import numpy as np
    >>> crop_images(np.arange(9.0).reshape(3, 3, 1), 1, 0, target_height=2, target_width=2).numpy()[..., 0].tolist()
    [[3.0, 4.0], [6.0, 7.0]]
    """
    x, single = _images(images, "crop_images", data_format)
    names = ("top_cropping", "bottom_cropping"), ("left_cropping", "right_cropping")
    top, bottom = _sides_and_size(top_cropping, bottom_cropping, target_height, x.shape[1], "height",
                                  "crop_images", names[0])
    left, right = _sides_and_size(left_cropping, right_cropping, target_width, x.shape[2], "width", "crop_images",
                                  names[1])
    window = (slice(None), slice(top, x.shape[1] - bottom), slice(left, x.shape[2] - right))
    return _restore(F.getitem(x, window), single)


# ----------------------------------------------------------------------------- filters


def _per_channel(x: Tensor, kernels: Any, padding: str) -> Tensor:
    """Each channel of images ``x`` (N, H, W, C) convolved with each of ``kernels`` (kh, kw, M), the same for
    every channel: (N, H', W', C, M)."""
    from ..nn.depthwise import depthwise_conv2d

    kh, kw, m = kernels.shape
    channels = x.shape[-1]
    kernel = np.broadcast_to(kernels[:, :, None, :], (kh, kw, channels, m)).astype(x.dtype)
    out = depthwise_conv2d(x, Tensor(backend.to_device(kernel)), None, 1, padding)
    return F.reshape(out, (*out.shape[:3], channels, m))  # channel c's m-th output is at c·M + m


def _gaussian(size: int, sigma: float) -> np.ndarray:
    """The normalised 1-D Gaussian of ``size`` taps centred on the middle one (between two for an even size)."""
    taps = np.exp(-0.5 * ((np.arange(size) - (size - 1) / 2) / sigma) ** 2)
    return taps / taps.sum()


def _positive_pair(value: Any, what: str, owner: str, whole: bool) -> tuple[Any, Any]:
    pair = (value, value) if _number(value) else value
    ok = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
        _number(v) and v > 0 and (not whole or float(v).is_integer()) for v in pair)
    if not ok:
        kind = "whole numbers ≥ 1" if whole else "numbers > 0"
        raise ConfigError(f"keras.ops.image.{owner} got {what}={value!r}; it takes a pair of {kind}, e.g. "
                          f"{what}={'(3, 3)' if whole else '(1.0, 1.0)'}.")
    return (int(pair[0]), int(pair[1])) if whole else (float(pair[0]), float(pair[1]))


def gaussian_blur(images: Any, kernel_size: Any = (3, 3), sigma: Any = (1.0, 1.0), data_format: Any = None) -> Tensor:
    """Images blurred by a Gaussian kernel, Keras's ``ops.image.gaussian_blur``: each channel convolved with the
    normalised Gaussian of ``kernel_size`` taps and standard deviations ``sigma`` (in pixels), zeros around the
    image ("same" padding, so the size stays). As Keras computes it, the first number of each pair is along the
    width and the second along the height.

    >>> import numpy as np
    >>> x = np.zeros((1, 1, 3, 1)); x[0, 0, 1, 0] = 1.0
    >>> gaussian_blur(x, (3, 1), (1.0, 1.0)).numpy()[0, 0, :, 0].round(4).tolist()
    [0.2741, 0.4519, 0.2741]
    """
    width_size, height_size = _positive_pair(kernel_size, "kernel_size", "gaussian_blur", whole=True)
    width_sigma, height_sigma = _positive_pair(sigma, "sigma", "gaussian_blur", whole=False)
    x, single = _images(images, "gaussian_blur", data_format)
    kernel = np.outer(_gaussian(height_size, height_sigma), _gaussian(width_size, width_sigma))
    return _restore(F.squeeze(_per_channel(x, kernel[:, :, None], "same"), -1), single)


_SOBEL_ROWS = np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])  # the change down the rows (dy)


def sobel_edges(images: Any, data_format: Any = None) -> Tensor:
    """The Sobel gradients of a batch of images (batch, height, width, channels), Keras's
    ``ops.image.sobel_edges``: (batch, height, width, channels, 2), the change down the rows (dy) then along them
    (dx) at every pixel of every channel, zeros around the image.

    >>> import numpy as np
    >>> x = np.zeros((1, 3, 3, 1)); x[0, :, 2, 0] = 1.0  # an edge at the right
    >>> sobel_edges(x).numpy()[0, 1, 1, 0].tolist()
    [0.0, 4.0]
    """
    x, _ = _images(images, "sobel_edges", data_format, ranks=(4,))
    return _per_channel(x, np.stack([_SOBEL_ROWS, _SOBEL_ROWS.T], axis=-1), "same")


# ----------------------------------------------------------------------------- resampling


def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear", fill_mode: str = "constant",
                     fill_value: float = 0, data_format: Any = None) -> Tensor:
    """Images resampled through affine transforms, Keras's ``ops.image.affine_transform`` (the resampling under
    ``RandomRotation``, ``RandomZoom`` and ``RandomTranslation``): output pixel (x, y) (column, row) reads the
    input at ``(a0·x + a1·y + a2, b0·x + b1·y + b2)`` for a transform ``[a0, a1, a2, b0, b1, b2, 0, 0]`` (one for
    every image, or one row per image); ``interpolation`` "bilinear" or "nearest"; points outside the image read
    per ``fill_mode``: "constant" (``fill_value``), "nearest", "wrap" or "reflect". Keras ignores c0 and c1 but on
    TensorFlow; fnlearn refuses a transform whose c0 or c1 is not 0. Differentiable with respect to the images.

    >>> import numpy as np
    >>> x = np.arange(4.0).reshape(1, 4, 1)
    >>> affine_transform(x, [1, 0, -1, 0, 1, 0, 0, 0]).numpy()[0, :, 0].tolist()  # one pixel to the right
    [0.0, 0.0, 1.0, 2.0]
    """
    from ..nn.image import affine_transform as transform_images

    interpolation = _choice(interpolation, "interpolation", "keras.ops.image.affine_transform", _INTERPOLATIONS)
    fill_mode = _choice(fill_mode, "fill_mode", "keras.ops.image.affine_transform", _FILL_MODES)
    fill = _fill_value(fill_value, "keras.ops.image.affine_transform")
    x, single = _images(images, "affine_transform", data_format)
    return _restore(transform_images(x, transform, interpolation, fill_mode, fill), single)


def map_coordinates(inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant",
                    fill_value: float = 0) -> Tensor:
    """``inputs`` (any number of axes) read at fractional ``coordinates`` (one array of positions per axis of the
    inputs, stacked: (inputs.ndim, *points)), Keras's ``ops.image.map_coordinates``: the nearest value
    (``order=0``, halves rounded away from zero) or linear interpolation (``order=1``); points outside read per
    ``fill_mode``: "constant" (``fill_value``), "nearest" (a a | a b c d | d d), "wrap", "mirror" (c b | a b c d
    | c b) or "reflect" (b a | a b c d | d c). Differentiable with respect to the inputs and, for ``order=1``,
    the coordinates.

    >>> import numpy as np
    >>> map_coordinates(np.array([0.0, 10.0, 20.0]), [[0.5, 2.5]], order=1).numpy().tolist()
    [5.0, 10.0]
    """
    from ..nn.image import interpolate
    from .ops import _float

    if isinstance(order, (bool, np.bool_)) or order not in (0, 1):
        raise ConfigError(f"keras.ops.image.map_coordinates got order={order!r}; it takes 0 (the nearest value) or "
                          "1 (linear interpolation).")
    fill_mode = _choice(fill_mode, "fill_mode", "keras.ops.image.map_coordinates", _MAP_FILL_MODES)
    fill = _fill_value(fill_value, "keras.ops.image.map_coordinates")
    x, points = _float(inputs), _float(coordinates)
    if points.dtype != x.dtype:
        points = F.cast(points, x.dtype)
    if x.ndim == 0 or points.ndim < 2 or points.shape[0] != x.ndim:
        raise ShapeError(f"keras.ops.image.map_coordinates takes coordinates of shape (inputs.ndim, *points), one "
                         f"row of positions per axis of the inputs, got coordinates of shape {tuple(points.shape)} "
                         f"for inputs of shape {tuple(x.shape)}; stack one array of positions per axis.")
    if 0 in x.shape:
        raise ShapeError(f"keras.ops.image.map_coordinates got empty inputs of shape {tuple(x.shape)}; give inputs "
                         "with at least one value along each axis.")
    axes = [F.getitem(points, k) for k in range(x.ndim)]
    interpolation = "bilinear" if order == 1 else "nearest"
    slopes = [axis if axis.requires_grad else None for axis in axes] if order == 1 else None
    return interpolate(x, (), [(axis.data, size) for axis, size in zip(axes, x.shape)], interpolation, fill_mode,
                       fill, slopes)


def _homographies(start_points: np.ndarray, end_points: np.ndarray) -> np.ndarray:
    """(n, 8): for each pair of four points the perspective transform [a0, a1, a2, b0, b1, b2, c0, c1] that maps
    each end point (x, y) to its start point ((a0·x + a1·y + a2) / k, (b0·x + b1·y + b2) / k), k = c0·x + c1·y +
    1: the 8×8 linear system Keras solves, in float32 as Keras solves it."""
    n = start_points.shape[0]
    system = np.zeros((n, 8, 8))
    for k in range(4):
        (x, y), (u, v) = end_points[:, k].T, start_points[:, k].T
        system[:, 2 * k] = np.stack([x, y, np.ones(n), *np.zeros((3, n)), -u * x, -u * y], axis=-1)
        system[:, 2 * k + 1] = np.stack([*np.zeros((3, n)), x, y, np.ones(n), -v * x, -v * y], axis=-1)
    targets = start_points.reshape(n, 8).astype(np.float32)
    return np.linalg.solve(system.astype(np.float32), targets[..., None])[..., 0].astype(np.float64)


def _corner_points(points: Any, what: str, n: int) -> np.ndarray:
    try:
        array = np.asarray(backend.to_numpy(points.data if isinstance(points, Tensor) else points), dtype=np.float64)
    except (TypeError, ValueError):
        array = np.zeros((0,))
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (4, 2) or array.shape[0] not in (1, n) or not np.isfinite(array).all():
        raise ShapeError(f"keras.ops.image.perspective_transform takes {what} of shape (4, 2), four (x, y) points, "
                         f"or (batch, 4, 2) with one set per image ({n}), got {np.shape(points)}; give one of those.")
    return np.broadcast_to(array, (n, 4, 2))


def perspective_transform(images: Any, start_points: Any, end_points: Any, interpolation: str = "bilinear",
                          fill_value: float = 0, data_format: Any = None) -> Tensor:
    """Images warped so that the four ``start_points`` (x, y) of each go to its ``end_points``, Keras's
    ``ops.image.perspective_transform``: each output pixel reads the input through the perspective transform
    that maps the end points back to the start points (Keras's, solved in float32), ``interpolation`` "bilinear"
    or "nearest", points outside the image ``fill_value``. Differentiable with respect to the images.

    >>> import numpy as np
    >>> corners = np.array([[0, 0], [3, 0], [0, 1], [3, 1]])
    >>> x = np.arange(4.0).reshape(1, 4, 1)
    >>> perspective_transform(x, corners, corners + [1, 0]).numpy()[0, :, 0].round(4).tolist()
    [0.0, 0.0, 1.0, 2.0]
    """
    from ..nn.image import interpolate

    interpolation = _choice(interpolation, "interpolation", "keras.ops.image.perspective_transform", _INTERPOLATIONS)
    fill = _fill_value(fill_value, "keras.ops.image.perspective_transform")
    x, single = _images(images, "perspective_transform", data_format)
    n, h, w, _ = x.shape
    start = _corner_points(start_points, "start_points", n)
    end = _corner_points(end_points, "end_points", n)
    if np.shape(start_points) != np.shape(end_points):
        raise ShapeError(f"keras.ops.image.perspective_transform takes start_points and end_points of one shape, "
                         f"got {np.shape(start_points)} and {np.shape(end_points)}; give four points for each.")
    xp = backend.xp()
    a0, a1, a2, b0, b1, b2, c0, c1 = (backend.to_device(column.astype(x.dtype).reshape(n, 1, 1))
                                      for column in _homographies(start, end).T)
    ys, xs = xp.arange(h, dtype=x.dtype).reshape(1, h, 1), xp.arange(w, dtype=x.dtype).reshape(1, 1, w)
    scale = c0 * xs + c1 * ys + 1.0
    cols, rows = (a0 * xs + a1 * ys + a2) / scale, (b0 * xs + b1 * ys + b2) / scale
    out = interpolate(x, (xp.arange(n).reshape(n, 1, 1),), ((rows, h), (cols, w)), interpolation, "constant", fill)
    return _restore(out, single)


# Keras's names of scale_and_translate's kernels, and the resize kernels they are
_SCALE_METHODS = {"linear": "bilinear", "bilinear": "bilinear", "trilinear": "bilinear", "cubic": "bicubic",
                  "bicubic": "bicubic", "tricubic": "bicubic", "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _per_dim(value: Any, what: str, count: int) -> np.ndarray:
    """``scale`` or ``translation`` as ``count`` finite host numbers; refused in one sentence otherwise (and
    where gradients would be asked of them, which fnlearn's op does not give)."""
    if isinstance(value, Tensor) and value.requires_grad:
        raise ConfigError(f"keras.ops.image.scale_and_translate got a {what} that requires grad; fnlearn's op "
                          f"differentiates with respect to the images only, so give {what} as a constant.")
    try:
        numbers = np.asarray(backend.to_numpy(value.data if isinstance(value, Tensor) else value), dtype=np.float64)
    except (TypeError, ValueError):
        numbers = np.zeros((0,))
    if numbers.shape != (count,) or not np.isfinite(numbers).all() or (what == "scale" and (numbers <= 0).any()):
        kind = "number > 0" if what == "scale" else "finite number"
        raise ConfigError(f"keras.ops.image.scale_and_translate got {what}={value!r}; it takes one {kind} per "
                          f"axis of spatial_dims ({count}).")
    return numbers


def scale_and_translate(images: Any, output_shape: Any, scale: Any, translation: Any, spatial_dims: Any,
                        method: str, antialias: bool = True) -> Tensor:
    """``images`` (any number of axes) resampled to ``output_shape`` along ``spatial_dims``, Keras's
    ``ops.image.scale_and_translate`` (``jax.image.scale_and_translate``): along spatial axis k, input position
    y (pixel centres at half-integers) goes to y·scale[k] + translation[k] in the output, each output pixel the
    ``method`` kernel's weighted sum of the input pixels around where it comes from ("linear", "cubic" (Keys),
    "lanczos3", "lanczos5", or the "bi"/"tri" names of the first two), the kernel widened when shrinking with
    ``antialias``; output pixels that come from outside the input are 0. Linear in the images, and
    differentiable with respect to them (not to ``scale`` and ``translation``).

    >>> import numpy as np
    >>> scale = np.array([2.0, 2.0])
    >>> out = scale_and_translate(np.arange(4.0).reshape(2, 2), (4, 4), scale, 0.5 - scale / 2, (0, 1), "linear")
    >>> out.numpy()[0].tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    from ..nn.image import kernel_weights
    from .ops import _float

    method = _choice(method, "method", "keras.ops.image.scale_and_translate", tuple(_SCALE_METHODS))
    x = _float(images)
    try:
        dims = [int(d) for d in spatial_dims]
        shape = tuple(int(size) for size in output_shape)
    except (TypeError, ValueError):
        dims, shape = [-x.ndim - 1], ()
    axes = [d % x.ndim if -x.ndim <= d < x.ndim else None for d in dims]
    if None in axes or len(set(axes)) != len(axes):
        raise ConfigError(f"keras.ops.image.scale_and_translate got spatial_dims={spatial_dims!r}; it takes "
                          f"distinct axes of the images, which have {x.ndim}.")
    if len(shape) != x.ndim or any(size < 1 for size in shape) or any(
            size != x.shape[d] for d, size in enumerate(shape) if d not in axes):
        raise ShapeError(f"keras.ops.image.scale_and_translate got output_shape={output_shape!r} for images of "
                         f"shape {tuple(x.shape)}; give one size ≥ 1 per axis, the images' own size along the axes "
                         "not in spatial_dims.")
    scales, shifts = _per_dim(scale, "scale", len(axes)), _per_dim(translation, "translation", len(axes))
    out = x
    for d, step, shift in zip(axes, scales, shifts):
        weights = kernel_weights(x.shape[d], shape[d], 1.0 / step, shift, _SCALE_METHODS[method], bool(antialias))
        # the axis last, times the (in, out) weights, back in its place
        order = [k for k in range(x.ndim) if k != d] + [d]
        moved = F.matmul(F.transpose(out, order), Tensor(backend.to_device(weights.T.astype(x.dtype))))
        out = F.transpose(moved, list(np.argsort(order)))
    return out


# ----------------------------------------------------------------------------- similarity


def ssim(image1: Any, image2: Any, max_val: float = 1.0, filter_size: int = 11, filter_sigma: float = 1.5,
         k1: float = 0.01, k2: float = 0.03, data_format: Any = None) -> Tensor:
    """The structural similarity (SSIM) of two images, or of two batches image by image (batch,), Keras's
    ``ops.image.ssim``: Wang et al.'s index from local means, variances and covariance under a Gaussian window of
    ``filter_size`` pixels and ``filter_sigma`` (windows inside the image only), stabilised by (k1·max_val)² and
    (k2·max_val)², averaged over the image and its channels; 1 for identical images. Differentiable with respect
    to both images.

    >>> import numpy as np
    >>> image = np.random.default_rng(0).random((16, 16, 3))
    >>> float(ssim(image, image)), float(ssim(image, 1 - image)) < 0
    (1.0, True)
    """
    for what, value in (("max_val", max_val), ("filter_sigma", filter_sigma)):
        if not _number(value) or value <= 0:
            raise ConfigError(f"keras.ops.image.ssim got {what}={value!r}; it takes a number > 0.")
    for what, value in (("k1", k1), ("k2", k2)):
        if not _number(value) or value < 0:
            raise ConfigError(f"keras.ops.image.ssim got {what}={value!r}; it takes a number ≥ 0.")
    if not isinstance(filter_size, (int, np.integer)) or isinstance(filter_size, (bool, np.bool_)) \
            or filter_size < 1 or filter_size % 2 == 0:
        raise ConfigError(f"keras.ops.image.ssim got filter_size={filter_size!r}; it takes an odd whole number "
                          "≥ 1, e.g. 11.")
    a, single = _images(image1, "ssim", data_format)
    b, _ = _images(image2, "ssim", data_format)
    if a.shape != b.shape:
        raise ShapeError(f"keras.ops.image.ssim compares images of one shape, got {tuple(np.shape(image1))} and "
                         f"{tuple(np.shape(image2))}; give two images (or batches) of the same size.")
    if min(a.shape[1], a.shape[2]) < filter_size:
        raise ShapeError(f"keras.ops.image.ssim got images of {a.shape[1]}×{a.shape[2]} pixels, smaller than its "
                         f"filter_size of {filter_size}; give a filter_size no larger than the images.")
    if b.dtype != a.dtype:
        b = F.cast(b, a.dtype)
    one = _gaussian(filter_size, float(filter_sigma))
    window = np.outer(one, one)[:, :, None]

    def local_mean(x: Tensor) -> Tensor:
        return _per_channel(x, window, "valid")

    mean1, mean2 = local_mean(a), local_mean(b)
    mean11, mean22, mean12 = F.mul(mean1, mean1), F.mul(mean2, mean2), F.mul(mean1, mean2)
    var1 = F.sub(local_mean(F.mul(a, a)), mean11)
    var2 = F.sub(local_mean(F.mul(b, b)), mean22)
    covariance = F.sub(local_mean(F.mul(a, b)), mean12)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    numerator = F.mul(F.add(F.mul(mean12, 2.0), c1), F.add(F.mul(covariance, 2.0), c2))
    denominator = F.mul(F.add(F.add(mean11, mean22), c1), F.add(F.add(var1, var2), c2))
    per_image = F.mean(F.div(numerator, denominator), axis=(1, 2, 3, 4))
    return F.reshape(per_image, ()) if single else per_image


# ----------------------------------------------------------------------------- elastic deformation


def _elastic_warp(x: Tensor, noise: Any, alpha: float, sigma: float, interpolation: str, fill_mode: str,
                  fill: float) -> Tensor:
    """Images ``x`` (batch, height, width, channels) deformed by the displacements made of ``noise``, standard
    normal draws (2, batch, height, width), the columns' then the rows': each draw times ``sigma``, blurred by the
    Gaussian of int(6·sigma) | 1 taps and deviation ``sigma`` (zeros around), times ``alpha``, is how far each
    output pixel reads from its own place. The steps are Keras's, in the images' dtype, so that the same draws give
    Keras's pixels; the random draws themselves are the caller's."""
    from ..nn.image import interpolate

    xp = backend.xp()
    n, h, w, _ = x.shape
    dtype = x.dtype.type
    sigma, alpha = dtype(sigma), dtype(alpha)
    field = backend.to_device(np.asarray(backend.to_numpy(noise), dtype=x.dtype).reshape(2 * n, h, w, 1))
    moves = field * sigma
    if sigma > 0:  # a deviation of 0 leaves nothing to blur (Keras's kernel would be 0/0)
        size = int(dtype(6.0) * sigma) | 1
        # the Gaussian is separable: rows then columns, k + k taps a pixel where one k×k kernel takes k²
        blurred = gaussian_blur(gaussian_blur(Tensor(moves), (size, 1), (float(sigma), float(sigma))),
                                (1, size), (float(sigma), float(sigma)))
        moves = blurred.data
    moves = moves.reshape(2, n, h, w) * alpha
    cols = xp.arange(w, dtype=x.dtype).reshape(1, 1, w) + moves[0]
    rows = xp.arange(h, dtype=x.dtype).reshape(1, h, 1) + moves[1]
    return interpolate(x, (xp.arange(n).reshape(n, 1, 1),), ((rows, h), (cols, w)), interpolation, fill_mode, fill)


def elastic_transform(images: Any, alpha: float = 20.0, sigma: float = 5.0, interpolation: str = "bilinear",
                      fill_mode: str = "reflect", fill_value: float = 0.0, seed: Any = None,
                      data_format: Any = None) -> Tensor:
    """Images deformed elastically at random, Keras's ``ops.image.elastic_transform`` (Simard et al., 2003): for
    every pixel two displacements (columns, rows) drawn from N(0, ``sigma``²), smoothed by a Gaussian blur of
    deviation ``sigma`` (int(6·sigma) | 1 taps), scaled by ``alpha``; each output pixel reads the input that far
    from its place, ``interpolation`` "bilinear" or "nearest", points outside per ``fill_mode``: "reflect",
    "mirror", "wrap", "nearest" or "constant" (``fill_value``). ``seed``: None (fnlearn's generator, a new draw
    each call), an integer (the same draw every call) or a ``keras.random.SeedGenerator``; Keras's backends draw
    from their own generators (JAX's even gives both displacements one draw), so the draws are fnlearn's, and the
    same draws give Keras's pixels. Differentiable with respect to the images.

    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((2, 16, 16, 3))
    >>> out = elastic_transform(x, alpha=4.0, sigma=2.0, seed=1)
    >>> out.shape, bool(np.allclose(out.numpy(), elastic_transform(x, alpha=4.0, sigma=2.0, seed=1).numpy()))
    ((2, 16, 16, 3), True)
    >>> bool(np.allclose(elastic_transform(x, alpha=0.0).numpy(), x))   # no displacement: the images
    True
    """
    from .random import _generator

    interpolation = _choice(interpolation, "interpolation", "keras.ops.image.elastic_transform", _INTERPOLATIONS)
    fill_mode = _choice(fill_mode, "fill_mode", "keras.ops.image.elastic_transform", _MAP_FILL_MODES)
    fill = _fill_value(fill_value, "keras.ops.image.elastic_transform")
    if not _number(alpha):
        raise ConfigError(f"keras.ops.image.elastic_transform got alpha={alpha!r}; it takes a finite number, how "
                          "far the smoothed displacements reach, e.g. alpha=20.0.")
    if not _number(sigma) or sigma <= 0:
        raise ConfigError(f"keras.ops.image.elastic_transform got sigma={sigma!r}; it takes a number > 0, the "
                          "deviation in pixels of the noise and of the blur that smooths it, e.g. sigma=5.0.")
    x, single = _images(images, "elastic_transform", data_format)
    generator = _generator(seed)
    noise = generator.standard_normal((2, *x.shape[:3]))
    return _restore(_elastic_warp(x, noise, float(alpha), float(sigma), interpolation, fill_mode, fill), single)


__all__ = ["rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb", "pad_images", "crop_images", "gaussian_blur",
           "sobel_edges", "affine_transform", "map_coordinates", "perspective_transform", "scale_and_translate",
           "ssim", "elastic_transform"]
