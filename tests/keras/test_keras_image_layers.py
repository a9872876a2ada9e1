"""Padding, cropping, upsampling and data augmentation against the real Keras 3: shapes and values, the
augmentations' pixels for the very transforms Keras drew, and the tutorials' augmented CNN in every kind of model."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.nn.image import affine_transform

RNG = np.random.default_rng(5)
# one small image shape for every comparison of resampled images: Keras compiles its resampling once per shape
IMAGES = (3, 5, 6, 2)


@pytest.mark.parametrize("sample_shape,make", [
    ((5, 6, 2), lambda m: m.layers.ZeroPadding2D()),
    ((5, 6, 2), lambda m: m.layers.ZeroPadding2D((2, 1))),
    ((5, 6, 2), lambda m: m.layers.ZeroPadding2D(((0, 2), (3, 1)))),
    ((5, 6, 2), lambda m: m.layers.Cropping2D(1)),
    ((5, 6, 2), lambda m: m.layers.Cropping2D(((2, 0), (1, 3)))),
    ((5, 6, 2), lambda m: m.layers.UpSampling2D()),
    ((5, 6, 2), lambda m: m.layers.UpSampling2D((3, 2))),
    ((5, 6, 2), lambda m: m.layers.UpSampling2D((2, 3), interpolation="bilinear")),
], ids=["pad", "pad-pair", "pad-pairs", "crop", "crop-pairs", "up", "up-3x2", "up-bilinear"])
def test_padding_cropping_and_upsampling_give_keras_shapes_and_values(sample_shape, make):
    real = real_keras()
    theirs = real.Sequential([real.Input(shape=sample_shape), make(real)])
    ours = keras.Sequential([keras.Input(shape=sample_shape), make(keras)])
    assert ours.output_shape == tuple(theirs.output_shape)
    x = RNG.normal(size=(2, *sample_shape)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    assert make(keras).get_config().items() >= {k: v for k, v in _plain(make(real).get_config()).items()
                                                if k in ("padding", "cropping", "size", "interpolation")}.items()


def _plain(config):
    return {k: [list(v) if isinstance(v, tuple) else v for v in value] if isinstance(value, tuple) else value
            for k, value in config.items()}


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform_gives_keras_pixels_for_every_fill_mode(fill_mode, interpolation):
    real = real_keras()
    x = RNG.normal(size=IMAGES).astype(np.float32)
    transforms = np.zeros((3, 8), dtype=np.float32)
    transforms[:, :6] = RNG.normal(size=(3, 6)) * [0.8, 0.8, 3, 0.8, 0.8, 3] + [1, 0, 0, 0, 1, 0]
    theirs = real.ops.image.affine_transform(x, transforms, interpolation=interpolation, fill_mode=fill_mode,
                                             fill_value=0.7)
    ours = affine_transform(x, transforms, interpolation, fill_mode, 0.7)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-5)


AUGMENTATIONS = [
    lambda m: m.layers.RandomFlip(seed=1),
    lambda m: m.layers.RandomFlip("horizontal", seed=1),
    lambda m: m.layers.RandomFlip("vertical", seed=1),
    lambda m: m.layers.RandomRotation((-0.5, 0.1), fill_mode="constant", fill_value=0.5, seed=1),
    lambda m: m.layers.RandomZoom((-0.3, 0.2), (0.1, 0.6), fill_mode="wrap", interpolation="nearest", seed=1),
    lambda m: m.layers.RandomTranslation(0.3, 0.4, fill_mode="nearest", seed=1),
    lambda m: m.layers.RandomContrast(0.5, seed=1),
    lambda m: m.layers.RandomContrast((0.8, 0.4), value_range=(0, 1), seed=1),
]
AUGMENTATION_IDS = ["flip", "flip-horizontal", "flip-vertical", "rotation-constant", "zoom-wrap-nearest",
                    "translation-nearest", "contrast", "contrast-01"]


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("make", AUGMENTATIONS, ids=AUGMENTATION_IDS)
def test_each_augmentation_gives_keras_pixels_for_the_transforms_keras_drew(make):
    """Keras's layer draws its transforms; fnlearn's, given that draw, must compute Keras's images."""
    real = real_keras()
    theirs, ours = make(real), make(keras)
    x = RNG.uniform(0, 1, size=IMAGES).astype(np.float32)
    if "Contrast" in type(ours).__name__ and ours.value_range[1] == 255:
        x *= 255
    drawn = theirs.get_random_transformation(x, training=True)
    expected = np.asarray(theirs.transform_images(x, drawn, training=True))
    np.testing.assert_allclose(ours.transform_images(x, drawn).numpy(), expected, rtol=1e-5, atol=2e-5)
    assert not np.allclose(expected, x)  # the draw changed the images


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
def test_fixed_rotations_zooms_and_shifts_give_keras_images(fill_mode):
    real = real_keras()
    x = RNG.normal(size=IMAGES).astype(np.float32)  # not square: a quarter turn moves pixels off the image
    for make in (lambda m: m.layers.RandomRotation((0.25, 0.25), fill_mode=fill_mode, fill_value=2.0),
                 lambda m: m.layers.RandomZoom((0.5, 0.5), (-0.25, -0.25), fill_mode=fill_mode),
                 lambda m: m.layers.RandomTranslation((0.2, 0.2), (-0.5, -0.5), fill_mode=fill_mode)):
        theirs, ours = make(real)(x, training=True), make(keras)(x, training=True)
        np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-5)


def test_augmentation_settings_are_keras_settings():
    real = real_keras()
    pairs = [(real.layers.RandomRotation(0.2), keras.layers.RandomRotation(0.2)),
             (real.layers.RandomRotation((0.3, -0.1)), keras.layers.RandomRotation((0.3, -0.1))),
             (real.layers.RandomContrast(0.2), keras.layers.RandomContrast(0.2)),
             (real.layers.RandomContrast((0.1, 0.3)), keras.layers.RandomContrast((0.1, 0.3)))]
    for theirs, ours in pairs:  # Keras keeps a factor as (lower, upper): Keras 3 reads contrast's 0.2 as (0, 0.2)
        assert ours.factor == pytest.approx(tuple(theirs.factor))
    theirs, ours = real.layers.RandomZoom(0.1, seed=3), keras.layers.RandomZoom(0.1, seed=3)
    kept = ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value")
    assert {k: ours.get_config()[k] for k in kept} == {k: theirs.get_config()[k] for k in kept}
    assert keras.layers.RandomFlip().get_config()["mode"] == real.layers.RandomFlip().get_config()["mode"]


def test_the_short_names_are_the_same_classes_as_in_keras():
    real = real_keras()
    for short, long in (("MaxPool2D", "MaxPooling2D"), ("AvgPool2D", "AveragePooling2D"),
                        ("GlobalAvgPool2D", "GlobalAveragePooling2D"), ("GlobalMaxPool2D", "GlobalMaxPooling2D")):
        assert getattr(real.layers, short) is getattr(real.layers, long)
        assert getattr(keras.layers, short) is getattr(keras.layers, long)


def _tutorial_model(module, data_augmentation, height=12, width=12):
    """The augmented CNN of the Keras image-classification tutorial, small."""
    return module.Sequential([module.Input(shape=(height, width, 3)), data_augmentation,
                              module.layers.Rescaling(1.0 / 255),
                              module.layers.Conv2D(4, 3, padding="same", activation="relu"),
                              module.layers.MaxPooling2D(), module.layers.Flatten(), module.layers.Dense(3)])


def test_the_tutorial_program_trains_with_augmentation_and_predicts_without_it():
    fl.set_seed(0)
    data_augmentation = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.1),
                                          keras.layers.RandomZoom(0.1)])
    model = _tutorial_model(keras, data_augmentation)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    x = RNG.uniform(0, 255, size=(24, 12, 12, 3)).astype(np.float32)
    y = np.arange(24) % 3
    history = model.fit(x, y, validation_data=(x[:8], y[:8]), batch_size=8, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert [layer.draws for layer in data_augmentation.layers] == [6, 6, 6]  # one draw per training step
    scores = model.predict(x, verbose=0)
    assert np.array_equal(model.predict(x, verbose=0), scores)
    plain = keras.Sequential([keras.Input(shape=(12, 12, 3)), *model.layers[1:]])  # the model without augmentation
    plain.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    np.testing.assert_allclose(plain.predict(x, verbose=0), scores, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), plain.evaluate(x, y, verbose=0), rtol=1e-6)


def test_a_functional_model_augments_in_training_only():
    fl.set_seed(1)
    inputs = keras.Input(shape=(8, 8, 1))
    h = keras.layers.RandomTranslation(0.2, 0.2, fill_mode="constant")(inputs)
    h = keras.layers.RandomContrast(0.3, value_range=(0, 1))(h)
    h = keras.layers.ZeroPadding2D(1)(h)
    h = keras.layers.Conv2D(2, 3, activation="relu")(h)
    h = keras.layers.UpSampling2D(2)(keras.layers.Cropping2D(2)(h))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GlobalAvgPool2D()(h)))
    assert h.shape == (None, 8, 8, 2)
    x = RNG.uniform(0, 1, size=(8, 8, 8, 1)).astype(np.float32)
    model.compile("sgd", "mse")
    model.fit(x, np.ones((8, 1)), batch_size=4, epochs=1, verbose=0)
    assert model.layers[1].draws == model.layers[2].draws == 2
    assert np.array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
    assert not np.array_equal(model(x, training=True).numpy(), model(x, training=True).numpy())


def test_a_model_called_on_its_own_runs_each_layer_in_its_keras_default_mode():
    """As Keras takes a layer's mode from its call signature when nothing sets it: the augmentation tutorials'
    data_augmentation(images) shows augmented images, while Dropout and BatchNormalization stay in inference."""
    fl.set_seed(3)
    data_augmentation = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomRotation(0.2)])
    x = RNG.uniform(0, 1, size=(4, 8, 8, 3)).astype(np.float32)
    assert not np.allclose(data_augmentation(x).numpy(), x)
    np.testing.assert_array_equal(data_augmentation(x, training=False).numpy(), x)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dropout(0.5),
                              keras.layers.BatchNormalization(), keras.layers.Dense(2)])
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())  # no masks, no batch statistics
    np.testing.assert_allclose(model(x).numpy(), model.predict(x, verbose=0), rtol=1e-6)
    assert all(module.training for module in model.modules())  # the call's modes were its own


def test_summary_rows_are_keras_rows():
    real = real_keras()

    def build(m):
        return m.Sequential([m.Input(shape=(10, 10, 3)), m.layers.RandomFlip("horizontal"),
                             m.layers.RandomRotation(0.1), m.layers.ZeroPadding2D(2),
                             m.layers.Cropping2D(((1, 0), (0, 1))), m.layers.UpSampling2D(2),
                             m.layers.GlobalMaxPool2D(), m.layers.Dense(2)])

    theirs, ours = build(real), build(keras)
    expected = [(f"(None, {', '.join(map(str, layer.output.shape[1:]))})", layer.count_params())
                for layer in theirs.layers]
    assert [(row[1], row[2]) for row in ours._summary_rows()] == expected


def test_the_layers_save_and_load_in_a_model_file(tmp_path):
    fl.set_seed(2)
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.RandomFlip("vertical"),
                              keras.layers.RandomRotation((-0.2, 0.1), fill_mode="constant", fill_value=0.5),
                              keras.layers.RandomZoom(0.1, 0.2, interpolation="nearest"),
                              keras.layers.RandomTranslation(0.1, 0.0, fill_mode="wrap"),
                              keras.layers.RandomContrast((0.1, 0.2), value_range=(0, 1)),
                              keras.layers.ZeroPadding2D(((1, 0), (2, 1))), keras.layers.Conv2D(2, 3),
                              keras.layers.Cropping2D(1), keras.layers.UpSampling2D(2, interpolation="bilinear"),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    x = RNG.uniform(0, 1, size=(8, 8, 8, 1)).astype(np.float32)
    model.compile("adam", "mse")
    model.fit(x, np.zeros((8, 1)), batch_size=4, epochs=1, verbose=0)
    model.save(tmp_path / "augmented.keras")
    again = keras.models.load_model(tmp_path / "augmented.keras")
    assert [layer.get_config() for layer in again.layers] == [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    # the training state carries each stream's draw count, so a resumed fit draws what the first would have
    assert [getattr(layer, "draws", None) for layer in again.layers] == \
        [getattr(layer, "draws", None) for layer in model.layers]
    for model_ in (model, again):
        model_.fit(x, np.zeros((8, 1)), batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
