"""Whole-step CUDA-graph capture of the fast training step (CuPy backend).

For the lecture's small networks a GPU spends most of a training step waiting for the host to launch
some thirty tiny kernels. :class:`CapturedStep` records the whole step of a
:class:`fnlearn.fastpath.StepPlan` — forward, backward and optimizer update — once as a CUDA graph and
then replays it for every batch with a single launch:

* the batch is copied into static device buffers (``x_buf``, ``y_buf``) that the graph reads;
* the first full batch is a real step run on the capture stream (it also warms up the kernels and
  the memory pool), then the step is recorded with ``stream.begin_capture()`` / ``end_capture()``
  and every later full batch replays it;
* a last, smaller batch runs the plan uncaptured (same device-loss mode, same buffers);
* the loss and the metrics are summed on the device and read back once, by :meth:`finish_epoch`;
* the learning rate lives in a 0-d device buffer written before each step, so schedules work, and so
  do Adam's and AdamW's bias corrections (two factors of the step count, written before each step
  into a buffer the update reads); ``clipnorm`` / ``global_clipnorm`` are refused (they read a norm
  on the host) — for those, ``fit`` trains uncaptured; the other settings (momentum, betas, ε) are held by
  the graph as recorded, so each epoch's first step checks them and records again after a change;
* the no-update-on-a-non-finite-loss rule runs on the device with a sticky gate (see the plan's
  device-loss mode): after the first non-finite loss no step changes anything, so the weights stay
  those of the last finite step; :meth:`finish_epoch` reports the batch and puts the optimizer's
  step count back to the number of applied steps;
* temporaries of the recorded step come from a memory pool of their own, kept alive with the graph
  and used by nothing else, so the addresses the graph writes to are never handed out again.

CuPy is imported only when a :class:`CapturedStep` is built without an explicit ``cuda`` namespace;
on the NumPy backend this module never touches it. The ``xp`` and ``cuda`` arguments exist so the
logic can be exercised with NumPy and a recording stand-in for ``cupy.cuda``.

Example (on a machine with an NVIDIA GPU and CuPy)::

    fl.set_backend("cupy")
    model.fit(x, y, batch_size=100, epochs=5)                 # captured by default
    model.fit(x, y, batch_size=100, epochs=5, capture=False)  # one launch per kernel
"""

from __future__ import annotations

import contextlib
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend, captured_blas
from .errors import ConfigError

DeviceMetric = Callable[[Any, Any], Any]


def capture_refusal(plan: Any) -> str | None:
    """Why ``plan`` cannot be captured (one clause), or None when it can.

    >>> capture_refusal(None)
    'the model has no fast step (only Dense stacks with built-in activations and losses have one)'
    """
    if plan is None:
        return "the model has no fast step (only Dense stacks with built-in activations and losses have one)"
    if not plan.flat:
        return ("its parameters have mixed dtypes, or the optimizer clips each parameter's norm or leaves some out of "
                "its weight decay")
    opt = plan.optimizer
    if opt.clipnorm is not None or opt.global_clipnorm is not None:
        return "clipnorm and global_clipnorm read the gradient norm on the host"
    if opt.counts_steps and not hasattr(opt, "corrections"):
        return (f"{type(opt).__name__} computes each step's factors from the step count on the host, which a "
                "replayed graph would repeat")
    if plan.dropouts:
        return "Dropout draws a new mask at every step, which a replayed graph would repeat"
    if plan.norms:
        return ("BatchNormalization's moving statistics must keep those of the last finite step, which the "
                "replayed step cannot check without reading the loss back")
    return None


def device_metric(name: str, loss: str | None, y_shape: tuple[int, ...],
                  pred_shape: tuple[int, ...]) -> DeviceMetric | None:
    """A batch metric computed without leaving the device (a 0-d array), or None when ``name`` has no
    device form. Shapes are per sample (no batch axis); they decide what ``"accuracy"`` means.

    >>> from fnlearn.backend import to_device
    >>> f = device_metric("accuracy", "sparse_categorical_crossentropy", (), (3,))
    >>> float(f(to_device(np.array([0, 2])), to_device(np.array([[0.9, 0.1, 0.0], [0.5, 0.1, 0.4]]))))
    0.5
    """
    from .metrics import accuracy_kind

    key = name.lower()
    if key in ("accuracy", "acc"):
        key = accuracy_kind(loss, (1, *y_shape), (1, *pred_shape)) + "_accuracy"

    def like_pred(t: Any, p: Any) -> Any:
        return t.reshape(p.shape).astype(p.dtype, copy=False)

    def binary(t: Any, p: Any) -> Any:
        return backend.xp().mean(like_pred(t, p) == (p > 0.5))

    def categorical(t: Any, p: Any) -> Any:
        xp = backend.xp()
        return xp.mean(xp.argmax(t, axis=-1) == xp.argmax(p, axis=-1))

    def sparse(t: Any, p: Any) -> Any:
        xp = backend.xp()
        return xp.mean(t.reshape(p.shape[:-1]) == xp.argmax(p, axis=-1))

    def mse(t: Any, p: Any) -> Any:
        d = p - like_pred(t, p)
        return backend.xp().mean(d * d)

    def mae(t: Any, p: Any) -> Any:
        xp = backend.xp()
        return xp.mean(xp.abs(p - like_pred(t, p)))

    table: dict[str, DeviceMetric] = {
        "binary_accuracy": binary, "categorical_accuracy": categorical, "sparse_accuracy": sparse,
        "sparse_categorical_accuracy": sparse, "mse": mse, "mean_squared_error": mse, "mae": mae,
        "mean_absolute_error": mae}
    return table.get(key)


class CapturedStep:
    """The training step of ``plan`` recorded once as a CUDA graph and replayed per batch.

    Args:
        plan: a :class:`fnlearn.fastpath.StepPlan` (see :func:`capture_refusal`).
        batch_size: rows of a full batch; other sizes run uncaptured.
        x_shape, y_shape: the shape of one sample's input and target.
        x_dtype, y_dtype: dtypes of the static buffers (default: the parameters' dtype).
        metrics: ``{name: device metric}`` summed on the device (see :func:`device_metric`).
        xp, cuda: the array module and its CUDA namespace (default: the backend's, ``cupy.cuda``).
        insist: when the step cannot be recorded, raise (``fit(capture=True)``) rather than warn once and
            run every batch uncaptured, with the same device-side sums (automatic capture).

    Call it as ``step(xb, yb)`` per batch; call :meth:`finish_epoch` once per epoch.
    """

    def __init__(self, plan: Any, batch_size: int, x_shape: tuple[int, ...], y_shape: tuple[int, ...], *,
                 x_dtype: Any = None, y_dtype: Any = None, metrics: dict[str, DeviceMetric] | None = None,
                 xp: Any = None, cuda: Any = None, insist: bool = False) -> None:
        reason = capture_refusal(plan)
        if reason is not None:
            raise ConfigError(f"this training step cannot be captured as a CUDA graph: {reason}; "
                              "train with capture=False.")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if cuda is None:
            import cupy

            cuda = cupy.cuda
        self.xp = xp if xp is not None else backend.xp()
        self.cuda = cuda
        self.plan = plan
        self.batch_size = batch_size
        xp = self.xp
        dtype = plan.flat_param.dtype
        self.x_buf = xp.zeros((batch_size, *x_shape), dtype=x_dtype or dtype)
        self.y_buf = xp.zeros((batch_size, *y_shape), dtype=y_dtype or dtype)
        self.lr_buf = xp.zeros((), dtype=dtype)
        self.grad_buf = xp.zeros(plan._size, dtype=dtype)
        self.gate = xp.ones((), dtype=bool)
        # Adam's bias corrections depend on the step count, which a replayed graph cannot read from the host:
        # the step reads them from this buffer, written before every step
        self.corrections = xp.ones(2, dtype=dtype) if hasattr(plan.optimizer, "corrections") else None
        self.applied = xp.zeros((), dtype=np.int64)
        self.loss_sum = xp.zeros((), dtype=np.float64)
        self.metrics = dict(metrics or {})
        self.metric_sums = {name: xp.zeros((), dtype=np.float64) for name in self.metrics}
        self.pred_buf: Any = None
        self.graph: Any = None
        self.insist = insist
        self.uncaptured: str | None = None  # why recording failed, once it has: every batch then runs as is
        self._gemm: Any = None
        self.stream = _capture_stream(cuda)
        self.pool = cuda.MemoryPool()  # the graph's own temporaries; nothing else allocates from it
        # made once: Stream.record() without an event creates one (with timing) per call, two per batch
        self._ready, self._done = (cuda.Event(disable_timing=True) for _ in range(2))
        # momentum, betas, ε, weight decay and clipvalue are kernel arguments, which a graph holds by value: a
        # change made between epochs (by a callback) needs a new recording; checked at each epoch's first step
        self._settings: Any = None
        self._check_settings = True
        self._lr_host: float | None = None
        self._samples = 0
        self._steps = 0
        self._iterations_at_epoch = plan.optimizer.iterations
        self.replays = 0
        plan.device_loss = True
        plan.lr_buffer = self.lr_buf
        plan.grad_buffer = self.grad_buf
        plan.gate = self.gate
        if self.corrections is not None:
            plan.optimizer.correction_buffers = (self.corrections[0, ...], self.corrections[1, ...])  # 0-d views

    # ------------------------------------------------------------------ one batch
    def _body(self, xb: Any, yb: Any, n: int) -> Any:
        """The recorded work: one plan step plus the on-device sums of loss and metrics. The sums are of batch
        means in units of a full batch: a full batch adds its means as they are (no kernel to weight them),
        a smaller one adds them times n / batch_size."""
        loss, pred = self.plan(xb, yb)
        self.applied += self.gate
        means = [(self.loss_sum, loss), *((self.metric_sums[k], fn(yb, pred)) for k, fn in self.metrics.items())]
        for total, mean in means:
            total += mean if n == self.batch_size else mean * (n / self.batch_size)
        return pred

    def _graph_body(self) -> Any:
        """What the graph holds: the step on the static buffers. Its output array comes from the graph's own
        pool, so every replay writes the next batch's output at the same address."""
        return self._body(self.x_buf, self.y_buf, self.batch_size)

    def __call__(self, xb: Any, yb: Any) -> Any:
        """One training step on a batch (device arrays); returns the batch's output array. Nothing is
        read back to the host."""
        return self.take(xb, yb, None)

    def take(self, x: Any, y: Any, rows: Any) -> Any:
        """One training step on the batch ``x[rows]``, ``y[rows]`` (device arrays; ``rows`` a device index
        array, a slice, or None for all of x and y); returns the batch's output array. A full batch is
        gathered straight into the graph's input buffers — one kernel per array, and no batch-sized
        temporary to allocate and copy from."""
        if rows is None:
            n = int(x.shape[0])
        elif isinstance(rows, slice):
            n = len(range(*rows.indices(x.shape[0])))
        else:
            n = int(rows.shape[0])
        plan = self.plan
        if plan.flat and not plan._still_packed():
            plan._pack()  # the parameters were replaced (load_state_dict): the graph's addresses are stale
            self.graph = None
            self.grad_buf = plan.grad_buffer = self.xp.zeros(plan._size, dtype=plan.flat_param.dtype)
        if self._check_settings:
            settings = _settings(plan.optimizer)
            if settings != self._settings:
                self.graph, self._settings = None, settings
            self._check_settings = False
        lr = plan.optimizer.current_learning_rate()
        caller = self.cuda.get_current_stream()
        with self.stream:
            self.stream.wait_event(caller.record(self._ready))  # the batch was gathered on the caller's stream
            if lr != self._lr_host:
                self.lr_buf.fill(lr)
                self._lr_host = lr
            if self.corrections is not None:
                opt = plan.optimizer
                # the step about to run is step iterations + 1; filled, not copied from a host array (no transfer)
                for buf, factor in zip(opt.correction_buffers, opt.corrections(opt.iterations + 1)):
                    buf.fill(factor)
            if n != self.batch_size:
                pred = self._body(*((x, y) if rows is None else (x[rows], y[rows])), n)
            else:
                self._gather(self.x_buf, x, rows)
                self._gather(self.y_buf, y, rows)
                if self.uncaptured is not None:
                    pred = self._body(self.x_buf, self.y_buf, n)
                elif self.graph is None:
                    pred = self._record()
                else:
                    self.graph.launch(self.stream)
                    plan.optimizer.iterations += 1
                    self.replays += 1
                    pred = self.pred_buf
            caller.wait_event(self.stream.record(self._done))  # later work on the caller's stream sees the update
        # the plan's views of the gradient buffer, made once (a CuPy view costs microseconds of host time per step)
        for p, g in zip(plan.params, plan._flat_grads()[1]):
            p.grad = g
        self._samples += n
        self._steps += 1
        return pred

    def _gather(self, buf: Any, a: Any, rows: Any) -> None:
        """buf[...] = a[rows], as one take into buf where the rows are an index array of a's dtype."""
        if rows is None:
            buf[...] = a
        elif isinstance(rows, slice) or a.dtype != buf.dtype:
            buf[...] = a[rows]
        else:
            self.xp.take(a, rows, axis=0, out=buf)

    def _record(self) -> Any:
        """Run the first full batch for real (the warm-up), then record the same step as the graph. Where the
        step cannot be recorded, the warm-up stands as this batch's step and, unless ``insist``, every later
        batch runs uncaptured (after one warning)."""
        with self.cuda.using_allocator(self.pool.malloc):
            failure = None
            try:
                if self._gemm is None:
                    self._gemm = self._recording_gemm()  # outside the capture: it allocates and binds a stream
            except Exception as exc:
                failure = exc
            # the warm-up's products run through the recording's own gemm: its kernels are loaded and its
            # algorithms chosen before the capture, which must not do either
            with captured_blas.recording(self._gemm if failure is None else None):
                pred = self._body(self.x_buf, self.y_buf, self.batch_size)
            if failure is None:
                try:
                    self.stream.begin_capture()
                except Exception as exc:
                    failure = exc
            if failure is not None:
                return self._give_up(failure, pred)
            opt = self.plan.optimizer
            iterations = opt.iterations
            try:
                with captured_blas.recording(self._gemm):
                    pred_buf = self._graph_body()
            except BaseException as exc:
                # CuPy refuses an illegal operation before it runs, so the capture still ends cleanly, with
                # a partial graph that must never be replayed (an interrupt ends it too, then goes on up)
                with contextlib.suppress(Exception):
                    self.stream.end_capture()
                self.graph = None
                if not isinstance(exc, Exception):
                    raise
                return self._give_up(exc, pred)
            finally:
                opt.iterations = iterations  # recording ran the host side of a step that did not happen
            self.graph = self.stream.end_capture()
            self.pred_buf = pred_buf
        return pred  # the warm-up's output: recording ran nothing, pred_buf is written by the first launch

    def _recording_gemm(self) -> Any:
        """What the recorded step's matrix products run through (fnlearn.captured_blas): cuBLAS bound to the
        capture stream; a stand-in for ``cupy.cuda`` may bring its own (``capture_gemm``); None on NumPy,
        where nothing refuses a product."""
        make = getattr(self.cuda, "capture_gemm", None)
        if make is not None:
            return make(self.stream)
        if self.xp is np:
            return None
        return captured_blas.Cublas(self.stream, self.xp)

    def _give_up(self, exc: Exception, pred: Any) -> Any:
        """Recording failed with ``exc``: raise when insisted on, else warn once and train uncaptured."""
        reason = f"{type(exc).__name__}: {exc}"
        if self.insist:
            raise ConfigError(f"capture=True, but the training step could not be recorded as a CUDA graph "
                              f"({reason}); pass capture=False.") from exc
        self.uncaptured = reason
        warnings.warn(f"fit could not record the training step as a CUDA graph ({reason}), so it trains "
                      "uncaptured, one launch per kernel; pass capture=False to skip the attempt.", RuntimeWarning,
                      stacklevel=4)
        return pred

    # ------------------------------------------------------------------ once per epoch
    def finish_epoch(self) -> tuple[dict[str, float], int | None]:
        """The epoch's mean loss and metrics (one read from the device) and, when a loss was not finite,
        the index of that batch (None otherwise). The sums start again from zero."""
        xp = self.xp
        names = list(self.metrics)
        with self.stream:
            packed = xp.stack([self.loss_sum, self.applied.astype(np.float64), self.gate.astype(np.float64),
                               *(self.metric_sums[k] for k in names)])
            values = backend.to_numpy(packed)  # the one host read of the epoch
            self.loss_sum.fill(0)
            for total in self.metric_sums.values():
                total.fill(0)
            self.applied.fill(0)
        per_sample = self.batch_size / max(self._samples, 1)  # the sums are in units of a full batch
        logs = {"loss": float(values[0]) * per_sample}
        logs.update({k: float(v) * per_sample for k, v in zip(names, values[3:])})
        applied, gate_open = int(values[1]), bool(values[2])
        bad_batch = None
        if not gate_open:
            bad_batch = applied
            # the host counted every launch; only the steps before the non-finite loss changed anything
            self.plan.optimizer.iterations = self._iterations_at_epoch + applied
        self._iterations_at_epoch = self.plan.optimizer.iterations
        self._samples = self._steps = 0
        self._check_settings = True
        return logs, bad_batch

    def release(self) -> None:
        """Give the plan back its ordinary float mode and drop the graph."""
        plan = self.plan
        plan.device_loss = False
        plan.lr_buffer = plan.grad_buffer = plan.gate = None
        if self.corrections is not None:
            plan.optimizer.correction_buffers = None
        self.graph = None


_STREAMS: weakref.WeakKeyDictionary[Any, dict[int, Any]] = weakref.WeakKeyDictionary()


def _capture_stream(cuda: Any) -> Any:
    """The stream every captured step on the current GPU runs on. One for all fits: CuPy's memory pool keeps
    the blocks freed on a stream in an arena of that stream for as long as the process lives, so a new
    stream per fit would keep a little more memory after every fit."""
    per_device = _STREAMS.setdefault(cuda, {})
    device = cuda.Device().id
    if device not in per_device:
        per_device[device] = cuda.Stream(non_blocking=True)
    return per_device[device]


def _settings(optimizer: Any) -> str:
    """The optimizer's settings that a recorded step holds by value (all but the learning rate)."""
    return repr((sorted(optimizer.hyperparameters().items()), optimizer.clipvalue))


def device_metrics(metrics: Any, loss: Any, y_shape: tuple[int, ...], pred_shape: tuple[int, ...],
                   keys: Any = None) -> dict[str, DeviceMetric] | None:
    """Device forms of compiled :class:`fnlearn.metrics.Metric` objects by their log keys (``keys``, or the
    metrics' names), or None when one has none: a user's own function always runs on the host, and a stateful
    metric (update_state / result) is updated batch by batch on the host's side of the loop."""
    loss_name = loss if isinstance(loss, str) else getattr(loss, "name", None)
    found: dict[str, DeviceMetric] = {}
    for metric, key in zip(metrics, keys if keys is not None else [m.name for m in metrics]):
        host = getattr(metric, "host", False) or getattr(metric, "stateful", False)
        fn = None if host else device_metric(metric.name, loss_name, y_shape, pred_shape)
        if fn is None:
            return None
        found[key] = fn
    return found
