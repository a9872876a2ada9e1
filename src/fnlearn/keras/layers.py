"""``keras.layers``: Dense, Activation, Softmax, ReLU, LeakyReLU, Flatten, Dropout, Normalization,
BatchNormalization, and ``Input`` to declare a model's input shape.

The layer classes are fnlearn's own (:mod:`fnlearn.nn.layers`); ``Input(shape=(n,))`` may open a
``Sequential`` list, as Keras allows, and only declares the shape of one sample.

Example:
    >>> from fnlearn.keras import Sequential, layers
    >>> model = Sequential([layers.Input(shape=(4,)), layers.Dense(3, activation="relu"), layers.Dense(1)])
    >>> model.num_parameters()
    19
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..errors import ConfigError
from ..nn.layers import (
    Activation,
    BatchNormalization,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LeakyReLU,
    Normalization,
    ReLU,
    Softmax,
    as_input,
)
from ..tensor import Tensor
from ._missing import not_provided


class InputLayer(Layer):
    """A layer that passes its input through and declares the shape of one sample (batch axis excluded).

    A ``Sequential`` (fnlearn's or Keras's) turns it into the ``input_shape`` of the layer after it, so it
    adds no row to ``summary()`` and no weights.

    >>> InputLayer(shape=(784,)).input_shape
    (784,)
    """

    declares_input_only = True  # a Sequential takes its shape and adds no layer for it

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 name: str | None = None, input_shape: Any = None, **kwargs: Any) -> None:
        if kwargs.get("batch_shape") is not None:
            batch_shape = tuple(kwargs.pop("batch_shape"))
            shape = batch_shape[1:]
        unknown = [k for k, v in kwargs.items() if v not in (None, False)]
        if unknown:
            raise ConfigError(f"Input got unsupported argument(s) {', '.join(unknown)}; fnlearn's Input "
                              "takes shape=(n_features,) and optionally name.")
        if shape is None:
            shape = input_shape
        if shape is None:
            raise ConfigError("Input needs shape=, the shape of one sample without the batch axis, "
                              "e.g. Input(shape=(784,)).")
        if isinstance(shape, (tuple, list)) and any(s is None for s in shape):
            raise ConfigError(f"Input shape {tuple(shape)} has an unknown size (None); fnlearn's Sequential "
                              "needs every size of one sample, e.g. Input(shape=(784,)).")
        if dtype is not None and str(dtype) != backend.get_default_dtype():
            raise ConfigError(f"Input dtype {dtype!r} differs from the default dtype "
                              f"{backend.get_default_dtype()!r}; call fl.set_default_dtype({str(dtype)!r}) "
                              "before building the model instead.")
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ConfigError(f"Input batch_size must be a positive integer or None, got {batch_size!r}.")
        super().__init__(name=name, input_shape=shape)
        self.built = True

    def forward(self, x: Any) -> Tensor:
        dtype = getattr(x, "dtype", None)
        keep = dtype is not None and dtype.kind == "f"
        return as_input(x, dtype if keep else backend.float_dtype(), self.name)


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,  # noqa: N802  (Keras's name)
          name: str | None = None, **kwargs: Any) -> InputLayer:
    """Declare the shape of one sample; use it as the first element of a ``Sequential`` list.

    >>> Input(shape=(28, 28)).input_shape
    (28, 28)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, **kwargs)


__all__ = ["Layer", "Dense", "Activation", "Softmax", "ReLU", "LeakyReLU", "Flatten", "Dropout", "Normalization",
           "BatchNormalization", "Input", "InputLayer"]

__getattr__ = not_provided(__name__, __all__)
