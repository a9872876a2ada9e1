"""Training steps of one's own: a Keras model class that defines ``train_step``, ``test_step`` or ``predict_step``.

Keras's guide "Customizing what happens in fit()" overrides ``train_step(self, data)`` and keeps everything else of
``fit`` (callbacks, progress bar, History, validation, checkpoints). fnlearn runs those steps the way Keras's
PyTorch backend writes them, on fnlearn's own autodiff: ``loss.backward()`` fills each weight's ``.grad`` and
``self.optimizer.apply(grads, weights)`` takes the step. Only the ``torch`` lines change: ``with torch.no_grad():``
becomes ``with fl.no_grad():`` (or goes: ``optimizer.apply`` records no graph), ``torch.concat`` becomes
``keras.ops.concatenate``.

What the loops here promise, as Keras's do:

- ``data`` is what the batch holds: ``x`` alone when there are no targets, else ``(x, y)`` or
  ``(x, y, sample_weight)`` (``class_weight`` folded into the sample weights), each array an ``fl.Tensor`` on the
  device, lists and dicts of inputs kept as they were given. A dataset's batches come as it yields them.
- ``model.metrics`` lists the loss tracker (``"loss"``), the compiled metrics (one container, its ``result()`` a
  dict) and the ``Metric`` objects the model holds as attributes; ``fit`` resets them at every epoch and
  ``evaluate`` at its start.
- The dict a step returns is the batch's logs (nested dicts flattened, tensors as floats); an epoch logs the
  metrics' results when they have the same keys, else the last step's logs. A step returning a loss (a key
  ``"loss"`` or ending in ``"_loss"``) that is NaN or inf stops ``fit`` with a warning; the step already applied
  its update, so the weights are those it left.

Example (the guide's first model, trained by its own step):
    >>> import fnlearn as fl, numpy as np
    >>> from fnlearn import keras
    >>> class CustomModel(keras.Model):
    ...     def train_step(self, data):
    ...         x, y = data
    ...         self.zero_grad()
    ...         y_pred = self(x, training=True)
    ...         loss = self.compute_loss(y=y, y_pred=y_pred)
    ...         loss.backward()
    ...         weights = self.trainable_weights
    ...         self.optimizer.apply([v.value.grad for v in weights], weights)
    ...         for metric in self.metrics:
    ...             metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, y_pred)
    ...         return {m.name: m.result() for m in self.metrics}
    >>> fl.set_seed(0)
    >>> inputs = keras.Input(shape=(32,)); outputs = keras.layers.Dense(1)(inputs)
    >>> model = CustomModel(inputs, outputs)
    >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    >>> history = model.fit(np.random.random((100, 32)), np.random.random((100, 1)), epochs=2, verbose=0)
    >>> sorted(history.history)
    ['loss', 'mae']
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from . import backend, data
from . import metrics as metrics_module
from .callbacks import CallbackList, History
from .errors import ConfigError, DataError
from .pipeline import leaves, map_structure
from .tensor import Tensor, no_grad


def own_step(model: Any, method: str) -> bool:
    """Whether ``model``'s class defines Keras's ``method`` (train_step, test_step or predict_step) itself, instead of
    fnlearn's."""
    from .model import Trainer

    return getattr(type(model), method, None) is not getattr(Trainer, method)


def unpack_x_y_sample_weight(data: Any) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` of a step's ``data`` by Keras's rule: a tuple of one to three items, or ``x`` alone
    (y and sample_weight None then).

    >>> unpack_x_y_sample_weight(([1.0], [2.0]))
    ([1.0], [2.0], None)
    >>> unpack_x_y_sample_weight([1.0, 2.0])  # a list is x itself (several inputs), as in Keras
    ([1.0, 2.0], None, None)
    """
    if isinstance(data, tuple):
        if not 1 <= len(data) <= 3:
            raise DataError(f"a step's data is a tuple of {len(data)} items; give x, (x, y) or (x, y, sample_weight), "
                            "with several inputs as one item: ((x1, x2), y).")
        return (*data, *(None,) * (3 - len(data)))  # type: ignore[return-value]
    return data, None, None


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """What a step's ``data`` is for these parts: ``x`` alone when there are no targets (a tuple ``(x,)`` when ``x``
    is itself a tuple), else ``(x, y)`` or ``(x, y, sample_weight)``.

    >>> pack_x_y_sample_weight(1.0), pack_x_y_sample_weight(1.0, 2.0)
    (1.0, (1.0, 2.0))
    """
    if y is None:
        return (x,) if isinstance(x, tuple) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def _map(fn: Callable[[Any], Any], element: Any) -> Any:
    """``fn`` on every array of ``element``, keeping its lists, tuples and dicts as they are."""
    return map_structure(fn, element, keep_lists=True)


def rows_of(element: Any) -> int:
    """How many samples a step's ``x`` (or any part of its data) holds: its first array's first axis."""
    found = leaves(element)
    return int(found[0].shape[0]) if found and getattr(found[0], "shape", ()) else 1


class StepArrays:
    """fit's, evaluate's or predict's arrays for steps of one's own: each array converted once (floats to the model's
    dtype, integers kept), checked for rows and NaN/inf, and each batch handed over as ``fl.Tensor``s in the form
    they were given. ``where`` names a part in messages: ``"{}"``, ``"validation {}"``.

    >>> import numpy as np
    >>> arrays = StepArrays(np.float32, "{}", [np.ones((3, 2)), np.zeros(3)], np.arange(3), None, None, False)
    >>> x, y = next(arrays.batches(2))
    >>> [type(part).__name__ for part in x], y.data.tolist()
    (['Tensor', 'Tensor'], [0, 1])
    """

    def __init__(self, dtype: Any, where: str, x: Any, y: Any, sample_weight: Any, class_weight: Any,
                 allow_nonfinite: bool) -> None:
        def convert(name: str, given: Any) -> Any:
            return None if given is None else _map(lambda leaf: _array(leaf, dtype, name, allow_nonfinite), given)

        self.x, self.y = convert(where.format("x"), x), convert(where.format("y"), y)
        self.weights = convert(where.format("sample_weight"), sample_weight)
        if class_weight is not None:
            from .model import _training_weights

            if self.y is None or not backend.is_array(self.y):
                raise ConfigError("class_weight weighs each sample by its class in y, but y is not one array of "
                                  "targets; give sample_weight instead.")
            self.weights = _training_weights(self.weights, class_weight, self.y)
        parts = [(where.format(name), part) for name, part in (("x", self.x), ("y", self.y),
                                                                ("sample_weight", self.weights))]
        arrays = [(name, leaf) for name, part in parts if part is not None for leaf in leaves(part)]
        if not arrays:
            raise DataError(f"{where.format('x')} holds no arrays; pass an array (or a list or dict of them) of "
                            "samples.")
        first_name, first = arrays[0]
        for name, leaf in arrays[1:]:
            data.check_same_rows(first, leaf, first_name, name, each="row of every array")
        self.n = int(first.shape[0])

    def taken(self, index: Any) -> StepArrays:
        """The rows ``index`` (a held-out validation split), as another StepArrays."""
        out = object.__new__(StepArrays)
        take = _map_part(lambda leaf: data.take_rows(leaf, data.device_index(index, leaf)))
        out.x, out.y, out.weights = take(self.x), take(self.y), take(self.weights)
        out.n = len(index)
        return out

    def batches(self, batch_size: int, order: Any = None) -> Iterator[Any]:
        """Each batch's data, as Keras hands it to a step: x alone, (x, y) or (x, y, sample_weight); ``order``: the
        rows' shuffled order on the device (None: as they are)."""
        return self.take(data.batch_slices(self.n, batch_size), order)

    def take(self, slices: Iterable[slice], order: Any = None) -> Iterator[Any]:
        """The batches of ``slices`` of the rows (of ``order``, when given)."""
        for rows in slices:
            index = rows if order is None else order[rows]
            take = _map_part(lambda leaf, index=index: Tensor(leaf[index]))
            yield pack_x_y_sample_weight(take(self.x), take(self.y), take(self.weights))

    def on_device(self, order: Any) -> Any:
        """A host order of the rows as an index on the arrays' device (None stays None)."""
        return None if order is None else data.device_index(order, leaves(self.x)[0])


def _map_part(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda part: None if part is None else _map(fn, part)


def _array(leaf: Any, dtype: Any, name: str, allow_nonfinite: bool) -> Any:
    """One array of a step's data on the device: floats in the model's dtype (as Keras casts to floatx), integers
    and booleans as they are, checked for NaN/inf unless allowed."""
    if isinstance(leaf, np.ndarray) and type(leaf) is not np.ndarray:
        leaf = leaf.view(np.ndarray)  # a dataset's Batch: the plain array under it
    arr = data.to_array(leaf, name)
    if arr.dtype.kind == "f" and arr.dtype != dtype:
        with np.errstate(over="ignore"):  # a value beyond the dtype's range is named by the check below
            arr = arr.astype(dtype)
    if not allow_nonfinite and arr.dtype.kind == "f":
        from .model import _check_finite_once

        _check_finite_once(arr, name, leaf)
    return arr


def batch_converter(dtype: Any, allow_nonfinite: bool, class_weight: Any = None) -> Callable[[Any, str], Any]:
    """How a dataset's batch becomes a step's data: :class:`StepArrays` of that one batch, in the form it came."""

    def convert(element: Any, where: str) -> Any:
        x, y, w = unpack_x_y_sample_weight(tuple(element) if isinstance(element, list) and len(element) in (2, 3)
                                           else element)
        arrays = StepArrays(dtype, where, x, y, w, class_weight, allow_nonfinite)
        return next(arrays.batches(max(arrays.n, 1)))

    return convert


# ----------------------------------------------------------------------------- the metrics a step updates

class CompileMetrics(metrics_module.Metric):
    """The metrics given to ``compile`` as one metric of ``model.metrics`` (Keras's ``compile_metrics``):
    ``update_state(y, y_pred, sample_weight=None)`` updates each, ``result()`` is a dict of their values by log key.
    The targets are checked and shaped as ``fit`` checks them, against the predictions and the compiled loss."""

    def __init__(self, model: Any) -> None:
        super().__init__(name="compile_metrics")
        self._model = model
        self._run = metrics_module.MetricRun(model._metric_entries(), weighted=True)

    @property
    def metrics(self) -> list[metrics_module.Metric]:
        return list(self._model._metrics)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y, pred = self._model._step_pair(y_true, y_pred)
        w = None if sample_weight is None else _plain(sample_weight, "sample_weight")
        self._run.update(y, pred.data, int(pred.shape[0]), w)

    def result(self) -> dict[str, Any]:
        logs = self._run.result()
        return {**dict.fromkeys(self._model._metric_keys, 0.0), **logs}  # before any batch: 0.0, as Keras's

    def reset_state(self) -> None:
        self._run = metrics_module.MetricRun(self._model._metric_entries(), weighted=True)


def _plain(value: Any, name: str) -> Any:
    """An array on the device from a tensor, an array or a list."""
    return value.data if isinstance(value, Tensor) else backend.to_device(data.to_array(value, name))


def step_logs(returned: Any, method: str) -> dict[str, Any]:
    """The dict a step returned as logs: nested dicts flattened (Keras's ``compile_metrics``), tensors and arrays
    of one value as floats."""
    if not isinstance(returned, Mapping):
        raise ConfigError(f"{method} returned {type(returned).__name__}, but it must return a dict of the values to "
                          "log, e.g. return {m.name: m.result() for m in self.metrics}.")
    logs: dict[str, Any] = {}
    for key, value in returned.items():
        if isinstance(value, Mapping):
            logs.update(step_logs(value, method))
            continue
        host = backend.to_numpy(value.data if isinstance(value, Tensor) else value) \
            if not isinstance(value, (int, float)) else value
        host = np.asarray(host)
        if host.dtype.kind not in "fiub":
            raise ConfigError(f"{method} returned {key!r}: {value!r}, which is no number; return numbers (a metric's "
                              "result(), a loss tensor) in its dict.")
        logs[str(key)] = float(host.reshape(())) if host.size == 1 else host
    return logs


def _epoch_logs(model: Any, last: dict[str, Any]) -> dict[str, Any]:
    """Keras's rule for a pass's logs: the metrics' results when they are what the steps logged, else the last
    step's logs."""
    results = model.get_metrics_result()
    return results if set(results) == set(last) else dict(last)


def _nonfinite_loss(logs: dict[str, Any]) -> tuple[str, float] | None:
    for key, value in logs.items():
        if (key == "loss" or key.endswith("_loss")) and isinstance(value, float) and not math.isfinite(value):
            return key, value
    return None


def ordered_results(model: Any, logs: dict[str, Any]) -> Any:
    """evaluate's list of values: the metrics' in the order of ``model.metrics``, then the rest by key; one value
    alone as a number, as Keras gives them."""
    names: list[str] = []
    for metric in model.metrics:
        names.extend(metric._model._metric_keys if isinstance(metric, CompileMetrics) else [metric.name])
    values = [logs[name] for name in dict.fromkeys(names) if name in logs]
    values += [logs[key] for key in sorted(logs) if key not in names]
    return values[0] if len(values) == 1 else values


# ----------------------------------------------------------------------------- the loops

def fit(model: Any, x: Any, y: Any, source: Any, *, batch_size: int, epochs: int, verbose: int, callbacks: Any,
        validation_split: float, validation_data: Any, val_source: Any, shuffle: bool, initial_epoch: int,
        validation_batch_size: int, allow_nonfinite: bool, terminate_on_nan: bool, sample_weight: Any,
        class_weight: Any, steps_per_epoch: Any, validation_steps: Any, validates: Any) -> History:
    """``fit`` for a model whose class defines ``train_step``: the arguments were checked by ``Trainer.fit``."""
    from .model import _Batches, _DeferredInterrupt, backup_shuffle_seed, end_of_fit, resumed_epochs
    from .progress import make_progress

    dtype = model._dtype()
    train_batches = val_batches = None
    arrays = val = None
    if source is None:
        arrays = StepArrays(dtype, "{}", x, y, sample_weight, class_weight, allow_nonfinite)
    else:
        train_batches = _Batches(model, source, steps_per_epoch, "fit", allow_nonfinite,
                                 convert=batch_converter(dtype, allow_nonfinite, class_weight))
    if val_source is not None:
        val_batches = _Batches(model, val_source, validation_steps, "validation", allow_nonfinite,
                               convert=batch_converter(dtype, allow_nonfinite))
    elif validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ConfigError("validation_data must be a pair (x_val, y_val), got "
                              f"{type(validation_data).__name__}; pass validation_data=(x_val, y_val).")
        val = StepArrays(dtype, "validation {}", *validation_data, *(None,) * (3 - len(validation_data)), None,
                         allow_nonfinite)
    elif validation_split > 0 and arrays is not None:
        data.validation_rows(arrays.n, validation_split)  # a split that cannot be, refused before the draw
        backup_shuffle_seed(model, callbacks)
        train_idx, val_idx = data.split_validation(arrays.n, validation_split, rng=model._order_rng(-1))
        arrays, val = arrays.taken(train_idx), arrays.taken(val_idx)
    callback_list = CallbackList(list(callbacks))
    callback_list.check_fit(model)

    # everything is valid: from here on the model may change
    if arrays is not None:
        steps = steps_per_epoch or math.ceil(arrays.n / batch_size)
        params = {"epochs": epochs, "steps": steps, "batch_size": batch_size, "samples": arrays.n, "verbose": verbose}
    else:
        steps = train_batches.steps  # type: ignore[union-attr]
        params = {"epochs": epochs, "steps": steps, "verbose": verbose}
    history = History()
    callback_list = CallbackList([*callback_list.callbacks, history], model=model, **params)
    progress = None if callback_list.shows_progress else make_progress(verbose, epochs, steps)
    model.history, model.stop_training = history, False
    was_training = model.training
    model.train()
    first = initial_epoch if initial_epoch > 0 else getattr(model, "epochs_trained", 0)
    passes = None
    if arrays is not None and steps_per_epoch is not None:
        from .model import _ArrayPasses

        n = arrays.n
        passes = _ArrayPasses(n, batch_size, steps, lambda k: data.permutation(n, model._order_rng(first + k))
                              if shuffle else None)
    stopped: tuple[str, int, int, Any] | None = None
    finished = 0
    epoch, batch = initial_epoch, -1
    logs: dict[str, Any] = {}
    with _DeferredInterrupt() as interrupt:
        try:
            callback_list.on_train_begin({})
            initial_epoch, first = resumed_epochs(model, initial_epoch, first)
            for epoch in range(initial_epoch, epochs):
                if train_batches is not None and not train_batches.begin(epoch):
                    break
                model.reset_metrics()
                callback_list.on_epoch_begin(epoch, {})
                if progress is not None:
                    progress.epoch_begin(epoch)
                batches = _epoch_batches(model, arrays, train_batches, passes, batch_size, shuffle,
                                         first + epoch - initial_epoch)
                last: dict[str, Any] = {}
                batch = -1
                for batch, step_data in enumerate(batches):
                    if interrupt.requested:
                        stopped = ("interrupt", epoch, batch, None)
                        break
                    callback_list.on_train_batch_begin(batch, {})
                    last = step_logs(model.train_step(step_data), "train_step")
                    bad = _nonfinite_loss(last) if terminate_on_nan else None
                    if bad is not None:
                        stopped = ("nan", epoch, batch, bad)
                        break
                    callback_list.on_train_batch_end(batch, dict(last))
                    if progress is not None:
                        progress.batch_end(batch + 1, lambda logs=last: logs)
                    if model.stop_training:
                        break
                if progress is not None and steps is None:
                    progress.steps = batch + 1
                if stopped and stopped[0] == "interrupt":
                    break
                logs = _epoch_logs(model, last)
                if stopped is None and validates(epoch) and (val is not None or val_batches is not None
                                                             and val_batches.begin(epoch)):
                    val_data = val.batches(validation_batch_size) if val is not None else \
                        (step_data for step_data, _, _ in val_batches.epoch())
                    logs.update({f"val_{k}": v for k, v in evaluate(model, val_data, callback_list).items()})
                model.epochs_trained = first + epoch - initial_epoch + 1
                callback_list.on_epoch_end(epoch, logs)
                finished += 1
                if progress is not None:
                    progress.epoch_end(epoch, logs)
                if model.stop_training or stopped:
                    break
                if interrupt.requested:
                    stopped = ("interrupt", epoch + 1, 0, None)
                    break
        except KeyboardInterrupt:
            stopped = ("interrupt", epoch, max(batch, 0), None)
        finally:
            model.epochs_trained = first + finished
            if progress is not None:
                progress.close()
            model.train(was_training)
    if stopped is not None and stopped[0] == "nan":
        key, value = stopped[3]
        warnings.warn(f"train_step returned {key}={value} in epoch {stopped[1] + 1}, batch {stopped[2] + 1}, so "
                      "training stopped; train_step had already taken its step, so the weights are those it left "
                      "(check the learning rate, or the loss your train_step computes).", RuntimeWarning, stacklevel=3)
    end_of_fit(stopped, finished, callback_list, logs, stacklevel=4)
    return history


def _epoch_batches(model: Any, arrays: StepArrays | None, source: Any, passes: Any, batch_size: int, shuffle: bool,
                   epoch: int) -> Iterable[Any]:
    """One epoch's step data: a dataset's batches, or the arrays' (reshuffled as fit shuffles them)."""
    if arrays is None:
        return (step_data for step_data, _, _ in source.epoch())
    if passes is not None:
        slices, order = passes.epoch()
        return arrays.take(slices, arrays.on_device(order))
    order = data.permutation(arrays.n, model._order_rng(epoch)) if shuffle else None
    return arrays.batches(batch_size, arrays.on_device(order))


def evaluate(model: Any, batches: Iterable[Any], callbacks: Any = None) -> dict[str, Any]:
    """The logs of ``model.test_step`` over ``batches`` (its metrics reset first), with Keras's test hooks."""
    model.reset_metrics()
    hooks = callbacks.batch_hooks("test") if callbacks is not None else []
    if callbacks is not None:
        callbacks.on_test_begin({})
    last: dict[str, Any] = {}
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for batch, step_data in enumerate(batches):
                for cb in hooks:
                    cb.on_test_batch_begin(batch, {})
                last = step_logs(model.test_step(step_data), "test_step")
                for cb in hooks:
                    cb.on_test_batch_end(batch, dict(last))
    finally:
        model.train(was_training)
    logs = _epoch_logs(model, last)
    if callbacks is not None:
        callbacks.on_test_end(dict(logs))
    return logs


def predict(model: Any, batches: Iterable[Any], callbacks: Any = None) -> Any:
    """The outputs of ``model.predict_step`` over ``batches``, joined along the batch axis as NumPy arrays (in the
    form the step returns them: one array, a list, tuple or dict of them)."""
    hooks = callbacks.batch_hooks("predict") if callbacks is not None else []
    if callbacks is not None:
        callbacks.on_predict_begin({})
    parts: list[Any] = []
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for index, step_data in enumerate(batches):
                for cb in hooks:
                    cb.on_predict_batch_begin(index, {})
                out = _map(lambda leaf: np.array(backend.to_numpy(leaf.data if isinstance(leaf, Tensor) else leaf)),
                           model.predict_step(step_data))
                for cb in hooks:
                    cb.on_predict_batch_end(index, {"outputs": out})
                parts.append(out)
    finally:
        model.train(was_training)
    if callbacks is not None:
        callbacks.on_predict_end({})
    if not parts:
        raise DataError("predict got no batches; give it at least one sample.")
    return _joined(parts)


def _joined(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, (list, tuple)):
        return type(first)(_joined([part[i] for part in parts]) for i in range(len(first)))
    if isinstance(first, Mapping):
        return {key: _joined([part[key] for part in parts]) for key in first}
    return np.concatenate([np.atleast_1d(part) for part in parts])


__all__ = ["CompileMetrics", "StepArrays", "own_step", "pack_x_y_sample_weight", "unpack_x_y_sample_weight"]
