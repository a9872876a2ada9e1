"""Padding, cropping, upsampling and the data augmentation layers: the ops' gradients against central finite
differences and PyTorch, the transforms' geometry, training against inference, the seeded streams, settings that
round-trip, and the mistakes a user makes with them."""

from __future__ import annotations

import json

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend, keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.nn.image import IMAGE, affine_transform, crop2d, upsample2d, zero_pad2d

RNG = np.random.default_rng(3)
AUGMENTATIONS = [lambda **k: fl.layers.RandomFlip(**k), lambda **k: fl.layers.RandomRotation(0.2, **k),
                 lambda **k: fl.layers.RandomZoom(0.3, **k), lambda **k: fl.layers.RandomTranslation(0.2, 0.3, **k),
                 lambda **k: fl.layers.RandomContrast(0.5, **k)]
AUGMENTATION_IDS = ["flip", "rotation", "zoom", "translation", "contrast"]


def host(array):
    return backend.to_numpy(array)


def _transform(rng, n, scale=1.0):
    """Random affine transforms, (n, 8): a mix of rotation, scaling and shifts of a few pixels."""
    t = np.zeros((n, 8))
    t[:, :6] = rng.normal(size=(n, 6)) * [0.6, 0.6, 2.0, 0.6, 0.6, 2.0] * scale + [1, 0, 0, 0, 1, 0]
    return t


# ----------------------------------------------------------------------------- the ops


@pytest.mark.parametrize("padding", [1, (1, 0), ((0, 1), (2, 1))], ids=["int", "pair", "pairs"])
def test_padding_and_cropping_gradients_match_central_differences(padding):
    x = RNG.normal(size=(2, 4, 5, 2))
    weights = fl.tensor(RNG.normal(size=zero_pad2d(fl.tensor(x), padding).shape))
    assert fl.gradcheck(lambda a: zero_pad2d(a, padding) * weights, [x], atol=1e-8, rtol=1e-7)
    weights = fl.tensor(RNG.normal(size=crop2d(fl.tensor(x), padding).shape))
    assert fl.gradcheck(lambda a: crop2d(a, padding) * weights, [x], atol=1e-8, rtol=1e-7)


def test_padding_then_cropping_the_same_sides_gives_the_images_back():
    x = RNG.normal(size=(2, 3, 4, 2))
    padded = zero_pad2d(fl.tensor(x), ((1, 2), (0, 3))).numpy()
    assert padded.shape == (2, 6, 7, 2) and not padded[:, 0].any() and not padded[:, :, 4:].any()
    np.testing.assert_array_equal(crop2d(fl.tensor(padded), ((1, 2), (0, 3))).numpy(), x)
    assert zero_pad2d(fl.tensor(x), 0).shape == x.shape


@pytest.mark.parametrize("size", [2, (3, 1), (2, 3)], ids=["2", "3x1", "2x3"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_upsampling_gradients_match_central_differences(size, interpolation):
    x = RNG.normal(size=(2, 3, 4, 2))
    weights = fl.tensor(RNG.normal(size=upsample2d(fl.tensor(x), size, interpolation).shape))
    assert fl.gradcheck(lambda a: upsample2d(a, size, interpolation) * weights, [x], atol=1e-8, rtol=1e-7)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_padding_and_upsampling_match_pytorch_values_and_gradients(interpolation):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = RNG.normal(size=(2, 3, 4, 2))
    xs = fl.tensor(x, requires_grad=True)
    out = upsample2d(zero_pad2d(xs, ((1, 0), (2, 1))), (2, 3), interpolation)
    g = RNG.normal(size=out.shape)
    (out * fl.tensor(g)).sum().backward()
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    # torch's bilinear with align_corners=False samples at half-pixel centres and holds the edges, as Keras
    options = {"align_corners": False} if interpolation == "bilinear" else {}
    ref = tf.interpolate(tf.pad(tx, (2, 1, 1, 0)), scale_factor=(2, 3), mode=interpolation, **options)
    (ref * torch.tensor(g.transpose(0, 3, 1, 2))).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(host(xs.grad), tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform_gradients_match_central_differences(fill_mode, interpolation):
    """The resampling is linear in the images (the positions are fixed): its gradient adds each output's
    gradient back to the pixels it read, with their shares, several reads of one pixel included."""
    x = RNG.normal(size=(2, 4, 5, 2))
    transform = _transform(RNG, 2)
    weights = fl.tensor(RNG.normal(size=x.shape))
    assert fl.gradcheck(lambda a: affine_transform(a, transform, interpolation, fill_mode, 0.5) * weights, [x],
                        atol=1e-8, rtol=1e-7)


def test_affine_transform_geometry_of_each_fill_mode():
    row = fl.tensor(np.arange(1.0, 5.0).reshape(1, 1, 4, 1))
    far_left = [1, 0, -6, 0, 1, 0, 0, 0]  # output column x reads input column x − 6, outside the row
    expected = {"reflect": [3.0, 4.0, 4.0, 3.0], "wrap": [3.0, 4.0, 1.0, 2.0], "nearest": [1.0, 1.0, 1.0, 1.0],
                "constant": [9.0, 9.0, 9.0, 9.0]}
    for mode, values in expected.items():
        out = affine_transform(row, far_left, "nearest", mode, fill_value=9.0)
        assert out.numpy()[0, 0, :, 0].tolist() == values, mode
    # half a pixel to the right: the mean of neighbours, the border blended with constant's fill value
    half = affine_transform(row, [1, 0, 0.5, 0, 1, 0, 0, 0], "bilinear", "constant", fill_value=0.0)
    assert half.numpy()[0, 0, :, 0].tolist() == [1.5, 2.5, 3.5, 2.0]
    # nearest rounds halves away from zero: 0.5 → 1, 1.5 → 2, −0.5 → −1 (outside)
    rounded = affine_transform(row, [1, 0, 0.5, 0, 1, 0, 0, 0], "nearest", "constant", fill_value=0.0)
    assert rounded.numpy()[0, 0, :, 0].tolist() == [2.0, 3.0, 4.0, 0.0]
    rounded = affine_transform(row, [1, 0, -0.5, 0, 1, 0, 0, 0], "nearest", "constant", fill_value=0.0)
    assert rounded.numpy()[0, 0, :, 0].tolist() == [0.0, 2.0, 3.0, 4.0]


def test_affine_transform_takes_one_transform_per_image_or_one_for_all():
    x = RNG.normal(size=(3, 4, 4, 1))
    transforms = _transform(RNG, 3)
    each = affine_transform(fl.tensor(x), transforms).numpy()
    for i in range(3):
        alone = affine_transform(fl.tensor(x[i:i + 1]), transforms[i]).numpy()
        np.testing.assert_allclose(each[i:i + 1], alone, rtol=1e-12, atol=1e-12)
    identity = affine_transform(fl.tensor(x), [1, 0, 0, 0, 1, 0, 0, 0]).numpy()
    np.testing.assert_array_equal(identity, x)


def test_float32_stays_float32_forward_and_backward():
    x = fl.tensor(RNG.normal(size=(2, 4, 4, 2)).astype(np.float32), requires_grad=True)
    out = affine_transform(upsample2d(crop2d(zero_pad2d(x, 1), 1), 2, "bilinear"), _transform(RNG, 2))
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


# ----------------------------------------------------------------------------- the layers


@pytest.mark.parametrize("make,sample,expected", [
    (lambda: fl.layers.ZeroPadding2D(), (5, 6, 3), (7, 8, 3)),
    (lambda: fl.layers.ZeroPadding2D((1, 2)), (5, 6, 3), (7, 10, 3)),
    (lambda: fl.layers.ZeroPadding2D(((0, 1), (2, 3))), (5, 6, 3), (6, 11, 3)),
    (lambda: fl.layers.Cropping2D(), (5, 6, 3), (5, 6, 3)),
    (lambda: fl.layers.Cropping2D(((1, 0), (2, 3))), (5, 6, 3), (4, 1, 3)),
    (lambda: fl.layers.UpSampling2D(), (5, 6, 3), (10, 12, 3)),
    (lambda: fl.layers.UpSampling2D((1, 3), interpolation="bilinear"), (5, 6, 3), (5, 18, 3)),
    *[(lambda make=make: make(), (5, 6, 3), (5, 6, 3)) for make in AUGMENTATIONS],
])
def test_layers_give_keras_shapes_and_have_no_weights(make, sample, expected):
    layer = make()
    assert layer(RNG.normal(size=(2, *sample)), training=True).shape == (2, *expected)
    assert layer.output_shape_for(sample) == expected and layer.parameters() == []


def test_the_short_names_are_the_same_classes_as_in_keras():
    for module in (fl.layers, keras.layers):
        assert module.MaxPool2D is fl.layers.MaxPooling2D and module.AvgPool2D is fl.layers.AveragePooling2D
        assert module.GlobalAvgPool2D is fl.layers.GlobalAveragePooling2D
        assert module.GlobalMaxPool2D is fl.layers.GlobalMaxPooling2D


@pytest.mark.parametrize("make", AUGMENTATIONS, ids=AUGMENTATION_IDS)
def test_augmentation_is_on_in_training_and_off_in_inference(make):
    layer = make(seed=1)
    x = RNG.uniform(0, 255, size=(8, 6, 6, 3))
    passed = layer(x, training=False)
    assert passed.dtype == np.float32 and np.array_equal(passed.numpy(), x.astype(np.float32))
    assert layer.draws == 0  # nothing drawn in inference
    changed = layer(x, training=True).numpy()
    assert layer.draws == 1 and not np.allclose(changed, x.astype(np.float32))
    layer.eval()
    assert np.array_equal(layer(x).numpy(), x.astype(np.float32)) and layer.draws == 1
    layer.train()
    assert not np.array_equal(layer(x).numpy(), changed)  # the next draw


@pytest.mark.parametrize("make", AUGMENTATIONS, ids=AUGMENTATION_IDS)
def test_augmentation_streams_follow_the_seed_and_resume_from_the_draw_count(make):
    x = RNG.uniform(0, 255, size=(6, 5, 5, 2))
    fl.set_seed(4)
    first = make()
    a1, a2 = first(x).numpy(), first(x).numpy()
    fl.set_seed(4)  # fl.set_seed makes a run repeatable: the layer's seed is drawn from its generator
    again = make()
    assert np.array_equal(again(x).numpy(), a1) and np.array_equal(again(x).numpy(), a2)
    assert first.seed == again.seed and first.get_config()["seed"] == first.seed and first.draws == 2
    resumed = make(seed=first.seed)
    resumed.draws = 1  # a fit resumed after one step continues the stream
    assert np.array_equal(resumed(x).numpy(), a2)
    assert not np.array_equal(make(seed=first.seed + 1)(x).numpy(), a1)


def test_flip_modes_flip_the_axes_keras_flips():
    x = RNG.normal(size=(1, 3, 4, 2))
    flips = {"flips": np.array([True])}
    for mode, axes in (("horizontal", (2,)), ("vertical", (1,)), ("horizontal_and_vertical", (1, 2))):
        out = fl.layers.RandomFlip(mode, dtype="float64").transform_images(x, flips).numpy()
        np.testing.assert_array_equal(out, np.flip(x, axis=axes))
    kept = fl.layers.RandomFlip(dtype="float64").transform_images(x, {"flips": np.array([False])}).numpy()
    np.testing.assert_array_equal(kept, x)


def test_random_draws_have_the_ranges_and_shares_keras_gives_them():
    x = np.zeros((4000, 3, 5, 1))
    flips = fl.layers.RandomFlip(seed=0).get_random_transformation(x)["flips"]
    assert abs(flips.mean() - 0.5) < 0.03
    angles = fl.layers.RandomRotation((-0.1, 0.2), seed=0).get_random_transformation(x)["angle"]
    assert -36.0 <= angles.min() < -35.0 and 71.0 < angles.max() <= 72.0  # degrees: fractions of 360
    zoom = fl.layers.RandomZoom(0.2, seed=0).get_random_transformation(x)
    assert np.array_equal(zoom["height_zoom"], zoom["width_zoom"])  # no width_factor: the aspect ratio is kept
    assert 0.8 <= zoom["height_zoom"].min() < 0.81 and 1.19 < zoom["height_zoom"].max() <= 1.2
    zoom = fl.layers.RandomZoom(0.2, (-0.5, -0.4), seed=0).get_random_transformation(x)
    assert 0.5 <= zoom["width_zoom"].min() and zoom["width_zoom"].max() <= 0.6
    shifts = fl.layers.RandomTranslation((0.0, 0.5), 0.2, seed=0).get_random_transformation(x)["translations"]
    assert shifts.shape == (4000, 2)  # pixels, (width, height): up to 0.2·5 sideways, 0 to 0.5·3 down
    assert -1.0 <= shifts[:, 0].min() < -0.95 and 0.95 < shifts[:, 0].max() <= 1.0
    assert 0.0 <= shifts[:, 1].min() < 0.05 and 1.45 < shifts[:, 1].max() <= 1.5
    contrast = fl.layers.RandomContrast(0.3, seed=0).get_random_transformation(x)["contrast_factor"]
    assert 1.0 <= contrast.min() < 1.01 and 1.29 < contrast.max() <= 1.3  # Keras 3: one number never lowers it
    contrast = fl.layers.RandomContrast((0.3, 0.1), seed=0).get_random_transformation(x)["contrast_factor"]
    assert 0.9 <= contrast.min() < 0.91 and 1.29 < contrast.max() <= 1.3


def test_fixed_transforms_move_pixels_as_expected():
    x = RNG.normal(size=(2, 5, 5, 1))
    turned = fl.layers.RandomRotation((0.25, 0.25), dtype="float64")(x, training=True).numpy()
    np.testing.assert_allclose(turned, np.rot90(x, k=1, axes=(1, 2)), atol=1e-12)  # a quarter turn, exactly
    half = fl.layers.RandomRotation((0.5, 0.5), dtype="float64")(x, training=True).numpy()
    np.testing.assert_allclose(half, np.flip(x, axis=(1, 2)), atol=1e-12)
    down = fl.layers.RandomTranslation((0.4, 0.4), 0.0, fill_mode="constant", fill_value=-1.0, dtype="float64")
    shifted = down(x, training=True).numpy()  # two rows of five down, the top filled
    np.testing.assert_array_equal(shifted[:, 2:], x[:, :3])
    assert (shifted[:, :2] == -1.0).all()
    same = fl.layers.RandomZoom((0.0, 0.0), dtype="float64")(x, training=True).numpy()
    np.testing.assert_array_equal(same, x)


def test_contrast_spreads_each_channel_about_its_mean_and_clips_to_the_value_range():
    x = RNG.uniform(0.2, 0.8, size=(2, 3, 3, 2))
    layer = fl.layers.RandomContrast(0.5, value_range=(0, 1), dtype="float64")
    out = layer.transform_images(x, {"contrast_factor": np.array([1.5, 3.0])}).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    expected = np.clip((x - mean) * np.array([1.5, 3.0]).reshape(2, 1, 1, 1) + mean, 0, 1)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out[1].min() == 0.0 or out[1].max() == 1.0  # a factor of 3 reaches the range's ends


@pytest.mark.parametrize("make,transformation", [
    (lambda: fl.layers.RandomFlip(dtype="float64"), {"flips": np.array([True, False])}),
    (lambda: fl.layers.RandomRotation(0.2, dtype="float64"), {"angle": np.array([17.0, -40.0])}),
    (lambda: fl.layers.RandomZoom(0.3, fill_mode="wrap", dtype="float64"),
     {"height_zoom": np.array([0.8, 1.3]), "width_zoom": np.array([1.1, 0.75])}),
    (lambda: fl.layers.RandomTranslation(0.2, 0.2, fill_mode="constant", interpolation="nearest", dtype="float64"),
     {"translations": np.array([[0.7, -1.2], [1.6, 0.3]])}),
    (lambda: fl.layers.RandomContrast(0.5, value_range=(-10, 10), dtype="float64"),
     {"contrast_factor": np.array([1.4, 0.7])}),
], ids=AUGMENTATION_IDS)
def test_an_augmentation_after_a_trainable_layer_passes_gradients_back(make, transformation):
    """Augmentation usually opens a model, on data; placed after a trainable layer, it must not cut the gradient."""
    layer = make()
    x = RNG.normal(size=(2, 4, 5, 2))
    weights = fl.tensor(RNG.normal(size=x.shape))
    assert fl.gradcheck(lambda a: layer.transform_images(a, transformation) * weights, [x], atol=1e-8, rtol=1e-7)
    conv = fl.layers.Conv2D(2, 3, padding="same", dtype="float64")
    model = fl.Sequential([conv, make()])
    model(x, training=True).sum().backward()
    assert conv.kernel.grad is not None and np.abs(host(conv.kernel.grad)).sum() > 0


def test_every_layer_is_one_a_file_may_name_and_its_settings_round_trip_through_json():
    assert set(IMAGE) <= set(fl.layers.LAYERS)
    made = [fl.layers.ZeroPadding2D(((1, 2), (0, 3)), name="p"), fl.layers.Cropping2D(2, name="c"),
            fl.layers.UpSampling2D((2, 3), interpolation="BILINEAR", name="u"),
            fl.layers.RandomFlip("vertical", seed=3, name="f"),
            fl.layers.RandomRotation(0.1, fill_mode="wrap", interpolation="nearest", seed=4, name="r"),
            fl.layers.RandomZoom((-0.2, 0.3), 0.1, fill_mode="constant", fill_value=0.5, name="z"),
            fl.layers.RandomTranslation(0.1, (0.0, 0.2), input_shape=(8, 8, 3), name="t"),
            fl.layers.RandomContrast(0.3, value_range=(0, 1), dtype="float64", name="k")]
    for layer in made:
        config = json.loads(json.dumps(layer.get_config()))
        again = type(layer).from_config(config)
        assert again.get_config() == layer.get_config(), type(layer).__name__
    assert made[0].get_config()["padding"] == [[1, 2], [0, 3]] and made[1].cropping == ((2, 2), (2, 2))
    assert made[4].get_config()["factor"] == [-0.1, 0.1] and made[7].get_config()["factor"] == [0.0, 0.3]
    contrast = fl.layers.RandomContrast.from_config(made[7].get_config())
    assert contrast.factor == (0.0, 0.3) and contrast.value_range == (0.0, 1.0)


def test_an_augmented_cnn_trains_with_new_transforms_each_step_and_predicts_without_them():
    fl.set_seed(0)
    x = RNG.uniform(0, 255, size=(16, 8, 8, 1)).astype(np.float32)
    y = np.arange(16) % 2
    augmentation = [keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.1),
                    keras.layers.RandomZoom(0.1), keras.layers.RandomTranslation(0.1, 0.1),
                    keras.layers.RandomContrast(0.2)]
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), *augmentation, keras.layers.Rescaling(1 / 255),
                              keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                              keras.layers.MaxPool2D(), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
    assert [layer.draws for layer in augmentation] == [4] * 5  # 12 training images, 2 steps an epoch
    probabilities = model.predict(x, verbose=0)
    assert np.array_equal(model.predict(x, verbose=0), probabilities)  # no augmentation in inference
    model.evaluate(x, y, verbose=0)
    assert [layer.draws for layer in augmentation] == [4] * 5


# ----------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize("call,error,message", [
    (lambda: fl.layers.ZeroPadding2D(-1), ConfigError,
     r"ZeroPadding2D padding must be an integer ≥ 0 for every side, a pair \(rows, columns\) .* got -1\."),
    (lambda: fl.layers.ZeroPadding2D((1, 2, 3)), ConfigError, r"ZeroPadding2D padding must be .* got \(1, 2, 3\)"),
    (lambda: fl.layers.ZeroPadding2D("same"), ConfigError, r"ZeroPadding2D padding must be .* got 'same'"),
    (lambda: fl.layers.Cropping2D(((1, 2), (3,))), ConfigError, r"Cropping2D cropping must be"),
    (lambda: fl.layers.Cropping2D(2)(np.ones((1, 4, 6, 1))), ShapeError,
     r"Cropping2D layer '.*' crops 4 rows \(2 on top, 2 below\) and 4 columns \(2 left, 2 right\), which leaves "
     r"nothing of its input of 4×6"),
    (lambda: fl.layers.UpSampling2D(0), ConfigError, r"UpSampling2D size must be a positive integer or a pair"),
    (lambda: fl.layers.UpSampling2D(interpolation="bicubic"), ConfigError,
     r"UpSampling2D interpolation must be 'nearest' or 'bilinear' \(fnlearn has no bicubic or lanczos resizing\), "
     r"got 'bicubic'; use one of them\."),
    (lambda: fl.layers.ZeroPadding2D(data_format="channels_first"), ConfigError,
     r"ZeroPadding2D got data_format='channels_first'; fnlearn's image layers take channels_last images"),
    (lambda: fl.layers.UpSampling2D(data_format="channels_first"), ConfigError, r"UpSampling2D got data_format"),
    (lambda: fl.layers.RandomRotation(0.1, data_format="channels_first"), ConfigError,
     r"RandomRotation got data_format='channels_first'"),
    (lambda: fl.layers.RandomRotation(1.5), ConfigError,
     r"RandomRotation factor must be a number in \[-1, 1\] or a pair \(lower, upper\) of them \(fractions of a full "
     r"turn: 0\.1 rotates by up to ±36°\), got 1\.5\."),
    (lambda: fl.layers.RandomRotation((0.1,)), ConfigError, r"RandomRotation factor must be .* got \(0\.1,\)"),
    (lambda: fl.layers.RandomRotation("0.1"), ConfigError, r"RandomRotation factor must be .* got '0\.1'"),
    (lambda: fl.layers.RandomZoom(-1.0), ConfigError, r"RandomZoom height_factor must be a number in \(-1, 1\]"),
    (lambda: fl.layers.RandomZoom(0.1, width_factor=(0.1, 2)), ConfigError, r"RandomZoom width_factor must be"),
    (lambda: fl.layers.RandomTranslation(0.1, 1.5), ConfigError,
     r"RandomTranslation width_factor must be a number in \[-1, 1\]"),
    (lambda: fl.layers.RandomContrast(1.5), ConfigError, r"RandomContrast factor must be a number in \[0, 1\]"),
    (lambda: fl.layers.RandomContrast(-0.2), ConfigError, r"RandomContrast factor must be .* got -0\.2"),
    (lambda: fl.layers.RandomContrast(0.2, value_range=(255, 0)), ConfigError,
     r"RandomContrast value_range must be a pair \(low, high\) with low < high"),
    (lambda: fl.layers.RandomRotation(0.1, fill_mode="mirror"), ConfigError,
     r"RandomRotation fill_mode must be 'reflect', 'wrap', 'constant' or 'nearest', got 'mirror'; use one of them"),
    (lambda: fl.layers.RandomZoom(0.1, interpolation="bicubic"), ConfigError,
     r"RandomZoom interpolation must be 'nearest' or 'bilinear', got 'bicubic'"),
    (lambda: fl.layers.RandomTranslation(0.1, 0.1, fill_value="black"), ConfigError,
     r"RandomTranslation fill_value must be a finite number"),
    (lambda: fl.layers.RandomFlip("diagonal"), ConfigError,
     r"RandomFlip mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got 'diagonal'"),
    (lambda: fl.layers.RandomFlip(seed=-1), ConfigError, r"RandomFlip seed must be a non-negative integer"),
    (lambda: fl.layers.RandomFlip(rate=0.5), ConfigError, r"RandomFlip got unexpected argument\(s\) rate"),
    (lambda: fl.layers.RandomFlip()(np.ones((2, 28, 28)), training=False), ShapeError,
     r"RandomFlip layer '.*' takes images of shape \(batch, height, width, channels\), but was given samples of "
     r"shape \(28, 28\) \(grayscale images need a channels axis: x\[\.\.\., None\]\)"),
    (lambda: fl.layers.UpSampling2D()(np.ones((2, 784))), ShapeError, r"UpSampling2D layer '.*' takes images"),
    (lambda: affine_transform(np.ones((2, 4, 4, 1)), np.ones((3, 8))), ShapeError,
     r"affine_transform takes a transform of 8 finite numbers .* or one such row per image \(2 rows\), got \(3, 8\)"),
    (lambda: affine_transform(np.ones((1, 4, 4, 1)), [1, 0, 0, 0, 1, 0, 0.1, 0]), ConfigError,
     r"affine_transform takes affine transforms only: the last two numbers \(c0, c1\) of each transform must be 0"),
])
def test_mistakes_are_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_refused_call_draws_nothing():
    layer = fl.layers.RandomRotation(0.1)
    with pytest.raises(ShapeError):
        layer(np.ones((2, 8, 8)), training=True)
    assert layer.draws == 0 and layer.seed is None
