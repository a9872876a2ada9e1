"""The views demo: the lecture's table on the synthetic series, its JSON, its words and its fallbacks."""

from __future__ import annotations

import json

import numpy as np
import pytest

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
