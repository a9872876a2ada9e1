"""The optimizers' moving average of the weights (``use_ema=True``) and ``keras.callbacks.SwapEMAWeights``, against
Keras 3 trained from the same weights."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(21)
X = RNG.normal(size=(24, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3).astype("float32")
XV, YV = X[:8] * 0.5, Y[:8]


def _pair(real, optimizer, constraint=None, loss="mse"):
    """The same two-layer model in Keras and in fnlearn, from the same weights, compiled alike."""
    def make(k):
        model = k.Sequential([k.Input((3,)), k.layers.Dense(4, activation="tanh", kernel_constraint=constraint),
                              k.layers.Dense(1)])
        model.compile(optimizer(k), loss)
        return model

    real.utils.set_random_seed(0)
    theirs, ours = make(real), make(keras)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


def _same_weights(ours, theirs):
    for mine, other in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, other, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("optimizer, constraint", [
    # SGD: its steps are Keras's to the last bits (fnlearn's Adam puts ε where PyTorch and the lecture do, which
    # moves a weight of a near-zero gradient by ~1e-5 over a few steps); the average is the same for every rule
    (lambda k: k.optimizers.SGD(0.05, momentum=0.9, nesterov=True, use_ema=True, ema_momentum=0.9), None),
    (lambda k: k.optimizers.SGD(0.05, momentum=0.5, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=4),
     "non_neg"),
], ids=["nesterov", "overwrite-constraint"])
def test_fit_ends_with_kerass_averaged_weights(optimizer, constraint):
    """Keras averages after each step (the first step's weights start it), copies the average into the weights
    every ema_overwrite_frequency steps, applies constraints after averaging, and ends fit with the averages."""
    from real_keras import real_keras

    real = real_keras()
    theirs, ours = _pair(real, optimizer, constraint)
    their_history = theirs.fit(X, Y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    history = ours.fit(X, Y, batch_size=5, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], their_history.history["loss"], rtol=2e-5)
    _same_weights(ours, theirs)
    assert ours.optimizer.iterations == 10 and all("average" in state for state in ours.optimizer.state)


def test_swap_ema_weights_validates_on_the_averages_and_trains_on_as_keras():
    from real_keras import real_keras

    real = real_keras()
    theirs, ours = _pair(real, lambda k: k.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.7))
    their_history = theirs.fit(X, Y, batch_size=6, epochs=3, shuffle=False, verbose=0, validation_data=(XV, YV),
                               callbacks=[real.callbacks.SwapEMAWeights(swap_on_epoch=True)])
    history = ours.fit(X, Y, batch_size=6, epochs=3, shuffle=False, verbose=0, validation_data=(XV, YV),
                       callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=True)])
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(history.history[key], their_history.history[key], rtol=2e-5, err_msg=key)
    _same_weights(ours, theirs)


def test_evaluate_and_predict_swap_the_averages_in_and_give_the_weights_back():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), "mse")
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.optimizer.apply([np.ones((3, 1), "float32"), np.ones(1, "float32")])  # weights and averages now differ
    weights = [w.copy() for w in model.get_weights()]
    averages = [fl.backend.to_numpy(state["average"]).copy() for state in model.optimizer.state]
    swap = keras.callbacks.SwapEMAWeights()
    averaged = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    averaged.set_weights(averages)
    np.testing.assert_allclose(model.predict(X, verbose=0, callbacks=[swap]), averaged.predict(X, verbose=0),
                               rtol=1e-6)
    averaged.compile("sgd", "mse")
    assert model.evaluate(X, Y, verbose=0, callbacks=[swap]) == pytest.approx(averaged.evaluate(X, Y, verbose=0))
    for mine, before in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(mine, before)


def test_the_averages_are_saved_with_the_optimizer_and_training_resumes_exactly(tmp_path):
    def make():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)])
        model.compile(keras.optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=3), "mse")
        return model

    first = make()
    first.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    fl.io.save_training_state(first, tmp_path / "state.fnl")
    again = make()
    fl.io.load_training_state(again, tmp_path / "state.fnl")
    for mine, theirs in zip(again.optimizer.state, first.optimizer.state):
        np.testing.assert_array_equal(fl.backend.to_numpy(mine["average"]), fl.backend.to_numpy(theirs["average"]))
    for model in (first, again):
        model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for mine, theirs in zip(again.get_weights(), first.get_weights()):
        np.testing.assert_array_equal(mine, theirs)


def test_configs_name_the_average_as_keras_does():
    from real_keras import real_keras

    real = real_keras()
    settings = {"use_ema": True, "ema_momentum": 0.95, "ema_overwrite_frequency": 10}
    ours = keras.optimizers.RMSprop(0.01, **settings).get_config()
    theirs = real.optimizers.RMSprop(0.01, **settings).get_config()
    assert {key: ours[key] for key in settings} == {key: theirs[key] for key in settings}
    again = keras.optimizers.deserialize(keras.optimizers.serialize(keras.optimizers.RMSprop(0.01, **settings)))
    assert (again.use_ema, again.ema_momentum, again.ema_overwrite_frequency) == (True, 0.95, 10)
    assert "use_ema" not in fl.optim.SGD(learning_rate=0.1).get_config()


@pytest.mark.parametrize("make, match", [
    (lambda: fl.optim.Adam(use_ema=1), r"use_ema must be True or False"),
    (lambda: keras.optimizers.Adam(use_ema=True, ema_momentum=1.5), r"ema_momentum must be a number in \[0, 1\]"),
    (lambda: fl.optim.SGD(use_ema=True, ema_overwrite_frequency=0), r"ema_overwrite_frequency must be a whole "
                                                                    r"number ≥ 1 .* or None"),
    (lambda: keras.callbacks.SwapEMAWeights(swap_on_epoch="yes"), r"swap_on_epoch must be True or False"),
])
def test_settings_mistakes_are_one_sentence(make, match):
    with pytest.raises(ConfigError, match=match):
        make()


def test_swapping_without_averages_is_refused_before_the_first_step():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.1), "mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ConfigError, match=r"optimizer \(Adam\) keeps none; compile it with an optimizer made with "
                                          r"use_ema=True"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights()])
    for mine, start in zip(model.get_weights(), before):
        np.testing.assert_array_equal(mine, start)
