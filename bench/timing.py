"""Interleaved timing: every peer runs once per round, rounds repeat, warm-up rounds are not counted.

Running A B C A B C … instead of A A A B B B … spreads slow drifts of the machine (frequency
changes, other processes, a noisy neighbour on a virtual machine) over all peers alike, so the
ratios stay fair even when the absolute numbers wander.

A pause before every run (``pause``) lets the thread pools of the run before go to sleep. OpenBLAS's
threads spin for about 0.1 s after a call, PyTorch's OpenMP threads for a few milliseconds; a run that
starts while another library's threads still spin shares the cores with them. Measured on 2 cores,
predict on 10,000 samples right after the other library's call, then after a 0.2 s pause: PyTorch
after fnlearn (OpenBLAS) 31.6 against 15.1 ms, fnlearn after PyTorch 18.3 against 14.4 ms.

Example:
    >>> calls = []
    >>> result = run_interleaved({"a": lambda i: calls.append("a"), "b": lambda i: calls.append("b")},
    ...                          warmups=1, repeats=2)
    >>> calls
    ['a', 'b', 'a', 'b', 'a', 'b']
    >>> len(result.samples["a"])
    2
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Sample:
    """What a task may return to report its own time (and a value such as an accuracy).

    A task that returns ``None`` is timed by the runner from call to return; a task that must
    leave part of its work out of the timing (evaluating the model it just trained) measures
    itself and returns a ``Sample``.
    """

    seconds: float
    value: float | None = None


@dataclass
class InterleavedResult:
    """Counted samples per task, the failures, and the exact order the runs happened in."""

    samples: dict[str, list[Sample]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (task, counted)


def interleaved_schedule(names: Sequence[str], warmups: int, repeats: int) -> list[tuple[str, bool]]:
    """The run order: ``warmups + repeats`` rounds, each round every name once, in the given order.

    >>> interleaved_schedule(["a", "b"], 1, 2)
    [('a', False), ('b', False), ('a', True), ('b', True), ('a', True), ('b', True)]
    """
    if warmups < 0 or repeats < 1:
        raise ValueError(f"warmups={warmups}, repeats={repeats}: need warmups >= 0 and repeats >= 1.")
    schedule = []
    for round_index in range(warmups + repeats):
        schedule.extend((name, round_index >= warmups) for name in names)
    return schedule


def run_interleaved(
    tasks: Mapping[str, Callable[[int], Any]],
    *,
    warmups: int = 1,
    repeats: int = 5,
    progress: Callable[[str], None] | None = None,
    pause: float = 0.0,
) -> InterleavedResult:
    """Run each task ``warmups + repeats`` times, interleaved; keep the counted runs.

    Every task is called with the index of its run (0 for the first warm-up) so that tasks which
    train a fresh model each time can change the seed. A task that raises is reported in
    ``errors`` with its message and not run again; the others go on. Before each run the runner
    collects garbage and then waits ``pause`` seconds, off the clock (see the module's notes).
    """
    result = InterleavedResult(samples={name: [] for name in tasks})
    run_index = dict.fromkeys(tasks, 0)
    for name, counted in interleaved_schedule(list(tasks), warmups, repeats):
        if name in result.errors:
            continue
        gc.collect()  # so one task's garbage is not collected on the next task's clock
        if pause > 0:
            time.sleep(pause)
        start = time.perf_counter()
        try:
            returned = tasks[name](run_index[name])
        except Exception as exc:  # a broken peer must not stop the others
            result.errors[name] = f"{type(exc).__name__}: {exc}".strip()
            result.samples.pop(name, None)
            if progress:
                progress(f"{name}: failed ({result.errors[name]})")
            continue
        elapsed = time.perf_counter() - start
        run_index[name] += 1
        result.order.append((name, counted))
        sample = returned if isinstance(returned, Sample) else Sample(elapsed)
        if counted:
            result.samples[name].append(sample)
        if progress:
            kind = "run" if counted else "warm-up"
            progress(f"{name}: {kind} {run_index[name]} {sample.seconds:.4g} s")
    return result


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """Median, min, max and the runs themselves.

    >>> summarize([3.0, 1.0, 2.0])
    {'median': 2.0, 'min': 1.0, 'max': 3.0, 'runs': [3.0, 1.0, 2.0]}
    """
    if not values:
        raise ValueError("summarize() needs at least one value.")
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": list(values),
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or ``None`` when either side is missing or the divisor is 0.

    >>> ratio(0.3, 0.6)
    0.5
    >>> ratio(None, 0.6) is None
    True
    """
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def stderr_progress(message: str) -> None:
    """Progress lines go to stderr so that stdout carries only the table."""
    print(f"  {message}", file=sys.stderr, flush=True)
