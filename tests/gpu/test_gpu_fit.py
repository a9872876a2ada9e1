"""fit's capture argument: validation on the CPU, and the captured epoch loop driven with the stand-in."""

from __future__ import annotations

import numpy as np
import pytest
from test_gpu_capture import FakeCuda

import fnlearn as fl
from fnlearn import backend, gpu
from fnlearn.errors import ConfigError


def _model(seed=0):
    fl.set_seed(seed)
    model = fl.Sequential([fl.layers.Dense(6, activation="relu", input_dim=4),
                           fl.layers.Dense(3, activation="softmax")])
    model.compile(fl.optim.SGD(learning_rate=0.1, momentum=0.5), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data(n=37):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, n)


@pytest.mark.parametrize("bad", ["yes", 1, 0.0])
def test_capture_must_be_a_bool_or_none(bad):
    model = _model()
    x, y = _data()
    before = [p.numpy().copy() for p in model.parameters()]
    with pytest.raises(ConfigError, match="capture must be True, False or None"):
        model.fit(x, y, capture=bad, verbose=0)
    assert all(np.array_equal(p.numpy(), b) for p, b in zip(model.parameters(), before))


def test_capture_true_on_numpy_says_to_switch_backend():
    fl.set_backend("numpy")
    with pytest.raises(ConfigError, match="needs the cupy backend"):
        _model().fit(*_data(), capture=True, verbose=0)


def test_default_on_numpy_trains_uncaptured(float64):
    fl.set_backend("numpy")
    a, b = _model(), _model()
    ha = a.fit(*_data(), batch_size=8, epochs=2, verbose=0, shuffle=False)
    hb = b.fit(*_data(), batch_size=8, epochs=2, verbose=0, shuffle=False, capture=False)
    assert ha.history == hb.history


@pytest.fixture
def fake_cupy(monkeypatch):
    """Make fit believe it runs on CuPy while the arrays stay NumPy and the CUDA calls are recorded."""
    made = []
    fl.set_backend("numpy")  # NumPy arrays, whatever backend the suite runs on

    class Step(gpu.CapturedStep):
        def __init__(self, *args, **kwargs):
            cuda = FakeCuda()
            super().__init__(*args, xp=np, cuda=cuda, **kwargs)
            cuda.step = self
            made.append(self)

    monkeypatch.setattr(backend, "backend_name", lambda: "cupy")
    monkeypatch.setattr(gpu, "CapturedStep", Step)
    return made


def test_captured_fit_matches_uncaptured_fit(float64, fake_cupy):
    x, y = _data()
    ref = _model()
    h_ref = ref.fit(x, y, batch_size=8, epochs=3, verbose=0, capture=False)
    assert not fake_cupy
    model = _model()
    h = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    (step,) = fake_cupy
    assert step.cuda.calls.count("launch") == 3 * 4 - 1  # 4 full batches of 8 per epoch, one recorded
    assert step.plan.lr_buffer is None  # released after fit
    np.testing.assert_allclose(h.history["loss"], h_ref.history["loss"], rtol=1e-10)
    np.testing.assert_allclose(h.history["accuracy"], h_ref.history["accuracy"], rtol=1e-12)
    for a, b in zip(ref.parameters(), model.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-10)
    assert model.optimizer.iterations == ref.optimizer.iterations == 15


def test_captured_fit_draws_the_next_order_while_the_device_runs_the_epoch(float64, fake_cupy, monkeypatch):
    """The host would only wait for the epoch's steps at finish_epoch's read: the next epoch's order is drawn
    before it, once per epoch, none after the last epoch, and the epochs see the orders an uncaptured fit
    sees (the losses agree)."""
    events = []
    draw = fl.data.permutation

    def logged_permutation(n, rng=None):
        events.append("draw")
        return draw(n, rng)

    monkeypatch.setattr(fl.data, "permutation", logged_permutation)
    x, y = _data()
    h_ref = _model().fit(x, y, batch_size=8, epochs=3, verbose=0, capture=False)
    assert events == ["draw"] * 3
    events.clear()
    model = _model()
    finish = gpu.CapturedStep.finish_epoch
    monkeypatch.setattr(gpu.CapturedStep, "finish_epoch", lambda self: (events.append("finish"), finish(self))[1])
    h = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert fake_cupy
    assert events == ["draw", "draw", "finish", "draw", "finish", "finish"]
    np.testing.assert_allclose(h.history["loss"], h_ref.history["loss"], rtol=1e-10)


def test_capture_is_skipped_for_batch_callbacks_and_refused_when_insisted(float64, fake_cupy):
    class Batches(fl.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    x, y = _data()
    _model().fit(x, y, batch_size=8, verbose=0, callbacks=[Batches()])
    assert not fake_cupy
    with pytest.raises(ConfigError, match="a callback reads every batch"):
        _model().fit(x, y, batch_size=8, verbose=0, callbacks=[Batches()], capture=True)
    model = _model()
    model.compile(fl.optim.Adam(global_clipnorm=1.0), "sparse_categorical_crossentropy")
    with pytest.raises(ConfigError, match="norm on the host"):
        model.fit(x, y, verbose=0, capture=True)


def test_stateful_metrics_train_uncaptured_and_capture_true_says_why(float64, fake_cupy):
    x, y = _data()
    model = _model()
    model.compile(fl.optim.SGD(learning_rate=0.1), "sparse_categorical_crossentropy",
                  metrics=["accuracy", fl.metrics.Recall(class_id=1, name="recall_1")])
    before = model.get_weights()
    with pytest.raises(ConfigError, match=r"^capture=True cannot be used for this fit: metric 'recall_1' keeps state "
                                          r"across batches \(update_state / result\), which fit updates on the host; "
                                          r"pass capture=False\.$"):
        model.fit(x, y, batch_size=8, verbose=0, capture=True)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0).history
    assert not fake_cupy and len(history["recall_1"]) == 2
    one_hot = np.eye(3)[y]
    expected = fl.metrics.Recall(class_id=1)(one_hot, model.predict(x))
    assert model.evaluate(x, y, return_dict=True)["recall_1"] == pytest.approx(expected)


def test_captured_fit_stops_on_a_non_finite_loss(float64, fake_cupy):
    x, y = _data(40)
    x[20] = np.nan  # the third batch of 8 has a NaN loss
    ref = _model()
    with np.errstate(all="ignore"):
        ref.fit(x[:16], y[:16], batch_size=8, verbose=0, shuffle=False, capture=False)
        model = _model()
        with pytest.warns(RuntimeWarning):
            h = model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False, allow_nonfinite=True)
    assert len(h.history["loss"]) == 1 and not np.isfinite(h.history["loss"][0])
    for a, b in zip(ref.parameters(), model.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-12)  # device mode shifts softmax per row
    assert model.optimizer.iterations == 2


@pytest.fixture
def recorded_steps(monkeypatch):
    """The CapturedSteps fit makes, with CuPy's own CUDA namespace (no stand-in for it)."""
    made = []

    class Step(gpu.CapturedStep):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(gpu, "CapturedStep", Step)
    return made


@pytest.mark.parametrize("shuffle", [True, False], ids=["shuffled", "in-order"])
@pytest.mark.parametrize("make_opt", [lambda: fl.optim.SGD(learning_rate=0.1, momentum=0.5),
                                      lambda: fl.optim.Adam(learning_rate=0.01)], ids=["momentum", "adam"])
def test_fit_on_cupy_records_the_step_once_and_replays_it(float64, cupy_backend, recorded_steps, make_opt,
                                                          shuffle):
    """On the cupy backend fit captures by default: the first full batch of 8 is recorded, every later one
    replayed (a read back to the host while recording would raise), and training gives what uncaptured
    training gives."""
    x, y = _data(37)  # 4 full batches of 8 and one of 5 per epoch
    plain = _model()
    plain.compile(make_opt(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h_plain = plain.fit(x, y, batch_size=8, epochs=3, verbose=0, capture=False, shuffle=shuffle)
    assert not recorded_steps
    model = _model()
    model.compile(make_opt(), "sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=shuffle)
    (step,) = recorded_steps
    assert step.replays == 3 * 4 - 1
    np.testing.assert_allclose(h.history["loss"], h_plain.history["loss"], rtol=1e-10)
    np.testing.assert_allclose(h.history["accuracy"], h_plain.history["accuracy"], rtol=1e-12)
    for a, b in zip(plain.parameters(), model.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-10, atol=1e-12)
    assert model.optimizer.iterations == plain.optimizer.iterations == 15
