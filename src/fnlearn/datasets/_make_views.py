"""The script that generated ``views.csv``, fnlearn's SYNTHETIC daily channel-views series.

The lecture predicts a YouTube channel's daily views from earlier days, but that data is
private. fnlearn ships a stand-in made by the process below. It is not real data and does
not imitate any real channel's numbers; its constants were chosen once, for plausibility
alone (a small teaching channel with a few thousand views a day), before any model was
trained on it, and they are never adjusted to make an experiment's results look like
the lecture's.

The process, for day t = 0 .. n-1 from 2017-01-01 to 2021-02-14 inclusive (n = 1506),
in thousands of views::

    trend[t]   = LEVEL_START_K + (LEVEL_END_K - LEVEL_START_K) * t / (n - 1)
    weekday[t] = WEEKDAY_FACTOR[day of week of t]          # Monday first; Fri and Sat low
    noise[t]   = NOISE_PHI * noise[t-1] + NOISE_SIGMA * z[t]
                 (noise[0] = NOISE_SIGMA / sqrt(1 - NOISE_PHI**2) * z[0], the stationary start)
    spike[t]   = SPIKE_DECAY * spike[t-1] + (u[t] < SPIKE_RATE) * h[t]
    views_k[t] = round(trend[t] * weekday[t] * exp(noise[t]) + spike[t], 3)

with ``rng = numpy.random.RandomState(SEED)`` drawing, in this order,
``z = rng.standard_normal(n)``, ``u = rng.random_sample(n)`` and
``h = rng.exponential(SPIKE_MEAN_K, n)``. NumPy keeps the legacy ``RandomState`` streams
fixed across versions, so rerunning this script rebuilds the shipped file; ``views()``
still reads the file, never this script, so the data cannot drift.

Regenerate with ``python -m fnlearn.datasets._make_views`` (writes ``views.csv`` beside
this file, atomically).

Example:
    >>> from fnlearn.datasets._make_views import generate
    >>> dates, values = generate()
    >>> str(dates[0]), str(dates[-1]), len(values)
    ('2017-01-01', '2021-02-14', 1506)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

SEED = 20210214                 # the last day of the series, written as a number
START, END = "2017-01-01", "2021-02-14"   # inclusive, as in the lecture
LEVEL_START_K = 3.4             # typical weekday level on the first day, thousands of views
LEVEL_END_K = 5.2               # ... on the last day; a straight line between is the slow trend
WEEKDAY_FACTOR = (              # multiplies the trend; Monday first. The lecture notes that
    1.04,                       # Monday       views dip on Fridays and Saturdays.
    1.06,                       # Tuesday
    1.05,                       # Wednesday
    1.02,                       # Thursday
    0.90,                       # Friday       (low)
    0.86,                       # Saturday     (low)
    1.00,                       # Sunday
)
NOISE_PHI = 0.6                 # day-to-day persistence of the multiplicative noise (AR(1))
NOISE_SIGMA = 0.05              # innovation s.d. in log units; stationary s.d. = 0.0625 (about 6 %)
SPIKE_RATE = 1 / 45             # chance that a spike starts on a given day: about 8 a year
SPIKE_MEAN_K = 1.5              # mean spike height, thousands of views (exponentially distributed)
SPIKE_DECAY = 0.5               # share of a spike left the next day
DECIMALS = 3

HEADER = (
    "# SYNTHETIC data, not real views: fnlearn's stand-in for the lecture's private channel data.\n"
    "# Daily views in thousands, generated once by fnlearn/datasets/_make_views.py (seed 20210214):\n"
    "# slow linear trend x weekday factor (Fri and Sat low) x exp(AR(1) noise) + decaying spikes.\n"
)


def generate() -> tuple[np.ndarray, np.ndarray]:
    """Run the documented process; returns ``(dates datetime64[D], views_k float64)``."""
    dates = np.arange(np.datetime64(START), np.datetime64(END) + 1)
    n = len(dates)
    rng = np.random.RandomState(SEED)
    z = rng.standard_normal(n)
    u = rng.random_sample(n)
    h = rng.exponential(SPIKE_MEAN_K, n)

    t = np.arange(n)
    trend = LEVEL_START_K + (LEVEL_END_K - LEVEL_START_K) * t / (n - 1)
    # 1970-01-01 (day 0 of datetime64) was a Thursday, so Monday-first index = (days + 3) % 7.
    weekday = np.asarray(WEEKDAY_FACTOR)[(dates.astype(np.int64) + 3) % 7]

    noise = np.empty(n)
    noise[0] = NOISE_SIGMA / np.sqrt(1 - NOISE_PHI**2) * z[0]
    for i in range(1, n):
        noise[i] = NOISE_PHI * noise[i - 1] + NOISE_SIGMA * z[i]

    starts = np.where(u < SPIKE_RATE, h, 0.0)
    spike = np.empty(n)
    spike[0] = starts[0]
    for i in range(1, n):
        spike[i] = SPIKE_DECAY * spike[i - 1] + starts[i]

    values = np.round(trend * weekday * np.exp(noise) + spike, DECIMALS)
    return dates, values


def write_csv(path: str | os.PathLike) -> Path:
    """Write the generated series to ``path`` as ``date,views_k`` after the header comment, atomically."""
    dates, values = generate()
    path = Path(path)
    lines = [HEADER, "date,views_k\n"]
    lines += [f"{d},{v:.{DECIMALS}f}\n" for d, v in zip(dates, values)]
    from ..io import write_atomic

    write_atomic(path, "".join(lines).encode("utf-8"))
    return path


if __name__ == "__main__":
    print(write_csv(Path(__file__).with_name("views.csv")))
