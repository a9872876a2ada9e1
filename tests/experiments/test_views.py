"""The views demo: the lecture's table on the synthetic series, its JSON, its words and its fallbacks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fnlearn import errors
from fnlearn.experiments import views

FEW = (views.ROWS[0], views.ROWS[3], views.ROWS[4], views.ROWS[8])  # 1 and 56 days linear, 10 neurons, 2 layers


def test_quick_run_prints_the_table_its_json_holds(tmp_path, capsys):
    res = views.run(quick=True, out=tmp_path)
    printed = capsys.readouterr().out
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["experiment"] == "views" and data["data"]["synthetic"] is True
    assert "SYNTHETIC" in printed
    assert [r["label"] for r in data["rows"]] == [r.label for r in views.ROWS]
    table = data["tables"]["mae"]["rows"]
    for row, cells in zip(data["rows"], table):
        assert cells[0] == row["label"]
        assert cells[3] == f"{row['train_mae']:.3f}" and cells[4] == f"{row['test_mae']:.3f}"
        assert cells[5] == f"{row['lecture_train_mae']:.2f}" and cells[6] == f"{row['lecture_test_mae']:.2f}"
        assert all(c in printed for c in cells)
    # the lecture's numbers are printed beside ours
    assert [(r["lecture_train_mae"], r["lecture_test_mae"]) for r in data["rows"]][-1] == (0.10, 0.44)
    # the 100-neuron row and the one-layer row are the same model, trained once
    same = {r["label"]: r for r in data["rows"]}
    assert same["ReLU 100 x 1 layer"]["same_model_as"] == "ReLU 100 neurons"
    assert same["ReLU 100 x 1 layer"]["test_mae"] == same["ReLU 100 neurons"]["test_mae"]
    assert data["rows"][3]["n_test"] == 45  # 2021-01-01 .. 2021-02-14
    for sentence in data["summary"]:
        assert sentence in printed.replace("\n", " ") or sentence[:60] in printed.replace("\n", " ")
    assert set(data["figures"]) == {"predictions.png", "size_curve.png"}
    for name in data["figures"]:
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert res["out_dir"] == str(tmp_path)


def test_deterministic_under_the_seed(tmp_path):
    a = views.run(rows=FEW, epochs=3, seed=7, out=tmp_path / "a", quiet=True)
    b = views.run(rows=FEW, epochs=3, seed=7, out=tmp_path / "b", quiet=True)
    c = views.run(rows=FEW, epochs=3, seed=8, out=tmp_path / "c", quiet=True)
    key = [(r["train_mae"], r["test_mae"]) for r in a["rows"]]
    assert key == [(r["train_mae"], r["test_mae"]) for r in b["rows"]]
    assert key != [(r["train_mae"], r["test_mae"]) for r in c["rows"]]


def test_a_row_does_not_depend_on_the_rows_before_it(tmp_path):
    alone = views.run(rows=(views.ROWS[4],), epochs=3, out=tmp_path / "a", quiet=True)
    among = views.run(rows=FEW, epochs=3, out=tmp_path / "b", quiet=True)
    assert alone["rows"][0]["test_mae"] == among["rows"][2]["test_mae"]


def test_training_learns_something(tmp_path):
    res = views.run(rows=(views.ROWS[3],), epochs=20, out=tmp_path, quiet=True)
    row = res["rows"][0]
    # a line on 56 days beats "tomorrow is the training mean" by a wide margin
    from fnlearn.datasets import split_by_date
    from fnlearn.datasets import views as series

    (_, y_tr), (_, y_te) = split_by_date(series(), 56, "2021-01-01", "2021-02-14")
    baseline = float(np.mean(np.abs(y_te - y_tr.mean())))
    assert row["test_mae"] < 0.7 * baseline
    assert res["loss_curves"]["linear, 56 days"][-1] < res["loss_curves"]["linear, 56 days"][0]


def test_own_csv_series(tmp_path, capsys):
    days = np.arange(np.datetime64("2022-01-01"), np.datetime64("2022-01-01") + 200)
    values = 10 + 3 * np.sin(np.arange(200) * 2 * np.pi / 7)
    lines = ["day,clicks"] + [f"{d},{v:.4f}" for d, v in zip(days, values)]
    lines.pop(60)  # a missing day: windows that touch it are dropped
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(lines) + "\n")
    res = views.run(csv=str(path), date_col="day", value_col="clicks", rows=FEW, epochs=2,
                    out=tmp_path / "run")
    printed = capsys.readouterr().out
    assert res["data"]["synthetic"] is False and "SYNTHETIC" not in printed
    assert res["data"]["test_start"] == "2022-06-05" and res["data"]["test_end"] == "2022-07-19"
    assert all(r["n_test"] == 45 for r in res["rows"])
    assert "train MAE" in printed and "(k)" not in printed


def test_summary_words_follow_the_numbers():
    def row(label, group, days, hidden, train, test):
        return {"label": label, "group": group, "days": days, "hidden": list(hidden), "train_mae": train,
                "test_mae": test, "lecture_train_mae": 0.3, "lecture_test_mae": 0.4, "same_model_as": None,
                "params": 1}

    rows = [row("linear, 1 day", "linear", 1, (), 0.48, 0.58),
            row("linear, 7 days", "linear", 7, (), 0.38, 0.49),
            row("linear, 28 days", "linear", 28, (), 0.33, 0.46),
            row("linear, 56 days", "linear", 56, (), 0.32, 0.46),
            row("1 layer", "layers", 56, (100,), 0.28, 0.43),
            row("2 layers", "layers", 56, (100, 100), 0.18, 0.39),
            row("3 layers", "layers", 56, (100,) * 3, 0.14, 0.38),
            row("4 layers", "layers", 56, (100,) * 4, 0.10, 0.44)]
    words = " ".join(views.summarize(rows, "k", "2021-01-01", "2021-02-14"))
    assert "saturates" in words and "Model bias" in words
    assert "Overfitting: 4 layers fits the training days better than 3 layers" in words

    # the same table where the deepest network is also the best on the test days: no overfitting claimed
    rows[-1] = row("4 layers", "layers", 56, (100,) * 4, 0.10, 0.30)
    words = " ".join(views.summarize(rows, "k", "2021-01-01", "2021-02-14"))
    assert "Overfitting" not in words and "No overfitting showed up" in words

    # more days that keep helping are not called saturation
    rows[3] = row("linear, 56 days", "linear", 56, (), 0.20, 0.30)
    words = " ".join(views.summarize(rows, "k", "2021-01-01", "2021-02-14"))
    assert "saturates" not in words and "keeps helping" in words

    # a deeper network worse on both sets is not overfitting
    rows[-1] = row("4 layers", "layers", 56, (100,) * 4, 0.30, 0.50)
    words = " ".join(views.summarize(rows, "k", "2021-01-01", "2021-02-14"))
    assert "not overfitting" in words


def test_without_rich_and_matplotlib(tmp_path, capsys, monkeypatch):
    import sys

    # a None entry makes "import rich" / "import matplotlib" fail as if they were not installed
    for name in list(sys.modules):
        if name.split(".")[0] in ("rich", "matplotlib"):
            monkeypatch.setitem(sys.modules, name, None)
    for name in ("rich", "matplotlib"):
        monkeypatch.setitem(sys.modules, name, None)
    views.run(rows=FEW, epochs=1, out=tmp_path)
    printed = capsys.readouterr().out
    assert "model               | days | params |" in printed  # the plain table
    assert "figures skipped" in printed and "fnlearn[plot]" in printed
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["figures"] == [] and not list(tmp_path.glob("*.png"))
    assert any("figures skipped" in n for n in data["notes"])


def test_bad_dates_are_config_errors(tmp_path):
    with pytest.raises(errors.ConfigError):
        views.run(rows=FEW, epochs=1, test_start="January", out=tmp_path)


# ------------------------------------------------------------------ the words follow each step as it came out


def _row(label, group, days, hidden, train, test):
    return {"label": label, "group": group, "days": days, "hidden": list(hidden), "train_mae": train,
            "test_mae": test, "lecture_train_mae": 0.3, "lecture_test_mae": 0.4, "same_model_as": None,
            "params": 1}


def _table(linear=(0.58, 0.49, 0.46, 0.46), neurons_train=(0.32, 0.28, 0.27), neurons_test=(0.45, 0.43, 0.43),
           layers_train=(0.28, 0.18, 0.14, 0.10), layers_test=(0.43, 0.39, 0.38, 0.44)):
    rows = [_row(f"linear, {d} days", "linear", d, (), 0.5, t) for d, t in zip((1, 7, 28, 56), linear)]
    rows += [_row(f"ReLU {n} neurons", "neurons", 56, (n,), tr, te)
             for n, tr, te in zip((10, 100, 1000), neurons_train, neurons_test)]
    rows += [_row(f"ReLU 100 x {k} layers", "layers", 56, (100,) * k, tr, te)
             for k, tr, te in zip((1, 2, 3, 4), layers_train, layers_test)]
    return views.summarize(rows, "k", "2021-01-01", "2021-02-14")


def _sentence(words, start):
    found = [s for s in words if s.startswith(start)]
    assert len(found) == 1, words
    return found[0]


def test_step_words():
    assert views._step(0.181, 0.118) == "falls" and views._step(0.118, 0.127) == "rises"
    assert views._step(0.300, 0.305) == "same" and views._step(0.305, 0.300) == "same"  # under 2 %
    assert views._trend([0.181, 0.118, 0.127]) == "falls, then rises"
    assert views._trend([0.118, 0.093, 0.068, 0.068]) == "falls, then stays about the same"
    assert views._trend([0.216, 0.244, 0.243, 0.266]) == "rises, then stays about the same, then rises"
    assert views._trend([0.5, 0.4, 0.3]) == "falls" and views._trend([0.3, 0.3]) == "stays about the same"


def test_wider_sentence_does_not_call_a_rise_a_fall():
    words = _table(neurons_train=(0.181, 0.118, 0.127), neurons_test=(0.186, 0.216, 0.300))
    wider = _sentence(words, "Wider:")
    assert "training error falls, then rises (0.181 k → 0.118 k → 0.127 k)" in wider
    assert "test error rises (0.186 k → 0.216 k → 0.300 k)" in wider
    # a step under 2 % is "about the same", not a fall
    wider = _sentence(_table(neurons_train=(0.300, 0.297, 0.296)), "Wider:")
    assert "training error stays about the same (0.300 k → 0.297 k → 0.296 k)" in wider


def test_deeper_sentence_follows_every_step():
    words = _table(layers_train=(0.118, 0.093, 0.068, 0.068), layers_test=(0.216, 0.244, 0.243, 0.266))
    deeper = _sentence(words, "Deeper:")
    assert "training error falls, then stays about the same" in deeper
    assert "test error rises, then stays about the same, then rises" in deeper
    # the best test error among the layers is the first: the deepest fits better and tests worse
    over = _sentence(words, "Overfitting:")
    assert "ReLU 100 x 4 layers fits the training days better than ReLU 100 x 1 layers" in over


def test_linear_sentence_with_a_rise_in_the_middle():
    words = _table(linear=(0.405, 0.261, 0.204, 0.211))
    first = words[0]
    assert first.startswith("More data helps a linear model") and "cuts the test error from 0.405 k to 0.261 k" in first
    assert "falls, then rises, lowest with 28 days" in first
    assert "keeps helping" not in first and "saturates" not in first

    first = _table(linear=(0.50, 0.40, 0.45, 0.30))[0]  # down, up, down
    assert "falls, then rises, then falls" not in first  # the sentence describes 7 → 56 days only
    assert "from 7 to 56 days it rises, then falls, lowest with 56 days" in first


def test_linear_sentence_when_more_days_do_not_help_at_first():
    first = _table(linear=(0.40, 0.45, 0.30, 0.29))[0]
    assert "did not lower the linear model's test error: it made it worse (0.400 k → 0.450 k)" in first
    assert "the test error rises, then falls" in first and "More data helps" not in first
    first = _table(linear=(0.40, 0.401, 0.30, 0.29))[0]
    assert "left it about the same" in first and "stays about the same, then falls" in first


def test_linear_saturation_needs_the_last_step_to_be_small_or_flat():
    assert "saturates: going from 28 to 56 days changes almost nothing" in _table(linear=(0.58, 0.49, 0.46, 0.46))[0]
    small = _table(linear=(0.58, 0.40, 0.37, 0.35))[0]  # still falling, by less each time
    assert "saturates: each step gains less" in small and "gains little (0.370 k → 0.350 k" in small
    assert "keeps helping up to 56 days" in _table(linear=(0.58, 0.49, 0.40, 0.30))[0]


def test_deepest_about_as_good_on_training_but_worse_on_test_is_not_called_overfitting():
    words = _table(layers_train=(0.20, 0.15, 0.10, 0.1005), layers_test=(0.43, 0.39, 0.30, 0.40))
    assert not any(s.startswith("Overfitting") for s in words)
    assert "fits the training days about as well as ReLU 100 x 3 layers" in " ".join(words)


def test_best_sentence_names_near_ties():
    words = _table(neurons_test=(0.300, 0.301, 0.40), layers_test=(0.43, 0.39, 0.38, 0.44))
    best = _sentence(words, "Best on the test days here:")
    assert best.startswith("Best on the test days here: ReLU 10 neurons (0.300 k), with ReLU 100 neurons within 2 %")


_TREND = r"error ((?:falls|rises|stays about the same)(?:, then (?:falls|rises|stays about the same))*) \(([^)]*)\)"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=25, max_size=25))
def test_every_trend_word_matches_the_printed_numbers(values):
    import re

    v = iter(values)
    words = _table(linear=[next(v) for _ in range(4)], neurons_train=[next(v) for _ in range(3)],
                   neurons_test=[next(v) for _ in range(3)], layers_train=[next(v) for _ in range(4)],
                   layers_test=[next(v) for _ in range(4)])
    text = " ".join(words)
    for trend, numbers in re.findall(_TREND, text):
        shown = [float(x) for x in re.findall(r"(\d+\.\d+) k", numbers)]
        assert len(shown) >= 2, numbers
        steps = [b - a for a, b in zip(shown, shown[1:])]
        if trend == "falls":
            assert all(d <= 0 for d in steps), (trend, shown)
        elif trend == "rises":
            assert all(d >= 0 for d in steps), (trend, shown)
        elif trend == "stays about the same":
            assert all(abs(d) <= 0.021 * max(shown) + 1e-3 for d in steps), (trend, shown)
        else:  # a path of several runs: each direction it names is a step that happened
            assert ("rises" not in trend or max(steps) > 0) and ("falls" not in trend or min(steps) < 0)
    for s in words:
        if s.startswith("Overfitting:"):
            m = re.search(r"\((\S+) k against (\S+) k\) but predicts .* worse \((\S+) k against (\S+) k\)", s)
            a, b, c, d = map(float, m.groups())
            assert a <= b and c >= d
