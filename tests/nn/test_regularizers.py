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
    assert layer.kernel_regularizer.l2 == 0.001 and layer.get_config()["kernel_regularizer"]["config"] == {"l2": 0.001}


# ----------------------------------------------------------------------------- called on arrays, as Keras's are

ARRAYS = [np.ones((2, 2)), np.array([[1.0, -2.0], [0.5, -0.25]], dtype=np.float32), [[1.0, -3.0]], np.arange(-3, 3)]
MAKERS = [lambda r: r.L2(0.01), lambda r: r.L1(0.1), lambda r: r.L1L2(l1=0.2, l2=0.3), lambda r: r.l1_l2(0.01, 0.02),
          lambda r: r.l2(), lambda r: r.get("l2"), lambda r: r.get("l1"), lambda r: r.L1L2()]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("weight", ARRAYS, ids=["ones", "float32", "list", "ints"])
def test_a_regularizer_called_on_an_array_gives_kerass_penalty(make, weight):
    from real_keras import real_keras

    real = real_keras()
    ours = make(fl.keras.regularizers)(weight)
    theirs = float(make(real.regularizers)(np.asarray(weight, dtype=np.float32)))
    assert np.ndim(ours) == 0 and not isinstance(ours, fl.Tensor)
    assert float(ours) == pytest.approx(theirs, rel=1e-6, abs=1e-12)


def test_the_penalty_of_an_array_is_the_sum_it_names():
    assert float(fl.keras.regularizers.L2(0.01)(np.ones((2, 2)))) == pytest.approx(0.04)
    assert float(fl.regularizers.L1(0.5)([[1, -2], [3, 0]])) == pytest.approx(3.0)  # integers: a float penalty
    assert float(fl.regularizers.L1L2(l1=1.0, l2=2.0)(np.array([-1.0, 2.0]))) == pytest.approx(3.0 + 10.0)
    with pytest.raises(fl.errors.DataError, match="the weight given to a regularizer"):
        fl.regularizers.L2()(np.array(["a", "b"]))


def test_on_a_tensor_it_stays_a_tensor_whose_gradient_reaches_the_weight():
    w = fl.tensor([[1.0, -2.0]], requires_grad=True)
    penalty = fl.keras.regularizers.L1L2(l1=0.1, l2=0.5)(w)
    assert isinstance(penalty, fl.Tensor) and penalty.requires_grad
    penalty.backward()
    np.testing.assert_allclose(fl.backend.to_numpy(w.grad), [[0.1 + 1.0, -0.1 - 2.0]], rtol=1e-6)
    param = fl.layers.Dense(2, input_dim=2).kernel
    assert isinstance(fl.regularizers.L2()(param), fl.Tensor)


def test_a_regularizer_of_the_real_keras_is_refused_saying_where_it_comes_from():
    from real_keras import real_keras

    real = real_keras()
    for make in (lambda r: fl.layers.Dense(2, input_dim=2, kernel_regularizer=r),
                 lambda r: fl.keras.layers.Dense(2, bias_regularizer=r),
                 lambda r: fl.layers.BatchNormalization(gamma_regularizer=r),
                 lambda r: fl.layers.Layer().add_weight(shape=(2,), regularizer=r)):
        with pytest.raises(ConfigError, match=r"^the regularizer L2 comes from Keras, not fnlearn; use fnlearn's own "
                                              r"keras.regularizers.L2 \(.*`from fnlearn import keras`.*\)\.$"):
            make(real.regularizers.L2(0.01))
    with pytest.raises(ConfigError, match=r"^the regularizer OrthogonalRegularizer comes from Keras, not fnlearn; "
                                          r"use fnlearn's own keras.regularizers.OrthogonalRegularizer \("):
        fl.regularizers.get(real.regularizers.OrthogonalRegularizer())
