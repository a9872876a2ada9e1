"""What every experiment shares: its run folder, the results JSON, tables, figures and the seed.

An experiment makes a :class:`Run`, prints through it (a rich table when ``rich`` is
installed, plain text otherwise), draws figures through it (skipped with a note when
``matplotlib`` is missing) and ends with :meth:`Run.save`, which writes ``results.json``.
Every file is written atomically (:func:`fnlearn.io.write_atomic`), so an interrupted run
never leaves half a file.

Example:
    >>> import tempfile
    >>> run = Run("demo", out=tempfile.mkdtemp(), seed=0, stream=open(os.devnull, "w"))
    >>> run.table("squares", ["x", "x²"], [["2", "4"]])
    >>> path = run.save({"answer": 4})
    >>> json.loads(path.read_text())["answer"]
    4
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import json
import math
import os
import sys
import tempfile  # noqa: F401  (used by the docstring examples)
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from fnlearn import errors

RUNS_DIR = "runs"


# --------------------------------------------------------------------------- files


def _jsonable(value: Any) -> Any:
    """NumPy scalars and arrays, paths and non-finite floats turned into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN/inf; None says "no number came out"
    return value


# The run folders this process made, so that a run cut short can take back the ones it left empty.
_made_run_dirs: list[Path] = []


def remove_empty_run_dirs() -> None:
    """Remove the run folders this process made and left empty (a run interrupted before its first file)."""
    while _made_run_dirs:
        path = _made_run_dirs.pop()
        try:
            path.rmdir()  # only an empty folder goes; one with files raises and stays
        except OSError:
            pass


def make_run_dir(name: str, out: str | os.PathLike | None = None) -> Path:
    """``out`` when given (created if needed), else a new ``runs/<name>-<YYYYmmdd-HHMMSS>/``.

    Example:
        >>> d = make_run_dir("xor", out=Path(tempfile.mkdtemp()) / "here")
        >>> d.name, d.is_dir()
        ('here', True)
    """
    if out is not None:
        path = Path(out).expanduser()
        if path.exists() and not path.is_dir():
            raise errors.ConfigError(
                f"--out '{path}' is a file, not a folder; give a folder for the run's files.")
        existed = path.exists()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise errors.ConfigError(
                f"--out '{path}' cannot be created ({exc.strerror or exc}); "
                f"choose a writable folder.") from exc
        if not existed:
            _made_run_dirs.append(path)
        return path
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(RUNS_DIR) / f"{name}-{stamp}"
    path, n = base, 1
    while True:
        try:
            path.mkdir(parents=True, exist_ok=False)
            _made_run_dirs.append(path)
            return path
        except FileExistsError:
            n += 1  # two runs in the same second: keep both
            path = base.with_name(f"{base.name}-{n}")
        except OSError as exc:
            raise errors.ConfigError(
                f"the run folder '{path}' cannot be created ({exc.strerror or exc}); "
                f"run from a writable folder or pass --out DIR.") from exc


# --------------------------------------------------------------------------- optional packages


def _import_rich() -> Any:
    """The ``rich`` modules a table needs, or None when rich is not installed."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        return None
    return Console, Table


def _import_figure() -> Any:
    """matplotlib's ``Figure`` class (no pyplot, so no GUI backend is touched)."""
    errors.require("matplotlib", "drawing the experiment's figures", "plot")
    from matplotlib.figure import Figure

    return Figure


def plain_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table as plain text: cells that look like numbers are right-aligned.

    Example:
        >>> print(plain_table("t", ["a", "b"], [["x", "1.5"], ["yy", "10"]]))
        t
        a  |   b
        ---+----
        x  | 1.5
        yy |  10
    """
    def numeric(cell: str) -> bool:
        try:
            float(cell.rstrip("%k").replace(",", ""))
            return True
        except ValueError:
            return False

    widths = [max(len(str(c)), *(len(str(r[i])) for r in rows)) if rows else len(str(c))
              for i, c in enumerate(columns)]
    right = [bool(rows) and all(numeric(str(r[i])) or str(r[i]) in ("", "-") for r in rows)
             for i in range(len(columns))]

    def line(cells: Sequence[Any]) -> str:
        parts = [str(c).rjust(w) if r else str(c).ljust(w) for c, w, r in zip(cells, widths, right)]
        return " | ".join(parts).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([title, line(columns), rule, *(line(r) for r in rows)])


def _is_matplotlib_missing(exc: ImportError) -> bool:
    """True for fnlearn's missing-dependency error about matplotlib, or a failed matplotlib import."""
    if isinstance(exc, errors.MissingDependencyError):
        return "matplotlib" in str(exc)
    return (exc.name or "").split(".")[0] == "matplotlib"


# --------------------------------------------------------------------------- the run


class Run:
    """One run of an experiment: its folder, its printed report and the files it writes.

    Args:
        name: the experiment's name; the default folder is ``runs/<name>-<timestamp>/``.
        out: a folder to use instead.
        seed: the seed given to :func:`fnlearn.set_seed` (and recorded in the JSON).
        stream: where the report is printed (default ``sys.stdout``).
        quiet: print nothing (the files are still written).
    """

    def __init__(self, name: str, out: str | os.PathLike | None = None, seed: int = 0,
                 stream: TextIO | None = None, quiet: bool = False) -> None:
        self.name = name
        self.seed = seed
        self.dir = make_run_dir(name, out)
        self.stream = stream if stream is not None else sys.stdout
        self.quiet = quiet
        self.figures: list[str] = []
        self.files: list[str] = []
        self.notes: list[str] = []
        self.tables: dict[str, dict[str, Any]] = {}
        self._started = time.perf_counter()
        self._figure_note_given = False
        rich = _import_rich()
        if rich:
            # a pipe or a file gets a fixed width wide enough for every table, a terminal its own
            width = None if getattr(self.stream, "isatty", lambda: False)() else 120
            self._console = rich[0](file=self.stream, width=width, highlight=False, soft_wrap=False)
        else:
            self._console = None
        self._Table = rich[1] if rich else None

    # ---------------------------------------------------------------- printing
    def say(self, text: str = "") -> None:
        """Print a paragraph."""
        if self.quiet:
            return
        if self._console is not None:
            self._console.print(text, markup=False)
        else:
            print(text, file=self.stream)

    def heading(self, text: str) -> None:
        """Print a heading line."""
        if self.quiet:
            return
        if self._console is not None:
            self._console.rule(text)
        else:
            print(f"\n== {text} ==", file=self.stream)

    def note(self, text: str) -> None:
        """Print a note and keep it for the results JSON."""
        self.notes.append(text)
        self.say(f"Note: {text}")

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
              key: str | None = None, caption: str | None = None) -> None:
        """Print a table (rich when available, else plain text) and keep its cells for the JSON.

        The cells are printed exactly as given; the JSON's ``tables[key]`` holds the same
        strings, so a reader can check every printed number against the raw results.
        """
        rows = [[str(c) for c in r] for r in rows]
        self.tables[key or title] = {"title": title, "columns": list(columns), "rows": rows}
        if self.quiet:
            return
        if self._console is not None:
            table = self._Table(title=title, caption=caption, title_justify="left")
            for i, c in enumerate(columns):
                table.add_column(c, justify="left" if i == 0 else "right", no_wrap=True)
            for r in rows:
                table.add_row(*r)
            self._console.print(table)
        else:
            print(plain_table(title, columns, rows), file=self.stream)
            if caption:
                print(caption, file=self.stream)

    # ---------------------------------------------------------------- files
    def path(self, filename: str) -> Path:
        return self.dir / filename

    def write(self, filename: str, data: bytes | str) -> Path:
        """Write a file of this run atomically and list it in the JSON."""
        from fnlearn.io import write_atomic

        path = self.path(filename)
        write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data)
        if filename not in self.files:
            self.files.append(filename)
        return path

    def _figures_missing(self, exc: Exception) -> None:
        if not self._figure_note_given:
            self._figure_note_given = True
            if not isinstance(exc, errors.MissingDependencyError):
                exc = errors.MissingDependencyError(
                    "drawing the experiment's figures needs the 'matplotlib' package, which is not installed; "
                    "install it with: pip install 'fnlearn[plot]'.")
            self.note(f"figures skipped: {exc}")

    def plot(self, filename: str, make: Callable[[Path], Any]) -> Path | None:
        """Let ``make(path)`` write a figure file itself (the ``fnlearn.explain`` views do), and list it.

        Returns the path, or None (with one note for the whole run) when matplotlib is missing.
        """
        path = self.path(filename)
        try:
            make(path)
        except ImportError as exc:
            if not _is_matplotlib_missing(exc):
                raise
            self._figures_missing(exc)
            return None
        for names in (self.files, self.figures):
            if filename not in names:
                names.append(filename)
        return path

    def figure(self, filename: str, draw: Callable[[Any], Any], size: tuple[float, float] = (7.0, 4.0),
               dpi: int = 90) -> Path | None:
        """Draw ``draw(fig)`` on a new matplotlib Figure and save it as a PNG in the run folder.

        Returns the path, or None (with one note for the whole run) when matplotlib is missing.
        """
        try:
            Figure = _import_figure()
        except errors.MissingDependencyError as exc:
            self._figures_missing(exc)
            return None
        fig = Figure(figsize=size, dpi=dpi)
        result = draw(fig)
        if result is not None and result is not fig and hasattr(result, "savefig"):
            fig = result  # a drawing helper may build its own figure
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        path = self.write(filename, buf.getvalue())
        if filename not in self.figures:
            self.figures.append(filename)
        return path

    def elapsed(self) -> float:
        return time.perf_counter() - self._started

    def save(self, results: dict[str, Any]) -> Path:
        """Write ``results.json``: the experiment's numbers plus the run's tables, files and notes."""
        import fnlearn

        payload = {
            "experiment": self.name,
            "seed": self.seed,
            "fnlearn_version": fnlearn.__version__,
            **results,
            "tables": self.tables,
            "figures": list(self.figures),
            "files": [f for f in self.files if f not in self.figures],
            "notes": list(self.notes),
            "elapsed_s": round(self.elapsed(), 3),
        }
        path = self.write("results.json", json.dumps(_jsonable(payload), indent=2, ensure_ascii=False) + "\n")
        self.say(f"Results written to {self.dir}{os.sep} (results.json"
                 + "".join(f", {f}" for f in self.files if f != "results.json") + ").")
        return path


def seed_all(seed: int) -> None:
    """Seed everything an experiment draws (weights, shuffling, Python's ``random``)."""
    import fnlearn

    fnlearn.set_seed(seed)


# --------------------------------------------------------------------------- argument types


def int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse type: a whole number of at least ``minimum``.

    Example:
        >>> int_at_least(10)("12")
        12
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got {text!r}")
        return value

    return parse


positive_int = int_at_least(1)


def seed_int(text: str) -> int:
    """argparse type: a seed, a whole number from 0 to 2**32 - 1."""
    message = f"expected a whole number from 0 to 4294967295, got {text!r}"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(message) from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(message)
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text!r}")
    return value


FULL_HELP = "the lecture's full sizes (slower)"
SAME_AS_FULL = "changes nothing here: the default run already is the lecture's full setting"


def add_common_arguments(parser: argparse.ArgumentParser, full_help: str = FULL_HELP) -> None:
    """The options every experiment takes: --seed, --out, --full, --quick, --quiet (``full_help`` says
    what --full does for this one)."""
    parser.add_argument("--seed", type=seed_int, default=0, help="seed for weights and shuffling (default 0)")
    parser.add_argument("--out", metavar="DIR",
                        help="folder for the results (default runs/<name>-<timestamp>/)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help=full_help)
    size.add_argument("--quick", action="store_true",
                      help="tiny sizes: checks that everything runs in seconds")
    parser.add_argument("--quiet", action="store_true", help="print nothing; only write the files")


def fmt(value: float | None, digits: int = 3) -> str:
    """A number for a table cell; ``-`` for a missing one (None or NaN).

    Example:
        >>> fmt(0.12345), fmt(None), fmt(float("nan"))
        ('0.123', '-', '-')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def step(a: float, b: float, same: float = 0.02) -> str:
    """'falls', 'rises' or 'same' for the step from ``a`` to ``b``; under ``same`` (relative) is 'same'.

    Example:
        >>> step(0.181, 0.118), step(0.118, 0.127), step(0.46, 0.461)
        ('falls', 'rises', 'same')
    """
    if abs(b - a) < same * max(abs(a), abs(b)):
        return "same"
    return "falls" if b < a else "rises"


_TREND_WORDS = {"falls": "falls", "rises": "rises", "same": "stays about the same"}


def trend(values: Sequence[float], same: float = 0.02) -> str:
    """The path of a sequence in words, step by step, runs of one direction merged.

    Words follow the numbers as they came out: a sequence that falls and then rises is
    "falls, then rises", never "falls".

    Example:
        >>> trend([0.181, 0.118, 0.127]), trend([0.5, 0.4, 0.3]), trend([0.3, 0.301, 0.2])
        ('falls, then rises', 'falls', 'stays about the same, then falls')
    """
    steps = [step(a, b, same) for a, b in zip(values, values[1:])]
    runs = [s for i, s in enumerate(steps) if i == 0 or s != steps[i - 1]]
    return ", then ".join(_TREND_WORDS[s] for s in runs) if runs else _TREND_WORDS["same"]


def pct(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage cell: ``pct(0.5) == '50.0%'``."""
    if value is None:
        return "-"
    return f"{100 * value:.{digits}f}%"
