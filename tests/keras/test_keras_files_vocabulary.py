"""Keras 3 files of models with vocabulary layers (TextVectorization, StringLookup, IntegerLookup), both ways: real
files read by fnlearn, committed (``keras_text_files/make_files.py``), since Keras 3 needs TensorFlow for these
layers; and the files ``export_keras`` writes for them (checked against real Keras on TensorFlow when they were
written; here, against Keras's layout as fnlearn reads it)."""

from __future__ import annotations

import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ModelFileError

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras_text_files")
EXPECTED = np.load(os.path.join(HERE, "expected.npz"))
# (file, the layer's path in it, its first vocabulary entries as fnlearn's get_vocabulary gives them)
FILES = [("text_int", "text_vectorization", ["", "[UNK]"]), ("text_tfidf", "text_vectorization", ["[UNK]"]),
         ("words", "string_lookup", ["[UNK]"]), ("years", "integer_lookup", [-1])]


def _file(name: str) -> str:
    return os.path.join(HERE, f"{name}.keras")


def _asset(name: str, layer: str) -> list[str]:
    with zipfile.ZipFile(_file(name)) as archive:
        return archive.read(f"assets/layers/{layer}/vocabulary.txt").decode().split("\n")


@pytest.mark.parametrize("name,layer,specials", FILES, ids=[f[0] for f in FILES])
def test_an_adapted_vocabulary_comes_over_from_the_files_assets(name, layer, specials):
    """The vocabulary Keras kept beside the weights (and tf_idf's weights, kept with them), before the layers
    after it are built: the same predictions as Keras, on raw texts, words or years."""
    model = fl.load_model(_file(name))
    vocabulary = model.layers[0].get_vocabulary()
    assert vocabulary[:len(specials)] == specials
    assert [str(token) for token in vocabulary] == _asset(name, layer)
    np.testing.assert_allclose(model.predict(EXPECTED[f"{name}_x"], verbose=0), EXPECTED[f"{name}_p"],
                               rtol=1e-5, atol=1e-6)


def test_a_loaded_text_model_trains_on_raw_texts():
    model = fl.load_model(_file("text_int"))
    texts = EXPECTED["text_int_x"]
    labels = (np.char.find(np.char.lower(texts.astype(str)), "cat") >= 0).astype("float32")
    history = model.fit(texts, labels, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_a_damaged_integer_vocabulary_is_named(tmp_path):
    path = tmp_path / "years.keras"
    with zipfile.ZipFile(_file("years")) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            target.writestr(item, b"-1\n1980\nnineteen\n" if item.endswith("vocabulary.txt") else data)
    with pytest.raises(ModelFileError, match=r"IntegerLookup vocabulary \(assets/layers/integer_lookup\) that is "
                                             "not integers"):
        fl.load_model(path)


TEXTS = np.array(["a great movie", "a bad movie", "great fun", "bad plot, bad acting", "great!", "so bad"] * 4)


def _exported(model, tmp_path):
    path = tmp_path / "m.keras"
    fl.io.export_keras(model, path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    return path, config, weights


@pytest.mark.parametrize("mode", ["int", "tf_idf"])
def test_export_writes_an_adapted_vocabulary_and_its_weights_where_keras_reads_them(tmp_path, mode):
    """The vocabulary goes in the layer's config (Keras's TextVectorization(vocabulary=…) takes it), tf_idf's
    weights in its variables and its inner lookup layer's, as Keras's loader reads them; the Input is of strings.
    The file comes back with the same predictions."""
    vectorize = keras.layers.TextVectorization(max_tokens=8, output_mode=mode, output_sequence_length=5
                                               if mode == "int" else None, ngrams=None if mode == "int" else 2)
    vectorize.adapt(TEXTS)
    after = [keras.layers.Embedding(8, 4), keras.layers.GlobalAveragePooling1D()] if mode == "int" else []
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), vectorize, *after, keras.layers.Dense(2)])
    path, config, weights = _exported(model, tmp_path)
    entries = config["config"]["layers"]
    assert entries[0]["config"]["dtype"] == "string"
    assert entries[1]["config"]["vocabulary"] == vectorize.get_vocabulary()
    assert "has_input_vocabulary" not in entries[1]["config"]
    with weights:
        for group in ("layers/text_vectorization/vars", "layers/text_vectorization/_lookup_layer/vars"):
            if mode == "tf_idf":
                np.testing.assert_allclose(np.asarray(weights[f"{group}/idf_weights"]),
                                           vectorize.get_config()["idf_weights"], rtol=1e-6)
            else:
                assert "idf_weights" not in weights[group]
    back = fl.load_model(path)
    np.testing.assert_allclose(back.predict(TEXTS, verbose=0), model.predict(TEXTS, verbose=0), rtol=1e-6)


def test_export_writes_lookups_of_words_and_of_integers(tmp_path):
    words = keras.layers.StringLookup()
    words.adapt(np.array([["red", "blue"], ["green", "red"]]))
    model = keras.Sequential([keras.Input(shape=(2,), dtype="string"), words, keras.layers.Embedding(5, 2),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    x = np.array([["red", "pink"], ["blue", "green"]])
    path, config, weights = _exported(model, tmp_path)
    weights.close()
    assert config["config"]["layers"][1]["config"]["vocabulary"] == words.get_vocabulary()
    np.testing.assert_allclose(fl.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    years = keras.layers.IntegerLookup(output_mode="one_hot")
    years.adapt(np.array([[1990], [2000], [1990]]))
    model = keras.Sequential([keras.Input(shape=(1,), dtype="int64"), years, keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    path, config, weights = _exported(model, tmp_path)
    weights.close()
    assert config["config"]["layers"][1]["config"]["vocabulary"] == years.get_vocabulary()
    x = np.array([[1990], [2000], [5]])
    np.testing.assert_allclose(fl.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_export_refuses_a_standardize_function_of_ones_own(tmp_path):
    vectorize = keras.layers.TextVectorization(standardize=lambda texts: texts, output_sequence_length=3)
    vectorize.adapt(TEXTS)
    model = keras.Sequential([keras.Input(shape=(1,), dtype="string"), vectorize, keras.layers.Embedding(20, 2),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    with pytest.raises(ConfigError, match=r"standardize function of your own \(.<lambda>.\), which a Keras file"):
        fl.io.export_keras(model, tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
