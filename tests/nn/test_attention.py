"""MultiHeadAttention: Keras 3's outputs and scores from the same weights (self- and cross-attention, value_dim,
output_shape, no bias, attention and causal masks, masks from Embedding), gradients against central differences,
the Transformer tutorial's block training as Keras's does, model files, and one sentence for what cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras
from value_checks import assert_gradients_of_inputs_and_weights

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError

RNG = np.random.default_rng(5)
Q = RNG.normal(size=(2, 4, 6)).astype(np.float32)
V = RNG.normal(size=(2, 5, 7)).astype(np.float32)
K = RNG.normal(size=(2, 5, 3)).astype(np.float32)
ATTEND = RNG.random((2, 4, 5)) > 0.3
ATTEND[:, :, 0] = True  # every query step may attend somewhere


def _pair(real, settings, query, value, key=None):
    """Keras's layer and fnlearn's, built alike, fnlearn's holding Keras's weights."""
    theirs = real.layers.MultiHeadAttention(**settings)
    theirs(query, value, key, return_attention_scores=True)
    ours = keras.layers.MultiHeadAttention(**settings)
    ours(query, value, key)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


CASES = [
    ({"num_heads": 2, "key_dim": 3}, "self", {}),
    ({"num_heads": 3, "key_dim": 2}, "cross", {}),
    ({"num_heads": 2, "key_dim": 3, "value_dim": 4}, "cross_key", {}),
    ({"num_heads": 2, "key_dim": 3, "output_shape": 5}, "cross", {}),
    ({"num_heads": 2, "key_dim": 3, "output_shape": (2, 3)}, "self", {}),
    ({"num_heads": 2, "key_dim": 3, "use_bias": False}, "cross_key", {}),
    ({"num_heads": 2, "key_dim": 3}, "cross", {"attention_mask": ATTEND}),
    ({"num_heads": 2, "key_dim": 3, "value_dim": 2}, "self", {"use_causal_mask": True}),
    ({"num_heads": 1, "key_dim": 4}, "cross", {"use_causal_mask": True, "attention_mask": ATTEND}),
]


@pytest.mark.parametrize("settings, inputs, options", CASES)
def test_outputs_and_scores_equal_keras_from_the_same_weights(settings, inputs, options):
    real = real_keras()
    args = {"self": (Q, Q), "cross": (Q, V), "cross_key": (Q, V, K)}[inputs]
    theirs, ours = _pair(real, settings, *args)
    names = [w.path.split("/", 1)[1] for w in theirs.weights]
    assert names == ["query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias",
                     "attention_output/kernel", "attention_output/bias"][::1 if settings.get("use_bias", True) else 2]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    # Keras's scores come from its einsum path, which the scores request takes (its fused path is the same maths)
    their_out, their_scores = theirs(*args, return_attention_scores=True, **options)
    out, scores = ours(*args, return_attention_scores=True, **options)
    np.testing.assert_allclose(out.numpy(), np.asarray(their_out), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scores.numpy(), np.asarray(their_scores), rtol=1e-5, atol=1e-6)
    assert scores.shape == (2, settings["num_heads"], 4, args[1].shape[1])
    if "attention_mask" in options:  # masked pairs get no weight, the rest sum to one
        assert np.all(scores.numpy()[np.broadcast_to(~ATTEND[:, None], scores.shape)] == 0)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-5)
    plain = ours(*args, **options)
    np.testing.assert_allclose(plain.numpy(), out.numpy(), rtol=1e-6, atol=1e-7)
    if settings.get("value_dim", settings["key_dim"]) == settings["key_dim"]:  # Keras's fused path (jax)
        np.testing.assert_allclose(plain.numpy(), np.asarray(theirs(*args, **options)), rtol=1e-5, atol=1e-6)


def test_masks_from_embedding_mask_zero_as_keras():
    real = real_keras()
    words = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2], [5, 0, 0, 0, 0]])
    inp = real.Input(shape=(5,))
    emb = real.layers.Embedding(10, 6, mask_zero=True)
    att = real.layers.MultiHeadAttention(2, 3)
    e = emb(inp)
    theirs = real.Model(inp, att(e, e, return_attention_scores=True))
    their_out, their_scores = (np.asarray(a) for a in theirs.predict(words, verbose=0))

    our_emb = fl.layers.Embedding(10, 6, mask_zero=True)
    our_att = fl.layers.MultiHeadAttention(2, 3)
    e = our_emb(words)
    our_att(e, e)
    our_emb.set_weights(emb.get_weights())
    our_att.set_weights(att.get_weights())
    e = our_emb(words)
    out, scores = our_att(e, e, return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), their_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scores.numpy(), their_scores, rtol=1e-5, atol=1e-6)
    pad = words == 0
    assert np.all(scores.numpy()[np.broadcast_to(pad[:, None, None, :], scores.shape)] == 0)  # no weight on padding
    np.testing.assert_array_equal(fl.backend.to_numpy(out._mask), ~pad)  # the output carries the query's mask


def test_padding_values_change_nothing_and_masks_can_be_given_by_hand():
    att = fl.layers.MultiHeadAttention(2, 4, seed=0)
    keep = np.ones((2, 5), dtype=bool)
    keep[0, 3:] = False
    keep[1, 0] = False
    noisy = V.copy()
    noisy[~keep] = 100.0
    a = att(Q, V, value_mask=keep).numpy()
    b = att(Q, noisy, value_mask=keep).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    c = att(Q, noisy).numpy()
    assert np.abs(c - b).max() > 1e-3  # without the mask the padding counts
    # value_mask and the same attention_mask agree
    d = att(Q, V, attention_mask=np.broadcast_to(keep[:, None, :], (2, 4, 5))).numpy()
    np.testing.assert_allclose(a, d, rtol=1e-6, atol=1e-7)
    # causal: the output at step t does not change when later steps do
    later = Q.copy()
    later[:, 2:] += 5.0
    selfish = fl.layers.MultiHeadAttention(2, 4, seed=0)
    e, f = (selfish(x, x, use_causal_mask=True).numpy() for x in (Q, later))
    np.testing.assert_allclose(e[:, :2], f[:, :2], rtol=1e-5, atol=1e-6)
    assert np.abs(e[:, 2:] - f[:, 2:]).max() > 1e-3


def test_gradients_of_inputs_and_every_weight_against_central_differences():
    rng = np.random.default_rng(3)
    q, v, k = (rng.normal(size=s) for s in ((2, 3, 4), (2, 4, 5), (2, 4, 3)))
    keep = np.array([[True, True, True, False], [False, True, True, True]])
    att = fl.layers.MultiHeadAttention(2, 3, value_dim=2, output_shape=3, dtype="float64",
                                       bias_initializer="glorot_uniform")
    att(q, v, k)
    weights = rng.normal(size=(2, 3, 3))
    tensors = [fl.tensor(a, requires_grad=True) for a in (q, v, k)]

    def loss(qt, vt, kt):
        out = att(qt, vt, kt, value_mask=keep, use_causal_mask=True)
        return (out * fl.tensor(weights)).sum()

    # q·b_k is the same for every key step: the softmax ignores it, its gradient is 0
    names = assert_gradients_of_inputs_and_weights(att, loss, tensors, silent=("key_bias",))
    assert len(names) == 8
    # the masked value steps get no gradient: they change nothing
    assert all(np.all(fl.backend.to_numpy(t.grad)[~keep] == 0) for t in tensors[1:3])


def test_dropout_drops_attention_weights_in_training_only_from_a_seeded_stream():
    att = fl.layers.MultiHeadAttention(2, 3, dropout=0.5, seed=4)
    first = att(Q, V, training=True).numpy()
    # a bare call follows the layer's mode, as fnlearn's Dropout does; eval mode is training=False
    np.testing.assert_allclose(att.eval()(Q, V).numpy(), att(Q, V, training=False).numpy())
    att.train()
    again = fl.layers.MultiHeadAttention(2, 3, dropout=0.5, seed=4)
    again(Q, V, training=False)  # built without drawing a mask
    again.set_weights(att.get_weights())
    np.testing.assert_array_equal(again(Q, V, training=True).numpy(), first)  # the same first mask
    assert np.abs(first - att(Q, V, training=False).numpy()).max() > 1e-3
    _, scores = att(Q, V, training=True, return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-5)  # scores are before the dropout, as Keras's


def _transformer(lib, maxlen, vocab, embed, heads, ff, rate):
    """keras.io's "Text classification with Transformer" model, written once for either library."""
    layers = lib.layers

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = lib.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            positions = self.pos_emb(np.arange(x.shape[-1]))  # keras.ops.arange in the tutorial
            return self.token_emb(x) + positions

    inputs = layers.Input(shape=(maxlen,))
    x = TokenAndPositionEmbedding(maxlen, vocab, embed)(inputs)
    x = TransformerBlock(embed, heads, ff, rate)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(rate)(x)
    x = layers.Dense(8, activation="relu")(x)
    x = layers.Dropout(rate)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return lib.Model(inputs=inputs, outputs=outputs), (TransformerBlock, TokenAndPositionEmbedding)


def _words(n=24, maxlen=6, vocab=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab, size=(n, maxlen))
    return x, (x[:, 0] > vocab // 2).astype(np.int64)


def test_the_transformer_tutorial_model_trains():
    fl.set_seed(0)
    x, y = _words(64)
    model, _ = _transformer(keras, 6, 20, 8, 2, 16, 0.1)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (64, 2)


def test_the_transformer_tutorial_model_trains_as_keras():
    real = real_keras()
    x, y = _words()
    theirs, _ = _transformer(real, 6, 20, 8, 2, 16, 0.0)
    ours, _ = _transformer(keras, 6, 20, 8, 2, 16, 0.0)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert_trains_as_keras(real, theirs, ours, x, y, "sparse_categorical_crossentropy", learning_rate=0.1,
                           batch_size=8, rtol=1e-4, atol=1e-5)


def test_functional_models_with_it_save_and_load(tmp_path):
    inp = keras.Input(shape=(5, 6))
    att = keras.layers.MultiHeadAttention(2, 3, value_dim=4, output_shape=7, dropout=0.1, use_bias=False,
                                          kernel_regularizer="l2", seed=1)
    x = att(inp, inp)
    assert x.shape == (None, 5, 7)
    model = keras.Model(inp, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x)))
    data = RNG.normal(size=(4, 5, 6)).astype(np.float32)
    model.save(tmp_path / "att.keras")
    again = keras.models.load_model(tmp_path / "att.keras")
    np.testing.assert_array_equal(again.predict(data, verbose=0), model.predict(data, verbose=0))
    loaded = next(layer for layer in again.layers if isinstance(layer, keras.layers.MultiHeadAttention))
    assert loaded.get_config() == {**att.get_config(), "name": loaded.name}
    assert len(model.losses) == 4  # the four kernels' penalties
    # the tutorial's model, its own layers handed over by name
    fl.set_seed(1)
    tutorial, classes = _transformer(keras, 6, 20, 8, 2, 16, 0.1)
    words = _words(5)[0]
    tutorial.save(tmp_path / "tutorial.keras")
    back = keras.models.load_model(tmp_path / "tutorial.keras", custom_objects={c.__name__: c for c in classes})
    np.testing.assert_array_equal(back.predict(words, verbose=0), tutorial.predict(words, verbose=0))


def test_output_shapes():
    att = fl.layers.MultiHeadAttention(2, 3)
    assert att.compute_output_shape((5, 8), (7, 3)) == (5, 8)
    assert att.compute_output_shape([(5, 8), (7, 3)]) == (5, 8)
    assert fl.layers.MultiHeadAttention(2, 3, output_shape=4).compute_output_shape((None, 8), (7, 3)) == (None, 4)


@pytest.mark.parametrize("settings, message", [
    ({"num_heads": 0, "key_dim": 2}, "num_heads must be a whole number"),
    ({"num_heads": 2, "key_dim": "8"}, "key_dim must be a whole number"),
    ({"num_heads": 2, "key_dim": 2, "value_dim": 0}, "value_dim must be a whole number"),
    ({"num_heads": 2, "key_dim": 2, "dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
    ({"num_heads": 2, "key_dim": 2, "use_bias": "yes"}, "use_bias must be True or False"),
    ({"num_heads": 2, "key_dim": 2, "output_shape": 0}, "output_shape must be None"),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": (1, 2)}, "attends over the steps"),
    ({"num_heads": 2, "key_dim": 2, "kernel_constraint": "max_nrom"}, "constraint 'max_nrom' is not known"),
    ({"num_heads": 2, "key_dim": 2, "flash_attention": True}, "flash_attention=True"),
    ({"num_heads": 2, "key_dim": 2, "units": 3}, "unexpected argument"),
])
def test_bad_settings_are_one_sentence(settings, message):
    with pytest.raises(ConfigError, match=message) as caught:
        fl.layers.MultiHeadAttention(**settings)
    assert re.search(r"[.;] [A-Z]", str(caught.value)) is None and str(caught.value).endswith(".")  # one sentence


def test_bad_calls_are_one_sentence():
    att = fl.layers.MultiHeadAttention(2, 3)
    with pytest.raises(ShapeError, match="takes a query and a value"):
        att(Q)
    with pytest.raises(ShapeError, match="samples of shape"):
        att(Q[:, 0], V[:, 0])
    with pytest.raises(ShapeError, match="as many steps"):
        att(Q, V, K[:, :3])
    att(Q, V)
    with pytest.raises(ShapeError, match="attention_mask of shape"):
        att(Q, V, attention_mask=np.ones((2, 5, 4), dtype=bool))
    with pytest.raises(ShapeError, match="value_mask of shape"):
        att(Q, V, value_mask=np.ones((2, 4), dtype=bool))
    with pytest.raises(ShapeError, match="built for a value of 7 features"):
        att(Q, K)
    with pytest.raises(ConfigError, match="use_causal_mask"):
        att(Q, V, use_causal_mask="yes")
    x = keras.Input(shape=(4, 6))
    with pytest.raises(ConfigError, match=r"with attention_mask= a list"):
        fl.layers.MultiHeadAttention(2, 3)(x, x, attention_mask=[1, 2])
    with pytest.raises(ShapeError, match="takes a query and a value"):
        fl.layers.MultiHeadAttention(2, 3)(x)
