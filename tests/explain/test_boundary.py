"""decision_boundary(): the regions are exactly model.predict's classes on the grid."""

from __future__ import annotations

import numpy as np
import pytest
from explain_helpers import assert_png

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.explain import Boundary, decision_boundary


def _blobs(n=90, k=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 2.0], [-2.0, -1.0], [2.0, -1.0]])[:k]
    y = np.arange(n) % k
    return centres[y] + rng.normal(0, 0.6, (n, 2)), y


def test_multiclass_regions_agree_with_predict():
    X, y = _blobs()
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(5, activation="tanh", input_dim=2),
                           fl.layers.Dense(3, activation="softmax")])
    model.compile(fl.optim.Adam(learning_rate=0.05), "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=30, batch_size=30, verbose=0)
    r = decision_boundary(model, X, y, resolution=37)
    assert isinstance(r, Boundary)
    gx, gy = np.meshgrid(r.xs, r.ys)
    expected = model.predict(np.column_stack([gx.ravel(), gy.ravel()])).argmax(axis=1).reshape(37, 37)
    np.testing.assert_array_equal(r.classes, expected)
    assert set(np.unique(r.classes)) == {0, 1, 2}  # a trained model shows all three regions
    assert r.xs[0] < X[:, 0].min() and r.ys[-1] > X[:, 1].max()
    # each hidden unit's map is tanh(b + w·x) of the first layer
    w, b = model[0].kernel.numpy().astype(np.float64), model[0].bias.numpy().astype(np.float64)
    np.testing.assert_allclose(r.hidden[2], np.tanh(b[2] + w[0, 2] * gx + w[1, 2] * gy), atol=1e-6)
    assert r.hidden.shape == (5, 37, 37) and r.hidden_activation == "tanh"


def test_binary_sigmoid_threshold():
    X, y = _blobs(k=2)
    fl.set_seed(2)
    model = fl.Sequential([fl.layers.Dense(4, activation="relu", input_dim=2),
                           fl.layers.Dense(1, activation="sigmoid")])
    r = decision_boundary(model, X, y, resolution=21, hidden_units=False)
    gx, gy = np.meshgrid(r.xs, r.ys)
    p = model.predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(21, 21)
    np.testing.assert_array_equal(r.classes, (p > 0.5).astype(int))
    assert r.hidden is None and r.threshold == 0.5 and r.n_classes == 2
    r0 = decision_boundary(model, X, y, resolution=21, threshold=0.7)
    np.testing.assert_array_equal(r0.classes, (p > 0.7).astype(int))


def test_one_hot_labels_are_accepted():
    X, y = _blobs()
    model = fl.Sequential([fl.layers.Dense(3, activation="softmax", input_dim=2)])
    r = decision_boundary(model, X, np.eye(3)[y], resolution=5)
    np.testing.assert_array_equal(r.y, y)
    assert r.hidden is None  # no hidden layer to show


def test_inputs_that_are_not_2d_are_refused():
    model = fl.Sequential([fl.layers.Dense(2, activation="softmax", input_dim=2)])
    with pytest.raises(ShapeError, match=r"X of shape \(samples, 2\)"):
        decision_boundary(model, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ShapeError, match=r"X of shape \(samples, 2\)"):
        decision_boundary(model, np.zeros(5), np.zeros(5))
    three = fl.Sequential([fl.layers.Dense(2, activation="softmax", input_dim=3)])
    with pytest.raises(ShapeError, match="2 inputs"):
        decision_boundary(three, np.zeros((5, 2)), np.zeros(5))
    with pytest.raises(ShapeError, match="one label per sample"):
        decision_boundary(model, np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ConfigError, match="class labels"):
        decision_boundary(model, np.zeros((3, 2)), [0, 1.5, 2])


def test_boundary_figure(tmp_path):
    X, y = _blobs()
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(20, activation="relu", input_dim=2),
                           fl.layers.Dense(3, activation="softmax")])
    decision_boundary(model, X, y, resolution=30, path=tmp_path / "b.png")
    assert_png(tmp_path / "b.png")


def test_a_model_that_is_not_a_chain_is_drawn_from_its_outputs():
    from fnlearn import keras

    X, y = _blobs(k=2)
    fl.set_seed(4)
    x = keras.Input(shape=(2,))
    h = keras.layers.Dense(4, activation="tanh")(x)
    model = keras.Model(x, keras.layers.Dense(1, activation="sigmoid")(keras.layers.concatenate([x, h])))
    r = decision_boundary(model, X, y, resolution=11)
    gx, gy = np.meshgrid(r.xs, r.ys)
    p = model.predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(11, 11)
    np.testing.assert_array_equal(r.classes, (p > 0.5).astype(int))
    assert r.hidden is None  # no first layer that the whole model runs through
    x3 = keras.Input(shape=(3,))
    three = keras.Model(x3, keras.layers.add([x3, keras.layers.Dense(3)(x3)]))
    with pytest.raises(ShapeError, match=r"needs a model with 2 inputs, but model '.*' takes samples of shape \(3,\)"):
        decision_boundary(three, X, y)
