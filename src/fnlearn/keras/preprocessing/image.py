"""``keras.preprocessing.image``: the single-image helpers under their Keras-2-era home, as older tutorials import
them (``from keras.preprocessing.image import load_img, img_to_array``), and ``smart_resize``.

``load_img``, ``img_to_array``, ``array_to_img`` and ``save_img`` are ``keras.utils``' own. ``smart_resize`` resizes
an image (or a batch) to a size without distorting it, as Keras's: the largest centred window of the target's
aspect ratio, resized to the target (the ``Resizing`` layer's ``crop_to_aspect_ratio=True`` pixels).

Example:
    >>> import numpy as np
    >>> from fnlearn.keras.preprocessing.image import smart_resize
    >>> smart_resize(np.ones((340, 500, 3)), (200, 200)).shape
    (200, 200, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...datasets.images import array_to_img, img_to_array, load_img, save_img
from ...errors import ConfigError, ShapeError
from ...tensor import Tensor
from .._missing import not_provided


def smart_resize(x: Any, size: Any, interpolation: str = "bilinear", data_format: str = "channels_last",
                 backend_module: Any = None) -> Any:
    """``x`` (height, width, channels), or a batch of them, resized to ``size`` = (height, width) without
    distortion: its largest centred window of ``size``'s aspect ratio, resized with ``interpolation``
    ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"), Keras's pixels. A NumPy array gives a
    NumPy array, a tensor a tensor (differentiable).

    >>> import numpy as np
    >>> smart_resize(np.arange(12.0).reshape(2, 6, 1), (2, 2))[..., 0].tolist()  # the centre 2 × 2
    [[2.0, 3.0], [8.0, 9.0]]
    """
    from ..ops_image import resize

    if backend_module is not None:
        raise ConfigError("smart_resize got a backend_module; fnlearn has one backend, its own: leave it out.")
    if data_format not in ("channels_last", "channels_first"):
        raise ConfigError(f"smart_resize got data_format={data_format!r}; give 'channels_last' or 'channels_first'.")
    given = x if isinstance(x, Tensor) else np.asarray(x)
    if given.ndim not in (3, 4):
        raise ShapeError(f"smart_resize takes an image (height, width, channels) or a batch of them, got shape "
                         f"{tuple(given.shape)}; add the channels axis, e.g. x[..., None] for a grayscale image.")
    first = data_format == "channels_first"
    axes = (0, 2, 3, 1) if given.ndim == 4 else (1, 2, 0)
    inputs = (given.transpose(*axes) if isinstance(given, Tensor) else given.transpose(axes)) if first else given
    out = resize(inputs, size, interpolation=interpolation, crop_to_aspect_ratio=True)
    if first:
        back = (0, 3, 1, 2) if given.ndim == 4 else (2, 0, 1)
        out = out.transpose(*back)
    return out if isinstance(given, Tensor) else out.numpy()


__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "smart_resize"]

__getattr__ = not_provided(__name__, __all__)
