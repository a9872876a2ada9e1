"""Regularizers of one's own, as Keras takes them: a function of the weight, or a subclass of
``keras.regularizers.Regularizer``; in training, in ``layer.losses``, saved and loaded (``custom_objects``), read
from and refused for real Keras files."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError, FnlearnError

RNG = np.random.default_rng(5)
X = RNG.normal(size=(16, 4)).astype(np.float32)
Y = RNG.normal(size=(16, 2)).astype(np.float32)


def _sparse_class(library):
    """A regularizer with a setting, written against ``library``'s ops (Keras's or fnlearn's)."""

    class Sparse(library.regularizers.Regularizer):
        def __init__(self, strength=0.1):
            self.strength = strength

        def __call__(self, w):
            return self.strength * library.ops.sum(library.ops.abs(w)) + 0.01 * library.ops.sum(library.ops.square(w))

        def get_config(self):
            return {"strength": self.strength}

    return Sparse


def _squares(library):
    def squares(w):
        return 0.02 * library.ops.sum(library.ops.square(w))

    return squares


def _model(library, sparse, squares):
    return library.Sequential([
        library.Input((4,)),
        library.layers.Dense(3, activation="tanh", kernel_regularizer=sparse(0.05), bias_regularizer=squares,
                             activity_regularizer=sparse(0.01)),
        library.layers.Dense(2, kernel_regularizer=squares)])


def test_a_function_and_a_subclass_train_and_evaluate_as_keras():
    real = real_keras()
    theirs = _model(real, _sparse_class(real), _squares(real))
    ours = _model(keras, _sparse_class(keras), _squares(keras))
    assert_trains_as_keras(real, theirs, ours, X, Y, "mse", learning_rate=0.1, batch_size=8)
    assert ours.evaluate(X, Y, verbose=0) == pytest.approx(theirs.evaluate(X, Y, verbose=0), rel=1e-5)
    ours(X[:4]), theirs(X[:4])
    np.testing.assert_allclose([float(v) for v in ours.losses], [float(v) for v in theirs.losses], rtol=1e-5)


def test_a_penalty_of_ones_own_trains_to_the_weights_of_the_built_in_one():
    """Its gradient reaches the weight: 0.01·Σw² written by hand and L2(0.01) give the same weights."""
    weights = None
    for regularizer in (keras.regularizers.L2(0.01), lambda w: 0.01 * keras.ops.sum(w * w)):
        fl.set_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_regularizer=regularizer)])
        model.compile(keras.optimizers.SGD(0.5), "mse")
        if weights is None:
            start = model.get_weights()
        model.set_weights(start)
        model.fit(X, Y, epochs=3, batch_size=4, shuffle=False, verbose=0)
        if weights is None:
            weights = model.get_weights()
            continue
        for a, b in zip(model.get_weights(), weights):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        assert not np.allclose(weights[0], start[0])


def test_a_constant_penalty_is_one_number_added_to_the_loss():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_regularizer=lambda w: 1.5)])
    model.compile("sgd", "mse")
    plain = float(np.mean((model.predict(X, verbose=0) - Y) ** 2))
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(plain + 1.5, rel=1e-6)


def test_a_penalty_of_more_than_one_number_is_one_sentence_before_any_weight_changes():
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(2, kernel_regularizer=lambda w: 0.01 * keras.ops.square(w))])
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises(ConfigError, match=r"gave an array of shape \(4, 2\) for a weight of shape \(4, 2\); a "
                                          r"regularizer gives one number") as caught:
        model.fit(X, Y, epochs=1, verbose=0)
    assert str(caught.value).endswith(".") and "\n" not in str(caught.value)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_saved_and_loaded_with_custom_objects(tmp_path):
    sparse, squares = _sparse_class(keras), _squares(keras)
    model = _model(keras, sparse, squares)
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=1, verbose=0)
    config = model.layers[0].get_config()
    assert config["kernel_regularizer"] == {"module": __name__, "class_name": "Sparse", "config": {"strength": 0.05},
                                            "registered_name": "Sparse"}
    assert config["bias_regularizer"]["class_name"] == "function" and config["bias_regularizer"]["config"] == "squares"
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Sparse": sparse, "squares": squares})
    assert loaded.layers[0].kernel_regularizer.strength == 0.05 and loaded.layers[0].bias_regularizer is squares
    assert loaded.evaluate(X, Y, verbose=0) == pytest.approx(model.evaluate(X, Y, verbose=0), rel=1e-6)
    with pytest.raises(FnlearnError, match=r"regularizer class 'Sparse' is not known.*custom_objects under the name "
                                           r"'Sparse'"):
        keras.models.load_model(tmp_path / "m.keras", custom_objects={"squares": squares})
    with pytest.raises(FnlearnError, match=r"the regularizer is the function 'squares', which is not known here"):
        keras.models.load_model(tmp_path / "m.keras", custom_objects={"Sparse": sparse})


def test_a_subclass_with_settings_and_no_get_config_says_so_when_saved(tmp_path):
    class Scaled(keras.regularizers.Regularizer):
        def __init__(self, factor):
            self.factor = factor

        def __call__(self, w):
            return self.factor * keras.ops.sum(w)

    class Plain(keras.regularizers.Regularizer):
        def __call__(self, w):
            return keras.ops.sum(keras.ops.abs(w))

    assert keras.regularizers.serialize(Plain())["config"] == {}
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_regularizer=Scaled(0.1))])
    with pytest.raises(ConfigError, match="the regularizer Scaled takes settings but has no get_config"):
        model.save(tmp_path / "m.keras")
    assert not list(tmp_path.iterdir())


def test_keras_names_and_forms():
    real = real_keras()
    for ours, theirs in ((keras.regularizers.L2(0.1), real.regularizers.L2(0.1)),
                         (keras.regularizers.L1L2(0.01, 0.02), real.regularizers.L1L2(0.01, 0.02))):
        assert keras.regularizers.serialize(ours) == real.regularizers.serialize(theirs)
        assert ours.get_config() == theirs.get_config()
        again = keras.regularizers.deserialize(real.regularizers.serialize(theirs))
        assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert type(keras.regularizers.get("L2")) is keras.regularizers.L2
    assert type(keras.regularizers.get(keras.regularizers.L1)) is keras.regularizers.L1
    assert keras.regularizers.L2.from_config({"l2": 0.5}).l2 == 0.5
    assert keras.regularizers.Regularizer()(np.ones(3)) == 0.0
    # what fnlearn wrote before its configs took Keras's form still reads
    assert keras.regularizers.deserialize({"name": "l1_l2", "l1": 0.0, "l2": 0.1}).l2 == 0.1
    with pytest.raises(ConfigError, match="use fnlearn's own"):
        keras.layers.Dense(2, kernel_regularizer=real.regularizers.L2(0.1))
    with pytest.raises(ConfigError, match=r"a regularizer must be a name .* or a function of the weight, got int 3"):
        keras.layers.Dense(2, kernel_regularizer=3)


def test_a_real_keras_file_with_a_regularizer_of_ones_own_loads_with_custom_objects(tmp_path):
    real = real_keras()
    theirs_class = real.saving.register_keras_serializable(package="fnlearn_tests")(_sparse_class(real))
    theirs = real.Sequential([real.Input((4,)), real.layers.Dense(2, kernel_regularizer=theirs_class(0.05))])
    theirs.compile("sgd", "mse")
    theirs.save(tmp_path / "m.keras")
    sparse = _sparse_class(keras)
    ours = keras.models.load_model(tmp_path / "m.keras", custom_objects={"Sparse": sparse})
    assert type(ours.layers[0].kernel_regularizer) is sparse and ours.layers[0].kernel_regularizer.strength == 0.05
    assert ours.evaluate(X, Y, verbose=0) == pytest.approx(theirs.evaluate(X, Y, verbose=0), rel=1e-5)
    with pytest.raises(FnlearnError, match=r"regularizer class 'Sparse' is not known"):
        keras.models.load_model(tmp_path / "m.keras")


def test_export_writes_keras_regularizers_and_refuses_ones_own(tmp_path):
    real = real_keras()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L1(0.05),
                                                                   bias_regularizer="l2")])
    model.compile("sgd", "mse")
    keras.saving.export_keras(model, tmp_path / "m.keras")
    theirs = real.models.load_model(tmp_path / "m.keras")
    assert type(theirs.layers[0].kernel_regularizer) is real.regularizers.L1
    assert theirs.evaluate(X, Y, verbose=0) == pytest.approx(model.evaluate(X, Y, verbose=0), rel=1e-5)
    own = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_regularizer=_squares(keras))])
    with pytest.raises(FnlearnError, match=r"has a regularizer of your own \('squares'\) for kernel_regularizer"):
        keras.saving.export_keras(own, tmp_path / "own.keras")
    assert not (tmp_path / "own.keras").exists()
