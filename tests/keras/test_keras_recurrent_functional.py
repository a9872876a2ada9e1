"""Recurrent layers in Keras's functional API: a layer of several outputs (``return_state=True``) unpacks into
placeholders, ``initial_state=`` records more inputs of a call, and Keras's seq2seq tutorial model predicts, trains,
summarises, saves and loads as Keras's does. Checked against real Keras with the same weights."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import io, keras
from fnlearn.errors import ConfigError, ModelFileError, ShapeError
from fnlearn.keras import layers
from fnlearn.keras.graph import FunctionalGraph

RNG = np.random.default_rng(11)
ENCODER_STEPS, DECODER_STEPS, ENCODER_TOKENS, DECODER_TOKENS, LATENT = 5, 4, 3, 2, 6
ENCODED = RNG.normal(size=(16, ENCODER_STEPS, ENCODER_TOKENS)).astype(np.float32)
DECODED = RNG.normal(size=(16, DECODER_STEPS, DECODER_TOKENS)).astype(np.float32)
TARGET = np.eye(DECODER_TOKENS, dtype=np.float32)[RNG.integers(0, DECODER_TOKENS, (16, DECODER_STEPS))]


def seq2seq(k, encoder_steps):
    """Keras's character-level seq2seq tutorial, small: the decoder LSTM starts from the encoder's states."""
    encoder_inputs = k.Input(shape=(encoder_steps, ENCODER_TOKENS), name="source")
    _, state_h, state_c = k.layers.LSTM(LATENT, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = k.Input(shape=(DECODER_STEPS, DECODER_TOKENS), name="target_in")
    decoder_lstm = k.layers.LSTM(LATENT, return_sequences=True, return_state=True, name="decoder")
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    decoder_outputs = k.layers.Dense(DECODER_TOKENS, activation="softmax", name="probs")(decoder_outputs)
    return k.Model([encoder_inputs, decoder_inputs], decoder_outputs)


def test_the_seq2seq_model_gives_keras_predictions_and_trains_as_keras():
    real = real_keras()
    theirs = seq2seq(real, None)  # the tutorial's Input(shape=(None, tokens)); fnlearn's steps are fixed
    ours = seq2seq(keras, ENCODER_STEPS)
    assert isinstance(ours, FunctionalGraph)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]  # Keras's order
    assert ours.count_params() == theirs.count_params()
    assert ours.output_shape == theirs.output_shape
    # the tutorial's loss: categorical cross-entropy on one-hot rows per step
    assert_trains_as_keras(real, theirs, ours, [ENCODED, DECODED], TARGET, "categorical_crossentropy", 0.5,
                           batch_size=8, epochs=2)


def test_a_layer_of_several_outputs_unpacks_into_placeholders_that_know_their_call():
    x = keras.Input(shape=(ENCODER_STEPS, ENCODER_TOKENS))
    lstm = layers.LSTM(LATENT, return_sequences=True, return_state=True, name="enc")
    outputs = lstm(x)
    out, h, c = outputs
    assert [o.shape for o in outputs] == [(None, ENCODER_STEPS, LATENT), (None, LATENT), (None, LATENT)]
    assert [o.index for o in outputs] == [0, 1, 2]
    assert out.layer_call is h.layer_call is c.layer_call and h.layer is lstm and h.parent is x
    assert lstm.output == outputs  # Keras's layer.output: the list
    assert "output 1 of layer 'enc'" in repr(h)
    gru = layers.GRU(LATENT, name="dec")
    y = gru(keras.Input(shape=(DECODER_STEPS, DECODER_TOKENS)), initial_state=h)  # one state, not in a list
    assert y.shape == (None, LATENT) and y.index is None and y.parents[1] is h


def test_the_layer_runs_once_per_model_call_and_each_output_picks_its_item():
    fl.set_seed(4)
    x = keras.Input(shape=(ENCODER_STEPS, ENCODER_TOKENS))
    lstm = layers.LSTM(LATENT, return_state=True, name="enc")
    out, h, c = lstm(x)
    model = keras.Model(x, [c, out])
    runs = []
    forward = lstm.forward
    lstm.forward = lambda *args, **kwargs: runs.append(1) or forward(*args, **kwargs)
    got = model.predict(ENCODED, batch_size=16)
    assert len(runs) == 1
    expected = layers.LSTM(LATENT, return_state=True)
    expected.build((ENCODER_STEPS, ENCODER_TOKENS))
    expected.set_weights(lstm.get_weights())
    want = expected(fl.backend.to_device(ENCODED))
    np.testing.assert_allclose(got[0], want[2].numpy(), rtol=1e-6)
    np.testing.assert_allclose(got[1], want[0].numpy(), rtol=1e-6)


def test_saved_and_loaded_the_seq2seq_model_is_the_same_graph_and_resumes_training(tmp_path):
    fl.set_seed(6)
    model = seq2seq(keras, ENCODER_STEPS)
    model.compile(keras.optimizers.SGD(0.3), "mse")
    model.fit([ENCODED, DECODED], TARGET, epochs=1, verbose=0)
    graph = model.get_config()["graph"]
    # the decoder (call 1) reads its Input and, as initial states, outputs 1 and 2 of the encoder (value 2)
    assert graph["calls"][1] == [3, [1], False, {"initial_state": [[2, 1], [2, 2]]}]
    assert graph["calls"][2] == [4, [[3, 0]], False]
    model.save(tmp_path / "seq2seq.keras")
    loaded = keras.models.load_model(tmp_path / "seq2seq.keras")
    assert isinstance(loaded, FunctionalGraph) and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict([ENCODED, DECODED]), model.predict([ENCODED, DECODED]))
    for m in (model, loaded):
        m.fit([ENCODED, DECODED], TARGET, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_summary_lists_each_layer_once_with_its_outputs_as_keras_does():
    real = real_keras()
    theirs = seq2seq(real, ENCODER_STEPS)
    lines = []
    seq2seq(keras, ENCODER_STEPS).summary(print_fn=lines.append)
    rows = [line for line in lines[4:] if line.startswith(" ")]  # after the title and the header
    assert [row.split()[0] for row in rows] == [layer.name for layer in theirs.layers]  # each layer once
    for name in ("encoder", "decoder"):
        keras_shapes = "[" + ", ".join(str(t.shape) for t in theirs.get_layer(name).output) + "]"
        row = next(row for row in rows if row.split()[0] == name)
        assert keras_shapes in row  # [(None, 6), (None, 6), (None, 6)]: every output, as Keras lists them
    decoder = next(row for row in rows if row.split()[0] == "decoder")
    assert decoder.split()[-3:] == ["target_in,", "encoder[1],", "encoder[2]"]  # its input, then its states
    assert rows[-1].split()[-1] == "decoder[0]"
    header = lines[2]
    param = header.index("Param #")
    assert all(row[param - 1] == " " and row[param] != " " for row in rows)  # the counts in their column


def test_a_model_returning_an_lstm_output_and_its_state_is_a_model_of_two_outputs_as_in_keras():
    real = real_keras()

    def build(k):
        x = k.Input(shape=(ENCODER_STEPS, ENCODER_TOKENS))
        out, h, _ = k.layers.LSTM(LATENT, return_sequences=True, return_state=True, name="enc")(x)
        return k.Model(x, [out, h])

    theirs, ours = build(real), build(keras)
    assert ours.output_names == ["enc", "enc_1"]  # each output logs under a name of its own
    assert ours.output_shape == [tuple(shape) for shape in theirs.output_shape]
    ours.set_weights(theirs.get_weights())
    for got, expected in zip(ours.predict(ENCODED), theirs.predict(ENCODED, verbose=0)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    targets = [RNG.normal(size=(16, ENCODER_STEPS, LATENT)).astype(np.float32),
               RNG.normal(size=(16, LATENT)).astype(np.float32)]
    for model, library in ((theirs, real), (ours, keras)):
        model.compile(library.optimizers.SGD(0.2), ["mse", "mse"])
        model.fit(ENCODED, targets, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    history = ours.fit(ENCODED, {"enc": targets[0], "enc_1": targets[1]}, epochs=1, verbose=0).history
    assert sorted(history) == ["enc_1_loss", "enc_loss", "loss"]
    first = keras.Model(ours.inputs, ours.outputs[0])  # the output alone: still the layer's first output
    assert isinstance(first, FunctionalGraph)
    np.testing.assert_allclose(first.predict(ENCODED), ours.predict(ENCODED)[0], rtol=1e-6)


def bidirectional_seq2seq(k):
    """A Bidirectional encoder (with Masking) whose four states start a Bidirectional decoder, and its states
    with merge_mode=None among the outputs."""
    source = k.Input(shape=(ENCODER_STEPS, ENCODER_TOKENS), name="source")
    masked = k.layers.Masking(0.0, name="pad")(source)
    _, fh, fc, bh, bc = k.layers.Bidirectional(k.layers.LSTM(3, return_state=True), name="enc")(masked)
    target_in = k.Input(shape=(DECODER_STEPS, DECODER_TOKENS), name="target_in")
    forward, backward, *states = k.layers.Bidirectional(k.layers.GRU(3, return_sequences=True, return_state=True),
                                                        merge_mode=None, name="dec")(target_in, initial_state=[fh, bh])
    joined = k.layers.concatenate([forward, backward], name="join")
    return k.Model([source, target_in], [k.layers.Dense(2, name="probs")(joined), states[1]])


def test_bidirectional_layers_with_states_in_a_functional_model_are_keras():
    real = real_keras()
    theirs, ours = bidirectional_seq2seq(real), bidirectional_seq2seq(keras)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    encoded = ENCODED.copy()
    encoded[:4, :2] = 0.0  # padding steps, which the encoder skips
    ours.set_weights(theirs.get_weights())
    for got, expected in zip(ours.predict([encoded, DECODED]), theirs.predict([encoded, DECODED], verbose=0)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_a_bidirectional_model_saves_and_loads(tmp_path):
    fl.set_seed(8)
    model = bidirectional_seq2seq(keras)
    model.save(tmp_path / "both.keras")
    loaded = keras.models.load_model(tmp_path / "both.keras")
    assert loaded.get_config() == model.get_config()
    for a, b in zip(loaded.predict([ENCODED, DECODED]), model.predict([ENCODED, DECODED])):
        np.testing.assert_array_equal(a, b)


def test_initial_states_that_cannot_start_the_layer_are_one_sentence_before_it_is_built():
    x = keras.Input(shape=(ENCODER_STEPS, ENCODER_TOKENS), name="source")
    y = keras.Input(shape=(DECODER_STEPS, DECODER_TOKENS), name="target_in")
    _, h, c = layers.LSTM(LATENT, return_state=True, name="enc")(x)
    _, small_h, small_c = layers.LSTM(2, return_state=True, name="small")(x)
    decoder = layers.LSTM(LATENT, return_sequences=True, name="dec")
    with pytest.raises(ConfigError, match=r"^layer 'dec' \(LSTM\) got initial_state with 1 state but takes 2: \[h, c\] "
                                          r"of 6 units each; pass the states a recurrent layer with return_state=True "
                                          r"gave, e\.g\. out, h, c = layers\.LSTM\(8, return_state=True\)\(x\)\.$"):
        decoder(y, initial_state=[h])
    with pytest.raises(ShapeError, match=r"^layer 'dec' \(LSTM\) got initial state 0, output 1 of layer 'small', of "
                                         r"shape \(None, 2\), but its states have shape \(None, 6\)"):
        decoder(y, initial_state=[small_h, small_c])
    with pytest.raises(ConfigError, match=r"got initial_state with 2 states but takes 4: the forward layer's \[h, c\] "
                                          r"of 6 units each, then the backward layer's"):
        layers.Bidirectional(layers.LSTM(LATENT))(y, initial_state=[h, c])
    with pytest.raises(ConfigError, match=r"got a ndarray in initial_state; in a functional model each state is a "
                                          r"keras\.Input or a layer's output"):
        decoder(y, initial_state=[h, np.zeros((1, LATENT))])
    assert not decoder.built and decoder.kernel is None  # nothing was made by the refused calls
    dense = layers.Dense(3, name="d")
    with pytest.raises(ConfigError, match=r"layer 'd' \(Dense\) was given initial_state=, which only the recurrent "
                                          r"layers \(SimpleRNN, LSTM, GRU, Bidirectional\) take"):
        dense(y, initial_state=[h])
    assert not dense.built
    with pytest.raises(ConfigError, match=r"LSTM was called on a keras.Input placeholder with mask= a ndarray"):
        decoder(y, mask=np.ones((1, DECODER_STEPS), dtype=bool))
    with pytest.raises(ConfigError, match=r"takes one input but was called on a list of 3 \(output 0 of layer 'enc', "
                                          r"output 1 of layer 'enc', output 2 of layer 'enc'\)"):
        layers.Dense(2)(layers.LSTM(2, return_state=True, name="enc")(x))


def _forged(tmp_path, damage):
    model = seq2seq(keras, ENCODER_STEPS)
    model.save(tmp_path / "good.keras")
    file = io._read(tmp_path / "good.keras")
    damage(file.doc["model"]["graph"])
    path = tmp_path / "bad.keras"
    path.write_bytes(io._encode(file.doc, file.tensors, path))
    return path


@pytest.mark.parametrize("damage,words", [
    (lambda g: g.__setitem__("outputs", [[4, 0]]), r"reads \[4, 0\] where value 4 \(layer 'probs'\) gives one "
                                                   r"output; it is damaged"),
    (lambda g: g["calls"][2].__setitem__(1, [[3, 7]]), r"reads output 7 of value 3 \(layer 'decoder'\), which gives "
                                                       r"3 outputs; it is damaged"),
    (lambda g: g["calls"][1][3].__setitem__("initial_state", [[2, 3], [2, -1]]), r"reads output 3 of value 2 "
                                                                                  r"\(layer 'encoder'\)"),
    (lambda g: g["calls"][2].__setitem__(1, [3]), r"reads 3 where value 3 \(layer 'decoder'\) gives 3 outputs"),
    (lambda g: g["calls"][1].__setitem__(3, {"initial_state": [[2, 1]], "mask": [0]}), "malformed graph"),
    (lambda g: g["calls"][1].__setitem__(3, {"initial_state": []}), "malformed graph"),
    (lambda g: g["calls"][1].__setitem__(3, {"initial_state": [[9, 1]]}), "malformed graph"),
    (lambda g: g["calls"][1][3].__setitem__("initial_state", [[2, 1], 1]),  # the decoder's Input as a state
     r"holds layers that do not fit together \(layer 'decoder' \(LSTM\) got initial state 1"),
])
def test_a_forged_graph_in_a_file_is_one_sentence(tmp_path, damage, words):
    with pytest.raises(ModelFileError, match=words):
        keras.models.load_model(_forged(tmp_path, damage))
