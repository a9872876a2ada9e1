"""``keras.ops.image``: ``resize`` and ``extract_patches``, the two image ops Keras's examples call most (a Vision
Transformer cuts images into patches with the second), with ``extract_patches_3d`` for volumes, and the rest of
Keras's image ops from :mod:`.ops_image_more` (colour conversions, padding and cropping, blur and edges,
resampling, ``ssim``, ``elastic_transform``).

These are differentiable: ``resize`` runs the ``Resizing`` layer's computation, ``extract_patches`` (and
``extract_patches_3d``) is a convolution with a kernel that copies each patch's values into the channels, as Keras
computes it, so the patches' numbers come in Keras's order (row by row of the patch, each pixel's channels
together).

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import ops
    >>> images = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    >>> ops.image.resize(images, (2, 2)).shape, ops.image.extract_patches(images, 2).shape
    ((2, 2, 2, 3), (2, 2, 2, 12))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._missing import not_provided


def _pair(value: Any, what: str, example: str, names: str = "(height, width)") -> tuple[int, ...]:
    """An int for every axis, or one per axis as ``names`` lists them (a pair, or a triple for volumes), each ≥ 1;
    else one ConfigError sentence."""
    count = names.count(",") + 1
    sizes = (value,) * count if isinstance(value, (int, np.integer)) else value
    if not isinstance(sizes, (tuple, list)) or len(sizes) != count or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and v >= 1 for v in sizes):
        group = "pair" if count == 2 else "triple"
        raise ConfigError(f"keras.ops.image got {what}={value!r}; it takes a whole number ≥ 1 or a {group} {names} "
                          f"of them, e.g. {what}={example}.")
    return tuple(int(v) for v in sizes)


def resize(images: Any, size: Any, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
           fill_value: float = 0.0, data_format: Any = None) -> Tensor:
    """Images (batch, height, width, channels), or one image, resized to ``size`` = (height, width), Keras's
    ``ops.image.resize``: the ``Resizing`` layer's pixels for every interpolation and option.

    >>> import numpy as np
    >>> resize(np.ones((1, 4, 4, 1)), (2, 3)).shape
    (1, 2, 3, 1)
    """
    from ..nn.image import Resizing

    height, width = _pair(size, "size", "(224, 224)")
    layer = Resizing(height, width, interpolation=interpolation, crop_to_aspect_ratio=crop_to_aspect_ratio,
                     pad_to_aspect_ratio=pad_to_aspect_ratio, fill_mode=fill_mode, fill_value=fill_value,
                     antialias=antialias, data_format=data_format, dtype=_float_name(images))
    return layer(images)


def _float_name(images: Any) -> str:
    """The images' float dtype (the default float dtype for integer pixels), so resizing keeps float64 float64."""
    dtype = np.dtype(getattr(images, "dtype", np.asarray(images).dtype))
    return dtype.name if dtype.kind == "f" else backend.get_default_dtype()


def extract_patches(images: Any, size: Any, strides: Any = None, dilation_rate: Any = 1, padding: str = "valid",
                    data_format: Any = None) -> Tensor:
    """The ``size`` patches of channels-last images, Keras's ``ops.image.extract_patches``: (batch, rows, columns,
    ph·pw·channels), a patch every ``strides`` pixels (its size by default: patches side by side, as a Vision
    Transformer cuts an image), ``padding`` "valid" or "same".

    >>> import numpy as np
    >>> extract_patches(np.arange(16.0).reshape(1, 4, 4, 1), 2)[0, 0, 1].numpy().tolist()
    [2.0, 3.0, 6.0, 7.0]
    """
    return _patches(images, size, strides, dilation_rate, padding, data_format, "extract_patches", "(height, width)")


def extract_patches_3d(volumes: Any, size: Any, strides: Any = None, dilation_rate: Any = 1, padding: str = "valid",
                       data_format: Any = None) -> Tensor:
    """The ``size`` patches of channels-last volumes (batch, depth, height, width, channels), or of one volume,
    Keras's ``ops.image.extract_patches_3d``: (batch, …, pd·ph·pw·channels), a patch every ``strides`` voxels
    (its size by default), ``padding`` "valid" or "same".

    >>> import numpy as np
    >>> extract_patches_3d(np.arange(8.0).reshape(2, 2, 2, 1), 2).numpy().ravel().tolist()
    [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    """
    return _patches(volumes, size, strides, dilation_rate, padding, data_format, "extract_patches_3d",
                    "(depth, height, width)")


def _patches(images: Any, size: Any, strides: Any, dilation_rate: Any, padding: str, data_format: Any, owner: str,
             names: str) -> Tensor:
    """What :func:`extract_patches` and :func:`extract_patches_3d` compute, over the axes ``names`` lists."""
    from ..nn.conv_lstm import conv_nd
    from .ops import convert_to_tensor

    example = "16" if names == "(height, width)" else "(3, 3, 3)"
    sizes = _pair(size, "size", example, names)
    strides = sizes if strides is None else _pair(strides, "strides", example, names)
    dilation = _pair(dilation_rate, "dilation_rate", "1", names)
    if data_format not in (None, "channels_last"):
        raise ConfigError(f"keras.ops.image.{owner} got data_format={data_format!r}; fnlearn's images are "
                          "channels last, (batch, height, width, channels).")
    x = convert_to_tensor(images)
    if x.dtype.kind != "f":
        x = Tensor(x.data.astype(backend.get_default_dtype()))
    single = x.ndim == len(sizes) + 1
    if single:
        x = F.reshape(x, (1, *x.shape))
    if x.ndim != len(sizes) + 2:
        one = "image" if len(sizes) == 2 else "volume"
        raise ShapeError(f"keras.ops.image.{owner} takes {one}s (batch, {names[1:-1]}, channels) or one {one}, got "
                         f"shape {tuple(x.shape)}; add the channels axis with x[..., None].")
    channels = x.shape[-1]
    depth = math.prod(sizes) * channels
    # the kernel that copies patch value k into channel k: Keras's own construction, so the order is Keras's
    copier = backend.xp().eye(depth, dtype=x.dtype).reshape(*sizes, channels, depth)
    out = conv_nd(x, Tensor(copier), strides, padding, dilation)
    return F.reshape(out, out.shape[1:]) if single else out


# the rest of Keras's image ops, kept in their own module
from .ops_image_more import (  # noqa: E402
    affine_transform,
    crop_images,
    elastic_transform,
    gaussian_blur,
    hsv_to_rgb,
    map_coordinates,
    pad_images,
    perspective_transform,
    rgb_to_grayscale,
    rgb_to_hsv,
    scale_and_translate,
    sobel_edges,
    ssim,
)

__all__ = ["resize", "extract_patches", "extract_patches_3d", "rgb_to_grayscale", "rgb_to_hsv", "hsv_to_rgb",
           "pad_images", "crop_images", "gaussian_blur", "sobel_edges", "affine_transform", "map_coordinates",
           "perspective_transform", "scale_and_translate", "ssim", "elastic_transform"]

__getattr__ = not_provided(__name__, __all__)
