"""Keras 3's augmentation policies for images (batch, height, width, channels) in ``value_range``: ``RandAugment``
(Cubuk et al., 2019), a few operations chosen at random applied one after another, and ``AugMix`` (Hendrycks et al.,
2020), chains of operations mixed together and with the image. Both are made of fnlearn's own layers, built as
Keras's layers build theirs (``RandomShear``, ``RandomTranslation``, ``RandomRotation``, ``RandomBrightness``,
``RandomColorDegeneration``, ``RandomContrast``, ``RandomSharpness``, ``RandomPosterization``, ``Solarization``,
``AutoContrast`` and ``Equalization``), each with the policy's ``factor``.

They work as the other augmentations do: in training every call draws from the layer's seeded stream; in inference
the images pass as they are. Keras's two steps are there, ``get_random_transformation`` (Keras's nested form: the
operations' own transforms under Keras's names of them, with the chosen indices or the mixing weights) and
``transform_images``; a transformation drawn by Keras's own layer gives Keras's pixels.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> x = np.array([[[[10.0], [200.0]]]])                          # one image of two pixels
    >>> policy = fl.layers.RandAugment(num_ops=1)
    >>> t = {"transforms": {"auto_contrast": None}, "layer_idxes": np.array([9])}    # operation 9: AutoContrast
    >>> policy.transform_images(x, t).numpy().ravel().tolist()
    [0.0, 255.0]
    >>> policy(x, training=False).numpy().ravel().tolist()              # inference: as they are
    [10.0, 200.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError
from ..tensor import Tensor
from .augment import (
    AutoContrast,
    RandomColorDegeneration,
    RandomPosterization,
    RandomSharpness,
    Solarization,
    _column,
    _unit_factor,
)
from .augment_more import Equalization, RandomShear
from .crop import RandomBrightness
from .image import (
    _INTERPOLATIONS,
    RandomContrast,
    RandomRotation,
    RandomTranslation,
    _choice,
    _number,
    _RandomImageLayer,
    _value_range,
)
from .layers import LAYERS, Layer, as_input

# Keras's names of the operations, in Keras's orders: an index drawn by Keras's layer means the same one here
_RAND_AUGMENT_OPS = ("random_shear", "random_translation", "random_rotation", "random_brightness",
                     "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
                     "solarization", "auto_contrast", "equalization")
_AUG_MIX_GEOMETRIC_AND_TONAL = ("random_shear", "random_translation", "random_rotation", "random_posterization",
                                "solarization", "auto_contrast", "equalization")
_AUG_MIX_ALL = (*_AUG_MIX_GEOMETRIC_AND_TONAL, "random_brightness", "random_color_degeneration", "random_contrast",
                "random_sharpness")


def _operation(key: str, factor: tuple[float, float], value_range: tuple[float, float], interpolation: str,
               dtype: Any) -> Layer:
    """The layer Keras's policies make under ``key``, with the policy's (lower, upper) ``factor``."""
    moving = {"interpolation": interpolation, "dtype": dtype}
    colour = {"value_range": value_range, "dtype": dtype}
    if key == "random_shear":
        return RandomShear(x_factor=factor, y_factor=factor, **moving)
    if key == "random_translation":
        return RandomTranslation(height_factor=factor, width_factor=factor, **moving)
    if key == "random_rotation":
        return RandomRotation(factor, **moving)
    if key == "random_posterization":
        # Keras's policies give posterization a whole number of bits from the upper end only
        return RandomPosterization(max(1, int(8 * factor[1])), **colour)
    if key == "solarization":
        return Solarization(addition_factor=factor, threshold_factor=factor, **colour)
    if key == "auto_contrast":
        return AutoContrast(**colour)
    if key == "equalization":
        return Equalization(**colour)
    kinds = {"random_brightness": RandomBrightness, "random_color_degeneration": RandomColorDegeneration,
             "random_contrast": RandomContrast, "random_sharpness": RandomSharpness}
    return kinds[key](factor, **colour)


def _whole(value: Any, owner: str, what: str, least: int, meaning: str) -> int:
    if not _number(value) or not float(value).is_integer() or value < least:
        raise ConfigError(f"{owner} {what} must be a whole number ≥ {least} ({meaning}), got {value!r}; "
                          f"e.g. {what}=3.")
    return int(value)


class _Policy(_RandomImageLayer):
    """An augmentation made of Keras's operations (the layers :func:`_operation` makes), each drawn and applied by
    its own layer."""

    def __init__(self, value_range: Any, factor: Any, interpolation: str, keys: tuple[str, ...], seed: Any,
                 data_format: str | None, name: str | None, kwargs: dict[str, Any]) -> None:
        owner = type(self).__name__
        self.value_range = _value_range(value_range, owner)
        self.factor = _unit_factor(factor, "factor", owner, (0.0, 1.0),
                                   "the strength of every operation, 0 for none, 1 for the strongest")
        self.interpolation = _choice(interpolation, "interpolation", owner, _INTERPOLATIONS)
        # a plain dict, so that the operations are no modules of the layer: it draws their transforms itself
        self._operations = {key: _operation(key, self.factor, self.value_range, self.interpolation,
                                            kwargs.get("dtype")) for key in keys}
        super().__init__(seed, data_format, name, kwargs)

    def _draw_operation(self, key: str, generator: np.random.Generator, n: int, height: int,
                        width: int) -> dict[str, np.ndarray] | None:
        operation = self._operations[key]
        return operation._draw(generator, n, height, width) if isinstance(operation, _RandomImageLayer) else None

    def _through(self, key: str, x: Tensor, transformation: Any) -> Tensor:
        """``x`` changed by the operation ``key`` with its own ``transformation`` (None for those that draw
        nothing)."""
        operation = self._operations.get(key)
        if operation is None:
            raise ConfigError(f"{type(self).__name__} layer {self.name!r} was given a transformation for {key!r}, "
                              f"which is none of its operations ({', '.join(self._operations)}); give one that its "
                              "get_random_transformation drew.")
        if isinstance(operation, AutoContrast):
            return operation.forward(x)
        return operation.transform_images(x, transformation)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": list(self.value_range), "factor": list(self.factor),
                "interpolation": self.interpolation}


class RandAugment(_Policy):
    """RandAugment in training, Keras's ``layers.RandAugment``: ``num_ops`` operations are chosen at random for the
    whole batch (each of the eleven with even odds, repeats possible) and applied one after another, each image
    getting its own draw of each: shear, translation, rotation (with ``interpolation``, reflecting at the edges),
    brightness, colour degeneration, contrast, sharpness, posterization, solarization, auto-contrast and
    equalization. ``factor`` (a number f in [0, 1], read as (0, f), or a pair (lower, upper)) is the strength given
    to every one of them, as Keras gives it (the posterization's factor is max(1, ⌊8·upper⌋) bits). Images in
    ``value_range``; the output stays in it.
    The transformation is Keras's: ``{"transforms": {name: that operation's transform}, "layer_idxes": [...]}``.

    >>> import fnlearn as fl, numpy as np
    >>> policy = fl.layers.RandAugment(num_ops=3, seed=0)
    >>> t = policy.get_random_transformation(np.zeros((2, 4, 4, 3)))
    >>> t["layer_idxes"].shape, len(t["transforms"])
    ((3,), 11)
    """

    def __init__(self, value_range: Any = (0, 255), num_ops: int = 2, factor: Any = 0.5,
                 interpolation: str = "bilinear", seed: int | None = None, data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self.num_ops = _whole(num_ops, "RandAugment", "num_ops", 0, "the operations applied to each batch")
        super().__init__(value_range, factor, interpolation, _RAND_AUGMENT_OPS, seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, Any]:
        chosen = generator.integers(0, len(_RAND_AUGMENT_OPS), self.num_ops)
        # every operation draws, chosen or not, as Keras's layer draws them
        return {"transforms": {key: self._draw_operation(key, generator, n, height, width)
                               for key in _RAND_AUGMENT_OPS}, "layer_idxes": chosen}

    def transform_images(self, images: Any, transformation: dict[str, Any] | None,
                         training: bool = True) -> Tensor:
        """``images`` changed by the operations ``transformation["layer_idxes"]`` names, in turn, each with its own
        transform in ``transformation["transforms"]``; as they are for None or not ``training``."""
        x = as_input(images, np.dtype(self.dtype), self.name)
        if transformation is None or not training:
            return x
        chosen = np.asarray(backend.to_numpy(transformation["layer_idxes"]), dtype=np.int64).reshape(-1)
        for index in chosen[:self.num_ops]:
            key = _RAND_AUGMENT_OPS[int(index)]
            x = self._through(key, x, transformation["transforms"].get(key))
        return x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_ops": self.num_ops}


class AugMix(_Policy):
    """AugMix in training, Keras's ``layers.AugMix``: the batch goes through ``num_chains`` chains, each of up to
    ``chain_depth`` operations chosen at random (each step one of the operations or none, with even odds), every
    image getting its own draw of each operation; the chains' results are mixed with weights drawn from
    Dirichlet(``alpha``, …), then mixed with the images, w·x + (1 − w)·mix, w ~ Beta(``alpha``, ``alpha``), and
    clipped to ``value_range``. The operations are shear, translation, rotation (with ``interpolation``),
    posterization, solarization, auto-contrast and equalization, and with ``all_ops`` (the default) brightness,
    colour degeneration, contrast and sharpness too, each of strength ``factor`` (a number f in [0, 1], read as
    (0, f), or a pair). The weights and chains are drawn once a call, for the whole batch, as Keras's; unlike
    Keras's, whose chains come from Python's unseeded ``random``, they come from the layer's seeded stream too.
    The transformation is Keras's: ``{"chain_mixing_weights", "weight_sample", "chain_transforms"}``, the last a
    list per chain of ``{"layer_name", "transformation"}``.

    >>> import fnlearn as fl, numpy as np
    >>> x = np.array([[[[10.0], [200.0]]]])
    >>> chain = [{"layer_name": "auto_contrast", "transformation": None}]
    >>> t = {"chain_mixing_weights": np.array([1.0]), "weight_sample": 0.5, "chain_transforms": [chain]}
    >>> fl.layers.AugMix(num_chains=1).transform_images(x, t).numpy().ravel().tolist()   # half-way to 0 and 255
    [5.0, 227.5]
    """

    def __init__(self, value_range: Any = (0, 255), num_chains: int = 3, chain_depth: int = 3, factor: Any = 0.3,
                 alpha: float = 1.0, all_ops: bool = True, interpolation: str = "bilinear", seed: int | None = None,
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.num_chains = _whole(num_chains, "AugMix", "num_chains", 1, "the chains of operations mixed together")
        self.chain_depth = _whole(chain_depth, "AugMix", "chain_depth", 0, "the most operations in each chain")
        if not _number(alpha) or alpha <= 0:
            raise ConfigError(f"AugMix alpha must be a number > 0, the parameter of the Dirichlet and Beta "
                              f"distributions of the mixing weights, got {alpha!r}; e.g. alpha=1.0.")
        if not isinstance(all_ops, (bool, np.bool_)):
            raise ConfigError(f"AugMix all_ops must be True or False (whether brightness, colour degeneration, "
                              f"contrast and sharpness are among the operations), got {all_ops!r}.")
        self.alpha, self.all_ops = float(alpha), bool(all_ops)
        keys = _AUG_MIX_ALL if self.all_ops else _AUG_MIX_GEOMETRIC_AND_TONAL
        super().__init__(value_range, factor, interpolation, keys, seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, Any]:
        keys = list(self._operations)
        weights = generator.dirichlet(np.full(self.num_chains, self.alpha))
        weight_sample = generator.beta(self.alpha, self.alpha)
        chains = []
        for _ in range(self.num_chains):
            chain = []
            for _ in range(self.chain_depth):
                pick = int(generator.integers(0, len(keys) + 1))  # the last one: no operation at this step
                if pick < len(keys):
                    chain.append({"layer_name": keys[pick],
                                  "transformation": self._draw_operation(keys[pick], generator, n, height, width)})
            chains.append(chain)
        return {"chain_mixing_weights": weights, "weight_sample": weight_sample, "chain_transforms": chains}

    def transform_images(self, images: Any, transformation: dict[str, Any] | None,
                         training: bool = True) -> Tensor:
        """``images`` mixed with their chains' results as ``transformation`` says, clipped to ``value_range``; as
        they are for None or not ``training``."""
        x = as_input(images, np.dtype(self.dtype), self.name)
        if transformation is None or not training:
            return x
        weights = np.asarray(backend.to_numpy(transformation["chain_mixing_weights"]), dtype=np.float64).ravel()
        chains = transformation["chain_transforms"]
        if len(chains) != weights.size:
            raise ConfigError(f"AugMix layer {self.name!r} was given {len(chains)} chains but {weights.size} mixing "
                              "weights; give a transformation its get_random_transformation drew.")
        n = x.shape[0]
        mixed = x * 0.0
        for weight, chain in zip(weights, chains):
            out = x
            for step in chain:
                out = self._through(step["layer_name"], out, step["transformation"])
            mixed = mixed + out * _column(np.full(n, weight), x)
        keep = float(np.asarray(backend.to_numpy(transformation["weight_sample"])))
        blended = x * _column(np.full(n, keep), x) + mixed * _column(np.full(n, 1.0 - keep), x)
        return F.clip(blended, *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "alpha": self.alpha, "all_ops": self.all_ops}


AUGMENT_MIX: dict[str, type[Layer]] = {"RandAugment": RandAugment, "AugMix": AugMix}
LAYERS.update(AUGMENT_MIX)  # the classes a model file may name

__all__ = list(AUGMENT_MIX)
