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
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        super().epoch_begin(epoch)
        self._bar = Progress(TextColumn(f"Epoch {epoch + 1}/{self.epochs}"), BarColumn(bar_width=self.BAR_WIDTH),
                             MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[logs]}"),
                             console=self.console, transient=True, auto_refresh=False)
        self._bar.start()
        self._task = self._bar.add_task("train", total=self.steps, logs="")
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


def make_progress(verbose: int, epochs: int, steps: int, stream: TextIO | None = None) -> PlainProgress | None:
    """The reporter for ``verbose``: None (silent), a rich bar (verbose=1 on a terminal) or plain lines."""
    if verbose == 0:
        return None
    stream = sys.stdout if stream is None else stream
    is_terminal = bool(getattr(stream, "isatty", lambda: False)())
    if verbose == 1 and is_terminal:
        try:
            return RichProgress(epochs, steps, stream)
        except ImportError:
            pass  # rich is optional: fall back to plain lines
    return PlainProgress(epochs, steps, stream)


__all__ = ["check_verbose", "format_value", "format_logs", "format_duration", "PlainProgress", "RichProgress",
           "make_progress"]
