"""Daily series: the shipped SYNTHETIC channel views, a reader for real series, and lag windows.

The lecture predicts tomorrow's views from the previous N days. ``views()`` gives a
synthetic stand-in for the lecture's private data, ``load_series_csv`` reads a user's own
daily series, ``lag_windows`` turns any series into ``(X, y)`` pairs "previous N days →
next day", and ``split_by_date`` splits those pairs in time the way the lecture does
(train on 2017–2020, test on 2021-01-01 .. 2021-02-14).

Gaps: a daily series is always returned on a complete calendar index; a day missing from
the file (or with an empty or ``nan`` value) is NaN. Windows whose inputs or target touch
a NaN are dropped, never interpolated.

Example:
    >>> from fnlearn.datasets import views, lag_windows
    >>> s = views()
    >>> s.synthetic, str(s.dates[0]), str(s.dates[-1])
    (True, '2017-01-01', '2021-02-14')
    >>> X, y = lag_windows(s, 7)
    >>> X.shape, y.shape
    ((1499, 7), (1499, 1))
"""

from __future__ import annotations

import csv
import datetime as _dt
import itertools
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from fnlearn import errors


@dataclass(frozen=True, eq=False)
class Series:
    """A daily series on a complete calendar index; NaN marks a missing day.

    Attributes:
        dates: ``datetime64[D]`` array, one entry per day, consecutive and increasing.
        values: ``float64`` array of the same length.
        name: what the values are (a column name).
        synthetic: True when the numbers were generated rather than observed.

    Example:
        >>> import numpy as np
        >>> s = Series(np.arange(np.datetime64("2021-01-01"), np.datetime64("2021-01-04")),
        ...            np.array([1.0, 2.0, 3.0]), "demo", synthetic=True)
        >>> len(s)
        3
    """

    dates: np.ndarray
    values: np.ndarray
    name: str
    synthetic: bool = False

    def __post_init__(self) -> None:
        # frozen: normalise through object.__setattr__ so lists and other dtypes are accepted
        object.__setattr__(self, "dates", np.asarray(self.dates, dtype="datetime64[D]"))
        object.__setattr__(self, "values", np.asarray(self.values, dtype=np.float64))
        if len(self.dates) != len(self.values):
            raise errors.ShapeError(
                f"Series got {len(self.dates)} dates but {len(self.values)} values; give one value per date.")

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        span = f"{self.dates[0]} .. {self.dates[-1]}" if len(self) else "empty"
        gaps = int(np.isnan(self.values).sum())
        return (f"Series(name={self.name!r}, {span}, {len(self)} days, {gaps} missing"
                f"{', synthetic' if self.synthetic else ''})")


# --------------------------------------------------------------------------- views


def views() -> Series:
    """The SYNTHETIC daily views series, 2017-01-01 .. 2021-02-14, in thousands of views.

    The lecture's YouTube-channel numbers are private, so fnlearn ships a generated
    stand-in (``views.csv``, made once by ``fnlearn/datasets/_make_views.py``): a slow
    linear trend from about 3.4 k to 5.2 k a day, a weekly cycle with low Fridays and
    Saturdays, day-to-day correlated noise of about 6 %, and occasional decaying spikes.
    It is not real data and its numbers will not match the lecture's; the returned
    ``Series`` has ``synthetic=True``.

    Example:
        >>> s = views()
        >>> len(s), s.name, s.synthetic
        (1506, 'views_k', True)
    """
    with resources.as_file(resources.files(__package__) / "views.csv") as path:
        series = load_series_csv(path, "date", "views_k")
    return Series(series.dates, series.values, "views_k", synthetic=True)


# --------------------------------------------------------------------------- reading a CSV

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(text: str, row: int, line: int, path: Path, col: str) -> np.datetime64:
    text = text.strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError
        return np.datetime64(_dt.date.fromisoformat(text), "D")
    except ValueError:
        raise errors.DatasetError(
            f"'{path}' row {row} (line {line}) has {text!r} in column {col!r}, which is not a date "
            f"written YYYY-MM-DD; fix that cell.") from None


def _parse_value(text: str, row: int, line: int, path: Path, col: str) -> float:
    text = text.strip()
    if text == "":
        return float("nan")  # an empty cell is a missing day, like a missing row
    try:
        value = float(text)
    except ValueError:
        raise errors.DatasetError(
            f"'{path}' row {row} (line {line}) has {text!r} in column {col!r}, which is not a number; "
            f"write plain numbers such as 4.25 (no thousands separators, no units).") from None
    if np.isinf(value):
        raise errors.DatasetError(
            f"'{path}' row {row} (line {line}) has {text!r} in column {col!r}, an infinite value; "
            f"write a finite number, or leave the cell empty for a missing day.")
    return value


def load_series_csv(path: str | os.PathLike, date_col: str, value_col: str, *,
                    name: str | None = None) -> Series:
    """Read a daily series from a CSV file with a header row, using only the standard library.

    Rules:
        * ``date_col`` holds ISO dates ``YYYY-MM-DD``; anything else is an error naming the row.
        * ``value_col`` holds numbers; a non-number is an error naming the row and the value.
          An empty cell (or ``nan``) is a missing value.
        * Rows may come in any order (they are sorted); the same date twice is an error.
        * Days missing between the first and the last date are kept as gaps: the result is
          on a complete daily index with NaN for those days (``lag_windows`` then drops
          every window that touches a gap).
        * Lines starting with ``#`` before the header row are comments and are skipped.

    Example:
        >>> import tempfile, os
        >>> f = os.path.join(tempfile.mkdtemp(), "v.csv")
        >>> _ = open(f, "w").write("day,views\\n2021-01-03,5\\n2021-01-01,4\\n")
        >>> s = load_series_csv(f, "day", "views")
        >>> s.values
        array([ 4., nan,  5.])
    """
    path = Path(path).expanduser()
    try:
        f = open(path, newline="", encoding="utf-8-sig")  # -sig: spreadsheet exports often start with a BOM
    except OSError as exc:
        raise errors.DatasetError(
            f"CSV file '{path}' cannot be opened ({exc.strerror or exc}); check the path.") from exc
    with f:
        lines = enumerate(f, start=1)
        first = next(((n, t) for n, t in lines if t.strip() and not t.lstrip().startswith("#")), None)
        if first is None:
            raise errors.DatasetError(f"CSV file '{path}' is empty; it needs a header row and data rows.")
        header_line, header_text = first
        # The reader sees the header line again plus the rest of the file, so quoted cells
        # work and reader.line_num maps back to the file's line numbers.
        rest = (text for _, text in lines)
        reader = csv.reader(itertools.chain([header_text], rest), skipinitialspace=True)
        header = [h.strip() for h in next(reader)]
        missing = [c for c in (date_col, value_col) if c not in header]
        if missing:
            raise errors.DatasetError(
                f"CSV file '{path}' has no column {missing[0]!r}"
                f"{' (nor ' + repr(missing[1]) + ')' if len(missing) > 1 else ''}; "
                f"its columns are {', '.join(repr(h) for h in header)}.")
        di, vi = header.index(date_col), header.index(value_col)
        dates, values, rows_of = [], [], {}
        row = 0
        for cells in reader:
            line = header_line - 1 + reader.line_num
            if not any(c.strip() for c in cells):
                continue
            row += 1
            if len(cells) <= max(di, vi):
                raise errors.DatasetError(
                    f"'{path}' row {row} (line {line}) has {len(cells)} cells but the header has "
                    f"{len(header)}; every row needs a {date_col!r} and a {value_col!r} cell.")
            filled = len(cells) - next((i for i, c in enumerate(reversed(cells)) if c.strip()), len(cells))
            if filled > len(header):  # 2020-01-02,4,250: a thousands separator split one number in two
                raise errors.DatasetError(
                    f"'{path}' row {row} (line {line}) has {filled} cells but the header has {len(header)}; "
                    "a number with a thousands separator such as 4,250 must be quoted (\"4,250\") or written "
                    "4250.")
            date = _parse_date(cells[di], row, line, path, date_col)
            if date in rows_of:
                raise errors.DatasetError(
                    f"'{path}' has the date {date} twice, in rows {rows_of[date]} and {row}; "
                    f"keep one row per day.")
            rows_of[date] = row
            dates.append(date)
            values.append(_parse_value(cells[vi], row, line, path, value_col))
    if not dates:
        raise errors.DatasetError(f"CSV file '{path}' has a header but no data rows.")
    dates_arr = np.array(dates, dtype="datetime64[D]")
    order = np.argsort(dates_arr, kind="stable")
    dates_arr, values_arr = dates_arr[order], np.array(values, dtype=np.float64)[order]
    full = np.arange(dates_arr[0], dates_arr[-1] + 1)
    full_values = np.full(len(full), np.nan)
    full_values[(dates_arr - dates_arr[0]).astype(np.int64)] = values_arr
    return Series(full, full_values, name or value_col, synthetic=False)


# --------------------------------------------------------------------------- lag windows


def _as_values(series_or_array) -> np.ndarray:
    if isinstance(series_or_array, Series):
        return np.asarray(series_or_array.values, dtype=np.float64)
    try:
        values = np.asarray(series_or_array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise errors.DataError(
            f"lag_windows needs numbers, got values that cannot be read as floats ({exc}); "
            f"pass a Series or a 1-d array of numbers.") from exc
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise errors.ShapeError(
            f"lag_windows needs one value per day, got an array of shape {values.shape}; "
            f"pass a Series, a 1-d array, or an (n, 1) column.")
    if np.isinf(values).any():
        raise errors.DataError(
            f"lag_windows got an infinite value at position {int(np.flatnonzero(np.isinf(values))[0])}; "
            f"use NaN for a missing day.")
    return values


def _windows(values: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All windows without a gap: ``X (n, days)``, ``y (n, 1)`` and each target's position."""
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 1:
        raise errors.ConfigError(f"days must be a whole number of days, at least 1, got {days!r}.")
    days = int(days)
    if len(values) < days + 1:
        raise errors.DataError(
            f"the series has {len(values)} rows, too few for a window of {days} days: "
            f"it needs at least {days + 1} rows ({days} inputs and 1 target); "
            f"use fewer days or a longer series.")
    X = np.lib.stride_tricks.sliding_window_view(values[:-1], days)
    y = values[days:]
    keep = ~(np.isnan(X).any(axis=1) | np.isnan(y))
    if not keep.any():
        raise errors.DataError(
            f"every window of {days} days in the series of {len(values)} rows touches a missing day (NaN), "
            f"so none is left; use fewer days or fill the gaps.")
    targets = np.flatnonzero(keep) + days
    return np.ascontiguousarray(X[keep]), y[keep].reshape(-1, 1).copy(), targets


def lag_windows(series_or_array, days: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs "previous ``days`` days → next day": ``X`` of shape ``(n, days)``, ``y`` of shape ``(n, 1)``.

    Row i of ``X`` holds days ``i .. i+days-1`` (oldest first) and ``y[i]`` the day after.
    A window whose inputs or target include a NaN (a missing day) is dropped, so ``n`` is
    ``len(series) - days`` minus the windows that touch a gap.

    Raises ``DataError`` when the series has fewer than ``days + 1`` rows.

    Example:
        >>> X, y = lag_windows([1.0, 2.0, 3.0, 4.0], 2)
        >>> X.tolist(), y.tolist()
        ([[1.0, 2.0], [2.0, 3.0]], [[3.0], [4.0]])
    """
    X, y, _ = _windows(_as_values(series_or_array), days)
    return X, y


def _as_day(value, what: str) -> np.datetime64:
    try:
        if isinstance(value, str) and not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError
        return np.datetime64(value, "D")
    except (TypeError, ValueError):
        raise errors.ConfigError(f"{what} must be a date such as '2021-01-01', got {value!r}.") from None


def split_by_date(series: Series, days: int, test_start="2021-01-01", test_end=None, *,
                  return_dates: bool = False):
    """Lag windows split in time: targets before ``test_start`` train, targets from it on test.

    Test windows may take their inputs from days before ``test_start`` (the model sees the
    last weeks of the training period to predict the first test days), as the lecture's
    2021 test does. ``test_end`` (inclusive) cuts the test period short. Windows that
    touch a missing day are dropped, as in :func:`lag_windows`.

    Returns ``(X_train, y_train), (X_test, y_test)``, or with ``return_dates=True``
    ``(X_train, y_train, dates_train), (X_test, y_test, dates_test)`` where the dates are
    those of the targets.

    Example:
        >>> from fnlearn.datasets import views
        >>> (X_tr, y_tr), (X_te, y_te) = split_by_date(views(), 56)
        >>> X_tr.shape, X_te.shape
        ((1405, 56), (45, 56))
    """
    if not isinstance(series, Series):
        raise errors.DataError(
            f"split_by_date needs a Series (it splits by date), got {type(series).__name__}; "
            f"use views() or load_series_csv(), or lag_windows for a plain array.")
    start = _as_day(test_start, "test_start")
    end = None if test_end is None else _as_day(test_end, "test_end")
    last = np.datetime64(series.dates[-1], "D")
    if start > last:
        raise errors.DataError(f"test_start {start} is after the series' last day {last}; give a test_start inside "
                               "the series, so that some days are left to test on.")
    if end is not None and end < start:
        raise errors.DataError(f"test_end {end} is before test_start {start}; give a test_end on or after "
                               "test_start.")
    if end is not None and end > last:
        raise errors.DataError(f"test_end {end} is after the series' last day {last}; give a day inside the "
                               "series, or leave test_end out to test up to its end.")
    X, y, targets = _windows(_as_values(series), days)
    target_dates = np.asarray(series.dates, dtype="datetime64[D]")[targets]
    train = target_dates < start
    test = ~train if end is None else (~train) & (target_dates <= end)
    for part, mask in (("training", train), ("test", test)):
        if not mask.any():
            raise errors.DataError(
                f"split_by_date found no {part} windows: the series runs {series.dates[0]} .. "
                f"{series.dates[-1]}, test_start is {start}, days is {days}; choose a test_start "
                f"inside the series with at least {days} days before it.")
    if return_dates:
        return (X[train], y[train], target_dates[train]), (X[test], y[test], target_dates[test])
    return (X[train], y[train]), (X[test], y[test])
