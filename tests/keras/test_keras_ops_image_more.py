"""The rest of ``keras.ops.image`` (fnlearn.keras.ops_image_more): each op's values compared with real Keras 3's
for the same inputs, its gradient with central differences in float64, and bad input refused in one sentence
before anything is computed."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import ops

RNG = np.random.default_rng(5)
RGB = RNG.random((2, 5, 6, 3)).astype(np.float32)
RGB[0, 0, 0] = [0.3, 0.3, 0.3]  # a gray: no hue
RGB[0, 0, 1] = [0.0, 0.0, 0.0]  # black: no saturation
RGB[0, 0, 2] = [0.9, 0.2, 0.9]  # red and blue tied for the largest
RGB[0, 0, 3] = [0.2, 0.9, 0.9]  # green and blue tied
RGB[0, 0, 4] = [0.9, 0.1, 0.5]  # red largest, blue above green: a hue just below 1
HSV = np.concatenate([RNG.uniform(-0.5, 1.5, (2, 5, 6, 1)), RNG.random((2, 5, 6, 2))], -1).astype(np.float32)
IMAGES = RNG.normal(size=(2, 7, 8, 3)).astype(np.float32)
# no read lands on a half pixel, where nearest's rounding differs between Keras's backends (see below)
TRANSFORMS = np.array([[1.231, 0.317, -1.713, -0.219, 0.937, 1.371, 0, 0],
                       [0.837, -0.443, 2.219, 0.533, 1.131, -2.639, 0, 0]], np.float32)
START = np.array([[[0, 0], [7, 0], [0, 6], [7, 6]], [[0, 0], [7, 0], [0, 6], [7, 6]]], np.float32)
END = np.array([[[1, 0.5], [6.5, -0.5], [0.3, 6.2], [7.4, 5.1]], [[-1, 1], [8, 0], [1, 5.5], [6, 7]]], np.float32)


def _close(mine, theirs, atol=1e-5):
    theirs = np.asarray(theirs)
    assert mine.shape == theirs.shape
    np.testing.assert_allclose(mine.numpy(), theirs, rtol=1e-5, atol=atol)


# (id, the call given the ops module: fnlearn's or real Keras's); values compared with real Keras on PyTorch
CASES = [
    ("rgb_to_grayscale", lambda o: o.image.rgb_to_grayscale(RGB)),
    ("rgb_to_grayscale_one_image", lambda o: o.image.rgb_to_grayscale(RGB[0])),
    ("rgb_to_grayscale_one_channel", lambda o: o.image.rgb_to_grayscale(RGB[..., :1])),
    ("rgb_to_hsv", lambda o: o.image.rgb_to_hsv(RGB)),
    ("rgb_to_hsv_one_image", lambda o: o.image.rgb_to_hsv(RGB[1])),
    ("rgb_to_hsv_float64", lambda o: o.image.rgb_to_hsv(RGB.astype(np.float64))),
    ("hsv_to_rgb", lambda o: o.image.hsv_to_rgb(HSV)),
    ("hsv_round_trip", lambda o: o.image.hsv_to_rgb(o.image.rgb_to_hsv(RGB))),
    ("pad_images", lambda o: o.image.pad_images(IMAGES, 1, 2, target_height=10, target_width=12)),
    ("pad_images_bottom_right", lambda o: o.image.pad_images(IMAGES[0], bottom_padding=3, right_padding=1,
                                                             target_height=11, target_width=9)),
    ("pad_images_sides", lambda o: o.image.pad_images(IMAGES, 0, 2, 3, 1)),
    ("crop_images", lambda o: o.image.crop_images(IMAGES, 1, 2, target_height=4, target_width=3)),
    ("crop_images_bottom_right", lambda o: o.image.crop_images(IMAGES[1], bottom_cropping=2, right_cropping=1,
                                                               target_height=5, target_width=6)),
    ("crop_images_sides", lambda o: o.image.crop_images(IMAGES, 1, 0, 2, 3)),
    ("gaussian_blur", lambda o: o.image.gaussian_blur(IMAGES, data_format="channels_last")),
    ("gaussian_blur_5x5", lambda o: o.image.gaussian_blur(IMAGES, (5, 5), (0.7, 1.9), data_format="channels_last")),
    ("gaussian_blur_one_image", lambda o: o.image.gaussian_blur(IMAGES[0], (3, 3), (2.0, 0.5),
                                                                data_format="channels_last")),
    ("sobel_edges", lambda o: o.image.sobel_edges(IMAGES)),
    ("affine_bilinear_constant", lambda o: o.image.affine_transform(IMAGES, TRANSFORMS.copy(), fill_value=0.5)),
    ("affine_nearest_reflect", lambda o: o.image.affine_transform(IMAGES, TRANSFORMS.copy(), "nearest", "reflect")),
    ("affine_wrap", lambda o: o.image.affine_transform(IMAGES, TRANSFORMS.copy(), fill_mode="wrap")),
    ("affine_nearest_fill", lambda o: o.image.affine_transform(IMAGES[0], TRANSFORMS[1].copy(), fill_mode="nearest")),
    ("perspective", lambda o: o.image.perspective_transform(IMAGES, START, END)),
    ("perspective_one_image_nearest", lambda o: o.image.perspective_transform(IMAGES[0], START[0], END[1],
                                                                              "nearest", fill_value=2.0)),
    ("ssim", lambda o: o.image.ssim(RGB, RGB[::-1], filter_size=5)),
    ("ssim_one_image", lambda o: o.image.ssim(RGB[0] * 255, np.clip(RGB[0] * 255 + 9, 0, 255), max_val=255.0,
                                              filter_size=3, filter_sigma=0.8, k1=0.02, k2=0.05)),
    ("ssim_default_window", lambda o: o.image.ssim(np.tile(RGB, (1, 3, 2, 1)), np.tile(RGB[::-1], (1, 3, 2, 1)))),
]


@pytest.mark.parametrize("call", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_values_match_real_keras(call):
    real = real_keras()
    _close(call(ops), call(real.ops))


SCALABLE = RNG.normal(size=(2, 9, 7, 2)).astype(np.float32)


@pytest.mark.parametrize("method", ["linear", "bicubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [True, False])
def test_scale_and_translate_matches_real_keras(method, antialias):
    real = real_keras()
    for shape, scale, shift in (((2, 4, 12, 2), [0.45, 1.7], [0.3, -1.2]), ((2, 9, 3, 2), [1.0, 0.4], [0.0, 0.6])):
        args = (SCALABLE, shape, np.array(scale, np.float32), np.array(shift, np.float32), (1, 2), method, antialias)
        _close(ops.image.scale_and_translate(*args), real.ops.image.scale_and_translate(*args))
    plane = SCALABLE[0, :, :, 0]  # any axes: here a plane's columns only
    args = (plane, (9, 5), np.array([0.8], np.float32), np.array([0.25], np.float32), (-1,), method, antialias)
    _close(ops.image.scale_and_translate(*args), real.ops.image.scale_and_translate(*args))


VOLUMES = RNG.normal(size=(2, 6, 5, 7, 2)).astype(np.float32)


@pytest.mark.parametrize("kwargs", [{"size": 2}, {"size": (3, 2, 2), "strides": (1, 2, 3)},
                                    {"size": (2, 3, 2), "padding": "same"},
                                    {"size": 2, "strides": 1, "dilation_rate": (2, 1, 2)}], ids=str)
def test_extract_patches_3d_matches_real_keras(kwargs):
    real = real_keras()
    _close(ops.image.extract_patches_3d(VOLUMES, **kwargs), real.ops.image.extract_patches_3d(VOLUMES, **kwargs))
    _close(ops.image.extract_patches_3d(VOLUMES[1], **kwargs), real.ops.image.extract_patches_3d(VOLUMES[1],
                                                                                                    **kwargs))


MAP_INPUTS = RNG.normal(size=(4, 5)).astype(np.float32)
MAP_POINTS = RNG.uniform(-6, 10, size=(2, 3, 7)).astype(np.float32)
VOLUME = RNG.normal(size=(3, 4, 2)).astype(np.float32)
VOLUME_POINTS = RNG.uniform(-3, 6, size=(3, 11)).astype(np.float32)


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_map_coordinates_matches_real_keras(order, fill_mode):
    real = real_keras()
    for inputs, points in ((MAP_INPUTS, MAP_POINTS), (VOLUME, VOLUME_POINTS)):
        theirs = real.ops.image.map_coordinates(inputs, points, order, fill_mode, fill_value=-3.0)
        _close(ops.image.map_coordinates(inputs, points, order, fill_mode, fill_value=-3.0), theirs)


@pytest.mark.keras_backend("jax")
def test_gaussian_blur_of_an_uneven_kernel_matches_real_keras_on_jax():
    """Keras on JAX reads kernel_size and sigma as (along the width, along the height) and pads "same"; on
    PyTorch an uneven kernel comes out another size, so fnlearn follows JAX."""
    real = real_keras()
    for size, sigma in (((5, 3), (1.5, 0.6)), ((2, 4), (0.8, 1.2))):
        theirs = real.ops.image.gaussian_blur(IMAGES, size, sigma, data_format="channels_last")
        _close(ops.image.gaussian_blur(IMAGES, size, sigma), theirs)


@pytest.mark.keras_backend("jax")
def test_nearest_reads_round_halves_away_from_zero_as_keras_on_jax():
    real = real_keras()
    halves = np.array([[-0.5, 0.5, 1.5, 2.5, 3.5]], np.float32)
    values = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    theirs = real.ops.image.map_coordinates(values, halves, 0, "constant", -1.0)
    mine = ops.image.map_coordinates(values, halves, 0, "constant", -1.0)
    _close(mine, theirs)
    assert mine.numpy().tolist() == [-1.0, 2.0, 3.0, 4.0, -1.0]


def test_known_values():
    """Numbers worked by hand, so that the ops are right where Keras is not there to compare."""
    gray = ops.image.rgb_to_grayscale(np.array([[[0.0, 1.0, 0.0]]]))
    assert gray.numpy().ravel().tolist() == [0.587]
    hsv = ops.image.rgb_to_hsv(np.array([[[0.0, 0.0, 1.0], [1.0, 0.0, 0.5]]]))
    np.testing.assert_allclose(hsv.numpy()[0], [[2 / 3, 1.0, 1.0], [11 / 12, 1.0, 1.0]])
    edges = ops.image.sobel_edges(np.arange(16.0).reshape(1, 4, 4, 1))  # a ramp: +1 a column, +4 a row
    assert edges.numpy()[0, 1:3, 1:3, 0].tolist() == [[[32.0, 8.0]] * 2] * 2
    blurred = ops.image.gaussian_blur(np.ones((1, 5, 5, 1)), (3, 3), (1.0, 1.0))
    assert np.isclose(blurred.numpy()[0, 2, 2, 0], 1.0) and blurred.numpy()[0, 0, 0, 0] < 1.0  # zeros around
    padded = ops.image.pad_images(np.ones((1, 2, 2, 1)), 1, 1, 0, 0)
    assert padded.shape == (1, 3, 3, 1) and padded.numpy().sum() == 4.0
    assert float(ops.image.ssim(RGB[0], RGB[0], filter_size=5)) == pytest.approx(1.0)
    points = fl.tensor(np.array([[1.25]]))
    assert ops.image.map_coordinates(np.array([0.0, 4.0, 8.0]), points, 1).numpy().tolist() == [5.0]


def _weighted(fn, seed=0):
    """``fn`` times fixed random weights, so that gradcheck (which sums the output) sees every output."""
    def weighted(*tensors):
        out = fn(*tensors)
        return out * fl.tensor(np.random.default_rng(seed).normal(size=out.shape))
    return weighted


def _away_from_kinks(x, step=0.05):
    """Values moved away from multiples of ``step``, where a finite difference could cross a kink."""
    x = np.asarray(x, np.float64)
    offset = np.mod(x, step)
    return np.where(offset < 0.01, x + 0.015, np.where(offset > step - 0.01, x - 0.015, x))


GRADIENT_CASES = [
    ("rgb_to_grayscale", lambda x: ops.image.rgb_to_grayscale(x), [RGB]),
    ("rgb_to_hsv", lambda x: ops.image.rgb_to_hsv(x), [RNG.uniform(0.05, 0.95, (1, 3, 4, 3))]),
    ("hsv_to_rgb", lambda x: ops.image.hsv_to_rgb(x), [_away_from_kinks(RNG.uniform(-0.4, 1.4, (1, 3, 4, 3)),
                                                                        1 / 6)]),
    ("pad_images", lambda x: ops.image.pad_images(x, 1, 0, 2, 3), [IMAGES[:1, :3, :4]]),
    ("crop_images", lambda x: ops.image.crop_images(x, 1, 2, target_height=3, target_width=2), [IMAGES[:1]]),
    ("gaussian_blur", lambda x: ops.image.gaussian_blur(x, (3, 5), (0.9, 1.4)), [IMAGES[:1, :5, :6]]),
    ("sobel_edges", lambda x: ops.image.sobel_edges(x), [IMAGES[:1, :4, :5]]),
    ("affine_transform", lambda x: ops.image.affine_transform(x, TRANSFORMS, fill_mode="reflect"), [IMAGES[:, :4]]),
    ("perspective_transform", lambda x: ops.image.perspective_transform(x, START, END), [IMAGES[:, :4, :5]]),
    ("map_coordinates_both", lambda x, c: ops.image.map_coordinates(x, c, 1, "mirror"),
     [MAP_INPUTS, _away_from_kinks(MAP_POINTS, 1.0)]),
    ("map_coordinates_nearest", lambda x: ops.image.map_coordinates(x, MAP_POINTS, 0, "wrap"), [MAP_INPUTS]),
    ("scale_and_translate", lambda x: ops.image.scale_and_translate(x, (1, 3, 6, 2), [0.6, 1.4], [0.2, -0.3],
                                                                    (1, 2), "cubic"), [SCALABLE[:1, :5, :4]]),
    ("extract_patches_3d", lambda x: ops.image.extract_patches_3d(x, 2, strides=1), [VOLUMES[:1, :3, :3, :4]]),
    ("ssim_both", lambda a, b: ops.image.ssim(a, b, filter_size=3), [RGB[:, :4, :4], RGB[::-1, :4, :4]]),
]


@pytest.mark.parametrize("fn,inputs", [c[1:] for c in GRADIENT_CASES], ids=[c[0] for c in GRADIENT_CASES])
def test_gradients_against_central_differences(fn, inputs):
    assert fl.gradcheck(_weighted(fn), [np.asarray(x, np.float64) for x in inputs], atol=1e-7, rtol=1e-5)


def test_coordinates_gradient_is_the_slope_between_neighbours():
    values = fl.tensor(np.array([1.0, 4.0, 2.0]))
    points = fl.tensor(np.array([[0.3, 1.6]]), requires_grad=True)
    ops.image.map_coordinates(values, points, 1).sum().backward()
    assert points.grad.tolist() == [[3.0, -2.0]]


def _one_sentence(error):
    message = str(error.value)
    assert message.endswith(".") and re.search(r"[.;] [A-Z]", message) is None, message
    return message


BAD = [
    ("grayscale_rank", ShapeError, lambda: ops.image.rgb_to_grayscale(np.ones((4, 4))), "(4, 4)"),
    ("grayscale_channels", ShapeError, lambda: ops.image.rgb_to_grayscale(np.ones((4, 4, 2))), "3 channels"),
    ("hsv_channels", ShapeError, lambda: ops.image.rgb_to_hsv(np.ones((1, 4, 4, 4))), "3 channels"),
    ("rgb_channels", ShapeError, lambda: ops.image.hsv_to_rgb(np.ones((4, 4, 1))), "3 channels"),
    ("channels_first", ConfigError, lambda: ops.image.rgb_to_hsv(RGB, data_format="channels_first"),
     "channels_first"),
    ("pad_three_given", ConfigError, lambda: ops.image.pad_images(IMAGES, 1, 1, 1, 1, target_height=3), "two of"),
    ("pad_none_given", ConfigError, lambda: ops.image.pad_images(IMAGES, left_padding=1, right_padding=1),
     "two of"),
    ("pad_negative", ConfigError, lambda: ops.image.pad_images(IMAGES, -1, 0, 0, 0), "top_padding=-1"),
    ("pad_target_too_small", ShapeError, lambda: ops.image.pad_images(IMAGES, 1, 0, target_height=3,
                                                                       right_padding=0), "target_height=3"),
    ("crop_too_much", ShapeError, lambda: ops.image.crop_images(IMAGES, 5, 0, 3, 0), "height of -1"),
    ("crop_past_the_edge", ShapeError, lambda: ops.image.crop_images(IMAGES, 4, 0, target_height=4,
                                                                      right_cropping=0), "bottom_cropping"),
    ("crop_float", ConfigError, lambda: ops.image.crop_images(IMAGES, 1.5, 0, 1, 0), "1.5"),
    ("blur_kernel", ConfigError, lambda: ops.image.gaussian_blur(IMAGES, (0, 3)), "kernel_size"),
    ("blur_sigma", ConfigError, lambda: ops.image.gaussian_blur(IMAGES, 3, (1.0, -1.0)), "sigma"),
    ("sobel_one_image", ShapeError, lambda: ops.image.sobel_edges(IMAGES[0]), "batch"),
    ("affine_mode", ConfigError, lambda: ops.image.affine_transform(IMAGES, TRANSFORMS, fill_mode="mirror"),
     "'mirror'"),
    ("affine_interpolation", ConfigError, lambda: ops.image.affine_transform(IMAGES, TRANSFORMS, "bicubic"),
     "'bicubic'"),
    ("affine_transform_shape", ShapeError, lambda: ops.image.affine_transform(IMAGES, np.ones(6)), "(6,)"),
    ("affine_projective", ConfigError, lambda: ops.image.affine_transform(IMAGES, [1, 0, 0, 0, 1, 0, 0.1, 0]),
     "c0, c1"),
    ("map_order", ConfigError, lambda: ops.image.map_coordinates(MAP_INPUTS, MAP_POINTS, 3), "order=3"),
    ("map_mode", ConfigError, lambda: ops.image.map_coordinates(MAP_INPUTS, MAP_POINTS, 1, "edge"), "'edge'"),
    ("map_fill", ConfigError, lambda: ops.image.map_coordinates(MAP_INPUTS, MAP_POINTS, 1, fill_value=np.nan),
     "fill_value"),
    ("map_points", ShapeError, lambda: ops.image.map_coordinates(MAP_INPUTS, VOLUME_POINTS, 1), "(3, 11)"),
    ("perspective_points", ShapeError, lambda: ops.image.perspective_transform(IMAGES, START[:, :3], END[:, :3]),
     "(2, 3, 2)"),
    ("perspective_shapes", ShapeError, lambda: ops.image.perspective_transform(IMAGES, START, END[0]), "one shape"),
    ("hsv_of_integers", ConfigError, lambda: ops.image.rgb_to_hsv(np.ones((4, 4, 3), np.uint8)), "uint8"),
    ("rgb_of_integers", ConfigError, lambda: ops.image.hsv_to_rgb([[[1, 0, 1]]]), "int64"),
    ("scale_method", ConfigError, lambda: ops.image.scale_and_translate(SCALABLE, (2, 4, 4, 2), [1, 1], [0, 0],
                                                                        (1, 2), "nearest"), "'nearest'"),
    ("scale_shape", ShapeError, lambda: ops.image.scale_and_translate(SCALABLE, (4, 4), [1, 1], [0, 0], (1, 2),
                                                                       "linear"), "(4, 4)"),
    ("scale_other_axis", ShapeError, lambda: ops.image.scale_and_translate(SCALABLE, (3, 4, 4, 2), [1, 1], [0, 0],
                                                                            (1, 2), "linear"), "(3, 4, 4, 2)"),
    ("scale_dims", ConfigError, lambda: ops.image.scale_and_translate(SCALABLE, (2, 4, 4, 2), [1, 1], [0, 0],
                                                                       (1, 1), "linear"), "(1, 1)"),
    ("scale_zero", ConfigError, lambda: ops.image.scale_and_translate(SCALABLE, (2, 4, 4, 2), [0, 1], [0, 0],
                                                                       (1, 2), "linear"), "number > 0"),
    ("scale_count", ConfigError, lambda: ops.image.scale_and_translate(SCALABLE, (2, 4, 4, 2), [1, 1], [0],
                                                                        (1, 2), "linear"), "translation"),
    ("scale_with_grad", ConfigError, lambda: ops.image.scale_and_translate(
        SCALABLE, (2, 4, 4, 2), fl.tensor([1.0, 1.0], requires_grad=True), [0, 0], (1, 2), "linear"), "constant"),
    ("patches_3d_rank", ShapeError, lambda: ops.image.extract_patches_3d(IMAGES[0], 2), "(7, 8, 3)"),
    ("patches_3d_size", ConfigError, lambda: ops.image.extract_patches_3d(VOLUMES, (2, 2)), "triple"),
    ("ssim_shapes", ShapeError, lambda: ops.image.ssim(RGB, RGB[:, :4]), "same size"),
    ("ssim_even_filter", ConfigError, lambda: ops.image.ssim(RGB, RGB, filter_size=4), "odd"),
    ("ssim_filter_too_large", ShapeError, lambda: ops.image.ssim(RGB, RGB), "filter_size of 11"),
]


@pytest.mark.parametrize("error,call,words", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_is_refused_in_one_sentence(error, call, words):
    with pytest.raises(error) as raised:
        call()
    assert words in _one_sentence(raised)


def test_the_module_lists_every_op_and_names_them_for_a_missing_one():
    from fnlearn.keras import ops_image

    for name in ("rgb_to_grayscale", "hsv_to_rgb", "pad_images", "sobel_edges", "map_coordinates", "ssim",
                 "scale_and_translate", "extract_patches_3d", "perspective_transform"):
        assert name in ops_image.__all__ and callable(getattr(ops.image, name))
    with pytest.raises(AttributeError, match="ssim"):
        ops.image.no_such_op  # noqa: B018
