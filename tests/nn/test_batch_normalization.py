"""BatchNormalization: Keras's semantics (training against inference, the moving statistics, freezing), the
closed-form gradient against finite differences and PyTorch, models that use it (fit, save, load, summary),
the general training step it needs, and its mistakes."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from real_keras import real_keras

import fnlearn as fl
from fnlearn import fastpath
from fnlearn import functional as F
from fnlearn.errors import ConfigError, ShapeError

BN = fl.layers.BatchNormalization


def _reference(x, gamma, beta, mean, var, eps):
    """γ·(x − μ)/√(σ² + ε) + β per feature of the last axis, in float64 NumPy."""
    gamma, beta, mean, var = (np.asarray(v, dtype=np.float64) for v in (gamma, beta, mean, var))
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _rows(x):
    return x.reshape(-1, x.shape[-1])


# ----------------------------------------------------------------------------- values and the moving statistics


def test_training_normalises_with_the_batch_and_moves_the_statistics_by_keras_rule(float64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 5)) * [1, 2, 3, 4, 5] + [0, -1, 2, 10, 100]
    bn = BN(momentum=0.9, epsilon=1e-3)
    out = bn(x, training=True).numpy()
    mean, var = x.mean(axis=0), x.var(axis=0)  # the biased variance normalises
    np.testing.assert_allclose(out, _reference(x, 1, 0, mean, var, 1e-3), rtol=1e-12, atol=1e-12)
    # Keras: moving = moving·momentum + batch·(1 − momentum), with the biased variance (PyTorch: unbiased)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-12)
    assert not np.allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * x.var(axis=0, ddof=1))


def test_inference_uses_the_moving_statistics_and_changes_nothing(float64):
    bn = BN(epsilon=1e-3)
    bn.build((3,))
    bn.set_weights([np.array([2.0, 1.0, 0.5]), np.array([0.0, 1.0, -1.0]), np.array([1.0, -2.0, 3.0]),
                    np.array([4.0, 0.25, 1.0])])
    x = np.random.default_rng(1).normal(size=(7, 3))
    before = [w.copy() for w in bn.get_weights()]
    out = bn(x, training=False).numpy()
    np.testing.assert_allclose(out, _reference(x, [2.0, 1.0, 0.5], [0.0, 1.0, -1.0], [1.0, -2.0, 3.0],
                                               [4.0, 0.25, 1.0], 1e-3), rtol=1e-12)
    bn.eval()
    with fl.no_grad():
        bn(x)
    for a, b in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_leading_axes_are_normalised_together_per_feature(float64):
    x = np.random.default_rng(2).normal(size=(4, 6, 3)) * 3 + 1
    bn = BN(momentum=0.5)
    out = bn(x, training=True).numpy()
    rows = _rows(x)
    np.testing.assert_allclose(_rows(out), _reference(rows, 1, 0, rows.mean(0), rows.var(0), 1e-3), rtol=1e-12)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * rows.mean(0), rtol=1e-12)
    assert out.shape == x.shape


def test_a_frozen_layer_runs_in_inference_as_in_keras_3():
    bn = BN(trainable=False, input_shape=(2,))
    x = np.array([[1.0, 5.0], [3.0, 9.0]])
    out = bn(x, training=True).numpy()
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-6)  # moving mean 0, variance 1
    assert bn.moving_mean.numpy().tolist() == [0, 0] and bn.trainable_weights == []
    bn.trainable = True  # γ and β train again, the statistics never
    assert [p.requires_grad for p in bn.weights] == [True, True, False, False]
    bn(x, training=True)
    assert bn.moving_mean.numpy().tolist() != [0, 0]


def test_keras_model_calls_are_inference_unless_told_and_fl_sequential_follows_its_mode():
    from fnlearn import keras

    x = np.random.default_rng(3).normal(size=(8, 2)) + 4
    model = keras.Sequential([keras.Input((2,)), keras.layers.BatchNormalization()])
    model(x)
    assert model.layers[0].moving_mean.numpy().tolist() == [0, 0]
    model(x, training=True)
    assert np.all(model.layers[0].moving_mean.numpy() > 0)
    plain = fl.Sequential([BN(input_shape=(2,))])  # PyTorch's rule: a module is in training mode until eval()
    plain(x)
    moved = plain.layers[0].moving_mean.numpy().copy()
    assert np.all(moved > 0)
    plain.eval()
    plain(x)
    np.testing.assert_array_equal(plain.layers[0].moving_mean.numpy(), moved)


def test_center_and_scale_off_leave_out_beta_and_gamma():
    bn = BN(center=False, scale=False, input_shape=(3,))
    assert bn.gamma is None and bn.beta is None and [w.name for w in bn.weights] == ["moving_mean", "moving_variance"]
    only_scale = BN(center=False, input_shape=(3,))
    assert [w.name for w in only_scale.weights] == ["gamma", "moving_mean", "moving_variance"]
    x = np.random.default_rng(4).normal(size=(5, 3))
    np.testing.assert_allclose(bn(x, training=True).numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-5,
                               atol=1e-6)


def test_the_statistics_keep_the_layers_dtype():
    x = np.random.default_rng(5).normal(size=(6, 2))  # float64 data
    bn32 = BN()
    assert bn32(x, training=True).dtype == np.float32
    assert {w.dtype.name for w in bn32.weights} == {"float32"}
    bn64 = BN(dtype="float64")
    bn64(x.astype(np.float32), training=True)
    assert {w.dtype.name for w in bn64.weights} == {"float64"}
    np.testing.assert_allclose(bn64.moving_variance.numpy(), 0.99 + 0.01 * x.astype(np.float32).var(0), rtol=1e-7)


def test_a_training_batch_of_one_sample_outputs_beta_as_keras_and_warns_once():
    bn = BN(input_shape=(3,))
    bn.beta.data[...] = fl.backend.to_device(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    with pytest.warns(RuntimeWarning, match=r"'batch_normalization.*' got a training batch of one sample \(shape "
                                            r"\(1, 3\)\).*outputs beta"):
        out = bn(np.array([[5.0, -1.0, 7.0]]), training=True)
    assert out.numpy().tolist() == [[1.0, 2.0, 3.0]]
    np.testing.assert_allclose(bn.moving_variance.numpy(), [0.99] * 3, rtol=1e-6)  # pulled towards 0, as Keras
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bn(np.array([[5.0, -1.0, 7.0]]), training=True)  # once per layer
        bn(np.array([[5.0, -1.0, 7.0]]), training=False)  # inference: one sample is fine


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False), (False, False)])
def test_the_closed_form_gradient_matches_finite_differences(center, scale):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(6, 4)) * [1.0, 3.0, 0.5, 2.0] + [0.0, 1.0, -2.0, 5.0]
    weights = fl.tensor(rng.normal(size=(6, 4)), dtype="float64")  # so that no gradient is 0 by symmetry
    gamma, beta = rng.normal(size=4) + 1, rng.normal(size=4)

    def batch(t, g, b):
        return (F.batch_norm(t, g if scale else None, b if center else None, 1e-3) * weights).sum()

    def moving(t, g, b):
        return (F.batch_norm(t, g if scale else None, b if center else None, 1e-3, mean=np.full(4, 0.5),
                             variance=np.full(4, 2.0)) * weights).sum()

    for fn in (batch, moving):
        assert fl.gradcheck(fn, [x, gamma, beta], atol=1e-7, rtol=1e-6)


def test_the_layers_gradient_on_leading_axes_matches_finite_differences():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3, 4, 2)) * 2 + 1
    weights = fl.tensor(rng.normal(size=(3, 4, 2)), dtype="float64")
    assert fl.gradcheck(lambda t, g, b: (F.batch_norm(t, g, b, 1e-3) * weights).sum(),
                        [x, rng.normal(size=2), rng.normal(size=2)], atol=1e-7, rtol=1e-6)


def test_a_float32_parameter_gets_a_float32_gradient():
    bn = BN(input_shape=(3,))
    x = fl.tensor(np.random.default_rng(8).normal(size=(4, 3)), requires_grad=True)  # float64 data
    (bn(x, training=True) * fl.tensor(np.arange(12.0).reshape(4, 3))).sum().backward()
    assert bn.gamma.grad.dtype == bn.beta.grad.dtype == np.float32 and x.grad.dtype == np.float64
    assert bn.moving_mean.grad is None and bn.moving_variance.grad is None


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed; the parity checks need it")


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False), (False, False)])
@pytest.mark.parametrize("training", [True, False])
def test_values_and_gradients_match_pytorch_batch_norm(torch, center, scale, training):
    t = torch
    rng = np.random.default_rng(9)
    x = rng.normal(size=(10, 6)) * rng.uniform(0.5, 4, 6) + rng.normal(size=6) * 3
    g_out = rng.normal(size=(10, 6))
    gamma, beta = rng.normal(size=6) + 1, rng.normal(size=6)
    running_mean, running_var = rng.normal(size=6), rng.uniform(0.5, 2, 6)

    ours_x = fl.tensor(x, requires_grad=True, dtype="float64")
    ours_g = fl.tensor(gamma, requires_grad=True, dtype="float64") if scale else None
    ours_b = fl.tensor(beta, requires_grad=True, dtype="float64") if center else None
    stats = {} if training else {"mean": running_mean, "variance": running_var}
    out = F.batch_norm(ours_x, ours_g, ours_b, 1e-3, **stats)
    out.backward(g_out)

    tx = t.tensor(x, requires_grad=True)
    tg = t.tensor(gamma, requires_grad=True) if scale else None
    tb = t.tensor(beta, requires_grad=True) if center else None
    tout = t.nn.functional.batch_norm(tx, t.tensor(running_mean), t.tensor(running_var), tg, tb, training=training,
                                      eps=1e-3)
    tout.backward(t.tensor(g_out))

    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fl.backend.to_numpy(ours_x.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    if scale:
        np.testing.assert_allclose(fl.backend.to_numpy(ours_g.grad), tg.grad.numpy(), rtol=1e-9, atol=1e-12)
    if center:
        np.testing.assert_allclose(fl.backend.to_numpy(ours_b.grad), tb.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_pytorch_batchnorm1d_on_sequences_and_its_momentum_convention(torch, float64):
    t = torch
    rng = np.random.default_rng(10)
    x = rng.normal(size=(5, 7, 4)) * 2 + 3  # (batch, steps, features): torch wants (batch, features, steps)
    ours = BN(momentum=0.9)
    theirs = t.nn.BatchNorm1d(4, eps=1e-3, momentum=0.1, dtype=t.float64)
    tx = t.tensor(x.transpose(0, 2, 1), requires_grad=True)
    tout = theirs(tx)
    out = ours(x, training=True)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy().transpose(0, 2, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.moving_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-12)
    # PyTorch keeps the unbiased variance, Keras (and fnlearn) the biased one
    n = 5 * 7
    np.testing.assert_allclose((ours.moving_variance.numpy() - 0.9) * n / (n - 1),
                               theirs.running_var.numpy() - 0.9, rtol=1e-10)
    g = rng.normal(size=x.shape)
    out.backward(g)
    tout.backward(t.tensor(g.transpose(0, 2, 1)))
    np.testing.assert_allclose(fl.backend.to_numpy(ours.gamma.grad), theirs.weight.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(fl.backend.to_numpy(ours.beta.grad), theirs.bias.grad.numpy(), rtol=1e-9)


# ----------------------------------------------------------------------------- in a model


def _classifier(keras_module, units=64):
    layers = keras_module.layers
    return keras_module.Sequential([keras_module.Input((20,)), layers.Dense(units), layers.BatchNormalization(),
                                    layers.Activation("relu"), layers.Dense(1, activation="sigmoid")])


def _data(n=81, seed=11):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(n, 20)) * 2 + 0.5).astype("float32")
    return x, (x[:, 0] + 0.3 * x[:, 1] > 0.5).astype("float32")


def test_a_keras_program_with_it_runs_and_reports_keras_counts(tmp_path):
    from fnlearn import keras

    fl.set_seed(0)
    model = _classifier(keras)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    x, y = _data(200)
    history = model.fit(x, y, epochs=10, batch_size=32, validation_split=0.2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(x, y, verbose=0)[1] > 0.8
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    assert "Total params: 1,665 (6.50 KB)" in lines and "Trainable params: 1,537 (6.00 KB)" in lines
    assert "Non-trainable params: 128 (512.00 B)" in lines
    assert any("batch_normalization" in line and "(None, 64)" in line and line.endswith("256") for line in lines)
    bn = model.layers[1]
    assert [w.name for w in model.weights] == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance",
                                               "kernel", "bias"]
    assert [w.shape for w in bn.get_weights()] == [(64,)] * 4
    config = bn.get_config()
    assert config["momentum"] == 0.99 and config["epsilon"] == 0.001 and config["center"] and config["scale"]
    assert config["gamma_initializer"] == "ones" and config["moving_variance_initializer"] == "ones"
    again = keras.layers.BatchNormalization(**config)
    assert again.get_config() == config
    weights = model.get_weights()
    twin = _classifier(keras)
    twin.set_weights(weights)
    np.testing.assert_array_equal(twin.predict(x, verbose=0), model.predict(x, verbose=0))


def test_evaluate_predict_and_validation_leave_the_moving_statistics_alone():
    from fnlearn import keras

    fl.set_seed(1)
    model = _classifier(keras, units=8)
    model.compile("sgd", "binary_crossentropy")
    x, y = _data(64)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    bn = model.layers[1]
    stats = [bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()]
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    model(x)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), stats[0])
    np.testing.assert_array_equal(bn.moving_variance.numpy(), stats[1])
    # the validation batches at the end of an epoch are inference too: the twins end equal
    twins = [_classifier(keras, units=8) for _ in range(2)]
    for twin, validation in zip(twins, (None, (x, y))):
        twin.set_weights(model.get_weights())
        twin.compile("sgd", "binary_crossentropy")
        twin.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, validation_data=validation)
    for a, b in zip(*(twin.get_weights() for twin in twins)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(twins[0].layers[1].moving_mean.numpy(), stats[0])


def test_a_frozen_layer_in_fit_changes_neither_its_weights_nor_its_statistics():
    from fnlearn import keras

    fl.set_seed(3)
    model = _classifier(keras, units=8)
    x, y = _data(64)
    model.layers[1].trainable = False
    model.compile("adam", "binary_crossentropy")
    before = model.layers[1].get_weights()
    kernel = model.layers[0].kernel.numpy().copy()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(model.layers[1].get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(model.layers[0].kernel.numpy(), kernel)


def test_keras_models_with_it_take_the_written_out_step_and_predict_path():
    """(tests/test_fastpath.py checks that those compute what the general step computes)"""
    from fnlearn import keras

    model = _classifier(keras, units=4)
    model.compile("sgd", "binary_crossentropy")
    norm = next(layer for layer in model.layers if isinstance(layer, BN))
    assert fastpath.dense_stack(model, inference=True).norms == {(0, True): norm}
    assert fastpath.compile_step(model, model.loss, model.optimizer, (20,)).norms == {(0, True): norm}


def test_a_step_with_a_non_finite_loss_leaves_the_moving_statistics_of_the_last_finite_step():
    model = fl.Sequential([fl.layers.Dense(1, input_dim=1, kernel_initializer="ones"), BN(), fl.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.array([[1.0], [2.0], [3e38], [3e38]], dtype=np.float32)  # the second batch's mean overflows: NaN
    with pytest.warns(RuntimeWarning, match="loss became nan in epoch 1, batch 2"):
        model.fit(x, np.zeros(4), batch_size=2, epochs=1, shuffle=False, verbose=0)
    bn = model.layers[1]  # moved by the first batch (1, 2) only
    np.testing.assert_allclose(bn.moving_mean.numpy(), [0.01 * 1.5], rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), [0.99 + 0.01 * 0.25], rtol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras's own get_weights on NumPy 2
def test_fit_matches_keras_for_one_epoch_and_the_loaded_model_predicts_as_keras(tmp_path, monkeypatch):
    real = real_keras()
    from fnlearn import keras

    real.utils.set_random_seed(0)
    theirs = _classifier(real, units=16)
    ours = _classifier(keras, units=16)
    ours.set_weights(theirs.get_weights())
    # SGD with momentum: Keras's Adam puts its ε elsewhere than PyTorch's (and fnlearn's)
    theirs.compile(real.optimizers.SGD(0.05, momentum=0.9), "binary_crossentropy")
    ours.compile(keras.optimizers.SGD(0.05, momentum=0.9), "binary_crossentropy")
    x, y = _data(81)  # batches of 16: the last one holds a single sample, as Keras computes it
    theirs_history = theirs.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    with pytest.warns(RuntimeWarning, match="one sample"):
        ours_history = ours.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours_history.history["loss"], theirs_history.history["loss"], rtol=1e-5)
    names = [w.path.split("/")[-1] for w in theirs.weights]
    assert names == [w.name for w in ours.weights]
    for name, a, b in zip(names, ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    monkeypatch.chdir(tmp_path)
    ours.save("model.keras")
    loaded = keras.models.load_model("model.keras")
    # batches of 27, one shape: Keras compiles its step once per batch shape
    np.testing.assert_allclose(loaded.predict(x, batch_size=27, verbose=0), theirs.predict(x, batch_size=27, verbose=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loaded.evaluate(x, y, batch_size=27, verbose=0),
                               theirs.evaluate(x, y, batch_size=27, verbose=0), rtol=1e-5)


_LOAD_ELSEWHERE = """
import sys
import numpy as np
import fnlearn as fl
model = fl.load_model(sys.argv[1])
np.save(sys.argv[2], model.predict(np.load(sys.argv[3])))
"""


def test_a_model_file_round_trips_the_moving_statistics_and_loads_in_another_process(tmp_path):
    fl.set_seed(2)
    model = fl.Sequential([fl.layers.Dense(6, input_dim=3), BN(momentum=0.8, epsilon=1e-2, center=False),
                           fl.layers.Activation("relu"), fl.layers.Dense(2), BN(scale=False),
                           fl.layers.Dense(1)])
    model.compile("adam", "mse")
    x = np.random.default_rng(12).normal(size=(40, 3)).astype("float32")
    model.fit(x, x[:, :1] * 2, epochs=2, batch_size=8, verbose=0)
    saved = tmp_path / "m.fnl"
    model.save(saved)
    loaded = fl.load_model(saved)
    assert loaded.layers[1].get_config() == model.layers[1].get_config()
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert [w.name for w in loaded.non_trainable_weights] == ["moving_mean", "moving_variance"] * 2
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    loaded.fit(x, x[:, :1] * 2, epochs=1, batch_size=8, verbose=0)  # the optimizer state came back with it
    # another folder and a fresh interpreter: the file alone holds the model
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "copy.fnl").write_bytes(saved.read_bytes())
    np.save(elsewhere / "x.npy", x)
    (elsewhere / "load.py").write_text(_LOAD_ELSEWHERE)
    subprocess.run([sys.executable, "load.py", "copy.fnl", "out.npy", "x.npy"], cwd=elsewhere, check=True,
                   timeout=120, env={**os.environ, "FNLEARN_TEST_BACKEND": "numpy"})
    # the same numbers, to rounding where the model here ran on a GPU and the copy on the CPU
    np.testing.assert_allclose(np.load(elsewhere / "out.npy"), model.predict(x), rtol=1e-5, atol=1e-6)
    weights_only = tmp_path / "w.fnl"
    model.save_weights(weights_only)
    lazy = fl.Sequential([fl.layers.Dense(6), BN(momentum=0.8, epsilon=1e-2, center=False),
                          fl.layers.Activation("relu"), fl.layers.Dense(2), BN(scale=False), fl.layers.Dense(1)])
    lazy.load_weights(weights_only)  # built from the file's shapes
    np.testing.assert_array_equal(lazy.predict(x), model.predict(x))


def test_gamma_and_beta_regularizers_add_to_the_loss():
    bn = BN(gamma_regularizer=fl.regularizers.L2(0.1), beta_regularizer="l1", input_shape=(2,))
    model = fl.Sequential([bn])
    model.compile("sgd", "mse")
    bn.beta.data[...] = fl.backend.to_device(np.array([1.0, -2.0], dtype=np.float32))
    x = np.ones((4, 2))
    plain = float(np.mean((model.predict(x) - 0) ** 2))
    assert model.evaluate(x, np.zeros((4, 2)), verbose=0) == pytest.approx(plain + 0.1 * 2 + 0.01 * 3, rel=1e-6)
    assert bn.get_config()["gamma_regularizer"] == fl.regularizers.serialize(fl.regularizers.L2(0.1))


# ----------------------------------------------------------------------------- mistakes


@pytest.mark.parametrize("options, words", [
    (dict(momentum=1.5), "momentum must be a number in [0, 1]"),
    (dict(momentum=-0.1), "momentum must be a number in [0, 1]"),
    (dict(momentum=float("nan")), "momentum"),
    (dict(momentum=True), "momentum"),
    (dict(epsilon=0), "epsilon must be a number > 0"),
    (dict(epsilon=-1e-3), "epsilon"),
    (dict(epsilon=float("inf")), "epsilon"),
    (dict(axis=0), "the batch axis"),
    (dict(axis=1.0), "not an axis"),
    (dict(center="yes"), "center must be True or False"),
    (dict(renorm=True), "renorm=True, which fnlearn does not have"),
    (dict(synchronized=True), "synchronized"),
    (dict(momentun=0.9), "unexpected argument(s) momentun"),
])
def test_bad_settings_are_one_sentence(options, words):
    with pytest.raises(ConfigError) as info:
        BN(**options)
    assert words in str(info.value) and str(info.value).count(". ") == 0


def test_keras_defaults_for_what_fnlearn_leaves_out_are_accepted():
    BN(renorm=False, synchronized=False, beta_constraint=None, gamma_constraint=None, renorm_momentum=0.99)


def test_wrong_features_after_building_are_refused_before_anything_changes():
    bn = BN(name="bn", input_shape=(3,))
    before = [w.copy() for w in bn.get_weights()]
    with pytest.raises(ShapeError, match=r"layer 'bn' expects inputs with 3 features \(shape \(batch, 3\)\), but got "
                                         r"shape \(4, 5\)"):
        bn(np.ones((4, 5)), training=True)
    with pytest.raises(ShapeError, match=r"expects a batch of shape \(batch, features\), got shape \(3,\)"):
        bn(np.ones(3), training=True)
    for a, b in zip(bn.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    first, second = BN(name="first"), BN(name="second")
    for layer in (first, second):
        layer(np.ones((2, 3)), training=False)  # built for 3 features by data, no input_shape declared
    cases = [(fl.Sequential([first, fl.layers.Dense(1)]), np.ones((4, 5)),
              "layer 'first' expects 3 features per sample, but x has 5 features per sample"),
             (fl.Sequential([fl.layers.Dense(5, input_dim=4), second]), np.ones((4, 4)),
              "layer 'second' expects 3 features per sample, but the layer before it outputs 5")]
    for model, x, message in cases:
        model.compile("sgd", "mse")
        weights = [w.copy() for w in model.get_weights()]
        with pytest.raises(ShapeError, match=message):
            model.fit(x, np.ones(4), verbose=0)
        with pytest.raises(ShapeError, match=message):
            model.predict(x)
        for a, b in zip(model.get_weights(), weights):
            np.testing.assert_array_equal(a, b)


def test_an_axis_other_than_the_features_is_refused_when_the_shape_is_known():
    with pytest.raises(ConfigError, match=r"axis=1 of inputs of shape \(batch, 4, 3\) is another axis"):
        BN(axis=1)(np.ones((2, 4, 3)), training=True)
    assert BN(axis=1)(np.ones((2, 3)), training=True).shape == (2, 3)  # the last axis of (batch, features)
    assert BN(axis=2, input_shape=(4, 3)).input_features == 3
