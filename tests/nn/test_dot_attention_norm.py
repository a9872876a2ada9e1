"""Dot, Attention, AdditiveAttention, GroupNormalization and RMSNormalization: Keras's numbers, weights, shapes,
configs and training; gradients against central differences; saving; the sentences for mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, compiled, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError

RNG = np.random.default_rng(5)
NAMES = ["Dot", "Attention", "AdditiveAttention", "GroupNormalization", "RMSNormalization"]


def _float(shape, scale=1.0):
    return (RNG.normal(size=shape) * scale).astype(np.float32)


def test_every_layer_is_registered_for_saving_and_exported():
    from fnlearn import io

    for name in NAMES:
        cls = getattr(fl.layers, name)
        assert io._layer_class(name) is cls and getattr(keras.layers, name) is cls
        assert name in keras.layers.__all__ and name in fl.layers.__all__
    assert "dot" in keras.layers.__all__


# name, settings, sample shapes (a list for the layers called on several inputs)
CASES = [
    ("Dot", {"axes": 1}, [(4,), (4,)]),
    ("Dot", {"axes": 1, "normalize": True}, [(4,), (4,)]),
    ("Dot", {"axes": (2, 2)}, [(3, 4), (5, 4)]),
    ("Dot", {"axes": [1, 2]}, [(3, 5), (4, 3)]),
    ("Dot", {"axes": -1}, [(3, 4), (4,)]),
    ("Attention", {}, [(3, 4), (5, 4)]),
    ("Attention", {"use_scale": True}, [(3, 4), (5, 6), (5, 4)]),
    ("Attention", {"use_scale": True, "score_mode": "concat"}, [(3, 4), (5, 4)]),
    ("AdditiveAttention", {}, [(3, 4), (5, 6), (5, 4)]),
    ("AdditiveAttention", {"use_scale": False}, [(3, 4), (5, 4)]),
    ("GroupNormalization", {"groups": 2}, (3, 3, 4)),
    ("GroupNormalization", {"groups": -1, "epsilon": 1e-5}, (5, 4)),
    ("GroupNormalization", {"groups": 2, "axis": 1, "center": False}, (4, 3)),
    ("GroupNormalization", {"groups": 1, "scale": False}, (6,)),
    ("RMSNormalization", {}, (5, 4)),
    ("RMSNormalization", {"axis": [1, 2], "epsilon": 1e-3}, (5, 4)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in settings.items()) or 'default'}" for name, settings, _ in CASES]


def _pair(name, settings, shapes):
    """Keras's layer and fnlearn's, built alike and given the same random weights."""
    real = real_keras()
    theirs, ours = getattr(real.layers, name)(**settings), getattr(keras.layers, name)(**settings)
    listed = isinstance(shapes, list)
    theirs.build([(None, *s) for s in shapes] if listed else (None, *shapes))
    ours.build_for(shapes)
    weights = [_float(w.shape) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return real, theirs, ours


def _data(shapes, batch=2):
    return [_float((batch, *s), 2.0) + 0.5 for s in shapes] if isinstance(shapes, list) \
        else _float((batch, *shapes), 2.0) + 0.5


@pytest.mark.parametrize("name, settings, shapes", CASES, ids=IDS)
def test_outputs_weights_shapes_and_configs_equal_keras(name, settings, shapes):
    real, theirs, ours = _pair(name, settings, shapes)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    x = _data(shapes)
    out = ours(x, training=False).numpy()
    np.testing.assert_allclose(out, compiled(real, theirs, x), rtol=1e-5, atol=2e-6)
    assert out.dtype == np.float32
    listed = isinstance(shapes, list)
    expected = theirs.compute_output_shape([(None, *s) for s in shapes] if listed else (None, *shapes))
    assert (None, *ours.output_shape_for(shapes)) == tuple(expected)
    config = ours.get_config()
    assert type(ours).from_config(config).get_config() == config
    made = getattr(real.layers, name)(**settings).get_config()  # before build (Keras's build rewrites some)
    own = set(made) - {"name", "trainable", "dtype", "beta_constraint", "gamma_constraint", "beta_regularizer",
                       "gamma_regularizer"}
    assert own <= set(config)
    for key in own - {"beta_initializer", "gamma_initializer"}:
        plain = [list(v) if isinstance(v, tuple) else v for v in (config[key], made[key])]
        assert plain[0] == plain[1]


@pytest.mark.parametrize("layer", ["Attention", "AdditiveAttention"])
def test_attention_masks_causal_mask_and_scores_equal_keras(layer):
    real, theirs, ours = _pair(layer, {}, [(3, 4), (5, 4)])
    q, v = _data([(3, 4), (5, 4)])
    query_mask = np.array([[True, True, False], [True, False, True]])
    value_mask = np.array([[True, True, True, False, False], [True, False, True, True, True]])
    for causal in (False, True):
        expected = compiled(real, lambda causal=causal: theirs([q, v], mask=[query_mask, value_mask],
                                                               return_attention_scores=True, use_causal_mask=causal))
        got = ours([q, v], mask=[query_mask, value_mask], return_attention_scores=True, use_causal_mask=causal)
        assert len(got) == len(expected) == 2
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a.numpy(), b, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(fl.backend.to_numpy(got[0]._mask), query_mask)


def test_attention_reads_the_masks_of_embedded_sequences_as_keras_does():
    real = real_keras()
    tokens = np.array([[3, 4, 0, 0], [5, 1, 2, 0], [1, 2, 3, 4]])

    def network(library):
        layers = library.layers
        query, value = library.Input(shape=(4,)), library.Input(shape=(4,))
        embed = layers.Embedding(8, 3, mask_zero=True)
        attended = layers.Attention()([embed(query), embed(value)])
        return library.Model([query, value], layers.GlobalAveragePooling1D()(attended))

    theirs, ours = network(real), network(keras)
    ours.set_weights(theirs.get_weights())
    x = [tokens, tokens[::-1]]
    np.testing.assert_allclose(ours.predict(x, verbose=0), compiled(real, theirs, x), rtol=1e-5, atol=1e-6)


def _network(library):
    """Every new layer in one small two-input model."""
    layers = library.layers
    query, value = library.Input(shape=(3, 4)), library.Input(shape=(5, 4))
    hidden = layers.Dense(4)(query)
    luong = layers.Attention(use_scale=True)([hidden, value])
    bahdanau = layers.AdditiveAttention()([hidden, value, value])
    grouped = layers.GroupNormalization(groups=2)(luong)
    rms = layers.RMSNormalization()(bahdanau)
    similar = layers.Dot(axes=(2, 2))([grouped, rms])
    cosine = layers.Dot(axes=1, normalize=True)([layers.Flatten()(grouped), layers.Flatten()(rms)])
    joined = layers.Concatenate()([layers.Flatten()(similar), cosine])
    return library.Model([query, value], layers.Dense(1)(joined))


def test_a_model_of_the_layers_trains_as_keras():
    real = real_keras()
    x, y = [_float((12, 3, 4)), _float((12, 5, 4))], _float((12, 1))
    real.utils.set_random_seed(1)  # Keras's starting weights: some send this step size's training to infinity
    theirs, ours = _network(real), _network(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert ours.output_shape == tuple(theirs.output_shape)
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", 0.05, batch_size=4, rtol=1e-4, atol=1e-5)


def test_a_model_of_the_layers_saves_and_loads(tmp_path):
    model = _network(keras)
    x = [_float((3, 3, 4)), _float((3, 5, 4))]
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), before)
    assert [layer.get_config() for layer in again.layers] == [layer.get_config() for layer in model.layers]


def test_the_functional_forms_and_the_scores_output_in_a_model():
    a, b = keras.Input(shape=(6,)), keras.Input(shape=(6,))
    assert keras.layers.dot([a, b], axes=1, normalize=True).shape == (None, 1)
    q, v = keras.Input(shape=(3, 4)), keras.Input(shape=(5, 4))
    out, scores = keras.layers.Attention()([q, v], return_attention_scores=True, use_causal_mask=True)
    assert (out.shape, scores.shape) == ((None, 3, 4), (None, 3, 5))
    weights = keras.Model([q, v], scores).predict([_float((2, 3, 4)), _float((2, 5, 4))], verbose=0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-6)
    assert (weights[:, 0, 1:] == 0).all()  # the first step sees only the first key step


GRADIENT_CASES = [
    (lambda: fl.layers.Dot(axes=(2, 2)), [(2, 3, 4), (2, 5, 4)]),
    (lambda: fl.layers.Dot(axes=1, normalize=True), [(3, 4), (3, 4)]),
    (lambda: fl.layers.Attention(use_scale=True), [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
    (lambda: fl.layers.Attention(use_scale=True, score_mode="concat"), [(2, 3, 4), (2, 5, 4)]),
    (lambda: fl.layers.AdditiveAttention(), [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
    (lambda: fl.layers.GroupNormalization(groups=2), [(2, 3, 3, 4)]),
    (lambda: fl.layers.RMSNormalization(axis=[1, 2]), [(2, 3, 4)]),
]


@pytest.mark.parametrize("make, shapes", GRADIENT_CASES,
                         ids=["dot", "dot-normalized", "attention", "attention-concat", "additive", "group", "rms"])
def test_gradients_match_central_differences_for_inputs_and_weights(float64, make, shapes):
    layer = make()
    xs = [RNG.normal(size=s) for s in shapes]
    listed = len(xs) > 1
    layer.build_for([s[1:] for s in shapes] if listed else shapes[0][1:])
    for w in layer.parameters():  # away from the defaults (γ = 1, β = 0), so every term counts
        w.data[...] = fl.backend.to_device(RNG.normal(size=w.shape) * 0.5 + 1.0)
    kwargs = {"use_causal_mask": True} if "Attention" in type(layer).__name__ else {}
    weights = RNG.normal(size=layer(xs if listed else xs[0], **kwargs).shape)

    def run(*ts):
        return layer(list(ts) if listed else ts[0], **kwargs) * weights

    assert fl.gradcheck(run, xs, atol=1e-7, rtol=1e-6)
    params = list(layer.parameters())
    if params:
        values = [p.data.copy() for p in params]

        def through_weights(*ts):
            for p, t in zip(params, ts):
                object.__setattr__(p, "data", t.data)
            saved = {name: getattr(layer, name) for name in ("scale", "concat_score_weight", "gamma", "beta")
                     if isinstance(getattr(layer, name, None), fl.Parameter)}
            for name, p in saved.items():
                setattr(layer, name, ts[params.index(p)])
            try:
                return run(*[fl.tensor(x) for x in xs])
            finally:
                for name, p in saved.items():
                    setattr(layer, name, p)

        assert fl.gradcheck(through_weights, values, atol=1e-7, rtol=1e-6)


MISTAKES = [
    (lambda: fl.layers.Dot(axes=0), ConfigError, "nonzero integer or a pair"),
    (lambda: fl.layers.Dot(axes=(1, 2, 3)), ConfigError, "nonzero integer or a pair"),
    (lambda: fl.layers.Dot(axes=1, normalize="yes"), ConfigError, "True or False"),
    (lambda: fl.layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 4))]), ShapeError, "sizes 3 and 4"),
    (lambda: fl.layers.Dot(axes=1)([np.ones((2, 3))]), ConfigError, "exactly 2 inputs"),
    (lambda: fl.layers.Attention(score_mode="add"), ConfigError, "'dot'"),
    (lambda: fl.layers.Attention(dropout=1.5), ConfigError, "dropout"),
    (lambda: fl.layers.AdditiveAttention(score_mode="concat"), ConfigError, "leave score_mode out"),
    (lambda: fl.layers.Attention()(np.ones((2, 3, 4))), ShapeError, "[query, value]"),
    (lambda: fl.layers.Attention()([np.ones((2, 3, 4)), np.ones((2, 5, 6))]), ShapeError, "same dim"),
    (lambda: fl.layers.Attention()([np.ones((2, 4)), np.ones((2, 4))]), ShapeError, "takes sequences"),
    (lambda: fl.layers.Attention()([np.ones((2, 3, 4)), np.ones((2, 5, 4))], mask=[np.ones((2, 3)),
                                   np.ones((2, 4))]), ShapeError, "value_mask of shape (2, 4)"),
    (lambda: fl.layers.Attention()([np.ones((2, 3, 4)), np.ones((2, 5, 4))], use_causal_mask="yes"), ConfigError,
     "use_causal_mask"),
    (lambda: fl.layers.GroupNormalization(groups=0), ConfigError, "groups must be"),
    (lambda: fl.layers.GroupNormalization(axis=0), ConfigError, "batch"),
    (lambda: fl.layers.GroupNormalization(groups=3)(np.ones((2, 4))), ShapeError, "divide them evenly"),
    (lambda: fl.layers.GroupNormalization(groups=2, gamma_constraint="non_negative"), ConfigError,
     "constraint 'non_negative' is not known"),
    (lambda: fl.layers.RMSNormalization(axis=0), ConfigError, "RMSNormalization axis"),
    (lambda: fl.layers.RMSNormalization(epsilon=-1.0), ConfigError, "epsilon"),
    (lambda: fl.layers.RMSNormalization(axis=3)(np.ones((2, 4))), ShapeError, "2 axes"),
]


@pytest.mark.parametrize("action, error, words", MISTAKES)
def test_mistakes_are_refused_in_one_sentence(action, error, words):
    with pytest.raises(error) as caught:
        action()
    assert words in str(caught.value)


def test_a_refused_call_leaves_the_layer_unbuilt():
    layer = fl.layers.GroupNormalization(groups=3)
    with pytest.raises(ShapeError):
        layer(np.ones((2, 4)))
    assert not layer.built and not list(layer.parameters())
    assert layer(np.ones((2, 6))).shape == (2, 6)


def test_rms_normalization_stops_a_mask_and_group_normalization_passes_it_as_keras():
    real = real_keras()
    words = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    for library in (real, keras):
        embedded = library.layers.Embedding(5, 4, mask_zero=True)(words)
        grouped = library.layers.GroupNormalization(groups=2)(embedded)
        with pytest.warns(UserWarning):
            scaled = library.layers.RMSNormalization()(grouped)
        assert getattr(grouped, "_keras_mask", getattr(grouped, "_mask", None)) is not None
        assert getattr(scaled, "_keras_mask", getattr(scaled, "_mask", None)) is None
    assert keras.layers.RMSNormalization.supports_masking is real.layers.RMSNormalization().supports_masking is False
