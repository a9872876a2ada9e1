"""``keras.applications.efficientnet``: EfficientNetB0 to EfficientNetB7 (Tan and Le, 2019), their preprocessing
(none: the models take pixels in [0, 255] and scale them themselves) and ImageNet's class names.

An EfficientNet scales its pixels to [0, 1] and normalizes them (a ``Rescaling`` and a ``Normalization`` layer
inside the model), then a 3x3 convolution of stride 2, seven stages of inverted residual blocks — a 1x1
convolution that widens the channels (by ``expand_ratio``), a depthwise convolution, a squeeze-and-excitation that
weighs each channel by what the whole image holds, and a 1x1 convolution that narrows them, added to the block's
input (after dropping whole blocks at random in training) where the shape stays — a last 1x1 convolution and,
with the top, a global average pooling, dropout and a dense layer; every activation is swish. B1 to B7 are B0
wider (more channels in every layer), deeper (more blocks in each stage) and made for larger images.

The ``Normalization`` layer is never adapted: as in Keras, it holds mean 0, variance 1 and count 0 (it changes
nothing) until a weights file fills it, as Keras's ImageNet files do. With ``weights="imagenet"`` a ``Rescaling``
by 1 / √(ImageNet's standard deviation) follows it, as Keras's model has it: with the statistics those files hold,
the pixels come out scaled as the weights were trained. A weights file given by its path gets no such layer (Keras
adds it for ``weights="imagenet"`` only).

Example:
    >>> from fnlearn.keras.applications import efficientnet
    >>> efficientnet.SCALINGS["b3"]
    (1.2, 1.4, 300, 0.3)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import initializers, layers
from .._missing import not_provided
from ._common import WeightsFile, check_arguments, correct_pad, image_input, image_shape, make_model, pooled
from .imagenet_utils import decode_predictions, pixels_as_given
from .mobilenet_v2 import make_divisible

WEIGHTS = "https://storage.googleapis.com/keras-applications/"
# each model's width and depth coefficients, image size and dropout before the classifier
SCALINGS = {"b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
            "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
            "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5)}
HASHES = {"b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
          "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
          "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
          "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
          "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
          "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
          "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
          "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a")}
# each stage of B0: kernel size, blocks, input and output channels, expansion, stride of its first block
STAGES = ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
          (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1))
SE_RATIO = 0.25  # the squeeze-and-excitation's channels, as a share of the block's input channels
DROP_CONNECT = 0.2  # in training, block b of n is dropped (stochastic depth) at the rate DROP_CONNECT * b / n
IMAGENET_STDDEV = (0.229, 0.224, 0.225)


def _conv_init() -> Any:
    return initializers.VarianceScaling(2.0, "fan_out", "truncated_normal")


def weights_file(variant: str, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for EfficientNet ``variant`` ("b0" to "b7"), with or without the top.

    >>> weights_file("b2", include_top=False).origin
    'https://storage.googleapis.com/keras-applications/efficientnetb2_notop.h5'
    """
    fname = f"efficientnet{variant}{'' if include_top else '_notop'}.h5"
    return WeightsFile(fname, f"{WEIGHTS}{fname}", HASHES[variant][0 if include_top else 1])


def _unadapted_normalization(x: Any) -> Any:
    """Keras's ``Normalization`` layer as its EfficientNet holds it, never adapted: weights mean 0, variance 1 and
    count 0 (the identity) that a weights file fills. fnlearn's own layer refuses to run before ``adapt`` (a model
    left so is a user's mistake); here it is the architecture, so the layer is given those statistics outright."""
    norm = layers.Normalization(axis=-1)
    channels = x.shape[-1]
    norm._set_statistics(np.zeros(channels), np.ones(channels))
    return norm(x)


def block(x: Any, name: str, filters_in: int, filters_out: int, kernel_size: int, strides: int, expand_ratio: int,
          drop_rate: float) -> Any:
    """One inverted residual block with squeeze-and-excitation, Keras's names (``name`` is "block2a_"…):
    ``expand_conv`` (where it widens), ``dwconv`` (padded by ``dwconv_pad`` where it strides), ``se_squeeze`` to
    ``se_excite``, ``project_conv``, each with its batch normalization and swish; ``drop`` and ``add`` where the
    block's input is added."""
    start = x
    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False, kernel_initializer=_conv_init(),
                          name=f"{name}expand_conv")(x)
        x = layers.BatchNormalization(axis=-1, name=f"{name}expand_bn")(x)
        x = layers.Activation("swish", name=f"{name}expand_activation")(x)
    if strides == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x.shape[1:3], kernel_size), name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same" if strides == 1 else "valid",
                               use_bias=False, depthwise_initializer=_conv_init(), name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=-1, name=f"{name}bn")(x)
    x = layers.Activation("swish", name=f"{name}activation")(x)
    x = squeeze_excite(x, name, filters, max(1, int(filters_in * SE_RATIO)))
    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False, kernel_initializer=_conv_init(),
                      name=f"{name}project_conv")(x)
    x = layers.BatchNormalization(axis=-1, name=f"{name}project_bn")(x)
    return residual(x, start, name, strides == 1 and filters_in == filters_out, drop_rate)


def squeeze_excite(x: Any, name: str, filters: int, reduced: int) -> Any:
    """Squeeze-and-excitation, Keras's ``se_squeeze`` to ``se_excite``: each of the ``filters`` channels weighed by
    a sigmoid of what the whole image holds, through ``reduced`` channels in between (swish).

    >>> from fnlearn.keras import Input
    >>> squeeze_excite(Input(shape=(4, 4, 8)), "block1a_", 8, 2).shape
    (None, 4, 4, 8)
    """
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    se = layers.Reshape((1, 1, filters), name=f"{name}se_reshape")(se)
    se = layers.Conv2D(reduced, 1, padding="same", activation="swish", kernel_initializer=_conv_init(),
                       name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid", kernel_initializer=_conv_init(),
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


def residual(x: Any, start: Any, name: str, joined: bool, drop_rate: float) -> Any:
    """Where the block keeps its shape (``joined``), its input ``start`` added to its output ``x`` (``add``), the
    output first dropped whole per image at ``drop_rate`` in training (``drop``: stochastic depth)."""
    if not joined:
        return x
    if drop_rate > 0:
        # stochastic depth: the whole block's output of an image is dropped, not single values
        x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
    return layers.add([x, start], name=f"{name}add")


def efficientnet(variant: str, include_top: bool, weights: Any, input_tensor: Any, input_shape: Any,
                 pooling: str | None, classes: int, classifier_activation: Any, name: str) -> Any:
    """EfficientNet ``variant`` ("b0" to "b7") with Keras's layers and names."""
    title = f"EfficientNet{variant.upper()}"
    width, depth, default_size, dropout = SCALINGS[variant]
    check_arguments(title, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(title, input_shape, default_size=default_size, min_size=32, include_top=include_top,
                        weights=weights)
    image = image_input(title, input_tensor, shape)

    def widened(filters: int) -> int:
        return make_divisible(filters * width, 8)

    x = layers.Rescaling(1.0 / 255.0)(image)
    x = _unadapted_normalization(x)
    if weights == "imagenet":
        x = layers.Rescaling([1.0 / math.sqrt(stddev) for stddev in IMAGENET_STDDEV])(x)
    x = layers.ZeroPadding2D(padding=correct_pad(x.shape[1:3], 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(widened(32), 3, strides=2, padding="valid", use_bias=False, kernel_initializer=_conv_init(),
                      name="stem_conv")(x)
    x = layers.BatchNormalization(axis=-1, name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)
    repeats = [int(math.ceil(depth * stage[1])) for stage in STAGES]
    done = 0
    for stage, ((kernel_size, _, filters_in, filters_out, expand_ratio, strides), count) in \
            enumerate(zip(STAGES, repeats), start=1):
        filters_in, filters_out = widened(filters_in), widened(filters_out)
        for k in range(count):
            x = block(x, f"block{stage}{chr(ord('a') + k)}_", filters_in if k == 0 else filters_out, filters_out,
                      kernel_size, strides if k == 0 else 1, expand_ratio, DROP_CONNECT * done / sum(repeats))
            done += 1
    x = swish_top(x, widened(1280), include_top, pooling, classes, classifier_activation, dropout)
    return make_model(input_tensor, image, x, name, weights, weights_file(variant, include_top))


def swish_top(x: Any, filters: int, include_top: bool, pooling: str | None, classes: int, classifier_activation: Any,
              dropout: float, momentum: float = 0.99) -> Any:
    """The end of an EfficientNet (either generation): ``top_conv`` (1x1, ``filters``), ``top_bn``, ``top_activation``
    (swish), then ``avg_pool``, ``top_dropout`` and ``predictions``, or without the top the ``pooling``.

    >>> from fnlearn.keras import Input
    >>> swish_top(Input(shape=(2, 2, 8)), 16, True, None, 3, "softmax", 0.2).shape
    (None, 3)
    """
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False, kernel_initializer=_conv_init(), name="top_conv")(x)
    x = layers.BatchNormalization(axis=-1, momentum=momentum, name="top_bn")(x)
    x = layers.Activation("swish", name="top_activation")(x)
    if not include_top:
        return pooled(x, pooling, "avg_pool", "max_pool")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, name="top_dropout")(x)
    return layers.Dense(classes, activation=classifier_activation, name="predictions",
                        kernel_initializer=initializers.VarianceScaling(1.0 / 3.0, "fan_out", "uniform"))(x)


def EfficientNetB0(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                   input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                   classifier_activation: Any = "softmax", name: str = "efficientnetb0") -> Any:
    """EfficientNetB0, Keras's ``keras.applications.EfficientNetB0``: 16 blocks, made for images of 224x224.
    ``weights="imagenet"`` downloads Keras's ImageNet weights once, a path loads a weights file, None leaves them
    random.

    ``input_shape`` (height, width, 3), at least 32x32, is free without the top; with it, it is (224, 224, 3) for
    ImageNet's weights (B1 to B7: their own size). ``pooling`` ("avg" or "max") turns the last feature maps of a
    model without its top into one vector per image. Give it pixels in [0, 255]: the model scales them itself
    (:func:`preprocess_input` leaves them as they are).

    >>> EfficientNetB0(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 1280)
    """
    return efficientnet("b0", include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, name)


def EfficientNetB1(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                   input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                   classifier_activation: Any = "softmax", name: str = "efficientnetb1") -> Any:
    """EfficientNetB1, Keras's ``keras.applications.EfficientNetB1``: B0 with more blocks (depth x 1.1), made for
    images of 240x240; the arguments are :func:`EfficientNetB0`'s.

    >>> EfficientNetB1(input_shape=(32, 32, 1), include_top=False)
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: EfficientNetB1(weights='imagenet', input_shape=(32, 32, 1)) takes images of 3 channels
    (RGB), not 1; ...
    """
    return efficientnet("b1", include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, name)


def EfficientNetB2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                   input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                   classifier_activation: Any = "softmax", name: str = "efficientnetb2") -> Any:
    """EfficientNetB2, Keras's ``keras.applications.EfficientNetB2``: B0 wider (x 1.1) and deeper (x 1.2), made
    for images of 260x260; the arguments are :func:`EfficientNetB0`'s.

    >>> EfficientNetB2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max").output_shape
    (None, 1408)
    """
    return efficientnet("b2", include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, name)


def EfficientNetB3(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                   input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                   classifier_activation: Any = "softmax", name: str = "efficientnetb3") -> Any:
    """EfficientNetB3, Keras's ``keras.applications.EfficientNetB3``: B0 wider (x 1.2) and deeper (x 1.4), made
    for images of 300x300; the arguments are :func:`EfficientNetB0`'s.

    >>> EfficientNetB3(input_shape=(224, 224, 3))
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: EfficientNetB3(include_top=True, weights='imagenet') takes images of shape (300, 300,
    3), the size its classifier was trained on, not input_shape=(224, 224, 3); ...
    """
    return efficientnet("b3", include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, name)


def EfficientNetB4(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                   input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                   classifier_activation: Any = "softmax", name: str = "efficientnetb4") -> Any:
    """EfficientNetB4, Keras's ``keras.applications.EfficientNetB4``: B0 wider (x 1.4) and deeper (x 1.8), made
    for images of 380x380; the arguments are :func:`EfficientNetB0`'s.

    >>> EfficientNetB4(weights="imagenet", classes=10)
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: EfficientNetB4(include_top=True, weights='imagenet') has ImageNet's 1000 classes,
    not classes=10; ...
    """
    return efficientnet("b4", include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, name)


def EfficientNetB5(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                   input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                   classifier_activation: Any = "softmax", name: str = "efficientnetb5") -> Any:
    """EfficientNetB5, Keras's ``keras.applications.EfficientNetB5``: B0 wider (x 1.6) and deeper (x 2.2), made
    for images of 456x456; the arguments are :func:`EfficientNetB0`'s.

    >>> EfficientNetB5(include_top=False, weights=None, input_shape=(16, 16, 3))
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: EfficientNetB5(input_shape=(16, 16, 3)) is smaller than its smallest size, 32x32; ...
    """
    return efficientnet("b5", include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, name)


def EfficientNetB6(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                   input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                   classifier_activation: Any = "softmax", name: str = "efficientnetb6") -> Any:
    """EfficientNetB6, Keras's ``keras.applications.EfficientNetB6``: B0 wider (x 1.8) and deeper (x 2.6), made
    for images of 528x528; the arguments are :func:`EfficientNetB0`'s.

    >>> EfficientNetB6(weights=None, include_top=False, pooling="sum")
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: EfficientNetB6(pooling='sum') is not a pooling fnlearn knows; ...
    """
    return efficientnet("b6", include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, name)


def EfficientNetB7(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                   input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                   classifier_activation: Any = "softmax", name: str = "efficientnetb7") -> Any:
    """EfficientNetB7, Keras's ``keras.applications.EfficientNetB7``: B0 wider (x 2) and deeper (x 3.1), made for
    images of 600x600; the arguments are :func:`EfficientNetB0`'s.

    >>> EfficientNetB7(classifier_activation="relu")
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: EfficientNetB7(classifier_activation='relu') does not fit pretrained weights, whose
    classifier gives scores or probabilities; ...
    """
    return efficientnet("b7", include_top, weights, input_tensor, input_shape, pooling, classes,
                        classifier_activation, name)


preprocess_input = pixels_as_given


__all__ = ["EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4",
           "EfficientNetB5", "EfficientNetB6", "EfficientNetB7", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
