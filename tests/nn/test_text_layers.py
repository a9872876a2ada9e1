"""Embedding and the 1-D global poolings: a looked-up row per word index, its gradient summed over repeats,
Keras's shapes, settings and training, and the IMDB program of Keras's tutorials on words it can learn."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import backend, io, keras
from fnlearn.errors import ConfigError, DataError, ModelFileError, ShapeError

RNG = np.random.default_rng(11)


def test_an_embedding_looks_up_one_row_per_index_and_takes_indices_as_floats():
    layer = fl.layers.Embedding(6, 3, name="words")
    ids = np.array([[0, 5, 2, 5], [1, 1, 3, 4]])
    out = layer(ids)
    table = layer.embeddings.numpy()
    assert out.shape == (2, 4, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), table[ids])
    np.testing.assert_array_equal(layer(ids.astype(np.float32)).numpy(), table[ids])  # fit hands floats over
    assert np.all(np.abs(table) <= 0.05)  # Keras's "uniform": U(-0.05, 0.05)
    assert layer.output_shape_for((4,)) == (4, 3) and layer.compute_output_shape((7, 2)) == (7, 2, 3)


def test_the_gradient_of_a_row_sums_over_every_place_its_index_appears(float64):
    layer = fl.layers.Embedding(5, 2)
    layer.build()  # as Keras's, the table is made when the layer is built or first called
    ids = np.array([[1, 3, 1], [1, 0, 4]])
    weights = fl.tensor(RNG.normal(size=(2, 3, 2)))
    assert fl.gradcheck(lambda table: fl.functional.getitem(table, ids) * weights, [layer.embeddings.numpy()],
                        atol=1e-8, rtol=1e-7)
    (layer(ids) * weights).sum().backward()
    grad = fl.backend.to_numpy(layer.embeddings.grad)
    np.testing.assert_allclose(grad[1], weights.numpy()[0, 0] + weights.numpy()[0, 2] + weights.numpy()[1, 0])
    assert np.all(grad[2] == 0)  # a word not in the batch gets no gradient


def test_embedding_values_and_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    layer = fl.layers.Embedding(7, 4)
    ids = RNG.integers(0, 7, (3, 5))
    g = RNG.normal(size=(3, 5, 4)).astype(np.float32)
    (layer(ids) * fl.tensor(g)).sum().backward()
    table = torch.tensor(layer.embeddings.numpy(), requires_grad=True)
    ref = torch.nn.functional.embedding(torch.tensor(ids), table)
    (ref * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(layer(ids).numpy(), ref.detach().numpy())
    np.testing.assert_allclose(fl.backend.to_numpy(layer.embeddings.grad), table.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_global_poolings_over_a_sequence_take_the_mean_and_max_of_each_feature(float64):
    x = RNG.normal(size=(3, 5, 2))
    average, biggest = fl.layers.GlobalAveragePooling1D(), fl.layers.GlobalMaxPooling1D()
    np.testing.assert_allclose(average(x).numpy(), x.mean(axis=1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(biggest(x).numpy(), x.max(axis=1), rtol=1e-12)
    assert fl.layers.GlobalAvgPool1D is type(average) and fl.layers.GlobalMaxPool1D is type(biggest)
    first = fl.layers.GlobalAveragePooling1D(data_format="channels_first", keepdims=True)
    np.testing.assert_allclose(first(x).numpy(), x.mean(axis=2, keepdims=True), rtol=1e-12)
    assert first.output_shape_for((5, 2)) == (5, 1) and average.output_shape_for((5, 2)) == (2,)
    weights = fl.tensor(RNG.normal(size=(3, 2)))
    for layer in (average, biggest):
        assert fl.gradcheck(lambda a, lay=layer: lay(a) * weights, [x], atol=1e-7, rtol=1e-6)
        assert layer.parameters() == []


@pytest.mark.parametrize("make, words", [
    (lambda: fl.layers.Embedding(0, 3), "input_dim must be a whole number of at least 1"),
    (lambda: fl.layers.Embedding(10, 2.5), "output_dim must be a whole number"),
    (lambda: fl.layers.Embedding(10, 2, mask_zero=1), "mask_zero must be True"),
    (lambda: fl.layers.Embedding(10, 2, input_length=5, input_shape=(6,)), "which disagree"),
    (lambda: fl.layers.GlobalAveragePooling1D(data_format="channels_middle"), "data_format must be"),
])
def test_settings_that_cannot_work_are_one_sentence(make, words):
    with pytest.raises(ConfigError, match=words):
        make()


@pytest.mark.parametrize("ids, words", [
    (np.array([[1, 10]]), r"got index 10; give input_dim = the largest index \+ 1"),
    (np.array([[-1, 2]]), "got index -1"),
    (np.array([[0.5, 2.0]]), "got values that are not whole numbers"),
    (np.array([["a", "b"]]), "turn the words into indices first"),
])
def test_indices_outside_the_table_are_refused_in_one_sentence(ids, words):
    layer = fl.layers.Embedding(10, 2, name="words")
    with pytest.raises(DataError, match=words) as info:
        layer(ids)
    assert "'words' takes word indices" in str(info.value) and str(info.value).count(". ") == 0


def test_pooling_a_sample_that_is_not_a_sequence_says_what_to_put_before_it():
    with pytest.raises(ShapeError, match=r"takes sequences, samples of shape \(steps, features\), got samples of "
                                         r"shape \(4,\); put an Embedding"):
        fl.layers.GlobalMaxPooling1D()(np.ones((2, 4)))


def test_settings_and_the_model_file_round_trip(tmp_path):
    model = keras.Sequential([keras.layers.Embedding(50, 4, input_length=6, embeddings_regularizer="l2"),
                              keras.layers.GlobalMaxPooling1D(keepdims=False), keras.layers.Dense(2)])
    config = model.layers[0].get_config()
    assert {k: config[k] for k in ("input_dim", "output_dim", "input_shape")} == \
        {"input_dim": 50, "output_dim": 4, "input_shape": [6]}
    assert config["embeddings_initializer"]["name"] == "uniform"
    ids = RNG.integers(0, 50, (5, 6))
    model.save(tmp_path / "words.fnl")
    again = keras.models.load_model(tmp_path / "words.fnl")
    assert again.layers[0].embeddings_regularizer is not None
    np.testing.assert_array_equal(again.predict(ids, verbose=0), model.predict(ids, verbose=0))

    doc = io._read(tmp_path / "words.fnl").doc  # a forged file whose table is not the layer's
    doc["model"]["layers"][0]["config"]["input_dim"] = 10**9
    tensors = {f"param/{name}": p.numpy() for name, p in model.named_parameters()}
    (tmp_path / "forged.fnl").write_bytes(io._encode(doc, tensors, tmp_path / "forged.fnl"))
    with pytest.raises(ModelFileError, match="Embedding layer 0 \\(1000000000 words of 4 numbers\\) finds a table "
                                             "of shape \\(50, 4\\); it is damaged"):
        io.load_model(tmp_path / "forged.fnl")


def test_an_embedding_classifier_trains_as_keras_does():
    real = real_keras()
    ids = RNG.integers(0, 30, (48, 7))
    y = RNG.integers(0, 3, 48)

    def classifier(library):
        return library.Sequential([library.Input(shape=(7,)), library.layers.Embedding(30, 5),
                                   library.layers.GlobalAveragePooling1D(),
                                   library.layers.Dense(3, activation="softmax")])

    theirs, ours = classifier(real), classifier(keras)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert_trains_as_keras(real, theirs, ours, ids, y, "sparse_categorical_crossentropy", 0.5, batch_size=16,
                           rtol=1e-4, atol=1e-6)


def test_the_imdb_program_learns_which_words_make_a_review_positive():
    """Deep Learning with Python's first embedding model (Embedding, Flatten, Dense) on padded word indices,
    a review being positive when it holds 'good' words (1–4), negative when it holds 'bad' ones (5–8), anywhere."""
    fl.set_seed(0)
    rng = np.random.default_rng(11)
    positive = rng.random(600) < 0.5
    reviews = []
    for is_positive in positive:
        words = list(rng.integers(9, 100, rng.integers(12, 26)))  # reviews of different lengths
        for place in rng.permutation(len(words))[:rng.integers(1, 4)]:
            words[place] = rng.integers(1, 5) if is_positive else rng.integers(5, 9)
        reviews.append(words)
    x = keras.utils.pad_sequences(reviews, maxlen=20)
    labels = positive.astype(np.float32)
    model = keras.Sequential([keras.layers.Embedding(100, 8, input_length=20), keras.layers.Flatten(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x[:400], labels[:400], epochs=10, batch_size=32, validation_split=0.2, verbose=0)
    assert history.history["acc"][0] < 0.8 < history.history["acc"][-1]
    assert model.evaluate(x[400:], labels[400:], verbose=0)[1] > 0.85


# ----------------------------------------------------------------------------- Conv1D and the 1-D poolings
@pytest.mark.parametrize("kernel, strides, padding", [(3, 1, "valid"), (4, 2, "same"), (1, 3, "valid")])
def test_conv1d_is_the_sum_over_each_window_and_its_gradients_match_central_differences(float64, kernel, strides,
                                                                                        padding):
    layer = fl.layers.Conv1D(3, kernel, strides=strides, padding=padding, activation="tanh")
    x = RNG.normal(size=(2, 9, 4))
    out = layer(x).numpy()
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    steps = out.shape[1]
    padded = x
    if padding == "same":  # Keras's: the odd extra zero at the end
        total = max((steps - 1) * strides + kernel - 9, 0)
        padded = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
    expected = np.stack([np.tanh(np.einsum("nkc,kcf->nf", padded[:, t * strides:t * strides + kernel], k) + b)
                         for t in range(steps)], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    assert layer.output_shape_for((9, 4)) == out.shape[1:]
    weights = fl.tensor(RNG.normal(size=out.shape))

    def through_the_layer(a, kk, bb):  # the layer's own code, on the kernel and bias gradcheck varies
        object.__setattr__(layer, "kernel", kk)
        object.__setattr__(layer, "bias", bb)
        return layer(a) * weights

    assert fl.gradcheck(through_the_layer, [x, k, b], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("make, reduce", [(lambda: fl.layers.MaxPooling1D(3, strides=2), np.max),
                                          (lambda: fl.layers.AveragePooling1D(2), np.mean)])
def test_1d_poolings_take_each_window_and_pass_gradients_back(float64, make, reduce):
    layer = make()
    x = RNG.normal(size=(2, 7, 3))
    out = layer(x).numpy()
    windows = [x[:, t * layer.strides:t * layer.strides + layer.pool_size] for t in range(out.shape[1])]
    np.testing.assert_allclose(out, np.stack([reduce(w, axis=1) for w in windows], axis=1), rtol=1e-12, atol=1e-14)
    weights = fl.tensor(RNG.normal(size=out.shape))
    assert fl.gradcheck(lambda a: layer(a) * weights, [x], atol=1e-7, rtol=1e-6)


def test_sequence_layers_give_keras_shapes_and_outputs_from_the_same_weights():
    real = real_keras()
    x = RNG.normal(size=(3, 20, 5)).astype(np.float32)

    def stack(library):
        layers = library.layers
        return library.Sequential([library.Input(shape=(20, 5)),
                                   layers.Conv1D(4, 3, strides=2, padding="same", activation="relu"),
                                   layers.MaxPooling1D(2, padding="same"), layers.Conv1D(3, 2),
                                   layers.AveragePooling1D(2, strides=1), layers.GlobalMaxPooling1D(keepdims=True),
                                   layers.Flatten(), layers.Dense(2)])

    theirs, ours = stack(real), stack(keras)
    assert [layer.output.shape for layer in theirs.layers] == [(None, *layer.output_shape_for(shape))
                                                               for layer, shape in _shapes_in(ours)]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert theirs.count_params() == ours.num_parameters()


def _shapes_in(model):
    shape = model.input_shape[1:]  # a layer's output_shape_for takes one sample's shape
    for layer in model.layers:
        yield layer, shape
        shape = layer.output_shape_for(shape)


@pytest.mark.parametrize("make, words", [
    (lambda: fl.layers.Conv1D(4, 3, groups=2), "Conv1D got groups=2; fnlearn's Conv1D has groups=1 only"),
    (lambda: fl.layers.Conv1D(4, 3, dilation_rate=0), "Conv1D dilation_rate must be a whole number of at least 1, "
                                                      "got 0; e.g. dilation_rate=3."),
    (lambda: fl.layers.Conv1D(4, 3, dilation_rate=-1), "dilation_rate must be a whole number of at least 1, got -1"),
    (lambda: fl.layers.Conv1D(4, 3, dilation_rate=2.0), "dilation_rate must be a whole number of at least 1, got 2.0"),
    (lambda: fl.layers.Conv1D(4, 3, strides=2, dilation_rate=4, padding="causal"),
     "Conv1D got strides=2 with dilation_rate=4; a dilation_rate above 1 takes strides of 1"),
    (lambda: fl.layers.MaxPooling1D(2, padding="causal"), "MaxPooling1D got padding='causal', which only Conv1D has"),
    (lambda: fl.layers.Conv1D(4, 3, padding="full"), "padding must be 'valid'"),
    (lambda: fl.layers.Conv1D(0, 3), "filters must be a positive integer"),
    (lambda: fl.layers.MaxPooling1D(data_format="channels_first"), "takes sequences of shape (steps, channels)"),
])
def test_sequence_settings_that_cannot_work_are_one_sentence(make, words):
    with pytest.raises(ConfigError, match=re.escape(words)):
        make()


def test_a_sequence_layer_given_images_or_too_short_a_sequence_says_what_to_do():
    with pytest.raises(ShapeError, match=r"takes sequences, samples of shape \(steps, channels\), got samples of "
                                         r"shape \(28, 28, 1\)"):
        fl.layers.Conv1D(4, 3)(np.ones((2, 28, 28, 1)))
    with pytest.raises(ShapeError, match="a kernel of 5 steps, longer than its input of 3 steps"):
        fl.layers.Conv1D(4, 5)(np.ones((2, 3, 1)))


def test_a_text_cnn_saves_loads_and_refuses_a_forged_kernel(tmp_path):
    model = keras.Sequential([keras.layers.Embedding(40, 6, input_length=12), keras.layers.Conv1D(5, 3),
                              keras.layers.MaxPool1D(), keras.layers.GlobalAvgPool1D(), keras.layers.Dense(1)])
    ids = RNG.integers(0, 40, (4, 12))
    model.save(tmp_path / "cnn.fnl")
    again = keras.models.load_model(tmp_path / "cnn.fnl")
    np.testing.assert_array_equal(again.predict(ids, verbose=0), model.predict(ids, verbose=0))
    doc = io._read(tmp_path / "cnn.fnl").doc
    doc["model"]["layers"][1]["config"]["kernel_size"] = [4]
    tensors = {f"param/{name}": p.numpy() for name, p in model.named_parameters()}
    (tmp_path / "forged.fnl").write_bytes(io._encode(doc, tensors, tmp_path / "forged.fnl"))
    with pytest.raises(ModelFileError, match=r"Conv1D layer 1 \(5 filters of 4, input \(12, 6\)\) finds a "
                                             r"kernel of shape \(3, 6, 5\)"):
        io.load_model(tmp_path / "forged.fnl")


def test_a_conv1d_classifier_learns_a_word_pair_that_only_the_window_sees():
    """Positive when word 1 is followed right away by word 2 anywhere: each word alone says nothing."""
    fl.set_seed(1)
    rng = np.random.default_rng(3)
    x = rng.integers(3, 30, (500, 16))
    positive = rng.random(500) < 0.5
    for row, is_positive in enumerate(positive):
        at = rng.integers(0, 15)
        x[row, at:at + 2] = (1, 2) if is_positive else rng.permutation([(2, 1), (1, 1), (2, 2)])[0]
    model = keras.Sequential([keras.layers.Embedding(30, 8, input_length=16),
                              keras.layers.Conv1D(8, 2, activation="relu"), keras.layers.GlobalMaxPooling1D(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:400], positive[:400].astype(np.float32), epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(x[400:], positive[400:].astype(np.float32), verbose=0)[1] > 0.9


# ----------------------------------------------------------------------------- causal and dilated Conv1D

# (kernel, strides, dilation, padding): WaveNet's causal dilated stack, causal with strides (as Keras computes
# the length: the input's divided by the strides, rounded up), "same" and "valid" with a dilation
DILATED_1D = [(2, 1, 4, "causal"), (3, 1, 2, "causal"), (3, 2, 1, "causal"), (4, 3, 1, "causal"),
              (1, 1, 1, "causal"), (3, 1, 3, "same"), (4, 1, 2, "same"), (3, 1, 2, "valid")]
DILATED_1D_IDS = ["causal-d4", "causal-d2", "causal-stride2", "causal-stride3", "causal-k1", "same-d3",
                  "same-even-d2", "valid-d2"]


def _keras_conv1d(x, k, b, strides, dilation, padding):
    """Conv1D written out: each output step the sum of the kernel's taps, ``dilation`` steps apart."""
    size, steps = k.shape[0], x.shape[1]
    reach = (size - 1) * dilation + 1
    if padding == "causal":
        before, after, out = reach - 1, 0, -(-steps // strides)
    elif padding == "same":
        out = -(-steps // strides)
        total = max((out - 1) * strides + reach - steps, 0)
        before, after = total // 2, total - total // 2
    else:
        before, after, out = 0, 0, (steps - reach) // strides + 1
    padded = np.pad(x, ((0, 0), (before, after), (0, 0)))
    taps = [np.stack([padded[:, t * strides + i * dilation] for i in range(size)], axis=1) for t in range(out)]
    return np.stack([np.einsum("nkc,kcf->nf", window, k) + (0 if b is None else b) for window in taps], axis=1)


@pytest.mark.parametrize("use_bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("kernel, strides, dilation, padding", DILATED_1D, ids=DILATED_1D_IDS)
def test_causal_and_dilated_conv1d_values_and_gradients_match_central_differences(float64, kernel, strides,
                                                                                  dilation, padding, use_bias):
    layer = fl.layers.Conv1D(3, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                             activation="tanh", use_bias=use_bias)
    x = RNG.normal(size=(2, 11, 4))
    out = layer(x).numpy()
    k, b = layer.kernel.numpy(), (layer.bias.numpy() if use_bias else None)
    np.testing.assert_allclose(out, np.tanh(_keras_conv1d(x, k, b, strides, dilation, padding)), rtol=1e-12, atol=1e-14)
    assert layer.output_shape_for((11, 4)) == out.shape[1:]
    weights = fl.tensor(RNG.normal(size=out.shape))

    def through_the_layer(a, kk, *bb):  # the layer's own code, on the kernel and bias gradcheck varies
        object.__setattr__(layer, "kernel", kk)
        object.__setattr__(layer, "bias", bb[0] if bb else None)
        return layer(a) * weights

    assert fl.gradcheck(through_the_layer, [x, k] + ([b] if use_bias else []), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("activation", ["linear", "relu"], ids=["linear", "relu-fused"])
@pytest.mark.parametrize("kernel, strides, dilation, padding", DILATED_1D, ids=DILATED_1D_IDS)
def test_causal_and_dilated_conv1d_values_and_gradients_match_pytorch(float64, kernel, strides, dilation, padding,
                                                                      activation):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    layer = fl.layers.Conv1D(3, kernel, strides=strides, padding=padding, dilation_rate=dilation,
                             activation=activation)
    x = RNG.normal(size=(2, 11, 4))
    xs = fl.tensor(x, requires_grad=True)
    out = layer(xs)
    g = RNG.normal(size=out.shape)
    (out * fl.tensor(g)).sum().backward()
    # PyTorch: (N, C, L) sequences, an (out, in, k) kernel, Keras's padding written out (causal: all before)
    reach = (kernel - 1) * dilation + 1
    if padding == "causal":
        pad = (reach - 1, 0)
    elif padding == "same":
        total = max((-(-11 // strides) - 1) * strides + reach - 11, 0)
        pad = (total // 2, total - total // 2)
    else:
        pad = (0, 0)
    tx = torch.tensor(x.transpose(0, 2, 1), requires_grad=True)
    tk = torch.tensor(layer.kernel.numpy().transpose(2, 1, 0), requires_grad=True)
    tb = torch.tensor(layer.bias.numpy(), requires_grad=True)
    ref = tf.conv1d(tf.pad(tx, pad), tk, tb, stride=strides, dilation=dilation)
    ref = torch.relu(ref) if activation == "relu" else ref
    (ref * torch.tensor(g.transpose(0, 2, 1))).sum().backward()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    host = backend.to_numpy
    np.testing.assert_allclose(host(xs.grad), tx.grad.numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(layer.kernel.grad), tk.grad.numpy().transpose(2, 1, 0), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(host(layer.bias.grad), tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_a_causal_output_step_never_sees_a_later_input_step():
    stack = keras.Sequential([keras.Input(shape=(16, 2))] + [
        # tanh, not relu: four ReLU layers of random weights can zero every output, and then nothing tells
        keras.layers.Conv1D(3, 2, padding="causal", dilation_rate=2 ** i, activation="tanh") for i in range(4)])
    x = RNG.normal(size=(1, 16, 2)).astype(np.float32)
    later = x.copy()
    later[:, 9:] = RNG.normal(size=(1, 7, 2))
    before, after = stack.predict(x, verbose=0), stack.predict(later, verbose=0)
    assert before.shape == (1, 16, 3)
    np.testing.assert_array_equal(before[:, :9], after[:, :9])
    assert not np.allclose(before[:, 9:], after[:, 9:])


@pytest.mark.parametrize("steps", [7, 10, 13])
def test_causal_and_dilated_conv1d_give_keras_shapes_and_outputs_from_the_same_weights(steps):
    real = real_keras()
    x = RNG.normal(size=(3, steps, 5)).astype(np.float32)

    def stack(library):
        layers = library.layers
        return library.Sequential([library.Input(shape=(steps, 5)),
                                   layers.Conv1D(4, 2, padding="causal", dilation_rate=1, activation="relu"),
                                   layers.Conv1D(4, 2, padding="causal", dilation_rate=2, activation="relu"),
                                   layers.Conv1D(4, 3, padding="causal", dilation_rate=4, use_bias=False),
                                   layers.Conv1D(3, 3, padding="causal", strides=2, activation="tanh"),
                                   layers.Conv1D(3, 2, padding="same", dilation_rate=3),
                                   layers.Conv1D(2, 2, dilation_rate=2), layers.Flatten(), layers.Dense(2)])

    theirs, ours = stack(real), stack(keras)
    assert [layer.output.shape for layer in theirs.layers] == [(None, *layer.output_shape_for(shape))
                                                               for layer, shape in _shapes_in(ours)]
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_keras_refuses_what_fnlearn_refuses_for_causal_and_dilated_conv1d():
    real = real_keras()
    for settings in ({"strides": 2, "dilation_rate": 2}, {"strides": 2, "dilation_rate": 2, "padding": "causal"},
                     {"dilation_rate": 0}, {"dilation_rate": 1.5}):
        with pytest.raises(ValueError):
            real.layers.Conv1D(4, 3, **settings)
        with pytest.raises(ConfigError):
            fl.layers.Conv1D(4, 3, **settings)
    assert real.layers.Conv1D(4, 3, strides=2, padding="causal").compute_output_shape((None, 11, 2)) == \
        (None, *fl.layers.Conv1D(4, 3, strides=2, padding="causal").compute_output_shape((11, 2)))


def _tcn(library, steps=12):
    """A small WaveNet/TCN-style regressor: causal convolutions, dilations doubling."""
    layers = library.layers
    return library.Sequential([library.Input(shape=(steps, 2))]
                              + [layers.Conv1D(4, 2, padding="causal", dilation_rate=2 ** i, activation="relu")
                                 for i in range(3)]
                              + [layers.Conv1D(3, 3, padding="same", dilation_rate=2, activation="tanh"),
                                 layers.GlobalAveragePooling1D(), layers.Dense(1)])


def test_a_causal_dilated_stack_trains_as_keras_does():
    real = real_keras()
    x = RNG.normal(size=(32, 12, 2)).astype(np.float32)
    y = (x[:, -4:, 0].sum(axis=1, keepdims=True) * 0.5).astype(np.float32)
    assert_trains_as_keras(real, _tcn(real), _tcn(keras), x, y, "mse", 0.05, batch_size=8, rtol=1e-4, atol=1e-5)


def test_a_causal_dilated_model_saves_and_loads_with_its_padding_and_dilation(tmp_path):
    fl.set_seed(0)
    model = _tcn(keras)
    config = model.layers[1].get_config()
    assert (config["padding"], config["dilation_rate"]) == ("causal", [2])
    assert fl.layers.Conv1D(4, 3).get_config()["dilation_rate"] == [1]
    x = RNG.normal(size=(4, 12, 2)).astype(np.float32)
    model.compile("adam", "mse")
    model.fit(x, np.ones((4, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "tcn.fnl")
    again = keras.models.load_model(tmp_path / "tcn.fnl")
    assert [(layer.padding, layer.dilation_rate) for layer in again.layers[:4]] == \
        [("causal", 1), ("causal", 2), ("causal", 4), ("same", 2)]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    layer = fl.layers.Conv1D.from_config(model.layers[2].get_config())
    assert layer.get_config() == model.layers[2].get_config()
