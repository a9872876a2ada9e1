"""``keras.applications.mobilenet_v3``: MobileNetV3Small and MobileNetV3Large (Howard et al., 2019), its
``preprocess_input`` (which leaves images as they are: the models rescale their pixels themselves) and ImageNet's
class names.

A MobileNetV3 rescales its pixels to [-1, 1] (a ``Rescaling`` layer, unless ``include_preprocessing=False``), then
runs a 3x3 convolution, a stack of inverted residual blocks — MobileNetV2's block (1x1 convolution that widens, a
depthwise convolution, 1x1 convolution that narrows, added to the input where the shape stays), some with a
squeeze-and-excite step that weighs each channel by what the whole image holds — and a last 1x1 convolution; with
the top, a global average pooling, a 1x1 convolution to 1024 (Small) or 1280 (Large) channels, dropout and a 1x1
convolution as the classifier. Its activations are ReLU and hard swish, ``x · relu6(x + 3) / 6``; the minimalistic
models use ReLU only, 3x3 kernels only and no squeeze-and-excite.

The squeeze-and-excite step's hard sigmoid is written as Keras writes it, ``ReLU(6)(x + 3) * (1 / 6)``: the
addition and the scaling are two ``Rescaling`` layers in fnlearn's model (which lists every step, so that it saves),
where Keras keeps them as operations outside ``model.layers``; they hold no weights, so every weight file reads
the same.

Example:
    >>> from fnlearn.keras.applications import mobilenet_v3
    >>> mobilenet_v3.weights_file("small", 1.0, minimalistic=True, include_top=False).fname
    'weights_mobilenet_v3_small_minimalistic_224_1.0_float_no_top_v2.h5'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import ConfigError, ShapeError
from .. import layers
from .._missing import not_provided
from ._common import (
    KERAS_WEIGHTS,
    WeightsFile,
    check_arguments,
    correct_pad,
    image_input,
    image_shape,
    make_model,
    pooled,
)
from .imagenet_utils import decode_predictions, pixels_as_given
from .mobilenet import official_size
from .mobilenet_v2 import make_divisible

HASHES = {  # Keras's, with the top and without
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb", "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7", "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c", "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7", "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862", "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37", "cde8136e733e811080d9fcd8a252f7e4"),
}
BN = {"epsilon": 1e-3, "momentum": 0.999}  # of every batch normalization

# Each block: expansion, filters (before alpha), kernel ("k": 5x5 unless minimalistic), stride, whether it
# squeezes and excites (unless minimalistic), and its activation ("relu", or "act": hard swish unless
# minimalistic). The expansions keep Keras's fractions (72 / 16), whose rounding sets the widths.
SMALL = ((1, 16, 3, 2, True, "relu"), (72 / 16, 24, 3, 2, False, "relu"), (88 / 24, 24, 3, 1, False, "relu"),
         (4, 40, "k", 2, True, "act"), (6, 40, "k", 1, True, "act"), (6, 40, "k", 1, True, "act"),
         (3, 48, "k", 1, True, "act"), (3, 48, "k", 1, True, "act"), (6, 96, "k", 2, True, "act"),
         (6, 96, "k", 1, True, "act"), (6, 96, "k", 1, True, "act"))
LARGE = ((1, 16, 3, 1, False, "relu"), (4, 24, 3, 2, False, "relu"), (3, 24, 3, 1, False, "relu"),
         (3, 40, "k", 2, True, "relu"), (3, 40, "k", 1, True, "relu"), (3, 40, "k", 1, True, "relu"),
         (6, 80, 3, 2, False, "act"), (2.5, 80, 3, 1, False, "act"), (2.3, 80, 3, 1, False, "act"),
         (2.3, 80, 3, 1, False, "act"), (6, 112, 3, 1, True, "act"), (6, 112, 3, 1, True, "act"),
         (6, 160, "k", 2, True, "act"), (6, 160, "k", 1, True, "act"), (6, 160, "k", 1, True, "act"))
# each model's name in Keras's weight files, its blocks and the channels of its top's first 1x1 convolution
MODELS = {"MobileNetV3Small": ("small", SMALL, 1024), "MobileNetV3Large": ("large", LARGE, 1280)}


def weights_file(model_type: str, alpha: float, minimalistic: bool, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for the ``model_type`` ("small" or "large") of width ``alpha``, with its
    hash (images of 224x224; the file without the top is the second version Keras publishes).

    >>> weights_file("large", 0.75, minimalistic=False, include_top=True).fname
    'weights_mobilenet_v3_large_224_0.75_float.h5'
    """
    key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{float(alpha)}_float"
    fname = f"weights_mobilenet_v3_{key}{'' if include_top else '_no_top_v2'}.h5"
    return WeightsFile(fname, f"{KERAS_WEIGHTS}mobilenet_v3/{fname}", HASHES[key][0 if include_top else 1])


def _relu(x: Any) -> Any:
    return layers.ReLU()(x)


def _hard_swish(x: Any) -> Any:
    return layers.Activation("hard_swish")(x)


def _hard_sigmoid(x: Any) -> Any:
    # Keras's own composition, relu6(x + 3) / 6, rather than Activation("hard_sigmoid"): the same numbers, and
    # the ReLU layer its model lists
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def squeeze_excite(x: Any, filters: int, prefix: str) -> Any:
    """Each channel of ``x`` weighed by a number in [0, 1] computed from the means of all channels (a 1x1
    convolution to a quarter of them, ReLU, one back, hard sigmoid); Keras's names ``{prefix}squeeze_excite_…``.

    >>> from fnlearn.keras import Input
    >>> squeeze_excite(Input(shape=(8, 8, 16)), 16, "block_").layer.name
    'block_squeeze_excite_mul'
    """
    weights = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(x)
    weights = layers.Conv2D(make_divisible(filters * 0.25, 8), kernel_size=1, padding="same",
                            name=f"{prefix}squeeze_excite_conv")(weights)
    weights = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(weights)
    weights = layers.Conv2D(filters, kernel_size=1, padding="same", name=f"{prefix}squeeze_excite_conv_1")(weights)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([x, _hard_sigmoid(weights)])


def inverted_block(x: Any, expansion: float, filters: int, kernel_size: int, stride: int, excite: bool,
                   activation: Callable[[Any], Any], block: int) -> Any:
    """One inverted residual block, Keras's names: ``expanded_conv_{block}_expand`` (none in block 0),
    ``…_depthwise`` (padded first by ``…_depthwise_pad`` where it strides), ``…_squeeze_excite_…``,
    ``…_project``, each convolution with its ``_bn``; ``…_add`` where the block's input is added.

    >>> from fnlearn.keras import Input
    >>> inverted_block(Input(shape=(9, 9, 16)), 4, 24, 5, 2, True, _relu, 3).shape
    (None, 5, 5, 24)
    """
    channels = x.shape[-1]
    start = x
    prefix = f"expanded_conv_{block}_" if block else "expanded_conv_"
    if block:
        x = layers.Conv2D(make_divisible(channels * expansion, 8), kernel_size=1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(x)
        x = activation(layers.BatchNormalization(axis=-1, name=f"{prefix}expand_bn", **BN)(x))
    if stride == 2:
        x = layers.ZeroPadding2D(padding=correct_pad(x.shape[1:3], kernel_size), name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride, padding="same" if stride == 1 else "valid",
                               use_bias=False, name=f"{prefix}depthwise")(x)
    x = activation(layers.BatchNormalization(axis=-1, name=f"{prefix}depthwise_bn", **BN)(x))
    if excite:
        x = squeeze_excite(x, make_divisible(channels * expansion, 8), prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=-1, name=f"{prefix}project_bn", **BN)(x)
    if stride == 1 and channels == filters:
        return layers.Add(name=f"{prefix}add")([start, x])
    return x


def _check_settings(model: str, alpha: Any, minimalistic: Any, dropout_rate: Any, weights: Any) -> None:
    """Refuse, in one sentence, a width, dropout rate or flag the model cannot take, and a width with no
    ImageNet weights."""
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
        raise ConfigError(f"{model}(alpha={alpha!r}) is not a width multiplier; pass a positive number such as "
                          "alpha=1.0 (0.75 for a narrower model).")
    if isinstance(dropout_rate, bool) or not isinstance(dropout_rate, (int, float)) or not 0 <= dropout_rate < 1:
        raise ConfigError(f"{model}(dropout_rate={dropout_rate!r}) is not a dropout rate; pass a number in [0, 1), "
                          "e.g. 0.2 (0 for no dropout).")
    if not isinstance(minimalistic, bool):
        raise ConfigError(f"{model}(minimalistic={minimalistic!r}) is not a flag; pass True (ReLU and 3x3 kernels "
                          "only) or False.")
    if weights == "imagenet" and alpha not in ((1.0,) if minimalistic else (0.75, 1.0)):
        widths = "alpha=1.0 only for the minimalistic model" if minimalistic else "alpha 0.75 and 1.0"
        raise ConfigError(f"{model}(alpha={alpha!r}, minimalistic={minimalistic}) has no ImageNet weights (they exist "
                          f"for {widths}); pass one of these, or weights=None to train from random weights.")


def _given_shape(model: str, input_shape: Any, input_tensor: Any) -> Any:
    """The image shape the model is built for: ``input_shape``, or, without it, ``input_tensor``'s; where both are
    given they must agree, as Keras requires."""
    if input_tensor is None or not isinstance(input_tensor, layers._Placeholder):
        return input_shape
    tensor_shape = tuple(input_tensor.shape[1:])
    if input_shape is None:
        return tensor_shape
    if isinstance(input_shape, (tuple, list)) and len(input_shape) == 3 and \
            tuple(input_shape[:2]) != tensor_shape[:2]:
        raise ShapeError(f"{model}(input_shape={tuple(input_shape)}) does not fit input_tensor of shape "
                         f"{input_tensor.shape}; pass the shape of the tensor's images, or leave input_shape out.")
    return input_shape


def mobilenet_v3(model: str, input_shape: Any, alpha: float, minimalistic: bool, include_top: bool, weights: Any,
                 input_tensor: Any, classes: int, pooling: str | None, dropout_rate: float,
                 classifier_activation: Any, include_preprocessing: bool, name: str) -> Any:
    """The MobileNetV3 ``model`` ("MobileNetV3Small" or "MobileNetV3Large"), Keras's layers and names.

    >>> mobilenet_v3("MobileNetV3Large", input_shape=(32, 32, 3), alpha=1.0, minimalistic=True, include_top=False,
    ...              weights=None, input_tensor=None, classes=1000, pooling="max", dropout_rate=0.2,
    ...              classifier_activation="softmax", include_preprocessing=True, name="large").output_shape
    (None, 960)
    """
    model_type, blocks, last_point = MODELS[model]
    check_arguments(model, include_top, weights, pooling, classes, classifier_activation)
    _check_settings(model, alpha, minimalistic, dropout_rate, weights)
    given = _given_shape(model, input_shape, input_tensor)
    # its classifier takes any size; 224 is the size the weights were trained on
    shape = image_shape(model, given, default_size=224, min_size=32, include_top=False, weights=weights)
    if include_top and given is None:
        shape = (224, 224, 3)
    image = image_input(model, input_tensor, shape)
    if weights == "imagenet":
        official_size(model, shape[0], shape[1], (224,))  # any size takes 224's weights, with Keras's warning
    activation = _relu if minimalistic else _hard_swish
    kernel = 3 if minimalistic else 5
    x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(image) if include_preprocessing else image
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False, name="conv")(x)
    x = activation(layers.BatchNormalization(axis=-1, name="conv_bn", **BN)(x))
    for block, (expansion, filters, size, stride, excite, act) in enumerate(blocks):
        x = inverted_block(x, expansion, make_divisible(filters * alpha, 8), kernel if size == "k" else size, stride,
                           excite and not minimalistic, activation if act == "act" else _relu, block)
    x = layers.Conv2D(make_divisible(x.shape[-1] * 6, 8), kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = activation(layers.BatchNormalization(axis=-1, name="conv_1_bn", **BN)(x))
    if include_top:
        if alpha > 1.0:  # wider models widen the top too; narrower ones keep it, as the paper has it
            last_point = make_divisible(last_point * alpha, 8)
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = activation(layers.Conv2D(last_point, kernel_size=1, padding="same", use_bias=True, name="conv_2")(x))
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling, "avg_pool", "max_pool")
    official = weights_file(model_type, alpha, minimalistic, include_top) if weights == "imagenet" else None
    return make_model(input_tensor, image, x, name, weights, official)


def MobileNetV3Small(input_shape: Any = None, alpha: float = 1.0, minimalistic: bool = False,  # noqa: N802
                     include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                     classes: int = 1000, pooling: str | None = None, dropout_rate: float = 0.2,
                     classifier_activation: Any = "softmax", include_preprocessing: bool = True,
                     name: str = "MobileNetV3Small") -> Any:
    """MobileNetV3Small, Keras's ``keras.applications.MobileNetV3Small``: 11 inverted residual blocks. ``alpha``
    scales the width of every block (ImageNet's weights exist for 0.75 and 1.0, and 1.0 for the minimalistic
    model); ``minimalistic=True`` leaves out hard swish, 5x5 kernels and squeeze-and-excite; ``dropout_rate`` is
    the rate before the classifier. ``weights="imagenet"`` downloads Keras's ImageNet weights once, a path loads a
    weights file, None leaves them random.

    ``input_shape`` (height, width, 3), at least 32x32, is free, with the top too (its classifier pools first):
    ImageNet's weights were trained on 224x224, and other sizes take them with a warning; without it, it is the
    shape of ``input_tensor``, or (224, 224, 3) with the top. ``pooling`` ("avg" or "max") turns the last feature
    maps of a model without its top into one vector per image. The model takes pixels in [0, 255] (in [-1, 1] with
    ``include_preprocessing=False``).

    >>> MobileNetV3Small(input_shape=(32, 32, 3), weights=None, include_top=False, pooling="avg").output_shape
    (None, 576)
    """
    return mobilenet_v3("MobileNetV3Small", input_shape, alpha, minimalistic, include_top, weights,
                        input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing,
                        name)


def MobileNetV3Large(input_shape: Any = None, alpha: float = 1.0, minimalistic: bool = False,  # noqa: N802
                     include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
                     classes: int = 1000, pooling: str | None = None, dropout_rate: float = 0.2,
                     classifier_activation: Any = "softmax", include_preprocessing: bool = True,
                     name: str = "MobileNetV3Large") -> Any:
    """MobileNetV3Large, Keras's ``keras.applications.MobileNetV3Large``: 15 inverted residual blocks; the
    arguments are :func:`MobileNetV3Small`'s.

    >>> MobileNetV3Large(alpha=0.5, minimalistic=True)
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: MobileNetV3Large(alpha=0.5, minimalistic=True) has no ImageNet weights (they exist
    for alpha=1.0 only for the minimalistic model); ...
    """
    return mobilenet_v3("MobileNetV3Large", input_shape, alpha, minimalistic, include_top, weights,
                        input_tensor, classes, pooling, dropout_rate, classifier_activation, include_preprocessing,
                        name)


preprocess_input = pixels_as_given


__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
