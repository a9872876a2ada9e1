"""keras.layers.Pipeline: layers applied one after another as one layer — Keras's outputs from the same weights,
augmenting when called on its own and in fit, passing in inference, mapped over a data set, its layers' weights
its own, files both ways, and one sentence for what cannot be a pipeline."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_files_cross_both_ways, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(41)
X = RNG.uniform(0, 255, size=(4, 6, 6, 3)).astype(np.float32)


def _model(lib):
    inp = lib.Input((6, 6, 3))
    pipe = lib.layers.Pipeline([lib.layers.RandomFlip(seed=1), lib.layers.RandomContrast(0.3, seed=2),
                                lib.layers.Rescaling(1 / 255), lib.layers.Dense(2)])
    return lib.Model(inp, lib.layers.Dense(1)(lib.layers.Flatten()(pipe(inp))))


def test_outputs_weights_and_config_as_keras():
    real = real_keras()
    theirs, ours = _model(real), _model(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-5, atol=1e-5)
    pipe, their_pipe = ours.layers[1], theirs.layers[1]
    assert [type(layer).__name__ for layer in pipe.layers] == [type(layer).__name__ for layer in their_pipe.layers]
    assert [e["class_name"] for e in pipe.get_config()["layers"]] == \
        [e["class_name"] for e in their_pipe.get_config()["layers"]]
    assert [p.shape for p in pipe.weights] == [(3, 2), (2,)]  # its Dense's weights are its own


def test_called_on_its_own_it_augments_and_in_inference_it_passes():
    pipe = keras.layers.Pipeline([keras.layers.RandomFlip("horizontal", seed=3),
                                  keras.layers.RandomBrightness(0.5, seed=4)])
    assert not np.array_equal(pipe(X).numpy(), X)  # Keras's call(training=True)
    np.testing.assert_array_equal(pipe(X, training=False).numpy(), X)
    again = keras.layers.Pipeline.from_config(pipe.get_config())
    assert [type(layer).__name__ for layer in again.layers] == ["RandomFlip", "RandomBrightness"]
    ds = fl.data.Dataset.from_tensor_slices((X, np.arange(4))).batch(2).map(lambda x, y: (pipe(x), y))
    batches = list(ds)
    assert len(batches) == 2 and np.asarray(batches[0][0]).shape == (2, 6, 6, 3)
    model = _model(keras)
    model.compile("adam", "mse")
    assert np.isfinite(model.fit(X, np.ones((4, 1)), epochs=2, verbose=0).history["loss"]).all()


def test_files_cross_both_ways(tmp_path):
    real = real_keras()
    theirs, ours = _model(real), _model(keras)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    assert_files_cross_both_ways(real, theirs, ours, X, tmp_path)
    stacked = fl.Sequential([keras.Input((6, 6, 3)), keras.layers.Pipeline([keras.layers.CenterCrop(4, 4),
                                                                            keras.layers.Dense(2)])])
    stacked.save(tmp_path / "stacked.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "stacked.keras").predict(X, verbose=0),
                                  stacked.predict(X, verbose=0))


@pytest.mark.parametrize("make, message", [
    (lambda: keras.layers.Pipeline([]), "takes a list of layers"),
    (lambda: keras.layers.Pipeline(keras.layers.Dense(2)), "takes a list of layers"),
    (lambda: keras.layers.Pipeline([keras.layers.Dense(2), "relu"]), "its list holds str"),
])
def test_what_cannot_be_a_pipeline_is_one_sentence(make, message):
    with pytest.raises(ConfigError, match=message) as caught:
        make()
    text = str(caught.value)
    assert re.search(r"(?<!e\.g)[.;] [A-Z]", text) is None and text.endswith(".")
