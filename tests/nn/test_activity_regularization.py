"""Keras's ``activity_regularizer=``, which every layer takes: a penalty on the layer's output, divided by the
batch's size, added to the loss as ``add_loss`` adds one."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(3)
X = RNG.normal(size=(16, 6)).astype(np.float32)
Y = RNG.normal(size=(16, 2)).astype(np.float32)
IMAGES = RNG.normal(size=(8, 5, 5, 2)).astype(np.float32)


def _dense_model(library):
    return library.Sequential([library.Input((6,)),
                               library.layers.Dense(5, activation="tanh",
                                                    activity_regularizer=library.regularizers.L1(0.05)),
                               library.layers.Dense(2, activity_regularizer=library.regularizers.L2(0.1))])


def _conv_model(library):
    return library.Sequential([library.Input((5, 5, 2)),
                               library.layers.Conv2D(3, 3, activation="relu",
                                                     activity_regularizer=library.regularizers.L1L2(0.01, 0.02)),
                               library.layers.Flatten(), library.layers.Dense(2)])


@pytest.mark.parametrize("make, x", [(_dense_model, X), (_conv_model, IMAGES)], ids=["dense", "conv"])
def test_training_and_evaluation_are_keras(make, x):
    real = real_keras()
    y = Y[:len(x)]
    theirs, ours = make(real), make(keras)
    ours.set_weights(theirs.get_weights())
    for model, library in ((theirs, real), (ours, keras)):
        model.compile(library.optimizers.SGD(0.05), "mse")
    # evaluate adds the penalty of each batch's outputs, divided by the batch's size, as Keras does
    assert ours.evaluate(x, y, batch_size=4, verbose=0) == pytest.approx(
        theirs.evaluate(x, y, batch_size=4, verbose=0), rel=1e-5)
    assert_trains_as_keras(real, make(real), make(keras), x, y, "mse", learning_rate=0.05, batch_size=4, epochs=2)


def test_the_penalty_is_the_regularizer_of_the_output_over_the_batch_and_its_gradient_is_right(float64):
    layer = fl.layers.Dense(3, activation="tanh", activity_regularizer="l2")
    x = RNG.normal(size=(4, 2))
    out = layer(x).numpy()
    [penalty] = layer.losses
    assert float(penalty) == pytest.approx(0.01 * (out ** 2).sum() / 4, rel=1e-12)
    kernel = layer.kernel

    def penalised(k):
        object.__setattr__(layer, "kernel", k)
        layer.clear_losses()
        layer(x)
        return layer.added_loss()

    assert fl.gradcheck(penalised, [kernel.numpy()])


def test_a_layer_of_ones_own_takes_it_through_its_base_class_and_it_saves(tmp_path):
    class Doubled(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def call(self, inputs):
            return inputs * 2

    layer = Doubled(activity_regularizer=keras.regularizers.L1(0.5))
    layer(np.ones((2, 3), dtype=np.float32))
    assert [float(v) for v in layer.losses] == [pytest.approx(0.5 * 12 / 2)]
    model = _dense_model(keras)
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [layer.get_config().get("activity_regularizer") for layer in loaded.layers] == \
        [layer.get_config().get("activity_regularizer") for layer in model.layers] == \
        [fl.regularizers.serialize(fl.regularizers.L1(0.05)), fl.regularizers.serialize(fl.regularizers.L2(0.1))]
    assert loaded.evaluate(X, Y, verbose=0) == pytest.approx(model.evaluate(X, Y, verbose=0), rel=1e-6)


def test_an_unknown_regularizer_is_one_sentence_when_the_layer_is_made():
    with pytest.raises(ConfigError) as caught:
        keras.layers.Dense(3, activity_regularizer="nonsense")
    assert "nonsense" in str(caught.value) and str(caught.value).endswith(".")
