"""Convolutional LSTMs: gradients against central differences and PyTorch, outputs and training against Keras,
dropout's masks, bad input, and the files both ways."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.gradcheck import numerical_grad

RNG = np.random.default_rng(12)

CASES = [  # class, a frame's sizes, kernel_size, settings
    ("ConvLSTM2D", (5, 6), (3, 3), {"padding": "same"}),
    ("ConvLSTM2D", (6, 5), (3, 2), {"strides": (2, 1)}),
    ("ConvLSTM2D", (6, 6), 2, {"dilation_rate": 2, "padding": "same", "go_backwards": True}),
    ("ConvLSTM1D", (9,), 3, {"dilation_rate": 2}),
    ("ConvLSTM3D", (2, 3, 4), (2, 2, 3), {"padding": "same"}),
]
MASKED = [True, False, True, True, False]  # the gradient checks with a mask: a 3-D one costs most


def _listed(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("name, sizes, kernel, settings, masked", [(*case, m) for case, m in zip(CASES, MASKED)])
def test_gradients_are_central_differences_in_float64(float64, name, sizes, kernel, settings, masked):
    layer = getattr(fl.layers, name)(2, kernel, return_sequences=True, return_state=True, **settings)
    x = fl.Tensor(RNG.normal(size=(2, 3, *(max(size - 1, 2) for size in sizes), 1)), requires_grad=True)
    mask = np.array([[True, False, True], [False, True, True]]) if masked else None
    outputs = _listed(layer(x, mask=mask))
    for p in layer.parameters():  # weights of a size that moves every gate
        p.data[...] = fl.backend.to_device(RNG.normal(size=p.shape) * 0.5)
    start = [fl.Tensor(RNG.normal(size=outputs[1].shape), requires_grad=True) for _ in range(2)]
    weights = [fl.tensor(RNG.normal(size=o.shape)) for o in outputs]

    def loss(*_):
        total = None
        for out, w in zip(_listed(layer(x, mask=mask, initial_state=start)), weights):
            term = fl.functional.sum(out * w)
            total = term if total is None else total + term
        return total

    loss().backward()
    inputs = [x, *start, *layer.parameters()]
    assert len(inputs) == 6 and all(t.dtype == np.float64 for t in inputs)
    for k, tensor in enumerate(inputs):
        numeric = numerical_grad(loss, inputs, k, 1e-6)
        np.testing.assert_allclose(fl.backend.to_numpy(tensor.grad), numeric, rtol=1e-6, atol=1e-8)


def test_values_and_gradients_match_pytorch(float64):
    torch = pytest.importorskip("torch")
    layer = fl.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)
    x = RNG.normal(size=(2, 4, 5, 5, 2))
    ours_x = fl.Tensor(x, requires_grad=True)
    out = layer(ours_x)
    g = RNG.normal(size=out.shape)
    (out * fl.tensor(g)).sum().backward()
    k, rk, b = (torch.tensor(fl.backend.to_numpy(p.data), requires_grad=True) for p in layer.parameters())
    tx = torch.tensor(x.transpose(0, 1, 4, 2, 3), requires_grad=True)  # (N, T, C, H, W)

    def conv(a, kernel):  # Keras's layout (kh, kw, in, out) as PyTorch's (out, in, kh, kw); "same" for 3×3
        return torch.nn.functional.conv2d(a, kernel.permute(3, 2, 0, 1), padding=1)

    h = c = torch.zeros(2, 3, 5, 5, dtype=torch.float64)
    outs = []
    for t in range(4):
        z = conv(tx[:, t], k) + b.view(1, -1, 1, 1) + conv(h, rk)
        i, f, cand, o = z.split(3, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(cand)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    theirs = torch.stack(outs, 1).permute(0, 1, 3, 4, 2)
    theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fl.backend.to_numpy(ours_x.grad), tx.grad.numpy().transpose(0, 1, 3, 4, 2),
                               rtol=1e-9, atol=1e-11)
    for p, theirs_p in zip(layer.parameters(), (k, rk, b)):
        np.testing.assert_allclose(fl.backend.to_numpy(p.grad), theirs_p.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name, sizes, kernel, settings, sequences",
                         [(*case, sequences) for case, sequences in zip(CASES, [False, True, True, False, True])])
def test_outputs_and_states_are_keras_from_the_same_weights(name, sizes, kernel, settings, sequences):
    real = real_keras()
    x = RNG.normal(size=(2, 4, *sizes, 3)).astype(np.float32)
    made = dict(filters=4, kernel_size=kernel, return_sequences=sequences, return_state=True, **settings)
    theirs, ours = getattr(real.layers, name)(**made), getattr(keras.layers, name)(**made)
    expected = [np.asarray(a) for a in theirs(x)]
    ours(x)
    ours.set_weights(theirs.get_weights())
    got = [a.numpy() for a in ours(x)]
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert ours.compute_output_shape(x.shape[1:]) == [a.shape[1:] for a in expected]
    start = [RNG.normal(size=expected[1].shape).astype(np.float32) for _ in range(2)]
    wanted = [np.asarray(a) for a in theirs(x, initial_state=start)]
    for a, b in zip(ours(x, initial_state=start), wanted):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-6)


def test_a_masked_step_keeps_the_states_and_repeats_the_output():
    """Keras's rule for recurrent layers (Keras 3.15's own ConvLSTM fails on a mask: its states do not broadcast
    with it): a masked step leaves h and c as they were, and its output is the step before's."""
    layer = keras.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True, return_state=True)
    x = RNG.normal(size=(2, 4, 5, 5, 2)).astype(np.float32)
    mask = np.array([[True, False, True, False], [True, True, True, True]])
    out, h, c = (a.numpy() for a in layer(x, mask=mask))
    np.testing.assert_array_equal(out[0, 1], out[0, 0])
    np.testing.assert_array_equal(out[0, 3], out[0, 2])
    np.testing.assert_array_equal(h[0], out[0, 2])
    kept = [x[:1, 0], x[:1, 2]]  # the first sequence's unmasked steps, read without a mask
    alone_out, alone_h, alone_c = (a.numpy() for a in layer(np.stack(kept, axis=1)))
    np.testing.assert_allclose(h[:1], alone_h, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(c[:1], alone_c, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out[1], layer(x[1:])[0].numpy()[0], rtol=1e-6, atol=1e-7)


def _frames_model(library):
    """The layers of Keras's next-frame video prediction example, small: ConvLSTM2D layers over the frames, a
    BatchNormalization between them, a Conv3D giving each next frame."""
    layers = library.layers
    return library.Sequential([
        library.Input((4, 6, 6, 1)),
        layers.ConvLSTM2D(4, (3, 3), padding="same", return_sequences=True, activation="relu"),
        layers.BatchNormalization(),
        layers.ConvLSTM2D(3, (1, 1), padding="same", return_sequences=True, activation="relu"),
        layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same"),
    ])


def test_the_video_example_trains_as_keras_and_its_files_cross_both_ways(tmp_path):
    real = real_keras()
    frames = RNG.random((6, 5, 6, 6, 1)).astype(np.float32)
    x, y = frames[:, :4], frames[:, 1:]  # each frame's target is the next one
    theirs, ours = _frames_model(real), _frames_model(keras)
    assert_trains_as_keras(real, theirs, ours, x, y, "binary_crossentropy", learning_rate=0.1, batch_size=3,
                           rtol=2e-4, atol=2e-5)
    for path in (tmp_path / "m.keras", tmp_path / "m.fnl"):
        ours.save(path)
        np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0), ours.predict(x, verbose=0))
    keras.saving.export_keras(ours, tmp_path / "k.keras")
    np.testing.assert_allclose(real.models.load_model(tmp_path / "k.keras").predict(x, verbose=0),
                               ours.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    for path in (tmp_path / "theirs.keras", tmp_path / "theirs.h5"):
        theirs.save(path)
        np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), theirs.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)


def test_dropout_masks_are_one_per_sequence_the_same_at_every_step():
    layer = keras.layers.ConvLSTM2D(2, 3, padding="same", dropout=0.5, seed=4, return_sequences=True)
    x = RNG.normal(size=(2, 3, 4, 4, 2)).astype(np.float32)
    trained = layer(x, training=True).numpy()
    # the mask the layer drew: its seed's first draw, (batch, 1, height, width, channels), scaled by 1 / (1 − rate)
    keep = np.random.default_rng([4, 0]).random((2, 1, 4, 4, 2)) >= 0.5
    np.testing.assert_allclose(trained, layer(x * keep * 2, training=False).numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), layer(x, training=False).numpy())
    again = keras.layers.ConvLSTM2D.from_config(layer.get_config())
    assert again.get_config() == layer.get_config() and again.dropout == 0.5 and again.seed == 4
    state_drop = keras.layers.ConvLSTM2D(2, 3, padding="same", recurrent_dropout=0.5, seed=1)
    state_drop(x)
    assert not np.allclose(state_drop(x, training=True).numpy(), state_drop(x, training=False).numpy())


def test_regularizers_add_their_penalties_and_constraints_hold_after_each_step():
    layer = keras.layers.ConvLSTM2D(2, 3, kernel_regularizer="l2", recurrent_regularizer=keras.regularizers.L1(0.1),
                                    recurrent_constraint=keras.constraints.NonNeg())
    model = keras.Sequential([keras.Input((3, 5, 5, 1)), layer, keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(RNG.normal(size=(4, 3, 5, 5, 1)), RNG.normal(size=(4, 1)), epochs=1, verbose=0)
    assert (layer.recurrent_kernel.numpy() >= 0).all()
    penalties = {id(p): r for p, r in layer.penalties()}
    assert set(penalties) == {id(layer.kernel), id(layer.recurrent_kernel)}


@pytest.mark.parametrize("make, error, words", [
    (lambda: keras.layers.ConvLSTM2D(0, 3), ConfigError, "filters must be a positive integer"),
    (lambda: keras.layers.ConvLSTM2D(2, (3, 3, 3)), ConfigError, "kernel_size must be a positive integer or a pair"),
    (lambda: keras.layers.ConvLSTM1D(2, (3, 3)), ConfigError, "kernel_size"),
    (lambda: keras.layers.ConvLSTM2D(2, 3, stateful=True), ConfigError, "stateful=True"),
    (lambda: keras.layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2), ConfigError, "dilation_rate above 1 takes"),
    (lambda: keras.layers.ConvLSTM2D(2, 3)(np.zeros((1, 3, 5, 5))), ShapeError, "(steps, height, width, channels)"),
    (lambda: keras.layers.ConvLSTM2D(2, 4)(np.zeros((1, 3, 3, 3, 1))), ShapeError, "larger than its frames"),
    (lambda: keras.layers.ConvLSTM2D(2, 3, padding="same")(np.zeros((1, 3, 4, 4, 1)),
                                                           initial_state=np.zeros((1, 4, 4, 2))),
     DataError, "takes [h, c]"),
    (lambda: keras.layers.ConvLSTM2D(2, 3, padding="same")(np.zeros((1, 3, 4, 4, 1)),
                                                           initial_state=[np.zeros((1, 4, 4, 3))] * 2),
     ShapeError, "initial state 0 of shape (1, 4, 4, 3)"),
    (lambda: keras.Sequential([keras.Input((None, None, 4, 1)), keras.layers.ConvLSTM2D(2, 3)]), ShapeError,
     "frames of a known size"),
])
def test_bad_input_is_one_sentence(make, error, words):
    with pytest.raises(error) as caught:
        make()
    assert words in str(caught.value) and str(caught.value).endswith(".")


def test_frames_of_other_channels_than_the_built_kernels_are_refused():
    layer = keras.layers.ConvLSTM2D(2, 3)
    layer(np.zeros((1, 2, 4, 4, 1)))
    with pytest.raises(ShapeError, match="built for frames of 1 channels"):
        layer(np.zeros((1, 2, 4, 4, 3)))
