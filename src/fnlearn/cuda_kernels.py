"""Fused CUDA kernels for the fast training step on CuPy: fewer, bigger kernels per step.

A small network's step on a GPU costs about as much per kernel as per flop, so each of these does in one
kernel what NumPy-style code does in several (counted in a recorded step of MLP 784-100-100-10):

* ``bias_relu``: ``z = max(z + b, 0)`` in place — the bias add and ReLU of a hidden layer (2 kernels → 1);
* ``relu_grad``: ``g *= (a > 0)`` in place — ReLU's backward (2 → 1);
* ``softmax_sparse_ce``: per row, from the output scores: the softmax (in place), scale·(p − onehot) and
  the row's cross-entropy — what took 13 kernels (row maxima, shift, exp, sums, divide, log, the target's
  gather and scatter) → 1;
* ``gate`` and the guarded updates ``sgd``, ``sgd_momentum``, ``sgd_nesterov`` and ``adam`` (AdamW too):
  the optimizer's step, taken only while the step's loss (and every earlier one, the sticky gate) was
  finite — the device-loss mode's no-update rule without saving and restoring the parameters and the
  optimizer's state (plain SGD 7 kernels → 2, Adam 23 → 2).

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
from .optim import SGD, Adam, AdamW


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
    # the device-loss mode's sticky gate: false from the first non-finite loss on
    "gate": KernelSpec("T loss", "bool gate", "gate = gate && isfinite(loss);"),
    # guarded optimizer steps: lr (and Adam's c1 = 1/(1 − β₁ᵗ), c2 = 1/√(1 − β₂ᵗ)) are 0-d device arrays
    "sgd": KernelSpec("T g, T lr, bool ok", "T p", "if (ok) { p -= lr * g; }"),
    "sgd_momentum": KernelSpec(
        "T g, T lr, bool ok, T mu", "T p, T m",
        "if (ok) { m *= mu; m -= lr * g; p += m; }"),
    "sgd_nesterov": KernelSpec(
        "T g, T lr, bool ok, T mu", "T p, T m",
        "if (ok) { const T step = lr * g; m *= mu; m -= step; p += mu * m - step; }"),
    "adam": KernelSpec(
        "T g, T lr, bool ok, T c1, T c2, T b1, T one_minus_b1, T b2, T one_minus_b2, T eps, T wd",
        "T p, T m, T v",
        """
        if (ok) {
            if (wd != (T)0) { p *= (T)1 - lr * wd; }
            m *= b1; m += one_minus_b1 * g;
            v *= b2; v += one_minus_b2 * g * g;
            T denom = sqrt(v) * c2; denom += eps;
            p -= lr * c1 * m / denom;
        }
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


def _on_host(args: tuple[Any, ...]) -> bool:
    """Whether a host (NumPy) array is among ``args`` where the backend's arrays are others: no kernel reads it."""
    device = getattr(backend.xp(), "ndarray", np.ndarray)
    return device is not np.ndarray and any(isinstance(a, np.ndarray) and not isinstance(a, device) for a in args)


def run(name: str, *args: Any) -> bool:
    """Run the fused kernel ``name`` on ``args`` (in the order of its parameters, outputs last, written
    in place) and answer True — or answer False, touching nothing, where it cannot run here (NumPy, or host
    arrays on the CuPy backend).

    >>> run("relu_grad", np.ones(2), np.ones(2))   # NumPy: the caller runs the unfused ops
    False
    """
    kernel = _kernel(name)
    if kernel is None or _on_host(args):
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


def guarded_update(optimizer: Any, param: Any, grad: Any, state: dict[str, Any], lr: Any, loss: Any,
                   gate: Any) -> bool:
    """The device-loss mode's step in two kernels: ``gate &= isfinite(loss)``, then ``optimizer``'s update of
    the flat ``param`` (and its ``state``), taken only where the gate is open. Answers False, touching
    nothing, for an optimizer without a fused form (Adagrad, RMSprop) or where the kernels cannot run.

    >>> from fnlearn.optim import SGD
    >>> guarded_update(SGD(learning_rate=0.1), np.ones(2), np.ones(2), {}, 0.1, np.float64(1.0), np.ones((), bool))
    False
    """
    kind = type(optimizer)
    if kind is SGD and optimizer.momentum == 0.0:
        name, extra, slots = "sgd", (), ()
    elif kind is SGD:
        name = "sgd_nesterov" if optimizer.nesterov else "sgd_momentum"
        extra, slots = (optimizer.momentum,), (state["m"],)
    elif kind in (Adam, AdamW) and optimizer.correction_buffers is not None:
        b1, b2 = optimizer.beta_1, optimizer.beta_2
        name, slots = "adam", (state["m"], state["v"])
        extra = (*optimizer.correction_buffers, b1, 1 - b1, b2, 1 - b2, optimizer.epsilon,
                 getattr(optimizer, "weight_decay", 0.0))
    else:
        return False
    if _kernel(name) is None or _kernel("gate") is None or not run("gate", loss, gate):
        return False
    # False only where the update kernel did not compile: the caller's unfused update runs (the gate is already set)
    return run(name, grad, lr, gate, *extra, param, *slots)
