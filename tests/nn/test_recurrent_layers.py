"""SimpleRNN, LSTM, GRU, Bidirectional and masks: Keras 3's outputs from the same weights (every return setting,
go_backwards, masked steps), gradients through time against central differences and PyTorch, padding that changes
nothing, dropout streams, training equal to Keras's, model files, and one sentence for what cannot work."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import io, keras
from fnlearn.errors import ConfigError, DataError, ModelFileError, ShapeError
from fnlearn.nn.recurrent import _Cell, _GRUCell, _LSTMCell, fused_gru, fused_lstm, fused_rnn, recurrence

RNG = np.random.default_rng(21)
X = RNG.normal(size=(3, 6, 4)).astype(np.float32)
MASK = np.ones((3, 6), dtype=bool)
MASK[0, :2] = False  # padded at the front (pad_sequences' default)
MASK[1, 4:] = False  # padded at the end
MASK[2, 3] = False  # a gap


def _masked(x: np.ndarray, mask: np.ndarray | None) -> fl.Tensor:
    out = fl.tensor(x)
    if mask is not None:
        out._mask = fl.backend.to_device(mask)
    return out


def _as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


SETTINGS = [{}, {"return_sequences": True}, {"go_backwards": True, "return_sequences": True},
            {"return_state": True}, {"return_sequences": True, "return_state": True, "go_backwards": True}]


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("masked", [False, True])
def test_outputs_and_states_are_keras_from_the_same_weights(kind, settings, masked):
    real = real_keras()
    theirs = getattr(real.layers, kind)(5, **settings)
    expected = _as_list(theirs(X, mask=MASK if masked else None))
    ours = getattr(fl.layers, kind)(5, **settings)
    ours.build((6, 4))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    got = ours(_masked(X, MASK if masked else None))
    got = [o.numpy() for o in got] if isinstance(got, list) else [got.numpy()]
    assert [g.shape for g in got] == [e.shape for e in expected]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    shapes = ours.compute_output_shape((6, 4))
    assert [tuple(s) for s in (shapes if settings.get("return_state") else [shapes])] == [e.shape[1:] for e in expected]


@pytest.mark.parametrize("settings", [{"reset_after": False}, {"activation": "relu", "recurrent_activation":
                                                                "hard_sigmoid", "use_bias": False}])
def test_other_gru_and_activation_settings_are_keras(settings):
    real = real_keras()
    for kind in ("GRU", "LSTM", "SimpleRNN"):
        chosen = dict(settings) if kind != "SimpleRNN" else {k: v for k, v in settings.items() if k == "activation"}
        if kind != "GRU":
            chosen.pop("reset_after", None)
        theirs = getattr(real.layers, kind)(3, return_sequences=True, **chosen)
        expected = np.asarray(theirs(X, mask=MASK))
        ours = getattr(fl.layers, kind)(3, return_sequences=True, **chosen)
        ours.build((6, 4))
        ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(ours(_masked(X, MASK)).numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_is_keras_in_every_merge_mode(merge_mode, return_sequences):
    real = real_keras()
    theirs = real.layers.Bidirectional(real.layers.GRU(3, return_sequences=return_sequences), merge_mode=merge_mode)
    expected = _as_list(theirs(X, mask=MASK))
    ours = fl.layers.Bidirectional(fl.layers.GRU(3, return_sequences=return_sequences), merge_mode=merge_mode)
    ours.build((6, 4))
    ours.set_weights(theirs.get_weights())
    got = ours(_masked(X, MASK))
    got = [o.numpy() for o in got] if isinstance(got, list) else [got.numpy()]
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


def test_bidirectional_states_come_forward_then_backward():
    real = real_keras()
    theirs = real.layers.Bidirectional(real.layers.LSTM(2, return_state=True))
    expected = _as_list(theirs(X))
    ours = fl.layers.Bidirectional(fl.layers.LSTM(2, return_state=True))
    ours.build((6, 4))
    ours.set_weights(theirs.get_weights())
    got = ours(X)
    assert len(got) == 5 == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-6)
    assert [w.name for w in ours.weights][:3] == ["kernel", "recurrent_kernel", "bias"]
    assert ours.forward_layer.name.startswith("forward_") and ours.backward_layer.name.startswith("backward_")


CELLS = [(_Cell("tanh", "sigmoid"), 1, False), (_Cell("relu", "sigmoid"), 1, False),
         (_LSTMCell("tanh", "sigmoid"), 4, False), (_LSTMCell("softplus", "hard_sigmoid"), 4, False),
         (_LSTMCell("tanh", "hard_sigmoid"), 4, False),
         (_GRUCell("tanh", "sigmoid", True), 3, True), (_GRUCell("tanh", "sigmoid", False), 3, False)]


@pytest.mark.parametrize("cell, gates, recurrent_bias", CELLS)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dropped", [False, True])
def test_gradients_through_time_match_central_differences(float64, cell, gates, recurrent_bias, masked, dropped):
    n, steps, units = 3, 4, 2
    mask = fl.backend.to_device(MASK[:, :steps]) if masked else None
    drop = fl.backend.to_device((RNG.random((gates, n, units)) > 0.3) / 0.7) if dropped else None
    xw, kernel = RNG.normal(size=(steps, n, gates * units)), RNG.normal(size=(units, gates * units)) * 0.7
    h0, c0, rbias = RNG.normal(size=(n, units)), RNG.normal(size=(n, units)), RNG.normal(size=(gates * units,))
    weights = fl.tensor(RNG.normal(size=(n, steps + 1 + cell.carries, units)))
    for zero_masked in (False, True):
        def run(xw, kernel, h0, c0, *rb, zero_masked=zero_masked):
            return recurrence(cell, xw, kernel, rb[0] if rb else None, h0, c0 if cell.carries else None,
                              mask=mask, masks=drop, zero_masked=zero_masked) * weights

        assert fl.gradcheck(run, [xw, kernel, h0, c0, *([rbias] if recurrent_bias else [])], atol=1e-7, rtol=1e-6)


def _lstm_operands(n=3, steps=4, features=2, units=2):
    return {"x": RNG.normal(size=(n, steps, features)), "kernel": RNG.normal(size=(features, 4 * units)) * 0.7,
            "bias": RNG.normal(size=(4 * units,)), "recurrent": RNG.normal(size=(units, 4 * units)) * 0.7,
            "h0": RNG.normal(size=(n, units)), "c0": RNG.normal(size=(n, units))}


@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("states", [True, False])
@pytest.mark.parametrize("masked", [True, False])
def test_the_fused_lstm_gradients_match_central_differences(float64, sequences, states, masked):
    ops = _lstm_operands()
    names = ["x", "kernel", "bias", "recurrent", *(["h0", "c0"] if states else [])]
    n, steps, units = 3, 4, 2
    mask = fl.backend.to_device(MASK[:, :steps]) if masked else None
    weights = fl.tensor(RNG.normal(size=(n, steps + 2 if sequences else 2, units)))

    def run(x, kernel, bias, recurrent, h0=None, c0=None):
        return fused_lstm(x, kernel, bias, recurrent, h0, c0, fl.backend.Workspace(), sequences, mask,
                          zero_masked=masked) * weights

    assert fl.gradcheck(run, [ops[k] for k in names], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("masked, zero_masked", [(False, False), (True, False), (True, True)])
def test_the_fused_lstm_is_the_lstm_cell_step_by_step(float64, sequences, masked, zero_masked):
    """The fused op (inputs and their product; or the product given, as with input dropout) against the
    general loop of the cell's own step and back, with Keras's activations, skipping masked steps."""
    ops = {k: fl.tensor(v, requires_grad=True) for k, v in _lstm_operands(steps=5).items()}
    mask = fl.backend.to_device(MASK[:, :5]) if masked else None
    general = _LSTMCell("tanh", "sigmoid")
    general.fused = False
    xw = fl.functional.dense(fl.functional.transpose(ops["x"], (1, 0, 2)), ops["kernel"], ops["bias"])
    expected = recurrence(general, xw, ops["recurrent"], None, ops["h0"], ops["c0"], mask=mask,
                          zero_masked=zero_masked)
    if not sequences:
        expected = expected[:, -2:]
    weights = fl.tensor(RNG.normal(size=expected.shape))
    (expected * weights).sum().backward()
    want = {k: t.grad.copy() for k, t in ops.items()}
    for projected in (False, True):
        for t in ops.values():
            t.grad = None
        if projected:
            xw = fl.functional.dense(fl.functional.transpose(ops["x"], (1, 0, 2)), ops["kernel"], ops["bias"])
            got = fused_lstm(xw, None, None, ops["recurrent"], ops["h0"], ops["c0"], fl.backend.Workspace(),
                             mask=mask, zero_masked=zero_masked)
            got = got if sequences else got[:, -2:]
        else:
            got = fused_lstm(ops["x"], ops["kernel"], ops["bias"], ops["recurrent"], ops["h0"], ops["c0"],
                             fl.backend.Workspace(), sequences, mask, zero_masked)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
        (got * weights).sum().backward()
        for k, t in ops.items():
            np.testing.assert_allclose(fl.backend.to_numpy(t.grad), fl.backend.to_numpy(want[k]), rtol=1e-10,
                                       atol=1e-12, err_msg=f"{k}, projected={projected}")


def _gru_operands(n=3, steps=4, features=2, units=2, gates=3):
    """A GRU's operands (its bias (2, 3·units): the inputs' and the recurrent product's); gates=1: a SimpleRNN's."""
    bias = RNG.normal(size=(2, gates * units) if gates == 3 else (units,))
    return {"x": RNG.normal(size=(n, steps, features)), "kernel": RNG.normal(size=(features, gates * units)) * 0.7,
            "bias": bias, "recurrent": RNG.normal(size=(units, gates * units)) * 0.7, "h0": RNG.normal(size=(n, units))}


@pytest.mark.parametrize("op, gates", [(fused_gru, 3), (fused_rnn, 1)], ids=["gru", "simple_rnn"])
@pytest.mark.parametrize("sequences", [True, False])
@pytest.mark.parametrize("state", [True, False])
@pytest.mark.parametrize("masked", [True, False])
def test_the_fused_gru_and_rnn_gradients_match_central_differences(float64, op, gates, sequences, state, masked):
    ops = _gru_operands(gates=gates)
    names = ["x", "kernel", "bias", "recurrent", *(["h0"] if state else [])]
    n, steps, units = 3, 4, 2
    mask = fl.backend.to_device(MASK[:, :steps]) if masked else None
    weights = fl.tensor(RNG.normal(size=(n, steps + 1 if sequences else 1, units)))

    def run(x, kernel, bias, recurrent, h0=None):
        return op(x, kernel, bias, recurrent, h0, fl.backend.Workspace(), sequences, mask, zero_masked=masked) * weights

    assert fl.gradcheck(run, [ops[k] for k in names], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("op, gates", [(fused_gru, 3), (fused_rnn, 1)], ids=["gru", "simple_rnn"])
@pytest.mark.parametrize("masked, zero_masked", [(False, False), (True, False), (True, True)])
def test_the_fused_gru_and_rnn_are_their_cells_step_by_step(float64, op, gates, masked, zero_masked):
    ops = {k: fl.tensor(v, requires_grad=True) for k, v in _gru_operands(steps=5, gates=gates).items()}
    mask = fl.backend.to_device(MASK[:, :5]) if masked else None
    gru = gates == 3
    xw = fl.functional.dense(fl.functional.transpose(ops["x"], (1, 0, 2)), ops["kernel"],
                             ops["bias"][0] if gru else ops["bias"])
    cell = _GRUCell("tanh", "sigmoid", True) if gru else _Cell("tanh", "sigmoid")
    expected = recurrence(cell, xw, ops["recurrent"], ops["bias"][1] if gru else None, ops["h0"], None, mask=mask,
                          zero_masked=zero_masked)
    weights = fl.tensor(RNG.normal(size=expected.shape))
    (expected * weights).sum().backward()
    want = {k: fl.backend.to_numpy(t.grad).copy() for k, t in ops.items()}
    for t in ops.values():
        t.grad = None
    got = op(ops["x"], ops["kernel"], ops["bias"], ops["recurrent"], ops["h0"], fl.backend.Workspace(), True, mask,
             zero_masked)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    (got * weights).sum().backward()
    for k, t in ops.items():
        np.testing.assert_allclose(fl.backend.to_numpy(t.grad), want[k], rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
def test_a_layer_called_twice_before_its_backward_keeps_both_calls_values(kind):
    """The layer's workspace gives the second call new arrays while the first call's graph still holds its own:
    gradients of a shared recurrent layer (a Siamese pair) are the sums of those of each call alone."""
    fl.set_seed(4)
    lstm = getattr(fl.layers, kind)(3, return_sequences=True)
    a, b = RNG.normal(size=(2, 5, 4)).astype(np.float32), RNG.normal(size=(2, 5, 4)).astype(np.float32)
    wa, wb = fl.tensor(RNG.normal(size=(2, 5, 3))), fl.tensor(RNG.normal(size=(2, 5, 3)))
    alone = []
    for x, w in ((a, wa), (b, wb)):
        (lstm(x) * w).sum().backward()
        alone.append([p.grad.copy() for p in lstm.weights])
        lstm.zero_grad()
    ((lstm(a) * wa).sum() + (lstm(b) * wb).sum()).backward()
    for p, first, second in zip(lstm.weights, *alone):
        np.testing.assert_allclose(fl.backend.to_numpy(p.grad), fl.backend.to_numpy(first + second), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "SimpleRNN"])
@pytest.mark.parametrize("sequences", [True, False])
def test_values_and_gradients_match_pytorch(kind, sequences):
    torch = pytest.importorskip("torch")
    units, features = 3, 4
    ours = getattr(fl.layers, kind)(units, return_sequences=sequences)
    ours.build((6, features))
    torch_layer = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "SimpleRNN": torch.nn.RNN}[kind](
        features, units, batch_first=True)
    kernel, recurrent, bias = (w.numpy() for w in ours.weights)
    # PyTorch's GRU orders its gates r, z, n where Keras has z, r, h; its RNN and LSTM share Keras's order
    order = np.r_[units:2 * units, 0:units, 2 * units:3 * units] if kind == "GRU" else np.arange(kernel.shape[1])
    with torch.no_grad():
        torch_layer.weight_ih_l0.copy_(torch.tensor(kernel[:, order].T))
        torch_layer.weight_hh_l0.copy_(torch.tensor(recurrent[:, order].T))
        if kind == "GRU":
            torch_layer.bias_ih_l0.copy_(torch.tensor(bias[0][order]))
            torch_layer.bias_hh_l0.copy_(torch.tensor(bias[1][order]))
        else:
            torch_layer.bias_ih_l0.copy_(torch.tensor(bias))
            torch_layer.bias_hh_l0.zero_()
    g = RNG.normal(size=(3, 6, units) if sequences else (3, units)).astype(np.float32)
    x = fl.tensor(X, requires_grad=True)
    (ours(x) * fl.tensor(g)).sum().backward()
    xt = torch.tensor(X, requires_grad=True)
    out, _ = torch_layer(xt)
    out = out if sequences else out[:, -1]
    (out * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(ours(X).numpy(), out.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fl.backend.to_numpy(x.grad), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fl.backend.to_numpy(ours.kernel.grad),
                               torch_layer.weight_ih_l0.grad.numpy().T[:, order.argsort()], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fl.backend.to_numpy(ours.recurrent_kernel.grad),
                               torch_layer.weight_hh_l0.grad.numpy().T[:, order.argsort()], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_padding_steps_behind_a_mask_change_nothing(kind):
    fl.set_seed(3)
    model = fl.Sequential([fl.layers.Embedding(20, 4, mask_zero=True), getattr(fl.layers, kind)(3),
                           fl.layers.Dense(1)])
    ids = RNG.integers(1, 20, (4, 5))
    padded = np.concatenate([np.zeros((4, 3), dtype=int), ids, np.zeros((4, 2), dtype=int)], axis=1)
    np.testing.assert_allclose(model(padded).numpy(), model(ids).numpy(), rtol=1e-6, atol=1e-7)
    both = fl.layers.Bidirectional(getattr(fl.layers, kind)(2, return_sequences=True))
    pooled = fl.Sequential([fl.layers.Embedding(20, 4, mask_zero=True), both, fl.layers.GlobalAveragePooling1D()])
    np.testing.assert_allclose(pooled(padded).numpy(), pooled(ids).numpy(), rtol=1e-6, atol=1e-7)
    unmasked = fl.Sequential([fl.layers.Embedding(20, 4), getattr(fl.layers, kind)(3)])
    assert not np.allclose(unmasked(padded).numpy(), unmasked(ids).numpy())  # without the mask it would differ


def test_masking_marks_steps_equal_to_its_value_and_the_mask_passes_step_wise_layers():
    x = RNG.normal(size=(2, 5, 3))
    x[0, 1] = -1.0
    x[1, 3:] = -1.0
    layer = fl.layers.Masking(mask_value=-1.0)
    out = layer(x)
    assert out._mask.tolist() == [[True, False, True, True, True], [True, True, True, False, False]]
    assert np.all(out.numpy()[1, 3:] == 0)
    dense = fl.layers.Dense(2)(out)  # a step-wise layer passes the mask on
    assert dense._mask is out._mask
    lstm = fl.layers.LSTM(2, return_sequences=True)
    assert lstm(dense)._mask.tolist() == out._mask.tolist()
    assert getattr(fl.layers.LSTM(2)(dense), "_mask", None) is None  # the last step's output has no steps left


def test_masked_average_pooling_is_keras():
    real = real_keras()
    x = RNG.normal(size=(3, 6, 2)).astype(np.float32)
    for keep in (False, True):
        expected = np.asarray(real.layers.GlobalAveragePooling1D(keepdims=keep)(x, mask=MASK))
        got = fl.layers.GlobalAveragePooling1D(keepdims=keep)(_masked(x, MASK)).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)  # a mean near 0 has no relative digits
    first = np.moveaxis(x, 1, 2)
    expected = np.asarray(real.layers.GlobalAveragePooling1D(data_format="channels_first")(first, mask=MASK))
    np.testing.assert_allclose(fl.layers.GlobalAveragePooling1D(data_format="channels_first")(
        _masked(first, MASK)).numpy(), expected, rtol=1e-6, atol=1e-7)


def test_a_layer_that_cannot_use_the_mask_says_so_once_and_drops_it():
    model = fl.Sequential([fl.layers.Embedding(10, 3, mask_zero=True, name="words"), fl.layers.Flatten(name="flat"),
                           fl.layers.Dense(1)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model(np.array([[1, 2, 0]]))
        model(np.array([[1, 2, 0]]))
    said = [str(w.message) for w in caught if "mask" in str(w.message)]
    assert len(said) == 1 and "layer 'flat' (Flatten)" in said[0] and "does not use masks" in said[0]


def test_a_keras_way_layer_gets_the_mask_when_its_call_takes_one():
    class Counted(keras.layers.Layer):
        def call(self, inputs, mask=None):
            return fl.functional.sum(inputs, axis=1) * 0.0 + fl.tensor(mask.sum(axis=1, keepdims=True) * 1.0)

        def compute_mask(self, inputs, mask=None):
            return None

    model = fl.Sequential([fl.layers.Embedding(10, 2, mask_zero=True), Counted()])
    np.testing.assert_array_equal(model(np.array([[0, 3, 4], [5, 0, 0]])).numpy(), [[2.0, 2.0], [1.0, 1.0]])


def test_initial_state_sets_where_the_sequence_starts_and_gets_gradients():
    real = real_keras()
    h0, c0 = RNG.normal(size=(3, 2)).astype(np.float32), RNG.normal(size=(3, 2)).astype(np.float32)
    theirs = real.layers.LSTM(2, return_state=True)
    expected = _as_list(theirs(X, initial_state=[h0, c0]))
    ours = fl.layers.LSTM(2, return_state=True)
    ours.build((6, 4))
    ours.set_weights(theirs.get_weights())
    h, c = fl.tensor(h0, requires_grad=True), fl.tensor(c0, requires_grad=True)
    got = ours(X, initial_state=[h, c])
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-6)
    got[0].sum().backward()
    assert h.grad is not None and c.grad is not None and np.abs(fl.backend.to_numpy(c.grad)).sum() > 0
    with pytest.raises(DataError, match=r"got initial_state with 1 states; it takes \[h, c\] \(two states\)"):
        ours(X, initial_state=[h])
    with pytest.raises(ShapeError, match=r"initial state 1 of shape \(2, 2\); it takes \(batch, units\) = \(3, 2\)"):
        ours(X, initial_state=[h, c[:2]])


def test_dropout_is_one_mask_per_sequence_seeded_and_off_outside_training():
    x = np.ones((2, 5, 3), dtype=np.float32)
    layer = fl.layers.SimpleRNN(4, dropout=0.5, recurrent_dropout=0.5, seed=1, activation="linear",
                                return_sequences=True, recurrent_initializer="zeros", use_bias=False)
    layer.build((5, 3))
    quiet = layer(x, training=False).numpy()
    loud = layer(x, training=True).numpy()
    assert layer.draws == 2 and not np.allclose(quiet, loud)
    # with no recurrence (U = 0) each step sees the same input mask: every step's output is the same
    np.testing.assert_allclose(loud, np.broadcast_to(loud[:, :1], loud.shape), rtol=1e-6)
    again = fl.layers.SimpleRNN(4, dropout=0.5, recurrent_dropout=0.5, seed=1, activation="linear",
                                return_sequences=True, recurrent_initializer="zeros", use_bias=False)
    again.build((5, 3))
    again.set_weights(layer.get_weights())
    np.testing.assert_array_equal(again(x, training=True).numpy(), loud)


def test_a_text_classifier_with_masks_trains_as_keras_does():
    real = real_keras()
    ids = RNG.integers(1, 25, (32, 7))
    ids[:10, :3] = 0
    y = (ids[:, -1] > 12).astype(np.float32)

    def classifier(library):
        return library.Sequential([library.Input(shape=(7,)), library.layers.Embedding(25, 4, mask_zero=True),
                                   library.layers.Bidirectional(library.layers.LSTM(3, return_sequences=True)),
                                   library.layers.GRU(3), library.layers.Dense(1, activation="sigmoid")])

    theirs, ours = classifier(real), classifier(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert_trains_as_keras(real, theirs, ours, ids, y, "binary_crossentropy", 0.5, batch_size=8, rtol=1e-4,
                           atol=1e-5)


def test_a_tagger_trains_on_labels_per_step_as_keras_does():
    real = real_keras()
    ids, tags = RNG.integers(1, 20, (24, 6)), RNG.integers(0, 3, (24, 6))

    def tagger(library):
        return library.Sequential([library.Input(shape=(6,)), library.layers.Embedding(20, 4),
                                   library.layers.GRU(5, return_sequences=True),
                                   library.layers.Dense(3, activation="softmax")])

    theirs, ours = tagger(real), tagger(keras)
    assert_trains_as_keras(real, theirs, ours, ids, tags, "sparse_categorical_crossentropy", 0.5, batch_size=8,
                           rtol=1e-4, atol=1e-5)
    ours.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])  # one-hot rows per step
    loss, accuracy = ours.evaluate(ids, np.eye(3)[tags], verbose=0)
    expected = -np.log(np.take_along_axis(ours.predict(ids, verbose=0), tags[..., None], axis=-1)).mean()
    assert loss == pytest.approx(expected, rel=1e-5)
    assert accuracy == pytest.approx((ours.predict(ids, verbose=0).argmax(-1) == tags).mean())


TAGGER_SEED = 1  # draws whose padding steps change the accuracy (with some, it comes out the same by chance)


def test_padding_steps_are_left_out_of_a_taggers_loss_and_metrics_as_keras_does():
    real = real_keras()
    rng = np.random.default_rng(TAGGER_SEED)  # its own draws: the same data whatever ran before it
    ids, tags = rng.integers(1, 20, (24, 6)), rng.integers(0, 3, (24, 6))
    ids[:8, :2] = 0  # padding at the front, with tags that must not count
    weights = rng.random(24)
    real_steps = ids != 0

    def tagger(library):
        return library.Sequential([library.Input(shape=(6,)), library.layers.Embedding(20, 4, mask_zero=True),
                                   library.layers.LSTM(5, return_sequences=True),
                                   library.layers.Dense(3, activation="softmax")])

    theirs, ours = tagger(real), tagger(keras)
    assert_trains_as_keras(real, theirs, ours, ids, tags, "sparse_categorical_crossentropy", 0.5, batch_size=8,
                           rtol=1e-4, atol=1e-5)
    probs = ours.predict(ids, verbose=0)
    per_step = -np.log(np.take_along_axis(probs, tags[..., None], axis=-1))[..., 0]
    assert ours.evaluate(ids, tags, verbose=0) == pytest.approx(per_step[real_steps].mean(), rel=1e-5)
    assert ours.evaluate(ids, tags, sample_weight=weights, verbose=0) == pytest.approx(
        (per_step * weights[:, None])[real_steps].sum() / real_steps.sum(), rel=1e-5)
    # the metrics count the real steps only, as Keras's evaluate does
    for model, library in ((theirs, real), (ours, keras)):
        model.compile(library.optimizers.SGD(0.1), "sparse_categorical_crossentropy",
                      metrics=["accuracy", "sparse_categorical_crossentropy"])
    evaluated = ours.evaluate(ids, tags, verbose=0)
    assert evaluated[1] == pytest.approx((probs.argmax(-1) == tags)[real_steps].mean())
    # the loss, then the metrics, as Keras's evaluate gives them (one Keras evaluate: each compile costs seconds)
    for got, expected in zip(evaluated, theirs.evaluate(ids, tags, verbose=0)):
        assert got == pytest.approx(expected, rel=1e-4)
    fitted = [m.fit(ids, tags, batch_size=8, epochs=1, shuffle=False, verbose=0).history for m in (theirs, ours)]
    assert fitted[1]["loss"][0] == pytest.approx(fitted[0]["loss"][0], rel=1e-4)
    # fit's metrics count the real steps too (Keras 3 on JAX counts the padding in fit's metrics, though not in its
    # loss nor in evaluate): with a learning rate of 1e-12 the epoch's accuracy is evaluate's
    ours.compile(keras.optimizers.SGD(1e-12), "sparse_categorical_crossentropy", metrics=["accuracy"])
    hits = ours.predict(ids, verbose=0).argmax(-1) == tags
    frozen = ours.fit(ids, tags, batch_size=8, epochs=1, shuffle=False, verbose=0).history["accuracy"][0]
    assert frozen == pytest.approx(hits[real_steps].mean()) and frozen != pytest.approx(hits.mean())


def test_a_sequential_model_refuses_a_layer_after_one_with_several_outputs():
    with pytest.raises(ConfigError, match=r"layer 'reader' gives several outputs \(return_state=True"):
        fl.Sequential([fl.layers.LSTM(4, return_state=True, input_shape=(5, 3), name="reader"), fl.layers.Dense(1)])


def test_an_lstm_learns_which_came_first():
    fl.set_seed(0)
    rng = np.random.default_rng(0)
    x = np.zeros((400, 8, 2), dtype=np.float32)
    first = rng.integers(0, 2, 400)
    a, b = rng.integers(0, 4, 400), rng.integers(4, 8, 400)
    x[np.arange(400), np.where(first == 0, a, b), 0] = 1.0
    x[np.arange(400), np.where(first == 0, b, a), 1] = 1.0
    model = fl.Sequential([fl.layers.LSTM(8, input_shape=(8, 2)), fl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=fl.optim.Adam(learning_rate=0.02), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:300], first[:300], epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(x[300:], first[300:], verbose=0)[1] > 0.9


def test_models_save_and_load_with_their_settings_and_weights(tmp_path):
    model = keras.Sequential([keras.layers.Embedding(30, 4, mask_zero=True, input_length=6),
                              keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True, reset_after=False,
                                                                          recurrent_regularizer="l2"),
                                                         merge_mode="sum"),
                              keras.layers.LSTM(2, go_backwards=True, dropout=0.2, seed=4, unit_forget_bias=False),
                              keras.layers.Dense(1)])
    ids = RNG.integers(0, 30, (5, 6))
    model.save(tmp_path / "text.fnl")
    again = keras.models.load_model(tmp_path / "text.fnl")
    np.testing.assert_array_equal(again.predict(ids, verbose=0), model.predict(ids, verbose=0))
    both, lstm = again.layers[1], again.layers[2]
    assert both.merge_mode == "sum" and both.forward_layer.reset_after is False
    assert both.forward_layer.recurrent_regularizer is not None and again.layers[0].mask_zero
    assert (lstm.go_backwards, lstm.dropout, lstm.seed, lstm.unit_forget_bias) == (True, 0.2, 4, False)
    masked = keras.Sequential([keras.layers.Masking(-1.0, input_shape=(6, 2)), keras.layers.SimpleRNN(2)])
    masked.save(tmp_path / "masked.fnl")
    assert keras.models.load_model(tmp_path / "masked.fnl").layers[0].mask_value == -1.0

    doc = io._read(tmp_path / "text.fnl").doc  # a forged file whose weights are not the layer's
    doc["model"]["layers"][2]["config"]["units"] = 10**6
    tensors = {f"param/{name}": p.numpy() for name, p in model.named_parameters()}
    (tmp_path / "forged.fnl").write_bytes(io._encode(doc, tensors, tmp_path / "forged.fnl"))
    with pytest.raises(ModelFileError, match=r"LSTM layer 2 \(1000000 units, input \(6, 3\)\) finds weights of "
                                             r"other shapes than its settings give; it is damaged"):
        io.load_model(tmp_path / "forged.fnl")


def test_orthogonal_starts_are_orthogonal_and_seeded():
    q = fl.backend.to_numpy(fl.nn.initializers.get("orthogonal")((6, 6))).astype(np.float64)
    np.testing.assert_allclose(q @ q.T, np.eye(6), atol=1e-5)
    wide = fl.backend.to_numpy(keras.initializers.Orthogonal(gain=2.0, seed=3)((3, 8))).astype(np.float64)
    np.testing.assert_allclose(wide @ wide.T, 4 * np.eye(3), atol=1e-4)
    again = fl.backend.to_numpy(keras.initializers.Orthogonal(gain=2.0, seed=3)((3, 8)))
    np.testing.assert_array_equal(again, wide.astype(np.float32))
    assert fl.nn.initializers.from_config({"name": "orthogonal", "gain": 2.0, "seed": 3}).get_config() == \
        {"name": "orthogonal", "gain": 2.0, "seed": 3}
    with pytest.raises(ConfigError, match="Orthogonal makes matrices"):
        keras.initializers.Orthogonal()((4,))


@pytest.mark.parametrize("make, words", [
    (lambda: fl.layers.LSTM(0), "units must be a whole number of at least 1"),
    (lambda: fl.layers.GRU(4, stateful=True), "stateful=True, which fnlearn does not have"),
    (lambda: fl.layers.SimpleRNN(4, activation="gelu"), "activation='gelu', which fnlearn's recurrent layers"),
    (lambda: fl.layers.LSTM(4, dropout=1.0), r"dropout must be a number in \[0, 1\)"),
    (lambda: fl.layers.LSTM(4, kernel_constraint="max_nrom"), "constraint 'max_nrom' is not known"),
    (lambda: fl.layers.GRU(4, return_sequences="yes"), "return_sequences must be True or False"),
    (lambda: fl.layers.Bidirectional(fl.layers.Dense(3)), "Bidirectional takes a recurrent layer"),
    (lambda: fl.layers.Bidirectional(fl.layers.LSTM(3), merge_mode="max"), "merge_mode must be"),
    (lambda: fl.layers.Masking("zero"), "mask_value must be a number"),
    (lambda: fl.layers.Embedding(10, 2, mask_zero="yes"), "mask_zero must be True"),
])
def test_settings_that_cannot_work_are_one_sentence(make, words):
    with pytest.raises(ConfigError, match=words):
        make()


def test_inputs_that_are_not_sequences_say_what_to_do():
    with pytest.raises(ShapeError, match=r"takes sequences, samples of shape \(steps, features\), got samples of "
                                         r"shape \(4,\); put an Embedding before it"):
        fl.layers.LSTM(2)(np.ones((3, 4)))
    layer = fl.layers.GRU(2)
    layer(np.ones((1, 3, 4)))
    with pytest.raises(ShapeError, match=r"was built for 4 features per step but got sequences of shape \(1, 3, 5\)"):
        layer(np.ones((1, 3, 5)))
    with pytest.raises(ShapeError, match=r"got a mask of shape \(1, 2\) for sequences of shape \(1, 3, 4\)"):
        layer(np.ones((1, 3, 4)), mask=np.ones((1, 2), dtype=bool))
