"""keras.models.clone_model, Model.from_config / Sequential.from_config, model.to_json and model_from_json:
the same architecture with new layers and new weights, as Keras 3 makes it."""

from __future__ import annotations

import json

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError


def _sequential(k):
    return k.Sequential([k.Input(shape=(4,)), k.layers.Dense(8, activation="relu", name="hidden"),
                         k.layers.Dense(1, name="out")], name="seq")


def _chain(k):
    x = k.Input(shape=(4,), name="features")
    h = k.layers.Dense(8, activation="relu", name="hidden")(x)
    return k.Model(x, k.layers.Dense(1, name="out")(h), name="chain")


def _two_inputs(k):
    a, b = k.Input(shape=(4,), name="a"), k.Input(shape=(3,), name="b")
    h = k.layers.Dense(5, activation="tanh", name="h")(a)
    joined = k.layers.concatenate([h, b], name="joined")
    return k.Model([a, b], k.layers.Dense(2, name="out")(joined), name="two_inputs")


def _many_kinds(k):
    return k.Sequential([k.Input(shape=(6,)), k.layers.Embedding(12, 4, name="embed"), k.layers.LSTM(5, name="lstm"),
                         k.layers.BatchNormalization(name="bn"), k.layers.Dropout(0.3, name="drop"),
                         k.layers.Dense(2, activation="softmax", name="out")], name="many")


def _conv(k):
    return k.Sequential([k.Input(shape=(8, 8, 1)), k.layers.Conv2D(3, 3, activation="relu", name="conv"),
                         k.layers.MaxPooling2D(name="pool"), k.layers.Flatten(name="flat"),
                         k.layers.BatchNormalization(name="bn"), k.layers.Dense(2, name="out")], name="cnn")


MAKERS = {"sequential": _sequential, "chain": _chain, "two_inputs": _two_inputs, "many_kinds": _many_kinds,
          "conv": _conv}


def _data(name):
    rng = np.random.default_rng(0)
    if name == "two_inputs":
        return [rng.normal(size=(5, 4)), rng.normal(size=(5, 3))]
    if name == "many_kinds":
        return rng.integers(0, 12, size=(5, 6)).astype("float32")
    if name == "conv":
        return rng.normal(size=(5, 8, 8, 1))
    return rng.normal(size=(5, 4))


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


@pytest.mark.parametrize("name", list(MAKERS))
def test_a_clone_has_new_weights_until_set_weights_gives_it_the_originals(name):
    fl.set_seed(0)
    model = MAKERS[name](keras)
    clone = keras.models.clone_model(model)
    assert type(clone) is type(model)
    assert clone.name == model.name
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(c is not m for c, m in zip(clone.layers, model.layers))
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    x = _data(name)
    assert not np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["sequential", "two_inputs"])
def test_a_clone_trains_on_its_own(name):
    fl.set_seed(0)
    model = MAKERS[name](keras)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    before = [w.copy() for w in model.get_weights()]
    clone.compile("sgd", "mse")
    x = _data(name)
    clone.fit(x, np.ones((5, clone.output_shape[-1])), epochs=2, verbose=0)
    assert _same(model.get_weights(), before)
    assert not _same(clone.get_weights(), before)


@pytest.mark.parametrize("name", list(MAKERS))
def test_from_config_and_json_give_the_same_architecture_with_new_weights(name):
    fl.set_seed(0)
    model = MAKERS[name](keras)
    x = _data(name)
    for again in (type(model).from_config(model.get_config()), keras.Model.from_config(model.get_config()),
                  keras.models.model_from_json(model.to_json())):
        assert type(again) is type(model) and again.name == model.name and not again.compiled
        assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
        assert again.get_config() == model.get_config()
        assert not _same(again.get_weights(), model.get_weights())
        again.set_weights(model.get_weights())
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_to_json_is_json_of_the_architecture_and_takes_json_dumps_arguments():
    model = _two_inputs(keras)
    text = model.to_json(indent=2)
    doc = json.loads(text)
    assert doc["class_name"] == "FunctionalGraph" and doc["config"] == json.loads(json.dumps(model.get_config()))
    assert "\n  " in text and set(doc) == {"module", "class_name", "config", "fnlearn_version"}  # no weights


def test_a_compiled_model_clones_and_reloads_from_json_compiled_with_a_new_optimizer():
    model = _sequential(keras)
    model.compile(keras.optimizers.Adam(learning_rate=0.01), "mse", metrics=["mae"])
    model.fit(np.ones((4, 4)), np.ones((4, 1)), epochs=1, verbose=0)
    for again in (keras.models.clone_model(model), keras.models.model_from_json(model.to_json())):
        assert again.compiled and again.optimizer is not model.optimizer
        assert again.optimizer.iterations == 0 and again.optimizer.get_config() == model.optimizer.get_config()
        assert again.compile_config() == model.compile_config()


def test_clone_function_and_call_function_as_in_keras():
    model = _chain(keras)
    seeded = keras.models.clone_model(model, clone_function=lambda layer: layer)  # Keras's way to share the layers
    assert all(a is b for a, b in zip(seeded.layers[1:], model.layers[1:]))

    def add_dropout(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        return keras.layers.Dropout(0.5)(out) if isinstance(layer, keras.layers.Dense) else out

    wider = keras.models.clone_model(model, call_function=add_dropout)
    assert [type(layer).__name__ for layer in wider.layers] == ["InputLayer", "Dense", "Dropout", "Dense", "Dropout"]
    graph = keras.models.clone_model(_two_inputs(keras), call_function=add_dropout)
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in graph.layers) == 2
    with pytest.raises(ConfigError, match=r"call_function for the Sequential model 'seq'.*functional models only"):
        keras.models.clone_model(_sequential(keras), call_function=add_dropout)


def test_models_inside_models_and_fnlearn_models_clone_too():
    inner = keras.Sequential([keras.layers.Dense(3, name="inner_dense")], name="inner")
    outer = keras.Sequential([keras.Input(shape=(4,)), inner, keras.layers.Dense(1, name="out")], name="outer")
    for clone in (keras.models.clone_model(outer), keras.models.clone_model(outer, recursive=True),
                  keras.models.model_from_json(outer.to_json())):
        assert clone.layers[0] is not inner and clone.layers[0].name == "inner"
        assert clone.num_parameters() == outer.num_parameters()
    plain = fl.Sequential([fl.layers.Dense(2, input_dim=3, name="d")], name="plain")
    assert type(keras.models.clone_model(plain)) is fl.Sequential


def test_a_lambda_layer_and_an_activation_of_ones_own_clone_in_memory():
    def doubled(x):
        return x * 2

    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Lambda(lambda x: x + 1, name="plus_one"),
                              keras.layers.Dense(2, activation=doubled, name="d")])
    clone = keras.models.clone_model(model)
    assert clone.layers[1].activation is doubled and clone.layers[0].function is model.layers[0].function
    with pytest.raises(ConfigError, match=r"Lambda layer 'plus_one'"):
        model.to_json()


def test_bad_input_is_one_clear_sentence():
    class Own(keras.Model):
        def __init__(self):
            super().__init__(name="own")
            self.dense = keras.layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    with pytest.raises(ConfigError, match=r"clone_model expects a keras.Sequential or functional keras.Model, got "
                                          r"str 'model'; pass the model object itself"):
        keras.models.clone_model("model")
    with pytest.raises(ConfigError, match=r"clone_model got Own 'own', a subclass of keras.Model.*set_weights"):
        keras.models.clone_model(Own())
    with pytest.raises(ConfigError, match=r"to_json got Own 'own', a subclass of keras.Model"):
        Own().to_json()
    with pytest.raises(ConfigError, match=r"input_tensors=...\) is not supported"):
        keras.models.clone_model(_chain(keras), input_tensors=[keras.Input(shape=(4,))])
    with pytest.raises(ConfigError, match=r"not valid JSON .*pass the string model.to_json\(\) gave"):
        keras.models.model_from_json('{"class_name": ')
    with pytest.raises(ConfigError, match=r"JSON of a 'Dense' where a model's, as model.to_json\(\) gives, was "
                                          r"expected"):
        keras.models.model_from_json(json.dumps({"class_name": "Dense", "config": {"units": 2}}))
    with pytest.raises(ConfigError, match=r"JSON of a JSON list where a model's"):
        keras.models.model_from_json("[1, 2]")
    with pytest.raises(ConfigError, match=r"expects the JSON string model.to_json\(\) gave, got dict"):
        keras.models.model_from_json({"class_name": "Sequential"})
    with pytest.raises(ConfigError, match=r"Sequential.from_config's config is str 'oops' where the dict a model's "
                                          r"get_config\(\) gives"):
        keras.Sequential.from_config("oops")
    with pytest.raises(ConfigError, match=r"names layer class 'Mystery' for layer 0.*custom_objects"):
        keras.Model.from_config({"name": "m", "layers": [{"class_name": "Mystery", "config": {}}]})
    with pytest.raises(ConfigError, match=r"Own.from_config makes the model as Own\(\*\*config\), which failed"):
        Own.from_config({"name": "own", "units": 3})
    assert Own.from_config({"name": "again"}).name == "again"  # the default get_config: its name only


def test_real_keras_clones_with_the_same_names_weights_and_compiled_state():
    real = real_keras()
    for make in (_sequential, _chain, _two_inputs):
        theirs, ours = make(real), make(keras)
        theirs.compile("adam", "mse")
        ours.compile("adam", "mse")
        their_clone, our_clone = real.models.clone_model(theirs), keras.models.clone_model(ours)
        assert our_clone.name == ours.name and their_clone.name == theirs.name
        assert [layer.name for layer in our_clone.layers] == [layer.name for layer in their_clone.layers]
        assert [layer.name for layer in their_clone.layers] == [layer.name for layer in theirs.layers]
        assert len(our_clone.get_weights()) == len(their_clone.get_weights())
        assert [w.shape for w in our_clone.get_weights()] == [w.shape for w in their_clone.get_weights()]
        assert our_clone.compiled == their_clone.compiled is True
        their_again = type(theirs).from_config(theirs.get_config())
        our_again = type(ours).from_config(ours.get_config())
        assert our_again.compiled == their_again.compiled is False
        assert real.models.model_from_json(theirs.to_json()).compiled == \
            keras.models.model_from_json(ours.to_json()).compiled is True
