"""``keras.applications.mobilenet``: MobileNet (Howard et al., 2017), its preprocessing ("tf": pixels to [-1, 1])
and ImageNet's class names.

MobileNet is a 3x3 convolution, then 13 depthwise separable blocks — a 3x3 depthwise convolution and a 1x1
convolution, each batch-normalized and through ReLU6 — and, with the top, a global average pooling, dropout and
a 1x1 convolution as the classifier. ``alpha`` scales every layer's width, ``depth_multiplier`` the depthwise
convolutions' channels.

Example:
    >>> from fnlearn.keras.applications import mobilenet
    >>> mobilenet.weights_file(0.5, 160, include_top=False).fname
    'mobilenet_5_0_160_tf_no_top.h5'
"""

from __future__ import annotations

import warnings
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
    image_input,
    image_shape,
    make_model,
    pooled,
)
from .imagenet_utils import decode_predictions

ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}  # the widths ImageNet's weights exist for
SIZES = (128, 160, 192, 224)  # the image sizes ImageNet's weights exist for
# each block's pointwise filters (before alpha) and stride
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
          (512, 1), (1024, 2), (1024, 1))


def weights_file(alpha: float, size: int, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for width ``alpha`` and images of ``size`` x ``size`` (no hash: Keras
    checks none)."""
    fname = f"mobilenet_{ALPHAS[alpha]}_{size}_tf{'' if include_top else '_no_top'}.h5"
    return WeightsFile(fname, f"{KERAS_WEIGHTS}mobilenet/{fname}")


def official_size(model: str, rows: Any, cols: Any, sizes: tuple[int, ...]) -> int:
    """The image size whose ImageNet weights a model of ``rows`` x ``cols`` images takes: its own where there are
    weights for it, else 224's, with Keras's warning."""
    if rows == cols and rows in sizes:
        return rows
    warnings.warn(f"{model} has ImageNet weights for square images of {', '.join(map(str, sizes))} pixels only, "
                  f"not {rows}x{cols}; the weights for 224x224 are loaded.", stacklevel=4)
    return 224


def depthwise_block(x: Any, filters: int, alpha: float, depth_multiplier: int, stride: int, block: int) -> Any:
    """One depthwise separable block, Keras's names: ``conv_dw_{block}`` (padded first by ``conv_pad_{block}``
    where it strides), its batch normalization and ReLU6, then ``conv_pw_{block}`` and its own."""
    if stride != 1:
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if stride == 1 else "valid", depth_multiplier=depth_multiplier,
                               strides=(stride, stride), use_bias=False, name=f"conv_dw_{block}")(x)
    x = bn_relu(x, f"conv_dw_{block}_bn", f"conv_dw_{block}_relu", max_value=6.0)
    x = layers.Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
                      name=f"conv_pw_{block}")(x)
    return bn_relu(x, f"conv_pw_{block}_bn", f"conv_pw_{block}_relu", max_value=6.0)


def MobileNet(input_shape: Any = None, alpha: float = 1.0, depth_multiplier: int = 1,  # noqa: N802
              dropout: float = 1e-3, include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
              pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
              name: str | None = None) -> Any:
    """MobileNet, Keras's ``keras.applications.MobileNet``. ``alpha`` scales the width of every layer (ImageNet's
    weights exist for 0.25, 0.5, 0.75 and 1.0, and for images of 128, 160, 192 or 224 pixels square: other sizes
    take 224's, with a warning); ``depth_multiplier`` (1 for ImageNet's weights) the depthwise convolutions'
    channels; ``dropout`` is the rate before the classifier. ``weights="imagenet"`` downloads Keras's ImageNet
    weights once, a path loads a weights file, None leaves them random.

    ``input_shape`` (height, width, 3), at least 32x32, is free without the top (None sizes: any); with it, it is
    square of 224 for ImageNet's weights (or of the size given among those above). ``pooling`` ("avg" or "max")
    turns the last feature maps of a model without its top into one vector per image. Give it images through
    :func:`preprocess_input`. The model is named ``mobilenet_{alpha}_{rows}``, as Keras names it.

    >>> model = MobileNet(input_shape=(32, 32, 3), alpha=0.25, include_top=False, weights=None, pooling="avg")
    >>> model.name, model.output_shape
    ('mobilenet_0.25_32', (None, 256))
    """
    model = "MobileNet"
    check_arguments(model, include_top, weights, pooling, classes, classifier_activation)
    default_size = 224
    if input_shape is not None and isinstance(input_shape, (tuple, list)) and len(input_shape) == 3 \
            and input_shape[0] == input_shape[1] and input_shape[0] in SIZES:
        default_size = input_shape[0]
    shape = image_shape(model, input_shape, default_size=default_size, min_size=32, include_top=include_top,
                        weights=weights)
    rows = shape[0]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ConfigError(f"MobileNet(depth_multiplier={depth_multiplier!r}) has no ImageNet weights (they exist "
                              "for depth_multiplier=1 only); pass depth_multiplier=1, or weights=None.")
        if alpha not in ALPHAS:
            raise ConfigError(f"MobileNet(alpha={alpha!r}) has no ImageNet weights (they exist for alpha 0.25, 0.5, "
                              "0.75 and 1.0); pass one of these, or weights=None to train from random weights.")
        rows = official_size(model, shape[0], shape[1], SIZES)
    image = image_input(model, input_tensor, shape)
    x = layers.Conv2D(int(32 * alpha), (3, 3), padding="same", use_bias=False, strides=(2, 2), name="conv1")(image)
    x = bn_relu(x, "conv1_bn", "conv1_relu", max_value=6.0)
    for block, (filters, stride) in enumerate(BLOCKS, start=1):
        x = depthwise_block(x, filters, alpha, depth_multiplier, stride, block)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling)
    official = weights_file(alpha, rows, include_top) if weights == "imagenet" else None
    return make_model(input_tensor, image, x, name or f"mobilenet_{alpha:0.2f}_{rows}", weights, official)


preprocess_input = imagenet_utils.preprocessor("tf", "MobileNet")


__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
