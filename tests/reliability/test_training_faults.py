"""Training faults that the rest of the suite does not already cover.

Already tested elsewhere (see docs/errors.md): a NaN/inf loss stops with the last finite weights and
suggests a smaller learning rate (tests/test_model.py::test_a_diverging_run_stops_with_the_last_finite_weights),
Ctrl-C keeps the last completed step (tests/test_model.py::test_ctrl_c_keeps_the_last_completed_step_and_returns_
the_history), ModelCheckpoint + fit(initial_epoch=...) resumes bitwise in float64
(tests/test_io.py::test_model_checkpoint_then_initial_epoch_resumes_exactly).
"""

from __future__ import annotations

import os
import re
import warnings

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import model as model_module


def linear_problem(n: int = 64):
    x = np.random.default_rng(0).normal(size=(n, 3))
    return x, x.sum(axis=1, keepdims=True)


def linear(general: bool, use_bias: bool = True) -> fl.Sequential:
    layers = [fl.layers.Dense(1, input_dim=3, use_bias=use_bias)]
    if general:  # Dropout(0) changes nothing but sends fit down the autodiff path
        layers.append(fl.layers.Dropout(0.0))
    return fl.Sequential(layers)


def caught(fn) -> list[str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("general", [False, True], ids=["fast", "general"])
def test_exploding_gradients_warn_once_with_the_norm(general):
    """Full-batch SGD just above the stable rate: the loss grows slowly, stays finite, and fit says so."""
    fl.set_seed(0)
    x, y = linear_problem()
    model = linear(general)
    model.compile(fl.optim.SGD(learning_rate=1.2), "mse")
    norms = []
    record = fl.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: norms.append(np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=20, batch_size=64, shuffle=False, verbose=0, callbacks=[record])
    seen = [w for w in seen if issubclass(w.category, RuntimeWarning)]
    assert len(seen) == 1, [str(w.message) for w in seen]
    assert seen[0].filename == __file__  # it points at the fit call, not inside fnlearn or above the caller
    message = str(seen[0].message)
    assert "gradient norm" in message and "smaller learning rate" in message and "1.2" in message
    reported = float(re.search(r"gradient norm is ([0-9.e+]+) at the end of epoch (\d+)", message).group(1))
    epoch = int(re.search(r"end of epoch (\d+)", message).group(1))
    assert np.isclose(reported, norms[epoch - 1], rtol=1e-2)
    # the first epoch whose norm crossed the rule is the one reported
    first = norms[0]
    crossed = [i for i, n in enumerate(norms)
               if n > model_module.GRADIENT_WARNING_GROWTH * first and n > model_module.GRADIENT_GROWTH_FLOOR]
    assert crossed[0] == epoch - 1
    assert np.isfinite(model.evaluate(x, y))  # nothing overflowed yet: the warning came early


def test_large_but_steady_gradients_do_not_warn():
    """Unscaled inputs (values in the tens of thousands) with Adam: huge gradients from the first step, but
    training is fine. Growth, not size, is the sign of divergence, so fit stays quiet."""
    fl.set_seed(0)
    x, y = linear_problem()
    model = linear(False)
    model.compile(fl.optim.Adam(learning_rate=0.01), "mse")
    norms = []
    record = fl.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: norms.append(np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))))
    history = None

    def train():
        nonlocal history
        history = model.fit(x * 3e4, y * 3e4, epochs=5, batch_size=16, verbose=0, callbacks=[record])

    assert caught(train) == []
    assert min(norms) > 1e4 and history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("general", [False, True], ids=["fast", "general"])
def test_healthy_training_never_warns(general):
    fl.set_seed(0)
    x, y = linear_problem()
    model = linear(general)
    model.compile(fl.optim.SGD(learning_rate=0.5), "mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 1e-6


def test_growth_from_tiny_gradients_stays_quiet_under_the_floor():
    """The same slow divergence on data scaled by 0.01 (gradients 10^4 times smaller): the norm grows more
    than 100-fold but stays below GRADIENT_GROWTH_FLOOR, so a run leaving a flat start is no false alarm."""
    fl.set_seed(0)
    x, y = linear_problem()
    model = linear(False, use_bias=False)  # a bias would see the scale once, not twice
    model.compile(fl.optim.SGD(learning_rate=1.2e4), "mse")
    norms = []
    record = fl.callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: norms.append(np.sqrt(sum(float((p.grad ** 2).sum()) for p in model.parameters()))))
    messages = caught(lambda: model.fit(x * 0.01, y * 0.01, epochs=12, batch_size=64, shuffle=False, verbose=0,
                                        callbacks=[record]))
    assert max(norms) > model_module.GRADIENT_WARNING_GROWTH * norms[0]
    assert max(norms) < model_module.GRADIENT_GROWTH_FLOOR
    assert messages == []


def test_a_loss_that_jumps_to_nan_gets_only_the_nan_message():
    fl.set_seed(0)
    x, y = linear_problem()
    model = linear(False)
    model.compile(fl.optim.SGD(learning_rate=1e30), "mse")
    messages = caught(lambda: model.fit(x, y, epochs=5, batch_size=8, verbose=0))
    assert len(messages) == 1 and "the loss became" in messages[0]


def test_disk_full_during_a_checkpoint_keeps_the_previous_checkpoint_and_the_trained_weights(tmp_path, monkeypatch):
    """The disk fills up at the third epoch's save: fit stops with the OSError, the file of epoch 2 is whole
    and loadable, no temporary file is left, and the model in memory holds the third epoch's weights."""
    fl.set_seed(0)
    x, y = linear_problem()
    model = linear(False)
    model.compile(fl.optim.Adam(learning_rate=0.01), "mse")
    path = tmp_path / "last.fnl"
    after_epoch = []
    real_replace = os.replace

    def replace(src, dst):
        if len(after_epoch) >= 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    keep = fl.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: after_epoch.append(model.get_weights()))
    with pytest.raises(OSError, match="No space"):
        model.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[keep, fl.callbacks.ModelCheckpoint(str(path))])
    monkeypatch.undo()
    assert len(after_epoch) == 3
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), after_epoch[2]))
    saved = fl.load_model(path)
    assert all(np.array_equal(a, b) for a, b in zip(saved.get_weights(), after_epoch[1]))
    assert saved.optimizer.iterations == 2 * 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.fnl"]
