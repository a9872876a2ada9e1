"""More per-sample normalisation: ``GroupNormalization`` (Wu & He, 2018; the diffusion models' and small-batch
convolutional nets' choice) and ``RMSNormalization`` (Zhang & Sennrich, 2019; the Transformers' of LLaMA and
Gemma), Keras 3's layers of the same names.

Both normalise each sample on its own, so training and inference compute the same thing and the batch size does
not matter. Group normalisation splits the channels into ``groups`` and normalises each group over its channels
and every other axis (the image's height and width) with :func:`layer_norm`'s closed-form backward; RMS
normalisation divides by the root mean square over ``axis`` without subtracting the mean.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.GroupNormalization(groups=2)(np.ones((1, 5, 5, 4))).shape
    (1, 5, 5, 4)
    >>> fl.layers.RMSNormalization(dtype="float64")(np.array([[3.0, 4.0]])).numpy().round(3).tolist()
    [[0.849, 1.131]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..data import check_flag
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import constraints, initializers, regularizers
from .layers import (
    LAYERS,
    Layer,
    _layer_norm_axes,
    _layer_norm_setting,
    _reject_unknown_kwargs,
    _setting,
    as_input,
    layer_norm,
)


def _epsilon(value: Any, who: str, default: str) -> float:
    return _setting(value, "epsilon", f"a number > 0 (added inside the square root, so that a constant sample is "
                    f"not divided by 0; the default is {default})", positive=True, high=math.inf, owner=who)


class GroupNormalization(Layer):
    """Group normalisation, Keras 3's ``layers.GroupNormalization`` (PyTorch's ``GroupNorm``): the channels
    (``axis``, the last by default) split into ``groups`` of equal size, each sample's group normalised over its
    channels and all the other axes, ``(x − μ)/√(σ² + ε)``, then scaled by γ and shifted by β, one of each per
    channel (Keras's weight order γ, β). ``groups=-1`` makes one group per channel (instance normalisation);
    ``groups=1`` is layer normalisation over the whole sample.

    >>> import fnlearn as fl, numpy as np
    >>> norm = fl.layers.GroupNormalization(groups=2, epsilon=1e-9, dtype="float64")
    >>> norm(np.array([[1.0, 3.0, 10.0, 30.0]])).numpy().round(3).tolist(), norm.gamma.shape
    ([[-1.0, 1.0, -1.0, 1.0]], (4,))
    """

    supports_masking = True  # each sample alone: a sequence's mask passes on, as Keras's
    _weight_constraints = {"gamma": "gamma_constraint", "beta": "beta_constraint"}
    _weight_regularizers = {"gamma": "gamma_regularizer", "beta": "beta_regularizer"}

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, name: str | None = None,
                 **kwargs: Any) -> None:
        found = constraints.checked(kwargs, ("beta_constraint", "gamma_constraint"))
        _reject_unknown_kwargs("GroupNormalization", kwargs, allow=("input_shape",))
        whole = isinstance(groups, (int, np.integer)) and not isinstance(groups, bool)
        if not whole or (groups < 1 and groups != -1):
            raise ConfigError(f"GroupNormalization groups must be a whole number of at least 1 (or -1 for one group "
                              f"per channel), got {groups!r}; e.g. groups=8, a divisor of the channels.")
        if not (isinstance(axis, (int, np.integer)) and not isinstance(axis, bool)) or axis == 0:
            raise ConfigError(f"GroupNormalization axis must be the channels' axis, a nonzero integer (0 is the "
                              f"batch), got {axis!r}; e.g. -1 for channels-last images.")
        self.groups, self.axis = int(groups), int(axis)
        self.epsilon = _epsilon(epsilon, "GroupNormalization", "1e-3")
        self.center = check_flag(center, "GroupNormalization center")
        self.scale = check_flag(scale, "GroupNormalization scale")
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint, self.gamma_constraint = found["beta_constraint"], found["gamma_constraint"]
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.gamma: Parameter | None = None
        self.beta: Parameter | None = None
        self.channels: int | None = None  # once built

    def _channel_axis(self, rank: int) -> int:
        """The channels' axis of inputs of ``rank`` axes (batch included), or one sentence."""
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ShapeError(f"GroupNormalization layer {self.name!r} has axis={self.axis}, but its inputs have "
                             f"{rank} axes (batch included); give it inputs with that axis, or fix axis (-1 for "
                             "the last).")
        return self.axis % rank

    def _group_count(self, channels: Any) -> int:
        if channels is None:
            raise ShapeError(f"GroupNormalization layer {self.name!r} needs the number of channels (axis "
                             f"{self.axis}) to make its weights, but it is unknown (None); give that size.")
        groups = int(channels) if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ShapeError(f"GroupNormalization layer {self.name!r} splits {channels} channels into {groups} "
                             f"groups, which must divide them evenly; choose groups among the divisors of "
                             f"{channels} (groups={math.gcd(channels, groups)} would do).")
        return groups

    def build(self, input_shape: tuple[int, ...]) -> None:
        channels = tuple(input_shape)[self._channel_axis(len(input_shape) + 1) - 1]
        self._group_count(channels)
        with backend.using_dtype(self.dtype):
            if self.scale:
                self.gamma = Parameter(self.gamma_initializer((int(channels),)), name="gamma")
            if self.center:
                self.beta = Parameter(self.beta_initializer((int(channels),)), name="beta")
        self.channels = int(channels)
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        axis = self._channel_axis(len(input_shape) + 1)
        self._group_count(input_shape[axis - 1])
        return tuple(input_shape)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype), self.name)
        if x.ndim < 2:
            raise ShapeError(f"layer {self.name!r} expects a batch of samples, shape (batch, ..., channels), got "
                             f"shape {x.shape}; wrap a single sample as x[None, ...].")
        axis = self._channel_axis(x.ndim)
        self._ensure_built(x)
        if x.shape[axis] != self.channels:
            raise ShapeError(f"layer {self.name!r} was built for {self.channels} channels (axis {self.axis}) but got "
                             f"shape {x.shape}; give it inputs of the channels it was built for.")
        groups = self._group_count(self.channels)
        grouped = F.reshape(x, (*x.shape[:axis], groups, self.channels // groups, *x.shape[axis + 1:]))
        # every axis but the batch and the group's: the group's channels and the rest of the sample
        axes = [a for a in range(1, grouped.ndim) if a != axis]
        out = F.reshape(layer_norm(grouped, None, None, axes, self.epsilon), x.shape)
        spread = [1] * x.ndim
        spread[axis] = self.channels
        if self.gamma is not None:
            out = F.mul(out, F.reshape(self.gamma, tuple(spread)))
        if self.beta is not None:
            out = F.add(out, F.reshape(self.beta, tuple(spread)))
        return out

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                  "center": self.center, "scale": self.scale,
                  "beta_initializer": initializers.name_of(self.beta_initializer),
                  "gamma_initializer": initializers.name_of(self.gamma_initializer)}
        return config


class RMSNormalization(Layer):
    """Root-mean-square normalisation, Keras 3's ``layers.RMSNormalization`` (PyTorch's ``RMSNorm``):
    ``x / √(mean(x²) + ε) · scale``, the mean over ``axis`` (the last by default, or a list of axes) of each
    sample, and ``scale`` trained, one value per position of those axes (1 at first). No mean is subtracted and
    there is no offset.

    >>> import fnlearn as fl, numpy as np
    >>> norm = fl.layers.RMSNormalization(dtype="float64")
    >>> norm(np.array([[1.0, -1.0], [2.0, 2.0]])).numpy().round(3).tolist(), norm.scale.shape
    ([[1.0, -1.0], [1.0, 1.0]], (2,))
    """

    # Keras 3's RMSNormalization does not support masking: a sequence's mask stops here (the layers after it see
    # every step), so the same program computes the same numbers; Layer.__call__ says so once
    supports_masking = False

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("RMSNormalization", kwargs, allow=("input_shape",))
        try:
            self.axis: int | list[int] = _layer_norm_setting(axis)
        except ConfigError:
            raise ConfigError(f"RMSNormalization axis must be an integer other than 0 (the batch) or a list of "
                              f"distinct ones, such as -1 (the features, the default), got {axis!r}.") from None
        self.epsilon = _epsilon(epsilon, "RMSNormalization", "1e-6")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.scale: Parameter | None = None

    def _axes(self, rank: int) -> list[int]:
        try:
            axes = _layer_norm_axes(self.axis, rank, "RMSNormalization")
        except ConfigError:
            axes = [0]
        if 0 in axes:
            raise ShapeError(f"RMSNormalization layer {self.name!r} normalises axis={self.axis!r}, but its inputs "
                             f"have {rank} axes (batch included); fix axis, or give it inputs with those axes.")
        return axes

    def build(self, input_shape: tuple[int, ...]) -> None:
        sizes = tuple(tuple(input_shape)[a - 1] for a in self._axes(len(input_shape) + 1))
        if None in sizes:
            raise ShapeError(f"RMSNormalization layer {self.name!r} makes one scale per position of the axes it "
                             f"normalises, but samples of shape {tuple(input_shape)} leave one unknown (None); "
                             "normalise the features (axis=-1) or give that size.")
        with backend.using_dtype(self.dtype):
            self.scale = Parameter(initializers.get("ones")(tuple(int(s) for s in sizes)), name="scale")
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        self._axes(len(input_shape) + 1)
        return tuple(input_shape)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype), self.name)
        axes = self._axes(max(x.ndim, 1))
        self._ensure_built(x)
        sizes = tuple(x.shape[a] for a in axes)
        if sizes != tuple(self.scale.shape):
            raise ShapeError(f"layer {self.name!r} was built for inputs whose normalised axes {axes} have sizes "
                             f"{tuple(self.scale.shape)}, but got shape {x.shape}; give it inputs of the shape it "
                             "was built for, or make a new layer.")
        inverse = F.div(1.0, F.sqrt(F.add(F.mean(F.mul(x, x), axis=tuple(axes), keepdims=True), self.epsilon)))
        spread = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
        return F.mul(F.mul(x, inverse), F.reshape(self.scale, tuple(spread)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


LAYERS.update({"GroupNormalization": GroupNormalization, "RMSNormalization": RMSNormalization})
