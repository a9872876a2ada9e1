"""The iThome post's Excel exercise: train ``ŷ = w·x + b`` on five students by hand, round by round.

The post predicts a return on investment from three scores (English, Math, Science)
and updates the weights in a spreadsheet. Each round it computes, per student, the
prediction ``ŷ = w1·x1 + w2·x2 + w3·x3 + b``, the error ``e = y − ŷ``, the squared error
``e²`` and the "changes" ``e·xj`` and ``e``; it averages them (MSE and Δw, Δb) and adds the
averages to the weights.

That averaged change is exactly minus one half of the gradient of the MSE:

    MSE = mean(e²),   ∂MSE/∂wj = −2·mean(e·xj),   so   Δwj = mean(e·xj) = −½·∂MSE/∂wj

so ``w ← w + lr·Δw`` is gradient descent on the MSE with step ``lr/2``. The post adds the
change as it is (lr = 1). On this table that step is too long: gradient descent on a
quadratic is stable only while ``lr < 2/λmax`` where ``λmax`` is the largest eigenvalue of
``mean([x, 1][x, 1]ᵀ)`` (here 2.339, so lr must stay below 0.855); with lr = 1 the MSE
rises from round 1 on and then grows without bound. This experiment computes that limit
and defaults to lr = 0.5.

It writes the rounds as ``students.csv`` and as ``students.xlsx`` whose cells are live Excel
formulas (``=C6*$G$5+…``, ``=AVERAGE(…)``), laid out cell for cell like the CSV, so the
spreadsheet redoes the training exactly as the post did by hand; change the learning-rate
cell and Excel retrains.

Example:
    >>> rounds = train(rounds=1, lr=1.0)
    >>> round(rounds[0]["mse"], 9), [round(v, 7) for v in rounds[0]["delta_w"]]
    (0.012672752, [0.00706, 0.051214, 0.0526716])
"""

from __future__ import annotations

import argparse
import csv
import io
import math
from typing import Any

import numpy as np

from fnlearn import errors
from fnlearn.experiments import common

NAME = "students"
HELP = "the iThome Excel exercise: a linear model trained by hand on five students, as CSV and live .xlsx"
FULL_HELP = common.SAME_AS_FULL

POST_W0 = (0.33, 0.33, 0.33)
POST_B0 = 0.0
POST_LR = 1.0
DEFAULT_LR = 0.5
DEFAULT_ROUNDS = 5  # the post shows rounds 0 .. 5

# The CSV's columns, and the spreadsheet's from column A on (the two grids match cell for cell).
COLUMNS = ("round", "row", "english", "math", "science", "roi", "w1", "w2", "w3", "b",
           "prediction", "error", "squared_error", "change_w1", "change_w2", "change_w3", "change_b")
LR_CELL = "$B$1"
HEADER_ROW = 3  # spreadsheet row of the column names; row 1 holds the learning rate


def stability_limit(X: np.ndarray) -> float:
    """The largest lr for which ``w ← w + lr·mean(e·[x, 1])`` converges on inputs ``X``: ``2/λmax``.

    Example:
        >>> from fnlearn.datasets import students
        >>> round(stability_limit(students().X), 3)
        0.855
    """
    A = np.c_[X, np.ones(len(X))]
    return float(2.0 / np.linalg.eigvalsh(A.T @ A / len(X)).max())


def train(rounds: int = DEFAULT_ROUNDS, lr: float = DEFAULT_LR, w0=POST_W0, b0: float = POST_B0
          ) -> list[dict[str, Any]]:
    """The post's rounds in float64: for each round the weights used, the per-student columns,
    the MSE, the averaged changes and the new weights. ``rounds + 1`` entries: the last one
    evaluates the final weights (no update); fewer when a large lr makes the MSE overflow to inf,
    where the rounds stop (every later one would be NaN).

    Example:
        >>> r = train(rounds=2)
        >>> len(r), r[-1]["new_w"] is None
        (3, True)
    """
    from fnlearn.datasets import students

    _, X, y = students()
    y = y.ravel()
    w, b = np.array(w0, dtype=np.float64), float(b0)
    out = []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging lr overflows: reported, not warned
        for r in range(rounds + 1):
            entry = _round(r, X, y, w, b)
            if r < rounds and math.isfinite(entry["mse"]):
                w = w + lr * np.array(entry["delta_w"])
                b = b + lr * entry["delta_b"]
                entry["new_w"], entry["new_b"] = w.tolist(), b
            out.append(entry)
            if not math.isfinite(entry["mse"]):
                break
    return out


def _round(r: int, X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float) -> dict[str, Any]:
    """One round's columns for weights w, b (the update is the caller's)."""
    # written term by term, in the spreadsheet's order, so the floats match Excel's
    pred = X[:, 0] * w[0] + X[:, 1] * w[1] + X[:, 2] * w[2] + b
    err = y - pred
    sq = err ** 2
    changes = np.c_[err[:, None] * X, err]
    delta = changes.mean(axis=0)
    return {"round": r, "w": w.tolist(), "b": b, "prediction": pred.tolist(), "error": err.tolist(),
            "squared_error": sq.tolist(), "changes": changes.tolist(), "mse": float(np.mean(sq)),
            "delta_w": delta[:3].tolist(), "delta_b": float(delta[3]), "new_w": None, "new_b": None}


# --------------------------------------------------------------------------- the grid (CSV and xlsx)


def _col(name: str) -> str:
    return chr(ord("A") + COLUMNS.index(name))


def grid(rounds: list[dict[str, Any]], lr: float) -> tuple[list[list[Any]], list[list[Any]]]:
    """The table as rows of values and the same rows as Excel cells (numbers or ``=`` formulas).

    Per round: a ``weights`` row (round 0: the starting values; later: the previous weights
    plus ``lr`` times the previous averages), one row per student, and a ``mean`` row whose
    ``squared_error`` is the MSE and whose ``change_*`` are Δw, Δb. The last round's
    ``weights`` row holds the trained weights (its rows evaluate them; no update follows).
    """
    from fnlearn.datasets import students

    names, X, y = students()
    values: list[list[Any]] = []
    cells: list[list[Any]] = []
    first_data_row = HEADER_ROW + 1
    wcols = ("w1", "w2", "w3", "b")
    ccols = ("change_w1", "change_w2", "change_w3", "change_b")
    student_rows0: list[int] = []  # spreadsheet rows of round 0's students: later rounds point to them
    prev_weights_row = prev_mean_row = None
    for entry in rounds:
        r = entry["round"]
        # weights row
        row_no = first_data_row + len(values)
        v = [r, "weights", "", "", "", "", *entry["w"], entry["b"], "", "", "", "", "", "", ""]
        if prev_weights_row is None:
            c = list(v)
        else:
            c = [r, "weights", "", "", "", "",
                 *(f"={_col(wc)}{prev_weights_row}+{LR_CELL}*{_col(cc)}{prev_mean_row}"
                   for wc, cc in zip(wcols, ccols)),
                 "", "", "", "", "", "", ""]
        values.append(v)
        cells.append(c)
        weights_row = row_no
        wref = {wc: f"${_col(wc)}${weights_row}" for wc in wcols}
        # student rows
        first_student = first_data_row + len(values)
        for i, name in enumerate(names):
            row_no = first_data_row + len(values)
            v = [r, name, *X[i].tolist(), float(y[i, 0]), "", "", "", "",
                 entry["prediction"][i], entry["error"][i], entry["squared_error"][i], *entry["changes"][i]]
            if r == 0:
                student_rows0.append(row_no)
                data = [*X[i].tolist(), float(y[i, 0])]
            else:
                src = student_rows0[i]
                data = [f"={_col(k)}{src}" for k in ("english", "math", "science", "roi")]
            e, m, s, roi, pr, er = (f"{_col(k)}{row_no}" for k in
                                    ("english", "math", "science", "roi", "prediction", "error"))
            c = [r, name, *data, "", "", "", "",
                 f"={e}*{wref['w1']}+{m}*{wref['w2']}+{s}*{wref['w3']}+{wref['b']}",
                 f"={roi}-{pr}",
                 f"={er}^2",
                 f"={er}*{e}", f"={er}*{m}", f"={er}*{s}", f"={er}"]
            values.append(v)
            cells.append(c)
        last_student = first_data_row + len(values) - 1
        # mean row
        row_no = first_data_row + len(values)
        v = [r, "mean", *[""] * 10, entry["mse"], *entry["delta_w"], entry["delta_b"]]
        c = [r, "mean", *[""] * 10,
             *(f"=AVERAGE({_col(k)}{first_student}:{_col(k)}{last_student})"
               for k in ("squared_error", *ccols))]
        values.append(v)
        cells.append(c)
        prev_weights_row, prev_mean_row = weights_row, row_no
    return values, cells


def to_csv(values: list[list[Any]]) -> str:
    """The grid as CSV text; floats written with ``repr`` so they read back bit for bit."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in values:
        writer.writerow([repr(c) if isinstance(c, float) else c for c in row])
    return buf.getvalue()


def to_xlsx(cells: list[list[Any]], lr: float) -> bytes:
    """The grid as an .xlsx workbook whose computed cells are Excel formulas."""
    openpyxl = errors.require("openpyxl", "writing the students spreadsheet", "excel")
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "training"
    ws["A1"] = "learning rate"
    ws["B1"] = lr
    ws["C1"] = "(change it and the spreadsheet retrains)"
    for j, name in enumerate(COLUMNS, start=1):
        ws.cell(row=HEADER_ROW, column=j, value=name).font = Font(bold=True)
    for i, row in enumerate(cells, start=HEADER_ROW + 1):
        for j, value in enumerate(row, start=1):
            if value != "":
                ws.cell(row=i, column=j, value=value)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- the experiment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lr", type=common.positive_float, default=DEFAULT_LR,
                        help=f"learning rate: w ← w + lr·Δw (default {DEFAULT_LR}; the post's rule is "
                             "lr = 1, which diverges on this table)")
    parser.add_argument("--rounds", type=common.positive_int, default=DEFAULT_ROUNDS,
                        help=f"number of updates (default {DEFAULT_ROUNDS}, as in the post)")


def main(args: argparse.Namespace) -> dict[str, Any]:
    return run(lr=args.lr, rounds=args.rounds, seed=args.seed, out=args.out, quiet=args.quiet)


def _mse_figure(run_: common.Run, lr: float, mse: list[float], mse_post: list[float], limit: float) -> None:
    def draw(fig):
        ax = fig.add_subplot(1, 1, 1)
        def drawable(values: list[float]) -> list[float]:
            # a log axis cannot pad its range around numbers near the float limit (its exp overflows)
            return [v if math.isfinite(v) and v < 1e200 else math.nan for v in values]

        ax.plot(range(len(mse)), drawable(mse), marker="o", color="#1f77b4", label=f"lr = {lr:g}")
        if lr != POST_LR:
            ax.plot(range(len(mse_post)), drawable(mse_post), marker="s", color="#d62728",
                    label=f"lr = {POST_LR:g} (the post)")
        ax.set_yscale("log")
        ax.set_xlabel("round")
        ax.set_ylabel("MSE")
        ax.set_title(f"MSE per round; stable only for lr < {limit:.3f}", fontsize=10)
        ax.legend(fontsize=8)
        fig.tight_layout()

    run_.figure("mse.png", draw, size=(6.0, 3.6))


def _f(v: float, digits: int = 6) -> str:
    """Fixed decimals, or scientific notation once a diverging run's numbers grow past a billion."""
    return f"{v:.{digits}f}" if abs(v) < 1e9 or not math.isfinite(v) else f"{v:.4e}"


def _series(values: list[float], digits: int = 6) -> str:
    """``a → b → …``, with the middle left out of a long run."""
    shown = [_f(v, digits) for v in values]
    return " → ".join(shown if len(shown) <= 8 else [*shown[:6], "…", shown[-1]])


def run(*, lr: float = DEFAULT_LR, rounds: int = DEFAULT_ROUNDS, seed: int = 0, out=None,
        quiet: bool = False, stream=None, **_: Any) -> dict[str, Any]:
    """Run the exercise, print every round, write ``students.csv``, ``students.xlsx`` and ``results.json``.

    ``seed`` is recorded only: nothing here is random.
    """
    if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise errors.ConfigError(f"lr must be a finite number above 0, got {lr!r}.")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise errors.ConfigError(f"rounds must be a whole number of at least 1, got {rounds!r}.")
    from fnlearn.datasets import students

    names, X, _ = students()
    run_ = common.Run(NAME, out=out, seed=seed, stream=stream, quiet=quiet)
    limit = stability_limit(X)
    history = train(rounds=rounds, lr=lr)
    post = train(rounds=rounds, lr=POST_LR)

    run_.heading("The iThome Excel exercise: ŷ = w1·English + w2·Math + w3·Science + b")
    run_.say(f"Start: w = {POST_W0}, b = {POST_B0}; each round w ← w + lr·Δw, b ← b + lr·Δb, lr = {lr:g}.")
    for entry in history:
        rows = [[name, _f(entry["prediction"][i]), _f(entry["error"][i]), _f(entry["squared_error"][i])]
                for i, name in enumerate(names)]
        rows.append(["MSE", "", "", _f(entry["mse"], 9)])
        weights = ", ".join(_f(v) for v in entry["w"])
        run_.say(f"Round {entry['round']}: w = ({weights}), b = {_f(entry['b'])}")
        run_.table(f"Round {entry['round']}", ["student", "prediction ŷ", "error y−ŷ", "squared error"], rows,
                   key=f"round_{entry['round']}")
        if entry["new_w"] is not None:
            delta = ", ".join(f"{v:.7g}" for v in entry["delta_w"])
            new = ", ".join(_f(v) for v in entry["new_w"])
            run_.say(f"  Δw = ({delta}), Δb = {entry['delta_b']:.7g}  →  new w = ({new}), "
                     f"new b = {_f(entry['new_b'])}")
    run_.table("All rounds (the weights each round used, and its MSE)",
               ["round", "w1", "w2", "w3", "b", "MSE"],
               [[e["round"], *(_f(v) for v in e["w"]), _f(e["b"]), _f(e["mse"], 9)] for e in history],
               key="rounds")

    mse_post = [e["mse"] for e in post]
    rises = [i for i in range(1, len(mse_post)) if mse_post[i] > mse_post[i - 1]]
    run_.heading("What the numbers say")
    run_.say("Δw is the average of (y − ŷ)·x, which is −½ of the gradient of the MSE, so each round is "
             "gradient descent on the MSE with step lr/2.")
    post_words = "MSE " + _series(mse_post[:6])
    if rises:
        run_.say(f"The post's rule (lr = 1) does not converge here: {post_words}; the MSE rises from round "
                 f"{rises[0]} on. Gradient descent on this quadratic is stable only for lr < 2/λmax = "
                 f"{limit:.3f} (λmax = {2 / limit:.3f}, the largest eigenvalue of mean([x,1][x,1]ᵀ)).")
    else:
        run_.say(f"With lr = 1: {post_words}.")
    mse = [e["mse"] for e in history]
    # every step counts here (no tolerance): nothing is random, a rise is a rise
    run_.say(f"With lr = {lr:g} the MSE {common.trend(mse, same=0.0)}: " + _series(mse)
             + (f" (lr = {lr:g} is above the limit {limit:.3f}, so it diverges)." if lr >= limit else
                f" (lr = {lr:g} is below the limit {limit:.3f}, so it converges)."))
    if len(history) < rounds + 1:
        run_.say(f"The MSE overflowed to {history[-1]['mse']} in round {history[-1]['round']}, so the rounds stop "
                 f"there; a learning rate below {limit:.3f} converges.")
    _mse_figure(run_, lr, mse, mse_post, limit)

    values, cells = grid(history, lr)
    run_.write("students.csv", to_csv(values))
    try:
        run_.write("students.xlsx", to_xlsx(cells, lr))
    except errors.MissingDependencyError as exc:
        run_.note(f"students.xlsx skipped: {exc}")
    results = {
        "lr": lr, "rounds": rounds, "w0": list(POST_W0), "b0": POST_B0,
        "stability_limit_lr": limit,
        "history": [{k: e[k] for k in ("round", "w", "b", "prediction", "error", "squared_error", "mse",
                                       "delta_w", "delta_b", "new_w", "new_b")} for e in history],
        "mse": mse,
        "post_rule": {"lr": POST_LR, "mse": mse_post, "rises_from_round": rises[0] if rises else None},
    }
    run_.save(results)
    return {**results, "out_dir": str(run_.dir)}
