"""A folder of images as a dataset, and single images to and from arrays: Keras's
``image_dataset_from_directory``, ``load_img``, ``img_to_array``, ``array_to_img`` and ``save_img``.

``image_dataset_from_directory`` follows Keras 3's rules: one subfolder per class (class names in sorted order,
hidden folders skipped), the ``.bmp``, ``.gif``, ``.jpeg``, ``.jpg`` and ``.png`` files found under each (in
sorted order), shuffled with ``numpy.random.RandomState(seed)`` exactly as Keras shuffles them, and split by
``validation_split`` as Keras splits them: the validation files are the last ``int(validation_split · n)`` of
that order and the training files the rest, so two calls with the same seed give disjoint subsets that together
hold every file. The dataset (:class:`fnlearn.pipeline.Dataset`) reads and decodes the images of a batch when
the loop asks for it, resized as Keras resizes them (:func:`fnlearn.nn.image.resize_plan`), as float32 arrays
(batch, height, width, channels); ``cache()`` keeps them decoded.

Images are read with Pillow, imported when first needed (``pip install pillow``).

Example:
    >>> import os, tempfile, numpy as np
    >>> root = tempfile.mkdtemp()
    >>> for name in ("cats", "dogs"):
    ...     os.makedirs(os.path.join(root, name))
    ...     for i in range(3):
    ...         save_img(os.path.join(root, name, f"{i}.png"), np.full((8, 6, 3), 40.0 * i), scale=False)
    >>> train = image_dataset_from_directory(root, image_size=(4, 4), batch_size=2, seed=1,
    ...                                      validation_split=0.5, subset="training")
    Found 6 files belonging to 2 classes.
    Using 3 files for training.
    >>> images, labels = next(iter(train))
    >>> train.class_names, len(train), images.shape, images.dtype, labels.dtype
    (['cats', 'dogs'], 2, (2, 4, 4, 3), dtype('float32'), dtype('int32'))
"""

from __future__ import annotations

import io as _io
import os
import pathlib
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, DataError, DatasetError, MissingDependencyError, ShapeError
from ..nn.image import RESIZE_INTERPOLATIONS, resize_plan
from ..tensor import Tensor
from ._directory import dataset_from_directory, flag, index_files

ALLOWED_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}
# what load_img resizes with: Pillow's filters, as Keras names them
_PIL_FILTERS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil() -> Any:
    """``PIL.Image``, imported on first use so that ``import fnlearn`` does not load Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise MissingDependencyError("reading and writing images needs Pillow, which is not installed; install it "
                                     "with: pip install pillow.") from None
    return Image


# ----------------------------------------------------------------------------- arguments


def _image_size(value: Any, owner: str) -> tuple[int, int]:
    """(height, width): Keras's ``image_size`` / ``target_size``."""
    from ..nn.conv import _pair

    return _pair(value, "(height, width)", owner, "(180, 180)")


def _interpolation(value: Any) -> str:
    name = value.lower() if isinstance(value, str) else value
    if name in ("gaussian", "mitchellcubic"):
        raise ConfigError(f"interpolation={value!r} is a TensorFlow resize that fnlearn does not have; use one of "
                          f"{', '.join(map(repr, RESIZE_INTERPOLATIONS))}.")
    if name not in RESIZE_INTERPOLATIONS:
        raise ConfigError(f"interpolation must be one of {', '.join(map(repr, RESIZE_INTERPOLATIONS))}, got "
                          f"{value!r}.")
    return str(name)


# ----------------------------------------------------------------------------- the files


def index_directory(directory: Any, labels: Any, class_names: Sequence[str] | None = None, shuffle: bool = True,
                    seed: int = 0, follow_links: bool = False) -> tuple[list[str], list[int] | None, list[str] | None]:
    """(file paths, labels, class names) of the images under ``directory``, as Keras 3's ``index_directory``
    lists them (see :func:`index_files`).

    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for path in ("b/2.png", "b/1.jpg", "a/x.gif", "a/notes.txt"):
    ...     os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
    ...     open(os.path.join(root, path), "wb").close()
    >>> paths, labels, names = index_directory(root, "inferred", shuffle=False)
    >>> [os.path.relpath(p, root) for p in paths], labels, names
    (['a/x.gif', 'b/1.jpg', 'b/2.png'], [0, 1, 1], ['a', 'b'])
    """
    return index_files(directory, labels, ALLOWED_FORMATS, class_names, shuffle, seed, follow_links, "image")


# ----------------------------------------------------------------------------- reading an image


def _convert(img: Any, color_mode: str) -> Any:
    """The image in the mode ``color_mode`` asks for (Keras's conversions: 16- and 32-bit grayscale kept)."""
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    wanted = "RGBA" if color_mode == "rgba" else "RGB"
    return img if img.mode == wanted else img.convert(wanted)


def _open(path: Any, what: str) -> Any:
    """The image at ``path`` (a path, bytes path or file object), read whole, or one DatasetError sentence."""
    image = _pil()
    if isinstance(path, _io.BytesIO):
        source: Any = path
    elif isinstance(path, (str, bytes, os.PathLike)):
        try:
            with open(path, "rb") as file:
                source = _io.BytesIO(file.read())
        except FileNotFoundError:
            raise DatasetError(f"{what} found no file at {os.fsdecode(path)!r}; check the path.") from None
        except IsADirectoryError:
            raise DatasetError(f"{what} was given the folder {os.fsdecode(path)!r}; give the path of one image "
                               "file.") from None
    else:
        raise DataError(f"{what} takes a file path (str or pathlib.Path) or an io.BytesIO, got a "
                        f"{type(path).__name__}.")
    try:
        img = image.open(source)
        img.load()
    except (OSError, ValueError, SyntaxError) as exc:  # Pillow's errors for files that are no image it reads
        name = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else "the file object"
        raise DatasetError(f"{what} cannot read {name!r} as an image ({exc}); remove the file or replace it with a "
                           "BMP, GIF, JPEG or PNG image.") from None
    return img


def _decoded(path: str, color_mode: str) -> np.ndarray:
    """The image at ``path`` as float32 (height, width, channels)."""
    pixels = np.asarray(_convert(_open(path, "image_dataset_from_directory"), color_mode), dtype=np.float32)
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def _along(pixels: np.ndarray, matrix: np.ndarray, axis: int) -> np.ndarray:
    """``matrix`` (out, in) applied along ``axis`` of an (H, W, C) image through its few non-zero weights per
    output pixel: a photo shrunk to a thumbnail reads 2 input rows per output row, not all of them."""
    if matrix.shape[0] == matrix.shape[1] and np.array_equal(matrix, np.eye(matrix.shape[0])):
        return pixels
    nonzero = matrix != 0
    taps = max(int(nonzero.sum(axis=1).max()), 1)
    columns = np.argsort(~nonzero, axis=1, kind="stable")[:, :taps]
    weights = np.take_along_axis(matrix, columns, axis=1).astype(np.float32)
    if axis == 0:
        return np.einsum("okwc,ok->owc", pixels[columns], weights)
    return np.einsum("hokc,ok->hoc", pixels[:, columns], weights)


def resized(pixels: np.ndarray, size: tuple[int, int], interpolation: str = "bilinear", crop: bool = False,
            pad: bool = False) -> np.ndarray:
    """One (H, W, C) float32 image resized on the host as Keras resizes it (the padding filled with 0).

    >>> resized(np.array([[[0.0], [4.0]]], dtype=np.float32), (1, 4))[0, :, 0].tolist()
    [0.0, 1.0, 3.0, 4.0]
    """
    rows, cols, _ = resize_plan(pixels.shape[0], pixels.shape[1], size, interpolation, crop, pad)
    return _along(_along(pixels, rows, 0), cols, 1)


def image_dataset_from_directory(directory: Any, labels: Any = "inferred", label_mode: str | None = "int",
                                 class_names: Sequence[str] | None = None, color_mode: str = "rgb",
                                 batch_size: int | None = 32, image_size: Any = (256, 256), shuffle: bool = True,
                                 seed: int | None = None, validation_split: float | None = None,
                                 subset: str | None = None, interpolation: str = "bilinear",
                                 follow_links: bool = False, crop_to_aspect_ratio: bool = False,
                                 pad_to_aspect_ratio: bool = False, data_format: str | None = None,
                                 format: str = "tf", verbose: bool = True) -> Any:  # noqa: A002  (Keras's name)
    """A :class:`fnlearn.pipeline.Dataset` of ``(images, labels)`` batches from a folder with one subfolder of
    images per class, as Keras 3's ``keras.utils.image_dataset_from_directory`` makes it (see the module's
    description for the order and the split).

    Args:
        directory: the folder; with ``labels="inferred"`` it holds one subfolder per class.
        labels: ``"inferred"`` (class = subfolder), None (images only) or a list of integer labels, one per image
            file in the sorted order of their paths.
        label_mode: ``"int"`` (int32 labels, shape (batch,)), ``"categorical"`` (float32 one-hot rows),
            ``"binary"`` (float32 0/1, shape (batch, 1); exactly two classes) or None (images only).
        class_names: the subfolders to read, in the order of their labels (default: all, sorted).
        color_mode: ``"rgb"`` (3 channels), ``"rgba"`` (4) or ``"grayscale"`` (1).
        batch_size: images per batch (default 32); None yields single images.
        image_size: (height, width) every image is resized to.
        shuffle: shuffle the files (seeded), and the order of each pass through a buffer of 8 batches, as Keras;
            False keeps the sorted order.
        seed: the shuffles' seed; required with ``validation_split`` when shuffling (the same for both subsets).
        validation_split, subset: hold out that fraction of the files; ``subset`` says which part to return:
            ``"training"``, ``"validation"`` or ``"both"`` (a list [training, validation]).
        interpolation: the resize: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"area"``, ``"lanczos3"``,
            ``"lanczos5"``.
        crop_to_aspect_ratio, pad_to_aspect_ratio: resize without distortion, cropping the centre or padding
            with zeros.
        verbose: print the "Found …" and "Using …" lines.

    Returns:
        The dataset, with ``class_names`` and ``file_paths`` (its files, in the listed order); for
        ``subset="both"`` a list of two.

    Example:
        >>> import os, tempfile, numpy as np
        >>> root = tempfile.mkdtemp()
        >>> for name in ("daisy", "roses", "tulips"):
        ...     os.makedirs(os.path.join(root, name))
        ...     for i in range(2):
        ...         save_img(os.path.join(root, name, f"{i}.jpg"), np.full((10, 12, 3), 100.0), scale=False)
        >>> ds = image_dataset_from_directory(root, image_size=(5, 6), batch_size=4, shuffle=False,
        ...                                   label_mode="categorical")
        Found 6 files belonging to 3 classes.
        >>> [labels.argmax(axis=1).tolist() for _, labels in ds]
        [[0, 0, 1, 1], [2, 2]]
    """
    who = "image_dataset_from_directory"
    if color_mode not in _CHANNELS:
        raise ConfigError(f"color_mode must be 'rgb', 'rgba' or 'grayscale', got {color_mode!r}.")
    size = _image_size(image_size, f"{who} image_size")
    interpolation = _interpolation(interpolation)
    crop, pad = flag(crop_to_aspect_ratio, "crop_to_aspect_ratio", who), flag(pad_to_aspect_ratio,
                                                                             "pad_to_aspect_ratio", who)
    if crop and pad:
        raise ConfigError("crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be True; choose one (crop keeps "
                          "the centre, pad keeps the whole image).")
    if data_format not in (None, "channels_last"):
        raise ConfigError(f"data_format={data_format!r} is not supported; fnlearn's images are channels_last, "
                          "(batch, height, width, channels): leave data_format out.")

    def read(paths: list[str]) -> np.ndarray:
        """The images at ``paths`` decoded and resized into one float32 batch."""
        images = np.empty((len(paths), size[0], size[1], _CHANNELS[color_mode]), dtype=np.float32)
        for position, path in enumerate(paths):
            images[position] = resized(_decoded(path, color_mode), size, interpolation, crop, pad)
        return images

    return dataset_from_directory(directory, labels, label_mode, class_names, batch_size, shuffle, seed,
                                  validation_split, subset, follow_links, format, verbose, who=who,
                                  formats=ALLOWED_FORMATS, kind="image", noun="images", read=read)


# ----------------------------------------------------------------------------- single images


def load_img(path: Any, color_mode: str = "rgb", target_size: tuple[int, int] | None = None,
             interpolation: str = "nearest", keep_aspect_ratio: bool = False) -> Any:
    """The image at ``path`` as a Pillow image, as Keras's ``keras.utils.load_img`` loads it: converted to
    ``color_mode`` ("rgb", "rgba" or "grayscale") and, with ``target_size`` (height, width), resized by Pillow
    with ``interpolation`` ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos"), after cropping the
    centre to the target's aspect ratio when ``keep_aspect_ratio``.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "dot.png")
    >>> save_img(path, np.zeros((6, 8, 3)))
    >>> img = load_img(path, target_size=(3, 4))
    >>> img.size, img.mode, img_to_array(img).shape
    ((4, 3), 'RGB', (3, 4, 3))
    """
    if color_mode not in _CHANNELS:
        raise ConfigError(f"load_img color_mode must be 'rgb', 'rgba' or 'grayscale', got {color_mode!r}.")
    if target_size is not None:
        target_size = _image_size(target_size, "load_img target_size")
        if interpolation not in _PIL_FILTERS:
            raise ConfigError(f"load_img interpolation must be one of {', '.join(map(repr, _PIL_FILTERS))}, got "
                              f"{interpolation!r}.")
    img = _convert(_open(path, "load_img"), color_mode)
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    resample = getattr(_pil().Resampling, interpolation.upper())
    if not keep_aspect_ratio:
        return img.resize(width_height, resample)
    width, height = img.size
    crop_height = min(height, (width * width_height[1]) // width_height[0])
    crop_width = min(width, (height * width_height[0]) // width_height[1])
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return img.resize(width_height, resample, box=(left, top, left + crop_width, top + crop_height))


def _data_format(data_format: Any, who: str) -> str:
    if data_format not in (None, "channels_last", "channels_first"):
        raise ConfigError(f"{who} data_format must be 'channels_last' or 'channels_first', got {data_format!r}.")
    return data_format or "channels_last"


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """A Pillow image as a NumPy array (height, width, channels), in fnlearn's float dtype (float32 unless set
    otherwise), as Keras's ``keras.utils.img_to_array``; ``data_format="channels_first"`` puts the channels first.

    >>> from PIL import Image
    >>> img_to_array(Image.new("L", (3, 2), 7)).shape
    (2, 3, 1)
    """
    layout = _data_format(data_format, "img_to_array")
    pixels = np.asarray(img, dtype=backend.float_dtype() if dtype is None else dtype)
    if pixels.ndim == 2:
        pixels = pixels[None] if layout == "channels_first" else pixels[:, :, None]
    elif pixels.ndim == 3:
        pixels = pixels.transpose(2, 0, 1) if layout == "channels_first" else pixels
    else:
        raise ShapeError(f"img_to_array takes an image (height, width) or (height, width, channels), got an array of "
                         f"shape {pixels.shape}.")
    return pixels


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True, dtype: Any = None) -> Any:
    """An array (height, width, channels) with 1, 3 or 4 channels as a Pillow image ("L", "RGB" or "RGBA";
    "I" for grayscale values above 255), as Keras's ``keras.utils.array_to_img``: with ``scale`` the values are
    first stretched to 0–255.

    >>> import numpy as np
    >>> img = array_to_img(np.array([[[0.0], [0.5], [1.0]]]))
    >>> img.mode, np.asarray(img).tolist()
    ('L', [[0, 127, 255]])
    """
    image = _pil()
    layout = _data_format(data_format, "array_to_img")
    if isinstance(x, Tensor):
        x = x.numpy()
    pixels = np.array(backend.to_numpy(x) if backend.is_array(x) else x,
                      dtype=backend.float_dtype() if dtype is None else dtype)
    if pixels.ndim != 3:
        raise ShapeError(f"array_to_img takes one image of shape (height, width, channels), got shape "
                         f"{pixels.shape}; take one image of a batch (x[0]), or add a channels axis (x[..., None]).")
    if layout == "channels_first":
        pixels = pixels.transpose(1, 2, 0)
    if pixels.shape[2] not in (1, 3, 4):
        raise ShapeError(f"array_to_img takes 1, 3 or 4 channels (grayscale, RGB, RGBA), got {pixels.shape[2]}.")
    if scale:
        pixels = pixels - np.min(pixels)
        top = np.max(pixels)
        if top != 0:
            pixels /= top
        pixels *= 255
    if pixels.shape[2] == 4:
        return image.fromarray(pixels.astype("uint8"), "RGBA")
    if pixels.shape[2] == 3:
        return image.fromarray(pixels.astype("uint8"), "RGB")
    if np.max(pixels) > 255:
        return image.fromarray(pixels[:, :, 0].astype("int32"), "I")
    return image.fromarray(pixels[:, :, 0].astype("uint8"), "L")


def save_img(path: Any, x: Any, data_format: str | None = None, file_format: str | None = None, scale: bool = True,
             **kwargs: Any) -> None:
    """Write an image array (height, width, channels) to ``path`` (or a file object), as Keras's
    ``keras.utils.save_img``: the format from the file name's extension (or ``file_format``), the values
    stretched to 0–255 when ``scale``; other keyword arguments go to Pillow's ``save`` (``quality=95``…). A file
    is written under a temporary name and then renamed, so a failed write leaves no half-written image.

    >>> import os, tempfile, numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "gray.png")
    >>> save_img(path, np.full((2, 3, 1), 9.0), scale=False)
    >>> img_to_array(load_img(path, color_mode="grayscale"))[..., 0].tolist()
    [[9.0, 9.0, 9.0], [9.0, 9.0, 9.0]]
    """
    image = _pil()
    is_path = isinstance(path, (str, bytes, os.PathLike))
    if file_format is None and is_path:
        file_format = pathlib.Path(os.fsdecode(path)).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    image.init()
    if not file_format or file_format.upper() not in image.SAVE:
        shown = os.fsdecode(path) if is_path else "the file object"
        raise ConfigError(f"save_img cannot tell which image format to write to {shown!r}"
                          f"{f' (file_format={file_format!r} is none Pillow writes)' if file_format else ''}; end "
                          "the file name in .png or .jpg, or pass file_format='png'.")
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format.lower() == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    if not is_path:
        img.save(path, format=file_format, **kwargs)
        return
    from ..io import write_atomic

    encoded = _io.BytesIO()
    img.save(encoded, format=file_format, **kwargs)
    write_atomic(path, encoded.getvalue())


__all__ = ["image_dataset_from_directory", "index_directory", "load_img", "img_to_array", "array_to_img",
           "save_img", "resized", "ALLOWED_FORMATS"]
