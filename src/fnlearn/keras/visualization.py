"""``keras.visualization``: galleries of images — a batch from a data set, what an augmentation layer made of
it, the labels and the model's predictions under each, segmentation masks laid over them.

``plot_image_gallery`` and ``plot_segmentation_mask_gallery`` draw with matplotlib (imported when they are
called: ``pip install matplotlib``) and give the figure back, so a notebook shows it; ``path=`` writes it as PNG,
SVG or PDF (whole or not at all), ``show=True`` opens a window. ``draw_segmentation_masks`` gives the images with
the masks painted on as a NumPy array, Keras's pixels.

Example:
    >>> import numpy as np
    >>> from fnlearn.keras import visualization
    >>> images = np.random.default_rng(0).integers(0, 256, (4, 8, 8, 3))
    >>> fig = visualization.plot_image_gallery(images, y_true=[0, 1, 1, 0], label_map={0: "cat", 1: "dog"})
    >>> len(fig.axes), fig.axes[1].get_title()
    (4, 'Label: dog')
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..errors import ConfigError, DataError, ShapeError, require
from ..nn.image import _value_range
from ._missing import not_provided


def _batch(images: Any, owner: str, data_format: str | None) -> np.ndarray:
    """``images`` as a channels-last NumPy batch (batch, height, width, channels)."""
    if data_format not in (None, "channels_last", "channels_first"):
        raise ConfigError(f"keras.visualization.{owner} got data_format={data_format!r}; give 'channels_last' "
                          "(batch, height, width, channels) or 'channels_first' (batch, channels, height, width).")
    array = np.asarray(images.numpy() if hasattr(images, "numpy") else images)
    if array.ndim != 4:
        raise ShapeError(f"keras.visualization.{owner} takes a batch of images (batch, height, width, channels), "
                         f"got shape {array.shape}; give one image as images[None].")
    return array.transpose(0, 2, 3, 1) if data_format == "channels_first" else array


def plot_image_gallery(images: Any, y_true: Any = None, y_pred: Any = None, label_map: dict[Any, str] | None = None,
                       rows: int | None = None, cols: int | None = None, value_range: tuple[float, float] = (0, 255),
                       scale: float = 2, path: str | os.PathLike | None = None, show: bool | None = None,
                       transparent: bool = True, dpi: int = 60, legend_handles: Any = None,
                       data_format: str | None = None) -> Any:
    """Keras's ``plot_image_gallery``: the images in a grid, each titled with its label and prediction.

    Args:
        images: (batch, height, width, channels) images whose values lie in ``value_range``.
        y_true, y_pred: class indices, one per image, shown as ``Label: ...`` and ``Pred: ...`` through
            ``label_map`` (a dict from index to name; an index it lacks shows ``Unknown``).
        rows, cols: the grid (default: a square of √batch rows, as many columns as the images need; only as
            many images as the grid holds are drawn).
        value_range: the images' (lowest, highest) value, drawn as black and white.
        scale: inches a grid cell takes.
        path: a ``.png``, ``.svg`` or ``.pdf`` file to write the gallery to.
        show: open a window with the gallery (default: when no ``path`` is given, as Keras; the figure is
            given back either way).
        transparent, dpi: how ``path`` is written.
        legend_handles: matplotlib patches for a legend under the grid.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Returns:
        The matplotlib Figure.

    Unlike Keras 3.15, a grid with more cells than images leaves the extra cells empty (Keras fails on them, and
    by default draws ⌊batch / rows⌋ columns, leaving images out), and values are clipped to ``value_range``
    before they become pixels (Keras wraps them around 256).
    """
    require("matplotlib", "keras.visualization.plot_image_gallery", "plot")
    if path is not None and show:
        raise ConfigError("plot_image_gallery got both a path and show=True; give path= to write the gallery to a "
                          "file, or show=True to open it in a window.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ConfigError("plot_image_gallery got labels (y_true or y_pred) but no label_map; give label_map, a "
                          "dict from class index to name, e.g. {0: 'cat', 1: 'dog'}.")
    for name, value in (("rows", rows), ("cols", cols)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ConfigError(f"plot_image_gallery got {name}={value!r}; give a whole number ≥ 1, or None to let the "
                              "gallery choose.")
    low, high = _value_range(value_range, "plot_image_gallery")
    if path is not None:
        from ..explain._common import figure_format

        figure_format(path)  # a suffix that cannot be written is refused before anything is drawn
    images = _batch(images, "plot_image_gallery", data_format)
    show = path is None if show is None else bool(show)
    count = len(images)
    rows = rows or max(1, math.ceil(math.sqrt(count)))
    cols = cols or max(1, math.ceil(count / rows))
    pixels = np.clip((images.astype(np.float64) - low) / (high - low) * 255.0, 0, 255).astype(np.uint8)
    if pixels.shape[-1] == 1:
        pixels = pixels[..., 0]  # one channel: drawn in grey, not through a colour map
    truth = None if y_true is None else np.asarray(y_true).reshape(-1)
    guess = None if y_pred is None else np.asarray(y_pred).reshape(-1)

    size = (cols * scale, rows * scale)
    if show:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=size, frameon=False, layout="tight")
    else:
        from matplotlib.figure import Figure

        fig = Figure(figsize=size, frameon=False, layout="tight")
    axes = fig.subplots(rows, cols, squeeze=False, sharex="row", sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    for index, axis in enumerate(axes.ravel()):
        axis.axis("off")
        if index >= count:
            continue
        axis.imshow(pixels[index], cmap="gray" if pixels.ndim == 3 else None, vmin=0, vmax=255)
        axis.margins(x=0, y=0)
        title = [f"{kind}: {label_map.get(_plain(labels[index]), 'Unknown')}"
                 for kind, labels in (("Label", truth), ("Pred", guess)) if labels is not None and index < len(labels)]
        if title:
            axis.set_title("  ".join(title), fontsize=8)
    if path is not None:
        import io

        from ..explain._common import FIGURE_SUFFIXES, write_bytes

        buffer = io.BytesIO()
        fig.savefig(buffer, format=FIGURE_SUFFIXES[os.path.splitext(str(path))[1].lower()], pad_inches=0,
                    bbox_inches="tight", transparent=transparent, dpi=dpi)
        write_bytes(path, buffer.getvalue())
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return fig


def _plain(value: Any) -> Any:
    """A NumPy scalar as the Python number a label_map's keys are."""
    return value.item() if hasattr(value, "item") else value


def _palette(num_classes: int) -> list[list[int]]:
    """Keras's colour of each class: i·(2²⁵−1, 2¹⁵−1, 2²¹−1) mod 255."""
    palette = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(images: Any, segmentation_masks: Any, num_classes: int | None = None,
                            color_mapping: dict[int, Any] | None = None, alpha: float = 0.8, blend: bool = True,
                            ignore_index: int = -1, data_format: str | None = None) -> np.ndarray:
    """Keras's ``draw_segmentation_masks``: each pixel of class c (0 ≤ c < ``num_classes``) painted in c's colour.

    Args:
        images: (batch, height, width, 3) images, in 0…255.
        segmentation_masks: (batch, height, width) or (batch, height, width, 1) whole-number class indices.
        num_classes: how many classes to paint (default: the largest index in the masks, as Keras: the class
            with that index itself is then left as it is).
        color_mapping: a dict from class index to its (red, green, blue) colour (default: Keras's palette, in
            which class 0 is black).
        alpha: how much of the colour covers the image, in [0, 1].
        blend: mix the colours into the images by ``alpha`` (uint8 pixels; pixels of ``ignore_index`` keep the
            image's); without it the painted images themselves (float32).
        ignore_index: a class index not painted when blending.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    >>> import numpy as np
    >>> images = np.full((1, 2, 2, 3), 100)
    >>> masks = np.array([[[0, 1], [1, 2]]])
    >>> draw_segmentation_masks(images, masks, num_classes=3, alpha=0.5)[0, :, :, 1].tolist()  # green
    [[50, 113], [113, 177]]
    """
    images = _batch(images, "draw_segmentation_masks", data_format).astype(np.float32)
    masks = np.asarray(segmentation_masks.numpy() if hasattr(segmentation_masks, "numpy") else segmentation_masks)
    if data_format == "channels_first" and masks.ndim == 4:
        masks = masks.transpose(0, 2, 3, 1)
    if masks.dtype.kind not in "iu":
        raise DataError(f"draw_segmentation_masks takes whole-number class indices as segmentation_masks, got dtype "
                        f"{masks.dtype}; convert them with masks.astype('int32').")
    if masks.ndim == 3:
        masks = masks[..., None]
    if masks.shape != (*images.shape[:3], 1):
        raise ShapeError(f"draw_segmentation_masks got masks of shape {masks.shape} for images of shape "
                         f"{images.shape}; give one class index a pixel, (batch, height, width) or (batch, height, "
                         "width, 1).")
    if not 0 <= alpha <= 1:
        raise ConfigError(f"draw_segmentation_masks got alpha={alpha!r}; give the colours' opacity, in [0, 1].")
    masks = masks[..., 0]
    if num_classes is None:
        num_classes = int(masks.max())
    if color_mapping is None:
        colors = _palette(num_classes)
    else:
        missing = [c for c in range(num_classes) if c not in color_mapping]
        if missing:
            raise ConfigError(f"draw_segmentation_masks got a color_mapping without classes {missing}; give a "
                              f"colour for every class 0…{num_classes - 1}.")
        colors = [color_mapping[c] for c in range(num_classes)]
    painted = images.copy()
    for c, color in enumerate(colors):
        painted[masks == c] = np.asarray(color, dtype=np.float32)
    if not blend:
        return painted
    mixed = images * (1 - alpha) + painted * alpha
    return np.where((masks != ignore_index)[..., None], mixed, images).astype(np.uint8)


def plot_segmentation_mask_gallery(images: Any, num_classes: int, value_range: tuple[float, float] = (0, 255),
                                   y_true: Any = None, y_pred: Any = None, color_mapping: dict[int, Any] | None = None,
                                   blend: bool = True, alpha: float = 0.8, ignore_index: int = -1,
                                   data_format: str | None = None, **kwargs: Any) -> Any:
    """Keras's ``plot_segmentation_mask_gallery``: one row an image — the image, then its true masks, then the
    predicted ones, each painted by :func:`draw_segmentation_masks`; ``kwargs`` go to :func:`plot_image_gallery`.

    >>> import numpy as np
    >>> images = np.zeros((2, 4, 4, 3)); masks = np.ones((2, 4, 4), dtype=int)
    >>> len(plot_segmentation_mask_gallery(images, 2, y_true=masks, y_pred=masks).axes)
    6
    """
    images = _batch(images, "plot_segmentation_mask_gallery", data_format)
    drawn = [images]
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = np.asarray(masks.numpy() if hasattr(masks, "numpy") else masks)
            if data_format == "channels_first" and masks.ndim == 4:
                masks = masks.transpose(0, 2, 3, 1)
            drawn.append(draw_segmentation_masks(images, masks.astype(np.int32), num_classes, color_mapping, alpha,
                                                 blend, ignore_index))
    gallery = np.stack([np.asarray(kind[i], dtype=np.float32) for i in range(len(images)) for kind in drawn])
    return plot_image_gallery(gallery, value_range=value_range, rows=len(images), cols=len(drawn), **kwargs)


__all__ = ["plot_image_gallery", "draw_segmentation_masks", "plot_segmentation_mask_gallery"]

__getattr__ = not_provided(__name__, __all__)
