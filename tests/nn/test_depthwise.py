"""Depthwise and separable convolutions (fnlearn.nn.depthwise): gradients by central differences and against
PyTorch (groups = channels), outputs and training against Keras 3, shapes, files and mistakes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import backend, io, keras
from fnlearn import functional as F
from fnlearn.errors import ConfigError, ModelFileError, ShapeError
from fnlearn.nn.conv import _plan, conv2d
from fnlearn.nn.depthwise import DepthwiseConv2D, SeparableConv2D, depthwise_conv2d

RNG = np.random.default_rng(11)

# (batch, height, width, channels, depth multiplier, kernel, strides, padding, dilation): Keras's uneven "same"
# padding with stride 2, a non-square kernel, several kernels per channel, a 1×1 kernel, one the size of the image,
# taps dilated (evenly, by axis, with "same" padding), and dilated taps with strides (Keras 3 takes both here)
CASES = [
    (2, 5, 6, 3, 1, (3, 3), (1, 1), "valid", (1, 1)),
    (2, 5, 6, 3, 1, (3, 3), (1, 1), "same", (1, 1)),
    (2, 7, 6, 2, 2, (3, 3), (2, 2), "same", (1, 1)),
    (2, 7, 5, 2, 3, (3, 2), (2, 1), "valid", (1, 1)),
    (1, 4, 5, 3, 2, (1, 1), (1, 1), "valid", (1, 1)),
    (1, 4, 4, 2, 1, (4, 4), (1, 1), "valid", (1, 1)),
    (2, 7, 8, 2, 1, (3, 3), (1, 1), "valid", (2, 2)),
    (1, 7, 8, 2, 2, (3, 2), (1, 1), "same", (2, 3)),
    (2, 9, 8, 2, 1, (3, 3), (2, 2), "same", (2, 2)),
    (1, 9, 10, 2, 2, (2, 3), (3, 2), "valid", (2, 1)),
]
IDS = ["valid", "same", "same-stride2-m2", "rect-m3", "pointwise-m2", "whole-image", "dilated", "dilated-same-m2",
       "dilated-stride2-same", "dilated-strided-valid-m2"]


def host(array):
    return backend.to_numpy(array)


@pytest.mark.parametrize("n,h,w,c,m,kernel,strides,padding,dilation", CASES, ids=IDS)
def test_depthwise_gradients_match_central_differences_in_float64(n, h, w, c, m, kernel, strides, padding, dilation):
    x, k, b = RNG.normal(size=(n, h, w, c)), RNG.normal(size=(*kernel, c, m)), RNG.normal(size=c * m)
    out_shape = depthwise_conv2d(fl.tensor(x), fl.tensor(k), fl.tensor(b), strides, padding, dilation).shape
    weights = fl.tensor(RNG.normal(size=out_shape))  # every output value counts, each differently
    assert fl.gradcheck(lambda a, kk, bb: depthwise_conv2d(a, kk, bb, strides, padding, dilation) * weights,
                        [x, k, b], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("n,h,w,c,m,kernel,strides,padding,dilation", CASES, ids=IDS)
def test_depthwise_values_and_gradients_match_pytorch_grouped_convolution(n, h, w, c, m, kernel, strides, padding,
                                                                          dilation):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, k, b = RNG.normal(size=(n, h, w, c)), RNG.normal(size=(*kernel, c, m)), RNG.normal(size=c * m)
    xs, ks, bs = (fl.tensor(v, requires_grad=True) for v in (x, k, b))
    out = depthwise_conv2d(xs, ks, bs, strides, padding, dilation)
    g = RNG.normal(size=out.shape)
    (out * fl.tensor(g)).sum().backward()
    # PyTorch: groups = channels, its kernel (c·m, 1, kh, kw) with channel c's m-th kernel at c·m + m, as Keras's
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    tk = torch.tensor(k.transpose(2, 3, 0, 1).reshape(c * m, 1, *kernel), requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    reach = tuple((k_ - 1) * d + 1 for k_, d in zip(kernel, dilation))
    _, _, (top, bottom), (left, right) = _plan(x.shape, reach, strides, padding)
    ref = tf.conv2d(tf.pad(tx, (left, right, top, bottom)), tk, tb, stride=strides, groups=c, dilation=dilation)
    (ref * torch.tensor(g.transpose(0, 3, 1, 2))).sum().backward()
    np.testing.assert_allclose(host(out.data), ref.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(xs.grad), tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(ks.grad), tk.grad.numpy().reshape(c, m, *kernel).transpose(2, 3, 0, 1),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(bs.grad), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_separable_chain_gradients_match_central_differences_in_float64():
    """SeparableConv2D's forward: the depthwise op, then a 1×1 convolution with the bias, then ReLU."""
    x, dk = RNG.normal(size=(2, 6, 5, 3)), RNG.normal(size=(3, 3, 3, 2))
    pk, b = RNG.normal(size=(1, 1, 6, 4)), RNG.normal(size=4)
    weights = fl.tensor(RNG.normal(size=(2, 3, 3, 4)))
    assert fl.gradcheck(lambda a, d, p, bb: F.relu(conv2d(depthwise_conv2d(a, d, None, 2, "same"), p, bb)) * weights,
                        [x, dk, pk, b], atol=1e-7, rtol=1e-6)


# ----------------------------------------------------------------------------- the layers against Keras


@pytest.mark.parametrize("make", [
    lambda k: k.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu"),
    lambda k: k.layers.DepthwiseConv2D((3, 2), strides=2, use_bias=False),
    lambda k: k.layers.SeparableConv2D(5, 3, padding="same", activation="relu"),
    lambda k: k.layers.SeparableConv2D(4, (2, 3), strides=(2, 1), depth_multiplier=3),
    lambda k: k.layers.SeparableConv2D(4, 3, padding="same", dilation_rate=2, activation="relu"),
    lambda k: k.layers.DepthwiseConv2D(2, dilation_rate=(2, 3), depth_multiplier=2),
    lambda k: k.layers.SeparableConv2D(4, 3, strides=2, dilation_rate=2, padding="same", depth_multiplier=2),
], ids=["depthwise-m2-same", "depthwise-stride2-nobias", "separable-same", "separable-m3-stride",
        "separable-dilated-same", "depthwise-dilated", "separable-stride2-dilated-same"])
def test_layers_give_keras_outputs_shapes_and_weights_and_train_as_keras(make):
    real = real_keras()
    x = RNG.normal(size=(6, 7, 8, 3)).astype("float32")
    y = RNG.normal(size=(6, 1)).astype("float32")

    def model(library):
        return library.Sequential([library.Input(shape=(7, 8, 3)), make(library), library.layers.Flatten(),
                                   library.layers.Dense(1)])

    theirs, ours = model(real), model(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert ours.layers[0].compute_output_shape((7, 8, 3)) == theirs.layers[0].compute_output_shape(
        (None, 7, 8, 3))[1:]
    assert ours.count_params() == theirs.count_params()
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", learning_rate=0.01, batch_size=3, rtol=2e-5, atol=2e-6)


def test_glorot_start_has_keras_fans():
    layer = DepthwiseConv2D(3, depth_multiplier=4)
    layer.build((10, 10, 50))
    limit = np.sqrt(6 / (9 * 50 + 9 * 4))  # fans kh·kw·channels and kh·kw·multiplier, as Keras computes them
    values = host(layer.depthwise_kernel.data)
    assert values.shape == (3, 3, 50, 4) and np.abs(values).max() <= limit and np.abs(values).max() > 0.9 * limit


def test_the_image_classification_block_trains_saves_and_loads(tmp_path):
    """The residual SeparableConv2D block of Keras's "image classification from scratch", small (its batch
    normalization's moving statistics quicker than Keras's default, to be right after 40 steps)."""
    layers = keras.layers
    fl.set_seed(0)
    inputs = keras.Input(shape=(12, 12, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization(momentum=0.5)(x)
    x = layers.Activation("relu")(x)
    previous = x
    x = layers.SeparableConv2D(16, 3, padding="same")(x)
    x = layers.BatchNormalization(momentum=0.5)(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.add([x, layers.Conv2D(16, 1, strides=2, padding="same")(previous)])
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(1)(layers.Dropout(0.25)(x)))
    model.compile(keras.optimizers.Adam(0.01), keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 2, 32).astype("float32")  # bright images are one class, dark ones the other
    images = (rng.integers(0, 128, size=(32, 12, 12, 3)) + 128 * labels[:, None, None, None]).astype("float32")
    before = model.evaluate(images, labels)
    model.fit(images, labels, batch_size=8, epochs=10, verbose=0)
    after = model.evaluate(images, labels)
    assert after[0] < 0.1 * before[0] and after[1] == 1.0
    model.save(tmp_path / "block.keras")
    again = keras.models.load_model(tmp_path / "block.keras")
    np.testing.assert_allclose(again.predict(images), model.predict(images), rtol=1e-6, atol=1e-6)
    assert [type(layer).__name__ for layer in again.layers].count("SeparableConv2D") == 1


def test_a_damaged_file_is_refused_before_anything_is_allocated(tmp_path):
    from safetensors import safe_open

    model = keras.Sequential([keras.Input(shape=(6, 6, 2)), keras.layers.SeparableConv2D(3, 3), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    with safe_open(str(tmp_path / "m.keras"), "np") as file:
        doc = json.loads(file.metadata()["fnlearn"])
        tensors = {key: file.get_tensor(key) for key in file.keys()}
    name = next(key for key in tensors if key.endswith("pointwise_kernel"))
    tensors[name] = np.zeros((1, 1, 5, 3), dtype=tensors[name].dtype)  # not the depthwise output's 2 channels
    bad = tmp_path / "bad.keras"
    bad.write_bytes(io._encode(doc, tensors, bad))
    with pytest.raises(ModelFileError, match=r"is inconsistent: SeparableConv2D layer 0 \(input \(6, 6, 2\)\) finds "
                                             r"weights .*pointwise_kernel \(1, 1, 5, 3\).*it is damaged"):
        keras.models.load_model(bad)


# ----------------------------------------------------------------------------- mistakes, one sentence each


@pytest.mark.parametrize("call, error, message", [
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), ConfigError, r"depth_multiplier must be a whole number ≥ 1"),
    (lambda: SeparableConv2D(0, 3), ConfigError, r"SeparableConv2D filters must be a positive integer"),
    (lambda: DepthwiseConv2D(3, dilation_rate=0), ConfigError, r"dilation_rate must be a positive integer"),
    (lambda: DepthwiseConv2D(3, data_format="channels_first"), ConfigError, r"channels_last"),
    (lambda: DepthwiseConv2D(3, pointwise_constraint="non_neg"), ConfigError, r"unexpected argument.*pointwise_c"),
    (lambda: DepthwiseConv2D(3, kernel_initializer="ones"), ConfigError, r"unexpected argument\(s\) kernel_init"),
    (lambda: DepthwiseConv2D(5)(np.ones((1, 4, 4, 2))), ShapeError, r"5×5 kernel, larger than its input of 4×4"),
    (lambda: depthwise_conv2d(fl.tensor(np.ones((1, 4, 4, 2))), fl.tensor(np.ones((3, 3, 3, 1)))), ShapeError,
     r"needs a kernel of shape \(kh, kw, 2, depth_multiplier\)"),
])
def test_mistakes_are_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_built_layer_refuses_images_of_other_channels_and_keeps_its_weights():
    layer = SeparableConv2D(4, 3)
    layer(np.ones((1, 5, 5, 2)))
    before = host(layer.depthwise_kernel.data).copy()
    with pytest.raises(ShapeError, match=r"was built for images with 2 channels, but was given images of shape "
                                         r"\(1, 5, 5, 3\)"):
        layer(np.ones((1, 5, 5, 3)))
    np.testing.assert_array_equal(host(layer.depthwise_kernel.data), before)
