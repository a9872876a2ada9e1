"""keras.utils.bounding_boxes: Keras 3's boxes for every conversion, clip, crop, pad, affine transform, IoU, CIoU
and anchor encoding; the formats Keras leaves out of crop and pad by a round trip through xyxy; CIoU's gradients
against central differences; one sentence for what cannot work."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from real_keras import real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras.utils import bounding_boxes as ours

RNG = np.random.default_rng(5)
H, W = 40, 60
FORMATS = ours.FORMATS


def _xyxy(*lead: int) -> np.ndarray:
    """Boxes inside a 60 × 40 image (some reaching past it), left < right and top < bottom."""
    x1, y1 = RNG.uniform(-5, 50, lead), RNG.uniform(-5, 30, lead)
    return np.stack([x1, y1, x1 + RNG.uniform(1, 20, lead), y1 + RNG.uniform(1, 15, lead)], -1).astype(np.float32)


def _in(fmt: str, boxes: np.ndarray) -> np.ndarray:
    return np.asarray(real_keras().utils.bounding_boxes.convert_format(boxes, "xyxy", fmt, height=H, width=W))


def host(x):
    return fl.backend.to_numpy(x.data)


def theirs():
    return real_keras().utils.bounding_boxes


BOXES = _xyxy(5)
BATCH = _xyxy(2, 3)


@pytest.mark.parametrize("source, target", list(itertools.product(FORMATS, FORMATS)))
def test_every_conversion_gives_kerass_boxes(source, target):
    for boxes in (_in(source, BOXES), _in(source, BATCH)):
        expected = np.asarray(theirs().convert_format(boxes, source, target, height=H, width=W))
        got = ours.convert_format(boxes, source.upper(), target, height=H, width=W)
        assert got.dtype == np.float32 and got.shape == boxes.shape
        np.testing.assert_allclose(host(got), expected, rtol=1e-6, atol=1e-5)


def test_a_dict_of_boxes_and_whole_numbers_convert_as_kerass():
    given = {"boxes": np.array([[10, 20, 30, 40]]), "labels": np.array([3])}
    got = ours.convert_format(given, "xyxy", "center_yxhw")
    expected = theirs().convert_format(dict(given), "xyxy", "center_yxhw")
    np.testing.assert_allclose(host(got["boxes"]), np.asarray(expected["boxes"]))
    assert got["labels"] is given["labels"] and isinstance(given["boxes"], np.ndarray)  # the dict given is left
    np.testing.assert_array_equal(host(ours.convert_format(np.array([[1, 2, 3, 4]]), "xywh", "xywh")), [[1, 2, 3, 4]])


@pytest.mark.parametrize("fmt, size", [("xyxy", (H, W)), ("rel_xyxy", (None, None))])
def test_clip_to_image_size_cuts_boxes_and_labels_an_empty_one_as_keras(fmt, size):
    boxes = np.concatenate([_xyxy(4), [[70.0, 5.0, 80.0, 9.0]]]).astype(np.float32)  # the last lies outside
    if fmt == "rel_xyxy":
        boxes = _in(fmt, boxes)
    given = {"boxes": boxes, "labels": np.array([0, 1, 2, 3, 4])}
    expected = theirs().clip_to_image_size(dict(given), height=size[0], width=size[1], bounding_box_format=fmt)
    got = ours.clip_to_image_size(given, height=size[0], width=size[1], bounding_box_format=fmt)
    np.testing.assert_allclose(host(got["boxes"]), np.asarray(expected["boxes"]), rtol=1e-6)
    np.testing.assert_array_equal(host(got["labels"]), np.asarray(expected["labels"]))
    assert host(got["labels"]).dtype == np.asarray(expected["labels"]).dtype and host(got["labels"])[-1] == -1


def test_crop_and_pad_give_kerass_boxes_and_other_formats_round_trip():
    for boxes in (BOXES, BATCH):
        np.testing.assert_allclose(host(ours.crop(boxes, top=5, left=8, height=20, width=30)),
                                   np.asarray(theirs().crop(boxes, top=5, left=8, height=20, width=30)), rtol=1e-6)
        np.testing.assert_allclose(host(ours.pad(boxes, top=3, left=7)),
                                   np.asarray(theirs().pad(boxes, top=3, left=7)), rtol=1e-6)
    # Keras takes xyxy only; another absolute format gives the same boxes, in that format
    for fmt in ("yxyx", "xywh", "center_xywh", "center_yxhw"):
        for name, kwargs in (("crop", {"top": 5, "left": 8, "height": 20, "width": 30}),
                             ("pad", {"top": 3, "left": 7})):
            got = getattr(ours, name)(_in(fmt, BOXES), bounding_box_format=fmt, **kwargs)
            expected = _in(fmt, np.asarray(getattr(theirs(), name)(BOXES, **kwargs)))
            np.testing.assert_allclose(host(got), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("center", [None, (0.3, 0.7)])
def test_affine_transform_moves_boxes_as_kerass(center):
    batch = BATCH.shape[0]
    angle, tx, ty = RNG.uniform(-30, 30, batch), RNG.uniform(-0.2, 0.2, batch), RNG.uniform(-0.2, 0.2, batch)
    scale, sx, sy = RNG.uniform(0.8, 1.2, batch), RNG.uniform(-10, 10, batch), RNG.uniform(-10, 10, batch)
    args = [a.astype(np.float32) for a in (angle, tx, ty, scale, sx, sy)]
    kwargs = {} if center is None else {"center_x": center[0], "center_y": center[1]}
    expected = np.asarray(theirs().affine_transform(BATCH, *args, height=H, width=W, **kwargs))
    np.testing.assert_allclose(host(ours.affine_transform(BATCH, *args, height=H, width=W, **kwargs)), expected,
                               rtol=1e-5, atol=1e-4)
    # unbatched boxes take one value of each
    one = ours.affine_transform(BATCH[0], *(a[:1] for a in args), height=H, width=W, **kwargs)
    np.testing.assert_allclose(host(one), expected[0], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("ranks", [(2, 2), (3, 3), (3, 2), (2, 3)])
@pytest.mark.parametrize("fmt", ["xyxy", "center_yxhw", "rel_xywh"])
def test_iou_of_every_pair_is_kerass(ranks, fmt):
    boxes1, boxes2 = (_in(fmt, BATCH if r == 3 else BOXES[:4]) for r in ranks)
    boxes2 = boxes2[..., ::-1, :].copy()  # other boxes than boxes1's
    boxes2[..., 0, :] = boxes1[..., 0, :] if ranks[0] == ranks[1] else boxes2[..., 0, :]  # one pair that overlaps
    shape = (H, W, 3) if fmt.startswith("rel_") else None
    expected = np.asarray(theirs().compute_iou(boxes1, boxes2, fmt, image_shape=shape))
    got = host(ours.compute_iou(boxes1, boxes2, fmt, image_shape=shape))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert got.max() > 0.1


@pytest.mark.parametrize("batched", [False, True])
def test_masked_iou_marks_padding_pairs_as_keras(batched):
    boxes1, boxes2 = (BATCH.copy(), BATCH[:, ::-1].copy()) if batched else (BOXES.copy(), BOXES[::-1].copy())
    boxes1[..., 1, :] = -1.0  # a padding box
    expected = np.asarray(theirs().compute_iou(boxes1, boxes2, "xyxy", use_masking=True, mask_val=-7))
    got = host(ours.compute_iou(boxes1, boxes2, "xyxy", use_masking=True, mask_val=-7))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert (got == -7).any()


@pytest.mark.parametrize("fmt", ["xyxy", "xywh"])
def test_ciou_is_kerass(fmt):
    for a, b in ((BOXES, BOXES[::-1]), (BATCH, BATCH + 2.0)):
        a, b = _in(fmt, a), _in(fmt, b)
        np.testing.assert_allclose(host(ours.compute_ciou(a, b, fmt)), np.asarray(theirs().compute_ciou(a, b, fmt)),
                                   rtol=1e-5, atol=1e-6)
    # relative boxes with the image's size, which Keras refuses even then
    rel = ours.compute_ciou(_in("rel_xyxy", BOXES), _in("rel_xyxy", BOXES[::-1]), "rel_xyxy", image_shape=(H, W, 3))
    np.testing.assert_allclose(host(rel), host(ours.compute_ciou(BOXES, BOXES[::-1], "xyxy")), rtol=1e-5)


def test_ciou_and_iou_gradients_are_central_differences(float64):
    a, b = BOXES.astype(np.float64), BOXES[::-1].astype(np.float64) + 1.0
    assert fl.gradcheck(lambda p, q: ours.compute_ciou(p, q, "xyxy"), [a, b])
    assert fl.gradcheck(lambda p, q: ours.compute_iou(p, q, "center_xywh"), [_in("center_xywh", a).astype(np.float64),
                                                                            b + 0.5])


@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_deltas_encode_and_decode_as_kerass(encoding, variance):
    anchors, boxes = _in("xywh", BOXES), BOXES[::-1].copy()
    expected = np.asarray(theirs().encode_box_to_deltas(anchors, boxes, "xywh", "xyxy", encoding_format=encoding,
                                                       variance=variance))
    deltas = ours.encode_box_to_deltas(anchors, boxes, "xywh", "xyxy", encoding_format=encoding, variance=variance)
    np.testing.assert_allclose(host(deltas), expected, rtol=1e-5, atol=1e-6)
    # as a tensor: Keras 3.15 on PyTorch cannot multiply NumPy deltas by its variance tensor
    back = np.asarray(theirs().decode_deltas_to_boxes(anchors, real_keras().ops.convert_to_tensor(expected), "xywh",
                                                     "rel_xyxy", encoded_format=encoding, variance=variance,
                                                     image_shape=(H, W, 3)))
    ours_back = ours.decode_deltas_to_boxes({"p3": anchors}, {"p3": host(deltas)}, "xywh", "rel_xyxy",
                                            encoded_format=encoding, variance=variance, image_shape=(H, W, 3))
    np.testing.assert_allclose(host(ours_back["p3"]), back, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(back, _in("rel_xyxy", boxes), rtol=1e-4, atol=1e-5)  # the boxes encoded


@pytest.mark.parametrize("call, error, words", [
    (lambda: ours.convert_format(BOXES, "xyxy", "corners"), ConfigError, "target='corners'"),
    (lambda: ours.convert_format(BOXES, "xyxy", "rel_xyxy"), ConfigError, "needs the image's size"),
    (lambda: ours.convert_format(BOXES[:, :3], "xyxy", "xywh"), ShapeError, "four numbers each"),
    (lambda: ours.convert_format({"bbox": BOXES}, "xyxy", "xywh"), ConfigError, "under 'boxes'"),
    (lambda: ours.clip_to_image_size(BOXES, height=H, width=W), ConfigError, "takes a dict"),
    (lambda: ours.clip_to_image_size({"boxes": BOXES}), ConfigError, "pass height= and width="),
    (lambda: ours.crop(BOXES, 0, 0, 5, 5, bounding_box_format="rel_xywh"), ConfigError, "absolute format"),
    (lambda: ours.compute_iou(BOXES[0], BOXES, "xyxy"), ShapeError, "(N, 4) or (batch, N, 4)"),
    (lambda: ours.compute_iou(BOXES, BOXES, "rel_xyxy"), ConfigError, "pass image_shape"),
    (lambda: ours.affine_transform(BATCH, *([np.zeros(3)] * 6), height=H, width=W), ShapeError, "one value per image"),
    (lambda: ours.encode_box_to_deltas(BOXES, BOXES, "xyxy", "xyxy", variance=[1, 2]), ShapeError, "four numbers"),
    (lambda: ours.decode_deltas_to_boxes(BOXES, BOXES, "xyxy", "xyxy", encoded_format="xyxy"), ConfigError,
     "'center_yxhw'"),
    (lambda: ours.encode_box_to_deltas(BOXES, BOXES, "xyxy", "rel_xyxy"), ConfigError, "pass image_shape"),
    (lambda: ours.decode_deltas_to_boxes(BOXES, BOXES, "xyxy", "xyxy", image_shape=(H, W)), ShapeError,
     "(height, width, channels)"),
])
def test_bad_input_is_one_sentence(call, error, words):
    with pytest.raises(error, match=None) as caught:
        call()
    assert words in str(caught.value) and str(caught.value).count(". ") == 0


_corner = st.floats(-50, 150, allow_nan=False, width=32)
_size = st.floats(0.5, 80, allow_nan=False, width=32)
_boxes = st.lists(st.tuples(_corner, _corner, _size, _size), min_size=1, max_size=4).map(
    lambda rows: np.array([[x, y, x + w, y + h] for x, y, w, h in rows], np.float32))


@settings(max_examples=40, deadline=None)
@given(_boxes, st.sampled_from(FORMATS), st.sampled_from(FORMATS))
def test_a_conversion_and_back_gives_the_boxes_again(boxes, source, target):
    given_boxes = host(ours.convert_format(boxes, "xyxy", source, height=H, width=W))
    there = ours.convert_format(given_boxes, source, target, height=H, width=W)
    back = host(ours.convert_format(there, target, "xyxy", height=H, width=W))
    np.testing.assert_allclose(back, boxes, rtol=1e-5, atol=1e-3)


@settings(max_examples=40, deadline=None)
@given(_boxes, _boxes)
def test_iou_is_symmetric_in_zero_one_and_one_for_a_box_with_itself(a, b):
    ab, ba = host(ours.compute_iou(a, b, "xyxy")), host(ours.compute_iou(b, a, "xyxy"))
    np.testing.assert_allclose(ab, ba.T, rtol=1e-6, atol=1e-7)
    assert ab.shape == (len(a), len(b)) and (ab >= 0).all() and (ab <= 1).all()
    np.testing.assert_allclose(np.diag(host(ours.compute_iou(a, a, "xyxy"))), 1.0, rtol=1e-5)
    # CIoU is at most the IoU of the same pair: its penalties (centres, aspect ratios) are never negative
    pairs = min(len(a), len(b))
    ciou = host(ours.compute_ciou(a[:pairs], b[:pairs], "xyxy"))
    assert (ciou <= np.diag(ab[:pairs, :pairs]) + 1e-5).all()
