"""Adaptive poolings: Keras's ``AdaptiveAveragePooling1D/2D/3D`` and ``AdaptiveMaxPooling1D/2D/3D``, which pool
sequences, images or volumes of any size to a fixed ``output_size`` — a ResNet's head before its Dense layer,
whatever the pictures' size.

Along an axis of ``L`` values pooled to ``n``, output ``i`` is the mean (or the largest) of the values
``floor(i·L/n) … ceil((i+1)·L/n) − 1``, PyTorch's and Keras's windows: neighbouring windows may share a value and
``n`` may exceed ``L``. A box's mean is the mean along each axis in turn, and so is its largest value, so an
N-D adaptive pool is N 1-D ones, each written with fnlearn's differentiable slices and reductions: the gradients
are the autodiff's, checked like every op's.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.AdaptiveAveragePooling1D(2)(np.arange(5.0).reshape(1, 5, 1)).numpy().ravel().tolist()
    [1.0, 3.0]
    >>> fl.layers.AdaptiveMaxPooling2D(1)(np.arange(12.0).reshape(1, 3, 4, 1)).shape
    (1, 1, 1, 1)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from .conv import _channels_last
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input

_AXES = {1: "steps", 2: "height, width", 3: "depth, height, width"}


def adaptive_windows(size: int, count: int) -> list[tuple[int, int]]:
    """The ``count`` windows ``(start, stop)`` that pool ``size`` values to ``count``.

    >>> adaptive_windows(5, 3)
    [(0, 2), (1, 4), (3, 5)]
    """
    return [(i * size // count, -(-(i + 1) * size // count)) for i in range(count)]


def output_sizes(value: Any, dims: int, owner: str) -> tuple[int, ...]:
    """``output_size`` as ``dims`` sizes ≥ 1 (one integer stands for all of them), or one sentence saying what is
    wrong."""
    sizes = (value,) * dims if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if (not isinstance(sizes, (tuple, list)) or len(sizes) != dims
            or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in sizes)):
        example = "4" if dims == 1 else f"{(4,) * dims}"
        raise ConfigError(f"{owner} got output_size={value!r}; it takes a positive integer or {dims} of them "
                          f"({_AXES[dims]}), e.g. output_size={example}.")
    return tuple(int(s) for s in sizes)


def adaptive_pool(x: Tensor, output_size: tuple[int, ...], largest: bool) -> Tensor:
    """Channels-last ``x`` (batch, *sizes, channels) pooled to (batch, *output_size, channels): the largest value
    or the mean of each adaptive window.

    >>> import fnlearn as fl, numpy as np
    >>> adaptive_pool(fl.tensor(np.arange(6.0).reshape(1, 2, 3, 1)), (1, 2), largest=True).numpy().ravel().tolist()
    [4.0, 5.0]
    """
    reduce = F.max if largest else F.mean
    for axis, count in enumerate(output_size, start=1):
        if x.shape[axis] == count:
            continue  # windows of one value each: the axis as it is
        index: list[Any] = [slice(None)] * x.ndim
        pieces = []
        for start, stop in adaptive_windows(x.shape[axis], count):
            index[axis] = slice(start, stop)
            pieces.append(reduce(x[tuple(index)], axis=axis, keepdims=True))
        x = F.concatenate(pieces, axis=axis)
    return x


class _AdaptivePooling(Layer):
    """Pools every sample to ``output_size`` (no weights); the subclasses set the number of axes and the reduction."""

    _dims = 2
    _largest = False

    def __init__(self, output_size: Any, data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        owner = type(self).__name__
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        _channels_last(data_format, owner)
        self.output_size = output_sizes(output_size, self._dims, owner)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        shape = tuple(input_shape)
        if len(shape) != self._dims + 1:
            raise ShapeError(f"{type(self).__name__} layer {self.name!r} takes samples of shape ({_AXES[self._dims]}, "
                             f"channels), but got samples of shape {shape}; give it {self._dims + 2}-D batches, "
                             "channels last.")
        return (*self.output_size, shape[-1])

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return adaptive_pool(x, self.output_size, self._largest)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "output_size": list(self.output_size), "data_format": "channels_last"}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """The mean of each of ``output_size`` windows of a sequence, Keras's ``layers.AdaptiveAveragePooling1D``:
    (batch, steps, channels) → (batch, output_size, channels), whatever the number of steps.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.AdaptiveAveragePooling1D(3)(np.arange(5.0).reshape(1, 5, 1)).numpy().ravel().tolist()
    [0.5, 2.0, 3.5]
    """

    _dims = 1


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """The largest value of each of ``output_size`` windows of a sequence, Keras's ``layers.AdaptiveMaxPooling1D``."""

    _dims, _largest = 1, True


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """The mean of each of ``output_size`` (rows, columns) windows of an image, Keras's
    ``layers.AdaptiveAveragePooling2D``: (batch, height, width, channels) → (batch, *output_size, channels).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.AdaptiveAveragePooling2D((1, 2))(np.arange(8.0).reshape(1, 2, 4, 1)).numpy().ravel().tolist()
    [2.5, 4.5]
    """


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """The largest value of each of ``output_size`` windows of an image, Keras's ``layers.AdaptiveMaxPooling2D``."""

    _largest = True


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """The mean of each of ``output_size`` windows of a volume, Keras's ``layers.AdaptiveAveragePooling3D``:
    (batch, depth, height, width, channels) → (batch, *output_size, channels)."""

    _dims = 3


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """The largest value of each of ``output_size`` windows of a volume, Keras's ``layers.AdaptiveMaxPooling3D``."""

    _dims, _largest = 3, True


ADAPTIVE: dict[str, type[Layer]] = {cls.__name__: cls for cls in (
    AdaptiveAveragePooling1D, AdaptiveMaxPooling1D, AdaptiveAveragePooling2D, AdaptiveMaxPooling2D,
    AdaptiveAveragePooling3D, AdaptiveMaxPooling3D)}
LAYERS.update(ADAPTIVE)  # the classes a model file may name
