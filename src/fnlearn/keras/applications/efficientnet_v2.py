"""``keras.applications.efficientnet_v2``: EfficientNetV2B0 to B3, S, M and L (Tan and Le, 2021), their preprocessing
(none: the models scale their pixels themselves) and ImageNet's class names.

An EfficientNetV2 scales its pixels (B0 to B3: to [0, 1], then ImageNet's mean and variance, a ``Rescaling`` and a
``Normalization`` layer; S, M, L: to [-1, 1]; none with ``include_preprocessing=False``), then a 3x3 convolution of
stride 2 and stages of blocks: first "fused" ones — one full convolution that widens the channels (or, without
widening, does all the work), then a 1x1 one that narrows them — then inverted residual blocks as EfficientNet's
(a 1x1 widening, a depthwise convolution, a squeeze-and-excitation, a 1x1 narrowing); a block whose shape stays
adds its input (after dropping whole blocks at random in training). A last 1x1 convolution and, with the top, a
global average pooling, dropout and a dense layer; every activation is swish. B1 to B3 are B0 wider and deeper,
for larger images; S, M and L have stages of their own.

Example:
    >>> from fnlearn.keras.applications import efficientnet_v2
    >>> efficientnet_v2.weights_file("b0", include_top=False).fname
    'efficientnetv2-b0_notop.h5'
"""

from __future__ import annotations

import math
from typing import Any

from .. import layers
from .._missing import not_provided
from ._common import WeightsFile, check_arguments, image_input, image_shape, make_model
from .efficientnet import _conv_init, residual, squeeze_excite, swish_top
from .imagenet_utils import decode_predictions, pixels_as_given

WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
# each variant's width and depth coefficients and image size
SCALINGS = {"b0": (1.0, 1.0, 224), "b1": (1.0, 1.1, 240), "b2": (1.1, 1.2, 260), "b3": (1.2, 1.4, 300),
            "s": (1.0, 1.0, 384), "m": (1.0, 1.0, 480), "l": (1.0, 1.0, 480)}
HASHES = {"b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
          "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
          "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
          "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
          "s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
          "m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
          "l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615")}
# each stage: kernel size, blocks, input and output channels, expansion, squeeze-excite ratio, stride of its first
# block, fused (a full convolution in place of the 1x1 widening and the depthwise one)
_B = ((3, 1, 32, 16, 1, 0, 1, True), (3, 2, 16, 32, 4, 0, 2, True), (3, 2, 32, 48, 4, 0, 2, True),
      (3, 3, 48, 96, 4, 0.25, 2, False), (3, 5, 96, 112, 6, 0.25, 1, False), (3, 8, 112, 192, 6, 0.25, 2, False))
STAGES = {
    "b": _B,
    "s": ((3, 2, 24, 24, 1, 0, 1, True), (3, 4, 24, 48, 4, 0, 2, True), (3, 4, 48, 64, 4, 0, 2, True),
          (3, 6, 64, 128, 4, 0.25, 2, False), (3, 9, 128, 160, 6, 0.25, 1, False),
          (3, 15, 160, 256, 6, 0.25, 2, False)),
    "m": ((3, 3, 24, 24, 1, 0, 1, True), (3, 5, 24, 48, 4, 0, 2, True), (3, 5, 48, 80, 4, 0, 2, True),
          (3, 7, 80, 160, 4, 0.25, 2, False), (3, 14, 160, 176, 6, 0.25, 1, False),
          (3, 18, 176, 304, 6, 0.25, 2, False), (3, 5, 304, 512, 6, 0.25, 1, False)),
    "l": ((3, 4, 32, 32, 1, 0, 1, True), (3, 7, 32, 64, 4, 0, 2, True), (3, 7, 64, 96, 4, 0, 2, True),
          (3, 10, 96, 192, 4, 0.25, 2, False), (3, 19, 192, 224, 6, 0.25, 1, False),
          (3, 25, 224, 384, 6, 0.25, 2, False), (3, 7, 384, 640, 6, 0.25, 1, False)),
}
DROP_CONNECT = 0.2  # in training, block b of n is dropped (stochastic depth) at the rate DROP_CONNECT * b / n
DROPOUT = 0.2  # before the classifier
MOMENTUM = 0.9  # of every batch normalization
IMAGENET_MEAN, IMAGENET_STDDEV = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def weights_file(variant: str, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for EfficientNetV2 ``variant`` ("b0" to "b3", "s", "m", "l"), with or
    without the top.

    >>> weights_file("s", include_top=True).origin
    'https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/efficientnetv2-s.h5'
    """
    fname = f"efficientnetv2-{variant}{'' if include_top else '_notop'}.h5"
    return WeightsFile(fname, f"{WEIGHTS}{fname}", HASHES[variant][0 if include_top else 1])


def round_filters(filters: float, width: float) -> int:
    """Keras's channel count for ``filters`` scaled by ``width``: to the nearest multiple of 8, at least 8.

    >>> round_filters(32, 1.1), round_filters(1280, 1.2)
    (32, 1536)
    """
    return max(8, int(filters * width + 4) // 8 * 8)


def block(x: Any, name: str, filters_in: int, filters_out: int, kernel_size: int, strides: int, expand_ratio: int,
          se_ratio: float, fused: bool, drop_rate: float) -> Any:
    """One block, Keras's names (``name`` is "block2a_"…): ``expand_conv`` (the fused block's full convolution, or
    the 1x1 widening), ``dwconv2`` (inverted residual blocks), ``se_squeeze`` to ``se_excite`` (where ``se_ratio``
    is not 0), ``project_conv`` (1x1, or a fused block's only convolution where it does not widen), each with its
    batch normalization and swish (not after a widening block's ``project_bn``); ``drop`` and ``add`` where the
    block's input is added.

    >>> from fnlearn.keras import Input
    >>> block(Input(shape=(8, 8, 16)), "block1a_", 16, 16, 3, 1, 1, 0, True, 0.0).shape
    (None, 8, 8, 16)
    """
    start = x
    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        kernel, stride = (kernel_size, strides) if fused else (1, 1)
        x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                          kernel_initializer=_conv_init(), name=f"{name}expand_conv")(x)
        x = layers.BatchNormalization(axis=-1, momentum=MOMENTUM, name=f"{name}expand_bn")(x)
        x = layers.Activation("swish", name=f"{name}expand_activation")(x)
    if not fused:
        x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same", use_bias=False,
                                   depthwise_initializer=_conv_init(), name=f"{name}dwconv2")(x)
        x = layers.BatchNormalization(axis=-1, momentum=MOMENTUM, name=f"{name}bn")(x)
        x = layers.Activation("swish", name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, name, filters, max(1, int(filters_in * se_ratio)))
    alone = fused and expand_ratio == 1  # a fused block that does not widen: its projection does all the work
    x = layers.Conv2D(filters_out, kernel_size if alone else 1, strides=strides if alone else 1, padding="same",
                      use_bias=False, kernel_initializer=_conv_init(), name=f"{name}project_conv")(x)
    x = layers.BatchNormalization(axis=-1, momentum=MOMENTUM, name=f"{name}project_bn")(x)
    if alone:
        x = layers.Activation("swish", name=f"{name}project_activation")(x)
    return residual(x, start, name, strides == 1 and filters_in == filters_out, drop_rate)


def efficientnet_v2(variant: str, include_top: bool, weights: Any, input_tensor: Any, input_shape: Any,
                    pooling: str | None, classes: int, classifier_activation: Any, include_preprocessing: bool,
                    name: str) -> Any:
    """EfficientNetV2 ``variant`` ("b0" to "b3", "s", "m", "l") with Keras's layers and names."""
    title = f"EfficientNetV2{variant.upper()}"
    width, depth, default_size = SCALINGS[variant]
    check_arguments(title, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(title, input_shape, default_size=default_size, min_size=32, include_top=include_top,
                        weights=weights)
    image = image_input(title, input_tensor, shape)
    x = image
    if include_preprocessing:
        if variant.startswith("b") and x.shape[-1] == 3:
            x = layers.Rescaling(1.0 / 255)(x)
            x = layers.Normalization(mean=list(IMAGENET_MEAN), variance=[s * s for s in IMAGENET_STDDEV],
                                     axis=-1)(x)
        else:
            x = layers.Rescaling(1.0 / 128.0, offset=-1)(x)
    stages = STAGES[variant[0] if variant.startswith("b") else variant]
    x = layers.Conv2D(round_filters(stages[0][2], width), 3, strides=2, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name="stem_conv")(x)
    x = layers.BatchNormalization(axis=-1, momentum=MOMENTUM, name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)
    repeats = [int(math.ceil(depth * stage[1])) for stage in stages]
    done = 0
    for stage, ((kernel_size, _, filters_in, filters_out, expand, se_ratio, strides, fused), count) in \
            enumerate(zip(stages, repeats), start=1):
        filters_in, filters_out = round_filters(filters_in, width), round_filters(filters_out, width)
        for k in range(count):
            x = block(x, f"block{stage}{chr(ord('a') + k)}_", filters_in if k == 0 else filters_out, filters_out,
                      kernel_size, strides if k == 0 else 1, expand, se_ratio, fused,
                      DROP_CONNECT * done / sum(repeats))
            done += 1
    x = swish_top(x, round_filters(1280, width), include_top, pooling, classes, classifier_activation, DROPOUT,
                  momentum=MOMENTUM)
    return make_model(input_tensor, image, x, name, weights, weights_file(variant, include_top))


_ARGUMENTS = """``weights="imagenet"`` downloads Keras's ImageNet weights once, a path loads a weights file, None leaves
    them random. ``input_shape`` (height, width, 3), at least 32x32, is free without the top; with it, it is the
    model's own size for ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model
    without its top into one vector per image. Give it pixels in [0, 255]: the model scales them itself
    (``include_preprocessing=False`` leaves that to you; :func:`preprocess_input` leaves them as they are)."""


def _variant(variant: str, size: int, what: str) -> Any:
    def constructor(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                    input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                    classifier_activation: Any = "softmax", include_preprocessing: bool = True,
                    name: str = f"efficientnetv2-{variant}") -> Any:
        return efficientnet_v2(variant, include_top, weights, input_tensor, input_shape, pooling, classes,
                               classifier_activation, include_preprocessing, name)

    title = f"EfficientNetV2{variant.upper()}"
    constructor.__name__ = constructor.__qualname__ = title
    constructor.__doc__ = (f"{title}, Keras's ``keras.applications.{title}``: {what}, made for images of "
                           f"{size}x{size}. {_ARGUMENTS}")
    return constructor


EfficientNetV2B0 = _variant("b0", 224, "six stages, 1 to 8 blocks each")
EfficientNetV2B1 = _variant("b1", 240, "B0 deeper (x 1.1)")
EfficientNetV2B2 = _variant("b2", 260, "B0 wider (x 1.1) and deeper (x 1.2)")
EfficientNetV2B3 = _variant("b3", 300, "B0 wider (x 1.2) and deeper (x 1.4)")
EfficientNetV2S = _variant("s", 384, "six stages of 2 to 15 blocks")
EfficientNetV2M = _variant("m", 480, "seven stages of 3 to 18 blocks")
EfficientNetV2L = _variant("l", 480, "seven stages of 4 to 25 blocks, wider")

preprocess_input = pixels_as_given


__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2S",
           "EfficientNetV2M", "EfficientNetV2L", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
