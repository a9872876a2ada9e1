"""Layers of one's own written the Keras way: add_weight, build(input_shape), call(inputs)."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ModelFileError
from fnlearn.keras import layers, ops

RNG = np.random.default_rng(0)
X = RNG.random((64, 6), dtype=np.float32)
Y = X @ RNG.normal(size=(6, 1)).astype(np.float32)


def _linear_class(k):
    """The ``Linear`` layer of Keras's guide to making layers, its weights made in ``build``."""

    class Linear(k.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.shapes_seen = []

        def build(self, input_shape):
            self.shapes_seen.append(tuple(input_shape))
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return k.ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Linear


Linear = _linear_class(keras)


def test_weights_made_in_init_compute_and_take_their_attribute_names():
    class InInit(layers.Layer):
        def __init__(self, units, input_dim):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal")
            self.b = self.add_weight(shape=(units,), initializer="zeros")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    layer = InInit(4, 2)
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    np.testing.assert_allclose(layer(x).numpy(), x @ layer.w.numpy() + layer.b.numpy(), rtol=1e-6, atol=1e-7)
    assert [name for name, _ in layer.named_parameters()] == ["w", "b"]
    assert len(layer.trainable_weights) == 2 and layer.built


def test_build_gets_keras_shape_with_the_batch_axis_once_before_the_first_call():
    layer = Linear(3)
    assert not layer.built
    layer(np.ones((5, 4)))
    layer(np.ones((2, 4)))
    assert layer.shapes_seen == [(None, 4)] and layer.w.shape == (4, 3)


def test_layers_inside_layers_are_tracked_and_trained_in_a_sequential():
    class MLPBlock(layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(8)
            self.linear_2 = Linear(1)

        def call(self, inputs):
            return self.linear_2(keras.activations.relu(self.linear_1(inputs)))

    keras.utils.set_random_seed(0)  # a draw with every hidden unit dead cannot learn (one run in many, unseeded)
    block = MLPBlock()
    block(ops.ones(shape=(3, 6)))
    assert len(block.weights) == 4 and len(block.trainable_weights) == 4
    model = keras.Sequential([keras.Input((6,)), MLPBlock()])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    history = model.fit(X, Y, epochs=20, verbose=0).history
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(MLPBlock)" in line and "(None, 1)" in line and "65" in line for line in lines)


def test_a_keras_way_layer_trains_as_dense_does(float64):
    fl.set_seed(0)
    ours = keras.Sequential([Linear(5, input_shape=(6,)), layers.Activation("tanh"), layers.Dense(1)])
    dense = keras.Sequential([layers.Dense(5, input_dim=6, activation="tanh"), layers.Dense(1)])
    dense.set_weights(ours.get_weights())
    for model in (ours, dense):
        model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "mse")
        fl.set_seed(1)
        model.fit(X.astype(np.float64), Y.astype(np.float64), batch_size=16, epochs=3, verbose=0)
    for a, b in zip(ours.get_weights(), dense.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def test_the_gradient_through_call_matches_finite_differences(float64):
    class Gate(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="random_normal")

        def call(self, inputs):
            return ops.tanh(inputs * self.w) * ops.sigmoid(inputs)

    layer = Gate()
    x = fl.Tensor(RNG.normal(size=(3, 4)))
    out = (layer(x) ** 2).sum()
    layer.zero_grad()
    out.backward()
    numeric = np.zeros(4)
    with fl.no_grad():
        for i in range(4):  # central differences through the layer's own call, one weight at a time
            values = []
            for step in (1e-6, -1e-6):
                w = layer.w.data.copy()
                layer.w.data[i] += step
                values.append(float((layer(x) ** 2).sum().item()))
                layer.w.data[...] = w
            numeric[i] = (values[0] - values[1]) / 2e-6
    np.testing.assert_allclose(fl.backend.to_numpy(layer.w.grad), numeric, rtol=1e-7, atol=1e-9)


def test_its_output_shape_comes_from_compute_output_shape_when_it_has_one():
    calls = []

    class Doubler(layers.Layer):
        def call(self, inputs):
            calls.append(1)
            return ops.concatenate([inputs, inputs], axis=-1)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2 * input_shape[-1])

    model = keras.Sequential([keras.Input((3,)), Doubler(), layers.Dense(2)])
    assert model.output_shape == (None, 2) and model.layers[1].kernel.shape == (6, 2)
    assert calls == []  # no zero sample run: the layer said its shape
    inputs = keras.Input((3,))
    assert Doubler()(inputs).shape == (None, 6)


def test_a_regularizer_of_add_weight_adds_its_penalty_to_the_loss():
    class Scaled(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones",
                                     regularizer=keras.regularizers.L2(0.1))

        def call(self, inputs):
            return ops.matmul(inputs, self.w)

    model = keras.Sequential([keras.Input((6,)), Scaled()])
    model.compile("sgd", "mse")
    plain = float(np.mean((X @ np.ones((6, 1)) - Y) ** 2))
    np.testing.assert_allclose(model.evaluate(X, Y), plain + 0.1 * 6, rtol=1e-6)  # 0.1 · Σw², as in Keras
    history = model.fit(X, Y, batch_size=len(X), epochs=1, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"][0], plain + 0.1 * 6, rtol=1e-6)


def test_a_model_with_layers_of_ones_own_saves_and_loads_with_custom_objects(tmp_path):
    model = keras.Sequential([Linear(4), layers.Activation("relu"), layers.Dense(1)])  # shape from the data
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    with pytest.raises(ModelFileError, match=r"names layer class 'Linear' for layer 0, which is not one of "
                                             r"fnlearn's \(.*\); if it is a layer class of your own, pass "
                                             r"custom_objects=\{'Linear': Linear\}"):
        keras.models.load_model(tmp_path / "m.keras")
    with pytest.raises(ModelFileError, match="which is not one of fnlearn's"):
        keras.models.load_model(tmp_path / "m.keras", custom_objects={"Linear": print})  # not a layer class
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Linear": Linear})
    assert type(loaded.layers[0]) is Linear and loaded.layers[0].units == 4 and loaded.input_shape == (None, 6)
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    loaded.fit(X, Y, epochs=1, verbose=0)  # the optimizer state came back with it


def test_add_weight_mistakes_are_one_sentence():
    layer = layers.Layer(name="mine")
    with pytest.raises(ConfigError, match=r"a constraint must be a name .* got int 3"):
        layer.add_weight(shape=(2,), constraint=3)
    with pytest.raises(ConfigError, match=r"add_weight shape must be a tuple of positive integers"):
        layer.add_weight(shape=(2, -1))
    with pytest.raises(NotImplementedError, match=r"Layer must define call\(self, inputs\) \(Keras's way\) or "
                                                  r"forward\(self, x\)"):
        layer(np.ones((1, 2)))


def test_real_keras_gives_the_same_outputs_and_steps():
    real = real_keras()
    theirs = real.Sequential([real.Input((6,)), _linear_class(real)(4), real.layers.Dense(1)])
    ours = keras.Sequential([keras.Input((6,)), Linear(4), layers.Dense(1)])
    assert_trains_as_keras(real, theirs, ours, X, Y, "mse", 0.01, batch_size=16, rtol=1e-4, atol=1e-5)


def test_add_weight_takes_a_scalar_shape_and_its_own_dtype():
    layer = layers.Layer()
    scale = layer.add_weight(shape=(), initializer="ones")
    wide = layer.add_weight(shape=(2,), dtype="float64", name="wide")
    assert scale.shape == () and float(scale.item()) == 1.0 and scale.dtype == np.float32
    assert wide.dtype == np.float64
    assert [name for name, _ in layer.named_parameters()] == ["weight", "wide"]


def test_assign_in_call_leaves_the_gradient_of_the_values_used():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.s = self.add_weight(shape=(input_shape[-1],), initializer="ones", trainable=False)
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            out = x * self.s * self.w
            self.s.assign(self.s * 10.0)  # a running state changed after it was used
            return out

    layer = Scale()
    x = fl.tensor(np.ones((1, 3)), requires_grad=True)
    layer(x, training=True).sum().backward()
    np.testing.assert_array_equal(fl.backend.to_numpy(x.grad), np.ones((1, 3)))
    np.testing.assert_array_equal(layer.s.numpy(), np.full(3, 10.0))


def test_learning_a_shape_leaves_no_trace_so_a_counter_counts_only_real_calls():
    class Counter(layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)
            self.w = self.add_weight(shape=(input_shape[-1], 1))

        def call(self, x):
            self.count.assign_add(1.0)
            self.add_loss(0.0 * ops.sum(x))
            return ops.matmul(x, self.w)

    model = keras.Sequential([keras.Input((6,)), Counter()])
    counter = model.layers[0]
    model.summary(print_fn=lambda line: None)
    assert float(counter.count.item()) == 0 and counter.losses == []  # as Keras, which traces symbolically
    model.compile("sgd", "mse")
    model.fit(X[:4], Y[:4], batch_size=4, verbose=0)
    model.evaluate(X[:4], Y[:4], batch_size=4)
    model.predict(X[:8], batch_size=4, verbose=0)  # two batches: the losses of the first are not kept
    assert float(counter.count.item()) == 4 and len(counter.losses) == 1


def test_a_built_in_layer_subclassed_with_call_is_refused_and_its_added_weights_keep_their_penalty():
    with pytest.raises(ConfigError, match=r"Doubled defines call\(\) on top of fnlearn's Dense, whose computation is "
                                          r"its forward\(\); subclass keras.layers.Layer instead"):
        class Doubled(layers.Dense):
            def call(self, x):
                return 2.0 * x

    class WithExtra(layers.Dense):
        def build(self, input_shape):
            super().build(input_shape)
            self.extra = self.add_weight(shape=(1,), initializer="ones", regularizer=keras.regularizers.L2(0.5))

    layer = WithExtra(1, input_dim=2)
    assert [float(r(p).item()) for p, r in layer.penalties()] == [0.5]


def test_a_layer_called_on_a_placeholder_with_a_setting_records_it_and_refuses_what_a_file_cannot_hold():
    class Scaled(layers.Layer):
        def call(self, inputs, factor=1.0):
            return inputs * factor

    x = keras.Input(shape=(2,))
    model = keras.Model(x, Scaled()(x, factor=3.0))
    np.testing.assert_allclose(model.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])
    with pytest.raises(ConfigError, match=r"Scaled was called on a keras.Input placeholder with factor= a ndarray; "
                                          r"fnlearn's functional models record a call's placeholders and its settings"):
        Scaled()(x, factor=np.ones(2))


def test_a_layer_of_ones_own_without_get_config_saves_and_loads_as_in_keras_3(tmp_path):
    class MyDense(keras.layers.Layer):
        def __init__(self, units, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, scale

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units))

        def call(self, inputs):
            return keras.ops.matmul(inputs, self.w) * self.scale

    layer = MyDense(4, scale=0.5, name="mine")
    assert layer.get_config() == {"units": 4, "scale": 0.5, "name": "mine"}
    model = keras.Sequential([keras.Input(shape=(3,)), layer, keras.layers.Dense(1)])
    model.save(tmp_path / "mine.keras")
    again = keras.models.load_model(tmp_path / "mine.keras", custom_objects={"MyDense": MyDense})
    x = np.ones((2, 3), dtype=np.float32)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert (again.layers[0].units, again.layers[0].scale) == (4, 0.5)
    # an argument that is not plain data (a function) is not recorded: the layer then needs its own get_config
    assert MyDense(2, scale=abs).get_config() == {"name": "my_dense"}


def test_a_call_computed_with_the_real_keras_ops_is_named_at_once():
    real_ops = real_keras().ops  # a Keras example's leftover `from keras import ops`

    class Projection(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2))

        def call(self, inputs):
            return real_ops.matmul(inputs, self.w)

    with pytest.raises(ConfigError, match="from fnlearn.keras import ops") as caught:
        keras.Sequential([keras.Input((4,)), Projection()])
    assert "'projection'" in str(caught.value) and str(caught.value).endswith(".")
    with pytest.raises(ConfigError, match="another library's ops"):
        Projection()(np.ones((2, 4), dtype=np.float32))


def test_add_weight_names_and_trainable_flags_are_keras():
    real = real_keras()

    def make(library):
        class Scaled(library.layers.Layer):
            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], 2), name="kernel")
                self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

            def call(self, inputs):
                return library.ops.matmul(inputs, self.kernel)

        layer = Scaled()
        layer(np.ones((1, 3), dtype=np.float32))
        return layer

    ours, theirs = make(keras), make(real)
    assert [(w.name, w.trainable) for w in ours.weights] == [(w.name, w.trainable) for w in theirs.weights] == \
        [("kernel", True), ("count", False)]
    norm = keras.layers.BatchNormalization()
    norm.build((None, 3))
    assert [w.trainable for w in norm.weights] == [True, True, False, False]
