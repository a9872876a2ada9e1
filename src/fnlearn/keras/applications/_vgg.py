"""VGG (Simonyan and Zisserman, 2015): five blocks of 3x3 convolutions with ReLU, each block closed by a 2x2 max
pooling, then three dense layers; VGG16 and VGG19 differ only in how many convolutions a block holds.

Example:
    >>> vgg("vgg16", (1, 1, 1, 1, 1), include_top=False, weights=None, input_tensor=None,
    ...     input_shape=(32, 32, 3), pooling="max", classes=1000, classifier_activation="softmax",
    ...     name="tiny").output_shape
    (None, 512)
"""

from __future__ import annotations

from typing import Any

from .. import layers
from ._common import KERAS_WEIGHTS, WeightsFile, check_arguments, image_input, image_shape, make_model, pooled

FILTERS = (64, 128, 256, 512, 512)  # of each block's convolutions

# Keras's official weight files, with and without the top, by model
HASHES = {"vgg16": ("64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
          "vgg19": ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6")}


def weights_file(model: str, include_top: bool) -> WeightsFile:
    """Keras's file of ImageNet weights for ``model`` ("vgg16" or "vgg19"), with or without the top.

    >>> weights_file("vgg16", False).fname
    'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'
    """
    fname = f"{model}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return WeightsFile(fname, f"{KERAS_WEIGHTS}{model}/{fname}", HASHES[model][0 if include_top else 1])


def vgg(model: str, convolutions: tuple[int, ...], include_top: bool, weights: Any, input_tensor: Any,
        input_shape: Any, pooling: str | None, classes: int, classifier_activation: Any, name: str) -> Any:
    """A VGG of ``convolutions[k]`` convolutions in block k+1, Keras's layers and names (``block1_conv1``…,
    ``fc1``, ``fc2``, ``predictions``)."""
    title = model.upper()
    check_arguments(title, include_top, weights, pooling, classes, classifier_activation)
    shape = image_shape(title, input_shape, default_size=224, min_size=32, include_top=include_top, weights=weights)
    image = image_input(title, input_tensor, shape)
    x = image
    for block, (count, filters) in enumerate(zip(convolutions, FILTERS), start=1):
        for k in range(1, count + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{block}_conv{k}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = pooled(x, pooling)
    return make_model(input_tensor, image, x, name, weights,
                      weights_file(model, include_top) if model in HASHES else None)
