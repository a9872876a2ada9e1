"""fnlearn.keras: real modules under Keras's names, Input, optimizers with Keras's argument order,
loss and metric classes, datasets wired to fnlearn's loader, and load_model/save_model."""

from __future__ import annotations

import importlib
import struct
import types

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, ModelFileError, ShapeError

SUBMODULES = ["models", "layers", "optimizers", "losses", "metrics", "callbacks", "utils", "datasets",
              "datasets.mnist", "datasets.fashion_mnist", "activations", "initializers"]


@pytest.mark.parametrize("name", SUBMODULES)
def test_every_namespace_is_a_real_module(name):
    module = importlib.import_module(f"fnlearn.keras.{name}")
    assert isinstance(module, types.ModuleType)
    for exported in getattr(module, "__all__", []):
        assert hasattr(module, exported), f"fnlearn.keras.{name}.{exported}"


def test_from_imports_as_in_the_lecture_programs():
    from fnlearn.keras.callbacks import EarlyStopping, ModelCheckpoint  # noqa: F401
    from fnlearn.keras.datasets import mnist  # noqa: F401
    from fnlearn.keras.layers import Activation, Dense, Dropout, Flatten, Input  # noqa: F401
    from fnlearn.keras.models import Sequential, load_model  # noqa: F401
    from fnlearn.keras.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop  # noqa: F401
    from fnlearn.keras.utils import to_categorical

    assert Sequential is keras.Sequential
    assert to_categorical is fl.data.to_categorical
    assert keras.layers.Dense is fl.layers.Dense


def tsai_network():
    from fnlearn.keras.layers import Dense
    from fnlearn.keras.models import Sequential

    model = Sequential()
    model.add(Dense(100, input_dim=784, activation="relu"))
    model.add(Dense(100, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    return model


def test_tsai_network_has_89610_parameters():
    model = tsai_network()
    assert model.num_parameters() == 89610
    assert isinstance(model, fl.Sequential)


# ----------------------------------------------------------------------------- Input


def test_input_opens_a_sequential_list_and_adds_no_layer():
    L = keras.layers
    model = keras.Sequential([L.Input(shape=(4,)), L.Dense(3, activation="relu"), L.Dense(2)])
    assert len(model.layers) == 2 and model.built
    assert model.layers[0].input_shape == (4,)
    assert [name for name, _ in model.named_parameters()][:2] == ["0.kernel", "0.bias"]
    assert model.num_parameters() == 4 * 3 + 3 + 3 * 2 + 2
    assert model(np.ones((5, 4))).shape == (5, 2)


def test_input_then_add_and_image_shapes():
    L = keras.layers
    model = keras.Sequential()
    model.add(L.Input(shape=(28, 28)))
    assert model.input_shape == (None, 28, 28) and not model.built
    model.add(L.Flatten())
    model.add(L.Dense(10, activation="softmax"))
    assert model.layers[1].kernel.shape == (784, 10)
    assert model(np.zeros((2, 28, 28))).shape == (2, 10)


def test_input_mistakes_are_one_sentence():
    L = keras.layers
    with pytest.raises(ConfigError, match="only be the first element"):
        keras.Sequential([L.Dense(2, input_dim=3), L.Input(shape=(2,))])
    with pytest.raises(ConfigError, match="declares input_shape"):
        keras.Sequential([L.Input(shape=(3,)), L.Dense(2, input_dim=4)])
    with pytest.raises(ShapeError, match=r"Dense layer 'd' makes its weights for the size of its inputs' last axis, "
                                         r"but it got samples of shape \(3, None\), whose last size is unknown"):
        L.Dense(2, name="d")(L.Input(shape=(3, None)))
    with pytest.raises(ConfigError, match="needs shape="):
        L.Input()
    with pytest.raises(ConfigError, match="unsupported argument"):
        L.Input(shape=(3,), sparse=True)
    frozen = keras.Sequential([L.Dense(2, input_dim=3)], trainable=False)
    assert not frozen.trainable and not frozen.layers[0].kernel.requires_grad
    with pytest.raises(ConfigError, match="keras.Model needs inputs= and outputs="):
        keras.Model(inputs=None, outputs=None)


def test_input_batch_shape_and_matching_dtype_are_accepted():
    layer = keras.layers.Input(batch_shape=(None, 5), dtype=fl.get_default_dtype())
    assert layer.input_shape == (5,)
    with pytest.raises(ConfigError, match="set_default_dtype"):
        keras.layers.Input(shape=(5,), dtype="float16")


# ----------------------------------------------------------------------------- optimizers


@pytest.mark.parametrize("make", [
    lambda O: O.SGD(0.087), lambda O: O.SGD(lr=0.087), lambda O: O.SGD(learning_rate=0.087),
])
def test_sgd_learning_rate_spellings(make):
    opt = make(keras.optimizers)
    assert opt.learning_rate == 0.087 and isinstance(opt, fl.optim.SGD)


@pytest.mark.parametrize("name, cls", [("SGD", fl.optim.SGD), ("Adam", fl.optim.Adam),
                                       ("RMSprop", fl.optim.RMSprop), ("Adagrad", fl.optim.Adagrad),
                                       ("AdamW", fl.optim.AdamW)])
def test_keras_optimizers_are_fnlearn_optimizers(name, cls):
    opt = getattr(keras.optimizers, name)(0.05, name="mine")
    assert isinstance(opt, cls) and opt.learning_rate == 0.05
    rebuilt = fl.optim.from_config(opt.get_config())
    assert type(rebuilt) is cls and rebuilt.get_config() == opt.get_config()
    assert getattr(keras.optimizers.legacy, name) is type(opt)


def test_keras_optimizer_takes_the_same_step_as_fnlearns():
    w1 = fl.Parameter(np.array([1.0, -2.0]))
    w2 = fl.Parameter(np.array([1.0, -2.0]))
    a = keras.optimizers.Adam(0.1)
    a.bind([w1])
    b = fl.optim.Adam([w2], learning_rate=0.1)
    for _ in range(3):
        for w, opt in ((w1, a), (w2, b)):
            (w * w).sum().backward()
            opt.step()
            opt.zero_grad()
    assert np.array_equal(w1.numpy(), w2.numpy())


def test_optimizer_arguments_fnlearn_lacks_are_refused():
    assert keras.optimizers.SGD(0.1, decay=0.0).learning_rate == 0.1
    with pytest.raises(ConfigError, match="ExponentialDecay"):
        keras.optimizers.SGD(0.1, decay=1e-6)
    with pytest.raises(ConfigError, match="amsgrad"):
        keras.optimizers.Nadam(amsgrad=True)
    with pytest.raises(ConfigError, match=r"RMSprop\(gradient_accumulation_steps=4\) asks for a Keras optimizer "
                                          "feature fnlearn does not have; leave gradient_accumulation_steps out"):
        keras.optimizers.RMSprop(gradient_accumulation_steps=4)
    with pytest.raises(ConfigError, match="learning_rate"):
        keras.optimizers.SGD(-1.0)


def test_schedules_through_the_keras_name():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert keras.optimizers.SGD(schedule).current_learning_rate() == 0.1


# ----------------------------------------------------------------------------- losses and metrics

Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
P = np.array([[0.7, 0.2, 0.1], [0.3, 0.3, 0.4]])


@pytest.mark.parametrize("loss, fn, kwargs", [
    (lambda L: L.MeanSquaredError(), fl.losses.mse, {}),
    (lambda L: L.MeanAbsoluteError(), fl.losses.mae, {}),
    (lambda L: L.CategoricalCrossentropy(), fl.losses.categorical_crossentropy, {}),
    (lambda L: L.CategoricalCrossentropy(from_logits=True), fl.losses.categorical_crossentropy,
     {"from_logits": True}),
    (lambda L: L.BinaryCrossentropy(), fl.losses.binary_crossentropy, {}),
    (lambda L: L.BinaryCrossentropy(from_logits=True, reduction="sum"), fl.losses.binary_crossentropy,
     {"from_logits": True, "reduction": "sum"}),
])
def test_loss_classes_compute_fnlearns_losses(loss, fn, kwargs):
    got = loss(keras.losses)(Y, fl.tensor(P))
    assert np.array_equal(got.numpy(), fn(Y, fl.tensor(P), **kwargs).numpy())


def test_sparse_loss_class_and_per_sample_reduction():
    labels = np.array([0, 2])
    loss = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    per_sample = loss(labels, fl.tensor(P)).numpy()
    assert per_sample.shape == (2,)
    assert np.allclose(per_sample, -np.log([0.7, 0.4]))
    config = loss.get_config()
    assert config["name"] == "sparse_categorical_crossentropy" and config["reduction"] == "none"


def test_loss_function_names():
    L = keras.losses
    assert L.mean_squared_error is L.MSE is L.mse and L.mean_squared_error.builtin is fl.losses.mse
    assert L.mae.__name__ == "mean_absolute_error" and L.categorical_crossentropy.builtin is \
        fl.losses.categorical_crossentropy
    with pytest.raises(ConfigError, match=r"keras.losses.huber got from_logits, which it does not take; it takes "
                                          r"y_true, y_pred, delta"):
        L.huber([[1.0]], [[2.0]], from_logits=True)
    with pytest.raises(ConfigError, match="label_smoothing"):
        L.binary_crossentropy([[1.0]], [[0.5]], label_smoothing=1.5)
    with pytest.raises(ConfigError, match="label_smoothing"):
        L.CategoricalCrossentropy(label_smoothing=-0.1)
    with pytest.raises(ConfigError, match="reduction"):
        L.MeanSquaredError(reduction="weighted")
    with pytest.raises(ConfigError, match="ignore_class"):
        L.SparseCategoricalCrossentropy(ignore_class=0.5)


@pytest.mark.parametrize("name, y_true, y_pred, settings", [
    ("mean_squared_error", [[0.0], [1.0]], [[0.2], [0.7]], {}),
    ("mean_squared_error", [1.0, 2.0], [[1.0], [4.0]], {}),  # one target per sample, as Keras takes them
    ("mean_absolute_error", [[0.0, 1.0], [1.0, 3.0]], [[0.2, 0.5], [0.7, 1.0]], {}),
    ("mean_absolute_percentage_error", [[2.0], [4.0]], [[1.0], [5.0]], {}),
    ("mean_squared_logarithmic_error", [[0.0], [1.0]], [[0.2], [0.7]], {}),
    ("huber", [[0.0], [1.0]], [[0.2], [3.7]], {"delta": 2.0}),
    ("log_cosh", [[0.0], [1.0]], [[0.2], [0.7]], {}),
    ("hinge", [[0.0], [1.0]], [[0.2], [0.7]], {}),
    ("squared_hinge", [[-1.0], [1.0]], [[0.2], [0.7]], {}),
    ("binary_crossentropy", [[0.0], [1.0]], [[0.2], [0.7]], {}),
    ("binary_crossentropy", [[0.0], [1.0]], [[0.2], [-0.7]], {"from_logits": True}),
    ("categorical_crossentropy", [[0, 1, 0.0], [1, 0, 0]], [[0.2, 0.7, 0.1], [0.5, 0.3, 0.2]], {}),
    ("sparse_categorical_crossentropy", [1, 2], [[0.2, 0.7, 0.1], [0.5, 0.3, 0.2]], {}),
    ("sparse_categorical_crossentropy", [1, 2], [[2.0, -1.0, 0.5], [0.5, 0.3, 0.2]], {"from_logits": True}),
])
def test_loss_functions_give_one_value_per_sample_as_keras_does(name, y_true, y_pred, settings):
    real = real_keras()
    theirs = np.asarray(getattr(real.losses, name)(np.array(y_true), np.array(y_pred), **settings))
    ours = getattr(keras.losses, name)(np.array(y_true), np.array(y_pred, dtype=np.float32), **settings)
    assert ours.shape == theirs.shape == (2,)
    np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-5)


def test_a_keras_loss_function_compiled_is_the_built_in_loss_fast_step_and_file_included(tmp_path):
    from fnlearn import fastpath

    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", keras.losses.sparse_categorical_crossentropy)
    assert model._loss_name == "sparse_categorical_crossentropy"
    assert fastpath.compile_step(model, model.loss, model.optimizer, (3,)) is not None
    model.save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras")._loss_name == "sparse_categorical_crossentropy"


def test_a_custom_loss_weighting_keras_per_sample_values_trains_as_in_keras():
    real = real_keras()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(48, 4)).astype(np.float32), rng.integers(0, 2, (48, 1)).astype(np.float32)

    def weighted_bce(library):
        def loss(y_true, y_pred):  # positives count five times, as in the guides to imbalanced data
            return library.losses.binary_crossentropy(y_true, y_pred) * (library.ops.squeeze(y_true, -1) * 4 + 1)
        return loss

    models = []
    for library in (real, keras):
        model = library.Sequential([library.Input(shape=(4,)), library.layers.Dense(3, activation="tanh"),
                                    library.layers.Dense(1, activation="sigmoid")])
        models.append(model)
    models[1].set_weights(models[0].get_weights())
    for model, library in zip(models, (real, keras)):
        model.compile(library.optimizers.SGD(0.1), weighted_bce(library))
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(models[1].get_weights(), models[0].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_metric_classes():
    M = keras.metrics
    assert M.CategoricalAccuracy()(Y, P) == 1.0
    assert M.CategoricalAccuracy()(Y, P[::-1]) == 0.0
    assert M.CategoricalAccuracy().name == "categorical_accuracy"
    assert M.SparseCategoricalAccuracy()(np.array([0, 2]), P) == 1.0
    assert M.BinaryAccuracy()(np.array([[1.0], [0.0]]), np.array([[0.6], [0.4]])) == 1.0
    assert M.BinaryAccuracy(threshold=0.7)(np.array([[1.0], [0.0]]), np.array([[0.6], [0.4]])) == 0.5
    assert M.MeanSquaredError()(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == 2.0
    assert M.MeanAbsoluteError(name="err").name == "err"


# ----------------------------------------------------------------------------- activations, initializers, utils


def test_activations_are_fnlearns_functions_so_the_fast_path_knows_them():
    A = keras.activations
    assert A.relu is fl.relu and A.softmax is fl.softmax and A.sigmoid is fl.sigmoid
    assert A.get("tanh") is fl.tanh
    layer = keras.layers.Dense(2, activation=A.relu, input_dim=3)
    assert layer.get_config()["activation"] == "relu"


def test_initializers():
    I = keras.initializers  # noqa: E741
    assert I.HeNormal() is fl.nn.initializers.he_normal
    assert I.GlorotUniform() is fl.nn.initializers.glorot_uniform
    fl.set_seed(0)
    w = I.RandomNormal(stddev=0.01)((200, 200))
    assert abs(float(np.std(w)) - 0.01) < 0.001
    # Keras 3: an initializer given a seed draws the same values at every call
    assert np.array_equal(I.HeNormal(seed=1)((3, 2)), I.HeNormal(seed=1)((3, 2)))
    with pytest.raises(ConfigError, match=r"HeNormal\(seed=-1\): seed must be a non-negative integer"):
        I.HeNormal(seed=-1)


def test_utils():
    U = keras.utils
    assert U.to_categorical([2, 0], 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    U.set_random_seed(5)
    a = keras.layers.Dense(2, input_dim=2).kernel.numpy()
    fl.set_seed(5)
    assert np.array_equal(a, keras.layers.Dense(2, input_dim=2).kernel.numpy())


# ----------------------------------------------------------------------------- datasets


def write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    path.write_bytes(bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
                     + array.tobytes())


@pytest.mark.parametrize("module", ["mnist", "fashion_mnist"])
def test_load_data_reads_fnlearns_loader(tmp_path, module):
    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (5, 28, 28)),
              "train-labels-idx1-ubyte": np.arange(5) % 10,
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 28, 28)),
              "t10k-labels-idx1-ubyte": np.array([7, 2, 1])}
    for name, array in arrays.items():
        write_idx(tmp_path / name, array)
    loader = importlib.import_module(f"fnlearn.keras.datasets.{module}")
    (x_train, y_train), (x_test, y_test) = loader.load_data(path=tmp_path)
    assert x_train.dtype == np.uint8 and x_train.shape == (5, 28, 28)
    assert np.array_equal(x_train, arrays["train-images-idx3-ubyte"])
    assert y_test.tolist() == [7, 2, 1]


def test_load_data_from_a_missing_folder_says_so(tmp_path):
    with pytest.raises(fl.errors.DatasetError, match="not a folder"):
        keras.datasets.mnist.load_data(path=tmp_path / "nowhere")


# ----------------------------------------------------------------------------- models


def test_models_save_and_load_give_a_keras_sequential(tmp_path):
    model = keras.Sequential([keras.layers.Input(shape=(3,)), keras.layers.Dense(2, activation="sigmoid")])
    keras.models.save_model(model, tmp_path / "m.fnl")
    again = keras.models.load_model(tmp_path / "m.fnl")
    assert type(again) is keras.Sequential
    x = np.ones((4, 3), np.float32)
    assert np.array_equal(again(x).numpy(), model(x).numpy())
    again.add(keras.layers.Dense(1))  # still a keras Sequential that grows
    assert again(x).shape == (4, 1)
    with pytest.raises(ConfigError, match="overwrite=False"):
        keras.models.save_model(model, tmp_path / "m.fnl", overwrite=False)
    (tmp_path / "junk.fnl").write_bytes(b"not a model at all")
    with pytest.raises(ModelFileError):
        keras.load_model(tmp_path / "junk.fnl")


def test_softmax_and_relu_layers_train_save_and_load(tmp_path):
    L = keras.layers
    fl.set_seed(0)
    model = keras.Sequential([L.Input(shape=(4,)), L.Dense(8), L.ReLU(), L.Dense(3), L.Softmax()])
    x = np.random.default_rng(0).normal(size=(32, 4))
    y = np.arange(32) % 3
    model.compile("adam", "sparse_categorical_crossentropy")
    twin = keras.Sequential([L.Input(shape=(4,)), L.Dense(8, activation="relu"), L.Dense(3, activation="softmax")])
    twin.set_weights(model.get_weights())
    twin.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    twin.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    np.testing.assert_allclose(model.predict(x), twin.predict(x), rtol=1e-5, atol=1e-7)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == ["Dense", "ReLU", "Dense", "Softmax"]
    np.testing.assert_allclose(loaded.predict(x), model.predict(x), rtol=1e-6)
    with pytest.raises(ConfigError, match="last axis only"):
        L.Softmax(axis=0)


def test_keras_backend_and_submodule_imports():
    from fnlearn.keras.optimizers.legacy import Adam
    from fnlearn.keras.optimizers.schedules import ExponentialDecay

    from fnlearn.keras import backend as K

    L = keras.layers
    assert ExponentialDecay is fl.schedules.ExponentialDecay and Adam is keras.optimizers.Adam
    K.clear_session()
    assert [L.Dense(1).name, L.Dense(1).name] == ["dense", "dense_1"]
    K.clear_session()
    assert L.Dense(1).name == "dense"
    assert K.floatx() == "float32"


def test_calling_a_keras_model_runs_in_inference_mode_unless_asked():
    fl.set_seed(0)
    L = keras.layers
    model = keras.Sequential([L.Input(shape=(6,)), L.Dense(6), L.Dropout(0.5)])
    x = np.ones((4, 6), np.float32)
    first, second = model(x).numpy(), model(x).numpy()
    np.testing.assert_array_equal(first, second)
    assert model.layers[1].draws == 0  # no mask drawn: the seeded stream of the next fit is untouched
    np.testing.assert_allclose(first, model.predict(x), rtol=1e-6)
    assert not np.array_equal(model(x, training=True).numpy(), first) and model.layers[1].draws == 1
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((4, 6)), epochs=1, verbose=0)
    assert model.layers[1].draws == 2  # fit trains with Dropout on
    plain = fl.Sequential([fl.layers.Dense(6, input_dim=6), fl.layers.Dropout(0.5)])
    assert not np.array_equal(plain(x).numpy(), plain(x).numpy())  # fnlearn's own: the module's mode


def test_models_are_named_one_by_one_and_unbuilt_ones_summarised_predicted_and_evaluated():
    from fnlearn.keras import backend as K

    K.clear_session()
    assert [keras.Sequential().name for _ in range(3)] == ["sequential", "sequential_1", "sequential_2"]
    L = keras.layers
    x = np.random.default_rng(0).normal(size=(30, 9))
    model = keras.Sequential([L.Dense(4), L.Dense(1)])
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    assert sum("?" in line and "0 (unbuilt)" in line for line in lines) == 2 and "Total params: 0 (0.00 B)" in lines
    assert model.predict(x[:10]).shape == (10, 1) and model.built  # Keras: the first data decide the shape
    other = keras.Sequential([L.Dense(1)])
    other.compile("sgd", "mse")
    assert np.isfinite(other.evaluate(x, x[:, 0])) and other.built
    # the regression tutorial: a model opening with an adapted Normalization is built at once
    norm = L.Normalization()
    norm.adapt(x)
    linear = keras.Sequential([norm, L.Dense(1)])
    assert linear.built and linear.layers[1].kernel.shape == (9, 1)


def _from_keras(cls):
    cls.__module__ = "keras.src.made_for_this_test"  # what a class of the real Keras package says
    return cls


@_from_keras
class _KerasMetric:
    """Like keras.metrics.SparseCategoricalAccuracy: callable, and keeping running totals of its own."""

    def __call__(self, y_true, y_pred):
        return 0.5


@_from_keras
class _KerasLoss:
    def __call__(self, y_true, y_pred):
        return fl.losses.mse(y_true, y_pred)


@_from_keras
class _KerasThing:
    pass


@pytest.mark.parametrize("kind, make", [
    ("metric", lambda m: m.compile("sgd", "mse", metrics=[_KerasMetric()])),
    ("loss", lambda m: m.compile("sgd", _KerasLoss())),
    ("optimizer", lambda m: m.compile(_KerasThing(), "mse")),
    ("layer", lambda m: fl.Sequential([_KerasThing()])),
    ("callback", lambda m: m.fit(np.ones((4, 2)), np.ones(4), verbose=0, callbacks=[_KerasThing()])),
])
def test_objects_of_the_real_keras_are_refused_with_the_import_to_use(kind, make):
    model = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises(ConfigError, match=rf"^the {kind} _Keras\w+ comes from Keras, not fnlearn; .*"
                                          r"`from fnlearn import keras`"):
        make(model)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_keras_names_fnlearn_lacks_say_what_the_module_has():
    # (keras.losses has every Keras name now: the example is an op, which fnlearn's real tensors cannot give)
    with pytest.raises(AttributeError, match=r"fnlearn.keras.ops.view_as_complex is a Keras name that fnlearn does "
                                             r"not provide; fnlearn.keras.ops has: .*abs, absolute"):
        getattr(keras.ops, "view_as_complex")  # noqa: B009
    # the names in order, whatever layers join them: Conv2DTranspose after Conv2D, Conv1D before it
    with pytest.raises(AttributeError, match=r"fnlearn.keras.layers.TFSMLayer .* has: Activation, "
                                             r"(\w+, )*Add, (\w+, )*Average, "
                                             r"(\w+, )*AvgPool2D, (\w+, )*BatchNormalization, (\w+, )*Concatenate, "
                                             r"(\w+, )*Conv2D, Conv2DTranspose, (\w+, )*Cropping2D, (\w+, )*Dense"):
        getattr(keras.layers, "TFSMLayer")  # noqa: B009
    assert not hasattr(keras.layers, "__path__")  # Python's own probes get a plain AttributeError


def test_cross_entropy_metrics_with_from_logits_as_in_the_overfitting_tutorial():
    fl.set_seed(0)
    x = np.random.default_rng(0).normal(size=(40, 3))
    y = (x.sum(1) > 0).astype("float32")
    model = keras.Sequential([keras.layers.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy")])
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0).history
    np.testing.assert_allclose(history["binary_crossentropy"], history["loss"], rtol=1e-6)
    np.testing.assert_allclose(history["val_binary_crossentropy"], history["val_loss"], rtol=1e-6)
    with pytest.raises(ConfigError, match="from_logits must be True or False"):
        keras.metrics.CategoricalCrossentropy(from_logits="yes")


def test_a_keras_model_inside_another_runs_in_the_outer_mode():
    fl.set_seed(0)
    inner = keras.Sequential([keras.layers.Dropout(0.5)])
    outer = keras.Sequential([keras.Input(shape=(8,)), inner,
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="ones")])
    x = np.ones((4, 8), np.float32)
    np.testing.assert_array_equal(outer(x).numpy().ravel(), [8, 8, 8, 8])  # inference: Dropout off
    assert not np.array_equal(outer(x, training=True).numpy().ravel(), [8, 8, 8, 8])
    outer.compile("sgd", "mse")
    draws = inner.layers[0].draws
    outer.fit(x, np.ones(4), epochs=1, verbose=0)
    assert inner.layers[0].draws == draws + 1  # fit trains the inner model's Dropout too


def test_metrics_with_settings_come_back_from_a_file(tmp_path):
    x = np.random.default_rng(0).normal(size=(30, 3))
    y = (x.sum(1) > 0).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryCrossentropy(from_logits=True),
                           keras.metrics.BinaryAccuracy(threshold=0.0, name="above_zero")])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras").evaluate(x, y) == model.evaluate(x, y)


@pytest.mark.parametrize("name, words", [
    ("compiled_metrics", r"model.compiled_metrics is Keras 2's; in a train_step of your own, self.compute_loss"),
    ("make_train_function", r"fnlearn's fit calls train_step\(data\) on each batch itself"),
    ("to_yaml", r"model.to_yaml is not there: fnlearn writes a model's architecture with its weights in one file"),
    ("fit_generator", r"model.fit_generator is Keras 2's: fit, evaluate and predict take generators"),
    ("jit_compile", r"model.jit_compile is not there: fnlearn's steps run one batch at a time"),
])
def test_keras_model_attributes_fnlearn_lacks_say_what_to_do(name, words):
    x = keras.Input(shape=(2,))
    for model in (keras.Model(x, keras.layers.Dense(1)(x)), keras.Sequential([keras.layers.Dense(1)])):
        with pytest.raises(AttributeError, match=words):
            getattr(model, name)
        assert not hasattr(model, name)
    with pytest.raises(AttributeError, match=r"'Sequential' object has no attribute 'no_such_thing'"):
        keras.Sequential().no_such_thing  # noqa: B018  (the lookup is the test)


def test_the_base_classes_to_subclass_are_at_the_top_as_in_keras_3():
    real = real_keras()
    for name, module in (("Loss", "losses"), ("Metric", "metrics"), ("Optimizer", "optimizers"),
                         ("Initializer", "initializers"), ("Regularizer", "regularizers"), ("Layer", "layers")):
        assert getattr(real, name) is getattr(getattr(real, module), name)
        assert getattr(keras, name) is getattr(getattr(keras, module), name) and isinstance(getattr(keras, name), type)
