"""Cropping to a size and brightness changes: Keras's ``CenterCrop``, ``RandomCrop`` and ``RandomBrightness``.

``CenterCrop(height, width)`` keeps the centre ``height`` × ``width`` window of every image; an image smaller than
that along either axis is resized instead, without distortion: the largest centred window of the target's aspect
ratio, resized (bilinear) to the target size (Keras's ``smart_resize``). ``RandomCrop`` crops a window at a random
place in training (one place for the whole batch, as Keras draws it); ``RandomBrightness`` adds one random amount
to every pixel of each image. Both are seeded streams, active in ``fit``, with ``training=True`` and when called on
their own, as the other augmentation layers of :mod:`fnlearn.nn.image`. Every output is differentiable in the
images (a crop is a slice, the resize is linear in the pixels).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.CenterCrop(2, 2)(np.arange(16.0).reshape(1, 4, 4, 1)).numpy()[0, :, :, 0].tolist()
    [[5.0, 6.0], [9.0, 10.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..tensor import Tensor
from .conv import _channels_last, _image_shape, _pair
from .image import _factor, _per_image, _RandomImageLayer, _value_range, resize
from .layers import LAYERS, Layer, _reject_unknown_kwargs, as_input


def _target(height: Any, width: Any, owner: str) -> tuple[int, int]:
    return _pair((height, width), "height and width", owner, "height=224, width=224")


def _aspect_window(height: int, width: int, target: tuple[int, int]) -> tuple[int, int]:
    """Keras's start (row, column) of the largest centred window of ``target``'s aspect ratio, in its integer
    arithmetic (what RandomCrop crops from when it does not crop at random)."""
    crop_height = max(min(height, int(float(width * target[0]) / target[1])), 1)
    crop_width = max(min(width, int(float(height * target[1]) / target[0])), 1)
    return int(float(height - crop_height) / 2), int(float(width - crop_width) / 2)


def _batched(layer: Layer, x: Any, run: Any) -> Tensor:
    """``run`` on a batch of images (batch, H, W, C) in the layer's dtype; one image (H, W, C) is run as a batch
    of one and given back as one image, as Keras takes it."""
    x = as_input(x, np.dtype(layer.dtype), layer.name)
    if x.ndim == 3:
        out = run(F.reshape(x, (1, *x.shape)))
        return F.reshape(out, out.shape[1:])
    layer.compute_output_shape(x.shape[1:])
    return run(x)


class _CropLayer(Layer):
    """What CenterCrop and RandomCrop share: the target size, Keras's output shape."""

    height: int
    width: int

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _, _, channels = _image_shape(input_shape, f"{type(self).__name__} layer {self.name!r}", sizes=False)
        return self.height, self.width, channels

    def _center(self, x: Tensor) -> Tensor:
        """The centre window, or Keras's undistorted resize where the images are smaller than the target."""
        h, w = x.shape[1], x.shape[2]
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            return F.getitem(x, (slice(None), slice(top, top + self.height), slice(left, left + self.width)))
        return resize(x, (self.height, self.width), crop_to_aspect_ratio=True)


class CenterCrop(_CropLayer):
    """The centre ``height`` × ``width`` window of every image, Keras's ``layers.CenterCrop``, in training and
    inference alike; an image smaller than the target (along either axis) is resized without distortion instead:
    its largest centred window of the target's aspect ratio, resized (bilinear) to ``height`` × ``width``. It takes
    a batch (batch, H, W, C) or one image (H, W, C); channels_first images are refused.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.CenterCrop(2, 3)
    >>> layer(np.ones((4, 5, 6, 3))).shape, layer(np.ones((1, 1, 3))).shape
    ((4, 2, 3, 3), (2, 3, 3))
    """

    def __init__(self, height: int, width: int, data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        self.height, self.width = _target(height, width, "CenterCrop")
        _channels_last(data_format, "CenterCrop")
        _reject_unknown_kwargs("CenterCrop", kwargs, allow=("input_shape",))
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any) -> Tensor:
        return _batched(self, x, self._center)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomCrop(_CropLayer, _RandomImageLayer):
    """A ``height`` × ``width`` window cropped at a random place in training, Keras's ``layers.RandomCrop``: one
    place for the whole batch, drawn from the layer's stream (seeded as the other augmentation layers). Images not
    larger than the target along both axes are not cropped at random: Keras's window starting where the largest
    centred window of the target's aspect ratio starts, resized (bilinear) when it falls short of the target.

    In inference (``predict``, ``evaluate``) it gives what Keras documents: the largest centred window of the
    target's aspect ratio, resized to ``height`` × ``width``, so the output's shape is the same as in training
    (Keras 3.15 gives the images unchanged there, a known Keras bug).

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.RandomCrop(2, 2, seed=0)
    >>> layer(np.ones((3, 5, 5, 1))).shape, layer(np.ones((3, 5, 5, 1)), training=False).shape
    ((3, 2, 2, 1), (3, 2, 2, 1))
    """

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self.height, self.width = _target(height, width, "RandomCrop")
        _RandomImageLayer.__init__(self, seed, data_format, name, kwargs)

    def forward(self, x: Any) -> Tensor:
        def run(images: Tensor) -> Tensor:
            return self.transform_images(images, self.get_random_transformation(images, self.training),
                                         self.training)

        return _batched(self, x, run)

    def get_random_transformation(self, images: Any, training: bool = True) -> tuple[int, int]:  # type: ignore[override]
        """Keras's transformation: the (row, column) where the crop starts; drawn from the layer's stream in
        ``training`` when the images are larger than the target along both axes.

        >>> RandomCrop(2, 2, seed=0).get_random_transformation(np.zeros((1, 2, 4, 1)))
        (0, 1)
        """
        shape = tuple(images.shape if hasattr(images, "shape") else np.shape(images))
        self.compute_output_shape(shape[1:])
        height, width = int(shape[1]), int(shape[2])
        if training and height > self.height and width > self.width:
            generator = self._generator()
            return int(generator.integers(0, height - self.height + 1)), int(generator.integers(0, width - self.width
                                                                                                + 1))
        return _aspect_window(height, width, (self.height, self.width))

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Tensor:
        """``images`` cropped at ``transformation`` (row, column), as Keras crops them in training (resized when
        the window falls short of the target); in inference Keras's documented centred resize.

        >>> RandomCrop(1, 2).transform_images(np.arange(8.0).reshape(1, 2, 4, 1), (1, 2)).numpy().ravel().tolist()
        [6.0, 7.0]
        """
        x = as_input(images, np.dtype(self.dtype), self.name)
        if not training:
            return resize(x, (self.height, self.width), crop_to_aspect_ratio=True)
        top, left = (int(v) for v in np.asarray(backend.to_numpy(transformation)).ravel()[:2])
        out = F.getitem(x, (slice(None), slice(top, top + self.height), slice(left, left + self.width)))
        if out.shape[1:3] != (self.height, self.width):
            out = resize(out, (self.height, self.width))
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomBrightness(_RandomImageLayer):
    """Brightness changed at random in training, Keras's ``layers.RandomBrightness``: each image gets one amount
    δ·(high − low) added to every pixel, δ drawn from ``factor`` ((−f, f) for one number f, or a pair (lower,
    upper), each in [−1, 1]), and is clipped to ``value_range`` = (low, high). In inference the images pass as
    they are.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.RandomBrightness(0.2, value_range=(0, 1), dtype="float64")
    >>> layer.transform_images(np.full((2, 1, 1, 1), 0.5), {"rgb_delta": np.array([0.1, 0.6])}).numpy().ravel()
    array([0.6, 1. ])
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        self.factor = _factor(factor, "factor", "RandomBrightness", (-1.0, 1.0),
                              "0.2 moves the brightness by up to 20% of value_range either way")
        self.value_range = _value_range(value_range, "RandomBrightness")
        super().__init__(seed, kwargs.pop("data_format", None), name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        low, high = self.value_range
        return {"rgb_delta": generator.uniform(*self.factor, (n, 1, 1, 1)) * (high - low)}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        delta = _per_image(transformation["rgb_delta"], x.shape[0]).reshape(-1, 1, 1, 1)
        return F.clip(F.add(x, Tensor(backend.to_device(delta.astype(x.dtype)))), *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor), "value_range": list(self.value_range)}


CROP: dict[str, type[Layer]] = {"CenterCrop": CenterCrop, "RandomCrop": RandomCrop,
                                "RandomBrightness": RandomBrightness}
LAYERS.update(CROP)  # the classes a model file may name

__all__ = list(CROP)
