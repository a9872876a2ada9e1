"""The 1-D forms of the transposed, depthwise and separable convolutions, Keras's ``Conv1DTranspose``,
``DepthwiseConv1D`` and ``SeparableConv1D``, and Keras's other names for convolution layers (``Convolution2D``,
``Convolution1DTranspose``, ``SeparableConvolution1D``).

Each is its 2-D layer run on sequences (batch, steps, channels) as images one pixel high, (batch, 1, steps,
channels), with kernels one row high: the same ops, gradients and scratch arrays. The weights keep Keras's 1-D
shapes (``kernel`` (kernel_size, filters, in_channels) for Conv1DTranspose; ``depthwise_kernel`` (kernel_size,
channels, depth_multiplier) and ``pointwise_kernel`` (1, channels·depth_multiplier, filters)), so weights copied
from a Keras model give its outputs; each call views them with a leading axis of 1.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> up = fl.layers.Conv1DTranspose(4, 3, strides=2, padding="same")
    >>> up(np.ones((2, 5, 3))).shape, up.kernel.shape
    ((2, 10, 4), (3, 4, 3))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import initializers, regularizers
from .conv import Conv2D, Workspace, _check_dilated_strides, _conv2d
from .depthwise import DepthwiseConv2D, SeparableConv2D, _depthwise_conv2d
from .layers import LAYERS, Layer, known_features
from .text import _length, _one_row, _out_steps, _rows_back, _sequence_padding, _steps
from .transpose import Conv2DTranspose, _axis_plan, _conv2d_transpose


def _sequences_only(data_format: Any, owner: str) -> None:
    if data_format not in (None, "channels_last"):
        raise ConfigError(f"{owner} got data_format={data_format!r}; fnlearn's {owner} takes sequences of shape "
                          "(batch, steps, channels) only: leave data_format out and move the channels last "
                          "(np.moveaxis(x, 1, -1)).")


def _step_padding(value: Any, strides: int, owner: str) -> int | None:
    """None, or a whole number ≥ 0 below ``strides`` (an int or a tuple of one), as Keras takes output_padding."""
    if value is None:
        return None
    one = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if isinstance(one, bool) or not isinstance(one, (int, np.integer)) or not 0 <= one < strides:
        raise ConfigError(f"{owner} output_padding must be None or a whole number ≥ 0 smaller than the strides "
                          f"({strides}), got output_padding={value!r}; leave it out for Keras's lengths, or use a "
                          "smaller value.")
    return int(one)


# ----------------------------------------------------------------------------- the transposed convolution


class Conv1DTranspose(Conv2DTranspose):
    """A transposed 1-D convolution, Keras's ``layers.Conv1DTranspose`` (also ``Convolution1DTranspose``): the
    upsampling step of a sequence decoder, ``activation(conv1d_transpose(x, kernel) + bias)`` on sequences (batch,
    steps, channels). Lengths are Keras's: "valid" gives (n − 1)·s + max(k, s) steps, "same" n·s;
    ``output_padding`` p (below the strides) makes them (n − 1)·s + k + p ("valid") or (n − 1)·s + k mod 2 + p
    ("same"), with k the dilated kernel's span (k − 1)·dilation_rate + 1. The kernel has Keras's shape
    (kernel_size, filters, in_channels). A dilation takes strides of 1, as Keras's; channels_first sequences are
    refused.

    >>> import fnlearn as fl
    >>> layer = fl.layers.Conv1DTranspose(8, 4, strides=3, input_shape=(10, 2))
    >>> layer.compute_output_shape((10, 2)), fl.Sequential([layer]).layers[0].kernel.shape
    ((31, 8), (4, 8, 2))
    """

    sample_rank = 2  # (steps, channels)

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        owner = "Conv1DTranspose"
        self._take_settings(owner, filters, activation, use_bias, kernel_initializer, bias_initializer,
                            kernel_regularizer, bias_regularizer, kwargs)
        _sequences_only(data_format, owner)
        self.dilation_rate = _length(dilation_rate, owner, "dilation_rate")
        self.kernel_size = _length(kernel_size, owner, "kernel_size")
        self.strides = _length(strides, owner, "strides")
        _check_dilated_strides(self.strides, self.dilation_rate, (strides, dilation_rate), owner)
        self.padding = _sequence_padding(padding, owner)
        self.output_padding = _step_padding(output_padding, self.strides, owner)
        self._start(name, kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        steps, _ = _steps(input_shape, self._who())
        if steps is None:
            return None, self.filters
        out, _ = _axis_plan(steps, self._reach, self.strides, self.padding, self.output_padding)
        if out < 1:
            raise ShapeError(f"{self._who()} turns sequences of {steps} steps into {out} with its kernel of "
                             f"{self.kernel_size}, strides {self.strides} and output_padding {self.output_padding}; "
                             "give a larger output_padding or leave it out.")
        return out, self.filters

    def kernel_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return self.kernel_size, self.filters, known_features(input_shape, self._who())

    @property
    def _reach(self) -> int:
        """The span of the kernel, its taps ``dilation_rate`` apart."""
        return (self.kernel_size - 1) * self.dilation_rate + 1

    def _spread_kernel(self) -> Tensor:
        """The kernel as the transposed convolution applies it, (1, reach, filters, channels): with a dilation d,
        d − 1 zero taps between each two of its taps (Keras's dilated transposed convolution), so the gradient
        reaches the taps alone."""
        kernel, rate = self.kernel, self.dilation_rate
        if rate > 1:
            gaps = Tensor(backend.xp().zeros((kernel.shape[0], rate - 1, *kernel.shape[1:]), dtype=kernel.dtype))
            spread = F.concatenate([F.expand_dims(kernel, 1), gaps], axis=1)
            kernel = F.getitem(F.reshape(spread, (-1, *kernel.shape[1:])), slice(0, self._reach))
        return F.reshape(kernel, (1, *kernel.shape))

    @property
    def input_features(self) -> int | None:
        """The input channels the built kernel takes (None before it is built)."""
        return None if self.kernel is None else int(self.kernel.shape[2])

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x, "sequences")
        extra = None if self.output_padding is None else (0, self.output_padding)
        out = _conv2d_transpose(_one_row(x), self._spread_kernel(), self.bias,
                                (1, self.strides), self.padding, extra, self._workspace)
        return self.activation(_rows_back(out))

    def get_config(self) -> dict[str, Any]:
        return {**super(Conv2DTranspose, self).get_config(), "dilation_rate": [self.dilation_rate],
                "output_padding": None if self.output_padding is None else [self.output_padding]}


# ----------------------------------------------------------------------------- depthwise and separable


class _Depthwise1D:
    """What DepthwiseConv1D and SeparableConv1D add to their 2-D layers: 1-D settings held as pairs (1, n), the
    weights in Keras's 1-D shapes, shapes of sequences, and each call on one-pixel-high images."""

    sample_rank = 2  # (steps, channels)

    def _sequence_settings(self, owner: str, kernel_size: Any, strides: Any, padding: Any, data_format: Any,
                           dilation_rate: Any) -> tuple[tuple[int, int], tuple[int, int], str, tuple[int, int]]:
        """Every 1-D setting checked in Keras's sequence terms before the 2-D layer takes them as pairs."""
        _sequences_only(data_format, owner)
        size = _length(kernel_size, owner, "kernel_size")
        step = _length(strides, owner, "strides")
        rate = _length(dilation_rate, owner, "dilation_rate")
        return (1, size), (1, step), _sequence_padding(padding, owner), (1, rate)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        who = self._who()
        steps, _ = _steps(input_shape, who)
        size, rate = self.kernel_size[1], self.dilation_rate[1]
        what = "kernel" if rate == 1 else f"dilated kernel ({size} taps {rate} apart)"
        out = _out_steps(steps, (size - 1) * rate + 1, self.strides[1], self.padding, who, what)
        return out, self.out_channels(known_features(input_shape, who))

    def weight_shapes(self, input_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        """Each weight's shape for samples of ``input_shape``, by name: the 2-D layer's without its first axis."""
        shapes = super().weight_shapes((1, *tuple(input_shape)))  # type: ignore[misc]
        return {name: shape if name == "bias" else shape[1:] for name, shape in shapes.items()}

    @property
    def input_features(self) -> int | None:
        """The input channels the built kernel takes (None before it is built)."""
        kernel = self.depthwise_kernel
        return None if kernel is None else int(kernel.shape[1])

    def _spread(self, x: Tensor, bias: Tensor | None) -> Tensor:
        """The depthwise step on ``x``'s one-row images."""
        kernel = F.reshape(self.depthwise_kernel, (1, *self.depthwise_kernel.shape))
        return _depthwise_conv2d(_one_row(x), kernel, bias, self.strides, self.padding, self._workspace,
                                 self.dilation_rate)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()  # type: ignore[misc]
        for key in ("kernel_size", "strides", "dilation_rate"):
            config[key] = [config[key][1]]
        return config


class DepthwiseConv1D(_Depthwise1D, DepthwiseConv2D):
    """A depthwise 1-D convolution, Keras's ``layers.DepthwiseConv1D``: each channel of sequences (batch, steps,
    channels) convolved with its own ``depth_multiplier`` kernels of ``kernel_size`` steps, then the bias and
    ``activation``: channels × depth_multiplier output channels, channel c's m-th kernel at c·depth_multiplier + m.
    ``depthwise_kernel`` has Keras's shape (kernel_size, channels, depth_multiplier) (Keras calls it ``kernel``);
    ``dilation_rate`` with any strides, as Keras's; channels_first sequences are refused.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same")
    >>> layer(np.ones((1, 6, 4))).shape, layer.depthwise_kernel.shape, layer.bias.shape
    ((1, 6, 8), (3, 4, 2), (8,))
    """

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid", depth_multiplier: int = 1,
                 data_format: str | None = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None, name: str | None = None,
                 **kwargs: Any) -> None:
        window, steps, padding, rates = self._sequence_settings("DepthwiseConv1D", kernel_size, strides, padding,
                                                                data_format, dilation_rate)
        self._take("DepthwiseConv1D", window, steps, padding, depth_multiplier, None, rates, activation, use_bias,
                   depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer, name, kwargs)
        if self.input_shape is not None:
            self.build(self.input_shape)

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x)
        return self.activation(_rows_back(self._spread(x, self.bias)))


class SeparableConv1D(_Depthwise1D, SeparableConv2D):
    """A depthwise-separable 1-D convolution, Keras's ``layers.SeparableConv1D`` (also ``SeparableConvolution1D``):
    the depthwise step (each channel with its own ``depth_multiplier`` kernels of ``kernel_size`` steps), then a
    pointwise step mixing the channels into ``filters``, then the bias and ``activation``. Its weights are Keras's:
    ``depthwise_kernel`` (kernel_size, channels, depth_multiplier), ``pointwise_kernel`` (1,
    channels·depth_multiplier, filters), ``bias`` (filters,).

    >>> import fnlearn as fl
    >>> layer = fl.layers.SeparableConv1D(16, 5, padding="same", input_shape=(50, 8))
    >>> layer.compute_output_shape((50, 8)), layer.count_params()  # 5·8 + 8·16 + 16
    ((50, 16), 184)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        window, steps, padding, rates = self._sequence_settings("SeparableConv1D", kernel_size, strides, padding,
                                                                data_format, dilation_rate)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ConfigError(f"SeparableConv1D filters must be a positive integer (the number of output channels), "
                              f"got {filters!r}.")
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self._take("SeparableConv1D", window, steps, padding, depth_multiplier, None, rates, activation, use_bias,
                   depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer, name, kwargs)
        self.pointwise_kernel: Parameter | None = None
        self._pointwise_space = Workspace()
        if self.input_shape is not None:
            self.build(self.input_shape)

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x)
        pointwise = F.reshape(self.pointwise_kernel, (1, *self.pointwise_kernel.shape))
        relu = self.activation is F.relu
        out = _rows_back(_conv2d(self._spread(x, None), pointwise, self.bias, 1, "valid", relu,
                                 self._pointwise_space))
        return out if relu else self.activation(out)


CONV_MORE: dict[str, type[Layer]] = {"Conv1DTranspose": Conv1DTranspose, "DepthwiseConv1D": DepthwiseConv1D,
                                     "SeparableConv1D": SeparableConv1D}
LAYERS.update(CONV_MORE)  # the classes a model file may name

# Keras's other names for the same classes
Convolution2D = Conv2D
Convolution1DTranspose = Conv1DTranspose
SeparableConvolution1D = SeparableConv1D

__all__ = [*CONV_MORE, "Convolution2D", "Convolution1DTranspose", "SeparableConvolution1D"]
