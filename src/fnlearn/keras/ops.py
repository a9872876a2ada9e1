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

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..data import to_categorical
from ..errors import ConfigError
from ..tensor import Tensor
from ._missing import not_provided

# ----------------------------------------------------------------------------- helpers


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
    return F.where(condition, x1, x2)


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
    [1e-7, 1 − 1e-7], or from raw scores with ``from_logits``)."""
    output, target = _float(output), _float(target)
    if from_logits:  # softplus(z) − z·t, the stable form of the same
        return F.sub(F.softplus(output), F.mul(output, target))
    p = F.clip(output, 1e-7, 1 - 1e-7)
    return F.neg(F.add(F.mul(target, F.log(p)), F.mul(F.sub(1.0, target), F.log(F.sub(1.0, p)))))


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """−Σ t·log p along ``axis`` (p normalised to sum to 1 and clipped to [1e-7, 1 − 1e-7], or the log-softmax
    of raw scores with ``from_logits``), as Keras's ``ops`` function."""
    output, target = _float(output), _float(target)
    if from_logits:
        log_p = F.log_softmax(output, axis=axis)
    else:
        log_p = F.log(F.clip(F.div(output, F.sum(output, axis=axis, keepdims=True)), 1e-7, 1 - 1e-7))
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


def convert_to_tensor(x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None) -> Tensor:
    """``x`` as an fnlearn tensor (``fl.tensor``); a tensor is returned as it is unless ``dtype`` differs."""
    if sparse or ragged:
        raise ConfigError("convert_to_tensor(sparse=True / ragged=True) is not supported by fnlearn; its tensors "
                          "are dense.")
    if isinstance(x, Tensor):
        return x if dtype is None else cast(x, dtype)
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
    """A 2-D convolution of channels-last images (batch, height, width, channels) with a kernel (kh, kw,
    channels, filters), Keras's ``ops.conv`` (fnlearn's :func:`fnlearn.nn.conv.conv2d`).

    >>> import numpy as np
    >>> conv(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))).numpy()[0, :, :, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    """
    from ..nn import conv as C

    C._channels_last(data_format, "ops.conv")
    if C._pair(dilation_rate, "dilation_rate", "ops.conv") != (1, 1):
        raise ConfigError(f"ops.conv got dilation_rate={dilation_rate!r}; fnlearn convolves with dilation_rate=1 "
                          "only: leave it out.")
    return C.conv2d(_float(inputs), _float(kernel), strides=strides, padding=padding)


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


__all__ = ["mean", "sum", "max", "min", "logsumexp", "square", "sqrt", "abs", "exp", "log", "log1p", "negative",
           "add", "subtract", "multiply", "divide", "power", "clip", "maximum", "minimum", "where", "matmul", "dot",
           "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "shape", "softmax",
           "log_softmax", "sigmoid", "relu", "tanh", "softplus", "cast", "convert_to_tensor", "ones", "zeros",
           "ones_like", "zeros_like", "one_hot", "argmax", "argmin", "equal", "not_equal", "greater", "greater_equal",
           "less", "less_equal", "var", "std", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "floor", "ceil", "sign", "isnan", "isinf", "isfinite", "logical_not",
           "round", "logical_and", "logical_or", "logical_xor", "convert_to_numpy", "conv", "max_pool",
           "average_pool"]

__getattr__ = not_provided(__name__, __all__)
