"""``keras.applications.imagenet_utils``: the pixels each ImageNet model was trained on (``preprocess_input``) and
the names of ImageNet's 1000 classes (``decode_predictions``).

Each model's module has its own ``preprocess_input``, this one with its mode: "caffe" (VGG, ResNet: RGB to BGR,
then each channel less ImageNet's mean, no scaling), "tf" (MobileNet, Xception: pixels to [-1, 1]) or "torch"
(DenseNet: pixels to [0, 1], then each channel less ImageNet's mean, over its standard deviation).

Unlike Keras, ``preprocess_input`` never writes over the array it is given (Keras's does when it is a float
array): it returns a new one.

Example:
    >>> import numpy as np
    >>> preprocess_input(np.array([[[0, 127.5, 255]]]), mode="tf").tolist()
    [[[-1.0, 0.0, 1.0]]]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import backend
from ...errors import ConfigError, DatasetError, ShapeError
from .. import utils
from .._missing import not_provided

CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

# ImageNet's mean pixel (RGB order for "torch", BGR for "caffe") and the "torch" standard deviations
_MEANS = {"caffe": (103.939, 116.779, 123.68), "torch": (0.485, 0.456, 0.406)}
_STDS = (0.229, 0.224, 0.225)

_class_indexes: dict[str, dict[str, list[str]]] = {}  # by the file's path: read once, as Keras reads it


def preprocess_input(x: Any, data_format: str | None = None, mode: str = "caffe") -> Any:
    """Images (a batch, or one image; pixels in [0, 255]) as the ImageNet models of ``mode`` take them, in a new
    float array (whole numbers become float32; float arrays keep their dtype). ``data_format`` says where the
    channels are: "channels_last" (the default) or "channels_first".

    A ``keras.Input`` (or a layer's output) takes mode "tf" only, as two rescaling layers; the other modes work
    channel by channel: preprocess the arrays before ``fit`` or ``predict`` instead.

    >>> import numpy as np
    >>> preprocess_input(np.zeros((1, 1, 1, 3), dtype="uint8"), mode="caffe").ravel().tolist()
    [-103.93900299072266, -116.77899932861328, -123.68000030517578]
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ConfigError(f"preprocess_input(mode={mode!r}) is not a mode; pass 'caffe' (VGG, ResNet), 'tf' "
                          "(MobileNet, Xception) or 'torch' (DenseNet).")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ConfigError(f"preprocess_input(data_format={data_format!r}) is not a data format; pass "
                          "'channels_last' (height, width, channels) or 'channels_first'.")
    from ..layers import _Placeholder  # here: the functional API is not needed to preprocess arrays

    if isinstance(x, _Placeholder):
        if mode != "tf":
            raise ConfigError(f"preprocess_input(mode={mode!r}) on {x._origin()} works channel by channel, which "
                              "fnlearn's models do not record; preprocess the image arrays before fit or predict.")
        return x / 127.5 - 1.0
    x = _host(x)
    x = np.array(x, dtype=x.dtype if np.issubdtype(x.dtype, np.floating) else "float32")
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    first = data_format == "channels_first"
    axis = (0 if x.ndim == 3 else 1) if first else x.ndim - 1
    if x.ndim == 0 or x.shape[axis] != 3:
        raise ShapeError(f"preprocess_input takes images of 3 channels (RGB) on the {'first' if first else 'last'} "
                         f"axis, got an array of shape {x.shape}; pass images of shape (…, height, width, 3).")
    if mode == "caffe":
        x = np.flip(x, axis=axis).copy()  # RGB to BGR, as the Caffe weights were trained
    else:
        x /= 255.0
    shape = [1] * x.ndim
    shape[axis] = 3
    x -= np.asarray(_MEANS[mode], dtype=x.dtype).reshape(shape)
    if mode == "torch":
        x /= np.asarray(_STDS, dtype=x.dtype).reshape(shape)
    return x


_MODE_WORDS = {"caffe": "RGB to BGR, each channel less ImageNet's mean", "tf": "pixels to [-1, 1]",
               "torch": "pixels to [0, 1], then each channel less ImageNet's mean, over its standard deviation"}


def pixels_as_given(x: Any, data_format: str | None = None) -> Any:
    """``x`` itself: the ``preprocess_input`` of the models that scale their pixels inside (MobileNetV3, EfficientNet,
    ConvNeXt: give them pixels in [0, 255]), kept, as Keras keeps it, so that programs written for the other models
    run unchanged.

    >>> pixels_as_given([0, 255])
    [0, 255]
    """
    if data_format not in (None, "channels_last", "channels_first"):
        raise ConfigError(f"preprocess_input(data_format={data_format!r}) is not a data format; pass "
                          "'channels_last' (height, width, channels) or 'channels_first'.")
    return x


def preprocessor(mode: str, model: str) -> Callable[..., Any]:
    """A model module's own ``preprocess_input(x, data_format=None)``: :func:`preprocess_input` in the ``mode``
    that ``model``'s weights were trained with.

    >>> preprocessor("tf", "MobileNet")([[[0, 255, 51]]]).astype(float).round(2).tolist()
    [[[-1.0, 1.0, -0.6]]]
    """
    def preprocess_input_of_model(x: Any, data_format: str | None = None) -> Any:
        return preprocess_input(x, data_format=data_format, mode=mode)

    preprocess_input_of_model.__name__ = preprocess_input_of_model.__qualname__ = "preprocess_input"
    preprocess_input_of_model.__doc__ = (f"Images (pixels in [0, 255], RGB; a batch or one image) as {model} takes "
                                         f"them: {_MODE_WORDS[mode]}; :func:`imagenet_utils.preprocess_input` in "
                                         f"mode {mode!r}.")
    return preprocess_input_of_model


def _host(x: Any) -> np.ndarray:
    """``x`` (a NumPy or GPU array, an fnlearn tensor, nested lists) as a NumPy array."""
    from ...tensor import Tensor

    return np.asarray(backend.to_numpy(x.data if isinstance(x, Tensor) else x))


def _class_index() -> dict[str, list[str]]:
    """ImageNet's classes by index, ``{"0": ["n01440764", "tench"], …}``, from Keras's file (downloaded once into
    Keras's cache, ``~/.keras/models``)."""
    path = utils.get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                          file_hash=CLASS_INDEX_HASH)
    if path not in _class_indexes:
        try:
            with open(path, encoding="utf-8") as f:
                _class_indexes[path] = json.load(f)
        except (OSError, ValueError) as exc:
            raise DatasetError(f"ImageNet's class index {path!r} cannot be read as JSON ({exc}); delete it so that "
                               "it is downloaded again.") from None
    return _class_indexes[path]


def decode_predictions(preds: Any, top: int = 5) -> list[list[tuple[str, str, Any]]]:
    """The ``top`` classes an ImageNet model gives each image, best first: for each row of ``preds`` (shape
    (images, 1000)), a list of (WordNet id, class name, score).

    >>> import numpy as np
    >>> decode_predictions(np.ones((2, 10)))
    Traceback (most recent call last):
    fnlearn.errors.ShapeError: decode_predictions takes the predictions of ImageNet's 1000 classes, shape (images,
    1000), got shape (2, 10); ...
    """
    preds = _host(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ShapeError(f"decode_predictions takes the predictions of ImageNet's 1000 classes, shape (images, 1000), "
                         f"got shape {preds.shape}; pass the output of a model with include_top=True and "
                         "classes=1000.")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ConfigError(f"decode_predictions(top={top!r}) is not a number of classes; pass a positive integer "
                          "such as top=5.")
    index = _class_index()
    results = []
    for row in preds:
        best = row.argsort()[-top:][::-1]
        found = [(*index[str(i)], row[i]) for i in best]
        found.sort(key=lambda item: item[2], reverse=True)
        results.append(found)
    return results


__all__ = ["preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
