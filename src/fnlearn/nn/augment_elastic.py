"""The last of Keras 3's image augmentations: ``RandomElasticTransform``, which deforms each image as if it were
drawn on rubber, and ``ContrastLimitedAdaptiveHistogramEqualization`` (CLAHE), which equalizes the histogram of
each tile of an image, its gain limited, blending the tiles' mappings.

``RandomElasticTransform`` works as the augmentations of :mod:`.augment` do: in training every image may be deformed
by a draw from the layer's seeded stream; in inference the images pass as they are. CLAHE draws nothing and works
in training and inference alike, as Keras's does.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3))
    >>> elastic = fl.layers.RandomElasticTransform(seed=0)
    >>> elastic(x, training=True).shape, bool(np.array_equal(elastic(x, training=False).numpy(), x.astype("float32")))
    ((2, 8, 8, 3), True)
    >>> fl.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))(x).shape
    (2, 8, 8, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import functional as F
from ..errors import ConfigError
from ..tensor import Tensor
from .augment import _unit_factor
from .conv import _channels_last, _image_shape, _pair
from .image import (
    _INTERPOLATIONS,
    _choice,
    _fill_value,
    _number,
    _per_image_flags,
    _RandomImageLayer,
    _value_range,
)
from .layers import LAYERS, Layer, _reject_unknown_kwargs, as_input


class RandomElasticTransform(_RandomImageLayer):
    """Images deformed elastically at random in training, Keras's ``layers.RandomElasticTransform``: each image with
    a probability drawn for it from ``factor`` ((0, f) for a number f in [0, 1], or a pair; the default 1.0 deforms
    half the images on average) goes through :func:`fnlearn.keras.ops.image.elastic_transform` with alpha = s·10%
    of the image's larger side and sigma = s·5% of its smaller one, s drawn once per call from ``scale`` ((0, s)
    for a number, or a pair); then every image is clipped to ``value_range``. ``interpolation`` "bilinear" or
    "nearest"; points outside the image per ``fill_mode`` ("reflect", "mirror", "wrap", "nearest" or "constant",
    ``fill_value``). Its transformation holds Keras's ``apply_transform`` and ``distortion_factor`` and the standard
    normal draws the displacements are made of, ``noise`` (2, batch, height, width); Keras's holds a seed of its
    backend's generator instead, which fnlearn's is not, so given one without ``noise`` the layer draws the noise
    from its own stream. Differentiable with respect to the images.

    >>> import fnlearn as fl, numpy as np
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> noise = np.zeros((2, 1, 4, 4)); noise[0] = 1.0   # each pixel reads 0.4·(0.05·4) of a pixel to its right
    >>> t = {"apply_transform": [True], "distortion_factor": 1.0, "noise": noise}
    >>> layer = fl.layers.RandomElasticTransform(fill_mode="nearest", dtype="float64")
    >>> layer.transform_images(x, t).numpy()[0, :, :, 0].round(3).tolist()[0]
    [0.08, 1.08, 2.08, 3.0]
    """

    def __init__(self, factor: Any = 1.0, scale: Any = 1.0, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0, value_range: Any = (0, 255),
                 seed: int | None = None, data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        from ..keras.ops_image_more import _MAP_FILL_MODES

        owner = "RandomElasticTransform"
        self.factor = _unit_factor(factor, "factor", owner, (0.0, 1.0), "the probability of deforming each image")
        self.scale = _unit_factor(scale, "scale", owner, (0.0, 1.0),
                                  "the deformation's strength: 1 moves pixels by up to about a tenth of the image")
        self.interpolation = _choice(interpolation, "interpolation", owner, _INTERPOLATIONS)
        self.fill_mode = _choice(fill_mode, "fill_mode", owner, _MAP_FILL_MODES)
        self.fill_value = _fill_value(fill_value, owner)
        self.value_range = _value_range(value_range, owner)
        super().__init__(seed, data_format, name, kwargs)

    def get_random_transformation(self, images: Any, training: bool = True) -> dict[str, np.ndarray] | None:
        if self.scale[1] == 0 or self.factor[1] == 0:
            return None  # Keras draws nothing then, and its images pass unclipped
        return super().get_random_transformation(images, training)

    def _draw(self, generator: np.random.Generator, n: int, height: int, width: int) -> dict[str, np.ndarray]:
        probability = generator.uniform(*self.factor, n)
        apply = generator.uniform(0.0, 1.0, n) < probability
        # one strength for the whole call, as Keras draws it
        return {"apply_transform": apply, "distortion_factor": np.asarray(generator.uniform(*self.scale)),
                "noise": generator.standard_normal((2, n, height, width))}

    def transform_images(self, images: Any, transformation: dict[str, Any] | None,
                         training: bool = True) -> Tensor:
        x = as_input(images, np.dtype(self.dtype), self.name)
        if transformation is None or not training:
            return x
        # Keras's seed drives its backend's own generator, of no use here; its strength is a scalar
        return self._apply(x, {key: np.asarray(backend.to_numpy(value)) for key, value in transformation.items()
                               if key != "seed"})

    def _apply(self, x: Tensor, transformation: dict[str, np.ndarray]) -> Tensor:
        from ..keras.ops_image_more import _elastic_warp

        n, height, width, _ = x.shape
        noise = transformation.get("noise")
        if noise is None:
            noise = self._generator().standard_normal((2, n, height, width))
        dtype = x.dtype.type
        # Keras's arithmetic, in the images' dtype, so that its kernel size and displacements come out the same
        strength = dtype(np.asarray(transformation["distortion_factor"]).reshape(()))
        alpha = dtype(max(height, width)) * (dtype(0.1) * strength)
        sigma = dtype(min(height, width)) * (dtype(0.05) * strength)
        warped = _elastic_warp(x, noise, float(alpha), float(sigma), self.interpolation, self.fill_mode,
                               self.fill_value)
        return F.clip(F.where(_per_image_flags(transformation["apply_transform"]), warped, x), *self.value_range)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "value_range": list(self.value_range)}


class ContrastLimitedAdaptiveHistogramEqualization(Layer):
    """Contrast limited adaptive histogram equalization (CLAHE), Keras's
    ``layers.ContrastLimitedAdaptiveHistogramEqualization``: each image (on the (0, 255) scale, from
    ``value_range``, its values cut to whole levels) is divided into ``tile_grid_size`` = (rows, columns) tiles
    (the last ones completed by reflecting the image); each channel of each tile has its histogram of 256 levels,
    every count above ``clip_limit``·(pixels of a tile)/256 cut there and the excess shared among all levels
    (``clip_limit=0`` cuts nothing), and its cumulative histogram stretched to 0…255 maps levels to values; each
    pixel's value is the bilinear blend of the mappings of the four tiles whose centres surround it. Computed in
    float32, as Keras computes it. It draws nothing and works in training and inference alike, as Keras's; the
    result is a step function of the input, so no gradient flows through it.

    >>> import fnlearn as fl, numpy as np
    >>> x = np.array([[[[10.0], [20.0], [20.0], [200.0]]]])
    >>> fl.layers.ContrastLimitedAdaptiveHistogramEqualization(clip_limit=0, tile_grid_size=(1, 1))(x).numpy().ravel()
    array([ 63.75, 191.25, 191.25, 255.  ], dtype=float32)
    """

    def __init__(self, value_range: Any = (0, 255), clip_limit: float = 4.0, tile_grid_size: Any = (8, 8),
                 data_format: str | None = None, name: str | None = None, **kwargs: Any) -> None:
        owner = "ContrastLimitedAdaptiveHistogramEqualization"
        _reject_unknown_kwargs(owner, kwargs, allow=("input_shape",))
        _channels_last(data_format, owner)
        self.value_range = _value_range(value_range, owner)
        if not _number(clip_limit) or clip_limit < 0:
            raise ConfigError(f"{owner} clip_limit must be a number ≥ 0, the most a level's count may reach as a "
                              f"multiple of the mean count (0 for no limit), got {clip_limit!r}; e.g. clip_limit=4.0.")
        self.clip_limit = float(clip_limit)
        self.tile_grid_size = _pair(tile_grid_size, "tile_grid_size", owner, "(8, 8)")
        super().__init__(name=name, input_shape=kwargs.get("input_shape"), trainable=kwargs.get("trainable", True),
                         dtype=kwargs.get("dtype"))
        self.built = True

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        return _image_shape(input_shape, f"ContrastLimitedAdaptiveHistogramEqualization layer {self.name!r}",
                            sizes=False)

    def forward(self, x: Any) -> Tensor:
        x = as_input(x, np.dtype(self.dtype), self.name)
        if x.ndim == 3:  # one image, as Keras takes it
            return F.reshape(self.forward(F.reshape(x, (1, *x.shape))), x.shape)
        self.compute_output_shape(x.shape[1:])
        return self.transform_images(x)

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True) -> Tensor:
        """``images`` (batch, height, width, channels) equalized tile by tile (Keras's ``transform_images``; there
        is nothing to draw, and Keras's equalizes whatever ``training`` says)."""
        x = as_input(images, np.dtype(self.dtype), self.name)
        return Tensor(self._equalized(x.data).astype(x.dtype))

    def _equalized(self, values: Any) -> Any:
        xp = backend.xp()
        f32 = np.float32
        low, high = self.value_range
        if (low, high) != (0.0, 255.0):  # Keras's steps to (0, 255), in float32
            values = (values.astype(f32) - f32(low)) / (f32(high) - f32(low)) * f32(255.0) + f32(0.0)
        n, height, width, channels = values.shape
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
        levels = xp.clip(values.astype(np.int32), 0, 255)  # cut towards zero, as Keras casts
        padded = xp.pad(levels, ((0, 0), (0, tile_h * grid_h - height), (0, tile_w * grid_w - width), (0, 0)),
                        mode="symmetric")
        tiles = padded.reshape(n, grid_h, tile_h, grid_w, tile_w, channels).transpose(0, 1, 3, 5, 2, 4)
        tiles = tiles.reshape(-1, tile_h * tile_w)
        # every tile's and channel's histogram in one count: each level offset by 256 per histogram
        offsets = xp.arange(tiles.shape[0]).reshape(-1, 1) * 256
        counts = xp.bincount((tiles + offsets).ravel(), minlength=tiles.shape[0] * 256)
        hists = counts.reshape(n, grid_h, grid_w, channels, 256).astype(f32)
        if self.clip_limit > 0:
            limit = f32(self.clip_limit * (tile_h * tile_w) / 256.0)
            clipped = xp.minimum(hists, limit)
            hists = clipped + (hists - clipped).sum(axis=-1, keepdims=True) / f32(256.0)
        cdf = xp.cumsum(hists, axis=-1)
        first = cdf.min(axis=-1, keepdims=True)
        denominator = f32(tile_h * tile_w) - first
        denominator = xp.where(denominator == 0, f32(1.0), denominator)
        table = xp.clip((cdf - first) * f32(255.0) / denominator, f32(0.0), f32(255.0))
        # the border tiles' mappings repeated outward, for the pixels outside the outer tiles' centres
        table = xp.pad(table, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

        def between(size: int, tile: int, grid: int) -> tuple[Any, Any, Any]:
            at = (xp.arange(size, dtype=f32) - f32(tile / 2.0)) / f32(tile) + f32(1.0)
            below = xp.floor(at)
            return (xp.clip(below, 0, grid + 1).astype(np.int64), xp.clip(below + 1, 0, grid + 1).astype(np.int64),
                    at - below)

        top, bottom, down = (a.reshape(1, height, 1, 1) for a in between(height, tile_h, grid_h))
        left, right, across = (a.reshape(1, 1, width, 1) for a in between(width, tile_w, grid_w))
        image, channel = xp.arange(n).reshape(n, 1, 1, 1), xp.arange(channels).reshape(1, 1, 1, channels)
        level = levels.astype(np.int64)

        def mapped(rows: Any, cols: Any) -> Any:
            return table[image, rows, cols, channel, level]

        upper = mapped(top, left) * (f32(1.0) - across) + mapped(top, right) * across
        lower = mapped(bottom, left) * (f32(1.0) - across) + mapped(bottom, right) * across
        out = upper * (f32(1.0) - down) + lower * down
        if (low, high) != (0.0, 255.0):
            out = (out - f32(0.0)) / (f32(255.0) - f32(0.0)) * (f32(high) - f32(low)) + f32(low)
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "value_range": list(self.value_range), "clip_limit": self.clip_limit,
                "tile_grid_size": list(self.tile_grid_size)}


AUGMENT_ELASTIC: dict[str, type[Layer]] = {
    cls.__name__: cls for cls in (RandomElasticTransform, ContrastLimitedAdaptiveHistogramEqualization)}
LAYERS.update(AUGMENT_ELASTIC)  # the classes a model file may name

__all__ = list(AUGMENT_ELASTIC)
