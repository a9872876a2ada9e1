"""Augmentations of Keras 3 for images (batch, height, width, channels): the colour changes RandAugment draws from,
``RandomInvert``, ``Solarization``, ``RandomPosterization``, ``RandomSharpness``, ``RandomColorDegeneration``,
``RandomGrayscale`` and ``AutoContrast``, for images whose values lie in ``value_range`` ((0, 255) by default); and
the mixes of two images of a batch, ``MixUp`` and ``CutMix``, which mix one-hot labels given with the images too.

Each random one is an augmentation layer as ``RandomFlip`` is: in training every image gets a change drawn for it
from the layer's seeded stream; in inference the images pass as they are. Keras's two steps are there too,
``get_random_transformation`` (under Keras's names and in its units, so a transform drawn by Keras's layer can be
given) and ``transform_images``; the same transform gives Keras's pixels. ``AutoContrast`` draws nothing and
stretches every image, in training and in inference alike, as Keras's does.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> x = np.array([[[[10.0], [200.0]]]])                         # one image of two pixels
    >>> fl.layers.RandomInvert(seed=0)(x, training=True).numpy().ravel().tolist()
    [245.0, 55.0]
    >>> fl.layers.AutoContrast()(x).numpy().ravel().tolist()
    [0.0, 255.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError
from ..tensor import Tensor
from .image import _factor, _number, _per_image, _per_image_flags, _RandomImageLayer, _value_range
from .layers import LAYERS, Layer, _reject_unknown_kwargs, as_input

# ITU-R 601 luma weights, as Keras's (and torchvision's) rgb_to_grayscale uses them
_LUMA = (0.2989, 0.587, 0.114)


def _unit_factor(value: Any, what: str, owner: str, bounds: tuple[float, float], meaning: str) -> tuple[float, float]:
    """Keras's ``_set_factor``: a number f is (max(−f, low), f), a pair is sorted; each inside ``bounds``."""
    lower, upper = _factor(value, what, owner, bounds, meaning)
    return max(lower, bounds[0]), upper


def _rescaled(x: Tensor, source: tuple[float, float], target: tuple[float, float]) -> Tensor:
    """Values moved linearly from the range ``source`` to ``target`` (Keras's ``_transform_value_range``)."""
    if tuple(source) == tuple(target):
        return x
    return (x - source[0]) * ((target[1] - target[0]) / (source[1] - source[0])) + target[0]


def _column(values: Any, x: Tensor) -> Tensor:
    """One number per image as a (batch, 1, 1, 1) constant of the images' dtype, on their device."""
    return Tensor(backend.to_device(_per_image(values, x.shape[0]).reshape(-1, 1, 1, 1).astype(x.dtype)))


def grayscale(x: Tensor) -> Tensor:
    """Channels-last images' luma, (..., 1): 0.2989 R + 0.587 G + 0.114 B for three channels (Keras's weights),
    one channel as it is; differentiable.

    >>> grayscale(Tensor(np.array([[1.0, 1.0, 1.0]]))).numpy().round(4).tolist()
    [[0.9999]]
    """
    channels = x.shape[-1]
    if channels == 1:
        return x
    if channels != 3:
        raise ConfigError(f"grayscale takes RGB images (3 channels) or grayscale ones (1), got images of shape "
                          f"{tuple(x.shape)}; give images whose last axis holds 1 or 3 channels.")
    weights = Tensor(backend.to_device(np.asarray(_LUMA, dtype=x.dtype).reshape(3, 1)))
    return F.matmul(x, weights)


class _ColourLayer(_RandomImageLayer):
    """A random colour change of images in ``value_range``."""

    def __init__(self, value_range: Any, seed: Any, data_format: str | None, name: str | None,
                 kwargs: dict[str, Any]) -> None:
        self.value_range = _value_range(value_range, type(self).__name__)
        super().__init__(seed, data_format, name, kwargs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": list(self.value_range)}


class RandomInvert(_ColourLayer):
    """Images inverted at random in training, Keras's ``layers.RandomInvert``: each image becomes
    ``value_range[1] − x`` (Keras's formula, exact for ranges starting at 0) with a probability drawn for it from
    ``factor`` ((0, f) for a number f ≤ 1, or a pair): with the default 1.0, half the images on average, as Keras's;
    ``factor=(1, 1)`` inverts every one.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.RandomInvert(value_range=(0, 1))
    >>> layer.transform_images(np.full((2, 1, 1, 1), 0.25), {"apply_inversion": [True, False]}).numpy().ravel()
    array([0.75, 0.25], dtype=float32)
    """

    def __init__(self, factor: Any = 1.0, value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "RandomInvert", (0.0, 1.0),
                                   "the probability of inverting each image, 1.0 for every image")
        super().__init__(value_range, seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        probability = generator.uniform(*self.factor, n)
        return {"apply_inversion": generator.uniform(0.0, 1.0, n) < probability}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        return F.where(_per_image_flags(transformation["apply_inversion"]), self.value_range[1] - x, x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor)}


class Solarization(_ColourLayer):
    """Solarization in training, Keras's ``layers.Solarization``: on the (0, 255) scale each image gets an amount
    added (drawn from ``addition_factor``), is clipped to [0, 255], and every value at or above a threshold (drawn
    from ``threshold_factor``) is inverted, 255 − v. Both factors are numbers f in [0, 1], read as (0, f), or pairs;
    as in Keras the draws lie between the lower factor and the upper factor times 255, so with the defaults (0, 0)
    every value is inverted.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.Solarization(value_range=(0, 1), dtype="float64")
    >>> t = {"additions": np.zeros((1, 1, 1, 1)), "thresholds": np.full((1, 1, 1, 1), 127.5)}
    >>> layer.transform_images(np.array([[[[0.2], [0.8]]]]), t).numpy().ravel().round(4).tolist()
    [0.2, 0.2]
    """

    def __init__(self, addition_factor: Any = 0.0, threshold_factor: Any = 0.0, value_range: Any = (0, 255),
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        meaning = "a fraction of 255"
        self.addition_factor = _unit_factor(addition_factor, "addition_factor", "Solarization", (0.0, 1.0), meaning)
        self.threshold_factor = _unit_factor(threshold_factor, "threshold_factor", "Solarization", (0.0, 1.0),
                                             meaning)
        super().__init__(value_range, seed, kwargs.pop("data_format", None), name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        (a0, a1), (t0, t1) = self.addition_factor, self.threshold_factor
        additions = generator.uniform(a0, a1 * 255.0, (n, 1, 1, 1))
        return {"additions": additions, "thresholds": generator.uniform(t0, t1 * 255.0, (n, 1, 1, 1))}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        scaled = F.clip(_rescaled(x, self.value_range, (0.0, 255.0)) + _column(transformation["additions"], x),
                        0.0, 255.0)
        below = scaled.data < _column(transformation["thresholds"], x).data
        solarized = F.where(Tensor(below), scaled, 255.0 - scaled)
        return _rescaled(solarized, (0.0, 255.0), self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "addition_factor": list(self.addition_factor),
                "threshold_factor": list(self.threshold_factor)}


class RandomPosterization(_ColourLayer):
    """Fewer colour levels in training, Keras's ``layers.RandomPosterization``: on the (0, 255) scale, each image's
    values (as whole numbers 0…255) keep only their top b bits, b drawn per image from ``factor`` (a number f in
    [1, 8] gives b = 1…f−1 as Keras's draw does, a pair (low, high) b = low…high−1; equal ends give that b). The
    result is a step function of the input, so no gradient flows through it.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.RandomPosterization(2)
    >>> layer.transform_images(np.array([[[[200.0], [90.0]]]]), {"shift_factor": [7]}).numpy().ravel().tolist()
    [128.0, 0.0]
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        low, high = _unit_factor(factor, "factor", "RandomPosterization", (1.0, 8.0),
                                 "the bits kept of each 8-bit value, whole numbers")
        if low != int(low) or high != int(high):
            raise ConfigError(f"RandomPosterization factor must be a whole number in [1, 8] or a pair of them (the "
                              f"bits kept of each 8-bit value), got {factor!r}; e.g. factor=4.")
        self.factor = int(low), int(high)
        super().__init__(value_range, seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        low, high = (int(v) for v in self.factor)
        bits = np.full(n, low) if low == high else generator.integers(low, high, n)
        return {"shift_factor": (8 - bits).astype(np.uint8)}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        xp = backend.xp()
        shift = backend.to_device(np.asarray(transformation["shift_factor"], dtype=np.uint8).reshape(-1, 1, 1, 1))
        # Keras casts to uint8 (truncating, wrapping outside 0…255) before shifting
        values = _rescaled(Tensor(x.data), self.value_range, (0.0, 255.0)).data
        levels = (values.astype(np.int64) % 256).astype(np.uint8)
        kept = xp.left_shift(xp.right_shift(levels, shift), shift).astype(x.dtype)
        return _rescaled(Tensor(kept), (0.0, 255.0), self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor)}


def _smoothed(x: Tensor) -> Tensor:
    """Each channel blurred by PIL's SMOOTH kernel (1/13 around, 5/13 in the middle), zeros beyond the edges, as
    Keras's RandomSharpness computes it (a depthwise convolution with "same" padding)."""
    from ..keras.ops_image_more import _per_channel

    kernel = np.full((3, 3, 1), 1.0 / 13.0)
    kernel[1, 1, 0] = 5.0 / 13.0
    return F.getitem(_per_channel(x, kernel, "same"), (..., 0))


class RandomSharpness(_ColourLayer):
    """Sharpness changed at random in training, Keras's ``layers.RandomSharpness``: each image moves away from
    (or towards) its blurred copy, ``x + (1 − s)·(blur(x) − x)`` with s = 2·f, f drawn per image from ``factor``
    ((0, f) for a number in [0, 1]; f = ½ leaves the image as it is, below blurs, above sharpens), clipped to
    ``value_range``. Differentiable.

    >>> import fnlearn as fl, numpy as np
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> same = fl.layers.RandomSharpness(0.5).transform_images(x, {"factor": [0.5]})
    >>> np.array_equal(same.numpy(), x)
    True
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "RandomSharpness", (0.0, 1.0),
                                   "½ keeps the sharpness, less blurs, more sharpens")
        super().__init__(value_range, seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        return {"factor": generator.uniform(*self.factor, n)}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        keep = 1.0 - 2.0 * _per_image(transformation["factor"], x.shape[0])
        moved = x + _column(keep, x) * (_smoothed(x) - x)
        return F.clip(moved, *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor)}


class RandomColorDegeneration(_ColourLayer):
    """Colour washed out (or strengthened) at random in training, Keras's ``layers.RandomColorDegeneration``: each
    image moves towards its grayscale copy, ``x + f·(gray(x) − x)``, f drawn per image from ``factor`` ((−f, f) for
    a number in [0, 1], or a pair), clipped to ``value_range``. RGB images (or one channel, which stays as it is).
    Differentiable.

    >>> import fnlearn as fl, numpy as np
    >>> x = np.array([[[[255.0, 0.0, 0.0]]]])
    >>> gray = fl.layers.RandomColorDegeneration(1.0, dtype="float64").transform_images(x, {"factor": [1.0]})
    >>> gray.numpy().round(1).tolist()
    [[[[76.2, 76.2, 76.2]]]]
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "RandomColorDegeneration", (-1.0, 1.0),
                                   "1 turns an image gray, 0 keeps it")
        super().__init__(value_range, seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        return {"factor": generator.uniform(*self.factor, (n, 1, 1, 1))}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        return F.clip(x + _column(transformation["factor"], x) * (grayscale(x) - x), *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor)}


class RandomGrayscale(_RandomImageLayer):
    """Images turned gray at random in training, Keras's ``layers.RandomGrayscale``: each image with probability
    ``factor`` (½ by default) becomes its luma (0.2989 R + 0.587 G + 0.114 B) in every channel, keeping its
    channels. As in Keras, its transformation is an array of flags, one per image, (batch, 1, 1, 1).

    >>> import fnlearn as fl, numpy as np
    >>> x = np.array([[[[255.0, 0.0, 0.0]]]])
    >>> fl.layers.RandomGrayscale(dtype="float64").transform_images(x, np.array([True])).numpy().round(1).tolist()
    [[[[76.2, 76.2, 76.2]]]]
    """

    def __init__(self, factor: float = 0.5, data_format: str | None = None, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if not _number(factor) or not 0.0 <= factor <= 1.0:
            raise ConfigError(f"RandomGrayscale factor must be a number in [0, 1], the probability of turning each "
                              f"image gray, got {factor!r}.")
        self.factor = float(factor)
        super().__init__(seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> Any:
        return (generator.uniform(0.0, 1.0, n) < self.factor).reshape(n, 1, 1, 1)

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Tensor:
        x = as_input(images, np.dtype(self.dtype), self.name)
        if transformation is None or not training:
            return x
        return F.where(_per_image_flags(transformation), grayscale(x), x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


class AutoContrast(Layer):
    """Every image stretched to the full ``value_range``, Keras's ``layers.AutoContrast``: per image and channel the
    smallest value becomes the range's low end and the largest its high end (on the (0, 255) scale, then back); a
    channel of one value stays as it is. Nothing is drawn: it works alike in training and inference, as Keras's.
    Differentiable (through the smallest and largest values too).

    >>> import fnlearn as fl, numpy as np
    >>> fl.layers.AutoContrast(value_range=(0, 1))(np.array([[[[0.2], [0.6]]]])).numpy().ravel().tolist()
    [0.0, 1.0]
    """

    def __init__(self, value_range: Any = (0, 255), name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("AutoContrast", kwargs, allow=("input_shape", "data_format"))
        self.value_range = _value_range(value_range, "AutoContrast")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(input_shape)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype), self.name)
        if x.ndim == 3:  # one image, as Keras takes it
            return F.reshape(self.forward(F.reshape(x, (1, *x.shape))), x.shape)
        if x.ndim != 4:
            raise ConfigError(f"AutoContrast layer {self.name!r} takes images (batch, height, width, channels) or one "
                              f"image, got shape {tuple(x.shape)}; add a channels axis to grayscale images.")
        scaled = _rescaled(x, self.value_range, (0.0, 255.0))
        low, high = F.min(scaled, axis=(1, 2), keepdims=True), F.max(scaled, axis=(1, 2), keepdims=True)
        flat = (high.data - low.data) == 0  # Keras's 0/0 gives NaN there, which it replaces by the input
        span = F.where(Tensor(flat), 1.0, high - low)
        stretched = F.clip((scaled - low) * (255.0 / span), 0.0, 255.0)
        return F.where(Tensor(backend.xp().broadcast_to(flat, x.shape)), x,
                       _rescaled(stretched, (0.0, 255.0), self.value_range))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": list(self.value_range)}


class _MixingLayer(_RandomImageLayer):
    """An augmentation that mixes each image with another of the batch (a permutation of it): called on images, or,
    as Keras's are in a data pipeline, on a dict ``{"images": …, "labels": …}`` whose one-hot labels are mixed in the
    same proportions (``ds.map(lambda x, y: layer({"images": x, "labels": y}, training=True))``)."""

    def forward(self, x: Any) -> Any:
        if not isinstance(x, dict):
            return super().forward(x)
        unknown = sorted(set(x) - {"images", "labels"})
        if "images" not in x or unknown:
            raise ConfigError(f"{type(self).__name__} layer {self.name!r} takes images, or a dict of 'images' and "
                              f"'labels', got a dict of {sorted(x)}; e.g. layer({{'images': x, 'labels': y}}).")
        images = as_input(x["images"], np.dtype(self.dtype), self.name)
        labels = None if "labels" not in x else self._labels(x["labels"], images.shape[0])
        transformation = self.get_random_transformation(images, training=self.training)
        out = {"images": self.transform_images(images, transformation)}
        if labels is not None:
            out["labels"] = self.transform_labels(labels, transformation)
        return out

    def _labels(self, labels: Any, n: int) -> Tensor:
        y = as_input(labels, np.dtype(self.dtype), self.name)
        if y.ndim != 2 or y.shape[0] != n:
            raise ConfigError(f"{type(self).__name__} layer {self.name!r} mixes one-hot labels, (batch, classes) = "
                              f"({n}, classes), got labels of shape {tuple(y.shape)}; one-hot encode class indices "
                              "first, e.g. keras.utils.to_categorical(y, num_classes).")
        return y

    def transform_labels(self, labels: Any, transformation: dict[str, Any] | None, training: bool = True) -> Tensor:
        """One-hot ``labels`` (batch, classes) mixed as the images were: w·y + (1 − w)·y[permutation]."""
        y = as_input(labels, np.dtype(self.dtype), self.name)
        if transformation is None or not training:
            return y
        order = np.asarray(backend.to_numpy(transformation["permutation_order"]), dtype=np.int64).reshape(-1)
        weight = _per_image(backend.to_numpy(transformation["mix_weight"]), y.shape[0])
        w = Tensor(backend.to_device(weight.reshape(-1, 1).astype(y.dtype)))
        return y * w + F.getitem(y, backend.to_device(order)) * (1.0 - w)


class MixUp(_MixingLayer):
    """MixUp in training (Zhang et al., 2018), Keras's ``layers.MixUp``: each image becomes w·x + (1 − w)·x', x'
    the image a random permutation of the batch puts beside it and w ~ Beta(``alpha``, ``alpha``) drawn per image;
    one-hot labels given with the images, as a dict, are mixed alike. Differentiable.

    >>> import fnlearn as fl, numpy as np
    >>> t = {"mix_weight": np.array([0.75, 0.5]), "permutation_order": np.array([1, 0])}
    >>> fl.layers.MixUp().transform_images(np.array([0.0, 4.0]).reshape(2, 1, 1, 1), t).numpy().ravel().tolist()
    [1.0, 2.0]
    """

    def __init__(self, alpha: float = 0.2, data_format: str | None = None, seed: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if not _number(alpha) or alpha <= 0:
            raise ConfigError(f"MixUp alpha must be a number > 0, the Beta(alpha, alpha) distribution of the mixing "
                              f"weights (small: mostly one image), got {alpha!r}; e.g. alpha=0.2.")
        self.alpha = float(alpha)
        super().__init__(seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        return {"mix_weight": generator.beta(self.alpha, self.alpha, n), "permutation_order": generator.permutation(n)}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        order = backend.to_device(np.asarray(transformation["permutation_order"], dtype=np.int64).reshape(-1))
        w = _column(transformation["mix_weight"], x)
        return x * w + F.getitem(x, order) * (1.0 - w)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(_MixingLayer):
    """CutMix in training (Yun et al., 2019), Keras's ``layers.CutMix``: in each image a box is replaced by the same
    box of the image a random permutation of the batch puts beside it; the box covers a share 1 − w of the image,
    w ~ Beta(a, a) per image with a drawn once per batch from ``factor`` ((0, f) for a number f in [0, 1]), at a
    uniformly drawn place. One-hot labels given with the images, as a dict, are mixed by the share each image keeps.
    A lone image (no batch) passes as it is, as Keras's.

    >>> import fnlearn as fl, numpy as np
    >>> mask = np.zeros((2, 1, 2, 1), dtype=bool); mask[:, :, 1] = True     # the right half of each image
    >>> t = {"permutation_order": np.array([1, 0]), "batch_masks": mask, "mix_weight": np.array([0.5, 0.5])}
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 1, 2, 1)
    >>> fl.layers.CutMix().transform_images(x, t).numpy().ravel().tolist()
    [1.0, 4.0, 3.0, 2.0]
    """

    def __init__(self, factor: Any = 1.0, seed: int | None = None, data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "CutMix", (0.0, 1.0),
                                   "the range of the Beta distribution's parameter")
        super().__init__(seed, data_format, name, kwargs)

    def forward(self, x: Any) -> Any:
        shape = np.shape(x) if not hasattr(x, "shape") else x.shape
        if not isinstance(x, dict) and len(shape) == 3:  # one image: nothing to mix it with
            return as_input(x, np.dtype(self.dtype), self.name)
        return super().forward(x)

    def get_random_transformation(self, images: Any, training: bool = True) -> dict[str, np.ndarray] | None:
        transformation = super().get_random_transformation(images, training)
        if transformation is not None:  # one flag per value, as Keras's masks are
            channels = (images.shape if hasattr(images, "shape") else np.shape(images))[-1]
            transformation["batch_masks"] = np.repeat(transformation["batch_masks"], channels, axis=-1)
        return transformation

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        a = generator.uniform(*self.factor) + 1e-6
        ratio = np.sqrt(1.0 - generator.beta(a, a, n))
        boxes = []
        for length in (width, height):
            start = generator.uniform(0.0, 1.0, n) * (length - ratio * length)
            boxes.append((start, start + ratio * length))
        (x0, x1), (y0, y1) = boxes
        rows, cols = np.arange(height)[None, :, None, None], np.arange(width)[None, None, :, None]
        inside = ((cols >= x0[:, None, None, None]) & (cols < x1[:, None, None, None])
                  & (rows >= y0[:, None, None, None]) & (rows < y1[:, None, None, None]))
        return {"permutation_order": generator.permutation(n), "batch_masks": inside,
                "mix_weight": 1.0 - (x1 - x0) * (y1 - y0) / (width * height)}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        order = backend.to_device(np.asarray(transformation["permutation_order"], dtype=np.int64).reshape(-1))
        masks = np.asarray(transformation["batch_masks"], dtype=bool)
        return F.where(Tensor(backend.to_device(masks)), F.getitem(x, order), x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor)}


AUGMENT: dict[str, type[Layer]] = {"RandomInvert": RandomInvert, "Solarization": Solarization,
                                   "RandomPosterization": RandomPosterization, "RandomSharpness": RandomSharpness,
                                   "RandomColorDegeneration": RandomColorDegeneration,
                                   "RandomGrayscale": RandomGrayscale, "AutoContrast": AutoContrast,
                                   "MixUp": MixUp, "CutMix": CutMix}
LAYERS.update(AUGMENT)  # the classes a model file may name

__all__ = [*AUGMENT, "grayscale"]
