"""``fnlearn demo``: predict tomorrow's views from the previous days, as the lecture does.

Train on 2017–2020, test on 2021-01-01 .. 2021-02-14, loss and score MAE in thousands of
views (k). The rows are the lecture's:

* a linear model ``y = b + Σ wj·xj`` that looks back 1, 7, 28 and 56 days;
* one hidden ReLU layer of 10, 100 and 1000 neurons on 56 days;
* 1, 2, 3 and 4 hidden ReLU layers of 100 neurons on 56 days.

The lecture's own numbers are printed beside ours for reference only: the lecture's
channel data is private, so ``fnlearn.datasets.views()`` is a SYNTHETIC series and the
numbers cannot match. What matters is the story the table tells in its own numbers, and
the command puts that story in words computed from the numbers as they came out.

Training: inputs and target are standardized with the mean and standard deviation of
the training period (MAE is reported back in the series' units), Adam at 1e-3, batch 32,
MAE loss, a fixed number of epochs per model so the whole table runs within a minute on
two cores (``--full``: four times as many). Every row is seeded with ``--seed``, so its
result does not depend on the other rows; the "100 neurons" and "1 layer of 100" rows are
the same model and trained once.

Example:
    >>> res = run(quick=True, out=tempfile.mkdtemp(), quiet=True)  # doctest: +SKIP
    >>> [r["label"] for r in res["rows"]][:2]                       # doctest: +SKIP
    ['linear, 1 day', 'linear, 7 days']
"""

from __future__ import annotations

import argparse
import math
import tempfile  # noqa: F401  (used by the docstring example)
from dataclasses import dataclass
from typing import Any

import numpy as np

from fnlearn import errors
from fnlearn.experiments import common

NAME = "views"
HELP = ("predict tomorrow's views from the previous days: linear models with 1/7/28/56 days, "
        "ReLU networks of 10/100/1000 neurons and 1-4 layers (train 2017-2020, test 2021)")

TEST_START = "2021-01-01"
TEST_END = "2021-02-14"
LEARNING_RATE = 1e-3
BATCH_SIZE = 32
EPOCHS = 60          # default: the whole table within a minute on two cores
FULL_EPOCHS = 240    # --full
QUICK_EPOCHS = 2     # --quick: checks that it runs


@dataclass(frozen=True)
class Row:
    """One model of the table: how many days it sees and its hidden layers (none: linear)."""

    label: str
    group: str                  # "linear", "neurons" or "layers"
    days: int
    hidden: tuple[int, ...]
    lecture_train: float
    lecture_test: float

    @property
    def key(self) -> tuple[int, tuple[int, ...]]:
        return self.days, self.hidden


# The lecture's table, in thousands of views (train MAE, test MAE).
ROWS = (
    Row("linear, 1 day", "linear", 1, (), 0.48, 0.58),
    Row("linear, 7 days", "linear", 7, (), 0.38, 0.49),
    Row("linear, 28 days", "linear", 28, (), 0.33, 0.46),
    Row("linear, 56 days", "linear", 56, (), 0.32, 0.46),
    Row("ReLU 10 neurons", "neurons", 56, (10,), 0.32, 0.45),
    Row("ReLU 100 neurons", "neurons", 56, (100,), 0.28, 0.43),
    Row("ReLU 1000 neurons", "neurons", 56, (1000,), 0.27, 0.43),
    Row("ReLU 100 x 1 layer", "layers", 56, (100,), 0.28, 0.43),
    Row("ReLU 100 x 2 layers", "layers", 56, (100, 100), 0.18, 0.39),
    Row("ReLU 100 x 3 layers", "layers", 56, (100, 100, 100), 0.14, 0.38),
    Row("ReLU 100 x 4 layers", "layers", 56, (100, 100, 100, 100), 0.10, 0.44),
)


def build_model(days: int, hidden: tuple[int, ...]) -> Any:
    """The lecture's function: ``Dense(1)`` on ``days`` inputs, after ReLU layers of ``hidden`` units."""
    import fnlearn as fl

    layers = [fl.layers.Dense(units, activation="relu") for units in hidden]
    layers.append(fl.layers.Dense(1))
    model = fl.Sequential(layers)
    model.build((days,))
    return model


# --------------------------------------------------------------------------- arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--csv", metavar="PATH", help="your own daily series: a CSV file with a header row")
    parser.add_argument("--date-col", metavar="C", help="with --csv: the column of ISO dates (YYYY-MM-DD)")
    parser.add_argument("--value-col", metavar="V", help="with --csv: the column of daily values")
    parser.add_argument("--test-start", metavar="DATE",
                        help=f"first test day (default {TEST_START}; with --csv: 45 days before the last day)")
    parser.add_argument("--test-end", metavar="DATE",
                        help=f"last test day (default {TEST_END}; with --csv: the last day)")
    parser.add_argument("--epochs", type=common.positive_int,
                        help=f"epochs per model (default {EPOCHS}; {FULL_EPOCHS} with --full)")


def main(args: argparse.Namespace) -> dict[str, Any]:
    if args.csv is None and (args.date_col or args.value_col):
        raise errors.ConfigError("--date-col and --value-col name the columns of a --csv file, but no --csv was "
                                 "given; add --csv PATH or drop them.")
    if args.csv is not None and not (args.date_col and args.value_col):
        missing = [(flag, what, example) for flag, what, example, given in (
            ("--date-col", "the column of dates", "date", args.date_col),
            ("--value-col", "the column of values", "views", args.value_col)) if not given]
        needs = " and ".join(f"{flag} to name {what}" for flag, what, _ in missing)
        example = " ".join(f"{flag} {name}" for flag, _, name in missing)
        raise errors.ConfigError(f"--csv {args.csv} needs {needs}, e.g. {example}.")
    return run(seed=args.seed, out=args.out, full=args.full, quick=args.quick, quiet=args.quiet,
               csv=args.csv, date_col=args.date_col, value_col=args.value_col,
               test_start=args.test_start, test_end=args.test_end, epochs=args.epochs)


# --------------------------------------------------------------------------- the experiment


def _load(csv: str | None, date_col: str | None, value_col: str | None, test_start, test_end):
    from fnlearn.datasets import load_series_csv, views

    if csv is None:
        return views(), (test_start or TEST_START), (test_end or TEST_END), "k"
    series = load_series_csv(csv, date_col, value_col)
    last = series.dates[-1]
    start = test_start or str(last - np.timedelta64(44, "D"))  # 45 test days, as the lecture's
    end = test_end or str(last)
    return series, start, end, ""


def _mae(pred: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(pred, dtype=np.float64).reshape(-1) - target.reshape(-1))))


def _train_row(row: Row, series, test_start: str, test_end: str, epochs: int, seed: int,
               scale: tuple[float, float]) -> dict[str, Any]:
    import fnlearn as fl
    from fnlearn.datasets import split_by_date

    (x_tr, y_tr, _), (x_te, y_te, d_te) = split_by_date(series, row.days, test_start, test_end,
                                                        return_dates=True)
    mu, sd = scale
    common.seed_all(seed)
    model = build_model(row.days, row.hidden)
    model.compile(optimizer=fl.optim.Adam(learning_rate=LEARNING_RATE), loss="mae")
    history = model.fit((x_tr - mu) / sd, (y_tr - mu) / sd, batch_size=BATCH_SIZE, epochs=epochs,
                        shuffle=True, verbose=0)
    pred_tr = model.predict((x_tr - mu) / sd) * sd + mu
    pred_te = model.predict((x_te - mu) / sd) * sd + mu
    return {
        "train_mae": _mae(pred_tr, y_tr), "test_mae": _mae(pred_te, y_te),
        "params": model.num_parameters(), "epochs": epochs,
        "n_train": len(x_tr), "n_test": len(x_te),
        "loss_curve": [float(v) * sd for v in history.history.get("loss", [])],
        "test_dates": [str(d) for d in d_te], "test_truth": y_te.reshape(-1).tolist(),
        "test_pred": np.asarray(pred_te, dtype=np.float64).reshape(-1).tolist(),
    }


def run(*, seed: int = 0, out=None, full: bool = False, quick: bool = False, quiet: bool = False,
        csv: str | None = None, date_col: str | None = None, value_col: str | None = None,
        test_start: str | None = None, test_end: str | None = None, epochs: int | None = None,
        rows: tuple[Row, ...] = ROWS, stream=None) -> dict[str, Any]:
    """Train every row, print the table and what it shows, write ``results.json`` and two figures."""
    series, test_start, test_end, unit = _load(csv, date_col, value_col, test_start, test_end)
    if epochs is None:
        epochs = QUICK_EPOCHS if quick else FULL_EPOCHS if full else EPOCHS
    # Check every window size against the data before the first (slow) model trains; the
    # longest first, so a short series is told it is too short for that window.
    from fnlearn.datasets import split_by_date
    for days in sorted({r.days for r in rows}, reverse=True):
        split_by_date(series, days, test_start, test_end)
    train_values = series.values[np.asarray(series.dates) < np.datetime64(test_start)]
    train_values = train_values[~np.isnan(train_values)]
    scale = (float(train_values.mean()), float(train_values.std()) or 1.0)

    run_ = common.Run(NAME, out=out, seed=seed, stream=stream, quiet=quiet)
    what = ("SYNTHETIC daily views in thousands (fnlearn.datasets.views(); the lecture's channel data is "
            "private, so these numbers will not match the lecture's)" if series.synthetic
            else f"{series.name!r} from {csv}")
    run_.heading("Predicting tomorrow's views from the previous days")
    run_.say(f"Data: {what}, {series.dates[0]} .. {series.dates[-1]}.")
    run_.say(f"Train on targets before {test_start}, test on {test_start} .. {test_end}; Adam {LEARNING_RATE:g}, "
             f"MAE loss, batch {BATCH_SIZE}, {epochs} epochs per model, seed {seed}.")

    trained: dict[tuple[int, tuple[int, ...]], dict[str, Any]] = {}
    results_rows = []
    for row in rows:
        if row.key not in trained:
            trained[row.key] = _train_row(row, series, test_start, test_end, epochs, seed, scale)
            trained[row.key]["first_label"] = row.label
        r = trained[row.key]
        results_rows.append({
            "label": row.label, "group": row.group, "days": row.days, "hidden": list(row.hidden),
            "params": r["params"], "epochs": r["epochs"], "n_train": r["n_train"], "n_test": r["n_test"],
            "train_mae": r["train_mae"], "test_mae": r["test_mae"],
            "lecture_train_mae": row.lecture_train, "lecture_test_mae": row.lecture_test,
            "same_model_as": None if r["first_label"] == row.label else r["first_label"],
        })

    u = f" ({unit})" if unit else ""
    columns = ["model", "days", "params", f"train MAE{u}", f"test MAE{u}", "lecture train", "lecture test"]
    table_rows = [[r["label"], r["days"], r["params"], common.fmt(r["train_mae"], 3), common.fmt(r["test_mae"], 3),
                   common.fmt(r["lecture_train_mae"], 2), common.fmt(r["lecture_test_mae"], 2)]
                  for r in results_rows]
    run_.table("Mean absolute error on the training days and on the test days", columns, table_rows,
               key="mae", caption="lecture columns: the lecture's numbers on its private data, for reference")

    summary = summarize(results_rows, unit or "", test_start, test_end)
    run_.heading("What the table shows")
    for sentence in summary:
        run_.say("- " + sentence)

    _figures(run_, results_rows, trained, unit, series.synthetic)
    results = {
        "data": {"source": "fnlearn.datasets.views()" if csv is None else str(csv), "synthetic": series.synthetic,
                 "name": series.name, "first_day": str(series.dates[0]), "last_day": str(series.dates[-1]),
                 "test_start": str(test_start), "test_end": str(test_end), "unit": unit,
                 "scale_mean": scale[0], "scale_std": scale[1]},
        "training": {"optimizer": "adam", "learning_rate": LEARNING_RATE, "loss": "mae",
                     "batch_size": BATCH_SIZE, "epochs": epochs, "standardized": True},
        "rows": results_rows,
        "summary": summary,
        "loss_curves": {label: trained[key]["loss_curve"]
                        for key, label in ((k, v["first_label"]) for k, v in trained.items())},
    }
    run_.save(results)
    return {**results, "out_dir": str(run_.dir)}


# --------------------------------------------------------------------------- the words


def _k(value: float, unit: str) -> str:
    return f"{value:.3f}{(' ' + unit) if unit else ''}"


# Two errors closer than this fraction of the larger one are "about the same": differences that
# small come and go with the seed, so the words do not build a finding on them.
SAME = 0.02


def _step(a: float, b: float) -> str:
    """'falls', 'rises' or 'same' for one step, with the ``SAME`` tolerance."""
    return common.step(a, b, SAME)


def _lower(a: float, b: float) -> bool:
    """True when ``a`` is clearly (more than ``SAME``) below ``b``."""
    return _step(b, a) == "falls"


def _trend(values: list[float]) -> str:
    """The path of a sequence in words (``common.trend`` with the ``SAME`` tolerance)."""
    return common.trend(values, SAME)


def _arrows(values: list[float], unit: str) -> str:
    return " → ".join(_k(v, unit) for v in values)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _linear_sentence(linear: list[dict[str, Any]], unit: str) -> str:
    tests = [r["test_mae"] for r in linear]
    days = [r["days"] for r in linear]
    steps = [_step(a, b) for a, b in zip(tests, tests[1:])]
    listed = ", ".join(f"{_days(d)}: {_k(t, unit)}" for d, t in zip(days, tests))
    if steps[0] != "falls":
        did = "made it worse" if steps[0] == "rises" else "left it about the same"
        sentence = (f"Looking back {days[1]} days instead of {days[0]} did not lower the linear model's test "
                    f"error: it {did} ({_k(tests[0], unit)} → {_k(tests[1], unit)})")
        if len(steps) == 1:
            return sentence + "."
        return sentence + f"; from {days[0]} to {days[-1]} days the test error {_trend(tests)} ({listed})."
    sentence = (f"More data helps a linear model: looking back {days[1]} days instead of {days[0]} cuts the "
                f"test error from {_k(tests[0], unit)} to {_k(tests[1], unit)}")
    rest = steps[1:]
    if not rest:
        return sentence + "."
    first_gain, last_gain = tests[0] - tests[1], tests[-2] - tests[-1]
    last = f"going from {days[-2]} to {days[-1]} days"
    if all(s == "falls" for s in rest):
        if last_gain <= 0.25 * first_gain:
            return sentence + (f", and then it saturates: each step gains less, and {last} gains little "
                               f"({_k(tests[-2], unit)} → {_k(tests[-1], unit)}; {listed}).")
        return sentence + f", and it keeps helping up to {days[-1]} days ({listed})."
    if "rises" not in rest and rest[-1] == "same":
        return sentence + (f", and then it saturates: {last} changes almost nothing "
                           f"({_k(tests[-2], unit)} → {_k(tests[-1], unit)}; {listed}).")
    # some step after the first made the test error worse: say how it went, and where it was lowest
    lowest = min(range(len(tests)), key=lambda i: tests[i])
    return sentence + (f"; from {days[1]} to {days[-1]} days it {_trend(tests[1:])}, lowest with "
                       f"{_days(days[lowest])} ({listed}).")


def _layers_sentence(layers: list[dict[str, Any]], unit: str, test_start: str, test_end: str) -> str:
    tr = [r["train_mae"] for r in layers]
    te = [r["test_mae"] for r in layers]
    best = min(range(len(layers)), key=lambda i: te[i])
    deepest = len(layers) - 1
    d, b = layers[deepest]["label"], layers[best]["label"]
    if best == deepest or not _lower(te[best], te[deepest]):
        return (f"No overfitting showed up among the layers in this run: the lowest test error is {b}'s "
                f"({_k(te[best], unit)}), and the deepest network is not worse on the test days by more than "
                f"{100 * SAME:.0f} % ({_k(te[deepest], unit)}).")
    versus = (f"({_k(tr[deepest], unit)} against {_k(tr[best], unit)}) but predicts {test_start} .. {test_end} "
              f"worse ({_k(te[deepest], unit)} against {_k(te[best], unit)})")
    if _lower(tr[deepest], tr[best]):
        return (f"Overfitting: {d} fits the training days better than {b} {versus}: a better fit to the past, "
                f"a worse guess of the future.")
    if _lower(tr[best], tr[deepest]):
        return (f"{d} is worse than {b} on both the training days ({_k(tr[deepest], unit)} against "
                f"{_k(tr[best], unit)}) and the test days ({_k(te[deepest], unit)} against {_k(te[best], unit)}): "
                f"that is not overfitting but training that has not finished (try --full).")
    return (f"{d} fits the training days about as well as {b} {versus}: the extra layers bought no better fit, "
            f"and the test error went up; too little to call overfitting, but more depth did not help here.")


def summarize(rows: list[dict[str, Any]], unit: str, test_start: str, test_end: str) -> list[str]:
    """Plain sentences about the table, each computed from the numbers in ``rows``.

    Every "falls", "rises" or "about the same" describes one step as it came out; steps under
    2 % of the larger error are "about the same".
    """
    rows = [r for r in rows if r["test_mae"] is not None and math.isfinite(r["test_mae"])
            and r["train_mae"] is not None and math.isfinite(r["train_mae"])]
    linear = [r for r in rows if r["group"] == "linear"]
    neurons = [r for r in rows if r["group"] == "neurons"]
    layers = [r for r in rows if r["group"] == "layers"]
    out: list[str] = []

    if len(linear) >= 2:
        out.append(_linear_sentence(linear, unit))
    if linear:
        best_lin = min(linear, key=lambda r: r["train_mae"])
        nets = neurons + layers
        sentence = (f"Model bias: even the best line ({best_lin['label']}) misses the training days by "
                    f"{_k(best_lin['train_mae'], unit)} on average; a weighted sum of past days cannot bend, "
                    f"whatever its weights.")
        if nets:
            best_net = min(nets, key=lambda r: r["train_mae"])
            if _lower(best_net["train_mae"], best_lin["train_mae"]):
                sentence += (f" A ReLU network can: {best_net['label']} gets the training error down to "
                             f"{_k(best_net['train_mae'], unit)}.")
            else:
                sentence += (f" The ReLU networks did not fit the training days better in this run (best "
                             f"{_k(best_net['train_mae'], unit)}); more epochs may be needed (--full).")
        out.append(sentence)

    if len(neurons) >= 2:
        tr = [r["train_mae"] for r in neurons]
        te = [r["test_mae"] for r in neurons]
        names = " / ".join(str(r["hidden"][0]) for r in neurons)
        out.append(f"Wider: with {names} neurons in one layer the training error {_trend(tr)} "
                   f"({_arrows(tr, unit)}) and the test error {_trend(te)} ({_arrows(te, unit)}).")

    if len(layers) >= 2:
        tr = [r["train_mae"] for r in layers]
        te = [r["test_mae"] for r in layers]
        out.append(f"Deeper: with {' / '.join(str(len(r['hidden'])) for r in layers)} layers of 100 the training "
                   f"error {_trend(tr)} ({_arrows(tr, unit)}) and the test error {_trend(te)} "
                   f"({_arrows(te, unit)}).")
        out.append(_layers_sentence(layers, unit, test_start, test_end))

    if rows:
        best = min(rows, key=lambda r: r["test_mae"])
        ties = [r["label"] for r in rows if r is not best and not _lower(best["test_mae"], r["test_mae"])
                and r.get("same_model_as") is None and best.get("same_model_as") != r["label"]]
        lecture_best = min(rows, key=lambda r: r["lecture_test_mae"])
        sentence = f"Best on the test days here: {best['label']} ({_k(best['test_mae'], unit)})"
        if ties:
            sentence += f", with {', '.join(ties)} within {100 * SAME:.0f} % of it"
        out.append(sentence + f"; in the lecture: {lecture_best['label']} "
                   f"({lecture_best['lecture_test_mae']:.2f} k, on its own data).")
        gaps = [r["test_mae"] - r["train_mae"] for r in rows]
        widest = rows[int(np.argmax(gaps))]
        if _lower(widest["train_mae"], widest["test_mae"]):
            out.append(f"The gap between training and test error is widest for {widest['label']} "
                       f"({_k(widest['train_mae'], unit)} against {_k(widest['test_mae'], unit)}).")
    return out


# --------------------------------------------------------------------------- figures


def _short(row: dict[str, Any]) -> str:
    """A label short enough for an axis: ``lin 7d``, ``100``, ``100x3``."""
    if row["group"] == "linear":
        return f"lin {row['days']}d"
    hidden = row["hidden"]
    return str(hidden[0]) if len(hidden) == 1 else f"{hidden[0]}x{len(hidden)}"


def _figures(run_: common.Run, rows: list[dict[str, Any]], trained: dict, unit: str, synthetic: bool) -> None:
    by_label = {r["label"]: r for r in rows}
    first = {v["first_label"]: v for v in trained.values()}
    linear = [r for r in rows if r["group"] == "linear"]
    nets = [r for r in rows if r["group"] != "linear" and r["same_model_as"] is None]
    shown = []
    if linear:
        shown.append(max(linear, key=lambda r: r["days"])["label"])
    if nets:
        shown.append(min(nets, key=lambda r: r["test_mae"])["label"])
        deepest = max(nets, key=lambda r: (len(r["hidden"]), r["params"]))["label"]
        if deepest not in shown:
            shown.append(deepest)
    ylabel = f"views ({unit})" if unit else "value"
    tag = " (synthetic data)" if synthetic else ""

    def predictions(fig):
        ax = fig.add_subplot(1, 1, 1)
        ref = first[shown[0]] if shown else next(iter(first.values()))
        dates = np.array(ref["test_dates"], dtype="datetime64[D]")
        ax.plot(dates, ref["test_truth"], color="#222222", lw=2.2, label="truth")
        for label, color in zip(shown, ("#1f77b4", "#d62728", "#2ca02c")):
            r = first[label]
            ax.plot(np.array(r["test_dates"], dtype="datetime64[D]"), r["test_pred"], color=color, lw=1.3,
                    label=f"{label} (test MAE {by_label[label]['test_mae']:.3f})")
        ax.set_ylabel(ylabel)
        ax.set_title(f"Test days: prediction against truth{tag}")
        ax.legend(fontsize=8, loc="best")
        fig.autofmt_xdate()
        fig.tight_layout()

    run_.figure("predictions.png", predictions, size=(8.0, 4.2))

    def size_curve(fig):
        ax = fig.add_subplot(1, 1, 1)
        for group, marker in (("linear", "o"), ("neurons", "s"), ("layers", "^")):
            pts = sorted((r for r in rows if r["group"] == group), key=lambda r: r["params"])
            if not pts:
                continue
            p = [r["params"] for r in pts]
            ax.plot(p, [r["train_mae"] for r in pts], marker=marker, ls="--", color="#1f77b4",
                    label=f"train, {group}")
            ax.plot(p, [r["test_mae"] for r in pts], marker=marker, ls="-", color="#d62728",
                    label=f"test, {group}")
        ax.set_xscale("log")
        ax.set_xlabel("number of parameters")
        ax.set_ylabel(f"MAE ({unit})" if unit else "MAE")
        ax.set_title(f"Training and test error against model size{tag}")
        ax.legend(fontsize=7, ncol=3, loc="best")
        fig.tight_layout()

    if sum(r["same_model_as"] is None for r in rows) < 2:
        return  # one model has no size curve
    try:
        from fnlearn.explain import size_curve as explain_size_curve
    except ImportError:
        explain_size_curve = None
    if explain_size_curve is not None:
        unique = sorted((r for r in rows if r["same_model_as"] is None), key=lambda r: r["params"])
        run_.plot("size_curve.png", lambda path: explain_size_curve(
            [r["params"] for r in unique], [r["train_mae"] for r in unique], [r["test_mae"] for r in unique],
            labels=[_short(r) for r in unique], path=path))
    else:
        run_.figure("size_curve.png", size_curve, size=(8.0, 4.2))
