"""fnlearn.compat.tensorflow: `tf.keras.…` for programs whose only change is the TensorFlow import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from value_checks import assert_custom_loss_trains_as_mse, assert_like_numpy

import fnlearn as fl
from fnlearn import keras


def test_tf_keras_is_fnlearn_keras():
    from fnlearn.compat import tensorflow as tf

    assert tf.keras is keras
    assert tf.keras.Sequential is keras.Sequential
    assert tf.keras.layers.Dense is fl.layers.Dense
    assert tf.keras.optimizers.Adam is keras.optimizers.Adam
    assert tf.keras.utils.to_categorical is fl.data.to_categorical
    assert callable(tf.keras.datasets.mnist.load_data)
    assert tf.__version__ == fl.__version__


def test_the_likes_model_builds_as_written():
    from fnlearn.compat import tensorflow as tf

    model = tf.keras.Sequential([
        tf.keras.layers.Dense(5, activation="relu", input_shape=(5,)),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    assert model.num_parameters() == 36
    out = model(np.ones((2, 5))).numpy()
    assert out.shape == (2, 1) and np.all((out > 0) & (out < 1))


def test_tf_random_set_seed_seeds_fnlearn():
    from fnlearn.compat import tensorflow as tf

    tf.random.set_seed(7)
    a = tf.keras.layers.Dense(3, input_dim=2).kernel.numpy()
    fl.set_seed(7)
    assert np.array_equal(a, fl.layers.Dense(3, input_dim=2).kernel.numpy())


def test_dotted_imports_work_in_a_fresh_interpreter():
    """`from tensorflow.keras.models import Sequential` becomes an import under fnlearn.compat.tensorflow."""
    program = textwrap.dedent("""
        from fnlearn.compat.tensorflow.keras.models import Sequential
        from fnlearn.compat.tensorflow.keras.layers import Dense
        from fnlearn.compat.tensorflow.keras.optimizers import SGD
        from fnlearn.compat.tensorflow.keras.datasets import mnist
        import fnlearn.compat.tensorflow.keras.utils as utils
        import fnlearn.compat
        model = Sequential([Dense(100, activation="relu", input_dim=784), Dense(10, activation="softmax")])
        assert callable(mnist.load_data) and callable(utils.to_categorical) and SGD(lr=0.1).learning_rate == 0.1
        assert fnlearn.compat.tensorflow.keras.Sequential is Sequential
        print(model.num_parameters())
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(784 * 100 + 100 + 100 * 10 + 10)


@pytest.mark.host_only
def test_the_text_data_sets_and_pad_sequences_import_as_in_tensorflow_in_a_fresh_interpreter():
    program = textwrap.dedent("""
        from fnlearn.compat.tensorflow.keras.datasets import boston_housing, imdb, reuters
        from fnlearn.compat.tensorflow.keras.preprocessing.sequence import pad_sequences
        from fnlearn.compat.tensorflow.keras.utils import pad_sequences as utils_pad
        from fnlearn.compat import tensorflow as tf
        import fnlearn.keras.datasets as kd
        assert (imdb, reuters, boston_housing) == (kd.imdb, kd.reuters, kd.boston_housing)
        assert tf.keras.datasets.imdb.get_word_index is kd.imdb.get_word_index
        assert pad_sequences is utils_pad is tf.keras.preprocessing.sequence.pad_sequences
        print(pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist(), reuters.get_label_names()[3])
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[[2, 3], [0, 4]] earn"


def test_unknown_compat_module_is_an_attribute_error():
    import fnlearn.compat

    try:
        fnlearn.compat.pytorch  # noqa: B018
    except AttributeError as exc:
        assert "pytorch" in str(exc)
    else:
        raise AssertionError("fnlearn.compat.pytorch should not exist")


def test_tf_nn_holds_fnlearns_activations_and_other_names_say_what_there_is(tmp_path):
    from fnlearn.compat import tensorflow as tf

    assert tf.nn.relu is fl.functional.relu and tf.nn.softmax is fl.functional.softmax
    model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation=tf.nn.relu, input_shape=(3,)),
                                 tf.keras.layers.Dense(2)])
    predictions = model(np.zeros((1, 3))).numpy()
    probabilities = tf.nn.softmax(predictions).numpy()  # the quickstart's two lines
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-6)
    model.save(tmp_path / "m.keras")
    assert tf.keras.models.load_model(tmp_path / "m.keras").layers[0].activation is fl.functional.relu
    with pytest.raises(AttributeError, match=r"tf.linspace is not part of .*use NumPy"):
        getattr(tf, "linspace")  # noqa: B009  (the attribute access is the point)


# ----------------------------------------------------------------------------- tf.math, tf.reduce_* and friends

RNG = np.random.default_rng(5)
X = RNG.normal(size=(2, 3)).astype(np.float32)
Y = RNG.normal(size=(2, 3)).astype(np.float32)
A3 = RNG.normal(size=(2, 3, 4))


def _tf():
    from fnlearn.compat import tensorflow as tf

    return tf


# (id, the tf call, NumPy's value, as TensorFlow documents it); built inside the test, after the backend fixture
TF_CASES = [
    ("reduce_mean", lambda tf: tf.reduce_mean(X), lambda: X.mean()),
    ("reduce_mean_axis", lambda tf: tf.reduce_mean(fl.tensor(X), axis=1), lambda: X.mean(axis=1)),
    ("reduce_mean_list_keepdims", lambda tf: tf.reduce_mean(X, axis=[0, 1], keepdims=True),
     lambda: X.mean(axis=(0, 1), keepdims=True)),
    ("reduce_sum", lambda tf: tf.reduce_sum(X, axis=0), lambda: X.sum(axis=0)),
    ("reduce_sum_tensor_axis", lambda tf: tf.reduce_sum(X, axis=tf.constant(-1, dtype=tf.int32)),
     lambda: X.sum(axis=-1)),
    ("reduce_max", lambda tf: tf.reduce_max(X, keepdims=True), lambda: X.max(keepdims=True)),
    ("reduce_min", lambda tf: tf.reduce_min(input_tensor=X, axis=-1), lambda: X.min(axis=-1)),
    ("square", lambda tf: tf.square(X), lambda: X ** 2),
    ("sqrt", lambda tf: tf.sqrt(np.abs(X)), lambda: np.sqrt(np.abs(X))),
    ("abs", lambda tf: tf.abs(X), lambda: np.abs(X)),
    ("exp", lambda tf: tf.exp(fl.tensor(X)), lambda: np.exp(X)),
    ("maximum", lambda tf: tf.maximum(X, 0.0), lambda: np.maximum(X, 0)),
    ("minimum", lambda tf: tf.minimum(X, Y), lambda: np.minimum(X, Y)),
    ("equal", lambda tf: tf.equal(np.round(X), 0.0), lambda: np.round(X) == 0),
    ("matmul", lambda tf: tf.matmul(X, Y.T), lambda: X @ Y.T),
    ("matmul_transpose_b", lambda tf: tf.matmul(X, Y, transpose_b=True), lambda: X @ Y.T),
    ("matmul_transpose_a", lambda tf: tf.matmul(X, Y, transpose_a=True), lambda: X.T @ Y),
    ("matmul_batched_adjoint", lambda tf: tf.matmul(A3, A3, adjoint_a=True), lambda: A3.transpose(0, 2, 1) @ A3),
    ("reshape", lambda tf: tf.reshape(X, [3, -1]), lambda: X.reshape(3, 2)),
    ("transpose", lambda tf: tf.transpose(A3), lambda: A3.transpose(2, 1, 0)),
    ("transpose_perm", lambda tf: tf.transpose(A3, perm=[0, 2, 1]), lambda: A3.transpose(0, 2, 1)),
    ("expand_dims_last", lambda tf: tf.expand_dims(X, -1), lambda: X[..., None]),
    ("expand_dims_first", lambda tf: tf.expand_dims(X, axis=0), lambda: X[None]),
    ("newaxis", lambda tf: tf.constant(X[..., tf.newaxis]), lambda: X[:, :, None]),
    ("squeeze_all", lambda tf: tf.squeeze(X[None, :, None]), lambda: X),
    ("squeeze_axis", lambda tf: tf.squeeze(X[None, :, None], axis=[0]), lambda: X[:, None]),
    ("cast_float64", lambda tf: tf.cast(X, tf.float64), lambda: X.astype(np.float64)),
    ("cast_int32", lambda tf: tf.cast(X * 3, tf.int32), lambda: (X * 3).astype(np.int32)),
    ("cast_bool", lambda tf: tf.cast(np.array([0.0, -1.5]), tf.bool), lambda: np.array([False, True])),
    ("constant", lambda tf: tf.constant([[1.0, 2.0]], dtype=tf.float64), lambda: np.array([[1.0, 2.0]])),
    ("constant_fill", lambda tf: tf.constant(0.5, shape=(2, 3)), lambda: np.full((2, 3), 0.5, np.float32)),
    ("constant_reshape", lambda tf: tf.constant(np.arange(6), shape=[2, 3]), lambda: np.arange(6).reshape(2, 3)),
    ("convert_to_tensor", lambda tf: tf.convert_to_tensor(X), lambda: X),
    ("convert_to_tensor_hint", lambda tf: tf.convert_to_tensor([1.0, 2.0], dtype_hint=tf.float64),
     lambda: np.array([1.0, 2.0])),
    ("argmax_axis_0_by_default", lambda tf: tf.argmax(X), lambda: np.argmax(X, axis=0).astype(np.int64)),
    ("argmax_axis_1_int32", lambda tf: tf.argmax(X, axis=1, output_type=tf.int32),
     lambda: np.argmax(X, axis=1).astype(np.int32)),
    ("math_log", lambda tf: tf.math.log(np.abs(X)), lambda: np.log(np.abs(X))),
    ("math_log1p", lambda tf: tf.math.log1p(np.array([1e-12, 3.0])), lambda: np.log1p([1e-12, 3.0])),
    ("math_exp", lambda tf: tf.math.exp(X), lambda: np.exp(X)),
    ("math_sqrt", lambda tf: tf.math.sqrt(np.abs(X)), lambda: np.sqrt(np.abs(X))),
    ("math_abs", lambda tf: tf.math.abs(X), lambda: np.abs(X)),
    ("math_square", lambda tf: tf.math.square(X), lambda: X ** 2),
    ("math_reduce_mean", lambda tf: tf.math.reduce_mean(X, axis=0), lambda: X.mean(axis=0)),
    ("math_reduce_sum", lambda tf: tf.math.reduce_sum(X, 1, True), lambda: X.sum(axis=1, keepdims=True)),
    ("math_reduce_max", lambda tf: tf.math.reduce_max(X), lambda: X.max()),
    ("math_reduce_min", lambda tf: tf.math.reduce_min(X, axis=(0, 1)), lambda: X.min()),
    ("math_maximum", lambda tf: tf.math.maximum(X, Y), lambda: np.maximum(X, Y)),
    ("math_minimum", lambda tf: tf.math.minimum(X, 0.1), lambda: np.minimum(X, np.float32(0.1))),
    ("math_equal", lambda tf: tf.math.equal(X, X), lambda: np.ones(X.shape, bool)),
    ("math_argmax", lambda tf: tf.math.argmax(X, 1), lambda: np.argmax(X, axis=1)),
    ("math_sigmoid", lambda tf: tf.math.sigmoid(X), lambda: 1 / (1 + np.exp(-X))),
    ("math_tanh", lambda tf: tf.math.tanh(X), lambda: np.tanh(X)),
    ("math_softplus", lambda tf: tf.math.softplus(features=X), lambda: np.log1p(np.exp(X))),
]


@pytest.mark.parametrize(("call", "expected"), [c[1:] for c in TF_CASES], ids=[c[0] for c in TF_CASES])
def test_tf_functions_give_tensorflows_values(call, expected):
    assert_like_numpy(call(_tf()), expected())


T = RNG.normal(size=(4, 3))
P = RNG.normal(size=(4, 3))

TF_GRADIENT_CASES = [
    ("tf_mse_loss", lambda tf, p: tf.reduce_mean(tf.square(T - p))),
    ("tf_bce_like", lambda tf, p: -tf.reduce_mean(tf.math.log(tf.math.sigmoid(p)) * (T > 0)
                                                  + tf.math.log1p(-tf.math.sigmoid(p)) * (T <= 0), axis=-1)),
    ("tf_reductions", lambda tf, p: tf.reduce_sum(tf.sqrt(tf.abs(p) + 1), axis=0, keepdims=True)
     * tf.reduce_max(p, axis=0) + tf.reduce_min(tf.exp(p), axis=[0, 1])),
    ("tf_math", lambda tf, p: tf.math.tanh(p) * tf.math.softplus(p) + tf.maximum(p, 0.0) - tf.minimum(p, T)
     + tf.math.reduce_mean(tf.math.square(p), 1, True)),
    ("tf_expand_squeeze", lambda tf, p: tf.squeeze(tf.expand_dims(p, 1) * T[:, None], axis=1)),
    ("tf_matmul_shapes", lambda tf, p: tf.matmul(tf.reshape(p, [3, 4]), tf.transpose(tf.cast(p, tf.float64)),
                                                 transpose_a=True) + tf.matmul(p, T, transpose_b=True)),
]


@pytest.mark.parametrize("fn", [c[1] for c in TF_GRADIENT_CASES], ids=[c[0] for c in TF_GRADIENT_CASES])
def test_tf_functions_propagate_gradients(fn):
    tf = _tf()
    assert fl.gradcheck(lambda p: fn(tf, p), [P])


def test_tf_argmax_and_casts_to_integers_have_no_gradient():
    tf = _tf()
    p = fl.tensor(X, requires_grad=True)
    assert tf.argmax(p).dtype == np.int64 and not tf.argmax(p).requires_grad
    assert not tf.cast(p, tf.int64).requires_grad and tf.cast(p, tf.float64).requires_grad
    assert not tf.constant(p).requires_grad and tf.convert_to_tensor(p) is p
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(Y, 1), tf.argmax(p, 1)), tf.float32))
    assert float(accuracy) == pytest.approx(np.mean(np.argmax(X, 1) == np.argmax(Y, 1)))
    with pytest.raises(fl.errors.ShapeError, match="do not fill shape"):
        tf.constant([1.0, 2.0, 3.0], shape=(2, 2))


def test_a_tf_style_custom_loss_trains_exactly_as_mse():
    tf = _tf()
    assert_custom_loss_trains_as_mse(lambda t, p: tf.reduce_mean(tf.square(t - p)))


def test_tf_keras_ops_imports_and_unknown_tf_names_list_what_there_is():
    import fnlearn.compat.tensorflow.keras.ops as dotted
    from fnlearn.compat.tensorflow.keras import ops

    tf = _tf()
    assert ops is keras.ops and dotted is keras.ops and tf.keras.ops.mean is keras.ops.mean
    with pytest.raises(AttributeError, match=r"tf.reduce_std is not part of .*tf.math.*tf.reduce_mean.*tf.argmax.*"
                                             r"use NumPy"):
        getattr(tf, "reduce_std")  # noqa: B009  (the attribute access is the point)
    assert "math" in tf.__all__ and all(hasattr(tf, name) for name in tf.__all__)


def test_tf_constant_copies_and_tf_namespaces_say_what_they_hold():
    tf = _tf()
    source = fl.tensor([1.0, 2.0, 3.0])
    snapshot = tf.constant(source)
    source.data[0] = 99.0
    assert snapshot.numpy().tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(AttributeError, match=r"no 'reduce_std' .* it has: abs, argmax"):
        getattr(tf.math, "reduce_std")  # noqa: B009
    with pytest.raises(AttributeError, match=r"no 'crelu' .* it has: elu, gelu"):
        getattr(tf.nn, "crelu")  # noqa: B009


# ----------------------------------------------------------------------------- tf.GradientTape in a train_step

def _tape_model(step):
    class TapeModel(keras.Model):
        train_step = step

    fl.set_seed(2)
    inputs = keras.Input(shape=(4,))
    model = TapeModel(inputs, keras.layers.Dense(1)(keras.layers.Dense(6, activation="tanh")(inputs)))
    model.compile(keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def test_a_gradient_tape_train_step_trains_as_the_backward_one():
    from fnlearn.compat import tensorflow as tf

    def with_tape(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        for metric in self.metrics:
            metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def with_backward(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        self.optimizer.apply([w.grad for w in self.trainable_weights], self.trainable_weights)
        for metric in self.metrics:
            metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)), rng.normal(size=(64, 1))
    taped = _tape_model(with_tape)
    logs = taped.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    plain = _tape_model(with_backward)
    plain_logs = plain.fit(x, y, batch_size=16, epochs=2, verbose=0).history
    assert logs == plain_logs
    for a, b in zip(taped.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert all(w.grad is None for w in taped.trainable_weights)  # the tape never filled .grad


def test_the_tape_gives_gradients_by_source_form_watches_data_and_zero_fills_on_request():
    from fnlearn.compat import tensorflow as tf

    w, unused = fl.Parameter([2.0]), fl.Parameter([1.0])
    x = tf.constant([3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = (w * x * x).sum()
    gx, gw = tape.gradient(y, [x, w])
    assert gx.numpy().tolist() == [12.0] and gw.numpy().tolist() == [9.0]
    assert tape.gradient(y, {"w": w})["w"].numpy().tolist() == [9.0]  # asked again: a persistent tape's use
    assert tape.gradient(y, unused) is None
    assert tape.gradient(y, [unused], unconnected_gradients="zero")[0].numpy().tolist() == [0.0]
    with pytest.raises(Exception, match=r"tape.watch takes fnlearn tensors, got a ndarray"):
        tape.watch(np.ones(2))


def test_kerass_variational_autoencoder_example_trains_with_only_its_import_changed():
    """keras.io's "Variational AutoEncoder" (its train_step on tf.GradientTape), on a few random binary images."""
    from fnlearn.compat import tensorflow as tf
    from fnlearn.keras import layers, ops

    class Sampling(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch, dim = ops.shape(z_mean)[0], ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    fl.set_seed(0)
    latent_dim = 2
    encoder_inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, 3, activation="relu", strides=2, padding="same")(encoder_inputs)
    x = layers.Conv2D(16, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Dense(16, activation="relu")(layers.Flatten()(x))
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, Sampling()([z_mean, z_log_var])], name="encoder")
    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Reshape((7, 7, 16))(layers.Dense(7 * 7 * 16, activation="relu")(latent_inputs))
    x = layers.Conv2DTranspose(16, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(8, 3, activation="relu", strides=2, padding="same")(x)
    decoder = keras.Model(latent_inputs, layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x),
                          name="decoder")

    class VAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
            self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        @property
        def metrics(self):
            return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

        def train_step(self, data):
            with tf.GradientTape() as tape:
                z_mean, z_log_var, z = self.encoder(data)
                reconstruction = self.decoder(z)
                reconstruction_loss = ops.mean(ops.sum(keras.losses.binary_crossentropy(data, reconstruction),
                                                       axis=(1, 2)))
                kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
                kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
                total_loss = reconstruction_loss + kl_loss
            grads = tape.gradient(total_loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            self.total_loss_tracker.update_state(total_loss)
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return {"loss": self.total_loss_tracker.result(),
                    "reconstruction_loss": self.reconstruction_loss_tracker.result(),
                    "kl_loss": self.kl_loss_tracker.result()}

    digits = (np.random.default_rng(1).random((32, 28, 28, 1)) > 0.8).astype("float32")
    vae = VAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam())
    before = [w.numpy().copy() for w in vae.trainable_weights]
    history = vae.fit(digits, epochs=2, batch_size=16, verbose=0).history
    assert list(history) == ["loss", "reconstruction_loss", "kl_loss"]
    # 784 pixels of binary cross-entropy near log 2 each at the start, and falling
    assert 400 < history["reconstruction_loss"][0] < 700 and history["loss"][1] < history["loss"][0]
    assert all(not np.array_equal(a, w.numpy()) for a, w in zip(before, vae.trainable_weights))
    assert vae.optimizer.iterations == 4
