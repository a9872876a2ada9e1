"""What ``fit`` prints while it trains.

- ``verbose=1`` in a terminal: a progress bar per epoch, in Keras's look
  (``Epoch 3/20 ━━━━━━━━━━ 600/600 1.2s loss: 0.0105 - accuracy: 0.9338``), drawn with rich
  (imported only then; without rich the plain line below is printed instead).
- ``verbose=2``, or ``verbose=1`` when stdout is not a terminal (CI logs, pipes, notebooks): one plain
  line per epoch, no control codes:
  ``Epoch 3/20 - 600/600 - 1.2s - loss: 0.0105 - accuracy: 0.9338 - val_loss: 0.0200``.
- ``verbose=0``: nothing.

Example:
    >>> format_logs({"loss": 0.01049, "accuracy": 0.93381})
    'loss: 0.0105 - accuracy: 0.9338'
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import numpy as np

from .errors import ConfigError

REFRESH_S = 0.1  # the bar is redrawn at most this often; per-batch redraws would slow small batches


def check_verbose(verbose: Any) -> int:
    """0, 1 or 2 (``"auto"`` and True are 1, False is 0, as in Keras), else ConfigError."""
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ConfigError(f"verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got {verbose!r}.")
    return int(verbose)


def format_value(value: Any) -> str:
    """Four decimals, or scientific notation for tiny and huge values (Keras's rule); an array of several
    values (one per class or threshold) shows each so: ``[0.5000 0.8000]``."""
    if getattr(value, "ndim", 0) and getattr(value, "size", 1) != 1:
        return "[" + " ".join(format_value(v) for v in value.ravel()) + "]"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return str(v)
    if v == 0 or 1e-3 <= abs(v) < 1e6:
        return f"{v:.4f}"
    return f"{v:.4e}"


def format_logs(logs: dict[str, Any]) -> str:
    """``"loss: 0.1234 - accuracy: 0.9000"`` from a logs dict (keys in their order)."""
    return " - ".join(f"{k}: {format_value(v)}" for k, v in logs.items())


def format_duration(seconds: float) -> str:
    """``"12ms"``, ``"1.2s"`` or ``"3m05s"``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s"


class PlainProgress:
    """One line per epoch on a stream; no control codes, so logs and pipes stay readable."""

    def __init__(self, epochs: int, steps: int, stream: TextIO) -> None:
        self.epochs = epochs
        self.steps = steps
        self.stream = stream
        self._start = time.perf_counter()
        self._done = 0

    def epoch_begin(self, epoch: int) -> None:
        self._start = time.perf_counter()
        self._done = 0

    def batch_end(self, done: int, running: Callable[[], dict[str, Any]]) -> None:
        self._done = done

    def epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        elapsed = format_duration(time.perf_counter() - self._start)
        parts = [f"Epoch {epoch + 1}/{self.epochs}", f"{self._done}/{self.steps}", elapsed]
        text = format_logs(logs)
        if text:
            parts.append(text)
        print(" - ".join(parts), file=self.stream, flush=True)

    def close(self) -> None:
        pass


def start_bar(console: Any, width: int, total: int | None, label: str | None = None) -> tuple[Any, Any]:
    """A started rich bar and its task: ``label``, the bar, done/total, the time elapsed and the logs (the task's
    ``logs`` field), redrawn only when refreshed and cleared when stopped."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = [TextColumn(label)] if label is not None else []
    bar = Progress(*columns, BarColumn(bar_width=width), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.fields[logs]}"), console=console, transient=True, auto_refresh=False)
    bar.start()
    return bar, bar.add_task("progress", total=total, logs="")


class RichProgress(PlainProgress):
    """A rich progress bar while an epoch runs; when it ends, the bar is replaced by one finished line
    (``Epoch 3/20 ━━━━━━━━━━━━━━━━━━━━ 600/600 1.2s loss: 0.0105 - accuracy: 0.9338``) that wraps
    instead of being cut when the terminal is narrow."""

    BAR_WIDTH = 20

    def __init__(self, epochs: int, steps: int, stream: TextIO) -> None:
        super().__init__(epochs, steps, stream)
        from rich.console import Console

        self.console = Console(file=stream)
        self._bar: Any = None
        self._task: Any = None
        self._last_draw = 0.0

    def epoch_begin(self, epoch: int) -> None:
        super().epoch_begin(epoch)
        self._bar, self._task = start_bar(self.console, self.BAR_WIDTH, self.steps, f"Epoch {epoch + 1}/{self.epochs}")
        self._last_draw = 0.0

    def batch_end(self, done: int, running: Callable[[], dict[str, Any]]) -> None:
        self._done = done
        now = time.perf_counter()
        if now - self._last_draw >= REFRESH_S:
            self._last_draw = now
            self._bar.update(self._task, completed=done, logs=format_logs(running()))
            self._bar.refresh()

    def epoch_end(self, epoch: int, logs: dict[str, Any]) -> None:
        from rich.markup import escape

        self.close()
        elapsed = format_duration(time.perf_counter() - self._start)
        filled = round(self.BAR_WIDTH * self._done / max(self.steps, 1))
        bar = f"[green]{'━' * filled}[/green][bright_black]{'━' * (self.BAR_WIDTH - filled)}[/bright_black]"
        self.console.print(f"Epoch {epoch + 1}/{self.epochs} {bar} {self._done}/{self.steps} {elapsed} "
                           f"{escape(format_logs(logs))}", highlight=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


# Keras's keras.config.disable_interactive_logging() switches fit's progress output off through this flag
INTERACTIVE = {"enabled": True}


def make_progress(verbose: int, epochs: int, steps: int, stream: TextIO | None = None) -> PlainProgress | None:
    """The reporter for ``verbose``: None (silent, or with interactive logging off), a rich bar (verbose=1 on a
    terminal) or plain lines."""
    if verbose == 0 or not INTERACTIVE["enabled"]:
        return None
    stream = sys.stdout if stream is None else stream
    is_terminal = bool(getattr(stream, "isatty", lambda: False)())
    if verbose == 1 and is_terminal:
        try:
            return RichProgress(epochs, steps, stream)
        except ImportError:
            pass  # rich is optional: fall back to plain lines
    return PlainProgress(epochs, steps, stream)


class Progbar:
    """Keras's ``utils.Progbar``: a progress bar for a loop of one's own, with running averages of values.

    ``update(current, values)`` sets the count done; each value is averaged over the steps so far (weighted by the
    steps each update covers) unless its name is in ``stateful_metrics``, which shows the last one given. With
    ``verbose=1`` a rich bar is drawn on a terminal; elsewhere, and with ``verbose=2``, one plain line is printed when
    the bar finishes (``current`` reaching ``target``, or ``finalize=True``).

    >>> import io
    >>> out = io.StringIO(); bar = Progbar(4, stream=out)
    >>> for i in range(4):
    ...     bar.update(i + 1, values=[("loss", 1.0 - 0.25 * i)])
    >>> line = out.getvalue().rstrip().split(" - "); line[0], line[-1]
    ('4/4', 'loss: 0.6250')
    """

    def __init__(self, target: int | None, width: int = 30, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics: Any = None, unit_name: str = "step", stream: TextIO | None = None) -> None:
        if target is not None and (isinstance(target, bool) or not isinstance(target, int) or target < 0):
            raise ConfigError(f"Progbar got target={target!r}; give the number of steps as an integer ≥ 0, or None "
                              "when it is unknown.")
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ConfigError(f"Progbar got width={width!r}; give the bar's width in characters, an integer ≥ 1.")
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or interval < 0:
            raise ConfigError(f"Progbar got interval={interval!r}; give the seconds between redraws, a number ≥ 0.")
        if not isinstance(unit_name, str):
            raise ConfigError(f"Progbar got unit_name={unit_name!r}; give a word such as 'step' or 'sample'.")
        self.verbose = check_verbose(verbose)
        self.target, self.width, self.interval, self.unit_name = target, width, float(interval), unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stream = sys.stdout if stream is None else stream
        self._values: dict[str, Any] = {}  # name -> [weighted sum, steps] or the last value (stateful)
        self._seen = 0
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._finished = False
        self._bar: Any = None
        self._task: Any = None

    def _check_values(self, values: Any) -> list[tuple[str, Any]]:
        pairs = list(values or [])
        if not all(isinstance(p, (tuple, list)) and len(p) == 2 and isinstance(p[0], str) for p in pairs):
            raise ConfigError(f"Progbar.update got values={values!r}; give a list of (name, value) pairs, e.g. "
                              "[('loss', 0.25)].")
        return [(name, value) for name, value in pairs]

    def update(self, current: int, values: Any = None, finalize: bool | None = None) -> None:
        """Set the steps done to ``current`` and add ``values`` (``[(name, value), ...]``) to the averages."""
        if isinstance(current, bool) or not isinstance(current, (int, np.integer)) or current < 0:
            raise ConfigError(f"Progbar.update got current={current!r}; give the steps done so far, an integer ≥ 0.")
        pairs = self._check_values(values)
        current = int(current)
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in pairs:
            if name in self.stateful_metrics:
                self._values[name] = value
                continue
            weight = max(current - self._seen, 1)
            total = self._values.setdefault(name, [0.0, 0])
            total[0] += np.asarray(value, dtype=float) * weight
            total[1] += weight
        self._seen = current
        if self.verbose == 0 or self._finished or not INTERACTIVE["enabled"]:
            return
        now = time.perf_counter()
        if self.verbose == 1 and not finalize and self._draw_bar(current, now):
            return
        if finalize:
            self._finished = True
            self._close_bar()
            print(self._line(current, now), file=self.stream, flush=True)

    def add(self, n: int, values: Any = None) -> None:
        """:meth:`update` to ``n`` steps beyond the current count."""
        self.update(self._seen + n, values)

    def _averages(self) -> dict[str, Any]:
        return {name: (value[0] / max(value[1], 1) if isinstance(value, list) else value)
                for name, value in self._values.items()}

    def _line(self, current: int, now: float) -> str:
        elapsed = now - self._start
        parts = [f"{current}/{self.target}" if self.target is not None else f"{current}", format_duration(elapsed)]
        if current:
            parts.append(f"{format_duration(elapsed / current)}/{self.unit_name}")
        text = format_logs(self._averages())
        return " - ".join(parts + ([text] if text else []))

    def _draw_bar(self, current: int, now: float) -> bool:
        """Redraw the rich bar on a terminal (at most every ``interval``); False where there is no terminal."""
        if not bool(getattr(self.stream, "isatty", lambda: False)()):
            return False
        if now - self._last_draw < self.interval:
            return True
        try:
            from rich.console import Console
        except ImportError:
            return False
        if self._bar is None:
            self._bar, self._task = start_bar(Console(file=self.stream), self.width, self.target)
        self._last_draw = now
        self._bar.update(self._task, completed=current, logs=format_logs(self._averages()))
        self._bar.refresh()
        return True

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


__all__ = ["check_verbose", "format_value", "format_logs", "format_duration", "PlainProgress", "RichProgress",
           "make_progress", "Progbar", "INTERACTIVE"]
