"""Differentiable primitives. Each op computes its forward value and defines, right beside it,
the ``backward`` that maps the output's gradient ``g`` to its inputs' gradients (the chain rule).

Binary ops broadcast as NumPy does; each input's gradient is summed back to that input's shape.

Dtype rule (what ``a + b`` and every other op on two operands gives):

* a Python number takes the tensor's float dtype: ``float32_tensor * 2.5`` stays float32;
* float32 mixed with float64 gives float64, as in NumPy and PyTorch; each operand's gradient is cast
  back to that operand's own dtype, so a float32 parameter always gets a float32 ``.grad``;
* an integer or boolean tensor mixed with a float one becomes that float dtype (and a Python number
  with an integer tensor gives the default float dtype).

Layers are stricter: ``Dense`` casts its input to its own dtype (float32 unless
``fl.set_default_dtype("float64")``), so float64 or integer data never changes a model's dtype.

Example:
    >>> import fnlearn as fl
    >>> x = fl.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    >>> y = fl.relu(x).sum(); y.backward(); x.grad
    array([0., 1., 1.], dtype=float32)
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend
from .errors import ConfigError, DataError, DeviceError, ShapeError
from .tensor import Tensor

_result = Tensor._result

# ----------------------------------------------------------------------------- helpers


def _lift(x: Any, like: Tensor | None = None) -> Tensor:
    """A constant tensor for a non-tensor operand; Python numbers take ``like``'s float dtype."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (bool, int, float, np.number)) and like is not None and like.data.dtype.kind == "f":
        return Tensor(backend.xp().asarray(x, dtype=like.data.dtype))
    return Tensor(x)


def _takes_arrays(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """Let a one-input op take a NumPy array, a list or a number too, as a constant (Keras's and NumPy's
    functions do: ``tf.nn.softmax(model.predict(x))``); tensors pass straight through."""

    @functools.wraps(fn)
    def op(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        return fn(x if isinstance(x, Tensor) else Tensor(x), *args, **kwargs)

    return op


def _activation(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """:func:`_takes_arrays` for an activation, which always gives floats (as Keras's do): integer or boolean
    input becomes the default float dtype first."""

    @functools.wraps(fn)
    def op(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.data.dtype.kind != "f":
            x = Tensor(x.data.astype(backend.float_dtype()))
        return fn(x, *args, **kwargs)

    return op


def _where(t: Tensor) -> str:
    return "the GPU" if hasattr(t.data, "__cuda_array_interface__") else "the CPU"


def _pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        a, b = a, _lift(b, a)
    else:
        b = _lift(b)
        a = _lift(a, b)
    # arrays of one type live on one device: the attribute lookup (a dict built on CuPy) only when types differ
    if type(a.data) is not type(b.data) and _where(a) != _where(b):
        raise DeviceError(f"cannot combine a tensor on {_where(a)} with one on {_where(b)}; move both to one "
                          "device first (model.to('cuda') / fl.tensor(x) after fl.set_backend(...)).")
    # integer and boolean operands (labels, masks) never need a gradient: give them the float dtype
    kind_a, kind_b = a.data.dtype.kind, b.data.dtype.kind
    if kind_a == "f" and kind_b != "f":
        b = Tensor(b.data.astype(a.data.dtype))
    elif kind_b == "f" and kind_a != "f":
        a = Tensor(a.data.astype(b.data.dtype))
    return a, b


def _unbroadcast(g: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    """Sum a broadcast gradient back to an operand's shape (and dtype)."""
    if g.shape != shape:
        lead = g.ndim - len(shape)
        if lead:
            g = g.sum(axis=tuple(range(lead)))
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        g = g.reshape(shape)
    return g if g.dtype == dtype else g.astype(dtype)


def _check_broadcast(a: Tensor, b: Tensor, op: str) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ShapeError(
            f"cannot {op} tensors of shapes {a.shape} and {b.shape}: they do not broadcast (each axis, "
            "counted from the right, must be equal or 1); reshape one of them."
        ) from None


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int, or a sequence of ints) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    axis = tuple(int(a) for a in axis)
    if any(not -ndim <= a < ndim for a in axis):
        raise ShapeError(f"axis {axis if len(axis) > 1 else axis[0]} is out of range for a tensor with {ndim} "
                         f"ax{'is' if ndim == 1 else 'es'}; use an axis from {-ndim} to {ndim - 1}.")
    return tuple(sorted(a % ndim for a in axis))


def _keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _as_param(value: Any, name: str) -> Any:
    return value.data if isinstance(value, Tensor) else value


# ----------------------------------------------------------------------------- arithmetic


def add(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    _check_broadcast(a, b, "add")

    def backward(g):
        return _unbroadcast(g, a.shape, a.dtype), _unbroadcast(g, b.shape, b.dtype)

    return _result(a.data + b.data, (a, b), backward, "add")


def sub(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    _check_broadcast(a, b, "subtract")

    def backward(g):
        return _unbroadcast(g, a.shape, a.dtype), _unbroadcast(-g, b.shape, b.dtype)

    return _result(a.data - b.data, (a, b), backward, "sub")


def mul(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    _check_broadcast(a, b, "multiply")
    ad, bd = a.data, b.data  # the arrays of this step: a weight given new values later (assign) keeps these

    def backward(g):
        return (_unbroadcast(g * bd, a.shape, a.dtype) if a.requires_grad else None,
                _unbroadcast(g * ad, b.shape, b.dtype) if b.requires_grad else None)

    return _result(ad * bd, (a, b), backward, "mul")


def div(a: Any, b: Any) -> Tensor:
    a, b = _pair(a, b)
    _check_broadcast(a, b, "divide")
    bd = b.data
    out = a.data / bd

    def backward(g):
        return (_unbroadcast(g / bd, a.shape, a.dtype) if a.requires_grad else None,
                _unbroadcast(-g * out / bd, b.shape, b.dtype) if b.requires_grad else None)

    return _result(out, (a, b), backward, "div")


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001  (the operator's own name)
    a, b = _pair(a, b)
    _check_broadcast(a, b, "raise")
    xp = backend.xp()
    ad, bd = a.data, b.data
    out = ad ** bd

    def backward(g):
        ga = gb = None
        if a.requires_grad:
            # b·a^(b−1), with a^0 written as a^1 where b = 0 so that x**0 has gradient 0 at x = 0 (not 0·inf)
            ga = _unbroadcast(g * bd * ad ** xp.where(bd == 0, 1, bd - 1), a.shape, a.dtype)
        if b.requires_grad:
            # d(a^b)/db = a^b log a, taken as 0 where a <= 0 (there the power is not differentiable in b)
            safe = xp.where(ad > 0, ad, 1)
            gb = _unbroadcast(g * out * xp.log(safe), b.shape, b.dtype)
        return ga, gb

    return _result(out, (a, b), backward, "pow")


def neg(a: Tensor) -> Tensor:
    return _result(-a.data, (a,), lambda g: (-g,), "neg")


def cast(a: Tensor, dtype: Any) -> Tensor:
    """Change the dtype; the gradient is cast back to the input's dtype."""
    dtype = np.dtype(dtype)
    return _result(a.data.astype(dtype), (a,), lambda g: (g.astype(a.dtype),), "cast")


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product: 1-D · 1-D, 2-D @ 2-D, and batched (…, n, k) @ (…, k, m) with broadcasting."""
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"@ needs tensors with at least one axis, got shapes {a.shape} and {b.shape}; "
                         "use * for multiplying by a number.")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ShapeError(
            f"cannot compute {a.shape} @ {b.shape}: the last axis of the left ({k_a}) must equal the "
            f"{'only' if b.ndim == 1 else 'second-to-last'} axis of the right ({k_b}); check the shapes or "
            "transpose one of them (.T)."
        )
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"cannot compute {a.shape} @ {b.shape}: the batch axes {a.shape[:-2]} and "
                         f"{b.shape[:-2]} do not broadcast; make them equal or 1.") from None
    xp = backend.xp()
    ad, bd = a.data, b.data

    def backward(g):
        if a.ndim == 1 and b.ndim == 1:  # a dot product: g is a number
            return _unbroadcast(g * bd, a.shape, a.dtype), _unbroadcast(g * ad, b.shape, b.dtype)
        # treat a vector as a one-row (left) or one-column (right) matrix, as the forward did
        a2 = ad[None, :] if a.ndim == 1 else ad
        b2 = bd[:, None] if b.ndim == 1 else bd
        g2 = g[..., None, :] if a.ndim == 1 else g
        if b.ndim == 1:
            g2 = g2[..., None]
        ga = gb = None
        if a.requires_grad:
            ga = _unbroadcast(g2 @ xp.swapaxes(b2, -1, -2), a2.shape, a.dtype).reshape(a.shape)
        if b.requires_grad:
            gb = _unbroadcast(xp.swapaxes(a2, -1, -2) @ g2, b2.shape, b.dtype).reshape(b.shape)
        return ga, gb

    return _result(ad @ bd, (a, b), backward, "matmul")


def dense(x: Tensor, kernel: Tensor, bias: Tensor | None = None) -> Tensor:
    """The fused affine map ``x @ kernel + bias`` as one op with one backward.

    ``dW = xᵀg``, ``db = Σg``, and ``dx = g Wᵀ`` only when ``x`` needs a gradient (the first layer's
    input never does, which saves the largest matrix product of the backward pass).

    >>> import fnlearn as fl, numpy as np
    >>> fl.functional.dense(fl.tensor(np.ones((2, 3))), fl.Parameter(np.ones((3, 4))), None).shape
    (2, 4)
    """
    xp = backend.xp()
    if x.ndim < 1 or kernel.ndim != 2 or x.shape[-1] != kernel.shape[0]:
        raise ShapeError(f"cannot compute dense({x.shape} @ kernel {kernel.shape}): the input's last axis must "
                         "equal the kernel's first axis (inputs, units).")
    xd, kd = x.data, kernel.data
    out = xd @ kd
    if bias is not None:
        out += bias.data
    parents = (x, kernel) if bias is None else (x, kernel, bias)

    def backward(g):
        x2 = xd.reshape(-1, x.shape[-1])
        g2 = g.reshape(-1, g.shape[-1])
        gx = (g @ kd.T).astype(x.dtype, copy=False) if x.requires_grad else None
        gk = (x2.T @ g2).astype(kernel.dtype, copy=False) if kernel.requires_grad else None
        if bias is None:
            return gx, gk
        return gx, gk, (xp.sum(g2, axis=0).astype(bias.dtype, copy=False) if bias.requires_grad else None)

    return _result(out, parents, backward, "dense")


# ----------------------------------------------------------------------------- batch normalisation


def _norm_operands(x: Tensor, gamma: Tensor | None, beta: Tensor | None, epsilon: float,
                   who: str) -> tuple[int, list[Tensor]]:
    """The feature count of ``x`` (its last axis) and the op's parents, after checking the shapes."""
    if x.ndim < 1 or x.data.dtype.kind != "f":
        raise ShapeError(f"{who} needs a float tensor with the features on its last axis, got shape {x.shape} "
                         f"and dtype {x.dtype}.")
    features = x.shape[-1]
    for name, t in (("gamma", gamma), ("beta", beta)):
        if t is not None and t.shape != (features,):
            raise ShapeError(f"{who} got {name} of shape {t.shape} for inputs of shape {x.shape}; give one value "
                             f"per feature, shape ({features},).")
    if not (isinstance(epsilon, (int, float, np.floating)) and epsilon > 0 and np.isfinite(epsilon)):
        raise ConfigError(f"{who} needs epsilon > 0 (a small finite number such as 1e-3), got {epsilon!r}.")
    return features, [t for t in (x, gamma, beta) if t is not None]


def _norm_grads(x: Tensor, gamma: Tensor | None, beta: Tensor | None, gx: Any, dgamma: Any, dbeta: Any) -> tuple:
    """The gradients in the order of the op's parents (x, then gamma and beta where given), each in its dtype."""
    grads = [gx if gx is None else gx.reshape(x.shape).astype(x.dtype, copy=False)]
    if gamma is not None:
        grads.append(dgamma.astype(gamma.dtype, copy=False) if gamma.requires_grad else None)
    if beta is not None:
        grads.append(dbeta.astype(beta.dtype, copy=False) if beta.requires_grad else None)
    return tuple(grads)


def batch_norm_arrays(x2: Any, ones: Any, gamma: Any, beta: Any, epsilon: float) -> tuple[Any, ...]:
    """The training forward of :func:`batch_norm_train` on arrays: ``x2`` is (rows, features), ``ones`` a
    ones vector of its rows, ``gamma`` / ``beta`` parameters or None. Returns (output, x̂, 1/√(σ² + ε), μ, σ²);
    x̂ and the inverse are what :func:`batch_norm_backward_arrays` needs. The fast training step
    (fnlearn.fastpath) calls it too, so both compute the same numbers.

    >>> import fnlearn as fl, numpy as np
    >>> x, ones = fl.backend.to_device(np.array([[1.0], [3.0]])), fl.backend.to_device(np.ones(2))
    >>> out, xhat, inv, mean, var = batch_norm_arrays(x, ones, None, None, 1e-6)
    >>> fl.backend.to_numpy(out).ravel().round(3).tolist(), fl.backend.to_numpy(var).tolist()
    ([-1.0, 1.0], [1.0])
    """
    n = x2.shape[0]
    # column sums as a product with a ones vector (BLAS): 2-3× faster than NumPy's reduction along axis 0
    mean = ones @ x2
    mean /= n
    xhat = x2 - mean
    variance = ones @ (xhat * xhat)  # two passes: no cancellation where the mean is large
    variance /= n
    inv = 1 / backend.xp().sqrt(variance + epsilon)
    xhat *= inv
    if gamma is None and beta is None:
        out = xhat.copy()  # x̂ itself is kept for the backward
    else:
        out = xhat * gamma.data if gamma is not None else xhat.copy()
        if beta is not None:
            out += beta.data
    return out, xhat, inv, mean, variance


def batch_norm_backward_arrays(g2: Any, ones: Any, xhat: Any, inv: Any, gamma: Any,
                               input_grad: bool = True) -> tuple[Any, Any, Any]:
    """(dx or None, dγ, dβ) of :func:`batch_norm_arrays` for the output gradient ``g2`` (rows, features).

    >>> import fnlearn as fl, numpy as np
    >>> x, ones = fl.backend.to_device(np.array([[1.0], [3.0]])), fl.backend.to_device(np.ones(2))
    >>> out, xhat, inv, _, _ = batch_norm_arrays(x, ones, None, None, 1e-6)
    >>> dx, dgamma, dbeta = batch_norm_backward_arrays(ones[:, None], ones, xhat, inv, None)
    >>> fl.backend.to_numpy(dx).ravel().tolist(), fl.backend.to_numpy(dbeta).tolist()  # x̂ has mean 0
    ([0.0, 0.0], [2.0])
    """
    n = g2.shape[0]
    dbeta = ones @ g2
    dgamma = ones @ (g2 * xhat)
    gx = None
    if input_grad:
        gx = xhat * (dgamma / -n)
        gx += g2
        gx -= dbeta / n
        gx *= inv if gamma is None else gamma.data * inv
    return gx, dgamma, dbeta


def batch_norm_train(x: Tensor, gamma: Tensor | None = None, beta: Tensor | None = None,
                     epsilon: float = 1e-3) -> tuple[Tensor, Any, Any]:
    """Batch normalisation with the batch's own statistics: ``γ·(x − μ)/√(σ² + ε) + β`` per feature (the last
    axis), μ and σ² taken over every other axis (σ² the biased variance, as Keras and PyTorch normalise).

    Returns the output and the arrays μ and σ² (for a layer's moving averages). The backward is the closed
    form, computed at once instead of back through the chain of mean, variance and square root:
    ``dx = γ/√(σ² + ε) · (g − (Σg + x̂·Σ(g·x̂)) / n)``, ``dγ = Σ g·x̂``, ``dβ = Σ g``, ``x̂ = (x − μ)/√(σ² + ε)``,
    sums over the batch.

    >>> import fnlearn as fl, numpy as np
    >>> out, mean, var = batch_norm_train(fl.tensor([[1.0, 10.0], [3.0, 30.0]]), epsilon=1e-6)
    >>> out.numpy().round(3).tolist(), mean.tolist(), var.tolist()
    ([[-1.0, -1.0], [1.0, 1.0]], [2.0, 20.0], [1.0, 100.0])
    """
    features, parents = _norm_operands(x, gamma, beta, epsilon, "batch_norm")
    xp = backend.xp()
    x2 = x.data.reshape(-1, features)
    n = x2.shape[0]
    if n == 0:
        raise ShapeError(f"batch_norm got an empty batch (shape {x.shape}); pass at least one sample.")
    ones = xp.ones(n, dtype=x2.dtype)
    out, xhat, inv, mean, variance = batch_norm_arrays(x2, ones, gamma, beta, epsilon)

    def backward(g):
        gx, dgamma, dbeta = batch_norm_backward_arrays(g.reshape(-1, features), ones, xhat, inv, gamma,
                                                       x.requires_grad)
        return _norm_grads(x, gamma, beta, gx, dgamma, dbeta)

    return _result(out.reshape(x.shape), tuple(parents), backward, "batch_norm"), mean, variance


def batch_norm_affine(mean: Any, variance: Any, gamma: Any, beta: Any, epsilon: float) -> tuple[Any, Any, Any]:
    """(1/√(variance + ε), s, β − mean·s) with ``s = γ/√(variance + ε)``: inference's batch normalisation as
    ``x·s + shift`` (Keras's formula), for :func:`batch_norm` and the fast predict of fnlearn.fastpath.

    >>> import fnlearn as fl, numpy as np
    >>> mean, variance = fl.backend.to_device(np.array([2.0])), fl.backend.to_device(np.array([4.0]))
    >>> inv, scale, shift = batch_norm_affine(mean, variance, None, None, 0.0)
    >>> fl.backend.to_numpy(scale).tolist(), fl.backend.to_numpy(shift).tolist()
    ([0.5], [-1.0])
    """
    inv = 1 / backend.xp().sqrt(variance + epsilon)
    scale = inv if gamma is None else gamma.data * inv
    shift = -mean * scale
    if beta is not None:
        shift += beta.data
    return inv, scale, shift


def batch_norm(x: Any, gamma: Tensor | None = None, beta: Tensor | None = None, epsilon: float = 1e-3,
               mean: Any = None, variance: Any = None) -> Tensor:
    """``γ·(x − mean)/√(variance + ε) + β`` per feature (the last axis of ``x``).

    With ``mean`` and ``variance`` (arrays, one value per feature: a layer's moving statistics) they are
    constants, as in inference, and the op is ``x·s + (β − mean·s)`` with ``s = γ/√(variance + ε)``, Keras's
    formula. Without them the batch's own statistics are used and the gradient flows through them (see
    :func:`batch_norm_train`). ``gamma`` and ``beta`` may be None (no scale, no offset).

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor([[1.0, 10.0], [3.0, 30.0]])
    >>> batch_norm(x, mean=np.array([2.0, 20.0]), variance=np.array([1.0, 100.0]), epsilon=1e-9).numpy().tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if mean is None and variance is None:
        return batch_norm_train(x, gamma, beta, epsilon)[0]
    features, parents = _norm_operands(x, gamma, beta, epsilon, "batch_norm")
    if mean is None or variance is None:
        raise ConfigError("batch_norm needs both mean and variance (the moving statistics), or neither (then the "
                          "batch's own are used).")
    xp = backend.xp()
    mean = xp.array(_as_param(mean, "mean"), dtype=x.dtype, copy=True)  # a copy: later updates change nothing here
    variance = xp.asarray(_as_param(variance, "variance"), dtype=x.dtype)
    if mean.shape != (features,) or variance.shape != (features,):
        raise ShapeError(f"batch_norm got mean of shape {tuple(mean.shape)} and variance of shape "
                         f"{tuple(variance.shape)} for inputs of shape {x.shape}; give one value per feature, "
                         f"shape ({features},).")
    inv, scale, shift = batch_norm_affine(mean, variance, gamma, beta, epsilon)
    out = x.data * scale
    out += shift

    def backward(g):
        g2 = g.reshape(-1, features)
        ones = xp.ones(g2.shape[0], dtype=g2.dtype)
        dbeta = ones @ g2 if beta is not None and beta.requires_grad else None
        dgamma = None
        if gamma is not None and gamma.requires_grad:
            dgamma = (ones @ (g2 * (x.data.reshape(-1, features) - mean))) * inv
        gx = g * scale if x.requires_grad else None
        return _norm_grads(x, gamma, beta, gx, dgamma, dbeta)

    return _result(out, tuple(parents), backward, "batch_norm")


# ----------------------------------------------------------------------------- indexing and shape


def _raw_index(index: Any) -> Any:
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(_raw_index(i) for i in index)
    if isinstance(index, (list, np.ndarray)):  # on a GPU: copied once, not in the forward and again in the backward
        return backend.to_device(np.asarray(index))
    return index


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def getitem(a: Tensor, index: Any) -> Tensor:
    """``a[index]`` for ints, slices, integer arrays (repeats allowed) and boolean masks.

    The backward scatter-adds, so an element picked twice gets both gradients.
    """
    index = _raw_index(index)
    xp = backend.xp()
    try:
        out = a.data[index]
    except IndexError as exc:
        raise ShapeError(f"index {index!r} does not fit a tensor of shape {a.shape}: {exc}.") from None
    basic = _is_basic(index)

    def backward(g):
        full = xp.zeros(a.shape, dtype=a.dtype)
        if basic:
            full[index] = g
        elif xp is np and isinstance(index, np.ndarray) and index.dtype.kind in "iu" and a.ndim > 1:
            _add_rows(full, index, g)
        else:
            xp.add.at(full, index, g)
        return (full,)

    return _result(out, (a,), backward, "getitem")


def _add_rows(full: np.ndarray, index: np.ndarray, g: np.ndarray, space: backend.Workspace | None = None) -> None:
    """``np.add.at(full, index, g)`` for rows picked by an integer array (an embedding's word indices) into a
    C-contiguous ``full``, 4 times as fast: ``add.at`` on a flat index of every (row, column) cell picked takes
    NumPy's fast path for one axis, where picking whole rows does not (the text classifier's 5,120 picks of 32
    values into a 2,000 × 32 table: 0.35 ms, against 1.56 ms for rows and 0.99 ms for summing each row's picks
    after sorting them). ``space`` keeps the flat index from one call to the next.

    >>> full = np.zeros((3, 2)); _add_rows(full, np.array([[2, 0], [2, -1]]), np.ones((2, 2, 2))); full.tolist()
    [[1.0, 1.0], [0.0, 0.0], [3.0, 3.0]]
    """
    rows = index.reshape(-1, 1)
    width = full[0].size if len(full) else 0
    cells = np.empty((rows.size, width), dtype=np.intp) if space is None else \
        space.empty("cells", (rows.size, width), np.intp)
    np.multiply(np.where(rows < 0, rows + full.shape[0], rows), width, out=cells)  # -1 and n - 1 are one row
    cells += np.arange(width)
    np.add.at(full.reshape(-1), cells.reshape(-1), g.reshape(-1))


def embedding(table: Tensor, indices: Any, space: backend.Workspace | None = None) -> Tensor:
    """The rows of ``table`` that ``indices`` (whole numbers, any shape, already checked to be in range) pick:
    ``table[indices]``, as :func:`getitem` gives it, written into an array of ``space`` (an Embedding layer's
    output, 655 KiB for 64 reviews of 80 words, was a new array faulted in page by page at every step).

    >>> import fnlearn as fl
    >>> embedding(fl.Parameter(np.arange(6.0).reshape(3, 2)), np.array([[2, 0]])).numpy().tolist()
    [[[4.0, 5.0], [0.0, 1.0]]]
    """
    xp = backend.xp()
    td = table.data
    shape = (*indices.shape, *td.shape[1:])
    out = xp.empty(shape, dtype=td.dtype) if space is None else space.empty("rows", shape, td.dtype)
    if xp is np:
        np.take(td, indices, axis=0, out=out, mode="clip")  # mode "raise" would write into a buffer first
    else:
        xp.take(td, indices, axis=0, out=out)  # CuPy's take has no mode

    def backward(g):
        full = xp.zeros(td.shape, dtype=td.dtype)
        if xp is np:
            _add_rows(full, indices, g, space)
        else:
            xp.add.at(full, indices, g)
        return (full,)

    return _result(out, (table,), backward, "embedding")


def reshape(a: Tensor, shape: Sequence[int]) -> Tensor:
    shape = tuple(int(s) for s in shape)
    try:
        out = a.data.reshape(shape)
    except ValueError:
        raise ShapeError(f"cannot reshape a tensor of shape {a.shape} ({a.size} values) into {shape}; "
                         "the number of values must stay the same.") from None
    return _result(out, (a,), lambda g: (g.reshape(a.shape),), "reshape")


def transpose(a: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    xp = backend.xp()
    axes = tuple(reversed(range(a.ndim))) if not axes else tuple(int(i) % a.ndim for i in axes)
    if sorted(axes) != list(range(a.ndim)):
        raise ShapeError(f"transpose axes {axes} are not a permutation of the {a.ndim} axes of shape {a.shape}.")
    inverse = tuple(np.argsort(axes))
    return _result(xp.transpose(a.data, axes), (a,), lambda g: (xp.transpose(g, inverse),), "transpose")


def flatten(a: Tensor, start_axis: int = 0) -> Tensor:
    """Merge all axes from ``start_axis`` on into one (``start_axis=1`` keeps the batch axis)."""
    start_axis %= builtins.max(a.ndim, 1)
    return reshape(a, a.shape[:start_axis] + (-1,))


def expand_dims(a: Tensor, axis: int) -> Tensor:
    xp = backend.xp()
    return _result(xp.expand_dims(a.data, axis), (a,), lambda g: (g.reshape(a.shape),), "expand_dims")


def squeeze(a: Tensor, axis: int | tuple[int, ...] | None = None) -> Tensor:
    xp = backend.xp()
    try:
        out = xp.squeeze(a.data, axis=axis)
    except ValueError:
        raise ShapeError(f"cannot squeeze axis {axis} of shape {a.shape}: only axes of length 1 can go.") from None
    return _result(out, (a,), lambda g: (g.reshape(a.shape),), "squeeze")


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    xp = backend.xp()
    ts = [_lift(t) for t in tensors]
    try:
        out = xp.concatenate([t.data for t in ts], axis=axis)
    except ValueError:
        raise ShapeError(f"cannot concatenate shapes {[t.shape for t in ts]} along axis {axis}; all other "
                         "axes must match.") from None
    bounds = np.cumsum([t.shape[axis] for t in ts])[:-1].tolist()

    def backward(g):
        return tuple(part.astype(t.dtype, copy=False) for part, t in zip(xp.split(g, bounds, axis=axis), ts))

    return _result(out, tuple(ts), backward, "concatenate")


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    xp = backend.xp()
    ts = [_lift(t) for t in tensors]
    try:
        out = xp.stack([t.data for t in ts], axis=axis)
    except ValueError:
        raise ShapeError(f"cannot stack shapes {[t.shape for t in ts]}; all must be equal.") from None

    def backward(g):
        return tuple(xp.take(g, i, axis=axis).astype(t.dtype, copy=False) for i, t in enumerate(ts))

    return _result(out, tuple(ts), backward, "stack")


# ----------------------------------------------------------------------------- reductions


def sum(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    xp = backend.xp()
    axes = _axes(axis, a.ndim)
    kshape = _keepdims_shape(a.shape, axes)
    out = xp.sum(a.data, axis=None if axis is None else axes, keepdims=keepdims)
    return _result(out, (a,), lambda g: (xp.broadcast_to(g.reshape(kshape), a.shape),), "sum")


def mean(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    xp = backend.xp()
    axes = _axes(axis, a.ndim)
    kshape = _keepdims_shape(a.shape, axes)
    count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    out = xp.mean(a.data, axis=None if axis is None else axes, keepdims=keepdims)
    return _result(out, (a,), lambda g: (xp.broadcast_to(g.reshape(kshape) / count, a.shape),), "mean")


def _extreme(a: Tensor, axis: Any, keepdims: bool, pick: str) -> Tensor:
    xp = backend.xp()
    axes = _axes(axis, a.ndim)
    kshape = _keepdims_shape(a.shape, axes)
    out_k = getattr(xp, pick)(a.data, axis=None if axis is None else axes, keepdims=True)

    def backward(g):
        # ties share the gradient equally, as PyTorch's amax/amin do
        mask = (a.data == out_k).astype(a.dtype)
        return (mask * (g.reshape(kshape) / xp.sum(mask, axis=axes, keepdims=True)),)

    return _result(out_k if keepdims else out_k.reshape(tuple(n for i, n in enumerate(a.shape) if i not in axes)),
                   (a,), backward, pick)


def max(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return _extreme(a, axis, keepdims, "max")


def min(a: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return _extreme(a, axis, keepdims, "min")


# ----------------------------------------------------------------------------- elementwise


@_takes_arrays
def exp(a: Tensor) -> Tensor:
    out = backend.xp().exp(a.data)
    return _result(out, (a,), lambda g: (g * out,), "exp")


@_takes_arrays
def log(a: Tensor) -> Tensor:
    return _result(backend.xp().log(a.data), (a,), lambda g: (g / a.data,), "log")


@_takes_arrays
def sqrt(a: Tensor) -> Tensor:
    out = backend.xp().sqrt(a.data)
    return _result(out, (a,), lambda g: (g / (2 * out),), "sqrt")


@_takes_arrays
def abs(a: Tensor) -> Tensor:  # noqa: A001
    xp = backend.xp()
    return _result(xp.abs(a.data), (a,), lambda g: (g * xp.sign(a.data),), "abs")


@_takes_arrays
def clip(a: Tensor, low: Any = None, high: Any = None) -> Tensor:
    """Clamp into [low, high]; the gradient passes where the value was inside (boundaries included)."""
    xp = backend.xp()
    low, high = _as_param(low, "low"), _as_param(high, "high")
    out = xp.clip(a.data, low, high)

    def backward(g):
        keep = xp.ones(a.shape, dtype=bool)
        if low is not None:
            keep &= a.data >= low
        if high is not None:
            keep &= a.data <= high
        return (g * keep,)

    return _result(out, (a,), backward, "clip")


def _tie_split(a: Tensor, b: Tensor, choose_a: Any, g: Any) -> tuple[Any, Any]:
    xp = backend.xp()
    tie = a.data == b.data
    share_a = xp.where(tie, 0.5, choose_a.astype(g.dtype)).astype(g.dtype)
    return _unbroadcast(g * share_a, a.shape, a.dtype), _unbroadcast(g * (1 - share_a), b.shape, b.dtype)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; at ties each input gets half the gradient (as in PyTorch)."""
    a, b = _pair(a, b)
    _check_broadcast(a, b, "take the maximum of")
    xp = backend.xp()
    return _result(xp.maximum(a.data, b.data), (a, b), lambda g: _tie_split(a, b, a.data > b.data, g), "maximum")


def l2_normalize(x: Tensor, axis: int, epsilon: float | None = None) -> Tensor:
    """``x / max(‖x‖, ε)`` with the norm along ``axis``, Keras's ``normalize``: the floor is taken on the squared
    norm, so a zero vector stays 0 with a gradient of 0 rather than 0/0 (the cosine similarity's and ``Dot``'s).
    ε is the fuzz factor (:func:`fnlearn.backend.epsilon`) unless given.

    >>> l2_normalize(Tensor(np.array([[3.0, 4.0], [0.0, 0.0]])), 1).numpy().tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """
    eps = backend.epsilon() if epsilon is None else epsilon
    squares = sum(mul(x, x), axis=axis, keepdims=True)
    return div(x, sqrt(maximum(squares, eps * eps)))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; at ties each input gets half the gradient (as in PyTorch)."""
    a, b = _pair(a, b)
    _check_broadcast(a, b, "take the minimum of")
    xp = backend.xp()
    return _result(xp.minimum(a.data, b.data), (a, b), lambda g: _tie_split(a, b, a.data < b.data, g), "minimum")


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Pick from ``a`` where ``condition`` is true, else from ``b``."""
    xp = backend.xp()
    cond = condition.data if isinstance(condition, Tensor) else condition if backend.is_array(condition) \
        else backend.to_device(np.asarray(condition))
    a, b = _pair(a, b)
    try:
        np.broadcast_shapes(tuple(cond.shape), a.shape, b.shape)
    except ValueError:
        raise ShapeError(f"where: the condition {tuple(cond.shape)} and the values {a.shape} and {b.shape} do "
                         "not broadcast together; give them equal shapes (or axes of length 1).") from None
    out = xp.where(cond, a.data, b.data)

    def backward(g):
        zero = xp.zeros((), dtype=g.dtype)
        return (_unbroadcast(xp.where(cond, g, zero), a.shape, a.dtype),
                _unbroadcast(xp.where(cond, zero, g), b.shape, b.dtype))

    return _result(out, (a, b), backward, "where")


# ----------------------------------------------------------------------------- activations


def _sigmoid_array(z: Any) -> Any:
    """σ(z) on an array without overflow: e^(−|z|) never exceeds 1, and gives exact 0/1 at ±1000."""
    xp = backend.xp()
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1 / (1 + e), e / (1 + e))


@_activation
def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^(−x)), computed without overflow for any x (±1000 included)."""
    out = _sigmoid_array(x.data)
    t = _result(out, (x,), lambda g: (g * out * (1 - out),), "sigmoid")
    t._logits = x
    return t


@_activation
def hard_sigmoid(x: Tensor) -> Tensor:
    """clip(x/6 + ½, 0, 1), which is exactly (relu(x + 3) − relu(x − 3)) / 6: two ReLUs (PyTorch, Keras 3)."""
    xp = backend.xp()
    out = xp.clip(x.data / 6 + 0.5, 0, 1)
    return _result(out, (x,), lambda g: (g * ((x.data > -3) & (x.data < 3)) / 6,), "hard_sigmoid")


@_activation
def relu(x: Tensor, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> Tensor:
    """max(0, x); its gradient is 1 where x > 0 and 0 elsewhere (0 at x = 0, as PyTorch and Keras).

    Keras's options: values above ``threshold`` pass (capped at ``max_value``), the others become
    ``negative_slope · (x − threshold)``. ``relu(x, max_value=6)`` is ReLU6.

    >>> import fnlearn as fl
    >>> fl.functional.relu(fl.tensor([-2.0, 1.0, 8.0]), negative_slope=0.5, max_value=6).numpy().tolist()
    [-1.0, 1.0, 6.0]
    """
    xp = backend.xp()
    if negative_slope == 0 and max_value is None and threshold == 0:
        out = xp.maximum(x.data, 0)
        return _result(out, (x,), lambda g: (g * (out > 0),), "relu")
    check_relu_options(negative_slope, max_value, threshold)
    d = x.data
    above = d > threshold
    passed = d if max_value is None else xp.minimum(d, max_value)
    out = xp.where(above, passed, (d - threshold) * negative_slope if negative_slope else 0).astype(d.dtype)
    # The slope where the value passes: 1 below the cap (0 at and above it, as PyTorch's ReLU6).
    slope = xp.where(above, 1 if max_value is None else d < max_value, negative_slope).astype(d.dtype)
    return _result(out, (x,), lambda g: (g * slope,), "relu")


def check_relu_options(negative_slope: Any, max_value: Any, threshold: Any, who: str = "relu") -> None:
    """Refuse ReLU options Keras refuses: each must be a number ≥ 0 (``max_value`` may be None)."""
    for name, value in (("negative_slope", negative_slope), ("max_value", max_value), ("threshold", threshold)):
        if value is None and name == "max_value":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not np.isfinite(value) or value < 0:
            raise ConfigError(f"{who}'s {name} must be a finite number ≥ 0, got {value!r}; pass 0 (or None for "
                              "max_value) to leave it out.")


LEAKY_RELU_SLOPE = 0.01


@_activation
def leaky_relu(x: Tensor, negative_slope: float = LEAKY_RELU_SLOPE) -> Tensor:
    """x for x > 0, ``negative_slope``·x otherwise. The default slope is 0.01 (PyTorch's and the original paper's)."""
    xp = backend.xp()
    pos = x.data > 0
    out = xp.where(pos, x.data, x.data * negative_slope)
    return _result(out, (x,), lambda g: (xp.where(pos, g, g * negative_slope),), "leaky_relu")


@_activation
def tanh(x: Tensor) -> Tensor:
    out = backend.xp().tanh(x.data)
    return _result(out, (x,), lambda g: (g * (1 - out * out),), "tanh")


@_activation
def softplus(x: Tensor) -> Tensor:
    """log(1 + eˣ), computed stably as logaddexp(0, x)."""
    xp = backend.xp()
    out = xp.logaddexp(0, x.data).astype(x.dtype)
    return _result(out, (x,), lambda g: (g * _sigmoid_array(x.data),), "softplus")


@_activation
def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, α·(eˣ − 1) otherwise (α = 1 by default, as Keras and PyTorch).

    eˣ − 1 is taken of min(x, 0) only, so a large positive x never overflows.

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.functional.elu(fl.tensor([-2.0, 0.0, 3.0])).numpy().tolist()]
    [-0.8647, 0.0, 3.0]
    """
    return _elu(x, _finite_number(alpha, "elu", "alpha"), 1.0, "elu")


# SELU's fixed point constants (Klambauer et al. 2017), to the digits PyTorch and Keras 3 (JAX) use
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@_activation
def selu(x: Tensor) -> Tensor:
    """scale · elu(x, α) with the self-normalising constants α ≈ 1.6733, scale ≈ 1.0507.

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.functional.selu(fl.tensor([-1.0, 0.0, 1.0])).numpy().tolist()]
    [-1.1113, 0.0, 1.0507]
    """
    return _elu(x, SELU_ALPHA, SELU_SCALE, "selu")


def _elu(x: Tensor, alpha: float, scale: float, op: str) -> Tensor:
    out, slope = elu_arrays(x.data, alpha, scale)
    return _result(out, (x,), lambda g: (g * slope,), op)


def elu_arrays(d: Any, alpha: float = 1.0, scale: float = 1.0) -> tuple[Any, Any]:
    """scale·ELU of an array and its slope there, (out, slope): what :func:`elu`, :func:`selu` and fit's
    written-out step use. The slope is s·α·eˣ itself, not out + s·α, which cancels to 0 in float32 below
    x ≈ −16 while eˣ is still 1e-7."""
    xp = backend.xp()
    pos = d > 0
    neg = xp.minimum(d, 0)  # the exponential only ever sees x ≤ 0: no overflow at +1000
    out = xp.where(pos, d * scale, xp.expm1(neg) * (alpha * scale)).astype(d.dtype, copy=False)
    slope = xp.where(pos, scale, xp.exp(neg) * (alpha * scale)).astype(d.dtype, copy=False)
    return out, slope


def _finite_number(value: Any, who: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ConfigError(f"{who}'s {name} must be a finite number, got {value!r}.")
    return float(value)


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631-638,
# as in his CALERF (netlib specfun): near-minimax rationals good to ~18 digits. NumPy has no erf, SciPy is
# not a dependency, and math.erf element by element is far too slow for a layer's output.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
          1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_ERF_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
          8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
          2.15311535474403846e-8)
_ERF_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
          3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_ERF_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
          6.58749161529837803e-4, 1.63153871373020978e-2)
_ERF_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
          2.33520497626869185e-3)
_ERF_SMALL = 0.46875  # below: erf directly; above: erfc, which keeps its digits in the tail
_ERFC_ZERO = 26.543  # erfc(y) is below the smallest normal float64 from here on (Cody's XBIG)


def _rational(y: Any, num: tuple[float, ...], den: tuple[float, ...]) -> Any:
    """Cody's rational in y: num[-1] leads, then num[0], num[1], ...; den is monic. Updated in place: the
    temporaries, not the arithmetic, are what make this slow on large arrays."""
    n = y * num[-1]
    n += num[0]
    d = y + den[0]
    for a, b in zip(num[1:len(den)], den[1:]):
        n *= y
        n += a
        d *= y
        d += b
    n /= d
    return n


def _erfc_abs(y: Any) -> Any:
    """erfc(y) for y = |z| > 0.46875 (meaningless below), 0 from 26.543 on."""
    xp = backend.xp()
    yc = xp.clip(y, _ERF_SMALL, _ERFC_ZERO)
    scaled = _rational(xp.minimum(yc, 4.0), _ERF_C, _ERF_D)  # e^(y²)·erfc(y) on (0.47, 4]
    far_y = xp.maximum(yc, 4.0)
    inv = far_y * far_y
    inv = xp.reciprocal(inv, out=inv)
    far = _rational(inv, _ERF_P, _ERF_Q)
    far *= inv
    far = xp.subtract(0.56418958354775628695, far, out=far)  # 1/√π − 1/y²·P/Q: the same beyond 4
    far /= far_y
    scaled = xp.where(y > 4, far, scaled)
    # e^(−y²) as e^(−h²)·e^(−(y−h)(y+h)) with h = y rounded down to 1/16: h² is exact, so the rounding
    # error of y² is not blown up by the exponential (Cody's own step)
    h = yc * 16
    h = xp.trunc(h, out=h)
    h /= 16
    rest = yc - h
    rest *= yc + h
    rest *= -1
    scaled *= xp.exp(rest, out=rest)
    h *= h
    h *= -1
    scaled *= xp.exp(h, out=h)
    return xp.where(y >= _ERFC_ZERO, 0, scaled).astype(y.dtype, copy=False)


def _erf_near(z: Any) -> Any:
    """erf(z) for |z| ≤ 0.46875 (z is clipped to that range)."""
    zc = backend.xp().clip(z, -_ERF_SMALL, _ERF_SMALL)
    near = _rational(zc * zc, _ERF_A, _ERF_B)
    near *= zc
    return near


def _erf_array(z: Any) -> Any:
    """erf on an array, to about 1e-16 relative in float64 (Cody's rationals), in z's own dtype."""
    xp = backend.xp()
    flat = z.reshape(-1)  # 0-d arrays would turn into scalars, which the in-place steps cannot write to
    y = xp.abs(flat)
    far = 1 - _erfc_abs(y)
    far = xp.where(flat < 0, -far, far)
    return xp.where(y <= _ERF_SMALL, _erf_near(flat), far).astype(z.dtype, copy=False).reshape(z.shape)


# erfc(y) = t·exp(−y² + P(t)), t = 1/(1 + y/2), for y ≥ 0: fractional error below 1.2e-7 everywhere
# (Numerical Recipes' erfcc, from Chebyshev fitting). Enough for float32, and a third of Cody's cost there.
_ERFC_FIT = (0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418,
             0.37409196, 1.00002368, -1.26551223)


def _erfc_float32(z: Any) -> Any:
    """erfc of a float32 array within 6e-7 relative (about 10 ulp) everywhere, tail included."""
    xp = backend.xp()
    shape = z.shape
    z = z.reshape(-1)  # a 0-d array would turn into a NumPy scalar below, which out= cannot write into
    y = xp.minimum(xp.abs(z), np.float32(11))  # erfc(11) ≈ 1e-54 is 0 in float32; inf stays out of y − h
    t = y * np.float32(0.5)
    t += np.float32(1)
    t = xp.reciprocal(t, out=t)
    p = xp.full_like(y, np.float32(_ERFC_FIT[0]))
    for c in _ERFC_FIT[1:]:
        p *= t
        p += np.float32(c)
    # e^(−y²) as e^(−h²)·e^(−(y−h)(y+h)), h = y rounded down to 1/16: h² is exact, so y²'s rounding error is not
    # blown up by the exponential (as in Cody's erfc)
    h = xp.trunc(y * np.float32(16))
    h /= np.float32(16)
    p -= (y - h) * (y + h)
    out = xp.exp(p, out=p)
    out *= t
    h *= h
    h = xp.negative(h, out=h)
    out *= xp.exp(h, out=h)  # its own exponential: subtracting h² from p would round p's small terms away
    return xp.where(z < 0, np.float32(2) - out, out).reshape(shape)


def _erfc_array(z: Any) -> Any:
    """erfc = 1 − erf on an array, without 1 − erf's cancellation for large z (erfc(26) ≈ 6e-296)."""
    if z.dtype == np.float32:
        return _erfc_float32(z)
    xp = backend.xp()
    flat = z.reshape(-1)
    y = xp.abs(flat)
    tail = _erfc_abs(y)
    tail = xp.where(flat < 0, 2 - tail, tail)
    return xp.where(y <= _ERF_SMALL, 1 - _erf_near(flat), tail).astype(z.dtype, copy=False).reshape(z.shape)


@_activation
def gelu(x: Tensor, approximate: bool | str = False) -> Tensor:
    """x·Φ(x), Φ the standard normal CDF: exact (erf) by default, as PyTorch and Keras 3's activation.

    ``approximate=True`` (or PyTorch's ``"tanh"``) is the tanh form 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.functional.gelu(fl.tensor([-1.0, 0.0, 2.0])).numpy().tolist()]
    [-0.1587, 0.0, 1.9545]
    """
    if isinstance(approximate, str) and approximate in ("none", "tanh"):
        approximate = approximate == "tanh"
    if not isinstance(approximate, (bool, np.bool_)):
        raise ConfigError(f"gelu's approximate must be True or False (or PyTorch's 'tanh' / 'none'), got "
                          f"{approximate!r}.")
    out, slope = gelu_arrays(x.data, bool(approximate))
    return _result(out, (x,), lambda g: (g * slope,), "gelu")


def gelu_arrays(d: Any, approximate: bool = False) -> tuple[Any, Any]:
    """GELU of an array and its slope there, (out, slope): what :func:`gelu` and fit's written-out step use."""
    xp = backend.xp()
    # beyond ±40 (±1e4 for tanh) Φ is exactly 0 or 1 and its slope 0; clipping keeps x² and x³ finite
    if approximate:
        c = 0.7978845608028654  # √(2/π)
        xc = xp.clip(d, -1e4, 1e4)
        inner = c * (xc + 0.044715 * xc * xc * xc)
        # 1 + tanh(u) = 2σ(2u): no cancellation for x ≪ 0, no overflow anywhere
        s = _sigmoid_array(2 * inner)
        out = (d * s).astype(d.dtype, copy=False)
        slope = (s + xc * (2 * s * (1 - s)) * (c * (1 + 3 * 0.044715 * xc * xc))).astype(d.dtype, copy=False)
        return out, slope
    # Φ(x) = erfc(−x/√2)/2, exact in the tail where 1 + erf(x/√2) would lose every digit
    cdf = _erfc_array(d * -0.7071067811865476) * 0.5
    out = (d * cdf).astype(d.dtype, copy=False)
    xc = xp.clip(d, -40.0, 40.0)
    slope = (cdf + xc * xp.exp(-0.5 * xc * xc) * 0.3989422804014327).astype(d.dtype, copy=False)  # Φ + xφ
    return out, slope


@_activation
def silu(x: Tensor) -> Tensor:
    """x·σ(x), also called swish (``swish`` is this same function, as in Keras).

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.functional.silu(fl.tensor([-1.0, 0.0, 2.0])).numpy().tolist()]
    [-0.2689, 0.0, 1.7616]
    """
    out, slope = silu_arrays(x.data)
    return _result(out, (x,), lambda g: (g * slope,), "silu")


def silu_arrays(d: Any) -> tuple[Any, Any]:
    """SiLU of an array and its slope there, (out, slope): what :func:`silu` and fit's written-out step use."""
    s = _sigmoid_array(d)
    out = (d * s).astype(d.dtype, copy=False)
    slope = (s * (1 + d * (1 - s))).astype(d.dtype, copy=False)
    return out, slope


swish = silu


@_activation
def relu6(x: Tensor) -> Tensor:
    """min(max(x, 0), 6), i.e. ``relu(x, max_value=6)``; slope 0 at 0 and at 6 (as PyTorch).

    >>> import fnlearn as fl
    >>> fl.functional.relu6(fl.tensor([-1.0, 3.0, 8.0])).numpy().tolist()
    [0.0, 3.0, 6.0]
    """
    return relu(x, max_value=6.0)


def linear(x: Tensor) -> Tensor:
    """The identity: a layer with no activation."""
    return x


@_activation
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis``, shifted by the maximum so large scores never overflow."""
    xp = backend.xp()
    e = xp.exp(x.data - xp.max(x.data, axis=axis, keepdims=True))
    out = e / xp.sum(e, axis=axis, keepdims=True)

    def backward(g):
        return (out * (g - xp.sum(g * out, axis=axis, keepdims=True)),)

    t = _result(out, (x,), backward, "softmax")
    if axis in (-1, x.ndim - 1):
        t._logits = x
    return t


def _log_softmax_array(z: Any, axis: int = -1) -> Any:
    xp = backend.xp()
    shifted = z - xp.max(z, axis=axis, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


@_activation
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) by the log-sum-exp trick: finite for any scores."""
    xp = backend.xp()
    out = _log_softmax_array(x.data, axis)

    def backward(g):
        return (g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True),)

    return _result(out, (x,), backward, "log_softmax")


@_activation
def logsumexp(x: Tensor, axis: Any = -1, keepdims: bool = False) -> Tensor:
    """log Σ exp(x) along ``axis`` (an int, a tuple, or None for all), stable for large values; a row all −inf
    (nothing to sum, as a masked row) gives −inf and no gradient.

    >>> import fnlearn as fl, numpy as np
    >>> x = fl.tensor([[0.0, 0.0], [-np.inf, -np.inf]], requires_grad=True)
    >>> out = logsumexp(x); out.sum().backward()
    >>> [round(float(v), 4) for v in out.numpy()], fl.backend.to_numpy(x.grad).tolist()
    ([0.6931, -inf], [[0.5, 0.5], [0.0, 0.0]])
    """
    xp = backend.xp()
    axes = _axes(axis, x.ndim)
    kshape = _keepdims_shape(x.shape, axes)
    m = xp.max(x.data, axis=axes, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)  # a row of -inf sums to log 0 = -inf, not to -inf - (-inf) = NaN
    with np.errstate(divide="ignore"):
        out_k = m + xp.log(xp.sum(xp.exp(x.data - m), axis=axes, keepdims=True))

    def backward(g):
        # softmax weights, 0 in a row all −inf rather than exp(−inf − (−inf)) = NaN
        with np.errstate(invalid="ignore"):
            share = xp.where(xp.isfinite(out_k), xp.exp(x.data - out_k), 0)
        return (g.reshape(kshape) * share.astype(x.dtype, copy=False),)

    return _result(out_k if keepdims else out_k.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes)),
                   (x,), backward, "logsumexp")


def _elementwise(x: Tensor, out: Any, slope: Any, op: str) -> Tensor:
    """An activation's result from its value and slope arrays (both of x's dtype)."""
    out = out.astype(x.dtype, copy=False)
    slope = slope.astype(x.dtype, copy=False)
    return _result(out, (x,), lambda g: (g * slope,), op)


@_activation
def celu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, α·(e^(x/α) − 1) otherwise (continuously differentiable ELU); the exponential only sees x ≤ 0.

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.functional.celu(fl.tensor([-2.0, 1.0]), alpha=2.0).numpy().tolist()]
    [-1.2642, 1.0]
    """
    alpha = _finite_number(alpha, "celu", "alpha")
    if alpha == 0:
        raise ConfigError("celu(alpha=0): alpha must be a finite number other than 0 (Keras's default is 1.0).")
    xp = backend.xp()
    d = x.data
    neg = xp.minimum(d, 0) / alpha
    return _elementwise(x, xp.where(d > 0, d, alpha * xp.expm1(neg)), xp.where(d > 0, 1.0, xp.exp(neg)), "celu")


@_activation
def exponential(x: Tensor) -> Tensor:
    """eˣ, Keras's ``exponential`` activation (for a positive output, such as a Poisson rate).

    >>> import fnlearn as fl
    >>> fl.functional.exponential(fl.tensor([0.0])).numpy().tolist()
    [1.0]
    """
    return exp(x)


@_activation
def glu(x: Tensor, axis: int = -1) -> Tensor:
    """Gated linear unit a·σ(b), a and b the two halves of x along ``axis`` (which must have an even length).

    >>> import fnlearn as fl
    >>> fl.functional.glu(fl.tensor([[2.0, 0.0]])).numpy().tolist()
    [[1.0]]
    """
    axis = _one_axis(axis, x.ndim, "glu")
    n = x.shape[axis]
    if n % 2:
        raise ShapeError(f"glu splits its input in two halves along axis {axis}, but that axis has odd length {n} "
                         f"(input shape {x.shape}); give it an even number of units.")
    first = tuple(slice(0, n // 2) if i == axis else slice(None) for i in range(x.ndim))
    second = tuple(slice(n // 2, n) if i == axis else slice(None) for i in range(x.ndim))
    return mul(getitem(x, first), sigmoid(getitem(x, second)))


def _check_threshold(value: Any, who: str) -> float:
    value = _finite_number(value, who, "threshold")
    if value < 0:
        raise ConfigError(f"{who}(threshold={value!r}): threshold must be a finite number ≥ 0 (Keras's default is "
                          "0.5).")
    return value


@_activation
def hard_shrink(x: Tensor, threshold: float = 0.5) -> Tensor:
    """x where |x| > ``threshold``, 0 elsewhere.

    >>> import fnlearn as fl
    >>> fl.functional.hard_shrink(fl.tensor([-1.0, 0.25, 0.75])).numpy().tolist()
    [-1.0, 0.0, 0.75]
    """
    threshold = _check_threshold(threshold, "hard_shrink")
    xp = backend.xp()
    keep = xp.abs(x.data) > threshold
    return _elementwise(x, xp.where(keep, x.data, 0), keep, "hard_shrink")


@_activation
def soft_shrink(x: Tensor, threshold: float = 0.5) -> Tensor:
    """x − threshold above it, x + threshold below −threshold, 0 between.

    >>> import fnlearn as fl
    >>> fl.functional.soft_shrink(fl.tensor([-1.0, 0.25, 0.75])).numpy().tolist()
    [-0.5, 0.0, 0.25]
    """
    threshold = _check_threshold(threshold, "soft_shrink")
    xp = backend.xp()
    d = x.data
    out = xp.where(d > threshold, d - threshold, xp.where(d < -threshold, d + threshold, 0))
    return _elementwise(x, out, xp.abs(d) > threshold, "soft_shrink")


@_activation
def hard_silu(x: Tensor) -> Tensor:
    """x · hard_sigmoid(x) = x·relu6(x + 3)/6 (hard swish, MobileNetV3); ``hard_swish`` is this same function.

    >>> import fnlearn as fl
    >>> fl.functional.hard_silu(fl.tensor([-4.0, 0.0, 3.0])).numpy().tolist()
    [-0.0, 0.0, 3.0]
    """
    xp = backend.xp()
    d = x.data
    hs = xp.clip(d / 6 + 0.5, 0, 1)
    slope = xp.where(d <= -3, 0.0, xp.where(d >= 3, 1.0, d / 3 + 0.5))
    return _elementwise(x, d * hs, slope, "hard_silu")


hard_swish = hard_silu


@_activation
def hard_tanh(x: Tensor) -> Tensor:
    """clip(x, −1, 1), with slope 1 strictly inside.

    >>> import fnlearn as fl
    >>> fl.functional.hard_tanh(fl.tensor([-2.0, 0.5, 2.0])).numpy().tolist()
    [-1.0, 0.5, 1.0]
    """
    xp = backend.xp()
    d = x.data
    return _elementwise(x, xp.clip(d, -1, 1), (d > -1) & (d < 1), "hard_tanh")


@_activation
def log_sigmoid(x: Tensor) -> Tensor:
    """log σ(x) = −softplus(−x), exact for any x (about x far below 0, 0 far above).

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.functional.log_sigmoid(fl.tensor([-1000.0, 0.0])).numpy().tolist()]
    [-1000.0, -0.6931]
    """
    xp = backend.xp()
    d = x.data
    return _elementwise(x, -xp.logaddexp(0, -d), _sigmoid_array(-d), "log_sigmoid")


@_activation
def mish(x: Tensor) -> Tensor:
    """x · tanh(softplus(x)) (Misra 2019), the softplus taken as logaddexp(0, x) so no eˣ overflows.

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.functional.mish(fl.tensor([-1.0, 0.0, 1.0])).numpy().tolist()]
    [-0.3034, 0.0, 0.8651]
    """
    xp = backend.xp()
    d = x.data
    t = xp.tanh(xp.logaddexp(0, d))
    return _elementwise(x, d * t, t + d * (1 - t * t) * _sigmoid_array(d), "mish")


@_activation
def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|).

    >>> import fnlearn as fl
    >>> fl.functional.softsign(fl.tensor([-3.0, 1.0])).numpy().tolist()
    [-0.75, 0.5]
    """
    xp = backend.xp()
    d = x.data
    q = 1 / (1 + xp.abs(d))
    return _elementwise(x, d * q, q * q, "softsign")


@_activation
def sparse_plus(x: Tensor) -> Tensor:
    """0 for x ≤ −1, (x + 1)²/4 between, x for x ≥ 1: a softplus made of pieces.

    >>> import fnlearn as fl
    >>> fl.functional.sparse_plus(fl.tensor([-2.0, 0.0, 2.0])).numpy().tolist()
    [0.0, 0.25, 2.0]
    """
    xp = backend.xp()
    d = x.data
    out = xp.where(d <= -1, 0.0, xp.where(d >= 1, d, (d + 1) ** 2 / 4))
    return _elementwise(x, out, xp.clip((d + 1) / 2, 0, 1), "sparse_plus")


@_activation
def sparse_sigmoid(x: Tensor) -> Tensor:
    """0 for x ≤ −1, (x + 1)/2 between, 1 for x ≥ 1 (the slope of :func:`sparse_plus`).

    >>> import fnlearn as fl
    >>> fl.functional.sparse_sigmoid(fl.tensor([-2.0, 0.0, 2.0])).numpy().tolist()
    [0.0, 0.5, 1.0]
    """
    xp = backend.xp()
    d = x.data
    return _elementwise(x, xp.clip((d + 1) / 2, 0, 1), ((d > -1) & (d < 1)) * 0.5, "sparse_sigmoid")


@_activation
def squareplus(x: Tensor, b: float = 4.0) -> Tensor:
    """(x + √(x² + b)) / 2, a smooth ReLU (b ≥ 0); for x < 0 written b / (2(√(x² + b) − x)), which does not cancel.

    >>> import fnlearn as fl
    >>> [round(v, 4) for v in fl.functional.squareplus(fl.tensor([0.0, 3.0])).numpy().tolist()]
    [1.0, 3.3028]
    """
    b = _finite_number(b, "squareplus", "b")
    if b < 0:
        raise ConfigError(f"squareplus(b={b!r}): b must be a finite number ≥ 0 (Keras's default is 4).")
    xp = backend.xp()
    d = x.data
    root = xp.sqrt(d * d + b)
    out = xp.where(d >= 0, (d + root) / 2, b / (2 * xp.where(d >= 0, 1, root - d)))
    # the slope (1 + x/√(x² + b))/2; at x = 0 with b = 0 taken as ½
    slope = (1 + d / xp.where(root > 0, root, 1)) / 2
    return _elementwise(x, out, slope, "squareplus")


@_activation
def tanh_shrink(x: Tensor) -> Tensor:
    """x − tanh(x).

    >>> import fnlearn as fl
    >>> round(fl.functional.tanh_shrink(fl.tensor([1.0])).item(), 4)
    0.2384
    """
    t = backend.xp().tanh(x.data)
    return _elementwise(x, x.data - t, t * t, "tanh_shrink")


@_activation
def threshold(x: Tensor, threshold: float, default_value: float) -> Tensor:
    """x where x > ``threshold``, else ``default_value`` (Keras's and PyTorch's ``threshold``).

    >>> import fnlearn as fl
    >>> fl.functional.threshold(fl.tensor([0.5, 2.0]), 1.0, -1.0).numpy().tolist()
    [-1.0, 2.0]
    """
    threshold = _finite_number(threshold, "threshold", "threshold")
    default_value = _finite_number(default_value, "threshold", "default_value")
    xp = backend.xp()
    keep = x.data > threshold
    return _elementwise(x, xp.where(keep, x.data, default_value), keep, "threshold")


@_activation
def sparsemax(x: Tensor, axis: int = -1) -> Tensor:
    """The Euclidean projection of x onto the probability simplex along ``axis`` (Martins & Astudillo 2016):
    like softmax it sums to 1, but small scores get exactly 0.

    >>> import fnlearn as fl
    >>> fl.functional.sparsemax(fl.tensor([[2.0, 0.5, -1.0]])).numpy().tolist()
    [[1.0, 0.0, 0.0]]
    """
    axis = _one_axis(axis, x.ndim, "sparsemax")
    xp = backend.xp()
    z = xp.moveaxis(x.data, axis, -1)
    ranked = -xp.sort(-z, axis=-1)
    cumulative = xp.cumsum(ranked, axis=-1)
    k = xp.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    support_size = xp.sum(1 + k * ranked > cumulative, axis=-1, keepdims=True)
    tau = (xp.take_along_axis(cumulative, support_size - 1, axis=-1) - 1) / support_size
    out = xp.moveaxis(xp.maximum(z - tau, 0), -1, axis).astype(x.dtype, copy=False)
    support = (out > 0).astype(x.dtype)
    count = xp.maximum(xp.sum(support, axis=axis, keepdims=True), 1)

    def backward(g):
        # the Jacobian diag(s) − s·sᵀ/|S| on the support S (s its indicator)
        return (support * (g - xp.sum(g * support, axis=axis, keepdims=True) / count),)

    return _result(out, (x,), backward, "sparsemax")


ACTIVATIONS = {
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "tanh": tanh,
    "softplus": softplus,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "silu": silu,
    "swish": swish,
    "relu6": relu6,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "linear": linear,
    "celu": celu,
    "exponential": exponential,
    "glu": glu,
    "hard_shrink": hard_shrink,
    "hard_silu": hard_silu,
    "hard_swish": hard_swish,
    "hard_tanh": hard_tanh,
    "log_sigmoid": log_sigmoid,
    "mish": mish,
    "soft_shrink": soft_shrink,
    "softsign": softsign,
    "sparse_plus": sparse_plus,
    "sparse_sigmoid": sparse_sigmoid,
    "sparsemax": sparsemax,
    "squareplus": squareplus,
    "tanh_shrink": tanh_shrink,
}


def get_activation(name: Any) -> Any:
    """An activation function from its name (``"relu"``), a callable, or None (linear).

    A function or layer of the real Keras, TensorFlow or PyTorch is refused in one sentence: it would compute on
    another library's arrays, outside fnlearn's gradients.

    >>> get_activation("ReLU") is relu, get_activation(None) is linear
    (True, True)
    """
    from .errors import equivalent, reject_foreign, unknown_name

    if name is None:
        return linear
    reject_foreign("activation", name, equivalent(name, "keras.activations", ACTIVATIONS))
    if callable(name):
        return name
    if isinstance(name, str) and name.lower() in ACTIVATIONS:
        return ACTIVATIONS[name.lower()]
    raise unknown_name("activation", name, ACTIVATIONS)


# ----------------------------------------------------------------------------- fused losses


def _reduce_per_sample(per_sample: Any, reduction: str) -> tuple[Any, Any]:
    """The reduced loss value and the factor each sample's gradient is scaled by."""
    xp = backend.xp()
    if reduction == "mean":
        n = builtins.max(per_sample.size, 1)
        return xp.sum(per_sample) / n, 1.0 / n
    if reduction == "sum":
        return xp.sum(per_sample), 1.0
    if reduction == "none":
        return per_sample, None
    raise ConfigError(f"reduction {reduction!r} is not known; use 'mean', 'sum' or 'none'.")


def _per_sample_scale(g: Any, factor: Any, reduced_last_axis: bool = True) -> Any:
    """The incoming gradient as a per-element scale: per sample for reduction="none", else one number."""
    if factor is not None:
        return g * factor
    return g[..., None] if reduced_last_axis else g


def softmax_cross_entropy(logits: Tensor, target: Any, sparse: bool, reduction: str = "mean") -> Tensor:
    """Cross-entropy of softmax(logits) against one-hot/probability targets (or integer labels when
    ``sparse``), fused: the loss from log-sum-exp, the gradient ``softmax − y`` in one step."""
    xp = backend.xp()
    z = logits.data
    target = backend.to_device(target)
    logp = _log_softmax_array(z, -1)
    if sparse:
        labels = target.astype(np.int64, copy=False).reshape(z.shape[:-1])
        per_sample = -xp.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    else:
        per_sample = -xp.sum(target * logp, axis=-1)
    value, factor = _reduce_per_sample(per_sample, reduction)

    def backward(g):
        p = xp.exp(logp)
        if sparse:
            xp.put_along_axis(p, labels[..., None], xp.take_along_axis(p, labels[..., None], axis=-1) - 1, axis=-1)
            grad = p
        else:
            grad = p * xp.sum(target, axis=-1, keepdims=True) - target
        return ((grad * _per_sample_scale(g, factor)).astype(z.dtype),)

    return _result(xp.asarray(value, dtype=z.dtype), (logits,), backward, "softmax_cross_entropy")


def sigmoid_binary_cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(logits), fused and stable: max(z,0) − z·y + log(1 + e^(−|z|)),
    averaged over the last axis per sample (as Keras does) when the logits have a batch axis and an
    output axis; gradient ``(σ(z) − y) / k`` with k outputs per sample."""
    xp = backend.xp()
    z = logits.data
    target = backend.to_device(target)
    if z.ndim == 0:
        raise ShapeError("binary cross-entropy needs predictions with at least one axis; got a single number.")
    elem = xp.maximum(z, 0) - z * target + xp.log1p(xp.exp(-xp.abs(z)))
    per_output = z.ndim >= 2  # (batch, outputs): one loss per sample; (batch,): one per element
    k = z.shape[-1] if per_output else 1
    per_sample = xp.mean(elem, axis=-1) if per_output else elem
    value, factor = _reduce_per_sample(per_sample, reduction)

    def backward(g):
        scale = _per_sample_scale(g, factor, per_output)
        return (((_sigmoid_array(z) - target) * (scale / k)).astype(z.dtype),)

    return _result(xp.asarray(value, dtype=z.dtype), (logits,), backward, "sigmoid_binary_cross_entropy")


def position_words(pos: tuple[int, ...]) -> str:
    """Where a value sits in a data array, as a sentence says it: ``row 3``, ``row 3, column 1``."""
    if len(pos) == 1:
        return f"row {pos[0]}"
    if len(pos) == 2:
        return f"row {pos[0]}, column {pos[1]}"
    return f"row {pos[0]}, position {pos[1:]}"


def check_finite(x: Any, name: str) -> None:
    """Raise DataError naming the first NaN/inf position (row, column) in ``x``."""
    xp = backend.xp()
    arr = x.data if isinstance(x, Tensor) else x
    if arr.dtype.kind != "f" or arr.size == 0:
        return
    # Fast screen: one NaN or inf makes its row's sum non-finite. A matrix-vector product with ones reads
    # the data once and allocates one value per row (a full isfinite mask would cost a byte per value).
    rows = arr.reshape(arr.shape[0], -1) if arr.ndim > 1 else arr.reshape(1, -1)
    with np.errstate(over="ignore", invalid="ignore"):
        sums = rows @ xp.ones(rows.shape[1], dtype=arr.dtype)
    if bool(xp.isfinite(sums).all()):
        return
    bad = ~xp.isfinite(arr)  # a row sum can also overflow on huge finite values: look exactly
    if bool(bad.any()):
        pos = tuple(int(i) for i in np.argwhere(backend.to_numpy(bad))[0])
        value = backend.to_numpy(arr)[pos]
        raise DataError(f"{name} contains {value} at {position_words(pos)}; remove or fill missing values "
                        "(NaN) and infinities first, or pass allow_nonfinite=True to use them as they are.")



# ----------------------------------------------------------------------------- gathers, tiles, pads, scans, einsum
# (the shape and index ops of ``keras.ops``: take, take_along_axis, tile, pad, cumsum, einsum, segment_sum, …)


def _index_array(indices: Any, who: str) -> Any:
    """``indices`` as an integer array on the current device; anything else is refused in one sentence."""
    data = (indices.data if isinstance(indices, Tensor) else indices if backend.is_array(indices)
            else backend.to_device(np.asarray(indices)))
    if data.dtype.kind not in "iu":
        raise ConfigError(f"{who}: indices must be integers, got dtype {data.dtype}; cast them with "
                          "ops.cast(indices, 'int32').")
    return data


def _one_axis(axis: Any, ndim: int, who: str) -> int:
    if not isinstance(axis, (int, np.integer)) or not -ndim <= int(axis) < builtins.max(ndim, 1):
        raise ShapeError(f"{who}: axis {axis!r} is out of range for a tensor with {ndim} axes; use an axis from "
                         f"{-ndim} to {ndim - 1}.")
    return int(axis) % builtins.max(ndim, 1)


@_takes_arrays
def take(a: Tensor, indices: Any, axis: int | None = None) -> Tensor:
    """The slices of ``a`` at ``indices`` along ``axis`` (None: of the flattened values), NumPy's ``take``;
    negative indices count from the end. The backward adds the gradients of repeated picks.

    >>> import fnlearn as fl
    >>> x = fl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> take(x, [1, 1], axis=0).sum().backward(); x.grad.tolist()
    [[0.0, 0.0], [2.0, 2.0]]
    """
    if axis is None:
        return take(reshape(a, (-1,)), indices, 0)
    xp = backend.xp()
    idx = _index_array(indices, "take")
    axis = _one_axis(axis, a.ndim, "take")
    n = a.shape[axis]
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise ShapeError(f"take: an index is outside the {n} positions of axis {axis} (indices from {-n} to "
                         f"{n - 1} are allowed), got indices from {int(idx.min())} to {int(idx.max())}.")
    idx = xp.where(idx < 0, idx + n, idx)
    out = xp.take(a.data, idx, axis=axis)

    def backward(g):
        full = xp.zeros(a.shape, dtype=a.dtype)
        # move the taken axis first, so the picks index rows: full[idx] += g
        moved = xp.moveaxis(full, axis, 0)
        g_moved = xp.moveaxis(g.reshape(a.shape[:axis] + idx.shape + a.shape[axis + 1:]),
                              tuple(range(axis, axis + idx.ndim)), tuple(range(idx.ndim)))
        xp.add.at(moved, idx, g_moved.astype(a.dtype, copy=False))
        return (full,)

    return _result(out, (a,), backward, "take")


@_takes_arrays
def take_along_axis(a: Tensor, indices: Any, axis: int | None = None) -> Tensor:
    """NumPy's ``take_along_axis``: ``out[..., i, ...] = a[..., indices[..., i, ...], ...]`` along ``axis``
    (None: of the flattened values); the backward adds the gradients of repeated picks.

    >>> import fnlearn as fl
    >>> take_along_axis(fl.tensor([[3.0, 1.0], [5.0, 9.0]]), [[1], [0]], axis=1).numpy().tolist()
    [[1.0], [5.0]]
    """
    if axis is None:
        return take_along_axis(reshape(a, (-1,)), xp_ravel(_index_array(indices, "take_along_axis")), 0)
    xp = backend.xp()
    idx = _index_array(indices, "take_along_axis")
    axis = _one_axis(axis, a.ndim, "take_along_axis")
    if idx.ndim != a.ndim:
        raise ShapeError(f"take_along_axis: indices need as many axes as the tensor ({a.ndim}, shape {a.shape}), "
                         f"got shape {tuple(idx.shape)}.")
    n = a.shape[axis]
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        raise ShapeError(f"take_along_axis: an index is outside the {n} positions of axis {axis}, got indices "
                         f"from {int(idx.min())} to {int(idx.max())}.")
    idx = xp.where(idx < 0, idx + n, idx)
    try:
        shape = np.broadcast_shapes(tuple(s for i, s in enumerate(a.shape) if i != axis),
                                    tuple(s for i, s in enumerate(idx.shape) if i != axis))
    except ValueError:
        raise ShapeError(f"take_along_axis: indices of shape {tuple(idx.shape)} do not broadcast with the tensor's "
                         f"shape {a.shape} off axis {axis}.") from None
    shape = shape[:axis] + (idx.shape[axis],) + shape[axis:]
    idx = xp.broadcast_to(idx, shape)
    # the full index: a grid for every other axis, the picks for this one
    grid = [xp.arange(n).reshape((1,) * i + (n,) + (1,) * (len(shape) - i - 1))
            for i, n in enumerate(shape)]
    grid[axis] = idx
    grid = tuple(grid)
    src_shape = tuple(a.shape[i] if i == axis else shape[i] for i in range(a.ndim))
    src = xp.broadcast_to(a.data, src_shape)
    out = src[grid]

    def backward(g):
        full = xp.zeros(src_shape, dtype=a.dtype)
        xp.add.at(full, grid, g.astype(a.dtype, copy=False))
        return (_unbroadcast(full, a.shape, a.dtype),)

    return _result(out, (a,), backward, "take_along_axis")


def xp_ravel(x: Any) -> Any:
    return x.reshape(-1)


@_takes_arrays
def tile(a: Tensor, repeats: Any) -> Tensor:
    """``a`` repeated ``repeats`` times along each axis (NumPy's ``tile``); the backward sums the copies.

    >>> import fnlearn as fl
    >>> tile(fl.tensor([1.0, 2.0]), 2).numpy().tolist()
    [1.0, 2.0, 1.0, 2.0]
    """
    xp = backend.xp()
    reps = (repeats,) if isinstance(repeats, (int, np.integer)) else tuple(repeats)
    if not all(isinstance(r, (int, np.integer)) and r >= 0 for r in reps):
        raise ConfigError(f"tile: repeats must be whole numbers ≥ 0, got {repeats!r}.")
    ndim = builtins.max(a.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + tuple(int(r) for r in reps)
    shape = (1,) * (ndim - a.ndim) + a.shape
    out = xp.tile(a.data, reps)

    def backward(g):
        # (r0·s0, r1·s1, …) → (r0, s0, r1, s1, …), summed over the r's
        split = g.reshape(tuple(v for r, s in zip(reps, shape) for v in (r, s)))
        return (split.sum(axis=tuple(range(0, 2 * ndim, 2))).reshape(a.shape),)

    return _result(out, (a,), backward, "tile")


@_takes_arrays
def pad(a: Tensor, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """``a`` padded with ``constant_values`` (``mode="constant"``), ``pad_width`` as NumPy's ``pad`` takes it
    (an int, a (before, after) pair, or a pair per axis); the backward keeps the inside.

    >>> import fnlearn as fl
    >>> pad(fl.tensor([[1.0]]), ((0, 1), (1, 0))).numpy().tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    if mode != "constant":
        raise ConfigError(f"pad(mode={mode!r}) is not supported by fnlearn; it pads with a constant: leave "
                          "mode='constant'.")
    xp = backend.xp()
    try:
        widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (a.ndim, 2))
    except ValueError:
        raise ShapeError(f"pad: pad_width {pad_width!r} does not fit a tensor with {a.ndim} axes; give an int, "
                         "a (before, after) pair, or one pair per axis.") from None
    if (widths < 0).any():
        raise ConfigError(f"pad: pad_width must not be negative, got {pad_width!r}.")
    value = _as_param(constant_values, "constant_values")
    out = xp.pad(a.data, [tuple(int(v) for v in w) for w in widths], mode="constant", constant_values=value)
    inside = tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(widths, a.shape))
    return _result(out, (a,), lambda g: (g[inside],), "pad")


@_takes_arrays
def cumsum(a: Tensor, axis: int | None = None) -> Tensor:
    """Running sums along ``axis`` (None: of the flattened values); the backward is the running sum of the
    gradient taken from the end.

    >>> import fnlearn as fl
    >>> cumsum(fl.tensor([1.0, 2.0, 3.0])).numpy().tolist()
    [1.0, 3.0, 6.0]
    """
    if axis is None:
        return cumsum(reshape(a, (-1,)), 0)
    xp = backend.xp()
    axis = _one_axis(axis, a.ndim, "cumsum")

    def backward(g):
        return (xp.flip(xp.cumsum(xp.flip(g, axis), axis=axis), axis),)

    return _result(xp.cumsum(a.data, axis=axis), (a,), backward, "cumsum")


@_takes_arrays
def flip(a: Tensor, axis: Any = None) -> Tensor:
    """``a`` with the order of ``axis`` reversed (None: every axis)."""
    xp = backend.xp()
    axes = _axes(axis, a.ndim)
    return _result(xp.flip(a.data, axes), (a,), lambda g: (xp.flip(g, axes),), "flip")


@_takes_arrays
def broadcast_to(a: Tensor, shape: Sequence[int]) -> Tensor:
    """``a`` broadcast to ``shape``; the backward sums the copies back."""
    xp = backend.xp()
    shape = tuple(int(s) for s in shape)
    try:
        out = xp.broadcast_to(a.data, shape)
    except ValueError:
        raise ShapeError(f"cannot broadcast a tensor of shape {a.shape} to {shape}; each axis, counted from the "
                         "right, must be equal or 1.") from None
    return _result(out, (a,), lambda g: (_unbroadcast(g, a.shape, a.dtype),), "broadcast_to")


@_takes_arrays
def sin(a: Tensor) -> Tensor:
    """sin x, elementwise (radians)."""
    xp = backend.xp()
    return _result(xp.sin(a.data), (a,), lambda g: (g * xp.cos(a.data),), "sin")


@_takes_arrays
def cos(a: Tensor) -> Tensor:
    """cos x, elementwise (radians)."""
    xp = backend.xp()
    return _result(xp.cos(a.data), (a,), lambda g: (-g * xp.sin(a.data),), "cos")


def segment_sum(data: Any, segment_ids: Any, num_segments: int | None = None) -> Tensor:
    """Sums of the rows of ``data`` that share a segment id: ``out[s] = Σ data[i] for segment_ids[i] == s``;
    ``num_segments`` defaults to the largest id + 1. The backward gives each row its segment's gradient.

    >>> segment_sum([1.0, 2.0, 3.0], [0, 0, 2]).numpy().tolist()
    [3.0, 0.0, 3.0]
    """
    xp = backend.xp()
    a = _lift(data)
    ids = _index_array(segment_ids, "segment_sum")
    if ids.ndim != 1 or a.ndim == 0 or ids.shape[0] != a.shape[0]:
        raise ShapeError(f"segment_sum: segment_ids must be one id per row of data, got shape {tuple(ids.shape)} "
                         f"for data of shape {a.shape}.")
    if ids.size and int(ids.min()) < 0:
        raise ConfigError(f"segment_sum: segment ids must be ≥ 0, got {int(ids.min())}.")
    n = (int(ids.max()) + 1 if ids.size else 0) if num_segments is None else int(num_segments)
    keep = ids < n  # ids past num_segments are dropped, as in Keras
    out = xp.zeros((n,) + a.shape[1:], dtype=a.dtype)
    xp.add.at(out, ids[keep], a.data[keep])

    def backward(g):
        full = xp.zeros(a.shape, dtype=a.dtype)
        full[keep] = g[ids[keep]]
        return (full,)

    return _result(out, (a,), backward, "segment_sum")


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _einsum_spec(subscripts: str, ndims: Sequence[int]) -> tuple[list[str], str]:
    """The inputs' and output's subscripts with every ``...`` written out as letters, and the implicit output
    (no ``->``) made explicit, as NumPy reads it."""
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise ConfigError(f"einsum: the subscripts {subscripts!r} name {len(inputs)} operands, but "
                          f"{len(ndims)} were given.")
    used = set(spec) - set(".,->")
    if not all(c in _LETTERS for c in used):
        raise ConfigError(f"einsum: subscripts are letters, '...', ',' and '->', got {subscripts!r}.")
    free = [c for c in _LETTERS if c not in used]
    n_ell = builtins.max([nd - (len(s) - 3) for s, nd in zip(inputs, ndims) if "..." in s], default=0)
    ell = "".join(free[:n_ell])
    out_inputs = []
    for s, nd in zip(inputs, ndims):
        if "..." in s:
            k = nd - (len(s) - 3)
            s = s.replace("...", ell[n_ell - k:] if k > 0 else "")
        if len(s) != nd:
            raise ShapeError(f"einsum: the subscripts {s!r} name {len(s)} axes, but the operand has {nd}.")
        if len(set(s)) != len(s):
            raise ConfigError(f"einsum: an index repeated within one operand ({s!r}, a diagonal) is not supported "
                              "by fnlearn; take the diagonal first.")
        out_inputs.append(s)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = "".join(out_inputs)
        out = ell + "".join(sorted((c for c in set(counts) if counts.count(c) == 1 and c not in ell),
                                   key=_LETTERS.index))
    if len(set(out)) != len(out) or any(c not in "".join(out_inputs) for c in out):
        raise ConfigError(f"einsum: the output subscripts of {subscripts!r} must be distinct letters that appear "
                          "in the inputs.")
    return out_inputs, out


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation over the operands (NumPy's ``einsum``, ``...`` and implicit outputs included); each
    operand's gradient is an einsum of the output's gradient with the other operands.

    >>> import numpy as np
    >>> einsum("ij,jk->ik", np.eye(2), [[1.0, 2.0], [3.0, 4.0]]).numpy().tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """
    xp = backend.xp()
    ts = [_lift(o) for o in operands]
    floats = [t.dtype for t in ts if t.dtype.kind == "f"]
    if floats:
        ftype = np.result_type(*floats)
        ts = [t if t.dtype.kind == "f" else Tensor(t.data.astype(ftype)) for t in ts]
    ins, out_sub = _einsum_spec(subscripts, [t.ndim for t in ts])
    sizes: dict[str, int] = {}
    for s, t in zip(ins, ts):
        for c, n in zip(s, t.shape):
            if n != 1 and sizes.setdefault(c, n) != n:
                raise ShapeError(f"einsum: index {c!r} of {subscripts!r} has sizes {sizes[c]} and {n} in the "
                                 f"operands of shapes {[t.shape for t in ts]}.")
    out = xp.einsum(",".join(ins) + "->" + out_sub, *[t.data for t in ts])

    def backward(g):
        grads = []
        for k, (s, t) in enumerate(zip(ins, ts)):
            others = [ins[j] for j in range(len(ts)) if j != k]
            seen = out_sub + "".join(others)
            target = "".join(c for c in s if c in seen)
            gk = xp.einsum(",".join([out_sub, *others]) + "->" + target, g,
                           *[ts[j].data for j in range(len(ts)) if j != k])
            # axes of size 1 in this operand that broadcast: sum them back
            axes = tuple(i for i, c in enumerate(target) if t.shape[s.index(c)] == 1 and gk.shape[i] != 1)
            if axes:
                gk = gk.sum(axis=axes, keepdims=True)
            # letters summed in this operand alone: every value of them gets the same gradient
            for i, c in enumerate(s):
                if c not in seen:
                    gk = xp.expand_dims(gk, i)
            grads.append(xp.broadcast_to(gk, t.shape).astype(t.dtype, copy=False))
        return tuple(grads)

    return _result(out, tuple(ts), backward, "einsum")
