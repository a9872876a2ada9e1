"""Models used as layers of other models, as the tutorials use them: a ``data_augmentation`` Sequential first in the
classifier, a frozen base model under a new head, one model shared by two branches. They build as soon as the
input shape is known, show their shapes in ``summary``, and are saved and loaded whole."""

from __future__ import annotations

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import io, keras
from fnlearn.errors import ConfigError, ModelFileError
from fnlearn.keras import layers

RNG = np.random.default_rng(5)
IMAGES = (RNG.random((12, 8, 8, 3)) * 255).astype(np.float32)
CLASSES = RNG.integers(0, 3, 12)


def augmented_classifier(first_layer_declares: bool = False) -> keras.Sequential:
    """The image-classification tutorial's model, small: augmentation as a model of its own, then the network."""
    flip = layers.RandomFlip("horizontal", input_shape=(8, 8, 3)) if first_layer_declares else \
        layers.RandomFlip("horizontal")
    data_augmentation = keras.Sequential([flip, layers.RandomRotation(0.1)], name="data_augmentation")
    start = [] if first_layer_declares else [keras.Input(shape=(8, 8, 3))]
    return keras.Sequential([*start, data_augmentation, layers.Rescaling(1.0 / 255),
                             layers.Conv2D(4, 3, padding="same", activation="relu"), layers.MaxPooling2D(),
                             layers.Flatten(), layers.Dense(3)], name="classifier")


@pytest.mark.parametrize("first_layer_declares", [False, True])
def test_a_model_first_in_a_sequential_is_built_from_the_input_shape(first_layer_declares, capsys):
    model = augmented_classifier(first_layer_declares)
    assert model.built and model.input_shape == (None, 8, 8, 3) and model.output_shape == (None, 3)
    assert model.layers[0].input_shape == (None, 8, 8, 3)
    model.summary()
    table = capsys.readouterr().out
    assert table.splitlines()[4].split() == ["data_augmentation", "(Sequential)", "(None,", "8,", "8,", "3)", "0"]
    assert "?" not in table and "unbuilt" not in table
    assert f"Total params: {model.num_parameters():,}" in table


def test_an_input_that_disagrees_with_the_model_after_it_is_refused():
    inner = keras.Sequential([layers.Dense(2, input_shape=(5,))], name="inner")
    with pytest.raises(ConfigError, match=r"model 'inner' takes samples of shape \(5,\), but the Input before it "
                                          r"declares \(4,\); keep only one of them"):
        keras.Sequential([keras.Input(shape=(4,)), inner])


@pytest.mark.parametrize("loader", [keras.models.load_model, fl.load_model])
def test_the_augmentation_tutorial_model_saves_and_loads_whole(tmp_path, loader):
    fl.set_seed(1)
    model = augmented_classifier()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(IMAGES, CLASSES, epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "flowers.keras")
    again = loader(tmp_path / "flowers.keras")
    inner = again.layers[0]
    assert isinstance(inner, fl.Sequential) and inner.name == "data_augmentation"
    assert [type(layer).__name__ for layer in inner.layers] == ["RandomFlip", "RandomRotation"]
    assert inner.layers[1].factor == model.layers[0].layers[1].factor
    np.testing.assert_array_equal(again.predict(IMAGES, verbose=0), model.predict(IMAGES, verbose=0))
    assert again.compiled and again.optimizer.iterations == model.optimizer.iterations
    draws = inner.layers[0].draws
    again.fit(IMAGES, CLASSES, epochs=1, batch_size=4, verbose=0)
    assert inner.layers[0].draws == draws + 3  # the loaded augmentation still augments each training batch


def frozen_base_with_head(seed: int) -> keras.Sequential:
    """A base model (functional, with Dropout) frozen under a new head: transfer learning's shape, small."""
    fl.set_seed(seed)
    inputs = keras.Input(shape=(6,))
    features = layers.Dropout(0.2)(layers.Dense(5, activation="relu")(inputs))
    base = keras.Model(inputs, features, name="base")
    base.trainable = False
    model = keras.Sequential([keras.Input(shape=(6,)), base, layers.Dropout(0.3), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def test_a_frozen_base_model_stays_frozen_and_training_resumes_bit_for_bit(tmp_path, float64):
    x, y = RNG.random((20, 6)), RNG.random((20, 2))
    straight = frozen_base_with_head(7)
    base_before = [w.copy() for w in straight.layers[0].get_weights()]
    straight.fit(x, y, epochs=4, batch_size=5, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(base_before, straight.layers[0].get_weights()))

    first = frozen_base_with_head(7)
    first.fit(x, y, epochs=2, batch_size=5, verbose=0)
    first.save(tmp_path / "half.fnl")
    resumed = keras.models.load_model(tmp_path / "half.fnl")
    assert not resumed.layers[0].trainable and len(resumed.trainable_weights) == 2
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=5, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        assert a.dtype == b.dtype == np.float64 and np.array_equal(a, b)


def test_a_model_shared_by_two_branches_round_trips(tmp_path):
    left, right = keras.Input(shape=(4,), name="left"), keras.Input(shape=(4,), name="right")
    shared = keras.Sequential([layers.Dense(3, activation="tanh")], name="shared")
    joined = layers.Concatenate()([shared(left), shared(right)])
    model = keras.Model([left, right], layers.Dense(1)(joined))
    x = [RNG.random((5, 4)).astype(np.float32), RNG.random((5, 4)).astype(np.float32)]
    model.save(tmp_path / "siamese.fnl")
    again = keras.models.load_model(tmp_path / "siamese.fnl")
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    assert [layer.name for layer in again.layers][:3] == ["left", "right", "shared"]
    assert again.num_parameters() == model.num_parameters() == 15 + 7
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_weights_alone_load_into_the_same_nested_model_made_again(tmp_path):
    fl.set_seed(2)
    model = augmented_classifier()
    model.save_weights(tmp_path / "w.weights.h5")
    fl.set_seed(3)
    other = augmented_classifier()
    other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        assert np.array_equal(a, b)


def test_a_model_class_of_ones_own_inside_is_refused_before_any_file_is_written(tmp_path):
    class Scorer(keras.Model):
        def __init__(self):
            super().__init__(name="scorer")
            self.dense = layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = keras.Sequential([keras.Input(shape=(4,)), Scorer(), layers.Dense(1)])
    with pytest.raises(ConfigError, match="holds the model 'scorer' \\(Scorer\\) as one of its layers, and a model "
                                          "file holds Sequential and functional models only"):
        model.save(tmp_path / "m.keras")
    assert list(tmp_path.iterdir()) == []
    model.save_weights(tmp_path / "m.weights.h5")  # the weights alone are fine


def test_an_activation_of_ones_own_inside_an_inner_model_asks_for_custom_objects(tmp_path):
    def relu(x):  # the user's own, named as the built-in
        return fl.relu(x) * 2.0

    inner = keras.Sequential([layers.Dense(3, activation=relu)], name="inner")
    model = keras.Sequential([keras.Input(shape=(2,)), inner, layers.Dense(1)])
    model.save(tmp_path / "m.fnl")
    with pytest.raises(ModelFileError, match="function\\(s\\) of your own named 'relu'"):
        keras.models.load_model(tmp_path / "m.fnl")
    again = keras.models.load_model(tmp_path / "m.fnl", custom_objects={"relu": relu})
    x = RNG.random((3, 2)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def nested_doc(depth: int, units_in: int = 3) -> dict:
    config: dict = {"name": "deepest", "layers": [{"class_name": "Dense",
                                                    "config": {"name": "d", "units": 2, "input_shape": [units_in]}}]}
    for level in range(depth):
        config = {"name": f"level{level}", "layers": [{"class_name": "Sequential", "config": config}]}
    return {"format": "fnlearn", "format_version": 1, "kind": "model", "fnlearn_version": fl.__version__,
            "dtype": "float32", "compile": None, "optimizer_state": None, "model": config}


def test_crafted_nesting_is_checked_like_any_layer(tmp_path):
    path = tmp_path / "m.fnl"
    kernel = {"param/" + "0." * 2 + "0.kernel": np.ones((3, 2), np.float32),
              "param/" + "0." * 2 + "0.bias": np.zeros(2, np.float32)}
    path.write_bytes(io._encode(nested_doc(2), kernel, path))
    assert io.load_model(path).predict(np.ones((1, 3), np.float32), verbose=0).tolist() == [[3.0, 3.0]]

    path.write_bytes(io._encode(nested_doc(2, units_in=4), kernel, path))  # the weights do not fit the layer
    with pytest.raises(ModelFileError, match="is inconsistent: Dense layer 0"):
        io.load_model(path)

    deep = {"param/" + "0." * 40 + "0.kernel": np.ones((3, 2), np.float32)}
    path.write_bytes(io._encode(nested_doc(40), deep, path))
    with pytest.raises(ModelFileError, match="nests models more than 16 deep; it is damaged"):
        io.load_model(path)


def test_summary_lists_the_layers_inside_with_expand_nested():
    model = frozen_base_with_head(0)
    lines: list[str] = []
    model.summary(expand_nested=True, show_trainable=True, print_fn=lines.append)
    rows = [line.split() for line in lines if line.startswith(" ") and "(" in line][1:]
    assert [row[0] for row in rows] == ["base", "│", "│", "│", model.layers[1].name, model.layers[2].name]
    assert [row[1] for row in rows[1:4]] == [model.layers[0].layers[i].name for i in range(3)]
    assert [row[-1] for row in rows] == ["N", "-", "N", "-", "-", "Y"]
    assert "Total params: 47 (" in lines[-4] and "Trainable params: 12 (" in lines[-3]  # each weight counted once
    plain: list[str] = []
    model.summary(print_fn=plain.append)
    assert len(lines) == len(plain) + 2 * 3
