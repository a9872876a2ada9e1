"""keras.preprocessing.image: Keras's old home of the single-image helpers, and smart_resize's pixels."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import utils
from fnlearn.keras.preprocessing import image

RNG = np.random.default_rng(8)


def test_the_helpers_are_keras_utils_own():
    assert [getattr(image, n) for n in ("load_img", "img_to_array", "array_to_img", "save_img")] == \
        [utils.load_img, utils.img_to_array, utils.array_to_img, utils.save_img]


# sizes whose resampling Keras's backends agree on: a crop alone, or a whole factor down (bilinear, nearest)
@pytest.mark.parametrize("shape, size, interpolation", [
    ((6, 10, 3), (6, 6), "bilinear"),
    ((10, 6, 2), (4, 6), "nearest"),
    ((2, 8, 12, 3), (4, 4), "bilinear"),
    ((2, 9, 7, 1), (3, 7), "nearest"),
])
def test_smart_resize_gives_keras_pixels(shape, size, interpolation):
    real = real_keras()
    x = RNG.normal(size=shape).astype(np.float32)
    ours = image.smart_resize(x, size, interpolation)
    theirs = np.asarray(real.preprocessing.image.smart_resize(x, size, interpolation))
    assert isinstance(ours, np.ndarray) and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    first = x.transpose((0, 3, 1, 2) if x.ndim == 4 else (2, 0, 1))
    mine_first = image.smart_resize(first, size, interpolation, data_format="channels_first")
    np.testing.assert_allclose(mine_first, np.asarray(real.preprocessing.image.smart_resize(
        first, size, interpolation, data_format="channels_first")), rtol=1e-5, atol=1e-6)


def test_smart_resize_is_the_resizing_layers_crop_and_differentiable():
    x = RNG.normal(size=(2, 7, 11, 3))
    layer = fl.keras.layers.Resizing(5, 4, interpolation="bicubic", crop_to_aspect_ratio=True, dtype="float64")
    np.testing.assert_allclose(image.smart_resize(x, (5, 4), "bicubic"), layer(x).numpy())
    tensor = fl.tensor(x[0], requires_grad=True)
    out = image.smart_resize(tensor, (5, 4))
    assert isinstance(out, fl.Tensor)
    out.sum().backward()
    assert tensor.grad.shape == (7, 11, 3) and float(abs(tensor.grad).sum()) > 0


def test_smart_resize_refuses_bad_input_in_one_sentence():
    with pytest.raises(ShapeError, match=r"got shape \(4, 4\); add the channels axis"):
        image.smart_resize(np.ones((4, 4)), (2, 2))
    with pytest.raises(ConfigError, match="data_format='nchw'"):
        image.smart_resize(np.ones((4, 4, 1)), (2, 2), data_format="nchw")
