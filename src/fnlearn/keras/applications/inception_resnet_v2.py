"""``keras.applications.inception_resnet_v2``: InceptionResNetV2 (Szegedy et al., 2017), its preprocessing ("tf":
pixels to [-1, 1]) and ImageNet's class names.

InceptionV3's stem, then inception modules whose branches, joined, are a residual: each block adds its
branches' 1x1 projection, scaled down (0.17, 0.1, 0.2), to its input (a :class:`~fnlearn.nn.merge.CustomScaleLayer`,
as Keras's) — ten "block35" at 35x35, twenty "block17" at 17x17, ten "block8" at 8x8, with a reduction ("mixed_6a",
"mixed_7a") between the stages — and a last 1x1 convolution to 1536 channels ("conv_7b"). Every convolution but the
projections has no bias and is followed by a batch normalization without scale and a ReLU. Its images are at least
75x75 (299x299 for ImageNet's weights with the top).

The layers are Keras's, named as Keras names them (the blocks' by block, the branches' unnamed).

Example:
    >>> from fnlearn.keras.applications import inception_resnet_v2
    >>> inception_resnet_v2.weights_file(include_top=False).fname
    'inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5'
"""

from __future__ import annotations

from typing import Any

from ...nn.merge import CustomScaleLayer
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
from .inception_v3 import conv2d_bn

HASHES = ("e693bd0210a403b3192acc6073ad2e96", "d19885ff4a710c122648d3b5c3b684e4")  # with the top, without


def weights_file(include_top: bool) -> WeightsFile:
    """Keras's file of InceptionResNetV2's ImageNet weights, with or without the top, and its hash.

    >>> weights_file(include_top=True).file_hash
    'e693bd0210a403b3192acc6073ad2e96'
    """
    return tf_kernels_file("inception_resnet_v2", "inception_resnet_v2", HASHES, include_top)


# each block type's branches: (filters, kernel size) of each convolution, in order
_BRANCHES = {
    "block35": [[(32, 1)], [(32, 1), (32, 3)], [(32, 1), (48, 3), (64, 3)]],
    "block17": [[(192, 1)], [(128, 1), (160, (1, 7)), (192, (7, 1))]],
    "block8": [[(192, 1)], [(192, 1), (224, (1, 3)), (256, (3, 1))]],
}


def inception_resnet_block(x: Any, scale: float, block_type: str, block_idx: int,
                           activation: str | None = "relu") -> Any:
    """One Inception-ResNet block: ``x + scale · r``, r the 1x1 projection (with bias, to x's channels) of the
    block's branches joined, then ``activation``; its layers named ``{block_type}_{block_idx}_mixed``, ``…_conv``,
    ``…_ac``.

    >>> from fnlearn.keras import Input
    >>> inception_resnet_block(Input(shape=(8, 8, 40)), 0.2, "block8", 1).shape
    (None, 8, 8, 40)
    """
    if block_type not in _BRANCHES:
        raise ValueError(f"Unknown Inception-ResNet block type {block_type!r}; give 'block35', 'block17' or "
                         "'block8'.")
    branches = []
    for convolutions in _BRANCHES[block_type]:
        branch = x
        for filters, size in convolutions:
            branch = conv2d_bn(branch, filters, size)
        branches.append(branch)
    block_name = f"{block_type}_{block_idx}"
    mixed = layers.Concatenate(axis=3, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[3], 1, activation=None, use_bias=True, name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def _stem(image: Any) -> Any:
    """From the image to "mixed_5b", 35x35x320 at ImageNet's size."""
    x = conv2d_bn(image, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)
    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(conv2d_bn(x, 48, 1), 64, 5)
    branch_2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1), 96, 3), 96, 3)
    branch_pool = conv2d_bn(layers.AveragePooling2D(3, strides=1, padding="same")(x), 64, 1)
    return layers.Concatenate(axis=3, name="mixed_5b")([branch_0, branch_1, branch_2, branch_pool])


def InceptionResNetV2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                      input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                      classifier_activation: Any = "softmax", name: str = "inception_resnet_v2") -> Any:
    """InceptionResNetV2, Keras's ``keras.applications.InceptionResNetV2``. ``weights="imagenet"`` downloads Keras's
    ImageNet weights once, a path loads a weights file, None leaves them random.

    ``input_shape`` (height, width, 3), at least 75x75, is free without the top; with it, it is (299, 299, 3) for
    ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model without its top into
    one vector per image. Give it images through :func:`preprocess_input`.

    >>> InceptionResNetV2(weights=None, include_top=False, input_shape=(75, 75, 3), pooling="avg").output_shape
    (None, 1536)
    """
    model = "InceptionResNetV2"
    check_arguments(model, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(model, input_shape, default_size=299, min_size=75, include_top=include_top, weights=weights)
    image = image_input(model, input_tensor, shape)
    x = _stem(image)
    for block_idx in range(1, 11):
        x = inception_resnet_block(x, 0.17, "block35", block_idx)

    branch_0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 256, 3), 384, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=3, name="mixed_6a")([branch_0, branch_1, branch_pool])
    for block_idx in range(1, 21):
        x = inception_resnet_block(x, 0.1, "block17", block_idx)

    branch_0 = conv2d_bn(conv2d_bn(x, 256, 1), 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(conv2d_bn(x, 256, 1), 288, 3, strides=2, padding="valid")
    branch_2 = conv2d_bn(conv2d_bn(conv2d_bn(x, 256, 1), 288, 3), 320, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=3, name="mixed_7a")([branch_0, branch_1, branch_2, branch_pool])
    for block_idx in range(1, 10):
        x = inception_resnet_block(x, 0.2, "block8", block_idx)
    x = inception_resnet_block(x, 1.0, "block8", 10, activation=None)  # the last block adds its branch whole

    x = conv2d_bn(x, 1536, 1, name="conv_7b")
    # Keras names the average pooling of the top only
    x = classified_or_pooled(x, include_top, pooling, classes, classifier_activation,
                             "avg_pool" if include_top else None)
    return make_model(input_tensor, image, x, name, weights, weights_file(include_top))


preprocess_input = imagenet_utils.preprocessor("tf", "InceptionResNetV2")


__all__ = ["InceptionResNetV2", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
