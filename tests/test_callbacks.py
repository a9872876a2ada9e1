"""Callbacks: each one changes what fit does in a way the test can see."""

from __future__ import annotations

import csv
import math
import os
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import callbacks as cbs
from fnlearn.errors import ConfigError, DataError


def line_data(n: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(n, 2))
    y = x @ np.array([[2.0], [-1.0]]) + 0.5
    return x, y


def line_model(lr: float = 0.1, optimizer=None):
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    model.compile(optimizer or fl.optim.SGD(learning_rate=lr), "mse")
    return model


def scripted(key: str, values: list[float]) -> cbs.LambdaCallback:
    """A callback that writes a scripted value into the epoch logs (for monitors with known sequences)."""
    def put(epoch, logs):
        logs[key] = values[epoch]
    return cbs.LambdaCallback(on_epoch_end=put)


def weights_by_epoch(model, store: dict) -> cbs.LambdaCallback:
    return cbs.LambdaCallback(on_epoch_end=lambda epoch, logs: store.__setitem__(epoch, model.get_weights()))


# ----------------------------------------------------------------------------- base and list


def test_callback_list_refuses_non_callbacks():
    model = line_model()
    x, y = line_data()
    before = model.get_weights()
    with pytest.raises(ConfigError, match="Callback objects"):
        model.fit(x, y, verbose=0, callbacks=[lambda *a: None])
    assert all((a == b).all() for a, b in zip(before, model.get_weights()))


def test_keras2_batch_hook_names_and_params_reach_a_subclass():
    seen = {"batches": 0}

    class Counter(cbs.Callback):
        def on_batch_end(self, batch, logs=None):
            seen["batches"] += 1
            seen["params"] = self.params
            seen["loss"] = logs["loss"]

    model = line_model()
    x, y = line_data(40)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[Counter()])
    assert seen["batches"] == 6
    assert seen["params"]["steps"] == 3 and seen["params"]["epochs"] == 2 and seen["params"]["samples"] == 40
    assert isinstance(seen["loss"], float)


def test_batch_end_logs_are_running_means_unless_a_callback_asks_for_each_steps_own():
    running, own = [], []

    class Running(cbs.Callback):
        def on_train_batch_end(self, batch, logs=None):
            running.append(dict(logs))

    class Steps(cbs.Callback):
        step_logs = True

        def on_train_batch_end(self, batch, logs=None):
            own.append(dict(logs))

    model = line_model()
    model.compile(fl.optim.SGD(learning_rate=0.1), "mse", metrics=["mae", fl.metrics.RootMeanSquaredError()])
    x, y = line_data(40)
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[Running(), Steps()])
    assert [set(logs) for logs in running] == [{"loss", "mae", "root_mean_squared_error"}] * 3  # no batch, size
    sizes = np.array([16, 16, 8])
    for key in ("loss", "mae"):
        steps = np.array([logs[key] for logs in own])
        assert len(set(steps)) == 3  # each batch its own value
        means = np.cumsum(steps * sizes) / np.cumsum(sizes)  # Keras's running means, weighted by batch size
        assert [logs[key] for logs in running] == pytest.approx(means.tolist())
        assert history.history[key] == pytest.approx([means[-1]])
    # a stateful metric has no value per batch of its own: both get its result so far
    assert [logs["root_mean_squared_error"] for logs in own] == [logs["root_mean_squared_error"] for logs in running]


def test_trace_records_each_steps_own_loss_among_running_callbacks():
    from fnlearn.explain import Trace

    running = []
    model = line_model()
    x, y = line_data(40)
    trace = Trace()
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0,
              callbacks=[trace, cbs.LambdaCallback(on_train_batch_end=lambda b, logs: running.append(logs["loss"]))])
    steps = [row["loss"] for row in trace.rows]
    assert running[0] == steps[0] and running[1:] != steps[1:]
    assert running[-1] == pytest.approx(np.average(steps, weights=[16, 16, 8]))


# ----------------------------------------------------------------------------- History


def test_history_records_every_epoch_and_is_the_model_attribute():
    model = line_model()
    x, y = line_data()
    h = model.fit(x, y, epochs=4, verbose=0, validation_split=0.25)
    assert h.epoch == [0, 1, 2, 3] and sorted(h.history) == ["loss", "val_loss"]
    assert len(h.history["loss"]) == 4 and model.history is h
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_history_plot_draws_train_and_validation_and_saves(tmp_path):
    model = fl.Sequential([fl.layers.Dense(2, activation="softmax", input_dim=2)])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, _ = line_data()
    h = model.fit(x, (x[:, 0] > 0).astype(int), epochs=3, verbose=0, validation_split=0.25)
    path = tmp_path / "curves.png"
    fig = h.plot(path=path)
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    labels = [line.get_label() for line in axes[0].get_lines() if not line.get_label().startswith("_")]
    assert labels == ["training loss", "validation loss"]
    assert list(axes[0].get_lines()[0].get_xdata()) == [1, 2, 3]
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert [ax.get_title() for ax in h.plot(metrics="accuracy").axes] == ["accuracy"]
    with pytest.raises(ConfigError, match="did you mean 'accuracy'"):
        h.plot(metrics=["acuracy"])
    with pytest.raises(DataError, match="no epochs"):
        cbs.History().plot()


# ----------------------------------------------------------------------------- EarlyStopping


def test_early_stopping_counts_patience_like_keras():
    es = cbs.EarlyStopping(monitor="loss", patience=2)
    es.set_model(SimpleNamespace(stop_training=False))
    es.on_train_begin()
    for epoch, value in enumerate([1.0, 0.9, 0.95, 0.96, 0.97]):
        es.on_epoch_end(epoch, {"loss": value})
        if es.model.stop_training:
            break
    assert es.stopped_epoch == 3 and es.best == 0.9 and es.best_epoch == 1


def test_early_stopping_min_delta_mode_and_baseline():
    def run(values, **kw):
        es = cbs.EarlyStopping(**kw)
        es.set_model(SimpleNamespace(stop_training=False))
        es.on_train_begin()
        for epoch, value in enumerate(values):
            es.on_epoch_end(epoch, {kw.get("monitor", "val_loss"): value})
            if es.model.stop_training:
                return epoch
        return None

    assert run([1.0, 0.99, 0.98], min_delta=0.05) == 1           # improvements smaller than min_delta do not count
    assert run([1.0, 0.99, 0.98]) is None
    assert run([0.5, 0.6, 0.7], monitor="val_accuracy") is None  # auto mode maximises accuracies
    assert run([0.5, 0.4], monitor="val_accuracy") == 1
    # an epoch that does not beat the baseline does not reset patience
    assert run([0.9, 0.95, 0.97], patience=2) == 2
    assert run([0.9, 0.95, 0.97], patience=2, baseline=0.5) == 1
    with pytest.raises(ConfigError):
        cbs.EarlyStopping(mode="maximum")


def test_early_stopping_in_fit_restores_the_best_weights():
    model = line_model()
    x, y = line_data()
    snapshots: dict = {}
    score = [5.0, 3.0, 1.0, 2.0, 4.0, 6.0, 7.0, 8.0]
    es = cbs.EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    h = model.fit(x, y, epochs=8, verbose=0,
                  callbacks=[scripted("score", score), weights_by_epoch(model, snapshots), es])
    assert h.epoch == [0, 1, 2, 3, 4] and es.stopped_epoch == 4 and es.best_epoch == 2
    assert all((a == b).all() for a, b in zip(model.get_weights(), snapshots[2]))
    assert not all((a == b).all() for a, b in zip(snapshots[4], snapshots[2]))


def test_early_stopping_warns_when_the_monitor_is_missing():
    model = line_model()
    x, y = line_data()
    with pytest.warns(RuntimeWarning, match="val_loss"):
        h = model.fit(x, y, epochs=3, verbose=0, callbacks=[cbs.EarlyStopping()])
    assert len(h.epoch) == 3


# ----------------------------------------------------------------------------- ModelCheckpoint


def test_model_checkpoint_saves_every_epoch_with_formatted_names(tmp_path):
    model = line_model()
    x, y = line_data()
    snapshots: dict = {}
    ckpt = cbs.ModelCheckpoint(tmp_path / "ck" / "m-{epoch:02d}-{loss:.3f}.fnl", monitor="loss")
    h = model.fit(x, y, epochs=3, verbose=0, callbacks=[weights_by_epoch(model, snapshots), ckpt])
    names = sorted(os.listdir(tmp_path / "ck"))
    expected = [f"m-{e + 1:02d}-{h.history['loss'][e]:.3f}.fnl" for e in range(3)]
    assert names == expected  # and no temporary files left behind
    loaded = fl.load_model(tmp_path / "ck" / expected[1])
    assert all((a == b).all() for a, b in zip(loaded.get_weights(), snapshots[1]))


def test_model_checkpoint_save_best_only_keeps_the_best_epoch(tmp_path):
    model = line_model()
    x, y = line_data()
    snapshots: dict = {}
    path = tmp_path / "best.fnl"
    saves = []
    ckpt = cbs.ModelCheckpoint(path, monitor="score", save_best_only=True, mode="max")
    model.save = (lambda original: lambda p, include_optimizer=True: (saves.append(p), original(p, include_optimizer)))(
        model.save)
    model.fit(x, y, epochs=5, verbose=0,
              callbacks=[scripted("score", [0.1, 0.5, 0.3, 0.7, 0.2]), weights_by_epoch(model, snapshots), ckpt])
    assert len(saves) == 3 and ckpt.best == 0.7
    best = fl.load_model(path)
    assert all((a == b).all() for a, b in zip(best.get_weights(), snapshots[3]))


def test_model_checkpoint_says_what_it_saves(tmp_path, capsys):
    model = line_model()
    x, y = line_data()
    ckpt = cbs.ModelCheckpoint(tmp_path / "best.fnl", monitor="score", save_best_only=True, mode="max", verbose=1)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[scripted("score", [0.5, 0.25]), ckpt])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Epoch 1: score improved from -inf to 0.50000, saving model to ")  # as Keras says
    assert lines[1] == "Epoch 2: score did not improve from 0.50000"


def test_model_checkpoint_every_n_batches(tmp_path):
    model = line_model()
    x, y = line_data()  # batches per epoch: see below
    steps = -(-len(x) // 8)
    ckpt = cbs.ModelCheckpoint(tmp_path / "m-{epoch}-{batch}.fnl", monitor="loss", save_freq=3)
    assert "on_train_batch_end" in vars(ckpt)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[ckpt])
    saved = sorted(p.name for p in tmp_path.iterdir())
    expected = sorted(f"m-{n // steps + 1}-{n % steps + 1}.fnl" for n in range(2, 2 * steps, 3))
    assert saved == expected and expected
    assert "on_train_batch_end" not in vars(cbs.ModelCheckpoint(tmp_path / "e.fnl"))  # per epoch: no batch hook
    with pytest.raises(ConfigError, match="save_freq must be 'epoch' or a number of batches ≥ 1, got 0"):
        cbs.ModelCheckpoint(tmp_path / "x.fnl", save_freq=0)


def test_model_checkpoint_weights_only_leaves_optimizer_state_out(tmp_path):
    model = line_model(optimizer=fl.optim.Adam(learning_rate=0.01))
    x, y = line_data()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[
        cbs.ModelCheckpoint(tmp_path / "full.fnl", monitor="loss"),
        cbs.ModelCheckpoint(tmp_path / "weights.fnl", monitor="loss", save_weights_only=True)])
    assert (tmp_path / "weights.fnl").stat().st_size < (tmp_path / "full.fnl").stat().st_size


def test_model_checkpoint_with_an_unknown_key_in_the_name_says_which_keys_exist(tmp_path):
    model = line_model()
    x, y = line_data()
    with pytest.raises(ConfigError, match="loss"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[cbs.ModelCheckpoint(tmp_path / "{val_acc}.fnl")])


# ----------------------------------------------------------------------------- LearningRateScheduler


def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    model = line_model(lr=0.2)
    x, y = line_data()
    seen = []
    h = model.fit(x, y, epochs=3, verbose=0, callbacks=[
        cbs.LearningRateScheduler(lambda epoch, lr: lr * 0.5),
        cbs.LambdaCallback(on_epoch_begin=lambda e, logs: seen.append(model.optimizer.current_learning_rate()))])
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])


def test_learning_rate_scheduler_takes_engine_schedules_per_epoch():
    model = line_model()
    x, y = line_data()
    h = model.fit(x, y, epochs=4, verbose=0, callbacks=[
        cbs.LearningRateScheduler(fl.optim.schedules.StepDecay(0.1, drop_every=2, factor=0.5))])
    assert h.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_learning_rate_scheduler_refuses_a_bad_rate():
    model = line_model()
    x, y = line_data()
    with pytest.raises(ConfigError, match="epoch 0"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[cbs.LearningRateScheduler(lambda epoch: -1.0)])


# ----------------------------------------------------------------------------- TerminateOnNaN


def test_terminate_on_nan_stops_after_a_non_finite_batch(capsys):
    cb = cbs.TerminateOnNaN()
    cb.set_model(SimpleNamespace(stop_training=False))
    cb.on_train_batch_end(0, {"loss": 1.0})
    assert cb.model.stop_training is False
    cb.on_train_batch_end(1, {"loss": math.inf})
    assert cb.model.stop_training is True and "invalid loss" in capsys.readouterr().out


def test_terminate_on_nan_in_a_fit_that_would_otherwise_go_on():
    x, y = line_data()
    x = x * 100

    def run(callbacks):
        model = line_model(lr=10.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(x, y, epochs=5, batch_size=16, verbose=0, terminate_on_nan=False,
                             callbacks=callbacks)

    losses = run([]).history["loss"]
    assert len(losses) == 5 and not math.isfinite(losses[-1])
    first_bad = next(i for i, v in enumerate(losses) if not math.isfinite(v))
    h = run([cbs.TerminateOnNaN()])
    assert len(h.epoch) == first_bad + 1 and not math.isfinite(h.history["loss"][-1])


# ----------------------------------------------------------------------------- CSVLogger


def read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    model = line_model()
    x, y = line_data()
    path = tmp_path / "log.csv"
    h = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[cbs.CSVLogger(path)])
    rows = read_csv(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    assert [float(r[1]) for r in rows[1:]] == h.history["loss"]


def test_csv_logger_makes_its_folder_and_takes_a_bare_file_name(tmp_path, monkeypatch):
    model = line_model()
    x, y = line_data()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cbs.CSVLogger(tmp_path / "runs" / "a" / "log.csv")])
    assert len(read_csv(tmp_path / "runs" / "a" / "log.csv")) == 3
    monkeypatch.chdir(tmp_path)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[cbs.CSVLogger("here.csv")])
    assert len(read_csv(tmp_path / "here.csv")) == 2


def test_csv_logger_append_and_separator(tmp_path):
    model = line_model()
    x, y = line_data()
    path = tmp_path / "log.tsv"
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cbs.CSVLogger(path, separator="\t")])
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, callbacks=[cbs.CSVLogger(path, separator="\t", append=True)])
    rows = read_csv(path, "\t")
    assert rows[0] == ["epoch", "loss"] and [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]


def test_csv_logger_keeps_finished_epochs_when_training_is_interrupted(tmp_path):
    model = line_model()
    x, y = line_data()
    path = tmp_path / "log.csv"

    def interrupt(epoch, logs):
        if epoch == 1:
            assert len(read_csv(path)) == 3  # header + two rows already on disk before training ends
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted"):
        model.fit(x, y, epochs=5, verbose=0,
                  callbacks=[cbs.CSVLogger(path), cbs.LambdaCallback(on_epoch_end=interrupt)])
    assert len(read_csv(path)) == 3


# ----------------------------------------------------------------------------- LambdaCallback


def test_lambda_callback_calls_each_given_hook():
    calls: dict[str, int] = {}

    def count(name):
        return lambda *args: calls.__setitem__(name, calls.get(name, 0) + 1)

    hooks = ["on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
             "on_train_batch_end", "on_batch_end"]
    model = line_model()
    x, y = line_data(40)
    model.fit(x, y, batch_size=20, epochs=3, verbose=0, callbacks=[cbs.LambdaCallback(**{h: count(h) for h in hooks})])
    assert calls == {"on_train_begin": 1, "on_train_end": 1, "on_epoch_begin": 3, "on_epoch_end": 3,
                     "on_train_batch_begin": 6, "on_train_batch_end": 6}  # on_batch_end: replaced by the new name
    # a Keras 2 name alone is called, since the Keras 3 hook forwards to it
    calls.clear()
    model.fit(x, y, batch_size=20, epochs=1, verbose=0, callbacks=[cbs.LambdaCallback(on_batch_end=count("old"))])
    assert calls == {"old": 2}
    with pytest.raises(ConfigError, match="did you mean 'on_epoch_end'"):
        cbs.LambdaCallback(on_epoch_ends=print)


# ----------------------------------------------------------------------------- GradientNormStopping


def full_gradient_norm(model, x, y) -> float:
    """‖∇L‖ over the whole data set, by autodiff on the model as it is now."""
    model.zero_grad()
    fl.losses.mse(y, model(fl.tensor(x))).backward()
    return math.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in model.parameters()))


def test_gradient_norm_stopping_last_mode_is_the_lecture_rule_on_full_batches(float64):
    model = line_model(lr=0.3)
    x, y = line_data()
    expected = []
    record = cbs.LambdaCallback(on_epoch_begin=lambda e, logs: expected.append(full_gradient_norm(model, x, y)))
    stop = cbs.GradientNormStopping(threshold=1e-3, mode="last")
    h = model.fit(x, y, batch_size=len(x), epochs=500, shuffle=False, verbose=0, callbacks=[record, stop])
    assert h.history["grad_norm"] == pytest.approx(expected, rel=1e-9)
    assert stop.stopped_epoch == len(h.epoch) - 1 < 499
    assert h.history["grad_norm"][-1] < 1e-3 <= h.history["grad_norm"][-2]


def test_gradient_norm_stopping_mean_mode_averages_batch_gradients(float64):
    model = line_model(lr=0.05)
    x, y = line_data(40)
    grads: list = []
    sizes = [16, 16, 8]  # 40 rows in batches of 16: the last batch is smaller, and weighs less
    keep = cbs.LambdaCallback(on_train_batch_end=lambda b, logs: grads.append(
        (sizes[b], [p.grad.copy() for p in model.parameters()])))
    stop = cbs.GradientNormStopping(threshold=1e-9, mode="mean")
    h = model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[keep, stop])
    n = sum(size for size, _ in grads)
    assert n == 40 and len(grads) == 3
    mean = [sum(size * g[i] for size, g in grads) / n for i in range(2)]
    assert h.history["grad_norm"][0] == pytest.approx(math.sqrt(sum(float((m ** 2).sum()) for m in mean)))
    assert stop.stopped_epoch is None
    with pytest.raises(ConfigError):
        cbs.GradientNormStopping(threshold=0)
    with pytest.raises(ConfigError):
        cbs.GradientNormStopping(mode="median")


def test_reduce_lr_on_plateau_follows_keras_rules():
    # the rates Keras 3 gives for this run (patience 2, factor 0.5, cooldown 1, floor 0.1), checked by hand:
    # a cut after two epochs without improvement, none during the cooldown epoch, never below min_lr
    opt = fl.optim.SGD(learning_rate=1.0)
    cut = cbs.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=1, min_delta=0, min_lr=0.1)
    cut.set_model(SimpleNamespace(optimizer=opt))
    cut.on_train_begin()
    logged, after = [], []
    for epoch, value in enumerate([5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 4]):
        logs = {"loss": value}
        cut.on_epoch_end(epoch, logs)
        logged.append(logs["learning_rate"])
        after.append(opt.current_learning_rate())
    assert after == [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1, 0.1]
    assert logged == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.1, 0.1]


def test_reduce_lr_on_plateau_in_fit_and_its_mistakes():
    x, y = line_data()
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    model.compile(fl.optim.SGD(learning_rate=0.1), "mse")
    # a monitored value that never improves (accuracy is maximised, the loss here only falls)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[cbs.ReduceLROnPlateau(
        monitor="loss", mode="max", factor=0.5, patience=1)])
    assert history.history["learning_rate"] == [0.1, 0.1, 0.05, 0.025]  # the rate each epoch trained with
    assert model.optimizer.current_learning_rate() == 0.0125
    with pytest.raises(ConfigError, match="factor must be a number between 0 and 1"):
        cbs.ReduceLROnPlateau(factor=2)
    with pytest.raises(ConfigError, match="unexpected argument"):
        cbs.ReduceLROnPlateau(factr=0.5)


@pytest.mark.parametrize("callback", [cbs.ReduceLROnPlateau(monitor="loss"),
                                      cbs.LearningRateScheduler(lambda epoch, lr: lr)])
def test_rate_setting_callbacks_refuse_an_optimizer_on_a_schedule(callback):
    x, y = line_data()
    schedule = fl.optim.schedules.ExponentialDecay(0.1, decay_steps=7, decay_rate=0.5)
    model = fl.Sequential([fl.layers.Dense(1)])  # not built yet: the refusal must not build it either
    model.compile(fl.optim.SGD(learning_rate=schedule), "mse")
    with pytest.raises(ConfigError, match=r"follows a schedule \(ExponentialDecay\).*use one or the other"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    assert model.optimizer.schedule is schedule and not model.built


def test_auto_mode_follows_the_monitored_metrics_direction_as_in_keras():
    class Score(fl.metrics.Metric):  # a metric of the user's own that says higher is better, as Keras's do
        _direction = "up"

        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return 0.0

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 2)), (rng.random(40) > 0.5).astype(float)
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(1, activation="sigmoid", input_dim=2)])
    model.compile("sgd", "binary_crossentropy", metrics=["precision", "root_mean_squared_error", Score(name="mine"),
                                                         "true_positives"])
    watched = {name: cbs.EarlyStopping(monitor=name) for name in
               ("val_precision", "val_root_mean_squared_error", "mine", "true_positives", "val_loss")}
    pinned = cbs.ReduceLROnPlateau(monitor="val_precision", mode="min")
    assert watched["val_precision"].mode == "min"  # by its name alone, before fit sees the model
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[*watched.values(), pinned])
    assert {name: cb.mode for name, cb in watched.items()} == {
        "val_precision": "max", "val_root_mean_squared_error": "min", "mine": "max", "true_positives": "min",
        "val_loss": "min"}
    assert pinned.mode == "min"  # a mode given is kept



class _Recorder(cbs.Callback):
    """Keras's "writing your own callbacks" guide: every test and predict hook, recorded."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def on_test_begin(self, logs=None):
        self.calls.append(("test_begin", dict(logs or {})))

    def on_test_batch_begin(self, batch, logs=None):
        assert logs == {}  # Keras's batch-begin logs are empty
        self.calls.append(("test_batch_begin", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(("test_batch_end", batch, dict(logs)))

    def on_test_end(self, logs=None):
        self.calls.append(("test_end", dict(logs)))

    def on_predict_begin(self, logs=None):
        self.calls.append(("predict_begin",))

    def on_predict_batch_begin(self, batch, logs=None):
        assert logs == {}
        self.calls.append(("predict_batch_begin", batch))

    def on_predict_batch_end(self, batch, logs=None):
        assert list(logs) == ["outputs"]  # as Keras's: the batch's outputs alone
        self.calls.append(("predict_batch_end", batch, logs["outputs"].copy()))

    def on_predict_end(self, logs=None):
        self.calls.append(("predict_end",))


def _regression_model():
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, activation="relu", input_dim=4), fl.layers.Dense(1)])
    model.compile("adam", "mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(50, 4))
    return model, x, x.sum(axis=1)


def test_evaluate_gives_callbacks_the_test_hooks_with_running_and_final_logs():
    model, x, y = _regression_model()
    recorder = _Recorder()
    result = model.evaluate(x, y, batch_size=16, return_dict=True, callbacks=[recorder])
    kinds = [call[0] for call in recorder.calls]
    assert kinds == ["test_begin"] + ["test_batch_begin", "test_batch_end"] * 4 + ["test_end"]
    assert [call[1] for call in recorder.calls if call[0] == "test_batch_end"] == [0, 1, 2, 3]
    assert recorder.calls[-1][1] == pytest.approx(result)
    last = recorder.calls[-2][2]
    assert last == pytest.approx(result)  # running = final at the end, and metric keys alone (as Keras's)
    assert recorder.calls[2][2]["loss"] != pytest.approx(result["loss"])  # the first batch's own mean
    assert model.evaluate(x, y, batch_size=16, return_dict=True, callbacks=recorder) == pytest.approx(result)


def test_predict_gives_callbacks_each_batch_of_outputs():
    model, x, _ = _regression_model()
    recorder = _Recorder()
    out = model.predict(x, batch_size=20, callbacks=[recorder])
    assert [call[0] for call in recorder.calls] == \
        ["predict_begin"] + ["predict_batch_begin", "predict_batch_end"] * 3 + ["predict_end"]
    np.testing.assert_array_equal(np.concatenate([c[2] for c in recorder.calls if c[0] == "predict_batch_end"]), out)


def test_fit_calls_the_test_hooks_while_it_validates():
    model, x, y = _regression_model()
    recorder = _Recorder()
    history = model.fit(x, y, epochs=2, batch_size=10, validation_split=0.2, verbose=0, callbacks=[recorder])
    ends = [call[1] for call in recorder.calls if call[0] == "test_end"]
    assert len(ends) == 2 and [call[0] for call in recorder.calls].count("test_begin") == 2
    for epoch, logs in enumerate(ends):
        assert logs == pytest.approx({"loss": history.history["val_loss"][epoch],
                                      "mae": history.history["val_mae"][epoch]})


def test_evaluate_refuses_what_is_not_a_callback_before_it_runs():
    model, x, y = _regression_model()
    with pytest.raises(fl.errors.ConfigError, match="callbacks must be fl.callbacks.Callback objects"):
        model.evaluate(x, y, callbacks=[print])


@pytest.mark.parametrize("make, message", [
    (lambda: fl.callbacks.EarlyStopping(patients=3), r"EarlyStopping got an unexpected argument patients=3; did you "
                                                     r"mean 'patience'\? it takes monitor, min_delta, patience"),
    (lambda: fl.callbacks.ReduceLROnPlateau(facter=0.5), r"ReduceLROnPlateau got an unexpected argument facter=0.5; "
                                                         r"did you mean 'factor'"),
    (lambda: fl.callbacks.CSVLogger("a.csv", seperator=";"), r"did you mean 'separator'"),
    (lambda: fl.callbacks.ModelCheckpoint(), r"ModelCheckpoint needs filepath; it takes filepath, monitor"),
    (lambda: fl.callbacks.LearningRateScheduler(abs, verbose=0, schedule=abs), r"got schedule twice"),
])
def test_misspelled_or_missing_callback_arguments_are_one_sentence(make, message):
    with pytest.raises(ConfigError, match=message):
        make()
