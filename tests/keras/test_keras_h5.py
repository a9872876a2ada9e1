"""Keras's HDF5 files (``model.save("m.h5")``, ``save_weights("w.h5")``), read by fnlearn: real files of Keras 2
(committed, made by ``keras2_files/make_files.py`` with tf.keras) and files real Keras 3 writes in the test."""

from __future__ import annotations

import json
import os
import shutil
import warnings

import h5py
import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.backend import to_numpy
from fnlearn.errors import ModelFileError

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras2_files")
EXPECTED = np.load(os.path.join(HERE, "expected.npz"))
MODELS = ["mlp", "cnn", "text", "graph", "recurrent", "nested", "sequence", "settings", "attention",
          "arithmetic"]
RNG = np.random.default_rng(0)


def _file(name: str) -> str:
    return os.path.join(HERE, f"{name}.h5")


def _state(optimizer, slot):
    return [to_numpy(state[slot]) for state in optimizer.state]


@pytest.mark.parametrize("name", MODELS)
def test_a_keras2_model_file_comes_over_with_its_weights_and_compile_settings(name):
    """Architecture, weights, loss and metrics: the same predictions and the same evaluate loss as tf.keras."""
    model = keras.models.load_model(_file(name))
    x, y = EXPECTED[f"{name}_x"], EXPECTED[f"{name}_y"]
    np.testing.assert_allclose(model.predict(x, verbose=0), EXPECTED[f"{name}_p"], rtol=1e-5, atol=1e-6)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(float(EXPECTED[f"{name}_loss"]), rel=1e-5)
    assert model.optimizer.iterations == 6  # two epochs of three batches, as tf.keras counted them
    assert {"mlp": "accuracy", "cnn": "accuracy", "text": "accuracy", "graph": "mae"}.get(name, "loss") in logs
    if name == "settings":  # the adapted Normalization's statistics, kept by Keras as weights
        with h5py.File(_file(name), "r") as h5:
            mean = np.asarray(h5["model_weights/normalization/mean:0"])
        np.testing.assert_array_equal(to_numpy(model.layers[0].mean.data).reshape(mean.shape), mean)


@pytest.mark.parametrize("name", ["cnn", "graph", "recurrent", "nested", "sequence", "attention", "arithmetic"])
def test_training_goes_on_where_keras2_stopped(name):
    """One more epoch, unshuffled: the same predictions as tf.keras's — SGD's momentum (legacy Nesterov's too),
    Adam's moments and step count (its bias correction), Adagrad's sums, and a legacy optimizer's ``decay``
    (graph: η / (1 + decay · step)) carried over; a nested model's calls, which Keras 2 numbers from 1."""
    model = keras.models.load_model(_file(name))
    x, y = EXPECTED[f"{name}_x"], EXPECTED[f"{name}_y"]
    model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0), EXPECTED[f"{name}_next"], rtol=1e-5, atol=5e-6)


def test_optimizer_slots_are_found_by_the_names_of_their_weights():
    """Keras 2 names each optimizer variable after its weight (``Adam/m/dense/kernel:0``): each of fnlearn's
    slots gets the variable of its own weight, whatever order the file lists them in."""
    model = keras.models.load_model(_file("mlp"))
    with h5py.File(_file("mlp"), "r") as h5:
        group = h5["optimizer_weights"]
        for slot, keras_slot in (("m", "m"), ("v", "v")):
            expected = [np.asarray(group[f"Adam/{keras_slot}/{path}:0"]) for path in
                        ("dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias")]
            for ours, theirs in zip(_state(model.optimizer, slot), expected):
                np.testing.assert_array_equal(ours, theirs)
    text = keras.models.load_model(_file("text"))  # RMSprop: its "velocity", of the embedding and the LSTM too
    with h5py.File(_file("text"), "r") as h5:
        velocity = np.asarray(h5["optimizer_weights"]["RMSprop/velocity/lstm/lstm_cell/recurrent_kernel:0"])
    assert any(np.array_equal(v, velocity) for v in _state(text.optimizer, "v"))


def test_compile_false_and_settings_of_the_file():
    plain = keras.models.load_model(_file("cnn"), compile=False)
    assert not plain.compiled
    model = keras.models.load_model(_file("cnn"))
    assert type(model.optimizer).__name__ == "SGD" and model.optimizer.momentum == pytest.approx(0.9)
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    graph = keras.models.load_model(_file("graph"))  # legacy Adam(learning_rate=1e-2, decay=1e-2), six steps taken
    assert graph.optimizer.learning_rate == pytest.approx(0.01 / (1 + 0.01 * 6), rel=1e-6)


def test_weights_files_of_keras2_load_into_a_model_with_the_same_layer_names(tmp_path):
    x = EXPECTED["mlp_x"]

    def mlp():
        return keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu", name="dense"),
                                 keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax",
                                                                               name="dense_1")])

    for path in (os.path.join(HERE, "mlp_weights.h5"), _file("mlp")):  # save_weights, or a whole model's file
        model = mlp()
        model.load_weights(path)
        np.testing.assert_allclose(model.predict(x, verbose=0), EXPECTED["mlp_p"], rtol=1e-5, atol=1e-6)


def test_a_weights_file_for_another_model_is_refused_before_any_weight_changes():
    other = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, name="dense"),
                              keras.layers.Dense(3, name="elsewhere")])
    before = other.get_weights()
    with pytest.raises(ModelFileError, match="no weights for layer 'elsewhere'"):
        other.load_weights(os.path.join(HERE, "mlp_weights.h5"))
    wider = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(9, name="dense"),
                              keras.layers.Dense(3, name="dense_1")])
    wide_before = wider.get_weights()
    with pytest.raises(ModelFileError, match=r"shapes \[\(4, 8\), \(8,\)\] for layer 'dense'"):
        wider.load_weights(os.path.join(HERE, "mlp_weights.h5"))
    for ours, theirs in ((other, before), (wider, wide_before)):
        for a, b in zip(ours.get_weights(), theirs):
            np.testing.assert_array_equal(a, b)


def test_a_weights_only_file_given_to_load_model_says_to_use_load_weights():
    with pytest.raises(ModelFileError, match=r"holds weights only .* model.load_weights"):
        keras.models.load_model(os.path.join(HERE, "mlp_weights.h5"))


def test_a_damaged_model_config_is_named(tmp_path):
    path = tmp_path / "m.h5"
    shutil.copy(_file("mlp"), path)
    with h5py.File(path, "a") as h5:
        h5.attrs["model_config"] = "{not json"
    with pytest.raises(ModelFileError, match="model_config that is not valid JSON"):
        keras.models.load_model(path)


def test_keras2_json_and_the_older_list_form_build_the_model():
    """``model_from_json`` of tf.keras's ``to_json()``, and Keras 2.2's Sequential config (its layers as a plain
    list, the input shape on the first layer, no InputLayer)."""
    with h5py.File(_file("cnn"), "r") as h5:
        document = h5.attrs["model_config"]
    model = keras.models.model_from_json(document if isinstance(document, str) else document.decode())
    assert model.count_params() == keras.models.load_model(_file("cnn")).count_params()
    old = {"class_name": "Sequential", "keras_version": "2.2.4", "backend": "tensorflow", "config": [
        {"class_name": "Dense", "config": {"name": "dense_1", "trainable": True, "batch_input_shape": [None, 3],
                                           "dtype": "float32", "units": 2, "activation": "relu", "use_bias": True}},
        {"class_name": "Dense", "config": {"name": "dense_2", "units": 1, "activation": "linear"}}]}
    built = keras.models.model_from_json(json.dumps(old))
    assert built.predict(np.ones((5, 3), "float32"), verbose=0).shape == (5, 1)
    assert [type(layer).__name__ for layer in built.layers][-2:] == ["Dense", "Dense"]


def test_a_keras3_h5_file_comes_over_and_trains_on(tmp_path):
    """Keras 3 still writes the legacy format for a name ending .h5 (its own weight paths, its optimizer's
    variables in its order)."""
    real = real_keras()
    real.utils.set_random_seed(1)
    x, y = RNG.normal(size=(32, 4)).astype("float32"), RNG.normal(size=(32, 2)).astype("float32")
    theirs = real.Sequential([real.Input((4,)), real.layers.Dense(5, activation="relu"),
                              real.layers.BatchNormalization(), real.layers.Dense(2)])
    theirs.compile(real.optimizers.Adam(1e-2), "mse", metrics=["mae"])
    theirs.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "m.h5"
    with warnings.catch_warnings():  # Keras calls the format legacy
        warnings.simplefilter("ignore")
        theirs.save(path)
    ours = fl.load_model(path)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert ours.optimizer.iterations == 8
    for model in (theirs, ours):
        model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=2e-5)



def test_a_tensorflow_function_fnlearn_lacks_is_refused_by_its_name():
    """Keras 2 records ``tf.concat(...)`` on tensors as a TFOpLambda layer: refused in one sentence naming it."""
    entry = {"class_name": "TFOpLambda", "name": "tf.concat",
             "config": {"name": "tf.concat", "trainable": True, "dtype": "float32", "function": "concat"},
             "inbound_nodes": [[["a", 0, 0, {"axis": -1}]]]}
    document = {"class_name": "Functional", "keras_version": "2.15.0", "config": {
        "name": "m", "layers": [
            {"class_name": "InputLayer", "name": "a", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "name": "a"}}, entry],
        "input_layers": [["a", 0, 0]], "output_layers": [["tf.concat", 0, 0]]}}
    with pytest.raises(fl.errors.ConfigError, match=r"calls TensorFlow's tf\.concat on tensors .* Concatenate"):
        keras.models.model_from_json(json.dumps(document))
