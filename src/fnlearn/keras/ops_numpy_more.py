"""More of Keras 3's NumPy-style ops on fnlearn tensors: the NaN-skipping reductions, bitwise and integer
functions, windows, ``rearrange`` and the rest of ``keras.ops.numpy``.

The float ones are differentiable where Keras's are (they are built from fnlearn's differentiable ops); the
integer, boolean and counting ones (``bitwise_*``, ``gcd``, ``isin``, ``histogram``, ``nanargmax``…) give values
without a gradient. fnlearn's tensors are real, so ``real`` and ``conj`` return ``x``, ``imag`` zeros and
``angle`` 0 or π.

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import ops
    >>> x = np.array([[1.0, np.nan], [3.0, 4.0]])
    >>> ops.nanmean(x, axis=0).numpy().tolist(), ops.bitwise_and(np.array([6]), np.array([3])).numpy().tolist()
    ([2.0, 4.0], [2])
    >>> ops.rearrange(np.zeros((2, 6, 5)), "b (h w) c -> b h w c", h=2).shape
    (2, 2, 3, 5)
"""

from __future__ import annotations

import builtins
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from ._missing import not_provided
from .ops import (
    _float,
    _t,
    _to_last,
    _unary,
    diag,
    logaddexp,
    moveaxis,
    pad,
    prod,
    sqrt,
    stack,
    transpose,
    where,
)


def _plain(data: Any) -> Tensor:
    """Values without a gradient, keeping their dtype."""
    data = backend.xp().asarray(data)
    return Tensor(data, dtype=data.dtype)


def _np(x: Any) -> np.ndarray:
    return np.asarray(backend.to_numpy(x.data)) if isinstance(x, Tensor) else np.asarray(x)


def _fdtype(dtype: Any) -> Any:
    return np.dtype(dtype) if dtype is not None else np.dtype(backend.float_dtype())


# ----------------------------------------------------------------------------- NaN-skipping reductions


def _nan_mask(x: Tensor) -> Tensor:
    return Tensor(backend.xp().isnan(x.data))


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The sum over ``axis`` with NaNs counted as 0; differentiable."""
    x = _t(x)
    if x.dtype.kind != "f":
        return F.sum(x, axis, keepdims)
    return F.sum(where(_nan_mask(x), 0.0, x), axis, keepdims)


def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The product over ``axis`` with NaNs counted as 1; differentiable."""
    x = _t(x)
    return prod(where(_nan_mask(x), 1.0, x) if x.dtype.kind == "f" else x, axis=axis, keepdims=keepdims)


def _count(x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    return Tensor(np.sum(~np.isnan(_np(x)), axis=axis, keepdims=keepdims).astype(x.dtype))


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The mean over ``axis`` of the values that are not NaN (NaN where all are); differentiable."""
    x = _float(x)
    return F.div(nansum(x, axis, keepdims), _count(x, axis, keepdims))


def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The variance over ``axis`` of the values that are not NaN; differentiable."""
    x = _float(x)
    # the NaN deviations zeroed before squaring: a square's slope at NaN would be NaN even where no gradient comes
    dev = where(_nan_mask(x), 0.0, F.sub(x, nanmean(x, axis, keepdims=True)))
    return F.div(nansum(F.mul(dev, dev), axis, keepdims), _count(x, axis, keepdims))


def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The standard deviation over ``axis`` of the values that are not NaN; differentiable."""
    return sqrt(nanvar(x, axis, keepdims))


def _nan_extreme(x: Any, axis: Any, keepdims: bool, fill: float, reduce: Callable[..., Tensor]) -> Tensor:
    x = _t(x)
    if x.dtype.kind != "f":
        return reduce(x, axis, keepdims)
    out = reduce(where(_nan_mask(x), fill, x), axis, keepdims)
    all_nan = np.all(np.isnan(_np(x)), axis=axis, keepdims=keepdims)
    return where(Tensor(all_nan), np.nan, out) if np.any(all_nan) else out


def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The maximum over ``axis`` ignoring NaNs (NaN where all are); differentiable."""
    return _nan_extreme(x, axis, keepdims, -np.inf, F.max)


def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The minimum over ``axis`` ignoring NaNs (NaN where all are); differentiable."""
    return _nan_extreme(x, axis, keepdims, np.inf, F.min)


def nanargmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The index of the largest value ignoring NaNs, as int32 (-1 where all are NaN)."""
    d = _np(_t(x)).astype(np.float64)
    out = np.argmax(np.where(np.isnan(d), -np.inf, d), axis=axis, keepdims=keepdims)
    out = np.where(np.all(np.isnan(d), axis=axis, keepdims=keepdims), -1, out)
    return _plain(out.astype(np.int32))


def nanargmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The index of the smallest value ignoring NaNs, as int32 (-1 where all are NaN)."""
    d = _np(_t(x)).astype(np.float64)
    out = np.argmin(np.where(np.isnan(d), np.inf, d), axis=axis, keepdims=keepdims)
    out = np.where(np.all(np.isnan(d), axis=axis, keepdims=keepdims), -1, out)
    return _plain(out.astype(np.int32))


def nancumsum(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """The running sum along ``axis`` (None: flattened) with NaNs counted as 0; differentiable."""
    from .ops import cumsum

    x = _t(x)
    return cumsum(where(_nan_mask(x), 0.0, x) if x.dtype.kind == "f" else x, axis=axis, dtype=dtype)


def nancumprod(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """The running product along ``axis`` (None: flattened) with NaNs counted as 1; differentiable."""
    from .ops import cumprod

    x = _t(x)
    return cumprod(where(_nan_mask(x), 1.0, x) if x.dtype.kind == "f" else x, axis=axis, dtype=dtype)


def nanquantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The ``q``-th quantile(s) over ``axis`` of the values that are not NaN (NumPy's ``method``); differentiable."""
    methods = ("linear", "lower", "higher", "midpoint", "nearest")
    if method not in methods:
        raise ConfigError(f"nanquantile got method={method!r}; it takes one of {methods}.")
    qs = np.asarray(_np(q), dtype=np.float64)
    if qs.ndim > 1 or not np.all((qs >= 0) & (qs <= 1)):
        raise ConfigError(f"nanquantile needs q as a number or a list of numbers in [0, 1], got {q!r}.")
    x = _float(x)
    flat, _, kept = _to_last(x, axis)
    d = _np(flat)
    order = np.argsort(d, axis=-1, kind="stable")  # NaNs sort last
    valid = np.sum(~np.isnan(d), axis=-1, keepdims=True)  # (rest, 1)
    pos = qs.reshape(-1) * (valid - 1)  # (rest, len(q))
    lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
    frac = {"linear": pos - lo, "lower": np.zeros_like(pos), "higher": np.ones_like(pos),
            "midpoint": np.where(hi > lo, 0.5, 0.0), "nearest": (np.around(pos) > lo).astype(np.float64)}[method]
    lo, hi = np.clip(lo, 0, None), np.clip(hi, 0, None)
    low = F.take_along_axis(flat, Tensor(np.take_along_axis(order, lo, -1)), -1)
    high = F.take_along_axis(flat, Tensor(np.take_along_axis(order, hi, -1)), -1)
    out = F.add(low, F.mul(F.sub(high, low), Tensor(frac.astype(x.dtype))))
    out = where(Tensor(np.broadcast_to(valid == 0, out.shape)), np.nan, out)
    out = F.reshape(out, (kept if keepdims else tuple(flat.shape[:-1])) + (pos.shape[-1],))
    out = moveaxis(out, -1, 0)
    return F.reshape(out, out.shape[1:]) if qs.ndim == 0 else out


def nanpercentile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The ``q``-th percentile(s) (q in [0, 100]) ignoring NaNs; differentiable."""
    return nanquantile(x, np.asarray(_np(q), dtype=np.float64) / 100.0, axis, method, keepdims)


def nanmedian(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The median over ``axis`` ignoring NaNs; differentiable."""
    return nanquantile(x, 0.5, axis, keepdims=keepdims)


# ----------------------------------------------------------------------------- integers and bits


def _int_op(name: str, ufunc: str, doc: str, arity: int = 2) -> Callable[..., Tensor]:
    def op(*args: Any) -> Tensor:
        return _plain(getattr(np, ufunc)(*(_np(_t(a)) if isinstance(a, Tensor) else np.asarray(a) for a in args)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return op


bitwise_and = _int_op("bitwise_and", "bitwise_and", "x & y, elementwise, on integers or booleans.")
bitwise_or = _int_op("bitwise_or", "bitwise_or", "x | y, elementwise, on integers or booleans.")
bitwise_xor = _int_op("bitwise_xor", "bitwise_xor", "x ^ y, elementwise, on integers or booleans.")
bitwise_invert = _int_op("bitwise_invert", "invert", "~x, elementwise, on integers or booleans.", 1)
bitwise_not = _int_op("bitwise_not", "invert", "~x, elementwise (``bitwise_invert``).", 1)
bitwise_left_shift = _int_op("bitwise_left_shift", "left_shift", "x << y, elementwise, on integers.")
bitwise_right_shift = _int_op("bitwise_right_shift", "right_shift", "x >> y, elementwise, on integers.")
left_shift = _int_op("left_shift", "left_shift", "x << y, elementwise, on integers.")
right_shift = _int_op("right_shift", "right_shift", "x >> y, elementwise, on integers.")
gcd = _int_op("gcd", "gcd", "The greatest common divisor, elementwise, on integers.")
lcm = _int_op("lcm", "lcm", "The least common multiple, elementwise, on integers.")
isneginf = _int_op("isneginf", "isneginf", "Whether x is −inf, elementwise.", 1)
isposinf = _int_op("isposinf", "isposinf", "Whether x is +inf, elementwise.", 1)
isreal = _int_op("isreal", "isreal", "Whether x is real, elementwise (always, for fnlearn's tensors).", 1)


def nextafter(x1: Any, x2: Any) -> Tensor:
    """The next float after x1 towards x2, elementwise; no gradient."""
    a, b = _float(x1), _float(x2)
    return _plain(np.nextafter(_np(a), _np(b).astype(a.dtype)))


def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each value of ``x1`` is among ``x2``'s (the opposite with ``invert``), as booleans."""
    return _plain(np.isin(_np(_t(x1)), _np(_t(x2)), assume_unique=assume_unique, invert=invert))


def unravel_index(indices: Any, shape: Sequence[int]) -> tuple[Tensor, ...]:
    """The coordinates in ``shape`` of flat ``indices``, one int tensor per axis."""
    idx = _np(_t(indices))
    return tuple(_plain(c.astype(idx.dtype if idx.dtype.kind in "iu" else np.int32))
                 for c in np.unravel_index(idx.astype(np.int64), tuple(int(s) for s in shape)))


def histogram(x: Any, bins: int = 10, range: Any = None) -> tuple[Tensor, Tensor]:  # noqa: A002  (Keras's name)
    """(counts as floats, bin edges) of the values of ``x`` in ``bins`` equal bins over ``range`` (min, max by
    default), as Keras gives them."""
    d = _np(_t(x))
    if d.ndim != 1:
        raise ShapeError(f"histogram needs a 1-D tensor, got shape {d.shape}; flatten it first (ops.ravel).")
    counts, edges = np.histogram(d, bins=int(bins), range=range)
    dt = d.dtype if d.dtype.kind == "f" else np.dtype(backend.float_dtype())
    return _plain(counts.astype(dt)), _plain(edges.astype(dt))


def argpartition(x: Any, kth: int, axis: int = -1) -> Tensor:
    """Indices that partition ``x`` along ``axis`` around its ``kth`` smallest value, as int32 (the order within
    each side is unspecified, as in NumPy)."""
    return _plain(np.argpartition(_np(_t(x)), kth, axis=axis).astype(np.int32))


def saturate_cast(x: Any, dtype: Any) -> Tensor:
    """``x`` cast to ``dtype``, values clipped to its range first (no wrap-around)."""
    from .ops import cast, clip

    x, dt = _t(x), np.dtype(dtype)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = builtins.max(float(info.min), float(np.finfo(np.float64).min)), float(info.max)
        if x.dtype.kind == "f":
            return cast(clip(x, lo, hi), dt)
        return _plain(np.clip(_np(x), info.min, info.max).astype(dt))
    if dt.kind == "f" and x.dtype.kind == "f":
        info = np.finfo(dt)
        return cast(clip(x, float(info.min), float(info.max)), dt)
    return cast(x, dt)


def view(x: Any, dtype: Any = None) -> Tensor:
    """The same bytes read as ``dtype`` (NumPy's ``view``); no gradient."""
    d = _np(_t(x))
    return _plain(d if dtype is None else d.view(np.dtype(dtype)))


# ----------------------------------------------------------------------------- float elementwise


def deg2rad(x: Any) -> Tensor:
    """Degrees to radians, elementwise; differentiable."""
    return F.mul(_float(x), np.pi / 180)


def rad2deg(x: Any) -> Tensor:
    """Radians to degrees, elementwise; differentiable."""
    return F.mul(_float(x), 180 / np.pi)


def fabs(x: Any) -> Tensor:
    """|x| as floats, elementwise; differentiable."""
    return F.abs(_float(x))


def real(x: Any) -> Tensor:
    """The real part: ``x`` itself (fnlearn's tensors are real); differentiable."""
    return F.mul(_t(x), 1) if isinstance(x, Tensor) and x.requires_grad else _t(x)


def conj(x: Any) -> Tensor:
    """The complex conjugate: ``x`` itself (fnlearn's tensors are real)."""
    return real(x)


conjugate = conj


def imag(x: Any) -> Tensor:
    """The imaginary part: zeros like ``x`` (fnlearn's tensors are real)."""
    x = _t(x)
    return _plain(backend.xp().zeros_like(x.data))


def angle(x: Any) -> Tensor:
    """The complex argument of real values: π for negatives, 0 otherwise, as floats."""
    d = _float(x).data
    return _plain(backend.xp().angle(d).astype(d.dtype))


def _nan_pick(x1: Any, x2: Any, pick: Callable[[Any, Any], Tensor]) -> Tensor:
    a, b = F._pair(x1, x2)
    a, b = _float(a), _float(b)
    na, nb = _nan_mask(a), _nan_mask(b)
    return where(na, b, where(nb, a, pick(a, b)))


def fmax(x1: Any, x2: Any) -> Tensor:
    """The larger of x1 and x2, elementwise, a NaN losing to a number; differentiable."""
    return _nan_pick(x1, x2, F.maximum)


def fmin(x1: Any, x2: Any) -> Tensor:
    """The smaller of x1 and x2, elementwise, a NaN losing to a number; differentiable."""
    return _nan_pick(x1, x2, F.minimum)


def heaviside(x1: Any, x2: Any) -> Tensor:
    """0 where x1 < 0, 1 where x1 > 0, x2 where x1 == 0; differentiable in x2."""
    a = _float(x1)
    return where(Tensor(a.data < 0), 0.0, where(Tensor(a.data > 0), 1.0, _float(x2)))


def ldexp(x1: Any, x2: Any) -> Tensor:
    """x1 · 2**x2 (x2 integers), elementwise; differentiable in x1."""
    e = _np(_t(x2))
    if e.dtype.kind not in "iu":
        raise ConfigError(f"ldexp needs integer exponents x2, got dtype {e.dtype}; cast them (ops.cast(x2, 'int32')).")
    a = _float(x1)
    return F.mul(a, Tensor(np.ldexp(np.ones(e.shape, a.dtype), e)))


def logaddexp2(x1: Any, x2: Any) -> Tensor:
    """log₂(2**x1 + 2**x2), elementwise, stable; differentiable."""
    ln2 = math.log(2.0)
    return F.div(logaddexp(F.mul(_float(x1), ln2), F.mul(_float(x2), ln2)), ln2)


def _erfinv_array(y: Any) -> Any:
    """erf⁻¹ on an array: Giles's approximation then two Newton steps on fnlearn's erf, in y's dtype."""
    y64 = np.asarray(backend.to_numpy(y), dtype=np.float64)
    w = -np.log(np.clip((1.0 - y64) * (1.0 + y64), 1e-300, None))
    small = w < 5
    ws, wl = w - 2.5, np.sqrt(w) - 3.0
    ps = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                     -0.00125372503, -0.00417768164, 0.246640727, 1.50140941], ws)
    pl = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                     -0.0076224613, 0.00943887047, 1.00167406, 2.83297682], wl)
    x = np.where(small, ps, pl) * y64
    finite = np.abs(y64) < 1
    for _ in range(2):
        err = backend.to_numpy(F._erf_array(backend.to_device(np.where(finite, x, 0.0)))) - y64  # erf on the device
        x = np.where(finite, x - err / (2 / np.sqrt(np.pi) * np.exp(-x * x)), x)
    x = np.where(np.abs(y64) == 1, np.sign(y64) * np.inf, np.where(np.abs(y64) > 1, np.nan, x))
    return backend.to_device(x.astype(y.dtype))


erfinv = _unary("erfinv", lambda xp, d: _erfinv_array(d), lambda xp, d, o: np.sqrt(np.pi) / 2 * xp.exp(o * o),
                "The inverse error function, elementwise (±inf at ±1); differentiable.")


def _i1_array(x: Any) -> Any:
    """The modified Bessel function I₁ (the slope of I₀), by its power series."""
    half = x / 2.0
    term, total = half.copy(), half.copy()
    for k in range(1, 80):
        term = term * half * half / (k * (k + 1))
        total = total + term
    return total


i0 = _unary("i0", lambda xp, d: xp.i0(d) if hasattr(xp, "i0") else np.i0(d), lambda xp, d, o: _i1_array(d),
            "The modified Bessel function of the first kind, order 0, elementwise; differentiable (|x| up to ~40).")


# ----------------------------------------------------------------------------- ranges, windows, matrices


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: float = 10, dtype: Any = None,
             axis: int = 0) -> Tensor:
    """``base`` raised to ``num`` evenly spaced exponents from ``start`` to ``stop``."""
    return _plain(np.logspace(_np(start), _np(stop), int(num), endpoint=endpoint, base=base, axis=axis)
                  .astype(_fdtype(dtype)))


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Tensor:
    """``num`` numbers from ``start`` to ``stop`` evenly spaced on a log scale."""
    return _plain(np.geomspace(_np(start), _np(stop), int(num), endpoint=endpoint, axis=axis).astype(_fdtype(dtype)))


def _window(name: str, doc: str) -> Callable[[Any], Tensor]:
    def window(x: Any) -> Tensor:
        return _plain(getattr(np, name)(int(_np(x))).astype(backend.float_dtype()))

    window.__name__ = window.__qualname__ = name
    window.__doc__ = doc
    return window


bartlett = _window("bartlett", "The Bartlett (triangular) window of ``x`` points.")
blackman = _window("blackman", "The Blackman window of ``x`` points.")
hamming = _window("hamming", "The Hamming window of ``x`` points.")
hanning = _window("hanning", "The Hann window of ``x`` points.")


def kaiser(x: Any, beta: float) -> Tensor:
    """The Kaiser window of ``x`` points with shape parameter ``beta``."""
    return _plain(np.kaiser(int(_np(x)), float(_np(beta))).astype(backend.float_dtype()))


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Tensor:  # noqa: N803  (Keras's name)
    """The Vandermonde matrix of a 1-D ``x``: columns x**(N−1) … x**0 (rising with ``increasing``);
    differentiable."""
    x = _t(x)
    if x.ndim != 1:
        raise ShapeError(f"vander needs a 1-D tensor, got shape {x.shape}.")
    n = x.shape[0] if N is None else int(N)
    powers = list(range(n)) if increasing else list(range(n - 1, -1, -1))
    cols = [Tensor(backend.xp().ones(x.shape, x.dtype)) if p == 0 else F.pow(x, p) for p in powers]
    return stack(cols, axis=1)


def diagflat(x: Any, k: int = 0) -> Tensor:
    """A matrix with the flattened ``x`` on diagonal ``k``; differentiable."""
    return diag(F.reshape(_t(x), (-1,)), k)


def dsplit(x: Any, indices_or_sections: Any) -> list[Tensor]:
    """``x`` split along its third axis (NumPy's ``dsplit``)."""
    from .ops import split

    x = _t(x)
    if x.ndim < 3:
        raise ShapeError(f"dsplit needs 3 axes or more, got shape {x.shape}.")
    return split(x, indices_or_sections, axis=2)


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """The integral of ``y`` along ``axis`` by the trapezoid rule (sample points ``x`` or spacing ``dx``);
    differentiable."""
    y = _float(y)
    ax = F._one_axis(axis, y.ndim, "trapezoid")
    n = y.shape[ax]
    head = (builtins.slice(None),) * ax
    left, right = F.getitem(y, (*head, builtins.slice(0, n - 1))), F.getitem(y, (*head, builtins.slice(1, n)))
    avg = F.mul(F.add(left, right), 0.5)
    if x is None:
        return F.mul(F.sum(avg, axis=ax), float(dx))
    xs = _float(x)
    if xs.ndim == 1:
        d = F.sub(F.getitem(xs, builtins.slice(1, None)), F.getitem(xs, builtins.slice(0, -1)))
        d = F.reshape(d, (-1,) + (1,) * (y.ndim - ax - 1))
    else:
        xh = (builtins.slice(None),) * F._one_axis(axis, xs.ndim, "trapezoid")
        d = F.sub(F.getitem(xs, (*xh, builtins.slice(1, None))), F.getitem(xs, (*xh, builtins.slice(0, -1))))
    return F.sum(F.mul(avg, d), axis=ax)


def corrcoef(x: Any) -> Tensor:
    """The Pearson correlation matrix of the rows of ``x`` (variables in rows); differentiable."""
    x = _float(x)
    if x.ndim == 1:
        x = F.reshape(x, (1, -1))
    dev = F.sub(x, F.mean(x, axis=1, keepdims=True))
    cov = F.matmul(dev, F.transpose(dev))
    std = sqrt(F.sum(F.mul(dev, dev), axis=1))
    return F.div(F.div(cov, F.reshape(std, (-1, 1))), F.reshape(std, (1, -1)))


def correlate(x1: Any, x2: Any, mode: str = "valid") -> Tensor:
    """The cross-correlation of two 1-D tensors (NumPy's ``correlate``: "valid", "same" or "full");
    differentiable."""
    if mode not in ("valid", "same", "full"):
        raise ConfigError(f"correlate got mode={mode!r}; it takes 'valid', 'same' or 'full'.")
    a, v = _float(x1), _float(x2)
    if a.ndim != 1 or v.ndim != 1:
        raise ShapeError(f"correlate needs two 1-D tensors, got shapes {a.shape} and {v.shape}.")
    m, n = a.shape[0], v.shape[0]
    if n > m:  # NumPy swaps the roles and reverses the result
        return F.getitem(correlate(v, a, mode), builtins.slice(None, None, -1))
    padded = pad(a, [(n - 1, n - 1)])
    rows = np.arange(m + n - 1)[:, None] + np.arange(n)[None, :]
    full = F.matmul(F.take(padded, rows, axis=0), v)
    start = {"full": 0, "valid": n - 1, "same": (n - 1) // 2}[mode]
    length = {"full": m + n - 1, "valid": m - n + 1, "same": m}[mode]
    return F.getitem(full, builtins.slice(start, start + length))


def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None) -> Tensor:
    """The cross product of 3-vectors (or 2-vectors, giving the z component) along the given axes;
    differentiable."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(_float(x1), axisa, -1), moveaxis(_float(x2), axisb, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ShapeError(f"cross needs vectors of 2 or 3 components, got {a.shape[-1]} and {b.shape[-1]}.")

    two = a.shape[-1] == 2 and b.shape[-1] == 2
    a, b = (pad(t, [(0, 0)] * (t.ndim - 1) + [(0, 1)]) if t.shape[-1] == 2 else t for t in (a, b))
    a0, a1, a2 = (F.getitem(a, (Ellipsis, i)) for i in range(3))
    b0, b1, b2 = (F.getitem(b, (Ellipsis, i)) for i in range(3))

    def minus(p: Tensor, q: Tensor, r: Tensor, s: Tensor) -> Tensor:
        return F.sub(F.mul(p, q), F.mul(r, s))

    z = minus(a0, b1, a1, b0)
    if two:
        return z
    x_, y_ = minus(a1, b2, a2, b1), minus(a2, b0, a0, b2)
    return moveaxis(stack([x_, y_, z], axis=-1), -1, axisc)


def cdist(x: Any, y: Any) -> Tensor:
    """The Euclidean distances between the rows (last axis) of ``x`` and of ``y``; differentiable."""
    a, b = _float(x), _float(y)
    diff = F.sub(F.reshape(a, (*a.shape[:-1], 1, a.shape[-1])), F.reshape(b, (*b.shape[:-2], 1, *b.shape[-2:])))
    return sqrt(F.sum(F.mul(diff, diff), axis=-1))


def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of ``sequence_length`` values every ``sequence_stride`` along the last axis, (..., frames, length);
    differentiable."""
    x = _t(x)
    n, k, s = x.shape[-1], int(sequence_length), int(sequence_stride)
    if k > n:
        raise ShapeError(f"extract_sequences got sequence_length={k} for a last axis of {n}; pass at most {n}.")
    frames = 1 + (n - k) // s
    idx = np.arange(frames)[:, None] * s + np.arange(k)[None, :]
    return F.take(x, idx, axis=x.ndim - 1)


def _segment(data: Any, segment_ids: Any, num_segments: Any, empty: float,
             reduce: Callable[[Tensor], Tensor]) -> Tensor:
    x = _t(data)
    ids = _np(_t(segment_ids)).astype(np.int64)
    num = int(num_segments) if num_segments is not None else int(ids.max()) + 1
    parts = []
    for s in range(num):
        rows = np.nonzero(ids == s)[0]
        if rows.size:
            parts.append(reduce(F.take(x, rows, axis=0)))
        else:
            parts.append(Tensor(np.full(x.shape[1:], empty).astype(x.dtype)))
    return stack(parts, axis=0)


def segment_max(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Tensor:  # noqa: A002
    """The maximum of each segment's rows (−inf for an empty one, the lowest value for integers); differentiable."""
    low = -np.inf if _t(data).dtype.kind == "f" else np.iinfo(_t(data).dtype).min
    return _segment(data, segment_ids, num_segments, low, lambda t: F.max(t, 0))


def segment_min(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Tensor:  # noqa: A002
    """The minimum of each segment's rows (inf for an empty one, the highest value for integers); differentiable."""
    high = np.inf if _t(data).dtype.kind == "f" else np.iinfo(_t(data).dtype).max
    return _segment(data, segment_ids, num_segments, high, lambda t: F.min(t, 0))


def segment_prod(data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False) -> Tensor:  # noqa: A002
    """The product of each segment's rows (1 for an empty one); differentiable."""
    return _segment(data, segment_ids, num_segments, 1, lambda t: prod(t, axis=0))


def vectorize(pyfunc: Callable[..., Any], *, excluded: Any = None, signature: str | None = None) -> Callable:
    """``pyfunc`` made to loop over the leading (batch) axes of its tensor arguments (NumPy's ``vectorize``:
    core axes from ``signature`` such as "(n),(n)->()"), the results stacked; differentiable."""
    excluded = set(excluded or ())
    cores: list[int] | None = None
    if signature is not None:
        ins = re.match(r"^(.*)->(.*)$", signature.replace(" ", ""))
        if not ins:
            raise ConfigError(f"vectorize got signature={signature!r}; write it as NumPy does, e.g. '(n),(n)->()'.")
        cores = [0 if not g else len(g.split(",")) for g in re.findall(r"\(([^)]*)\)", ins.group(1))]

    def wrapped(*args: Any) -> Tensor:
        pos = [i for i in range(len(args)) if i not in excluded]
        ts = {i: _t(args[i]) for i in pos}
        core = {i: (cores[k] if cores else 0) for k, i in enumerate(pos)}
        batch = np.broadcast_shapes(*(ts[i].shape[:ts[i].ndim - core[i]] for i in pos))
        expanded = {i: F.mul(ts[i], Tensor(np.ones(batch + ts[i].shape[ts[i].ndim - core[i]:], ts[i].dtype)))
                    if ts[i].dtype.kind == "f" else Tensor(np.broadcast_to(ts[i].data, batch + ts[i].shape[
                        ts[i].ndim - core[i]:]).copy()) for i in pos}
        outs = []
        for where_ in np.ndindex(*batch):
            call = [F.getitem(expanded[i], where_) if i in expanded else a for i, a in enumerate(args)]
            outs.append(_t(pyfunc(*call)))
        out = stack(outs, axis=0)
        return F.reshape(out, batch + out.shape[1:])

    return wrapped


# ----------------------------------------------------------------------------- rearrange


def _groups(side: str) -> list[list[str]]:
    tokens = re.findall(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|1", side)
    groups: list[list[str]] = []
    current: list[str] | None = None
    for tok in tokens:
        if tok == "(":
            current = []
        elif tok == ")":
            groups.append(current or [])
            current = None
        elif current is not None:
            current.append(tok)
        else:
            groups.append([tok])
    return groups


def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> Tensor:
    """Reorder, split and merge axes as an einops pattern says ("b h w c -> b (h w) c", "b (h w) c -> b h w c"
    with h=...); differentiable. Named axes, parentheses and "1" only (no "...")."""
    x = _t(tensor)
    if "->" not in pattern or "..." in pattern:
        raise ConfigError(f"rearrange got pattern={pattern!r}; write named axes on both sides of '->', e.g. "
                          "'b h w c -> b (h w) c' (fnlearn does not take '...').")
    left, right = (_groups(s) for s in pattern.split("->"))
    if len(left) != x.ndim:
        raise ShapeError(f"rearrange's pattern {pattern!r} names {len(left)} axes but the tensor has shape {x.shape}.")
    sizes = {k: int(v) for k, v in axes_lengths.items()}
    for group, n in zip(left, x.shape):
        names = [a for a in group if a != "1"]
        unknown = [a for a in names if a not in sizes]
        known = int(np.prod([sizes[a] for a in names if a in sizes])) if names else 1
        if len(unknown) > 1:
            raise ConfigError(f"rearrange cannot split an axis of {n} into {unknown}; give all but one of their "
                              f"lengths, e.g. {unknown[0]}=...")
        if unknown:
            sizes[unknown[0]] = n // known
        if int(np.prod([sizes[a] for a in names])) != n:
            raise ShapeError(f"rearrange: the axis of length {n} is not {group} with lengths "
                             f"{[sizes[a] for a in names]}.")
    flat_left = [a for g in left for a in g if a != "1"]
    flat_right = [a for g in right for a in g if a != "1"]
    if sorted(flat_left) != sorted(flat_right):
        raise ConfigError(f"rearrange's pattern {pattern!r} must use the same axis names on both sides.")
    out = F.reshape(x, tuple(sizes[a] for a in flat_left))
    out = transpose(out, [flat_left.index(a) for a in flat_right])
    return F.reshape(out, tuple(int(np.prod([sizes[a] for a in g if a != "1"])) for g in right))


__all__ = ["nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanargmax", "nanargmin",
           "nancumsum", "nancumprod", "nanquantile", "nanpercentile", "nanmedian", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_invert", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "left_shift",
           "right_shift", "gcd", "lcm", "isneginf", "isposinf", "isreal", "nextafter", "isin", "unravel_index",
           "histogram", "argpartition", "saturate_cast", "view", "deg2rad", "rad2deg", "fabs", "real", "conj",
           "conjugate", "imag", "angle", "fmax", "fmin", "heaviside", "ldexp", "logaddexp2", "erfinv", "i0",
           "logspace", "geomspace", "bartlett", "blackman", "hamming", "hanning", "kaiser", "vander", "diagflat",
           "dsplit", "trapezoid", "corrcoef", "correlate", "cross", "cdist", "extract_sequences", "segment_max",
           "segment_min", "segment_prod", "vectorize", "rearrange"]

__getattr__ = not_provided(__name__, __all__)
