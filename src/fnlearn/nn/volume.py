"""Layers for volumes — a CT scan's slices, a video's frames — shaped (batch, depth, height, width, channels): Keras's
``Conv3D``, ``MaxPooling3D``, ``AveragePooling3D``, ``GlobalAveragePooling3D`` and ``GlobalMaxPooling3D``, as its
"3D image classification from CT scans" example stacks them, and ``ZeroPadding3D``, ``Cropping3D``,
``UpSampling3D``.

A 3-D convolution is a sum of 2-D ones: the kernel's slice ``i`` (kh, kw, C, filters) convolves, with fnlearn's 2-D
convolution, the volume's depth slices ``i, i + s, i + 2s, …`` (s the depth stride), all of them in one call as a
batch of images, and the kd results add up. A 3-D pool is a 2-D pool of every depth slice, then the largest value
(or the mean) over each depth window. Both are written with fnlearn's differentiable ops, so their gradients are
the autodiff's, checked like every op's.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> conv = fl.layers.Conv3D(4, 3, activation="relu", input_shape=(8, 16, 16, 1))
    >>> conv.kernel.shape, conv.compute_output_shape((8, 16, 16, 1))
    ((3, 3, 3, 1, 4), (6, 14, 14, 4))
    >>> fl.layers.MaxPooling3D(2)(np.arange(16.0).reshape(1, 2, 2, 4, 1)).numpy().ravel().tolist()
    [13.0, 15.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from .conv import (
    _axis_plan,
    _channels_last,
    _check_dilated_strides,
    _Convolution,
    _GlobalPooling2D,
    _padding,
    _Pooling2D,
    conv2d,
)
from .conv import avg_pool2d as _avg_pool2d
from .conv import max_pool2d as _max_pool2d
from .image import _sides
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input, known_features
from .transpose import Conv2DTranspose, _output_padding, conv2d_transpose
from .transpose import _axis_plan as _transposed_axis

Triple = tuple[int, int, int]


def _triple(value: Any, what: str, owner: str, example: str = "(3, 3, 3)") -> Triple:
    """An int or three ints, each ≥ 1, as three (Keras takes ``3`` for ``(3, 3, 3)``)."""
    items = (value,) * 3 if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != 3 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in items):
        raise ConfigError(f"{owner} {what} must be a positive integer or three of them such as {example}, "
                          f"got {value!r}.")
    return int(items[0]), int(items[1]), int(items[2])


def _volume_shape(shape: Any, who: str, sizes: bool = True) -> tuple[Any, ...]:
    """One sample's shape as (depth, height, width, channels), or one ShapeError sentence; with ``sizes``, the depth,
    height and width must be known."""
    shape = tuple(shape)
    if len(shape) != 4:
        hint = " (one channel needs its axis: x[..., None])" if len(shape) == 3 else ""
        raise ShapeError(f"{who} takes volumes of shape (batch, depth, height, width, channels), but was given "
                         f"samples of shape {shape}{hint}; give it 5-D data or Reshape before it.")
    if sizes and any(s is None for s in shape[:3]):
        raise ShapeError(f"{who} takes volumes of a known size, but got samples of shape {shape}; give "
                         "Input(shape=(depth, height, width, channels)) with every size.")
    return tuple(None if s is None else int(s) for s in shape)


def _output_sizes(sizes: tuple[int, ...], window: Triple, strides: Triple, padding: str, who: str,
                  what: str) -> tuple[int, int, int]:
    if padding == "valid" and any(size < reach for size, reach in zip(sizes, window)):
        raise ShapeError(f"{who} has a {'×'.join(map(str, window))} {what}, larger than its input of "
                         f"{'×'.join(map(str, sizes))} with padding='valid'; use padding='same', a smaller window, or "
                         "fewer pooling layers before it.")
    return tuple(_axis_plan(size, reach, step, padding)[0]  # type: ignore[return-value]
                 for size, reach, step in zip(sizes, window, strides))


def conv3d(x: Tensor, kernel: Tensor, bias: Tensor | None = None, strides: Any = 1, padding: str = "valid",
           dilation_rate: Any = 1) -> Tensor:
    """The 3-D convolution of channels-last volumes ``x`` (N, D, H, W, C) with ``kernel`` (kd, kh, kw, C, filters),
    as Keras's ``Conv3D`` computes it, plus ``bias`` (filters,).

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor(np.arange(27.0).reshape(1, 3, 3, 3, 1))
    >>> conv3d(x, fl.tensor(np.ones((2, 2, 2, 1, 1)))).numpy().ravel().tolist()
    [52.0, 60.0, 76.0, 84.0, 124.0, 132.0, 148.0, 156.0]
    """
    steps, rates = _triple(strides, "strides", "conv3d"), _triple(dilation_rate, "dilation_rate", "conv3d")
    padding = _padding(padding, "conv3d")
    n, depth, height, width, channels = x.shape
    kd = kernel.shape[0]
    out_depth, before, after = _axis_plan(depth, (kd - 1) * rates[0] + 1, steps[0], padding)
    if before or after:
        x = F.pad(x, ((0, 0), (before, after), (0, 0), (0, 0), (0, 0)))
    total = None
    for i in range(kd):
        start = i * rates[0]
        slices = x[:, start:start + steps[0] * (out_depth - 1) + 1:steps[0]]
        images = F.reshape(slices, (n * out_depth, height, width, channels))
        part = conv2d(images, kernel[i], None, steps[1:], padding, rates[1:])
        total = part if total is None else total + part
    out = F.reshape(total, (n, out_depth, *total.shape[1:]))
    return out if bias is None else out + bias


def conv3d_transpose(x: Tensor, kernel: Tensor, bias: Tensor | None = None, strides: Any = 1,
                     padding: str = "valid", output_padding: Any = None) -> Tensor:
    """The transposed 3-D convolution of channels-last volumes ``x`` (N, D, H, W, C) with ``kernel``
    (kd, kh, kw, filters, C), plus ``bias`` (filters,), as Keras's ``Conv3DTranspose`` computes it: the kernel's
    slice ``i`` spreads every depth slice over the images of :func:`~fnlearn.nn.transpose.conv2d_transpose`, which
    land ``strides`` apart in depth from slice ``i`` on and add up; Keras's sizes and cropping on every axis.

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor(np.array([1.0, 2.0]).reshape(1, 2, 1, 1, 1))
    >>> conv3d_transpose(x, fl.tensor(np.ones((2, 1, 1, 1, 1)))).numpy().ravel().tolist()
    [1.0, 3.0, 2.0]
    """
    steps, padding = _triple(strides, "strides", "conv3d_transpose"), _padding(padding, "conv3d_transpose")
    extra = _output_padding(output_padding, steps, "conv3d_transpose") or (None, None, None)
    if x.ndim != 5 or kernel.ndim != 5 or kernel.shape[4] != x.shape[4]:
        raise ShapeError(f"conv3d_transpose takes volumes (N, D, H, W, C) and a kernel (kd, kh, kw, filters, C) of "
                         f"their channels, got volumes of shape {tuple(x.shape)} and a kernel of shape "
                         f"{tuple(kernel.shape)}.")
    n, depth, height, width, channels = x.shape
    kd = kernel.shape[0]
    out_depth, cut = _transposed_axis(depth, kd, steps[0], padding, extra[0])
    images = F.reshape(x, (n * depth, height, width, channels))
    length = max(depth * steps[0] + kd - 1, cut + out_depth)
    total = None
    for i in range(kd):
        part = conv2d_transpose(images, kernel[i], None, steps[1:], padding,
                                None if extra[1] is None else extra[1:])
        part = F.reshape(part, (n, depth, 1, *part.shape[1:]))
        if steps[0] > 1:  # depth slice j lands at i + j·s: s − 1 zero slices after each
            part = F.pad(part, ((0, 0), (0, 0), (0, steps[0] - 1), (0, 0), (0, 0), (0, 0)))
        part = F.reshape(part, (n, depth * steps[0], *part.shape[3:]))
        part = F.pad(part, ((0, 0), (i, length - i - depth * steps[0]), (0, 0), (0, 0), (0, 0)))
        total = part if total is None else total + part
    out = total[:, cut:cut + out_depth]
    return out if bias is None else out + bias


def _pool3d(x: Tensor, pool: Triple, strides: Triple, padding: str, largest: bool) -> Tensor:
    """A 2-D pool of every depth slice, then the largest value or the mean over each depth window (with
    padding='same', of the slices inside the volume, as Keras leaves the padding out of both)."""
    n, depth, height, width, channels = x.shape
    flat = F.reshape(x, (n * depth, height, width, channels))
    pooled = (_max_pool2d if largest else _avg_pool2d)(flat, pool[1:], strides[1:], padding)
    pooled = F.reshape(pooled, (n, depth, *pooled.shape[1:]))
    out_depth, before, _ = _axis_plan(depth, pool[0], strides[0], padding)
    windows = []
    for o in range(out_depth):
        start = o * strides[0] - before
        window = pooled[:, max(start, 0):min(start + pool[0], depth)]
        windows.append(F.max(window, axis=1) if largest else F.mean(window, axis=1))
    return F.stack(windows, axis=1)


class Conv3D(_Convolution):
    """A 3-D convolution layer, Keras's ``layers.Conv3D``: ``activation(conv3d(x, kernel) + bias)`` on channels-last
    volumes (batch, depth, height, width, channels); the kernel in Keras's layout (kd, kh, kw, in_channels, filters)
    with Keras's Glorot-uniform default; ``strides``, ``padding`` ("valid" or "same") and ``dilation_rate`` (with
    strides of 1) as Keras's.

    >>> import fnlearn as fl
    >>> fl.layers.Conv3D(8, (3, 3, 3), padding="same", strides=2).compute_output_shape((9, 16, 16, 1))
    (5, 8, 8, 8)
    """

    sample_rank = 4

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1), padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = (1, 1, 1), groups: int = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self._take_settings("Conv3D", filters, activation, use_bias, kernel_initializer, bias_initializer,
                            kernel_regularizer, bias_regularizer, kwargs)
        _channels_last(data_format, "Conv3D")
        if groups != 1:
            raise ConfigError(f"Conv3D got groups={groups!r}; fnlearn's Conv3D has groups=1 only (every filter sees "
                              "every input channel): leave it out.")
        self.kernel_size = _triple(kernel_size, "kernel_size", "Conv3D")
        self.strides = _triple(strides, "strides", "Conv3D")
        self.dilation_rate = _triple(dilation_rate, "dilation_rate", "Conv3D", "(2, 2, 2)")
        _check_dilated_strides(self.strides, self.dilation_rate, (strides, dilation_rate), "Conv3D")
        self.padding = _padding(padding, "Conv3D")
        self._start(name, kwargs)
        if self.input_shape is not None:
            self.build(self.input_shape)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        *sizes, _ = _volume_shape(input_shape, self._who())
        reach = tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate))
        return (*_output_sizes(tuple(sizes), reach, self.strides, self.padding, self._who(), "kernel"),  # type: ignore
                self.filters)

    def kernel_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*self.kernel_size, known_features(input_shape, self._who()), self.filters)

    @property
    def input_features(self) -> int | None:
        """The input channels the built kernel takes (None before it is built)."""
        return None if self.kernel is None else int(self.kernel.shape[3])

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x, "volumes")
        return self.activation(conv3d(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "dilation_rate": list(self.dilation_rate)}


class Conv3DTranspose(Conv2DTranspose):
    """A transposed 3-D convolution layer, Keras's ``layers.Conv3DTranspose``: ``activation(conv3d_transpose(x,
    kernel) + bias)`` on channels-last volumes, the upsampling step of a 3-D decoder (a U-Net's second half). The
    kernel in Keras's layout (kd, kh, kw, filters, in_channels) with Keras's Glorot-uniform default; ``strides``,
    ``padding`` and ``output_padding`` (each below its stride) as Keras's, so Keras's output sizes. Dilation is
    refused, as for ``Conv2DTranspose``.

    >>> import fnlearn as fl
    >>> fl.layers.Conv3DTranspose(8, 3, strides=2, padding="same").compute_output_shape((4, 8, 8, 16))
    (8, 16, 16, 8)
    """

    sample_rank = 4

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1), padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = (1, 1, 1),
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        owner = "Conv3DTranspose"
        self._take_settings(owner, filters, activation, use_bias, kernel_initializer, bias_initializer,
                            kernel_regularizer, bias_regularizer, kwargs)
        _channels_last(data_format, owner)
        if _triple(dilation_rate, "dilation_rate", owner) != (1, 1, 1):
            raise ConfigError(f"{owner} got dilation_rate={dilation_rate!r}; fnlearn's {owner} has dilation_rate=1 "
                              "only: leave it out, or use a larger kernel_size.")
        self.kernel_size = _triple(kernel_size, "kernel_size", owner)
        self.strides = _triple(strides, "strides", owner)
        self.padding = _padding(padding, owner)
        self.output_padding = _output_padding(output_padding, self.strides, owner)
        self._start(name, kwargs)  # built by the model or the first call, as Conv2DTranspose

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        *sizes, _ = _volume_shape(input_shape, self._who())
        extra = self.output_padding or (None, None, None)
        out = tuple(_transposed_axis(size, k, step, self.padding, more)[0]
                    for size, k, step, more in zip(sizes, self.kernel_size, self.strides, extra))
        if min(out) < 1:
            raise ShapeError(f"{self._who()} turns volumes of {'×'.join(map(str, sizes))} into "
                             f"{'×'.join(map(str, out))} with its {self.kernel_size} kernel, strides {self.strides} "
                             f"and output_padding {self.output_padding}; give a larger output_padding or leave it "
                             "out.")
        return (*out, self.filters)

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x, "volumes")
        return self.activation(conv3d_transpose(x, self.kernel, self.bias, self.strides, self.padding,
                                                self.output_padding))


class _Pooling3D(_Pooling2D):
    """A window pooling layer over volumes (no weights): a 2-D pool's settings, three sizes each."""

    _largest = True
    _window = staticmethod(_triple)

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        who = f"{type(self).__name__} layer {self.name!r}"
        *sizes, channels = _volume_shape(input_shape, who)
        return (*_output_sizes(tuple(sizes), self.pool_size, self.strides, self.padding, who, "pool"), channels)

    def _pool(self, x: Tensor) -> Tensor:
        return _pool3d(x, self.pool_size, self.strides, self.padding, self._largest)


class MaxPooling3D(_Pooling3D):
    """The largest value of each window, Keras's ``layers.MaxPooling3D`` (2×2×2 windows by default, as far apart as
    they are wide)."""


class AveragePooling3D(_Pooling3D):
    """The mean of each window, Keras's ``layers.AveragePooling3D`` (with ``padding="same"`` a border window is the
    mean of its values inside the volume).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.AveragePooling3D(2)(np.arange(16.0).reshape(1, 2, 2, 4, 1)).numpy().ravel().tolist()
    [6.5, 8.5]
    """

    _largest = False


class _GlobalPooling3D(_GlobalPooling2D):
    """One value per channel over the whole volume (no weights)."""

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        *_, channels = _volume_shape(input_shape, f"{type(self).__name__} layer {self.name!r}", sizes=False)
        return (1, 1, 1, channels) if self.keepdims else (channels,)

    def _reduce(self, x: Tensor) -> Tensor:
        reduce = F.max if isinstance(self, GlobalMaxPooling3D) else F.mean
        return reduce(x, axis=(1, 2, 3), keepdims=self.keepdims)


class GlobalAveragePooling3D(_GlobalPooling3D):
    """The mean of each channel over the volume, Keras's ``layers.GlobalAveragePooling3D``: (N, D, H, W, C) →
    (N, C)."""


class GlobalMaxPooling3D(_GlobalPooling3D):
    """The largest value of each channel over the volume, Keras's ``layers.GlobalMaxPooling3D``."""


class _Reshaping3D(Layer):
    """A layer that pads, crops or enlarges volumes (no weights): its one setting checked, its shape rule."""

    _setting = ""

    def __init__(self, value: Any, data_format: str | None, name: str | None, kwargs: dict[str, Any]) -> None:
        owner = type(self).__name__
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        _channels_last(data_format, owner)
        setattr(self, self._setting, _triple(value, "size", owner, "(2, 2, 2)") if self._setting == "size"
                else _sides(value, self._setting, owner, axes=3))
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return self._reshape(x)

    def _reshape(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _sizes(self, input_shape: tuple[int, ...]) -> tuple[list[int], int]:
        *sizes, channels = _volume_shape(input_shape, f"{type(self).__name__} layer {self.name!r}")
        return sizes, channels

    def get_config(self) -> dict[str, Any]:
        value = getattr(self, self._setting)
        return {**super().get_config(), self._setting: [list(v) if isinstance(v, tuple) else v for v in value]}


class ZeroPadding3D(_Reshaping3D):
    """Zeros around each volume, Keras's ``layers.ZeroPadding3D``: ``padding`` an int for every side, three (depth,
    rows, columns) or three pairs.

    >>> import fnlearn as fl
    >>> fl.layers.ZeroPadding3D((1, 2, 0)).compute_output_shape((4, 5, 5, 3))
    (6, 9, 5, 3)
    """

    _setting = "padding"

    def __init__(self, padding: Any = (1, 1, 1), data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(padding, data_format, name, kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        sizes, channels = self._sizes(input_shape)
        return (*(size + sum(pair) for size, pair in zip(sizes, self.padding)), channels)

    def _reshape(self, x: Tensor) -> Tensor:
        return F.pad(x, ((0, 0), *self.padding, (0, 0)))


class Cropping3D(_Reshaping3D):
    """Slices cut off each volume's borders, Keras's ``layers.Cropping3D``: ``cropping`` an int for every side,
    three (depth, rows, columns) or three pairs.

    >>> import fnlearn as fl
    >>> fl.layers.Cropping3D(((1, 0), 2, 0)).compute_output_shape((4, 8, 8, 1))
    (3, 4, 8, 1)
    """

    _setting = "cropping"

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(cropping, data_format, name, kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        sizes, channels = self._sizes(input_shape)
        if any(sum(pair) >= size for size, pair in zip(sizes, self.cropping)):
            raise ShapeError(f"Cropping3D layer {self.name!r} would crop {self.cropping} off volumes of "
                             f"{'×'.join(map(str, sizes))}, leaving nothing along an axis; crop less.")
        return (*(size - sum(pair) for size, pair in zip(sizes, self.cropping)), channels)

    def _reshape(self, x: Tensor) -> Tensor:
        (d0, d1), (h0, h1), (w0, w1) = self.cropping
        _, depth, height, width, _ = x.shape
        return x[:, d0:depth - d1, h0:height - h1, w0:width - w1]


class UpSampling3D(_Reshaping3D):
    """Each volume made ``size`` times larger, every value repeated, Keras's ``layers.UpSampling3D``.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.UpSampling3D((2, 1, 1))(np.arange(2.0).reshape(1, 2, 1, 1, 1)).numpy().ravel().tolist()
    [0.0, 0.0, 1.0, 1.0]
    """

    _setting = "size"

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(size, data_format, name, kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        sizes, channels = self._sizes(input_shape)
        return (*(size * factor for size, factor in zip(sizes, self.size)), channels)

    def _reshape(self, x: Tensor) -> Tensor:
        n, depth, height, width, channels = x.shape
        grown = F.reshape(x, (n, depth, 1, height, 1, width, 1, channels))
        grown = F.broadcast_to(grown, (n, depth, self.size[0], height, self.size[1], width, self.size[2], channels))
        return F.reshape(grown, (n, depth * self.size[0], height * self.size[1], width * self.size[2], channels))


VOLUME: dict[str, type[Layer]] = {cls.__name__: cls for cls in (Conv3D, Conv3DTranspose, MaxPooling3D,
                                                               AveragePooling3D, GlobalAveragePooling3D,
                                                               GlobalMaxPooling3D, ZeroPadding3D, Cropping3D,
                                                               UpSampling3D)}
LAYERS.update(VOLUME)  # the classes a model file may name

# Keras's other names for the same classes; files name the long ones
Convolution3D = Conv3D
Convolution3DTranspose = Conv3DTranspose
MaxPool3D = MaxPooling3D
AvgPool3D = AveragePooling3D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool3D = GlobalMaxPooling3D
