"""Depthwise and separable convolutions, Keras's ``DepthwiseConv2D`` and ``SeparableConv2D``, with the differentiable
op :func:`depthwise_conv2d`.

A depthwise convolution slides one small kernel over each input channel on its own (``depth_multiplier`` kernels
per channel): no mixing across channels, so a 3×3 layer over C channels has 9·C weights where ``Conv2D`` would have
9·C·filters. A separable convolution follows it with a 1×1 ``Conv2D`` (the *pointwise* kernel) that mixes the
channels: the Xception-style block of Keras's "image classification from scratch" example and of MobileNet. The
kernels are stored as Keras stores them: ``depthwise_kernel`` (kh, kw, channels, depth_multiplier) and
``pointwise_kernel`` (1, 1, channels·depth_multiplier, filters); output channel ``c·depth_multiplier + m`` is
channel c's m-th kernel, as in Keras (and PyTorch's ``groups=channels``).

The op is one multiply-add per kernel offset over a strided view of the (padded) images, with no patch matrix; the
backward reads the same views for the kernel's gradient and adds each offset's share into the input's gradient.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> block = fl.layers.SeparableConv2D(16, 3, padding="same", activation="relu")
    >>> block(np.ones((2, 8, 8, 4))).shape, block.depthwise_kernel.shape, block.pointwise_kernel.shape
    ((2, 8, 8, 16), (3, 3, 4, 1), (1, 1, 4, 16))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import constraints, initializers, regularizers
from .conv import (
    Workspace,
    _channels_last,
    _check_fits,
    _check_images,
    _conv2d,
    _image_shape,
    _padded,
    _padding,
    _pair,
    _plan,
    _scratch,
    _unpadded,
    _window,
)
from .layers import LAYERS, Layer, _activation_name, _reject_unknown_kwargs, as_input, known_features

# ----------------------------------------------------------------------------- the op

_CHUNK_BYTES = 1 << 19  # the output of the images one pass of the taps works on (a core's cache holds it)


def _taps(kh: int, kw: int) -> list[tuple[int, int]]:
    """Every kernel tap (i, j) but the first, (0, 0), which starts each sum."""
    return [(i, j) for i in range(kh) for j in range(kw) if i or j]


def depthwise_conv2d(x: Tensor, kernel: Tensor, bias: Tensor | None = None, strides: Any = 1,
                     padding: str = "valid", dilation_rate: Any = 1) -> Tensor:
    """The depthwise 2-D convolution of channels-last images ``x`` (N, H, W, C) with ``kernel`` (kh, kw, C, M):
    each channel convolved with its own M kernels, giving C·M channels (channel c's m-th at c·M + m), plus ``bias``
    (C·M,), as Keras's ``DepthwiseConv2D`` computes it; ``dilation_rate`` d spaces the kernel's taps d pixels apart.

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor(np.arange(8.0).reshape(1, 2, 2, 2))
    >>> depthwise_conv2d(x, fl.tensor(np.ones((2, 2, 2, 1)))).numpy().ravel().tolist()
    [12.0, 16.0]
    """
    return _depthwise_conv2d(x, kernel, bias, strides, padding, dilation=dilation_rate)


def _depthwise_conv2d(x: Tensor, kernel: Tensor, bias: Tensor | None, strides: Any, padding: str,
                      workspace: Workspace | None = None, dilation: Any = (1, 1)) -> Tensor:
    """:func:`depthwise_conv2d`, its scratch arrays from ``workspace`` when given (a layer's own)."""
    xp = backend.xp()
    strides, padding = _pair(strides, "strides", "depthwise_conv2d"), _padding(padding, "depthwise_conv2d")
    dh, dw = _pair(dilation, "dilation_rate", "depthwise_conv2d", "(2, 2)")
    _check_images(x, "depthwise_conv2d")
    if kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ShapeError(f"depthwise_conv2d needs a kernel of shape (kh, kw, {x.shape[3]}, depth_multiplier) for "
                         f"images with {x.shape[3]} channels, got a kernel of shape {kernel.shape}.")
    kh, kw, channels, multiplier = kernel.shape
    reach = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)  # the span a window covers, its taps dilation apart
    _check_fits(x.shape[1:], reach, padding, "depthwise_conv2d", "kernel")
    n = x.shape[0]
    ho, wo, rows, cols = _plan(x.shape, reach, strides, padding)
    xd, kd = x.data, kernel.data
    source = _padded(xd, rows, cols)

    def tap(data: Any, i: int, j: int) -> Any:
        """The view of padded ``data`` that kernel tap (i, j) of every window reads (taps ``dilation`` apart)."""
        return _window(data, i * dh, j * dw, ho, wo, strides)

    # Each tap is one multiply-add over the output; a few images at a time, so that the output, the tap's window and
    # the scratch stay in the core's cache across the kh·kw taps instead of streaming from memory at each one
    # (a 3×3 layer over 32 images of 23×23×128: the forward 18.5 → 9.3 ms, measured)
    size = max(1, _CHUNK_BYTES // max(1, ho * wo * channels * multiplier * xd.dtype.itemsize))
    out = xp.empty((n, ho, wo, channels, multiplier), dtype=xd.dtype)
    part = _scratch(workspace, "offset_outputs", (min(size, n), ho, wo, channels, multiplier), xd.dtype)
    for start in range(0, n, size):
        images, kept = source[start:start + size], out[start:start + size]
        xp.multiply(tap(images, 0, 0)[..., None], kd[0, 0], out=kept)
        for i, j in _taps(kh, kw):
            scratch = part[:kept.shape[0]]
            xp.multiply(tap(images, i, j)[..., None], kd[i, j], out=scratch)
            kept += scratch
    out = out.reshape(n, ho, wo, channels * multiplier)
    if bias is not None:
        out += bias.data
    parents = (x, kernel) if bias is None else (x, kernel, bias)

    def backward(g):
        g5 = g.reshape(n, ho, wo, channels, multiplier)
        gk = xp.zeros(kernel.shape, dtype=g.dtype) if kernel.requires_grad else None
        g_source = xp.zeros(source.shape, dtype=g.dtype) if x.requires_grad else None
        share = _scratch(workspace, "offset_grads", (min(size, n), ho, wo, channels), g.dtype) \
            if g_source is not None and multiplier == 1 else None
        for start in range(0, n, size):  # a few images at a time, as the forward
            grads = g5[start:start + size]
            for i, j in [(0, 0), *_taps(kh, kw)]:
                if gk is not None:  # Σ over the images and positions of window × gradient, per channel and multiplier
                    gk[i, j] += xp.einsum("nhwc,nhwcm->cm", tap(source[start:start + size], i, j), grads)
                if g_source is None:
                    continue
                into = tap(g_source[start:start + size], i, j)
                if share is not None:
                    scratch = share[:grads.shape[0]]
                    xp.multiply(grads[..., 0], kd[i, j, :, 0], out=scratch)
                    into += scratch
                else:
                    into += xp.einsum("nhwcm,cm->nhwc", grads, kd[i, j])
        gk = None if gk is None else gk.astype(kernel.dtype, copy=False)
        gx = None if g_source is None else _unpadded(g_source, rows, cols).astype(x.dtype, copy=False)
        if bias is None:
            return gx, gk
        gb = None
        if bias.requires_grad:
            g2 = g.reshape(-1, channels * multiplier)
            gb = (xp.ones(g2.shape[0], dtype=g2.dtype) @ g2).astype(bias.dtype, copy=False)  # one BLAS call
        return gx, gk, gb

    return Tensor._result(out, parents, backward, "depthwise_conv2d")


# ----------------------------------------------------------------------------- the layers


def _multiplier(value: Any, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ConfigError(f"{owner} depth_multiplier must be a whole number ≥ 1 (the kernels per input channel), got "
                          f"{value!r}.")
    return int(value)


class _Depthwise(Layer):
    """What DepthwiseConv2D and SeparableConv2D share: Keras's settings for the window, the depthwise kernel (made
    at build from the input's channels), the activation, the bias and the penalties."""

    sample_rank = 3  # (height, width, channels)
    filters: int | None = None  # SeparableConv2D's output channels; DepthwiseConv2D's follow the input's
    _weight_constraints = {"depthwise_kernel": "depthwise_constraint", "pointwise_kernel": "pointwise_constraint",
                           "bias": "bias_constraint"}
    _weight_regularizers = {"depthwise_kernel": "depthwise_regularizer", "bias": "bias_regularizer",
                            "pointwise_kernel": "pointwise_regularizer"}

    def _take(self, owner: str, kernel_size: Any, strides: Any, padding: Any, depth_multiplier: Any,
              data_format: Any, dilation_rate: Any, activation: Any, use_bias: bool, depthwise_initializer: Any,
              bias_initializer: Any, depthwise_regularizer: Any, bias_regularizer: Any, name: str | None,
              kwargs: dict[str, Any]) -> None:
        names = ("depthwise_constraint", "bias_constraint") + \
            (("pointwise_constraint",) if self.filters is not None else ())  # SeparableConv2D's third weight
        found = constraints.checked(kwargs, names)
        if kwargs.get("kernel_constraint", None) is None:
            kwargs.pop("kernel_constraint", None)  # a convolution's argument, asking for nothing: let it pass
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        for key, constraint in found.items():
            setattr(self, key, constraint)
        _channels_last(data_format, owner)
        self.kernel_size = _pair(kernel_size, "kernel_size", owner)
        self.strides = _pair(strides, "strides", owner)
        # Keras 3 takes strides and a dilation above 1 together in its depthwise and separable layers (its plain
        # convolutions refuse them); the op reads each tap's strided view whatever the spacing of the taps
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", owner, "(2, 2)")
        self.padding = _padding(padding, owner)
        self.depth_multiplier = _multiplier(depth_multiplier, owner)
        self.activation = F.get_activation(activation)
        self.activation_name = _activation_name(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.depthwise_kernel: Parameter | None = None
        self.bias: Parameter | None = None
        self._workspace = Workspace()

    def _who(self) -> str:
        return f"{type(self).__name__} layer {self.name!r}"

    def out_channels(self, channels: int) -> int:
        return channels * self.depth_multiplier

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        height, width, channels = _image_shape(input_shape, self._who())
        reach = tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate))
        _check_fits((height, width), reach, self.padding, self._who(), "kernel")
        ho, wo, _, _ = _plan((1, height, width, channels), reach, self.strides, self.padding)
        return ho, wo, self.out_channels(known_features(input_shape, self._who()))

    def weight_shapes(self, input_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        """Each weight's shape for samples of ``input_shape``, by name (what a model file must hold)."""
        channels = known_features(input_shape, self._who())
        shapes = {"depthwise_kernel": (*self.kernel_size, channels, self.depth_multiplier)}
        if self.use_bias:
            shapes["bias"] = (self.out_channels(channels),)
        return shapes

    def build(self, input_shape: tuple[int, ...]) -> None:
        self.compute_output_shape(input_shape)  # refuses a shape it cannot take before anything is made
        shapes = self.weight_shapes(input_shape)
        inits = {"depthwise_kernel": self.depthwise_initializer, "bias": self.bias_initializer,
                 "pointwise_kernel": getattr(self, "pointwise_initializer", None)}
        with backend.using_dtype(self.dtype):
            for name, shape in shapes.items():
                setattr(self, name, Parameter(inits[name](shape), name=name))
        if self.input_shape is None:
            self.input_shape = tuple(None if s is None else int(s) for s in input_shape)
        self.built = True

    @property
    def input_features(self) -> int | None:
        """The input channels the built kernel takes (None before it is built)."""
        return None if self.depthwise_kernel is None else int(self.depthwise_kernel.shape[2])

    def _checked_input(self, x: Any) -> Tensor:
        kernel = self.depthwise_kernel
        x = as_input(x, kernel.data.dtype if kernel is not None else np.dtype(self.dtype), self.name)
        self.compute_output_shape(x.shape[1:])
        self._ensure_built(x)
        if x.shape[-1] != self.input_features:
            raise ShapeError(f"{self._who()} was built for images with {self.input_features} channels, but was given "
                             f"images of shape {x.shape} ({x.shape[-1]} channels); give it images of the channels it "
                             "was built for, or make a new layer.")
        return x

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                  "padding": self.padding, "dilation_rate": list(self.dilation_rate),
                  "depth_multiplier": self.depth_multiplier,
                  "activation": self.activation_name, "use_bias": self.use_bias,
                  "depthwise_initializer": initializers.name_of(self.depthwise_initializer),
                  "bias_initializer": initializers.name_of(self.bias_initializer)}
        return config


class DepthwiseConv2D(_Depthwise):
    """A depthwise convolution layer, Keras's ``layers.DepthwiseConv2D``: each input channel convolved with its own
    ``depth_multiplier`` kernels of ``kernel_size``, ``activation(depthwise_conv2d(x, depthwise_kernel) + bias)``,
    giving channels × depth_multiplier output channels. The kernel has Keras's shape (kh, kw, channels,
    depth_multiplier) and Keras's Glorot-uniform start (fans kh·kw·channels and kh·kw·depth_multiplier).
    ``dilation_rate`` spaces the kernel's taps (with any strides, as Keras 3); channels_first images are
    refused.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    >>> layer(np.ones((1, 5, 5, 4))).shape, layer.depthwise_kernel.shape, layer.bias.shape
    ((1, 5, 5, 8), (3, 3, 4, 2), (8,))
    """

    def __init__(self, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid", depth_multiplier: int = 1,
                 data_format: str | None = None, dilation_rate: Any = (1, 1), activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None, name: str | None = None,
                 **kwargs: Any) -> None:
        self._take("DepthwiseConv2D", kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
                   activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
                   bias_regularizer, name, kwargs)
        if self.input_shape is not None:
            self.build(self.input_shape)

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x)
        return self.activation(_depthwise_conv2d(x, self.depthwise_kernel, self.bias, self.strides, self.padding,
                                                 self._workspace, self.dilation_rate))


class SeparableConv2D(_Depthwise):
    """A depthwise-separable convolution layer, Keras's ``layers.SeparableConv2D``: a depthwise convolution (each
    channel with its own ``depth_multiplier`` kernels), then a 1×1 convolution to ``filters`` channels, then the bias
    and ``activation``. Its weights are Keras's: ``depthwise_kernel`` (kh, kw, channels, depth_multiplier),
    ``pointwise_kernel`` (1, 1, channels·depth_multiplier, filters), ``bias`` (filters,), each with its initializer and
    penalty; ``dilation_rate`` as in DepthwiseConv2D. Channels_first images are refused.

    >>> import fnlearn as fl
    >>> layer = fl.layers.SeparableConv2D(64, 3, padding="same", input_shape=(32, 32, 16))
    >>> layer.count_params()  # 3·3·16 + 16·64 + 64, where Conv2D would have 3·3·16·64 + 64
    1232
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = (1, 1), depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ConfigError(f"SeparableConv2D filters must be a positive integer (the number of output channels), "
                              f"got {filters!r}.")
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self._take("SeparableConv2D", kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
                   activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
                   bias_regularizer, name, kwargs)
        self.pointwise_kernel: Parameter | None = None
        self._pointwise_space = Workspace()
        if self.input_shape is not None:
            self.build(self.input_shape)

    def out_channels(self, channels: int) -> int:
        return self.filters  # type: ignore[return-value]

    def weight_shapes(self, input_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        channels = known_features(input_shape, self._who())
        return {"depthwise_kernel": (*self.kernel_size, channels, self.depth_multiplier),
                "pointwise_kernel": (1, 1, channels * self.depth_multiplier, self.filters),
                **({"bias": (self.filters,)} if self.use_bias else {})}

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x)
        spread = _depthwise_conv2d(x, self.depthwise_kernel, None, self.strides, self.padding, self._workspace,
                                   self.dilation_rate)
        relu = self.activation is F.relu
        # 1×1: one matrix product, with scratch arrays of its own (the depthwise step's are still held)
        out = _conv2d(spread, self.pointwise_kernel, self.bias, 1, "valid", relu, self._pointwise_space)
        return out if relu else self.activation(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters,
                "pointwise_initializer": initializers.name_of(self.pointwise_initializer)}


DEPTHWISE: dict[str, type[Layer]] = {"DepthwiseConv2D": DepthwiseConv2D, "SeparableConv2D": SeparableConv2D}
LAYERS.update(DEPTHWISE)  # the classes a model file may name

# Keras's other name for the same class
SeparableConvolution2D = SeparableConv2D
