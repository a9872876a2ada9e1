"""Subclasses of keras.Model: layers made in __init__, a forward pass of one's own in call()."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import explain, keras
from fnlearn.errors import ConfigError, ModelFileError, NotReadyError, ShapeError
from fnlearn.keras import layers, ops

RNG = np.random.default_rng(0)
X = RNG.random((96, 12), dtype=np.float32)
Y = RNG.integers(0, 3, 96)


def _mlp_class(k):
    """A model as Keras's subclassing guide writes one, over the Keras module ``k`` (fnlearn's or the real)."""

    class MLP(k.Model):
        def __init__(self, hidden: int = 16, rate: float = 0.5, **kwargs):
            super().__init__(**kwargs)
            self.blocks = [k.layers.Dense(hidden, activation="relu") for _ in range(2)]
            self.dropout = k.layers.Dropout(rate)
            self.classifier = k.layers.Dense(3, activation="softmax")

        def call(self, inputs, training=False):
            x = inputs
            for block in self.blocks:
                x = block(x)
            return self.classifier(self.dropout(x, training=training))

    return MLP


class Residual(keras.Model):
    """Not a chain: the input is added back after two layers."""

    def __init__(self):
        super().__init__()
        self.first = layers.Dense(12, activation="tanh")
        self.second = layers.Dense(12)
        self.head = layers.Dense(1)

    def call(self, inputs):
        return self.head(inputs + self.second(self.first(inputs)))


def test_it_tracks_its_layers_and_counts_as_a_keras_model():
    model = _mlp_class(keras)(name="mlp")
    assert model.name == "mlp" and not model.built
    assert [layer.name.split("_")[0] for layer in model.layers] == ["dense", "dense", "dropout", "dense"]
    model.build((None, 12))  # Keras's spelling, batch axis open
    assert model.built and model.input_shape == (None, 12)
    assert [name for name, _ in model.named_parameters()] == [
        "blocks.0.kernel", "blocks.0.bias", "blocks.1.kernel", "blocks.1.bias", "classifier.kernel", "classifier.bias"]
    assert isinstance(model, keras.Model) and isinstance(keras.Sequential(), keras.Model)
    assert issubclass(keras.Sequential, keras.Model) and not isinstance(object(), keras.Model)
    model.blocks = [layers.Dense(4)]  # the old list's layers are no longer the model's
    assert len(model.layers) == 3


def test_a_call_is_inference_unless_told_and_fit_trains_with_dropout():
    model = _mlp_class(keras)()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, Y, epochs=3, batch_size=32, validation_split=0.25, verbose=0).history
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"] and len(history["loss"]) == 3
    np.testing.assert_array_equal(model(X).numpy(), model(X).numpy())  # Dropout off
    assert not np.array_equal(model(X, training=True).numpy(), model(X, training=True).numpy())
    np.testing.assert_allclose(model.predict(X, verbose=0), model(X).numpy(), rtol=1e-6)
    loss, accuracy = model.evaluate(X, Y, verbose=0)
    assert 0 <= accuracy <= 1 and np.isfinite(loss)


def test_a_chain_written_as_a_subclass_trains_as_the_sequential_does(float64):
    class Chain(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(3, activation="softmax")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    fl.set_seed(5)
    mine = Chain()
    mine.build((12,))
    fl.set_seed(5)
    twin = keras.Sequential([layers.Dense(8, activation="relu", input_dim=12), layers.Dense(3, activation="softmax")])
    for model in (mine, twin):
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy")
        fl.set_seed(6)
        model.fit(X, Y, batch_size=16, epochs=2, verbose=0)
    for a, b in zip(mine.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def test_a_model_that_is_no_chain_takes_the_gradient_of_its_own_call(float64):
    fl.set_seed(2)
    model = Residual()
    x, y = X.astype(np.float64), X.sum(axis=1, keepdims=True).astype(np.float64)
    model.compile(keras.optimizers.SGD(0.01), "mse")
    model.build((12,))
    before = [p.data.copy() for p in model.parameters()]
    # the same step by hand: the loss of the whole batch, back-propagated, one SGD step
    out = model(fl.Tensor(x))
    loss = ((out - fl.Tensor(y)) ** 2).mean()
    model.zero_grad()
    loss.backward()
    expected = [fl.backend.to_numpy(b - 0.01 * p.grad) for b, p in zip(before, model.parameters())]
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert model.summary(print_fn=lambda line: None) is None
    with pytest.raises(ConfigError, match=r"does not run its layers one after another \(a subclass with its own "
                                          r"call\(\), or a functional model that branches or merges\)"):
        explain.layer_outputs(model)


def test_real_keras_gives_the_same_predictions_and_steps():
    real = real_keras()
    # no dropout: the two libraries draw different masks
    theirs, ours = _mlp_class(real)(hidden=8, rate=0.0), _mlp_class(keras)(hidden=8, rate=0.0)
    theirs(X[:1])  # a call builds both (Keras's build() of a subclass does not make weights)
    ours(X[:1])
    assert ours.built and ours.input_shape == (None, 12)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert_trains_as_keras(real, theirs, ours, X, Y, "sparse_categorical_crossentropy", 0.1, batch_size=32)


def test_weights_go_through_save_weights(tmp_path):
    cls = _mlp_class(keras)
    model = cls()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "mlp.weights.h5")
    again = cls()
    with pytest.raises(NotReadyError, match=r"has no weights to load into yet; build it first with model.build"):
        again.load_weights(tmp_path / "mlp.weights.h5")
    again.build((12,))
    again.load_weights(tmp_path / "mlp.weights.h5")
    np.testing.assert_array_equal(again.predict(X, verbose=0), model.predict(X, verbose=0))


def test_the_whole_model_saves_and_loads_by_its_class_as_in_keras(tmp_path):
    cls = _mlp_class(keras)
    model = cls(hidden=8, rate=0.0)  # its arguments recorded, as Keras 3 records them, without a get_config
    assert model.get_config() == {"hidden": 8, "rate": 0.0, "name": model.name}
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=2, verbose=0)
    path = tmp_path / "mlp.keras"
    model.save(path)
    with pytest.raises(ModelFileError, match=r"custom_objects=\{'MLP': MLP\}") as caught:
        keras.models.load_model(path)
    assert str(caught.value).endswith(".")
    loaded = keras.models.load_model(path, custom_objects={"MLP": cls})
    assert type(loaded) is cls and loaded.name == model.name and loaded.compiled
    assert loaded.input_shape == (None, 12) and [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    model.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    loaded.fit(X, Y, epochs=1, verbose=0, shuffle=False)  # the optimizer's state came back: the same next step
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=1e-6, atol=1e-7)


def test_a_model_class_with_a_get_config_of_its_own_and_registered_loads_by_name(tmp_path):
    @keras.saving.register_keras_serializable(package="tests")
    class Scaled(keras.Model):
        def __init__(self, units, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.factor = units, factor
            self.dense = layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs) * self.factor

        def get_config(self):
            return {**super().get_config(), "units": self.units, "factor": self.factor}

    try:
        model = Scaled(3, factor=0.5)
        model(X[:2])
        model.save(tmp_path / "scaled.keras")
        loaded = keras.models.load_model(tmp_path / "scaled.keras")
        assert (loaded.units, loaded.factor) == (3, 0.5) and not loaded.compiled
        np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    finally:
        keras.saving.get_custom_objects().pop("Scaled")


def test_a_model_that_could_not_be_made_again_is_refused_before_anything_is_written(tmp_path):
    class Needs(keras.Model):
        def __init__(self, units):
            super().__init__()
            self.dense = layers.Dense(units)

        def call(self, inputs):
            return self.dense(inputs)

        def get_config(self):
            return {"name": self.name}  # units left out

    model = Needs(3)
    model(X[:2])
    with pytest.raises(ConfigError, match=r"__init__ needs units.*'units': self.units") as caught:
        model.save(tmp_path / "needs.keras")
    assert str(caught.value).endswith(".") and not (tmp_path / "needs.keras").exists()


def test_mistakes_get_one_sentence():
    model = _mlp_class(keras)()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    before = model.get_weights()
    with pytest.raises(ShapeError, match=r"model '.*' was built for samples of shape \(12,\), but x has samples of "
                                         r"shape \(5,\), which it cannot take \(layer '.*' expects inputs with 12 "
                                         r"features"):
        model.fit(X[:, :5], Y, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(NotReadyError, match=r"does not know its input shape yet; call model.build"):
        _mlp_class(keras)().build()

    class NoCall(keras.Model):
        pass

    with pytest.raises(NotImplementedError, match=r"NoCall must define call\(self, inputs\)"):
        NoCall()(X)

    class Half(keras.Model):
        def __init__(self, inputs):
            super().__init__(inputs=inputs)

    with pytest.raises(ConfigError, match=r"takes name=, trainable= and dtype=, or Keras's \(inputs, outputs\) "
                                          r"placeholders, got inputs; make the layers in __init__"):
        Half(keras.Input(shape=(2,)))


def test_layers_in_lists_and_dicts_filled_after_they_are_set_are_tracked():
    class Filled(keras.Model):
        def __init__(self, **kwargs):
            self.early = layers.Dense(2)  # before super().__init__(): kept
            super().__init__(**kwargs)
            self.hidden = []
            for _ in range(2):
                self.hidden.append(layers.Dense(4, activation="relu"))
            self.steps = [layers.Dropout(0.5)]
            self.heads = {"a": layers.Dense(1)}

        def call(self, x):
            for layer in self.hidden:
                x = layer(x)
            return self.heads["a"](self.steps[0](x)) + ops.sum(self.early(x), axis=-1, keepdims=True)

    model = Filled()
    model.compile("sgd", "mse")
    model.fit(X, Y.astype(np.float32), epochs=1, verbose=0)
    assert model.count_params() == (12 * 4 + 4) + (4 * 4 + 4) + (4 + 1) + (4 * 2 + 2)
    assert len(model.trainable_weights) == 8
    names = [name for name, _ in model.named_parameters()]
    assert names[:2] == ["early.kernel", "early.bias"] and "heads.a.kernel" in names and "hidden.1.bias" in names
    np.testing.assert_array_equal(model.predict(X, verbose=0), model.predict(X, verbose=0))  # the Dropout is off
    frozen = Filled(trainable=False)  # layers made after the model was frozen are frozen too
    frozen(X[:1])
    assert frozen.trainable_weights == [] and len(frozen.weights) == 8
