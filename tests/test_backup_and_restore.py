"""BackupAndRestore: a fit that was interrupted goes on from its last backup, exactly as if it had not stopped."""

from __future__ import annotations

import os

import numpy as np
import pytest

import fnlearn as fl
from fnlearn.errors import ConfigError, ShapeError
from fnlearn.keras import callbacks as keras_callbacks

RNG = np.random.default_rng(7)
X = RNG.normal(size=(48, 5)).astype("float32")
Y = (X[:, :1] * 2 - X[:, 1:2]).astype("float32")


def _model(seed: int = 3, dropout: bool = True) -> fl.Sequential:
    fl.set_seed(seed)
    layers = [fl.layers.Dense(8, activation="relu", input_dim=5)]
    layers += [fl.layers.Dropout(0.3)] if dropout else []
    model = fl.Sequential([*layers, fl.layers.Dense(1)])
    model.compile(fl.optim.Adam(learning_rate=0.01), "mse")
    return model


class _Crash(fl.callbacks.Callback):
    """Stops the program at the start of an epoch, as a crash would: an exception fit does not catch."""

    def __init__(self, epoch: int, error: type[BaseException] = RuntimeError) -> None:
        super().__init__()
        self.epoch, self.error = epoch, error

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if epoch == self.epoch:
            raise self.error("stopped")


def _fit(model: fl.Sequential, callbacks: list, epochs: int = 6) -> fl.callbacks.History:
    return model.fit(X, Y, batch_size=8, epochs=epochs, validation_split=0.25, verbose=0, callbacks=callbacks)


def test_a_fit_resumed_after_a_crash_ends_with_the_uninterrupted_runs_weights_and_logs(tmp_path) -> None:
    whole = _model()
    history = _fit(whole, [])
    backup_dir = tmp_path / "backup"
    crashed = _model()
    with pytest.raises(RuntimeError, match="stopped"):
        _fit(crashed, [fl.callbacks.BackupAndRestore(backup_dir), _Crash(3)])
    assert os.listdir(backup_dir) == ["latest.fnl"]
    again = _model()  # the program run again: the same model made afresh
    again.shuffle_seed = 12345  # whatever it would draw, the backup's seed decides the split and the shuffles
    resumed = _fit(again, [fl.callbacks.BackupAndRestore(backup_dir)])
    assert resumed.epoch == [3, 4, 5]
    for key in ("loss", "val_loss"):
        np.testing.assert_array_equal(resumed.history[key], history.history[key][3:])
    for a, b in zip(again.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not backup_dir.exists()  # training ended: the backup and its folder are gone


def test_a_resumed_fit_reads_its_backup_once(tmp_path, monkeypatch) -> None:
    """fit asks the backup for its shuffle seed before it splits off the validation rows, then restores it: one
    read of the file serves both (a large model's backup was read twice)."""
    backup_dir = tmp_path / "backup"
    with pytest.raises(RuntimeError, match="stopped"):
        _fit(_model(), [fl.callbacks.BackupAndRestore(backup_dir), _Crash(2)])
    reads = []
    read = fl.io._read
    monkeypatch.setattr(fl.io, "_read", lambda path: reads.append(os.fspath(path)) or read(path))
    resumed = _fit(_model(), [fl.callbacks.BackupAndRestore(backup_dir)], epochs=3)
    assert resumed.epoch == [2] and reads == [os.fspath(backup_dir / "latest.fnl")]


def test_a_backup_taken_within_an_epoch_starts_that_epoch_again(tmp_path) -> None:
    model = _model(dropout=False)
    backup = fl.callbacks.BackupAndRestore(tmp_path, save_freq=4, delete_checkpoint=False)
    with pytest.raises(RuntimeError):
        _fit(model, [backup, _Crash(2)])
    # 36 training rows in batches of 8 make 5 steps an epoch: the last backup was at step 8, within epoch 1
    state = fl.io.load_training_state(_model(dropout=False), tmp_path / "latest.fnl")
    assert state == 1
    again = _model(dropout=False)
    history = _fit(again, [fl.callbacks.BackupAndRestore(tmp_path, save_freq=4)], epochs=4)
    assert history.epoch == [1, 2, 3]


def test_ctrl_c_keeps_the_backup_and_the_next_fit_goes_on(tmp_path) -> None:
    model = _model()
    with pytest.warns(RuntimeWarning, match="interrupted"):
        history = _fit(model, [fl.callbacks.BackupAndRestore(tmp_path), _Crash(2, KeyboardInterrupt)])
    assert history.epoch == [0, 1] and (tmp_path / "latest.fnl").is_file()
    assert _fit(model, [fl.callbacks.BackupAndRestore(tmp_path)], epochs=4).epoch == [2, 3]


def test_the_previous_backup_is_restored_when_the_latest_is_damaged(tmp_path) -> None:
    backup = fl.callbacks.BackupAndRestore(tmp_path, double_checkpoint=True)
    with pytest.raises(RuntimeError):
        _fit(_model(), [backup, _Crash(3)])
    assert sorted(os.listdir(tmp_path)) == ["latest.fnl", "latest.fnl.bkp"]
    (tmp_path / "latest.fnl").write_bytes(b"not a model file")
    with pytest.warns(RuntimeWarning, match="could not read its backup"):
        history = _fit(_model(), [fl.callbacks.BackupAndRestore(tmp_path, double_checkpoint=True)])
    assert history.epoch == [2, 3, 4, 5]


def test_a_model_with_its_own_train_step_resumes_too(tmp_path) -> None:
    from fnlearn import keras

    class Stepped(keras.Model):
        def train_step(self, data):
            return super().train_step(data)

    def make() -> keras.Model:
        fl.set_seed(5)
        inputs = keras.Input(shape=(5,))
        model = Stepped(inputs, keras.layers.Dense(1)(keras.layers.Dense(4, activation="tanh")(inputs)))
        model.compile(keras.optimizers.Adam(0.01), "mse")
        return model

    whole = make()
    _fit(whole, [], epochs=4)
    with pytest.raises(RuntimeError):
        _fit(make(), [keras_callbacks.BackupAndRestore(tmp_path), _Crash(2)], epochs=4)
    again = make()
    assert _fit(again, [keras_callbacks.BackupAndRestore(tmp_path)], epochs=4).epoch == [2, 3]
    for a, b in zip(again.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_number_of_epochs_run_after_an_interruption_is_kerass(tmp_path) -> None:
    from real_keras import real_keras

    keras = real_keras()
    from fnlearn import keras as ours

    x, y = np.arange(100, dtype="float32").reshape(5, 20) / 100, np.zeros((5, 10), "float32")
    runs = []
    for library, folder in ((keras, tmp_path / "theirs"), (ours, tmp_path / "ours")):
        model = library.Sequential([library.Input(shape=(20,)), library.layers.Dense(10)])
        model.compile(library.optimizers.SGD(), loss="mse")

        class Interrupting(library.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 3:
                    raise RuntimeError("Interrupting!")

        backup = library.callbacks.BackupAndRestore(backup_dir=str(folder))
        with pytest.raises(RuntimeError):
            model.fit(x, y, epochs=5, batch_size=5, callbacks=[backup, Interrupting()], verbose=0)
        history = model.fit(x, y, epochs=5, batch_size=5, callbacks=[backup], verbose=0)
        runs.append((len(history.history["loss"]), folder.exists()))
    assert runs[1] == runs[0] == (2, False)


def test_io_keeps_a_lambda_models_training_state_and_refuses_another_models_backup(tmp_path) -> None:
    fl.set_seed(0)
    model = fl.Sequential([fl.layers.Dense(3, input_dim=2), fl.layers.Lambda(lambda t: t * 2),
                           fl.layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(X[:, :2], Y, epochs=2, verbose=0)
    path = tmp_path / "state.fnl"
    fl.io.save_training_state(model, path)
    slots = [dict(s) for s in model.optimizer.state_dict()["state"]]
    model.fit(X[:, :2], Y, epochs=1, verbose=0)
    assert fl.io.load_training_state(model, path) == 2 and model.optimizer.iterations == 4  # 2 steps an epoch
    for now, then in zip(model.optimizer.state_dict()["state"], slots):
        for key in then:
            np.testing.assert_array_equal(now[key], then[key])
    other = _model(dropout=False)
    other.fit(X, Y, epochs=1, verbose=0)
    before = other.get_weights()
    with pytest.raises(ShapeError, match="do not fit this model"):
        fl.io.load_training_state(other, path)
    for a, b in zip(other.get_weights(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("settings, message", [
    ({"backup_dir": ""}, "needs backup_dir"),
    ({"backup_dir": "b", "save_freq": 0}, "save_freq must be 'epoch' or a number of batches"),
    ({"backup_dir": "b", "save_freq": True}, "save_freq must be 'epoch' or a number of batches"),
    ({"backup_dir": "b", "save_freq": "batch"}, "save_freq must be 'epoch' or a number of batches"),
])
def test_bad_settings_are_refused_in_one_sentence(settings, message) -> None:
    with pytest.raises(ConfigError, match=message):
        fl.callbacks.BackupAndRestore(**settings)


def test_attention_and_cell_dropout_streams_resume_where_they_were(tmp_path) -> None:
    from fnlearn import keras

    x = RNG.normal(size=(24, 4, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None]

    def make() -> keras.Model:
        fl.set_seed(11)
        inputs = keras.Input(shape=(4, 3))
        attended = keras.layers.MultiHeadAttention(num_heads=1, key_dim=2, dropout=0.4)(inputs, inputs)
        summary = keras.layers.RNN(keras.layers.SimpleRNNCell(3, dropout=0.4))(attended)
        model = keras.Model(inputs, keras.layers.Dense(1)(summary))
        model.compile(keras.optimizers.SGD(0.05), "mse")
        return model

    def fit(model: keras.Model, callbacks: list) -> fl.callbacks.History:
        return model.fit(x, y, batch_size=6, epochs=4, verbose=0, callbacks=callbacks)

    whole = make()
    fit(whole, [])
    with pytest.raises(RuntimeError):
        fit(make(), [fl.callbacks.BackupAndRestore(tmp_path), _Crash(2)])
    again = make()
    fit(again, [fl.callbacks.BackupAndRestore(tmp_path)])
    for a, b in zip(again.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_fit_without_shuffling_resumes_at_the_epoch_it_stopped(tmp_path) -> None:
    def fit(model: fl.Sequential, callbacks: list) -> fl.callbacks.History:
        return model.fit(X, Y, batch_size=8, epochs=4, shuffle=False, verbose=0, callbacks=callbacks)

    whole = _model(dropout=False)
    fit(whole, [])
    with pytest.raises(RuntimeError):
        fit(_model(dropout=False), [fl.callbacks.BackupAndRestore(tmp_path), _Crash(2)])
    again = _model(dropout=False)
    assert fit(again, [fl.callbacks.BackupAndRestore(tmp_path)]).epoch == [2, 3]
    for a, b in zip(again.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)
