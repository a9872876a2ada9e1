"""ReversibleEmbedding: Keras 3's word vectors and word logits from the same weights (tied or not, soft-capped),
gradients of the table through both directions against central differences, a tied language-model head training
as Keras's, files both ways, and one sentence for what cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, assert_trains_as_keras, real_keras
from value_checks import assert_gradients_of_inputs_and_weights

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError

RNG = np.random.default_rng(43)
WORDS = RNG.integers(0, 10, size=(6, 5))


def _model(lib, **settings):
    """A tiny language model whose output layer is its input embedding, reversed."""
    inp = lib.Input((5,), dtype="int32")
    emb = lib.layers.ReversibleEmbedding(10, 4, **settings)
    h = lib.layers.Dense(4, activation="tanh")(emb(inp))
    return lib.Model(inp, emb(h, reverse=True))


@pytest.mark.parametrize("settings", [{}, {"tie_weights": False}, {"logit_soft_cap": 2.0, "mask_zero": True}])
def test_vectors_and_logits_equal_keras_and_files_cross_both_ways(tmp_path, settings):
    real = real_keras()
    theirs, ours = _model(real, **settings), _model(keras, **settings)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours.predict(WORDS, verbose=0), theirs.predict(WORDS, verbose=0), rtol=1e-5,
                               atol=1e-6)
    ours_config, theirs_config = ours.layers[1].get_config(), theirs.layers[1].get_config()
    assert all(ours_config[key] == theirs_config[key] for key in ("tie_weights", "reverse_dtype", "logit_soft_cap"))
    if "logit_soft_cap" in settings:  # the logits stay within the cap
        assert np.abs(ours.predict(WORDS, verbose=0)).max() < settings["logit_soft_cap"]
    assert_files_cross_both_ways(real, theirs, ours, WORDS, tmp_path)


def test_a_tied_head_trains_as_keras():
    real = real_keras()
    theirs, ours = _model(real), _model(keras)
    targets = RNG.normal(size=(6, 5, 10)).astype(np.float32)
    assert_trains_as_keras(real, theirs, ours, WORDS, targets, "mse", learning_rate=0.5, batch_size=3,
                           rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("tie", [True, False])
def test_gradients_reach_the_tables_through_both_directions(tie):
    layer = fl.layers.ReversibleEmbedding(6, 3, tie_weights=tie, logit_soft_cap=1.5, dtype="float64",
                                          embeddings_initializer="random_normal")
    words = np.array([[1, 4, 4, 0]])
    layer(words)
    weights = RNG.normal(size=(1, 4, 6))

    def loss(h):
        looked_up = layer(words)
        return ((layer(h + looked_up, reverse=True) * fl.tensor(weights)).sum())

    h = fl.tensor(RNG.normal(size=(1, 4, 3)), requires_grad=True)
    names = assert_gradients_of_inputs_and_weights(layer, loss, [h])
    assert names == (["embeddings"] if tie else ["embeddings", "reverse_embeddings"])


@pytest.mark.parametrize("make, error, message", [
    (lambda: keras.layers.ReversibleEmbedding(5, 2, tie_weights="yes"), ConfigError, "tie_weights must be True"),
    (lambda: keras.layers.ReversibleEmbedding(5, 2, reverse_dtype="float16"), ConfigError, "reverse_dtype must be"),
    (lambda: keras.layers.ReversibleEmbedding(5, 2, logit_soft_cap=0), ConfigError, "logit_soft_cap must be"),
    (lambda: keras.layers.ReversibleEmbedding(5, 2)(np.ones((1, 3)), reverse=True), ShapeError,
     "maps vectors of 2 numbers back"),
    (lambda: keras.layers.ReversibleEmbedding(5, 2)(np.ones((1, 2)), reverse="yes"), ConfigError, "reverse='yes'"),
])
def test_what_cannot_work_is_one_sentence(make, error, message):
    with pytest.raises(error, match=message) as caught:
        make()
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")
