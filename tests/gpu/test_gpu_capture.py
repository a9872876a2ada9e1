"""CapturedStep's logic on NumPy, with a stand-in for ``cupy.cuda`` that behaves like stream capture.

The stand-in records every call. While a stream is capturing, the Python work still runs on NumPy,
so the stand-in snapshots the arrays a real capture would leave untouched and restores them at
``end_capture``; the returned graph's ``launch`` re-runs the recorded body, reading the static
buffers — exactly what a replayed CUDA graph does. The tests compare against the plain fast step.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import fastpath, gpu
from fnlearn.errors import ConfigError


@pytest.fixture(autouse=True)
def _on_numpy():
    """These tests drive CapturedStep with NumPy arrays and a fake ``cupy.cuda``, also where the whole suite runs on
    CuPy (tests/gpu/test_gpu_fit.py runs the real capture on the cupy backend)."""
    fl.set_backend("numpy")


class FakeEvent:
    def __init__(self, disable_timing: bool = False) -> None:
        self.disable_timing = disable_timing


class FakeGraph:
    def __init__(self, cuda: FakeCuda) -> None:
        self.cuda = cuda

    def launch(self, stream: FakeStream) -> None:
        self.cuda.calls.append("launch")
        step = self.cuda.step
        opt = step.plan.optimizer
        iterations = opt.iterations
        # a real graph runs no Python: whatever the step read on the host is frozen at its recording value
        opt.iterations = self.cuda.recorded_iterations
        step.pred_buf[...] = step._graph_body()  # a graph writes its output where the recording put it
        opt.iterations = iterations


class FakeStream:
    def __init__(self, cuda: FakeCuda, non_blocking: bool = False) -> None:
        self.cuda = cuda
        self.non_blocking = non_blocking

    def __enter__(self) -> FakeStream:
        self.cuda.calls.append("enter")
        return self

    def __exit__(self, *exc: object) -> None:
        self.cuda.calls.append("exit")

    def record(self, event: FakeEvent | None = None) -> FakeEvent:
        self.cuda.events.add(id(event))
        return event or FakeEvent()

    def wait_event(self, event: FakeEvent) -> None:
        self.cuda.calls.append("wait")

    def begin_capture(self) -> None:
        self.cuda.calls.append("begin_capture")
        step = self.cuda.step
        self.cuda.recorded_iterations = step.plan.optimizer.iterations
        arrays = [step.plan.flat_param, *step.plan.flat_state.values(), step.loss_sum, step.applied, step.gate,
                  step.grad_buf, *step.metric_sums.values()]
        self.cuda.saved = [(a, a.copy()) for a in arrays]

    def end_capture(self) -> FakeGraph:
        self.cuda.calls.append("end_capture")
        for target, saved in self.cuda.saved:  # recording executes nothing
            target[...] = saved
        return FakeGraph(self.cuda)


class FakePool:
    def malloc(self, size: int) -> None:
        raise AssertionError("not called on NumPy")


class FakeCuda:
    """Just enough of ``cupy.cuda`` for CapturedStep."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.step: gpu.CapturedStep | None = None
        self.saved: list = []
        self.allocator_depth = 0
        self.recorded_iterations = 0
        self.streams = 0
        self.events: set[int] = set()

    def Stream(self, non_blocking: bool = False) -> FakeStream:  # noqa: N802  (cupy's name)
        self.streams += 1
        return FakeStream(self, non_blocking)

    def Event(self, disable_timing: bool = False) -> FakeEvent:  # noqa: N802
        return FakeEvent(disable_timing)

    def Device(self):  # noqa: N802
        return type("Device", (), {"id": 0})()

    def MemoryPool(self) -> FakePool:  # noqa: N802
        return FakePool()

    def get_current_stream(self) -> FakeStream:
        return FakeStream(self)

    def using_allocator(self, malloc):
        cuda = self

        class _Ctx:
            def __enter__(self):
                cuda.calls.append("pool_on")
                cuda.allocator_depth += 1

            def __exit__(self, *exc):
                cuda.calls.append("pool_off")
                cuda.allocator_depth -= 1
        return _Ctx()


def _model(seed: int = 0, out: str = "softmax", units: int = 3):
    fl.set_seed(seed)
    return fl.Sequential([fl.layers.Dense(6, activation="relu", input_dim=4),
                          fl.layers.Dense(units, activation=out)])


def _captured(model, opt, loss, batch_size, x_shape=(4,), y_shape=(), y_dtype=None, metrics=None, insist=False):
    opt.bind(model)
    plan = fastpath.compile_step(model, loss, opt)
    cuda = FakeCuda()
    step = gpu.CapturedStep(plan, batch_size, x_shape, y_shape, y_dtype=y_dtype, metrics=metrics,
                            xp=np, cuda=cuda, insist=insist)
    cuda.step = step
    return step, cuda


def _data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)), rng.integers(0, 3, n)


def _plain_epochs(model, opt, loss, x, y, batch_size, epochs):
    opt.bind(model)
    plan = fastpath.compile_step(model, loss, opt)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for lo in range(0, len(x), batch_size):
            value, _ = plan(x[lo:lo + batch_size], y[lo:lo + batch_size])
            total += value * len(x[lo:lo + batch_size])
        losses.append(total / len(x))
    return losses


def _captured_epochs(step, x, y, batch_size, epochs):
    results = []
    for _ in range(epochs):
        for lo in range(0, len(x), batch_size):
            step(x[lo:lo + batch_size], y[lo:lo + batch_size])
        results.append(step.finish_epoch())
    return results


@pytest.mark.parametrize("make_opt", [
    lambda: fl.optim.SGD(learning_rate=0.1),
    lambda: fl.optim.SGD(learning_rate=0.1, momentum=0.9),
    lambda: fl.optim.RMSprop(learning_rate=0.01),
    lambda: fl.optim.Adagrad(learning_rate=0.1, clipvalue=0.2),
    lambda: fl.optim.SGD(learning_rate=fl.optim.schedules.ExponentialDecay(0.2, 3, 0.5)),
    lambda: fl.optim.Adam(learning_rate=0.05),
    lambda: fl.optim.AdamW(learning_rate=fl.optim.schedules.ExponentialDecay(0.05, 3, 0.5), clipvalue=0.3),
], ids=["sgd", "momentum", "rmsprop", "adagrad-clipvalue", "sgd-schedule", "adam", "adamw-schedule"])
def test_replayed_epochs_match_the_plain_step(float64, make_opt):
    x, y = _data(23)  # 23 rows in batches of 5: four replays and a partial batch of 3 per epoch
    ref_model, ref_opt = _model(), make_opt()
    ref_losses = _plain_epochs(ref_model, ref_opt, "sparse_categorical_crossentropy", x, y, 5, 3)
    model, opt = _model(), make_opt()
    step, cuda = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64)
    results = _captured_epochs(step, x, y, 5, 3)
    np.testing.assert_allclose([r[0]["loss"] for r in results], ref_losses, rtol=1e-10)
    assert all(bad is None for _, bad in results)
    for a, b in zip(ref_model.parameters(), model.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-10, atol=1e-12)
    assert opt.iterations == ref_opt.iterations == 15
    # recorded once, replayed for every later full batch: 4 full batches x 3 epochs - 1 warm-up
    assert cuda.calls.count("begin_capture") == cuda.calls.count("end_capture") == 1
    assert cuda.calls.count("launch") == step.replays == 11
    # the recording ran with the graph's own memory pool, and only then
    assert cuda.calls.index("pool_on") < cuda.calls.index("begin_capture") < cuda.calls.index("pool_off")
    assert cuda.calls.count("pool_on") == 1 and cuda.allocator_depth == 0


@pytest.mark.parametrize("how", ["index", "slice"])
def test_take_gathers_the_rows_into_the_input_buffers(float64, how):
    """step.take(x, y, rows) trains on x[rows], y[rows] as step(x[rows], y[rows]) does; a full batch goes straight
    into the graph's input buffers, a partial one through the plain step."""
    x, y = _data(23)
    order = np.random.default_rng(1).permutation(23)
    batches = [order[lo:lo + 5] if how == "index" else slice(lo, lo + 5) for lo in range(0, 23, 5)]
    stepped = []
    for use_take in (False, True):
        model, opt = _model(), fl.optim.SGD(learning_rate=0.1, momentum=0.9)
        step, _ = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64)
        for _ in range(2):
            for rows in batches:
                pred = step.take(x, y, rows) if use_take else step(x[rows], y[rows])
                assert pred.shape[0] == len(x[rows])
            logs, bad = step.finish_epoch()
        if use_take:
            np.testing.assert_array_equal(step.x_buf, x[batches[-2]])  # the last full batch's rows
        stepped.append((logs["loss"], [p.numpy().copy() for p in model.parameters()]))
    (loss_a, w_a), (loss_b, w_b) = stepped
    assert loss_b == loss_a
    for a, b in zip(w_a, w_b):
        np.testing.assert_array_equal(b, a)


def test_gradients_of_the_last_step_are_visible(float64):
    x, y = _data(10)
    model, opt = _model(), fl.optim.SGD(learning_rate=0.1)
    step, _ = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64)
    step(x[:5], y[:5])
    step(x[5:], y[5:])  # a replay
    ref_model, ref_opt = _model(), fl.optim.SGD(learning_rate=0.1)
    ref_opt.bind(ref_model)
    plan = fastpath.compile_step(ref_model, "sparse_categorical_crossentropy", ref_opt)
    plan(x[:5], y[:5])
    plan(x[5:], y[5:])
    for a, b in zip(ref_model.parameters(), model.parameters()):
        np.testing.assert_allclose(b.grad, a.grad, rtol=1e-10)
        assert np.shares_memory(b.grad, step.grad_buf)


def test_metrics_are_summed_on_the_device_and_read_once(float64):
    x, y = _data(12)
    model, opt = _model(), fl.optim.SGD(learning_rate=0.1)
    metrics = gpu.device_metrics([fl.metrics.get("accuracy", "sparse_categorical_crossentropy")],
                                 "sparse_categorical_crossentropy", (), (3,))
    step, _ = _captured(model, opt, "sparse_categorical_crossentropy", 4, y_dtype=np.int64, metrics=metrics)
    expected, hits = [], 0
    ref_model, ref_opt = _model(), fl.optim.SGD(learning_rate=0.1)
    ref_opt.bind(ref_model)
    plan = fastpath.compile_step(ref_model, "sparse_categorical_crossentropy", ref_opt)
    for lo in range(0, 12, 4):
        _, pred = plan(x[lo:lo + 4], y[lo:lo + 4])
        hits += int(np.sum(np.argmax(pred, axis=1) == y[lo:lo + 4]))
        pred_c = step(x[lo:lo + 4], y[lo:lo + 4])
        np.testing.assert_allclose(pred_c, pred, rtol=1e-10)
        expected.append(pred)
    logs, bad = step.finish_epoch()
    assert bad is None and logs["accuracy"] == pytest.approx(hits / 12)
    assert float(step.loss_sum) == 0 and float(step.metric_sums["accuracy"]) == 0  # sums start again


def test_non_finite_loss_stops_updates_and_reports_the_batch(float64):
    x, y = _data(20)
    x = x.copy()
    x[10] = 1e300  # batch 2 of 5-row batches overflows
    model, opt = _model(out="linear", units=1), fl.optim.SGD(learning_rate=0.01, momentum=0.5)
    yr = y.astype(np.float64).reshape(-1, 1)
    step, _ = _captured(model, opt, "mse", 5, y_shape=(1,))
    ref_model, ref_opt = _model(out="linear", units=1), fl.optim.SGD(learning_rate=0.01, momentum=0.5)
    ref_opt.bind(ref_model)
    plan = fastpath.compile_step(ref_model, "mse", ref_opt)
    with np.errstate(all="ignore"):
        for lo in range(0, 10, 5):
            plan(x[lo:lo + 5], yr[lo:lo + 5])
        for lo in range(0, 20, 5):
            step(x[lo:lo + 5], yr[lo:lo + 5])
    logs, bad = step.finish_epoch()
    assert bad == 2 and not np.isfinite(logs["loss"])
    for a, b in zip(ref_model.parameters(), model.parameters()):
        np.testing.assert_array_equal(b.numpy(), a.numpy())  # the weights of the last finite step
    assert opt.iterations == 2


def test_learning_rate_is_written_only_when_it_changes(float64):
    x, y = _data(20)
    model, opt = _model(), fl.optim.SGD(learning_rate=0.1)
    step, _ = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64)
    writes = []
    real_fill = step.lr_buf.fill

    class Spy(np.ndarray):
        pass
    step.lr_buf = step.plan.lr_buffer = step.lr_buf.view(Spy)
    Spy.fill = lambda self, v: (writes.append(v), real_fill(v))[1]
    for lo in range(0, 20, 5):
        step(x[lo:lo + 5], y[lo:lo + 5])
    opt.learning_rate = 0.05
    step(x[:5], y[:5])
    assert writes == [0.1, 0.05]
    assert float(step.lr_buf) == 0.05


def test_replaced_parameters_are_recaptured(float64):
    x, y = _data(10)
    model, opt = _model(), fl.optim.SGD(learning_rate=0.1)
    step, cuda = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64)
    step(x[:5], y[:5])
    step(x[5:], y[5:])
    model.load_state_dict({k: v * 0.5 for k, v in model.state_dict().items()})  # in place: same addresses
    step(x[:5], y[:5])
    assert cuda.calls.count("begin_capture") == 1
    first = model.parameters()[0]
    first.data = first.data * 0.5  # a new array: the recorded addresses are stale
    expected = [p.numpy().copy() for p in model.parameters()]
    step(x[5:], y[5:])
    assert cuda.calls.count("begin_capture") == 2
    ref_model, ref_opt = _model(), fl.optim.SGD(learning_rate=0.1)
    ref_model.load_state_dict({k: v for k, v in zip(ref_model.state_dict(), expected)})
    ref_opt.bind(ref_model)
    fastpath.compile_step(ref_model, "sparse_categorical_crossentropy", ref_opt)(x[5:], y[5:])
    for a, b in zip(ref_model.parameters(), model.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-10)


@pytest.mark.parametrize("make_opt, words", [
    (lambda: fl.optim.SGD(global_clipnorm=1.0), "norm on the host"),
    (lambda: fl.optim.Adam(global_clipnorm=1.0), "norm on the host"),
    (lambda: fl.optim.Nadam(), "Nadam computes each step's factors from the step count on the host"),
    (lambda: fl.optim.Adamax(), "Adamax computes each step's factors"),
])
def test_refused_optimizers_say_why(make_opt, words):
    model, opt = _model(), make_opt()
    opt.bind(model)
    plan = fastpath.compile_step(model, "sparse_categorical_crossentropy", opt)
    assert words in gpu.capture_refusal(plan)
    with pytest.raises(ConfigError, match="capture=False"):
        gpu.CapturedStep(plan, 4, (4,), (), xp=np, cuda=FakeCuda())


def test_release_restores_the_float_mode(float64):
    model, opt = _model(), fl.optim.Adam(learning_rate=0.1)
    step, _ = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64)
    assert opt.correction_buffers is not None
    step.release()
    value, _ = step.plan(*_data(5))
    assert isinstance(value, float) and step.plan.lr_buffer is None and opt.correction_buffers is None


def test_device_metric_forms_agree_with_the_host_metrics():
    rng = np.random.default_rng(5)
    p = rng.random((8, 3))
    cases = [("accuracy", "sparse_categorical_crossentropy", rng.integers(0, 3, 8), p),
             ("accuracy", "categorical_crossentropy", np.eye(3)[rng.integers(0, 3, 8)], p),
             ("accuracy", "binary_crossentropy", rng.integers(0, 2, (8, 1)).astype(float), p[:, :1]),
             ("mse", "mse", rng.random((8, 3)), p), ("mae", "mse", rng.random((8, 3)), p)]
    for name, loss, t, pred in cases:
        fn = gpu.device_metric(name, loss, t.shape[1:], pred.shape[1:])
        host = fl.metrics.get(name, loss)(t, pred)
        assert float(fn(t, pred)) == pytest.approx(host), (name, loss)
    assert gpu.device_metric("binary_crossentropy", "mse", (1,), (1,)) is None
    own = fl.metrics.get(lambda t, p: 0.0)
    assert gpu.device_metrics([own], "mse", (1,), (1,)) is None


def test_stateful_metrics_have_no_device_form_even_when_named_like_one_that_has():
    class Accuracy(fl.metrics.Metric):  # a stateful metric of the user's own, named "accuracy"
        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return 0.0

    accuracy = fl.metrics.get("accuracy", "binary_crossentropy")
    assert set(gpu.device_metrics([accuracy], "binary_crossentropy", (1,), (1,), keys=["weighted_accuracy"])) == \
        {"weighted_accuracy"}
    for metric in (Accuracy(), fl.metrics.get("auc"), fl.metrics.Precision(name="accuracy")):
        assert metric.name in ("accuracy", "auc")
        assert gpu.device_metrics([accuracy, metric], "binary_crossentropy", (1,), (1,)) is None


def test_cupy_is_not_imported_on_numpy():
    # importing the module and refusing a plan touch nothing of CuPy
    assert gpu.capture_refusal(None)
    assert "cupy" not in sys.modules or fl.backend.backend_name() == "numpy"


def test_one_stream_and_two_events_serve_every_fit(float64):
    x, y = _data(20)
    cuda = FakeCuda()
    for seed in (0, 1):  # two fits, as a notebook runs them
        model, opt = _model(seed), fl.optim.SGD(learning_rate=0.1)
        opt.bind(model)
        step = gpu.CapturedStep(fastpath.compile_step(model, "sparse_categorical_crossentropy", opt), 5, (4,), (),
                                y_dtype=np.int64, xp=np, cuda=cuda)
        cuda.step = step
        cuda.events.clear()
        _captured_epochs(step, x, y, 5, 2)
        assert cuda.events == {id(step._ready), id(step._done)}  # made once, not one per record() call
        step.release()
    # CuPy keeps each stream's freed blocks for good: a stream per fit would hold more memory after each
    assert cuda.streams == 1


def test_settings_changed_between_epochs_are_recorded_again(float64):
    # a graph holds momentum (like every kernel argument) by value: a change needs a new recording
    x, y = _data(20)
    ref_model, ref_opt = _model(), fl.optim.SGD(learning_rate=0.1, momentum=0.9)
    model, opt = _model(), fl.optim.SGD(learning_rate=0.1, momentum=0.9)
    step, cuda = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64)
    _plain_epochs(ref_model, ref_opt, "sparse_categorical_crossentropy", x, y, 5, 1)
    _captured_epochs(step, x, y, 5, 1)
    ref_opt.momentum = opt.momentum = 0.5
    _plain_epochs(ref_model, ref_opt, "sparse_categorical_crossentropy", x, y, 5, 1)
    _captured_epochs(step, x, y, 5, 2)
    assert cuda.calls.count("begin_capture") == 2
    _plain_epochs(ref_model, ref_opt, "sparse_categorical_crossentropy", x, y, 5, 1)
    for a, b in zip(ref_model.parameters(), model.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-10, atol=1e-12)


def test_a_failed_recording_leaves_no_graph_to_replay(float64, monkeypatch):
    x, y = _data(10)
    model, opt = _model(), fl.optim.SGD(learning_rate=0.1)
    step, cuda = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64, insist=True)
    real = step._graph_body
    monkeypatch.setattr(step, "_graph_body", lambda: (_ for _ in ()).throw(RuntimeError("illegal in a capture")))
    with pytest.raises(ConfigError, match=r"capture=True, but .*RuntimeError: illegal in a capture.*capture=False"):
        step(x[:5], y[:5])
    # the warm-up step ran; the partial recording was ended and dropped, and counted no step
    assert step.graph is None and opt.iterations == 1
    assert cuda.calls.count("begin_capture") == cuda.calls.count("end_capture") == 1
    monkeypatch.setattr(step, "_graph_body", real)
    step(x[:5], y[:5])
    step(x[5:], y[5:])
    assert step.graph is not None and step.replays == 1 and opt.iterations == 3


def test_a_failed_automatic_recording_warns_once_and_trains_on_uncaptured(float64, monkeypatch):
    x, y = _data(20)
    model, opt = _model(), fl.optim.SGD(learning_rate=0.1, momentum=0.9)
    ref_model, ref_opt = _model(), fl.optim.SGD(learning_rate=0.1, momentum=0.9)
    step, cuda = _captured(model, opt, "sparse_categorical_crossentropy", 5, y_dtype=np.int64)
    monkeypatch.setattr(step, "_graph_body", lambda: (_ for _ in ()).throw(NotImplementedError("no cuBLAS here")))
    with pytest.warns(RuntimeWarning, match=r"could not record .*NotImplementedError: no cuBLAS here.*uncaptured"):
        first = _captured_epochs(step, x, y, 5, 2)
    assert step.graph is None and step.replays == 0 and "no cuBLAS here" in step.uncaptured
    assert cuda.calls.count("begin_capture") == 1  # one attempt, not one per batch
    plain = _plain_epochs(ref_model, ref_opt, "sparse_categorical_crossentropy", x, y, 5, 2)
    assert opt.iterations == ref_opt.iterations == 8
    for a, b in zip(ref_model.parameters(), model.parameters()):
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose([logs["loss"] for logs, _ in first], plain, rtol=1e-10)


