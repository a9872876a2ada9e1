"""The iThome Excel exercise: the post's numbers, the CSV, and a spreadsheet of live formulas."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import re
import warnings

import numpy as np
import pytest

from fnlearn.experiments import students


def test_round_zero_matches_the_post_exactly():
    first = students.train(rounds=1, lr=1.0)[0]
    assert abs(first["mse"] - 0.012672752) < 1e-12
    np.testing.assert_allclose(first["delta_w"], [0.00706, 0.051214, 0.0526716], rtol=0, atol=1e-12)
    assert abs(first["delta_b"] - 0.03992) < 1e-12
    # the post adds the change as it is: w1 = 0.33 + 0.00706
    np.testing.assert_allclose(first["new_w"], [0.33706, 0.381214, 0.3826716], atol=1e-12)


def test_change_is_minus_half_the_mse_gradient():
    import fnlearn as fl
    from fnlearn.datasets import students as table

    _, X, y = table()
    fl.set_default_dtype("float64")
    try:
        w = fl.tensor(np.full(3, 0.33), requires_grad=True)
        b = fl.tensor(0.0, requires_grad=True)
        loss = fl.losses.mse(y.ravel(), X @ w + b)
        loss.backward()
    finally:
        fl.set_default_dtype("float32")
    first = students.train(rounds=1)[0]
    np.testing.assert_allclose(first["delta_w"], -0.5 * fl.backend.to_numpy(w.grad), atol=1e-12)
    assert abs(first["delta_b"] - (-0.5 * float(b.grad))) < 1e-12


def test_post_rule_diverges_and_the_default_converges():
    from fnlearn.datasets import students as table

    limit = students.stability_limit(table().X)
    assert 0.5 < limit < 1.0  # lr = 1 is above the limit, the default 0.5 below it
    post = [e["mse"] for e in students.train(rounds=8, lr=1.0)]
    assert post[1] > post[0] and post[-1] > 10 * post[0]
    ours = [e["mse"] for e in students.train(rounds=8)]
    assert all(b < a for a, b in zip(ours, ours[1:]))


# ------------------------------------------------------------------ a tiny evaluator for the sheet


_REF = r"\$?([A-Z]+)\$?(\d+)"


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def evaluate_sheet(ws) -> dict[tuple[int, int], float]:
    """Evaluate every cell: numbers, and formulas with + - * ^, refs and AVERAGE(range)."""
    raw = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row if c.value is not None}
    cache: dict[tuple[int, int], float] = {}

    def value(key):
        if key in cache:
            return cache[key]
        v = raw[key]
        if isinstance(v, str) and v.startswith("="):
            v = formula(v[1:])
        cache[key] = v
        return v

    def formula(text: str) -> float:
        def average(m):
            c1, r1, c2, r2 = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
            cols = range(_col_index(c1), _col_index(c2) + 1)
            vals = [value((r, c)) for r in range(r1, r2 + 1) for c in cols]
            return repr(sum(vals) / len(vals))  # AVERAGE adds in order, then divides

        text = re.sub(rf"AVERAGE\({_REF}:{_REF}\)", average, text)
        assert re.fullmatch(rf"(?:{_REF}|[-+*^().\deE]|\s)+", text), f"unexpected formula text {text!r}"
        text = re.sub(_REF, lambda m: f"({value((int(m.group(2)), _col_index(m.group(1))))!r})", text)
        return float(eval(text.replace("^", "**"), {"__builtins__": {}}))  # only numbers and operators remain

    return {k: value(k) for k in raw}


def test_run_writes_csv_xlsx_and_json_that_agree(tmp_path, capsys):
    openpyxl = pytest.importorskip("openpyxl")
    res = students.run(rounds=3, out=tmp_path)
    printed = capsys.readouterr().out
    assert "0.012672752" in printed and "0.00706" in printed and "lr < 2/λmax = 0.855" in printed

    data = json.loads((tmp_path / "results.json").read_text())
    assert data["experiment"] == "students" and data["mse"] == res["mse"]
    assert data["post_rule"]["rises_from_round"] == 1
    # the printed table cells are the JSON's numbers, formatted
    for entry, row in zip(data["history"], data["tables"]["rounds"]["rows"]):
        assert row[-1] == f"{entry['mse']:.9f}" and row[1] == f"{entry['w'][0]:.6f}"

    with open(tmp_path / "students.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header == list(students.COLUMNS)
    assert len(body) == 4 * 7  # rounds 0..3: weights, 5 students, mean (round 3 holds the trained weights)

    wb = openpyxl.load_workbook(tmp_path / "students.xlsx")  # formulas, not cached values
    ws = wb["training"]
    computed_cols = [students.COLUMNS.index(c) + 1 for c in
                     ("prediction", "error", "squared_error", "change_w1", "change_b")]
    first = students.HEADER_ROW + 1
    for i, row in enumerate(body):
        if row[1] in "ABCDE" or row[1] == "mean":
            for c in computed_cols:
                if row[c - 1] != "":
                    cell = ws.cell(row=first + i, column=c).value
                    assert isinstance(cell, str) and cell.startswith("="), (i, c, cell)
        if row[1] == "weights" and row[0] != "0":
            assert str(ws.cell(row=first + i, column=7).value).startswith("=")

    values = evaluate_sheet(ws)
    checked = 0
    for i, row in enumerate(body):
        for j, text in enumerate(row[2:], start=3):
            if text == "":
                continue
            got = values[(first + i, j)]
            assert got == float(text), (i, students.COLUMNS[j - 1], got, text)  # bit for bit
            checked += 1
    assert checked > 150
    # the learning rate is a cell the formulas read: change it and the sheet retrains
    assert ws["B1"].value == 0.5
    ws["B1"].value = 1.0
    again = evaluate_sheet(ws)
    mse_col = students.COLUMNS.index("squared_error") + 1
    mean_rows = [first + i for i, r in enumerate(body) if r[1] == "mean"]
    post = students.train(rounds=3, lr=1.0)
    np.testing.assert_allclose([again[(r, mse_col)] for r in mean_rows], [e["mse"] for e in post], rtol=1e-12)


def test_bad_settings_raise_config_errors(tmp_path):
    from fnlearn.errors import ConfigError

    with pytest.raises(ConfigError):
        students.run(lr=-1.0, out=tmp_path)
    with pytest.raises(ConfigError):
        students.run(rounds=0, out=tmp_path)


def test_the_post_rule_is_said_to_diverge_and_the_default_to_converge(tmp_path, capsys):
    res = students.run(lr=1.0, rounds=3, out=tmp_path / "post")
    printed = " ".join(capsys.readouterr().out.split())
    assert "With lr = 1 the MSE rises" in printed and "above the limit 0.855, so it diverges" in printed
    assert res["post_rule"]["rises_from_round"] == 1
    students.run(out=tmp_path / "ours")
    printed = " ".join(capsys.readouterr().out.split())
    assert "With lr = 0.5 the MSE falls:" in printed and "below the limit 0.855, so it converges" in printed
    assert "does not converge here" in printed  # the post's own rule is still shown to fail
    data = json.loads((tmp_path / "ours" / "results.json").read_text())
    assert data["figures"] == ["mse.png"]
    assert (tmp_path / "ours" / "mse.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    spreadsheet = {"students.xlsx"} if importlib.util.find_spec("openpyxl") else set()  # written where installed
    assert set(data["files"]) == {"students.csv", *spreadsheet}


def test_a_diverging_rate_stops_at_the_overflow_and_prints_short_numbers(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings from NumPy or the figure
        res = students.run(lr=100.0, rounds=200, out=tmp_path)
    printed = capsys.readouterr().out
    last = res["history"][-1]
    assert len(res["history"]) < 201 and not math.isfinite(last["mse"]) and last["new_w"] is None
    assert all(math.isfinite(e["mse"]) for e in res["history"][:-1])
    assert f"overflowed to inf in round {last['round']}, so the rounds stop there" in " ".join(printed.split())
    assert not re.findall(r"\d[\d.]{30,}", printed)  # 1.2031e+21, not 300 digits
