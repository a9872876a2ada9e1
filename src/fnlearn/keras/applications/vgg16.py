"""``keras.applications.vgg16``: VGG16, its preprocessing ("caffe": RGB to BGR, each channel less ImageNet's
mean) and ImageNet's class names.

Example:
    >>> from fnlearn.keras.applications import vgg16
    >>> vgg16.preprocess_input([[[0, 0, 0]]]).astype(float).round(2).tolist()
    [[[-103.94, -116.78, -123.68]]]
"""

from __future__ import annotations

from typing import Any

from .._missing import not_provided
from . import imagenet_utils
from ._vgg import vgg
from .imagenet_utils import decode_predictions


def VGG16(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
          input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
          classifier_activation: Any = "softmax", name: str = "vgg16") -> Any:
    """VGG16, Keras's ``keras.applications.VGG16``: 13 convolutions in 5 blocks and, with ``include_top``,
    three dense layers (the last of ``classes``); ``weights="imagenet"`` downloads Keras's ImageNet weights
    once, a path loads a weights file, None leaves them random.

    ``input_shape`` (height, width, 3), at least 32x32, is free without the top (None sizes: any); with it, it
    is (224, 224, 3) for ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a
    model without its top into one vector per image. Give it images through :func:`preprocess_input`.

    >>> VGG16(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 512)
    """
    return vgg("vgg16", (2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape, pooling, classes,
               classifier_activation, name)


preprocess_input = imagenet_utils.preprocessor("caffe", "VGG16")


__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
