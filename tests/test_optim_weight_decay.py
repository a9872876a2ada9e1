"""Decoupled weight decay as Keras 3 applies it: AdamW's default, and exclude_from_weight_decay (by weight and by
name) for AdamW, Muon and ScheduleFreeAdamW, trained side by side with real Keras; the optimizers' defaults are
Keras's, but for the documented ε of Adam and AdamW."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
import fnlearn.keras as keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(11)
X = RNG.normal(size=(16, 4)).astype(np.float32)
Y = RNG.normal(size=(16, 2)).astype(np.float32)


def test_the_keras_optimizers_defaults_are_keras_but_adams_epsilon():
    real = real_keras()
    for name in keras.optimizers.__all__:
        ours = getattr(keras.optimizers, name)
        if not isinstance(ours, type) or name in ("Optimizer",):
            continue
        theirs = inspect.signature(getattr(real.optimizers, name).__init__).parameters
        mine = inspect.signature(ours.__init__).parameters
        differ = {key for key in mine if key in theirs and mine[key].default != theirs[key].default}
        # fnlearn's Adam and AdamW keep the lecture's and PyTorch's ε (docs/keras.md, where fnlearn differs)
        assert differ == ({"epsilon"} if name in ("Adam", "AdamW") else set()), name
    assert keras.optimizers.AdamW().weight_decay == fl.optim.AdamW().weight_decay == 0.004


def _model(k):
    model = k.Sequential([k.Input((4,)), k.layers.Dense(3, name="hidden"), k.layers.LayerNormalization(name="norm"),
                          k.layers.Dense(2, name="out")])
    model.set_weights([np.random.default_rng(1).normal(size=w.shape).astype(np.float32) for w in model.get_weights()])
    return model


OPTIMIZERS = {
    "adamw": lambda k: k.optimizers.AdamW(0.05, weight_decay=0.3, epsilon=1e-7),
    "muon": lambda k: k.optimizers.Muon(0.05, weight_decay=0.3, adam_weight_decay=0.2),
}


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_weights_left_out_of_the_decay_train_as_keras(make):
    real = real_keras()
    trained = []
    for k in (keras, real):
        model, optimizer = _model(k), make(k)
        optimizer.exclude_from_weight_decay(var_list=[model.get_layer("out").kernel], var_names=["bias", "gamma"])
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        trained.append(model.get_weights())
    for ours, theirs in zip(*trained):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=5e-5)  # float32 steps of Adam-like rules
    decayed_all = _model(keras)
    decayed_all.compile(optimizer=make(keras), loss="mse")
    decayed_all.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert not np.allclose(decayed_all.get_weights()[1], trained[0][1])  # the hidden bias: the exclusion mattered


def test_schedule_free_leaves_every_weight_excluded_undecayed():
    # Keras 3.15 on PyTorch steps ScheduleFreeAdamW otherwise than on JAX (docs/keras.md): compared with itself
    trained = []
    for decay, names in ((0.3, [".*"]), (None, None)):
        model, optimizer = _model(keras), keras.optimizers.ScheduleFreeAdamW(0.05, weight_decay=decay)
        optimizer.exclude_from_weight_decay(var_names=names)
        model.compile(optimizer=optimizer, loss="mse")
        model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
        trained.append(model.get_weights())
    for excluded, undecayed in zip(*trained):
        np.testing.assert_array_equal(excluded, undecayed)


def test_exclusions_are_checked_and_only_taken_before_training():
    model = _model(keras)
    optimizer = keras.optimizers.AdamW(0.01)
    with pytest.raises(ConfigError, match="var_names=\\[3\\]; give var_list as weights"):
        optimizer.exclude_from_weight_decay(var_names=[3])
    with pytest.raises(ConfigError, match="a ndarray in var_list"):
        optimizer.exclude_from_weight_decay(var_list=[np.ones(2)])
    with pytest.raises(ConfigError, match="which is no regular expression"):
        optimizer.exclude_from_weight_decay(var_names=["bias("])
    assert not optimizer.excludes_from_weight_decay  # nothing taken from the refused calls
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    with pytest.raises(ConfigError, match="called after 1 step\\(s\\) of AdamW; call it before training"):
        optimizer.exclude_from_weight_decay(var_names=["bias"])
