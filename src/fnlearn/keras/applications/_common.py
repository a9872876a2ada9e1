"""What every ``keras.applications`` model shares: its arguments checked in one sentence each before anything is
built or downloaded, the input, the top or the pooling, and the weights (Keras's ``.h5`` files, matched by layer
name).

Example:
    >>> image_shape("VGG16", None, default_size=224, min_size=32, include_top=False, weights=None)
    (None, None, 3)
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import ConfigError, ModelFileError, ShapeError
from .. import layers, utils
from ..keras_h5 import load_h5_weights

KERAS_WEIGHTS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class WeightsFile:
    """One of Keras's official weight files: the name it is cached under (in ``~/.keras/models``), where it is
    downloaded from, and its hash (None where Keras checks none)."""

    fname: str
    origin: str
    file_hash: str | None = None


def tf_kernels_file(folder: str, stem: str, hashes: tuple[str, str], include_top: bool) -> WeightsFile:
    """Keras's file ``{stem}_weights_tf_dim_ordering_tf_kernels[_notop].h5`` in its ``folder``, as most of its official
    files are named, with its hash (``hashes``: with the top, without).

    >>> tf_kernels_file("xception", "xception", ("a", "b"), include_top=False).fname
    'xception_weights_tf_dim_ordering_tf_kernels_notop.h5'
    """
    fname = f"{stem}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    return WeightsFile(fname, f"{KERAS_WEIGHTS}{folder}/{fname}", hashes[0 if include_top else 1])


def check_arguments(model: str, include_top: bool, weights: Any, pooling: Any, classes: Any,
                    classifier_activation: Any) -> None:
    """Refuse, in one sentence, the arguments Keras refuses (and an unknown ``pooling``, which Keras ignores).

    >>> check_arguments("VGG16", True, "imagenet", None, 10, "softmax")
    Traceback (most recent call last):
    fnlearn.errors.ConfigError: VGG16(include_top=True, weights='imagenet') has ImageNet's 1000 classes, not
    classes=10; ...
    """
    if not (weights is None or weights == "imagenet" or
            (isinstance(weights, (str, os.PathLike)) and os.path.isfile(weights))):
        raise ConfigError(f"{model}(weights={weights!r}) is neither None (random weights), 'imagenet' nor the path of "
                          "an existing weights file; pass one of these.")
    if include_top and (isinstance(classes, bool) or not isinstance(classes, int) or classes < 1):
        raise ConfigError(f"{model}(classes={classes!r}) is not a number of classes; pass a positive integer such as "
                          "classes=10.")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ConfigError(f"{model}(include_top=True, weights='imagenet') has ImageNet's 1000 classes, not "
                          f"classes={classes}; pass include_top=False and add a head of {classes} classes, or "
                          "weights=None to train the whole model.")
    if pooling not in (None, "avg", "max"):
        raise ConfigError(f"{model}(pooling={pooling!r}) is not a pooling fnlearn knows; pass None (the last "
                          "feature maps), 'avg' or 'max' (one vector per image).")
    if include_top and weights is not None and classifier_activation not in (None, "softmax", "linear"):
        raise ConfigError(f"{model}(classifier_activation={classifier_activation!r}) does not fit pretrained "
                          "weights, whose classifier gives scores or probabilities; pass 'softmax' or None.")


def image_shape(model: str, input_shape: Any, default_size: int, min_size: int, include_top: bool,
                weights: Any) -> tuple[Any, ...]:
    """The (height, width, channels) of the model's images, Keras's rules: a model with its top takes the size
    its classifier was made for (any size of its own without pretrained weights), one without takes any size of
    at least ``min_size`` (None: unknown), and ImageNet's weights take 3 channels.

    >>> image_shape("ResNet50", (16, 16, 3), default_size=224, min_size=32, include_top=False, weights=None)
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: ResNet50(input_shape=(16, 16, 3)) is smaller than its smallest size, 32x32; ...
    """
    default = (default_size, default_size, 3)
    if input_shape is not None:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
            raise ShapeError(f"{model}(input_shape={input_shape!r}) is not the shape of an image; pass "
                             f"(height, width, channels), e.g. {default}.")
        input_shape = tuple(input_shape)
        if weights != "imagenet":
            default = (default_size, default_size, input_shape[-1])
            if input_shape[-1] not in (1, 3):
                warnings.warn(f"{model} is usually given images of 1 or 3 channels, but input_shape={input_shape} "
                              f"has {input_shape[-1]}.", stacklevel=3)
    if weights == "imagenet" and include_top:
        if input_shape is not None and input_shape != default:
            raise ShapeError(f"{model}(include_top=True, weights='imagenet') takes images of shape {default}, the "
                             f"size its classifier was trained on, not input_shape={input_shape}; resize the images "
                             "to it, or pass include_top=False to take other sizes.")
        return default
    if input_shape is None:
        return default if include_top else (None, None, 3)
    if input_shape[-1] != 3 and weights == "imagenet":
        raise ShapeError(f"{model}(weights='imagenet', input_shape={input_shape}) takes images of 3 channels (RGB), "
                         f"not {input_shape[-1]}; give it colour images, or pass weights=None.")
    if any(size is not None and size < min_size for size in input_shape[:2]):
        raise ShapeError(f"{model}(input_shape={input_shape}) is smaller than its smallest size, "
                         f"{min_size}x{min_size}; give images of at least {min_size}x{min_size} pixels (resize them, "
                         "e.g. with layers.Resizing).")
    if include_top and None in input_shape:
        raise ShapeError(f"{model}(include_top=True, input_shape={input_shape}) leaves a size unknown, which its "
                         "classifier cannot take; give every size, or pass include_top=False.")
    return input_shape


def image_input(model: str, input_tensor: Any, input_shape: tuple[Any, ...]) -> Any:
    """The placeholder the model starts from: ``input_tensor`` (a ``keras.Input`` or a layer's output), or a new
    ``keras.Input`` of ``input_shape``, whose sizes must be known: fnlearn's convolutions take images of one size
    (Keras's take any size when ``input_shape`` leaves them None).

    >>> image_input("VGG16", None, (None, None, 3))
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: VGG16 got no image size (input_shape=(None, None, 3)), which fnlearn's convolution
    layers need; ...
    """
    if input_tensor is None:
        if None in input_shape:
            raise ShapeError(f"{model} got no image size (input_shape={input_shape}), which fnlearn's convolution "
                             "layers need; pass input_shape=(height, width, 3), e.g. (224, 224, 3).")
        return layers.Input(shape=input_shape)
    if not isinstance(input_tensor, layers._Placeholder):
        raise ConfigError(f"{model}(input_tensor=) got a {type(input_tensor).__name__}; pass a keras.Input or a "
                          "layer's output, e.g. input_tensor=keras.Input(shape=(224, 224, 3)).")
    return input_tensor


def source_inputs(tensor: Any) -> list[Any]:
    """The ``keras.Input`` placeholders ``tensor`` is computed from, as Keras's model takes them when its
    ``input_tensor`` is a layer's output."""
    found: list[Any] = []
    seen: set[int] = set()
    waiting = [tensor]
    while waiting:
        node = waiting.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, layers.InputLayer):
            found.append(node)
        else:
            waiting.extend(reversed(node.parents))
    return found


def pooled(x: Any, pooling: str | None, avg_name: str | None = None, max_name: str | None = None) -> Any:
    """The feature maps ``x`` as the model without its top gives them: as they are, or pooled to one vector."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def classified_or_pooled(x: Any, include_top: bool, pooling: str | None, classes: int, classifier_activation: Any,
                         avg_name: str | None = None, max_name: str | None = None) -> Any:
    """The end of a model: with its top, a global average pooling (named ``avg_name``) and the dense layer of
    ``classes`` named "predictions"; without, the feature maps as :func:`pooled` gives them."""
    if not include_top:
        return pooled(x, pooling, avg_name, max_name)
    x = layers.GlobalAveragePooling2D(name=avg_name)(x)
    return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)


def bn_relu(x: Any, bn_name: str, relu_name: str | None = None, *, epsilon: float = 1e-3, momentum: float = 0.99,
            max_value: float | None = None) -> Any:
    """Batch normalization, then (when ``relu_name`` is given) ReLU: the step after nearly every convolution of
    these models. ``max_value`` caps it (MobileNet's ReLU6, a ``ReLU`` layer); without, it is an
    ``Activation("relu")`` layer, as Keras's models have it."""
    x = layers.BatchNormalization(axis=-1, epsilon=epsilon, momentum=momentum, name=bn_name)(x)
    if relu_name is None:
        return x
    if max_value is not None:
        return layers.ReLU(max_value, name=relu_name)(x)
    return layers.Activation("relu", name=relu_name)(x)


def correct_pad(size: Any, kernel_size: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The padding before a convolution of ``kernel_size`` and stride 2 on images of ``size`` (height, width),
    Keras's rule: half the kernel on each side, one pixel less at the top (left) of an even height (width), so
    that the stride lands as TensorFlow's "same" padding does; an unknown height counts both sizes even.

    >>> correct_pad((56, 57), 5)
    ((1, 2), (2, 2))
    """
    half = kernel_size // 2
    rows, cols = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    return (half - rows, half), (half - cols, half)


def make_model(input_tensor: Any, image: Any, outputs: Any, name: str, weights: Any,
               official: WeightsFile | None) -> Any:
    """The model from its input to ``outputs``, with its weights: Keras's official file ``official`` (downloaded
    once into Keras's cache) for ``weights="imagenet"``, the file at ``weights`` for a path, fresh ones for None."""
    from ..models import Model  # here: keras.models imports much that the architectures need not

    inputs = image if input_tensor is None else source_inputs(input_tensor)
    model = Model(inputs, outputs, name=name)
    if weights == "imagenet" and official is not None:
        path = utils.get_file(official.fname, official.origin, cache_subdir="models", file_hash=official.file_hash)
        load_keras_h5(model, path)
    elif weights is not None and weights != "imagenet":
        if _is_keras_h5(weights):
            load_keras_h5(model, weights)
        else:
            model.load_weights(weights)  # Keras 3's .weights.h5 or fnlearn's own files
    return model


def _is_keras_h5(path: Any) -> bool:
    """Whether ``path`` is an HDF5 file in Keras 2's layout (``layer_names`` listed, at its root or under
    ``model_weights``), the layout of Keras's official weight files."""
    try:
        import h5py
    except ImportError:
        return False  # model.load_weights says what is missing
    try:
        with h5py.File(path, "r") as h5:
            return "layer_names" in (h5["model_weights"] if "model_weights" in h5 else h5).attrs
    except OSError:
        return False


def load_keras_h5(model: Any, path: str | os.PathLike) -> None:
    """Fill ``model`` from a weights file in Keras 2's HDF5 layout: by layer name where the file names every
    layer of the model that has weights, else layer after layer in the file's order, as Keras itself reads these
    files (some official files were written by older Keras versions under other layer names); every count and
    shape is checked before any weight changes."""
    from ..keras_files import _check_shapes, _h5py

    h5py = _h5py()

    def text(value: Any) -> str:
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    where = repr(os.fspath(path))
    weighted = [layer for layer in model.layers if layer.get_weights()]
    with h5py.File(path, "r") as h5:
        root = h5["model_weights"] if "model_weights" in h5 else h5
        held = [name for name in map(text, root.attrs.get("layer_names", []))
                if len(root[name].attrs.get("weight_names", []))]
        if all(layer.name in held for layer in weighted):
            by_order = None
        else:
            if len(held) != len(weighted):
                raise ModelFileError(f"Keras's weights file {where} holds the weights of {len(held)} layers, but model "
                                     f"{model.name!r} has {len(weighted)} layers with weights; load the file of this "
                                     "model (with or without its top, as built).")
            by_order = [[np.asarray(root[name][text(weight)][()]) for weight in root[name].attrs["weight_names"]]
                        for name in held]
    if by_order is None:
        load_h5_weights(model, path)
        return
    for layer, arrays in zip(weighted, by_order):
        _check_shapes(layer, arrays, f"Keras's weights file {where}")
    for layer, arrays in zip(weighted, by_order):
        layer.set_weights(arrays)
