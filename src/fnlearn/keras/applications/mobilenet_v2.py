"""``keras.applications.mobilenet_v2``: MobileNetV2 (Sandler et al., 2018), its preprocessing ("tf": pixels to
[-1, 1]) and ImageNet's class names.

MobileNetV2 is a 3x3 convolution, then 17 inverted residual blocks — a 1x1 convolution that widens the channels
(by ``expansion``), a 3x3 depthwise convolution and a 1x1 convolution that narrows them, added to the block's
input where the shape stays — a last 1x1 convolution to 1280 channels and, with the top, a global average
pooling and a dense layer. ``alpha`` scales every block's width.

Example:
    >>> from fnlearn.keras.applications import mobilenet_v2
    >>> mobilenet_v2.make_divisible(32 * 0.35, 8)
    16
"""

from __future__ import annotations

from typing import Any

from ...errors import ConfigError
from .. import layers
from .._missing import not_provided
from . import imagenet_utils
from ._common import (
    KERAS_WEIGHTS,
    WeightsFile,
    bn_relu,
    check_arguments,
    classified_or_pooled,
    correct_pad,
    image_input,
    image_shape,
    make_model,
)
from .imagenet_utils import decode_predictions
from .mobilenet import official_size

ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)  # the widths ImageNet's weights exist for
SIZES = (96, 128, 160, 192, 224)  # the image sizes ImageNet's weights exist for
# each block's filters (before alpha), stride and expansion
BLOCKS = ((16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6), (64, 1, 6),
          (64, 1, 6), (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6))
BN = {"epsilon": 1e-3, "momentum": 0.999}  # of every batch normalization


def make_divisible(value: float, divisor: int) -> int:
    """``value`` rounded to a multiple of ``divisor`` (at least ``divisor``), never more than 10 % below it: the
    widths of the blocks."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def weights_file(alpha: float, size: int, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for width ``alpha`` and images of ``size`` x ``size`` (no hash: Keras
    checks none).

    >>> weights_file(1.0, 160, include_top=False).fname
    'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_160_no_top.h5'
    """
    fname = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{size}{'' if include_top else '_no_top'}"
    fname += ".h5"
    return WeightsFile(fname, f"{KERAS_WEIGHTS}mobilenet_v2/{fname}")


def inverted_block(x: Any, filters: int, alpha: float, stride: int, expansion: int, block: int) -> Any:
    """One inverted residual block, Keras's names: ``block_{block}_expand``, ``…_depthwise``, ``…_project``
    (``expanded_conv_…`` for block 0, which does not expand), each with its ``_BN``; ``…_add`` where the block's
    input is added."""
    channels = x.shape[-1]
    width = make_divisible(int(filters * alpha), 8)
    start = x
    prefix = f"block_{block}_" if block else "expanded_conv_"
    if block:
        x = layers.Conv2D(expansion * channels, kernel_size=1, padding="same", use_bias=False, activation=None,
                          name=f"{prefix}expand")(x)
        x = bn_relu(x, f"{prefix}expand_BN", f"{prefix}expand_relu", max_value=6.0, **BN)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x.shape[1:3], 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid", name=f"{prefix}depthwise")(x)
    x = bn_relu(x, f"{prefix}depthwise_BN", f"{prefix}depthwise_relu", max_value=6.0, **BN)
    x = layers.Conv2D(width, kernel_size=1, padding="same", use_bias=False, activation=None,
                      name=f"{prefix}project")(x)
    x = bn_relu(x, f"{prefix}project_BN", **BN)
    if channels == width and stride == 1:
        return layers.Add(name=f"{prefix}add")([start, x])
    return x


def MobileNetV2(input_shape: Any = None, alpha: float = 1.0, include_top: bool = True,  # noqa: N802
                weights: Any = "imagenet", input_tensor: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str | None = None) -> Any:
    """MobileNetV2, Keras's ``keras.applications.MobileNetV2``. ``alpha`` scales the width of every block
    (ImageNet's weights exist for 0.35, 0.5, 0.75, 1.0, 1.3 and 1.4, and for images of 96, 128, 160, 192 or 224
    pixels square: other sizes take 224's, with a warning). ``weights="imagenet"`` downloads Keras's ImageNet
    weights once, a path loads a weights file, None leaves them random.

    ``input_shape`` (height, width, 3), at least 32x32, is free without the top (None sizes: any); with it, it is
    square of 224 for ImageNet's weights (or of the size given among those above). ``pooling`` ("avg" or "max")
    turns the last feature maps of a model without its top into one vector per image. Give it images through
    :func:`preprocess_input`. The model is named ``mobilenetv2_{alpha}_{rows}``, as Keras names it.

    >>> MobileNetV2(input_shape=(160, 160, 3), alpha=0.3, include_top=False)
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: MobileNetV2(alpha=0.3) has no ImageNet weights (they exist for alpha 0.35, 0.5, 0.75,
    1.0, 1.3 and 1.4); ...
    """
    model = "MobileNetV2"
    check_arguments(model, include_top, weights, pooling, classes, classifier_activation)
    given = input_shape
    if given is None and input_tensor is not None and isinstance(input_tensor, layers._Placeholder):
        given = input_tensor.shape[1:]  # the size of the tensor given decides which weights fit
    default_size = 224
    if given is not None and isinstance(given, (tuple, list)) and len(given) == 3 and given[0] == given[1] \
            and given[0] in SIZES:
        default_size = given[0]
    shape = image_shape(model, input_shape, default_size=default_size, min_size=32, include_top=include_top,
                        weights=weights)
    rows = shape[0]
    if weights == "imagenet":
        if alpha not in ALPHAS:
            raise ConfigError(f"MobileNetV2(alpha={alpha!r}) has no ImageNet weights (they exist for alpha 0.35, 0.5, "
                              "0.75, 1.0, 1.3 and 1.4); pass one of these, or weights=None to train from random "
                              "weights.")
        rows = official_size(model, shape[0], shape[1], SIZES)
    image = image_input(model, input_tensor, shape)
    x = layers.Conv2D(make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="Conv1")(image)
    x = bn_relu(x, "bn_Conv1", "Conv1_relu", max_value=6.0, **BN)
    for block, (filters, stride, expansion) in enumerate(BLOCKS):
        x = inverted_block(x, filters, alpha, stride, expansion, block)
    # the last convolution keeps 1280 channels for narrower models, as the paper has it
    last = make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = bn_relu(x, "Conv_1_bn", "out_relu", max_value=6.0, **BN)
    x = classified_or_pooled(x, include_top, pooling, classes, classifier_activation)
    official = weights_file(alpha, rows, include_top) if weights == "imagenet" else None
    return make_model(input_tensor, image, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}", weights, official)


preprocess_input = imagenet_utils.preprocessor("tf", "MobileNetV2")


__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
