"""fnlearn — the function learning machine.

1. a function with unknown parameters (``Tensor``, ``Parameter``, layers, ``Sequential``),
2. a loss ``L(θ)`` (``fl.losses``),
3. gradient descent by back-propagation (``loss.backward()``, ``fl.optim``, ``model.fit``).

Example:
    >>> import fnlearn as fl
    >>> w = fl.tensor(1.0, requires_grad=True)
    >>> loss = (w * 3 - 6) ** 2
    >>> loss.backward(); float(w.grad)
    -18.0
"""

from __future__ import annotations

import importlib
from typing import Any

from . import errors, losses, optim, schedules
from . import functional as functional
from . import layers as layers
from . import nn as nn
from .backend import (
    backend_name,
    device,
    get_default_dtype,
    set_backend,
    set_default_dtype,
    set_device,
    set_seed,
)
from .functional import (
    abs,
    clip,
    concatenate,
    elu,
    exp,
    expand_dims,
    flatten,
    gelu,
    hard_sigmoid,
    leaky_relu,
    linear,
    log,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    minimum,
    relu,
    relu6,
    reshape,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    sqrt,
    squeeze,
    stack,
    swish,
    tanh,
    transpose,
    where,
)
from .functional import max as max  # noqa: A004
from .functional import mean as mean
from .functional import min as min  # noqa: A004
from .functional import sum as sum  # noqa: A004
from .gradcheck import GradcheckError, gradcheck
from .nn import Module, Sequential
from .nn import constraints as constraints
from .nn import regularizers as regularizers
from .tensor import Parameter, Tensor, grad, is_grad_enabled, no_grad, tensor

__version__ = "0.1.0"

# Heavier parts load on first use, so `import fnlearn` stays fast.
_LAZY_MODULES = {"datasets", "explain", "experiments", "keras", "compat", "io", "model", "callbacks",
                 "metrics", "data"}
_LAZY_ATTRS = {"load_model": "io", "History": "model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_ATTRS:
        return getattr(importlib.import_module(f".{_LAZY_ATTRS[name]}", __name__), name)
    raise AttributeError(f"module 'fnlearn' has no attribute {name!r}")


__all__ = [
    "Tensor", "Parameter", "tensor", "grad", "no_grad", "is_grad_enabled", "Module", "Sequential", "layers", "nn",
    "losses", "optim", "schedules", "regularizers", "constraints", "errors", "functional", "gradcheck",
    "GradcheckError",
    "set_seed", "set_default_dtype", "get_default_dtype", "set_backend", "set_device", "backend_name", "device",
    "sigmoid", "hard_sigmoid", "relu", "leaky_relu", "tanh", "softplus", "softmax", "log_softmax", "linear",
    "elu", "selu", "gelu", "silu", "swish", "relu6",
    "logsumexp", "exp", "log", "sqrt", "abs", "clip", "maximum", "minimum", "where", "matmul", "reshape",
    "transpose", "flatten", "expand_dims", "squeeze", "concatenate", "stack", "sum", "mean", "max", "min",
    "load_model", "__version__",
]
