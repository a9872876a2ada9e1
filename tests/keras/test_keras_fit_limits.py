"""keras.config.set_max_epochs / set_max_steps_per_epoch (and KERAS_MAX_EPOCHS, KERAS_MAX_STEPS_PER_EPOCH): every
fit cut to the caps with Keras's warning, training as Keras's capped fit does, evaluate and predict left whole, and
one sentence for a cap that cannot be."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError
from fnlearn.model import _limit_from_environment

RNG = np.random.default_rng(31)
X = RNG.normal(size=(40, 4)).astype(np.float32)
Y = (X[:, :1] - X[:, 1:2]).astype(np.float32)


@pytest.fixture()
def capped():
    """Caps set for one test and removed after it, whatever happens."""
    def cap(epochs, steps, *libraries):
        for lib in libraries:
            lib.config.set_max_epochs(epochs)
            lib.config.set_max_steps_per_epoch(steps)
    yield cap
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)


class _Batches(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.count = 0

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1


def test_a_capped_fit_trains_as_kerass_capped_fit(capped):
    real = real_keras()
    theirs, ours = (lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="tanh"), lib.layers.Dense(1)])
                    for lib in (real, keras))
    ours.set_weights(theirs.get_weights())
    try:
        capped(2, 3, real, keras)
        for model, lib in ((theirs, real), (ours, keras)):
            model.compile(lib.optimizers.SGD(0.1), "mse")
            with pytest.warns(UserWarning, match="Limiting epochs to 2"):
                history = model.fit(X, Y, batch_size=4, epochs=7, shuffle=False, verbose=0)
            assert len(history.history["loss"]) == 2
    finally:
        capped(None, None, real)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)


def test_the_caps_cut_epochs_and_batches_of_arrays_and_datasets_but_not_predict(capped):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    capped(3, 2, keras)
    assert (keras.config.max_epochs(), keras.config.max_steps_per_epoch()) == (3, 2)
    for data in ((X, Y), (fl.data.Dataset.from_tensor_slices((X, Y)).batch(5),)):
        batches = _Batches()
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
            history = model.fit(*data, epochs=10, batch_size=None if len(data) == 1 else 5, verbose=0,
                                callbacks=[batches])
        assert len(history.history["loss"]) == 3 and batches.count == 3 * 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to cut: no warning
        fewer = _Batches()
        model.fit(X, Y, epochs=1, steps_per_epoch=1, batch_size=5, verbose=0, callbacks=[fewer])
        assert fewer.count == 1
        assert model.predict(X, batch_size=5, verbose=0).shape == (40, 1)  # every prediction, unlike Keras's cap
        model.evaluate(X, Y, batch_size=5, verbose=0)
    capped(None, None, keras)
    assert len(model.fit(X, Y, epochs=4, verbose=0).history["loss"]) == 4


@pytest.mark.parametrize("call, message", [
    (lambda: keras.config.set_max_epochs(0), r"set_max_epochs takes a whole number ≥ 1"),
    (lambda: keras.config.set_max_steps_per_epoch(2.5), r"set_max_steps_per_epoch takes a whole number ≥ 1"),
])
def test_bad_caps_are_one_sentence(call, message):
    with pytest.raises(ConfigError, match=message) as caught:
        call()
    assert keras.config.max_epochs() is None and keras.config.max_steps_per_epoch() is None  # nothing changed
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")


def test_the_environment_variables_keras_reads(monkeypatch):
    monkeypatch.setenv("KERAS_MAX_EPOCHS", "2")
    assert _limit_from_environment("KERAS_MAX_EPOCHS") == 2
    monkeypatch.setenv("KERAS_MAX_EPOCHS", " ")
    assert _limit_from_environment("KERAS_MAX_EPOCHS") is None
    monkeypatch.setenv("KERAS_MAX_STEPS_PER_EPOCH", "ten")
    with pytest.raises(ConfigError, match=r"KERAS_MAX_STEPS_PER_EPOCH='ten' must be a whole number ≥ 1"):
        _limit_from_environment("KERAS_MAX_STEPS_PER_EPOCH")
