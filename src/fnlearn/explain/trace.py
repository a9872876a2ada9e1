"""``Trace``: a callback that writes down every update — the Excel table for any small model.

Per update (``every`` batches) one row: the step, epoch and batch (indices from 0, as Keras's callbacks and
CSVLogger count them; fit's progress lines say epoch 1 for epoch 0), the batch loss, the learning
rate used, the gradient norm over all parameters and each parameter tensor's own gradient norm.
For a small model (at most ``max_params`` numbers) also every parameter value at which the
gradient was computed and that gradient, one column each: ``0.kernel[0,0]`` and
``grad(0.kernel[0,0])``. The rows are kept in memory (``trace.rows``) and, with a ``path``,
written as CSV when training ends (atomically).

Example:
    >>> import fnlearn as fl, numpy as np
    >>> from fnlearn.explain import Trace
    >>> fl.set_seed(0)
    >>> model = fl.Sequential([fl.layers.Dense(1, input_dim=1)]); model.compile("sgd", "mse")
    >>> trace = Trace()
    >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, batch_size=2, verbose=0, callbacks=[trace])
    >>> len(trace.rows), trace.columns[:5]
    (4, ['step', 'epoch', 'batch', 'loss', 'learning_rate'])
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import backend
from ..callbacks import Callback
from ..errors import ConfigError
from . import _common as C


def scalar_names(name: str, shape: tuple[int, ...]) -> list[str]:
    """``"0.kernel"``, (1, 2) → ``["0.kernel[0,0]", "0.kernel[0,1]"]`` (row-major, as ``ravel`` orders)."""
    return [f"{name}[{','.join(str(i) for i in idx)}]" for idx in np.ndindex(*shape)] if shape else [f"{name}[]"]


class Trace(Callback):
    """Record loss, learning rate and gradient norms per update; every parameter and gradient for
    small models. ``fit(..., trace="trace.csv")`` adds one for you.

    ``every`` records one update in that many; ``max_params`` is the largest model (in numbers)
    whose parameters and gradients get a column each.
    """

    step_logs = True  # each row is one update's own loss, not the epoch's running mean

    def __init__(self, path: str | os.PathLike | None = None, every: int = 1, max_params: int = 200) -> None:
        super().__init__()
        self.path = None if path is None else Path(path)
        if self.path is not None:
            C.check_csv_path(self.path)
        self.every = C.check_positive_int("every", every, 1)
        self.max_params = C.check_positive_int("max_params", max_params, 0)
        self.rows: list[dict[str, float]] = []
        self.columns: list[str] = []
        self.detailed = False
        self.final: dict[str, np.ndarray] = {}
        self._names: list[str] = []
        self._before: dict[str, np.ndarray] = {}
        self._epoch = 0
        self._step = 0

    # ----------------------------------------------------------------- hooks
    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        named = list(self.model.named_parameters())
        self._names = [n for n, _ in named]
        total = sum(int(p.size) for _, p in named)
        self.detailed = total <= self.max_params
        self.rows, self._step, self.final = [], 0, {}
        self.columns = ["step", "epoch", "batch", "loss", "learning_rate", "grad_norm"]
        self.columns += [f"grad_norm({n})" for n in self._names]
        if self.detailed:
            for n, p in named:
                self.columns += scalar_names(n, tuple(p.shape))
            for n, p in named:
                self.columns += [f"grad({s})" for s in scalar_names(n, tuple(p.shape))]
            self._before = self._snapshot()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = int(epoch)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._step += 1
        if (self._step - 1) % self.every == 0:
            self.rows.append(self._row(batch, logs or {}))
        if self.detailed:
            # the parameters now hold the values the next step's gradient will be computed at
            self._before = self._snapshot()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.detailed:
            self.final = self._snapshot()
        if self.path is not None:
            self.to_csv(self.path)

    # ----------------------------------------------------------------- reading
    def _snapshot(self) -> dict[str, np.ndarray]:
        return {n: np.array(backend.to_numpy(p.data), dtype=np.float64) for n, p in self.model.named_parameters()}

    def _row(self, batch: int, logs: dict[str, Any]) -> dict[str, float]:
        named = dict(self.model.named_parameters())
        row: dict[str, float] = {"step": self._step, "epoch": self._epoch, "batch": int(batch),
                                 "loss": float(logs.get("loss", math.nan)), "learning_rate": self._lr_used()}
        total = 0.0
        grads = {}
        for n in self._names:
            g = named[n].grad
            if g is None:
                row[f"grad_norm({n})"] = math.nan
                continue
            g = np.asarray(backend.to_numpy(g), dtype=np.float64)
            grads[n] = g
            sq = float(np.sum(g * g))
            total += sq
            row[f"grad_norm({n})"] = math.sqrt(sq)
        row["grad_norm"] = math.sqrt(total) if grads else math.nan
        if self.detailed:
            for n in self._names:
                shape = tuple(named[n].shape)
                for s, v in zip(scalar_names(n, shape), self._before[n].ravel()):
                    row[s] = float(v)
                g = grads.get(n)
                values = g.ravel() if g is not None else np.full(int(np.prod(shape)), math.nan)
                for s, v in zip(scalar_names(n, shape), values):
                    row[f"grad({s})"] = float(v)
        return row

    def _lr_used(self) -> float:
        opt = getattr(self.model, "optimizer", None)
        if opt is None:
            return math.nan
        schedule = opt.schedule
        # the step just taken counted itself in iterations; the schedule was read one step earlier
        return float(schedule(max(opt.iterations - 1, 0))) if schedule is not None else opt.learning_rate

    # ----------------------------------------------------------------- results
    def states(self) -> list[dict[str, np.ndarray]]:
        """Parameter values at each recorded update (before it) and after the last one: a path for
        :func:`loss_surface`. Needs a detailed trace (a model of at most ``max_params`` numbers)."""
        if not self.detailed:
            raise ConfigError(f"this trace kept no parameter values (the model has more than max_params="
                              f"{self.max_params} numbers); use Trace(max_params=...) with a larger limit.")
        out = []
        for row in self.rows:
            state = {}
            for n in self._names:
                shape = self.final[n].shape if n in self.final else self._before[n].shape
                state[n] = np.array([row[s] for s in scalar_names(n, shape)]).reshape(shape)
            out.append(state)
        if self.final:
            out.append({n: v.copy() for n, v in self.final.items()})
        return out

    def column(self, name: str) -> np.ndarray:
        """One column as an array, e.g. ``trace.column("loss")``."""
        if name not in self.columns:
            from ..errors import unknown_name

            raise unknown_name("trace column", name, self.columns)
        return np.array([row.get(name, math.nan) for row in self.rows], dtype=np.float64)

    def to_csv(self, path: str | os.PathLike) -> Path:
        """Write the rows as CSV (header first), atomically; opens in Excel or pandas."""
        path = C.check_csv_path(path)
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([_cell(row.get(c, math.nan)) for c in self.columns])
        return C.write_bytes(path, text.getvalue().encode("utf-8"))


def _cell(value: float) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53):
        return str(int(value))
    return repr(float(value))
