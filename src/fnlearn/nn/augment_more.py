"""More augmentations of Keras 3 for images (batch, height, width, channels): the colour changes through HSV,
``RandomSaturation`` and ``RandomHue``, and ``RandomColorJitter``, which chains ``RandomBrightness``,
``RandomContrast`` and those two; ``RandomGaussianBlur``; ``RandomErasing``, which fills a box of each image with
noise or a colour; the geometric ``RandomShear`` and ``RandomPerspective``; and ``Equalization``, which spreads each
channel's histogram.

Each works as the augmentations of :mod:`.augment` do: in training every image gets a change drawn for it from
the layer's seeded stream (``Equalization`` draws nothing); in inference the images pass as they are. Keras's two
steps are there, ``get_random_transformation`` (under Keras's names and in its units, so a transform drawn by
Keras's own layer can be given) and ``transform_images``; the same transform gives Keras's pixels.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> x = np.array([[[[255.0, 0.0, 0.0]]]])                        # one red pixel
    >>> hue = fl.layers.RandomHue(1.0, dtype="float64")
    >>> hue.transform_images(x, {"factor": np.array([1 / 3])}).numpy().round(4).ravel().tolist()   # a third on
    [0.0, 255.0, 0.0]
    >>> fl.layers.RandomSaturation(0.5)(x, training=False).numpy().ravel().tolist()  # inference: as it is
    [255.0, 0.0, 0.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError
from ..tensor import Tensor
from .augment import _ColourLayer, _column, _rescaled, _unit_factor
from .conv import _channels_last, _image_shape
from .crop import RandomBrightness
from .image import (
    _INTERPOLATIONS,
    RandomContrast,
    _affine,
    _AffineLayer,
    _choice,
    _factor,
    _fill_value,
    _number,
    _per_image_flags,
    _plain,
    _RandomImageLayer,
    _value_range,
)
from .layers import LAYERS, Layer, _reject_unknown_kwargs, as_input


def _rgb(layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape of a layer that works in HSV, refusing images without three channels before any draw."""
    shape = _image_shape(shape, f"{type(layer).__name__} layer {layer.name!r}", sizes=False)
    if shape[-1] is not None and shape[-1] != 3:
        raise ConfigError(f"{type(layer).__name__} layer {layer.name!r} takes RGB images (3 channels), got images "
                          f"of shape {tuple(shape)}; give colour images with their channels last.")
    return tuple(shape)


def _hsv_planes(x: Tensor) -> list[Tensor]:
    from ..keras.ops_image_more import rgb_to_hsv

    hsv = rgb_to_hsv(x)
    return [F.getitem(hsv, (..., k)) for k in range(3)]


def _rgb_of(planes: list[Tensor]) -> Tensor:
    from ..keras.ops_image_more import hsv_to_rgb

    return hsv_to_rgb(F.stack(planes, axis=-1))


def _plane_column(values: Any, x: Tensor) -> Tensor:
    """One number per image as a (batch, 1, 1) constant, for a single channel plane (batch, height, width)."""
    return F.reshape(_column(values, x), (-1, 1, 1))


class RandomSaturation(_ColourLayer):
    """Saturation changed at random in training, Keras's ``layers.RandomSaturation``: in HSV each image's
    saturation is multiplied by f / (1 − f), f drawn per image from ``factor``, and clipped to ``value_range``
    (Keras clips the saturation, not the pixels: with (0, 255) it may pass 1). As Keras 3 reads ``factor``, a
    number f in [−1, 1] is (−|f|, |f|) and a pair is sorted; f = ½ keeps the image, 0 turns it gray, 1 saturates it
    fully, and a negative f (half the draws of a number) turns the image gray as 0 does. RGB images; differentiable.

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.RandomSaturation((0.0, 0.0), dtype="float64")
    >>> layer(np.array([[[[200.0, 100.0, 0.0]]]]), training=True).numpy().ravel().tolist()   # f = 0: gray
    [200.0, 200.0, 200.0]
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "RandomSaturation", (-1.0, 1.0),
                                   "½ keeps the saturation, 0 turns the image gray, 1 saturates it")
        super().__init__(value_range, seed, data_format, name, kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _rgb(self, input_shape)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        f = generator.uniform(*self.factor, n)
        return {"factor": f / (1.0 - f + backend.epsilon())}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        hue, saturation, value = _hsv_planes(x)
        saturation = F.clip(saturation * _plane_column(transformation["factor"], x), *self.value_range)
        return _rgb_of([hue, saturation, value])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor)}


class RandomHue(_ColourLayer):
    """Hue turned at random in training, Keras's ``layers.RandomHue``: each image (moved to [0, 1] from
    ``value_range``) turns round the colour circle by ±f/2 of a turn in HSV, f drawn per image from ``factor`` ((0,
    f) for a number f in [0, 1], or a pair) and the sign with even odds; back in RGB it is clipped to [0, 1] and
    moved back to ``value_range``. RGB images; differentiable (but where the hue wraps round).

    >>> import fnlearn as fl, numpy as np
    >>> layer = fl.layers.RandomHue(1.0, value_range=(0, 1), dtype="float64")
    >>> layer.transform_images(np.array([[[[0.0, 0.0, 1.0]]]]), {"factor": [-1 / 3]}).numpy().ravel().round(4)
    array([0., 1., 0.])
    """

    def __init__(self, factor: Any, value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "RandomHue", (0.0, 1.0),
                                   "twice the largest turn of the hue, 1 for up to half a turn either way")
        super().__init__(value_range, seed, data_format, name, kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _rgb(self, input_shape)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        sign = np.where(generator.uniform(0.0, 1.0, n) > 0.5, -1.0, 1.0)
        return {"factor": sign * generator.uniform(*self.factor, n) * 0.5}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        hue, saturation, value = _hsv_planes(_rescaled(x, self.value_range, (0.0, 1.0)))
        hue = hue + _plane_column(transformation["factor"], x)
        # one turn at most either way, as Keras wraps it (not a modulo: a hue of exactly 1 stays 1)
        hue = F.where(Tensor(hue.data > 1.0), hue - 1.0, hue)
        hue = F.where(Tensor(hue.data < 0.0), hue + 1.0, hue)
        return _rescaled(F.clip(_rgb_of([hue, saturation, value]), 0.0, 1.0), (0.0, 1.0), self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor)}


class RandomColorJitter(_RandomImageLayer):
    """Brightness, contrast, saturation and hue changed at random in training, in that order, Keras's
    ``layers.RandomColorJitter``: each factor given (None leaves that change out) makes the layer of that name,
    ``RandomBrightness``, ``RandomContrast``, ``RandomSaturation`` or ``RandomHue``, with ``value_range``, and every
    image goes through each in turn. Its transformation is a dict of theirs, under the keys ``"brightness"``,
    ``"contrast"``, ``"saturation"`` and ``"hue"`` (Keras's layer draws them inside ``transform_images``; given
    None in training, this one does too). RGB images where saturation or hue is asked for; differentiable.

    >>> import fnlearn as fl, numpy as np
    >>> jitter = fl.layers.RandomColorJitter(value_range=(0, 1), brightness_factor=0.2, dtype="float64")
    >>> jitter.transform_images(np.full((1, 1, 1, 3), 0.5), {"brightness": {"rgb_delta": [0.1]}}).numpy().ravel()
    array([0.6, 0.6, 0.6])
    """

    def __init__(self, value_range: Any = (0, 255), brightness_factor: Any = None, contrast_factor: Any = None,
                 saturation_factor: Any = None, hue_factor: Any = None, seed: int | None = None,
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        _value_range(value_range, "RandomColorJitter")
        dtype = kwargs.get("dtype")
        kinds = (("brightness", RandomBrightness, brightness_factor), ("contrast", RandomContrast, contrast_factor),
                 ("saturation", RandomSaturation, saturation_factor), ("hue", RandomHue, hue_factor))
        # a plain dict, so that the parts are no modules of the layer: the layer draws their transforms itself
        self._parts: dict[str, _RandomImageLayer] = {}
        for key, kind, factor in kinds:
            if factor is None:
                continue
            try:
                self._parts[key] = kind(factor, value_range=value_range, dtype=dtype)
            except ConfigError as error:
                raise ConfigError(f"RandomColorJitter {key}_factor goes to the {kind.__name__} it makes, and "
                                  f"{error}") from None
        self.value_range = _plain(value_range)
        self.brightness_factor, self.contrast_factor = _plain(brightness_factor), _plain(contrast_factor)
        self.saturation_factor, self.hue_factor = _plain(saturation_factor), _plain(hue_factor)
        super().__init__(seed, data_format, name, kwargs)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        for part in self._parts.values():
            part.compute_output_shape(input_shape)
        return super().compute_output_shape(input_shape)

    def forward(self, x: Any) -> Tensor:
        if not self.training:  # transform_images draws when given no transformation: not in inference
            return as_input(x, np.dtype(self.dtype), self.name)
        return super().forward(x)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, Any]:
        return {key: part._draw(generator, n, height, width) for key, part in self._parts.items()}

    def transform_images(self, images: Any, transformation: dict[str, Any] | None,
                         training: bool = True) -> Tensor:
        x = as_input(images, np.dtype(self.dtype), self.name)
        if not training:
            return x
        if transformation is None:
            transformation = self.get_random_transformation(x)
        for key, part in self._parts.items():
            if key in transformation:
                x = part._apply(x, {k: np.asarray(backend.to_numpy(v)) for k, v in transformation[key].items()
                                    if not np.isscalar(v)})
        return x

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": self.value_range, "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor, "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor}


def _odd_sizes(value: Any) -> tuple[int, int] | None:
    items = (value, value) if _number(value) else value
    if isinstance(items, (tuple, list)) and len(items) == 2 and all(
            _number(v) and float(v).is_integer() and v >= 1 and int(v) % 2 == 1 for v in items):
        return int(items[0]), int(items[1])
    return None


class RandomGaussianBlur(_ColourLayer):
    """Images blurred at random in training, Keras's ``layers.RandomGaussianBlur``: each image with a probability
    drawn for it from ``factor`` ((0, f) for a number f in [0, 1], or a pair; the default 1.0 blurs half the images
    on average) is blurred by :func:`fnlearn.keras.ops.image.gaussian_blur` with ``kernel_size`` taps (an odd
    number, or a pair (width, height) of them) and standard deviations drawn once per call from ``sigma`` ((0, s)
    for a number s in [0, 1], or a pair of numbers ≥ 0), then every image is clipped to ``value_range``.
    Differentiable.

    >>> import fnlearn as fl, numpy as np
    >>> x = np.zeros((1, 1, 3, 1)); x[0, 0, 1, 0] = 100.0
    >>> t = {"should_apply_blur": np.array([True]), "blur_factor": np.array([1.0, 1.0])}
    >>> blur = fl.layers.RandomGaussianBlur(kernel_size=(3, 1), dtype="float64")   # along the rows only
    >>> blur.transform_images(x, t).numpy().ravel().round(2).tolist()
    [27.41, 45.19, 27.41]
    """

    def __init__(self, factor: Any = 1.0, kernel_size: Any = 3, sigma: Any = 1.0, value_range: Any = (0, 255),
                 data_format: str | None = None, seed: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "RandomGaussianBlur", (0.0, 1.0),
                                   "the probability of blurring each image")
        sizes = _odd_sizes(kernel_size)
        if sizes is None:
            raise ConfigError(f"RandomGaussianBlur kernel_size must be an odd whole number ≥ 1 or a pair (width, "
                              f"height) of them, got {kernel_size!r}; e.g. kernel_size=3.")
        self.kernel_size = sizes
        self.sigma = self._sigma(sigma)
        super().__init__(value_range, seed, data_format, name, kwargs)

    @staticmethod
    def _sigma(sigma: Any) -> tuple[float, float]:
        if _number(sigma) and 0.0 <= sigma <= 1.0:
            return 0.0, float(sigma)
        if isinstance(sigma, (tuple, list)) and len(sigma) == 2 and all(_number(v) and v >= 0 for v in sigma) \
                and min(sigma) <= 1.0:
            low, high = sorted(float(v) for v in sigma)
            return low, high
        raise ConfigError(f"RandomGaussianBlur sigma must be a number in [0, 1] (read as (0, sigma)) or a pair "
                          f"(lower, upper) of numbers ≥ 0 with lower ≤ 1 (the blur's standard deviations in pixels), "
                          f"got {sigma!r}; e.g. sigma=(0.1, 2.0).")

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        probability = generator.uniform(*self.factor, n)
        should = generator.uniform(0.0, 1.0, n) < probability
        # one pair of deviations for the whole call, as Keras draws it; the 1e-6 keeps them above zero
        return {"should_apply_blur": should, "blur_factor": generator.uniform(*self.sigma, 2) + 1e-6}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        from ..keras.ops_image_more import gaussian_blur

        sigma = tuple(float(v) for v in np.asarray(transformation["blur_factor"], dtype=np.float64).reshape(2))
        blurred = gaussian_blur(x, self.kernel_size, sigma)
        return F.clip(F.where(_per_image_flags(transformation["should_apply_blur"]), blurred, x), *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor), "kernel_size": list(self.kernel_size),
                "sigma": list(self.sigma)}


class RandomErasing(_ColourLayer):
    """A box of each image erased at random in training, Keras's ``layers.RandomErasing`` (Zhong et al., 2017):
    with a probability drawn per image from ``factor`` ((0, f) for a number f in [0, 1], or a pair; the default 1.0
    erases half the images on average), a box whose sides are √s of the image's width and height (s drawn for each
    side from ``scale``, a pair of shares in [0, 1], or (0, s) for one number), at a uniformly drawn place, is
    replaced by ``fill_value``: a number, or three (one per channel), or None, the default, for noise
    N(0, 1)·``value_range[1]``; the fill is clipped to ``value_range``. Differentiable (the kept pixels' gradient).

    >>> import fnlearn as fl, numpy as np
    >>> mask = np.zeros((1, 1, 3, 1), dtype=bool); mask[0, 0, 1] = True
    >>> t = {"apply_erasing": np.array([True]), "batch_masks": mask, "fill_value": np.zeros((1, 1, 3, 1))}
    >>> fl.layers.RandomErasing().transform_images(np.ones((1, 1, 3, 1)), t).numpy().ravel().tolist()
    [1.0, 0.0, 1.0]
    """

    def __init__(self, factor: Any = 1.0, scale: Any = (0.02, 0.33), fill_value: Any = None,
                 value_range: Any = (0, 255), seed: int | None = None, data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "RandomErasing", (0.0, 1.0),
                                   "the probability of erasing a box of each image")
        self.scale = _unit_factor(scale, "scale", "RandomErasing", (0.0, 1.0), "the box's share of each side, squared")
        if fill_value is not None and not _number(fill_value) and not (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3 and all(map(_number, fill_value))):
            raise ConfigError(f"RandomErasing fill_value must be None (noise), a number or three numbers (one per "
                              f"channel), got {fill_value!r}; e.g. fill_value=0.")
        self.fill_value = _plain(fill_value)
        super().__init__(value_range, seed, data_format, name, kwargs)

    def get_random_transformation(self, images: Any, training: bool = True) -> dict[str, np.ndarray] | None:
        if not training:
            return None
        shape = tuple(int(s) for s in (images.shape if hasattr(images, "shape") else np.shape(images)))
        self.compute_output_shape(shape[1:])
        if isinstance(self.fill_value, list) and shape[-1] != 3:
            raise ConfigError(f"RandomErasing layer {self.name!r} has one fill value per channel, three, but got "
                              f"images of shape {shape}; give RGB images or one fill_value.")
        generator = self._generator()
        transformation = self._draw(generator, *shape[:3])
        # one flag per value, as Keras's masks are, and the fill drawn for every value
        transformation["batch_masks"] = np.repeat(transformation["batch_masks"], shape[-1], axis=-1)
        if self.fill_value is None:
            fill = generator.standard_normal(shape) * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, dtype=np.float64), shape)
        transformation["fill_value"] = np.clip(fill, *self.value_range)
        return transformation

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        sides = np.sqrt(generator.uniform(*self.scale, (n, 2)))  # (width, height) shares
        bounds = []
        for share, length in ((sides[:, 0], width), (sides[:, 1], height)):
            start = generator.uniform(0.0, 1.0, n) * (length - share * length)
            bounds.append((start, start + share * length))
        (x0, x1), (y0, y1) = bounds
        rows, cols = np.arange(height)[None, :, None, None], np.arange(width)[None, None, :, None]
        x0, x1, y0, y1 = (v[:, None, None, None] for v in (x0, x1, y0, y1))
        inside = (cols >= x0) & (cols < x1) & (rows >= y0) & (rows < y1)
        probability = generator.uniform(*self.factor, n)
        return {"apply_erasing": generator.uniform(0.0, 1.0, n) < probability, "batch_masks": inside}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        masks = np.broadcast_to(np.asarray(transformation["batch_masks"], dtype=bool), x.shape)
        fill = Tensor(backend.to_device(np.broadcast_to(transformation["fill_value"], x.shape).astype(x.dtype)))
        erased = F.where(Tensor(backend.to_device(np.ascontiguousarray(masks))), fill, x)
        return F.where(_per_image_flags(transformation["apply_erasing"]), erased, x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "fill_value": self.fill_value}


class RandomShear(_AffineLayer):
    """Images sheared at random in training, Keras's ``layers.RandomShear``: output pixel (x, y) reads the input at
    (x + sₓ·y, y + s_y·x), sₓ drawn per image from ``x_factor`` and s_y from ``y_factor`` (a number f in [0, 1] is
    (−f, f), a pair (lower, upper) is that range), both negated for half the images, as Keras draws them; the shear
    is about the top-left corner, as Keras's. Points outside the image read ``fill_mode``'s pixels. The factors stay
    in the config as given (Keras's config holds its reading, (−f, f), which Keras refuses when it loads a file).
    Differentiable with respect to the images.

    >>> import fnlearn as fl, numpy as np
    >>> shear = fl.layers.RandomShear(x_factor=1.0, fill_mode="constant", interpolation="nearest")
    >>> x = np.arange(1.0, 5.0).reshape(1, 2, 2, 1)
    >>> shear.transform_images(x, {"shear_factor": np.array([[1.0, 0.0]])}).numpy()[0, :, :, 0].tolist()
    [[1.0, 2.0], [4.0, 0.0]]
    """

    def __init__(self, x_factor: Any = 0.0, y_factor: Any = 0.0, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0, data_format: str | None = None,
                 seed: int | None = None, name: str | None = None, **kwargs: Any) -> None:
        meaning = "the shear: 0.3 moves a pixel by up to 0.3 of its distance from the edge"
        # pairs with a negative end are taken too: Keras's own files hold a number f as (−f, f)
        self._x = _factor(x_factor, "x_factor", "RandomShear", (-1.0, 1.0), meaning)
        self._y = _factor(y_factor, "y_factor", "RandomShear", (-1.0, 1.0), meaning)
        # kept as given, which Keras reads back (its own reading, (−f, f), it refuses when loading)
        self.x_factor, self.y_factor = _plain(x_factor), _plain(y_factor)
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        sign = np.where(generator.uniform(0.0, 1.0, (n, 1)) > 0.5, -1.0, 1.0)
        shear_y = generator.uniform(*self._y, (n, 1))
        shear_x = generator.uniform(*self._x, (n, 1))
        return {"shear_factor": np.concatenate([shear_x, shear_y], axis=1) * sign}

    def _matrices(self, transformation: dict[str, np.ndarray], n: int, height: int, width: int) -> np.ndarray:
        shears = np.asarray(transformation["shear_factor"], dtype=np.float64).reshape(n, 2)
        return _affine(1.0, shears[:, 0], 0.0, shears[:, 1], 1.0, 0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}


class RandomPerspective(_RandomImageLayer):
    """Images warped in perspective at random in training, Keras's ``layers.RandomPerspective``: with a probability
    drawn per image from ``factor`` ((0, f) for a number f in [0, 1], or a pair; the default 1.0 warps half the
    images on average), each corner (x, y) of the image moves to (x, y)·(1 + d), the two numbers d drawn per corner
    from (−``scale``/2, ``scale``/2), and the image follows
    (:func:`fnlearn.keras.ops.image.perspective_transform`, points outside filled with ``fill_value``).
    Differentiable with respect to the images.

    >>> import fnlearn as fl, numpy as np
    >>> corners = np.array([[[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [2.0, 1.0]]])
    >>> t = {"apply_perspective": [True], "start_points": corners, "end_points": corners + [1.0, 0.0]}
    >>> x = np.tile(np.arange(1.0, 4.0), 2).reshape(1, 2, 3, 1)
    >>> fl.layers.RandomPerspective().transform_images(x, t).numpy()[0, :, :, 0].round(4).tolist()  # one to the right
    [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    """

    def __init__(self, factor: Any = 1.0, scale: float = 1.0, interpolation: str = "bilinear",
                 fill_value: float = 0.0, seed: int | None = None, data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        self.factor = _unit_factor(factor, "factor", "RandomPerspective", (0.0, 1.0),
                                   "the probability of warping each image")
        if not _number(scale) or not 0.0 <= scale <= 1.0:
            raise ConfigError(f"RandomPerspective scale must be a number in [0, 1], how far the corners may move "
                              f"(a share of their coordinates, half of it either way), got {scale!r}.")
        self.scale = float(scale)
        self.interpolation = _choice(interpolation, "interpolation", "RandomPerspective", _INTERPOLATIONS)
        self.fill_value = _fill_value(fill_value, "RandomPerspective")
        super().__init__(seed, data_format, name, kwargs)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        probability = generator.uniform(*self.factor, n)
        apply = generator.uniform(0.0, 1.0, n) < probability
        moves = generator.uniform(-0.5 * self.scale, 0.5 * self.scale, (n, 4, 2))
        corners = np.array([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]])
        start = np.repeat(corners[None], n, axis=0)
        return {"apply_perspective": apply, "start_points": start, "end_points": start + start * moves}

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        from ..keras.ops_image_more import perspective_transform

        # the points in the images' dtype, as Keras's are, for its float32 solve to see the same numbers
        start, end = (np.asarray(transformation[k]).astype(x.dtype) for k in ("start_points", "end_points"))
        warped = perspective_transform(x, start, end, self.interpolation, self.fill_value)
        return F.where(_per_image_flags(transformation["apply_perspective"]), warped, x)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor), "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class Equalization(Layer):
    """Histogram equalization in training, Keras's ``layers.Equalization``: each channel's values (on the (0, 255)
    scale, from ``value_range``) fall into ``bins`` bins, over the whole batch together as Keras counts them, and
    each value becomes its bin's place in the cumulative histogram, stretched to 0…255 and rounded; a channel whose
    values all fall in one bin stays as it is. It draws nothing; as Keras's, it works when called on its own or in
    training and passes the images as they are in inference. The result is a step function of the input, so no
    gradient flows through it.

    >>> import fnlearn as fl, numpy as np
    >>> x = np.array([[[[10.0], [20.0], [20.0], [200.0]]]])
    >>> fl.layers.Equalization()(x).numpy().ravel().tolist()
    [0.0, 170.0, 170.0, 255.0]
    """

    trains_when_called = True  # Keras's call(training=True): on its own it equalizes, in predict() it does not

    def __init__(self, value_range: Any = (0, 255), bins: int = 256, data_format: str | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        _reject_unknown_kwargs("Equalization", kwargs, allow=("input_shape",))
        _channels_last(data_format, "Equalization")
        self.value_range = _value_range(value_range, "Equalization")
        if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 1:
            raise ConfigError(f"Equalization bins must be a whole number ≥ 1, the histogram's bins over 0…255, got "
                              f"{bins!r}; e.g. bins=256.")
        self.bins = int(bins)
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _image_shape(input_shape, f"Equalization layer {self.name!r}", sizes=False)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype), self.name)
        if x.ndim == 3:  # one image, as Keras takes it
            return F.reshape(self.forward(F.reshape(x, (1, *x.shape))), x.shape)
        self.compute_output_shape(x.shape[1:])
        return self.transform_images(x, None, training=self.training)

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Tensor:
        """``images`` equalized (Keras's ``transform_images``; there is nothing to draw, so ``transformation`` is
        None), or as they are when not ``training``."""
        x = as_input(images, np.dtype(self.dtype), self.name)
        if not training:
            return x
        values = backend.to_numpy(x.data)
        out = np.stack([self._equalized(values[..., k]) for k in range(values.shape[-1])], axis=-1)
        return Tensor(backend.to_device(out.astype(x.dtype)))

    def _equalized(self, channel: np.ndarray) -> np.ndarray:
        dtype = channel.dtype.type
        low, high = self.value_range
        scale = 255.0 / (high - low)
        scaled = channel * dtype(scale) + dtype(0.0 - low * scale)  # Keras's steps, in the images' dtype
        bins = self.bins
        indices = np.clip((scaled * dtype(bins - 1) / dtype(255.0)).astype(np.int32), 0, bins - 1)
        histogram = np.bincount(indices.ravel(), minlength=bins)
        if np.count_nonzero(histogram) <= 1:
            equalized = scaled
        else:
            cdf = np.cumsum(histogram)
            first = cdf[np.nonzero(cdf)[0][0]]
            denominator = (cdf[-1] - first) or 1
            table = np.clip(np.round((cdf - first).astype(dtype) * dtype(255) / dtype(denominator)), 0, 255)
            at = np.clip(scaled / dtype(255.0) * dtype(bins - 1), 0, bins - 1).astype(np.int32)
            equalized = table.astype(dtype)[at]
        back = dtype((high - low) / 255.0)
        return equalized * back + dtype(low)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": list(self.value_range), "bins": self.bins}


AUGMENT_MORE: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (RandomSaturation, RandomHue, RandomColorJitter, RandomGaussianBlur, RandomErasing,
                                  RandomShear, RandomPerspective, Equalization)}
LAYERS.update(AUGMENT_MORE)  # the classes a model file may name

__all__ = list(AUGMENT_MORE)
