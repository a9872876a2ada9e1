"""Initializers: every name, the scale each promises, dtypes and reproducibility."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn.errors import ConfigError
from fnlearn.nn import initializers as I

SHAPE = (400, 300)


def _drawn(init, shape):
    """What ``init`` draws on the backend, copied to the host for the NumPy statistics below."""
    return fl.backend.to_numpy(init(shape))


def test_uniform_limits_and_normal_scales():
    fl.set_seed(0)
    fan_in, fan_out = SHAPE
    g = _drawn(I.get("glorot_uniform"), SHAPE)
    limit = np.sqrt(6 / (fan_in + fan_out))
    assert g.max() <= limit and g.min() >= -limit and g.max() > 0.95 * limit
    h = _drawn(I.get("he_uniform"), SHAPE)
    assert np.abs(h).max() <= np.sqrt(6 / fan_in) and np.abs(h).max() > 0.95 * np.sqrt(6 / fan_in)
    assert _drawn(I.get("glorot_normal"), SHAPE).std() == pytest.approx(np.sqrt(2 / (fan_in + fan_out)), rel=0.02)
    assert _drawn(I.get("he_normal"), SHAPE).std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.02)
    n = _drawn(I.normal(std=0.3, mean=1.0), SHAPE)
    assert n.std() == pytest.approx(0.3, rel=0.02) and n.mean() == pytest.approx(1.0, abs=0.01)
    assert np.all(_drawn(I.get("zeros"), (3, 2)) == 0) and np.all(_drawn(I.get("ones"), (3,)) == 1)


def test_every_name_gives_the_shape_and_default_dtype():
    for name in I.INITIALIZERS:
        w = I.get(name)((5, 4))
        assert w.shape == (5, 4) and w.dtype == np.float32, name
        # the config form rebuilds an initializer of the same kind
        rebuilt = I.from_config(I.name_of(I.get(name)))
        assert rebuilt is I.get(name) or type(rebuilt) is type(I.get(name)), name
    fl.set_default_dtype("float64")
    assert I.get("he_normal")((2, 2)).dtype == np.float64


def test_layers_accept_initializers_by_name_object_or_callable():
    assert np.all(fl.layers.Dense(3, input_dim=2, kernel_initializer="ones").kernel.numpy() == 1)
    layer = fl.layers.Dense(3, input_dim=2, kernel_initializer=I.Normal(std=0.01))
    assert layer.get_config()["kernel_initializer"] == {"name": "normal", "std": 0.01, "mean": 0.0}
    assert isinstance(I.from_config({"name": "normal", "std": 0.01}), I.Normal)
    layer = fl.layers.Dense(2, input_dim=2, kernel_initializer=lambda shape: np.full(shape, 0.5))
    assert np.all(layer.kernel.numpy() == 0.5)


def test_set_seed_reproduces_weights():
    fl.set_seed(123)
    a = [fl.layers.Dense(4, input_dim=3, kernel_initializer=n).kernel.numpy() for n in ("glorot_uniform", "he_normal")]
    fl.set_seed(123)
    b = [fl.layers.Dense(4, input_dim=3, kernel_initializer=n).kernel.numpy() for n in ("glorot_uniform", "he_normal")]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    fl.set_seed(124)
    assert not np.array_equal(fl.layers.Dense(4, input_dim=3).kernel.numpy(), a[0])
    with pytest.raises(ConfigError, match="seed"):
        fl.set_seed(-1)


def test_unknown_initializer_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"did you mean 'glorot_uniform'\?.*he_normal"):
        I.get("glorot_unifrom")


# ----------------------------------------------------------------------------- Keras's other initializers

TRUNCATED_STD = 0.87962566103423978  # std of N(0, 1) cut at ±2, Keras's VarianceScaling constant


def test_lecun_initializers_follow_kerass_variance_scaling():
    """Keras: LecunUniform is U(±√(3/fan_in)); LecunNormal is N(0, σ²) cut at 2σ, σ = √(1/fan_in) / 0.8796…,
    so the draws' variance is 1 / fan_in."""
    fl.set_seed(0)
    fan_in = SHAPE[0]
    u = _drawn(I.get("lecun_uniform"), SHAPE)
    limit = np.sqrt(3 / fan_in)
    assert np.abs(u).max() <= limit and np.abs(u).max() > 0.99 * limit
    assert u.std() == pytest.approx(np.sqrt(1 / fan_in), rel=0.02) and abs(u.mean()) < 0.01 * limit
    n = _drawn(I.get("lecun_normal"), SHAPE)
    bound = 2 * np.sqrt(1 / fan_in) / TRUNCATED_STD
    assert np.abs(n).max() <= bound and np.abs(n).max() > 0.99 * bound
    assert n.std() == pytest.approx(np.sqrt(1 / fan_in), rel=0.02) and abs(n.mean()) < 0.01 * bound
    # a convolution-shaped kernel: fan_in counts the receptive field, as Keras's compute_fans
    conv = _drawn(I.lecun_uniform, (3, 3, 16, 32))
    assert np.abs(conv).max() <= np.sqrt(3 / (3 * 3 * 16)) and np.abs(conv).max() > 0.95 * np.sqrt(3 / 144)


def test_uniform_truncated_normal_and_constant_draw_what_keras_defines():
    fl.set_seed(1)
    u = _drawn(I.Uniform(-1.0, 3.0), SHAPE)
    assert u.min() >= -1.0 and u.max() < 3.0 and u.min() < -0.99 and u.max() > 2.99
    assert u.mean() == pytest.approx(1.0, abs=0.02) and u.std() == pytest.approx(4 / np.sqrt(12), rel=0.01)
    default = _drawn(I.get("random_uniform"), SHAPE)
    assert np.abs(default).max() <= 0.05 and np.abs(default).max() > 0.0499
    t = _drawn(I.TruncatedNormal(std=0.3, mean=1.0), SHAPE)
    # Keras redraws anything beyond 2 std: nothing outside [mean − 2σ, mean + 2σ], the edges reached
    assert t.min() >= 1.0 - 0.6 and t.max() <= 1.0 + 0.6 and t.min() < 0.41 and t.max() > 1.59
    assert t.mean() == pytest.approx(1.0, abs=0.005) and t.std() == pytest.approx(0.3 * TRUNCATED_STD, rel=0.01)
    # about 4.55 % of a plain normal lies beyond 2σ; the redraws leave the inner shape as a plain normal's
    inner = np.mean(np.abs(t - 1.0) < 0.3)
    assert inner == pytest.approx(0.6827 / 0.9545, abs=0.01)
    assert np.all(_drawn(I.Constant(3.0), (3, 2)) == 3.0) and np.all(_drawn(I.get("constant"), (4,)) == 0.0)


def test_keras_names_as_strings_and_classes():
    K = fl.keras.initializers  # noqa: N806
    assert I.get("LecunNormal") is I.get("lecun_normal") is K.LecunNormal() is I.lecun_normal
    assert I.get("LecunUniform") is I.lecun_uniform is K.LecunUniform() is K.lecun_uniform
    assert I.get("GlorotUniform") is I.glorot_uniform and I.get("HE_NORMAL") is I.he_normal
    assert isinstance(I.get("RandomUniform"), I.Uniform) and isinstance(I.get("uniform"), I.Uniform)
    assert isinstance(I.get("TruncatedNormal"), I.TruncatedNormal) and isinstance(I.get("Constant"), I.Constant)
    assert I.get("zero") is I.zeros and I.get("one") is I.ones
    assert K.RandomUniform().get_config() == {"name": "uniform", "minval": -0.05, "maxval": 0.05}
    assert K.TruncatedNormal().get_config() == {"name": "truncated_normal", "std": 0.05, "mean": 0.0}
    assert K.TruncatedNormal(mean=1, stddev=2).get_config() == {"name": "truncated_normal", "std": 2.0, "mean": 1.0}
    assert K.Constant().get_config() == {"name": "constant", "value": 0.0}
    assert K.random_uniform is K.RandomUniform and K.constant is K.Constant and K.truncated_normal is K.TruncatedNormal
    for make in (K.RandomUniform, K.TruncatedNormal, K.LecunNormal, K.LecunUniform):
        assert np.array_equal(_drawn(make(seed=5), (4, 3)), _drawn(make(seed=5), (4, 3)))
    layer = fl.keras.layers.Dense(3, input_dim=2, kernel_initializer=K.Constant(0.5), bias_initializer="Constant")
    assert np.all(layer.kernel.numpy() == 0.5) and np.all(layer.bias.numpy() == 0)
    # a saved config dict is accepted wherever an initializer is
    layer = fl.layers.Dense(2, input_dim=2, kernel_initializer={"name": "constant", "value": -2.0})
    assert np.all(layer.kernel.numpy() == -2.0)


def test_new_initializers_are_reproducible_from_the_seed_and_keep_the_dtype():
    inits = [I.lecun_normal, I.lecun_uniform, I.Uniform(-2, 2), I.TruncatedNormal(std=1.0)]
    fl.set_seed(11)
    first = [_drawn(init, (50, 40)) for init in inits]
    fl.set_seed(11)
    again = [_drawn(init, (50, 40)) for init in inits]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    fl.set_seed(12)
    assert not any(np.array_equal(a, _drawn(init, (50, 40))) for a, init in zip(first, inits))
    assert all(a.dtype == np.float32 for a in first)
    fl.set_default_dtype("float64")
    assert all(init((2, 2)).dtype == np.float64 for init in [*inits, I.Constant(1.0)])


def test_settings_survive_name_of_and_from_config():
    for init in (I.Uniform(-1, 1), I.TruncatedNormal(std=0.2, mean=0.5), I.Constant(3), I.Normal(std=0.1)):
        config = I.name_of(init)
        rebuilt = I.from_config(config)
        assert type(rebuilt) is type(init) and rebuilt.get_config() == config == init.get_config()
    # files written before the name was recorded held only Normal's settings
    assert I.from_config({"std": 0.2}).get_config() == {"name": "normal", "std": 0.2, "mean": 0.0}


@pytest.mark.parametrize("make, words", [
    (lambda: I.Uniform(1.0, -1.0), "minval must not exceed maxval"),
    (lambda: I.TruncatedNormal(std=-0.1), "std must be ≥ 0"),
    (lambda: I.Constant("3"), "value must be a finite number"),
    (lambda: I.Constant(float("nan")), "value must be a finite number"),
    (lambda: fl.keras.initializers.RandomUniform(minval=float("inf")), "minval must be a finite number"),
    (lambda: I.from_config({"name": "constant", "val": 1.0}), "Constant does not take; it takes value"),
    (lambda: I.from_config({"name": "kaiser"}), "'kaiser' is not known.*truncated_normal, uniform"),
])
def test_bad_settings_are_one_sentence(make, words):
    with pytest.raises(ConfigError, match=words):
        make()


def test_unknown_names_list_the_new_initializers():
    with pytest.raises(ConfigError, match=r"did you mean 'lecun_normal'\?") as info:
        I.get("lecun_norml")
    for name in ("constant", "lecun_uniform", "random_uniform", "truncated_normal"):
        assert name in str(info.value)


# ----------------------------------------------------------------------------- seeds (Keras 3's rule)

SEEDED = [
    lambda seed: I.GlorotUniform(seed=seed), lambda seed: I.GlorotNormal(seed=seed),
    lambda seed: I.HeUniform(seed=seed), lambda seed: I.HeNormal(seed=seed),
    lambda seed: I.LecunUniform(seed=seed), lambda seed: I.LecunNormal(seed=seed),
    lambda seed: I.VarianceScaling(0.5, "fan_out", "untruncated_normal", seed=seed),
    lambda seed: I.Normal(std=0.3, mean=1.0, seed=seed), lambda seed: I.Uniform(-2.0, 2.0, seed=seed),
    lambda seed: I.TruncatedNormal(std=0.3, seed=seed),
    lambda seed: fl.keras.initializers.GlorotUniform(seed=seed), lambda seed: fl.keras.initializers.HeNormal(seed),
    lambda seed: fl.keras.initializers.RandomNormal(stddev=0.1, seed=seed),
    lambda seed: fl.keras.initializers.RandomUniform(seed=seed),
    lambda seed: fl.keras.initializers.TruncatedNormal(seed=seed),
    lambda seed: fl.keras.initializers.VarianceScaling(2.0, "fan_avg", "uniform", seed=seed),
]


@pytest.mark.parametrize("make", SEEDED)
def test_an_initializer_with_a_seed_repeats_its_draws_whatever_the_global_stream(make):
    fl.set_seed(0)
    first = _drawn(make(42), (30, 20))
    global_next = fl.backend.rng().random()
    fl.set_seed(0)
    again = make(42)
    fl.set_seed(99)  # the global stream changes nothing for a seeded initializer
    assert np.array_equal(_drawn(again, (30, 20)), first) and np.array_equal(_drawn(again, (30, 20)), first)
    fl.set_seed(0)
    _drawn(make(42), (30, 20))
    assert fl.backend.rng().random() == global_next  # nor does it draw from the global stream
    assert not np.array_equal(_drawn(make(43), (30, 20)), first)
    assert first.dtype == np.float32 and first.std() > 0


@pytest.mark.parametrize("make", [I.glorot_uniform, I.he_normal, I.GlorotUniform(), I.HeNormal(),
                                  I.Normal(std=0.1), fl.keras.initializers.RandomUniform()])
def test_an_initializer_without_a_seed_draws_from_the_global_stream(make):
    fl.set_seed(3)
    a, b = _drawn(make, (20, 10)), _drawn(make, (20, 10))
    fl.set_seed(3)
    assert not np.array_equal(a, b) and np.array_equal(_drawn(make, (20, 10)), a)


def test_keras_initializers_with_a_seed_are_fnlearns_objects_and_without_one_its_functions():
    K = fl.keras.initializers  # noqa: N806
    for name in ("GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal"):
        snake = I._snake_case(name)
        assert getattr(K, name)() is getattr(I, snake)
        seeded = getattr(K, name)(seed=7)
        assert type(seeded) is getattr(I, name) and seeded.get_config() == {"name": snake, "seed": 7}
    assert K.RandomNormal(0.5, 2.0, 3).get_config() == {"name": "normal", "std": 2.0, "mean": 0.5, "seed": 3}
    assert K.RandomUniform(seed=np.int64(4)).get_config()["seed"] == 4 and K.variance_scaling is K.VarianceScaling
    assert K.TruncatedNormal(seed=None).get_config() == {"name": "truncated_normal", "std": 0.05, "mean": 0.0}


def test_the_seed_is_saved_in_the_model_file_and_restored(tmp_path):
    K = fl.keras.initializers  # noqa: N806
    model = fl.Sequential([fl.layers.Dense(5, input_dim=4, kernel_initializer=K.HeNormal(seed=42),
                                           bias_initializer=K.RandomNormal(stddev=0.5, seed=1)),
                           fl.layers.BatchNormalization(gamma_initializer=I.VarianceScaling(3.0, seed=2)),
                           fl.layers.Dense(1, kernel_initializer=K.GlorotUniform(seed=0))])
    model.build((4,))
    model.save(tmp_path / "m.fnl")
    loaded = fl.load_model(tmp_path / "m.fnl")
    for ours, theirs in zip(model.layers, loaded.layers):
        assert ours.get_config() == theirs.get_config()
    assert loaded.layers[0].get_config()["kernel_initializer"] == {"name": "he_normal", "seed": 42}
    assert loaded.layers[1].gamma_initializer.get_config() == {"name": "variance_scaling", "scale": 3.0,
                                                               "mode": "fan_in", "distribution": "truncated_normal",
                                                               "seed": 2}
    # a layer made again from the saved settings draws the very same starting weights
    again = fl.layers.Dense.from_config(loaded.layers[0].get_config())
    again.build((4,))
    np.testing.assert_array_equal(again.kernel.numpy(), model.layers[0].kernel.numpy())
    np.testing.assert_array_equal(again.bias.numpy(), model.layers[0].bias.numpy())


@pytest.mark.parametrize("seed", [-1, 1.5, "42", True, [1]])
def test_a_bad_seed_is_one_sentence(seed):
    for make in (fl.keras.initializers.GlorotUniform, fl.keras.initializers.RandomNormal, I.Uniform, I.HeNormal):
        with pytest.raises(ConfigError, match=r"\(seed=.*\): seed must be a non-negative integer, or None to "
                                              r"draw from fl.set_seed's generator; e.g. seed=42\.$") as info:
            make(seed=seed)
        assert str(info.value).replace("e.g. ", "").count(". ") == 0
    with pytest.raises(ConfigError, match="seed must be a non-negative integer"):
        I.from_config({"name": "he_uniform", "seed": -5})  # a damaged file


# ----------------------------------------------------------------------------- Keras 3's truncated "normal"s


@pytest.mark.parametrize("make, scale, fan", [
    (lambda: I.get("he_normal"), 2.0, 400), (lambda: I.get("glorot_normal"), 1.0, 350),
    (lambda: I.get("lecun_normal"), 1.0, 400), (lambda: fl.keras.initializers.HeNormal(seed=1), 2.0, 400),
    (lambda: fl.keras.initializers.GlorotNormal(seed=1), 1.0, 350),
    (lambda: I.VarianceScaling(3.0, "fan_out", "normal"), 3.0, 300),
    (lambda: I.VarianceScaling(0.5, "fan_avg"), 0.5, 350),
])
def test_the_normal_variance_scaling_initializers_are_truncated_at_two_sigma_as_keras(make, scale, fan):
    fl.set_seed(0)
    w = _drawn(make(), SHAPE)
    bound = 2 * np.sqrt(scale / fan) / TRUNCATED_STD
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(np.sqrt(scale / fan), rel=0.02) and abs(w.mean()) < 0.01 * bound


def test_untruncated_normal_is_the_plain_normal():
    fl.set_seed(0)
    w = _drawn(I.VarianceScaling(2.0, "fan_in", "untruncated_normal"), SHAPE)
    sigma = np.sqrt(2.0 / SHAPE[0])
    assert w.std() == pytest.approx(sigma, rel=0.02)
    assert np.mean(np.abs(w) > 2 * sigma) == pytest.approx(0.0455, abs=0.005)  # tails a cut normal lacks
    u = _drawn(I.VarianceScaling(6.0, "fan_out", "uniform"), SHAPE)
    assert np.abs(u).max() <= np.sqrt(3 * 6.0 / SHAPE[1]) and np.abs(u).max() > 0.99 * np.sqrt(18.0 / SHAPE[1])


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
def test_our_normals_follow_the_distribution_real_keras_draws():
    real = real_keras()
    for theirs, ours, scale, fan, cut in (
            (real.initializers.HeNormal(seed=0), I.HeNormal(seed=0), 2.0, 400, True),
            (real.initializers.GlorotNormal(seed=0), I.GlorotNormal(seed=0), 1.0, 350, True),
            (real.initializers.LecunNormal(seed=0), I.LecunNormal(seed=0), 1.0, 400, True),
            (real.initializers.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=0),
             I.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=0), 3.0, 300, False)):
        k, w = np.asarray(theirs(SHAPE)), _drawn(ours, SHAPE)
        assert np.asarray(theirs(SHAPE)).tolist() == k.tolist()  # Keras's same-seed rule, which ours follows
        bound = 2 * np.sqrt(scale / fan) / TRUNCATED_STD
        for values in (k, w):
            assert values.std() == pytest.approx(np.sqrt(scale / fan), rel=0.02)
            assert bool(np.abs(values).max() <= bound) is cut and np.abs(values).max() > 0.99 * bound
        quantiles = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
        np.testing.assert_allclose(np.quantile(w, quantiles), np.quantile(k, quantiles), atol=0.05 * k.std())
    assert real.initializers.VarianceScaling(distribution="normal").distribution == \
        I.VarianceScaling(distribution="normal").distribution == "truncated_normal"


@pytest.mark.parametrize("make, words", [
    (lambda: I.VarianceScaling(0.0), r"VarianceScaling\(scale=0.0\): scale must be > 0"),
    (lambda: I.VarianceScaling(mode="fan_inn"), r"VarianceScaling mode 'fan_inn' is not known; did you mean "
                                                r"'fan_in'\?"),
    (lambda: I.VarianceScaling(distribution="gaussian"), "VarianceScaling distribution 'gaussian' is not known"),
    (lambda: I.Normal(std=-1.0), r"Normal\(std=-1.0\): std must be ≥ 0"),
    (lambda: I.from_config({"name": "glorot_uniform", "scale": 2.0}), "GlorotUniform does not take; it takes seed"),
])
def test_variance_scaling_mistakes_are_one_sentence(make, words):
    with pytest.raises(ConfigError, match=words):
        make()


# ----------------------------------------------------------------------------- the real Keras's are refused


def test_an_initializer_of_the_real_keras_is_refused_with_the_one_to_use():
    real = real_keras()
    for make in (lambda i: fl.layers.Dense(4, input_dim=2, kernel_initializer=i),
                 lambda i: fl.keras.layers.Dense(4, bias_initializer=i),
                 lambda i: fl.layers.BatchNormalization(gamma_initializer=i),
                 lambda i: fl.layers.Layer().add_weight(shape=(2,), initializer=i)):
        with pytest.raises(ConfigError, match=r"^the initializer HeNormal comes from Keras, not fnlearn; use "
                                              r"fnlearn's own keras.initializers.HeNormal \(.*`from fnlearn "
                                              r"import keras`.*\)\.$"):
            make(real.initializers.HeNormal())
    with pytest.raises(ConfigError, match=r"^the initializer GlorotUniform comes from Keras"):
        I.get(real.initializers.GlorotUniform)  # the class itself, as Keras also takes it
    with pytest.raises(ConfigError, match=r"^the initializer Initializer comes from Keras, not fnlearn; use "
                                          r"fnlearn's own \("):
        I.get(real.initializers.Initializer())  # no fnlearn equivalent to name
    with pytest.raises(ConfigError, match=r"^the initializer STFT comes from Keras, not fnlearn; use fnlearn's own "
                                          r"keras.initializers.STFT"):
        I.get(real.initializers.STFT())
    for name in I.KERAS_NAMES:  # every name the sentence may suggest exists
        assert callable(getattr(fl.keras.initializers, name)) and hasattr(real.initializers, name)


def test_identity_is_keras_in_an_irnn_saved_loaded_and_exported(tmp_path):
    real = real_keras()
    from fnlearn import keras

    def irnn(library):
        return library.Sequential([library.Input((5, 3)), library.layers.SimpleRNN(
            4, activation="relu", recurrent_initializer=library.initializers.Identity(gain=0.5),
            kernel_initializer=library.initializers.Zeros()), library.layers.Dense(1)])

    ours, theirs = irnn(keras), irnn(real)
    np.testing.assert_array_equal(ours.layers[0].get_weights()[1], theirs.layers[0].get_weights()[1])
    np.testing.assert_array_equal(_drawn(keras.initializers.get("identity"), (2, 3)),
                                  real.initializers.get("identity")((2, 3)))
    assert keras.initializers.IdentityInitializer is keras.initializers.Identity
    ours.compile("sgd", "mse")
    ours.save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras").layers[0].recurrent_initializer.gain == 0.5
    keras.saving.export_keras(ours, tmp_path / "k.keras")
    again = real.models.load_model(tmp_path / "k.keras")
    assert type(again.layers[0].cell.recurrent_initializer).__name__ == "Identity"
    theirs.save(tmp_path / "theirs.keras")
    read = keras.models.load_model(tmp_path / "theirs.keras")
    assert type(read.layers[0].recurrent_initializer) is keras.initializers.Identity
    with pytest.raises(ConfigError, match=r"Identity makes matrices, shapes of two axes, got shape \(2, 2, 2\)"):
        keras.initializers.Identity()((2, 2, 2))


KERAS_FORMS = [  # (the same initializer made by each library's keras.initializers), a weight shape to draw
    (lambda k: k.initializers.HeNormal(seed=4), (30, 20)),
    (lambda k: k.initializers.GlorotUniform(), (30, 20)),
    (lambda k: k.initializers.RandomNormal(0.5, 0.2, seed=1), (30, 20)),
    (lambda k: k.initializers.TruncatedNormal(0.1, 0.3), (30, 20)),
    (lambda k: k.initializers.RandomUniform(-0.2, 0.4, seed=2), (30, 20)),
    (lambda k: k.initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=5), (30, 20)),
    (lambda k: k.initializers.Constant(1.5), (3, 2)),
    (lambda k: k.initializers.Orthogonal(gain=2.0, seed=3), (6, 6)),
    (lambda k: k.initializers.Zeros(), (3, 2)),
]


@pytest.mark.parametrize("make, shape", KERAS_FORMS)
def test_keras_forms_of_initializers_cross_both_ways(make, shape):
    """serialize gives Keras's form, which real Keras deserializes to its own initializer of the same settings; real
    Keras's form gives fnlearn's through get and deserialize; each draws from the same distribution."""
    real = real_keras()
    from fnlearn import keras

    ours, theirs = make(keras), make(real)
    written = keras.initializers.serialize(ours)
    again = real.initializers.deserialize(written)
    assert type(again) is type(theirs)
    assert {k: v for k, v in again.get_config().items() if v is not None} == \
        {k: v for k, v in theirs.get_config().items() if v is not None}
    read = keras.initializers.get(real.initializers.serialize(theirs))
    assert I.name_of(read) == I.name_of(ours) == I.name_of(keras.initializers.deserialize(written))
    fl.set_seed(0)
    drawn, wanted = fl.backend.to_numpy(read(shape)), np.asarray(theirs(shape))
    assert drawn.shape == wanted.shape
    spread = 4 * wanted.std() / np.sqrt(wanted.size)  # the means of two samples differ by chance up to about this
    assert abs(drawn.mean() - wanted.mean()) <= 0.01 + spread and abs(drawn.std() - wanted.std()) <= 0.05


def test_a_keras_form_fnlearn_cannot_read_is_one_sentence():
    from fnlearn import keras

    with pytest.raises(ConfigError, match=r"has a setting fnlearn's HeNormal does not take .* give only the settings"):
        keras.initializers.get({"class_name": "HeNormal", "config": {"scale": 3}})
    with pytest.raises(ConfigError, match=r"serialize got the initializer .* which has no config to write"):
        keras.initializers.serialize(lambda shape: np.zeros(shape))
