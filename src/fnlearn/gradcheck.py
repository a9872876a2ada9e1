"""Check gradients against central finite differences, the way fnlearn checks its own ops.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.gradcheck(lambda x: (fl.sigmoid(x) * x).sum(), [np.random.randn(3, 2)])
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import backend
from .errors import ShapeError
from .tensor import Tensor, no_grad


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


def numerical_grad(fn: Callable[..., Tensor], inputs: Sequence[Tensor], index: int, eps: float) -> np.ndarray:
    """∂ fn / ∂ inputs[index] by central differences: (f(x + ε) − f(x − ε)) / 2ε, one element at a time."""
    x = inputs[index]
    host = backend.to_numpy(x.data).copy()
    grad = np.zeros_like(host)
    with no_grad():
        for i in np.ndindex(host.shape):
            old = host[i]
            host[i] = old + eps
            x.data = backend.to_device(host.copy())
            up = float(fn(*inputs).data.sum())
            host[i] = old - eps
            x.data = backend.to_device(host.copy())
            down = float(fn(*inputs).data.sum())
            host[i] = old
            grad[i] = (up - down) / (2 * eps)
    x.data = backend.to_device(host)
    return grad


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-8,
              rtol: float = 1e-6, raise_exception: bool = True) -> bool:
    """Compare ``backward()`` of ``fn(*inputs)`` with central finite differences, in float64.

    ``fn`` returns a tensor (a non-scalar output is summed). Every input is copied to a float64 tensor
    that requires grad. Returns True, or raises :class:`GradcheckError` naming the input and the worst
    element (returns False instead when ``raise_exception=False``).
    """
    tensors = [Tensor(np.asarray(backend.to_numpy(x.data if isinstance(x, Tensor) else x), dtype=np.float64),
                      requires_grad=True) for x in inputs]
    out = fn(*tensors)
    if not isinstance(out, Tensor):
        raise ShapeError(f"gradcheck needs fn to return a tensor, got {type(out).__name__}.")
    out.sum().backward() if out.size != 1 else out.backward()
    for k, t in enumerate(tensors):
        analytic = np.zeros(t.shape) if t.grad is None else backend.to_numpy(t.grad)
        numeric = numerical_grad(fn, tensors, k, eps)
        with np.errstate(invalid="ignore"):
            err = np.abs(analytic - numeric)
            limit = atol + rtol * np.abs(numeric)
            # a NaN or an infinity on one side only is a difference too (a plain err > limit lets NaN through)
            excess = np.where(analytic == numeric, -np.inf, np.where(np.isfinite(err), err - limit, np.inf))
        if np.any(excess > 0):
            worst = np.unravel_index(int(np.argmax(excess)), err.shape) if err.ndim else ()
            message = (f"gradient of input {k} differs at {tuple(int(i) for i in worst)}: analytic "
                       f"{analytic[worst]:.10g}, numerical {numeric[worst]:.10g}")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True
