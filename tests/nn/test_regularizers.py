"""Weight penalties: their values and gradients, training with them, and their trip through a file."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import fastpath
from fnlearn.errors import ConfigError


def test_penalty_values_and_gradients():
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert fl.regularizers.L2(0.5)(fl.tensor(w)).item() == pytest.approx(0.5 * (1 + 4 + 0.25))
    assert fl.regularizers.L1(0.1)(fl.tensor(w)).item() == pytest.approx(0.1 * 3.5)
    assert fl.regularizers.l1_l2(0.1, 0.5)(fl.tensor(w)).item() == pytest.approx(0.35 + 2.625)
    away = np.array([[1.0, -2.0], [0.5, -0.3]])  # |w| has no derivative at 0
    assert fl.gradcheck(lambda t: fl.regularizers.l1_l2(0.1, 0.5)(t), [away])
    assert fl.regularizers.get("l2").l2 == 0.01 and fl.regularizers.get(None) is None


def test_penalty_mistakes_are_one_sentence():
    with pytest.raises(ConfigError, match="did you mean 'l2'"):
        fl.regularizers.get("l3")
    with pytest.raises(ConfigError, match="l2 factor of a regularizer must be a number ≥ 0, got -1"):
        fl.regularizers.L2(-1)
    with pytest.raises(ConfigError, match="a regularizer must be a name .* got int"):
        fl.layers.Dense(2, kernel_regularizer=3)


@pytest.fixture
def float64():
    fl.set_default_dtype("float64")
    yield
    fl.set_default_dtype("float32")


def test_fit_minimises_and_reports_the_penalised_loss(float64, tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    fl.set_seed(0)
    penalised = fl.layers.Dense(4, activation="tanh", input_dim=3, kernel_regularizer=fl.regularizers.L2(0.1))
    model = fl.Sequential([penalised, fl.layers.Dense(1, bias_regularizer="l1")])
    model.compile(fl.optim.SGD(learning_rate=0.1), "mse")
    assert fastpath.compile_step(model, model.loss, model.optimizer) is None  # the general path adds them
    twin = fl.Sequential([fl.layers.Dense(4, activation="tanh", input_dim=3), fl.layers.Dense(1)])
    twin.set_weights(model.get_weights())
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    k1, b1, k2, b2 = twin.parameters()
    by_hand = fl.losses.mse(y, twin(x)) + 0.1 * (k1 * k1).sum() + 0.01 * fl.abs(b2).sum()
    by_hand.backward()
    assert history.history["loss"][0] == pytest.approx(by_hand.item(), rel=1e-12)  # as Keras reports it
    for trained, p in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(trained.numpy(), p.numpy() - 0.1 * fl.backend.to_numpy(p.grad), rtol=1e-12,
                                   atol=1e-15)
    penalty = 0.1 * float((model.layers[0].kernel.numpy() ** 2).sum()) + 0.01 * float(
        np.abs(model.layers[1].bias.numpy()).sum())
    data_loss = float(np.mean((model.predict(x) - y) ** 2))
    assert model.evaluate(x, y) == pytest.approx(data_loss + penalty, rel=1e-10)
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    assert loaded.layers[0].kernel_regularizer.l2 == 0.1 and loaded.layers[1].bias_regularizer.l1 == 0.01
    assert loaded.evaluate(x, y) == pytest.approx(model.evaluate(x, y), rel=1e-12)


def test_keras_names():
    from fnlearn.keras import layers, regularizers

    layer = layers.Dense(2, kernel_regularizer=regularizers.l2(0.001), input_dim=3)
    assert layer.kernel_regularizer.l2 == 0.001 and layer.get_config()["kernel_regularizer"]["l2"] == 0.001
