"""The Resizing layer and its op: Keras 3's pixels for every interpolation and aspect-ratio mode, gradients against
central finite differences and PyTorch, a model holding it saved and loaded, and the settings it refuses."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import backend, keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.nn.image import resize, resize_plan, resize_weights

RNG = np.random.default_rng(11)


def host(array):
    return backend.to_numpy(array)


def test_bilinear_weights_are_half_pixel_centres_held_at_the_edges():
    # up by 2: output pixel centres at 0.25 and 0.75 of each input pixel; the outer ones read the edge pixel alone
    np.testing.assert_allclose(resize_weights(2, 4), [[1, 0], [0.75, 0.25], [0.25, 0.75], [0, 1]])
    # down by 2 without antialias: each output pixel is the mean of the two input pixels around its centre
    np.testing.assert_allclose(resize_weights(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    # area: an output pixel spanning 1.5 input pixels averages them by their overlap
    np.testing.assert_allclose(resize_weights(3, 2, "area"), [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]])
    np.testing.assert_array_equal(resize_weights(5, 5, "bicubic"), np.eye(5))  # an axis that keeps its size
    for method in ("bilinear", "bicubic", "lanczos3", "lanczos5", "area", "nearest"):
        np.testing.assert_allclose(resize_weights(7, 3, method).sum(axis=1), 1.0)


def test_crop_and_pad_follow_keras_integer_arithmetic():
    # 4 × 10 to a square: crop the centre 4 × 4 (columns 3..6); pad the rows by 3 on each side to 10 × 10
    rows, cols, bias = resize_plan(4, 10, (4, 4), crop=True)
    np.testing.assert_array_equal(rows, np.eye(4))
    np.testing.assert_array_equal(cols, np.eye(10)[3:7])
    rows, cols, bias = resize_plan(4, 10, (10, 10), pad=True, fill_value=2.0)
    np.testing.assert_array_equal(rows[3:7], np.eye(4))
    assert not rows[:3].any() and not rows[7:].any()
    np.testing.assert_array_equal(bias[[0, 1, 2, 7, 8, 9]], 2.0)
    assert not bias[3:7].any()
    assert not rows.flags.writeable  # the cached plan cannot be changed by a caller


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("interpolation,crop,pad,size", [
    ("bilinear", False, False, (4, 6)), ("nearest", False, False, (9, 3)), ("bicubic", False, False, (4, 6)),
    ("lanczos3", False, False, (9, 3)), ("bilinear", True, False, (9, 3)), ("nearest", True, False, (4, 6)),
    ("bilinear", False, True, (4, 6)), ("bicubic", False, True, (9, 3)),
], ids=["bilinear", "nearest", "bicubic", "lanczos3", "bilinear-crop", "nearest-crop", "bilinear-pad", "bicubic-pad"])
def test_resizing_gives_keras_pixels(interpolation, crop, pad, size):
    real = real_keras()
    x = (RNG.random((2, 7, 5, 3)) * 255).astype(np.float32)
    kwargs = dict(interpolation=interpolation, crop_to_aspect_ratio=crop, pad_to_aspect_ratio=pad, fill_value=3.0)
    theirs = np.asarray(real.layers.Resizing(*size, **kwargs)(x))
    ours = keras.layers.Resizing(*size, **kwargs)(x)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(host(ours.data), theirs, rtol=1e-5, atol=2e-3)  # float32 rounding of 0..255


def test_antialias_and_a_single_image_give_keras_pixels():
    real = real_keras()
    x = (RNG.random((9, 12, 2)) * 255).astype(np.float32)
    for interpolation in ("bilinear", "bicubic"):
        theirs = np.asarray(real.layers.Resizing(4, 5, interpolation=interpolation, antialias=True)(x))
        ours = keras.layers.Resizing(4, 5, interpolation=interpolation, antialias=True)(x)
        assert ours.shape == (4, 5, 2)  # one (H, W, C) image in, one out, as Keras
        np.testing.assert_allclose(host(ours.data), theirs, rtol=1e-5, atol=2e-3)


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic", "nearest", "area"])
@pytest.mark.parametrize("crop,pad", [(False, False), (True, False), (False, True)], ids=["stretch", "crop", "pad"])
def test_resize_gradients_match_central_differences(interpolation, crop, pad):
    x = RNG.normal(size=(2, 4, 6, 2))
    for size in ((3, 8), (5, 5)):
        weights = fl.tensor(RNG.normal(size=(2, *size, 2)))
        assert fl.gradcheck(lambda a, size=size, w=weights: resize(a, size, interpolation, crop, pad, 0.5) * w,
                            [x], atol=1e-8, rtol=1e-7)


def test_bilinear_resize_matches_pytorch_values_and_gradients():
    torch = pytest.importorskip("torch")
    x = RNG.normal(size=(2, 5, 4, 3))
    for size, mode, ours_mode in (((8, 3), "bilinear", "bilinear"), ((3, 7), "bilinear", "bilinear"),
                                  ((7, 2), "nearest-exact", "nearest")):
        xs = fl.tensor(x, requires_grad=True)
        out = resize(xs, size, ours_mode)
        g = RNG.normal(size=out.shape)
        (out * fl.tensor(g)).sum().backward()
        xt = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
        kwargs = {"align_corners": False} if mode == "bilinear" else {}
        ot = torch.nn.functional.interpolate(xt, size=size, mode=mode, **kwargs)
        (ot * torch.tensor(g.transpose(0, 3, 1, 2))).sum().backward()
        np.testing.assert_allclose(out.numpy(), ot.detach().numpy().transpose(0, 2, 3, 1), atol=1e-12)
        np.testing.assert_allclose(host(xs.grad), xt.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)


def test_a_model_with_resizing_trains_saves_and_loads(tmp_path):
    fl.set_seed(0)
    model = keras.Sequential([keras.Input(shape=(9, 7, 1)),
                              keras.layers.Resizing(4, 4, interpolation="bicubic", crop_to_aspect_ratio=True,
                                                    name="resize"),
                              keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    assert model.output_shape == (None, 2)
    model.compile("adam", "sparse_categorical_crossentropy")
    x, y = RNG.random((6, 9, 7, 1)), np.arange(6) % 2
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    layer = loaded.get_layer("resize")
    assert type(layer).__name__ == "Resizing"
    assert (layer.height, layer.width, layer.interpolation, layer.crop_to_aspect_ratio) == (4, 4, "bicubic", True)
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)


@pytest.mark.parametrize("kwargs,error,words", [
    (dict(height=0, width=3), ConfigError, ["size", "positive integer"]),
    (dict(height=3, width=3, interpolation="gaussian"), ConfigError, ["'gaussian'", "gaussian or mitchellcubic"]),
    (dict(height=3, width=3, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ConfigError, ["choose one"]),
    (dict(height=3, width=3, fill_mode="reflect"), ConfigError, ["fill_mode", "constant"]),
    (dict(height=3, width=3, data_format="channels_first"), ConfigError, ["channels_last"]),
    (dict(height=3, width=3, antialias="yes"), ConfigError, ["antialias", "True or False"]),
])
def test_bad_resizing_settings_are_refused(kwargs, error, words):
    with pytest.raises(error) as info:
        keras.layers.Resizing(**kwargs)
    for word in words:
        assert word in str(info.value)


def test_resizing_flat_rows_says_it_takes_images():
    with pytest.raises(ShapeError, match=r"takes images of shape \(batch, height, width, channels\)"):
        keras.layers.Resizing(2, 2)(np.ones((3, 4)))
