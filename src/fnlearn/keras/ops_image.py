"""``keras.ops.image``: ``resize`` and ``extract_patches``, the two image ops Keras's examples call (a Vision
Transformer cuts images into patches with the second).

Both are differentiable: ``resize`` runs the ``Resizing`` layer's computation, ``extract_patches`` is a
convolution with a kernel that copies each patch's values into the channels, as Keras computes it, so the patches'
numbers come in Keras's order (row by row of the patch, each pixel's channels together).

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import ops
    >>> images = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    >>> ops.image.resize(images, (2, 2)).shape, ops.image.extract_patches(images, 2).shape
    ((2, 2, 2, 3), (2, 2, 2, 12))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._missing import not_provided


def _pair(value: Any, what: str, example: str) -> tuple[int, int]:
    """An int for both sides, or a pair of them, each ≥ 1; else one ConfigError sentence."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) and v >= 1 for v in pair):
        raise ConfigError(f"keras.ops.image got {what}={value!r}; it takes a whole number ≥ 1 or a pair (height, "
                          f"width) of them, e.g. {what}={example}.")
    return int(pair[0]), int(pair[1])


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
    from ..nn.conv import conv2d
    from .ops import convert_to_tensor

    ph, pw = _pair(size, "size", "16")
    strides = (ph, pw) if strides is None else _pair(strides, "strides", "16")
    dilation = _pair(dilation_rate, "dilation_rate", "1")
    if data_format not in (None, "channels_last"):
        raise ConfigError(f"keras.ops.image.extract_patches got data_format={data_format!r}; fnlearn's images are "
                          "channels last, (batch, height, width, channels).")
    x = convert_to_tensor(images)
    if x.dtype.kind != "f":
        x = Tensor(x.data.astype(backend.get_default_dtype()))
    single = x.ndim == 3
    if single:
        x = F.reshape(x, (1, *x.shape))
    if x.ndim != 4:
        raise ShapeError(f"keras.ops.image.extract_patches takes images (batch, height, width, channels) or one "
                         f"image, got shape {tuple(x.shape)}; add the channels axis with x[..., None].")
    channels = x.shape[-1]
    depth = ph * pw * channels
    # the kernel that copies patch value k into channel k: Keras's own construction, so the order is Keras's
    copier = backend.xp().eye(depth, dtype=x.dtype).reshape(ph, pw, channels, depth)
    out = conv2d(x, Tensor(copier), None, strides=strides, padding=padding, dilation_rate=dilation)
    return F.reshape(out, out.shape[1:]) if single else out


__all__ = ["resize", "extract_patches"]

__getattr__ = not_provided(__name__, __all__)
