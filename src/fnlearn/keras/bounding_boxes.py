"""``keras.utils.bounding_boxes``: boxes of object detection, in Keras 3's formats, converted, clipped, cropped,
padded, moved with an image's affine transform, compared by IoU and CIoU, and encoded against anchors.

A box is four numbers along the last axis, ``(N, 4)`` or ``(batch, N, 4)``; the formats (case-insensitive):
``"xyxy"`` (left, top, right, bottom), ``"yxyx"``, ``"xywh"`` (left, top, width, height), ``"center_xywh"``,
``"center_yxhw"``, and the relative ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"`` (divided
by the image's width and height, which a conversion to or from them needs). Everything is computed with
``keras.ops``, so the results are fnlearn tensors and gradients flow through them (CIoU as a box-regression loss).

Example:
    >>> import numpy as np
    >>> from fnlearn.keras.utils import bounding_boxes
    >>> bounding_boxes.convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "xywh").numpy().tolist()
    [[10.0, 20.0, 20.0, 20.0]]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from ..errors import ConfigError, ShapeError
from ..tensor import Tensor
from . import ops

FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
           "rel_center_xywh")


def _format(name: Any, who: str, argument: str = "format") -> str:
    if not isinstance(name, str) or name.lower() not in FORMATS:
        raise ConfigError(f"{who} got {argument}={name!r}; a bounding box format is one of {', '.join(FORMATS)}.")
    return name.lower()


def _four(boxes: Any, who: str, ranks: tuple[int, ...] = ()) -> Tensor:
    boxes = ops.convert_to_tensor(boxes)
    if boxes.ndim == 0 or boxes.shape[-1] != 4 or (ranks and boxes.ndim not in ranks):
        wanted = " or ".join(("(N, 4)", "(batch, N, 4)")[r - 2] for r in ranks) if ranks else "(..., 4)"
        raise ShapeError(f"{who} got boxes of shape {tuple(boxes.shape)}; boxes are {wanted}, four numbers each.")
    return boxes


def _split(boxes: Tensor) -> list[Tensor]:
    return ops.split(boxes, 4, axis=-1)


def _join(*parts: Tensor) -> Tensor:
    return ops.concatenate(list(parts), axis=-1)


# each format to and from xyxy, given the image's size for the relative ones (where, as Keras, a conversion between
# two relative formats needs no size: both sides are read as their absolute namesakes)
def _to_xyxy(boxes: Tensor, fmt: str, height: Any, width: Any) -> Tensor:
    a, b, c, d = _split(boxes)
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return _join(b, a, d, c)
    if fmt == "xywh":
        return _join(a, b, a + c, b + d)
    if fmt == "center_xywh":
        return _join(a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0)
    if fmt == "center_yxhw":
        return _join(b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0)
    if fmt == "rel_xyxy":
        return _join(a * width, b * height, c * width, d * height)
    if fmt == "rel_yxyx":
        return _join(b * width, a * height, d * width, c * height)
    if fmt == "rel_xywh":
        return _join(a * width, b * height, (a + c) * width, (b + d) * height)
    return _join((a - c / 2.0) * width, (b - d / 2.0) * height, (a + c / 2.0) * width, (b + d / 2.0) * height)


def _from_xyxy(boxes: Tensor, fmt: str, height: Any, width: Any) -> Tensor:
    x1, y1, x2, y2 = _split(boxes)
    w, h = x2 - x1, y2 - y1
    if fmt == "xyxy":
        return boxes
    if fmt == "yxyx":
        return _join(y1, x1, y2, x2)
    if fmt == "xywh":
        return _join(x1, y1, w, h)
    if fmt == "center_xywh":
        return _join(x1 + w / 2.0, y1 + h / 2.0, w, h)
    if fmt == "center_yxhw":
        return _join(y1 + h / 2.0, x1 + w / 2.0, h, w)
    if fmt == "rel_xyxy":
        return _join(x1 / width, y1 / height, x2 / width, y2 / height)
    if fmt == "rel_yxyx":
        return _join(y1 / height, x1 / width, y2 / height, x2 / width)
    if fmt == "rel_xywh":
        return _join(x1 / width, y1 / height, w / width, h / height)
    return _join((x1 + w / 2.0) / width, (y1 + h / 2.0) / height, w / width, h / height)


def convert_format(boxes: Any, source: str, target: str, height: Any = None, width: Any = None,
                   dtype: str = "float32") -> Any:
    """The boxes in format ``target``, given in ``source`` (see the module's list); ``height`` and ``width`` (the
    image's) are needed where one side is relative and the other not. A dict ``{"boxes": …, "labels": …}`` gives
    a dict with its boxes converted (a new dict: the one given is left as it was).

    >>> import numpy as np
    >>> convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "rel_xyxy", height=200, width=100).numpy().tolist()
    [[0.10000000149011612, 0.10000000149011612, 0.30000001192092896, 0.20000000298023224]]
    """
    if isinstance(boxes, dict):
        if "boxes" not in boxes:
            raise ConfigError(f"convert_format got a dict with keys {sorted(boxes)}; a dict of bounding boxes holds "
                              "them under 'boxes' (and their classes under 'labels').")
        return {**boxes, "boxes": convert_format(boxes["boxes"], source, target, height, width, dtype)}
    source, target = _format(source, "convert_format", "source"), _format(target, "convert_format", "target")
    boxes = _four(boxes, "convert_format")
    relative = source.startswith("rel_") or target.startswith("rel_")
    if relative and (height is None or width is None):
        raise ConfigError(f"convert_format from {source!r} to {target!r} got height={height!r} and width={width!r}; "
                          "a relative format needs the image's size: pass height= and width=.")
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    if source.startswith("rel_") and target.startswith("rel_"):  # the image's size cancels out
        source, target = source[4:], target[4:]
    size = [None if v is None else ops.cast(v, dtype) for v in (height, width)]
    return _from_xyxy(_to_xyxy(boxes, source, *size), target, *size)


def _in_xyxy(boxes: Any, bounding_box_format: str, who: str, change: Callable[[Tensor], Tensor]) -> Tensor:
    """``change`` applied to the boxes in xyxy, the result given back in their own (absolute) format."""
    fmt = _format(bounding_box_format, who, "bounding_box_format")
    if fmt.startswith("rel_"):
        raise ConfigError(f"{who} got bounding_box_format={fmt!r}; it moves boxes by pixels, so give them in an "
                          f"absolute format (convert_format(boxes, {fmt!r}, 'xyxy', height=…, width=…)).")
    boxes = _four(boxes, who)
    if boxes.dtype.kind != "f":
        boxes = ops.cast(boxes, backend.get_default_dtype())
    return _from_xyxy(change(_to_xyxy(boxes, fmt, None, None)), fmt, None, None)


def clip_to_image_size(bounding_boxes: dict[str, Any], height: Any = None, width: Any = None,
                       bounding_box_format: str = "xyxy") -> dict[str, Any]:
    """The boxes of ``{"boxes": …, "labels": …}`` cut to the image (0 … width, 0 … height; 0 … 1 for
    ``"rel_xyxy"``), a box left with no area labelled −1, as Keras's.

    >>> import numpy as np
    >>> out = clip_to_image_size({"boxes": np.array([[-10, -20, 150, 160], [130, 40, 170, 80]]),
    ...                           "labels": np.array([0, 1])}, height=100, width=120)
    >>> out["boxes"].numpy().tolist(), out["labels"].numpy().tolist()
    ([[0.0, 0.0, 120.0, 100.0], [120.0, 40.0, 120.0, 80.0]], [0, -1])
    """
    who = "clip_to_image_size"
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise ConfigError(f"{who} got {type(bounding_boxes).__name__}; it takes a dict of bounding boxes, "
                          "{'boxes': …, 'labels': …}.")
    fmt = _format(bounding_box_format, who, "bounding_box_format")
    if fmt == "rel_xyxy":
        height = width = 1.0
    elif height is None or width is None:
        raise ConfigError(f"{who} got height={height!r} and width={width!r}; boxes in {fmt!r} are cut to the "
                          "image's size: pass height= and width=.")
    elif fmt.startswith("rel_"):
        raise ConfigError(f"{who} got bounding_box_format={fmt!r}; of the relative formats it takes 'rel_xyxy': "
                          "convert the boxes first (convert_format).")

    def clip(xyxy: Tensor) -> Tensor:
        x1, y1, x2, y2 = _split(xyxy)
        return _join(ops.clip(x1, 0, width), ops.clip(y1, 0, height), ops.clip(x2, 0, width), ops.clip(y2, 0, height))

    boxes = _in_xyxy(bounding_boxes["boxes"], "xyxy" if fmt == "rel_xyxy" else fmt, who, clip)
    result = {**bounding_boxes, "boxes": boxes}
    if bounding_boxes.get("labels") is not None:
        x1, y1, x2, y2 = _split(_to_xyxy(boxes, "xyxy" if fmt == "rel_xyxy" else fmt, None, None))
        area = ops.squeeze((x2 - x1) * (y2 - y1), axis=-1)
        result["labels"] = ops.where(area > 0, bounding_boxes["labels"], -1)
    return result


def crop(boxes: Any, top: Any, left: Any, height: Any, width: Any, bounding_box_format: str = "xyxy") -> Tensor:
    """The boxes as seen in the window of ``height`` × ``width`` pixels whose top-left corner is at (``left``,
    ``top``): moved by it and cut to it (an image cropped so, its boxes with it).

    >>> import numpy as np
    >>> crop(np.array([[10, 20, 50, 60]]), top=10, left=20, height=40, width=30).numpy().tolist()
    [[0.0, 10.0, 30.0, 40.0]]
    """
    def window(xyxy: Tensor) -> Tensor:
        x1, y1, x2, y2 = _split(xyxy)
        return _join(ops.clip(x1 - left, 0, width), ops.clip(y1 - top, 0, height), ops.clip(x2 - left, 0, width),
                     ops.clip(y2 - top, 0, height))

    return _in_xyxy(boxes, bounding_box_format, "crop", window)


def pad(boxes: Any, top: Any, left: Any, height: Any = None, width: Any = None,
        bounding_box_format: str = "xyxy") -> Tensor:
    """The boxes moved ``left`` pixels right and ``top`` down, as an image padded so moves them (``height`` and
    ``width``, Keras's arguments, are not needed for that).

    >>> import numpy as np
    >>> pad(np.array([[10, 20, 50, 60]]), top=5, left=2).numpy().tolist()
    [[12.0, 25.0, 52.0, 65.0]]
    """
    def shift(xyxy: Tensor) -> Tensor:
        x1, y1, x2, y2 = _split(xyxy)
        return _join(x1 + left, y1 + top, x2 + left, y2 + top)

    return _in_xyxy(boxes, bounding_box_format, "pad", shift)


def _inverse_affine(center_x: Any, center_y: Any, angle: Tensor, translate_x: Any, translate_y: Any, scale: Any,
                    shear_x: Any, shear_y: Any, height: Any, width: Any) -> Tensor:
    """(batch, 2, 3): the map of Keras's image transform taken the other way, from input pixels to output ones
    (the image layers map each output pixel back to where it is read), in pixels, about the centre fraction."""
    degrees = math.pi / 180.0
    cx, cy = ops.multiply(center_x, width - 1), ops.multiply(center_y, height - 1)
    tx, ty = ops.multiply(ops.negative(translate_x), width - 1), ops.multiply(ops.negative(translate_y), height - 1)
    rot, sx, sy = ops.negative(angle) * degrees, ops.negative(shear_x) * degrees, ops.negative(shear_y) * degrees
    a = ops.cos(rot - sy) / ops.cos(sy)
    b = a * ops.tan(sx) + ops.sin(rot)
    c = ops.negative(ops.sin(rot - sy)) / ops.cos(sy)
    d = ops.cos(rot) - c * ops.tan(sx)
    a0, a1, b0, b1 = d * scale, ops.negative(b) * scale, ops.negative(c) * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    return ops.reshape(ops.stack([a0, a1, a2, b0, b1, b2], axis=-1), (-1, 2, 3))


def affine_transform(boxes: Any, angle: Any, translate_x: Any, translate_y: Any, scale: Any, shear_x: Any,
                     shear_y: Any, height: Any, width: Any, center_x: Any = None, center_y: Any = None,
                     bounding_box_format: str = "xyxy") -> Tensor:
    """The boxes after Keras's affine image transform (each image's ``angle``, shears in degrees, translations
    as fractions of the image, ``scale``, about the centre fraction (``center_x``, ``center_y``), 0.5 by default):
    each box's four corners moved, and the box around them. ``(batch, N, 4)`` boxes take one value of each
    argument per image; ``(N, 4)`` boxes one value.

    >>> import numpy as np
    >>> out = affine_transform(np.array([[[0.0, 0.0, 10.0, 10.0]]]), angle=np.array([0.0]), translate_x=np.array([0.5]),
    ...                        translate_y=np.array([0.0]), scale=np.array([1.0]), shear_x=np.array([0.0]),
    ...                        shear_y=np.array([0.0]), height=11, width=11)
    >>> out.numpy().tolist()
    [[[5.0, 0.0, 15.0, 10.0]]]
    """
    who = "affine_transform"
    fmt = _format(bounding_box_format, who, "bounding_box_format")
    boxes = _four(boxes, who, ranks=(2, 3))
    unbatched = boxes.ndim == 2
    if unbatched:
        boxes = ops.expand_dims(boxes, 0)
    batch = boxes.shape[0]
    values = []
    for name, value in (("angle", angle), ("translate_x", translate_x), ("translate_y", translate_y),
                        ("scale", scale), ("shear_x", shear_x), ("shear_y", shear_y)):
        value = ops.cast(ops.reshape(value, (-1,)), backend.get_default_dtype())
        if value.shape[0] not in (1, batch):
            raise ShapeError(f"{who} got {name} of {value.shape[0]} values for {batch} images of boxes; give one "
                             "value per image (or one for all).")
        values.append(value)
    matrix = _inverse_affine(0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y, *values,
                             height, width)
    if matrix.shape[0] != batch:
        matrix = ops.broadcast_to(matrix, (batch, 2, 3))

    def move(xyxy: Tensor) -> Tensor:
        x1, y1, x2, y2 = (ops.squeeze(p, axis=-1) for p in _split(ops.cast(xyxy, matrix.dtype)))
        xs = ops.stack([x1, x2, x2, x1], axis=-1)  # the corners (x1, y1), (x2, y1), (x2, y2), (x1, y2)
        ys = ops.stack([y1, y1, y2, y2], axis=-1)
        row = [ops.expand_dims(ops.expand_dims(matrix[:, i, j], -1), -1) for i in range(2) for j in range(3)]
        new_x = row[0] * xs + row[1] * ys + row[2]
        new_y = row[3] * xs + row[4] * ys + row[5]
        return ops.stack([ops.amin(new_x, axis=-1), ops.amin(new_y, axis=-1), ops.amax(new_x, axis=-1),
                          ops.amax(new_y, axis=-1)], axis=-1)

    out = _in_xyxy(boxes, fmt, who, move)
    return out[0] if unbatched else out


def _dtype(boxes: Tensor) -> str:
    """float32, as Keras computes boxes, or float64 for boxes given in it (a gradient check's)."""
    return "float64" if boxes.dtype == np.float64 else "float32"


def _sizes(image_shape: Any, who: str, *formats: Any) -> tuple[Any, Any]:
    """The image's (height, width) from ``image_shape``, which boxes in a relative one of ``formats`` need."""
    if image_shape is None:
        relative = next((f for f in formats if isinstance(f, str) and f.lower().startswith("rel_")), None)
        if relative is not None:
            raise ConfigError(f"{who} got boxes in {relative!r} and no image_shape; relative boxes need "
                              "the image's size: pass image_shape=(height, width, channels).")
        return None, None
    if len(image_shape) != 3:
        raise ShapeError(f"{who} got image_shape={image_shape!r}; it is the image's (height, width, channels).")
    return image_shape[0], image_shape[1]


def compute_iou(boxes1: Any, boxes2: Any, bounding_box_format: str, use_masking: bool = False, mask_val: Any = -1,
                image_shape: Any = None) -> Tensor:
    """The intersection over union of every box of ``boxes1`` with every box of ``boxes2``: (M, N) for (M, 4) and
    (N, 4) boxes, (batch, M, N) where either is batched; ε (the fuzz factor) added to the union, as Keras's. With
    ``use_masking``, pairs where either box is padding (all four numbers below 0) give ``mask_val``.

    >>> import numpy as np
    >>> iou = compute_iou(np.array([[0, 0, 2, 2]]), np.array([[1, 1, 3, 3], [0, 0, 2, 2]]), "xyxy")
    >>> [round(float(v), 4) for v in iou.numpy()[0]]
    [0.1429, 1.0]
    """
    who = "compute_iou"
    fmt = _format(bounding_box_format, who, "bounding_box_format")
    height, width = _sizes(image_shape, who, fmt)
    boxes1, boxes2 = _four(boxes1, who, ranks=(2, 3)), _four(boxes2, who, ranks=(2, 3))
    a = convert_format(boxes1, fmt, "xyxy", height=height, width=width, dtype=_dtype(boxes1))
    b = convert_format(boxes2, fmt, "xyxy", height=height, width=width, dtype=_dtype(boxes2))
    # (…, M, 1) against (…, 1, N): every pair
    ax1, ay1, ax2, ay2 = _split(a)
    bx1, by1, bx2, by2 = (ops.swapaxes(p, -1, -2) for p in _split(b))
    inter = ops.maximum(ops.minimum(ax2, bx2) - ops.maximum(ax1, bx1), 0.0) \
        * ops.maximum(ops.minimum(ay2, by2) - ops.maximum(ay1, by1), 0.0)
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    iou = inter / (union + backend.epsilon())
    if not use_masking:
        return iou
    padding1 = ops.less(ops.max(a, axis=-1, keepdims=True), 0.0)
    padding2 = ops.swapaxes(ops.less(ops.max(b, axis=-1, keepdims=True), 0.0), -1, -2)
    return ops.where(ops.logical_or(padding1, padding2), ops.cast(mask_val, iou.dtype), iou)


def compute_ciou(boxes1: Any, boxes2: Any, bounding_box_format: str, image_shape: Any = None) -> Tensor:
    """The complete IoU of each box of ``boxes1`` with the box in the same place of ``boxes2`` (shapes (..., 4)):
    the IoU less the squared distance of the centres over the squared diagonal of the box around both, less
    α·v for the difference of their aspect ratios — Keras's formula, ε (the fuzz factor) where Keras adds it.
    1 − CIoU is the box-regression loss of YOLO-style detectors; it is differentiable.

    >>> import numpy as np
    >>> round(float(compute_ciou(np.array([[0, 0, 2, 2]]), np.array([[0, 0, 2, 2]]), "xyxy").numpy()[0]), 4)
    1.0
    """
    who = "compute_ciou"
    fmt = _format(bounding_box_format, who, "bounding_box_format")
    height, width = _sizes(image_shape, who, fmt)
    eps = backend.epsilon()
    boxes1, boxes2 = _four(boxes1, who), _four(boxes2, who)
    x1a, y1a, x2a, y2a = _split(convert_format(boxes1, fmt, "xyxy", height=height, width=width, dtype=_dtype(boxes1)))
    x1b, y1b, x2b, y2b = _split(convert_format(boxes2, fmt, "xyxy", height=height, width=width, dtype=_dtype(boxes2)))
    wa, ha, wb, hb = x2a - x1a, y2a - y1a + eps, x2b - x1b, y2b - y1b + eps
    inter = ops.maximum(ops.minimum(x2a, x2b) - ops.maximum(x1a, x1b), 0.0) \
        * ops.maximum(ops.minimum(y2a, y2b) - ops.maximum(y1a, y1b), 0.0)
    iou = inter / (wa * ha + wb * hb - inter + eps + eps)
    diagonal = (ops.maximum(x2a, x2b) - ops.minimum(x1a, x1b)) ** 2 \
        + (ops.maximum(y2a, y2b) - ops.minimum(y1a, y1b)) ** 2 + eps
    centres = ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    v = (4 / math.pi ** 2) * (ops.arctan(wb / hb) - ops.arctan(wa / ha)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return ops.squeeze(iou - (centres / diagonal + v * alpha), axis=-1)


def _variance(variance: Any, who: str) -> Tensor | None:
    if variance is None:
        return None
    values = np.asarray(variance, dtype=np.float32)
    if values.shape != (4,):
        raise ShapeError(f"{who} got variance={variance!r}; it is four numbers, one per coordinate of the deltas.")
    return ops.convert_to_tensor(values)


def _encoding(name: Any, who: str, argument: str) -> str:
    if name not in ("center_xywh", "center_yxhw"):
        raise ConfigError(f"{who} got {argument}={name!r}; deltas are encoded in 'center_yxhw' (Keras's default) "
                          "or 'center_xywh'.")
    return name


def encode_box_to_deltas(anchors: Any, boxes: Any, anchor_format: str, box_format: str,
                         encoding_format: str = "center_yxhw", variance: Any = None, image_shape: Any = None) -> Tensor:
    """Each box as its offset from its anchor, in the anchor's size, and the log of their size ratio (the target
    of a detector's regression head), divided by ``variance`` when given; Keras's formula.

    >>> import numpy as np
    >>> deltas = encode_box_to_deltas(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 20]]), "xyxy", "xyxy",
    ...                               encoding_format="center_xywh")
    >>> [round(float(v), 4) for v in deltas.numpy()[0]]
    [0.5, 0.5, 0.0, 0.6931]
    """
    who = "encode_box_to_deltas"
    encoding_format = _encoding(encoding_format, who, "encoding_format")
    variance = _variance(variance, who)
    height, width = _sizes(image_shape, who, anchor_format, box_format)
    anchors = convert_format(anchors, anchor_format, encoding_format, height=height, width=width)
    boxes = convert_format(boxes, box_format, encoding_format, height=height, width=width)
    anchor_size = ops.maximum(anchors[..., 2:], backend.epsilon())
    box_size = ops.maximum(boxes[..., 2:], backend.epsilon())
    deltas = ops.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size, ops.log(box_size / anchor_size)],
                             axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors: Any, boxes_delta: Any, anchor_format: str, box_format: str,
                           encoded_format: str = "center_yxhw", variance: Any = None, image_shape: Any = None) -> Any:
    """The boxes that deltas from :func:`encode_box_to_deltas` describe, in ``box_format``; ``anchors`` and
    ``boxes_delta`` may be dicts by pyramid level (the result is then a dict).

    >>> import numpy as np
    >>> boxes = decode_deltas_to_boxes(np.array([[0, 0, 10, 10]]), np.array([[0.5, 0.5, 0.0, np.log(2.0)]]), "xyxy",
    ...                                "xyxy", encoded_format="center_xywh")
    >>> [round(float(v), 4) for v in boxes.numpy()[0]]
    [5.0, 0.0, 15.0, 20.0]
    """
    who = "decode_deltas_to_boxes"
    encoded_format = _encoding(encoded_format, who, "encoded_format")
    variance = _variance(variance, who)
    height, width = _sizes(image_shape, who, anchor_format, box_format)

    def decode(anchor: Any, delta: Any) -> Tensor:
        anchor = convert_format(anchor, anchor_format, encoded_format, height=height, width=width)
        delta = ops.convert_to_tensor(delta)
        if variance is not None:
            delta = delta * variance
        box = ops.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                               ops.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(box, encoded_format, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


__all__ = ["convert_format", "clip_to_image_size", "crop", "pad", "affine_transform", "compute_iou", "compute_ciou",
           "encode_box_to_deltas", "decode_deltas_to_boxes"]
