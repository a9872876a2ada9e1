"""Keras's ``AlphaDropout``, the dropout of self-normalising (SELU) networks, and ``ActivityRegularization``, the
identity layer that adds a penalty on what passes through it to the loss.

AlphaDropout keeps each value with probability 1 − rate and sets the others to SELU's negative saturation value
α' = −λα ≈ −1.7581, then applies the affine map ``a·x + b`` that brings the mean and variance of standardised
inputs back to 0 and 1: ``a = ((1 − rate)(1 + rate·α'²))^(−1/2)``, ``b = −a·α'·rate`` (Keras 3's formula).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> drop = fl.layers.AlphaDropout(0.1, seed=0)
    >>> out = drop(np.random.default_rng(0).normal(size=(4000, 50)), training=True).numpy()
    >>> round(abs(float(out.mean())), 1), round(float(out.std()), 1)
    (0.0, 1.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError
from ..tensor import Tensor
from . import regularizers
from .layers import LAYERS, Layer, _float_of, as_input, dropout_mask, dropout_rate, mask_shape, noise_shape_of
from .shape_layers import _base_settings, _NoiseLayer

# SELU's constants (Klambauer et al.), as Keras writes them
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
ALPHA_PRIME = -_SELU_ALPHA * _SELU_SCALE  # the value a dropped unit takes: SELU's limit at −∞


class AlphaDropout(_NoiseLayer):
    """Dropout for SELU networks, Keras's ``layers.AlphaDropout``: in training each value is kept with probability
    1 − ``rate`` or set to α' = −1.7581 (SELU's negative saturation), then mapped by ``a·x + b``, which keeps the
    mean and variance of standardised inputs; in inference the inputs pass as they are. ``noise_shape`` shares one
    draw along the axes where it is 1 (None: the input's size), as in Keras; ``rate`` is in [0, 1). Masks are
    seeded and resumed as :class:`~fnlearn.nn.layers.Dropout`'s (fnlearn's generator, so not Keras's numbers).

    >>> import fnlearn as fl, numpy as np
    >>> drop = fl.layers.AlphaDropout(0.5, seed=1)
    >>> values = sorted(set(np.round(drop(np.zeros((1, 200)), training=True).numpy().ravel(), 4).tolist()))
    >>> values, drop(np.ones((1, 2)), training=False).numpy().tolist()
    ([-0.7792, 0.7792], [[1.0, 1.0]])
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        self.rate = dropout_rate(rate, "AlphaDropout rate")
        self.noise_shape = noise_shape_of(noise_shape, "AlphaDropout")
        super().__init__(seed, name, kwargs)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, _float_of(x), self.name)
        if not self.training or self.rate == 0.0:
            return x
        shape = mask_shape(self, tuple(x.shape))
        kept = dropout_mask(self, shape, np.float64, self.rate) != 0  # the stream Dropout draws from
        rate = self.rate
        a = ((1.0 - rate) * (1.0 + rate * ALPHA_PRIME ** 2)) ** -0.5
        b = -a * ALPHA_PRIME * rate
        xp = backend.xp()
        scale = xp.where(kept, a, 0.0).astype(x.dtype)
        shift = xp.where(kept, b, a * ALPHA_PRIME + b).astype(x.dtype)
        return F.add(F.mul(x, Tensor(scale)), Tensor(shift))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape)}


class ActivityRegularization(Layer):
    """The identity, adding ``l1·Σ|x| + l2·Σx²`` of what passes through it (divided by the batch's size) to the
    loss, Keras's ``layers.ActivityRegularization``: the ``activity_regularizer`` every layer takes, as a layer of
    its own. Masks pass through it.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.ActivityRegularization(l1=0.5)
    >>> out = layer(np.array([[1.0, -2.0], [0.0, 3.0]]))
    >>> out.numpy().tolist(), [round(float(loss.item()), 6) for loss in layer.losses]
    ([[1.0, -2.0], [0.0, 3.0]], [1.5])
    """

    supports_masking = True

    def __init__(self, l1: float = 0.0, l2: float = 0.0, name: str | None = None, **kwargs: Any) -> None:
        if kwargs.get("activity_regularizer") is not None:
            raise ConfigError("ActivityRegularization got activity_regularizer too; its penalty is l1·Σ|x| + l2·Σx², "
                              "set by l1 and l2: give those, or put the regularizer on the layer before it.")
        kwargs.pop("activity_regularizer", None)
        penalty = regularizers.L1L2(l1=l1, l2=l2)  # checks both numbers before anything is set
        _base_settings(self, name, kwargs, "ActivityRegularization")
        self.l1, self.l2 = penalty.l1, penalty.l2
        # Layer.__call__ adds it to the loss after each call (Layer._penalise_activity); no penalty when both are 0
        self.__dict__["activity_regularizer"] = penalty if penalty.l1 or penalty.l2 else None
        self.built = True

    def forward(self, x: Any) -> Tensor:
        return as_input(x, _float_of(x), self.name)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "l1": self.l1, "l2": self.l2}
        config.pop("activity_regularizer", None)  # l1 and l2 make it again
        return config


NOISE_MORE: dict[str, type[Layer]] = {"AlphaDropout": AlphaDropout, "ActivityRegularization": ActivityRegularization}
LAYERS.update(NOISE_MORE)  # the classes a model file may name

__all__ = [*NOISE_MORE, "ALPHA_PRIME"]
