"""``keras.ops``: Keras 3's tensor functions for custom losses, metrics and small models, as fnlearn ops.

Each function has Keras's name, argument names and defaults (``axis=None, keepdims=False`` for the
reductions) and returns an fnlearn :class:`~fnlearn.tensor.Tensor` built from fnlearn's differentiable ops,
so a loss written with them trains: ``model.compile(loss=lambda t, p: ops.mean(ops.square(t - p), axis=-1))``.
Arrays, lists and numbers are accepted wherever Keras accepts them (as constants). ``argmax``, ``argmin``,
the comparisons, ``ones_like``/``zeros_like`` and casts to integer or bool types give values without a
gradient, as in Keras. One difference: lists of Python integers become floats (fnlearn's rule for
``fl.tensor``), where Keras makes int32.

Example (a Keras 3 custom loss, one value per sample; ``fit`` averages them):
    >>> import numpy as np
    >>> import fnlearn as fl
    >>> from fnlearn.keras import ops
    >>> def mse(y_true, y_pred):
    ...     return ops.mean(ops.square(y_true - y_pred), axis=-1)
    >>> y_pred = fl.tensor([[0.5, 2.0], [3.0, 1.0]], requires_grad=True)
    >>> per_sample = mse(np.array([[1.0, 1.0], [2.0, 2.0]]), y_pred)
    >>> per_sample.numpy().tolist()
    [0.625, 1.0]
    >>> ops.mean(per_sample).backward(); y_pred.grad.tolist()
    [[-0.25, 0.5], [0.5, -0.5]]
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..data import to_categorical
from ..errors import ConfigError, ShapeError
from ..losses import _clipped
from ..tensor import Tensor
from ._missing import not_provided

# ----------------------------------------------------------------------------- helpers

builtins_max = builtins.max
builtins_slice = builtins.slice


def _t(x: Any) -> Tensor:
    """``x`` as a tensor: tensors pass through (keeping the graph), anything else becomes a constant."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _float(x: Any) -> Tensor:
    """``x`` as a float tensor: integer and boolean values become the default float dtype (as Keras's float
    functions give floats)."""
    x = _t(x)
    return x if x.dtype.kind == "f" else Tensor(x.data.astype(backend.float_dtype()))


def _compare(ufunc: str, x1: Any, x2: Any) -> Tensor:
    a, b = F._pair(x1, x2)
    return Tensor(getattr(backend.xp(), ufunc)(a.data, b.data))


# ----------------------------------------------------------------------------- reductions


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (an int, a tuple, or None for all); integers give floats, as in Keras."""
    return F.mean(_float(x), axis, keepdims)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001  (Keras's name)
    """Sum over ``axis`` (an int, a tuple, or None for all)."""
    return F.sum(_t(x), axis, keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """Maximum over ``axis``, at least ``initial`` when given; ties share the gradient."""
    out = F.max(_t(x), axis, keepdims)
    return out if initial is None else F.maximum(out, initial)


def min(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """Minimum over ``axis``, at most ``initial`` when given; ties share the gradient."""
    out = F.min(_t(x), axis, keepdims)
    return out if initial is None else F.minimum(out, initial)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) over ``axis`` (None: all values, Keras's default), stable for large values."""
    return F.logsumexp(x, axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------------------- elementwise


def square(x: Any) -> Tensor:
    """x², elementwise."""
    x = _t(x)
    return F.mul(x, x)


def sqrt(x: Any) -> Tensor:
    """√x, elementwise."""
    return F.sqrt(_float(x))


def abs(x: Any) -> Tensor:  # noqa: A001  (Keras's name)
    """|x|, elementwise."""
    return F.abs(_t(x))


def exp(x: Any) -> Tensor:
    """eˣ, elementwise."""
    return F.exp(_float(x))


def log(x: Any) -> Tensor:
    """The natural logarithm, elementwise."""
    return F.log(_float(x))


def log1p(x: Any) -> Tensor:
    """log(1 + x), elementwise, exact for tiny x (where log of 1 + x loses every digit)."""
    x = _float(x)
    return Tensor._result(backend.xp().log1p(x.data), (x,), lambda g: (g / (1 + x.data),), "log1p")


def negative(x: Any) -> Tensor:
    """−x, elementwise."""
    return F.neg(_t(x))


def add(x1: Any, x2: Any) -> Tensor:
    """x1 + x2, broadcast."""
    return F.add(x1, x2)


def subtract(x1: Any, x2: Any) -> Tensor:
    """x1 − x2, broadcast."""
    return F.sub(x1, x2)


def multiply(x1: Any, x2: Any) -> Tensor:
    """x1 · x2, elementwise, broadcast."""
    return F.mul(x1, x2)


def divide(x1: Any, x2: Any) -> Tensor:
    """x1 / x2, elementwise, broadcast; integers divide into the default float dtype, as in Keras."""
    return F.div(_float(x1), _float(x2))


def power(x1: Any, x2: Any) -> Tensor:
    """x1 ** x2, elementwise, broadcast."""
    return F.pow(x1, x2)


def clip(x: Any, x_min: Any, x_max: Any) -> Tensor:
    """``x`` clamped into [x_min, x_max]; the gradient passes where it was inside."""
    return F.clip(_t(x), x_min, x_max)


def maximum(x1: Any, x2: Any) -> Tensor:
    """Elementwise maximum, broadcast; ties share the gradient."""
    return F.maximum(x1, x2)


def minimum(x1: Any, x2: Any) -> Tensor:
    """Elementwise minimum, broadcast; ties share the gradient."""
    return F.minimum(x1, x2)


def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """``x1`` where ``condition`` is true, else ``x2``; with neither, the indices where it is true (a tuple)."""
    if x1 is None and x2 is None:
        cond = _t(condition).data
        return tuple(Tensor(i.astype(np.int32)) for i in backend.xp().nonzero(cond))
    if x1 is None or x2 is None:
        raise ConfigError("where: give both x1 and x2 (the values to pick from), or neither (for the indices "
                          "where the condition holds).")
    picks = [x if isinstance(x, (bool, int, float)) else _t(x) for x in (x1, x2)]
    if builtins.any(isinstance(x, float) or (isinstance(x, Tensor) and x.dtype.kind == "f") for x in picks):
        return F.where(condition, x1, x2)
    # whole numbers or flags (labels, masks) keep Keras's dtype for them, with Python numbers weak: no gradient
    from .config import result_type

    dtype = result_type(*(x if not isinstance(x, Tensor) else x.dtype.name for x in picks))
    cond = _t(condition).data
    return Tensor(backend.xp().where(cond, *(x.data if isinstance(x, Tensor) else x for x in picks)).astype(dtype))


# ----------------------------------------------------------------------------- linear algebra and shapes


def matmul(x1: Any, x2: Any) -> Tensor:
    """The matrix product, batched over leading axes (NumPy's ``matmul``)."""
    return F.matmul(x1, x2)


def dot(x1: Any, x2: Any) -> Tensor:
    """NumPy's ``dot``: a product with a number, a matrix product for 1-D/2-D, else a sum over the last axis
    of ``x1`` and the second-to-last of ``x2``."""
    a, b = F._pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return F.mul(a, b)
    if b.ndim <= 2:
        return F.matmul(a, b)
    k, rest = b.shape[-2], b.shape[:-2] + b.shape[-1:]
    # (…, k, m) → (k, …, m) → (k, everything else), so one matrix product does it
    bt = F.reshape(F.transpose(b, (b.ndim - 2, *range(b.ndim - 2), b.ndim - 1)), (k, -1))
    return F.reshape(F.matmul(a, bt), a.shape[:-1] + rest)


def reshape(x: Any, newshape: Any) -> Tensor:
    """The same values in shape ``newshape`` (one axis may be -1)."""
    return F.reshape(_t(x), (newshape,) if isinstance(newshape, (int, np.integer)) else newshape)


def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Axes permuted by ``axes`` (None: reversed)."""
    return F.transpose(_t(x), axes)


def expand_dims(x: Any, axis: Any) -> Tensor:
    """A new axis of length 1 at ``axis`` (an int or a tuple of ints)."""
    return F.expand_dims(_t(x), axis)


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Axes of length 1 removed (only ``axis`` when given)."""
    return F.squeeze(_t(x), axis)


def concatenate(xs: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors joined along an existing axis; integers joined to floats become the floats' dtype."""
    parts = [_t(x) for x in xs]
    floats = [p.dtype for p in parts if p.dtype.kind == "f"]
    if floats:
        parts = [p if p.dtype.kind == "f" else Tensor(p.data.astype(floats[0])) for p in parts]
    return F.concatenate(parts, axis)


def stack(x: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors joined along a new axis."""
    return F.stack(x, axis)


def shape(x: Any) -> tuple[int, ...]:
    """The shape as a tuple of ints."""
    return tuple(int(n) for n in (x.shape if hasattr(x, "shape") else np.shape(x)))


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Tensor:
    """Integer labels as one-hot rows of ``num_classes`` (``keras.utils.to_categorical``'s values); no gradient.

    >>> one_hot([0, 2], num_classes=3).numpy().tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    if axis != -1 or sparse:
        raise ConfigError(f"one_hot(axis={axis!r}, sparse={sparse!r}) is not supported by fnlearn; it puts the "
                          "classes on the last axis, densely: leave axis=-1 and sparse=False.")
    labels = backend.to_numpy(x.data if isinstance(x, Tensor) else x)
    return Tensor(to_categorical(labels, num_classes, dtype or backend.get_default_dtype()))


# ----------------------------------------------------------------------------- activations


def softmax(x: Any, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``."""
    return F.softmax(x, axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, finite for any scores."""
    return F.log_softmax(x, axis)


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + e^(−x)), elementwise, without overflow."""
    return F.sigmoid(x)


def relu(x: Any) -> Tensor:
    """max(x, 0), elementwise."""
    return F.relu(x)


def tanh(x: Any) -> Tensor:
    """The hyperbolic tangent, elementwise."""
    return F.tanh(x)


def softplus(x: Any) -> Tensor:
    """log(1 + eˣ), elementwise, stable."""
    return F.softplus(x)


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The variance along ``axis`` (the mean squared distance from the mean, dividing by n as Keras does).

    >>> var([[1.0, 3.0], [5.0, 7.0]], axis=0).numpy().tolist()
    [4.0, 4.0]
    """
    x = _float(x)
    centred = F.sub(x, F.mean(x, axis=axis, keepdims=True))
    return F.mean(F.mul(centred, centred), axis=axis, keepdims=keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The standard deviation along ``axis``: √var."""
    return F.sqrt(var(x, axis=axis, keepdims=keepdims))


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """−[t·log p + (1 − t)·log(1 − p)] value by value, not averaged (Keras's ``ops`` function; p clipped to
    [ε, 1 − ε], ε the fuzz factor, or from raw scores with ``from_logits``)."""
    output, target = _float(output), _float(target)
    if from_logits:  # softplus(z) − z·t, the stable form of the same
        return F.sub(F.softplus(output), F.mul(output, target))
    p = _clipped(output)
    return F.neg(F.add(F.mul(target, F.log(p)), F.mul(F.sub(1.0, target), F.log(F.sub(1.0, p)))))


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """−Σ t·log p along ``axis`` (p normalised to sum to 1 and clipped to [ε, 1 − ε], or the log-softmax
    of raw scores with ``from_logits``), as Keras's ``ops`` function."""
    output, target = _float(output), _float(target)
    if from_logits:
        log_p = F.log_softmax(output, axis=axis)
    else:
        log_p = F.log(_clipped(F.div(output, F.sum(output, axis=axis, keepdims=True))))
    return F.neg(F.sum(F.mul(target, log_p), axis=axis))


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """−log p[label] per sample, for integer labels (Keras's ``ops`` function)."""
    if axis != -1:
        raise ConfigError(f"sparse_categorical_crossentropy(axis={axis!r}) is not supported; fnlearn's classes lie "
                          "along the last axis.")
    from ..losses import sparse_categorical_crossentropy as loss

    return loss(_t(target).data, _float(output), from_logits=from_logits, reduction="none")


# ----------------------------------------------------------------------------- dtypes and constants


def cast(x: Any, dtype: Any) -> Tensor:
    """``x`` as ``dtype``: to a float type the graph is kept; to an integer or bool type there is no gradient."""
    x, dtype = _t(x), np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype.kind == "f":
        return F.cast(x, dtype)
    return Tensor(x.data.astype(dtype), dtype=dtype)


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Any:
    """``x`` as an fnlearn tensor (``fl.tensor``); a tensor is returned as it is unless ``dtype`` differs. Texts
    (a string, or a list or array of them) come back as a NumPy array of ``str``, the form a model's string Input and
    text layers take (tensors hold numbers only), as Keras's tutorials convert a sample's category for ``predict``.

    >>> convert_to_tensor(["fixed"]).tolist(), convert_to_tensor([1.5, 2.0]).shape
    (['fixed'], (2,))
    """
    if dtype in (None, "string", str) and not isinstance(x, Tensor):
        texts = np.asarray(x) if isinstance(x, (str, bytes, list, tuple, np.ndarray)) else None
        if texts is not None and texts.dtype.kind in "US":
            return texts.astype(str)
    if sparse or ragged:
        raise ConfigError("convert_to_tensor(sparse=True / ragged=True) is not supported by fnlearn; its tensors "
                          "are dense.")
    if isinstance(x, Tensor):
        return x if dtype is None else cast(x, dtype)
    if dtype is None:  # integers and booleans stay so, as Keras keeps them (indices for take, say)
        kind = getattr(x, "dtype", None)
        kind = np.asarray(x).dtype if kind is None else np.dtype(kind)
        if kind.kind in "iub":
            dtype = kind if hasattr(x, "dtype") else ("bool" if kind.kind == "b" else "int32")
    return Tensor(x, dtype=dtype)


def ones(shape: Any, dtype: Any = None) -> Tensor:
    """Ones of ``shape`` (the default float dtype unless ``dtype`` is given); no gradient.

    >>> ones((2, 3)).shape
    (2, 3)
    """
    data = backend.xp().ones(shape, dtype=backend.float_dtype() if dtype is None else dtype)
    return Tensor(data, dtype=data.dtype)


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """Zeros of ``shape`` (the default float dtype unless ``dtype`` is given); no gradient."""
    data = backend.xp().zeros(shape, dtype=backend.float_dtype() if dtype is None else dtype)
    return Tensor(data, dtype=data.dtype)


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """Ones of ``x``'s shape (and dtype, unless ``dtype`` is given); no gradient."""
    data = backend.xp().ones_like(_t(x).data, dtype=dtype)
    return Tensor(data, dtype=data.dtype)


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """Zeros of ``x``'s shape (and dtype, unless ``dtype`` is given); no gradient."""
    data = backend.xp().zeros_like(_t(x).data, dtype=dtype)
    return Tensor(data, dtype=data.dtype)


# ----------------------------------------------------------------------------- without a gradient


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the largest value along ``axis`` (None: in the flattened values), as int32 (Keras's)."""
    out = backend.xp().argmax(_t(x).data, axis=axis, keepdims=keepdims)
    return Tensor(out.astype(np.int32), dtype=np.int32)


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """Index of the smallest value along ``axis`` (None: in the flattened values), as int32 (Keras's)."""
    out = backend.xp().argmin(_t(x).data, axis=axis, keepdims=keepdims)
    return Tensor(out.astype(np.int32), dtype=np.int32)


def _comparison(ufunc: str, sign: str) -> Any:
    def compare(x1: Any, x2: Any) -> Tensor:
        return _compare(ufunc, x1, x2)

    compare.__name__ = compare.__qualname__ = ufunc
    compare.__doc__ = f"x1 {sign} x2, elementwise, as booleans."
    return compare


equal = _comparison("equal", "==")
not_equal = _comparison("not_equal", "!=")
greater = _comparison("greater", ">")
greater_equal = _comparison("greater_equal", ">=")
less = _comparison("less", "<")
less_equal = _comparison("less_equal", "<=")


def _no_gradient(ufunc: str, what: str) -> Any:
    def apply(x: Any) -> Tensor:
        data = getattr(backend.xp(), ufunc)(_t(x).data)
        return Tensor(data, dtype=data.dtype)

    apply.__name__ = apply.__qualname__ = ufunc
    apply.__doc__ = f"{what}, value by value; no gradient (its slope is 0 almost everywhere, as in Keras)."
    return apply


floor = _no_gradient("floor", "The largest integer ≤ x")
ceil = _no_gradient("ceil", "The smallest integer ≥ x")
sign = _no_gradient("sign", "−1, 0 or 1 as x is below, at or above 0")
isnan = _no_gradient("isnan", "Whether x is NaN")
isinf = _no_gradient("isinf", "Whether x is ±inf")
isfinite = _no_gradient("isfinite", "Whether x is a finite number")
logical_not = _no_gradient("logical_not", "not x")


def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001  (Keras's name)
    """x rounded to ``decimals`` places, halves to even (as Keras and NumPy round); no gradient.

    >>> round([0.5, 1.5, 2.26], decimals=0).numpy().tolist()
    [0.0, 2.0, 2.0]
    """
    data = backend.xp().round(_t(x).data, decimals)
    return Tensor(data, dtype=data.dtype)


logical_and = _comparison("logical_and", "and")
logical_or = _comparison("logical_or", "or")
logical_xor = _comparison("logical_xor", "xor")


def convert_to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (from the device, on a GPU).

    >>> convert_to_numpy(ones((2,))).tolist()
    [1.0, 1.0]
    """
    return np.asarray(backend.to_numpy(x.data if isinstance(x, Tensor) else x))


# ----------------------------------------------------------------------------- convolution


def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", data_format: Any = None,
         dilation_rate: Any = 1) -> Tensor:
    """The convolution of channels-last sequences, images or volumes (batch, *sizes, channels) with a kernel
    (*kernel_size, channels, filters), Keras's ``ops.conv`` (fnlearn's :func:`fnlearn.nn.conv_lstm.conv_nd`), its
    taps ``dilation_rate`` apart.

    >>> import numpy as np
    >>> conv(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))).numpy()[0, :, :, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    """
    from ..nn import conv as C
    from ..nn.conv_lstm import conv_nd

    C._channels_last(data_format, "ops.conv")
    return conv_nd(_float(inputs), _float(kernel), strides, padding, dilation_rate)



def _sequences_as_rows(x: Tensor, kernel: Tensor, strides: Any, dilation_rate: Any, owner: str) -> tuple:
    """Sequences (N, steps, C) and a 1-D kernel as images one pixel high and a kernel one tap high, with their
    strides and dilation as pairs: the 1-D ops are the 2-D ones on those."""
    from ..nn.text import _length, _one_row

    steps = _length(strides, owner, "strides")
    rate = _length(dilation_rate, owner, "dilation_rate")
    return _one_row(x), F.reshape(kernel, (1, *kernel.shape)), (1, steps), (1, rate)


def _rank_of(x: Tensor, kernel: Tensor, ranks: tuple[int, ...], kernel_axes: str, owner: str) -> int:
    """The number of spatial axes of channels-last ``x``, one of ``ranks``, the kernel having as many plus two."""
    rank = x.ndim - 2
    if rank not in ranks or kernel.ndim != x.ndim:
        sizes = " or ".join(f"{r}-D" for r in ranks)
        raise ShapeError(f"{owner} takes channels-last inputs over {sizes} (batch, *sizes, channels) and a kernel "
                         f"(*kernel_size, {kernel_axes}), got inputs of shape {tuple(x.shape)} and a kernel of shape "
                         f"{tuple(kernel.shape)}; give a kernel with as many axes as the inputs.")
    return rank


def conv_transpose(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", output_padding: Any = None,
                   data_format: Any = None, dilation_rate: Any = 1) -> Tensor:
    """The transposed convolution of channels-last sequences, images or volumes with a kernel
    (*kernel_size, filters, channels), Keras's ``ops.conv_transpose`` (what its ``Conv1DTranspose``,
    ``Conv2DTranspose`` and ``Conv3DTranspose`` compute): Keras's output sizes and ``output_padding``; no dilation.

    >>> import numpy as np
    >>> conv_transpose(np.array([1.0, 2.0]).reshape(1, 2, 1), np.ones((2, 1, 1))).numpy().ravel().tolist()
    [1.0, 3.0, 2.0]
    """
    from ..nn import conv as C
    from ..nn.text import _rows_back
    from ..nn.transpose import conv2d_transpose
    from ..nn.volume import conv3d_transpose

    C._channels_last(data_format, "ops.conv_transpose")
    x, k = _float(inputs), _float(kernel)
    rank = _rank_of(x, k, (1, 2, 3), "filters, channels", "ops.conv_transpose")
    if dilation_rate not in (1, (1,) * rank, [1] * rank):
        raise ConfigError(f"ops.conv_transpose got dilation_rate={dilation_rate!r}; fnlearn's transposed "
                          "convolutions have dilation_rate=1 only, so leave it out.")
    if rank == 3:
        return conv3d_transpose(x, k, None, strides, padding, output_padding)
    if rank == 2:
        return conv2d_transpose(x, k, None, strides, padding, output_padding)
    rows, kernel_row, steps, _ = _sequences_as_rows(x, k, strides, 1, "ops.conv_transpose")
    one = isinstance(output_padding, (tuple, list)) and len(output_padding) == 1
    extra = output_padding[0] if one else output_padding
    out = conv2d_transpose(rows, kernel_row, None, steps, padding, None if extra is None else (0, extra))
    return _rows_back(out)


def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", data_format: Any = None,
                   dilation_rate: Any = 1) -> Tensor:
    """Each channel of channels-last sequences or images convolved with its own ``M`` kernels, the kernel
    (*kernel_size, channels, M), giving channels·M channels, Keras's ``ops.depthwise_conv`` (its
    ``DepthwiseConv1D`` and ``DepthwiseConv2D``).

    >>> import numpy as np
    >>> depthwise_conv(np.arange(8.0).reshape(1, 2, 2, 2), np.ones((2, 2, 2, 1))).numpy().ravel().tolist()
    [12.0, 16.0]
    """
    from ..nn import conv as C

    C._channels_last(data_format, "ops.depthwise_conv")
    x, k = _float(inputs), _float(kernel)
    return _depthwise(x, k, strides, padding, dilation_rate, "ops.depthwise_conv")


def _depthwise(x: Tensor, kernel: Tensor, strides: Any, padding: str, dilation_rate: Any, owner: str) -> Tensor:
    from ..nn.depthwise import depthwise_conv2d
    from ..nn.text import _rows_back

    if _rank_of(x, kernel, (1, 2), "channels, depth_multiplier", owner) == 2:
        return depthwise_conv2d(x, kernel, None, strides, padding, dilation_rate)
    rows, kernel_row, steps, rates = _sequences_as_rows(x, kernel, strides, dilation_rate, owner)
    out = depthwise_conv2d(rows, kernel_row, None, steps, padding, rates)
    return _rows_back(out)


def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1,
                   padding: str = "valid", data_format: Any = None, dilation_rate: Any = 1) -> Tensor:
    """:func:`depthwise_conv`, then a 1-wide convolution with ``pointwise_kernel`` (1, …, channels·M, filters)
    mixing the channels, Keras's ``ops.separable_conv`` (its ``SeparableConv1D`` and ``SeparableConv2D`` without
    the bias).

    >>> import numpy as np
    >>> separable_conv(np.ones((1, 3, 2)), np.ones((2, 2, 1)), np.ones((1, 2, 3))).numpy()[0].tolist()
    [[4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]
    """
    from ..nn import conv as C
    from ..nn.conv_lstm import conv_nd

    C._channels_last(data_format, "ops.separable_conv")
    x, k, pointwise = _float(inputs), _float(depthwise_kernel), _float(pointwise_kernel)
    depthwise = _depthwise(x, k, strides, padding, dilation_rate, "ops.separable_conv")
    if pointwise.ndim != x.ndim or builtins.any(size != 1 for size in pointwise.shape[:-2]) \
            or pointwise.shape[-2] != depthwise.shape[-1]:
        raise ShapeError(f"ops.separable_conv needs a pointwise_kernel of shape "
                         f"{(*(1,) * (x.ndim - 2), depthwise.shape[-1], 'filters')} for a depthwise step giving "
                         f"{depthwise.shape[-1]} channels, got one of shape {tuple(pointwise.shape)}.")
    return conv_nd(depthwise, pointwise)

def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: Any = None) -> Tensor:
    """The largest value of each window of channels-last images, Keras's ``ops.max_pool``.

    >>> import numpy as np
    >>> max_pool(np.arange(16.0).reshape(1, 4, 4, 1), 2).numpy()[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    from ..nn import conv as C

    C._channels_last(data_format, "ops.max_pool")
    return C.max_pool2d(_float(inputs), pool_size, strides, padding)


def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: Any = None) -> Tensor:
    """The mean of each window of channels-last images, Keras's ``ops.average_pool``.

    >>> import numpy as np
    >>> average_pool(np.arange(16.0).reshape(1, 4, 4, 1), 2).numpy()[0, :, :, 0].tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    from ..nn import conv as C

    C._channels_last(data_format, "ops.average_pool")
    return C.avg_pool2d(_float(inputs), pool_size, strides, padding)



def _adaptive(inputs: Any, output_size: Any, data_format: Any, largest: bool, owner: str) -> Tensor:
    """Channels-last ``inputs`` of any rank 3–5 pooled to ``output_size``, for the two adaptive-pooling ops."""
    from ..errors import ShapeError
    from ..nn import adaptive as A
    from ..nn import conv as C

    C._channels_last(data_format, owner)
    x = _float(inputs)
    if not 3 <= x.ndim <= 5:
        raise ShapeError(f"{owner} got an input of shape {tuple(x.shape)}; it takes a batch of sequences, images or "
                         "volumes, channels last (3-D to 5-D).")
    return A.adaptive_pool(x, A.output_sizes(output_size, x.ndim - 2, owner), largest)


def adaptive_average_pool(inputs: Any, output_size: Any, data_format: Any = None) -> Tensor:
    """The mean of each of ``output_size`` windows along each axis of channels-last sequences, images or volumes,
    Keras's ``ops.adaptive_average_pool``.

    >>> import numpy as np
    >>> adaptive_average_pool(np.arange(5.0).reshape(1, 5, 1), 2).numpy().ravel().tolist()
    [1.0, 3.0]
    """
    return _adaptive(inputs, output_size, data_format, False, "ops.adaptive_average_pool")


def adaptive_max_pool(inputs: Any, output_size: Any, data_format: Any = None) -> Tensor:
    """The largest value of each of ``output_size`` windows along each axis, Keras's ``ops.adaptive_max_pool``.

    >>> import numpy as np
    >>> adaptive_max_pool(np.arange(5.0).reshape(1, 5, 1), 2).numpy().ravel().tolist()
    [2.0, 4.0]
    """
    return _adaptive(inputs, output_size, data_format, True, "ops.adaptive_max_pool")

# ----------------------------------------------------------------------------- creation (no gradient)


def _int_or_float(values: Sequence[Any], dtype: Any) -> Any:
    """Keras's dtype for numbers made from ``values``: int32 when all are whole numbers, else the default float."""
    if dtype is not None:
        return np.dtype(dtype)
    if builtins.all(isinstance(v, (bool, int, np.integer)) for v in values if v is not None):
        return np.dtype(np.int32)
    return np.dtype(backend.float_dtype())


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop) (``arange(n)``: 0 … n − 1), int32 for whole numbers as in Keras;
    no gradient. The positions of a positional embedding: ``ops.arange(start=0, stop=maxlen, step=1)``.

    >>> arange(start=0, stop=4, step=1).numpy().tolist()
    [0, 1, 2, 3]
    """
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ConfigError("arange: step must not be 0.")
    dt = _int_or_float([start, stop, step], dtype)
    data = backend.xp().arange(start, stop, step).astype(dt)
    return Tensor(data, dtype=dt)


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (included unless ``endpoint=False``); no gradient.

    >>> linspace(0.0, 1.0, num=3).numpy().tolist()
    [0.0, 0.5, 1.0]
    """
    if not isinstance(num, (int, np.integer)) or num < 0:
        raise ConfigError(f"linspace: num must be a whole number ≥ 0, got {num!r}.")
    dt = np.dtype(backend.float_dtype() if dtype is None else dtype)
    data, step = backend.xp().linspace(_t(start).data, _t(stop).data, int(num), endpoint=endpoint, retstep=True,
                                       axis=axis)
    out = Tensor(data.astype(dt), dtype=dt)
    return (out, step) if retstep else out


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803  (Keras's names)
    """The N×M matrix with ones on diagonal ``k`` (default float dtype); no gradient.

    >>> eye(2).numpy().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    dt = np.dtype(backend.float_dtype() if dtype is None else dtype)
    return Tensor(backend.xp().eye(int(N), None if M is None else int(M), int(k), dtype=dt), dtype=dt)


def identity(n: int, dtype: Any = None) -> Tensor:
    """The n×n identity matrix; no gradient."""
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803  (Keras's names)
    """Ones on and below diagonal ``k`` of an N×M matrix, zeros above (a causal mask); no gradient.

    >>> tri(3, dtype="bool").numpy().astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    dt = np.dtype(backend.float_dtype() if dtype is None else dtype)
    return Tensor(backend.xp().tri(int(N), None if M is None else int(M), int(k), dtype=dt), dtype=dt)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``shape`` filled with ``fill_value`` (its dtype, floats as the default float); no gradient.

    >>> full((2,), 7).numpy().tolist()
    [7, 7]
    """
    value = fill_value.data if isinstance(fill_value, Tensor) else np.asarray(fill_value)
    dt = np.dtype(dtype) if dtype is not None else (np.dtype(backend.float_dtype()) if value.dtype.kind == "f"
                                                    else np.dtype(np.int32) if value.dtype.kind in "iu"
                                                    else value.dtype)
    data = backend.xp().empty(shape, dtype=dt)
    data[...] = value if backend.is_array(value) else backend.to_device(value)
    return Tensor(data, dtype=dt)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``x``'s shape (and dtype, unless ``dtype`` is given) filled with ``fill_value``; no gradient."""
    x = _t(x)
    dt = x.dtype if dtype is None else np.dtype(dtype)
    data = backend.xp().empty(x.shape, dtype=dt)
    data[...] = _t(fill_value).data
    return Tensor(data, dtype=dt)


def meshgrid(*x: Any, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D ranges (NumPy's ``meshgrid``); no gradient."""
    if indexing not in ("xy", "ij"):
        raise ConfigError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}.")
    return [Tensor(g) for g in backend.xp().meshgrid(*[_t(v).data for v in x], indexing=indexing)]


# ----------------------------------------------------------------------------- triangles, gathers, tiles, scans


def _triangle(x: Any, k: int, lower: bool) -> Tensor:
    x = _t(x)
    if x.ndim < 2:
        raise ShapeError(f"{'tril' if lower else 'triu'} needs a matrix (2 axes or more), got shape {x.shape}.")
    n, m = x.shape[-2:]
    keep = backend.xp().tri(n, m, int(k), dtype=bool)
    if not lower:
        keep = ~backend.xp().tri(n, m, int(k) - 1, dtype=bool)
    if not x.requires_grad:
        return Tensor(backend.xp().where(keep, x.data, 0).astype(x.dtype), dtype=x.dtype)
    return F.where(Tensor(keep), x, 0.0)


def tril(x: Any, k: int = 0) -> Tensor:
    """``x`` with the values above diagonal ``k`` of its last two axes set to 0 (the gradient passes below).

    >>> tril(ones((3, 3))).numpy().tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0]]
    """
    return _triangle(x, k, lower=True)


def triu(x: Any, k: int = 0) -> Tensor:
    """``x`` with the values below diagonal ``k`` of its last two axes set to 0 (the gradient passes above)."""
    return _triangle(x, k, lower=False)


def take(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """The slices of ``x`` at ``indices`` along ``axis`` (None: of the flattened values); an embedding lookup is
    ``take(table, ids, axis=0)``. The gradient adds back into the picked slices.

    >>> take([[1.0, 2.0], [3.0, 4.0]], [1, 0], axis=0).numpy().tolist()
    [[3.0, 4.0], [1.0, 2.0]]
    """
    return F.take(_t(x), indices, axis)


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Tensor:
    """``x``'s values at ``indices`` along ``axis`` (NumPy's ``take_along_axis``); differentiable in ``x``."""
    return F.take_along_axis(_t(x), indices, axis)


def tile(x: Any, repeats: Any) -> Tensor:
    """``x`` repeated ``repeats`` times along each axis; differentiable."""
    return F.tile(_t(x), repeats)


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Each value (each slice along ``axis``; None: of the flattened values) repeated ``repeats`` times (an int,
    or one count per slice); differentiable.

    >>> repeat([1.0, 2.0], 2).numpy().tolist()
    [1.0, 1.0, 2.0, 2.0]
    """
    x = _t(x)
    if axis is None:
        x, axis = F.reshape(x, (-1,)), 0
    n = x.shape[F._one_axis(axis, x.ndim, "repeat")]
    counts = np.asarray(backend.to_numpy(repeats.data) if isinstance(repeats, Tensor) else repeats)
    if counts.dtype.kind not in "iu" or (counts < 0).any() or counts.ndim > 1 or counts.size not in (1, n):
        raise ConfigError(f"repeat: repeats must be a whole number ≥ 0 or one per slice ({n}), got {repeats!r}.")
    return F.take(x, np.repeat(np.arange(n), counts.reshape(-1) if counts.size == n else int(counts.reshape(-1)[0])),
                  axis)


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """``x`` padded by ``pad_width`` (one (before, after) pair per axis) with ``constant_values`` (0 when None);
    only ``mode="constant"``. Differentiable.

    >>> pad([1.0, 2.0], ((1, 1),)).numpy().tolist()
    [0.0, 1.0, 2.0, 0.0]
    """
    return F.pad(_t(x), pad_width, mode, 0 if constant_values is None else constant_values)


def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Running sums along ``axis`` (None: of the flattened values); differentiable.

    >>> cumsum([1.0, 2.0, 3.0]).numpy().tolist()
    [1.0, 3.0, 6.0]
    """
    x = _t(x)
    return F.cumsum(x if dtype is None else cast(x, dtype), axis)


def einsum(subscripts: str, *operands: Any, **kwargs: Any) -> Tensor:
    """Einstein summation (``"bqd,bkd->bqk"`` for attention scores, ``...`` allowed); differentiable in every
    operand.

    >>> import numpy as np
    >>> einsum("ij,j->i", np.ones((2, 3)), [1.0, 2.0, 3.0]).numpy().tolist()
    [6.0, 6.0]
    """
    if kwargs:
        raise ConfigError(f"einsum got {sorted(kwargs)}; fnlearn's einsum takes only the subscripts and operands.")
    return F.einsum(subscripts, *operands)


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Tensor:
    """Sums over ``axes`` of ``x1`` and ``x2`` (NumPy's ``tensordot``: an int, the last n axes of x1 with the
    first n of x2, or two lists of axes); differentiable."""
    a, b = F._pair(x1, x2)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(a.ndim - int(axes), a.ndim)), list(range(int(axes)))
    else:
        ax_a, ax_b = ([v] if isinstance(v, (int, np.integer)) else list(v) for v in axes)
    ax_a, ax_b = [i % builtins_max(a.ndim, 1) for i in ax_a], [i % builtins_max(b.ndim, 1) for i in ax_b]
    letters = "abcdefghijklmnopqrstuvwxyz"
    sa = letters[:a.ndim]
    sb = list(letters[a.ndim:a.ndim + b.ndim])
    for i, j in zip(ax_a, ax_b):
        sb[j] = sa[i]
    out = "".join(c for i, c in enumerate(sa) if i not in ax_a) + "".join(c for j, c in enumerate(sb)
                                                                          if j not in ax_b)
    return F.einsum(f"{sa},{''.join(sb)}->{out}", a, b)


def outer(x1: Any, x2: Any) -> Tensor:
    """The outer product of the flattened ``x1`` and ``x2``; differentiable."""
    a, b = F._pair(x1, x2)
    return F.einsum("i,j->ij", F.reshape(a, (-1,)), F.reshape(b, (-1,)))


def segment_sum(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Tensor:  # noqa: A002
    """Sums of the rows of ``data`` sharing a segment id (ids past ``num_segments`` dropped); differentiable."""
    return F.segment_sum(data, segment_ids, num_segments)


def argsort(x: Any, axis: int = -1) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (None: the flattened values), ascending, as int32; no gradient.

    >>> argsort([3.0, 1.0, 2.0]).numpy().tolist()
    [1, 2, 0]
    """
    data = _t(x).data
    out = backend.xp().argsort(data.reshape(-1) if axis is None else data, axis=-1 if axis is None else axis,
                               kind="stable")
    return Tensor(out.astype(np.int32), dtype=np.int32)


def sort(x: Any, axis: int = -1) -> Tensor:
    """``x`` sorted ascending along ``axis``; the gradient goes back to each value's place.

    >>> sort([3.0, 1.0, 2.0]).numpy().tolist()
    [1.0, 2.0, 3.0]
    """
    x = _t(x)
    if axis is None:
        x, axis = F.reshape(x, (-1,)), -1
    return F.take_along_axis(x, argsort(x, axis).data, axis)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002  (Keras's name)
    """The ``k`` largest values along the last axis and their indices (int32, no gradient); the values' gradient
    goes back to the places they came from. Ties keep the lower index first.

    >>> values, indices = top_k([1.0, 5.0, 3.0], k=2)
    >>> values.numpy().tolist(), indices.numpy().tolist()
    ([5.0, 3.0], [1, 2])
    """
    x = _t(x)
    if x.ndim == 0 or not isinstance(k, (int, np.integer)) or not 0 <= k <= x.shape[-1]:
        raise ConfigError(f"top_k: k must be a whole number from 0 to the last axis's length "
                          f"({x.shape[-1] if x.ndim else 'none: a scalar has no axis'}), got {k!r}.")
    order = backend.xp().argsort(-x.data if x.dtype.kind != "b" else ~x.data, axis=-1, kind="stable")[..., :int(k)]
    indices = Tensor(order.astype(np.int32), dtype=np.int32)
    return F.take_along_axis(x, order, -1), indices


def flip(x: Any, axis: Any = None) -> Tensor:
    """``x`` with ``axis`` reversed (None: every axis); differentiable."""
    return F.flip(_t(x), axis)


def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """``x`` shifted by ``shift`` places along ``axis`` (None: the flattened values), wrapping around;
    differentiable.

    >>> roll([1.0, 2.0, 3.0], 1).numpy().tolist()
    [3.0, 1.0, 2.0]
    """
    x = _t(x)
    if axis is None:
        return F.reshape(roll(F.reshape(x, (-1,)), shift, 0), x.shape)
    try:
        pairs = np.broadcast(np.asarray(shift), np.asarray(axis))
    except ValueError:
        raise ConfigError(f"roll: give one shift per axis, got shift={shift!r} and axis={axis!r}.") from None
    for s, a in pairs:
        n = x.shape[F._one_axis(int(a), x.ndim, "roll")]
        x = F.take(x, (np.arange(n) - int(s)) % builtins_max(n, 1), int(a))
    return x


def broadcast_to(x: Any, shape: Any) -> Tensor:
    """``x`` broadcast to ``shape``; the gradient sums the copies."""
    return F.broadcast_to(_t(x), shape)


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """``x`` with axes ``source`` moved to ``destination`` (NumPy's ``moveaxis``); differentiable."""
    x = _t(x)
    src = [int(a) % builtins_max(x.ndim, 1) for a in np.atleast_1d(source)]
    dst = [int(a) % builtins_max(x.ndim, 1) for a in np.atleast_1d(destination)]
    if len(src) != len(dst):
        raise ConfigError(f"moveaxis: give one destination per source axis, got {source!r} and {destination!r}.")
    order = [n for n in range(x.ndim) if n not in src]
    for d, a in sorted(zip(dst, src)):  # NumPy's own construction
        order.insert(d, a)
    return F.transpose(x, order)


def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """``x`` with two axes exchanged; differentiable."""
    x = _t(x)
    order = list(range(x.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return F.transpose(x, order)


def ravel(x: Any) -> Tensor:
    """The values of ``x`` as one axis."""
    return F.reshape(_t(x), (-1,))


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """``x`` cut along ``axis`` into equal parts (an int) or at the given indices; each part differentiable."""
    x = _t(x)
    ax = F._one_axis(axis, x.ndim, "split")
    n = x.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        if indices_or_sections <= 0 or n % int(indices_or_sections):
            raise ShapeError(f"split: axis {axis} of length {n} does not split into {indices_or_sections} equal "
                             "parts; give a divisor of its length, or the indices to cut at.")
        step = n // int(indices_or_sections)
        cuts = list(range(step, n, step)) if step else []
    else:
        cuts = [int(i) for i in indices_or_sections]
    bounds = [0, *cuts, n]
    head = (builtins_slice(None),) * ax
    return [F.getitem(x, (*head, builtins_slice(lo, hi))) for lo, hi in zip(bounds[:-1], bounds[1:])]


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Tensor]:
    """The slices of ``x`` along ``axis``, as a list; each differentiable."""
    x = _t(x)
    ax = F._one_axis(axis, x.ndim, "unstack")
    if num is not None and num != x.shape[ax]:
        raise ShapeError(f"unstack: num={num} but axis {axis} has length {x.shape[ax]}.")
    return [F.getitem(x, (builtins_slice(None),) * ax + (i,)) for i in range(x.shape[ax])]


def hstack(xs: Sequence[Any]) -> Tensor:
    """The tensors joined along axis 1 (axis 0 for 1-D ones), NumPy's ``hstack``."""
    parts = [_t(x) for x in xs]
    return concatenate(parts, axis=0 if parts and parts[0].ndim == 1 else 1)


def vstack(xs: Sequence[Any]) -> Tensor:
    """The tensors joined along axis 0 (1-D ones become rows), NumPy's ``vstack``."""
    return concatenate([F.reshape(p, (1, -1)) if p.ndim == 1 else p for p in (_t(x) for x in xs)], axis=0)


def slice(inputs: Any, start_indices: Sequence[int], shape: Sequence[int]) -> Tensor:  # noqa: A001
    """The block of ``inputs`` starting at ``start_indices`` of size ``shape`` (Keras's ``ops.slice``)."""
    x = _t(inputs)
    return F.getitem(x, tuple(builtins_slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, shape)))


def stop_gradient(variable: Any) -> Tensor:
    """The same values, with no gradient flowing back through them (``ops.stop_gradient``)."""
    x = _t(variable)
    return Tensor(x.data, dtype=x.dtype)


# ----------------------------------------------------------------------------- more elementwise and reductions


def sin(x: Any) -> Tensor:
    """sin x (radians), elementwise; sinusoidal position encodings use it."""
    return F.sin(_float(x))


def cos(x: Any) -> Tensor:
    """cos x (radians), elementwise."""
    return F.cos(_float(x))


def reciprocal(x: Any) -> Tensor:
    """1 / x, elementwise."""
    x = _float(x)
    return F.div(F._lift(1.0, x), x)


def rsqrt(x: Any) -> Tensor:
    """1 / √x, elementwise."""
    return reciprocal(F.sqrt(_float(x)))


def log2(x: Any) -> Tensor:
    """The base-2 logarithm, elementwise."""
    return F.div(F.log(_float(x)), float(np.log(2.0)))


def log10(x: Any) -> Tensor:
    """The base-10 logarithm, elementwise."""
    return F.div(F.log(_float(x)), float(np.log(10.0)))


absolute = abs
amax = max
amin = min


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """The Euclidean norm √Σx² over ``axis`` (None: all values; ``ord`` None, 2 on vectors or 'fro' only)."""
    if ord not in (None, "fro", 2, "euclidean"):
        raise ConfigError(f"norm(ord={ord!r}) is not supported by fnlearn; it computes the Euclidean norm: leave "
                          "ord=None.")
    x = _float(x)
    return F.sqrt(F.sum(F.mul(x, x), axis=axis, keepdims=keepdims))


def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> tuple[Tensor, Tensor]:
    """The mean and the variance of ``x`` over ``axes``; both differentiable."""
    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether any value along ``axis`` is true (non-zero); no gradient."""
    return Tensor(backend.xp().any(_t(x).data, axis=axis, keepdims=keepdims))


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether every value along ``axis`` is true (non-zero); no gradient."""
    return Tensor(backend.xp().all(_t(x).data, axis=axis, keepdims=keepdims))


def count_nonzero(x: Any, axis: Any = None) -> Tensor:
    """How many values along ``axis`` are non-zero, as int32; no gradient."""
    out = backend.xp().count_nonzero(_t(x).data, axis=axis)
    return Tensor(backend.xp().asarray(out).astype(np.int32), dtype=np.int32)


def nonzero(x: Any) -> tuple[Tensor, ...]:
    """The indices of the non-zero values, one int32 tensor per axis; no gradient."""
    return tuple(Tensor(i.astype(np.int32), dtype=np.int32) for i in backend.xp().nonzero(_t(x).data))


def size(x: Any) -> int:
    """How many values ``x`` holds."""
    return int(np.prod(shape(x)))


def ndim(x: Any) -> int:
    """How many axes ``x`` has."""
    return len(shape(x))


floor_divide = _comparison("floor_divide", "//")
floor_divide.__doc__ = "x1 // x2, elementwise, broadcast; no gradient."
mod = _comparison("mod", "%")
mod.__doc__ = "x1 mod x2 (the sign of x2, as Python's %), elementwise, broadcast; no gradient."


# ----------------------------------------------------------------------------- more activations


def gelu(x: Any, approximate: bool = True) -> Tensor:
    """The Gaussian error linear unit (Keras's ``ops.gelu`` defaults to the tanh approximation)."""
    return F.gelu(x, approximate=approximate)


def silu(x: Any) -> Tensor:
    """x · sigmoid(x), elementwise."""
    return F.silu(x)


swish = silu


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha·(eˣ − 1) below, elementwise."""
    return F.elu(x, alpha)


def selu(x: Any) -> Tensor:
    """The scaled exponential linear unit, elementwise."""
    return F.selu(x)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, ``negative_slope``·x below (Keras's ``ops`` default 0.2)."""
    return F.leaky_relu(x, negative_slope)


def hard_sigmoid(x: Any) -> Tensor:
    """clip(x/6 + 1/2, 0, 1), elementwise."""
    return F.hard_sigmoid(x)


def relu6(x: Any) -> Tensor:
    """min(max(x, 0), 6), elementwise."""
    return F.relu6(x)


def log_sigmoid(x: Any) -> Tensor:
    """log(sigmoid(x)) = −softplus(−x), elementwise, stable."""
    return F.neg(F.softplus(F.neg(_float(x))))


# ----------------------------------------------------------------------------- elementwise math of custom layers


def _unary(name: str, forward: Any, slope: Any, doc: str) -> Any:
    """An elementwise op on floats: ``forward(xp, x)`` its values, ``slope(xp, x, out)`` its derivative."""

    def op(x: Any) -> Tensor:
        x = _float(x)
        xp = backend.xp()
        out = forward(xp, x.data)
        return Tensor._result(out, (x,), lambda g: ((g * slope(xp, x.data, out)).astype(x.dtype, copy=False),), name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


erf = _unary("erf", lambda xp, d: F._erf_array(d), lambda xp, d, o: (2 / np.sqrt(np.pi)) * xp.exp(-d * d),
             "The error function, elementwise; differentiable.\n\n    >>> erf([0.0]).numpy().tolist()\n    [0.0]\n")
erfc = _unary("erfc", lambda xp, d: F._erfc_array(d), lambda xp, d, o: (-2 / np.sqrt(np.pi)) * xp.exp(-d * d),
              "1 − erf(x), elementwise, keeping its digits far in the tail; differentiable.")
expm1 = _unary("expm1", lambda xp, d: xp.expm1(d), lambda xp, d, o: o + 1,
               "eˣ − 1, elementwise, exact for tiny x; differentiable.")
tan = _unary("tan", lambda xp, d: xp.tan(d), lambda xp, d, o: 1 + o * o, "tan x (radians), elementwise.")
sinh = _unary("sinh", lambda xp, d: xp.sinh(d), lambda xp, d, o: xp.cosh(d), "The hyperbolic sine, elementwise.")
cosh = _unary("cosh", lambda xp, d: xp.cosh(d), lambda xp, d, o: xp.sinh(d), "The hyperbolic cosine, elementwise.")
arcsin = _unary("arcsin", lambda xp, d: xp.arcsin(d), lambda xp, d, o: 1 / xp.sqrt(1 - d * d),
                "The inverse sine, elementwise (NaN outside [−1, 1]).")
arccos = _unary("arccos", lambda xp, d: xp.arccos(d), lambda xp, d, o: -1 / xp.sqrt(1 - d * d),
                "The inverse cosine, elementwise (NaN outside [−1, 1]).")
arctan = _unary("arctan", lambda xp, d: xp.arctan(d), lambda xp, d, o: 1 / (1 + d * d),
                "The inverse tangent, elementwise.")
arcsinh = _unary("arcsinh", lambda xp, d: xp.arcsinh(d), lambda xp, d, o: 1 / xp.sqrt(d * d + 1),
                 "The inverse hyperbolic sine, elementwise.")
arccosh = _unary("arccosh", lambda xp, d: xp.arccosh(d), lambda xp, d, o: 1 / xp.sqrt(d * d - 1),
                 "The inverse hyperbolic cosine, elementwise (NaN below 1).")
arctanh = _unary("arctanh", lambda xp, d: xp.arctanh(d), lambda xp, d, o: 1 / (1 - d * d),
                 "The inverse hyperbolic tangent, elementwise (±inf at ±1).")
cbrt = _unary("cbrt", lambda xp, d: xp.cbrt(d), lambda xp, d, o: 1 / (3 * o * o),
              "The real cube root, elementwise (negative for negative x).")
exp2 = _unary("exp2", lambda xp, d: xp.exp2(d), lambda xp, d, o: o * np.log(2.0), "2ˣ, elementwise.")


def _sinc_slope(xp: Any, d: Any, out: Any) -> Any:
    zero = d == 0
    safe = xp.where(zero, 1, d)
    return xp.where(zero, 0, (xp.cos(np.pi * d) - out) / safe)  # sinc is even: flat at 0


sinc = _unary("sinc", lambda xp, d: xp.sinc(d), _sinc_slope,
              "sin(πx) / (πx), 1 at 0 (NumPy's normalised sinc), elementwise.\n\n"
              "    >>> sinc(np.array([0.0, 0.5])).numpy().round(6).tolist()\n    [1.0, 0.63662]\n")


def _binary(name: str, x1: Any, x2: Any, forward: Any, slopes: Any) -> Tensor:
    """A broadcasting op on two floats: ``forward(xp, a, b)`` its values, ``slopes(xp, a, b, out)`` the
    derivatives in ``a`` and in ``b``, summed back to each operand's shape."""
    a, b = F._pair(x1, x2)
    a, b = _float(a), _float(b)
    if a.dtype != b.dtype:
        a, b = F._pair(F.cast(a, np.promote_types(a.dtype, b.dtype)), b)
    F._check_broadcast(a, b, f"take {name} of")
    xp = backend.xp()
    out = forward(xp, a.data, b.data)

    def backward(g: Any) -> tuple[Any, Any]:
        da, db = slopes(xp, a.data, b.data, out)
        return F._unbroadcast(g * da, a.shape, a.dtype), F._unbroadcast(g * db, b.shape, b.dtype)

    return Tensor._result(out, (a, b), backward, name)


def arctan2(x1: Any, x2: Any) -> Tensor:
    """The angle of the point (x2, x1) in (−π, π], elementwise, broadcast; differentiable.

    >>> f"{float(arctan2(1.0, -1.0)):.4f}"  # 3π/4: the point (−1, 1)
    '2.3562'
    """
    def slopes(xp: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
        r2 = a * a + b * b
        return b / r2, -a / r2

    return _binary("arctan2", x1, x2, lambda xp, a, b: xp.arctan2(a, b), slopes)


def fmod(x1: Any, x2: Any) -> Tensor:
    """The remainder of x1 / x2 with the sign of x1 (C's fmod), elementwise, broadcast; differentiable."""
    a, b = _t(x1), _t(x2)
    if a.dtype.kind != "f" and b.dtype.kind != "f":  # whole numbers stay whole, as in Keras
        data = backend.xp().fmod(a.data, b.data)
        return Tensor(data, dtype=data.dtype)
    return _binary("fmod", x1, x2, lambda xp, a, b: xp.fmod(a, b),
                   lambda xp, a, b, out: (xp.ones_like(out), -xp.trunc(a / b)))


def hypot(x1: Any, x2: Any) -> Tensor:
    """√(x1² + x2²) without overflow, elementwise, broadcast; differentiable (0 slope at the origin).

    >>> hypot(3.0, 4.0).numpy().tolist()
    5.0
    """
    def slopes(xp: Any, a: Any, b: Any, out: Any) -> tuple[Any, Any]:
        safe = xp.where(out == 0, 1, out)
        return xp.where(out == 0, 0, a / safe), xp.where(out == 0, 0, b / safe)

    return _binary("hypot", x1, x2, lambda xp, a, b: xp.hypot(a, b), slopes)


def logaddexp(x1: Any, x2: Any) -> Tensor:
    """log(e^x1 + e^x2), elementwise, broadcast, without overflow; differentiable.

    >>> big = np.array([1000.0])
    >>> f"{float(logaddexp(big, big)) - 1000.0:.6f}"  # log 2
    '0.693147'
    """
    return _binary("logaddexp", x1, x2, lambda xp, a, b: xp.logaddexp(a, b),
                   lambda xp, a, b, out: (xp.exp(a - out), xp.exp(b - out)))


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """``x`` with NaN, +inf and −inf replaced (by default 0 and the dtype's largest and smallest numbers); the
    gradient passes through the finite values only.

    >>> nan_to_num([float("nan"), 1.0]).numpy().tolist()
    [0.0, 1.0]
    """
    x = _t(x)
    xp = backend.xp()
    if x.dtype.kind != "f":
        return x
    out = xp.nan_to_num(x.data, nan=nan, posinf=posinf, neginf=neginf)
    return Tensor._result(out, (x,), lambda g: (g * xp.isfinite(x.data),), "nan_to_num")


def divide_no_nan(x1: Any, x2: Any) -> Tensor:
    """x1 / x2, and 0 where x2 is 0 (where plain division gives NaN or inf), broadcast; differentiable.

    >>> divide_no_nan([1.0, 2.0], [0.0, 4.0]).numpy().tolist()
    [0.0, 0.5]
    """
    a, b = F._pair(_float(x1), _float(x2))
    zero = b.data == 0
    quotient = F.div(a, F.where(zero, F._lift(1.0, b), b))  # no 1/0 even in the branch not taken: no NaN slope
    return F.where(zero, F._lift(0.0, quotient), quotient)


true_divide = divide


def signbit(x: Any) -> Tensor:
    """Whether the sign bit is set (x < 0, and −0.0), as booleans; no gradient.

    >>> signbit([-0.0, 1.0]).numpy().tolist()
    [True, False]
    """
    data = backend.xp().signbit(_t(x).data)
    return Tensor(data, dtype=data.dtype)


trunc = _no_gradient("trunc", "x rounded towards 0")


def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """|x1 − x2| ≤ atol + rtol·|x2|, elementwise, as booleans (NumPy's ``isclose``); no gradient."""
    a, b = F._pair(x1, x2)
    data = backend.xp().isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Tensor(data, dtype=data.dtype)


def allclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """Whether :func:`isclose` holds everywhere, as one boolean; no gradient.

    >>> bool(allclose([1.0, 2.0], [1.0, 2.0 + 1e-9]))
    True
    """
    return all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


# ----------------------------------------------------------------------------- activations of custom layers


def softsign(x: Any) -> Tensor:
    """x / (1 + |x|), elementwise."""
    x = _float(x)
    return F.div(x, F.add(F.abs(x), 1.0))


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """max(x, 0) + alpha·(e^(min(x, 0)/alpha) − 1), elementwise (continuously differentiable ELU)."""
    x = _float(x)
    alpha = F._finite_number(alpha, "celu", "alpha")
    return F.add(F.relu(x), F.mul(expm1(F.div(F.minimum(x, 0.0), alpha)), alpha))


def glu(x: Any, axis: int = -1) -> Tensor:
    """The gated linear unit: the first half of ``axis`` times the sigmoid of the second half.

    >>> glu([[1.0, 0.0]]).numpy().tolist()
    [[0.5]]
    """
    x = _float(x)
    ax = F._one_axis(axis, x.ndim, "glu")
    if x.shape[ax] % 2:
        raise ShapeError(f"glu: axis {axis} has odd length {x.shape[ax]}; it splits that axis into two equal "
                         "halves, so give it an even length.")
    a, b = split(x, 2, axis=ax)
    return F.mul(a, F.sigmoid(b))


def hard_tanh(x: Any) -> Tensor:
    """x clipped to [−1, 1], elementwise."""
    return F.clip(_float(x), -1.0, 1.0)


def hard_silu(x: Any) -> Tensor:
    """x · hard_sigmoid(x) = x · relu6(x + 3) / 6, elementwise (MobileNetV3's hard swish)."""
    x = _float(x)
    return F.mul(x, F.hard_sigmoid(x))


hard_swish = hard_silu


def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """x moved ``threshold`` towards 0, and 0 within ``threshold`` of 0, elementwise.

    >>> soft_shrink([-1.0, 0.2, 2.0]).numpy().tolist()
    [-0.5, 0.0, 1.5]
    """
    x = _float(x)
    t = F._finite_number(threshold, "soft_shrink", "threshold")
    return F.sub(x, F.clip(x, -t, t))


def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """x where |x| > ``threshold``, else 0, elementwise."""
    x = _float(x)
    return F.where(backend.xp().abs(x.data) > F._finite_number(threshold, "hard_shrink", "threshold"), x, 0.0)


def tanh_shrink(x: Any) -> Tensor:
    """x − tanh(x), elementwise."""
    x = _float(x)
    return F.sub(x, F.tanh(x))


def squareplus(x: Any, b: float = 4) -> Tensor:
    """(x + √(x² + b)) / 2, elementwise: a smooth ReLU (b ≥ 0)."""
    x = _float(x)
    b = F._finite_number(b, "squareplus", "b")
    if b < 0:
        raise ConfigError(f"squareplus: b must be ≥ 0 (it sits under a square root), got {b!r}.")
    return F.mul(F.add(x, F.sqrt(F.add(F.mul(x, x), b))), 0.5)


def sparse_plus(x: Any) -> Tensor:
    """0 for x ≤ −1, (x + 1)² / 4 up to 1, then x, elementwise (the SparsePlus activation).

    >>> sparse_plus([-2.0, 0.0, 2.0]).numpy().tolist()
    [0.0, 0.25, 2.0]
    """
    x = _float(x)
    shifted = F.add(x, 1.0)
    quad = F.mul(F.mul(shifted, shifted), 0.25)
    return F.where(x.data <= -1, 0.0, F.where(x.data < 1, quad, x))


def threshold(x: Any, threshold: float, default_value: float) -> Tensor:  # noqa: A002  (Keras's names)
    """x where x > ``threshold``, else ``default_value``, elementwise."""
    x = _float(x)
    return F.where(x.data > threshold, x, default_value)


# ----------------------------------------------------------------------------- more reductions and array ops


def _to_last(x: Tensor, axis: Any) -> tuple[Tensor, tuple[int, ...], tuple[int, ...]]:
    """``x`` with the ``axis`` axes (None: all) moved to the end and joined into one; also the reduced axes and
    the shape the result has with ``keepdims``."""
    axes = F._axes(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = F.transpose(x, (*rest, *axes)) if x.ndim else F.reshape(x, (1,))
    kept = tuple(1 if a in axes else n for a, n in enumerate(x.shape))
    return F.reshape(moved, tuple(x.shape[a] for a in rest) + (-1,)), axes, kept


def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """The product over ``axis``; differentiable, zeros included (each value's slope is the product of the
    others, not the product divided by it).

    >>> prod([[1.0, 2.0], [3.0, 4.0]], axis=1).numpy().tolist()
    [2.0, 12.0]
    """
    x = _t(x) if dtype is None else cast(x, dtype)
    xp = backend.xp()
    if x.dtype.kind != "f":  # Keras: booleans and narrow integers multiply as int32
        data = x.data.astype(np.int32) if x.dtype.kind == "b" or x.dtype.itemsize < 4 else x.data
        out = xp.asarray(xp.prod(data, axis=axis, keepdims=keepdims, dtype=data.dtype))
        return Tensor(out, dtype=out.dtype)
    flat, axes, kept = _to_last(x, axis)
    d = flat.data
    out = xp.prod(d, axis=-1)

    def backward(g: Any) -> tuple[Any]:
        ones = xp.ones(d.shape[:-1] + (1,), dtype=d.dtype)
        before = xp.cumprod(xp.concatenate([ones, d[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([d[..., 1:], ones], axis=-1), -1), axis=-1), -1)
        return (g[..., None] * before * after,)

    result = Tensor._result(out, (flat,), backward, "prod")
    return F.reshape(result, kept) if keepdims else result


def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The ``q``-th quantile(s) (q in [0, 1]) over ``axis``, NumPy's ``method`` ("linear", "lower", "higher",
    "midpoint", "nearest"); a list of q gives a leading axis. Differentiable: the gradient goes to the values
    the quantile lies between.

    >>> quantile([1.0, 2.0, 3.0, 4.0], 0.5).numpy().tolist()
    2.5
    """
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ConfigError(f"quantile: method={method!r} is not one of {methods}; pick one of them.")
    qs = np.asarray(backend.to_numpy(q.data) if isinstance(q, Tensor) else q, dtype=np.float64)
    if qs.ndim > 1 or not np.all((qs >= 0) & (qs <= 1)):
        raise ConfigError(f"quantile: q must be a number or a list of numbers in [0, 1], got {q!r}.")
    x = _float(x)
    flat, axes, kept = _to_last(x, axis)
    ordered = sort(flat, axis=-1)
    pos = qs.reshape(-1) * (flat.shape[-1] - 1)
    lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
    frac = {"linear": pos - lo, "lower": np.zeros_like(pos), "higher": np.ones_like(pos),
            "midpoint": np.where(hi > lo, 0.5, 0.0), "nearest": (np.around(pos) > lo).astype(np.float64)}[method]
    low, high = F.take(ordered, lo, axis=-1), F.take(ordered, hi, axis=-1)
    frac_t = Tensor(backend.to_device(frac.astype(x.dtype)))
    out = F.add(low, F.mul(F.sub(high, low), frac_t))  # (rest..., len(q))
    out = F.reshape(out, (kept if keepdims else tuple(flat.shape[:-1])) + (len(pos),))
    out = moveaxis(out, -1, 0)
    return F.reshape(out, out.shape[1:]) if qs.ndim == 0 else out


def percentile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The ``q``-th percentile(s) (q in [0, 100]) over ``axis``: :func:`quantile` of q / 100."""
    qs = np.asarray(backend.to_numpy(q.data) if isinstance(q, Tensor) else q, dtype=np.float64)
    if not np.all((qs >= 0) & (qs <= 100)):
        raise ConfigError(f"percentile: q must be in [0, 100], got {q!r}.")
    return quantile(x, qs / 100, axis=axis, method=method, keepdims=keepdims)


def median(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The median over ``axis`` (the mean of the middle two for an even count); differentiable."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def average(x: Any, axis: Any = None, weights: Any = None) -> Tensor:
    """The mean over ``axis``, weighted by ``weights`` (of ``x``'s shape, or 1-D along ``axis``).

    >>> average([1.0, 3.0], weights=[3.0, 1.0]).numpy().tolist()
    1.5
    """
    x = _float(x)
    if weights is None:
        return F.mean(x, axis)
    w = _float(weights)
    if w.shape != x.shape:
        if axis is None or w.ndim != 1 or w.shape[0] != x.shape[F._one_axis(axis, x.ndim, "average")]:
            raise ShapeError(f"average: weights of shape {w.shape} fit neither x {x.shape} nor its axis {axis!r}; "
                             "give weights of x's shape, or 1-D ones as long as that axis.")
        shape = [1] * x.ndim
        shape[F._one_axis(axis, x.ndim, "average")] = -1
        w = F.reshape(w, shape)
    return F.div(F.sum(F.mul(x, w), axis), F.sum(w, axis))


def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The range max − min over ``axis``."""
    x = _t(x)
    return F.sub(F.max(x, axis, keepdims), F.min(x, axis, keepdims))


def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Diagonal ``offset`` of the matrices on ``axis1`` × ``axis2``, as a last axis (NumPy's); differentiable.

    >>> diagonal([[1.0, 2.0], [3.0, 4.0]]).numpy().tolist()
    [1.0, 4.0]
    """
    x = _t(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal needs at least 2 axes, got a tensor of shape {x.shape}; give a matrix or a "
                         "batch of them.")
    a1, a2 = F._one_axis(axis1, x.ndim, "diagonal"), F._one_axis(axis2, x.ndim, "diagonal")
    moved = F.transpose(x, [a for a in range(x.ndim) if a not in (a1, a2)] + [a1, a2])
    n, m = moved.shape[-2:]
    rows = np.arange(builtins_max(0, -offset), n)
    rows = rows[rows + offset < m]
    return F.getitem(moved, (Ellipsis, rows, rows + offset))


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The sum of :func:`diagonal` (the trace of a matrix); differentiable."""
    return F.sum(diagonal(x, offset, axis1, axis2), -1)


def diag(x: Any, k: int = 0) -> Tensor:
    """A 1-D ``x`` as the ``k``-th diagonal of a square matrix, or a matrix's ``k``-th diagonal; differentiable.

    >>> diag([1.0, 2.0]).numpy().tolist()
    [[1.0, 0.0], [0.0, 2.0]]
    """
    x = _t(x)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ShapeError(f"diag takes a vector or a matrix, got shape {x.shape}.")
    n = x.shape[0] + builtins.abs(int(k))
    rows = np.arange(x.shape[0]) + builtins_max(0, -int(k))
    place = np.zeros((x.shape[0], n * n))
    place[np.arange(x.shape[0]), rows * n + rows + int(k)] = 1  # where each value lands in the flat matrix
    return F.reshape(F.matmul(F.reshape(x, (1, -1)), Tensor(backend.to_device(place.astype(x.dtype)))), (n, n))


def diff(a: Any, n: int = 1, axis: int = -1) -> Tensor:
    """The ``n``-th differences a[i + 1] − a[i] along ``axis``; differentiable.

    >>> diff([1.0, 4.0, 9.0]).numpy().tolist()
    [3.0, 5.0]
    """
    x = _t(a)
    ax = F._one_axis(axis, x.ndim, "diff")
    head = (builtins_slice(None),) * ax
    for _ in range(int(n)):
        x = F.sub(F.getitem(x, (*head, builtins_slice(1, None))), F.getitem(x, (*head, builtins_slice(None, -1))))
    return x


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Tensor:
    """Running products along ``axis`` (None: the flattened values); differentiable, zeros included.

    >>> cumprod([1.0, 2.0, 3.0]).numpy().tolist()
    [1.0, 2.0, 6.0]
    """
    x = _t(x) if dtype is None else cast(x, dtype)
    if axis is None:
        x, axis = F.reshape(x, (-1,)), 0
    parts = unstack(x, axis=axis)
    running = parts[:1]
    for p in parts[1:]:  # one multiply per step: slopes stay right where a value is 0
        running.append(F.mul(running[-1], p))
    return F.stack(running, axis) if running else x


def rot90(array: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Tensor:
    """``array`` turned by 90° ``k`` times in the plane of ``axes`` (NumPy's direction); differentiable."""
    x = _t(array)
    if len(axes) != 2 or x.ndim < 2:
        raise ShapeError(f"rot90 needs two axes of a tensor with at least 2, got axes={axes!r} for shape {x.shape}.")
    a1, a2 = (F._one_axis(a, x.ndim, "rot90") for a in axes)
    if a1 == a2:
        raise ConfigError(f"rot90: axes must be two different axes, got {axes!r}.")
    k = int(k) % 4
    order = list(range(x.ndim))
    order[a1], order[a2] = order[a2], order[a1]
    if k == 1:
        return F.transpose(F.flip(x, a2), order)
    if k == 2:
        return F.flip(x, (a1, a2))
    return F.flip(F.transpose(x, order), a2) if k == 3 else x


def fliplr(x: Any) -> Tensor:
    """``x`` reversed along axis 1."""
    return F.flip(_t(x), 1)


def flipud(x: Any) -> Tensor:
    """``x`` reversed along axis 0."""
    return F.flip(_t(x), 0)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def kron(x1: Any, x2: Any) -> Tensor:
    """The Kronecker product (each value of x1 times a whole copy of x2); differentiable.

    >>> kron([1.0, 2.0], [1.0, 10.0]).numpy().tolist()
    [1.0, 10.0, 2.0, 20.0]
    """
    a, b = F._pair(x1, x2)
    nd = builtins_max(a.ndim, b.ndim)
    a, b = F.reshape(a, (1,) * (nd - a.ndim) + a.shape), F.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    sa, sb = _LETTERS[:nd], _LETTERS[nd:2 * nd]
    out = F.einsum(f"{sa},{sb}->{''.join(p + q for p, q in zip(sa, sb))}", a, b)
    return F.reshape(out, tuple(m * n for m, n in zip(a.shape, b.shape)))


def inner(x1: Any, x2: Any) -> Tensor:
    """Sums over the last axes of x1 and x2 (NumPy's ``inner``); differentiable."""
    a, b = F._pair(x1, x2)
    if a.ndim == 0 or b.ndim == 0:
        return F.mul(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def vdot(x1: Any, x2: Any) -> Tensor:
    """Σ x1·x2 over the flattened values; differentiable."""
    a, b = F._pair(x1, x2)
    return F.sum(F.mul(F.reshape(a, (-1,)), F.reshape(b, (-1,))))


def append(x1: Any, x2: Any, axis: int | None = None) -> Tensor:
    """x2 joined after x1 along ``axis`` (None: both flattened); differentiable."""
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """``x`` cut along ``axis`` into ``indices_or_sections`` nearly equal parts (the first ones one longer), or
    at the given indices; each part differentiable."""
    x = _t(x)
    if isinstance(indices_or_sections, (int, np.integer)):
        if indices_or_sections <= 0:
            raise ConfigError(f"array_split: the number of parts must be ≥ 1, got {indices_or_sections!r}.")
        n = x.shape[F._one_axis(axis, x.ndim, "array_split")]
        size, extra = divmod(n, int(indices_or_sections))
        cuts = np.cumsum([size + 1] * extra + [size] * (int(indices_or_sections) - extra))[:-1]
        return split(x, [int(c) for c in cuts], axis)
    return split(x, indices_or_sections, axis)


def hsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """:func:`split` along axis 1 (axis 0 for 1-D tensors)."""
    x = _t(x)
    return split(x, indices_or_sections, axis=0 if x.ndim == 1 else 1)


def vsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """:func:`split` along axis 0."""
    return split(x, indices_or_sections, axis=0)


def dstack(xs: Sequence[Any]) -> Tensor:
    """The tensors joined along axis 2 (1-D ones as (1, n, 1), 2-D ones as (m, n, 1)), NumPy's ``dstack``."""
    parts = []
    for p in (_t(x) for x in xs):
        shape = (1, -1, 1) if p.ndim <= 1 else (*p.shape, 1) if p.ndim == 2 else p.shape
        parts.append(F.reshape(p, shape))
    return concatenate(parts, axis=2)


def copy(x: Any) -> Tensor:
    """A copy of ``x``; the gradient passes through."""
    x = _t(x)
    return Tensor._result(x.data.copy(), (x,), lambda g: (g,), "copy")


def array(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as a tensor (whole numbers as int32, as in Keras); no gradient."""
    return stop_gradient(convert_to_tensor(x, dtype=dtype))


def empty(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` (filled with zeros, which Keras's backends also give); no gradient."""
    return zeros(shape, dtype=dtype)


def empty_like(x: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``x``'s shape and dtype (filled with zeros); no gradient."""
    return zeros_like(x, dtype=dtype)


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is an fnlearn tensor (NumPy arrays and lists are not).

    >>> is_tensor(ones((2,))), is_tensor([1.0])
    (True, False)
    """
    return isinstance(x, Tensor)


def dtype(x: Any) -> str:
    """The dtype's name, as Keras writes it: ``"float32"``, ``"int32"``, ``"bool"``.

    >>> dtype(ones((2,)))
    'float32'
    """
    return str(np.dtype(x.dtype if hasattr(x, "dtype") else convert_to_tensor(x).dtype))


def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> Tensor:
    """Where each of ``values`` would go in the 1-D ``sorted_sequence`` to keep it sorted, as int32.

    >>> searchsorted([1.0, 3.0, 5.0], [0.0, 3.0, 6.0]).numpy().tolist()
    [0, 1, 3]
    """
    if side not in ("left", "right"):
        raise ConfigError(f"searchsorted: side must be 'left' or 'right', got {side!r}.")
    seq = _t(sorted_sequence)
    if seq.ndim != 1:
        raise ShapeError(f"searchsorted needs a 1-D sorted sequence, got shape {seq.shape}.")
    out = backend.xp().searchsorted(seq.data, _t(values).data, side=side)
    return Tensor(out.astype(np.int32), dtype=np.int32)


def digitize(x: Any, bins: Any) -> Tensor:
    """The bin of each value of ``x`` among the increasing edges ``bins`` (NumPy's ``digitize``), as int32.

    >>> digitize([0.5, 1.5, 9.0], [1.0, 2.0]).numpy().tolist()
    [0, 1, 2]
    """
    edges = _t(bins)
    if edges.ndim != 1:
        raise ShapeError(f"digitize needs 1-D bins, got shape {edges.shape}.")
    out = backend.xp().digitize(_t(x).data, edges.data)
    return Tensor(out.astype(np.int32), dtype=np.int32)


def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> Tensor:
    """How often each whole number 0, 1, … occurs in ``x`` (rows counted separately for 2-D ``x``), as int32,
    or the sums of ``weights``; no gradient.

    >>> bincount(np.array([0, 2, 2])).numpy().tolist()
    [1, 0, 2]
    """
    if sparse:
        raise ConfigError("bincount(sparse=True) is not supported by fnlearn; its tensors are dense: leave "
                          "sparse=False.")
    xp = backend.xp()
    ids = _t(x).data
    if ids.dtype.kind not in "iu" or ids.ndim not in (1, 2) or (ids.size and int(ids.min()) < 0):
        raise ConfigError(f"bincount counts whole numbers ≥ 0 in a 1-D or 2-D tensor, got dtype {ids.dtype} and "
                          f"shape {tuple(ids.shape)}.")
    w = None if weights is None else _t(weights).data
    length = builtins_max(int(minlength), int(ids.max()) + 1 if ids.size else 0)
    rows = ids.reshape(1, -1) if ids.ndim == 1 else ids
    wrows = None if w is None else w.reshape(rows.shape)
    out = xp.stack([xp.bincount(r, None if wrows is None else wrows[i], minlength=length)
                    for i, r in enumerate(rows)]) if rows.shape[0] else xp.zeros((0, length))
    out = out.astype(np.int32 if w is None else w.dtype)
    return Tensor(out[0] if ids.ndim == 1 else out, dtype=out.dtype)


def unique(x: Any, sorted: bool = True, return_index: bool = False, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, axis: int | None = None, size: int | None = None,
           fill_value: Any = None) -> Any:
    """The distinct values of ``x`` (flattened unless ``axis``), sorted, with what NumPy's ``unique`` returns
    besides (int32); padded or cut to ``size`` (with ``fill_value``, else the smallest value); no gradient.

    >>> unique(np.array([3, 1, 3])).numpy().tolist()
    [1, 3]
    """
    xp = backend.xp()
    res = xp.unique(_t(x).data, return_index=return_index, return_inverse=return_inverse,
                    return_counts=return_counts, axis=axis)
    res = list(res) if isinstance(res, tuple) else [res]
    values = res[0]
    if size is not None:
        n = values.shape[0 if axis is None else axis]
        if n < size:
            pad_value = fill_value if fill_value is not None else (values.min() if values.size else 0)
            widths = [(0, 0)] * values.ndim
            widths[0 if axis is None else axis] = (0, size - n)
            values = xp.pad(values, widths, constant_values=pad_value)
        values = xp.take(values, xp.arange(size), axis=0 if axis is None else axis)
    out = [Tensor(values, dtype=values.dtype)] + [Tensor(r.astype(np.int32), dtype=np.int32) for r in res[1:]]
    return out[0] if len(out) == 1 else tuple(out)


# ----------------------------------------------------------------------------- neural-network ops


def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Tensor:
    """``x`` divided by its ``order``-norm along ``axis`` (no more than 1 / ``epsilon`` times, default the fuzz factor,
    so zeros stay zeros), as Keras's ``ops.normalize``; differentiable.

    >>> normalize(np.array([3.0, 4.0])).numpy().round(6).tolist()
    [0.6, 0.8]
    """
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ConfigError(f"normalize: order must be a whole number ≥ 1, got {order!r}.")
    x = _float(x)
    if x.ndim == 0:
        x = F.reshape(x, (1,))
    eps = backend.epsilon() if epsilon is None else float(epsilon)
    if order == 2:
        inv = rsqrt(F.sum(F.mul(x, x), axis=axis, keepdims=True))
        return F.mul(x, F.minimum(inv, 1.0 / eps))
    norm_ = F.pow(F.sum(F.pow(F.abs(x), float(order)), axis=axis, keepdims=True), 1.0 / order)
    return F.div(x, F.maximum(norm_, eps))


def psnr(x1: Any, x2: Any, max_val: float) -> Tensor:
    """The peak signal-to-noise ratio 20·log10(max_val) − 10·log10(mean((x1 − x2)²)), in decibels.

    >>> f"{float(psnr([0.0, 1.0], [0.0, 0.9], max_val=1.0)):.4f}"
    '23.0103'
    """
    a, b = F._pair(_float(x1), _float(x2))
    if a.shape != b.shape:
        raise ShapeError(f"psnr compares two images of one shape, got {a.shape} and {b.shape}.")
    err = F.sub(a, b)
    mse = F.mean(F.mul(err, err))
    return F.sub(float(20 * np.log10(max_val)), F.mul(log10(mse), 10.0))


def _per_axis(v: Any, x: Tensor, axes: list[int]) -> Tensor:
    """A vector of statistics or weights for the ``axes`` of ``x``, shaped to broadcast against it."""
    v = _float(v)
    if v.ndim != x.ndim and v.ndim > 0 and axes != [x.ndim - 1]:
        return F.reshape(v, [x.shape[a] if a in axes else 1 for a in range(x.ndim)])
    return v


def layer_normalization(x: Any, gamma: Any = None, beta: Any = None, axis: Any = -1, epsilon: float | None = None,
                        **kwargs: Any) -> Tensor:
    """(x − mean) / √(var + epsilon) over ``axis``, times ``gamma`` plus ``beta`` (Keras's ``ops``: epsilon
    the fuzz factor, 1e-7, by default); differentiable in all three.

    >>> layer_normalization([[1.0, 3.0]]).numpy().round(4).tolist()
    [[-1.0, 1.0]]
    """
    if kwargs.pop("rms_scaling", False):
        return rms_normalization(x, gamma, axis=axis, epsilon=epsilon)
    if kwargs:
        raise ConfigError(f"layer_normalization got unknown arguments {sorted(kwargs)}.")
    x = _float(x)
    axes = sorted(F._axes(axis, x.ndim))
    eps = backend.epsilon() if epsilon is None else float(epsilon)
    centred = F.sub(x, F.mean(x, axis=tuple(axes), keepdims=True))
    out = F.mul(centred, rsqrt(F.add(F.mean(F.mul(centred, centred), axis=tuple(axes), keepdims=True), eps)))
    if gamma is not None:
        out = F.mul(out, _per_axis(gamma, x, axes))
    return out if beta is None else F.add(out, _per_axis(beta, x, axes))


def rms_normalization(x: Any, scale: Any = None, axis: Any = -1, epsilon: float | None = None) -> Tensor:
    """x / √(mean(x²) + epsilon) over ``axis``, times ``scale`` (epsilon the fuzz factor by default); differentiable.

    >>> rms_normalization(np.array([[3.0, 4.0]]), epsilon=0.0).numpy().round(4).tolist()
    [[0.8485, 1.1314]]
    """
    x = _float(x)
    axes = sorted(F._axes(axis, x.ndim))
    eps = backend.epsilon() if epsilon is None else float(epsilon)
    out = F.mul(x, rsqrt(F.add(F.mean(F.mul(x, x), axis=tuple(axes), keepdims=True), eps)))
    return out if scale is None else F.mul(out, _per_axis(scale, x, axes))


def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None,
                        epsilon: float = 1e-3) -> Tensor:
    """(x − mean) / √(variance + epsilon) · scale + offset, the statistics given per entry of ``axis`` (as a
    ``BatchNormalization`` layer uses its moving averages); differentiable in every argument.

    >>> batch_normalization([[1.0, 2.0]], [1.0, 0.0], [1.0, 4.0], axis=-1, epsilon=0.0).numpy().tolist()
    [[0.0, 1.0]]
    """
    x = _float(x)
    ax = F._one_axis(axis, x.ndim, "batch_normalization")
    shape = [x.shape[ax] if a == ax else 1 for a in range(x.ndim)]

    def along(v: Any) -> Tensor:
        v = _float(v)
        if v.size != x.shape[ax]:
            raise ShapeError(f"batch_normalization: a statistic of shape {v.shape} does not fit axis {axis} of "
                             f"length {x.shape[ax]}; give one value per entry of that axis.")
        return F.reshape(v, shape)

    inv = rsqrt(F.add(along(variance), float(epsilon)))
    if scale is not None:
        inv = F.mul(inv, along(scale))
    out = F.mul(F.sub(x, along(mean)), inv)
    return out if offset is None else F.add(out, along(offset))


_LARGE_NEGATIVE = -0.7 * 3.38953e38  # Keras's fill for masked scores: far below any score, still finite


def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False, flash_attention: Any = None,
                          attn_logits_soft_cap: Any = None) -> Tensor:
    """softmax(scale · q·kᵀ + bias) · v for (batch, steps, heads, head_dim) tensors, Keras 3's layout; ``scale``
    1/√head_dim by default; ``mask`` (broadcast to (batch, heads, q_steps, k_steps)) is True where a query may
    look, ``is_causal`` lets step t see steps ≤ t; fewer key heads than query heads are shared by groups of
    query heads. Differentiable in query, key, value and bias.

    >>> q = np.ones((1, 2, 1, 4))
    >>> dot_product_attention(q, q, np.arange(8.0).reshape(1, 2, 1, 4), is_causal=True).numpy()[0, :, 0, 0].tolist()
    [0.0, 2.0]
    """
    if flash_attention:
        raise ConfigError("dot_product_attention(flash_attention=True) is not supported by fnlearn; leave "
                          "flash_attention=None.")
    if attn_logits_soft_cap is not None:
        raise ConfigError("dot_product_attention: attn_logits_soft_cap is only supported by Keras on TPUs; leave "
                          "it None.")
    q, k, v = _float(query), _float(key), _float(value)
    if not q.ndim == k.ndim == v.ndim == 4:
        raise ShapeError(f"dot_product_attention takes 4-D (batch, steps, heads, head_dim) query, key and value, "
                         f"got shapes {q.shape}, {k.shape} and {v.shape}.")
    if k.shape != v.shape or q.shape[0] != k.shape[0] or q.shape[3] != k.shape[3] or q.shape[2] % k.shape[2]:
        raise ShapeError(f"dot_product_attention: key and value must have one shape, and share query's batch and "
                         f"head_dim, with heads dividing query's; got {q.shape}, {k.shape} and {v.shape}.")
    group = q.shape[2] // k.shape[2]
    if group > 1:  # grouped-query attention: each key/value head serves `group` query heads
        k, v = F.take(k, np.repeat(np.arange(k.shape[2]), group), 2), F.take(v, np.repeat(np.arange(v.shape[2]),
                                                                                         group), 2)
    scale = 1.0 / float(np.sqrt(k.shape[3])) if scale is None else float(scale)
    logits = F.mul(F.einsum("btnh,bsnh->bnts", q, k), scale)
    if bias is not None:
        logits = F.add(logits, _float(bias))
    keep = None
    if mask is not None:
        keep = backend.xp().asarray(_t(mask).data).astype(bool)
    if is_causal:
        causal = backend.xp().tril(backend.xp().ones(logits.shape[2:], dtype=bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = F.where(keep, logits, _LARGE_NEGATIVE)
    return F.einsum("bnts,bsnh->btnh", F.softmax(logits, axis=-1), v)


def in_top_k(targets: Any, predictions: Any, k: int) -> Tensor:
    """Whether each sample's target class is among its ``k`` highest predictions (ties counted in its favour,
    NaN as lowest), as booleans; no gradient.

    >>> in_top_k([1, 0], [[0.1, 0.9, 0.0], [0.1, 0.5, 0.4]], k=2).numpy().tolist()
    [True, False]
    """
    xp = backend.xp()
    preds = _t(predictions).data
    targets_ = _t(targets).data
    if preds.ndim != 2 or targets_.shape != preds.shape[:1]:
        raise ShapeError(f"in_top_k takes targets (batch,) and predictions (batch, classes), got shapes "
                         f"{tuple(targets_.shape)} and {tuple(preds.shape)}.")
    at_label = xp.take_along_axis(preds, targets_.astype(np.int64)[:, None], axis=-1)
    at_label = xp.where(xp.isnan(at_label), -np.inf, at_label)
    rank = 1 + xp.sum(preds > at_label, axis=-1)
    return Tensor(rank <= int(k), dtype=bool)


def multi_hot(inputs: Any, num_classes: int | None = None, axis: int = -1, dtype: Any = None, sparse: bool = False,
              **kwargs: Any) -> Tensor:
    """Integer labels as multi-hot vectors: 1 at every class a sample has (a 1-D input is one sample);
    no gradient.

    >>> multi_hot([0, 4], num_classes=5).numpy().tolist()
    [1.0, 0.0, 0.0, 0.0, 1.0]
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None or isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ConfigError(f"multi_hot needs num_classes, a whole number ≥ 1, got {num_classes!r}.")
    if axis != -1 or sparse:
        raise ConfigError(f"multi_hot(axis={axis!r}, sparse={sparse!r}) is not supported by fnlearn; it puts the "
                          "classes on the last axis, densely: leave axis=-1 and sparse=False.")
    labels = _t(inputs).data
    xp = backend.xp()
    dt = np.dtype(backend.float_dtype() if dtype is None else dtype)
    rows = labels.reshape(1, -1) if labels.ndim <= 1 else labels.reshape(labels.shape[0], -1)
    out = xp.zeros((rows.shape[0], int(num_classes)), dtype=dt)
    ok = (rows >= 0) & (rows < num_classes)  # labels outside the classes mark nothing, as in Keras
    r = xp.broadcast_to(xp.arange(rows.shape[0])[:, None], rows.shape)
    out[r[ok], rows[ok].astype(np.int64)] = 1
    return Tensor(out[0] if labels.ndim <= 1 else out, dtype=dt)


def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Channels moved into block_size × block_size blocks of pixels (the pixel shuffle of super-resolution
    models), channels-last; differentiable."""
    x = _t(x)
    if data_format != "channels_last" or x.ndim != 4 or x.shape[3] % (block_size * block_size):
        raise ShapeError(f"depth_to_space takes channels-last images (batch, height, width, channels) with channels "
                         f"a multiple of block_size² = {block_size * block_size}, got shape {x.shape} and "
                         f"data_format={data_format!r}.")
    n, h, w, c = x.shape
    b = int(block_size)
    out = F.transpose(F.reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
    return F.reshape(out, (n, h * b, w * b, c // (b * b)))


def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Each block_size × block_size block of pixels moved into the channels (the inverse of
    :func:`depth_to_space`), channels-last; differentiable."""
    x = _t(x)
    b = int(block_size)
    if data_format != "channels_last" or x.ndim != 4 or x.shape[1] % b or x.shape[2] % b:
        raise ShapeError(f"space_to_depth takes channels-last images (batch, height, width, channels) with height "
                         f"and width multiples of block_size={b}, got shape {x.shape} and data_format="
                         f"{data_format!r}.")
    n, h, w, c = x.shape
    out = F.transpose(F.reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
    return F.reshape(out, (n, h // b, w // b, b * b * c))


__all__ = ["mean", "sum", "max", "min", "logsumexp", "square", "sqrt", "abs", "exp", "log", "log1p", "negative",
           "add", "subtract", "multiply", "divide", "power", "clip", "maximum", "minimum", "where", "matmul", "dot",
           "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "shape", "softmax",
           "log_softmax", "sigmoid", "relu", "tanh", "softplus", "cast", "convert_to_tensor", "ones", "zeros",
           "ones_like", "zeros_like", "one_hot", "argmax", "argmin", "equal", "not_equal", "greater", "greater_equal",
           "less", "less_equal", "var", "std", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "floor", "ceil", "sign", "isnan", "isinf", "isfinite", "logical_not",
           "round", "logical_and", "logical_or", "logical_xor", "convert_to_numpy", "conv", "max_pool",
           "adaptive_average_pool", "adaptive_max_pool", "average_pool", "conv_transpose", "depthwise_conv",
           "separable_conv", "arange", "linspace", "eye", "identity",
           "tri", "full", "full_like", "meshgrid", "tril",
           "triu", "take", "take_along_axis", "tile", "repeat", "pad", "cumsum", "einsum", "tensordot", "outer",
           "segment_sum", "argsort", "sort", "top_k", "flip", "roll", "broadcast_to", "moveaxis", "swapaxes", "ravel",
           "split", "unstack", "hstack", "vstack", "slice", "stop_gradient", "sin", "cos", "reciprocal", "rsqrt",
           "log2", "log10", "absolute", "amax", "amin", "norm", "moments", "any", "all", "count_nonzero", "nonzero",
           "size", "ndim", "floor_divide", "mod", "gelu", "silu", "swish", "elu", "selu", "leaky_relu",
           "hard_sigmoid", "relu6", "log_sigmoid"]

__all__ += ["erf", "erfc", "expm1", "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arctan2", "arcsinh",
            "arccosh", "arctanh", "cbrt", "exp2", "trunc", "fmod", "hypot", "logaddexp", "sinc", "nan_to_num",
            "divide_no_nan", "true_divide", "signbit", "isclose", "allclose", "softsign", "celu", "glu",
            "hard_tanh", "hard_swish", "hard_silu", "soft_shrink", "hard_shrink", "tanh_shrink", "squareplus",
            "sparse_plus", "threshold", "prod", "median", "quantile", "percentile", "average", "ptp", "trace",
            "diagonal", "diag", "diff", "cumprod", "rot90", "fliplr", "flipud", "kron", "inner", "vdot",
            "append", "array_split", "hsplit", "vsplit", "dstack", "copy", "array", "empty", "empty_like",
            "is_tensor", "dtype", "searchsorted", "digitize", "bincount", "unique", "normalize",
            "dot_product_attention", "layer_normalization", "rms_normalization", "batch_normalization",
            "in_top_k", "multi_hot", "psnr", "depth_to_space", "space_to_depth"]

from . import ops_image as image  # noqa: E402  (keras.ops.image.resize; it uses the ops above)
from . import ops_linalg as linalg  # noqa: E402  (keras.ops.linalg; these modules use the ops above)
from .ops_audio import *  # noqa: E402, F403
from .ops_audio import __all__ as _audio_names  # noqa: E402
from .ops_control import *  # noqa: E402, F403
from .ops_control import __all__ as _control_names  # noqa: E402
from .ops_fft import *  # noqa: E402, F403
from .ops_fft import __all__ as _fft_names  # noqa: E402
from .ops_linalg import *  # noqa: E402, F403
from .ops_linalg import __all__ as _linalg_names  # noqa: E402
from .ops_nn_more import *  # noqa: E402, F403
from .ops_nn_more import __all__ as _nn_more_names  # noqa: E402
from .ops_numpy_more import *  # noqa: E402, F403
from .ops_numpy_more import __all__ as _numpy_more_names  # noqa: E402

__all__ += ["image", "linalg", *_control_names, *_fft_names, *[n for n in _linalg_names if n != "norm"],
            *_numpy_more_names, *_nn_more_names]
__all__ += _audio_names

from .ops_groups import NN_NAMES as _NN_NAMES  # noqa: E402
from .ops_groups import NUMPY_NAMES as _NUMPY_NAMES  # noqa: E402
from .ops_groups import group as _group  # noqa: E402

numpy = _group("numpy", _NUMPY_NAMES, __import__(__name__, fromlist=["_"]))
nn = _group("nn", _NN_NAMES, __import__(__name__, fromlist=["_"]))
__all__ += ["numpy", "nn"]
_sys = __import__("sys")
_sys.modules[f"{__name__}.linalg"] = linalg
_sys.modules[f"{__name__}.image"] = image

__getattr__ = not_provided(__name__, __all__)
