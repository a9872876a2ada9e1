"""Permute, Identity, UpSampling1D, ZeroPadding1D, Cropping1D, GaussianNoise, GaussianDropout, ELU, PReLU and
UnitNormalization: Keras 3's outputs, shapes and configs, saving inside a model, the noise layers' statistics and
seeded streams, gradients against central differences and PyTorch, and the mistakes a user makes with them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from real_keras import assert_trains_as_keras, real_keras

import fnlearn as fl
from fnlearn import backend, keras
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.nn.shape_layers import SHAPE_LAYERS

RNG = np.random.default_rng(11)


def _float(shape, scale=1.0):
    return (RNG.normal(size=shape) * scale).astype(np.float32)


def host(array):
    return backend.to_numpy(array)


# name, settings, sample shape: each layer in the forms Keras users write it
CASES = [
    ("Permute", {"dims": (2, 1)}, (3, 4)),
    ("Permute", {"dims": (3, 1, 2)}, (3, 4, 5)),
    ("Identity", {}, (3, 4)),
    ("UpSampling1D", {}, (4, 3)),
    ("UpSampling1D", {"size": 3}, (4, 3)),
    ("ZeroPadding1D", {}, (4, 3)),
    ("ZeroPadding1D", {"padding": (0, 3)}, (4, 3)),
    ("ZeroPadding1D", {"padding": 2, "data_format": "channels_first"}, (4, 3)),
    ("Cropping1D", {}, (5, 3)),
    ("Cropping1D", {"cropping": (0, 2)}, (5, 3)),
    ("Cropping1D", {"cropping": 2}, (5, 3)),
    ("GaussianNoise", {"stddev": 0.3, "seed": 1}, (4, 3)),
    ("GaussianDropout", {"rate": 0.4, "seed": 1}, (4, 3)),
    ("ELU", {}, (6,)),
    ("ELU", {"alpha": 0.3}, (4, 3)),
    ("PReLU", {}, (4, 3)),
    ("PReLU", {"shared_axes": [1]}, (4, 3)),
    ("PReLU", {"shared_axes": [1, 2]}, (3, 4, 2)),
    ("UnitNormalization", {}, (4, 3)),
    ("UnitNormalization", {"axis": [1, 2]}, (4, 3)),
    ("UnitNormalization", {"axis": 1}, (4, 3)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in settings.items()) or 'default'}" for name, settings, _ in CASES]


def _pair(name, settings, shape):
    """Keras's layer and fnlearn's, built alike, with the same random weights (PReLU's alpha)."""
    real = real_keras()
    theirs, ours = getattr(real.layers, name)(**settings), getattr(keras.layers, name)(**settings)
    if name == "PReLU":
        theirs.build((None, *shape))
        theirs.set_weights([_float(w.shape) for w in theirs.get_weights()])
        ours.build_for(shape)
        ours.set_weights(theirs.get_weights())
    return real, theirs, ours


def test_every_layer_is_registered_for_saving_and_exported():
    from fnlearn import io

    for name, cls in SHAPE_LAYERS.items():
        assert io._layer_class(name) is cls
        assert getattr(fl.layers, name) is cls and getattr(keras.layers, name) is cls
        assert name in keras.layers.__all__ and name in fl.layers.__all__


@pytest.mark.parametrize("name, settings, shape", CASES, ids=IDS)
def test_outputs_equal_keras(name, settings, shape):
    real, theirs, ours = _pair(name, settings, shape)
    x = _float((2, *shape))
    x[0, 0] = 0.0  # a zero value (ELU, PReLU) and, for UnitNormalization along the last axis, a zero sample
    expected = np.asarray(theirs(x))
    np.testing.assert_allclose(ours(x, training=False).numpy(), expected, rtol=1e-6, atol=1e-7)
    assert ours(x, training=False).numpy().dtype == np.float32


@pytest.mark.parametrize("name, settings, shape", CASES, ids=IDS)
def test_output_shapes_equal_keras_with_unknown_batch_and_steps(name, settings, shape):
    real, theirs, ours = _pair(name, settings, shape)
    for sample in (shape, (None, *shape[1:])):
        expected = tuple(theirs.compute_output_shape((None, *sample)))
        assert (None, *ours.compute_output_shape(sample)) == expected
        if name == "PReLU" and None in sample and 1 not in (settings.get("shared_axes") or []):
            continue  # one alpha per step needs the steps' count, in Keras too
        inputs = keras.Input(shape=sample)
        outputs = getattr(keras.layers, name)(**settings)(inputs)
        real_inputs = real.Input(shape=sample)
        real_outputs = getattr(real.layers, name)(**settings)(real_inputs)
        assert outputs.shape == tuple(real_outputs.shape)
        assert keras.Model(inputs, outputs).output_shape == tuple(real.Model(real_inputs, real_outputs).output_shape)


@pytest.mark.parametrize("name, settings, shape", CASES, ids=IDS)
def test_config_round_trips_and_holds_keras_keys(name, settings, shape):
    real, theirs, ours = _pair(name, settings, shape)
    config = ours.get_config()
    again = type(ours).from_config(config)
    assert again.get_config() == config
    own = set(theirs.get_config()) - {"name", "trainable", "dtype"}
    assert own <= set(config), f"keys Keras writes that fnlearn's config lacks: {own - set(config)}"
    for key in own - {"alpha_initializer"}:
        value = theirs.get_config()[key]
        assert config[key] == (list(value) if isinstance(value, tuple) and isinstance(config[key], list) else value)


@pytest.mark.parametrize("name, settings, shape", CASES, ids=IDS)
def test_a_model_holding_the_layer_saves_and_loads(tmp_path, name, settings, shape):
    inputs = keras.Input(shape=shape)
    hidden = getattr(keras.layers, name)(**settings)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    if name == "PReLU":
        model.layers[1].alpha.data[...] = backend.to_device(_float(model.layers[1].alpha.shape))
    x = _float((3, *shape))
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(again.predict(x, verbose=0), before)
    assert [type(layer).__name__ for layer in again.layers] == [type(layer).__name__ for layer in model.layers]
    assert again.layers[1].get_config() == model.layers[1].get_config()


def test_a_sequence_model_of_the_layers_trains_as_keras():
    real = real_keras()
    x, y = _float((16, 6, 4)), _float((16, 1))

    def network(library):
        layers = library.layers
        return library.Sequential([library.Input(shape=(6, 4)), layers.Dense(5), layers.PReLU(
            alpha_initializer="glorot_uniform", shared_axes=[1]), layers.Permute((2, 1)), layers.ZeroPadding1D((1, 2)),
            layers.Cropping1D((2, 1)), layers.UpSampling1D(2), layers.ELU(0.7), layers.GaussianNoise(0.1, seed=3),
            layers.UnitNormalization(axis=[1, 2]), layers.Identity(), layers.Flatten(), layers.Dense(1)])

    theirs, ours = network(real), network(keras)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    # GaussianNoise perturbs in training, with a different generator in each library: compare without it
    for model in (theirs, ours):
        model.layers[7].stddev = 0.0
    assert_trains_as_keras(real, theirs, ours, x, y, "mse", 0.2, batch_size=4, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- the noise layers


@pytest.mark.parametrize("make", [lambda **k: fl.layers.GaussianNoise(0.5, **k),
                                  lambda **k: fl.layers.GaussianDropout(0.5, **k)], ids=["noise", "dropout"])
def test_noise_layers_pass_inputs_in_inference_and_repeat_with_a_seed(make):
    x = _float((64, 8)) + 3.0
    layer = make(seed=5)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    model = keras.Sequential([keras.Input(shape=(8,)), make(seed=5)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert layer.draws == 2 and not np.array_equal(first, second)  # a new draw at every training call
    again = make(seed=5)
    np.testing.assert_array_equal(again(x, training=True).numpy(), first)
    np.testing.assert_array_equal(again(x, training=True).numpy(), second)
    assert not np.array_equal(make(seed=6)(x, training=True).numpy(), first)
    fl.set_seed(1)
    unseeded = make()(x, training=True).numpy()
    fl.set_seed(1)
    np.testing.assert_array_equal(make()(x, training=True).numpy(), unseeded)


def test_gaussian_noise_adds_noise_of_mean_zero_and_the_given_deviation():
    x = np.full((400, 500), 2.0, np.float32)
    out = fl.layers.GaussianNoise(0.3, seed=0)(x, training=True).numpy()
    noise = (out - x).astype(np.float64)
    assert abs(noise.mean()) < 4 * 0.3 / np.sqrt(noise.size)  # four standard errors
    assert abs(noise.std() - 0.3) < 0.003
    assert abs(np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]) < 0.01  # independent values


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_gaussian_dropout_multiplies_by_noise_of_mean_one_and_keras_deviation(rate):
    x = np.full((400, 500), -1.5, np.float32)
    factors = (fl.layers.GaussianDropout(rate, seed=2)(x, training=True).numpy() / x).astype(np.float64)
    deviation = np.sqrt(rate / (1 - rate))
    assert abs(factors.mean() - 1.0) < 4 * deviation / np.sqrt(factors.size)
    assert abs(factors.std() / deviation - 1.0) < 0.01


def test_a_noise_layer_at_zero_changes_nothing_and_draws_nothing():
    x = _float((3, 4))
    for layer in (fl.layers.GaussianNoise(0.0, seed=1), fl.layers.GaussianDropout(0.0, seed=1)):
        np.testing.assert_array_equal(layer(x, training=True).numpy(), x)
        assert layer.draws == 0


def test_a_resumed_fit_draws_the_noise_the_uninterrupted_one_would_have(tmp_path):
    x, y = _float((8, 5)), _float((8, 1))

    def model():
        fl.set_seed(4)
        m = keras.Sequential([keras.Input(shape=(5,)), keras.layers.GaussianNoise(0.5, seed=9), keras.layers.Dense(1),
                              keras.layers.GaussianDropout(0.3, seed=8)])
        m.compile(keras.optimizers.SGD(0.1), "mse")
        return m

    straight = model()
    straight.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    first = model()
    first.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    first.save(tmp_path / "m.keras")
    resumed = keras.models.load_model(tmp_path / "m.keras")
    assert [resumed.layers[0].draws, resumed.layers[2].draws] == [2, 2]
    resumed.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_noise_and_activation_layers_pass_a_mask_on():
    for layer in (keras.layers.GaussianNoise(0.1), keras.layers.GaussianDropout(0.1), keras.layers.ELU(),
                  keras.layers.PReLU(shared_axes=[1]), keras.layers.UnitNormalization(), keras.layers.Identity()):
        model = keras.Sequential([keras.Input(shape=(None,)), keras.layers.Embedding(5, 3, mask_zero=True), layer,
                                  keras.layers.GlobalAveragePooling1D()])
        tokens = np.array([[1, 2, 0, 0]])
        full = model.predict(tokens, verbose=0)
        # the padding steps are skipped by the pooling only when the mask reached it
        np.testing.assert_allclose(model.predict(tokens[:, :2], verbose=0), full, rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------------- gradients


def _weights(out):
    return fl.tensor(RNG.normal(size=out.shape))


GRADIENT_CASES = [
    (lambda: fl.layers.Permute((3, 1, 2)), (2, 3, 4, 2)),
    (lambda: fl.layers.UpSampling1D(3), (2, 4, 3)),
    (lambda: fl.layers.ZeroPadding1D((2, 1)), (2, 4, 3)),
    (lambda: fl.layers.ZeroPadding1D(1, data_format="channels_first"), (2, 4, 3)),
    (lambda: fl.layers.Cropping1D((1, 2)), (2, 5, 3)),
    (lambda: fl.layers.ELU(0.6), (3, 5)),
    (lambda: fl.layers.UnitNormalization(), (3, 5)),
    (lambda: fl.layers.UnitNormalization(axis=[1, 2]), (2, 3, 4)),
    (lambda: fl.layers.GaussianNoise(0.2, seed=1), (3, 4)),
    (lambda: fl.layers.GaussianDropout(0.3, seed=1), (3, 4)),
]


@pytest.mark.parametrize("make, shape", GRADIENT_CASES,
                         ids=["permute", "upsampling", "padding", "padding-first", "cropping", "elu", "unit",
                              "unit-axes", "noise", "gaussian-dropout"])
def test_gradients_match_central_differences(float64, make, shape):
    layer = make()
    x = RNG.normal(size=shape)
    x[np.abs(x) < 1e-3] = 0.5  # no value at ELU's kink
    weights = _weights(layer(fl.tensor(x), training=False))
    for training in (False, True):
        def run(t, on=training):  # the same noise at every evaluation: a fresh copy of the layer's stream each time
            return type(layer).from_config(layer.get_config())(t, training=on) * weights

        assert fl.gradcheck(run, [x], atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("shared_axes", [None, [1], [1, 2]], ids=["none", "steps", "both"])
def test_prelu_gradients_match_central_differences_for_inputs_and_alpha(float64, shared_axes):
    layer = fl.layers.PReLU(alpha_initializer="glorot_uniform", shared_axes=shared_axes)
    x = RNG.normal(size=(3, 4, 2))
    layer.build_for(x.shape[1:])
    weights = _weights(layer(fl.tensor(x)))
    assert fl.gradcheck(lambda t: layer(t) * weights, [x], atol=1e-7, rtol=1e-6)
    layer.alpha.grad = None
    (layer(fl.tensor(x)) * weights).sum().backward()
    alpha, numeric = layer.alpha.data, np.zeros(layer.alpha.shape)
    for index in np.ndindex(*alpha.shape):  # central differences in each alpha
        sums = []
        for step in (1e-6, -1e-6):
            alpha[index] += step
            sums.append(float((layer(fl.tensor(x)) * weights).sum().numpy()))
            alpha[index] -= step
        numeric[index] = (sums[0] - sums[1]) / 2e-6
    assert np.abs(numeric).max() > 0.1  # the loss depends on alpha
    np.testing.assert_allclose(host(layer.alpha.grad), numeric, rtol=1e-6, atol=1e-7)


def test_unit_normalization_of_a_zero_sample_gives_zeros_and_a_finite_gradient():
    x = fl.tensor(np.zeros((1, 3), np.float32), requires_grad=True)
    out = fl.layers.UnitNormalization()(x)
    out.sum().backward()
    assert not out.numpy().any() and np.isfinite(host(x.grad)).all()
    np.testing.assert_allclose(host(x.grad), 1e12, rtol=1e-6)  # Keras's slope there, 1/ε


def test_values_and_gradients_match_pytorch(float64):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = RNG.normal(size=(3, 5, 4))

    def both(ours, theirs, *extra):
        """fnlearn's output and input gradient for a random weighting, against PyTorch's."""
        t = fl.tensor(x, requires_grad=True)
        out = ours(t)
        g = RNG.normal(size=out.shape)
        (out * fl.tensor(g)).sum().backward()
        tx = torch.tensor(x, requires_grad=True)
        ref = theirs(tx)
        (ref * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(host(t.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)

    both(fl.layers.Permute((2, 1)), lambda t: t.permute(0, 2, 1))
    both(fl.layers.ZeroPadding1D((2, 1)), lambda t: tf.pad(t, (0, 0, 2, 1)))
    both(fl.layers.Cropping1D((1, 2)), lambda t: t[:, 1:-2])
    both(fl.layers.UpSampling1D(2), lambda t: torch.repeat_interleave(t, 2, dim=1))
    both(fl.layers.ELU(0.4), lambda t: tf.elu(t, alpha=0.4))
    both(fl.layers.UnitNormalization(), lambda t: tf.normalize(t, dim=-1))
    both(fl.layers.UnitNormalization(axis=[1, 2]), lambda t: t / t.norm(dim=(1, 2), keepdim=True))

    prelu = fl.layers.PReLU(alpha_initializer="glorot_uniform", shared_axes=[1])
    prelu.build_for(x.shape[1:])
    alpha = host(prelu.alpha.data).reshape(-1).copy()  # one per channel: PyTorch's weight, channels first
    weight = torch.tensor(alpha, requires_grad=True)
    both(prelu, lambda t: tf.prelu(t.permute(0, 2, 1), weight).permute(0, 2, 1))
    np.testing.assert_allclose(host(prelu.alpha.grad).reshape(-1), weight.grad.numpy(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------- mistakes


BAD = [
    (lambda: fl.layers.Permute((1, 3)), ConfigError, "Permute dims must number every axis"),
    (lambda: fl.layers.Permute(2), ConfigError, "got 2"),
    (lambda: fl.layers.Permute((2, 1))(np.ones((2, 3, 4, 5))), ShapeError, "reorders samples of 2 axes"),
    (lambda: fl.layers.UpSampling1D(0), ConfigError, "UpSampling1D size must be a whole number"),
    (lambda: fl.layers.UpSampling1D(1.5), ConfigError, "got 1.5"),
    (lambda: fl.layers.UpSampling1D()(np.ones((2, 3))), ShapeError, "takes sequences of shape"),
    (lambda: fl.layers.ZeroPadding1D(-1), ConfigError, "ZeroPadding1D padding must be an integer ≥ 0"),
    (lambda: fl.layers.ZeroPadding1D((1, 2, 3)), ConfigError, "pair"),
    (lambda: fl.layers.ZeroPadding1D(data_format="channels_middle"), ConfigError, "data_format"),
    (lambda: fl.layers.Cropping1D("1"), ConfigError, "Cropping1D cropping must be"),
    (lambda: fl.layers.Cropping1D((2, 2))(np.ones((1, 4, 2))), ShapeError, "which leaves none"),
    (lambda: fl.layers.GaussianNoise(1.5), ConfigError, r"GaussianNoise stddev must be a number in \[0, 1\]"),
    (lambda: fl.layers.GaussianNoise(-0.1), ConfigError, "got -0.1"),
    (lambda: fl.layers.GaussianNoise(0.1, seed=-3), ConfigError, "seed"),
    (lambda: fl.layers.GaussianDropout(1.0), ConfigError, r"GaussianDropout rate must be a number in \[0, 1\)"),
    (lambda: fl.layers.GaussianDropout("0.2"), ConfigError, "got '0.2'"),
    (lambda: fl.layers.ELU(float("nan")), ConfigError, "ELU alpha must be a finite number"),
    (lambda: fl.layers.ELU(alpha=None), ConfigError, "got None"),
    (lambda: fl.layers.PReLU(shared_axes=[0]), ConfigError, "numbered from 1"),
    (lambda: fl.layers.PReLU(alpha_constraint="non_negative"), ConfigError, "constraint 'non_negative'"),
    (lambda: fl.layers.PReLU(alpha_initializer="no_such_thing"), ConfigError, "no_such_thing"),
    (lambda: fl.layers.PReLU(shared_axes=[3])(np.ones((2, 4, 3))), ShapeError, "shares alpha along axes"),
    (lambda: fl.layers.PReLU().build_for((None, 3)), ShapeError, "leave a size unknown"),
    (lambda: fl.layers.UnitNormalization(axis="last"), ConfigError, "UnitNormalization axis must be an int"),
    (lambda: fl.layers.UnitNormalization(axis=0)(np.ones((2, 3))), ShapeError, "normalises across axis=0"),
    (lambda: fl.layers.UnitNormalization(axis=[1, 3])(np.ones((2, 3, 4))), ShapeError, r"axis=\[1, 3\]"),
    (lambda: fl.layers.Identity(units=3), ConfigError, "unexpected argument"),
]


@pytest.mark.parametrize("action, error, words", BAD, ids=[f"case{i}" for i in range(len(BAD))])
def test_mistakes_are_refused_in_one_sentence(action, error, words):
    with pytest.raises(error, match=words) as caught:
        action()
    message = str(caught.value)
    assert message.endswith(".") and not re.search(r"[.;:]\s+[A-Z]", message), message  # one sentence


def test_a_built_prelu_given_other_samples_refuses_them_and_keeps_its_alpha():
    layer = fl.layers.PReLU(alpha_initializer="glorot_uniform")
    layer(np.ones((2, 4, 3), np.float32))
    alpha = layer.alpha.numpy().copy()
    with pytest.raises(ShapeError, match=r"was built for samples its alpha of shape \(4, 3\) fits"):
        layer(np.ones((2, 5, 3), np.float32))
    np.testing.assert_array_equal(layer.alpha.numpy(), alpha)
    noise = fl.layers.GaussianNoise(0.1, seed=1)
    with pytest.raises(ConfigError):
        noise.__init__(3.0)
    assert noise.stddev == 0.1 and noise.draws == 0  # a refused setting leaves the layer as it was
