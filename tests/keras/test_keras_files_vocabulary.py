"""Keras 3 files of models with vocabulary layers (TextVectorization, StringLookup, IntegerLookup), read by fnlearn:
real files, committed (``keras_text_files/make_files.py``), since Keras 3 needs TensorFlow for these layers."""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ModelFileError

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
