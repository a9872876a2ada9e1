"""Adam's and AdamW's ``amsgrad`` and Adadelta, step by step against PyTorch (float64) and real Keras, through
``fit``, saving and the string names, and their bad settings."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from real_keras import real_keras

import fnlearn as fl
from fnlearn import keras
from fnlearn.errors import ConfigError

RNG = np.random.default_rng(11)
W0 = RNG.normal(size=(3, 4))
# gradients that grow, then shrink by orders of magnitude: AMSGrad's maximum then differs from v
GRADS = [RNG.normal(size=(3, 4)) * scale for scale in (1.0, 0.1, 3.0, 0.01, 0.5, 0.001, 0.05, 2.0)]


def _fnlearn_steps(opt, dtype="float64"):
    w = fl.Parameter(W0.astype(dtype))
    opt.bind([w])
    out = []
    for g in GRADS:
        w.grad = fl.backend.to_device(g.astype(dtype))
        opt.step()
        out.append(w.numpy().copy())
    return out


def _torch_steps(make):
    w = torch.tensor(W0.copy(), requires_grad=True)
    opt = make([w])
    out = []
    for g in GRADS:
        w.grad = torch.tensor(g)
        opt.step()
        out.append(w.detach().numpy().copy())
    return out


def _keras_steps(opt):
    real = real_keras()
    variable = real.Variable(W0.astype("float32"))
    out = []
    for g in GRADS:
        opt.apply_gradients([(real.ops.convert_to_tensor(g.astype("float32")), variable)])
        out.append(np.asarray(variable.numpy()))
    return out


def _assert_steps_close(ours, theirs, rtol, atol):
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("epsilon", [1e-8, 1e-3])
def test_adam_amsgrad_matches_torch_step_by_step(float64, epsilon):
    ours = _fnlearn_steps(keras.optimizers.Adam(0.05, epsilon=epsilon, amsgrad=True))
    theirs = _torch_steps(lambda p: torch.optim.Adam(p, lr=0.05, eps=epsilon, amsgrad=True))
    _assert_steps_close(ours, theirs, rtol=1e-12, atol=1e-14)
    plain = _fnlearn_steps(keras.optimizers.Adam(0.05, epsilon=epsilon))
    assert not np.allclose(plain[-1], ours[-1], rtol=1e-6)  # the variant changes the steps


def test_adamw_amsgrad_matches_torch_step_by_step(float64):
    ours = _fnlearn_steps(keras.optimizers.AdamW(0.05, weight_decay=0.1, amsgrad=True))
    theirs = _torch_steps(lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1, eps=1e-8, amsgrad=True))
    _assert_steps_close(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [
    lambda lib: lib.optimizers.Adam(0.05, epsilon=0.0, amsgrad=True),
    lambda lib: lib.optimizers.AdamW(0.05, weight_decay=0.1, epsilon=0.0, amsgrad=True),
])
def test_amsgrad_matches_keras_step_by_step(make):
    # with ε = 0 the two placements of ε (on √v̂ here and in PyTorch, on √v in Keras) are the same rule
    real = real_keras()
    _assert_steps_close(_fnlearn_steps(make(keras), "float32"), _keras_steps(make(real)), rtol=2e-5, atol=1e-6)


def test_adadelta_matches_keras_with_its_defaults():
    real = real_keras()
    ours = _fnlearn_steps(keras.optimizers.Adadelta(learning_rate=1.0), "float32")
    _assert_steps_close(ours, _keras_steps(real.optimizers.Adadelta(learning_rate=1.0)), rtol=1e-5, atol=1e-6)
    assert abs(ours[-1] - W0).max() > 1e-3  # it moved


@pytest.mark.parametrize("rho, epsilon", [(0.9, 1e-6), (0.5, 1e-3)])
def test_adadelta_matches_torch_step_by_step(float64, rho, epsilon):
    ours = _fnlearn_steps(keras.optimizers.Adadelta(learning_rate=0.7, rho=rho, epsilon=epsilon))
    theirs = _torch_steps(lambda p: torch.optim.Adadelta(p, lr=0.7, rho=rho, eps=epsilon))
    _assert_steps_close(ours, theirs, rtol=1e-12, atol=1e-14)


def test_adadelta_by_name_has_keras_defaults():
    real = real_keras()
    theirs = real.optimizers.get("adadelta")
    ours = fl.optim.get("adadelta")
    assert isinstance(ours, fl.optim.Adadelta)
    assert (ours.learning_rate, ours.rho, ours.epsilon) == pytest.approx(
        (float(theirs.learning_rate), theirs.rho, theirs.epsilon))
    assert keras.optimizers.legacy.Adadelta is keras.optimizers.Adadelta


def _fit_both(make_optimizer, epochs=3):
    real = real_keras()
    x = RNG.normal(size=(16, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32") + 0.1).astype("float32")

    def model(lib):
        return lib.Sequential([lib.Input((3,)), lib.layers.Dense(6, activation="tanh"), lib.layers.Dense(1)])

    theirs, ours = model(real), model(keras)
    ours.set_weights(theirs.get_weights())
    for m, lib in ((theirs, real), (ours, keras)):
        m.compile(make_optimizer(lib), "mse")
        m.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)
    return ours, theirs


@pytest.mark.parametrize("make", [
    lambda lib: lib.optimizers.Adam(0.02, epsilon=0.0, amsgrad=True),
    lambda lib: lib.optimizers.AdamW(0.02, weight_decay=0.05, epsilon=0.0, amsgrad=True),
    lambda lib: lib.optimizers.Adadelta(1.0),
    lambda lib: "adadelta",
])
def test_fit_trains_as_keras(make):
    ours, theirs = _fit_both(make)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=5e-5, atol=2e-6)


def test_settings_and_state_are_saved(tmp_path):
    opt = keras.optimizers.Adam(0.01, amsgrad=True)
    assert opt.get_config()["amsgrad"] is True and "amsgrad" not in keras.optimizers.Adam().get_config()
    again = fl.optim.from_config(opt.get_config())
    assert again.amsgrad and isinstance(again, fl.optim.Adam)
    delta = fl.optim.from_config(keras.optimizers.Adadelta(0.5, rho=0.8).get_config())
    assert (type(delta), delta.learning_rate, delta.rho) == (fl.optim.Adadelta, 0.5, 0.8)
    ours, _ = _fit_both(lambda lib: lib.optimizers.Adam(0.02, amsgrad=True) if lib is keras else "adam", epochs=1)
    slots = ours.optimizer.state_dict()["state"]
    assert all("v_max" in slot for slot in slots)
    path = tmp_path / "m.keras"
    ours.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.optimizer.amsgrad and loaded.optimizer.iterations == ours.optimizer.iterations
    for a, b in zip(loaded.optimizer.state_dict()["state"], slots):
        np.testing.assert_array_equal(a["v_max"], b["v_max"])


@pytest.mark.parametrize("make, words", [
    (lambda: keras.optimizers.Adam(amsgrad="yes"), ("amsgrad='yes'", "True or False")),
    (lambda: fl.optim.AdamW(amsgrad=1), ("amsgrad=1",)),
    (lambda: keras.optimizers.Nadam(amsgrad=True), ("Nadam(amsgrad=True)", "Adam(amsgrad=True)")),
    (lambda: keras.optimizers.RMSprop(amsgrad=True), ("RMSprop(amsgrad=True)",)),
    (lambda: keras.optimizers.Adadelta(rho=1.0), ("rho", "[0, 1)")),
    (lambda: keras.optimizers.Adadelta(epsilon=-1e-7), ("epsilon",)),
    (lambda: keras.optimizers.Adadelta(1.0, momentum=0.9), ("momentum",)),
    (lambda: keras.optimizers.Adadelta(learning_rate=-1.0), ("learning_rate",)),
])
def test_bad_settings_get_one_sentence(make, words):
    with pytest.raises(ConfigError) as caught:
        make()
    assert all(word in str(caught.value) for word in words), str(caught.value)
