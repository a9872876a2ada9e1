"""Fused CUDA kernels for the fast training step on CuPy: fewer, bigger kernels per step.

A small network's step on a GPU costs about as much per kernel as per flop, so each of these does in one
kernel what NumPy-style code does in several (counted in a recorded step of MLP 784-100-100-10):

* ``bias_relu``: ``z = max(z + b, 0)`` in place — the bias add and ReLU of a hidden layer (2 kernels → 1);
* ``relu_grad``: ``g *= (a > 0)`` in place — ReLU's backward (2 → 1);
* ``softmax_sparse_ce``: per row, from the output scores: the softmax (in place), scale·(p − onehot) and
  the row's cross-entropy — what took 13 kernels (row maxima, shift, exp, sums, divide, log, the target's
  gather and scatter) → 1.

Each kernel computes exactly what the unfused NumPy-style ops compute, in the same order of operations,
so the two paths agree to rounding; NaN and inf go through as they do there. The operation strings are
plain C++ over ``T`` (the float type), the loop index ``i``, per-element parameters by name and ``raw``
arrays by flat index, so tests compile the same strings on the CPU and compare them with the NumPy ops.

On NumPy, or where CuPy has no ``ElementwiseKernel``, or after a kernel failed to compile (fnlearn warns
once), or with ``FNLEARN_FUSED_KERNELS=0``, :func:`run` answers False and the caller runs the unfused ops.

Example (the caller's pattern)::

    if not cuda_kernels.run("relu_grad", a, g):
        g *= a > 0
"""

from __future__ import annotations

import os
import warnings
from typing import Any, NamedTuple

import numpy as np

from . import backend


class KernelSpec(NamedTuple):
    """An ``ElementwiseKernel``'s parameters and body, in CuPy's notation."""

    in_params: str
    out_params: str
    operation: str


SPECS: dict[str, KernelSpec] = {
    "bias_relu": KernelSpec(
        "T b", "T z",
        # v < 0 rather than max(v, 0): CUDA's max drops a NaN, NumPy's maximum keeps it
        "T v = z + b; z = v < (T)0 ? (T)0 : v;"),
    "relu_grad": KernelSpec(
        "T a", "T g",
        "g *= a > (T)0 ? (T)1 : (T)0;"),
    "softmax_sparse_ce": KernelSpec(
        # one loop index per row: label (n,) and row_loss (n,) set the size; z and dz are (n, k), row-major
        "I label, int64 k, T s", "raw T z, raw T dz, T row_loss",
        """
        const ptrdiff_t row = i * k;
        T top = z[row];
        for (ptrdiff_t j = 1; j < k; ++j) { top = z[row + j] > top ? z[row + j] : top; }
        const T picked = z[row + label] - top;
        T total = 0;
        for (ptrdiff_t j = 0; j < k; ++j) { const T e = exp(z[row + j] - top); z[row + j] = e; total += e; }
        for (ptrdiff_t j = 0; j < k; ++j) { const T p = z[row + j] / total; z[row + j] = p; dz[row + j] = p * s; }
        dz[row + label] -= s;
        row_loss = log(total) - picked;
        """),
}

_kernels: dict[tuple[Any, str], Any] = {}  # by (CuPy module, name): built once, compiled per dtype
_failed: set[str] = set()


def enabled() -> bool:
    """Whether the fused kernels are used where they apply (``FNLEARN_FUSED_KERNELS=0`` turns them off).

    >>> enabled() in (True, False)
    True
    """
    return os.environ.get("FNLEARN_FUSED_KERNELS", "1") != "0"


def _kernel(name: str) -> Any:
    """The CuPy kernel ``name``, or None where it cannot run (NumPy, no ``ElementwiseKernel``, turned off
    or failed)."""
    cupy = backend.xp()
    if cupy is np or name in _failed or not enabled():
        return None
    kernel = _kernels.get((cupy, name))
    if kernel is None:
        if not hasattr(cupy, "ElementwiseKernel"):
            return None
        spec = SPECS[name]
        kernel = _kernels[(cupy, name)] = cupy.ElementwiseKernel(spec.in_params, spec.out_params, spec.operation,
                                                         f"fnlearn_{name}")
    return kernel


def run(name: str, *args: Any) -> bool:
    """Run the fused kernel ``name`` on ``args`` (in the order of its parameters, outputs last, written
    in place) and answer True — or answer False, touching nothing, where it cannot run here.

    >>> run("relu_grad", np.ones(2), np.ones(2))   # NumPy: the caller runs the unfused ops
    False
    """
    kernel = _kernel(name)
    if kernel is None:
        return False
    try:
        kernel(*args)
    except Exception as err:  # CuPy compiles on the first call; a failure there changes nothing
        if type(err).__name__ != "CompileException":
            raise
        _failed.add(name)
        warnings.warn(f"fnlearn's fused CUDA kernel {name!r} did not compile ({err}); "
                      "the unfused operations run instead.", RuntimeWarning, stacklevel=2)
        return False
    return True


def softmax_sparse_ce(z: Any, labels: Any, scale: float) -> tuple[Any, Any] | None:
    """For output scores ``z`` (n, k) and integer ``labels`` (n,): turn ``z`` into softmax probabilities in
    place and return (scale·(p − onehot), each row's cross-entropy), or None where the kernel cannot run.

    >>> softmax_sparse_ce(np.zeros((2, 3)), np.array([0, 2]), 1.0) is None   # NumPy
    True
    """
    if _kernel("softmax_sparse_ce") is None or not z.flags.c_contiguous:
        return None
    xp = backend.xp()
    dz = xp.empty_like(z)
    row_loss = xp.empty(z.shape[0], dtype=z.dtype)
    if not run("softmax_sparse_ce", labels, z.shape[1], z.dtype.type(scale), z, dz, row_loss):
        return None
    return dz, row_loss
