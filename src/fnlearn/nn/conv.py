"""Convolutional layers: ``Conv2D``, ``MaxPooling2D``, ``AveragePooling2D``, the global poolings and ``Reshape``,
with the differentiable ops under them (:func:`conv2d`, :func:`max_pool2d`, :func:`avg_pool2d`).

Images are channels-last, ``(batch, height, width, channels)``, as Keras's default; a kernel is stored as Keras
stores it, ``(kernel_height, kernel_width, in_channels, filters)``, so weights copied from a Keras model give
the same outputs. ``padding="same"`` pads as Keras (and TensorFlow) do: in total
``max((ceil(H/s) − 1)·s + k − H, 0)`` rows, the smaller half on top (and columns, the smaller half on the left).

A convolution is one matrix product: the ``kh·kw`` shifted views of the input, laid side by side, form a matrix
of ``N·Ho·Wo`` rows and ``kh·kw·C`` columns ("im2col"), and the kernel is a ``(kh·kw·C, filters)`` matrix. The
backward is the two transposed products; the input's gradient adds the ``kh·kw`` column blocks back in place.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.Conv2D(4, 3, padding="same", activation="relu")
    >>> layer(np.ones((2, 8, 8, 1))).shape, layer.kernel.shape
    ((2, 8, 8, 4), (3, 3, 1, 4))
    >>> fl.layers.MaxPooling2D()(np.ones((2, 8, 8, 4))).shape
    (2, 4, 4, 4)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..backend import Workspace
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor, is_grad_enabled
from . import constraints, initializers, regularizers
from .layers import LAYERS, Layer, _activation_name, _float_of, _reject_unknown_kwargs, as_input, known_features

Pair = tuple[int, int]

# ----------------------------------------------------------------------------- shapes and windows


def _pair(value: Any, what: str, owner: str, example: str = "(3, 3)") -> Pair:
    """An int or a pair of ints, each ≥ 1, as a pair (Keras takes ``3`` for ``(3, 3)``)."""
    items = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    if len(items) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in items):
        raise ConfigError(f"{owner} {what} must be a positive integer or a pair of them such as {example}, "
                          f"got {value!r}.")
    return int(items[0]), int(items[1])


def _padding(value: Any, owner: str) -> str:
    name = value.lower() if isinstance(value, str) else value
    if name not in ("valid", "same"):
        raise ConfigError(f"{owner} padding must be 'valid' (no padding: the output shrinks by the window) or "
                          f"'same' (zeros around: the output keeps the size divided by the strides), got {value!r}.")
    return str(name)


def _axis_plan(size: int, window: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output size, padding before, padding after) along one axis, as Keras computes them; ``window`` is the
    span a (dilated) kernel reaches, ``(k − 1)·d + 1``.

    >>> _axis_plan(10, 5, 1, "same"), _axis_plan(10, 5, 3, "causal")
    ((10, 2, 2), (4, 4, 0))
    """
    if padding == "valid":
        return (size - window) // stride + 1 if size >= window else 0, 0, 0
    if padding == "causal":  # Conv1D's: every pad before the sequence, so step t never sees a later step
        return -(-size // stride), window - 1, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + window - size, 0)
    return out, total // 2, total - total // 2


def _plan(shape: tuple[int, ...], window: Pair, strides: Pair, padding: str) -> tuple[int, int, Pair, Pair]:
    """(Ho, Wo, (top, bottom), (left, right)) for images of ``shape`` (batch, H, W, C)."""
    ho, top, bottom = _axis_plan(shape[1], window[0], strides[0], padding)
    wo, left, right = _axis_plan(shape[2], window[1], strides[1], padding)
    return ho, wo, (top, bottom), (left, right)


def _padded(data: Any, rows: Pair, cols: Pair, fill: float = 0.0, workspace: Workspace | None = None) -> Any:
    """``data`` (N, H, W, C) with ``fill`` around it, in an array of ``workspace`` when given; the array itself
    when there is nothing to add."""
    if not (rows[0] or rows[1] or cols[0] or cols[1]):
        return data
    n, h, w, c = data.shape
    out = _scratch(workspace, "padded", (n, h + rows[0] + rows[1], w + cols[0] + cols[1], c), data.dtype)
    out[:, :rows[0]] = fill  # the border only: the inside is written next
    out[:, rows[0] + h:] = fill
    out[:, rows[0]:rows[0] + h, :cols[0]] = fill
    out[:, rows[0]:rows[0] + h, cols[0] + w:] = fill
    out[:, rows[0]:rows[0] + h, cols[0]:cols[0] + w] = data
    return out


def _window(data: Any, i: int, j: int, ho: int, wo: int, strides: Pair) -> Any:
    """The view of padded ``data`` that offset (i, j) of every window reads: (N, Ho, Wo, C), no copy (a dilated
    kernel's tap (a, b) is at offset (a·dh, b·dw))."""
    return data[:, i:i + strides[0] * (ho - 1) + 1:strides[0], j:j + strides[1] * (wo - 1) + 1:strides[1]]


def _fill_patches(patches: Any, source: Any, strides: Pair, dilation: Pair = (1, 1)) -> None:
    """Write every window of ``source`` (N, H, W, C) into ``patches`` (N, Ho, Wo, kh, kw, C), the taps of a
    window ``dilation`` apart."""
    xp = backend.xp()
    _, ho, wo, kh, kw, _ = patches.shape
    tricks = getattr(getattr(xp, "lib", None), "stride_tricks", None)
    if tricks is not None:
        # one copy from a strided view of the windows: a window row's kw·C values are one contiguous run of the
        # source, so the copy moves runs kw times longer than slice-by-slice copies (2.5× faster, measured); a
        # dilation only lengthens the step between taps, so the same one copy serves it
        n_step, h_step, w_step, c_step = source.strides
        windows = tricks.as_strided(source, patches.shape, (n_step, h_step * strides[0], w_step * strides[1],
                                                            h_step * dilation[0], w_step * dilation[1], c_step))
        xp.copyto(patches, windows)
        return
    for i in range(kh):  # an array module without stride tricks
        for j in range(kw):
            patches[:, :, :, i, j] = _window(source, i * dilation[0], j * dilation[1], ho, wo, strides)


def _unpadded(data: Any, rows: Pair, cols: Pair) -> Any:
    if not (rows[0] or rows[1] or cols[0] or cols[1]):
        return data
    h, w = data.shape[1] - rows[0] - rows[1], data.shape[2] - cols[0] - cols[1]
    return data[:, rows[0]:rows[0] + h, cols[0]:cols[0] + w]


def _check_images(x: Tensor, op: str) -> None:
    if x.ndim != 4:
        raise ShapeError(f"{op} takes images of shape (batch, height, width, channels), got shape {x.shape}; "
                         "add the channels axis to grayscale images (x[..., None]).")


def _check_fits(shape: tuple[int, ...], window: Pair, padding: str, who: str, what: str) -> None:
    """Refuse a window larger than the (unpadded) image for padding='valid': no output position would fit."""
    if padding == "valid" and (shape[0] < window[0] or shape[1] < window[1]):
        raise ShapeError(f"{who} has a {window[0]}×{window[1]} {what}, larger than its input of "
                         f"{shape[0]}×{shape[1]} (sample shape {tuple(shape)}) with padding='valid'; use "
                         "padding='same', a smaller window, or fewer pooling layers before it.")


# the images whose output gradients and per-offset products (per_image·(channels + filters) values each) an input
# gradient takes at a time on the CPU: about 2 MiB, what one core's cache keeps
_CHUNK_BYTES = 2 * 2**20


def _piece_size(n: int, per_image: int) -> int:
    """How many of ``n`` images one piece of a pass holds: on the CPU as many as fit in ``_CHUNK_BYTES`` at
    ``per_image`` bytes each (at least one), so a piece's arrays stay in a core's cache across the passes over
    them instead of streaming from memory at each; elsewhere all of them (a GPU wants its kernels large)."""
    if backend.xp() is not np:
        return n
    return max(1, min(n, _CHUNK_BYTES // max(1, per_image)))


def _span(size: int, count: int, step: int, offset: int, before: int) -> tuple[int, int, int]:
    """The output positions ``y0:y1`` (of ``count``) whose input position ``y·step + offset − before`` falls inside
    an axis of ``size`` (``before`` positions of padding ahead of it), and the first such input position."""
    first = max(0, -((offset - before) // step))  # ⌈(before − offset) / step⌉
    last = min(count, (size - 1 + before - offset) // step + 1)
    return first, last, first * step + offset - before


def _columns_product(a: Any, b: Any) -> Any:
    """``a.T @ b`` for two matrices of many rows (patches and output gradients: a kernel's gradient). When
    ``a`` is much wider than ``b``, OpenBLAS computes the transposed product, ``(b.T @ a).T``, 10–20 % faster
    (a 3×3 kernel over 32 channels into 64 filters, batch 128: 21–22 → 17–20 ms; the other way round, 10 columns
    against 32, it is slower), so that one is asked for."""
    if a.shape[1] >= 2 * b.shape[1] >= 64:
        return (b.T @ a).T
    return a.T @ b


def _scratch(workspace: Workspace | None, key: str, shape: tuple[int, ...], dtype: Any, zeros: bool = False) -> Any:
    """An array of ``shape`` from ``workspace`` (a new one without), filled with zeros when asked."""
    xp = backend.xp()
    if workspace is None:
        return (xp.zeros if zeros else xp.empty)(shape, dtype=dtype)
    array = workspace.empty(key, shape, dtype)
    if zeros:
        array.fill(0)
    return array


# ----------------------------------------------------------------------------- ops


def conv2d(x: Tensor, kernel: Tensor, bias: Tensor | None = None, strides: Any = 1,
           padding: str = "valid", dilation_rate: Any = 1) -> Tensor:
    """The 2-D convolution of channels-last images ``x`` (N, H, W, C) with ``kernel`` (kh, kw, C, filters), as
    Keras's ``Conv2D`` computes it (a cross-correlation: the kernel is not flipped), plus ``bias`` (filters,).
    With ``dilation_rate`` d (an int or a pair) the kernel's taps are d pixels apart, a window of (k − 1)·d + 1.

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> conv2d(x, fl.tensor(np.ones((2, 2, 1, 1))), strides=2).numpy()[0, :, :, 0].tolist()
    [[10.0, 18.0], [42.0, 50.0]]
    >>> conv2d(x, fl.tensor(np.ones((3, 3, 1, 2))), padding="same").shape
    (1, 4, 4, 2)
    >>> conv2d(x, fl.tensor(np.ones((2, 2, 1, 1))), dilation_rate=2).numpy()[0, :, :, 0].tolist()
    [[20.0, 24.0], [36.0, 40.0]]
    """
    return _conv2d(x, kernel, bias, strides, _padding(padding, "conv2d"), relu=False, dilation=dilation_rate)


def _conv2d(x: Tensor, kernel: Tensor, bias: Tensor | None, strides: Any, padding: str, relu: bool,
            workspace: Workspace | None = None, dilation: Any = (1, 1)) -> Tensor:
    """:func:`conv2d`, followed by ReLU when ``relu``: in place, which spares the layer's largest array a copy
    and a pass (``Conv2D(..., activation="relu")``, the usual layer); its large arrays come from ``workspace``
    when given (a layer's own). ``padding`` may also be "causal" (Conv1D's, on images one pixel high): all the
    padding before, none after."""
    xp = backend.xp()
    strides = _pair(strides, "strides", "conv2d")
    # the layers' usual value skips the check: a small layer's step is mostly call overhead
    if type(dilation) is not tuple or dilation != (1, 1):
        dilation = _pair(dilation, "dilation_rate", "conv2d", "(2, 2)")
    padding = "causal" if padding == "causal" else _padding(padding, "conv2d")
    _check_images(x, "conv2d")
    if kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ShapeError(f"conv2d needs a kernel of shape (kh, kw, {x.shape[3]}, filters) for images with "
                         f"{x.shape[3]} channels, got a kernel of shape {kernel.shape}.")
    kh, kw, channels, filters = kernel.shape
    dh, dw = dilation
    reach = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)  # the span a window covers, its taps dilation apart
    _check_fits(x.shape[1:], reach, padding, "conv2d", "kernel" if reach == (kh, kw) else "dilated kernel")
    n = x.shape[0]
    ho, wo, rows, cols = _plan(x.shape, reach, strides, padding)
    xd, kd = x.data, kernel.data
    depth, m = kh * kw * channels, n * ho * wo
    k2 = kd.reshape(depth, filters)
    source = _padded(xd, rows, cols, workspace=workspace)
    pointwise = (kh, kw, strides) == (1, 1, (1, 1))
    # the bias as one more row of the kernel, against a column of ones beside the patches: the product adds it
    # and, in the backward, the kernel's product gives its gradient too, which spares two passes over the output
    folded = bias is not None and not pointwise
    if pointwise:
        matrix = source.reshape(m, depth)  # a 1×1 convolution: the image itself is the matrix
    elif kw * channels * xd.itemsize < 32:
        # a window's row is too short a run to copy (one channel: kw values): the matrix is kept transposed,
        # each kernel offset's view of the images one contiguous row block (the MNIST CNN's first convolution at
        # batch 128: 1.9 → 0.4 ms), and BLAS reads it transposed
        flipped = _scratch(workspace, "patches_t", (depth + folded, m), xd.dtype)
        blocks = flipped[:depth].reshape(kh, kw, channels, n, ho, wo)
        for i in range(kh):
            for j in range(kw):
                blocks[i, j] = _window(source, i * dh, j * dw, ho, wo, strides).transpose(3, 0, 1, 2)
        if folded:
            flipped[depth] = 1
        matrix = flipped.T
    else:
        # written once into one contiguous array, so the product below is one BLAS call over every position
        matrix = _scratch(workspace, "patches", (m, depth + folded), xd.dtype)
        _fill_patches(matrix[:, :depth].reshape(n, ho, wo, kh, kw, channels), source, strides, dilation)
        if folded:
            matrix[:, depth] = 1
    weights = xp.concatenate([k2, bias.data.reshape(1, filters).astype(k2.dtype, copy=False)]) if folded else k2
    # the output is the workspace's array itself, not a view of it: the tensor holding it keeps it from reuse
    # on every array library (a view need not hold its base)
    images = _scratch(workspace, "out", (n, ho, wo, filters), xd.dtype)
    out = xp.matmul(matrix, weights, out=images.reshape(m, filters))
    if bias is not None and not folded:
        out += bias.data
    if relu:
        xp.maximum(out, 0, out=out)
    parents = (x, kernel) if bias is None else (x, kernel, bias)
    masked: list[Any] = [None]  # the gradient a max-pool after this op hands back already masked (Tensor)

    def backward(g):
        g2 = g.reshape(m, filters)
        premasked, masked[0] = masked[0] is g, None
        if relu and not premasked:
            alive = xp.greater(out, 0, out=_scratch(workspace, "alive", out.shape, bool))
            g2 = xp.multiply(g2, alive, out=_scratch(workspace, "relu_grads", out.shape, g2.dtype))
        gb = None
        if folded and (kernel.requires_grad or bias.requires_grad):
            both = _columns_product(matrix, g2)  # (depth + 1, filters): the kernel's gradient, then the bias's
            gk, gb = both[:depth].reshape(kernel.shape), both[depth]
        else:
            gk = _columns_product(matrix, g2).reshape(kernel.shape) if kernel.requires_grad else None
            if bias is not None and bias.requires_grad:
                # the sum over every position as a product with ones: BLAS's, 5× faster than NumPy's column sums
                gb = xp.ones(m, dtype=g2.dtype) @ g2
        gk = gk.astype(kernel.dtype, copy=False) if kernel.requires_grad else None
        gx = None
        if x.requires_grad:  # never for the first layer: its input is data
            if pointwise:  # the patches' gradient is the input's: handed on, so never a workspace's array
                gx = _unpadded(xp.matmul(g2, k2.T).reshape(source.shape), rows, cols)
            else:
                # a whole array of the workspace's, handed on (a view need not hold its base on every array
                # library, and then the workspace would not see it held): a new array each step had its pages
                # faulted in, 225 for the MNIST CNN's second convolution (batch 32)
                gx = _scratch(workspace, "input_grads", x.shape, g2.dtype, zeros=True)
                # each offset's products land on the input itself, the parts that fell on padding cut off: no
                # padded array to clear, then copy out of
                spans = [(i, j, _span(x.shape[1], ho, strides[0], i * dh, rows[0]),
                          _span(x.shape[2], wo, strides[1], j * dw, cols[0])) for i in range(kh) for j in range(kw)]
                # one kernel offset at a time: each product is small enough to be added back while still in
                # cache, 1.2-2.5× faster than one product for every offset and nine strided adds (measured); on
                # the CPU a few images at a time, so that stays true for a large batch (the MNIST CNN's second
                # convolution at batch 128: 21 → 14-17 ms)
                per_image = ho * wo
                chunk = _piece_size(n, per_image * (channels + filters) * g2.itemsize)
                part = _scratch(workspace, "offset_grads", (chunk * per_image, channels), g2.dtype)
                for start in range(0, n, chunk):
                    stop = min(n, start + chunk)
                    grads, products = g2[start * per_image:stop * per_image], part[:(stop - start) * per_image]
                    into = gx[start:stop]
                    for i, j, (y0, y1, r0), (x0, x1, c0) in spans:
                        if y1 <= y0 or x1 <= x0:  # this offset reads padding only
                            continue
                        xp.matmul(grads, kd[i, j].T, out=products)
                        into[:, r0:r0 + (y1 - y0 - 1) * strides[0] + 1:strides[0],
                             c0:c0 + (x1 - x0 - 1) * strides[1] + 1:strides[1]] += products.reshape(
                            stop - start, ho, wo, channels)[:, y0:y1, x0:x1]
            if gx.dtype != x.dtype:
                gx = gx.astype(x.dtype)
        if bias is None:
            return gx, gk
        return gx, gk, (gb.astype(bias.dtype, copy=False) if bias.requires_grad else None)

    result = Tensor._result(images, parents, backward, "conv2d_relu" if relu else "conv2d")
    if relu:
        result._masked_grad = masked
    return result


def _pool_setup(x: Tensor, pool_size: Any, strides: Any, padding: str, op: str) -> tuple[Pair, Pair, str]:
    _check_images(x, op)
    pool = _pair(pool_size, "pool_size", op)
    steps = pool if strides is None else _pair(strides, "strides", op)
    padding = _padding(padding, op)
    _check_fits(x.shape[1:], pool, padding, op, "pool")
    return pool, steps, padding


def max_pool2d(x: Tensor, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> Tensor:
    """The largest value of each ``pool_size`` window of channels-last images (N, H, W, C), windows
    ``strides`` apart (``pool_size`` by default), as Keras's ``MaxPooling2D``. The gradient goes to the first
    largest value of each window (row by row), as Keras and PyTorch send it; padding never wins.

    >>> import fnlearn as fl, numpy as np
    >>> max_pool2d(fl.tensor(np.arange(16.0).reshape(1, 4, 4, 1))).numpy()[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    return _max_pool2d(x, pool_size, strides, padding)


def _max_pool2d(x: Tensor, pool_size: Any, strides: Any, padding: str, workspace: Workspace | None = None) -> Tensor:
    """:func:`max_pool2d`, its large arrays from ``workspace`` when given (a layer's own).

    When the gradient will be wanted, the forward also marks which offset of each window holds its first
    largest value (``winner``: 0 … ph·pw − 1, one byte a value): the backward is then one comparison and one
    product per offset, no search for the largest value again. Every pass runs over a few images at a time, so a
    piece's arrays stay in cache across them (the MNIST CNN's first pool at batch 128, forward and backward:
    20 → 13.5 ms)."""
    xp = backend.xp()
    pool, steps, padding = _pool_setup(x, pool_size, strides, padding, "max_pool2d")
    ho, wo, rows, cols = _plan(x.shape, pool, steps, padding)
    source = _padded(x.data, rows, cols, fill=-np.inf, workspace=workspace)
    n, channels = source.shape[0], source.shape[3]
    offsets = [(i, j) for i in range(pool[0]) for j in range(pool[1])]
    out = _scratch(workspace, "out", (n, ho, wo, channels), source.dtype)  # whole: the tensor holding it keeps it
    marking = is_grad_enabled() and x.requires_grad
    # one byte names an offset of a pool of up to 256 values, two bytes of a larger one (far beyond any network's)
    mark = np.dtype(np.uint8 if len(offsets) <= 256 else np.uint16)
    winner = _scratch(workspace, "winner", out.shape, mark) if marking else None
    size = _piece_size(n, source[0].nbytes + out[0].nbytes * 2)
    part = min(size, n)
    if marking:
        later_all = _scratch(workspace, "later", (part, ho, wo, channels), bool)
        numbered_all = _scratch(workspace, "numbered", later_all.shape, mark)
    for start in range(0, n, size):
        images, kept = source[start:start + size], out[start:start + size]
        kept[...] = _window(images, 0, 0, ho, wo, steps)
        if marking:
            marks = winner[start:start + size]
            marks.fill(0)
            later, numbered = later_all[:kept.shape[0]], numbered_all[:kept.shape[0]]
        for number, (i, j) in enumerate(offsets[1:], start=1):
            candidate = _window(images, i, j, ho, wo, steps)
            if marking:
                # only a strictly larger value takes the window (a tie stays with the first, as Keras and
                # PyTorch send it); offsets come in increasing order, so the mark is the largest such number
                xp.greater(candidate, kept, out=later)
                xp.maximum(marks, xp.multiply(later, mark.type(number), out=numbered), out=marks)
            xp.maximum(kept, candidate, out=kept)

    tiled = steps == pool  # each input value in exactly one window, or in none (valid padding's remainder)

    def backward(g):
        masked = x._masked_grad
        unpadded = source is x.data  # then handed on as it is, so the workspace sees it held
        g_source = _scratch(workspace if unpadded else None, "input_grads", source.shape, x.dtype, zeros=not tiled)
        if tiled:  # rows and columns no window reads get no gradient
            g_source[:, ho * pool[0]:] = 0
            g_source[:, :ho * pool[0], wo * pool[1]:] = 0
        hit_all = _scratch(workspace, "hit", (part, ho, wo, channels), bool)
        grads_all = _scratch(workspace, "window_grads", hit_all.shape, g.dtype) if masked is not None else None
        products_all = None if tiled else _scratch(workspace, "products", hit_all.shape, g.dtype)
        for start in range(0, n, size):
            grads, marks = g[start:start + size], winner[start:start + size]
            k = grads.shape[0]
            if masked is not None:
                # x is a ReLU's output (conv2d's, Conv2D(activation="relu")): ReLU's gradient is taken here, on
                # the pooled values, a quarter of x's: a window's largest value is 0 only if all of them are, and
                # then x is 0 where the gradient goes. x's op, told so, skips its mask: two passes over the
                # larger array fewer.
                alive = xp.greater(out[start:start + size], 0, out=hit_all[:k])
                grads = xp.multiply(grads, alive, out=grads_all[:k])
            into = g_source[start:start + size]
            for number, (i, j) in enumerate(offsets):
                hit = xp.equal(marks, number, out=hit_all[:k])
                if tiled:
                    xp.multiply(grads, hit, out=_window(into, i, j, ho, wo, steps))
                else:  # windows that overlap add up
                    _window(into, i, j, ho, wo, steps)[...] += xp.multiply(grads, hit, out=products_all[:k])
        g_x = _unpadded(g_source, rows, cols)
        if masked is not None:
            masked[0] = g_x
        return (g_x,)

    return Tensor._result(out, (x,), backward, "max_pool2d")


def avg_pool2d(x: Tensor, pool_size: Any = 2, strides: Any = None, padding: str = "valid") -> Tensor:
    """The mean of each ``pool_size`` window of channels-last images (N, H, W, C), as Keras's
    ``AveragePooling2D``: with ``padding="same"`` a window at the border is the mean of the values inside the
    image (the padding is not counted).

    >>> import fnlearn as fl, numpy as np
    >>> avg_pool2d(fl.tensor(np.arange(9.0).reshape(1, 3, 3, 1)), padding="same").numpy()[0, :, :, 0].tolist()
    [[2.0, 3.5], [6.5, 8.0]]
    """
    xp = backend.xp()
    pool, steps, padding = _pool_setup(x, pool_size, strides, padding, "avg_pool2d")
    ho, wo, rows, cols = _plan(x.shape, pool, steps, padding)
    source = _padded(x.data, rows, cols)
    offsets = [(i, j) for i in range(pool[0]) for j in range(pool[1])]
    total = _window(source, 0, 0, ho, wo, steps).copy()
    for i, j in offsets[1:]:
        total += _window(source, i, j, ho, wo, steps)
    if source is x.data:
        count: Any = pool[0] * pool[1]
    else:  # the real values in each window: a small (1, Ho, Wo, 1) array, computed once per call
        ones = _padded(xp.ones((1, x.shape[1], x.shape[2], 1), dtype=x.dtype), rows, cols)
        count = sum(_window(ones, i, j, ho, wo, steps) for i, j in offsets)
    out = (total / count).astype(x.dtype, copy=False)

    def backward(g):
        g_source = xp.zeros(source.shape, dtype=x.dtype)
        share = (g / count).astype(x.dtype, copy=False)
        for i, j in offsets:
            _window(g_source, i, j, ho, wo, steps)[...] += share
        return (_unpadded(g_source, rows, cols),)

    return Tensor._result(out, (x,), backward, "avg_pool2d")


# ----------------------------------------------------------------------------- layers

# a convolution's weights, by attribute, and the argument giving each one's constraint
_CONV_CONSTRAINTS = {"kernel": "kernel_constraint", "bias": "bias_constraint"}


def _channels_last(data_format: Any, owner: str) -> None:
    if data_format not in (None, "channels_last"):
        raise ConfigError(f"{owner} got data_format={data_format!r}; fnlearn's image layers take channels_last "
                          "images, (batch, height, width, channels), only: leave data_format out and move the "
                          "channels last (np.moveaxis(x, 1, -1)).")


def _check_dilated_strides(strides: Any, dilation: Any, given: tuple[Any, Any], owner: str) -> None:
    """Refuse strides and a dilation both above 1 (anywhere), in one sentence, as Keras 3 refuses them.

    >>> _check_dilated_strides((1, 1), (2, 2), (1, 2), "Conv2D")  # a dilation with strides of 1: fine
    """
    steps = strides if isinstance(strides, tuple) else (strides,)
    rates = dilation if isinstance(dilation, tuple) else (dilation,)
    if max(steps) > 1 and max(rates) > 1:
        raise ConfigError(f"{owner} got strides={given[0]!r} with dilation_rate={given[1]!r}; a dilation_rate above "
                          "1 takes strides of 1 (Keras 3 refuses the two together as well): keep strides=1 and "
                          "shrink the output with a pooling layer after it, or leave dilation_rate out.")


def _image_shape(shape: Any, who: str, sizes: bool = True) -> tuple[Any, Any, Any]:
    """One sample's shape as (height, width, channels), or one ShapeError sentence; with ``sizes``, for a layer
    whose output depends on them, the height and width must be known (a size may be None otherwise)."""
    shape = tuple(shape)
    if len(shape) != 3:
        hint = " (grayscale images need a channels axis: x[..., None])" if len(shape) == 2 else \
            " (flat rows of pixels: x.reshape(-1, height, width, channels))" if len(shape) == 1 else ""
        raise ShapeError(f"{who} takes images of shape (batch, height, width, channels), but was given samples of "
                         f"shape {shape}{hint}; give it 4-D data or Reshape before it.")
    if sizes and (shape[0] is None or shape[1] is None):
        raise ShapeError(f"{who} takes images of a known size, but got samples of shape {shape}, whose height or "
                         "width is unknown (None); resize the images to one size first, with a Resizing layer "
                         "before it or Input(shape=(height, width, channels)).")
    return tuple(None if s is None else int(s) for s in shape)  # type: ignore[return-value]


class _Convolution(Layer):
    """What the convolution layers (Conv1D, Conv2D, Conv2DTranspose) share: Keras's settings for the filters, the
    activation, the bias, the initializers and penalties; the kernel and bias made at build; the channel check."""

    filters: int
    kernel_size: Any
    strides: Any
    padding: str
    sample_rank = 3  # the axes of one sample: (height, width, channels)
    _weight_constraints = _CONV_CONSTRAINTS
    _weight_regularizers = {"kernel": "kernel_regularizer", "bias": "bias_regularizer"}

    def kernel_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The kernel's shape for samples of ``input_shape``, in Keras's layout."""
        raise NotImplementedError

    def build(self, input_shape: tuple[int, ...]) -> None:
        self.compute_output_shape(input_shape)  # refuses a shape it cannot take before anything is made
        with backend.using_dtype(self.dtype):
            self.kernel = Parameter(self.kernel_initializer(self.kernel_shape(input_shape)), name="kernel")
            self.bias = Parameter(self.bias_initializer((self.filters,)), name="bias") if self.use_bias else None
        if self.input_shape is None:
            # a model reads its input shape from its first layer: a Dense's kernel tells it, a convolution's cannot
            self.input_shape = tuple(None if s is None else int(s) for s in input_shape)
        self.built = True

    def _take_settings(self, owner: str, filters: Any, activation: Any, use_bias: bool, kernel_initializer: Any,
                       bias_initializer: Any, kernel_regularizer: Any, bias_regularizer: Any,
                       kwargs: dict[str, Any]) -> None:
        found = constraints.checked(kwargs, tuple(_CONV_CONSTRAINTS.values()))
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ConfigError(f"{owner} filters must be a positive integer (the number of output channels), "
                              f"got {filters!r}.")
        self.filters = int(filters)
        self.activation = F.get_activation(activation)
        self.activation_name = _activation_name(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint, self.bias_constraint = found["kernel_constraint"], found["bias_constraint"]

    def _start(self, name: str | None, kwargs: dict[str, Any]) -> None:
        """Layer's own settings, and no weights yet."""
        Layer.__init__(self, name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                       dtype=kwargs.get("dtype"))
        self.kernel: Parameter | None = None
        self.bias: Parameter | None = None
        self._workspace = Workspace()

    def _who(self) -> str:
        return f"{type(self).__name__} layer {self.name!r}"

    def _checked_input(self, x: Any, what: str) -> Tensor:
        """``x`` as a tensor of the kernel's dtype, its shape checked, the layer built for it."""
        x = as_input(x, self.kernel.data.dtype if self.kernel is not None else np.dtype(self.dtype), self.name)
        self.compute_output_shape(x.shape[1:])
        self._ensure_built(x)
        if x.shape[-1] != self.input_features:
            raise ShapeError(f"{self._who()} was built for {what} with {self.input_features} channels, but was given "
                             f"{what} of shape {x.shape} ({x.shape[-1]} channels); give it {what} of the channels it "
                             "was built for, or make a new layer.")
        return x

    def get_config(self) -> dict[str, Any]:
        def listed(value: Any) -> list[int]:
            return list(value) if isinstance(value, tuple) else [value]

        config = {**super().get_config(), "filters": self.filters, "kernel_size": listed(self.kernel_size),
                  "strides": listed(self.strides), "padding": self.padding, "activation": self.activation_name,
                  "use_bias": self.use_bias, "kernel_initializer": initializers.name_of(self.kernel_initializer),
                  "bias_initializer": initializers.name_of(self.bias_initializer)}
        return config


class Conv2D(_Convolution):
    """A 2-D convolution layer, Keras's ``layers.Conv2D``: ``activation(conv2d(x, kernel) + bias)`` on
    channels-last images (batch, height, width, channels).

    ``filters`` kernels of ``kernel_size`` (an int or a pair) slide over the image ``strides`` apart;
    ``padding="valid"`` keeps only windows inside the image, ``"same"`` pads with zeros as Keras does. The kernel
    has Keras's shape (kh, kw, in_channels, filters) and Keras's default initializer, Glorot uniform with fans
    kh·kw·in_channels and kh·kw·filters. ``dilation_rate`` d (an int or a pair) spaces the kernel's taps d pixels
    apart, a window of (k − 1)·d + 1, as Keras's (with strides of 1, as Keras requires). ``groups`` g splits the
    channels and the filters into g runs, each run of filters seeing its run of channels only (a kernel of
    (kh, kw, in_channels / g, filters), as Keras's); channels_first images are refused.

    >>> import fnlearn as fl, numpy as np
    >>> conv = fl.layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1))
    >>> conv.kernel.shape, conv.bias.shape, conv.compute_output_shape((28, 28, 1))
    ((3, 3, 1, 32), (32,), (26, 26, 32))
    >>> fl.layers.Conv2D(8, 3, dilation_rate=2).compute_output_shape((28, 28, 1))
    (24, 24, 8)
    """

    groups = 1  # the runs of channels and filters (set by __init__)

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = (1, 1), groups: int = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self._take_settings("Conv2D", filters, activation, use_bias, kernel_initializer, bias_initializer,
                            kernel_regularizer, bias_regularizer, kwargs)
        _channels_last(data_format, "Conv2D")
        if isinstance(padding, str) and padding.lower() == "causal":
            raise ConfigError("Conv2D got padding='causal', which only Conv1D has (as in Keras: sequences padded at "
                              "the front); give images padding='valid' or 'same'.")
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1 \
                or self.filters % groups:
            raise ConfigError(f"Conv2D got groups={groups!r} for {self.filters} filters; groups must be a positive "
                              "integer that divides filters (and the input channels), e.g. groups=1 (every filter "
                              "sees every input channel).")
        self.groups = int(groups)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = _pair(strides, "strides", "Conv2D")
        self.dilation_rate = _pair(dilation_rate, "dilation_rate", "Conv2D", "(2, 2)")
        _check_dilated_strides(self.strides, self.dilation_rate, (strides, dilation_rate), "Conv2D")
        self.padding = _padding(padding, "Conv2D")
        self._start(name, kwargs)
        if self.input_shape is not None:
            self.build(self.input_shape)

    @property
    def _reach(self) -> Pair:
        """The span of one window, its taps ``dilation_rate`` apart."""
        return ((self.kernel_size[0] - 1) * self.dilation_rate[0] + 1,
                (self.kernel_size[1] - 1) * self.dilation_rate[1] + 1)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        height, width, channels = _image_shape(input_shape, self._who())
        what = "kernel" if self.dilation_rate == (1, 1) else \
            f"dilated kernel ({self.kernel_size[0]}×{self.kernel_size[1]} taps {self.dilation_rate} apart)"
        _check_fits((height, width), self._reach, self.padding, self._who(), what)
        ho, wo, _, _ = _plan((1, height, width, channels), self._reach, self.strides, self.padding)
        return ho, wo, self.filters

    def kernel_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        channels = known_features(input_shape, self._who())
        if channels % self.groups:
            raise ShapeError(f"{self._who()} splits its input channels into groups={self.groups}, but was given "
                             f"images of {channels} channels; give it images whose channels are a multiple of "
                             f"{self.groups}, or change groups.")
        return (*self.kernel_size, channels // self.groups, self.filters)

    @property
    def input_features(self) -> int | None:
        """The input channels the built kernel takes (None before it is built)."""
        return None if self.kernel is None else int(self.kernel.shape[2]) * self.groups

    def forward(self, x: Any) -> Tensor:
        x = self._checked_input(x, "images")
        if self.groups != 1:
            return self.activation(grouped_conv2d(x, self.kernel, self.bias, self.groups, self.strides, self.padding,
                                                  self.dilation_rate, self._workspace))
        relu = self.activation is F.relu
        out = _conv2d(x, self.kernel, self.bias, self.strides, self.padding, relu, self._workspace, self.dilation_rate)
        return out if relu else self.activation(out)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "dilation_rate": list(self.dilation_rate)}
        if self.groups != 1:  # an ungrouped layer's settings stay as earlier files hold them
            config["groups"] = self.groups
        return config


def grouped_conv2d(x: Tensor, kernel: Tensor, bias: Tensor | None, groups: int, strides: Any = 1,
                   padding: str = "valid", dilation_rate: Any = 1, workspace: Workspace | None = None) -> Tensor:
    """The 2-D convolution of images ``x`` (N, H, W, C) in ``groups`` groups, Keras's ``Conv2D(groups=g)``: the
    channels split into g runs of C/g, the filters into g runs of F/g, and each run of filters sees only its run
    of channels; ``kernel`` is (kh, kw, C/g, F), as Keras stores it.

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor(np.arange(8.0).reshape(1, 2, 2, 2))
    >>> grouped_conv2d(x, fl.tensor(np.ones((2, 2, 1, 2))), None, groups=2).numpy().ravel().tolist()
    [12.0, 16.0]
    """
    channels, filters = x.shape[-1], kernel.shape[-1]
    if kernel.ndim != 4 or channels % groups or filters % groups or kernel.shape[2] * groups != channels:
        raise ShapeError(f"grouped_conv2d needs a kernel of shape (kh, kw, {channels}/groups, filters) for images "
                         f"with {channels} channels in groups={groups}, got a kernel of shape {kernel.shape}.")
    kh, kw, per_group, _ = kernel.shape
    if per_group == 1:
        # one channel per group is a depthwise convolution (ConvNeXt's, MobileNet's): filter c·M + m of Keras's
        # grouped kernel is depthwise kernel (c, m), so a reshape turns one into the other, no copy, no loop
        from .depthwise import _depthwise_conv2d  # here: depthwise.py builds on this module

        depthwise = F.reshape(kernel, (kh, kw, channels, filters // channels))
        return _depthwise_conv2d(x, depthwise, bias, strides, padding, workspace, dilation_rate)
    runs = filters // groups
    outs = [_conv2d(x[..., g * per_group:(g + 1) * per_group], kernel[..., g * runs:(g + 1) * runs], None, strides,
                    _padding(padding, "grouped_conv2d"), False, None, dilation_rate) for g in range(groups)]
    out = F.concatenate(outs, axis=-1)
    return out if bias is None else F.add(out, bias)


class _Pooling2D(Layer):
    """A window pooling layer (no weights): the op over ``pool_size`` windows ``strides`` apart."""

    _op = staticmethod(max_pool2d)
    _window = staticmethod(_pair)  # the reader of a window's sizes: a pair here, three for volumes

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        owner = type(self).__name__
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        _channels_last(data_format, owner)
        self.pool_size = self._window(pool_size, "pool_size", owner)
        self.strides = self.pool_size if strides is None else self._window(strides, "strides", owner)
        self.padding = _padding(padding, owner)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        who = f"{type(self).__name__} layer {self.name!r}"
        height, width, channels = _image_shape(input_shape, who)
        _check_fits((height, width), self.pool_size, self.padding, who, "pool")
        ho, wo, _, _ = _plan((1, height, width, channels), self.pool_size, self.strides, self.padding)
        return ho, wo, channels

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return self._pool(x)

    def _pool(self, x: Tensor) -> Tensor:
        return type(self)._op(x, self.pool_size, self.strides, self.padding)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """The largest value of each window, Keras's ``layers.MaxPooling2D`` (2×2 windows by default, as far apart
    as they are wide).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.MaxPooling2D((2, 2))(np.arange(16.0).reshape(1, 4, 4, 1)).numpy()[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """

    _op = staticmethod(max_pool2d)

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)
        self._workspace = Workspace()

    def _pool(self, x: Tensor) -> Tensor:
        return _max_pool2d(x, self.pool_size, self.strides, self.padding, self._workspace)


class AveragePooling2D(_Pooling2D):
    """The mean of each window, Keras's ``layers.AveragePooling2D`` (with ``padding="same"`` a border window is
    the mean of its values inside the image).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.AveragePooling2D(2)(np.arange(16.0).reshape(1, 4, 4, 1)).numpy()[0, :, :, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """

    _op = staticmethod(avg_pool2d)


class _GlobalPooling2D(Layer):
    """One value per channel over the whole image (no weights)."""

    def __init__(self, data_format: str | None = None, keepdims: bool = False, name: str | None = None,
                 **kwargs: Any) -> None:
        owner = type(self).__name__
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        _channels_last(data_format, owner)
        if not isinstance(keepdims, (bool, np.bool_)):
            raise ConfigError(f"{owner} keepdims must be True or False, got {keepdims!r}.")
        self.keepdims = bool(keepdims)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        _, _, channels = _image_shape(input_shape, f"{type(self).__name__} layer {self.name!r}", sizes=False)
        return (1, 1, channels) if self.keepdims else (channels,)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return self._reduce(x)

    def _reduce(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean of each channel over the image, Keras's ``layers.GlobalAveragePooling2D``: (N, H, W, C) → (N, C).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.GlobalAveragePooling2D()(np.arange(8.0).reshape(1, 2, 2, 2)).numpy().tolist()
    [[3.0, 4.0]]
    """

    def _reduce(self, x: Tensor) -> Tensor:
        return F.mean(x, axis=(1, 2), keepdims=self.keepdims)


class GlobalMaxPooling2D(_GlobalPooling2D):
    """The largest value of each channel over the image, Keras's ``layers.GlobalMaxPooling2D`` (a tie shares
    the gradient, as Keras's max does).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.GlobalMaxPooling2D(keepdims=True)(np.arange(8.0).reshape(1, 2, 2, 2)).shape
    (1, 1, 1, 2)
    """

    def _reduce(self, x: Tensor) -> Tensor:
        return F.max(x, axis=(1, 2), keepdims=self.keepdims)


class Reshape(Layer):
    """Each sample reshaped to ``target_shape`` (batch axis excluded; one size may be -1, found from the rest),
    Keras's ``layers.Reshape``: ``Reshape((28, 28, 1))`` turns rows of 784 pixels into images.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.Reshape((28, 28, 1))(np.zeros((5, 784))).shape, fl.layers.Reshape((-1, 2)).compute_output_shape((6,))
    ((5, 28, 28, 1), (3, 2))
    """

    def __init__(self, target_shape: Any, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Reshape", kwargs, allow=("input_shape",))
        sizes = (target_shape,) if isinstance(target_shape, (int, np.integer)) else target_shape
        try:
            sizes = tuple(sizes)
        except TypeError:
            sizes = ()
        valid = bool(sizes) and all(not isinstance(s, bool) and isinstance(s, (int, np.integer)) and (s > 0 or s == -1)
                                    for s in sizes) and sum(s == -1 for s in sizes) <= 1
        if not valid:
            raise ConfigError(f"Reshape target_shape must be a tuple of positive sizes, one of which may be -1 (found "
                              f"from the others), such as (28, 28, 1); got {target_shape!r}.")
        self.target_shape = tuple(int(s) for s in sizes)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        if None in tuple(input_shape):
            raise ShapeError(f"Reshape layer {self.name!r} got samples of shape {tuple(input_shape)}, with an unknown "
                             "size (None), and needs every size to reshape them; give the Input that size.")
        count = math.prod(int(s) for s in input_shape)
        known = math.prod(s for s in self.target_shape if s != -1)
        fits = count % known == 0 if -1 in self.target_shape else count == known
        if not fits:
            raise ShapeError(f"Reshape layer {self.name!r} cannot reshape samples of shape {tuple(input_shape)} "
                             f"({count} values) into {self.target_shape}: the number of values must stay the same; "
                             "fix target_shape (one size may be -1).")
        return tuple(count // known if s == -1 else s for s in self.target_shape)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        return F.reshape(x, (x.shape[0], *self.compute_output_shape(x.shape[1:])))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


CONVOLUTIONAL: dict[str, type[Layer]] = {cls.__name__: cls for cls in
                                         (Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
                                          GlobalMaxPooling2D, Reshape)}
LAYERS.update(CONVOLUTIONAL)  # the classes a model file may name

# Keras's shorter names for the same classes (keras.layers.MaxPool2D is MaxPooling2D); files name the long ones
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
