"""``keras.applications.densenet``: DenseNet121, DenseNet169 and DenseNet201 (Huang et al., 2017), their
preprocessing ("torch": pixels to [0, 1], then each channel less ImageNet's mean, over its standard deviation) and
ImageNet's class names.

A DenseNet is a 7x7 convolution and a max pooling, then four dense blocks — each layer of a block (batch
normalization, ReLU, 1x1 and 3x3 convolutions) adds 32 channels to all those before it — with a transition
between blocks (batch normalization, ReLU, a 1x1 convolution that halves the channels, a 2x2 average pooling),
and, with the top, a global average pooling and a dense layer. The three differ only in how many layers each
block holds.

Example:
    >>> from fnlearn.keras.applications import densenet
    >>> densenet.BLOCKS["densenet169"]
    (6, 12, 32, 32)
"""

from __future__ import annotations

from typing import Any

from .. import layers
from .._missing import not_provided
from . import imagenet_utils
from ._common import (
    KERAS_WEIGHTS,
    WeightsFile,
    bn_relu,
    check_arguments,
    classified_or_pooled,
    image_input,
    image_shape,
    make_model,
)
from .imagenet_utils import decode_predictions

BLOCKS = {"densenet121": (6, 12, 24, 16), "densenet169": (6, 12, 32, 32), "densenet201": (6, 12, 48, 32)}
GROWTH = 32  # the channels each layer of a dense block adds
EPSILON = 1.001e-5  # of every batch normalization, as the weights were trained
HASHES = {"densenet121": ("9d60b8095a5708f2dcce2bca79d332c7", "30ee3e1110167f948a6b9946edeeb738"),
          "densenet169": ("d699b8f76981ab1b30698df4c175e90b", "b8c4d4c20dd625c148057b9ff1c1176b"),
          "densenet201": ("1ceb130c1ea1b78c3bf6114dbdfd8807", "c13680b51ded0fb44dff2d8f86ac8bb1")}


def weights_file(model: str, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for ``model`` ("densenet121", "densenet169", "densenet201").

    >>> weights_file("densenet121", False).fname
    'densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5'
    """
    fname = f"{model}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return WeightsFile(fname, f"{KERAS_WEIGHTS}densenet/{fname}", HASHES[model][0 if include_top else 1])


def dense_layer(x: Any, name: str) -> Any:
    """One layer of a dense block: ``GROWTH`` new channels (batch normalization, ReLU, 1x1 then 3x3 convolutions)
    joined to ``x``'s; Keras's names ``{name}_0_bn``, ``{name}_0_relu``, ``{name}_1_conv``… ``{name}_concat``."""
    new = bn_relu(x, f"{name}_0_bn", f"{name}_0_relu", epsilon=EPSILON)
    new = layers.Conv2D(4 * GROWTH, 1, use_bias=False, name=f"{name}_1_conv")(new)
    new = bn_relu(new, f"{name}_1_bn", f"{name}_1_relu", epsilon=EPSILON)
    new = layers.Conv2D(GROWTH, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(new)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, new])


def transition(x: Any, name: str) -> Any:
    """Between two dense blocks: half the channels, half the size (``{name}_bn``, ``_relu``, ``_conv``,
    ``_pool``)."""
    x = bn_relu(x, f"{name}_bn", f"{name}_relu", epsilon=EPSILON)
    x = layers.Conv2D(int(x.shape[-1] * 0.5), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def densenet(model: str, include_top: bool, weights: Any, input_tensor: Any, input_shape: Any, pooling: str | None,
             classes: int, classifier_activation: Any, name: str) -> Any:
    """The DenseNet ``model`` ("densenet121", "densenet169", "densenet201") with Keras's layers and names."""
    title = {"densenet121": "DenseNet121", "densenet169": "DenseNet169", "densenet201": "DenseNet201"}[model]
    check_arguments(title, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(title, input_shape, default_size=224, min_size=32, include_top=include_top, weights=weights)
    image = image_input(title, input_tensor, shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(image)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = bn_relu(x, "conv1_bn", "conv1_relu", epsilon=EPSILON)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for k, count in enumerate(BLOCKS[model]):
        for layer in range(1, count + 1):
            x = dense_layer(x, f"conv{k + 2}_block{layer}")
        if k < 3:
            x = transition(x, f"pool{k + 2}")
    x = bn_relu(x, "bn", "relu", epsilon=EPSILON)
    x = classified_or_pooled(x, include_top, pooling, classes, classifier_activation, "avg_pool", "max_pool")
    return make_model(input_tensor, image, x, name, weights, weights_file(model, include_top))


def DenseNet121(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet121") -> Any:
    """DenseNet121, Keras's ``keras.applications.DenseNet121``: dense blocks of 6, 12, 24 and 16 layers.
    ``weights="imagenet"`` downloads Keras's ImageNet weights once, a path loads a weights file, None leaves them
    random.

    ``input_shape`` (height, width, 3), at least 32x32, is free without the top (None sizes: any); with it, it is
    (224, 224, 3) for ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model
    without its top into one vector per image. Give it images through :func:`preprocess_input`.

    >>> DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="max").output_shape
    (None, 1024)
    """
    return densenet("densenet121", include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def DenseNet169(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet169") -> Any:
    """DenseNet169, Keras's ``keras.applications.DenseNet169``: dense blocks of 6, 12, 32 and 32 layers; the
    arguments are :func:`DenseNet121`'s.

    >>> DenseNet169(input_shape=(32, 32, 4), include_top=False)
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: DenseNet169(weights='imagenet', input_shape=(32, 32, 4)) takes images of 3 channels
    (RGB), not 4; ...
    """
    return densenet("densenet169", include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def DenseNet201(include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,  # noqa: N802
                input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                classifier_activation: Any = "softmax", name: str = "densenet201") -> Any:
    """DenseNet201, Keras's ``keras.applications.DenseNet201``: dense blocks of 6, 12, 48 and 32 layers; the
    arguments are :func:`DenseNet121`'s.

    >>> DenseNet201(weights=None, include_top=False, pooling="sum")
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: DenseNet201(pooling='sum') is not a pooling fnlearn knows; ...
    """
    return densenet("densenet201", include_top, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


preprocess_input = imagenet_utils.preprocessor("torch", "DenseNet")


__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
