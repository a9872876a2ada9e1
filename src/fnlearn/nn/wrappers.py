"""Layers that reshape sequences around other layers, Keras's ``layers.TimeDistributed`` and ``layers.RepeatVector``:
the pieces of keras.io's sequence-to-sequence examples (the addition RNN: an encoder's vector repeated once per output
step for the decoder, a Dense applied to every step), video classifiers (a Conv2D applied to every frame) and taggers.

``TimeDistributed(layer)`` runs ``layer`` on each step of (batch, steps, ...) inputs with the same weights: the
steps are folded into the batch, (batch·steps, ...), the layer runs once, and its outputs are unfolded to
(batch, steps, ...). Its weights are the inner layer's, in Keras's order, so ``set_weights`` takes Keras's.
``RepeatVector(n)`` copies each (features,) sample n times, (batch, n, features); the gradient sums the copies.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.TimeDistributed(fl.layers.Dense(2))(np.ones((4, 3, 5))).shape
    (4, 3, 2)
    >>> fl.layers.RepeatVector(3)(np.ones((4, 5))).shape
    (4, 3, 5)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..model import Trainer
from ..tensor import Tensor
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input


def _inner_from_config(spec: Any) -> Any:
    """The layer a TimeDistributed config names, a class of ``LAYERS`` (nothing else looked up)."""
    cls = LAYERS.get(spec.get("class_name")) if isinstance(spec.get("class_name"), str) else None
    config = spec.get("config")
    if cls is None or not isinstance(config, dict):
        raise ConfigError(f"TimeDistributed's layer config must name one of fnlearn's layers with its settings, got "
                          f"{spec.get('class_name')!r}.")
    return cls.from_config(config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every step of a sequence, Keras's ``layers.TimeDistributed``: inputs (batch, steps, ...)
    go through ``layer`` as (batch·steps, ...) and come out as (batch, steps, ...); every step uses the same weights.

    The steps may be unknown when the model is made (``Input(shape=(None, 8))``). A mask of padding steps passes on
    to the layers after it (and to ``layer`` too, folded as its inputs are, where its computation takes one).
    ``layer`` may be a model (a Sequential run on every frame).

    >>> import fnlearn as fl, numpy as np
    >>> frames = fl.layers.TimeDistributed(fl.layers.Conv2D(4, 3))
    >>> frames(np.ones((2, 5, 8, 8, 3))).shape, [w.shape for w in frames.get_weights()]
    ((2, 5, 6, 6, 4), [(3, 3, 3, 4), (4,)])
    """

    supports_masking = True

    def __init__(self, layer: Any, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("TimeDistributed", kwargs, allow=("input_shape",))
        if isinstance(layer, dict):  # its config (Keras's from_config)
            layer = _inner_from_config(layer)
        if not isinstance(layer, (Layer, Trainer)):
            raise ConfigError(f"TimeDistributed takes a layer to apply to every step, got {type(layer).__name__}; "
                              "e.g. TimeDistributed(Dense(8)).")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype", getattr(layer, "dtype", None)))
        self.layer = layer
        if self.input_shape is not None:
            self.build(self.input_shape)

    def _step_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The shape of one step of samples of ``input_shape``: what ``layer`` is given."""
        shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else ()
        if len(shape) < 2 or isinstance(input_shape, list) and any(isinstance(s, (tuple, list)) for s in shape):
            raise ShapeError(f"TimeDistributed layer {self.name!r} takes sequences, samples of shape (steps, ...) "
                             f"with at least one axis after the steps, got samples of shape {input_shape!r}; "
                             "reshape each sample to (steps, 1) for one number per step.")
        return shape[1:]

    def build(self, input_shape: tuple[int, ...]) -> None:
        step = self._step_shape(input_shape)
        if not self.layer.built:
            self.layer.build_for(step)
        self.built = True

    @property
    def built(self) -> bool:
        return self.__dict__.get("_built", False) and bool(getattr(self.__dict__.get("layer"), "built", True))

    @built.setter
    def built(self, value: bool) -> None:
        self.__dict__["_built"] = bool(value)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[Any, ...]:
        out = self.layer.output_shape_for(self._step_shape(input_shape))
        if isinstance(out, list) or not isinstance(out, tuple) or any(isinstance(s, tuple) for s in out):
            raise ShapeError(f"TimeDistributed layer {self.name!r} wraps {type(self.layer).__name__} "
                             f"{getattr(self.layer, 'name', '')!r}, which gives several outputs; wrap a layer of one "
                             "output.")
        return (tuple(input_shape)[0], *out)

    def forward(self, x: Any, mask: Any = None) -> Tensor:
        if not isinstance(x, Tensor):
            data = np.asarray(x) if not hasattr(x, "dtype") else x
            x = as_input(data, data.dtype if np.dtype(data.dtype).kind in "iub" else _float_of(data), self.name)
        step = self._step_shape(x.shape[1:])
        if not self.built:
            self.build_for(tuple(x.shape[1:]))
        batch, steps = x.shape[0], x.shape[1]
        folded = F.reshape(x, (batch * steps, *step))
        kwargs = {}
        if mask is not None and isinstance(self.layer, Layer) and self.layer._takes_mask:
            kwargs["mask"] = mask.reshape(batch * steps, *mask.shape[2:])
        out = self.layer(folded, **kwargs)
        if not isinstance(out, Tensor):
            raise ShapeError(f"TimeDistributed layer {self.name!r} wraps {type(self.layer).__name__} "
                             f"{getattr(self.layer, 'name', '')!r}, which gives several outputs; wrap a layer of one "
                             "output.")
        return F.reshape(out, (batch, steps, *out.shape[1:]))

    def get_config(self) -> dict[str, Any]:
        inner = self.layer.get_config()
        inner.pop("input_shape", None)  # the wrapper's input shape is the model's; its layer's follows from it
        return {**super().get_config(), "layer": {"class_name": type(self.layer).__name__, "config": inner}}


class RepeatVector(Layer):
    """Repeats each sample ``n`` times, Keras's ``layers.RepeatVector``: (batch, features) → (batch, n, features),
    as the addition RNN's encoder vector is given to every step of its decoder. The gradient sums over the copies.

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.RepeatVector(2)(np.array([[1.0, 2.0]])).numpy().tolist()
    [[[1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n: int, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("RepeatVector", kwargs, allow=("input_shape", "input_dim"))
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"RepeatVector n must be a whole number of at least 1 (the copies of each sample, e.g. "
                              f"the steps of a decoder), got {n!r}.")
        self.n = int(n)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), input_dim=kwargs.get("input_dim"),
                         trainable=kwargs.get("trainable", True), dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[Any, ...]:
        if len(tuple(input_shape)) != 1:
            raise ShapeError(f"RepeatVector layer {self.name!r} takes samples of shape (features,), got samples of "
                             f"shape {tuple(input_shape)}; put a Flatten before it, or an LSTM without "
                             "return_sequences.")
        return (self.n, *tuple(input_shape))

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        self.compute_output_shape(x.shape[1:])
        return F.tile(F.expand_dims(x, 1), (1, self.n, 1))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n": self.n}


WRAPPERS: dict[str, type[Layer]] = {"TimeDistributed": TimeDistributed, "RepeatVector": RepeatVector}
LAYERS.update(WRAPPERS)  # the classes a model file may name

__all__ = ["TimeDistributed", "RepeatVector"]
