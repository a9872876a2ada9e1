"""A stand-in for CuPy that runs on NumPy: the whole suite can run "on the GPU" on a machine without one.

What it is for: fnlearn's CuPy path can only really run where an NVIDIA GPU is, and GPU time is short.
The bugs that show up there first are not numerical — they are host/device mix-ups (a NumPy function
fed a device array, a device array mixed with a host one, a value read back in the middle of a
captured CUDA graph). This module copies CuPy's rules for those, so they fail here as they would there:

- ``cupy.ndarray`` is not a ``numpy.ndarray``; ``np.asarray(x)`` raises CuPy's TypeError ("Implicit
  conversion to a NumPy array is not allowed"), so ``np.testing`` and any NumPy code that converts fails;
- NumPy ufuncs and the NumPy functions CuPy also has (the names of ``cupy/__init__.py``) work on device
  arrays through ``__array_ufunc__`` / ``__array_function__`` and return device arrays; any other NumPy
  function raises TypeError;
- a host array (even 0-d) inside a device operation raises ``TypeError: Unsupported type``; NumPy and
  Python scalars are fine; host arrays may index device arrays and fill an advanced index, not a slice;
- an advanced index that names a position twice writes the first of its values there (CuPy leaves it unspecified;
  NumPy writes the last);
- reductions and scalar indexing return 0-d device arrays (indexing: a view, changed by later writes);
  ``float()``, ``int()``, ``bool()``, ``.item()``, ``.tolist()``, ``.get()`` and printing read the value back
  to the host;
- ``cupy.cuda``: one device, streams, events, memory pools, and stream capture. Capture records every
  device operation without its effect on the arrays that existed before (as a real capture runs
  nothing), the returned graph's ``launch`` re-runs the record on the same buffers, and a read back to
  the host or a copy from the host while capturing raises, as CUDA does.

It is strict where CuPy is strict and no stricter; numbers are NumPy's. Use it with
``FNLEARN_TEST_BACKEND=cupy-standin python -m pytest`` (see tests/conftest.py), or :func:`install`.

Example:
    >>> cp = module()
    >>> x = cp.arange(3.0)
    >>> float((x * 2).sum()), type(x.sum()).__name__
    (6.0, 'ndarray')
    >>> import numpy as np
    >>> np.asarray(x)
    Traceback (most recent call last):
    ...
    TypeError: Implicit conversion to a NumPy array is not allowed. ...
"""

from __future__ import annotations

import contextlib
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

# The public names of cupy/__init__.py (CuPy 15.0.0a1): a NumPy function is available on device arrays only if
# CuPy has one of the same name.
CUPY_NAMES = frozenset("""
AxisError ComplexWarning ElementwiseKernel ModuleDeprecationWarning NAN NINF NZERO PINF PZERO RankWarning
RawKernel RawModule ReductionKernel TooHardError VisibleDeprecationWarning abs absolute acos acosh add all
allclose alltrue amax amin angle any append apply_along_axis apply_over_axes arange arccos arccosh arcsin
arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort argwhere around array array2string
array_equal array_equiv array_repr array_split array_str asanyarray asarray asarray_chkfinite
ascontiguousarray asfarray asfortranarray asin asinh asnumpy astype atan atan2 atanh atleast_1d atleast_2d
atleast_3d average bartlett base_repr binary_repr bincount bitwise_and bitwise_count bitwise_invert
bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor blackman bool_ broadcast
broadcast_arrays broadcast_to byte byte_bounds c_ can_cast cbrt cdouble ceil cfloat choose clear_memo clip
column_stack common_type complex128 complex64 complex_ complexfloating compress concat concatenate conj
conjugate convolve copy copysign copyto corrcoef correlate cos cosh count_nonzero cov cross csingle cuda
cumprod cumproduct cumsum cumulative_prod cumulative_sum deg2rad degrees delete diag diag_indices
diag_indices_from diagflat diagonal diff digitize disable_experimental_feature_warning divide divmod dot
double dsplit dstack dtype e ediff1d einsum empty empty_like equal euler_gamma exceptions exp exp2 expand_dims
expm1 extract eye fabs fft fill_diagonal finfo fix flatiter flatnonzero flip fliplr flipud float16 float32
float64 float_ float_power floating floor floor_divide fmax fmin fmod format_float_positional
format_float_scientific frexp fromDlpack from_dlpack frombuffer fromfile fromfunction fromiter fromstring full
full_like fuse gcd generic genfromtxt get_array_module get_default_memory_pool get_default_pinned_memory_pool
get_printoptions gradient greater greater_equal half hamming hanning heaviside histogram histogram2d
histogramdd hsplit hstack hypot i0 identity iinfo imag in1d index_exp indices inexact inf inner int16 int32
int64 int8 int_ intc integer interp intersect1d intp invert is_available isclose iscomplex iscomplexobj
isdtype isfinite isfortran isin isinf isnan isneginf isposinf isreal isrealobj isscalar issctype issubclass_
issubdtype issubsctype iterable ix_ kaiser kron lcm ldexp left_shift less less_equal lexsort linalg linspace
load loadtxt log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not logical_or logical_xor logspace
longlong make_aligned_dtype mask_indices matmul matrix_transpose max maximum may_share_memory mean median
memoize meshgrid mgrid min min_scalar_type minimum mintypecode mod modf moveaxis msort multiply nan nan_to_num
nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin nanprod nanstd nansum nanvar ndarray
ndim ndindex negative newaxis nextafter nonzero not_equal number obj2sctype ogrid ones ones_like outer
packbits pad partition percentile permute_dims pi piecewise place poly poly1d polyadd polyfit polymul
polynomial polysub polyval positive pow power printoptions prod product promote_types ptp put put_along_axis
putmask quantile r_ rad2deg radians random ravel ravel_multi_index real real_if_close reciprocal remainder
repeat require reshape resize result_type right_shift rint roll rollaxis roots rot90 round round_ row_stack s_
save savetxt savez savez_compressed sctype2char searchsorted select set_printoptions setdiff1d setxor1d shape
shares_memory short show_config sign signbit signedinteger sin sinc single singlecomplex sinh size sometrue
sort sort_complex split sqrt square squeeze stack std subtract sum swapaxes take take_along_axis tan tanh
tensordot testing tile trace transpose trapezoid trapz tri tril tril_indices tril_indices_from trim_zeros triu
triu_indices triu_indices_from true_divide trunc typename ubyte ufunc uint uint16 uint32 uint64 uint8 uintc
uintp ulonglong union1d unique unique_all unique_counts unique_inverse unique_values unpackbits unravel_index
unsignedinteger unwrap ushort vander var vdot vectorize vsplit vstack where who zeros zeros_like
""".split())

IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct a NumPy array "
            "explicitly.")
# the constructors that copy host data to the device
_FROM_HOST = frozenset({"array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray"})
# functions whose first argument they write into
_WRITES_FIRST = frozenset({"copyto", "put", "put_along_axis", "place", "putmask", "fill_diagonal"})
# functions whose second argument is an index array, which may be on the host
_INDEX_SECOND = frozenset({"take", "take_along_axis", "put", "put_along_axis"})
# array methods that write into the array itself
_WRITING_METHODS = frozenset({"fill", "sort", "put", "partition", "itemset", "setfield"})
# NumPy-only attributes of an array, which a CuPy array lacks
_HOST_ONLY = frozenset({"ctypes", "__array_interface__", "__array_struct__", "tofile", "dumps", "dump"})


class CaptureError(RuntimeError):
    """What CUDA raises for an operation a stream capture cannot record."""


class _Capture:
    """The operations recorded while a stream captures, and the arrays they wrote that existed before."""

    def __init__(self) -> None:
        self.ops: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], Any]] = []
        self.saved: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.made: set[int] = set()  # ids of the result buffers made while capturing (kept alive by ops)

    def before_write(self, target: np.ndarray) -> None:
        if id(target) not in self.saved and id(_root(target)) not in self.made:
            self.saved[id(target)] = (target, target.copy())

    def restore(self) -> None:
        """Undo what recording did: the arrays from before get their values back, and the ones made while
        recording hold garbage (NaN, or the smallest integer) until the graph is launched, as on a GPU."""
        for target, saved in reversed(list(self.saved.values())):
            target[...] = saved
        for *_, result in self.ops:
            for r in result if isinstance(result, (tuple, list)) else (result,):
                if isinstance(r, np.ndarray) and id(r) in self.made and r.flags.writeable:
                    if r.dtype.kind == "f":
                        r.fill(np.nan)
                    elif r.dtype.kind in "iu":
                        r.fill(np.iinfo(r.dtype).min)


_capture: _Capture | None = None


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _host_read(what: str) -> None:
    if _capture is not None:
        raise CaptureError(f"cudaErrorStreamCaptureUnsupported: {what} reads a device value back to the host while "
                           "a stream is capturing (operation not permitted when stream is capturing)")


def _read_back(what: str, convert: Callable[..., Any]) -> Callable[..., Any]:
    """An array method that copies the value to the host: ``convert(host array, *args)``."""
    def method(self: ndarray, *args: Any) -> Any:
        _host_read(what)
        return convert(self._a, *args)
    return method


# ------------------------------------------------------------------------------------------- the array
class ndarray(NDArrayOperatorsMixin):  # noqa: N801  (CuPy's name)
    """A device array: a NumPy array that refuses to be taken for one."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100.0
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, shape: Any = (), dtype: Any = float) -> None:
        self._a = np.empty(shape, dtype=_device_dtype(dtype))

    @classmethod
    def _wrap(cls, a: np.ndarray) -> ndarray:
        out = object.__new__(cls)
        out._a = a
        return out

    # attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    itemsize = property(lambda self: self._a.itemsize)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: _apply(np.transpose, (self._a,), {}, checked=True))
    real = property(lambda self: _wrap(self._a.real))
    imag = property(lambda self: _wrap(self._a.imag))
    device = property(lambda self: Device(0))

    @property
    def base(self) -> ndarray | None:
        return None if self._a.base is None or not isinstance(self._a.base, np.ndarray) else _wrap(self._a.base)

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "data": (self._a.__array_interface__["data"][0],
                False), "strides": None if self._a.flags.c_contiguous else self._a.strides, "version": 3}

    def __getattr__(self, name: str) -> Any:
        if name in _HOST_ONLY or name.startswith("__"):
            raise AttributeError(f"'cupy.ndarray' object has no attribute '{name}'")
        attr = getattr(self._a, name)
        if not callable(attr):
            return attr

        def method(*args: Any, **kwargs: Any) -> Any:
            if name in _WRITING_METHODS:
                _before_write(self._a)
            first = _index if name in ("take", "put") else _device_arg
            return _apply(getattr(np.ndarray, name), (self._a, *(first(a) if i == 0 else _device_arg(a)
                                                                 for i, a in enumerate(args))),
                          {k: _index(v) if k == "indices" else _device_arg(v) for k, v in kwargs.items()}, checked=True)
        return method

    # conversion: CuPy refuses implicit host copies, and every explicit one is a read back
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(IMPLICIT)

    def get(self, stream: Any = None, order: str = "C", out: np.ndarray | None = None, blocking: bool = True) -> Any:
        _host_read("ndarray.get()")
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order, copy=True)

    item = _read_back("ndarray.item()", np.ndarray.item)
    tolist = _read_back("ndarray.tolist()", np.ndarray.tolist)
    __float__ = _read_back("float()", float)
    __int__ = _read_back("int()", int)
    __complex__ = _read_back("complex()", complex)
    __index__ = _read_back("operator.index()", np.ndarray.__index__)
    __bool__ = _read_back("bool()", bool)
    __repr__ = _read_back("repr()", repr)
    __str__ = _read_back("str()", str)
    __format__ = _read_back("format()", format)

    def __reduce__(self) -> Any:
        return _from_pickle, (self.get(),)

    def __copy__(self) -> ndarray:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> ndarray:
        return self.copy()

    # container
    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self) -> Iterator[ndarray]:
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __getitem__(self, key: Any) -> ndarray:
        return _apply(_getitem, (self._a, _index(key)), {}, checked=True)

    def __setitem__(self, key: Any, value: Any) -> None:
        key = _index(key)
        if isinstance(value, (np.ndarray, list, tuple)) and not _advanced(key):
            # CuPy fills a plain slice from a host value with fill(), which takes scalars only (cupy/cupy#2079)
            if not isinstance(value, np.ndarray):
                raise TypeError(f"Unsupported type {type(value)}")
            if value.ndim:
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        elif isinstance(value, np.ndarray) and _capture is not None:
            raise CaptureError("cudaErrorStreamCaptureUnsupported: a copy from host memory while a stream is capturing")
        _before_write(self._a)
        host_ok = isinstance(value, np.ndarray)
        _apply(_setitem, (self._a, key, value if host_ok else _device_arg(value)), {}, checked=True)

    # NumPy's protocols: ufuncs on device arrays, and the NumPy functions CuPy also has
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if ufunc.__name__ not in CUPY_NAMES:
            return NotImplemented
        if method == "__call__" and not kwargs and _capture is None \
                and all(type(x) in _PLAIN_OPERANDS for x in inputs):
            # the common case, device arrays and Python numbers only: nothing to check, record or write back
            return _wrap(ufunc(*(x._a if type(x) is ndarray else x for x in inputs)))
        if ufunc.__name__ in _COMPARISONS:  # CuPy compares with a host 0-d array's value (numpy/numpy#12142)
            inputs = tuple(x.item() if isinstance(x, np.ndarray) and x.ndim == 0 else x for x in inputs)
        if method == "at":  # CuPy scatters host indices and values as it does in a[idx] = v
            args = (_device_arg(inputs[0]), *(_index(x) for x in inputs[1:]))
        else:
            args = tuple(_device_arg(x) for x in inputs)
        given = kwargs.get("out")
        if given is not None:
            given = given if isinstance(given, tuple) else (given,)
            out = tuple(_device_arg(o) for o in given)
            for o in out:
                if not isinstance(o, np.ndarray):
                    raise TypeError(f"out must be a cupy.ndarray, got {type(o).__name__}")
                _before_write(o)
            kwargs = {**kwargs, "out": out}
        if method == "at":
            _before_write(args[0])
        fn = ufunc if method == "__call__" else getattr(ufunc, method)
        result = _apply(fn, args, {k: v if k == "out" else _device_arg(v) for k, v in kwargs.items()}, checked=True)
        if given is None:
            return result
        # the arrays given as out themselves, as CuPy returns them: `a += b` keeps the name a on the same object
        # (a new wrapper would leave the old one unreferenced, and a Workspace would think it free)
        return given[0] if len(given) == 1 else given

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        if func.__module__ not in ("numpy", "numpy.linalg") or func.__name__ not in CUPY_NAMES | _LINALG:
            return NotImplemented
        for t in types_:
            if not issubclass(t, (ndarray, np.ndarray)):
                return NotImplemented
        return _call(func.__name__, func, args, kwargs)


def _defers_to_higher_priority(name: str) -> Callable[..., Any]:
    """CuPy's binary operators hand over to the other operand's reflected one when it is not a CuPy array and
    has a higher ``__array_priority__`` (``_should_use_rop`` in cupy/_core/core.pyx): ``device_array - tensor``
    is then the tensor's ``__rsub__``, as with NumPy."""
    forward = getattr(NDArrayOperatorsMixin, name)

    def method(self: ndarray, other: Any) -> Any:
        if not isinstance(other, ndarray) and getattr(other, "__array_priority__", 0) > self.__array_priority__:
            return NotImplemented
        return forward(self, other)

    method.__name__ = name
    return method


for _name in ("__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__", "__matmul__",
              "__and__", "__or__", "__xor__"):  # not the comparisons: CuPy's __richcmp__ never hands over
    setattr(ndarray, _name, _defers_to_higher_priority(_name))

_COMPARISONS = frozenset({"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"})
_LINALG = frozenset({"norm", "solve", "inv", "pinv", "det", "eigh", "svd", "qr", "cholesky", "lstsq", "matrix_power",
                     "matrix_rank", "slogdet", "tensorsolve", "eigvalsh"})


def _from_pickle(host: np.ndarray) -> ndarray:
    return ndarray._wrap(np.array(host))


def _device_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind in "OUSVMm":
        raise ValueError(f"Unsupported dtype {dt}")
    return dt


def _wrap(x: Any) -> Any:
    """NumPy results as device arrays (NumPy scalars as 0-d arrays, as CuPy returns them)."""
    if isinstance(x, np.ndarray):
        return ndarray._wrap(x)
    if isinstance(x, np.generic):
        return ndarray._wrap(np.asarray(x))
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


def _device_arg(x: Any) -> Any:
    """An argument of a device operation: device arrays unwrapped, host arrays refused as CuPy refuses them."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)) and any(isinstance(v, (ndarray, np.ndarray, list, tuple)) for v in x):
        return type(x)(_device_arg(v) for v in x)
    return x


_PLAIN_KEYS = (int, slice, type(None), type(Ellipsis))
_PLAIN_OPERANDS = frozenset({ndarray, int, float, bool})  # of a ufunc: a host array is not one (CuPy refuses it)


def _index(key: Any) -> Any:
    """An index: device arrays unwrapped; host index arrays are allowed (CuPy copies them over)."""
    if isinstance(key, ndarray):
        return key._a
    if isinstance(key, tuple):
        # most keys are plain (x[i], x[:, 1:]): kept as they are, without a new tuple
        if all(type(k) in _PLAIN_KEYS for k in key):
            return key
        return tuple(_index(k) for k in key)
    if isinstance(key, np.ndarray) and _capture is not None:
        raise CaptureError("cudaErrorStreamCaptureUnsupported: a host index array is copied from host memory while "
                           "a stream is capturing")
    return key


def _on_device(x: Any) -> bool:
    return isinstance(x, ndarray) or (isinstance(x, (list, tuple)) and any(_on_device(v) for v in x))


def _advanced(key: Any) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, (np.ndarray, list)) for k in keys)


def _getitem(a: np.ndarray, key: Any) -> Any:
    out = a[key]
    if isinstance(out, np.generic):  # CuPy gives a 0-d view, which a later write into the array changes
        return a[(*key, Ellipsis) if isinstance(key, tuple) else (key, Ellipsis)]
    return out


def _setitem(a: np.ndarray, key: Any, value: Any) -> None:
    if _advanced(key):
        targets = np.arange(a.size).reshape(a.shape)[key]
        if np.unique(targets).size < targets.size:
            # a position named twice: CuPy leaves which value is written unspecified; here the first one, so that
            # code counting on NumPy's rule (the last one) fails on the CPU
            values = np.broadcast_to(np.asarray(value, dtype=a.dtype), targets.shape)
            a.flat[targets.ravel()[::-1]] = values.ravel()[::-1]
            return
    a[key] = value


def _before_write(target: np.ndarray) -> None:
    if _capture is not None:
        _capture.before_write(target)


# the operations CuPy runs through cuBLAS, whose binding refuses every call while a stream captures
_CUBLAS = frozenset({"matmul", "dot", "vdot", "inner", "tensordot", "einsum"})


def _apply(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], checked: bool = False) -> Any:
    """Run one device operation on NumPy; while a stream captures, record it to be replayed by the graph."""
    if _capture is not None and getattr(fn, "__name__", "") in _CUBLAS:
        raise NotImplementedError("calling cuBLAS API during stream capture is currently unsupported")
    if not checked:
        args = tuple(_device_arg(a) for a in args)
        kwargs = {k: _device_arg(v) for k, v in kwargs.items()}
    result = fn(*args, **kwargs)
    if type(result) is np.ndarray and _capture is None:  # the common case, in a few steps
        return ndarray._wrap(result)
    if isinstance(result, np.generic):
        result = np.asarray(result)
    if _capture is not None:
        _capture.ops.append((fn, args, kwargs, result))
        for r in result if isinstance(result, (tuple, list)) else (result,):
            if isinstance(r, np.ndarray) and r.base is None and not any(r is a for a in args):
                _capture.made.add(id(r))  # a new buffer: what the graph writes there needs no restoring
    return _wrap(result)


# keywords of NumPy functions that CuPy's namesakes do not take (cupy.take has no mode: it always wraps)
_MISSING_KEYWORDS = {"take": ("mode",)}


def _call(name: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A CuPy function: host data only through the constructors; writes into arguments recorded."""
    for keyword in _MISSING_KEYWORDS.get(name, ()):
        if keyword in kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument '{keyword}'")
    if name in _FROM_HOST:
        if args and _on_device(args[0]):
            return _apply(fn, args, kwargs)
        if _capture is not None:
            raise CaptureError("cudaErrorStreamCaptureUnsupported: a copy from host memory while a stream is capturing")
        dtype = kwargs.get("dtype")
        host = np.array(args[0], dtype=dtype, copy=True) if args else np.array(**kwargs)
        _device_dtype(host.dtype)
        return ndarray._wrap(host)
    # CuPy copies host index arrays over, as in a[idx]
    args = tuple(_index(a) if i == 1 and name in _INDEX_SECOND else _device_arg(a) for i, a in enumerate(args))
    kwargs = {k: _index(v) if k == "indices" else _device_arg(v) for k, v in kwargs.items()}
    if "out" in kwargs and isinstance(kwargs["out"], np.ndarray):
        _before_write(kwargs["out"])
    if name in _WRITES_FIRST and args:
        _before_write(args[0])
    if "dtype" in kwargs and kwargs["dtype"] is not None:
        _device_dtype(kwargs["dtype"])
    return _apply(getattr(fn, "_implementation", fn), args, kwargs, checked=True)


class _Ufunc:
    """``cupy.exp`` and friends: a NumPy ufunc on device arrays, with ``.at``, ``.reduce``…"""

    def __init__(self, ufunc: np.ufunc) -> None:
        self._ufunc = ufunc
        self.__name__ = ufunc.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _ufunc_call(self._ufunc, "__call__", args, kwargs)

    def __getattr__(self, method: str) -> Any:
        if method in ("at", "reduce", "accumulate", "outer", "reduceat"):
            return lambda *args, **kwargs: _ufunc_call(self._ufunc, method, args, kwargs)
        return getattr(self._ufunc, method)


def _ufunc_call(ufunc: np.ufunc, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    # at least one device array or only scalars: CuPy's ufuncs take scalars and make device arrays of them
    for a in args:
        if isinstance(a, ndarray):
            return a.__array_ufunc__(ufunc, method, *args, **kwargs)
    probe = ndarray._wrap(np.zeros(()))
    return probe.__array_ufunc__(ufunc, method, *args, **kwargs)


def _namespace_function(name: str, fn: Any) -> Any:
    if isinstance(fn, np.ufunc):
        return _Ufunc(fn)
    if isinstance(fn, type) or not callable(fn):
        return fn

    def device_fn(*args: Any, **kwargs: Any) -> Any:
        return _call(name, fn, args, kwargs)
    device_fn.__name__ = name
    return device_fn


def _asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None, blocking: bool = True) -> np.ndarray:
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def _get_array_module(*args: Any) -> Any:
    return sys.modules["cupy"] if any(isinstance(a, ndarray) for a in args) else np


# ------------------------------------------------------------------------------------------- cupy.cuda
class Event:
    def __init__(self, block: bool = False, disable_timing: bool = False, interprocess: bool = False) -> None:
        self.disable_timing = disable_timing

    def synchronize(self) -> None:
        _host_read("Event.synchronize()")

    def query(self) -> bool:
        return True


class Graph:
    """A recorded capture: ``launch`` re-runs every operation on the buffers it used."""

    def __init__(self, ops: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], Any]]) -> None:
        self._ops = ops
        self.launches = 0

    def launch(self, stream: Any = None) -> None:
        self.launches += 1
        for fn, args, kwargs, result in self._ops:
            again = fn(*args, **kwargs)
            if isinstance(result, np.ndarray) and isinstance(again, (np.ndarray, np.generic)) and again is not result:
                result[...] = again

    def upload(self, stream: Any = None) -> None:
        pass

    def debug_dot_str(self, flags: int = 0) -> str:
        """The record as DOT text shaped like ``cudaGraphDebugDotPrint``'s: one node per recorded operation,
        a KERNEL node unless CuPy makes it without a kernel (views, no-op conversions, allocations)."""
        lines = ["digraph dot {", "subgraph cluster_1 {", 'label="graph_1" graph[style="dashed"];']
        for index, (fn, *_) in enumerate(self._ops):
            name = getattr(fn, "__name__", "op")
            kind = "EMPTY" if name in _NO_KERNEL else "KERNEL"
            lines.append(f'"graph_1_node_{index}"[style="solid" shape="rectangle" label="{{{kind}\\n| {name}}}"];')
            if index:
                lines.append(f'"graph_1_node_{index - 1}" -> "graph_1_node_{index}";')
        return "\n".join([*lines, "}", "}"]) + "\n"


# operations CuPy runs without launching a kernel
_NO_KERNEL = frozenset({"asarray", "reshape", "transpose", "ravel", "view", "empty", "empty_like", "squeeze",
                        "expand_dims", "swapaxes"})


class Stream:
    """A stream: a context that makes it current, events, and capture into a :class:`Graph`."""

    null: Stream

    def __init__(self, null: bool = False, non_blocking: bool = False, ptds: bool = False) -> None:
        self.non_blocking = non_blocking
        self.ptr = 0 if null else id(self)

    def __enter__(self) -> Stream:
        _streams.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _streams.pop()

    def use(self) -> Stream:
        _streams[0] = self
        return self

    def record(self, event: Event | None = None) -> Event:
        return event or Event()

    def wait_event(self, event: Event) -> None:
        pass

    def synchronize(self) -> None:
        _host_read("Stream.synchronize()")

    def begin_capture(self, mode: Any = None) -> None:
        global _capture
        if _capture is not None:
            raise CaptureError("cudaErrorIllegalState: this stream is already capturing")
        _capture = _Capture()

    def end_capture(self) -> Graph:
        global _capture
        capture, _capture = _capture, None
        if capture is None:
            raise CaptureError("cudaErrorIllegalState: end_capture() without begin_capture()")
        capture.restore()  # recording runs nothing: the arrays that existed before keep their values
        return Graph(capture.ops)

    def is_capturing(self) -> bool:
        return _capture is not None


Stream.null = Stream(null=True)
_streams: list[Stream] = [Stream.null]


class Device:
    def __init__(self, device: int = 0) -> None:
        self.id = device

    def __eq__(self, other: object) -> bool:  # as CuPy's Device: the same GPU is equal
        return isinstance(other, Device) and self.id == other.id

    __hash__ = None  # type: ignore[assignment]  # as CuPy 14's Device, which cannot key a dict

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def synchronize(self) -> None:
        _host_read("Device.synchronize()")


class MemoryPool:
    def malloc(self, size: int) -> Any:
        return None

    def used_bytes(self) -> int:
        return 0

    def total_bytes(self) -> int:
        return 0

    def free_all_blocks(self) -> None:
        pass


class CaptureGemm:
    """What a recorded step's products run through here (fnlearn.captured_blas's launcher): cuBLAS's gemm, by
    its own rules — every matrix read by columns from its first element with a leading dimension — on the
    arrays' NumPy memory, recorded while a stream captures as any other device operation. A leading dimension
    that would read outside an array's memory fails the test rather than read it."""

    def __init__(self, stream: Stream | None = None) -> None:
        self.stream = stream
        self.calls = 0

    def gemm(self, transa: int, transb: int, m: int, n: int, k: int, a: Any, lda: int, b: Any, ldb: int, c: Any,
             ldc: int) -> None:
        self.calls += 1
        a_rows, b_rows = (k, m) if transa else (m, k), (n, k) if transb else (k, n)
        a, b, c = (getattr(x, "_a", x) for x in (a, b, c))  # device arrays, or NumPy ones in a unit test
        args = (_by_columns(a, *a_rows, lda), transa, _by_columns(b, *b_rows, ldb), transb, _by_columns(c, m, n, ldc))
        _before_write(c)
        _apply(_gemm, args, {}, checked=True)


def _by_columns(x: np.ndarray, rows: int, cols: int, ld: int) -> np.ndarray:
    """The (rows, cols) matrix stored by columns with leading dimension ld from x's first element (a view)."""
    assert ld >= max(rows, 1), f"leading dimension {ld} under the {rows} rows"
    item = x.dtype.itemsize
    root = _root(x)
    start = x.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    last = start + ((rows - 1) + (cols - 1) * ld) * item
    assert 0 <= start and last < root.nbytes, "gemm would read outside the array's memory"
    return np.lib.stride_tricks.as_strided(x, shape=(rows, cols), strides=(item, ld * item))


def _gemm(a: np.ndarray, transa: int, b: np.ndarray, transb: int, c: np.ndarray) -> None:
    c[...] = (a.T if transa else a) @ (b.T if transb else b)


def _cholesky(a: np.ndarray) -> np.ndarray:
    """CuPy's cholesky: NaN where the factor does not exist (a matrix not positive definite), not an error."""
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return np.full(a.shape, np.nan, dtype=np.result_type(a.dtype, np.float32))


def _cuda_namespace() -> types.ModuleType:
    cuda = types.ModuleType("cupy.cuda")
    cuda.Stream = Stream
    cuda.Event = Event
    cuda.Graph = Graph
    cuda.MemoryPool = MemoryPool
    cuda.PinnedMemoryPool = MemoryPool
    cuda.get_current_stream = lambda device_id=None: _streams[-1]
    cuda.using_allocator = lambda allocator=None: contextlib.nullcontext()
    cuda.set_allocator = lambda allocator=None: None
    cuda.is_available = lambda: True
    cuda.Device = Device
    cuda.capture_gemm = CaptureGemm
    cuda.runtime = types.SimpleNamespace(
        getDeviceCount=lambda: 1,
        getDeviceProperties=lambda device: {"name": b"NumPy stand-in for CuPy", "totalGlobalMem": 0},
        deviceSynchronize=lambda: _host_read("deviceSynchronize()"),
        runtimeGetVersion=lambda: 0, driverGetVersion=lambda: 0)
    return cuda


# ------------------------------------------------------------------------------------------- the module
def module() -> types.ModuleType:
    """A new ``cupy`` module object backed by NumPy (see the module docstring)."""
    cp = types.ModuleType("cupy", "NumPy stand-in for CuPy (tests/cupy_standin.py)")
    cp.__version__ = "15.0.0a1+standin"
    cp.ndarray = ndarray
    cp.cuda = _cuda_namespace()
    cp.asnumpy = _asnumpy
    cp.get_array_module = _get_array_module
    cp.is_available = lambda: True
    pool = MemoryPool()
    cp.get_default_memory_pool = lambda: pool
    cp.get_default_pinned_memory_pool = lambda: pool
    cp.linalg = types.ModuleType("cupy.linalg")
    for name in _LINALG:
        fn = _cholesky if name == "cholesky" else getattr(np.linalg, name)
        setattr(cp.linalg, name, _namespace_function(name, fn))

    def getattr_(name: str) -> Any:
        if name in CUPY_NAMES and hasattr(np, name):
            value = _namespace_function(name, getattr(np, name))
            setattr(cp, name, value)
            return value
        raise AttributeError(f"module 'cupy' has no attribute '{name}'")
    cp.__getattr__ = getattr_  # type: ignore[attr-defined]
    ndarray.__module__ = "cupy"
    return cp


def install() -> types.ModuleType:
    """Put a stand-in in ``sys.modules['cupy']`` (and ``cupy.cuda``), so ``import cupy`` finds it."""
    cp = module()
    sys.modules["cupy"] = cp
    sys.modules["cupy.cuda"] = cp.cuda
    return cp
