"""``keras.applications.resnet``: ResNet50, ResNet101 and ResNet152 (He et al., 2015), their preprocessing
("caffe": RGB to BGR, each channel less ImageNet's mean) and ImageNet's class names.

A ResNet is a 7x7 convolution and a max pooling, then four stacks of bottleneck blocks — 1x1, 3x3 and 1x1
convolutions, each batch-normalized, added to the block's input (through a 1x1 convolution where the shape
changes) — and, with the top, a global average pooling and a dense layer. The three differ only in how many
blocks each stack holds.

Example:
    >>> from fnlearn.keras.applications import resnet
    >>> resnet.STACKS["resnet101"]
    (3, 4, 23, 3)
"""

from __future__ import annotations

from collections.abc import Callable
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

STACKS = {"resnet50": (3, 4, 6, 3), "resnet101": (3, 4, 23, 3), "resnet152": (3, 8, 36, 3)}  # blocks per stack
FILTERS = (64, 128, 256, 512)  # of each stack's bottleneck; a block gives 4 times as many channels
EPSILON = 1.001e-5  # of every batch normalization, as the weights were trained
STRIDES = (1, 2, 2, 2)  # of each stack's first block
# Keras's hashes of the files with and without the top, the pre-activation models' (resnet_v2) too
HASHES = {"resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
          "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
          "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
          "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
          "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
          "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33")}
TITLES = {"resnet50": "ResNet50", "resnet101": "ResNet101", "resnet152": "ResNet152", "resnet50v2": "ResNet50V2",
          "resnet101v2": "ResNet101V2", "resnet152v2": "ResNet152V2"}


def weights_file(model: str, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for ``model`` ("resnet50"… "resnet152v2").

    >>> weights_file("resnet50", True).origin.rsplit("/", 2)[-2:]
    ['resnet', 'resnet50_weights_tf_dim_ordering_tf_kernels.h5']
    """
    return tf_kernels_file("resnet", model, HASHES[model], include_top)


def bottleneck(x: Any, filters: int, name: str, stride: int = 1, project: bool = False) -> Any:
    """One residual block, ``x`` plus 1x1 (``filters``, at ``stride``), 3x3 and 1x1 (4 · ``filters``)
    convolutions; ``project`` passes ``x`` through a 1x1 convolution first, for a block that changes its shape.
    Layers named as Keras names them: ``{name}_1_conv``, ``{name}_1_bn``, ``{name}_1_relu``… ``{name}_out``."""
    shortcut = x
    if project:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = bn_relu(shortcut, f"{name}_0_bn", epsilon=EPSILON)
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = bn_relu(x, f"{name}_1_bn", f"{name}_1_relu", epsilon=EPSILON)
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(x)
    x = bn_relu(x, f"{name}_2_bn", f"{name}_2_relu", epsilon=EPSILON)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = bn_relu(x, f"{name}_3_bn", epsilon=EPSILON)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack(x: Any, filters: int, blocks: int, name: str, stride: int = 2) -> Any:
    """``blocks`` bottleneck blocks, the first projecting its input (at ``stride``), named ``{name}_block1``…"""
    x = bottleneck(x, filters, f"{name}_block1", stride=stride, project=True)
    for k in range(2, blocks + 1):
        x = bottleneck(x, filters, f"{name}_block{k}")
    return x


def resnet(model: str, include_top: bool, weights: Any, input_tensor: Any, input_shape: Any, pooling: str | None,
           classes: int, classifier_activation: Any, name: str, stack_fn: Callable[..., Any] = stack,
           strides: tuple[int, ...] = STRIDES, preact: bool = False) -> Any:
    """The ResNet ``model`` (a key of :data:`TITLES`) with Keras's layers and names: the stem, the four stacks
    that ``stack_fn(x, filters, blocks, name, stride=)`` builds at ``strides``, and the top. ``preact`` (ResNetV2)
    leaves the normalization out of the stem, as each block normalizes its own input, and normalizes the last
    stack's output instead (``post_bn``, ``post_relu``)."""
    title = TITLES[model]
    check_arguments(title, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(title, input_shape, default_size=224, min_size=32, include_top=include_top, weights=weights)
    image = image_input(title, input_tensor, shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(image)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    if not preact:
        x = bn_relu(x, "conv1_bn", "conv1_relu", epsilon=EPSILON)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for k, (filters, blocks, stride) in enumerate(zip(FILTERS, STACKS[model.removesuffix("v2")], strides)):
        x = stack_fn(x, filters, blocks, f"conv{k + 2}", stride=stride)
    if preact:
        x = bn_relu(x, "post_bn", "post_relu", epsilon=EPSILON)
    x = classified_or_pooled(x, include_top, pooling, classes, classifier_activation, "avg_pool", "max_pool")
    return make_model(input_tensor, image, x, name, weights, weights_file(model, include_top))


def ResNet50(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
             input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
             classifier_activation: Any = "softmax", name: str = "resnet50") -> Any:
    """ResNet50, Keras's ``keras.applications.ResNet50``: stacks of 3, 4, 6 and 3 bottleneck blocks.
    ``weights="imagenet"`` downloads Keras's ImageNet weights once, a path loads a weights file, None leaves them
    random.

    ``input_shape`` (height, width, 3), at least 32x32, is free without the top (None sizes: any); with it, it is
    (224, 224, 3) for ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model
    without its top into one vector per image. Give it images through :func:`preprocess_input`.

    >>> ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3)).output_shape
    (None, 1, 1, 2048)
    """
    return resnet("resnet50", include_top, weights, input_tensor, input_shape, pooling, classes,
                  classifier_activation, name)


def ResNet101(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
              input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
              classifier_activation: Any = "softmax", name: str = "resnet101") -> Any:
    """ResNet101, Keras's ``keras.applications.ResNet101``: stacks of 3, 4, 23 and 3 bottleneck blocks; the
    arguments are :func:`ResNet50`'s.

    >>> len(ResNet101(weights=None, include_top=False, input_shape=(32, 32, 3)).layers)
    345
    """
    return resnet("resnet101", include_top, weights, input_tensor, input_shape, pooling, classes,
                  classifier_activation, name)


def ResNet152(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
              input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
              classifier_activation: Any = "softmax", name: str = "resnet152") -> Any:
    """ResNet152, Keras's ``keras.applications.ResNet152``: stacks of 3, 8, 36 and 3 bottleneck blocks; the
    arguments are :func:`ResNet50`'s.

    >>> ResNet152(weights="imagenet", classes=10)
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: ResNet152(include_top=True, weights='imagenet') has ImageNet's 1000 classes, not
    classes=10; ...
    """
    return resnet("resnet152", include_top, weights, input_tensor, input_shape, pooling, classes,
                  classifier_activation, name)


preprocess_input = imagenet_utils.preprocessor("caffe", "ResNet")


__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
