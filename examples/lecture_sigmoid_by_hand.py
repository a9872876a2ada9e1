"""The lecture's first model, written by hand: predict tomorrow's views from the previous 7 days.

    y = b + Σᵢ cᵢ · sigmoid(bᵢ + Σⱼ wᵢⱼ xⱼ)          (a sum of sigmoids, "more features")

The three steps of the lecture, with nothing hidden:
  1. a function with unknown parameters: W (k × 7), B (k), c (k), b — plain ``fl.Parameter``s;
  2. a loss: the mean absolute error L = mean |y − ŷ|;
  3. optimization: mini-batches, ``loss.backward()`` for the gradient, an optimizer step, epochs.

Run it:  python examples/lecture_sigmoid_by_hand.py --epochs 30 --sigmoids 10

The daily series is fnlearn's synthetic channel-views stand-in (thousands of views a day); where that
data set is not available a small deterministic series with a trend and a weekly cycle is made here.
"""

from __future__ import annotations

import argparse

import numpy as np

import fnlearn as fl

DAYS = 7  # the previous 7 days → the next day


def daily_series() -> np.ndarray:
    """Thousands of views per day: the packaged synthetic series, or a generated one with the same traits."""
    try:
        from fnlearn import datasets

        return datasets.views().values
    except (ImportError, AttributeError, OSError):
        t = np.arange(800)
        weekly = np.array([0.3, 0.4, 0.35, 0.2, -0.4, -0.6, 0.1])[t % 7]
        wiggle = 0.15 * np.sin(t * 0.37) + 0.1 * np.cos(t * 1.3)
        return 3.4 + t * 0.002 + weekly + wiggle


def windows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X[i] = days i .. i+6, y[i] = day i+7."""
    x = np.lib.stride_tricks.sliding_window_view(values[:-1], DAYS)
    return np.ascontiguousarray(x), values[DAYS:].reshape(-1, 1)


def main(argv: list[str] | None = None) -> list[float]:
    """Train the model and return the mean training loss of each epoch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--sigmoids", type=int, default=10, help="k, the number of sigmoid pieces")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    fl.set_seed(args.seed)
    x_all, y_all = windows(daily_series())
    held_out = 60  # the last 60 days are never trained on: they show how well the function predicts
    x_train, y_train = x_all[:-held_out], y_all[:-held_out]
    x_test, y_test = x_all[-held_out:], y_all[-held_out:]
    # Centre and scale the inputs, so every sigmoid starts on its slope and not flat at 0 or 1.
    mu, sd = x_train.mean(), x_train.std()

    def scaled(x: np.ndarray) -> np.ndarray:
        return ((x - mu) / sd).astype(np.float32)

    # Step 1: the function with unknown parameters θ = (W, B, c, b).
    rng = fl.backend.rng()
    k = args.sigmoids
    W = fl.Parameter(rng.normal(0.0, 0.5, size=(k, DAYS)))
    B = fl.Parameter(np.zeros(k))
    c = fl.Parameter(rng.normal(0.0, 0.5, size=(k,)))
    b = fl.Parameter(np.zeros(()))

    def f(x: np.ndarray) -> fl.Tensor:
        return b + fl.sigmoid(x @ W.T + B) @ c

    optimizer = fl.optim.Adam([W, B, c, b], learning_rate=args.learning_rate)
    n = len(x_train)
    with fl.no_grad():
        print(f"before training   training MAE {fl.losses.mae(y_train, f(scaled(x_train))).item():.4f} thousand views")
    epoch_losses = []
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(n)
        batch_losses = []
        for start in range(0, n, args.batch_size):
            idx = order[start:start + args.batch_size]
            # Step 2: the loss on this mini-batch.
            loss = fl.losses.mae(y_train[idx], f(scaled(x_train[idx])))
            # Step 3: the gradient by back-propagation, then one update θ ← θ − η·(Adam's step).
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        epoch_losses.append(float(np.mean(batch_losses)))
        print(f"epoch {epoch:3d}/{args.epochs}  training MAE {epoch_losses[-1]:.4f} thousand views")

    with fl.no_grad():
        test_mae = fl.losses.mae(y_test, f(scaled(x_test))).item()
    print(f"held-out MAE on the last {held_out} days: {test_mae:.4f} thousand views")
    return epoch_losses


if __name__ == "__main__":
    main()
