"""Layers: Dense, Activation, Flatten, Dropout — building, values, dtype casting, and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import io
from fnlearn.errors import ConfigError, ShapeError

Dense = fl.layers.Dense


def test_dense_builds_lazily_or_at_once():
    lazy = Dense(4, activation="relu")
    assert not lazy.built and lazy.kernel is None
    out = lazy(np.ones((2, 3)))
    assert lazy.built and lazy.kernel.shape == (3, 4) and lazy.bias.shape == (4,) and out.shape == (2, 4)
    assert Dense(5, input_shape=(7,)).kernel.shape == (7, 5)
    assert Dense(5, input_dim=7).kernel.shape == (7, 5)
    with pytest.raises(ConfigError, match="both input_shape and input_dim"):
        Dense(5, input_shape=(7,), input_dim=7)


def test_dense_computes_the_affine_map_as_one_fused_op(float64):
    layer = Dense(3, activation="sigmoid", input_dim=2, kernel_initializer="glorot_normal")
    layer.bias.data[...] = fl.backend.to_device(np.array([0.1, -0.2, 0.3]))
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    out = layer(x)
    expected = 1 / (1 + np.exp(-(x @ layer.kernel.numpy() + layer.bias.numpy())))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert out._op == "sigmoid" and out._parents[0]._op == "dense"
    assert Dense(3, input_dim=2)(x)._op == "dense"
    no_bias = Dense(3, use_bias=False, input_dim=2)
    assert no_bias.bias is None and len(no_bias.parameters()) == 1
    np.testing.assert_allclose(no_bias(x).numpy(), x @ no_bias.kernel.numpy())


def test_a_softmax_over_one_unit_warns_as_keras_does_and_sensible_outputs_do_not():
    with pytest.warns(UserWarning, match=r"softmax over 1 value is always 1.*activation='sigmoid'"):
        fl.layers.Dense(1, activation="softmax")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fl.layers.Dense(2, activation="softmax"), fl.layers.Dense(1, activation="sigmoid"), fl.layers.Dense(1)


def test_dense_casts_integer_and_float64_input_to_its_dtype():
    layer = Dense(2, input_dim=3)
    assert layer(np.arange(6).reshape(2, 3)).dtype == np.float32
    assert layer(np.ones((2, 3), dtype=np.float64)).dtype == np.float32
    assert layer([[1, 2, 3]]).dtype == np.float32
    x = fl.tensor(np.ones((1, 3)), requires_grad=True)  # float64 input that needs a gradient
    layer(x).sum().backward()
    assert x.grad.dtype == np.float64 and layer.kernel.grad.dtype == np.float32


def test_wrong_features_name_the_layer_and_both_shapes_and_change_nothing():
    layer = Dense(2, input_dim=3, name="hidden")
    before = layer.kernel.numpy().copy()
    with pytest.raises(ShapeError, match=r"'hidden'.*3 features.*\(4, 5\)"):
        layer(np.ones((4, 5)))
    with pytest.raises(ShapeError, match=r"'hidden'.*\(3,\)"):
        layer(np.ones(3))
    assert np.array_equal(layer.kernel.numpy(), before) and layer.kernel.shape == (3, 2)
    lazy = Dense(2)
    with pytest.raises(ShapeError):
        lazy(np.ones(3))
    assert not lazy.built


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match=r"activation 'rleu' is not known; did you mean 'relu'\?.*sigmoid"):
        Dense(3, activation="rleu")
    with pytest.raises(ConfigError, match=r"did you mean 'he_normal'\?.*glorot_uniform"):
        Dense(3, kernel_initializer="he_norml")
    with pytest.raises(ConfigError, match="activation 'nope'.*valid names are"):
        fl.layers.Activation("nope")
    with pytest.raises(ConfigError, match="units"):
        Dense(0)
    with pytest.raises(ConfigError, match="kernel_size"):
        Dense(3, kernel_size=2)
    with pytest.raises(ConfigError, match="input_shape"):
        Dense(3, input_shape=(0,))


def test_every_activation_string_works_in_a_layer(float64):
    x = np.linspace(-4, 4, 12).reshape(3, 4)
    for name, fn in fl.functional.ACTIVATIONS.items():
        layer = fl.layers.Activation(name)
        np.testing.assert_allclose(layer(x).numpy(), fn(fl.tensor(x)).numpy())
        dense = Dense(2, activation=name, input_dim=4)
        halves = name == "glu"  # the gated linear unit: half the features gate the other half
        assert dense(x).shape == (3, 1 if halves else 2) and dense.activation is fn
        assert dense.get_config()["activation"] == name
    assert Dense(2).activation is fl.linear and fl.layers.Activation(None).activation_name is None
    assert Dense(2, activation=fl.relu).activation_name == "relu"


def test_get_config():
    layer = Dense(4, activation="tanh", input_shape=(3,), kernel_initializer="he_uniform", name="d")
    assert layer.get_config() == {"name": "d", "input_shape": [3], "units": 4, "activation": "tanh",
                                  "use_bias": True, "kernel_initializer": "he_uniform",
                                  "bias_initializer": "zeros"}
    assert fl.layers.Dropout(0.25).get_config()["rate"] == 0.25


def test_flatten():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    out = fl.layers.Flatten()(x)
    assert out.shape == (2, 12) and np.array_equal(out.numpy(), x.reshape(2, 12))
    assert fl.layers.Flatten(input_shape=(3, 4)).compute_output_shape((3, 4)) == (12,)


def test_dropout_is_inverted_and_only_active_in_training():
    fl.set_seed(0)
    layer = fl.layers.Dropout(0.25)
    x = np.ones((200, 50), dtype=np.float32)
    y = layer(x).numpy()
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / 0.75, rtol=1e-6)
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert abs(y.mean() - 1.0) < 0.03  # inverted: the expected value is unchanged
    layer.eval()
    assert np.array_equal(layer(x).numpy(), x)
    layer.train()
    t = fl.tensor(np.ones((4, 5)), requires_grad=True)
    out = layer(t)
    out.sum().backward()
    np.testing.assert_allclose(fl.backend.to_numpy(t.grad), out.numpy())  # the gradient goes through the same mask
    assert np.array_equal(fl.layers.Dropout(0.0)(x).numpy(), x)
    for bad in (1.0, -0.1, "half"):
        with pytest.raises(ConfigError, match="rate"):
            fl.layers.Dropout(bad)


def test_dropout_masks_follow_the_seed():
    fl.set_seed(5)
    a = fl.layers.Dropout(0.5)(np.ones((3, 8))).numpy()
    fl.set_seed(5)
    b = fl.layers.Dropout(0.5)(np.ones((3, 8))).numpy()
    assert np.array_equal(a, b)


def test_dropout_seed_gives_its_own_stream():
    x = np.ones((4, 16))
    fl.set_seed(1)
    first = fl.layers.Dropout(0.5, seed=3)
    a1, a2 = first(x).numpy(), first(x).numpy()
    fl.set_seed(2)  # the global seed plays no part once the layer has its own
    second = fl.layers.Dropout(0.5, seed=3)
    assert np.array_equal(second(x).numpy(), a1) and np.array_equal(second(x).numpy(), a2)
    assert not np.array_equal(a1, a2)  # each call draws a new mask
    assert first.draws == 2 and first.get_config()["seed"] == 3
    resumed = fl.layers.Dropout(0.5, seed=3)
    resumed.draws = 1  # what loading a checkpoint taken after one call sets
    assert np.array_equal(resumed(x).numpy(), a2)
    assert not np.array_equal(fl.layers.Dropout(0.5, seed=4)(x).numpy(), a1)
    for bad in (-1, 1.5, "7", True):
        with pytest.raises(ConfigError, match="seed"):
            fl.layers.Dropout(0.5, seed=bad)


# ----------------------------------------------------------------------------- Normalization


def test_normalization_adapts_and_scales_each_feature():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(50, 3)) * [1.0, 10.0, 100.0] + [5.0, -3.0, 1000.0]
    data[:, 1] = 7.0  # a constant feature: only shifted (its scale is floored, not 0)
    norm = fl.layers.Normalization()
    norm.adapt(data)
    np.testing.assert_allclose(norm.mean.numpy(), data.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(norm.variance.numpy(), data.var(axis=0), rtol=1e-5, atol=1e-12)
    out = norm(data).numpy()
    expected = (data - data.mean(axis=0)) / np.maximum(data.std(axis=0), 1e-7)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert np.all(np.isfinite(out)) and not norm.mean.requires_grad and not norm.variance.requires_grad
    back = fl.layers.Normalization(mean=norm.mean.numpy(), variance=norm.variance.numpy(), invert=True)
    np.testing.assert_allclose(back(out).numpy(), data, rtol=1e-4, atol=1e-3)
    whole = fl.layers.Normalization(axis=None)
    whole.adapt(data)
    assert whole.mean.shape == () and np.isclose(whole.mean.numpy(), data.mean())


def test_normalization_passes_gradients_to_its_input():
    fl.set_default_dtype("float64")  # a float64 layer, for finite differences
    try:
        norm = fl.layers.Normalization(mean=[1.0, -2.0], variance=[4.0, 0.25])
    finally:
        fl.set_default_dtype("float32")
    x = np.random.default_rng(1).normal(size=(5, 2))
    assert fl.gradcheck(lambda t: (norm(t) * fl.tensor([[1.0, 3.0]], dtype="float64")).sum(), [x])
    inverse = fl.layers.Normalization(mean=[1.0, -2.0], variance=[4.0, 0.25], invert=True)
    assert inverse.mean.dtype == np.float32  # the default float otherwise


def test_normalization_mistakes_are_one_sentence():
    with pytest.raises(fl.errors.NotReadyError, match="no statistics yet; call normalization.*adapt"):
        fl.layers.Normalization(name="normalization")(np.ones((2, 3)))
    norm = fl.layers.Normalization()
    norm.adapt(np.ones((4, 3)))
    with pytest.raises(ShapeError, match="adapted to 3 features, but its input has 2"):
        norm(np.ones((2, 2)))
    with pytest.raises(ConfigError, match="axis=-1 .* or axis=None"):
        fl.layers.Normalization(axis=0)
    with pytest.raises(ConfigError, match="both mean and variance"):
        fl.layers.Normalization(mean=[0.0])
    with pytest.raises(ShapeError, match="cannot adapt to empty data"):
        norm.adapt(np.zeros((0, 3)))


def test_normalization_in_a_model_is_never_trained_and_is_saved(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 4)) * 100 + 50
    y = x @ rng.normal(size=(4, 1)) / 100
    norm = fl.layers.Normalization()
    norm.adapt(x)
    model = fl.Sequential([norm, fl.layers.Dense(8, activation="relu"), fl.layers.Dense(1)])
    model.compile(fl.optim.Adam(learning_rate=0.01), "mse")
    mean = norm.mean.numpy().copy()
    model.trainable = True  # statistics stay statistics
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    np.testing.assert_array_equal(norm.mean.numpy(), mean)
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    assert "Non-trainable params: 9 (36.00 B)" in lines and any("(None, 4)" in line for line in lines)
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_array_equal(loaded.layers[0].mean.numpy(), mean)
    loaded.fit(x, y, epochs=1, verbose=0)  # trains on, statistics unchanged
    np.testing.assert_array_equal(loaded.layers[0].mean.numpy(), mean)


def test_normalization_weights_are_keras_weights_count_included():
    """Keras 3 keeps mean, variance and a count (0) as the layer's weights: weights copied either way give the
    same predictions, and summary() counts them as Keras does."""
    from real_keras import real_keras

    real = real_keras()
    x = np.random.default_rng(3).normal(size=(40, 3)).astype("float32") * 5 + 2
    theirs = real.layers.Normalization()
    theirs.adapt(x)
    their_model = real.Sequential([real.Input((3,)), theirs, real.layers.Dense(2)])
    from fnlearn import keras

    ours = keras.layers.Normalization()
    ours.adapt(np.zeros((2, 3)))
    model = keras.Sequential([keras.Input((3,)), ours, keras.layers.Dense(2)])
    assert [w.shape for w in model.get_weights()] == [w.shape for w in their_model.get_weights()]
    model.set_weights(their_model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), their_model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    assert ours.count.numpy() == 0 and sum(w.size for w in model.get_weights()) == their_model.count_params()
    their_model.set_weights(model.get_weights())  # and back


@pytest.mark.parametrize("how", ["load_model", "load_weights"])
def test_files_written_before_normalization_kept_its_count_still_load(tmp_path, how):
    norm = fl.layers.Normalization()
    norm.adapt(np.arange(12.0).reshape(4, 3))
    model = fl.Sequential([norm, fl.layers.Dense(2)])
    model.build((3,))
    norm.count = None  # as earlier versions wrote it: statistics without a count
    model.save(tmp_path / "old.fnl")
    assert "0.count" not in io._split_tensors(io._read(tmp_path / "old.fnl"))[0]
    if how == "load_model":
        again = fl.load_model(tmp_path / "old.fnl")
    else:
        fresh = fl.layers.Normalization()
        fresh.adapt(np.zeros((2, 3)))
        again = fl.Sequential([fresh, fl.layers.Dense(2)])
        again.build((3,))
        again.load_weights(tmp_path / "old.fnl")
    assert again.layers[0].count.numpy() == 0
    x = np.ones((2, 3))
    np.testing.assert_allclose(again.predict(x), model.predict(x), rtol=1e-6)


def test_normalization_over_all_values_saves_and_loads_its_single_statistics(tmp_path):
    norm = fl.layers.Normalization(axis=None)
    norm.adapt(np.random.default_rng(0).normal(size=(20, 5)) * 3 + 1)
    model = fl.Sequential([norm, fl.layers.Dense(2)])
    model.build((5,))
    assert norm.mean.shape == ()
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    assert loaded.layers[0].mean.shape == ()
    x = np.ones((3, 5))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    model.save_weights(tmp_path / "w.fnl")
    loaded.load_weights(tmp_path / "w.fnl")


def _keras_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Keras's ReLU as its documentation states it: capped above the threshold, sloped below."""
    capped = x if max_value is None else np.minimum(x, max_value)
    return np.where(x > threshold, capped, negative_slope * (x - threshold))


@pytest.mark.parametrize("options", [dict(max_value=6.0), dict(negative_slope=0.2), dict(threshold=1.0),
                                     dict(max_value=4.0, negative_slope=0.1, threshold=0.5)])
def test_relu_options_compute_keras_relu(float64, options):
    x = np.linspace(-3, 9, 49).reshape(7, 7)
    out = fl.layers.ReLU(**options)(x).numpy()
    np.testing.assert_allclose(out, _keras_relu(x, **options), rtol=1e-15)
    assert not np.signbit(fl.layers.ReLU(max_value=2.0)(x).numpy()).any()  # 0, never −0, below the threshold


def test_leaky_relu_layer_has_keras_slope_and_alpha():
    x = np.array([[-2.0, 3.0]])
    np.testing.assert_allclose(fl.layers.LeakyReLU()(x).numpy(), [[-0.6, 3.0]], rtol=1e-6)
    np.testing.assert_allclose(fl.layers.LeakyReLU(alpha=0.1)(x).numpy(), [[-0.2, 3.0]], rtol=1e-6)
    assert fl.layers.LeakyReLU(negative_slope=0.05).get_config()["negative_slope"] == 0.05


@pytest.mark.parametrize("options", [dict(max_value=-1.0), dict(negative_slope=-0.1), dict(threshold=-1.0),
                                     dict(max_value=float("nan")), dict(threshold="1"), dict(negative_slope=True)])
def test_relu_options_out_of_range_are_one_sentence(options):
    with pytest.raises(ConfigError, match=r"must be a finite number ≥ 0, got .*; pass 0"):
        fl.layers.ReLU(**options)
    with pytest.raises(ConfigError, match="LeakyReLU's negative_slope"):
        fl.layers.LeakyReLU(-0.5)


def test_relu_layers_with_options_train_on_the_general_path_and_reload(tmp_path):
    from fnlearn import fastpath

    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(6, input_dim=3), fl.layers.ReLU(max_value=0.5, negative_slope=0.1),
                           fl.layers.Dense(4), fl.layers.LeakyReLU(0.2), fl.layers.Dense(1)])
    plain = fl.Sequential([fl.layers.Dense(6, input_dim=3), fl.layers.ReLU(), fl.layers.Dense(1)])
    assert fastpath.dense_stack(model) is None and fastpath.dense_stack(plain) is not None
    x = np.random.default_rng(1).normal(size=(40, 3))
    model.compile("adam", "mse")
    history = model.fit(x, x.sum(1), epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")  # no custom_objects: the layers make their functions
    assert loaded.layers[1].get_config() == model.layers[1].get_config()
    assert loaded.layers[3].negative_slope == 0.2
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_layer_names_are_keras_snake_case():
    import re

    names = [fl.layers.ReLU().name, fl.layers.LeakyReLU().name, fl.layers.Dense(1).name]
    assert [re.sub(r"_\d+$", "", name) for name in names] == ["re_lu", "leaky_re_lu", "dense"]


def test_an_input_opening_fnlearn_sequential_adds_no_layer():
    from fnlearn import keras

    model = fl.Sequential([keras.Input(shape=(3,)), fl.layers.Dense(2)])
    assert len(model.layers) == 1 and model.input_shape == (3,) and model.built
    assert fl.Sequential([keras.Input(shape=(5,))]).input_shape == (5,)
    with pytest.raises(ConfigError, match="only be the first element"):
        fl.Sequential([fl.layers.Dense(2, input_dim=3), keras.Input(shape=(2,))])


def test_a_layer_keeps_the_dtype_it_was_made_with_and_takes_a_dtype_argument(tmp_path):
    fl.set_default_dtype("float64")
    try:
        lazy = fl.layers.Dense(3)  # made under float64, built after the default is back to float32
        norm = fl.layers.Normalization()
    finally:
        fl.set_default_dtype("float32")
    norm.adapt(np.ones((4, 2)))
    lazy(np.ones((2, 2)))
    assert lazy.kernel.dtype == np.float64 and lazy.dtype == "float64" and norm.mean.dtype == np.float64
    mixed = fl.Sequential([fl.layers.Dense(4, input_dim=2, dtype="float64"), fl.layers.Dense(1, dtype=np.float32)])
    assert [p.dtype for p in mixed.parameters()] == [np.float64, np.float64, np.float32, np.float32]
    mixed.compile("sgd", "mse")
    mixed.fit(np.ones((8, 2)), np.ones(8), verbose=0)
    mixed.save(tmp_path / "m.fnl")
    assert [p.dtype for p in fl.load_model(tmp_path / "m.fnl").parameters()] == \
        [np.float64, np.float64, np.float32, np.float32]
    with pytest.raises(ConfigError, match=r"dtype='mixed_float16'; fnlearn layers compute in 'float32'"):
        fl.layers.Dense(2, dtype="mixed_float16")


@pytest.mark.parametrize("name", ["elu", "selu", "gelu", "silu", "swish", "relu6"])
def test_keras_tutorial_activations_train_and_reload(name, tmp_path):
    from fnlearn import fastpath
    from fnlearn.keras import activations

    fl.set_seed(0)
    model = fl.Sequential([Dense(8, activation=name, input_dim=3), Dense(1)])
    assert fastpath.dense_stack(model) is not None  # fit's written-out step trains every one of them
    x = np.random.default_rng(2).normal(size=(64, 3))
    y = np.sin(x).sum(1)
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    assert loaded.layers[0].activation is fl.functional.ACTIVATIONS[name]
    assert loaded.layers[0].get_config()["activation"] == name
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    # the keras.activations object is the same function, saved under its own name
    by_object = Dense(2, activation=getattr(activations, name))
    assert by_object.activation is fl.functional.ACTIVATIONS[name]
    assert by_object.activation_name == ("silu" if name == "swish" else name)


def test_weights_carry_keras_names():
    norm = fl.layers.Normalization()
    norm.adapt(np.ones((3, 2)))
    model = fl.Sequential([norm, fl.layers.Dense(2)])
    assert [w.name for w in model.weights] == ["mean", "variance", "count", "kernel", "bias"]


def test_an_unbuilt_model_takes_data_in_its_first_layers_dtype():
    model = fl.Sequential([fl.layers.Dense(1, dtype="float64", kernel_initializer="ones", use_bias=False)])
    out = model.predict(np.array([[1 + 1e-12], [3e39]]))
    assert out.dtype == np.float64 and out[0, 0] == 1 + 1e-12 and out[1, 0] == 3e39


def test_adapting_again_to_samples_of_another_shape_is_refused():
    norm = fl.layers.Normalization()
    norm.adapt(np.ones((4, 3)))
    with pytest.raises(ShapeError, match=r"takes samples of shape \(3,\).*these data have samples of shape \(5,\)"):
        norm.adapt(np.ones((4, 5)))
    norm.adapt(np.zeros((6, 3)))  # the same shape again: new statistics
    np.testing.assert_array_equal(norm.mean.numpy(), [0, 0, 0])


# ----------------------------------------------------------------------------- Normalization with one mean for all


@pytest.mark.parametrize("mean, variance", [(3.0, 4.0), ([3.0], [4.0]), (np.float32(3.0), np.array(4.0))])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_given_one_mean_and_variance_applies_them_to_every_feature_as_keras(mean, variance, invert):
    from real_keras import real_keras

    real = real_keras()
    x = np.array([[1.0, 3.0, 5.0], [7.0, 9.0, 11.0]], dtype=np.float32)
    theirs = real.layers.Normalization(mean=mean, variance=variance, invert=invert)
    ours = fl.keras.layers.Normalization(mean=mean, variance=variance, invert=invert)
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-6)
    # the statistics become one per feature once the features are known, and stay statistics
    assert ours.mean.shape == ours.variance.shape == (3,) and not ours.mean.requires_grad
    np.testing.assert_array_equal(ours.mean.numpy(), [3.0, 3.0, 3.0])
    with pytest.raises(ShapeError, match="adapted to 3 features, but its input has 2"):
        ours(np.ones((2, 2)))


def test_normalization_with_one_mean_builds_with_the_model_and_saves_one_per_feature(tmp_path):
    norm = fl.layers.Normalization(mean=3.0, variance=4.0)
    assert not norm.built and norm.mean is None  # its number of features is not known yet
    model = fl.Sequential([norm, fl.layers.Dense(1, kernel_initializer="ones")])
    model.build((4,))
    assert norm.built and norm.mean.shape == (4,)
    x = np.full((2, 4), 5.0)
    np.testing.assert_allclose(model.predict(x, verbose=0), [[4.0], [4.0]], rtol=1e-6)  # 4 · (5 − 3) / 2
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    assert loaded.layers[0].mean.shape == (4,)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert fl.layers.Normalization(mean=1.0, variance=9.0, input_shape=(2,)).variance.shape == (2,)
    functional = fl.keras.layers.Normalization(mean=1.0, variance=1.0)(fl.keras.Input(shape=(5,)))
    assert functional.shape[-1] == 5
    adapted = fl.layers.Normalization(mean=1.0, variance=1.0)
    adapted.adapt(np.array([[0.0, 2.0], [2.0, 4.0]]))  # adapting replaces the numbers given
    np.testing.assert_array_equal(adapted.mean.numpy(), [1.0, 3.0])


def test_given_statistics_are_constants_as_in_keras_weights_line_up_and_the_config_keeps_them(tmp_path):
    """Keras 3 keeps a mean and variance given to the layer as constants, in its config, not as weights: a model's
    get_weights lines up with Keras's either way and summary() counts no weights for the layer."""
    from real_keras import real_keras

    real = real_keras()
    x = np.random.default_rng(4).normal(size=(6, 3)).astype("float32")
    for mean, variance in [([1.0, -2.0, 0.5], [4.0, 0.25, 1.0]), (2.0, 9.0)]:
        theirs = real.Sequential([real.Input((3,)), real.layers.Normalization(mean=mean, variance=variance),
                                  real.layers.Dense(2)])
        norm = fl.keras.layers.Normalization(mean=mean, variance=variance)
        ours = fl.keras.Sequential([fl.keras.Input((3,)), norm, fl.keras.layers.Dense(2)])
        assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()] == [(3, 2), (2,)]
        assert ours.count_params() == theirs.count_params() == 8 and norm.weights == []
        ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
        config, their_config = norm.get_config(), theirs.layers[0].get_config()
        assert (config["mean"], config["variance"]) == (their_config["mean"], their_config["variance"])
        ours.save(tmp_path / "m.fnl")
        loaded = fl.load_model(tmp_path / "m.fnl")
        assert loaded.get_weights()[0].shape == (3, 2) and loaded.layers[0].get_config()["mean"] == config["mean"]
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), ours.predict(x, verbose=0))
    adapted = fl.keras.layers.Normalization()
    adapted.adapt(x)
    assert adapted.get_config()["mean"] is None and len(adapted.weights) == 3


def test_given_statistics_follow_the_model_to_another_backend():
    """Constants are not weights, so moving the model leaves them where they were made: the call brings them."""
    here = fl.backend_name()
    fl.set_backend("numpy")
    norm = fl.layers.Normalization(mean=[1.0, 3.0], variance=[4.0, 1.0])
    fl.set_backend(here)
    np.testing.assert_allclose(norm(np.array([[3.0, 3.0]])).numpy(), [[1.0, 0.0]])


def test_normalization_statistics_mistakes_are_one_sentence():
    with pytest.raises(ConfigError, match="got a negative variance \\(-4\\); a variance is a mean of squares"):
        fl.layers.Normalization(mean=3.0, variance=-4.0)
    with pytest.raises(ConfigError, match=r"got a mean of shape \(\) and a variance of shape \(2,\); give one number "
                                          "each"):
        fl.layers.Normalization(mean=3.0, variance=[1.0, 2.0], input_shape=(2,))
    with pytest.raises(ConfigError, match=r"mean of shape \(2,\) .* one number each"):
        fl.layers.Normalization(axis=None, mean=[1.0, 2.0], variance=[1.0, 2.0])


def test_normalization_takes_the_last_axis_counted_from_the_batch_axis_as_keras_writes_it():
    """Keras writes the last axis of images as axis=3 (its EfficientNet does): the same statistics as axis=-1 for
    inputs of 4 axes, and a one-sentence refusal for inputs of another rank."""
    images = np.random.default_rng(4).normal(size=(5, 2, 3, 4)) * 3 + 1
    counted, last = fl.layers.Normalization(axis=3, name="counted"), fl.layers.Normalization()
    counted.adapt(images)
    last.adapt(images)
    np.testing.assert_array_equal(counted(images).numpy(), last(images).numpy())
    assert counted.get_config()["axis"] == 3
    with pytest.raises(ShapeError, match="layer 'counted' normalises axis 3, the last axis of inputs of 4 axes .*, "
                                         "but got inputs of 3; .* pass axis=-1"):
        counted(images[0])
    with pytest.raises(ShapeError, match="normalises axis 3"):
        fl.layers.Normalization(axis=3).adapt(images[:, 0])
    for axis in (0, -2, 1.5, True):
        with pytest.raises(ConfigError, match=r"axis=-1 .* or axis=None"):
            fl.layers.Normalization(axis=axis)
