"""The synthetic views series, the CSV reader for real series, lag windows and the date split."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fnlearn import errors
from fnlearn.datasets import Series, lag_windows, load_series_csv, split_by_date, views
from fnlearn.datasets._make_views import WEEKDAY_FACTOR, generate

# --------------------------------------------------------------------------- views


def test_views_covers_the_lectures_period_daily_and_says_synthetic():
    s = views()
    assert isinstance(s, Series) and s.synthetic is True and s.name == "views_k"
    assert s.dates.dtype == np.dtype("datetime64[D]") and s.values.dtype == np.float64
    assert str(s.dates[0]) == "2017-01-01" and str(s.dates[-1]) == "2021-02-14"
    assert len(s) == 1506 and np.all(np.diff(s.dates).astype(int) == 1)
    assert np.isfinite(s.values).all()
    assert 2.0 < s.values.min() and s.values.max() < 20.0 and 3.0 < np.median(s.values) < 7.0
    assert "synthetic" in repr(s)


def test_shipped_csv_is_labelled_synthetic_and_holds_three_decimals():
    text = (resources.files("fnlearn.datasets") / "views.csv").read_text(encoding="utf-8")
    assert text.startswith("# SYNTHETIC data, not real views")
    rows = [line for line in text.splitlines() if not line.startswith("#")]
    assert rows[0] == "date,views_k"
    assert all(len(r.split(",")[1].split(".")[1]) == 3 for r in rows[1:])


def test_documented_script_rebuilds_the_shipped_file():
    dates, values = generate()
    s = views()
    np.testing.assert_array_equal(dates, s.dates)
    # the file is rounded to 3 decimals; allow one unit in the last place for libm differences
    np.testing.assert_allclose(values, s.values, rtol=0, atol=0.0011)


def test_fridays_and_saturdays_are_the_low_days():
    s = views()
    monday_first = (s.dates.astype(np.int64) + 3) % 7
    means = np.array([s.values[monday_first == d].mean() for d in range(7)])
    assert set(np.argsort(means)[:2]) == {4, 5}            # Friday, Saturday
    assert set(np.argsort(WEEKDAY_FACTOR)[:2]) == {4, 5}   # as documented in the script


def test_views_returns_fresh_arrays():
    a = views()
    a.values[:] = 0
    assert views().values.max() > 0


# --------------------------------------------------------------------------- load_series_csv


def _csv(tmp_path, text, name="s.csv"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_reads_sorts_and_keeps_gaps_as_nan(tmp_path):
    f = _csv(tmp_path, "day,other,views\n2021-01-04,x,4\n2021-01-01,y,1.5\n2021-01-02,z,\n\n2021-01-06,w,6\n")
    s = load_series_csv(f, "day", "views")
    assert [str(d) for d in s.dates] == [f"2021-01-0{i}" for i in range(1, 7)]
    np.testing.assert_array_equal(s.values, [1.5, np.nan, np.nan, 4.0, np.nan, 6.0])
    assert s.synthetic is False and s.name == "views"
    assert load_series_csv(f, "day", "views", name="mine").name == "mine"


def test_comments_bom_quotes_and_spaces(tmp_path):
    f = tmp_path / "s.csv"
    text = '\ufeff# exported by hand\n\n date , "views, k"\n2020-02-28, "3.5"\n2020-02-29,4\n'
    f.write_bytes(text.encode("utf-8"))
    s = load_series_csv(f, "date", "views, k")
    np.testing.assert_array_equal(s.values, [3.5, 4.0])
    assert str(s.dates[1]) == "2020-02-29"


def test_missing_column_names_it_and_lists_the_present_ones(tmp_path):
    f = _csv(tmp_path, "Date,Views\n2021-01-01,1\n")
    with pytest.raises(errors.DatasetError) as info:
        load_series_csv(f, "Date", "views")
    assert str(info.value) == f"CSV file '{f}' has no column 'views'; its columns are 'Date', 'Views'."
    with pytest.raises(errors.DatasetError, match="no column 'date' \\(nor 'views'\\)"):
        load_series_csv(f, "date", "views")


@pytest.mark.parametrize("cell, words", [
    ("12k", "row 2 (line 4) has '12k' in column 'v', which is not a number"),
    ("1,234", "row 2 (line 4) has '1,234' in column 'v', which is not a number"),
    ("inf", "row 2 (line 4) has 'inf' in column 'v', an infinite value"),
])
def test_bad_value_names_row_and_value(tmp_path, cell, words):
    f = _csv(tmp_path, f'# note\nd,v\n2021-01-01,1\n2021-01-02,"{cell}"\n')
    with pytest.raises(errors.DatasetError, match=words.replace("(", "\\(").replace(")", "\\)")):
        load_series_csv(f, "d", "v")


@pytest.mark.parametrize("text", ["2021/01/02", "02-01-2021", "2021-1-2", "2021-02-30", "20210102", ""])
def test_dates_must_be_iso(tmp_path, text):
    f = _csv(tmp_path, f"d,v\n2021-01-01,1\n{text},2\n")
    words = f"row 2 \\(line 3\\) has '{text}' in column 'd'.*YYYY-MM-DD"
    with pytest.raises(errors.DatasetError, match=words):
        load_series_csv(f, "d", "v")


def test_duplicate_dates_are_an_error(tmp_path):
    f = _csv(tmp_path, "d,v\n2021-01-01,1\n2021-01-02,2\n2021-01-01,3\n")
    with pytest.raises(errors.DatasetError, match="the date 2021-01-01 twice, in rows 1 and 3"):
        load_series_csv(f, "d", "v")


@pytest.mark.parametrize("text, words", [
    ("", "is empty"),
    ("# only a comment\n\n", "is empty"),
    ("d,v\n", "no data rows"),
    ("d,v,w\n2021-01-01\n", "row 1 \\(line 2\\) has 1 cells"),
])
def test_empty_or_short_files(tmp_path, text, words):
    with pytest.raises(errors.DatasetError, match=words):
        load_series_csv(_csv(tmp_path, text), "d", "v")


def test_an_unquoted_thousands_separator_is_not_read_as_two_cells(tmp_path):
    f = _csv(tmp_path, "d,v\n2021-01-01,1\n2021-01-02,4,250\n")
    with pytest.raises(errors.DatasetError, match=r"row 2 \(line 3\) has 3 cells but the header has 2;.*quoted"):
        load_series_csv(f, "d", "v")
    f = _csv(tmp_path, "d,v\n2021-01-01,1,\n2021-01-02,2,,\n")  # trailing empty cells, as some exports write
    assert load_series_csv(f, "d", "v").values.tolist() == [1.0, 2.0]


def test_missing_file(tmp_path):
    with pytest.raises(errors.DatasetError, match="cannot be opened"):
        load_series_csv(tmp_path / "none.csv", "d", "v")


# --------------------------------------------------------------------------- lag_windows


def test_lag_windows_pairs_previous_days_with_the_next():
    X, y = lag_windows(np.arange(6.0), 3)
    np.testing.assert_array_equal(X, [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    np.testing.assert_array_equal(y, [[3], [4], [5]])
    assert X.dtype == y.dtype == np.float64 and X.flags.c_contiguous and X.flags.writeable


def test_lag_windows_accepts_a_series_a_list_and_a_column():
    s = views()
    X1, y1 = lag_windows(s, 28)
    X2, y2 = lag_windows(s.values.tolist(), 28)
    X3, y3 = lag_windows(s.values.reshape(-1, 1), 28)
    assert X1.shape == (1506 - 28, 28) and y1.shape == (1506 - 28, 1)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y3)
    np.testing.assert_array_equal(X1[-1], s.values[-29:-1])
    assert y1[-1, 0] == s.values[-1]


def test_windows_that_touch_a_gap_are_dropped():
    values = np.array([1, 2, np.nan, 4, 5, 6, 7, np.nan, 9.0])
    X, y = lag_windows(values, 2)
    # targets 4 (inputs 2,nan), 5 (nan,4) and 7/nan/9 around the second gap drop out
    np.testing.assert_array_equal(X, [[4, 5], [5, 6]])
    np.testing.assert_array_equal(y, [[6], [7]])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(float("nan"))), min_size=2, max_size=40),
       st.integers(1, 6))
def test_lag_windows_matches_the_definition(values, days):
    values = np.array(values)
    expected = [(values[i:i + days], values[i + days]) for i in range(len(values) - days)
                if not np.isnan(values[i:i + days + 1]).any()]
    if len(values) < days + 1 or not expected:
        with pytest.raises(errors.DataError):
            lag_windows(values, days)
        return
    X, y = lag_windows(values, days)
    np.testing.assert_array_equal(X, np.array([e[0] for e in expected]))
    np.testing.assert_array_equal(y.ravel(), [e[1] for e in expected])


def test_too_few_rows_states_rows_and_window():
    with pytest.raises(errors.DataError) as info:
        lag_windows(np.arange(7.0), 7)
    assert "has 7 rows, too few for a window of 7 days: it needs at least 8 rows" in str(info.value)


def test_all_windows_in_gaps_is_an_error():
    with pytest.raises(errors.DataError, match="touches a missing day"):
        lag_windows([1.0, np.nan, 2.0, np.nan, 3.0], 2)


@pytest.mark.parametrize("days", [0, -1, 2.5, "7", True, None])
def test_days_must_be_a_positive_whole_number(days):
    with pytest.raises(errors.ConfigError, match="days must be a whole number"):
        lag_windows(np.arange(10.0), days)


def test_bad_arrays():
    with pytest.raises(errors.ShapeError, match="shape \\(3, 2\\)"):
        lag_windows(np.zeros((3, 2)), 1)
    with pytest.raises(errors.DataError, match="cannot be read as floats"):
        lag_windows(["a", "b", "c"], 1)
    with pytest.raises(errors.DataError, match="infinite value at position 1"):
        lag_windows([1.0, np.inf, 2.0], 1)


# --------------------------------------------------------------------------- split_by_date


def test_split_trains_before_2021_and_tests_on_the_lectures_window():
    s = views()
    (X_tr, y_tr, d_tr), (X_te, y_te, d_te) = split_by_date(s, 56, return_dates=True)
    assert d_tr.max() == np.datetime64("2020-12-31") and d_tr.min() == np.datetime64("2017-02-26")
    assert d_te.min() == np.datetime64("2021-01-01") and d_te.max() == np.datetime64("2021-02-14")
    assert len(d_te) == 45 and X_te.shape == (45, 56) and y_te.shape == (45, 1)
    # the first test window looks back at the last 56 days of 2020
    first = np.flatnonzero(s.dates == np.datetime64("2021-01-01"))[0]
    np.testing.assert_array_equal(X_te[0], s.values[first - 56:first])
    # nothing lost, nothing doubled
    X, y = lag_windows(s, 56)
    np.testing.assert_array_equal(np.vstack([X_tr, X_te]), X)
    np.testing.assert_array_equal(np.vstack([y_tr, y_te]), y)
    (X_tr2, _), (X_te2, _) = split_by_date(s, 56)
    np.testing.assert_array_equal(X_te2, X_te)
    assert len(X_tr2) == len(X_tr)


def test_split_with_test_end_and_dates_as_values():
    s = views()
    _, (_, _, d_te) = split_by_date(s, 7, np.datetime64("2021-02-01"), "2021-02-07", return_dates=True)
    assert [str(d) for d in d_te] == [f"2021-02-0{i}" for i in range(1, 8)]


def test_split_errors():
    s = views()
    with pytest.raises(errors.DataError, match="test_start 2022-01-01 is after the series' last day 2021-02-14"):
        split_by_date(s, 7, "2022-01-01")
    with pytest.raises(errors.DataError, match="no training windows"):
        split_by_date(s, 56, "2017-01-20")
    with pytest.raises(errors.ConfigError, match="test_start must be a date"):
        split_by_date(s, 7, "01/01/2021")
    with pytest.raises(errors.DataError, match="needs a Series"):
        split_by_date(s.values, 7)
    with pytest.raises(errors.DataError, match="test_end 2021-01-31 is before test_start 2021-02-01"):
        split_by_date(s, 7, "2021-02-01", "2021-01-31")
    with pytest.raises(errors.DataError, match="test_end 2030-01-01 is after the series' last day"):
        split_by_date(s, 7, "2021-02-01", "2030-01-01")


def test_series_normalises_its_arrays():
    s = Series(["2021-01-01", "2021-01-02"], [1, 2], "x")
    assert s.dates.dtype == np.dtype("datetime64[D]") and s.values.dtype == np.float64
    with pytest.raises(AttributeError):
        s.name = "y"


def test_series_checks_lengths():
    with pytest.raises(errors.ShapeError, match="3 dates but 2 values"):
        Series(np.arange(np.datetime64("2021-01-01"), np.datetime64("2021-01-04")), np.zeros(2), "x")
