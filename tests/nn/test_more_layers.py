"""Lambda, LayerNormalization, Conv2DTranspose and SpatialDropout2D: the ops' gradients against central finite
differences and PyTorch, the layers' shapes and settings, training, saving and loading (and the refusals a file
must meet), and the mistakes a user makes with them."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import backend, io, keras
from fnlearn.errors import ConfigError, ModelFileError, ShapeError
from fnlearn.nn.layers import layer_norm
from fnlearn.nn.transpose import conv2d_transpose

RNG = np.random.default_rng(7)


def host(array):
    return backend.to_numpy(array)


# ----------------------------------------------------------------------------- LayerNormalization's op

NORM_CASES = [((3, 5), -1), ((2, 3, 4), [1, 2]), ((2, 3, 4), 1), ((2, 3, 2, 2), [1, 3])]
NORM_IDS = ["rows", "two-last-axes", "middle-axis", "apart"]


@pytest.mark.parametrize("shape,axis", NORM_CASES, ids=NORM_IDS)
@pytest.mark.parametrize("affine", ["both", "scale", "none"])
def test_layer_norm_gradients_match_central_differences(shape, axis, affine):
    axes = [axis % len(shape)] if isinstance(axis, int) else axis
    sizes = tuple(shape[a] for a in axes)
    x = RNG.normal(size=shape) * 3 + 1
    gamma, beta = RNG.normal(size=sizes), RNG.normal(size=sizes)
    weights = fl.tensor(RNG.normal(size=shape))  # a weighted sum: the output's own sum has no gradient
    if affine == "both":
        assert fl.gradcheck(lambda a, g, b: layer_norm(a, g, b, axis, 1e-3) * weights, [x, gamma, beta],
                            atol=1e-7, rtol=1e-6)
    elif affine == "scale":
        assert fl.gradcheck(lambda a, g: layer_norm(a, g, None, axis, 1e-3) * weights, [x, gamma],
                            atol=1e-7, rtol=1e-6)
    else:
        assert fl.gradcheck(lambda a: layer_norm(a, None, None, axis, 0.5) * weights, [x], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((2, 3, 4), [1, 2])], ids=["rows", "two-last-axes"])
def test_layer_norm_matches_pytorch_values_and_gradients(shape, axis):
    torch = pytest.importorskip("torch")
    axes = [-1] if isinstance(axis, int) else axis
    sizes = tuple(shape[a] for a in axes)
    x, gamma, beta = RNG.normal(size=shape) * 2 + 3, RNG.normal(size=sizes), RNG.normal(size=sizes)
    xs, gs, bs = (fl.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    out = layer_norm(xs, gs, bs, axis, 1e-3)
    g = RNG.normal(size=shape)
    (out * fl.tensor(g)).sum().backward()
    tx, tg, tb = (torch.tensor(v, requires_grad=True) for v in (x, gamma, beta))
    ref = torch.nn.functional.layer_norm(tx, sizes, tg, tb, eps=1e-3)  # ε inside the square root, as Keras
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    for ours, theirs in ((xs, tx), (gs, tg), (bs, tb)):
        np.testing.assert_allclose(host(ours.grad), theirs.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_layer_norm_keeps_float32_and_normalises_each_sample_on_its_own():
    x = RNG.normal(size=(4, 6)).astype(np.float32) * np.array([[1], [10], [100], [1000]], dtype=np.float32)
    xs = fl.tensor(x, requires_grad=True)
    out = layer_norm(xs, axis=-1, epsilon=1e-6)
    out.sum().backward()
    assert out.dtype == np.float32 and xs.grad.dtype == np.float32
    values = out.numpy()
    np.testing.assert_allclose(values.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(values.std(axis=1), 1, rtol=1e-3)
    # a constant sample: variance 0, so ε keeps the output finite (0), as Keras computes it
    assert layer_norm(fl.tensor(np.full((1, 3), 5.0))).numpy().tolist() == [[0.0, 0.0, 0.0]]


# ----------------------------------------------------------------------------- Conv2DTranspose's op

TRANSPOSE_CASES = [((3, 4), (3, 3), (1, 1), "valid", None), ((3, 4), (3, 2), (2, 2), "valid", None),
                   ((3, 4), (3, 3), (2, 2), "same", None), ((2, 3), (2, 2), (3, 2), "same", None),
                   ((3, 3), (1, 2), (3, 3), "valid", None), ((2, 3), (4, 3), (3, 2), "same", (2, 1)),
                   ((2, 3), (3, 2), (2, 3), "valid", (1, 2)), ((3, 4), (5, 4), (1, 1), "same", None)]
TRANSPOSE_IDS = ["valid", "stride2", "same-stride2", "same-kernel-smaller-than-stride", "valid-kernel-1",
                 "same-output-padding", "valid-output-padding", "same-stride1-cropped"]


@pytest.mark.parametrize("size,kernel,strides,padding,output_padding", TRANSPOSE_CASES, ids=TRANSPOSE_IDS)
def test_conv2d_transpose_gradients_match_central_differences(size, kernel, strides, padding, output_padding):
    x, k, b = RNG.normal(size=(2, *size, 2)), RNG.normal(size=(*kernel, 3, 2)), RNG.normal(size=3)
    shape = conv2d_transpose(fl.tensor(x), fl.tensor(k), None, strides, padding, output_padding).shape
    weights = fl.tensor(RNG.normal(size=shape))
    assert fl.gradcheck(lambda a, c, d: conv2d_transpose(a, c, d, strides, padding, output_padding) * weights,
                        [x, k, b], atol=1e-7, rtol=1e-6)


def _keras_crop(size, kernel, stride, padding, output_padding):
    """(first row kept, rows kept) of the full transposed output along one axis, Keras's sizes written out."""
    if padding == "valid":
        extra = max(kernel, stride) - kernel if output_padding is None else output_padding
        return 0, (size - 1) * stride + kernel + extra
    total = stride + kernel - 2 if output_padding is None else kernel + kernel % 2 - 2 + output_padding
    out = size * stride if output_padding is None else (size - 1) * stride + kernel % 2 + output_padding
    return kernel - 1 - min(total // 2 + total % 2, kernel - 1), out


@pytest.mark.parametrize("size,kernel,strides,padding,output_padding", TRANSPOSE_CASES, ids=TRANSPOSE_IDS)
def test_conv2d_transpose_matches_pytorch_values_and_gradients(size, kernel, strides, padding, output_padding):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x, k, b = RNG.normal(size=(2, *size, 2)), RNG.normal(size=(*kernel, 3, 2)), RNG.normal(size=3)
    xs, ks, bs = (fl.tensor(v, requires_grad=True) for v in (x, k, b))
    out = conv2d_transpose(xs, ks, bs, strides, padding, output_padding)
    g = RNG.normal(size=out.shape)
    (out * fl.tensor(g)).sum().backward()
    # PyTorch: NCHW images, an (in, out, kh, kw) kernel; its full output cut (or extended by zeros) to Keras's
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    tk = torch.tensor(k.transpose(3, 2, 0, 1), requires_grad=True)
    tb = torch.tensor(b, requires_grad=True)
    full = tf.conv_transpose2d(tx, tk, None, stride=strides)
    extra = output_padding or (None, None)
    (top, rows), (left, cols) = (_keras_crop(size[i], kernel[i], strides[i], padding, extra[i]) for i in range(2))
    grown = tf.pad(full, (0, max(0, left + cols - full.shape[3]), 0, max(0, top + rows - full.shape[2])))
    ref = grown[:, :, top:top + rows, left:left + cols] + tb[:, None, None]
    (ref * torch.tensor(g.transpose(0, 3, 1, 2))).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(xs.grad), tx.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(ks.grad), tk.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(bs.grad), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_transpose_spreads_each_pixel_over_a_kernel_sized_patch():
    x = np.zeros((1, 2, 2, 1))
    x[0, 1, 0, 0] = 2.0
    kernel = np.arange(1.0, 5.0).reshape(2, 2, 1, 1)
    out = conv2d_transpose(fl.tensor(x), fl.tensor(kernel), strides=2).numpy()[0, :, :, 0]
    expected = np.zeros((4, 4))
    expected[2:4, 0:2] = 2 * kernel[:, :, 0, 0]  # pixel (1, 0) lands at (2, 0), the kernel not flipped
    np.testing.assert_array_equal(out, expected)


def test_conv2d_transpose_keeps_float32_forward_and_backward():
    xs = fl.tensor(RNG.normal(size=(2, 3, 3, 2)).astype(np.float32), requires_grad=True)
    ks = fl.Parameter(RNG.normal(size=(3, 3, 4, 2)).astype(np.float32))
    out = conv2d_transpose(xs, ks, strides=2, padding="same")
    out.sum().backward()
    assert out.dtype == xs.grad.dtype == ks.grad.dtype == np.float32 and out.shape == (2, 6, 6, 4)


# ----------------------------------------------------------------------------- the layers

def test_layers_give_keras_shapes_weights_and_counts():
    model = keras.Sequential([keras.Input(shape=(4, 5, 3)),
                              keras.layers.Conv2DTranspose(6, 3, strides=2, padding="same", name="up"),
                              keras.layers.LayerNormalization(axis=[1, 2, 3], name="norm"),
                              keras.layers.SpatialDropout2D(0.3, name="drop"),
                              keras.layers.Lambda(lambda t: keras.ops.mean(t, axis=-1), name="mean"),
                              keras.layers.LayerNormalization(name="rows")])
    assert model.output_shape == (None, 8, 10)
    assert [w.shape for w in model.get_weights()] == [(3, 3, 6, 3), (6,), (8, 10, 6), (8, 10, 6), (10,), (10,)]
    lines = []
    model.summary(print_fn=lines.append)
    table = "\n".join(lines)
    for row in ("up (Conv2DTranspose)", "(None, 8, 10, 6)", "mean (Lambda)", "(None, 8, 10)", "Total params: 1,148"):
        assert row in table
    assert model.count_params() == 3 * 3 * 6 * 3 + 6 + 2 * 480 + 20


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layers_compute_in_their_dtype(dtype):
    x = RNG.normal(size=(2, 3, 3, 2))
    for layer in (fl.layers.LayerNormalization(dtype=dtype), fl.layers.Conv2DTranspose(2, 2, dtype=dtype)):
        out = layer(x)
        assert out.dtype == np.dtype(dtype) and all(p.dtype == np.dtype(dtype) for p in layer.parameters())


def test_layer_normalization_has_kerass_defaults_and_weights():
    layer = fl.layers.LayerNormalization()
    assert (layer.axis, layer.epsilon, layer.center, layer.scale) == (-1, 1e-3, True, True)
    layer(np.ones((2, 3, 4)))
    assert host(layer.gamma.data).tolist() == [1.0] * 4 and host(layer.beta.data).tolist() == [0.0] * 4
    assert [name for name, _ in layer.named_parameters()] == ["gamma", "beta"]
    assert fl.layers.LayerNormalization(center=False, scale=False)(np.ones((2, 3))).shape == (2, 3)


def test_a_layer_normalization_model_trains_and_its_gradient_reaches_gamma_and_beta():
    fl.set_seed(0)
    x = RNG.normal(size=(32, 6)) * [1, 5, 10, 1, 2, 3]
    y = (x[:, :1] - x[:, 1:2] / 5 > 0).astype(float)
    model = fl.Sequential([fl.layers.Dense(8, input_dim=6), fl.layers.LayerNormalization(),
                           fl.layers.Activation("relu"), fl.layers.Dense(1, activation="sigmoid")])
    model.compile(fl.optim.Adam(learning_rate=0.05), "binary_crossentropy")
    gamma = host(model.layers[1].gamma.data).copy()
    history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert not np.array_equal(host(model.layers[1].gamma.data), gamma)


def test_conv2d_transpose_layer_builds_lazily_and_applies_activation_and_bias():
    layer = fl.layers.Conv2DTranspose(2, 2, strides=2, activation="relu", bias_initializer="ones",
                                      kernel_initializer="zeros")
    assert layer.kernel is None
    out = layer(np.ones((1, 3, 3, 5)))
    assert out.shape == (1, 6, 6, 2) and np.all(out.numpy() == 1.0)  # a zero kernel: relu(0 + 1)
    assert layer.kernel.shape == (2, 2, 2, 5) and layer.input_features == 5 and layer.input_shape == (3, 3, 5)
    with pytest.raises(ShapeError, match="built for images with 5 channels"):
        layer(np.ones((1, 3, 3, 4)))


def test_a_decoder_trains_and_its_kernel_penalty_joins_the_loss():
    fl.set_seed(0)
    x = RNG.random((16, 4, 4, 1)).astype(np.float32)
    target = np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)  # the images twice as large
    model = keras.Sequential([keras.Input(shape=(4, 4, 1)),
                              keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu",
                                                           kernel_regularizer=keras.regularizers.L2(1e-3)),
                              keras.layers.Conv2D(1, 3, padding="same")])
    model.compile(keras.optimizers.Adam(0.02), "mse")
    assert len(model.layers[0].penalties()) == 1
    history = model.fit(x, target, epochs=20, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]


def test_spatial_dropout_drops_whole_channels_scaled_in_training_only():
    layer = fl.layers.SpatialDropout2D(0.5, seed=4)
    x = RNG.normal(size=(3, 4, 5, 6)).astype(np.float32)
    out = layer(x, training=True).numpy()
    kept = out / x  # 0 or 2 for every value, one of them for a whole (image, channel) map
    assert np.allclose(kept, kept[:, :1, :1, :]) and set(np.round(kept, 5).ravel().tolist()) == {0.0, 2.0}
    assert layer.draws == 1
    assert np.array_equal(layer(x, training=False).numpy(), x) and layer.draws == 1  # nothing drawn
    assert np.array_equal(fl.layers.SpatialDropout2D(0.0)(x, training=True).numpy(), x)
    model = keras.Sequential([keras.Input(shape=(4, 5, 6)), keras.layers.SpatialDropout2D(0.5, seed=4)])
    assert np.array_equal(model(x).numpy(), x)  # Keras's rule: a model called on its own infers
    assert model.layers[0].draws == 0 and not np.array_equal(model(x, training=True).numpy(), x)


def test_spatial_dropout_keeps_about_one_minus_rate_of_the_channels_and_the_mean():
    layer = fl.layers.SpatialDropout2D(0.25, seed=0)
    out = layer(np.ones((400, 2, 2, 10)), training=True).numpy()
    assert abs((out[:, 0, 0, :] > 0).mean() - 0.75) < 0.03 and abs(out.mean() - 1.0) < 0.04


def test_spatial_dropout_streams_follow_the_seed_and_resume_from_the_draw_count():
    x = np.ones((4, 2, 2, 8))
    first = fl.layers.SpatialDropout2D(0.5, seed=11)
    a, b = (first(x, training=True).numpy() for _ in range(2))
    again = fl.layers.SpatialDropout2D(0.5, seed=11)
    assert np.array_equal(again(x, training=True).numpy(), a) and not np.array_equal(a, b)
    resumed = fl.layers.SpatialDropout2D(0.5, seed=11)
    resumed.draws = 1  # a fit resumed after one step draws the second mask next
    assert np.array_equal(resumed(x, training=True).numpy(), b)
    fl.set_seed(3)
    drawn = fl.layers.SpatialDropout2D(0.5)
    drawn(x, training=True)
    assert drawn.seed is not None and drawn.get_config()["seed"] == drawn.seed


def test_spatial_dropout_passes_gradients_to_the_kept_channels():
    x = fl.tensor(np.ones((2, 3, 3, 4)), requires_grad=True)
    layer = fl.layers.SpatialDropout2D(0.5, seed=1)
    out = layer(x, training=True)
    out.sum().backward()
    np.testing.assert_array_equal(host(x.grad), out.numpy())  # 2 where kept, 0 where dropped


def test_spatial_dropout_1d_drops_a_feature_along_every_step_and_passes_a_sequence_mask(tmp_path):
    layer = fl.layers.SpatialDropout1D(0.5, seed=2)
    x = RNG.normal(size=(3, 7, 6)).astype(np.float32)
    kept = layer(x, training=True).numpy() / x
    assert np.allclose(kept, kept[:, :1, :]) and set(np.round(kept, 5).ravel().tolist()) == {0.0, 2.0}
    assert np.array_equal(layer(x, training=False).numpy(), x)
    tokens = keras.Input(shape=(None,))
    out = keras.layers.LSTM(2)(keras.layers.SpatialDropout1D(0.3, seed=1)(keras.layers.Embedding(9, 3,
                                                                                                 mask_zero=True)(tokens)))
    model = keras.Model(tokens, out)
    padded = np.array([[1, 2, 0, 0]])
    np.testing.assert_allclose(model.predict(padded, verbose=0), model.predict(padded[:, :2], verbose=0), rtol=1e-6)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again.layers[2].get_config()["rate"] == 0.3 and type(again.layers[2]).__name__ == "SpatialDropout1D"
    with pytest.raises(ShapeError, match=r"SpatialDropout1D layer 'd' takes sequences of shape \(batch, steps, "
                                         r"channels\), but was given samples of shape \(4, 4, 2\)"):
        fl.layers.SpatialDropout1D(0.2, name="d")(np.ones((1, 4, 4, 2)))


def test_lambda_passes_gradients_through_arithmetic_fnlearn_ops_and_keras_ops():
    x = RNG.normal(size=(3, 4))
    for function, derivative in ((lambda t: t ** 2, lambda v: 2 * v), (lambda t: fl.exp(t), np.exp),
                                 (lambda t: keras.ops.square(t) * 3, lambda v: 6 * v)):
        xs = fl.tensor(x, requires_grad=True)
        fl.layers.Lambda(function, dtype="float64")(xs).sum().backward()
        np.testing.assert_allclose(host(xs.grad), derivative(x), rtol=1e-12)
    assert fl.gradcheck(lambda a: fl.layers.Lambda(lambda t: fl.tanh(t) * t)(a), [x])


def test_lambda_takes_arguments_the_training_mode_and_lists_of_inputs():
    scaled = fl.layers.Lambda(lambda t, factor: t * factor, arguments={"factor": 3.0})
    assert scaled(np.ones((1, 2))).numpy().tolist() == [[3.0, 3.0]]
    modes = []
    noisy = keras.layers.Lambda(lambda t, training=None: modes.append(training) or t)
    model = keras.Sequential([keras.Input(shape=(2,)), noisy, keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones(4), epochs=1, batch_size=4, verbose=0)
    model.predict(np.ones((2, 2)), verbose=0)
    assert True in modes and modes[-1] is False  # fit trains, predict does not
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    difference = keras.layers.Lambda(lambda pair: pair[0] - pair[1], name="difference")([a, b])
    assert difference.shape == (None, 3)
    model = keras.Model([a, b], difference)
    np.testing.assert_allclose(model.predict([np.ones((2, 3)), np.zeros((2, 3))], verbose=0), np.ones((2, 3)))


def test_lambda_output_shape_comes_from_the_setting_a_function_of_the_shape_or_a_probe():
    probe = fl.layers.Lambda(lambda t: fl.functional.reshape(t, (t.shape[0], -1)))
    assert probe.compute_output_shape((2, 3, 4)) == (24,)
    fixed = fl.layers.Lambda(lambda t: t, output_shape=(5,))
    assert fixed.compute_output_shape((5,)) == (5,)
    computed = fl.layers.Lambda(lambda t: t[:, :2], output_shape=lambda shape: (shape[0], 2))
    assert computed.compute_output_shape((7,)) == (2,)
    dividing = fl.layers.Lambda(lambda t: fl.log(t) / t)  # a probe of zeros warns of nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dividing.compute_output_shape((3,)) == (3,)


def test_lambda_settings_make_the_layer_again_in_the_same_program():
    function = lambda t, power: t ** power  # noqa: E731  (the layer's function, as Keras users write it)
    layer = fl.layers.Lambda(function, output_shape=(3,), arguments={"power": 2}, name="power")
    again = fl.layers.Lambda.from_config(layer.get_config())
    assert again.function is function and again.compute_output_shape((3,)) == (3,) and again.name == "power"
    assert again(np.full((1, 3), 2.0)).numpy().tolist() == [[4.0, 4.0, 4.0]]


# ----------------------------------------------------------------------------- settings, saving and loading

def test_every_layer_but_lambda_is_one_a_file_may_name_and_its_settings_round_trip_through_json():
    made = [fl.layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, center=False, gamma_initializer="zeros",
                                         gamma_regularizer="l2", name="n"),
            fl.layers.SpatialDropout2D(0.2, seed=5, name="s"),
            fl.layers.Conv2DTranspose(4, (3, 2), strides=(2, 1), padding="same", output_padding=(1, 0),
                                      activation="tanh", use_bias=False, kernel_initializer="he_normal",
                                      kernel_regularizer=keras.regularizers.L2(1e-3), name="t")]
    for layer in made:
        name = type(layer).__name__
        assert name in io._LAYER_NAMES and fl.layers.LAYERS[name] is type(layer)
        config = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(config).get_config() == layer.get_config(), name
    assert "Lambda" not in io._LAYER_NAMES
    assert made[2].get_config()["output_padding"] == [1, 0] and made[0].get_config()["axis"] == [1, 2]


def _decoder(seed=0):
    fl.set_seed(seed)
    return keras.Sequential([keras.Input(shape=(3, 3, 2)),
                             keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu"),
                             keras.layers.SpatialDropout2D(0.5),
                             keras.layers.LayerNormalization(axis=[1, 2, 3], center=False),
                             keras.layers.Conv2DTranspose(1, 2, output_padding=None), keras.layers.Flatten(),
                             keras.layers.LayerNormalization(), keras.layers.Dense(1)])


def test_a_model_with_the_layers_saves_loads_and_resumes_training_alike(tmp_path):
    x, y = RNG.random((12, 3, 3, 2)).astype(np.float32), RNG.random((12, 1)).astype(np.float32)
    model = _decoder()
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert model.layers[1].draws == 3
    path = tmp_path / "decoder.fnl"
    model.save(path)
    again = fl.load_model(path)
    assert [type(layer).__name__ for layer in again.layers] == [type(layer).__name__ for layer in model.layers]
    assert again.layers[1].draws == 3 and again.layers[1].seed == model.layers[1].seed
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    for each in (model, again):  # the same masks, the same steps
        each.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    for a, b in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_a_functional_model_with_the_layers_saves_and_loads(tmp_path):
    fl.set_seed(1)
    inputs = keras.Input(shape=(2, 2, 3))
    h = keras.layers.Conv2DTranspose(3, 2, strides=2)(inputs)
    h = keras.layers.LayerNormalization(axis=[1, 2], scale=False)(h)
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(h)))
    path = tmp_path / "functional.fnl"
    model.save(path)
    x = RNG.normal(size=(3, 2, 2, 3)).astype(np.float32)
    np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_first_layer_normalization_built_from_data_saves_and_loads(tmp_path):
    model = fl.Sequential([fl.layers.LayerNormalization(), fl.layers.Dense(2)])
    x = RNG.normal(size=(4, 5)).astype(np.float32)
    expected = model(x).numpy()  # built from its first batch: no input shape declared
    model.save(tmp_path / "n.fnl")
    np.testing.assert_array_equal(fl.load_model(tmp_path / "n.fnl")(x).numpy(), expected)


def test_a_model_with_a_lambda_is_refused_before_any_file_is_written_and_its_weights_save(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda t: t * 2, name="double"),
                              keras.layers.Dense(2)], name="net")
    with pytest.raises(ConfigError, match="model 'net' holds the Lambda layer 'double', whose function is Python "
                                          "code.*save_weights.*register_keras_serializable"):
        model.save(tmp_path / "m.fnl")
    assert list(tmp_path.iterdir()) == []
    inner = keras.Sequential([keras.layers.Lambda(lambda t: t + 1, name="shift")], name="inner")
    outer = keras.Sequential([keras.Input(shape=(3,)), inner, keras.layers.Dense(1)], name="outer")
    with pytest.raises(ConfigError, match="Lambda layer 'shift'"):
        io.save_model(outer, tmp_path / "o.fnl")
    assert list(tmp_path.iterdir()) == []
    model.save_weights(tmp_path / "w.fnl")
    fresh = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda t: t * 2), keras.layers.Dense(2)])
    fresh.load_weights(tmp_path / "w.fnl")
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def _crafted(tmp_path, model, name, shape):
    """The model saved, then its layers made from the file with one weight replaced by zeros of ``shape``."""
    model.save(tmp_path / "m.fnl")
    file = io._read(tmp_path / "m.fnl")
    params, _ = io._split_tensors(file)
    params[name] = np.zeros(shape, dtype=np.float32)
    return file, [io._make_layer(file, i, entry, {}) for i, entry in enumerate(file.doc["model"]["layers"])], params


@pytest.mark.parametrize("kernel_shape", [(3, 3, 2, 1), (2, 3, 4, 1), (3, 3, 4, 2), (3, 3, 4)])
def test_a_transposed_kernel_that_fits_not_its_layer_is_refused_before_anything_is_allocated(tmp_path, kernel_shape):
    model = fl.Sequential([fl.layers.Conv2DTranspose(4, 3, input_shape=(5, 5, 1)), fl.layers.Flatten()])
    file, layers, params = _crafted(tmp_path, model, "0.kernel", kernel_shape)
    assert layers[0].kernel is None  # nothing allocated from the file's settings before the check
    with pytest.raises(ModelFileError, match=r"Conv2DTranspose layer 0 \(4 filters of \(3, 3\), input \(5, 5, 1\)\) "
                                             r"finds a kernel of shape"):
        io._build_layers(file, layers, params)


@pytest.mark.parametrize("gamma_shape", [(5,), (4, 1), ()])
def test_layer_normalization_weights_that_fit_not_the_inputs_are_refused(tmp_path, gamma_shape):
    model = fl.Sequential([fl.layers.LayerNormalization(input_shape=(3, 4)), fl.layers.Flatten()])
    file, layers, params = _crafted(tmp_path, model, "0.gamma", gamma_shape)
    assert layers[0].gamma is None
    with pytest.raises(ModelFileError, match=r"LayerNormalization layer 0 \(input \(3, 4\)\) finds weights of "
                                             r"shapes"):
        io._build_layers(file, layers, params)


# ----------------------------------------------------------------------------- mistakes

MISTAKES = [
    (lambda: fl.layers.LayerNormalization(axis=0), ConfigError, "batch axis"),
    (lambda: fl.layers.LayerNormalization(axis=[1, 1]), ConfigError, "distinct integers"),
    (lambda: fl.layers.LayerNormalization(axis="last"), ConfigError, "axis must be an integer"),
    (lambda: fl.layers.LayerNormalization(epsilon=-1), ConfigError, "epsilon must be a number > 0"),
    (lambda: fl.layers.LayerNormalization(rms_scaling=True), ConfigError, "rms_scaling=True"),
    (lambda: fl.layers.LayerNormalization(center="yes"), ConfigError, "center must be True or False"),
    (lambda: fl.layers.LayerNormalization(axis=3, name="n")(np.ones((2, 4))), ConfigError,
     "'n' normalises axis=3, but its inputs have 2 axes"),
    (lambda: fl.layers.LayerNormalization(name="n")(np.ones(4)), ShapeError, "x[None, ...]"),
    (lambda: fl.layers.SpatialDropout2D(1.0), ConfigError, "rate must be a number in [0, 1)"),
    (lambda: fl.layers.SpatialDropout2D(0.5, seed=-2), ConfigError, "seed"),
    (lambda: fl.layers.SpatialDropout2D(0.5, data_format="channels_first"), ConfigError, "channels_last"),
    (lambda: fl.layers.SpatialDropout2D(0.5, name="s")(np.ones((2, 8))), ShapeError, "use Dropout"),
    (lambda: fl.layers.Conv2DTranspose(0, 3), ConfigError, "filters must be a positive integer"),
    (lambda: fl.layers.Conv2DTranspose(4, (3, 0)), ConfigError, "kernel_size must be a positive integer"),
    (lambda: fl.layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), ConfigError,
     "smaller than the strides (2, 2)"),
    (lambda: fl.layers.Conv2DTranspose(4, 3, data_format="channels_first"), ConfigError, "channels_last"),
    (lambda: fl.layers.Conv2DTranspose(4, 3, dilation_rate=2), ConfigError, "dilation_rate=1 only"),
    (lambda: fl.layers.Conv2DTranspose(4, 3, padding="full"), ConfigError, "'valid'"),
    (lambda: fl.layers.Conv2DTranspose(4, 3, name="t")(np.ones((2, 9))), ShapeError, "(batch, height, width"),
    (lambda: fl.layers.Conv2DTranspose(4, 2, padding="same", output_padding=0, name="t")(np.ones((1, 1, 1, 1))),
     ShapeError, "into 0×0"),
    (lambda: fl.layers.Lambda("square"), ConfigError, "needs a function"),
    (lambda: fl.layers.Lambda(lambda t: t, mask=True), ConfigError, "no masks"),
    (lambda: fl.layers.Lambda(lambda t: t, output_shape=(0,)), ConfigError, "output_shape"),
    (lambda: fl.layers.Lambda(lambda t: np.exp(t), name="e")(np.ones((1, 2))), ConfigError,
     "returned ndarray, not a tensor"),
    (lambda: fl.layers.Lambda(lambda t: t.nothing, name="l").compute_output_shape((3,)), ConfigError,
     "give output_shape="),
]


@pytest.mark.parametrize("call,error,message", MISTAKES)
def test_mistakes_are_one_sentence(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_refused_call_changes_nothing():
    layer = fl.layers.SpatialDropout2D(0.5, seed=1, name="s")
    with pytest.raises(ShapeError):
        layer(np.ones((2, 8)), training=True)
    assert layer.draws == 0
    transposed = fl.layers.Conv2DTranspose(2, 3, name="t")
    with pytest.raises(ShapeError):
        transposed(np.ones((2, 9)))
    assert transposed.kernel is None and not transposed.built
    norm = fl.layers.LayerNormalization(axis=2, name="n")
    with pytest.raises(ConfigError):
        norm(np.ones((2, 4)))
    assert norm.gamma is None and not norm.built
