"""Write the Keras 3 model files with vocabulary layers the tests read: Keras 3's TextVectorization, StringLookup and
IntegerLookup need TensorFlow, far too large for the test machine, so these small real files are committed.

Run from the repository root, in an environment with ``pip install tensorflow-cpu==2.21.0 keras==3.15.1``:

    python tests/keras/keras_text_files/make_files.py

Each model is fitted for one epoch on a few seeded texts and saved with ``model.save("<name>.keras")``;
``expected.npz`` holds its inputs (``<name>_x``) and predictions (``<name>_p``). The adapted layers keep their
vocabularies beside the weights (``assets/layers/<layer>/vocabulary.txt``), ``"tf_idf"`` mode its weights too.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402  (Keras 3 takes strings as TensorFlow tensors only)

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(0)
WORDS = "the cat dog sat ran far away and a on mat log sun rain".split()


def texts(n: int) -> np.ndarray:
    return np.array([" ".join(RNG.choice(WORDS, RNG.integers(2, 8))).capitalize() + "!" for _ in range(n)])


def text_int():
    vectorize = keras.layers.TextVectorization(max_tokens=12, output_sequence_length=6)
    x = texts(40)
    vectorize.adapt(x)
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), vectorize, keras.layers.Embedding(12, 4),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    return model, x, RNG.integers(0, 2, 40).astype("float32")


def text_tfidf():
    vectorize = keras.layers.TextVectorization(max_tokens=10, output_mode="tf_idf", ngrams=2)
    x = texts(40)
    vectorize.adapt(x)
    model = keras.Sequential([keras.Input(shape=(), dtype="string"), vectorize,
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model, x, RNG.integers(0, 2, 40)


def words():
    lookup = keras.layers.StringLookup()
    x = RNG.choice(["red", "green", "blue", "pink", "grey"], (40, 2), p=[0.3, 0.3, 0.2, 0.15, 0.05])
    lookup.adapt(x[:30])
    model = keras.Sequential([keras.Input(shape=(2,), dtype="string"), lookup, keras.layers.Embedding(7, 3),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model, x, RNG.normal(size=(40, 1)).astype("float32")


def years():
    lookup = keras.layers.IntegerLookup(output_mode="one_hot")
    x = RNG.choice([1990, 2000, 2010, 2020, 1980], (40, 1)).astype("int64")
    lookup.adapt(x[:30])
    model = keras.Sequential([keras.Input(shape=(1,), dtype="int64"), lookup, keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model, x, RNG.normal(size=(40, 1)).astype("float32")


def main() -> None:
    keras.utils.set_random_seed(0)
    expected = {}
    for make in (text_int, text_tfidf, words, years):
        name = make.__name__
        model, x, y = make()
        inputs = tf.constant(x)
        model.fit(tf.data.Dataset.from_tensor_slices((inputs, y)).batch(8), epochs=1, verbose=0)
        model.save(os.path.join(HERE, f"{name}.keras"))
        expected[f"{name}_x"] = x
        expected[f"{name}_p"] = model.predict(tf.data.Dataset.from_tensor_slices(inputs).batch(8), verbose=0)
    np.savez_compressed(os.path.join(HERE, "expected.npz"), **expected)


if __name__ == "__main__":
    main()
