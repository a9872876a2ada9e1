"""The transposed convolution, Keras's ``Conv2DTranspose``, with its differentiable op :func:`conv2d_transpose`.

A transposed convolution runs a convolution backwards: each input pixel spreads its channels, through the kernel,
over a ``kh × kw`` patch of the output, and patches ``strides`` apart overlap and add up. It is how decoders and
generators make images larger (an autoencoder's second half, a GAN's generator). The kernel is stored as Keras
stores it, ``(kernel_height, kernel_width, filters, in_channels)``: the layout of the convolution it is the
transpose of, so weights copied from a Keras model give the same outputs.

Output sizes are Keras's: with ``padding="valid"`` an axis of n pixels becomes ``(n − 1)·s + max(k, s)``, with
``"same"`` it becomes ``n·s``; ``output_padding`` p makes it ``(n − 1)·s + k + p`` (valid) or
``(n − 1)·s + k mod 2 + p`` (same), rows added at the bottom (columns at the right).

The op is one matrix product per kernel offset, each added into the output ``strides`` apart ("col2im"); the
backward reads the output gradient's windows into one matrix ("im2col", as :func:`~fnlearn.nn.conv.conv2d`
reads its input) and takes two products with it, one for the input's gradient and one for the kernel's.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> up = fl.layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")
    >>> up(np.ones((2, 7, 7, 4))).shape, up.kernel.shape
    ((2, 14, 14, 8), (3, 3, 8, 4))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from .conv import (
    Pair,
    Workspace,
    _channels_last,
    _check_images,
    _Convolution,
    _fill_patches,
    _image_shape,
    _padding,
    _pair,
    _scratch,
    _window,
)
from .layers import LAYERS, Layer, known_features

# ----------------------------------------------------------------------------- shapes


_HOW_MANY = {2: "a pair", 3: "three"}


def _output_padding(value: Any, strides: tuple[int, ...], owner: str) -> tuple[int, ...] | None:
    """None, or one integer ≥ 0 per axis of ``strides``, each smaller than its stride (Keras's rule: a larger one
    would add a row that no input pixel reaches)."""
    if value is None:
        return None
    count = len(strides)
    items = (value,) * count if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    valid = len(items) == count and all(not isinstance(v, bool) and isinstance(v, (int, np.integer)) and v >= 0
                                        for v in items)
    if not valid or any(int(v) >= s for v, s in zip(items, strides)):
        raise ConfigError(f"{owner} output_padding must be None or an integer ≥ 0 (or {_HOW_MANY[count]} of them) "
                          f"smaller than the strides {strides}, got output_padding={value!r}; leave it out for "
                          "Keras's sizes, or use a smaller value.")
    return tuple(int(v) for v in items)


def _axis_plan(size: int, window: int, stride: int, padding: str, extra: int | None) -> tuple[int, int]:
    """(output size, rows cut from the top of the full output) along one axis, as Keras computes them.

    The full output of n pixels has ``(n − 1)·s + k`` rows; Keras pads and crops it by what its backends give
    ``conv_transpose`` (the first row kept is ``k − 1 − left padding``), and a row past the full output is 0."""
    if padding == "valid":
        extra = max(window, stride) - window if extra is None else extra
        return (size - 1) * stride + window + extra, 0
    if extra is None:
        total = stride + window - 2
        out = size * stride
    else:
        total = window + window % 2 - 2 + extra
        out = (size - 1) * stride + window % 2 + extra
    left = min(total // 2 + total % 2, window - 1)
    return out, window - 1 - left


def _plan(shape: tuple[int, ...], window: Pair, strides: Pair, padding: str,
          output_padding: Pair | None) -> tuple[int, int, int, int]:
    """(Ho, Wo, rows cut on top, columns cut on the left) for images of ``shape`` (batch, H, W, C)."""
    extra = output_padding or (None, None)
    ho, top = _axis_plan(shape[1], window[0], strides[0], padding, extra[0])
    wo, left = _axis_plan(shape[2], window[1], strides[1], padding, extra[1])
    return ho, wo, top, left


# ----------------------------------------------------------------------------- the op


def conv2d_transpose(x: Tensor, kernel: Tensor, bias: Tensor | None = None, strides: Any = 1,
                     padding: str = "valid", output_padding: Any = None) -> Tensor:
    """The transposed 2-D convolution of channels-last images ``x`` (N, H, W, C) with ``kernel``
    (kh, kw, filters, C), plus ``bias`` (filters,), as Keras's ``Conv2DTranspose`` computes it (PyTorch's
    ``conv_transpose2d`` with the kernel's axes in Keras's order).

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor(np.array([1.0, 2.0]).reshape(1, 1, 2, 1))
    >>> conv2d_transpose(x, fl.tensor(np.ones((1, 2, 1, 1))), strides=1).numpy()[0, 0, :, 0].tolist()
    [1.0, 3.0, 2.0]
    >>> conv2d_transpose(x, fl.tensor(np.ones((3, 3, 2, 1))), strides=2, padding="same").shape
    (1, 2, 4, 2)
    """
    return _conv2d_transpose(x, kernel, bias, strides, padding, output_padding)


def _conv2d_transpose(x: Tensor, kernel: Tensor, bias: Tensor | None, strides: Any, padding: str,
                      output_padding: Any, workspace: Workspace | None = None) -> Tensor:
    """:func:`conv2d_transpose`, its scratch arrays from ``workspace`` when given (a layer's own)."""
    xp = backend.xp()
    strides, padding = _pair(strides, "strides", "conv2d_transpose"), _padding(padding, "conv2d_transpose")
    extra = _output_padding(output_padding, strides, "conv2d_transpose")
    _check_images(x, "conv2d_transpose")
    if kernel.ndim != 4 or kernel.shape[3] != x.shape[3]:
        raise ShapeError(f"conv2d_transpose needs a kernel of shape (kh, kw, filters, {x.shape[3]}) for images "
                         f"with {x.shape[3]} channels, got a kernel of shape {kernel.shape}.")
    kh, kw, filters, channels = kernel.shape
    n, h, w, _ = x.shape
    ho, wo, top, left = _plan(x.shape, (kh, kw), strides, padding, extra)
    if ho < 1 or wo < 1:
        raise ShapeError(f"conv2d_transpose of images of {h}×{w} with a {kh}×{kw} kernel, strides {strides}, "
                         f"padding={padding!r} and output_padding={extra} leaves an output of {ho}×{wo}; give a "
                         "larger output_padding or leave it out.")
    full = ((h - 1) * strides[0] + kh, (w - 1) * strides[1] + kw)  # every row and column some pixel reaches
    m = n * h * w
    xd, kd = x.data, kernel.data
    x2 = xd.reshape(m, channels)
    # the frame holds the full output and any rows past it that Keras's sizes keep (zeros, then the bias)
    frame = xp.zeros((n, max(full[0], top + ho), max(full[1], left + wo), filters), dtype=xd.dtype)
    part = _scratch(workspace, "offset_outputs", (m, filters), xd.dtype)
    # one kernel offset at a time: each product is added into its strided place while still in cache
    for i in range(kh):
        for j in range(kw):
            xp.matmul(x2, kd[i, j].T, out=part)
            _window(frame, i, j, h, w, strides)[...] += part.reshape(n, h, w, filters)
    out = frame if frame.shape[1:3] == (ho, wo) else xp.ascontiguousarray(frame[:, top:top + ho, left:left + wo])
    if bias is not None:
        out += bias.data
    parents = (x, kernel) if bias is None else (x, kernel, bias)

    def backward(g):
        # the output's gradient placed in the full output (rows cut off get none), read window by window
        if (top, left) == (0, 0) and g.shape[1:3] == full:
            g_full = g
        else:
            g_full = xp.zeros((n, *full, filters), dtype=g.dtype)
            rows, cols = min(ho, full[0] - top), min(wo, full[1] - left)
            g_full[:, top:top + rows, left:left + cols] = g[:, :rows, :cols]
        patches = _scratch(workspace, "patches", (m, kh * kw * filters), g.dtype)
        _fill_patches(patches.reshape(n, h, w, kh, kw, filters), g_full, strides)
        k2 = kd.reshape(kh * kw * filters, channels)
        gx = (patches @ k2).reshape(x.shape).astype(x.dtype, copy=False) if x.requires_grad else None
        gk = (patches.T @ x2).reshape(kernel.shape).astype(kernel.dtype, copy=False) \
            if kernel.requires_grad else None
        if bias is None:
            return gx, gk
        gb = None
        if bias.requires_grad:
            # the sum over every position as a product with ones: one BLAS call
            g2 = g.reshape(-1, filters)
            gb = (xp.ones(g2.shape[0], dtype=g2.dtype) @ g2).astype(bias.dtype, copy=False)
        return gx, gk, gb

    return Tensor._result(out, parents, backward, "conv2d_transpose")


# ----------------------------------------------------------------------------- the layer


class Conv2DTranspose(_Convolution):
    """A transposed convolution layer, Keras's ``layers.Conv2DTranspose``: ``activation(conv2d_transpose(x,
    kernel) + bias)`` on channels-last images (batch, height, width, channels), the upsampling step of decoders
    and generators.

    ``filters`` output channels, ``kernel_size`` (an int or a pair) and ``strides`` as in ``Conv2D``; the output's
    size is Keras's (``padding="same"``: the input's times the strides), ``output_padding`` adds rows and columns
    at the end (each smaller than its stride). The kernel has Keras's shape (kh, kw, filters, in_channels) and
    Keras's default initializer, Glorot uniform over that shape. Dilation and channels_first images are refused.

    >>> import fnlearn as fl
    >>> up = fl.layers.Conv2DTranspose(16, 3, strides=2, input_shape=(7, 7, 32))
    >>> up.compute_output_shape((7, 7, 32)), fl.Sequential([up]).layers[0].kernel.shape
    ((15, 15, 16), (3, 3, 16, 32))
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 output_padding: Any = None, data_format: str | None = None, dilation_rate: Any = (1, 1),
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        owner = "Conv2DTranspose"
        self._take_settings(owner, filters, activation, use_bias, kernel_initializer, bias_initializer,
                            kernel_regularizer, bias_regularizer, kwargs)
        _channels_last(data_format, owner)
        if _pair(dilation_rate, "dilation_rate", owner) != (1, 1):
            raise ConfigError(f"{owner} got dilation_rate={dilation_rate!r}; fnlearn's {owner} has dilation_rate=1 "
                              "only: leave it out, or use a larger kernel_size.")
        self.kernel_size = _pair(kernel_size, "kernel_size", owner)
        self.strides = _pair(strides, "strides", owner)
        self.padding = _padding(padding, owner)
        self.output_padding = _output_padding(output_padding, self.strides, owner)
        # Not built here even with input_shape (a model built from it builds it, as Keras 3 does): a file's
        # settings alone never make fnlearn allocate a kernel before its weights are checked.
        self._start(name, kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        height, width, channels = _image_shape(input_shape, self._who())
        ho, wo, _, _ = _plan((1, height, width, channels), self.kernel_size, self.strides, self.padding,
                             self.output_padding)
        if ho < 1 or wo < 1:
            raise ShapeError(f"{self._who()} turns images of {height}×{width} into {ho}×{wo} with its "
                             f"{self.kernel_size} kernel, strides {self.strides} and output_padding "
                             f"{self.output_padding}; give a larger output_padding or leave it out.")
        return ho, wo, self.filters

    def kernel_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return (*self.kernel_size, self.filters, known_features(input_shape, self._who()))

    @property
    def input_features(self) -> int | None:
        """The input channels the built kernel takes (None before it is built)."""
        return None if self.kernel is None else int(self.kernel.shape[-1])

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x, "images")
        out = _conv2d_transpose(x, self.kernel, self.bias, self.strides, self.padding, self.output_padding,
                                self._workspace)
        return self.activation(out)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "output_padding": None if self.output_padding is None else list(self.output_padding)}


TRANSPOSED: dict[str, type[Layer]] = {"Conv2DTranspose": Conv2DTranspose}
LAYERS.update(TRANSPOSED)  # the classes a model file may name

# Keras's shorter name for the same class (keras.layers.Conv2DTranspose is Convolution2DTranspose too)
Convolution2DTranspose = Conv2DTranspose
