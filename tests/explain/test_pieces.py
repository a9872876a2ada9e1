"""pieces(): the blue pieces add up to the model's own red curve; ReLU pairs are the hard sigmoids."""

from __future__ import annotations

import numpy as np
import pytest
from explain_helpers import assert_png, one_hidden, set_param

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.explain import (
    HardSigmoidFromRelus,
    LayerOutputs,
    Pieces,
    find_relu_pairs,
    hard_sigmoid_from_relus,
    layer_outputs,
    pieces,
)


@pytest.mark.parametrize("activation", ["sigmoid", "hard_sigmoid", "relu", "tanh", "leaky_relu"])
def test_sum_of_pieces_is_the_model_output(float64, activation):
    model = one_hidden(7, activation)
    p = pieces(model, x_range=(-4, 4), num=301)
    assert isinstance(p, Pieces)
    assert p.pieces.shape == (7, 301)
    np.testing.assert_allclose(p.total, p.constant + p.pieces.sum(axis=0), rtol=0, atol=1e-12)
    assert np.max(np.abs(p.total - p.output)) <= 1e-6
    assert p.max_error <= 1e-6
    # the model's own output, computed independently
    np.testing.assert_allclose(p.output, model.predict(p.x[:, None]).ravel(), rtol=0, atol=1e-12)


def test_each_piece_is_c_times_sigmoid_of_b_plus_wx(float64):
    model = one_hidden(3, "sigmoid")
    p = pieces(model, x_range=(-2, 2), num=50)
    w = model[0].kernel.numpy()[0]
    b = model[0].bias.numpy()
    c = model[1].kernel.numpy()[:, 0]
    for i in range(3):
        expected = c[i] / (1 + np.exp(-(b[i] + w[i] * p.x)))
        np.testing.assert_allclose(p.pieces[i], expected, rtol=1e-12, atol=1e-12)
    assert p.constant == pytest.approx(0.7)
    np.testing.assert_array_equal(p.weights, w)
    np.testing.assert_array_equal(p.coefficients, c)


def test_float32_model_agrees_to_float32_rounding():
    model = one_hidden(10, "sigmoid")
    p = pieces(model, x_range=(-3, 3), num=100)
    np.testing.assert_allclose(p.total, p.output, rtol=1e-5, atol=1e-5)


def test_sigmoid_output_pieces_add_up_to_the_score(float64):
    model = one_hidden(4, "relu", out_activation="sigmoid")
    p = pieces(model, x_range=(-3, 3), num=80)
    assert p.output_activation == "sigmoid"
    np.testing.assert_allclose(1 / (1 + np.exp(-p.total)), p.output, rtol=0, atol=1e-12)
    assert p.max_error <= 1e-12


def _hand_built_hard_sigmoids(float_order):
    """Six ReLUs forming three hard sigmoids (distinct slopes), one lone ReLU and one silent unit,
    in a shuffled order; returns the model and the expected pairs as sets of unit indices."""
    # (start, end, height, w sign): ramps opening to the right (w > 0) and one to the left (w < 0)
    ramps = [(-2.0, -1.0, 3.0, 1), (0.5, 2.5, -1.0, 1), (1.0, 4.0, 2.0, -1)]
    units = []  # (w, b, c, tag)
    for k, (start, end, height, sign) in enumerate(ramps):
        slope = height / (end - start)
        if sign > 0:  # c·relu(x − h): rises at start, cancelled from end on
            units += [(1.0, -start, slope, k), (1.0, -end, -slope, k)]
        else:  # c·relu(−x + h) opens to the left: w = −2 scales the slope
            units += [(-2.0, 2.0 * end, -slope / 2.0, k), (-2.0, 2.0 * start, slope / 2.0, k)]
    units += [(0.5, 1.0, 0.8, None), (3.0, 1.0, 0.0, None)]
    order = float_order
    units = [units[i] for i in order]
    model = fl.Sequential([fl.layers.Dense(len(units), activation="relu", input_dim=1), fl.layers.Dense(1)])
    set_param(model, "0.kernel", [[u[0] for u in units]])
    set_param(model, "0.bias", [u[1] for u in units])
    set_param(model, "1.kernel", [[u[2]] for u in units])
    set_param(model, "1.bias", [0.25])
    expected = {}
    for pos, u in enumerate(units):
        if u[3] is not None:
            expected.setdefault(u[3], set()).add(pos)
    return model, ramps, expected


def test_relu_pairs_are_exactly_the_hard_sigmoids_built_by_hand(float64):
    order = [5, 2, 7, 0, 3, 6, 1, 4]
    model, ramps, expected = _hand_built_hard_sigmoids(order)
    p = pieces(model, x_range=(-4, 6), num=501)
    assert p.max_error <= 1e-6
    found = {frozenset(pair.units) for pair in p.pairs}
    assert found == {frozenset(v) for v in expected.values()}
    # the lone ReLU and the silent unit stay unpaired
    assert sorted(p.unpaired) == sorted(set(range(8)) - set().union(*expected.values()))
    by_units = {frozenset(pair.units): pair for pair in p.pairs}
    for k, (start, end, height, _) in enumerate(ramps):
        pair = by_units[frozenset(expected[k])]
        assert (pair.start, pair.end) == pytest.approx((start, end))
        assert pair.height == pytest.approx(height)
        assert pair.mismatch == pytest.approx(0.0, abs=1e-12)
        # the pair's sum is flat at `left` before start and at `right` after end
        i, j = pair.units
        s = p.pieces[i] + p.pieces[j]
        assert np.allclose(s[p.x < start], pair.left) and np.allclose(s[p.x > end], pair.right)


def test_find_relu_pairs_rejects_non_pairs():
    # same-sign coefficients never cancel; equal hinges cancel everywhere (no ramp); opposite w's: no pair
    assert find_relu_pairs([1, 1], [0, -1], [1, 1]) == []
    assert find_relu_pairs([1, 1], [-1, -1], [1, -1]) == []
    assert find_relu_pairs([1, -1], [0, 1], [1, 1]) == []
    # a 3 % slope mismatch is inside the default tolerance, outside a strict one
    assert len(find_relu_pairs([1, 1], [0, -1], [1, -0.97])) == 1
    assert find_relu_pairs([1, 1], [0, -1], [1, -0.97], tol=0.01) == []


def test_no_pairs_for_sigmoid_networks(float64):
    assert pieces(one_hidden(4, "sigmoid"), (-1, 1), num=10).pairs == []


def test_deeper_network_gives_each_layer_over_x(float64):
    fl.set_seed(3)
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=1),
                           fl.layers.Dense(3, activation="tanh"), fl.layers.Dense(1)])
    r = pieces(model, x_range=(-2, 2), num=64)
    assert isinstance(r, LayerOutputs)
    assert [a.shape for a in r.layers] == [(4, 64), (3, 64)]
    h1 = np.maximum(r.x[:, None] @ model[0].kernel.numpy() + model[0].bias.numpy(), 0)
    h2 = np.tanh(h1 @ model[1].kernel.numpy() + model[1].bias.numpy())
    np.testing.assert_allclose(r.layers[0], h1.T, atol=1e-12)
    np.testing.assert_allclose(r.layers[1], h2.T, atol=1e-12)
    np.testing.assert_allclose(r.output, model.predict(r.x[:, None]).ravel(), atol=1e-12)
    assert layer_outputs(model, (-2, 2), num=64).names == r.names


def test_a_chain_inside_the_chain_is_read_as_its_layers(float64):
    """A base model under a new head (transfer learning's shape) is explained as the layers it runs."""
    fl.set_seed(4)
    base = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=1), fl.layers.Dropout(0.5)], name="base")
    model = fl.Sequential([base, fl.layers.Dense(3, activation="tanh"), fl.layers.Dense(1)])
    r = layer_outputs(model, x_range=(-2, 2), num=16)
    assert r.names == [base[0].name, model[1].name] and [a.shape for a in r.layers] == [(4, 16), (3, 16)]
    h1 = np.maximum(r.x[:, None] @ base[0].kernel.numpy() + base[0].bias.numpy(), 0)
    np.testing.assert_allclose(r.layers[0], h1.T, atol=1e-12)
    np.testing.assert_allclose(r.output, model.predict(r.x[:, None]).ravel(), atol=1e-12)


def test_default_x_range_covers_every_hinge(float64):
    model, _, _ = _hand_built_hard_sigmoids(list(range(8)))
    p = pieces(model, num=50)
    assert p.x[0] < -2.0 and p.x[-1] > 4.0
    x = np.array([0.0, 10.0])
    p = pieces(model, num=20, data=(x, x))
    assert p.x[0] <= 0.0 and p.x[-1] >= 10.0


def test_bad_models_and_ranges_say_what_is_wrong():
    two_in = fl.Sequential([fl.layers.Dense(3, "relu", input_dim=2), fl.layers.Dense(1)])
    with pytest.raises(ShapeError, match="one input"):
        pieces(two_in, (-1, 1))
    two_out = fl.Sequential([fl.layers.Dense(3, "relu", input_dim=1), fl.layers.Dense(2)])
    with pytest.raises(ShapeError, match="one output"):
        pieces(two_out, (-1, 1))
    with pytest.raises(ConfigError, match="hidden layer"):
        pieces(fl.Sequential([fl.layers.Dense(1, input_dim=1)]), (-1, 1))
    model = one_hidden(2, "relu")
    with pytest.raises(ConfigError, match="x_range"):
        pieces(model, (1, 1))
    with pytest.raises(ConfigError, match="num"):
        pieces(model, (0, 1), num=1)
    with pytest.raises(ConfigError, match=r"\.png"):
        pieces(model, (0, 1), path="figure.jpeg")


def test_the_lecture_example_11_12_13_and_minus_1_2_3_sum_to_10():
    h = hard_sigmoid_from_relus(x=[11, 12, 13, 14])
    assert isinstance(h, HardSigmoidFromRelus)
    assert h.up.tolist() == [11, 12, 13, 14]
    assert h.down.tolist() == [-1, -2, -3, -4]
    assert h.total.tolist() == [10, 10, 10, 10]
    full = hard_sigmoid_from_relus()
    assert np.all(full.total[full.x <= 0] == 0) and np.all(full.total[full.x >= 10] == 10)
    assert np.all(np.diff(full.total) >= 0)
    assert h.relu_parameters() == {"up": (1.0, -0.0, 1.0), "down": (-1.0, -10.0, 1.0)}


def test_two_relus_equal_fnlearns_hard_sigmoid():
    x = np.linspace(-6, 6, 121)
    h = hard_sigmoid_from_relus(start=-3, end=3, height=1, x=x)
    expected = fl.hard_sigmoid(fl.tensor(x, dtype="float64")).numpy()
    np.testing.assert_allclose(h.total, expected, atol=1e-15)


def test_hard_sigmoid_bad_input():
    with pytest.raises(ConfigError):
        hard_sigmoid_from_relus(start=2, end=1)
    with pytest.raises(ConfigError, match="height"):
        hard_sigmoid_from_relus(height=0)


def test_figures_are_written_as_png_and_svg(tmp_path, float64):
    order = [5, 2, 7, 0, 3, 6, 1, 4]
    model, _, _ = _hand_built_hard_sigmoids(order)
    pieces(model, (-4, 6), num=100, path=tmp_path / "relu.png", data=([0, 1], [0, 1]))
    assert_png(tmp_path / "relu.png")
    pieces(one_hidden(3, "sigmoid"), (-3, 3), num=100, path=tmp_path / "sig.svg")
    assert (tmp_path / "sig.svg").read_text().lstrip().startswith("<?xml")
    deep = fl.Sequential([fl.layers.Dense(3, "relu", input_dim=1), fl.layers.Dense(2, "relu"), fl.layers.Dense(1)])
    pieces(deep, (-1, 1), num=50, path=tmp_path / "deep.png")
    assert_png(tmp_path / "deep.png")
    hard_sigmoid_from_relus(path=tmp_path / "hs.png")
    assert_png(tmp_path / "hs.png")
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".")]  # no temporary files left


def test_activation_and_dropout_layers_are_read_as_part_of_the_stage(float64):
    fl.set_seed(5)
    model = fl.Sequential([fl.layers.Dense(4, input_dim=1), fl.layers.Activation("relu"),
                           fl.layers.Dropout(0.5), fl.layers.Dense(1)])
    model.train()  # pieces evaluates without dropout and leaves the mode as it was
    p = pieces(model, (-2, 2), num=40)
    assert p.activation == "relu"
    assert p.max_error <= 1e-12
    assert model.training


def _trained_with_batch_norm(layers):
    fl.set_seed(6)
    model = fl.Sequential(layers)
    model.compile("adam", "mse")
    x = np.linspace(-2, 2, 48)[:, None]
    model.fit(x, np.sin(2 * x), epochs=3, batch_size=12, verbose=0)
    return model


def test_batch_normalization_is_folded_into_the_dense_layer_next_to_it(float64):
    # after a Dense and before its activation: folded into that Dense; after an activation (or first): into the next
    before = _trained_with_batch_norm([fl.layers.Dense(5, input_dim=1), fl.layers.BatchNormalization(),
                                       fl.layers.Activation("relu"), fl.layers.Dense(1)])
    p = pieces(before, (-3, 3), num=50)
    assert isinstance(p, Pieces) and p.activation == "relu" and p.max_error <= 1e-12
    assert not np.allclose(p.weights, before.layers[0].kernel.numpy()[0])  # the folded weights, not the raw ones
    around = _trained_with_batch_norm([fl.layers.BatchNormalization(input_shape=(1,)),
                                       fl.layers.Dense(4, activation="tanh"), fl.layers.BatchNormalization(),
                                       fl.layers.BatchNormalization(center=False, scale=False),
                                       fl.layers.Dense(3, activation="relu"), fl.layers.Dense(1)])
    out = layer_outputs(around, (-3, 3), num=30)
    assert [a.shape for a in out.layers] == [(4, 30), (3, 30)]
    last = out.layers[-1].T @ around.layers[-1].kernel.numpy() + around.layers[-1].bias.numpy()
    np.testing.assert_allclose(last[:, 0], out.output, rtol=1e-10, atol=1e-12)


def test_batch_normalization_after_the_last_activation_is_refused_in_one_sentence():
    model = fl.Sequential([fl.layers.Dense(3, activation="relu", input_dim=1), fl.layers.Dense(1, activation="tanh"),
                           fl.layers.BatchNormalization()])
    with pytest.raises(ConfigError, match="BatchNormalization layer after the last Dense layer's activation cannot be "
                                          "explained"):
        pieces(model, (-1, 1))
    unbuilt = fl.Sequential([fl.layers.Dense(3, activation="relu"), fl.layers.BatchNormalization(),
                             fl.layers.Dense(1)])
    with pytest.raises(fl.errors.NotReadyError, match="has no weights yet"):
        pieces(unbuilt, (-1, 1))
