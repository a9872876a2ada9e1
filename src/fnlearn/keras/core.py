"""Keras 3's top-level names for a weight made on its own, the placeholder class and the device:
``keras.Variable``, ``keras.KerasTensor``, ``keras.device``.

Example:
    >>> from fnlearn import keras
    >>> counter = keras.Variable(0.0, trainable=False, name="counter")
    >>> counter.assign_add(1.0).numpy().tolist(), counter.trainable
    (1.0, False)
    >>> isinstance(keras.Input((3,)), keras.KerasTensor)
    True
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError
from ..tensor import Parameter
from .layers import _Placeholder as KerasTensor


class _AnyWeight(type):
    # every weight is a keras.Variable, as in Keras: those add_weight made too, not only those made by Variable(...)
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Parameter)


class Variable(Parameter, metaclass=_AnyWeight):
    """Keras's ``keras.Variable``: a weight made on its own — a counter kept across steps, a weight a layer of
    one's own makes in ``__init__`` — a :class:`fnlearn.Parameter` (``assign``, ``assign_add``, ``numpy()``,
    ``trainable``), tracked by the layer or model it is set on.

    Args:
        initializer: the starting values (a number or an array), or an initializer (a name such as ``"zeros"``,
            an object, a function of the shape) with ``shape``.
        shape: the weight's shape, with an initializer (with values, their shape or None).
        dtype: ``"float32"`` or ``"float64"`` (default: ``keras.config.floatx()``).
        trainable: whether ``fit`` and the optimizers update it.
        name: its name.
        autocast, aggregation, synchronization: Keras's distribution settings, taken and not used (fnlearn runs on
            one device).

    >>> import numpy as np
    >>> Variable("ones", shape=(2,)).numpy().tolist(), Variable(np.eye(2)).shape
    ([1.0, 1.0], (2, 2))
    """

    def __init__(self, initializer: Any, shape: Any = None, dtype: Any = None, trainable: bool = True,
                 autocast: bool = True, aggregation: str = "none", synchronization: str = "auto",
                 name: str | None = None) -> None:
        from ..nn import initializers

        if isinstance(initializer, str) or (callable(initializer) and not hasattr(initializer, "shape")):
            if shape is None:
                raise ConfigError(f"keras.Variable got the initializer {initializer!r} without a shape; give "
                                  "shape=(...), or starting values instead of an initializer.")
            dims = tuple(int(d) for d in np.atleast_1d(shape)) if np.ndim(shape) else (int(shape),)
            values = backend.to_numpy(initializers.get(initializer)(dims))
        else:
            values = backend.to_numpy(initializer.data if isinstance(initializer, Parameter) else initializer)
            values = np.asarray(values)
            if shape is not None and tuple(values.shape) != tuple(np.atleast_1d(shape)) and \
                    not (values.ndim == 0 and tuple(shape) == ()):
                raise ConfigError(f"keras.Variable got starting values of shape {values.shape} and shape={shape!r}; "
                                  "leave shape out with values, or give an initializer with the shape.")
        super().__init__(backend.to_device(np.asarray(values)), dtype=dtype, name=name)
        self.requires_grad = bool(trainable)


@contextlib.contextmanager
def device(device_name: str) -> Iterator[None]:
    """Keras's ``keras.device``: within the block, new tensors and layers live on ``device_name`` — ``"cpu"`` (or
    ``"cpu:0"``), or the GPU (``"gpu"``, ``"gpu:0"``, ``"cuda"``, ``"cuda:0"``), with CuPy; the device before is
    back after it. fnlearn uses one GPU: another index is refused.

    >>> import fnlearn as fl
    >>> with device("cpu:0"):
    ...     fl.backend.device()
    'cpu'
    """
    match = re.fullmatch(r"(cpu|gpu|cuda)(?::(\d+))?", device_name.lower()) if isinstance(device_name, str) else None
    if match is None or int(match.group(2) or 0) != 0:
        raise ConfigError(f"keras.device got {device_name!r}; give 'cpu' or 'gpu' ('cpu:0', 'gpu:0'): fnlearn runs "
                          "on the CPU or on one GPU.")
    before = backend.device()
    backend.set_device("cpu" if match.group(1) == "cpu" else "cuda")
    try:
        yield
    finally:
        backend.set_device(before)


__all__ = ["Variable", "KerasTensor", "device"]
