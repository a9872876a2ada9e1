"""RNN(cell), the cells and StackedRNNCells: each cell's RNN equal to its fused layer (outputs and gradients, masks,
go_backwards, initial states), central differences in float64, Keras 3's outputs from the same weights and its
training, the guide's MinimalRNNCell, models (Sequential, functional, summary, fit, evaluate, predict), model files,
and one sentence for what cannot work."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ModelFileError, ShapeError
from fnlearn.gradcheck import numerical_grad

RNG = np.random.default_rng(7)
X = RNG.normal(size=(3, 6, 4)).astype(np.float32)
MASK = np.ones((3, 6), dtype=bool)
MASK[0, :2] = False  # padded at the front
MASK[1, 4:] = False  # padded at the end
MASK[2, 3] = False  # a gap

# (cell, the fused layer computing the same) for each cell kind, with settings beyond the defaults too
PAIRS = {
    "simple": (lambda: fl.layers.SimpleRNNCell(5), lambda **kw: fl.layers.SimpleRNN(5, **kw)),
    "simple-relu": (lambda: fl.layers.SimpleRNNCell(5, activation="relu", use_bias=False),
                    lambda **kw: fl.layers.SimpleRNN(5, activation="relu", use_bias=False, **kw)),
    "lstm": (lambda: fl.layers.LSTMCell(5), lambda **kw: fl.layers.LSTM(5, **kw)),
    "lstm-hard": (lambda: fl.layers.LSTMCell(5, activation="softplus", recurrent_activation="hard_sigmoid"),
                  lambda **kw: fl.layers.LSTM(5, activation="softplus", recurrent_activation="hard_sigmoid", **kw)),
    "gru": (lambda: fl.layers.GRUCell(5), lambda **kw: fl.layers.GRU(5, **kw)),
    "gru-before": (lambda: fl.layers.GRUCell(5, reset_after=False), lambda **kw: fl.layers.GRU(5, reset_after=False,
                                                                                            **kw)),
}


def _masked(x: np.ndarray, mask: np.ndarray | None) -> fl.Tensor:
    out = fl.tensor(x)
    if mask is not None:
        out._mask = fl.backend.to_device(mask)
    return out


def _listed(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _loss(outputs: list, weights: list) -> fl.Tensor:
    """A loss that reads every output and state, each value with its own weight."""
    total = None
    for out, w in zip(outputs, weights):
        term = fl.functional.sum(out * fl.tensor(w))
        total = term if total is None else total + term
    return total


def _pair(kind: str, float64: bool = True, **settings):
    """The RNN of ``kind``'s cell and the fused layer, built, with the same weights."""
    dtype = "float64" if float64 else "float32"
    make_cell, make_fused = PAIRS[kind]
    with fl.backend.using_dtype(dtype):
        rnn = fl.layers.RNN(make_cell(), **settings)
        fused = make_fused(**settings)
    rnn.build((6, 4))
    fused.build((6, 4))
    weights = [RNG.normal(size=w.shape) * 0.5 for w in rnn.get_weights()]
    rnn.set_weights(weights)
    fused.set_weights(weights)
    return rnn, fused


@pytest.mark.parametrize("kind", list(PAIRS))
@pytest.mark.parametrize("settings", [{}, {"return_sequences": True, "return_state": True},
                                      {"return_sequences": True, "go_backwards": True}])
@pytest.mark.parametrize("masked", [False, True])
def test_rnn_of_a_cell_is_its_fused_layer_forward_and_gradients(kind, settings, masked):
    rnn, fused = _pair(kind, **settings)
    x = X.astype(np.float64)
    results = []
    for layer in (rnn, fused):
        given = fl.Tensor(x, requires_grad=True)
        if masked:
            given._mask = fl.backend.to_device(MASK)
        outputs = _listed(layer(given))
        weights = [np.random.default_rng(k).normal(size=o.shape) for k, o in enumerate(outputs)]
        _loss(outputs, weights).backward()
        results.append(([o.numpy() for o in outputs], fl.backend.to_numpy(given.grad),
                        [fl.backend.to_numpy(p.grad) for p in layer.parameters()]))
    (outs, dx, dws), (fouts, fdx, fdws) = results
    for a, b in zip(outs, fouts):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, fdx, rtol=1e-9, atol=1e-11)
    for a, b in zip(dws, fdws):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_initial_states_and_their_gradients_are_the_fused_layers(kind):
    rnn, fused = _pair(kind, return_sequences=True)
    count = 2 if kind == "lstm" else 1
    grads = []
    for layer in (rnn, fused):
        states = [fl.Tensor(np.random.default_rng(k).normal(size=(3, 5)), requires_grad=True) for k in range(count)]
        out = layer(_masked(X.astype(np.float64), MASK), initial_state=states)
        _loss([out], [np.ones(out.shape)]).backward()
        grads.append([out.numpy(), *(fl.backend.to_numpy(s.grad) for s in states)])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru", "gru-before"])
def test_gradients_are_central_differences_in_float64(kind):
    rnn, _ = _pair(kind, return_sequences=True, return_state=True)
    x = fl.Tensor(RNG.normal(size=(2, 4, 4)), requires_grad=True)
    x._mask = fl.backend.to_device(np.array([[True, True, False, True], [False, True, True, True]]))
    outputs = _listed(rnn(x))
    weights = [np.random.default_rng(k).normal(size=o.shape) for k, o in enumerate(outputs)]

    def loss(*_):
        return _loss(_listed(rnn(x)), weights)

    loss().backward()
    inputs = [x, *rnn.parameters()]
    for k, tensor in enumerate(inputs):
        numeric = numerical_grad(loss, inputs, k, 1e-6)
        np.testing.assert_allclose(fl.backend.to_numpy(tensor.grad), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cell, settings", [
    ("SimpleRNNCell", {"return_sequences": True}),
    ("LSTMCell", {"return_state": True}),
    ("LSTMCell", {"return_sequences": True, "go_backwards": True}),
    ("GRUCell", {"return_sequences": True, "return_state": True}),
    ("GRUCell", {"reset_after": False}),
])
@pytest.mark.parametrize("masked", [False, True])
def test_outputs_are_keras_from_the_same_weights(cell, settings, masked):
    real = real_keras()
    settings = dict(settings)
    cell_settings = {"reset_after": settings.pop("reset_after")} if "reset_after" in settings else {}
    theirs = real.layers.RNN(getattr(real.layers, cell)(5, **cell_settings), **settings)
    expected = _listed(theirs(X, mask=MASK if masked else None))
    ours = fl.layers.RNN(getattr(fl.layers, cell)(5, **cell_settings), **settings)
    ours.build((6, 4))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    got = _listed(ours(_masked(X, MASK if masked else None)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), np.asarray(e), rtol=1e-5, atol=1e-6)


def test_stacked_cells_are_keras_weights_outputs_and_flat_states():
    real = real_keras()
    theirs = real.layers.RNN([real.layers.LSTMCell(5), real.layers.GRUCell(3)], return_sequences=True,
                             return_state=True)
    expected = theirs(X)
    ours = fl.layers.RNN([fl.layers.LSTMCell(5), fl.layers.GRUCell(3)], return_sequences=True, return_state=True)
    assert isinstance(ours.cell, fl.layers.StackedRNNCells)
    ours.build((6, 4))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    got = ours(X)
    # Keras 3 groups a stack's states by cell, ([h1, c1], [h2]); fnlearn gives them flat, as a functional model
    # unpacks them: out, h1, c1, h2 = ...
    flat = [np.asarray(expected[0]), *(np.asarray(s) for group in expected[1:] for s in group)]
    assert len(got) == len(flat) == 4
    for g, e in zip(got, flat):
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-5, atol=1e-6)
    assert ours.compute_output_shape((6, 4)) == [(6, 3), (5,), (5,), (3,)]
    assert ours.cell.state_size == [[5, 5], 3] and ours.cell.output_size == 3


def _keras_model(library, cell_class, units: int = 6):
    layers = library.layers
    return library.Sequential([layers.Input((7, 3)), layers.RNN(getattr(layers, cell_class)(units)),
                               layers.Dense(2)])


@pytest.mark.parametrize("cell_class", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
def test_trains_as_keras(cell_class):
    real = real_keras()
    x = RNG.normal(size=(16, 7, 3)).astype(np.float32)
    y = RNG.normal(size=(16, 2)).astype(np.float32)
    assert_trains_as_keras(real, _keras_model(real, cell_class), _keras_model(keras, cell_class), x, y, "mse",
                           learning_rate=0.05, batch_size=8, epochs=3, rtol=1e-4, atol=1e-5)


def _minimal_cell(library):
    """The guide's MinimalRNNCell ("Working with RNNs"), written against ``library``."""

    class MinimalRNNCell(library.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")
            self.built = True

        def call(self, inputs, states):
            prev_output = states[0]
            h = library.ops.matmul(inputs, self.kernel)
            output = h + library.ops.matmul(prev_output, self.recurrent_kernel)
            return output, [output]

    return MinimalRNNCell


def _guide_model(library, cell, stacked: bool):
    x = library.Input((None, 5))
    units = [cell(32), cell(64)] if stacked else cell(32)
    return library.Model(x, library.layers.RNN(units)(x))


@pytest.mark.parametrize("stacked", [False, True])
def test_the_guides_minimal_cell_is_keras(stacked, tmp_path):
    real = real_keras()
    theirs = _guide_model(real, _minimal_cell(real), stacked)
    cell = _minimal_cell(keras)
    ours = _guide_model(keras, cell, stacked)
    assert tuple(ours.output_shape)[-1] == (64 if stacked else 32)
    data = RNG.normal(size=(2, 4, 5)).astype(np.float32) * 0.3
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(data, verbose=0), theirs.predict(data, verbose=0), rtol=1e-5, atol=1e-5)
    path = str(tmp_path / "minimal.fnl")
    ours.save(path)  # a cell of one's own saves as other layers of one's own do: by class name and arguments
    with pytest.raises(ModelFileError, match="custom_objects"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"MinimalRNNCell": cell})
    np.testing.assert_allclose(loaded.predict(data, verbose=0), ours.predict(data, verbose=0), rtol=1e-6)


def test_a_cell_of_several_states_and_its_own_output_size():
    class Running(keras.layers.Layer):
        """Two states of different sizes, an output of a third: the sum so far and the count, and their ratio."""

        state_size = [3, 1]
        output_size = 3

        def call(self, inputs, states):
            total, count = states
            total, count = total + inputs, count + 1.0
            return total / count, [total, count]

    rnn = keras.layers.RNN(Running(), return_state=True)
    out, total, count = rnn(_masked(X[:, :, :3], MASK))
    lengths = MASK.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(count.numpy(), lengths)
    np.testing.assert_allclose(total.numpy(), (X[:, :, :3] * MASK[:, :, None]).sum(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), total.numpy() / lengths, rtol=1e-5, atol=1e-7)
    assert rnn.compute_output_shape((6, 3)) == [(3,), (3,), (1,)]


def test_masks_from_an_embedding_are_the_fused_layers():
    words = np.array([[0, 0, 3, 4, 5], [1, 2, 0, 7, 0]])
    fused = fl.Sequential([fl.layers.Embedding(10, 4, mask_zero=True, input_length=5), fl.layers.LSTM(3)])
    ours = fl.Sequential([fl.layers.Embedding(10, 4, mask_zero=True, input_length=5),
                          fl.layers.RNN(fl.layers.LSTMCell(3), return_sequences=True),
                          fl.layers.GlobalAveragePooling1D()])
    ours.set_weights(fused.get_weights())
    middle = ours.layers[1](ours.layers[0](words))
    assert middle._mask.tolist() == (words != 0).tolist()  # passed on, as the fused layer does
    last = fused.predict(words, verbose=0)
    np.testing.assert_allclose(middle.numpy()[:, -1], last, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(fl.layers.RNN(ours.layers[1].cell)(ours.layers[0](words)).numpy(), last, rtol=1e-5,
                               atol=1e-7)


def test_zero_output_for_mask_and_go_backwards_as_keras():
    real = real_keras()
    theirs = real.layers.RNN(real.layers.SimpleRNNCell(4), return_sequences=True, go_backwards=True,
                             zero_output_for_mask=True)
    expected = np.asarray(theirs(X, mask=MASK))
    ours = fl.layers.RNN(fl.layers.SimpleRNNCell(4), return_sequences=True, go_backwards=True,
                         zero_output_for_mask=True)
    ours.build((6, 4))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(_masked(X, MASK)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_functional_model_with_states_summary_fit_evaluate_predict(capsys):
    inputs = keras.Input((6, 4))
    out, h, c = keras.layers.RNN(keras.layers.LSTMCell(5), return_sequences=True, return_state=True)(inputs)
    pooled = keras.layers.GlobalAveragePooling1D()(out)
    merged = keras.layers.concatenate([pooled, h, c])
    model = keras.Model(inputs, keras.layers.Dense(1)(merged))
    model.summary()
    printed = capsys.readouterr().out
    assert "(None, 6, 5)" in printed and "RNN" in printed
    model.compile("adam", "mse")
    y = RNG.normal(size=(3, 1)).astype(np.float32)
    history = model.fit(X, y, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert np.isfinite(model.evaluate(X, y, verbose=0))
    assert model.predict(X, verbose=0).shape == (3, 1)


def _model_around(layer, functional: bool):
    """``layer`` between an Input of X's samples and a Dense(2) head, as a functional or a Sequential model."""
    if functional:
        inputs = keras.Input((6, 4))
        return keras.Model(inputs, keras.layers.Dense(2)(layer(inputs)))
    return keras.Sequential([keras.Input((6, 4)), layer, keras.layers.Dense(2)])


@pytest.mark.parametrize("make", [
    lambda: fl.layers.RNN(fl.layers.GRUCell(4, reset_after=False, kernel_regularizer="l2"), go_backwards=True),
    lambda: fl.layers.RNN([fl.layers.LSTMCell(4, unit_forget_bias=False), fl.layers.SimpleRNNCell(3)]),
])
@pytest.mark.parametrize("functional", [False, True])
def test_built_in_cells_save_and_load_with_the_model(make, functional, tmp_path):
    model = _model_around(make(), functional)
    model.compile("adam", "mse")
    model.fit(X, RNG.normal(size=(3, 2)), epochs=1, verbose=0)
    path = str(tmp_path / "cells.fnl")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    layer = next(lay for lay in loaded.layers if isinstance(lay, fl.layers.RNN))
    assert layer.get_config() == next(lay for lay in model.layers if isinstance(lay, fl.layers.RNN)).get_config()
    loaded.fit(X, RNG.normal(size=(3, 2)), epochs=1, verbose=0)  # resumes with its optimizer


def test_config_round_trip_and_defaults_are_keras():
    real = real_keras()
    for name in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
        theirs = getattr(real.layers, name)(3).get_config()
        ours = getattr(fl.layers, name)(3).get_config()
        for key in ("units", "activation", "use_bias", "dropout", "recurrent_dropout", "recurrent_activation",
                    "unit_forget_bias", "reset_after"):
            assert ours.get(key) == theirs.get(key), (name, key)
    rnn = fl.layers.RNN(fl.layers.LSTMCell(3, dropout=0.2), return_sequences=True, unroll=True)
    again = fl.layers.RNN.from_config(rnn.get_config())
    assert again.get_config() == rnn.get_config() and again.cell is not rnn.cell


def test_dropout_in_training_only_with_one_mask_per_sequence():
    cell = fl.layers.SimpleRNNCell(4, dropout=0.5, recurrent_dropout=0.5, seed=3)
    rnn = fl.layers.RNN(cell, return_sequences=True)
    plain = rnn(X, training=False).numpy()
    assert np.array_equal(plain, rnn(X, training=False).numpy())
    first, second = rnn(X, training=True).numpy(), rnn(X, training=True).numpy()
    assert not np.allclose(first, plain) and not np.allclose(first, second)  # each sequence draws its own
    # one mask for every step: with steps all alike and no recurrence, every step's output is the same
    cell.recurrent_kernel.data[...] = 0
    same = rnn(np.repeat(X[:, :1], 6, axis=1), training=True).numpy()
    np.testing.assert_allclose(same, np.repeat(same[:, :1], 6, axis=1), rtol=1e-6)


def test_cells_on_their_own():
    cell = fl.layers.LSTMCell(3)
    out, (h, c) = cell(X[:, 0], cell.get_initial_state(batch_size=3))
    assert out.shape == h.shape == c.shape == (3, 3) and out is h
    assert cell.state_size == [3, 3] and cell.output_size == 3
    gru = fl.layers.GRUCell(3)
    out, state = gru(X[:, 0], np.zeros((3, 3), dtype=np.float32))  # one state, not in a list: one back
    assert isinstance(state, fl.Tensor) and out is state


@pytest.mark.parametrize("make, error, words", [
    (lambda: fl.layers.LSTMCell(0), ConfigError, "units"),
    (lambda: fl.layers.GRUCell(3, kernel_constraint="max_nrom"), ConfigError, "constraint 'max_nrom'"),
    (lambda: fl.layers.SimpleRNNCell(3, dropout=1.5), ConfigError, "dropout"),
    (lambda: fl.layers.LSTMCell(3, activation="nonsense"), ConfigError, "activation"),
    (lambda: fl.layers.RNN(fl.layers.LSTMCell(3), stateful=True), ConfigError, "stateful=True"),
    (lambda: fl.layers.RNN("lstm"), ConfigError, "takes a cell"),
    (lambda: fl.layers.RNN(fl.layers.LSTM(3)), ConfigError, "LSTMCell"),
    (lambda: fl.layers.RNN(fl.layers.Dense(3)), ConfigError, "state_size"),
    (lambda: fl.layers.RNN({"class_name": "Dense", "config": {}}), ConfigError, "custom_objects"),
    (lambda: fl.layers.StackedRNNCells([]), ConfigError, "list of cells"),
    (lambda: fl.layers.Bidirectional(fl.layers.Dense(3)), ConfigError, "recurrent layer"),
    (lambda: fl.layers.RNN(fl.layers.LSTMCell(3))(np.ones((2, 4))), ShapeError, "sequences"),
    (lambda: fl.layers.RNN(fl.layers.LSTMCell(3), input_shape=(6, 5))(X), ShapeError, "built for"),
    (lambda: fl.layers.RNN(fl.layers.LSTMCell(3))(X, initial_state=[np.zeros((3, 3))]), ShapeError, "2"),
    (lambda: fl.layers.RNN(fl.layers.GRUCell(3))(X, initial_state=np.zeros((3, 4))), ShapeError, "(3, 3)"),
    (lambda: fl.layers.RNN(fl.layers.GRUCell(3))(X, mask=np.ones((3, 5), bool)), ShapeError, "mask"),
])
def test_bad_settings_and_inputs_are_one_sentence(make, error, words):
    with pytest.raises(error) as caught:
        make()
    message = str(caught.value)
    assert words in message and message.endswith("."), message


def test_a_cell_that_returns_other_sizes_is_named():
    class Wrong(keras.layers.Layer):
        state_size = 4

        def call(self, inputs, states):
            return inputs, [inputs]  # 4 features, but output and state of another size are what it says

    with pytest.raises(ShapeError, match="state_size"):
        keras.layers.RNN(Wrong())(X[:, :, :3])

    class NoPair(keras.layers.Layer):
        state_size = 4

        def call(self, inputs, states):
            return inputs

    with pytest.raises(ConfigError, match=r"\(output, new_states\)"):
        keras.layers.RNN(NoPair())(X)


def test_a_functional_decoder_rnn_starts_from_the_encoders_states_and_saves(tmp_path):
    fl.set_seed(0)
    encoder_inputs, decoder_inputs = keras.Input(shape=(None, 3)), keras.Input(shape=(None, 3))
    _, h, c = keras.layers.LSTM(4, return_state=True)(encoder_inputs)
    decoder = keras.layers.RNN(keras.layers.LSTMCell(4), return_sequences=True)
    model = keras.Model([encoder_inputs, decoder_inputs],
                        keras.layers.Dense(2)(decoder(decoder_inputs, initial_state=[h, c])))
    rng = np.random.default_rng(0)
    x1, x2, y = rng.random((8, 5, 3)), rng.random((8, 4, 3)), rng.random((8, 4, 2))
    model.compile("adam", "mse")
    model.fit([x1, x2], y, epochs=1, verbose=0)
    encoded = keras.Model(encoder_inputs, [h, c]).predict(x1)
    step_by_step = keras.layers.Dense(2)  # the decoder run alone from the encoder's states, then the same Dense
    step_by_step.build((4,))
    step_by_step.set_weights(model.layers[-1].get_weights())
    expected = step_by_step(decoder(x2.astype("float32"), initial_state=[fl.tensor(s) for s in encoded])).numpy()
    np.testing.assert_allclose(model.predict([x1, x2]), expected, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "seq2seq.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "seq2seq.keras").predict([x1, x2]),
                               model.predict([x1, x2]), rtol=1e-6)
    with pytest.raises(ConfigError, match=r"got initial_state with 1 state but takes 2: one state of each size in "
                                          r"\[4, 4\]"):
        keras.layers.RNN(keras.layers.LSTMCell(4))(decoder_inputs, initial_state=[h])


# ----------------------------------------------------------------------------- Bidirectional of an RNN of a cell


@pytest.mark.parametrize("cells, settings, merge_mode", [
    (("LSTMCell",), {"return_sequences": True}, "concat"),
    (("GRUCell",), {"return_state": True}, "sum"),
    (("SimpleRNNCell",), {"return_sequences": True}, "ave"),
    (("LSTMCell", "GRUCell"), {}, "mul"),
    (("GRUCell",), {"return_sequences": True}, None),
])
@pytest.mark.parametrize("masked", [False, True])
def test_bidirectional_of_an_rnn_of_cells_is_keras_from_the_same_weights(cells, settings, merge_mode, masked):
    real = real_keras()

    def make(library):
        made = [getattr(library.layers, name)(5 - k) for k, name in enumerate(cells)]
        return library.layers.Bidirectional(library.layers.RNN(made if len(made) > 1 else made[0], **settings),
                                            merge_mode=merge_mode)

    theirs = make(real)
    expected = _listed(theirs(X, mask=MASK if masked else None))
    ours = make(keras)
    ours.build((6, 4))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    for layer in (ours, theirs):  # Keras's names: the layer's, after "forward_" and "backward_"
        assert layer.forward_layer.name.startswith("forward_rnn")
        assert layer.backward_layer.name == "backward_" + layer.forward_layer.name.removeprefix("forward_")
    ours.set_weights(theirs.get_weights())
    got = _listed(ours(_masked(X, MASK if masked else None)))
    if settings.get("return_state") and len(expected) != len(got):  # Keras groups a stack's states; flat here
        expected = [expected[0], *(s for group in expected[1:] for s in _listed(group))]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.numpy(), np.asarray(e), rtol=1e-5, atol=1e-6)
    shapes = ours.compute_output_shape((6, 4))
    shapes = shapes if isinstance(shapes, list) else [shapes]
    assert [tuple(s) for s in shapes] == [tuple(g.shape[1:]) for g in got]


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_bidirectional_of_an_rnn_of_a_cell_is_the_fused_layers_forward_and_gradients(float64, kind):
    make_cell, make_fused = PAIRS[kind]
    cells = fl.layers.Bidirectional(fl.layers.RNN(make_cell(), return_sequences=True))
    fused = fl.layers.Bidirectional(make_fused(return_sequences=True))
    cells.build((6, 4))
    fused.build((6, 4))
    weights = [RNG.normal(size=w.shape) * 0.5 for w in cells.get_weights()]
    cells.set_weights(weights)
    fused.set_weights(weights)
    x = RNG.normal(size=(3, 6, 4))
    w = RNG.normal(size=(3, 6, 10))
    grads = []
    for layer in (cells, fused):
        xs = _masked(x, MASK)
        xs.requires_grad = True
        out = layer(xs)
        _loss([out], [w]).backward()
        grads.append([fl.backend.to_numpy(xs.grad), *(fl.backend.to_numpy(p.grad) for p in layer.parameters())])
        np.testing.assert_allclose(out.numpy(), fused(_masked(x, MASK)).numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def _cell_with_config(library):
    """The guide's MinimalRNNCell with a get_config of its own, registered as Keras needs to copy it for
    Bidirectional."""
    base = _minimal_cell(library)

    @library.saving.register_keras_serializable(package="tests")
    class ConfiguredCell(base):
        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return ConfiguredCell


def test_bidirectional_of_a_cell_of_ones_own_is_keras_and_saves(tmp_path):
    real = real_keras()
    data = RNG.normal(size=(2, 4, 5)).astype(np.float32) * 0.3

    def make(library, cell):
        x = library.Input((4, 5))
        return library.Model(x, library.layers.Bidirectional(library.layers.RNN(cell(3)))(x))

    theirs = make(real, _cell_with_config(real))
    cell = _cell_with_config(keras)
    ours = make(keras, cell)
    layer = ours.layers[-1]
    assert type(layer.forward_layer.cell) is cell and layer.forward_layer.cell is not layer.backward_layer.cell
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(data, verbose=0), theirs.predict(data, verbose=0), rtol=1e-5, atol=1e-6)
    path = str(tmp_path / "own.fnl")
    ours.save(path)
    loaded = keras.models.load_model(path)  # the cell's class registered, found by its name
    assert type(loaded.layers[-1].backward_layer.cell) is cell
    np.testing.assert_allclose(loaded.predict(data, verbose=0), ours.predict(data, verbose=0), rtol=1e-6)


def test_bidirectional_of_a_cell_without_its_arguments_in_get_config_says_so():
    class Forgetful(_minimal_cell(keras)):
        def get_config(self):
            return {"name": self.name}  # no units: the copy cannot be made

    with pytest.raises(ConfigError, match="get_config") as caught:
        keras.layers.Bidirectional(keras.layers.RNN(Forgetful(3)))
    assert str(caught.value).endswith(".")


@pytest.mark.parametrize("functional", [False, True])
def test_bidirectional_of_built_in_cells_fits_saves_loads_and_clones(functional, tmp_path):
    def make():
        return keras.layers.Bidirectional(keras.layers.RNN([keras.layers.GRUCell(4), keras.layers.LSTMCell(3)]))

    model = _model_around(make(), functional)
    model.compile("adam", "mse")
    y = RNG.normal(size=(3, 2))
    before = model.evaluate(X, y, verbose=0)
    model.fit(X, y, epochs=5, verbose=0)
    assert model.evaluate(X, y, verbose=0) < before
    path = str(tmp_path / "both.fnl")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6)
    clone = keras.models.clone_model(model)
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert not any(np.array_equal(a, b) for a, b in zip(clone.get_weights(), model.get_weights()) if a.ndim == 2)
