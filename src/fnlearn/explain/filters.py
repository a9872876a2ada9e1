"""What a convolutional network learned: its filters as small images, and the feature maps they make of one
image.

A Conv2D layer slides each of its filters over the image and writes how strongly every window matches it:
one feature map per filter. The first layer's filters are small images themselves (edges, strokes, blobs
after training on digits); the maps show where in the picture each one fired, layer after layer.

Both views take any model: a Sequential, a functional graph that branches and merges, a subclass with its own
``call()``, a model inside a model (its layers are found by name).

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
from ..model import sample_input_shape
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
    the layer named ``layers[i]`` for ``image`` (height, width, channels). An input layer's maps are the
    image's own channels."""

    image: np.ndarray
    layers: list[str]
    maps: list[np.ndarray]

    @property
    def dead(self) -> list[np.ndarray]:
        """For each layer, which of its maps are 0 everywhere: filters that did not fire anywhere on this image
        (a ReLU's output for a filter that matched nowhere).

        >>> FeatureMaps(np.ones((2, 2, 1)), ["c"], [np.array([[[0.0]], [[2.0]]])]).dead
        [array([ True, False])]
        """
        return [~np.any(maps != 0, axis=(1, 2)) for maps in self.maps]

    def plot(self, path: str | os.PathLike | None = None, max_maps: int = 16, scale: str = "layer") -> Any:
        """The image, then one row per layer: its first ``max_maps`` feature maps.

        ``scale="layer"`` (default) draws all maps of a layer on one colour scale, shown by the colour bar at
        the row's end, so a weak map looks weak beside a strong one; ``scale="map"`` stretches each map over
        the whole colour range (faint patterns become visible; strengths can no longer be compared). Maps that
        are 0 everywhere are titled "dead" in red. An input of 3 channels is drawn in colour, of 1 in grey,
        of any other number channel by channel."""
        if scale not in ("layer", "map"):
            raise ConfigError(f"scale must be 'layer' (one colour scale per layer) or 'map' (each map on its own), "
                              f"got {scale!r}.")
        max_maps = C.check_positive_int("max_maps", max_maps, 1)
        panels = _input_panels(self.image, max_maps)
        cols = max(2, len(panels), min(max(len(m) for m in self.maps), max_maps))
        rows = 1 + len(self.maps)
        fig = C.new_figure(1.4 * cols + 1.2, 1.5 * rows + 0.5)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.ravel():
            ax.set_xticks([])
            ax.set_yticks([])
            ax.axis("off")
        lo, hi = float(self.image.min()), float(self.image.max())
        for k, (title, shown) in enumerate(panels):
            axes[0, k].axis("on")
            if shown.ndim == 3:  # colour: the image's range mapped to [0, 1]
                axes[0, k].imshow((shown - lo) / ((hi - lo) or 1.0), interpolation="nearest")
            else:
                axes[0, k].imshow(shown, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1.0,
                                  interpolation="nearest")
            axes[0, k].set_title(title, fontsize=7)
        for row, (name, maps, dead) in enumerate(zip(self.layers, self.maps, self.dead), start=1):
            layer_range = _colour_range(maps)
            image = None
            for k in range(min(len(maps), cols)):
                ax = axes[row, k]
                ax.axis("on")
                vmin, vmax = layer_range if scale == "layer" else _colour_range(maps[k])
                image = ax.imshow(maps[k], cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
                if dead[k]:
                    ax.set_title(f"{k} dead", fontsize=7, color="red")
                    for spine in ax.spines.values():
                        spine.set_color("red")
                else:
                    ax.set_title(f"{k}", fontsize=7)
            axes[row, 0].set_ylabel(name if len(maps) <= cols else f"{name}\n({cols} of {len(maps)})", fontsize=7)
            if scale == "layer" and image is not None:
                fig.colorbar(image, ax=list(axes[row, :]), shrink=0.9, pad=0.01)
        how = "one colour scale per layer" if scale == "layer" else "each map on its own colour scale"
        fig.suptitle(f"feature maps: where each filter fired\n({how}; dead: 0 everywhere)", fontsize=9)
        return C.maybe_save(fig, path)


def _input_panels(image: np.ndarray, limit: int) -> list[tuple[str, np.ndarray]]:
    """(title, picture) for each panel the input is drawn as: one in grey or in colour, or one per channel."""
    channels = image.shape[-1]
    if channels == 1:
        return [("input", image[..., 0])]
    if channels == 3:
        return [("input (RGB)", image)]
    shown = min(channels, limit)
    return [(f"input channel {c}" + (f" ({shown} of {channels})" if c == 0 and shown < channels else ""),
             image[..., c]) for c in range(shown)]


def _colour_range(values: np.ndarray) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    return (lo, hi) if hi > lo else (lo, lo + 1.0)  # a flat map still needs a range to draw


def _conv_layers(model: Any) -> list[Any]:
    from ..nn.conv import Conv2D

    return [layer for layer in C.all_layers(model) if isinstance(layer, Conv2D)]


def _pick(model: Any, layer: Any, candidates: list[Any], kind: str) -> Any:
    """The layer named (or numbered, in ``model.layers``) ``layer``, which must be one of ``candidates``."""
    found = C.find_layer(model, layer)
    if not any(found is c for c in candidates):
        names = ", ".join(repr(c.name) for c in candidates)
        raise ConfigError(f"layer {found.name!r} ({type(found).__name__}) is not {kind}; choose one of: {names}.")
    return found


def filters(model: Any, layer: str | int | None = None, path: str | os.PathLike | None = None) -> Filters:
    """The filters of a Conv2D layer of ``model`` (its first one by default; or give its name, also of a layer
    inside a model within the model, or its index in ``model.layers``), as float64 NumPy arrays. ``path``
    (``.png`` / ``.svg``) also writes the figure.

    >>> import fnlearn as fl
    >>> m = fl.Sequential([fl.layers.Conv2D(6, (5, 3), input_shape=(10, 10, 3)), fl.layers.Flatten()])
    >>> f = filters(m); f.weights.shape, f.bias.shape
    ((6, 5, 3, 3), (6,))
    >>> filters(fl.Sequential([m, fl.layers.Dense(2)])).layer == m.layers[0].name   # a model inside a model
    True
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


def model_image(model: Any, image: Any, name: str = "image") -> tuple[np.ndarray, np.ndarray]:
    """``image`` as a picture to draw, (height, width, channels), and as one input of ``model``.

    A picture of the model's input shape, that shape without its channel axis (28×28 for 28×28×1) or one flat
    row of as many values (784 for 28×28×1, as MNIST is often stored) is taken; anything else is refused in one
    sentence naming both shapes. A model whose input shape is not known yet takes any (height, width[,
    channels]) picture.

    >>> import fnlearn as fl
    >>> m = fl.Sequential([fl.layers.Conv2D(2, 3, input_shape=(4, 4, 1))])
    >>> [a.shape for a in model_image(m, np.zeros(16))]
    [(4, 4, 1), (4, 4, 1)]
    """
    picture = C.as_float_array(image, name)
    shape = _input_shape(model)
    what = f"model {getattr(model, 'name', '')!r}"
    if shape is None:  # not built yet: the picture as given
        picture = picture[:, :, None] if picture.ndim == 2 else picture
        if picture.ndim == 4:
            raise ShapeError(f"{name} has shape {picture.shape}, a batch of {len(picture)} images; pass one of "
                             "them, e.g. x[0].")
        if picture.ndim != 3:
            raise ShapeError(f"{name} has shape {picture.shape}, and {what} has no input shape yet to read it by; "
                             "pass one picture as (height, width) or (height, width, channels).")
        return picture, picture
    size = math.prod(shape)
    if picture.size == size and len(shape) == 3 and (picture.ndim == 1 or _squeezed(picture.shape) == _squeezed(shape)):
        return picture.reshape(shape), picture.reshape(shape)
    if picture.size == size and len(shape) != 3:  # a model that takes flat rows and reshapes them itself
        if picture.ndim in (2, 3):
            return (picture[:, :, None] if picture.ndim == 2 else picture), picture.reshape(shape)
        side = math.isqrt(size)
        example = f"x[0].reshape({side}, {side})" if side * side == size else "x[0].reshape(height, width)"
        raise ShapeError(f"{name} has shape {picture.shape}, and {what} takes rows of shape {shape}, so the picture "
                         f"cannot be drawn from it; pass the image as (height, width), e.g. {example}.")
    if picture.ndim == len(shape) + 1 and picture.shape[1:] == shape:
        raise ShapeError(f"{name} has shape {picture.shape}, a batch of {len(picture)} images; pass one of them, "
                         "e.g. x[0].")
    raise ShapeError(f"{name} has shape {picture.shape}, but {what} takes images of shape {shape}; pass an image "
                     "of that shape (resize or crop it first).")


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def _input_shape(model: Any) -> tuple[int, ...] | None:
    """One sample's shape as the model declares it (None: not known yet)."""
    shape = sample_input_shape(model)
    if isinstance(shape, list):
        raise ConfigError(f"model {getattr(model, 'name', '')!r} has {len(shape)} inputs; feature maps follow one "
                          "image through a model of one input, so pass a model of one keras.Input.")
    if not shape:
        return None
    return tuple(int(n) for n in (shape[1:] if shape[0] is None else shape))


def feature_maps(model: Any, image: Any, layers: Any = None, path: str | os.PathLike | None = None) -> FeatureMaps:
    """Run one ``image`` through ``model`` and keep the output of each layer in ``layers`` (names, also of
    layers inside a model within the model, or indices in ``model.layers``; by default every Conv2D layer),
    in inference mode. Only layers whose output is still an image (before Flatten) can be drawn; an input
    layer's maps are the image's own channels.

    ``image`` is one picture: (height, width, channels), (height, width) for one channel, or one flat row of
    the model's input size (784 values for a 28×28×1 model). Any model works: a functional graph is read the
    Keras way (a model on its inputs whose outputs are the layers' outputs); an ``fl.Sequential`` or a
    subclass with its own ``call()`` is run once and the layers' outputs are caught as they pass.

    >>> import fnlearn as fl, numpy as np
    >>> m = fl.Sequential([fl.layers.Conv2D(3, 3, input_shape=(6, 6, 1)), fl.layers.MaxPooling2D()])
    >>> maps = feature_maps(m, np.zeros((6, 6)), layers=[0, 1])
    >>> [a.shape for a in maps.maps]
    [(3, 4, 4), (3, 2, 2)]
    """
    everything = C.all_layers(model)
    if layers is None:
        chosen = _conv_layers(model)
        if not chosen:
            raise ConfigError("the model has no Conv2D layer; name the layers whose outputs to draw with layers=[...].")
    else:
        chosen = [_pick(model, item, everything, "a layer of the model")
                  for item in (layers if isinstance(layers, (list, tuple)) else [layers])]
        if not chosen:
            raise ConfigError("layers=[] names no layer; name at least one, e.g. layers=['conv2d'], or leave "
                              "layers out for every Conv2D layer.")
    picture, given = model_image(model, image)
    inner = [item for item in chosen if not getattr(item, "declares_input_only", False)]
    outputs = dict(zip(map(id, inner), C.LayerReader(model, inner)(given[None])))
    maps = []
    for item in chosen:
        out = outputs[id(item)][0] if id(item) in outputs else picture  # an Input's output is the image
        if out.ndim != 3:
            raise ShapeError(f"layer {item.name!r} puts out {out.shape} per image, not an image "
                             "(height, width, channels); choose a layer before Flatten.")
        maps.append(np.moveaxis(out, -1, 0).copy())
    return C.drawn(FeatureMaps(picture, [item.name for item in chosen], maps), path)
