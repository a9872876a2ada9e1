"""The iThome "does she like you" network, end to end, and why about 50 % is the honest result.

The post draws 100 random people (height, age, income, considerate, distance) and a
label ``liked`` with ``np.random.randint(0, 2)``, independently of everything else;
splits 80/20 with ``train_test_split(test_size=0.2, random_state=42)``; trains
``Dense(5, relu) → Dense(1, sigmoid)`` with Adam and binary cross-entropy for 50 epochs
in batches of 10, and prints the test accuracy.

Because the label is a coin flip, no model can predict it: any accuracy on the test
rows above or below 50 % is luck (with 20 test rows one standard deviation is 11 points).
What a network *can* do is memorise the training rows, so the training accuracy may
climb while the test accuracy does not: the gap is the lesson. The command trains the
post's model as written (raw features, income in the tens of thousands) and with the
features standardized, and prints both.

The split: fnlearn does not depend on scikit-learn, so it reproduces
``train_test_split(..., test_size=0.2, random_state=42)`` itself:
``perm = np.random.RandomState(42).permutation(100)``, test rows ``perm[:20]``, training rows
``perm[20:]`` in that order; this is exactly what scikit-learn's ``ShuffleSplit`` does
(the tests compare the two when scikit-learn is installed).

Example:
    >>> train_idx, test_idx = post_split(100)
    >>> len(train_idx), len(test_idx), sorted([*train_idx, *test_idx]) == list(range(100))
    (80, 20, True)
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from fnlearn.experiments import common

NAME = "classifier"
HELP = "the iThome 'likes' network (Dense 5 relu → 1 sigmoid) on random labels: about 50 % is honest"
FULL_HELP = common.SAME_AS_FULL

FEATURES = ("height", "age", "income", "considerate", "distance")
EPOCHS = 50
BATCH_SIZE = 10
QUICK_EPOCHS = 5
NEW_PERSON = (180, 25, 50000, 1, 1)  # the post's example prediction


def post_split(n: int, test_size: float = 0.2, random_state: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, test)`` as scikit-learn's ``train_test_split`` draws them for these settings."""
    n_test = math.ceil(test_size * n)
    perm = np.random.RandomState(random_state).permutation(n)
    return perm[n_test:], perm[:n_test]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=common.positive_int, help=f"epochs (default {EPOCHS}, as the post)")
    parser.add_argument("--rows", type=common.int_at_least(10), default=100,
                        help="rows to draw, at least 10 (2 test rows); default 100, as the post")


def main(args: argparse.Namespace) -> dict[str, Any]:
    return run(seed=args.seed, out=args.out, full=args.full, quick=args.quick, quiet=args.quiet,
               epochs=args.epochs, rows=args.rows)


def _fit_variant(X_tr, y_tr, X_te, y_te, new, epochs: int, seed: int) -> dict[str, Any]:
    import fnlearn as fl

    common.seed_all(seed)
    model = fl.Sequential([fl.layers.Dense(5, activation="relu", input_shape=(X_tr.shape[1],)),
                           fl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")

    def acc(X, y):
        p = np.asarray(model.predict(X), dtype=np.float64).reshape(-1)
        return float(np.mean((p >= 0.5) == (y.reshape(-1) >= 0.5))), p

    # one epoch per fit call (the optimizer keeps its state) so both accuracies are seen every epoch
    losses, train_curve, test_curve = [], [], []
    for _ in range(epochs):
        history = model.fit(X_tr, y_tr, epochs=1, batch_size=BATCH_SIZE, verbose=0)
        losses.extend(float(v) for v in history.history.get("loss", []))
        train_curve.append(acc(X_tr, y_tr)[0])
        test_curve.append(acc(X_te, y_te)[0])
    train_acc, _ = acc(X_tr, y_tr)
    test_acc, p_te = acc(X_te, y_te)
    new_p = float(np.asarray(model.predict(new), dtype=np.float64).reshape(-1)[0])
    return {"train_accuracy": train_acc, "test_accuracy": test_acc,
            "test_predicted_positive": float(np.mean(p_te >= 0.5)),
            "final_train_loss": losses[-1] if losses else None,
            "new_person_probability": new_p, "loss_curve": losses,
            "train_accuracy_curve": train_curve, "test_accuracy_curve": test_curve}


def _curves_figure(run_: common.Run, variants: dict[str, Any], names: dict[str, str]) -> None:
    def draw(fig):
        for i, (key, v) in enumerate(variants.items(), start=1):
            ax = fig.add_subplot(1, len(variants), i)
            epochs = np.arange(1, len(v["train_accuracy_curve"]) + 1)
            ax.plot(epochs, v["train_accuracy_curve"], color="#1f77b4", label="train")
            ax.plot(epochs, v["test_accuracy_curve"], color="#d62728", label="test")
            ax.axhline(0.5, color="#7f7f7f", ls=":", lw=1, label="chance")
            ax.set_ylim(0, 1)
            ax.set_xlabel("epoch")
            ax.set_ylabel("accuracy")
            ax.set_title(names[key], fontsize=10)
            ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()

    run_.figure("accuracy.png", draw, size=(9.0, 3.6))


def run(*, seed: int = 0, out=None, full: bool = False, quick: bool = False, quiet: bool = False,
        epochs: int | None = None, rows: int = 100, stream=None, **_: Any) -> dict[str, Any]:
    """Draw the post's table, split it as the post does, train both variants, print the gap."""
    from fnlearn.datasets import likes

    if epochs is None:
        epochs = QUICK_EPOCHS if quick else EPOCHS
    data = likes(n=rows, seed=42)
    X = np.stack([data[c] for c in FEATURES], axis=1).astype(np.float64)
    y = data["liked"].astype(np.float64).reshape(-1, 1)
    train_idx, test_idx = post_split(len(X))
    X_tr, X_te, y_tr, y_te = X[train_idx], X[test_idx], y[train_idx], y[test_idx]
    new = np.array([NEW_PERSON], dtype=np.float64)
    mu, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    sd[sd == 0] = 1.0

    run_ = common.Run(NAME, out=out, seed=seed, stream=stream, quiet=quiet)
    run_.heading("Does she like you? The iThome network on random labels")
    run_.say(f"{rows} rows drawn as the post does (np.random.seed(42), randint per column); 'liked' is a coin "
             f"flip drawn independently of the features. Split 80/20 as train_test_split(random_state=42); "
             f"Dense(5, relu) → Dense(1, sigmoid), adam, binary cross-entropy, {epochs} epochs, batch "
             f"{BATCH_SIZE}, seed {seed}.")
    variants = {
        "as_post": _fit_variant(X_tr, y_tr, X_te, y_te, new, epochs, seed),
        "standardized": _fit_variant((X_tr - mu) / sd, y_tr, (X_te - mu) / sd, y_te, (new - mu) / sd,
                                     epochs, seed),
    }
    majority = float(max(y_te.mean(), 1 - y_te.mean()))
    names = {"as_post": "as the post (raw features)", "standardized": "features standardized"}
    table = [[names[k], common.pct(v["train_accuracy"]), common.pct(v["test_accuracy"]),
              f"{100 * (v['train_accuracy'] - v['test_accuracy']):+.1f} pts", common.fmt(v["final_train_loss"]),
              f"{v['new_person_probability']:.2f}"] for k, v in variants.items()]
    run_.table("Accuracy on the training rows and on the test rows", ["model", "train acc", "test acc",
               "gap", "train loss", "P(liked | 180,25,50000,1,1)"], table, key="accuracy")
    n_test = len(y_te)
    sd_pts = 100 * math.sqrt(0.25 / n_test)
    run_.say(f"The labels are random, so about 50 % on new rows is the honest result; with {n_test} test rows "
             f"one standard deviation of luck is {sd_pts:.0f} points, and always answering the test rows' "
             f"majority class would score {majority:.0%}.")
    for k, v in variants.items():
        gap = v["train_accuracy"] - v["test_accuracy"]
        luck = abs(v["test_accuracy"] - 0.5) <= 2 * sd_pts / 100
        test_words = ("within luck of 50 %" if luck else
                      "further from 50 % than luck usually goes, which with random labels is still luck")
        gap_words = ("it fits training rows that carry no signal, and that fit does not carry over"
                     if gap > 0.05 else "it did not memorise the training rows much either")
        run_.say(f"{names[k].capitalize()}: train {v['train_accuracy']:.0%}, test {v['test_accuracy']:.0%} "
                 f"({test_words}); the gap is {100 * gap:+.0f} points: {gap_words}.")
    _curves_figure(run_, variants, names)
    payload = {"rows": rows, "epochs": epochs, "batch_size": BATCH_SIZE, "optimizer": "adam",
               "loss": "binary_crossentropy", "split": {"method": "RandomState(42).permutation, test first 20 %",
                                                        "train_index": train_idx.tolist(),
                                                        "test_index": test_idx.tolist()},
               "test_majority_accuracy": majority, "test_positive_rate": float(y_te.mean()),
               "variants": variants}
    run_.save(payload)
    return {**payload, "out_dir": str(run_.dir)}
