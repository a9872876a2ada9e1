"""Merge layers and sequence masks: Keras 3's rules (the OR of the inputs' masks, Concatenate's all-real inputs
without one, the masked values of Multiply, Maximum and Minimum) against real Keras and hand-written NumPy, in
layers called alone and in functional models that train, and the mistakes."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError

RNG = np.random.default_rng(11)
X = [RNG.normal(size=(2, 3, 2)).astype(np.float32) for _ in range(3)]
M1 = np.array([[1, 1, 0], [1, 0, 0]], dtype=bool)
M2 = np.array([[1, 0, 1], [0, 0, 0]], dtype=bool)
M3 = np.array([[0, 0, 1], [0, 1, 0]], dtype=bool)
# which inputs carry a mask: all, some, one
MASKINGS = [(M1, M2, M3), (M1, None, M3), (None, M2, M3), (None, None, M3), (M1, M2, None)]
NAMES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


def _masked(x, mask):
    """``x`` as a Tensor carrying ``mask`` (as Embedding(mask_zero=True) leaves it), or none."""
    out = fl.tensor(x)
    if mask is not None:
        out._mask = fl.backend.to_device(mask)
    return out


def _theirs(real, layer, xs, masks):
    """Real Keras's output and its mask for inputs carrying ``masks``."""
    kb = importlib.import_module("keras.src.backend")
    tensors = []
    for x, m in zip(xs, masks):
        t = real.ops.convert_to_tensor(x)
        if m is not None:
            kb.set_keras_mask(t, real.ops.convert_to_tensor(m))
        tensors.append(t)
    out = layer(tensors)
    mask = kb.get_keras_mask(out)
    return np.asarray(out), None if mask is None else np.asarray(mask)


def _our_mask(out):
    mask = getattr(out, "_mask", None)
    return None if mask is None else fl.backend.to_numpy(mask)


def _or_or_none(masks):
    """The rule for elementwise merges, by hand: the OR of the masks, None where some input has none."""
    return None if any(m is None for m in masks) else np.logical_or.reduce(np.stack(masks))


# ----------------------------------------------------------------------------- layers alone, against Keras


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("masks", MASKINGS, ids=["all", "first-third", "last-two", "third", "first-two"])
def test_values_and_output_masks_are_keras(name, masks):
    real = real_keras()
    masks = masks[:2] if name == "Subtract" else masks
    xs = X[:len(masks)]
    expected, expected_mask = _theirs(real, getattr(real.layers, name)(), xs, masks)
    out = getattr(fl.layers, name)()([_masked(x, m) for x, m in zip(xs, masks)])
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7)
    got_mask = _our_mask(out)
    assert (got_mask is None) == (expected_mask is None)
    if expected_mask is not None:
        np.testing.assert_array_equal(got_mask, expected_mask)
    if name != "Concatenate":
        rule = _or_or_none(masks)
        assert (got_mask is None) == (rule is None) and (rule is None or np.array_equal(got_mask, rule))


@pytest.mark.parametrize("axis", [1, -2, 2, -1])
@pytest.mark.parametrize("masks", [(M1, None), (None, M2), (M1, M2)], ids=["first", "second", "both"])
def test_concatenate_joins_masks_as_keras_on_every_axis(axis, masks):
    real = real_keras()
    expected, expected_mask = _theirs(real, real.layers.Concatenate(axis=axis), X[:2], masks)
    out = fl.layers.Concatenate(axis=axis)([_masked(x, m) for x, m in zip(X[:2], masks)])
    np.testing.assert_allclose(out.numpy(), expected)
    np.testing.assert_array_equal(_our_mask(out), expected_mask)
    # by hand: along the steps the masks are joined (an input without one all real), along the features ORed
    full = [np.ones((2, 3), dtype=bool) if m is None else m for m in masks]
    by_hand = np.concatenate(full, axis=1) if axis in (1, -2) else full[0] | full[1]
    np.testing.assert_array_equal(_our_mask(out), by_hand)


def test_masked_products_and_extremes_by_hand():
    a = np.array([[[2.0], [3.0], [5.0]]], dtype=np.float32)
    b = np.array([[[-1.0], [7.0], [4.0]]], dtype=np.float32)
    ma, mb = np.array([[True, False, False]]), np.array([[False, True, False]])
    # Multiply: padding counts as 1, and a step padded in every input is 0
    out = fl.layers.Multiply()([_masked(a, ma), _masked(b, mb)])
    assert out.numpy().ravel().tolist() == [2.0, 7.0, 0.0]
    assert _our_mask(out).tolist() == [[True, True, False]]
    # one input without a mask: the other's padding still counts as 1, and the output has no mask
    out = fl.layers.Multiply()([_masked(a, ma), _masked(b, None)])
    assert out.numpy().ravel().tolist() == [-2.0, 7.0, 4.0] and _our_mask(out) is None
    # Maximum and Minimum: padding never wins; a step padded everywhere keeps the first input's value
    assert fl.layers.Maximum()([_masked(a, ma), _masked(b, mb)]).numpy().ravel().tolist() == [2.0, 7.0, 5.0]
    assert fl.layers.Minimum()([_masked(a, ma), _masked(b, mb)]).numpy().ravel().tolist() == [2.0, 7.0, 5.0]
    # Add, Subtract, Average compute as without masks
    assert fl.layers.Subtract()([_masked(a, ma), _masked(b, mb)]).numpy().ravel().tolist() == [3.0, -4.0, 1.0]


def test_unmasked_inputs_give_no_mask_and_the_same_values():
    out = fl.layers.Multiply()([_masked(X[0], None), _masked(X[1], None)])
    assert _our_mask(out) is None
    np.testing.assert_array_equal(out.numpy(), X[0] * X[1])


def test_masked_gradients_go_to_the_real_values_only():
    a = fl.Tensor(np.array([[[2.0], [3.0]]]), requires_grad=True)
    b = fl.Tensor(np.array([[[5.0], [7.0]]]), requires_grad=True)
    a._mask, b._mask = fl.backend.to_device(np.array([[True, False]])), fl.backend.to_device(np.array([[True, True]]))
    fl.layers.Multiply()([a, b]).sum().backward()
    # step 2: a is padding, so the product is b alone (a gets nothing, b gets 1)
    assert fl.backend.to_numpy(a.grad).ravel().tolist() == [5.0, 0.0]
    assert fl.backend.to_numpy(b.grad).ravel().tolist() == [2.0, 1.0]


def test_a_layer_of_ones_own_gets_the_list_of_masks_as_keras_gives_it():
    seen = {}

    class Pair(keras.layers.Layer):
        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs[0] + inputs[1]

    with pytest.warns(UserWarning, match=r"layer 'pair' \(Pair\) got sequences with a mask .* does not use masks"):
        out = Pair(name="pair")([_masked(X[0], M1), _masked(X[1], None)])
    assert isinstance(seen["mask"], list) and seen["mask"][1] is None
    np.testing.assert_array_equal(fl.backend.to_numpy(seen["mask"][0]), M1)
    assert _our_mask(out) is None  # supports_masking is False: Keras drops the mask too


# ----------------------------------------------------------------------------- functional models


def _two_sequence_model(library, merge, tail):
    """Two token inputs, each Embedding(mask_zero=True), merged, then ``tail`` (a list of layers)."""
    a = library.Input(shape=(6,), dtype="int32")
    b = library.Input(shape=(6,), dtype="int32")
    ea = library.layers.Embedding(12, 3, mask_zero=True)(a)
    eb = library.layers.Embedding(12, 3, mask_zero=True)(b)
    x = merge([ea, eb])
    for layer in tail:
        x = layer(x)
    return library.Model([a, b], x)


def _padded_tokens(rows, seed):
    """Token ids with zeros (padding) at the end of each row, each input padded differently."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(1, 12, (rows, 6))
    lengths = rng.integers(2, 7, rows)
    ids[np.arange(6) >= lengths[:, None]] = 0
    return ids


@pytest.mark.parametrize("merge, tail", [
    ("Add", lambda L: [L.LSTM(4), L.Dense(1)]),
    ("Multiply", lambda L: [L.GlobalAveragePooling1D(), L.Dense(1)]),
    ("Maximum", lambda L: [L.GRU(3), L.Dense(1)]),
    ("Concatenate", lambda L: [L.SimpleRNN(3), L.Dense(1)]),
    ("Average", lambda L: [L.GlobalAveragePooling1D(), L.Dense(1)]),
])
def test_a_model_reading_the_merged_mask_predicts_and_trains_as_keras(merge, tail):
    real = real_keras()
    real.utils.set_random_seed(2)
    theirs = _two_sequence_model(real, getattr(real.layers, merge)(), tail(real.layers))
    ours = _two_sequence_model(keras, getattr(keras.layers, merge)(), tail(keras.layers))
    x = [_padded_tokens(8, 1), _padded_tokens(8, 2)]
    y = np.random.default_rng(3).normal(size=(8, 1)).astype(np.float32)
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", learning_rate=0.1, batch_size=4, rtol=2e-5,
                           atol=2e-6)


def test_the_merged_mask_reaches_the_loss_of_a_sequence_output_as_in_keras():
    real = real_keras()
    real.utils.set_random_seed(4)
    theirs = _two_sequence_model(real, real.layers.Add(), [real.layers.Dense(1)])
    ours = _two_sequence_model(keras, keras.layers.Add(), [keras.layers.Dense(1)])
    x = [_padded_tokens(6, 5), _padded_tokens(6, 6)]
    y = np.random.default_rng(7).normal(size=(6, 6, 1)).astype(np.float32)
    ours.set_weights(theirs.get_weights())
    for model, library in ((theirs, real), (ours, keras)):
        model.compile(library.optimizers.SGD(0.1), "mse")
    # the masked loss differs from the plain mean over every step, so agreeing here means the mask got there
    expected = theirs.evaluate(x, y, verbose=0)
    assert not np.isclose(expected, np.mean((theirs.predict(x, verbose=0) - y) ** 2), rtol=1e-3)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), expected, rtol=1e-5)
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", learning_rate=0.1, batch_size=3, rtol=2e-5,
                           atol=2e-6)


@pytest.mark.parametrize("merge", ["Concatenate", "Add", "Maximum", "Multiply"])
def test_padding_steps_change_nothing_behind_a_merge(merge):
    fl.set_seed(5)
    a, b = (keras.Input(shape=(None,), dtype="int32") for _ in range(2))
    merged = getattr(keras.layers, merge)()([keras.layers.Embedding(12, 3, mask_zero=True)(t) for t in (a, b)])
    model = keras.Model([a, b], keras.layers.LSTM(3)(merged))
    ids = [np.random.default_rng(seed).integers(1, 12, (3, 4)) for seed in (8, 9)]
    padded = [np.concatenate([i, np.zeros((3, 2), dtype=int)], axis=1) for i in ids]
    np.testing.assert_allclose(model.predict(padded, verbose=0), model.predict(ids, verbose=0), rtol=1e-5,
                               atol=1e-6)
    cut = [padded[0], padded[1].copy()]
    cut[1][:, 3] = 0  # the second input one step shorter: its last real step is now padding in it alone
    assert not np.allclose(model.predict(cut, verbose=0), model.predict(ids, verbose=0))


# ----------------------------------------------------------------------------- mistakes


def test_masks_that_cannot_go_with_the_inputs_are_one_sentence():
    layer = fl.layers.Add(name="sum")
    with pytest.raises(ShapeError, match=r"Add layer 'sum' got masks of shapes \(2, 3\) and \(2, 2\) for inputs of "
                                         r"shapes \(2, 3, 2\) and \(2, 3, 2\); each mask must be its input's") as info:
        layer([_masked(X[0], M1), _masked(X[1], M2[:, :2])])
    assert str(info.value).count(". ") == 0
    with pytest.raises(ConfigError, match=r"Multiply layer 'm' got 1 mask for 2 inputs; give one mask per input"):
        fl.layers.Multiply(name="m")([X[0], X[1]], mask=[M1])


def test_a_merge_says_nothing_about_masks_it_uses():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in NAMES:
            getattr(fl.layers, name)()([_masked(X[0], M1), _masked(X[1], M2)])
