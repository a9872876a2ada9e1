"""GroupQueryAttention, and MultiHeadAttention's gate and sliding window: Keras 3's outputs and scores from the same
weights (shared key/value heads, gates, bands, masks, cross-attention with a key), gradients of every weight and
input against central differences, a model of it training as Keras's, files both ways, and one sentence for
settings that cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, assert_trains_as_keras, real_keras
from value_checks import assert_gradients_of_inputs_and_weights

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(11)
Q = RNG.normal(size=(2, 5, 6)).astype(np.float32)
V = RNG.normal(size=(2, 7, 6)).astype(np.float32)
K = RNG.normal(size=(2, 7, 3)).astype(np.float32)
ATTEND = RNG.random((2, 5, 7)) > 0.3
ATTEND[:, :, 0] = True  # every query step may attend somewhere
KEEP = np.ones((2, 7), dtype=bool)
KEEP[0, 5:] = False


def _pair(real, kind, settings, args):
    """Keras's layer and fnlearn's, built alike, fnlearn's holding Keras's weights."""
    theirs = getattr(real.layers, kind)(**settings)
    theirs(*args, return_attention_scores=True)
    ours = getattr(keras.layers, kind)(**settings)
    ours(*args)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


GQA = "GroupQueryAttention"
MHA = "MultiHeadAttention"
CASES = [
    (GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, "cross", {}),
    (GQA, {"head_dim": 2, "num_query_heads": 3, "num_key_value_heads": 1}, "self", {}),  # multi-query attention
    (GQA, {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 2}, "cross_key", {}),
    (GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "use_gate": True}, "cross", {}),
    (GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "use_bias": False}, "cross_key", {}),
    (GQA, {"head_dim": 2, "num_query_heads": 6, "num_key_value_heads": 3, "sliding_window": 2}, "self",
     {"use_causal_mask": True}),
    (GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 1}, "cross",
     {"attention_mask": ATTEND, "value_mask": KEEP}),
    (MHA, {"num_heads": 2, "key_dim": 3, "use_gate": True, "value_dim": 4, "output_shape": 5}, "cross", {}),
    (MHA, {"num_heads": 3, "key_dim": 2, "sliding_window": 3}, "cross", {"attention_mask": ATTEND}),
    (MHA, {"num_heads": 2, "key_dim": 2, "use_gate": True, "use_bias": False, "sliding_window": 1}, "self", {}),
]


@pytest.mark.parametrize("kind, settings, inputs, options", CASES)
def test_outputs_and_scores_equal_keras_from_the_same_weights(kind, settings, inputs, options):
    real = real_keras()
    args = {"self": (Q, Q), "cross": (Q, V), "cross_key": (Q, V, K)}[inputs]
    theirs, ours = _pair(real, kind, settings, args)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    their_out, their_scores = theirs(*args, return_attention_scores=True, **options)
    out, scores = ours(*args, return_attention_scores=True, **options)
    np.testing.assert_allclose(out.numpy(), np.asarray(their_out), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scores.numpy(), np.asarray(their_scores), rtol=1e-5, atol=1e-6)
    heads = settings.get("num_query_heads", settings.get("num_heads"))
    assert scores.shape == (2, heads, 5, args[1].shape[1])
    np.testing.assert_allclose(scores.numpy().sum(-1), 1.0, rtol=1e-5)
    if "sliding_window" in settings:  # nothing outside the band
        far = np.abs(np.arange(5)[:, None] - np.arange(args[1].shape[1])[None]) >= settings["sliding_window"]
        assert np.all(scores.numpy()[..., far] == 0)
    # Keras's fused dot-product path, which it takes without the scores, gives the same numbers
    np.testing.assert_allclose(ours(*args, **options).numpy(), np.asarray(theirs(*args, **options)),
                               rtol=1e-5, atol=1e-6)


def test_key_value_heads_are_shared_by_query_heads_in_a_row():
    """Two query heads over one key/value head are two MultiHeadAttention heads whose key and value weights are
    that head's, repeated: Keras's ops.repeat, which fnlearn never materialises."""
    gqa = fl.layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2, seed=0,
                                        bias_initializer="glorot_uniform")
    out, scores = gqa(Q, V, return_attention_scores=True)
    mha = fl.layers.MultiHeadAttention(4, 3)
    mha(Q, V)
    weights = gqa.get_weights()
    for i in (2, 3, 4, 5):  # key and value kernels (d, 2, 3) and biases (2, 3): each head twice, in a row
        weights[i] = np.repeat(weights[i], 2, axis=-2)
    mha.set_weights(weights)
    same, same_scores = mha(Q, V, return_attention_scores=True)
    np.testing.assert_allclose(out.numpy(), same.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scores.numpy(), same_scores.numpy(), rtol=1e-5, atol=1e-6)


def test_gradients_of_inputs_and_every_weight_against_central_differences():
    rng = np.random.default_rng(3)
    q, v, k = (rng.normal(size=s) for s in ((2, 4, 4), (2, 5, 4), (2, 5, 3)))
    keep = np.array([[True, True, True, True, False], [False, True, True, True, True]])
    att = fl.layers.GroupQueryAttention(2, 4, 2, use_gate=True, sliding_window=3, dtype="float64",
                                        bias_initializer="glorot_uniform")
    att(q, v, k)
    weights = rng.normal(size=(2, 4, 4))
    tensors = [fl.tensor(a, requires_grad=True) for a in (q, v, k)]

    def loss(qt, vt, kt):
        out = att(qt, vt, kt, value_mask=keep, use_causal_mask=True)
        return (out * fl.tensor(weights)).sum()

    # q·b_k is the same for every key step: the softmax ignores it, its gradient is 0
    names = assert_gradients_of_inputs_and_weights(att, loss, tensors, silent=("key_bias",))
    assert names == ["query_kernel", "query_bias", "key_kernel", "key_bias", "gate_kernel", "gate_bias",
                     "value_kernel", "value_bias", "output_kernel", "output_bias"]
    assert all(np.all(fl.backend.to_numpy(t.grad)[~keep] == 0) for t in tensors[1:3])  # masked steps: no gradient


def _model(lib, **settings):
    """A sequence classifier around one grouped-query self-attention, written once for either library."""
    layers = lib.layers
    inp = layers.Input(shape=(6, 4))
    x = layers.GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2, **settings)(inp, inp)
    x = layers.GlobalAveragePooling1D()(x)
    return lib.Model(inp, layers.Dense(3)(x))


def test_a_model_of_it_trains_as_keras():
    real = real_keras()
    x = RNG.normal(size=(16, 6, 4)).astype(np.float32)
    y = RNG.integers(0, 3, size=16)
    theirs, ours = _model(real, use_gate=True), _model(keras, use_gate=True)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert_trains_as_keras(real, theirs, ours, x, y, "sparse_categorical_crossentropy", learning_rate=0.1,
                           batch_size=8, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("settings", [{"use_gate": True, "sliding_window": 2}, {"use_bias": False}])
def test_files_cross_both_ways(tmp_path, settings):
    real = real_keras()
    x = RNG.normal(size=(3, 6, 4)).astype(np.float32)
    theirs, ours = _model(real, **settings), _model(keras, kernel_regularizer="l2", **settings)
    ours.set_weights(theirs.get_weights())
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)
    layer = keras.models.load_model(tmp_path / "m.keras").layers[1]
    # Keras's Python class and default name, as its summary shows them
    assert type(layer).__name__ == "GroupedQueryAttention" and layer.name == ours.layers[1].name
    assert re.fullmatch(r"grouped_query_attention(_\d+)?", layer.name)
    assert layer.get_config() == {**ours.layers[1].get_config(), "name": layer.name}
    assert len(ours.losses) == 4 + settings.get("use_gate", False)  # the kernels' penalties


def test_a_gated_banded_multi_head_attention_crosses_files_both_ways(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(3, 6, 4)).astype(np.float32)

    def model(lib):
        inp = lib.layers.Input(shape=(6, 4))
        att = lib.layers.MultiHeadAttention(2, 3, use_gate=True, sliding_window=2)(inp, inp)
        return lib.Model(inp, lib.layers.Dense(1)(lib.layers.Flatten()(att)))

    theirs, ours = model(real), model(keras)
    ours.set_weights(theirs.get_weights())
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)


@pytest.mark.parametrize("settings, message", [
    ({"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 3}, "must be a multiple of num_key_value_heads"),
    ({"head_dim": 0, "num_query_heads": 4, "num_key_value_heads": 2}, "head_dim must be a whole number"),
    ({"head_dim": 2, "num_query_heads": 4.0, "num_key_value_heads": 2}, "num_query_heads must be a whole number"),
    ({"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": None}, "num_key_value_heads must be a whole"),
    ({"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2, "sliding_window": 0},
     "sliding_window must be a whole number"),
    ({"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2, "use_gate": "yes"},
     "use_gate must be True or False"),
    ({"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2, "flash_attention": True},
     "flash_attention=True"),
    ({"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2, "key_dim": 3}, "unexpected argument"),
])
def test_bad_settings_are_one_sentence(settings, message):
    with pytest.raises(ConfigError, match=message) as caught:
        fl.layers.GroupQueryAttention(**settings)
    text = str(caught.value)
    assert text.startswith("GroupQueryAttention") or "GroupQueryAttention" in text
    assert re.search(r"[.;] [A-Z]", text) is None and text.endswith(".")  # one sentence
