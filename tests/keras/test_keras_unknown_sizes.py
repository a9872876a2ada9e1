"""Inputs with a size the data give, Keras's ``Input(shape=(None,))``: the text and sequence tutorials' models
(IMDB's bidirectional LSTM, text classification with strided Conv1D, the character-level seq2seq with its
step-by-step decoder) build with unknown steps, summarise as Keras does, train and predict on sequences of any
length (batches of a data set may differ), save and load, and give Keras's numbers with Keras's weights."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import layers

RNG = np.random.default_rng(5)
WORDS, TOKENS_IN, TOKENS_OUT, LATENT = 30, 4, 5, 6


def imdb(k):
    """Keras's "Bidirectional LSTM on IMDB" example, small."""
    inputs = k.Input(shape=(None,), dtype="int32")
    x = k.layers.Embedding(WORDS, 8)(inputs)
    x = k.layers.Bidirectional(k.layers.LSTM(5, return_sequences=True))(x)
    x = k.layers.Bidirectional(k.layers.LSTM(5))(x)
    return k.Model(inputs, k.layers.Dense(1, activation="sigmoid")(x))


def text_cnn(k):
    """Keras's "text classification from scratch" model, small: strided convolutions over unknown steps."""
    inputs = k.Input(shape=(None,), dtype="int64")
    x = k.layers.Embedding(WORDS, 8)(inputs)
    x = k.layers.Conv1D(6, 3, padding="valid", activation="relu", strides=2)(x)
    x = k.layers.Conv1D(6, 3, padding="valid", activation="relu", strides=2)(x)
    x = k.layers.GlobalMaxPooling1D()(x)
    return k.Model(inputs, k.layers.Dense(1, activation="sigmoid")(x))


def seq2seq(k):
    """Keras's character-level seq2seq tutorial, small, exactly as written there: both Inputs (None, tokens)."""
    encoder_inputs = k.Input(shape=(None, TOKENS_IN))
    _, state_h, state_c = k.layers.LSTM(LATENT, return_state=True)(encoder_inputs)
    decoder_inputs = k.Input(shape=(None, TOKENS_OUT))
    decoder_lstm = k.layers.LSTM(LATENT, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    return k.Model([encoder_inputs, decoder_inputs], k.layers.Dense(TOKENS_OUT, activation="softmax")(decoder_outputs))


def one_hot(rows, steps, tokens):
    return np.eye(tokens, dtype=np.float32)[RNG.integers(0, tokens, (rows, steps))]


@pytest.mark.parametrize("make", [imdb, text_cnn])
def test_text_models_with_unknown_steps_predict_and_train_as_keras(make):
    real = real_keras()
    theirs, ours = make(real), make(keras)
    assert ours.input_shape == (None, None) and ours.layers[1].output.shape == (None, None, 8)
    x = RNG.integers(1, WORDS, (12, 15))
    ours.set_weights(theirs.get_weights())
    for steps in (9, 15):  # one model, sequences of any length
        np.testing.assert_allclose(ours.predict(x[:, :steps], verbose=0), theirs.predict(x[:, :steps], verbose=0),
                                   rtol=1e-5, atol=1e-6)
    assert_trains_as_keras(real, theirs, ours, x, RNG.integers(0, 2, (12, 1)).astype(np.float32),
                           "binary_crossentropy", 0.5, batch_size=4)


@pytest.mark.parametrize("make", [imdb, text_cnn, seq2seq])
def test_the_summary_writes_unknown_sizes_as_keras_does(make):
    real = real_keras()
    theirs = make(real)
    ours = make(keras)
    written = [shape for _, shape, _, _ in ours._summary_rows()]
    expected = [str(layer.output.shape if not isinstance(layer.output, list) else
                    [tuple(part.shape) for part in layer.output]) for layer in theirs.layers]
    assert written == expected


def test_the_seq2seq_tutorial_trains_as_keras_and_decodes_step_by_step():
    real = real_keras()
    theirs, ours = seq2seq(real), seq2seq(keras)
    assert ours.input_shape == [(None, None, TOKENS_IN), (None, None, TOKENS_OUT)]
    assert ours.output_shape == theirs.output_shape
    source, target_in = one_hot(8, 7, TOKENS_IN), one_hot(8, 6, TOKENS_OUT)
    target = one_hot(8, 6, TOKENS_OUT)
    assert_trains_as_keras(real, theirs, ours, [source, target_in], target, "categorical_crossentropy", 0.5,
                           batch_size=4)
    # the tutorial's inference models, made from the trained layers: the encoder gives the states, the decoder
    # takes one step at a time (a sequence of one step, which the training data never had)
    encoder = keras.Model(ours.input[0], ours.layers[2].output[1:])
    state_in = [keras.Input(shape=(LATENT,)), keras.Input(shape=(LATENT,))]
    out, h, c = ours.layers[3](ours.input[1], initial_state=state_in)
    decoder = keras.Model([ours.input[1], *state_in], [ours.layers[4](out), h, c])
    states = encoder.predict(source[:2], verbose=0)
    steps = []
    for step in range(6):
        probs, h_now, c_now = decoder.predict([target_in[:2, step:step + 1], *states], verbose=0)
        assert probs.shape == (2, 1, TOKENS_OUT) and h_now.shape == (2, LATENT)
        steps.append(probs[:, 0])
        states = [h_now, c_now]
    # teacher forcing, one step at a time, is the training model on the whole sequence
    np.testing.assert_allclose(np.stack(steps, axis=1), ours.predict([source[:2], target_in[:2]], verbose=0),
                               rtol=1e-5, atol=1e-6)
    # the inference decoder on whole sequences gives its three outputs, each of its own shape
    whole = decoder.predict([target_in[:3, :4], *encoder.predict(source[:3], verbose=0)], verbose=0)
    assert [part.shape for part in whole] == [(3, 4, TOKENS_OUT), (3, LATENT), (3, LATENT)]


def test_a_seq2seq_model_with_unknown_steps_saves_and_loads(tmp_path):
    model = seq2seq(keras)
    source, target_in = one_hot(4, 5, TOKENS_IN), one_hot(4, 3, TOKENS_OUT)
    model.save(tmp_path / "s2s.keras")
    loaded = keras.models.load_model(tmp_path / "s2s.keras")
    assert loaded.input_shape == [(None, None, TOKENS_IN), (None, None, TOKENS_OUT)]
    np.testing.assert_array_equal(loaded.predict([source, target_in]), model.predict([source, target_in]))
    np.testing.assert_array_equal(loaded.predict({loaded.input[0].name: source[:, :2],
                                                  loaded.input[1].name: target_in}),
                                  model.predict([source[:, :2], target_in]))


def test_batches_of_different_lengths_train_each_at_its_own_length():
    """A data set whose batches differ in length (as Keras's padded batches do) trains batch by batch exactly as
    the batches given one at a time, for a model of one output and for one of two outputs (a tag per step and a
    class per sequence, whose packed targets say their own shapes)."""
    def tagger():
        fl.set_seed(3)
        tokens = keras.Input(shape=(None,), name="tokens")
        seq = layers.GRU(4, return_sequences=True)(layers.Embedding(WORDS, 3)(tokens))
        tags = layers.Dense(3, activation="softmax", name="tags")(seq)
        kind = layers.Dense(1, activation="sigmoid", name="kind")(layers.GlobalAveragePooling1D()(seq))
        model = keras.Model(tokens, [tags, kind])
        model.compile(keras.optimizers.SGD(0.5), {"tags": "sparse_categorical_crossentropy",
                                                   "kind": "binary_crossentropy"})
        return model

    batches = [(RNG.integers(1, WORDS, (3, steps)), {"tags": RNG.integers(0, 3, (3, steps)),
                                                      "kind": RNG.integers(0, 2, (3, 1))}) for steps in (4, 7, 2)]

    class Padded(keras.utils.PyDataset):
        def __len__(self):
            return len(batches)

        def __getitem__(self, index):
            return batches[index]

    one_go, by_hand = tagger(), tagger()
    one_go.fit(Padded(), epochs=1, verbose=0, shuffle=False)  # Keras shuffles a PyDataset's batches otherwise
    for x, y in batches:
        by_hand.train_on_batch(x, y)
    for a, b in zip(one_go.get_weights(), by_hand.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    logs = one_go.evaluate(Padded(), return_dict=True, verbose=0)
    weights = [len(x) for x, _ in batches]
    by_batch = [by_hand.evaluate(x, y, return_dict=True, verbose=0)["kind_loss"] for x, y in batches]
    assert logs["kind_loss"] == pytest.approx(np.average(by_batch, weights=weights), rel=1e-5)
    tags, kind = one_go.predict(batches[1][0], verbose=0)
    assert tags.shape == (3, 7, 3) and kind.shape == (3, 1)


def test_validation_data_and_single_input_batches_may_have_other_lengths():
    fl.set_seed(0)
    model = text_cnn(keras)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    x, y = RNG.integers(1, WORDS, (16, 20)), RNG.integers(0, 2, (16, 1))
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0, validation_data=(x[:6, :11], y[:6]))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    data = fl.data.Dataset.from_tensor_slices((x, y)).batch(8)
    shorter = [(xb[:, :9 + 4 * k], yb) for k, (xb, yb) in enumerate(data)]
    model.fit((batch for batch in shorter), epochs=1, verbose=0)
    assert model.predict(x[:2, :7], verbose=0).shape == (2, 1)


def test_keras_way_layers_and_lambdas_pass_unknown_steps_on():
    class EverySecondStep(layers.Layer):
        def call(self, x):
            return x[:, ::2]

    inputs = keras.Input(shape=(None, 3))
    halved = EverySecondStep()(inputs)
    doubled = layers.Lambda(lambda t: keras.ops.concatenate([t, t], axis=-1))(halved)
    assert halved.shape == (None, None, 3) and doubled.shape == (None, None, 6)
    fixed = layers.Lambda(lambda t: keras.ops.mean(t, axis=1))(doubled)
    assert fixed.shape == (None, 6)
    model = keras.Model(inputs, layers.Dense(2)(fixed))
    assert model.predict(RNG.normal(size=(2, 9, 3)), verbose=0).shape == (2, 2)


def test_a_sequential_model_and_resized_images_take_unknown_sizes(tmp_path):
    tagger = keras.Sequential([keras.Input(shape=(None,)), layers.Embedding(WORDS, 4, mask_zero=True),
                               layers.SimpleRNN(3, return_sequences=True), layers.Dense(2, activation="softmax")])
    assert tagger.output_shape == (None, None, 2)
    tagger.compile("sgd", "sparse_categorical_crossentropy")
    tagger.fit(RNG.integers(0, WORDS, (6, 8)), RNG.integers(0, 2, (6, 8)), verbose=0)
    tagger.save(tmp_path / "tagger.keras")
    loaded = keras.models.load_model(tmp_path / "tagger.keras")
    short = RNG.integers(0, WORDS, (2, 3))
    np.testing.assert_array_equal(loaded.predict(short), tagger.predict(short))
    assert loaded.predict(short).shape == (2, 3, 2)
    # images of any size, made one size inside the model (Keras's way to take photos as they come)
    images = keras.Input(shape=(None, None, 3))
    x = layers.Resizing(8, 8)(layers.RandomFlip("horizontal")(images))
    model = keras.Model(images, layers.Dense(1)(layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3)(x))))
    assert model.layers[2].output.shape == (None, 8, 8, 3)
    model.compile("sgd", "mse")
    model.fit(RNG.normal(size=(4, 12, 10, 3)), RNG.normal(size=(4, 1)), verbose=0)
    assert model.predict(RNG.normal(size=(2, 20, 16, 3)), verbose=0).shape == (2, 1)


def test_what_cannot_take_an_unknown_size_says_so_before_anything_is_made():
    tokens = keras.Input(shape=(None,))
    with pytest.raises(ShapeError, match=r"Dense layer 'd' makes its weights for the size of its inputs' last "
                                         r"axis, but it got samples of shape \(None,\), whose last size is unknown "
                                         r"\(None\); token indices go through an Embedding first"):
        layers.Dense(3, name="d")(tokens)
    seq = layers.Embedding(WORDS, 4)(tokens)
    with pytest.raises(ShapeError, match=r"Flatten layer 'f' got samples of shape \(None, 4\), with an unknown "
                                         r"size \(None\), .*\(GlobalMaxPooling1D"):
        layers.Flatten(name="f")(seq)
    with pytest.raises(ShapeError, match=r"Reshape layer 'r' got samples of shape \(None, 4\)"):
        layers.Reshape((-1,), name="r")(seq)
    with pytest.raises(ShapeError, match=r"LayerNormalization layer 'n' makes its weights for the sizes of the axes "
                                         r"it normalises, \[1, 2\]"):
        layers.LayerNormalization(axis=[1, 2], name="n")(seq)
    with pytest.raises(ShapeError, match=r"Conv2D layer 'c' takes images of a known size, but got samples of shape "
                                         r"\(None, None, 3\)"):
        layers.Conv2D(2, 3, name="c")(keras.Input(shape=(None, None, 3)))
    with pytest.raises(ConfigError, match=r"input_shape must be a tuple of positive integers \(None for a size "
                                          r"known only when the data come"):
        layers.Dense(2, input_shape=(0, 3))
    with pytest.raises(ConfigError, match=r"add_weight shape must be a tuple of positive integers such as"):
        layers.Layer().add_weight(shape=(None, 3))


def test_data_must_fit_the_known_sizes_and_the_layers_windows():
    model = text_cnn(keras)
    with pytest.raises(ShapeError, match=r"Conv1D layer .* has a kernel of 3 steps, longer than its input of 2 "
                                         r"steps"):
        model.predict(RNG.integers(1, WORDS, (2, 6)), verbose=0)
    sequences = keras.Model(*(lambda i: (i, layers.LSTM(2)(i)))(keras.Input(shape=(None, 3))))
    with pytest.raises(ShapeError, match=r"takes samples of shape \(None, 3\) \(its keras.Input\), but x has samples "
                                         r"of shape \(5, 4\)"):
        sequences.predict(np.zeros((2, 5, 4)))
    s2s = seq2seq(keras)
    with pytest.raises(ShapeError, match=r"keras.Input .* takes samples of shape \(None, 5\), but x\[1\] has samples "
                                         r"of shape \(3, 4\)"):
        s2s.predict([one_hot(2, 3, TOKENS_IN), one_hot(2, 3, TOKENS_IN)])
    with pytest.raises(ShapeError, match=r"x\[0\] has 2 rows but x\[1\] has 3; give one row of every input "
                                         r"per sample"):
        s2s.predict([one_hot(2, 3, TOKENS_IN), one_hot(3, 3, TOKENS_OUT)])


def test_integer_inputs_are_taken_and_other_float_types_still_refused():
    assert keras.Input(shape=(None,), dtype="int32").shape == (None, None)
    assert keras.Input(shape=(4,), dtype=np.uint8).shape == (None, 4)
    with pytest.raises(ConfigError, match=r"Input dtype 'float64' differs from the default dtype 'float32'"):
        keras.Input(shape=(4,), dtype="float64")
