"""``keras.applications.convnext``: ConvNeXtTiny, Small, Base, Large and XLarge (Liu et al., "A ConvNet for the
2020s", 2022), their preprocessing (none: the models take pixels in [0, 255] and normalize them themselves) and
ImageNet's class names.

A ConvNeXt normalizes its pixels by ImageNet's mean and standard deviation (a ``Normalization`` layer given
those statistics, which it keeps as constants: no weights), then a stem (a 4x4 convolution of stride 4 and a
layer normalization, one nested ``Sequential``), and four stages of blocks, each stage after the first starting
with a downsampling block (a layer normalization and a 2x2 convolution of stride 2, a nested ``Sequential`` too).
A block is a 7x7 depthwise convolution (Keras's ``Conv2D`` with one group per channel), a layer normalization, a
dense layer on the channels that widens them four times, GELU, one that narrows them back, a per-channel
:class:`LayerScale` and, in training, :class:`StochasticDepth` (an identity ``Activation`` where the block's drop
rate is 0, as in every model made here), added to the block's input. With the top: a global average pooling, a
layer normalization and the classifier; without: the pooling asked for, then a layer normalization.

Tiny has 3, 3, 9 and 3 blocks in its stages, the others 3, 3, 27 and 3; the widths are 96 to 768 channels (Tiny,
Small), 128 to 1024 (Base), 192 to 1536 (Large) and 256 to 2048 (XLarge).

Keras's model records each residual addition ``inputs + branch`` as an op (listed in ``model.operations``, not
``model.layers``); fnlearn's placeholders record it as the ``Add`` layer that computes it, so fnlearn's
``model.layers`` lists those ``Add`` layers where Keras's ``model.operations`` lists its ops. They have no weights:
weight files are the same.

Example:
    >>> from fnlearn.keras.applications import convnext
    >>> convnext.weights_file("tiny", include_top=False).fname
    'convnext_tiny_notop.h5'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import ConfigError
from ...nn.residual import LayerScale, StochasticDepth
from .. import layers
from .._missing import not_provided
from ._common import WeightsFile, check_arguments, image_input, image_shape, make_model, pooled
from .imagenet_utils import decode_predictions, pixels_as_given

WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
# each variant's blocks per stage and channels per stage
CONFIGS = {"tiny": ((3, 3, 9, 3), (96, 192, 384, 768)),
           "small": ((3, 3, 27, 3), (96, 192, 384, 768)),
           "base": ((3, 3, 27, 3), (128, 256, 512, 1024)),
           "large": ((3, 3, 27, 3), (192, 384, 768, 1536)),
           "xlarge": ((3, 3, 27, 3), (256, 512, 1024, 2048))}
HASHES = {"tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                   "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
          "small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                    "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
          "base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                   "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
          "large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                    "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
          "xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                     "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05")}
TITLES = {variant: f"ConvNeXt{'XLarge' if variant == 'xlarge' else variant.title()}" for variant in CONFIGS}
DEFAULT_SIZE = 224
EPSILON = 1e-6  # of every layer normalization
# ImageNet's mean pixel and the variance of its pixels, in [0, 255], as Keras's model computes them
IMAGENET_MEAN = [0.485 * 255, 0.456 * 255, 0.406 * 255]
IMAGENET_VARIANCE = [(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2]


def weights_file(variant: str, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for ConvNeXt ``variant`` ("tiny" to "xlarge"), with or without the top.

    >>> weights_file("base", include_top=True).origin
    'https://storage.googleapis.com/tensorflow/keras-applications/convnext/convnext_base.h5'
    """
    fname = f"convnext_{variant}{'' if include_top else '_notop'}.h5"
    return WeightsFile(fname, f"{WEIGHTS}{fname}", HASHES[variant][0 if include_top else 1])


def block(x: Any, projection_dim: int, drop_path_rate: float, layer_scale_init_value: float | None,
          name: str) -> Any:
    """One ConvNeXt block, Keras's names (``name`` is "convnext_tiny_stage_0_block_0"…): ``_depthwise_conv``,
    ``_layernorm``, ``_pointwise_conv_1``, ``_gelu``, ``_pointwise_conv_2``, ``_layer_scale`` (unless
    ``layer_scale_init_value`` is None), then ``_stochastic_depth`` where ``drop_path_rate`` is not 0, else
    ``_identity``; the branch is added to the block's input.

    >>> x = layers.Input(shape=(8, 8, 16))
    >>> block(x, 16, 0.1, 1e-6, "convnext_stage_0_block_0").layer.name  # the addition's
    'add...'
    """
    start = x
    x = layers.Conv2D(projection_dim, kernel_size=7, padding="same", groups=projection_dim,
                      name=f"{name}_depthwise_conv")(x)
    x = layers.LayerNormalization(epsilon=EPSILON, name=f"{name}_layernorm")(x)
    x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)  # dense on the channels: a 1x1 conv
    x = layers.Activation("gelu", name=f"{name}_gelu")(x)
    x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
    if layer_scale_init_value is not None:  # Keras's test: 0.0 still makes the layer (its factors start at 0)
        x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
    if drop_path_rate:
        x = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")(x)
    else:
        x = layers.Activation("linear", name=f"{name}_identity")(x)
    return start + x


def _checked_plan(depths: Any, projection_dims: Any) -> tuple[list[int], list[int]]:
    """``depths`` and ``projection_dims`` as lists of four positive integers, else one sentence."""
    plans = []
    for what, value in (("depths", depths), ("projection_dims", projection_dims)):
        try:
            items = list(value)
        except TypeError:
            items = []
        if len(items) != 4 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
                                  for v in items):
            raise ConfigError(f"ConvNeXt({what}={value!r}) is not four positive integers, one per stage; pass e.g. "
                              f"{what}={list(CONFIGS['tiny'][0 if what == 'depths' else 1])} (ConvNeXtTiny's).")
        plans.append([int(v) for v in items])
    return plans[0], plans[1]


def ConvNeXt(depths: Any, projection_dims: Any, drop_path_rate: float = 0.0,  # noqa: N802
             layer_scale_init_value: float | None = 1e-6, default_size: int = DEFAULT_SIZE, name: str = "convnext",
             include_preprocessing: bool = True, include_top: bool = True, weights: Any = None,
             input_tensor: Any = None, input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
             classifier_activation: Any = "softmax", weights_name: str | None = None) -> Any:
    """A ConvNeXt of any depths and widths, Keras's ``keras.applications.convnext.ConvNeXt``: ``depths`` blocks
    in each of the four stages, of ``projection_dims`` channels. ``drop_path_rate`` is the rate at which the last
    block's branch is dropped in training (the earlier blocks' rise evenly from 0 to it); ``layer_scale_init_value``
    starts every :class:`LayerScale` (None: no LayerScale). ``include_preprocessing`` puts ImageNet's normalization
    in the model (for images of 3 channels).

    ``weights="imagenet"`` takes the official weights of ``weights_name`` ("convnext_tiny"…), whose depths and
    widths the model must have and whose name ``name`` must contain, as Keras requires; the file is the official
    one whatever the name (Keras asks for a file named after the model, which exists for the default names only).
    The other arguments are :func:`ConvNeXtTiny`'s.

    >>> ConvNeXt([1, 1, 1, 1], [8, 16, 32, 64], weights=None, include_top=False, input_shape=(32, 32, 3),
    ...          pooling="avg").output_shape
    (None, 64)
    """
    from ..models import Sequential  # here: keras.models imports much that the other architectures need not

    title = TITLES.get(str(weights_name).removeprefix("convnext_"), "ConvNeXt")
    depths, projection_dims = _checked_plan(depths, projection_dims)
    check_arguments(title, include_top, weights, pooling, classes, classifier_activation)
    if isinstance(drop_path_rate, bool) or not isinstance(drop_path_rate, (int, float, np.number)) \
            or not 0.0 <= float(drop_path_rate) < 1.0:
        raise ConfigError(f"{title}(drop_path_rate={drop_path_rate!r}) is not a rate in [0, 1); pass e.g. "
                          "drop_path_rate=0.1 to drop the last block's branch for a tenth of the samples in training, "
                          "or 0.0 (no drop).")
    official = None
    if weights == "imagenet":
        variant = str(weights_name).removeprefix("convnext_")
        if variant not in CONFIGS:
            raise ConfigError(f"{title}(weights='imagenet', weights_name={weights_name!r}) names no official weights; "
                              "pass weights_name='convnext_tiny', 'convnext_small', 'convnext_base', 'convnext_large' "
                              "or 'convnext_xlarge', or weights=None.")
        if (depths, projection_dims) != tuple(map(list, CONFIGS[variant])):
            raise ConfigError(f"{title}(weights='imagenet') has depths {depths} and projection_dims "
                              f"{projection_dims}, but the weights of {weights_name} are for depths "
                              f"{list(CONFIGS[variant][0])} and projection_dims {list(CONFIGS[variant][1])}; build "
                              "that architecture, or pass weights=None.")
        if f"convnext_{variant}" not in str(name):
            raise ConfigError(f"{title}(name={name!r}, weights='imagenet') has a name without 'convnext_{variant}', "
                              f"which Keras requires of a model with these weights; pass a name that contains it, "
                              f"e.g. name='convnext_{variant}'.")
        official = weights_file(variant, include_top)
    shape = image_shape(title, input_shape, default_size=default_size, min_size=32, include_top=include_top,
                        weights=weights)
    image = image_input(title, input_tensor, shape)
    x = image
    if include_preprocessing and shape[-1] == 3:
        x = layers.Normalization(mean=IMAGENET_MEAN, variance=IMAGENET_VARIANCE,
                                 name=f"{name}_prestem_normalization")(x)
    stem = Sequential([layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
                       layers.LayerNormalization(epsilon=EPSILON, name=f"{name}_stem_layernorm")],
                      name=f"{name}_stem")
    downsampling = [Sequential([layers.LayerNormalization(epsilon=EPSILON, name=f"{name}_downsampling_layernorm_{i}"),
                                layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                                              name=f"{name}_downsampling_conv_{i}")],
                               name=f"{name}_downsampling_block_{i}") for i in range(3)]
    # the drop rates rise evenly over all the blocks, as the paper's code (and Keras's) computes them
    rates = [float(rate) for rate in np.linspace(0.0, float(drop_path_rate), sum(depths))]
    done = 0
    for stage, (start, depth) in enumerate(zip([stem, *downsampling], depths)):
        x = start(x)
        for k in range(depth):
            x = block(x, projection_dims[stage], rates[done + k], layer_scale_init_value,
                      f"{name}_stage_{stage}_block_{k}")
        done += depth
    if include_top:
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=EPSILON, name=f"{name}_head_layernorm")(x)
        x = layers.Dense(classes, activation=classifier_activation, name=f"{name}_head_dense")(x)
    else:
        x = layers.LayerNormalization(epsilon=EPSILON)(pooled(x, pooling))  # Keras leaves both unnamed
    return make_model(input_tensor, image, x, name, weights, official)


def _variant(variant: str, include_top: bool, include_preprocessing: bool, weights: Any, input_tensor: Any,
             input_shape: Any, pooling: str | None, classes: int, classifier_activation: Any, name: str) -> Any:
    depths, projection_dims = CONFIGS[variant]
    return ConvNeXt(list(depths), list(projection_dims), drop_path_rate=0.0, layer_scale_init_value=1e-6,
                    default_size=DEFAULT_SIZE, name=name, include_preprocessing=include_preprocessing,
                    include_top=include_top, weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                    pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                    weights_name=f"convnext_{variant}")


def ConvNeXtTiny(include_top: bool = True, include_preprocessing: bool = True, weights: Any = "imagenet",  # noqa: N802
                 input_tensor: Any = None, input_shape: Any = None, pooling: str | None = None, classes: int = 1000,
                 classifier_activation: Any = "softmax", name: str = "convnext_tiny") -> Any:
    """ConvNeXtTiny, Keras's ``keras.applications.ConvNeXtTiny``: 18 blocks of 96 to 768 channels, made for images
    of 224x224. ``weights="imagenet"`` downloads Keras's ImageNet weights once (the model's ``name`` must then
    contain "convnext_tiny", as Keras requires), a path loads a weights file, None leaves them random.

    ``input_shape`` (height, width, 3), at least 32x32, is free without the top; with it, it is (224, 224, 3) for
    ImageNet's weights. ``pooling`` ("avg" or "max") turns the last feature maps of a model without its top into
    one vector per image (a layer normalization follows either way). Give it pixels in [0, 255]: with
    ``include_preprocessing`` (the default, which ImageNet's weights need) the model normalizes them itself
    (:func:`preprocess_input` leaves them as they are).

    >>> ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3), pooling="avg").output_shape
    (None, 768)
    """
    return _variant("tiny", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def ConvNeXtSmall(include_top: bool = True, include_preprocessing: bool = True,  # noqa: N802
                  weights: Any = "imagenet", input_tensor: Any = None, input_shape: Any = None,
                  pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                  name: str = "convnext_small") -> Any:
    """ConvNeXtSmall, Keras's ``keras.applications.ConvNeXtSmall``: Tiny's widths, 27 blocks in its third stage
    (36 in all); the arguments are :func:`ConvNeXtTiny`'s.

    >>> ConvNeXtSmall(weights="imagenet", classes=10)
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: ConvNeXtSmall(include_top=True, weights='imagenet') has ImageNet's 1000 classes,
    not classes=10; ...
    """
    return _variant("small", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def ConvNeXtBase(include_top: bool = True, include_preprocessing: bool = True,  # noqa: N802
                 weights: Any = "imagenet", input_tensor: Any = None, input_shape: Any = None,
                 pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                 name: str = "convnext_base") -> Any:
    """ConvNeXtBase, Keras's ``keras.applications.ConvNeXtBase``: Small's 36 blocks, of 128 to 1024 channels
    (its ImageNet weights were first trained on ImageNet-21k); the arguments are :func:`ConvNeXtTiny`'s.

    >>> ConvNeXtBase(name="mine")
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: ConvNeXtBase(name='mine', weights='imagenet') has a name without 'convnext_base',
    which Keras requires of a model with these weights; ...
    """
    return _variant("base", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling, classes,
                    classifier_activation, name)


def ConvNeXtLarge(include_top: bool = True, include_preprocessing: bool = True,  # noqa: N802
                  weights: Any = "imagenet", input_tensor: Any = None, input_shape: Any = None,
                  pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                  name: str = "convnext_large") -> Any:
    """ConvNeXtLarge, Keras's ``keras.applications.ConvNeXtLarge``: Small's 36 blocks, of 192 to 1536 channels;
    the arguments are :func:`ConvNeXtTiny`'s.

    >>> ConvNeXtLarge(include_top=False, weights=None, input_shape=(16, 16, 3))
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: ConvNeXtLarge(input_shape=(16, 16, 3)) is smaller than its smallest size, 32x32; ...
    """
    return _variant("large", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


def ConvNeXtXLarge(include_top: bool = True, include_preprocessing: bool = True,  # noqa: N802
                   weights: Any = "imagenet", input_tensor: Any = None, input_shape: Any = None,
                   pooling: str | None = None, classes: int = 1000, classifier_activation: Any = "softmax",
                   name: str = "convnext_xlarge") -> Any:
    """ConvNeXtXLarge, Keras's ``keras.applications.ConvNeXtXLarge``: Small's 36 blocks, of 256 to 2048 channels;
    the arguments are :func:`ConvNeXtTiny`'s.

    >>> ConvNeXtXLarge(classifier_activation="relu")
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: ConvNeXtXLarge(classifier_activation='relu') does not fit pretrained weights, whose
    classifier gives scores or probabilities; ...
    """
    return _variant("xlarge", include_top, include_preprocessing, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name)


preprocess_input = pixels_as_given


__all__ = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge", "ConvNeXt",
           "LayerScale", "StochasticDepth", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
