"""Callbacks: code that ``fit`` runs at the start and end of training, of each epoch and of each batch.

The hooks and their arguments are Keras's, so Keras callbacks written as subclasses work unchanged:
``on_train_begin(logs)``, ``on_epoch_begin(epoch, logs)``, ``on_train_batch_begin(batch, logs)`` (``{}``),
``on_train_batch_end(batch, logs)`` (as in Keras 3, the running means of the loss and metrics since the epoch
began; ``step_logs = True`` on a callback gives it each batch's own instead), ``on_epoch_end(epoch, logs)``
(the epoch's mean loss and metrics, and ``val_*`` when validating), ``on_train_end(logs)``.
A callback stops training by setting ``self.model.stop_training = True``; ``fit`` stops after the
current batch.

Shipped here: :class:`History` (what ``fit`` returns), :class:`EarlyStopping`,
:class:`ModelCheckpoint`, :class:`BackupAndRestore`, :class:`LearningRateScheduler`, :class:`ReduceLROnPlateau`,
:class:`TerminateOnNaN`, :class:`CSVLogger`, :class:`LambdaCallback`, :class:`ProgbarLogger`, :class:`RemoteMonitor`
and :class:`GradientNormStopping` — the lecture's own rule, "stop when the gradient is (nearly) zero";
:class:`CallbackList` runs them, in ``fit`` and in a training loop of one's own.

Example:
    >>> import fnlearn as fl, numpy as np
    >>> fl.set_seed(0)
    >>> model = fl.Sequential([fl.layers.Dense(1, input_dim=1)])
    >>> model.compile("sgd", "mse")
    >>> x = np.linspace(-1, 1, 20).reshape(-1, 1); y = 3 * x
    >>> h = model.fit(x, y, epochs=50, verbose=0,
    ...               callbacks=[fl.callbacks.EarlyStopping(monitor="loss", patience=2)])
    >>> len(h.history["loss"]) <= 50
    True
"""

from __future__ import annotations

import inspect
import math
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from . import backend
from .errors import (
    ConfigError,
    DataError,
    ModelFileError,
    arguments_checked,
    reject_foreign,
    reject_unexpected_arguments,
    unknown_name,
)


class Callback:
    """Base class: every hook does nothing. Override the ones you need.

    ``self.model`` is the model being trained and ``self.params`` holds ``epochs``, ``steps``
    (batches per epoch), ``batch_size``, ``samples`` and ``verbose``.

    As in Keras 3, ``on_train_batch_end`` and ``on_test_batch_end`` get the running means of the loss and of
    each metric since the epoch (or evaluation) began, ``on_predict_batch_end`` gets ``{"outputs": ...}``, and
    the ``*_batch_begin`` hooks get ``{}``. A callback that records every step (such as
    :class:`fnlearn.explain.Trace`) sets the class attribute ``step_logs = True``: its ``on_train_batch_end``
    then gets that batch's own loss and metric values instead of the running means.

    >>> import fnlearn as fl, numpy as np
    >>> seen = []
    >>> class Losses(Callback):
    ...     step_logs = True  # each batch's own loss, not the running mean
    ...     def on_train_batch_end(self, batch, logs=None):
    ...         seen.append(logs["loss"])
    >>> model = fl.Sequential([fl.layers.Dense(1, input_dim=1, kernel_initializer="zeros")])
    >>> model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((4, 1)), np.ones(4), batch_size=2, shuffle=False, verbose=0, callbacks=[Losses()])
    >>> seen[0], seen[1] < seen[0]
    (1.0, True)
    """

    step_logs: bool = False

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def _check_fit(self, model: Any) -> None:
        """Raise ConfigError if this callback cannot work with ``model``; called before fit changes anything."""

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.on_batch_end(batch, logs)

    # Keras 2 names of the two hooks above, still used by older notebooks
    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_test_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        pass


def _overrides(callback: Callback, *names: str) -> bool:
    """True when the callback does something in one of these hooks (so per-batch work can be skipped)."""
    for name in names:
        if name in vars(callback) or getattr(type(callback), name) is not getattr(Callback, name):
            return True
    return False


def callbacks_given(callbacks: Any) -> list[Any]:
    """``callbacks=`` as a flat list: one callback, a list of them (nested lists flattened, as Keras does), a
    :class:`CallbackList`, or None."""
    if callbacks is None or isinstance(callbacks, Callback):
        return [] if callbacks is None else [callbacks]
    if isinstance(callbacks, (list, tuple, CallbackList)):
        return [cb for item in callbacks for cb in callbacks_given(item)]
    return [callbacks]  # not a callback: CallbackList refuses it in one sentence


class CallbackList:
    """Calls each hook on every callback, in order: what ``fit`` runs its callbacks through, and Keras's
    ``keras.callbacks.CallbackList`` for a training loop of one's own. Batch hooks reach only callbacks that define
    them, so a fit without batch callbacks pays nothing per batch.

    Args:
        callbacks: the callbacks (nested lists are flattened, as Keras does).
        add_history: add a :class:`History` unless one is given; the list's History becomes ``model.history``.
        add_progbar: add a :class:`ProgbarLogger` unless one is given.
        model: the model every callback gets through ``set_model``.
        **params: what every callback gets through ``set_params`` (``epochs``, ``steps``, ``verbose``...).

    >>> import fnlearn as fl
    >>> model = fl.Sequential([fl.layers.Dense(1, input_dim=2)])
    >>> callbacks = CallbackList([EarlyStopping(monitor="loss")], add_history=True, model=model, epochs=2)
    >>> callbacks.on_train_begin(); callbacks.on_epoch_end(0, {"loss": 0.5}); callbacks.on_train_end()
    >>> model.history.history
    {'loss': [0.5]}
    """

    def __init__(self, callbacks: Iterable[Callback] | None = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any) -> None:
        self.callbacks: list[Callback] = []
        for cb in callbacks_given(callbacks):
            if not isinstance(cb, Callback):
                reject_foreign("callback", cb)
                raise ConfigError(f"callbacks must be fl.callbacks.Callback objects, got {type(cb).__name__}; "
                                  "subclass fl.callbacks.Callback or use LambdaCallback(on_epoch_end=...).")
            self.callbacks.append(cb)
        if add_history and not any(isinstance(cb, History) for cb in self.callbacks):
            self.callbacks.append(History())
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        self.model = model
        self.params = params
        for cb in self.callbacks:
            if model is not None:
                cb.set_model(model)
            cb.set_params(self.params)
        history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if model is not None and history is not None:  # as Keras: the list's History is the model's
            model.history = history
        self._batch_begin = [cb for cb in self.callbacks if _overrides(cb, "on_train_batch_begin", "on_batch_begin")]
        self._batch_end = [cb for cb in self.callbacks if _overrides(cb, "on_train_batch_end", "on_batch_end")]
        self._step_loggers = [cb for cb in self._batch_end if getattr(cb, "step_logs", False)]
        # evaluate's and predict's batch hooks, by kind ("test", "predict"): only the callbacks that define one
        self._batches = {kind: [cb for cb in self.callbacks
                                if _overrides(cb, f"on_{kind}_batch_begin", f"on_{kind}_batch_end")]
                         for kind in ("test", "predict")}

    def __iter__(self) -> Any:
        # fit(callbacks=a CallbackList) runs the callbacks it holds, as Keras's fit takes one
        return iter(self.callbacks)

    def set_model(self, model: Any) -> None:
        """Give every callback ``model`` (Keras's ``set_model``)."""
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict[str, Any]) -> None:
        """Give every callback ``params`` (Keras's ``set_params``: ``epochs``, ``steps``, ``verbose``...)."""
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    @property
    def shows_progress(self) -> bool:
        """Whether a :class:`ProgbarLogger` draws the progress, in place of fit's own."""
        return any(isinstance(cb, ProgbarLogger) for cb in self.callbacks)

    def check_fit(self, model: Any) -> None:
        """Let every callback refuse ``model`` before fit changes anything."""
        for cb in self.callbacks:
            cb._check_fit(model)

    @property
    def wants_batch_logs(self) -> bool:
        return bool(self._batch_begin or self._batch_end)

    @property
    def wants_batch_begin(self) -> bool:
        return bool(self._batch_begin)

    @property
    def wants_batch_end(self) -> bool:
        """Whether a callback has on_train_batch_end (or on_batch_end): fit then makes the running logs per batch."""
        return bool(self._batch_end)

    @property
    def wants_step_logs(self) -> bool:
        """Whether a callback wants each batch's own values (``Callback.step_logs``), not only the running means."""
        return bool(self._step_loggers)

    def batch_hooks(self, kind: str) -> list[Callback]:
        """The callbacks with a batch hook of ``evaluate`` (``kind="test"``) or ``predict`` (``"predict"``):
        those loops call on_{kind}_batch_begin / _end on these alone (nothing per batch when there are none).

        >>> class Count(Callback):
        ...     def on_test_batch_end(self, batch, logs=None): pass
        >>> [type(cb).__name__ for cb in CallbackList([Count(), History()]).batch_hooks("test")]
        ['Count']
        """
        return self._batches[kind]

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        for cb in self._batch_begin:
            cb.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None,
                           step_logs: dict[str, Any] | None = None) -> None:
        """Call on_train_batch_end with ``logs`` (the running means); a callback with ``step_logs = True`` gets
        ``logs`` updated with ``step_logs``, the batch's own loss and function metrics, when fit gives them."""
        own = None
        for cb in self._batch_end:
            if step_logs is not None and any(cb is s for s in self._step_loggers):
                if own is None:
                    own = {**(logs or {}), **step_logs}
                cb.on_train_batch_end(batch, own)
            else:
                cb.on_train_batch_end(batch, logs)

    def __getattr__(self, name: str) -> Callable[..., None]:
        # the test/predict hooks: forwarded to every callback
        if name.startswith(("on_test_", "on_predict_")):
            def call(*args: Any) -> None:
                for cb in self.callbacks:
                    getattr(cb, name)(*args)
            return call
        raise AttributeError(name)


# ----------------------------------------------------------------------------- History


class History(Callback):
    """The record of a training run: ``history.history["loss"]`` is the list of epoch losses, one key per
    loss/metric (``val_`` prefix for validation); ``history.epoch`` the epoch numbers (from 0).

    >>> h = History(); h.set_model(None); h.on_train_begin()
    >>> h.on_epoch_end(0, {"loss": 0.5}); h.on_epoch_end(1, {"loss": 0.25}); h.history
    {'loss': [0.5, 0.25]}
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self

    def plot(self, metrics: Iterable[str] | None = None, path: str | os.PathLike | None = None) -> Any:
        """Draw each loss/metric per epoch, training next to validation; returns the matplotlib Figure.

        ``metrics`` picks which (default: all, loss first); ``path`` also writes the figure (.png, .svg,
        .pdf) atomically. matplotlib is imported only here.
        """
        from .explain.curves import training_curves

        base = [k for k in self.history if not k.startswith("val_")]
        base += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in base]
        if metrics is not None:
            wanted = [metrics] if isinstance(metrics, str) else list(metrics)
            for name in wanted:
                if name not in base:
                    raise unknown_name("history key", name, base)
            base = wanted
        if not base or not any(self.history.get(k) for k in base):
            raise DataError("this History has no epochs recorded; train with model.fit(...) before plotting.")
        base.sort(key=lambda k: k != "loss")
        chosen = {name: self.history[name] for key in base for name in (key, "val_" + key) if self.history.get(name)}
        shown = History()
        shown.history, shown.epoch = chosen, list(self.epoch)  # drawn from 1, as fit prints them
        return training_curves(shown).plot(path)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"


# ----------------------------------------------------------------------------- monitoring helpers


def _monitor_mode(monitor: str, mode: str, who: str) -> str:
    """"min" or "max": ``auto`` means max for accuracies, min for everything else (as Keras)."""
    if mode not in ("auto", "min", "max"):
        raise unknown_name(f"{who} mode", mode, ["auto", "min", "max"])
    if mode != "auto":
        return mode
    return "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"


def _metric_mode(model: Any, monitor: str) -> str | None:
    """"max" or "min" as the compiled metric ``monitor`` names says (Keras's ``_direction``: Precision, Recall
    and AUC are better up, RootMeanSquaredError down), None when it says nothing."""
    name = monitor[len("val_"):] if monitor.startswith("val_") else monitor
    for key, metric in zip(getattr(model, "_metric_keys", ()), getattr(model, "_metrics", ())):
        if key == name:
            return {"up": "max", "down": "min"}.get(getattr(metric, "_direction", None))
    return None


class _Monitor(Callback):
    """A callback watching one log entry; with ``mode="auto"`` the metric's own direction decides when it has
    one (Keras's rule), else the name does (accuracies and AUCs up, the rest down)."""

    monitor = "val_loss"
    _auto_mode = False

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        if self._auto_mode:
            self.mode = _metric_mode(model, self.monitor) or _monitor_mode(self.monitor, "auto", type(self).__name__)


def _better(current: float, reference: float | None, mode: str, min_delta: float = 0.0) -> bool:
    if reference is None:
        return True
    if mode == "min":
        return current < reference - min_delta
    return current > reference + min_delta


def _monitored(logs: dict[str, Any] | None, monitor: str, who: str) -> float | None:
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{who} monitors {monitor!r}, which is not in the logs (available: "
                      f"{', '.join(sorted(logs or {})) or 'none'}); pass validation data for val_* keys or pick "
                      "one of those.", RuntimeWarning, stacklevel=3)
        return None
    size = int(getattr(value, "size", 1))  # the logs hold floats, and NumPy arrays for several values
    if size != 1:
        raise ConfigError(f"{who} monitors {monitor!r}, whose value is an array of {size} numbers (one per class or "
                          "threshold), but it needs one number; monitor a metric with one value, such as "
                          "F1Score(average='macro') or Precision() with a single threshold.")
    return float(value.reshape(()) if getattr(value, "ndim", 0) else value)


def _non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{name} must be an integer ≥ 0, got {value!r}.")
    return value


def _make_parent(path: str | os.PathLike[str]) -> None:
    # os, not pathlib: pathlib and the modules it loads were 0.6 MiB of every fnlearn process's peak memory
    folder = os.path.dirname(os.fspath(path))
    if folder:
        os.makedirs(folder, exist_ok=True)


# ----------------------------------------------------------------------------- EarlyStopping


@arguments_checked
class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Keras's rules: ``mode="auto"`` maximises accuracies and minimises the rest; ``baseline`` must be
    beaten before patience starts to reset; ``restore_best_weights`` puts back the weights of the best
    epoch when training ends. ``stopped_epoch`` and ``best_epoch`` tell what happened.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = _non_negative_int("patience", patience)
        self.verbose = verbose
        self.mode = _monitor_mode(monitor, mode, "EarlyStopping")
        self._auto_mode = mode == "auto"
        self.baseline = None if baseline is None else float(baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _non_negative_int("start_from_epoch", start_from_epoch)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: dict[str, Any] | None = None

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        current = _monitored(logs, self.monitor, "EarlyStopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.state_dict()
            self.best_epoch = epoch
        self.wait += 1
        if _better(current, self.best, self.mode, self.min_delta):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            if self.baseline is None or _better(current, self.baseline, self.mode):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)


# ----------------------------------------------------------------------------- ModelCheckpoint


@arguments_checked
class ModelCheckpoint(_Monitor):
    """Save the model after each epoch with ``model.save`` (one atomic file).

    ``filepath`` may hold ``{epoch}`` (counted from 1) and log keys, e.g. ``"m-{epoch:02d}-{val_loss:.3f}.fnl"``.
    ``save_best_only`` saves only when ``monitor`` improves; ``save_weights_only`` leaves the optimizer
    state out of the file (``model.save(path, include_optimizer=False)``). ``best`` holds the best value.
    ``save_freq=N`` (an integer) saves every N batches instead, as Keras does; ``filepath`` may then hold
    ``{batch}`` too (the batch within its epoch, from 1).
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None) -> None:
        super().__init__()
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0):
            raise ConfigError(f"ModelCheckpoint save_freq must be 'epoch' or a number of batches ≥ 1, got "
                              f"{save_freq!r}.")
        self.save_freq = save_freq
        if save_freq != "epoch":
            # an instance hook: a checkpoint per epoch keeps fit's batches free of per-batch work
            self.on_train_batch_end = self._save_every_n_batches
            self._epoch, self._batches_since = 0, 0
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = _monitor_mode(monitor, mode, "ModelCheckpoint")
        self._auto_mode = mode == "auto"
        self.best: float | None = None if initial_value_threshold is None else float(initial_value_threshold)

    def _path(self, epoch: int, logs: dict[str, Any], batch: int | None = None) -> str:
        fields = {"epoch": epoch + 1, **({} if batch is None else {"batch": batch + 1}), **logs}
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"ModelCheckpoint filepath {self.filepath!r} could not be filled in ({exc!r}); it "
                              f"may use these keys: {', '.join(sorted(fields))}.") from None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def _save_every_n_batches(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._batches_since += 1
        if self._batches_since >= self.save_freq:
            self._batches_since = 0
            self._save(self._epoch, dict(logs or {}), batch)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _save(self, epoch: int, logs: dict[str, Any], batch: int | None = None) -> None:
        path = self._path(epoch, logs, batch)
        if self.save_best_only:
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            if current is None or not math.isfinite(current) or not _better(current, self.best, self.mode):
                if self.verbose and current is not None:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {_five(self.best)}")
                return
            if self.verbose:
                start = self.best if self.best is not None else (math.inf if self.mode == "min" else -math.inf)
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {_five(start)} to {_five(current)}, saving "
                      f"model to {path}")
            self.best = current
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        _make_parent(path)
        self.model.save(path, include_optimizer=not self.save_weights_only)


class BackupAndRestore(Callback):
    """Back up the training state at the end of every epoch (or every ``save_freq`` batches), and put it back when
    ``fit`` starts again after an interruption, as Keras's callback does: a program that crashed or was stopped
    runs again, and its ``fit`` goes on from the last backup instead of from epoch 0.

    The backup (``backup_dir/latest.fnl``, written atomically by :func:`fnlearn.io.save_training_state`) holds the
    weights, the optimizer's state, the dropout streams' positions, the shuffle seed and the epochs done: a fit
    resumed from a backup taken at the end of an epoch trains exactly as the uninterrupted one, same shuffles, same
    validation split, same weights. A backup taken within an epoch (``save_freq=N``) holds that step's weights and
    the epochs done before it; the resumed fit starts that epoch again (Keras's rule). ``double_checkpoint=True``
    keeps the previous backup as well (``latest.fnl.bkp``), used when the latest cannot be read. When training
    ends (all epochs, or a callback's stop), ``delete_checkpoint=True`` removes the backup and then the folder if
    nothing else is in it (Keras removes the whole folder); an interrupted fit (Ctrl-C, an exception) keeps it.

    >>> import fnlearn as fl, numpy as np, tempfile
    >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=2)]); m.compile("sgd", "mse")
    >>> backup = fl.callbacks.BackupAndRestore(tempfile.mkdtemp())
    >>> len(m.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=3, verbose=0, callbacks=[backup]).history["loss"])
    3
    """

    def __init__(self, backup_dir: str | os.PathLike[str], save_freq: str | int = "epoch",
                 double_checkpoint: bool = False, delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise ConfigError(f"BackupAndRestore needs backup_dir, a folder of its own for the backup; got "
                              f"{backup_dir!r}. Pass a path such as '/tmp/backup'.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0):
            raise ConfigError(f"BackupAndRestore save_freq must be 'epoch' or a number of batches ≥ 1, got "
                              f"{save_freq!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._latest = os.path.join(self.backup_dir, "latest.fnl")
        self._previous = self._latest + ".bkp"
        self._epochs_done = 0
        if save_freq != "epoch":
            # an instance hook: a backup per epoch keeps fit's batches free of per-batch work
            self.on_train_batch_end = self._back_up_every_n_batches
            self._batches_since = 0

    def shuffle_seed(self) -> int | None:
        """The shuffle seed of the backup that ``fit`` will restore, or None: ``fit`` reads it before it draws the
        validation split, so a resumed fit holds out the rows the interrupted one held out."""
        from . import io

        for path in self._backups():
            try:
                file = io._read(path)
                seed = io._training_state(file)[0]
            except ModelFileError:
                continue
            self._read_backup = (path, file)  # on_train_begin restores from it: the file is read once
            return seed
        return None

    def _backups(self) -> list[str]:
        paths = [self._latest] + ([self._previous] if self.double_checkpoint else [])
        return [path for path in paths if os.path.isfile(path)]

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        from . import io

        backups = self._backups()
        read, self._read_backup = getattr(self, "_read_backup", None), None
        for i, path in enumerate(backups):
            try:
                self._epochs_done = io.load_training_state(self.model, read[1] if read and read[0] == path else path)
            except ModelFileError:
                if i + 1 == len(backups):
                    raise
                warnings.warn(f"BackupAndRestore could not read its backup {path!r}; restoring the previous one.",
                              RuntimeWarning, stacklevel=2)
                continue
            self.model._initial_epoch = self._epochs_done  # the epoch fit starts from, as in Keras
            return
        self._epochs_done = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epochs_done = epoch + 1
        if self.save_freq == "epoch":
            self._back_up()

    def _back_up_every_n_batches(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._batches_since += 1
        if self._batches_since >= self.save_freq:
            self._batches_since = 0
            self._back_up()

    def _back_up(self) -> None:
        from . import io

        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.isfile(self._latest):
            os.replace(self._latest, self._previous)
        epochs_trained = getattr(self.model, "epochs_trained", 0)
        self.model.epochs_trained = self._epochs_done  # within an epoch: the epochs done before it
        try:
            io.save_training_state(self.model, self._latest)
        finally:
            self.model.epochs_trained = epochs_trained

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if not self.delete_checkpoint or getattr(self.model, "_fit_interrupted", False):
            return
        for path in (self._latest, self._previous):
            if os.path.isfile(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)  # only when nothing else is in it
        except OSError:
            pass


def _five(value: float | None) -> str:
    """A monitored value as Keras prints it in checkpoint messages (5 decimals)."""
    return "None" if value is None else f"{value:.5f}"


# ----------------------------------------------------------------------------- LearningRateScheduler


@arguments_checked
class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch: ``schedule(epoch, lr) -> new lr`` (epochs from 0).

    A one-argument ``schedule(epoch)`` works too, so an engine schedule such as
    ``fl.optim.schedules.StepDecay(0.1, drop_every=10)`` applies per epoch here. The rate used is added to
    the epoch's logs as ``learning_rate``.

    >>> sched = LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    """

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise ConfigError(f"LearningRateScheduler needs a function schedule(epoch, lr) -> lr, got {schedule!r}.")
        self.schedule = schedule
        self.verbose = verbose
        self._two_args = _accepts_two_args(schedule)

    def _check_fit(self, model: Any) -> None:
        _refuse_schedule(model.optimizer, "LearningRateScheduler")

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        lr = optimizer.current_learning_rate()
        new = self.schedule(epoch, lr) if self._two_args else self.schedule(epoch)
        try:
            new = float(new)
        except (TypeError, ValueError):
            new = float("nan")
        if not math.isfinite(new) or new <= 0:
            raise ConfigError(f"LearningRateScheduler: the schedule returned {new!r} at epoch {epoch}; it must "
                              "return a finite learning rate > 0.")
        optimizer.learning_rate = new
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = self.model.optimizer.current_learning_rate()


@arguments_checked
class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by more than ``min_delta``
    for ``patience`` epochs; wait ``cooldown`` epochs after a cut before counting again; never go below
    ``min_lr``. Keras's rules and defaults; the rate in use is added to the epoch's logs as ``learning_rate``.

    >>> cut = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__()
        if "epsilon" in kwargs:  # Keras 2's name for min_delta
            min_delta = kwargs.pop("epsilon")
        reject_unexpected_arguments("ReduceLROnPlateau", kwargs, ["monitor", "factor", "patience", "verbose", "mode",
                                                                 "min_delta", "cooldown", "min_lr"])
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0.0 < factor < 1.0:
            raise ConfigError(f"ReduceLROnPlateau factor must be a number between 0 and 1 (the rate is multiplied "
                              f"by it), got {factor!r}; e.g. factor=0.1.")
        if isinstance(min_lr, bool) or not isinstance(min_lr, (int, float)) or not min_lr >= 0.0:
            raise ConfigError(f"ReduceLROnPlateau min_lr must be a number ≥ 0, got {min_lr!r}.")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = _non_negative_int("patience", patience)
        self.verbose = verbose
        self.mode = _monitor_mode(monitor, mode, "ReduceLROnPlateau")
        self._auto_mode = mode == "auto"
        self.min_delta = abs(float(min_delta))
        self.cooldown = _non_negative_int("cooldown", cooldown)
        self.min_lr = float(min_lr)

    def _check_fit(self, model: Any) -> None:
        _refuse_schedule(model.optimizer, "ReduceLROnPlateau")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.best: float | None = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = optimizer.current_learning_rate()
        current = _monitored(logs, self.monitor, "ReduceLROnPlateau")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if _better(current, self.best, self.mode, self.min_delta):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            lr = optimizer.current_learning_rate()
            if self.wait >= self.patience and lr > self.min_lr:
                new = max(lr * self.factor, self.min_lr)
                optimizer.learning_rate = new
                if self.verbose:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0


def _refuse_schedule(optimizer: Any, callback: str) -> None:
    """A callback that sets the learning rate would silently replace a schedule's rate with a constant."""
    lr = getattr(optimizer, "schedule", None)
    if lr is not None:
        raise ConfigError(f"{callback} sets the learning rate, but this optimizer follows a schedule "
                          f"({type(lr).__name__}) that it would replace with a constant; use one or the other "
                          "(Keras refuses this too).")


def _accepts_two_args(fn: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    positional = [p for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values())


# ----------------------------------------------------------------------------- TerminateOnNaN


class TerminateOnNaN(Callback):
    """Stop training when a batch loss is NaN or infinite.

    ``fit`` already does this by default (``terminate_on_nan=True``), and more carefully: it checks the
    loss *before* applying the step, so the weights of the last finite step are kept. This callback is
    Keras's version (it checks after the step) for code that lists it explicitly.
    """

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: invalid loss {loss}, terminating training")
            self.model.stop_training = True


# ----------------------------------------------------------------------------- SwapEMAWeights


class SwapEMAWeights(Callback):
    """Evaluate with the optimizer's moving averages of the weights, Keras's ``keras.callbacks.SwapEMAWeights``:
    with an optimizer made with ``use_ema=True``, fit's validation, ``evaluate`` and ``predict`` run on the averaged
    weights, and training goes on from its own weights afterwards. ``swap_on_epoch=True`` also puts the averages in
    the model at each epoch's end, for the callbacks listed after this one (a ``ModelCheckpoint`` then saves the
    averaged model), and takes them out at the next epoch's start. ``predict`` gives the training weights back at
    its end (Keras 3.15's leaves the averages in the model).

    >>> import fnlearn as fl, numpy as np
    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    >>> model.compile(keras.optimizers.SGD(0.1, use_ema=True), "mse")
    >>> history = model.fit(np.ones((4, 1)), np.ones((4, 1)), validation_split=0.5, epochs=2, verbose=0,
    ...                     callbacks=[keras.callbacks.SwapEMAWeights()])
    >>> sorted(history.history)
    ['loss', 'val_loss']
    """

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        if not isinstance(swap_on_epoch, bool):
            raise ConfigError(f"SwapEMAWeights swap_on_epoch must be True or False, got {swap_on_epoch!r}.")
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self) -> Any:
        """The model's optimizer, refused in one sentence when it keeps no moving averages."""
        optimizer = getattr(self.model, "optimizer", None)
        if not getattr(optimizer, "use_ema", False):
            raise ConfigError("SwapEMAWeights swaps in the optimizer's moving averages of the weights, but the "
                              f"model's optimizer ({type(optimizer).__name__ if optimizer is not None else 'none'}) "
                              "keeps none; compile it with an optimizer made with use_ema=True, e.g. "
                              "keras.optimizers.Adam(use_ema=True).")
        return optimizer

    def _swap(self) -> None:
        optimizer = self._optimizer()
        for param, state in zip(optimizer.params or (), optimizer.state):
            average = state.get("average")
            if average is not None:  # none before the first step: the weights are their own average
                kept = param.data.copy()
                param.data[...] = average
                average[...] = kept
        self._ema_weights_in_model = not self._ema_weights_in_model

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._optimizer()  # refused before the first step, not at the first validation
        self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap()
            if epoch == self.params.get("epochs", 0) - 1:
                # fit ends by putting the averages in the model: after the swap they hold the training weights
                optimizer = self._optimizer()
                for param, state in zip(optimizer.params or (), optimizer.state):
                    if state.get("average") is not None:
                        state["average"][...] = param.data

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._ema_weights_in_model:
            self._swap()

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._ema_weights_in_model:
            self._swap()

    on_predict_begin = on_test_begin
    on_predict_end = on_test_end


# ----------------------------------------------------------------------------- CSVLogger


@arguments_checked
class CSVLogger(Callback):
    """Write one row per epoch (``epoch`` and every log key) to a CSV file, flushed to disk each epoch,
    so an interrupted run leaves every finished epoch readable.

    >>> logger = CSVLogger("training.csv")  # doctest: +SKIP
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._file: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        import csv  # here, not at the top: only a CSV log needs it, and every import of fnlearn would pay

        has_rows = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self.keys = None
        self._write_header = not has_rows
        if has_rows:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            self.keys = header[1:] if header else None
        _make_parent(self.filename)
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        if self._write_header:
            self._writer.writerow(["epoch", *self.keys])
            self._write_header = False
        self._writer.writerow([epoch, *(_csv_value(logs.get(k, "NA")) for k in self.keys)])
        self._file.flush()
        os.fsync(self._file.fileno())

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _csv_value(value: Any) -> Any:
    if getattr(value, "ndim", 0):  # one value per class or threshold: a list in one cell
        return "[" + ", ".join(repr(float(v)) for v in value.ravel()) + "]"
    return repr(float(value)) if isinstance(value, float) else value


# ----------------------------------------------------------------------------- ProgbarLogger, RemoteMonitor


class ProgbarLogger(Callback):
    """Keras's ``ProgbarLogger``: the progress bar as a callback, for a training loop of one's own run through a
    :class:`CallbackList` (``add_progbar=True`` adds one), or in ``fit`` in place of its own bar.

    It reads ``verbose``, ``epochs`` and ``steps`` from the params the loop gives (``set_params``); each epoch it
    prints ``Epoch i/n`` (when there are several), then a :class:`fnlearn.progress.Progbar` of the batches with the
    logs as the loop gives them (fit's are running means: shown as they are). ``evaluate`` and ``predict`` draw a
    bar too, unless it runs inside ``fit``, whose validation stays silent, as in Keras.

    >>> import fnlearn as fl, numpy as np
    >>> model = fl.Sequential([fl.layers.Dense(1, input_dim=1)]); model.compile("sgd", "mse")
    >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), batch_size=2, verbose=2, callbacks=[ProgbarLogger()])
    ... # doctest: +ELLIPSIS
    2/2 - ... - loss: ...
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen, self.target, self.verbose, self.epochs = 0, None, 1, 1
        self.progbar: Any = None
        self._called_in_fit = False

    def set_params(self, params: dict[str, Any]) -> None:
        from .progress import check_verbose

        super().set_params(params)
        self.verbose = check_verbose(params.get("verbose", 1))
        self.epochs, self.target = params.get("epochs", 1), params.get("steps")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._called_in_fit = True

    def _reset(self) -> None:
        self.seen, self.progbar = 0, None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._reset()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._update(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._finish(logs)

    def on_test_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._reset()

    def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._update(batch, logs)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        if not self._called_in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._reset()

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._update(batch, None)  # the predictions are no logs to show

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        self._finish(None)

    def _bar(self, logs: dict[str, Any] | None) -> Any:
        from .progress import Progbar

        if self.progbar is None:
            self.progbar = Progbar(self.target, verbose=self.verbose)
        self.progbar.stateful_metrics.update(logs or ())  # the loop's logs are shown as given, not averaged again
        return self.progbar

    def _update(self, batch: int, logs: dict[str, Any] | None) -> None:
        self.seen = batch + 1
        if self.verbose == 1:
            self._bar(logs).update(self.seen, list((logs or {}).items()), finalize=False)

    def _finish(self, logs: dict[str, Any] | None) -> None:
        bar = self._bar(logs)
        if bar.target is None:  # steps not known ahead: the count seen is the whole
            bar.target = self.seen
        bar.update(bar.target, list((logs or {}).items()), finalize=True)
        self._reset()


class RemoteMonitor(Callback):
    """Keras's ``RemoteMonitor``: after every epoch, POST the epoch and its logs to a server, e.g. a live dashboard.

    The payload is ``{"epoch": 3, "loss": 0.12, ...}``, sent as JSON (``send_as_json=True``) or, as Keras sends it by
    default, as a form whose ``field`` holds the JSON. A server that cannot be reached (or answers with an error)
    gives a warning, and training goes on. Python's own ``urllib`` sends it: no other package is needed.

    Args:
        root: the server, with its scheme: ``"http://localhost:9000"``.
        path: the path on it the logs are posted to.
        field: the form field holding the JSON (unless ``send_as_json``).
        headers: extra HTTP headers, a dict.
        send_as_json: post ``application/json`` instead of a form.
        timeout: seconds to wait for the server before warning and going on (Keras waits as long as it takes).

    >>> monitor = RemoteMonitor("http://localhost:9000", send_as_json=True)
    >>> monitor.root + monitor.path
    'http://localhost:9000/publish/epoch/end/'
    """

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/", field: str = "data",
                 headers: dict[str, str] | None = None, send_as_json: bool = False, timeout: float = 5.0) -> None:
        super().__init__()
        if not isinstance(root, str) or not root.startswith(("http://", "https://")):
            raise ConfigError(f"RemoteMonitor got root={root!r}; give the server's address with its scheme, e.g. "
                              "'http://localhost:9000'.")
        if not isinstance(path, str) or not isinstance(field, str):
            raise ConfigError(f"RemoteMonitor got path={path!r} and field={field!r}; give both as strings, e.g. "
                              "path='/publish/epoch/end/', field='data'.")
        if headers is not None and not (isinstance(headers, dict)
                                        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())):
            raise ConfigError(f"RemoteMonitor got headers={headers!r}; give a dict of header names to string values, "
                              "e.g. {'Authorization': 'Bearer ...'}.")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ConfigError(f"RemoteMonitor got timeout={timeout!r}; give the seconds to wait, a number > 0.")
        self.root, self.path, self.field, self.headers = root, path, field, headers
        self.send_as_json, self.timeout = send_as_json, float(timeout)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        import json
        import urllib.error
        import urllib.parse
        import urllib.request

        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.tolist() if hasattr(value, "tolist") else value  # NumPy numbers as plain ones
        if self.send_as_json:
            body, kind = json.dumps(send).encode(), "application/json"
        else:
            body, kind = urllib.parse.urlencode({self.field: json.dumps(send)}).encode(), \
                "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.root + self.path, data=body, method="POST",
                                         headers={"Content-Type": kind, **(self.headers or {})})
        try:
            urllib.request.urlopen(request, timeout=self.timeout).close()
        except urllib.error.HTTPError as error:
            warnings.warn(f"RemoteMonitor's server at {self.root} answered {error.code} {error.reason} to the logs "
                          f"of epoch {epoch + 1}; training goes on.", stacklevel=2)
        except (urllib.error.URLError, OSError) as error:
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root} ({error}); training goes on.",
                          stacklevel=2)


# ----------------------------------------------------------------------------- LambdaCallback


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch))``.

    Accepts ``on_train_begin(logs)``, ``on_train_end(logs)``, ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``
    and the Keras 2 names ``on_batch_begin`` / ``on_batch_end``.
    """

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
              "on_train_batch_end", "on_batch_begin", "on_batch_end")

    def __init__(self, **hooks: Callable[..., Any] | None) -> None:
        super().__init__()
        for name, fn in hooks.items():
            if name not in self._HOOKS:
                raise unknown_name("LambdaCallback hook", name, self._HOOKS)
            if fn is not None:
                if not callable(fn):
                    raise ConfigError(f"LambdaCallback {name} must be a function, got {fn!r}.")
                setattr(self, name, fn)


# ----------------------------------------------------------------------------- GradientNormStopping


@arguments_checked
class GradientNormStopping(Callback):
    """The lecture's stopping rule: stop when the gradient is (nearly) zero, ‖∇L‖ < ``threshold``.

    The norm is the Euclidean norm of all parameters' gradients taken together, read from each
    parameter's ``.grad`` after every step. ``mode`` says which gradient:

    - ``"mean"`` (default): the epoch's batch gradients averaged (weighted by batch size). Within an epoch
      that approximates the gradient of the loss over the whole training set, which is what the rule is
      about; single mini-batch gradients stay noisy even at a minimum.
    - ``"last"``: the gradient of the epoch's last step (cheaper; exact for full-batch training, where
      ``batch_size`` ≥ the number of samples and both modes agree).

    The norm is added to the epoch's logs as ``grad_norm``; ``stopped_epoch`` tells when it stopped.
    """

    def __init__(self, threshold: float = 1e-3, mode: str = "mean", verbose: int = 0) -> None:
        super().__init__()
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold > 0:
            raise ConfigError(f"GradientNormStopping threshold must be a number > 0, got {threshold!r}.")
        if mode not in ("mean", "last"):
            raise unknown_name("GradientNormStopping mode", mode, ["mean", "last"])
        self.threshold = float(threshold)
        self.mode = mode
        self.verbose = verbose
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._params = self.model.parameters()
        self.stopped_epoch = None

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._sum: list[Any] | None = None
        self._weight = 0
        self._last: list[Any] | None = None

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        grads = [p.grad for p in self._params]
        if self.mode == "last":
            self._last = grads
            return
        n = self._batch_size(batch)
        if self._sum is None:
            self._sum = [None if g is None else g * n for g in grads]
        else:
            for i, g in enumerate(grads):
                if g is not None:
                    self._sum[i] = g * n if self._sum[i] is None else self._sum[i] + g * n
        self._weight += n

    def _batch_size(self, batch: int) -> int:
        """The rows of training batch ``batch``: fit's batches are full but for the epoch's last one (the logs,
        as Keras's, do not say)."""
        size, samples = self.params.get("batch_size"), self.params.get("samples")
        if not size or samples is None:
            return 1
        return max(min(size, samples - batch * size), 1)

    def gradient_norm(self) -> float | None:
        """‖∇L‖ over this epoch so far, as chosen by ``mode`` (None before the first step)."""
        xp = backend.xp()
        if self.mode == "last":
            grads, scale = self._last, 1.0
        else:
            grads, scale = self._sum, 1.0 / max(self._weight, 1)
        if grads is None:
            return None
        total = sum(float(xp.sum(g * g)) for g in grads if g is not None)
        return math.sqrt(total) * scale

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        norm = self.gradient_norm()
        if norm is None:
            return
        if logs is not None:
            logs["grad_norm"] = norm
        if norm < self.threshold:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: gradient norm {norm:.3g} < {self.threshold:g}, stopping.")


def __getattr__(name: str) -> Any:
    # TensorBoard lives in its own module (it needs the optional tensorboard package): loaded when first asked for
    if name == "TensorBoard":
        from .tensorboard import TensorBoard

        return TensorBoard
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "RemoteMonitor", "callbacks_given",
           "EarlyStopping", "ModelCheckpoint", "BackupAndRestore",
           "LearningRateScheduler",
           "TerminateOnNaN", "SwapEMAWeights", "CSVLogger", "LambdaCallback", "GradientNormStopping"]
