"""``keras.applications.resnet_v2``: ResNet50V2, ResNet101V2 and ResNet152V2 (He et al., 2016, "Identity
Mappings in Deep Residual Networks"), their preprocessing ("tf": pixels to [-1, 1]) and ImageNet's class names.

A ResNetV2 is :mod:`~fnlearn.keras.applications.resnet`'s ResNet with pre-activation blocks: each block
batch-normalizes and activates its input before its 1x1, 3x3 and 1x1 convolutions, the sum is left as it is, and
the last stack's output is normalized once at the end. A stack halves the size in its last block rather than its
first, the identity shortcut then taken one pixel in two. The stem, the stacks' sizes, the top and the weight
files are the ResNet's.

Example:
    >>> from fnlearn.keras.applications import resnet_v2
    >>> resnet_v2.STRIDES
    (2, 2, 2, 1)
"""

from __future__ import annotations

from typing import Any

from .. import layers
from .._missing import not_provided
from . import imagenet_utils
from ._common import bn_relu
from .imagenet_utils import decode_predictions
from .resnet import EPSILON, resnet

STRIDES = (2, 2, 2, 1)  # of each stack's last block: the fourth stack keeps its size


def preact_bottleneck(x: Any, filters: int, name: str, stride: int = 1, project: bool = False) -> Any:
    """One pre-activation block: ``x`` (through a 1x1 convolution of the normalized input when ``project``, a 1x1
    max pooling that keeps one pixel in ``stride`` when the block strides) plus 1x1 (``filters``), 3x3 (at
    ``stride``) and 1x1 (4 · ``filters``) convolutions of the normalized input. Layers named as Keras names
    them: ``{name}_preact_bn``, ``{name}_preact_relu``, ``{name}_0_conv``… ``{name}_out``; the pooling is
    unnamed, as in Keras."""
    preact = bn_relu(x, f"{name}_preact_bn", f"{name}_preact_relu", epsilon=EPSILON)
    if project:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = bn_relu(x, f"{name}_1_bn", f"{name}_1_relu", epsilon=EPSILON)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, 3, strides=stride, use_bias=False, name=f"{name}_2_conv")(x)
    x = bn_relu(x, f"{name}_2_bn", f"{name}_2_relu", epsilon=EPSILON)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def preact_stack(x: Any, filters: int, blocks: int, name: str, stride: int = 2) -> Any:
    """``blocks`` pre-activation blocks named ``{name}_block1``…: the first projects its input, the last strides
    (``stride``)."""
    x = preact_bottleneck(x, filters, f"{name}_block1", project=True)
    for k in range(2, blocks):
        x = preact_bottleneck(x, filters, f"{name}_block{k}")
    return preact_bottleneck(x, filters, f"{name}_block{blocks}", stride=stride)


def resnet_v2(model: str, include_top: bool, weights: Any, input_tensor: Any, input_shape: Any,
              pooling: str | None, classes: int, classifier_activation: Any, name: str) -> Any:
    """The ResNetV2 ``model`` ("resnet50v2", "resnet101v2", "resnet152v2"): the ResNet of the same depth with
    pre-activation stacks."""
    return resnet(model, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation,
                  name, stack_fn=preact_stack, strides=STRIDES, preact=True)


def ResNet50V2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
               input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
               classifier_activation: Any = "softmax", name: str = "resnet50v2") -> Any:
    """ResNet50V2, Keras's ``keras.applications.ResNet50V2``: stacks of 3, 4, 6 and 3 pre-activation blocks.
    ``weights="imagenet"`` downloads Keras's ImageNet weights once, a path loads a weights file, None leaves them
    random.

    ``input_shape`` (height, width, 3), at least 32x32, is free without the top (None sizes: any); with it, it is
    (224, 224, 3) for ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model
    without its top into one vector per image. Give it images through :func:`preprocess_input`.

    >>> ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 2048)
    """
    return resnet_v2("resnet50v2", include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


def ResNet101V2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "resnet101v2") -> Any:
    """ResNet101V2, Keras's ``keras.applications.ResNet101V2``: stacks of 3, 4, 23 and 3 pre-activation blocks;
    the arguments are :func:`ResNet50V2`'s.

    >>> ResNet101V2(weights="imagenet", input_shape=(160, 160, 3))
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: ResNet101V2(include_top=True, weights='imagenet') takes images of shape (224, 224,
    3), ...
    """
    return resnet_v2("resnet101v2", include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


def ResNet152V2(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "resnet152v2") -> Any:
    """ResNet152V2, Keras's ``keras.applications.ResNet152V2``: stacks of 3, 8, 36 and 3 pre-activation blocks;
    the arguments are :func:`ResNet50V2`'s.

    >>> ResNet152V2(weights="imagenet", classes=10)
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: ResNet152V2(include_top=True, weights='imagenet') has ImageNet's 1000 classes, not
    classes=10; ...
    """
    return resnet_v2("resnet152v2", include_top, weights, input_tensor, input_shape, pooling, classes,
                     classifier_activation, name)


preprocess_input = imagenet_utils.preprocessor("tf", "ResNetV2")


__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
