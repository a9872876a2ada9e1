"""keras.saving.serialize_keras_object / deserialize_keras_object: configs holding layers, functions and other
objects, as Keras's serialization guide writes them."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(5)


def _holder(library):
    """The guide's layer that holds a sublayer: get_config records it, from_config makes it again."""

    class SublayerHolder(library.layers.Layer):
        def __init__(self, sublayer, **kwargs):
            super().__init__(**kwargs)
            self.sublayer = sublayer

        def call(self, x):
            return self.sublayer(x)

        def get_config(self):
            return {**super().get_config(), "sublayer": library.saving.serialize_keras_object(self.sublayer)}

        @classmethod
        def from_config(cls, config):
            sublayer = library.saving.deserialize_keras_object(config.pop("sublayer"))
            return cls(sublayer, **config)

    return SublayerHolder


def _model(library, holder):
    inputs = library.Input((4,))
    return library.Model(inputs, holder(library.layers.Dense(3, activation="tanh"))(inputs))


def test_a_layer_holding_a_sublayer_saves_and_loads_as_in_the_guide(tmp_path):
    real = real_keras()
    theirs_holder = _holder(real)
    theirs = _model(real, theirs_holder)
    holder = _holder(keras)
    ours = _model(keras, holder)
    ours.set_weights(theirs.get_weights())
    x = RNG.normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-6, atol=1e-6)
    entry = ours.layers[-1].get_config()["sublayer"]
    their_entry = theirs.layers[-1].get_config()["sublayer"]
    # Keras's keys (a built layer's "build_config" aside: fnlearn's layers build from their first input)
    assert set(entry) == set(their_entry) - {"build_config"}
    assert entry["class_name"] == their_entry["class_name"] == "Dense"
    assert entry["config"]["units"] == their_entry["config"]["units"] == 3
    ours.compile("adam", "mse")
    ours.fit(x, RNG.normal(size=(5, 3)), epochs=2, verbose=0)
    path = tmp_path / "holder.keras"
    ours.save(path)
    loaded = keras.models.load_model(path, custom_objects={"SublayerHolder": holder})
    inner = loaded.layers[-1].sublayer
    assert isinstance(inner, keras.layers.Dense) and inner.get_config() == ours.layers[-1].sublayer.get_config()
    np.testing.assert_allclose(loaded.predict(x, verbose=0), ours.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: keras.layers.Dense(4, activation="relu", kernel_initializer=keras.initializers.HeNormal(seed=3),
                               kernel_regularizer=keras.regularizers.L2(0.01), name="dense_x"),
    lambda: keras.layers.LSTM(5, return_sequences=True, name="lstm_x"),
    lambda: keras.layers.RNN([keras.layers.GRUCell(3), keras.layers.LSTMCell(2)], name="rnn_x"),
    lambda: keras.layers.Bidirectional(keras.layers.GRU(3), merge_mode="sum", name="both_x"),
])
def test_layers_round_trip_to_the_same_config_and_fresh_weights(make):
    layer = make()
    entry = keras.saving.serialize_keras_object(layer)
    assert set(entry) == {"module", "class_name", "config", "registered_name"}
    assert entry["module"] == "keras.layers" and entry["registered_name"] is None
    again = keras.saving.deserialize_keras_object(entry)
    assert type(again) is type(layer) and again is not layer
    assert again.get_config() == layer.get_config()
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == layer.get_config()


def test_other_objects_round_trip():
    init = keras.initializers.HeNormal(seed=7)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(init))
    np.testing.assert_array_equal(fl.backend.to_numpy(again((3, 4))), fl.backend.to_numpy(init((3, 4))))
    reg = keras.regularizers.L1L2(l1=0.1, l2=0.2)
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(reg)).get_config() == \
        reg.get_config()
    opt = keras.optimizers.Adam(0.01, beta_1=0.8)
    made = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(opt))
    assert isinstance(made, fl.optim.Adam) and made.get_config() == opt.get_config()
    loss = keras.losses.Huber(delta=2.0)
    made = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    y, p = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2)) * 3
    assert float(made(y, p)) == pytest.approx(float(loss(y, p)))
    metric = keras.metrics.AUC(num_thresholds=50)
    made = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(metric))
    assert made.get_config() == metric.get_config()
    assert keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(keras.activations.relu)) \
        is keras.activations.get("relu")
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    nested = {"table": values, "sizes": (1, 2), "name": "x", "scale": np.float64(0.5), "none": None}
    back = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(nested))
    np.testing.assert_array_equal(back["table"], values)
    assert back["table"].dtype == np.float32 and back["sizes"] == [1, 2] and back["scale"] == 0.5
    assert back["name"] == "x" and back["none"] is None


def test_ones_own_classes_and_functions_by_registration_or_custom_objects():
    def squared(x):
        return x * x

    class Tripled(keras.layers.Layer):
        def call(self, x):
            return x * 3

    layer_entry = keras.saving.serialize_keras_object(Tripled(name="t"))
    function_entry = keras.saving.serialize_keras_object(squared)
    assert layer_entry["registered_name"] == "Tripled" and function_entry["class_name"] == "function"
    with pytest.raises(ConfigError, match=r"custom_objects=\{'Tripled': Tripled\}") as caught:
        keras.saving.deserialize_keras_object(layer_entry)
    assert str(caught.value).endswith(".")
    with pytest.raises(ConfigError, match="custom_objects"):
        keras.saving.deserialize_keras_object(function_entry)
    made = keras.saving.deserialize_keras_object(layer_entry, custom_objects={"Tripled": Tripled})
    assert isinstance(made, Tripled) and made.name == "t"
    np.testing.assert_allclose(made(np.ones((1, 2))).numpy(), 3.0)
    assert keras.saving.deserialize_keras_object(function_entry, custom_objects={"squared": squared}) is squared
    keras.saving.register_keras_serializable(package="tests", name="squared_registered")(squared)
    try:
        entry = keras.saving.serialize_keras_object(squared)
        assert entry["config"] == "squared_registered"
        assert keras.saving.deserialize_keras_object(entry) is squared
    finally:
        keras.saving.get_custom_objects().pop("squared_registered")


@pytest.mark.parametrize("call, words", [
    (lambda: keras.saving.serialize_keras_object(object()), "get_config"),
    (lambda: keras.saving.deserialize_keras_object(object()), "serialize_keras_object gave"),
    (lambda: keras.saving.deserialize_keras_object({"class_name": "Nonsense", "config": {}}), "custom_objects"),
])
def test_bad_input_is_one_sentence(call, words):
    with pytest.raises(ConfigError) as caught:
        call()
    assert words in str(caught.value) and str(caught.value).endswith(".")


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
@pytest.mark.parametrize("make", [lambda k, r: k.losses.MeanSquaredError(reduction=r),
                                  lambda k, r: k.losses.Huber(delta=2.0, reduction=r),
                                  lambda k, r: k.losses.CategoricalCrossentropy(from_logits=True, reduction=r)],
                         ids=["mse", "huber", "categorical_crossentropy"])
def test_losses_serialize_as_keras_and_back(make, reduction):
    real = real_keras()
    ours, theirs = keras.losses.serialize(make(keras, reduction)), real.losses.serialize(make(real, reduction))
    assert ours["class_name"] == theirs["class_name"]
    for key in ("reduction", "delta", "from_logits"):
        if key in theirs["config"]:
            assert ours["config"][key] == theirs["config"][key]
    again = keras.losses.deserialize(theirs)
    assert keras.losses.serialize(again)["config"]["reduction"] == reduction
