"""What a convolutional network learned: its filters as small images, and the feature maps they make of one
image.

A Conv2D layer slides each of its filters over the image and writes how strongly every window matches it:
one feature map per filter. The first layer's filters are small images themselves (edges, strokes, blobs
after training on digits); the maps show where in the picture each one fired, layer after layer.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> from fnlearn.explain import filters, feature_maps
    >>> model = fl.Sequential([fl.layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
    ...                        fl.layers.MaxPooling2D(), fl.layers.Flatten(), fl.layers.Dense(2)])
    >>> filters(model).weights.shape                     # (filters, height, width, input channels)
    (4, 3, 3, 1)
    >>> maps = feature_maps(model, np.ones((8, 8, 1)))
    >>> [m.shape for m in maps.maps], maps.layers == [model.layers[0].name]
    ([(4, 6, 6)], True)
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, ShapeError
from ..tensor import Tensor, no_grad
from . import _common as C


@dataclass
class Filters:
    """A Conv2D layer's filters: ``weights[k]`` is filter k, (height, width, input channels), with its
    ``bias[k]`` (zeros when the layer has none)."""

    layer: str
    weights: np.ndarray
    bias: np.ndarray

    def plot(self, path: str | os.PathLike | None = None, channel: int | None = None, max_filters: int = 64) -> Any:
        """Each filter as a small image on one shared colour scale (blue negative, red positive, white 0).

        Filters over 3 input channels are drawn in colour; over another number of channels, ``channel``
        picks the one to draw (default: the sum over channels, what a uniform input would see)."""
        count = min(len(self.weights), max_filters)
        channels = self.weights.shape[-1]
        if channel is not None and not (isinstance(channel, (int, np.integer)) and 0 <= channel < channels):
            raise ConfigError(f"channel must be an input channel of layer {self.layer!r}, 0 to {channels - 1}; "
                              f"got {channel!r}.")
        colour = channels == 3 and channel is None
        images = self.weights[:count] if colour else (
            self.weights[:count, :, :, channel] if channel is not None else self.weights[:count].sum(axis=-1))
        cols = min(count, 8)
        rows = math.ceil(count / cols)
        fig = C.new_figure(1.3 * cols + 0.6, 1.3 * rows + 0.8)
        axes = fig.subplots(rows, cols, squeeze=False)
        bound = float(np.abs(images).max()) or 1.0
        for k, ax in enumerate(axes.ravel()):
            ax.set_xticks([])
            ax.set_yticks([])
            if k >= count:
                ax.axis("off")
                continue
            if colour:  # each filter's own range mapped to [0, 1]: colours of equal weight look equal
                lo, hi = images[k].min(), images[k].max()
                ax.imshow((images[k] - lo) / ((hi - lo) or 1.0), interpolation="nearest")
            else:
                ax.imshow(images[k], cmap="bwr", vmin=-bound, vmax=bound, interpolation="nearest")
            ax.set_title(f"{k}", fontsize=8)
        what = "in colour" if colour else (f"input channel {channel}" if channel is not None else
                                          "summed over input channels" if channels > 1 else "")
        fig.suptitle(f"filters of {self.layer} ({self.weights.shape[1]}×{self.weights.shape[2]}"
                     f"{', ' + what if what else ''})", fontsize=10)
        return C.maybe_save(fig, path)


@dataclass
class FeatureMaps:
    """One image through a convolutional network: ``maps[i]`` is (channels, height, width), the output of
    the layer named ``layers[i]`` for ``image`` (height, width, channels)."""

    image: np.ndarray
    layers: list[str]
    maps: list[np.ndarray]

    def plot(self, path: str | os.PathLike | None = None, max_maps: int = 16) -> Any:
        """The image, then one row per layer: its first ``max_maps`` feature maps."""
        cols = max(2, min(max(len(m) for m in self.maps), max_maps))
        rows = 1 + len(self.maps)
        fig = C.new_figure(1.4 * cols + 0.8, 1.5 * rows + 0.4)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.ravel():
            ax.set_xticks([])
            ax.set_yticks([])
            ax.axis("off")
        shown = self.image[..., 0] if self.image.shape[-1] == 1 else self.image[..., :3]
        if shown.ndim == 3:
            lo, hi = shown.min(), shown.max()
            shown = (shown - lo) / ((hi - lo) or 1.0)
        axes[0, 0].imshow(shown, cmap="gray" if shown.ndim == 2 else None, interpolation="nearest")
        axes[0, 0].set_title("input", fontsize=8)
        axes[0, 0].axis("on")
        for row, (name, maps) in enumerate(zip(self.layers, self.maps), start=1):
            for k in range(min(len(maps), cols)):
                ax = axes[row, k]
                ax.axis("on")
                ax.imshow(maps[k], cmap="viridis", interpolation="nearest")
                ax.set_title(f"{name} {k}" if k == 0 else f"{k}", fontsize=7)
        fig.suptitle("feature maps: where each filter fired", fontsize=10)
        return C.maybe_save(fig, path)


def _conv_layers(model: Any) -> list[Any]:
    from ..nn.conv import Conv2D

    return [layer for layer in C.model_layers(model) if isinstance(layer, Conv2D)]


def _pick(model: Any, layer: Any, candidates: list[Any], kind: str) -> Any:
    """The layer named (or numbered, in ``model.layers``) ``layer`` (the model's ``get_layer``), which must be one
    of ``candidates``."""
    C.model_layers(model)  # a chain of layers, or the sentence saying this view cannot read it
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        found = model.get_layer(index=int(layer))
    elif isinstance(layer, str):
        found = model.get_layer(layer)
    else:
        raise ConfigError(f"layer must be a layer's name or its index in model.layers, got {type(layer).__name__}.")
    if not any(found is c for c in candidates):
        names = ", ".join(repr(c.name) for c in candidates)
        raise ConfigError(f"layer {found.name!r} ({type(found).__name__}) is not {kind}; choose one of: {names}.")
    return found


def filters(model: Any, layer: str | int | None = None, path: str | os.PathLike | None = None) -> Filters:
    """The filters of a Conv2D layer of ``model`` (its first one by default; or give its name or index in
    ``model.layers``), as float64 NumPy arrays. ``path`` (``.png`` / ``.svg``) also writes the figure.

    >>> import fnlearn as fl
    >>> m = fl.Sequential([fl.layers.Conv2D(6, (5, 3), input_shape=(10, 10, 3)), fl.layers.Flatten()])
    >>> f = filters(m); f.weights.shape, f.bias.shape
    ((6, 5, 3, 3), (6,))
    """
    convs = _conv_layers(model)
    if not convs:
        raise ConfigError("the model has no Conv2D layer, so it has no filters to draw; the views for Dense "
                          "networks are pieces, layer_outputs and decision_boundary.")
    conv = convs[0] if layer is None else _pick(model, layer, convs, "a Conv2D layer")
    if not conv.built:
        raise ConfigError(f"layer {conv.name!r} has no weights yet; give the model its input shape "
                          "(keras.Input((28, 28, 1)) or input_shape=...) or train it first.")
    from .. import backend

    kernel = np.asarray(backend.to_numpy(conv.kernel.data), dtype=np.float64)  # (kh, kw, channels, filters)
    bias = np.zeros(kernel.shape[-1]) if conv.bias is None else \
        np.asarray(backend.to_numpy(conv.bias.data), dtype=np.float64)
    return C.drawn(Filters(conv.name, np.moveaxis(kernel, -1, 0).copy(), bias), path)


def feature_maps(model: Any, image: Any, layers: Any = None, path: str | os.PathLike | None = None) -> FeatureMaps:
    """Run one ``image`` (height, width, channels; or height, width for one channel) through ``model`` and keep
    the output of each layer in ``layers`` (names or indices in ``model.layers``; by default every Conv2D
    layer), in inference mode. Only layers whose output is still an image (before Flatten) can be drawn.

    >>> import fnlearn as fl, numpy as np
    >>> m = fl.Sequential([fl.layers.Conv2D(3, 3, input_shape=(6, 6, 1)), fl.layers.MaxPooling2D()])
    >>> maps = feature_maps(m, np.zeros((6, 6)), layers=[0, 1])
    >>> [a.shape for a in maps.maps]
    [(3, 4, 4), (3, 2, 2)]
    """
    all_layers = C.model_layers(model)
    convs = _conv_layers(model)
    if layers is None:
        if not convs:
            raise ConfigError("the model has no Conv2D layer; name the layers whose outputs to draw with layers=[...].")
        chosen = convs
    else:
        chosen = [_pick(model, item, all_layers, "a layer of the model")
                  for item in (layers if isinstance(layers, (list, tuple)) else [layers])]
    picture = C.as_float_array(image, "image")
    if picture.ndim == 2:
        picture = picture[:, :, None]
    if picture.ndim != 3:
        raise ShapeError(f"image must be one picture, (height, width) or (height, width, channels), got shape "
                         f"{picture.shape}; pass x[0], not the whole batch.")
    wanted = {id(item) for item in chosen}
    kept: dict[int, np.ndarray] = {}
    dtype = C.model_dtype(model)
    from .. import backend

    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            value: Any = Tensor(picture[None].astype(dtype))
            for item in all_layers:
                if len(kept) == len(wanted):
                    break
                if getattr(item, "declares_input_only", False):
                    continue
                value = item(value)
                if id(item) in wanted:
                    out = np.asarray(backend.to_numpy(value.data), dtype=np.float64)[0]
                    if out.ndim != 3:
                        raise ShapeError(f"layer {item.name!r} puts out {out.shape} per image, not an image "
                                         "(height, width, channels); choose a layer before Flatten.")
                    kept[id(item)] = np.moveaxis(out, -1, 0).copy()
    finally:
        if was_training:
            model.train()
    return C.drawn(FeatureMaps(picture.astype(np.float64), [item.name for item in chosen],
                               [kept[id(item)] for item in chosen]), path)
