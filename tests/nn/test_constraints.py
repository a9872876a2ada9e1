"""Weight constraints: Keras's values, applied after each optimizer update, saved with the model."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import fastpath
from fnlearn import keras as fk
from fnlearn.errors import ConfigError
from fnlearn.nn import constraints as C

CASES = [
    (lambda m: m.MaxNorm(1.0), None),
    (lambda m: m.MaxNorm(0.5, axis=1), None),
    (lambda m: m.MaxNorm(2.0, axis=[0, 1, 2]), (2, 2, 3, 4)),
    (lambda m: m.MinMaxNorm(0.5, 1.5, rate=0.7, axis=0), None),
    (lambda m: m.MinMaxNorm(1.0, 2.0, axis=[0, 1]), (3, 2, 4)),
    (lambda m: m.NonNeg(), None),
    (lambda m: m.UnitNorm(axis=1), None),
    (lambda m: m.UnitNorm(axis=[0, 1, 2]), (2, 2, 3, 4)),
]


@pytest.mark.parametrize("make, shape", CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_are_kerass(make, shape, dtype):
    from real_keras import real_keras

    real = real_keras()
    w = np.random.default_rng(0).normal(size=shape or (5, 4)).astype(dtype) * 2
    ours, theirs = make(C)(w), np.asarray(make(real.constraints)(w))
    assert ours.dtype == w.dtype and ours.shape == w.shape
    # Keras on jax computes in float32 even from float64 arrays: compare at its precision there
    np.testing.assert_allclose(ours, theirs, rtol=1e-6 if dtype == "float32" else 2e-7, atol=1e-7)
    assert make(C)(fl.tensor(w)).numpy().tolist() == ours.tolist()  # on a tensor: a tensor of the same values


def _trained_alike(real, make_layers, x, y, loss, learning_rate):
    real.utils.set_random_seed(0)
    theirs = real.Sequential([real.Input(x.shape[1:]), *make_layers(real)])
    ours = fk.Sequential([fk.Input(x.shape[1:]), *make_layers(fk)])
    ours.set_weights(theirs.get_weights())
    for model, library in ((theirs, real), (ours, fk)):  # plain SGD on unshuffled batches, as Keras's fit
        model.compile(library.optimizers.SGD(learning_rate), loss)
        model.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    return ours


def test_dense_with_max_norm_trains_to_kerass_weights():
    from real_keras import real_keras

    real = real_keras()
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(30, 3)).astype("float32"), rng.normal(size=(30, 2)).astype("float32")
    ours = _trained_alike(real, lambda k: [k.layers.Dense(4, activation="tanh",
                                                          kernel_constraint=k.constraints.MaxNorm(1.0)),
                                           k.layers.Dense(2, bias_constraint="non_neg")], x, y, "mse", 0.5)
    assert np.linalg.norm(ours.layers[0].kernel.numpy(), axis=0).max() <= 1.0 + 1e-6


def test_conv2d_with_non_neg_trains_to_kerass_weights():
    from real_keras import real_keras

    real = real_keras()
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(20, 5, 5, 2)).astype("float32"), rng.normal(size=(20, 1)).astype("float32")
    ours = _trained_alike(real, lambda k: [k.layers.Conv2D(3, 3, kernel_constraint=k.constraints.NonNeg()),
                                           k.layers.Flatten(), k.layers.Dense(1)], x, y, "mse", 0.05)
    assert ours.layers[0].kernel.numpy().min() >= 0.0


def test_the_fast_step_steps_aside_only_for_a_constrained_model():
    def model(constraint):
        return fl.Sequential([fl.layers.Dense(3, input_dim=2, kernel_constraint=constraint), fl.layers.Dense(1)])

    plain, held = model(None), model("unit_norm")
    for m in (plain, held):
        m.compile(optimizer=fl.optim.SGD(learning_rate=0.1), loss="mse")
        m.optimizer.bind(m.parameters())
    assert fastpath.compile_step(plain, "mse", plain.optimizer) is not None
    assert fastpath.compile_step(held, "mse", held.optimizer) is None
    held.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=1, verbose=0)
    np.testing.assert_allclose(np.linalg.norm(held.layers[0].kernel.numpy(), axis=0), 1.0, rtol=1e-5)


def test_optimizer_apply_projects_after_the_update_and_only_what_it_updates():
    w = fl.Parameter(np.array([[3.0], [4.0]]))
    w.constraint = C.MaxNorm(1.0)
    untouched = fl.Parameter(np.array([5.0, -5.0]))
    untouched.constraint = C.NonNeg()
    opt = fk.optimizers.SGD(learning_rate=1.0)
    opt.apply([np.array([[-3.0], [-4.0]]), None], [w, untouched])  # w: (6, 8), norm 10, scaled to 1
    np.testing.assert_allclose(w.numpy(), [[0.6], [0.8]], rtol=1e-6)
    assert untouched.numpy().tolist() == [5.0, -5.0]  # no gradient, no update: no projection either (Keras's rule)
    layer = fk.layers.Layer()
    v = layer.add_weight(shape=(3,), initializer="zeros", constraint=lambda a: np.clip(a, -0.1, 0.1))
    opt.apply_gradients([(np.array([1.0, -1.0, 0.05], dtype="float32"), v)])
    np.testing.assert_allclose(v.numpy(), [-0.1, 0.1, -0.05])


def test_configs_save_and_load_keep_them(tmp_path):
    from real_keras import real_keras

    real = real_keras()
    layer = fk.layers.Dense(2, kernel_constraint=fk.constraints.MinMaxNorm(0.5, 2.0, axis=0))
    keras_form = real.layers.Dense(2, kernel_constraint=real.constraints.MinMaxNorm(0.5, 2.0, axis=0))
    assert layer.get_config()["kernel_constraint"] == keras_form.get_config()["kernel_constraint"]
    assert fk.layers.Dense.from_config(layer.get_config()).kernel_constraint == layer.kernel_constraint
    model = fk.Sequential([fk.Input((4,)), fk.layers.Embedding(10, 3, embeddings_constraint="unit_norm"),
                           fk.layers.LSTM(2, recurrent_constraint=fk.constraints.MaxNorm(3, axis=1)),
                           fk.layers.BatchNormalization(gamma_constraint="non_neg"), fk.layers.Dense(1)])
    model.save(tmp_path / "m.keras")
    loaded = fk.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[0].embeddings.constraint == C.UnitNorm()
    assert loaded.layers[1].recurrent_kernel.constraint == C.MaxNorm(3, axis=1)
    assert loaded.layers[1].kernel.constraint is None and loaded.layers[2].gamma.constraint == C.NonNeg()
    assert C.deserialize(C.serialize(C.MaxNorm(2.5, axis=[0, 1]))) == C.MaxNorm(2.5, axis=[0, 1])


def test_every_layer_keras_gives_them_takes_them():
    made = [fl.layers.Conv1D(2, 3, bias_constraint="non_neg"),
            fl.layers.Conv2DTranspose(2, 3, kernel_constraint="non_neg"),
            fl.layers.SeparableConv2D(2, 3, pointwise_constraint="non_neg"),
            fl.layers.DepthwiseConv2D(3, depthwise_constraint="non_neg"),
            fl.layers.LayerNormalization(beta_constraint="non_neg"),
            fl.layers.GRUCell(2, bias_constraint="non_neg"),
            fl.layers.SimpleRNN(2, kernel_constraint="non_neg"),
            fl.layers.PReLU(alpha_constraint="non_neg"),
            fl.layers.MultiHeadAttention(2, 2, kernel_constraint="non_neg")]
    for layer in made:
        assert C.serialize(C.NonNeg()) in layer.get_config().values(), type(layer).__name__
    attention = made[-1]
    attention(np.ones((1, 3, 4)), np.ones((1, 3, 4)))
    assert all(getattr(attention, f"{p}_kernel").constraint == C.NonNeg() for p in ("query", "key", "value"))
    assert attention.query_bias.constraint is None


@pytest.mark.parametrize("given, message", [
    ("max_nrom", r"constraint 'max_nrom' is not known; did you mean 'max_norm'\?"),
    (3, r"a constraint must be a name .* got int 3; pass one of those, or None"),
    ({"class_name": "Mine", "config": {}}, r"constraint class 'Mine' is not known.*custom_objects"),
    ({"class_name": "MaxNorm", "config": {"max_value": "big"}}, r"MaxNorm got max_value='big'"),
])
def test_bad_constraints_are_one_sentence_before_any_change(given, message):
    with pytest.raises(ConfigError, match=message) as caught:
        fl.layers.Dense(2, kernel_constraint=given)
    assert re.search(r"[.;:]\s+[A-Z]", str(caught.value)) is None and str(caught.value).endswith(".")
    w = fl.Parameter(np.ones(2))
    with pytest.raises(ConfigError, match="must be callable"):
        w.constraint = "non_neg"
    assert w.constraint is None


def test_group_normalization_projects_its_gamma_and_beta_after_each_step():
    fl.set_seed(0)
    norm = fl.layers.GroupNormalization(groups=2, gamma_constraint="non_neg",
                                        beta_constraint=fl.nn.constraints.MaxNorm(0.1))
    model = fl.Sequential([norm, fl.layers.Dense(1)])
    model.compile(fl.optim.SGD(learning_rate=1.0), "mse")
    x = np.random.default_rng(0).normal(size=(16, 4))
    model.fit(x, -10 * x[:, :1], epochs=3, verbose=0)
    assert norm.gamma.numpy().min() >= 0 and np.linalg.norm(norm.beta.numpy()) <= 0.1 + 1e-6
    assert norm.get_config()["gamma_constraint"]["class_name"] == "NonNeg"
