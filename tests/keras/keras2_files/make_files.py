"""Write the Keras 2 model files the legacy-HDF5 tests read: real files of real Keras 2 (``tf_keras``, the Keras 2
of TensorFlow 2.16+), kept small and committed, because TensorFlow is far too large for the test machine.

Run from the repository root, in an environment with ``pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0``:

    python tests/keras/keras2_files/make_files.py

Each model is trained for two epochs on seeded random data (so its optimizer has state) and saved as
``model.save("<name>.h5")``, Keras 2's HDF5 file; ``expected.npz`` holds, per model, the inputs (``<name>_x``), the
labels (``<name>_y``), its predictions (``<name>_p``), the loss of an ``evaluate`` (``<name>_loss``) and, for the
models whose next epoch fnlearn can repeat step for step, its predictions after one more epoch of ``fit`` on the
same data, unshuffled, batch 16 (``<name>_next``): not ``mlp`` nor ``settings``, whose Dropout and RandomFlip draw
their own masks and flips, nor ``text``, whose RMSprop adds ε inside the square root (fnlearn's adds it after, as
the lecture writes it).
``mlp_weights.h5`` is ``save_weights`` of the first model.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(0)


def mlp():
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)), keras.layers.Dropout(0.2),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, RNG.normal(size=(48, 4)).astype("float32"), RNG.integers(0, 3, 48)


def cnn():
    model = keras.Sequential([
        keras.layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), keras.layers.BatchNormalization(),
        keras.layers.MaxPooling2D(), keras.layers.Conv2D(3, 3, padding="same"), keras.layers.Flatten(),
        keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model, RNG.random((48, 8, 8, 1)).astype("float32"), RNG.integers(0, 2, 48)


def text():
    model = keras.Sequential([keras.layers.Embedding(20, 4, mask_zero=True, input_length=6), keras.layers.LSTM(5),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.RMSprop(1e-2), "binary_crossentropy", metrics=["accuracy"])
    x = RNG.integers(1, 20, (48, 6))
    x[::3, 4:] = 0  # padded reviews: the mask matters
    return model, x.astype("float32"), RNG.integers(0, 2, 48).astype("float32")


def graph():
    inputs = keras.Input(shape=(5,), name="features")
    hidden = keras.layers.Dense(6, activation="tanh", name="hidden")(inputs)
    left = keras.layers.Dense(3, activation="relu", name="left")(hidden)
    right = keras.layers.Dense(3, name="right")(hidden)
    joined = keras.layers.Concatenate(name="joined")([left, right])
    summed = keras.layers.Add(name="summed")([left, right])
    both = keras.layers.Concatenate()([joined, summed])
    outputs = keras.layers.Dense(1, name="score")(both)
    model = keras.Model(inputs, outputs, name="two_branches")
    model.compile(keras.optimizers.legacy.Adam(learning_rate=1e-2, decay=1e-2), "mse", metrics=["mae"])
    return model, RNG.normal(size=(48, 5)).astype("float32"), RNG.normal(size=(48, 1)).astype("float32")


def recurrent():
    inputs = keras.Input(shape=(7, 3))
    seq = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True))(inputs)
    last = keras.layers.SimpleRNN(3)(seq)
    outputs = keras.layers.Dense(2, activation="softmax")(last)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model, RNG.normal(size=(48, 7, 3)).astype("float32"), RNG.integers(0, 2, 48)


def nested():
    inner = keras.Sequential([keras.layers.Dense(4, activation="relu", input_shape=(3,)), keras.layers.Dense(2)],
                             name="inner")
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(1)(keras.layers.Concatenate()([inner(inputs), inputs]))
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.legacy.SGD(0.05, momentum=0.9, nesterov=True), "mse")
    return model, RNG.normal(size=(48, 3)).astype("float32"), RNG.normal(size=(48, 1)).astype("float32")


def sequence():
    model = keras.Sequential([
        keras.layers.Embedding(30, 8, input_length=10), keras.layers.Conv1D(6, 3, activation="relu"),
        keras.layers.LayerNormalization(), keras.layers.TimeDistributed(keras.layers.Dense(4)),
        keras.layers.GRU(3, reset_after=False, return_sequences=True), keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adagrad(0.1), "binary_crossentropy")
    return model, RNG.integers(0, 30, (48, 10)).astype("float32"), RNG.integers(0, 2, (48, 1)).astype("float32")


def settings():
    """Keras 2's own spellings and leftovers: LeakyReLU's alpha, a separable convolution's unused kernel settings,
    an adapted Normalization's statistics kept as weights, an augmentation layer's rng_type."""
    x = RNG.normal(size=(48, 6, 6, 2)).astype("float32")
    normalize = keras.layers.Normalization()
    normalize.adapt(x)
    model = keras.Sequential([
        keras.Input(shape=(6, 6, 2)), normalize, keras.layers.RandomFlip("horizontal"),
        keras.layers.SeparableConv2D(3, 3, depth_multiplier=2), keras.layers.LeakyReLU(alpha=0.2),
        keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    return model, x, RNG.normal(size=(48, 1)).astype("float32")


def attention():
    inputs = keras.Input(shape=(5, 4))
    attended = keras.layers.MultiHeadAttention(2, 3)(inputs, inputs)
    normed = keras.layers.LayerNormalization()(keras.layers.Add()([inputs, attended]))
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(normed))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mse")
    return model, RNG.normal(size=(48, 5, 4)).astype("float32"), RNG.normal(size=(48, 1)).astype("float32")


def arithmetic():
    """Arithmetic on tensors, which Keras 2 records as TensorFlow functions (TFOpLambda layers)."""
    inputs = keras.Input(shape=(4,))
    hidden = keras.layers.Dense(4)(inputs)
    mixed = -((2.0 * (hidden + inputs)) / 4.0) - hidden
    model = keras.Model(inputs, keras.layers.Dense(1)(mixed))
    model.compile("adam", "mse")
    return model, RNG.normal(size=(48, 4)).astype("float32"), RNG.normal(size=(48, 1)).astype("float32")


def main() -> None:
    keras.utils.set_random_seed(0)
    expected = {}
    for make in (mlp, cnn, text, graph, recurrent, nested, sequence, settings, attention, arithmetic):
        name = make.__name__
        model, x, y = make()
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        model.save(os.path.join(HERE, f"{name}.h5"))
        if name == "mlp":
            model.save_weights(os.path.join(HERE, "mlp_weights.h5"))
        expected[f"{name}_x"], expected[f"{name}_y"] = x, y
        expected[f"{name}_p"] = model.predict(x, verbose=0)
        expected[f"{name}_loss"] = np.float64(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])
        if name not in ("mlp", "text", "settings"):
            model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
            expected[f"{name}_next"] = model.predict(x, verbose=0)
    np.savez_compressed(os.path.join(HERE, "expected.npz"), **expected)


if __name__ == "__main__":
    main()
