"""``keras.applications.inception_v3``: InceptionV3 (Szegedy et al., 2016), its preprocessing ("tf": pixels to
[-1, 1]) and ImageNet's class names.

InceptionV3 is five convolutions and two max poolings, then eleven inception modules ("mixed0" to "mixed10"):
each runs branches side by side on the same input — 1x1 convolutions, stacks of 3x3 (or 1x7 and 7x1, or 1x3 and
3x1) convolutions, a pooling — and joins their channels; "mixed3" and "mixed8" halve the size. With the top, a
global average pooling and a dense layer. Every convolution has no bias and is followed by a batch normalization
without scale and a ReLU. Its images are at least 75x75 (299x299 for ImageNet's weights with the top).

Keras leaves every convolution, batch normalization and ReLU unnamed (``conv2d_…``, ``batch_normalization_…``,
``activation_…``, numbered by what was built before), and so does fnlearn; Keras's official file names them
otherwise still, and is read layer after layer, as Keras reads it.

Example:
    >>> from fnlearn.keras.applications import inception_v3
    >>> inception_v3.weights_file(include_top=False).fname
    'inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5'
"""

from __future__ import annotations

from typing import Any

from .. import layers
from .._missing import not_provided
from . import imagenet_utils
from ._common import (
    WeightsFile,
    check_arguments,
    classified_or_pooled,
    image_input,
    image_shape,
    make_model,
    tf_kernels_file,
)
from .imagenet_utils import decode_predictions

HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")  # with the top, without


def weights_file(include_top: bool) -> WeightsFile:
    """Keras's file of InceptionV3's ImageNet weights, with or without the top, and its hash.

    >>> weights_file(include_top=True).file_hash
    '9a0d58056eeedaa3f26cb7ebd46da564'
    """
    return tf_kernels_file("inception_v3", "inception_v3", HASHES, include_top)


def conv2d_bn(x: Any, filters: int, kernel_size: Any, strides: int = 1, padding: str = "same",
              activation: str | None = "relu", use_bias: bool = False, name: str | None = None) -> Any:
    """The Inception models' step: a convolution, then (without a bias) a batch normalization without scale (the
    ReLU after it makes a scale redundant), then ``activation``; the layers named ``name``, ``name_bn``, ``name_ac``,
    or unnamed as Keras leaves them (InceptionResNetV2 names some, InceptionV3 none).

    >>> from fnlearn.keras import Input
    >>> conv2d_bn(Input(shape=(17, 17, 8)), 16, (1, 7), name="conv_7b").shape
    (None, 17, 17, 16)
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias, name=name)(x)
    if not use_bias:
        x = layers.BatchNormalization(axis=3, scale=False, name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def conv_bn(x: Any, filters: int, rows: int, cols: int, padding: str = "same", strides: int = 1) -> Any:
    """InceptionV3's :func:`conv2d_bn` of ``rows`` x ``cols``, all three layers unnamed.

    >>> from fnlearn.keras import Input
    >>> conv_bn(Input(shape=(17, 17, 8)), 16, 1, 7).shape
    (None, 17, 17, 16)
    """
    return conv2d_bn(x, filters, (rows, cols), strides=strides, padding=padding)


def _average_branch(x: Any, filters: int) -> Any:
    """A 3x3 average pooling that keeps the size, then a 1x1 convolution: the pooling branch of most modules."""
    return conv_bn(layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x), filters, 1, 1)


def _module_35(x: Any, pool_filters: int, name: str) -> Any:
    """A module of the 35x35 stage: 1x1; 1x1 then 5x5; 1x1 then two 3x3; the pooling branch."""
    branch1x1 = conv_bn(x, 64, 1, 1)
    branch5x5 = conv_bn(conv_bn(x, 48, 1, 1), 64, 5, 5)
    branch3x3dbl = conv_bn(conv_bn(conv_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
    branch_pool = _average_branch(x, pool_filters)
    return layers.concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], axis=3, name=name)


def _module_17(x: Any, width: int, name: str) -> Any:
    """A module of the 17x17 stage: 1x1; a 1x7 and 7x1 pair; two such pairs; the pooling branch (``width``: the
    channels inside the factorized branches)."""
    branch1x1 = conv_bn(x, 192, 1, 1)
    branch7x7 = conv_bn(x, width, 1, 1)
    branch7x7 = conv_bn(branch7x7, width, 1, 7)
    branch7x7 = conv_bn(branch7x7, 192, 7, 1)
    branch7x7dbl = conv_bn(x, width, 1, 1)
    branch7x7dbl = conv_bn(branch7x7dbl, width, 7, 1)
    branch7x7dbl = conv_bn(branch7x7dbl, width, 1, 7)
    branch7x7dbl = conv_bn(branch7x7dbl, width, 7, 1)
    branch7x7dbl = conv_bn(branch7x7dbl, 192, 1, 7)
    branch_pool = _average_branch(x, 192)
    return layers.concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], axis=3, name=name)


def _module_8(x: Any, index: int) -> Any:
    """A module of the 8x8 stage (``mixed9``, ``mixed10``): 1x1; 1x1 then 1x3 and 3x1 side by side
    (``mixed9_{index}``); 1x1, 3x3 then 1x3 and 3x1 side by side (unnamed); the pooling branch."""
    branch1x1 = conv_bn(x, 320, 1, 1)
    branch3x3 = conv_bn(x, 384, 1, 1)
    branch3x3 = layers.concatenate([conv_bn(branch3x3, 384, 1, 3), conv_bn(branch3x3, 384, 3, 1)], axis=3,
                                   name=f"mixed9_{index}")
    branch3x3dbl = conv_bn(conv_bn(x, 448, 1, 1), 384, 3, 3)
    branch3x3dbl = layers.concatenate([conv_bn(branch3x3dbl, 384, 1, 3), conv_bn(branch3x3dbl, 384, 3, 1)], axis=3)
    branch_pool = _average_branch(x, 192)
    return layers.concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], axis=3, name=f"mixed{9 + index}")


def InceptionV3(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "inception_v3") -> Any:
    """InceptionV3, Keras's ``keras.applications.InceptionV3``. ``weights="imagenet"`` downloads Keras's ImageNet
    weights once, a path loads a weights file, None leaves them random.

    ``input_shape`` (height, width, 3), at least 75x75, is free without the top; with it, it is (299, 299, 3) for
    ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model without its top into
    one vector per image. Give it images through :func:`preprocess_input`.

    >>> InceptionV3(weights=None, include_top=False, input_shape=(75, 75, 3), pooling="max").output_shape
    (None, 2048)
    """
    model = "InceptionV3"
    check_arguments(model, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(model, input_shape, default_size=299, min_size=75, include_top=include_top, weights=weights)
    image = image_input(model, input_tensor, shape)
    x = conv_bn(image, 32, 3, 3, strides=2, padding="valid")
    x = conv_bn(x, 32, 3, 3, padding="valid")
    x = conv_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv_bn(x, 80, 1, 1, padding="valid")
    x = conv_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = _module_35(x, 32, "mixed0")
    x = _module_35(x, 64, "mixed1")
    x = _module_35(x, 64, "mixed2")

    branch3x3 = conv_bn(x, 384, 3, 3, strides=2, padding="valid")
    branch3x3dbl = conv_bn(conv_bn(conv_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch3x3dbl, branch_pool], axis=3, name="mixed3")

    x = _module_17(x, 128, "mixed4")
    x = _module_17(x, 160, "mixed5")
    x = _module_17(x, 160, "mixed6")
    x = _module_17(x, 192, "mixed7")

    branch3x3 = conv_bn(conv_bn(x, 192, 1, 1), 320, 3, 3, strides=2, padding="valid")
    branch7x7x3 = conv_bn(x, 192, 1, 1)
    branch7x7x3 = conv_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv_bn(branch7x7x3, 192, 3, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = layers.concatenate([branch3x3, branch7x7x3, branch_pool], axis=3, name="mixed8")

    x = _module_8(x, 0)
    x = _module_8(x, 1)
    # Keras names the average pooling of the top only
    x = classified_or_pooled(x, include_top, pooling, classes, classifier_activation,
                             "avg_pool" if include_top else None)
    return make_model(input_tensor, image, x, name, weights, weights_file(include_top))


preprocess_input = imagenet_utils.preprocessor("tf", "InceptionV3")


__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
