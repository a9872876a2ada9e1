"""Convolution and pooling: the ops' gradients against central finite differences and PyTorch, Keras's padding
and shapes, the layers in every kind of model, saving, and the mistakes a user makes with images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import backend, fastpath, keras
from fnlearn import functional as F
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.nn.conv import (
    CONVOLUTIONAL,
    Workspace,
    _conv2d,
    _plan,
    avg_pool2d,
    conv2d,
    grouped_conv2d,
    max_pool2d,
)

RNG = np.random.default_rng(7)


def host(array):
    return backend.to_numpy(array)


# (batch, height, width, channels, filters, kernel, strides, padding): odd sizes, stride 2 with Keras's uneven
# "same" padding, a non-square kernel, a 1×1 kernel and a kernel the size of the image
CONV_CASES = [
    (2, 5, 6, 3, 4, (3, 3), (1, 1), "valid"),
    (2, 5, 6, 3, 4, (3, 3), (1, 1), "same"),
    (2, 7, 6, 2, 3, (3, 3), (2, 2), "same"),
    (1, 8, 8, 2, 3, (4, 4), (3, 3), "same"),
    (2, 7, 5, 2, 2, (3, 2), (2, 1), "valid"),
    (2, 4, 5, 3, 2, (1, 1), (1, 1), "valid"),
    (1, 4, 4, 2, 2, (4, 4), (1, 1), "valid"),
    (2, 6, 5, 1, 3, (3, 3), (2, 1), "same"),  # one channel: the patches are kept transposed
]
CONV_IDS = ["valid", "same", "same-stride2", "same-stride3-even", "rect-kernel", "pointwise", "whole-image",
            "one-channel-same-stride2x1"]

# (height, width, pool, strides, padding): side by side (reshaped), overlapping, odd sizes with rows left over
POOL_CASES = [
    (6, 6, (2, 2), None, "valid"),
    (5, 7, (2, 2), None, "valid"),
    (5, 7, (2, 2), None, "same"),
    (6, 5, (3, 3), (1, 1), "same"),
    (7, 6, (3, 2), (2, 1), "valid"),
    (5, 5, (3, 3), (2, 2), "same"),
]
POOL_IDS = ["2x2", "2x2-odd", "2x2-odd-same", "3x3-overlap-same", "rect-overlap", "3x3-stride2-same"]


def _keras_padding(shape, window, strides, padding):
    """(left, right, top, bottom) for torch's F.pad: Keras's "same" puts the odd extra row at the bottom."""
    _, _, (top, bottom), (left, right) = _plan(shape, window, strides, padding)
    return left, right, top, bottom


# ----------------------------------------------------------------------------- the ops


@pytest.mark.parametrize("n,h,w,c,f,kernel,strides,padding", CONV_CASES, ids=CONV_IDS)
def test_conv2d_gradients_match_central_differences_in_float64(n, h, w, c, f, kernel, strides, padding):
    x, k, b = RNG.normal(size=(n, h, w, c)), RNG.normal(size=(*kernel, c, f)), RNG.normal(size=f)
    out_shape = conv2d(fl.tensor(x), fl.tensor(k), fl.tensor(b), strides, padding).shape
    weights = fl.tensor(RNG.normal(size=out_shape))  # every output value counts, each differently
    assert fl.gradcheck(lambda a, kk, bb: conv2d(a, kk, bb, strides, padding) * weights, [x, k, b],
                        atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("n,h,w,c,f,kernel,strides,padding", CONV_CASES[:3], ids=CONV_IDS[:3])
def test_the_input_gradient_a_few_images_at_a_time_is_the_gradient(monkeypatch, n, h, w, c, f, kernel, strides,
                                                                     padding):
    """On the CPU a large batch's input gradient is built a few images at a time; with a budget of one image
    per piece (a batch of three), it still matches central differences."""
    from fnlearn.nn import conv

    monkeypatch.setattr(conv, "_CHUNK_BYTES", 1)
    x, k, b = RNG.normal(size=(n + 1, h, w, c)), RNG.normal(size=(*kernel, c, f)), RNG.normal(size=f)
    weights = fl.tensor(RNG.normal(size=conv2d(fl.tensor(x), fl.tensor(k), fl.tensor(b), strides, padding).shape))
    assert fl.gradcheck(lambda a, kk, bb: conv2d(a, kk, bb, strides, padding) * weights, [x, k, b],
                        atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("h,w,pool,strides,padding", POOL_CASES, ids=POOL_IDS)
@pytest.mark.parametrize("op", [max_pool2d, avg_pool2d], ids=["max", "avg"])
def test_pool_gradients_match_central_differences_in_float64(op, h, w, pool, strides, padding):
    x = RNG.normal(size=(2, h, w, 3))  # distinct values: no ties, so the max is differentiable
    weights = fl.tensor(RNG.normal(size=op(fl.tensor(x), pool, strides, padding).shape))
    assert fl.gradcheck(lambda a: op(a, pool, strides, padding) * weights, [x], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("h,w,pool,strides,padding", POOL_CASES, ids=POOL_IDS)
@pytest.mark.parametrize("piece_bytes", [None, 1], ids=["whole-batch", "an-image-a-piece"])
def test_max_pool_matches_pytorch_and_gives_a_tie_to_the_first_in_the_window(monkeypatch, piece_bytes, h, w, pool,
                                                                             strides, padding):
    torch = pytest.importorskip("torch")
    if piece_bytes is not None:  # on the CPU the passes run a few images at a time: one image each here
        from fnlearn.nn import conv

        monkeypatch.setattr(conv, "_CHUNK_BYTES", piece_bytes)
    tf = torch.nn.functional
    x = RNG.integers(0, 3, size=(2, h, w, 3)).astype(np.float64)  # small integers: many ties in a window
    xs = fl.tensor(x, requires_grad=True)
    out = max_pool2d(xs, pool, strides, padding)
    g = RNG.normal(size=out.shape)
    (out * fl.tensor(g)).sum().backward()
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    padded = tf.pad(tx, _keras_padding(x.shape, pool, strides or pool, padding), value=-np.inf)
    ref = tf.max_pool2d(padded, pool, strides or pool)
    (ref * torch.tensor(g.transpose(0, 3, 1, 2))).sum().backward()
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy().transpose(0, 2, 3, 1))
    np.testing.assert_allclose(host(xs.grad), tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-12, atol=1e-12)


def test_a_pool_of_more_than_256_values_still_names_its_winner():
    """The forward marks each window's winning offset in one byte up to 256 offsets; a 17×17 pool (289) needs
    two. The gradient must reach a winner past offset 255, and a tie there still goes to the first."""
    x = np.zeros((2, 17, 17, 2))
    x[0, 16, 15, 0] = 5.0  # offset 16·17 + 15 = 287
    x[1, 15, 3, 1] = x[1, 16, 3, 1] = 4.0  # a tie: offsets 258 and 275, the first takes it
    xs = fl.tensor(x, requires_grad=True)
    out = max_pool2d(xs, 17)
    (out * fl.tensor(np.array([[[[2.0, 3.0]]], [[[5.0, 7.0]]]]))).sum().backward()
    grad = host(xs.grad)
    assert grad[0, 16, 15, 0] == 2.0 and grad[1, 15, 3, 1] == 7.0 and grad[1, 16, 3, 1] == 0.0
    # the all-zero windows: their gradient goes to the first value, (0, 0)
    assert grad[0, 0, 0, 1] == 3.0 and grad[1, 0, 0, 0] == 5.0
    assert np.count_nonzero(grad) == 4


def test_a_max_pool_without_gradients_marks_no_winners():
    """Marking each window's winner costs passes in the forward; a forward that records no graph (predict,
    ``no_grad``) skips them and gives the same values."""
    layer = fl.layers.MaxPooling2D()
    x = RNG.normal(size=(3, 8, 8, 4)).astype(np.float32)
    with fl.no_grad():
        quiet = layer(fl.tensor(x, requires_grad=True)).numpy()
    assert "winner" not in layer._workspace._arrays
    recorded = layer(fl.tensor(x, requires_grad=True))
    assert "winner" in layer._workspace._arrays
    np.testing.assert_array_equal(quiet, recorded.numpy())


@pytest.mark.parametrize("h,w,pool,strides,padding", POOL_CASES, ids=POOL_IDS)
def test_average_pool_matches_pytorch_and_counts_only_the_real_values_of_a_padded_window(h, w, pool, strides,
                                                                                         padding):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = RNG.normal(size=(2, h, w, 3))
    xs = fl.tensor(x, requires_grad=True)
    out = avg_pool2d(xs, pool, strides, padding)
    g = RNG.normal(size=out.shape)
    (out * fl.tensor(g)).sum().backward()
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    pads = _keras_padding(x.shape, pool, strides or pool, padding)
    steps = strides or pool
    # Keras's border windows: the sum of the real values over their count (torch's sums of zero-padded windows)
    total = tf.avg_pool2d(tf.pad(tx, pads), pool, steps, divisor_override=1)
    count = tf.avg_pool2d(tf.pad(torch.ones_like(tx[:1, :1]), pads), pool, steps, divisor_override=1)
    ref = total / count
    (ref * torch.tensor(g.transpose(0, 3, 1, 2))).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(xs.grad), tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)


def test_keras_same_padding_puts_the_extra_row_and_column_after_the_image():
    # 4 wide, stride 2, kernel 3: (2 − 1)·2 + 3 − 4 = 1 padded value in all, after the image (Keras, TensorFlow)
    x = fl.tensor(np.arange(16.0).reshape(1, 4, 4, 1))
    out = conv2d(x, fl.tensor(np.ones((3, 3, 1, 1))), strides=2, padding="same").numpy()[0, :, :, 0]
    assert out.tolist() == [[45.0, 39.0], [66.0, 50.0]]  # windows: rows 0-2 and 2-3, columns 0-2 and 2-3
    assert _plan((1, 5, 5, 1), (3, 3), (2, 2), "same")[2:] == ((1, 1), (1, 1))
    assert _plan((1, 28, 28, 1), (3, 3), (1, 1), "same")[:2] == (28, 28)
    assert _plan((1, 13, 13, 1), (2, 2), (2, 2), "valid")[:2] == (6, 6)


def test_float32_stays_float32_forward_and_backward():
    x = fl.tensor(RNG.normal(size=(2, 6, 6, 2)).astype(np.float32), requires_grad=True)
    kernel = fl.Parameter(RNG.normal(size=(3, 3, 2, 4)).astype(np.float32))
    bias = fl.Parameter(np.zeros(4, dtype=np.float32))
    out = max_pool2d(conv2d(x, kernel, bias, padding="same"))
    out = avg_pool2d(out, 3, 1, "same")
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == kernel.grad.dtype == bias.grad.dtype == np.float32


@pytest.mark.parametrize("call,error,message", [
    (lambda: conv2d(fl.tensor(np.ones((2, 8))), fl.tensor(np.ones((3, 3, 1, 1)))), ShapeError,
     r"conv2d takes images of shape \(batch, height, width, channels\), got shape \(2, 8\)"),
    (lambda: conv2d(fl.tensor(np.ones((1, 5, 5, 2))), fl.tensor(np.ones((3, 3, 1, 4)))), ShapeError,
     r"kernel of shape \(kh, kw, 2, filters\) for images with 2 channels, got a kernel of shape \(3, 3, 1, 4\)"),
    (lambda: conv2d(fl.tensor(np.ones((1, 2, 5, 1))), fl.tensor(np.ones((3, 3, 1, 1)))), ShapeError,
     r"3×3 kernel, larger than its input of 2×5"),
    (lambda: max_pool2d(fl.tensor(np.ones((1, 5, 5, 1))), 0), ConfigError, r"pool_size must be a positive"),
    (lambda: avg_pool2d(fl.tensor(np.ones((1, 5, 5, 1))), 2, padding="full"), ConfigError,
     r"padding must be 'valid' .* or 'same'"),
])
def test_op_mistakes_are_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------- the layers


def test_a_relu_conv_layer_computes_the_op_then_relu_with_the_same_gradients():
    layer = fl.layers.Conv2D(3, 3, padding="same", activation="relu", dtype="float64")
    x = RNG.normal(size=(2, 5, 5, 2))
    xs = fl.tensor(x, requires_grad=True)
    g = RNG.normal(size=(2, 5, 5, 3))
    (layer(xs) * fl.tensor(g)).sum().backward()
    xr = fl.tensor(x, requires_grad=True)
    kernel, bias = (fl.tensor(host(p.data), requires_grad=True) for p in (layer.kernel, layer.bias))
    (F.relu(conv2d(xr, kernel, bias, 1, "same")) * fl.tensor(g)).sum().backward()
    for ours, theirs in ((xs.grad, xr.grad), (layer.kernel.grad, kernel.grad), (layer.bias.grad, bias.grad)):
        np.testing.assert_allclose(host(ours), host(theirs), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("h,w,pool,strides,padding", POOL_CASES, ids=POOL_IDS)
@pytest.mark.parametrize("shared", [False, True], ids=["pooled", "pooled-and-used-again"])
@pytest.mark.parametrize("piece_bytes", [None, 1], ids=["whole-batch", "an-image-a-piece"])
def test_a_relu_conv_then_max_pool_gives_the_gradients_of_relu_then_pool(monkeypatch, piece_bytes, h, w, pool,
                                                                         strides, padding, shared):
    """A max-pool after a ReLU convolution takes ReLU's gradient on its pooled values and the convolution skips
    its own mask. That must give what ReLU then the pool give written out: with windows of zeros only (a
    negative bias kills most values), with ties, and when the convolution's output is also used elsewhere (its
    mask is then needed again); a whole batch at once or an image at a time."""
    if piece_bytes is not None:
        from fnlearn.nn import conv

        monkeypatch.setattr(conv, "_CHUNK_BYTES", piece_bytes)
    x = RNG.integers(-2, 3, size=(2, h, w, 2)).astype(np.float64)  # small integers: ties and all-zero windows
    k, b = RNG.integers(-1, 2, size=(3, 3, 2, 3)).astype(np.float64), np.array([-3.0, 0.0, 1.0])
    pooled_shape = max_pool2d(fl.tensor(np.zeros((2, h, w, 3))), pool, strides, padding).shape
    g_pool, g_out = RNG.normal(size=pooled_shape), RNG.normal(size=(2, h, w, 3))

    def gradients(fused):
        workspace = Workspace()
        xs, ks, bs = (fl.tensor(v, requires_grad=True) for v in (x, k, b))
        out = _conv2d(xs, ks, bs, 1, "same", True, workspace) if fused else F.relu(conv2d(xs, ks, bs, 1, "same"))
        pooled = max_pool2d(out, pool, strides, padding)
        loss = (pooled * fl.tensor(g_pool)).sum()
        if shared:
            loss = loss + (out * fl.tensor(g_out)).sum()
        loss.backward()
        assert np.any(host(pooled.data) == 0)  # some windows hold zeros only
        return [host(t.grad) for t in (xs, ks, bs)], "alive" in workspace._arrays

    (fused, masked_itself), (written_out, _) = gradients(True), gradients(False)
    for ours, theirs in zip(fused, written_out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert masked_itself == shared  # the convolution skipped its mask only for the pool's gradient alone


@pytest.mark.parametrize("make", [lambda: fl.layers.Conv2D(3, 3, activation="relu", dtype="float64"),
                                  lambda: fl.layers.MaxPooling2D(dtype="float64")], ids=["conv", "maxpool"])
def test_a_layer_called_twice_before_backward_keeps_both_calls_values(make):
    """A layer's scratch arrays are reused only when no graph holds them: a layer shared by two branches, both
    waiting for one backward, must not see its first call's arrays overwritten by the second."""
    layer = make()
    x1, x2 = RNG.normal(size=(2, 6, 6, 2)), RNG.normal(size=(2, 6, 6, 2))
    a, b = fl.tensor(x1, requires_grad=True), fl.tensor(x2, requires_grad=True)
    out1, out2 = layer(a), layer(b)
    w1, w2 = RNG.normal(size=out1.shape), RNG.normal(size=out2.shape)
    (out1 * fl.tensor(w1) + out2 * fl.tensor(w2)).sum().backward()
    for x, w, grad in ((x1, w1, a.grad), (x2, w2, b.grad)):
        alone = fl.tensor(x, requires_grad=True)
        (layer(alone) * fl.tensor(w)).sum().backward()
        np.testing.assert_allclose(host(grad), host(alone.grad), rtol=1e-12, atol=1e-12)


def test_the_workspace_gives_an_array_again_only_once_nothing_holds_it():
    workspace = Workspace()
    first = workspace.empty("patches", (4, 3), "float32")
    assert workspace.empty("patches", (4, 3), "float32") is not first  # still held: a new one
    view = first.reshape(3, 4)
    del first
    assert workspace.empty("patches", (4, 3), "float32") is not view.base  # a view holds it too
    del view
    again = id(workspace.empty("patches", (4, 3), "float32"))
    assert id(workspace.empty("patches", (4, 3), "float32")) == again
    assert workspace.empty("patches", (4, 3), "float64").dtype == np.float64
    import copy
    import pickle

    assert copy.deepcopy(workspace)._arrays == {} and pickle.loads(pickle.dumps(workspace))._arrays == {}


def test_conv2d_layer_builds_with_keras_shapes_fans_and_counts():
    fl.set_seed(0)
    layer = fl.layers.Conv2D(64, (3, 3), input_shape=(13, 13, 32))
    assert layer.kernel.shape == (3, 3, 32, 64) and layer.bias.shape == (64,) and layer.num_parameters() == 18496
    limit = np.sqrt(6.0 / (9 * 32 + 9 * 64))  # Glorot's fans count the kernel's window, as Keras's
    values = np.abs(host(layer.kernel.data))
    assert values.max() <= limit and values.max() > 0.99 * limit
    assert not host(layer.bias.data).any()
    assert layer.compute_output_shape((13, 13, 32)) == (11, 11, 64)
    assert fl.layers.Conv2D(8, 3, strides=2, padding="same").compute_output_shape((13, 12, 1)) == (7, 6, 8)
    assert fl.layers.Conv2D(8, (5, 3), strides=(2, 1)).compute_output_shape((13, 12, 1)) == (5, 10, 8)
    assert fl.layers.Conv2D(2, 1, use_bias=False, input_shape=(4, 4, 3)).parameters()[0].shape == (1, 1, 3, 2)


def test_layers_build_lazily_from_their_first_images():
    layer = fl.layers.Conv2D(4, 3)
    assert not layer.built and layer.kernel is None
    out = layer(np.ones((2, 7, 7, 3)))
    assert out.shape == (2, 5, 5, 4) and layer.kernel.shape == (3, 3, 3, 4) and layer.input_shape == (7, 7, 3)
    assert layer(np.ones((1, 9, 9, 3))).shape == (1, 7, 7, 4)  # the weights take any image size
    assert out.dtype == np.float32  # float64 and integer images are cast to the layer's dtype


@pytest.mark.parametrize("layer,shape,expected", [
    (lambda: fl.layers.MaxPooling2D(), (2, 7, 6, 3), (2, 3, 3, 3)),
    (lambda: fl.layers.MaxPooling2D((3, 3), strides=1, padding="same"), (2, 7, 6, 3), (2, 7, 6, 3)),
    (lambda: fl.layers.AveragePooling2D(2, padding="same"), (2, 7, 6, 3), (2, 4, 3, 3)),
    (lambda: fl.layers.GlobalAveragePooling2D(), (2, 7, 6, 3), (2, 3)),
    (lambda: fl.layers.GlobalMaxPooling2D(keepdims=True), (2, 7, 6, 3), (2, 1, 1, 3)),
    (lambda: fl.layers.Reshape((-1, 3)), (2, 7, 6, 3), (2, 42, 3)),
    (lambda: fl.layers.Reshape((28, 28, 1)), (2, 784), (2, 28, 28, 1)),
])
def test_weightless_layers_give_keras_shapes(layer, shape, expected):
    made = layer()
    out = made(RNG.normal(size=shape))
    assert out.shape == expected and made.output_shape_for(shape[1:]) == expected[1:]
    assert made.parameters() == []


def test_global_poolings_take_the_mean_and_max_of_each_channel():
    x = RNG.normal(size=(3, 4, 5, 2))
    np.testing.assert_allclose(fl.layers.GlobalAveragePooling2D()(x).numpy(), x.mean(axis=(1, 2)), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(fl.layers.GlobalMaxPooling2D()(x).numpy(), x.max(axis=(1, 2)), rtol=1e-12)
    weights = fl.tensor(RNG.normal(size=(3, 2)))
    for layer in (fl.layers.GlobalAveragePooling2D(), fl.layers.GlobalMaxPooling2D()):
        assert fl.gradcheck(lambda a, lay=layer: lay(a) * weights, [x], atol=1e-7, rtol=1e-6)


def test_every_layer_is_one_a_file_may_name_and_its_settings_round_trip_through_json():
    assert set(CONVOLUTIONAL) <= set(fl.layers.LAYERS)
    made = [fl.layers.Conv2D(8, (3, 5), strides=(2, 1), padding="SAME", activation="tanh", use_bias=False,
                             kernel_initializer="he_normal", kernel_regularizer=keras.regularizers.L2(1e-3),
                             name="c"),
            fl.layers.MaxPooling2D((3, 3), strides=2, padding="same", name="m"),
            fl.layers.AveragePooling2D(2, name="a"), fl.layers.GlobalAveragePooling2D(keepdims=True, name="g"),
            fl.layers.GlobalMaxPooling2D(name="gm"), fl.layers.Reshape((4, -1), name="r")]
    for layer in made:
        config = json.loads(json.dumps(layer.get_config()))
        again = type(layer).from_config(config)
        assert again.get_config() == layer.get_config(), type(layer).__name__
    conv = fl.layers.Conv2D.from_config(made[0].get_config())
    assert (conv.kernel_size, conv.strides, conv.padding, conv.use_bias) == ((3, 5), (2, 1), "same", False)
    assert conv.kernel_regularizer is not None and conv.activation_name == "tanh"


def _cnn(module, height=12, width=12, dropout=0.5):
    return module.Sequential([
        keras.Input(shape=(height, width, 1)),
        module.layers.Conv2D(8, (3, 3), activation="relu"), module.layers.MaxPooling2D((2, 2)),
        module.layers.Conv2D(16, 3, activation="relu", padding="same"), module.layers.MaxPooling2D(),
        module.layers.Flatten(), module.layers.Dropout(dropout), module.layers.Dense(10, activation="softmax")])


def _digits(n=64, height=12, width=12):
    x = RNG.random((n, height, width, 1)).astype(np.float32)
    return x, np.arange(n) % 10


@pytest.mark.parametrize("module", [keras, fl], ids=["keras", "fl"])
def test_the_mnist_cnn_program_trains_evaluates_and_predicts(module):
    fl.set_seed(0)
    x, y = _digits()
    model = _cnn(module)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    stopper = fl.callbacks.EarlyStopping(monitor="val_loss", patience=5)
    history = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, callbacks=[stopper], verbose=0)
    assert len(history.history["loss"]) == 3 and set(history.history) >= {"loss", "accuracy", "val_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0]  # it learns the 48 training images
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert np.isfinite(loss) and 0.0 <= accuracy <= 1.0
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (64, 10) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert fastpath.dense_stack(model) is None and fastpath.dense_stack(model, inference=True) is None
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, 10, 10, 8)" in line and "80" in line for line in lines)
    assert any("(None, 5, 5, 16)" in line and "1,168" in line for line in lines)
    assert "Total params: 1,898 (7.41 KB)" in lines


def test_the_cnn_learns_a_task_it_can_learn():
    """Bright left halves against bright right halves: a few epochs of the small CNN tell them apart."""
    fl.set_seed(1)
    labels = np.arange(96) % 2
    x = RNG.random((96, 12, 12, 1)).astype(np.float32) * 0.5
    x[labels == 0, :, :6] += 0.5
    x[labels == 1, :, 6:] += 0.5
    model = _cnn(keras)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, labels, batch_size=16, epochs=8, verbose=0)
    assert model.evaluate(x, labels, verbose=0)[1] >= 0.95


def test_a_functional_cnn_builds_from_its_input_and_saves_and_loads(tmp_path):
    fl.set_seed(0)
    inputs = keras.Input(shape=(12, 12, 1))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.AveragePooling2D(2)(h)
    h = keras.layers.Conv2D(6, 3, strides=2, activation="relu")(h)
    pooled = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling2D()(h),
                                         keras.layers.GlobalMaxPooling2D()(h)])
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(pooled))
    assert h.shape == (None, 2, 2, 6) and model.num_parameters() == 40 + 222 + 39
    x, y = _digits(24)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y % 3, epochs=1, verbose=0)
    path = tmp_path / "cnn.keras"
    model.save(path)
    again = keras.models.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    for model_ in (model, again):  # training resumes alike: the optimizer's state came back too
        model_.fit(x, y % 3, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("declared", [True, False], ids=["input", "from-data"])
def test_a_sequential_cnn_saves_and_loads_with_its_weights_in_keras_order(tmp_path, declared):
    fl.set_seed(0)
    x, y = _digits(32)
    model = _cnn(keras) if declared else keras.Sequential(
        [keras.layers.Conv2D(8, 3, activation="relu"), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
         keras.layers.Dense(10, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert model.input_shape == (None, 12, 12, 1)
    assert [w.shape for w in model.get_weights()][:2] == [(3, 3, 1, 8), (8,)]
    path = tmp_path / "cnn.fnl"
    model.save(path)
    again = fl.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    lines, lines_again = [], []
    model.summary(print_fn=lines.append)
    again.summary(print_fn=lines_again.append)
    assert lines[1:] == lines_again[1:]
    fresh = _cnn(keras, dropout=0.5) if declared else None
    if fresh is not None:  # weights copied by set_weights give the same predictions
        fresh.set_weights(model.get_weights())
        np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_conv_penalties_join_the_loss():
    fl.set_seed(0)
    layer = fl.layers.Conv2D(2, 3, kernel_regularizer="l2", bias_regularizer=keras.regularizers.L1(0.1),
                             input_shape=(5, 5, 1))
    assert [p for p, _ in layer.penalties()] == [layer.kernel, layer.bias]
    model = keras.Sequential([layer, keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = RNG.random((4, 5, 5, 1))
    plain = float(np.mean((model.predict(x, verbose=0) - 1.0) ** 2))
    expected = plain + 0.01 * float(np.sum(host(layer.kernel.data) ** 2))  # "l2" is Keras's L2(0.01)
    assert model.evaluate(x, np.ones((4, 1)), verbose=0) == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize("call,error,message", [
    (lambda: fl.layers.Conv2D(4, 3)(np.ones((2, 784))), ShapeError,
     r"Conv2D layer '.*' takes images of shape \(batch, height, width, channels\), but was given samples of "
     r"shape \(784,\) \(flat rows of pixels: x\.reshape\(-1, height, width, channels\)\)"),
    (lambda: fl.layers.Conv2D(4, 3)(np.ones((2, 28, 28))), ShapeError,
     r"samples of shape \(28, 28\) \(grayscale images need a channels axis: x\[\.\.\., None\]\)"),
    (lambda: fl.layers.Conv2D(4, 5)(np.ones((2, 3, 3, 1))), ShapeError,
     r"Conv2D layer '.*' has a 5×5 kernel, larger than its input of 3×3 .* use padding='same'"),
    (lambda: fl.layers.Conv2D(4, 3, input_shape=(6, 6, 3))(np.ones((2, 6, 6, 1))), ShapeError,
     r"was built for images with 3 channels, but was given images of shape \(2, 6, 6, 1\) \(1 channels\)"),
    (lambda: fl.layers.Conv2D(4, 3, data_format="channels_first"), ConfigError,
     r"Conv2D got data_format='channels_first'; fnlearn's image layers take channels_last images"),
    (lambda: fl.layers.MaxPooling2D(data_format="channels_first"), ConfigError,
     r"MaxPooling2D got data_format='channels_first'"),
    (lambda: fl.layers.Conv2D(4, 3, dilation_rate=0), ConfigError,
     r"Conv2D dilation_rate must be a positive integer or a pair of them such as \(2, 2\), got 0\."),
    (lambda: fl.layers.Conv2D(4, 3, dilation_rate=-2), ConfigError, r"dilation_rate must be .* got -2\."),
    (lambda: fl.layers.Conv2D(4, 3, dilation_rate=1.5), ConfigError, r"dilation_rate must be .* got 1\.5\."),
    (lambda: fl.layers.Conv2D(4, 3, dilation_rate=(2, 0)), ConfigError, r"dilation_rate must be .* got \(2, 0\)"),
    (lambda: fl.layers.Conv2D(4, 3, strides=2, dilation_rate=2), ConfigError,
     r"Conv2D got strides=2 with dilation_rate=2; a dilation_rate above 1 takes strides of 1 .* keep strides=1"),
    (lambda: fl.layers.Conv2D(4, 3, strides=(1, 2), dilation_rate=(2, 1)), ConfigError,
     r"strides=\(1, 2\) with dilation_rate=\(2, 1\)"),
    (lambda: fl.layers.Conv2D(4, 3, dilation_rate=3)(np.ones((2, 6, 6, 1))), ShapeError,
     r"has a 7×7 dilated kernel \(3×3 taps \(3, 3\) apart\), larger than its input of 6×6"),
    (lambda: conv2d(fl.tensor(np.ones((1, 5, 5, 1))), fl.tensor(np.ones((3, 3, 1, 1))), padding="causal"),
     ConfigError, r"conv2d padding must be 'valid' .* or 'same' .* got 'causal'"),
    (lambda: fl.layers.Conv2D(4, 3, groups=3), ConfigError,
     r"Conv2D got groups=3 for 4 filters; groups must be a positive integer that divides filters"),
    (lambda: fl.layers.Conv2D(4, 3, groups=0), ConfigError, r"groups=0 for 4 filters"),
    (lambda: fl.layers.Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3))), ShapeError,
     r"splits its input channels into groups=2, but was given images of 3 channels"),
    (lambda: fl.layers.Conv2D(0, 3), ConfigError, r"filters must be a positive integer .* got 0"),
    (lambda: fl.layers.Conv2D(4, (3, 0)), ConfigError, r"kernel_size must be a positive integer or a pair"),
    (lambda: fl.layers.Conv2D(4, 3, strides=(1, 2, 3)), ConfigError, r"strides must be"),
    (lambda: fl.layers.Conv2D(4, 3, padding="causal"), ConfigError,
     r"Conv2D got padding='causal', which only Conv1D has .* give images padding='valid' or 'same'\."),
    (lambda: fl.layers.Conv2D(4, 3, kernel_constraint="max_nrom"), ConfigError,
     r"constraint 'max_nrom' is not known"),
    (lambda: fl.layers.Conv2D(4, 3, units=3), ConfigError, r"Conv2D got unexpected argument\(s\) units"),
    (lambda: fl.layers.MaxPooling2D(3)(np.ones((1, 2, 2, 1))), ShapeError,
     r"MaxPooling2D layer '.*' has a 3×3 pool, larger than its input of 2×2"),
    (lambda: fl.layers.GlobalAveragePooling2D()(np.ones((2, 5))), ShapeError,
     r"GlobalAveragePooling2D layer '.*' takes images"),
    (lambda: fl.layers.Reshape((5, 5))(np.ones((2, 24))), ShapeError,
     r"Reshape layer '.*' cannot reshape samples of shape \(24,\) \(24 values\) into \(5, 5\)"),
    (lambda: fl.layers.Reshape((-1, -1)), ConfigError, r"one of which may be -1"),
    (lambda: fl.layers.GlobalMaxPooling2D(keepdims="yes"), ConfigError, r"keepdims must be True or False"),
])
def test_layer_mistakes_are_one_sentence(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_refused_first_call_leaves_the_layer_unbuilt():
    layer = fl.layers.Conv2D(4, 5)
    with pytest.raises(ShapeError):
        layer(np.ones((2, 3, 3, 1)))
    assert not layer.built and layer.kernel is None and layer.input_shape is None
    assert layer(np.ones((2, 6, 6, 1))).shape == (2, 2, 2, 4)


def test_a_model_refuses_images_of_another_shape_and_its_weights_stay():
    fl.set_seed(0)
    model = _cnn(keras)
    model.compile("adam", "sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ShapeError, match=r"expects samples of shape \(12, 12, 1\).* samples of shape \(144,\)"):
        model.fit(np.ones((4, 144)), np.zeros(4), verbose=0)
    with pytest.raises(ShapeError, match=r"\(12, 12, 1\).* samples of shape \(12, 12, 3\)"):
        model.predict(np.ones((4, 12, 12, 3)), verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- dilation

# (batch, height, width, channels, filters, kernel, strides, dilation, padding): Keras's layers take a dilation
# with strides of 1 only, the op (as PyTorch's and keras.ops.conv) with any strides; an even kernel's dilated
# window pads unevenly with "same", a rectangular dilation differs per axis
DILATED_CASES = [
    (2, 7, 8, 2, 3, (3, 3), (1, 1), (2, 2), "valid"),
    (2, 7, 8, 2, 3, (3, 3), (1, 1), (2, 3), "same"),
    (1, 9, 6, 2, 2, (2, 3), (1, 1), (3, 1), "same"),
    (2, 9, 9, 2, 2, (3, 3), (2, 2), (2, 2), "valid"),
    (2, 8, 7, 2, 2, (3, 3), (2, 3), (2, 1), "same"),
    (1, 6, 7, 3, 2, (1, 1), (1, 1), (3, 3), "valid"),
]
DILATED_IDS = ["valid", "same-rect-dilation", "same-even-kernel", "valid-stride2", "same-strides-2x3", "pointwise"]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("n,h,w,c,f,kernel,strides,dilation,padding", DILATED_CASES, ids=DILATED_IDS)
def test_dilated_conv2d_gradients_match_central_differences_in_float64(n, h, w, c, f, kernel, strides, dilation,
                                                                       padding, bias):
    x, k, b = RNG.normal(size=(n, h, w, c)), RNG.normal(size=(*kernel, c, f)), RNG.normal(size=f)
    out_shape = conv2d(fl.tensor(x), fl.tensor(k), None, strides, padding, dilation).shape
    weights = fl.tensor(RNG.normal(size=out_shape))
    if bias:
        assert fl.gradcheck(lambda a, kk, bb: conv2d(a, kk, bb, strides, padding, dilation) * weights, [x, k, b],
                            atol=1e-7, rtol=1e-6)
    else:
        assert fl.gradcheck(lambda a, kk: conv2d(a, kk, None, strides, padding, dilation) * weights, [x, k],
                            atol=1e-7, rtol=1e-6)


# the plain cases (taps 1 apart) and the dilated ones, each with and without the fused ReLU
TORCH_CASES = [(*case[:7], (1, 1), case[7]) for case in CONV_CASES] + DILATED_CASES


@pytest.mark.parametrize("relu", [False, True], ids=["linear", "relu-fused"])
@pytest.mark.parametrize("n,h,w,c,f,kernel,strides,dilation,padding", TORCH_CASES, ids=CONV_IDS + DILATED_IDS)
def test_conv2d_values_and_gradients_match_pytorch(n, h, w, c, f, kernel, strides, dilation, padding, relu):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, k, b = RNG.normal(size=(n, h, w, c)), RNG.normal(size=(*kernel, c, f)), RNG.normal(size=f)
    xs, ks, bs = (fl.tensor(v, requires_grad=True) for v in (x, k, b))
    out = _conv2d(xs, ks, bs, strides, padding, relu, Workspace(), dilation)
    g = RNG.normal(size=out.shape)
    (out * fl.tensor(g)).sum().backward()
    # PyTorch: NCHW images, an (out, in, kh, kw) kernel, Keras's uneven padding for the dilated window written out
    reach = tuple((size - 1) * rate + 1 for size, rate in zip(kernel, dilation))
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    tk = torch.tensor(k.transpose(3, 2, 0, 1), requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    ref = tf.conv2d(tf.pad(tx, _keras_padding(x.shape, reach, strides, padding)), tk, tb, stride=strides,
                    dilation=dilation)
    ref = torch.relu(ref) if relu else ref
    (ref * torch.tensor(g.transpose(0, 3, 1, 2))).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(xs.grad), tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(ks.grad), tk.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(bs.grad), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("n,h,w,c,f,kernel,strides,dilation,padding", DILATED_CASES, ids=DILATED_IDS)
def test_dilated_conv2d_gives_keras_ops_conv_values_and_sizes(n, h, w, c, f, kernel, strides, dilation, padding):
    """keras.ops.conv takes strides with a dilation, so its "same" padding of a strided dilated window is the
    reference for the sizes and the uneven split PyTorch's comparison above takes from fnlearn's own plan."""
    real = real_keras()
    x, k = RNG.normal(size=(n, h, w, c)).astype(np.float32), RNG.normal(size=(*kernel, c, f)).astype(np.float32)
    theirs = np.asarray(real.ops.conv(x, k, strides=strides, padding=padding, dilation_rate=dilation))
    ours = conv2d(fl.tensor(x), fl.tensor(k), None, strides, padding, dilation).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_the_stride_tricks_fallback_reads_the_same_dilated_windows(monkeypatch):
    """An array library without stride tricks fills the patches offset by offset: the same dilated windows."""
    from fnlearn.nn import conv as conv_module

    source = backend.to_device(RNG.normal(size=(2, 9, 10, 3)))
    shape = (2, 3, 2, 3, 2, 3)  # (N, Ho, Wo, kh, kw, C): 9×10 images, strides (2, 3), dilation (2, 4)
    strided = backend.xp().zeros(shape)
    conv_module._fill_patches(strided, source, (2, 3), (2, 4))
    plain = backend.xp().zeros(shape)
    monkeypatch.setattr(conv_module.backend, "xp", lambda: object())  # no .lib: the slice-by-slice copy
    conv_module._fill_patches(plain, source, (2, 3), (2, 4))
    monkeypatch.undo()
    np.testing.assert_array_equal(host(plain), host(strided))
    x = host(source)
    np.testing.assert_array_equal(host(strided)[1, 2, 1, 1, 0], x[1, 2 * 2 + 1 * 2, 1 * 3 + 0 * 4])


@pytest.mark.parametrize("h,w,pool,strides,padding", POOL_CASES[:3], ids=POOL_IDS[:3])
def test_a_dilated_relu_conv_then_max_pool_gives_the_gradients_of_relu_then_pool(h, w, pool, strides, padding):
    x = RNG.integers(-2, 3, size=(2, h, w, 2)).astype(np.float64)
    k, b = RNG.integers(-1, 2, size=(3, 3, 2, 3)).astype(np.float64), np.array([-3.0, 0.0, 1.0])
    g_pool = RNG.normal(size=max_pool2d(fl.tensor(np.zeros((2, h, w, 3))), pool, strides, padding).shape)

    def gradients(fused):
        xs, ks, bs = (fl.tensor(v, requires_grad=True) for v in (x, k, b))
        out = _conv2d(xs, ks, bs, 1, "same", True, Workspace(), 2) if fused else \
            F.relu(conv2d(xs, ks, bs, 1, "same", dilation_rate=2))
        (max_pool2d(out, pool, strides, padding) * fl.tensor(g_pool)).sum().backward()
        return [host(t.grad) for t in (xs, ks, bs)]

    for ours, theirs in zip(gradients(True), gradients(False)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size", [(7, 9), (10, 10), (12, 8)], ids=["7x9", "10x10", "12x8"])
def test_dilated_conv2d_layers_give_keras_shapes_and_outputs_from_the_same_weights(size):
    real = real_keras()
    x = RNG.normal(size=(3, *size, 2)).astype(np.float32)

    def stack(library):
        layers = library.layers
        return library.Sequential([library.Input(shape=(*size, 2)),
                                   layers.Conv2D(4, 3, dilation_rate=2, padding="same", activation="relu"),
                                   layers.Conv2D(3, (2, 3), dilation_rate=(3, 1), padding="same"),
                                   layers.Conv2D(3, (3, 2), dilation_rate=(1, 2), use_bias=False),
                                   layers.Conv2D(2, 2, dilation_rate=2, activation="tanh")])

    theirs, ours = stack(real), stack(keras)
    assert [layer.output.shape for layer in theirs.layers] == [(None, *layer.compute_output_shape(shape))
                                                               for layer, shape in _layer_inputs(ours)]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    assert theirs.count_params() == ours.num_parameters()


def _layer_inputs(model):
    shape = model.input_shape[1:]  # a layer's compute_output_shape takes one sample's shape
    for layer in model.layers:
        yield layer, shape
        shape = layer.compute_output_shape(shape)


def test_keras_refuses_what_fnlearn_refuses_for_dilation():
    real = real_keras()
    for settings in ({"strides": 2, "dilation_rate": 2}, {"strides": (1, 2), "dilation_rate": (2, 1)},
                     {"dilation_rate": 0}, {"padding": "causal"}):
        with pytest.raises(ValueError):
            real.layers.Conv2D(4, 3, **settings)
        with pytest.raises(ConfigError):
            fl.layers.Conv2D(4, 3, **settings)


def test_a_dilated_cnn_trains_as_keras_does():
    real = real_keras()
    x = RNG.normal(size=(24, 11, 11, 2)).astype(np.float32)
    y = RNG.integers(0, 3, 24)

    def cnn(library):
        layers = library.layers
        return library.Sequential([library.Input(shape=(11, 11, 2)),
                                   layers.Conv2D(4, 3, dilation_rate=2, padding="same", activation="relu"),
                                   layers.Conv2D(3, 3, dilation_rate=(2, 1), activation="tanh"),
                                   layers.GlobalAveragePooling2D(), layers.Dense(3, activation="softmax")])

    assert_trains_as_keras(real, cnn(real), cnn(keras), x, y, "sparse_categorical_crossentropy", 0.1,
                           batch_size=8, rtol=1e-4, atol=1e-5)


def test_a_dilated_cnn_saves_and_loads_with_its_dilation(tmp_path):
    fl.set_seed(0)
    model = keras.Sequential([keras.Input(shape=(12, 12, 1)),
                              keras.layers.Conv2D(4, 3, dilation_rate=2, padding="same", activation="relu"),
                              keras.layers.Conv2D(3, (2, 3), dilation_rate=(3, 2)), keras.layers.Flatten(),
                              keras.layers.Dense(2)])
    config = model.layers[1].get_config()
    assert config["dilation_rate"] == [3, 2] and config["padding"] == "valid"
    assert fl.layers.Conv2D(4, 3).get_config()["dilation_rate"] == [1, 1]
    x = RNG.random((5, 12, 12, 1)).astype(np.float32)
    model.save(tmp_path / "dilated.fnl")
    again = fl.load_model(tmp_path / "dilated.fnl")
    assert [layer.dilation_rate for layer in again.layers[:2]] == [(2, 2), (3, 2)]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    layer = fl.layers.Conv2D.from_config(json.loads(json.dumps(model.layers[0].get_config())))
    assert layer.dilation_rate == (2, 2) and layer.get_config() == model.layers[0].get_config()


# --------------------------------------------------------------------------- groups

# (channels, filters, groups, kernel, strides, padding, dilation): one channel per group (a depthwise convolution,
# ConvNeXt's 7x7, with and without a multiplier) and several channels per group, strided and dilated
GROUPED_CASES = [(4, 4, 4, 3, 1, "same", 1), (3, 6, 3, 3, 2, "same", 1), (6, 4, 2, 3, 1, "valid", 1),
                 (6, 9, 3, 2, 1, "same", 2)]
GROUPED_IDS = ["depthwise", "depthwise-multiplier-stride2", "two-groups", "three-groups-dilated"]


@pytest.mark.parametrize("c,f,groups,kernel,strides,padding,dilation", GROUPED_CASES, ids=GROUPED_IDS)
def test_grouped_conv2d_gradients_match_central_differences_in_float64(c, f, groups, kernel, strides, padding,
                                                                       dilation):
    x = RNG.normal(size=(2, 5, 6, c))
    k, b = RNG.normal(size=(kernel, kernel, c // groups, f)), RNG.normal(size=(f,))
    out = grouped_conv2d(fl.tensor(x), fl.tensor(k), fl.tensor(b), groups, strides, padding, dilation)
    weights = fl.tensor(RNG.normal(size=out.shape))
    assert fl.gradcheck(lambda a, kk, bb: grouped_conv2d(a, kk, bb, groups, strides, padding, dilation) * weights,
                        [fl.tensor(x, requires_grad=True), fl.tensor(k, requires_grad=True),
                         fl.tensor(b, requires_grad=True)], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("c,f,groups,kernel,strides,padding,dilation", GROUPED_CASES, ids=GROUPED_IDS)
def test_a_grouped_conv2d_layer_is_keras_with_keras_weights(c, f, groups, kernel, strides, padding, dilation):
    """Keras's Conv2D(groups=g): its kernel's shape, its outputs from the same weights, its config."""
    real = real_keras()
    theirs = real.layers.Conv2D(f, kernel, strides=strides, padding=padding, groups=groups, dilation_rate=dilation)
    theirs.build((None, 7, 8, c))
    weights = [RNG.normal(size=w.shape).astype(np.float32) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours = keras.layers.Conv2D(f, kernel, strides=strides, padding=padding, groups=groups, dilation_rate=dilation)
    x = RNG.normal(size=(2, 7, 8, c)).astype(np.float32)
    ours(x)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in weights]
    ours.set_weights(weights)
    np.testing.assert_allclose(ours(x).numpy(), real.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-5)
    assert ours.get_config()["groups"] == theirs.get_config()["groups"] == groups
    again = keras.layers.Conv2D.from_config(json.loads(json.dumps(ours.get_config())))
    assert again.groups == groups and "groups" not in keras.layers.Conv2D(4, 3).get_config()


def test_a_grouped_cnn_saves_loads_and_trains(tmp_path):
    fl.set_seed(0)
    model = keras.Sequential([keras.Input(shape=(8, 8, 4)), keras.layers.Conv2D(4, 3, groups=4, padding="same"),
                              keras.layers.Conv2D(6, 3, groups=2, activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    assert [tuple(layer.kernel.shape) for layer in model.layers[:2]] == [(3, 3, 1, 4), (3, 3, 2, 6)]
    x, y = RNG.random((6, 8, 8, 4)).astype(np.float32), RNG.random((6, 2)).astype(np.float32)
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=1, batch_size=3, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.save(tmp_path / "grouped.fnl")
    again = fl.load_model(tmp_path / "grouped.fnl")
    assert [layer.groups for layer in again.layers[:2]] == [4, 2]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
