"""``keras.applications.nasnet``: NASNetMobile and NASNetLarge (Zoph et al., 2018), their preprocessing ("tf":
pixels to [-1, 1]) and ImageNet's class names.

A NASNet is cells found by an architecture search, each taking the two previous cells' outputs: a 3x3 convolution
of stride 2, two reduction cells, then three stages of normal cells (4 each in Mobile, 6 in Large) with a
reduction cell between them. A normal cell adds pairs of branches — separable convolutions (each a ReLU, a
separable convolution and a batch normalization, twice), average poolings, the inputs themselves — and joins its
six results; a reduction cell halves the size. Where the previous cell's size or width is not this one's, it is
adjusted first (``adjust_…``: two strided 1x1 paths, one shifted by a pixel, or a 1x1 projection). Large, made for
331x331 images, skips the adjustment after its reductions (it keeps the cell before them).

Layer names are Keras's (``normal_conv_1_0``, ``separable_conv_1_reduction_left1_stem_1``…, the ReLUs unnamed).

Example:
    >>> from fnlearn.keras.applications import nasnet
    >>> nasnet.weights_file("mobile", include_top=False).fname
    'nasnet_mobile_no_top.h5'
"""

from __future__ import annotations

from typing import Any

from .. import layers
from .._missing import not_provided
from . import imagenet_utils
from ._common import (
    KERAS_WEIGHTS,
    WeightsFile,
    check_arguments,
    classified_or_pooled,
    correct_pad,
    image_input,
    image_shape,
    make_model,
)
from .imagenet_utils import decode_predictions

# each model's penultimate filters, normal cells per stage, stem filters, whether it keeps the cell before each
# reduction (skip_reduction), image size, and its weight files' hashes (with the top, without)
VARIANTS = {
    "mobile": (1056, 4, 32, False, 224, ("020fb642bf7360b370c678b08e0adf61", "1ed92395b5b598bdda52abe5c0dbfd63")),
    "large": (4032, 6, 96, True, 331, ("11577c9a518f0070763c2b964a382f17", "d81d89dc07e6e56530c4e77faddd61b5")),
}
FILTER_MULTIPLIER = 2


def weights_file(variant: str, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for NASNet ``variant`` ("mobile" or "large"), with or without the top
    (Keras caches it under another name than its address's).

    >>> weights_file("large", include_top=True).origin
    'https://storage.googleapis.com/tensorflow/keras-applications/nasnet/NASNet-large.h5'
    """
    fname = f"nasnet_{variant}{'' if include_top else '_no_top'}.h5"
    origin = f"{KERAS_WEIGHTS}nasnet/NASNet-{variant}{'' if include_top else '-no-top'}.h5"
    return WeightsFile(fname, origin, VARIANTS[variant][5][0 if include_top else 1])


def _bn(x: Any, name: str | None) -> Any:
    return layers.BatchNormalization(axis=-1, momentum=0.9997, epsilon=1e-3, name=name)(x)


def _conv_1x1(x: Any, filters: int, name: str) -> Any:
    return layers.Conv2D(filters, (1, 1), padding="same", use_bias=False, kernel_initializer="he_normal",
                         name=name)(x)


def separable_conv_block(x: Any, filters: int, kernel_size: int = 3, strides: int = 1, block_id: str = "") -> Any:
    """ReLU, separable convolution (padded by ``correct_pad`` where it strides), batch normalization, twice.

    >>> from fnlearn.keras import Input
    >>> separable_conv_block(Input(shape=(8, 8, 4)), 6, 5, 2, "x").shape
    (None, 4, 4, 6)
    """
    x = layers.Activation("relu")(x)
    padding = "same"
    if strides == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x.shape[1:3], kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
        padding = "valid"
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=False,
                               name=f"separable_conv_1_{block_id}")(x)
    x = _bn(x, f"separable_conv_1_bn_{block_id}")
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, padding="same", use_bias=False,
                               name=f"separable_conv_2_{block_id}")(x)
    return _bn(x, f"separable_conv_2_bn_{block_id}")


def adjust_block(p: Any, ip: Any, filters: int, block_id: str) -> Any:
    """The previous cell's output ``p`` made to fit this cell's input ``ip``: halved in size (two strided 1x1
    paths, the second shifted by one pixel, joined) or projected to ``filters`` channels; ``ip`` when there is
    none."""
    if p is None:
        return ip
    if p.shape[2] != ip.shape[2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv_1x1(p1, filters // 2, f"adjust_conv_1_{block_id}")
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv_1x1(p2, filters // 2, f"adjust_conv_2_{block_id}")
        return _bn(layers.concatenate([p1, p2], axis=-1), f"adjust_bn_{block_id}")
    if p.shape[3] != filters:
        p = layers.Activation("relu")(p)
        return _bn(_conv_1x1(p, filters, f"adjust_conv_projection_{block_id}"), f"adjust_bn_{block_id}")
    return p


def _cell_input(ip: Any, filters: int, kind: str, block_id: str) -> Any:
    """ReLU, 1x1 convolution and batch normalization of the cell's input: ``{kind}_conv_1_…``, ``{kind}_bn_1_…``."""
    h = _conv_1x1(layers.Activation("relu")(ip), filters, f"{kind}_conv_1_{block_id}")
    return _bn(h, f"{kind}_bn_1_{block_id}")


def normal_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    """A normal cell on ``ip`` and the cell before, ``p``: its output and ``ip`` (the next cell's ``p``).

    >>> from fnlearn.keras import Input
    >>> x, _ = normal_cell(Input(shape=(8, 8, 4)), None, 4, "0")   # six branches of 4 channels joined
    >>> x.shape
    (None, 8, 8, 24)
    """
    p = adjust_block(p, ip, filters, block_id)
    h = _cell_input(ip, filters, "normal", block_id)

    def pool(x: Any, side: str) -> Any:
        return layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=f"normal_{side}_{block_id}")(x)

    x1 = layers.add([separable_conv_block(h, filters, 5, block_id=f"normal_left1_{block_id}"),
                     separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")],
                    name=f"normal_add_1_{block_id}")
    x2 = layers.add([separable_conv_block(p, filters, 5, block_id=f"normal_left2_{block_id}"),
                     separable_conv_block(p, filters, 3, block_id=f"normal_right2_{block_id}")],
                    name=f"normal_add_2_{block_id}")
    x3 = layers.add([pool(h, "left3"), p], name=f"normal_add_3_{block_id}")
    x4 = layers.add([pool(p, "left4"), pool(p, "right4")], name=f"normal_add_4_{block_id}")
    x5 = layers.add([separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}"), h],
                    name=f"normal_add_5_{block_id}")
    return layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1, name=f"normal_concat_{block_id}"), ip


def reduction_cell(ip: Any, p: Any, filters: int, block_id: str) -> tuple[Any, Any]:
    """A reduction cell (half the size) on ``ip`` and the cell before, ``p``: its output and ``ip``.

    >>> from fnlearn.keras import Input
    >>> x, _ = reduction_cell(Input(shape=(8, 8, 12)), None, 4, "r")
    >>> x.shape
    (None, 4, 4, 16)
    """
    p = adjust_block(p, ip, filters, block_id)
    h = _cell_input(ip, filters, "reduction", block_id)
    h3 = layers.ZeroPadding2D(padding=correct_pad(h.shape[1:3], 3), name=f"reduction_pad_1_{block_id}")(h)

    def pool(kind: Any, side: str) -> Any:
        return kind((3, 3), strides=(2, 2), padding="valid", name=f"reduction_{side}_{block_id}")(h3)

    x1 = layers.add([separable_conv_block(h, filters, 5, 2, f"reduction_left1_{block_id}"),
                     separable_conv_block(p, filters, 7, 2, f"reduction_right1_{block_id}")],
                    name=f"reduction_add_1_{block_id}")
    x2 = layers.add([pool(layers.MaxPooling2D, "left2"),
                     separable_conv_block(p, filters, 7, 2, f"reduction_right2_{block_id}")],
                    name=f"reduction_add_2_{block_id}")
    x3 = layers.add([pool(layers.AveragePooling2D, "left3"),
                     separable_conv_block(p, filters, 5, 2, f"reduction_right3_{block_id}")],
                    name=f"reduction_add3_{block_id}")
    x4 = layers.add([x2, layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                                 name=f"reduction_left4_{block_id}")(x1)])
    x5 = layers.add([separable_conv_block(x1, filters, 3, block_id=f"reduction_left4_{block_id}"),
                     pool(layers.MaxPooling2D, "right5")], name=f"reduction_add4_{block_id}")
    return layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}"), ip


def nasnet(variant: str, input_shape: Any, include_top: bool, weights: Any, input_tensor: Any, pooling: str | None,
           classes: int, classifier_activation: Any, name: str) -> Any:
    """NASNet ``variant`` ("mobile" or "large") with Keras's layers and names."""
    title = f"NASNet{variant.capitalize()}"
    penultimate, blocks, stem_filters, skip_reduction, default_size, _ = VARIANTS[variant]
    check_arguments(title, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(title, input_shape, default_size=default_size, min_size=32, include_top=include_top,
                        weights=weights)
    image = image_input(title, input_tensor, shape)
    filters, m = penultimate // 24, FILTER_MULTIPLIER
    x = layers.Conv2D(stem_filters, (3, 3), strides=(2, 2), padding="valid", use_bias=False,
                      kernel_initializer="he_normal", name="stem_conv1")(image)
    x = _bn(x, "stem_bn1")
    x, p = reduction_cell(x, None, filters // m ** 2, "stem_1")
    x, p = reduction_cell(x, p, filters // m, "stem_2")
    for stage in range(3):
        if stage:
            x, reduced = reduction_cell(x, p, filters * m ** stage, f"reduce_{stage * blocks}")
            p = p if skip_reduction else reduced
        for i in range(blocks):
            x, p = normal_cell(x, p, filters * m ** stage, str(i if stage == 0 else stage * blocks + i + 1))
    x = layers.Activation("relu")(x)
    x = classified_or_pooled(x, include_top, pooling, classes, classifier_activation, None)
    return make_model(input_tensor, image, x, name, weights, weights_file(variant, include_top))


def NASNetMobile(input_shape: Any = None, include_top: bool = True, weights: Any = "imagenet",  # noqa: N802
                 input_tensor: Any = None, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", name: str = "nasnet_mobile") -> Any:
    """NASNetMobile, Keras's ``keras.applications.NASNetMobile``: 4 normal cells a stage, made for 224x224 images.
    ``weights="imagenet"`` downloads Keras's ImageNet weights once, a path loads a weights file, None leaves them
    random. ``input_shape`` (height, width, 3), at least 32x32, is free without the top; with it, it is (224, 224, 3)
    for ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model without its top
    into one vector per image. Give it images through :func:`preprocess_input`.

    >>> NASNetMobile(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 1056)
    """
    return nasnet("mobile", input_shape, include_top, weights, input_tensor, pooling, classes, classifier_activation,
                  name)


def NASNetLarge(input_shape: Any = None, include_top: bool = True, weights: Any = "imagenet",  # noqa: N802
                input_tensor: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "nasnet_large") -> Any:
    """NASNetLarge, Keras's ``keras.applications.NASNetLarge``: 6 normal cells a stage, wider, made for 331x331
    images; the arguments are :func:`NASNetMobile`'s.

    >>> NASNetLarge(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
    (None, 1, 1, 4032)
    """
    return nasnet("large", input_shape, include_top, weights, input_tensor, pooling, classes, classifier_activation,
                  name)


preprocess_input = imagenet_utils.preprocessor("tf", "NASNet")


__all__ = ["NASNetMobile", "NASNetLarge", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
