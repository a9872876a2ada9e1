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
    """A 2-D convolution of channels-last images (batch, height, width, channels) with a kernel (kh, kw,
    channels, filters), Keras's ``ops.conv`` (fnlearn's :func:`fnlearn.nn.conv.conv2d`), its taps ``dilation_rate``
    apart.

    >>> import numpy as np
    >>> conv(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))).numpy()[0, :, :, 0].tolist()
    [[4.0, 4.0], [4.0, 4.0]]
    """
    from ..nn import conv as C

    C._channels_last(data_format, "ops.conv")
    return C.conv2d(_float(inputs), _float(kernel), strides=strides, padding=padding, dilation_rate=dilation_rate)


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


__all__ = ["mean", "sum", "max", "min", "logsumexp", "square", "sqrt", "abs", "exp", "log", "log1p", "negative",
           "add", "subtract", "multiply", "divide", "power", "clip", "maximum", "minimum", "where", "matmul", "dot",
           "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "shape", "softmax",
           "log_softmax", "sigmoid", "relu", "tanh", "softplus", "cast", "convert_to_tensor", "ones", "zeros",
           "ones_like", "zeros_like", "one_hot", "argmax", "argmin", "equal", "not_equal", "greater", "greater_equal",
           "less", "less_equal", "var", "std", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "floor", "ceil", "sign", "isnan", "isinf", "isfinite", "logical_not",
           "round", "logical_and", "logical_or", "logical_xor", "convert_to_numpy", "conv", "max_pool",
           "average_pool", "arange", "linspace", "eye", "identity", "tri", "full", "full_like", "meshgrid", "tril",
           "triu", "take", "take_along_axis", "tile", "repeat", "pad", "cumsum", "einsum", "tensordot", "outer",
           "segment_sum", "argsort", "sort", "top_k", "flip", "roll", "broadcast_to", "moveaxis", "swapaxes", "ravel",
           "split", "unstack", "hstack", "vstack", "slice", "stop_gradient", "sin", "cos", "reciprocal", "rsqrt",
           "log2", "log10", "absolute", "amax", "amin", "norm", "moments", "any", "all", "count_nonzero", "nonzero",
           "size", "ndim", "floor_divide", "mod", "gelu", "silu", "swish", "elu", "selu", "leaky_relu",
           "hard_sigmoid", "relu6", "log_sigmoid"]

__getattr__ = not_provided(__name__, __all__)
