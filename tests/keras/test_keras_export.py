"""fnlearn models written as real Keras 3 .keras files: Keras loads them and predicts the same, fnlearn reads them
back, and what Keras cannot take is refused before any file is written."""

from __future__ import annotations

import json
import os
import warnings
import zipfile

import numpy as np
import pytest
from real_keras import compiled, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.backend import to_numpy
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(0)
layers = keras.layers


def _outputs(value):
    return [to_numpy(v) for v in value] if isinstance(value, (list, tuple)) else [to_numpy(value)]


def _exported(model, tmp_path, name="m.keras"):
    path = tmp_path / name
    fl.io.export_keras(model, path)
    return path


def _loaded_by_keras(real, path):
    """Keras's model from the file, which must load without a warning (a skipped optimizer state, say)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return real.models.load_model(path)


def _same_predictions(real, ours, path, x):
    """Keras's model from the file and fnlearn's own reading of it both predict as ``ours``."""
    theirs = _loaded_by_keras(real, path)
    expected = _outputs(ours.predict(x, verbose=0))
    for got in (_outputs(compiled(real, theirs, x)), _outputs(keras.models.load_model(path).predict(x, verbose=0))):
        assert [g.shape for g in got] == [e.shape for e in expected]
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    return theirs


def test_compiled_mlp_comes_over_with_its_compile_settings(tmp_path):
    real = real_keras()
    x = RNG.normal(size=(16, 4)).astype("float32")
    ours = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(5, activation="relu"), layers.Dropout(0.2),
                             layers.Dense(3, activation="softmax")], name="mlp")
    ours.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ours.fit(x, RNG.integers(0, 3, 16), epochs=1, batch_size=8, verbose=0)
    path = _exported(ours, tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        doc = json.loads(archive.read("config.json"))
    assert doc["class_name"] == "Sequential" and doc["build_config"] == {"input_shape": [None, 4]}
    assert doc["compile_config"]["metrics"] == ["accuracy"]
    theirs = _same_predictions(real, ours, path, x)
    assert theirs.name == "mlp" and type(theirs.optimizer).__name__ == "Adam"
    assert float(theirs.optimizer.learning_rate) == pytest.approx(0.01)
    assert theirs.loss == "sparse_categorical_crossentropy"
    again = keras.models.load_model(path)
    assert again.compiled and type(again.optimizer).__name__ == "Adam"
    # model.save keeps writing fnlearn's own format, whatever the name
    ours.save(tmp_path / "own.keras")
    assert not zipfile.is_zipfile(tmp_path / "own.keras")


@pytest.mark.parametrize("make", [lambda o: o.SGD(0.05, momentum=0.9), lambda o: o.Adam(0.01, amsgrad=True),
                                  lambda o: o.Adagrad(0.05), lambda o: o.RMSprop(0.01, centered=True),
                                  lambda o: o.AdamW(0.01, use_ema=True), lambda o: o.Nadam(0.01)],
                         ids=["sgd_momentum", "adam_amsgrad", "adagrad", "rmsprop_centered", "adamw_ema", "nadam"])
def test_keras_goes_on_training_from_the_optimizer_state_fnlearn_wrote(tmp_path, make):
    """The optimizer's step count, slots and moving averages go in the file as Keras lists its variables: Keras
    loads them without a warning, and one more epoch in Keras and in fnlearn ends with the same weights; read back,
    fnlearn's reader takes the same state."""
    real = real_keras()
    rng = np.random.default_rng(5)  # the same data whichever tests ran before
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    fl.set_seed(2)
    ours = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(3, activation="tanh"), layers.Dense(1)])
    ours.compile(optimizer=make(keras.optimizers), loss="mse")
    ours.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    path = _exported(ours, tmp_path)
    theirs, again = _loaded_by_keras(real, path), keras.models.load_model(path)
    assert int(theirs.optimizer.iterations) == again.optimizer.iterations == ours.optimizer.iterations == 4
    for mine, read in zip(ours.optimizer.state, again.optimizer.state):
        assert sorted(mine) == sorted(read)
        for slot in mine:
            np.testing.assert_array_equal(to_numpy(read[slot]), to_numpy(mine[slot]))
    if ours.optimizer.use_ema:  # Keras 3.15 cannot fit again after loading averages on JAX (a buffer donated twice)
        return
    for model in (ours, theirs):
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    # RMSprop's ε: fnlearn adds it to √v, Keras inside the root (docs/keras.md), a few 1e-5 on small v
    atol = 5e-5 if type(ours.optimizer).__name__ == "RMSprop" else 2e-6
    for got, want in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol)


def test_mnist_like_cnn(tmp_path):
    real = real_keras()
    x = RNG.random((6, 8, 8, 1)).astype("float32")
    ours = keras.Sequential([keras.Input(shape=(8, 8, 1)), layers.Conv2D(2, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.5),
                             layers.Dense(3, activation="softmax")])
    ours.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    ours.fit(x, RNG.integers(0, 3, 6), epochs=1, batch_size=6, verbose=0)
    theirs = _same_predictions(real, ours, _exported(ours, tmp_path), x)
    assert type(theirs.optimizer).__name__ == "SGD"


def test_normalizing_and_reshaping_layers(tmp_path):
    real = real_keras()
    x = RNG.random((4, 8, 8, 1)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(x)
    ours = keras.Sequential([keras.Input(shape=(8, 8, 1)), norm, layers.Rescaling(0.5, offset=0.1),
                             layers.Conv2D(2, 3, padding="same"), layers.BatchNormalization(),
                             layers.AveragePooling2D(2), layers.Activation("tanh"), layers.GlobalAveragePooling2D(),
                             layers.LayerNormalization(), layers.Reshape((2, 1)), layers.Flatten(), layers.Dense(2)])
    ours.compile(optimizer="adam", loss="mse")
    ours.fit(x, RNG.random((4, 2)).astype("float32"), epochs=1, batch_size=4, verbose=0)  # moves BN's statistics
    _same_predictions(real, ours, _exported(ours, tmp_path), x)



def test_an_adapted_normalization_keeps_its_statistics_as_kerass_weights(tmp_path):
    """Keras writes an adapted Normalization's mean, variance and integer count as weights (its config has no
    mean): so does export_keras, so that the file's weights fit any Keras model of the same layers (an
    EfficientNet's, say), and both libraries read the statistics back."""
    real = real_keras()
    x = RNG.random((6, 3)).astype("float32") * 4
    norm = layers.Normalization()
    norm.adapt(x)
    ours = keras.Sequential([keras.Input(shape=(3,)), norm, layers.Dense(2)])
    theirs = _same_predictions(real, ours, _exported(ours, tmp_path), x)
    their_norm = theirs.layers[0]
    assert their_norm.get_config()["mean"] is None
    assert [v.name for v in their_norm.weights] == ["mean", "variance", "count"]
    assert str(their_norm.weights[2].dtype) == "int32"
    np.testing.assert_allclose(their_norm.get_weights()[1], norm.get_weights()[1], rtol=1e-6)

def test_functional_two_inputs_two_outputs(tmp_path):
    real = real_keras()
    wide, deep = keras.Input(shape=(3,), name="wide"), keras.Input(shape=(2,), name="deep")
    joined = layers.Concatenate()([wide, deep])
    hidden = layers.Dense(4, activation="relu")(joined)
    summed = layers.Add()([hidden, layers.Dense(4)(wide)])
    ours = keras.Model([wide, deep], [layers.Dense(1, name="score")(summed),
                                      layers.Dense(2, activation="softmax", name="kind")(hidden)])
    x = [RNG.normal(size=(5, 3)).astype("float32"), RNG.normal(size=(5, 2)).astype("float32")]
    path = _exported(ours, tmp_path)
    theirs = _same_predictions(real, ours, path, x)
    assert [t.name for t in theirs.inputs] == ["wide", "deep"]
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in ours.layers]


def test_functional_chain_from_one_input(tmp_path):
    real = real_keras()
    inputs = keras.Input(shape=(3,))
    ours = keras.Model(inputs, layers.Dense(2, activation="sigmoid")(layers.Dense(4)(inputs)))
    _same_predictions(real, ours, _exported(ours, tmp_path), RNG.normal(size=(3, 3)).astype("float32"))


@pytest.mark.parametrize("recurrent", [[layers.LSTM], [lambda units: layers.GRU(units, return_sequences=True),
                                                       layers.SimpleRNN]], ids=["LSTM", "GRU-SimpleRNN"])
def test_masked_embedding_and_recurrent_classifier(tmp_path, recurrent):
    real = real_keras()
    ours = keras.Sequential([keras.Input(shape=(6,)), layers.Embedding(10, 4, mask_zero=True),
                             *[make(3) for make in recurrent], layers.Dense(2, activation="softmax")])
    x = RNG.integers(1, 10, (4, 6)).astype("float32")
    x[:, -2:] = 0  # padding the mask hides
    _same_predictions(real, ours, _exported(ours, tmp_path), x)


def test_image_and_sequence_layers(tmp_path):
    """Padding, cropping, upsampling, transposed and 1-D convolutions, the 1-D and max poolings, the activation
    and noise layers (inference: the noise is off), RepeatVector and Permute."""
    real = real_keras()
    images = keras.Sequential([
        keras.Input(shape=(6, 6, 2)), layers.ZeroPadding2D(1), layers.Conv2D(3, 3, activation="relu"),
        layers.ReLU(max_value=0.5), layers.UpSampling2D(2), layers.Cropping2D(1), layers.MaxPooling2D(2),
        layers.Conv2DTranspose(2, 3, strides=2), layers.LeakyReLU(0.2), layers.SpatialDropout2D(0.3),
        layers.GaussianNoise(0.1), layers.SeparableConv2D(3, 3, padding="same", depth_multiplier=2),
        layers.DepthwiseConv2D(2, strides=2), layers.PReLU(keras.initializers.Constant(0.25), shared_axes=[1, 2]),
        layers.GlobalMaxPooling2D(), layers.Dense(3), layers.ELU(), layers.Softmax()])
    _same_predictions(real, images, _exported(images, tmp_path, "images.keras"),
                      RNG.normal(size=(3, 6, 6, 2)).astype("float32"))
    sequences = keras.Sequential([
        keras.Input(shape=(8, 3)), layers.ZeroPadding1D(1), layers.Conv1D(4, 2, padding="causal", dilation_rate=2),
        layers.SeparableConv1D(4, 3, padding="same"), layers.DepthwiseConv1D(2, padding="same"),
        layers.Cropping1D(1), layers.MaxPooling1D(2), layers.UpSampling1D(2), layers.AveragePooling1D(2),
        layers.SpatialDropout1D(0.2), layers.GaussianDropout(0.2), layers.UnitNormalization(), layers.Identity(),
        layers.GlobalAveragePooling1D(), layers.RepeatVector(3), layers.Permute((2, 1)), layers.GlobalMaxPooling1D(),
        layers.Dense(1)])
    _same_predictions(real, sequences, _exported(sequences, tmp_path, "sequences.keras"),
                      RNG.normal(size=(3, 8, 3)).astype("float32"))


def test_wrapped_layers(tmp_path):
    """TimeDistributed and Bidirectional: the wrapped layer's entry inside theirs, the weights of each direction in
    a group of its own, Keras's backward layer made by Keras as the mirror."""
    real = real_keras()
    ours = keras.Sequential([
        keras.Input(shape=(5, 3)), layers.TimeDistributed(layers.Dense(4, activation="tanh")),
        layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
        layers.Bidirectional(layers.GRU(2), merge_mode="sum"), layers.Dense(1)])
    _same_predictions(real, ours, _exported(ours, tmp_path), RNG.normal(size=(4, 5, 3)).astype("float32"))


def test_attention_layers(tmp_path):
    """A transformer decoder's causal self-attention (each projection's kernel and bias in its sublayer, as Keras
    keeps them), the residual and norm, then Luong's attention (scaled, concat scores) and Bahdanau's on a second
    sequence."""
    real = real_keras()
    tokens, memory = keras.Input(shape=(5, 8)), keras.Input(shape=(6, 8))
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(tokens, tokens, use_causal_mask=True)
    block = layers.LayerNormalization()(layers.Add()([tokens, attended]))
    unbiased = layers.MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False)(block, memory)
    luong = layers.Attention(use_scale=True, score_mode="concat")([unbiased, memory])
    bahdanau = layers.AdditiveAttention()([block, memory])
    pooled = layers.GlobalAveragePooling1D()(layers.Concatenate()([luong, bahdanau]))
    ours = keras.Model([tokens, memory], layers.Dense(2)(pooled))
    for layer in ours.layers:  # weights away from their starts (zero biases, a scale of 1) so each one shows
        layer.set_weights([RNG.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    x = [RNG.normal(size=(3, 5, 8)).astype("float32"), RNG.normal(size=(3, 6, 8)).astype("float32")]
    _same_predictions(real, ours, _exported(ours, tmp_path), x)


def test_augmentation_normalization_and_preprocessing_layers(tmp_path):
    """The augmentation layers (off outside training, in both libraries), resizing and cropping, group and RMS
    normalization, the noise and regularization layers; Masking before a GRU; Conv1DTranspose; CategoryEncoding."""
    real = real_keras()
    images = keras.Sequential([
        keras.Input(shape=(8, 8, 3)), layers.RandomFlip(seed=1), layers.RandomRotation(0.1, seed=1),
        layers.RandomZoom(0.1, seed=1), layers.RandomTranslation(0.1, 0.1, seed=1), layers.RandomContrast(0.1, seed=1),
        layers.RandomBrightness(0.1, seed=1), layers.RandomCrop(8, 8, seed=1), layers.Resizing(10, 10),
        layers.CenterCrop(6, 6), layers.Conv2D(4, 3), layers.GroupNormalization(2), layers.RMSNormalization(),
        layers.AlphaDropout(0.2), layers.ActivityRegularization(0.01), layers.GlobalAveragePooling2D(),
        layers.Dense(2)])
    for layer in images.layers:  # γ, β and the scale away from their starts, so each one shows
        layer.set_weights([RNG.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    path, x = _exported(images, tmp_path, "images.keras"), RNG.normal(size=(3, 8, 8, 3)).astype("float32")
    # predict, not a call: Keras's augmentation layers augment when called without training=False
    for got in (_loaded_by_keras(real, path).predict(x, verbose=0), keras.models.load_model(path).predict(x)):
        np.testing.assert_allclose(to_numpy(got), images.predict(x, verbose=0), rtol=1e-5, atol=2e-6)
    steps = RNG.normal(size=(3, 5, 3)).astype("float32")
    steps[0, 3:] = 0  # padding Masking hides from the GRU
    for i, model in enumerate([
            keras.Sequential([keras.Input(shape=(5, 3)), layers.Masking(0.0), layers.GRU(2), layers.Dense(1)]),
            keras.Sequential([keras.Input(shape=(5, 3)), layers.Conv1DTranspose(2, 3, strides=2),
                              layers.GlobalAveragePooling1D(), layers.Dense(1)])]):
        _same_predictions(real, model, _exported(model, tmp_path, f"steps{i}.keras"), steps)
    tokens = keras.Sequential([keras.Input(shape=(3,)), layers.CategoryEncoding(5, output_mode="multi_hot"),
                               layers.Dense(2)])
    _same_predictions(real, tokens, _exported(tokens, tmp_path, "tokens.keras"),
                      RNG.integers(0, 5, (4, 3)).astype("float32"))


def test_recurrent_layers_of_cells_and_dot(tmp_path):
    """RNN(cell) with each built-in cell, a stack of cells (each cell's weights in its own group, as Keras keeps
    them), and Dot with normalize."""
    real = real_keras()
    steps = keras.Sequential([keras.Input(shape=(5, 4)), layers.RNN(layers.LSTMCell(3), return_sequences=True),
                              layers.RNN([layers.GRUCell(2), layers.SimpleRNNCell(3)]), layers.Dense(1)])
    _same_predictions(real, steps, _exported(steps, tmp_path, "cells.keras"),
                      RNG.normal(size=(3, 5, 4)).astype("float32"))
    a, b = keras.Input(shape=(4,)), keras.Input(shape=(4,))
    cosine = keras.Model([a, b], layers.Dense(1)(layers.Dot(axes=1, normalize=True)([a, b])))
    _same_predictions(real, cosine, _exported(cosine, tmp_path, "dot.keras"),
                      [RNG.normal(size=(3, 4)).astype("float32") for _ in range(2)])


def test_models_used_as_layers(tmp_path):
    """A Sequential block and a functional head inside a functional model, the block again inside a Sequential:
    each nested model's entry and weights as Keras nests them; compiled and trained, its optimizer state too."""
    real = real_keras()
    block = keras.Sequential([layers.Dense(6, activation="relu"), layers.Dense(5)], name="block")
    inputs = keras.Input(shape=(4,))
    features = block(inputs)
    head_in = keras.Input(shape=(5,))
    head = keras.Model(head_in, layers.Dense(3, activation="tanh")(head_in), name="head")
    both = layers.Concatenate()([features, head(features)])
    ours = keras.Model(inputs, layers.Dense(1)(both))
    x, y = RNG.normal(size=(16, 4)).astype("float32"), RNG.normal(size=(16, 1)).astype("float32")
    ours.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    ours.fit(x, y, epochs=1, batch_size=8, verbose=0)
    theirs = _same_predictions(real, ours, _exported(ours, tmp_path), x)
    assert [type(layer).__name__ for layer in theirs.layers][1:3] == ["Sequential", "Functional"]
    assert int(theirs.optimizer.iterations) == 2
    stacked = keras.Sequential([keras.Input(shape=(4,)), block, layers.Dense(2)])
    _same_predictions(real, stacked, _exported(stacked, tmp_path, "stacked.keras"), x)



def test_initializers_with_settings_come_over_with_kerass_names_for_them(tmp_path):
    real = real_keras()
    inits = keras.initializers
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(3, kernel_initializer=inits.RandomNormal(0.5, 0.2, seed=1),
                                                 bias_initializer=inits.TruncatedNormal(0.1, 0.3)),
                              keras.layers.Dense(2, kernel_initializer=inits.VarianceScaling(2.0, "fan_out", "uniform"),
                                                 bias_initializer=inits.Constant(0.25))])
    model.compile("sgd", "mse")
    theirs = _same_predictions(real, model, _exported(model, tmp_path), np.ones((2, 4), np.float32))
    first, second = theirs.layers
    kernel = first.kernel_initializer
    assert (kernel.mean, kernel.stddev, kernel.seed) == (0.5, 0.2, 1)  # fnlearn's std is Keras's stddev
    assert (first.bias_initializer.mean, first.bias_initializer.stddev) == (0.1, 0.3)
    assert (second.kernel_initializer.scale, second.kernel_initializer.mode) == (2.0, "fan_out")
    assert second.bias_initializer.value == 0.25

def test_unsupported_layer_is_refused_before_any_file(tmp_path):
    inputs = keras.Input(shape=(6, 2))
    ours = keras.Model(inputs, layers.Lambda(lambda t: 2 * t, name="twice")(inputs))  # code Keras would load
    with pytest.raises(ConfigError, match=r"layer 'twice' \(Lambda\) is a layer export_keras does not write"):
        fl.io.export_keras(ours, tmp_path / "m.keras")
    assert os.listdir(tmp_path) == []


def test_setting_keras_lacks_is_refused(tmp_path):
    ours = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, kernel_constraint=keras.constraints.NonNeg())])
    with pytest.raises(ConfigError, match="constraint"):
        keras.saving.export_keras(ours, tmp_path / "m.keras")
    assert os.listdir(tmp_path) == []


def test_uncompilable_settings_are_left_out_with_a_warning(tmp_path):
    ours = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    ours.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)),
                 loss="mse")
    with pytest.warns(UserWarning, match="leaves out the compile settings"):
        path = _exported(ours, tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert "compile_config" not in json.loads(archive.read("config.json"))


@pytest.mark.parametrize("make, keras_form", [
    (lambda: keras.losses.MeanSquaredError(), "mse"),
    (lambda: keras.losses.Huber(delta=2.0), "Huber"),
    (lambda: keras.losses.MeanAbsoluteError(reduction="sum"), "MeanAbsoluteError"),
    (lambda: keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), "BinaryCrossentropy"),
], ids=["defaults", "delta", "sum", "logits"])
def test_loss_objects_come_over_as_keras_names_or_classes_keras_trains_with(tmp_path, make, keras_form):
    real = real_keras()
    x, y = RNG.normal(size=(8, 3)).astype("float32"), RNG.uniform(size=(8, 2)).astype("float32")
    ours = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2)])
    ours.compile(optimizer="sgd", loss=make())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left out
        path = _exported(ours, tmp_path)
    with zipfile.ZipFile(path) as archive:
        loss = json.loads(archive.read("config.json"))["compile_config"]["loss"]
    assert loss == keras_form if isinstance(loss, str) else loss["class_name"] == keras_form
    theirs = _loaded_by_keras(real, path)
    np.testing.assert_allclose(theirs.evaluate(x, y, verbose=0), ours.evaluate(x, y, verbose=0), rtol=1e-5)
    theirs.fit(x, y, epochs=1, verbose=0)  # Keras trains with it (its loss once a dict it could not build)
    again = keras.models.load_model(path)
    np.testing.assert_allclose(again.evaluate(x, y, verbose=0), ours.evaluate(x, y, verbose=0), rtol=1e-6)


def test_a_loss_class_of_ones_own_leaves_the_compile_settings_out_with_a_warning(tmp_path):
    class Scaled(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1) * 2.0

    ours = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
    ours.compile(optimizer="sgd", loss=Scaled())
    with pytest.warns(UserWarning, match="the loss is one Keras has no class for"):
        path = _exported(ours, tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert "compile_config" not in json.loads(archive.read("config.json"))
