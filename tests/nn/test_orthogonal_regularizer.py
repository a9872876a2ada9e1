"""OrthogonalRegularizer: Keras 3's penalty for rows and columns (a zero row included), its gradient against central
differences, a model penalised by it training as Keras's, its config in files both ways, and one sentence for what
cannot work."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(8)


@pytest.mark.parametrize("mode", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(5, 3), (2, 6), (1, 4)])
def test_penalty_equals_keras(mode, shape):
    real = real_keras()
    w = RNG.normal(size=shape).astype(np.float32)
    w[0] = 0.0  # a zero row stays zero, as Keras's normalize leaves it
    theirs = real.regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)
    ours = keras.regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)
    expected = float(np.asarray(theirs(real.ops.convert_to_tensor(w))))
    if (shape[0] if mode == "rows" else shape[1]) == 1:  # no pair to compare: Keras divides 0 by 0 pairs
        assert np.isnan(expected) and float(ours(w)) == 0.0 and ours(fl.tensor(w)).item() == 0.0
        return
    np.testing.assert_allclose(float(ours(w)), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours(fl.tensor(w)).item(), expected, rtol=1e-5, atol=1e-7)
    assert ours.get_config() == {"factor": 0.3, "mode": mode}  # Keras gives its float32 factor, 0.30000001…
    assert theirs.get_config()["factor"] == pytest.approx(0.3) and theirs.get_config()["mode"] == mode


def test_orthogonal_rows_cost_nothing_and_parallel_rows_the_factor():
    q = np.linalg.qr(RNG.normal(size=(4, 4)))[0]
    assert abs(float(fl.regularizers.OrthogonalRegularizer(2.0)(q))) < 1e-6
    same = np.tile(RNG.normal(size=(1, 3)), (3, 1))
    np.testing.assert_allclose(float(fl.regularizers.OrthogonalRegularizer(2.0)(same)), 2.0, rtol=1e-6)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_gradient_against_central_differences(mode):
    w = RNG.normal(size=(4, 3))
    reg = fl.regularizers.OrthogonalRegularizer(0.7, mode=mode)
    t = fl.tensor(w, requires_grad=True)
    reg(t).backward()
    eps = 1e-6
    numeric = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        up, down = w.copy(), w.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (float(reg(up)) - float(reg(down))) / (2 * eps)
    assert np.abs(numeric).max() > 1e-3
    np.testing.assert_allclose(fl.backend.to_numpy(t.grad), numeric, rtol=1e-6, atol=1e-9)


def _model(lib):
    inp = lib.layers.Input(shape=(4,))
    h = lib.layers.Dense(6, activation="tanh",
                         kernel_regularizer=lib.regularizers.OrthogonalRegularizer(0.5, mode="columns"))(inp)
    return lib.Model(inp, lib.layers.Dense(1, kernel_regularizer=lib.regularizers.OrthogonalRegularizer(0.2))(h))


def test_a_penalised_model_trains_as_keras_and_its_files_cross_both_ways(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(12, 4)).astype(np.float32)
    y = x[:, :1] - x[:, 1:2]
    theirs, ours = _model(real), _model(keras)
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", learning_rate=0.1, batch_size=4, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-4)
    assert_files_cross_both_ways(real, theirs, ours, x, tmp_path)
    back = keras.models.load_model(tmp_path / "theirs.keras")
    assert repr(back.layers[1].kernel_regularizer) == "OrthogonalRegularizer(factor=0.5, mode='columns')"
    assert keras.regularizers.get("orthogonal_regularizer").get_config() == {"factor": 0.01, "mode": "rows"}


@pytest.mark.parametrize("make, message", [
    (lambda: fl.regularizers.OrthogonalRegularizer(mode="diagonal"), "mode must be 'rows' or 'columns'"),
    (lambda: fl.regularizers.OrthogonalRegularizer(-1.0), "must be a number ≥ 0"),
    (lambda: fl.regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2))), "takes a 2-D weight"),
])
def test_bad_settings_are_one_sentence(make, message):
    with pytest.raises(ConfigError, match=message) as caught:
        make()
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")  # one sentence
