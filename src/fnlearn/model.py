"""The Keras-style training front end: compile / fit / evaluate / predict / summary.

``Trainer`` is mixed into :class:`fnlearn.Sequential`; it relies only on the model's ``forward``
(``model(x)``), ``layers``, ``build`` and ``parameters()``. It is the lecture's three steps as one
loop: the function (the model), the loss (``compile(loss=...)``) and gradient descent over
mini-batches and epochs (``fit``).

What ``fit`` promises:

- Every argument and the data are checked before any weight changes: rows of x and y, features
  against the first layer, targets against the output layer and the loss, NaN/inf, batch size,
  epochs, validation split. Each problem is one sentence naming what to change.
- The data are converted once to arrays of the model's dtype (integer labels stay integer for
  sparse cross-entropy); each epoch is reshuffled with fnlearn's generator, so ``fl.set_seed`` makes
  a run repeatable, and ``validation_split`` holds out rows chosen at random (Keras takes the last
  rows unshuffled).
- A step whose loss is NaN or infinite is not applied and training stops (``terminate_on_nan=True``,
  the default): the weights are those after the last finite step, and the message suggests a smaller
  learning rate. The loss is checked after the forward pass and before the update, on both the
  written-out fast step (:mod:`fnlearn.fastpath`) and the general autodiff step, so no copy of the
  weights is needed.
- Exploding gradients give one ``RuntimeWarning`` per fit, with the norm: at each epoch's end the norm of
  the last step's gradient is compared with 100 times the first epoch's (``GRADIENT_WARNING_GROWTH``);
  reading the ``.grad`` arrays once an epoch keeps the training step itself untouched. Growth, not size,
  is the sign: unscaled inputs give large but steady gradients, which Adam handles well.
- Ctrl-C (KeyboardInterrupt) stops training after the current step: the weights of the last
  completed step are kept and the History of the finished epochs is returned.

Example (Tsai's MNIST network on random stand-in data):
    >>> import fnlearn as fl, numpy as np
    >>> fl.set_seed(0)
    >>> model = fl.Sequential([fl.layers.Dense(100, activation="relu", input_dim=784),
    ...                        fl.layers.Dense(100, activation="relu"),
    ...                        fl.layers.Dense(10, activation="softmax")])
    >>> model.compile(loss="mse", optimizer=fl.optim.SGD(lr=0.087), metrics=["accuracy"])
    >>> x = np.random.rand(200, 784); y = fl.data.to_categorical(np.arange(200) % 10, 10)
    >>> history = model.fit(x, y, batch_size=100, epochs=2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']
    >>> model.predict(x[:3]).shape
    (3, 10)
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from . import backend, data, errors, losses, optim
from . import functional as F
from . import metrics as metrics_module
from .callbacks import Callback, CallbackList, History, callbacks_given
from .errors import ConfigError, DataError, FnlearnError, NotReadyError, ShapeError
from .tensor import Tensor, no_grad

# Keras arguments that change nothing here (they tune Keras's own execution), accepted and ignored
_IGNORED_COMPILE_ARGS = {"run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss"}
_IGNORED_FIT_ARGS = {"workers", "use_multiprocessing", "max_queue_size"}

# fit warns (once) when the gradient of an epoch's last step is this many times the first epoch's and above
# GRADIENT_GROWTH_FLOOR (so a run leaving a flat start is not mistaken for divergence)
GRADIENT_WARNING_GROWTH = 100.0
GRADIENT_GROWTH_FLOOR = 10.0


def _penalty(penalties: list[tuple[Any, Any]]) -> Tensor:
    """The sum of the weight penalties (a tensor the loss adds, so its gradient reaches the weights)."""
    from .nn import regularizers  # here: fnlearn.nn imports this module

    total = None
    for param, regularizer in penalties:
        term = regularizers.penalty(regularizer, param)
        total = term if total is None else total + term
    return total


def _limit_from_environment(name: str) -> int | None:
    """A whole number ≥ 1 from the environment variable ``name`` (None where it is not set); one sentence where it is
    set to something else, so a typo does not run a notebook for hours."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigError(f"the environment variable {name}={value!r} must be a whole number ≥ 1 (a cap on fit); "
                          f"set it so, e.g. {name}=2, or unset it.")
    return int(value)


# Keras 3's caps on every fit, for quick trial runs of a long program (keras.config.set_max_epochs,
# set_max_steps_per_epoch, or the environment variables Keras reads, KERAS_MAX_EPOCHS and KERAS_MAX_STEPS_PER_EPOCH)
FIT_LIMITS: dict[str, int | None] = {"epochs": _limit_from_environment("KERAS_MAX_EPOCHS"),
                                     "steps_per_epoch": _limit_from_environment("KERAS_MAX_STEPS_PER_EPOCH")}


def _capped(name: str, value: Any, limit: int | None, none_is_all: bool = False) -> Any:
    """``value`` (epochs, or steps per epoch where ``none_is_all``: None is a whole pass) cut to ``limit``, with
    Keras's warning; a value of the wrong type is left for its own check."""
    whole = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if limit is None or not (whole or (none_is_all and value is None)):
        return value
    if value is None or limit < value:
        warnings.warn(f"Limiting {name} to {limit} (keras.config.set_max_{'epochs' if name == 'epochs' else name})",
                      stacklevel=3)
        return limit
    return value


def _non_negative_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ConfigError(f"{name} must be an integer ≥ 0, got {value!r}.")
    return int(value)


def _reject_extra(method: str, kwargs: dict[str, Any], ignored: set[str]) -> None:
    unknown = [k for k in kwargs if k not in ignored]
    if unknown:
        raise ConfigError(f"{method} got argument(s) fnlearn does not support: {', '.join(unknown)}; see "
                          f"help(model.{method}) for the ones it takes.")


# Whether an interrupted fit ends the whole program (raises KeyboardInterrupt after keeping the weights)
# rather than returning: the command line's runs train many models and report them as one result, which
# must not go on with a model cut short; a notebook's fit returns, so the model can be used.
_interrupt_ends_program = False


@contextlib.contextmanager
def interrupt_ends_program() -> Iterator[None]:
    """Within it, a Ctrl-C during ``fit`` keeps the weights of the last completed step, ends the callbacks
    as usual, and then raises ``KeyboardInterrupt`` instead of returning (``fnlearn run`` uses it)."""
    global _interrupt_ends_program
    previous, _interrupt_ends_program = _interrupt_ends_program, True
    try:
        yield
    finally:
        _interrupt_ends_program = previous


def end_of_fit(stopped: tuple[Any, ...] | None, finished_epochs: int, callback_list: Any, logs: dict[str, Any],
               stacklevel: int = 3) -> None:
    """What ends every fit after its loop: the warning of a Ctrl-C (unless it ends the program), the callbacks'
    ``on_train_end``, then the Ctrl-C raised again where it ends the program; ``stacklevel`` points the warning at
    the line that called fit."""
    interrupted = stopped is not None and stopped[0] == "interrupt"
    if interrupted and not _interrupt_ends_program:
        warnings.warn(f"training was interrupted in epoch {stopped[1] + 1}; the weights of the last completed step "
                      f"are kept and the History of the {finished_epochs} finished epoch(s) is returned.",
                      RuntimeWarning, stacklevel=stacklevel)
    model = callback_list.model
    if model is not None:  # BackupAndRestore keeps its backup for the fit that goes on
        object.__setattr__(model, "_fit_interrupted", interrupted)
        optimizer = getattr(model, "optimizer", None)
        if getattr(optimizer, "use_ema", False):  # the model keeps the moving averages, as Keras's fit ends
            optimizer.finalize_variable_values(model.trainable_weights)
    callback_list.on_train_end(logs)
    if interrupted and _interrupt_ends_program:
        raise KeyboardInterrupt


def backup_shuffle_seed(model: Any, callbacks: Iterable[Any]) -> None:
    """Before fit draws its validation split: take the shuffle seed of the backup a ``BackupAndRestore`` among
    ``callbacks`` will restore, so that the resumed fit holds out the rows the interrupted one held out."""
    from .callbacks import BackupAndRestore

    for callback in callbacks:
        seed = callback.shuffle_seed() if isinstance(callback, BackupAndRestore) else None
        if seed is not None:
            model.shuffle_seed = seed
            return


def resumed_epochs(model: Any, initial_epoch: int, first: int) -> tuple[int, int]:
    """(the epoch fit starts from, its place in the model's whole training) after the callbacks' ``on_train_begin``:
    a callback that restored a backup (``BackupAndRestore``) set ``model._initial_epoch``, as in Keras."""
    restored = model.__dict__.pop("_initial_epoch", None)
    return (restored, restored) if restored else (initial_epoch, first)


class _DeferredInterrupt:
    """Turn the first Ctrl-C into a request checked between steps, so a step is never cut in half.

    Installed only in the main thread and only over Python's default handler; a second Ctrl-C
    interrupts at once.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _DeferredInterrupt:
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


# Keras Model attributes fnlearn's models do not have, each with the way to do what they are for
_KERAS_2_STEP = ("is Keras 2's; in a train_step of your own, self.compute_loss(x, y, y_pred, sample_weight) gives the "
                 "loss and self.compute_metrics(x, y, y_pred, sample_weight) updates the compiled metrics")
_ONE_FILE = ("is not there: fnlearn writes a model's architecture with its weights in one file, model.save(path), "
             "read back by keras.models.load_model(path); get_config() gives the settings as a dict")
_NOT_KERAS_ATTRIBUTES = {
    **dict.fromkeys(("compiled_loss", "compiled_metrics"), _KERAS_2_STEP),
    **dict.fromkeys(("make_train_function", "make_test_function", "make_predict_function", "stateless_call"),
                    "is not there: fnlearn's fit calls train_step(data) on each batch itself (define train_step to "
                    "change what a step does)"),
    "to_json": "is there on fnlearn.keras's models (keras.Sequential, keras.Model(inputs, outputs)), read back by "
               "keras.models.model_from_json; make the model with them, or write its architecture with its weights "
               "in one file, model.save(path)",
    **dict.fromkeys(("to_yaml", "get_compile_config", "compile_from_config", "export"), _ONE_FILE),
    **dict.fromkeys(("fit_generator", "evaluate_generator", "predict_generator"),
                    "is Keras 2's: fit, evaluate and predict take generators and datasets themselves"),
    **dict.fromkeys(("jit_compile", "run_eagerly", "steps_per_execution", "distribute_strategy", "quantize"),
                    "is not there: fnlearn's steps run one batch at a time, eagerly, on NumPy (or CuPy on a GPU)"),
}


class Trainer:
    """compile / fit / evaluate / predict / summary for a model (Keras's names and arguments).

    Attributes set by :meth:`compile`: ``optimizer`` (bound to the model's parameters), ``loss`` (as
    given), ``loss_fn`` (callable ``(y_true, y_pred) -> Tensor``), ``metrics_names`` (``"loss"`` first),
    ``compiled``. ``fit`` sets ``history`` and reads ``stop_training``.
    """

    def __getattr__(self, name: str) -> Any:
        """Only for a name no attribute has: a Keras Model attribute fnlearn's models lack says what to do."""
        if name in _NOT_KERAS_ATTRIBUTES:
            raise AttributeError(f"model.{name} {_NOT_KERAS_ATTRIBUTES[name]}.")
        if any(name in vars(cls) for cls in type(self).__mro__):
            # a property that raised AttributeError itself (Python then asks here): its own sentence again
            return object.__getattribute__(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def _sample_input_shape(self) -> Any:
        """One sample's shape, or a list for several inputs, the batch axis excluded (None: not known yet): what
        fnlearn's code reads, while ``input_shape`` is each front end's (Keras's gives the batch axis as None)."""
        return None

    compiled: bool = False
    optimizer: Any = None
    loss: Any = None
    loss_fn: Any = None
    stop_training: bool = False
    history: Any = None
    _loss_name: str | None = None
    _metrics: tuple[metrics_module.Metric, ...] = ()
    _metric_keys: tuple[str, ...] = ()  # each metric's name in the logs (a weighted one's may say "weighted_")
    _metric_weighted: tuple[bool, ...] = ()  # which metrics came from weighted_metrics
    # whether ``layers`` run one after another on the data; a model with a call() of its own says False, and its
    # shapes are then found by running it
    _layers_in_order: bool = True
    takes_lists: bool = False  # called on a list of inputs (a functional model with several Inputs)
    # None: the logs keep the compiled order, which evaluate's list follows. A tuple (a model of several outputs):
    # the logs are sorted by key as Keras 3 logs them, and evaluate's list gives these keys first, then the rest
    _log_order: tuple[str, ...] | None = None

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None, *,
                weighted_metrics: Any = None, **kwargs: Any) -> None:
        """Choose the loss (step 2) and the optimizer (step 3), and the metrics to report.

        Args:
            optimizer: an optimizer object (``fl.optim.SGD(learning_rate=0.087)``) or a name: "sgd"
                (learning rate 0.01), "adam", "rmsprop", "adagrad", "adamw" (0.001, Keras's defaults).
            loss: "mse" / "mean_squared_error", "mae" / "mean_absolute_error", "binary_crossentropy",
                "categorical_crossentropy", "sparse_categorical_crossentropy", "half_sse", a
                ``fl.losses.Loss`` object, or a callable ``(y_true, y_pred) -> Tensor``.
            metrics: a list of "accuracy" (or "acc"), "mae", "mse", "top_k_categorical_accuracy",
                "sparse_top_k_categorical_accuracy", loss names, callables
                ``(y_true, y_pred) -> float`` (given NumPy arrays), stateful metrics by name ("auc",
                "precision", "recall", "true_positives"…) or as objects (``fl.metrics.AUC(curve="PR")``, a
                ``Metric`` subclass of your own). Never weighted by ``sample_weight``, as in Keras.
            weighted_metrics: metrics as above that take the sample (and class) weights of ``fit`` and the
                ``sample_weight`` of ``evaluate``; one also listed in ``metrics`` is logged as
                ``weighted_<name>``.

        Each metric is logged under Keras's key: a name as written, a function by its ``__name__`` (snake case),
        an object by its ``name``; a name met again is numbered ``name_1``, ``name_2``, ... (Keras's rule), and
        keys that would still clash, or a metric named ``"loss"``, are refused.

        >>> import fnlearn as fl
        >>> m = fl.Sequential([fl.layers.Dense(1, activation="sigmoid", input_dim=2)])
        >>> m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        >>> m.metrics_names
        ['loss', 'accuracy']
        >>> m.compile("adam", "binary_crossentropy", metrics=[fl.metrics.AUC(), fl.metrics.AUC(curve="PR"),
        ...                                                  fl.metrics.mean_squared_error])
        >>> m.metrics_names
        ['loss', 'auc', 'auc_1', 'mean_squared_error']
        """
        _reject_extra("compile", kwargs, _IGNORED_COMPILE_ARGS)
        from .steps import own_step

        # Keras's guides compile without a loss when their own train_step computes it (a GAN's two losses)
        no_loss = loss is None and own_step(self, "train_step")
        opt = optim.get(optimizer)
        # keras.losses' functions give one value per sample; compiled, they are the built-in they wrap (its
        # mean, which fit takes anyway): the written-out step, the label checks and the file's name all follow
        loss = getattr(loss, "builtin", loss) if callable(loss) and not isinstance(loss, losses.Loss) else loss
        loss_fn, loss_name = (None, None) if no_loss else _resolve_loss(loss)
        resolved, keys, weighted = _resolve_metrics(metrics, weighted_metrics, loss_name)
        if not self.built and self._sample_input_shape is not None:
            self.build()
        trainable = self.trainable_parameters() if self.built else []
        if trainable:  # none (all frozen): fit says so
            opt.bind(trainable)
        self.optimizer = opt
        self.loss = loss
        own_fn = self.__dict__.get("loss_fn")
        if not (no_loss and own_fn is not None and own_fn is not self.__dict__.get("_compiled_loss_fn")):
            # (else the class set a loss_fn of its own, as Keras's guides do for their train_step: kept)
            self.loss_fn = self._compiled_loss_fn = loss_fn
        self._loss_name = loss_name
        self._metrics = resolved
        self._metric_keys = keys
        self._metric_weighted = weighted
        self.compiled = True
        self.stop_training = False
        self._step_metrics = None  # the loss tracker and compiled metrics of model.metrics, made anew when asked
        self._warn_raw_scores(loss, loss_name)

    def _warn_raw_scores(self, loss: Any, loss_name: str | None) -> None:
        """Warn at compile when the output layer gives raw scores to a cross-entropy that takes probabilities,
        the mistake that trains badly while the hints blame the learning rate: a last Dense layer with no
        activation, and no ``from_logits=True``."""
        if loss_name not in losses.PROBABILITY_LOSSES:
            return
        if isinstance(loss, losses.Loss) and loss.options.get("from_logits"):
            return
        layers = getattr(self, "layers", None) or [None]
        last = layers[-1]
        if not hasattr(last, "units") or getattr(last, "activation_name", "?") not in (None, "linear"):
            return
        warnings.warn(f"the last layer {last.name!r} gives raw scores (it has no activation), but {loss_name} takes "
                      f"probabilities; {losses.raw_scores_fix(loss_name, self._keras_way)}.",
                      UserWarning, stacklevel=3)

    @property
    def metrics_names(self) -> list[str]:
        """``["loss", *metric names]`` once compiled (the order of ``evaluate``'s list), else ``[]``."""
        return ["loss", *self._metric_keys] if self.compiled else []

    def _metric_entries(self) -> list[tuple[str, metrics_module.Metric, bool]]:
        """(log key, metric, weighted) for each compiled metric, in order."""
        return list(zip(self._metric_keys, self._metrics, self._metric_weighted))

    def compile_config(self) -> dict[str, Any] | None:
        """The compile settings as JSON-able data: optimizer config, loss name (or config), metric names.

        A custom loss or metric function is recorded by its ``__name__``, a metric class of your own by its
        class name and ``get_config()``; give them back by name when loading.
        """
        if not self.compiled:
            return None
        entries = self._metric_entries()
        config = {"optimizer": self.optimizer.get_config(), "loss": _loss_config(self.loss, self._loss_name),
                  "metrics": [metrics_module.saved_form(m) for _, m, weighted in entries if not weighted]}
        if any(self._metric_weighted):
            config["weighted_metrics"] = [metrics_module.saved_form(m) for _, m, weighted in entries if weighted]
        return config

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise NotReadyError(f"{what} needs a compiled model; call model.compile(optimizer=..., loss=...) "
                                "first.")

    # ------------------------------------------------------------------ Keras's steps (see fnlearn.steps)
    _step_metrics: tuple[Any, Any] | None = None

    @property
    def metrics(self) -> list[Any]:
        """Keras's ``model.metrics``: once compiled, the loss tracker (a ``Mean`` named ``"loss"``) and the compiled
        metrics as one (``"compile_metrics"``, its ``result()`` a dict), then the ``Metric`` objects the model holds
        as attributes, in the order they were set. A train_step of one's own updates them; ``fit`` resets them
        every epoch, ``evaluate`` at its start.

        >>> import fnlearn as fl
        >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=2)]); m.compile("sgd", "mse", metrics=["mae"])
        >>> [metric.name for metric in m.metrics]
        ['loss', 'compile_metrics']
        """
        found: list[Any] = []
        if self.compiled:
            tracker, compiled = self._trackers()
            found = [tracker, compiled] if self._metrics else [tracker]
        held = [value for name, value in vars(self).items()
                if isinstance(value, metrics_module.Metric) and not name.startswith("_")]
        return found + [m for m in held if all(m is not f for f in found)]

    def _trackers(self) -> tuple[Any, Any]:
        """(the loss tracker, the compiled metrics as one), made at the first ask after compile: what Keras's own
        steps update, whatever a class's own ``metrics`` property lists."""
        if self._step_metrics is None:
            from .steps import CompileMetrics

            self._step_metrics = (metrics_module.Mean(name="loss"), CompileMetrics(self))
        return self._step_metrics

    def reset_metrics(self) -> None:
        """Reset every metric of :attr:`metrics` (what ``fit`` does at each epoch's start)."""
        for metric in self.metrics:
            metric.reset_state()

    def get_metrics_result(self) -> dict[str, Any]:
        """The results of :attr:`metrics` as logs: each one's by name, a dict result's entries as they are."""
        logs: dict[str, Any] = {}
        for metric in self.metrics:
            logs.update(metrics_module.result_logs(metric))
        return dict(sorted(logs.items())) if self._log_order is not None else logs  # several outputs: by key

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Tensor:
        """The loss ``fit`` minimises for a batch, as a tensor to call ``backward()`` on: the compiled loss of
        ``(y, y_pred)`` (weighted by ``sample_weight``), plus the losses the forward pass added (``add_loss``) and the
        weight penalties (``kernel_regularizer``...), as Keras's ``compute_loss``. ``x`` and ``training`` are
        Keras's arguments, not used by the compiled loss.

        >>> import fnlearn as fl, numpy as np
        >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=1, kernel_initializer="ones")])
        >>> m.compile("sgd", "mse")
        >>> float(m.compute_loss(y=np.array([3.0]), y_pred=m(np.array([[1.0]]))))
        4.0
        """
        if not self.compiled:
            raise NotReadyError("compute_loss needs a compiled model; call model.compile(optimizer=..., loss=...) "
                                "first.")
        total: Tensor | None = None
        if self.loss_fn is not None:
            if y is None or y_pred is None:
                raise ConfigError("compute_loss needs the targets and the predictions: "
                                  "self.compute_loss(y=y, y_pred=y_pred) with y_pred = self(x, training=True).")
            targets, out = self._step_pair(y, y_pred)
            w = None if sample_weight is None else self._sample_weight_rows(
                backend.to_numpy(sample_weight.data if isinstance(sample_weight, Tensor) else sample_weight),
                targets, "sample_weight")
            total = self._batch_loss(targets, out, w)
        else:
            total = self.added_loss()
        penalties = self._penalties()
        if penalties:
            total = _penalty(penalties) if total is None else total + _penalty(penalties)
        if total is None:
            raise ConfigError("compute_loss has no loss to compute: the model was compiled without one and its call "
                              "added none (add_loss) and its layers have no penalty; compile with loss=..., or compute "
                              "the loss in train_step yourself.")
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, Any]:
        """Update the compiled metrics with a batch and return :meth:`get_metrics_result` (Keras's
        ``compute_metrics``; ``x`` is not used)."""
        if self.compiled and self._metrics:
            self._trackers()[1].update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _step_pair(self, y: Any, y_pred: Any) -> tuple[Any, Tensor]:
        """A step's (targets, predictions) as fit's loss and metrics take them: the targets checked against the
        predictions and the compiled loss, shaped and cast as ``fit`` does (a model of several outputs packs each
        side, as its fit does)."""
        if y is None:
            raise ConfigError("the compiled loss and metrics need targets, but this batch has none; give fit (x, y), "
                              "or compute the loss in train_step yourself.")
        out = y_pred if isinstance(y_pred, Tensor) else Tensor(y_pred)
        y_arr = y.data if isinstance(y, Tensor) else data.to_array(y, "y")
        return self._check_targets(y_arr, tuple(out.shape[1:]), "y", out.dtype), out

    def train_step(self, data: Any) -> dict[str, Any]:
        """One training step on a batch's ``data`` (``x``, ``(x, y)`` or ``(x, y, sample_weight)``), as Keras's own:
        forward in training mode, :meth:`compute_loss`, ``backward``, ``optimizer.apply``, then the metrics. ``fit``
        trains by its own faster steps unless a subclass defines ``train_step``; such a step may call this one with
        ``super().train_step(data)``. Returns the metrics' results.
        """
        from .steps import rows_of, unpack_x_y_sample_weight

        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._trackers()[0].update_state(loss, sample_weight=rows_of(x))
        self.zero_grad()
        loss.backward()
        weights = self.trainable_weights
        self.optimizer.apply([w.grad for w in weights], weights)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> dict[str, Any]:
        """One evaluation step (Keras's): the forward pass in inference mode, the loss into the tracker, the metrics
        updated; their results returned."""
        from .steps import rows_of, unpack_x_y_sample_weight

        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._trackers()[0].update_state(loss, sample_weight=rows_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        """One prediction step (Keras's): the outputs for the batch's ``x`` in inference mode."""
        from .steps import unpack_x_y_sample_weight

        return self(unpack_x_y_sample_weight(data)[0], training=False)

    # ------------------------------------------------------------------ fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: int | str = "auto", callbacks: Iterable[Callback] | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            initial_epoch: int = 0, *, validation_batch_size: int | None = None,
            allow_nonfinite: bool = False, terminate_on_nan: bool = True, trace: Any = None,
            capture: bool | None = None, sample_weight: Any = None, class_weight: Any = None,
            steps_per_epoch: int | None = None, validation_steps: int | None = None, validation_freq: Any = 1,
            **kwargs: Any) -> History:
        """Train: for each epoch, shuffle the rows, and for each mini-batch take one gradient step.

        Args:
            x, y: inputs and targets — NumPy arrays, nested lists, pandas DataFrame/Series or tensors. Or ``x``
                alone: a dataset (``fl.data.Dataset``, what ``keras.utils.image_dataset_from_directory`` and
                ``tf.data.Dataset.from_tensor_slices(...).batch(n)`` give), a Python generator or another iterable
                of batches ``(x, y)`` or ``(x, y, sample_weight)``, or a ``keras.utils.PyDataset``; each epoch trains
                on the batches as the dataset yields them (its own order: ``shuffle`` does not apply, except that it
                reorders a PyDataset's batches every epoch, as in Keras 3), each checked and moved to the device as
                arrays are. ``y``, ``batch_size``, ``sample_weight`` and ``validation_split`` are refused then, as
                in Keras. A generator is read once: a second epoch finds it empty and training stops.
            batch_size: samples per gradient step (default 32).
            epochs: train until this epoch (counted from ``initial_epoch``).
            verbose: 0 silent, 1 a progress bar (plain lines when stdout is not a terminal), 2 one line
                per epoch.
            callbacks: ``fl.callbacks`` objects. As in Keras 3, ``on_train_batch_end`` gets the running means
                of the loss and metrics since the epoch began (a callback with ``step_logs = True`` gets each
                batch's own), and ``on_train_batch_begin`` gets ``{}``.
            validation_split: fraction of rows held out to validate on, chosen at random (seeded).
            validation_data: ``(x_val, y_val)`` or a dataset of such batches; overrides ``validation_split``.
            shuffle: reshuffle the rows every epoch.
            initial_epoch: epoch to start from (when resuming).
            allow_nonfinite: accept NaN/inf in the data (refused by default, naming row and column).
            terminate_on_nan: stop, keeping the last finite weights, when a batch loss is NaN or inf.
            trace: a CSV path (or a ``fl.explain.Trace``) recording, per update, the loss, the gradient norm
                and, for small models, every parameter and its gradient.
            sample_weight: one weight ≥ 0 per row of x: each sample's loss is multiplied by it (Keras's
                rule: the batch loss is Σ wᵢ·lossᵢ / batch size). Trains on the general autodiff step.
            class_weight: ``{class: weight}`` for every class in y (integer labels, one-hot rows or 0/1
                targets): each sample's loss is multiplied by its class's weight (and by its sample_weight).
            capture: on the CuPy backend, record the whole training step once as a CUDA graph and
                replay it per batch (see ``fnlearn.gpu``); loss and metrics are then read once per
                epoch. None (default): on where the step allows it, off on NumPy. True: insist (a
                ConfigError says why when it cannot be done). False: never.
            steps_per_epoch: the batches of one epoch, read on from where the last epoch
                stopped (a new pass starts once every batch of it has been read, as in Keras); with a dataset,
                when the data run out first, training stops with a warning (``.repeat()`` makes a dataset
                endless); with arrays, an epoch that meets the end of a pass stops there, warned, and the next
                starts a new pass (reshuffled).
            validation_steps: with a dataset as ``validation_data``, the batches of each validation, likewise.
            validation_freq: validate after every n-th epoch (a number n), or after the epochs listed (counted
                from 1), as Keras's; the other epochs log no ``val_`` values.

        Returns:
            History: ``history.history["loss"]`` etc., one value per epoch.

        A Keras subclass that defines ``train_step`` (or ``test_step``) trains by it instead, as in Keras: each
        batch's ``data`` handed to it (see :mod:`fnlearn.steps`); ``y`` may then be left out.
        """
        self._require_compiled("fit")
        _reject_extra("fit", kwargs, _IGNORED_FIT_ARGS)
        from .pipeline import batch_source

        epochs = _capped("epochs", epochs, FIT_LIMITS["epochs"])
        if not capture:  # a captured step records whole passes over the arrays
            steps_per_epoch = _capped("steps_per_epoch", steps_per_epoch, FIT_LIMITS["steps_per_epoch"], True)

        # None for arrays: the array path below is unchanged; shuffle reorders only a PyDataset's batches (Keras 3)
        source = batch_source(x, shuffle=shuffle)
        val_source = batch_source(validation_data)
        array_steps = None  # Keras's steps_per_epoch over arrays: batches per epoch, read on across epochs
        if source is None:
            if steps_per_epoch is not None:
                if isinstance(steps_per_epoch, (bool, np.bool_)) or not isinstance(steps_per_epoch, (int, np.integer)) \
                        or steps_per_epoch < 1:
                    raise ConfigError(f"fit steps_per_epoch must be a whole number ≥ 1 (the batches of one epoch), got "
                                      f"{steps_per_epoch!r}.")
                if capture:
                    raise ConfigError("capture=True records whole passes over the arrays, but steps_per_epoch makes "
                                      "an epoch part of one; leave one of them out.")
                array_steps = int(steps_per_epoch)
        else:
            _refuse_with_dataset("fit", y=y, batch_size=batch_size, sample_weight=sample_weight,
                                 validation_split=validation_split)
            if capture:
                raise ConfigError("capture=True records the training step over arrays x and y, but x is a dataset, "
                                  "whose batches come one at a time; pass the arrays, or leave capture unset.")
        if val_source is None:
            _refuse_steps("fit", "validation_steps", validation_steps, "validation_data")
        validates = validation_epochs(validation_freq)
        batch_size = data.check_batch_size(batch_size)
        epochs = _non_negative_int("epochs", epochs)  # 0 trains nothing and returns an empty History, as Keras
        initial_epoch = _non_negative_int("initial_epoch", initial_epoch)
        from .progress import check_verbose, make_progress

        verbose = check_verbose(verbose)
        validation_split = data.check_fraction(validation_split, "validation_split")
        val_batch_size = data.check_batch_size(validation_batch_size, "validation_batch_size") \
            if validation_batch_size is not None else batch_size
        data.check_flag(shuffle, "shuffle")
        if capture is not None and not isinstance(capture, (bool, np.bool_)):
            raise ConfigError(f"capture must be True, False or None (automatic), got {capture!r}.")
        if capture and backend.backend_name() != "cupy":
            raise ConfigError("capture=True records CUDA graphs and needs the cupy backend; call "
                              "fl.set_backend('cupy') first, or leave capture unset on the CPU.")
        from . import steps as own

        if own.own_step(self, "train_step") or own.own_step(self, "test_step"):  # Keras's steps, the class's or ours
            if trace is not None or capture:
                raise ConfigError(f"{type(self).__name__} trains by its own train_step, which "
                                  f"{'trace' if trace is not None else 'capture=True'} cannot follow (it records "
                                  "fnlearn's own step); leave it out.")
            return own.fit(self, x, y, source, batch_size=batch_size, epochs=epochs, verbose=verbose,
                           callbacks=callbacks_given(callbacks), validation_split=validation_split,
                           validation_data=validation_data, val_source=val_source, shuffle=shuffle,
                           initial_epoch=initial_epoch, validation_batch_size=val_batch_size,
                           allow_nonfinite=allow_nonfinite, terminate_on_nan=terminate_on_nan,
                           sample_weight=sample_weight, class_weight=class_weight, steps_per_epoch=steps_per_epoch,
                           validation_steps=validation_steps, validates=validates)
        if y is None and source is None:
            raise ConfigError("fit needs targets: call model.fit(x, y, ...) with one target row per sample.")
        user_callbacks = callbacks_given(callbacks)
        if trace is not None:
            from .explain.trace import Trace

            user_callbacks.append(trace if isinstance(trace, Trace) else Trace(trace))
        callback_list = CallbackList(user_callbacks)  # checks the callbacks' types before anything changes
        callback_list.check_fit(self)
        train_batches: _Batches | None = None
        if source is None:
            x_arr, y_arr = self._prepare(x, y, "x", "y", allow_nonfinite)
            w_given = self._sample_weight_rows(sample_weight, y_arr, "sample_weight")
            w_arr = _training_weights(w_given, class_weight, y_arr)
        else:  # the dataset's first batch is read and checked now, before anything changes
            train_batches = _Batches(self, source, steps_per_epoch, "fit", allow_nonfinite, class_weight)
            x_arr, y_arr, w_arr = train_batches.first
        if w_arr is not None:
            self._check_loss_per_sample(y_arr, tuple(x_arr.shape[1:]))
        val: tuple[Any, ...] | None = None
        val_batches: _Batches | None = None
        if val_source is not None:
            val_batches = _Batches(self, val_source, validation_steps, "validation", allow_nonfinite)
            if not self._same_samples(x_arr.shape[1:], val_batches.sample_shape):
                raise ShapeError(f"validation_data has samples of shape {val_batches.sample_shape} but x has "
                                 f"{tuple(x_arr.shape[1:])}; give the validation data the same shape.")
        elif validation_data is not None:
            val = self._prepare_validation(validation_data, allow_nonfinite)
            if not self._same_samples(x_arr.shape[1:], val[0].shape[1:]):
                raise ShapeError(f"validation x has samples of shape {tuple(val[0].shape[1:])} but x has "
                                 f"{tuple(x_arr.shape[1:])}; give the validation data the same columns.")
        elif validation_split > 0:
            data.validation_rows(x_arr.shape[0], validation_split)  # a split that cannot be, refused before the draw
            backup_shuffle_seed(self, callback_list.callbacks)
            train_idx, val_idx = data.split_validation(x_arr.shape[0], validation_split, rng=self._order_rng(-1))
            val = data.take_rows(x_arr, val_idx), data.take_rows(y_arr, val_idx)
            if w_given is not None:  # as in Keras, the held-out rows keep their sample weights (not class weights)
                val = (*val, data.take_rows(w_given, val_idx))
            if w_arr is not None:
                w_arr = data.take_rows(w_arr, train_idx)
            x_arr, y_arr = data.take_rows(x_arr, train_idx), data.take_rows(y_arr, train_idx)

        # everything is valid: from here on the model may change
        if not self.built:
            self.build(tuple(x_arr.shape[1:]))
        entries = self._metric_entries()
        if any(metric.stateful for _, metric, _ in entries):
            self._try_metrics(entries, x_arr, y_arr, w_arr, batch_size if train_batches is None else x_arr.shape[0])
        trainable = self.trainable_parameters()
        if not trainable and not self.parameters():
            raise ConfigError("this model has no weights (none of its layers has any), so fit has nothing to "
                              "train; add a layer with weights, such as layers.Dense(...).")
        if not trainable:
            raise ConfigError("every layer of this model is frozen (trainable=False), so fit has nothing to "
                              "train; set trainable = True on the layers to train.")
        self.optimizer.bind(trainable)  # frozen layers' parameters are left out, as Keras does
        step = self._train_step(terminate_on_nan, tuple(x_arr.shape[1:]), weighted=w_arr is not None)
        object.__setattr__(self, "_step_mask", None)  # none from an earlier fit's last batch
        captured = None if train_batches is not None or array_steps is not None else \
            self._captured_step(capture, step, batch_size, x_arr, y_arr, callback_list, terminate_on_nan,
                                weighted=w_arr is not None)
        n = x_arr.shape[0]
        history = History()
        if train_batches is None:
            steps = array_steps or math.ceil(n / batch_size)
            params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": n, "verbose": verbose}
        else:  # as Keras: a dataset's batch size and sample count are its own (steps None: not known ahead)
            steps = train_batches.steps
            params = {"epochs": epochs, "steps": steps, "verbose": verbose}
        callback_list = CallbackList([*callback_list.callbacks, history], model=self, **params)
        progress = None if callback_list.shows_progress else make_progress(verbose, epochs, steps)
        # with no callback running per batch, nothing but the fast step touches the weights within an epoch:
        # it may then skip its per-step checks and keep η·g in .grad until the epoch ends (StepPlan.settle)
        plan = step if captured is None and hasattr(step, "settle") and not callback_list.wants_batch_begin \
            and not callback_list.wants_batch_logs else None
        # read once: the callbacks do not change during fit, and the loop below asks at every batch
        batch_begin, batch_end = callback_list.wants_batch_begin, callback_list.wants_batch_end
        step_logs_wanted = callback_list.wants_step_logs
        self.history = history
        self.stop_training = False
        was_training = self.training
        self.train()
        stopped: tuple[str, int, int, float] | None = None  # (why, epoch, batch, loss)
        watch = _GradientWatch(self.parameters())
        finished_epochs = 0
        drawn: dict[int, np.ndarray] = {}  # epoch → its shuffled order, drawn ahead of the epoch
        epoch, batch = initial_epoch, -1
        logs: dict[str, Any] = {}
        # Which epoch of the model's whole training this call's first epoch is, for its shuffled order: a fit
        # that goes on from an earlier one (fit(epochs=2) twice, or fit(epochs=1) in a loop) must not shuffle
        # again as that one did, so that it trains exactly as fit(epochs=4) would, as in Keras.
        first = initial_epoch if initial_epoch > 0 else getattr(self, "epochs_trained", 0)
        passes = None if array_steps is None else _ArrayPasses(
            n, batch_size, array_steps, lambda k: data.permutation(n, self._order_rng(first + k)) if shuffle else None)
        # overflow along the way is reported once, by the non-finite loss check, not as NumPy warnings
        with _DeferredInterrupt() as interrupt, np.errstate(over="ignore", invalid="ignore"):
            try:
                callback_list.on_train_begin({})
                initial_epoch, first = resumed_epochs(self, initial_epoch, first)
                for epoch in range(initial_epoch, epochs):
                    if train_batches is not None and not train_batches.begin(epoch):
                        break  # the data ran out (a generator read once): warned, and no epoch without batches
                    callback_list.on_epoch_begin(epoch, {})
                    if plan is not None:
                        plan.ensure_packed()
                        plan.exclusive = True
                    if progress is not None:
                        progress.epoch_begin(epoch)
                    run = metrics_module.MetricRun(entries, weighted=w_arr is not None,  # resets stateful ones
                                                   sort_keys=self._log_order is not None)
                    tracker = run.tracker
                    # batches are gathered row by row from a shuffled order, never by copying the whole
                    # data set: peak memory stays at the data's size plus one batch
                    order = None
                    if passes is not None:
                        epoch_batches, host_order = passes.epoch()
                        order = None if host_order is None else data.device_index(host_order, x_arr)
                    elif shuffle and train_batches is None:
                        host_order = drawn.pop(epoch, None)
                        if host_order is None:
                            host_order = data.permutation(n, self._order_rng(first + epoch - initial_epoch))
                        order = data.device_index(host_order, x_arr)
                    batch = -1
                    if passes is None:
                        epoch_batches = data.batch_slices(n, batch_size) if train_batches is None else \
                            train_batches.epoch()
                    for batch, rows in enumerate(epoch_batches):
                        stopped = ("interrupt", epoch, batch, math.nan) if interrupt.requested else None
                        if stopped:
                            break
                        if train_batches is None:
                            index = rows if order is None else order[rows]
                            if captured is not None:  # no per-batch logs: loss and metrics stay on the device
                                captured.take(x_arr, y_arr, index)  # gathers into the graph's input buffers
                                if progress is not None:
                                    progress.batch_end(batch + 1, dict)
                                if self.stop_training:
                                    break
                                continue
                            xb, yb = x_arr[index], y_arr[index]
                            wb = None if w_arr is None else w_arr[index]
                        else:
                            xb, yb, wb = rows  # read, checked and on the device
                        size = xb.shape[0]
                        if batch_begin:
                            callback_list.on_train_batch_begin(batch, {})  # Keras's batch-begin logs are empty
                        loss_value, pred = step(xb, yb) if wb is None else step(xb, yb, wb)
                        tracker.add("loss", loss_value, size)
                        if terminate_on_nan and not math.isfinite(loss_value):
                            stopped = ("nan", epoch, batch, loss_value)
                            break
                        # the batch's own values only for a callback recording each step (explain.Trace): no
                        # dict is made per batch otherwise
                        step_logs = {"loss": loss_value} if step_logs_wanted else None
                        run.update(yb, pred, size, wb, step_logs, mask=self.__dict__.get("_step_mask"))
                        if batch_end:
                            # as in Keras: the running means (and stateful results) since the epoch began
                            callback_list.on_train_batch_end(batch, run.result(), step_logs)
                        if progress is not None:
                            progress.batch_end(batch + 1, run.result if run.stateful else tracker.result)
                        if self.stop_training:
                            break
                    if plan is not None:
                        plan.settle()
                    if progress is not None and steps is None:
                        progress.steps = batch + 1  # a dataset of unknown length: now counted
                    if stopped and stopped[0] == "interrupt":
                        break
                    if captured is not None:
                        if shuffle and epoch + 1 < epochs and not self.stop_training and not stopped:
                            # the device is still running this epoch's steps, and the host would only wait
                            # for them: draw the next epoch's order meanwhile (about 1 ms at 60,000 rows,
                            # as long as a whole epoch of small batches takes on a GPU)
                            drawn[epoch + 1] = data.permutation(n, self._order_rng(first + epoch + 1 - initial_epoch))
                        logs, bad_batch = captured.finish_epoch()
                        if bad_batch is not None:
                            stopped = ("nan", epoch, bad_batch, logs["loss"])
                    else:
                        logs = run.result()
                    if stopped is None:
                        watch.check(epoch, self.optimizer)
                    if validates(epoch) and (val is not None or val_batches is not None and val_batches.begin(epoch)):
                        val_logs = self._evaluate_arrays(*val[:2], val_batch_size, *val[2:],
                                                         callbacks=callback_list) if val is not None else \
                            self._evaluate_batches(val_batches.epoch(), val_batches.weighted, callbacks=callback_list)
                        logs.update({f"val_{k}": v for k, v in val_logs.items()})
                        if self._log_order is not None:
                            logs = dict(sorted(logs.items()))
                    self.epochs_trained = first + epoch - initial_epoch + 1  # what a checkpoint saved now records
                    callback_list.on_epoch_end(epoch, logs)
                    finished_epochs += 1
                    if progress is not None:
                        progress.epoch_end(epoch, logs)
                    if self.stop_training or stopped:
                        break
                    if interrupt.requested:
                        stopped = ("interrupt", epoch + 1, 0, math.nan)
                        break
            except KeyboardInterrupt:
                stopped = ("interrupt", epoch, max(batch, 0), math.nan)
            finally:
                if plan is not None:
                    plan.settle()
                self.epochs_trained = first + finished_epochs
                if progress is not None:
                    progress.close()
                if captured is not None:
                    captured.release()
                self.train(was_training)
        if stopped is not None and stopped[0] == "nan":
            weights_finite = all(bool(backend.xp().isfinite(p.data).all()) for p in self.parameters())
            # a dataset's batches were each checked for NaN and inf as they were read
            cause = None if allow_nonfinite or train_batches is not None else \
                _nonfinite_data([(x_arr, "x"), (y_arr, "y")])
            _warn_nonfinite(stopped, self.optimizer, weights_finite, allow_nonfinite, cause)
        end_of_fit(stopped, finished_epochs, callback_list, logs)
        if verbose:
            from .explain.hints import print_hints

            print_hints(self, history, x_arr, y_arr)
        return history

    def _captured_step(self, capture: bool | None, step: Any, batch_size: int, x_arr: Any, y_arr: Any,
                       callback_list: CallbackList, terminate_on_nan: bool, weighted: bool = False) -> Any:
        """A ``fnlearn.gpu.CapturedStep`` for this fit, or None to train batch by batch. Capture needs the
        CuPy backend, the fast step, an optimizer whose update does not read the host, metrics with a
        device form and no callback that reads every batch; ``capture=True`` says which one is missing."""
        if capture is False or backend.backend_name() != "cupy":
            return None
        from . import fastpath, gpu

        plan = step if isinstance(step, fastpath.StepPlan) else None
        reason = "terminate_on_nan=False trains on the general step" if not terminate_on_nan \
            else "sample or class weights train on the general step" if weighted else gpu.capture_refusal(plan)
        metrics = None
        if reason is None:
            units = plan.layers[-1][0].kernel.shape[-1]
            metrics = gpu.device_metrics(self._metrics, self.loss, tuple(y_arr.shape[1:]), (units,),
                                         keys=self._metric_keys)
            if metrics is None:
                stateful = next((m.name for m in self._metrics if m.stateful), None)
                reason = (f"metric {stateful!r} keeps state across batches (update_state / result), which fit "
                          "updates on the host" if stateful is not None else
                          "a metric has no device form (accuracy, mse and mae have one)")
        if reason is None and callback_list.wants_batch_logs:
            reason = "a callback reads every batch's logs"
        if reason is not None:
            if capture:
                raise ConfigError(f"capture=True cannot be used for this fit: {reason}; pass capture=False.")
            return None
        return gpu.CapturedStep(plan, batch_size, tuple(x_arr.shape[1:]), tuple(y_arr.shape[1:]),
                                x_dtype=x_arr.dtype, y_dtype=y_arr.dtype, metrics=metrics, insist=bool(capture))

    def _try_metrics(self, entries: list[tuple[str, metrics_module.Metric, bool]], x: Any, y: Any, w: Any,
                     batch_size: int) -> None:
        """Run copies of the stateful metrics on the first batch, with the untrained model's predictions (in
        inference mode: no Dropout draw, no statistics updated), so that a metric that fails does so before
        the first step."""
        rows = slice(0, min(batch_size, x.shape[0]))
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                pred = self._forward(self._batch_input(x[rows])).data
        finally:
            self.train(was_training)
        metrics_module.check_run(entries, y[rows], pred, None if w is None else w[rows])

    def _order_rng(self, epoch: int) -> np.random.Generator:
        """The generator of one epoch's shuffle (epoch −1: the validation split).

        Each is derived from (shuffle seed, epoch of the model's whole training); the model draws its shuffle
        seed once, from ``fl.set_seed``'s generator, and saves it (with ``epochs_trained``) in its files. So a
        loaded checkpoint's ``fit(initial_epoch=k)`` — or plain ``fit`` — shuffles epochs k, k+1, … exactly as
        the uninterrupted run did, even in a new process, and keeps the same validation split.
        """
        if getattr(self, "shuffle_seed", None) is None:
            self.shuffle_seed = int(backend.rng().integers(2**62))
        return np.random.default_rng([self.shuffle_seed, epoch + 1])

    def _prepare_validation(self, validation_data: Any, allow_nonfinite: bool) -> tuple[Any, Any]:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ConfigError("validation_data must be a pair (x_val, y_val), got "
                              f"{type(validation_data).__name__}; pass validation_data=(x_val, y_val).")
        x_val, y_val = self._prepare(validation_data[0], validation_data[1], "validation x", "validation y",
                                     allow_nonfinite)
        if len(validation_data) == 3 and validation_data[2] is not None:
            return x_val, y_val, self._sample_weight_rows(validation_data[2], y_val, "validation sample weights")
        return x_val, y_val

    def _train_step(self, terminate_on_nan: bool, sample_shape: tuple[int, ...],
                    weighted: bool = False) -> Callable[..., tuple[float, Any]]:
        """The function doing one gradient step on a batch: the written-out fast step when the model and
        loss allow it, otherwise the general autodiff step. Both return (batch loss, batch output) and
        leave the weights unchanged when the loss is not finite; with ``terminate_on_nan=False`` every step is
        applied (the general step, as Keras does without TerminateOnNaN)."""
        if terminate_on_nan and not weighted:  # the fast step always refuses a non-finite update
            try:
                from . import fastpath
            except ImportError:
                fastpath = None
            plan = fastpath.compile_step(self, self.loss, self.optimizer, sample_shape) \
                if fastpath is not None else None
            if plan is not None:
                return plan
        from .nn.module import holding_state_updates  # here: fnlearn.nn imports this module

        optimizer = self.optimizer
        penalties = self._penalties()  # found once per fit, not per step

        def general_step(xb: Any, yb: Any, wb: Any = None) -> tuple[float, Any]:
            self.clear_losses()
            with holding_state_updates() as updates:  # moving statistics change with the step, or not at all
                out = self._forward(self._batch_input(xb))
            loss = self._batch_loss(yb, out, wb)
            # the output's mask of padding steps, for the batch's metrics (only this step computes through layers)
            object.__setattr__(self, "_step_mask", getattr(out, "_mask", None))
            if not loss.requires_grad:
                raise ConfigError("the loss function must return an fl.Tensor computed from y_pred (so it can be "
                                  "differentiated), got one that does not depend on it; build it from fnlearn ops.")
            if penalties:
                loss = loss + _penalty(penalties)
            value = float(loss.item())
            if terminate_on_nan and not math.isfinite(value):
                return value, out.data
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            for update in updates:
                update()
            return value, out.data

        return general_step

    @property
    def _text_input(self) -> bool:
        """Whether the model starts at ``keras.Input(dtype="string")``: its data are raw texts, kept as strings on
        the host until its first layer (a TextVectorization) turns them into numbers."""
        first = self.__dict__.get("_input_layer") or next(iter(getattr(self, "_inputs", None) or
                                                             getattr(self, "_layers", None) or []), None)
        return bool(getattr(first, "takes_text", False))

    def _batch_input(self, batch: Any) -> Any:
        """A batch of the data as the forward pass takes it: a tensor, or for a model of texts the strings."""
        return batch if self._text_input else Tensor(batch)

    def _forward(self, x: Tensor) -> Tensor:
        """``forward`` in the mode fit / evaluate / predict set, marked as a call in progress: a Keras model
        inside this one then runs in that mode too (on its own, a Keras model's call is inference)."""
        from .nn.module import running_forward  # here: fnlearn.nn imports this module

        with running_forward():
            return self.forward(x)

    # ------------------------------------------------------------------ data checks
    def _dtype(self) -> Any:
        """The dtype data are cast to: the first weight's; before any, the first layer's (made with one)."""
        params = self.parameters()
        if params:
            return params[0].data.dtype
        first = next(iter(self.layers), None) if hasattr(self, "layers") else None
        return np.dtype(getattr(first, "dtype", None) or backend.float_dtype())

    def _prepare(self, x: Any, y: Any, x_name: str, y_name: str, allow_nonfinite: bool) -> tuple[Any, Any]:
        """Convert and check one (x, y) pair against the model and the loss; nothing is changed."""
        dtype = self._dtype()
        x_arr = self._features(x, dtype, x_name, allow_nonfinite)
        y_arr = data.to_array(y, y_name)
        data.check_same_rows(x_arr, y_arr, x_name, y_name)
        out_shape = self._check_features(tuple(x_arr.shape[1:]), x_name, x_arr.shape[0])
        y_ready = self._check_targets(y_arr, out_shape, y_name, dtype)
        if not allow_nonfinite:  # after the casts to the model's dtype, which can overflow
            if not self._text_input:
                _check_finite_once(x_arr, x_name, x)
            same_size = y_ready.size == y_arr.size  # positions are named in the targets' own shape
            _check_finite_once(y_ready.reshape(y_arr.shape) if same_size else y_ready, y_name, y_arr)
        return x_arr, y_ready

    def _sizes_taken(self) -> Any:
        """The sample shape the data must fit (None for a size that may be any): the one declared, or for a
        subclass of Keras's Model, whose call() may take any size as Keras's does, the number of axes of the
        samples it was first built for (a run on a zero sample then checks the rest, before anything changes)."""
        declared = self._sample_input_shape
        if not self._layers_in_order and self._keras_way and isinstance(declared, tuple):
            return (None,) * len(declared)
        return declared

    def _same_samples(self, shape: Any, other: Any) -> bool:
        """Whether samples of shapes ``shape`` and ``other`` are alike for this model: equal, but for the sizes
        its input leaves unknown (None), such as a sequence's steps."""
        declared = self._sizes_taken() if getattr(self, "built", False) else None
        if isinstance(declared, list):  # several Inputs packed side by side: each one's shape was checked alone
            return tuple(shape) == tuple(other) or any(None in tuple(one) for one in declared)
        if isinstance(declared, tuple) and len(declared) == len(shape):
            shape = tuple(None if known is None else size for known, size in zip(declared, shape))
        return data.shape_fits(shape, other)

    def _features(self, x: Any, dtype: Any, x_name: str, allow_nonfinite: bool) -> Any:
        """The inputs ``x`` as one float array of ``dtype`` with a batch axis (a model with several inputs
        checks each and packs them side by side; non-finite values are checked after, unless allowed)."""
        declared = self._sample_input_shape if self._layers_in_order and getattr(self, "built", False) else None
        if self._text_input:
            return data.as_texts(x, x_name, self._sample_input_shape)
        return data.as_features(x, dtype, x_name, None if declared is None else tuple(declared))

    def _check_features(self, sample_shape: tuple[int, ...], x_name: str,
                        rows: int | None = None) -> tuple[int, ...]:
        """Check a sample's shape against every layer that knows its input size; return the output shape."""
        from .nn.layers import Layer

        layers = self.layers
        if not layers:
            raise NotReadyError("this model has no layers; add some with model.add(...) first.")
        first = layers[0]
        if getattr(first, "declares_input_only", False):  # a functional model's InputLayer
            declared = first.input_shape
            expects = f"model {self.name!r} takes samples of shape {declared} (its keras.Input)"
            fix = "check the data's columns or the Input's shape"
        elif self._layers_in_order:
            declared = sample_input_shape(first)
            expects = f"layer {first.name!r} expects samples of shape {declared} (its input_shape)"
            fix = "check the data's columns or the first layer's input_shape"
        else:
            declared = self._sizes_taken()
            expects = f"model {self.name!r} was built for samples of shape {self._sample_input_shape}"
            fix = "check the data's columns"
        if declared is not None and not data.shape_fits(declared, sample_shape):
            raise ShapeError(f"{expects}, but {x_name} has samples of shape {sample_shape}"
                             f"{_one_sample_hint(x_name, rows, sample_shape, declared)}; {fix}.")
        if not self._layers_in_order or not all(isinstance(layer, Layer) for layer in layers):
            if self._sample_input_shape is None or data.shape_fits(self._sample_input_shape, sample_shape):
                return self._probe_output_shape(sample_shape)
            try:  # samples unlike those it was built for, which a Keras model's call() may still take
                return self._probe_output_shape(sample_shape)
            except ShapeError as exc:
                said = str(exc).rstrip(".")
                raise ShapeError(f"{expects}, but {x_name} has samples of shape {sample_shape}, which it cannot "
                                 f"take ({said}); {fix}.") from None
        shape = sample_shape
        for index, layer in enumerate(layers):
            expected = layer.input_features  # Dense's inputs, BatchNormalization's features (once built)
            if expected is not None and shape[-1] != expected:
                source = f"{x_name} has {shape[-1]} features per sample" if index == 0 else \
                    f"the layer before it outputs {shape[-1]}"
                hint = _one_sample_hint(x_name, rows, shape, expected) if index == 0 else ""
                raise ShapeError(f"layer {layer.name!r} expects {expected} features per sample, but "
                                 f"{source}{hint}; check the data's columns or the layers' sizes.")
            shape = layer.output_shape_for(shape)
        return shape

    def get_layer(self, name: str | None = None, index: int | None = None) -> Any:
        """A layer by its name or its position (Keras's ``model.get_layer``).

        >>> import fnlearn as fl
        >>> fl.Sequential([fl.layers.Dense(2, input_dim=3, name="hidden")]).get_layer("hidden").units
        2
        """
        layers = self.layers
        if (name is None) == (index is None):
            raise ConfigError("get_layer needs a name or an index (one of them); e.g. model.get_layer('dense').")
        if index is not None:
            if not isinstance(index, int) or not -len(layers) <= index < len(layers):
                raise ConfigError(f"get_layer index {index!r} is out of range for a model of {len(layers)} "
                                  "layers; use 0 for the first layer.")
            return layers[index]
        for layer in layers:
            if getattr(layer, "name", None) == name:
                return layer
        names = ", ".join(repr(getattr(layer, "name", "?")) for layer in layers)
        raise ConfigError(f"this model has no layer named {name!r}; its layers are {names}.")

    # ------------------------------------------------------------------ a model used as one step of another
    def build_for(self, sample_shape: tuple[int, ...]) -> None:
        """Build for samples of ``sample_shape`` (batch axis excluded), as a layer inside another model is."""
        self.build(sample_shape)

    def output_shape_for(self, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of one output sample for inputs of ``sample_shape``: what a model inside another model (or
        called on a ``keras.Input``, as Keras's models are callable like layers) gives the step after it.

        >>> import fnlearn as fl
        >>> fl.Sequential([fl.layers.Dense(3), fl.layers.Dense(2)]).output_shape_for((5,))
        (2,)
        """
        if not self.built:
            self.build(sample_shape)
        return self._check_features(tuple(sample_shape), "its input")

    def _probe_output_shape(self, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output shape of a model with custom modules, from one zero sample (no gradients, and no trace
        left in its weights or added losses)."""
        from .nn.layers import zero_run_shape  # here: fnlearn.nn imports this module

        was_training = self.training
        self.eval()
        try:
            return zero_run_shape(self, sample_shape, self._forward, object if self._text_input else self._dtype())
        finally:
            self.train(was_training)

    def _output_layer(self) -> str:
        last = self.layers[-1]
        return getattr(last, "name", type(last).__name__)

    @property
    def _keras_way(self) -> bool:
        """Whether this model's user writes Keras's names: a model of fnlearn's Keras front end (its classes or
        a subclass of them), not of fnlearn's own API."""
        return any(cls.__module__.startswith("fnlearn.keras") for cls in type(self).__mro__)

    def _spelled(self, what: str) -> str:
        """``what`` ("Flatten" or "to_categorical") as this model's user writes it (see :attr:`_keras_way`)."""
        if what == "Flatten":
            return "layers.Flatten()" if self._keras_way else "fl.layers.Flatten()"
        return "keras.utils.to_categorical" if self._keras_way else "fl.data.to_categorical"

    def _check_targets(self, y: Any, out_shape: tuple[int, ...], y_name: str, dtype: Any,
                       head: tuple[str | None, str] | None = None) -> Any:
        """Targets checked against the output layer and the loss, as arrays the loss takes directly; ``head``:
        (loss name, layer name) of one output of several, checked on its own."""
        loss, layer = head if head is not None else (self._loss_name, self._output_layer())
        if loss in losses.OWN_TARGETS:  # label rows for a sequence of scores, one label per embedding: its own check
            return y
        n = y.shape[0]
        units = out_shape[-1] if out_shape else 1
        per_sample = int(np.prod(out_shape)) if out_shape else 1
        y_per_sample = int(np.prod(y.shape[1:])) if y.ndim > 1 else 1
        integer_valued = y.dtype.kind in "iub" or bool(backend.xp().all(y == backend.xp().round(y)))
        # a sequence model's output keeps its steps (a tagger, a decoder): the targets are one-hot rows or labels
        # per step then, and the loss is the mean over every step
        steps = tuple(out_shape[:-1])
        per_step = len(out_shape) > 1 and (
            (loss == "categorical_crossentropy" and tuple(y.shape[1:]) == tuple(out_shape))
            or (loss == "sparse_categorical_crossentropy" and tuple(y.shape[1:]) in (steps, (*steps, 1))))
        if loss in ("sparse_categorical_crossentropy", "categorical_crossentropy") and len(out_shape) > 1 \
                and not per_step:
            raise ShapeError(f"the last layer {layer!r} outputs shape {tuple(out_shape)} per sample (Dense acts on "
                             f"the last axis of each sample), but {loss} needs one row of {units} class scores per "
                             f"sample; add {self._spelled('Flatten')} before the first Dense layer (first of all for "
                             "images given as pixels, after the convolution and pooling layers in a CNN).")
        # Keras's ignore_class (a segmentation's void label, 255 say) may lie outside the classes
        ignored = self.loss.options.get("ignore_class") if isinstance(self.loss, losses.Loss) else None
        if loss == "sparse_categorical_crossentropy" and per_step:
            return losses.sparse_labels(y.reshape(n, *steps), units, "sparse_categorical_crossentropy", ignored)
        if loss == "sparse_categorical_crossentropy":
            if y.ndim > 1 and y_per_sample == per_sample and units > 1:
                raise ShapeError(f"{y_name} has shape {tuple(y.shape)}, one-hot rows, but "
                                 "sparse_categorical_crossentropy needs one integer label per sample; use "
                                 "loss='categorical_crossentropy', or pass y.argmax(axis=1).")
            if y_per_sample != 1:
                raise ShapeError(f"{y_name} has shape {tuple(y.shape)}, but sparse_categorical_crossentropy needs one "
                                 "integer label per sample (shape (n,)).")
            return losses.sparse_labels(y.reshape(n), units, "sparse_categorical_crossentropy", ignored)
        if loss == "categorical_generalized_cross_entropy":  # Keras's takes class indices, as the sparse loss does
            if y_per_sample != 1 or len(out_shape) > 1:
                raise ShapeError(f"{y_name} has shape {tuple(y.shape)} for outputs of shape {tuple(out_shape)}, but "
                                 "categorical_generalized_cross_entropy needs one integer class label per sample "
                                 "(shape (n,)); pass y.argmax(axis=1) for one-hot rows.")
            return losses.sparse_labels(y.reshape(n), units, loss)
        if loss == "categorical_crossentropy" and y_per_sample == 1 and units > 1:
            raise ShapeError(f"categorical_crossentropy needs one-hot targets with {units} columns, but {y_name} has "
                             f"shape {tuple(y.shape)}{' (integer labels?)' if integer_valued else ''}; use "
                             f"loss='sparse_categorical_crossentropy' or y = {self._spelled('to_categorical')}(y, "
                             f"{units}).")
        if loss is not None and y_per_sample != per_sample and len(out_shape) > 1:
            raise ShapeError(f"the last layer {layer!r} outputs shape {tuple(out_shape)} per sample (Dense acts on "
                             f"the last axis of each sample), but {y_name} has {y_per_sample} value(s) per sample "
                             f"(shape {tuple(y.shape)}); add {self._spelled('Flatten')} before the first Dense layer "
                             "(after the convolution and pooling layers in a CNN), or give x one row of features "
                             "per sample.")
        if loss is not None and y_per_sample != per_sample:
            hint = (f"; one-hot encode the labels with {self._spelled('to_categorical')}(y, {units})"
                    if y_per_sample == 1 and integer_valued and units > 1 else
                    "; give the last layer as many units as there are target columns")
            raise ShapeError(f"the last layer {layer!r} outputs {per_sample} value(s) per sample, but {y_name} has "
                             f"{y_per_sample} per sample (shape {tuple(y.shape)}){hint}.")
        if y.dtype != dtype:
            with np.errstate(over="ignore"):  # a value beyond the dtype's range is named by the data check
                y = y.astype(dtype)
        if loss == "binary_crossentropy":
            xp = backend.xp()
            outside = (y < 0) | (y > 1)
            if bool(xp.any(outside)):
                pos = tuple(int(i) for i in np.argwhere(backend.to_numpy(outside))[0])
                value = backend.to_numpy(y)[pos]
                raise DataError(f"binary_crossentropy needs targets in [0, 1], but {y_name} holds {value:g} (row "
                                f"{pos[0]}); use 0/1 labels, or categorical cross-entropy for more than two "
                                "classes.")
        if loss == "categorical_crossentropy" and y.ndim == 2 and units > 1:
            # soft labels are fine; a value outside [0, 1] is no target at all, and a row that does not sum to 1
            # (several classes marked, as the functional API guide's random multi-hot targets) is computed as
            # Keras does, −Σ y·log p, with a warning: for several classes per sample, sigmoid + binary
            # cross-entropy is the loss that means it
            xp = backend.xp()
            outside = xp.any((y < 0) | (y > 1), axis=1)
            bad = outside if bool(xp.any(outside)) else xp.abs(y.sum(axis=1) - 1) > 1e-3
            if bool(xp.any(bad)):
                row = int(np.argmax(backend.to_numpy(bad)))
                values = ", ".join(f"{v:g}" for v in backend.to_numpy(y[row])[:6])
                shown = f"{y_name} row {row} is ({values}{', ...' if units > 6 else ''})"
                if bool(xp.any(outside)):
                    raise DataError(f"categorical_crossentropy needs one-hot targets (each row in [0, 1], summing to "
                                    f"1), but {shown}; use {self._spelled('to_categorical')}(labels, {units}).")
                warnings.warn(f"categorical_crossentropy takes one-hot targets (rows summing to 1), but {shown}; "
                              "it is computed as −Σ y·log p all the same, as Keras does. For several classes per "
                              "sample use activation='sigmoid' with binary_crossentropy.", UserWarning, stacklevel=4)
        if y_per_sample == per_sample and tuple(y.shape[1:]) != out_shape:
            y = y.reshape((n, *out_shape))
        return y

    # ------------------------------------------------------------------ evaluate / predict
    def _evaluate_arrays(self, x: Any, y: Any, batch_size: int, w: Any = None,
                         callbacks: Any = None) -> dict[str, float]:
        """Mean loss and metrics over (already checked) arrays, in eval mode, no graph; ``w``: per-sample
        weights of the loss and the weighted metrics (Keras's sample_weight). ``callbacks`` (a CallbackList)
        get Keras's test hooks: on_test_begin, on_test_batch_begin ({}) / _end with the running logs (the
        weight penalties included in the loss, as in the result), on_test_end with the result."""
        batches = ((x[rows], y[rows], None if w is None else w[rows])
                   for rows in data.batch_slices(x.shape[0], batch_size))
        return self._evaluate_batches(batches, w is not None, callbacks)

    def _evaluate_batches(self, batches: Iterable[tuple[Any, Any, Any]], weighted: bool,
                          callbacks: Any = None) -> dict[str, float]:
        """:meth:`_evaluate_arrays` over batches ``(x, y, w)`` given one at a time (checked, on the device; ``w``
        None unless ``weighted``), as a dataset gives them."""
        run = metrics_module.MetricRun(self._metric_entries(), weighted=weighted,  # resets stateful ones
                                       sort_keys=self._log_order is not None)
        hooks = callbacks.batch_hooks("test") if callbacks is not None else []
        if callbacks is not None:
            callbacks.on_test_begin({})
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                penalties = self._penalties()  # the weights do not change while evaluating: one sum for all batches
                penalty = float(_penalty(penalties).item()) if penalties else 0.0
                for batch, (xb, yb, wb) in enumerate(batches):
                    for cb in hooks:
                        cb.on_test_batch_begin(batch, {})  # Keras's batch-begin logs are empty
                    self.clear_losses()
                    out = self._forward(self._batch_input(xb))
                    loss = self._batch_loss(yb, out, wb)
                    run.tracker.add("loss", float(loss.item()), xb.shape[0])
                    run.update(yb, out.data, xb.shape[0], wb, mask=getattr(out, "_mask", None))
                    if hooks:  # as Keras: the running means (and stateful results) since the run began
                        logs = run.result()
                        if penalty:
                            logs["loss"] += penalty
                        for cb in hooks:
                            cb.on_test_batch_end(batch, logs)
        finally:
            self.train(was_training)
        result = run.result()
        if penalty:
            result["loss"] += penalty  # the loss fit minimises, as Keras reports it
        if callbacks is not None:
            callbacks.on_test_end(dict(result))
        return result

    def _batch_loss(self, y: Any, out: Tensor, w: Any = None) -> Tensor:
        """The compiled loss of a batch (weighted when ``w`` is given) plus the terms the forward pass added with
        ``add_loss``, as Keras adds them."""
        mask = getattr(out, "_mask", None)  # a sequence output's real steps (Embedding(mask_zero=True), Masking)
        loss = None if mask is None else _masked_loss(self.loss, self.loss_fn, y, out, mask, w)
        if loss is None:
            loss = self.loss_fn(y, out) if w is None else self._weighted_loss(y, out, w)
        added = self.added_loss()
        return loss if added is None else loss + added

    def _sample_weight_rows(self, sample_weight: Any, y: Any, name: str) -> Any:
        """The ``sample_weight`` of fit, evaluate or ``validation_data`` as rows that batch with ``y`` (None for
        none): one weight per sample here, checked in one sentence; a model of several outputs may take weights
        per output."""
        return _sample_weights(sample_weight, y, name)

    def _weighted_loss(self, y: Any, out: Tensor, w: Any) -> Tensor:
        """Σ wᵢ·lossᵢ over the batch, divided by the batch size for a mean loss (Keras's weighted loss)."""
        return _weighted_loss(self.loss, self.loss_fn, y, out, w)

    def _built_in_loss(self) -> tuple[Callable[..., Tensor], dict[str, Any], str] | None:
        """(function, options, reduction) of a built-in loss (by name or a Loss object), None for one of the
        user's own: what a weighted loss needs to ask for one value per sample."""
        return _built_in_loss(self.loss, self.loss_fn)

    def _check_loss_per_sample(self, y: Any, sample_shape: tuple[int, ...]) -> None:
        """Before fit changes anything: weights need a loss of the user's own to give one value per sample.
        It is tried on two rows of the targets against outputs of ½ (a probability every loss takes)."""
        if self._built_in_loss() is not None or y.shape[0] < 2:
            return
        out_shape = self._check_features(sample_shape, "x")
        with no_grad():
            losses.require_per_sample(self.loss(y[:2], Tensor(backend.xp().full((2, *out_shape), 0.5,
                                                                                self._dtype()))), 2)

    def _penalties(self) -> list[tuple[Any, Any]]:
        """(parameter, regularizer) for every weight with a penalty (``kernel_regularizer``…) in the model."""
        return [pair for layer in self.modules() if hasattr(layer, "penalties") for pair in layer.penalties()]

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: int | str = 0,
                 sample_weight: Any = None, return_dict: bool = False, *, callbacks: Any = None,
                 allow_nonfinite: bool = False, steps: int | None = None, **kwargs: Any) -> Any:
        """The loss on (x, y), or ``[loss, *metrics]`` when metrics were compiled (``return_dict`` for a dict).

        ``x`` may also be a dataset (or a generator) of batches ``(x, y)`` or ``(x, y, sample_weight)``, as
        ``fit`` takes it, without ``y``, ``batch_size`` or ``sample_weight``; ``steps`` reads only that many of
        its batches.

        Runs in evaluation mode (Dropout off) without building a graph. ``verbose`` > 0 prints one line.
        ``callbacks`` get Keras's test hooks (``on_test_begin``, ``on_test_batch_begin`` with ``{}`` /
        ``on_test_batch_end`` with the running means, ``on_test_end``), as fit's callbacks do while it validates.
        A Keras subclass that defines ``test_step`` is evaluated by it (``y`` may then be left out).

        >>> import fnlearn as fl, numpy as np
        >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=1, kernel_initializer="ones")])
        >>> m.compile("sgd", "mae")
        >>> m.evaluate(np.array([[1.0], [2.0]]), np.array([1.0, 4.0]))
        1.0
        """
        self._require_compiled("evaluate")
        _reject_extra("evaluate", kwargs, set())
        from . import steps as own
        from .pipeline import batch_source

        source = batch_source(x)
        if source is not None:
            _refuse_with_dataset("evaluate", y=y, batch_size=batch_size, sample_weight=sample_weight)
        else:
            _refuse_steps("evaluate", "steps", steps, "x")
            batch_size = data.check_batch_size(batch_size)
        from .progress import check_verbose

        verbose = check_verbose(verbose)
        if own.own_step(self, "test_step"):
            batches, count = self._step_batches(x, y, sample_weight, source, steps, batch_size, "evaluate",
                                                allow_nonfinite)
            callback_list = _callback_list(callbacks, self, {"verbose": verbose, "steps": count})
            result = own.evaluate(self, batches, callback_list)
            _evaluate_line(verbose, callback_list, count, result)
            return result if return_dict else own.ordered_results(self, result)
        if self.loss_fn is None:
            raise ConfigError(f"evaluate computes the compiled loss, but {type(self).__name__} was compiled without "
                              "one (its train_step computes its own); define test_step too, or compile with loss=...")
        if source is not None:
            return self._evaluate_dataset(source, steps, verbose, return_dict, callbacks, allow_nonfinite)
        if y is None:
            raise ConfigError("evaluate needs targets: call model.evaluate(x, y).")
        x_arr, y_arr = self._prepare(x, y, "x", "y", allow_nonfinite)
        w_arr = self._sample_weight_rows(sample_weight, y_arr, "sample_weight")
        steps = math.ceil(x_arr.shape[0] / batch_size)
        callback_list = _callback_list(callbacks, self, {"verbose": verbose, "steps": steps})
        if not self.built:
            self.build(tuple(x_arr.shape[1:]))  # as Keras: the first data decide the input shape
        result = self._evaluate_arrays(x_arr, y_arr, batch_size, w_arr, callback_list)
        if not allow_nonfinite and not all(bool(np.all(np.isfinite(v))) for v in result.values()):
            problem = _nonfinite_data([(x_arr, "x"), (y_arr, "y")])  # changed in place since they were checked
            if problem is not None:
                raise DataError(problem)
        _evaluate_line(verbose, callback_list, steps, result)
        return _batch_result(result, return_dict, self._log_order)

    def _step_batches(self, x: Any, y: Any, sample_weight: Any, source: Any, steps: Any, batch_size: int, role: str,
                      allow_nonfinite: bool) -> tuple[Iterable[Any], int | None]:
        """(the batches' data for a step of the model's own, how many) of arrays or a dataset, read and checked
        first (the arrays whole, a dataset's first batch) so that bad data are refused before any step runs."""
        from . import steps as own

        if source is None:
            arrays = own.StepArrays(self._dtype(), "{}", x, y, sample_weight, None, allow_nonfinite)
            return arrays.batches(batch_size), math.ceil(arrays.n / batch_size)
        batches = _Batches(self, source, steps, role, allow_nonfinite,
                           convert=own.batch_converter(self._dtype(), allow_nonfinite))
        return (step_data for step_data, _, _ in batches.epoch()), batches.steps

    def _evaluate_dataset(self, source: Any, steps: Any, verbose: Any, return_dict: bool, callbacks: Any,
                          allow_nonfinite: bool) -> Any:
        """:meth:`evaluate` of a dataset's batches, each read, checked and moved to the device in turn."""
        from .progress import check_verbose

        verbose = check_verbose(verbose)
        batches = _Batches(self, source, steps, "evaluate", allow_nonfinite)
        callback_list = _callback_list(callbacks, self, {"verbose": verbose, "steps": batches.steps})
        if not self.built:
            self.build(batches.sample_shape)  # as Keras: the first data decide the input shape
        result = self._evaluate_batches(batches.epoch(), batches.weighted, callback_list)
        _evaluate_line(verbose, callback_list, batches.read, result)
        return _batch_result(result, return_dict, self._log_order)

    def predict(self, x: Any, batch_size: int | None = None, verbose: int | str = 0, *, callbacks: Any = None,
                steps: int | None = None, **kwargs: Any) -> np.ndarray:
        """The model's outputs for ``x`` as a NumPy array, computed in batches in evaluation mode, without
        building a graph. ``x`` may also be a dataset (or a generator) of batches, each ``x`` or a tuple whose
        first item is ``x`` (Keras's rule: ``(x, y)`` gives the outputs for ``x``), the outputs in the dataset's
        order; ``steps`` reads only that many of its batches. ``callbacks`` get Keras's predict hooks
        (``on_predict_begin``, ``on_predict_batch_begin`` with ``{}`` / ``on_predict_batch_end`` with
        ``{"outputs": ...}``, ``on_predict_end``). A Keras subclass that defines ``predict_step`` predicts by it,
        its outputs joined along the batch axis.

        >>> import fnlearn as fl, numpy as np
        >>> m = fl.Sequential([fl.layers.Dense(2, input_dim=3)])
        >>> m.predict(np.ones((4, 3))).shape
        (4, 2)
        """
        _reject_extra("predict", kwargs, set())
        from . import steps as own
        from .pipeline import batch_source

        source = batch_source(x)
        if source is not None:
            _refuse_with_dataset("predict", batch_size=batch_size)
        else:
            _refuse_steps("predict", "steps", steps, "x")
        batch_size = data.check_batch_size(batch_size)
        from .progress import check_verbose

        check_verbose(verbose)
        if own.own_step(self, "predict_step"):
            batches, count = self._step_batches(x, None, None, source, steps, batch_size, "predict", True)
            return own.predict(self, batches, _callback_list(callbacks, self, {"verbose": verbose, "steps": count}))
        if source is None:
            x_arr = self._features(x, self._dtype(), "x", allow_nonfinite=True)
            self._check_features(tuple(x_arr.shape[1:]), "x", x_arr.shape[0])
            total: int | None = x_arr.shape[0]
            sample_shape, x_dtype = tuple(x_arr.shape[1:]), x_arr.dtype
            batches: Iterable[Any] = (x_arr[rows] for rows in data.batch_slices(x_arr.shape[0], batch_size))
            step_count: int | None = math.ceil(x_arr.shape[0] / batch_size)
        else:  # the outputs of a dataset's batches, as many as it gives (read, checked, moved one at a time)
            reader = _Batches(self, source, steps, "predict", True)
            total, sample_shape, x_dtype = None, reader.sample_shape, reader.first[0].dtype
            batches, step_count = (xb for xb, _, _ in reader.epoch()), reader.steps
        callback_list = _callback_list(callbacks, self, {"verbose": verbose, "steps": step_count})
        hooks = callback_list.batch_hooks("predict") if callback_list is not None else []
        if not self.built:
            self.build(sample_shape)  # as Keras: the first data decide the input shape
        from . import fastpath

        # a Dense stack runs written out, in place
        stack = fastpath.dense_stack(self, inference=True, sample_shape=sample_shape)
        if stack is not None and any(p.data.dtype != x_dtype for p in self.parameters()):
            stack = None  # layers of several dtypes: each Dense casts its input, as the general path does
        out: np.ndarray | None = None
        parts: list[np.ndarray] = []
        start = 0
        if callback_list is not None:
            callback_list.on_predict_begin({})
        was_training = self.training
        self.eval()
        try:
            with no_grad(), fastpath.kept_outputs(self).borrow() as kept:
                for index, batch in enumerate(batches):
                    self.clear_losses()  # a call's add_loss terms are for a loss; predict keeps none of them
                    for cb in hooks:
                        cb.on_predict_batch_begin(index, {})  # Keras's batch-begin logs are empty
                    batch_out = backend.to_numpy(fastpath.forward(stack, batch, kept) if stack is not None
                                                 else self._forward(self._batch_input(batch)).data)
                    for cb in hooks:
                        cb.on_predict_batch_end(index, {"outputs": batch_out})
                    if total is None:  # a copy: the written-out forward may hand back its own buffer again
                        parts.append(np.array(batch_out, copy=True))
                        continue
                    if out is None and stack is not None and batch_out.shape[0] == total:
                        out = batch_out  # one batch, and the written-out forward made a fresh array
                        break
                    if out is None:
                        out = np.empty((total, *batch_out.shape[1:]), dtype=batch_out.dtype)
                    out[start:start + batch_out.shape[0]] = batch_out
                    start += batch_out.shape[0]
        finally:
            self.train(was_training)
        if callback_list is not None:
            callback_list.on_predict_end({})
        return out if total is not None else np.concatenate(parts)

    # ------------------------------------------------------------------ one batch at a time (Keras's loops)
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: Any = None,
                       return_dict: bool = False) -> Any:
        """One gradient step on the batch ``(x, y)``; the batch's loss (``[loss, *metrics]`` with metrics,
        ``return_dict`` for a dict) from the step's forward pass, as Keras's ``train_on_batch``.

        >>> import fnlearn as fl, numpy as np
        >>> m = fl.Sequential([fl.layers.Dense(1, input_dim=1, kernel_initializer="zeros")])
        >>> m.compile(fl.optim.SGD(learning_rate=0.1), "mse")
        >>> m.train_on_batch(np.ones((2, 1)), np.ones(2)), round(float(m.get_weights()[0][0, 0]), 6)
        (1.0, 0.2)
        """
        self._require_compiled("train_on_batch")
        epochs = getattr(self, "epochs_trained", 0)
        history = self.fit(x, y, batch_size=self._batch_rows(x), epochs=1, shuffle=False, verbose=0,
                           sample_weight=sample_weight, class_weight=class_weight)
        self.epochs_trained = epochs  # a step, not an epoch: a later fit shuffles as it would have
        return _batch_result({key: values[-1] for key, values in history.history.items()}, return_dict,
                             self._log_order)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False) -> Any:
        """The loss (and metrics) on the batch ``(x, y)``, without training (Keras's ``test_on_batch``)."""
        result = self.evaluate(x, y, batch_size=self._batch_rows(x), sample_weight=sample_weight, return_dict=True)
        return _batch_result(result, return_dict, self._log_order)

    def predict_on_batch(self, x: Any) -> Any:
        """The outputs for the batch ``x`` (Keras's ``predict_on_batch``)."""
        return self.predict(x, batch_size=self._batch_rows(x))

    def _batch_rows(self, x: Any) -> int:
        """How many samples ``x`` holds (in any form the model takes: an array, a list or dict per Input)."""
        return max(int(self._features(x, self._dtype(), "x", allow_nonfinite=True).shape[0]), 1)

    def predict_classes(self, x: Any, batch_size: int | None = None, verbose: int | str = 0) -> np.ndarray:
        """Class predictions, as the older Keras had: the arg-max unit, or ``p > 0.5`` (shape (n, 1), int32)
        for a single sigmoid unit."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.ndim >= 2 and proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x: Any, batch_size: int | None = None, verbose: int | str = 0) -> np.ndarray:
        """The same as :meth:`predict` (the older Keras name, for probabilities)."""
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    # ------------------------------------------------------------------ weights and files
    def save(self, path: Any, include_optimizer: bool = True) -> None:
        """Write the model (architecture, weights, compile settings, optimizer state) to one file."""
        from . import io

        io.save_model(self, path, include_optimizer=include_optimizer)

    def save_weights(self, path: Any) -> None:
        """Write only the weights to ``path``."""
        from . import io

        io.save_weights(self, path)

    def load_weights(self, path: Any) -> None:
        """Read weights written by :meth:`save_weights` (or :meth:`save`) into this model."""
        from . import io

        io.load_weights(self, path)

    # ------------------------------------------------------------------ summary
    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Callable[[str], Any] | None = None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print each layer's output shape and parameter count, and the totals (Keras's table, Keras's arguments).

        Printed as a rich table in a terminal, as plain text otherwise; ``print_fn`` receives each plain
        line instead (e.g. ``lines.append``). ``show_trainable=True`` adds Keras's "Trainable" column (Y, N, or -
        for a layer with no weights). ``expand_nested=True`` lists the layers of each model inside the model
        under its row, marked "│ " once per level. ``positions`` and ``layer_range`` are refused in one sentence:
        fnlearn's table has one layout and lists every layer.

        >>> import fnlearn as fl
        >>> m = fl.Sequential([fl.layers.Dense(100, activation="relu", input_dim=784),
        ...                    fl.layers.Dense(100, activation="relu"), fl.layers.Dense(10, activation="softmax")])
        >>> lines = []; m.summary(print_fn=lines.append); lines[-4]
        'Total params: 89,610 (350.04 KB)'
        """
        for given, default in (("positions", positions), ("layer_range", layer_range)):
            if default is not None:
                raise ConfigError(f"summary({given}={default!r}) is a Keras option fnlearn's summary does not have "
                                  "(one layout, every layer listed); leave it out.")
        data.check_flag(expand_nested, "expand_nested")
        if not self.built and self._sample_input_shape is not None:
            self.build()
        rows = self._summary_rows()  # a model that does not know its input shape yet: Keras's "?" rows
        total = sum(count for _, _, count, _ in rows)
        links = self.summary_links()
        marks = [_trainable_mark(layer) for layer in self.layers] if show_trainable else None
        if expand_nested:
            rows, links, marks = self._nested_rows(rows, links, marks)
        trainable = int(sum(p.size for p in self.trainable_parameters()))
        itemsize = np.dtype(self._dtype()).itemsize
        title = f'Model: "{getattr(self, "name", type(self).__name__)}"'
        totals = [f"Total params: {total:,} ({_size_words(total * itemsize)})",
                  f"Trainable params: {trainable:,} ({_size_words(trainable * itemsize)})",
                  f"Non-trainable params: {total - trainable:,} ({_size_words((total - trainable) * itemsize)})"]
        import sys

        if print_fn is None and sys.stdout.isatty():
            try:
                from rich.console import Console
                from rich.table import Table
            except ImportError:
                pass
            else:
                table = Table(title=title, title_justify="left")
                table.add_column("Layer (type)")
                table.add_column("Output Shape")
                table.add_column("Param #", justify="right")
                if links is not None:
                    table.add_column("Connected to")
                if marks is not None:
                    table.add_column("Trainable", justify="center")
                for index, (name, shape, _, count_text) in enumerate(rows):
                    table.add_row(name, shape, count_text, *([] if links is None else [links[index]]),
                                  *([] if marks is None else [marks[index]]))
                console = Console()
                console.print(table)
                for line in totals:
                    console.print(line, highlight=False)
                return
        width = line_length or (65 if links is None else 98)
        cols = [int(width * 0.45), int(width * 0.33)] if links is None else \
            [int(width * 0.33), int(width * 0.22), int(width * 0.12)]
        if line_length is None:  # widen to the longest "name (Type)", e.g. batch_normalization (BatchNormalization)
            cols[0] = max(cols[0], 2 + max((len(row[0]) for row in rows), default=0))
            # and to a shape that would overrun its column: a layer of several outputs lists them all,
            # [(None, 4, 8), (None, 8), (None, 8)]
            longest = max((len(row[1]) for row in rows), default=0)
            cols[1] = longest + 2 if longest >= cols[1] else cols[1]
            width = max(width, sum(cols) + 10 + (0 if links is None else max(map(len, links))))
        head = ("Layer (type)", "Output Shape", "Param #") + (() if links is None else ("Connected to",))
        if marks is not None:  # one more column after the last: that one gets a width of its own
            cols.append(12 if links is None else 2 + max(map(len, [head[-1], *links])))
            head += ("Trainable",)
            width = sum(cols) + len("Trainable")
        lines = [title, "_" * width, _summary_line(head, cols), "=" * width]
        for i, row in enumerate(rows):
            fields = (row[0], row[1], row[3]) + (() if links is None else (links[i],))
            lines.append(_summary_line(fields + (() if marks is None else (marks[i],)), cols))
            lines.append("_" * width if i < len(rows) - 1 else "=" * width)
        lines += [*totals, "_" * width]
        emit = print_fn or print
        for line in lines:
            emit(line)

    def summary_links(self) -> list[str] | None:
        """For each of ``layers``, the layers it takes values from (Keras's "Connected to" column): None for a
        model whose layers run one after another."""
        return None

    def _nested_rows(self, rows: list[tuple[str, str, int, str]], links: list[str] | None,
                     marks: list[str] | None, depth: int = 1) -> tuple[list[Any], list[str] | None, list[str] | None]:
        """``rows`` (with their links and marks) with the rows of each model inside this one after its own."""
        out_rows, out_links, out_marks = [], None if links is None else [], None if marks is None else []
        for index, layer in enumerate(self.layers):
            inner: list[tuple[tuple[str, str, int, str], str]] = []
            if isinstance(layer, Trainer):
                inner_marks = [_trainable_mark(each) for each in layer.layers]
                inner_rows, _, inner_marks = layer._nested_rows(layer._summary_rows(), None, inner_marks, depth + 1)
                inner = [((("│ " * depth) + row[0], *row[1:]), mark) for row, mark in zip(inner_rows, inner_marks)]
            out_rows += [rows[index], *(row for row, _ in inner)]
            if out_links is not None:
                out_links += [links[index], *("" for _ in inner)]
            if out_marks is not None:
                out_marks += [marks[index], *(mark for _, mark in inner)]
        return out_rows, out_links, out_marks

    def _summary_rows(self) -> list[tuple[str, str, int, str]]:
        """(name (type), output shape, parameter count, the count as printed) for each layer."""
        from .nn.layers import Layer

        rows = []
        shape = tuple(self._sample_input_shape) if self._sample_input_shape is not None and self._layers_in_order \
            else None
        for layer in self.layers:
            if shape is not None and isinstance(layer, (Layer, Trainer)):
                shape = layer.output_shape_for(shape)
            else:
                shape = None
            name = f"{getattr(layer, 'name', type(layer).__name__)} ({type(layer).__name__})"
            shape_text = _shape_text(shape) if shape is not None else "?"
            count = int(sum(p.size for p in layer.parameters()))
            built = getattr(layer, "built", True)
            rows.append((name, shape_text, count, f"{count:,}" if built else f"{count} (unbuilt)"))
        return rows


def sample_input_shape(module: Any) -> Any:
    """The sample shape a layer declares (its ``input_shape``) or a model takes, batch axis excluded; None when not
    known. A Keras model's own ``input_shape`` gives the batch axis, as Keras's does."""
    return module._sample_input_shape if isinstance(module, Trainer) else getattr(module, "input_shape", None)


def validation_epochs(validation_freq: Any) -> Callable[[int], bool]:
    """Whether fit validates after epoch ``epoch`` (0-based), Keras's ``validation_freq``: every n-th epoch for a
    number n, the epochs (counted from 1) listed for a list; one ConfigError sentence otherwise.

    >>> [validation_epochs(2)(epoch) for epoch in range(4)], validation_epochs([1, 3])(2)
    ([False, True, False, True], True)
    """
    if isinstance(validation_freq, (int, np.integer)) and not isinstance(validation_freq, (bool, np.bool_)) \
            and validation_freq >= 1:
        return lambda epoch: (epoch + 1) % int(validation_freq) == 0
    if isinstance(validation_freq, (list, tuple)) and all(
            isinstance(e, (int, np.integer)) and not isinstance(e, (bool, np.bool_)) for e in validation_freq):
        listed = {int(e) for e in validation_freq}
        return lambda epoch: epoch + 1 in listed
    raise ConfigError(f"fit validation_freq must be a whole number ≥ 1 (validate every n-th epoch) or a list of the "
                      f"epochs to validate after, counted from 1, got {validation_freq!r}; e.g. validation_freq=2.")


def _shape_text(shape: tuple[Any, ...]) -> str:
    """A sample shape as the summary prints it, with Keras's batch axis, (None, 4, 8); the shapes of a layer's
    several outputs (an LSTM's with return_state=True) as Keras lists them, [(None, 4, 8), (None, 8), (None, 8)]."""
    if shape and all(isinstance(item, tuple) for item in shape):
        return "[" + ", ".join(_shape_text(item) for item in shape) + "]"
    return str((None, *shape))


def _trainable_mark(layer: Any) -> str:
    """Keras's "Trainable" column: Y, N, or - for a layer without weights."""
    return "-" if not layer.parameters() else "Y" if getattr(layer, "trainable", True) else "N"


def _batch_result(logs: dict[str, Any], return_dict: bool, first: tuple[str, ...] | None = None) -> Any:
    """What evaluate and Keras's *_on_batch calls return: the dict, or the loss alone, or ``[loss, *metrics]``
    (in the logs' order, a dict result's entries in place; the keys ``first`` ahead of the rest, as Keras's
    ``_flatten_metrics_in_order``)."""
    if return_dict:
        return logs
    values = [logs[key] for key in first or () if key in logs] + \
        [value for key, value in logs.items() if key not in (first or ())]
    return values[0] if len(values) == 1 else values


def _summary_line(fields: tuple[str, ...], cols: list[int]) -> str:
    # a field longer than its column still keeps one space before the next (Keras's table does the same)
    padded = [(" " + fields[0] + " ").ljust(cols[0]), *((field + " ").ljust(col) for field, col in
                                                       zip(fields[1:-1], cols[1:]))]
    return "".join(padded) + fields[-1]


def _size_words(n_bytes: int) -> str:
    size = float(n_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def _one_sample_hint(x_name: str, rows: int | None, sample_shape: tuple[int, ...], expected: Any) -> str:
    """For one column of as many rows as a sample has features (``expected``, or the declared sample shape):
    one sample, given as a 1-D array."""
    if isinstance(expected, tuple):
        expected = None if None in expected else math.prod(expected)
    if rows is None or rows < 2 or tuple(sample_shape) != (1,) or expected != rows:
        return ""
    return (f" (if {x_name} is one sample of {rows} values, it was read as {rows} rows of one value: pass "
            f"{x_name}.reshape(1, -1))")


def _sample_weights(sample_weight: Any, y: Any, name: str) -> Any:
    """Keras's ``sample_weight`` as one weight per row of ``y`` (None for none), checked in one sentence."""
    if sample_weight is None:
        return None
    n = y.shape[0]
    weights = np.asarray(backend.to_numpy(data.to_array(sample_weight, name)), dtype=np.float64)
    if weights.size != n or (weights.ndim > 1 and weights.shape[0] != n):
        raise ShapeError(f"{name} has shape {weights.shape}, but there are {n} samples; give one weight per "
                         "row of x.")
    weights = weights.reshape(n)
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        bad = int(np.argmax(~np.isfinite(weights) | (weights < 0)))
        raise DataError(f"{name} holds {weights[bad]:g} at row {bad}; weights must be finite numbers ≥ 0.")
    return backend.to_device(weights)


def _training_weights(sample_weights: Any, class_weight: Any, y: Any) -> Any:
    """The weights of the training loss: the sample weights times the class weights (None for neither)."""
    if class_weight is None:
        return sample_weights
    per_class = backend.to_device(_class_weights(class_weight, y))
    return per_class if sample_weights is None else sample_weights * per_class


def _class_weights(class_weight: Any, y: Any) -> np.ndarray:
    """Each sample's class weight: the class is the integer label, the one-hot row's argmax, or the 0/1 target."""
    if not isinstance(class_weight, dict) or not class_weight:
        raise ConfigError(f"class_weight must be a dict {{class: weight}} such as {{0: 1.0, 1: 5.0}}, got "
                          f"{class_weight!r}.")
    host = backend.to_numpy(y)
    labels = host.argmax(axis=-1) if host.ndim > 1 and host.shape[-1] > 1 else np.rint(host.reshape(len(host)))
    labels = labels.astype(np.int64)
    table = {}
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < 0:
            raise ConfigError(f"class_weight keys must be class numbers 0, 1, 2, …, got {key!r}.")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value) or value < 0:
            raise ConfigError(f"class_weight gives class {key} the weight {value!r}; weights must be finite numbers "
                              "≥ 0.")
        table[int(key)] = float(value)
    missing = sorted(set(np.unique(labels).tolist()) - set(table))
    if missing:
        raise ConfigError(f"class_weight has no weight for class {missing[0]}, which y holds; give every class a "
                          "weight (1.0 leaves it as it is).")
    lookup = np.zeros(max(table) + 1)
    for key, value in table.items():
        lookup[key] = value
    return lookup[labels]


def _weighted_loss(loss: Any, loss_fn: Callable[..., Tensor], y: Any, out: Tensor, w: Any) -> Tensor:
    """Σ wᵢ·lossᵢ over the batch of ``loss`` as given to compile (``loss_fn``: as compile resolved it), divided by
    the batch size for a mean loss (Keras's weighted loss)."""
    parts = _built_in_loss(loss, loss_fn)
    if parts is not None:
        fn, options, reduction = parts
        per_sample = fn(y, out, **options, reduction="none")
    else:  # the user's own function (before compile averaged it) must give one value per sample itself
        per_sample, reduction = loss(y, out), "mean"
    return losses.weighted(per_sample, w, "sum" if reduction == "sum" else "mean")  # fit needs one number


def _masked_loss(loss: Any, loss_fn: Callable[..., Tensor], y: Any, out: Tensor, mask: Any,
                 w: Any = None) -> Tensor | None:
    """Keras's loss of an output that keeps its steps under a mask (a tagger after ``Embedding(mask_zero=True)``):
    the real steps' losses (times the sample weights ``w``) summed and, for a mean loss, divided by the number of
    real steps, so padding neither counts nor dilutes. None where the loss gives no value per step (a loss of the
    user's own): it is then taken over every step."""
    parts = _built_in_loss(loss, loss_fn)
    if parts is None:
        return None
    fn, options, reduction = parts
    per_step = fn(y, out, **options, reduction="none")
    if tuple(per_step.shape) != tuple(mask.shape):
        return None
    xp = backend.xp()
    keep = mask.astype(per_step.dtype)
    if w is not None:
        keep = keep * xp.asarray(w).astype(per_step.dtype).reshape(-1, *(1,) * (keep.ndim - 1))
    total = F.sum(per_step * Tensor(keep))
    return total if reduction == "sum" else total / Tensor(xp.maximum(mask.sum(), 1).astype(per_step.dtype))


def _built_in_loss(loss: Any, loss_fn: Callable[..., Tensor]
                   ) -> tuple[Callable[..., Tensor], dict[str, Any], str] | None:
    """(function, options, reduction) of a built-in loss (by name or a Loss object), None for one of the user's
    own."""
    if isinstance(loss, losses.Loss):
        return loss.fn, loss.options, loss.batch_reduction
    if any(loss_fn is builtin for builtin in losses.LOSSES.values()):
        return loss_fn, {}, losses.default_reduction(loss_fn)
    return None


def _loss_config(loss: Any, loss_name: str | None) -> Any:
    """What a model file records of a compiled loss: its name, a Loss object's config, or a loss class of the
    user's own by class name (given back through custom_objects, as in Keras)."""
    if isinstance(loss, losses.Loss) and loss.own_class:
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if isinstance(loss, losses.Loss):
        return loss.get_config()
    if loss_name is not None:
        return loss_name
    return getattr(loss, "__name__", type(loss).__name__)


def _averaged(fn: Callable[..., Any]) -> Callable[..., Tensor]:
    """``fn`` giving one number per batch, for every caller of ``model.loss_fn`` (fit, evaluate, the glass
    box): a loss of one value per sample, Keras's custom-loss convention or reduction='none', is averaged."""

    def loss(y_true: Any, y_pred: Any) -> Tensor:
        return _batch_loss(fn(y_true, y_pred))

    loss.__name__ = getattr(fn, "__name__", type(fn).__name__)
    return loss


def _batch_loss(loss: Any) -> Tensor:
    """One number for the batch: a loss of one value per sample (a Keras-style custom loss, or a Loss with
    reduction='none') is averaged over them, as Keras's fit does."""
    if not isinstance(loss, Tensor):
        raise ConfigError("the loss function must return an fl.Tensor computed from y_pred (so it can be "
                          f"differentiated), got {type(loss).__name__}; build it from fnlearn ops.")
    return loss if loss.size == 1 else F.mean(loss)


def _resolve_loss(loss: Any) -> tuple[Callable[..., Tensor], str | None]:
    """(loss function, canonical name or None for a custom callable); unknown names raise ConfigError."""
    if loss is None:
        raise ConfigError("compile needs a loss, e.g. loss='mse' (regression), 'binary_crossentropy' (two "
                          "classes) or 'sparse_categorical_crossentropy' (integer class labels); the losses "
                          "of add_loss are added to it, never trained on alone.")
    if isinstance(loss, str):
        fn = losses.get(loss)
        return fn, losses.canonical_name(loss.lower())
    if isinstance(loss, losses.Loss):  # a class of the user's own takes whatever targets its call() reads
        return _averaged(loss), None if loss.own_class else loss.name
    errors.reject_foreign("loss", loss)
    if callable(loss):
        name = next((losses.canonical_name(k) for k, fn in losses.LOSSES.items() if fn is loss), None)
        return (loss if name is not None else _averaged(loss)), name
    raise ConfigError(f"loss must be a name such as 'mse', a fl.losses.Loss or a function (y_true, y_pred), got "
                      f"{type(loss).__name__}.")


# ----------------------------------------------------------------------------- datasets of batches

_DATASET_PARTS = {"y": "the targets, as batches of (x, y)",
                  "sample_weight": "the sample weights, as batches of (x, y, sample_weight)",
                  "batch_size": "the batch size (rebatch it with .unbatch().batch(n))"}


def _refuse_with_dataset(method: str, **given: Any) -> None:
    """Keras's refusal of arguments that a dataset given as ``x`` holds itself, in one sentence."""
    for name, value in given.items():
        if name == "validation_split":
            if isinstance(value, (int, float)) and value:
                raise ConfigError("validation_split takes its rows from arrays x and y, but x is a dataset; pass "
                                  "validation_data=another dataset instead (e.g. image_dataset_from_directory("
                                  "..., validation_split=0.2, subset='validation', seed=...)).")
        elif value is not None:
            raise ConfigError(f"{method} got {name}, but x is a dataset, which holds {_DATASET_PARTS[name]}; leave "
                              f"{name} out, as Keras requires.")


class _ArrayPasses:
    """Keras 3's ``steps_per_epoch`` over arrays: each epoch reads the next ``steps`` batches of the current pass
    through the rows (shuffled once per pass by ``order_of(pass)``, None for the rows in order), the pass going on
    across epochs. An epoch that meets the end of a pass stops there, warned as Keras warns, and the next one starts
    a new pass.

    >>> passes = _ArrayPasses(10, 4, 2, lambda k: None)  # 3 batches a pass, 2 per epoch
    >>> [[(s.start, s.stop) for s in passes.epoch()[0]] for _ in range(2)]
    [[(0, 4), (4, 8)], [(8, 10)]]
    """

    def __init__(self, n: int, batch_size: int, steps: int, order_of: Callable[[int], Any]) -> None:
        self.slices = list(data.batch_slices(n, batch_size))
        self.steps, self.order_of = steps, order_of
        self.passes, self.next = 0, 0
        self.order = order_of(0)

    def epoch(self) -> tuple[list[slice], Any]:
        """This epoch's batches (slices of the pass's order) and the pass's order."""
        if self.next >= len(self.slices):
            self.passes, self.next = self.passes + 1, 0
            self.order = self.order_of(self.passes)
        taken = self.slices[self.next:self.next + self.steps]
        if len(taken) < self.steps:
            warnings.warn(f"the arrays ran out of batches in this epoch ({len(taken)} of steps_per_epoch="
                          f"{self.steps} were left of the pass over {len(self.slices)} batches); the next epoch "
                          "starts a new pass, as Keras does: make steps_per_epoch divide the batches of a pass to "
                          "keep epochs whole.", UserWarning, stacklevel=3)
        self.next += len(taken)
        return taken, self.order


def _refuse_steps(method: str, name: str, value: Any, data_name: str) -> None:
    """``steps_per_epoch`` and its kin count a dataset's batches; with arrays they are refused, naming why."""
    if value is not None:
        raise ConfigError(f"{method} got {name}={value!r}, which counts the batches of a dataset or generator, but "
                          f"{data_name} is given as arrays, which are read whole (batch_size sets the batches); leave "
                          f"{name} out.")


def _unpack(element: Any, where: str, number: int) -> tuple[Any, Any, Any]:
    """(x, y, sample_weight) of one batch, by Keras's rule: a tuple of 1, 2 or 3 items, or ``x`` alone."""
    if isinstance(element, list):
        element = tuple(element)
    if not isinstance(element, tuple):
        return element, None, None
    if not 1 <= len(element) <= 3:
        raise DataError(f"batch {number} of {where} is a tuple of {len(element)} items; give (x, y) or (x, y, "
                        "sample_weight), with several inputs as one item: ((x1, x2), y).")
    return (*element, *(None,) * (3 - len(element)))  # type: ignore[return-value]


class _Batches:
    """A dataset's (or a generator's) batches as fit, evaluate and predict read them: each unpacked by Keras's rule
    (:func:`_unpack`), converted and checked against the model as arrays are, and moved to the device, one batch at
    a time. The first batch is read when this is made, so that a wrong dataset is refused before anything changes.

    ``role`` is "fit", "validation", "evaluate" or "predict" (predict reads inputs only). ``steps`` batches make
    one epoch, read on from where the last one stopped (None: a whole new pass each epoch)."""

    _ROLES = {"fit": ("steps_per_epoch", "", "the dataset", "training stops here"),
              "validation": ("validation_steps", "validation ", "validation_data",
                             "the epochs from here are not validated"),
              "evaluate": ("steps", "", "the dataset", "only the batches it gave were used"),
              "predict": ("steps", "", "the dataset", "only the batches it gave were used")}

    def __init__(self, model: Any, dataset: Any, steps: Any, role: str, allow_nonfinite: bool,
                 class_weight: Any = None, convert: Callable[[Any, str], Any] | None = None) -> None:
        from .pipeline import INFINITE

        self.steps_name, self.prefix, self.where, self.consequence = self._ROLES[role]
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1):
            raise ConfigError(f"{self.steps_name} must be a whole number ≥ 1, or None for every batch, got "
                              f"{steps!r}.")
        self.cardinality = dataset.cardinality()
        if self.cardinality == INFINITE and steps is None:
            raise ConfigError(f"{self.where} is endless (repeat() without a count), so {self.steps_name} must say how "
                              f"many of its batches to read, e.g. {self.steps_name}=100.")
        self.model, self.dataset, self.limit = model, dataset, None if steps is None else int(steps)
        self.targets, self.allow_nonfinite, self.class_weight = role != "predict", allow_nonfinite, class_weight
        self.convert = convert  # a step of the model's own takes each batch as it is: (batch, its label) → its data
        self.steps = self.limit if self.limit is not None else (self.cardinality if self.cardinality >= 0 else None)
        self.first: tuple[Any, Any, Any] | None = None
        self.read = 0  # batches the last epoch() gave
        self.ran_out = False
        self._iterator: Iterator[Any] | None = iter(dataset)
        self._in_pass = 0  # batches read since the current pass began
        first = self._read()
        if first is None:
            raise DataError(f"{self.where} gives no batches (it is empty, or a generator already read); give it at "
                            "least one batch.")
        self.first = self._pending = first
        self.sample_shape = None if convert is not None else tuple(first[0].shape[1:])
        self.weighted = first[2] is not None

    def _read(self) -> tuple[Any, Any, Any] | None:
        """The next batch of the current pass, ready for the model, or None at its end."""
        try:
            element = next(self._iterator)  # type: ignore[arg-type]
        except StopIteration:
            return None
        self._in_pass += 1
        return self._prepared(element, self._in_pass)

    def _prepared(self, element: Any, number: int) -> tuple[Any, Any, Any]:
        model, where = self.model, f"{self.where}"
        if self.convert is not None:
            return self.convert(element, f"{{}} (batch {number} of {where})"), None, None
        x, y, w = _unpack(element, where, number)
        x_name = f"{self.prefix}x (batch {number} of {where})"
        given = tuple(x.shape[1:]) if hasattr(x, "shape") else None
        if self.first is None:
            self._given_shape = given
        elif given != self._given_shape and not model._same_samples(self._given_shape, given):
            # before the model's checks, which would not say which batch differs
            raise ShapeError(f"batch {number} of {where} has samples of shape {given}, but its first batch had "
                             f"{self._given_shape}; give every batch the same sample shape (resize the images to "
                             "one size).")
        if not self.targets:
            x_arr = model._features(x, model._dtype(), x_name, allow_nonfinite=True)
            if self.first is None:
                model._check_features(tuple(x_arr.shape[1:]), x_name, x_arr.shape[0])
            ready: tuple[Any, Any, Any] = (x_arr, None, None)
        else:
            if y is None:
                raise DataError(f"batch {number} of {where} holds no targets ({type(element).__name__}); fit and "
                                "evaluate need batches of (x, y) or (x, y, sample_weight).")
            x_arr, y_arr = model._prepare(x, y, x_name, f"{self.prefix}y (batch {number} of {where})",
                                          self.allow_nonfinite)
            w_arr = None if w is None else model._sample_weight_rows(
                w, y_arr, f"{self.prefix}sample weights (batch {number} of {where})")
            if self.class_weight is not None:
                w_arr = _training_weights(w_arr, self.class_weight, y_arr)
            ready = (x_arr, y_arr, w_arr)
        if self.first is not None:
            if not model._same_samples(self.sample_shape, x_arr.shape[1:]):
                raise ShapeError(f"batch {number} of {where} has samples of shape {tuple(x_arr.shape[1:])}, but its "
                                 f"first batch had {self.sample_shape}; give every batch the same sample shape.")
            if (ready[2] is not None) != self.weighted:
                has = "has" if ready[2] is not None else "has no"
                raise DataError(f"batch {number} of {where} {has} sample weights, unlike its first batch; give every "
                                "batch the same form, (x, y) or (x, y, sample_weight).")
        return ready

    def begin(self, epoch: int) -> bool:
        """Whether an epoch can start: False, with a warning, when the data ran out (read ahead: no epoch is
        begun that would have no batches)."""
        if self._pending is not None:
            return True
        if self.ran_out:
            return False
        if self.limit is None or self._iterator is None:
            self._iterator, self._in_pass = iter(self.dataset), 0
        self._pending = self._read()
        if self._pending is None:
            self._run_out(f" in epoch {epoch + 1}")
            return False
        return True

    def epoch(self) -> Iterator[tuple[Any, Any, Any]]:
        """One epoch's batches: ``steps`` of them, or the rest of the pass."""
        self.read = 0
        while self.limit is None or self.read < self.limit:
            batch, self._pending = self._pending, None
            if batch is None:
                batch = self._read()
                if batch is None:
                    if self.limit is not None:
                        self._run_out("")
                    break
            self.read += 1
            yield batch
        if self.limit is None or 0 < self.cardinality <= self._in_pass:
            self._iterator = None  # every batch of the pass was read: the next epoch starts a new one (Keras's rule)

    def _run_out(self, when: str) -> None:
        self.ran_out = True
        warnings.warn(f"{self.where} ran out of batches{when}; {self.consequence} (a generator is read only once: pass "
                      f"a Dataset, which is read afresh every epoch, or an endless generator with {self.steps_name}; "
                      ".repeat() makes a Dataset endless).", UserWarning, stacklevel=4)


def _evaluate_line(verbose: int, callback_list: Any, steps: Any, result: dict[str, Any]) -> None:
    """evaluate's one line for ``verbose`` > 0, unless a ProgbarLogger among its callbacks draws it."""
    from .progress import format_logs

    if verbose and not (callback_list is not None and callback_list.shows_progress):
        print(f"{steps}/{steps} - {format_logs(result)}")


def _callback_list(callbacks: Any, model: Any, params: dict[str, Any]) -> Any:
    """evaluate's or predict's callbacks as a CallbackList bound to ``model`` (checked before anything runs),
    or None for none."""
    given = callbacks_given(callbacks)
    return CallbackList(given, model=model, **params) if given else None


def _metric_specs(metrics: Any, argument: str = "metrics") -> list[Any]:
    if metrics is None:
        return []
    if isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
        return [metrics]
    if isinstance(metrics, dict):
        raise ConfigError(f"{argument} as a dict (per output) is for multi-output models; pass a list such as "
                          f"{argument}=['accuracy'].")
    return list(metrics)


def _resolve_metrics(metrics: Any, weighted_metrics: Any, loss_name: str | None
                     ) -> tuple[tuple[metrics_module.Metric, ...], tuple[str, ...], tuple[bool, ...]]:
    """compile's metrics then weighted metrics, with their log keys; every problem is raised before compile
    changes anything."""
    plain = [metrics_module.get(spec, loss=loss_name) for spec in _metric_specs(metrics)]
    weighted = [metrics_module.get(spec, loss=loss_name)
                for spec in _metric_specs(weighted_metrics, "weighted_metrics")]
    shared = next((m for m in weighted if m.stateful and any(m is other for other in plain)), None)
    if shared is not None:
        raise ConfigError(f"the metric object {shared.name!r} is listed in both metrics and weighted_metrics, "
                          "where each needs state of its own; give weighted_metrics a second object.")
    keys = _log_keys([m.name for m in plain], [m.name for m in weighted])
    if "loss" in keys:
        raise ConfigError("a metric is named 'loss', the key of the loss itself in the logs; give the metric "
                          "another name (name=...).")
    clash = next((k for k in keys if keys.count(k) > 1), None)
    if clash is not None:
        raise ConfigError(f"two metrics would both be logged as {clash!r} (a repeated name is numbered name_1, "
                          f"name_2, ... as in Keras, and another metric has that name already); give them different "
                          "names (name=...).")
    return tuple(plain + weighted), tuple(keys), (False,) * len(plain) + (True,) * len(weighted)


def _log_keys(plain: list[str], weighted: list[str]) -> list[str]:
    """The log key of each metric, as Keras's ``CompileMetrics.result`` makes them: a name seen before gets
    ``_1``, ``_2``, ... (counted per name), and a weighted metric whose name is taken gets ``weighted_`` first (then
    the numbers). The keys made are not themselves counted, so they can clash with a later name: the caller
    refuses that, where Keras would silently keep only one of the two.

    >>> _log_keys(["auc", "auc", "mse"], ["mse", "mse", "mae"])
    ['auc', 'auc_1', 'mse', 'weighted_mse', 'weighted_mse_1', 'mae']
    """
    seen: dict[str, int] = {}
    keys = []
    for name in plain:
        if name in seen:
            keys.append(f"{name}_{seen[name]}")
            seen[name] += 1
        else:
            keys.append(name)
            seen[name] = 1
    for name in weighted:
        if name not in seen:
            keys.append(name)
            seen[name] = 1
            continue
        key = f"weighted_{name}"
        if key in seen:
            seen[key] += 1
            key = f"{key}_{seen[key] - 1}"
        else:
            seen[key] = 1
        keys.append(key)
    return keys


def _warn_nonfinite(stopped: tuple[str, int, int, float], optimizer: Any, weights_finite: bool,
                    allowed_nonfinite_data: bool = False, data_problem: str | None = None) -> None:
    _, epoch, batch, loss = stopped
    lr = optimizer.current_learning_rate()
    # A step with a finite loss can still overflow the weights when the rate is absurdly large; then the
    # last finite step's weights are not finite themselves, and the honest advice is to start again.
    kept = ("the weights of the last finite step are kept" if weights_finite else
            "the weights had already overflowed in the step before, so rebuild the model")
    if data_problem is not None:  # a value changed in place after the data were checked
        advice = f"The data changed since fit checked them: {data_problem}"
    elif allowed_nonfinite_data:  # the data may hold NaN/inf themselves: that is the likelier cause
        advice = ("The data were let through with allow_nonfinite=True: a NaN or inf in a batch makes its loss "
                  f"non-finite, so fill or drop those values; otherwise the learning rate ({lr:g}) may be too "
                  f"large, e.g. try learning_rate={lr / 10:g}.")
    else:
        advice = (f"The learning rate ({lr:g}) is probably too large: try a smaller one, e.g. "
                  f"learning_rate={lr / 10:g} (or scale the inputs).")
    warnings.warn(f"the loss became {loss} in epoch {epoch + 1}, batch {batch + 1}, so training stopped; {kept}. "
                  f"{advice}", RuntimeWarning, stacklevel=3)


class _GradientWatch:
    """Warn once per fit when the gradients explode, before the loss itself overflows.

    Read at each epoch's end from the last step's ``.grad`` arrays (one pass over the parameters, not the
    data), so the training step itself pays nothing.
    """

    def __init__(self, params: list[Any]) -> None:
        self.params = params
        self.first: float | None = None
        self.warned = False

    def norm(self) -> float | None:
        xp = backend.xp()
        grads = [p.grad for p in self.params if p.grad is not None]
        if not grads:
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            # one read from a GPU for all parameters, not one each: each read waits for the device
            squares = backend.to_numpy(xp.stack([xp.vdot(g, g) for g in grads]))
            return math.sqrt(float(squares.sum(dtype=np.float64)))

    def check(self, epoch: int, optimizer: Any) -> None:
        if self.warned:
            return
        norm = self.norm()
        if norm is None:
            return
        first = self.first
        if first is None:
            self.first = norm
        grew = first is not None and norm > GRADIENT_WARNING_GROWTH * first and norm > GRADIENT_GROWTH_FLOOR
        if math.isfinite(norm) and not grew:
            return
        self.warned = True
        lr = optimizer.current_learning_rate()
        since = f" ({first:.3g} after epoch 1)" if first is not None else ""
        warnings.warn(f"the gradient norm is {norm:.3g} at the end of epoch {epoch + 1}{since}: training is "
                      f"probably diverging; try a smaller learning rate than {lr:g} (e.g. learning_rate={lr / 10:g}) "
                      "or scale the inputs.", RuntimeWarning, stacklevel=3)  # at the user's fit call


__all__ = ["Trainer", "History"]


_finite_checked: dict[int, tuple[Any, Any]] = {}


def _check_finite_once(arr: Any, name: str, given: Any = None) -> None:
    """``functional.check_finite``, skipped for an array already checked and seen unchanged since.

    Reading all of a large data set takes ~15 ms per 200 MB, paid again by every ``fit`` call on the same
    arrays (one per epoch, in a loop). The memo holds a weak reference (a new array at a recycled address
    is never mistaken for the old one) and a sample of 1,024 values; a value changed in place outside that
    sample to NaN is caught when it makes the loss non-finite (:func:`_nonfinite_data`). ``given`` is the
    data as the user passed it, before the cast to ``arr``'s dtype: a value too large for that dtype is
    named as such, not as the infinity the cast made of it.
    """
    key = id(arr)
    sample = arr.reshape(-1)[:: max(1, arr.size // 1024)].copy() if arr.size else arr
    seen = _finite_checked.get(key)
    if seen is not None and seen[0]() is arr and seen[1].shape == sample.shape and bool((seen[1] == sample).all()):
        return
    _finite_checked.pop(key, None)
    try:
        F.check_finite(arr, name)
    except DataError:
        if given is not None:
            _check_cast_range(arr, given, name)
        raise
    try:
        ref = weakref.ref(arr)
    except TypeError:  # arrays without weak-reference support are simply checked every time
        return
    for dead in [k for k, (r, _) in _finite_checked.items() if r() is None]:
        del _finite_checked[dead]
    _finite_checked[key] = (ref, sample)


def _check_cast_range(arr: Any, given: Any, name: str) -> None:
    """Raise DataError if ``arr`` holds an infinity where the data it was cast from hold a finite value."""
    try:
        source = backend.to_numpy(data.to_array(given, name))
    except FnlearnError:
        return
    if source.dtype.kind != "f" or source.size != arr.size:
        return
    source = source.reshape(arr.shape)
    overflowed = ~np.isfinite(backend.to_numpy(arr)) & np.isfinite(source)
    if overflowed.any():
        pos = tuple(int(i) for i in np.argwhere(overflowed)[0])
        limit = np.finfo(arr.dtype).max
        raise DataError(f"{name} holds {source[pos]:g} at {F.position_words(pos)}, beyond what {arr.dtype} can hold "
                        f"(±{limit:.3g}); scale the data first, or train in float64 (call fl.set_default_dtype"
                        "('float64') before making the layers, or give them dtype='float64').")


def _nonfinite_data(arrays: list[tuple[Any, str]]) -> str | None:
    """The data check's sentence for the first NaN/inf in ``arrays`` (each read in full), else None.

    Run when a loss turned non-finite although the data passed their check: a value may have been changed
    in place since (see :func:`_check_finite_once`)."""
    for arr, name in arrays:
        _finite_checked.pop(id(arr), None)
        try:
            F.check_finite(arr, name)
        except DataError as exc:
            return str(exc)
    return None
