"""fnlearn's fused CUDA kernels (``fnlearn.cuda_kernels.SPECS``) compiled for the CPU with the C++ compiler.

A kernel's operation string is C++ over ``T``, the loop index ``i``, per-element parameters by name and
``raw`` arrays by flat index, which is what CuPy's ``ElementwiseKernel`` wraps in a CUDA loop. Here the same
string goes into a C++ loop over ``i``, so the tests run the very text the GPU compiles:

* :func:`run` runs a kernel on NumPy arrays, with CuPy's calling convention (inputs, then outputs written
  in place; non-raw inputs broadcast to the loop shape; scalars for scalar parameters);
* :func:`install` gives a CuPy stand-in (tests/cupy_standin.py) an ``ElementwiseKernel`` that runs them,
  recorded by a stream capture like any other device operation.
"""

from __future__ import annotations

import ctypes
import hashlib
import shutil
import subprocess
import tempfile
import types
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from fnlearn.cuda_kernels import SPECS

COMPILER = shutil.which("g++") or shutil.which("c++")
_C_TYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double", np.dtype(np.int64): "int64_t",
            np.dtype(np.int32): "int32_t", np.dtype(np.int16): "int16_t", np.dtype(np.int8): "int8_t",
            np.dtype(np.uint8): "uint8_t", np.dtype(np.bool_): "bool"}
_NAMED_TYPES = {"float32": "float", "float64": "double", "int64": "int64_t", "int32": "int32_t", "bool": "bool"}
_cache: dict[str, Any] = {}


class Param(NamedTuple):
    raw: bool
    ctype: str  # a C type, or a one-letter placeholder such as T
    name: str
    output: bool


def params(name: str) -> list[Param]:
    """The parameters of kernel ``name``, inputs first."""
    spec = SPECS[name]
    out = []
    for text, output in ((spec.in_params, False), (spec.out_params, True)):
        for item in text.split(","):
            words = item.split()
            raw = words[0] == "raw"
            ctype, pname = words[-2], words[-1]
            out.append(Param(raw, _NAMED_TYPES.get(ctype, ctype), pname, output))
    return out


def _source(name: str, types_: dict[str, str], scalar: tuple[bool, ...], symbol: str) -> str:
    ps = params(name)
    before, per_item = [], []
    for j, (p, is_scalar) in enumerate(zip(ps, scalar)):
        ctype = types_.get(p.ctype, p.ctype)
        if is_scalar:
            before.append(f"const {ctype} {p.name} = ({ctype})scalars[{j}];")
        elif p.raw:
            before.append(f"{ctype}* {p.name} = ({ctype}*)arrays[{j}];")
        else:
            per_item.append(f"{ctype}& {p.name} = (({ctype}*)arrays[{j}])[i];")
    typedefs = "".join(f"typedef {c} {k};\n" for k, c in types_.items())
    return ("#include <cmath>\n#include <cstddef>\n#include <cstdint>\n"
            "using std::exp; using std::isfinite; using std::log; using std::sqrt;\n"
            f"namespace {{\n{typedefs}}}\n"
            f'extern "C" void {symbol}(void** arrays, const double* scalars, long long n) {{\n'
            + "\n".join(before) + "\nfor (ptrdiff_t i = 0; i < n; ++i) {\n" + "\n".join(per_item)
            + "\n{\n" + SPECS[name].operation + "\n}\n}\n}\n")


def _compiled(name: str, types_: dict[str, str], scalar: tuple[bool, ...]) -> Any:
    key = repr((name, sorted(types_.items()), scalar, SPECS[name]))
    fn = _cache.get(key)
    if fn is None:
        if COMPILER is None:
            raise RuntimeError("no C++ compiler (g++ or c++) on PATH")
        symbol = f"k_{hashlib.sha1(key.encode()).hexdigest()[:16]}"
        folder = Path(tempfile.mkdtemp(prefix="fnlearn-kernels-"))
        (folder / "k.cpp").write_text(_source(name, types_, scalar, symbol))
        subprocess.run([COMPILER, "-O1", "-std=c++17", "-shared", "-fPIC", "-o", str(folder / "k.so"),
                        str(folder / "k.cpp")], check=True, capture_output=True, text=True)
        lib = ctypes.CDLL(str(folder / "k.so"))
        fn = getattr(lib, symbol)
        fn.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_double), ctypes.c_longlong]
        fn.restype = None
        _cache[key] = fn
    return fn


def run(name: str, *args: Any) -> None:
    """Kernel ``name`` on NumPy arrays and scalars, as ``cupy.ElementwiseKernel`` would run it."""
    ps = params(name)
    if len(args) != len(ps):
        raise TypeError(f"{name} takes {len(ps)} arguments, {len(args)} given")
    scalar = tuple(not isinstance(a, np.ndarray) for a in args)
    types_: dict[str, str] = {}
    for p, a, s in zip(ps, args, scalar):
        if len(p.ctype) == 1 and p.ctype not in types_:
            if not s:
                types_[p.ctype] = _C_TYPES[a.dtype]
            elif isinstance(a, np.generic):
                types_[p.ctype] = _C_TYPES[a.dtype]
    shape = np.broadcast_shapes(*(a.shape for p, a, s in zip(ps, args, scalar) if not s and not p.raw))
    arrays, keep = [], []
    for p, a, s in zip(ps, args, scalar):
        if s:
            arrays.append(None)
            continue
        if not p.raw and not p.output:
            a = np.ascontiguousarray(np.broadcast_to(a, shape))
        elif not a.flags.c_contiguous or (not p.raw and a.shape != shape):
            raise ValueError(f"{name}: output {p.name} must be C-contiguous of the loop shape {shape}")
        if a.dtype != np.dtype(next(k for k, v in _C_TYPES.items() if v == types_.get(p.ctype, p.ctype))):
            raise TypeError(f"{name}: {p.name} is {a.dtype}, the kernel was typed {types_.get(p.ctype, p.ctype)}")
        keep.append(a)
        arrays.append(a.ctypes.data)
    scalars = [float(a) if s else 0.0 for a, s in zip(args, scalar)]
    fn = _compiled(name, types_, scalar)
    fn((ctypes.c_void_p * len(arrays))(*arrays), (ctypes.c_double * len(scalars))(*scalars),
       int(np.prod(shape, dtype=np.int64)))


class _HostKernel:
    """``cupy.ElementwiseKernel`` for fnlearn's own kernels, running their CPU build on NumPy arrays."""

    by_operation = {spec.operation: name for name, spec in SPECS.items()}

    def __init__(self, in_params: str, out_params: str, operation: str, name: str = "kernel") -> None:
        if operation not in self.by_operation:
            raise NotImplementedError("only fnlearn's own kernels run here")
        self.kernel = self.by_operation[operation]
        self.name = name

    def __call__(self, *args: Any) -> None:
        run(self.kernel, *args)


def fresh_kernels(monkeypatch: Any) -> None:
    """For one test: fnlearn.cuda_kernels with no kernel built or failed yet, and the kernels turned on."""
    from fnlearn import cuda_kernels

    monkeypatch.setattr(cuda_kernels, "_kernels", {})
    monkeypatch.setattr(cuda_kernels, "_failed", set())
    monkeypatch.delenv("FNLEARN_FUSED_KERNELS", raising=False)


def host_module() -> types.ModuleType:
    """A ``cupy``-like module whose only member is ``ElementwiseKernel``, on NumPy arrays: set as the backend's
    array module, fnlearn.cuda_kernels runs its kernels' CPU build on host arrays."""
    module = types.ModuleType("cupy_kernels_on_the_host")
    module.ElementwiseKernel = _HostKernel
    return module


def install(standin: types.ModuleType) -> None:
    """Give the CuPy stand-in ``standin`` an ``ElementwiseKernel`` that runs fnlearn's kernels compiled here,
    on its device arrays and recorded by a stream capture like any other device operation."""
    import cupy_standin

    class ElementwiseKernel(_HostKernel):
        def __call__(self, *args: Any) -> None:
            host = tuple(cupy_standin._device_arg(a) for a in args)
            for p, a in zip(params(self.kernel), host):
                if p.output:
                    cupy_standin._before_write(a)
            kernel = self.kernel

            def launch(*arrays: Any) -> None:
                run(kernel, *arrays)
            launch.__name__ = self.name  # how the recorded operation is named
            cupy_standin._apply(launch, host, {}, checked=True)

    standin.ElementwiseKernel = ElementwiseKernel
