"""The two layers on a residual branch of ConvNeXt (Keras's ``keras.applications.convnext.LayerScale`` and
``StochasticDepth``): ``LayerScale`` weighs each channel of the branch by a learned factor γ that starts small
(1e-6), so that a deep stack of blocks starts close to the identity; ``StochasticDepth`` ("drop path") drops a
sample's whole branch in training, so that the block is the identity for that sample, with probability
``drop_path_rate``, and scales the kept branches by 1 / (1 − rate), so that inference needs no change.

Both save and load in fnlearn's model files and in Keras's (under Keras's names, from Keras's module
``keras.src.applications.convnext``).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> from fnlearn.nn.residual import LayerScale, StochasticDepth
    >>> LayerScale(0.5, 2)(np.ones((1, 3, 2))).numpy().tolist()
    [[[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]]
    >>> StochasticDepth(0.5, seed=0)(np.ones((4, 1)), training=True).numpy().ravel().tolist()
    [2.0, 0.0, 0.0, 0.0]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError, ShapeError
from ..tensor import Parameter, Tensor
from . import initializers
from .layers import LAYERS, Layer, _float_of, _reject_unknown_kwargs, as_input, dropout_mask, dropout_rate

KERAS_MODULE = "keras.src.applications.convnext"  # where Keras's own classes of these layers live


class LayerScale(Layer):
    """``x · γ``, γ one learned factor per channel (the last axis, of size ``projection_dim``), each starting at
    ``init_values``: Keras's ConvNeXt ``LayerScale`` (Touvron et al., 2021). Its weight is ``gamma``, of shape
    (projection_dim,).

    >>> import numpy as np
    >>> layer = LayerScale(1e-6, 4)
    >>> layer(np.ones((2, 3, 3, 4))).shape, layer.gamma.shape, round(float(layer.gamma.data[0]), 12)
    ((2, 3, 3, 4), (4,), 1e-06)
    """

    keras_module = KERAS_MODULE

    def __init__(self, init_values: float, projection_dim: int, name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("LayerScale", kwargs, allow=("input_shape",))
        if isinstance(init_values, (bool, np.bool_)) or not isinstance(init_values, (int, float, np.number)) \
                or not math.isfinite(float(init_values)):
            raise ConfigError(f"LayerScale init_values must be a number (the factor every channel starts with, "
                              f"e.g. 1e-6), got {init_values!r}.")
        if isinstance(projection_dim, (bool, np.bool_)) or not isinstance(projection_dim, (int, np.integer)) \
                or projection_dim < 1:
            raise ConfigError(f"LayerScale projection_dim must be a positive integer (the channels of its inputs, "
                              f"e.g. 96), got {projection_dim!r}.")
        self.init_values = float(init_values)
        self.projection_dim = int(projection_dim)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.gamma: Parameter | None = None  # made at build, as Keras's: a model file's layer allocates nothing early

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        shape = tuple(input_shape)
        if not shape or shape[-1] != self.projection_dim:
            raise ShapeError(f"LayerScale layer {self.name!r} scales {self.projection_dim} channels (the last axis), "
                             f"but was given samples of shape {shape}; give it samples of {self.projection_dim} "
                             "channels, or make it with projection_dim set to their channels.")
        return shape

    def build(self, input_shape: tuple[int, ...]) -> None:
        self.compute_output_shape(input_shape)
        with backend.using_dtype(self.dtype):
            self.gamma = Parameter(initializers.Constant(self.init_values)((self.projection_dim,)), name="gamma")
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype) if self.gamma is None else self.gamma.data.dtype, self.name)
        self.compute_output_shape(tuple(x.shape[1:]))
        self._ensure_built(x)
        return F.mul(x, self.gamma)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


class StochasticDepth(Layer):
    """Drop path, Keras's ConvNeXt ``StochasticDepth`` (Huang et al., 2016): in training each sample's input (a
    residual branch) is zeroed whole with probability ``drop_path_rate`` and kept, scaled by 1 / (1 − rate),
    otherwise; in inference it passes as it is. Where the branch is added to the block's input, a dropped branch
    makes the block the identity for that sample.

    The draws are a stream of the layer's own, seeded and counted (``seed``, ``draws``) as
    :class:`~fnlearn.nn.layers.Dropout`'s are, so a resumed fit draws what the uninterrupted one would have
    (fnlearn's generator, so not Keras's numbers). ``drop_path_rate`` is in [0, 1): Keras's 1 divides by zero.

    >>> import numpy as np
    >>> drop = StochasticDepth(0.25, seed=3)
    >>> out = drop(np.ones((1000, 2, 2, 3)), training=True).numpy()
    >>> sorted(set(np.round(out.ravel(), 4).tolist())), bool((out == out[:, :1, :1, :1]).all())
    ([0.0, 1.3333], True)
    >>> drop(np.ones((1, 2)), training=False).numpy().tolist()
    [[1.0, 1.0]]
    """

    keras_module = KERAS_MODULE
    supports_masking = True  # each sample is kept or dropped whole: a sequence's mask passes on

    def __init__(self, drop_path_rate: float, seed: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        _reject_unknown_kwargs("StochasticDepth", kwargs, allow=("input_shape",))
        self.drop_path_rate = dropout_rate(drop_path_rate, "StochasticDepth drop_path_rate", "samples' branches")
        self.seed: int | None = None if seed is None else backend.check_seed(
            seed, "StochasticDepth seed", "e.g. seed=0, or None for one drawn from fl.set_seed's generator")
        self.draws = 0  # training calls so far: the next draw comes from the generator seeded (seed, draws)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        if not self.training or self.drop_path_rate == 0.0:
            return x
        # one draw per sample, broadcast over its other axes: the whole branch of a sample goes or stays
        shape = (x.shape[0], *([1] * (x.ndim - 1)))
        return F.mul(x, Tensor(dropout_mask(self, shape, x.dtype, self.drop_path_rate)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate, "seed": self.seed}


RESIDUAL: dict[str, type[Layer]] = {"LayerScale": LayerScale, "StochasticDepth": StochasticDepth}
LAYERS.update(RESIDUAL)  # the classes a model file may name

__all__ = [*RESIDUAL]
