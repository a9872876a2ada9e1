"""AlphaDropout, ActivityRegularization, Conv1DTranspose, DepthwiseConv1D, SeparableConv1D, CenterCrop, RandomCrop,
RandomBrightness and Keras's other names: Keras 3's outputs (its layers called directly), weights, shapes and
configs; gradients against central differences; one model of them all saved and loaded; one training run against
Keras; the mistakes a user makes with them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import backend, keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.nn.conv_more import CONV_MORE
from fnlearn.nn.crop import CROP
from fnlearn.nn.noise_more import ALPHA_PRIME, NOISE_MORE

RNG = np.random.default_rng(5)
NEW = {**NOISE_MORE, **CONV_MORE, **CROP}


def _float(shape, scale=1.0):
    return (RNG.normal(size=shape) * scale).astype(np.float32)


def host(array):
    return np.asarray(backend.to_numpy(array))


def test_every_layer_and_name_is_exported_and_registered_for_saving():
    from fnlearn import io

    for name, cls in NEW.items():
        assert io._layer_class(name) is cls
        assert getattr(fl.layers, name) is cls and getattr(keras.layers, name) is cls
        assert name in keras.layers.__all__ and name in fl.layers.__all__
    assert keras.layers.Convolution2D is keras.layers.Conv2D
    assert keras.layers.Convolution1DTranspose is keras.layers.Conv1DTranspose
    assert keras.layers.SeparableConvolution1D is keras.layers.SeparableConv1D


# name, settings, sample shape: the weighted layers in the forms Keras users write them
WEIGHTED = [  # the training comparison below covers the default forms ("valid", strides 2, depth_multiplier 2)
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 1},
     (3, 2)),
    ("DepthwiseConv1D", {"kernel_size": 2, "dilation_rate": 2, "activation": "relu"}, (6, 2)),
    ("SeparableConv1D", {"filters": 3, "kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2},
     (7, 2)),
]


def _weighted_pair(name, settings, shape):
    """Keras's layer and fnlearn's, built for ``shape``, with Keras's random weights (a nonzero bias)."""
    real = real_keras()
    theirs, ours = getattr(real.layers, name)(**settings), getattr(keras.layers, name)(**settings)
    theirs.build((None, *shape))
    theirs.set_weights([_float(w.shape) for w in theirs.get_weights()])
    ours.build_for(shape)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


@pytest.mark.parametrize("name, settings, shape", WEIGHTED, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(WEIGHTED)])
def test_weighted_layers_give_keras_outputs_weights_shapes_and_configs(name, settings, shape):
    theirs, ours = _weighted_pair(name, settings, shape)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    x = _float((2, *shape))
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(host(ours(x).data), expected, rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape((None, *shape)))[1:]
    config = ours.get_config()
    keras_config = theirs.get_config()
    for key in ("kernel_size", "strides", "padding", "dilation_rate", "filters", "depth_multiplier",
                "output_padding"):
        if key in config:
            want = keras_config[key]
            assert config[key] == (list(want) if isinstance(want, tuple) else want), key
    again = type(ours).from_config(config)
    again.build_for(shape)
    again.set_weights(ours.get_weights())
    np.testing.assert_allclose(host(again(x).data), expected, rtol=1e-5, atol=1e-5)


def test_separable_and_transposed_1d_pass_weight_constraints_and_penalties_through():
    layer = keras.layers.SeparableConv1D(2, 3, pointwise_constraint="non_neg", depthwise_regularizer="l2")
    layer.build_for((5, 2))
    assert layer.pointwise_kernel.constraint is not None and len(layer.losses) == 1
    up = keras.layers.Conv1DTranspose(2, 3, kernel_constraint=keras.constraints.MaxNorm(1.0))
    up.build_for((4, 2))
    assert up.kernel.constraint is not None
    assert type(up).from_config(up.get_config()).kernel_constraint is not None


# ----------------------------------------------------------------------------- images


def test_center_crop_gives_keras_pixels_for_larger_smaller_and_single_images():
    real = real_keras()
    for (height, width), shape in [((3, 4), (2, 6, 7, 2)), ((5, 4), (2, 3, 8, 1)), ((2, 2), (6, 5, 3))]:
        x = _float(shape)
        ours, theirs = keras.layers.CenterCrop(height, width), real.layers.CenterCrop(height, width)
        np.testing.assert_allclose(host(ours(x).data), np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
        assert ours.compute_output_shape(shape[-3:]) == (height, width, shape[-1])


def test_random_crop_applies_keras_transformations_and_documented_inference():
    real = real_keras()
    theirs, ours = real.layers.RandomCrop(3, 4, seed=3), keras.layers.RandomCrop(3, 4, seed=3)
    for shape in [(2, 6, 7, 1), (2, 3, 9, 2), (2, 2, 8, 1)]:  # larger, as high, smaller: Keras's three paths
        x = _float(shape)
        transformation = theirs.get_random_transformation(x, training=True)
        start = tuple(int(v) for v in transformation)
        np.testing.assert_allclose(host(ours.transform_images(x, start).data),
                                   np.asarray(theirs.transform_images(x, transformation)), rtol=1e-5, atol=1e-5)
        if shape[1] <= 3:  # not drawn: fnlearn's own start is Keras's
            assert ours.get_random_transformation(x, training=True) == start
    x = _float((2, 6, 10, 1))
    smart = real.preprocessing.image.smart_resize(x, (3, 4))
    np.testing.assert_allclose(host(ours(x, training=False).data), np.asarray(smart), rtol=1e-5, atol=1e-5)
    # training crops a window of the images, one place for the batch, from a seeded stream
    a, b = ours(x).data, keras.layers.RandomCrop(3, 4, seed=3)(x).data
    assert host(a).shape == (2, 3, 4, 1) and np.array_equal(host(a), host(b)) and ours.draws == 1
    windows = [x[:, i:i + 3, j:j + 4] for i in range(4) for j in range(7)]
    assert any(np.array_equal(host(a), w) for w in windows)


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
def test_random_brightness_applies_keras_transformations_and_passes_in_inference():
    real = real_keras()
    theirs = real.layers.RandomBrightness((-0.3, 0.5), value_range=(0, 1), seed=1)
    ours = keras.layers.RandomBrightness((-0.3, 0.5), value_range=(0, 1), seed=1)
    assert ours.get_config()["factor"] == list(theirs.factor)
    x = RNG.uniform(size=(3, 2, 2, 2)).astype(np.float32)
    transformation = theirs.get_random_transformation(x, training=True)
    np.testing.assert_allclose(host(ours.transform_images(x, transformation).data),
                               np.asarray(theirs.transform_images(x, transformation)), rtol=1e-6, atol=1e-6)
    assert np.array_equal(host(ours(x, training=False).data), x)
    out = host(ours(x).data)  # on its own: augments, one amount per image, clipped to the range
    shift = out - x
    inside = (out > 0) & (out < 1)
    for k in range(3):
        assert np.ptp(shift[k][inside[k]]) < 1e-6 if inside[k].any() else True
    assert out.min() >= 0 and out.max() <= 1
    assert keras.layers.RandomBrightness(0.2).factor == (-0.2, 0.2) == real.layers.RandomBrightness(0.2).factor


# ----------------------------------------------------------------------------- noise and activity


def test_alpha_dropout_keeps_or_saturates_then_rescales_as_keras_formula():
    rate = 0.3
    layer = keras.layers.AlphaDropout(rate, seed=4)
    x = _float((500, 40))
    out = host(layer(x, training=True).data)
    a = ((1 - rate) * (1 + rate * ALPHA_PRIME ** 2)) ** -0.5
    b = -a * ALPHA_PRIME * rate
    kept = np.isclose(out, a * x + b, atol=1e-5)
    assert np.allclose(out[~kept], a * ALPHA_PRIME + b, atol=1e-5)
    assert abs(kept.mean() - (1 - rate)) < 0.02
    assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03  # SELU's fixed point kept
    assert np.array_equal(host(layer(x, training=False).data), x)
    shared = keras.layers.AlphaDropout(0.5, noise_shape=(None, 1, 3), seed=0)(_float((4, 6, 3)), training=True)
    assert shared.shape == (4, 6, 3)
    made = keras.layers.AlphaDropout(0.5, (None, 1, 3), seed=0)
    again = keras.layers.AlphaDropout.from_config(made.get_config())
    raw = _float((4, 6, 3))
    first = host(made(raw, training=True).data)
    assert np.array_equal(first, host(again(raw, training=True).data))  # the same seed, the same masks
    half = (0.5 * (1 + 0.5 * ALPHA_PRIME ** 2)) ** -0.5
    dropped = np.isclose(first, half * ALPHA_PRIME * 0.5, atol=1e-6)  # a·α' + b at rate 0.5
    assert dropped.any() and (dropped == dropped[:, :1]).all()  # one draw along the steps


def test_activity_regularization_adds_keras_penalty_and_passes_masks():
    real = real_keras()
    x = _float((4, 3))
    theirs, ours = real.layers.ActivityRegularization(l1=0.1, l2=0.3), keras.layers.ActivityRegularization(0.1, 0.3)
    np.testing.assert_array_equal(host(ours(x).data), x)
    theirs(x)
    np.testing.assert_allclose([float(host(loss.data)) for loss in ours.losses],
                               [float(loss) for loss in theirs.losses], rtol=1e-5)
    assert ours.get_config()["l1"] == 0.1 and "activity_regularizer" not in ours.get_config()
    words = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    for layer in (keras.layers.ActivityRegularization(l2=0.1), keras.layers.AlphaDropout(0.2, seed=1)):
        embedded = keras.layers.Embedding(5, 2, mask_zero=True)(words)
        assert np.array_equal(host(layer(embedded, training=True)._mask), words != 0)


# ----------------------------------------------------------------------------- gradients


def _sum_weights(out):
    return fl.tensor(np.random.default_rng(0).normal(size=out.shape))


def _check_weight_gradients(layer, x, weights):
    """Every weight's gradient (tiny layers) against central differences of Σ weights·layer(x)."""
    for param in layer.parameters():
        param.grad = None
    (layer(fl.tensor(x)) * weights).sum().backward()
    for param in layer.parameters():
        numeric = np.zeros(param.shape)
        for index in np.ndindex(*param.shape):
            sums = []
            for step in (1e-6, -1e-6):
                param.data[index] += step
                sums.append(float(host((layer(fl.tensor(x)) * weights).sum().data)))
                param.data[index] -= step
            numeric[index] = (sums[0] - sums[1]) / 2e-6
        np.testing.assert_allclose(host(param.grad), numeric, rtol=1e-6, atol=1e-7)


GRADIENT_CASES = [
    (lambda: keras.layers.Conv1DTranspose(2, 3, strides=2, padding="same", output_padding=1), (2, 3, 2)),
    (lambda: keras.layers.DepthwiseConv1D(2, depth_multiplier=2, padding="same", strides=2), (2, 5, 2)),
    (lambda: keras.layers.SeparableConv1D(2, 2, dilation_rate=2), (2, 5, 2)),
    (lambda: keras.layers.CenterCrop(2, 3), (2, 4, 5, 1)),
    (lambda: keras.layers.CenterCrop(3, 3), (2, 2, 4, 1)),  # the resize path
    (lambda: keras.layers.RandomCrop(2, 2, seed=1), (1, 4, 3, 2)),
    (lambda: keras.layers.RandomCrop(3, 3, seed=1), (1, 2, 4, 1)),  # cropped then resized
    (lambda: keras.layers.RandomBrightness(0.2, value_range=(-10, 10), seed=1), (2, 2, 2, 1)),
    (lambda: keras.layers.AlphaDropout(0.4, seed=1), (3, 4)),
    (lambda: keras.layers.ActivityRegularization(l1=0.1, l2=0.2), (3, 2)),
]


@pytest.mark.parametrize("make, shape", GRADIENT_CASES,
                         ids=["transpose", "depthwise", "separable", "center", "center-resize", "random-crop",
                              "random-crop-resize", "brightness", "alpha-dropout", "activity"])
def test_gradients_match_central_differences(float64, make, shape):
    layer = make()
    x = RNG.normal(size=shape)
    weights = _sum_weights(layer(fl.tensor(x), training=False))
    for training in (False, True):
        def run(t, on=training):  # the same draws at every evaluation: a fresh copy of the layer's stream
            fresh = type(layer).from_config(layer.get_config())
            if layer.parameters():
                fresh.build_for(shape[1:])
                fresh.set_weights(layer.get_weights())
            out = fresh(t, training=on)
            return out * weights if out.shape == weights.shape else out
        assert fl.gradcheck(run, [x], atol=1e-7, rtol=1e-6)
    if layer.parameters():
        _check_weight_gradients(layer, x, weights)


# ----------------------------------------------------------------------------- models


def test_one_model_of_every_new_layer_runs_functional_and_sequential_and_saves_and_loads(tmp_path):
    inputs = keras.Input(shape=(6, 2))
    h = keras.layers.Conv1DTranspose(3, 2, strides=2)(inputs)             # (12, 3)
    h = keras.layers.DepthwiseConv1D(2, depth_multiplier=2)(h)             # (11, 6)
    h = keras.layers.SeparableConv1D(4, 3, padding="same")(h)              # (11, 4)
    h = keras.layers.AlphaDropout(0.2, seed=1)(h)
    h = keras.layers.ActivityRegularization(l2=0.01)(h)
    h = keras.layers.Reshape((11, 4, 1))(h)
    h = keras.layers.CenterCrop(10, 4)(h)
    h = keras.layers.RandomCrop(8, 3, seed=2)(h)
    h = keras.layers.RandomBrightness(0.1, value_range=(-5, 5), seed=3)(h)
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    x = _float((3, 6, 2))
    before = model.predict(x, verbose=0)
    assert before.shape == (3, 1)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in again.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(again.predict(x, verbose=0), before, rtol=1e-6)
    stacked = keras.Sequential([keras.Input(shape=(6, 2)), keras.layers.Conv1DTranspose(2, 3),
                                keras.layers.SeparableConv1D(2, 2), keras.layers.AlphaDropout(0.1),
                                keras.layers.ActivityRegularization(l1=0.01), keras.layers.Reshape((7, 2, 1)),
                                keras.layers.CenterCrop(4, 2)])
    assert stacked.predict(x, verbose=0).shape == (3, 4, 2, 1)


def test_trains_as_keras():
    real = real_keras()

    def build(library):
        layers = library.layers
        return library.Sequential([library.Input(shape=(5, 2)), layers.Conv1DTranspose(3, 2, strides=2),
                                   layers.DepthwiseConv1D(3, depth_multiplier=2, activation="tanh"),
                                   layers.SeparableConv1D(2, 2, padding="same"),
                                   layers.ActivityRegularization(l1=0.01, l2=0.02),
                                   layers.Flatten(), layers.Dense(1)])

    x, y = _float((8, 5, 2)), _float((8, 1))
    assert_trains_as_keras(real, build(real), build(keras), x, y, "mse", 0.05, batch_size=4)


# ----------------------------------------------------------------------------- mistakes


BAD = [
    (lambda: keras.layers.AlphaDropout(1.0), ConfigError, "AlphaDropout rate must be a number in [0, 1)"),
    (lambda: keras.layers.AlphaDropout(0.2, noise_shape=(0, 2)), ConfigError, "noise_shape must be None or"),
    (lambda: keras.layers.AlphaDropout(0.2, noise_shape=(None, 3))(np.ones((2, 4)), training=True), ShapeError,
     "does not fit its input of shape (2, 4)"),
    (lambda: keras.layers.ActivityRegularization(l1=-1), ConfigError, "l1"),
    (lambda: keras.layers.ActivityRegularization(activity_regularizer="l2"), ConfigError, "give those"),
    (lambda: keras.layers.Conv1DTranspose(2, 3, strides=2, output_padding=2), ConfigError,
     "output_padding must be None or a whole number ≥ 0 smaller than the strides (2)"),
    (lambda: keras.layers.Conv1DTranspose(2, 3, strides=2, dilation_rate=2), ConfigError, "takes strides of 1"),
    (lambda: keras.layers.Conv1DTranspose(2, 3, padding="causal"), ConfigError, "only Conv1D has"),
    (lambda: keras.layers.Conv1DTranspose(2, 3)(np.ones((2, 4, 4, 1))), ShapeError, "takes sequences"),
    (lambda: keras.layers.DepthwiseConv1D(3, data_format="channels_first"), ConfigError, "(batch, steps, channels)"),
    (lambda: keras.layers.DepthwiseConv1D(3, depth_multiplier=0), ConfigError, "DepthwiseConv1D depth_multiplier"),
    (lambda: keras.layers.DepthwiseConv1D(5)(np.ones((1, 3, 2))), ShapeError, "longer than its input of 3 steps"),
    (lambda: keras.layers.SeparableConv1D(0, 3), ConfigError, "SeparableConv1D filters must be a positive integer"),
    (lambda: keras.layers.CenterCrop(0, 3), ConfigError, "CenterCrop height and width must be a positive integer"),
    (lambda: keras.layers.CenterCrop(2, 2)(np.ones((4, 4))), ShapeError, "(batch, height, width, channels)"),
    (lambda: keras.layers.RandomCrop(2, 2.5), ConfigError, "RandomCrop height and width"),
    (lambda: keras.layers.RandomCrop(2, 2, seed="a"), ConfigError, "RandomCrop seed"),
    (lambda: keras.layers.RandomBrightness(1.5), ConfigError, "RandomBrightness factor must be a number in [-1, 1]"),
    (lambda: keras.layers.RandomBrightness(0.1, value_range=(1, 0)), ConfigError, "RandomBrightness value_range"),
]


@pytest.mark.parametrize("make, error, words", BAD, ids=[str(i) for i in range(len(BAD))])
def test_mistakes_are_refused_in_one_sentence(make, error, words):
    with pytest.raises(error, match=re.escape(words)):
        make()


@pytest.mark.parametrize("name", ["DepthwiseConv1D", "SeparableConv1D"])
def test_depthwise_and_separable_1d_take_strides_with_a_dilation_as_keras(float64, name):
    real = real_keras()
    settings = {"kernel_size": 3, "strides": 2, "dilation_rate": 2, "depth_multiplier": 2, "padding": "same",
                **({"filters": 2} if name == "SeparableConv1D" else {})}
    x = RNG.normal(size=(2, 9, 3))
    theirs, ours = getattr(real.layers, name)(**settings), getattr(keras.layers, name)(**settings)
    want = np.asarray(theirs(x.astype(np.float32)))
    ours.build_for(x.shape[1:])
    ours.set_weights([w.astype(np.float64) for w in theirs.get_weights()])
    np.testing.assert_allclose(host(ours(fl.tensor(x)).data), want, rtol=1e-5, atol=1e-6)
    assert ours.compute_output_shape((9, 3)) == tuple(theirs.compute_output_shape((None, 9, 3)))[1:]
    again = type(ours).from_config(ours.get_config())
    assert (again.strides, again.dilation_rate) == (ours.strides, ours.dilation_rate) == ((1, 2), (1, 2))
    assert fl.gradcheck(lambda t: ours(t), [x], atol=1e-7, rtol=1e-6)


def test_conv1d_transpose_takes_a_dilation_as_keras(float64):
    real = real_keras()
    x = RNG.normal(size=(2, 5, 3))
    for padding in ("valid", "same"):
        settings = {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": padding}
        theirs, ours = real.layers.Conv1DTranspose(**settings), keras.layers.Conv1DTranspose(**settings)
        want = np.asarray(theirs(x.astype(np.float32)))
        ours.build_for(x.shape[1:])
        ours.set_weights([w.astype(np.float64) for w in theirs.get_weights()])
        np.testing.assert_allclose(host(ours(fl.tensor(x)).data), want, rtol=1e-5, atol=1e-6)
        assert ours.compute_output_shape((5, 3)) == tuple(theirs.compute_output_shape((None, 5, 3)))[1:]
        assert type(ours).from_config(ours.get_config()).dilation_rate == 2
    assert fl.gradcheck(lambda t: ours(t), [x], atol=1e-7, rtol=1e-6)
    _check_weight_gradients(ours, x, _sum_weights(ours(fl.tensor(x))))
