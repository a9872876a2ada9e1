"""``keras.applications.xception``: Xception (Chollet, 2017), its preprocessing ("tf": pixels to [-1, 1]) and
ImageNet's class names.

Xception is two 3x3 convolutions, then blocks of depthwise separable convolutions joined by residual connections:
three entry blocks that halve the size (their shortcut a 1x1 convolution of stride 2), eight middle blocks of
three separable convolutions, an exit block and two last separable convolutions; with the top, a global average
pooling and a dense layer. Its images are at least 71x71 (299x299 for ImageNet's weights with the top).

Keras leaves the shortcut convolutions, their batch normalizations and the additions unnamed, so their names
depend on what was built before; Keras's official file names them otherwise still, and is read layer after
layer, as Keras reads it.

Example:
    >>> from fnlearn.keras.applications import xception
    >>> xception.weights_file(include_top=False).fname
    'xception_weights_tf_dim_ordering_tf_kernels_notop.h5'
"""

from __future__ import annotations

from typing import Any

from .. import layers
from .._missing import not_provided
from . import imagenet_utils
from ._common import (
    WeightsFile,
    bn_relu,
    check_arguments,
    classified_or_pooled,
    image_input,
    image_shape,
    make_model,
    tf_kernels_file,
)
from .imagenet_utils import decode_predictions

HASHES = ("0a58e3b7378bc2990ea3b43d5981f1f6", "b0042744bf5b25fce3cb969f33bebb97")  # with the top, without


def weights_file(include_top: bool) -> WeightsFile:
    """Keras's file of Xception's ImageNet weights, with or without the top."""
    return tf_kernels_file("xception", "xception", HASHES, include_top)


def separable(x: Any, filters: int, name: str, relu_before: bool = True) -> Any:
    """ReLU (``{name}_act``), a 3x3 separable convolution (``{name}``) and its batch normalization
    (``{name}_bn``): the step Xception's blocks are made of."""
    if relu_before:
        x = layers.Activation("relu", name=f"{name}_act")(x)
    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return bn_relu(x, f"{name}_bn")


def reducing_block(x: Any, filters: tuple[int, int], block: int, relu_first: bool = True) -> Any:
    """Two separable convolutions and a 3x3 max pooling of stride 2, added to the block's input through a 1x1
    convolution of stride 2 (Keras's unnamed shortcut)."""
    shortcut = layers.Conv2D(filters[1], (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    shortcut = layers.BatchNormalization(axis=-1)(shortcut)
    if not relu_first:  # block 2 starts from the ReLU of the convolution before it, and names its second ReLU so
        x = separable(x, filters[0], f"block{block}_sepconv1", relu_before=False)
        x = layers.Activation("relu", name=f"block{block}_sepconv2_act")(x)
        x = separable(x, filters[1], f"block{block}_sepconv2", relu_before=False)
    else:
        x = separable(x, filters[0], f"block{block}_sepconv1")
        x = separable(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, shortcut])


def Xception(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
             input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
             classifier_activation: Any = "softmax", name: str = "xception") -> Any:
    """Xception, Keras's ``keras.applications.Xception``. ``weights="imagenet"`` downloads Keras's ImageNet
    weights once, a path loads a weights file, None leaves them random.

    ``input_shape`` (height, width, 3), at least 71x71, is free without the top; with it, it is (299, 299, 3) for
    ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model without its top into
    one vector per image. Give it images through :func:`preprocess_input`.

    >>> Xception(weights=None, include_top=False, input_shape=(71, 71, 3), pooling="avg").output_shape
    (None, 2048)
    """
    model = "Xception"
    check_arguments(model, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(model, input_shape, default_size=299, min_size=71, include_top=include_top, weights=weights)
    image = image_input(model, input_tensor, shape)
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(image)
    x = bn_relu(x, "block1_conv1_bn", "block1_conv1_act")
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = bn_relu(x, "block1_conv2_bn", "block1_conv2_act")
    x = reducing_block(x, (128, 128), 2, relu_first=False)
    x = reducing_block(x, (256, 256), 3)
    x = reducing_block(x, (728, 728), 4)
    for block in range(5, 13):
        start = x
        for k in (1, 2, 3):
            x = separable(x, 728, f"block{block}_sepconv{k}")
        x = layers.add([x, start])
    x = reducing_block(x, (728, 1024), 13)
    x = separable(x, 1536, "block14_sepconv1", relu_before=False)
    x = layers.Activation("relu", name="block14_sepconv1_act")(x)
    x = separable(x, 2048, "block14_sepconv2", relu_before=False)
    x = layers.Activation("relu", name="block14_sepconv2_act")(x)
    # Keras names the average pooling of the top only
    x = classified_or_pooled(x, include_top, pooling, classes, classifier_activation,
                             "avg_pool" if include_top else None)
    return make_model(input_tensor, image, x, name, weights, weights_file(include_top))


preprocess_input = imagenet_utils.preprocessor("tf", "Xception")


__all__ = ["Xception", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
