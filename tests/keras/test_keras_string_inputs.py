"""A model of several Inputs, one of them texts (``keras.Input(dtype="string")``), as Keras's structured-data tutorial
builds it: numbers and a category column side by side, the category looked up inside the model."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ShapeError

RNG = np.random.default_rng(2)
KINDS = np.array(["fixed", "normal", "reversible", "1", "2"])
N = 40
AGE = RNG.normal(size=(N, 1)).astype(np.float32)
THAL = KINDS[RNG.integers(0, len(KINDS), size=(N, 1))]
Y = (RNG.random((N, 1)) < 0.4).astype(np.float32)
VOCABULARY = ["fixed", "normal", "reversible"]


def _with_lookup():
    age, thal = keras.Input((1,), name="age"), keras.Input((1,), name="thal", dtype="string")
    encoded = keras.layers.StringLookup(vocabulary=VOCABULARY, output_mode="one_hot")(thal)
    hidden = keras.layers.Dense(4, activation="relu")(keras.layers.concatenate([age, encoded]))
    return keras.Model([age, thal], keras.layers.Dense(1, activation="sigmoid")(hidden))


def _on_numbers():
    age, thal = keras.Input((1,), name="age"), keras.Input((len(VOCABULARY) + 1,), name="thal")
    hidden = keras.layers.Dense(4, activation="relu")(keras.layers.concatenate([age, thal]))
    return keras.Model([age, thal], keras.layers.Dense(1, activation="sigmoid")(hidden))


def _one_hot(texts):
    return keras.layers.StringLookup(vocabulary=VOCABULARY, output_mode="one_hot")(texts).numpy()


def test_trains_evaluates_and_predicts_as_the_model_given_the_looked_up_numbers():
    fl.set_seed(0)
    ours, plain = _with_lookup(), _on_numbers()
    plain.set_weights(ours.get_weights())
    history = {}
    for model, thal, val_thal in ((ours, THAL, THAL[:8]), (plain, _one_hot(THAL), _one_hot(THAL[:8]))):
        model.compile(keras.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
        history[id(model)] = model.fit({"age": AGE, "thal": thal}, Y, batch_size=8, epochs=3, shuffle=False,
                                       validation_data=({"age": AGE[:8], "thal": val_thal}, Y[:8]), verbose=0).history
    for key, values in history[id(plain)].items():
        np.testing.assert_allclose(history[id(ours)][key], values, rtol=1e-5, err_msg=key)
    for a, b in zip(ours.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours.predict([AGE, THAL], verbose=0), plain.predict([AGE, _one_hot(THAL)], verbose=0),
                               rtol=1e-5)
    assert ours.evaluate({"age": AGE, "thal": THAL}, Y, verbose=0) == \
        pytest.approx(plain.evaluate({"age": AGE, "thal": _one_hot(THAL)}, Y, verbose=0), rel=1e-5)
    called = ours({"age": AGE[:3], "thal": THAL[:3]}).numpy()
    np.testing.assert_allclose(called, plain({"age": AGE[:3], "thal": _one_hot(THAL[:3])}).numpy(), rtol=1e-5)


def test_texts_never_met_before_and_a_flat_column_of_texts(tmp_path):
    model = _with_lookup()
    model.compile("adam", "binary_crossentropy")
    model.fit({"age": AGE, "thal": THAL[:, 0]}, Y, epochs=1, verbose=0)  # (n,) texts for an Input of (1,)
    fresh = np.array([["never seen"], ["fixed"]])
    first = model.predict({"age": AGE[:2], "thal": fresh}, verbose=0)
    unknown = model.predict({"age": AGE[:2], "thal": np.array([["other unseen"], ["fixed"]])}, verbose=0)
    np.testing.assert_allclose(first, unknown, rtol=1e-6)  # both out-of-vocabulary texts: the same index
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict({"age": AGE[:2], "thal": fresh}, verbose=0), first, rtol=1e-6)


def test_rows_that_differ_between_the_inputs_are_one_sentence():
    model = _with_lookup()
    model.compile("adam", "binary_crossentropy")
    with pytest.raises(ShapeError, match="thal"):
        model.fit({"age": AGE, "thal": THAL[:10]}, Y, epochs=1, verbose=0)


def test_the_structured_data_tutorials_dataset_of_a_dataframe_and_its_one_sample_prediction():
    import pandas as pd

    from fnlearn.compat import tensorflow as tf

    frame = pd.DataFrame({"age": AGE[:, 0], "thal": THAL[:, 0]})
    ds = tf.data.Dataset.from_tensor_slices((dict(frame), Y[:, 0])).batch(8)
    age, thal = keras.Input((1,), name="age"), keras.Input((1,), name="thal", dtype="string")
    lookup = keras.layers.StringLookup(output_mode="one_hot")
    lookup.adapt(frame["thal"].values)
    model = keras.Model([age, thal], keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.concatenate([age, lookup(thal)])))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(ds, epochs=2, verbose=0).history
    assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all()
    np.testing.assert_allclose(model.predict(ds, verbose=0), model.predict([AGE, THAL], verbose=0), rtol=1e-6)
    sample = {"age": float(AGE[3, 0]), "thal": str(THAL[3, 0])}
    input_dict = {name: keras.ops.convert_to_tensor([value]) for name, value in sample.items()}
    assert input_dict["thal"].dtype.kind == "U"
    np.testing.assert_allclose(model.predict(input_dict, verbose=0), model.predict([AGE[3:4], THAL[3:4]], verbose=0),
                               rtol=1e-6)
