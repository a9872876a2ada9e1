"""Volumes (batch, depth, height, width, channels): Conv3D and the 3-D poolings — gradients against central
differences and PyTorch, values and training against Keras, saved, loaded and through real Keras files."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.nn.volume import _pool3d, conv3d, conv3d_transpose

RNG = np.random.default_rng(8)

CONV_CASES = [  # (d, h, w), kernel, strides, padding, dilation
    ((4, 5, 5), (2, 3, 3), (1, 1, 1), "valid", (1, 1, 1)),
    ((5, 4, 6), (3, 2, 3), (2, 1, 2), "same", (1, 1, 1)),
    ((5, 5, 4), (3, 3, 3), (2, 2, 2), "valid", (1, 1, 1)),
    ((6, 5, 5), (2, 2, 2), (1, 1, 1), "same", (2, 1, 2)),
]
TRANSPOSE_CASES = [  # (d, h, w), kernel, strides, padding, output_padding
    ((3, 4, 5), (2, 3, 2), (1, 1, 1), "valid", None),
    ((3, 4, 4), (3, 3, 3), (2, 2, 2), "same", None),
    ((2, 3, 4), (3, 2, 3), (2, 1, 3), "valid", None),
    ((3, 3, 3), (3, 3, 3), (2, 2, 2), "same", (1, 1, 1)),
    ((3, 2, 3), (2, 3, 2), (3, 2, 2), "valid", (2, 0, 1)),
]
POOL_CASES = [  # (d, h, w), pool, strides, padding
    ((4, 4, 4), (2, 2, 2), (2, 2, 2), "valid"),
    ((5, 5, 3), (2, 3, 2), (2, 2, 1), "same"),
    ((3, 5, 5), (3, 2, 2), (1, 2, 2), "valid"),
    ((5, 4, 5), (3, 3, 3), (2, 2, 2), "same"),
]


@pytest.mark.parametrize("sizes, kernel, strides, padding, dilation", CONV_CASES)
def test_conv3d_gradients_match_central_differences_in_float64(sizes, kernel, strides, padding, dilation):
    _gradients_are_central_differences(lambda a, k, b: conv3d(a, k, b, strides, padding, dilation), sizes,
                                       (*kernel, 2, 3))


@pytest.mark.parametrize("sizes, kernel, strides, padding, extra", TRANSPOSE_CASES)
def test_conv3d_transpose_gradients_match_central_differences_in_float64(sizes, kernel, strides, padding, extra):
    _gradients_are_central_differences(lambda a, k, b: conv3d_transpose(a, k, b, strides, padding, extra), sizes,
                                       (*kernel, 3, 2))


def _gradients_are_central_differences(op, sizes, kernel_shape):
    """``op(volumes, kernel, bias)``'s gradients of all three in float64, through a loss linear in its output."""
    x, k, b = RNG.normal(size=(2, *sizes, 2)), RNG.normal(size=kernel_shape), RNG.normal(size=3)
    weights = fl.tensor(RNG.normal(size=op(fl.tensor(x), fl.tensor(k), fl.tensor(b)).shape))
    assert fl.gradcheck(lambda *t: op(*t) * weights, [x, k, b], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("sizes, kernel, strides, padding, extra",
                         [case for case in TRANSPOSE_CASES if case[3] == "valid"])
def test_conv3d_transpose_values_and_gradients_match_pytorch(sizes, kernel, strides, padding, extra):
    torch = pytest.importorskip("torch")
    _matches_torch(lambda a, k: conv3d_transpose(a, k, None, strides, padding, extra),
                   lambda a, k: torch.nn.functional.conv_transpose3d(a, k, stride=strides, output_padding=extra or 0),
                   RNG.normal(size=(2, *sizes, 2)), RNG.normal(size=(*kernel, 3, 2)))


@pytest.mark.parametrize("sizes, kernel, strides, padding, extra", TRANSPOSE_CASES)
def test_conv3d_transpose_layer_gives_keras_outputs_from_the_same_weights(sizes, kernel, strides, padding, extra):
    _layer_gives_keras_outputs("Conv3DTranspose", RNG.normal(size=(2, *sizes, 3)).astype(np.float32), filters=4,
                               kernel_size=kernel, strides=strides, padding=padding, output_padding=extra)


def _volume_autoencoder(library):
    """A 3-D autoencoder: strided Conv3D down, Conv3DTranspose back up, as a 3-D U-Net's two halves."""
    layers = library.layers
    return library.Sequential([library.Input((4, 6, 6, 1)),
                               layers.Conv3D(4, 3, strides=2, padding="same", activation="relu"),
                               layers.Conv3DTranspose(3, 3, strides=2, padding="same", activation="relu"),
                               layers.Conv3D(1, 1, activation="sigmoid")])


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
def test_the_volume_autoencoder_trains_as_keras_and_its_files_cross_both_ways(tmp_path):
    real = real_keras()
    x = RNG.random((6, 4, 6, 6, 1)).astype(np.float32)
    theirs, ours = _volume_autoencoder(real), _volume_autoencoder(keras)
    assert_trains_as_keras(real, theirs, ours, x, x, "binary_crossentropy", learning_rate=0.1, batch_size=3,
                           rtol=2e-4, atol=2e-5)
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)
    assert keras.layers.Convolution3DTranspose is keras.layers.Conv3DTranspose


@pytest.mark.parametrize("sizes, pool, strides, padding", POOL_CASES)
@pytest.mark.parametrize("largest", [True, False], ids=["max", "avg"])
def test_pool3d_gradients_match_central_differences_in_float64(largest, sizes, pool, strides, padding):
    x = RNG.normal(size=(2, *sizes, 2))  # distinct values: no ties, so the max is differentiable
    weights = fl.tensor(RNG.normal(size=_pool3d(fl.tensor(x), pool, strides, padding, largest).shape))
    assert fl.gradcheck(lambda a: _pool3d(a, pool, strides, padding, largest) * weights, [x], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("sizes, kernel, strides, padding, dilation", CONV_CASES[:3])
def test_conv3d_values_and_gradients_match_pytorch(sizes, kernel, strides, padding, dilation):
    torch = pytest.importorskip("torch")
    pads = []
    if padding == "same":  # Keras's "same": the odd extra at the end of each axis
        for size, reach, step in reversed(list(zip(sizes, kernel, strides))):
            total = max((-(-size // step) - 1) * step + reach - size, 0)
            pads += [total // 2, total - total // 2]
    _matches_torch(lambda a, k: conv3d(a, k, None, strides, padding),
                   lambda a, k: torch.nn.functional.conv3d(torch.nn.functional.pad(a, pads), k, stride=strides),
                   RNG.normal(size=(2, *sizes, 2)), RNG.normal(size=(*kernel, 2, 3)))


def _matches_torch(ours_op, torch_op, x, k):
    """``ours_op`` on channels-last volumes and a kernel in Keras's layout, ``torch_op`` on PyTorch's (channels
    first, the kernel's two last axes first and swapped): the same values, and the same gradients of both."""
    import torch

    tx = torch.tensor(x.transpose(0, 4, 1, 2, 3), requires_grad=True)
    tk = torch.tensor(k.transpose(4, 3, 0, 1, 2), requires_grad=True)
    theirs = torch_op(tx, tk)
    grad = RNG.normal(size=theirs.shape)
    theirs.backward(torch.tensor(grad))
    ax, ak = fl.tensor(x, requires_grad=True), fl.tensor(k, requires_grad=True)
    ours = ours_op(ax, ak)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy().transpose(0, 2, 3, 4, 1), rtol=1e-10, atol=1e-10)
    (ours * fl.tensor(grad.transpose(0, 2, 3, 4, 1))).sum().backward()
    np.testing.assert_allclose(fl.backend.to_numpy(ax.grad), tx.grad.numpy().transpose(0, 2, 3, 4, 1), rtol=1e-9,
                               atol=1e-10)
    np.testing.assert_allclose(fl.backend.to_numpy(ak.grad), tk.grad.numpy().transpose(2, 3, 4, 1, 0), rtol=1e-9,
                               atol=1e-10)


@pytest.mark.parametrize("sizes, kernel, strides, padding, dilation", CONV_CASES)
def test_conv3d_layer_gives_keras_outputs_from_the_same_weights(sizes, kernel, strides, padding, dilation):
    _layer_gives_keras_outputs("Conv3D", RNG.normal(size=(2, *sizes, 2)).astype(np.float32), filters=3,
                               kernel_size=kernel, strides=strides, padding=padding, dilation_rate=dilation)


def _layer_gives_keras_outputs(name, x, **settings):
    """The layer ``name`` with ReLU and ``settings``, in both libraries: Keras's outputs and output shape from Keras's
    weights, the layer built at its first call as Keras's."""
    real = real_keras()
    theirs, ours = (getattr(lib.layers, name)(activation="relu", **settings) for lib in (real, keras))
    expected = np.asarray(theirs(x))
    ours(x)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape(x.shape[1:]) == expected.shape[1:]


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("sizes, pool, strides, padding", POOL_CASES)
@pytest.mark.parametrize("name", ["MaxPooling3D", "AveragePooling3D"])
def test_poolings_give_keras_outputs(name, sizes, pool, strides, padding):
    real = real_keras()
    x = RNG.normal(size=(2, *sizes, 3)).astype(np.float32)
    expected = np.asarray(getattr(real.layers, name)(pool, strides, padding)(x))
    layer = getattr(keras.layers, name)(pool, strides, padding)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6, atol=1e-6)
    assert layer.compute_output_shape((*sizes, 3)) == expected.shape[1:]
    for global_name in ("GlobalAveragePooling3D", "GlobalMaxPooling3D"):
        for keepdims in (False, True):
            wanted = np.asarray(getattr(real.layers, global_name)(keepdims=keepdims)(x))
            np.testing.assert_allclose(getattr(keras.layers, global_name)(keepdims=keepdims)(x).numpy(), wanted,
                                       rtol=1e-6)


def _ct_model(library):
    """The layers of Keras's "3D image classification from CT scans" example, small."""
    layers = library.layers
    return library.Sequential([library.Input((6, 8, 8, 1)), layers.Conv3D(4, 3, activation="relu", padding="same"),
                               layers.MaxPool3D(2), layers.BatchNormalization(),
                               layers.Conv3D(6, 3, activation="relu"), layers.GlobalAveragePooling3D(),
                               layers.Dense(1, activation="sigmoid")])


def test_the_ct_scan_example_trains_as_keras_and_saves_loads_and_crosses_to_keras(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(8, 6, 8, 8, 1)).astype(np.float32)
    y = (RNG.random((8, 1)) < 0.5).astype(np.float32)
    theirs, ours = _ct_model(real), _ct_model(keras)
    assert_trains_as_keras(real, theirs, ours, x, y, "binary_crossentropy", learning_rate=0.05, batch_size=4,
                           rtol=2e-4, atol=2e-5)
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)
    assert keras.layers.Convolution3D is keras.layers.Conv3D and keras.layers.AvgPool3D is keras.layers.AveragePooling3D


@pytest.mark.parametrize("make, error, words", [
    (lambda: keras.layers.Conv3D(2, 3)(np.zeros((1, 5, 5, 1))), ShapeError, "takes volumes of shape (batch, depth"),
    (lambda: keras.layers.Conv3D(2, 4)(np.zeros((1, 3, 5, 5, 1))), ShapeError, "a 4×4×4 kernel, larger than"),
    (lambda: keras.layers.Conv3D(2, (3, 3)), ConfigError, "kernel_size must be a positive integer or three of them"),
    (lambda: keras.layers.Conv3D(2, 3, strides=2, dilation_rate=2), ConfigError, "dilation_rate above 1 takes"),
    (lambda: keras.layers.MaxPooling3D(2, padding="full"), ConfigError, "padding must be 'valid'"),
    (lambda: keras.layers.GlobalMaxPooling3D(data_format="channels_first"), ConfigError, "channels_last"),
    (lambda: keras.layers.Conv3DTranspose(2, 3, dilation_rate=2), ConfigError, "has dilation_rate=1 only"),
    (lambda: keras.layers.Conv3DTranspose(2, 3, strides=2, output_padding=2), ConfigError,
     "output_padding must be None or an integer ≥ 0 (or three of them) smaller than the strides (2, 2, 2)"),
    (lambda: keras.layers.Conv3DTranspose(2, 3)(np.zeros((1, 4, 4, 1))), ShapeError, "takes volumes of shape"),
])
def test_bad_input_is_one_sentence(make, error, words):
    with pytest.raises(error) as caught:
        make()
    assert words in str(caught.value) and str(caught.value).endswith(".")


@pytest.mark.parametrize("name, setting", [
    ("ZeroPadding3D", 1), ("ZeroPadding3D", (1, 2, 0)), ("ZeroPadding3D", ((0, 1), (2, 0), (1, 1))),
    ("Cropping3D", 1), ("Cropping3D", ((1, 0), 2, (0, 1))), ("UpSampling3D", 2), ("UpSampling3D", (1, 2, 3)),
])
def test_padding_cropping_and_upsampling_give_keras_volumes_and_pass_gradients_back(name, setting):
    real = real_keras()
    x = RNG.normal(size=(2, 4, 5, 6, 2))
    expected = np.asarray(getattr(real.layers, name)(setting)(x.astype(np.float32)))
    layer = getattr(keras.layers, name)(setting)
    np.testing.assert_allclose(layer(x.astype(np.float32)).numpy(), expected, rtol=1e-6)
    assert layer.compute_output_shape(x.shape[1:]) == expected.shape[1:]
    weights = fl.tensor(RNG.normal(size=expected.shape))
    assert fl.gradcheck(lambda a: layer(a) * weights, [x], atol=1e-7, rtol=1e-6)
    again = getattr(keras.layers, name).from_config(layer.get_config())
    np.testing.assert_array_equal(again(x.astype(np.float32)).numpy(), layer(x.astype(np.float32)).numpy())


def test_spatial_dropout_3d_drops_whole_feature_maps_in_training_only():
    layer = keras.layers.SpatialDropout3D(0.5, seed=3)
    x = np.ones((4, 3, 3, 3, 8), dtype=np.float32)
    out = layer(x, training=True).numpy()
    assert (out == out[:, :1, :1, :1, :]).all() and set(np.unique(out)) == {0.0, 2.0}
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    with pytest.raises(ShapeError, match="takes volumes of shape"):
        layer(np.ones((2, 3, 3, 8)), training=True)


def test_volume_shape_layers_cross_to_keras_files(tmp_path):
    real = real_keras()
    model = keras.Sequential([keras.Input((4, 6, 6, 1)), keras.layers.ZeroPadding3D((0, 1, 1)),
                              keras.layers.Conv3D(2, 3), keras.layers.UpSampling3D((1, 2, 2)),
                              keras.layers.Cropping3D(((0, 0), (1, 1), (1, 1))), keras.layers.SpatialDropout3D(0.2),
                              keras.layers.GlobalMaxPooling3D(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    keras.saving.export_keras(model, tmp_path / "k.keras")
    x = RNG.normal(size=(3, 4, 6, 6, 1)).astype(np.float32)
    np.testing.assert_allclose(real.models.load_model(tmp_path / "k.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "m.keras").predict(x, verbose=0),
                                  model.predict(x, verbose=0))
    with pytest.raises(ConfigError, match="three .depth, rows, columns."):
        keras.layers.ZeroPadding3D((1, 2))
    with pytest.raises(ShapeError, match="leaving nothing along an axis"):
        keras.layers.Cropping3D(2)(x)
