"""Keras 3's guides (dense parts) written as a user following them would, with ``from fnlearn import keras``:
"The Sequential model", "The Functional API", "Making new layers and models via subclassing", "Training &
evaluation with the built-in methods". Small random data stands in for MNIST."""

from __future__ import annotations

import os

import numpy as np
import pytest
from real_keras import real_keras

from fnlearn import keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import layers, ops

RNG = np.random.default_rng(0)
X_TRAIN = RNG.random((256, 784), dtype=np.float32)
Y_TRAIN = RNG.integers(0, 10, 256)


# ---------------------------------------------------------------------------------------- The Sequential model
def test_sequential_guide_creating_adding_popping_and_the_input_shape():
    model = keras.Sequential([layers.Dense(2, activation="relu", name="layer1"),
                              layers.Dense(3, activation="relu", name="layer2"), layers.Dense(4, name="layer3")])
    x = ops.ones((3, 3))
    y = model(x)
    layer1, layer2, layer3 = model.layers
    assert np.array_equal(layer3(layer2(layer1(x))).numpy(), y.numpy())

    model = keras.Sequential()
    model.add(layers.Dense(2, activation="relu"))
    model.add(layers.Dense(3, activation="relu"))
    model.add(layers.Dense(4))
    model.pop()
    assert len(model.layers) == 2
    assert keras.Sequential(name="my_sequential").name == "my_sequential"

    layer = layers.Dense(3)
    assert layer.weights == []
    layer(ops.ones((1, 4)))
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]

    model = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3, activation="relu"), layers.Dense(4)])
    assert model.weights == []  # no weights at this stage
    model(ops.ones((1, 4)))
    assert len(model.weights) == 6
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 35" in "\n".join(lines)

    model = keras.Sequential()
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(2, activation="relu"))
    assert [type(layer).__name__ for layer in model.layers] == ["Dense"] and len(model.weights) == 2


def test_sequential_guide_feature_extraction_and_transfer_learning(tmp_path):
    initial_model = keras.Sequential([keras.Input(shape=(784,)),
                                      layers.Dense(32, activation="relu"),
                                      layers.Dense(32, activation="relu", name="my_intermediate_layer"),
                                      layers.Dense(10)])
    feature_extractor = keras.Model(inputs=initial_model.inputs,
                                    outputs=initial_model.get_layer(name="my_intermediate_layer").output)
    features = feature_extractor(ops.ones((1, 784)))
    assert features.shape == (1, 32)
    every_layer = keras.Model(inputs=initial_model.inputs, outputs=[layer.output for layer in initial_model.layers])
    all_features = every_layer(ops.ones((1, 784)))
    assert [f.shape for f in all_features] == [(1, 32), (1, 32), (1, 10)]
    np.testing.assert_allclose(all_features[1].numpy(), features.numpy(), rtol=1e-6)
    np.testing.assert_allclose(all_features[2].numpy(), initial_model(ops.ones((1, 784))).numpy(), rtol=1e-6)

    # freeze all layers except the last one: training changes only the last layer's weights
    initial_model.save_weights(str(tmp_path / "pretrained.weights.h5"))
    initial_model.load_weights(str(tmp_path / "pretrained.weights.h5"))
    for layer in initial_model.layers[:-1]:
        layer.trainable = False
    before = initial_model.get_weights()
    initial_model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    initial_model.fit(X_TRAIN, Y_TRAIN, epochs=1, verbose=0)
    after = initial_model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before[:4], after[:4]))
    assert not np.array_equal(before[4], after[4])

    # a frozen base model inside a new Sequential, then a head of its own
    base_model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu")])
    base_model.trainable = False
    model = keras.Sequential([base_model, layers.Dense(10)])
    assert model.layers[1].kernel.shape == (32, 10)  # built for the base model's output, not its input
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    frozen = base_model.get_weights()
    model.fit(X_TRAIN, Y_TRAIN, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, base_model.get_weights()))
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, 32)" in line and "Sequential" in line for line in lines)


# ---------------------------------------------------------------------------------------- The Functional API
def _mnist_model(k):
    inputs = k.Input(shape=(784,))
    dense = k.layers.Dense(64, activation="relu")
    x = dense(inputs)
    x = k.layers.Dense(64, activation="relu")(x)
    outputs = k.layers.Dense(10)(x)
    return k.Model(inputs=inputs, outputs=outputs, name="mnist_model")


def test_functional_guide_mnist_mlp_trains_saves_and_loads(tmp_path):
    inputs = keras.Input(shape=(784,))
    assert inputs.shape == (None, 784) and inputs.dtype == "float32"
    keras.utils.set_random_seed(0)
    model = _mnist_model(keras)
    assert model.name == "mnist_model" and model.count_params() == 55050
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(), metrics=[keras.metrics.SparseCategoricalAccuracy()])
    history = model.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=2, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                       "val_sparse_categorical_accuracy"]
    test_scores = model.evaluate(X_TRAIN, Y_TRAIN, verbose=0)
    model.save(tmp_path / "my_model.keras")
    predictions = model.predict(X_TRAIN[:5], verbose=0)
    del model
    model = keras.models.load_model(tmp_path / "my_model.keras")
    np.testing.assert_allclose(model.predict(X_TRAIN[:5], verbose=0), predictions, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(X_TRAIN, Y_TRAIN, verbose=0), test_scores, rtol=1e-5)


def test_functional_guide_mnist_mlp_matches_keras_on_one_epoch_of_sgd():
    k = real_keras()
    ours, theirs = _mnist_model(keras), _mnist_model(k)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(ours.predict(X_TRAIN, verbose=0), theirs.predict(X_TRAIN, verbose=0), atol=1e-5)
    for m, lib in ((ours, keras), (theirs, k)):
        m.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
        m.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)


def test_functional_guide_all_models_are_callable_just_like_layers(tmp_path):
    encoder_input = keras.Input(shape=(784,), name="original_img")
    x = layers.Dense(64, activation="relu")(encoder_input)
    encoder_output = layers.Dense(16)(x)
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    x = layers.Dense(64, activation="relu")(decoder_input)
    decoder_output = layers.Dense(784)(x)
    decoder = keras.Model(decoder_input, decoder_output, name="decoder")

    autoencoder_input = keras.Input(shape=(784,), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
    assert encoded_img.shape == (None, 16) and decoded_img.shape == (None, 784)
    assert [layer.name for layer in autoencoder.layers] == ["img", "encoder", "decoder"]
    autoencoder.compile(optimizer="adam", loss="mse")
    autoencoder.fit(X_TRAIN, X_TRAIN, epochs=1, verbose=0)
    np.testing.assert_allclose(autoencoder.predict(X_TRAIN[:4], verbose=0),
                               decoder.predict(encoder.predict(X_TRAIN[:4], verbose=0), verbose=0), rtol=1e-5)
    autoencoder.save(tmp_path / "autoencoder.keras")  # the models inside are saved whole, as Keras saves them
    again = keras.models.load_model(tmp_path / "autoencoder.keras")
    assert [layer.name for layer in again.layers] == ["img", "encoder", "decoder"]
    np.testing.assert_array_equal(again.predict(X_TRAIN[:4], verbose=0), autoencoder.predict(X_TRAIN[:4], verbose=0))
    with pytest.raises(ShapeError, match="takes samples of shape \\(16,\\) but was called on"):
        decoder(keras.Input(shape=(8,)))


def test_functional_guide_a_subclassed_model_inside_a_functional_model():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense_1 = layers.Dense(8, activation="relu")
            self.dense_2 = layers.Dense(4)

        def call(self, inputs):
            return self.dense_2(self.dense_1(inputs))

    inputs = keras.Input(shape=(5,))
    outputs = layers.Dense(1)(MLP()(inputs))
    model = keras.Model(inputs, outputs)
    assert outputs.shape == (None, 1) and model.count_params() == 48 + 36 + 5
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(RNG.random((32, 5)), RNG.random(32), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


# ------------------------------------------------------------------ Making new layers and models via subclassing
class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def test_subclassing_guide_weights_non_trainable_weights_and_composition():
    class EagerLinear(keras.layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    x = ops.ones((2, 2))
    linear_layer = EagerLinear(4, 2)
    assert linear_layer(x).shape == (2, 4)
    assert linear_layer.weights == [linear_layer.w, linear_layer.b]

    class ComputeSum(keras.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return self.total

    my_sum = ComputeSum(2)
    assert my_sum(x).numpy().tolist() == [2.0, 2.0]
    assert my_sum(x).numpy().tolist() == [4.0, 4.0]
    assert (len(my_sum.weights), len(my_sum.non_trainable_weights), my_sum.trainable_weights) == (1, 1, [])
    my_sum.trainable = False
    my_sum.trainable = True  # unfreezing the layer leaves a weight made with trainable=False untrained
    assert my_sum.trainable_weights == []
    with pytest.raises(ShapeError, match=r"assign_add got a value of shape \(3,\) for a weight of shape \(2,\)"):
        my_sum.total.assign_add(np.ones(3))

    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.linear_2 = Linear(32)
            self.linear_3 = Linear(1)

        def call(self, inputs):
            x = self.linear_1(inputs)
            x = keras.activations.relu(x)
            x = self.linear_2(x)
            x = keras.activations.relu(x)
            return self.linear_3(x)

    mlp = MLPBlock()
    assert mlp(ops.ones(shape=(3, 64))).shape == (3, 1)
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


def test_subclassing_guide_add_loss_is_reset_each_call_and_added_to_the_loss_by_fit():
    class OuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    assert len(layer.losses) == 0  # no losses yet since the layer has never been called
    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1
    _ = layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1  # layer.losses gets reset at the start of each __call__

    class OuterLayerWithKernelRegularizer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

        def call(self, inputs):
            return self.dense(inputs)

    layer = OuterLayerWithKernelRegularizer()
    _ = layer(ops.zeros((1, 1)))
    (penalty,) = layer.losses
    np.testing.assert_allclose(float(penalty), 1e-3 * np.sum(layer.dense.kernel.numpy() ** 2), rtol=1e-6)

    # the guide's model has no weights at all, which fit refuses (nothing to train): a Dense of identity leads
    inputs = keras.Input(shape=(3,))
    outputs = ActivityRegularizationLayer()(layers.Dense(3)(inputs))
    model = keras.Model(inputs, outputs)
    model.layers[1].set_weights([np.eye(3), np.zeros(3)])
    model.compile(optimizer="adam", loss="mse")
    x, y = RNG.random((2, 3)), RNG.random((2, 3))
    expected = np.mean((x - y) ** 2) + 1e-2 * np.mean(x)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)
    history = model.fit(x, y, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
    with pytest.raises(ConfigError, match="the losses of add_loss are added to it, never trained on alone"):
        model.compile(optimizer="adam")


def test_subclassing_guide_add_loss_matches_keras_on_one_step():
    k = real_keras()

    class Penalty(k.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.1 * k.ops.sum(inputs))
            return inputs

    class OurPenalty(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(0.1 * ops.sum(inputs))
            return inputs

    def build(lib, penalty):
        inputs = lib.Input(shape=(6,))
        x = lib.layers.Dense(4, activation="relu")(inputs)
        x = penalty()(x)
        return lib.Model(inputs, lib.layers.Dense(3)(x))

    ours, theirs = build(keras, OurPenalty), build(k, Penalty)
    theirs.set_weights(ours.get_weights())
    x, y = RNG.random((16, 6), dtype=np.float32), RNG.integers(0, 3, 16)
    for m, lib in ((ours, keras), (theirs, k)):
        m.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    ours_loss = ours.fit(x, y, batch_size=16, verbose=0).history["loss"][0]
    theirs_loss = theirs.fit(x, y, batch_size=16, verbose=0).history["loss"][0]
    np.testing.assert_allclose(ours_loss, theirs_loss, rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-6)


def test_subclassing_guide_serialization_and_the_training_argument(tmp_path):
    layer = Linear(64)
    config = layer.get_config()
    assert config["units"] == 64
    new_layer = Linear.from_config(config)
    assert new_layer.units == 64 and new_layer.name == layer.name

    model = keras.Sequential([keras.Input(shape=(5,)), Linear(3), layers.Dense(1)])
    model.save(tmp_path / "linear.keras")
    again = keras.models.load_model(tmp_path / "linear.keras", custom_objects={"Linear": Linear})
    np.testing.assert_allclose(again.predict(np.ones((2, 5)), verbose=0), model.predict(np.ones((2, 5)), verbose=0))

    class CustomDropout(keras.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs, training=None):
            if training:
                return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
            return inputs

    dropout = CustomDropout(0.5)
    x = np.ones((200, 10), dtype=np.float32)
    assert np.array_equal(dropout(x).numpy(), x)
    dropped = dropout(x, training=True).numpy()
    assert set(np.unique(dropped)) == {0.0, 2.0} and 0.4 < (dropped == 0).mean() < 0.6


def test_subclassing_guide_end_to_end_variational_autoencoder():
    class Sampling(layers.Layer):
        """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch = ops.shape(z_mean)[0]
            dim = ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    class Encoder(layers.Layer):
        def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_mean = layers.Dense(latent_dim)
            self.dense_log_var = layers.Dense(latent_dim)
            self.sampling = Sampling()

        def call(self, inputs):
            x = self.dense_proj(inputs)
            z_mean = self.dense_mean(x)
            z_log_var = self.dense_log_var(x)
            z = self.sampling((z_mean, z_log_var))
            return z_mean, z_log_var, z

    class Decoder(layers.Layer):
        def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_output = layers.Dense(original_dim, activation="sigmoid")

        def call(self, inputs):
            x = self.dense_proj(inputs)
            return self.dense_output(x)

    class VariationalAutoEncoder(keras.Model):
        def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.original_dim = original_dim
            self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
            self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

        def call(self, inputs):
            z_mean, z_log_var, z = self.encoder(inputs)
            reconstructed = self.decoder(z)
            kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
            self.add_loss(kl_loss)
            return reconstructed

    vae = VariationalAutoEncoder(784, 64, 32)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    history = vae.fit(X_TRAIN, X_TRAIN, epochs=3, batch_size=64, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert len(vae.losses) == 1 and float(vae.losses[0]) >= 0  # the KL term of the last call


# ---------------------------------------------------------------- Training & evaluation with the built-in methods
def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


def test_training_guide_api_overview_with_validation_data():
    x_train, y_train = X_TRAIN[:200], Y_TRAIN[:200].astype("float32")
    x_val, y_val = X_TRAIN[200:], Y_TRAIN[200:].astype("float32")
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_data=(x_val, y_val), verbose=0)
    assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                       "val_sparse_categorical_accuracy"]
    results = model.evaluate(x_val, y_val, batch_size=128, verbose=0)
    assert results[0] == pytest.approx(history.history["val_loss"][-1], rel=1e-5)
    assert model.predict(x_val[:3], verbose=0).shape == (3, 10)
    as_dict = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
    assert as_dict == pytest.approx({"loss": results[0], "sparse_categorical_accuracy": results[1]})


def _custom_mse(lib, lib_ops):
    """The guide's ``CustomMSE`` over Keras module ``lib`` (fnlearn's or the real one), as the guide writes it."""

    class CustomMSE(lib.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = lib_ops.mean(lib_ops.square(y_true - y_pred), axis=-1)
            reg = lib_ops.mean(lib_ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor

    return CustomMSE()


def test_training_guide_custom_losses_as_functions_and_loss_subclasses():
    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    y_train_one_hot = ops.one_hot(Y_TRAIN, num_classes=10)
    assert y_train_one_hot.shape == (256, 10) and float(ops.sum(y_train_one_hot)) == 256
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)
    first = model.fit(X_TRAIN, y_train_one_hot, batch_size=64, epochs=1, verbose=0).history["loss"][0]

    model.compile(optimizer=keras.optimizers.Adam(), loss=_custom_mse(keras, ops))
    second = model.fit(X_TRAIN, y_train_one_hot, batch_size=64, epochs=1, verbose=0).history["loss"][0]
    assert 0 < first and 0 < second
    pred = model.predict(X_TRAIN, verbose=0)
    expected = np.mean((y_train_one_hot.numpy() - pred) ** 2 + 0.1 * (0.5 - pred) ** 2)
    assert model.evaluate(X_TRAIN, y_train_one_hot, verbose=0) == pytest.approx(expected, rel=1e-5)
    weights = np.where(Y_TRAIN == 5, 2.0, 1.0)  # per-sample values weighted, as Keras does
    weighted = model.evaluate(X_TRAIN, y_train_one_hot, sample_weight=weights, verbose=0)
    per_sample = np.mean((y_train_one_hot.numpy() - pred) ** 2 + 0.1 * (0.5 - pred) ** 2, axis=-1)
    assert weighted == pytest.approx(np.mean(per_sample * weights), rel=1e-5)


def test_training_guide_custom_loss_subclass_matches_keras():
    k = real_keras()

    y = np.eye(10, dtype=np.float32)[Y_TRAIN[:32]]
    pred = RNG.random((32, 10), dtype=np.float32)
    assert float(_custom_mse(keras, ops)(y, pred)) == pytest.approx(float(_custom_mse(k, k.ops)(y, pred)), rel=1e-6)


def test_training_guide_custom_metric_subclass():
    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)

    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=[CategoricalTruePositives()])
    history = model.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=3, verbose=0).history
    assert len(history["categorical_true_positives"]) == 3
    assert all(0 <= value <= 256 * 256 for value in history["categorical_true_positives"])


def test_training_guide_activity_regularization_inserted_as_a_layer():
    class ActivityRegularization(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs) * 0.1)
            return inputs  # pass-through layer

    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = ActivityRegularization()(x)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = model.evaluate(X_TRAIN, Y_TRAIN, batch_size=256, verbose=0)
    hidden = np.maximum(X_TRAIN @ model.layers[1].kernel.numpy() + model.layers[1].bias.numpy(), 0)
    model_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(Y_TRAIN, model.predict(X_TRAIN,
                                                                                                     verbose=0))
    # evaluate adds each batch's activity term (one batch of 256 here)
    assert before == pytest.approx(float(model_loss) + 0.1 * hidden.sum(), rel=1e-4)
    model.fit(X_TRAIN, Y_TRAIN, batch_size=64, epochs=1, verbose=0)


def test_training_guide_class_and_sample_weights_and_callbacks(tmp_path):
    class_weight = {i: 1.0 for i in range(10)}
    class_weight[5] = 2.0
    model = get_compiled_model()
    model.fit(X_TRAIN, Y_TRAIN, class_weight=class_weight, batch_size=64, epochs=1, verbose=0)
    sample_weight = np.ones(shape=(len(Y_TRAIN),))
    sample_weight[Y_TRAIN == 5] = 2.0
    model = get_compiled_model()
    model.fit(X_TRAIN, Y_TRAIN, sample_weight=sample_weight, batch_size=64, epochs=1, verbose=0)

    callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2, verbose=0)]
    history = model.fit(X_TRAIN, Y_TRAIN, epochs=20, batch_size=64, callbacks=callbacks, validation_split=0.2,
                        verbose=0)
    assert len(history.history["loss"]) < 20  # random labels: the validation loss stops improving

    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))

    recorder = LossHistory()
    model.fit(X_TRAIN, Y_TRAIN, epochs=1, batch_size=64, callbacks=[recorder], verbose=0)
    assert len(recorder.per_batch_losses) == 4

    model = get_compiled_model()
    callbacks = [keras.callbacks.ModelCheckpoint(filepath=str(tmp_path / "mymodel_{epoch}.keras"),
                                                 save_best_only=True, monitor="val_loss", verbose=0)]
    model.fit(X_TRAIN, Y_TRAIN, epochs=2, batch_size=64, callbacks=callbacks, validation_split=0.2, verbose=0)
    saved = sorted(os.listdir(tmp_path))
    assert saved and set(saved) <= {"mymodel_1.keras", "mymodel_2.keras"}
    checkpoints = [str(tmp_path / name) for name in saved]
    latest_checkpoint = max(checkpoints, key=os.path.getctime)
    assert keras.models.load_model(latest_checkpoint).predict(X_TRAIN[:2], verbose=0).shape == (2, 10)

    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(initial_learning_rate, decay_steps=100000,
                                                              decay_rate=0.96, staircase=True)
    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    model = get_uncompiled_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(X_TRAIN, Y_TRAIN, epochs=1, batch_size=64, verbose=0)
